/*  sp_zmq - the one place where ZeroMQ sockets are created and configured.

    Actors use CZMQ types directly (zsock_t, zmsg_t, zloop, zpoller), but
    every socket is made here from an options struct, so high-water marks,
    message size limits, linger and timeouts are set the same way in every
    service and before any bind or connect (ZeroMQ ignores HWM changes on
    pipes that already exist).

        sp_zmq_options_t options;
        sp_zmq_options_init (&options, ZMQ_ROUTER);
        options.endpoints = "@tcp://127.0.0.1:*";
        options.max_message_size = 4 * 1024 * 1024;
        zsock_t *router = sp_zmq_socket_new (&options, error, sizeof error);
        ... sp_zmq_endpoint (router) is e.g. "tcp://127.0.0.1:49152" ...

    Endpoints use CZMQ syntax: a comma-separated list, each "@endpoint" to
    bind, ">endpoint" to connect, or bare to use the socket type's default
    (PUB, ROUTER, REP and PULL bind; SUB, DEALER, REQ and PUSH connect).
    Transports: tcp://host:port (bind also tcp://host:* for a free port),
    ipc://path and inproc://name. Errors name the endpoint and the reason:
    `invalid endpoint "foo": missing transport (expected tcp://, ipc:// or
    inproc://)`, `could not bind to "tcp://127.0.0.1:5550": address already
    in use`.

    Linger defaults to SP_ZMQ_DEFAULT_LINGER_MS (100 ms): long enough for
    replies and events already queued on a loopback or LAN link to leave at
    shutdown, short enough that stopping a service never hangs on a peer
    that went away. Messages not delivered by then are covered by the
    protocol (publishers retry, subscribers repair gaps from the log).

    Security: with CURVE installed for the process (sp_zmq_curve.h), or
    given in options.curve, every socket is made with it before any bind
    or connect: a server socket (options.curve_server, true for the binding
    types) admits only the listed client keys, a client socket proves its
    own key and checks the server's. Without either, sockets are plain.
    A CURVE server PUB is made as an XPUB in manual mode: sp_zmq_send and
    sp_zmq_send_proto first apply the subscriptions that arrived, except
    those of a key whose certificate says "subscribe": "no"
    (SP_ZMQ_CURVE_SUBSCRIBE), so send on it only through them.

    Message helpers: sp_zmq_send_proto sends [topic] + packed protobuf;
    sp_zmq_receive reads one whole multipart message and checks its frame
    count, discarding (never half-reading) a message of the wrong shape.
*/
#ifndef SP_ZMQ_H_INCLUDED
#define SP_ZMQ_H_INCLUDED

#include <czmq.h>
#include <protobuf-c/protobuf-c.h>

#include "sp_zmq_curve.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_ZMQ_DEFAULT_HWM 1000      /* messages queued per peer, each way */
#define SP_ZMQ_DEFAULT_LINGER_MS 100 /* pending messages kept at close, ms */
#define SP_ZMQ_NO_LIMIT (-1)         /* max_message_size: no limit */
#define SP_ZMQ_NO_TIMEOUT (-1)       /* send/receive timeout: block */

/* How a socket is made. Initialise with sp_zmq_options_init, then change
   what differs from the defaults. Strings are borrowed for the call. */
typedef struct {
    int type;                         /* ZMQ_PUB, SUB, ROUTER, DEALER, REQ, REP, PUSH or PULL */
    const char *endpoints;            /* CZMQ endpoint list; NULL = attach later */
    bool bind_by_default;             /* bare endpoints bind (true) or connect (false) */
    int send_hwm;                     /* ZMQ_SNDHWM, messages; 0 = unlimited */
    int receive_hwm;                  /* ZMQ_RCVHWM, messages; 0 = unlimited */
    int64_t max_message_size;         /* ZMQ_MAXMSGSIZE, bytes per inbound frame; -1 = none */
    int linger_ms;                    /* ZMQ_LINGER, ms; -1 = until delivered */
    int receive_timeout_ms;           /* ZMQ_RCVTIMEO, ms; -1 = block */
    int send_timeout_ms;              /* ZMQ_SNDTIMEO, ms; -1 = block */
    const char *const *subscriptions; /* SUB: topic prefixes ("" = everything) */
    size_t subscription_count;        /* number of entries in subscriptions */
    bool router_mandatory;            /* ROUTER: sending to an unknown peer fails, not drops */
    const char *routing_id;           /* DEALER/REQ/ROUTER: own identity, NULL = peer assigns */
    const sp_zmq_curve_t *curve;      /* CURVE keys; NULL = the process's (sp_zmq_curve_install) */
    bool curve_server;                /* with CURVE: serve it (true) or connect as a client */
} sp_zmq_options_t;

