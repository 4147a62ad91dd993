/*  test_incentive_crm - incentive-calculator's acceptance test on real
    data (issue 13): the Maven Analytics CRM data set (deploy/demo/crm/)
    replayed through the real activity-ingest into the real
    incentive-calculator under the demo plan deploy/demo/crm-plan.json
    (plan crm-demo, deploy/demo/README.md), and every agent's commission
    statement of every quarter of the data compared with an SQL oracle
    computed straight from the CSV files
    (tests/integration/incentive_crm_oracle.sql).

    The oracle shares no code with incentive-calculator: it is plain SQL
    over two tables this test fills with COPY from the CSV files as they
    are, with the plan's bands written out in it; each line is the exact
    F(cumulative after) - F(cumulative before) in numeric, rounded once
    half away from zero (numeric round), deals taken in (close_date, event
    id byte order) within the quarter. The events come from the demo
    converter (deploy/demo/crm/crm-events.sh) through `salesctl publish`.

    Order: the plan is loaded first with `salesctl load plans` (group
    setup), incentive-calculator started (UTC, USD, its statements' PUB
    socket on a free endpoint); the tests then publish, wait until it has
    applied every event (`salesctl status`: every partition's checkpoint
    at its head, heads summing to the events published; a deadline, no
    sleep), and compare `salesctl statement --rep AGENT --period QUARTER
    --json` for the 35 agents of sales_teams.csv and every quarter from
    the first close's to the last's: net payout, commission, and every
    line by (event id, rule id). The first line that differs in a
    statement is printed as `scope "rep:AGENT" period "QUARTER":
    lines[EVENT_ID/RULE].amount: expected X, got Y`, with the count of the
    statement's other differences, so one run shows every statement that
    is wrong without printing thousands of lines.

    The figures are not trivial, and the test says so before comparing:
    agents' quarters land in every band of the table (below 50,000, from
    50,000 to 100,000, above), the year-end SPIFF pays some agents in part
    and caps others at 500.00, and hundreds of lines are worth an exact
    half cent, so the rounding rule decides them.
*/
#include <limits.h>
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
#define TEST_START_TIMEOUT_MS 60000  /* activity-ingest, incentive-calculator */
#define TEST_RUN_TIMEOUT_MS 120000   /* one salesctl or converter run (sanitizer builds) */
#define TEST_APPLY_TIMEOUT_MS 300000 /* incentive-calculator applying the whole data set */
#define TEST_POLL_MS 200             /* between two looks at `salesctl status` */
#define TEST_TEXT_SIZE SP_HARNESS_CRM_TEXT_SIZE /* room for a message */

/* The data set's facts (deploy/demo/crm/README.md). */
#define TEST_EVENTS SP_HARNESS_CRM_EVENTS
#define TEST_WON SP_HARNESS_CRM_WON
#define TEST_WON_AMOUNT_MINOR SP_HARNESS_CRM_WON_AMOUNT_MINOR
#define TEST_AGENTS SP_HARNESS_CRM_AGENTS
#define TEST_QUARTERS 4 /* closes run from 2017-03-01 to 2017-12-31 */

/* The demo plan (deploy/demo/crm-plan.json), minor units. */
#define TEST_PLAN "deploy/demo/crm-plan.json"
#define TEST_PLAN_VERSION "crm-demo@1"
#define TEST_RULE_REVENUE "revenue"
#define TEST_RULE_SPIFF "year-end"
#define TEST_BAND_1_MINOR INT64_C (5000000)  /* 50,000.00: 2.5 % below, 5 % above */
#define TEST_BAND_2_MINOR INT64_C (10000000) /* 100,000.00: 7.5 % above */
#define TEST_SPIFF_CAP_MINOR INT64_C (50000) /* 500.00 */

/* The statement make run prints (deploy/local/run.sh). */
#define TEST_SHOWN_AGENT "Elease Gluck"
#define TEST_SHOWN_PERIOD "2017-Q2"

/* ---------------------------------------------------------------- helpers */

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

/* An oracle column by name: text. */
static const char *
s_oracle_text (const sp_pg_result_t *result, int row, const char *name)
{
    int column = sp_pg_result_column (result, name);
    assert_true (column >= 0);
    return sp_pg_result_value (result, row, column);
}

