/*  churn_scorer - periodic scoring and churn alerts (see churn_scorer.h). */
#include "churn_scorer.h"

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
#include "churn_decision.h"
#include "churn_history.h"
#include "churn_keys.h"
#include "churn_known.h"
#include "churn_lifecycle.h"
#include "churn_population.h"
#include "churn_query.h"
#include "churn_rules.h"
#include "churn_score.h"
#include "sp_civil.h"
#include "sp_error.h"
#include "sp_log.h"
#include "sp_notifier.h"
#include "sp_period.h"
#include "sp_redis_pipeline.h"

#define S_ERROR_SIZE 512
#define S_MS_PER_SECOND INT64_C (1000)
#define S_NS_PER_MS 1000000
#define S_US_PER_MS 1000.0
#define S_NONE INT64_MIN       /* no day close pending */
#define S_TRIGGER_DELAY_MS 1   /* a day close is scored at the reactor's next turn */
#define S_TRIGGER_RETRY_MS 2   /* ... again while its watermark is not read yet ... */
#define S_TRIGGER_ATTEMPTS 50  /* ... at most this often (then the timer scores it) */
#define S_TRIGGER_CHECK_MS 100 /* a day close's own settled checks at most this often */
#define S_FULL_PASS_MS 60000   /* every partition scanned at least this often */
#define S_ADDED_SETTLE_MS 1000 /* a new customer's partition scanned until this long after */

/* Where a day close's time went, for its debug log (s_day_done): times
   are CLOCK_MONOTONIC microseconds (zclock_usecs), as other processes on
   the host read them (the benchmark's trigger times). */
typedef struct {
    int64_t told_us;  /* the handler applied the event that closed the day, 0: no close */
    int64_t woken_us; /* the scorer's thread took it */
    int64_t scan_us;  /* its partition's scan started, 0: not yet */
    int64_t write_us; /* its pass's first write began (what came before: deciding), 0: none */
    int64_t alert_us; /* its pass published its first alert, 0: none yet */
    size_t known;     /* customers whose stored state it knew (churn_known) */
    size_t read;      /* customers whose stored state it read from postgresql */
    int alerts;       /* alerts published */
} s_close_t;

struct _churn_scorer_t {
    sp_service_t *service;              /* borrowed: the service this runs in */
    sp_pg_t *pg;                        /* borrowed: the scorer's own connection */
    sp_redis_t *redis;                  /* borrowed: the scorer's own Redis connection */
    const atomic_bool *stopping;        /* borrowed: set when the pass should end, or NULL */
    const atomic_bool *waiting;         /* borrowed: set while a day close waits, or NULL */
    bool interrupted;                   /* this evaluation ended early (stopping) */
    uint32_t partitions;                /* partition count P */
    const sp_tz_t *tz;                  /* borrowed: the service's time zone */
    bool event_clock;                   /* --clock event */
    bool fixed;                         /* --as-of given */
    int64_t fixed_day;                  /* --as-of's day (stands for today) */
    const churn_reference_t *reference; /* borrowed: the model in force */
    churn_rules_settings_t settings;    /* its rules */
    sp_notifier_t *notifier;            /* timer, settled check, outbox, metrics */
    zloop_t *loop;                      /* borrowed: the scorer thread's reactor */
    int trigger;                        /* the day-close evaluation's timer, -1 when not armed */
    int trigger_attempts;               /* evaluations since a day close without its clock */
    bool triggered;                     /* this evaluation is a day close's: pending only */
    int64_t checked_at;                 /* when a day close last made a settled check, mono ms */
    int64_t *pending;                   /* [partitions]: the latest day a watermark entered and
                                           not scored yet, S_NONE when none */
    int64_t *scored;                    /* [partitions]: the clock last scored in full, S_NONE */
    bool *marked;                       /* [partitions]: may hold customers behind that clock */
    atomic_bool *added;                 /* [partitions]: a new customer (any thread sets it) */
    bool *yielded;                      /* [partitions]: its pass gave way to a day close */
    int64_t *added_at;                  /* [partitions]: when added was last taken, mono ms,
                                           S_NONE: not since the partition was scanned after */
    int64_t *clocks;                    /* [partitions]: scratch, the clocks read */
    int64_t full_at;                    /* when every partition was last scanned, mono ms */
    int64_t firing;                     /* alerts firing at the last count, -1: not counted */
    sp_redis_pipeline_t *pipeline;      /* the watermarks' round trip, reused */
    churn_known_t *known;               /* the states this scorer last wrote */
    s_close_t *closes;                  /* [partitions]: the day close pending's timings */
};

