/*  test_publish - `salesctl publish` and `salesctl dead-letters` end to end.

    Starts the harness's PostgreSQL and Redis, records the partition count,
    spawns the real activity-ingest binary on free loopback ports and waits
    for its /healthz; then runs the real salesctl binary on files written
    into the harness's temporary folder and checks its stdout lines, its
    --json summary and its exit status, and what `salesctl dead-letters
    --json` lists. The tests run in order on one database: the second
    publish of the same file relies on the first.

    The file (JSON lines, published with --batch 2 so duplicates and
    conflicts meet rows committed by earlier batches):

        1  valid call it:call:1                     accepted
        2  valid deal_won it:won:1                  accepted
        3  call without occurred_at                 rejected locally (missing_field)
        4  valid visit_completed it:visit:1         accepted
        5  line 1 again, same content               duplicate
        6  it:call:1 with another duration          conflict
        7  call in the year 9000                    rejected by ingest (time_out_of_window)
        8  not JSON                                 rejected locally (malformed)
        9  blank                                    skipped
       10  valid survey it:survey:1                 accepted
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
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

#include "sp_event.h"
#include "sp_harness.h"
#include "sp_migrate.h"
#include "sp_pg.h"

#define TEST_PARTITIONS 16          /* recorded in the test database */
#define TEST_START_TIMEOUT_MS 60000 /* sanitizer builds start slowly */
#define TEST_RUN_TIMEOUT_MS 60000   /* one salesctl run */
#define TEST_STOP_TIMEOUT_MS 15000  /* SIGTERM to exit */
#define TEST_POLL_MS 50             /* between checks of a condition */
#define TEST_BODY_SIZE 65536        /* room for an HTTP body */
#define TEST_OUTPUT_SIZE 65536      /* room for a command's output */
#define TEST_SETTING_SIZE 1024      /* room for one NAME=value */
#define TEST_ENDPOINT_SIZE 256      /* room for an endpoint */
#define TEST_ENV_MAX 64             /* entries of a child's environment */
#define TEST_ARGS_MAX 16            /* arguments of a child */
#define TEST_HOUR_MS INT64_C (3600000)
#define TEST_HTTP_OK 200

extern char **environ;

typedef struct {
    sp_harness_t *harness;             /* PostgreSQL + Redis for this file */
    pid_t ingest;                      /* activity-ingest, 0 when not running */
    char endpoint[TEST_ENDPOINT_SIZE]; /* its ROUTER endpoint */
    char ingest_log[PATH_MAX];         /* its stderr + stdout */
    char events_path[PATH_MAX];        /* the JSON lines file above */
    char csv_path[PATH_MAX];           /* a clean CSV file */
    char stdout_path[PATH_MAX];        /* last salesctl stdout */
    char stderr_path[PATH_MAX];        /* last salesctl stderr */
    char output[TEST_OUTPUT_SIZE];     /* last salesctl stdout, read back */
} s_fixture_t;

static void
s_pause (void)
{
    struct timespec delay = { 0, TEST_POLL_MS * 1000000L };
    nanosleep (&delay, NULL);
}

/* Path of a built program: $SP_SOURCE_DIR/$SP_BUILD_DIR/bin/NAME. */
static void
s_program (const char *name, char *path, size_t size)
{
    const char *build = getenv ("SP_BUILD_DIR");
    snprintf (path, size, "%s/%s/bin/%s", sp_harness_source_dir (), build ? build : "build/release",
              name);
}

/* Spawns program with the environment minus SP_* plus settings, stdout
   to out_path and stderr to err_path (may be the same file). */
