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
#include "sp_consumer_state.h"
#include "sp_harness.h"

#define ERROR_SIZE 512 /* a Redis error */

struct _bench_checkpoints_t {
    const char *bench;          /* program name in messages */
    const char *service;        /* the consumer's service name */
    sp_redis_t *redis;          /* borrowed */
    uint32_t partitions;        /* the service's partition count */
    sp_consumer_state_t *state; /* reads every partition's checkpoint */
    uint64_t *checkpoints;      /* [partitions], the last read */
    uint64_t reads;             /* reads made (round trips) */
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
    self->partitions = partitions;
    self->state = sp_consumer_state_new (service, partitions);
    self->checkpoints = (uint64_t *) calloc (partitions, sizeof *self->checkpoints);
    if (!self->state || !self->checkpoints)
        bench_checkpoints_destroy (&self);
    return self;
}

void
bench_checkpoints_destroy (bench_checkpoints_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_consumer_state_destroy (&(*self_p)->state);
    free ((*self_p)->checkpoints);
    free (*self_p);
    *self_p = NULL;
}

int
bench_checkpoints_read (bench_checkpoints_t *self, const uint64_t **checkpoints)
{
    char error[ERROR_SIZE];
    self->reads++;
    if (sp_consumer_state_read_checkpoints (self->state, self->redis, self->checkpoints, NULL,
                                            error, sizeof error) != 0) {
        fprintf (stderr, "%s: could not read the checkpoints: %s\n", self->bench, error);
        return -1;
    }
    *checkpoints = self->checkpoints;
    return 0;
}

uint64_t
bench_checkpoints_reads (const bench_checkpoints_t *self)
{
    return self->reads;
}

uint32_t
bench_checkpoints_partitions (const bench_checkpoints_t *self)
{
    return self->partitions;
}

int
bench_checkpoints_sum (bench_checkpoints_t *self, uint64_t *sum)
{
    const uint64_t *checkpoints = NULL;
    if (bench_checkpoints_read (self, &checkpoints) != 0)
        return -1;
    *sum = 0;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        *sum += self->checkpoints[partition];
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
