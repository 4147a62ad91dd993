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

    Bounded input (issue 14): /dev/zero as CSV and as JSON lines ends at
    once with too_long naming the limit; a 2 MB line without a line end
    and a CSV record over --max-line-bytes are refused at their line, stop
    the file, and the lines before them are still stored; SIGTERM while
    publishing from a pipe that never ends stops salesctl with
    "interrupted".
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

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_pg.h"

#define TEST_PARTITIONS 16          /* recorded in the test database */
#define TEST_START_TIMEOUT_MS 60000 /* sanitizer builds start slowly */
#define TEST_RUN_TIMEOUT_MS 60000   /* one salesctl run */
#define TEST_STOP_TIMEOUT_MS 15000  /* SIGTERM to exit */
#define TEST_BODY_SIZE 65536        /* room for an HTTP body */
#define TEST_OUTPUT_SIZE 65536      /* room for a command's output */
#define TEST_SETTING_SIZE 1024      /* room for one NAME=value */
#define TEST_ENDPOINT_SIZE 256      /* room for an endpoint */
#define TEST_HOUR_MS INT64_C (3600000)
#define TEST_LONG_LINE_BYTES (2 * 1024 * 1024) /* a line over the default limit */
#define TEST_DEFAULT_LIMIT "1048576"           /* --max-line-bytes by default */
#define TEST_POLL_MS 50                        /* between looks at the event log */

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
    char errors[TEST_OUTPUT_SIZE];     /* last salesctl stderr, read back */
    char now[SP_EVENT_TIME_TEXT_SIZE]; /* a time the accept window takes */
} s_fixture_t;

/* Runs salesctl with arguments against the fixture's service and
   database; returns its exit status; stdout is in fixture->output. */
static int
s_salesctl (s_fixture_t *fixture, const char *const *arguments)
{
    char program[PATH_MAX], endpoint[TEST_SETTING_SIZE];
    sp_harness_program ("salesctl", program, sizeof program);
    snprintf (endpoint, sizeof endpoint, "SP_INGEST_ENDPOINT=%s", fixture->endpoint);
    sp_harness_spawn_options_t options = { .settings = (const char *const[]){ endpoint, NULL },
                                           .arguments = arguments,
                                           .stdout_path = fixture->stdout_path,
                                           .stderr_path = fixture->stderr_path,
                                           .truncate = true };
    pid_t pid = sp_harness_spawn_with (fixture->harness, program, &options);
    assert_true (pid > 0);
    int status = sp_harness_wait_exit (pid, TEST_RUN_TIMEOUT_MS);
    assert_int_equal (
        sp_harness_read_file (fixture->stdout_path, fixture->output, sizeof fixture->output), 0);
    assert_int_equal (
        sp_harness_read_file (fixture->stderr_path, fixture->errors, sizeof fixture->errors), 0);
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
    snprintf (fixture->now, sizeof fixture->now, "%s", now);

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
    /* Record the partition count, as `salesctl migrate` does at setup. */
    fixture->harness = sp_harness_pg_fixture ("test_publish", TEST_PARTITIONS, NULL);
    if (!fixture->harness)
        return -1;
    const char *dir = sp_harness_dir (fixture->harness);
    snprintf (fixture->ingest_log, sizeof fixture->ingest_log, "%s/activity-ingest.log", dir);
    snprintf (fixture->events_path, sizeof fixture->events_path, "%s/events.jsonl", dir);
    snprintf (fixture->csv_path, sizeof fixture->csv_path, "%s/events.csv", dir);
    snprintf (fixture->stdout_path, sizeof fixture->stdout_path, "%s/salesctl.out", dir);
    snprintf (fixture->stderr_path, sizeof fixture->stderr_path, "%s/salesctl.err", dir);

    /* activity-ingest on free ports; ready when /healthz answers 200. */
    int http_port = sp_harness_free_port ();
    if (http_port <= 0 ||
        sp_harness_free_endpoint (fixture->endpoint, sizeof fixture->endpoint) != 0)
        return -1;
    char http[TEST_SETTING_SIZE];
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", http_port);
    fixture->ingest = sp_harness_start_ingest (fixture->harness, fixture->endpoint,
                                               (const char *const[]){ http, NULL },
                                               fixture->ingest_log, TEST_START_TIMEOUT_MS);
    static char body[TEST_BODY_SIZE];
    if (fixture->ingest <= 0 ||
        sp_harness_wait_http (fixture->ingest, http_port, "/healthz", NULL, body, sizeof body,
                              TEST_START_TIMEOUT_MS) != 0) {
        fprintf (stderr, "activity-ingest did not start; see %s\n", fixture->ingest_log);
        if (fixture->ingest > 0)
            sp_harness_wait_exit (fixture->ingest, 0); /* kills and reaps it */
        fixture->ingest = 0;
        return -1;
    }
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
    if (fixture->ingest > 0)
        rc = sp_harness_stop (fixture->ingest, TEST_STOP_TIMEOUT_MS) == 0 ? 0 : -1;
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

/* /dev/zero never ends a line: both readers stop after the limit and say
   so, at once (CSV spun forever on it, JSON lines grew without bound). */
static void
test_publish_dev_zero_stops (void **state)
{
    s_fixture_t *fixture = *state;
    int status = s_salesctl (
        fixture, (const char *const[]){ "publish", "--format", "csv", "/dev/zero", NULL });
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->errors,
                             "salesctl publish: \"/dev/zero\": line 1: header row "
                             "longer than " TEST_DEFAULT_LIMIT " bytes (too_long)"));

    status = s_salesctl (fixture, (const char *const[]){ "publish", "--format", "jsonl", "--json",
                                                         "/dev/zero", NULL });
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->output, "line 1: longer than " TEST_DEFAULT_LIMIT
                                              " bytes, the limit set by --max-line-bytes"));
    assert_non_null (strstr (fixture->errors, "stopped reading \"/dev/zero\" at line 1"));
    char last[TEST_SETTING_SIZE];
    s_last_line (fixture->output, last, sizeof last);
    assert_string_equal (last, "{\"accepted\":0,\"duplicate\":0,\"conflict\":0,\"rejected\":1}");
}

