/*  test_ingest_bus - what a subscriber sees on activity-ingest's bus.

    After commit, every accepted event is published on the PUB socket as
    [topic "<type>.<partition>"][BusEnvelope]; duplicates and rejected
    events are not. A SUB socket here checks the envelope of each event
    against the acknowledgement the publisher got, and that a topic prefix
    subscription sees only its type.

    PUB/SUB drops messages sent before the subscription reaches the
    publisher (the slow-joiner effect), so each subscriber first waits for
    a probe event of its own, sent again until one arrives.
*/
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>
#include <czmq.h>

#include "bus.pb-c.h"
#include "ingest.pb-c.h"
#include "sp_event.h"
#include "sp_harness.h"
#include "sp_ingest_client.h"
#include "sp_migrate.h"
#include "sp_pg.h"
#include "sp_proto.h"
#include "sp_zmq.h"

#define TEST_PARTITIONS 16
#define TEST_START_TIMEOUT_MS 60000 /* sanitizer builds start slowly */
#define TEST_STOP_TIMEOUT_MS 15000
#define TEST_REPLY_TIMEOUT_MS 10000
#define TEST_PROBE_WAIT_MS 200  /* wait for a probe before sending another */
#define TEST_PROBE_ATTEMPTS 100 /* 20 s in all */
#define TEST_RECEIVE_TIMEOUT_MS 10000
#define TEST_BATCH 40 /* events per published batch */
#define TEST_ENVELOPE_MAX (1024 * 1024)
#define TEST_OCCURRED_AT INT64_C (1493805600000) /* 2017-05-03T10:00:00Z */

typedef struct {
    sp_harness_t *harness;    /* PostgreSQL + Redis */
    pid_t pid;                /* the activity-ingest process */
    char ingest_endpoint[64]; /* ROUTER the client connects to */
    char bus_endpoint[64];    /* PUB the subscribers connect to */
    sp_ingest_client_t *client;
    int probes; /* probe events sent so far, for unique ids */
} s_fixture_t;

static void
s_record_partitions (const sp_harness_t *harness)
{
    char migrations[PATH_MAX];
    snprintf (migrations, sizeof migrations, "%s/migrations", sp_harness_source_dir ());
    sp_pg_t *pg = sp_pg_new (sp_harness_postgres_url (harness), "test_ingest_bus");
    sp_migrate_t *migrate = sp_migrate_new (migrations);
    assert_non_null (pg);
    assert_non_null (migrate);
    assert_int_equal (sp_pg_connect (pg), 0);
    assert_int_equal (sp_migrate_set_partitions (migrate, pg, TEST_PARTITIONS, true, NULL),
                      TEST_PARTITIONS);
    sp_migrate_destroy (&migrate);
    sp_pg_destroy (&pg);
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    assert_non_null (fixture);
    fixture->harness = sp_harness_new (SP_HARNESS_POSTGRES | SP_HARNESS_REDIS);
    assert_non_null (fixture->harness);
    s_record_partitions (fixture->harness);

    snprintf (fixture->ingest_endpoint, sizeof fixture->ingest_endpoint, "tcp://127.0.0.1:%d",
              sp_harness_free_port ());
    snprintf (fixture->bus_endpoint, sizeof fixture->bus_endpoint, "tcp://127.0.0.1:%d",
              sp_harness_free_port ());
    char ingest[96], bus[96], program[PATH_MAX], log_path[PATH_MAX];
    snprintf (ingest, sizeof ingest, "SP_INGEST_ENDPOINT=%s", fixture->ingest_endpoint);
    snprintf (bus, sizeof bus, "SP_BUS_ENDPOINT=%s", fixture->bus_endpoint);
    sp_harness_program ("activity-ingest", program, sizeof program);
    snprintf (log_path, sizeof log_path, "%s/ingest.log", sp_harness_dir (fixture->harness));
    fixture->pid = sp_harness_spawn (fixture->harness, program,
                                     (const char *const[]){ ingest, bus, NULL }, log_path);
    assert_true (fixture->pid > 0);
    assert_int_equal (sp_harness_wait_log (fixture->pid, log_path, "msg=\"accepting requests\"",
                                           TEST_START_TIMEOUT_MS),
                      0);

    char error[256];
    fixture->client = sp_ingest_client_new (fixture->ingest_endpoint, NULL, error, sizeof error);
    assert_non_null (fixture->client);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    sp_ingest_client_destroy (&fixture->client);
    if (fixture->pid > 0) {
        kill (fixture->pid, SIGTERM);
        assert_int_equal (sp_harness_wait_exit (fixture->pid, TEST_STOP_TIMEOUT_MS), 0);
    }
    sp_harness_destroy (&fixture->harness);
    free (fixture);
    return 0;
}

