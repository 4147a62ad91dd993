/*  sp_consumer_partition - what a consumer knows about one partition and
    the decisions it takes on it, with no I/O (sp_consumer does the I/O).

    States:
        IDLE         not owned here; live events of it are dropped
        STARTING     owned; its Redis state must be read (and reset when
                     missing or older than the rebuild epoch)
        CATCHING_UP  owned; reading the log after the checkpoint
        LIVE         owned; applying live events in sequence

    Live decision for an event with sequence s, when `pending` events of
    the partition are already queued for the current apply (so the next
    expected one is checkpoint + pending + 1):
        s == expected          APPLY
        s <  expected          IGNORE (applied or queued already)
        s >  expected          GAP    (catch up from the log)
    and DROP whenever the partition is not LIVE.

    Lag detection by head polls: a live partition whose checkpoint is still
    below the head seen at the previous poll has missed events that were
    committed at least one poll interval ago, and nothing since showed the
    gap: it catches up.

    Poison accounting: failures of the handler on one sequence are counted;
    a failure on another sequence starts the count again; reaching the
    attempt limit means quarantine.

    Refused steps: when the apply script refuses a step (a command would
    fail: WRONGTYPE, an increment beyond int64...), the event at fault is
    found by applying the refused step's events one per step up to its
    last (narrowing); a refusal of a one-event step counts against that
    event, kept apart from handler failures (a parked step clears those),
    and at the attempt limit the event is quarantined at its next apply,
    with the reason.
*/
#ifndef SP_CONSUMER_PARTITION_H_INCLUDED
#define SP_CONSUMER_PARTITION_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_lease.h"

typedef enum {
    SP_CONSUMER_PARTITION_IDLE = 0,
    SP_CONSUMER_PARTITION_STARTING = 1,
    SP_CONSUMER_PARTITION_CATCHING_UP = 2,
    SP_CONSUMER_PARTITION_LIVE = 3,
} sp_consumer_partition_state_t;

typedef enum {
    SP_CONSUMER_LIVE_APPLY = 0,
    SP_CONSUMER_LIVE_IGNORE = 1,
    SP_CONSUMER_LIVE_GAP = 2,
    SP_CONSUMER_LIVE_DROP = 3,
} sp_consumer_live_t;

typedef enum {
    SP_CONSUMER_FAILURE_RETRY = 0,      /* try the event again later */
    SP_CONSUMER_FAILURE_QUARANTINE = 1, /* give up on it */
} sp_consumer_failure_t;

typedef enum {
    SP_CONSUMER_REFUSAL_NARROW = 0,     /* apply the step's events one per step, at once */
    SP_CONSUMER_REFUSAL_RETRY = 1,      /* try the event's step again later */
    SP_CONSUMER_REFUSAL_QUARANTINE = 2, /* give up on the event at its next apply */
} sp_consumer_refusal_t;

/* Room for the reason a step was refused. */
#define SP_CONSUMER_PARTITION_REASON_MAX 512

typedef struct {
    sp_consumer_partition_state_t state;
    char token[SP_LEASE_TOKEN_MAX]; /* lease value while owned */
    uint64_t checkpoint;            /* last applied sequence (valid from CATCHING_UP) */
    uint64_t head;                  /* head at the last poll */
    uint64_t head_previous;         /* head at the poll before */
    int64_t not_before_ms;          /* no work before this monotonic time */
    uint64_t failing_sequence;      /* sequence the handler failed on, 0 = none */
    int failures;                   /* failures on failing_sequence */
    uint64_t single_until;          /* one event per step up to this sequence (narrowing) */
    uint64_t refused_sequence;      /* event whose own step was refused, 0 = none */
    int refusals;                   /* refusals of it */
    uint64_t quarantine_sequence;   /* event to quarantine at its next apply, 0 = none */
    char refused_reason[SP_CONSUMER_PARTITION_REASON_MAX]; /* why, for the quarantine */
} sp_consumer_partition_t;

/* Name of a state for logs and status ("idle", "starting", "catching_up",
   "live"). */
const char *sp_consumer_partition_state_name (sp_consumer_partition_state_t state);

/* Takes ownership with token (copied, truncated to fit): STARTING, no
   checkpoint, no failures, head kept. */
void sp_consumer_partition_own (sp_consumer_partition_t *self, const char *token);

/* Forgets ownership: IDLE, token and checkpoint cleared, head kept. */
void sp_consumer_partition_drop (sp_consumer_partition_t *self);

/* The live decision above. */
sp_consumer_live_t sp_consumer_partition_live (const sp_consumer_partition_t *self,
                                               uint64_t sequence, size_t pending);

/* Records a head poll; returns true when a LIVE partition should catch up
   (checkpoint below the head seen at the previous poll). */
bool sp_consumer_partition_poll (sp_consumer_partition_t *self, uint64_t head);

/* Lag: head - checkpoint for an owned partition past STARTING (0 when the
   checkpoint is ahead of a stale head), 0 otherwise. */
uint64_t sp_consumer_partition_lag (const sp_consumer_partition_t *self);

/* Records a handler failure on sequence with attempt limit max_attempts
   (>= 1): RETRY while fewer failures, QUARANTINE at the limit (the count
   then starts again). */
sp_consumer_failure_t sp_consumer_partition_failure (sp_consumer_partition_t *self,
                                                     uint64_t sequence, int max_attempts);

/* Records that the apply script refused the step of events first..last
   for reason (copied, cut to fit), with attempt limit max_attempts (>= 1):
   NARROW when the step had several events (single_until = last); for a
   one-event step, RETRY while the event has fewer refusals, QUARANTINE
   at the limit (quarantine_sequence = first; the count starts again). */
sp_consumer_refusal_t sp_consumer_partition_refused (sp_consumer_partition_t *self, uint64_t first,
                                                     uint64_t last, int max_attempts,
                                                     const char *reason);

/* Records that Redis applied a step ending at last: a refusal count on a
   sequence <= last is cleared. */
void sp_consumer_partition_confirmed (sp_consumer_partition_t *self, uint64_t last);

/* Records that events up to last were applied: checkpoint = last, and a
   failure count on a sequence <= last is cleared. */
void sp_consumer_partition_applied (sp_consumer_partition_t *self, uint64_t last);

#endif
