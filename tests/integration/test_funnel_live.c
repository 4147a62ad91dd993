/*  test_funnel_live - a new funnel version reaches running funnel-tracker
    instances without a restart (docs/reference-data.md).

    Two funnel-tracker instances share the partitions while events are
    published through the real activity-ingest. Version 1 of funnel
    "live" (lead, visit, demo, won, lost) is loaded before they start;
    version 2 (lead, demo, won, lost) is loaded with `salesctl load` while
    the events are still being published. With the periodic check set
    to ten minutes, only the PostgreSQL notification can bring it: both
    instances must report revision 2 and version 2 in their status within
    seconds, with the same PIDs (no restart), and once caught up the
    figures must equal those of a fresh `salesctl rebuild` under version 2
    and the counts written by hand from the plan.

    Then a notification is lost: the listening session of the remaining
    instance is cut (pg_terminate_backend) and version 3 is written the
    way a load whose NOTIFY never arrived looks (the row alone): the
    periodic check (one second here) or the reconnect must still bring
    it to the new revision.

    Last, an instance that missed version 4 (no notification, ten-minute
    check) takes over the partitions the other instance rebuilt under it:
    finding them stamped newer, it must look for the new version at once.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "sp_consumer_state.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_pg.h"
#include "sp_harness_redis.h"

#define PARTITIONS 4
#define TIMEOUT_MS 60000
#define CHANGE_TIMEOUT_MS 10000 /* "within seconds" */
#define OUTPUT_SIZE 65536
#define PATH_SIZE 4096
#define OPPORTUNITIES 400
#define INSTANCES 2
/* 2026-11-02T00:00:00Z */
#define T0 INT64_C (1793577600000)
#define HOUR_MS INT64_C (3600000)
#define DAY_MS (24 * HOUR_MS)

static const char s_version_1[] =
    "{\"name\":\"live\",\"window_days\":90,\"steps\":["
    "{\"name\":\"lead\",\"event\":\"lead_created\",\"probability\":0.1},"
    "{\"name\":\"visit\",\"event\":\"visit_completed\",\"probability\":0.2},"
    "{\"name\":\"demo\",\"event\":\"demo\",\"probability\":0.4},"
    "{\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"won\",\"probability\":1},"
    "{\"name\":\"lost\",\"event\":\"deal_lost\",\"outcome\":\"lost\",\"probability\":0}]}";
static const char s_version_2[] =
    "{\"name\":\"live\",\"window_days\":90,\"steps\":["
    "{\"name\":\"lead\",\"event\":\"lead_created\",\"probability\":0.1},"
    "{\"name\":\"demo\",\"event\":\"demo\",\"probability\":0.5},"
    "{\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"won\",\"probability\":1},"
    "{\"name\":\"lost\",\"event\":\"deal_lost\",\"outcome\":\"lost\",\"probability\":0}]}";
static const char s_version_3[] =
    "{\"name\":\"live\",\"entity\":\"opportunity_id\",\"window_days\":90,\"mode\":\"pipeline\","
    "\"steps\":[{\"name\":\"lead\",\"event\":\"lead_created\",\"probability\":0.1},"
    "{\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"won\",\"probability\":1},"
    "{\"name\":\"lost\",\"event\":\"deal_lost\",\"outcome\":\"lost\",\"probability\":0}]}";
static const char s_version_4[] =
    "{\"name\":\"live\",\"entity\":\"opportunity_id\",\"window_days\":90,\"mode\":\"pipeline\","
    "\"steps\":[{\"name\":\"lead\",\"event\":\"lead_created\",\"probability\":0.1},"
    "{\"name\":\"visit\",\"event\":\"visit_completed\",\"probability\":0.2},"
    "{\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"won\",\"probability\":1},"
    "{\"name\":\"lost\",\"event\":\"deal_lost\",\"outcome\":\"lost\",\"probability\":0}]}";

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t trackers[INSTANCES];
    int http_ports[INSTANCES];
    char logs[INSTANCES][PATH_SIZE];
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
             "{\"event_id\": \"live:%s:%d\", \"source\": \"crm\", \"type\": \"%s\", "
             "\"occurred_at\": \"%s\", \"rep_id\": \"rep-%d\", \"team_id\": \"north\", "
             "\"region_id\": \"emea\", \"customer_id\": \"customer-%d\", "
             "\"opportunity_id\": \"opp-%d\"%s}\n",
             type, opportunity, type, when, opportunity % 7, opportunity, opportunity, extra);
}

