/*  test_cluster_failover - a Redis Cluster failover while the consumer
    framework applies (issue 15): a real 3-master cluster, each master
    with a replica, two real counting-consumers sharing 16 partitions,
    events published through the real activity-ingest; mid-stream a
    master is killed (SIGKILL) and its replica is promoted. The replica
    was cut off its master a moment before (sp_harness_cluster_cut_replica),
    so the writes the master acknowledged meanwhile never reached it and
    are lost with the master: checkpoints and counts together, as one
    partition's keys share a slot. The consumers ride it out: a step
    refused by the dead node is retried on the promoted one, and a
    partition whose checkpoint went back with the lost writes is applied
    again from there, so the counts end equal to the log's, exactly once,
    as on one server. Two cases, one test each:

      - leases shorter than the outage (1.5 s): the instances lose the
        partitions, claim them again once the cluster answers and read
        each one's checkpoint from Redis;
      - leases longer than the outage (30 s): the instances keep them
        throughout; a step the dead node could not take sends its
        partition back to read its checkpoint again, from the promoted
        replica (the apply script's checkpoint guard, `partition
        checkpoint moved`, stands behind that: a step built on a
        checkpoint the promoted node does not hold writes nothing).
*/
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sp_harness.h"
#include "sp_harness_cluster.h"
#include "sp_harness_consumer.h"
#include "sp_harness_consumer_cluster.h"
#include "sp_harness_pg.h"
#include "sp_harness_redis.h"
#include "sp_redis.h"

#define PARTITIONS 16
#define CUSTOMERS 64
#define EVENTS 16000
#define REPLICAS 1
#define FAILED_MASTER 0 /* the master killed */
#define LAG_MS 300      /* its replica cut off this long before: writes lost */
#define START_TIMEOUT_MS 30000
#define FAILOVER_TIMEOUT_MS 60000 /* detection (2 s node timeout) and election, under ASan */
#define PUBLISH_TIMEOUT_MS 90000
#define COUNTS_TIMEOUT_MS 90000
#define STOP_TIMEOUT_MS 15000
#define SHORT_LEASE_TTL_MS 1500 /* shorter than the outage */
#define LONG_LEASE_TTL_MS 30000 /* longer than the outage */
#define REFUSED "salespulse_consumer_apply_refused_total"
#define LEASE_CHANGES "salespulse_consumer_lease_changes_total"
#define POLL_NS (20 * 1000 * 1000)

static int
s_setup (void **state)
{
    *state = sp_harness_consumer_cluster_new ("cluster-failover", PARTITIONS, REPLICAS,
                                              START_TIMEOUT_MS);
    return *state ? 0 : -1;
}

/* Applied events of both instances together. */
static int64_t
s_applied (int first_port, int second_port)
{
    return sp_harness_consumer_metric (first_port, "salespulse_consumer_applied_events_total") +
           sp_harness_consumer_metric (second_port, "salespulse_consumer_applied_events_total");
}

/* The failover mid-stream with instances holding leases of lease_ttl_ms;
   checks exactly-once; the instances' refused steps (every reason) in
   *refused, the partitions they acquired or lost from the cut on in
   *changes. */
