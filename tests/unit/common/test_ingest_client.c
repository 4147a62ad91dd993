/*  test_ingest_client - the publisher client against a fake activity-ingest.

    The fake peer is a ROUTER in an actor thread, bound to
    tcp://127.0.0.1:* (a free port), that answers the requests it receives
    by a script, one step per request: reply OK, drop (no reply), answer a
    stale request_id first, send garbage first, reply without delimiter,
    answer RETRY_*, BAD_REQUEST or a malformed OK. It records what it
    received so tests check the framing and that a resend carries the same
    request_id and bytes. Timeouts here are the behaviour under test, kept
    short; nothing sleeps to synchronise: the peer's records are read
    through its pipe after the client has returned, waiting on the count
    with a deadline.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_event_json.h"
#include "sp_ingest_client.h"
#include "sp_log.h"
#include "sp_proto.h"
#include "sp_zmq.h"

#define ERROR_SIZE 512        /* error buffer used by every test */
#define PEER_STEPS_MAX 8      /* script length */
#define PEER_RECORDS_MAX 16   /* requests the peer remembers */
#define PEER_IDENTITY_MAX 64  /* bytes of a routing id kept */
#define PEER_PAYLOAD_MAX 4096 /* bytes of a payload kept */
#define PEER_ENDPOINT_MAX 256 /* room for the bound endpoint */
#define STALE_OFFSET 1000     /* request_id offset of the stale reply */
#define TIMEOUT_MS 5000       /* reply wait when the peer answers */
#define SHORT_TIMEOUT_MS 100  /* reply wait when the peer drops a request */
#define DEADLINE_MS 10000     /* longest wait for the peer's records */
#define POLL_MS 10            /* one wait while polling the peer */
#define PARTITIONS 4          /* partitions in the fake outcomes */
#define EVENT_COUNT 3         /* events in the test batch */
#define TINY_REQUEST_LIMIT 16 /* max_request_size no batch fits in */

/* Stands for "not written": outputs must keep it after a failure. */
static char s_sentinel_byte;
#define SENTINEL ((Salespulse__IngestReply *) (void *) &s_sentinel_byte)

/* What the fake peer does with one request. */
typedef enum {
    STEP_DROP = 0,          /* no reply (also after the script ends) */
    STEP_OK,                /* OK, one ACCEPTED outcome per event */
    STEP_STALE_THEN_OK,     /* OK for another request_id, then OK */
    STEP_GARBAGE_THEN_BARE, /* unreadable bytes, then OK without delimiter */
    STEP_OVERLOADED,        /* RETRY_OVERLOADED */
    STEP_UNAVAILABLE,       /* RETRY_UNAVAILABLE */
    STEP_BAD_REQUEST,       /* BAD_REQUEST with a reason */
    STEP_WRONG_COUNT,       /* OK with one outcome too few */
} step_t;

/* One request as the peer saw it. */
typedef struct {
    size_t frames;                     /* frames after the identity */
    bool empty_delimiter;              /* frame 1 was empty */
    uint64_t request_id;               /* unpacked request_id */
    size_t events;                     /* events in the request */
    char identity[PEER_IDENTITY_MAX];  /* routing id, hex */
    uint8_t payload[PEER_PAYLOAD_MAX]; /* the packed request */
    size_t payload_size;               /* its size */
} record_t;

/* The fake activity-ingest: script in, records out. */
typedef struct {
    step_t steps[PEER_STEPS_MAX];       /* what to do with request i */
    size_t step_count;                  /* steps in the script */
    char endpoint[PEER_ENDPOINT_MAX];   /* where it listens */
    record_t records[PEER_RECORDS_MAX]; /* requests received */
    size_t record_count;                /* requests received (may exceed the records kept) */
    zactor_t *actor;                    /* the thread */
} peer_t;

