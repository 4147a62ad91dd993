/*  test_zmq - unit tests for sp_zmq, the ZeroMQ socket seam.

    Sockets talk over inproc:// and tcp://127.0.0.1:* (a free port chosen
    at bind time), so no test depends on a fixed port. Nothing sleeps to
    synchronise: where ZeroMQ is asynchronous (PUB/SUB slow joiners, a peer
    reconnecting after being dropped) the test keeps sending and polls for
    the observable result with a deadline.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bus.pb-c.h"
#include "ingest.pb-c.h"
#include "sp_proto.h"
#include "sp_zmq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 256          /* error buffer used by every test */
#define DEADLINE_MS 10000       /* longest wait for an asynchronous outcome */
#define POLL_MS 20              /* one poll while waiting for it */
#define RECEIVE_TIMEOUT_MS 5000 /* blocking receives never hang a failing test */
#define SHORT_TIMEOUT_MS 10     /* receive timeout in the timeout test */
#define MAX_MESSAGE_SIZE 256    /* ZMQ_MAXMSGSIZE in the drop test */
#define OVERSIZE_BYTES 4096     /* frame larger than MAX_MESSAGE_SIZE */
#define REQUEST_ID 77           /* request id in the ROUTER/DEALER test */
#define PARTITION 7             /* partition carried on the bus */
#define SEQUENCE 123456         /* sequence carried on the bus */
#define TEST_SEND_HWM 17        /* odd values, so a default cannot pass for them */
#define TEST_RECEIVE_HWM 23
#define TEST_MAX_SIZE 65536
#define TEST_RECEIVE_TIMEOUT 250
#define TEST_SEND_TIMEOUT 350
#define MANY_FRAMES 10 /* frames in the over-long message */

/* Stands for "not written": outputs must keep it after a failure. */
static char s_sentinel_byte;
#define SENTINEL ((zmsg_t *) (void *) &s_sentinel_byte)

/* Makes a socket or fails the test with the error text. */
static zsock_t *
s_socket (const sp_zmq_options_t *options)
{
    char error[ERROR_SIZE] = "";
    zsock_t *socket = sp_zmq_socket_new (options, error, sizeof error);
    if (!socket)
        fail_msg ("sp_zmq_socket_new: %s", error);
    return socket;
}

/* Options for a type with endpoints and a receive timeout so a failing
   test fails instead of hanging. */
static sp_zmq_options_t
s_options (int type, const char *endpoints)
{
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, type);
    options.endpoints = endpoints;
    options.receive_timeout_ms = RECEIVE_TIMEOUT_MS;
    return options;
}

/* Sends frames given as strings. */
static void
s_send_strings (zsock_t *socket, size_t count, const char *const *frames)
{
    zmsg_t *message = zmsg_new ();
    for (size_t i = 0; i < count; i++)
        zmsg_addstr (message, frames[i]);
    char error[ERROR_SIZE] = "";
    if (sp_zmq_send (socket, &message, error, sizeof error) != 0)
        fail_msg ("sp_zmq_send: %s", error);
    assert_null (message);
}

/* True when frame holds exactly text. */
static bool
s_frame_is (zframe_t *frame, const char *text)
{
    return frame && zframe_streq (frame, text);
}

static int64_t
s_get_int64 (zsock_t *socket, int option)
{
    int64_t value = 0;
    size_t size = sizeof value;
    assert_int_equal (zmq_getsockopt (zsock_resolve (socket), option, &value, &size), 0);
    return value;
}

static int
s_get_int (zsock_t *socket, int option)
{
    int value = 0;
    size_t size = sizeof value;
    assert_int_equal (zmq_getsockopt (zsock_resolve (socket), option, &value, &size), 0);
    return value;
}

