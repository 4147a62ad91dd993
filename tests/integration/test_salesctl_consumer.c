/*  test_salesctl_consumer - `salesctl status`, `salesctl rebuild` and
    `salesctl quarantine` end to end.

    Starts the harness's PostgreSQL and Redis with TEST_PARTITIONS
    partitions, then writes the state the consumer framework would leave
    behind directly (quarantine rows through sp_consumer_log_quarantine,
    partition heads in event_partitions, member sets, instance status,
    lease, checkpoint and epoch keys in Redis, also values the consumer
    never writes) and runs the real salesctl binary against it with
    --postgres and --redis, checking its stdout, stderr and exit status.
    Each test uses its own service name, so the tests do not see each
    other's keys or rows.
*/
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "sp_consumer_log.h"
#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_pg.h"
#include "sp_harness_redis.h"
#include "sp_redis.h"

#define TEST_PARTITIONS 4           /* recorded in the test database */
#define TEST_RUN_TIMEOUT_MS 60000   /* one salesctl run (sanitizer builds are slow) */
#define TEST_WAIT_TIMEOUT_MS 30000  /* waiting for salesctl to request a rebuild */
#define TEST_POLL_MS 20             /* between two looks at Redis */
#define TEST_OUTPUT_SIZE 65536      /* room for a command's output */
#define TEST_TEXT_SIZE 1024         /* room for a key, a URL, a line */
#define TEST_ARGS_MAX 24            /* arguments of one salesctl run */
#define TEST_MEMBER_TTL_MS 60000    /* a live member's expiry, after Redis now */
#define TEST_MEMBER_EXPIRED_MS 1000 /* a dead member's expiry, before Redis now */

typedef struct {
    sp_harness_t *harness;         /* PostgreSQL + Redis for this file */
    sp_pg_t *pg;                   /* the test's own connection */
    sp_redis_t *redis;             /* the test's own connection */
    char stdout_path[PATH_MAX];    /* last salesctl stdout */
    char stderr_path[PATH_MAX];    /* last salesctl stderr */
    char output[TEST_OUTPUT_SIZE]; /* last salesctl stdout, read back */
    char errors[TEST_OUTPUT_SIZE]; /* last salesctl stderr, read back */
} s_fixture_t;

/* ---------------------------------------------------------------- helpers */

/* Starts salesctl with arguments plus --postgres and --redis (redis_url
   NULL: the harness's); returns its PID. */
static pid_t
s_salesctl_start (s_fixture_t *fixture, const char *const *arguments, const char *redis_url)
{
    char program[PATH_MAX];
    sp_harness_program ("salesctl", program, sizeof program);
    const char *argv[TEST_ARGS_MAX];
    size_t count = 0;
    while (arguments[count]) {
        assert_true (count + 5 < TEST_ARGS_MAX);
        argv[count] = arguments[count];
        count++;
    }
    argv[count++] = "--postgres";
    argv[count++] = sp_harness_postgres_url (fixture->harness);
    argv[count++] = "--redis";
    argv[count++] = redis_url ? redis_url : sp_harness_redis_url (fixture->harness);
    argv[count] = NULL;
    sp_harness_spawn_options_t options = { .arguments = argv,
                                           .stdout_path = fixture->stdout_path,
                                           .stderr_path = fixture->stderr_path,
                                           .truncate = true };
    pid_t pid = sp_harness_spawn_with (fixture->harness, program, &options);
    assert_true (pid > 0);
    return pid;
}

/* Waits for a salesctl started by s_salesctl_start; returns its exit
   status, stdout and stderr in the fixture. */
static int
s_salesctl_finish (s_fixture_t *fixture, pid_t pid)
{
    int status = sp_harness_wait_exit (pid, TEST_RUN_TIMEOUT_MS);
    assert_int_equal (
        sp_harness_read_file (fixture->stdout_path, fixture->output, sizeof fixture->output), 0);
    assert_int_equal (
        sp_harness_read_file (fixture->stderr_path, fixture->errors, sizeof fixture->errors), 0);
    return status;
}

static int
s_salesctl (s_fixture_t *fixture, const char *const *arguments)
{
    return s_salesctl_finish (fixture, s_salesctl_start (fixture, arguments, NULL));
}