/* Sends [identity][empty][reply] (or without the empty frame). */
static void
s_peer_reply (zsock_t *router, zframe_t *identity, const Salespulse__IngestReply *reply,
              bool delimiter)
{
    char error[ERROR_SIZE] = "";
    zmsg_t *message = zmsg_new ();
    zframe_t *copy = zframe_dup (identity);
    zmsg_append (message, &copy);
    if (delimiter)
        zmsg_addmem (message, NULL, 0);
    zframe_t *packed = sp_proto_frame_new (&reply->base, SP_PROTO_NO_LIMIT, error, sizeof error);
    assert_non_null (packed);
    zmsg_append (message, &packed);
    sp_zmq_send (router, &message, error, sizeof error); /* a gone peer is fine */
}

/* Replies with status and, for OK, count outcomes (ACCEPTED). */
static void
s_peer_status (zsock_t *router, zframe_t *identity, uint64_t request_id,
               Salespulse__ReplyStatus status, size_t count, const char *why, bool delimiter)
{
    Salespulse__IngestReply reply = SALESPULSE__INGEST_REPLY__INIT;
    reply.request_id = request_id;
    reply.status = status;
    reply.error = (char *) (why ? why : "");
    Salespulse__EventOutcome outcomes[PEER_RECORDS_MAX];
    Salespulse__EventOutcome *list[PEER_RECORDS_MAX];
    assert_true (count <= PEER_RECORDS_MAX);
    for (size_t i = 0; i < count; i++) {
        salespulse__event_outcome__init (&outcomes[i]);
        outcomes[i].index = (uint32_t) i;
        outcomes[i].outcome = SALESPULSE__OUTCOME__OUTCOME_ACCEPTED;
        outcomes[i].partition = (uint32_t) (i % PARTITIONS);
        outcomes[i].sequence = i + 1;
        list[i] = &outcomes[i];
    }
    reply.n_outcomes = count;
    reply.outcomes = list;
    s_peer_reply (router, identity, &reply, delimiter);
}

/* Handles one request from the ROUTER by the script. */
static void
s_peer_handle (peer_t *peer, zsock_t *router)
{
    zmsg_t *message = zmsg_recv (router);
    if (!message)
        return;
    zframe_t *identity = zmsg_pop (message);
    size_t index = peer->record_count++;
    record_t *record = index < PEER_RECORDS_MAX ? &peer->records[index] : NULL;
    uint64_t request_id = 0;
    size_t events = 0;
    zframe_t *payload = zmsg_last (message);
    char error[ERROR_SIZE] = "";
    ProtobufCMessage *unpacked =
        payload ? sp_proto_frame_unpack (&salespulse__ingest_request__descriptor, payload,
                                         SP_PROTO_NO_LIMIT, NULL, NULL, error, sizeof error)
                : NULL;
    if (unpacked) {
        request_id = ((Salespulse__IngestRequest *) unpacked)->request_id;
        events = ((Salespulse__IngestRequest *) unpacked)->n_events;
        sp_proto_free (&unpacked);
    }
    if (record) {
        record->frames = zmsg_size (message);
        record->empty_delimiter =
            zmsg_size (message) == 2 && zframe_size (zmsg_first (message)) == 0;
        record->request_id = request_id;
        record->events = events;
        char *hex = zframe_strhex (identity);
        snprintf (record->identity, sizeof record->identity, "%s", hex);
        free (hex);
        record->payload_size = payload ? zframe_size (payload) : 0;
        if (record->payload_size <= PEER_PAYLOAD_MAX && payload)
            memcpy (record->payload, zframe_data (payload), record->payload_size);
    }
    step_t step = index < peer->step_count ? peer->steps[index] : STEP_DROP;
    const Salespulse__ReplyStatus ok = SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK;
    switch (step) {
        case STEP_DROP:
            break;
        case STEP_OK:
            s_peer_status (router, identity, request_id, ok, events, NULL, true);
            break;
        case STEP_STALE_THEN_OK:
            s_peer_status (router, identity, request_id + STALE_OFFSET, ok, 1, NULL, true);
            s_peer_status (router, identity, request_id, ok, events, NULL, true);
            break;
        case STEP_GARBAGE_THEN_BARE: {
            zmsg_t *garbage = zmsg_new ();
            zframe_t *copy = zframe_dup (identity);
            zmsg_append (garbage, &copy);
            zmsg_addmem (garbage, NULL, 0);
            zmsg_addmem (garbage, "\xff\xff\xff\xff", 4);
            sp_zmq_send (router, &garbage, error, sizeof error);
            s_peer_status (router, identity, request_id, ok, events, NULL, false);
            break;
        }
        case STEP_OVERLOADED:
            s_peer_status (router, identity, request_id,
                           SALESPULSE__REPLY_STATUS__REPLY_STATUS_RETRY_OVERLOADED, 0,
                           "too many requests in flight", true);
            break;
        case STEP_UNAVAILABLE:
            s_peer_status (router, identity, request_id,
                           SALESPULSE__REPLY_STATUS__REPLY_STATUS_RETRY_UNAVAILABLE, 0,
                           "database unavailable", true);
            break;
        case STEP_BAD_REQUEST:
            s_peer_status (router, identity, request_id,
                           SALESPULSE__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, 0,
                           "too many events: 3, at most 2", true);
            break;
        case STEP_WRONG_COUNT:
            s_peer_status (router, identity, request_id, ok, events - 1, NULL, true);
            break;
    }
    zframe_destroy (&identity);
    zmsg_destroy (&message);
}

