/*  test_ingest - activity-ingest end to end: the real binary against the
    harness's PostgreSQL and Redis, driven over its ROUTER socket.

    Covers the reply semantics (accepted, duplicate, conflict, rejected and
    the rows each leaves), malformed frames (service alive, BAD_REQUEST,
    zero rows), REQ and DEALER with and without a delimiter, the same
    10,000 events twice, a start and a healthy run without Redis, and a
    clean SIGTERM. Every wait is on an
    observable condition with a timeout.
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
#include <sys/wait.h>

#include <cmocka.h>
#include <czmq.h>

#include "ingest.pb-c.h"
#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_pg.h"
#include "sp_harness_publisher.h"
#include "sp_harness_request.h"

#define TEST_PARTITIONS 16
#define TEST_START_TIMEOUT_MS 60000
#define TEST_STOP_TIMEOUT_MS 30000
#define TEST_REPLY_TIMEOUT_MS 60000

typedef struct {
    sp_harness_t *harness;
    char log_path[PATH_MAX];
    char endpoint[64];
    pid_t pid;
    sp_pg_t *pg;
} s_fixture_t;

/* A valid call event for customer; id is its event_id. */
static sp_event_t *
s_event (const char *id, const char *customer, uint32_t seconds)
{
    sp_event_t *event = sp_harness_call_event (id, customer, seconds);
    assert_non_null (event);
    return event;
}

/* Receives one reply on a DEALER/REQ socket (skipping a delimiter). */
static Salespulse__IngestReply *
s_receive_reply (zsock_t *client)
{
    zsock_set_rcvtimeo (client, TEST_REPLY_TIMEOUT_MS);
    zmsg_t *message = zmsg_recv (client);
    assert_non_null (message);
    zframe_t *frame = zmsg_pop (message);
    if (zframe_size (frame) == 0 && zmsg_size (message) > 0) {
        zframe_destroy (&frame);
        frame = zmsg_pop (message);
    }
    assert_int_equal (zmsg_size (message), 0);
    Salespulse__IngestReply *reply =
        salespulse__ingest_reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
    assert_non_null (reply);
    zframe_destroy (&frame);
    zmsg_destroy (&message);
    return reply;
}

/* Sends events on a DEALER with a delimiter and waits for the reply. */
static Salespulse__IngestReply *
s_call (zsock_t *client, uint64_t request_id, sp_event_t **events, size_t count)
{
    zmsg_t *message = zmsg_new ();
    zmsg_addmem (message, NULL, 0);
    zframe_t *frame = sp_harness_request_frame (request_id, events, count);
    zmsg_append (message, &frame);
    assert_int_equal (zmsg_send (&message, client), 0);
    return s_receive_reply (client);
}

static zsock_t *
s_dealer (s_fixture_t *fixture)
{
    zsock_t *client = sp_harness_dealer (fixture->endpoint);
    assert_non_null (client);
    return client;
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness = sp_harness_pg_fixture ("test_ingest", TEST_PARTITIONS, &fixture->pg);
    if (!fixture->harness ||
        sp_harness_free_endpoint (fixture->endpoint, sizeof fixture->endpoint) != 0)
        return -1;
    snprintf (fixture->log_path, sizeof fixture->log_path, "%s/ingest.log",
              sp_harness_dir (fixture->harness));
    fixture->pid = sp_harness_start_ingest (fixture->harness, fixture->endpoint, NULL,
                                            fixture->log_path, TEST_START_TIMEOUT_MS);
    return fixture->pid > 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (fixture) {
        if (fixture->pid > 0)
            sp_harness_stop (fixture->pid, TEST_STOP_TIMEOUT_MS);
        sp_pg_destroy (&fixture->pg);
        sp_harness_destroy (&fixture->harness);
        free (fixture);
    }
    return 0;
}

/* Empties the log between tests. */
static int
s_clear (void **state)
{
    s_fixture_t *fixture = *state;
    return sp_harness_pg_clear_events (fixture->pg);
}

