/*  test_funnel_cluster - funnel-tracker on a real Redis Cluster (issue
    15): the same events, published once through the real activity-ingest,
    are applied by two funnel-trackers, one keeping its state on one Redis
    server and one on a 3-master cluster (redis+cluster://), and `salesctl
    funnel` and `salesctl pipeline` give the same answers from both, for
    every scope and period asked. Before, funnel-tracker pointed at a
    cluster node exited at start with "HGETALL failed: MOVED" or owned
    nothing (the lease heartbeat was refused with CROSSSLOT), and `salesctl
    funnel` failed with MOVED.

    The events: 40 opportunities over 16 partitions, each with a lead, a
    visit (even ones), a demo (every third), a quote (every fifth) and a
    win or a loss for some, over two months, in two reps, teams and
    regions, published latest first.
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
#include "sp_harness_cluster.h"
#include "sp_harness_consumer.h"
#include "sp_harness_funnel.h"

#define PARTITIONS 16
#define OPPORTUNITIES 40
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE 65536
/* 2026-03-02T00:00:00Z */
#define T0 INT64_C (1772409600000)
#define HOUR_MS INT64_C (3600000)
#define DAY_MS (24 * HOUR_MS)

typedef struct {
    sp_harness_consumer_stack_t *stack;
    sp_harness_cluster_t *cluster;
    pid_t single;          /* funnel-tracker on the stack's Redis */
    pid_t cluster_tracker; /* funnel-tracker on the cluster */
} s_fixture_t;

static s_fixture_t s_fixture;

static void
s_iso (int64_t ms, char *buffer, size_t size)
{
    time_t seconds = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    strftime (buffer, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
s_event (FILE *file, const char *type, int opportunity, int64_t at, const char *extra)
{
    char when[32];
    s_iso (at, when, sizeof when);
    fprintf (file,
             "{\"event_id\": \"cluster:%s:%d\", \"source\": \"crm\", \"type\": \"%s\", "
             "\"occurred_at\": \"%s\", \"rep_id\": \"%s\", \"team_id\": \"%s\", \"region_id\": "
             "\"%s\", \"customer_id\": \"customer-%d\", \"opportunity_id\": \"opp-%d\"%s}\n",
             type, opportunity, type, when, opportunity % 2 ? "rep-ana" : "rep-ben",
             opportunity % 2 ? "north" : "south", opportunity % 2 ? "emea" : "apac", opportunity,
             opportunity, extra);
}

static void
s_write_events (const char *path)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    for (int i = OPPORTUNITIES - 1; i >= 0; i--) {
        int64_t lead = T0 + i * 30 * HOUR_MS;
        if (i % 7 == 0)
            s_event (file, "deal_won", i, lead + 5 * DAY_MS,
                     ", \"currency\": \"USD\", \"amount\": \"1200.00\"");
        else if (i % 11 == 1)
            s_event (file, "deal_lost", i, lead + 6 * DAY_MS, ", \"reason\": \"price\"");
        if (i % 5 == 0)
            s_event (file, "quote_sent", i, lead + 3 * DAY_MS,
                     ", \"currency\": \"USD\", \"amount\": \"1000.00\"");
        if (i % 3 == 0)
            s_event (file, "demo", i, lead + 2 * DAY_MS, "");
        if (i % 2 == 0)
            s_event (file, "visit_completed", i, lead + DAY_MS, ", \"duration_minutes\": 30");
        s_event (file, "lead_created", i, lead,
                 ", \"currency\": \"USD\", \"estimated_value\": \"500.00\"");
    }
    fclose (file);
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_funnel_cluster", PARTITIONS, 0, TIMEOUT_MS);
    s_fixture.cluster = sp_harness_cluster_new (SP_HARNESS_CLUSTER_MASTERS);
    if (!s_fixture.stack || !s_fixture.cluster)
        return -1;
    s_fixture.single = sp_harness_funnel_tracker (
        s_fixture.stack, PARTITIONS, sp_harness_redis_url (s_fixture.stack->harness),
        "funnel-single", sp_harness_free_port (), NULL, TIMEOUT_MS);
    s_fixture.cluster_tracker = sp_harness_funnel_tracker (
        s_fixture.stack, PARTITIONS, sp_harness_cluster_url (s_fixture.cluster), "funnel-cluster",
        sp_harness_free_port (), NULL, TIMEOUT_MS);
    return s_fixture.single > 0 && s_fixture.cluster_tracker > 0 ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.single > 0)
        sp_harness_stop (s_fixture.single, TIMEOUT_MS);
    if (s_fixture.cluster_tracker > 0)
        sp_harness_stop (s_fixture.cluster_tracker, TIMEOUT_MS);
    sp_harness_cluster_destroy (&s_fixture.cluster);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

static void
test_cluster_answers_as_one_server (void **state)
{
    (void) state;
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
    assert_int_equal (sp_harness_funnel_same (s_fixture.stack->harness,
                                              sp_harness_redis_url (s_fixture.stack->harness),
                                              sp_harness_cluster_url (s_fixture.cluster),
                                              TIMEOUT_MS),
                      0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cluster_answers_as_one_server),
    };
    return cmocka_run_group_tests_name ("funnel_cluster", tests, s_group_setup, s_group_teardown);
}
