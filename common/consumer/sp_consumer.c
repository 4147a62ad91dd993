/*  sp_consumer - exactly-once consumption of the event log (see
    sp_consumer.h for the whole contract).

    Everything runs on the service's reactor, which calls four handlers:
        s_on_bus     live envelopes waiting on the SUB socket
        s_on_work    one step of every partition that is starting or
                     catching up (re-armed while such work remains)
        s_on_lease   the lease tick (every ttl/3)
        s_on_poll    partition heads, rebuild requests, rates (poll_ms)
    All of them end up in s_apply, which turns a run of consecutive events
    of one partition into atomic steps and handles what can go wrong. The
    steps themselves (parked, sent, received) are in sp_consumer_steps.c.
*/
#include "sp_consumer.h"
#include "sp_consumer_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_consumer_bus.h"
#include "sp_consumer_fetch.h"
#include "sp_consumer_key.h"
#include "sp_consumer_log.h"
#include "sp_consumer_metrics.h"
#include "sp_consumer_partition.h"
#include "sp_error.h"
#include "sp_lease.h"
#include "sp_log.h"
#include "sp_partition.h"

#define ERROR_SIZE 512
#define MS_PER_SECOND 1000.0
/* Delay before the next work step when a partition is ready now, ms. */
#define WORK_DELAY_MS 1
/* Longest one work step keeps the reactor, ms: with many partitions
   catching up, lease ticks and live messages still get their turn. */
#define WORK_BUDGET_MS 50

/* The --step-bytes help (SP_CONSUMER_OPTIONS) names this number. */
_Static_assert(SP_CONSUMER_STEP_COMMANDS == 50000, "update the --step-bytes help");

static bool s_work_ready (const sp_consumer_t *self);

/* ---------------------------------------------------------------- settings */

/* ---------------------------------------------------------------- metrics */

void
sp_consumer_publish_partition (sp_consumer_t *self, uint32_t partition)
{
    const sp_consumer_partition_t *state = &self->partitions[partition];
    sp_consumer_metrics_partition (self->metrics, partition, state);
    if (state->state == SP_CONSUMER_PARTITION_IDLE && self->orphan_lags[partition] > 0)
        sp_consumer_metrics_orphan_lag (self->metrics, partition, self->orphan_lags[partition]);
}

/* The lag of every partition nobody owns (sp_lease_orphaned), from its
   stored checkpoint and the head just polled; 0 for the others (their
   owners report theirs). */
static void
s_measure_orphans (sp_consumer_t *self, int64_t now_ms)
{
    uint32_t partitions = self->settings.partitions;
    memset (self->orphan_lags, 0, partitions * sizeof *self->orphan_lags);
    if (sp_lease_orphans (self->lease, now_ms) == 0)
        return;
    uint64_t *checkpoints = (uint64_t *) calloc (partitions, sizeof *checkpoints);
    char error[ERROR_SIZE];
    if (!checkpoints ||
        sp_consumer_state_read_checkpoints (self->state_reader, self->redis, checkpoints, NULL,
                                            error, sizeof error) != 0) {
        free (checkpoints);
        return; /* Redis unreadable: /healthz already says so */
    }
    for (uint32_t partition = 0; partition < partitions; partition++)
        if (sp_lease_orphaned (self->lease, partition, now_ms) &&
            self->heads[partition] > checkpoints[partition])
            self->orphan_lags[partition] = self->heads[partition] - checkpoints[partition];
    free (checkpoints);
}

/* Tells the service (and so /healthz) whether this instance does its
   part: see sp_lease_health. Logs the changes only. */
static void
s_judge_health (sp_consumer_t *self, int64_t now_ms)
{
    char problem[ERROR_SIZE];
    bool unhealthy = sp_lease_health (self->lease, now_ms, problem, sizeof problem) != 0;
    if (unhealthy && !self->unhealthy)
        sp_log_warn ("consumer is unhealthy", "problem=\"%s\"", problem);
    else if (!unhealthy && self->unhealthy)
        sp_log_info ("consumer is healthy again", NULL);
    self->unhealthy = unhealthy;
    sp_service_set_health (self->service, "partitions", unhealthy ? problem : NULL);
}

/* ---------------------------------------------------------------- leases */

static void
s_lease_change (void *arg, uint32_t partition, bool owned, const char *token)
{
    sp_consumer_t *self = (sp_consumer_t *) arg;
    sp_consumer_partition_t *state = &self->partitions[partition];
    sp_consumer_metrics_lease (self->metrics, owned);
    if (owned) {
        sp_consumer_partition_own (state, token);
        sp_log_info ("partition acquired", "partition=%" PRIu32 " token=\"%s\"", partition, token);
        sp_consumer_schedule_work (self);
    }
    else {
        sp_log_info ("partition released", "partition=%" PRIu32 " checkpoint=%" PRIu64, partition,
                     state->checkpoint);
        sp_consumer_partition_drop (state);
    }
    sp_consumer_publish_partition (self, partition);
}

