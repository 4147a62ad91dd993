/*  test_consumer_failover - the consumer framework's promises across
    crashes and several instances (issue acceptance; the single-instance
    ones are in test_consumer.c): the real counting-consumer fed by the
    real activity-ingest, its Redis counts compared with the event log.

      - 100,000 events published while the consumer is killed with
        `kill -9` five times (moments chosen by publishing progress with a
        fixed-seed generator) and restarted each time: once caught up,
        the counts equal the log exactly.
      - Two instances share the partitions half and half; one is killed
        with `kill -9` while events flow and the other owns every
        partition within two lease periods; a third instance joining
        gets its share within two lease periods; counts exact.
      - `salesctl status --json` with two instances shows both and every
        partition with an owner and lag 0 once caught up.

    Every wait polls an observable condition (counts, /metrics) with a
    deadline; nothing is timed by sleeping.
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
#include <jansson.h>

#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_pg.h"
#include "sp_harness_publisher.h"
#include "sp_harness_redis.h"

#define TEST_PARTITIONS 16
#define TEST_CUSTOMERS 97     /* spread over every partition */
#define TEST_LEASE_TTL "2000" /* ms */
#define TEST_LEASE_TTL_MS 2000
#define TEST_POLL "200"           /* ms between head polls */
#define TEST_CRASH_EVENTS 100000  /* the count the issue names */
#define TEST_CRASH_PUBLISHERS 2   /* batches in flight at once */
#define TEST_CRASHES 5            /* kill -9 of the consumer */
#define TEST_CRASH_SEED 20261123u /* fixed: the same moments every run */
#define TEST_SHARE_EVENTS 30000   /* events of the two-instance test */
#define TEST_STATUS_EVENTS 4000   /* events of the status test */
#define TEST_INSTANCES_MAX 3      /* consumers running at once */
#define TEST_START_TIMEOUT_MS 60000
#define TEST_STOP_TIMEOUT_MS 30000
#define TEST_PUBLISH_TIMEOUT_MS 300000
#define TEST_CONVERGE_TIMEOUT_MS 180000
#define TEST_SALESCTL_TIMEOUT_MS 60000
#define TEST_POLL_MS 20
#define TEST_OUTPUT_SIZE 65536
#define TEST_TEXT_SIZE 256

typedef struct {
    sp_harness_consumer_stack_t *stack;  /* servers, connections, activity-ingest */
    pid_t consumers[TEST_INSTANCES_MAX]; /* running counting-consumers, 0 when none */
    int http_ports[TEST_INSTANCES_MAX];  /* their /metrics */
    int starts;                          /* consumers started (one log each) */
    int64_t started_ms;                  /* when the running test began */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->stack = sp_harness_consumer_stack_new ("test_consumer_failover", TEST_PARTITIONS, 0,
                                                    TEST_START_TIMEOUT_MS);
    return fixture->stack ? 0 : -1;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    sp_harness_consumer_stack_destroy (&fixture->stack);
    free (fixture);
    return 0;
}

/* Before each test: no consumer, an empty log, empty Redis. */
static int
s_clear (void **state)
{
    s_fixture_t *fixture = *state;
    if (sp_harness_consumer_stack_clear (fixture->stack) != 0)
        return -1;
    fixture->started_ms = sp_harness_now_ms ();
    return 0;
}

/* After each test: the consumers still running stop cleanly (SIGTERM, exit 0). */
static int
s_stop_consumers (void **state)
{
    s_fixture_t *fixture = *state;
    print_message ("test took %lld ms\n", (long long) (sp_harness_now_ms () - fixture->started_ms));
    int rc = 0;
    for (size_t index = 0; index < TEST_INSTANCES_MAX; index++) {
        if (fixture->consumers[index] <= 0)
            continue;
        if (sp_harness_stop (fixture->consumers[index], TEST_STOP_TIMEOUT_MS) != 0)
            rc = -1;
        fixture->consumers[index] = 0;
    }
    return rc;
}

/* Starts consumer number slot with the test's lease and poll settings. */
static void
s_start_consumer (s_fixture_t *fixture, size_t slot)
{
    char log_path[PATH_MAX];
    snprintf (log_path, sizeof log_path, "%s/consumer-%d.log",
              sp_harness_dir (fixture->stack->harness), ++fixture->starts);
    fixture->http_ports[slot] = sp_harness_free_port ();
    fixture->consumers[slot] = sp_harness_consumer_start (
        fixture->stack->harness, fixture->stack->bus, fixture->http_ports[slot], TEST_PARTITIONS,
        (const char *const[]){ "--lease-ttl-ms", TEST_LEASE_TTL, "--poll-ms", TEST_POLL, NULL },
        log_path, TEST_START_TIMEOUT_MS);
    assert_true (fixture->consumers[slot] > 0);
}

