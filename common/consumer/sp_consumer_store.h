/*  sp_consumer_store - a consumer's per-partition state in Redis: the
    checkpoint, the rebuild epoch, and the atomic apply that writes a
    handler's commands together with the checkpoint, fenced by the lease.

    Keys of partition N of a service (sp_partition_key; all share "{pN}"):
        <service>:{pN}:checkpoint   decimal sequence of the last applied event
        <service>:{pN}:epoch        rebuild epoch the partition's state was built for
        <service>:{pN}:revision     reference data revision the state was built
                                    under (sp_refdata.h; missing = 0)
        <service>:{pN}:<anything>   the handler's own state (sp_consumer_batch_key)
    and one key per service:
        <service>:rebuild           rebuild epoch requested (salesctl rebuild
                                    increments it; missing = 0)

    A partition's state is valid when its checkpoint key exists and its
    epoch equals the requested rebuild epoch (missing epoch = 0). Otherwise
    (Redis flushed or new, `salesctl rebuild`, a key lost) the owner resets
    it (sp_consumer_store_reset) and replays the log from sequence 1.

    Revisions. The state is also stamped with the revision of the
    reference data (definitions) it was built under. The store applies
    under one revision (sp_consumer_store_set_revision, 0 by default); a
    partition stamped with another one is judged by
    sp_consumer_store_judge: older than the last revision that needs a
    rebuild, it is reset; older but not by such a change, it is restamped
    (sp_consumer_store_restamp); newer, this instance is the one behind
    (STALE) and must take the new definitions first.

    The atomic apply (one Lua script, EVALSHA) does, in order:
        1. GET lease: must equal the owner's token, else nothing is written
           (SP_CONSUMER_STORE_FENCED);
        2. GET checkpoint: must equal the step's first sequence - 1 as a
           decimal string, else nothing is written
           (SP_CONSUMER_STORE_MOVED: another owner or a reset moved it);
        3. GET revision (missing = "0"): must equal the store's revision,
           else nothing is written (SP_CONSUMER_STORE_STALE): no event is
           applied under two revisions in one partition's state;
        4. checks, still without writing, that every command of the
           step will succeed, on the state the commands before it leave:
           each key of the kind its command needs (a HINCRBY's key a hash
           or missing...), each increment (HINCRBY, INCR, INCRBY, DECR,
           DECRBY) leaving its value within int64 and starting from an
           integer, argument counts, ZADD's options and scores; else
           nothing is written (SP_CONSUMER_STORE_REFUSED, with the reason:
           `HINCRBY would take field "won_amount_sum" of key "..." beyond
           int64 (9223000000000000000 + 1000000000000000)`). Only these
           commands are checked, so only these are run: HINCRBY, HSET,
           HDEL, ZADD (NX, XX, GT, LT, CH; not INCR), ZREM, SADD, SREM,
           INCR, INCRBY, DECR, DECRBY, SET (no options), MSET, DEL,
           UNLINK; any other is refused. A key emptied by HDEL, ZREM or
           SREM is still taken as of its kind (a refusal where Redis
           would have let another kind through);
        5. runs the step's commands in order;
        6. SET checkpoint to the step's last sequence.
    Redis runs a script to the end without interleaving, so the handler's
    writes and the checkpoint advance are one atomic step: a crash before
    it leaves neither, after it both. Checks come before any write, so a
    step is all or nothing: Redis refuses a script's writes for maxmemory
    only at its first write (an OOM error, nothing written: FAILED), and
    SCRIPT KILL (a script over busy-reply-threshold) only before it.
    Sequences are compared as strings (Lua numbers are doubles).

    Handlers only add commands to a batch; every key a command touches must
    be a key of the batch's partition (sp_consumer_batch_key), which keeps
    the script single-slot. Not thread-safe.
*/
#ifndef SP_CONSUMER_STORE_H_INCLUDED
#define SP_CONSUMER_STORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_consumer_batch.h"
#include "sp_redis.h"

/* Keys deleted per script call while resetting a partition. */
#define SP_CONSUMER_RESET_CHUNK 500

typedef struct _sp_consumer_store_t sp_consumer_store_t;

typedef enum {
    SP_CONSUMER_STORE_APPLIED = 0, /* written, checkpoint advanced */
    SP_CONSUMER_STORE_FENCED = 1,  /* lease not held with this token; nothing written */
    SP_CONSUMER_STORE_MOVED = 2,   /* checkpoint not where the step starts; nothing written */
    SP_CONSUMER_STORE_FAILED = 3,  /* Redis unreachable or a command failed; see error */
    SP_CONSUMER_STORE_STALE = 4,   /* state stamped with another revision; nothing written */
    SP_CONSUMER_STORE_REFUSED = 5, /* a command of the step would fail; nothing written */
} sp_consumer_store_result_t;

/* What a partition's stored state needs before it is applied to. */
typedef enum {
    SP_CONSUMER_STORE_USE = 0,     /* valid as it stands */
    SP_CONSUMER_STORE_RESET = 1,   /* rebuild from sequence 1 (sp_consumer_store_reset) */
    SP_CONSUMER_STORE_RESTAMP = 2, /* valid, stamped with an older revision (restamp) */
    SP_CONSUMER_STORE_BEHIND = 3,  /* stamped with a newer revision than this instance's */
} sp_consumer_store_judgement_t;

