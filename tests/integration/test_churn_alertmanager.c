/*  test_churn_alertmanager - churn alerts reach people through the real
    Prometheus Alertmanager (/usr/bin/prometheus-alertmanager, Debian's
    prometheus-alertmanager): what a person's receiver gets for one
    firing and one resolved alert.

    The test starts Alertmanager on a free loopback port (its storage in
    the harness's folder, clustering off) with one route grouping by
    customer and rule (group_wait 100ms, group_interval 500ms) to a
    webhook receiver with send_resolved: a small HTTP server inside this
    test (libmicrohttpd) that keeps every notification. churn-alerting
    runs with --clock event and --alertmanager-url pointing at it
    (interval 1 s, a generator URL naming the customer), events go
    through the real activity-ingest (salesctl publish), as in
    test_churn_alerts: cust-stop orders monthly from January to June 2025
    (the June order names rep-ana of team-north in emea) then stops; a
    ticker customer of its partition moves the watermark.

      - watermark 2025-08-18: the receiver gets the overdue alert of
        cust-stop FIRING: labels alertname, customer, rule, severity,
        region, team, rep; annotations score (the stored one), band,
        factors (recency first), days since the order and interval,
        fired day, summary; startsAt the second the FIRE was stored, no
        endsAt; the generator URL;
      - Alertmanager stops: the next resend fails, is counted and logged
        once; it starts again (it keeps alerts in memory only): within
        seconds it holds the firing alert again, from the resend, and
        the service logs that it sends again;
      - an order on 2025-09-01, watermark 2025-09-05: the receiver gets
        the same alert RESOLVED, endsAt the second the RESOLVE was stored,
        period 2025-09-02; the forwarder counted what it sent.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>

#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_partition.h"

#define PARTITIONS 4
#define TIMEOUT_MS 60000
#define ALERTMANAGER_START_MS 30000
#define OUTPUT_SIZE 65536
#define PATH_SIZE 4096
#define EVENTS_SIZE 8192
#define CONFIG_SIZE 2048
#define BODY_MAX (1024 * 1024)
#define ALERTMANAGER "/usr/bin/prometheus-alertmanager"
#define CUSTOMER "cust-stop"
#define RULE "overdue"
#define GENERATOR "https://crm.example.com/customers/{customer}"
#define OWNER "\"rep_id\": \"rep-ana\", \"team_id\": \"team-north\", \"region_id\": \"emea\", "
/* Alertmanager's firing alerts as JSON, those of cust-stop only. */
#define ALERTS_PATH "/api/v2/alerts?filter=customer%3D%22" CUSTOMER "%22"

/* The webhook receiver: every notification Alertmanager sent. */
typedef struct {
    struct MHD_Daemon *daemon; /* its server */
    int port;                  /* bound on 127.0.0.1 */
    pthread_mutex_t mutex;     /* guards received */
    json_t *received;          /* the notifications' bodies, in order */
} s_webhook_t;

/* One request's body as it comes in. */
typedef struct {
    char *data;    /* the bytes so far */
    size_t length; /* of them */
} s_upload_t;

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t service;
    int http_port;
    char alerts[SP_HARNESS_CONSUMER_ENDPOINT_SIZE];
    char log[PATH_SIZE];
    char ticker[64]; /* a customer of cust-stop's partition */
    pid_t alertmanager;
    int alertmanager_port;
    char alertmanager_log[PATH_SIZE];
    char alertmanager_config[PATH_SIZE];
    char alertmanager_storage[PATH_SIZE];
    s_webhook_t webhook;
} s_fixture_t;

static s_fixture_t s_fixture;

/* ---------------------------------------------------------------- webhook */

static void
s_on_completed (void *arg, struct MHD_Connection *connection, void **request,
                enum MHD_RequestTerminationCode code)
{
    (void) arg;
    (void) connection;
    (void) code;
    s_upload_t *upload = *request;
    if (upload) {
        free (upload->data);
        free (upload);
        *request = NULL;
    }
}

