/*  churn_decision - what scoring a customer's periods decides, in memory:
    from the stored score history and lifecycles, each period day is
    scored (by the caller's function: the model, the tier, the
    population), appended to the history, judged by the rules
    (churn_rules_evaluate) and stepped through the four lifecycles
    (churn_lifecycle_step_customer); FIRE, REPEAT and RESOLVE become
    alerts (churn_alert_build), in the order decided: period by period,
    rule by rule.

    The scorer decides a batch of customers this way between one read
    and one transaction (churn_scorer_batch.c, churn_alert_store.h); nothing
    here knows where the state lives. Pure: no I/O of its own (the score
    function is the caller's).
*/
#ifndef CHURN_DECISION_H_INCLUDED
#define CHURN_DECISION_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "churn_alert.h"
#include "churn_customer.h"
#include "churn_history.h"
#include "churn_lifecycle.h"
#include "churn_rules.h"
#include "churn_score.h"

/* Scores customer (its id, its state) as of day into *score. Returns 0,
   or -1 with the reason in error. */
typedef int (churn_decision_score_fn) (void *arg, const char *id, const churn_customer_t *customer,
                                       int64_t day, churn_score_t *score, char *error,
                                       size_t error_size);

/* One customer's decision. */
typedef struct {
    churn_history_t history;                     /* the score history after the periods */
    churn_lifecycle_t states[CHURN_RULES_COUNT]; /* the lifecycles after, by rule */
    churn_alert_t *alerts;                       /* owned: [alert_count], in the order decided */
    size_t alert_count;                          /* alerts decided */
    size_t alert_capacity;                       /* room in alerts */
} churn_decision_t;

/* Decides count periods (>= 1) of customer id, the period days from,
   from + period_days, ..., starting from history and states (as stored),
   with settings, each scored by score (arg its argument). Returns 0 with
   *self set (free its alerts with churn_decision_clear), or -1 with the
   reason in error (*self cleared). */
int churn_decision_make (churn_decision_t *self, const churn_rules_settings_t *settings,
                         const char *id, const churn_customer_t *customer,
                         const churn_history_t *history,
                         const churn_lifecycle_t states[CHURN_RULES_COUNT], int64_t from,
                         int64_t count, int64_t period_days, churn_decision_score_fn *score,
                         void *arg, char *error, size_t error_size);

/* How soon a decision should be stored and its alerts published: 0 when
   it changes an alert's state (a FIRE or a RESOLVE), 1 when it only
   repeats firing alerts, 2 when it decided no alert. The scorer writes
   the customers it decided in this order (churn_scorer.h), so an alert
   does not wait for the customers that decided none. */
int churn_decision_urgency (const churn_decision_t *self);
#define CHURN_DECISION_URGENT 0  /* a FIRE or a RESOLVE */
#define CHURN_DECISION_REPEATS 1 /* repeats only */
#define CHURN_DECISION_QUIET 2   /* no alert */

/* Frees the alerts and empties the decision; no-op on one cleared. */
void churn_decision_clear (churn_decision_t *self);

#endif
