/*  test_churn_alerts - churn alerts end to end: a health model loaded with
    `salesctl load`, events published through the real activity-ingest
    (salesctl publish), applied and scored every period by the real
    churn-alerting (--clock event), the alerts received by a subscriber
    on the service's PUB socket and read back with `salesctl alerts`.

    The model turns the two drop rules off and repeats a firing alert
    every 3 periods. cust-stop orders 100.00 on the 15th of every month
    from January to June 2025 (paid ten days later), then stops: its own
    typical interval is 31 days, so overdue (days since the last order >
    2 × 31) holds from 2025-08-17. A ticker customer of the same partition
    (payments only: always green, no interval) moves the partition's
    watermark, hence the clock (the day before the watermark's day).
    The February order names rep-ben of team-south in apac, the June order
    rep-ana of team-north in emea: the customer's owner is the latest.

      - watermark 2025-08-18: an overdue alert FIRING for 2025-08-17
        reaches the subscriber under churn.critical.emea.team-north with
        its score, band, factors (recency first), interval and owner;
        `salesctl alerts --firing --json` shows it, and so do --region
        emea and --team team-north (text form too), not --region apac
        nor --team team-south;
      - `salesctl ack cust-stop --rule overdue --until 2025-09-30`, then
        the clock moves 13 periods: no REPEAT of overdue is sent or
        stored (four were due); a late payment dated March names rep-cy
        of team-west in amer: older than the June order, so the owner
        stays;
      - the subscriber goes away; an order on 2025-09-01 and the clock at
        2025-09-04: overdue RESOLVED for 2025-09-02 (clear for K = 2
        periods); `salesctl alerts --follow --json --after N` (N the last
        alert_seq the subscriber saw) prints every alert after N once and
        nothing else; what the two subscribers saw is the alerts table,
        alert_seq 1..M without gap or repeat, and nothing is published
        twice; the resolve carries rep-ana, team-north, emea;
      - tiers and the population's interval, in another partition (its
        own ticker): a new version of the model gives tier A the band
        edges red_max 98, yellow_max 99, and a customers document loaded
        while the service runs makes tier-cust tier A. Five pop-*
        customers order every 30 days from 2025-01-10 to 2025-04-10,
        tier-cust on 2025-03-21, 03-31 and 04-10 (own interval 10),
        solo-cust once on 2025-04-10. As of 2025-04-30 the partition's
        population interval for a one-order customer (the default
        next_order at quantile 0.1) is over the days from each
        customer's first order day to its second: 10 (tier-cust), 30,
        30, 30, 30, 30 (pop-*); position 5 × 0.1 = 0.5, 10 + 0.5 × 20 =
        20: solo-cust, 20 days after its order, reads 20 / 20 (recency
        100, score 100, green, no alert; with the model's 7 days it
        would read 2.86, score 32, red); tier-cust scores 54 (recency 20 / 10 = 2:
        50; payment 0; returns and complaints 100: (0.4 × 50 + 0.05 × 100
        + 0.1 × 0 + 0.1 × 100) / 0.65), yellow without a tier, so the
        red_entry alert it gets, red with a score above 50, comes from
        its tier; `salesctl health` shows both (tier A, interval source
        population, 20 days).
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
#include <jansson.h>

#include "churn.pb-c.h"
#include "churn_alert.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_partition.h"

#define PARTITIONS 4
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE 262144
#define PATH_SIZE 4096
#define EVENTS_SIZE 8192
#define SEEN_MAX 256
#define FOLLOW_SECONDS "3" /* longer than SP_OUTBOX_FOLLOW_QUIET_MS: one read back */
#define CUSTOMER "cust-stop"
/* The owners events name (JSON members), the latest one first. */
#define OWNER_LATEST                                                                               \
    "\"rep_id\": \"rep-ana\", \"team_id\": \"team-north\", \"region_id\": \"emea\", "
#define OWNER_EARLIER                                                                              \
    "\"rep_id\": \"rep-ben\", \"team_id\": \"team-south\", \"region_id\": \"apac\", "
