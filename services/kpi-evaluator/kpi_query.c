/*  kpi_query - reads kpi-evaluator's measures back from Redis (see
    kpi_query.h). */
#include "kpi_query.h"

#include <assert.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_keys.h"
#include "sp_civil.h"
#include "sp_error.h"
#include "sp_redis_pipeline.h"

#define S_CURRENCY_SIZE 4
#define S_DECIMAL_MAX 24

struct _kpi_query_t {
    sp_redis_t *redis; /* borrowed */
    uint32_t partitions;
    char currency[S_CURRENCY_SIZE];
    char time_zone[SP_TZ_NAME_MAX + 1];
    sp_tz_t *tz;
    kpi_reference_t *reference;
};

void
kpi_query_destroy (kpi_query_t **self_p)
{
    assert (self_p);
    kpi_query_t *self = *self_p;
    if (!self)
        return;
    sp_tz_destroy (&self->tz);
    kpi_reference_destroy (&self->reference);
    free (self);
    *self_p = NULL;
}

/* Reads currency and time_zone from the config record. */
static int
s_read_config (kpi_query_t *self, char *error, size_t error_size)
{
    char reason[KPI_QUERY_ERROR_SIZE];
    const char *argv[] = { "HMGET", KPI_KEYS_CONFIG, "currency", "time_zone" };
    sp_redis_reply_t *reply = sp_redis_command (self->redis, 4, argv, NULL, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not read %s: %s", KPI_KEYS_CONFIG, reason);
        return -1;
    }
    int rc = -1;
    const char *currency = sp_redis_reply_size (reply) == 2
                               ? sp_redis_reply_string (sp_redis_reply_element (reply, 0), NULL)
                               : NULL;
    const char *time_zone = sp_redis_reply_size (reply) == 2
                                ? sp_redis_reply_string (sp_redis_reply_element (reply, 1), NULL)
                                : NULL;
    if (!currency || !time_zone)
        sp_error_set (error, error_size,
                      "%s holds no currency and time zone: kpi-evaluator has not counted "
                      "anything here yet (is it running against this Redis?)",
                      KPI_KEYS_CONFIG);
    else if (strlen (currency) != S_CURRENCY_SIZE - 1 || strlen (time_zone) > SP_TZ_NAME_MAX)
        sp_error_set (error, error_size, "%s holds a malformed currency or time zone",
                      KPI_KEYS_CONFIG);
    else {
        memcpy (self->currency, currency, S_CURRENCY_SIZE);
        snprintf (self->time_zone, sizeof self->time_zone, "%s", time_zone);
        rc = 0;
    }
    sp_redis_reply_destroy (&reply);
    return rc;
}

kpi_query_t *
kpi_query_new (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions, char *error, size_t error_size)
{
    assert (redis && pg);
    kpi_query_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->redis = redis;
    self->partitions = partitions;
    char reason[KPI_QUERY_ERROR_SIZE];
    if (s_read_config (self, error, error_size) != 0)
        goto out_failed;
    self->tz = sp_tz_new (self->time_zone, reason, sizeof reason);
    if (!self->tz) {
        sp_error_set (error, error_size, "time zone of %s: %s", KPI_KEYS_CONFIG, reason);
        goto out_failed;
    }
    self->reference =
        kpi_reference_load (pg, KPI_REFERENCE_ALL | KPI_REFERENCE_HISTORY, error, error_size);
    if (!self->reference)
        goto out_failed;
    return self;
out_failed:
    kpi_query_destroy (&self);
    return NULL;
}

const char *
kpi_query_currency (const kpi_query_t *self)
{
    return self->currency;
}

const char *
kpi_query_time_zone (const kpi_query_t *self)
{
    return self->time_zone;
}

const sp_tz_t *
kpi_query_tz (const kpi_query_t *self)
{
    return self->tz;
}

const kpi_reference_t *
kpi_query_reference (const kpi_query_t *self)
{
    return self->reference;
}