static void
test_ingest_outcomes (void **state)
{
    s_fixture_t *fixture = *state;
    zsock_t *client = s_dealer (fixture);

    sp_event_t *events[4] = { s_event ("t:1", "acme", 10), s_event ("t:2", "acme", 20),
                              s_event ("t:1", "acme", 10), s_event ("t:bad", "acme", 0) };
    Salespulse__IngestReply *reply = s_call (client, 7, events, 4);
    assert_int_equal (reply->request_id, 7);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (reply->n_outcomes, 4);
    assert_int_equal (reply->outcomes[0]->outcome, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED);
    assert_int_equal (reply->outcomes[0]->sequence, 1);
    assert_int_equal (reply->outcomes[1]->outcome, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED);
    assert_int_equal (reply->outcomes[1]->sequence, 2);
    assert_int_equal (reply->outcomes[1]->partition, reply->outcomes[0]->partition);
    /* The same event twice in one request: the second is a duplicate of the first. */
    assert_int_equal (reply->outcomes[2]->outcome, SALESPULSE__OUTCOME__OUTCOME_DUPLICATE);
    assert_int_equal (reply->outcomes[2]->sequence, 1);
    assert_int_equal (reply->outcomes[3]->outcome, SALESPULSE__OUTCOME__OUTCOME_REJECTED);
    assert_string_equal (reply->outcomes[3]->field, "duration_seconds");
    assert_int_equal (reply->outcomes[3]->reason,
                      SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD);
    uint32_t partition = reply->outcomes[0]->partition;
    salespulse__ingest_reply__free_unpacked (reply, NULL);

    /* Again, plus a conflicting reuse of t:2. */
    sp_event_t *again[2] = { s_event ("t:1", "acme", 10), s_event ("t:2", "acme", 99) };
    reply = s_call (client, 8, again, 2);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (reply->outcomes[0]->outcome, SALESPULSE__OUTCOME__OUTCOME_DUPLICATE);
    assert_int_equal (reply->outcomes[0]->partition, partition);
    assert_int_equal (reply->outcomes[0]->sequence, 1);
    assert_int_equal (reply->outcomes[1]->outcome, SALESPULSE__OUTCOME__OUTCOME_CONFLICT);
    assert_int_equal (reply->outcomes[1]->sequence, 2);
    salespulse__ingest_reply__free_unpacked (reply, NULL);

    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events"), 2);
    assert_int_equal (sp_harness_pg_count (fixture->pg,
                                           "SELECT count(*) FROM events WHERE content_hash = "
                                           "sha256(payload)"),
                      2);
    assert_int_equal (
        sp_harness_pg_count (fixture->pg, "SELECT max(head_sequence) FROM event_partitions"), 2);
    assert_int_equal (sp_harness_pg_count (fixture->pg,
                                           "SELECT count(*) FROM dead_letters WHERE event_id = "
                                           "'t:bad' AND field = 'duration_seconds' AND reason = "
                                           "'missing_field' AND length(raw) > 0"),
                      1);
    assert_int_equal (sp_harness_pg_count (fixture->pg,
                                           "SELECT count(*) FROM event_conflicts WHERE event_id = "
                                           "'t:2' AND content_hash = sha256(payload)"),
                      1);
    /* The original of t:2 is kept. */
    assert_int_equal (sp_harness_pg_count (fixture->pg,
                                           "SELECT count(*) FROM events e JOIN event_conflicts c "
                                           "USING (event_id) WHERE e.payload = c.payload"),
                      0);
    for (size_t i = 0; i < 4; i++)
        sp_event_destroy (&events[i]);
    for (size_t i = 0; i < 2; i++)
        sp_event_destroy (&again[i]);
    zsock_destroy (&client);
}

/* Sends raw frames on a DEALER and returns the reply. */
static Salespulse__IngestReply *
s_call_raw (zsock_t *client, zmsg_t **message_p)
{
    assert_int_equal (zmsg_send (message_p, client), 0);
    return s_receive_reply (client);
}

