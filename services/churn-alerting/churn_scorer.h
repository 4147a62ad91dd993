/*  churn_scorer - churn-alerting's periodic scoring and its alerts.

    Every --scoring-interval-ms a timer (sp_notifier: the settled check,
    the outbox "churn-alerts", the metrics) scores every customer of
    every settled partition (its state holds what the log held there at
    the previous check, sp_settled_check_each; none until all were
    settled once since the start or a new model) for each period day
    from the day after its last period scored (or its first event's
    period) up to the partition's clock, at most
    CHURN_SCORER_CATCH_UP_PERIODS periods:

        --clock event   the day before the partition's watermark's day:
                        days completed in event time, so a replay of the
                        log gives the alerts the live service gave
        --clock wall    yesterday in the service's time zone (--as-of
                        DATE stands for today: for tests)

    Periods are the model's period_days: the period days are those whose
    day number (days since 1970-01-01) + 1 is a multiple of it (every day
    by default). Each period is scored (churn_score_evaluate with the
    customer's tier from the customers document in force, and, for a
    customer without its own typical interval, the population's as of
    the period day: churn_population_score with the partition's records, read
    once per scoring by churn_query_population when first needed),
    appended to the customer's score history, judged by the rules
    (churn_rules_evaluate) and stepped through the four alert lifecycles
    (churn_lifecycle_step_customer); FIRE, REPEAT and RESOLVE become
    alerts (churn_alert.h). Customers are read and decided in batches of
    CHURN_SCORER_BATCH (records with one MGET, a window's MGETs in one
    round trip; stored state with one query, churn_alert_store_read_batch;
    periods decided in memory, churn_decision), up to CHURN_SCORER_WINDOW customers, then written
    most urgent first (churn_decision_urgency: those whose alerts change
    state, then repeats, then the rest), each urgency in transactions of
    up to CHURN_SCORER_BATCH customers (churn_alert_store_write_batch: a
    compare and set per customer, the alerts' sequences claimed in the
    order written); each transaction's alerts are published after its
    commit on the PUB socket bound at --alerts: frame 0
    "churn.<severity>.<region>.<team>", frame 1 a packed
    salespulse.ChurnAlert (proto/churn.proto). The state lives in
    PostgreSQL, so a restart or another instance continues exactly where
    the last commit left; two instances scoring the same customer write
    (and publish) once.

    A partition is scanned only when its clock moved since it was last
    scored in full, or when it may hold a customer behind (a new
    customer: churn_scorer_customer_added; a customer not written or
    whose record went; a failed scoring; a new model), and every
    partition at least every minute: an idle evaluation is the settled
    check and one round trip for the clocks. With --clock event the
    handler tells of a watermark entering a new day
    (churn_scorer_day_closed) and that partition is scored at the
    scorer's next turn instead of at the next timer.

    The scorer lives on a thread of its own (churn_scorer_actor: its own
    reactor, PostgreSQL and Redis connections), so scoring never holds up
    the consumer's apply; every function here but
    churn_scorer_customer_added runs on that thread.

    Metrics: salespulse_churn_alerts_published_total{state},
    salespulse_churn_scorings_total, salespulse_churn_scoring_errors_total,
    salespulse_churn_scorings_deferred_total and the gauge
    salespulse_churn_alerts_firing.
*/
#ifndef CHURN_SCORER_H_INCLUDED
#define CHURN_SCORER_H_INCLUDED

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_reference.h"
#include "sp_config.h"
#include "sp_service.h"

/* Where alerts are published by default, and its environment variable
   (the service binds it; salesctl alerts --follow connects to it). */
#define CHURN_SCORER_ENDPOINT "tcp://127.0.0.1:5563"
#define CHURN_SCORER_ENDPOINT_ENV "SP_CHURN_ALERTS_ENDPOINT"

/* Periods a customer catches up at most in one go: older ones are not
   scored (its history then jumps over them). */
#define CHURN_SCORER_CATCH_UP_PERIODS 400

/* Customers scored together: records read in one MGET, stored state in
   one query, what they decided written in one transaction. */
#define CHURN_SCORER_BATCH 100

/* Customers of a partition decided before the first of them is
   written: within a window the customers whose alerts change state are
   written first, then those with repeats, then the rest. */
#define CHURN_SCORER_WINDOW 1000

/* Customers whose stored scoring state the scorer keeps after writing it
   (churn_known: about 800 bytes each), so their next scoring needs no
   read from PostgreSQL; beyond it, customers are read as before. */
#define CHURN_SCORER_KNOWN_MAX 100000