static void
test_options_defaults (void **state)
{
    (void) state;
    const struct {
        int type;  /* socket type */
        bool bind; /* expected default action */
    } cases[] = {
        { ZMQ_PUB, true },  { ZMQ_SUB, false }, { ZMQ_ROUTER, true }, { ZMQ_DEALER, false },
        { ZMQ_REQ, false }, { ZMQ_REP, true },  { ZMQ_PUSH, false },  { ZMQ_PULL, true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sp_zmq_options_t options;
        sp_zmq_options_init (&options, cases[i].type);
        assert_int_equal (options.type, cases[i].type);
        assert_int_equal (options.bind_by_default, cases[i].bind);
        assert_null (options.endpoints);
        assert_int_equal (options.send_hwm, SP_ZMQ_DEFAULT_HWM);
        assert_int_equal (options.receive_hwm, SP_ZMQ_DEFAULT_HWM);
        assert_int_equal (options.max_message_size, SP_ZMQ_NO_LIMIT);
        assert_int_equal (options.linger_ms, SP_ZMQ_DEFAULT_LINGER_MS);
        assert_int_equal (options.receive_timeout_ms, SP_ZMQ_NO_TIMEOUT);
        assert_int_equal (options.send_timeout_ms, SP_ZMQ_NO_TIMEOUT);
        assert_int_equal (options.subscription_count, 0);
        assert_int_equal (options.router_mandatory, cases[i].type == ZMQ_ROUTER);
        assert_null (options.routing_id);

        /* Every type can be made with its defaults and no endpoints. */
        zsock_t *socket = s_socket (&options);
        assert_int_equal (zsock_type (socket), cases[i].type);
        assert_int_equal (s_get_int (socket, ZMQ_LINGER), SP_ZMQ_DEFAULT_LINGER_MS);
        assert_null (sp_zmq_endpoint (socket));
        sp_zmq_socket_destroy (&socket);
        assert_null (socket);
    }
}

static void
test_options_applied (void **state)
{
    (void) state;
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_DEALER);
    options.send_hwm = TEST_SEND_HWM;
    options.receive_hwm = TEST_RECEIVE_HWM;
    options.max_message_size = TEST_MAX_SIZE;
    options.linger_ms = 0;
    options.receive_timeout_ms = TEST_RECEIVE_TIMEOUT;
    options.send_timeout_ms = TEST_SEND_TIMEOUT;
    options.routing_id = "client-1";
    zsock_t *socket = s_socket (&options);
    assert_int_equal (zsock_sndhwm (socket), TEST_SEND_HWM);
    assert_int_equal (zsock_rcvhwm (socket), TEST_RECEIVE_HWM);
    assert_int_equal (s_get_int64 (socket, ZMQ_MAXMSGSIZE), TEST_MAX_SIZE);
    assert_int_equal (s_get_int (socket, ZMQ_LINGER), 0);
    assert_int_equal (s_get_int (socket, ZMQ_RCVTIMEO), TEST_RECEIVE_TIMEOUT);
    assert_int_equal (s_get_int (socket, ZMQ_SNDTIMEO), TEST_SEND_TIMEOUT);
    char routing_id[ERROR_SIZE] = "";
    size_t size = sizeof routing_id;
    assert_int_equal (zmq_getsockopt (zsock_resolve (socket), ZMQ_ROUTING_ID, routing_id, &size),
                      0);
    assert_int_equal (size, strlen ("client-1"));
    assert_memory_equal (routing_id, "client-1", size);
    sp_zmq_socket_destroy (&socket);

    /* No-limit and unlimited values pass through too. */
    sp_zmq_options_init (&options, ZMQ_PULL);
    options.send_hwm = 0;
    options.receive_hwm = 0;
    socket = s_socket (&options);
    assert_int_equal (zsock_rcvhwm (socket), 0);
    assert_int_equal (s_get_int64 (socket, ZMQ_MAXMSGSIZE), -1);
    sp_zmq_socket_destroy (&socket);

    /* Destroying nothing is harmless. */
    sp_zmq_socket_destroy (&socket);
    assert_null (socket);
}

