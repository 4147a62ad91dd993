/*  bench_checkpoints - a consumer's progress as a benchmark reads it (see
    bench_checkpoints.h).
*/
#include "bench_checkpoints.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "bench_support.h"
#include "sp_harness.h"
#include "sp_partition.h"
#include "sp_redis_pipeline.h"

#define ERROR_SIZE 512 /* a Redis error */

struct _bench_checkpoints_t {
    const char *bench;             /* program name in messages */
    const char *service;           /* the consumer's service name */
    sp_redis_t *redis;             /* borrowed */
    sp_redis_pipeline_t *pipeline; /* GET of every partition's checkpoint */
};

bench_checkpoints_t *
bench_checkpoints_new (const char *bench, sp_redis_t *redis, const char *service,
                       uint32_t partitions)
{
    bench_checkpoints_t *self = (bench_checkpoints_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->bench = bench;
    self->service = service;
    self->redis = redis;
    self->pipeline = sp_redis_pipeline_new ();
    for (uint32_t partition = 0; self->pipeline && partition < partitions; partition++) {
        char key[SP_PARTITION_KEY_MAX];
        sp_partition_key (key, sizeof key, service, partition, "checkpoint");
        const char *const argv[] = { "GET", key };
        if (sp_redis_pipeline_append (self->pipeline, 2, argv, NULL) != 0)
            sp_redis_pipeline_destroy (&self->pipeline);
    }
    if (!self->pipeline)
        bench_checkpoints_destroy (&self);
    return self;
}

void
bench_checkpoints_destroy (bench_checkpoints_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_redis_pipeline_destroy (&(*self_p)->pipeline);
    free (*self_p);
    *self_p = NULL;
}

int
bench_checkpoints_sum (bench_checkpoints_t *self, uint64_t *sum)
{
    char error[ERROR_SIZE];
    sp_redis_reply_t *reply = sp_redis_execute (self->redis, self->pipeline, error, sizeof error);
    if (!reply) {
        fprintf (stderr, "%s: could not read the checkpoints: %s\n", self->bench, error);
        return -1;
    }
    *sum = 0;
    for (size_t index = 0; index < sp_redis_reply_size (reply); index++) {
        const sp_redis_reply_t *element = sp_redis_reply_element (reply, index);
        if (sp_redis_reply_type (element) == SP_REDIS_REPLY_STRING)
            *sum += strtoull (sp_redis_reply_string (element, NULL), NULL, 10);
    }
    sp_redis_reply_destroy (&reply);
    return 0;
}

int
bench_checkpoints_wait (bench_checkpoints_t *self, uint64_t target, pid_t *pid, double limit_s,
                        double *at)
{
    double deadline = bench_seconds () + limit_s;
    uint64_t sum = 0;
    while (true) {
        if (bench_checkpoints_sum (self, &sum) != 0)
            return -1;
        *at = bench_seconds ();
        if (sum == target)
            return 0;
        if (sum > target) {
            fprintf (stderr,
                     "%s: checkpoints sum to %" PRIu64 ", beyond the %" PRIu64
                     " events of the log\n",
                     self->bench, sum, target);
            return -1;
        }
        if (waitpid (*pid, NULL, WNOHANG) != 0) {
            fprintf (stderr, "%s: %s exited\n", self->bench, self->service);
            *pid = -1;
            return -1;
        }
        if (*at > deadline) {
            fprintf (stderr, "%s: checkpoints at %" PRIu64 " of %" PRIu64 " after %.0f s\n",
                     self->bench, sum, target, limit_s);
            return -1;
        }
        sp_harness_pause_ms (BENCH_CHECKPOINTS_POLL_MS);
    }
}
