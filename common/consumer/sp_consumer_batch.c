/*  sp_consumer_batch - an atomic step being built (see sp_consumer_batch.h).

    Coalescing writes the merged commands into a second set of the three
    arrays (kept between steps) and swaps them in: a merged command may
    take its arguments from a later command, which writing in place could
    overwrite first.
 */
#include "sp_consumer_batch.h"

#include "sp_decimal.h"

#include "sp_array.h"
#include "sp_consumer_coalesce.h"
#include "sp_consumer_counters.h"
#include "sp_hash.h"
#include "sp_partition.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COUNT_SIZE 4  /* an argument count (1..64) in decimal, terminator included */
#define S_MARK_SHIFT 32 /* a mark: commands below, increments' position above */
_Static_assert(SIZE_MAX > UINT32_MAX, "a mark needs a 64-bit size_t");
#define S_MARK_COMMANDS_MASK ((((size_t) 1) << S_MARK_SHIFT) - 1)
#define S_INCREMENT_OVERHEAD                                                                       \
    40                       /* bytes a summed increment adds as a command, besides key and field */
#define S_INITIAL_BYTES 4096 /* first size of the argument buffer */
#define S_INITIAL_ARGUMENTS 256 /* first size of the argument array */
#define S_INITIAL_COMMANDS 64   /* first size of the command array */
#define S_MSET "MSET"           /* the name of a group of SETs across keys */
/* Most fields one summed HINCRBY carries (HINCRBY key field delta ...):
   as many as a command's arguments allow. */
#define S_INCREMENT_FIELDS_MAX ((SP_CONSUMER_COMMAND_MAX_ARGS - 2) / 2)
#define S_MSET_LENGTH (sizeof S_MSET - 1)

struct _sp_consumer_batch_t {
    char service[SP_PARTITION_SERVICE_MAX]; /* key prefix */
    uint32_t partition;                     /* partition of the step */
    uint64_t from;                          /* checkpoint the step starts from */
    uint64_t last;                          /* sequence the step ends at (from while empty) */
    char *bytes;                            /* every argument's bytes, back to back */
    size_t bytes_length;                    /* bytes in use */
    size_t bytes_capacity;                  /* bytes allocated */
    size_t *ends;                           /* end offset in bytes of each argument */
    size_t arguments;                       /* arguments in use (argument counts included) */
    size_t arguments_capacity;              /* ends allocated */
    size_t *starts;                         /* index of each command's argument count */
    size_t commands;                        /* commands in use */
    size_t commands_capacity;               /* starts allocated */
    bool coalesced;                         /* coalesced since the last reset */
    sp_consumer_coalesce_t *coalesce;       /* merge planner, made at the first coalesce */
    char *spare_bytes;                      /* the coalesced step is written here, then swapped */
    size_t spare_bytes_capacity;            /* spare_bytes allocated */
    size_t *spare_ends;                     /* ditto for ends */
    size_t spare_ends_capacity;             /* spare_ends allocated */
    size_t *spare_starts;                   /* ditto for starts */
    size_t spare_starts_capacity;           /* spare_starts allocated */
    sp_consumer_counters_t *counters;       /* summed increments, made at the first one */
    size_t *key_buckets;                    /* grouping increments by key: entry + 1, 0 free */
    size_t key_buckets_capacity;            /* allocated */
    size_t *key_next;                       /* the next entry of the same key (SIZE_MAX: none) */
    size_t key_next_capacity;               /* allocated */
    size_t *key_last;                       /* a key's first entry: its last; others SIZE_MAX */
    size_t key_last_capacity;               /* allocated */
};

