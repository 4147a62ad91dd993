/*  salesctl_follow - `--follow` of the outbox streams (see
    salesctl_follow.h). */
#include "salesctl_follow.h"

#include "salesctl.h"

#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "sp_log.h"

#define S_ERROR_SIZE 512
#define S_MS_PER_SECOND INT64_C (1000)

int
salesctl_follow (const salesctl_follow_t *follow, sp_pg_t *pg)
{
    assert (follow && pg && follow->snapshot && follow->timeout_s >= 0);
    char error[S_ERROR_SIZE];
    const char *const topics[] = { follow->topic };
    /* Subscribed before the snapshot is read, so nothing published in
       between is missed: it is received, or read back by sequence. */
    sp_outbox_follow_t *follower =
        sp_outbox_follow_new (follow->endpoints, topics, 1, follow->max_message_size,
                              &follow->handler, error, sizeof error);
    if (!follower) {
        fprintf (stderr, "salesctl %s: %s\n", follow->command, error);
        return -1;
    }
    int rc = -1;
    int64_t last = 0;
    if (follow->snapshot (follow->snapshot_arg, pg, &last) != 0)
        goto out_destroy;
    fflush (stdout);
    sp_outbox_follow_start (follower, last);
    char what[S_ERROR_SIZE];
    snprintf (what, sizeof what, "following %s", follow->command);
    sp_log_info (what, "last=%" PRId64, last);
    int64_t deadline =
        follow->timeout_s > 0 ? salesctl_now_ms () + follow->timeout_s * S_MS_PER_SECOND : 0;
    bool failing = false;
    while (!zsys_interrupted && (deadline == 0 || salesctl_now_ms () < deadline)) {
        int delivered = sp_outbox_follow_turn (follower, pg, error, sizeof error);
        if (delivered > 0)
            fflush (stdout);
        if (delivered < 0 && !failing)
            sp_log_warn ("could not read messages back, trying again at the next check",
                         "command=%s error=\"%s\"", follow->command, error);
        else if (delivered > 0 && failing)
            sp_log_info ("reading messages back again", "command=%s", follow->command);
        if (delivered != 0)
            failing = delivered < 0;
    }
    rc = 0;

out_destroy:
    sp_outbox_follow_destroy (&follower);
    return rc;
}
