/*  test_ingest_writers - activity-ingest with several writer sessions.

    The real binary with SP_INGEST_WRITERS=4 over 16 partitions (writer g
    stores the partitions p with p % 4 == g), against the harness's
    PostgreSQL:

      - a request whose events fall in every group is split, stored by the
        four writers and acknowledged once, OK, after all four committed;
        every event is where its reply says;
      - one group's transaction fails (a test trigger refuses that group's
        rows): the request is refused RETRY_UNAVAILABLE although the other
        groups committed; the retry stores the rest, reports the part
        already stored as duplicate at the same place, and nothing is stored
        twice;
      - four concurrent publishers: every partition gap-free, ingested_at
        never decreasing along a partition's sequence, and the bus carries
        each partition's events in sequence order, none missing.

    Every wait is on an observable condition with a timeout.
*/
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <czmq.h>

#include "bus.pb-c.h"
#include "ingest.pb-c.h"
#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_pg.h"
#include "sp_harness_publisher.h"
#include "sp_harness_request.h"
#include "sp_pg.h"
#include "sp_proto.h"
#include "sp_zmq.h"

#define TEST_PARTITIONS 16
#define TEST_WRITERS 4
#define TEST_WRITERS_SETTING "SP_INGEST_WRITERS=4"
#define TEST_FAILING_GROUP 1    /* the group the trigger refuses */
#define TEST_SPLIT_EVENTS 64    /* events of the split request */
#define TEST_PUBLISHERS 4       /* concurrent publishers */
#define TEST_PER_PUBLISHER 3000 /* events each */
#define TEST_BATCH 100          /* events per request */
#define TEST_CUSTOMERS 97       /* distinct customers */
#define TEST_START_TIMEOUT_MS 60000
#define TEST_STOP_TIMEOUT_MS 30000
#define TEST_REPLY_TIMEOUT_MS 60000
#define TEST_PUBLISH_TIMEOUT_MS 300000
#define TEST_PROBE_WAIT_MS 200        /* wait for a probe before sending another */
#define TEST_PROBE_ATTEMPTS 100       /* 20 s in all */
#define TEST_RECEIVE_TIMEOUT_MS 30000 /* a bus message, once subscribed */
#define TEST_ENVELOPE_MAX (1024 * 1024)
#define TEST_TEXT_SIZE 128

