/*  sp_harness_publisher - a publisher thread for activity-ingest tests.

    Publishes a numbered series of events through sp_ingest_client (so with
    its resend on timeout and its backoff on RETRY_* answers), one batch at
    a time, in a thread of its own, and records every acknowledgement: the
    outcome and where the event is stored. Several publishers in one test
    give several batches in flight at once; the acknowledged-batch counter
    lets a test act at a moment chosen by progress (kill the service after N
    acknowledged batches) rather than by sleeping.

    Batches are acknowledged in order, so acknowledgements of the first
    sp_harness_publisher_batches_done batches are final and may be read
    while the thread still runs.
*/
#ifndef SP_HARNESS_PUBLISHER_H_INCLUDED
#define SP_HARNESS_PUBLISHER_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sp_event.h"
#include "sp_ingest_client.h"
#include "sp_pg.h"

/* Makes event number index (0 <= index < count) of the series; the
   publisher destroys it. NULL fails the publisher. */
typedef sp_event_t *(*sp_harness_event_fn) (size_t index, void *arg);

/* What a publisher sends and how. */
typedef struct {
    const char *endpoint;              /* activity-ingest's ROUTER */
    size_t count;                      /* events in the series */
    size_t batch;                      /* events per request (the last may be shorter) */
    int timeout_ms;                    /* reply wait per attempt */
    sp_ingest_client_options_t client; /* attempts and backoff */
    sp_harness_event_fn make_event;    /* builds event index */
    void *arg;                         /* passed to make_event */
} sp_harness_publisher_options_t;

/* One acknowledged event, as the reply told it. */
typedef struct {
    char *event_id;              /* its event_id (owned by the publisher) */
    Salespulse__Outcome outcome; /* OUTCOME_UNSPECIFIED until acknowledged */
    uint32_t partition;          /* where it (or its original) is stored */
    uint64_t sequence;           /* its sequence there */
} sp_harness_ack_t;

typedef struct _sp_harness_publisher_t sp_harness_publisher_t;

/* A valid call event: event_id, customer and duration; NULL when out of
   memory. */
sp_event_t *sp_harness_call_event (const char *event_id, const char *customer, uint32_t seconds);

/* Starts the thread; NULL when it could not start. */
sp_harness_publisher_t *sp_harness_publisher_new (const sp_harness_publisher_options_t *options);

/* Waits for the thread to end (it is asked to stop at the next batch if
   still running), frees; no-op on NULL; sets *self_p to NULL. */
void sp_harness_publisher_destroy (sp_harness_publisher_t **self_p);

/* Batches acknowledged with status OK so far (any thread). */
size_t sp_harness_publisher_batches_done (const sp_harness_publisher_t *self);

/* Total batches of the series. */
size_t sp_harness_publisher_batches (const sp_harness_publisher_t *self);

/* Waits up to timeout_ms for the thread to end. Returns 0 when every batch
   was acknowledged, -1 otherwise (error tells why). */
int sp_harness_publisher_wait (sp_harness_publisher_t *self, int timeout_ms, char *error,
                               size_t error_size);

/* The acknowledgements, count entries in series order; entry i is final
   once batch i / batch is done. */
const sp_harness_ack_t *sp_harness_publisher_acks (const sp_harness_publisher_t *self);

/* Events acknowledged in the first batches batches (at most
   sp_harness_publisher_batches_done), and how many of them the events
   table holds exactly where the reply said: same event_id at the reported
   partition and sequence. The two are equal when nothing acknowledged was
   lost. Returns 0, or -1 when the query failed. */
int sp_harness_publisher_stored (const sp_harness_publisher_t *self, size_t batches, sp_pg_t *pg,
                                 size_t *acknowledged, size_t *stored);

/* The client's resend count (read after wait). */
uint64_t sp_harness_publisher_resends (const sp_harness_publisher_t *self);

#endif