/* kill -9 of consumer slot; it must die of it. */
static void
s_kill_consumer (s_fixture_t *fixture, size_t slot)
{
    assert_int_equal (kill (fixture->consumers[slot], SIGKILL), 0);
    assert_int_equal (sp_harness_wait_exit (fixture->consumers[slot], TEST_STOP_TIMEOUT_MS),
                      128 + SIGKILL);
    fixture->consumers[slot] = 0;
}

/* Partitions consumer slot reports owning (-1 when it does not answer). */
static int64_t
s_owned (s_fixture_t *fixture, size_t slot)
{
    return sp_harness_consumer_metric (fixture->http_ports[slot],
                                       "salespulse_consumer_partition_owned");
}

/* Waits until the running consumers' counts equal the log's, then until
   they own every partition between them and report lag 0 on each. */
static void
s_wait_converged (s_fixture_t *fixture)
{
    char difference[SP_HARNESS_CONSUMER_DIFFERENCE_SIZE];
    if (sp_harness_consumer_wait_counts (fixture->stack->redis, fixture->stack->pg, TEST_PARTITIONS,
                                         NULL, TEST_CONVERGE_TIMEOUT_MS, difference,
                                         sizeof difference) != 0)
        fail_msg ("counts differ from the log: %s", difference);
    int64_t deadline = sp_harness_now_ms () + TEST_CONVERGE_TIMEOUT_MS;
    int64_t owned = 0, lag = 0;
    while (sp_harness_now_ms () < deadline) {
        owned = 0;
        lag = 0;
        for (size_t slot = 0; slot < TEST_INSTANCES_MAX; slot++) {
            if (fixture->consumers[slot] <= 0)
                continue;
            owned += s_owned (fixture, slot);
            lag += sp_harness_consumer_metric (fixture->http_ports[slot],
                                               "salespulse_consumer_partition_lag");
        }
        if (owned == TEST_PARTITIONS && lag == 0)
            return;
        sp_harness_pause_ms (TEST_POLL_MS);
    }
    fail_msg ("not caught up: %lld partitions owned, lag %lld", (long long) owned, (long long) lag);
}

/* ---------------------------------------------------------------- kill -9 */

/* Next number of a fixed-seed xorshift generator (the same every run). */
static uint32_t
s_random (uint32_t *seed)
{
    uint32_t x = *seed;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *seed = x;
    return x;
}

static size_t
s_batches_done (sp_harness_publisher_t **publishers)
{
    size_t done = 0;
    for (size_t index = 0; index < TEST_CRASH_PUBLISHERS; index++)
        done += sp_harness_publisher_batches_done (publishers[index]);
    return done;
}

static void
test_kill_9_five_times (void **state)
{
    s_fixture_t *fixture = *state;
    s_start_consumer (fixture, 0);
    sp_harness_consumer_series_t series[TEST_CRASH_PUBLISHERS];
    char prefixes[TEST_CRASH_PUBLISHERS][TEST_TEXT_SIZE];
    sp_harness_publisher_t *publishers[TEST_CRASH_PUBLISHERS];
    for (size_t index = 0; index < TEST_CRASH_PUBLISHERS; index++) {
        snprintf (prefixes[index], sizeof prefixes[index], "crash-%zu", index);
        series[index] = (sp_harness_consumer_series_t){ prefixes[index], TEST_CUSTOMERS };
        publishers[index] = sp_harness_consumer_publish (fixture->stack, &series[index],
                                                         TEST_CRASH_EVENTS / TEST_CRASH_PUBLISHERS);
        assert_non_null (publishers[index]);
    }
    size_t batches = TEST_CRASH_EVENTS / SP_HARNESS_CONSUMER_BATCH;
    /* Crash k of 5 after about k sixths of the batches, give or take a
       twelfth: spread over the stream, the same moments every run. */
    uint32_t seed = TEST_CRASH_SEED;
    for (size_t crash = 1; crash <= TEST_CRASHES; crash++) {
        size_t spread = batches / 12;
        size_t moment = crash * batches / 6 - spread / 2 + s_random (&seed) % (spread + 1);
        int64_t deadline = sp_harness_now_ms () + TEST_PUBLISH_TIMEOUT_MS;
        while (s_batches_done (publishers) < moment) {
            assert_true (sp_harness_now_ms () < deadline);
            sp_harness_pause_ms (TEST_POLL_MS);
        }
        print_message ("kill -9 %zu after %zu of %zu batches\n", crash, s_batches_done (publishers),
                       batches);
        s_kill_consumer (fixture, 0);
        s_start_consumer (fixture, 0);
    }
    for (size_t index = 0; index < TEST_CRASH_PUBLISHERS; index++)
        assert_int_equal (
            sp_harness_consumer_publish_finish (&publishers[index], TEST_PUBLISH_TIMEOUT_MS), 0);
    s_wait_converged (fixture);
    assert_int_equal (sp_harness_pg_count (fixture->stack->pg, "SELECT count(*) FROM events"),
                      TEST_CRASH_EVENTS);
    assert_int_equal (sp_harness_pg_partition_gaps (fixture->stack->pg), 0);
}

