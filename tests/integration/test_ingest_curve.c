/*  test_ingest_curve - activity-ingest with ZeroMQ CURVE (issue 14, part 2).

    activity-ingest runs with --curve-secret and --curve-clients; keys are
    made with `salesctl keys new`, and the public certificates of the
    listed ones copied into the clients folder, as docs/security.md tells
    an operator to. Then, through the real `salesctl publish`:
      - a publisher with an unknown key, and one without CURVE at all,
        store nothing (no event, no dead letter) and are told no reply came;
      - a listed key publishes;
      - a key limited to source "crm" publishing source "erp" is rejected
        with source_not_allowed, recorded as a dead letter with the reason;
    and on the bus, a SUB with a listed key receives the events while one
    with an unknown key, refused by the ZAP handler (the monitor event
    HANDSHAKE_FAILED_AUTH, status 400, is waited for, never a pause),
    receives nothing.
*/
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cmocka.h>
#include <czmq.h>

#include "bus.pb-c.h"
#include "sp_harness.h"
#include "sp_harness_pg.h"
#include "sp_pg.h"
#include "sp_zmq.h"

#define TEST_PARTITIONS 16
#define TEST_START_TIMEOUT_MS 60000 /* sanitizer builds start slowly */
#define TEST_STOP_TIMEOUT_MS 15000
#define TEST_RUN_TIMEOUT_MS 60000
#define TEST_OUTPUT_SIZE 8192
#define TEST_SETTING_SIZE (2 * PATH_MAX + 64)
#define TEST_DEADLINE_MS 20000   /* longest wait for an asynchronous outcome */
#define TEST_POLL_MS 200         /* one wait for a bus message */
#define TEST_AUTH_FAILED 400     /* ZAP status of a refused key */
#define TEST_EVENT_HEADER_SIZE 6 /* monitor event frame: 16-bit event, 32-bit value */
#define TEST_OCCURRED_AT "2017-05-03T10:00:00Z"

typedef struct {
    sp_harness_t *harness;         /* PostgreSQL */
    sp_pg_t *pg;                   /* to count what was stored */
    pid_t pid;                     /* activity-ingest */
    char keys[PATH_MAX];           /* every certificate made */
    char clients[PATH_MAX];        /* public certificates activity-ingest admits */
    char endpoint[64];             /* its ROUTER */
    char bus[64];                  /* its PUB */
    char stdout_path[PATH_MAX];    /* salesctl's output */
    char stderr_path[PATH_MAX];    /* salesctl's errors */
    char output[TEST_OUTPUT_SIZE]; /* the last salesctl run's stdout */
    char errors[TEST_OUTPUT_SIZE]; /* and stderr */
    int files;                     /* event files written, for unique names */
} s_fixture_t;

/* Runs salesctl with arguments and settings (NULL-terminated); returns
   its exit status, output and errors kept in the fixture. */