/* A line over the limit is refused at its line and stops the file; what
   came before it is stored, what comes after is not read. */
static void
test_publish_long_line_stops_the_file (void **state)
{
    s_fixture_t *fixture = *state;
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/long.jsonl", sp_harness_dir (fixture->harness));
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file,
             "{\"event_id\": \"it:long:1\", \"source\": \"cc\", \"type\": \"call\", "
             "\"occurred_at\": \"%s\", \"rep_id\": \"rep-ben\", \"customer_id\": \"acme\", "
             "\"duration_seconds\": 5}\n{\"event_id\": \"it:long:2\", \"source\": \"",
             fixture->now);
    for (size_t i = 0; i < TEST_LONG_LINE_BYTES; i++)
        putc ('x', file);
    assert_int_equal (fclose (file), 0); /* no line end */
    int status = s_salesctl (fixture, (const char *const[]){ "publish", "--json", path, NULL });
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->output,
                             "line 2: longer than " TEST_DEFAULT_LIMIT
                             " bytes, the limit set by --max-line-bytes; the rest of the file "
                             "is not read (too_long)\n"));
    char last[TEST_SETTING_SIZE];
    s_last_line (fixture->output, last, sizeof last);
    assert_string_equal (last, "{\"accepted\":1,\"duplicate\":0,\"conflict\":0,\"rejected\":1}");

    //  CSV with a smaller limit: the record at line 3 (a quoted cell over
    //  lines) is refused, line 2 stored, line 5 never read
    snprintf (path, sizeof path, "%s/long.csv", sp_harness_dir (fixture->harness));
    file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file,
             "event_id,source,type,occurred_at,rep_id,customer_id,duration_seconds\n"
             "it:long:3,cc,call,%s,rep-ben,acme,5\n"
             "it:long:4,cc,call,%s,\"rep\n",
             fixture->now, fixture->now);
    for (size_t i = 0; i < 1000; i++)
        putc ('r', file);
    fprintf (file, "\",acme,5\nit:long:5,cc,call,%s,rep-ben,acme,5\n", fixture->now);
    assert_int_equal (fclose (file), 0);
    status = s_salesctl (fixture, (const char *const[]){ "publish", "--json", "--max-line-bytes",
                                                         "1000", path, NULL });
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->output, "line 3: longer than 1000 bytes, the limit set by "
                                              "--max-line-bytes; the rest of the file is not "
                                              "read (too_long)\n"));
    s_last_line (fixture->output, last, sizeof last);
    assert_string_equal (last, "{\"accepted\":1,\"duplicate\":0,\"conflict\":0,\"rejected\":1}");

    sp_pg_t *pg = sp_harness_pg_connect (fixture->harness, "test_publish", TEST_PARTITIONS);
    assert_non_null (pg);
    assert_int_equal (
        sp_harness_pg_count (pg, "SELECT count(*) FROM events WHERE event_id LIKE 'it:long:%'"), 2);
    assert_int_equal (
        sp_harness_pg_count (pg, "SELECT count(*) FROM events WHERE event_id IN ('it:long:1', "
                                 "'it:long:3')"),
        2);
    sp_pg_destroy (&pg);
}