/* ---------------------------------------------------------------- sharing */

/* Waits until the consumers in slots (count of them) own every partition
   between them, each at least one and their shares at most one apart;
   returns the milliseconds it took from since_ms. */
static int64_t
s_wait_shared (s_fixture_t *fixture, const size_t *slots, size_t count, int64_t since_ms)
{
    int64_t deadline = sp_harness_now_ms () + TEST_CONVERGE_TIMEOUT_MS;
    while (sp_harness_now_ms () < deadline) {
        int64_t total = 0, least = INT64_MAX, most = 0;
        for (size_t index = 0; index < count; index++) {
            int64_t owned = s_owned (fixture, slots[index]);
            total += owned;
            least = owned < least ? owned : least;
            most = owned > most ? owned : most;
        }
        if (total == TEST_PARTITIONS && least >= 1 && most - least <= 1)
            return sp_harness_now_ms () - since_ms;
        sp_harness_pause_ms (TEST_POLL_MS);
    }
    fail_msg ("partitions not shared among %zu instances", count);
    return -1;
}

static void
test_two_instances_failover_and_join (void **state)
{
    s_fixture_t *fixture = *state;
    s_start_consumer (fixture, 0);
    s_start_consumer (fixture, 1);
    s_wait_shared (fixture, (const size_t[]){ 0, 1 }, 2, sp_harness_now_ms ());
    assert_int_equal (s_owned (fixture, 0), TEST_PARTITIONS / 2);
    assert_int_equal (s_owned (fixture, 1), TEST_PARTITIONS / 2);

    sp_harness_consumer_series_t series = { "share", TEST_CUSTOMERS };
    sp_harness_publisher_t *publisher =
        sp_harness_consumer_publish (fixture->stack, &series, TEST_SHARE_EVENTS);
    assert_non_null (publisher);
    size_t quarter = sp_harness_publisher_batches (publisher) / 4;
    int64_t deadline = sp_harness_now_ms () + TEST_PUBLISH_TIMEOUT_MS;
    while (sp_harness_publisher_batches_done (publisher) < quarter) {
        assert_true (sp_harness_now_ms () < deadline);
        sp_harness_pause_ms (TEST_POLL_MS);
    }

    /* The survivor takes everything over within two lease periods. */
    int64_t killed_ms = sp_harness_now_ms ();
    s_kill_consumer (fixture, 0);
    while (s_owned (fixture, 1) != TEST_PARTITIONS) {
        assert_true (sp_harness_now_ms () < killed_ms + TEST_CONVERGE_TIMEOUT_MS);
        sp_harness_pause_ms (TEST_POLL_MS);
    }
    int64_t takeover_ms = sp_harness_now_ms () - killed_ms;
    print_message ("takeover after kill -9: %lld ms (lease ttl %d ms)\n", (long long) takeover_ms,
                   TEST_LEASE_TTL_MS);
    assert_true (takeover_ms <= 2 * TEST_LEASE_TTL_MS);

    /* A newcomer gets its share within two lease periods of starting. */
    s_start_consumer (fixture, 2);
    int64_t join_ms = s_wait_shared (fixture, (const size_t[]){ 1, 2 }, 2, sp_harness_now_ms ());
    print_message ("rebalance after join: %lld ms\n", (long long) join_ms);
    assert_true (join_ms <= 2 * TEST_LEASE_TTL_MS);

    assert_int_equal (sp_harness_consumer_publish_finish (&publisher, TEST_PUBLISH_TIMEOUT_MS), 0);
    s_wait_converged (fixture);
}

/* ---------------------------------------------------------------- status */

