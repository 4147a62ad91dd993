/*  test_kpi_warnings - KPI pace warnings end to end: an org and a targets
    document loaded with `salesctl load`, wins published through the real
    activity-ingest (salesctl publish), applied and judged by the real
    kpi-evaluator, the warnings received by a subscriber on the service's
    PUB socket and read back with `salesctl warnings`.

    kpi-evaluator judges as of 2026-03-15 (--as-of; 15 of 31
    days of March elapsed). rep-ana (team north, region emea) has a March
    revenue target of 3,000.00 with a floor of 2,000.00, loaded once her
    first win is counted (before it, nothing won by the 15th is at risk
    already). One win of 500.00 projects 500.00 × 31 ÷ 15 = 1,033.33, under the floor: a
    FIRING warning reaches the subscriber under kpi.at_risk.emea.north,
    once. The subscriber then goes away; a win of 1,000.00 lifts the
    projection to 3,100.00, on track, and a CLEARED warning is recorded.
    A subscriber started again (`salesctl warnings --follow --json
    --after <the last sequence it saw>`) gets the CLEARED warning exactly
    once and nothing else, and a fresh SUB socket receives nothing more:
    each transition is published once.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <czmq.h>
#include <jansson.h>

#include "kpi.pb-c.h"
#include "kpi_warning.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"

#define PARTITIONS 4
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE 65536
#define PATH_SIZE 4096
#define FOLLOW_SECONDS "3" /* longer than SP_OUTBOX_FOLLOW_QUIET_MS: one read back */

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t evaluator;
    int http_port;
    char warnings[SP_HARNESS_CONSUMER_ENDPOINT_SIZE];
    char log[PATH_SIZE];
    zsock_t *subscriber;
    int64_t firing_sequence; /* the FIRING warning the first subscriber saw */
} s_fixture_t;

static s_fixture_t s_fixture;

/* Writes text to a file of the test's folder; path gets its name. */
static void
s_file (const char *name, const char *text, char *path, size_t size)
{
    snprintf (path, size, "%s/%s", sp_harness_dir (s_fixture.stack->harness), name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}

/* Runs salesctl; 0 with its output, or its status. */
static int
s_salesctl (const char *const *arguments, char *output, size_t size)
{
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (s_fixture.stack->harness));
    return sp_harness_salesctl (s_fixture.stack->harness, arguments, errors, output, size,
                                TIMEOUT_MS);
}

static void
s_load (const char *kind, const char *name, const char *text)
{
    char path[PATH_SIZE];
    char output[OUTPUT_SIZE];
    s_file (name, text, path, sizeof path);
    if (s_salesctl ((const char *[]){ "load", kind, path, "--json", NULL }, output,
                    sizeof output) != 0)
        fail_msg ("salesctl load %s %s failed: %s", kind, name, output);
}

static void
s_publish (const char *name, const char *text)
{
    char path[PATH_SIZE];
    char output[OUTPUT_SIZE];
    s_file (name, text, path, sizeof path);
    int status = s_salesctl (
        (const char *[]){ "publish", path, "--endpoint", s_fixture.stack->endpoint, NULL }, output,
        sizeof output);
    if (status != 0)
        fail_msg ("salesctl publish: %d: %s", status, output);
}

/* The JSON lines of `salesctl warnings` with arguments: an array. */
static json_t *
s_warnings (const char *const *arguments)
{
    char output[OUTPUT_SIZE];
    if (s_salesctl (arguments, output, sizeof output) != 0)
        fail_msg ("salesctl warnings failed: %s", output);
    json_t *lines = json_array ();
    char *save = NULL;
    for (char *line = strtok_r (output, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        json_t *object = json_loads (line, 0, NULL);
        if (!object)
            fail_msg ("not a JSON line: %s", line);
        json_array_append_new (lines, object);
    }
    return lines;
}

static const char *
s_text (const json_t *object, const char *field)
{
    return json_string_value (json_object_get (object, field));
}

static json_int_t
s_integer (const json_t *object, const char *field)
{
    return json_integer_value (json_object_get (object, field));
}

/* Waits until rep-ana's March revenue is revenue (minor units). */
static void
s_wait_revenue (json_int_t revenue)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    json_int_t seen = -1;
    while (sp_harness_now_ms () < deadline) {
        char output[OUTPUT_SIZE];
        seen = -1;
        if (s_salesctl ((const char *[]){ "kpi", "--scope", "rep:rep-ana", "--period", "2026-03",
                                          "--json", NULL },
                        output, sizeof output) == 0) {
            json_t *report = json_loads (output, JSON_DISABLE_EOF_CHECK, NULL);
            size_t index;
            json_t *row;
            json_array_foreach (json_object_get (report, "kpis"), index, row)
            {
                if (strcmp (s_text (row, "kpi"), "revenue") == 0)
                    seen = s_integer (row, "actual");
            }
            json_decref (report);
        }
        if (seen == revenue)
            return;
        sp_harness_pause_ms (100);
    }
    fail_msg ("rep-ana's revenue was %lld, not %lld", (long long) seen, (long long) revenue);
}

