/*  test_funnel_crm - funnel-tracker's acceptance test on real data: the
    Maven Analytics CRM data set (deploy/demo/crm/) replayed through the
    real activity-ingest into the real funnel-tracker, and every figure of
    `salesctl funnel --funnel crm --json` compared with an SQL oracle
    computed straight from the CSV files (tests/integration/crm_oracle.sql),
    for every scope (company, each region, team and rep) and every period
    the oracle lists.

    The oracle shares no code with funnel-tracker: it is plain SQL over two
    tables this test fills with COPY from the CSV files as they are (CRLF
    line endings, blank cells). The events come from the demo converter
    (deploy/demo/crm/crm-events.sh) through `salesctl publish`, so the test
    also proves that every event of the data set is accepted.

    Order matters: funnel-tracker reads its funnels when it starts, so the
    funnel is loaded first (group setup); the tests then publish, wait
    until funnel-tracker has applied every event (`salesctl status`: every
    partition's checkpoint at its head, heads summing to the events
    published), and compare. Each wait polls with a deadline.

    Comparisons: integers exactly; ratios and means to 1e-9 (relative for
    means); medians exactly (percentile_cont(0.5) of integers is exact in
    a double). Every difference is printed as
    `scope "S" period "P": FIELD: expected X, got Y` before the test fails,
    so one run shows them all.
*/
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sp_harness.h"
#include "sp_harness_crm.h"
#include "sp_harness_pg.h"
#include "sp_pg.h"

#define TEST_PARTITIONS 4            /* recorded in the test database */
#define TEST_START_TIMEOUT_MS 60000  /* activity-ingest, funnel-tracker */
#define TEST_RUN_TIMEOUT_MS 120000   /* one salesctl or converter run (sanitizer builds) */
#define TEST_APPLY_TIMEOUT_MS 300000 /* funnel-tracker applying the whole data set */
#define TEST_POLL_MS 200             /* between two looks at `salesctl status` */
#define TEST_TEXT_SIZE SP_HARNESS_CRM_TEXT_SIZE /* room for a message */
#define TEST_RATIO_TOLERANCE 1e-9               /* ratios, absolute; means, relative */
#define TEST_MS_PER_DAY 86400000.0              /* for the median in days */

/* The data set's facts (deploy/demo/crm/README.md). */
#define TEST_OPPORTUNITIES SP_HARNESS_CRM_OPPORTUNITIES
#define TEST_ENGAGED SP_HARNESS_CRM_ENGAGED
#define TEST_WON SP_HARNESS_CRM_WON
#define TEST_LOST SP_HARNESS_CRM_LOST
#define TEST_EVENTS SP_HARNESS_CRM_EVENTS
#define TEST_WON_AMOUNT_MINOR SP_HARNESS_CRM_WON_AMOUNT_MINOR
#define TEST_SCOPES (1 + 3 + 6 + 30) /* company, offices, managers, agents with deals */
#define TEST_PERIODS 5               /* periods crm_oracle.sql lists */

/* The funnel's steps, in order (deploy/demo/crm-funnel.json). */
enum { TEST_STEP_LEAD, TEST_STEP_ENGAGING, TEST_STEP_WON, TEST_STEP_LOST, TEST_STEPS };
static const char *const s_step_names[TEST_STEPS] = { "lead", "engaging", "won", "lost" };

/* ---------------------------------------------------------------- helpers */

/* member's integer value, which must be there. */
static int64_t
s_integer (const json_t *object, const char *member)
{
    const json_t *value = json_object_get (object, member);
    if (!json_is_integer (value))
        print_message ("member \"%s\" is not an integer\n", member);
    assert_true (json_is_integer (value));
    return (int64_t) json_integer_value (value);
}

/* ---------------------------------------------------------------- waiting */

/* ---------------------------------------------------------------- comparing */

/* Compares the number at value with expected, or null when !expected_set:
   within tolerance (times max(1, |expected|) when relative; 0 = exactly). */
