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
#include "sp_consumer_config.h"
#include "sp_error.h"
#include "sp_redis_pipeline.h"

#define S_DECIMAL_MAX 24

struct _kpi_query_t {
    sp_redis_t *redis; /* borrowed */
    uint32_t partitions;
    char currency[SP_CONSUMER_CONFIG_CURRENCY_SIZE];
    char time_zone[SP_TZ_NAME_MAX + 1];
    sp_tz_t *tz;
    kpi_reference_t *reference;
    zhashx_t *cache;      /* "<period>|<through>" -> s_cached_t, when caching */
    zhashx_t *open_cache; /* scope -> s_open_t, when caching and read */
    char **cache_scopes;  /* what the cache reads of a period; NULL: every scope */
    size_t cache_scope_count;
    zlistx_t *open_names; /* the stages of open_cache, in its order */
};

/* Most stages the open pipeline cache holds (beyond: read per scope). */
#define S_OPEN_STAGES_MAX 64

/* One scope's open pipeline by stage, in the order of open_names. */
typedef struct {
    int64_t count[S_OPEN_STAGES_MAX];
    int64_t value[S_OPEN_STAGES_MAX];
    int64_t other[S_OPEN_STAGES_MAX];
} s_open_t;

/* Every scope of one period read at once (kpi_query_cache). */
typedef struct {
    kpi_query_scope_t *scopes;
    size_t count;
    zhashx_t *index; /* scope -> position + 1 */
} s_cached_t;

static void
s_cached_destroy (void **item)
{
    s_cached_t *cached = *item;
    if (!cached)
        return;
    kpi_query_scopes_free (&cached->scopes, cached->count);
    zhashx_destroy (&cached->index);
    free (cached);
    *item = NULL;
}

static void
s_cache_scopes_free (kpi_query_t *self)
{
    for (size_t index = 0; index < self->cache_scope_count; index++)
        free (self->cache_scopes[index]);
    free (self->cache_scopes);
    self->cache_scopes = NULL;
    self->cache_scope_count = 0;
}

void
kpi_query_destroy (kpi_query_t **self_p)
{
    assert (self_p);
    kpi_query_t *self = *self_p;
    if (!self)
        return;
    sp_tz_destroy (&self->tz);
    kpi_reference_destroy (&self->reference);
    zhashx_destroy (&self->cache);
    zhashx_destroy (&self->open_cache);
    zlistx_destroy (&self->open_names);
    s_cache_scopes_free (self);
    free (self);
    *self_p = NULL;
}

kpi_query_t *
kpi_query_new (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions, char *error, size_t error_size)
{
    return kpi_query_new_with (redis, pg, partitions,
                               KPI_REFERENCE_ORG | KPI_REFERENCE_TARGETS | KPI_REFERENCE_SCORECARD,
                               error, error_size);
}