/* Evaluations that judged (neither put off nor failed). */
static int64_t
s_judged (void)
{
    int64_t total = sp_harness_consumer_metric (s_fixture.http_port,
                                                "salespulse_kpi_warning_evaluations_total");
    int64_t deferred = sp_harness_consumer_metric (
        s_fixture.http_port, "salespulse_kpi_warning_evaluations_deferred_total");
    int64_t failed = sp_harness_consumer_metric (s_fixture.http_port,
                                                 "salespulse_kpi_warning_evaluation_errors_total");
    assert_true (total >= 0 && deferred >= 0 && failed >= 0);
    return total - deferred - failed;
}

/* Waits until pace was judged twice more: the second of those began
   after this call, on the results as they are now. */
static void
s_wait_judged (void)
{
    int64_t wanted = s_judged () + 2;
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (s_judged () < wanted) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("kpi-evaluator did not judge pace in time");
        sp_harness_pause_ms (100);
    }
}

/* Receives the next warning on subscriber within timeout_ms; topic gets
   frame 0. NULL when none came. */
static Salespulse__KpiWarning *
s_receive (zsock_t *subscriber, int timeout_ms, char *topic, size_t size)
{
    zpoller_t *poller = zpoller_new (subscriber, NULL);
    void *ready = zpoller_wait (poller, timeout_ms);
    zpoller_destroy (&poller);
    if (!ready)
        return NULL;
    zmsg_t *message = zmsg_recv (subscriber);
    assert_non_null (message);
    assert_int_equal (zmsg_size (message), 2);
    char *text = zmsg_popstr (message);
    snprintf (topic, size, "%s", text);
    free (text);
    zframe_t *payload = zmsg_pop (message);
    Salespulse__KpiWarning *warning =
        salespulse__kpi_warning__unpack (NULL, zframe_size (payload), zframe_data (payload));
    zframe_destroy (&payload);
    zmsg_destroy (&message);
    assert_non_null (warning);
    kpi_warning_t read;
    char error[256];
    if (kpi_warning_from_message (warning, &read, error, sizeof error) != 0)
        fail_msg ("a received warning does not validate: %s", error);
    return warning;
}

static int
s_start_evaluator (void)
{
    char warnings[128];
    snprintf (warnings, sizeof warnings, "SP_KPI_WARNINGS_ENDPOINT=%s", s_fixture.warnings);
    s_fixture.evaluator = sp_harness_consumer_service (
        s_fixture.stack->harness, "kpi-evaluator", s_fixture.stack->bus, s_fixture.http_port,
        PARTITIONS,
        (const char *[]){ warnings, "SP_TIME_ZONE=UTC", "SP_KPI_CURRENCY=USD",
                          "SP_CONSUMER_POLL_MS=100", "SP_DEFINITIONS_CHECK_MS=200",
                          "SP_KPI_WARNING_INTERVAL_MS=200", "SP_KPI_AS_OF=2026-03-15", NULL },
        NULL, s_fixture.log, TIMEOUT_MS);
    return s_fixture.evaluator > 0 ? 0 : -1;
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_kpi_warnings", PARTITIONS, 0, TIMEOUT_MS);
    if (!s_fixture.stack)
        return -1;
    s_fixture.http_port = sp_harness_free_port ();
    if (sp_harness_free_endpoint (s_fixture.warnings, sizeof s_fixture.warnings) != 0)
        return -1;
    s_fixture.subscriber = zsock_new_sub (s_fixture.warnings, KPI_WARNING_TOPIC_PREFIX);
    if (!s_fixture.subscriber)
        return -1;
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/kpi-evaluator.log",
              sp_harness_dir (s_fixture.stack->harness));
    return s_start_evaluator ();
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.evaluator > 0)
        assert_int_equal (sp_harness_stop (s_fixture.evaluator, TIMEOUT_MS), 0);
    zsock_destroy (&s_fixture.subscriber);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

static const char s_org[] =
    "{\"name\": \"warnings\", \"regions\": [{\"id\": \"emea\"}],"
    " \"teams\": [{\"id\": \"north\", \"region\": \"emea\"}],"
    " \"reps\": [{\"id\": \"rep-ana\", \"memberships\": [{\"team\": \"north\", \"from\": "
    "\"2026-01-01\"}]}]}";