static void
s_check_number (sp_harness_crm_compare_t *compare, const char *field, const json_t *value,
                bool expected_set, double expected, double tolerance, bool relative)
{
    if (!expected_set && json_is_null (value))
        return;
    if (expected_set && json_is_number (value)) {
        double got = json_number_value (value);
        double limit = relative ? tolerance * fmax (1.0, fabs (expected)) : tolerance;
        if (fabs (got - expected) <= limit)
            return;
    }
    char expected_text[TEST_TEXT_SIZE];
    if (expected_set)
        snprintf (expected_text, sizeof expected_text, "%.17g", expected);
    else
        snprintf (expected_text, sizeof expected_text, "null");
    sp_harness_crm_differ_json (compare, field, expected_text, value);
}

/* An oracle column by name: an integer. */
static int64_t
s_oracle_integer (const sp_pg_result_t *result, int row, const char *name)
{
    int column = sp_pg_result_column (result, name);
    assert_true (column >= 0);
    int64_t value = 0;
    assert_int_equal (sp_pg_result_int64 (result, row, column, &value), 0);
    return value;
}

/* An oracle column by name: a double, or unset when NULL. */
static bool
s_oracle_number (const sp_pg_result_t *result, int row, const char *name, double *value)
{
    int column = sp_pg_result_column (result, name);
    assert_true (column >= 0);
    if (sp_pg_result_is_null (result, row, column))
        return false;
    char *end = NULL;
    *value = strtod (sp_pg_result_value (result, row, column), &end);
    assert_true (end && *end == '\0');
    return true;
}

/* a / b, unset when b is 0. */
static bool
s_ratio (int64_t a, int64_t b, double *value)
{
    if (b == 0)
        return false;
    *value = (double) a / (double) b;
    return true;
}

/* Compares one step of the report with the oracle's counts: reached,
   conversions and drop-off by the step roles of a pipeline funnel (lead →
   engaging → won; lost after engaging; won and lost terminal). */
static void
s_check_step (sp_harness_crm_compare_t *compare, const json_t *steps, int step,
              const int64_t *reached, const sp_pg_result_t *oracle, int row)
{
    static const int previous[TEST_STEPS] = { -1, TEST_STEP_LEAD, TEST_STEP_ENGAGING,
                                              TEST_STEP_ENGAGING };
    static const int next[TEST_STEPS] = { TEST_STEP_ENGAGING, TEST_STEP_WON, -1, -1 };
    /* Oracle columns of the time from the previous step, by step. */
    static const char *const mean_column[TEST_STEPS] = { NULL, "engaging_mean_ms",
                                                         "won_step_mean_ms", "lost_step_mean_ms" };
    static const char *const median_column[TEST_STEPS] = { NULL, "engaging_median_ms",
                                                           "won_step_median_ms",
                                                           "lost_step_median_ms" };
    const json_t *line = json_array_get (steps, (size_t) step);
    char field[TEST_TEXT_SIZE];
    const char *name = s_step_names[step];

    snprintf (field, sizeof field, "steps[%d].name", step);
    const json_t *step_name = json_object_get (line, "name");
    if (!json_is_string (step_name) || strcmp (json_string_value (step_name), name) != 0) {
        sp_harness_crm_differ_json (compare, field, name, step_name);
        return;
    }
    snprintf (field, sizeof field, "%s.step", name);
    sp_harness_crm_check_integer (compare, field, json_object_get (line, "step"), step + 1);
    snprintf (field, sizeof field, "%s.reached", name);
    sp_harness_crm_check_integer (compare, field, json_object_get (line, "reached"), reached[step]);

    double expected = 0;
    bool set = previous[step] >= 0 && s_ratio (reached[step], reached[previous[step]], &expected);
    snprintf (field, sizeof field, "%s.step_conversion", name);
    s_check_number (compare, field, json_object_get (line, "step_conversion"), set, expected,
                    TEST_RATIO_TOLERANCE, false);
    set = s_ratio (reached[step], reached[TEST_STEP_LEAD], &expected);
    snprintf (field, sizeof field, "%s.overall_conversion", name);
    s_check_number (compare, field, json_object_get (line, "overall_conversion"), set, expected,
                    TEST_RATIO_TOLERANCE, false);

    snprintf (field, sizeof field, "%s.drop_off", name);
    if (next[step] < 0) {
        s_check_number (compare, field, json_object_get (line, "drop_off"), false, 0, 0, false);
        snprintf (field, sizeof field, "%s.drop_off_rate", name);
        s_check_number (compare, field, json_object_get (line, "drop_off_rate"), false, 0, 0,
                        false);
    }
    else {
        int64_t drop_off = reached[step] - reached[next[step]];
        sp_harness_crm_check_integer (compare, field, json_object_get (line, "drop_off"), drop_off);
        set = s_ratio (drop_off, reached[step], &expected);
        snprintf (field, sizeof field, "%s.drop_off_rate", name);
        s_check_number (compare, field, json_object_get (line, "drop_off_rate"), set, expected,
                        TEST_RATIO_TOLERANCE, false);
    }

    const json_t *time = json_object_get (line, "time_from_previous");
    snprintf (field, sizeof field, "%s.time_from_previous", name);
    if (step == TEST_STEP_LEAD) {
        s_check_number (compare, field, time, false, 0, 0, false);
        return;
    }
    if (!json_is_object (time)) {
        sp_harness_crm_differ_json (compare, field, "an object", time);
        return;
    }
    snprintf (field, sizeof field, "%s.time_from_previous.count", name);
    sp_harness_crm_check_integer (compare, field, json_object_get (time, "count"), reached[step]);
    set = s_oracle_number (oracle, row, mean_column[step], &expected);
    snprintf (field, sizeof field, "%s.time_from_previous.mean_ms", name);
    s_check_number (compare, field, json_object_get (time, "mean_ms"), set, expected,
                    TEST_RATIO_TOLERANCE, true);
    set = s_oracle_number (oracle, row, median_column[step], &expected);
    snprintf (field, sizeof field, "%s.time_from_previous.median_ms", name);
    s_check_number (compare, field, json_object_get (time, "median_ms"), set, expected, 0, false);
}

