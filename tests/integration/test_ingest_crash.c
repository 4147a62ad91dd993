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
#include "sp_harness_publisher.h"
#include "sp_migrate.h"
#include "sp_pg.h"

#define TEST_PARTITIONS 16
#define TEST_EVENTS 100000        /* the count issue 3 names */
#define TEST_PUBLISHERS 4         /* batches in flight at once */
#define TEST_BATCH 1000           /* events per request */
#define TEST_CUSTOMERS 97         /* customers spread over every partition */
#define TEST_CRASH_AFTER 20       /* acknowledged batches (of 100) before the crash */
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
#define TEST_SETTING_SIZE 128

typedef struct {
    sp_harness_t *harness;
    sp_pg_t *pg;
    char endpoint[TEST_ENDPOINT_SIZE];                /* tcp://127.0.0.1:PORT */
    char endpoint_setting[TEST_SETTING_SIZE];         /* SP_INGEST_ENDPOINT=... */
    char bus_setting[TEST_SETTING_SIZE];              /* SP_BUS_ENDPOINT=... */
    pid_t pid;                                        /* the running activity-ingest */
    int starts;                                       /* starts so far (one log each) */
} s_fixture_t;

/* Event number index of the series: ids "<prefix>:<index>". */
typedef struct {
    const char *prefix; /* event_id prefix of this run */
    size_t first;       /* number of the publisher's first event */
} s_series_t;

static void
s_pause (void)
{
    struct timespec delay = { 0, TEST_POLL_MS * 1000000L };
    nanosleep (&delay, NULL);
}

static void
s_start_ingest (s_fixture_t *fixture)
{
    char program[PATH_MAX], log_path[PATH_MAX];
    sp_harness_program ("activity-ingest", program, sizeof program);
    snprintf (log_path, sizeof log_path, "%s/ingest-%d.log", sp_harness_dir (fixture->harness),
              ++fixture->starts);
    const char *settings[] = { fixture->endpoint_setting, fixture->bus_setting, NULL };
    fixture->pid = sp_harness_spawn (fixture->harness, program, settings, log_path);
    assert_true (fixture->pid > 0);
    assert_int_equal (sp_harness_wait_log (fixture->pid, log_path, "msg=\"accepting requests\"",
                                           TEST_START_TIMEOUT_MS),
                      0);
}

/* Runs a query returning one integer; a connection lost by a PostgreSQL
   restart is noticed by the first call and repaired by the next. */
static int64_t
s_count (s_fixture_t *fixture, const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (fixture->pg, sql, 0, NULL, NULL, NULL);
    if (sp_pg_result_connection_lost (result)) {
        sp_pg_result_destroy (&result);
        result = sp_pg_exec (fixture->pg, sql, 0, NULL, NULL, NULL);
    }
    assert_true (sp_pg_result_ok (result));
    int64_t value = -1;
    assert_int_equal (sp_pg_result_int64 (result, 0, 0, &value), 0);
    sp_pg_result_destroy (&result);
    return value;
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness = sp_harness_new (SP_HARNESS_POSTGRES | SP_HARNESS_REDIS);
    if (!fixture->harness)
        return -1;
    snprintf (fixture->endpoint, sizeof fixture->endpoint, "tcp://127.0.0.1:%d",
              sp_harness_free_port ());
    snprintf (fixture->endpoint_setting, sizeof fixture->endpoint_setting,
              "SP_INGEST_ENDPOINT=%s", fixture->endpoint);
    snprintf (fixture->bus_setting, sizeof fixture->bus_setting,
              "SP_BUS_ENDPOINT=tcp://127.0.0.1:%d", sp_harness_free_port ());
    char migrations[PATH_MAX];
    snprintf (migrations, sizeof migrations, "%s/migrations", sp_harness_source_dir ());
    fixture->pg = sp_pg_new (sp_harness_postgres_url (fixture->harness), "test_ingest_crash");
    sp_migrate_t *migrate = sp_migrate_new (migrations);
    int rc = fixture->pg && migrate && sp_pg_connect (fixture->pg) == 0 &&
                     sp_migrate_set_partitions (migrate, fixture->pg, TEST_PARTITIONS, true,
                                                NULL) == TEST_PARTITIONS
                 ? 0
                 : -1;
    sp_migrate_destroy (&migrate);
    if (rc == 0)
        s_start_ingest (fixture);
    return rc;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    if (fixture->pid > 0) {
        kill (fixture->pid, SIGTERM);
        sp_harness_wait_exit (fixture->pid, TEST_STOP_TIMEOUT_MS);
    }
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
        s_pause ();
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
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM events"), TEST_EVENTS);
    assert_int_equal (s_count (fixture, "SELECT count(DISTINCT event_id) FROM events"),
                      TEST_EVENTS);
    /* Gap-free: with (partition, sequence) unique and sequence >= 1, count =
       max = head means exactly 1..head. */
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM event_partitions p WHERE "
                                        "head_sequence <> (SELECT count(*) FROM events e WHERE "
                                        "e.partition = p.partition) OR head_sequence <> "
                                        "coalesce((SELECT max(sequence) FROM events e WHERE "
                                        "e.partition = p.partition), 0)"),
                      0);
    assert_int_equal (s_count (fixture, "SELECT sum(head_sequence) FROM event_partitions"),
                      TEST_EVENTS);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM dead_letters"), 0);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM event_conflicts"), 0);
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
    sp_pg_result_t *result = sp_pg_exec_script (
        fixture->pg, "TRUNCATE events, dead_letters, event_conflicts; "
                     "UPDATE event_partitions SET head_sequence = 0");
    int rc = sp_pg_result_ok (result) ? 0 : -1;
    sp_pg_result_destroy (&result);
    return rc;
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
    assert_int_equal (s_count (fixture, "SELECT 1"), 1); /* reconnects */
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
