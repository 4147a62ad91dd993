/*  sp_consumer_steps - the consumer's atomic steps: parked, sent on the
    consumer's own Redis connection, received (sp_consumer.c has the rest
    of the consumer; sp_consumer_internal.h what both files share).

    Steps are pipelined, and Redis and the handler work at the same time.
    sp_consumer_step_commit parks a finished step and counts it applied in
    the partition's state (its checkpoint moves on). The parked step is
    sent (sp_consumer_step_release) once the next run's keys have been
    fetched, so Redis answers that fetch first and then runs the script
    while the handler works through the next run, usually of another
    partition; or when the next step is parked; or at the end of the
    reactor callback, unless more catch-up work is due at once (its first
    fetch sends it). The step in flight is received
    (sp_consumer_step_collect) before the next is sent; both are settled
    (sp_consumer_step_settle) before anything reads that partition's Redis
    state (its next run's fetch, its start), before definitions change,
    at every poll (a quiet consumer reads its last reply within poll-ms)
    and at shutdown. Redis runs a step as soon as it is sent, so its
    events are visible then, whenever its reply is read. A step Redis
    refused, or one that could not be sent, puts its partition back to
    STARTING, where its true checkpoint is read again: what was counted
    ahead is never trusted.
*/
#include "sp_consumer_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#include "sp_log.h"

#define ERROR_SIZE 512

/* Puts a partition whose step was not applied back to STARTING (its
   checkpoint was counted ahead), at once or after the retry delay. */
static void
s_reread (sp_consumer_t *self, uint32_t partition, bool at_once)
{
    sp_consumer_partition_t *state = &self->partitions[partition];
    if (state->state == SP_CONSUMER_PARTITION_IDLE)
        return;
    state->state = SP_CONSUMER_PARTITION_STARTING;
    state->not_before_ms = at_once ? 0 : zclock_mono () + self->settings.retry_delay_ms;
    sp_consumer_publish_partition (self, partition);
    sp_consumer_schedule_work (self);
}

/* The apply script refused the step in flight (a command would fail;
   nothing was written): narrows down to the event at fault, retries it,
   or has it quarantined at its next apply (sp_consumer_partition.h). */
static void
s_refused (sp_consumer_t *self, uint32_t partition, const char *error)
{
    sp_consumer_partition_t *state = &self->partitions[partition];
    uint64_t first = sp_consumer_batch_from (self->flight) + 1;
    uint64_t last = sp_consumer_batch_last (self->flight);
    sp_consumer_metrics_refused (self->metrics, "refused");
    sp_consumer_refusal_t refusal =
        sp_consumer_partition_refused (state, first, last, self->settings.poison_attempts, error);
    switch (refusal) {
        case SP_CONSUMER_REFUSAL_NARROW:
            sp_log_warn ("apply refused: applying its events one by one to find the one at fault",
                         "partition=%" PRIu32 " first=%" PRIu64 " last=%" PRIu64 " error=\"%s\"",
                         partition, first, last, error);
            break;
        case SP_CONSUMER_REFUSAL_RETRY:
            sp_log_warn ("apply refused: retrying",
                         "partition=%" PRIu32 " sequence=%" PRIu64 " attempt=%d error=\"%s\"",
                         partition, first, state->refusals, error);
            break;
        case SP_CONSUMER_REFUSAL_QUARANTINE:
            break; /* logged by the quarantine */
    }
    s_reread (self, partition, refusal != SP_CONSUMER_REFUSAL_RETRY);
}

/* Receives the step in flight, if any. Returns 0 when none was in flight
   or it was applied; otherwise -1, its partition has been put where it
   must go next, and *partition (may be NULL) says which. */
int
sp_consumer_step_collect (sp_consumer_t *self, uint32_t *failed_partition)
{
    if (!self->in_flight)
        return 0;
    self->in_flight = false;
    uint32_t partition = self->flight_partition;
    sp_consumer_partition_t *state = &self->partitions[partition];
    char error[ERROR_SIZE];
    uint64_t observed = 0;
    bool observed_missing = false;
    sp_consumer_store_result_t result = sp_consumer_store_apply_receive (
        self->store, self->apply_redis, &observed, &observed_missing, error, sizeof error);
    if (result == SP_CONSUMER_STORE_APPLIED) {
        sp_consumer_partition_confirmed (state, sp_consumer_batch_last (self->flight));
        self->applied += self->flight_events;
        sp_consumer_metrics_applied (self->metrics, self->flight_events, self->flight_catching_up);
        return 0;
    }
    if (failed_partition)
        *failed_partition = partition;
    switch (result) {
        case SP_CONSUMER_STORE_FENCED:
            sp_consumer_metrics_refused (self->metrics, "fenced");
            sp_log_warn ("partition lease lost: apply refused",
                         "partition=%" PRIu32 " error=\"%s\"", partition, error);
            if (state->state != SP_CONSUMER_PARTITION_IDLE)
                sp_lease_lost (self->lease, partition);
            return -1;
        case SP_CONSUMER_STORE_MOVED:
            sp_consumer_metrics_refused (self->metrics, "moved");
            sp_log_warn ("partition checkpoint moved: reading its state again",
                         "partition=%" PRIu32 " found=%" PRIu64 " missing=%s error=\"%s\"",
                         partition, observed, observed_missing ? "true" : "false", error);
            break;
        case SP_CONSUMER_STORE_STALE:
            sp_consumer_metrics_refused (self->metrics, "stale");
            sp_log_warn ("partition stamped with another revision: reading its state again",
                         "partition=%" PRIu32 " revision=%" PRId64 " error=\"%s\"", partition,
                         self->revision, error);
            break;
        case SP_CONSUMER_STORE_REFUSED:
            s_refused (self, partition, error);
            return -1;
        case SP_CONSUMER_STORE_APPLIED:
        case SP_CONSUMER_STORE_FAILED:
            sp_consumer_metrics_refused (self->metrics, "failed");
            sp_log_warn ("could not apply events", "partition=%" PRIu32 " error=\"%s\"", partition,
                         error);
            break;
    }
    s_reread (self, partition, result == SP_CONSUMER_STORE_MOVED);
    return -1;
}

