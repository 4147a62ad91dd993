/*  test_churn_cluster - churn-alerting on a real Redis Cluster (issue 15):
    the same events are applied by two churn-alertings, one keeping its
    state on one Redis server and one on a 3-master cluster
    (redis+cluster://) whose masters each have a replica, and `salesctl
    health` and `salesctl alerts` give the same answers from both, after
    a master of the cluster was lost mid-replay with writes it had
    acknowledged.

    churn-alerting also writes PostgreSQL: its scored customers
    (churn_customers), its alerts (churn_alerts, alert_seq) and their
    outbox. Two instances on one database would write the same rows and
    each see the other's, so the comparison would prove nothing about the
    alerts. Each instance therefore has a consumer stack of its own (its
    own PostgreSQL, activity-ingest and bus; the cluster's instance keeps
    its Redis state on the cluster, not on its stack's Redis), the same
    health model is loaded into both, and the same events are published
    through both activity-ingests: the two logs hold the same events in
    the same order. salesctl asks each stack's PostgreSQL with that
    stack's Redis (one server, or the cluster).

    The events (16 partitions, so the customers' keys fall on all three
    masters): four stop-N customers order 100.00 on the 15th of every
    month from January to June 2025, paid ten days later, then stop; four
    steady-N customers order on the 15th of every month from January to
    September; one ticker per partition pays 1.00 on 2025-09-30, so every
    partition's clock (--clock event: the day before the watermark's day)
    is 2025-09-29. The model repeats a firing alert every 3 periods and
    turns the two drop rules off.

    The failover: January to June is published first and applied by
    both. Then one master's replica is cut off
    (sp_harness_cluster_cut_replica), July to September and the tickers
    are published, and 300 ms later the master is killed and its replica
    promoted: what the cluster's instance applied and scored meanwhile on
    that master's partitions (records, scores, alert states, checkpoints)
    is lost from Redis, while the alerts it decided from them are already
    committed in PostgreSQL. Its partitions go back to their checkpoints
    and apply again; the alerts decided again must not be stored twice.

    Once every customer is scored up to 2025-09-29 on both: `salesctl
    health --customer C --history 3 --json` is byte for byte the same for
    each, complete, with a score; `salesctl alerts --customer C --json` is
    the same list (alert_seq, numbered across partitions in the order the
    scorer reached them, and created_at_ms, the moment written, left out);
    every stop-N has an overdue alert firing, every steady-N none;
    `salesctl alerts --firing --json` holds the same alerts on both.
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

#include <cmocka.h>
#include <jansson.h>

#include "sp_harness.h"
#include "sp_harness_cluster.h"
#include "sp_harness_consumer.h"
#include "sp_partition.h"

#define PARTITIONS 16
#define CUSTOMERS 4 /* of each kind */
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE 262144
#define EVENTS_SIZE 32768
#define LAST_DAY "2025-09-29"
#define FIRST_HALF 6 /* months published before the failover */
#define REPLICAS 1
#define FAILED_MASTER 0
#define LAG_MS 300 /* the replica is cut off this long before its master dies */
#define POLL_MS 20

typedef struct {
    sp_harness_consumer_stack_t *single_stack;  /* its Redis holds the state */
    sp_harness_consumer_stack_t *cluster_stack; /* its churn-alerting's on the cluster */
    sp_harness_cluster_t *cluster;
    pid_t single;     /* churn-alerting on the single stack's Redis */
    pid_t on_cluster; /* churn-alerting on the cluster */
    int single_port;  /* their /metrics */
    int cluster_port;
} s_fixture_t;

static s_fixture_t s_fixture;

static const char s_model[] =
    "{\"name\": \"cluster-test\", \"rules\": {\"consecutive_drops\": {\"enabled\": false}, "
    "\"single_drop\": {\"enabled\": false}, \"repeat_periods\": 3}}";

static void
s_event (char *events, const char *id, const char *type, const char *customer, const char *day,
         const char *amount)
{
    size_t used = strlen (events);
    int written = snprintf (events + used, EVENTS_SIZE - used,
                            "{\"event_id\": \"%s\", \"source\": \"shop\", \"type\": \"%s\", "
                            "\"occurred_at\": \"%sT10:00:00Z\", \"customer_id\": \"%s\", "
                            "\"currency\": \"GBP\", \"amount\": \"%s\"}\n",
                            id, type, day, customer, amount);
    assert_true (written > 0 && (size_t) written < EVENTS_SIZE - used);
}