/* The peer thread: binds, signals, serves until $TERM. "COUNT" on the
   pipe answers the number of requests received so far. */
static void
s_peer_actor (zsock_t *pipe, void *args)
{
    peer_t *peer = args;
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_ROUTER);
    options.endpoints = "@tcp://127.0.0.1:*";
    options.linger_ms = 0;
    char error[ERROR_SIZE] = "";
    zsock_t *router = sp_zmq_socket_new (&options, error, sizeof error);
    if (!router) {
        zsock_signal (pipe, 1);
        return;
    }
    snprintf (peer->endpoint, sizeof peer->endpoint, "%s", sp_zmq_endpoint (router));
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    bool running = true;
    while (running) {
        void *which = zpoller_wait (poller, -1);
        if (which == router)
            s_peer_handle (peer, router);
        else if (which == pipe) {
            char *command = zstr_recv (pipe);
            if (!command || streq (command, "$TERM"))
                running = false;
            else if (streq (command, "COUNT"))
                zstr_sendf (pipe, "%zu", peer->record_count);
            free (command);
        }
        else
            running = false;
    }
    zpoller_destroy (&poller);
    sp_zmq_socket_destroy (&router);
}

/* Starts a peer running the given script (terminated by count). */
static peer_t *
s_peer_new (const step_t *steps, size_t count)
{
    peer_t *peer = calloc (1, sizeof *peer);
    assert_non_null (peer);
    assert_true (count <= PEER_STEPS_MAX);
    if (count > 0)
        memcpy (peer->steps, steps, count * sizeof *steps);
    peer->step_count = count;
    peer->actor = zactor_new (s_peer_actor, peer);
    assert_non_null (peer->actor);
    assert_true (peer->endpoint[0] != '\0');
    return peer;
}

/* Waits until the peer has received expected requests; returns the
   count seen (expected, unless the deadline passed). */
static size_t
s_peer_wait_count (peer_t *peer, size_t expected)
{
    size_t count = 0;
    for (int64_t deadline = zclock_mono () + DEADLINE_MS; zclock_mono () < deadline;) {
        zstr_send (peer->actor, "COUNT");
        char *text = zstr_recv (peer->actor);
        assert_non_null (text);
        count = (size_t) strtoull (text, NULL, 10);
        free (text);
        if (count >= expected)
            break;
        zclock_sleep (POLL_MS);
    }
    return count;
}

/* Stops the peer; its records stay readable until free. */
static void
s_peer_stop (peer_t *peer)
{
    zactor_destroy (&peer->actor);
}

static void
s_peer_destroy (peer_t **peer_p)
{
    if ((*peer_p)->actor)
        s_peer_stop (*peer_p);
    free (*peer_p);
    *peer_p = NULL;
}

/* A batch of EVENT_COUNT valid events. */
typedef struct {
    sp_event_t *events[EVENT_COUNT]; /* owned */
} batch_t;

