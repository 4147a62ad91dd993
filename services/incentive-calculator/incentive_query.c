/*  incentive_query - incentive-calculator's statements from Redis and
    PostgreSQL (see incentive_query.h). */
#include "incentive_query_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
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
#include "sp_org.h"
#include "sp_partition.h"
#include "sp_refdata.h"

#define S_MEMBERS_SIZE 64 /* "complete" and "behind" as JSON members */

static const char *const s_plan_kinds[] = { "plans" };

/* The closed periods and the rep's statements stored at their close. */
static const char s_closed_sql[] =
    "SELECT c.period, s.document FROM period_closes c "
    "LEFT JOIN incentive_statements s ON s.period = c.period AND s.rep_id = $1 "
    "ORDER BY c.period";

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
    sp_org_destroy (&self->org);
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

/* Reads the latest org (of the latest revision when several are loaded). */
static int
s_load_org (incentive_query_t *self, char *error, size_t error_size)
{
    const char *kinds[] = { sp_org_kind.kind };
    sp_refdata_set_t *set = sp_refdata_read (self->pg, kinds, 1, NULL, false, error, error_size);
    if (!set)
        return -1;
    const sp_refdata_entry_t *latest = NULL;
    for (size_t index = 0; index < sp_refdata_set_size (set); index++) {
        const sp_refdata_entry_t *entry = sp_refdata_set_entry (set, index);
        if (!latest || entry->revision > latest->revision)
            latest = entry;
    }
    int result = 0;
    if (latest) {
        char reason[SP_ORG_ERROR_SIZE];
        self->org = sp_org_new (latest->document, strlen (latest->document), reason, sizeof reason);
        if (!self->org) {
            sp_error_set (error, error_size, "stored org %s version %lld: %s", latest->name,
                          (long long) latest->version, reason);
            result = -1;
        }
    }
    sp_refdata_set_destroy (&set);
    return result;
}

/* Refuses a state of another layout than this build reads (the config
   record's "format"): a service of this build rebuilds it when it
   starts (INCENTIVE_KEYS_FORMAT); until then its records would be
   misread. */
static int
s_check_format (incentive_query_t *self, char *error, size_t error_size)
{
    char key[SP_CONSUMER_CONFIG_KEY_MAX];
    if (sp_consumer_config_key (key, sizeof key, INCENTIVE_KEYS_SERVICE) != 0) {
        sp_error_set (error, error_size, "config key does not fit");
        return -1;
    }
    char reason[INCENTIVE_QUERY_ERROR_SIZE];
    sp_redis_reply_t *reply = sp_redis_command (
        self->redis, 3, (const char *[]){ "HGET", key, "format" }, NULL, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "Redis: %s", reason);
        return -1;
    }
    const char *format = sp_redis_reply_text (reply, NULL);
    int result = 0;
    if (!format || strcmp (format, INCENTIVE_KEYS_FORMAT) != 0) {
        sp_error_set (error, error_size,
                      "incentive-calculator's state has layout \"%s\", this build reads \"%s\": "
                      "restart incentive-calculator (of this build) to rebuild it",
                      format ? format : "(none)", INCENTIVE_KEYS_FORMAT);
        result = -1;
    }
    sp_redis_reply_destroy (&reply);
    return result;
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
        s_check_format (self, error, error_size) != 0 ||
        s_load_plans (self, error, error_size) != 0 || s_load_org (self, error, error_size) != 0)
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
        const char *role = self->org ? sp_org_rep_role (self->org, rep) : NULL;
        if (latest && incentive_plan_pays (plan, rep, role)) {
            *kind = incentive_statement_kind (incentive_plan_period (plan));
            found = true;
        }
    }
    if (!found)
        sp_error_set (error, error_size, "no plan names rep \"%.64s\": give --period", rep);
    return found ? 0 : -1;
}

/* ---------------------------------------------------------------- reading a rep */

static void
s_rep_free (incentive_query_internal_rep_t *rep)
{
    free (rep->credits);
    free (rep->new_logo);
    free (rep->cancels);
    free (rep->payments);
    free (rep->partition_cancels);
}

sp_redis_reply_t *
incentive_query_internal_execute (incentive_query_t *self, sp_redis_pipeline_t *pipeline,
                                  char *error, size_t error_size)
{
    char reason[INCENTIVE_QUERY_ERROR_SIZE];
    sp_redis_reply_t *reply = sp_redis_execute (self->redis, pipeline, reason, sizeof reason);
    if (!reply)
        sp_error_set (error, error_size, "Redis: %s", reason);
    return reply;
}

