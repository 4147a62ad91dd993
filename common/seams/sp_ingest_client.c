/*  sp_ingest_client - Lazy Pirate client for activity-ingest (see
    sp_ingest_client.h).

    One DEALER at a time. A batch is packed once; every attempt sends the
    same bytes with the same request_id. Waiting uses zmq_poll with a
    deadline on the monotonic clock, so stale or unreadable replies do not
    extend the wait. The socket is replaced after a timeout or a failed
    send (linger 0: the unanswered request is dropped with it).
*/
#include "sp_ingest_client.h"
#include "sp_backoff.h"

#include "sp_error.h"
#include "sp_log.h"
#include "sp_proto.h"
#include "sp_zmq.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SP_INGEST_CLIENT_REASON_SIZE 256 /* room for one internal reason */

struct _sp_ingest_client_t {
    char *endpoint;                     /* where the DEALER connects */
    sp_ingest_client_options_t options; /* behaviour, copied at creation */
    zsock_t *dealer;                    /* current connection; replaced after a timeout */
    uint64_t last_request_id;           /* request_id of the latest batch */
    sp_backoff_t backoff;               /* waits after RETRY_* answers */
    uint64_t sent_count;                /* every attempt sent */
    uint64_t resend_count;              /* attempts after the first of a batch */
    uint64_t reconnect_count;           /* sockets replaced after a timeout */
};

/* How waiting for one reply ended. */
typedef enum {
    S_WAIT_REPLY = 0,   /* a reply with our request_id is in *reply_p */
    S_WAIT_TIMEOUT,     /* none before the deadline */
    S_WAIT_INTERRUPTED, /* SIGINT/SIGTERM (zsys_interrupted) or a dead context */
} s_wait_result_t;

void
sp_ingest_client_options_init (sp_ingest_client_options_t *options)
{
    assert (options);
    memset (options, 0, sizeof *options);
    options->attempts = SP_INGEST_CLIENT_DEFAULT_ATTEMPTS;
    options->backoff_ms = SP_INGEST_CLIENT_DEFAULT_BACKOFF_MS;
    options->backoff_max_ms = SP_INGEST_CLIENT_DEFAULT_BACKOFF_MAX_MS;
    options->max_request_size = SIZE_MAX;
    options->max_reply_size = SIZE_MAX;
}

static int
s_options_valid (const sp_ingest_client_options_t *options, char *error, size_t error_size)
{
    if (options->attempts < 1) {
        sp_error_set (error, error_size, "invalid attempts %d: expected 1 or more",
                      options->attempts);
        return -1;
    }
    if (options->backoff_ms < 0 || options->backoff_max_ms < options->backoff_ms) {
        sp_error_set (error, error_size,
                      "invalid backoff %d..%d ms: expected 0 <= backoff_ms <= backoff_max_ms",
                      options->backoff_ms, options->backoff_max_ms);
        return -1;
    }
    if (options->max_request_size == 0 || options->max_reply_size == 0) {
        sp_error_set (error, error_size, "invalid size limit 0: expected 1 or more bytes");
        return -1;
    }
    return 0;
}

/* Replaces the DEALER with a new one connected to the endpoint. */
static int
s_connect (sp_ingest_client_t *self, char *error, size_t error_size)
{
    sp_zmq_socket_destroy (&self->dealer);
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_DEALER);
    options.endpoints = self->endpoint;
    options.linger_ms = 0; /* an unanswered request dies with its socket */
    if (self->options.max_reply_size != SIZE_MAX && self->options.max_reply_size <= INT64_MAX)
        options.max_message_size = (int64_t) self->options.max_reply_size;
    self->dealer = sp_zmq_socket_new (&options, error, error_size);
    return self->dealer ? 0 : -1;
}

/* Replaces the socket after a timeout or failed send; error says why when
   the new socket cannot be made. */
static int
s_reconnect (sp_ingest_client_t *self, char *error, size_t error_size)
{
    char reason[SP_INGEST_CLIENT_REASON_SIZE] = "";
    if (s_connect (self, reason, sizeof reason) != 0) {
        sp_error_set (error, error_size, "could not reconnect to \"%s\": %s", self->endpoint,
                      reason);
        return -1;
    }
    self->reconnect_count++;
    return 0;
}

