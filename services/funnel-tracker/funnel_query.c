/*  funnel_query - reading funnel-tracker's results from Redis (see funnel_query.h). */
#include "funnel_query.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "funnel_keys.h"
#include "funnel_median.h"
#include "sp_error.h"
#include "sp_partition.h"

#define S_QUOTE_SIZE 96       /* a user value quoted in a message */
#define S_COUNTED_SIZE 256    /* the list of counted funnels in a message */
#define S_COUNTED_MAX 64      /* funnels named in that list */
#define S_FIELD_PREFIX_SIZE 8 /* "funnel:" / "version:" */

static const char s_funnel_field[] = "funnel:";
static const char s_version_field[] = "version:";

struct _funnel_query_t {
    sp_redis_t *redis;               /* borrowed connection */
    uint32_t partitions;             /* partition count */
    funnel_definition_t *definition; /* as the service counts with it */
    int64_t version;                 /* its version */
    char *currency;                  /* reporting currency */
    char *time_zone;                 /* the service's time zone */
};

/* ---------------------------------------------------------------- helpers */

/* Reads a decimal int64 (a Redis counter) from text. */
static int
s_integer (const char *text, int64_t *value)
{
    if (!*text)
        return -1;
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll (text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *value = parsed;
    return 0;
}

/* The value of field in an HGETALL reply (borrowed), or NULL. */
static const char *
s_hash_get (const sp_redis_reply_t *hash, const char *field)
{
    for (size_t index = 0; index + 1 < sp_redis_reply_size (hash); index += 2)
        if (sp_redis_reply_type (sp_redis_reply_element (hash, index)) == SP_REDIS_REPLY_STRING &&
            strcmp (sp_redis_reply_string (sp_redis_reply_element (hash, index), NULL), field) ==
                0 &&
            sp_redis_reply_type (sp_redis_reply_element (hash, index + 1)) == SP_REDIS_REPLY_STRING)
            return sp_redis_reply_string (sp_redis_reply_element (hash, index + 1), NULL);
    return NULL;
}

static int
s_compare_strings (const void *left, const void *right)
{
    return strcmp (*(const char *const *) left, *(const char *const *) right);
}

/* Fails with the funnels the service counts (its "funnels" array). */
static void
s_not_counted (const char *funnel, json_t *counted, char *error, size_t error_size)
{
    const char *names[S_COUNTED_MAX] = { NULL };
    size_t count = 0;
    for (size_t index = 0; index < json_array_size (counted) && count < S_COUNTED_MAX; index++)
        if (json_is_string (json_array_get (counted, index)))
            names[count++] = json_string_value (json_array_get (counted, index));
    qsort (names, count, sizeof names[0], s_compare_strings);
    char list[S_COUNTED_SIZE] = "";
    size_t used = 0;
    for (size_t index = 0; index < count && used < sizeof list; index++) {
        int written =
            snprintf (list + used, sizeof list - used, "%s%s", index ? ", " : "", names[index]);
        if (written < 0)
            break;
        used += (size_t) written;
    }
    char quoted[S_QUOTE_SIZE];
    sp_error_quote (funnel, quoted, sizeof quoted);
    sp_error_set (error, error_size, "funnel \"%s\" is not counted by funnel-tracker (counted: %s)",
                  quoted, count ? list : "none");
}

/* Reads the configuration hash into self. */
static int
s_read_config (funnel_query_t *self, const char *funnel, char *error, size_t error_size)
{
    const char *argv[] = { "HGETALL", FUNNEL_KEYS_CONFIG };
    sp_redis_reply_t *reply = sp_redis_command (self->redis, 2, argv, NULL, error, error_size);
    if (!reply)
        return -1;
    int rc = -1;
    json_t *counted = NULL;
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY || sp_redis_reply_size (reply) == 0) {
        sp_error_set (error, error_size,
                      "funnel-tracker has not counted anything yet: \"%s\" is empty",
                      FUNNEL_KEYS_CONFIG);
        goto out_destroy_reply;
    }
    const char *funnels = s_hash_get (reply, "funnels");
    counted = funnels ? json_loads (funnels, 0, NULL) : NULL;
    if (!json_is_array (counted)) {
        sp_error_set (error, error_size, "\"%s\" field \"funnels\" is not a JSON array",
                      FUNNEL_KEYS_CONFIG);
        goto out_destroy_reply;
    }
    bool found = false;
    for (size_t index = 0; index < json_array_size (counted); index++)
        if (json_is_string (json_array_get (counted, index)) &&
            strcmp (json_string_value (json_array_get (counted, index)), funnel) == 0)
            found = true;
    if (!found) {
        s_not_counted (funnel, counted, error, error_size);
        goto out_destroy_reply;
    }
    char field[FUNNEL_DEFINITION_NAME_MAX + S_FIELD_PREFIX_SIZE + 1];
    snprintf (field, sizeof field, "%s%s", s_funnel_field, funnel);
    const char *text = s_hash_get (reply, field);
    if (!text) {
        sp_error_set (error, error_size, "\"%s\" has no field \"%s\"", FUNNEL_KEYS_CONFIG, field);
        goto out_destroy_reply;
    }
    char reason[FUNNEL_DEFINITION_ERROR_SIZE];
    self->definition = funnel_definition_new (text, strlen (text), reason, sizeof reason);
    if (!self->definition) {
        sp_error_set (error, error_size, "the definition of funnel \"%s\" in \"%s\" is invalid: %s",
                      funnel, FUNNEL_KEYS_CONFIG, reason);
        goto out_destroy_reply;
    }
    snprintf (field, sizeof field, "%s%s", s_version_field, funnel);
    text = s_hash_get (reply, field);
    if (!text || s_integer (text, &self->version) != 0 || self->version < 0) {
        sp_error_set (error, error_size, "\"%s\" field \"%s\" is not a version number",
                      FUNNEL_KEYS_CONFIG, field);
        goto out_destroy_reply;
    }
    const char *currency = s_hash_get (reply, "currency");
    const char *time_zone = s_hash_get (reply, "time_zone");
    if (!currency || !time_zone) {
        sp_error_set (error, error_size, "\"%s\" has no field \"%s\"", FUNNEL_KEYS_CONFIG,
                      currency ? "time_zone" : "currency");
        goto out_destroy_reply;
    }
    self->currency = strdup (currency);
    self->time_zone = strdup (time_zone);
    if (!self->currency || !self->time_zone) {
        sp_error_set (error, error_size, "out of memory");
        goto out_destroy_reply;
    }
    rc = 0;

out_destroy_reply:
    json_decref (counted);
    sp_redis_reply_destroy (&reply);
    return rc;
}

