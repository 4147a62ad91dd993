/*  sp_consumer_internal - what the consumer's files share (sp_consumer.c:
    partitions, catch-up, live path, polls, life; sp_consumer_steps.c:
    the atomic steps, parked and in flight). For these files only;
    services use sp_consumer.h.
*/
#ifndef SP_CONSUMER_INTERNAL_H_INCLUDED
#define SP_CONSUMER_INTERNAL_H_INCLUDED

#include "sp_consumer.h"
#include "sp_consumer_batch.h"
#include "sp_consumer_bus.h"
#include "sp_consumer_metrics.h"
#include "sp_consumer_partition.h"
#include "sp_consumer_source.h"
#include "sp_consumer_state.h"
#include "sp_consumer_store.h"
#include "sp_consumer_view.h"
#include "sp_lease.h"
#include "sp_redis_pipeline.h"

#include <czmq.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct _sp_consumer_t {
    sp_service_t *service;           /* borrowed */
    sp_consumer_settings_t settings; /* strings below are copies */
    char service_name[SP_LEASE_SERVICE_MAX];
    char *bus;
    sp_consumer_handler_t handler;
    zloop_t *loop;     /* borrowed from the service */
    sp_pg_t *pg;       /* borrowed */
    sp_consumer_source_t *source; /* catch-up reads: a replica, or the primary */
    sp_redis_t *redis; /* borrowed */
    sp_consumer_bus_t *bus_reader;
    sp_lease_t *lease;
    sp_consumer_store_t *store;
    sp_redis_t *apply_redis;         /* the steps' own connection (pipelined) */
    sp_consumer_batch_t *batches[3]; /* one being built, one parked, one in flight */
    sp_consumer_batch_t *batch;      /* the one being built */
    sp_consumer_batch_t *parked;     /* a step built and not yet sent, or NULL */
    bool parked_catching_up;         /* its events came from the log */
    bool in_flight;                  /* a step was sent and not yet received */
    sp_consumer_batch_t *flight;     /* its batch (the store borrows its arguments) */
    uint32_t flight_partition;       /* its partition */
    size_t flight_events;            /* its events */
    bool flight_catching_up;         /* its events came from the log */
    sp_consumer_view_t *view;        /* what the handler reads, for one run */
    sp_redis_pipeline_t *fetch;      /* the view's MGETs */
    sp_consumer_partition_t *partitions;
    uint64_t *heads;             /* scratch for head polls */
    sp_consumer_event_t *events; /* scratch: one run handed to s_apply */
    int lease_timer;
    int poll_timer;
    int work_timer;          /* -1 when no work step is scheduled */
    uint32_t next_partition; /* round-robin start of work steps */
    int64_t rebuild_seen;    /* rebuild epoch seen at the last poll */
    uint64_t applied;
    uint64_t malformed_seen; /* bus messages dropped, as last counted */
    uint64_t skipped_seen;   /* bus messages dropped unread, as last counted */
    uint64_t applied_at_poll;
    int64_t poll_at_ms;
    double applied_per_second;
    int64_t started_at_ms; /* UTC */
    sp_consumer_metrics_t *metrics;
    int64_t revision;              /* reference data revision applied under */
    int64_t rebuild_revision;      /* last revision whose change needs a rebuild */
    json_t *definitions;           /* what the instance uses, for its status; may be NULL */
    sp_consumer_behind_fn *behind; /* told when state is stamped with a newer revision */
    void *behind_arg;
    bool unhealthy;                    /* sp_lease_health said so at the last lease tick */
    sp_consumer_state_t *state_reader; /* reads orphans' checkpoints for their lag */
    uint64_t *orphan_lags;             /* per partition: head - checkpoint of an orphan, else 0 */
};

/* ---------------------------------------------------------------- sp_consumer.c */

/* Publishes a partition's state to the metrics. */
void sp_consumer_publish_partition (sp_consumer_t *self, uint32_t partition);

/* Arms the work timer for the earliest partition that has work, if any
   and if it is not armed yet. */
void sp_consumer_schedule_work (sp_consumer_t *self);

/* Waits retry_delay_ms, then reads the partition back from the log. */
void sp_consumer_retry_later (sp_consumer_t *self, uint32_t partition);

/* ---------------------------------------------------------------- sp_consumer_steps.c */

/* Receives the step in flight, if any. Returns 0 when none was in flight
   or it was applied; otherwise -1, its partition has been put where it
   must go next, and *failed_partition (may be NULL) says which. */
int sp_consumer_step_collect (sp_consumer_t *self, uint32_t *failed_partition);

/* Receives the step in flight, then sends the parked one, if any.
   Returns -1 when a step of partition was refused or not sent, else 0. */
int sp_consumer_step_release (sp_consumer_t *self, uint32_t partition);

/* Sends the parked step and receives it: nothing is left parked or in
   flight. Returns -1 when a step of partition was refused or not sent,
   else 0 (UINT32_MAX: any partition, always 0). */
int sp_consumer_step_settle (sp_consumer_t *self, uint32_t partition);

/* Settles the steps when one parked or in flight is partition's. */
int sp_consumer_step_settle_partition (sp_consumer_t *self, uint32_t partition);

/* Parks the batch's atomic step, sending the one parked before. Returns
   0 when parked (the partition's checkpoint counts it); otherwise the
   partition has been put where it must go next and -1 is returned. */
int sp_consumer_step_commit (sp_consumer_t *self, bool catching_up);

#endif