kpi_query_t *
kpi_query_new_with (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions, unsigned mask, char *error,
                    size_t error_size)
{
    assert (redis && pg);
    kpi_query_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->redis = redis;
    self->partitions = partitions;
    if (sp_consumer_config_settings (redis, KPI_KEYS_SERVICE, self->currency, self->time_zone,
                                     sizeof self->time_zone, &self->tz, error, error_size) != 0)
        goto out_failed;
    self->reference = kpi_reference_load (pg, mask, error, error_size);
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
    return sp_period_local_day (self->tz, utc_ms, day);
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

static int
s_open_one (kpi_query_t *self, const char *scope, kpi_query_stage_t **stages, size_t *count,
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

void
kpi_query_touched_free (kpi_query_touched_t **touched, size_t count)
{
    if (!*touched)
        return;
    for (size_t index = 0; index < count; index++)
        free ((*touched)[index].customer);
    free (*touched);
    *touched = NULL;
}

/* True when scope (length bytes) is one of scopes, or a team with
   every_team. */
static bool
s_scope_wanted (const char *scope, size_t length, const char *const *scopes, size_t count,
                bool every_team)
{
    if (every_team && length > 5 && memcmp (scope, "team:", 5) == 0)
        return true;
    for (size_t index = 0; index < count; index++)
        if (strlen (scopes[index]) == length && memcmp (scopes[index], scope, length) == 0)
            return true;
    return false;
}

static int
s_compare_touched (const void *left, const void *right)
{
    const kpi_query_touched_t *a = left;
    const kpi_query_touched_t *b = right;
    if (a->touches != b->touches)
        return a->touches > b->touches ? -1 : 1;
    return strcmp (a->customer, b->customer);
}

/* zhashx destructor of a counter. */
static void
s_free_counter (void **item)
{
    free (*item);
    *item = NULL;
}

int
kpi_query_touched (kpi_query_t *self, const sp_period_t *period, int64_t through,
                   const char *const *scopes, size_t scope_count, bool every_team,
                   kpi_query_touched_t **touched, size_t *count, char *error, size_t error_size)
{
    *touched = NULL;
    *count = 0;
    int64_t first, last;
    if (kpi_query_period_days (self, period, &first, &last) != 0) {
        sp_error_set (error, error_size, "period %s is out of range", period->label);
        return -1;
    }
    if (through < last)
        last = through;
    int rc = -1;
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    zhashx_t *table = zhashx_new ();
    sp_redis_reply_t *reply = NULL;
    if (!pipeline || !table)
        goto out_of_memory;
    zhashx_set_destructor (table, s_free_counter);
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        for (int64_t day = first; day <= last; day++) {
            sp_civil_date_t date = sp_civil_date_from_days (day);
            char label[SP_PERIOD_LABEL_SIZE];
            char key[SP_PARTITION_KEY_MAX];
            snprintf (label, sizeof label, "%04d-%02d-%02d", (int) date.year, date.month, date.day);
            if (kpi_keys_bucket (key, sizeof key, partition, KPI_KEYS_DAY, label) < 0 ||
                sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HGETALL", key }, NULL))
                goto out_of_memory;
        }
    if (sp_redis_pipeline_size (pipeline) > 0) {
        reply = s_execute (self, pipeline, error, error_size);
        if (!reply)
            goto out;
    }
    for (size_t read = 0; reply && read < sp_redis_reply_size (reply); read++) {
        const sp_redis_reply_t *hash = sp_redis_reply_element (reply, read);
        for (size_t index = 0; index + 1 < sp_redis_reply_size (hash); index += 2) {
            size_t length;
            const char *field =
                sp_redis_reply_string (sp_redis_reply_element (hash, index), &length);
            const char *customer;
            size_t customer_length, offset;
            if (!field ||
                kpi_keys_touched_parse (field, length, &customer, &customer_length, &offset) != 0 ||
                !s_scope_wanted (field + offset, length - offset, scopes, scope_count, every_team))
                continue;
            char *name = strndup (customer, customer_length);
            if (!name)
                goto out_of_memory;
            int64_t *counter = zhashx_lookup (table, name);
            if (!counter) {
                counter = calloc (1, sizeof *counter);
                if (!counter || zhashx_insert (table, name, counter) != 0) {
                    free (counter);
                    free (name);
                    goto out_of_memory;
                }
            }
            free (name);
            if (s_add (sp_redis_reply_element (hash, index + 1), counter, error, error_size))
                goto out;
        }
    }
    size_t total = zhashx_size (table);
    *touched = calloc (total ? total : 1, sizeof **touched);
    if (!*touched)
        goto out_of_memory;
    for (int64_t *counter = zhashx_first (table); counter; counter = zhashx_next (table)) {
        (*touched)[*count].customer = strdup ((const char *) zhashx_cursor (table));
        (*touched)[*count].touches = *counter;
        if (!(*touched)[(*count)++].customer)
            goto out_of_memory;
    }
    qsort (*touched, *count, sizeof **touched, s_compare_touched);
    rc = 0;
    goto out;
out_of_memory:
    sp_error_set (error, error_size, "out of memory");
out:
    if (rc != 0)
        kpi_query_touched_free (touched, *count), *count = 0;
    sp_redis_reply_destroy (&reply);
    zhashx_destroy (&table);
    sp_redis_pipeline_destroy (&pipeline);
    return rc;
}

void
kpi_query_cache (kpi_query_t *self, bool on)
{
    if (!on) {
        zhashx_destroy (&self->cache);
        zhashx_destroy (&self->open_cache);
        zlistx_destroy (&self->open_names);
        return;
    }
    if (!self->cache && (self->cache = zhashx_new ()))
        zhashx_set_destructor (self->cache, s_cached_destroy);
}

/* Reads every scope of (period, through) into a cache entry. */
static s_cached_t *
s_cached_read (kpi_query_t *self, const sp_period_t *period, int64_t through, char *error,
               size_t error_size)
{
    s_cached_t *cached = calloc (1, sizeof *cached);
    if (!cached || !(cached->index = zhashx_new ())) {
        free (cached);
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    if (self->cache_scopes) {
        /* only the scopes asked for: HMGET of their fields */
        cached->count = self->cache_scope_count;
        cached->scopes = calloc (cached->count ? cached->count : 1, sizeof *cached->scopes);
        int64_t (*sums)[KPI_MEASURE_COUNT] =
            calloc (cached->count ? cached->count : 1, sizeof *sums);
        bool ok = cached->scopes && sums;
        for (size_t index = 0; ok && index < cached->count; index++)
            ok = (cached->scopes[index].scope = strdup (self->cache_scopes[index])) != NULL;
        if (!ok) {
            free (sums);
            sp_error_set (error, error_size, "out of memory");
            goto out_failed;
        }
        int rc = kpi_query_sums (self, period, through, (const char *const *) self->cache_scopes,
                                 cached->count, sums, error, error_size);
        for (size_t index = 0; rc == 0 && index < cached->count; index++)
            memcpy (cached->scopes[index].sums, sums[index], sizeof sums[index]);
        free (sums);
        if (rc != 0)
            goto out_failed;
    }
    else if (kpi_query_every_scope (self, period, through, &cached->scopes, &cached->count, error,
                                    error_size) != 0)
        goto out_failed;
    for (size_t index = 0; index < cached->count; index++)
        if (zhashx_insert (cached->index, cached->scopes[index].scope,
                           (void *) (uintptr_t) (index + 1)) != 0) {
            sp_error_set (error, error_size, "out of memory");
            goto out_failed;
        }
    return cached;
out_failed : {
    void *item = cached;
    s_cached_destroy (&item);
}
    return NULL;
}

int
kpi_query_scope_sums (kpi_query_t *self, const sp_period_t *period, int64_t through,
                      const char *scope, int64_t *sums, char *error, size_t error_size)
{
    if (!self->cache) {
        int64_t read[1][KPI_MEASURE_COUNT];
        if (kpi_query_sums (self, period, through, &scope, 1, read, error, error_size) != 0)
            return -1;
        memcpy (sums, read[0], sizeof read[0]);
        return 0;
    }
    char key[SP_PERIOD_LABEL_SIZE + 24];
    snprintf (key, sizeof key, "%s|%lld", period->label, (long long) through);
    s_cached_t *cached = zhashx_lookup (self->cache, key);
    if (!cached) {
        cached = s_cached_read (self, period, through, error, error_size);
        if (!cached)
            return -1;
        if (zhashx_insert (self->cache, key, cached) != 0) {
            void *item = cached;
            s_cached_destroy (&item);
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
    }
    uintptr_t position = (uintptr_t) zhashx_lookup (cached->index, scope);
    if (position)
        memcpy (sums, cached->scopes[position - 1].sums, sizeof cached->scopes[0].sums);
    else
        memset (sums, 0, KPI_MEASURE_COUNT * sizeof *sums);
    return 0;
}

/* zhashx destructor of an s_open_t. */
static void
s_open_free (void **item)
{
    free (*item);
    *item = NULL;
}

/* Adds one HGETALL of a stage's open hash to the cache. */
static int
s_open_add (zhashx_t *cache, const sp_redis_reply_t *hash, size_t stage, char *error,
            size_t error_size)
{
    for (size_t index = 0; index + 1 < sp_redis_reply_size (hash); index += 2) {
        size_t length;
        const char *field = sp_redis_reply_string (sp_redis_reply_element (hash, index), &length);
        const char *bar = field ? memchr (field, '|', length) : NULL;
        if (!bar)
            continue;
        size_t name_length = (size_t) (bar - field);
        int64_t *(column[3]);
        s_open_t *open = zhashx_lookup (cache, bar + 1);
        if (!open) {
            open = calloc (1, sizeof *open);
            if (!open || zhashx_insert (cache, bar + 1, open) != 0) {
                free (open);
                sp_error_set (error, error_size, "out of memory");
                return -1;
            }
        }
        column[0] = open->count;
        column[1] = open->value;
        column[2] = open->other;
        const char *names[3] = { KPI_KEYS_OPEN_COUNT, KPI_KEYS_OPEN_VALUE, KPI_KEYS_OPEN_OTHER };
        for (size_t which = 0; which < 3; which++)
            if (strlen (names[which]) == name_length &&
                memcmp (field, names[which], name_length) == 0 &&
                s_add (sp_redis_reply_element (hash, index + 1), &column[which][stage], error,
                       error_size) != 0)
                return -1;
    }
    return 0;
}

/* Reads every scope's open pipeline into the cache; 1 when there are too
   many stages to cache (read per scope then). */
static int
s_open_cache_read (kpi_query_t *self, char *error, size_t error_size)
{
    zlistx_t *names = s_stage_names (self, error, error_size);
    if (!names)
        return -1;
    if (zlistx_size (names) > S_OPEN_STAGES_MAX) {
        zlistx_destroy (&names);
        return 1;
    }
    int rc = -1;
    zhashx_t *cache = zhashx_new ();
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    sp_redis_reply_t *reply = NULL;
    if (!cache || !pipeline) {
        sp_error_set (error, error_size, "out of memory");
        goto out;
    }
    zhashx_set_destructor (cache, s_open_free);
    for (const char *name = zlistx_first (names); name; name = zlistx_next (names))
        for (uint32_t partition = 0; partition < self->partitions; partition++) {
            char key[SP_PARTITION_KEY_MAX];
            if (kpi_keys_open (key, sizeof key, partition, name) < 0)
                snprintf (key, sizeof key, "-"); /* a name too long for a key was never written */
            if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HGETALL", key }, NULL)) {
                sp_error_set (error, error_size, "out of memory");
                goto out;
            }
        }
    if (zlistx_size (names) > 0) {
        reply = s_execute (self, pipeline, error, error_size);
        if (!reply)
            goto out;
    }
    for (size_t read = 0; reply && read < sp_redis_reply_size (reply); read++)
        if (s_open_add (cache, sp_redis_reply_element (reply, read), read / self->partitions, error,
                        error_size) != 0)
            goto out;
    self->open_cache = cache;
    self->open_names = names;
    cache = NULL;
    names = NULL;
    rc = 0;
out:
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    zhashx_destroy (&cache);
    zlistx_destroy (&names);
    return rc;
}

int
kpi_query_open (kpi_query_t *self, const char *scope, kpi_query_stage_t **stages, size_t *count,
                char *error, size_t error_size)
{
    if (!self->cache)
        return s_open_one (self, scope, stages, count, error, error_size);
    if (!self->open_cache) {
        int read = s_open_cache_read (self, error, error_size);
        if (read < 0)
            return -1;
        if (read > 0)
            return s_open_one (self, scope, stages, count, error, error_size);
    }
    *stages = NULL;
    *count = 0;
    const s_open_t *open = zhashx_lookup (self->open_cache, scope);
    size_t total = zlistx_size (self->open_names);
    *stages = calloc (total ? total : 1, sizeof **stages);
    if (!*stages) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    size_t stage = 0;
    for (const char *name = zlistx_first (self->open_names); open && name;
         name = zlistx_next (self->open_names), stage++) {
        if (open->count[stage] == 0)
            continue;
        kpi_query_stage_t *out = &(*stages)[*count];
        out->count = open->count[stage];
        out->value = open->value[stage];
        out->other = open->other[stage];
        out->stage = strdup (name);
        if (!out->stage) {
            kpi_query_stages_free (stages, *count);
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
        (*count)++;
    }
    return 0;
}

int
kpi_query_cache_scopes (kpi_query_t *self, const char *const *scopes, size_t count)
{
    s_cache_scopes_free (self);
    zhashx_destroy (&self->cache);
    if (!(self->cache = zhashx_new ()))
        return -1;
    zhashx_set_destructor (self->cache, s_cached_destroy);
    self->cache_scopes = calloc (count ? count : 1, sizeof *self->cache_scopes);
    if (!self->cache_scopes)
        return -1;
    for (size_t index = 0; index < count; index++) {
        if (!(self->cache_scopes[index] = strdup (scopes[index]))) {
            s_cache_scopes_free (self);
            return -1;
        }
        self->cache_scope_count = index + 1;
    }
    return 0;
}
