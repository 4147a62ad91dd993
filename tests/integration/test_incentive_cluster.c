/*  test_incentive_cluster - incentive-calculator on a real Redis Cluster
    (issue 15): the same plans (PostgreSQL, shared) and the same events,
    published once through the real activity-ingest, are applied by two
    incentive-calculators, one keeping its state on one Redis server and
    one on a 3-master cluster (redis+cluster://), and `salesctl statement`
    (5 reps x 2 quarters), `salesctl whatif` and `salesctl contest` give
    the same answers from both, byte for byte once both are complete.

    The plans: ae-2026 (rep-ana, rep-ben, marginal bands), ae-pay (rep-cy,
    paid on payment) and spiff-2026 (rep-fay, rep-gus, rep-hal, with the
    SPIFF "q2-rate" over 2026-Q2). The events: 30 deals won over 16
    partitions from 2026-01-05 to 2026-05-31, every fifth day, by the five
    reps in turn, over 10 customers (new logos and repeat ones), some
    split 60/40 between rep-ana and rep-ben; two cancelled (won:11 in the
    next quarter); rep-cy's deals
    half paid ten days after. No period is closed (that writes
    PostgreSQL, shared by both).
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
#define DEALS 30
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE (256 * 1024)
/* 2026-01-05T10:00:00Z */
#define T0 INT64_C (1767607200000)
#define HOUR_MS INT64_C (3600000)
#define DAY_MS (24 * HOUR_MS)

typedef struct {
    sp_harness_consumer_stack_t *stack;
    sp_harness_cluster_t *cluster;
    pid_t single;             /* incentive-calculator on the stack's Redis */
    pid_t cluster_calculator; /* incentive-calculator on the cluster */
} s_fixture_t;

static s_fixture_t s_fixture;

static const char *const s_reps[] = { "rep-ana", "rep-ben", "rep-cy", "rep-fay", "rep-gus" };

static const char s_plans[][700] = {
    "{\"name\": \"ae-2026\", \"currency\": \"USD\", \"period\": \"quarter\","
    " \"assign\": {\"reps\": [{\"id\": \"rep-ana\"}, {\"id\": \"rep-ben\"}]},"
    " \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"10000.00\","
    " \"table\": {\"basis\": \"amount\", \"bands\": ["
    " {\"lo\": \"0\", \"hi\": \"5000\", \"rate\": \"0.05\"},"
    " {\"lo\": \"5000\", \"hi\": \"10000\", \"rate\": \"0.10\"},"
    " {\"lo\": \"10000\", \"rate\": \"0.15\"}]}}]}",
    "{\"name\": \"ae-pay\", \"currency\": \"USD\", \"period\": \"quarter\","
    " \"trigger\": \"payment\", \"assign\": {\"reps\": [{\"id\": \"rep-cy\"}]},"
    " \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"10000.00\","
    " \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}",
    "{\"name\": \"spiff-2026\", \"currency\": \"USD\", \"period\": \"quarter\","
    " \"assign\": {\"reps\": [{\"id\": \"rep-fay\"}, {\"id\": \"rep-gus\"}, {\"id\": "
    "\"rep-hal\"}]},"
    " \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"10000.00\","
    " \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.01\"}]}}],"
    " \"spiffs\": [{\"id\": \"q2-rate\", \"measure\": \"revenue\", \"from\": \"2026-04-01\","
    " \"to\": \"2026-07-01\", \"pays\": \"rate\", \"rate\": \"0.02\"}]}",
};