typedef struct {
    sp_harness_t *harness;
    sp_pg_t *pg;
    char endpoint[TEST_TEXT_SIZE];     /* its ROUTER */
    char bus_endpoint[TEST_TEXT_SIZE]; /* its PUB */
    char log_path[PATH_MAX];
    pid_t pid;
    int probes; /* probe events sent so far */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness = sp_harness_pg_fixture ("test_ingest_writers", TEST_PARTITIONS, &fixture->pg);
    if (!fixture->harness ||
        sp_harness_free_endpoint (fixture->endpoint, sizeof fixture->endpoint) != 0)
        return -1;
    snprintf (fixture->bus_endpoint, sizeof fixture->bus_endpoint, "tcp://127.0.0.1:%d",
              sp_harness_free_port ());
    char bus[TEST_TEXT_SIZE + 32];
    snprintf (bus, sizeof bus, "SP_BUS_ENDPOINT=%s", fixture->bus_endpoint);
    snprintf (fixture->log_path, sizeof fixture->log_path, "%s/ingest.log",
              sp_harness_dir (fixture->harness));
    const char *const settings[] = { TEST_WRITERS_SETTING, bus, NULL };
    fixture->pid = sp_harness_start_ingest (fixture->harness, fixture->endpoint, settings,
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

static int
s_clear (void **state)
{
    s_fixture_t *fixture = *state;
    return sp_harness_pg_clear_events (fixture->pg);
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
    zsock_set_rcvtimeo (client, TEST_REPLY_TIMEOUT_MS);
    message = zmsg_recv (client);
    assert_non_null (message);
    frame = zmsg_pop (message);
    if (zframe_size (frame) == 0 && zmsg_size (message) > 0) {
        zframe_destroy (&frame);
        frame = zmsg_pop (message);
    }
    Salespulse__IngestReply *reply =
        salespulse__ingest_reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
    assert_non_null (reply);
    assert_int_equal (reply->request_id, request_id);
    zframe_destroy (&frame);
    zmsg_destroy (&message);
    return reply;
}

/* TEST_SPLIT_EVENTS events, one customer each: every partition gets some. */
static void
s_split_events (sp_event_t **events)
{
    for (size_t index = 0; index < TEST_SPLIT_EVENTS; index++) {
        char id[TEST_TEXT_SIZE], customer[TEST_TEXT_SIZE];
        snprintf (id, sizeof id, "split-%zu", index);
        snprintf (customer, sizeof customer, "customer-%zu", index);
        events[index] = sp_harness_call_event (id, customer, (uint32_t) index + 1);
        assert_non_null (events[index]);
    }
}

/* How many events sit at the partition and sequence the reply gave. */
static int64_t
s_stored_as_replied (s_fixture_t *fixture, sp_event_t **events,
                     const Salespulse__IngestReply *reply)
{
    int64_t found = 0;
    for (size_t index = 0; index < reply->n_outcomes; index++) {
        char sql[512];
        snprintf (sql, sizeof sql,
                  "SELECT count(*) FROM events WHERE event_id = '%s' AND partition = %u "
                  "AND sequence = %llu",
                  events[index]->event_id, reply->outcomes[index]->partition,
                  (unsigned long long) reply->outcomes[index]->sequence);
        found += sp_harness_pg_count (fixture->pg, sql);
    }
    return found;
}

/* The port of /metrics, from the service's log. */
static int
s_http_port (const s_fixture_t *fixture)
{
    int port = sp_harness_log_http_port (fixture->log_path);
    assert_true (port > 0);
    return port;
}

static void
test_split_request_acknowledged_once_all_committed (void **state)
{
    s_fixture_t *fixture = *state;
    sp_event_t *events[TEST_SPLIT_EVENTS];
    s_split_events (events);
    zsock_t *client = sp_harness_dealer (fixture->endpoint);
    assert_non_null (client);
    Salespulse__IngestReply *reply = s_call (client, 1, events, TEST_SPLIT_EVENTS);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (reply->n_outcomes, TEST_SPLIT_EVENTS);
    bool groups[TEST_WRITERS] = { false };
    for (size_t index = 0; index < reply->n_outcomes; index++) {
        assert_int_equal (reply->outcomes[index]->outcome, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED);
        groups[reply->outcomes[index]->partition % TEST_WRITERS] = true;
    }
    for (size_t group = 0; group < TEST_WRITERS; group++)
        assert_true (groups[group]);
    /* Acknowledged means committed: every part is in the log, as replied. */
    assert_int_equal (s_stored_as_replied (fixture, events, reply), TEST_SPLIT_EVENTS);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events"),
                      TEST_SPLIT_EVENTS);
    assert_int_equal (sp_harness_pg_partition_gaps (fixture->pg), 0);
    salespulse__ingest_reply__free_unpacked (reply, NULL);

    char body[65536];
    int port = s_http_port (fixture);
    assert_int_equal (sp_harness_wait_http (fixture->pid, port, "/metrics",
                                            "\nsalespulse_ingest_writers 4\n", body, sizeof body,
                                            TEST_STOP_TIMEOUT_MS),
                      0);
    assert_non_null (strstr (body, "\nsalespulse_ingest_split_requests_total 1\n"));
    zsock_destroy (&client);
    for (size_t index = 0; index < TEST_SPLIT_EVENTS; index++)
        sp_event_destroy (&events[index]);
}

static void
test_failed_part_refused_then_retry_stores_rest (void **state)
{
    s_fixture_t *fixture = *state;
    char sql[1024];
    snprintf (sql, sizeof sql,
              "CREATE FUNCTION test_refuse_group () RETURNS trigger LANGUAGE plpgsql AS $$ "
              "BEGIN IF NEW.partition %% %d = %d THEN "
              "RAISE EXCEPTION 'test: group %d refused'; END IF; RETURN NEW; END $$; "
              "CREATE TRIGGER test_refuse_group BEFORE INSERT ON events FOR EACH ROW "
              "EXECUTE FUNCTION test_refuse_group ();",
              TEST_WRITERS, TEST_FAILING_GROUP, TEST_FAILING_GROUP);
    sp_pg_result_t *result = sp_pg_exec_script (fixture->pg, sql);
    assert_true (sp_pg_result_ok (result));
    sp_pg_result_destroy (&result);

    sp_event_t *events[TEST_SPLIT_EVENTS];
    s_split_events (events);
    zsock_t *client = sp_harness_dealer (fixture->endpoint);
    assert_non_null (client);
    Salespulse__IngestReply *reply = s_call (client, 7, events, TEST_SPLIT_EVENTS);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_RETRY_UNAVAILABLE);
    assert_int_equal (reply->n_outcomes, 0);
    assert_non_null (strstr (reply->error, "part of the request was stored"));
    salespulse__ingest_reply__free_unpacked (reply, NULL);
    /* The other groups committed; the refused one stored nothing. */
    snprintf (sql, sizeof sql, "SELECT count(*) FROM events WHERE partition %% %d = %d",
              TEST_WRITERS, TEST_FAILING_GROUP);
    assert_int_equal (sp_harness_pg_count (fixture->pg, sql), 0);
    int64_t stored_first = sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events");
    assert_true (stored_first > 0 && stored_first < TEST_SPLIT_EVENTS);
    assert_int_equal (sp_harness_pg_partition_gaps (fixture->pg), 0);

    result = sp_pg_exec_script (fixture->pg, "DROP TRIGGER test_refuse_group ON events; "
                                             "DROP FUNCTION test_refuse_group ();");
    assert_true (sp_pg_result_ok (result));
    sp_pg_result_destroy (&result);

    /* The publisher retries the same request: the rest is stored, the part
       stored before comes back as duplicate, nothing twice. */
    reply = s_call (client, 7, events, TEST_SPLIT_EVENTS);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (reply->n_outcomes, TEST_SPLIT_EVENTS);
    int64_t accepted = 0, duplicate = 0;
    for (size_t index = 0; index < reply->n_outcomes; index++) {
        const Salespulse__EventOutcome *outcome = reply->outcomes[index];
        bool refused_group = outcome->partition % TEST_WRITERS == TEST_FAILING_GROUP;
        assert_int_equal (outcome->outcome, refused_group ? SALESPULSE__OUTCOME__OUTCOME_ACCEPTED
                                                          : SALESPULSE__OUTCOME__OUTCOME_DUPLICATE);
        accepted += outcome->outcome == SALESPULSE__OUTCOME__OUTCOME_ACCEPTED;
        duplicate += outcome->outcome == SALESPULSE__OUTCOME__OUTCOME_DUPLICATE;
    }
    assert_int_equal (duplicate, stored_first);
    assert_int_equal (accepted, TEST_SPLIT_EVENTS - stored_first);
    assert_int_equal (s_stored_as_replied (fixture, events, reply), TEST_SPLIT_EVENTS);
    salespulse__ingest_reply__free_unpacked (reply, NULL);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events"),
                      TEST_SPLIT_EVENTS);
    assert_int_equal (
        sp_harness_pg_count (fixture->pg, "SELECT count(DISTINCT event_id) FROM events"),
        TEST_SPLIT_EVENTS);
    assert_int_equal (sp_harness_pg_partition_gaps (fixture->pg), 0);
    zsock_destroy (&client);
    for (size_t index = 0; index < TEST_SPLIT_EVENTS; index++)
        sp_event_destroy (&events[index]);
}