/* The instance's status for `salesctl status` (see sp_consumer.h). */
static char *
s_status_json (sp_consumer_t *self)
{
    char host[256] = "";
    if (gethostname (host, sizeof host - 1) != 0)
        host[0] = '\0';
    json_t *partitions = json_array ();
    for (uint32_t partition = 0; partition < self->settings.partitions; partition++) {
        const sp_consumer_partition_t *state = &self->partitions[partition];
        if (state->state == SP_CONSUMER_PARTITION_IDLE)
            continue;
        json_array_append_new (
            partitions, json_pack ("{s:I, s:I, s:I, s:I, s:s}", "partition", (json_int_t) partition,
                                   "checkpoint", (json_int_t) state->checkpoint, "head",
                                   (json_int_t) state->head, "lag",
                                   (json_int_t) sp_consumer_partition_lag (state), "state",
                                   sp_consumer_partition_state_name (state->state)));
    }
    json_t *status = json_pack (
        "{s:s, s:s, s:s, s:I, s:i, s:I, s:o, s:I, s:f}", "instance",
        sp_lease_instance (self->lease), "service", self->service_name, "host", host, "pid",
        (json_int_t) getpid (), "http_port", sp_service_http_port (self->service), "started_at",
        (json_int_t) self->started_at_ms, "partitions", partitions, "applied",
        (json_int_t) self->applied, "applied_per_second", self->applied_per_second);
    if (!status)
        return NULL;
    json_object_set_new (status, "revision", json_integer ((json_int_t) self->revision));
    if (self->definitions)
        json_object_set (status, "definitions", self->definitions);
    char *text = json_dumps (status, JSON_COMPACT);
    json_decref (status);
    return text;
}

static int
s_on_lease (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    sp_consumer_t *self = (sp_consumer_t *) arg;
    char *status = s_status_json (self);
    char error[ERROR_SIZE];
    int64_t now = zclock_mono ();
    if (sp_lease_tick (self->lease, self->redis, now, status, error, sizeof error) != 0)
        sp_log_warn ("could not renew partition leases", "error=\"%s\"", error);
    free (status);
    s_judge_health (self, now);
    return 0;
}

/* ---------------------------------------------------------------- apply */

/* Waits retry_delay_ms, then reads the partition back from the log. */
void
sp_consumer_retry_later (sp_consumer_t *self, uint32_t partition)
{
    sp_consumer_partition_t *state = &self->partitions[partition];
    state->state = SP_CONSUMER_PARTITION_CATCHING_UP;
    state->not_before_ms = zclock_mono () + self->settings.retry_delay_ms;
    sp_consumer_schedule_work (self);
}

/* Gives up on one event: records it in PostgreSQL, then lets the
   checkpoint pass it (with the rest of the batch). */
static int
s_quarantine (sp_consumer_t *self, const sp_consumer_event_t *event, const char *handler_error,
              const char *why)
{
    sp_consumer_log_event_t row = {
        .partition = event->partition,
        .sequence = event->sequence,
        .ingested_at = event->ingested_at,
        .event = (Salespulse__SalesEvent *) event->event,
    };
    snprintf (row.event_id, sizeof row.event_id, "%s", event->event_id ? event->event_id : "");
    char error[ERROR_SIZE];
    if (sp_consumer_log_quarantine (self->pg, self->service_name, &row,
                                    self->settings.poison_attempts, handler_error, error,
                                    sizeof error) != 0) {
        sp_log_warn ("could not quarantine event",
                     "partition=%" PRIu32 " sequence=%" PRIu64 " error=\"%s\"", event->partition,
                     event->sequence, error);
        return -1;
    }
    sp_consumer_metrics_quarantined (self->metrics);
    sp_log_error (why,
                  "partition=%" PRIu32 " sequence=%" PRIu64 " event_id=\"%s\" attempts=%d "
                  "error=\"%s\"",
                  event->partition, event->sequence, row.event_id, self->settings.poison_attempts,
                  handler_error);
    return 0;
}

/* Applies count consecutive events of one owned partition, starting at
   its checkpoint + 1, in atomic steps of at most batch events. Returns
   the number applied (checkpointed); when it is short of count, the
   partition has been put where it must go next (retry, re-read, lost).
   The handler's view lives for this call only. */