#define OWNER_LATE "\"rep_id\": \"rep-cy\", \"team_id\": \"team-west\", \"region_id\": \"amer\", "

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t service;
    int http_port;
    char alerts[SP_HARNESS_CONSUMER_ENDPOINT_SIZE];
    char log[PATH_SIZE];
    char ticker[64];         /* a customer of cust-stop's partition */
    zsock_t *subscriber;     /* the first subscriber */
    int64_t seen[SEEN_MAX];  /* alert_seq of everything it received, in order */
    size_t seen_count;       /* of them */
    int64_t firing_sequence; /* the overdue FIRING */
} s_fixture_t;

static s_fixture_t s_fixture;

/* Runs salesctl; 0 with its output, or its status. */
static int
s_salesctl (const char *const *arguments, char *output, size_t size)
{
    return sp_harness_consumer_salesctl (s_fixture.stack->harness, arguments, output, size,
                                         TIMEOUT_MS);
}

static void
s_publish (const char *name, const char *text)
{
    static char output[OUTPUT_SIZE];
    int status =
        sp_harness_consumer_publish_text (s_fixture.stack->harness, s_fixture.stack->endpoint, name,
                                          text, output, sizeof output, TIMEOUT_MS);
    if (status != 0)
        fail_msg ("salesctl publish: %d: %s", status, output);
}

/* Appends one event line to events (size bytes); owner: the JSON
   members naming its rep, team and region ("" for none). */
static void
s_event_owned (char *events, size_t size, const char *id, const char *type, const char *customer,
               const char *day, const char *amount, const char *owner)
{
    size_t used = strlen (events);
    snprintf (events + used, size - used,
              "{\"event_id\": \"%s\", \"source\": \"shop\", \"type\": \"%s\", \"occurred_at\": "
              "\"%sT10:00:00Z\", %s\"customer_id\": \"%s\", \"currency\": \"GBP\", \"amount\": "
              "\"%s\"}\n",
              id, type, day, owner, customer, amount);
}

static void
s_event (char *events, size_t size, const char *id, const char *type, const char *customer,
         const char *day, const char *amount)
{
    s_event_owned (events, size, id, type, customer, day, amount, "");
}

/* The ticker's payment on day: the partition's watermark moves there. */
static void
s_tick (char *events, size_t size, const char *day)
{
    char id[64];
    snprintf (id, sizeof id, "tick-%s", day);
    s_event (events, size, id, "payment_received", s_fixture.ticker, day, "1.00");
}

/* The JSON lines of salesctl with arguments: an array. */
static json_t *
s_lines (const char *const *arguments)
{
    static char output[OUTPUT_SIZE];
    if (s_salesctl (arguments, output, sizeof output) != 0)
        fail_msg ("salesctl %s failed: %s", arguments[0], output);
    json_t *lines = sp_harness_consumer_json_lines (output);
    assert_non_null (lines);
    return lines;
}

static const char *
s_text (const json_t *object, const char *field)
{
    const char *value = json_string_value (json_object_get (object, field));
    return value ? value : "";
}

static json_int_t
s_integer (const json_t *object, const char *field)
{
    return json_integer_value (json_object_get (object, field));
}

/* The firing alert of rule in the JSON lines of salesctl with arguments,
   or NULL; the caller frees lines. */
static json_t *
s_firing (const char *const *arguments, const char *rule, json_t **lines)
{
    *lines = s_lines (arguments);
    json_t *found = NULL;
    size_t index;
    json_t *row;
    json_array_foreach (*lines, index, row)
    {
        if (strcmp (s_text (row, "customer_id"), CUSTOMER) == 0 &&
            strcmp (s_text (row, "rule"), rule) == 0)
            found = row;
    }
    return found;
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

/* Waits until cust-stop was scored up to day (YYYY-MM-DD). */
static void
s_wait_scored (const char *day)
{
    char sql[256];
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM churn_customers WHERE customer_id = '" CUSTOMER
              "' AND last_day = date '%s'",
              day);
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (s_query (sql) != 1) {
        if (sp_harness_now_ms () > deadline)
            fail_msg (CUSTOMER " was not scored up to %s in time", day);
        sp_harness_pause_ms (100);
    }
}

/* Receives the next alert within timeout_ms (topic gets frame 0),
   validated and recorded in the fixture; NULL when none came. */
