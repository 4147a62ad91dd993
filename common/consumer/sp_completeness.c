/*  sp_completeness - whether a consumer service's state holds the whole
    log now (see sp_completeness.h). */
#include "sp_completeness.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_consumer_key.h"
#include "sp_consumer_log.h"
#include "sp_error.h"
#include "sp_partition.h"
#include "sp_redis_pipeline.h"

/* Redis commands per partition: GET checkpoint, GET epoch, GET revision;
   one more first: GET <service>:rebuild. */
#define S_PER_PARTITION 3
#define S_SERVICE_COMMANDS 1
#define S_NUMBER_SIZE 32 /* a uint64 with thousands separators, terminator included */
#define S_DIGIT_GROUP 3  /* digits between two separators */
#define S_STATES 5       /* members of sp_completeness_state_t */

struct _sp_completeness_t {
    char *service;                   /* consumer service whose keys are read */
    uint32_t partitions;             /* partition count P */
    int64_t revision;                /* state stamped below it is stale; 0: none */
    int64_t rebuild;                 /* requested rebuild epoch at the first read */
    sp_completeness_read_t *first;   /* [partitions]: the first read of the check */
    sp_completeness_read_t *again;   /* [partitions]: scratch for the reads */
    sp_completeness_state_t *states; /* [partitions]: the verdicts */
    uint64_t *heads;                 /* [partitions]: scratch for sp_consumer_log_heads */
    sp_redis_pipeline_t *pipeline;   /* the round trip of a read, built once */
};

/* ---------------------------------------------------------------- decision */

sp_completeness_state_t
sp_completeness_judge (const sp_completeness_read_t *read, int64_t rebuild, int64_t revision)
{
    assert (read);
    if (read->head == 0)
        return SP_COMPLETENESS_COMPLETE; /* nothing to apply: nothing missing */
    if (!read->has_checkpoint)
        return SP_COMPLETENESS_MISSING;
    if (read->epoch != rebuild)
        return SP_COMPLETENESS_REBUILDING;
    if (read->revision < revision)
        return SP_COMPLETENESS_STALE;
    if (read->checkpoint < read->head)
        return SP_COMPLETENESS_BEHIND;
    return SP_COMPLETENESS_COMPLETE;
}

const char *
sp_completeness_state_name (sp_completeness_state_t state)
{
    static const char *const names[S_STATES] = { "complete", "behind", "rebuilding", "missing",
                                                 "stale" };
    assert ((unsigned) state < S_STATES);
    return names[state];
}

/* ---------------------------------------------------------------- check */

sp_completeness_t *
sp_completeness_new (const char *service, uint32_t partitions, char *error, size_t error_size)
{
    assert (service && sp_partition_service_valid (service));
    assert (partitions >= 1 && partitions <= SP_PARTITIONS_MAX);
    sp_completeness_t *self = (sp_completeness_t *) calloc (1, sizeof *self);
    if (!self)
        goto out_memory;
    self->partitions = partitions;
    self->service = strdup (service);
    self->first = calloc (partitions, sizeof *self->first);
    self->again = calloc (partitions, sizeof *self->again);
    self->states = calloc (partitions, sizeof *self->states);
    self->heads = calloc (partitions, sizeof *self->heads);
    self->pipeline = sp_redis_pipeline_new ();
    if (!self->service || !self->first || !self->again || !self->states || !self->heads ||
        !self->pipeline)
        goto out_memory;
    char key[SP_CONSUMER_KEY_MAX];
    sp_consumer_key_rebuild (key, sizeof key, service);
    if (sp_redis_pipeline_append (self->pipeline, 2, (const char *[]){ "GET", key }, NULL) != 0)
        goto out_memory;
    for (uint32_t partition = 0; partition < partitions; partition++) {
        int (*const namers[S_PER_PARTITION]) (char *, size_t, const char *, uint32_t) = {
            sp_consumer_key_checkpoint, sp_consumer_key_epoch, sp_consumer_key_revision
        };
        for (size_t index = 0; index < S_PER_PARTITION; index++) {
            namers[index](key, sizeof key, service, partition);
            if (sp_redis_pipeline_append (self->pipeline, 2, (const char *[]){ "GET", key },
                                          NULL) != 0)
                goto out_memory;
        }
    }
    return self;

out_memory:
    sp_completeness_destroy (&self);
    sp_error_set (error, error_size, "out of memory");
    return NULL;
}