int
kpi_query_day (const kpi_query_t *self, int64_t utc_ms, int64_t *day)
{
    sp_period_t period;
    int year, month, mday;
    if (sp_period_cut (self->tz, SP_PERIOD_DAY, utc_ms, &period) != 0 ||
        sscanf (period.label, "%d-%d-%d", &year, &month, &mday) != 3)
        return -1;
    *day = sp_civil_days_from_date (year, month, mday);
    return 0;
}

int
kpi_query_period_days (const kpi_query_t *self, const sp_period_t *period, int64_t *first,
                       int64_t *last)
{
    int64_t end;
    if (kpi_query_day (self, period->start_ms, first) != 0 ||
        kpi_query_day (self, period->end_ms, &end) != 0)
        return -1;
    *last = end - 1;
    return 0;
}

/* ---------------------------------------------------------------- buckets */

/* The bucket keys' suffixes of days first..last: whole months as months,
   the rest as days. Appends "<kind>:<label>" strings to buckets. */
static int
s_buckets (int64_t first, int64_t last, zlistx_t *buckets)
{
    for (int64_t day = first; day <= last;) {
        sp_civil_date_t date = sp_civil_date_from_days (day);
        int month_days = sp_civil_days_in_month (date.year, date.month);
        char label[SP_PERIOD_LABEL_SIZE + 2];
        if (date.day == 1 && day + month_days - 1 <= last) {
            snprintf (label, sizeof label, "%c%04d-%02d", KPI_KEYS_MONTH, (int) date.year,
                      date.month);
            day += month_days;
        }
        else {
            snprintf (label, sizeof label, "%c%04d-%02d-%02d", KPI_KEYS_DAY, (int) date.year,
                      date.month, date.day);
            day++;
        }
        if (!zlistx_add_end (buckets, label))
            return -1;
    }
    return 0;
}