static int
s_salesctl (s_fixture_t *fixture, const char *const *settings, const char *const *arguments)
{
    char program[PATH_MAX];
    sp_harness_program ("salesctl", program, sizeof program);
    sp_harness_spawn_options_t options = { .settings = settings,
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

/* `salesctl keys new NAME [--sources sources] [--no-subscribe]` into
   keys (--no-subscribe for a name starting "publisher-"); with listed,
   the public certificate is copied into clients. */
static void
s_key (s_fixture_t *fixture, const char *name, const char *sources, bool listed)
{
    char dir[TEST_SETTING_SIZE];
    snprintf (dir, sizeof dir, "--dir=%s", fixture->keys);
    char limit[TEST_SETTING_SIZE];
    snprintf (limit, sizeof limit, "--sources=%s", sources ? sources : "");
    const char *arguments[7] = { "keys", "new", name, dir, NULL, NULL, NULL };
    size_t count = 4;
    if (sources)
        arguments[count++] = limit;
    if (strncmp (name, "publisher-", strlen ("publisher-")) == 0)
        arguments[count++] = "--no-subscribe";
    int status = s_salesctl (fixture, NULL, arguments);
    if (status != 0)
        fail_msg ("salesctl keys new %s: %s", name, fixture->errors);
    if (!listed)
        return;
    char from[PATH_MAX + 64], to[PATH_MAX + 64];
    snprintf (from, sizeof from, "%s/%s", fixture->keys, name);
    snprintf (to, sizeof to, "%s/%s", fixture->clients, name);
    char text[TEST_OUTPUT_SIZE];
    assert_int_equal (sp_harness_read_file (from, text, sizeof text), 0);
    FILE *file = fopen (to, "w");
    assert_non_null (file);
    assert_int_equal (fputs (text, file) >= 0, 1);
    fclose (file);
}

/* "SP_CURVE_SECRET=keys/NAME_secret" etc. into buffer. */
static const char *
s_setting (char *buffer, const char *variable, const char *dir, const char *file)
{
    snprintf (buffer, TEST_SETTING_SIZE, "%s=%s/%s", variable, dir, file);
    return buffer;
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    assert_non_null (fixture);
    fixture->harness = sp_harness_new (SP_HARNESS_POSTGRES);
    assert_non_null (fixture->harness);
    fixture->pg = sp_harness_pg_connect (fixture->harness, "test_ingest_curve", TEST_PARTITIONS);
    assert_non_null (fixture->pg);
    const char *dir = sp_harness_dir (fixture->harness);
    snprintf (fixture->keys, sizeof fixture->keys, "%s/keys", dir);
    snprintf (fixture->clients, sizeof fixture->clients, "%s/clients", dir);
    assert_int_equal (mkdir (fixture->keys, 0700), 0);
    assert_int_equal (mkdir (fixture->clients, 0700), 0);
    snprintf (fixture->stdout_path, sizeof fixture->stdout_path, "%s/salesctl.out", dir);
    snprintf (fixture->stderr_path, sizeof fixture->stderr_path, "%s/salesctl.err", dir);

    s_key (fixture, "activity-ingest", NULL, false);
    s_key (fixture, "any-source", NULL, true);
    s_key (fixture, "crm-feed", "crm", true);
    s_key (fixture, "reader", "", true);
    s_key (fixture, "stranger", NULL, false);
    s_key (fixture, "publisher-crm", "crm", true);

    assert_int_equal (sp_harness_free_endpoint (fixture->endpoint, sizeof fixture->endpoint), 0);
    assert_int_equal (sp_harness_free_endpoint (fixture->bus, sizeof fixture->bus), 0);
    char bus[96], secret[TEST_SETTING_SIZE], clients[TEST_SETTING_SIZE], log_path[PATH_MAX];
    snprintf (bus, sizeof bus, "SP_BUS_ENDPOINT=%s", fixture->bus);
    snprintf (clients, sizeof clients, "SP_CURVE_CLIENTS=%s", fixture->clients);
    snprintf (log_path, sizeof log_path, "%s/ingest.log", dir);
    fixture->pid = sp_harness_start_ingest (
        fixture->harness, fixture->endpoint,
        (const char *const[]){
            bus, s_setting (secret, "SP_CURVE_SECRET", fixture->keys, "activity-ingest_secret"),
            clients, NULL },
        log_path, TEST_START_TIMEOUT_MS);
    assert_true (fixture->pid > 0);
    assert_true (sp_harness_log_contains (log_path, "msg=\"zeromq curve on\""));
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (fixture->pid > 0)
        assert_int_equal (sp_harness_stop (fixture->pid, TEST_STOP_TIMEOUT_MS), 0);
    sp_pg_destroy (&fixture->pg);
    sp_harness_destroy (&fixture->harness);
    free (fixture);
    return 0;
}

/* Writes one call event of source per id into a new file; returns its path. */
static const char *
s_events (s_fixture_t *fixture, const char *const *ids, const char *const *sources, char *path)
{
    snprintf (path, PATH_MAX, "%s/events-%d.jsonl", sp_harness_dir (fixture->harness),
              fixture->files++);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    for (size_t index = 0; ids[index]; index++)
        fprintf (file,
                 "{\"event_id\": \"%s\", \"source\": \"%s\", \"type\": \"call\", "
                 "\"occurred_at\": \"" TEST_OCCURRED_AT "\", \"rep_id\": \"rep-ben\", "
                 "\"customer_id\": \"acme\", \"duration_seconds\": 60}\n",
                 ids[index], sources[index]);
    fclose (file);
    return path;
}

/* `salesctl publish --json FILE` as the key NAME (NULL: without CURVE). */
static int
s_publish (s_fixture_t *fixture, const char *name, const char *file)
{
    char endpoint[96], secret[TEST_SETTING_SIZE], server[TEST_SETTING_SIZE];
    char secret_file[PATH_MAX];
    snprintf (endpoint, sizeof endpoint, "SP_INGEST_ENDPOINT=%s", fixture->endpoint);
    snprintf (secret_file, sizeof secret_file, "%s_secret", name ? name : "");
    const char *const with_curve[] = {
        endpoint, s_setting (secret, "SP_CURVE_SECRET", fixture->keys, secret_file),
        s_setting (server, "SP_CURVE_SERVER", fixture->keys, "activity-ingest"), NULL
    };
    const char *const plain[] = { endpoint, NULL };
    return s_salesctl (fixture, name ? with_curve : plain,
                       (const char *const[]){ "publish", "--json", "--timeout", "1000",
                                              "--attempts", "2", file, NULL });
}

static int64_t
s_count (s_fixture_t *fixture, const char *sql)
{
    return sp_harness_pg_count (fixture->pg, sql);
}

/* An unknown key, and no CURVE at all, store nothing: the connection is
   refused before a request is read. A listed key then publishes. */
static void
test_unknown_publisher_stores_nothing (void **state)
{
    s_fixture_t *fixture = *state;
    char path[PATH_MAX];
    s_events (fixture, (const char *const[]){ "curve:forged:1", NULL },
              (const char *const[]){ "crm" }, path);
    int status = s_publish (fixture, "stranger", path);
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->errors, "no reply from"));
    status = s_publish (fixture, NULL, path);
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->errors, "no reply from"));
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM events"), 0);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM dead_letters"), 0);

    status = s_publish (fixture, "any-source", path);
    assert_int_equal (status, 0);
    assert_non_null (
        strstr (fixture->output, "{\"accepted\":1,\"duplicate\":0,\"conflict\":0,\"rejected\":0}"));
    assert_int_equal (
        s_count (fixture, "SELECT count(*) FROM events WHERE event_id = 'curve:forged:1'"), 1);
}