static size_t
s_apply_run (sp_consumer_t *self, uint32_t partition, const sp_consumer_event_t *events,
             size_t count, bool catching_up)
{
    sp_consumer_partition_t *state = &self->partitions[partition];
    uint64_t start = state->checkpoint;
    if (self->handler.begin && count > 0) {
        char error[ERROR_SIZE] = "";
        if (self->handler.begin (self->handler.arg, partition, events, count, self->view, error,
                                 sizeof error) != 0) {
            sp_consumer_metrics_refused (self->metrics, "failed");
            sp_log_warn ("handler could not prepare events: retrying",
                         "partition=%" PRIu32 " error=\"%s\"", partition, error);
            sp_consumer_retry_later (self, partition);
            return 0;
        }
    }
    char fetch_error[ERROR_SIZE] = "";
    if (sp_consumer_fetch (self->view, self->redis, self->fetch, fetch_error, sizeof fetch_error) !=
        0) {
        sp_consumer_metrics_refused (self->metrics, "failed");
        sp_log_warn ("could not read the handler's keys: retrying",
                     "partition=%" PRIu32 " keys=%zu error=\"%s\"", partition,
                     sp_consumer_view_wanted (self->view), fetch_error);
        sp_consumer_retry_later (self, partition);
        return 0;
    }
    /* Redis has answered the fetch: it runs the parked step (another
       partition's) while the handler works on this run. */
    sp_consumer_step_release (self, partition);
    sp_consumer_batch_reset (self->batch, partition, state->checkpoint);
    for (size_t index = 0; index < count; index++) {
        const sp_consumer_event_t *event = &events[index];
        assert (event->sequence == sp_consumer_batch_last (self->batch) + 1);
        if (event->sequence == state->quarantine_sequence) {
            /* Redis refused this event's own step at every attempt: given
               up on like a handler error, in a step of its own. */
            if (sp_consumer_step_commit (self, catching_up) != 0)
                break;
            sp_consumer_batch_reset (self->batch, partition, state->checkpoint);
            if (s_quarantine (self, event, state->refused_reason,
                              "event quarantined after repeated apply refusals") != 0) {
                sp_consumer_retry_later (self, partition);
                break;
            }
            state->quarantine_sequence = 0;
            sp_consumer_batch_advance (self->batch, event->sequence);
            if (sp_consumer_step_commit (self, catching_up) != 0)
                break;
            sp_consumer_batch_reset (self->batch, partition, state->checkpoint);
            continue;
        }
        size_t mark = sp_consumer_batch_mark (self->batch);
        size_t view_mark = sp_consumer_view_mark (self->view);
        char error[ERROR_SIZE] = "";
        int rc = self->handler.apply (self->handler.arg, event, self->view, self->batch, error,
                                      sizeof error);
        if (rc == 0 && sp_consumer_view_error (self->view)) {
            /* a read the view refused: what apply saw is not the state */
            sp_error_set (error, sizeof error, "%s", sp_consumer_view_error (self->view));
            rc = -1;
        }
        if (rc == 0)
            sp_consumer_view_accept (self->view);
        else {
            sp_consumer_batch_rewind (self->batch, mark);
            sp_consumer_view_rewind (self->view, view_mark);
            if (sp_consumer_step_commit (self, catching_up) != 0)
                break;
            sp_consumer_batch_reset (self->batch, partition, state->checkpoint);
            if (sp_consumer_partition_failure (state, event->sequence,
                                               self->settings.poison_attempts) ==
                SP_CONSUMER_FAILURE_RETRY) {
                sp_log_warn ("handler failed: retrying",
                             "partition=%" PRIu32 " sequence=%" PRIu64 " attempt=%d error=\"%s\"",
                             partition, event->sequence, state->failures, error);
                sp_consumer_retry_later (self, partition);
                break;
            }
            if (s_quarantine (self, event, error,
                              "event quarantined after repeated handler failures") != 0) {
                sp_consumer_retry_later (self, partition);
                break;
            }
        }
        sp_consumer_batch_advance (self->batch, event->sequence);
        /* A step ends at the event budget, or earlier at the byte or
           command budget: bounded memory and script time per step; and
           after each event while a refused step is narrowed down. */
        if (event->sequence <= state->single_until ||
            sp_consumer_batch_events (self->batch) >= self->settings.batch ||
            sp_consumer_batch_bytes (self->batch) >= self->settings.step_bytes ||
            sp_consumer_batch_commands (self->batch) >= SP_CONSUMER_STEP_COMMANDS) {
            if (sp_consumer_step_commit (self, catching_up) != 0)
                break;
            sp_consumer_batch_reset (self->batch, partition, state->checkpoint);
        }
        if (index + 1 == count)
            sp_consumer_step_commit (self, catching_up);
    }
    return state->checkpoint >= start ? (size_t) (state->checkpoint - start) : 0;
}

/* s_apply_run with a fresh view, dropped afterwards: a run that was not
   applied leaves nothing in it. */
static size_t
s_apply (sp_consumer_t *self, uint32_t partition, const sp_consumer_event_t *events, size_t count,
         bool catching_up)
{
    /* The run's fetch reads the partition's state: its parked step and
       its step in flight must have been applied first. */
    if (sp_consumer_step_settle_partition (self, partition) != 0)
        return 0;
    sp_consumer_view_reset (self->view, partition);
    size_t applied = s_apply_run (self, partition, events, count, catching_up);
    sp_consumer_view_reset (self->view, partition);
    return applied;
}

/* ---------------------------------------------------------------- catch-up */

/* What a fenced step of a partition's start (reset, restamp) did: 0 when
   applied; otherwise the partition was lost (fenced) or waits
   retry_delay_ms, and -1. */
