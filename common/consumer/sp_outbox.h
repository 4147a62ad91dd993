/*  sp_outbox - messages a service decides from settled state and must not
    lose: a gap-free sequence per stream, written in the transaction that
    decides, then published after the commit on a PUB socket.

    Funnel bottleneck notices, KPI pace warnings and churn alerts are one
    pattern (docs/consumer.md, "The outbox"):

        sp_pg_begin (pg);
        ... read the stored state; decide ...
        int64_t sequence;
        sp_outbox_claim (pg, "funnel-notices", &sequence, error, size);
        ... insert the owner's typed row with that sequence ...
        sp_pg_commit (pg);
        sp_outbox_publish (outbox, pg, sequence, topic, payload, size, ...);

    Sequencing: one row per stream in outbox_streams (migrations/
    0006_outbox.sql) holds the stream's head; sp_outbox_claim raises it by
    one in the caller's transaction and returns the new value. The row
    lock it takes is held until commit or rollback, so the writers of one
    stream are serialised (not those of other streams), a rollback gives
    the number back (no gap), and a caller that reads its own stored state
    after the claim sees every message committed before it (READ
    COMMITTED takes a new snapshot per statement): claim first, then
    decide, and a transition is written, and so published, once however
    many instances decide it at the same moment.

    Storage: the stream's owner keeps its messages in its own typed table
    (the columns its queries need, e.g. the firing set) keyed by the
    claimed sequence; the payload is a function of that row. Reading back
    (sp_outbox_read_after, for repair and --all/--after) pages through the
    owner's rows with its page function.

    Publishing: frames [topic, payload]; the sequence travels inside the
    payload, where the owner's message type puts it (FunnelBottleneck
    field 1), so subscribers that read two frames keep working. A send
    that fails (high-water mark) is logged by the caller and not retried:
    the message is committed, and subscribers repair the gap by sequence
    (sp_outbox_follow.h).

    Only common/seams/sp_zmq.c creates the socket; only sp_pg talks to
    PostgreSQL.
*/
#ifndef SP_OUTBOX_H_INCLUDED
#define SP_OUTBOX_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_pg.h"

#define SP_OUTBOX_STREAM_SIZE 64 /* a stream name's bytes with its NUL, at most */
#define SP_OUTBOX_PAGE_MAX 1000  /* messages read back in one page, at most */
#define SP_OUTBOX_SEND_HWM 10000 /* default: messages a subscriber may fall behind by */

typedef struct _sp_outbox_t sp_outbox_t;

/* Where a received sequence stands against the last one delivered. */
typedef enum {
    SP_OUTBOX_SEEN = 0, /* at or below the last: delivered already, drop it */
    SP_OUTBOX_NEXT,     /* exactly the next: deliver it */
    SP_OUTBOX_GAP,      /* beyond the next: read the missing ones back first */
} sp_outbox_order_t;

/* Reads back one page of a stream's stored messages: those with sequence
   > after, oldest first, at most limit, each handed to whatever the owner
   does with them (print, collect), raising *last to the highest sequence
   handed over. Returns the messages read (fewer than limit: no more now),
   or -1 with the reason in error. */
typedef int (sp_outbox_page_fn) (void *arg, sp_pg_t *pg, int64_t after, size_t limit, int64_t *last,
                                 char *error, size_t error_size);

/* Checks a stream name: 1..SP_OUTBOX_STREAM_SIZE-1 bytes of [a-z0-9._-],
   starting with a letter or digit. Returns 0, or -1 with the reason. */
int sp_outbox_stream_check (const char *stream, char *error, size_t error_size);

/* Where received stands against last (both >= 0). */
sp_outbox_order_t sp_outbox_order (int64_t last, int64_t received);

/* Claims the stream's next sequence in the open transaction on pg
   (asserted): the head row is raised by one and locked until the
   transaction ends; a rollback gives it back. Returns 0 with *sequence
   set (1 for a new stream), or -1 with the reason in error (the
   transaction is then failed: roll it back). */
int sp_outbox_claim (sp_pg_t *pg, const char *stream, int64_t *sequence, char *error,
                     size_t error_size);

/* sp_outbox_claim for count (>= 1) messages at once: claims the next
   count sequences, *first to *first + count - 1, in one statement. */
int sp_outbox_claim_many (sp_pg_t *pg, const char *stream, int64_t count, int64_t *first,
                          char *error, size_t error_size);

/* Reads the stream's head: the newest sequence committed (0 when none).
   Returns 0, or -1 with the reason in error. */
int sp_outbox_head (sp_pg_t *pg, const char *stream, int64_t *head, char *error, size_t error_size);

/* Reads back every stored message after *last through page, limit per
   page (1..SP_OUTBOX_PAGE_MAX), until a page comes back short; *last is
   raised as messages are handed over, so after a failure it says where
   to start again. Returns the messages read, or -1 with the reason. */
int64_t sp_outbox_read_after (sp_pg_t *pg, sp_outbox_page_fn *page, void *arg, size_t limit,
                              int64_t *last, char *error, size_t error_size);

/* Creates the publishing side of stream: a PUB socket bound at endpoints
   (CZMQ list, bare endpoints bind) with send_hwm (0: SP_OUTBOX_SEND_HWM).
   Returns NULL with the reason in error (bad stream name, cannot bind). */
sp_outbox_t *sp_outbox_new (const char *stream, const char *endpoints, int send_hwm, char *error,
                            size_t error_size);

/* Closes the socket, frees; no-op on NULL; sets the pointer to NULL. */
void sp_outbox_destroy (sp_outbox_t **self_p);

/* The stream's name. */
const char *sp_outbox_stream (const sp_outbox_t *self);

/* The last endpoint bound, with the real port for a wildcard. */
const char *sp_outbox_endpoint (sp_outbox_t *self);

/* Publishes a committed message: frames [topic, payload] (size bytes,
   which carry sequence as the stream's message type says). pg is the
   connection that wrote it, and must hold no open transaction
   (asserted): publishing before the commit could announce what a
   rollback takes back. Returns 0, or -1 with the reason in error (not
   sent; subscribers repair it from the owner's rows). */
int sp_outbox_publish (sp_outbox_t *self, const sp_pg_t *pg, int64_t sequence, const char *topic,
                       const void *payload, size_t size, char *error, size_t error_size);

/* Messages published and sends that failed since creation. */
uint64_t sp_outbox_published (const sp_outbox_t *self);
uint64_t sp_outbox_send_failures (const sp_outbox_t *self);

#endif