/* Result of sp_zmq_receive. */
typedef enum {
    SP_ZMQ_RECEIVED = 0,    /* a message of the expected shape is in *message_p */
    SP_ZMQ_BAD_SHAPE = -1,  /* a message arrived with the wrong frame count; dropped */
    SP_ZMQ_NO_MESSAGE = -2, /* timed out, interrupted or the context ended */
} sp_zmq_receive_result_t;

/* Fills options with the defaults for a socket type: no endpoints, the
   type's bind/connect default, HWM SP_ZMQ_DEFAULT_HWM, no size limit,
   linger SP_ZMQ_DEFAULT_LINGER_MS, blocking I/O, no subscriptions,
   router_mandatory true for ROUTER, the process's CURVE (if any), serving
   it for the binding types. */
void sp_zmq_options_init (sp_zmq_options_t *options, int type);

/* Creates a socket, applies every option (CURVE included), then attaches
   the endpoints. Returns NULL (error says which option or endpoint and
   why) on failure, having destroyed the partial socket. */
zsock_t *sp_zmq_socket_new (const sp_zmq_options_t *options, char *error, size_t error_size);

/* Destroys a socket made by sp_zmq_socket_new and sets the pointer to
   NULL; no-op on NULL. */
void sp_zmq_socket_destroy (zsock_t **socket_p);

/* Binds or connects to a CZMQ endpoint list. Every endpoint is checked
   before any is attached, so a syntax error attaches nothing; a bind or
   connect refused by ZeroMQ leaves the earlier ones attached. */
int sp_zmq_attach (zsock_t *socket, const char *endpoints, bool bind_by_default, char *error,
                   size_t error_size);

/* Checks one endpoint (without '@'/'>') for binding or connecting:
   transport, host, port (wildcards "*"/"!" only when binding), path. */
int sp_zmq_endpoint_check (const char *endpoint, bool bind, char *error, size_t error_size);

/* The last endpoint the socket bound, with the real port for a wildcard
   bind such as "tcp://127.0.0.1:*"; NULL if it never bound. */
const char *sp_zmq_endpoint (zsock_t *socket);

/* Sends every frame of *message_p as one multipart message and destroys
   it, sent or not (*message_p becomes NULL). Returns -1 when ZeroMQ refuses
   (no route to a ROUTER peer, send timeout, interrupted). */
int sp_zmq_send (zsock_t *socket, zmsg_t **message_p, char *error, size_t error_size);

/* Sends [topic] then the packed message (topic NULL: only the message).
   Returns -1 when the packed message exceeds max_size or the send fails;
   nothing is sent in that case. */
int sp_zmq_send_proto (zsock_t *socket, const char *topic, const ProtobufCMessage *message,
                       size_t max_size, char *error, size_t error_size);

/* Receives one whole multipart message that must have min_frames to
   max_frames frames. At most max_frames frames are kept in memory; the
   rest of a longer message is read and dropped so the socket stays in
   step. On SP_ZMQ_BAD_SHAPE error says e.g. "expected 2 frames, got 3". */
sp_zmq_receive_result_t sp_zmq_receive (zsock_t *socket, size_t min_frames, size_t max_frames,
                                        zmsg_t **message_p, char *error, size_t error_size);

/* Checks that a message has min_frames to max_frames frames. */
int sp_zmq_check_frames (zmsg_t *message, size_t min_frames, size_t max_frames, char *error,
                         size_t error_size);

#endif
