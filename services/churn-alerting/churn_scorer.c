/*  churn_scorer - periodic scoring and churn alerts (see churn_scorer.h):
    the clocks, the evaluation of the settled partitions (those with a day
    close pending first), day closes and the scorer's life. The scoring of
    one partition (its customers read, decided and written in batches, and
    their alerts published) is in churn_scorer_batch.c; what the two share
    is in churn_scorer_internal.h. */
#include "churn_scorer_internal.h"

#include <assert.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "churn_alert.h"
#include "churn_alert_store.h"
#include "churn_keys.h"
#include "churn_known.h"
#include "churn_rules.h"
#include "sp_civil.h"
#include "sp_error.h"
#include "sp_log.h"
#include "sp_notifier.h"
#include "sp_period.h"
#include "sp_redis_pipeline.h"

#define S_MS_PER_SECOND INT64_C (1000)
#define S_NS_PER_MS 1000000
#define S_US_PER_MS 1000.0
#define S_TRIGGER_DELAY_MS 1   /* a day close is scored at the reactor's next turn */
#define S_TRIGGER_RETRY_MS 2   /* ... again while its watermark is not read yet ... */
#define S_TRIGGER_ATTEMPTS 50  /* ... at most this often (then the timer scores it) */
#define S_TRIGGER_CHECK_MS 100 /* a day close's own settled checks at most this often */
#define S_FULL_PASS_MS 60000   /* every partition scanned at least this often */
#define S_ADDED_SETTLE_MS 1000 /* a new customer's partition scanned until this long after */

/* ---------------------------------------------------------------- periods */

int64_t
churn_scorer_period_end (int64_t day, int64_t period_days)
{
    assert (day >= 0 && period_days >= 1);
    return day + (period_days - 1 - day % period_days);
}

int64_t
churn_scorer_periods (bool scored, int64_t last_day, int64_t first_day, int64_t clock,
                      int64_t period_days, int64_t *from)
{
    assert (period_days >= 1 && from);
    int64_t start = scored ? last_day + 1 : first_day;
    if (start < 0 || clock < 0)
        return 0;
    int64_t first = churn_scorer_period_end (start, period_days);
    int64_t last = churn_scorer_period_end (clock, period_days);
    if (last > clock)
        last -= period_days;
    if (first > last)
        return 0;
    int64_t count = (last - first) / period_days + 1;
    if (count > CHURN_SCORER_CATCH_UP_PERIODS) {
        first += (count - CHURN_SCORER_CATCH_UP_PERIODS) * period_days;
        count = CHURN_SCORER_CATCH_UP_PERIODS;
    }
    *from = first;
    return count;
}

/* ---------------------------------------------------------------- scoring */

/* A reply's bytes, or NULL when it is not a string (a missing key). */
const char *
churn_scorer_internal_string (const sp_redis_reply_t *reply, size_t *length)
{
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_STRING)
        return NULL;
    return sp_redis_reply_string (reply, length);
}

/* Every partition's clock, the last day that may be scored, into
   clocks[p] (CHURN_SCORER_INTERNAL_NONE when there is none yet: no
   watermark), the watermarks read in one round trip. Returns 0, or -1 with the reason. */
static int
s_clocks (churn_scorer_t *self, int64_t *clocks, char *error, size_t error_size)
{
    int64_t today;
    if (!self->event_clock) {
        if (self->fixed)
            today = self->fixed_day;
        else {
            struct timespec now;
            clock_gettime (CLOCK_REALTIME, &now);
            int64_t now_ms = (int64_t) now.tv_sec * S_MS_PER_SECOND + now.tv_nsec / S_NS_PER_MS;
            if (sp_period_local_day (self->tz, now_ms, &today) != 0) {
                sp_error_set (error, error_size, "the wall clock has no local day");
                return -1;
            }
        }
        for (uint32_t partition = 0; partition < self->partitions; partition++)
            clocks[partition] = today - 1;
        return 0;
    }
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        char key[SP_PARTITION_KEY_MAX];
        if (churn_keys_watermark (key, sizeof key, partition) < 0 ||
            sp_redis_pipeline_append (self->pipeline, 2, (const char *[]){ "GET", key }, NULL) !=
                0) {
            sp_redis_pipeline_reset (self->pipeline);
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
    }
    sp_redis_reply_t *reply = sp_redis_execute (self->redis, self->pipeline, error, error_size);
    sp_redis_pipeline_reset (self->pipeline);
    if (!reply)
        return -1;
    int rc = 0;
    for (uint32_t partition = 0; partition < self->partitions && rc == 0; partition++) {
        size_t length = 0;
        const char *text =
            churn_scorer_internal_string (sp_redis_reply_element (reply, partition), &length);
        int64_t watermark_ms = 0;
        clocks[partition] = CHURN_SCORER_INTERNAL_NONE;
        if (!text)
            continue;
        if (churn_keys_watermark_read (text, length, &watermark_ms) != 0 ||
            sp_period_local_day (self->tz, watermark_ms, &today) != 0) {
            sp_error_set (error, error_size,
                          "the watermark of partition %" PRIu32 " holds no event time", partition);
            rc = -1;
        }
        else
            clocks[partition] = today - 1;
    }
    sp_redis_reply_destroy (&reply);
    return rc;
}

