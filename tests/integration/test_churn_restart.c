/*  test_churn_restart - issue 12's acceptance: "a subscriber killed and
    restarted during a replay, and churn-alerting killed and restarted:
    the subscriber's final list equals the alerts table, with no
    duplicates shown".

    The real activity-ingest and churn-alerting (--clock event, the
    default health model, 4 partitions) and a subscriber that is the real
    `salesctl alerts --follow --json` writing to a file, as an operator
    runs it. The replay is the retail data (deploy/demo/retail/
    retail-events.sh) from 2010-12-01 to 2011-03-31, published a month at
    a time with `salesctl publish` (a few thousand alerts of all four
    rules), then a ticker payment on 2011-04-01 in every partition so
    that every partition's clock reaches 2011-03-31:

      - subscriber run 1 (`salesctl alerts --follow --json`: the whole
        history, then live) is killed with SIGKILL once December has
        given it SUBSCRIBER_KILL_AFTER alerts, while churn-alerting still
        scores; January is published while no subscriber runs;
      - subscriber run 2 is `salesctl alerts --follow --json --after
        LAST`, LAST the alert_seq of the last whole line run 1 wrote
        (salesctl's way to resume: the history after LAST, then live; a
        line cut by the kill is not counted and is shown again by run 2);
      - churn-alerting is killed with SIGKILL once February's scoring has
        stored SERVICE_KILL_AFTER alerts; March is published while it is
        down; it is started again (lease TTL 3 s, so it takes its
        partitions back quickly) and scores the rest;
      - once every customer of the slice is scored up to 2011-03-31 and
        run 2 has shown the newest alert_seq, run 2 is stopped (SIGTERM).

    Then: within each run every alert_seq appears once, in order, without
    a gap (run 1 from 1, run 2 from LAST + 1); the two runs together are
    exactly the rows of churn_alerts, alert_seq 1..M, each row's customer,
    rule, severity, action and day as the subscriber showed them.
    Deterministic in what it checks (where the kills fall only moves
    LAST); every wait is on an observable condition with a deadline.
*/
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_partition.h"

#define PARTITIONS 4
#define BUDGET_MS 110000 /* the whole file, servers included: every wait ends by then */
#define PATH_SIZE 4096
#define COMMAND_SIZE 8192
#define OUTPUT_SIZE 65536
#define SUBSCRIBER_KILL_AFTER 100 /* alerts run 1 shows before it is killed */
#define SERVICE_KILL_AFTER 100    /* February's alerts stored before churn-alerting is killed */
#define LAST_DAY "2011-03-31"     /* the last day scored */
#define TICK_DAY "2011-04-01"     /* the tickers' day: every partition's clock reaches LAST_DAY */
#define MONTHS 4
#define POLL_MS 50
#define STOP_MS 30000 /* a SIGTERM'd process has this long to exit */

static const char *const s_months[MONTHS] = { "2010-12", "2011-01", "2011-02", "2011-03" };

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t service;                                  /* churn-alerting, running or 0 */
    int service_starts;                             /* one log each */
    int http_port;                                  /* its /metrics */
    char alerts[SP_HARNESS_CONSUMER_ENDPOINT_SIZE]; /* its PUB */
    char salesctl[PATH_SIZE];                       /* the built salesctl */
    char *month_events[MONTHS];                     /* JSON lines of each month's events */
    size_t customers;                               /* distinct customers of the slice */
} s_fixture_t;

static s_fixture_t s_fixture;

/* When the test's time is up (monotonic ms). */
static int64_t s_deadline;

/* Milliseconds left of the budget, for a wait (at least 1). */
static int
s_left_ms (void)
{
    int64_t left = s_deadline - sp_harness_now_ms ();
    return left > 0 ? (int) left : 1;
}

/* What one subscriber run wrote: its whole lines, in order. */
typedef struct {
    json_t *lines; /* the JSON objects */
    bool cut;      /* the file ended within a line (the kill) */
} s_run_t;

static int
s_start_service (void)
{
    char alerts[128], log[PATH_SIZE];
    snprintf (alerts, sizeof alerts, "SP_CHURN_ALERTS_ENDPOINT=%s", s_fixture.alerts);
    snprintf (log, sizeof log, "%s/churn-alerting-%d.log",
              sp_harness_dir (s_fixture.stack->harness), ++s_fixture.service_starts);
    s_fixture.service = sp_harness_consumer_service (
        s_fixture.stack->harness, "churn-alerting", s_fixture.stack->bus, s_fixture.http_port,
        PARTITIONS,
        (const char *[]){ alerts, "SP_TIME_ZONE=UTC", "SP_CONSUMER_POLL_MS=100",
                          "SP_CONSUMER_LEASE_TTL_MS=3000", "SP_DEFINITIONS_CHECK_MS=200",
                          "SP_CHURN_SCORING_INTERVAL_MS=200", "SP_CHURN_CLOCK=event", NULL },
        (const char *[]){ "--currency", "GBP", NULL }, log, s_left_ms ());
    return s_fixture.service > 0 ? 0 : -1;
}