/* One partition's scoring: its population's typical interval, read when
   a customer first needs it. */
typedef struct {
    uint32_t partition;             /* the partition */
    churn_population_t *population; /* NULL until read (churn_query_population) */
} s_partition_t;

/* What the score function of a decision needs (churn_decision_score_fn). */
typedef struct {
    churn_scorer_t *self; /* the scorer */
    s_partition_t *scope; /* the partition scored */
} s_score_arg_t;

/* One batch being scored: per customer of the MGET (count of them). */
typedef struct {
    const char **ids;                      /* [count] borrowed: those to read, in order */
    int64_t *revisions;                    /* [count] their rows' revisions at the scan, 0: none */
    churn_customer_t **customers;          /* [count] owned: their records */
    churn_alert_store_customer_t *befores; /* [count] their stored state */
    churn_decision_t *decisions;           /* [count] what scoring them decided */
    churn_alert_store_write_t *writes;     /* [count] what to store */
    size_t count;                          /* customers read (ids, customers) */
    size_t missing;                        /* customers without a record any more */
    size_t read;                           /* customers whose stored state was read */
    size_t decided;                        /* decisions made (writes) */
} s_batch_t;

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
static const char *
s_string (const sp_redis_reply_t *reply, size_t *length)
{
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_STRING)
        return NULL;
    return sp_redis_reply_string (reply, length);
}

/* Every partition's clock, the last day that may be scored, into
   clocks[p] (S_NONE when there is none yet: no watermark), the
   watermarks read in one round trip. Returns 0, or -1 with the reason. */
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
        const char *text = s_string (sp_redis_reply_element (reply, partition), &length);
        int64_t watermark_ms = 0;
        clocks[partition] = S_NONE;
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

/* Scores customer as of day with its tier and, when it has no interval
   of its own, the population's (churn_population_score; the population
   read when a customer first needs it, once per partition and scoring).
   A churn_decision_score_fn. */
static int
s_score_day (void *arg, const char *id, const churn_customer_t *customer, int64_t day,
             churn_score_t *score, char *error, size_t error_size)
{
    churn_scorer_t *self = ((s_score_arg_t *) arg)->self;
    s_partition_t *scope = ((s_score_arg_t *) arg)->scope;
    const churn_model_t *model = churn_reference_model (self->reference);
    if (!scope->population && churn_population_wanted (model, customer, day) &&
        churn_query_population (self->redis, scope->partition, model, &scope->population, error,
                                error_size) != 0)
        return -1;
    if (churn_population_score (scope->population, model,
                                churn_reference_tier (self->reference, id), customer, day,
                                score) != 0) {
        sp_error_set (error, error_size, "day %" PRId64 " is out of range", day);
        return -1;
    }
    return 0;
}

/* True when the pass should end now (the service stops): between
   transactions only, so what was committed is published. */
static bool
s_stopping (churn_scorer_t *self)
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
static bool
s_yielding (churn_scorer_t *self)
{
    if (self->waiting && atomic_load (self->waiting))
        self->interrupted = true;
    return s_stopping (self);
}