/* A valid event of the given type for customer "bus-<customer>". */
static sp_event_t *
s_event (Salespulse__EventType type, const char *event_id, int customer)
{
    sp_event_t *event = sp_event_new (type);
    assert_non_null (event);
    char customer_id[32];
    int length = snprintf (customer_id, sizeof customer_id, "bus-%d", customer);
    assert_int_equal (sp_event_set_string (&event->event_id, event_id, strlen (event_id)), 0);
    assert_int_equal (sp_event_set_string (&event->source, "test", 4), 0);
    assert_int_equal (sp_event_set_string (&event->rep_id, "rep-1", 5), 0);
    assert_int_equal (sp_event_set_string (&event->customer_id, customer_id, (size_t) length), 0);
    assert_int_equal (sp_event_set_string (&event->opportunity_id, "opp-1", 5), 0);
    event->occurred_at = TEST_OCCURRED_AT;
    if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL)
        event->call->duration_seconds = 60;
    else if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST)
        assert_int_equal (sp_event_set_string (&event->deal_lost->reason, "price", 5), 0);
    return event;
}

/* Publishes events; returns the reply (caller frees with sp_proto_free). */
static Salespulse__IngestReply *
s_publish (s_fixture_t *fixture, sp_event_t *const *events, size_t count)
{
    Salespulse__IngestReply *reply = NULL;
    char error[256];
    assert_int_equal (sp_ingest_client_send (fixture->client, events, count, TEST_REPLY_TIMEOUT_MS,
                                             &reply, error, sizeof error),
                      SP_INGEST_CLIENT_OK);
    return reply;
}

/* Receives one bus message: checks its shape and returns the envelope. */
static Salespulse__BusEnvelope *
s_receive (zsock_t *subscriber, char *topic, size_t topic_size)
{
    zmsg_t *message = NULL;
    char error[256];
    if (sp_zmq_receive (subscriber, 2, 2, &message, error, sizeof error) != SP_ZMQ_RECEIVED)
        return NULL;
    zframe_t *topic_frame = zmsg_first (message);
    snprintf (topic, topic_size, "%.*s", (int) zframe_size (topic_frame),
              (const char *) zframe_data (topic_frame));
    zframe_t *payload = zmsg_next (message);
    Salespulse__BusEnvelope *envelope = (Salespulse__BusEnvelope *) sp_proto_unpack (
        &salespulse__bus_envelope__descriptor, zframe_data (payload), zframe_size (payload),
        TEST_ENVELOPE_MAX, NULL, NULL, error, sizeof error);
    zmsg_destroy (&message);
    assert_non_null (envelope);
    return envelope;
}

/* Connects a subscriber for prefix and waits until a probe event of type
   probe_type reaches it (sending new probes while none arrives). */
static zsock_t *
s_subscribe (s_fixture_t *fixture, const char *prefix, Salespulse__EventType probe_type)
{
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_SUB);
    options.endpoints = fixture->bus_endpoint;
    options.subscriptions = (const char *const[]){ prefix };
    options.subscription_count = 1;
    options.receive_timeout_ms = TEST_PROBE_WAIT_MS;
    char error[256];
    zsock_t *subscriber = sp_zmq_socket_new (&options, error, sizeof error);
    assert_non_null (subscriber);
    for (int attempt = 0; attempt < TEST_PROBE_ATTEMPTS; attempt++) {
        char event_id[64];
        snprintf (event_id, sizeof event_id, "probe-%d", fixture->probes++);
        sp_event_t *probe = s_event (probe_type, event_id, attempt);
        Salespulse__IngestReply *reply = s_publish (fixture, &probe, 1);
        sp_proto_free ((ProtobufCMessage **) &reply);
        sp_event_destroy (&probe);
        char topic[64];
        Salespulse__BusEnvelope *envelope = s_receive (subscriber, topic, sizeof topic);
        if (envelope) {
            /* Drain the other probes that may still arrive. */
            while (envelope) {
                sp_proto_free ((ProtobufCMessage **) &envelope);
                envelope = s_receive (subscriber, topic, sizeof topic);
            }
            zsock_set_rcvtimeo (subscriber, TEST_RECEIVE_TIMEOUT_MS);
            return subscriber;
        }
    }
    fail_msg ("no probe reached the subscriber of \"%s\"", prefix);
    return NULL;
}

/* Position of the event with event_id among events (fails the test when
   it is not there). */
static size_t
s_index_of (sp_event_t *const *events, size_t count, const char *event_id)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp (events[i]->event_id, event_id) == 0)
            return i;
    fail_msg ("event \"%s\" was not published by this test", event_id);
    return 0;
}

/* Every accepted event arrives once, in its envelope, matching its ack;
   a duplicate resend publishes nothing. */