/* True when the pass should end now (the service stops): between
   transactions only, so what was committed is published. */
bool
churn_scorer_internal_stopping (churn_scorer_t *self)
{
    if (self->stopping && atomic_load (self->stopping))
        self->interrupted = true;
    return self->interrupted;
}

/* The same, or a day close waits to be scored (waiting): for the points
   of a pass where every alert it decided is out, so the waiting day
   close's alert does not wait for the writes of customers without one
   (a day close's are resumed after it, s_evaluate; the timer's wait for
   the next timer). */
bool
churn_scorer_internal_yielding (churn_scorer_t *self)
{
    if (self->waiting && atomic_load (self->waiting))
        self->interrupted = true;
    return churn_scorer_internal_stopping (self);
}

/* A day close pending at partition is done once its alerts up to clock
   are out and clock reached the day before it. */
static void
s_day_done (churn_scorer_t *self, uint32_t partition, int64_t clock)
{
    if (self->pending[partition] == CHURN_SCORER_INTERNAL_NONE ||
        clock < self->pending[partition] - 1)
        return;
    const churn_scorer_internal_close_t *close = &self->closes[partition];
    if (sp_log_enabled (SP_LOG_DEBUG) && close->told_us) {
        int64_t now = zclock_usecs ();
        /* ms after the event was applied; -1: did not happen */
        double woken = (double) (close->woken_us - close->told_us) / S_US_PER_MS;
        double scan =
            close->scan_us ? (double) (close->scan_us - close->told_us) / S_US_PER_MS : -1;
        double write =
            close->write_us ? (double) (close->write_us - close->told_us) / S_US_PER_MS : -1;
        double alert =
            close->alert_us ? (double) (close->alert_us - close->told_us) / S_US_PER_MS : -1;
        sp_log_debug ("day close scored",
                      "partition=%" PRIu32 " day=%" PRId64 " told_us=%" PRId64
                      " woken_ms=%.1f scan_ms=%.1f write_ms=%.1f first_alert_ms=%.1f done_ms=%.1f "
                      "alerts=%d known=%zu read=%zu",
                      partition, self->pending[partition], close->told_us, woken, scan, write,
                      alert, (double) (now - close->told_us) / S_US_PER_MS, close->alerts,
                      close->known, close->read);
    }
    self->closes[partition] = (churn_scorer_internal_close_t){ 0 };
    self->pending[partition] = CHURN_SCORER_INTERNAL_NONE;
}

/* Scores partition up to clock when it is settled and something may be
   behind: its clock moved since it was last scored in full, or it is
   marked (a new customer, a customer not written or not read, a failed
   scoring, a new model), or full (a periodic pass over every partition).
   A day close pending there is done once the clock reached the day
   before it. */
