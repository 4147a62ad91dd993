/*  sp_consumer_bus - reading the event bus (see sp_consumer_bus.h).
 */
#include "sp_consumer_bus.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#include "sp_consumer_log.h"
#include "sp_error.h"
#include "sp_log.h"
#include "sp_proto.h"
#include "sp_zmq.h"

#define ERROR_SIZE 512
/* Largest bus envelope accepted: one event plus the envelope's fields. */
#define BUS_ENVELOPE_MAX_BYTES (SP_CONSUMER_LOG_EVENT_MAX_BYTES + 1024)
/* A bus message is [topic, packed BusEnvelope]. */
#define BUS_FRAMES 2

struct _sp_consumer_bus_t {
    zsock_t *sub;
    uint32_t partitions;
    size_t max;
    Salespulse__BusEnvelope **envelopes; /* max entries */
    size_t count;
    uint64_t malformed;
    uint64_t skipped;                  /* dropped unread by the filter */
    sp_consumer_bus_wanted_fn *wanted; /* the filter, or NULL */
    void *wanted_arg;
};

sp_consumer_bus_t *
sp_consumer_bus_new (const char *endpoints, int hwm, uint32_t partitions, size_t max, char *error,
                     size_t error_size)
{
    assert (endpoints && partitions >= 1 && max >= 1);
    sp_consumer_bus_t *self = (sp_consumer_bus_t *) calloc (1, sizeof *self);
    if (self)
        self->envelopes = (Salespulse__BusEnvelope **) calloc (max, sizeof *self->envelopes);
    if (!self || !self->envelopes) {
        sp_error_set (error, error_size, "out of memory");
        sp_consumer_bus_destroy (&self);
        return NULL;
    }
    self->partitions = partitions;
    self->max = max;
    const char *everything[] = { "" };
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_SUB);
    options.endpoints = endpoints;
    options.receive_hwm = hwm;
    options.max_message_size = BUS_ENVELOPE_MAX_BYTES;
    options.subscriptions = everything;
    options.subscription_count = 1;
    options.linger_ms = 0;
    self->sub = sp_zmq_socket_new (&options, error, error_size);
    if (!self->sub)
        sp_consumer_bus_destroy (&self);
    return self;
}

static void
s_clear (sp_consumer_bus_t *self)
{
    for (size_t index = 0; index < self->count; index++)
        sp_proto_free ((ProtobufCMessage **) &self->envelopes[index]);
    self->count = 0;
}

void
sp_consumer_bus_destroy (sp_consumer_bus_t **self_p)
{
    assert (self_p);
    sp_consumer_bus_t *self = *self_p;
    if (!self)
        return;
    if (self->envelopes)
        s_clear (self);
    sp_zmq_socket_destroy (&self->sub);
    free (self->envelopes);
    free (self);
    *self_p = NULL;
}

zsock_t *
sp_consumer_bus_socket (sp_consumer_bus_t *self)
{
    assert (self);
    return self->sub;
}

uint64_t
sp_consumer_bus_malformed (const sp_consumer_bus_t *self)
{
    assert (self);
    return self->malformed;
}

uint64_t
sp_consumer_bus_skipped (const sp_consumer_bus_t *self)
{
    assert (self);
    return self->skipped;
}

void
sp_consumer_bus_set_filter (sp_consumer_bus_t *self, sp_consumer_bus_wanted_fn *wanted, void *arg)
{
    assert (self);
    self->wanted = wanted;
    self->wanted_arg = arg;
}

/* The partition a topic "<type>.<partition>" names (decimal, below the
   partition count), or -1 when the topic has another form. */