/* The events of months first to last into events; the tickers too when
   last is September. */
static void
s_write_events (char *events, int first, int last)
{
    events[0] = '\0';
    for (int customer = 0; customer < CUSTOMERS; customer++) {
        for (int month = first; month <= last; month++) {
            char id[64], name[32], day[32];
            /* stop-N stops after June */
            const char *const kinds[] = { "stop", "steady" };
            for (size_t kind = 0; kind < 2; kind++) {
                if (kind == 0 && month > 6)
                    continue;
                snprintf (name, sizeof name, "%s-%d", kinds[kind], customer);
                snprintf (id, sizeof id, "o-%s-%d", name, month);
                snprintf (day, sizeof day, "2025-%02d-15", month);
                s_event (events, id, "order_placed", name, day, "100.00");
                snprintf (id, sizeof id, "p-%s-%d", name, month);
                snprintf (day, sizeof day, "2025-%02d-25", month);
                s_event (events, id, "payment_received", name, day, "100.00");
            }
        }
    }
    if (last < 9)
        return;
    /* one ticker per partition: every clock reaches LAST_DAY */
    bool ticked[PARTITIONS] = { false };
    int left = PARTITIONS;
    for (int index = 0; left > 0; index++) {
        char name[32];
        snprintf (name, sizeof name, "ticker-%d", index);
        uint32_t partition = sp_partition_of (name, strlen (name), PARTITIONS);
        if (ticked[partition])
            continue;
        ticked[partition] = true;
        left--;
        char id[64];
        snprintf (id, sizeof id, "tick-%s", name);
        s_event (events, id, "payment_received", name, "2025-09-30", "1.00");
    }
}

static pid_t
s_service (sp_harness_consumer_stack_t *stack, const char *redis_url, const char *name,
           int http_port)
{
    char log[PATH_MAX];
    snprintf (log, sizeof log, "%s/%s.log", sp_harness_dir (stack->harness), name);
    char redis[PATH_MAX];
    snprintf (redis, sizeof redis, "SP_REDIS_URL=%s", redis_url);
    const char *settings[] = { "SP_CHURN_ALERTS_ENDPOINT=tcp://127.0.0.1:*",
                               "SP_TIME_ZONE=UTC",
                               "SP_CONSUMER_POLL_MS=100",
                               "SP_DEFINITIONS_CHECK_MS=200",
                               "SP_CHURN_SCORING_INTERVAL_MS=200",
                               "SP_CHURN_CLOCK=event",
                               "SP_CONSUMER_LEASE_TTL_MS=1500",
                               redis,
                               NULL };
    return sp_harness_consumer_service (
        stack->harness, "churn-alerting", stack->bus, http_port, PARTITIONS, settings,
        (const char *[]){ "--currency", "GBP", NULL }, log, TIMEOUT_MS);
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.single_stack =
        sp_harness_consumer_stack_new ("test_churn_cluster", PARTITIONS, 0, TIMEOUT_MS);
    s_fixture.cluster_stack =
        sp_harness_consumer_stack_new ("test_churn_cluster", PARTITIONS, 0, TIMEOUT_MS);
    s_fixture.cluster = sp_harness_cluster_new_replicated (SP_HARNESS_CLUSTER_MASTERS, REPLICAS);
    return s_fixture.single_stack && s_fixture.cluster_stack && s_fixture.cluster ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.single > 0)
        sp_harness_stop (s_fixture.single, TIMEOUT_MS);
    if (s_fixture.on_cluster > 0)
        sp_harness_stop (s_fixture.on_cluster, TIMEOUT_MS);
    sp_harness_cluster_destroy (&s_fixture.cluster);
    sp_harness_consumer_stack_destroy (&s_fixture.cluster_stack);
    sp_harness_consumer_stack_destroy (&s_fixture.single_stack);
    return 0;
}

/* The Redis a stack's salesctl is to read: its own, or the cluster. */
static const char *
s_redis_url (const sp_harness_consumer_stack_t *stack)
{
    return stack == s_fixture.cluster_stack ? sp_harness_cluster_url (s_fixture.cluster)
                                            : sp_harness_redis_url (stack->harness);
}

/* salesctl's output for arguments against stack (its PostgreSQL, and
   s_redis_url); 0, or its exit status. */
