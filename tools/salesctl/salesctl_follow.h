/*  salesctl_follow - `--follow` for every salesctl command that shows an
    outbox stream (notices now; alerts and pace warnings later).

    The Clone pattern of common/consumer/sp_outbox_follow.h with what a
    person at a terminal expects: subscribe to the stream's PUB
    endpoint(s) first, print the snapshot from PostgreSQL (the command's
    own: the firing set, or the history), then print every message
    published, in sequence order and once each, reading back from
    PostgreSQL what was lost on the way. Stops at --timeout or Ctrl-C,
    both a success. PostgreSQL going away meanwhile is reported once and
    mended at the next gap or quiet check, not an end.

    The command says how to read and print its messages
    (sp_outbox_follow_handler_t) and how to print its snapshot.
*/
#ifndef SALESCTL_FOLLOW_H_INCLUDED
#define SALESCTL_FOLLOW_H_INCLUDED

#include <stdint.h>

#include "sp_outbox_follow.h"
#include "sp_pg.h"

/* Prints the snapshot and sets *last to the newest sequence it covers.
   Returns 0, or -1 after printing why. */
typedef int (salesctl_snapshot_fn) (void *arg, sp_pg_t *pg, int64_t *last);

/* One --follow run. Strings are borrowed for the call. */
typedef struct {
    const char *command;                /* e.g. "notices", for messages */
    const char *endpoints;              /* PUB endpoint(s), CZMQ list */
    const char *topic;                  /* topic prefix subscribed to */
    int64_t max_message_size;           /* largest payload accepted, bytes */
    int64_t timeout_s;                  /* stop after this many seconds; 0: until Ctrl-C */
    sp_outbox_follow_handler_t handler; /* read, deliver (print) and page back */
    salesctl_snapshot_fn *snapshot;     /* prints the snapshot */
    void *snapshot_arg;                 /* handed to snapshot */
} salesctl_follow_t;

/* Subscribes, prints the snapshot, then follows until the timeout or
   Ctrl-C. Returns 0, or -1 after printing why (could not subscribe, the
   snapshot failed). */
int salesctl_follow (const salesctl_follow_t *follow, sp_pg_t *pg);

#endif