/* Publishes a committed alert and logs it. */
static void
s_publish (churn_scorer_t *self, const churn_alert_t *alert)
{
    char topic[CHURN_ALERT_TOPIC_SIZE];
    churn_alert_topic (topic, sizeof topic, alert);
    churn_alert_message_t message;
    churn_alert_to_message (alert, &message);
    const char *state = churn_alert_state_name (churn_alert_state (alert->action));
    if (!*topic)
        sp_notifier_unsent (self->notifier, alert->sequence, "the topic is too long");
    else
        sp_notifier_publish (self->notifier, alert->sequence, state, topic, &message.message.base,
                             CHURN_ALERT_MESSAGE_MAX);
    char customer[CHURN_ALERT_CUSTOMER_MAX + 8];
    sp_error_quote (alert->customer_id, customer, sizeof customer);
    sp_log_info ("churn alert",
                 "alert_seq=%" PRId64 " customer=\"%s\" rule=%s action=%s day=%s score=%d "
                 "topic=\"%s\"",
                 alert->sequence, customer, churn_rules_rule_name (alert->rule),
                 churn_lifecycle_action_name (alert->action), message.occurred_day,
                 alert->has_score ? alert->score : -1, topic);
}

/* True when customer is in the sorted scored list with a last day at
   or after clock; *revision its row's revision (0 when not in the list). */
static bool
s_up_to_date (const churn_alert_store_scored_t *scored, size_t count, const char *customer,
              int64_t clock, int64_t *revision)
{
    size_t low = 0, high = count;
    *revision = 0;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp (scored[middle].customer, customer);
        if (order == 0) {
            *revision = scored[middle].revision;
            return scored[middle].last_day >= clock;
        }
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return false;
}

static s_batch_t *
s_batch_new (size_t count)
{
    s_batch_t *batch = calloc (1, sizeof *batch);
    if (!batch)
        return NULL;
    batch->ids = calloc (count, sizeof *batch->ids);
    batch->revisions = calloc (count, sizeof *batch->revisions);
    batch->customers = calloc (count, sizeof *batch->customers);
    batch->befores = calloc (count, sizeof *batch->befores);
    batch->decisions = calloc (count, sizeof *batch->decisions);
    batch->writes = calloc (count, sizeof *batch->writes);
    if (!batch->ids || !batch->revisions || !batch->customers || !batch->befores ||
        !batch->decisions || !batch->writes) {
        free (batch->revisions);
        free (batch->writes);
        free (batch->decisions);
        free (batch->befores);
        free (batch->customers);
        free (batch->ids);
        free (batch);
        return NULL;
    }
    return batch;
}

static void
s_batch_destroy (s_batch_t **batch_p)
{
    s_batch_t *batch = *batch_p;
    if (!batch)
        return;
    for (size_t index = 0; index < batch->decided; index++)
        churn_decision_clear (&batch->decisions[index]);
    for (size_t index = 0; index < batch->count; index++)
        churn_customer_destroy (&batch->customers[index]);
    free (batch->revisions);
    free (batch->writes);
    free (batch->decisions);
    free (batch->befores);
    free (batch->customers);
    free (batch->ids);
    free (batch);
    *batch_p = NULL;
}

/* Unpacks the records MGET answered (reply) into batch, in order, up to
   the first that does not read. Returns 0, or -1 with the reason (the
   customers before it kept). */