sp_ingest_client_t *
sp_ingest_client_new (const char *endpoint, const sp_ingest_client_options_t *options, char *error,
                      size_t error_size)
{
    assert (endpoint);
    sp_ingest_client_options_t defaults;
    sp_ingest_client_options_init (&defaults);
    if (!options)
        options = &defaults;
    if (s_options_valid (options, error, error_size) != 0)
        return NULL;
    /* One connect endpoint: no list, no '@' / '>' prefix. */
    if (strchr (endpoint, ',')) {
        sp_error_set (error, error_size,
                      "invalid endpoint \"%s\": expected one endpoint, not a list", endpoint);
        return NULL;
    }
    if (sp_zmq_endpoint_check (endpoint, false, error, error_size) != 0)
        return NULL;

    sp_ingest_client_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory creating the ingest client");
        return NULL;
    }
    self->endpoint = strdup (endpoint);
    if (!self->endpoint) {
        sp_error_set (error, error_size, "out of memory creating the ingest client");
        goto out_free_self;
    }
    self->options = *options;
    self->dealer = NULL;
    self->last_request_id = 0;
    sp_backoff_init (&self->backoff, options->backoff_ms, options->backoff_max_ms);
    self->sent_count = 0;
    self->resend_count = 0;
    self->reconnect_count = 0;
    if (s_connect (self, error, error_size) != 0)
        goto out_free_endpoint;
    return self;

out_free_endpoint:
    free (self->endpoint);
out_free_self:
    free (self);
    return NULL;
}

void
sp_ingest_client_destroy (sp_ingest_client_t **self_p)
{
    assert (self_p);
    sp_ingest_client_t *self = *self_p;
    if (!self)
        return;
    sp_zmq_socket_destroy (&self->dealer);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

const char *
sp_ingest_client_endpoint (const sp_ingest_client_t *self)
{
    assert (self);
    return self->endpoint;
}

uint64_t
sp_ingest_client_sent_count (const sp_ingest_client_t *self)
{
    assert (self);
    return self->sent_count;
}

uint64_t
sp_ingest_client_resend_count (const sp_ingest_client_t *self)
{
    assert (self);
    return self->resend_count;
}

uint64_t
sp_ingest_client_reconnect_count (const sp_ingest_client_t *self)
{
    assert (self);
    return self->reconnect_count;
}

/* Wait before the next attempt after `retry` earlier RETRY_* answers. */
static int
s_backoff_ms (sp_ingest_client_t *self, int retry)
{
    return (int) sp_backoff_delay_ms (&self->backoff, retry);
}

/* Sends one attempt: [empty delimiter][packed request]. */
static int
s_send_attempt (sp_ingest_client_t *self, const uint8_t *data, size_t size, int timeout_ms,
                char *error, size_t error_size)
{
    zmsg_t *message = zmsg_new ();
    if (!message || zmsg_addmem (message, NULL, 0) != 0 || zmsg_addmem (message, data, size) != 0) {
        zmsg_destroy (&message);
        sp_error_set (error, error_size, "out of memory building the request");
        return -1;
    }
    zsock_set_sndtimeo (self->dealer, timeout_ms);
    self->sent_count++;
    return sp_zmq_send (self->dealer, &message, error, error_size);
}

/* Reads one message from the DEALER and returns the reply it holds when
   it is an IngestReply for request_id; NULL (logged) for anything else. */
static Salespulse__IngestReply *
s_read_reply (sp_ingest_client_t *self, uint64_t request_id)
{
    char reason[SP_INGEST_CLIENT_REASON_SIZE] = "";
    zmsg_t *message = NULL;
    sp_zmq_receive_result_t received =
        sp_zmq_receive (self->dealer, 1, 2, &message, reason, sizeof reason);
    if (received == SP_ZMQ_BAD_SHAPE)
        sp_log_warn ("ignoring a reply of the wrong shape", "endpoint=\"%s\" error=\"%s\"",
                     self->endpoint, reason);
    if (received != SP_ZMQ_RECEIVED)
        return NULL;

    Salespulse__IngestReply *reply = NULL;
    if (zmsg_size (message) == 2 && zframe_size (zmsg_first (message)) != 0) {
        sp_log_warn ("ignoring a reply without an empty delimiter frame", "endpoint=\"%s\"",
                     self->endpoint);
        goto out_destroy_message;
    }
    reply = (Salespulse__IngestReply *) sp_proto_frame_unpack (
        &salespulse__ingest_reply__descriptor, zmsg_last (message), self->options.max_reply_size,
        NULL, NULL, reason, sizeof reason);
    if (!reply) {
        sp_log_warn ("ignoring an unreadable reply", "endpoint=\"%s\" error=\"%s\"", self->endpoint,
                     reason);
        goto out_destroy_message;
    }
    if (reply->request_id != request_id) {
        sp_log_debug ("ignoring a stale reply", "endpoint=\"%s\" request_id=%llu expected=%llu",
                      self->endpoint, (unsigned long long) reply->request_id,
                      (unsigned long long) request_id);
        sp_proto_free ((ProtobufCMessage **) &reply);
    }
out_destroy_message:
    zmsg_destroy (&message);
    return reply;
}

/* Waits up to timeout_ms for the reply to request_id. */
static s_wait_result_t
s_wait_reply (sp_ingest_client_t *self, uint64_t request_id, int timeout_ms,
              Salespulse__IngestReply **reply_p)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int64_t remaining = deadline - zclock_mono ();
        if (remaining <= 0)
            return S_WAIT_TIMEOUT;
        zmq_pollitem_t item = { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 };
        int ready = zmq_poll (&item, 1, (long) remaining);
        if (ready == -1) {
            if (zmq_errno () == EINTR && !zsys_interrupted)
                continue;
            return S_WAIT_INTERRUPTED;
        }
        if (ready == 0)
            continue;
        Salespulse__IngestReply *reply = s_read_reply (self, request_id);
        if (reply) {
            *reply_p = reply;
            return S_WAIT_REPLY;
        }
    }
}