static int
s_salesctl (const sp_harness_consumer_stack_t *stack, const char *const *arguments, char *output)
{
    return sp_harness_salesctl_on (stack->harness, arguments, s_redis_url (stack), output,
                                   OUTPUT_SIZE, TIMEOUT_MS);
}

static void
s_load_model (const sp_harness_consumer_stack_t *stack)
{
    char path[PATH_MAX];
    static char output[OUTPUT_SIZE];
    assert_int_equal (
        sp_harness_consumer_file (stack->harness, "model.json", s_model, path, sizeof path), 0);
    if (s_salesctl (stack, (const char *[]){ "load", "health", path, NULL }, output) != 0)
        fail_msg ("salesctl load health: %s", output);
}

static void
s_publish (const sp_harness_consumer_stack_t *stack, const char *events)
{
    static char output[OUTPUT_SIZE];
    int status = sp_harness_consumer_publish_text (stack->harness, stack->endpoint, "events.jsonl",
                                                   events, output, sizeof output, TIMEOUT_MS);
    if (status != 0)
        fail_msg ("salesctl publish: %d: %s", status, output);
}

/* One integer of a query of stack's PostgreSQL. */
static int64_t
s_query (const sp_harness_consumer_stack_t *stack, const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (stack->pg, sql, 0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    int64_t value = -1;
    if (sp_pg_result_rows (result) == 1 && !sp_pg_result_is_null (result, 0, 0))
        assert_int_equal (sp_pg_result_int64 (result, 0, 0, &value), 0);
    sp_pg_result_destroy (&result);
    return value;
}

/* Waits until every stop-N and steady-N is scored up to LAST_DAY on
   stack. */
static void
s_wait_scored (const sp_harness_consumer_stack_t *stack)
{
    const char sql[] = "SELECT count(*) FROM churn_customers WHERE last_day = date '" LAST_DAY
                       "' AND (customer_id LIKE 'stop-%' OR customer_id LIKE 'steady-%')";
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    int64_t scored;
    while ((scored = s_query (stack, sql)) != 2 * CUSTOMERS) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("%lld of %d customers scored up to " LAST_DAY " in time", (long long) scored,
                      2 * CUSTOMERS);
        sp_harness_pause_ms (100);
    }
}

static bool
s_complete (json_t *answer)
{
    return json_is_true (json_object_get (json_object_get (answer, "completeness"), "complete"));
}

/* The health answer of customer on both, once both are complete and the
   same; fails with both texts when they never agree. Returns it. */
