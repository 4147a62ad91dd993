/*  sp_settled - whether a consumer service's results hold the whole log:
    the check a service makes before it judges settled state and tells
    the world (funnel-tracker's bottleneck notices, kpi-evaluator's pace
    warnings; docs/consumer.md, "The outbox").

        sp_settled_t *settled = sp_settled_new ("funnel-tracker", partitions, error, size);
        ... every interval:
        bool ok;
        if (sp_settled_check (settled, pg, redis, &ok, error, size) == 0 && ok)
            ... judge ...

    The results are settled when they hold every event that was in the
    log at the previous check (at the first one: in the log now): each
    partition's checkpoint (sp_consumer_key.h) has reached the log head
    read then, and each partition's state carries the reference data
    revision in force (sp_settled_set_revision; 0 until set). While the
    service replays the log (start, rebuild, a long catch-up) the results
    are partial and would raise what the complete data does not; live,
    events committed one interval ago are applied. Each check reads the
    heads for the next.

    The decision itself (sp_settled_observe) does no I/O; sp_settled_check
    reads the heads from PostgreSQL (sp_consumer_log_heads) and the
    checkpoints and revisions from Redis in one round trip.
*/
#ifndef SP_SETTLED_H_INCLUDED
#define SP_SETTLED_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_pg.h"
#include "sp_redis.h"

typedef struct _sp_settled_t sp_settled_t;

/* Creates the check of service's partitions 0..partitions-1 (service is
   copied, a consumer service name as in sp_consumer_key.h). Returns NULL
   with the reason in error (out of memory). */
sp_settled_t *sp_settled_new (const char *service, uint32_t partitions, char *error,
                              size_t error_size);

/* Frees; no-op on NULL; sets the pointer to NULL. */
void sp_settled_destroy (sp_settled_t **self_p);

/* The revision every partition's state must carry (>= 0). */
void sp_settled_set_revision (sp_settled_t *self, int64_t revision);

/* Decides from what was read now: heads[p] the log heads, checkpoints[p]
   and revisions[p] the partitions' (0 when missing), for every
   partition. Settled when every checkpoint reached the head kept from
   the previous observation (the first: heads) and every revision is the
   one in force. Keeps heads for the next. */
bool sp_settled_observe (sp_settled_t *self, const uint64_t *heads, const uint64_t *checkpoints,
                         const uint64_t *revisions);

/* Reads the log heads, checkpoints and revisions and observes them: sets
   *settled. Returns 0, or -1 with the reason in error (*settled and the
   heads kept untouched). */
int sp_settled_check (sp_settled_t *self, sp_pg_t *pg, sp_redis_t *redis, bool *settled,
                      char *error, size_t error_size);

/* Per partition (a service that judges each partition's results on its
   own, churn-alerting's scorer): as sp_settled_observe, and each[p] set
   to whether partition p alone is settled (its checkpoint reached the
   head kept from the previous observation, its revision the one in
   force). Returns whether every partition is. */
bool sp_settled_observe_each (sp_settled_t *self, const uint64_t *heads,
                              const uint64_t *checkpoints, const uint64_t *revisions, bool *each);

/* As sp_settled_check, with each[p] (partitions of them) set as
   sp_settled_observe_each does and *settled whether every partition is.
   Returns 0, or -1 with the reason in error (each, *settled and the
   heads kept untouched). */
int sp_settled_check_each (sp_settled_t *self, sp_pg_t *pg, sp_redis_t *redis, bool *settled,
                           bool *each, char *error, size_t error_size);

#endif