/* The instance ids listed by a status document's service entry. */
static bool
s_listed (json_t *instances, const char *owner)
{
    size_t index;
    json_t *instance;
    json_array_foreach (instances, index, instance)
    {
        const char *id = json_string_value (json_object_get (instance, "instance"));
        size_t length = id ? strlen (id) : 0;
        if (length && strncmp (owner, id, length) == 0 && owner[length] == '/')
            return true;
    }
    return false;
}

/* What is wrong with a status document for two instances (NULL when
   nothing): the service, its two instances, and every partition with an
   owner among them, a head and lag 0. Written into problem. */
static const char *
s_status_problem (json_t *document, char *problem, size_t size)
{
    json_t *services = json_object_get (document, "services");
    json_t *service = json_array_get (services, 0);
    json_t *instances = json_object_get (service, "instances");
    json_t *partitions = json_object_get (service, "partitions");
    const char *name = json_string_value (json_object_get (service, "service"));
    if (json_array_size (services) != 1 || !name || strcmp (name, SP_HARNESS_CONSUMER_SERVICE) != 0)
        snprintf (problem, size, "not one service \"%s\"", SP_HARNESS_CONSUMER_SERVICE);
    else if (json_array_size (instances) != 2)
        snprintf (problem, size, "%zu instances, not 2", json_array_size (instances));
    else if (json_array_size (partitions) != TEST_PARTITIONS)
        snprintf (problem, size, "%zu partitions, not %d", json_array_size (partitions),
                  TEST_PARTITIONS);
    else {
        size_t index;
        json_t *partition;
        json_array_foreach (partitions, index, partition)
        {
            const char *owner = json_string_value (json_object_get (partition, "owner"));
            json_t *lag = json_object_get (partition, "lag");
            if (!owner || !s_listed (instances, owner)) {
                snprintf (problem, size, "partition %zu: owner \"%s\" is not a listed instance",
                          index, owner ? owner : "null");
                return problem;
            }
            if (json_integer_value (json_object_get (partition, "head")) <= 0 ||
                !json_is_integer (lag) || json_integer_value (lag) != 0) {
                snprintf (problem, size, "partition %zu: no head, or lag not 0", index);
                return problem;
            }
        }
        return NULL;
    }
    return problem;
}

static void
test_status_shows_both_instances (void **state)
{
    s_fixture_t *fixture = *state;
    s_start_consumer (fixture, 0);
    s_start_consumer (fixture, 1);
    sp_harness_consumer_series_t series = { "status", TEST_CUSTOMERS };
    sp_harness_publisher_t *publisher =
        sp_harness_consumer_publish (fixture->stack, &series, TEST_STATUS_EVENTS);
    assert_non_null (publisher);
    assert_int_equal (sp_harness_consumer_publish_finish (&publisher, TEST_PUBLISH_TIMEOUT_MS), 0);
    s_wait_converged (fixture);

    /* Asked until it shows both with every partition owned: the two
       instances' /metrics were read one after the other, so a partition
       handed over between the two readings may still be on its way. */
    char output[TEST_OUTPUT_SIZE], errors[PATH_MAX], problem[TEST_TEXT_SIZE] = "";
    snprintf (errors, sizeof errors, "%s/status.err", sp_harness_dir (fixture->stack->harness));
    int64_t deadline = sp_harness_now_ms () + TEST_CONVERGE_TIMEOUT_MS;
    for (;;) {
        assert_int_equal (
            sp_harness_salesctl (fixture->stack->harness,
                                 (const char *const[]){ "status", "--json", "--service",
                                                        SP_HARNESS_CONSUMER_SERVICE, NULL },
                                 errors, output, sizeof output, TEST_SALESCTL_TIMEOUT_MS),
            0);
        json_error_t json_error;
        json_t *document = json_loads (output, 0, &json_error);
        if (!document)
            fail_msg ("salesctl status --json printed \"%s\": %s", output, json_error.text);
        bool shown = !s_status_problem (document, problem, sizeof problem);
        json_decref (document);
        if (shown)
            return;
        if (sp_harness_now_ms () >= deadline)
            fail_msg ("salesctl status --json: %s", problem);
        sp_harness_pause_ms (TEST_POLL_MS);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_kill_9_five_times, s_clear, s_stop_consumers),
        cmocka_unit_test_setup_teardown (test_two_instances_failover_and_join, s_clear,
                                         s_stop_consumers),
        cmocka_unit_test_setup_teardown (test_status_shows_both_instances, s_clear,
                                         s_stop_consumers),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
