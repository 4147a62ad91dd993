/*  incentive_query - incentive-calculator's statements from Redis and
    PostgreSQL (see incentive_query.h). */
#include "incentive_query.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "incentive_keys.h"
#include "incentive_plan.h"
#include "incentive_statement.h"
#include "sp_array.h"
#include "sp_consumer_config.h"
#include "sp_consumer_key.h"
#include "sp_consumer_log.h"
#include "sp_error.h"
#include "sp_partition.h"
#include "sp_refdata.h"

#define S_INITIAL 64

static const char *const s_plan_kinds[] = { "plans" };

/* The closed periods and the rep's statements stored at their close. */
static const char s_closed_sql[] =
    "SELECT c.period, s.document FROM period_closes c "
    "LEFT JOIN incentive_statements s ON s.period = c.period AND s.rep_id = $1 "
    "ORDER BY c.period";

struct _incentive_query_t {
    sp_redis_t *redis; /* borrowed */
    sp_pg_t *pg;       /* borrowed */
    uint32_t partitions;
    char currency[SP_CONSUMER_CONFIG_CURRENCY_SIZE];
    char time_zone[SP_TZ_NAME_MAX + 1];
    sp_tz_t *tz;
    sp_refdata_set_t *set;             /* every version of every plan */
    incentive_plan_t **parsed;         /* one per entry of set */
    incentive_statement_plan_t *plans; /* the same, for the statement */
    size_t plan_count;
};

void
incentive_query_destroy (incentive_query_t **self_p)
{
    assert (self_p);
    incentive_query_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->plan_count; index++)
        incentive_plan_destroy (&self->parsed[index]);
    free (self->parsed);
    free (self->plans);
    sp_refdata_set_destroy (&self->set);
    sp_tz_destroy (&self->tz);
    free (self);
    *self_p = NULL;
}

/* Reads and parses every version of every plan. */
static int
s_load_plans (incentive_query_t *self, char *error, size_t error_size)
{
    self->set = sp_refdata_read (self->pg, s_plan_kinds, 1, NULL, true, error, error_size);
    if (!self->set)
        return -1;
    size_t count = sp_refdata_set_size (self->set);
    self->parsed = calloc (count ? count : 1, sizeof *self->parsed);
    self->plans = calloc (count ? count : 1, sizeof *self->plans);
    if (!self->parsed || !self->plans) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    for (size_t index = 0; index < count; index++) {
        const sp_refdata_entry_t *entry = sp_refdata_set_entry (self->set, index);
        char reason[INCENTIVE_PLAN_ERROR_SIZE];
        self->parsed[index] =
            incentive_plan_new (entry->document, strlen (entry->document), reason, sizeof reason);
        if (!self->parsed[index]) {
            sp_error_set (error, error_size, "stored plan %s version %lld: %s", entry->name,
                          (long long) entry->version, reason);
            return -1;
        }
        self->plan_count = index + 1;
        self->plans[index] = (incentive_statement_plan_t){
            .name = entry->name,
            .version = entry->version,
            .has_effective_from = entry->has_effective_from,
            .effective_from = entry->effective_from,
            .plan = self->parsed[index],
        };
    }
    return 0;
}

incentive_query_t *
incentive_query_new (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions, char *error,
                     size_t error_size)
{
    assert (redis && pg && partitions >= 1 && partitions <= SP_PARTITIONS_MAX);
    incentive_query_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->redis = redis;
    self->pg = pg;
    self->partitions = partitions;
    if (sp_consumer_config_settings (redis, INCENTIVE_KEYS_SERVICE, self->currency, self->time_zone,
                                     sizeof self->time_zone, &self->tz, error, error_size) != 0 ||
        s_load_plans (self, error, error_size) != 0)
        incentive_query_destroy (&self);
    return self;
}

const char *
incentive_query_currency (const incentive_query_t *self)
{
    assert (self);
    return self->currency;
}

const sp_tz_t *
incentive_query_tz (const incentive_query_t *self)
{
    assert (self);
    return self->tz;
}