sp_consumer_batch_t *
sp_consumer_batch_new (const char *service)
{
    assert (service && sp_partition_service_valid (service));
    sp_consumer_batch_t *self = (sp_consumer_batch_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    snprintf (self->service, sizeof self->service, "%s", service);
    return self;
}

void
sp_consumer_batch_destroy (sp_consumer_batch_t **self_p)
{
    assert (self_p);
    sp_consumer_batch_t *self = *self_p;
    if (!self)
        return;
    free (self->bytes);
    free (self->ends);
    free (self->starts);
    free (self->spare_bytes);
    free (self->spare_ends);
    free (self->spare_starts);
    sp_consumer_coalesce_destroy (&self->coalesce);
    sp_consumer_counters_destroy (&self->counters);
    free (self->key_buckets);
    free (self->key_next);
    free (self->key_last);
    free (self);
    *self_p = NULL;
}

void
sp_consumer_batch_reset (sp_consumer_batch_t *self, uint32_t partition, uint64_t checkpoint)
{
    assert (self);
    self->partition = partition;
    self->from = checkpoint;
    self->last = checkpoint;
    self->bytes_length = 0;
    self->arguments = 0;
    self->commands = 0;
    self->coalesced = false;
    if (self->counters)
        sp_consumer_counters_reset (self->counters);
}

uint32_t
sp_consumer_batch_partition (const sp_consumer_batch_t *self)
{
    assert (self);
    return self->partition;
}

uint64_t
sp_consumer_batch_from (const sp_consumer_batch_t *self)
{
    assert (self);
    return self->from;
}

uint64_t
sp_consumer_batch_last (const sp_consumer_batch_t *self)
{
    assert (self);
    return self->last;
}

size_t
sp_consumer_batch_events (const sp_consumer_batch_t *self)
{
    assert (self);
    return (size_t) (self->last - self->from);
}

size_t
sp_consumer_batch_commands (const sp_consumer_batch_t *self)
{
    assert (self);
    if (self->counters && !self->coalesced)
        return self->commands + sp_consumer_counters_size (self->counters);
    return self->commands;
}

int
sp_consumer_batch_key (const sp_consumer_batch_t *self, const char *suffix, char *buffer,
                       size_t size)
{
    assert (self && suffix && buffer && size > 0);
    return sp_partition_key (buffer, size, self->service, self->partition, suffix);
}

/* Writes an argument count (1..SP_CONSUMER_COMMAND_MAX_ARGS) in decimal;
   returns its length. */
static size_t
s_count_text (char *buffer, int count)
{
    assert (count >= 1 && count <= SP_CONSUMER_COMMAND_MAX_ARGS);
    size_t length = 0;
    if (count >= 10)
        buffer[length++] = (char) ('0' + count / 10);
    buffer[length++] = (char) ('0' + count % 10);
    buffer[length] = '\0';
    return length;
}

/* Appends one command (see sp_consumer_batch_command), also to a
   coalesced step (its summed increments go out that way). */
static int
s_append (sp_consumer_batch_t *self, int argc, const char *const *argv, const size_t *lengths)
{
    if (argc > SP_CONSUMER_COMMAND_MAX_ARGS || self->commands >= SP_CONSUMER_BATCH_MAX_COMMANDS)
        return -1;
    char count_text[S_COUNT_SIZE];
    size_t count_length = s_count_text (count_text, argc);
    size_t measured[SP_CONSUMER_COMMAND_MAX_ARGS]; /* lengths, when not given */
    size_t bytes = count_length;
    for (int i = 0; i < argc; i++) {
        assert (argv[i]);
        measured[i] = lengths ? lengths[i] : strlen (argv[i]);
        if (measured[i] > SIZE_MAX - bytes - self->bytes_length)
            return -1;
        bytes += measured[i];
    }
    /* Reserve everything first, so a failure leaves the batch unchanged. */
    if (sp_array_reserve ((void **) &self->bytes, &self->bytes_capacity, self->bytes_length + bytes,
                          1, S_INITIAL_BYTES) != 0 ||
        sp_array_reserve ((void **) &self->ends, &self->arguments_capacity,
                          self->arguments + (size_t) argc + 1, sizeof *self->ends,
                          S_INITIAL_ARGUMENTS) != 0 ||
        sp_array_reserve ((void **) &self->starts, &self->commands_capacity, self->commands + 1,
                          sizeof *self->starts, S_INITIAL_COMMANDS) != 0)
        return -1;
    self->starts[self->commands++] = self->arguments;
    memcpy (self->bytes + self->bytes_length, count_text, count_length);
    self->bytes_length += count_length;
    self->ends[self->arguments++] = self->bytes_length;
    for (int i = 0; i < argc; i++) {
        memcpy (self->bytes + self->bytes_length, argv[i], measured[i]);
        self->bytes_length += measured[i];
        self->ends[self->arguments++] = self->bytes_length;
    }
    return 0;
}

int
sp_consumer_batch_command (sp_consumer_batch_t *self, int argc, const char *const *argv,
                           const size_t *lengths)
{
    assert (self && argc >= 1 && argv);
    assert (!self->coalesced);
    return s_append (self, argc, argv, lengths);
}

int
sp_consumer_batch_increment (sp_consumer_batch_t *self, const char *key, size_t key_length,
                             const char *field, size_t field_length, int64_t delta)
{
    assert (self && key && field && !self->coalesced);
    if (!self->counters && !(self->counters = sp_consumer_counters_new ()))
        return -1;
    if (self->commands + sp_consumer_counters_size (self->counters) >=
        SP_CONSUMER_BATCH_MAX_COMMANDS)
        return -1;
    return sp_consumer_counters_add (self->counters, key, key_length, field, field_length, delta);
}

/* Chains the summed increments by key (key_next, key_last: see the
   struct), in the order first added. 0, or -1 when memory runs out. */
static int
s_chain_increments (sp_consumer_batch_t *self, size_t count)
{
    size_t buckets = S_INITIAL_COMMANDS;
    while (buckets < 2 * count)
        buckets *= 2;
    if (sp_array_reserve ((void **) &self->key_buckets, &self->key_buckets_capacity, buckets,
                          sizeof *self->key_buckets, S_INITIAL_COMMANDS) != 0 ||
        sp_array_reserve ((void **) &self->key_next, &self->key_next_capacity, count,
                          sizeof *self->key_next, S_INITIAL_COMMANDS) != 0 ||
        sp_array_reserve ((void **) &self->key_last, &self->key_last_capacity, count,
                          sizeof *self->key_last, S_INITIAL_COMMANDS) != 0)
        return -1;
    memset (self->key_buckets, 0, buckets * sizeof *self->key_buckets);
    for (size_t index = 0; index < count; index++) {
        const char *key, *field;
        size_t key_length, field_length;
        int64_t sum;
        sp_consumer_counters_entry (self->counters, index, &key, &key_length, &field, &field_length,
                                    &sum);
        self->key_next[index] = SIZE_MAX;
        self->key_last[index] = SIZE_MAX;
        size_t bucket = (size_t) sp_hash_bytes (key, key_length, 0) & (buckets - 1);
        for (;; bucket = (bucket + 1) & (buckets - 1)) {
            size_t first = self->key_buckets[bucket];
            if (first == 0) {
                self->key_buckets[bucket] = index + 1; /* the key's first entry */
                self->key_last[index] = index;
                break;
            }
            const char *other, *other_field;
            size_t other_length, other_field_length;
            int64_t other_sum;
            sp_consumer_counters_entry (self->counters, first - 1, &other, &other_length,
                                        &other_field, &other_field_length, &other_sum);
            if (other_length == key_length && memcmp (other, key, key_length) == 0) {
                self->key_next[self->key_last[first - 1]] = index;
                self->key_last[first - 1] = index;
                break;
            }
        }
    }
    return 0;
}

/* Appends the summed increments that are not 0, all the fields of a key
   in one command, HINCRBY key field delta field delta ... (up to
   S_INCREMENT_FIELDS_MAX fields), keys in the order first added: they
   come after every other command of the step, and increments of other
   keys or other fields commute, so the order among them is free. Only
   the apply script runs this form (sp_consumer_store_scripts.c). */
static int
s_append_increments (sp_consumer_batch_t *self)
{
    size_t count = self->counters ? sp_consumer_counters_size (self->counters) : 0;
    if (count == 0)
        return 0;
    if (s_chain_increments (self, count) != 0)
        return -1;
    const char *argv[2 + 2 * S_INCREMENT_FIELDS_MAX];
    size_t lengths[2 + 2 * S_INCREMENT_FIELDS_MAX];
    char numbers[S_INCREMENT_FIELDS_MAX][SP_CONSUMER_BATCH_NUMBER_SIZE];
    for (size_t head = 0; head < count; head++) {
        if (self->key_last[head] == SIZE_MAX)
            continue; /* not its key's first entry: written with it */
        int argc = 0;
        for (size_t index = head; index != SIZE_MAX; index = self->key_next[index]) {
            const char *key, *field;
            size_t key_length, field_length;
            int64_t sum;
            sp_consumer_counters_entry (self->counters, index, &key, &key_length, &field,
                                        &field_length, &sum);
            if (sum == 0)
                continue; /* a zero net: readers take a missing field as 0 */
            if (argc == 0) {
                argv[0] = "HINCRBY";
                lengths[0] = 7;
                argv[1] = key;
                lengths[1] = key_length;
                argc = 2;
            }
            char *number = numbers[(argc - 2) / 2];
            argv[argc] = field;
            lengths[argc++] = field_length;
            argv[argc] = number;
            lengths[argc++] = sp_consumer_batch_number (number, sum);
            if (argc == 2 + 2 * S_INCREMENT_FIELDS_MAX) {
                if (s_append (self, argc, argv, lengths) != 0)
                    return -1;
                argc = 0;
            }
        }
        if (argc > 0 && s_append (self, argc, argv, lengths) != 0)
            return -1;
    }
    return 0;
}

size_t
sp_consumer_batch_mark (const sp_consumer_batch_t *self)
{
    assert (self && !self->coalesced);
    /* The commands in the low bits, the increments' undo position above:
       equal to the command count while no increment was made. */
    size_t increments = self->counters ? sp_consumer_counters_mark (self->counters) : 0;
    assert (self->commands <= S_MARK_COMMANDS_MASK && increments <= SIZE_MAX >> S_MARK_SHIFT);
    return (increments << S_MARK_SHIFT) | self->commands;
}

void
sp_consumer_batch_rewind (sp_consumer_batch_t *self, size_t mark)
{
    size_t increments = mark >> S_MARK_SHIFT;
    mark &= S_MARK_COMMANDS_MASK;
    assert (self && !self->coalesced && mark <= self->commands);
    if (self->counters)
        sp_consumer_counters_rewind (self->counters, increments);
    if (mark == self->commands)
        return;
    self->arguments = self->starts[mark];
    self->bytes_length = self->arguments ? self->ends[self->arguments - 1] : 0;
    self->commands = mark;
}

void
sp_consumer_batch_advance (sp_consumer_batch_t *self, uint64_t sequence)
{
    assert (self && sequence == self->last + 1);
    self->last = sequence;
}

const char *
sp_consumer_batch_service (const sp_consumer_batch_t *self)
{
    assert (self);
    return self->service;
}

size_t
sp_consumer_batch_argument_count (const sp_consumer_batch_t *self)
{
    /* summed increments are commands only once the step is coalesced */
    assert (self && (self->coalesced || !self->counters ||
                     sp_consumer_counters_size (self->counters) == 0));
    return self->arguments;
}

const char *
sp_consumer_batch_argument (const sp_consumer_batch_t *self, size_t index, size_t *length)
{
    assert (self && index < self->arguments && length);
    size_t start = index ? self->ends[index - 1] : 0;
    *length = self->ends[index] - start;
    return self->bytes + start;
}

size_t
sp_consumer_batch_bytes (const sp_consumer_batch_t *self)
{
    assert (self);
    if (self->counters && !self->coalesced)
        return self->bytes_length + sp_consumer_counters_bytes (self->counters) +
               sp_consumer_counters_size (self->counters) * S_INCREMENT_OVERHEAD;
    return self->bytes_length;
}

size_t
sp_consumer_batch_number (char *buffer, int64_t value)
{
    assert (buffer);
    /* the magnitude in unsigned arithmetic: INT64_MIN has no int64 opposite */
    uint64_t magnitude = value < 0 ? (uint64_t) 0 - (uint64_t) value : (uint64_t) value;
    size_t length = 0;
    if (value < 0)
        buffer[length++] = '-';
    length += sp_decimal_write (buffer + length, magnitude);
    buffer[length] = '\0';
    return length;
}

/* Offset in bytes where argument index starts. */
static size_t
s_argument_start (const sp_consumer_batch_t *self, size_t index)
{
    return index ? self->ends[index - 1] : 0;
}

/* Index of the argument after command's last one. */
static size_t
s_command_end (const sp_consumer_batch_t *self, size_t command)
{
    return command + 1 < self->commands ? self->starts[command + 1] : self->arguments;
}

/* Hands every command to the coalescer and plans. 0, or -1 when memory
   runs out. */
static int
s_plan (sp_consumer_batch_t *self)
{
    if (!self->coalesce && !(self->coalesce = sp_consumer_coalesce_new ()))
        return -1;
    sp_consumer_coalesce_reset (self->coalesce);
    const char *argv[SP_CONSUMER_COMMAND_MAX_ARGS];
    size_t lengths[SP_CONSUMER_COMMAND_MAX_ARGS];
    for (size_t command = 0; command < self->commands; command++) {
        size_t first = self->starts[command] + 1; /* after the argument count */
        size_t end = s_command_end (self, command);
        int argc = (int) (end - first);
        for (int index = 0; index < argc; index++) {
            size_t start = s_argument_start (self, first + (size_t) index);
            argv[index] = self->bytes + start;
            lengths[index] = self->ends[first + (size_t) index] - start;
        }
        if (sp_consumer_coalesce_add (self->coalesce, argc, argv, lengths) != 0)
            return -1;
    }
    sp_consumer_coalesce_plan (self->coalesce);
    return 0;
}

/* Copies arguments [first, end) of the step into the spare arrays at
   written (bytes) and *argument (ends); returns the new written. */
static size_t
s_copy_arguments (sp_consumer_batch_t *self, size_t first, size_t end, size_t written,
                  size_t *argument)
{
    if (first >= end)
        return written;
    size_t from = s_argument_start (self, first);
    size_t length = s_argument_start (self, end) - from;
    memcpy (self->spare_bytes + written, self->bytes + from, length);
    for (size_t source = first; source < end; source++)
        self->spare_ends[(*argument)++] = written + self->ends[source] - from;
    return written + length;
}

/* Merges the step's commands (see sp_consumer_batch_coalesce). 0, or -1
   when memory ran out (the commands are then left as they were). */
static int
s_coalesce_commands (sp_consumer_batch_t *self)
{
    if (self->commands < 2)
        return 0;
    if (s_plan (self) != 0)
        return -1;
    size_t planned = sp_consumer_coalesce_plan (self->coalesce);
    size_t joined = 0;
    for (size_t index = 0; index < planned; index++)
        joined += sp_consumer_coalesce_planned (self->coalesce, index)->joined;
    if (planned == self->commands && joined == 0)
        return 0; /* nothing merged, dropped nor grouped: the plan is the batch as it is */
    /* Room: the commands written, a merged HINCRBY with its new delta, a
       group's count rewritten (its members' arguments are counted with
       their own commands). */
    size_t bytes = 0, arguments = 0;
    for (size_t index = 0; index < planned; index++) {
        const sp_consumer_coalesce_command_t *command =
            sp_consumer_coalesce_planned (self->coalesce, index);
        size_t first = self->starts[command->source];
        size_t end = s_command_end (self, command->source);
        bytes += s_argument_start (self, end) - s_argument_start (self, first);
        arguments += end - first;
        if (command->replaces_delta || command->next != SP_CONSUMER_COALESCE_NONE)
            bytes += SP_CONSUMER_BATCH_NUMBER_SIZE + S_MSET_LENGTH; /* a count, a name */
    }
    if (sp_array_reserve ((void **) &self->spare_bytes, &self->spare_bytes_capacity, bytes, 1,
                          S_INITIAL_BYTES) != 0 ||
        sp_array_reserve ((void **) &self->spare_ends, &self->spare_ends_capacity, arguments,
                          sizeof *self->spare_ends, S_INITIAL_ARGUMENTS) != 0 ||
        sp_array_reserve ((void **) &self->spare_starts, &self->spare_starts_capacity, planned,
                          sizeof *self->spare_starts, S_INITIAL_COMMANDS) != 0)
        return -1;
    size_t written = 0, argument = 0, kept = 0;
    for (size_t index = 0; index < planned; index++) {
        const sp_consumer_coalesce_command_t *command =
            sp_consumer_coalesce_planned (self->coalesce, index);
        if (command->joined)
            continue; /* written inside its group's first command */
        size_t first = self->starts[command->source];
        size_t end = s_command_end (self, command->source);
        self->spare_starts[kept++] = argument;
        if (command->next != SP_CONSUMER_COALESCE_NONE) {
            /* A group: its count, the first command's name, key and
               member, then every joined command's member (its arguments
               after name and key). An MSET: its count, MSET, then every
               command's key and value (its arguments after the name). */
            size_t skipped = command->keys ? 2 : 3; /* count, name (, key) */
            size_t count = end - first - 1;
            for (size_t next = command->next; next != SP_CONSUMER_COALESCE_NONE;
                 next = sp_consumer_coalesce_planned (self->coalesce, next)->next) {
                size_t source = sp_consumer_coalesce_planned (self->coalesce, next)->source;
                count += s_command_end (self, source) - self->starts[source] - skipped;
            }
            char number[SP_CONSUMER_BATCH_NUMBER_SIZE];
            size_t length = sp_consumer_batch_number (number, (int64_t) count);
            memcpy (self->spare_bytes + written, number, length);
            written += length;
            self->spare_ends[argument++] = written;
            if (command->keys) {
                memcpy (self->spare_bytes + written, S_MSET, S_MSET_LENGTH);
                written += S_MSET_LENGTH;
                self->spare_ends[argument++] = written;
                written = s_copy_arguments (self, first + 2, end, written, &argument);
            }
            else
                written = s_copy_arguments (self, first + 1, end, written, &argument);
            for (size_t next = command->next; next != SP_CONSUMER_COALESCE_NONE;
                 next = sp_consumer_coalesce_planned (self->coalesce, next)->next) {
                size_t source = sp_consumer_coalesce_planned (self->coalesce, next)->source;
                written = s_copy_arguments (self, self->starts[source] + skipped,
                                            s_command_end (self, source), written, &argument);
            }
            continue;
        }
        /* a merged HINCRBY keeps all but its delta, which is rewritten */
        size_t copied_end = command->replaces_delta ? end - 1 : end;
        written = s_copy_arguments (self, first, copied_end, written, &argument);
        if (command->replaces_delta) {
            char number[SP_CONSUMER_BATCH_NUMBER_SIZE];
            size_t length = sp_consumer_batch_number (number, command->delta);
            memcpy (self->spare_bytes + written, number, length);
            written += length;
            self->spare_ends[argument++] = written;
        }
    }
    /* a group drops its joined commands' count, name and key arguments */
    assert (written <= bytes && argument <= arguments);
    arguments = argument;
    planned = kept;
    /* swap the rewritten step in; the old arrays become the spares */
    char *old_bytes = self->bytes;
    size_t old_bytes_capacity = self->bytes_capacity;
    size_t *old_ends = self->ends;
    size_t old_ends_capacity = self->arguments_capacity;
    size_t *old_starts = self->starts;
    size_t old_starts_capacity = self->commands_capacity;
    self->bytes = self->spare_bytes;
    self->bytes_capacity = self->spare_bytes_capacity;
    self->ends = self->spare_ends;
    self->arguments_capacity = self->spare_ends_capacity;
    self->starts = self->spare_starts;
    self->commands_capacity = self->spare_starts_capacity;
    self->spare_bytes = old_bytes;
    self->spare_bytes_capacity = old_bytes_capacity;
    self->spare_ends = old_ends;
    self->spare_ends_capacity = old_ends_capacity;
    self->spare_starts = old_starts;
    self->spare_starts_capacity = old_starts_capacity;
    self->bytes_length = written;
    self->arguments = arguments;
    self->commands = planned;
    return 0;
}

int
sp_consumer_batch_coalesce (sp_consumer_batch_t *self)
{
    assert (self);
    if (self->coalesced)
        return 0;
    /* Out of memory while merging leaves the commands as they were, which
       apply the same; the summed increments must go out either way. */
    (void) s_coalesce_commands (self);
    if (s_append_increments (self) != 0)
        return -1;
    self->coalesced = true;
    return 0;
}
