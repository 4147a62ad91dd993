/*  sp_completeness - whether a consumer service's Redis state holds the
    whole event log now: what a query says beside its figures, so an
    answer read during a rebuild, a catch-up or after Redis lost its data
    is marked as partial instead of passing for the truth
    (docs/consumer.md, "Completeness"; `salesctl funnel`, `kpi`, ...).

        sp_completeness_t *completeness = sp_completeness_new ("funnel-tracker", partitions, ...);
        sp_completeness_set_revision (completeness, rebuild_revision);   (optional)
        sp_completeness_read (completeness, pg, redis, ...);     heads, then the state
        ... read the figures ...
        sp_completeness_confirm (completeness, redis, ...);      the state again
        if (!sp_completeness_complete (completeness)) ... mark the answer ...

    A partition is complete when the service has applied every event the
    log held when the check began: the log heads are read FIRST
    (sp_consumer_log_heads), then each partition's checkpoint, epoch and
    revision and the service's requested rebuild epoch (sp_consumer_key.h,
    one pipelined round trip), so a checkpoint found at or past its head
    really holds it. Per partition (sp_completeness_judge, no I/O):

      - head 0: complete (the log holds nothing to apply);
      - no checkpoint: MISSING (Redis lost its data, or the service never
        built the partition, or a reset is deleting its keys);
      - epoch other than the requested rebuild epoch: REBUILDING (`salesctl
        rebuild` was asked and the owner has not reset the partition yet;
        its old state is about to be replaced);
      - stamped with a revision older than the one set with
        sp_completeness_set_revision: STALE (reference data that needs a
        rebuild was loaded since; the service has not rebuilt under it);
      - checkpoint below the head: BEHIND (catching up, or replaying the
        log after a reset);
      - otherwise COMPLETE.

    Reads are not a snapshot: the figures are read after the check, and a
    rebuild or FLUSHALL may start in between. sp_completeness_confirm reads
    the state once more after the figures: a partition no longer complete,
    or whose epoch changed or checkpoint went back (it was reset meanwhile),
    is marked incomplete too. Checkpoints only grow otherwise, so figures
    read between two complete checks hold at least the heads read first.

    JSON (sp_completeness_json): {"service", "complete", "events" (sum of
    the heads), "applied" (sum over partitions of min (checkpoint, head)),
    "rebuilding" (a partition is waiting for a requested rebuild),
    "partition_count", "incomplete" (count), "partitions": [{"partition",
    "checkpoint" (null when missing), "head", "state"}]}. Every partition
    is listed when there are at most SP_COMPLETENESS_LISTED_MAX of them;
    beyond, only the incomplete ones (the counts say how many there are).
    Text (sp_completeness_text): "" when complete, else one line such as
    `incomplete: funnel-tracker has applied 6,605 of 8,800 events
    (partitions 3, 7 behind; a rebuild is running: partitions 0-2 not
    rebuilt yet)`.

    Not thread-safe.
*/
#ifndef SP_COMPLETENESS_H_INCLUDED
#define SP_COMPLETENESS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_pg.h"
#include "sp_redis.h"

/* Most partitions the JSON lists whole; beyond, only the incomplete ones. */
#define SP_COMPLETENESS_LISTED_MAX 64

/* Room for the text line of any partition count (lists are cut with "..."). */
#define SP_COMPLETENESS_TEXT_SIZE 1024

typedef struct _sp_completeness_t sp_completeness_t;

/* How one partition's state stands against the log. */
typedef enum {
    SP_COMPLETENESS_COMPLETE = 0,   /* every event up to the head applied */
    SP_COMPLETENESS_BEHIND = 1,     /* checkpoint below the head */
    SP_COMPLETENESS_REBUILDING = 2, /* a rebuild was requested and has not reset it yet */
    SP_COMPLETENESS_MISSING = 3,    /* no checkpoint: state lost or never built */
    SP_COMPLETENESS_STALE = 4,      /* built under older definitions that need a rebuild */
} sp_completeness_state_t;