static int
s_start_step (sp_consumer_t *self, uint32_t partition, const char *what,
              sp_consumer_store_result_t result, const char *error)
{
    if (result == SP_CONSUMER_STORE_APPLIED)
        return 0;
    if (result == SP_CONSUMER_STORE_FENCED)
        sp_lease_lost (self->lease, partition);
    else {
        sp_log_warn ("could not prepare partition", "partition=%" PRIu32 " step=%s error=\"%s\"",
                     partition, what, error);
        self->partitions[partition].not_before_ms = zclock_mono () + self->settings.retry_delay_ms;
    }
    return -1;
}

/* Reads the partition's Redis state; resets it when it is not valid. */
static void
s_start_partition (sp_consumer_t *self, uint32_t partition)
{
    sp_consumer_partition_t *state = &self->partitions[partition];
    if (sp_consumer_step_settle_partition (self, partition) != 0)
        return; /* back to STARTING, after the retry delay */
    char error[ERROR_SIZE];
    sp_consumer_store_state_t stored;
    if (sp_consumer_store_read (self->store, self->redis, partition, &stored, error,
                                sizeof error) != 0) {
        sp_log_warn ("could not read partition state", "partition=%" PRIu32 " error=\"%s\"",
                     partition, error);
        state->not_before_ms = zclock_mono () + self->settings.retry_delay_ms;
        return;
    }
    sp_consumer_store_judgement_t judgement =
        sp_consumer_store_judge (&stored, self->revision, self->rebuild_revision);
    if (judgement == SP_CONSUMER_STORE_BEHIND) {
        /* Another instance already built this state under newer
           definitions: take them first, then come back. */
        sp_log_info ("partition built under newer definitions: waiting for them",
                     "partition=%" PRIu32 " stored_revision=%" PRId64 " revision=%" PRId64,
                     partition, stored.revision, self->revision);
        if (self->behind)
            self->behind (self->behind_arg, stored.revision);
        state->not_before_ms = zclock_mono () + self->settings.retry_delay_ms;
        return;
    }
    if (judgement == SP_CONSUMER_STORE_RESTAMP) {
        if (s_start_step (self, partition, "stamp",
                          sp_consumer_store_restamp (self->store, self->redis, partition,
                                                     state->token, error, sizeof error),
                          error) != 0)
            return;
        sp_log_info ("partition goes on under new definitions",
                     "partition=%" PRIu32 " stored_revision=%" PRId64 " revision=%" PRId64,
                     partition, stored.revision, self->revision);
    }
    if (judgement == SP_CONSUMER_STORE_RESET) {
        sp_log_info ("rebuilding partition from the event log",
                     "partition=%" PRIu32 " checkpoint_present=%s epoch=%" PRId64
                     " requested_epoch=%" PRId64 " stored_revision=%" PRId64 " revision=%" PRId64,
                     partition, stored.has_checkpoint ? "true" : "false", stored.epoch,
                     stored.rebuild, stored.revision, self->revision);
        if (s_start_step (self, partition, "reset",
                          sp_consumer_store_reset (self->store, self->redis, partition,
                                                   state->token, stored.rebuild, error,
                                                   sizeof error),
                          error) != 0)
            return;
        stored.checkpoint = 0;
    }
    state->checkpoint = stored.checkpoint;
    state->state = SP_CONSUMER_PARTITION_CATCHING_UP;
    state->not_before_ms = 0;
    sp_consumer_publish_partition (self, partition);
}

/* One catch-up read and its apply. */
static void
s_catch_up (sp_consumer_t *self, uint32_t partition)
{
    sp_consumer_partition_t *state = &self->partitions[partition];
    sp_consumer_log_read_t read = { NULL, 0 };
    char error[ERROR_SIZE];
    if (sp_consumer_source_read (self->source, partition, state->checkpoint, self->settings.batch,
                                 self->heads[partition], &read, error, sizeof error) != 0) {
        sp_log_warn ("could not read the event log", "partition=%" PRIu32 " error=\"%s\"",
                     partition, error);
        state->not_before_ms = zclock_mono () + self->settings.retry_delay_ms;
        return;
    }
    for (size_t index = 0; index < read.count; index++) {
        const sp_consumer_log_event_t *row = &read.events[index];
        self->events[index] = (sp_consumer_event_t){
            .partition = partition,
            .sequence = row->sequence,
            .ingested_at = row->ingested_at,
            .event_id = row->event_id,
            .event = row->event,
        };
    }
    size_t applied = s_apply (self, partition, self->events, read.count, true);
    if (applied == read.count && read.count < self->settings.batch &&
        state->state == SP_CONSUMER_PARTITION_CATCHING_UP) {
        state->state = SP_CONSUMER_PARTITION_LIVE;
        sp_log_debug ("partition live", "partition=%" PRIu32 " checkpoint=%" PRIu64, partition,
                      state->checkpoint);
    }
    sp_consumer_log_read_clear (&read);
    sp_consumer_publish_partition (self, partition);
}

