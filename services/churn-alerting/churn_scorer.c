/*  churn_scorer - periodic scoring and churn alerts (see churn_scorer.h). */
#include "churn_scorer.h"

#include <assert.h>
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

#define S_ERROR_SIZE 512
#define S_MS_PER_SECOND INT64_C (1000)
#define S_NS_PER_MS 1000000

struct _churn_scorer_t {
    sp_service_t *service;              /* borrowed: the service this runs in */
    uint32_t partitions;                /* partition count P */
    const sp_tz_t *tz;                  /* borrowed: the service's time zone */
    bool event_clock;                   /* --clock event */
    bool fixed;                         /* --as-of given */
    int64_t fixed_day;                  /* --as-of's day (stands for today) */
    const churn_reference_t *reference; /* borrowed: the model in force */
    churn_rules_settings_t settings;    /* its rules */
    sp_notifier_t *notifier;            /* timer, settled check, outbox, metrics */
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
    churn_customer_t **customers;          /* [count] owned: their records */
    churn_alert_store_customer_t *befores; /* [count] their stored state */
    churn_decision_t *decisions;           /* [count] what scoring them decided */
    churn_alert_store_write_t *writes;     /* [count] what to store */
    size_t count;                          /* customers read (ids, customers) */
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

/* The partition's clock: the last day that may be scored. Returns 1 with
 *clock, 0 when there is none yet (no watermark), -1 on error. */
static int
s_clock (churn_scorer_t *self, uint32_t partition, int64_t *clock, char *error, size_t error_size)
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
        *clock = today - 1;
        return 1;
    }
    char key[SP_PARTITION_KEY_MAX];
    if (churn_keys_watermark (key, sizeof key, partition) < 0) {
        sp_error_set (error, error_size, "the watermark key of partition %" PRIu32 " is too long",
                      partition);
        return -1;
    }
    const char *argv[] = { "GET", key };
    sp_redis_reply_t *reply =
        sp_redis_command (sp_service_redis (self->service), 2, argv, NULL, error, error_size);
    if (!reply)
        return -1;
    size_t length = 0;
    const char *text = s_string (reply, &length);
    int rc = 0;
    int64_t watermark_ms = 0;
    if (text) {
        rc = 1;
        if (churn_keys_watermark_read (text, length, &watermark_ms) != 0 ||
            sp_period_local_day (self->tz, watermark_ms, &today) != 0) {
            sp_error_set (error, error_size, "%s holds no event time", key);
            rc = -1;
        }
        else
            *clock = today - 1;
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
        churn_query_population (sp_service_redis (self->service), scope->partition, model,
                                &scope->population, error, error_size) != 0)
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
   or after clock. */