/* Messages a subscriber may fall behind by before the PUB socket drops
   (they are then repaired from PostgreSQL by sequence). */
#define CHURN_SCORER_SEND_HWM 10000

/* The scorer's settings, to append to the service's option table. */
/* clang-format off */
#define CHURN_SCORER_OPTIONS                                                                       \
    { "alerts", CHURN_SCORER_ENDPOINT_ENV, SP_CONFIG_STRING, CHURN_SCORER_ENDPOINT,                \
      "PUB endpoint(s) to bind for churn alerts", 0, 0 },                                          \
    { "scoring-interval-ms", "SP_CHURN_SCORING_INTERVAL_MS", SP_CONFIG_INT, "5000",                \
      "how often customers are scored up to the clock, ms (with --clock event a day close "      \
      "is also scored when it happens)", 100, 3600000 },                                           \
    { "clock", "SP_CHURN_CLOCK", SP_CONFIG_STRING, "wall",                                          \
      "what ends the periods scored: event (the day before each partition's watermark) or "       \
      "wall (yesterday)", 0, 0 },                                                                  \
    { "as-of", "SP_CHURN_AS_OF", SP_CONFIG_STRING, "",                                             \
      "with --clock wall, the day (YYYY-MM-DD) that stands for today: for tests", 0, 0 }
/* clang-format on */

typedef struct _churn_scorer_t churn_scorer_t;

/* Creates the scorer of a started service on the calling thread's own
   connections and reactor (pg, redis and loop borrowed for its life):
   reads its settings (CHURN_SCORER_OPTIONS), binds the PUB socket,
   registers the metrics and adds the timer to loop. reference is the
   model in force (borrowed until churn_scorer_set_reference replaces
   it). stopping (borrowed, or NULL), once set, ends a scoring pass
   between two transactions (the service stops; what was not written is
   scored at the next start). waiting (borrowed, or NULL) is set while
   a day close waits to be handed over: a pass then ends once every
   alert it decided is out, before the writes of the customers without
   alerts (a day close's are resumed right after the one waiting, the
   timer's at the next timer), so one day close's alert does not wait
   for the quiet writes of another's. Returns NULL with the
   reason in error. */
churn_scorer_t *churn_scorer_new (sp_service_t *service, sp_pg_t *pg, sp_redis_t *redis,
                                  zloop_t *loop, uint32_t partitions,
                                  const churn_reference_t *reference, const atomic_bool *stopping,
                                  const atomic_bool *waiting, char *error, size_t error_size);

/* Removes the timer, closes the socket, frees; no-op on NULL. */
void churn_scorer_destroy (churn_scorer_t **self_p);

/* Scores under reference from now on (borrowed), once every partition
   was built under its revision. */
void churn_scorer_set_reference (churn_scorer_t *self, const churn_reference_t *reference);

/* One scoring now (the timer calls this). Returns the alerts this
   instance wrote, or -1 (logged once, counted). */
int churn_scorer_evaluate (churn_scorer_t *self);

/* Told (churn_handler_on_day) that partition's watermark entered day:
   with --clock event that closes the day before it, so the partition is
   scored at the scorer's next turn rather than at the next timer, if
   its results were settled at the last check (otherwise, and with
   --clock wall, the timer scores it). told_us: when the handler applied
   the event that closed it (zclock_usecs), for the debug log "day close
   scored" (where the time went, once its alerts are out). Does no I/O. */
void churn_scorer_day_closed (churn_scorer_t *self, uint32_t partition, int64_t day,
                              int64_t told_us);

/* Told (churn_handler_on_customer) that partition has a new customer:
   the next evaluation scans the partition even if its clock has not
   moved (a customer whose first event is older than the clock). Does no
   I/O; may be called from any thread (the consumer's). */
void churn_scorer_customer_added (churn_scorer_t *self, uint32_t partition);

/* The last endpoint the PUB socket bound (the real port for a wildcard). */
const char *churn_scorer_endpoint (churn_scorer_t *self);

/* Pure period arithmetic (unit-tested). The first period day on or
   after day (day >= 0, period_days >= 1). */
int64_t churn_scorer_period_end (int64_t day, int64_t period_days);

/* The periods to score: from the period after last_day (when scored) or
   the one holding first_day, up to the last period day on or before
   clock, at most CHURN_SCORER_CATCH_UP_PERIODS of them (the latest).
   Returns their count (0: none) with *from the first. */
int64_t churn_scorer_periods (bool scored, int64_t last_day, int64_t first_day, int64_t clock,
                              int64_t period_days, int64_t *from);

#endif