static void
s_batch_init (batch_t *batch)
{
    for (size_t i = 0; i < EVENT_COUNT; i++) {
        char text[ERROR_SIZE];
        snprintf (text, sizeof text,
                  "{\"event_id\": \"cc:call:%zu\", \"source\": \"call-centre\", \"type\": "
                  "\"call\", \"occurred_at\": \"2017-05-04T08:15:00Z\", \"rep_id\": \"rep-ben\", "
                  "\"customer_id\": \"acme\", \"duration_seconds\": %zu}",
                  i, 60 + i);
        sp_event_error_t error;
        batch->events[i] = sp_event_from_json (text, strlen (text), &error);
        assert_non_null (batch->events[i]);
    }
}

static void
s_batch_fini (batch_t *batch)
{
    for (size_t i = 0; i < EVENT_COUNT; i++)
        sp_event_destroy (&batch->events[i]);
}

/* Options with quick backoff so retry tests stay fast. */
static sp_ingest_client_options_t
s_options (int attempts)
{
    sp_ingest_client_options_t options;
    sp_ingest_client_options_init (&options);
    options.attempts = attempts;
    options.backoff_ms = 1;
    options.backoff_max_ms = 4;
    return options;
}

static sp_ingest_client_t *
s_client (const peer_t *peer, int attempts)
{
    sp_ingest_client_options_t options = s_options (attempts);
    char error[ERROR_SIZE] = "";
    sp_ingest_client_t *client =
        sp_ingest_client_new (peer->endpoint, &options, error, sizeof error);
    if (!client)
        fail_msg ("sp_ingest_client_new: %s", error);
    return client;
}

/* What most tests start from: a scripted peer, a client of it with quick
   backoff, the test batch and room for an error. */
typedef struct {
    peer_t *peer;               /* the fake activity-ingest */
    sp_ingest_client_t *client; /* connected to peer */
    batch_t batch;              /* EVENT_COUNT events */
    char error[ERROR_SIZE];     /* the last send's error, "" before */
} rig_t;

static void
s_rig_init (rig_t *rig, const step_t *steps, size_t step_count, int attempts)
{
    rig->peer = s_peer_new (steps, step_count);
    rig->client = s_client (rig->peer, attempts);
    s_batch_init (&rig->batch);
    rig->error[0] = '\0';
}

static void
s_rig_fini (rig_t *rig)
{
    sp_ingest_client_destroy (&rig->client);
    s_batch_fini (&rig->batch);
    s_peer_destroy (&rig->peer);
}

/* Sends the first count events of the batch. */
static sp_ingest_client_result_t
s_rig_send (rig_t *rig, size_t count, int timeout_ms, Salespulse__IngestReply **reply_p)
{
    return sp_ingest_client_send (rig->client, rig->batch.events, count, timeout_ms, reply_p,
                                  rig->error, sizeof rig->error);
}

static void
s_assert_accepted (const Salespulse__IngestReply *reply, size_t count)
{
    assert_non_null (reply);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (reply->n_outcomes, count);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal (reply->outcomes[i]->index, i);
        assert_int_equal (reply->outcomes[i]->outcome, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED);
        assert_int_equal (reply->outcomes[i]->sequence, i + 1);
    }
}