static void
s_iso (int64_t ms, char *buffer, size_t size)
{
    time_t seconds = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    strftime (buffer, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
s_write_events (const char *path)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    for (int i = 0; i < DEALS; i++) {
        int64_t won = T0 + i * 5 * DAY_MS;
        const char *rep = s_reps[i % 5];
        char when[32];
        s_iso (won, when, sizeof when);
        char splits[200] = "";
        if (i % 5 < 2 && i % 3 == 0)
            snprintf (splits, sizeof splits,
                      ", \"splits\": [{\"rep_id\": \"%s\", \"percent\": 60}, "
                      "{\"rep_id\": \"%s\", \"percent\": 40}]",
                      rep, i % 5 ? "rep-ana" : "rep-ben");
        fprintf (file,
                 "{\"event_id\": \"won:%d\", \"source\": \"crm\", \"type\": \"deal_won\", "
                 "\"occurred_at\": \"%s\", \"rep_id\": \"%s\", \"customer_id\": \"cust-%d\", "
                 "\"opportunity_id\": \"opp-%d\", \"currency\": \"USD\", \"amount\": "
                 "\"%d.00\"%s}\n",
                 i, when, rep, i % 10, i, 1000 + (i * 737) % 5000, splits);
        if (i == 3 || i == 11) {
            s_iso (won + (i == 11 ? 40 : 20) * DAY_MS, when, sizeof when);
            fprintf (file,
                     "{\"event_id\": \"cancel:%d\", \"source\": \"crm\", \"type\": "
                     "\"deal_cancelled\", \"occurred_at\": \"%s\", \"rep_id\": \"%s\", "
                     "\"customer_id\": \"cust-%d\", \"opportunity_id\": \"opp-%d\", "
                     "\"won_event_id\": \"won:%d\", \"reason\": \"budget frozen\"}\n",
                     i, when, rep, i % 10, i, i);
        }
        if (i % 5 == 2) {
            s_iso (won + 10 * DAY_MS, when, sizeof when);
            fprintf (file,
                     "{\"event_id\": \"pay:%d\", \"source\": \"erp\", \"type\": "
                     "\"payment_received\", \"occurred_at\": \"%s\", \"customer_id\": "
                     "\"cust-%d\", \"currency\": \"USD\", \"amount\": \"%d.00\", "
                     "\"order_id\": \"opp-%d\"}\n",
                     i, when, i % 10, (1000 + (i * 737) % 5000) / 2, i);
        }
    }
    fclose (file);
}

static pid_t
s_calculator (const char *redis_setting, const char *name)
{
    char log[PATH_MAX];
    snprintf (log, sizeof log, "%s/%s.log", sp_harness_dir (s_fixture.stack->harness), name);
    const char *settings[] = { "SP_TIME_ZONE=UTC",
                               "SP_INCENTIVE_CURRENCY=USD",
                               "SP_CONSUMER_POLL_MS=100",
                               "SP_INCENTIVE_STATEMENTS_CHECK_MS=100",
                               redis_setting,
                               "SP_INCENTIVE_STATEMENTS_ENDPOINT=tcp://127.0.0.1:*",
                               NULL };
    return sp_harness_consumer_service (s_fixture.stack->harness, "incentive-calculator",
                                        s_fixture.stack->bus, sp_harness_free_port (), PARTITIONS,
                                        settings, NULL, log, TIMEOUT_MS);
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_incentive_cluster", PARTITIONS, 0, TIMEOUT_MS);
    s_fixture.cluster = sp_harness_cluster_new (SP_HARNESS_CLUSTER_MASTERS);
    if (!s_fixture.stack || !s_fixture.cluster)
        return -1;
    static char single[PATH_MAX], cluster[PATH_MAX];
    snprintf (single, sizeof single, "SP_REDIS_URL=%s",
              sp_harness_redis_url (s_fixture.stack->harness));
    snprintf (cluster, sizeof cluster, "SP_REDIS_URL=%s",
              sp_harness_cluster_url (s_fixture.cluster));
    s_fixture.single = s_calculator (single, "incentive-single");
    s_fixture.cluster_calculator = s_calculator (cluster, "incentive-cluster");
    return s_fixture.single > 0 && s_fixture.cluster_calculator > 0 ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.single > 0)
        sp_harness_stop (s_fixture.single, TIMEOUT_MS);
    if (s_fixture.cluster_calculator > 0)
        sp_harness_stop (s_fixture.cluster_calculator, TIMEOUT_MS);
    sp_harness_cluster_destroy (&s_fixture.cluster);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

/* Runs salesctl with arguments (and --redis redis_url when not NULL);
   0 with its output in output, or its exit status (printed with its
   errors when print). */
static int
s_run (const char *const *arguments, const char *redis_url, char *output, bool print)
{
    int status = sp_harness_salesctl_on (s_fixture.stack->harness, arguments, redis_url, output,
                                         OUTPUT_SIZE, TIMEOUT_MS);
    char errors[PATH_MAX];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (s_fixture.stack->harness));
    if (status != 0 && print) {
        char text[1024] = "";
        FILE *file = fopen (errors, "r");
        if (file) {
            size_t read = fread (text, 1, sizeof text - 1, file);
            text[read] = '\0';
            fclose (file);
        }
        print_message ("salesctl %s (%s): exit %d: %s\n", arguments[0],
                       redis_url ? redis_url : "stack", status, text);
    }
    return status;
}