/* Runs one Redis command that must succeed; returns its reply. */
static sp_redis_reply_t *
s_redis (s_fixture_t *fixture, int argc, const char *const *argv)
{
    sp_redis_reply_t *reply = sp_harness_redis_run (fixture->redis, argc, argv);
    assert_non_null (reply);
    return reply;
}

static void
s_redis_set (s_fixture_t *fixture, const char *key, const char *value)
{
    sp_redis_reply_t *reply = s_redis (fixture, 3, (const char *[]){ "SET", key, value });
    sp_redis_reply_destroy (&reply);
}

/* The key's value as a number, 0 when missing. */
static int64_t
s_redis_get_number (s_fixture_t *fixture, const char *key)
{
    sp_redis_reply_t *reply = s_redis (fixture, 2, (const char *[]){ "GET", key });
    int64_t value = 0;
    if (sp_redis_reply_type (reply) == SP_REDIS_REPLY_STRING)
        value = strtoll (sp_redis_reply_string (reply, NULL), NULL, 10);
    sp_redis_reply_destroy (&reply);
    return value;
}

/* "<service>:{p<partition>}:<suffix>" set to value. */
static void
s_partition_set (s_fixture_t *fixture, const char *service, uint32_t partition, const char *suffix,
                 int64_t value)
{
    char key[TEST_TEXT_SIZE], text[TEST_TEXT_SIZE];
    snprintf (key, sizeof key, "%s:{p%u}:%s", service, partition, suffix);
    snprintf (text, sizeof text, "%lld", (long long) value);
    s_redis_set (fixture, key, text);
}

/* Redis's clock, ms. */
static int64_t
s_redis_now_ms (s_fixture_t *fixture)
{
    sp_redis_reply_t *reply = s_redis (fixture, 1, (const char *[]){ "TIME" });
    assert_int_equal (sp_redis_reply_type (reply), SP_REDIS_REPLY_ARRAY);
    int64_t seconds =
        strtoll (sp_redis_reply_string (sp_redis_reply_element (reply, 0), NULL), NULL, 10);
    int64_t microseconds =
        strtoll (sp_redis_reply_string (sp_redis_reply_element (reply, 1), NULL), NULL, 10);
    sp_redis_reply_destroy (&reply);
    return seconds * 1000 + microseconds / 1000;
}

/* Sets every partition's head in event_partitions. */
static void
s_set_heads (s_fixture_t *fixture, const int64_t *heads)
{
    for (uint32_t partition = 0; partition < TEST_PARTITIONS; partition++) {
        char partition_text[TEST_TEXT_SIZE], head_text[TEST_TEXT_SIZE];
        snprintf (partition_text, sizeof partition_text, "%u", partition);
        snprintf (head_text, sizeof head_text, "%lld", (long long) heads[partition]);
        sp_pg_result_t *result = sp_pg_exec (
            fixture->pg, "UPDATE event_partitions SET head_sequence = $2 WHERE partition = $1", 2,
            (const char *[]){ partition_text, head_text }, NULL, NULL);
        assert_true (sp_pg_result_ok (result));
        assert_int_equal (sp_pg_result_affected (result), 1);
        sp_pg_result_destroy (&result);
    }
}

/* Line number index (0-based) of text, copied into line; false when
   there are fewer lines. */
static bool
s_line (const char *text, size_t index, char *line, size_t size)
{
    for (size_t skipped = 0; skipped < index; skipped++) {
        text = strchr (text, '\n');
        if (!text)
            return false;
        text++;
    }
    if (!*text)
        return false;
    const char *end = strchr (text, '\n');
    size_t length = end ? (size_t) (end - text) : strlen (text);
    snprintf (line, size, "%.*s", (int) length, text);
    return true;
}

static size_t
s_line_count (const char *text)
{
    size_t count = 0;
    for (; *text; text++)
        if (*text == '\n')
            count++;
    return count;
}

/* One quarantine row for service through the consumer log's own insert. */
static void
s_quarantine (s_fixture_t *fixture, const char *service, uint32_t partition, uint64_t sequence,
              const char *event_id, int attempts, const char *handler_error)
{
    sp_consumer_log_event_t event = { .partition = partition, .sequence = sequence };
    snprintf (event.event_id, sizeof event.event_id, "%s", event_id);
    event.event = sp_event_new (SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON);
    assert_non_null (event.event);
    char error[TEST_TEXT_SIZE];
    int rc = sp_consumer_log_quarantine (fixture->pg, service, &event, attempts, handler_error,
                                         error, sizeof error);
    if (rc != 0)
        fprintf (stderr, "quarantine: %s\n", error);
    assert_int_equal (rc, 0);
    sp_event_destroy (&event.event);
}

