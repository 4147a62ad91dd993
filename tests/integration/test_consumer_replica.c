/*  test_consumer_replica - catch-up reads from a PostgreSQL streaming
    replica (issue 15, --postgres-read): a real hot standby made by
    pg_basebackup of the harness's PostgreSQL, the real counting-consumer
    told to read the log there, events published through the real
    activity-ingest.

      - the replica answers the catch-up reads of a rebuild: the counts
        equal the log's and the reads came from the replica;
      - the replica stops replaying (pg_wal_replay_pause) while events go
        on: the rebuild's reads it answers short of the heads go to the
        primary instead, and the counts still equal the log's, nothing
        missed, nothing twice;
      - the replica stopped: every read goes to the primary, same counts.
*/
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_consumer_cluster.h"
#include "sp_harness_pg.h"
#include "sp_pg.h"
#include "sp_redis.h"

#define URL_SIZE 256
#define PARTITIONS 8
#define CUSTOMERS 40
#define EVENTS 2000
#define START_TIMEOUT_MS 30000
#define PUBLISH_TIMEOUT_MS 60000
#define COUNTS_TIMEOUT_MS 60000
#define STOP_TIMEOUT_MS 15000
#define REPLICA_READS "salespulse_consumer_log_reads_total{source=\"replica\"}"
#define BEHIND "salespulse_consumer_replica_fallbacks_total{reason=\"behind\"}"
#define FAILED "salespulse_consumer_replica_fallbacks_total{reason=\"failed\"}"

typedef struct {
    sp_harness_consumer_stack_t *stack; /* PostgreSQL, Redis, activity-ingest */
    char setting[URL_SIZE];             /* "SP_POSTGRES_READ_URL=<the replica>" */
    sp_pg_t *replica;                   /* the test's superuser connection to the replica */
    int published;                      /* events published so far */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->stack = sp_harness_consumer_stack_new ("consumer-replica", PARTITIONS, 0,
                                                    START_TIMEOUT_MS);
    if (!fixture->stack || sp_harness_replica_start (fixture->stack->harness) != 0)
        return -1;
    snprintf (fixture->setting, sizeof fixture->setting, "SP_POSTGRES_READ_URL=%s",
              sp_harness_replica_url (fixture->stack->harness));
    fixture->replica = sp_harness_pg_replica_connect (fixture->stack->harness,
                                                      "test_consumer_replica");
    return fixture->replica ? 0 : -1;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    sp_pg_destroy (&fixture->replica);
    sp_harness_consumer_stack_destroy (&fixture->stack);
    free (fixture);
    return 0;
}

/* Publishes count more events (event ids prefix:N) through
   activity-ingest and waits until the consumer counted every event of the
   log once. */
static void
s_publish_and_count (s_fixture_t *fixture, const char *prefix, int count)
{
    sp_harness_consumer_series_t series = { prefix, CUSTOMERS };
    sp_harness_publisher_t *publisher =
        sp_harness_consumer_publish (fixture->stack, &series, (size_t) count);
    assert_non_null (publisher);
    assert_int_equal (sp_harness_consumer_publish_finish (&publisher, PUBLISH_TIMEOUT_MS), 0);
    fixture->published += count;
    char difference[SP_HARNESS_CONSUMER_DIFFERENCE_SIZE] = "";
    if (sp_harness_consumer_wait_counts (fixture->stack->redis, fixture->stack->pg, PARTITIONS,
                                         NULL, COUNTS_TIMEOUT_MS, difference,
                                         sizeof difference) != 0)
        fail_msg ("counts differ from the log: %s", difference);
}

/* Asks for a rebuild, waits until every partition reset and counted the
   log again: all of it comes through catch-up reads. */
static void
s_rebuild (s_fixture_t *fixture)
{
    assert_int_equal (
        sp_harness_consumer_rebuild (fixture->stack->redis, PARTITIONS, COUNTS_TIMEOUT_MS), 0);
    char difference[SP_HARNESS_CONSUMER_DIFFERENCE_SIZE] = "";
    if (sp_harness_consumer_wait_counts (fixture->stack->redis, fixture->stack->pg, PARTITIONS,
                                         NULL, COUNTS_TIMEOUT_MS, difference,
                                         sizeof difference) != 0)
        fail_msg ("counts after the rebuild differ from the log: %s", difference);
}

static void
test_catch_up_reads_come_from_the_replica (void **state)
{
    s_fixture_t *fixture = *state;
    int http_port = sp_harness_free_port ();
    char log_path[PATH_MAX];
    snprintf (log_path, sizeof log_path, "%s/consumer-replica.log",
              sp_harness_dir (fixture->stack->harness));
    const char *settings[] = { fixture->setting, NULL };
    const char *arguments[] = { "--poll-ms", "100", NULL };
    pid_t consumer = sp_harness_consumer_service (fixture->stack->harness, "counting-consumer",
                                                  fixture->stack->bus, http_port, PARTITIONS,
                                                  settings, arguments, log_path, START_TIMEOUT_MS);
    assert_true (consumer > 0);

    /* The replica keeps up: the rebuild's reads are its. */
    s_publish_and_count (fixture, "replica-up", EVENTS);
    assert_int_equal (sp_harness_pg_wait_count (fixture->replica, "SELECT count(*) FROM events",
                                                fixture->published, COUNTS_TIMEOUT_MS),
                      0);
    s_rebuild (fixture);
    int64_t replica_reads = sp_harness_consumer_metric (http_port, REPLICA_READS);
    assert_true (replica_reads > 0);

    /* The replica stops replaying: what it has not replayed is read from
       the primary, where the heads say it is. */
    assert_int_equal (sp_harness_pg_run (fixture->replica, "SELECT pg_wal_replay_pause()"), 0);
    s_publish_and_count (fixture, "replica-paused", EVENTS);
    s_rebuild (fixture);
    assert_true (sp_harness_consumer_metric (http_port, BEHIND) > 0);
    assert_int_equal (sp_harness_pg_run (fixture->replica, "SELECT pg_wal_replay_resume()"), 0);

    /* The replica is gone: the primary answers. */
    sp_pg_destroy (&fixture->replica);
    assert_int_equal (sp_harness_replica_stop (fixture->stack->harness), 0);
    s_publish_and_count (fixture, "replica-gone", EVENTS);
    s_rebuild (fixture);
    assert_true (sp_harness_consumer_metric (http_port, FAILED) > 0);
    assert_true (sp_harness_log_contains (log_path, "could not read the event log from the "
                                                    "replica: reading the primary"));
    assert_int_equal (sp_harness_pg_count (fixture->stack->pg, "SELECT count(*) FROM events"),
                      fixture->published);
    assert_int_equal (sp_harness_stop (consumer, STOP_TIMEOUT_MS), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_catch_up_reads_come_from_the_replica),
    };
    return cmocka_run_group_tests_name ("consumer_replica", tests, s_setup, s_teardown);
}
