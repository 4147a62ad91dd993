/*  churn_alert - one churn alert message (see churn_alert.h). */
#include "churn_alert.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sp_civil.h"
#include "sp_error.h"
#include "sp_event.h"

#define S_BASIS_POINTS 10000.0

int
churn_alert_build (churn_alert_t *out, const char *customer,
                   const churn_rules_condition_t *condition, churn_lifecycle_action_t action,
                   int64_t fired_day, const churn_history_t *history, const churn_score_t *score,
                   const churn_customer_owner_t *owner)
{
    assert (out && customer && condition && history && score);
    assert (action == CHURN_LIFECYCLE_FIRE || action == CHURN_LIFECYCLE_REPEAT ||
            action == CHURN_LIFECYCLE_RESOLVE);
    assert (history->count >= 1);
    const churn_rules_period_t *latest = &history->periods[history->count - 1];
    assert (latest->day == condition->day && score->as_of_day == condition->day);
    size_t length = strlen (customer);
    if (length == 0 || length > CHURN_ALERT_CUSTOMER_MAX)
        return -1;
    churn_alert_t alert;
    memset (&alert, 0, sizeof alert);
    memcpy (alert.customer_id, customer, length + 1);
    alert.rule = condition->rule;
    alert.severity = condition->severity;
    alert.action = action;
    alert.day = condition->day;
    alert.has_score = latest->has_score;
    alert.score = latest->has_score ? latest->score : 0;
    alert.band = latest->has_score ? latest->band : CHURN_BAND_RED;
    alert.previous_count = history->count - 1;
    for (size_t index = 0; index < alert.previous_count; index++)
        alert.previous[index] = history->periods[index].has_score ? history->periods[index].score
                                                                  : CHURN_ALERT_NO_SCORE;
    alert.factor_count = score->factor_count;
    for (size_t index = 0; index < score->factor_count; index++) {
        churn_model_measure_t measure = score->factors[index];
        const churn_score_measure_t *part = &score->measures[measure];
        alert.factors[index] =
            (churn_alert_factor_t){ measure, part->value, part->score, part->weight_bp };
    }
    alert.has_interval = latest->has_interval;
    alert.days_since_order = latest->has_interval ? latest->days_since_order : 0;
    alert.typical_interval_days = latest->has_interval ? latest->typical_interval_days : 0;
    alert.fired_day = fired_day;
    if (owner) {
        snprintf (alert.owner_rep, sizeof alert.owner_rep, "%s", owner->rep_id);
        snprintf (alert.owner_team, sizeof alert.owner_team, "%s", owner->team_id);
        snprintf (alert.owner_region, sizeof alert.owner_region, "%s", owner->region_id);
    }
    *out = alert;
    return 0;
}

churn_alert_state_t
churn_alert_state (churn_lifecycle_action_t action)
{
    return action == CHURN_LIFECYCLE_RESOLVE ? CHURN_ALERT_RESOLVED : CHURN_ALERT_FIRING;
}

const char *
churn_alert_state_name (churn_alert_state_t state)
{
    assert (state == CHURN_ALERT_FIRING || state == CHURN_ALERT_RESOLVED);
    return state == CHURN_ALERT_FIRING ? "firing" : "resolved";
}

int
churn_alert_band_parse (const char *text, churn_band_t *band)
{
    assert (text && band);
    static const churn_band_t bands[] = { CHURN_BAND_RED, CHURN_BAND_YELLOW, CHURN_BAND_GREEN };
    for (size_t index = 0; index < sizeof bands / sizeof bands[0]; index++)
        if (strcmp (text, churn_score_band_name (bands[index])) == 0) {
            *band = bands[index];
            return 0;
        }
    return -1;
}

int
churn_alert_day_parse (const char *text, int64_t *day)
{
    assert (text && day);
    int64_t value;
    if (sp_civil_date_parse (text, &value) != 0 || value < 0 || value > CHURN_CUSTOMER_DAY_MAX)
        return -1;
    *day = value;
    return 0;
}