/* `salesctl statement --rep REP --period PERIOD --json`, parsed (the
   caller decrefs); NULL when salesctl failed (printed). */
static json_t *
s_statement (sp_harness_crm_t *crm, const char *rep, const char *period)
{
    if (sp_harness_crm_salesctl (crm, (const char *const[]){ "statement", "--rep", rep, "--period",
                                                             period, "--json", NULL }) != 0)
        return NULL;
    return sp_harness_crm_last_json (crm->output);
}

/* The key of a statement line: "EVENT_ID/RULE_ID". */
static void
s_line_key (const char *event_id, const char *rule_id, char *key, size_t size)
{
    snprintf (key, size, "%s/%s", event_id ? event_id : "(none)", rule_id ? rule_id : "(none)");
}

/* ---------------------------------------------------------------- comparing */

/* Where one statement's differences are counted: the first is printed,
   the others only counted (reported at the end). */
typedef struct {
    sp_harness_crm_compare_t *compare; /* the statement's */
    int line_differences;              /* found among its lines */
} s_lines_compare_t;

/* Reports a line difference: printed when it is the statement's first. */
static void
s_line_differ (s_lines_compare_t *lines, const char *key, const char *what, const char *expected,
               const json_t *got)
{
    if (lines->line_differences++ == 0) {
        char field[2 * TEST_TEXT_SIZE]; /* the key and what of it */
        snprintf (field, sizeof field, "lines[%s].%s", key, what);
        sp_harness_crm_differ_json (lines->compare, field, expected, got);
    }
    else
        lines->compare->differences++;
}

/* Compares the statement's lines with the oracle's (a JSON array of
   {event_id, rule_id, amount} in the order deals are taken): every
   oracle line must be an earning of the statement with its amount, and
   the statement holds no other line. */
static void
s_compare_lines (sp_harness_crm_compare_t *compare, const json_t *statement, const json_t *expected)
{
    s_lines_compare_t lines = { .compare = compare };
    json_t *by_key = json_object ();
    assert_non_null (by_key);
    size_t index;
    const json_t *line;
    char key[TEST_TEXT_SIZE], text[TEST_TEXT_SIZE];
    json_array_foreach (json_object_get (statement, "lines"), index, line)
    {
        const json_t *why = json_object_get (line, "explanation");
        s_line_key (json_string_value (json_object_get (line, "event_id")),
                    json_string_value (json_object_get (why, "rule_id")), key, sizeof key);
        if (json_object_get (by_key, key)) {
            json_t *twice = json_integer (2);
            s_line_differ (&lines, key, "count", "1", twice);
            json_decref (twice);
        }
        json_object_set (by_key, key, (json_t *) line);
    }
    json_array_foreach (expected, index, line)
    {
        s_line_key (json_string_value (json_object_get (line, "event_id")),
                    json_string_value (json_object_get (line, "rule_id")), key, sizeof key);
        const json_t *got = json_object_get (by_key, key);
        json_int_t amount = json_integer_value (json_object_get (line, "amount"));
        snprintf (text, sizeof text, "%lld", (long long) amount);
        if (!got) {
            s_line_differ (&lines, key, "amount", text, NULL);
            continue;
        }
        const json_t *kind = json_object_get (got, "kind");
        if (!json_is_string (kind) || strcmp (json_string_value (kind), "earning") != 0)
            s_line_differ (&lines, key, "kind", "\"earning\"", kind);
        const json_t *value = json_object_get (got, "amount");
        if (!json_is_integer (value) || json_integer_value (value) != amount)
            s_line_differ (&lines, key, "amount", text, value);
        const json_t *plan = json_object_get (json_object_get (got, "explanation"), "plan_version");
        if (!json_is_string (plan) || strcmp (json_string_value (plan), TEST_PLAN_VERSION) != 0)
            s_line_differ (&lines, key, "explanation.plan_version", TEST_PLAN_VERSION, plan);
        json_object_del (by_key, key);
    }
    const char *extra;
    json_t *unexpected;
    json_object_foreach (by_key, extra, unexpected)
    {
        s_line_differ (&lines, extra, "amount", "no such line",
                       json_object_get (unexpected, "amount"));
    }
    json_decref (by_key);
    if (lines.line_differences > 1)
        printf ("scope \"%s\" period \"%s\": and %d more line differences\n", compare->scope,
                compare->period, lines.line_differences - 1);
}