static void
test_options_invalid (void **state)
{
    (void) state;
    char long_id[300];
    memset (long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    enum { SEND_HWM, RECEIVE_HWM, MAX_SIZE, LINGER, RECEIVE_TIMEOUT, SEND_TIMEOUT, ROUTING_ID };
    const struct {
        int field;            /* which field to spoil */
        const char *expected; /* error text */
    } cases[] = {
        { SEND_HWM, "invalid send_hwm -1: expected 0 (unlimited) or more" },
        { RECEIVE_HWM, "invalid receive_hwm -5: expected 0 (unlimited) or more" },
        { MAX_SIZE, "invalid max_message_size 0: expected -1 (no limit) or 1 or more" },
        { LINGER, "invalid linger_ms -2: expected -1 (forever) or 0 or more" },
        { RECEIVE_TIMEOUT, "invalid receive_timeout_ms -3: expected -1 (forever) or 0 or more" },
        { SEND_TIMEOUT, "invalid send_timeout_ms -4: expected -1 (forever) or 0 or more" },
        { ROUTING_ID, "invalid routing id of 0 bytes: expected 1..255 bytes" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sp_zmq_options_t options;
        sp_zmq_options_init (&options, ZMQ_DEALER);
        switch (cases[i].field) {
            case SEND_HWM:
                options.send_hwm = -1;
                break;
            case RECEIVE_HWM:
                options.receive_hwm = -5;
                break;
            case MAX_SIZE:
                options.max_message_size = 0;
                break;
            case LINGER:
                options.linger_ms = -2;
                break;
            case RECEIVE_TIMEOUT:
                options.receive_timeout_ms = -3;
                break;
            case SEND_TIMEOUT:
                options.send_timeout_ms = -4;
                break;
            default:
                options.routing_id = "";
                break;
        }
        char error[ERROR_SIZE] = "";
        assert_null (sp_zmq_socket_new (&options, error, sizeof error));
        assert_string_equal (error, cases[i].expected);
    }
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_DEALER);
    options.routing_id = long_id;
    char error[ERROR_SIZE] = "";
    assert_null (sp_zmq_socket_new (&options, error, sizeof error));
    assert_string_equal (error, "invalid routing id of 299 bytes: expected 1..255 bytes");
}

static void
test_endpoint_check_valid (void **state)
{
    (void) state;
    const char *both[] = {
        "tcp://127.0.0.1:5550", "tcp://activity-ingest:5551",
        "tcp://[::1]:6000",     "ipc:///tmp/salespulse.sock",
        "inproc://bus",         "tcp://localhost:65535",
    };
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++) {
        char error[ERROR_SIZE] = "untouched";
        assert_int_equal (sp_zmq_endpoint_check (both[i], true, error, sizeof error), 0);
        assert_int_equal (sp_zmq_endpoint_check (both[i], false, error, sizeof error), 0);
        assert_string_equal (error, "untouched");
    }
    const char *bind_only[] = {
        "tcp://*:5551",
        "tcp://127.0.0.1:*",
        "tcp://127.0.0.1:!",
        "tcp://127.0.0.1:*[60000-]",
        "tcp://127.0.0.1:![-60000]",
        "tcp://127.0.0.1:*[55000-55999]",
        "ipc://*",
    };
    for (size_t i = 0; i < sizeof bind_only / sizeof bind_only[0]; i++) {
        assert_int_equal (sp_zmq_endpoint_check (bind_only[i], true, NULL, 0), 0);
        assert_int_equal (sp_zmq_endpoint_check (bind_only[i], false, NULL, 0), -1);
    }
}

static void
test_endpoint_check_invalid (void **state)
{
    (void) state;
    char long_path[200] = "ipc:///";
    memset (long_path + strlen (long_path), 'p', 120);
    long_path[strlen ("ipc:///") + 120] = '\0';
    const struct {
        const char *endpoint; /* bare endpoint */
        bool bind;            /* checked for binding */
        const char *expected; /* error text */
    } cases[] = {
        { "", true, "invalid endpoint \"\": empty" },
        { "foo", true,
          "invalid endpoint \"foo\": missing transport (expected tcp://, ipc:// or inproc://)" },
        { "udp://1.2.3.4:5", false,
          "invalid endpoint \"udp://1.2.3.4:5\": unsupported transport \"udp\" (expected tcp, ipc "
          "or inproc)" },
        { "tcp://host", false,
          "invalid endpoint \"tcp://host\": missing port (expected host:port)" },
        { "tcp://host:", false,
          "invalid endpoint \"tcp://host:\": missing port (expected host:port)" },
        { "tcp://:5550", true,
          "invalid endpoint \"tcp://:5550\": missing host (expected host:port)" },
        { "tcp://host:abc", false,
          "invalid endpoint \"tcp://host:abc\": port \"abc\" is not a number in 1..65535" },
        { "tcp://host:0", true,
          "invalid endpoint \"tcp://host:0\": port \"0\" is not a number in 1..65535" },
        { "tcp://host:65536", true,
          "invalid endpoint \"tcp://host:65536\": port \"65536\" is not a number in 1..65535" },
        { "tcp://host:*", false,
          "invalid endpoint \"tcp://host:*\": wildcard port \"*\" is only valid when binding" },
        { "tcp://*:5550", false,
          "invalid endpoint \"tcp://*:5550\": host \"*\" is only valid when binding" },
        { "tcp://h:*[9-1]", true,
          "invalid endpoint \"tcp://h:*[9-1]\": wildcard port \"*[9-1]\" is malformed (expected *, "
          "! or *[first-last])" },
        { "tcp://[::1", true, "invalid endpoint \"tcp://[::1\": unterminated \"[\" in IPv6 host" },
        { "tcp://[::1]5", true,
          "invalid endpoint \"tcp://[::1]5\": missing port (expected [host]:port)" },
        { "tcp://host :1", true,
          "invalid endpoint \"tcp://host :1\": contains white space or control characters" },
        { "ipc://", true, "invalid endpoint \"ipc://\": missing path" },
        { "ipc://*", false, "invalid endpoint \"ipc://*\": path \"*\" is only valid when binding" },
        { "inproc://", false, "invalid endpoint \"inproc://\": missing name" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char error[ERROR_SIZE] = "";
        assert_int_equal (
            sp_zmq_endpoint_check (cases[i].endpoint, cases[i].bind, error, sizeof error), -1);
        assert_string_equal (error, cases[i].expected);
    }
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_zmq_endpoint_check (long_path, true, error, sizeof error), -1);
    assert_non_null (strstr (error, ": path is longer than 107 bytes"));
}

