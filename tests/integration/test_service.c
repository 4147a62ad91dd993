/*  test_service - the shared life of a service process, end to end.

    Starts a real service binary (funnel-tracker; every service shares this
    life through sp_service) against the harness's PostgreSQL and Redis and
    checks what an operator sees: /healthz, /metrics, a clean exit on
    SIGTERM, and a clear refusal to start on a wrong partition count, an
    unreachable dependency or a bad flag.
*/
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_harness.h"
#include "sp_harness_pg.h"

#define TEST_PARTITIONS 16          /* recorded in the test database */
#define TEST_START_TIMEOUT_MS 60000 /* sanitizer builds start slowly */
#define TEST_STOP_TIMEOUT_MS 15000  /* SIGTERM to exit */
#define TEST_BODY_SIZE 65536
#define TEST_SETTINGS_MAX 8 /* extra settings of one spawn */

typedef struct {
    sp_harness_t *harness;   /* PostgreSQL + Redis for this file */
    char log_path[PATH_MAX]; /* the service's stderr */
} s_fixture_t;

/* Spawns funnel-tracker with extra "NAME=value" settings (at most
   TEST_SETTINGS_MAX) and arguments (NULL terminated lists) on top of the
   harness's URLs and a notices endpoint on a free port (its default, a
   fixed port, may be held by a local stack on the machine); stderr and
   stdout go to log_path, emptied first. */
static pid_t
s_spawn (s_fixture_t *fixture, const char *const *settings, const char *const *arguments)
{
    char program[PATH_MAX];
    sp_harness_program ("funnel-tracker", program, sizeof program);
    const char *all[TEST_SETTINGS_MAX + 2] = { "SP_FUNNEL_NOTICES_ENDPOINT=tcp://127.0.0.1:*" };
    size_t count = 1;
    for (; settings && settings[count - 1]; count++) {
        assert_true (count <= TEST_SETTINGS_MAX);
        all[count] = settings[count - 1];
    }
    all[count] = NULL;
    sp_harness_spawn_options_t options = {
        .settings = all, .arguments = arguments, .stdout_path = fixture->log_path, .truncate = true
    };
    pid_t pid = sp_harness_spawn_with (fixture->harness, program, &options);
    assert_true (pid > 0);
    return pid;
}

/* True when the service's log contains text. */
static bool
s_log_contains (const s_fixture_t *fixture, const char *text)
{
    return sp_harness_log_contains (fixture->log_path, text);
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    /* Record the partition count, as `salesctl migrate` does at setup. */
    fixture->harness = sp_harness_pg_fixture ("test_service", TEST_PARTITIONS, NULL);
    if (!fixture->harness)
        return -1;
    snprintf (fixture->log_path, sizeof fixture->log_path, "%s/service.log",
              sp_harness_dir (fixture->harness));
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (fixture) {
        sp_harness_destroy (&fixture->harness);
        free (fixture);
    }
    return 0;
}

/* Healthy start, /healthz and /metrics answered, clean exit on SIGTERM. */
static void
test_service_serves_health_and_stops_on_sigterm (void **state)
{
    s_fixture_t *fixture = *state;
    int port = sp_harness_free_port ();
    assert_true (port > 0);
    char http[64];
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", port);
    pid_t pid = s_spawn (fixture, (const char *const[]){ http, NULL }, NULL);

    static char body[TEST_BODY_SIZE];
    assert_int_equal (sp_harness_wait_http (pid, port, "/healthz", NULL, body, sizeof body,
                                            TEST_START_TIMEOUT_MS),
                      0);
    int status = 0;
    assert_non_null (strstr (body, "\"service\":\"funnel-tracker\""));
    assert_non_null (strstr (body, "\"status\":\"ok\""));
    assert_non_null (strstr (body, "\"postgres\":\"ok\""));
    assert_non_null (strstr (body, "\"redis\":\"ok\""));

    assert_int_equal (sp_harness_http_get (port, "/metrics", &status, body, sizeof body), 0);
    assert_int_equal (status, 200);
    assert_non_null (
        strstr (body, "salespulse_build_info{service=\"funnel-tracker\",version=\"0.1.0\"} 1"));
    assert_non_null (strstr (body, "salespulse_dependency_up{dependency=\"postgres\"} 1"));
    assert_non_null (strstr (body, "salespulse_dependency_up{dependency=\"redis\"} 1"));
    assert_non_null (strstr (body, "# TYPE salespulse_health_checks_total counter"));

    assert_int_equal (sp_harness_http_get (port, "/nowhere", &status, body, sizeof body), 0);
    assert_int_equal (status, 404);

    assert_int_equal (kill (pid, SIGTERM), 0);
    assert_int_equal (sp_harness_wait_exit (pid, TEST_STOP_TIMEOUT_MS), 0);
    assert_true (s_log_contains (fixture, "msg=\"stopping\" reason=\"signal\""));
    assert_true (s_log_contains (fixture, "msg=\"stopped\" exit_code=0"));
}