/* Compares the outcome figures with the oracle row. */
static void
s_check_outcome (sp_harness_crm_compare_t *compare, const json_t *outcome,
                 const sp_pg_result_t *oracle, int row)
{
    if (!json_is_object (outcome)) {
        sp_harness_crm_differ (compare, "outcome", "an object", "none");
        return;
    }
    int64_t won = s_oracle_integer (oracle, row, "won");
    double expected = 0;
    sp_harness_crm_check_integer (compare, "outcome.won", json_object_get (outcome, "won"), won);
    sp_harness_crm_check_integer (compare, "outcome.lost", json_object_get (outcome, "lost"),
                                  s_oracle_integer (oracle, row, "lost"));
    bool set = s_oracle_number (oracle, row, "win_rate", &expected);
    s_check_number (compare, "outcome.win_rate", json_object_get (outcome, "win_rate"), set,
                    expected, TEST_RATIO_TOLERANCE, false);

    const json_t *amount = json_object_get (outcome, "won_amount");
    sp_harness_crm_check_integer (compare, "outcome.won_amount.count",
                                  json_object_get (amount, "count"), won);
    sp_harness_crm_check_integer (compare, "outcome.won_amount.sum",
                                  json_object_get (amount, "sum"),
                                  s_oracle_integer (oracle, row, "won_amount_sum"));
    set = s_oracle_number (oracle, row, "won_amount_mean", &expected);
    s_check_number (compare, "outcome.won_amount.mean", json_object_get (amount, "mean"), set,
                    expected, TEST_RATIO_TOLERANCE, true);
    set = s_oracle_number (oracle, row, "won_amount_median", &expected);
    s_check_number (compare, "outcome.won_amount.median", json_object_get (amount, "median"), set,
                    expected, 0, false);
    sp_harness_crm_check_integer (compare, "outcome.won_other_currency",
                                  json_object_get (outcome, "won_other_currency"), 0);

    const json_t *cycle = json_object_get (outcome, "sales_cycle");
    sp_harness_crm_check_integer (compare, "outcome.sales_cycle.count",
                                  json_object_get (cycle, "count"), won);
    set = s_oracle_number (oracle, row, "cycle_mean_ms", &expected);
    s_check_number (compare, "outcome.sales_cycle.mean_ms", json_object_get (cycle, "mean_ms"), set,
                    expected, TEST_RATIO_TOLERANCE, true);
    set = s_oracle_number (oracle, row, "cycle_median_ms", &expected);
    s_check_number (compare, "outcome.sales_cycle.median_ms", json_object_get (cycle, "median_ms"),
                    set, expected, 0, false);
    s_check_number (compare, "outcome.sales_cycle.median_days",
                    json_object_get (cycle, "median_days"), set, expected / TEST_MS_PER_DAY,
                    TEST_RATIO_TOLERANCE, true);
}