static void
test_defaults_and_invalid_settings (void **state)
{
    (void) state;
    sp_ingest_client_options_t options;
    sp_ingest_client_options_init (&options);
    assert_int_equal (options.attempts, SP_INGEST_CLIENT_DEFAULT_ATTEMPTS);
    assert_int_equal (options.backoff_ms, SP_INGEST_CLIENT_DEFAULT_BACKOFF_MS);
    assert_int_equal (options.backoff_max_ms, SP_INGEST_CLIENT_DEFAULT_BACKOFF_MAX_MS);
    assert_true (options.max_request_size == SIZE_MAX);

    const struct {
        const char *endpoint; /* given */
        int attempts;         /* given */
        const char *expected; /* error text */
    } cases[] = {
        { "foo", 1,
          "invalid endpoint \"foo\": missing transport (expected tcp://, ipc:// or inproc://)" },
        { "tcp://127.0.0.1:*", 1,
          "invalid endpoint \"tcp://127.0.0.1:*\": wildcard port \"*\" is only valid when "
          "binding" },
        { "tcp://a:1,tcp://b:2", 1,
          "invalid endpoint \"tcp://a:1,tcp://b:2\": expected one endpoint, not a list" },
        { "tcp://127.0.0.1:5550", 0, "invalid attempts 0: expected 1 or more" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        options.attempts = cases[i].attempts;
        char error[ERROR_SIZE] = "";
        assert_null (sp_ingest_client_new (cases[i].endpoint, &options, error, sizeof error));
        assert_string_equal (error, cases[i].expected);
    }
    options.attempts = 1;
    options.backoff_ms = 10;
    options.backoff_max_ms = 5;
    char error[ERROR_SIZE] = "";
    assert_null (sp_ingest_client_new ("tcp://127.0.0.1:5550", &options, error, sizeof error));
    assert_string_equal (error,
                         "invalid backoff 10..5 ms: expected 0 <= backoff_ms <= backoff_max_ms");

    /* NULL options: the defaults; destroy is a no-op on NULL. */
    sp_ingest_client_t *client =
        sp_ingest_client_new ("tcp://127.0.0.1:5550", NULL, error, sizeof error);
    assert_non_null (client);
    assert_string_equal (sp_ingest_client_endpoint (client), "tcp://127.0.0.1:5550");
    assert_int_equal (sp_ingest_client_sent_count (client), 0);
    sp_ingest_client_destroy (&client);
    assert_null (client);
    sp_ingest_client_destroy (&client);
}

/* Normal reply; framing [identity][empty][payload]; a fresh request_id
   per batch. */
static void
test_normal_reply (void **state)
{
    (void) state;
    const step_t steps[] = { STEP_OK, STEP_OK };
    rig_t rig;
    s_rig_init (&rig, steps, 2, 1);
    Salespulse__IngestReply *reply = NULL;
    assert_int_equal (s_rig_send (&rig, EVENT_COUNT, TIMEOUT_MS, &reply), SP_INGEST_CLIENT_OK);
    s_assert_accepted (reply, EVENT_COUNT);
    sp_proto_free ((ProtobufCMessage **) &reply);
    assert_int_equal (s_rig_send (&rig, 1, TIMEOUT_MS, &reply), SP_INGEST_CLIENT_OK);
    s_assert_accepted (reply, 1);
    sp_proto_free ((ProtobufCMessage **) &reply);
    assert_int_equal (sp_ingest_client_sent_count (rig.client), 2);
    assert_int_equal (sp_ingest_client_resend_count (rig.client), 0);
    assert_int_equal (sp_ingest_client_reconnect_count (rig.client), 0);

    peer_t *peer = rig.peer;
    assert_int_equal (s_peer_wait_count (peer, 2), 2);
    s_peer_stop (peer);
    assert_int_equal (peer->records[0].frames, 2);
    assert_true (peer->records[0].empty_delimiter);
    assert_int_equal (peer->records[0].events, EVENT_COUNT);
    assert_int_equal (peer->records[1].events, 1);
    assert_true (peer->records[0].request_id != peer->records[1].request_id);
    assert_string_equal (peer->records[0].identity, peer->records[1].identity);
    s_rig_fini (&rig);
}

/* A reply for another request_id is ignored; so is an unreadable one; a
   reply without the empty delimiter is accepted. */
static void
test_stale_and_unreadable_replies_ignored (void **state)
{
    (void) state;
    const step_t steps[] = { STEP_STALE_THEN_OK, STEP_GARBAGE_THEN_BARE };
    rig_t rig;
    s_rig_init (&rig, steps, 2, 1);
    for (int round = 0; round < 2; round++) {
        Salespulse__IngestReply *reply = NULL;
        assert_int_equal (s_rig_send (&rig, EVENT_COUNT, TIMEOUT_MS, &reply), SP_INGEST_CLIENT_OK);
        s_assert_accepted (reply, EVENT_COUNT); /* the stale one had 1 outcome */
        sp_proto_free ((ProtobufCMessage **) &reply);
    }
    assert_int_equal (sp_ingest_client_sent_count (rig.client), 2);
    assert_int_equal (sp_ingest_client_resend_count (rig.client), 0);
    s_rig_fini (&rig);
}

/* No reply: the client reconnects (new identity) and sends the same
   bytes with the same request_id; the second attempt is answered. */
static void
test_timeout_then_resend_answered (void **state)
{
    (void) state;
    const step_t steps[] = { STEP_DROP, STEP_OK };
    rig_t rig;
    s_rig_init (&rig, steps, 2, 3);
    Salespulse__IngestReply *reply = NULL;
    assert_int_equal (s_rig_send (&rig, EVENT_COUNT, SHORT_TIMEOUT_MS, &reply),
                      SP_INGEST_CLIENT_OK);
    s_assert_accepted (reply, EVENT_COUNT);
    sp_proto_free ((ProtobufCMessage **) &reply);
    assert_int_equal (sp_ingest_client_sent_count (rig.client), 2);
    assert_int_equal (sp_ingest_client_resend_count (rig.client), 1);
    assert_int_equal (sp_ingest_client_reconnect_count (rig.client), 1);

    assert_int_equal (s_peer_wait_count (rig.peer, 2), 2);
    s_peer_stop (rig.peer);
    const record_t *first = &rig.peer->records[0];
    const record_t *second = &rig.peer->records[1];
    assert_int_equal (first->request_id, second->request_id);
    assert_int_equal (first->payload_size, second->payload_size);
    assert_memory_equal (first->payload, second->payload, first->payload_size);
    assert_string_not_equal (first->identity, second->identity);
    assert_true (second->empty_delimiter);
    s_rig_fini (&rig);
}

/* RETRY_OVERLOADED, RETRY_UNAVAILABLE, then OK: resent on the same
   connection after a backoff. */
static void
test_retry_statuses_then_success (void **state)
{
    (void) state;
    const step_t steps[] = { STEP_OVERLOADED, STEP_UNAVAILABLE, STEP_OK };
    rig_t rig;
    s_rig_init (&rig, steps, 3, 3);
    Salespulse__IngestReply *reply = NULL;
    assert_int_equal (s_rig_send (&rig, EVENT_COUNT, TIMEOUT_MS, &reply), SP_INGEST_CLIENT_OK);
    s_assert_accepted (reply, EVENT_COUNT);
    sp_proto_free ((ProtobufCMessage **) &reply);
    assert_int_equal (sp_ingest_client_sent_count (rig.client), 3);
    assert_int_equal (sp_ingest_client_resend_count (rig.client), 2);
    assert_int_equal (sp_ingest_client_reconnect_count (rig.client), 0);
    s_peer_stop (rig.peer);
    assert_int_equal (rig.peer->records[0].request_id, rig.peer->records[2].request_id);
    assert_string_equal (rig.peer->records[0].identity, rig.peer->records[2].identity);
    s_rig_fini (&rig);
}

/* BAD_REQUEST: surfaced with the service's reason, not retried. */
static void
test_bad_request_surfaced (void **state)
{
    (void) state;
    const step_t steps[] = { STEP_BAD_REQUEST, STEP_OK };
    rig_t rig;
    s_rig_init (&rig, steps, 2, 3);
    Salespulse__IngestReply *reply = SENTINEL;
    assert_int_equal (s_rig_send (&rig, EVENT_COUNT, TIMEOUT_MS, &reply), SP_INGEST_CLIENT_REFUSED);
    assert_ptr_equal (reply, SENTINEL);
    assert_string_equal (rig.error,
                         "activity-ingest refused the request: too many events: 3, at most 2");
    assert_int_equal (sp_ingest_client_sent_count (rig.client), 1);
    assert_int_equal (sp_ingest_client_resend_count (rig.client), 0);
    s_rig_fini (&rig);
}

/* No reply at all: every attempt times out, then a clear error. */
static void
test_retries_exhausted (void **state)
{
    (void) state;
    rig_t rig;
    s_rig_init (&rig, NULL, 0, 3);
    Salespulse__IngestReply *reply = SENTINEL;
    assert_int_equal (s_rig_send (&rig, EVENT_COUNT, SHORT_TIMEOUT_MS, &reply),
                      SP_INGEST_CLIENT_FAILED);
    assert_ptr_equal (reply, SENTINEL);
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected,
              "no reply from \"%s\" after 3 attempts: no reply within %d ms", rig.peer->endpoint,
              SHORT_TIMEOUT_MS);
    assert_string_equal (rig.error, expected);
    assert_int_equal (sp_ingest_client_sent_count (rig.client), 3);
    assert_int_equal (sp_ingest_client_resend_count (rig.client), 2);
    assert_int_equal (sp_ingest_client_reconnect_count (rig.client), 3);
    assert_int_equal (s_peer_wait_count (rig.peer, 3), 3);
    s_peer_stop (rig.peer);
    for (size_t i = 1; i < 3; i++)
        assert_int_equal (rig.peer->records[i].request_id, rig.peer->records[0].request_id);
    s_rig_fini (&rig);
}