static const char s_targets[] =
    "{\"name\": \"warnings-2026\", \"currency\": \"USD\", \"targets\": ["
    " {\"node\": \"rep:rep-ana\", \"kpi\": \"revenue\", \"period\": \"2026-03\", \"target\": "
    "\"3000.00\", \"floor\": \"2000.00\"}]}";

/* One win of rep-ana: id, day (2026-03-DD), amount. */
#define WIN(id, day, amount)                                                                       \
    "{\"event_id\": \"" id "\", \"source\": \"crm\", \"type\": \"deal_won\", \"occurred_at\": "    \
    "\"2026-03-" day "T10:00:00Z\", \"rep_id\": \"rep-ana\", \"customer_id\": \"cust-" id          \
    "\", \"opportunity_id\": \"opp-" id "\", \"currency\": \"USD\", \"amount\": \"" amount "\"}\n"

static void
test_warning_fires_below_the_floor (void **state)
{
    (void) state;
    /* counted first: with a target and nothing won by the 15th, the rep
       would be at risk already, with an actual of 0 */
    s_load ("org", "org.json", s_org);
    s_publish ("first.jsonl", WIN ("w1", "10", "500.00"));
    s_wait_revenue (50000);
    s_load ("targets", "targets.json", s_targets);
    char topic[256];
    Salespulse__KpiWarning *warning =
        s_receive (s_fixture.subscriber, TIMEOUT_MS, topic, sizeof topic);
    assert_non_null (warning);
    assert_string_equal (topic, "kpi.at_risk.emea.north");
    assert_int_equal (warning->state, SALESPULSE__KPI_WARNING__STATE__FIRING);
    assert_int_equal (warning->reason, SALESPULSE__KPI_WARNING__REASON__OFF_PACE);
    assert_int_equal (warning->status, SALESPULSE__KPI_WARNING__STATUS__AT_RISK);
    assert_string_equal (warning->node, "rep:rep-ana");
    assert_string_equal (warning->kpi, "revenue");
    assert_string_equal (warning->period, "2026-03");
    assert_string_equal (warning->unit, "money");
    assert_string_equal (warning->currency, "USD");
    assert_int_equal (warning->actual, 50000);
    assert_int_equal (warning->target, 300000);
    assert_true (warning->has_floor);
    assert_int_equal (warning->floor, 200000);
    assert_int_equal (warning->projection, 103333); /* 500.00 × 31 ÷ 15 */
    assert_int_equal (warning->days_elapsed, 15);
    assert_int_equal (warning->days_total, 31);
    assert_string_equal (warning->as_of_day, "2026-03-15");
    s_fixture.firing_sequence = (int64_t) warning->sequence;
    salespulse__kpi_warning__free_unpacked (warning, NULL);

    /* one warning until it clears, whatever the number of evaluations */
    s_wait_judged ();
    warning = s_receive (s_fixture.subscriber, 0, topic, sizeof topic);
    if (warning)
        fail_msg ("a second warning #%llu on %s", (unsigned long long) warning->sequence, topic);
    json_t *firing = s_warnings ((const char *[]){ "warnings", "--firing", "--json", NULL });
    assert_int_equal (json_array_size (firing), 1);
    json_t *first = json_array_get (firing, 0);
    assert_int_equal (s_integer (first, "sequence"), s_fixture.firing_sequence);
    assert_string_equal (s_text (first, "state"), "firing");
    assert_string_equal (s_text (first, "status"), "at_risk");
    assert_int_equal (s_integer (first, "floor"), 200000);
    json_decref (firing);
}

