/*  test_kpi_warning - pace warning conditions and records (kpi_warning).

    The judgement of every pace status in both bands (at_risk, the
    default: only a projection below the floor fires; behind: below the
    target fires too; no status is "not judged"), the transition
    decision, a warning filled from a catalogue KPI, the topic for every
    kind of node and when it does not fit, the protobuf message both ways
    with every refusal, and the text spellings both ways.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kpi_warning.h"
#include "sp_proto.h"

#define TEST_ERROR_SIZE 256

static void
test_judge_default_band (void **state)
{
    (void) state;
    kpi_warning_condition_t condition;
    kpi_warning_judge (KPI_PACE_AT_RISK, KPI_WARNING_BAND_AT_RISK, &condition);
    assert_int_equal (condition.state, KPI_WARNING_FIRING);
    assert_int_equal (condition.reason, KPI_WARNING_OFF_PACE);
    const kpi_pace_status_t recovered[] = { KPI_PACE_BEHIND, KPI_PACE_ON_TRACK, KPI_PACE_EXCEEDED };
    for (size_t index = 0; index < 3; index++) {
        kpi_warning_judge (recovered[index], KPI_WARNING_BAND_AT_RISK, &condition);
        assert_int_equal (condition.state, KPI_WARNING_CLEARED);
        assert_int_equal (condition.reason, KPI_WARNING_RECOVERED);
    }
    kpi_warning_judge (KPI_PACE_NONE, KPI_WARNING_BAND_AT_RISK, &condition);
    assert_int_equal (condition.state, KPI_WARNING_CLEARED);
    assert_int_equal (condition.reason, KPI_WARNING_NOT_JUDGED);
    kpi_warning_judge ((kpi_pace_status_t) 99, KPI_WARNING_BAND_AT_RISK, &condition);
    assert_int_equal (condition.reason, KPI_WARNING_NOT_JUDGED);
}

static void
test_judge_behind_band (void **state)
{
    (void) state;
    kpi_warning_condition_t condition;
    kpi_warning_judge (KPI_PACE_BEHIND, KPI_WARNING_BAND_BEHIND, &condition);
    assert_int_equal (condition.state, KPI_WARNING_FIRING);
    kpi_warning_judge (KPI_PACE_AT_RISK, KPI_WARNING_BAND_BEHIND, &condition);
    assert_int_equal (condition.state, KPI_WARNING_FIRING);
    kpi_warning_judge (KPI_PACE_ON_TRACK, KPI_WARNING_BAND_BEHIND, &condition);
    assert_int_equal (condition.state, KPI_WARNING_CLEARED);
    assert_int_equal (condition.reason, KPI_WARNING_RECOVERED);
    kpi_warning_judge (KPI_PACE_NONE, KPI_WARNING_BAND_BEHIND, &condition);
    assert_int_equal (condition.reason, KPI_WARNING_NOT_JUDGED);
}

static void
test_decide (void **state)
{
    (void) state;
    assert_int_equal (kpi_warning_decide (KPI_WARNING_CLEARED, KPI_WARNING_CLEARED),
                      KPI_WARNING_KEEP);
    assert_int_equal (kpi_warning_decide (KPI_WARNING_FIRING, KPI_WARNING_FIRING),
                      KPI_WARNING_KEEP);
    assert_int_equal (kpi_warning_decide (KPI_WARNING_CLEARED, KPI_WARNING_FIRING),
                      KPI_WARNING_FIRE);
    assert_int_equal (kpi_warning_decide (KPI_WARNING_FIRING, KPI_WARNING_CLEARED),
                      KPI_WARNING_CLEAR);
}

/* A firing revenue warning of rep:rep-ana in 2026-03. */
static void
s_sample (kpi_warning_t *warning)
{
    kpi_warning_condition_t condition = { KPI_WARNING_FIRING, KPI_WARNING_OFF_PACE };
    assert_int_equal (kpi_warning_fill (warning, &condition, "rep:rep-ana",
                                        kpi_catalog_find ("revenue"), "2026-03", KPI_PACE_AT_RISK,
                                        KPI_PACE_AT_RISK, "USD"),
                      0);
    warning->sequence = 7;
    warning->actual = 50000;
    warning->target = 300000;
    warning->has_floor = true;
    warning->floor = 200000;
    warning->projection = 103333;
    warning->days_elapsed = 15;
    warning->days_total = 31;
    snprintf (warning->as_of_day, sizeof warning->as_of_day, "2026-03-15");
    warning->at_ms = INT64_C (1773532800000);
    warning->created_at_ms = INT64_C (1796618404965);
}