static enum MHD_Result
s_respond (struct MHD_Connection *connection, unsigned int status)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer (0, (void *) "", MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO;
    enum MHD_Result result = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return result;
}

/* POST /hook: keeps the body once it is all there. */
static enum MHD_Result
s_on_request (void *arg, struct MHD_Connection *connection, const char *url, const char *method,
              const char *version, const char *upload_data, size_t *upload_data_size,
              void **request)
{
    (void) version;
    s_webhook_t *webhook = arg;
    if (strcmp (method, MHD_HTTP_METHOD_POST) != 0 || strcmp (url, "/hook") != 0)
        return s_respond (connection, MHD_HTTP_NOT_FOUND);
    s_upload_t *upload = *request;
    if (!upload) {
        upload = calloc (1, sizeof *upload);
        *request = upload;
        return upload ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size > 0) {
        if (upload->length + *upload_data_size > BODY_MAX)
            return MHD_NO;
        char *grown = realloc (upload->data, upload->length + *upload_data_size + 1);
        if (!grown)
            return MHD_NO;
        memcpy (grown + upload->length, upload_data, *upload_data_size);
        upload->data = grown;
        upload->length += *upload_data_size;
        upload->data[upload->length] = '\0';
        *upload_data_size = 0;
        return MHD_YES;
    }
    json_t *body = upload->data ? json_loadb (upload->data, upload->length, 0, NULL) : NULL;
    if (!body)
        return s_respond (connection, MHD_HTTP_BAD_REQUEST);
    pthread_mutex_lock (&webhook->mutex);
    json_array_append_new (webhook->received, body);
    pthread_mutex_unlock (&webhook->mutex);
    return s_respond (connection, MHD_HTTP_OK);
}

static int
s_webhook_start (s_webhook_t *webhook)
{
    pthread_mutex_init (&webhook->mutex, NULL);
    webhook->received = json_array ();
    struct sockaddr_in address;
    memset (&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    webhook->daemon =
        MHD_start_daemon (MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, s_on_request, webhook,
                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &address,
                          MHD_OPTION_NOTIFY_COMPLETED, s_on_completed, NULL, MHD_OPTION_END);
    if (!webhook->daemon || !webhook->received)
        return -1;
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (webhook->daemon, MHD_DAEMON_INFO_BIND_PORT);
    webhook->port = info ? info->port : 0;
    return webhook->port > 0 ? 0 : -1;
}

static void
s_webhook_stop (s_webhook_t *webhook)
{
    if (webhook->daemon)
        MHD_stop_daemon (webhook->daemon);
    webhook->daemon = NULL;
    json_decref (webhook->received);
    webhook->received = NULL;
    pthread_mutex_destroy (&webhook->mutex);
}

static const char *
s_text (const json_t *object, const char *field)
{
    const char *value = json_string_value (json_object_get (object, field));
    return value ? value : "";
}

/* A copy of the first alert of cust-stop's rule RULE with status among
   the notifications received, its notification's receiver and status
   in *notification (a copy too); NULL when none came yet. */
static json_t *
s_received (const char *status, json_t **notification)
{
    json_t *found = NULL;
    pthread_mutex_lock (&s_fixture.webhook.mutex);
    size_t index;
    json_t *body;
    json_array_foreach (s_fixture.webhook.received, index, body)
    {
        size_t position;
        json_t *alert;
        json_array_foreach (json_object_get (body, "alerts"), position, alert)
        {
            json_t *labels = json_object_get (alert, "labels");
            if (!found && strcmp (s_text (alert, "status"), status) == 0 &&
                strcmp (s_text (labels, "customer"), CUSTOMER) == 0 &&
                strcmp (s_text (labels, "rule"), RULE) == 0) {
                found = json_deep_copy (alert);
                *notification = json_deep_copy (body);
            }
        }
    }
    pthread_mutex_unlock (&s_fixture.webhook.mutex);
    return found;
}

/* Waits for s_received (status); fails after the timeout. */
static json_t *
s_wait_received (const char *status, json_t **notification)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    for (;;) {
        json_t *alert = s_received (status, notification);
        if (alert)
            return alert;
        if (sp_harness_now_ms () > deadline)
            fail_msg ("the receiver got no %s " RULE " alert of " CUSTOMER, status);
        sp_harness_pause_ms (100);
    }
}

