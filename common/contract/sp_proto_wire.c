/*  sp_proto_wire - a walk over packed protobuf bytes (see sp_proto_wire.h).

    The encoding (https://protobuf.dev/programming-guides/encoding/): a
    message is a run of fields, each a varint tag (number << 3 | wire
    type) then its value: a varint, 8 bytes, 4 bytes, or a varint length
    and that many bytes (strings, bytes, sub-messages, packed repeated
    scalars). Groups (wire types 3 and 4) are refused, as protobuf-c does.

    The walk keeps no state per field: a problem's path is built on the way
    back up, each level putting its field's name (and, for a repeated
    field, its index, counted only then) in front, so a message with many
    repeated entries costs one pass.
*/
#include "sp_proto_wire.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define S_VARINT_BYTES_MAX 10 /* a 64-bit varint takes at most 10 bytes */
#define S_VARINT_PAYLOAD_BITS 7
#define S_VARINT_MORE 0x80u
#define S_VARINT_PAYLOAD 0x7Fu
#define S_TAG_TYPE_BITS 3
#define S_TAG_TYPE_MASK 0x7u
#define S_FIXED64_BYTES 8
#define S_FIXED32_BYTES 4
#define S_FIELD_NUMBER_MAX 536870911u /* 2^29 - 1 */
#define S_DEPTH_MAX 16                /* sub-messages nested deeper are refused */

/* Reads a varint at *offset; 0, or -1 when truncated or too long. */
static int
s_varint (const uint8_t *data, size_t size, size_t *offset, uint64_t *value)
{
    uint64_t result = 0;
    for (unsigned i = 0; i < S_VARINT_BYTES_MAX; i++) {
        if (*offset >= size)
            return -1;
        uint8_t byte = data[(*offset)++];
        result |= (uint64_t) (byte & S_VARINT_PAYLOAD) << (i * S_VARINT_PAYLOAD_BITS);
        if ((byte & S_VARINT_MORE) == 0) {
            *value = result;
            return 0;
        }
    }
    return -1;
}

int
sp_proto_wire_next (const uint8_t *data, size_t size, size_t *offset, sp_proto_wire_field_t *field)
{
    assert ((data || size == 0) && offset && field);
    if (*offset >= size)
        return 0;
    uint64_t tag;
    if (s_varint (data, size, offset, &tag) != 0)
        return -1;
    uint64_t number = tag >> S_TAG_TYPE_BITS;
    if (number == 0 || number > S_FIELD_NUMBER_MAX)
        return -1;
    field->number = (uint32_t) number;
    field->wire_type = (ProtobufCWireType) (tag & S_TAG_TYPE_MASK);
    field->data = NULL;
    field->length = 0;
    size_t left = size - *offset;
    switch (field->wire_type) {
        case PROTOBUF_C_WIRE_TYPE_VARINT: {
            uint64_t ignored;
            return s_varint (data, size, offset, &ignored) == 0 ? 1 : -1;
        }
        case PROTOBUF_C_WIRE_TYPE_64BIT:
            if (left < S_FIXED64_BYTES)
                return -1;
            *offset += S_FIXED64_BYTES;
            return 1;
        case PROTOBUF_C_WIRE_TYPE_32BIT:
            if (left < S_FIXED32_BYTES)
                return -1;
            *offset += S_FIXED32_BYTES;
            return 1;
        case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED: {
            uint64_t length;
            if (s_varint (data, size, offset, &length) != 0 || length > size - *offset)
                return -1;
            field->data = data + *offset;
            field->length = (size_t) length;
            *offset += (size_t) length;
            return 1;
        }
        default: /* groups (3, 4) and the unused 6, 7 */
            return -1;
    }
}

/* Appends text to the path being built in buffer (used bytes so far),
   cutting it to fit. */
static void
s_append (char *buffer, size_t *used, const char *text)
{
    size_t length = strlen (text);
    size_t room = SP_PROTO_WIRE_PATH_SIZE - 1 - *used;
    if (length > room)
        length = room;
    memcpy (buffer + *used, text, length);
    *used += length;
    buffer[*used] = '\0';
}