static int
s_batch_records (s_batch_t *batch, const char *const *customers, const int64_t *revisions,
                 size_t count, const sp_redis_reply_t *reply, char *error, size_t error_size)
{
    for (size_t index = 0; index < count; index++) {
        size_t length = 0;
        const char *record = s_string (sp_redis_reply_element (reply, index), &length);
        if (!record) {
            batch->missing++;
            continue; /* gone since SMEMBERS (a rebuild): next time */
        }
        churn_customer_t *customer = churn_customer_new ();
        if (!customer) {
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
        int64_t first_day = 0;
        if (churn_customer_unpack (customer, record, length) != 0) {
            churn_customer_destroy (&customer);
            sp_error_set (error, error_size, "the record of \"%s\" does not read",
                          customers[index]);
            return -1;
        }
        if (!churn_customer_first_day (customer, &first_day)) {
            churn_customer_destroy (&customer);
            continue; /* no event with a day: nothing to score */
        }
        batch->ids[batch->count] = customers[index];
        batch->revisions[batch->count] = revisions[index];
        batch->customers[batch->count++] = customer;
    }
    return 0;
}

/* Decides, in memory, the periods up to clock of the batch's customers
   whose state read (readable of them, in order), up to the first that
   fails. Returns 0, or -1 with the reason (those decided before kept). */
static int
s_batch_decide (churn_scorer_t *self, s_partition_t *scope, s_batch_t *batch, size_t readable,
                int64_t clock, char *error, size_t error_size)
{
    int64_t period_days = churn_model_period_days (churn_reference_model (self->reference));
    s_score_arg_t arg = { self, scope };
    for (size_t index = 0; index < readable; index++) {
        const churn_alert_store_customer_t *before = &batch->befores[index];
        int64_t first_day = 0, last_day = 0, from = 0;
        churn_customer_first_day (batch->customers[index], &first_day);
        bool scored = churn_history_last_day (&before->history, &last_day);
        int64_t count =
            churn_scorer_periods (scored, last_day, first_day, clock, period_days, &from);
        if (count == 0)
            continue;
        churn_decision_t *decision = &batch->decisions[batch->decided];
        if (churn_decision_make (decision, &self->settings, batch->ids[index],
                                 batch->customers[index], &before->history, before->states, from,
                                 count, period_days, s_score_day, &arg, error, error_size) != 0)
            return -1;
        batch->writes[batch->decided++] = (churn_alert_store_write_t){
            .customer = batch->ids[index],
            .before = before,
            .history = &decision->history,
            .states = decision->states,
            .alerts = decision->alerts,
            .alert_count = decision->alert_count,
        };
    }
    return 0;
}

/* The stored state of the batch's customers into its befores: the one
   this scorer last wrote when the scan found the row still at that
   revision (churn_known), the others read in one query. Sets *readable
   to the customers, from the first, whose state read (the batch's count
   when all did; the reason in error otherwise). Returns 0, or -1 with
   the reason when the query fails. */
static int
s_batch_befores (churn_scorer_t *self, s_batch_t *batch, size_t *readable, char *error,
                 size_t error_size)
{
    *readable = batch->count;
    const char **unknown = calloc (batch->count ? batch->count : 1, sizeof *unknown);
    size_t *at = calloc (batch->count ? batch->count : 1, sizeof *at);
    churn_alert_store_customer_t *read = calloc (batch->count ? batch->count : 1, sizeof *read);
    int rc = -1;
    if (!unknown || !at || !read) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    size_t count = 0, read_readable = 0;
    for (size_t index = 0; index < batch->count; index++)
        if (!churn_known_get (self->known, batch->ids[index], batch->revisions[index],
                              &batch->befores[index])) {
            unknown[count] = batch->ids[index];
            at[count++] = index;
        }
    if (churn_alert_store_read_batch (self->pg, unknown, count, read, &read_readable, error,
                                      error_size) != 0)
        goto out_free;
    for (size_t index = 0; index < count; index++)
        batch->befores[at[index]] = read[index];
    batch->read = count;
    if (read_readable < count)
        *readable = at[read_readable];
    rc = 0;
out_free:
    free (read);
    free (at);
    free (unknown);
    return rc;
}

/* Reads and decides the customers named (count of them, at most
   CHURN_SCORER_BATCH) of partition into *batch_p, revisions their rows'
   revisions at the scan (0: none): one MGET, their stored state
   (s_batch_befores), their periods decided in memory; nothing written.
   A customer whose record, state or scoring fails stops the batch there:
   those before it stay decided (to be written) and 1 is returned with
   the reason in error. Returns 0, 1, or -1 with the reason when nothing
   could be read (*batch_p NULL). */
static int
s_batch_prepare (churn_scorer_t *self, s_partition_t *scope, const char *const *customers,
                 const int64_t *revisions, size_t count, int64_t clock, s_batch_t **batch_p,
                 char *error, size_t error_size)
{
    const char **argv = calloc (count + 1, sizeof *argv);
    char (*keys)[SP_PARTITION_KEY_MAX + CHURN_ALERT_CUSTOMER_MAX] = calloc (count, sizeof *keys);
    s_batch_t *batch = s_batch_new (count);
    int rc = -1;
    sp_redis_reply_t *reply = NULL;
    if (!argv || !keys || !batch) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    argv[0] = "MGET";
    for (size_t index = 0; index < count; index++) {
        if (churn_keys_customer (keys[index], sizeof keys[index], scope->partition,
                                 customers[index]) < 0) {
            sp_error_set (error, error_size, "customer id \"%.64s\" is too long", customers[index]);
            goto out_free;
        }
        argv[index + 1] = keys[index];
    }
    reply = sp_redis_command (self->redis, (int) count + 1, argv, NULL, error, error_size);
    if (!reply)
        goto out_free;
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY ||
        sp_redis_reply_size (reply) != count) {
        sp_error_set (error, error_size, "MGET answered %zu values for %zu keys",
                      sp_redis_reply_size (reply), count);
        goto out_free;
    }
    bool failed =
        s_batch_records (batch, customers, revisions, count, reply, error, error_size) != 0;
    size_t readable = 0;
    if (s_batch_befores (self, batch, &readable, error, error_size) != 0)
        goto out_free;
    if (self->pending[scope->partition] != S_NONE) {
        self->closes[scope->partition].known += batch->count - batch->read;
        self->closes[scope->partition].read += batch->read;
    }
    failed = failed || readable < batch->count;
    failed = failed || s_batch_decide (self, scope, batch, readable, clock, error, error_size) != 0;
    *batch_p = batch;
    batch = NULL;
    rc = failed ? 1 : 0;
out_free:
    s_batch_destroy (&batch);
    sp_redis_reply_destroy (&reply);
    free (keys);
    free (argv);
    return rc;
}