/* Compares `salesctl funnel` for the oracle's row with it; returns the
   differences found (each printed). */
static int
s_compare_row (sp_harness_crm_t *crm, const sp_pg_result_t *oracle, int row)
{
    sp_harness_crm_compare_t compare = {
        .scope = sp_pg_result_value (oracle, row, sp_pg_result_column (oracle, "scope")),
        .period = sp_pg_result_value (oracle, row, sp_pg_result_column (oracle, "period")),
    };
    int status = sp_harness_crm_salesctl (
        crm, (const char *const[]){ "funnel", "--funnel", "crm", "--scope", compare.scope,
                                    "--period", compare.period, "--json", NULL });
    if (status != 0) {
        sp_harness_crm_differ (&compare, "exit status", "0", "non-zero (see above)");
        return compare.differences;
    }
    json_t *report = sp_harness_crm_last_json (crm->output);
    assert_non_null (report);
    sp_harness_crm_check_string (&compare, report, "funnel", "crm");
    sp_harness_crm_check_string (&compare, report, "mode", "pipeline");
    sp_harness_crm_check_string (&compare, report, "scope", compare.scope);
    sp_harness_crm_check_string (&compare, report, "period", compare.period);
    sp_harness_crm_check_string (&compare, report, "currency", "USD");
    sp_harness_crm_check_string (&compare, report, "time_zone", "UTC");

    static const char *const reached_column[TEST_STEPS] = { "reached_lead", "reached_engaging",
                                                            "reached_won", "reached_lost" };
    int64_t reached[TEST_STEPS];
    for (int step = 0; step < TEST_STEPS; step++)
        reached[step] = s_oracle_integer (oracle, row, reached_column[step]);
    const json_t *steps = json_object_get (report, "steps");
    if (json_array_size (steps) != TEST_STEPS) {
        sp_harness_crm_differ_json (&compare, "steps", "4 steps", steps);
    }
    else
        for (int step = 0; step < TEST_STEPS; step++)
            s_check_step (&compare, steps, step, reached, oracle, row);
    s_check_outcome (&compare, json_object_get (report, "outcome"), oracle, row);
    json_decref (report);
    return compare.differences;
}

/* ---------------------------------------------------------------- fixture */

/* The stack; funnel "crm" loaded, then funnel-tracker started (it reads
   its funnels at start); the CSV files in tables crm_pipeline and
   crm_teams for the oracle. */
static int
s_setup (void **state)
{
    sp_harness_crm_t *crm = sp_harness_crm_new ("test_funnel_crm", TEST_PARTITIONS,
                                                TEST_START_TIMEOUT_MS, TEST_RUN_TIMEOUT_MS);
    *state = crm;
    if (!crm || sp_harness_crm_load (crm, "funnel", "deploy/demo/crm-funnel.json") != 0)
        return -1;
    /* Its notices PUB socket on a free port too, never the default one. */
    return sp_harness_crm_start (crm, "funnel-tracker", "SP_FUNNEL_NOTICES_ENDPOINT",
                                 TEST_START_TIMEOUT_MS);
}

/* ---------------------------------------------------------------- tests */

/* The converter turns the data set into 23,811 events, activity-ingest
   accepts every one, and the log holds them by type as the mapping says. */