/* What a partition's state looks like in Redis. */
typedef struct {
    bool has_checkpoint; /* checkpoint key exists */
    uint64_t checkpoint; /* its value, 0 when missing */
    int64_t epoch;       /* the partition's epoch, 0 when missing */
    int64_t rebuild;     /* the service's requested epoch, 0 when missing */
    int64_t revision;    /* the partition's reference data revision, 0 when missing */
} sp_consumer_store_state_t;

/* ---------------------------------------------------------------- store */

/* service: [a-z0-9-]+ (the key prefix). Creates the scripts (no I/O).
   NULL on out of memory. */
sp_consumer_store_t *sp_consumer_store_new (const char *service);
void sp_consumer_store_destroy (sp_consumer_store_t **self_p);

/* Sets the revision of the definitions the store applies under (>= 0;
   0 until set). */
void sp_consumer_store_set_revision (sp_consumer_store_t *self, int64_t revision);
int64_t sp_consumer_store_revision (const sp_consumer_store_t *self);

/* Loads the scripts now, so a problem shows at start. 0 or -1. */
int sp_consumer_store_load (sp_consumer_store_t *self, sp_redis_t *redis, char *error,
                            size_t error_size);

/* Reads checkpoint, epoch and the requested epoch of partition in one
   round trip. 0, or -1 with the reason (Redis down, a value that is not a
   decimal number: `key "x:{p3}:checkpoint" holds "abc", not a sequence`). */
int sp_consumer_store_read (sp_consumer_store_t *self, sp_redis_t *redis, uint32_t partition,
                            sp_consumer_store_state_t *state, char *error, size_t error_size);

/* True when state is valid as it stands (checkpoint present, epoch equal
   to the requested one), revisions aside. */
bool sp_consumer_store_valid (const sp_consumer_store_state_t *state);

/* What state needs for an instance applying under revision, whose
   definitions last needed a rebuild at rebuild_revision (<= revision):
   RESET when not valid or stamped before rebuild_revision, BEHIND when
   stamped after revision, RESTAMP when stamped in [rebuild_revision,
   revision), else USE. */
sp_consumer_store_judgement_t sp_consumer_store_judge (const sp_consumer_store_state_t *state,
                                                       int64_t revision, int64_t rebuild_revision);

/* Stamps partition with the store's revision, as its owner with token,
   leaving its state as it is (a FORWARD change). Returns APPLIED, FENCED
   or FAILED. */
sp_consumer_store_result_t sp_consumer_store_restamp (sp_consumer_store_t *self,
                                                      sp_redis_t *redis, uint32_t partition,
                                                      const char *token, char *error,
                                                      size_t error_size);

/* Resets partition for a replay from sequence 1, as its owner with token:
   finds every key "<service>:{pN}:*" with SCAN (except the lease and
   fence keys) and deletes them in chunks of SP_CONSUMER_RESET_CHUNK,
   each chunk a fenced script; then, fenced, sets checkpoint "0", epoch
   to the given value and revision to the store's. A crash part-way leaves the state invalid (the
   checkpoint missing or the epoch old), so the next owner resets again.
   Returns APPLIED, FENCED (stopped; not the owner) or FAILED. */
sp_consumer_store_result_t sp_consumer_store_reset (sp_consumer_store_t *self, sp_redis_t *redis,
                                                    uint32_t partition, const char *token,
                                                    int64_t epoch, char *error, size_t error_size);

/* Runs batch's atomic step (see above) with token under the store's
   revision. On MOVED, *observed (may be NULL) gets the checkpoint found
   (0 when missing, and *observed_missing true). Returns the result; error
   says why for FENCED, MOVED, STALE, REFUSED and FAILED. The batch is left as it was (reset it to reuse). */
sp_consumer_store_result_t sp_consumer_store_apply (sp_consumer_store_t *self, sp_redis_t *redis,
                                                    const sp_consumer_batch_t *batch,
                                                    const char *token, uint64_t *observed,
                                                    bool *observed_missing, char *error,
                                                    size_t error_size);

/* The same step, pipelined: sends it on redis and returns at once, so
   the caller prepares the next step while Redis runs this one. The batch
   must stay unchanged until sp_consumer_store_apply_receive, which reads
   the result (as sp_consumer_store_apply returns it). One step in flight
   per store, and redis must be a connection nothing else uses meanwhile
   (sp_redis_script_send). Returns 0, or -1 with the reason (nothing in
   flight: a FAILED step). */
int sp_consumer_store_apply_send (sp_consumer_store_t *self, sp_redis_t *redis,
                                  const sp_consumer_batch_t *batch, const char *token, char *error,
                                  size_t error_size);

/* True while a step is in flight; *partition (may be NULL) gets its
   partition. */
bool sp_consumer_store_apply_sent (const sp_consumer_store_t *self, uint32_t *partition);

sp_consumer_store_result_t sp_consumer_store_apply_receive (sp_consumer_store_t *self,
                                                            sp_redis_t *redis, uint64_t *observed,
                                                            bool *observed_missing, char *error,
                                                            size_t error_size);

/* Requests a rebuild of every partition of service (INCR <service>:rebuild);
 *epoch gets the new epoch. For salesctl rebuild. 0 or -1. */
int sp_consumer_store_request_rebuild (sp_redis_t *redis, const char *service, int64_t *epoch,
                                       char *error, size_t error_size);

#endif
