/*  sp_settled - whether a consumer service's results hold the whole log
    (see sp_settled.h). */
#include "sp_settled.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sp_consumer_key.h"
#include "sp_consumer_log.h"
#include "sp_error.h"
#include "sp_redis_pipeline.h"

/* Redis commands per partition: GET checkpoint, GET revision. */
#define S_PER_PARTITION 2

struct _sp_settled_t {
    char *service;                 /* consumer service whose keys are read */
    uint32_t partitions;           /* partition count P */
    int64_t revision;              /* the revision each partition's state must carry */
    uint64_t *heads;               /* [partitions]: log heads at the last observation */
    bool has_heads;                /* heads were observed at least once */
    uint64_t *now;                 /* [3 * partitions]: heads, checkpoints, revisions read */
    sp_redis_pipeline_t *pipeline; /* the round trip of a check, reused */
};

sp_settled_t *
sp_settled_new (const char *service, uint32_t partitions, char *error, size_t error_size)
{
    assert (service && partitions >= 1);
    sp_settled_t *self = (sp_settled_t *) calloc (1, sizeof *self);
    if (!self)
        goto out_memory;
    self->partitions = partitions;
    self->service = strdup (service);
    self->heads = calloc (partitions, sizeof *self->heads);
    self->now = calloc ((size_t) 3 * partitions, sizeof *self->now);
    self->pipeline = sp_redis_pipeline_new ();
    if (!self->service || !self->heads || !self->now || !self->pipeline)
        goto out_memory;
    return self;

out_memory:
    sp_settled_destroy (&self);
    sp_error_set (error, error_size, "out of memory");
    return NULL;
}

void
sp_settled_destroy (sp_settled_t **self_p)
{
    assert (self_p);
    sp_settled_t *self = *self_p;
    if (!self)
        return;
    sp_redis_pipeline_destroy (&self->pipeline);
    free (self->now);
    free (self->heads);
    free (self->service);
    free (self);
    *self_p = NULL;
}

void
sp_settled_set_revision (sp_settled_t *self, int64_t revision)
{
    assert (self && revision >= 0);
    self->revision = revision;
}

bool
sp_settled_observe_each (sp_settled_t *self, const uint64_t *heads, const uint64_t *checkpoints,
                         const uint64_t *revisions, bool *each)
{
    assert (self && heads && checkpoints && revisions);
    bool settled = true;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        uint64_t wanted = self->has_heads ? self->heads[partition] : heads[partition];
        /* state built under another revision than the one in force is
           not settled either (being rebuilt, or this instance is behind) */
        bool partition_settled =
            checkpoints[partition] >= wanted && revisions[partition] == (uint64_t) self->revision;
        if (each)
            each[partition] = partition_settled;
        settled = settled && partition_settled;
    }
    memmove (self->heads, heads, self->partitions * sizeof *heads);
    self->has_heads = true;
    return settled;
}

bool
sp_settled_observe (sp_settled_t *self, const uint64_t *heads, const uint64_t *checkpoints,
                    const uint64_t *revisions)
{
    return sp_settled_observe_each (self, heads, checkpoints, revisions, NULL);
}

/* Reads a reply holding a sequence in canonical form (nil: 0). */
static int
s_reply_number (const sp_redis_reply_t *reply, uint64_t *value)
{
    *value = 0;
    if (sp_redis_reply_type (reply) == SP_REDIS_REPLY_NIL)
        return 0;
    size_t length = 0;
    const char *text = sp_redis_reply_string (reply, &length);
    if (!text || sp_consumer_key_parse_sequence (text, length, value) != 0)
        return -1;
    return 0;
}

int
sp_settled_check (sp_settled_t *self, sp_pg_t *pg, sp_redis_t *redis, bool *settled, char *error,
                  size_t error_size)
{
    return sp_settled_check_each (self, pg, redis, settled, NULL, error, error_size);
}

int
sp_settled_check_each (sp_settled_t *self, sp_pg_t *pg, sp_redis_t *redis, bool *settled,
                       bool *each, char *error, size_t error_size)
{
    assert (self && pg && redis && settled);
    uint64_t *heads = self->now;
    uint64_t *checkpoints = heads + self->partitions;
    uint64_t *revisions = checkpoints + self->partitions;
    int rc = -1;
    sp_redis_reply_t *reply = NULL;
    if (sp_consumer_log_heads (pg, self->partitions, heads, error, error_size) != 0)
        goto out_reset;
    /* the consumer's checkpoint and revision keys (sp_consumer_store.h) */
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        char key[SP_CONSUMER_KEY_MAX];
        char revision_key[SP_CONSUMER_KEY_MAX];
        sp_consumer_key_checkpoint (key, sizeof key, self->service, partition);
        sp_consumer_key_revision (revision_key, sizeof revision_key, self->service, partition);
        if (sp_redis_pipeline_append (self->pipeline, 2, (const char *[]){ "GET", key }, NULL) !=
                0 ||
            sp_redis_pipeline_append (self->pipeline, 2, (const char *[]){ "GET", revision_key },
                                      NULL) != 0) {
            sp_error_set (error, error_size, "out of memory");
            goto out_reset;
        }
    }
    reply = sp_redis_execute (redis, self->pipeline, error, error_size);
    if (!reply)
        goto out_reset;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        /* missing (never applied, or being reset) reads as 0 */
        size_t element = (size_t) S_PER_PARTITION * partition;
        if (s_reply_number (sp_redis_reply_element (reply, element), &checkpoints[partition]) !=
                0 ||
            s_reply_number (sp_redis_reply_element (reply, element + 1), &revisions[partition]) !=
                0) {
            sp_error_set (error, error_size,
                          "the checkpoint or revision of partition %" PRIu32 " holds no number",
                          partition);
            goto out_reset;
        }
    }
    *settled = sp_settled_observe_each (self, heads, checkpoints, revisions, each);
    rc = 0;
out_reset:
    sp_redis_pipeline_reset (self->pipeline); /* the next check starts empty */
    sp_redis_reply_destroy (&reply);
    return rc;
}