/* ---------------------------------------------------------------- life cycle */

funnel_query_t *
funnel_query_new (sp_redis_t *redis, uint32_t partitions, const char *funnel, char *error,
                  size_t error_size)
{
    assert (redis && funnel);
    assert (partitions >= 1 && partitions <= SP_PARTITIONS_MAX);
    funnel_query_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->redis = redis;
    self->partitions = partitions;
    if (s_read_config (self, funnel, error, error_size) != 0)
        funnel_query_destroy (&self);
    return self;
}

void
funnel_query_destroy (funnel_query_t **self_p)
{
    assert (self_p);
    funnel_query_t *self = *self_p;
    if (!self)
        return;
    funnel_definition_destroy (&self->definition);
    free (self->currency);
    free (self->time_zone);
    free (self);
    *self_p = NULL;
}

const funnel_definition_t *
funnel_query_definition (const funnel_query_t *self)
{
    assert (self);
    return self->definition;
}

int64_t
funnel_query_version (const funnel_query_t *self)
{
    assert (self);
    return self->version;
}

const char *
funnel_query_currency (const funnel_query_t *self)
{
    assert (self);
    return self->currency;
}

const char *
funnel_query_time_zone (const funnel_query_t *self)
{
    assert (self);
    return self->time_zone;
}

/* ---------------------------------------------------------------- reading */

/* Checks the scope and that its keys fit. */
static int
s_scope_check (const funnel_query_t *self, const char *scope, char *error, size_t error_size)
{
    funnel_scope_kind_t kind;
    const char *id;
    if (funnel_keys_scope_parse (scope, &kind, &id, error, error_size) != 0)
        return -1;
    char key[FUNNEL_KEYS_SIZE];
    if (funnel_keys_distribution (key, sizeof key, self->partitions - 1,
                                  funnel_definition_name (self->definition), scope, "0000-00",
                                  FUNNEL_DISTRIBUTION_DURATION, FUNNEL_STEPS_MAX) < 0) {
        char quoted[S_QUOTE_SIZE];
        sp_error_quote (scope, quoted, sizeof quoted);
        sp_error_set (error, error_size, "invalid scope \"%s\": too long for a key", quoted);
        return -1;
    }
    return 0;
}