/* One partition as read. */
typedef struct {
    uint64_t head;       /* the log head, read first */
    bool has_checkpoint; /* the checkpoint key exists */
    uint64_t checkpoint; /* its value, 0 when missing */
    int64_t epoch;       /* the rebuild epoch the state was built for (missing: 0) */
    int64_t revision;    /* the reference data revision it was built under (missing: 0) */
} sp_completeness_read_t;

/* ---------------------------------------------------------------- decision (no I/O) */

/* How read stands, the service's requested rebuild epoch being rebuild
   and state built under a revision below revision being stale (0: no
   revision needs a rebuild). */
sp_completeness_state_t sp_completeness_judge (const sp_completeness_read_t *read, int64_t rebuild,
                                               int64_t revision);

/* "complete", "behind", "rebuilding", "missing", "stale". */
const char *sp_completeness_state_name (sp_completeness_state_t state);

/* ---------------------------------------------------------------- check */

/* The check of service's partitions 0..partitions-1 (service copied, a
   valid service name; 1..SP_PARTITIONS_MAX partitions, asserted). NULL
   with the reason in error (out of memory). Nothing is read yet:
   complete until the first observation. */
sp_completeness_t *sp_completeness_new (const char *service, uint32_t partitions, char *error,
                                        size_t error_size);

/* Frees; no-op on NULL; sets the pointer to NULL. */
void sp_completeness_destroy (sp_completeness_t **self_p);

/* State built under a revision below revision (>= 0) is stale: the
   revision of the service's latest reference data that needs a rebuild
   (sp_refdata_revision over those kinds). 0 (the default): none. */
void sp_completeness_set_revision (sp_completeness_t *self, int64_t revision);

/* Judges reads[p] (every partition) with the requested rebuild epoch:
   the first observation of a check. No I/O. */
void sp_completeness_observe (sp_completeness_t *self, const sp_completeness_read_t *reads,
                              int64_t rebuild);

/* Judges a second read after the figures (heads ignored: those of the
   first observation stand): a partition that is not complete now, or
   whose checkpoint went back, appeared, vanished or whose epoch changed
   since the first, is not complete. No I/O. */
void sp_completeness_observe_again (sp_completeness_t *self, const sp_completeness_read_t *reads,
                                    int64_t rebuild);

/* Reads the log heads from pg, then the partitions' state from redis,
   and observes them. Returns 0, or -1 with the reason in error (the last
   observation kept): PostgreSQL or Redis failed, a key holds what the
   consumer never writes (`key "x:{p3}:checkpoint" holds "abc", not a
   sequence`). */
int sp_completeness_read (sp_completeness_t *self, sp_pg_t *pg, sp_redis_t *redis, char *error,
                          size_t error_size);

/* Reads the partitions' state from redis again and observes it with
   sp_completeness_observe_again. Returns 0, or -1 as sp_completeness_read. */
int sp_completeness_confirm (sp_completeness_t *self, sp_redis_t *redis, char *error,
                             size_t error_size);

/* ---------------------------------------------------------------- result */

/* True when every partition is complete. */
bool sp_completeness_complete (const sp_completeness_t *self);

/* The service checked (borrowed). */
const char *sp_completeness_service (const sp_completeness_t *self);

/* Partition p's state and first read (p < partitions, asserted). */
sp_completeness_state_t sp_completeness_partition (const sp_completeness_t *self,
                                                   uint32_t partition,
                                                   sp_completeness_read_t *read);

/* Sum of the heads; sum of min (checkpoint, head). */
uint64_t sp_completeness_events (const sp_completeness_t *self);
uint64_t sp_completeness_applied (const sp_completeness_t *self);

/* The JSON object above; NULL when out of memory. */
json_t *sp_completeness_json (const sp_completeness_t *self);

/* Writes the text line above (no newline) into buffer, "" when complete;
   cut to size. Returns its length. */
size_t sp_completeness_text (const sp_completeness_t *self, char *buffer, size_t size);

#endif
