/*  ingest_writer - the thread that runs the transactions (see ingest_writer.h). */
#include "ingest_writer.h"

#include <assert.h>
#include <string.h>
#include <time.h>

#include "ingest_store.h"
#include "sp_log.h"

#define INGEST_WRITER_ERROR_SIZE 512 /* room for a store error */

static int64_t
s_monotonic_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

void
ingest_writer_actor (zsock_t *pipe, void *args)
{
    const ingest_writer_args_t *settings = (const ingest_writer_args_t *) args;
    ingest_store_t *store = ingest_store_new (settings->postgres_url, settings->partitions);
    zsock_signal (pipe, store ? 0 : 1);
    if (!store)
        return;
    while (true) {
        zmsg_t *message = zmsg_recv (pipe);
        if (!message)
            break;
        char *command = zmsg_popstr (message);
        zframe_t *frame = zmsg_pop (message);
        ingest_batch_t *batch = NULL;
        bool terminate = !command || strcmp (command, "$TERM") == 0;
        if (!terminate && strcmp (command, "WRITE") == 0 && frame &&
            zframe_size (frame) == sizeof batch)
            memcpy (&batch, zframe_data (frame), sizeof batch);
        zframe_destroy (&frame);
        zstr_free (&command);
        zmsg_destroy (&message);
        if (terminate)
            break;
        if (!batch)
            continue;
        char error[INGEST_WRITER_ERROR_SIZE] = "";
        int64_t ingested_at = 0;
        int64_t started = s_monotonic_us ();
        uint32_t committed = 1;
        if (ingest_store_write (store, batch, &ingested_at, error, sizeof error) != 0) {
            sp_log_warn ("could not store a batch",
                         "group=%u requests=%zu events=%zu error=\"%s\"",
                         ingest_batch_group (batch), ingest_batch_request_count (batch),
                         ingest_batch_event_count (batch), error);
            committed = 0;
        }
        uint64_t elapsed = (uint64_t) (s_monotonic_us () - started);
        zsock_send (pipe, "sp884", "DONE", batch, (uint64_t) ingested_at, elapsed, committed);
    }
    ingest_store_destroy (&store);
}