int
incentive_query_rep_kind (const incentive_query_t *self, const char *rep, sp_period_kind_t *kind,
                          char *error, size_t error_size)
{
    assert (self && rep && kind);
    bool found = false;
    for (size_t index = 0; index < self->plan_count; index++) {
        const incentive_plan_t *plan = self->plans[index].plan;
        bool latest = index + 1 == self->plan_count ||
                      strcmp (self->plans[index + 1].name, self->plans[index].name) != 0;
        if (latest && incentive_plan_assigned (plan, rep, NULL)) {
            *kind = incentive_statement_kind (incentive_plan_period (plan));
            found = true;
        }
    }
    if (!found)
        sp_error_set (error, error_size, "no plan names rep \"%.64s\": give --period", rep);
    return found ? 0 : -1;
}

/* ---------------------------------------------------------------- reading a rep */

/* What a statement reads of one rep. */
typedef struct {
    incentive_record_credit_t *credits;
    size_t credit_count;
    size_t credit_capacity;
    bool *new_logo;
    incentive_record_cancel_t *cancels;
    size_t cancel_count;
    incentive_record_payment_t *payments; /* of the rep's deals, distinct event ids */
    size_t payment_count;
    size_t payment_capacity;
    uint64_t behind; /* events in the log the service has not applied */
} s_rep_t;

static void
s_rep_free (s_rep_t *rep)
{
    free (rep->credits);
    free (rep->new_logo);
    free (rep->cancels);
    free (rep->payments);
}

static sp_redis_reply_t *
s_execute (incentive_query_t *self, sp_redis_pipeline_t *pipeline, char *error, size_t error_size)
{
    char reason[INCENTIVE_QUERY_ERROR_SIZE];
    sp_redis_reply_t *reply = sp_redis_execute (self->redis, pipeline, reason, sizeof reason);
    if (!reply)
        sp_error_set (error, error_size, "Redis: %s", reason);
    return reply;
}

/* Reads every partition's credits of rep and the checkpoints, in one
   round trip. */
static int
s_read_credits (incentive_query_t *self, const char *rep_id, s_rep_t *rep, char *error,
                size_t error_size)
{
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    sp_redis_reply_t *reply = NULL;
    uint64_t *heads = calloc (self->partitions, sizeof *heads);
    int result = -1;
    if (!pipeline || !heads)
        goto out_of_memory;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        char key[SP_PARTITION_KEY_MAX];
        char checkpoint[SP_PARTITION_KEY_MAX];
        if (incentive_keys_rep (key, sizeof key, partition, rep_id) < 0) {
            sp_error_set (error, error_size, "rep \"%.64s\": key does not fit", rep_id);
            goto out;
        }
        sp_consumer_key_checkpoint (checkpoint, sizeof checkpoint, INCENTIVE_KEYS_SERVICE,
                                    partition);
        if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HGETALL", key }, NULL) != 0 ||
            sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "GET", checkpoint }, NULL) !=
                0)
            goto out_of_memory;
    }
    /* the heads first: a checkpoint read after them that reached them held them */
    if (sp_consumer_log_heads (self->pg, self->partitions, heads, error, error_size) != 0)
        goto out;
    reply = s_execute (self, pipeline, error, error_size);
    if (!reply)
        goto out;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        const sp_redis_reply_t *fields = sp_redis_reply_element (reply, 2 * partition);
        const sp_redis_reply_t *checkpoint = sp_redis_reply_element (reply, 2 * partition + 1);
        size_t length = 0;
        const char *text = sp_redis_reply_text (checkpoint, &length);
        uint64_t applied = 0;
        if (text)
            sp_consumer_key_parse_sequence (text, length, &applied);
        if (applied < heads[partition])
            rep->behind += heads[partition] - applied;
        if (sp_redis_reply_type (fields) != SP_REDIS_REPLY_ARRAY) {
            sp_error_set (error, error_size, "Redis: HGETALL of partition %u failed", partition);
            goto out;
        }
        for (size_t index = 1; index < sp_redis_reply_size (fields); index += 2) {
            size_t packed_length;
            const char *packed =
                sp_redis_reply_text (sp_redis_reply_element (fields, index), &packed_length);
            if (sp_array_reserve ((void **) &rep->credits, &rep->credit_capacity,
                                  rep->credit_count + 1, sizeof *rep->credits, S_INITIAL) != 0)
                goto out_of_memory;
            incentive_record_credit_t *credit = &rep->credits[rep->credit_count];
            if (!packed || incentive_record_credit_unpack (packed, packed_length, credit) != 0) {
                sp_error_set (error, error_size,
                              "a credit of rep \"%.64s\" in partition %u is not a credit record",
                              rep_id, partition);
                goto out;
            }
            credit->partition = partition;
            rep->credit_count++;
        }
    }
    result = 0;
    goto out;