/* Reads the retail events of the months replayed into one text per
   month, and counts their customers. */
static int
s_read_retail (void)
{
    char path[PATH_SIZE], command[COMMAND_SIZE];
    snprintf (path, sizeof path, "%s/retail.jsonl", sp_harness_dir (s_fixture.stack->harness));
    snprintf (command, sizeof command, "'%s/deploy/demo/retail/retail-events.sh' > '%s'",
              sp_harness_source_dir (), path);
    if (system (command) != 0)
        return -1;
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    FILE *streams[MONTHS] = { NULL };
    size_t sizes[MONTHS] = { 0 };
    json_t *customers = json_object ();
    char *line = NULL;
    size_t capacity = 0;
    int rc = -1;
    for (int month = 0; month < MONTHS; month++)
        if (!(streams[month] = open_memstream (&s_fixture.month_events[month], &sizes[month])))
            goto out_close;
    while (getline (&line, &capacity, file) >= 0) {
        json_t *event = json_loads (line, 0, NULL);
        const char *when = json_string_value (json_object_get (event, "occurred_at"));
        const char *customer = json_string_value (json_object_get (event, "customer_id"));
        for (int month = 0; when && customer && month < MONTHS; month++)
            if (strncmp (when, s_months[month], strlen (s_months[month])) == 0) {
                fputs (line, streams[month]);
                json_object_set_new (customers, customer, json_true ());
            }
        json_decref (event);
    }
    s_fixture.customers = json_object_size (customers);
    rc = 0;
out_close:
    for (int month = 0; month < MONTHS; month++)
        if (streams[month] && fclose (streams[month]) != 0)
            rc = -1;
    free (line);
    json_decref (customers);
    fclose (file);
    return rc;
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_deadline = sp_harness_now_ms () + BUDGET_MS;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_churn_restart", PARTITIONS, 0, s_left_ms ());
    if (!s_fixture.stack)
        return -1;
    s_fixture.http_port = sp_harness_free_port ();
    if (sp_harness_free_endpoint (s_fixture.alerts, sizeof s_fixture.alerts) != 0 ||
        s_read_retail () != 0)
        return -1;
    sp_harness_program ("salesctl", s_fixture.salesctl, sizeof s_fixture.salesctl);
    return s_start_service ();
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.service > 0)
        assert_int_equal (sp_harness_stop (s_fixture.service, STOP_MS), 0);
    for (int month = 0; month < MONTHS; month++)
        free (s_fixture.month_events[month]);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

static void
s_publish (const char *name, const char *text)
{
    static char output[OUTPUT_SIZE];
    int status =
        sp_harness_consumer_publish_text (s_fixture.stack->harness, s_fixture.stack->endpoint, name,
                                          text, output, sizeof output, s_left_ms ());
    if (status != 0)
        fail_msg ("salesctl publish %s: %d: %s", name, status, output);
}

static void
s_publish_month (int month)
{
    char name[64];
    snprintf (name, sizeof name, "retail-%s.jsonl", s_months[month]);
    s_publish (name, s_fixture.month_events[month]);
}

/* One integer of a query of the test's connection. */
static int64_t
s_query (const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (s_fixture.stack->pg, sql, 0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    int64_t value = -1;
    if (sp_pg_result_rows (result) == 1 && !sp_pg_result_is_null (result, 0, 0))
        assert_int_equal (sp_pg_result_int64 (result, 0, 0, &value), 0);
    sp_pg_result_destroy (&result);
    return value;
}

static int64_t
s_alerts_stored (void)
{
    return s_query ("SELECT count(*) FROM churn_alerts");
}

/* Starts `salesctl alerts --follow --json` (after > 0: --after after)
   writing to out_path, and waits until it follows. */
static pid_t
s_start_subscriber (int64_t after, const char *out_path, const char *err_path)
{
    char after_text[32];
    snprintf (after_text, sizeof after_text, "%" PRId64, after);
    const char *arguments[] = { "alerts",
                                "--follow",
                                "--json",
                                "--postgres",
                                sp_harness_postgres_url (s_fixture.stack->harness),
                                "--endpoint",
                                s_fixture.alerts,
                                after > 0 ? "--after" : NULL,
                                after_text,
                                NULL };
    sp_harness_spawn_options_t options = {
        .arguments = arguments,
        .stdout_path = out_path,
        .stderr_path = err_path,
        .truncate = true,
    };
    pid_t pid = sp_harness_spawn_with (s_fixture.stack->harness, s_fixture.salesctl, &options);
    assert_true (pid > 0);
    if (sp_harness_wait_log (pid, err_path, "following alerts", s_left_ms ()) != 0)
        fail_msg ("salesctl alerts --follow did not start following (see %s)", err_path);
    return pid;
}

/* The whole lines of the file at path (each a JSON object). */
static s_run_t
s_read_run (const char *path)
{
    s_run_t run = { json_array (), false };
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline (&line, &capacity, file)) > 0) {
        if (line[length - 1] != '\n') {
            run.cut = true; /* the last line, cut by the kill */
            break;
        }
        json_t *object = json_loads (line, 0, NULL);
        if (!json_is_object (object))
            fail_msg ("%s: not a JSON object: %s", path, line);
        json_array_append_new (run.lines, object);
    }
    free (line);
    fclose (file);
    return run;
}