void
sp_completeness_destroy (sp_completeness_t **self_p)
{
    assert (self_p);
    sp_completeness_t *self = *self_p;
    if (!self)
        return;
    sp_redis_pipeline_destroy (&self->pipeline);
    free (self->heads);
    free (self->states);
    free (self->again);
    free (self->first);
    free (self->service);
    free (self);
    *self_p = NULL;
}

void
sp_completeness_set_revision (sp_completeness_t *self, int64_t revision)
{
    assert (self && revision >= 0);
    self->revision = revision;
}

void
sp_completeness_observe (sp_completeness_t *self, const sp_completeness_read_t *reads,
                         int64_t rebuild)
{
    assert (self && reads);
    self->rebuild = rebuild;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        self->first[partition] = reads[partition];
        self->states[partition] =
            sp_completeness_judge (&reads[partition], rebuild, self->revision);
    }
}

void
sp_completeness_observe_again (sp_completeness_t *self, const sp_completeness_read_t *reads,
                               int64_t rebuild)
{
    assert (self && reads);
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        if (self->states[partition] != SP_COMPLETENESS_COMPLETE)
            continue; /* the first read's verdict stands */
        const sp_completeness_read_t *first = &self->first[partition];
        sp_completeness_read_t now = reads[partition];
        now.head = first->head;
        sp_completeness_state_t state = sp_completeness_judge (&now, rebuild, self->revision);
        /* reset in between (a rebuild, a FLUSHALL) even if replayed since:
           the figures may have been read from the partial state */
        if (state != SP_COMPLETENESS_MISSING && first->head > 0 &&
            (now.epoch != first->epoch || now.has_checkpoint != first->has_checkpoint ||
             now.checkpoint < first->checkpoint))
            state = SP_COMPLETENESS_REBUILDING;
        self->states[partition] = state;
    }
}

/* Reads a reply holding a number into *value (nil: 0, *present false);
   epoch selects the epoch form, else a sequence. 0, or -1 when it holds
   anything else. */
static int
s_reply_number (const sp_redis_reply_t *reply, bool epoch, int64_t *signed_value, uint64_t *value,
                bool *present)
{
    *present = false;
    if (sp_redis_reply_type (reply) == SP_REDIS_REPLY_NIL)
        return 0;
    size_t length = 0;
    const char *text = sp_redis_reply_string (reply, &length);
    if (!text)
        return -1;
    *present = true;
    return epoch ? sp_consumer_key_parse_epoch (text, length, signed_value)
                 : sp_consumer_key_parse_sequence (text, length, value);
}

/* Reads the rebuild epoch and every partition's checkpoint, epoch and
   revision into self->again (heads untouched). 0, or -1 with the reason. */
static int
s_read_state (sp_completeness_t *self, sp_redis_t *redis, int64_t *rebuild, char *error,
              size_t error_size)
{
    int rc = -1;
    sp_redis_reply_t *reply = sp_redis_execute (redis, self->pipeline, error, error_size);
    if (!reply)
        return -1;
    char key[SP_CONSUMER_KEY_MAX];
    bool present;
    uint64_t unused = 0;
    *rebuild = 0;
    if (s_reply_number (sp_redis_reply_element (reply, 0), true, rebuild, &unused, &present) != 0) {
        sp_consumer_key_rebuild (key, sizeof key, self->service);
        sp_error_set (error, error_size, "key \"%s\" holds no rebuild epoch", key);
        goto out_destroy;
    }
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        sp_completeness_read_t *read = &self->again[partition];
        size_t element = S_SERVICE_COMMANDS + (size_t) S_PER_PARTITION * partition;
        uint64_t revision = 0;
        int64_t epoch = 0;
        bool epoch_present, revision_present;
        read->checkpoint = 0;
        if (s_reply_number (sp_redis_reply_element (reply, element), false, &epoch,
                            &read->checkpoint, &read->has_checkpoint) != 0) {
            sp_consumer_key_checkpoint (key, sizeof key, self->service, partition);
            sp_error_set (error, error_size, "key \"%s\" holds no sequence", key);
            goto out_destroy;
        }
        if (s_reply_number (sp_redis_reply_element (reply, element + 1), true, &epoch, &unused,
                            &epoch_present) != 0) {
            sp_consumer_key_epoch (key, sizeof key, self->service, partition);
            sp_error_set (error, error_size, "key \"%s\" holds no epoch", key);
            goto out_destroy;
        }
        if (s_reply_number (sp_redis_reply_element (reply, element + 2), false, &epoch, &revision,
                            &revision_present) != 0 ||
            revision > INT64_MAX) {
            sp_consumer_key_revision (key, sizeof key, self->service, partition);
            sp_error_set (error, error_size, "key \"%s\" holds no revision", key);
            goto out_destroy;
        }
        read->epoch = epoch_present ? epoch : 0;
        read->revision = revision_present ? (int64_t) revision : 0;
    }
    rc = 0;
