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

/* Frees the previous read, then reads the messages waiting (at least one
   read is attempted, at most max), unpacks and checks each (a bad one is
   logged and dropped), and sorts them by partition, then sequence.
   Returns how many; *envelopes (borrowed until the next read or destroy)
   holds them. */
size_t sp_consumer_bus_read (sp_consumer_bus_t *self, Salespulse__BusEnvelope *const **envelopes);

/* Messages dropped as malformed since start. */
uint64_t sp_consumer_bus_malformed (const sp_consumer_bus_t *self);

#endif