static void
test_ingest_malformed_frames (void **state)
{
    s_fixture_t *fixture = *state;
    zsock_t *client = s_dealer (fixture);
    const uint8_t garbage[] = { 0xff, 0xfe, 0x01, 0x99, 0x42, 0x00, 0x13 };

    /* Random bytes, no delimiter. */
    zmsg_t *message = zmsg_new ();
    zmsg_addmem (message, garbage, sizeof garbage);
    Salespulse__IngestReply *reply = s_call_raw (client, &message);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_non_null (strstr (reply->error, "malformed"));
    salespulse__ingest_reply__free_unpacked (reply, NULL);

    /* A truncated request. */
    sp_event_t *event = s_event ("m:1", "acme", 5);
    zframe_t *whole = sp_harness_request_frame (1, &event, 1);
    message = zmsg_new ();
    zmsg_addmem (message, NULL, 0);
    zmsg_addmem (message, zframe_data (whole), zframe_size (whole) - 3);
    reply = s_call_raw (client, &message);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    salespulse__ingest_reply__free_unpacked (reply, NULL);

    /* The wrong message type: an IngestReply. */
    Salespulse__IngestReply wrong = SALESPULSE__INGEST_REPLY__INIT;
    wrong.request_id = 5;
    wrong.status = SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK;
    uint8_t packed[64];
    size_t size = salespulse__ingest_reply__pack (&wrong, packed);
    message = zmsg_new ();
    zmsg_addmem (message, packed, size);
    reply = s_call_raw (client, &message);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    salespulse__ingest_reply__free_unpacked (reply, NULL);

    /* Extra frames after the request. */
    message = zmsg_new ();
    zmsg_addmem (message, NULL, 0);
    zmsg_addmem (message, zframe_data (whole), zframe_size (whole));
    zmsg_addstr (message, "extra");
    zmsg_addstr (message, "more");
    zmsg_addstr (message, "and more");
    reply = s_call_raw (client, &message);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (reply->error, "expected one frame holding an IngestRequest, got 4");
    salespulse__ingest_reply__free_unpacked (reply, NULL);

    /* An empty request. */
    message = zmsg_new ();
    zmsg_addmem (message, NULL, 0);
    zmsg_addmem (message, NULL, 0);
    reply = s_call_raw (client, &message);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (reply->error, "request holds no events");
    salespulse__ingest_reply__free_unpacked (reply, NULL);

    /* Oversize: ZMQ_MAXMSGSIZE drops the connection, no reply is possible. */
    zsock_t *big = s_dealer (fixture);
    size_t huge = 5 * 1024 * 1024;
    zframe_t *frame = zframe_new (NULL, huge);
    memset (zframe_data (frame), 0x0a, huge);
    assert_int_equal (zframe_send (&frame, big, 0), 0);
    zsock_destroy (&big);

    /* Still alive, still writing nothing: a REQ socket gets a good answer. */
    zsock_t *req = zsock_new (ZMQ_REQ);
    zsock_set_linger (req, 0);
    assert_int_equal (zsock_connect (req, "%s", fixture->endpoint), 0);
    assert_int_equal (zframe_send (&whole, req, 0), 0);
    reply = s_receive_reply (req);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (reply->outcomes[0]->outcome, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED);
    salespulse__ingest_reply__free_unpacked (reply, NULL);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events"), 1);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM dead_letters"), 0);
    assert_int_equal (waitpid (fixture->pid, NULL, WNOHANG), 0);
    zsock_destroy (&req);
    sp_event_destroy (&event);
    zsock_destroy (&client);
}

#define TEST_BIG_COUNT 10000
#define TEST_BIG_BATCH 1000

/* Publishes TEST_BIG_COUNT events in batches; counts outcome. */
static size_t
s_publish_all (s_fixture_t *fixture, Salespulse__Outcome expected)
{
    zsock_t *client = s_dealer (fixture);
    sp_event_t *events[TEST_BIG_BATCH];
    size_t matched = 0;
    for (size_t start = 0; start < TEST_BIG_COUNT; start += TEST_BIG_BATCH) {
        for (size_t i = 0; i < TEST_BIG_BATCH; i++) {
            char id[32], customer[32];
            snprintf (id, sizeof id, "big:%zu", start + i);
            snprintf (customer, sizeof customer, "customer-%zu", (start + i) % 97);
            events[i] = s_event (id, customer, (uint32_t) (1 + (start + i) % 600));
        }
        Salespulse__IngestReply *reply = s_call (client, start, events, TEST_BIG_BATCH);
        assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
        assert_int_equal (reply->n_outcomes, TEST_BIG_BATCH);
        for (size_t i = 0; i < reply->n_outcomes; i++)
            matched += reply->outcomes[i]->outcome == expected;
        salespulse__ingest_reply__free_unpacked (reply, NULL);
        for (size_t i = 0; i < TEST_BIG_BATCH; i++)
            sp_event_destroy (&events[i]);
    }
    zsock_destroy (&client);
    return matched;
}