/* ---------------------------------------------------------------- fixture */

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness =
        sp_harness_pg_fixture ("test_salesctl_consumer", TEST_PARTITIONS, &fixture->pg);
    if (!fixture->harness)
        return -1;
    fixture->redis = sp_harness_redis_connect (fixture->harness);
    if (!fixture->redis)
        return -1;
    const char *dir = sp_harness_dir (fixture->harness);
    snprintf (fixture->stdout_path, sizeof fixture->stdout_path, "%s/salesctl.out", dir);
    snprintf (fixture->stderr_path, sizeof fixture->stderr_path, "%s/salesctl.err", dir);
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    sp_redis_destroy (&fixture->redis);
    sp_pg_destroy (&fixture->pg);
    sp_harness_destroy (&fixture->harness);
    free (fixture);
    return 0;
}

/* ---------------------------------------------------------------- quarantine */

/* Rows come back newest first with every field; --service filters,
   --limit caps, --json gives one object per line. */
static void
test_quarantine_lists_rows (void **state)
{
    s_fixture_t *fixture = *state;
    s_quarantine (fixture, "quarantine-a", 0, 5, "crm:won:1", 3, "no stage \"x\" in the funnel");
    s_quarantine (fixture, "quarantine-a", 1, 9, "crm:won:2", 3, "amount overflow");
    s_quarantine (fixture, "quarantine-b", 2, 3, "crm:won:3", 4, "unknown rep \"rep-zed\"");

    int status = s_salesctl (fixture, (const char *const[]){ "quarantine", "--json", NULL });
    assert_int_equal (status, 0);
    assert_int_equal (s_line_count (fixture->output), 3);
    char line[TEST_TEXT_SIZE];
    assert_true (s_line (fixture->output, 0, line, sizeof line));
    json_error_t parse_error;
    json_t *row = json_loads (line, 0, &parse_error);
    assert_non_null (row);
    assert_string_equal (json_string_value (json_object_get (row, "service")), "quarantine-b");
    assert_int_equal (json_integer_value (json_object_get (row, "partition")), 2);
    assert_int_equal (json_integer_value (json_object_get (row, "sequence")), 3);
    assert_string_equal (json_string_value (json_object_get (row, "event_id")), "crm:won:3");
    assert_string_equal (json_string_value (json_object_get (row, "type")), "deal_won");
    assert_int_equal (json_integer_value (json_object_get (row, "attempts")), 4);
    assert_string_equal (json_string_value (json_object_get (row, "error")),
                         "unknown rep \"rep-zed\"");
    int64_t quarantined_at = 0;
    const char *time = json_string_value (json_object_get (row, "quarantined_at"));
    assert_non_null (time);
    assert_int_equal (sp_event_time_parse (time, &quarantined_at), 0);
    assert_true (quarantined_at > 0);
    assert_int_equal (time[strlen (time) - 1], 'Z');
    json_decref (row);
    assert_true (s_line (fixture->output, 2, line, sizeof line));
    row = json_loads (line, 0, &parse_error);
    assert_non_null (row);
    assert_string_equal (json_string_value (json_object_get (row, "event_id")), "crm:won:1");
    json_decref (row);

    /* One service only, newest first. */
    status = s_salesctl (fixture, (const char *const[]){ "quarantine", "--service", "quarantine-a",
                                                         "--json", NULL });
    assert_int_equal (status, 0);
    assert_int_equal (s_line_count (fixture->output), 2);
    assert_true (s_line (fixture->output, 0, line, sizeof line));
    row = json_loads (line, 0, &parse_error);
    assert_non_null (row);
    assert_string_equal (json_string_value (json_object_get (row, "service")), "quarantine-a");
    assert_int_equal (json_integer_value (json_object_get (row, "sequence")), 9);
    json_decref (row);

    /* --limit. */
    status =
        s_salesctl (fixture, (const char *const[]){ "quarantine", "--limit", "1", "--json", NULL });
    assert_int_equal (status, 0);
    assert_int_equal (s_line_count (fixture->output), 1);
    assert_non_null (strstr (fixture->output, "\"crm:won:3\""));

    /* Human form: one line per row and a count. */
    status = s_salesctl (fixture, (const char *const[]){ "quarantine", NULL });
    assert_int_equal (status, 0);
    assert_int_equal (s_line_count (fixture->output), 4);
    assert_true (s_line (fixture->output, 0, line, sizeof line));
    assert_non_null (strstr (line, "  quarantine-b  partition 2  sequence 3  event_id "
                                   "\"crm:won:3\"  deal_won  attempts 4  unknown rep"));
    assert_true (s_line (fixture->output, 3, line, sizeof line));
    assert_string_equal (line, "3 quarantined events (newest first)");

    /* A service name that cannot exist is refused before any query. */
    status = s_salesctl (fixture, (const char *const[]){ "quarantine", "--service", "Bad", NULL });
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->errors, "invalid service name \"Bad\""));
}