static Salespulse__ChurnAlert *
s_receive (int timeout_ms, char *topic, size_t size)
{
    zmsg_t *message = sp_harness_consumer_receive (s_fixture.subscriber, timeout_ms);
    if (!message)
        return NULL;
    assert_int_equal (zmsg_size (message), 2);
    char *text = zmsg_popstr (message);
    snprintf (topic, size, "%s", text);
    free (text);
    zframe_t *payload = zmsg_pop (message);
    Salespulse__ChurnAlert *alert =
        salespulse__churn_alert__unpack (NULL, zframe_size (payload), zframe_data (payload));
    zframe_destroy (&payload);
    zmsg_destroy (&message);
    assert_non_null (alert);
    churn_alert_t read;
    char error[256];
    if (churn_alert_from_message (alert, &read, error, sizeof error) != 0)
        fail_msg ("a received alert does not validate: %s", error);
    assert_true (s_fixture.seen_count < SEEN_MAX);
    s_fixture.seen[s_fixture.seen_count++] = (int64_t) alert->alert_seq;
    return alert;
}

/* Receives until an alert of rule with action comes; fails after the
   timeout. The caller frees it. */
static Salespulse__ChurnAlert *
s_receive_until (const char *rule, Salespulse__ChurnAlert__Action action, char *topic, size_t size)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (sp_harness_now_ms () < deadline) {
        Salespulse__ChurnAlert *alert = s_receive (200, topic, size);
        if (!alert)
            continue;
        if (strcmp (alert->customer_id, CUSTOMER) == 0 && strcmp (alert->rule, rule) == 0 &&
            alert->action == action)
            return alert;
        salespulse__churn_alert__free_unpacked (alert, NULL);
    }
    fail_msg ("no %s alert of " CUSTOMER " came", rule);
    return NULL;
}

static int
s_start_service (void)
{
    char alerts[128];
    snprintf (alerts, sizeof alerts, "SP_CHURN_ALERTS_ENDPOINT=%s", s_fixture.alerts);
    s_fixture.service = sp_harness_consumer_service (
        s_fixture.stack->harness, "churn-alerting", s_fixture.stack->bus, s_fixture.http_port,
        PARTITIONS,
        (const char *[]){ alerts, "SP_TIME_ZONE=UTC", "SP_CONSUMER_POLL_MS=100",
                          "SP_DEFINITIONS_CHECK_MS=200", "SP_CHURN_SCORING_INTERVAL_MS=200",
                          "SP_CHURN_CLOCK=event", NULL },
        (const char *[]){ "--currency", "GBP", NULL }, s_fixture.log, TIMEOUT_MS);
    return s_fixture.service > 0 ? 0 : -1;
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_churn_alerts", PARTITIONS, 0, TIMEOUT_MS);
    if (!s_fixture.stack)
        return -1;
    s_fixture.http_port = sp_harness_free_port ();
    if (sp_harness_free_endpoint (s_fixture.alerts, sizeof s_fixture.alerts) != 0)
        return -1;
    uint32_t partition = sp_partition_of (CUSTOMER, strlen (CUSTOMER), PARTITIONS);
    for (int index = 0;; index++) {
        snprintf (s_fixture.ticker, sizeof s_fixture.ticker, "ticker-%d", index);
        if (sp_partition_of (s_fixture.ticker, strlen (s_fixture.ticker), PARTITIONS) == partition)
            break;
    }
    s_fixture.subscriber = zsock_new_sub (s_fixture.alerts, CHURN_ALERT_TOPIC_PREFIX);
    if (!s_fixture.subscriber)
        return -1;
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/churn-alerting.log",
              sp_harness_dir (s_fixture.stack->harness));
    return s_start_service ();
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.service > 0)
        assert_int_equal (sp_harness_stop (s_fixture.service, TIMEOUT_MS), 0);
    zsock_destroy (&s_fixture.subscriber);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

static const char s_model[] =
    "{\"name\": \"alerts-test\", \"rules\": {\"consecutive_drops\": {\"enabled\": false}, "
    "\"single_drop\": {\"enabled\": false}, \"repeat_periods\": 3}}";

