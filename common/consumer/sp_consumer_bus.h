/*  sp_consumer_bus - the consumer's side of activity-ingest's event bus: a
    SUB socket on every topic, and the reading of whatever is waiting on
    it as checked envelopes ordered by partition and sequence, so each
    partition's run can be applied as one atomic step.

    Every topic is subscribed: sequences count all events of a partition,
    so a consumer that filtered types would see gaps everywhere. The
    receive high-water mark bounds memory; beyond it ZeroMQ drops messages
    and the consumer catches up from the event log.
*/
#ifndef SP_CONSUMER_BUS_H_INCLUDED
#define SP_CONSUMER_BUS_H_INCLUDED

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.pb-c.h"

typedef struct _sp_consumer_bus_t sp_consumer_bus_t;

/* Connects a SUB socket to endpoints (CZMQ list, connected by default)
   with receive high-water mark hwm; envelopes of partitions >= partitions
   are refused; a read takes at most max (>= 1) messages. Returns NULL
   with the reason. */
sp_consumer_bus_t *sp_consumer_bus_new (const char *endpoints, int hwm, uint32_t partitions,
                                        size_t max, char *error, size_t error_size);

/* Frees what was read and closes the socket; no-op on NULL; sets *self_p
   to NULL. */
void sp_consumer_bus_destroy (sp_consumer_bus_t **self_p);

/* The socket, for the reactor. */
zsock_t *sp_consumer_bus_socket (sp_consumer_bus_t *self);

/* Tells whether the consumer applies what the bus brings for partition
   now (false: a partition it does not own, or one catching up from the
   log, whose bus messages it would drop). */
typedef bool(sp_consumer_bus_wanted_fn) (void *arg, uint32_t partition);

/* Sets the filter reads use: a message whose topic ("<type>.<partition>",
   as activity-ingest publishes) names a partition wanted says false to is
   dropped without being unpacked. A topic of another form is unpacked as
   usual. NULL: every message is unpacked. */
void sp_consumer_bus_set_filter (sp_consumer_bus_t *self, sp_consumer_bus_wanted_fn *wanted,
                                 void *arg);

/* Frees the previous read, then reads the messages waiting (at least one
   read is attempted, at most max), drops those the filter does not want
   unread, unpacks and checks the others (a bad one is logged and
   dropped), and sorts them by partition, then sequence.
   Returns how many; *envelopes (borrowed until the next read or destroy)
   holds them. */
size_t sp_consumer_bus_read (sp_consumer_bus_t *self, Salespulse__BusEnvelope *const **envelopes);

/* Messages dropped as malformed since start. */
uint64_t sp_consumer_bus_malformed (const sp_consumer_bus_t *self);

/* Messages dropped unread by the filter since start. */
uint64_t sp_consumer_bus_skipped (const sp_consumer_bus_t *self);

#endif