/* Keeps what a write stored for each customer written (its row now at
   the revision after the one read, or 1 when created; churn_known), and
   forgets the customers not written (their rows moved: read next time). */
static void
s_known_written (churn_scorer_t *self, const churn_alert_store_write_t *writes, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        const churn_alert_store_write_t *write = &writes[index];
        if (!write->written)
            churn_known_forget (self->known, write->customer);
        else
            /* not kept (full): read from postgresql next time */
            churn_known_put (self->known, write->customer,
                             write->before->stored ? write->before->revision + 1 : 1,
                             write->history, write->states);
    }
}

/* Writes the decided customers (count of them, copies of their batches'
   writes) of partition in transactions of CHURN_SCORER_BATCH, each
   transaction's alerts published after its commit. Returns 0, or -1 with
   the reason (those written before stay written and published). */
static int
s_write (churn_scorer_t *self, uint32_t partition, churn_alert_store_write_t *writes, size_t count,
         bool yielding, int *published, char *error, size_t error_size)
{
    for (size_t start = 0; start < count && !(yielding ? s_yielding (self) : s_stopping (self));
         start += CHURN_SCORER_BATCH) {
        size_t size = count - start < CHURN_SCORER_BATCH ? count - start : CHURN_SCORER_BATCH;
        churn_alert_store_write_t *group = writes + start;
        if (self->pending[partition] != S_NONE && !self->closes[partition].write_us)
            self->closes[partition].write_us = zclock_usecs ();
        if (churn_alert_store_write_batch (self->pg, partition, group, size, error, error_size) < 0) {
            for (size_t index = 0; index < size; index++)
                churn_known_forget (self->known, group[index].customer);
            return -1;
        }
        s_known_written (self, group, size);
        /* a customer not written moved (another instance, an acknowledgement): next time */
        for (size_t index = 0; index < size; index++) {
            if (!group[index].written)
                self->marked[partition] = true;
            for (size_t alert = 0; group[index].written && alert < group[index].alert_count;
                 alert++)
                s_publish (self, &group[index].alerts[alert]);
            if (group[index].written)
                *published += (int) group[index].alert_count;
            s_close_t *close = &self->closes[partition];
            if (self->pending[partition] != S_NONE && group[index].written &&
                group[index].alert_count > 0) {
                close->alert_us = close->alert_us ? close->alert_us : zclock_usecs ();
                close->alerts += (int) group[index].alert_count;
            }
        }
    }
    return 0;
}