static void
test_overdue_fires (void **state)
{
    (void) state;
    char path[PATH_SIZE];
    static char output[OUTPUT_SIZE];
    assert_int_equal (sp_harness_consumer_file (s_fixture.stack->harness, "model.json", s_model,
                                                path, sizeof path),
                      0);
    if (s_salesctl ((const char *[]){ "load", "health", path, NULL }, output, sizeof output) != 0)
        fail_msg ("salesctl load health: %s", output);
    /* scored under the model from the first period on */
    assert_int_equal (sp_harness_wait_log (s_fixture.service, s_fixture.log,
                                           "scoring under a new health model", TIMEOUT_MS),
                      0);
    char events[EVENTS_SIZE] = "";
    static const char *const months[] = { "01", "02", "03", "04", "05", "06" };
    for (size_t index = 0; index < 6; index++) {
        char id[32], day[16];
        snprintf (id, sizeof id, "o%zu", index + 1);
        snprintf (day, sizeof day, "2025-%s-15", months[index]);
        s_event_owned (events, sizeof events, id, "order_placed", CUSTOMER, day, "100.00",
                       index == 1   ? OWNER_EARLIER
                       : index == 5 ? OWNER_LATEST
                                    : "");
        snprintf (id, sizeof id, "p%zu", index + 1);
        snprintf (day, sizeof day, "2025-%s-25", months[index]);
        s_event (events, sizeof events, id, "payment_received", CUSTOMER, day, "100.00");
    }
    s_tick (events, sizeof events, "2025-08-18");
    s_publish ("first.jsonl", events);

    char topic[256];
    Salespulse__ChurnAlert *alert =
        s_receive_until ("overdue", SALESPULSE__CHURN_ALERT__ACTION__FIRE, topic, sizeof topic);
    assert_string_equal (topic, "churn.critical.emea.team-north");
    assert_int_equal (alert->state, SALESPULSE__CHURN_ALERT__STATE__FIRING);
    assert_int_equal (alert->severity, SALESPULSE__CHURN_ALERT__SEVERITY__CRITICAL);
    assert_string_equal (alert->occurred_day, "2025-08-17");
    assert_string_equal (alert->fired_day, "2025-08-17");
    assert_true (alert->has_score);
    assert_true (alert->score >= 0 && alert->score <= 100);
    assert_true (*alert->band);
    assert_true (alert->has_interval);
    assert_int_equal (alert->days_since_order, 63); /* 2025-06-15 to 2025-08-17 */
    assert_int_equal (alert->typical_interval_days, 31);
    assert_true (alert->n_factors >= 1);
    assert_string_equal (alert->factors[0]->measure, "recency");
    assert_int_equal (alert->n_previous_scores, 15);
    assert_string_equal (alert->owner_rep, "rep-ana");
    assert_string_equal (alert->owner_team, "team-north");
    assert_string_equal (alert->owner_region, "emea");
    s_fixture.firing_sequence = (int64_t) alert->alert_seq;
    int score = alert->score;
    salespulse__churn_alert__free_unpacked (alert, NULL);

    json_t *firing =
        s_lines ((const char *[]){ "alerts", "--firing", "--json", "--customer", CUSTOMER, NULL });
    json_t *found = NULL;
    size_t index;
    json_t *row;
    json_array_foreach (firing, index, row)
    {
        if (strcmp (s_text (row, "rule"), "overdue") == 0)
            found = row;
    }
    assert_non_null (found);
    assert_int_equal (s_integer (found, "alert_seq"), s_fixture.firing_sequence);
    assert_string_equal (s_text (found, "state"), "firing");
    assert_string_equal (s_text (found, "occurred_at"), "2025-08-17");
    assert_int_equal (s_integer (found, "score"), score);
    assert_int_equal (s_integer (found, "days_since_order"), 63);
    assert_string_equal (s_text (json_array_get (json_object_get (found, "factors"), 0), "measure"),
                         "recency");
    assert_string_equal (s_text (found, "owner_rep"), "rep-ana");
    assert_string_equal (s_text (found, "owner_team"), "team-north");
    assert_string_equal (s_text (found, "owner_region"), "emea");
    json_decref (firing);

    /* the owner filters: its region and team keep it, others do not */
    json_t *lines;
    found = s_firing ((const char *[]){ "alerts", "--firing", "--json", "--region", "emea", NULL },
                      "overdue", &lines);
    assert_non_null (found);
    assert_int_equal (s_integer (found, "alert_seq"), s_fixture.firing_sequence);
    json_decref (lines);
    found = s_firing (
        (const char *[]){ "alerts", "--json", "--team", "team-north", "--region", "emea", NULL },
        "overdue", &lines);
    assert_non_null (found);
    json_decref (lines);
    found = s_firing ((const char *[]){ "alerts", "--firing", "--json", "--region", "apac", NULL },
                      "overdue", &lines);
    assert_null (found);
    assert_int_equal (json_array_size (lines), 0);
    json_decref (lines);
    found = s_firing ((const char *[]){ "alerts", "--firing", "--json", "--team", "team-south",
                                        "--region", "emea", NULL },
                      "overdue", &lines);
    assert_null (found);
    json_decref (lines);
    if (s_salesctl ((const char *[]){ "alerts", "--firing", "--team", "team-north", NULL }, output,
                    sizeof output) != 0)
        fail_msg ("salesctl alerts --team: %s", output);
    assert_non_null (strstr (output, "overdue"));
    assert_non_null (strstr (output, "  rep rep-ana  team team-north  region emea"));
}

