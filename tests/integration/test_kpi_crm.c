/*  test_kpi_crm - kpi-evaluator's acceptance test on real data: the Maven
    Analytics CRM data set (deploy/demo/crm/) replayed through the real
    activity-ingest into the real kpi-evaluator, under the demo org
    (deploy/demo/crm/org.json: offices -> managers -> agents), targets
    (targets.json) and scorecard (scorecard.json), and every agent's,
    manager's, office's and the company's revenue, deals won and win rate
    of every quarter of 2017 compared with an SQL oracle computed straight
    from the CSV files (tests/integration/kpi_crm_oracle.sql).

    The oracle shares no code with kpi-evaluator: it is plain SQL over two
    tables this test fills with COPY from the CSV files as they are (CRLF
    line endings, blank cells). The events come from the demo converter
    (deploy/demo/crm/crm-events.sh) through `salesctl publish`, so the test
    also proves that every event of the data set is accepted.

    Order matters: the reference data is loaded first (group setup) so
    kpi-evaluator starts under the org rather than rebuilding when it
    arrives; the tests then publish, wait until kpi-evaluator has applied
    every event (`salesctl status`: every partition's checkpoint at its
    head, heads summing to the events published), and compare. Each wait
    polls with a deadline.

    Comparisons, as `salesctl kpi --json` gives them: revenue (minor
    units) and deals won exactly; the win rate, a number with at most
    four decimals, as basis points (llround (actual × 10,000)) against the
    oracle's, null when nothing closed. Every difference is printed as
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
#define TEST_START_TIMEOUT_MS 60000  /* activity-ingest, kpi-evaluator */
#define TEST_RUN_TIMEOUT_MS 120000   /* one salesctl or converter run (sanitizer builds) */
#define TEST_APPLY_TIMEOUT_MS 300000 /* kpi-evaluator applying the whole data set */
#define TEST_POLL_MS 200             /* between two looks at `salesctl status` */
#define TEST_TEXT_SIZE SP_HARNESS_CRM_TEXT_SIZE /* room for a message */
#define TEST_BASIS_POINTS 10000.0               /* a ratio of 1 */

/* The data set's facts (deploy/demo/crm/README.md). */
#define TEST_WON SP_HARNESS_CRM_WON
#define TEST_LOST SP_HARNESS_CRM_LOST
#define TEST_EVENTS SP_HARNESS_CRM_EVENTS
#define TEST_WON_AMOUNT_MINOR SP_HARNESS_CRM_WON_AMOUNT_MINOR
#define TEST_AGENTS SP_HARNESS_CRM_AGENTS
#define TEST_SCOPES (1 + 3 + 6 + TEST_AGENTS) /* company, offices, managers, every agent */
#define TEST_PERIODS 4                        /* the quarters of 2017 */

/* The company's revenue targets of deploy/demo/crm/targets.json, minor
   units: 10,000,000.00 USD for 2017 (floor 9,000,000.00, stretch
   11,000,000.00), spread evenly over the quarters with carry. */
#define TEST_YEAR_TARGET INT64_C (1000000000)
#define TEST_YEAR_FLOOR INT64_C (900000000)
#define TEST_YEAR_STRETCH INT64_C (1100000000)
#define TEST_QUARTER_TARGET (TEST_YEAR_TARGET / 4)

/* The KPIs compared, as `salesctl kpi --json` names them. */
#define TEST_KPI_REVENUE "revenue"
#define TEST_KPI_DEALS_WON "deals_won"
#define TEST_KPI_WIN_RATE "win_rate"

/* ---------------------------------------------------------------- helpers */

/* The entry of the "kpis" array of a `salesctl kpi --json` report whose
   "kpi" is name, NULL when there is none (borrowed). */
static const json_t *
s_kpi_entry (const json_t *report, const char *name)
{
    size_t index;
    const json_t *entry;
    json_array_foreach (json_object_get (report, "kpis"), index, entry)
    {
        const json_t *kpi = json_object_get (entry, "kpi");
        if (json_is_string (kpi) && strcmp (json_string_value (kpi), name) == 0)
            return entry;
    }
    return NULL;
}

/* `salesctl kpi --scope SCOPE --period PERIOD --json`, parsed (the caller
   decrefs); NULL when salesctl failed (printed). */
static json_t *
s_kpi_report (sp_harness_crm_t *crm, const char *scope, const char *period)
{
    if (sp_harness_crm_salesctl (crm, (const char *const[]){ "kpi", "--scope", scope, "--period",
                                                             period, "--json", NULL }) != 0)
        return NULL;
    json_t *report = sp_harness_crm_last_json (crm->output);
    assert_non_null (report);
    return report;
}

