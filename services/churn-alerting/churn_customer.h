/*  churn_customer - what churn-alerting remembers of one customer to
    score its health: bounded, updated event by event, and kept in Redis
    in a versioned binary form (docs/health-model.md, "Customer state").

    The state is a few lists keyed by local day, each keeping the most
    recent days only:
      - money days: orders (amount >= 0), returns and credit notes (an
        order_placed with a negative amount) and payments, counted and
        summed per day (the last CHURN_CUSTOMER_MONEY_DAYS_MAX days with
        any of them);
      - engagement days: visits completed, calls and demos per day;
      - complaint days: complaints per severity per day;
      - surveys: the latest few by (occurred_at, event_id);
    the first day of any event and of any engagement, which never
    leave; and the customer's owner: the rep_id, team_id and region_id
    of the latest event (by occurred_at) that named any of them, as that
    event named them (docs/churn-alerting.md, "Owner"). A list that is
    full drops its oldest day; an event older than every kept day of a
    full list is dropped. The kept days are therefore the most recent
    days of all events applied, whatever order they came in: the same set
    of events gives the same state (and the same packed bytes) in any
    order, so late events are simply applied.

    Applying the same event twice counts it twice (orders, payments,
    engagement, complaints): the caller applies each event once (surveys
    are kept by event id and are idempotent). Amounts in a currency other
    than the reporting one count as events but add nothing to sums.

    Pure: no I/O.
*/
#ifndef CHURN_CUSTOMER_H_INCLUDED
#define CHURN_CUSTOMER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_model.h"

/* Days kept per list. Money days cover twice the longest window of the
   model (2 × 180) plus margin; engagement days the longest window. */
#define CHURN_CUSTOMER_MONEY_DAYS_MAX 400
#define CHURN_CUSTOMER_ENGAGEMENT_DAYS_MAX 192
#define CHURN_CUSTOMER_COMPLAINT_DAYS_MAX 32
#define CHURN_CUSTOMER_SURVEYS_MAX 4

/* Day numbers are 0 (1970-01-01) .. 9999-12-31. */
#define CHURN_CUSTOMER_DAY_MAX INT64_C (2932896)

/* Largest magnitude of one event's amount, minor units (docs/events.md). */
#define CHURN_CUSTOMER_AMOUNT_MAX INT64_C (1000000000000000)

/* Latest occurred_at, UTC ms (9999-12-31T23:59:59.999Z). */
#define CHURN_CUSTOMER_TIME_MAX INT64_C (253402300799999)

/* Longest event id, bytes of A-Z a-z 0-9 . _ : - */
#define CHURN_CUSTOMER_EVENT_ID_MAX 128

/* Longest rep_id, team_id or region_id, bytes of UTF-8 (docs/events.md). */
#define CHURN_CUSTOMER_OWNER_MAX 64

/* The events that change the state. */
typedef enum {
    CHURN_CUSTOMER_ORDER = 0, /* order_placed: amount may be negative (a return) */
    CHURN_CUSTOMER_PAYMENT,   /* payment_received: amount >= 0 */
    CHURN_CUSTOMER_VISIT,     /* visit_completed */
    CHURN_CUSTOMER_CALL,      /* call */
    CHURN_CUSTOMER_DEMO,      /* demo */
    CHURN_CUSTOMER_COMPLAINT, /* complaint: severity */
    CHURN_CUSTOMER_SURVEY,    /* survey: nps or csat */
} churn_customer_event_type_t;

/* A survey's scale. */
typedef enum {
    CHURN_CUSTOMER_SURVEY_NONE = 0,
    CHURN_CUSTOMER_SURVEY_NPS = 1,  /* 0..10 */
    CHURN_CUSTOMER_SURVEY_CSAT = 2, /* 1..5 */
} churn_customer_survey_t;

/* What the state needs of an event; the caller maps the SalesEvent. An
   event names an owner when any of rep_id, team_id, region_id is set
   (not NULL nor ""); occurred_at then orders it. */