static void
test_fill (void **state)
{
    (void) state;
    kpi_warning_t warning;
    s_sample (&warning);
    assert_string_equal (warning.node, "rep:rep-ana");
    assert_string_equal (warning.kpi, "revenue");
    assert_string_equal (warning.period, "2026-03");
    assert_int_equal (warning.unit, KPI_UNIT_MONEY);
    assert_string_equal (warning.currency, "USD");
    /* no currency for a count */
    kpi_warning_condition_t condition = { KPI_WARNING_CLEARED, KPI_WARNING_RECOVERED };
    assert_int_equal (kpi_warning_fill (&warning, &condition, "company",
                                        kpi_catalog_find ("deals_won"), "2026-Q1",
                                        KPI_PACE_ON_TRACK, KPI_PACE_BEHIND, "USD"),
                      0);
    assert_string_equal (warning.currency, "");
    assert_int_equal (warning.fired_status, KPI_PACE_BEHIND);
    assert_int_equal (warning.sequence, 0);
    /* a node too long leaves the warning untouched */
    char node[KPI_KEYS_SCOPE_MAX + 8];
    memset (node, 'x', sizeof node - 1);
    memcpy (node, "rep:", 4);
    node[sizeof node - 1] = '\0';
    assert_int_equal (kpi_warning_fill (&warning, &condition, node, kpi_catalog_find ("revenue"),
                                        "2026-03", KPI_PACE_ON_TRACK, KPI_PACE_AT_RISK, "USD"),
                      -1);
    assert_string_equal (warning.node, "company");
}

static void
test_topic (void **state)
{
    (void) state;
    char topic[KPI_WARNING_TOPIC_SIZE];
    assert_int_equal (kpi_warning_topic (topic, sizeof topic, KPI_PACE_AT_RISK, NULL, NULL),
                      (int) strlen ("kpi.at_risk._._"));
    assert_string_equal (topic, "kpi.at_risk._._");
    kpi_warning_topic (topic, sizeof topic, KPI_PACE_BEHIND, "emea", "");
    assert_string_equal (topic, "kpi.behind.emea._");
    kpi_warning_topic (topic, sizeof topic, KPI_PACE_AT_RISK, "emea", "north");
    assert_string_equal (topic, "kpi.at_risk.emea.north");
    char small[8];
    assert_int_equal (kpi_warning_topic (small, sizeof small, KPI_PACE_AT_RISK, "emea", "north"),
                      -1);
    assert_string_equal (small, "");
}

static void
test_message_round_trip (void **state)
{
    (void) state;
    kpi_warning_t warning;
    s_sample (&warning);
    Salespulse__KpiWarning message;
    kpi_warning_to_message (&warning, &message);
    assert_int_equal (message.state, SALESPULSE__KPI_WARNING__STATE__FIRING);
    assert_int_equal (message.reason, SALESPULSE__KPI_WARNING__REASON__OFF_PACE);
    assert_int_equal (message.status, SALESPULSE__KPI_WARNING__STATUS__AT_RISK);
    assert_string_equal (message.unit, "money");
    uint8_t *payload = NULL;
    size_t size = 0;
    char error[TEST_ERROR_SIZE];
    assert_int_equal (sp_proto_pack (&message.base, KPI_WARNING_MESSAGE_MAX, &payload, &size, error,
                                     sizeof error),
                      0);
    Salespulse__KpiWarning *unpacked = salespulse__kpi_warning__unpack (NULL, size, payload);
    free (payload);
    assert_non_null (unpacked);
    kpi_warning_t read;
    assert_int_equal (kpi_warning_from_message (unpacked, &read, error, sizeof error), 0);
    salespulse__kpi_warning__free_unpacked (unpacked, NULL);
    assert_memory_equal (&read, &warning, sizeof read);

    /* a cleared one: reason and statuses of their own */
    warning.state = KPI_WARNING_CLEARED;
    warning.reason = KPI_WARNING_PERIOD_ENDED;
    warning.status = KPI_PACE_NONE;
    kpi_warning_to_message (&warning, &message);
    assert_int_equal (message.reason, SALESPULSE__KPI_WARNING__REASON__PERIOD_ENDED);
    assert_int_equal (kpi_warning_from_message (&message, &read, error, sizeof error), 0);
    assert_int_equal (read.reason, KPI_WARNING_PERIOD_ENDED);
    assert_int_equal (read.status, KPI_PACE_NONE);
    assert_int_equal (read.fired_status, KPI_PACE_AT_RISK);
}