static json_t *
s_assert_same_health (const char *customer)
{
    const char *const arguments[] = { "health", "--customer", customer, "--history",
                                      "3",      "--json",     NULL };
    static char output[OUTPUT_SIZE];
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    char *texts[2] = { NULL, NULL };
    for (;;) {
        json_t *answers[2];
        sp_harness_consumer_stack_t *stacks[2] = { s_fixture.single_stack,
                                                   s_fixture.cluster_stack };
        for (size_t index = 0; index < 2; index++) {
            answers[index] = s_salesctl (stacks[index], arguments, output) == 0
                                 ? json_loads (output, JSON_DISABLE_EOF_CHECK, NULL)
                                 : NULL;
            free (texts[index]);
            texts[index] =
                answers[index] ? json_dumps (answers[index], JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        }
        bool same = answers[0] && answers[1] && s_complete (answers[0]) &&
                    s_complete (answers[1]) && strcmp (texts[0], texts[1]) == 0;
        json_decref (answers[1]);
        if (same) {
            free (texts[0]);
            free (texts[1]);
            return answers[0];
        }
        json_decref (answers[0]);
        if (sp_harness_now_ms () > deadline) {
            fprintf (stderr, "one Redis gave\n%s\na cluster gave\n%s\n",
                     texts[0] ? texts[0] : "(failed)", texts[1] ? texts[1] : "(failed)");
            fail_msg ("health --customer %s: the answers differ or are incomplete", customer);
        }
        sp_harness_pause_ms (200);
    }
}

static int
s_compare_texts (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The JSON lines of `salesctl alerts` with arguments on stack, without
   alert_seq and created_at_ms, sorted, one a line, as one text (the
   caller frees it). Sorted: the two stacks decide the same alerts, each
   in the order its scorer met the customers (which partition's events
   the bus delivered first), so their sequences may differ. */
static char *
s_alerts (const sp_harness_consumer_stack_t *stack, const char *const *arguments, size_t *count)
{
    static char output[OUTPUT_SIZE];
    if (s_salesctl (stack, arguments, output) != 0)
        fail_msg ("salesctl alerts failed: %s", output);
    json_t *lines = sp_harness_consumer_json_lines (output);
    assert_non_null (lines);
    *count = json_array_size (lines);
    char **texts = calloc (*count + 1, sizeof *texts);
    assert_non_null (texts);
    size_t index, length = 1;
    json_t *row;
    json_array_foreach (lines, index, row)
    {
        json_object_del (row, "alert_seq");
        json_object_del (row, "created_at_ms");
        texts[index] = json_dumps (row, JSON_SORT_KEYS | JSON_COMPACT);
        assert_non_null (texts[index]);
        length += strlen (texts[index]) + 1;
    }
    json_decref (lines);
    qsort (texts, *count, sizeof *texts, s_compare_texts);
    char *text = malloc (length);
    assert_non_null (text);
    size_t used = 0;
    for (index = 0; index < *count; index++) {
        size_t size = strlen (texts[index]);
        memcpy (text + used, texts[index], size);
        text[used + size] = '\n';
        used += size + 1;
        free (texts[index]);
    }
    text[used] = '\0';
    free (texts);
    return text;
}

/* The same alerts on both for arguments, once they agree (the cluster's
   instance may still be scoring again what the failover lost); returns
   how many. */
static size_t
s_assert_same_alerts (const char *const *arguments)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    for (;;) {
        size_t single_count, cluster_count;
        char *single = s_alerts (s_fixture.single_stack, arguments, &single_count);
        char *cluster = s_alerts (s_fixture.cluster_stack, arguments, &cluster_count);
        bool same = strcmp (single, cluster) == 0;
        if (!same && sp_harness_now_ms () > deadline)
            fprintf (stderr, "one Redis gave\n%s\na cluster gave\n%s\n", single, cluster);
        free (single);
        free (cluster);
        if (same)
            return single_count;
        if (sp_harness_now_ms () > deadline)
            fail_msg ("alerts %s %s: the answers differ", arguments[1], arguments[2]);
        sp_harness_pause_ms (200);
    }
}

/* Whether customer has an overdue alert firing (on the single stack:
   both are the same once s_assert_same_alerts passed). */
static bool
s_overdue_firing (const char *customer)
{
    static char output[OUTPUT_SIZE];
    if (s_salesctl (
            s_fixture.single_stack,
            (const char *[]){ "alerts", "--firing", "--json", "--customer", customer, NULL },
            output) != 0)
        fail_msg ("salesctl alerts --firing failed: %s", output);
    json_t *lines = sp_harness_consumer_json_lines (output);
    assert_non_null (lines);
    bool found = false;
    size_t index;
    json_t *row;
    json_array_foreach (lines, index, row)
    {
        if (strcmp (json_string_value (json_object_get (row, "rule")), "overdue") == 0 &&
            strcmp (json_string_value (json_object_get (row, "state")), "firing") == 0)
            found = true;
    }
    json_decref (lines);
    return found;
}

/* Waits until the instance behind port has applied every event its
   stack's log holds. */
static void
s_wait_applied (const sp_harness_consumer_stack_t *stack, int port)
{
    int64_t logged = s_query (stack, "SELECT count(*) FROM events");
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    int64_t applied;
    while ((applied = sp_harness_consumer_metric (
                port, "salespulse_consumer_applied_events_total")) < logged) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("%lld of %lld events applied in time", (long long) applied,
                      (long long) logged);
        sp_harness_pause_ms (POLL_MS);
    }
}

/* Waits until the cluster's instance owns every partition again and has
   applied more events than the log holds: those of the lost master's
   partitions a second time, from the checkpoints its replica had. */
static void
s_wait_reapplied (void)
{
    int64_t logged = s_query (s_fixture.cluster_stack, "SELECT count(*) FROM events");
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    for (;;) {
        int64_t applied = sp_harness_consumer_metric (s_fixture.cluster_port,
                                                      "salespulse_consumer_applied_events_total");
        int64_t owned = sp_harness_consumer_metric (s_fixture.cluster_port,
                                                    "salespulse_consumer_partition_owned");
        if (applied > logged && owned == PARTITIONS) {
            printf ("events: %lld logged, %lld applied on the cluster\n", (long long) logged,
                    (long long) applied);
            return;
        }
        if (sp_harness_now_ms () > deadline)
            fail_msg ("after the failover: %lld of %d partitions owned, %lld events applied of "
                      "%lld logged",
                      (long long) owned, PARTITIONS, (long long) applied, (long long) logged);
        sp_harness_pause_ms (POLL_MS);
    }
}