/* ---------------------------------------------------------------- waiting */

/* ---------------------------------------------------------------- comparing */

/* Compares the number at value, a whole number of minor units however
   written (1000000000 or 1e9), with expected. */
static void
s_check_amount (sp_harness_crm_compare_t *compare, const char *field, const json_t *value,
                int64_t expected)
{
    if (json_is_number (value) && json_number_value (value) == (double) expected)
        return;
    char expected_text[TEST_TEXT_SIZE];
    snprintf (expected_text, sizeof expected_text, "%lld", (long long) expected);
    sp_harness_crm_differ_json (compare, field, expected_text, value);
}

/* Compares the ratio at value with expected basis points (as
   llround (value × 10,000)), or null when !expected_set. */
static void
s_check_basis_points (sp_harness_crm_compare_t *compare, const char *field, const json_t *value,
                      bool expected_set, int64_t expected)
{
    if (!expected_set && json_is_null (value))
        return;
    if (expected_set && json_is_number (value) &&
        (long long) llround (json_number_value (value) * TEST_BASIS_POINTS) == expected)
        return;
    char expected_text[TEST_TEXT_SIZE];
    if (expected_set)
        snprintf (expected_text, sizeof expected_text, "%.4f",
                  (double) expected / TEST_BASIS_POINTS);
    else
        snprintf (expected_text, sizeof expected_text, "null");
    sp_harness_crm_differ_json (compare, field, expected_text, value);
}

/* The entry of KPI name in report, with its unit checked; NULL (a
   difference) when it is missing. */
