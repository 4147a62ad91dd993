/*  test_ingest_crash - activity-ingest's durability promises under crashes
    (issue 3 acceptance): the real binary against the harness's servers.

      - kill -9 of activity-ingest while 100,000 events are being published
        by several publishers at once (several batches in flight), at a
        moment chosen by progress (after a number of acknowledged batches);
        restarted, the publishers resend what was not acknowledged: exactly
        100,000 rows, every partition gap-free, every acknowledged event
        stored where its reply said.
      - PostgreSQL stopped with `pg_ctl -m immediate` mid-publish (a crash,
        recovered from the WAL at restart): everything acknowledged before
        the crash is in the table after recovery; after the retries the full
        set, each event once.

    Every wait polls an observable condition with a deadline; nothing is
    timed by sleeping.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sp_harness.h"
#include "sp_harness_pg.h"
#include "sp_harness_publisher.h"

#define TEST_PARTITIONS 16
#define TEST_EVENTS 100000  /* the count issue 3 names */
#define TEST_PUBLISHERS 4   /* batches in flight at once */
#define TEST_BATCH 1000     /* events per request */
#define TEST_CUSTOMERS 97   /* customers spread over every partition */
#define TEST_CRASH_AFTER 20 /* acknowledged batches (of 100) before the crash */
#define TEST_START_TIMEOUT_MS 60000
#define TEST_STOP_TIMEOUT_MS 30000
#define TEST_PROGRESS_TIMEOUT_MS 120000
#define TEST_PUBLISH_TIMEOUT_MS 400000
#define TEST_REPLY_TIMEOUT_MS 3000 /* per attempt: a killed service is noticed this fast */
#define TEST_ATTEMPTS 200          /* covers a restart of the service or of PostgreSQL */
#define TEST_BACKOFF_MS 50
#define TEST_BACKOFF_MAX_MS 500
#define TEST_POLL_MS 10
#define TEST_ENDPOINT_SIZE 64

typedef struct {
    sp_harness_t *harness;
    sp_pg_t *pg;
    char endpoint[TEST_ENDPOINT_SIZE]; /* tcp://127.0.0.1:PORT */
    pid_t pid;                         /* the running activity-ingest */
    int starts;                        /* starts so far (one log each) */
} s_fixture_t;

/* Event number index of the series: ids "<prefix>:<index>". */
typedef struct {
    const char *prefix; /* event_id prefix of this run */
    size_t first;       /* number of the publisher's first event */
} s_series_t;

static void
s_start_ingest (s_fixture_t *fixture)
{
    char log_path[PATH_MAX];
    snprintf (log_path, sizeof log_path, "%s/ingest-%d.log", sp_harness_dir (fixture->harness),
              ++fixture->starts);
    fixture->pid = sp_harness_start_ingest (fixture->harness, fixture->endpoint, NULL, log_path,
                                            TEST_START_TIMEOUT_MS);
    assert_true (fixture->pid > 0);
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness = sp_harness_pg_fixture ("test_ingest_crash", TEST_PARTITIONS, &fixture->pg);
    if (!fixture->harness ||
        sp_harness_free_endpoint (fixture->endpoint, sizeof fixture->endpoint) != 0)
        return -1;
    s_start_ingest (fixture);
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    if (fixture->pid > 0)
        sp_harness_stop (fixture->pid, TEST_STOP_TIMEOUT_MS);
    sp_pg_destroy (&fixture->pg);
    sp_harness_destroy (&fixture->harness);
    free (fixture);
    return 0;
}

static sp_event_t *
s_make_event (size_t index, void *arg)
{
    const s_series_t *series = (const s_series_t *) arg;
    size_t number = series->first + index;
    char id[64], customer[32];
    snprintf (id, sizeof id, "%s:%zu", series->prefix, number);
    snprintf (customer, sizeof customer, "customer-%zu", number % TEST_CUSTOMERS);
    return sp_harness_call_event (id, customer, (uint32_t) (1 + number % 600));
}

/* Starts TEST_PUBLISHERS publishers of TEST_EVENTS events in all. */
static void
s_publish (s_fixture_t *fixture, const char *prefix, s_series_t *series,
           sp_harness_publisher_t **publishers)
{
    for (size_t index = 0; index < TEST_PUBLISHERS; index++) {
        series[index].prefix = prefix;
        series[index].first = index * (TEST_EVENTS / TEST_PUBLISHERS);
        sp_harness_publisher_options_t options = {
            .endpoint = fixture->endpoint,
            .count = TEST_EVENTS / TEST_PUBLISHERS,
            .batch = TEST_BATCH,
            .timeout_ms = TEST_REPLY_TIMEOUT_MS,
            .make_event = s_make_event,
            .arg = &series[index],
        };
        sp_ingest_client_options_init (&options.client);
        options.client.attempts = TEST_ATTEMPTS;
        options.client.backoff_ms = TEST_BACKOFF_MS;
        options.client.backoff_max_ms = TEST_BACKOFF_MAX_MS;
        publishers[index] = sp_harness_publisher_new (&options);
        assert_non_null (publishers[index]);
    }
}

static size_t
s_batches_done (sp_harness_publisher_t **publishers)
{
    size_t done = 0;
    for (size_t index = 0; index < TEST_PUBLISHERS; index++)
        done += sp_harness_publisher_batches_done (publishers[index]);
    return done;
}