static pid_t
s_spawn (const char *name, const char *const *settings, const char *const *arguments,
         const char *out_path, const char *err_path)
{
    char program[PATH_MAX];
    s_program (name, program, sizeof program);
    char *envp[TEST_ENV_MAX];
    size_t count = 0;
    for (char **entry = environ; *entry && count < TEST_ENV_MAX / 2; entry++)
        if (strncmp (*entry, "SP_", 3) != 0)
            envp[count++] = *entry;
    for (size_t i = 0; settings && settings[i] && count < TEST_ENV_MAX - 1; i++)
        envp[count++] = (char *) settings[i];
    envp[count] = NULL;

    char *argv[TEST_ARGS_MAX] = { program };
    size_t argc = 1;
    for (size_t i = 0; arguments && arguments[i] && argc < TEST_ARGS_MAX - 1; i++)
        argv[argc++] = (char *) arguments[i];
    argv[argc] = NULL;

    posix_spawn_file_actions_t actions;
    assert_int_equal (posix_spawn_file_actions_init (&actions), 0);
    assert_int_equal (posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, out_path,
                                                        O_WRONLY | O_CREAT | O_TRUNC, 0600),
                      0);
    if (strcmp (out_path, err_path) == 0)
        assert_int_equal (posix_spawn_file_actions_adddup2 (&actions, STDOUT_FILENO, STDERR_FILENO),
                          0);
    else
        assert_int_equal (posix_spawn_file_actions_addopen (&actions, STDERR_FILENO, err_path,
                                                            O_WRONLY | O_CREAT | O_TRUNC, 0600),
                          0);
    assert_int_equal (
        posix_spawn_file_actions_addopen (&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0), 0);
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
        if (waitpid (pid, &status, WNOHANG) == pid)
            return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
        s_pause ();
    }
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    return -1;
}

/* Reads a whole (small) file into buffer. */
static void
s_read_file (const char *path, char *buffer, size_t size)
{
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    size_t length = fread (buffer, 1, size - 1, file);
    buffer[length] = '\0';
    fclose (file);
}

/* Runs salesctl with arguments against the fixture's service and
   database; returns its exit status; stdout is in fixture->output. */
static int
s_salesctl (s_fixture_t *fixture, const char *const *arguments)
{
    char postgres[TEST_SETTING_SIZE];
    char endpoint[TEST_SETTING_SIZE];
    snprintf (postgres, sizeof postgres, "SP_POSTGRES_URL=%s",
              sp_harness_postgres_url (fixture->harness));
    snprintf (endpoint, sizeof endpoint, "SP_INGEST_ENDPOINT=%s", fixture->endpoint);
    pid_t pid = s_spawn ("salesctl", (const char *const[]){ postgres, endpoint, NULL }, arguments,
                         fixture->stdout_path, fixture->stderr_path);
    int status = s_wait_exit (pid, TEST_RUN_TIMEOUT_MS);
    s_read_file (fixture->stdout_path, fixture->output, sizeof fixture->output);
    return status;
}

/* The last line of text (without its newline), copied into line. */
static void
s_last_line (const char *text, char *line, size_t size)
{
    size_t length = strlen (text);
    while (length > 0 && text[length - 1] == '\n')
        length--;
    size_t start = length;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    snprintf (line, size, "%.*s", (int) (length - start), text + start);
}

/* Number of lines of text that contain needle. */
static size_t
s_count_lines_with (const char *text, const char *needle)
{
    size_t count = 0;
    const char *line = text;
    while (*line) {
        const char *end = strchr (line, '\n');
        size_t length = end ? (size_t) (end - line) : strlen (line);
        char buffer[TEST_SETTING_SIZE * 4];
        snprintf (buffer, sizeof buffer, "%.*s", (int) length, line);
        if (strstr (buffer, needle))
            count++;
        line += length + (end ? 1 : 0);
    }
    return count;
}

/* Writes the test files into the harness folder, times near now so the
   service's accept window takes them. */