typedef struct {
    churn_customer_event_type_t type;
    int64_t day;                     /* local day of occurred_at, 0..CHURN_CUSTOMER_DAY_MAX */
    int64_t occurred_at;             /* UTC ms, 1..CHURN_CUSTOMER_TIME_MAX (surveys, an owner) */
    const char *event_id;            /* surveys: 1..128 bytes; else unused, may be NULL */
    const char *rep_id;              /* NULL or 0..64 bytes of UTF-8 */
    const char *team_id;             /* NULL or 0..64 bytes of UTF-8 */
    const char *region_id;           /* NULL or 0..64 bytes of UTF-8 */
    int64_t amount_minor;            /* order, payment: minor units, |amount| <= 10^15 */
    bool reporting_currency;         /* order, payment: the amount is in the reporting currency */
    churn_model_severity_t severity; /* complaint */
    churn_customer_survey_t survey;  /* survey: its scale */
    int survey_score;                /* survey: nps 0..10 or csat 1..5 */
} churn_customer_event_t;

/* One money day. Counts and sums saturate at their type's maximum. */
typedef struct {
    int64_t day;            /* local day number */
    uint32_t orders;        /* order_placed with amount >= 0, any currency */
    int64_t ordered_minor;  /* their amounts in the reporting currency */
    uint32_t returns;       /* order_placed with amount < 0, any currency */
    int64_t returned_minor; /* minus their amounts in the reporting currency (>= 0) */
    uint32_t payments;      /* payment_received, any currency */
    int64_t paid_minor;     /* their amounts in the reporting currency */
} churn_customer_money_t;

/* One engagement day. */
typedef struct {
    int64_t day;     /* local day number */
    uint32_t visits; /* visit_completed */
    uint32_t calls;  /* call */
    uint32_t demos;  /* demo */
} churn_customer_engagement_t;

/* One complaint day. */
typedef struct {
    int64_t day;                                 /* local day number */
    uint32_t counts[CHURN_MODEL_SEVERITY_COUNT]; /* complaints per severity */
} churn_customer_complaint_t;

/* One survey answer. */
typedef struct {
    int64_t occurred_at;                            /* UTC ms */
    int64_t day;                                    /* local day number */
    churn_customer_survey_t survey;                 /* NPS or CSAT */
    int score;                                      /* nps 0..10 or csat 1..5 */
    char event_id[CHURN_CUSTOMER_EVENT_ID_MAX + 1]; /* ties of occurred_at */
} churn_customer_answer_t;

/* Who owns the customer: what the latest event naming any of them named
   ("" for what it did not name). Events of the same occurred_at naming
   different owners: the larger (rep_id, team_id, region_id), compared
   bytewise, so the owner depends on the events' contents only, not on
   their order nor their ids. */
typedef struct {
    int64_t occurred_at;                          /* that event's time, UTC ms */
    char rep_id[CHURN_CUSTOMER_OWNER_MAX + 1];    /* its rep_id, or "" */
    char team_id[CHURN_CUSTOMER_OWNER_MAX + 1];   /* its team_id, or "" */
    char region_id[CHURN_CUSTOMER_OWNER_MAX + 1]; /* its region_id, or "" */
} churn_customer_owner_t;

typedef struct _churn_customer_t churn_customer_t;

/* Room enough for any packed state: every integer a varint of at most
   CHURN_CUSTOMER_VARINT_MAX bytes (counts and days need far fewer). */
