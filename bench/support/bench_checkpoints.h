/*  bench_checkpoints - how far a consumer under benchmark has got: the sum
    of its partitions' checkpoints (<service>:{pN}:checkpoint, the last
    sequence applied in partition N), read in one round trip through
    sp_consumer_state_read_checkpoints, and a wait until that sum reaches
    the events written.

    A consumer's rebuild and live figures (bench_consumer, bench_funnel)
    are timed from a start until the first poll that sees the sum equal to
    the log; the poll interval bounds the error of those times.
*/
#ifndef BENCH_CHECKPOINTS_H_INCLUDED
#define BENCH_CHECKPOINTS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sp_redis.h"

/* Checkpoint poll interval, ms. */
#define BENCH_CHECKPOINTS_POLL_MS 20

typedef struct _bench_checkpoints_t bench_checkpoints_t;

/* The checkpoints of service's partitions partitions (a valid service
   name and 1..SP_PARTITIONS_MAX partitions), read through redis
   (borrowed, must outlive this); bench names the program in messages on
   stderr. NULL when out of memory. */
bench_checkpoints_t *bench_checkpoints_new (const char *bench, sp_redis_t *redis,
                                            const char *service, uint32_t partitions);

/* Frees; no-op on NULL; sets *self_p to NULL. */
void bench_checkpoints_destroy (bench_checkpoints_t **self_p);

/* Sum of the checkpoints (a missing one counts 0) into *sum. Returns 0,
   or -1 when Redis did not answer or a checkpoint is not a sequence
   (printed). */
int bench_checkpoints_sum (bench_checkpoints_t *self, uint64_t *sum);

/* Reads every partition's checkpoint (a missing one counts 0); on
   success *checkpoints points at them, [partitions] entries valid until
   the next read. Returns 0, or -1 as bench_checkpoints_sum. */
int bench_checkpoints_read (bench_checkpoints_t *self, const uint64_t **checkpoints);

/* Reads made so far (each one round trip of one GET per partition), so a
   measurement of Redis can take the benchmark's own commands out. */
uint64_t bench_checkpoints_reads (const bench_checkpoints_t *self);

/* The partition count given to bench_checkpoints_new. */
uint32_t bench_checkpoints_partitions (const bench_checkpoints_t *self);

/* Waits until the checkpoints sum to target; *at gets the monotonic time
   (bench_seconds) of the first poll that saw it. Returns 0, or -1 when
   Redis failed, the sum went beyond target, the consumer *pid exited (it
   is then reaped and *pid set to -1) or limit_s seconds passed. */
int bench_checkpoints_wait (bench_checkpoints_t *self, uint64_t target, pid_t *pid, double limit_s,
                            double *at);

#endif