static void
test_socket_new_bad_endpoint_attaches_nothing (void **state)
{
    (void) state;
    sp_zmq_options_t options = s_options (ZMQ_PULL, "@inproc://first,foo");
    char error[ERROR_SIZE] = "";
    assert_null (sp_zmq_socket_new (&options, error, sizeof error));
    assert_string_equal (
        error,
        "invalid endpoint \"foo\": missing transport (expected tcp://, ipc:// or inproc://)");

    /* "inproc://first" was never bound: another socket can take it. */
    options = s_options (ZMQ_PULL, "inproc://first");
    zsock_t *pull = s_socket (&options);
    sp_zmq_socket_destroy (&pull);

    options = s_options (ZMQ_PULL, "inproc://x,,inproc://y");
    assert_null (sp_zmq_socket_new (&options, error, sizeof error));
    assert_string_equal (error, "invalid endpoint \"\": empty");
}

static void
test_bind_address_in_use (void **state)
{
    (void) state;
    sp_zmq_options_t options = s_options (ZMQ_PULL, "tcp://127.0.0.1:*");
    zsock_t *first = s_socket (&options);
    const char *endpoint = sp_zmq_endpoint (first);
    assert_non_null (endpoint);

    char taken[ERROR_SIZE];
    snprintf (taken, sizeof taken, "@%s", endpoint);
    options = s_options (ZMQ_PUSH, taken);
    char error[ERROR_SIZE] = "";
    assert_null (sp_zmq_socket_new (&options, error, sizeof error));
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected, "could not bind to \"%s\": address already in use",
              endpoint);
    assert_string_equal (error, expected);

    /* Same through sp_zmq_attach on an existing socket. */
    options = s_options (ZMQ_PUSH, NULL);
    zsock_t *push = s_socket (&options);
    assert_int_equal (sp_zmq_attach (push, taken, false, error, sizeof error), -1);
    assert_string_equal (error, expected);
    sp_zmq_socket_destroy (&push);
    sp_zmq_socket_destroy (&first);
}

static void
test_connect_rejected_by_zeromq (void **state)
{
    (void) state;
    /* Syntactically an endpoint, but ZeroMQ cannot parse the host. */
    sp_zmq_options_t options = s_options (ZMQ_PUSH, ">tcp://-:5550");
    char error[ERROR_SIZE] = "";
    assert_null (sp_zmq_socket_new (&options, error, sizeof error));
    assert_string_equal (error, "could not connect to \"tcp://-:5550\": invalid argument");
}

static void
test_attach_explicit_actions (void **state)
{
    (void) state;
    /* PUSH connects by default: "@" makes it bind; PULL binds by default:
       ">" makes it connect. */
    sp_zmq_options_t options = s_options (ZMQ_PUSH, NULL);
    zsock_t *push = s_socket (&options);
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_zmq_attach (push, "@inproc://explicit", false, error, sizeof error), 0);
    assert_string_equal (sp_zmq_endpoint (push), "inproc://explicit");

    options = s_options (ZMQ_PULL, ">inproc://explicit");
    zsock_t *pull = s_socket (&options);
    assert_null (sp_zmq_endpoint (pull));

    const char *frames[] = { "hello" };
    s_send_strings (push, 1, frames);
    zmsg_t *message = NULL;
    assert_int_equal (sp_zmq_receive (pull, 1, 1, &message, error, sizeof error), SP_ZMQ_RECEIVED);
    assert_true (s_frame_is (zmsg_first (message), "hello"));
    zmsg_destroy (&message);
    sp_zmq_socket_destroy (&pull);
    sp_zmq_socket_destroy (&push);
}

/* Publishes (topic, body) until the subscriber receives something or the
   deadline passes; returns the first message received. */
