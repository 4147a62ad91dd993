/*  test_consumer_cluster - the consumer framework on a real Redis Cluster
    (issue 15): two instances of the real counting-consumer, pointed at a
    3-master cluster (redis+cluster://), share the 16 partitions (whose
    keys spread over the three masters), apply every event published
    through the real activity-ingest exactly once, and one taking over
    from the other (SIGTERM mid-stream) loses nothing and counts nothing
    twice; then `salesctl rebuild`'s request makes every partition reset
    (its keys found on their node) and count the log again, once. Before, an instance owned nothing
   there: its lease heartbeat was refused with CROSSSLOT.

    The exactly-once check is the acceptance suite's: the counts summed
    over the partitions, read through the cluster seam, equal the log's.
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
#define EVENTS 6000
#define START_TIMEOUT_MS 30000
#define PUBLISH_TIMEOUT_MS 60000
#define COUNTS_TIMEOUT_MS 60000
#define STOP_TIMEOUT_MS 15000
#define LEASE_TTL_MS 1500

static int
s_group_setup (void **state)
{
    *state = sp_harness_consumer_cluster_new ("consumer-cluster", PARTITIONS, 0, START_TIMEOUT_MS);
    return *state ? 0 : -1;
}

/* Polls until the two instances own every partition between them. */
static void
s_wait_shared (int first_port, int second_port)
{
    int64_t deadline = sp_harness_now_ms () + START_TIMEOUT_MS;
    for (;;) {
        int64_t first =
            sp_harness_consumer_metric (first_port, "salespulse_consumer_partition_owned");
        int64_t second =
            sp_harness_consumer_metric (second_port, "salespulse_consumer_partition_owned");
        if (first > 0 && second > 0 && first + second == PARTITIONS)
            return;
        if (sp_harness_now_ms () > deadline)
            fail_msg ("the instances own %lld and %lld of %d partitions", (long long) first,
                      (long long) second, PARTITIONS);
        struct timespec pause = { 0, 50 * 1000 * 1000 };
        nanosleep (&pause, NULL);
    }
}

static void
test_two_instances_count_exactly_once_on_a_cluster (void **state)
{
    sp_harness_consumer_cluster_t *fixture = *state;
    assert_int_equal (sp_harness_consumer_stack_clear (fixture->stack), 0);
    int first_port = 0, second_port = 0;
    pid_t first =
        sp_harness_consumer_cluster_start (fixture, 1, LEASE_TTL_MS, &first_port, START_TIMEOUT_MS);
    pid_t second = sp_harness_consumer_cluster_start (fixture, 2, LEASE_TTL_MS, &second_port,
                                                      START_TIMEOUT_MS);
    assert_true (first > 0 && second > 0);
    s_wait_shared (first_port, second_port);

    sp_harness_consumer_series_t series = { "cluster", CUSTOMERS };
    sp_harness_publisher_t *publisher =
        sp_harness_consumer_publish (fixture->stack, &series, EVENTS);
    assert_non_null (publisher);
    /* mid-stream, one instance leaves: the other takes its partitions */
    int64_t deadline = sp_harness_now_ms () + PUBLISH_TIMEOUT_MS;
    while (sp_harness_consumer_metric (first_port, "salespulse_consumer_applied_events_total") <
           EVENTS / 8) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("the first instance applied nothing on the cluster");
        struct timespec pause = { 0, 20 * 1000 * 1000 };
        nanosleep (&pause, NULL);
    }
    assert_int_equal (sp_harness_stop (first, STOP_TIMEOUT_MS), 0);
    assert_int_equal (sp_harness_consumer_publish_finish (&publisher, PUBLISH_TIMEOUT_MS), 0);

    char difference[SP_HARNESS_CONSUMER_DIFFERENCE_SIZE] = "";
    if (sp_harness_consumer_wait_counts (fixture->redis, fixture->stack->pg, PARTITIONS, NULL,
                                         COUNTS_TIMEOUT_MS, difference, sizeof difference) != 0)
        fail_msg ("counts on the cluster differ from the log: %s", difference);
    assert_int_equal (
        sp_harness_consumer_metric (second_port, "salespulse_consumer_partition_owned"),
        PARTITIONS);
    assert_int_equal (sp_harness_pg_count (fixture->stack->pg, "SELECT count(*) FROM events"),
                      EVENTS);
    /* the state really is spread: every master holds keys of the consumer */
    for (int node = 0; node < SP_HARNESS_CLUSTER_MASTERS; node++) {
        int64_t keys = -1;
        assert_int_equal (
            sp_harness_redis_integer (sp_harness_cluster_node (fixture->cluster, node), 1,
                                      (const char *const[]){ "DBSIZE" }, &keys),
            0);
        assert_true (keys > 0);
    }

    /* a rebuild on the cluster: each partition's reset finds its keys
       (SCAN goes to the node of the partition's hash tag), so the counts
       start again from nothing and end equal to the log, not doubled */
    assert_int_equal (sp_harness_consumer_rebuild (fixture->redis, PARTITIONS, COUNTS_TIMEOUT_MS),
                      0);
    if (sp_harness_consumer_wait_counts (fixture->redis, fixture->stack->pg, PARTITIONS, NULL,
                                         COUNTS_TIMEOUT_MS, difference, sizeof difference) != 0)
        fail_msg ("counts on the cluster after the rebuild differ from the log: %s", difference);
    assert_int_equal (sp_harness_stop (second, STOP_TIMEOUT_MS), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_two_instances_count_exactly_once_on_a_cluster),
    };
    return cmocka_run_group_tests_name ("consumer_cluster", tests, s_group_setup,
                                        sp_harness_consumer_cluster_teardown);
}