static int
s_on_work (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    sp_consumer_t *self = (sp_consumer_t *) arg;
    self->work_timer = -1;
    int64_t now = zclock_mono ();
    uint32_t partitions = self->settings.partitions;
    uint32_t next = (self->next_partition + 1) % partitions;
    for (uint32_t step = 0; step < partitions; step++) {
        uint32_t partition = (self->next_partition + step) % partitions;
        sp_consumer_partition_t *state = &self->partitions[partition];
        if (state->not_before_ms > now)
            continue;
        if (state->state == SP_CONSUMER_PARTITION_STARTING)
            s_start_partition (self, partition);
        if (state->state == SP_CONSUMER_PARTITION_CATCHING_UP && state->not_before_ms <= now)
            s_catch_up (self, partition);
        if (zclock_mono () - now >= WORK_BUDGET_MS) {
            /* Give the reactor back (bus, lease ticks); go on from here. */
            next = (partition + 1) % partitions;
            break;
        }
    }
    self->next_partition = next;
    sp_consumer_schedule_work (self);
    /* The last step goes out now, unless the next work step is due at
       once: then it goes out after that step's fetch, and Redis runs it
       while the handler works (see sp_consumer_steps.c). */
    if (!s_work_ready (self))
        sp_consumer_step_release (self, UINT32_MAX);
    return 0;
}

/* True when a partition that is starting or catching up may work now. */
static bool
s_work_ready (const sp_consumer_t *self)
{
    int64_t now = zclock_mono ();
    for (uint32_t partition = 0; partition < self->settings.partitions; partition++) {
        const sp_consumer_partition_t *state = &self->partitions[partition];
        if ((state->state == SP_CONSUMER_PARTITION_STARTING ||
             state->state == SP_CONSUMER_PARTITION_CATCHING_UP) &&
            state->not_before_ms <= now)
            return true;
    }
    return false;
}

/* Arms the work timer for the earliest partition that has work, if any
   and if it is not armed yet. */
void
sp_consumer_schedule_work (sp_consumer_t *self)
{
    if (self->work_timer != -1 || !self->loop)
        return;
    int64_t now = zclock_mono ();
    int64_t earliest = INT64_MAX;
    for (uint32_t partition = 0; partition < self->settings.partitions; partition++) {
        const sp_consumer_partition_t *state = &self->partitions[partition];
        if (state->state != SP_CONSUMER_PARTITION_STARTING &&
            state->state != SP_CONSUMER_PARTITION_CATCHING_UP)
            continue;
        if (state->not_before_ms < earliest)
            earliest = state->not_before_ms;
    }
    if (earliest == INT64_MAX)
        return;
    int64_t delay = earliest > now ? earliest - now : WORK_DELAY_MS;
    self->work_timer = zloop_timer (self->loop, (size_t) delay, 1, s_on_work, self);
}

/* ---------------------------------------------------------------- live */

/* Applies the envelopes of one partition, [first, end) of envelopes. */
static void
s_apply_live (sp_consumer_t *self, Salespulse__BusEnvelope *const *envelopes, size_t first,
              size_t end)
{
    uint32_t partition = envelopes[first]->partition;
    sp_consumer_partition_t *state = &self->partitions[partition];
    size_t count = 0;
    bool gap = false;
    for (size_t index = first; index < end && !gap; index++) {
        const Salespulse__BusEnvelope *envelope = envelopes[index];
        switch (sp_consumer_partition_live (state, envelope->sequence, count)) {
            case SP_CONSUMER_LIVE_APPLY:
                self->events[count++] = (sp_consumer_event_t){
                    .partition = partition,
                    .sequence = envelope->sequence,
                    .ingested_at = envelope->ingested_at,
                    .event_id = envelope->event->event_id,
                    .event = envelope->event,
                };
                break;
            case SP_CONSUMER_LIVE_GAP:
                sp_consumer_metrics_gap (self->metrics);
                sp_log_debug ("sequence gap: catching up",
                              "partition=%" PRIu32 " expected=%" PRIu64 " received=%" PRIu64,
                              partition, state->checkpoint + count + 1, envelope->sequence);
                gap = true;
                break;
            case SP_CONSUMER_LIVE_IGNORE:
            case SP_CONSUMER_LIVE_DROP:
                break;
        }
    }
    size_t applied = count ? s_apply (self, partition, self->events, count, false) : 0;
    if (gap && applied == count && state->state == SP_CONSUMER_PARTITION_LIVE) {
        state->state = SP_CONSUMER_PARTITION_CATCHING_UP;
        sp_consumer_schedule_work (self);
    }
}

/* The bus filter: only a live partition applies what the bus brings; a
   partition catching up reads the same events from the log, so its bus
   messages are dropped before they are unpacked. */
static bool
s_bus_wanted (void *arg, uint32_t partition)
{
    const sp_consumer_t *self = (const sp_consumer_t *) arg;
    return self->partitions[partition].state == SP_CONSUMER_PARTITION_LIVE;
}

