/*  churn_decision - a customer's periods decided in memory (see
    churn_decision.h). */
#include "churn_decision.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sp_array.h"
#include "sp_error.h"

/* Alerts room at the first. */
#define S_ALERTS_INITIAL 8

static int
s_add_alert (churn_decision_t *self, const churn_alert_t *alert)
{
    if (sp_array_reserve ((void **) &self->alerts, &self->alert_capacity, self->alert_count + 1,
                          sizeof *self->alerts, S_ALERTS_INITIAL) != 0)
        return -1;
    self->alerts[self->alert_count++] = *alert;
    return 0;
}

/* Decides one period day: appends it to the history, steps the states,
   adds the alerts. */
static int
s_period (churn_decision_t *self, const churn_rules_settings_t *settings, const char *id,
          const churn_customer_t *customer, int64_t day, churn_decision_score_fn *score_fn,
          void *arg, char *error, size_t error_size)
{
    churn_score_t score;
    churn_rules_period_t period;
    churn_rules_condition_t conditions[CHURN_RULES_COUNT];
    churn_lifecycle_action_t actions[CHURN_RULES_COUNT];
    int64_t fired[CHURN_RULES_COUNT];
    if (score_fn (arg, id, customer, day, &score, error, error_size) != 0)
        return -1;
    churn_history_period (&score, &period);
    if (churn_history_append (&self->history, &period) != 0 ||
        churn_rules_evaluate (settings, self->history.periods, self->history.count, conditions) !=
            0) {
        sp_error_set (error, error_size, "the score history of \"%s\" does not take day %" PRId64,
                      id, day);
        return -1;
    }
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        fired[rule] = self->states[rule].fired_day;
    if (churn_lifecycle_step_customer (self->states, settings, conditions, actions) != 0) {
        sp_error_set (error, error_size, "the alerts of \"%s\" were stepped on day %" PRId64, id,
                      day);
        return -1;
    }
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        churn_lifecycle_action_t action = actions[rule];
        if (action != CHURN_LIFECYCLE_FIRE && action != CHURN_LIFECYCLE_REPEAT &&
            action != CHURN_LIFECYCLE_RESOLVE)
            continue;
        churn_alert_t alert;
        int64_t fired_day =
            action == CHURN_LIFECYCLE_RESOLVE ? fired[rule] : self->states[rule].fired_day;
        if (churn_alert_build (&alert, id, &conditions[rule], action, fired_day, &self->history,
                               &score, churn_customer_owner (customer)) != 0 ||
            s_add_alert (self, &alert) != 0) {
            sp_error_set (error, error_size, "could not make the alert of \"%s\"", id);
            return -1;
        }
    }
    return 0;
}

int
churn_decision_make (churn_decision_t *self, const churn_rules_settings_t *settings, const char *id,
                     const churn_customer_t *customer, const churn_history_t *history,
                     const churn_lifecycle_t states[CHURN_RULES_COUNT], int64_t from, int64_t count,
                     int64_t period_days, churn_decision_score_fn *score, void *arg, char *error,
                     size_t error_size)
{
    assert (self && settings && id && customer && history && states && score);
    assert (count >= 1 && period_days >= 1);
    memset (self, 0, sizeof *self);
    self->history = *history;
    memcpy (self->states, states, sizeof self->states);
    for (int64_t index = 0; index < count; index++)
        if (s_period (self, settings, id, customer, from + index * period_days, score, arg, error,
                      error_size) != 0) {
            churn_decision_clear (self);
            return -1;
        }
    return 0;
}

void
churn_decision_clear (churn_decision_t *self)
{
    assert (self);
    free (self->alerts);
    memset (self, 0, sizeof *self);
}

int
churn_decision_urgency (const churn_decision_t *self)
{
    assert (self);
    for (size_t index = 0; index < self->alert_count; index++)
        if (self->alerts[index].action != CHURN_LIFECYCLE_REPEAT)
            return CHURN_DECISION_URGENT;
    return self->alert_count ? CHURN_DECISION_REPEATS : CHURN_DECISION_QUIET;
}
