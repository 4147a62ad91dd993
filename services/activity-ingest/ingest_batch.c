/*  ingest_batch - the requests committed together (see ingest_batch.h). */
#include "ingest_batch.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define INGEST_BATCH_INITIAL_CAPACITY 16 /* request slots first allocated */

struct _ingest_batch_t {
    ingest_request_t **requests; /* owned; NULL where taken */
    size_t count;                /* slots used */
    size_t capacity;             /* slots allocated */
    size_t events;               /* events in all requests */
    size_t valid;                /* events not rejected */
    uint32_t group;              /* the writer group whose events this batch holds */
};

/* Where an event_id is stored, or will be once this batch commits. */
typedef struct {
    uint32_t partition;   /* partition of the stored (or first) event */
    uint64_t sequence;    /* its sequence */
    const uint8_t *hash;  /* its content hash (borrowed) */
} s_location_t;

ingest_batch_t *
ingest_batch_new (void)
{
    return ingest_batch_new_group (0);
}

ingest_batch_t *
ingest_batch_new_group (uint32_t group)
{
    ingest_batch_t *self = (ingest_batch_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->requests =
        (ingest_request_t **) calloc (INGEST_BATCH_INITIAL_CAPACITY, sizeof (ingest_request_t *));
    if (!self->requests) {
        free (self);
        return NULL;
    }
    self->capacity = INGEST_BATCH_INITIAL_CAPACITY;
    self->group = group;
    return self;
}

void
ingest_batch_destroy (ingest_batch_t **self_p)
{
    assert (self_p);
    ingest_batch_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++)
        ingest_request_destroy (&self->requests[index]);
    free (self->requests);
    free (self);
    *self_p = NULL;
}

int
ingest_batch_add (ingest_batch_t *self, ingest_request_t **request_p)
{
    assert (self && request_p && *request_p);
    assert (ingest_request_status (*request_p) == INGEST_STATUS_OK);
    if (self->count == self->capacity) {
        ingest_request_t **grown = (ingest_request_t **) realloc (
            self->requests, 2 * self->capacity * sizeof (ingest_request_t *));
        if (!grown)
            return -1;
        self->requests = grown;
        self->capacity *= 2;
    }
    ingest_request_t *request = *request_p;
    for (size_t index = 0; index < ingest_request_event_count (request); index++) {
        if (ingest_request_group (request, index) != self->group)
            continue;
        self->events++;
        if (ingest_request_outcome (request, index) != INGEST_OUTCOME_REJECTED)
            self->valid++;
    }
    self->requests[self->count++] = request;
    *request_p = NULL;
    return 0;
}

size_t
ingest_batch_request_count (const ingest_batch_t *self)
{
    assert (self);
    return self->count;
}

ingest_request_t *
ingest_batch_request (ingest_batch_t *self, size_t index)
{
    assert (self && index < self->count);
    return self->requests[index];
}

ingest_request_t *
ingest_batch_take_request (ingest_batch_t *self, size_t index)
{
    assert (self && index < self->count);
    ingest_request_t *request = self->requests[index];
    self->requests[index] = NULL;
    return request;
}

size_t
ingest_batch_event_count (const ingest_batch_t *self)
{
    assert (self);
    return self->events;
}

size_t
ingest_batch_valid_count (const ingest_batch_t *self)
{
    assert (self);
    return self->valid;
}

static int
s_compare_partitions (const void *left, const void *right)
{
    uint32_t a = *(const uint32_t *) left, b = *(const uint32_t *) right;
    return a < b ? -1 : a > b;
}

size_t
ingest_batch_partitions (const ingest_batch_t *self, uint32_t *partitions)
{
    assert (self && (partitions || self->valid == 0));
    size_t count = 0;
    for (size_t r = 0; r < self->count; r++) {
        const ingest_request_t *request = self->requests[r];
        if (!request)
            continue;
        for (size_t index = 0; index < ingest_request_event_count (request); index++)
            if (ingest_request_group (request, index) == self->group &&
                ingest_request_outcome (request, index) != INGEST_OUTCOME_REJECTED)
                partitions[count++] = ingest_request_partition (request, index);
    }
    if (count == 0)
        return 0;
    qsort (partitions, count, sizeof *partitions, s_compare_partitions);
    size_t distinct = 1;
    for (size_t index = 1; index < count; index++)
        if (partitions[index] != partitions[distinct - 1])
            partitions[distinct++] = partitions[index];
    return distinct;
}