#define CHURN_CUSTOMER_VARINT_MAX 10
#define CHURN_CUSTOMER_PACKED_MAX                                                                  \
    (3 + 2 * CHURN_CUSTOMER_VARINT_MAX + CHURN_CUSTOMER_VARINT_MAX +                               \
     CHURN_CUSTOMER_MONEY_DAYS_MAX * 7 * CHURN_CUSTOMER_VARINT_MAX + CHURN_CUSTOMER_VARINT_MAX +   \
     CHURN_CUSTOMER_ENGAGEMENT_DAYS_MAX * 4 * CHURN_CUSTOMER_VARINT_MAX +                          \
     CHURN_CUSTOMER_VARINT_MAX +                                                                   \
     CHURN_CUSTOMER_COMPLAINT_DAYS_MAX * (1 + CHURN_MODEL_SEVERITY_COUNT) *                        \
         CHURN_CUSTOMER_VARINT_MAX +                                                               \
     CHURN_CUSTOMER_VARINT_MAX +                                                                   \
     CHURN_CUSTOMER_SURVEYS_MAX *                                                                  \
         (2 * CHURN_CUSTOMER_VARINT_MAX + 3 + CHURN_CUSTOMER_EVENT_ID_MAX) +                       \
     CHURN_CUSTOMER_VARINT_MAX + 3 * (1 + CHURN_CUSTOMER_OWNER_MAX))

/* A customer that has seen no event; NULL when out of memory. */
churn_customer_t *churn_customer_new (void);

/* Destroys the state; no-op on NULL; sets *self_p to NULL. */
void churn_customer_destroy (churn_customer_t **self_p);

/* Applies one event. Returns 0, or -1 with the state untouched when the
   event is not valid (unknown type, day or time out of range, amount out
   of range or a negative payment, unknown severity, survey scale or
   score out of range, bad survey event id; an owner id longer than 64
   bytes or not UTF-8, or an event naming an owner without a valid
   occurred_at). */
int churn_customer_apply (churn_customer_t *self, const churn_customer_event_t *event);

/* True with *day set when the customer has any event (any engagement):
   the earliest day of one, kept even when its list dropped it. */
bool churn_customer_first_day (const churn_customer_t *self, int64_t *day);
bool churn_customer_first_engagement_day (const churn_customer_t *self, int64_t *day);

/* The owner, borrowed until the next change; NULL when no event applied
   named a rep, team or region. */
const churn_customer_owner_t *churn_customer_owner (const churn_customer_t *self);

/* The lists, oldest day first (surveys: latest first); index < count
   (asserted); entries borrowed until the next change. */
size_t churn_customer_money_count (const churn_customer_t *self);
const churn_customer_money_t *churn_customer_money (const churn_customer_t *self, size_t index);
size_t churn_customer_engagement_count (const churn_customer_t *self);
const churn_customer_engagement_t *churn_customer_engagement (const churn_customer_t *self,
                                                              size_t index);
size_t churn_customer_complaint_count (const churn_customer_t *self);
const churn_customer_complaint_t *churn_customer_complaint (const churn_customer_t *self,
                                                            size_t index);
size_t churn_customer_answer_count (const churn_customer_t *self);
const churn_customer_answer_t *churn_customer_answer (const churn_customer_t *self, size_t index);

/* Binary form kept in Redis (version 3, varints: churn_customer.c):
   writes into buffer (size bytes) and returns the length, or 0 when it
   does not fit (CHURN_CUSTOMER_PACKED_MAX always fits, and is the fast
   case: a smaller buffer costs a copy). */
size_t churn_customer_pack (const churn_customer_t *self, char *buffer, size_t size);

/* Reads length bytes written by churn_customer_pack (length 0: a customer
   without events) into self. Returns 0, or -1 with self untouched when
   they are not a valid state of this version. */
int churn_customer_unpack (churn_customer_t *self, const char *data, size_t length);

/* A new state read from length bytes written by churn_customer_pack, as
   churn_customer_unpack reads them into an existing one but without the
   copy (the state is read in place). Returns it with *valid true; NULL
   with *valid false when the bytes are not a valid state of this version,
   NULL with *valid true when memory runs out. */
churn_customer_t *churn_customer_read (const char *data, size_t length, bool *valid);

#endif