static void
s_write_files (s_fixture_t *fixture)
{
    char now[SP_EVENT_TIME_TEXT_SIZE];
    struct timespec clock;
    clock_gettime (CLOCK_REALTIME, &clock);
    int64_t ms = (int64_t) clock.tv_sec * 1000 - TEST_HOUR_MS;
    assert_int_equal (sp_event_time_format (ms, now, sizeof now), 0);

    FILE *file = fopen (fixture->events_path, "w");
    assert_non_null (file);
    fprintf (
        file,
        "{\"event_id\": \"it:call:1\", \"source\": \"cc\", \"type\": \"call\", \"occurred_at\": "
        "\"%s\", \"rep_id\": \"rep-ben\", \"customer_id\": \"acme\", \"duration_seconds\": 420}\n"
        "{\"event_id\": \"it:won:1\", \"source\": \"crm\", \"type\": \"deal_won\", "
        "\"occurred_at\": \"%s\", \"rep_id\": \"rep-ana\", \"customer_id\": \"acme\", "
        "\"opportunity_id\": \"opp-1\", \"currency\": \"EUR\", \"amount\": \"24000.00\"}\n"
        "{\"event_id\": \"it:call:2\", \"source\": \"cc\", \"type\": \"call\", \"rep_id\": "
        "\"rep-ben\", \"customer_id\": \"acme\", \"duration_seconds\": 60}\n"
        "{\"event_id\": \"it:visit:1\", \"source\": \"crm\", \"type\": \"visit_completed\", "
        "\"occurred_at\": \"%s\", \"rep_id\": \"rep-ana\", \"customer_id\": \"globex\", "
        "\"duration_minutes\": 90}\n"
        "{\"event_id\": \"it:call:1\", \"source\": \"cc\", \"type\": \"call\", \"occurred_at\": "
        "\"%s\", \"rep_id\": \"rep-ben\", \"customer_id\": \"acme\", \"duration_seconds\": 420}\n"
        "{\"event_id\": \"it:call:1\", \"source\": \"cc\", \"type\": \"call\", \"occurred_at\": "
        "\"%s\", \"rep_id\": \"rep-ben\", \"customer_id\": \"acme\", \"duration_seconds\": 421}\n"
        "{\"event_id\": \"it:call:future\", \"source\": \"cc\", \"type\": \"call\", "
        "\"occurred_at\": \"9000-01-01T00:00:00Z\", \"rep_id\": \"rep-ben\", \"customer_id\": "
        "\"acme\", \"duration_seconds\": 30}\n"
        "this is not JSON\n"
        "\n"
        "{\"event_id\": \"it:survey:1\", \"source\": \"surveys\", \"type\": \"survey\", "
        "\"occurred_at\": \"%s\", \"customer_id\": \"acme\", \"nps\": 9}\n",
        now, now, now, now, now, now);
    assert_int_equal (fclose (file), 0);

    file = fopen (fixture->csv_path, "w");
    assert_non_null (file);
    fprintf (file,
             "event_id,source,type,occurred_at,rep_id,customer_id,duration_seconds,severity\n"
             "it:csv:1,cc,call,%s,rep-ben,initech,30,\n"
             "it:csv:2,cc,call,%s,rep-ben,initech,45,\n"
             "it:csv:3,desk,complaint,%s,,initech,,high\n",
             now, now, now);
    assert_int_equal (fclose (file), 0);
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
    const char *dir = sp_harness_dir (fixture->harness);
    snprintf (fixture->ingest_log, sizeof fixture->ingest_log, "%s/activity-ingest.log", dir);
    snprintf (fixture->events_path, sizeof fixture->events_path, "%s/events.jsonl", dir);
    snprintf (fixture->csv_path, sizeof fixture->csv_path, "%s/events.csv", dir);
    snprintf (fixture->stdout_path, sizeof fixture->stdout_path, "%s/salesctl.out", dir);
    snprintf (fixture->stderr_path, sizeof fixture->stderr_path, "%s/salesctl.err", dir);

    /* Record the partition count, as `salesctl migrate` does at setup. */
    char migrations[PATH_MAX];
    snprintf (migrations, sizeof migrations, "%s/migrations", sp_harness_source_dir ());
    sp_pg_t *pg = sp_pg_new (sp_harness_postgres_url (fixture->harness), "test_publish");
    sp_migrate_t *migrate = sp_migrate_new (migrations);
    int rc =
        (pg && migrate && sp_pg_connect (pg) == 0 &&
         sp_migrate_set_partitions (migrate, pg, TEST_PARTITIONS, true, NULL) == TEST_PARTITIONS)
            ? 0
            : -1;
    sp_migrate_destroy (&migrate);
    sp_pg_destroy (&pg);
    if (rc != 0)
        return -1;

    /* activity-ingest on free ports; ready when /healthz answers 200. */
    int ingest_port = sp_harness_free_port ();
    int bus_port = sp_harness_free_port ();
    int http_port = sp_harness_free_port ();
    if (ingest_port <= 0 || bus_port <= 0 || http_port <= 0)
        return -1;
    snprintf (fixture->endpoint, sizeof fixture->endpoint, "tcp://127.0.0.1:%d", ingest_port);
    char postgres[TEST_SETTING_SIZE], redis[TEST_SETTING_SIZE], ingest[TEST_SETTING_SIZE],
        bus[TEST_SETTING_SIZE], http[TEST_SETTING_SIZE];
    snprintf (postgres, sizeof postgres, "SP_POSTGRES_URL=%s",
              sp_harness_postgres_url (fixture->harness));
    snprintf (redis, sizeof redis, "SP_REDIS_URL=%s", sp_harness_redis_url (fixture->harness));
    snprintf (ingest, sizeof ingest, "SP_INGEST_ENDPOINT=%s", fixture->endpoint);
    snprintf (bus, sizeof bus, "SP_BUS_ENDPOINT=tcp://127.0.0.1:%d", bus_port);
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", http_port);
    fixture->ingest = s_spawn ("activity-ingest",
                               (const char *const[]){ postgres, redis, ingest, bus, http, NULL },
                               NULL, fixture->ingest_log, fixture->ingest_log);
    static char body[TEST_BODY_SIZE];
    int status = 0;
    for (int waited = 0; waited < TEST_START_TIMEOUT_MS; waited += TEST_POLL_MS) {
        if (sp_harness_http_get (http_port, "/healthz", &status, body, sizeof body) == 0 &&
            status == TEST_HTTP_OK)
            break;
        if (waitpid (fixture->ingest, NULL, WNOHANG) != 0) {
            fprintf (stderr, "activity-ingest exited at start; see %s\n", fixture->ingest_log);
            fixture->ingest = 0;
            return -1;
        }
        s_pause ();
    }
    if (status != TEST_HTTP_OK)
        return -1;
    s_write_files (fixture);
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    int rc = 0;
    if (fixture->ingest > 0) {
        kill (fixture->ingest, SIGTERM);
        rc = s_wait_exit (fixture->ingest, TEST_STOP_TIMEOUT_MS) == 0 ? 0 : -1;
    }
    sp_harness_destroy (&fixture->harness);
    free (fixture);
    return rc;
}