/* The plan: every opportunity has a lead; even ones a visit; multiples
   of 3 a demo; multiples of 4 are won, of 5 (not of 4) lost. */
static void
s_write_events (const char *path)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    for (int i = 0; i < OPPORTUNITIES; i++) {
        int64_t lead = T0 + i * HOUR_MS;
        s_event (file, "lead_created", i, lead,
                 ", \"currency\": \"USD\", \"estimated_value\": \"500.00\"");
        if (i % 2 == 0)
            s_event (file, "visit_completed", i, lead + DAY_MS, ", \"duration_minutes\": 30");
        if (i % 3 == 0)
            s_event (file, "demo", i, lead + 2 * DAY_MS, "");
        if (i % 4 == 0)
            s_event (file, "deal_won", i, lead + 5 * DAY_MS,
                     ", \"currency\": \"USD\", \"amount\": \"1200.00\"");
        else if (i % 5 == 0)
            s_event (file, "deal_lost", i, lead + 6 * DAY_MS, ", \"reason\": \"price\"");
    }
    fclose (file);
}

static void
s_write (const char *name, const char *text, char *path, size_t size)
{
    snprintf (path, size, "%s/%s", sp_harness_dir (s_fixture.stack->harness), name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}

/* Runs salesctl; returns its exit status, stdout in output. */
static int
s_salesctl (const char *const *arguments, char *output, size_t size)
{
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (s_fixture.stack->harness));
    return sp_harness_salesctl (s_fixture.stack->harness, arguments, errors, output, size,
                                TIMEOUT_MS);
}

static json_t *
s_salesctl_json (const char *const *arguments)
{
    char output[OUTPUT_SIZE];
    if (s_salesctl (arguments, output, sizeof output) != 0)
        return NULL;
    return json_loads (output, JSON_DISABLE_EOF_CHECK, NULL);
}

static pid_t
s_start_tracker (int index, int check_ms)
{
    char notices[160], check[64];
    char endpoint[SP_HARNESS_CONSUMER_ENDPOINT_SIZE];
    assert_int_equal (sp_harness_free_endpoint (endpoint, sizeof endpoint), 0);
    s_fixture.http_ports[index] = sp_harness_free_port ();
    snprintf (notices, sizeof notices, "SP_FUNNEL_NOTICES_ENDPOINT=%s", endpoint);
    snprintf (check, sizeof check, "SP_DEFINITIONS_CHECK_MS=%d", check_ms);
    snprintf (s_fixture.logs[index], sizeof s_fixture.logs[index], "%s/funnel-tracker-%d.log",
              sp_harness_dir (s_fixture.stack->harness), index);
    pid_t pid = sp_harness_consumer_service (
        s_fixture.stack->harness, "funnel-tracker", s_fixture.stack->bus,
        s_fixture.http_ports[index], PARTITIONS,
        (const char *[]){ notices, check, "SP_TIME_ZONE=UTC", "SP_FUNNEL_CURRENCY=USD",
                          "SP_CONSUMER_POLL_MS=100", "SP_CONSUMER_LEASE_TTL_MS=3000", NULL },
        NULL, s_fixture.logs[index], TIMEOUT_MS);
    assert_true (pid > 0);
    return pid;
}

/* Instances of funnel-tracker whose status says revision and "live"
   version; *live gets how many instances are live. */