/* The months of period: for "all", the union of the months sets. */
static int
s_months (funnel_query_t *self, const char *period, funnel_report_months_t *months, char *error,
          size_t error_size)
{
    if (strcmp (period, "all") != 0)
        return funnel_report_period_months (period, NULL, 0, months, error, error_size);
    int rc = -1;
    const char *funnel = funnel_definition_name (self->definition);
    sp_redis_reply_t *reply = NULL;
    const char **known = NULL;
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    if (!pipeline)
        goto out_no_memory;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        char key[FUNNEL_KEYS_SIZE];
        funnel_keys_months (key, sizeof key, partition, funnel);
        if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "SMEMBERS", key }, NULL) != 0)
            goto out_no_memory;
    }
    reply = sp_redis_execute (self->redis, pipeline, error, error_size);
    if (!reply)
        goto out_destroy;
    size_t total = 0;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        const sp_redis_reply_t *set = sp_redis_reply_element (reply, partition);
        if (sp_redis_reply_type (set) != SP_REDIS_REPLY_ARRAY) {
            sp_error_set (error, error_size, "the months set of partition %u is not a set: %s",
                          partition,
                          sp_redis_reply_type (set) == SP_REDIS_REPLY_ERROR
                              ? sp_redis_reply_string (set, NULL)
                              : "unexpected reply");
            goto out_destroy;
        }
        total += sp_redis_reply_size (set);
    }
    known = calloc (total ? total : 1, sizeof *known);
    if (!known)
        goto out_no_memory;
    size_t count = 0;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        const sp_redis_reply_t *set = sp_redis_reply_element (reply, partition);
        for (size_t index = 0; index < sp_redis_reply_size (set); index++)
            if (sp_redis_reply_type (sp_redis_reply_element (set, index)) == SP_REDIS_REPLY_STRING)
                known[count++] = sp_redis_reply_string (sp_redis_reply_element (set, index), NULL);
    }
    rc = funnel_report_period_months (period, known, count, months, error, error_size);
    goto out_destroy;

out_no_memory:
    sp_error_set (error, error_size, "out of memory");
out_destroy:
    free (known);
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    return rc;
}

/* Adds value to *sum, refusing an overflow. */
static int
s_add (int64_t *sum, int64_t value, const char *field, const char *key, char *error,
       size_t error_size)
{
    if (__builtin_add_overflow (*sum, value, sum)) {
        sp_error_set (error, error_size, "the sum of field \"%s\" overflows at \"%s\"", field, key);
        return -1;
    }
    return 0;
}

/* Adds one field of a month or open hash to the sums: step fields
   "<name>:<k>" go to steps[name][k - 1], the others to plain[name]. */
typedef struct {
    const char *name; /* field name, or its prefix before ":<k>" */
    bool per_step;    /* "<name>:<k>" with k in 1..step count */
    bool count;       /* a count: never negative */
    int64_t *sum;     /* plain field: its sum; per step: [step count] sums */
} s_field_t;

/* Adds the fields of one HGETALL reply of key into the sums fields say. */
static int
s_add_hash (const sp_redis_reply_t *hash, const char *key, const s_field_t *fields,
            size_t field_count, size_t step_count, char *error, size_t error_size)
{
    if (sp_redis_reply_type (hash) != SP_REDIS_REPLY_ARRAY) {
        sp_error_set (error, error_size, "could not read hash \"%s\": %s", key,
                      sp_redis_reply_type (hash) == SP_REDIS_REPLY_ERROR
                          ? sp_redis_reply_string (hash, NULL)
                          : "unexpected reply");
        return -1;
    }
    for (size_t index = 0; index + 1 < sp_redis_reply_size (hash); index += 2) {
        const sp_redis_reply_t *name_reply = sp_redis_reply_element (hash, index);
        const sp_redis_reply_t *value_reply = sp_redis_reply_element (hash, index + 1);
        if (sp_redis_reply_type (name_reply) != SP_REDIS_REPLY_STRING ||
            sp_redis_reply_type (value_reply) != SP_REDIS_REPLY_STRING)
            continue;
        const char *name = sp_redis_reply_string (name_reply, NULL);
        const char *colon = strchr (name, ':');
        size_t name_length = colon ? (size_t) (colon - name) : strlen (name);
        for (size_t which = 0; which < field_count; which++) {
            const s_field_t *field = &fields[which];
            if (strlen (field->name) != name_length ||
                strncmp (field->name, name, name_length) != 0 || field->per_step != (colon != NULL))
                continue;
            int64_t *sum = field->sum;
            if (colon) {
                int64_t step = 0;
                if (s_integer (colon + 1, &step) != 0 || step < 1 || (size_t) step > step_count)
                    break; /* a step this definition does not have: not ours to sum */
                sum = &field->sum[step - 1];
            }
            const char *text = sp_redis_reply_string (value_reply, NULL);
            int64_t value = 0;
            if (s_integer (text, &value) != 0 || (field->count && value < 0)) {
                sp_error_set (error, error_size, "field \"%s\" of \"%s\" holds \"%s\", not %s",
                              name, key, text, field->count ? "a count" : "an integer");
                return -1;
            }
            if (s_add (sum, value, name, key, error, error_size) != 0)
                return -1;
            break;
        }
    }
    return 0;
}

