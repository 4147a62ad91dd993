/*  test_funnel_e2e - funnel-tracker end to end: events published through
    the real activity-ingest (salesctl publish), applied by the real
    funnel-tracker, read back with `salesctl funnel` and `salesctl
    pipeline`, and bottleneck notices received by a subscriber on the
    service's PUB socket.

    The events are 30 opportunities of the built-in default funnel (no
    funnel is loaded, so the service counts with the shipped default),
    published in an order that puts outcomes before leads and the stages
    of each opportunity backwards: the results must equal what in-order
    delivery gives, which is computed here by hand from the plan. Only 2
    of 30 leads are won at first, below the default funnel's target (25 %
    of leads won, judged from 20), but the leads are days old: the target
    waits its maturity_days (the funnel's 90-day window) after a cohort's
    day, so nothing fires while they are young. A visit logged 100 days
    later moves the event clock on; the leads are then judged and a
    FIRING notice must reach the subscriber; 8 more wins lift it to 10/30
    and a CLEARED notice follows. A rebuild from the log must give the
    same report.

    Sequence funnels with and without strict_order count two
    opportunities' stage changes a d b c and a a b b d c c (d: a stage no
    step names), published latest first: strict_order stops at d as
    ClickHouse windowFunnel does (1 and 2 steps), without it both reach 3.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <czmq.h>
#include <math.h>
#include <jansson.h>

#include "funnel.pb-c.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"

#define PARTITIONS 4
/* Doubles compared to within epsilon (cmocka 1.1 compares floats only). */
#define assert_close(a, b, epsilon) assert_true (fabs ((double) (a) - (double) (b)) <= (epsilon))
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE 65536
#define PATH_SIZE 4096
#define OPPORTUNITIES 30
/* 2026-03-02T00:00:00Z: far enough in the past that an event 100 days
   later is not in the future, which activity-ingest refuses. */
#define T0 INT64_C (1772409600000)
#define HOUR_MS INT64_C (3600000)
#define DAY_MS (24 * HOUR_MS)

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t tracker;
    int http_port;
    char notices[SP_HARNESS_CONSUMER_ENDPOINT_SIZE];
    char log[PATH_SIZE];
    zsock_t *subscriber;
} s_fixture_t;

static s_fixture_t s_fixture;