/* ---------------------------------------------------------------- servers */

static int
s_alertmanager_start (void)
{
    char listen[64], storage[PATH_SIZE + 32], config[PATH_SIZE + 32];
    snprintf (listen, sizeof listen, "--web.listen-address=127.0.0.1:%d",
              s_fixture.alertmanager_port);
    snprintf (storage, sizeof storage, "--storage.path=%s", s_fixture.alertmanager_storage);
    snprintf (config, sizeof config, "--config.file=%s", s_fixture.alertmanager_config);
    const char *const arguments[] = {
        config, storage, listen, "--cluster.listen-address=", "--log.level=info", NULL
    };
    sp_harness_spawn_options_t options = {
        .arguments = arguments,
        .stdout_path = s_fixture.alertmanager_log,
    };
    s_fixture.alertmanager =
        sp_harness_spawn_with (s_fixture.stack->harness, ALERTMANAGER, &options);
    if (s_fixture.alertmanager <= 0)
        return -1;
    char body[256];
    if (sp_harness_wait_http (s_fixture.alertmanager, s_fixture.alertmanager_port, "/-/ready", NULL,
                              body, sizeof body, ALERTMANAGER_START_MS) != 0) {
        fprintf (stderr, "alertmanager did not get ready: see %s\n", s_fixture.alertmanager_log);
        s_fixture.alertmanager = 0;
        return -1;
    }
    return 0;
}

static int
s_service_start (void)
{
    char alerts[128], url[128];
    snprintf (alerts, sizeof alerts, "SP_CHURN_ALERTS_ENDPOINT=%s", s_fixture.alerts);
    snprintf (url, sizeof url, "SP_CHURN_ALERTMANAGER_URL=http://127.0.0.1:%d",
              s_fixture.alertmanager_port);
    s_fixture.service = sp_harness_consumer_service (
        s_fixture.stack->harness, "churn-alerting", s_fixture.stack->bus, s_fixture.http_port,
        PARTITIONS,
        (const char *[]){ alerts, url, "SP_CHURN_ALERTMANAGER_INTERVAL_MS=1000",
                          "SP_CHURN_ALERTMANAGER_GENERATOR_URL=" GENERATOR, "SP_TIME_ZONE=UTC",
                          "SP_CONSUMER_POLL_MS=100", "SP_DEFINITIONS_CHECK_MS=200",
                          "SP_CHURN_SCORING_INTERVAL_MS=200", "SP_CHURN_CLOCK=event", NULL },
        (const char *[]){ "--currency", "GBP", NULL }, s_fixture.log, TIMEOUT_MS);
    return s_fixture.service > 0 ? 0 : -1;
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_churn_alertmanager", PARTITIONS, 0, TIMEOUT_MS);
    if (!s_fixture.stack)
        return -1;
    const char *dir = sp_harness_dir (s_fixture.stack->harness);
    s_fixture.http_port = sp_harness_free_port ();
    s_fixture.alertmanager_port = sp_harness_free_port ();
    if (s_fixture.http_port <= 0 || s_fixture.alertmanager_port <= 0 ||
        sp_harness_free_endpoint (s_fixture.alerts, sizeof s_fixture.alerts) != 0 ||
        s_webhook_start (&s_fixture.webhook) != 0)
        return -1;
    uint32_t partition = sp_partition_of (CUSTOMER, strlen (CUSTOMER), PARTITIONS);
    for (int index = 0;; index++) {
        snprintf (s_fixture.ticker, sizeof s_fixture.ticker, "ticker-%d", index);
        if (sp_partition_of (s_fixture.ticker, strlen (s_fixture.ticker), PARTITIONS) == partition)
            break;
    }
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/churn-alerting.log", dir);
    snprintf (s_fixture.alertmanager_log, sizeof s_fixture.alertmanager_log, "%s/alertmanager.log",
              dir);
    snprintf (s_fixture.alertmanager_storage, sizeof s_fixture.alertmanager_storage,
              "%s/alertmanager-data", dir);
    char config[CONFIG_SIZE];
    snprintf (config, sizeof config,
              "route:\n"
              "  receiver: people\n"
              "  group_by: [customer, rule]\n"
              "  group_wait: 100ms\n"
              "  group_interval: 500ms\n"
              "  repeat_interval: 1h\n"
              "receivers:\n"
              "  - name: people\n"
              "    webhook_configs:\n"
              "      - url: http://127.0.0.1:%d/hook\n"
              "        send_resolved: true\n",
              s_fixture.webhook.port);
    if (sp_harness_consumer_file (s_fixture.stack->harness, "alertmanager.yml", config,
                                  s_fixture.alertmanager_config,
                                  sizeof s_fixture.alertmanager_config) != 0)
        return -1;
    if (s_alertmanager_start () != 0)
        return -1;
    return s_service_start ();
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.service > 0)
        assert_int_equal (sp_harness_stop (s_fixture.service, TIMEOUT_MS), 0);
    if (s_fixture.alertmanager > 0)
        assert_int_equal (sp_harness_stop (s_fixture.alertmanager, TIMEOUT_MS), 0);
    s_webhook_stop (&s_fixture.webhook);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