/* Event index of publisher arg: spread over the customers. */
static sp_event_t *
s_publisher_event (size_t index, void *arg)
{
    size_t publisher = (size_t) (uintptr_t) arg;
    char id[TEST_TEXT_SIZE], customer[TEST_TEXT_SIZE];
    snprintf (id, sizeof id, "writers-%zu-%zu", publisher, index);
    snprintf (customer, sizeof customer, "customer-%zu",
              (index * TEST_PUBLISHERS + publisher) % TEST_CUSTOMERS);
    return sp_harness_call_event (id, customer, (uint32_t) (index % 600) + 1);
}

/* Receives one bus envelope, NULL after the socket's timeout. */
static Salespulse__BusEnvelope *
s_bus_receive (zsock_t *subscriber)
{
    zmsg_t *message = NULL;
    char error[256];
    if (sp_zmq_receive (subscriber, 2, 2, &message, error, sizeof error) != SP_ZMQ_RECEIVED)
        return NULL;
    zframe_t *payload = zmsg_last (message);
    Salespulse__BusEnvelope *envelope = (Salespulse__BusEnvelope *) sp_proto_unpack (
        &salespulse__bus_envelope__descriptor, zframe_data (payload), zframe_size (payload),
        TEST_ENVELOPE_MAX, NULL, NULL, error, sizeof error);
    zmsg_destroy (&message);
    assert_non_null (envelope);
    return envelope;
}

