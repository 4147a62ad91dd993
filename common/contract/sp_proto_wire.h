/*  sp_proto_wire - what protobuf-c's unpacker does not tell: a walk over
    the packed bytes of a message, guided by its descriptor.

    protobuf-c unpacks a string field into a NUL-terminated C string and
    drops its length, so "ab\0cd" on the wire reads as "ab": every later
    check (charset, length, the content hash of the re-packed event) sees
    a value the publisher did not send. The bytes themselves still say
    what was sent; this walk reads them, field by field and into every
    sub-message, and reports the first string that holds a NUL byte, or
    the first field the message does not define (protobuf-c keeps those
    verbatim in unknown_fields and packs them again, so they would be
    stored and hashed with the event), with the path of the field in proto
    names:

        sp_proto_wire_finding_t finding;
        if (sp_proto_wire_check (&salespulse__sales_event__descriptor, data, size,
                                 &finding) != 0)
            ... finding.path is e.g. "deal_won.splits[1].rep_id" ...

    The bytes are those of a message protobuf-c unpacked (so they are well
    formed); a walk that meets bytes it cannot read reports MALFORMED
    rather than trusting them. No allocation, no I/O.

    sp_proto_wire_next is the reader underneath: one field at a time, for
    callers that need the bytes of a field themselves (activity-ingest
    finds each event of an IngestRequest with it).
*/
#ifndef SP_PROTO_WIRE_H_INCLUDED
#define SP_PROTO_WIRE_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a field path such as "deal_won.splits[15].rep_id". */
#define SP_PROTO_WIRE_PATH_SIZE 128

/* One field as it is on the wire. */
typedef struct {
    uint32_t number;             /* field number */
    ProtobufCWireType wire_type; /* varint, 64-bit, length-prefixed or 32-bit */
    const uint8_t *data;         /* length-prefixed: the bytes after the length */
    size_t length;               /* length-prefixed: their count; else 0 */
} sp_proto_wire_field_t;

/* What sp_proto_wire_check found. */
typedef enum {
    SP_PROTO_WIRE_OK = 0,        /* nothing wrong */
    SP_PROTO_WIRE_NUL,           /* a string field holds a NUL byte */
    SP_PROTO_WIRE_UNKNOWN_FIELD, /* a field number the message does not define */
    SP_PROTO_WIRE_MALFORMED      /* bytes the walk cannot read */
} sp_proto_wire_problem_t;

/* The first problem met, where. */
typedef struct {
    sp_proto_wire_problem_t problem; /* what */
    /* Path in proto names, repeated fields indexed: of the field for NUL
       ("customer_id", "deal_won.amount.currency", "deal_won.splits[1].rep_id"),
       of the message holding it for UNKNOWN_FIELD ("" for the message
       walked, "deal_won.splits[0]") */
    char path[SP_PROTO_WIRE_PATH_SIZE];
    uint32_t number;                              /* the field's number */
    const ProtobufCMessageDescriptor *descriptor; /* the message holding the field */
} sp_proto_wire_finding_t;

/* Reads the field at *offset of data (size bytes) into *field and moves
   *offset past it. Returns 1 when a field was read, 0 at the end of the
   data, -1 when the bytes there are not a field (bad tag, truncated
   value, unknown wire type). */
int sp_proto_wire_next (const uint8_t *data, size_t size, size_t *offset,
                        sp_proto_wire_field_t *field);

/* Walks the packed message (size bytes at data, NULL only when size is 0)
   of descriptor and its sub-messages. Returns 0 with finding->problem OK,
   or -1 with the first problem in *finding, in wire order. */
int sp_proto_wire_check (const ProtobufCMessageDescriptor *descriptor, const uint8_t *data,
                         size_t size, sp_proto_wire_finding_t *finding);

#endif