int
ingest_batch_resolve (ingest_batch_t *self, const ingest_batch_stored_t *stored,
                      size_t stored_count, uint64_t *heads)
{
    assert (self && (stored || stored_count == 0) && (heads || self->valid == 0));
    int rc = -1;
    zhashx_t *locations = zhashx_new ();
    s_location_t *slots =
        (s_location_t *) calloc (stored_count + self->valid + 1, sizeof (s_location_t));
    if (!locations || !slots)
        goto out_free;
    size_t used = 0;
    for (size_t index = 0; index < stored_count; index++) {
        s_location_t *slot = &slots[used++];
        slot->partition = stored[index].partition;
        slot->sequence = stored[index].sequence;
        slot->hash = stored[index].hash;
        /* event_id is unique in the log, so every key is new. */
        zhashx_insert (locations, stored[index].event_id, slot);
    }
    for (size_t r = 0; r < self->count; r++) {
        ingest_request_t *request = self->requests[r];
        if (!request)
            continue;
        for (size_t index = 0; index < ingest_request_event_count (request); index++) {
            if (ingest_request_group (request, index) != self->group ||
                ingest_request_outcome (request, index) != INGEST_OUTCOME_PENDING)
                continue;
            const char *event_id = ingest_request_event (request, index)->event_id;
            const uint8_t *hash = ingest_request_hash (request, index);
            s_location_t *found = (s_location_t *) zhashx_lookup (locations, event_id);
            if (found) {
                bool same = memcmp (found->hash, hash, INGEST_DIGEST_SIZE) == 0;
                ingest_request_resolve (request, index,
                                        same ? INGEST_OUTCOME_DUPLICATE : INGEST_OUTCOME_CONFLICT,
                                        found->partition, found->sequence);
                continue;
            }
            uint32_t partition = ingest_request_partition (request, index);
            s_location_t *slot = &slots[used++];
            slot->partition = partition;
            slot->sequence = ++heads[partition];
            slot->hash = hash;
            zhashx_insert (locations, event_id, slot);
            ingest_request_resolve (request, index, INGEST_OUTCOME_ACCEPTED, partition,
                                    slot->sequence);
        }
    }
    rc = 0;

out_free:
    zhashx_destroy (&locations);
    free (slots);
    return rc;
}

void
ingest_batch_unresolve (ingest_batch_t *self)
{
    assert (self);
    for (size_t r = 0; r < self->count; r++)
        if (self->requests[r])
            ingest_request_unresolve_group (self->requests[r], self->group);
}

void
ingest_batch_refuse (ingest_batch_t *self, ingest_status_t status, const char *error)
{
    assert (self);
    for (size_t r = 0; r < self->count; r++)
        if (self->requests[r])
            ingest_request_refuse (self->requests[r], status, error);
}

uint32_t
ingest_batch_group (const ingest_batch_t *self)
{
    assert (self);
    return self->group;
}

bool
ingest_batch_holds (const ingest_batch_t *self, const ingest_request_t *request, size_t index)
{
    assert (self && request);
    return ingest_request_group (request, index) == self->group;
}

ingest_batch_counts_t
ingest_batch_counts (const ingest_batch_t *self)
{
    assert (self);
    ingest_batch_counts_t counts = { 0, 0, 0, 0 };
    for (size_t r = 0; r < self->count; r++) {
        const ingest_request_t *request = self->requests[r];
        if (!request || ingest_request_status (request) != INGEST_STATUS_OK)
            continue;
        for (size_t index = 0; index < ingest_request_event_count (request); index++) {
            if (ingest_request_group (request, index) != self->group)
                continue;
            switch (ingest_request_outcome (request, index)) {
            case INGEST_OUTCOME_ACCEPTED: counts.accepted++; break;
            case INGEST_OUTCOME_DUPLICATE: counts.duplicate++; break;
            case INGEST_OUTCOME_CONFLICT: counts.conflict++; break;
            case INGEST_OUTCOME_REJECTED: counts.rejected++; break;
            default: break;
            }
        }
    }
    return counts;
}