/* Scores a window of the customers named (count of them, at most
   CHURN_SCORER_WINDOW; revisions their rows' at the scan, 0: none) of
   partition: read and decided in batches of CHURN_SCORER_BATCH, the
   customers whose alerts change state written before a batch is read
   from postgresql and once the window is decided, the others then,
   most urgent first (churn_decision_urgency: repeats, then those without
   alerts, each urgency in transactions of its own, in the order read
   within it), so an alert waits neither for the reading of the rest of
   the window nor for the writes of the customers that decided none. A customer whose record, state
   or scoring fails stops the reading there: those decided before it are still written and
   published, then the error is returned. */
static int
s_score_window (churn_scorer_t *self, s_partition_t *scope, const char *const *customers,
                const int64_t *revisions, size_t count, int64_t clock, bool last, int *published,
                char *error, size_t error_size)
{
    size_t batch_count = (count + CHURN_SCORER_BATCH - 1) / CHURN_SCORER_BATCH;
    s_batch_t **batches = calloc (batch_count ? batch_count : 1, sizeof *batches);
    churn_alert_store_write_t *writes = calloc (count ? count : 1, sizeof *writes);
    int rc = -1;
    if (!batches || !writes) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    bool failed = false;
    char read_error[S_ERROR_SIZE] = "";
    size_t urgent = 0;
    for (size_t index = 0; index < batch_count && !failed && !s_stopping (self); index++) {
        size_t first = index * CHURN_SCORER_BATCH;
        size_t size = count - first < CHURN_SCORER_BATCH ? count - first : CHURN_SCORER_BATCH;
        int prepared = s_batch_prepare (self, scope, customers + first, revisions + first, size,
                                        clock, &batches[index], read_error, sizeof read_error);
        failed = prepared != 0;
        if (batches[index] && batches[index]->missing)
            self->marked[scope->partition] = true;
        for (size_t at = 0; batches[index] && at < batches[index]->decided; at++)
            if (churn_decision_urgency (&batches[index]->decisions[at]) == CHURN_DECISION_URGENT)
                writes[urgent++] = batches[index]->writes[at];
        /* the customers whose alerts change state are written before the
           next batch is read from postgresql: a FIRE does not wait for the
           reading of the rest of the window; batches whose state this
           scorer knows (churn_known) cost no round trip, so their FIREs
           go out together, in one transaction */
        if (batches[index] && batches[index]->read > 0) {
            if (s_write (self, scope->partition, writes, urgent, false, published, error,
                         error_size) != 0)
                goto out_free;
            urgent = 0;
        }
    }
    if (s_write (self, scope->partition, writes, urgent, false, published, error, error_size) != 0)
        goto out_free;
    /* then the repeats, then the rest, each in transactions of their own */
    for (int urgency = CHURN_DECISION_REPEATS; urgency <= CHURN_DECISION_QUIET; urgency++) {
        size_t decided = 0;
        for (size_t index = 0; index < batch_count; index++)
            for (size_t at = 0; batches[index] && at < batches[index]->decided; at++)
                if (churn_decision_urgency (&batches[index]->decisions[at]) == urgency)
                    writes[decided++] = batches[index]->writes[at];
        /* in the last window, the customers without alerts give way to a
           day close waiting */
        bool yielding = last && urgency == CHURN_DECISION_QUIET;
        if (s_write (self, scope->partition, writes, decided, yielding, published, error,
                     error_size) != 0)
            goto out_free;
    }
    if (failed) {
        sp_error_set (error, error_size, "%s", read_error);
        goto out_free;
    }
    rc = 0;
out_free:
    for (size_t index = 0; batches && index < batch_count; index++)
        s_batch_destroy (&batches[index]);
    free (batches);
    free (writes);
    return rc;
}

