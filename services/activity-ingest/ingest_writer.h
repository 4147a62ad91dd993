/*  ingest_writer - the thread that runs the PostgreSQL transactions.

    A CZMQ actor owning an ingest_store (and so its own connection): the
    server hands it one batch at a time and keeps reading and judging the
    next requests while the transaction runs, which is what makes group
    commit work. Protocol on the actor pipe (picture strings of zsock_send):

        server -> writer  "sp"    "WRITE", ingest_batch_t *   (ownership moves)
        writer -> server  "sp884" "DONE", ingest_batch_t *, ingested_at (UTC ms),
                                  commit microseconds, committed (1 or 0)
                                                              (ownership returns)

    With several writers (--writers) each runs its own actor and
    connection and only ever gets batches of its own group (ingest_batch),
    the partitions p with p % writers == its number.

    On return with committed 1 every event of the batch's group is
    resolved; with 0 nothing of the batch was committed and its events are
    pending again: the server refuses the requests (it alone touches a
    request's status, since another writer may still hold another part).
*/
#ifndef INGEST_WRITER_H_INCLUDED
#define INGEST_WRITER_H_INCLUDED

#include <czmq.h>
#include <stdint.h>

/* What the writer thread needs. */
typedef struct {
    const char *postgres_url; /* libpq URL (copied by the thread before it signals) */
    uint32_t partitions;      /* partition count recorded at setup */
} ingest_writer_args_t;

/* zactor body: zactor_new (ingest_writer_actor, &args). */
void ingest_writer_actor (zsock_t *pipe, void *args);

#endif
