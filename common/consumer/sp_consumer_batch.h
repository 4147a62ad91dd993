/*  sp_consumer_batch - one atomic step being built for one partition: the
    handler's Redis commands for a run of consecutive events, and the
    sequences the step covers (sp_consumer_store_apply runs it).

    A batch keeps its commands compactly: every argument's bytes back to
    back in one growable buffer, the end offset of each argument, and the
    index of each command's first argument. Each command is stored with its
    argument count in front, as a decimal argument, so the batch's
    arguments are exactly the tail of the apply script's ARGV and the
    apply needs no second copy of them. Marks are command counts (and the
    summed increments' undo position), so a rewind only shortens arrays.

    Once a step is complete, sp_consumer_batch_coalesce merges its
    commands that hit the same key and field (sp_consumer_coalesce.h has
    the rules), so the apply runs fewer commands for the same final state.
*/
#ifndef SP_CONSUMER_BATCH_H_INCLUDED
#define SP_CONSUMER_BATCH_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most commands and arguments in one atomic step (bounded memory). */
#define SP_CONSUMER_BATCH_MAX_COMMANDS 100000
#define SP_CONSUMER_COMMAND_MAX_ARGS 64

/* Room for an int64 in decimal: sign, 19 digits and the NUL. */
#define SP_CONSUMER_BATCH_NUMBER_SIZE 21

typedef struct _sp_consumer_batch_t sp_consumer_batch_t;

/* An atomic step being built for one partition of service. NULL on out of
   memory. */
sp_consumer_batch_t *sp_consumer_batch_new (const char *service);
void sp_consumer_batch_destroy (sp_consumer_batch_t **self_p);

/* Empties the batch and starts a step for partition whose checkpoint is
   now checkpoint: the step's events will be checkpoint+1, +2, ... */
void sp_consumer_batch_reset (sp_consumer_batch_t *self, uint32_t partition, uint64_t checkpoint);

/* Partition, first sequence - 1, and last sequence of the step (last ==
   first - 1 while no event was added). */
uint32_t sp_consumer_batch_partition (const sp_consumer_batch_t *self);
uint64_t sp_consumer_batch_from (const sp_consumer_batch_t *self);
uint64_t sp_consumer_batch_last (const sp_consumer_batch_t *self);

/* Events and commands in the step. */
size_t sp_consumer_batch_events (const sp_consumer_batch_t *self);
size_t sp_consumer_batch_commands (const sp_consumer_batch_t *self);

/* Writes the key "<service>:{p<partition>}:<suffix>" of the batch's
   partition into buffer (size >= SP_PARTITION_KEY_MAX is always enough
   for suffixes under 128 bytes). Returns the length, or -1 when it does
   not fit. */
int sp_consumer_batch_key (const sp_consumer_batch_t *self, const char *suffix, char *buffer,
                           size_t size);

/* Appends one Redis command (argc 1..SP_CONSUMER_COMMAND_MAX_ARGS, e.g.
   {"HINCRBY", key, field, "1"}); the arguments are copied. lengths may be
   NULL when all are C strings. Returns 0, or -1 when the limits above are
   reached or memory runs out. */
int sp_consumer_batch_command (sp_consumer_batch_t *self, int argc, const char *const *argv,
                               const size_t *lengths);

/* Adds delta to field of the hash at key (a key of the batch's
   partition), summed with the step's other increments of the same key
   and field: one HINCRBY of the sum goes out when the step is coalesced
   (none when it is 0; readers take a missing field as 0). Cheaper than a
   HINCRBY command per increment for a handler that counts. A key
   incremented here must not be written by any other command of the step
   (the sums go out after them). Returns 0, or -1 when the limits are
   reached, memory runs out or the sum would leave int64 (the increment
   is then not added). */
int sp_consumer_batch_increment (sp_consumer_batch_t *self, const char *key, size_t key_length,
                                 const char *field, size_t field_length, int64_t delta);

/* Marks where the current event's commands start, and drops every
   command and increment added after a mark (a handler that failed
   half-way leaves nothing behind). Marks nest (a rewind to a mark drops
   what later marks cover too); a mark is the command count while no
   increment was made. Not after a coalesce (asserted): reset first. */
size_t sp_consumer_batch_mark (const sp_consumer_batch_t *self);
void sp_consumer_batch_rewind (sp_consumer_batch_t *self, size_t mark);

/* Closes the current event: sequence must be last + 1 (asserted); the
   step now ends at sequence. An event may add no commands (it is still
   checkpointed). */
void sp_consumer_batch_advance (sp_consumer_batch_t *self, uint64_t sequence);

/* The step's commands as the apply script's ARGV tail (for
   sp_consumer_store_apply): each command's argument count in decimal,
   then its arguments. */
size_t sp_consumer_batch_argument_count (const sp_consumer_batch_t *self);

/* Argument index (< count) and its length in *length; borrowed until the
   batch changes. */
const char *sp_consumer_batch_argument (const sp_consumer_batch_t *self, size_t index,
                                        size_t *length);

/* The service whose keys the batch builds. */
const char *sp_consumer_batch_service (const sp_consumer_batch_t *self);

/* Bytes of every argument held, argument counts included (what the apply
   sends besides its fixed arguments): for a byte budget. */
size_t sp_consumer_batch_bytes (const sp_consumer_batch_t *self);

/* Merges the step's commands that hit the same key and field, rewriting
   them in place (rules in sp_consumer_coalesce.h: summed HINCRBYs, the
   last SET, the last ZADD/ZREM of a member, one SADD of a member, never
   across a barrier): Redis ends in the state the commands as added give,
   but for zero-net HINCRBYs of two or more, dropped (a reader sees a
   missing field as 0). Call it when the step is complete, just before the
   apply; then the batch is only read, applied or reset: adding, marking
   or rewinding before the next reset is a programmer error (asserted).
   The summed increments (sp_consumer_batch_increment) are appended as
   HINCRBYs then. Returns 0 (out of memory while merging leaves the
   commands unmerged, which apply the same), or -1 when memory ran out
   writing the increments: the step must not be applied (reset it). */
int sp_consumer_batch_coalesce (sp_consumer_batch_t *self);

/* Writes value in decimal, as "%" PRId64 would, into buffer (at least
   SP_CONSUMER_BATCH_NUMBER_SIZE bytes) with a NUL; returns its length.
   For handlers' numeric arguments, without printf's cost. */
size_t sp_consumer_batch_number (char *buffer, int64_t value);

#endif