static int
s_evaluate_partition (churn_scorer_t *self, uint32_t partition, const bool *settled, int64_t clock,
                      bool full, int *published, char *error, size_t error_size)
{
    if (!settled[partition] || clock == CHURN_SCORER_INTERNAL_NONE ||
        churn_scorer_internal_yielding (self))
        return 0;
    int64_t now = zclock_mono ();
    if (atomic_exchange (&self->added[partition], false)) {
        self->marked[partition] = true;
        self->added_at[partition] = now;
    }
    if (full || self->marked[partition] || self->scored[partition] != clock) {
        /* a new customer is told of while its step is applied, maybe before
           it reads: its partition is scanned again until a scan starts a
           while after */
        bool held = self->added_at[partition] != CHURN_SCORER_INTERNAL_NONE &&
                    now - self->added_at[partition] < S_ADDED_SETTLE_MS;
        if (!held)
            self->added_at[partition] = CHURN_SCORER_INTERNAL_NONE;
        self->marked[partition] = held;
        self->yielded[partition] = false;
        if (churn_scorer_internal_score_partition (self, partition, clock, published, error,
                                                   error_size) != 0) {
            self->marked[partition] = true;
            return -1;
        }
        if (self->interrupted) {
            /* not scored in full: a day close pending here is resumed after
               the one waiting (s_evaluate), the rest at the next timer */
            self->marked[partition] = true;
            self->yielded[partition] = true;
            return 0;
        }
        self->scored[partition] = clock;
    }
    s_day_done (self, partition, clock);
    return 0;
}

/* sp_notifier_evaluate_each_fn: scores the settled partitions, those with
   a day close pending first; a day close's evaluation scores only those.
   The alerts firing are counted again after alerts were published, and
   at each full pass. */
static int
s_evaluate (void *arg, const bool *settled, size_t *firing, char *error, size_t error_size)
{
    churn_scorer_t *self = (churn_scorer_t *) arg;
    int published = 0;
    self->interrupted = false;
    if (s_clocks (self, self->clocks, error, error_size) != 0)
        return -1;
    int64_t now = zclock_mono ();
    bool full = !self->triggered && now - self->full_at >= S_FULL_PASS_MS;
    /* the day closes pending, those that gave way to another last */
    for (int resumed = 0; resumed <= 1; resumed++)
        for (uint32_t partition = 0; partition < self->partitions; partition++)
            if (self->pending[partition] != CHURN_SCORER_INTERNAL_NONE &&
                self->yielded[partition] == (resumed == 1) &&
                s_evaluate_partition (self, partition, settled, self->clocks[partition], full,
                                      &published, error, error_size) != 0)
                return -1;
    for (uint32_t partition = 0; !self->triggered && partition < self->partitions; partition++)
        if (self->pending[partition] == CHURN_SCORER_INTERNAL_NONE &&
            s_evaluate_partition (self, partition, settled, self->clocks[partition], full,
                                  &published, error, error_size) != 0)
            return -1;
    if (full && !self->interrupted)
        self->full_at = now;
    if (published > 0 || full || self->firing < 0) {
        int64_t count = 0;
        if (churn_alert_store_firing_count (self->pg, &count, error, error_size) != 0)
            return -1;
        self->firing = count;
    }
    *firing = (size_t) self->firing;
    return published;
}

/* ---------------------------------------------------------------- day closes */

static int s_on_trigger (zloop_t *loop, int timer_id, void *arg);

/* Arms the day close's evaluation in delay_ms, unless it is armed. */
static void
s_arm (churn_scorer_t *self, size_t delay_ms)
{
    if (self->trigger != -1 || !self->loop)
        return;
    self->trigger = zloop_timer (self->loop, delay_ms, 1, s_on_trigger, self);
    /* -1 (out of memory): the scoring timer scores it */
}

/* The day close's evaluation of the partitions with a day close
   pending, at once: its partition is ready to be judged up to the day
   before the new one, settled or not at the last check, since the event
   that closed the day and every event before it in the partition are
   applied (one step per partition, the watermark with them; the events
   behind it, if any, came later: a late event counts from the next
   period on, as for the timer). Nothing is scored, as for the timer,
   before every partition was settled at one check since the start or a
   new model (sp_notifier_evaluate_ready): while no partition was settled
   at the last check that may be so, and a settled check is made, at most
   every S_TRIGGER_CHECK_MS. Retried shortly while a pending day is not
   scored (its new watermark not read yet: the step that moved it goes to
   Redis on the consumer's own connection), at most S_TRIGGER_ATTEMPTS
   times, then left to the scoring timer. */