static zmsg_t *
s_publish_until_received (zsock_t *publisher, zsock_t *subscriber, const char *topic,
                          const char *body)
{
    zpoller_t *poller = zpoller_new (subscriber, NULL);
    assert_non_null (poller);
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    zmsg_t *received = NULL;
    while (!received && zclock_mono () < deadline) {
        const char *frames[] = { topic, body };
        s_send_strings (publisher, 2, frames);
        if (zpoller_wait (poller, POLL_MS) == subscriber) {
            char error[ERROR_SIZE] = "";
            assert_int_equal (sp_zmq_receive (subscriber, 2, 2, &received, error, sizeof error),
                              SP_ZMQ_RECEIVED);
        }
    }
    zpoller_destroy (&poller);
    assert_non_null (received);
    return received;
}

static void
test_pub_sub_prefix_filtering (void **state)
{
    (void) state;
    sp_zmq_options_t options = s_options (ZMQ_PUB, "inproc://bus");
    zsock_t *publisher = s_socket (&options);
    const char *prefixes[] = { "deal_won.", "deal_lost." };
    options = s_options (ZMQ_SUB, "inproc://bus");
    options.subscriptions = prefixes;
    options.subscription_count = 2;
    zsock_t *subscriber = s_socket (&options);

    zmsg_t *message = s_publish_until_received (publisher, subscriber, "deal_won.3", "first");
    assert_true (s_frame_is (zmsg_first (message), "deal_won.3"));
    zmsg_destroy (&message);

    /* Subscribed: the filter is in place. Everything below arrives in order;
       the "end" marker says the rest has been seen. */
    const char *sequence[][2] = {
        { "call.3", "filtered out" },         { "deal_won.4", "kept" },
        { "deal_wo", "filtered out" },        { "deal_lost.1", "kept" },
        { "lead_created.1", "filtered out" }, { "deal_won.end", "end" },
    };
    for (size_t i = 0; i < sizeof sequence / sizeof sequence[0]; i++)
        s_send_strings (publisher, 2, sequence[i]);

    size_t kept = 0;
    bool ended = false;
    while (!ended) {
        char error[ERROR_SIZE] = "";
        assert_int_equal (sp_zmq_receive (subscriber, 2, 2, &message, error, sizeof error),
                          SP_ZMQ_RECEIVED);
        zframe_t *topic = zmsg_first (message);
        zframe_t *body = zmsg_next (message);
        assert_false (s_frame_is (body, "filtered out"));
        if (s_frame_is (body, "kept"))
            kept++;
        ended = s_frame_is (topic, "deal_won.end");
        zmsg_destroy (&message);
    }
    assert_int_equal (kept, 2);
    sp_zmq_socket_destroy (&subscriber);
    sp_zmq_socket_destroy (&publisher);
}

static void
test_pub_sub_tcp_protobuf (void **state)
{
    (void) state;
    sp_zmq_options_t options = s_options (ZMQ_PUB, "tcp://127.0.0.1:*");
    zsock_t *publisher = s_socket (&options);
    const char *endpoint = sp_zmq_endpoint (publisher);
    assert_non_null (endpoint);
    assert_int_equal (strncmp (endpoint, "tcp://127.0.0.1:", strlen ("tcp://127.0.0.1:")), 0);
    const char *port = endpoint + strlen ("tcp://127.0.0.1:");
    assert_true (strlen (port) > 0 && strspn (port, "0123456789") == strlen (port));

    const char *prefixes[] = { "deal_won." };
    options = s_options (ZMQ_SUB, endpoint);
    options.subscriptions = prefixes;
    options.subscription_count = 1;
    zsock_t *subscriber = s_socket (&options);

    Salespulse__SalesEvent event = SALESPULSE__SALES_EVENT__INIT;
    event.event_id = (char *) "crm:deal:9";
    event.source = (char *) "crm";
    event.type = SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON;
    Salespulse__BusEnvelope envelope = SALESPULSE__BUS_ENVELOPE__INIT;
    envelope.topic = (char *) "deal_won.7";
    envelope.partition = PARTITION;
    envelope.sequence = SEQUENCE;
    envelope.event = &event;

    zpoller_t *poller = zpoller_new (subscriber, NULL);
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    zmsg_t *message = NULL;
    char error[ERROR_SIZE] = "";
    while (!message && zclock_mono () < deadline) {
        assert_int_equal (sp_zmq_send_proto (publisher, envelope.topic, &envelope.base,
                                             SP_PROTO_NO_LIMIT, error, sizeof error),
                          0);
        if (zpoller_wait (poller, POLL_MS) == subscriber)
            assert_int_equal (sp_zmq_receive (subscriber, 2, 2, &message, error, sizeof error),
                              SP_ZMQ_RECEIVED);
    }
    zpoller_destroy (&poller);
    assert_non_null (message);
    assert_true (s_frame_is (zmsg_first (message), "deal_won.7"));
    ProtobufCMessage *unpacked =
        sp_proto_frame_unpack (&salespulse__bus_envelope__descriptor, zmsg_next (message),
                               SP_PROTO_NO_LIMIT, NULL, NULL, error, sizeof error);
    assert_non_null (unpacked);
    Salespulse__BusEnvelope *received = (Salespulse__BusEnvelope *) unpacked;
    assert_int_equal (received->partition, PARTITION);
    assert_int_equal (received->sequence, SEQUENCE);
    assert_string_equal (received->event->event_id, "crm:deal:9");
    sp_proto_free (&unpacked);
    zmsg_destroy (&message);
    sp_zmq_socket_destroy (&subscriber);
    sp_zmq_socket_destroy (&publisher);
}