/* Sends batch's step (nothing is in flight). Returns 0, or -1 when it
   could not be sent (its partition has been put back to STARTING). */
static int
s_send (sp_consumer_t *self, sp_consumer_batch_t *batch, bool catching_up)
{
    assert (!self->in_flight);
    uint32_t partition = sp_consumer_batch_partition (batch);
    char error[ERROR_SIZE];
    if (sp_consumer_store_apply_send (self->store, self->apply_redis, batch,
                                      self->partitions[partition].token, error,
                                      sizeof error) != 0) {
        sp_consumer_metrics_refused (self->metrics, "failed");
        sp_log_warn ("could not apply events", "partition=%" PRIu32 " error=\"%s\"", partition,
                     error);
        s_reread (self, partition, false);
        return -1;
    }
    self->in_flight = true;
    self->flight = batch;
    self->flight_partition = partition;
    self->flight_events = sp_consumer_batch_events (batch);
    self->flight_catching_up = catching_up;
    return 0;
}

/* Receives the step in flight, then sends the parked one, if any. A
   parked step built on a step Redis refused is dropped. Returns -1 when
   a step of partition was refused or not sent (the partition has been
   put where it must go next), else 0. */
int
sp_consumer_step_release (sp_consumer_t *self, uint32_t partition)
{
    uint32_t refused = UINT32_MAX;
    sp_consumer_step_collect (self, &refused);
    sp_consumer_batch_t *batch = self->parked;
    self->parked = NULL;
    if (batch) {
        uint32_t parked = sp_consumer_batch_partition (batch);
        if (parked != refused && s_send (self, batch, self->parked_catching_up) != 0)
            return parked == partition || refused == partition ? -1 : 0;
    }
    return refused == partition ? -1 : 0;
}

/* Sends the parked step and receives it: nothing is left parked or in
   flight. Returns -1 when a step of partition was refused or not sent,
   else 0 (UINT32_MAX: any partition, always 0). */
int
sp_consumer_step_settle (sp_consumer_t *self, uint32_t partition)
{
    int rc = sp_consumer_step_release (self, partition);
    uint32_t refused = UINT32_MAX;
    sp_consumer_step_collect (self, &refused);
    return rc != 0 || refused == partition ? -1 : 0;
}

/* Settles the steps when one parked or in flight is partition's.
   Returns 0, or -1 when one failed (the partition has been put where it
   must go next). */
int
sp_consumer_step_settle_partition (sp_consumer_t *self, uint32_t partition)
{
    bool parked = self->parked && sp_consumer_batch_partition (self->parked) == partition;
    bool flying = self->in_flight && self->flight_partition == partition;
    return parked || flying ? sp_consumer_step_settle (self, partition) : 0;
}

/* The batch neither parked nor in flight. */
static sp_consumer_batch_t *
s_spare_batch (const sp_consumer_t *self)
{
    for (size_t index = 0;; index++) {
        sp_consumer_batch_t *batch = self->batches[index];
        if (batch != self->parked && !(self->in_flight && batch == self->flight))
            return batch;
    }
}

/* Parks the batch's atomic step (see above), sending the one parked
   before. Returns 0 when parked (the partition's checkpoint counts it);
   otherwise the partition has been put where it must go next and -1 is
   returned. */
int
sp_consumer_step_commit (sp_consumer_t *self, bool catching_up)
{
    uint32_t partition = sp_consumer_batch_partition (self->batch);
    sp_consumer_partition_t *state = &self->partitions[partition];
    size_t events = sp_consumer_batch_events (self->batch);
    if (events == 0)
        return 0;
    /* Commands on the same key and field merge (sp_consumer_coalesce.h)
       and the summed increments join them. */
    if (sp_consumer_batch_coalesce (self->batch) != 0) {
        sp_consumer_metrics_refused (self->metrics, "failed");
        sp_log_warn ("could not apply events: out of memory writing the step", "partition=%" PRIu32,
                     partition);
        sp_consumer_retry_later (self, partition);
        return -1;
    }
    /* A step parked before goes out now; the one in flight keeps
       running (its reply is read when the next step is sent). */
    if (self->parked && sp_consumer_step_release (self, partition) != 0)
        return -1; /* this step was built on one Redis refused or never got */
    self->parked = self->batch;
    self->parked_catching_up = catching_up;
    sp_consumer_partition_applied (state, sp_consumer_batch_last (self->batch));
    sp_consumer_publish_partition (self, partition);
    /* The parked and the in-flight steps keep their batches. */
    self->batch = s_spare_batch (self);
    return 0;
}