/* A key limited to "crm": its crm event is stored, its erp event is
   rejected with the reason and kept as a dead letter. */
static void
test_source_outside_the_key_is_rejected (void **state)
{
    s_fixture_t *fixture = *state;
    char path[PATH_MAX];
    s_events (fixture, (const char *const[]){ "curve:crm:1", "curve:erp:1", NULL },
              (const char *const[]){ "crm", "erp" }, path);
    int status = s_publish (fixture, "crm-feed", path);
    assert_int_equal (status, 1);
    assert_non_null (strstr (fixture->output,
                             "line 2: field \"source\": \"erp\" is not a source the publisher's "
                             "key \"crm-feed\" may publish (its sources: \"crm\") "
                             "(source_not_allowed)\n"));
    assert_non_null (
        strstr (fixture->output, "{\"accepted\":1,\"duplicate\":0,\"conflict\":0,\"rejected\":1}"));
    assert_int_equal (
        s_count (fixture, "SELECT count(*) FROM events WHERE event_id = 'curve:crm:1'"), 1);
    assert_int_equal (
        s_count (fixture, "SELECT count(*) FROM events WHERE event_id = 'curve:erp:1'"), 0);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM dead_letters WHERE event_id = "
                                        "'curve:erp:1' AND reason = 'source_not_allowed' AND "
                                        "field = 'source'"),
                      1);
    /* The subscriber's key ("" sources) may publish nothing. */
    s_events (fixture, (const char *const[]){ "curve:reader:1", NULL },
              (const char *const[]){ "crm" }, path);
    assert_int_equal (s_publish (fixture, "reader", path), 1);
    assert_non_null (strstr (fixture->output, "(source_not_allowed)"));
    assert_int_equal (
        s_count (fixture, "SELECT count(*) FROM events WHERE event_id = 'curve:reader:1'"), 0);
}