/* A partition count other than the one recorded at setup: refuse to run. */
static void
test_service_refuses_wrong_partition_count (void **state)
{
    s_fixture_t *fixture = *state;
    char http[64];
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", sp_harness_free_port ());
    pid_t pid = s_spawn (fixture, (const char *const[]){ http, "SP_PARTITIONS=8", NULL }, NULL);
    assert_int_equal (sp_harness_wait_exit (pid, TEST_START_TIMEOUT_MS), 1);
    assert_true (s_log_contains (fixture, "partition count does not match the database"));
    assert_true (s_log_contains (fixture, "configured=8 recorded=\"16\""));
}

/* Redis not reachable: bounded retries, then a clear failure, exit 1. */
static void
test_service_fails_when_redis_is_unreachable (void **state)
{
    s_fixture_t *fixture = *state;
    char http[64], redis[64];
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", sp_harness_free_port ());
    snprintf (redis, sizeof redis, "--redis=redis://127.0.0.1:%d/0", sp_harness_free_port ());
    pid_t pid = s_spawn (fixture, (const char *const[]){ http, NULL },
                         (const char *const[]){ redis, NULL });
    assert_int_equal (sp_harness_wait_exit (pid, TEST_START_TIMEOUT_MS), 1);
    assert_true (s_log_contains (fixture, "msg=\"could not connect to redis\""));
}

/* Bad settings: usage error, exit 2, nothing started. */
static void
test_service_rejects_bad_settings (void **state)
{
    s_fixture_t *fixture = *state;
    pid_t pid = s_spawn (fixture, NULL, (const char *const[]){ "--bogus", NULL });
    assert_int_equal (sp_harness_wait_exit (pid, TEST_STOP_TIMEOUT_MS), 2);
    assert_true (s_log_contains (fixture, "funnel-tracker: unknown option \"--bogus\""));

    pid = s_spawn (fixture, (const char *const[]){ "SP_TIME_ZONE=Mars/Olympus", NULL }, NULL);
    assert_int_equal (sp_harness_wait_exit (pid, TEST_STOP_TIMEOUT_MS), 2);
    assert_true (s_log_contains (fixture, "unknown time zone \"Mars/Olympus\""));

    pid = s_spawn (fixture, (const char *const[]){ "SP_FUNNEL_CURRENCY=usd", NULL }, NULL);
    assert_int_equal (sp_harness_wait_exit (pid, TEST_STOP_TIMEOUT_MS), 2);
    assert_true (s_log_contains (fixture, "invalid value \"usd\" for SP_FUNNEL_CURRENCY: expected "
                                          "an ISO-4217 currency code such as USD"));

    pid = s_spawn (fixture, NULL, (const char *const[]){ "--help", NULL });
    assert_int_equal (sp_harness_wait_exit (pid, TEST_STOP_TIMEOUT_MS), 0);
    assert_true (s_log_contains (fixture, "(env SP_HTTP, default: 127.0.0.1:9102)"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_service_serves_health_and_stops_on_sigterm),
        cmocka_unit_test (test_service_refuses_wrong_partition_count),
        cmocka_unit_test (test_service_fails_when_redis_is_unreachable),
        cmocka_unit_test (test_service_rejects_bad_settings),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
