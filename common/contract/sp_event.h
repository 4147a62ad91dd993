/*  sp_event - rules for a SalesEvent, shared by every entry point.

    The JSON mapper (sp_event_json), activity-ingest and salesctl all judge
    an event by these rules, so a publisher gets the same answer whichever
    way it sends. Every rule is written in docs/events.md. A failed check
    names the field (dotted path as in the JSON form, e.g. "amount.currency",
    "splits[1].percent"), a stable reason code (RejectReason in
    proto/event.proto) and a message in PostgreSQL's style.

    No I/O. Time bounds are given by the caller (ingest knows its clock).
*/
#ifndef SP_EVENT_H_INCLUDED
#define SP_EVENT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.pb-c.h"

/* Field limits (bytes of UTF-8). NAME: source, rep/team/region id, stage,
   lead_source, category, split rep. REF: customer/opportunity id,
   product, quote/order id. TEXT: lost/cancel reason. */
#define SP_EVENT_ID_MAX 128
#define SP_EVENT_NAME_MAX 64
#define SP_EVENT_REF_MAX 128
#define SP_EVENT_TEXT_MAX 256
#define SP_EVENT_SPLITS_MAX 16
#define SP_EVENT_VISIT_MINUTES_MAX 1440
#define SP_EVENT_CALL_SECONDS_MAX 86400

/* Value ranges. A share is in basis points: 10000 = 100 %, one split's
   maximum and the sum of all splits of a deal. */
#define SP_EVENT_SHARE_TOTAL 10000
#define SP_EVENT_NPS_MAX 10 /* nps is 0..10 */
#define SP_EVENT_CSAT_MIN 1 /* csat is 1..5 */
#define SP_EVENT_CSAT_MAX 5
#define SP_EVENT_SEVERITY_MAX SALESPULSE__COMPLAINT_SEVERITY__COMPLAINT_SEVERITY_CRITICAL

/* Latest representable time, 9999-12-31T23:59:59.999Z in UTC ms: times
   (occurred_at, planned_for) are 1..SP_EVENT_TIME_MAX so that every one
   has an RFC 3339 form. */
#define SP_EVENT_TIME_MAX INT64_C (253402300799999)

/* Room for an RFC 3339 time "9999-12-31T23:59:59.999Z" and its NUL. */
#define SP_EVENT_TIME_TEXT_SIZE 32

/* Room for a user value quoted in a message by sp_event_quote. */
#define SP_EVENT_QUOTE_SIZE 72

typedef Salespulse__SalesEvent sp_event_t;
typedef Salespulse__RejectReason sp_event_reason_t;

/* Room for a field path and for a message in sp_event_error_t. */
#define SP_EVENT_FIELD_SIZE 64
#define SP_EVENT_MESSAGE_SIZE 256

/* Why an event was refused. */
typedef struct {
    char field[SP_EVENT_FIELD_SIZE];     /* dotted JSON path of the offending field */
    sp_event_reason_t reason;            /* stable code */
    char message[SP_EVENT_MESSAGE_SIZE]; /* e.g. `field "amount": negative amount not allowed` */
} sp_event_error_t;

/* Time window an event's occurred_at must fall in, UTC ms (inclusive).
   Both 0: only occurred_at > 0 is checked. */
typedef struct {
    int64_t not_before; /* earliest accepted occurred_at, UTC ms */
    int64_t not_after;  /* latest accepted occurred_at, UTC ms */
} sp_event_time_bounds_t;

/* JSON spelling of a type ("deal_won"), or NULL for an unknown value. */
const char *sp_event_type_name (Salespulse__EventType type);

/* Type from its JSON spelling; EVENT_TYPE_UNSPECIFIED when unknown. */
Salespulse__EventType sp_event_type_from_name (const char *name);

/* Body member a type carries (every known type has one; a type whose
   body fields are all optional may omit it). NOT_SET for unknown types. */