static void
test_ack_mutes_repeats (void **state)
{
    (void) state;
    assert_true (s_fixture.firing_sequence > 0);
    static char output[OUTPUT_SIZE];
    if (s_salesctl ((const char *[]){ "ack", CUSTOMER, "--rule", "overdue", "--until", "2025-09-30",
                                      "--note", "called them", "--by", "rep-ana", NULL },
                    output, sizeof output) != 0)
        fail_msg ("salesctl ack: %s", output);
    assert_non_null (strstr (output, "overdue"));
    /* an unknown customer has nothing firing */
    assert_int_not_equal (
        s_salesctl ((const char *[]){ "ack", "nobody", "--until", "2025-09-30", NULL }, output,
                    sizeof output),
        0);
    char events[EVENTS_SIZE] = "";
    /* late, and older than the June order: the owner stays */
    s_event_owned (events, sizeof events, "p-late", "payment_received", CUSTOMER, "2025-03-26",
                   "1.00", OWNER_LATE);
    s_tick (events, sizeof events, "2025-08-31");
    s_publish ("second.jsonl", events);
    s_wait_scored ("2025-08-30");
    /* four repeats fell due (08-20, 08-23, 08-26, 08-29): all muted */
    char topic[256];
    for (;;) {
        Salespulse__ChurnAlert *alert = s_receive (500, topic, sizeof topic);
        if (!alert)
            break;
        if (strcmp (alert->rule, "overdue") == 0)
            fail_msg ("overdue alert #%llu (%d) while acknowledged",
                      (unsigned long long) alert->alert_seq, (int) alert->action);
        salespulse__churn_alert__free_unpacked (alert, NULL);
    }
    assert_int_equal (s_query ("SELECT count(*) FROM churn_alerts WHERE customer_id = '" CUSTOMER
                               "' AND rule = 'overdue'"),
                      1);
}