out_destroy:
    sp_redis_reply_destroy (&reply);
    return rc;
}

int
sp_completeness_read (sp_completeness_t *self, sp_pg_t *pg, sp_redis_t *redis, char *error,
                      size_t error_size)
{
    assert (self && pg && redis);
    /* the heads first: a checkpoint read after them that reached them
       holds them */
    if (sp_consumer_log_heads (pg, self->partitions, self->heads, error, error_size) != 0)
        return -1;
    int64_t rebuild = 0;
    if (s_read_state (self, redis, &rebuild, error, error_size) != 0)
        return -1;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        self->again[partition].head = self->heads[partition];
    sp_completeness_observe (self, self->again, rebuild);
    return 0;
}

int
sp_completeness_confirm (sp_completeness_t *self, sp_redis_t *redis, char *error, size_t error_size)
{
    assert (self && redis);
    int64_t rebuild = 0;
    if (s_read_state (self, redis, &rebuild, error, error_size) != 0)
        return -1;
    sp_completeness_observe_again (self, self->again, rebuild);
    return 0;
}

/* ---------------------------------------------------------------- result */

bool
sp_completeness_complete (const sp_completeness_t *self)
{
    assert (self);
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        if (self->states[partition] != SP_COMPLETENESS_COMPLETE)
            return false;
    return true;
}

const char *
sp_completeness_service (const sp_completeness_t *self)
{
    assert (self);
    return self->service;
}

sp_completeness_state_t
sp_completeness_partition (const sp_completeness_t *self, uint32_t partition,
                           sp_completeness_read_t *read)
{
    assert (self && partition < self->partitions);
    if (read)
        *read = self->first[partition];
    return self->states[partition];
}

uint64_t
sp_completeness_events (const sp_completeness_t *self)
{
    assert (self);
    uint64_t events = 0;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        events += self->first[partition].head;
    return events;
}

uint64_t
sp_completeness_applied (const sp_completeness_t *self)
{
    assert (self);
    uint64_t applied = 0;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        const sp_completeness_read_t *read = &self->first[partition];
        applied += read->checkpoint < read->head ? read->checkpoint : read->head;
    }
    return applied;
}

/* Counts the partitions in each state. */
static void
s_count (const sp_completeness_t *self, uint32_t *counts)
{
    memset (counts, 0, S_STATES * sizeof *counts);
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        counts[self->states[partition]]++;
}

json_t *
sp_completeness_json (const sp_completeness_t *self)
{
    assert (self);
    uint32_t counts[S_STATES];
    s_count (self, counts);
    uint32_t incomplete = self->partitions - counts[SP_COMPLETENESS_COMPLETE];
    bool all = self->partitions <= SP_COMPLETENESS_LISTED_MAX;
    json_t *partitions = json_array ();
    json_t *object = json_pack (
        "{s:s, s:b, s:I, s:I, s:b, s:I, s:I, s:o}", "service", self->service, "complete",
        incomplete == 0, "events", (json_int_t) sp_completeness_events (self), "applied",
        (json_int_t) sp_completeness_applied (self), "rebuilding",
        counts[SP_COMPLETENESS_REBUILDING] > 0, "partition_count", (json_int_t) self->partitions,
        "incomplete", (json_int_t) incomplete, "partitions", partitions);
    if (!object)
        return NULL;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        sp_completeness_state_t state = self->states[partition];
        if (!all && state == SP_COMPLETENESS_COMPLETE)
            continue;
        const sp_completeness_read_t *read = &self->first[partition];
        json_t *entry = json_pack (
            "{s:I, s:o, s:I, s:s}", "partition", (json_int_t) partition, "checkpoint",
            read->has_checkpoint ? json_integer ((json_int_t) read->checkpoint) : json_null (),
            "head", (json_int_t) read->head, "state", sp_completeness_state_name (state));
        if (json_array_append_new (partitions, entry) != 0) {
            json_decref (object);
            return NULL;
        }
    }
    return object;
}

