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

/* Field limits (bytes of UTF-8). */
#define SP_EVENT_ID_MAX 128
#define SP_EVENT_NAME_MAX 64   /* source, rep/team/region id, stage, lead_source, category, split rep */
#define SP_EVENT_REF_MAX 128   /* customer/opportunity id, product, quote/order id */
#define SP_EVENT_TEXT_MAX 256  /* lost/cancel reason */
#define SP_EVENT_SPLITS_MAX 16
#define SP_EVENT_VISIT_MINUTES_MAX 1440
#define SP_EVENT_CALL_SECONDS_MAX 86400

typedef Salespulse__SalesEvent sp_event_t;
typedef Salespulse__RejectReason sp_event_reason_t;

/* Why an event was refused. */
typedef struct {
    char field[64];            /* dotted JSON path of the offending field */
    sp_event_reason_t reason;  /* stable code */
    char message[256];         /* e.g. `field "amount": negative amount not allowed` */
} sp_event_error_t;

/* Time window an event's occurred_at must fall in, UTC ms (inclusive).
   Both 0: only occurred_at > 0 is checked. */
typedef struct {
    int64_t not_before;
    int64_t not_after;
} sp_event_time_bounds_t;

/* JSON spelling of a type ("deal_won"), or NULL for an unknown value. */
const char *sp_event_type_name (Salespulse__EventType type);

/* Type from its JSON spelling; EVENT_TYPE_UNSPECIFIED when unknown. */
Salespulse__EventType sp_event_type_from_name (const char *name);

/* Body member a type must carry (SALESPULSE__SALES_EVENT__BODY__NOT_SET when
   the type has no body, or for unknown types). */
Salespulse__SalesEvent__BodyCase sp_event_body_case (Salespulse__EventType type);

/* Short name of a reason code, e.g. "missing_field". */
const char *sp_event_reason_name (sp_event_reason_t reason);

/* True when text is valid UTF-8 of at most max bytes (no NUL inside). */
bool sp_event_utf8_valid (const char *text, size_t length);

/* Checks every rule. Returns 0 when valid; -1 with *error filled for the
   first violation found (fields are checked in the order of docs/events.md:
   envelope, then body). bounds may be NULL. */
int sp_event_validate (const sp_event_t *event, const sp_event_time_bounds_t *bounds,
                       sp_event_error_t *error);

/* Key the event is partitioned by: customer_id when set, else
   opportunity_id (docs/architecture.md). Never NULL; "" only for an invalid
   event. */
const char *sp_event_partition_key (const sp_event_t *event);

/* Frees an event built by sp_event_json or unpacked by protobuf-c. */
void sp_event_destroy (sp_event_t **self_p);

#endif