/* Checks an OK reply against the batch: one known outcome per event, in
   order. */
static int
s_outcomes_valid (const Salespulse__IngestReply *reply, size_t count, char *error,
                  size_t error_size)
{
    if (reply->n_outcomes != count) {
        sp_error_set (error, error_size, "%zu outcomes for %zu events", reply->n_outcomes, count);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        const Salespulse__EventOutcome *outcome = reply->outcomes[i];
        if (outcome->index != i) {
            sp_error_set (error, error_size, "outcome %zu has index %u", i, outcome->index);
            return -1;
        }
        if (outcome->outcome < SALESPULSE__OUTCOME__OUTCOME_ACCEPTED ||
            outcome->outcome > SALESPULSE__OUTCOME__OUTCOME_REJECTED) {
            sp_error_set (error, error_size, "outcome %zu has unknown value %d", i,
                          (int) outcome->outcome);
            return -1;
        }
    }
    return 0;
}

/* Words for a retryable status, for messages. */
static const char *
s_retry_name (Salespulse__ReplyStatus status)
{
    switch (status) {
        case SALESPULSE__REPLY_STATUS__REPLY_STATUS_RETRY_OVERLOADED:
            return "overloaded";
        case SALESPULSE__REPLY_STATUS__REPLY_STATUS_RETRY_UNAVAILABLE:
            return "without its database";
        case SALESPULSE__REPLY_STATUS__REPLY_STATUS_RETRY_SHUTTING_DOWN:
            return "shutting down";
        default:
            return NULL;
    }
}