/* The message of the sample warning with one field spoilt by spoil. */
static void
s_refused (void (*spoil) (Salespulse__KpiWarning *), const char *expected)
{
    kpi_warning_t warning;
    s_sample (&warning);
    Salespulse__KpiWarning message;
    kpi_warning_to_message (&warning, &message);
    spoil (&message);
    kpi_warning_t read;
    memset (&read, 0x5a, sizeof read);
    kpi_warning_t untouched = read;
    char error[TEST_ERROR_SIZE] = "";
    assert_int_equal (kpi_warning_from_message (&message, &read, error, sizeof error), -1);
    if (!strstr (error, expected))
        fail_msg ("error \"%s\" does not say \"%s\"", error, expected);
    assert_memory_equal (&read, &untouched, sizeof read);
}

static void
s_no_sequence (Salespulse__KpiWarning *m)
{
    m->sequence = 0;
}
static void
s_huge_sequence (Salespulse__KpiWarning *m)
{
    m->sequence = UINT64_MAX;
}
static void
s_no_state (Salespulse__KpiWarning *m)
{
    m->state = 0;
}
static void
s_no_reason (Salespulse__KpiWarning *m)
{
    m->reason = 0;
}
static void
s_unknown_reason (Salespulse__KpiWarning *m)
{
    m->reason = 9;
}
static void
s_firing_recovered (Salespulse__KpiWarning *m)
{
    m->reason = SALESPULSE__KPI_WARNING__REASON__RECOVERED;
}
static void
s_firing_other_status (Salespulse__KpiWarning *m)
{
    m->status = SALESPULSE__KPI_WARNING__STATUS__BEHIND;
}
static void
s_fired_on_track (Salespulse__KpiWarning *m)
{
    m->status = m->fired_status = SALESPULSE__KPI_WARNING__STATUS__ON_TRACK;
}
static void
s_status_out_of_range (Salespulse__KpiWarning *m)
{
    m->state = SALESPULSE__KPI_WARNING__STATE__CLEARED;
    m->reason = SALESPULSE__KPI_WARNING__REASON__RECOVERED;
    m->status = 9;
}
static void
s_bad_node (Salespulse__KpiWarning *m)
{
    m->node = (char *) "team:";
}
static void
s_no_node (Salespulse__KpiWarning *m)
{
    m->node = NULL;
}
static void
s_control_node (Salespulse__KpiWarning *m)
{
    m->node = (char *) "rep:a\nb";
}
static void
s_unknown_kpi (Salespulse__KpiWarning *m)
{
    m->kpi = (char *) "happiness";
}
static void
s_wrong_unit (Salespulse__KpiWarning *m)
{
    m->unit = (char *) "count";
}
static void
s_bad_currency (Salespulse__KpiWarning *m)
{
    m->currency = (char *) "usd";
}
static void
s_currency_for_count (Salespulse__KpiWarning *m)
{
    m->kpi = (char *) "deals_won";
    m->unit = (char *) "count";
}
static void
s_bad_period (Salespulse__KpiWarning *m)
{
    m->period = (char *) "2026-13";
}
static void
s_day_period (Salespulse__KpiWarning *m)
{
    m->period = (char *) "2026-03-01";
}
static void
s_bad_quarter (Salespulse__KpiWarning *m)
{
    m->period = (char *) "2026-Q5";
}
static void
s_days_over (Salespulse__KpiWarning *m)
{
    m->days_elapsed = 32;
}
static void
s_no_days (Salespulse__KpiWarning *m)
{
    m->days_total = 0;
}
static void
s_bad_day (Salespulse__KpiWarning *m)
{
    m->as_of_day = (char *) "2026-02-30";
}

static void
test_message_refusals (void **state)
{
    (void) state;
    s_refused (s_no_sequence, "sequence");
    s_refused (s_huge_sequence, "sequence");
    s_refused (s_no_state, "state");
    s_refused (s_no_reason, "reason");
    s_refused (s_unknown_reason, "reason");
    s_refused (s_firing_recovered, "does not go with state firing");
    s_refused (s_firing_other_status, "status");
    s_refused (s_fired_on_track, "fired_status");
    s_refused (s_status_out_of_range, "status");
    s_refused (s_bad_node, "node");
    s_refused (s_no_node, "node");
    s_refused (s_control_node, "node");
    s_refused (s_unknown_kpi, "kpi");
    s_refused (s_wrong_unit, "unit");
    s_refused (s_bad_currency, "currency");
    s_refused (s_currency_for_count, "currency");
    s_refused (s_bad_period, "period");
    s_refused (s_day_period, "period");
    s_refused (s_bad_quarter, "period");
    s_refused (s_days_over, "days");
    s_refused (s_no_days, "days");
    s_refused (s_bad_day, "as_of_day");
}