int
churn_alert_topic (char *buffer, size_t size, const churn_alert_t *alert)
{
    assert (buffer && size > 0 && alert);
    int length = snprintf (buffer, size, CHURN_ALERT_TOPIC_PREFIX "%s.%s.%s",
                           churn_rules_severity_name (alert->severity),
                           *alert->owner_region ? alert->owner_region : CHURN_ALERT_TOPIC_NONE,
                           *alert->owner_team ? alert->owner_team : CHURN_ALERT_TOPIC_NONE);
    if (length < 0 || (size_t) length >= size) {
        buffer[0] = '\0';
        return -1;
    }
    return length;
}

void
churn_alert_to_message (const churn_alert_t *alert, churn_alert_message_t *out)
{
    assert (alert && out);
    memset (out, 0, sizeof *out);
    Salespulse__ChurnAlert *message = &out->message;
    salespulse__churn_alert__init (message);
    message->alert_seq = (uint64_t) alert->sequence;
    message->customer_id = (char *) alert->customer_id;
    message->rule = (char *) churn_rules_rule_name (alert->rule);
    message->severity = alert->severity == CHURN_RULES_CRITICAL
                            ? SALESPULSE__CHURN_ALERT__SEVERITY__CRITICAL
                            : SALESPULSE__CHURN_ALERT__SEVERITY__WARNING;
    message->state = churn_alert_state (alert->action) == CHURN_ALERT_FIRING
                         ? SALESPULSE__CHURN_ALERT__STATE__FIRING
                         : SALESPULSE__CHURN_ALERT__STATE__RESOLVED;
    message->action = alert->action == CHURN_LIFECYCLE_FIRE ? SALESPULSE__CHURN_ALERT__ACTION__FIRE
                      : alert->action == CHURN_LIFECYCLE_REPEAT
                          ? SALESPULSE__CHURN_ALERT__ACTION__REPEAT
                          : SALESPULSE__CHURN_ALERT__ACTION__RESOLVE;
    sp_civil_date_label (alert->day, out->occurred_day);
    sp_civil_date_label (alert->fired_day, out->fired_day);
    message->occurred_day = out->occurred_day;
    message->fired_day = out->fired_day;
    message->has_score = alert->has_score;
    message->score = alert->has_score ? alert->score : 0;
    message->band = (char *) (alert->has_score ? churn_score_band_name (alert->band) : "");
    for (size_t index = 0; index < alert->previous_count; index++)
        out->previous[index] = alert->previous[index];
    message->n_previous_scores = alert->previous_count;
    message->previous_scores = out->previous;
    for (size_t index = 0; index < alert->factor_count; index++) {
        Salespulse__ChurnAlert__Factor *factor = &out->factors[index];
        salespulse__churn_alert__factor__init (factor);
        factor->measure = (char *) churn_model_measure_name (alert->factors[index].measure);
        factor->value = alert->factors[index].value;
        factor->score = alert->factors[index].score;
        factor->weight_bp = (int32_t) alert->factors[index].weight_bp;
        out->factor_pointers[index] = factor;
    }
    message->n_factors = alert->factor_count;
    message->factors = out->factor_pointers;
    message->has_interval = alert->has_interval;
    message->days_since_order = alert->days_since_order;
    message->typical_interval_days = alert->typical_interval_days;
    message->owner_rep = (char *) alert->owner_rep;
    message->owner_team = (char *) alert->owner_team;
    message->owner_region = (char *) alert->owner_region;
    message->created_at_ms = alert->created_at_ms;
}

/* A text field of 0..max bytes of UTF-8 (1.. when required). */
static bool
s_text_valid (const char *text, size_t max, bool required)
{
    if (!text)
        return false;
    size_t length = strlen (text);
    return length <= max && (!required || length > 0) && sp_event_utf8_valid (text, length);
}