static int
s_on_bus (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    (void) reader;
    sp_consumer_t *self = (sp_consumer_t *) arg;
    Salespulse__BusEnvelope *const *envelopes = NULL;
    size_t count = sp_consumer_bus_read (self->bus_reader, &envelopes);
    uint64_t malformed = sp_consumer_bus_malformed (self->bus_reader);
    if (malformed > self->malformed_seen) {
        sp_consumer_metrics_malformed (self->metrics, malformed - self->malformed_seen);
        self->malformed_seen = malformed;
    }
    uint64_t skipped = sp_consumer_bus_skipped (self->bus_reader);
    if (skipped > self->skipped_seen) {
        sp_consumer_metrics_skipped (self->metrics, skipped - self->skipped_seen);
        self->skipped_seen = skipped;
    }
    size_t first = 0;
    while (first < count) {
        size_t end = first + 1;
        while (end < count && envelopes[end]->partition == envelopes[first]->partition)
            end++;
        s_apply_live (self, envelopes, first, end);
        first = end;
    }
    /* the last step goes out (see sp_consumer_steps.c) */
    sp_consumer_step_release (self, UINT32_MAX);
    return 0;
}

/* ---------------------------------------------------------------- polls */

/* A raised rebuild epoch sends every owned partition back to STARTING,
   where its state is found stale and reset. */
static void
s_poll_rebuild (sp_consumer_t *self)
{
    char key[SP_CONSUMER_KEY_MAX];
    int length = sp_consumer_key_rebuild (key, sizeof key, self->service_name);
    assert (length > 0);
    (void) length;
    const char *argv[] = { "GET", key };
    char error[ERROR_SIZE];
    sp_redis_reply_t *reply = sp_redis_command (self->redis, 2, argv, NULL, error, sizeof error);
    if (!reply)
        return;
    int64_t epoch = 0;
    size_t text_length = 0;
    const char *text = sp_redis_reply_type (reply) == SP_REDIS_REPLY_STRING
                           ? sp_redis_reply_string (reply, &text_length)
                           : NULL;
    if (text && sp_consumer_key_parse_epoch (text, text_length, &epoch) != 0) {
        sp_log_warn ("rebuild request is not an epoch: ignored", "key=\"%s\"", key);
        epoch = self->rebuild_seen;
    }
    sp_redis_reply_destroy (&reply);
    if (epoch == self->rebuild_seen)
        return;
    self->rebuild_seen = epoch;
    for (uint32_t partition = 0; partition < self->settings.partitions; partition++) {
        sp_consumer_partition_t *state = &self->partitions[partition];
        if (state->state == SP_CONSUMER_PARTITION_IDLE)
            continue;
        state->state = SP_CONSUMER_PARTITION_STARTING;
        state->not_before_ms = 0;
    }
    sp_consumer_schedule_work (self);
}

static int
s_on_poll (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    sp_consumer_t *self = (sp_consumer_t *) arg;
    sp_consumer_step_settle (self, UINT32_MAX); /* a quiet consumer reads its last reply here */
    int64_t now = zclock_mono ();
    if (now > self->poll_at_ms) {
        self->applied_per_second = (double) (self->applied - self->applied_at_poll) *
                                   MS_PER_SECOND / (double) (now - self->poll_at_ms);
        sp_consumer_metrics_rate (self->metrics, self->applied_per_second);
    }
    self->applied_at_poll = self->applied;
    self->poll_at_ms = now;
    s_poll_rebuild (self);
    char error[ERROR_SIZE];
    if (sp_consumer_log_heads (self->pg, self->settings.partitions, self->heads, error,
                               sizeof error) != 0) {
        sp_log_warn ("could not read partition heads", "error=\"%s\"", error);
        return 0;
    }
    s_measure_orphans (self, now);
    for (uint32_t partition = 0; partition < self->settings.partitions; partition++) {
        sp_consumer_partition_t *state = &self->partitions[partition];
        if (sp_consumer_partition_poll (state, self->heads[partition])) {
            sp_log_debug ("partition behind its head: catching up",
                          "partition=%" PRIu32 " checkpoint=%" PRIu64 " head=%" PRIu64, partition,
                          state->checkpoint, state->head);
            state->state = SP_CONSUMER_PARTITION_CATCHING_UP;
            sp_consumer_schedule_work (self);
        }
        sp_consumer_publish_partition (self, partition);
    }
    return 0;
}

/* ---------------------------------------------------------------- life */