static const json_t *
s_checked_entry (sp_harness_crm_compare_t *compare, const json_t *report, const char *name,
                 const char *unit)
{
    const json_t *entry = s_kpi_entry (report, name);
    char field[TEST_TEXT_SIZE];
    snprintf (field, sizeof field, "kpis[\"%s\"]", name);
    if (!entry) {
        sp_harness_crm_differ (compare, field, "an entry", "none");
        return NULL;
    }
    snprintf (field, sizeof field, "%s.unit", name);
    const json_t *value = json_object_get (entry, "unit");
    if (!json_is_string (value) || strcmp (json_string_value (value), unit) != 0)
        sp_harness_crm_differ_json (compare, field, unit, value);
    return entry;
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

/* An oracle column by name: an integer, or unset when NULL. */
static bool
s_oracle_optional (const sp_pg_result_t *result, int row, const char *name, int64_t *value)
{
    int column = sp_pg_result_column (result, name);
    assert_true (column >= 0);
    if (sp_pg_result_is_null (result, row, column))
        return false;
    assert_int_equal (sp_pg_result_int64 (result, row, column, value), 0);
    return true;
}

/* Compares `salesctl kpi` for the oracle's row with it; returns the
   differences found (each printed). */
static int
s_compare_row (sp_harness_crm_t *crm, const sp_pg_result_t *oracle, int row)
{
    sp_harness_crm_compare_t compare = {
        .scope = sp_pg_result_value (oracle, row, sp_pg_result_column (oracle, "scope")),
        .period = sp_pg_result_value (oracle, row, sp_pg_result_column (oracle, "period")),
    };
    json_t *report = s_kpi_report (crm, compare.scope, compare.period);
    if (!report) {
        sp_harness_crm_differ (&compare, "exit status", "0", "non-zero (see above)");
        return compare.differences;
    }
    sp_harness_crm_check_string (&compare, report, "scope", compare.scope);
    sp_harness_crm_check_string (&compare, report, "period", compare.period);
    sp_harness_crm_check_string (&compare, report, "currency", "USD");
    sp_harness_crm_check_string (&compare, report, "time_zone", "UTC");

    const json_t *entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
    if (entry)
        sp_harness_crm_check_integer (&compare, "revenue.actual", json_object_get (entry, "actual"),
                                      s_oracle_integer (oracle, row, "revenue_minor"));
    entry = s_checked_entry (&compare, report, TEST_KPI_DEALS_WON, "count");
    if (entry)
        sp_harness_crm_check_integer (&compare, "deals_won.actual",
                                      json_object_get (entry, "actual"),
                                      s_oracle_integer (oracle, row, "won"));
    entry = s_checked_entry (&compare, report, TEST_KPI_WIN_RATE, "ratio");
    if (entry) {
        int64_t expected = 0;
        bool set = s_oracle_optional (oracle, row, "win_rate_bp", &expected);
        s_check_basis_points (&compare, "win_rate.actual", json_object_get (entry, "actual"), set,
                              expected);
    }
    json_decref (report);
    return compare.differences;
}

/* ---------------------------------------------------------------- fixture */

/* The stack; the org, targets and scorecard of deploy/demo/crm/ loaded,
   then kpi-evaluator started (under the org from its first event). */
static int
s_setup (void **state)
{
    sp_harness_crm_t *crm = sp_harness_crm_new ("test_kpi_crm", TEST_PARTITIONS,
                                                TEST_START_TIMEOUT_MS, TEST_RUN_TIMEOUT_MS);
    *state = crm;
    if (!crm || sp_harness_crm_load (crm, "org", "deploy/demo/crm/org.json") != 0 ||
        sp_harness_crm_load (crm, "targets", "deploy/demo/crm/targets.json") != 0 ||
        sp_harness_crm_load (crm, "scorecard", "deploy/demo/crm/scorecard.json") != 0)
        return -1;
    /* Its pace warnings' PUB socket on a free port too, never the default one. */
    return sp_harness_crm_start (crm, "kpi-evaluator", "SP_KPI_WARNINGS_ENDPOINT",
                                 TEST_START_TIMEOUT_MS);
}

/* ---------------------------------------------------------------- tests */

/* The converter turns the data set into 23,811 events and
   activity-ingest accepts every one. */
static void
test_crm_events_are_all_accepted (void **state)
{
    sp_harness_crm_t *crm = *state;
    assert_int_equal (sp_harness_crm_publish (crm), 0);
    assert_int_equal (sp_harness_pg_count (crm->stack->pg, "SELECT count(*) FROM events"),
                      TEST_EVENTS);
}

/* kpi-evaluator applies every event, quarantining none. */
static void
test_kpi_evaluator_applies_every_event (void **state)
{
    sp_harness_crm_t *crm = *state;
    assert_int_equal (
        sp_harness_crm_wait_applied (crm, TEST_EVENTS, TEST_APPLY_TIMEOUT_MS, TEST_POLL_MS), 0);
    assert_int_equal (
        sp_harness_pg_count (crm->stack->pg, "SELECT count(*) FROM quarantined_events"), 0);
}

/* The data set's own totals for the year: every deal won and lost, every
   won dollar (Lost rows' zero values add nothing). */
static void
test_company_year_matches_the_data_set (void **state)
{
    sp_harness_crm_t *crm = *state;
    json_t *report = s_kpi_report (crm, "company", "2017");
    assert_non_null (report);
    sp_harness_crm_compare_t compare = { .scope = "company", .period = "2017" };
    const json_t *entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
    if (entry)
        sp_harness_crm_check_integer (&compare, "revenue.actual", json_object_get (entry, "actual"),
                                      TEST_WON_AMOUNT_MINOR);
    entry = s_checked_entry (&compare, report, TEST_KPI_DEALS_WON, "count");
    if (entry)
        sp_harness_crm_check_integer (&compare, "deals_won.actual",
                                      json_object_get (entry, "actual"), TEST_WON);
    entry = s_checked_entry (&compare, report, TEST_KPI_WIN_RATE, "ratio");
    /* 4,238 ÷ 6,711 = 0.631500..., 6,315 basis points. */
    int64_t win_rate_bp =
        (int64_t) llround ((double) TEST_WON * TEST_BASIS_POINTS / (double) (TEST_WON + TEST_LOST));
    if (entry)
        s_check_basis_points (&compare, "win_rate.actual", json_object_get (entry, "actual"), true,
                              win_rate_bp);
    json_decref (report);
    assert_int_equal (compare.differences, 0);
}

/* Every agent, manager, office and the company, every quarter of 2017:
   revenue, deals won and win rate equal the oracle's. */
static void
test_every_scope_and_quarter_matches_the_oracle (void **state)
{
    sp_harness_crm_t *crm = *state;
    assert_int_equal (sp_harness_crm_load_tables (crm), 0);
    sp_pg_result_t *oracle = sp_harness_crm_oracle (crm, "tests/integration/kpi_crm_oracle.sql");
    assert_non_null (oracle);
    assert_int_equal (sp_pg_result_rows (oracle), TEST_SCOPES * TEST_PERIODS);

    /* The oracle itself adds up to the data set: the company's quarters
       hold every close. */
    int64_t won = 0, lost = 0, revenue = 0;
    for (int row = 0; row < sp_pg_result_rows (oracle); row++)
        if (strcmp (sp_pg_result_value (oracle, row, sp_pg_result_column (oracle, "scope")),
                    "company") == 0) {
            won += s_oracle_integer (oracle, row, "won");
            lost += s_oracle_integer (oracle, row, "lost");
            revenue += s_oracle_integer (oracle, row, "revenue_minor");
        }
    assert_int_equal (won, TEST_WON);
    assert_int_equal (lost, TEST_LOST);
    assert_int_equal (revenue, TEST_WON_AMOUNT_MINOR);

    int differences = sp_harness_crm_compare_rows (crm, oracle, s_compare_row);
    sp_pg_result_destroy (&oracle);
    assert_int_equal (differences, 0);
}

/* The company's revenue targets of targets.json: the year's, with floor
   and stretch; each quarter a quarter of it, Q2 raised by what Q1 fell
   short (carry); the offices' year targets its decomposition by their
   agents (11, 12, 12 of 35), adding up to it. */
static void
test_company_revenue_targets_come_from_targets_json (void **state)
{
    sp_harness_crm_t *crm = *state;
    sp_pg_t *pg = crm->stack->pg;
    assert_int_equal (sp_harness_crm_load_tables (crm), 0);
    int64_t q1_actual =
        sp_harness_pg_count (pg, "SELECT coalesce(sum(close_value), 0) * 100 FROM crm_pipeline "
                                 "WHERE deal_stage = 'Won' AND close_date >= date '2017-01-01' "
                                 "AND close_date < date '2017-04-01'");
    assert_true (q1_actual >= 0);
    int64_t q1_shortfall = TEST_QUARTER_TARGET > q1_actual ? TEST_QUARTER_TARGET - q1_actual : 0;
    print_message ("company revenue 2017-Q1: %lld minor units, %lld short of its target\n",
                   (long long) q1_actual, (long long) q1_shortfall);

    sp_harness_crm_compare_t compare = { .scope = "company", .period = "2017" };
    json_t *report = s_kpi_report (crm, "company", "2017");
    assert_non_null (report);
    const json_t *entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
    if (entry) {
        s_check_amount (&compare, "revenue.target", json_object_get (entry, "target"),
                        TEST_YEAR_TARGET);
        s_check_amount (&compare, "revenue.floor", json_object_get (entry, "floor"),
                        TEST_YEAR_FLOOR);
        s_check_amount (&compare, "revenue.stretch", json_object_get (entry, "stretch"),
                        TEST_YEAR_STRETCH);
    }
    json_decref (report);

    compare.period = "2017-Q1";
    report = s_kpi_report (crm, "company", "2017-Q1");
    assert_non_null (report);
    entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
    if (entry)
        s_check_amount (&compare, "revenue.target", json_object_get (entry, "target"),
                        TEST_QUARTER_TARGET);
    json_decref (report);

    compare.period = "2017-Q2";
    report = s_kpi_report (crm, "company", "2017-Q2");
    assert_non_null (report);
    entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
    if (entry)
        s_check_amount (&compare, "revenue.target", json_object_get (entry, "target"),
                        TEST_QUARTER_TARGET + q1_shortfall);
    json_decref (report);

    /* The offices' shares: whole minor units, each within one of its
       exact share, together the company's. */
    static const struct {
        const char *scope;
        int64_t agents;
    } offices[] = { { "region:Central", 11 }, { "region:East", 12 }, { "region:West", 12 } };
    int64_t sum = 0;
    compare.period = "2017";
    for (size_t index = 0; index < sizeof offices / sizeof offices[0]; index++) {
        compare.scope = offices[index].scope;
        report = s_kpi_report (crm, offices[index].scope, "2017");
        assert_non_null (report);
        entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
        const json_t *target = entry ? json_object_get (entry, "target") : NULL;
        double share = (double) TEST_YEAR_TARGET * (double) offices[index].agents / TEST_AGENTS;
        if (!json_is_number (target) || fabs (json_number_value (target) - share) >= 1.0) {
            char expected[TEST_TEXT_SIZE];
            snprintf (expected, sizeof expected, "%.2f within 1", share);
            sp_harness_crm_differ_json (&compare, "revenue.target", expected, target);
        }
        else
            sum += (int64_t) llround (json_number_value (target));
        json_decref (report);
    }
    compare.scope = "region:*";
    if (sum != TEST_YEAR_TARGET) {
        char got[TEST_TEXT_SIZE];
        snprintf (got, sizeof got, "%lld", (long long) sum);
        sp_harness_crm_differ (&compare, "Σ revenue.target", "1000000000", got);
    }
    assert_int_equal (compare.differences, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_crm_events_are_all_accepted),
        cmocka_unit_test (test_kpi_evaluator_applies_every_event),
        cmocka_unit_test (test_company_year_matches_the_data_set),
        cmocka_unit_test (test_every_scope_and_quarter_matches_the_oracle),
        cmocka_unit_test (test_company_revenue_targets_come_from_targets_json),
    };
    return cmocka_run_group_tests (tests, s_setup, sp_harness_crm_teardown);
}