/* Every refused line reported with its line number, conflicts named, the
   --json summary last, exit status 1 (something was rejected). */
static void
test_publish_reports_every_line (void **state)
{
    s_fixture_t *fixture = *state;
    int status = s_salesctl (fixture, (const char *const[]){ "publish", "--batch", "2", "--json",
                                                             fixture->events_path, NULL });
    const char *out = fixture->output;
    assert_int_equal (status, 1);
    assert_non_null (
        strstr (out, "line 3: field \"occurred_at\": required for every event (missing_field)\n"));
    assert_non_null (strstr (
        out, "line 6: conflict: event_id \"it:call:1\" was already stored with other content\n"));
    assert_non_null (strstr (out, "line 7: field \"occurred_at\": "));
    assert_non_null (strstr (out, "(time_out_of_window)\n"));
    assert_non_null (strstr (out, "line 8: invalid JSON at line 1 column "));
    assert_non_null (strstr (out, "(malformed)\n"));
    assert_int_equal (s_count_lines_with (out, "line "), 4);
    /* in input order: local rejections as read, service ones per batch */
    assert_true (strstr (out, "line 3:") < strstr (out, "line 6:"));
    assert_true (strstr (out, "line 6:") < strstr (out, "line 7:"));
    assert_true (strstr (out, "line 7:") < strstr (out, "line 8:"));
    char last[TEST_SETTING_SIZE];
    s_last_line (out, last, sizeof last);
    assert_string_equal (last, "{\"accepted\":4,\"duplicate\":1,\"conflict\":1,\"rejected\":3}");
}