/* Commands read per rep and partition: its credits, its displaced first
   won deals. */
#define S_PER_REP 2

/* Unmarks the credits [first, end) of rep whose deal an SMEMBERS reply
   of displaced:<rep> names: no longer their customer's first won deal. */
static int
s_displace (incentive_query_internal_rep_t *rep, size_t first, size_t end,
            const sp_redis_reply_t *members, char *error, size_t error_size)
{
    size_t count = sp_redis_reply_size (members);
    if (count == 0 || first == end)
        return 0;
    const char **ids = malloc (count * sizeof *ids);
    if (!ids) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    size_t kept = 0;
    for (size_t index = 0; index < count; index++) {
        const char *id = sp_redis_reply_text (sp_redis_reply_element (members, index), NULL);
        if (id)
            ids[kept++] = id;
    }
    qsort (ids, kept, sizeof *ids, incentive_query_internal_compare_text);
    for (size_t index = first; index < end; index++) {
        incentive_record_credit_t *credit = &rep->credits[index];
        const char *key = credit->event_id;
        if (credit->new_logo &&
            bsearch (&key, ids, kept, sizeof *ids, incentive_query_internal_compare_text))
            credit->new_logo = false;
    }
    free (ids);
    return 0;
}

/* Reads every partition's credits of reps (count of them), their new_logo
   (as written, less the deals displaced since), how many cancellations
   each partition holds (rep->partition_cancels) and the checkpoints, in
   one round trip. */