/* RETRY_* on every attempt: the last status and reason are reported. */
static void
test_retry_statuses_exhausted (void **state)
{
    (void) state;
    const step_t steps[] = { STEP_UNAVAILABLE, STEP_OVERLOADED };
    rig_t rig;
    s_rig_init (&rig, steps, 2, 2);
    Salespulse__IngestReply *reply = SENTINEL;
    assert_int_equal (s_rig_send (&rig, EVENT_COUNT, TIMEOUT_MS, &reply), SP_INGEST_CLIENT_FAILED);
    assert_ptr_equal (reply, SENTINEL);
    assert_string_equal (
        rig.error,
        "activity-ingest still overloaded after 2 attempts: too many requests in flight");
    s_rig_fini (&rig);
}

/* An OK reply that does not match the batch is an error, not a result. */
static void
test_invalid_reply_refused (void **state)
{
    (void) state;
    const step_t steps[] = { STEP_WRONG_COUNT };
    rig_t rig;
    s_rig_init (&rig, steps, 1, 3);
    Salespulse__IngestReply *reply = SENTINEL;
    assert_int_equal (s_rig_send (&rig, EVENT_COUNT, TIMEOUT_MS, &reply), SP_INGEST_CLIENT_FAILED);
    assert_ptr_equal (reply, SENTINEL);
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected, "invalid reply from \"%s\": 2 outcomes for 3 events",
              rig.peer->endpoint);
    assert_string_equal (rig.error, expected);
    s_rig_fini (&rig);
}