/* ---------------------------------------------------------------- rebuild */

static void
test_rebuild_raises_epoch (void **state)
{
    s_fixture_t *fixture = *state;
    int status = s_salesctl (fixture, (const char *const[]){ "rebuild", "rebuild-one", NULL });
    assert_int_equal (status, 0);
    assert_string_equal (fixture->output, "rebuild of \"rebuild-one\" requested: epoch 1\n");
    status = s_salesctl (fixture, (const char *const[]){ "rebuild", "rebuild-one", NULL });
    assert_int_equal (status, 0);
    assert_string_equal (fixture->output, "rebuild of \"rebuild-one\" requested: epoch 2\n");
    assert_int_equal (s_redis_get_number (fixture, "rebuild-one:rebuild"), 2);

    status =
        s_salesctl (fixture, (const char *const[]){ "rebuild", "rebuild-one", "--json", NULL });
    assert_int_equal (status, 0);
    json_error_t parse_error;
    json_t *result = json_loads (fixture->output, 0, &parse_error);
    assert_non_null (result);
    assert_string_equal (json_string_value (json_object_get (result, "service")), "rebuild-one");
    assert_int_equal (json_integer_value (json_object_get (result, "epoch")), 3);
    json_decref (result);
}

static void
test_rebuild_refuses_bad_service (void **state)
{
    s_fixture_t *fixture = *state;
    int status = s_salesctl (fixture, (const char *const[]){ "rebuild", "Funnel_Tracker", NULL });
    assert_int_equal (status, 1);
    assert_string_equal (fixture->output, "");
    assert_non_null (strstr (fixture->errors, "invalid service name \"Funnel_Tracker\""));
    assert_int_equal (s_redis_get_number (fixture, "Funnel_Tracker:rebuild"), 0);

    status = s_salesctl (fixture, (const char *const[]){ "rebuild", NULL });
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->errors, "missing SERVICE"));
}

/* --wait returns once every partition is at the new epoch with its
   checkpoint at the head read at the request; the keys are written only
   after salesctl has requested the rebuild, so it must poll for them. */
static void
test_rebuild_wait_until_rebuilt (void **state)
{
    s_fixture_t *fixture = *state;
    const char *service = "rebuild-wait";
    const int64_t heads[TEST_PARTITIONS] = { 10, 0, 7, 3 };
    s_set_heads (fixture, heads);
    int64_t epoch = s_redis_get_number (fixture, "rebuild-wait:rebuild") + 1;

    pid_t pid = s_salesctl_start (
        fixture, (const char *const[]){ "rebuild", service, "--wait", "--timeout", "60", NULL },
        NULL);
    int waited = 0;
    while (s_redis_get_number (fixture, "rebuild-wait:rebuild") < epoch &&
           waited < TEST_WAIT_TIMEOUT_MS) {
        nanosleep (&(struct timespec){ .tv_nsec = TEST_POLL_MS * 1000000L }, NULL);
        waited += TEST_POLL_MS;
    }
    assert_int_equal (s_redis_get_number (fixture, "rebuild-wait:rebuild"), epoch);
    /* What the owners would leave after their reset and replay; partition
       2 went past its head (an event logged after the request). */
    for (uint32_t partition = 0; partition < TEST_PARTITIONS; partition++) {
        s_partition_set (fixture, service, partition, "checkpoint",
                         heads[partition] + (partition == 2 ? 1 : 0));
        s_partition_set (fixture, service, partition, "epoch", epoch);
    }
    int status = s_salesctl_finish (fixture, pid);
    assert_int_equal (status, 0);
    char line[TEST_TEXT_SIZE], expected[TEST_TEXT_SIZE];
    snprintf (expected, sizeof expected, "rebuild of \"%s\" requested: epoch %lld", service,
              (long long) epoch);
    assert_true (s_line (fixture->output, 0, line, sizeof line));
    assert_string_equal (line, expected);
    /* stdout is a file: no progress lines, just the result. */
    assert_int_equal (s_line_count (fixture->output), 2);
    assert_true (s_line (fixture->output, 1, line, sizeof line));
    snprintf (expected, sizeof expected, "rebuild of \"%s\" done: %d partitions at epoch %lld",
              service, TEST_PARTITIONS, (long long) epoch);
    assert_non_null (strstr (line, expected));
}