/* Waits until at least count batches are acknowledged in all; returns how
   many are (fewer than all of them, or the crash would come too late). */
static size_t
s_wait_progress (sp_harness_publisher_t **publishers, size_t count)
{
    for (int waited = 0; waited < TEST_PROGRESS_TIMEOUT_MS; waited += TEST_POLL_MS) {
        size_t done = s_batches_done (publishers);
        if (done >= count) {
            assert_true (done < TEST_EVENTS / TEST_BATCH);
            return done;
        }
        sp_harness_pause_ms (TEST_POLL_MS);
    }
    fail_msg ("fewer than %zu batches acknowledged", count);
    return 0;
}

/* Every event acknowledged in the first batches[i] batches of publisher i
   is stored where its reply said; returns how many were checked. */
static size_t
s_check_acknowledged (s_fixture_t *fixture, sp_harness_publisher_t **publishers,
                      const size_t *batches)
{
    size_t total = 0;
    for (size_t index = 0; index < TEST_PUBLISHERS; index++) {
        size_t acknowledged = 0, stored = 0;
        assert_int_equal (sp_harness_publisher_stored (publishers[index], batches[index],
                                                       fixture->pg, &acknowledged, &stored),
                          0);
        assert_int_equal (stored, acknowledged);
        total += acknowledged;
    }
    return total;
}

/* Waits for every publisher; checks the log holds exactly the series. */
static void
s_finish (s_fixture_t *fixture, sp_harness_publisher_t **publishers)
{
    size_t all[TEST_PUBLISHERS];
    uint64_t resends = 0;
    for (size_t index = 0; index < TEST_PUBLISHERS; index++) {
        char error[512];
        if (sp_harness_publisher_wait (publishers[index], TEST_PUBLISH_TIMEOUT_MS, error,
                                       sizeof error) != 0)
            fail_msg ("publisher %zu: %s", index, error);
        all[index] = sp_harness_publisher_batches (publishers[index]);
        resends += sp_harness_publisher_resends (publishers[index]);
    }
    /* The crash made the publishers resend. */
    assert_true (resends > 0);
    assert_int_equal (s_check_acknowledged (fixture, publishers, all), TEST_EVENTS);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events"),
                      TEST_EVENTS);
    assert_int_equal (
        sp_harness_pg_count (fixture->pg, "SELECT count(DISTINCT event_id) FROM events"),
        TEST_EVENTS);
    assert_int_equal (sp_harness_pg_partition_gaps (fixture->pg), 0);
    assert_int_equal (
        sp_harness_pg_count (fixture->pg, "SELECT sum(head_sequence) FROM event_partitions"),
        TEST_EVENTS);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM dead_letters"), 0);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM event_conflicts"), 0);
    for (size_t index = 0; index < TEST_PUBLISHERS; index++)
        sp_harness_publisher_destroy (&publishers[index]);
}

/* Snapshot of the acknowledged batches per publisher. */
static void
s_snapshot (sp_harness_publisher_t **publishers, size_t *batches)
{
    for (size_t index = 0; index < TEST_PUBLISHERS; index++)
        batches[index] = sp_harness_publisher_batches_done (publishers[index]);
}

static int
s_clear (void **state)
{
    s_fixture_t *fixture = *state;
    return sp_harness_pg_clear_events (fixture->pg);
}

static void
test_kill_9_mid_publish (void **state)
{
    s_fixture_t *fixture = *state;
    s_series_t series[TEST_PUBLISHERS];
    sp_harness_publisher_t *publishers[TEST_PUBLISHERS];
    s_publish (fixture, "kill", series, publishers);
    s_wait_progress (publishers, TEST_CRASH_AFTER);

    assert_int_equal (kill (fixture->pid, SIGKILL), 0);
    assert_int_equal (sp_harness_wait_exit (fixture->pid, TEST_STOP_TIMEOUT_MS), 128 + SIGKILL);
    fixture->pid = 0;
    /* What was acknowledged before the crash is stored. */
    size_t before[TEST_PUBLISHERS];
    s_snapshot (publishers, before);
    assert_true (s_check_acknowledged (fixture, publishers, before) >=
                 TEST_CRASH_AFTER * TEST_BATCH);

    s_start_ingest (fixture);
    s_finish (fixture, publishers);
}

static void
test_postgres_immediate_stop_mid_publish (void **state)
{
    s_fixture_t *fixture = *state;
    s_series_t series[TEST_PUBLISHERS];
    sp_harness_publisher_t *publishers[TEST_PUBLISHERS];
    s_publish (fixture, "crash", series, publishers);
    s_wait_progress (publishers, TEST_CRASH_AFTER);

    assert_int_equal (sp_harness_postgres_stop (fixture->harness, true), 0);
    /* Every reply read from now on was sent before the crash or says
       nothing was stored, so this snapshot is what must survive it. */
    size_t before[TEST_PUBLISHERS];
    s_snapshot (publishers, before);
    assert_int_equal (sp_harness_postgres_start (fixture->harness), 0);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT 1"), 1); /* reconnects */
    assert_true (s_check_acknowledged (fixture, publishers, before) >=
                 TEST_CRASH_AFTER * TEST_BATCH);

    s_finish (fixture, publishers);
    /* The service lived through it. */
    assert_int_equal (waitpid (fixture->pid, NULL, WNOHANG), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_kill_9_mid_publish, s_clear),
        cmocka_unit_test_setup (test_postgres_immediate_stop_mid_publish, s_clear),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
