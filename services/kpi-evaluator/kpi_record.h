/*  kpi_record - the state kpi-evaluator keeps per opportunity, customer
    and visit plan, and what each contributes to the measures.

    Most measures are counted straight from one event (a quote, a call, a
    visit). Four need state, kept in one record each (kpi_keys.h):
      - an opportunity: its lead, its outcome and a cancellation decide
        leads, leads won (by the lead's period), deals won, won amount and
        margin (by the win's period) and deals lost (by the loss's);
      - a customer: its first won deal decides new customers;
      - a rep's visit plan of one day at one customer: visits planned for
        the day, and how many of them were completed that day.
    The rules (docs/kpis.md):
      - of several events of one kind the earliest counts (occurred_at,
        then event_id): a repeated deal_won never counts twice;
      - the outcome is the earlier of the win and the loss;
      - a deal_cancelled naming the won event takes the win back (deal,
        amount, margin, lead won); it does not move a new customer;
      - an opportunity without an outcome is open: it counts in the open
        pipeline by its latest stage, with its latest estimated or quoted
        value (a win, even one cancelled later, or a loss closes it);
      - a planned visit counts as done when the rep completes a visit at
        the same customer (or opportunity) on the planned local day:
        done = min(planned, completed) per rep, target and day.
    A record's contribution is a pure function of the record, so the
    handler applies "new contribution − old contribution" and any arrival
    order of the same events gives the same measures.

    A touch keeps the ids the event named (rep, team, region), not the
    scopes: they are resolved with the org chart when the contribution is
    applied (sp_org_scopes), and an org change rebuilds the state.

    Pure: no I/O.
*/
#ifndef KPI_RECORD_H_INCLUDED
#define KPI_RECORD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpi_catalog.h"
#include "sp_event.h"

/* Bytes of an id with its NUL. */
#define KPI_RECORD_ID_SIZE (SP_EVENT_ID_MAX + 1)

/* Cancellations an opportunity remembers (of different won events). */
#define KPI_RECORD_CANCELLED_MAX 8

/* Bytes of a stage name with its NUL. */
#define KPI_RECORD_STAGE_SIZE (SP_EVENT_NAME_MAX + 1)

/* Items a contribution holds at most. */
#define KPI_RECORD_ITEMS_MAX 8

/* One event that counts: when, which, and who it names. */
typedef struct {
    bool present;
    int64_t at; /* occurred_at (for a plan: planned_for), UTC ms */
    char event_id[KPI_RECORD_ID_SIZE];
    char rep[KPI_RECORD_ID_SIZE];    /* "" when none */
    char team[KPI_RECORD_ID_SIZE];   /* "" when none */
    char region[KPI_RECORD_ID_SIZE]; /* "" when none */
} kpi_record_touch_t;

/* Whose currency an amount is in. */
typedef enum {
    KPI_RECORD_MONEY_NONE = 0,      /* no amount */
    KPI_RECORD_MONEY_REPORTING = 1, /* the reporting currency: summed */
    KPI_RECORD_MONEY_OTHER = 2,     /* another currency: counted apart */
} kpi_record_money_t;

typedef struct {
    kpi_record_touch_t lead; /* earliest lead_created */
    kpi_record_touch_t won;  /* earliest deal_won */
    kpi_record_touch_t lost; /* earliest deal_lost */
    kpi_record_money_t won_currency;
    int64_t won_amount; /* minor units, when REPORTING */
    kpi_record_money_t margin_currency;
    int64_t margin; /* minor units, when REPORTING */
    size_t cancelled_count;
    char cancelled[KPI_RECORD_CANCELLED_MAX][KPI_RECORD_ID_SIZE]; /* won event ids */
    kpi_record_touch_t stage;                                     /* latest stage_changed */
    char stage_name[KPI_RECORD_STAGE_SIZE];                       /* its to_stage */
    kpi_record_touch_t value; /* latest lead_created or quote_sent with an amount */
    kpi_record_money_t value_currency;
    int64_t value_amount; /* minor units, when REPORTING */
} kpi_opportunity_t;

/* An opportunity still open (no outcome, no cancelled win): where it
   counts in the open pipeline. */
typedef struct {
    const kpi_record_touch_t *owner; /* the latest stage change, else the lead (borrowed) */
    const char *stage;               /* its stage ("" before any stage change; borrowed) */
    kpi_record_money_t currency;     /* of its value */
    int64_t value;                   /* minor units, when REPORTING */
} kpi_record_open_t;

typedef struct {
    kpi_record_touch_t first_won; /* earliest deal_won of the customer */
} kpi_customer_t;

typedef struct {
    int64_t planned;         /* visit_planned events for the day */
    int64_t completed;       /* visit_completed events on the day */
    kpi_record_touch_t plan; /* earliest visit_planned (at = planned_for) */
} kpi_plan_t;

/* One measure change at a touch's time and scopes. */
typedef struct {
    const kpi_record_touch_t *touch; /* borrowed from the record */
    kpi_measure_t measure;
    int64_t delta;
} kpi_record_item_t;

typedef struct {
    size_t count;
    kpi_record_item_t items[KPI_RECORD_ITEMS_MAX];
} kpi_record_contribution_t;

/* True when (at, event_id) comes before touch (or touch is absent). */
bool kpi_record_earlier (int64_t at, const char *event_id, const kpi_record_touch_t *touch);

/* Sets touch from an event (at, event_id and the ids it names). */
void kpi_record_touch_set (kpi_record_touch_t *touch, int64_t at, const char *event_id,
                           const char *rep, const char *team, const char *region);

/* What a record contributes. The items point into the record: a caller
   that changes the record and still needs the old contribution takes it
   from a copy. */
void kpi_opportunity_contribution (const kpi_opportunity_t *self, kpi_record_contribution_t *out);
void kpi_customer_contribution (const kpi_customer_t *self, kpi_record_contribution_t *out);
void kpi_plan_contribution (const kpi_plan_t *self, kpi_record_contribution_t *out);

/* True with *out set when the opportunity is open and has an owner
   touch (a lead or a stage change). */
bool kpi_opportunity_open (const kpi_opportunity_t *self, kpi_record_open_t *out);

/* The rules of the open pipeline: the stage is the latest stage_changed's
   to_stage (occurred_at, then event_id); the value the latest amount of a
   lead_created (estimated_value) or quote_sent (amount). */

/* Adds a cancellation of won_event_id; false when the list is full (the
   cancellation is not kept) — true when added or already there. */
bool kpi_opportunity_cancel (kpi_opportunity_t *self, const char *won_event_id);

/* Binary forms kept in Redis. pack writes into buffer (size bytes) and
   returns the length, or 0 when it does not fit; unpack reads length
   bytes (length 0: an empty record) and returns 0, or -1 when they are
   not a record of the kind. */
size_t kpi_opportunity_pack (const kpi_opportunity_t *self, char *buffer, size_t size);
int kpi_opportunity_unpack (kpi_opportunity_t *self, const char *data, size_t length);
size_t kpi_customer_pack (const kpi_customer_t *self, char *buffer, size_t size);
int kpi_customer_unpack (kpi_customer_t *self, const char *data, size_t length);
size_t kpi_plan_pack (const kpi_plan_t *self, char *buffer, size_t size);
int kpi_plan_unpack (kpi_plan_t *self, const char *data, size_t length);

/* Room enough for any packed record. */
#define KPI_RECORD_PACKED_MAX 4096

#endif