/* --wait fails after --timeout when a partition has not caught up with
   its head, or has not been reset for the new epoch at all. */
static void
test_rebuild_wait_times_out (void **state)
{
    s_fixture_t *fixture = *state;
    const char *service = "rebuild-late";
    const int64_t heads[TEST_PARTITIONS] = { 4, 4, 4, 4 };
    s_set_heads (fixture, heads);
    int64_t epoch = s_redis_get_number (fixture, "rebuild-late:rebuild") + 1;
    /* Every partition already rebuilt for the coming epoch but partition
       2, one event short of its head. */
    for (uint32_t partition = 0; partition < TEST_PARTITIONS; partition++) {
        s_partition_set (fixture, service, partition, "checkpoint",
                         heads[partition] - (partition == 2 ? 1 : 0));
        s_partition_set (fixture, service, partition, "epoch", epoch);
    }
    int status = s_salesctl (
        fixture, (const char *const[]){ "rebuild", service, "--wait", "--timeout", "1", NULL });
    assert_int_equal (status, 1);
    assert_non_null (
        strstr (fixture->errors, "rebuild of \"rebuild-late\" not finished after 1 s"));
    assert_non_null (strstr (fixture->errors, "3 of 4 partitions done"));
    assert_non_null (strstr (fixture->errors, "partition 2 is at epoch"));

    /* The next request raises the epoch past the keys: nothing is done. */
    status = s_salesctl (fixture, (const char *const[]){ "rebuild", service, "--wait", "--timeout",
                                                         "1", "--json", NULL });
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->errors, "0 of 4 partitions done"));
    json_error_t parse_error;
    json_t *result = json_loads (fixture->output, 0, &parse_error);
    assert_non_null (result);
    assert_int_equal (json_integer_value (json_object_get (result, "epoch")), epoch + 1);
    assert_true (json_is_false (json_object_get (result, "rebuilt")));
    json_decref (result);
}

/* ---------------------------------------------------------------- status */

/* The JSON object of service in a status document (borrowed), or NULL. */
static json_t *
s_status_service (json_t *document, const char *service)
{
    json_t *services = json_object_get (document, "services");
    size_t index;
    json_t *entry;
    json_array_foreach (services, index, entry)
    {
        if (strcmp (json_string_value (json_object_get (entry, "service")), service) == 0)
            return entry;
    }
    return NULL;
}

/* Checks one partition row: owner (NULL: null), checkpoint and lag (< 0:
   null), head. */
static void
s_check_partition (json_t *partitions, size_t partition, const char *owner, int64_t checkpoint,
                   int64_t head, int64_t lag)
{
    json_t *row = json_array_get (partitions, partition);
    assert_non_null (row);
    assert_int_equal (json_integer_value (json_object_get (row, "partition")), partition);
    if (owner)
        assert_string_equal (json_string_value (json_object_get (row, "owner")), owner);
    else
        assert_true (json_is_null (json_object_get (row, "owner")));
    if (checkpoint >= 0)
        assert_int_equal (json_integer_value (json_object_get (row, "checkpoint")), checkpoint);
    else
        assert_true (json_is_null (json_object_get (row, "checkpoint")));
    assert_int_equal (json_integer_value (json_object_get (row, "head")), head);
    if (lag >= 0)
        assert_int_equal (json_integer_value (json_object_get (row, "lag")), lag);
    else
        assert_true (json_is_null (json_object_get (row, "lag")));
}

/* Live members only, with their status JSON; owner, checkpoint, head and
   lag of every partition; compact ranges in the human form. */
