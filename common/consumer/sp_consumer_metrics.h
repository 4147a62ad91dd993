/*  sp_consumer_metrics - the consumer's Prometheus metrics (names and
    meanings listed in sp_consumer.h), registered once in the service's
    registry and updated from the consumer's reactor.
*/
#ifndef SP_CONSUMER_METRICS_H_INCLUDED
#define SP_CONSUMER_METRICS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_consumer_partition.h"
#include "sp_metrics.h"

typedef struct _sp_consumer_metrics_t sp_consumer_metrics_t;

/* Registers the families in registry (borrowed; must outlive this).
   NULL when out of memory or a name is already taken. */
sp_consumer_metrics_t *sp_consumer_metrics_new (sp_metrics_t *registry);
void sp_consumer_metrics_destroy (sp_consumer_metrics_t **self_p);

/* Owned, checkpoint and lag gauges of one partition from its state. */
void sp_consumer_metrics_partition (sp_consumer_metrics_t *self, uint32_t partition,
                                    const sp_consumer_partition_t *state);

/* Sets the lag of a partition nobody owns (sp_lease_orphaned): head -
   its stored checkpoint, so an orphan does not read 0. */
void sp_consumer_metrics_orphan_lag (sp_consumer_metrics_t *self, uint32_t partition, uint64_t lag);

/* events applied; catching_up when they were read back from the log. */
void sp_consumer_metrics_applied (sp_consumer_metrics_t *self, size_t events, bool catching_up);

/* Applied events per second over the last poll interval. */
void sp_consumer_metrics_rate (sp_consumer_metrics_t *self, double per_second);

/* count bus messages dropped as malformed. */
void sp_consumer_metrics_malformed (sp_consumer_metrics_t *self, uint64_t count);

/* count bus messages dropped unread (their partition was not live). */
void sp_consumer_metrics_skipped (sp_consumer_metrics_t *self, uint64_t count);

/* One gap on the live path. */
void sp_consumer_metrics_gap (sp_consumer_metrics_t *self);

/* One atomic apply that wrote nothing: reason "fenced", "moved" or "failed". */
void sp_consumer_metrics_refused (sp_consumer_metrics_t *self, const char *reason);

/* One event quarantined. */
void sp_consumer_metrics_quarantined (sp_consumer_metrics_t *self);

/* A catch-up read that returned events, from source "primary" or
   "replica" (sp_consumer_source). */
void sp_consumer_metrics_log_read (sp_consumer_metrics_t *self, const char *source);

/* A catch-up read sent to the primary instead of the replica: reason
   "behind" (the replica had not replayed up to the head) or "failed". */
void sp_consumer_metrics_replica_fallback (sp_consumer_metrics_t *self, const char *reason);

/* One partition acquired (true) or lost (false). */
void sp_consumer_metrics_lease (sp_consumer_metrics_t *self, bool acquired);

#endif