sp_ingest_client_result_t
sp_ingest_client_send (sp_ingest_client_t *self, sp_event_t *const *events, size_t count,
                       int timeout_ms, Salespulse__IngestReply **reply_p, char *error,
                       size_t error_size)
{
    assert (self);
    assert (events);
    assert (count > 0);
    assert (timeout_ms > 0);
    assert (reply_p);

    Salespulse__IngestRequest request = SALESPULSE__INGEST_REQUEST__INIT;
    request.request_id = ++self->last_request_id;
    request.n_events = count;
    request.events = (Salespulse__SalesEvent **) events; /* packing only reads them */
    uint8_t *data = NULL;
    size_t size = 0;
    char reason[SP_INGEST_CLIENT_REASON_SIZE] = "";
    if (sp_proto_pack (&request.base, self->options.max_request_size, &data, &size, reason,
                       sizeof reason) != 0) {
        sp_error_set (error, error_size, "could not build the request of %zu events: %s", count,
                      reason);
        return SP_INGEST_CLIENT_REFUSED;
    }

    sp_ingest_client_result_t result = SP_INGEST_CLIENT_FAILED;
    int retries = 0; /* RETRY_* answers so far, for the backoff */
    Salespulse__ReplyStatus last_status = SALESPULSE__REPLY_STATUS__REPLY_STATUS_UNSPECIFIED;
    char last_error[SP_INGEST_CLIENT_REASON_SIZE] = "";
    for (int attempt = 1; attempt <= self->options.attempts; attempt++) {
        if (attempt > 1)
            self->resend_count++;
        if (s_send_attempt (self, data, size, timeout_ms, reason, sizeof reason) != 0) {
            sp_log_warn ("could not send to activity-ingest",
                         "endpoint=\"%s\" attempt=%d error=\"%s\"", self->endpoint, attempt,
                         reason);
            snprintf (last_error, sizeof last_error, "%s", reason);
            last_status = SALESPULSE__REPLY_STATUS__REPLY_STATUS_UNSPECIFIED;
            if (s_reconnect (self, error, error_size) != 0)
                goto out_free_data;
            zclock_sleep (s_backoff_ms (self, retries++));
            continue;
        }
        Salespulse__IngestReply *reply = NULL;
        s_wait_result_t waited = s_wait_reply (self, request.request_id, timeout_ms, &reply);
        if (waited == S_WAIT_INTERRUPTED) {
            sp_error_set (error, error_size, "interrupted while waiting for \"%s\"",
                          self->endpoint);
            goto out_free_data;
        }
        if (waited == S_WAIT_TIMEOUT) {
            sp_log_warn ("no reply from activity-ingest, reconnecting",
                         "endpoint=\"%s\" attempt=%d timeout_ms=%d", self->endpoint, attempt,
                         timeout_ms);
            snprintf (last_error, sizeof last_error, "no reply within %d ms", timeout_ms);
            last_status = SALESPULSE__REPLY_STATUS__REPLY_STATUS_UNSPECIFIED;
            if (s_reconnect (self, error, error_size) != 0)
                goto out_free_data;
            continue;
        }
        if (reply->status == SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK) {
            if (s_outcomes_valid (reply, count, reason, sizeof reason) != 0) {
                sp_error_set (error, error_size, "invalid reply from \"%s\": %s", self->endpoint,
                              reason);
                sp_proto_free ((ProtobufCMessage **) &reply);
                goto out_free_data;
            }
            *reply_p = reply;
            result = SP_INGEST_CLIENT_OK;
            goto out_free_data;
        }
        if (reply->status == SALESPULSE__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST) {
            sp_error_set (error, error_size, "activity-ingest refused the request: %s",
                          reply->error[0] ? reply->error : "no reason given");
            sp_proto_free ((ProtobufCMessage **) &reply);
            result = SP_INGEST_CLIENT_REFUSED;
            goto out_free_data;
        }
        if (!s_retry_name (reply->status)) {
            sp_error_set (error, error_size, "invalid reply from \"%s\": unknown status %d",
                          self->endpoint, (int) reply->status);
            sp_proto_free ((ProtobufCMessage **) &reply);
            goto out_free_data;
        }
        last_status = reply->status;
        snprintf (last_error, sizeof last_error, "%s", reply->error);
        sp_proto_free ((ProtobufCMessage **) &reply);
        if (attempt < self->options.attempts) {
            int delay = s_backoff_ms (self, retries++);
            sp_log_warn ("activity-ingest asked to retry",
                         "endpoint=\"%s\" status=\"%s\" attempt=%d delay_ms=%d", self->endpoint,
                         s_retry_name (last_status), attempt, delay);
            zclock_sleep (delay);
            if (zsys_interrupted) {
                sp_error_set (error, error_size, "interrupted while waiting to retry \"%s\"",
                              self->endpoint);
                goto out_free_data;
            }
        }
    }
    if (s_retry_name (last_status))
        sp_error_set (error, error_size, "activity-ingest still %s after %d attempts: %s",
                      s_retry_name (last_status), self->options.attempts,
                      last_error[0] ? last_error : "no reason given");
    else
        sp_error_set (error, error_size, "no reply from \"%s\" after %d attempts: %s",
                      self->endpoint, self->options.attempts, last_error);

out_free_data:
    free (data);
    return result;
}