/* Scores every customer of partition behind clock. */
static int
s_score_partition (churn_scorer_t *self, uint32_t partition, int64_t clock, int *published,
                   char *error, size_t error_size)
{
    char key[SP_PARTITION_KEY_MAX];
    if (churn_keys_customers (key, sizeof key, partition) < 0) {
        sp_error_set (error, error_size, "the customers key is too long");
        return -1;
    }
    const char *argv[] = { "SMEMBERS", key };
    if (self->pending[partition] != S_NONE && !self->closes[partition].scan_us)
        self->closes[partition].scan_us = zclock_usecs ();
    sp_redis_reply_t *members = sp_redis_command (self->redis, 2, argv, NULL, error, error_size);
    if (!members)
        return -1;
    churn_alert_store_scored_t *scored = NULL;
    size_t scored_count = 0;
    s_partition_t scope = { partition, NULL };
    const char **behind = NULL;
    int64_t *revisions = NULL;
    int rc = -1;
    if (sp_redis_reply_type (members) != SP_REDIS_REPLY_ARRAY) {
        sp_error_set (error, error_size, "SMEMBERS %s answered something else than a set", key);
        goto out_free;
    }
    if (churn_alert_store_scored (self->pg, partition, &scored, &scored_count, error, error_size) !=
        0)
        goto out_free;
    size_t total = sp_redis_reply_size (members), count = 0;
    behind = calloc (total ? total : 1, sizeof *behind);
    revisions = calloc (total ? total : 1, sizeof *revisions);
    if (!behind || !revisions) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    for (size_t index = 0; index < total; index++) {
        const char *customer = s_string (sp_redis_reply_element (members, index), NULL);
        if (customer && !s_up_to_date (scored, scored_count, customer, clock, &revisions[count]))
            behind[count++] = customer;
    }
    for (size_t start = 0; start < count && !s_stopping (self); start += CHURN_SCORER_WINDOW) {
        size_t window = count - start < CHURN_SCORER_WINDOW ? count - start : CHURN_SCORER_WINDOW;
        if (s_score_window (self, &scope, behind + start, revisions + start, window, clock,
                            start + window == count, published, error, error_size) != 0)
            goto out_free;
    }
    rc = 0;
out_free:
    churn_population_destroy (&scope.population);
    free (revisions);
    free (behind);
    churn_alert_store_scored_free (&scored, scored_count);
    sp_redis_reply_destroy (&members);
    return rc;
}

/* A day close pending at partition is done once its alerts up to clock
   are out and clock reached the day before it. */