static void
test_ingest_same_events_twice (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (s_publish_all (fixture, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED),
                      TEST_BIG_COUNT);
    assert_int_equal (s_publish_all (fixture, SALESPULSE__OUTCOME__OUTCOME_DUPLICATE),
                      TEST_BIG_COUNT);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events"),
                      TEST_BIG_COUNT);
    /* Gap-free: every partition holds exactly 1..head. */
    assert_int_equal (sp_harness_pg_partition_gaps (fixture->pg), 0);
}

/* activity-ingest keeps nothing in Redis: pointed at a Redis that is not
   there, it starts, stores events, and /healthz stays 200 across health
   checks, with no Redis in /healthz or /metrics. */
static void
test_ingest_runs_without_redis (void **state)
{
    s_fixture_t *fixture = *state;
    int http_port = sp_harness_free_port ();
    assert_true (http_port > 0);
    char endpoint[64], http[64], redis[64], log_path[PATH_MAX];
    assert_int_equal (sp_harness_free_endpoint (endpoint, sizeof endpoint), 0);
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", http_port);
    snprintf (redis, sizeof redis, "SP_REDIS_URL=redis://127.0.0.1:%d/0", sp_harness_free_port ());
    snprintf (log_path, sizeof log_path, "%s/ingest-without-redis.log",
              sp_harness_dir (fixture->harness));
    pid_t pid = sp_harness_start_ingest (fixture->harness, endpoint,
                                         (const char *const[]){ http, redis, NULL }, log_path,
                                         TEST_START_TIMEOUT_MS);
    assert_true (pid > 0);

    zsock_t *client = sp_harness_dealer (endpoint);
    assert_non_null (client);
    sp_event_t *event = s_event ("no-redis:1", "acme", 30);
    Salespulse__IngestReply *reply = s_call (client, 1, &event, 1);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (reply->outcomes[0]->outcome, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED);
    salespulse__ingest_reply__free_unpacked (reply, NULL);

    /* A second health check has run since the start: still healthy. */
    static char body[65536];
    assert_int_equal (
        sp_harness_wait_http (pid, http_port, "/metrics",
                              "salespulse_health_checks_total{dependency=\"postgres\","
                              "result=\"ok\"} 2",
                              body, sizeof body, TEST_START_TIMEOUT_MS),
        0);
    assert_null (strstr (body, "dependency=\"redis\""));
    int status = 0;
    assert_int_equal (sp_harness_http_get (http_port, "/healthz", &status, body, sizeof body), 0);
    assert_int_equal (status, 200);
    assert_non_null (strstr (body, "\"status\":\"ok\""));
    assert_null (strstr (body, "redis"));
    assert_false (sp_harness_log_contains (log_path, "redis"));

    sp_event_destroy (&event);
    zsock_destroy (&client);
    assert_int_equal (sp_harness_stop (pid, TEST_STOP_TIMEOUT_MS), 0);
}

/* SIGTERM: clean exit 0; the stop hook ran. Runs last. */
static void
test_ingest_stops_on_sigterm (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (kill (fixture->pid, SIGTERM), 0);
    assert_int_equal (sp_harness_wait_exit (fixture->pid, TEST_STOP_TIMEOUT_MS), 0);
    fixture->pid = 0;
    assert_true (sp_harness_log_contains (fixture->log_path, "msg=\"stopped reading requests\""));
    assert_true (sp_harness_log_contains (fixture->log_path, "msg=\"stopped\" exit_code=0"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_ingest_outcomes, s_clear),
        cmocka_unit_test_setup (test_ingest_malformed_frames, s_clear),
        cmocka_unit_test_setup (test_ingest_same_events_twice, s_clear),
        cmocka_unit_test_setup (test_ingest_runs_without_redis, s_clear),
        cmocka_unit_test (test_ingest_stops_on_sigterm),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
