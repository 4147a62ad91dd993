/*  sp_consumer_batch - an atomic step being built (see sp_consumer_batch.h).
 */
#include "sp_consumer_batch.h"

#include "sp_partition.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NUMBER_MAX 24         /* a uint64 in decimal, terminator included */
#define S_INITIAL_BYTES 4096    /* first size of the argument buffer */
#define S_INITIAL_ARGUMENTS 256 /* first size of the argument array */
#define S_INITIAL_COMMANDS 64   /* first size of the command array */

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
};

/* Grows *array to hold needed elements of size bytes (doubling from
   initial). Returns 0, or -1 with the array untouched. */
static int
s_reserve (void **array, size_t *capacity, size_t needed, size_t size, size_t initial)
{
    if (needed <= *capacity)
        return 0;
    size_t grown_capacity = *capacity ? *capacity : initial;
    while (grown_capacity < needed) {
        if (grown_capacity > SIZE_MAX / 2 / size)
            return -1;
        grown_capacity *= 2;
    }
    void *grown = realloc (*array, grown_capacity * size);
    if (!grown)
        return -1;
    *array = grown;
    *capacity = grown_capacity;
    return 0;
}

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
    return self->commands;
}

int
sp_consumer_batch_key (const sp_consumer_batch_t *self, const char *suffix, char *buffer,
                       size_t size)
{
    assert (self && suffix && buffer && size > 0);
    return sp_partition_key (buffer, size, self->service, self->partition, suffix);
}

int
sp_consumer_batch_command (sp_consumer_batch_t *self, int argc, const char *const *argv,
                           const size_t *lengths)
{
    assert (self && argc >= 1 && argv);
    if (argc > SP_CONSUMER_COMMAND_MAX_ARGS || self->commands >= SP_CONSUMER_BATCH_MAX_COMMANDS)
        return -1;
    char count_text[S_NUMBER_MAX];
    int count_length = snprintf (count_text, sizeof count_text, "%d", argc);
    size_t bytes = (size_t) count_length;
    for (int i = 0; i < argc; i++) {
        assert (argv[i]);
        size_t length = lengths ? lengths[i] : strlen (argv[i]);
        if (length > SIZE_MAX - bytes - self->bytes_length)
            return -1;
        bytes += length;
    }
    /* Reserve everything first, so a failure leaves the batch unchanged. */
    if (s_reserve ((void **) &self->bytes, &self->bytes_capacity, self->bytes_length + bytes, 1,
                   S_INITIAL_BYTES) != 0 ||
        s_reserve ((void **) &self->ends, &self->arguments_capacity,
                   self->arguments + (size_t) argc + 1, sizeof *self->ends,
                   S_INITIAL_ARGUMENTS) != 0 ||
        s_reserve ((void **) &self->starts, &self->commands_capacity, self->commands + 1,
                   sizeof *self->starts, S_INITIAL_COMMANDS) != 0)
        return -1;
    self->starts[self->commands++] = self->arguments;
    memcpy (self->bytes + self->bytes_length, count_text, (size_t) count_length);
    self->bytes_length += (size_t) count_length;
    self->ends[self->arguments++] = self->bytes_length;
    for (int i = 0; i < argc; i++) {
        size_t length = lengths ? lengths[i] : strlen (argv[i]);
        memcpy (self->bytes + self->bytes_length, argv[i], length);
        self->bytes_length += length;
        self->ends[self->arguments++] = self->bytes_length;
    }
    return 0;
}

size_t
sp_consumer_batch_mark (const sp_consumer_batch_t *self)
{
    assert (self);
    return self->commands;
}

void
sp_consumer_batch_rewind (sp_consumer_batch_t *self, size_t mark)
{
    assert (self && mark <= self->commands);
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
    assert (self);
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
