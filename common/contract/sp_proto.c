/*  sp_proto - packing and unpacking protobuf-c messages (see sp_proto.h).

    Size limits are checked before any work: an oversize buffer is refused
    without parsing, and an oversize message is refused without allocating
    its packed form. protobuf-c's own unpacker rejects truncated and
    malformed input; the validator then judges the content.
*/
#include "sp_proto.h"
#include "sp_error.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stands in for a NULL data pointer when unpacking zero bytes. */
static const uint8_t s_empty_input[1] = { 0 };

int
sp_proto_pack (const ProtobufCMessage *message, size_t max_size, uint8_t **data, size_t *size,
               char *error, size_t error_size)
{
    assert (message);
    assert (message->descriptor);
    assert (message->descriptor->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
    assert (data);
    assert (size);
    assert (protobuf_c_message_check (message));

    size_t packed_size = protobuf_c_message_get_packed_size (message);
    if (packed_size > max_size) {
        sp_error_set (error, error_size, "packed %s message of %zu bytes exceeds the limit of %zu bytes",
                 message->descriptor->name, packed_size, max_size);
        return -1;
    }
    /* malloc (0) may return NULL: an empty message still gets a buffer. */
    uint8_t *buffer = malloc (packed_size > 0 ? packed_size : 1);
    if (!buffer) {
        sp_error_set (error, error_size, "out of memory packing %s message of %zu bytes",
                 message->descriptor->name, packed_size);
        return -1;
    }
    size_t written = protobuf_c_message_pack (message, buffer);
    assert (written == packed_size);
    *data = buffer;
    *size = written;
    return 0;
}

ProtobufCMessage *
sp_proto_unpack (const ProtobufCMessageDescriptor *descriptor, const uint8_t *data, size_t size,
                 size_t max_size, sp_proto_validate_fn *validate, void *arg, char *error,
                 size_t error_size)
{
    assert (descriptor);
    assert (descriptor->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
    assert (data || size == 0);

    if (size > max_size) {
        sp_error_set (error, error_size, "message of %zu bytes exceeds the limit of %zu bytes", size,
                 max_size);
        return NULL;
    }
    ProtobufCMessage *message =
        protobuf_c_message_unpack (descriptor, NULL, size, data ? data : s_empty_input);
    if (!message) {
        sp_error_set (error, error_size, "malformed %s message", descriptor->name);
        return NULL;
    }
    if (validate) {
        if (error && error_size > 0)
            error[0] = '\0';
        if (validate (message, arg, error, error_size) != 0) {
            if (error && error_size > 0 && error[0] == '\0')
                sp_error_set (error, error_size, "invalid %s message", descriptor->name);
            protobuf_c_message_free_unpacked (message, NULL);
            return NULL;
        }
    }
    return message;
}

void
sp_proto_free (ProtobufCMessage **message_p)
{
    assert (message_p);
    if (*message_p) {
        protobuf_c_message_free_unpacked (*message_p, NULL);
        *message_p = NULL;
    }
}

zframe_t *
sp_proto_frame_new (const ProtobufCMessage *message, size_t max_size, char *error,
                    size_t error_size)
{
    uint8_t *data = NULL;
    size_t size = 0;
    if (sp_proto_pack (message, max_size, &data, &size, error, error_size) != 0)
        return NULL;
    zframe_t *frame = zframe_new (data, size);
    if (!frame)
        sp_error_set (error, error_size, "out of memory creating a frame of %zu bytes", size);
    free (data);
    return frame;
}

ProtobufCMessage *
sp_proto_frame_unpack (const ProtobufCMessageDescriptor *descriptor, zframe_t *frame,
                       size_t max_size, sp_proto_validate_fn *validate, void *arg, char *error,
                       size_t error_size)
{
    assert (frame);
    assert (zframe_is (frame));
    return sp_proto_unpack (descriptor, zframe_data (frame), zframe_size (frame), max_size,
                            validate, arg, error, error_size);
}
