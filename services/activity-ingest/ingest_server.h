/*  ingest_server - the activity-ingest actor.

    Owns the ROUTER socket publishers send IngestRequests to, the PUB socket
    accepted events are fanned out on, the group-commit timer and the
    writer thread (ingest_writer) that runs the transactions. Runs on the
    service's reactor:

      - ROUTER readable: read each request (ROUTER identity, optional empty
        delimiter, one body frame), judge it (ingest_request). Unusable
        requests are answered BAD_REQUEST at once. Others join the pending
        batch, unless it already holds max_pending events: then the request
        is refused RETRY_OVERLOADED, nothing written.
      - Several writers (settings.writers, each a thread with its own
        PostgreSQL session): writer g stores the partitions p with
        p % writers == g, so each partition has one writer and its
        sequences stay gap-free and in commit order. A request whose events
        fall in several groups is split: each group's part joins that
        writer's pending batch (ingest_request_split, ingest_batch).
      - A writer's pending batch goes to it when it is idle and either
        commit_delay_us passed since its first request or it holds a full
        request's worth (max_batch events); while the writer is busy it
        keeps growing, so concurrent publishers share one commit.
      - Writer done: publish the batch's accepted events on the bus (frame
        0 "<type>.<partition>", frame 1 BusEnvelope), answer each request
        whose every part is back (OK when all committed, else
        RETRY_UNAVAILABLE), and hand that writer's next pending batch over.

    ingest_server_stop (the service's stop hook, after SIGTERM) stops
    reading, commits and answers what was read, then returns.
*/
#ifndef INGEST_SERVER_H_INCLUDED
#define INGEST_SERVER_H_INCLUDED

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_metrics.h"

/* The service's settings (strings borrowed for ingest_server_new). */
typedef struct {
    const char *endpoint;     /* ROUTER endpoints, CZMQ syntax */
    const char *bus;          /* PUB endpoints, CZMQ syntax */
    const char *postgres_url; /* libpq URL for the writer's connection */
    uint32_t partitions;      /* partition count recorded at setup */
    size_t max_batch;         /* most events in one request */
    size_t max_message_bytes; /* largest request frame (ZMQ_MAXMSGSIZE) */
    int64_t max_future_ms;    /* occurred_at at most this far ahead of now */
    int64_t max_past_ms;      /* occurred_at at most this far behind now */
    uint32_t writers;         /* writer sessions (partition groups), 1..64; more than
                                 partitions are lowered to one per partition */
    int64_t commit_delay_us;  /* group-commit delay after the first pending request, µs */
    size_t max_pending;       /* most events waiting for the next transaction */
    int bus_hwm;              /* ZMQ_SNDHWM of the PUB socket, messages */
} ingest_server_settings_t;

typedef struct _ingest_server_t ingest_server_t;

/* Binds the sockets, starts the writer thread, registers readers on loop.
   Returns NULL with error (e.g. `could not bind to "tcp://..."`) on
   failure. metrics is borrowed and must outlive the server. */
ingest_server_t *ingest_server_new (const ingest_server_settings_t *settings, zloop_t *loop,
                                    sp_metrics_t *metrics, char *error, size_t error_size);

/* Stops reading requests, commits and answers every request already read.
   Idempotent. */
void ingest_server_stop (ingest_server_t *self);

/* Stops (as above), ends the writer thread, closes the sockets, frees;
   no-op on NULL; sets *self_p to NULL. */
void ingest_server_destroy (ingest_server_t **self_p);

/* Writer threads running: settings.writers, at most one per partition. */
uint32_t ingest_server_writers (const ingest_server_t *self);

/* The endpoints actually bound (real port after a wildcard bind). */
const char *ingest_server_endpoint (ingest_server_t *self);
const char *ingest_server_bus_endpoint (ingest_server_t *self);

#endif