/* A SUB with the key of the test process's choice. */
static zsock_t *
s_subscriber (s_fixture_t *fixture, const char *name, sp_zmq_curve_t **curve_p)
{
    char secret[PATH_MAX + 64], server[PATH_MAX + 64];
    snprintf (secret, sizeof secret, "%s/%s_secret", fixture->keys, name);
    snprintf (server, sizeof server, "%s/activity-ingest", fixture->keys);
    sp_zmq_curve_settings_t settings = { .secret_path = secret, .server_path = server };
    char error[512] = "";
    *curve_p = sp_zmq_curve_new (&settings, error, sizeof error);
    if (!*curve_p)
        fail_msg ("sp_zmq_curve_new: %s", error);
    static const char *const everything[] = { "" };
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_SUB);
    options.curve = *curve_p;
    options.subscriptions = everything;
    options.subscription_count = 1;
    options.linger_ms = 0;
    zsock_t *socket = sp_zmq_socket_new (&options, error, sizeof error);
    if (!socket)
        fail_msg ("sp_zmq_socket_new: %s", error);
    return socket;
}

/* Waits for the monitor event kind; returns its value. */
static uint32_t
s_wait_event (zsock_t *monitor, uint16_t kind)
{
    int64_t deadline = sp_harness_now_ms () + TEST_DEADLINE_MS;
    zsock_set_rcvtimeo (monitor, TEST_POLL_MS);
    while (sp_harness_now_ms () < deadline) {
        zmsg_t *event = zmsg_recv (monitor);
        if (!event)
            continue;
        zframe_t *frame = zmsg_first (event);
        uint16_t got = 0;
        uint32_t value = 0;
        if (frame && zframe_size (frame) >= TEST_EVENT_HEADER_SIZE) {
            memcpy (&got, zframe_data (frame), sizeof got);
            memcpy (&value, zframe_data (frame) + sizeof got, sizeof value);
        }
        zmsg_destroy (&event);
        if (got == kind)
            return value;
    }
    fail_msg ("no monitor event 0x%x within %d ms", kind, TEST_DEADLINE_MS);
    return 0;
}

/* The bus: a listed subscriber receives every event published; one with
   an unknown key is refused by ZAP and receives nothing; a listed
   publisher's key made with --no-subscribe connects, but its subscription
   is refused and it receives nothing either. */