static bool
s_up_to_date (const churn_alert_store_scored_t *scored, size_t count, const char *customer,
              int64_t clock)
{
    size_t low = 0, high = count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp (scored[middle].customer, customer);
        if (order == 0)
            return scored[middle].last_day >= clock;
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
    batch->customers = calloc (count, sizeof *batch->customers);
    batch->befores = calloc (count, sizeof *batch->befores);
    batch->decisions = calloc (count, sizeof *batch->decisions);
    batch->writes = calloc (count, sizeof *batch->writes);
    if (!batch->ids || !batch->customers || !batch->befores || !batch->decisions ||
        !batch->writes) {
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
s_batch_records (s_batch_t *batch, const char *const *customers, size_t count,
                 const sp_redis_reply_t *reply, char *error, size_t error_size)
{
    for (size_t index = 0; index < count; index++) {
        size_t length = 0;
        const char *record = s_string (sp_redis_reply_element (reply, index), &length);
        if (!record)
            continue; /* gone since SMEMBERS (a rebuild): next time */
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

/* Scores the customers named (count of them) of partition: one MGET, one
   read of their stored state, their periods decided in memory, one
   transaction, then the alerts of the customers written published. A
   customer whose record, state or scoring fails stops the batch there:
   those before it are still stored and published, then the error is
   returned (as when customers were scored one at a time). */
static int
s_score_batch (churn_scorer_t *self, s_partition_t *scope, const char *const *customers,
               size_t count, int64_t clock, int *published, char *error, size_t error_size)
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
    reply = sp_redis_command (sp_service_redis (self->service), (int) count + 1, argv, NULL, error,
                              error_size);
    if (!reply)
        goto out_free;
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY ||
        sp_redis_reply_size (reply) != count) {
        sp_error_set (error, error_size, "MGET answered %zu values for %zu keys",
                      sp_redis_reply_size (reply), count);
        goto out_free;
    }
    bool failed = s_batch_records (batch, customers, count, reply, error, error_size) != 0;
    size_t readable = 0;
    if (churn_alert_store_read_batch (sp_service_pg (self->service), batch->ids, batch->count,
                                      batch->befores, &readable, error, error_size) != 0)
        goto out_free;
    failed = failed || readable < batch->count;
    failed = failed || s_batch_decide (self, scope, batch, readable, clock, error, error_size) != 0;
    char write_error[S_ERROR_SIZE] = "";
    int written = churn_alert_store_write_batch (sp_service_pg (self->service), scope->partition,
                                                 batch->writes, batch->decided, write_error,
                                                 sizeof write_error);
    if (written < 0) {
        sp_error_set (error, error_size, "%s", write_error);
        goto out_free;
    }
    /* a customer not written moved (another instance, an acknowledgement): next time */
    for (size_t index = 0; index < batch->decided; index++) {
        const churn_alert_store_write_t *write = &batch->writes[index];
        for (size_t alert = 0; write->written && alert < write->alert_count; alert++)
            s_publish (self, &write->alerts[alert]);
        if (write->written)
            *published += (int) write->alert_count;
    }
    rc = failed ? -1 : 0;
out_free:
    s_batch_destroy (&batch);
    sp_redis_reply_destroy (&reply);
    free (keys);
    free (argv);
    return rc;
}

/* Scores every customer of partition behind its clock. */
static int
s_score_partition (churn_scorer_t *self, uint32_t partition, int *published, char *error,
                   size_t error_size)
{
    int64_t clock = 0;
    int has_clock = s_clock (self, partition, &clock, error, error_size);
    if (has_clock <= 0)
        return has_clock;
    char key[SP_PARTITION_KEY_MAX];
    if (churn_keys_customers (key, sizeof key, partition) < 0) {
        sp_error_set (error, error_size, "the customers key is too long");
        return -1;
    }
    const char *argv[] = { "SMEMBERS", key };
    sp_redis_reply_t *members =
        sp_redis_command (sp_service_redis (self->service), 2, argv, NULL, error, error_size);
    if (!members)
        return -1;
    churn_alert_store_scored_t *scored = NULL;
    size_t scored_count = 0;
    s_partition_t scope = { partition, NULL };
    const char **behind = NULL;
    int rc = -1;
    if (sp_redis_reply_type (members) != SP_REDIS_REPLY_ARRAY) {
        sp_error_set (error, error_size, "SMEMBERS %s answered something else than a set", key);
        goto out_free;
    }
    if (churn_alert_store_scored (sp_service_pg (self->service), partition, &scored, &scored_count,
                                  error, error_size) != 0)
        goto out_free;
    size_t total = sp_redis_reply_size (members), count = 0;
    behind = calloc (total ? total : 1, sizeof *behind);
    if (!behind) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    for (size_t index = 0; index < total; index++) {
        const char *customer = s_string (sp_redis_reply_element (members, index), NULL);
        if (customer && !s_up_to_date (scored, scored_count, customer, clock))
            behind[count++] = customer;
    }
    for (size_t start = 0; start < count; start += CHURN_SCORER_BATCH) {
        size_t batch = count - start < CHURN_SCORER_BATCH ? count - start : CHURN_SCORER_BATCH;
        if (s_score_batch (self, &scope, behind + start, batch, clock, published, error,
                           error_size) != 0)
            goto out_free;
    }
    rc = 0;
out_free:
    churn_population_destroy (&scope.population);
    free (behind);
    churn_alert_store_scored_free (&scored, scored_count);
    sp_redis_reply_destroy (&members);
    return rc;
}

/* sp_notifier_evaluate_fn: scores every partition (settled: checked). */
static int
s_evaluate (void *arg, size_t *firing, char *error, size_t error_size)
{
    churn_scorer_t *self = (churn_scorer_t *) arg;
    int published = 0;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        if (s_score_partition (self, partition, &published, error, error_size) != 0)
            return -1;
    int64_t count = 0;
    if (churn_alert_store_firing_count (sp_service_pg (self->service), &count, error, error_size) !=
        0)
        return -1;
    *firing = (size_t) count;
    return published;
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
}

churn_scorer_t *
churn_scorer_new (sp_service_t *service, uint32_t partitions, const churn_reference_t *reference,
                  char *error, size_t error_size)
{
    assert (service && partitions >= 1 && reference);
    const sp_config_t *config = sp_service_config (service);
    churn_scorer_t *self = (churn_scorer_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->service = service;
    self->partitions = partitions;
    self->tz = sp_service_time_zone (service);
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
        .evaluate = s_evaluate,
        .arg = self,
    };
    int64_t interval_ms = sp_config_int (config, "scoring-interval-ms");
    self->notifier = sp_notifier_new (service, &spec, partitions, interval_ms,
                                      sp_config_string (config, "alerts"), CHURN_SCORER_SEND_HWM,
                                      error, error_size);
    if (!self->notifier)
        goto out_destroy;
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
    sp_notifier_destroy (&self->notifier);
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