/* ---------------------------------------------------------------- events */

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
s_event (char *events, size_t size, const char *id, const char *type, const char *customer,
         const char *day, const char *owner)
{
    size_t used = strlen (events);
    snprintf (events + used, size - used,
              "{\"event_id\": \"%s\", \"source\": \"shop\", \"type\": \"%s\", \"occurred_at\": "
              "\"%sT10:00:00Z\", %s\"customer_id\": \"%s\", \"currency\": \"GBP\", \"amount\": "
              "\"100.00\"}\n",
              id, type, day, owner, customer);
}

/* The ticker's payment on day: the partition's watermark moves there. */
static void
s_tick (char *events, size_t size, const char *day)
{
    char id[64];
    snprintf (id, sizeof id, "tick-%s", day);
    s_event (events, size, id, "payment_received", s_fixture.ticker, day, "");
}

/* One text of a query of the test's connection ("" when no row). */
static void
s_query (const char *sql, char *value, size_t size)
{
    sp_pg_result_t *result = sp_pg_exec (s_fixture.stack->pg, sql, 0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    snprintf (value, size, "%s",
              sp_pg_result_rows (result) == 1 ? sp_pg_result_value (result, 0, 0) : "");
    sp_pg_result_destroy (&result);
}

/* "YYYY-MM-DDTHH:MM:SS" (UTC) of cust-stop's overdue alert of action:
   the second the alert was stored. */
static void
s_stored_second (const char *action, char *value, size_t size)
{
    char sql[512];
    snprintf (sql, sizeof sql,
              "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM "
              "churn_alerts WHERE customer_id = '" CUSTOMER "' AND rule = '" RULE
              "' AND action = '%s'",
              action);
    s_query (sql, value, size);
    assert_true (*value);
}

static const char s_model[] =
    "{\"name\": \"alertmanager-test\", \"rules\": {\"consecutive_drops\": {\"enabled\": false}, "
    "\"single_drop\": {\"enabled\": false}, \"repeat_periods\": 3}}";

/* ---------------------------------------------------------------- tests */

static void
test_firing_reaches_people (void **state)
{
    (void) state;
    char path[PATH_SIZE];
    static char output[OUTPUT_SIZE];
    assert_int_equal (sp_harness_consumer_file (s_fixture.stack->harness, "model.json", s_model,
                                                path, sizeof path),
                      0);
    if (sp_harness_consumer_salesctl (s_fixture.stack->harness,
                                      (const char *[]){ "load", "health", path, NULL }, output,
                                      sizeof output, TIMEOUT_MS) != 0)
        fail_msg ("salesctl load health: %s", output);
    assert_int_equal (sp_harness_wait_log (s_fixture.service, s_fixture.log,
                                           "scoring under a new health model", TIMEOUT_MS),
                      0);
    assert_true (sp_harness_log_contains (s_fixture.log, "sending churn alerts to alertmanager"));
    char events[EVENTS_SIZE] = "";
    static const char *const months[] = { "01", "02", "03", "04", "05", "06" };
    for (size_t index = 0; index < 6; index++) {
        char id[32], day[16];
        snprintf (id, sizeof id, "o%zu", index + 1);
        snprintf (day, sizeof day, "2025-%s-15", months[index]);
        s_event (events, sizeof events, id, "order_placed", CUSTOMER, day, index == 5 ? OWNER : "");
        snprintf (id, sizeof id, "p%zu", index + 1);
        snprintf (day, sizeof day, "2025-%s-25", months[index]);
        s_event (events, sizeof events, id, "payment_received", CUSTOMER, day, "");
    }
    s_tick (events, sizeof events, "2025-08-18");
    s_publish ("first.jsonl", events);

    json_t *notification = NULL;
    json_t *alert = s_wait_received ("firing", &notification);
    assert_string_equal (s_text (notification, "receiver"), "people");
    assert_string_equal (s_text (notification, "version"), "4");
    json_t *labels = json_object_get (alert, "labels");
    assert_string_equal (s_text (labels, "alertname"), "ChurnAlert");
    assert_string_equal (s_text (labels, "severity"), "critical");
    assert_string_equal (s_text (labels, "region"), "emea");
    assert_string_equal (s_text (labels, "team"), "team-north");
    assert_string_equal (s_text (labels, "rep"), "rep-ana");
    assert_int_equal (json_object_size (labels), 7);
    json_t *annotations = json_object_get (alert, "annotations");
    char score[32];
    s_query ("SELECT score FROM churn_alerts WHERE customer_id = '" CUSTOMER "' AND rule = '" RULE
             "' AND action = 'fire'",
             score, sizeof score);
    assert_true (*score);
    assert_string_equal (s_text (annotations, "score"), score);
    assert_true (*s_text (annotations, "band"));
    assert_true (strncmp (s_text (annotations, "factors"), "recency ", 8) == 0);
    assert_string_equal (s_text (annotations, "days_since_order"), "63");
    assert_string_equal (s_text (annotations, "typical_interval_days"), "31");
    assert_string_equal (s_text (annotations, "fired_day"), "2025-08-17");
    assert_string_equal (s_text (annotations, "period"), "2025-08-17");
    assert_string_equal (s_text (annotations, "action"), "fire");
    assert_non_null (strstr (s_text (annotations, "summary"),
                             "customer " CUSTOMER ": " RULE " (critical) since 2025-08-17"));
    char stored[32];
    s_stored_second ("fire", stored, sizeof stored);
    assert_true (strncmp (s_text (alert, "startsAt"), stored, strlen (stored)) == 0);
    /* firing: Alertmanager shows no end */
    assert_string_equal (s_text (alert, "endsAt"), "0001-01-01T00:00:00Z");
    assert_string_equal (s_text (alert, "generatorURL"),
                         "https://crm.example.com/customers/" CUSTOMER);
    json_decref (alert);
    json_decref (notification);
    assert_true (sp_harness_consumer_metric (s_fixture.http_port,
                                             "salespulse_churn_alertmanager_forwarded_total") >= 1);
}

static void
test_resend_after_restart (void **state)
{
    (void) state;
    char body[OUTPUT_SIZE];
    int64_t failures = sp_harness_consumer_metric (s_fixture.http_port,
                                                   "salespulse_churn_alertmanager_failures_total");
    assert_int_equal (failures, 0);
    assert_int_equal (sp_harness_stop (s_fixture.alertmanager, TIMEOUT_MS), 0);
    s_fixture.alertmanager = 0;
    /* the next resend (every second) fails: counted and logged once */
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (sp_harness_consumer_metric (s_fixture.http_port,
                                       "salespulse_churn_alertmanager_failures_total") < 1) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("no failed send counted while alertmanager was down");
        sp_harness_pause_ms (100);
    }
    assert_int_equal (sp_harness_wait_log (s_fixture.service, s_fixture.log,
                                           "could not send churn alerts to alertmanager",
                                           TIMEOUT_MS),
                      0);
    assert_int_equal (s_alertmanager_start (), 0);
    /* it lost its alerts; the next resend brings the firing one back */
    assert_int_equal (sp_harness_wait_http (s_fixture.alertmanager, s_fixture.alertmanager_port,
                                            ALERTS_PATH, "\"rule\":\"" RULE "\"", body, sizeof body,
                                            TIMEOUT_MS),
                      0);
    assert_non_null (strstr (body, "\"state\":\"active\""));
    assert_int_equal (sp_harness_wait_log (s_fixture.service, s_fixture.log,
                                           "sending churn alerts to alertmanager again",
                                           TIMEOUT_MS),
                      0);
    assert_int_equal (sp_harness_consumer_log_count (s_fixture.log,
                                                     "could not send churn alerts to alertmanager"),
                      1);
}

