/*  test_service - the shared life of a service process, end to end.

    Starts a real service binary (funnel-tracker; every service shares this
    life through sp_service) against the harness's PostgreSQL and Redis and
    checks what an operator sees: /healthz, /metrics, a clean exit on
    SIGTERM, and a clear refusal to start on a wrong partition count, an
    unreachable dependency or a bad flag.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sp_harness.h"
#include "sp_migrate.h"
#include "sp_pg.h"

#define TEST_PARTITIONS 16          /* recorded in the test database */
#define TEST_START_TIMEOUT_MS 60000 /* sanitizer builds start slowly */
#define TEST_STOP_TIMEOUT_MS 15000  /* SIGTERM to exit */
#define TEST_POLL_MS 50             /* between checks of a condition */
#define TEST_BODY_SIZE 65536

extern char **environ;

typedef struct {
    sp_harness_t *harness; /* PostgreSQL + Redis for this file */
    char log_path[PATH_MAX]; /* the service's stderr */
} s_fixture_t;

static void
s_pause (void)
{
    struct timespec delay = { 0, TEST_POLL_MS * 1000000L };
    nanosleep (&delay, NULL);
}

/* Path of a built program: $SP_BUILD_DIR/bin/NAME. */
static void
s_program (const char *name, char *path, size_t size)
{
    const char *build = getenv ("SP_BUILD_DIR");
    snprintf (path, size, "%s/%s/bin/%s", sp_harness_source_dir (), build ? build : "build/release",
              name);
}

/* Spawns funnel-tracker with extra "NAME=value" settings (NULL terminated
   list) on top of the harness's URLs; stderr and stdout go to log_path. */
static pid_t
s_spawn (s_fixture_t *fixture, const char *const *settings, const char *const *arguments)
{
    char program[PATH_MAX];
    s_program ("funnel-tracker", program, sizeof program);
    char postgres[512], redis[512];
    snprintf (postgres, sizeof postgres, "SP_POSTGRES_URL=%s",
              sp_harness_postgres_url (fixture->harness));
    snprintf (redis, sizeof redis, "SP_REDIS_URL=%s", sp_harness_redis_url (fixture->harness));

    char *envp[64];
    size_t count = 0;
    for (char **entry = environ; *entry && count < 40; entry++)
        if (strncmp (*entry, "SP_", 3) != 0)
            envp[count++] = *entry;
    envp[count++] = postgres;
    envp[count++] = redis;
    for (size_t i = 0; settings && settings[i] && count < 62; i++)
        envp[count++] = (char *) settings[i];
    envp[count] = NULL;

    char *argv[16] = { program };
    size_t argc = 1;
    for (size_t i = 0; arguments && arguments[i] && argc < 15; i++)
        argv[argc++] = (char *) arguments[i];
    argv[argc] = NULL;

    posix_spawn_file_actions_t actions;
    assert_int_equal (posix_spawn_file_actions_init (&actions), 0);
    assert_int_equal (posix_spawn_file_actions_addopen (&actions, STDERR_FILENO, fixture->log_path,
                                                        O_WRONLY | O_CREAT | O_TRUNC, 0600),
                      0);
    assert_int_equal (posix_spawn_file_actions_adddup2 (&actions, STDERR_FILENO, STDOUT_FILENO), 0);
    pid_t pid;
    assert_int_equal (posix_spawn (&pid, program, &actions, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy (&actions);
    return pid;
}

/* Waits for the child to exit; returns its exit status, or -1 on timeout
   (the child is then killed). */
static int
s_wait_exit (pid_t pid, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += TEST_POLL_MS) {
        int status;
        pid_t done = waitpid (pid, &status, WNOHANG);
        if (done == pid)
            return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
        s_pause ();
    }
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    return -1;
}

/* True when the service's log contains text. */
static bool
s_log_contains (const s_fixture_t *fixture, const char *text)
{
    FILE *file = fopen (fixture->log_path, "r");
    if (!file)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets (line, sizeof line, file))
        found = strstr (line, text) != NULL;
    fclose (file);
    return found;
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    fixture->harness = sp_harness_new (SP_HARNESS_POSTGRES | SP_HARNESS_REDIS);
    if (!fixture->harness) {
        free (fixture);
        return -1;
    }
    snprintf (fixture->log_path, sizeof fixture->log_path, "%s/service.log",
              sp_harness_dir (fixture->harness));

    /* Record the partition count, as `salesctl migrate` does at setup. */
    char migrations[PATH_MAX];
    snprintf (migrations, sizeof migrations, "%s/migrations", sp_harness_source_dir ());
    sp_pg_t *pg = sp_pg_new (sp_harness_postgres_url (fixture->harness), "test_service");
    sp_migrate_t *migrate = sp_migrate_new (migrations);
    int rc = (pg && migrate && sp_pg_connect (pg) == 0 &&
              sp_migrate_set_partitions (migrate, pg, TEST_PARTITIONS, true, NULL) ==
                  TEST_PARTITIONS)
                 ? 0
                 : -1;
    sp_migrate_destroy (&migrate);
    sp_pg_destroy (&pg);
    *state = fixture;
    return rc;
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
    pid_t pid = s_spawn (fixture, (const char *const[]) { http, NULL }, NULL);

    static char body[TEST_BODY_SIZE];
    int status = 0;
    int waited = 0;
    while ((sp_harness_http_get (port, "/healthz", &status, body, sizeof body) != 0 ||
            status != 200) &&
           waited < TEST_START_TIMEOUT_MS) {
        assert_int_equal (waitpid (pid, NULL, WNOHANG), 0); /* still running */
        s_pause ();
        waited += TEST_POLL_MS;
    }
    assert_int_equal (status, 200);
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
    assert_int_equal (s_wait_exit (pid, TEST_STOP_TIMEOUT_MS), 0);
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
    pid_t pid = s_spawn (fixture, (const char *const[]) { http, "SP_PARTITIONS=8", NULL }, NULL);
    assert_int_equal (s_wait_exit (pid, TEST_START_TIMEOUT_MS), 1);
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
    pid_t pid = s_spawn (fixture, (const char *const[]) { http, NULL },
                         (const char *const[]) { redis, NULL });
    assert_int_equal (s_wait_exit (pid, TEST_START_TIMEOUT_MS), 1);
    assert_true (s_log_contains (fixture, "msg=\"could not connect to redis\""));
}

/* Bad settings: usage error, exit 2, nothing started. */
static void
test_service_rejects_bad_settings (void **state)
{
    s_fixture_t *fixture = *state;
    pid_t pid = s_spawn (fixture, NULL, (const char *const[]) { "--bogus", NULL });
    assert_int_equal (s_wait_exit (pid, TEST_STOP_TIMEOUT_MS), 2);
    assert_true (s_log_contains (fixture, "funnel-tracker: unknown option \"--bogus\""));

    pid = s_spawn (fixture, (const char *const[]) { "SP_TIME_ZONE=Mars/Olympus", NULL }, NULL);
    assert_int_equal (s_wait_exit (pid, TEST_STOP_TIMEOUT_MS), 2);
    assert_true (s_log_contains (fixture, "unknown time zone \"Mars/Olympus\""));

    pid = s_spawn (fixture, NULL, (const char *const[]) { "--help", NULL });
    assert_int_equal (s_wait_exit (pid, TEST_STOP_TIMEOUT_MS), 0);
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