/* Whole lines in the file at path so far. */
static size_t
s_line_count (const char *path)
{
    s_run_t run = s_read_run (path);
    size_t count = json_array_size (run.lines);
    json_decref (run.lines);
    return count;
}

static int64_t
s_seq (const json_t *line)
{
    return (int64_t) json_integer_value (json_object_get (line, "alert_seq"));
}

/* Checks that run shows alert_seq first, first + 1, ... once each;
   returns the last (first - 1 when empty). */
static int64_t
s_check_run (const s_run_t *run, int64_t first, const char *name)
{
    int64_t expected = first;
    size_t index;
    json_t *line;
    json_array_foreach (run->lines, index, line)
    {
        if (s_seq (line) != expected)
            fail_msg ("%s: line %zu shows alert_seq %" PRId64 ", expected %" PRId64
                      " (a repeat or a gap)",
                      name, index + 1, s_seq (line), expected);
        expected++;
    }
    return expected - 1;
}

static const char *
s_text (const json_t *object, const char *field)
{
    const char *value = json_string_value (json_object_get (object, field));
    return value ? value : "";
}

/* Waits until sql's integer reaches at least value. */
static void
s_wait_query (const char *sql, int64_t value, const char *what)
{
    int64_t now;
    while ((now = s_query (sql)) < value) {
        if (sp_harness_now_ms () > s_deadline)
            fail_msg ("%s: %" PRId64 " of %" PRId64 " in time", what, now, value);
        sp_harness_pause_ms (POLL_MS);
    }
}

