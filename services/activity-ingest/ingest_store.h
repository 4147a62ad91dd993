/*  ingest_store - the PostgreSQL write path of activity-ingest.

    Writes one batch in one transaction (synchronous_commit on, set by
    sp_pg for every session), so a reply sent after ingest_store_write
    returned OK is a promise that the events are on disk:

      1. BEGIN;
      2. lock the head rows of the partitions the batch touches, ascending
         (SELECT ... ORDER BY partition FOR UPDATE), so concurrent
         instances queue per partition and never deadlock;
      3. look the batch's event_ids up (under the locks, so a same-content
         event committed by another instance is seen) - or, optimistically,
         not at all (see below);
      4. resolve outcomes and allocate head+1.. for the new events only
         (ingest_batch);
      5. COPY the new events, the dead letters (rejected events with their
         packed bytes) and the conflicts, in binary form;
      6. advance the heads; COMMIT.

    Optimistic de-duplication: new events are the rule, and the unique
    index on event_id checks every id the COPY writes anyway, so a batch
    is first written without the lookup (duplicates within the batch are
    still resolved by ingest_batch). When an id is already stored the COPY
    fails with a unique violation; the attempt rolls back and the batch is
    retried with the lookup, and so are the next 64 batches (a publisher
    resending, or a stream of duplicates, pays the lookup rather than a
    failed COPY each time). Outcomes and guarantees are those of the
    lookup path: nothing is written twice, every stored id is reported
    duplicate or conflict with its partition and sequence.

    A unique violation on event_id (another instance stored the same id in
    another partition meanwhile: different content, other customer) rolls
    back and retries the whole batch, which then sees that row; so does a
    deadlock two such instances can meet on each other's index entries. A lost
    connection or any other failure rolls back and reports UNAVAILABLE:
    nothing is acknowledged that was not committed; the next batch
    reconnects.

    Owned by the writer thread; one PostgreSQL connection of its own.
*/
#ifndef INGEST_STORE_H_INCLUDED
#define INGEST_STORE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "ingest_batch.h"

/* Transactions tried for one batch before giving up (unique violations,
   deadlocks). */
#define INGEST_STORE_ATTEMPTS 5

typedef struct _ingest_store_t ingest_store_t;

/* Creates the store for a libpq URL and partition count; connects once
   (failure is logged; the next write reconnects). NULL when the URL is
   unusable or out of memory. */
ingest_store_t *ingest_store_new (const char *url, uint32_t partitions);

/* Closes the connection, frees; no-op on NULL; sets *self_p to NULL. */
void ingest_store_destroy (ingest_store_t **self_p);

/* Writes the batch. On success every pending event is resolved, 0 is
   returned and *ingested_at is the time stored with the events (UTC ms,
   read once the partitions are locked, so it grows with sequence within a
   partition); on failure -1 with error (nothing was committed; the caller
   refuses the batch as unavailable). */
int ingest_store_write (ingest_store_t *self, ingest_batch_t *batch, int64_t *ingested_at,
                        char *error, size_t error_size);

#endif