/* A batch larger than max_request_size is refused before sending. */
static void
test_request_too_large (void **state)
{
    (void) state;
    peer_t *peer = s_peer_new (NULL, 0);
    sp_ingest_client_options_t options = s_options (3);
    options.max_request_size = TINY_REQUEST_LIMIT;
    char error[ERROR_SIZE] = "";
    sp_ingest_client_t *client =
        sp_ingest_client_new (peer->endpoint, &options, error, sizeof error);
    assert_non_null (client);
    batch_t batch;
    s_batch_init (&batch);
    Salespulse__IngestReply *reply = SENTINEL;
    assert_int_equal (sp_ingest_client_send (client, batch.events, EVENT_COUNT, TIMEOUT_MS, &reply,
                                             error, sizeof error),
                      SP_INGEST_CLIENT_REFUSED);
    assert_ptr_equal (reply, SENTINEL);
    assert_non_null (strstr (
        error,
        "could not build the request of 3 events: packed salespulse.IngestRequest message of "));
    assert_non_null (strstr (error, "exceeds the limit of 16 bytes"));
    assert_int_equal (sp_ingest_client_sent_count (client), 0);
    sp_ingest_client_destroy (&client);
    s_batch_fini (&batch);
    s_peer_destroy (&peer);
}

int
main (void)
{
    /* Resend warnings are expected here; keep the output to cmocka's. */
    sp_log_init ("test_ingest_client", SP_LOG_ERROR, SP_LOG_FORMAT_LOGFMT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_defaults_and_invalid_settings),
        cmocka_unit_test (test_normal_reply),
        cmocka_unit_test (test_stale_and_unreadable_replies_ignored),
        cmocka_unit_test (test_timeout_then_resend_answered),
        cmocka_unit_test (test_retry_statuses_then_success),
        cmocka_unit_test (test_bad_request_surfaced),
        cmocka_unit_test (test_retries_exhausted),
        cmocka_unit_test (test_retry_statuses_exhausted),
        cmocka_unit_test (test_invalid_reply_refused),
        cmocka_unit_test (test_request_too_large),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