static void
test_spellings (void **state)
{
    (void) state;
    const char *states[] = { "cleared", "firing" };
    for (int index = 0; index < 2; index++) {
        kpi_warning_state_t parsed;
        assert_string_equal (kpi_warning_state_name ((kpi_warning_state_t) index), states[index]);
        assert_int_equal (kpi_warning_state_parse (states[index], &parsed), 0);
        assert_int_equal (parsed, index);
    }
    const char *reasons[] = { "off_pace", "recovered", "not_judged", "period_ended" };
    for (int index = 0; index < 4; index++) {
        kpi_warning_reason_t parsed;
        assert_string_equal (kpi_warning_reason_name ((kpi_warning_reason_t) index),
                             reasons[index]);
        assert_int_equal (kpi_warning_reason_parse (reasons[index], &parsed), 0);
        assert_int_equal (parsed, index);
    }
    const char *bands[] = { "at_risk", "behind" };
    for (int index = 0; index < 2; index++) {
        kpi_warning_band_t parsed;
        assert_string_equal (kpi_warning_band_name ((kpi_warning_band_t) index), bands[index]);
        assert_int_equal (kpi_warning_band_parse (bands[index], &parsed), 0);
        assert_int_equal (parsed, index);
    }
    const char *statuses[] = { "none", "exceeded", "on_track", "behind", "at_risk" };
    for (int index = 0; index < 5; index++) {
        kpi_pace_status_t parsed;
        assert_string_equal (kpi_warning_status_name ((kpi_pace_status_t) index), statuses[index]);
        assert_int_equal (kpi_warning_status_parse (statuses[index], &parsed), 0);
        assert_int_equal (parsed, index);
    }
    kpi_unit_t unit = KPI_UNIT_MONEY;
    assert_int_equal (kpi_warning_unit_parse ("per_day", &unit), 0);
    assert_int_equal (unit, KPI_UNIT_PER_DAY);
    /* unknown spellings leave the output untouched */
    kpi_warning_state_t state_out = KPI_WARNING_FIRING;
    kpi_warning_reason_t reason_out = KPI_WARNING_RECOVERED;
    kpi_warning_band_t band_out = KPI_WARNING_BAND_BEHIND;
    kpi_pace_status_t status_out = KPI_PACE_BEHIND;
    assert_int_equal (kpi_warning_state_parse ("FIRING", &state_out), -1);
    assert_int_equal (kpi_warning_state_parse (NULL, &state_out), -1);
    assert_int_equal (kpi_warning_reason_parse ("gone", &reason_out), -1);
    assert_int_equal (kpi_warning_band_parse ("on_track", &band_out), -1);
    assert_int_equal (kpi_warning_status_parse ("late", &status_out), -1);
    assert_int_equal (kpi_warning_unit_parse ("euros", &unit), -1);
    assert_int_equal (state_out, KPI_WARNING_FIRING);
    assert_int_equal (reason_out, KPI_WARNING_RECOVERED);
    assert_int_equal (band_out, KPI_WARNING_BAND_BEHIND);
    assert_int_equal (status_out, KPI_PACE_BEHIND);
    assert_int_equal (unit, KPI_UNIT_PER_DAY);
}

static void
test_node_valid (void **state)
{
    (void) state;
    assert_true (kpi_warning_node_valid ("company"));
    assert_true (kpi_warning_node_valid ("region:emea"));
    assert_true (kpi_warning_node_valid ("team:north"));
    assert_true (kpi_warning_node_valid ("rep:rep-ana"));
    assert_false (kpi_warning_node_valid (NULL));
    assert_false (kpi_warning_node_valid (""));
    assert_false (kpi_warning_node_valid ("rep:"));
    assert_false (kpi_warning_node_valid ("customer:c1"));
    assert_false (kpi_warning_node_valid ("companyx"));
    assert_false (kpi_warning_node_valid ("rep:a\x7f"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_judge_default_band),
        cmocka_unit_test (test_judge_behind_band),
        cmocka_unit_test (test_decide),
        cmocka_unit_test (test_fill),
        cmocka_unit_test (test_topic),
        cmocka_unit_test (test_message_round_trip),
        cmocka_unit_test (test_message_refusals),
        cmocka_unit_test (test_spellings),
        cmocka_unit_test (test_node_valid),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