/* The same file again: nothing new is stored. */
static void
test_publish_again_gives_duplicates (void **state)
{
    s_fixture_t *fixture = *state;
    int status = s_salesctl (
        fixture, (const char *const[]){ "publish", "--json", fixture->events_path, NULL });
    assert_int_equal (status, 1);
    char last[TEST_SETTING_SIZE];
    s_last_line (fixture->output, last, sizeof last);
    assert_string_equal (last, "{\"accepted\":0,\"duplicate\":5,\"conflict\":1,\"rejected\":3}");
}

/* A clean CSV file: human summary, exit 0. */
static void
test_publish_clean_csv_exits_zero (void **state)
{
    s_fixture_t *fixture = *state;
    int status = s_salesctl (fixture, (const char *const[]){ "publish", fixture->csv_path, NULL });
    assert_int_equal (status, 0);
    assert_int_equal (s_count_lines_with (fixture->output, "line "), 0);
    assert_non_null (strstr (fixture->output, "3 events read from \""));
    assert_non_null (strstr (
        fixture->output, "accepted 3, duplicate 0, conflict 0, rejected 0 (0 before sending)\n"));
}

/* The service's rejections are dead letters: two (one per publish) of
   it:call:future; the local ones were never sent. */
static void
test_dead_letters_lists_rejections (void **state)
{
    s_fixture_t *fixture = *state;
    int status = s_salesctl (fixture, (const char *const[]){ "dead-letters", "--json", NULL });
    assert_int_equal (status, 0);
    const char *out = fixture->output;
    assert_int_equal (s_count_lines_with (out, "{\"id\":"), 2);
    assert_int_equal (s_count_lines_with (out, "\"event_id\":\"it:call:future\""), 2);
    assert_int_equal (s_count_lines_with (out, "\"field\":\"occurred_at\""), 2);
    assert_int_equal (s_count_lines_with (out, "\"reason\":\"time_out_of_window\""), 2);
    assert_int_equal (s_count_lines_with (out, "\"raw_base64\":\""), 2);

    status = s_salesctl (
        fixture, (const char *const[]){ "dead-letters", "--since", "1h", "--limit", "1", NULL });
    assert_int_equal (status, 0);
    assert_int_equal (s_count_lines_with (fixture->output, "event_id \"it:call:future\""), 1);
    assert_non_null (strstr (fixture->output, "1 dead letter (newest first)\n"));

    status = s_salesctl (
        fixture, (const char *const[]){ "dead-letters", "--since", "9999-01-01T00:00:00Z", NULL });
    assert_int_equal (status, 0);
    assert_string_equal (fixture->output, "0 dead letters\n");

    status = s_salesctl (fixture, (const char *const[]){ "dead-letters", "--since", "soon", NULL });
    assert_int_equal (status, 1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_publish_reports_every_line),
        cmocka_unit_test (test_publish_again_gives_duplicates),
        cmocka_unit_test (test_publish_clean_csv_exits_zero),
        cmocka_unit_test (test_dead_letters_lists_rejections),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
