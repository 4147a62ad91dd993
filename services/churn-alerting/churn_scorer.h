/*  churn_scorer - churn-alerting's periodic scoring and its alerts.

    Every --scoring-interval-ms a timer (sp_notifier: the settled check,
    the outbox "churn-alerts", the metrics) scores, once the customer
    state holds what the log held at the previous check, every customer
    of every partition (the partition's set of customers, records read
    with MGET in batches) for each period day from the day after its last
    period scored (or its first event's period) up to the partition's
    clock, at most CHURN_SCORER_CATCH_UP_PERIODS periods:

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
    alerts (churn_alert.h). Customers are scored in batches of
    CHURN_SCORER_BATCH: their records read with one MGET, their stored
    state with one query (churn_alert_store_read_batch), their periods
    decided in memory (churn_decision), and their histories, lifecycles
    and alerts stored in one transaction (churn_alert_store_write_batch:
    a compare and set per customer, the alerts' sequences claimed in the
    batch's order); each batch's alerts are published after its commit
    on the PUB socket bound at --alerts: frame 0
    "churn.<severity>.<region>.<team>", frame 1 a packed
    salespulse.ChurnAlert (proto/churn.proto). The state lives in
    PostgreSQL, so a restart or another instance continues exactly where
    the last commit left; two instances scoring the same customer write
    (and publish) once.

    Metrics: salespulse_churn_alerts_published_total{state},
    salespulse_churn_scorings_total, salespulse_churn_scoring_errors_total,
    salespulse_churn_scorings_deferred_total and the gauge
    salespulse_churn_alerts_firing.
*/
#ifndef CHURN_SCORER_H_INCLUDED
#define CHURN_SCORER_H_INCLUDED

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

/* Messages a subscriber may fall behind by before the PUB socket drops
   (they are then repaired from PostgreSQL by sequence). */
#define CHURN_SCORER_SEND_HWM 10000

/* The scorer's settings, to append to the service's option table. */
/* clang-format off */
#define CHURN_SCORER_OPTIONS                                                                       \
    { "alerts", CHURN_SCORER_ENDPOINT_ENV, SP_CONFIG_STRING, CHURN_SCORER_ENDPOINT,                \
      "PUB endpoint(s) to bind for churn alerts", 0, 0 },                                          \
    { "scoring-interval-ms", "SP_CHURN_SCORING_INTERVAL_MS", SP_CONFIG_INT, "5000",                \
      "how often customers are scored up to the clock, ms", 100, 3600000 },                        \
    { "clock", "SP_CHURN_CLOCK", SP_CONFIG_STRING, "wall",                                          \
      "what ends the periods scored: event (the day before each partition's watermark) or "       \
      "wall (yesterday)", 0, 0 },                                                                  \
    { "as-of", "SP_CHURN_AS_OF", SP_CONFIG_STRING, "",                                             \
      "with --clock wall, the day (YYYY-MM-DD) that stands for today: for tests", 0, 0 }
/* clang-format on */

typedef struct _churn_scorer_t churn_scorer_t;

/* Creates the scorer on a started service (PostgreSQL and Redis
   connected): reads its settings (CHURN_SCORER_OPTIONS), binds the PUB
   socket, registers the metrics and adds the timer. reference is the
   model in force (borrowed until churn_scorer_set_reference replaces
   it). Returns NULL with the reason in error. */
churn_scorer_t *churn_scorer_new (sp_service_t *service, uint32_t partitions,
                                  const churn_reference_t *reference, char *error,
                                  size_t error_size);

/* Removes the timer, closes the socket, frees; no-op on NULL. */
void churn_scorer_destroy (churn_scorer_t **self_p);

/* Scores under reference from now on (borrowed), once every partition
   was built under its revision. */
void churn_scorer_set_reference (churn_scorer_t *self, const churn_reference_t *reference);

/* One scoring now (the timer calls this). Returns the alerts this
   instance wrote, or -1 (logged once, counted). */
int churn_scorer_evaluate (churn_scorer_t *self);

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
