/*  test_salesctl_replica - salesctl's queries pointed at a PostgreSQL
    streaming replica (--postgres-readonly) judge the services' state
    against the primary's log (issue 15): a replica's heads may trail the
    primary's, and a query that read them would call state complete (or
    less behind) that is not. A real hot standby (sp_harness_replica_start)
    stops replaying (pg_wal_replay_pause) while events keep being logged on
    the primary and no consumer applies them; then:

      - `salesctl status --json` reads the standby but takes its heads from
        --postgres: the counting consumer's lag is every event logged since;
      - `salesctl funnel --json` says its state is incomplete, with the
        primary's event count;
      - with --postgres naming the standby too, salesctl refuses to judge
        (exit 1, the reason on stderr) rather than answer from its heads.
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
#include "sp_harness_consumer.h"
#include "sp_harness_pg.h"
#include "sp_pg.h"

#define PARTITIONS 4
#define CUSTOMERS 16
#define EVENTS 400  /* applied by everyone, replayed by the standby */
#define PENDING 250 /* logged on the primary while the standby is paused */
#define OUTPUT_SIZE 65536
#define START_TIMEOUT_MS 30000
#define TIMEOUT_MS 60000
#define STOP_TIMEOUT_MS 15000

typedef struct {
    sp_harness_consumer_stack_t *stack; /* PostgreSQL, its replica, Redis, activity-ingest */
    sp_pg_t *replica;                   /* the test's superuser connection to the standby */
    pid_t counter;                      /* counting-consumer */
    pid_t tracker;                      /* funnel-tracker */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->stack =
        sp_harness_consumer_stack_new ("salesctl-replica", PARTITIONS, 0, START_TIMEOUT_MS);
    if (!fixture->stack || sp_harness_replica_start (fixture->stack->harness) != 0)
        return -1;
    fixture->replica = sp_harness_pg_replica_connect (fixture->stack->harness,
                                                      "test_salesctl_replica");
    return fixture->replica ? 0 : -1;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    if (fixture->counter > 0)
        sp_harness_stop (fixture->counter, STOP_TIMEOUT_MS);
    if (fixture->tracker > 0)
        sp_harness_stop (fixture->tracker, STOP_TIMEOUT_MS);
    sp_pg_destroy (&fixture->replica);
    sp_harness_consumer_stack_destroy (&fixture->stack);
    free (fixture);
    return 0;
}

static void
s_publish (s_fixture_t *fixture, const char *prefix, int count)
{
    sp_harness_consumer_series_t series = { prefix, CUSTOMERS };
    sp_harness_publisher_t *publisher =
        sp_harness_consumer_publish (fixture->stack, &series, (size_t) count);
    assert_non_null (publisher);
    assert_int_equal (sp_harness_consumer_publish_finish (&publisher, TIMEOUT_MS), 0);
}

/* salesctl arguments (plus the harness's --postgres and --redis) as JSON;
   fails when it does not exit 0 with one. */
static json_t *
s_salesctl_json (s_fixture_t *fixture, const char *const *arguments)
{
    char output[OUTPUT_SIZE];
    int status = sp_harness_consumer_salesctl (fixture->stack->harness, arguments, output,
                                               sizeof output, TIMEOUT_MS);
    if (status != 0)
        fail_msg ("salesctl %s exited %d: %s", arguments[0], status, output);
    json_error_t error;
    json_t *document = json_loads (output, JSON_DISABLE_EOF_CHECK, &error);
    if (!document)
        fail_msg ("salesctl %s printed no JSON: %s", arguments[0], output);
    return document;
}

/* The counting consumer's lag summed over its partitions, from `salesctl
   status --json`. */
static int64_t
s_counting_lag (json_t *status)
{
    size_t index;
    json_t *service;
    json_array_foreach (json_object_get (status, "services"), index, service)
    {
        if (strcmp (json_string_value (json_object_get (service, "service")),
                    "counting-consumer") != 0)
            continue;
        int64_t lag = 0;
        size_t partition;
        json_t *row;
        json_array_foreach (json_object_get (service, "partitions"), partition, row)
        {
            lag += json_integer_value (json_object_get (row, "lag"));
        }
        return lag;
    }
    fail_msg ("salesctl status shows no counting-consumer");
    return -1;
}

