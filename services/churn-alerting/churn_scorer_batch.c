/*  churn_scorer_batch - the scoring of one partition.

    Part of churn_scorer (declared in churn_scorer.h): the customers of a
    partition behind its clock, scored in windows of CHURN_SCORER_WINDOW,
    each read and decided in batches of CHURN_SCORER_BATCH (one MGET each,
    the window's MGETs sent in one round trip; their stored state known or
    read in one query, their periods decided in memory), then written,
    most urgent first, and their alerts published after each commit. Kept
    apart from the clocks, the evaluation of the partitions, day closes
    and the scorer's life (churn_scorer.c) so that each file stays small;
    what the two share is in churn_scorer_internal.h.
*/
#include "churn_scorer_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
#include "sp_error.h"
#include "sp_log.h"
#include "sp_notifier.h"

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
        const char *record =
            churn_scorer_internal_string (sp_redis_reply_element (reply, index), &length);
        if (!record) {
            batch->missing++;
            continue; /* gone since SMEMBERS (a rebuild): next time */
        }
        bool valid = true;
        churn_customer_t *customer = churn_customer_read (record, length, &valid);
        if (!customer) {
            if (valid)
                sp_error_set (error, error_size, "out of memory");
            else
                sp_error_set (error, error_size, "the record of \"%s\" does not read",
                              customers[index]);
            return -1;
        }
        int64_t first_day = 0;
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

/* Reads the records of the customers named (count of them) of
   partition: one MGET per CHURN_SCORER_BATCH of them, all sent in one
   round trip. Returns the pipeline's answer (one MGET reply per batch,
   in order), or NULL with the reason. */
static sp_redis_reply_t *
s_read_records (churn_scorer_t *self, uint32_t partition, const char *const *customers,
                size_t count, char *error, size_t error_size)
{
    size_t most = count < CHURN_SCORER_BATCH ? count : CHURN_SCORER_BATCH;
    const char **argv = calloc (most + 1, sizeof *argv);
    char (*keys)[SP_PARTITION_KEY_MAX + CHURN_ALERT_CUSTOMER_MAX] =
        calloc (most ? most : 1, sizeof *keys);
    sp_redis_reply_t *reply = NULL;
    if (!argv || !keys) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    argv[0] = "MGET";
    for (size_t first = 0; first < count; first += CHURN_SCORER_BATCH) {
        size_t size = count - first < CHURN_SCORER_BATCH ? count - first : CHURN_SCORER_BATCH;
        for (size_t index = 0; index < size; index++) {
            if (churn_keys_customer (keys[index], sizeof keys[index], partition,
                                     customers[first + index]) < 0) {
                sp_error_set (error, error_size, "customer id \"%.64s\" is too long",
                              customers[first + index]);
                goto out_free;
            }
            argv[index + 1] = keys[index];
        }
        if (sp_redis_pipeline_append (self->pipeline, (int) size + 1, argv, NULL) != 0) {
            sp_error_set (error, error_size, "out of memory");
            goto out_free;
        }
    }
    reply = sp_redis_execute (self->redis, self->pipeline, error, error_size);
out_free:
    sp_redis_pipeline_reset (self->pipeline);
    free (keys);
    free (argv);
    return reply;
}

/* Reads and decides the customers named (count of them, at most
   CHURN_SCORER_BATCH) of partition into *batch_p, records their MGET's
   answer (s_read_records), revisions their rows' revisions at the scan
   (0: none): their stored state (s_batch_befores), their periods decided
   in memory; nothing written. A customer whose record, state or scoring
   fails stops the batch there: those before it stay decided (to be
   written) and 1 is returned with the reason in error. Returns 0, 1, or
   -1 with the reason when nothing could be read (*batch_p NULL). */
static int
s_batch_prepare (churn_scorer_t *self, s_partition_t *scope, const char *const *customers,
                 const int64_t *revisions, size_t count, const sp_redis_reply_t *records,
                 int64_t clock, s_batch_t **batch_p, char *error, size_t error_size)
{
    s_batch_t *batch = s_batch_new (count);
    int rc = -1;
    if (!batch) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    if (!records || sp_redis_reply_type (records) != SP_REDIS_REPLY_ARRAY ||
        sp_redis_reply_size (records) != count) {
        sp_error_set (error, error_size, "MGET answered %zu values for %zu keys",
                      records && sp_redis_reply_type (records) == SP_REDIS_REPLY_ARRAY
                          ? sp_redis_reply_size (records)
                          : 0,
                      count);
        goto out_free;
    }
    bool failed =
        s_batch_records (batch, customers, revisions, count, records, error, error_size) != 0;
    size_t readable = 0;
    if (s_batch_befores (self, batch, &readable, error, error_size) != 0)
        goto out_free;
    if (self->pending[scope->partition] != CHURN_SCORER_INTERNAL_NONE) {
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
    for (size_t start = 0; start < count && !(yielding ? churn_scorer_internal_yielding (self)
                                                       : churn_scorer_internal_stopping (self));
         start += CHURN_SCORER_BATCH) {
        size_t size = count - start < CHURN_SCORER_BATCH ? count - start : CHURN_SCORER_BATCH;
        churn_alert_store_write_t *group = writes + start;
        if (self->pending[partition] != CHURN_SCORER_INTERNAL_NONE &&
            !self->closes[partition].write_us)
            self->closes[partition].write_us = zclock_usecs ();
        if (churn_alert_store_write_batch (self->pg, partition, group, size, error, error_size) <
            0) {
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
            churn_scorer_internal_close_t *close = &self->closes[partition];
            if (self->pending[partition] != CHURN_SCORER_INTERNAL_NONE && group[index].written &&
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
    sp_redis_reply_t *records = NULL;
    int rc = -1;
    if (!batches || !writes) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    /* the window's records in one round trip */
    records = s_read_records (self, scope->partition, customers, count, error, error_size);
    if (!records)
        goto out_free;
    bool failed = false;
    char read_error[CHURN_SCORER_INTERNAL_ERROR_SIZE] = "";
    size_t urgent = 0;
    for (size_t index = 0; index < batch_count && !failed && !churn_scorer_internal_stopping (self);
         index++) {
        size_t first = index * CHURN_SCORER_BATCH;
        size_t size = count - first < CHURN_SCORER_BATCH ? count - first : CHURN_SCORER_BATCH;
        int prepared = s_batch_prepare (self, scope, customers + first, revisions + first, size,
                                        sp_redis_reply_element (records, index), clock,
                                        &batches[index], read_error, sizeof read_error);
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
    sp_redis_reply_destroy (&records);
    return rc;
}

/* Scores every customer of partition behind clock. */
int
churn_scorer_internal_score_partition (churn_scorer_t *self, uint32_t partition, int64_t clock,
                                       int *published, char *error, size_t error_size)
{
    char key[SP_PARTITION_KEY_MAX];
    if (churn_keys_customers (key, sizeof key, partition) < 0) {
        sp_error_set (error, error_size, "the customers key is too long");
        return -1;
    }
    const char *argv[] = { "SMEMBERS", key };
    if (self->pending[partition] != CHURN_SCORER_INTERNAL_NONE && !self->closes[partition].scan_us)
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
        const char *customer =
            churn_scorer_internal_string (sp_redis_reply_element (members, index), NULL);
        if (customer && !s_up_to_date (scored, scored_count, customer, clock, &revisions[count]))
            behind[count++] = customer;
    }
    for (size_t start = 0; start < count && !churn_scorer_internal_stopping (self);
         start += CHURN_SCORER_WINDOW) {
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