static void
test_crm_events_are_all_accepted (void **state)
{
    sp_harness_crm_t *crm = *state;
    assert_int_equal (sp_harness_crm_publish (crm), 0);

    sp_pg_t *pg = crm->stack->pg;
    assert_int_equal (sp_harness_pg_count (pg, "SELECT count(*) FROM events"), TEST_EVENTS);
    assert_int_equal (
        sp_harness_pg_count (pg, "SELECT count(*) FROM events WHERE type = 'lead_created'"),
        TEST_OPPORTUNITIES);
    assert_int_equal (
        sp_harness_pg_count (pg, "SELECT count(*) FROM events WHERE type = 'stage_changed'"),
        TEST_ENGAGED);
    assert_int_equal (
        sp_harness_pg_count (pg, "SELECT count(*) FROM events WHERE type = 'deal_won'"), TEST_WON);
    assert_int_equal (
        sp_harness_pg_count (pg, "SELECT count(*) FROM events WHERE type = 'deal_lost'"),
        TEST_LOST);
    /* One opportunity, one partition: blank accounts fall back to the opportunity. */
    assert_int_equal (sp_harness_pg_count (pg, "SELECT count(*) FROM (SELECT opportunity_id "
                                               "FROM events GROUP BY 1 "
                                               "HAVING count(DISTINCT partition) > 1) split"),
                      0);
    assert_int_equal (sp_harness_pg_count (pg, "SELECT count(DISTINCT opportunity_id) FROM events"),
                      TEST_OPPORTUNITIES);
}

/* funnel-tracker applies every event, quarantining none. */
static void
test_funnel_tracker_applies_every_event (void **state)
{
    sp_harness_crm_t *crm = *state;
    assert_int_equal (
        sp_harness_crm_wait_applied (crm, TEST_EVENTS, TEST_APPLY_TIMEOUT_MS, TEST_POLL_MS), 0);
    assert_int_equal (
        sp_harness_pg_count (crm->stack->pg, "SELECT count(*) FROM quarantined_events"), 0);
}

/* The data set's own totals, quirks included: Prospecting leads without
   dates still count, GTXPro deals are not lost to the product spelling,
   Lost rows' zero values add nothing to the won amount. */
static void
test_company_totals_match_the_data_set (void **state)
{
    sp_harness_crm_t *crm = *state;
    assert_int_equal (
        sp_harness_crm_salesctl (crm, (const char *const[]){ "funnel", "--funnel", "crm", "--scope",
                                                             "company", "--period", "all", "--json",
                                                             NULL }),
        0);
    json_t *report = sp_harness_crm_last_json (crm->output);
    assert_non_null (report);
    const json_t *steps = json_object_get (report, "steps");
    assert_int_equal (json_array_size (steps), TEST_STEPS);
    assert_int_equal (s_integer (json_array_get (steps, TEST_STEP_LEAD), "reached"),
                      TEST_OPPORTUNITIES);
    assert_int_equal (s_integer (json_array_get (steps, TEST_STEP_ENGAGING), "reached"),
                      TEST_ENGAGED);
    assert_int_equal (s_integer (json_array_get (steps, TEST_STEP_WON), "reached"), TEST_WON);
    assert_int_equal (s_integer (json_array_get (steps, TEST_STEP_LOST), "reached"), TEST_LOST);
    const json_t *outcome = json_object_get (report, "outcome");
    assert_int_equal (s_integer (outcome, "won"), TEST_WON);
    assert_int_equal (s_integer (outcome, "lost"), TEST_LOST);
    const json_t *amount = json_object_get (outcome, "won_amount");
    assert_int_equal (s_integer (amount, "count"), TEST_WON);
    assert_int_equal (s_integer (amount, "sum"), TEST_WON_AMOUNT_MINOR);
    assert_int_equal (s_integer (outcome, "won_other_currency"), 0);
    json_decref (report);
}

/* Every scope and period of the oracle, every figure. */
static void
test_every_scope_and_period_matches_the_oracle (void **state)
{
    sp_harness_crm_t *crm = *state;
    assert_int_equal (sp_harness_crm_load_tables (crm), 0);
    sp_pg_result_t *oracle = sp_harness_crm_oracle (crm, "tests/integration/crm_oracle.sql");
    assert_non_null (oracle);
    assert_int_equal (sp_pg_result_rows (oracle), TEST_SCOPES * TEST_PERIODS);

    int differences = sp_harness_crm_compare_rows (crm, oracle, s_compare_row);
    sp_pg_result_destroy (&oracle);
    assert_int_equal (differences, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_crm_events_are_all_accepted),
        cmocka_unit_test (test_funnel_tracker_applies_every_event),
        cmocka_unit_test (test_company_totals_match_the_data_set),
        cmocka_unit_test (test_every_scope_and_period_matches_the_oracle),
    };
    return cmocka_run_group_tests (tests, s_setup, sp_harness_crm_teardown);
}