static void
s_fail_over_mid_stream (sp_harness_consumer_cluster_t *fixture, int lease_ttl_ms, int64_t *refused,
                        int64_t *changes)
{
    int first_port = 0, second_port = 0;
    pid_t first =
        sp_harness_consumer_cluster_start (fixture, 1, lease_ttl_ms, &first_port, START_TIMEOUT_MS);
    pid_t second = sp_harness_consumer_cluster_start (fixture, 2, lease_ttl_ms, &second_port,
                                                      START_TIMEOUT_MS);
    assert_true (first > 0 && second > 0);

    sp_harness_consumer_series_t series = { "failover", CUSTOMERS };
    sp_harness_publisher_t *publisher =
        sp_harness_consumer_publish (fixture->stack, &series, EVENTS);
    assert_non_null (publisher);
    int64_t deadline = sp_harness_now_ms () + PUBLISH_TIMEOUT_MS;
    while (s_applied (first_port, second_port) < EVENTS / 4) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("the instances applied nothing on the cluster");
        struct timespec pause = { 0, POLL_NS };
        nanosleep (&pause, NULL);
    }
    /* The replica stops receiving; what the consumers apply on the
       master meanwhile is acknowledged and then lost with it. */
    int replica = sp_harness_cluster_masters (fixture->cluster) + FAILED_MASTER * REPLICAS;
    int64_t leases = sp_harness_consumer_metric (first_port, LEASE_CHANGES) +
                     sp_harness_consumer_metric (second_port, LEASE_CHANGES);
    assert_int_equal (sp_harness_cluster_cut_replica (fixture->cluster, replica), 0);
    int64_t before = s_applied (first_port, second_port);
    struct timespec lag = { 0, LAG_MS * 1000 * 1000 };
    nanosleep (&lag, NULL);
    int64_t lost = s_applied (first_port, second_port) - before;
    int promoted =
        sp_harness_cluster_fail_master (fixture->cluster, FAILED_MASTER, FAILOVER_TIMEOUT_MS);
    if (promoted < 0)
        fail_msg ("no replica took over from master %d", FAILED_MASTER);
    assert_int_equal (promoted, replica);
    assert_int_equal (sp_harness_consumer_publish_finish (&publisher, PUBLISH_TIMEOUT_MS), 0);

    /* Exactly once, as on one server: the counts summed over the
       partitions equal the log's. */
    char difference[SP_HARNESS_CONSUMER_DIFFERENCE_SIZE] = "";
    if (sp_harness_consumer_wait_counts (fixture->redis, fixture->stack->pg, PARTITIONS, NULL,
                                         COUNTS_TIMEOUT_MS, difference, sizeof difference) != 0)
        fail_msg ("counts after the failover differ from the log: %s", difference);
    assert_int_equal (sp_harness_pg_count (fixture->stack->pg, "SELECT count(*) FROM events"),
                      EVENTS);
    assert_true (s_applied (first_port, second_port) > before);
    /* the promoted replica holds the failed master's share of the state */
    int64_t keys = -1;
    assert_int_equal (
        sp_harness_redis_integer (sp_harness_cluster_node (fixture->cluster, promoted), 1,
                                  (const char *const[]){ "DBSIZE" }, &keys),
        0);
    assert_true (keys > 0);
    *refused = sp_harness_consumer_metric (first_port, REFUSED) +
               sp_harness_consumer_metric (second_port, REFUSED);
    *changes = sp_harness_consumer_metric (first_port, LEASE_CHANGES) +
               sp_harness_consumer_metric (second_port, LEASE_CHANGES) - leases;
    assert_int_equal (sp_harness_stop (first, STOP_TIMEOUT_MS), 0);
    assert_int_equal (sp_harness_stop (second, STOP_TIMEOUT_MS), 0);
    /* Writes were lost with the master, and still every event counts
       once. */
    printf ("lease TTL %d ms: events applied while the replica was cut off: %lld; replication "
            "stream lost with the master: at least %lld bytes; steps refused: %lld; leases "
            "changed: %lld\n",
            lease_ttl_ms, (long long) lost,
            (long long) sp_harness_cluster_lost_bytes (fixture->cluster), (long long) *refused,
            (long long) *changes);
    assert_true (lost > 0);
    assert_true (sp_harness_cluster_lost_bytes (fixture->cluster) > 0);
}

/* The outage outlasts the leases: the partitions are claimed again and
   their checkpoints read from Redis. */
static void
test_a_master_fails_over_mid_stream (void **state)
{
    int64_t refused = 0, changes = 0;
    s_fail_over_mid_stream (*state, SHORT_LEASE_TTL_MS, &refused, &changes);
    assert_true (changes > 0);
}

/* The leases outlast the outage: the instances keep their partitions,
   and the steps the dead node refused send them back to their
   checkpoints. */
static void
test_leases_outlast_the_failover (void **state)
{
    int64_t refused = 0, changes = 0;
    s_fail_over_mid_stream (*state, LONG_LEASE_TTL_MS, &refused, &changes);
    assert_true (refused > 0);
    assert_int_equal (changes, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_a_master_fails_over_mid_stream, s_setup,
                                         sp_harness_consumer_cluster_teardown),
        cmocka_unit_test_setup_teardown (test_leases_outlast_the_failover, s_setup,
                                         sp_harness_consumer_cluster_teardown),
    };
    return cmocka_run_group_tests_name ("cluster_failover", tests, NULL, NULL);
}
