/*  test_kpi_cluster - kpi-evaluator on a real Redis Cluster (issue 15):
    the same events, published once through the real activity-ingest, are
    applied by two kpi-evaluators, one keeping its state on one Redis
    server and one on a 3-master cluster (redis+cluster://), and `salesctl
    kpi`, `salesctl scorecard` and `salesctl report` give the same answers
    from both, for every scope and period asked. The reference data (org,
    targets, scorecard) lives in PostgreSQL and is shared by both.

    The events: 32 opportunities over 16 partitions, in four reps of three
    teams and two regions, each with a lead, a visit (even ones), a call
    (every third), a quote (every fifth) and a win (every third) or a loss
    (some others), from 2026-03-02 over two months, published latest
    first. Then a new org version moves a rep to another team on
    2026-04-01: both rebuild every partition and answer alike again; and
    March is closed with `salesctl close-period` against the cluster: both
    show the same snapshot. The answers' "as_of" (the moment asked) is
    left out of the comparison.
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
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "sp_harness.h"
#include "sp_harness_cluster.h"
#include "sp_harness_consumer.h"

#define PARTITIONS 16
#define OPPORTUNITIES 32
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE 131072
/* 2026-03-02T09:00:00Z */
#define T0 INT64_C (1772442000000)
#define HOUR_MS INT64_C (3600000)
#define DAY_MS (24 * HOUR_MS)

typedef struct {
    sp_harness_consumer_stack_t *stack;
    sp_harness_cluster_t *cluster;
    pid_t single;            /* kpi-evaluator on the stack's Redis */
    pid_t cluster_evaluator; /* kpi-evaluator on the cluster */
} s_fixture_t;

static s_fixture_t s_fixture;

static const char *const s_reps[] = { "rep-ana", "rep-ben", "rep-cal", "rep-dia" };

static const char s_org[] =
    "{\"name\": \"cluster\", \"regions\": [{\"id\": \"emea\"}, {\"id\": \"apac\"}],"
    " \"teams\": [{\"id\": \"north\", \"region\": \"emea\"}, {\"id\": \"south\", \"region\": "
    "\"emea\"}, {\"id\": \"east\", \"region\": \"apac\"}],"
    " \"reps\": [{\"id\": \"rep-ana\", \"memberships\": [{\"team\": \"north\", \"from\": "
    "\"2026-01-01\"}]},"
    " {\"id\": \"rep-ben\", \"memberships\": [{\"team\": \"north\", \"from\": \"2026-01-01\"}]},"
    " {\"id\": \"rep-cal\", \"memberships\": [{\"team\": \"south\", \"from\": \"2026-01-01\"}]},"
    " {\"id\": \"rep-dia\", \"memberships\": [{\"team\": \"east\", \"from\": \"2026-01-01\"}]}]}";

static const char s_targets[] =
    "{\"name\": \"cluster-2026\", \"currency\": \"USD\", \"targets\": ["
    " {\"node\": \"company\", \"kpi\": \"revenue\", \"period\": \"2026-Q2\", \"target\": "
    "\"60000.00\", \"floor\": \"40000.00\", \"stretch\": \"80000.00\","
    "  \"spread\": {\"to\": \"month\", \"rule\": \"even\", \"basis\": \"periods\"}},"
    " {\"node\": \"company\", \"kpi\": \"revenue\", \"period\": \"2026-03\", \"target\": "
    "\"20000.00\"},"
    " {\"node\": \"rep:rep-ana\", \"kpi\": \"revenue\", \"period\": \"2026-03\", \"target\": "
    "\"3000.00\"},"
    " {\"node\": \"rep:rep-ben\", \"kpi\": \"revenue\", \"period\": \"2026-03\", \"target\": "
    "\"3000.00\"},"
    " {\"node\": \"rep:rep-cal\", \"kpi\": \"revenue\", \"period\": \"2026-03\", \"target\": "
    "\"3000.00\"},"
    " {\"node\": \"rep:rep-dia\", \"kpi\": \"revenue\", \"period\": \"2026-03\", \"target\": "
    "\"3000.00\"},"
    " {\"node\": \"team:north\", \"kpi\": \"revenue\", \"period\": \"2026-03\", \"target\": "
    "\"6000.00\"},"
    " {\"node\": \"region:emea\", \"kpi\": \"win_rate\", \"period\": \"2026-03\", \"target\": "
    "0.5}]}";