static size_t
s_instances_at (int64_t revision, int64_t version, size_t *live)
{
    sp_consumer_state_t *state = sp_consumer_state_new ("funnel-tracker", PARTITIONS);
    assert_non_null (state);
    sp_consumer_state_instances_t instances = { NULL, 0 };
    char error[512];
    assert_int_equal (sp_consumer_state_read_instances (state, s_fixture.stack->redis, &instances,
                                                        error, sizeof error),
                      0);
    size_t matching = 0;
    for (size_t index = 0; index < instances.count; index++) {
        json_t *status = instances.items[index].status
                             ? json_loads (instances.items[index].status, 0, NULL)
                             : NULL;
        json_t *funnels = json_object_get (json_object_get (status, "definitions"), "funnel");
        if (json_integer_value (json_object_get (status, "revision")) == revision &&
            json_integer_value (json_object_get (funnels, "live")) == version)
            matching++;
        json_decref (status);
    }
    *live = instances.count;
    sp_consumer_state_instances_clear (&instances);
    sp_consumer_state_destroy (&state);
    return matching;
}

/* Prints the instances' logs (on a failure, to see why). */
static void
s_print_logs (void)
{
    for (int index = 0; index < INSTANCES; index++) {
        FILE *file = fopen (s_fixture.logs[index], "r");
        if (!file)
            continue;
        fprintf (stderr, "---- %s\n", s_fixture.logs[index]);
        char line[1024];
        while (fgets (line, sizeof line, file))
            if (!strstr (line, "level=debug"))
                fputs (line, stderr);
        fclose (file);
    }
}

/* Waits until count live instances all report revision and version. */
static void
s_wait_instances_at (int64_t revision, int64_t version, size_t count, int timeout_ms)
{
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    size_t live = 0, matching = 0;
    while (sp_harness_now_ms () < deadline) {
        matching = s_instances_at (revision, version, &live);
        if (matching == count && live == count)
            return;
        sp_harness_pause_ms (50);
    }
    s_print_logs ();
    fail_msg ("%zu of %zu instances report revision %lld, version %lld of \"live\"", matching, live,
              (long long) revision, (long long) version);
}

/* Waits until every partition is stamped with revision and has applied
   the whole log. */
static void
s_wait_settled (int64_t revision)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    char revision_text[32];
    snprintf (revision_text, sizeof revision_text, "%lld", (long long) revision);
    while (sp_harness_now_ms () < deadline) {
        sp_consumer_state_t *state = sp_consumer_state_new ("funnel-tracker", PARTITIONS);
        uint64_t checkpoints[PARTITIONS];
        char error[512];
        assert_int_equal (sp_consumer_state_read_checkpoints (state, s_fixture.stack->redis,
                                                              checkpoints, NULL, error,
                                                              sizeof error),
                          0);
        sp_consumer_state_destroy (&state);
        bool settled = true;
        for (uint32_t partition = 0; partition < PARTITIONS && settled; partition++) {
            char sql[256], key[128];
            snprintf (sql, sizeof sql,
                      "SELECT head_sequence FROM event_partitions WHERE partition = %u", partition);
            int64_t head = sp_harness_pg_count (s_fixture.stack->pg, sql);
            snprintf (key, sizeof key, "funnel-tracker:{p%u}:revision", partition);
            settled = (int64_t) checkpoints[partition] == head &&
                      sp_harness_redis_value_is (s_fixture.stack->redis, key, revision_text);
        }
        if (settled)
            return;
        sp_harness_pause_ms (100);
    }
    s_print_logs ();
    fail_msg ("funnel-tracker did not settle at revision %lld", (long long) revision);
}

static json_int_t
s_reached (json_t *report, const char *step)
{
    size_t index;
    json_t *item;
    json_array_foreach (json_object_get (report, "steps"), index, item)
    {
        if (strcmp (json_string_value (json_object_get (item, "name")), step) == 0)
            return json_integer_value (json_object_get (item, "reached"));
    }
    return -1;
}