static void
test_cleared_while_away_seen_once (void **state)
{
    (void) state;
    assert_true (s_fixture.firing_sequence > 0);
    zsock_destroy (&s_fixture.subscriber);
    s_publish ("second.jsonl", WIN ("w2", "12", "1000.00"));
    /* recorded: the history ends with the CLEARED warning */
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    json_t *history = NULL;
    for (;;) {
        history = s_warnings ((const char *[]){ "warnings", "--json", NULL });
        if (json_array_size (history) == 2)
            break;
        json_decref (history);
        if (sp_harness_now_ms () > deadline)
            fail_msg ("no CLEARED warning was recorded in time");
        sp_harness_pause_ms (100);
    }
    json_t *cleared = json_array_get (history, 1);
    assert_int_equal (s_integer (cleared, "sequence"), s_fixture.firing_sequence + 1);
    assert_string_equal (s_text (cleared, "state"), "cleared");
    assert_string_equal (s_text (cleared, "reason"), "recovered");
    assert_string_equal (s_text (cleared, "status"), "on_track");
    assert_string_equal (s_text (cleared, "fired_status"), "at_risk");
    assert_int_equal (s_integer (cleared, "actual"), 150000);
    assert_int_equal (s_integer (cleared, "projection"), 310000); /* 1,500.00 × 31 ÷ 15 */
    json_decref (history);

    /* the subscriber comes back from the last sequence it saw: the
       CLEARED warning once, nothing else */
    char after[32];
    snprintf (after, sizeof after, "%lld", (long long) s_fixture.firing_sequence);
    json_t *followed = s_warnings ((const char *[]){ "warnings", "--follow", "--json", "--after",
                                                     after, "--endpoint", s_fixture.warnings,
                                                     "--timeout", FOLLOW_SECONDS, NULL });
    assert_int_equal (json_array_size (followed), 1);
    cleared = json_array_get (followed, 0);
    assert_int_equal (s_integer (cleared, "sequence"), s_fixture.firing_sequence + 1);
    assert_string_equal (s_text (cleared, "state"), "cleared");
    assert_string_equal (s_text (cleared, "node"), "rep:rep-ana");
    json_decref (followed);

    /* nothing fires, and nothing is published again */
    s_fixture.subscriber = zsock_new_sub (s_fixture.warnings, KPI_WARNING_TOPIC_PREFIX);
    assert_non_null (s_fixture.subscriber);
    s_wait_judged ();
    char topic[256];
    Salespulse__KpiWarning *warning = s_receive (s_fixture.subscriber, 0, topic, sizeof topic);
    if (warning)
        fail_msg ("warning #%llu published again on %s", (unsigned long long) warning->sequence,
                  topic);
    json_t *firing = s_warnings ((const char *[]){ "warnings", "--firing", "--json", NULL });
    assert_int_equal (json_array_size (firing), 0);
    json_decref (firing);
    assert_int_equal (
        sp_harness_consumer_metric (s_fixture.http_port, "salespulse_kpi_warnings_published_total"),
        2);
    assert_int_equal (sp_harness_consumer_metric (s_fixture.http_port,
                                                  "salespulse_kpi_warning_evaluation_errors_total"),
                      0);
    assert_false (sp_harness_log_contains (s_fixture.log, "could not"));
}

/* The same evaluations record the forecasts of the week's point once:
   judged as of Sunday 2026-03-15, the point is Monday 2026-03-09, for
   the month and the quarter; however many evaluations ran, one row per
   scope, KPI and point. The monthly report shows them next to the
   month's live actual. */
static void
test_forecasts_recorded_once (void **state)
{
    (void) state;
    sp_pg_result_t *result =
        sp_pg_exec (s_fixture.stack->pg,
                    "SELECT period, recorded_on::text, count(*), count(DISTINCT (scope, kpi)) "
                    "FROM kpi_forecasts WHERE scope = 'company' GROUP BY period, recorded_on "
                    "ORDER BY period",
                    0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    assert_int_equal (sp_pg_result_rows (result), 2);
    assert_string_equal (sp_pg_result_value (result, 0, 0), "2026-03");
    assert_string_equal (sp_pg_result_value (result, 1, 0), "2026-Q1");
    for (int row = 0; row < 2; row++) {
        assert_string_equal (sp_pg_result_value (result, row, 1), "2026-03-09");
        /* revenue and deals_won, once each */
        assert_string_equal (sp_pg_result_value (result, row, 2), "2");
        assert_string_equal (sp_pg_result_value (result, row, 3), "2");
    }
    sp_pg_result_destroy (&result);

    char output[OUTPUT_SIZE];
    if (s_salesctl ((const char *[]){ "report", "monthly", "--scope", "company", "--date",
                                      "2026-03-31", "--json", NULL },
                    output, sizeof output) != 0)
        fail_msg ("salesctl report failed: %s", output);
    json_t *report = json_loads (output, 0, NULL);
    assert_non_null (report);
    json_t *accuracy = json_object_get (report, "forecast_accuracy");
    assert_string_equal (s_text (accuracy, "final_from"), "live");
    json_t *points = json_object_get (accuracy, "points");
    assert_int_equal (json_array_size (points), 2);
    json_t *revenue = json_array_get (points, 1); /* by day, then KPI: deals_won, revenue */
    assert_string_equal (s_text (revenue, "kpi"), "revenue");
    assert_string_equal (s_text (revenue, "recorded_on"), "2026-03-09");
    /* the final figure is the month's live revenue: both wins, 500.00
       and the later one */
    json_int_t final = s_integer (revenue, "final");
    assert_true (final > 50000);
    assert_int_equal (s_integer (revenue, "error"), s_integer (revenue, "forecast") - final);
    json_decref (report);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_warning_fires_below_the_floor),
        cmocka_unit_test (test_cleared_while_away_seen_once),
        cmocka_unit_test (test_forecasts_recorded_once),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