static const char s_scorecard[] =
    "{\"name\": \"cluster\", \"stage_probabilities\": {\"Engaging\": 0.5}, \"roles\": {"
    " \"rep\": {\"kpis\": [{\"kpi\": \"revenue\", \"weight\": 0.5}, {\"kpi\": \"win_rate\", "
    "\"weight\": 0.2}, {\"kpi\": \"deals_won\", \"weight\": 0.1}, {\"kpi\": \"quotes_sent\", "
    "\"weight\": 0.1}, {\"kpi\": \"touches\", \"weight\": 0.1}]},"
    " \"team\": {\"kpis\": [{\"kpi\": \"revenue\", \"weight\": 0.5}, {\"kpi\": \"win_rate\", "
    "\"weight\": 0.2}, {\"kpi\": \"deals_won\", \"weight\": 0.1}, {\"kpi\": \"quotes_sent\", "
    "\"weight\": 0.1}, {\"kpi\": \"touches\", \"weight\": 0.1}]},"
    " \"region\": {\"kpis\": [{\"kpi\": \"revenue\", \"weight\": 0.5}, {\"kpi\": \"win_rate\", "
    "\"weight\": 0.2}, {\"kpi\": \"deals_won\", \"weight\": 0.1}, {\"kpi\": \"quotes_sent\", "
    "\"weight\": 0.1}, {\"kpi\": \"touches\", \"weight\": 0.1}]}}}";

static void
s_iso (int64_t ms, char *buffer, size_t size)
{
    time_t seconds = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    strftime (buffer, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One event naming only the rep: the org gives its team and region. */
static void
s_event (FILE *file, const char *type, int opportunity, int64_t at, const char *extra)
{
    char when[32];
    s_iso (at, when, sizeof when);
    fprintf (file,
             "{\"event_id\": \"kpi-cluster:%s:%d\", \"source\": \"crm\", \"type\": \"%s\", "
             "\"occurred_at\": \"%s\", \"rep_id\": \"%s\", \"customer_id\": \"customer-%d\", "
             "\"opportunity_id\": \"opp-%d\"%s}\n",
             type, opportunity, type, when, s_reps[opportunity % 4], opportunity % 10, opportunity,
             extra);
}

static void
s_write_events (const char *path)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    for (int i = OPPORTUNITIES - 1; i >= 0; i--) {
        int64_t lead = T0 + i * 40 * HOUR_MS;
        char extra[128];
        if (i % 3 == 0) {
            snprintf (extra, sizeof extra, ", \"currency\": \"USD\", \"amount\": \"%d.00\"",
                      1000 + 100 * i);
            s_event (file, "deal_won", i, lead + 5 * DAY_MS, extra);
        }
        else if (i % 5 == 1)
            s_event (file, "deal_lost", i, lead + 6 * DAY_MS, "");
        if (i % 5 == 0)
            s_event (file, "quote_sent", i, lead + 3 * DAY_MS,
                     ", \"currency\": \"USD\", \"amount\": \"1000.00\"");
        if (i % 3 == 0)
            s_event (file, "call", i, lead + 2 * DAY_MS, ", \"duration_seconds\": 300");
        if (i % 2 == 0) {
            snprintf (extra, sizeof extra, ", \"duration_minutes\": %d", 20 + i);
            s_event (file, "visit_completed", i, lead + DAY_MS, extra);
        }
        s_event (file, "lead_created", i, lead,
                 ", \"currency\": \"USD\", \"estimated_value\": \"500.00\"");
    }
    fclose (file);
}

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

static void
s_load (const char *kind, const char *name, const char *text)
{
    char path[PATH_MAX];
    s_file (name, text, path, sizeof path);
    char output[OUTPUT_SIZE];
    char errors[PATH_MAX];
    snprintf (errors, sizeof errors, "%s/load.err", sp_harness_dir (s_fixture.stack->harness));
    if (sp_harness_salesctl (s_fixture.stack->harness,
                             (const char *[]){ "load", kind, path, "--json", NULL }, errors, output,
                             sizeof output, TIMEOUT_MS) != 0)
        fail_msg ("salesctl load %s %s failed: %s", kind, name, output);
}

static pid_t
s_evaluator (const char *redis_setting, const char *name)
{
    char log[PATH_MAX];
    snprintf (log, sizeof log, "%s/%s.log", sp_harness_dir (s_fixture.stack->harness), name);
    const char *settings[] = { "SP_TIME_ZONE=UTC",
                               "SP_KPI_CURRENCY=USD",
                               "SP_CONSUMER_POLL_MS=100",
                               "SP_DEFINITIONS_CHECK_MS=200",
                               redis_setting,
                               "SP_KPI_WARNINGS_ENDPOINT=tcp://127.0.0.1:*",
                               NULL };
    return sp_harness_consumer_service (s_fixture.stack->harness, "kpi-evaluator",
                                        s_fixture.stack->bus, sp_harness_free_port (), PARTITIONS,
                                        settings, NULL, log, TIMEOUT_MS);
}

/* The stack, the cluster and the reference data; the evaluators start
   once it is loaded (test_cluster_answers_as_one_server). */
static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack = sp_harness_consumer_stack_new ("test_kpi_cluster", PARTITIONS, 0, TIMEOUT_MS);
    s_fixture.cluster = sp_harness_cluster_new (SP_HARNESS_CLUSTER_MASTERS);
    return s_fixture.stack && s_fixture.cluster ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.single > 0)
        sp_harness_stop (s_fixture.single, TIMEOUT_MS);
    if (s_fixture.cluster_evaluator > 0)
        sp_harness_stop (s_fixture.cluster_evaluator, TIMEOUT_MS);
    sp_harness_cluster_destroy (&s_fixture.cluster);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