static void
test_resolve_seen_once (void **state)
{
    (void) state;
    /* the subscriber goes away after the last alert it saw */
    assert_true (s_fixture.seen_count > 0);
    int64_t last_seen = s_fixture.seen[s_fixture.seen_count - 1];
    zsock_destroy (&s_fixture.subscriber);
    char events[EVENTS_SIZE] = "";
    s_event (events, sizeof events, "o7", "order_placed", CUSTOMER, "2025-09-01", "100.00");
    s_tick (events, sizeof events, "2025-09-05");
    s_publish ("third.jsonl", events);
    s_wait_scored ("2025-09-04");
    assert_int_equal (s_query ("SELECT count(*) FROM churn_alerts WHERE customer_id = '" CUSTOMER
                               "' AND rule = 'overdue' AND action = 'resolve' AND occurred_at = "
                               "date '2025-09-02'"),
                      1);
    int64_t total = s_query ("SELECT count(*) FROM churn_alerts");
    assert_int_equal (s_query ("SELECT max(alert_seq) FROM churn_alerts"), total);

    /* the subscriber comes back from the last alert_seq it saw */
    char after[32];
    snprintf (after, sizeof after, "%lld", (long long) last_seen);
    json_t *followed =
        s_lines ((const char *[]){ "alerts", "--follow", "--json", "--after", after, "--endpoint",
                                   s_fixture.alerts, "--timeout", FOLLOW_SECONDS, NULL });
    bool resolved = false;
    size_t index;
    json_t *row;
    json_array_foreach (followed, index, row)
    {
        /* each once, in order, right after what the first one saw */
        assert_int_equal (s_integer (row, "alert_seq"), last_seen + 1 + (int64_t) index);
        if (strcmp (s_text (row, "rule"), "overdue") == 0) {
            assert_string_equal (s_text (row, "state"), "resolved");
            assert_string_equal (s_text (row, "action"), "resolve");
            assert_string_equal (s_text (row, "occurred_at"), "2025-09-02");
            assert_string_equal (s_text (row, "fired_day"), "2025-08-17");
            assert_string_equal (s_text (row, "owner_rep"), "rep-ana");
            assert_string_equal (s_text (row, "owner_team"), "team-north");
            assert_string_equal (s_text (row, "owner_region"), "emea");
            resolved = true;
        }
    }
    assert_true (resolved);
    /* what the subscribers saw is the table: 1..total, once each */
    for (size_t seen = 0; seen < s_fixture.seen_count; seen++)
        assert_int_equal (s_fixture.seen[seen], (int64_t) seen + 1);
    assert_int_equal ((int64_t) s_fixture.seen_count + (int64_t) json_array_size (followed), total);
    json_decref (followed);

    /* nothing is published again */
    s_fixture.subscriber = zsock_new_sub (s_fixture.alerts, CHURN_ALERT_TOPIC_PREFIX);
    assert_non_null (s_fixture.subscriber);
    int64_t scorings =
        sp_harness_consumer_metric (s_fixture.http_port, "salespulse_churn_scorings_total");
    while (sp_harness_consumer_metric (s_fixture.http_port, "salespulse_churn_scorings_total") <
           scorings + 3)
        sp_harness_pause_ms (100);
    char topic[256];
    Salespulse__ChurnAlert *alert = s_receive (0, topic, sizeof topic);
    if (alert)
        fail_msg ("alert #%llu published again", (unsigned long long) alert->alert_seq);
    assert_int_equal (
        sp_harness_consumer_metric (s_fixture.http_port, "salespulse_churn_alerts_published_total"),
        total);
    assert_int_equal (
        sp_harness_consumer_metric (s_fixture.http_port, "salespulse_churn_scoring_errors_total"),
        0);
    assert_false (sp_harness_log_contains (s_fixture.log, "could not"));
}

/* A customer id "<prefix>-N" of partition, the first N from start. */
static void
s_id_in (char *id, size_t size, const char *prefix, uint32_t partition, int start)
{
    for (int index = start;; index++) {
        snprintf (id, size, "%s-%d", prefix, index);
        if (sp_partition_of (id, strlen (id), PARTITIONS) == partition)
            return;
    }
}

/* Waits until customer was scored up to day (YYYY-MM-DD). */
static void
s_wait_scored_customer (const char *customer, const char *day)
{
    char sql[256];
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM churn_customers WHERE customer_id = '%s' AND last_day = "
              "date '%s'",
              customer, day);
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (s_query (sql) != 1) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("%s was not scored up to %s in time", customer, day);
        sp_harness_pause_ms (100);
    }
}

/* Loads text as a document of kind and waits until the service scores
   under it (the revision it took). */
static void
s_load_live (const char *kind, const char *name, const char *text)
{
    char path[PATH_SIZE];
    static char output[OUTPUT_SIZE];
    assert_int_equal (
        sp_harness_consumer_file (s_fixture.stack->harness, name, text, path, sizeof path), 0);
    if (s_salesctl ((const char *[]){ "load", kind, path, NULL }, output, sizeof output) != 0)
        fail_msg ("salesctl load %s: %s", kind, output);
    char line[128];
    snprintf (line, sizeof line, "revision=%lld model=\"alerts-test\"",
              (long long) s_query ("SELECT max(revision) FROM reference_data"));
    assert_int_equal (sp_harness_wait_log (s_fixture.service, s_fixture.log, line, TIMEOUT_MS), 0);
}