static void
test_router_dealer_round_trip (void **state)
{
    (void) state;
    sp_zmq_options_t options = s_options (ZMQ_ROUTER, "inproc://ingest");
    zsock_t *router = s_socket (&options);
    options = s_options (ZMQ_DEALER, "inproc://ingest");
    options.routing_id = "publisher-1";
    zsock_t *dealer = s_socket (&options);

    Salespulse__IngestRequest request = SALESPULSE__INGEST_REQUEST__INIT;
    request.request_id = REQUEST_ID;
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        sp_zmq_send_proto (dealer, NULL, &request.base, SP_PROTO_NO_LIMIT, error, sizeof error), 0);

    zmsg_t *message = NULL;
    assert_int_equal (sp_zmq_receive (router, 2, 2, &message, error, sizeof error),
                      SP_ZMQ_RECEIVED);
    zframe_t *identity = zmsg_pop (message);
    assert_true (s_frame_is (identity, "publisher-1"));
    zframe_t *payload = zmsg_pop (message);
    ProtobufCMessage *unpacked =
        sp_proto_frame_unpack (&salespulse__ingest_request__descriptor, payload, SP_PROTO_NO_LIMIT,
                               NULL, NULL, error, sizeof error);
    assert_non_null (unpacked);
    uint64_t request_id = ((Salespulse__IngestRequest *) unpacked)->request_id;
    sp_proto_free (&unpacked);
    zframe_destroy (&payload);
    zmsg_destroy (&message);

    Salespulse__IngestReply reply = SALESPULSE__INGEST_REPLY__INIT;
    reply.request_id = request_id;
    reply.status = SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK;
    zmsg_t *answer = zmsg_new ();
    zmsg_append (answer, &identity);
    zframe_t *packed = sp_proto_frame_new (&reply.base, SP_PROTO_NO_LIMIT, error, sizeof error);
    assert_non_null (packed);
    zmsg_append (answer, &packed);
    assert_int_equal (sp_zmq_send (router, &answer, error, sizeof error), 0);
    assert_null (answer);

    assert_int_equal (sp_zmq_receive (dealer, 1, 1, &message, error, sizeof error),
                      SP_ZMQ_RECEIVED);
    unpacked = sp_proto_frame_unpack (&salespulse__ingest_reply__descriptor, zmsg_first (message),
                                      SP_PROTO_NO_LIMIT, NULL, NULL, error, sizeof error);
    assert_non_null (unpacked);
    Salespulse__IngestReply *received = (Salespulse__IngestReply *) unpacked;
    assert_int_equal (received->request_id, REQUEST_ID);
    assert_int_equal (received->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
    sp_proto_free (&unpacked);
    zmsg_destroy (&message);
    sp_zmq_socket_destroy (&dealer);
    sp_zmq_socket_destroy (&router);
}

static void
test_router_mandatory_unknown_peer (void **state)
{
    (void) state;
    sp_zmq_options_t options = s_options (ZMQ_ROUTER, "inproc://lonely");
    zsock_t *router = s_socket (&options);
    const char *frames[] = { "nobody", "hello" };
    zmsg_t *message = zmsg_new ();
    zmsg_addstr (message, frames[0]);
    zmsg_addstr (message, frames[1]);
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_zmq_send (router, &message, error, sizeof error), -1);
    assert_null (message);
    assert_string_equal (error, "could not send message: no connected peer has that routing id");
    sp_zmq_socket_destroy (&router);
}

