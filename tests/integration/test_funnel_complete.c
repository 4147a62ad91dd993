/*  test_funnel_complete - `salesctl funnel` says when funnel-tracker's
    state does not hold the whole log (issue 14, part 3).

    The real activity-ingest and funnel-tracker count OPPORTUNITIES leads,
    WON of them won, over four partitions. Then funnel-tracker is paused
    (SIGSTOP), so what it would do next is held still, and:

      - a rebuild is requested (`salesctl rebuild funnel-tracker`): the
        answer still shows the old figures but is marked incomplete (JSON
        "completeness": complete false, every partition "rebuilding"; the
        text starts with `incomplete: funnel-tracker has applied N of N
        events (a rebuild is running: partitions 0-3 not rebuilt yet)`),
        exit 0; with --wait --timeout 1 the same answer exits 3; once the
        service runs again, --wait answers the full figures, complete;
      - Redis loses its data (FLUSHALL; funnel-tracker's config record put
        back, as the service writes it again within a moment): the answer
        has partial figures (no lead at all), every partition "missing",
        and `salesctl pipeline` says the same; a `salesctl funnel --wait`
        started while the service is still paused answers, once it runs
        again, the full figures, complete.

    A complete answer's text has no such line, and --wait answers at once.
*/
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sp_harness.h"
#include "sp_harness_consumer.h"

#define PARTITIONS 4
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE 65536
#define PATH_SIZE 4096
#define ERROR_SIZE 256
#define OPPORTUNITIES 400 /* leads, over every partition */
#define WON 60            /* the first WON of them won */
#define POLL_MS 100       /* between two looks at the answer */

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t tracker;
    int http_port;
    char log[PATH_SIZE];
    char errors[PATH_SIZE];
    char output[OUTPUT_SIZE];
} s_fixture_t;

static s_fixture_t s_fixture;

/* Runs salesctl with arguments; stdout in s_fixture.output. Returns its
   exit status. */
static int
s_salesctl (const char *const *arguments)
{
    return sp_harness_salesctl (s_fixture.stack->harness, arguments, s_fixture.errors,
                                s_fixture.output, sizeof s_fixture.output, TIMEOUT_MS);
}

/* s_fixture.output as JSON (the caller releases it). */
static json_t *
s_output_json (void)
{
    json_error_t error;
    json_t *document = json_loads (s_fixture.output, 0, &error);
    if (!document)
        fail_msg ("not JSON (%s): %s", error.text, s_fixture.output);
    return document;
}

/* The company funnel as JSON, asserting exit status status. */
static json_t *
s_funnel (const char *const *extra, int status)
{
    const char *arguments[16] = { "funnel", "--json" };
    size_t count = 2;
    for (size_t index = 0; extra && extra[index]; index++)
        arguments[count++] = extra[index];
    arguments[count] = NULL;
    int got = s_salesctl (arguments);
    if (got != status)
        fail_msg ("salesctl funnel: exit %d, not %d: %s", got, status, s_fixture.output);
    return s_output_json ();
}

static json_int_t
s_reached (const json_t *report, size_t step)
{
    return json_integer_value (
        json_object_get (json_array_get (json_object_get (report, "steps"), step), "reached"));
}

static json_int_t
s_won (const json_t *report)
{
    return json_integer_value (json_object_get (json_object_get (report, "outcome"), "won"));
}

static const json_t *
s_completeness (const json_t *report)
{
    const json_t *completeness = json_object_get (report, "completeness");
    assert_non_null (completeness);
    assert_string_equal (json_string_value (json_object_get (completeness, "service")),
                         "funnel-tracker");
    assert_int_equal (json_integer_value (json_object_get (completeness, "partition_count")),
                      PARTITIONS);
    return completeness;
}

static bool
s_complete (const json_t *report)
{
    return json_is_true (json_object_get (s_completeness (report), "complete"));
}

/* Asserts every partition listed is in state. */
static void
s_assert_partitions (const json_t *report, const char *state)
{
    const json_t *partitions = json_object_get (s_completeness (report), "partitions");
    assert_int_equal (json_array_size (partitions), PARTITIONS);
    size_t index;
    const json_t *partition;
    json_array_foreach (partitions, index, partition)
    {
        assert_int_equal (json_integer_value (json_object_get (partition, "partition")),
                          (json_int_t) index);
        assert_true (json_integer_value (json_object_get (partition, "head")) > 0);
        assert_string_equal (json_string_value (json_object_get (partition, "state")), state);
    }
}

/* Asserts the full figures. */
static void
s_assert_full (const json_t *report)
{
    assert_true (s_complete (report));
    assert_int_equal (s_reached (report, 0), OPPORTUNITIES);
    assert_int_equal (s_won (report), WON);
    const json_t *completeness = s_completeness (report);
    assert_int_equal (json_integer_value (json_object_get (completeness, "events")),
                      OPPORTUNITIES + WON);
    assert_int_equal (json_integer_value (json_object_get (completeness, "applied")),
                      OPPORTUNITIES + WON);
    assert_int_equal (json_integer_value (json_object_get (completeness, "incomplete")), 0);
    s_assert_partitions (report, "complete");
}