static void
test_resolved_reaches_people (void **state)
{
    (void) state;
    char events[EVENTS_SIZE] = "";
    s_event (events, sizeof events, "o7", "order_placed", CUSTOMER, "2025-09-01", "");
    s_tick (events, sizeof events, "2025-09-05");
    s_publish ("second.jsonl", events);
    json_t *notification = NULL;
    json_t *alert = s_wait_received ("resolved", &notification);
    assert_string_equal (s_text (notification, "receiver"), "people");
    json_t *labels = json_object_get (alert, "labels");
    assert_string_equal (s_text (labels, "severity"), "critical");
    assert_string_equal (s_text (labels, "rep"), "rep-ana");
    json_t *annotations = json_object_get (alert, "annotations");
    assert_string_equal (s_text (annotations, "action"), "resolve");
    assert_string_equal (s_text (annotations, "period"), "2025-09-02");
    assert_string_equal (s_text (annotations, "fired_day"), "2025-08-17");
    assert_non_null (strstr (s_text (annotations, "summary"), RULE " resolved on 2025-09-02"));
    char stored[32];
    s_stored_second ("fire", stored, sizeof stored);
    assert_true (strncmp (s_text (alert, "startsAt"), stored, strlen (stored)) == 0);
    s_stored_second ("resolve", stored, sizeof stored);
    assert_true (strncmp (s_text (alert, "endsAt"), stored, strlen (stored)) == 0);
    json_decref (alert);
    json_decref (notification);
    int64_t resolved = -1;
    char metrics[OUTPUT_SIZE];
    int status = 0;
    assert_int_equal (
        sp_harness_http_get (s_fixture.http_port, "/metrics", &status, metrics, sizeof metrics), 0);
    const char *line =
        strstr (metrics, "salespulse_churn_alertmanager_forwarded_total{state=\"resolved\"} ");
    assert_non_null (line);
    resolved = strtoll (strchr (line, '}') + 2, NULL, 10);
    assert_true (resolved >= 1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_firing_reaches_people),
        cmocka_unit_test (test_resend_after_restart),
        cmocka_unit_test (test_resolved_reaches_people),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
