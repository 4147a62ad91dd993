/*  sp_event_wire - the rules only the wire form of a SalesEvent can break
    (see sp_event_wire.h).

    sp_proto_wire walks the bytes and names a field by its proto path
    ("deal_won.splits[1].rep_id"); the refusal names it by its JSON path,
    which is the same path without the body member in front. An unknown
    field is named by the number and message it came in, at the JSON path
    of that message ("" for the event and its body, "amount",
    "splits[0]").
*/
#include "sp_event_wire.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "sp_proto_wire.h"

/* The JSON path of a proto path of SalesEvent: a body member's name (a
   member of the "body" oneof) is dropped, its fields sit at the top
   level in JSON ("deal_won" alone is the event itself, ""). */
static const char *
s_json_path (const char *path)
{
    const char *dot = strchr (path, '.');
    size_t length = dot ? (size_t) (dot - path) : strlen (path);
    char member[SP_PROTO_WIRE_PATH_SIZE];
    if (length >= sizeof member)
        return path;
    memcpy (member, path, length);
    member[length] = '\0';
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field_by_name (
        &salespulse__sales_event__descriptor, member);
    if (field && (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return dot ? dot + 1 : "";
    return path;
}

int
sp_event_wire_validate (const uint8_t *data, size_t size, sp_event_error_t *error)
{
    assert (data || size == 0);
    sp_proto_wire_finding_t finding;
    if (sp_proto_wire_check (&salespulse__sales_event__descriptor, data, size, &finding) == 0)
        return 0;
    const char *field = s_json_path (finding.path);
    switch (finding.problem) {
        case SP_PROTO_WIRE_NUL:
            sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CHARSET,
                                "contains a NUL character");
            break;
        case SP_PROTO_WIRE_UNKNOWN_FIELD:
            sp_event_error_set (
                error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_UNKNOWN_FIELD,
                "unknown field number %" PRIu32 " in %s", finding.number, finding.descriptor->name);
            break;
        default:
            sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                                "not a valid salespulse.SalesEvent encoding");
            break;
    }
    return -1;
}