/* Subscribes to the whole bus and waits until a probe reaches it (PUB
   drops what it sends before the subscription arrives). Returns the
   subscriber and the last sequence seen per partition so far. */
static zsock_t *
s_subscribe (s_fixture_t *fixture, uint64_t *last)
{
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_SUB);
    options.endpoints = fixture->bus_endpoint;
    options.subscriptions = (const char *const[]){ "" };
    options.subscription_count = 1;
    options.receive_timeout_ms = TEST_PROBE_WAIT_MS;
    char error[256];
    zsock_t *subscriber = sp_zmq_socket_new (&options, error, sizeof error);
    assert_non_null (subscriber);
    zsock_t *client = sp_harness_dealer (fixture->endpoint);
    assert_non_null (client);
    bool subscribed = false;
    for (int attempt = 0; attempt < TEST_PROBE_ATTEMPTS && !subscribed; attempt++) {
        char id[TEST_TEXT_SIZE];
        snprintf (id, sizeof id, "probe-%d", fixture->probes++);
        sp_event_t *probe = sp_harness_call_event (id, "probe-customer", 1);
        assert_non_null (probe);
        Salespulse__IngestReply *reply = s_call (client, (uint64_t) 1000 + attempt, &probe, 1);
        assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
        salespulse__ingest_reply__free_unpacked (reply, NULL);
        sp_event_destroy (&probe);
        Salespulse__BusEnvelope *envelope;
        while ((envelope = s_bus_receive (subscriber))) {
            last[envelope->partition] = envelope->sequence;
            subscribed = true;
            sp_proto_free ((ProtobufCMessage **) &envelope);
        }
    }
    assert_true (subscribed);
    zsock_destroy (&client);
    zsock_set_rcvtimeo (subscriber, TEST_RECEIVE_TIMEOUT_MS);
    return subscriber;
}

static void
test_concurrent_publishers_gap_free_and_ordered (void **state)
{
    s_fixture_t *fixture = *state;
    uint64_t last[TEST_PARTITIONS] = { 0 };
    zsock_t *subscriber = s_subscribe (fixture, last);

    sp_harness_publisher_t *publishers[TEST_PUBLISHERS];
    for (size_t index = 0; index < TEST_PUBLISHERS; index++) {
        sp_harness_publisher_options_t options = { 0 };
        options.endpoint = fixture->endpoint;
        options.count = TEST_PER_PUBLISHER;
        options.batch = TEST_BATCH;
        options.timeout_ms = TEST_REPLY_TIMEOUT_MS;
        sp_ingest_client_options_init (&options.client);
        options.make_event = s_publisher_event;
        options.arg = (void *) (uintptr_t) index;
        publishers[index] = sp_harness_publisher_new (&options);
        assert_non_null (publishers[index]);
    }
    for (size_t index = 0; index < TEST_PUBLISHERS; index++) {
        char error[256] = "";
        int rc = sp_harness_publisher_wait (publishers[index], TEST_PUBLISH_TIMEOUT_MS, error,
                                            sizeof error);
        if (rc != 0)
            fprintf (stderr, "publisher %zu: %s\n", index, error);
        assert_int_equal (rc, 0);
        size_t acknowledged = 0, stored = 0;
        assert_int_equal (sp_harness_publisher_stored (
                              publishers[index], sp_harness_publisher_batches (publishers[index]),
                              fixture->pg, &acknowledged, &stored),
                          0);
        assert_int_equal (acknowledged, TEST_PER_PUBLISHER);
        assert_int_equal (stored, TEST_PER_PUBLISHER);
        sp_harness_publisher_destroy (&publishers[index]);
    }
    /* The log: gap-free, in commit order within each partition. */
    assert_int_equal (sp_harness_pg_partition_gaps (fixture->pg), 0);
    assert_int_equal (
        sp_harness_pg_count (fixture->pg,
                             "SELECT count(*) FROM (SELECT ingested_at < lag (ingested_at) OVER "
                             "(PARTITION BY partition ORDER BY sequence) AS back FROM events) "
                             "AS t WHERE back"),
        0);
    int64_t total = sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events");
    assert_int_equal (total, fixture->probes + TEST_PUBLISHERS * TEST_PER_PUBLISHER);

    /* The bus: each partition's events in sequence order, none missing. */
    size_t received = 0;
    while (received < TEST_PUBLISHERS * TEST_PER_PUBLISHER) {
        Salespulse__BusEnvelope *envelope = s_bus_receive (subscriber);
        assert_non_null (envelope);
        assert_true (envelope->partition < TEST_PARTITIONS);
        assert_int_equal (envelope->sequence, last[envelope->partition] + 1);
        last[envelope->partition] = envelope->sequence;
        received++;
        sp_proto_free ((ProtobufCMessage **) &envelope);
    }
    char sql[256];
    for (uint32_t partition = 0; partition < TEST_PARTITIONS; partition++) {
        snprintf (sql, sizeof sql,
                  "SELECT head_sequence FROM event_partitions WHERE partition = %u", partition);
        assert_int_equal (sp_harness_pg_count (fixture->pg, sql), (int64_t) last[partition]);
    }
    zsock_destroy (&subscriber);
}