/* The finding's path becomes "<prefix>.<path>", or "<prefix>" when it
   was empty. */
static void
s_prepend (sp_proto_wire_finding_t *finding, const char *prefix)
{
    char path[SP_PROTO_WIRE_PATH_SIZE];
    size_t used = 0;
    path[0] = '\0';
    s_append (path, &used, prefix);
    if (finding->path[0] != '\0') {
        s_append (path, &used, ".");
        s_append (path, &used, finding->path);
    }
    memcpy (finding->path, path, sizeof path);
}

/* The path component of the field read just before offset: its name,
   with its index among the earlier fields of that number when repeated
   (counted here, on the way up from a problem only). */
static void
s_prepend_field (sp_proto_wire_finding_t *finding, const ProtobufCFieldDescriptor *descriptor,
                 const uint8_t *data, size_t size, size_t field_offset)
{
    char prefix[SP_PROTO_WIRE_PATH_SIZE];
    if (descriptor->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t index = 0;
        size_t offset = 0;
        sp_proto_wire_field_t field;
        while (offset < field_offset && sp_proto_wire_next (data, size, &offset, &field) == 1)
            if (field.number == descriptor->id)
                index++;
        snprintf (prefix, sizeof prefix, "%s[%zu]", descriptor->name, index);
    }
    else
        snprintf (prefix, sizeof prefix, "%s", descriptor->name);
    s_prepend (finding, prefix);
}

static int
s_problem (sp_proto_wire_finding_t *finding, sp_proto_wire_problem_t problem, uint32_t number,
           const ProtobufCMessageDescriptor *descriptor)
{
    finding->problem = problem;
    finding->number = number;
    finding->descriptor = descriptor;
    finding->path[0] = '\0';
    return -1;
}

static int
s_walk (const ProtobufCMessageDescriptor *descriptor, const uint8_t *data, size_t size,
        unsigned depth, sp_proto_wire_finding_t *finding)
{
    if (depth > S_DEPTH_MAX)
        return s_problem (finding, SP_PROTO_WIRE_MALFORMED, 0, descriptor);
    size_t offset = 0;
    for (;;) {
        size_t field_offset = offset;
        sp_proto_wire_field_t field;
        int read = sp_proto_wire_next (data, size, &offset, &field);
        if (read == 0)
            return 0;
        if (read < 0)
            return s_problem (finding, SP_PROTO_WIRE_MALFORMED, 0, descriptor);
        const ProtobufCFieldDescriptor *known =
            protobuf_c_message_descriptor_get_field (descriptor, field.number);
        if (!known) /* the path stays the message's own */
            return s_problem (finding, SP_PROTO_WIRE_UNKNOWN_FIELD, field.number, descriptor);
        bool string = known->type == PROTOBUF_C_TYPE_STRING;
        bool message = known->type == PROTOBUF_C_TYPE_MESSAGE;
        if (!string && !message)
            continue;
        if (field.wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) {
            s_problem (finding, SP_PROTO_WIRE_MALFORMED, field.number, descriptor);
            s_prepend_field (finding, known, data, size, field_offset);
            return -1;
        }
        if (string && memchr (field.data, '\0', field.length)) {
            s_problem (finding, SP_PROTO_WIRE_NUL, field.number, descriptor);
            s_prepend_field (finding, known, data, size, field_offset);
            return -1;
        }
        if (message && s_walk ((const ProtobufCMessageDescriptor *) known->descriptor, field.data,
                               field.length, depth + 1, finding) != 0) {
            s_prepend_field (finding, known, data, size, field_offset);
            return -1;
        }
    }
}

int
sp_proto_wire_check (const ProtobufCMessageDescriptor *descriptor, const uint8_t *data, size_t size,
                     sp_proto_wire_finding_t *finding)
{
    assert (descriptor && descriptor->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
    assert ((data || size == 0) && finding);
    finding->problem = SP_PROTO_WIRE_OK;
    finding->number = 0;
    finding->descriptor = descriptor;
    finding->path[0] = '\0';
    return s_walk (descriptor, data, size, 0, finding);
}