/* Compares `salesctl statement` for the oracle's row with it; returns
   the differences found. */
static int
s_compare_row (sp_harness_crm_t *crm, const sp_pg_result_t *oracle, int row)
{
    const char *rep = s_oracle_text (oracle, row, "rep_id");
    char scope[TEST_TEXT_SIZE];
    snprintf (scope, sizeof scope, "rep:%s", rep);
    sp_harness_crm_compare_t compare = { .scope = scope,
                                         .period = s_oracle_text (oracle, row, "period") };
    json_t *statement = s_statement (crm, rep, compare.period);
    if (!statement) {
        sp_harness_crm_differ (&compare, "exit status", "0", "non-zero (see above)");
        return compare.differences;
    }
    sp_harness_crm_check_string (&compare, statement, "rep_id", rep);
    sp_harness_crm_check_string (&compare, statement, "period", compare.period);
    sp_harness_crm_check_string (&compare, statement, "currency", "USD");
    const json_t *value = json_object_get (statement, "complete");
    if (!json_is_true (value))
        sp_harness_crm_differ_json (&compare, "complete", "true", value);
    value = json_object_get (statement, "closed");
    if (!json_is_false (value))
        sp_harness_crm_differ_json (&compare, "closed", "false", value);
    /* every deal of the agent is paid by the plan: none left out */
    value = json_object_get (statement, "not_credited");
    if (json_array_size (value) != 0)
        sp_harness_crm_differ_json (&compare, "not_credited", "[]", value);

    int64_t payout = s_oracle_integer (oracle, row, "net_payout_minor");
    sp_harness_crm_check_integer (&compare, "net_payout", json_object_get (statement, "net_payout"),
                                  payout);
    sp_harness_crm_check_integer (&compare, "commission", json_object_get (statement, "commission"),
                                  payout);
    json_error_t error;
    json_t *expected = json_loads (s_oracle_text (oracle, row, "lines"), 0, &error);
    assert_true (json_is_array (expected));
    s_compare_lines (&compare, statement, expected);
    json_decref (expected);
    json_decref (statement);
    return compare.differences;
}

/* ---------------------------------------------------------------- fixture */

/* The stack; the demo plan loaded, then incentive-calculator started in
   UTC and USD (--currency, the setting SP_INCENTIVE_CURRENCY), its
   closed statements' PUB socket on a free endpoint. */