/* salesctl's JSON answer to arguments against redis_url, or NULL when
   it failed. */
static json_t *
s_salesctl (const char *const *arguments, const char *redis_url)
{
    return sp_harness_salesctl_json (s_fixture.stack->harness, arguments, redis_url, TIMEOUT_MS);
}

/* The answer says it read every partition up to the log's head. */
static bool
s_complete (json_t *answer)
{
    return json_is_true (json_object_get (json_object_get (answer, "completeness"), "complete"));
}

/* Both answers, once both are complete and the same (the evaluators
   apply at their own pace; as_of, the moment asked, aside); fails when
   they never agree. Returns the common answer. */
static json_t *
s_assert_same (const char *const *arguments)
{
    json_t *same = sp_harness_salesctl_same (
        s_fixture.stack->harness, arguments, sp_harness_redis_url (s_fixture.stack->harness),
        sp_harness_cluster_url (s_fixture.cluster), (const char *[]){ "as_of", NULL }, TIMEOUT_MS);
    if (!same)
        fail_msg ("%s %s %s %s %s: the answers differ or are incomplete", arguments[0],
                  arguments[1], arguments[2], arguments[3], arguments[4]);
    return same;
}

/* The actual of kpi in a `salesctl kpi` answer. */
static json_int_t
s_actual (json_t *report, const char *kpi)
{
    size_t index;
    json_t *row;
    json_array_foreach (json_object_get (report, "kpis"), index, row)
    {
        if (strcmp (json_string_value (json_object_get (row, "kpi")), kpi) == 0)
            return json_integer_value (json_object_get (row, "actual"));
    }
    fail_msg ("no KPI %s in the report", kpi);
    return -1;
}