int
churn_alert_from_message (const Salespulse__ChurnAlert *message, churn_alert_t *out, char *error,
                          size_t error_size)
{
    assert (message && out);
    churn_alert_t alert;
    memset (&alert, 0, sizeof alert);
    if (message->alert_seq < 1 || message->alert_seq > INT64_MAX) {
        sp_error_set (error, error_size, "alert_seq %" PRIu64 " is not in 1..2^63-1",
                      message->alert_seq);
        return -1;
    }
    alert.sequence = (int64_t) message->alert_seq;
    if (!s_text_valid (message->customer_id, CHURN_ALERT_CUSTOMER_MAX, true) ||
        !s_text_valid (message->owner_rep, CHURN_ALERT_OWNER_MAX, false) ||
        !s_text_valid (message->owner_team, CHURN_ALERT_OWNER_MAX, false) ||
        !s_text_valid (message->owner_region, CHURN_ALERT_OWNER_MAX, false)) {
        sp_error_set (error, error_size, "a customer or owner id is empty, too long or not UTF-8");
        return -1;
    }
    snprintf (alert.customer_id, sizeof alert.customer_id, "%s", message->customer_id);
    snprintf (alert.owner_rep, sizeof alert.owner_rep, "%s", message->owner_rep);
    snprintf (alert.owner_team, sizeof alert.owner_team, "%s", message->owner_team);
    snprintf (alert.owner_region, sizeof alert.owner_region, "%s", message->owner_region);
    if (!message->rule || churn_rules_rule_parse (message->rule, &alert.rule) != 0) {
        sp_error_set (error, error_size, "unknown rule");
        return -1;
    }
    if (message->severity == SALESPULSE__CHURN_ALERT__SEVERITY__CRITICAL)
        alert.severity = CHURN_RULES_CRITICAL;
    else if (message->severity == SALESPULSE__CHURN_ALERT__SEVERITY__WARNING)
        alert.severity = CHURN_RULES_WARNING;
    else {
        sp_error_set (error, error_size, "unknown severity %d", (int) message->severity);
        return -1;
    }
    bool firing = message->state == SALESPULSE__CHURN_ALERT__STATE__FIRING;
    if (firing && message->action == SALESPULSE__CHURN_ALERT__ACTION__FIRE)
        alert.action = CHURN_LIFECYCLE_FIRE;
    else if (firing && message->action == SALESPULSE__CHURN_ALERT__ACTION__REPEAT)
        alert.action = CHURN_LIFECYCLE_REPEAT;
    else if (message->state == SALESPULSE__CHURN_ALERT__STATE__RESOLVED &&
             message->action == SALESPULSE__CHURN_ALERT__ACTION__RESOLVE)
        alert.action = CHURN_LIFECYCLE_RESOLVE;
    else {
        sp_error_set (error, error_size, "state %d and action %d do not go together",
                      (int) message->state, (int) message->action);
        return -1;
    }
    if (!message->occurred_day || churn_alert_day_parse (message->occurred_day, &alert.day) != 0 ||
        !message->fired_day || churn_alert_day_parse (message->fired_day, &alert.fired_day) != 0 ||
        alert.fired_day > alert.day) {
        sp_error_set (error, error_size, "occurred_day or fired_day is not a day, or out of order");
        return -1;
    }
    alert.has_score = message->has_score;
    if (alert.has_score &&
        (message->score < CHURN_SCORE_MIN || message->score > CHURN_SCORE_MAX || !message->band ||
         churn_alert_band_parse (message->band, &alert.band) != 0)) {
        sp_error_set (error, error_size, "score %d or its band is not valid", (int) message->score);
        return -1;
    }
    alert.score = alert.has_score ? message->score : 0;
    if (message->n_previous_scores > CHURN_ALERT_PREVIOUS_MAX ||
        message->n_factors > CHURN_MODEL_MEASURE_COUNT) {
        sp_error_set (error, error_size, "too many previous scores or factors");
        return -1;
    }
    alert.previous_count = message->n_previous_scores;
    for (size_t index = 0; index < alert.previous_count; index++) {
        int32_t previous = message->previous_scores[index];
        if (previous != CHURN_ALERT_NO_SCORE &&
            (previous < CHURN_SCORE_MIN || previous > CHURN_SCORE_MAX)) {
            sp_error_set (error, error_size, "previous score %d is not valid", (int) previous);
            return -1;
        }
        alert.previous[index] = previous;
    }
    alert.factor_count = message->n_factors;
    for (size_t index = 0; index < alert.factor_count; index++) {
        const Salespulse__ChurnAlert__Factor *factor = message->factors[index];
        churn_alert_factor_t *into = &alert.factors[index];
        if (!factor || !factor->measure ||
            churn_model_measure_parse (factor->measure, &into->measure) != 0 ||
            factor->score < CHURN_SCORE_MIN || factor->score > CHURN_SCORE_MAX ||
            factor->weight_bp < 0 || factor->weight_bp > CHURN_RULES_BASIS_POINTS) {
            sp_error_set (error, error_size, "factor %zu is not valid", index + 1);
            return -1;
        }
        into->value = factor->value;
        into->score = factor->score;
        into->weight_bp = (uint32_t) factor->weight_bp;
    }
    alert.has_interval = message->has_interval;
    if (alert.has_interval &&
        (message->days_since_order < 0 || message->days_since_order > CHURN_RULES_DAYS_MAX ||
         message->typical_interval_days < 1 ||
         message->typical_interval_days > CHURN_RULES_DAYS_MAX)) {
        sp_error_set (error, error_size, "the interval fields are out of range");
        return -1;
    }
    alert.days_since_order = alert.has_interval ? message->days_since_order : 0;
    alert.typical_interval_days = alert.has_interval ? message->typical_interval_days : 0;
    alert.created_at_ms = message->created_at_ms;
    *out = alert;
    return 0;
}