/* More writers asked than partitions: the service starts with one writer
   per partition (a writer without a partition would never write), says
   so in its log and on /metrics, and stores a request over every
   partition. */
static void
test_more_writers_than_partitions_run_one_per_partition (void **state)
{
    s_fixture_t *fixture = *state;
    char endpoint[TEST_TEXT_SIZE];
    assert_int_equal (sp_harness_free_endpoint (endpoint, sizeof endpoint), 0);
    char bus[TEST_TEXT_SIZE + 32];
    snprintf (bus, sizeof bus, "SP_BUS_ENDPOINT=tcp://127.0.0.1:%d", sp_harness_free_port ());
    char log_path[PATH_MAX];
    snprintf (log_path, sizeof log_path, "%s/ingest-many-writers.log",
              sp_harness_dir (fixture->harness));
    const char *const settings[] = { "SP_INGEST_WRITERS=40", bus, NULL };
    pid_t pid = sp_harness_start_ingest (fixture->harness, endpoint, settings, log_path,
                                         TEST_START_TIMEOUT_MS);
    assert_true (pid > 0);
    assert_true (sp_harness_log_contains (log_path, "fewer partitions than writers"));
    int port = sp_harness_log_http_port (log_path);
    assert_true (port > 0);
    char body[65536];
    char expected[64];
    snprintf (expected, sizeof expected, "\nsalespulse_ingest_writers %d\n", TEST_PARTITIONS);
    assert_int_equal (sp_harness_wait_http (pid, port, "/metrics", expected, body, sizeof body,
                                            TEST_STOP_TIMEOUT_MS),
                      0);
    sp_event_t *events[TEST_SPLIT_EVENTS];
    s_split_events (events);
    zsock_t *client = sp_harness_dealer (endpoint);
    assert_non_null (client);
    Salespulse__IngestReply *reply = s_call (client, 1, events, TEST_SPLIT_EVENTS);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (s_stored_as_replied (fixture, events, reply), TEST_SPLIT_EVENTS);
    assert_int_equal (sp_harness_pg_partition_gaps (fixture->pg), 0);
    salespulse__ingest_reply__free_unpacked (reply, NULL);
    zsock_destroy (&client);
    for (size_t index = 0; index < TEST_SPLIT_EVENTS; index++)
        sp_event_destroy (&events[index]);
    assert_int_equal (sp_harness_stop (pid, TEST_STOP_TIMEOUT_MS), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_split_request_acknowledged_once_all_committed, s_clear),
        cmocka_unit_test_setup (test_failed_part_refused_then_retry_stores_rest, s_clear),
        cmocka_unit_test_setup (test_concurrent_publishers_gap_free_and_ordered, s_clear),
        cmocka_unit_test_setup (test_more_writers_than_partitions_run_one_per_partition, s_clear),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