Salespulse__SalesEvent__BodyCase sp_event_body_case (Salespulse__EventType type);

/* Short name of a reason code, e.g. "missing_field". */
const char *sp_event_reason_name (sp_event_reason_t reason);

/* True when the length bytes at text are valid UTF-8 (shortest forms, no
   surrogates, at most U+10FFFF) and contain no NUL byte: C strings cannot
   carry one. */
bool sp_event_utf8_valid (const char *text, size_t length);

/* Length of the longest prefix of text that is valid UTF-8 (NUL counts as
   valid here); equals length when all of it is. Used to point at the first
   bad byte. */
size_t sp_event_utf8_prefix (const char *text, size_t length);

/* Checks every rule. Returns 0 when valid; -1 with *error filled for the
   first violation found (fields are checked in the order of docs/events.md:
   envelope, then the type's required envelope fields, then the body).
   bounds may be NULL; error may be NULL when only the verdict matters. On
   success *error is untouched. */
int sp_event_validate (const sp_event_t *event, const sp_event_time_bounds_t *bounds,
                       sp_event_error_t *error);

/* Fills *error (no-op when error is NULL): field is the dotted JSON path
   ("" when the error is not about one field), message becomes
   `field "<field>": <text>` or just <text> when field is "". Both are cut
   to fit. Shared by the JSON and CSV forms so every entry point words
   errors the same way. */
void sp_event_error_set (sp_event_error_t *error, const char *field, sp_event_reason_t reason,
                         const char *format, ...) __attribute__ ((format (printf, 4, 5)));

/* Writes a user-supplied value into buffer for quoting in a message:
   valid UTF-8 is copied, control characters and bytes that are not UTF-8
   become \xNN, and a value that does not fit ends with "...". Returns
   buffer. size must be at least SP_EVENT_QUOTE_SIZE. */
const char *sp_event_quote (const char *text, size_t length, char *buffer, size_t size);

/* Writes ms (0..SP_EVENT_TIME_MAX) as RFC 3339 UTC with milliseconds,
   "2017-05-03T10:00:00.000Z". Returns 0, or -1 with buffer "" when ms is
   outside that range. size must be at least SP_EVENT_TIME_TEXT_SIZE. */
int sp_event_time_format (int64_t ms, char *buffer, size_t size);

/* Parses an RFC 3339 date-time, YYYY-MM-DD(T|t)hh:mm:ss[.fraction](Z|z|+hh:mm|-hh:mm),
   into UTC ms. Up to 9 fraction digits; those after the milliseconds are
   dropped (truncated). The offset is required; a leap second (60) and
   dates that do not exist are refused. Returns 0, or -1 with *ms untouched
   when the text is not such a time. The result is not range-checked: it
   may be before 1970 or after SP_EVENT_TIME_MAX. */
int sp_event_time_parse (const char *text, int64_t *ms);

/* Allocates an event of a known type with every field at its default and
   the type's body allocated (all body fields at their defaults), the way
   protobuf-c's unpack allocates, so sp_event_destroy frees it. NULL when
   out of memory. */
sp_event_t *sp_event_new (Salespulse__EventType type);

/* Replaces the string at *slot (a string field of an event built by
   sp_event_new or unpacked) by a malloc'd copy of length bytes of value;
   an empty value restores protobuf_c_empty_string. Returns -1 when out of
   memory, leaving *slot unchanged. */
int sp_event_set_string (char **slot, const char *value, size_t length);

/* Key the event is partitioned by: customer_id when set, else
   opportunity_id (docs/architecture.md). Never NULL; "" only for an invalid
   event. */
const char *sp_event_partition_key (const sp_event_t *event);

/* Frees an event built by sp_event_new, sp_event_json or unpacked by
   protobuf-c (with the default allocator). No-op on NULL; sets *self_p to
   NULL. */
void sp_event_destroy (sp_event_t **self_p);

#endif