static void
test_bus_carries_every_accepted_event (void **state)
{
    s_fixture_t *fixture = *state;
    zsock_t *subscriber = s_subscribe (fixture, "", SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL);

    sp_event_t *events[TEST_BATCH];
    for (int i = 0; i < TEST_BATCH; i++) {
        char event_id[64];
        snprintf (event_id, sizeof event_id, "bus-call-%d", i);
        events[i] = s_event (SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL, event_id, i);
    }
    Salespulse__IngestReply *reply = s_publish (fixture, events, TEST_BATCH);
    bool seen[TEST_BATCH] = { false };
    for (int received = 0; received < TEST_BATCH; received++) {
        char topic[64];
        Salespulse__BusEnvelope *envelope = s_receive (subscriber, topic, sizeof topic);
        assert_non_null (envelope);
        assert_non_null (envelope->event);
        size_t index = s_index_of (events, TEST_BATCH, envelope->event->event_id);
        assert_false (seen[index]);
        seen[index] = true;
        const Salespulse__EventOutcome *outcome = reply->outcomes[index];
        assert_int_equal (outcome->outcome, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED);
        assert_int_equal (envelope->partition, outcome->partition);
        assert_int_equal (envelope->sequence, outcome->sequence);
        char expected[64];
        snprintf (expected, sizeof expected, "call.%u", outcome->partition);
        assert_string_equal (topic, expected);
        assert_string_equal (envelope->topic, expected);
        assert_true (envelope->ingested_at > 0);
        assert_string_equal (envelope->event->customer_id, events[index]->customer_id);
        assert_int_equal (envelope->event->call->duration_seconds, 60);
        sp_proto_free ((ProtobufCMessage **) &envelope);
    }
    sp_proto_free ((ProtobufCMessage **) &reply);

    /* The same batch again: all duplicates, nothing on the bus. The next
       message must be the fresh event published after it. */
    reply = s_publish (fixture, events, TEST_BATCH);
    for (int i = 0; i < TEST_BATCH; i++)
        assert_int_equal (reply->outcomes[i]->outcome, SALESPULSE__OUTCOME__OUTCOME_DUPLICATE);
    sp_proto_free ((ProtobufCMessage **) &reply);
    sp_event_t *fresh = s_event (SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL, "bus-after", 1);
    reply = s_publish (fixture, &fresh, 1);
    char topic[64];
    Salespulse__BusEnvelope *envelope = s_receive (subscriber, topic, sizeof topic);
    assert_non_null (envelope);
    assert_string_equal (envelope->event->event_id, "bus-after");
    assert_int_equal (envelope->sequence, reply->outcomes[0]->sequence);
    sp_proto_free ((ProtobufCMessage **) &envelope);
    sp_proto_free ((ProtobufCMessage **) &reply);
    sp_event_destroy (&fresh);
    for (int i = 0; i < TEST_BATCH; i++)
        sp_event_destroy (&events[i]);
    sp_zmq_socket_destroy (&subscriber);
}

/* A subscriber of "deal_lost." sees deal_lost events only. */
static void
test_bus_topic_prefix_filters_by_type (void **state)
{
    s_fixture_t *fixture = *state;
    zsock_t *subscriber =
        s_subscribe (fixture, "deal_lost.", SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST);
    sp_event_t *events[4] = {
        s_event (SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL, "mix-call-1", 7),
        s_event (SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST, "mix-lost-1", 7),
        s_event (SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL, "mix-call-2", 8),
        s_event (SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST, "mix-lost-2", 8),
    };
    Salespulse__IngestReply *reply = s_publish (fixture, events, 4);
    /* The two deal_lost events, in either order (they may sit in different
       partitions); the calls between them never arrive. */
    bool seen_first = false, seen_second = false;
    for (int i = 0; i < 2; i++) {
        char topic[64];
        Salespulse__BusEnvelope *envelope = s_receive (subscriber, topic, sizeof topic);
        assert_non_null (envelope);
        assert_int_equal (strncmp (topic, "deal_lost.", strlen ("deal_lost.")), 0);
        if (strcmp (envelope->event->event_id, "mix-lost-1") == 0)
            seen_first = true;
        else if (strcmp (envelope->event->event_id, "mix-lost-2") == 0)
            seen_second = true;
        else
            fail_msg ("unexpected event \"%s\" on \"%s\"", envelope->event->event_id, topic);
        sp_proto_free ((ProtobufCMessage **) &envelope);
    }
    assert_true (seen_first && seen_second);
    sp_proto_free ((ProtobufCMessage **) &reply);
    for (int i = 0; i < 4; i++)
        sp_event_destroy (&events[i]);
    sp_zmq_socket_destroy (&subscriber);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bus_carries_every_accepted_event),
        cmocka_unit_test (test_bus_topic_prefix_filters_by_type),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