static void
s_day_done (churn_scorer_t *self, uint32_t partition, int64_t clock)
{
    if (self->pending[partition] == S_NONE || clock < self->pending[partition] - 1)
        return;
    const s_close_t *close = &self->closes[partition];
    if (sp_log_enabled (SP_LOG_DEBUG) && close->told_us) {
        int64_t now = zclock_usecs ();
        /* ms after the event was applied; -1: did not happen */
        double woken = (double) (close->woken_us - close->told_us) / S_US_PER_MS;
        double scan = close->scan_us ? (double) (close->scan_us - close->told_us) / S_US_PER_MS : -1;
        double write =
            close->write_us ? (double) (close->write_us - close->told_us) / S_US_PER_MS : -1;
        double alert =
            close->alert_us ? (double) (close->alert_us - close->told_us) / S_US_PER_MS : -1;
        sp_log_debug ("day close scored",
                      "partition=%" PRIu32 " day=%" PRId64 " told_us=%" PRId64
                      " woken_ms=%.1f scan_ms=%.1f write_ms=%.1f first_alert_ms=%.1f done_ms=%.1f "
                      "alerts=%d known=%zu read=%zu",
                      partition, self->pending[partition], close->told_us, woken, scan, write, alert,
                      (double) (now - close->told_us) / S_US_PER_MS, close->alerts, close->known,
                      close->read);
    }
    self->closes[partition] = (s_close_t){ 0 };
    self->pending[partition] = S_NONE;
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
    if (!settled[partition] || clock == S_NONE || s_yielding (self))
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
        bool held = self->added_at[partition] != S_NONE &&
                    now - self->added_at[partition] < S_ADDED_SETTLE_MS;
        if (!held)
            self->added_at[partition] = S_NONE;
        self->marked[partition] = held;
        self->yielded[partition] = false;
        if (s_score_partition (self, partition, clock, published, error, error_size) != 0) {
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
            if (self->pending[partition] != S_NONE && self->yielded[partition] == (resumed == 1) &&
                s_evaluate_partition (self, partition, settled, self->clocks[partition], full,
                                      &published, error, error_size) != 0)
                return -1;
    for (uint32_t partition = 0; !self->triggered && partition < self->partitions; partition++)
        if (self->pending[partition] == S_NONE &&
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
   pending. Those settled at the last check (the timer's) are scored now
   without another check: they were settled then and have applied the
   event that closed the day since. Otherwise (catching up, or no check
   yet) a settled check is made, at most every S_TRIGGER_CHECK_MS. Retried
   shortly while a pending day is not scored (its new watermark not read
   yet: the step that moved it goes to Redis on the consumer's own
   connection; or not settled), at most S_TRIGGER_ATTEMPTS times, then
   left to the scoring timer. */
static int
s_on_trigger (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    churn_scorer_t *self = (churn_scorer_t *) arg;
    self->trigger = -1;
    bool settled = false, unsettled = false;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        if (self->pending[partition] == S_NONE)
            continue;
        if (sp_notifier_partition_settled (self->notifier, partition))
            settled = true;
        else
            unsettled = true;
    }
    int64_t now = zclock_mono ();
    self->triggered = true;
    if (settled)
        sp_notifier_evaluate_last (self->notifier);
    else if (unsettled && now - self->checked_at >= S_TRIGGER_CHECK_MS) {
        self->checked_at = now;
        sp_notifier_evaluate (self->notifier);
    }
    self->triggered = false;
    bool left = false;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        left = left || self->pending[partition] != S_NONE;
    if (left && ++self->trigger_attempts < S_TRIGGER_ATTEMPTS)
        s_arm (self, settled ? S_TRIGGER_RETRY_MS : S_TRIGGER_CHECK_MS);
    else {
        /* the timer scores what is left, once its clock moved and settled */
        self->trigger_attempts = 0;
        for (uint32_t partition = 0; partition < self->partitions; partition++)
            self->pending[partition] = S_NONE;
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
    if (self->pending[partition] == S_NONE)
        self->closes[partition] = (s_close_t){ .told_us = told_us, .woken_us = zclock_usecs () };
    if (self->pending[partition] == S_NONE || self->pending[partition] < day)
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
    char error[S_ERROR_SIZE] = "";
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
    self->pipeline = sp_redis_pipeline_new ();
    self->known = churn_known_new (CHURN_SCORER_KNOWN_MAX);
    self->closes = calloc (partitions, sizeof *self->closes);
    if (!self->closes || !self->pending || !self->scored || !self->marked || !self->clocks || !self->added ||
        !self->added_at || !self->yielded || !self->pipeline || !self->known) {
        sp_error_set (error, error_size, "out of memory");
        goto out_destroy;
    }
    for (uint32_t partition = 0; partition < partitions; partition++) {
        self->pending[partition] = S_NONE;
        self->scored[partition] = S_NONE;
        self->marked[partition] = true;
        atomic_init (&self->added[partition], false);
        self->added_at[partition] = S_NONE;
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