static void
test_send_without_peer_times_out (void **state)
{
    (void) state;
    /* A DEALER with no peer has nowhere to queue: with a zero send timeout
       the send fails at once instead of blocking. */
    sp_zmq_options_t options = s_options (ZMQ_DEALER, NULL);
    options.send_timeout_ms = 0;
    zsock_t *dealer = s_socket (&options);
    const char *expected = "could not send message: peer not ready (high-water mark or send "
                           "timeout)";
    zmsg_t *message = zmsg_new ();
    zmsg_addstr (message, "hello");
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_zmq_send (dealer, &message, error, sizeof error), -1);
    assert_null (message);
    assert_string_equal (error, expected);

    Salespulse__IngestRequest request = SALESPULSE__INGEST_REQUEST__INIT;
    error[0] = '\0';
    assert_int_equal (
        sp_zmq_send_proto (dealer, "topic", &request.base, SP_PROTO_NO_LIMIT, error, sizeof error),
        -1);
    assert_string_equal (error, expected);
    sp_zmq_socket_destroy (&dealer);
}

static void
test_send_proto_oversize_sends_nothing (void **state)
{
    (void) state;
    sp_zmq_options_t options = s_options (ZMQ_PULL, "inproc://oversize");
    zsock_t *pull = s_socket (&options);
    options = s_options (ZMQ_PUSH, "inproc://oversize");
    zsock_t *push = s_socket (&options);

    Salespulse__BusEnvelope envelope = SALESPULSE__BUS_ENVELOPE__INIT;
    envelope.topic = (char *) "a topic long enough to pass the limit";
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_zmq_send_proto (push, "big", &envelope.base, 8, error, sizeof error), -1);
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected,
              "packed salespulse.BusEnvelope message of %zu bytes exceeds the limit of 8 bytes",
              salespulse__bus_envelope__get_packed_size (&envelope));
    assert_string_equal (error, expected);

    /* The next message is the first one the receiver sees. */
    envelope.topic = (char *) "";
    assert_int_equal (sp_zmq_send_proto (push, "small", &envelope.base, 8, error, sizeof error), 0);
    zmsg_t *message = NULL;
    assert_int_equal (sp_zmq_receive (pull, 2, 2, &message, error, sizeof error), SP_ZMQ_RECEIVED);
    assert_true (s_frame_is (zmsg_first (message), "small"));
    assert_int_equal (zframe_size (zmsg_next (message)), 0);
    zmsg_destroy (&message);
    sp_zmq_socket_destroy (&push);
    sp_zmq_socket_destroy (&pull);
}

static void
test_max_message_size_drops_oversize (void **state)
{
    (void) state;
    /* Size limits are enforced by the wire decoder, so this runs over TCP
       (inproc passes messages without decoding them). */
    sp_zmq_options_t options = s_options (ZMQ_PULL, "tcp://127.0.0.1:*");
    options.max_message_size = MAX_MESSAGE_SIZE;
    zsock_t *pull = s_socket (&options);
    options = s_options (ZMQ_PUSH, sp_zmq_endpoint (pull));
    options.send_timeout_ms = 0;
    zsock_t *push = s_socket (&options);

    zmsg_t *message = zmsg_new ();
    char *big = malloc (OVERSIZE_BYTES);
    assert_non_null (big);
    memset (big, 'B', OVERSIZE_BYTES);
    zmsg_addmem (message, big, OVERSIZE_BYTES);
    free (big);
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_zmq_send (push, &message, error, sizeof error), 0);

    /* The receiver drops the connection that carried the big frame; the
       pusher reconnects. Keep sending small frames until one arrives: the
       big one was queued first on the same link, so it would have arrived
       first had it not been dropped. */
    zpoller_t *poller = zpoller_new (pull, NULL);
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    bool received = false;
    while (!received && zclock_mono () < deadline) {
        message = zmsg_new ();
        zmsg_addstr (message, "small");
        /* EAGAIN while the link is down is expected; keep trying. */
        (void) sp_zmq_send (push, &message, error, sizeof error);
        if (zpoller_wait (poller, POLL_MS) == pull) {
            assert_int_equal (sp_zmq_receive (pull, 1, 1, &message, error, sizeof error),
                              SP_ZMQ_RECEIVED);
            assert_true (zframe_size (zmsg_first (message)) <= MAX_MESSAGE_SIZE);
            assert_true (s_frame_is (zmsg_first (message), "small"));
            zmsg_destroy (&message);
            received = true;
        }
    }
    zpoller_destroy (&poller);
    assert_true (received);
    sp_zmq_socket_destroy (&push);
    sp_zmq_socket_destroy (&pull);
}

