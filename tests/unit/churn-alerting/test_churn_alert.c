/*  test_churn_alert - one churn alert message (churn_alert): built from a
    period's scoring and condition, its topic, the wire message read back
    to the same alert, every invalid message refused with the output
    untouched, the spellings read back, and the JSON of salesctl.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "churn_alert.h"

#define FILL 0x5a
#define DAY 20317 /* 2025-08-17 */
#define ERROR_SIZE 256

/* A history of three periods ending at DAY (the first not scored) and
   the score of DAY: recency then payment. */
static void
s_scoring (churn_history_t *history, churn_score_t *score)
{
    churn_history_init (history);
    churn_rules_period_t period;
    memset (&period, 0, sizeof period);
    period.day = DAY - 2;
    churn_history_append (history, &period);
    period.day = DAY - 1;
    period.has_score = true;
    period.score = 60;
    period.band = CHURN_BAND_YELLOW;
    churn_history_append (history, &period);
    period.day = DAY;
    period.score = 56;
    period.has_interval = true;
    period.days_since_order = 63;
    period.typical_interval_days = 31;
    churn_history_append (history, &period);
    memset (score, 0, sizeof *score);
    score->as_of_day = DAY;
    score->has_score = true;
    score->score = 56;
    score->band = CHURN_BAND_YELLOW;
    score->factor_count = 2;
    score->factors[0] = CHURN_MODEL_RECENCY;
    score->factors[1] = CHURN_MODEL_PAYMENT;
    score->measures[CHURN_MODEL_RECENCY] = (churn_score_measure_t){ .has_data = true,
                                                                    .value = 20322,
                                                                    .current = 63,
                                                                    .previous = 31,
                                                                    .score = 48,
                                                                    .weight_bp = 2500 };
    score->measures[CHURN_MODEL_PAYMENT] = (churn_score_measure_t){
        .has_data = true, .value = 10000, .score = 100, .weight_bp = 1000
    };
}

static void
s_alert (churn_alert_t *alert)
{
    churn_history_t history;
    churn_score_t score;
    s_scoring (&history, &score);
    churn_rules_condition_t condition;
    memset (&condition, 0, sizeof condition);
    condition.rule = CHURN_RULES_OVERDUE;
    condition.severity = CHURN_RULES_CRITICAL;
    condition.day = DAY;
    condition.judged = true;
    condition.holds = true;
    assert_int_equal (churn_alert_build (alert, "cust-stop", &condition, CHURN_LIFECYCLE_FIRE, DAY,
                                         &history, &score, NULL),
                      0);
}