/* Sums of one funnel × scope × months, as int64 while adding. */
typedef struct {
    int64_t reached[FUNNEL_STEPS_MAX];
    int64_t duration_sum[FUNNEL_STEPS_MAX];
    int64_t won, lost, won_amount_sum, won_other_currency, cycle_sum;
} s_sums_t;

/* Reads and adds every partition × month hash. */
static int
s_read_sums (funnel_query_t *self, const char *scope, const funnel_report_months_t *months,
             s_sums_t *sums, char *error, size_t error_size)
{
    const s_field_t fields[] = {
        { "reached", true, true, sums->reached },
        { "duration_sum", true, false, sums->duration_sum },
        { "won", false, true, &sums->won },
        { "lost", false, true, &sums->lost },
        { "won_amount_sum", false, false, &sums->won_amount_sum },
        { "won_other_currency", false, true, &sums->won_other_currency },
        { "cycle_sum", false, false, &sums->cycle_sum },
    };
    memset (sums, 0, sizeof *sums);
    if (months->count == 0)
        return 0;
    const char *funnel = funnel_definition_name (self->definition);
    size_t step_count = funnel_definition_step_count (self->definition);
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    if (!pipeline) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    int rc = -1;
    sp_redis_reply_t *reply = NULL;
    char key[FUNNEL_KEYS_SIZE];
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        for (size_t month = 0; month < months->count; month++) {
            funnel_keys_month (key, sizeof key, partition, funnel, scope, months->month[month]);
            if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HGETALL", key }, NULL) !=
                0) {
                sp_error_set (error, error_size, "out of memory");
                goto out_destroy;
            }
        }
    reply = sp_redis_execute (self->redis, pipeline, error, error_size);
    if (!reply)
        goto out_destroy;
    size_t at = 0;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        for (size_t month = 0; month < months->count; month++, at++) {
            funnel_keys_month (key, sizeof key, partition, funnel, scope, months->month[month]);
            if (s_add_hash (sp_redis_reply_element (reply, at), key, fields,
                            sizeof fields / sizeof fields[0], step_count, error, error_size) != 0)
                goto out_destroy;
        }
    rc = 0;

out_destroy:
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    return rc;
}

/* Finds the medians: groups 0 .. step count - 1 are the durations into
   step k = group + 1 (group 0 unused), then the cycle and the amount. */
static int
s_read_medians (funnel_query_t *self, const char *scope, const funnel_report_months_t *months,
                bool durations, funnel_report_totals_t *totals, char *error, size_t error_size)
{
    size_t step_count = funnel_definition_step_count (self->definition);
    bool pipeline_mode = funnel_definition_mode (self->definition) == FUNNEL_STEPS_MODE_PIPELINE;
    size_t cycle_group = step_count;
    size_t amount_group = step_count + 1;
    funnel_report_value_t medians[FUNNEL_STEPS_MAX + 2];
    memset (medians, 0, sizeof medians);
    funnel_median_t *median = funnel_median_new (step_count + 2);
    if (!median) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    const char *funnel = funnel_definition_name (self->definition);
    char key[FUNNEL_KEYS_SIZE];
    int rc = -1;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        for (size_t month = 0; month < months->count; month++) {
            const char *label = months->month[month];
            for (size_t step = 2; durations && step <= step_count; step++) {
                funnel_keys_distribution (key, sizeof key, partition, funnel, scope, label,
                                          FUNNEL_DISTRIBUTION_DURATION, step);
                if (funnel_median_add (median, step - 1, key) != 0)
                    goto out_no_memory;
            }
            if (!pipeline_mode)
                continue;
            funnel_keys_distribution (key, sizeof key, partition, funnel, scope, label,
                                      FUNNEL_DISTRIBUTION_CYCLE, 0);
            if (funnel_median_add (median, cycle_group, key) != 0)
                goto out_no_memory;
            funnel_keys_distribution (key, sizeof key, partition, funnel, scope, label,
                                      FUNNEL_DISTRIBUTION_AMOUNT, 0);
            if (funnel_median_add (median, amount_group, key) != 0)
                goto out_no_memory;
        }
    uint64_t members[FUNNEL_STEPS_MAX + 2] = { 0 };
    if (funnel_median_run (median, self->redis, medians, members, error, error_size) != 0)
        goto out_destroy;
    for (size_t step = 2; step <= step_count; step++) {
        totals->duration_median[step - 1] = medians[step - 1];
        totals->duration_count[step - 1] = members[step - 1]; /* one member per entity */
    }
    totals->cycle_median = medians[cycle_group];
    totals->cycle_count = members[cycle_group]; /* one member per timed entity */
    totals->won_amount_count = members[amount_group];
    totals->won_amount_median = medians[amount_group];
    rc = 0;
    goto out_destroy;

out_no_memory:
    sp_error_set (error, error_size, "out of memory");
out_destroy:
    funnel_median_destroy (&median);
    return rc;
}