static int
s_setup (void **state)
{
    sp_harness_crm_t *crm = sp_harness_crm_new ("test_incentive_crm", TEST_PARTITIONS,
                                                TEST_START_TIMEOUT_MS, TEST_RUN_TIMEOUT_MS);
    *state = crm;
    if (!crm || sp_harness_crm_load (crm, "plans", TEST_PLAN) != 0)
        return -1;
    return sp_harness_crm_start (crm, "incentive-calculator", "SP_INCENTIVE_STATEMENTS_ENDPOINT",
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

/* incentive-calculator applies every event, quarantining none. */
static void
test_incentive_calculator_applies_every_event (void **state)
{
    sp_harness_crm_t *crm = *state;
    int64_t started = sp_harness_now_ms ();
    assert_int_equal (
        sp_harness_crm_wait_applied (crm, TEST_EVENTS, TEST_APPLY_TIMEOUT_MS, TEST_POLL_MS), 0);
    printf ("incentive-calculator applied %d events in %lld ms\n", TEST_EVENTS,
            (long long) (sp_harness_now_ms () - started));
    assert_int_equal (
        sp_harness_pg_count (crm->stack->pg, "SELECT count(*) FROM quarantined_events"), 0);
}

/* Every agent, every quarter: the statement equals the oracle's, line
   by line; the oracle itself adds up to the data set and is not
   trivial. */
static void
test_every_agent_and_quarter_matches_the_oracle (void **state)
{
    sp_harness_crm_t *crm = *state;
    assert_int_equal (sp_harness_crm_load_tables (crm), 0);
    sp_pg_result_t *oracle =
        sp_harness_crm_oracle (crm, "tests/integration/incentive_crm_oracle.sql");
    assert_non_null (oracle);
    assert_int_equal (sp_pg_result_rows (oracle), TEST_AGENTS * TEST_QUARTERS);

    /* Every won dollar is in some agent's quarter; the quarters reach
       every band of the table; the SPIFF pays in part and up to its cap;
       the rounding rule decides lines worth an exact half cent. */
    int64_t revenue = 0, lines = 0, half_cent = 0, payout = 0;
    int below_band_1 = 0, in_band_1 = 0, above_band_2 = 0, spiff_part = 0, spiff_capped = 0;
    for (int row = 0; row < sp_pg_result_rows (oracle); row++) {
        int64_t quarter = s_oracle_integer (oracle, row, "revenue_minor");
        int64_t spiff = s_oracle_integer (oracle, row, "spiff_minor");
        revenue += quarter;
        payout += s_oracle_integer (oracle, row, "net_payout_minor");
        half_cent += s_oracle_integer (oracle, row, "half_cent_lines");
        json_t *expected = json_loads (s_oracle_text (oracle, row, "lines"), 0, NULL);
        assert_true (json_is_array (expected));
        lines += (int64_t) json_array_size (expected);
        json_decref (expected);
        below_band_1 += quarter > 0 && quarter < TEST_BAND_1_MINOR;
        in_band_1 += quarter >= TEST_BAND_1_MINOR && quarter < TEST_BAND_2_MINOR;
        above_band_2 += quarter >= TEST_BAND_2_MINOR;
        spiff_part += spiff > 0 && spiff < TEST_SPIFF_CAP_MINOR;
        spiff_capped += spiff == TEST_SPIFF_CAP_MINOR;
    }
    printf ("oracle: %lld lines (%lld worth an exact half cent), payout %lld minor units; "
            "agent-quarters below 50,000: %d, 50,000 to 100,000: %d, above: %d; "
            "SPIFF in part: %d, capped: %d\n",
            (long long) lines, (long long) half_cent, (long long) payout, below_band_1, in_band_1,
            above_band_2, spiff_part, spiff_capped);
    assert_int_equal (revenue, TEST_WON_AMOUNT_MINOR);
    assert_true (lines > TEST_WON); /* one revenue line per deal, plus December's SPIFF lines */
    assert_true (half_cent > 0);
    assert_true (below_band_1 > 0 && in_band_1 > 0 && above_band_2 > 0);
    assert_true (spiff_part > 0 && spiff_capped > 0);

    int differences = sp_harness_crm_compare_rows (crm, oracle, s_compare_row);
    sp_pg_result_destroy (&oracle);
    assert_int_equal (differences, 0);
}

/* The statement make run prints, in words: it names the agent, the
   plan version and ends with the net payout. */
static void
test_the_shown_statement_reads (void **state)
{
    sp_harness_crm_t *crm = *state;
    assert_int_equal (
        sp_harness_crm_salesctl (crm, (const char *const[]){ "statement", "--rep", TEST_SHOWN_AGENT,
                                                             "--period", TEST_SHOWN_PERIOD, NULL }),
        0);
    assert_non_null (
        strstr (crm->output, "statement of " TEST_SHOWN_AGENT " for " TEST_SHOWN_PERIOD " (USD)"));
    assert_non_null (strstr (crm->output, "plan " TEST_PLAN_VERSION));
    assert_non_null (strstr (crm->output, "advances 0.00, recoveries 0.00"));
    assert_non_null (strstr (crm->output, "net payout "));
    assert_null (strstr (crm->output, "not credited"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_crm_events_are_all_accepted),
        cmocka_unit_test (test_incentive_calculator_applies_every_event),
        cmocka_unit_test (test_every_agent_and_quarter_matches_the_oracle),
        cmocka_unit_test (test_the_shown_statement_reads),
    };
    return cmocka_run_group_tests (tests, s_setup, sp_harness_crm_teardown);
}
