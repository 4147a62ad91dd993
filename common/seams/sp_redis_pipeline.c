/*  sp_redis_pipeline - a batch of Redis commands as argument copies (see
    sp_redis_pipeline.h).

    Layout: every argument's bytes, each followed by a NUL, back to back in
    one buffer; parallel arrays give each argument's start and exact
    length; a third array gives each command's first argument. So a command
    is handed to hiredis as (argc, argv, lengths) with no copying or
    allocation, and a reset pipeline reuses all three buffers. When the
    byte buffer moves (realloc) the argument pointers are rebuilt from the
    lengths; buffers double, so that stays amortised O(1) per argument.

    Append reserves room in all three arrays before writing anything, so a
    failed append leaves the pipeline as it was.
*/
#include "sp_redis_pipeline.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SP_REDIS_PIPELINE_INITIAL_BYTES 4096   /* first byte buffer */
#define SP_REDIS_PIPELINE_INITIAL_ARGUMENTS 64 /* first argument arrays, slots */
#define SP_REDIS_PIPELINE_INITIAL_COMMANDS 16  /* first command array, slots */

struct _sp_redis_pipeline_t {
    char *bytes;              /* arguments' bytes, each followed by a NUL, back to back */
    size_t bytes_length;      /* bytes used in bytes */
    size_t bytes_capacity;    /* bytes allocated */
    const char **arguments;   /* start of each argument, inside bytes */
    size_t *lengths;          /* exact length of each argument, NUL excluded */
    size_t argument_count;    /* arguments stored */
    size_t argument_capacity; /* slots allocated in arguments and in lengths */
    size_t *firsts;           /* index in arguments of each command's first argument */
    size_t count;             /* commands stored */
    size_t command_capacity;  /* slots allocated in firsts */
};

/* A capacity of at least needed slots of slot_size bytes each, doubling
   from current (or from initial when nothing is allocated yet); 0 when
   that would overflow size_t. */
static size_t
s_capacity (size_t current, size_t initial, size_t needed, size_t slot_size)
{
    size_t capacity = current > 0 ? current : initial;
    while (capacity < needed) {
        if (capacity > SIZE_MAX / 2)
            return 0;
        capacity *= 2;
    }
    return capacity > SIZE_MAX / slot_size ? 0 : capacity;
}

/* Makes room for needed argument slots; -1 when memory runs out. */
static int
s_reserve_arguments (sp_redis_pipeline_t *self, size_t needed)
{
    if (needed <= self->argument_capacity)
        return 0;
    size_t capacity = s_capacity (self->argument_capacity, SP_REDIS_PIPELINE_INITIAL_ARGUMENTS,
                                  needed, sizeof *self->lengths);
    if (capacity == 0)
        return -1;
    const char **arguments = realloc (self->arguments, capacity * sizeof *arguments);
    if (!arguments)
        return -1;
    self->arguments = arguments;
    size_t *lengths = realloc (self->lengths, capacity * sizeof *lengths);
    if (!lengths)
        return -1; /* arguments grew, harmlessly: capacity is the smaller size */
    self->lengths = lengths;
    self->argument_capacity = capacity;
    return 0;
}

/* Makes room for needed bytes; rebuilds the argument pointers when the
   buffer moved. -1 when memory runs out. */
static int
s_reserve_bytes (sp_redis_pipeline_t *self, size_t needed)
{
    if (needed <= self->bytes_capacity)
        return 0;
    size_t capacity =
        s_capacity (self->bytes_capacity, SP_REDIS_PIPELINE_INITIAL_BYTES, needed, sizeof (char));
    if (capacity == 0)
        return -1;
    char *bytes = realloc (self->bytes, capacity);
    if (!bytes)
        return -1;
    self->bytes = bytes;
    self->bytes_capacity = capacity;
    size_t offset = 0;
    for (size_t i = 0; i < self->argument_count; i++) {
        self->arguments[i] = self->bytes + offset;
        offset += self->lengths[i] + 1;
    }
    return 0;
}

/* Makes room for needed command slots; -1 when memory runs out. */
static int
s_reserve_commands (sp_redis_pipeline_t *self, size_t needed)
{
    if (needed <= self->command_capacity)
        return 0;
    size_t capacity = s_capacity (self->command_capacity, SP_REDIS_PIPELINE_INITIAL_COMMANDS,
                                  needed, sizeof *self->firsts);
    if (capacity == 0)
        return -1;
    size_t *firsts = realloc (self->firsts, capacity * sizeof *firsts);
    if (!firsts)
        return -1;
    self->firsts = firsts;
    self->command_capacity = capacity;
    return 0;
}

sp_redis_pipeline_t *
sp_redis_pipeline_new (void)
{
    sp_redis_pipeline_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->bytes = NULL;
    self->bytes_length = 0;
    self->bytes_capacity = 0;
    self->arguments = NULL;
    self->lengths = NULL;
    self->argument_count = 0;
    self->argument_capacity = 0;
    self->firsts = NULL;
    self->count = 0;
    self->command_capacity = 0;
    return self;
}

void
sp_redis_pipeline_destroy (sp_redis_pipeline_t **self_p)
{
    assert (self_p);
    sp_redis_pipeline_t *self = *self_p;
    if (!self)
        return;
    free (self->bytes);
    free (self->arguments);
    free (self->lengths);
    free (self->firsts);
    free (self);
    *self_p = NULL;
}

int
sp_redis_pipeline_append (sp_redis_pipeline_t *self, int argc, const char *const *argv,
                          const size_t *argv_lengths)
{
    assert (self);
    assert (argc > 0);
    assert (argv);
    size_t first = self->argument_count;
    if (s_reserve_arguments (self, first + (size_t) argc) != 0)
        return -1;
    /* Lengths go to the free slots first: nothing is committed yet. */
    size_t total = 0;
    for (int i = 0; i < argc; i++) {
        size_t length = argv_lengths ? argv_lengths[i] : strlen (argv[i]);
        if (length >= SIZE_MAX - total)
            return -1;
        self->lengths[first + (size_t) i] = length;
        total += length + 1;
    }
    if (total > SIZE_MAX - self->bytes_length ||
        s_reserve_bytes (self, self->bytes_length + total) != 0 ||
        s_reserve_commands (self, self->count + 1) != 0)
        return -1;

    for (int i = 0; i < argc; i++) {
        size_t length = self->lengths[first + (size_t) i];
        char *copy = self->bytes + self->bytes_length;
        if (length > 0)
            memcpy (copy, argv[i], length);
        copy[length] = '\0';
        self->arguments[first + (size_t) i] = copy;
        self->bytes_length += length + 1;
    }
    self->argument_count = first + (size_t) argc;
    self->firsts[self->count] = first;
    self->count++;
    return 0;
}

size_t
sp_redis_pipeline_size (const sp_redis_pipeline_t *self)
{
    assert (self);
    return self->count;
}

void
sp_redis_pipeline_reset (sp_redis_pipeline_t *self)
{
    assert (self);
    self->bytes_length = 0;
    self->argument_count = 0;
    self->count = 0;
}

int
sp_redis_pipeline_command (const sp_redis_pipeline_t *self, size_t index, const char *const **argv,
                           const size_t **argv_lengths)
{
    assert (self);
    assert (index < self->count);
    assert (argv);
    assert (argv_lengths);
    size_t first = self->firsts[index];
    size_t end = index + 1 < self->count ? self->firsts[index + 1] : self->argument_count;
    *argv = self->arguments + first;
    *argv_lengths = self->lengths + first;
    return (int) (end - first);
}