static void
test_cluster_answers_as_one_server (void **state)
{
    (void) state;
    s_load ("org", "org.json", s_org);
    s_load ("targets", "targets.json", s_targets);
    s_load ("scorecard", "scorecard.json", s_scorecard);
    static char single[PATH_MAX], cluster[PATH_MAX];
    snprintf (single, sizeof single, "SP_REDIS_URL=%s",
              sp_harness_redis_url (s_fixture.stack->harness));
    snprintf (cluster, sizeof cluster, "SP_REDIS_URL=%s",
              sp_harness_cluster_url (s_fixture.cluster));
    s_fixture.single = s_evaluator (single, "kpi-single");
    s_fixture.cluster_evaluator = s_evaluator (cluster, "kpi-cluster");
    assert_true (s_fixture.single > 0 && s_fixture.cluster_evaluator > 0);

    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/events.jsonl", sp_harness_dir (s_fixture.stack->harness));
    s_write_events (path);
    char output[OUTPUT_SIZE];
    char errors[PATH_MAX];
    snprintf (errors, sizeof errors, "%s/publish.err", sp_harness_dir (s_fixture.stack->harness));
    assert_int_equal (sp_harness_salesctl (s_fixture.stack->harness,
                                           (const char *[]){ "publish", path, "--endpoint",
                                                             s_fixture.stack->endpoint, NULL },
                                           errors, output, sizeof output, TIMEOUT_MS),
                      0);

    const char *const scopes[] = { "company", "region:emea", "team:north", "rep:rep-ana" };
    const char *const periods[] = { "2026-03", "2026-Q2" };
    for (size_t scope = 0; scope < sizeof scopes / sizeof scopes[0]; scope++)
        for (size_t period = 0; period < sizeof periods / sizeof periods[0]; period++) {
            json_t *answer = s_assert_same ((const char *[]){
                "kpi", "--scope", scopes[scope], "--period", periods[period], "--json", NULL });
            /* not an empty answer: every scope has visits in both */
            if (s_actual (answer, "visits_completed") <= 0)
                fail_msg ("kpi %s %s: no visits", scopes[scope], periods[period]);
            json_decref (answer);
        }
    /* as of a day inside March: pace and projection */
    json_t *early =
        s_assert_same ((const char *[]){ "kpi", "--scope", "company", "--period", "2026-03",
                                         "--as-of", "2026-03-20", "--json", NULL });
    assert_true (s_actual (early, "deals_won") > 0);
    json_decref (early);

    const char *const ranked[] = { "company", "region:emea", "team:north" };
    for (size_t scope = 0; scope < sizeof ranked / sizeof ranked[0]; scope++)
        for (size_t period = 0; period < sizeof periods / sizeof periods[0]; period++) {
            json_t *answer =
                s_assert_same ((const char *[]){ "scorecard", "--scope", ranked[scope], "--period",
                                                 periods[period], "--json", NULL });
            /* not an empty answer: the first member's revenue (the
               scorecard's first KPI) is some; the quarter has no targets
               of the members, so no scores */
            json_t *first = json_array_get (json_object_get (answer, "members"), 0);
            json_t *revenue = json_array_get (json_object_get (first, "kpis"), 0);
            if (json_integer_value (json_object_get (revenue, "actual")) <= 0)
                fail_msg ("scorecard %s %s: no revenue", ranked[scope], periods[period]);
            json_decref (answer);
        }

    const char *const reports[][3] = { { "daily", "rep:rep-ana", "2026-03-03" },
                                       { "monthly", "rep:rep-ana", "2026-03-31" },
                                       { "monthly", "team:north", "2026-04-30" },
                                       { "monthly", "company", "2026-03-31" } };
    for (size_t report = 0; report < sizeof reports / sizeof reports[0]; report++) {
        json_t *answer = s_assert_same ((const char *[]){ "report", reports[report][0], "--scope",
                                                          reports[report][1], "--date",
                                                          reports[report][2], "--json", NULL });
        if (json_array_size (json_object_get (answer, "customers_touched")) < 1)
            fail_msg ("report %s %s %s: no customers touched", reports[report][0],
                      reports[report][1], reports[report][2]);
        json_decref (answer);
    }
}

/* Waits until scope shows won deals won in period, on redis_url. */
static void
s_wait_won (const char *redis_url, const char *scope, const char *period, json_int_t won)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    json_int_t seen = -1;
    while (sp_harness_now_ms () < deadline) {
        json_t *answer = s_salesctl (
            (const char *[]){ "kpi", "--scope", scope, "--period", period, "--json", NULL },
            redis_url);
        seen = answer && s_complete (answer) ? s_actual (answer, "deals_won") : -1;
        json_decref (answer);
        if (seen == won)
            return;
        sp_harness_pause_ms (100);
    }
    fail_msg ("%s showed %lld deals won in %s, not %lld", scope, (long long) seen, period,
              (long long) won);
}

