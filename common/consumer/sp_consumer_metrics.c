/*  sp_consumer_metrics - the consumer's metrics (see sp_consumer_metrics.h).
 */
#include "sp_consumer_metrics.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Room for a partition number as a label value. */
#define PARTITION_LABEL_SIZE 16

struct _sp_consumer_metrics_t {
    sp_metric_t *owned;
    sp_metric_t *live;
    sp_metric_t *checkpoint;
    sp_metric_t *lag;
    sp_metric_t *applied;
    sp_metric_t *rate;
    sp_metric_t *catchup;
    sp_metric_t *gaps;
    sp_metric_t *malformed;
    sp_metric_t *skipped;
    sp_metric_t *refused;
    sp_metric_t *quarantined;
    sp_metric_t *lease;
    sp_metric_t *log_reads;
    sp_metric_t *replica_fallbacks;
};

sp_consumer_metrics_t *
sp_consumer_metrics_new (sp_metrics_t *registry)
{
    assert (registry);
    sp_consumer_metrics_t *self = (sp_consumer_metrics_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    const char *partition[] = { "partition" };
    const char *reason[] = { "reason" };
    const char *change[] = { "change" };
    const char *source[] = { "source" };
    self->owned = sp_metrics_gauge (registry, "salespulse_consumer_partition_owned",
                                    "1 when this instance owns the partition", partition, 1);
    self->live = sp_metrics_gauge (registry, "salespulse_consumer_partition_live",
                                   "1 when an owned partition is caught up and applying live "
                                   "events (0 while starting or catching up)",
                                   partition, 1);
    self->checkpoint =
        sp_metrics_gauge (registry, "salespulse_consumer_partition_checkpoint",
                          "sequence of the last event applied in the partition", partition, 1);
    self->lag =
        sp_metrics_gauge (registry, "salespulse_consumer_partition_lag",
                          "head sequence minus checkpoint of an owned partition", partition, 1);
    self->applied = sp_metrics_counter (registry, "salespulse_consumer_applied_events_total",
                                        "events applied to the service's state", NULL, 0);
    self->rate =
        sp_metrics_gauge (registry, "salespulse_consumer_applied_events_per_second",
                          "events applied per second over the last poll interval", NULL, 0);
    self->catchup = sp_metrics_counter (registry, "salespulse_consumer_catchup_events_total",
                                        "events read back from the event log and applied", NULL, 0);
    self->gaps = sp_metrics_counter (registry, "salespulse_consumer_gaps_total",
                                     "sequence gaps seen on the live path", NULL, 0);
    self->malformed =
        sp_metrics_counter (registry, "salespulse_consumer_bus_malformed_total",
                            "bus messages dropped because they could not be read", NULL, 0);
    self->skipped = sp_metrics_counter (
        registry, "salespulse_consumer_bus_skipped_total",
        "bus messages dropped unread: their partition was catching up or not owned", NULL, 0);
    self->refused =
        sp_metrics_counter (registry, "salespulse_consumer_apply_refused_total",
                            "atomic applies that wrote nothing (fenced, moved, failed)", reason, 1);
    self->quarantined =
        sp_metrics_counter (registry, "salespulse_consumer_quarantined_events_total",
                            "events given up on after the handler failed on them", NULL, 0);
    self->lease = sp_metrics_counter (registry, "salespulse_consumer_lease_changes_total",
                                      "partitions acquired or lost", change, 1);
    self->log_reads = sp_metrics_counter (
        registry, "salespulse_consumer_log_reads_total",
        "catch-up reads of the event log that returned events, by source (primary, replica)",
        source, 1);
    self->replica_fallbacks = sp_metrics_counter (
        registry, "salespulse_consumer_replica_fallbacks_total",
        "catch-up reads sent to the primary instead of the replica (behind, failed)", reason, 1);
    if (!self->owned || !self->live || !self->checkpoint || !self->lag || !self->applied ||
        !self->rate || !self->catchup || !self->gaps || !self->malformed || !self->skipped ||
        !self->refused || !self->quarantined || !self->lease || !self->log_reads ||
        !self->replica_fallbacks)
        sp_consumer_metrics_destroy (&self);
    return self;
}

void
sp_consumer_metrics_destroy (sp_consumer_metrics_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

void
sp_consumer_metrics_partition (sp_consumer_metrics_t *self, uint32_t partition,
                               const sp_consumer_partition_t *state)
{
    assert (self && state);
    char label[PARTITION_LABEL_SIZE];
    snprintf (label, sizeof label, "%" PRIu32, partition);
    const char *labels[] = { label };
    sp_metric_set (self->owned, labels, state->state != SP_CONSUMER_PARTITION_IDLE ? 1 : 0);
    sp_metric_set (self->live, labels, state->state == SP_CONSUMER_PARTITION_LIVE ? 1 : 0);
    sp_metric_set (self->checkpoint, labels, (double) state->checkpoint);
    sp_metric_set (self->lag, labels, (double) sp_consumer_partition_lag (state));
}

void
sp_consumer_metrics_orphan_lag (sp_consumer_metrics_t *self, uint32_t partition, uint64_t lag)
{
    assert (self);
    char label[PARTITION_LABEL_SIZE];
    snprintf (label, sizeof label, "%" PRIu32, partition);
    sp_metric_set (self->lag, (const char *[]){ label }, (double) lag);
}

void
sp_consumer_metrics_applied (sp_consumer_metrics_t *self, size_t events, bool catching_up)
{
    assert (self);
    sp_metric_add (self->applied, NULL, (double) events);
    if (catching_up)
        sp_metric_add (self->catchup, NULL, (double) events);
}

void
sp_consumer_metrics_rate (sp_consumer_metrics_t *self, double per_second)
{
    assert (self);
    sp_metric_set (self->rate, NULL, per_second);
}

void
sp_consumer_metrics_gap (sp_consumer_metrics_t *self)
{
    assert (self);
    sp_metric_add (self->gaps, NULL, 1);
}

void
sp_consumer_metrics_malformed (sp_consumer_metrics_t *self, uint64_t count)
{
    assert (self);
    sp_metric_add (self->malformed, NULL, (double) count);
}

void
sp_consumer_metrics_skipped (sp_consumer_metrics_t *self, uint64_t count)
{
    assert (self);
    sp_metric_add (self->skipped, NULL, (double) count);
}

void
sp_consumer_metrics_refused (sp_consumer_metrics_t *self, const char *reason)
{
    assert (self && reason);
    const char *labels[] = { reason };
    sp_metric_add (self->refused, labels, 1);
}

void
sp_consumer_metrics_log_read (sp_consumer_metrics_t *self, const char *source)
{
    assert (self && source);
    sp_metric_add (self->log_reads, (const char *[]){ source }, 1);
}

void
sp_consumer_metrics_replica_fallback (sp_consumer_metrics_t *self, const char *reason)
{
    assert (self && reason);
    sp_metric_add (self->replica_fallbacks, (const char *[]){ reason }, 1);
}

void
sp_consumer_metrics_quarantined (sp_consumer_metrics_t *self)
{
    assert (self);
    sp_metric_add (self->quarantined, NULL, 1);
}

void
sp_consumer_metrics_lease (sp_consumer_metrics_t *self, bool acquired)
{
    assert (self);
    const char *labels[] = { acquired ? "acquired" : "lost" };
    sp_metric_add (self->lease, labels, 1);
}