static void
test_tiers_and_population (void **state)
{
    (void) state;
    uint32_t stop_partition = sp_partition_of (CUSTOMER, strlen (CUSTOMER), PARTITIONS);
    uint32_t partition = (stop_partition + 1) % PARTITIONS;
    char tiered[32], solo[32], ticker[32], customers[256];
    s_id_in (tiered, sizeof tiered, "tier", partition, 0);
    s_id_in (solo, sizeof solo, "solo", partition, 0);
    s_id_in (ticker, sizeof ticker, "ticker-q", partition, 0);
    s_load_live ("health", "model-tiers.json",
                 "{\"name\": \"alerts-test\", \"rules\": {\"consecutive_drops\": {\"enabled\": "
                 "false}, \"single_drop\": {\"enabled\": false}, \"repeat_periods\": 3}, "
                 "\"tiers\": {\"A\": {\"bands\": {\"red_max\": 98, \"yellow_max\": 99}}}}");
    snprintf (customers, sizeof customers,
              "{\"name\": \"accounts\", \"customers\": [{\"id\": \"%s\", \"tier\": \"A\"}]}",
              tiered);
    s_load_live ("customers", "customers.json", customers);

    static char events[EVENTS_SIZE];
    events[0] = '\0';
    static const char *const days[] = { "2025-01-10", "2025-02-09", "2025-03-11", "2025-04-10" };
    int next = 0;
    for (int copy = 0; copy < 5; copy++) {
        char pop[32], id[64];
        s_id_in (pop, sizeof pop, "pop", partition, next);
        next = (int) strtol (strchr (pop, '-') + 1, NULL, 10) + 1;
        for (size_t index = 0; index < 4; index++) {
            snprintf (id, sizeof id, "%s-o%zu", pop, index);
            s_event (events, sizeof events, id, "order_placed", pop, days[index], "50.00");
        }
    }
    s_event (events, sizeof events, "t-o1", "order_placed", tiered, "2025-03-21", "50.00");
    s_event (events, sizeof events, "t-o2", "order_placed", tiered, "2025-03-31", "50.00");
    s_event (events, sizeof events, "t-o3", "order_placed", tiered, "2025-04-10", "50.00");
    s_event (events, sizeof events, "s-o1", "order_placed", solo, "2025-04-10", "50.00");
    s_event (events, sizeof events, "q-tick", "payment_received", ticker, "2025-05-01", "1.00");
    s_publish ("tiers.jsonl", events);
    s_wait_scored_customer (tiered, "2025-04-30");
    s_wait_scored_customer (solo, "2025-04-30");

    /* the population's 20 days: solo-cust never red */
    char sql[256];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM churn_alerts WHERE customer_id = '%s'", solo);
    assert_int_equal (s_query (sql), 0);
    json_t *health = s_lines (
        (const char *[]){ "health", "--customer", solo, "--as-of", "2025-04-30", "--json", NULL });
    json_t *score = json_array_get (health, 0);
    assert_non_null (score);
    json_t *interval = json_object_get (score, "interval");
    assert_string_equal (s_text (interval, "source"), "population");
    assert_int_equal (s_integer (interval, "days"), 20);
    assert_int_equal (s_integer (score, "score"), 100);
    assert_string_equal (s_text (score, "band"), "green");
    assert_true (json_is_null (json_object_get (score, "tier")));
    json_decref (health);

    /* the tier's band edges: red above 50 */
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM churn_alerts WHERE customer_id = '%s' AND rule = 'red_entry' "
              "AND action = 'fire' AND band = 'red' AND score > 50",
              tiered);
    assert_int_equal (s_query (sql), 1);
    health = s_lines ((const char *[]){ "health", "--customer", tiered, "--as-of", "2025-04-30",
                                        "--json", NULL });
    score = json_array_get (health, 0);
    assert_non_null (score);
    assert_string_equal (s_text (score, "tier"), "A");
    assert_int_equal (s_integer (score, "score"), 54);
    assert_string_equal (s_text (score, "band"), "red");
    assert_string_equal (s_text (json_object_get (score, "interval"), "source"), "own");
    json_decref (health);
    assert_false (sp_harness_log_contains (s_fixture.log, "could not"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_overdue_fires),
        cmocka_unit_test (test_ack_mutes_repeats),
        cmocka_unit_test (test_resolve_seen_once),
        cmocka_unit_test (test_tiers_and_population),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