/* Writes "YYYY-MM-DDTHH:MM:SSZ" for ms. */
static void
s_iso (int64_t ms, char *buffer, size_t size)
{
    time_t seconds = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    strftime (buffer, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Appends one event line to file. */
static void
s_event (FILE *file, const char *type, int opportunity, int64_t at, const char *extra)
{
    char when[32];
    s_iso (at, when, sizeof when);
    const char *rep = opportunity % 2 ? "rep-ana" : "rep-ben";
    fprintf (
        file,
        "{\"event_id\": \"e2e:%s:%d\", \"source\": \"crm\", \"type\": \"%s\", \"occurred_at\": "
        "\"%s\", \"rep_id\": \"%s\", \"team_id\": \"north\", \"region_id\": \"emea\", "
        "\"customer_id\": \"customer-%d\", \"opportunity_id\": \"opp-%d\"%s}\n",
        type, opportunity, type, when, rep, opportunity, opportunity, extra);
}

/* Publishes the file through activity-ingest with salesctl. */
static void
s_publish (const char *path)
{
    char output[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/publish.err", sp_harness_dir (s_fixture.stack->harness));
    int status = sp_harness_salesctl (
        s_fixture.stack->harness,
        (const char *[]){ "publish", path, "--endpoint", s_fixture.stack->endpoint, NULL }, errors,
        output, sizeof output, TIMEOUT_MS);
    if (status != 0)
        fail_msg ("salesctl publish: %d: %s", status, output);
}

/* The first plan: opportunity i has a lead at T0 + i h, a completed visit
   a day later (even i), a demo two days later (i % 3 == 0), a quote
   three days later with 1000.00 USD (i % 5 == 0) and is won on day 5
   (i = 0 and 5) with 1200.00 USD, or lost on day 6 (i = 1, 2). Written
   outcomes first and each opportunity's steps backwards. */
static void
s_write_first (const char *path)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    for (int i = 0; i < OPPORTUNITIES; i++) {
        int64_t lead = T0 + i * HOUR_MS;
        if (i == 0 || i == 5)
            s_event (file, "deal_won", i, lead + 5 * DAY_MS,
                     ", \"currency\": \"USD\", \"amount\": \"1200.00\"");
        if (i == 1 || i == 2)
            s_event (file, "deal_lost", i, lead + 6 * DAY_MS, ", \"reason\": \"price\"");
    }
    for (int i = OPPORTUNITIES - 1; i >= 0; i--) {
        int64_t lead = T0 + i * HOUR_MS;
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

/* Starts funnel-tracker on the stack and waits until it serves /metrics. */
static int
s_start_tracker (void)
{
    char notices[128];
    snprintf (notices, sizeof notices, "SP_FUNNEL_NOTICES_ENDPOINT=%s", s_fixture.notices);
    s_fixture.tracker = sp_harness_consumer_service (
        s_fixture.stack->harness, "funnel-tracker", s_fixture.stack->bus, s_fixture.http_port,
        PARTITIONS,
        (const char *[]){ notices, "SP_TIME_ZONE=UTC", "SP_FUNNEL_CURRENCY=USD",
                          "SP_FUNNEL_NOTICE_INTERVAL_MS=200", "SP_CONSUMER_POLL_MS=100", NULL },
        NULL, s_fixture.log, TIMEOUT_MS);
    return s_fixture.tracker > 0 ? 0 : -1;
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack = sp_harness_consumer_stack_new ("test_funnel_e2e", PARTITIONS, 0, TIMEOUT_MS);
    if (!s_fixture.stack)
        return -1;
    s_fixture.http_port = sp_harness_free_port ();
    if (sp_harness_free_endpoint (s_fixture.notices, sizeof s_fixture.notices) != 0)
        return -1;
    s_fixture.subscriber = zsock_new_sub (s_fixture.notices, "funnel.bottleneck.company");
    if (!s_fixture.subscriber)
        return -1;
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/funnel-tracker.log",
              sp_harness_dir (s_fixture.stack->harness));
    return s_start_tracker ();
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.tracker > 0)
        assert_int_equal (sp_harness_stop (s_fixture.tracker, TIMEOUT_MS), 0);
    zsock_destroy (&s_fixture.subscriber);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

/* Runs salesctl with arguments and returns its JSON output, parsed. */
static json_t *
s_salesctl_json (const char *const *arguments)
{
    char output[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (s_fixture.stack->harness));
    if (sp_harness_salesctl (s_fixture.stack->harness, arguments, errors, output, sizeof output,
                             TIMEOUT_MS) != 0)
        return NULL;
    /* the first JSON value: commands printing one object per line give more */
    return json_loads (output, JSON_DISABLE_EOF_CHECK, NULL);
}

static json_t *
s_funnel (const char *scope)
{
    return s_salesctl_json (
        (const char *[]){ "funnel", "--scope", scope, "--period", "all", "--json", NULL });
}

/* Waits until the company funnel shows won step "won" count won. */
static json_t *
s_wait_won (json_int_t won)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (sp_harness_now_ms () < deadline) {
        json_t *report = s_funnel ("company");
        json_t *outcome = report ? json_object_get (report, "outcome") : NULL;
        if (outcome && json_integer_value (json_object_get (outcome, "won")) == won &&
            json_integer_value (json_object_get (
                json_array_get (json_object_get (report, "steps"), 0), "reached")) == OPPORTUNITIES)
            return report;
        json_decref (report);
        sp_harness_pause_ms (100);
    }
    fail_msg ("funnel-tracker did not count %lld won deals in time", (long long) won);
    return NULL;
}

static json_int_t
s_step (json_t *report, size_t index, const char *field)
{
    return json_integer_value (
        json_object_get (json_array_get (json_object_get (report, "steps"), index), field));
}

static double
s_step_real (json_t *report, size_t index, const char *field)
{
    return json_number_value (
        json_object_get (json_array_get (json_object_get (report, "steps"), index), field));
}

/* Receives the next notice within timeout_ms. */
static Salespulse__FunnelBottleneck *
s_receive_notice (int timeout_ms)
{
    zpoller_t *poller = zpoller_new (s_fixture.subscriber, NULL);
    void *ready = zpoller_wait (poller, timeout_ms);
    zpoller_destroy (&poller);
    if (!ready)
        return NULL;
    zmsg_t *message = zmsg_recv (s_fixture.subscriber);
    assert_non_null (message);
    assert_int_equal (zmsg_size (message), 2);
    char *topic = zmsg_popstr (message);
    assert_string_equal (topic, "funnel.bottleneck.company");
    free (topic);
    zframe_t *payload = zmsg_pop (message);
    Salespulse__FunnelBottleneck *notice =
        salespulse__funnel_bottleneck__unpack (NULL, zframe_size (payload), zframe_data (payload));
    zframe_destroy (&payload);
    zmsg_destroy (&message);
    return notice;
}

static void
test_late_events_counted_as_in_order (void **state)
{
    (void) state;
    char path[PATH_SIZE];
    snprintf (path, sizeof path, "%s/first.jsonl", sp_harness_dir (s_fixture.stack->harness));
    s_write_first (path);
    s_publish (path);
    json_t *report = s_wait_won (2);
    assert_string_equal (json_string_value (json_object_get (report, "funnel")), "default");
    assert_int_equal (json_integer_value (json_object_get (report, "version")), 0);
    /* lead 30; visit: even i (15); demo: i % 3 == 0 (10) plus those passed
       by a later step: quotes at i % 5 == 0 (0, 5, 10, 15, 20, 25) pass
       visit and demo; so visit = 15 + {5, 15, 25} = 18 + i=3,9,21,27 (demo
       passes visit) = 22; demo = 10 + {5, 10, 20, 25} = 14; quote = 6;
       won = 2 (i = 0, 5); lost = 2 */
    assert_int_equal (s_step (report, 0, "reached"), 30);
    assert_int_equal (s_step (report, 1, "reached"), 22);
    assert_int_equal (s_step (report, 2, "reached"), 14);
    assert_int_equal (s_step (report, 3, "reached"), 6);
    assert_int_equal (s_step (report, 4, "reached"), 2);
    assert_int_equal (s_step (report, 5, "reached"), 2);
    assert_int_equal (s_step (report, 0, "drop_off"), 8);
    assert_close (s_step_real (report, 1, "step_conversion"), 22.0 / 30.0, 1e-12);
    assert_close (s_step_real (report, 4, "overall_conversion"), 2.0 / 30.0, 1e-12);
    json_t *outcome = json_object_get (report, "outcome");
    assert_close (json_number_value (json_object_get (outcome, "win_rate")), 0.5, 1e-12);
    json_t *amount = json_object_get (outcome, "won_amount");
    assert_int_equal (json_integer_value (json_object_get (amount, "sum")), 240000);
    assert_close (json_number_value (json_object_get (amount, "median")), 120000.0, 1e-9);
    json_t *cycle = json_object_get (outcome, "sales_cycle");
    assert_close (json_number_value (json_object_get (cycle, "median_days")), 5.0, 1e-9);
    /* time from quote to won: two days for both */
    json_t *time = json_object_get (json_array_get (json_object_get (report, "steps"), 4),
                                    "time_from_previous");
    assert_close (json_number_value (json_object_get (time, "median_ms")), (double) (2 * DAY_MS),
                  1e-6);
    json_decref (report);

    /* reps: ana has the odd opportunities */
    report = s_funnel ("rep:rep-ana");
    assert_non_null (report);
    assert_int_equal (s_step (report, 0, "reached"), 15);
    json_decref (report);

    /* the open pipeline: 26 open; quote step: i % 5 == 0 not closed:
       10, 15, 20, 25 at 1000.00 each, weighted by 0.5 */
    json_t *pipeline =
        s_salesctl_json ((const char *[]){ "pipeline", "--scope", "company", "--json", NULL });
    assert_non_null (pipeline);
    assert_int_equal (json_integer_value (json_object_get (pipeline, "open")), 26);
    json_t *quote = json_array_get (json_object_get (pipeline, "steps"), 3);
    assert_int_equal (json_integer_value (json_object_get (quote, "open")), 4);
    assert_int_equal (json_integer_value (json_object_get (quote, "value")), 400000);
    assert_int_equal (json_integer_value (json_object_get (quote, "weighted_value")), 200000);
    json_decref (pipeline);
}

/* Evaluations of the targets that judged (neither put off nor failed). */
static int64_t
s_judged_evaluations (void)
{
    int64_t total = sp_harness_consumer_metric (s_fixture.http_port,
                                                "salespulse_funnel_notice_evaluations_total");
    int64_t deferred = sp_harness_consumer_metric (
        s_fixture.http_port, "salespulse_funnel_notice_evaluations_deferred_total");
    int64_t failed = sp_harness_consumer_metric (
        s_fixture.http_port, "salespulse_funnel_notice_evaluation_errors_total");
    assert_true (total >= 0 && deferred >= 0 && failed >= 0);
    return total - deferred - failed;
}

/* Waits until the targets were judged twice more: the second of those
   began after this call, on the results as they are now. */
static void
s_wait_judged (void)
{
    int64_t wanted = s_judged_evaluations () + 2;
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (s_judged_evaluations () < wanted) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("funnel-tracker did not judge its targets in time");
        sp_harness_pause_ms (100);
    }
}

static void
test_bottleneck_fires_then_clears (void **state)
{
    (void) state;
    /* 2 of 30 leads won: below 25 % with 30 >= 20 sampled, but the leads
       are a week old and the target waits 90 days: nothing is judged. */
    s_wait_judged ();
    Salespulse__FunnelBottleneck *notice = s_receive_notice (0);
    if (notice)
        fail_msg ("a young cohort raised notice #%llu", (unsigned long long) notice->sequence);
    char output[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (s_fixture.stack->harness));
    assert_int_equal (sp_harness_salesctl (s_fixture.stack->harness,
                                           (const char *[]){ "notices", "--json", NULL }, errors,
                                           output, sizeof output, TIMEOUT_MS),
                      0);
    assert_string_equal (output, "");

    /* 100 days later a visit is logged for opp-29 (no visit before): out
       of its 90-day window, it counts nowhere, but the newest event now
       lies more than 90 whole days after the leads' days. */
    char path[PATH_SIZE];
    snprintf (path, sizeof path, "%s/later.jsonl", sp_harness_dir (s_fixture.stack->harness));
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    s_event (file, "visit_completed", 29, T0 + 29 * HOUR_MS + 100 * DAY_MS,
             ", \"duration_minutes\": 30");
    fclose (file);
    s_publish (path);
    notice = s_receive_notice (TIMEOUT_MS);
    assert_non_null (notice);
    assert_int_equal (notice->state, SALESPULSE__FUNNEL_BOTTLENECK__STATE__FIRING);
    assert_string_equal (notice->funnel, "default");
    assert_string_equal (notice->step, "won");
    assert_string_equal (notice->from_step, "lead");
    assert_string_equal (notice->scope, "company");
    assert_int_equal (notice->target_bp, 2500);
    assert_int_equal (notice->sample, 30);
    assert_int_equal (notice->converted, 2);
    assert_int_equal (notice->observed_bp, 666);
    /* the window ends 91 days before the newest event's day, 2026-06-11 */
    assert_string_equal (notice->first_day, "2026-02-11");
    assert_string_equal (notice->last_day, "2026-03-12");
    uint64_t first = notice->sequence;
    salespulse__funnel_bottleneck__free_unpacked (notice, NULL);
    /* the current set holds it */
    json_t *current = s_salesctl_json ((const char *[]){ "notices", "--json", NULL });
    assert_non_null (current);
    assert_int_equal (json_integer_value (json_object_get (current, "sequence")),
                      (json_int_t) first);
    assert_string_equal (json_string_value (json_object_get (current, "state")), "firing");
    json_decref (current);

    /* 8 more won: 10 of 30 */
    snprintf (path, sizeof path, "%s/second.jsonl", sp_harness_dir (s_fixture.stack->harness));
    file = fopen (path, "w");
    assert_non_null (file);
    for (int i = 6; i < 14; i++)
        s_event (file, "deal_won", i, T0 + i * HOUR_MS + 7 * DAY_MS,
                 ", \"currency\": \"USD\", \"amount\": \"800.00\"");
    fclose (file);
    s_publish (path);
    json_t *report = s_wait_won (10);
    json_decref (report);
    notice = s_receive_notice (TIMEOUT_MS);
    assert_non_null (notice);
    assert_int_equal (notice->state, SALESPULSE__FUNNEL_BOTTLENECK__STATE__CLEARED);
    assert_true (notice->sequence > first); /* region and team fired in between */
    assert_int_equal (notice->converted, 10);
    salespulse__funnel_bottleneck__free_unpacked (notice, NULL);
}

static void
test_rebuild_gives_the_same_report (void **state)
{
    (void) state;
    json_t *before = s_funnel ("company");
    assert_non_null (before);
    char output[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/rebuild.err", sp_harness_dir (s_fixture.stack->harness));
    assert_int_equal (sp_harness_salesctl (s_fixture.stack->harness,
                                           (const char *[]){ "rebuild", "funnel-tracker", "--wait",
                                                             "--timeout", "60", NULL },
                                           errors, output, sizeof output, TIMEOUT_MS),
                      0);
    json_t *after = s_wait_won (10);
    assert_true (json_equal (before, after));
    json_decref (before);
    json_decref (after);
}

/* Redis flushed while funnel-tracker runs: the consumer replays the log,
   the service writes its config record again, and the report comes back
   the same. */
static void
test_flushed_redis_comes_back (void **state)
{
    (void) state;
    json_t *before = s_funnel ("company");
    assert_non_null (before);
    char error[256];
    sp_redis_reply_t *reply = sp_redis_command (
        s_fixture.stack->redis, 1, (const char *[]){ "FLUSHALL" }, NULL, error, sizeof error);
    assert_non_null (reply);
    sp_redis_reply_destroy (&reply);
    json_t *after = s_wait_won (10);
    assert_true (json_equal (before, after));
    assert_true (sp_harness_log_contains (
        s_fixture.log, "config record was missing: written again\" key=\"funnel-tracker:config"));
    json_decref (before);
    json_decref (after);
}

/* A new version of the funnel is counted after a restart: the service
   sees that the definition differs from the one its state was built
   with, rebuilds from the log, and the report names the new version. */
static void
test_new_version_rebuilds_after_restart (void **state)
{
    (void) state;
    json_t *before = s_funnel ("company");
    assert_non_null (before);
    assert_int_equal (sp_harness_stop (s_fixture.tracker, TIMEOUT_MS), 0);
    s_fixture.tracker = -1;
    /* the default funnel with a 60-day window: no journey here is longer */
    const char *root = sp_harness_source_dir ();
    char source[PATH_SIZE], path[PATH_SIZE], text[8192];
    snprintf (source, sizeof source, "%s/deploy/funnels/default.json", root);
    assert_int_equal (sp_harness_read_file (source, text, sizeof text), 0);
    char *window = strstr (text, "\"window_days\": 90");
    assert_non_null (window);
    memcpy (window, "\"window_days\": 60", strlen ("\"window_days\": 60"));
    snprintf (path, sizeof path, "%s/default-60.json", sp_harness_dir (s_fixture.stack->harness));
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
    json_t *loaded = s_salesctl_json ((const char *[]){ "load", "funnel", path, "--json", NULL });
    assert_non_null (loaded);
    assert_int_equal (json_integer_value (json_object_get (loaded, "version")), 1);
    json_decref (loaded);
    assert_int_equal (s_start_tracker (), 0);
    /* rebuilt: the same counts under version 1 */
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    json_t *after = NULL;
    while (sp_harness_now_ms () < deadline) {
        json_decref (after);
        after = s_funnel ("company");
        if (after && json_integer_value (json_object_get (after, "version")) == 1 &&
            json_integer_value (json_object_get (json_object_get (after, "outcome"), "won")) == 10)
            break;
        sp_harness_pause_ms (100);
    }
    assert_non_null (after);
    assert_int_equal (json_integer_value (json_object_get (after, "version")), 1);
    /* state stamped with the built-in default's revision 0 is rebuilt
       under the loaded version's revision 1 */
    assert_true (sp_harness_log_contains (s_fixture.log, "stored_revision=0 revision=1"));
    assert_true (json_equal (json_object_get (before, "steps"), json_object_get (after, "steps")));
    assert_true (
        json_equal (json_object_get (before, "outcome"), json_object_get (after, "outcome")));
    json_decref (before);
    json_decref (after);
}

/* A sequence funnel over stage changes a -> b -> c, with or without
   strict_order, written to the harness folder as name.json. */
static void
s_write_stage_funnel (const char *name, bool strict_order, char *path, size_t size)
{
    snprintf (path, size, "%s/%s.json", sp_harness_dir (s_fixture.stack->harness), name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file,
             "{\"name\": \"%s\", \"mode\": \"sequence\", \"window_days\": 30,"
             " \"strict_order\": %s, \"steps\": ["
             "{\"name\": \"a\", \"event\": \"stage_changed\", \"stage\": \"a\"},"
             "{\"name\": \"b\", \"event\": \"stage_changed\", \"stage\": \"b\"},"
             "{\"name\": \"c\", \"event\": \"stage_changed\", \"stage\": \"c\"}]}\n",
             name, strict_order ? "true" : "false");
    fclose (file);
}

/* Appends opportunity's stage changes, stages[k] k + 1 hours after
   base, written latest first. */
static void
s_write_stages (FILE *file, const char *opportunity, const char *rep, const char *stages,
                int64_t base)
{
    for (size_t index = strlen (stages); index-- > 0;) {
        char when[32];
        s_iso (base + (int64_t) (index + 1) * HOUR_MS, when, sizeof when);
        fprintf (file,
                 "{\"event_id\": \"e2e:stage:%s:%zu\", \"source\": \"crm\", \"type\": "
                 "\"stage_changed\", \"occurred_at\": \"%s\", \"rep_id\": \"%s\", "
                 "\"customer_id\": \"customer-%s\", \"opportunity_id\": \"%s\", "
                 "\"to_stage\": \"%c\"}\n",
                 opportunity, index, when, rep, opportunity, opportunity, stages[index]);
    }
}

/* True when `salesctl status --service funnel-tracker --json` shows every
   partition's checkpoint at its head (a partition without events aside). */
static bool
s_tracker_caught_up (void)
{
    json_t *status = s_salesctl_json (
        (const char *[]){ "status", "--service", "funnel-tracker", "--json", NULL });
    const json_t *partitions =
        json_object_get (json_array_get (json_object_get (status, "services"), 0), "partitions");
    bool caught_up = json_array_size (partitions) == PARTITIONS;
    size_t index;
    const json_t *partition;
    json_array_foreach (partitions, index, partition)
    {
        json_int_t head = json_integer_value (json_object_get (partition, "head"));
        const json_t *checkpoint = json_object_get (partition, "checkpoint");
        if (head > 0 && (!json_is_integer (checkpoint) || json_integer_value (checkpoint) != head))
            caught_up = false;
    }
    json_decref (status);
    return caught_up;
}

/* The number of entities of funnel in scope that reached each of its
   three steps, as `salesctl funnel --json` shows them. */
static void
s_reached (const char *funnel, const char *scope, json_int_t *reached)
{
    json_t *report = s_salesctl_json ((const char *[]){ "funnel", "--funnel", funnel, "--scope",
                                                        scope, "--period", "all", "--json", NULL });
    assert_non_null (report);
    assert_string_equal (json_string_value (json_object_get (report, "mode")), "sequence");
    assert_int_equal (json_array_size (json_object_get (report, "steps")), 3);
    for (size_t index = 0; index < 3; index++)
        reached[index] = s_step (report, index, "reached");
    json_decref (report);
}

/* strict_order follows ClickHouse windowFunnel: a stage change to d, which
   no step names, stops the chain. Opportunity stage-1 (rep-cy) goes a d b
   c: 1 step, not 3; stage-2 (rep-di) a a b b d c c: 2, not 3. The same
   events in a funnel without strict_order reach 3 each, and the default
   funnel, which has no stage step, does not change. */
static void
test_strict_order_stops_at_a_stage_no_step_names (void **state)
{
    (void) state;
    json_t *before = s_funnel ("company");
    assert_non_null (before);
    assert_int_equal (sp_harness_stop (s_fixture.tracker, TIMEOUT_MS), 0);
    s_fixture.tracker = -1;
    const char *names[] = { "stages-strict", "stages-loose" };
    for (size_t index = 0; index < 2; index++) {
        char path[PATH_SIZE];
        s_write_stage_funnel (names[index], index == 0, path, sizeof path);
        json_t *loaded =
            s_salesctl_json ((const char *[]){ "load", "funnel", path, "--json", NULL });
        assert_non_null (loaded);
        assert_int_equal (json_integer_value (json_object_get (loaded, "version")), 1);
        json_decref (loaded);
    }
    assert_int_equal (s_start_tracker (), 0);

    char path[PATH_SIZE];
    snprintf (path, sizeof path, "%s/stages.jsonl", sp_harness_dir (s_fixture.stack->harness));
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    s_write_stages (file, "stage-1", "rep-cy", "adbc", T0 + 10 * DAY_MS);
    s_write_stages (file, "stage-2", "rep-di", "aabbdcc", T0 + 10 * DAY_MS);
    fclose (file);
    s_publish (path);
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (!s_tracker_caught_up ()) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("funnel-tracker did not apply the stage changes in time");
        sp_harness_pause_ms (100);
    }

    json_int_t reached[3];
    s_reached ("stages-strict", "rep:rep-cy", reached);
    assert_int_equal (reached[0], 1);
    assert_int_equal (reached[1], 0);
    assert_int_equal (reached[2], 0);
    s_reached ("stages-strict", "rep:rep-di", reached);
    assert_int_equal (reached[0], 1);
    assert_int_equal (reached[1], 1);
    assert_int_equal (reached[2], 0);
    s_reached ("stages-strict", "company", reached);
    assert_int_equal (reached[0], 2);
    assert_int_equal (reached[1], 1);
    assert_int_equal (reached[2], 0);
    s_reached ("stages-loose", "company", reached);
    assert_int_equal (reached[0], 2);
    assert_int_equal (reached[1], 2);
    assert_int_equal (reached[2], 2);
    /* the default funnel counts no stage change: its report is unchanged
       apart from the rebuild it went through */
    json_t *after = s_wait_won (10);
    assert_true (json_equal (json_object_get (before, "steps"), json_object_get (after, "steps")));
    json_decref (before);
    json_decref (after);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_late_events_counted_as_in_order),
        cmocka_unit_test (test_bottleneck_fires_then_clears),
        cmocka_unit_test (test_rebuild_gives_the_same_report),
        cmocka_unit_test (test_flushed_redis_comes_back),
        cmocka_unit_test (test_new_version_rebuilds_after_restart),
        cmocka_unit_test (test_strict_order_stops_at_a_stage_no_step_names),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