static int64_t
s_topic_partition (const sp_consumer_bus_t *self, const zframe_t *topic)
{
    const char *bytes = (const char *) zframe_data ((zframe_t *) topic);
    size_t size = zframe_size ((zframe_t *) topic);
    size_t digits = 0;
    while (digits < size && bytes[size - 1 - digits] >= '0' && bytes[size - 1 - digits] <= '9')
        digits++;
    if (digits == 0 || digits > 9 || digits == size || bytes[size - 1 - digits] != '.')
        return -1;
    int64_t partition = 0;
    for (size_t index = size - digits; index < size; index++)
        partition = partition * 10 + (bytes[index] - '0');
    return partition < (int64_t) self->partitions ? partition : -1;
}

/* Orders envelopes by partition, then sequence. */
static int
s_compare (const void *left, const void *right)
{
    const Salespulse__BusEnvelope *a = *(Salespulse__BusEnvelope *const *) left;
    const Salespulse__BusEnvelope *b = *(Salespulse__BusEnvelope *const *) right;
    if (a->partition != b->partition)
        return a->partition < b->partition ? -1 : 1;
    if (a->sequence != b->sequence)
        return a->sequence < b->sequence ? -1 : 1;
    return 0;
}

/* Checks an envelope right after unpacking. */
static int
s_validate (const ProtobufCMessage *message, void *arg, char *error, size_t error_size)
{
    const sp_consumer_bus_t *self = (const sp_consumer_bus_t *) arg;
    const Salespulse__BusEnvelope *envelope = (const Salespulse__BusEnvelope *) message;
    if (envelope->partition >= self->partitions) {
        sp_error_set (error, error_size,
                      "field \"partition\": %" PRIu32 " is not below the partition count %" PRIu32,
                      envelope->partition, self->partitions);
        return -1;
    }
    if (envelope->sequence == 0) {
        sp_error_set (error, error_size, "field \"sequence\": must be at least 1");
        return -1;
    }
    if (!envelope->event) {
        sp_error_set (error, error_size, "field \"event\": missing");
        return -1;
    }
    return 0;
}

/* Reads one message; its envelope, or NULL (nothing waiting, or malformed:
   logged and dropped). */
static Salespulse__BusEnvelope *
s_receive (sp_consumer_bus_t *self)
{
    zmsg_t *message = NULL;
    char error[ERROR_SIZE];
    sp_zmq_receive_result_t received =
        sp_zmq_receive (self->sub, BUS_FRAMES, BUS_FRAMES, &message, error, sizeof error);
    if (received != SP_ZMQ_RECEIVED) {
        if (received == SP_ZMQ_BAD_SHAPE) {
            self->malformed++;
            sp_log_warn ("bad bus message dropped", "error=\"%s\"", error);
        }
        zmsg_destroy (&message);
        return NULL;
    }
    zframe_t *topic = zmsg_first (message);
    if (self->wanted) {
        int64_t partition = s_topic_partition (self, topic);
        if (partition >= 0 && !self->wanted (self->wanted_arg, (uint32_t) partition)) {
            self->skipped++; /* it would be dropped after unpacking */
            zmsg_destroy (&message);
            return NULL;
        }
    }
    zframe_t *body = zmsg_next (message);
    ProtobufCMessage *unpacked = sp_proto_unpack (
        &salespulse__bus_envelope__descriptor, zframe_data (body), zframe_size (body),
        BUS_ENVELOPE_MAX_BYTES, s_validate, self, error, sizeof error);
    zmsg_destroy (&message);
    if (!unpacked) {
        self->malformed++;
        sp_log_warn ("bad bus message dropped", "error=\"%s\"", error);
    }
    return (Salespulse__BusEnvelope *) unpacked;
}

size_t
sp_consumer_bus_read (sp_consumer_bus_t *self, Salespulse__BusEnvelope *const **envelopes)
{
    assert (self && envelopes);
    s_clear (self);
    do {
        Salespulse__BusEnvelope *envelope = s_receive (self);
        if (envelope)
            self->envelopes[self->count++] = envelope;
    } while (self->count < self->max && (zsock_events (self->sub) & ZMQ_POLLIN));
    qsort (self->envelopes, self->count, sizeof self->envelopes[0], s_compare);
    *envelopes = self->envelopes;
    return self->count;
}