/* Both answers, once both are complete and the same (the calculators
   apply at their own pace); fails when they never agree. Returns the
   answer, to be freed. */
static json_t *
s_assert_same (const char *const *arguments)
{
    json_t *same = sp_harness_salesctl_same (
        s_fixture.stack->harness, arguments, sp_harness_redis_url (s_fixture.stack->harness),
        sp_harness_cluster_url (s_fixture.cluster), NULL, TIMEOUT_MS);
    if (!same)
        fail_msg ("%s %s %s: the answers differ or are incomplete", arguments[0], arguments[1],
                  arguments[2]);
    return same;
}

static void
test_cluster_answers_as_one_server (void **state)
{
    (void) state;
    const char *directory = sp_harness_dir (s_fixture.stack->harness);
    char path[PATH_MAX];
    char output[OUTPUT_SIZE];
    for (size_t index = 0; index < sizeof s_plans / sizeof s_plans[0]; index++) {
        char name[32];
        snprintf (name, sizeof name, "plan-%zu.json", index);
        sp_harness_consumer_file (s_fixture.stack->harness, name, s_plans[index], path,
                                  sizeof path);
        assert_int_equal (
            s_run ((const char *[]){ "load", "plans", path, "--json", NULL }, NULL, output, true),
            0);
    }
    snprintf (path, sizeof path, "%s/events.jsonl", directory);
    s_write_events (path);
    assert_int_equal (
        s_run ((const char *[]){ "publish", path, "--endpoint", s_fixture.stack->endpoint, NULL },
               NULL, output, true),
        0);
    const char *const periods[] = { "2026-Q1", "2026-Q2" };
    size_t lines = 0, clawbacks = 0, releases = 0;
    for (size_t rep = 0; rep < sizeof s_reps / sizeof s_reps[0]; rep++)
        for (size_t period = 0; period < sizeof periods / sizeof periods[0]; period++) {
            json_t *statement = s_assert_same ((const char *[]){
                "statement", "--rep", s_reps[rep], "--period", periods[period], "--json", NULL });
            json_t *statement_lines = json_object_get (statement, "lines");
            /* every rep has deals in both quarters */
            assert_true (json_array_size (statement_lines) > 0);
            lines += json_array_size (statement_lines);
            size_t index;
            json_t *line;
            json_array_foreach (statement_lines, index, line)
            {
                const char *kind = json_string_value (json_object_get (line, "kind"));
                const char *type = json_string_value (
                    json_object_get (json_object_get (line, "explanation"), "type"));
                clawbacks += kind && strcmp (kind, "clawback") == 0;
                releases += type && strcmp (type, "release") == 0;
            }
            json_decref (statement);
        }
    print_message ("%zu lines, %zu clawbacks, %zu releases alike\n", lines, clawbacks, releases);
    assert_true (clawbacks >= 1); /* won:11, cancelled in the next quarter */
    assert_true (releases >= 1);
    json_t *whatif =
        s_assert_same ((const char *[]){ "whatif", "--rep", "rep-ana", "--deal", "10000.00",
                                         "--period", "2026-Q2", "--json", NULL });
    assert_true (json_integer_value (json_object_get (whatif, "adds")) > 0);
    assert_int_equal (json_array_size (json_object_get (whatif, "lines")), 1);
    json_decref (whatif);
    json_t *board = s_assert_same ((const char *[]){ "contest", "--plan", "spiff-2026", "--spiff",
                                                     "q2-rate", "--json", NULL });
    assert_true (json_is_true (json_object_get (board, "complete")));
    const json_t *standings = json_object_get (board, "standings");
    assert_int_equal (json_array_size (standings), 3);
    assert_true (json_integer_value (json_object_get (json_array_get (standings, 0), "earning")) >
                 0);
    json_decref (board);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cluster_answers_as_one_server),
    };
    return cmocka_run_group_tests_name ("incentive_cluster", tests, s_group_setup,
                                        s_group_teardown);
}