int
funnel_query_totals (funnel_query_t *self, const char *scope, const char *period, bool durations,
                     funnel_report_months_t *months, funnel_report_totals_t *totals, char *error,
                     size_t error_size)
{
    assert (self && scope && period && months && totals);
    funnel_report_months_clear (months);
    if (s_scope_check (self, scope, error, error_size) != 0 ||
        funnel_report_period_check (period, error, error_size) != 0 ||
        s_months (self, period, months, error, error_size) != 0)
        return -1;
    s_sums_t sums;
    if (s_read_sums (self, scope, months, &sums, error, error_size) != 0)
        return -1;
    memset (totals, 0, sizeof *totals);
    for (size_t step = 0; step < FUNNEL_STEPS_MAX; step++) {
        totals->reached[step] = (uint64_t) sums.reached[step];
        totals->duration_sum[step] = sums.duration_sum[step];
    }
    totals->won = (uint64_t) sums.won;
    totals->lost = (uint64_t) sums.lost;
    totals->won_amount_sum = sums.won_amount_sum;
    totals->won_other_currency = (uint64_t) sums.won_other_currency;
    totals->cycle_sum = sums.cycle_sum;
    return s_read_medians (self, scope, months, durations, totals, error, error_size);
}

int
funnel_query_open_pipeline (funnel_query_t *self, const char *scope, funnel_report_open_t *open,
                            char *error, size_t error_size)
{
    assert (self && scope && open);
    if (s_scope_check (self, scope, error, error_size) != 0)
        return -1;
    int64_t count[FUNNEL_STEPS_MAX] = { 0 };
    int64_t other_currency[FUNNEL_STEPS_MAX] = { 0 };
    funnel_report_open_t sums;
    memset (&sums, 0, sizeof sums);
    const s_field_t fields[] = {
        { "count", true, true, count },
        { "value", true, false, sums.value },
        { "other_currency", true, true, other_currency },
    };
    const char *funnel = funnel_definition_name (self->definition);
    size_t step_count = funnel_definition_step_count (self->definition);
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    if (!pipeline) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    int rc = -1;
    sp_redis_reply_t *reply = NULL;
    char key[FUNNEL_KEYS_SIZE];
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        funnel_keys_open (key, sizeof key, partition, funnel, scope);
        if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HGETALL", key }, NULL) != 0) {
            sp_error_set (error, error_size, "out of memory");
            goto out_destroy;
        }
    }
    reply = sp_redis_execute (self->redis, pipeline, error, error_size);
    if (!reply)
        goto out_destroy;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        funnel_keys_open (key, sizeof key, partition, funnel, scope);
        if (s_add_hash (sp_redis_reply_element (reply, partition), key, fields,
                        sizeof fields / sizeof fields[0], step_count, error, error_size) != 0)
            goto out_destroy;
    }
    int64_t value_total = 0, weighted_total = 0; /* the report's totals must fit too */
    for (size_t step = 0; step < FUNNEL_STEPS_MAX; step++) {
        sums.count[step] = (uint64_t) count[step];
        sums.other_currency[step] = (uint64_t) other_currency[step];
        /* every open entity at a step has that step's probability */
        uint32_t probability =
            step < step_count ? funnel_definition_step (self->definition, step)->probability_bp : 0;
        if (__builtin_mul_overflow (sums.value[step], (int64_t) probability,
                                    &sums.weighted_bp[step]) ||
            __builtin_add_overflow (value_total, sums.value[step], &value_total) ||
            __builtin_add_overflow (weighted_total, sums.weighted_bp[step], &weighted_total)) {
            sp_error_set (error, error_size,
                          "the open value of scope \"%s\" up to step %zu overflows 64 bits", scope,
                          step + 1);
            goto out_destroy;
        }
    }
    *open = sums;
    rc = 0;

out_destroy:
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    return rc;
}