/* The buckets of period up to through. */
static zlistx_t *
s_period_buckets (kpi_query_t *self, const sp_period_t *period, int64_t through, char *error,
                  size_t error_size)
{
    int64_t first, last;
    if (kpi_query_period_days (self, period, &first, &last) != 0) {
        sp_error_set (error, error_size, "period %s is out of range", period->label);
        return NULL;
    }
    if (through < last)
        last = through;
    zlistx_t *buckets = zlistx_new ();
    if (!buckets) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    zlistx_set_duplicator (buckets, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (buckets, (zlistx_destructor_fn *) zstr_free);
    if (s_buckets (first, last, buckets) != 0) {
        zlistx_destroy (&buckets);
        sp_error_set (error, error_size, "out of memory");
    }
    return buckets;
}

/* Adds a reply's value (a decimal string or nil) to *sum. */
static int
s_add (const sp_redis_reply_t *reply, int64_t *sum, char *error, size_t error_size)
{
    if (sp_redis_reply_type (reply) == SP_REDIS_REPLY_NIL)
        return 0;
    size_t length;
    const char *text = sp_redis_reply_string (reply, &length);
    char *end = NULL;
    long long value = text && length < S_DECIMAL_MAX ? strtoll (text, &end, 10) : 0;
    if (!text || end != text + length || length == 0) {
        sp_error_set (error, error_size, "a measure holds \"%.*s\", not an integer",
                      (int) (text ? length : 0), text ? text : "");
        return -1;
    }
    if (__builtin_add_overflow (*sum, (int64_t) value, sum)) {
        sp_error_set (error, error_size, "a sum of measures leaves int64");
        return -1;
    }
    return 0;
}

/* Runs pipeline; NULL with the reason. */
static sp_redis_reply_t *
s_execute (kpi_query_t *self, const sp_redis_pipeline_t *pipeline, char *error, size_t error_size)
{
    char reason[KPI_QUERY_ERROR_SIZE];
    sp_redis_reply_t *reply = sp_redis_execute (self->redis, pipeline, reason, sizeof reason);
    if (!reply)
        sp_error_set (error, error_size, "could not read the KPI measures: %s", reason);
    return reply;
}

/* Appends one read per partition × bucket: argv[0] command, argv[1] the
   key (filled here), then extra arguments. */
static int
s_append_reads (kpi_query_t *self, sp_redis_pipeline_t *pipeline, zlistx_t *buckets,
                const char **argv, int argc)
{
    char key[SP_PARTITION_KEY_MAX];
    const char *saved = argv[1];
    argv[1] = key;
    int rc = 0;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        for (const char *bucket = zlistx_first (buckets); bucket; bucket = zlistx_next (buckets)) {
            if (rc == 0 &&
                (kpi_keys_bucket (key, sizeof key, partition, bucket[0], bucket + 1) < 0 ||
                 sp_redis_pipeline_append (pipeline, argc, argv, NULL) != 0))
                rc = -1;
        }
    argv[1] = saved; /* the key was copied by the pipeline */
    return rc;
}

int
kpi_query_sums (kpi_query_t *self, const sp_period_t *period, int64_t through,
                const char *const *scopes, size_t count, int64_t (*sums)[KPI_MEASURE_COUNT],
                char *error, size_t error_size)
{
    memset (sums, 0, count * sizeof *sums);
    zlistx_t *buckets = s_period_buckets (self, period, through, error, error_size);
    if (!buckets)
        return -1;
    int rc = -1;
    size_t fields = count * KPI_MEASURE_COUNT;
    const char **argv = calloc (fields + 2, sizeof *argv);
    char (*names)[KPI_KEYS_FIELD_MAX] = calloc (fields, sizeof *names);
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    sp_redis_reply_t *reply = NULL;
    if (!argv || !names || !pipeline) {
        sp_error_set (error, error_size, "out of memory");
        goto out;
    }
    argv[0] = "HMGET";
    for (size_t scope = 0; scope < count; scope++)
        for (size_t measure = 0; measure < KPI_MEASURE_COUNT; measure++) {
            size_t index = scope * KPI_MEASURE_COUNT + measure;
            if (kpi_keys_field (names[index], sizeof names[index], (kpi_measure_t) measure,
                                scopes[scope]) < 0) {
                sp_error_set (error, error_size, "scope \"%.64s\" is too long", scopes[scope]);
                goto out;
            }
            argv[2 + index] = names[index];
        }
    if (zlistx_size (buckets) == 0) {
        rc = 0;
        goto out;
    }
    if (s_append_reads (self, pipeline, buckets, argv, (int) (fields + 2)) != 0) {
        sp_error_set (error, error_size, "out of memory");
        goto out;
    }
    reply = s_execute (self, pipeline, error, error_size);
    if (!reply)
        goto out;
    for (size_t read = 0; read < sp_redis_reply_size (reply); read++) {
        const sp_redis_reply_t *values = sp_redis_reply_element (reply, read);
        if (sp_redis_reply_type (values) != SP_REDIS_REPLY_ARRAY ||
            sp_redis_reply_size (values) != fields) {
            sp_error_set (error, error_size, "unexpected reply reading the KPI measures");
            goto out;
        }
        for (size_t index = 0; index < fields; index++)
            if (s_add (sp_redis_reply_element (values, index),
                       &sums[index / KPI_MEASURE_COUNT][index % KPI_MEASURE_COUNT], error,
                       error_size) != 0)
                goto out;
    }
    rc = 0;
out:
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    free (names);
    free (argv);
    zlistx_destroy (&buckets);
    return rc;
}

void
kpi_query_scopes_free (kpi_query_scope_t **scopes, size_t count)
{
    if (!*scopes)
        return;
    for (size_t index = 0; index < count; index++)
        free ((*scopes)[index].scope);
    free (*scopes);
    *scopes = NULL;
}

/* Adds one HGETALL reply's fields to the scopes table. */
static int
s_add_hash (const sp_redis_reply_t *hash, zhashx_t *table, kpi_query_scope_t **scopes,
            size_t *count, size_t *capacity, char *error, size_t error_size)
{
    for (size_t index = 0; index + 1 < sp_redis_reply_size (hash); index += 2) {
        size_t length;
        const char *field = sp_redis_reply_string (sp_redis_reply_element (hash, index), &length);
        kpi_measure_t measure;
        size_t offset;
        if (!field || kpi_keys_field_parse (field, length, &measure, &offset) != 0)
            continue; /* not a measure of this version: left alone */
        const char *scope = field + offset;
        void *found = zhashx_lookup (table, scope);
        size_t slot;
        if (found)
            slot = (size_t) (uintptr_t) found - 1;
        else {
            if (*count == *capacity) {
                size_t grown = *capacity ? 2 * *capacity : 64;
                kpi_query_scope_t *bigger = realloc (*scopes, grown * sizeof *bigger);
                if (!bigger)
                    goto out_of_memory;
                *scopes = bigger;
                *capacity = grown;
            }
            slot = (*count)++;
            memset (&(*scopes)[slot], 0, sizeof (*scopes)[slot]);
            (*scopes)[slot].scope = strdup (scope);
            if (!(*scopes)[slot].scope ||
                zhashx_insert (table, scope, (void *) (uintptr_t) (slot + 1)) != 0)
                goto out_of_memory;
        }
        if (s_add (sp_redis_reply_element (hash, index + 1), &(*scopes)[slot].sums[measure], error,
                   error_size) != 0)
            return -1;
    }
    return 0;
out_of_memory:
    sp_error_set (error, error_size, "out of memory");
    return -1;
}

int
kpi_query_every_scope (kpi_query_t *self, const sp_period_t *period, int64_t through,
                       kpi_query_scope_t **scopes, size_t *count, char *error, size_t error_size)
{
    *scopes = NULL;
    *count = 0;
    zlistx_t *buckets = s_period_buckets (self, period, through, error, error_size);
    if (!buckets)
        return -1;
    int rc = -1;
    size_t capacity = 0;
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    zhashx_t *table = zhashx_new ();
    sp_redis_reply_t *reply = NULL;
    const char *argv[2] = { "HGETALL", NULL };
    if (!pipeline || !table ||
        (zlistx_size (buckets) > 0 && s_append_reads (self, pipeline, buckets, argv, 2) != 0)) {
        sp_error_set (error, error_size, "out of memory");
        goto out;
    }
    if (zlistx_size (buckets) > 0) {
        reply = s_execute (self, pipeline, error, error_size);
        if (!reply)
            goto out;
        for (size_t read = 0; read < sp_redis_reply_size (reply); read++) {
            const sp_redis_reply_t *hash = sp_redis_reply_element (reply, read);
            if (sp_redis_reply_type (hash) != SP_REDIS_REPLY_ARRAY) {
                sp_error_set (error, error_size, "unexpected reply reading the KPI measures");
                goto out;
            }
            if (s_add_hash (hash, table, scopes, count, &capacity, error, error_size) != 0)
                goto out;
        }
    }
    rc = 0;
out:
    if (rc != 0)
        kpi_query_scopes_free (scopes, *count), *count = 0;
    zhashx_destroy (&table);
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    zlistx_destroy (&buckets);
    return rc;
}

void
kpi_query_stages_free (kpi_query_stage_t **stages, size_t count)
{
    if (!*stages)
        return;
    for (size_t index = 0; index < count; index++)
        free ((*stages)[index].stage);
    free (*stages);
    *stages = NULL;
}

/* The union of every partition's stage names, sorted. */
static zlistx_t *
s_stage_names (kpi_query_t *self, char *error, size_t error_size)
{
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    zlistx_t *names = zlistx_new ();
    sp_redis_reply_t *reply = NULL;
    if (!pipeline || !names)
        goto out_of_memory;
    zlistx_set_duplicator (names, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_comparator (names, (zlistx_comparator_fn *) strcmp);
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        char key[SP_PARTITION_KEY_MAX];
        if (kpi_keys_stages (key, sizeof key, partition) < 0 ||
            sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "SMEMBERS", key }, NULL) != 0)
            goto out_of_memory;
    }
    reply = s_execute (self, pipeline, error, error_size);
    if (!reply)
        goto out_failed;
    for (size_t read = 0; read < sp_redis_reply_size (reply); read++) {
        const sp_redis_reply_t *members = sp_redis_reply_element (reply, read);
        for (size_t index = 0; index < sp_redis_reply_size (members); index++) {
            const char *name =
                sp_redis_reply_string (sp_redis_reply_element (members, index), NULL);
            if (name && !zlistx_find (names, (void *) name) &&
                !zlistx_insert (names, (void *) name, true))
                goto out_of_memory;
        }
    }
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    return names;
out_of_memory:
    sp_error_set (error, error_size, "out of memory");
