/*  sp_outbox_follow - the subscriber's side of an outbox stream: the
    ZeroMQ guide's Clone pattern over sp_outbox.h.

        sp_outbox_follow_t *follow = sp_outbox_follow_new (endpoints, topics, 1,
                                                           max_size, &handler, error, size);
        ... subscribed: now read the snapshot from PostgreSQL, newest sequence S ...
        sp_outbox_follow_start (follow, S);
        while (running)
            sp_outbox_follow_turn (follow, pg, error, size);

    Subscribe first, then read the snapshot: whatever is published in
    between is either received or read back by sequence. Then every
    received message is placed against the last one delivered
    (sp_outbox_order): one delivered already is dropped, the next is
    delivered, and one that skips sequences makes the missing ones (and
    itself: it was committed before it was published) be read back from
    PostgreSQL through the stream owner's page function first. When
    nothing arrived for SP_OUTBOX_FOLLOW_QUIET_MS, PostgreSQL is asked for
    anything newer, which covers a lost last message and the moment before
    the subscription took effect. Each message is delivered once, in
    sequence order. PostgreSQL going away is reported by the turn and
    mended at the next gap or quiet check.

    The SUB socket is made by common/seams/sp_zmq.c. Messages are [topic,
    payload]; the handler reads the sequence out of the payload.
*/
#ifndef SP_OUTBOX_FOLLOW_H_INCLUDED
#define SP_OUTBOX_FOLLOW_H_INCLUDED

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_outbox.h"
#include "sp_pg.h"

#define SP_OUTBOX_FOLLOW_RECEIVE_MS 200 /* longest wait of one turn */
#define SP_OUTBOX_FOLLOW_QUIET_MS 2000  /* PostgreSQL is asked for newer after this much quiet */
#define SP_OUTBOX_FOLLOW_RECEIVE_HWM 100000 /* messages queued before ZeroMQ drops (repaired) */

/* What the stream's owner does with its messages. */
typedef struct {
    /* Reads a received [topic, payload] message and keeps it for deliver:
       0 with *sequence set, or -1 when it does not read (error says why;
       it is dropped). */
    int (*read) (void *arg, zmsg_t *message, int64_t *sequence, char *error, size_t error_size);
    /* Delivers the message read last, which is the next in order. Returns
       0, or -1 with the reason (it is then read back at the next check). */
    int (*deliver) (void *arg, char *error, size_t error_size);
    /* Reads back and delivers stored messages (sp_outbox.h). */
    sp_outbox_page_fn *page;
    /* Handed to all three. */
    void *arg;
} sp_outbox_follow_handler_t;

typedef struct _sp_outbox_follow_t sp_outbox_follow_t;

/* Subscribes to topics (prefixes, topic_count >= 1) at endpoints (CZMQ
   list, bare endpoints connect), frames up to max_message_size bytes.
   handler is copied. Returns NULL with the reason in error. */
sp_outbox_follow_t *sp_outbox_follow_new (const char *endpoints, const char *const *topics,
                                          size_t topic_count, int64_t max_message_size,
                                          const sp_outbox_follow_handler_t *handler, char *error,
                                          size_t error_size);

/* Closes the socket, frees; no-op on NULL; sets the pointer to NULL. */
void sp_outbox_follow_destroy (sp_outbox_follow_t **self_p);

/* Sets the last sequence delivered (the snapshot's newest) and starts
   the quiet clock. */
void sp_outbox_follow_start (sp_outbox_follow_t *self, int64_t last);

/* The last sequence delivered. */
int64_t sp_outbox_follow_last (const sp_outbox_follow_t *self);

/* One turn: waits up to SP_OUTBOX_FOLLOW_RECEIVE_MS for a message and
   places it, or after SP_OUTBOX_FOLLOW_QUIET_MS of quiet reads back
   anything newer. Returns the messages delivered (0 or more), or -1 with
   the reason in error when reading back or delivering failed (tried
   again at the next gap or quiet check). A message that does not read
   is dropped, with the reason logged once per message. */
int sp_outbox_follow_turn (sp_outbox_follow_t *self, sp_pg_t *pg, char *error, size_t error_size);

#endif