static void
test_receive_bad_shape (void **state)
{
    (void) state;
    sp_zmq_options_t options = s_options (ZMQ_PULL, "inproc://shape");
    zsock_t *pull = s_socket (&options);
    options = s_options (ZMQ_PUSH, "inproc://shape");
    zsock_t *push = s_socket (&options);

    const char *three[] = { "a", "b", "c" };
    const char *one[] = { "a" };
    const char *many[MANY_FRAMES];
    for (size_t i = 0; i < MANY_FRAMES; i++)
        many[i] = "x";
    const char *good[] = { "topic", "payload" };
    s_send_strings (push, 3, three);
    s_send_strings (push, 1, one);
    s_send_strings (push, MANY_FRAMES, many);
    s_send_strings (push, 2, good);

    zmsg_t *sentinel = SENTINEL;
    zmsg_t *message = sentinel;
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_zmq_receive (pull, 2, 2, &message, error, sizeof error), SP_ZMQ_BAD_SHAPE);
    assert_string_equal (error, "expected 2 frames, got 3");
    assert_ptr_equal (message, sentinel);
    assert_int_equal (sp_zmq_receive (pull, 2, 2, &message, error, sizeof error), SP_ZMQ_BAD_SHAPE);
    assert_string_equal (error, "expected 2 frames, got 1");
    assert_int_equal (sp_zmq_receive (pull, 2, 4, &message, error, sizeof error), SP_ZMQ_BAD_SHAPE);
    assert_string_equal (error, "expected 2 to 4 frames, got 10");
    assert_ptr_equal (message, sentinel);

    /* The socket is still in step: the next message is whole. */
    assert_int_equal (sp_zmq_receive (pull, 2, 2, &message, error, sizeof error), SP_ZMQ_RECEIVED);
    assert_int_equal (zmsg_size (message), 2);
    assert_true (s_frame_is (zmsg_first (message), "topic"));
    assert_true (s_frame_is (zmsg_next (message), "payload"));

    /* sp_zmq_check_frames on a message already received. */
    assert_int_equal (sp_zmq_check_frames (message, 2, 2, error, sizeof error), 0);
    assert_int_equal (sp_zmq_check_frames (message, 1, 1, error, sizeof error), -1);
    assert_string_equal (error, "expected 1 frame, got 2");
    assert_int_equal (sp_zmq_check_frames (message, 3, 5, error, sizeof error), -1);
    assert_string_equal (error, "expected 3 to 5 frames, got 2");
    zmsg_destroy (&message);
    sp_zmq_socket_destroy (&push);
    sp_zmq_socket_destroy (&pull);
}

static void
test_receive_timeout (void **state)
{
    (void) state;
    sp_zmq_options_t options = s_options (ZMQ_PULL, "inproc://quiet");
    options.receive_timeout_ms = SHORT_TIMEOUT_MS;
    zsock_t *pull = s_socket (&options);
    zmsg_t *sentinel = SENTINEL;
    zmsg_t *message = sentinel;
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_zmq_receive (pull, 1, 1, &message, error, sizeof error),
                      SP_ZMQ_NO_MESSAGE);
    assert_string_equal (error, "no message: timed out");
    assert_ptr_equal (message, sentinel);
    sp_zmq_socket_destroy (&pull);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_options_defaults),
        cmocka_unit_test (test_options_applied),
        cmocka_unit_test (test_options_invalid),
        cmocka_unit_test (test_endpoint_check_valid),
        cmocka_unit_test (test_endpoint_check_invalid),
        cmocka_unit_test (test_socket_new_bad_endpoint_attaches_nothing),
        cmocka_unit_test (test_bind_address_in_use),
        cmocka_unit_test (test_connect_rejected_by_zeromq),
        cmocka_unit_test (test_attach_explicit_actions),
        cmocka_unit_test (test_pub_sub_prefix_filtering),
        cmocka_unit_test (test_pub_sub_tcp_protobuf),
        cmocka_unit_test (test_router_dealer_round_trip),
        cmocka_unit_test (test_router_mandatory_unknown_peer),
        cmocka_unit_test (test_send_without_peer_times_out),
        cmocka_unit_test (test_send_proto_oversize_sends_nothing),
        cmocka_unit_test (test_max_message_size_drops_oversize),
        cmocka_unit_test (test_receive_bad_shape),
        cmocka_unit_test (test_receive_timeout),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