out_of_memory:
    sp_error_set (error, error_size, "out of memory");
out:
    free (heads);
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    return result;
}

/* Adds the payments of a HGETALL reply of paid:<deal> (a deal credited
   twice is read twice: each payment is kept once). */
static int
s_add_payments (s_rep_t *rep, const sp_redis_reply_t *fields, const char *deal, char *error,
                size_t error_size)
{
    for (size_t index = 1; index < sp_redis_reply_size (fields); index += 2) {
        size_t length;
        const char *packed = sp_redis_reply_text (sp_redis_reply_element (fields, index), &length);
        incentive_record_payment_t payment;
        if (!packed || incentive_record_payment_unpack (packed, length, &payment) != 0) {
            sp_error_set (error, error_size, "a payment of deal \"%.64s\" is not a record", deal);
            return -1;
        }
        bool known = false;
        for (size_t seen = 0; seen < rep->payment_count && !known; seen++)
            known = strcmp (rep->payments[seen].event_id, payment.event_id) == 0;
        if (known)
            continue;
        if (sp_array_reserve ((void **) &rep->payments, &rep->payment_capacity,
                              rep->payment_count + 1, sizeof *rep->payments, S_INITIAL) != 0) {
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
        rep->payments[rep->payment_count++] = payment;
    }
    return 0;
}

/* Reads, for each credit, its customer's first won deal, its deal's
   cancellation and its deal's payments, in one round trip. */
static int
s_read_marks (incentive_query_t *self, s_rep_t *rep, char *error, size_t error_size)
{
    rep->new_logo = calloc (rep->credit_count ? rep->credit_count : 1, sizeof *rep->new_logo);
    rep->cancels = calloc (rep->credit_count ? rep->credit_count : 1, sizeof *rep->cancels);
    if (!rep->new_logo || !rep->cancels) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    if (rep->credit_count == 0)
        return 0;
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    sp_redis_reply_t *reply = NULL;
    int result = -1;
    if (!pipeline)
        goto out_of_memory;
    for (size_t index = 0; index < rep->credit_count; index++) {
        const incentive_record_credit_t *credit = &rep->credits[index];
        char logo[SP_PARTITION_KEY_MAX] = "";
        char cancel[SP_PARTITION_KEY_MAX];
        /* ids fit their keys (the handler wrote them): -1 is not possible here */
        incentive_keys_cancel (cancel, sizeof cancel, credit->partition, credit->event_id);
        if (credit->customer[0])
            incentive_keys_logo (logo, sizeof logo, credit->partition, credit->customer);
        /* a deal without a customer is never a new logo: only its cancellation is read */
        if (sp_redis_pipeline_append (pipeline, credit->customer[0] ? 3 : 2,
                                      (const char *[]){ "MGET", cancel, logo }, NULL) != 0)
            goto out_of_memory;
        char paid[SP_PARTITION_KEY_MAX];
        if (incentive_keys_paid (paid, sizeof paid, credit->partition, credit->deal) < 0)
            paid[0] = '\0'; /* a deal id too long for a key: no payment was kept for it */
        if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HGETALL", paid }, NULL) != 0)
            goto out_of_memory;
    }
    reply = s_execute (self, pipeline, error, error_size);
    if (!reply)
        goto out;
    for (size_t index = 0; index < rep->credit_count; index++) {
        const incentive_record_credit_t *credit = &rep->credits[index];
        const sp_redis_reply_t *values = sp_redis_reply_element (reply, 2 * index);
        const sp_redis_reply_t *paid = sp_redis_reply_element (reply, 2 * index + 1);
        if (sp_redis_reply_type (paid) != SP_REDIS_REPLY_ARRAY) {
            sp_error_set (error, error_size, "Redis: HGETALL of the payments of %s failed",
                          credit->deal);
            goto out;
        }
        if (s_add_payments (rep, paid, credit->deal, error, error_size) != 0)
            goto out;
        if (sp_redis_reply_type (values) != SP_REDIS_REPLY_ARRAY) {
            sp_error_set (error, error_size, "Redis: MGET of the marks of %s failed",
                          credit->event_id);
            goto out;
        }
        size_t length;
        const char *cancel = sp_redis_reply_text (sp_redis_reply_element (values, 0), &length);
        if (cancel) {
            if (incentive_record_cancel_unpack (cancel, length, &rep->cancels[rep->cancel_count]) !=
                0) {
                sp_error_set (error, error_size, "the cancellation of %s is not a record",
                              credit->event_id);
                goto out;
            }
            rep->cancel_count++;
        }
        if (sp_redis_reply_size (values) < 2)
            continue;
        const char *logo = sp_redis_reply_text (sp_redis_reply_element (values, 1), &length);
        incentive_record_logo_t first;
        if (logo && incentive_record_logo_unpack (logo, length, &first) == 0)
            rep->new_logo[index] = strcmp (first.event_id, credit->event_id) == 0;
    }
    result = 0;
    goto out;
out_of_memory:
    sp_error_set (error, error_size, "out of memory");
out:
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    return result;
}

/* ---------------------------------------------------------------- statements */

char *
incentive_query_statement (incentive_query_t *self, const char *rep_id, const char *period,
                           const incentive_record_credit_t *extra, char *error, size_t error_size)
{
    assert (self && rep_id && period);
    s_rep_t rep = { 0 };
    sp_pg_result_t *closed_rows = NULL;
    incentive_statement_closed_t *closed = NULL;
    char *text = NULL;
    char reason[INCENTIVE_STATEMENT_ERROR_SIZE];
    sp_period_t parsed;
    if (sp_period_parse (self->tz, period, &parsed, reason, sizeof reason) != 0) {
        sp_error_set (error, error_size, "period: %s", reason);
        return NULL;
    }
    if (parsed.kind != SP_PERIOD_MONTH && parsed.kind != SP_PERIOD_QUARTER &&
        parsed.kind != SP_PERIOD_YEAR) {
        sp_error_set (error, error_size,
                      "period: \"%s\" is a %s; plans pay per month, quarter or year", period,
                      sp_period_kind_name (parsed.kind));
        return NULL;
    }
    if (s_read_credits (self, rep_id, &rep, error, error_size) != 0)
        goto out;
    if (extra) {
        if (sp_array_reserve ((void **) &rep.credits, &rep.credit_capacity, rep.credit_count + 1,
                              sizeof *rep.credits, S_INITIAL) != 0) {
            sp_error_set (error, error_size, "out of memory");
            goto out;
        }
        rep.credits[rep.credit_count++] = *extra;
    }
    if (s_read_marks (self, &rep, error, error_size) != 0)
        goto out;
    if (extra && extra->customer[0]) /* a what-if deal is no customer's first: it is not won */
        rep.new_logo[rep.credit_count - 1] = false;
    closed_rows = sp_pg_exec (self->pg, s_closed_sql, 1, &rep_id, NULL, NULL);
    if (!closed_rows || !sp_pg_result_ok (closed_rows)) {
        sp_error_set (error, error_size, "could not read the closed periods: %s",
                      closed_rows ? sp_pg_result_error (closed_rows) : "out of memory");
        goto out;
    }
    int rows = sp_pg_result_rows (closed_rows);
    closed = calloc (rows > 0 ? (size_t) rows : 1, sizeof *closed);
    if (!closed) {
        sp_error_set (error, error_size, "out of memory");
        goto out;
    }
    size_t closed_count = 0;
    for (int row = 0; row < rows; row++) {
        sp_period_t closed_period;
        const char *label = sp_pg_result_value (closed_rows, row, 0);
        if (sp_period_parse (self->tz, label, &closed_period, reason, sizeof reason) != 0 ||
            closed_period.kind != parsed.kind)
            continue; /* another kind of period */
        closed[closed_count].label = label;
        closed[closed_count].document = sp_pg_result_is_null (closed_rows, row, 1)
                                            ? NULL
                                            : sp_pg_result_value (closed_rows, row, 1);
        closed_count++;
    }
    incentive_statement_input_t input = {
        .rep_id = rep_id,
        .currency = self->currency,
        .tz = self->tz,
        .kind = parsed.kind,
        .plans = self->plans,
        .plan_count = self->plan_count,
        .credits = rep.credits,
        .new_logo = rep.new_logo,
        .credit_count = rep.credit_count,
        .cancels = rep.cancels,
        .cancel_count = rep.cancel_count,
        .payments = rep.payments,
        .payment_count = rep.payment_count,
        .closed = closed,
        .closed_count = closed_count,
    };
    char *document = incentive_statement_json (&input, period, reason, sizeof reason);
    if (!document) {
        sp_error_set (error, error_size, "%s", reason);
        goto out;
    }
    json_t *root = json_loads (document, 0, NULL);
    bool is_closed = json_is_true (json_object_get (root, "closed"));
    if (is_closed || !root) { /* a stored statement stays byte for byte */
        json_decref (root);
        text = document;
        goto out;
    }
    free (document);
    json_object_set_new (root, "complete", json_boolean (rep.behind == 0));
    json_object_set_new (root, "behind", json_integer ((json_int_t) rep.behind));
    text = json_dumps (root, JSON_COMPACT);
    json_decref (root);
    if (!text)
        sp_error_set (error, error_size, "out of memory");
out:
    free (closed);
    sp_pg_result_destroy (&closed_rows);
    s_rep_free (&rep);
    return text;
}

/* ---------------------------------------------------------------- reps */

static int
s_compare_text (const void *left, const void *right)
{
    return strcmp (*(char *const *) left, *(char *const *) right);
}

void
incentive_query_reps_free (char ***reps, size_t count)
{
    assert (reps);
    for (size_t index = 0; *reps && index < count; index++)
        free ((*reps)[index]);
    free (*reps);
    *reps = NULL;
}

int
incentive_query_reps (incentive_query_t *self, char ***reps, size_t *count, char *error,
                      size_t error_size)
{
    assert (self && reps && count);
    *reps = NULL;
    *count = 0;
    size_t capacity = 0;
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    sp_redis_reply_t *reply = NULL;
    int result = -1;
    if (!pipeline)
        goto out_of_memory;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        char key[SP_PARTITION_KEY_MAX];
        incentive_keys_reps (key, sizeof key, partition);
        if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HKEYS", key }, NULL) != 0)
            goto out_of_memory;
    }
    reply = s_execute (self, pipeline, error, error_size);
    if (!reply)
        goto out;
    for (size_t partition = 0; partition < sp_redis_reply_size (reply); partition++) {
        const sp_redis_reply_t *names = sp_redis_reply_element (reply, partition);
        for (size_t index = 0; index < sp_redis_reply_size (names); index++) {
            const char *name = sp_redis_reply_text (sp_redis_reply_element (names, index), NULL);
            if (!name)
                continue;
            if (sp_array_reserve ((void **) reps, &capacity, *count + 1, sizeof **reps,
                                  S_INITIAL) != 0)
                goto out_of_memory;
            (*reps)[*count] = strdup (name);
            if (!(*reps)[*count])
                goto out_of_memory;
            (*count)++;
        }
    }
    /* a rep credited in several partitions is named once */
    if (*count > 0)
        qsort (*reps, *count, sizeof **reps, s_compare_text);
    size_t kept = 0;
    for (size_t index = 0; index < *count; index++) {
        if (kept > 0 && strcmp ((*reps)[kept - 1], (*reps)[index]) == 0)
            free ((*reps)[index]);
        else
            (*reps)[kept++] = (*reps)[index];
    }
    *count = kept;
    result = 0;
    goto out;
out_of_memory:
    sp_error_set (error, error_size, "out of memory");
    incentive_query_reps_free (reps, *count);
    *count = 0;
out:
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    return result;
}