/* SIGTERM while salesctl waits on a pipe that never ends: it stops at
   once and says "interrupted", not that the input could not be read. */
static void
test_publish_sigterm_stops (void **state)
{
    s_fixture_t *fixture = *state;
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/endless.csv", sp_harness_dir (fixture->harness));
    assert_int_equal (mkfifo (path, S_IRUSR | S_IWUSR), 0);
    int fifo = open (path, O_RDWR); /* Linux: does not wait for the reader */
    assert_true (fifo >= 0);
    char text[TEST_OUTPUT_SIZE];
    int length = snprintf (text, sizeof text,
                           "event_id,source,type,occurred_at,rep_id,customer_id,duration_seconds\n"
                           "it:pipe:1,cc,call,%s,rep-ben,acme,5\n"
                           "it:pipe:2,cc,call,%s,rep-ben,acme,6\n",
                           fixture->now, fixture->now);
    assert_int_equal (write (fifo, text, (size_t) length), length);

    char program[PATH_MAX], endpoint[TEST_SETTING_SIZE];
    sp_harness_program ("salesctl", program, sizeof program);
    snprintf (endpoint, sizeof endpoint, "SP_INGEST_ENDPOINT=%s", fixture->endpoint);
    sp_harness_spawn_options_t options = { .settings = (const char *const[]){ endpoint, NULL },
                                           .arguments = (const char *const[]){ "publish", "--batch",
                                                                               "1", path, NULL },
                                           .stdout_path = fixture->stdout_path,
                                           .stderr_path = fixture->stderr_path,
                                           .truncate = true };
    pid_t pid = sp_harness_spawn_with (fixture->harness, program, &options);
    assert_true (pid > 0);
    /* Both rows stored: salesctl now waits for more input. */
    sp_pg_t *pg = sp_harness_pg_connect (fixture->harness, "test_publish", TEST_PARTITIONS);
    assert_non_null (pg);
    int64_t deadline = sp_harness_now_ms () + TEST_RUN_TIMEOUT_MS;
    while (sp_harness_pg_count (pg, "SELECT count(*) FROM events WHERE event_id LIKE 'it:pipe:%'") <
               2 &&
           sp_harness_now_ms () < deadline)
        sp_harness_pause_ms (TEST_POLL_MS);
    sp_pg_destroy (&pg);
    int64_t stopping = sp_harness_now_ms ();
    int status = sp_harness_stop (pid, TEST_STOP_TIMEOUT_MS);
    int64_t stopped = sp_harness_now_ms ();
    close (fifo);
    unlink (path);
    assert_int_equal (status, 1);
    assert_true (stopped - stopping < TEST_STOP_TIMEOUT_MS);
    assert_int_equal (
        sp_harness_read_file (fixture->stderr_path, fixture->errors, sizeof fixture->errors), 0);
    assert_non_null (strstr (fixture->errors, "salesctl publish: interrupted\n"));
    assert_null (strstr (fixture->errors, "could not read"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_publish_reports_every_line),
        cmocka_unit_test (test_publish_again_gives_duplicates),
        cmocka_unit_test (test_publish_clean_csv_exits_zero),
        cmocka_unit_test (test_dead_letters_lists_rejections),
        cmocka_unit_test (test_publish_dev_zero_stops),
        cmocka_unit_test (test_publish_long_line_stops_the_file),
        cmocka_unit_test (test_publish_sigterm_stops),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