/* Publishes the leads and wins through activity-ingest. */
static void
s_publish (void)
{
    char path[PATH_SIZE];
    snprintf (path, sizeof path, "%s/events.jsonl", sp_harness_dir (s_fixture.stack->harness));
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    for (int index = 0; index < OPPORTUNITIES; index++) {
        fprintf (file,
                 "{\"event_id\": \"complete:lead:%d\", \"source\": \"crm\", \"type\": "
                 "\"lead_created\", \"occurred_at\": \"2026-03-02T10:00:00Z\", \"rep_id\": "
                 "\"rep-ana\", \"customer_id\": \"customer-%d\", \"opportunity_id\": \"opp-%d\"}\n",
                 index, index, index);
        if (index < WON)
            fprintf (file,
                     "{\"event_id\": \"complete:won:%d\", \"source\": \"crm\", \"type\": "
                     "\"deal_won\", \"occurred_at\": \"2026-03-09T10:00:00Z\", \"rep_id\": "
                     "\"rep-ana\", \"customer_id\": \"customer-%d\", \"opportunity_id\": "
                     "\"opp-%d\", \"currency\": \"USD\", \"amount\": \"100.00\"}\n",
                     index, index, index);
    }
    assert_int_equal (fclose (file), 0);
    assert_int_equal (s_salesctl ((const char *[]){ "publish", path, "--endpoint",
                                                    s_fixture.stack->endpoint, NULL }),
                      0);
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_funnel_complete", PARTITIONS, 0, TIMEOUT_MS);
    if (!s_fixture.stack)
        return -1;
    const char *dir = sp_harness_dir (s_fixture.stack->harness);
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/funnel-tracker.log", dir);
    snprintf (s_fixture.errors, sizeof s_fixture.errors, "%s/salesctl.err", dir);
    s_fixture.http_port = sp_harness_free_port ();
    char notices[SP_HARNESS_CONSUMER_ENDPOINT_SIZE + 64];
    char endpoint[SP_HARNESS_CONSUMER_ENDPOINT_SIZE];
    if (sp_harness_free_endpoint (endpoint, sizeof endpoint) != 0)
        return -1;
    snprintf (notices, sizeof notices, "SP_FUNNEL_NOTICES_ENDPOINT=%s", endpoint);
    s_fixture.tracker = sp_harness_consumer_service (
        s_fixture.stack->harness, "funnel-tracker", s_fixture.stack->bus, s_fixture.http_port,
        PARTITIONS,
        (const char *[]){ notices, "SP_TIME_ZONE=UTC", "SP_FUNNEL_CURRENCY=USD",
                          "SP_CONSUMER_POLL_MS=100", NULL },
        NULL, s_fixture.log, TIMEOUT_MS);
    return s_fixture.tracker > 0 ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.tracker > 0) {
        kill (s_fixture.tracker, SIGCONT);
        assert_int_equal (sp_harness_stop (s_fixture.tracker, TIMEOUT_MS), 0);
    }
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

/* Once everything is counted the answer is complete: no line in the text,
   and --wait answers at once. */
static void
test_complete_answer (void **state)
{
    (void) state;
    s_publish ();
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    json_t *report = NULL;
    for (;;) {
        json_decref (report);
        report = s_funnel (NULL, 0);
        if (s_complete (report) && s_reached (report, 0) == OPPORTUNITIES)
            break;
        if (sp_harness_now_ms () > deadline)
            fail_msg ("funnel-tracker did not count the leads in time: %s", s_fixture.output);
        sp_harness_pause_ms (POLL_MS);
    }
    s_assert_full (report);
    json_decref (report);
    assert_int_equal (s_salesctl ((const char *[]){ "funnel", NULL }), 0);
    assert_null (strstr (s_fixture.output, "incomplete"));
    assert_non_null (strstr (s_fixture.output, "won 60"));
    int64_t start = sp_harness_now_ms ();
    report = s_funnel ((const char *[]){ "--wait", "--timeout", "30", NULL }, 0);
    s_assert_full (report);
    assert_true (sp_harness_now_ms () - start < TIMEOUT_MS / 2);
    json_decref (report);
}

/* A rebuild requested while funnel-tracker is paused: the old figures,
   marked; --wait waits for the rebuild. */