out_failed:
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    zlistx_destroy (&names);
    return NULL;
}

int
kpi_query_open (kpi_query_t *self, const char *scope, kpi_query_stage_t **stages, size_t *count,
                char *error, size_t error_size)
{
    *stages = NULL;
    *count = 0;
    zlistx_t *names = s_stage_names (self, error, error_size);
    if (!names)
        return -1;
    int rc = -1;
    size_t total = zlistx_size (names);
    char fields[3][KPI_KEYS_FIELD_MAX];
    const char *field_names[3] = { KPI_KEYS_OPEN_COUNT, KPI_KEYS_OPEN_VALUE, KPI_KEYS_OPEN_OTHER };
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    sp_redis_reply_t *reply = NULL;
    *stages = calloc (total ? total : 1, sizeof **stages);
    if (!pipeline || !*stages)
        goto out_of_memory;
    for (size_t index = 0; index < 3; index++)
        if (kpi_keys_open_field (fields[index], sizeof fields[index], field_names[index], scope) <
            0) {
            sp_error_set (error, error_size, "scope \"%.64s\" is too long", scope);
            goto out;
        }
    for (const char *name = zlistx_first (names); name; name = zlistx_next (names))
        for (uint32_t partition = 0; partition < self->partitions; partition++) {
            char key[SP_PARTITION_KEY_MAX];
            if (kpi_keys_open (key, sizeof key, partition, name) < 0)
                continue; /* a stage name too long for a key was never written */
            if (sp_redis_pipeline_append (
                    pipeline, 5, (const char *[]){ "HMGET", key, fields[0], fields[1], fields[2] },
                    NULL) != 0)
                goto out_of_memory;
        }
    if (total > 0) {
        reply = s_execute (self, pipeline, error, error_size);
        if (!reply)
            goto out;
    }
    size_t read = 0;
    for (const char *name = zlistx_first (names); name; name = zlistx_next (names)) {
        kpi_query_stage_t *stage = &(*stages)[*count];
        memset (stage, 0, sizeof *stage);
        for (uint32_t partition = 0; partition < self->partitions; partition++) {
            char key[SP_PARTITION_KEY_MAX];
            if (kpi_keys_open (key, sizeof key, partition, name) < 0)
                continue;
            const sp_redis_reply_t *values = sp_redis_reply_element (reply, read++);
            if (!values || sp_redis_reply_size (values) != 3) {
                sp_error_set (error, error_size, "unexpected reply reading the open pipeline");
                goto out;
            }
            if (s_add (sp_redis_reply_element (values, 0), &stage->count, error, error_size) ||
                s_add (sp_redis_reply_element (values, 1), &stage->value, error, error_size) ||
                s_add (sp_redis_reply_element (values, 2), &stage->other, error, error_size))
                goto out;
        }
        if (stage->count == 0)
            continue;
        stage->stage = strdup (name);
        if (!stage->stage)
            goto out_of_memory;
        (*count)++;
    }
    rc = 0;
    goto out;
out_of_memory:
    sp_error_set (error, error_size, "out of memory");
out:
    if (rc != 0)
        kpi_query_stages_free (stages, *count), *count = 0;
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    zlistx_destroy (&names);
    return rc;
}