static void
test_build (void **state)
{
    (void) state;
    churn_alert_t alert;
    s_alert (&alert);
    assert_string_equal (alert.customer_id, "cust-stop");
    assert_int_equal (alert.rule, CHURN_RULES_OVERDUE);
    assert_int_equal (alert.severity, CHURN_RULES_CRITICAL);
    assert_int_equal (alert.day, DAY);
    assert_true (alert.has_score);
    assert_int_equal (alert.score, 56);
    assert_int_equal (alert.previous_count, 2);
    assert_int_equal (alert.previous[0], CHURN_ALERT_NO_SCORE);
    assert_int_equal (alert.previous[1], 60);
    assert_int_equal (alert.factor_count, 2);
    assert_int_equal (alert.factors[0].measure, CHURN_MODEL_RECENCY);
    assert_int_equal (alert.factors[0].score, 48);
    assert_int_equal (alert.factors[0].weight_bp, 2500);
    assert_true (alert.has_interval);
    assert_int_equal (alert.days_since_order, 63);
    assert_int_equal (alert.typical_interval_days, 31);
    assert_int_equal (churn_alert_state (alert.action), CHURN_ALERT_FIRING);
    assert_int_equal (churn_alert_state (CHURN_LIFECYCLE_RESOLVE), CHURN_ALERT_RESOLVED);
    assert_string_equal (churn_alert_state_name (CHURN_ALERT_RESOLVED), "resolved");
    /* no owner known: empty */
    assert_string_equal (alert.owner_rep, "");
    assert_string_equal (alert.owner_team, "");
    assert_string_equal (alert.owner_region, "");

    /* a customer id too long is refused, the output untouched */
    char long_id[CHURN_ALERT_CUSTOMER_MAX + 2];
    memset (long_id, 'c', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    churn_history_t history;
    churn_score_t score;
    s_scoring (&history, &score);
    churn_rules_condition_t condition = { .rule = CHURN_RULES_OVERDUE, .day = DAY };
    churn_alert_t untouched;
    memset (&untouched, FILL, sizeof untouched);
    churn_alert_t copy = untouched;
    assert_int_equal (churn_alert_build (&copy, long_id, &condition, CHURN_LIFECYCLE_FIRE, DAY,
                                         &history, &score, NULL),
                      -1);
    assert_memory_equal (&copy, &untouched, sizeof copy);
}

/* The owner's rep, team and region come from the customer's owner, as it
   named them; the topic carries its region and team. */
static void
test_build_owner (void **state)
{
    (void) state;
    churn_history_t history;
    churn_score_t score;
    s_scoring (&history, &score);
    churn_rules_condition_t condition = { .rule = CHURN_RULES_OVERDUE,
                                          .severity = CHURN_RULES_CRITICAL,
                                          .day = DAY,
                                          .judged = true,
                                          .holds = true };
    churn_customer_owner_t owner = { .occurred_at = 1 };
    snprintf (owner.rep_id, sizeof owner.rep_id, "rep-ana");
    snprintf (owner.team_id, sizeof owner.team_id, "team-north");
    snprintf (owner.region_id, sizeof owner.region_id, "emea");
    churn_alert_t alert;
    assert_int_equal (churn_alert_build (&alert, "cust-stop", &condition, CHURN_LIFECYCLE_FIRE, DAY,
                                         &history, &score, &owner),
                      0);
    assert_string_equal (alert.owner_rep, "rep-ana");
    assert_string_equal (alert.owner_team, "team-north");
    assert_string_equal (alert.owner_region, "emea");
    char topic[CHURN_ALERT_TOPIC_SIZE];
    churn_alert_topic (topic, sizeof topic, &alert);
    assert_string_equal (topic, "churn.critical.emea.team-north");
    /* a rep without team or region: the topic's levels stay "_" */
    owner.team_id[0] = '\0';
    owner.region_id[0] = '\0';
    assert_int_equal (churn_alert_build (&alert, "cust-stop", &condition, CHURN_LIFECYCLE_FIRE, DAY,
                                         &history, &score, &owner),
                      0);
    assert_string_equal (alert.owner_rep, "rep-ana");
    churn_alert_topic (topic, sizeof topic, &alert);
    assert_string_equal (topic, "churn.critical._._");
    /* the longest ids fit the alert and its topic */
    memset (owner.team_id, 't', CHURN_CUSTOMER_OWNER_MAX);
    owner.team_id[CHURN_CUSTOMER_OWNER_MAX] = '\0';
    memset (owner.region_id, 'r', CHURN_CUSTOMER_OWNER_MAX);
    owner.region_id[CHURN_CUSTOMER_OWNER_MAX] = '\0';
    assert_int_equal (churn_alert_build (&alert, "cust-stop", &condition, CHURN_LIFECYCLE_FIRE, DAY,
                                         &history, &score, &owner),
                      0);
    assert_string_equal (alert.owner_team, owner.team_id);
    assert_int_equal (churn_alert_topic (topic, sizeof topic, &alert),
                      (int) strlen ("churn.critical..") + 2 * CHURN_CUSTOMER_OWNER_MAX);
}

static void
test_topic (void **state)
{
    (void) state;
    churn_alert_t alert;
    s_alert (&alert);
    char topic[CHURN_ALERT_TOPIC_SIZE];
    assert_int_equal (churn_alert_topic (topic, sizeof topic, &alert), 18);
    assert_string_equal (topic, "churn.critical._._");
    snprintf (alert.owner_region, sizeof alert.owner_region, "emea");
    snprintf (alert.owner_team, sizeof alert.owner_team, "north");
    alert.severity = CHURN_RULES_WARNING;
    churn_alert_topic (topic, sizeof topic, &alert);
    assert_string_equal (topic, "churn.warning.emea.north");
    char small[8];
    assert_int_equal (churn_alert_topic (small, sizeof small, &alert), -1);
    assert_string_equal (small, "");
}

static void
test_message_reads_back (void **state)
{
    (void) state;
    churn_alert_t alert;
    s_alert (&alert);
    alert.sequence = 7;
    alert.created_at_ms = 1755400000000;
    churn_alert_message_t message;
    churn_alert_to_message (&alert, &message);
    /* through the wire */
    size_t size = salespulse__churn_alert__get_packed_size (&message.message);
    uint8_t *bytes = malloc (size);
    assert_non_null (bytes);
    salespulse__churn_alert__pack (&message.message, bytes);
    Salespulse__ChurnAlert *unpacked = salespulse__churn_alert__unpack (NULL, size, bytes);
    free (bytes);
    assert_non_null (unpacked);
    assert_string_equal (unpacked->occurred_day, "2025-08-17");
    churn_alert_t read;
    char error[ERROR_SIZE] = "";
    assert_int_equal (churn_alert_from_message (unpacked, &read, error, sizeof error), 0);
    assert_memory_equal (&read, &alert, sizeof read);

    /* invalid messages: refused, the output untouched */
    churn_alert_t untouched;
    memset (&untouched, FILL, sizeof untouched);
    read = untouched;
    unpacked->alert_seq = 0;
    assert_int_equal (churn_alert_from_message (unpacked, &read, error, sizeof error), -1);
    unpacked->alert_seq = 7;
    unpacked->action = SALESPULSE__CHURN_ALERT__ACTION__RESOLVE; /* with state FIRING */
    assert_int_equal (churn_alert_from_message (unpacked, &read, error, sizeof error), -1);
    assert_non_null (strstr (error, "do not go together"));
    unpacked->action = SALESPULSE__CHURN_ALERT__ACTION__FIRE;
    unpacked->score = 101;
    assert_int_equal (churn_alert_from_message (unpacked, &read, error, sizeof error), -1);
    unpacked->score = 56;
    unpacked->previous_scores[0] = -2;
    assert_int_equal (churn_alert_from_message (unpacked, &read, error, sizeof error), -1);
    unpacked->previous_scores[0] = -1;
    char *rule = unpacked->rule;
    unpacked->rule = (char *) "churned";
    assert_int_equal (churn_alert_from_message (unpacked, &read, error, sizeof error), -1);
    unpacked->rule = rule;
    char *day = unpacked->fired_day;
    unpacked->fired_day = (char *) "2025-08-18"; /* after the period */
    assert_int_equal (churn_alert_from_message (unpacked, &read, error, sizeof error), -1);
    unpacked->fired_day = day;
    unpacked->factors[0]->weight_bp = 10001;
    assert_int_equal (churn_alert_from_message (unpacked, &read, error, sizeof error), -1);
    assert_memory_equal (&read, &untouched, sizeof read);
    salespulse__churn_alert__free_unpacked (unpacked, NULL);
}

static void
test_spellings_and_json (void **state)
{
    (void) state;
    churn_band_t band = CHURN_BAND_RED;
    assert_int_equal (churn_alert_band_parse ("green", &band), 0);
    assert_int_equal (band, CHURN_BAND_GREEN);
    assert_int_equal (churn_alert_band_parse ("blue", &band), -1);
    int64_t day = 0;
    assert_int_equal (churn_alert_day_parse ("2025-08-17", &day), 0);
    assert_int_equal (day, DAY);
    assert_int_equal (churn_alert_day_parse ("2025-02-29", &day), -1);
    assert_int_equal (churn_alert_day_parse ("2025-8-17", &day), -1);
    assert_int_equal (day, DAY);

    churn_alert_t alert;
    s_alert (&alert);
    alert.sequence = 3;
    json_t *json = churn_alert_json (&alert);
    assert_non_null (json);
    assert_int_equal (json_integer_value (json_object_get (json, "alert_seq")), 3);
    assert_string_equal (json_string_value (json_object_get (json, "state")), "firing");
    assert_string_equal (json_string_value (json_object_get (json, "action")), "fire");
    assert_string_equal (json_string_value (json_object_get (json, "occurred_at")), "2025-08-17");
    assert_string_equal (json_string_value (json_object_get (json, "band")), "yellow");
    json_t *previous = json_object_get (json, "previous_scores");
    assert_true (json_is_null (json_array_get (previous, 0)));
    assert_int_equal (json_integer_value (json_array_get (previous, 1)), 60);
    json_t *factor = json_array_get (json_object_get (json, "factors"), 0);
    assert_string_equal (json_string_value (json_object_get (factor, "measure")), "recency");
    assert_true (json_real_value (json_object_get (factor, "weight")) == 0.25);
    json_decref (json);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_build),
        cmocka_unit_test (test_build_owner),
        cmocka_unit_test (test_topic),
        cmocka_unit_test (test_message_reads_back),
        cmocka_unit_test (test_spellings_and_json),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