static void
test_rebuild_marks_the_answer (void **state)
{
    (void) state;
    assert_int_equal (kill (s_fixture.tracker, SIGSTOP), 0);
    assert_int_equal (s_salesctl ((const char *[]){ "rebuild", "funnel-tracker", NULL }), 0);
    json_t *report = s_funnel (NULL, 0);
    assert_false (s_complete (report));
    const json_t *completeness = s_completeness (report);
    assert_true (json_is_true (json_object_get (completeness, "rebuilding")));
    assert_int_equal (json_integer_value (json_object_get (completeness, "incomplete")),
                      PARTITIONS);
    s_assert_partitions (report, "rebuilding");
    json_decref (report);

    assert_int_equal (s_salesctl ((const char *[]){ "funnel", NULL }), 0);
    char line[256];
    snprintf (line, sizeof line,
              "incomplete: funnel-tracker has applied %d of %d events (a rebuild is running: "
              "partitions 0-3 not rebuilt yet)\n",
              OPPORTUNITIES + WON, OPPORTUNITIES + WON);
    assert_memory_equal (s_fixture.output, line, strlen (line));

    /* --wait gives up at its timeout: the answer marked, exit 3 */
    report = s_funnel ((const char *[]){ "--wait", "--timeout", "1", NULL }, 3);
    assert_false (s_complete (report));
    json_decref (report);
    assert_int_equal (s_salesctl ((const char *[]){ "pipeline", "--wait", "--timeout", "1", NULL }),
                      3);
    assert_memory_equal (s_fixture.output, line, strlen (line));

    assert_int_equal (kill (s_fixture.tracker, SIGCONT), 0);
    report = s_funnel ((const char *[]){ "--wait", "--timeout", "60", NULL }, 0);
    s_assert_full (report);
    json_decref (report);
}

/* Redis lost its data while funnel-tracker is paused: partial figures,
   marked; a --wait started meanwhile answers the full ones. */
static void
test_lost_state_marks_the_answer (void **state)
{
    (void) state;
    sp_redis_t *redis = s_fixture.stack->redis;
    char error[ERROR_SIZE];
    assert_int_equal (kill (s_fixture.tracker, SIGSTOP), 0);
    /* the config record, kept across the flush (the service writes it
       again on its own within a moment; here it is paused) */
    sp_redis_reply_t *dump = sp_redis_command (
        redis, 2, (const char *[]){ "DUMP", "funnel-tracker:config" }, NULL, error, sizeof error);
    assert_non_null (dump);
    size_t length = 0;
    const char *bytes = sp_redis_reply_string (dump, &length);
    assert_non_null (bytes);
    sp_redis_reply_t *reply =
        sp_redis_command (redis, 1, (const char *[]){ "FLUSHALL" }, NULL, error, sizeof error);
    assert_non_null (reply);
    sp_redis_reply_destroy (&reply);
    reply = sp_redis_command (
        redis, 4, (const char *[]){ "RESTORE", "funnel-tracker:config", "0", bytes },
        (const size_t[]){ 7, strlen ("funnel-tracker:config"), 1, length }, error, sizeof error);
    assert_non_null (reply);
    sp_redis_reply_destroy (&reply);
    sp_redis_reply_destroy (&dump);

    json_t *report = s_funnel (NULL, 0);
    assert_false (s_complete (report));
    assert_int_equal (s_reached (report, 0), 0); /* what the issue saw: partial figures */
    assert_int_equal (json_integer_value (json_object_get (s_completeness (report), "applied")), 0);
    s_assert_partitions (report, "missing");
    json_decref (report);
    assert_int_equal (s_salesctl ((const char *[]){ "pipeline", "--json", NULL }), 0);
    report = s_output_json ();
    assert_false (s_complete (report));
    json_decref (report);
    assert_int_equal (s_salesctl ((const char *[]){ "funnel", NULL }), 0);
    assert_non_null (strstr (s_fixture.output, "(partitions 0-3 have no state (lost or not "
                                               "built yet))\n"));

    /* a --wait started while nothing is being applied */
    char program[PATH_SIZE], output_path[PATH_SIZE], errors_path[PATH_SIZE];
    sp_harness_program ("salesctl", program, sizeof program);
    const char *dir = sp_harness_dir (s_fixture.stack->harness);
    snprintf (output_path, sizeof output_path, "%s/wait.out", dir);
    snprintf (errors_path, sizeof errors_path, "%s/wait.err", dir);
    const char *arguments[] = { "funnel",
                                "--json",
                                "--wait",
                                "--timeout",
                                "60",
                                "--postgres",
                                sp_harness_postgres_url (s_fixture.stack->harness),
                                "--redis",
                                sp_harness_redis_url (s_fixture.stack->harness),
                                NULL };
    sp_harness_spawn_options_t options = { NULL, arguments, output_path, errors_path, true };
    pid_t waiting = sp_harness_spawn_with (s_fixture.stack->harness, program, &options);
    assert_true (waiting > 0);
    assert_int_equal (kill (s_fixture.tracker, SIGCONT), 0);
    assert_int_equal (sp_harness_wait_exit (waiting, TIMEOUT_MS), 0);
    assert_int_equal (sp_harness_read_file (output_path, s_fixture.output, sizeof s_fixture.output),
                      0);
    report = s_output_json ();
    s_assert_full (report);
    json_decref (report);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_complete_answer),
        cmocka_unit_test (test_rebuild_marks_the_answer),
        cmocka_unit_test (test_lost_state_marks_the_answer),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