int
incentive_query_internal_read_credits (incentive_query_t *self, const char *const *reps,
                                       size_t count, incentive_query_internal_rep_t *rep,
                                       char *error, size_t error_size)
{
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    sp_redis_reply_t *reply = NULL;
    uint64_t *heads = calloc (self->partitions, sizeof *heads);
    int result = -1;
    if (!pipeline || !heads)
        goto out_of_memory;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        char checkpoint[SP_PARTITION_KEY_MAX];
        sp_consumer_key_checkpoint (checkpoint, sizeof checkpoint, INCENTIVE_KEYS_SERVICE,
                                    partition);
        if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "GET", checkpoint }, NULL) !=
            0)
            goto out_of_memory;
    }
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        char cancelled[SP_PARTITION_KEY_MAX];
        incentive_keys_cancelled (cancelled, sizeof cancelled, partition);
        if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HLEN", cancelled }, NULL) !=
            0)
            goto out_of_memory;
    }
    for (size_t index = 0; index < count; index++)
        for (uint32_t partition = 0; partition < self->partitions; partition++) {
            char key[SP_PARTITION_KEY_MAX];
            char displaced[SP_PARTITION_KEY_MAX];
            if (incentive_keys_rep (key, sizeof key, partition, reps[index]) < 0 ||
                incentive_keys_displaced (displaced, sizeof displaced, partition, reps[index]) <
                    0) {
                sp_error_set (error, error_size, "rep \"%.64s\": key does not fit", reps[index]);
                goto out;
            }
            /* the values alone: a credit record holds its event id (the field) */
            if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HVALS", key }, NULL) !=
                    0 ||
                sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "SMEMBERS", displaced },
                                          NULL) != 0)
                goto out_of_memory;
        }
    /* the heads first: a checkpoint read after them that reached them held them */
    if (sp_consumer_log_heads (self->pg, self->partitions, heads, error, error_size) != 0)
        goto out;
    reply = incentive_query_internal_execute (self, pipeline, error, error_size);
    if (!reply)
        goto out;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        const sp_redis_reply_t *checkpoint = sp_redis_reply_element (reply, partition);
        size_t length = 0;
        const char *text = sp_redis_reply_text (checkpoint, &length);
        uint64_t applied = 0;
        if (text)
            sp_consumer_key_parse_sequence (text, length, &applied);
        if (applied < heads[partition])
            rep->behind += heads[partition] - applied;
    }
    if (!rep->partition_cancels) {
        rep->partition_cancels = calloc (self->partitions, sizeof *rep->partition_cancels);
        if (!rep->partition_cancels)
            goto out_of_memory;
    }
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        const sp_redis_reply_t *length =
            sp_redis_reply_element (reply, self->partitions + partition);
        if (sp_redis_reply_type (length) != SP_REDIS_REPLY_INTEGER) {
            sp_error_set (error, error_size, "Redis: HLEN of partition %u failed", partition);
            goto out;
        }
        rep->partition_cancels[partition] = (size_t) sp_redis_reply_integer (length);
    }
    size_t first_rep_at = 2 * (size_t) self->partitions;
    for (size_t at = first_rep_at; at < sp_redis_reply_size (reply); at++)
        if (sp_redis_reply_type (sp_redis_reply_element (reply, at)) != SP_REDIS_REPLY_ARRAY) {
            uint32_t partition = (uint32_t) ((at - first_rep_at) / S_PER_REP % self->partitions);
            sp_error_set (error, error_size, "Redis: reading the credits of partition %u failed",
                          partition);
            goto out;
        }
    /* room for every credit at once: one copy of each, no regrowth */
    size_t total = rep->credit_count;
    for (size_t at = first_rep_at; at < sp_redis_reply_size (reply); at += S_PER_REP)
        total += sp_redis_reply_size (sp_redis_reply_element (reply, at));
    if (total > 0 && sp_array_reserve ((void **) &rep->credits, &rep->credit_capacity, total,
                                       sizeof *rep->credits, INCENTIVE_QUERY_INTERNAL_INITIAL) != 0)
        goto out_of_memory;
    for (size_t at = first_rep_at; at < sp_redis_reply_size (reply); at += S_PER_REP) {
        size_t group = (at - first_rep_at) / S_PER_REP;
        uint32_t partition = (uint32_t) (group % self->partitions);
        const char *rep_id = reps[group / self->partitions];
        const sp_redis_reply_t *values = sp_redis_reply_element (reply, at);
        size_t first = rep->credit_count;
        for (size_t index = 0; index < sp_redis_reply_size (values); index++) {
            size_t packed_length;
            const char *packed =
                sp_redis_reply_text (sp_redis_reply_element (values, index), &packed_length);
            incentive_record_credit_t *credit = &rep->credits[rep->credit_count];
            if (!packed ||
                incentive_record_credit_unpack_in_place (packed, packed_length, credit) != 0) {
                sp_error_set (error, error_size,
                              "a credit of rep \"%.64s\" in partition %u is not a credit record",
                              rep_id, partition);
                goto out;
            }
            credit->partition = partition;
            rep->credit_count++;
        }
        if (s_displace (rep, first, rep->credit_count, sp_redis_reply_element (reply, at + 1),
                        error, error_size) != 0)
            goto out;
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

/* ---------------------------------------------------------------- statements */

char *
incentive_query_statement (incentive_query_t *self, const char *rep_id, const char *period,
                           const incentive_record_credit_t *extra, char *error, size_t error_size)
{
    return incentive_query_statement_with (self, rep_id, period, extra, false, NULL, NULL, error,
                                           error_size);
}

void
incentive_query_internal_read_free (incentive_query_internal_read_t *read)
{
    assert (read);
    free (read->closed);
    sp_pg_result_destroy (&read->closed_rows);
    s_rep_free (&read->rep);
    s_rep_free (&read->team);
    memset (read, 0, sizeof *read);
}

int
incentive_query_internal_read (incentive_query_t *self, const char *rep_id, sp_period_kind_t kind,
                               const incentive_record_credit_t *extra, bool with_closed,
                               incentive_query_internal_read_t *read, char *error,
                               size_t error_size)
{
    assert (self && rep_id && read);
    memset (read, 0, sizeof *read);
    incentive_query_internal_rep_t *rep = &read->rep;
    char reason[INCENTIVE_STATEMENT_ERROR_SIZE];
    if (incentive_query_internal_read_credits (self, &rep_id, 1, rep, error, error_size) != 0)
        goto fail;
    if (extra) {
        if (sp_array_reserve ((void **) &rep->credits, &rep->credit_capacity, rep->credit_count + 1,
                              sizeof *rep->credits, INCENTIVE_QUERY_INTERNAL_INITIAL) != 0) {
            sp_error_set (error, error_size, "out of memory");
            goto fail;
        }
        rep->credits[rep->credit_count++] = *extra;
    }
    if (incentive_query_internal_read_marks (self, rep, error, error_size) != 0)
        goto fail;
    if (extra && extra->customer[0]) /* a what-if deal is no customer's first: it is not won */
        rep->new_logo[rep->credit_count - 1] = false;
    /* a node a roll-up plan pays: the credits of the reps under it; an
       overlay rep: the credits of the reps its overlay plans name */
    if (incentive_query_internal_reads_team (self, rep_id) &&
        incentive_query_internal_read_team (self, rep_id, rep, &read->team, error, error_size) != 0)
        goto fail;
    size_t closed_count = 0;
    if (with_closed) {
        read->closed_rows = sp_pg_exec (self->pg, s_closed_sql, 1, &rep_id, NULL, NULL);
        if (!read->closed_rows || !sp_pg_result_ok (read->closed_rows)) {
            sp_error_set (error, error_size, "could not read the closed periods: %s",
                          read->closed_rows ? sp_pg_result_error (read->closed_rows)
                                            : "out of memory");
            goto fail;
        }
        int rows = sp_pg_result_rows (read->closed_rows);
        read->closed = calloc (rows > 0 ? (size_t) rows : 1, sizeof *read->closed);
        if (!read->closed) {
            sp_error_set (error, error_size, "out of memory");
            goto fail;
        }
        for (int row = 0; row < rows; row++) {
            sp_period_t closed_period;
            const char *label = sp_pg_result_value (read->closed_rows, row, 0);
            if (sp_period_parse (self->tz, label, &closed_period, reason, sizeof reason) != 0 ||
                closed_period.kind != kind)
                continue; /* another kind of period */
            read->closed[closed_count].label = label;
            read->closed[closed_count].document =
                sp_pg_result_is_null (read->closed_rows, row, 1)
                    ? NULL
                    : sp_pg_result_value (read->closed_rows, row, 1);
            closed_count++;
        }
    }
    read->input = (incentive_statement_input_t){
        .rep_id = rep_id,
        .currency = self->currency,
        .tz = self->tz,
        .kind = kind,
        .plans = self->plans,
        .plan_count = self->plan_count,
        .credits = rep->credits,
        .new_logo = rep->new_logo,
        .credit_count = rep->credit_count,
        .cancels = rep->cancels,
        .cancel_count = rep->cancel_count,
        .payments = rep->payments,
        .payment_count = rep->payment_count,
        .closed = read->closed,
        .closed_count = closed_count,
        .role = self->org ? sp_org_rep_role (self->org, rep_id) : NULL,
        .org = self->org,
        .team_credits = read->team.credits,
        .team_new_logo = read->team.new_logo,
        .team_credit_count = read->team.credit_count,
    };
    read->behind = rep->behind > read->team.behind ? rep->behind : read->team.behind;
    return 0;
fail:
    incentive_query_internal_read_free (read);
    return -1;
}

const incentive_statement_plan_t *
incentive_query_internal_plans (const incentive_query_t *self, size_t *count)
{
    assert (self && count);
    *count = self->plan_count;
    return self->plans;
}

const sp_org_t *
incentive_query_internal_org (const incentive_query_t *self)
{
    assert (self);
    return self->org;
}

/* A rep's facts read for the statement of one period. */
struct _incentive_query_read_t {
    incentive_query_internal_read_t read;
    char *period;                 /* as the caller gave it */
    char members[S_MEMBERS_SIZE]; /* the read's own "complete" and "behind" */
};

void
incentive_query_read_destroy (incentive_query_read_t **self_p)
{
    assert (self_p);
    incentive_query_read_t *self = *self_p;
    if (!self)
        return;
    incentive_query_internal_read_free (&self->read);
    free (self->period);
    free (self);
    *self_p = NULL;
}

incentive_query_read_t *
incentive_query_read (incentive_query_t *self, const char *rep_id, const char *period,
                      const incentive_record_credit_t *extra, char *error, size_t error_size)
{
    assert (self && rep_id && period);
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
    incentive_query_read_t *read = calloc (1, sizeof *read);
    if (read)
        read->period = strdup (period);
    if (!read || !read->period) {
        sp_error_set (error, error_size, "out of memory");
        free (read);
        return NULL;
    }
    if (incentive_query_internal_read (self, rep_id, parsed.kind, extra, true, &read->read, error,
                                       error_size) != 0) {
        free (read->period);
        free (read);
        return NULL;
    }
    snprintf (read->members, sizeof read->members, "\"complete\":%s,\"behind\":%" PRIu64,
              read->read.behind == 0 ? "true" : "false", read->read.behind);
    return read;
}

/* The options of read's statement: as_closed, and members_given (NULL:
   the read's own) for an open period only. */
static incentive_statement_options_t
s_options (const incentive_query_read_t *read, bool as_closed, const char *members_given)
{
    /* a closed period has nothing to catch up on: no completeness */
    bool period_closed = as_closed;
    for (size_t index = 0; index < read->read.input.closed_count; index++)
        period_closed =
            period_closed || strcmp (read->read.input.closed[index].label, read->period) == 0;
    return (incentive_statement_options_t){ .as_closed = as_closed,
                                            .members = period_closed   ? NULL
                                                       : members_given ? members_given
                                                                       : read->members };
}

int
incentive_query_read_write (const incentive_query_read_t *read, const char *members, FILE *file,
                            incentive_query_summary_t *summary, char *error, size_t error_size)
{
    assert (read && file);
    incentive_statement_options_t options = s_options (read, false, members);
    incentive_statement_summary_t written;
    if (incentive_statement_write (&read->read.input, read->period, &options, &written, file, error,
                                   error_size) != 0)
        return -1;
    if (summary)
        *summary = (incentive_query_summary_t){ .statement = written, .behind = read->read.behind };
    return 0;
}

char *
incentive_query_statement_with (incentive_query_t *self, const char *rep_id, const char *period,
                                const incentive_record_credit_t *extra, bool as_closed,
                                const char *members_given, incentive_query_summary_t *summary,
                                char *error, size_t error_size)
{
    assert (self && rep_id && period);
    incentive_query_read_t *read =
        incentive_query_read (self, rep_id, period, extra, error, error_size);
    if (!read)
        return NULL;
    char reason[INCENTIVE_STATEMENT_ERROR_SIZE];
    incentive_statement_options_t options = s_options (read, as_closed, members_given);
    incentive_statement_summary_t written;
    char *text = incentive_statement_json_with (&read->read.input, read->period, &options, &written,
                                                reason, sizeof reason);
    if (!text)
        sp_error_set (error, error_size, "%s", reason);
    else if (summary)
        *summary = (incentive_query_summary_t){ .statement = written, .behind = read->read.behind };
    incentive_query_read_destroy (&read);
    return text;
}

int
incentive_query_completeness (incentive_query_t *self, sp_completeness_t **check, char *error,
                              size_t error_size)
{
    assert (self && check);
    *check = sp_completeness_new (INCENTIVE_KEYS_SERVICE, self->partitions, error, error_size);
    if (!*check)
        return -1;
    if (sp_completeness_read (*check, self->pg, self->redis, error, error_size) != 0) {
        sp_completeness_destroy (check);
        return -1;
    }
    return 0;
}

int
incentive_query_completeness_confirm (incentive_query_t *self, sp_completeness_t *check,
                                      char *error, size_t error_size)
{
    assert (self && check);
    return sp_completeness_confirm (check, self->redis, error, error_size);
}

/* ---------------------------------------------------------------- reps */

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
    reply = incentive_query_internal_execute (self, pipeline, error, error_size);
    if (!reply)
        goto out;
    for (size_t partition = 0; partition < sp_redis_reply_size (reply); partition++) {
        const sp_redis_reply_t *names = sp_redis_reply_element (reply, partition);
        for (size_t index = 0; index < sp_redis_reply_size (names); index++) {
            const char *name = sp_redis_reply_text (sp_redis_reply_element (names, index), NULL);
            if (!name)
                continue;
            if (sp_array_reserve ((void **) reps, &capacity, *count + 1, sizeof **reps,
                                  INCENTIVE_QUERY_INTERNAL_INITIAL) != 0)
                goto out_of_memory;
            (*reps)[*count] = strdup (name);
            if (!(*reps)[*count])
                goto out_of_memory;
            (*count)++;
        }
    }
    /* and the org nodes roll-up plans pay (they have no credit of their
       own), and the overlay reps (paid on other reps' deals) */
    for (size_t plan = 0; plan < self->plan_count; plan++) {
        const incentive_plan_t *version = self->plans[plan].plan;
        bool rollup = incentive_plan_rollup (version, NULL);
        size_t named = rollup ? incentive_plan_rep_count (version) : 0;
        size_t overlays = incentive_plan_overlay_count (version);
        for (size_t index = 0; index < named + overlays; index++) {
            if (sp_array_reserve ((void **) reps, &capacity, *count + 1, sizeof **reps,
                                  INCENTIVE_QUERY_INTERNAL_INITIAL) != 0)
                goto out_of_memory;
            (*reps)[*count] =
                strdup (index < named ? incentive_plan_rep (version, index)->id
                                      : incentive_plan_overlay (version, index - named)->rep);
            if (!(*reps)[*count])
                goto out_of_memory;
            (*count)++;
        }
    }
    /* a rep credited in several partitions is named once */
    if (*count > 0)
        qsort (*reps, *count, sizeof **reps, incentive_query_internal_compare_text);
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