static void
test_status_shows_instances_and_partitions (void **state)
{
    s_fixture_t *fixture = *state;
    const char *service = "status-svc";
    const int64_t heads[TEST_PARTITIONS] = { 10, 5, 4, 0 };
    s_set_heads (fixture, heads);

    int64_t now = s_redis_now_ms (fixture);
    char live[TEST_TEXT_SIZE], dead[TEST_TEXT_SIZE];
    snprintf (live, sizeof live, "%lld", (long long) (now + TEST_MEMBER_TTL_MS));
    snprintf (dead, sizeof dead, "%lld", (long long) (now - TEST_MEMBER_EXPIRED_MS));
    sp_redis_reply_t *reply = s_redis (fixture, 6,
                                       (const char *[]){ "ZADD", "status-svc:{status-svc}:members",
                                                         live, "inst-a", dead, "inst-dead" });
    sp_redis_reply_destroy (&reply);
    reply = s_redis (fixture, 3, (const char *[]){ "SADD", "salespulse:services", service });
    sp_redis_reply_destroy (&reply);
    s_redis_set (fixture, "status-svc:{status-svc}:instance:inst-a",
                 "{\"instance\":\"inst-a\",\"service\":\"status-svc\",\"host\":\"h\",\"pid\":7,"
                 "\"applied\":15,\"applied_per_second\":12.5,\"partitions\":[]}");
    s_redis_set (fixture, "status-svc:{status-svc}:instance:inst-dead",
                 "{\"instance\":\"inst-dead\"}");
    s_redis_set (fixture, "status-svc:{p0}:lease", "inst-a/3");
    s_redis_set (fixture, "status-svc:{p1}:lease", "inst-a/4");
    s_partition_set (fixture, service, 0, "checkpoint", 7);
    s_partition_set (fixture, service, 1, "checkpoint", 5);
    s_partition_set (fixture, service, 2, "checkpoint", 2);

    int status = s_salesctl (fixture, (const char *const[]){ "status", "--json", NULL });
    assert_int_equal (status, 0);
    json_error_t parse_error;
    json_t *document = json_loads (fixture->output, 0, &parse_error);
    assert_non_null (document);
    json_t *entry = s_status_service (document, service);
    assert_non_null (entry);
    json_t *instances = json_object_get (entry, "instances");
    assert_int_equal (json_array_size (instances), 1);
    json_t *instance = json_array_get (instances, 0);
    assert_string_equal (json_string_value (json_object_get (instance, "instance")), "inst-a");
    assert_int_equal (json_integer_value (json_object_get (instance, "pid")), 7);
    assert_true (json_real_value (json_object_get (instance, "applied_per_second")) == 12.5);
    json_t *partitions = json_object_get (entry, "partitions");
    assert_int_equal (json_array_size (partitions), TEST_PARTITIONS);
    s_check_partition (partitions, 0, "inst-a/3", 7, 10, 3);
    s_check_partition (partitions, 1, "inst-a/4", 5, 5, 0);
    s_check_partition (partitions, 2, NULL, 2, 4, 2);
    s_check_partition (partitions, 3, NULL, -1, 0, -1);
    json_decref (document);

    /* Human form for the one service: the instance owns 0-1 with lag 3. */
    status = s_salesctl (fixture, (const char *const[]){ "status", "--service", service, NULL });
    assert_int_equal (status, 0);
    assert_non_null (strstr (fixture->output, "service \"status-svc\": 1 live instance, 2 of 4 "
                                              "partitions leased"));
    assert_null (strstr (fixture->output, "inst-dead"));
    char line[TEST_TEXT_SIZE];
    bool found = false;
    for (size_t index = 0; s_line (fixture->output, index, line, sizeof line); index++)
        if (strncmp (line, "inst-a ", strlen ("inst-a ")) == 0) {
            char ranges[TEST_TEXT_SIZE], rate[TEST_TEXT_SIZE], id[TEST_TEXT_SIZE];
            long long lag = -1;
            assert_int_equal (sscanf (line, "%1023s %1023s %lld %1023s", id, ranges, &lag, rate),
                              4);
            assert_string_equal (ranges, "0-1");
            assert_int_equal (lag, 3);
            assert_string_equal (rate, "12.5");
            found = true;
        }
    assert_true (found);
}

/* Values the consumer never writes: a checkpoint that is not a sequence
   is shown as missing with a warning, a lease of another type as no
   owner, a service name no lease could write is skipped with a warning;
   a member set of another type fails the command. */