static void
test_unknown_subscriber_receives_nothing (void **state)
{
    s_fixture_t *fixture = *state;
    sp_zmq_curve_t *stranger_curve = NULL, *reader_curve = NULL;
    zsock_t *stranger = s_subscriber (fixture, "stranger", &stranger_curve);
    assert_int_equal (
        zmq_socket_monitor (zsock_resolve (stranger), "inproc://stranger-monitor", ZMQ_EVENT_ALL),
        0);
    zsock_t *monitor = zsock_new_pair (">inproc://stranger-monitor");
    assert_non_null (monitor);
    assert_int_equal (zsock_connect (stranger, "%s", fixture->bus), 0);
    assert_int_equal (s_wait_event (monitor, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), TEST_AUTH_FAILED);

    sp_zmq_curve_t *publisher_curve = NULL;
    zsock_t *publisher = s_subscriber (fixture, "publisher-crm", &publisher_curve);
    assert_int_equal (zmq_socket_monitor (zsock_resolve (publisher),
                                          "inproc://publisher-monitor", ZMQ_EVENT_ALL),
                      0);
    zsock_t *publisher_monitor = zsock_new_pair (">inproc://publisher-monitor");
    assert_non_null (publisher_monitor);
    assert_int_equal (zsock_connect (publisher, "%s", fixture->bus), 0);
    assert_int_equal (s_wait_event (publisher_monitor, ZMQ_EVENT_HANDSHAKE_SUCCEEDED), 0);

    zsock_t *reader = s_subscriber (fixture, "reader", &reader_curve);
    assert_int_equal (zsock_connect (reader, "%s", fixture->bus), 0);
    /* PUB/SUB drops what is sent before the subscription arrives: publish
       probes until the reader sees one. */
    char path[PATH_MAX], id[64];
    bool joined = false;
    int64_t deadline = sp_harness_now_ms () + TEST_DEADLINE_MS;
    for (int probe = 0; !joined && sp_harness_now_ms () < deadline; probe++) {
        snprintf (id, sizeof id, "curve:probe:%d", probe);
        s_events (fixture, (const char *const[]){ id, NULL }, (const char *const[]){ "crm" }, path);
        assert_int_equal (s_publish (fixture, "any-source", path), 0);
        zsock_set_rcvtimeo (reader, TEST_POLL_MS);
        zmsg_t *message = zmsg_recv (reader);
        joined = message != NULL;
        zmsg_destroy (&message);
    }
    assert_true (joined);
    while (zsock_events (reader) & ZMQ_POLLIN) {
        zmsg_t *message = zmsg_recv (reader);
        zmsg_destroy (&message);
    }
    s_events (fixture, (const char *const[]){ "curve:bus:last", NULL },
              (const char *const[]){ "crm" }, path);
    assert_int_equal (s_publish (fixture, "any-source", path), 0);
    zsock_set_rcvtimeo (reader, TEST_DEADLINE_MS);
    zmsg_t *message = zmsg_recv (reader);
    assert_non_null (message);
    assert_int_equal (zmsg_size (message), 2);
    zframe_t *payload = zmsg_last (message);
    Salespulse__BusEnvelope *envelope =
        salespulse__bus_envelope__unpack (NULL, zframe_size (payload), zframe_data (payload));
    assert_non_null (envelope);
    assert_string_equal (envelope->event->event_id, "curve:bus:last");
    salespulse__bus_envelope__free_unpacked (envelope, NULL);
    zmsg_destroy (&message);
    /* Everything the reader got, the stranger and the publisher's key never
       saw: activity-ingest says it refused the latter's subscription. */
    assert_false (zsock_events (stranger) & ZMQ_POLLIN);
    assert_false (zsock_events (publisher) & ZMQ_POLLIN);
    char log_path[PATH_MAX];
    snprintf (log_path, sizeof log_path, "%s/ingest.log", sp_harness_dir (fixture->harness));
    assert_true (sp_harness_log_contains (log_path, "msg=\"refused a subscription\" "
                                                    "key=\"publisher-crm\""));
    assert_true (s_count (fixture, "SELECT count(*) FROM events") >= 2);

    zsock_destroy (&publisher_monitor);
    sp_zmq_socket_destroy (&publisher);
    sp_zmq_curve_destroy (&publisher_curve);
    zsock_destroy (&monitor);
    sp_zmq_socket_destroy (&stranger);
    sp_zmq_socket_destroy (&reader);
    sp_zmq_curve_destroy (&stranger_curve);
    sp_zmq_curve_destroy (&reader_curve);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_unknown_publisher_stores_nothing, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_source_outside_the_key_is_rejected, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_unknown_subscriber_receives_nothing, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