/* A new org version moving rep-cal from south to north on 2026-04-01:
   both rebuild every partition (the cluster's reset finds each
   partition's keys on its node), and April's two wins of cal's move to
   north on both. */
static void
test_new_org_version_rebuilds_alike (void **state)
{
    (void) state;
    char moved[sizeof s_org + 64];
    const char *at = strstr (s_org, "{\"team\": \"south\", \"from\": \"2026-01-01\"}");
    assert_non_null (at);
    snprintf (moved, sizeof moved,
              "%.*s{\"team\": \"south\", \"from\": \"2026-01-01\", \"until\": "
              "\"2026-04-01\"}, {\"team\": \"north\", \"from\": \"2026-04-01\"}%s",
              (int) (at - s_org), s_org,
              at + strlen ("{\"team\": \"south\", \"from\": \"2026-01-01\"}"));
    s_load ("org", "org-moved.json", moved);
    s_wait_won (sp_harness_redis_url (s_fixture.stack->harness), "team:south", "2026-04", 0);
    s_wait_won (sp_harness_cluster_url (s_fixture.cluster), "team:south", "2026-04", 0);
    const char *const scopes[] = { "company", "team:north", "team:south", "rep:rep-cal" };
    const char *const periods[] = { "2026-03", "2026-04" };
    for (size_t scope = 0; scope < sizeof scopes / sizeof scopes[0]; scope++)
        for (size_t period = 0; period < sizeof periods / sizeof periods[0]; period++) {
            json_t *answer = s_assert_same ((const char *[]){
                "kpi", "--scope", scopes[scope], "--period", periods[period], "--json", NULL });
            json_decref (answer);
        }
    json_t *north = s_assert_same (
        (const char *[]){ "kpi", "--scope", "team:north", "--period", "2026-04", "--json", NULL });
    /* ana's i = 12 and 24, ben's none, cal's 18 and 30 */
    assert_int_equal (s_actual (north, "deals_won"), 4);
    json_decref (north);
    json_t *scorecard = s_assert_same ((const char *[]){ "scorecard", "--scope", "team:north",
                                                         "--period", "2026-04", "--json", NULL });
    assert_int_equal (json_array_size (json_object_get (scorecard, "members")), 3);
    json_decref (scorecard);
}

/* March closed from the cluster (its snapshot is taken from the
   cluster's figures and kept in PostgreSQL): both answer with the same
   snapshot, which equals the actuals. */
static void
test_close_period_on_the_cluster (void **state)
{
    (void) state;
    json_t *closed = s_salesctl ((const char *[]){ "close-period", "--period", "2026-03",
                                                   "--closed-by", "cluster", "--json", NULL },
                                 sp_harness_cluster_url (s_fixture.cluster));
    assert_non_null (closed);
    /* company, 2 regions, 3 teams, 4 reps */
    assert_true (json_integer_value (json_object_get (closed, "scopes")) >= 10);
    json_decref (closed);
    const char *const scopes[] = { "company", "region:apac", "team:south", "rep:rep-dia" };
    for (size_t scope = 0; scope < sizeof scopes / sizeof scopes[0]; scope++) {
        json_t *answer = s_assert_same ((const char *[]){ "kpi", "--scope", scopes[scope],
                                                          "--period", "2026-03", "--json", NULL });
        assert_string_equal (
            json_string_value (json_object_get (json_object_get (answer, "closed"), "by")),
            "cluster");
        size_t index;
        json_t *row;
        json_array_foreach (json_object_get (answer, "kpis"), index, row)
        {
            if (strcmp (json_string_value (json_object_get (row, "kpi")), "revenue") == 0)
                assert_true (json_equal (json_object_get (row, "closed_actual"),
                                         json_object_get (row, "actual")));
        }
        assert_true (s_actual (answer, "revenue") > 0);
        json_decref (answer);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cluster_answers_as_one_server),
        cmocka_unit_test (test_new_org_version_rebuilds_alike),
        cmocka_unit_test (test_close_period_on_the_cluster),
    };
    return cmocka_run_group_tests_name ("kpi_cluster", tests, s_group_setup, s_group_teardown);
}