static void
test_status_shows_odd_values (void **state)
{
    s_fixture_t *fixture = *state;
    const char *service = "status-odd";
    const int64_t heads[TEST_PARTITIONS] = { 3, 3, 3, 3 };
    s_set_heads (fixture, heads);
    sp_redis_reply_t *reply = s_redis (
        fixture, 4, (const char *[]){ "SADD", "salespulse:services", service, "Bad Name" });
    sp_redis_reply_destroy (&reply);
    s_redis_set (fixture, "status-odd:{p0}:checkpoint", "abc");
    reply = s_redis (fixture, 3, (const char *[]){ "RPUSH", "status-odd:{p1}:lease", "x" });
    sp_redis_reply_destroy (&reply);
    s_partition_set (fixture, service, 1, "checkpoint", 2);

    int status = s_salesctl (fixture, (const char *const[]){ "status", "--json", NULL });
    assert_int_equal (status, 0);
    assert_non_null (strstr (fixture->errors, "invalid service name \"Bad Name\""));
    assert_non_null (strstr (fixture->errors, "the checkpoint of \"status-odd\" partition 0 is "
                                              "not a sequence; shown as missing"));
    json_error_t parse_error;
    json_t *document = json_loads (fixture->output, 0, &parse_error);
    assert_non_null (document);
    assert_null (s_status_service (document, "Bad Name"));
    json_t *entry = s_status_service (document, service);
    assert_non_null (entry);
    assert_int_equal (json_array_size (json_object_get (entry, "instances")), 0);
    json_t *partitions = json_object_get (entry, "partitions");
    s_check_partition (partitions, 0, NULL, -1, 3, -1);
    s_check_partition (partitions, 1, NULL, 2, 3, 1);
    json_decref (document);

    /* The member set of another type: exit 1, naming the key. */
    s_redis_set (fixture, "status-odd:{status-odd}:members", "not a sorted set");
    status = s_salesctl (fixture, (const char *const[]){ "status", "--service", service, NULL });
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->errors,
                             "salesctl status: could not read redis for "
                             "\"status-odd\": key \"status-odd:{status-odd}:members\" is "
                             "not a sorted set"));

    reply = s_redis (fixture, 4,
                     (const char *[]){ "SREM", "salespulse:services", service, "Bad Name" });
    sp_redis_reply_destroy (&reply);
}

/* --wait reports an epoch that is not a number at its timeout. */
static void
test_rebuild_wait_reports_unreadable_epoch (void **state)
{
    s_fixture_t *fixture = *state;
    const char *service = "rebuild-odd";
    const int64_t heads[TEST_PARTITIONS] = { 1, 1, 1, 1 };
    s_set_heads (fixture, heads);
    s_redis_set (fixture, "rebuild-odd:{p2}:epoch", "two");
    int status = s_salesctl (
        fixture, (const char *const[]){ "rebuild", service, "--wait", "--timeout", "1", NULL });
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->errors, "rebuild of \"rebuild-odd\" not finished after 1 s: "
                                              "could not read the partitions: the epoch of "
                                              "partition 2 is not a number"));
}

/* An unreachable Redis is an error naming Redis, exit status 1. */
static void
test_status_redis_unreachable (void **state)
{
    s_fixture_t *fixture = *state;
    int port = sp_harness_free_port ();
    assert_true (port > 0);
    char url[TEST_TEXT_SIZE];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0", port);
    int status = s_salesctl_finish (
        fixture, s_salesctl_start (fixture, (const char *const[]){ "status", NULL }, url));
    assert_int_equal (status, 1);
    assert_string_equal (fixture->output, "");
    assert_non_null (strstr (fixture->errors, "salesctl status: could not connect to redis"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_quarantine_lists_rows),
        cmocka_unit_test (test_rebuild_raises_epoch),
        cmocka_unit_test (test_rebuild_refuses_bad_service),
        cmocka_unit_test (test_rebuild_wait_until_rebuilt),
        cmocka_unit_test (test_rebuild_wait_times_out),
        cmocka_unit_test (test_status_shows_instances_and_partitions),
        cmocka_unit_test (test_status_shows_odd_values),
        cmocka_unit_test (test_rebuild_wait_reports_unreadable_epoch),
        cmocka_unit_test (test_status_redis_unreachable),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
