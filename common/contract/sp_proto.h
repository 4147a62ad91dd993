/*  sp_proto - packing and unpacking protobuf-c messages at the boundary.

    Every message that crosses a socket goes through here, so size limits,
    malformed input and validation are handled the same way everywhere:

        Salespulse__IngestRequest *request = (Salespulse__IngestRequest *)
            sp_proto_unpack (&salespulse__ingest_request__descriptor,
                             data, size, max_size, s_validate_request, self,
                             error, sizeof error);
        if (!request)
            ... reply BAD_REQUEST with `error` ...
        ...
        sp_proto_free ((ProtobufCMessage **) &request);

    Errors are PostgreSQL style, lower case, no trailing period:
      `message of 70000 bytes exceeds the limit of 65536 bytes`
      `malformed salespulse.IngestRequest message`
    or the validator's own text. A message that fails validation is freed
    before returning, so callers never see an unvalidated message.

    The zframe helpers are the same operations on CZMQ frames, for actors
    that build and read multipart messages.
*/
#ifndef SP_PROTO_H_INCLUDED
#define SP_PROTO_H_INCLUDED

#include <czmq.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

/* max_size value meaning "no limit". */
#define SP_PROTO_NO_LIMIT SIZE_MAX

/* Checks an unpacked message. Returns 0 when it is acceptable, -1 with a
   reason in error (lower case, no trailing period) when it is not. */
typedef int (sp_proto_validate_fn) (const ProtobufCMessage *message, void *arg, char *error,
                                    size_t error_size);

/* Packs a message into a new buffer the caller frees with free(). Returns 0,
   or -1 when the packed size exceeds max_size or memory runs out; on error
   *data and *size are left untouched. A message with NULL where a string or
   sub-message array is expected is a programmer error (asserted). */
int sp_proto_pack (const ProtobufCMessage *message, size_t max_size, uint8_t **data, size_t *size,
                   char *error, size_t error_size);

/* Unpacks and validates a message. Returns it (free with sp_proto_free), or
   NULL when size exceeds max_size, the bytes are not a valid encoding of the
   descriptor's message, or validate (may be NULL) rejects it. Zero bytes are
   a valid proto3 message with every field at its default. data may be NULL
   only when size is 0. */
ProtobufCMessage *sp_proto_unpack (const ProtobufCMessageDescriptor *descriptor,
                                   const uint8_t *data, size_t size, size_t max_size,
                                   sp_proto_validate_fn *validate, void *arg, char *error,
                                   size_t error_size);

/* Frees a message returned by sp_proto_unpack and sets the pointer to
   NULL; no-op on NULL. */
void sp_proto_free (ProtobufCMessage **message_p);

/* Packs a message into a new frame (caller destroys it). NULL on the same
   errors as sp_proto_pack. */
zframe_t *sp_proto_frame_new (const ProtobufCMessage *message, size_t max_size, char *error,
                              size_t error_size);

/* sp_proto_unpack over a frame's bytes; the frame is borrowed. */
ProtobufCMessage *sp_proto_frame_unpack (const ProtobufCMessageDescriptor *descriptor,
                                         zframe_t *frame, size_t max_size,
                                         sp_proto_validate_fn *validate, void *arg, char *error,
                                         size_t error_size);

#endif