sp_consumer_t *
sp_consumer_new (sp_service_t *service, const sp_consumer_settings_t *settings,
                 const sp_consumer_handler_t *handler, char *error, size_t error_size)
{
    assert (service && settings && handler && handler->apply);
    if (sp_consumer_settings_check (settings, error, error_size) != 0)
        return NULL;
    sp_consumer_t *self = (sp_consumer_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->service = service;
    self->settings = *settings;
    snprintf (self->service_name, sizeof self->service_name, "%s", settings->service);
    self->settings.service = self->service_name;
    self->bus = strdup (settings->bus);
    self->settings.bus = self->bus;
    self->handler = *handler;
    self->pg = sp_service_pg (service);
    self->redis = sp_service_redis (service);
    self->lease_timer = self->poll_timer = self->work_timer = -1;
    self->started_at_ms = zclock_time ();
    self->poll_at_ms = zclock_mono ();
    self->partitions =
        (sp_consumer_partition_t *) calloc (settings->partitions, sizeof *self->partitions);
    self->heads = (uint64_t *) calloc (settings->partitions, sizeof *self->heads);
    self->orphan_lags = (uint64_t *) calloc (settings->partitions, sizeof *self->orphan_lags);
    self->state_reader = sp_consumer_state_new (self->service_name, settings->partitions);
    self->events = (sp_consumer_event_t *) calloc (settings->batch, sizeof *self->events);
    self->store = sp_consumer_store_new (self->service_name);
    for (size_t index = 0; index < sizeof self->batches / sizeof self->batches[0]; index++)
        self->batches[index] = sp_consumer_batch_new (self->service_name);
    self->batch = self->batches[0];
    self->view = sp_consumer_view_new (self->service_name);
    self->fetch = sp_redis_pipeline_new ();
    if (!self->bus || !self->partitions || !self->heads || !self->orphan_lags ||
        !self->state_reader || !self->events || !self->store ||
        !self->batches[0] || !self->batches[1] || !self->batches[2] || !self->view ||
        !self->fetch) {
        sp_error_set (error, error_size, "out of memory");
        goto out_destroy;
    }
    /* Steps are sent on a connection of their own, so the service's
       connection stays free for reads while a step runs (sp_consumer_step_commit). */
    self->apply_redis = sp_redis_new (sp_config_string (sp_service_config (service), "redis"), NULL,
                                      error, error_size);
    if (!self->apply_redis || sp_redis_connect (self->apply_redis, error, error_size) != 0)
        goto out_destroy;
    char instance[SP_LEASE_INSTANCE_MAX];
    sp_lease_instance_id (instance, sizeof instance);
    sp_lease_settings_t lease_settings = {
        .service = self->service_name,
        .instance = instance,
        .partitions = settings->partitions,
        .ttl_ms = settings->lease_ttl_ms,
        .change = s_lease_change,
        .change_arg = self,
    };
    self->lease = sp_lease_new (&lease_settings, error, error_size);
    if (!self->lease)
        goto out_destroy;
    self->metrics = sp_consumer_metrics_new (sp_service_metrics (service));
    if (!self->metrics) {
        sp_error_set (error, error_size, "could not register the consumer's metrics");
        goto out_destroy;
    }
    self->source =
        sp_consumer_source_new (self->pg, settings->postgres_read, self->service_name, self->metrics);
    if (!self->source) {
        sp_error_set (error, error_size, "could not use --postgres-read (a libpq URL is expected)");
        goto out_destroy;
    }
    self->settings.postgres_read = NULL; /* the configuration's string: used above only */
    for (uint32_t partition = 0; partition < settings->partitions; partition++)
        sp_consumer_publish_partition (self, partition);
    if (sp_consumer_store_load (self->store, self->redis, error, error_size) != 0 ||
        !(self->bus_reader =
              sp_consumer_bus_new (self->bus, settings->bus_hwm, settings->partitions,
                                   settings->batch, error, error_size)))
        goto out_destroy;
    sp_consumer_bus_set_filter (self->bus_reader, s_bus_wanted, self);
    self->loop = sp_service_loop (service);
    int64_t tick = sp_lease_tick_interval_ms (self->lease);
    if (zloop_reader (self->loop, sp_consumer_bus_socket (self->bus_reader), s_on_bus, self) != 0) {
        sp_error_set (error, error_size, "could not watch the bus socket");
        goto out_destroy;
    }
    self->lease_timer = zloop_timer (self->loop, (size_t) tick, 0, s_on_lease, self);
    self->poll_timer = zloop_timer (self->loop, (size_t) settings->poll_ms, 0, s_on_poll, self);
    if (self->lease_timer == -1 || self->poll_timer == -1) {
        sp_error_set (error, error_size, "could not add the consumer's timers");
        goto out_destroy;
    }
    sp_log_info ("consuming the event log",
                 "service=\"%s\" instance=\"%s\" bus=\"%s\" "
                 "partitions=%" PRIu32 " lease_ttl_ms=%" PRId64,
                 self->service_name, instance, self->bus, settings->partitions,
                 settings->lease_ttl_ms);
    sp_service_set_health (service, "partitions", NULL);
    s_on_lease (self->loop, self->lease_timer, self);
    return self;

out_destroy:
    sp_consumer_destroy (&self);
    return NULL;
}

void
sp_consumer_destroy (sp_consumer_t **self_p)
{
    assert (self_p);
    sp_consumer_t *self = *self_p;
    if (!self)
        return;
    if (self->loop) {
        zloop_reader_end (self->loop, sp_consumer_bus_socket (self->bus_reader));
        if (self->lease_timer != -1)
            zloop_timer_end (self->loop, self->lease_timer);
        if (self->poll_timer != -1)
            zloop_timer_end (self->loop, self->poll_timer);
        if (self->work_timer != -1)
            zloop_timer_end (self->loop, self->work_timer);
        self->loop = NULL;
    }
    /* every step is applied or refused before the leases go */
    sp_consumer_step_settle (self, UINT32_MAX);
    if (self->lease) {
        char error[ERROR_SIZE];
        if (sp_lease_release_all (self->lease, self->redis, error, sizeof error) != 0)
            sp_log_warn ("could not release partition leases", "error=\"%s\"", error);
        sp_lease_destroy (&self->lease);
    }
    sp_consumer_bus_destroy (&self->bus_reader);
    for (size_t index = 0; index < sizeof self->batches / sizeof self->batches[0]; index++)
        sp_consumer_batch_destroy (&self->batches[index]);
    self->batch = NULL;
    sp_redis_destroy (&self->apply_redis);
    sp_consumer_view_destroy (&self->view);
    sp_redis_pipeline_destroy (&self->fetch);
    sp_consumer_source_destroy (&self->source);
    sp_consumer_metrics_destroy (&self->metrics);
    sp_consumer_store_destroy (&self->store);
    json_decref (self->definitions);
    free (self->events);
    sp_consumer_state_destroy (&self->state_reader);
    free (self->orphan_lags);
    free (self->heads);
    free (self->partitions);
    free (self->bus);
    free (self);
    *self_p = NULL;
}

static void
s_stop (sp_service_t *service, void *arg)
{
    (void) service;
    sp_consumer_t *self = (sp_consumer_t *) arg;
    sp_consumer_destroy (&self);
}

int
sp_consumer_attach (sp_service_t *service, const sp_consumer_handler_t *handler)
{
    assert (service && handler);
    const sp_config_t *config = sp_service_config (service);
    sp_consumer_settings_t settings;
    sp_consumer_settings_from_config (config, sp_service_name (service), &settings);
    char error[ERROR_SIZE];
    sp_consumer_t *self = sp_consumer_new (service, &settings, handler, error, sizeof error);
    if (!self) {
        sp_log_error ("could not start consuming the event log", "error=\"%s\"", error);
        return -1;
    }
    sp_service_on_stop (service, s_stop, self);
    return 0;
}

uint32_t
sp_consumer_owned_count (const sp_consumer_t *self)
{
    assert (self);
    return sp_lease_owned_count (self->lease);
}

uint64_t
sp_consumer_applied (const sp_consumer_t *self)
{
    assert (self);
    return self->applied;
}

void
sp_consumer_revise (sp_consumer_t *self, int64_t revision, int64_t rebuild_revision,
                    const sp_consumer_handler_t *handler, json_t *definitions)
{
    assert (self && revision >= 0 && rebuild_revision <= revision);
    assert (!handler || handler->apply);
    /* the steps parked and in flight were built by the old handler */
    sp_consumer_step_settle (self, UINT32_MAX);
    if (handler)
        self->handler = *handler;
    if (definitions) {
        json_decref (self->definitions);
        self->definitions = definitions;
    }
    if (revision == self->revision && rebuild_revision == self->rebuild_revision) {
        if (definitions && self->loop)
            s_on_lease (self->loop, self->lease_timer, self); /* status says it now */
        return;
    }
    sp_log_info ("applying under new definitions",
                 "revision=%" PRId64 " previous=%" PRId64 " rebuild_revision=%" PRId64, revision,
                 self->revision, rebuild_revision);
    self->revision = revision;
    self->rebuild_revision = rebuild_revision;
    sp_consumer_store_set_revision (self->store, revision);
    /* Every owned partition reads its state again: stamped before the
       change, it is reset or restamped before its next event. */
    for (uint32_t partition = 0; partition < self->settings.partitions; partition++) {
        sp_consumer_partition_t *state = &self->partitions[partition];
        if (state->state == SP_CONSUMER_PARTITION_IDLE)
            continue;
        state->state = SP_CONSUMER_PARTITION_STARTING;
        state->not_before_ms = 0;
        sp_consumer_publish_partition (self, partition);
    }
    sp_consumer_schedule_work (self);
    /* The status tools read (salesctl status, definitions) says it now,
       not at the next lease tick. */
    if (self->loop)
        s_on_lease (self->loop, self->lease_timer, self);
}

void
sp_consumer_on_behind (sp_consumer_t *self, sp_consumer_behind_fn *behind, void *arg)
{
    assert (self);
    self->behind = behind;
    self->behind_arg = arg;
}

int64_t
sp_consumer_revision (const sp_consumer_t *self)
{
    assert (self);
    return self->revision;
}
