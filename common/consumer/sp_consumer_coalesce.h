/*  sp_consumer_coalesce - merges the Redis commands of one atomic step
    that hit the same key and field, so the apply script runs fewer of
    them and Redis ends in exactly the state the original commands give.
    No I/O: it reads commands and answers which ones to write, and how.

    A handler writes each event's change on its own (funnel-tracker: tens
    of HINCRBYs per event), and the events of one step touch the same
    counters again and again. The consumer calls sp_consumer_batch_coalesce
    (which uses this object) on a complete step, just before the apply.

    Merge rules. A command is mergeable only in exactly these forms (the
    name in any letter case; nothing else about it is rewritten):
        HINCRBY key field delta   delta a canonical int64 as Redis reads
                                  it ("0", or "-"? then 1-9 then digits)
        SET key value             no options
        ZADD key score member     no options, one member; score a plain
                                  decimal ("-"? digits, "." digits?)
        ZADD key GT score member  GT alone, one member, a plain score
        ZREM key member           one member
        SADD key member           one member
    Mergeable commands on the same slot are written as one, at the
    position of the slot's first command:
        HINCRBY ... d1, HINCRBY ... d2, ...   one HINCRBY of the sum; when
            the sum of two or more is 0, nothing (see "Zero nets")
        SET                                   the last one
        ZADD / ZREM of one member             the last one (ZADD with its
            score, or ZREM)
        SADD of one member                    the first one
        ZADD GT of one member                 the one of greatest score
            (the member ends at the greatest of those and its old score)
    A command alone in its slot is written as it came, byte for byte.

    Slots and generations. A slot is (key, field) for HINCRBY, (key) for
    SET, (key, member) for ZADD/ZREM, ZADD GT and SADD, within one generation
    of the key. A key's generation ends, so nothing merges across, at:
      - a change of kind of mergeable command on it (HINCRBY, SET,
        ZADD/ZREM, ZADD GT, SADD are five kinds);
      - a barrier naming it: any other command, or a listed one in another
        form (other options such as ZADD ... NX or LT, several members, a delta or a
        score not in the form above). Every argument but the command name
        is taken as a key it may touch: Redis commands name the keys they
        write among their arguments;
      - a command that touches keys it does not name (FLUSHALL, FLUSHDB,
        SWAPDB, SELECT, EVAL..., FCALL..., FUNCTION, SCRIPT, DEBUG, MULTI,
        EXEC): a barrier for every key.

    Why the final state is the same. Commands on different keys commute;
    on one key, commands of one generation and different slots commute
    (other fields, other members: a sorted set or set that empties and is
    created again ends the same); within a slot the merged command has the
    slot's net effect; a generation's commands all lie between its
    barriers, and are written there. A merged HINCRBY's value is one the
    field took in the original order, so no new overflow can occur; a sum
    that would leave int64 is not made: the slot starts again at that
    command. This holds for steps whose commands all succeed, which is the
    handler's contract (sp_consumer_store.h): a command that fails stops
    the script at another place than the original would.

    Groups. After merging, the plain single-member ZADDs of one key's
    generation become one ZADD of all their members (score member score
    member ...), and likewise its ZREMs and its SADDs, at the position of
    the group's first command, up to SP_CONSUMER_COALESCE_GROUP_MAX
    members: one call instead of many (the apply script pays per call).
    The same reasoning holds: within a generation every member has one
    net command, members of one key commute, and nothing else touches the
    key there.

    Likewise the SETs that are their key's first command in the step (no
    command, mergeable or not, named the key before) become one MSET of
    all their keys and values, at the position of the first of them, up
    to SP_CONSUMER_COALESCE_GROUP_MAX keys; a command that touches keys
    it does not name (above) starts a new MSET after it. Moving such a SET
    up to the MSET's position passes only commands on other keys, which
    commute with it (funnel-tracker writes each entity's record once per
    step: one call for all of them instead of one each).

    A planned command heads its group (next says who joins it; keys says
    the group is an MSET) or is joined (skipped by the writer).

    Zero nets. Two or more HINCRBYs of one slot that sum to 0 are dropped:
    the field is then left as it was, where the original commands would
    have created it with "0" if it was missing (and its hash with it).
    Readers must treat a missing field or hash as 0; every reader in this
    repository does (funnel-tracker sums HGETALL fields, reads HMGET nil
    as 0; counting-consumer's counts only grow). A single HINCRBY of 0 is
    kept, as every command alone in its slot.

    Use: reset, add every command of the step in order, then plan and read
    the planned commands. Pointers passed to add are borrowed until the
    next reset. Not thread-safe.
*/
#ifndef SP_CONSUMER_COALESCE_H_INCLUDED
#define SP_CONSUMER_COALESCE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sp_consumer_coalesce_t sp_consumer_coalesce_t;

/* One command of the plan. */
typedef struct {
    size_t source;       /* index (order of add) of the command whose arguments are written */
    size_t merged;       /* commands it stands for (1: written as it came) */
    bool replaces_delta; /* a merged HINCRBY: its last argument becomes delta */
    int64_t delta;       /* the merged increment, when replaces_delta */
    size_t next;         /* grouped: the plan index of the next command whose member
                            joins this one's (SP_CONSUMER_COALESCE_NONE: none) */
    bool joined;         /* written inside an earlier command of its group: skip it */
    bool keys;           /* heads a group across keys: written MSET key value key value ... */
} sp_consumer_coalesce_command_t;

/* No next command in a group. */
#define SP_CONSUMER_COALESCE_NONE SIZE_MAX

/* Most members one grouped command carries. */
#define SP_CONSUMER_COALESCE_GROUP_MAX 256

/* An empty coalescer; NULL on out of memory. */
sp_consumer_coalesce_t *sp_consumer_coalesce_new (void);
void sp_consumer_coalesce_destroy (sp_consumer_coalesce_t **self_p);

/* Forgets every command added (keeps the memory for the next step). */
void sp_consumer_coalesce_reset (sp_consumer_coalesce_t *self);

/* Adds the next command: argc >= 1 arguments, argv[0] the command name,
   lengths[i] the length of argv[i] (binary safe); fewer than 2^32 - 1
   commands a step (asserted). The bytes are borrowed until the next
   reset; the arrays themselves only during the call.
   Returns 0, or -1 when memory runs out (the coalescer must then be reset
   before it is used again). */
int sp_consumer_coalesce_add (sp_consumer_coalesce_t *self, int argc, const char *const *argv,
                              const size_t *lengths);

/* Commands added since the reset. */
size_t sp_consumer_coalesce_added (const sp_consumer_coalesce_t *self);

/* Ends the step: returns how many commands the plan writes (at most the
   number added), in the order of the plan. Adding more commands after it
   is a programmer error (asserted) until the next reset. */
size_t sp_consumer_coalesce_plan (sp_consumer_coalesce_t *self);

/* Command index (< the planned count) of the plan; borrowed until the
   next reset. */
const sp_consumer_coalesce_command_t *
sp_consumer_coalesce_planned (const sp_consumer_coalesce_t *self, size_t index);

/* Reads text as Redis reads an integer argument (string2ll): "0", or an
   optional "-", a digit 1-9 and more digits, within int64. Returns true
   with *value set, false otherwise (*value untouched). */
bool sp_consumer_coalesce_int64 (const char *text, size_t length, int64_t *value);

#endif
