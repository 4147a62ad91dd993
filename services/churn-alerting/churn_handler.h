/*  churn_handler - churn-alerting's consumer handler: keeps each
    customer's health state (churn_customer.h) up to date, event by event.

    Events with a customer_id of the types the health model uses are
    mapped to a churn_customer_event_t (churn_handler_map): order_placed
    (amount, negative for a return or credit note), payment_received
    (amount), visit_completed, call, demo, complaint (severity) and survey
    (NPS or CSAT). The day is the local day of occurred_at in the
    service's time zone; amounts count only in the reporting currency
    (others count as events); the rep_id, team_id and region_id it names
    make the customer's owner when it is the latest to name one. Every
    other event is ignored.

    For each mapped event the customer's record is read through the view
    (declared in begin), the event applied, and the record written back
    packed; the record is unpacked once per run (its first event there):
    the view keeps the parse with the value put, and the customer's later
    events in the run apply to it (sp_consumer_view_put_decoded); a new customer joins the partition's set of customers; the
    partition's watermark (the latest occurred_at applied) moves forward
    (churn_keys.h). A stored record or watermark that does not read
    fails the event with a reason naming the key (retried, then
    quarantined).

    The state depends only on the set of events applied, not their order
    (churn_customer.h): late events are applied like any other, and a
    rebuild replays to the same bytes. The health model does not enter the
    state: it is applied when scoring.

    A day-change hook (churn_handler_on_day) tells the scorer when an
    event moves a partition's watermark into a later local day: with
    --clock event that closes a day to score, so the scorer evaluates at
    once instead of at its next timer (churn_scorer_day_closed). The hook
    is a hint only: it is called while the event is applied, before its
    step is committed (a step refused and retried calls it again), and
    the scorer reads the committed watermark itself. Likewise a new
    customer is told (churn_handler_on_customer), so the scorer looks at
    the partition again although its clock did not move
    (churn_scorer_customer_added).

    Deterministic, no I/O, no clock. One handler per consumer (it keeps
    scratch space): not thread-safe.
*/
#ifndef CHURN_HANDLER_H_INCLUDED
#define CHURN_HANDLER_H_INCLUDED

#include "churn_customer.h"
#include "event.pb-c.h"
#include "sp_consumer.h"
#include "sp_tz.h"

/* An ISO-4217 code and its NUL. */
#define CHURN_HANDLER_CURRENCY_SIZE 4

typedef struct _churn_handler_t churn_handler_t;

/* A handler cutting days in tz (borrowed, must outlive the handler) and
   summing amounts in currency (three letters, copied). Returns NULL when
   out of memory. */
churn_handler_t *churn_handler_new (const sp_tz_t *tz, const char *currency);

/* Destroys the handler; no-op on NULL; sets *self_p to NULL. */
void churn_handler_destroy (churn_handler_t **self_p);

/* Told that an event of partition moved its watermark into local day
   (a later day than the stored watermark's, or the partition's first). */
typedef void (churn_handler_day_fn) (void *arg, uint32_t partition, int64_t day);

/* Calls day (arg its argument; NULL: none) on every watermark that
   enters a later day. */
void churn_handler_on_day (churn_handler_t *self, churn_handler_day_fn *day, void *arg);

/* Told that an event of partition made a new customer (added to the
   partition's set). */
typedef void (churn_handler_customer_fn) (void *arg, uint32_t partition);

/* Calls customer (arg its argument; NULL: none) on every new customer. */
void churn_handler_on_customer (churn_handler_t *self, churn_handler_customer_fn *customer,
                                void *arg);

/* The consumer's view of the handler (begin and apply, arg self). */
sp_consumer_handler_t churn_handler_consumer (churn_handler_t *self);

/* Maps event (its id event_id, borrowed into out->event_id; its rep_id,
   team_id and region_id borrowed too) to what the
   customer state needs. Returns 1 with *out set, 0 when the handler
   ignores the event (no customer_id, a type the model does not use, no
   body, an unknown severity or survey scale), or -1 with the reason when
   occurred_at has no local day in years 1..9999. */
int churn_handler_map (const churn_handler_t *self, const Salespulse__SalesEvent *event,
                       const char *event_id, churn_customer_event_t *out, char *error,
                       size_t error_size);

#endif