static void
test_cluster_answers_as_one_server (void **state)
{
    (void) state;
    s_load_model (s_fixture.single_stack);
    s_load_model (s_fixture.cluster_stack);
    s_fixture.single_port = sp_harness_free_port ();
    s_fixture.single =
        s_service (s_fixture.single_stack, sp_harness_redis_url (s_fixture.single_stack->harness),
                   "churn-single", s_fixture.single_port);
    s_fixture.cluster_port = sp_harness_free_port ();
    s_fixture.on_cluster =
        s_service (s_fixture.cluster_stack, sp_harness_cluster_url (s_fixture.cluster),
                   "churn-cluster", s_fixture.cluster_port);
    assert_true (s_fixture.single > 0 && s_fixture.on_cluster > 0);

    static char events[EVENTS_SIZE];
    s_write_events (events, 1, FIRST_HALF);
    s_publish (s_fixture.single_stack, events);
    s_publish (s_fixture.cluster_stack, events);
    s_wait_applied (s_fixture.cluster_stack, s_fixture.cluster_port);

    /* the rest while a master's replica is cut off; then the master dies */
    sp_harness_cluster_t *cluster = s_fixture.cluster;
    int replica = sp_harness_cluster_masters (cluster) + FAILED_MASTER * REPLICAS;
    assert_int_equal (sp_harness_cluster_cut_replica (cluster, replica), 0);
    s_write_events (events, FIRST_HALF + 1, 9);
    s_publish (s_fixture.single_stack, events);
    s_publish (s_fixture.cluster_stack, events);
    s_wait_applied (s_fixture.cluster_stack, s_fixture.cluster_port);
    sp_harness_pause_ms (LAG_MS); /* and scored, some of it */
    int promoted = sp_harness_cluster_fail_master (cluster, FAILED_MASTER, TIMEOUT_MS);
    if (promoted < 0)
        fail_msg ("no replica took over from master %d", FAILED_MASTER);
    assert_int_equal (promoted, replica);
    printf ("replication stream lost with the master: at least %lld bytes\n",
            (long long) sp_harness_cluster_lost_bytes (cluster));
    /* the interesting case happened: acknowledged state was lost */
    assert_true (sp_harness_cluster_lost_bytes (cluster) > 0);

    s_wait_scored (s_fixture.single_stack);
    s_wait_scored (s_fixture.cluster_stack);
    /* the lost master's partitions went back and apply their events again */
    s_wait_reapplied ();

    for (int customer = 0; customer < CUSTOMERS; customer++) {
        const char *const kinds[] = { "stop", "steady" };
        for (size_t kind = 0; kind < 2; kind++) {
            char name[32];
            snprintf (name, sizeof name, "%s-%d", kinds[kind], customer);
            json_t *health = s_assert_same_health (name);
            /* not an empty answer: scored, as of the watermark's day */
            json_t *score = json_object_get (health, "score");
            if (!json_is_integer (score))
                fail_msg ("health %s: no score", name);
            assert_string_equal (json_string_value (json_object_get (health, "as_of")),
                                 "2025-09-30");
            assert_int_equal (json_array_size (json_object_get (health, "history")), 3);
            assert_string_equal (json_string_value (json_object_get (health, "last_order_day")),
                                 kind == 0 ? "2025-06-15" : "2025-09-15");
            json_decref (health);

            size_t alerts = s_assert_same_alerts (
                (const char *[]){ "alerts", "--customer", name, "--json", NULL });
            if (kind == 0) {
                if (alerts < 1 || !s_overdue_firing (name))
                    fail_msg ("%s stopped ordering but has no overdue alert firing", name);
            }
            else if (s_overdue_firing (name))
                fail_msg ("%s orders every month but has an overdue alert firing", name);
        }
    }
    size_t firing = s_assert_same_alerts ((const char *[]){ "alerts", "--firing", "--json", NULL });
    assert_true (firing >= CUSTOMERS);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cluster_answers_as_one_server),
    };
    return cmocka_run_group_tests_name ("churn_cluster", tests, s_group_setup, s_group_teardown);
}
