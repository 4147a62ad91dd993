/*  sp_ingest_client - the publisher side of activity-ingest's front door.

    Publishers (salesctl publish, tests, benchmarks) hand a batch of events
    to sp_ingest_client_send and get back one outcome per event, or a
    precise reason why the batch could not be delivered. The client is the
    ZeroMQ guide's Lazy Pirate pattern over a DEALER socket:

        sp_ingest_client_options_t options;
        sp_ingest_client_options_init (&options);
        sp_ingest_client_t *client =
            sp_ingest_client_new ("tcp://127.0.0.1:5550", &options, error, sizeof error);
        Salespulse__IngestReply *reply = NULL;
        if (sp_ingest_client_send (client, events, count, 10000, &reply,
                                   error, sizeof error) == SP_INGEST_CLIENT_OK) {
            ... reply->outcomes[i] is the outcome of events[i] ...
            sp_proto_free ((ProtobufCMessage **) &reply);
        }
        sp_ingest_client_destroy (&client);

    Framing: the DEALER sends two frames, an empty delimiter then the packed
    IngestRequest, so activity-ingest's ROUTER sees [identity][empty]
    [payload], exactly what a REQ client would send. Replies are read as
    [empty][IngestReply]; a bare [IngestReply] is accepted too.

    Delivery: every request of one batch carries the same request_id, fresh
    for each sp_ingest_client_send call, and the same bytes. A reply with
    another request_id (an answer to an earlier batch) is ignored. When no
    reply comes within the timeout - the service is slow, was restarted, or
    the connection was lost: ZeroMQ reconnects silently, so a timeout is how
    a client notices - the socket is closed (linger 0) and a new DEALER is
    connected, so a restarted service is reached and a late answer on the
    old connection cannot be mistaken for a new one; then the same batch is
    sent again. That is safe because activity-ingest de-duplicates by
    event_id: events stored by the lost attempt come back as duplicates. A
    REPLY_STATUS_RETRY_* answer (overloaded, database unavailable, shutting
    down: nothing was written) is followed by a wait with exponential
    backoff and jitter, then the same batch again. Attempts are bounded.

    Errors are PostgreSQL style: `no reply from "tcp://127.0.0.1:5550"
    after 3 attempts of 1000 ms`, `activity-ingest refused the request:
    too many events`.
*/
#ifndef SP_INGEST_CLIENT_H_INCLUDED
#define SP_INGEST_CLIENT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "ingest.pb-c.h"
#include "sp_event.h"

#define SP_INGEST_CLIENT_DEFAULT_ENDPOINT "tcp://127.0.0.1:5550" /* activity-ingest's ROUTER */
#define SP_INGEST_CLIENT_DEFAULT_ATTEMPTS 10         /* sends of one batch before giving up */
#define SP_INGEST_CLIENT_DEFAULT_BACKOFF_MS 100      /* first wait after a RETRY_* answer */
#define SP_INGEST_CLIENT_DEFAULT_BACKOFF_MAX_MS 5000 /* longest wait after a RETRY_* answer */
#define SP_INGEST_CLIENT_DEFAULT_TIMEOUT_MS 10000    /* reply wait used by salesctl, ms */

typedef struct _sp_ingest_client_t sp_ingest_client_t;

/* How a client behaves. Initialise with sp_ingest_client_options_init,
   then change what differs. */
typedef struct {
    int attempts;            /* sends of one batch (first + resends), >= 1 */
    int backoff_ms;          /* wait before resending after the first RETRY_* answer, >= 0 */
    int backoff_max_ms;      /* the wait doubles up to this, >= backoff_ms */
    size_t max_request_size; /* largest packed IngestRequest sent, bytes; SIZE_MAX = none */
    size_t max_reply_size;   /* largest IngestReply read, bytes; SIZE_MAX = none */
} sp_ingest_client_options_t;

/* Result of sp_ingest_client_send. */
typedef enum {
    SP_INGEST_CLIENT_OK = 0,       /* *reply_p holds status OK and one outcome per event */
    SP_INGEST_CLIENT_REFUSED = -1, /* BAD_REQUEST (or too large to send): do not retry as is */
    SP_INGEST_CLIENT_FAILED = -2,  /* no usable answer within the attempts, or interrupted */
} sp_ingest_client_result_t;

/* Fills options with the defaults above and no size limits. */
void sp_ingest_client_options_init (sp_ingest_client_options_t *options);

/* Creates a client and connects its DEALER to endpoint (a single connect
   endpoint: tcp://host:port, ipc://path or inproc://name). options may be
   NULL for the defaults. Returns NULL with error filled when the endpoint
   or an option is invalid; nothing is sent yet, so an absent service is
   only noticed by sp_ingest_client_send. */
sp_ingest_client_t *sp_ingest_client_new (const char *endpoint,
                                          const sp_ingest_client_options_t *options, char *error,
                                          size_t error_size);

/* Closes the socket and frees the client; no-op on NULL; sets *self_p to
   NULL. */
void sp_ingest_client_destroy (sp_ingest_client_t **self_p);

/* Sends count (>= 1) events, borrowed, as one IngestRequest and waits up to
   timeout_ms (>= 1) for its reply, re-sending as described above. On
   SP_INGEST_CLIENT_OK *reply_p is a new reply whose outcomes[i] is the
   outcome of events[i] (checked: status OK, count, indexes and outcome
   values); free it with sp_proto_free. On any other result error says why
   and *reply_p is untouched. */
sp_ingest_client_result_t sp_ingest_client_send (sp_ingest_client_t *self,
                                                 sp_event_t *const *events, size_t count,
                                                 int timeout_ms, Salespulse__IngestReply **reply_p,
                                                 char *error, size_t error_size);

/* The endpoint the client connects to. */
const char *sp_ingest_client_endpoint (const sp_ingest_client_t *self);

/* Counters since creation, for logs, metrics and tests: requests sent
   (every attempt), resends (attempts after the first of a batch), and
   reconnects (new DEALER after a timeout). */
uint64_t sp_ingest_client_sent_count (const sp_ingest_client_t *self);
uint64_t sp_ingest_client_resend_count (const sp_ingest_client_t *self);
uint64_t sp_ingest_client_reconnect_count (const sp_ingest_client_t *self);

#endif