static int
s_on_trigger (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    churn_scorer_t *self = (churn_scorer_t *) arg;
    self->trigger = -1;
    /* some partition settled at the last check: every partition was
       settled at one, so partitions are judged on their own */
    bool judged = false;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        self->ready[partition] = self->pending[partition] != CHURN_SCORER_INTERNAL_NONE;
        judged = judged || sp_notifier_partition_settled (self->notifier, partition);
    }
    int64_t now = zclock_mono ();
    self->triggered = true;
    if (judged)
        sp_notifier_evaluate_ready (self->notifier, self->ready);
    else if (now - self->checked_at >= S_TRIGGER_CHECK_MS) {
        self->checked_at = now;
        sp_notifier_evaluate (self->notifier);
    }
    self->triggered = false;
    bool left = false;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        left = left || self->pending[partition] != CHURN_SCORER_INTERNAL_NONE;
    if (left && ++self->trigger_attempts < S_TRIGGER_ATTEMPTS)
        s_arm (self, judged ? S_TRIGGER_RETRY_MS : S_TRIGGER_CHECK_MS);
    else {
        /* the timer scores what is left, once its clock moved and settled */
        self->trigger_attempts = 0;
        for (uint32_t partition = 0; partition < self->partitions; partition++)
            self->pending[partition] = CHURN_SCORER_INTERNAL_NONE;
    }
    return 0;
}

void
churn_scorer_customer_added (churn_scorer_t *self, uint32_t partition)
{
    assert (self && partition < self->partitions);
    atomic_store (&self->added[partition], true);
}

void
churn_scorer_day_closed (churn_scorer_t *self, uint32_t partition, int64_t day, int64_t told_us)
{
    assert (self && partition < self->partitions);
    if (!self->event_clock)
        return; /* the wall clock's days do not follow the events */
    if (self->pending[partition] == CHURN_SCORER_INTERNAL_NONE)
        self->closes[partition] =
            (churn_scorer_internal_close_t){ .told_us = told_us, .woken_us = zclock_usecs () };
    if (self->pending[partition] == CHURN_SCORER_INTERNAL_NONE || self->pending[partition] < day)
        self->pending[partition] = day;
    self->trigger_attempts = 0;
    s_arm (self, S_TRIGGER_DELAY_MS);
}

/* ---------------------------------------------------------------- life */

void
churn_scorer_set_reference (churn_scorer_t *self, const churn_reference_t *reference)
{
    assert (self && reference);
    self->reference = reference;
    const char *rules = churn_model_rules_json (churn_reference_model (reference));
    char error[CHURN_SCORER_INTERNAL_ERROR_SIZE] = "";
    churn_rules_settings_default (&self->settings);
    /* the model's reader refused what the rules' reader refuses */
    if (rules && churn_rules_settings_read (&self->settings, rules, strlen (rules), error,
                                            sizeof error) != 0)
        sp_log_warn ("the model's rules do not read: using the defaults", "error=\"%s\"", error);
    sp_notifier_set_revision (self->notifier, churn_reference_revision (reference));
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        self->marked[partition] = true;
}