static json_t *
s_company (void)
{
    json_t *report = s_salesctl_json ((const char *[]){
        "funnel", "--funnel", "live", "--scope", "company", "--period", "all", "--json", NULL });
    assert_non_null (report);
    return report;
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack = sp_harness_consumer_stack_new ("test_funnel_live", PARTITIONS, 0, TIMEOUT_MS);
    return s_fixture.stack ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    for (int index = 0; index < INSTANCES; index++)
        if (s_fixture.trackers[index] > 0)
            sp_harness_stop (s_fixture.trackers[index], TIMEOUT_MS);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

/* Version 2 loaded during a live replay reaches both instances through
   NOTIFY, and the figures equal a fresh rebuild under it. */
static void
test_new_version_reaches_running_instances (void **state)
{
    (void) state;
    char path[PATH_SIZE], output[OUTPUT_SIZE];
    s_write ("live-1.json", s_version_1, path, sizeof path);
    assert_int_equal (
        s_salesctl ((const char *[]){ "load", "funnel", path, NULL }, output, sizeof output), 0);
    assert_string_equal (output, "funnel \"live\" loaded: version 1 (revision 1)\n");
    for (int index = 0; index < INSTANCES; index++)
        s_fixture.trackers[index] = s_start_tracker (index, 600000);
    s_wait_instances_at (1, 1, INSTANCES, TIMEOUT_MS);

    char events[PATH_SIZE];
    snprintf (events, sizeof events, "%s/events.jsonl", sp_harness_dir (s_fixture.stack->harness));
    s_write_events (events);
    char program[PATH_SIZE], errors[PATH_SIZE], out[PATH_SIZE];
    sp_harness_program ("salesctl", program, sizeof program);
    snprintf (errors, sizeof errors, "%s/publish.err", sp_harness_dir (s_fixture.stack->harness));
    snprintf (out, sizeof out, "%s/publish.out", sp_harness_dir (s_fixture.stack->harness));
    sp_harness_spawn_options_t options = {
        .arguments = (const char *[]){ "publish", events, "--endpoint", s_fixture.stack->endpoint,
                                       "--batch", "20", NULL },
        .stdout_path = out,
        .stderr_path = errors,
    };
    pid_t publisher = sp_harness_spawn_with (s_fixture.stack->harness, program, &options);
    assert_true (publisher > 0);
    /* Load version 2 while events are being applied under version 1. */
    while (sp_harness_pg_count (s_fixture.stack->pg, "SELECT count(*) FROM events") < 100)
        sp_harness_pause_ms (5);
    s_write ("live-2.json", s_version_2, path, sizeof path);
    int64_t loaded_at = sp_harness_now_ms ();
    assert_int_equal (
        s_salesctl ((const char *[]){ "load", "funnel", path, NULL }, output, sizeof output), 0);
    assert_string_equal (output, "funnel \"live\" loaded: version 2 (revision 2)\n");
    s_wait_instances_at (2, 2, INSTANCES, CHANGE_TIMEOUT_MS);
    print_message ("both instances took version 2 in %lld ms\n",
                   (long long) (sp_harness_now_ms () - loaded_at));
    assert_int_equal (sp_harness_wait_exit (publisher, TIMEOUT_MS), 0);
    s_wait_settled (2);

    /* The same processes: no restart. */
    for (int index = 0; index < INSTANCES; index++) {
        assert_int_equal (kill (s_fixture.trackers[index], 0), 0);
        assert_true (
            sp_harness_log_contains (s_fixture.logs[index], "counting new funnel definitions"));
    }
    json_t *live = s_company ();
    assert_int_equal (json_integer_value (json_object_get (live, "version")), 2);
    /* From the plan: 400 leads; demo reached by the 134 multiples of 3
       and, in pipeline mode, by every won deal (a later step) too: 134 +
       100 - 34 multiples of 12 = 200; 100 won (multiples of 4), 60 lost
       (multiples of 5 but not of 4). */
    assert_int_equal (s_reached (live, "lead"), OPPORTUNITIES);
    assert_int_equal (s_reached (live, "visit"), -1);
    assert_int_equal (s_reached (live, "demo"), 200);
    assert_int_equal (
        json_integer_value (json_object_get (json_object_get (live, "outcome"), "won")), 100);
    assert_int_equal (
        json_integer_value (json_object_get (json_object_get (live, "outcome"), "lost")), 60);

    /* A fresh rebuild under version 2 gives the same figures. */
    assert_int_equal (s_salesctl ((const char *[]){ "rebuild", "funnel-tracker", "--wait", NULL },
                                  output, sizeof output),
                      0);
    json_t *rebuilt = s_company ();
    char *live_text = json_dumps (live, JSON_SORT_KEYS);
    char *rebuilt_text = json_dumps (rebuilt, JSON_SORT_KEYS);
    assert_string_equal (live_text, rebuilt_text);
    free (live_text);
    free (rebuilt_text);
    json_decref (live);
    json_decref (rebuilt);

    /* salesctl definitions: version 2 in use by both. */
    json_t *definitions =
        s_salesctl_json ((const char *[]){ "definitions", "funnel", "--json", NULL });
    assert_non_null (definitions);
    json_t *row = json_array_get (json_object_get (definitions, "definitions"), 0);
    assert_string_equal (json_string_value (json_object_get (row, "name")), "live");
    assert_int_equal (json_integer_value (json_object_get (row, "version")), 2);
    assert_int_equal (json_integer_value (json_object_get (row, "instances")), INSTANCES);
    assert_int_equal (json_integer_value (json_object_get (row, "using")), INSTANCES);
    json_decref (definitions);
}

/* Stores a version of "live" the way a load whose notification never
   arrived looks: the row, no NOTIFY. Only "live" is ever loaded here,
   so its version and the revision are the same number. */
static void
s_insert_silently (int64_t version, const char *document)
{
    char version_text[32];
    snprintf (version_text, sizeof version_text, "%lld", (long long) version);
    sp_pg_result_t *result = sp_pg_exec (
        s_fixture.stack->pg,
        "INSERT INTO reference_data (kind, name, version, document, content_hash, loaded_by) "
        "VALUES ('funnel', 'live', $1, $2, sha256(convert_to($2, 'UTF8')), 'test') "
        "RETURNING revision",
        2, (const char *[]){ version_text, document }, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    assert_string_equal (sp_pg_result_value (result, 0, 0), version_text);
    sp_pg_result_destroy (&result);
}

/* True when some partition's state is stamped with revision. */
static bool
s_some_partition_at (int64_t revision)
{
    char revision_text[32], key[128];
    snprintf (revision_text, sizeof revision_text, "%lld", (long long) revision);
    for (uint32_t partition = 0; partition < PARTITIONS; partition++) {
        snprintf (key, sizeof key, "funnel-tracker:{p%u}:revision", partition);
        if (sp_harness_redis_value_is (s_fixture.stack->redis, key, revision_text))
            return true;
    }
    return false;
}

/* A notification lost while the instance's session was cut: the
   periodic check (and the reconnect) still bring version 3. */
static void
test_lost_notification_is_caught_up (void **state)
{
    (void) state;
    /* One instance left, checking every second. */
    assert_int_equal (sp_harness_stop (s_fixture.trackers[1], TIMEOUT_MS), 0);
    s_fixture.trackers[1] = 0;
    assert_int_equal (sp_harness_stop (s_fixture.trackers[0], TIMEOUT_MS), 0);
    s_fixture.trackers[0] = s_start_tracker (0, 1000);
    s_wait_instances_at (2, 2, 1, TIMEOUT_MS);

    /* Cut the listening session (once it is there: the status can show
       the revision a moment before the watcher has connected), then
       store version 3 as a load whose notification never arrived: the
       row, no NOTIFY. */
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (sp_harness_pg_count (s_fixture.stack->pg,
                                "SELECT count(*) FROM pg_stat_activity "
                                "WHERE application_name = 'funnel-tracker definitions'") < 1 &&
           sp_harness_now_ms () < deadline)
        sp_harness_pause_ms (20);
    assert_true (
        sp_harness_pg_count (s_fixture.stack->pg,
                             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE application_name = 'funnel-tracker definitions'") >= 1);
    s_insert_silently (3, s_version_3);
    s_wait_instances_at (3, 3, 1, CHANGE_TIMEOUT_MS);
    s_wait_settled (3);
    json_t *report = s_company ();
    assert_int_equal (json_integer_value (json_object_get (report, "version")), 3);
    assert_int_equal (s_reached (report, "demo"), -1);
    assert_int_equal (s_reached (report, "lead"), OPPORTUNITIES);
    json_decref (report);
}

/* An instance that missed a version (no notification, ten-minute check)
   takes over partitions another instance built under it: it finds them
   stamped newer than its revision and looks for the new version at once
   (sp_consumer_on_behind, sp_refdata_watch_behind), not ten minutes later. */
static void
test_behind_instance_takes_newer_version_at_once (void **state)
{
    (void) state;
    /* Instance 0 checks every second (from the test before); instance 1
       every ten minutes. */
    s_fixture.trackers[1] = s_start_tracker (1, 600000);
    s_wait_instances_at (3, 3, INSTANCES, TIMEOUT_MS);
    /* its watch has listened and read once: version 4 is not taken at
       start-up by that first read */
    char body[OUTPUT_SIZE];
    assert_int_equal (
        sp_harness_wait_http (s_fixture.trackers[1], s_fixture.http_ports[1], "/metrics",
                              "salespulse_reference_data_checks_total{trigger=\"reconnect\"} 1",
                              body, sizeof body, TIMEOUT_MS),
        0);
    /* the partitions shared as planned (p mod 2): until then instance 0
       may hand instance 1 a partition it already stamped 4 */
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while ((sp_harness_consumer_metric (s_fixture.http_ports[0],
                                        "salespulse_consumer_partition_owned") !=
                PARTITIONS / INSTANCES ||
            sp_harness_consumer_metric (s_fixture.http_ports[1],
                                        "salespulse_consumer_partition_owned") !=
                PARTITIONS / INSTANCES) &&
           sp_harness_now_ms () < deadline)
        sp_harness_pause_ms (50);
    assert_int_equal (sp_harness_consumer_metric (s_fixture.http_ports[1],
                                                  "salespulse_consumer_partition_owned"),
                      PARTITIONS / INSTANCES);

    s_insert_silently (4, s_version_4);
    deadline = sp_harness_now_ms () + TIMEOUT_MS;
    size_t live = 0;
    while ((s_instances_at (4, 4, &live) != 1 || !s_some_partition_at (4)) &&
           sp_harness_now_ms () < deadline)
        sp_harness_pause_ms (50);
    if (s_instances_at (4, 4, &live) != 1 || !s_some_partition_at (4))
        s_print_logs ();
    assert_int_equal (s_instances_at (4, 4, &live), 1);
    assert_true (s_some_partition_at (4));
    /* instance 1 has not seen version 4 */
    assert_int_equal (s_instances_at (3, 3, &live), 1);
    assert_int_equal (live, INSTANCES);

    /* Instance 0 goes; instance 1 takes its partitions, stamped 4. */
    assert_int_equal (sp_harness_stop (s_fixture.trackers[0], TIMEOUT_MS), 0);
    s_fixture.trackers[0] = 0;
    int64_t stopped_at = sp_harness_now_ms ();
    s_wait_instances_at (4, 4, 1, CHANGE_TIMEOUT_MS);
    print_message ("the remaining instance took version 4 %lld ms after the other stopped\n",
                   (long long) (sp_harness_now_ms () - stopped_at));
    assert_true (sp_harness_log_contains (s_fixture.logs[1],
                                          "partition built under newer definitions"));
    s_wait_settled (4);
    json_t *report = s_company ();
    assert_int_equal (json_integer_value (json_object_get (report, "version")), 4);
    /* visits: the 200 even opportunities (every won one is even too) */
    assert_int_equal (s_reached (report, "lead"), OPPORTUNITIES);
    assert_int_equal (s_reached (report, "visit"), 200);
    assert_int_equal (s_reached (report, "demo"), -1);
    json_decref (report);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_version_reaches_running_instances),
        cmocka_unit_test (test_lost_notification_is_caught_up),
        cmocka_unit_test (test_behind_instance_takes_newer_version_at_once),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