static void
test_queries_on_a_standby_judge_against_the_primary (void **state)
{
    s_fixture_t *fixture = *state;
    sp_harness_t *harness = fixture->stack->harness;
    const char *replica = sp_harness_replica_url (harness);
    char log[PATH_MAX];
    snprintf (log, sizeof log, "%s/counting.log", sp_harness_dir (harness));
    fixture->counter =
        sp_harness_consumer_start (harness, fixture->stack->bus, sp_harness_free_port (),
                                   PARTITIONS, (const char *[]){ "--poll-ms", "100", NULL }, log,
                                   START_TIMEOUT_MS);
    snprintf (log, sizeof log, "%s/funnel.log", sp_harness_dir (harness));
    fixture->tracker = sp_harness_consumer_service (
        harness, "funnel-tracker", fixture->stack->bus, sp_harness_free_port (), PARTITIONS,
        (const char *[]){ "SP_TIME_ZONE=UTC", "SP_CONSUMER_POLL_MS=100",
                          "SP_FUNNEL_NOTICES_ENDPOINT=tcp://127.0.0.1:*", NULL },
        NULL, log, START_TIMEOUT_MS);
    assert_true (fixture->counter > 0 && fixture->tracker > 0);

    /* Everyone has everything: the standby's answers are complete. */
    s_publish (fixture, "replica-applied", EVENTS);
    char difference[SP_HARNESS_CONSUMER_DIFFERENCE_SIZE] = "";
    if (sp_harness_consumer_wait_counts (fixture->stack->redis, fixture->stack->pg, PARTITIONS,
                                         NULL, TIMEOUT_MS, difference, sizeof difference) != 0)
        fail_msg ("counts differ from the log: %s", difference);
    assert_int_equal (sp_harness_pg_wait_count (fixture->replica, "SELECT count(*) FROM events",
                                                EVENTS, TIMEOUT_MS),
                      0);
    json_t *funnel = s_salesctl_json (
        fixture, (const char *[]){ "funnel", "--postgres-readonly", replica, "--wait", "--json",
                                   NULL });
    assert_true (json_is_true (json_object_get (json_object_get (funnel, "completeness"),
                                                "complete")));
    json_decref (funnel);

    /* The standby stops replaying; more is logged; nobody applies it. */
    assert_int_equal (sp_harness_pg_run (fixture->replica, "SELECT pg_wal_replay_pause()"), 0);
    assert_int_equal (sp_harness_stop (fixture->counter, STOP_TIMEOUT_MS), 0);
    assert_int_equal (sp_harness_stop (fixture->tracker, STOP_TIMEOUT_MS), 0);
    fixture->counter = fixture->tracker = 0;
    s_publish (fixture, "replica-pending", PENDING);
    assert_int_equal (sp_harness_pg_count (fixture->replica, "SELECT count(*) FROM events"),
                      EVENTS);

    json_t *status = s_salesctl_json (
        fixture, (const char *[]){ "status", "--postgres-readonly", replica, "--json", NULL });
    assert_int_equal (s_counting_lag (status), PENDING);
    json_decref (status);

    funnel = s_salesctl_json (
        fixture, (const char *[]){ "funnel", "--postgres-readonly", replica, "--json", NULL });
    json_t *completeness = json_object_get (funnel, "completeness");
    assert_true (json_is_false (json_object_get (completeness, "complete")));
    assert_int_equal (json_integer_value (json_object_get (completeness, "events")),
                      EVENTS + PENDING);
    assert_int_equal (json_integer_value (json_object_get (completeness, "applied")), EVENTS);
    json_decref (funnel);

    /* The standby as --postgres too: no primary to judge against. */
    char output[OUTPUT_SIZE];
    char errors[PATH_MAX];
    snprintf (errors, sizeof errors, "%s/standby-only.err", sp_harness_dir (harness));
    assert_int_equal (sp_harness_salesctl (harness,
                                           (const char *[]){ "status", "--postgres", replica,
                                                             "--postgres-readonly", replica, NULL },
                                           errors, output, sizeof output, TIMEOUT_MS),
                      1);
    char text[OUTPUT_SIZE];
    assert_int_equal (sp_harness_read_file (errors, text, sizeof text), 0);
    assert_non_null (strstr (text, "--postgres names a standby too"));
    assert_int_equal (sp_harness_pg_run (fixture->replica, "SELECT pg_wal_replay_resume()"), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_queries_on_a_standby_judge_against_the_primary,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name ("salesctl_replica", tests, NULL, NULL);
}