churn_scorer_t *
churn_scorer_new (sp_service_t *service, sp_pg_t *pg, sp_redis_t *redis, zloop_t *loop,
                  uint32_t partitions, const churn_reference_t *reference,
                  const atomic_bool *stopping, const atomic_bool *waiting, char *error,
                  size_t error_size)
{
    assert (service && pg && redis && loop && partitions >= 1 && reference);
    const sp_config_t *config = sp_service_config (service);
    churn_scorer_t *self = (churn_scorer_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->service = service;
    self->pg = pg;
    self->redis = redis;
    self->stopping = stopping;
    self->waiting = waiting;
    self->partitions = partitions;
    self->tz = sp_service_time_zone (service);
    self->trigger = -1;
    self->firing = -1;
    self->full_at = INT64_MIN / 2; /* the first evaluation scans every partition */
    self->pending = calloc (partitions, sizeof *self->pending);
    self->scored = calloc (partitions, sizeof *self->scored);
    self->marked = calloc (partitions, sizeof *self->marked);
    self->clocks = calloc (partitions, sizeof *self->clocks);
    self->added = calloc (partitions, sizeof *self->added);
    self->added_at = calloc (partitions, sizeof *self->added_at);
    self->yielded = calloc (partitions, sizeof *self->yielded);
    self->ready = calloc (partitions, sizeof *self->ready);
    self->pipeline = sp_redis_pipeline_new ();
    self->known = churn_known_new (CHURN_SCORER_KNOWN_MAX);
    self->closes = calloc (partitions, sizeof *self->closes);
    if (!self->closes || !self->pending || !self->scored || !self->marked || !self->clocks ||
        !self->added || !self->added_at || !self->yielded || !self->ready || !self->pipeline ||
        !self->known) {
        sp_error_set (error, error_size, "out of memory");
        goto out_destroy;
    }
    for (uint32_t partition = 0; partition < partitions; partition++) {
        self->pending[partition] = CHURN_SCORER_INTERNAL_NONE;
        self->scored[partition] = CHURN_SCORER_INTERNAL_NONE;
        self->marked[partition] = true;
        atomic_init (&self->added[partition], false);
        self->added_at[partition] = CHURN_SCORER_INTERNAL_NONE;
    }
    const char *clock = sp_config_string (config, "clock");
    const char *as_of = sp_config_string (config, "as-of");
    char quoted[64];
    if (clock && strcmp (clock, "event") == 0)
        self->event_clock = true;
    else if (!clock || strcmp (clock, "wall") != 0) {
        sp_error_quote (clock ? clock : "", quoted, sizeof quoted);
        sp_error_set (error, error_size, "invalid --clock \"%s\": use event or wall", quoted);
        goto out_destroy;
    }
    if (as_of && *as_of) {
        sp_error_quote (as_of, quoted, sizeof quoted);
        if (self->event_clock) {
            sp_error_set (error, error_size, "--as-of \"%s\" needs --clock wall", quoted);
            goto out_destroy;
        }
        if (churn_alert_day_parse (as_of, &self->fixed_day) != 0) {
            sp_error_set (error, error_size, "invalid --as-of \"%s\": use a date YYYY-MM-DD",
                          quoted);
            goto out_destroy;
        }
        self->fixed = true;
    }
    sp_notifier_spec_t spec = {
        .stream = CHURN_ALERT_STORE_STREAM,
        .consumer = CHURN_KEYS_SERVICE,
        .option = "alerts",
        .noun = "alert",
        .nouns = "alerts",
        .kind = "churn alert",
        .kinds = "churn alerts",
        .published_metric = "salespulse_churn_alerts_published_total",
        .published_help = "churn alerts published, by state",
        .evaluations_metric = "salespulse_churn_scorings_total",
        .evaluations_help = "scorings of every customer up to the clock",
        .errors_metric = "salespulse_churn_scoring_errors_total",
        .deferred_metric = "salespulse_churn_scorings_deferred_total",
        .firing_metric = "salespulse_churn_alerts_firing",
        .evaluate_each = s_evaluate,
        .arg = self,
    };
    int64_t interval_ms = sp_config_int (config, "scoring-interval-ms");
    self->notifier = sp_notifier_new_on (service, pg, redis, loop, &spec, partitions, interval_ms,
                                         sp_config_string (config, "alerts"), CHURN_SCORER_SEND_HWM,
                                         error, error_size);
    if (!self->notifier)
        goto out_destroy;
    self->loop = loop;
    churn_scorer_set_reference (self, reference);
    sp_log_info ("publishing churn alerts",
                 "endpoint=\"%s\" interval_ms=%" PRId64 " clock=%s as_of=\"%s\"",
                 sp_notifier_endpoint (self->notifier), interval_ms,
                 self->event_clock ? "event" : "wall", self->fixed ? as_of : "now");
    return self;

out_destroy:
    churn_scorer_destroy (&self);
    return NULL;
}

void
churn_scorer_destroy (churn_scorer_t **self_p)
{
    assert (self_p);
    churn_scorer_t *self = *self_p;
    if (!self)
        return;
    if (self->loop && self->trigger != -1)
        zloop_timer_end (self->loop, self->trigger);
    sp_notifier_destroy (&self->notifier);
    sp_redis_pipeline_destroy (&self->pipeline);
    churn_known_destroy (&self->known);
    free (self->closes);
    free (self->yielded);
    free (self->ready);
    free (self->added_at);
    free (self->added);
    free (self->clocks);
    free (self->marked);
    free (self->scored);
    free (self->pending);
    free (self);
    *self_p = NULL;
}

int
churn_scorer_evaluate (churn_scorer_t *self)
{
    assert (self);
    return sp_notifier_evaluate (self->notifier);
}

const char *
churn_scorer_endpoint (churn_scorer_t *self)
{
    assert (self);
    return sp_notifier_endpoint (self->notifier);
}