static void
test_subscriber_and_service_killed_mid_replay (void **state)
{
    (void) state;
    const char *dir = sp_harness_dir (s_fixture.stack->harness);
    char out_1[PATH_SIZE], err_1[PATH_SIZE], out_2[PATH_SIZE], err_2[PATH_SIZE];
    snprintf (out_1, sizeof out_1, "%s/subscriber-1.jsonl", dir);
    snprintf (err_1, sizeof err_1, "%s/subscriber-1.err", dir);
    snprintf (out_2, sizeof out_2, "%s/subscriber-2.jsonl", dir);
    snprintf (err_2, sizeof err_2, "%s/subscriber-2.err", dir);
    assert_true (s_fixture.customers > 0);

    /* run 1 from the start; killed while December is being scored */
    pid_t subscriber = s_start_subscriber (0, out_1, err_1);
    s_publish_month (0);
    while (s_line_count (out_1) < SUBSCRIBER_KILL_AFTER) {
        if (sp_harness_now_ms () > s_deadline)
            fail_msg ("subscriber run 1 did not show %d alerts in time", SUBSCRIBER_KILL_AFTER);
        sp_harness_pause_ms (POLL_MS);
    }
    assert_int_equal (kill (subscriber, SIGKILL), 0);
    assert_int_equal (sp_harness_wait_exit (subscriber, STOP_MS), 128 + SIGKILL);
    s_run_t run_1 = s_read_run (out_1);
    int64_t last = s_check_run (&run_1, 1, "subscriber run 1");
    int64_t stored_at_subscriber_kill = s_alerts_stored ();
    print_message ("subscriber run 1 killed after alert_seq %" PRId64 "%s, %" PRId64
                   " alerts stored\n",
                   last, run_1.cut ? " (and part of a line)" : "", stored_at_subscriber_kill);
    assert_true (last >= SUBSCRIBER_KILL_AFTER);

    /* January while no subscriber runs; run 2 resumes after the last
       whole line of run 1 */
    s_publish_month (1);
    subscriber = s_start_subscriber (last, out_2, err_2);

    /* churn-alerting killed while February is being scored */
    int64_t before_february = s_alerts_stored ();
    s_publish_month (2);
    s_wait_query ("SELECT count(*) FROM churn_alerts", before_february + SERVICE_KILL_AFTER,
                  "alerts stored after February was published");
    assert_int_equal (kill (s_fixture.service, SIGKILL), 0);
    assert_int_equal (sp_harness_wait_exit (s_fixture.service, STOP_MS), 128 + SIGKILL);
    s_fixture.service = 0;
    int64_t stored_at_service_kill = s_alerts_stored ();
    print_message ("churn-alerting killed with %" PRId64 " alerts stored (%" PRId64
                   " before February)\n",
                   stored_at_service_kill, before_february);

    /* March while it is down, then started again; the tickers move every
       partition's clock to LAST_DAY */
    s_publish_month (3);
    assert_int_equal (s_start_service (), 0);
    char tickers[1024] = "";
    for (uint32_t partition = 0; partition < PARTITIONS; partition++) {
        char ticker[64];
        for (int index = 0;; index++) {
            snprintf (ticker, sizeof ticker, "ticker-%d", index);
            if (sp_partition_of (ticker, strlen (ticker), PARTITIONS) == partition)
                break;
        }
        size_t used = strlen (tickers);
        snprintf (tickers + used, sizeof tickers - used,
                  "{\"event_id\": \"tick-%" PRIu32 "\", \"source\": \"test\", \"type\": "
                  "\"payment_received\", \"occurred_at\": \"" TICK_DAY "T10:00:00Z\", "
                  "\"customer_id\": \"%s\", \"currency\": \"GBP\", \"amount\": \"1.00\"}\n",
                  partition, ticker);
    }
    s_publish ("tickers.jsonl", tickers);
    s_wait_query ("SELECT count(*) FROM churn_customers WHERE last_day = date '" LAST_DAY "'",
                  (int64_t) s_fixture.customers, "customers scored up to " LAST_DAY);

    /* run 2 has shown the newest alert: stopped */
    int64_t newest = s_query ("SELECT coalesce (max (alert_seq), 0) FROM churn_alerts");
    for (;;) {
        s_run_t run = s_read_run (out_2);
        size_t count = json_array_size (run.lines);
        int64_t shown = count ? s_seq (json_array_get (run.lines, count - 1)) : last;
        json_decref (run.lines);
        if (shown >= newest)
            break;
        if (sp_harness_now_ms () > s_deadline)
            fail_msg ("subscriber run 2 showed up to alert_seq %" PRId64 " of %" PRId64 " in time",
                      shown, newest);
        sp_harness_pause_ms (POLL_MS);
    }
    assert_int_equal (sp_harness_stop (subscriber, STOP_MS), 0);
    s_run_t run_2 = s_read_run (out_2);
    assert_false (run_2.cut);
    int64_t last_2 = s_check_run (&run_2, last + 1, "subscriber run 2");
    print_message ("%zu customers scored up to " LAST_DAY "; run 1 showed 1..%" PRId64
                   ", run 2 %" PRId64 "..%" PRId64 "\n",
                   s_fixture.customers, last, last + 1, last_2);

    /* the two runs are the table, row for row */
    assert_true (stored_at_service_kill > before_february);
    assert_true (newest > stored_at_service_kill);
    assert_int_equal (last_2, newest);
    assert_int_equal (s_alerts_stored (), newest); /* alert_seq 1..newest, no gap */
    sp_pg_result_t *rows =
        sp_pg_exec (s_fixture.stack->pg,
                    "SELECT alert_seq, customer_id, rule, severity, action, occurred_at::text FROM "
                    "churn_alerts ORDER BY alert_seq",
                    0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (rows));
    assert_int_equal (sp_pg_result_rows (rows), newest);
    for (int row = 0; row < sp_pg_result_rows (rows); row++) {
        int64_t sequence = 0;
        assert_int_equal (sp_pg_result_int64 (rows, row, 0, &sequence), 0);
        const json_t *shown = sequence <= last
                                  ? json_array_get (run_1.lines, (size_t) (sequence - 1))
                                  : json_array_get (run_2.lines, (size_t) (sequence - last - 1));
        assert_non_null (shown);
        assert_int_equal (s_seq (shown), sequence);
        assert_string_equal (s_text (shown, "customer_id"), sp_pg_result_value (rows, row, 1));
        assert_string_equal (s_text (shown, "rule"), sp_pg_result_value (rows, row, 2));
        assert_string_equal (s_text (shown, "severity"), sp_pg_result_value (rows, row, 3));
        assert_string_equal (s_text (shown, "action"), sp_pg_result_value (rows, row, 4));
        assert_string_equal (s_text (shown, "occurred_at"), sp_pg_result_value (rows, row, 5));
    }
    sp_pg_result_destroy (&rows);
    json_decref (run_1.lines);
    json_decref (run_2.lines);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_subscriber_and_service_killed_mid_replay),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
