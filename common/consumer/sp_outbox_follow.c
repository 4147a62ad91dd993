/*  sp_outbox_follow - the subscriber's side of an outbox stream (see
    sp_outbox_follow.h). */
#include "sp_outbox_follow.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#include "sp_error.h"
#include "sp_log.h"
#include "sp_zmq.h"

#define S_ERROR_SIZE 512
#define S_FRAMES 2 /* [topic, payload] */

struct _sp_outbox_follow_t {
    zsock_t *subscriber;                /* SUB socket, made by sp_zmq */
    sp_outbox_follow_handler_t handler; /* the owner's read, deliver and page */
    int64_t last;                       /* last sequence delivered */
    int64_t quiet_since;                /* monotonic ms of the last message or check */
};

sp_outbox_follow_t *
sp_outbox_follow_new (const char *endpoints, const char *const *topics, size_t topic_count,
                      int64_t max_message_size, const sp_outbox_follow_handler_t *handler,
                      char *error, size_t error_size)
{
    assert (endpoints && topics && topic_count >= 1 && handler);
    assert (handler->read && handler->deliver && handler->page);
    sp_outbox_follow_t *self = (sp_outbox_follow_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->handler = *handler;
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_SUB);
    options.endpoints = endpoints;
    options.receive_hwm = SP_OUTBOX_FOLLOW_RECEIVE_HWM;
    options.receive_timeout_ms = SP_OUTBOX_FOLLOW_RECEIVE_MS;
    options.max_message_size = max_message_size;
    options.subscriptions = topics;
    options.subscription_count = topic_count;
    char socket_error[S_ERROR_SIZE];
    self->subscriber = sp_zmq_socket_new (&options, socket_error, sizeof socket_error);
    if (!self->subscriber) {
        sp_error_set (error, error_size, "could not subscribe to \"%s\": %s", endpoints,
                      socket_error);
        free (self);
        return NULL;
    }
    self->quiet_since = zclock_mono ();
    return self;
}

void
sp_outbox_follow_destroy (sp_outbox_follow_t **self_p)
{
    assert (self_p);
    sp_outbox_follow_t *self = *self_p;
    if (!self)
        return;
    sp_zmq_socket_destroy (&self->subscriber);
    free (self);
    *self_p = NULL;
}

void
sp_outbox_follow_start (sp_outbox_follow_t *self, int64_t last)
{
    assert (self && last >= 0);
    self->last = last;
    self->quiet_since = zclock_mono ();
}

int64_t
sp_outbox_follow_last (const sp_outbox_follow_t *self)
{
    assert (self);
    return self->last;
}

/* Reads back every stored message after the last delivered. */
static int
s_read_back (sp_outbox_follow_t *self, sp_pg_t *pg, char *error, size_t error_size)
{
    int64_t read = sp_outbox_read_after (pg, self->handler.page, self->handler.arg,
                                         SP_OUTBOX_PAGE_MAX, &self->last, error, error_size);
    return read < 0 ? -1 : (int) read;
}

/* Places one received message. Returns the messages delivered, or -1. */
static int
s_place (sp_outbox_follow_t *self, zmsg_t *message, sp_pg_t *pg, char *error, size_t error_size)
{
    int64_t sequence = 0;
    char read_error[S_ERROR_SIZE];
    if (self->handler.read (self->handler.arg, message, &sequence, read_error, sizeof read_error) !=
        0) {
        sp_log_warn ("dropped a message that does not read", "error=\"%s\"", read_error);
        return 0;
    }
    if (sequence < 1) {
        sp_log_warn ("dropped a message that does not read",
                     "error=\"sequence %" PRId64 " is below 1\"", sequence);
        return 0;
    }
    switch (sp_outbox_order (self->last, sequence)) {
        case SP_OUTBOX_SEEN:
            return 0;
        case SP_OUTBOX_GAP: {
            sp_log_info ("sequence gap, reading the missing messages back",
                         "last=%" PRId64 " received=%" PRId64, self->last, sequence);
            int delivered = s_read_back (self, pg, error, error_size);
            if (delivered < 0)
                return -1;
            /* committed before it was published, so normally read back
               with the rest; delivered here when it was the only one missing */
            if (sp_outbox_order (self->last, sequence) != SP_OUTBOX_NEXT)
                return delivered;
            if (self->handler.deliver (self->handler.arg, error, error_size) != 0)
                return -1;
            self->last = sequence;
            return delivered + 1;
        }
        case SP_OUTBOX_NEXT:
            if (self->handler.deliver (self->handler.arg, error, error_size) != 0)
                return -1;
            self->last = sequence;
            return 1;
    }
    return 0;
}

int
sp_outbox_follow_turn (sp_outbox_follow_t *self, sp_pg_t *pg, char *error, size_t error_size)
{
    assert (self && pg);
    zmsg_t *message = NULL;
    char receive_error[S_ERROR_SIZE];
    sp_zmq_receive_result_t received = sp_zmq_receive (
        self->subscriber, S_FRAMES, S_FRAMES, &message, receive_error, sizeof receive_error);
    if (received == SP_ZMQ_BAD_SHAPE) {
        sp_log_warn ("dropped a message of the wrong shape", "error=\"%s\"", receive_error);
        return 0;
    }
    if (received == SP_ZMQ_RECEIVED) {
        int delivered = s_place (self, message, pg, error, error_size);
        zmsg_destroy (&message);
        self->quiet_since = zclock_mono ();
        return delivered;
    }
    if (zclock_mono () - self->quiet_since < SP_OUTBOX_FOLLOW_QUIET_MS)
        return 0;
    self->quiet_since = zclock_mono ();
    return s_read_back (self, pg, error, error_size);
}