/* Appends to buffer at *length (cut to size, always terminated). */
static void
s_append (char *buffer, size_t size, size_t *length, const char *format, ...)
{
    if (*length + 1 >= size)
        return;
    va_list arguments;
    va_start (arguments, format);
    int written = vsnprintf (buffer + *length, size - *length, format, arguments);
    va_end (arguments);
    if (written < 0)
        return;
    *length += (size_t) written < size - *length ? (size_t) written : size - *length - 1;
}

/* value with thousands separators: 8800 -> "8,800". */
static void
s_grouped (uint64_t value, char *buffer, size_t size)
{
    char digits[S_NUMBER_SIZE];
    int count = snprintf (digits, sizeof digits, "%" PRIu64, value);
    size_t at = 0;
    for (int index = 0; index < count && at + 1 < size; index++) {
        if (index > 0 && (count - index) % S_DIGIT_GROUP == 0 && at + 2 < size)
            buffer[at++] = ',';
        buffer[at++] = digits[index];
    }
    buffer[at] = '\0';
}

/* Appends "partition 3" or "partitions 0-2, 7" of the partitions in
   state, then suffix (singular or plural form). */
static void
s_append_partitions (const sp_completeness_t *self, sp_completeness_state_t state, uint32_t count,
                     const char *singular, const char *plural, char *buffer, size_t size,
                     size_t *length)
{
    s_append (buffer, size, length, "%s ", count == 1 ? "partition" : "partitions");
    bool first = true;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        if (self->states[partition] != state)
            continue;
        uint32_t last = partition;
        while (last + 1 < self->partitions && self->states[last + 1] == state)
            last++;
        const char *separator = first ? "" : ", ";
        if (last == partition)
            s_append (buffer, size, length, "%s%" PRIu32, separator, partition);
        else
            s_append (buffer, size, length, "%s%" PRIu32 "-%" PRIu32, separator, partition, last);
        first = false;
        partition = last;
    }
    s_append (buffer, size, length, " %s", count == 1 ? singular : plural);
}

size_t
sp_completeness_text (const sp_completeness_t *self, char *buffer, size_t size)
{
    assert (self && buffer && size > 0);
    *buffer = '\0';
    if (sp_completeness_complete (self))
        return 0;
    uint32_t counts[S_STATES];
    s_count (self, counts);
    char applied[S_NUMBER_SIZE], events[S_NUMBER_SIZE];
    s_grouped (sp_completeness_applied (self), applied, sizeof applied);
    s_grouped (sp_completeness_events (self), events, sizeof events);
    size_t length = 0;
    s_append (buffer, size, &length, "incomplete: %s has applied %s of %s events (", self->service,
              applied, events);
    /* the reasons, most common first in a reader's eyes: lag, loss,
       definitions, rebuild */
    static const struct {
        sp_completeness_state_t state;
        const char *singular;
        const char *plural;
    } reasons[] = {
        { SP_COMPLETENESS_BEHIND, "behind", "behind" },
        { SP_COMPLETENESS_MISSING, "has no state (lost or not built yet)",
          "have no state (lost or not built yet)" },
        { SP_COMPLETENESS_STALE, "built under older definitions", "built under older definitions" },
    };
    bool any = false;
    for (size_t index = 0; index < sizeof reasons / sizeof reasons[0]; index++) {
        uint32_t count = counts[reasons[index].state];
        if (count == 0)
            continue;
        if (any)
            s_append (buffer, size, &length, "; ");
        s_append_partitions (self, reasons[index].state, count, reasons[index].singular,
                             reasons[index].plural, buffer, size, &length);
        any = true;
    }
    uint32_t rebuilding = counts[SP_COMPLETENESS_REBUILDING];
    if (rebuilding > 0) {
        s_append (buffer, size, &length, "%sa rebuild is running: ", any ? "; " : "");
        s_append_partitions (self, SP_COMPLETENESS_REBUILDING, rebuilding, "not rebuilt yet",
                             "not rebuilt yet", buffer, size, &length);
    }
    s_append (buffer, size, &length, ")");
    /* cut: say so */
    if (length + 1 >= size && size > 4)
        memcpy (buffer + size - 4, "...", 4);
    return strlen (buffer);
}