json_t *
churn_alert_json (const churn_alert_t *alert)
{
    assert (alert);
    char day[CHURN_ALERT_DAY_SIZE], fired[CHURN_ALERT_DAY_SIZE];
    sp_civil_date_label (alert->day, day);
    sp_civil_date_label (alert->fired_day, fired);
    json_t *previous = json_array ();
    json_t *factors = json_array ();
    for (size_t index = 0; previous && index < alert->previous_count; index++)
        json_array_append_new (previous, alert->previous[index] == CHURN_ALERT_NO_SCORE
                                             ? json_null ()
                                             : json_integer (alert->previous[index]));
    for (size_t index = 0; factors && index < alert->factor_count; index++) {
        const churn_alert_factor_t *factor = &alert->factors[index];
        json_array_append_new (factors,
                               json_pack ("{s:s, s:I, s:i, s:f}", "measure",
                                          churn_model_measure_name (factor->measure), "value",
                                          (json_int_t) factor->value, "score", factor->score,
                                          "weight", factor->weight_bp / S_BASIS_POINTS));
    }
    if (!previous || !factors) {
        json_decref (previous);
        json_decref (factors);
        return NULL;
    }
    return json_pack (
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:s, "
        "s:I}",
        "alert_seq", (json_int_t) alert->sequence, "customer_id", alert->customer_id, "rule",
        churn_rules_rule_name (alert->rule), "severity",
        churn_rules_severity_name (alert->severity), "state",
        churn_alert_state_name (churn_alert_state (alert->action)), "action",
        churn_lifecycle_action_name (alert->action), "occurred_at", day, "score",
        alert->has_score ? json_integer (alert->score) : json_null (), "band",
        alert->has_score ? json_string (churn_score_band_name (alert->band)) : json_null (),
        "previous_scores", previous, "factors", factors, "days_since_order",
        alert->has_interval ? json_integer (alert->days_since_order) : json_null (),
        "typical_interval_days",
        alert->has_interval ? json_integer (alert->typical_interval_days) : json_null (),
        "fired_day", fired, "owner_rep", alert->owner_rep, "owner_team", alert->owner_team,
        "owner_region", alert->owner_region, "created_at_ms", (json_int_t) alert->created_at_ms);
}
