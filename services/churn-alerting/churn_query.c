/*  churn_query - reads churn-alerting's state back and explains a
    customer's health score (see churn_query.h). */
#include "churn_query.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "churn_keys.h"
#include "sp_civil.h"
#include "sp_consumer_config.h"
#include "sp_error.h"
#include "sp_partition.h"
#include "sp_period.h"

#define S_BP CHURN_MODEL_BASIS_POINTS

struct _churn_query_t {
    sp_redis_t *redis; /* borrowed */
    uint32_t partitions;
    char currency[SP_CONSUMER_CONFIG_CURRENCY_SIZE];
    char time_zone[SP_TZ_NAME_MAX + 1];
    sp_tz_t *tz;
    churn_reference_t *reference;
    churn_population_t *population; /* of the partition read last, NULL before */
};

void
churn_query_destroy (churn_query_t **self_p)
{
    assert (self_p);
    churn_query_t *self = *self_p;
    if (!self)
        return;
    sp_tz_destroy (&self->tz);
    churn_reference_destroy (&self->reference);
    churn_population_destroy (&self->population);
    free (self);
    *self_p = NULL;
}

churn_query_t *
churn_query_new (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions, char *error,
                 size_t error_size)
{
    assert (redis && pg && partitions >= 1 && partitions <= SP_PARTITIONS_MAX);
    churn_query_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->redis = redis;
    self->partitions = partitions;
    if (sp_consumer_config_settings (redis, CHURN_KEYS_SERVICE, self->currency, self->time_zone,
                                     sizeof self->time_zone, &self->tz, error, error_size) != 0)
        goto out_failed;
    self->reference = churn_reference_load (pg, error, error_size);
    if (!self->reference)
        goto out_failed;
    return self;
out_failed:
    churn_query_destroy (&self);
    return NULL;
}

const char *
churn_query_currency (const churn_query_t *self)
{
    return self->currency;
}

const char *
churn_query_time_zone (const churn_query_t *self)
{
    return self->time_zone;
}

const churn_reference_t *
churn_query_reference (const churn_query_t *self)
{
    return self->reference;
}

/* Adds the records of reply (count of them, keys named by keys) to
   population. */
static int
s_population_add (churn_population_t *population, churn_customer_t *customer,
                  const sp_redis_reply_t *reply, char (*keys)[SP_PARTITION_KEY_MAX], size_t count,
                  char *error, size_t error_size)
{
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY ||
        sp_redis_reply_size (reply) != count) {
        sp_error_set (error, error_size, "MGET answered %zu values for %zu keys",
                      sp_redis_reply_size (reply), count);
        return -1;
    }
    for (size_t index = 0; index < count; index++) {
        const sp_redis_reply_t *element = sp_redis_reply_element (reply, index);
        if (sp_redis_reply_type (element) != SP_REDIS_REPLY_STRING)
            continue; /* gone since SMEMBERS (a rebuild) */
        size_t length = 0;
        const char *record = sp_redis_reply_string (element, &length);
        if (churn_customer_unpack (customer, record, length) != 0) {
            sp_error_set (error, error_size, "%s does not hold a customer state of this version",
                          keys[index]);
            return -1;
        }
        if (churn_population_add (population, customer) != 0) {
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
    }
    return 0;
}

int
churn_query_population (sp_redis_t *redis, uint32_t partition, const churn_model_t *model,
                        churn_population_t **population, char *error, size_t error_size)
{
    assert (redis && model && population);
    char set_key[SP_PARTITION_KEY_MAX];
    if (churn_keys_customers (set_key, sizeof set_key, partition) < 0) {
        sp_error_set (error, error_size, "the customers key is too long");
        return -1;
    }
    const char *members_argv[] = { "SMEMBERS", set_key };
    sp_redis_reply_t *members = sp_redis_command (redis, 2, members_argv, NULL, error, error_size);
    if (!members)
        return -1;
    churn_population_t *built = churn_population_new (model);
    churn_customer_t *customer = churn_customer_new ();
    const char *argv[CHURN_QUERY_BATCH + 1] = { "MGET" };
    char (*keys)[SP_PARTITION_KEY_MAX] = calloc (CHURN_QUERY_BATCH, sizeof *keys);
    int rc = -1;
    if (!built || !customer || !keys) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    if (sp_redis_reply_type (members) != SP_REDIS_REPLY_ARRAY) {
        sp_error_set (error, error_size, "SMEMBERS %s answered something else than a set", set_key);
        goto out_free;
    }
    size_t total = sp_redis_reply_size (members), count = 0;
    for (size_t index = 0; index < total; index++) {
        const sp_redis_reply_t *element = sp_redis_reply_element (members, index);
        if (sp_redis_reply_type (element) == SP_REDIS_REPLY_STRING) {
            const char *id = sp_redis_reply_string (element, NULL);
            if (churn_keys_customer (keys[count], sizeof keys[count], partition, id) < 0) {
                sp_error_set (error, error_size, "customer id \"%.64s...\" is too long", id);
                goto out_free;
            }
            argv[count + 1] = keys[count];
            count++;
        }
        if (count == 0 || (count < CHURN_QUERY_BATCH && index + 1 < total))
            continue;
        sp_redis_reply_t *reply =
            sp_redis_command (redis, (int) count + 1, argv, NULL, error, error_size);
        if (!reply)
            goto out_free;
        int added = s_population_add (built, customer, reply, keys, count, error, error_size);
        sp_redis_reply_destroy (&reply);
        if (added != 0)
            goto out_free;
        count = 0;
    }
    *population = built;
    built = NULL;
    rc = 0;
out_free:
    free (keys);
    churn_customer_destroy (&customer);
    churn_population_destroy (&built);
    sp_redis_reply_destroy (&members);
    return rc;
}

void
churn_query_customer_clear (churn_query_customer_t *out)
{
    churn_customer_destroy (&out->customer);
}

int
churn_query_customer (churn_query_t *self, const char *customer, churn_query_customer_t *out,
                      char *error, size_t error_size)
{
    assert (self && customer && out);
    memset (out, 0, sizeof *out);
    out->partition = sp_partition_of (customer, strlen (customer), self->partitions);
    char record_key[SP_PARTITION_KEY_MAX];
    char watermark_key[SP_PARTITION_KEY_MAX];
    if (churn_keys_customer (record_key, sizeof record_key, out->partition, customer) < 0 ||
        churn_keys_watermark (watermark_key, sizeof watermark_key, out->partition) < 0) {
        sp_error_set (error, error_size, "customer id \"%.64s...\" is too long", customer);
        return -1;
    }
    char reason[CHURN_QUERY_ERROR_SIZE];
    const char *argv[] = { "MGET", record_key, watermark_key };
    sp_redis_reply_t *reply = sp_redis_command (self->redis, 3, argv, NULL, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not read %s: %s", record_key, reason);
        return -1;
    }
    int rc = -1;
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY || sp_redis_reply_size (reply) != 2) {
        sp_error_set (error, error_size, "MGET of %s answered something else than two values",
                      record_key);
        goto out_destroy;
    }
    size_t length = 0;
    const char *record = sp_redis_reply_text (sp_redis_reply_element (reply, 0), &length);
    const char *watermark = sp_redis_reply_text (sp_redis_reply_element (reply, 1), NULL);
    if (watermark) {
        if (churn_keys_watermark_read (watermark, strlen (watermark), &out->watermark_ms) != 0 ||
            sp_period_local_day (self->tz, out->watermark_ms, &out->watermark_day) != 0) {
            sp_error_set (error, error_size, "%s holds no event time", watermark_key);
            goto out_destroy;
        }
        out->has_watermark = true;
    }
    if (record) {
        churn_population_destroy (&self->population);
        if (churn_query_population (self->redis, out->partition,
                                    churn_reference_model (self->reference), &self->population,
                                    error, error_size) != 0)
            goto out_destroy;
        out->customer = churn_customer_new ();
        if (!out->customer) {
            sp_error_set (error, error_size, "out of memory");
            goto out_destroy;
        }
        if (churn_customer_unpack (out->customer, record, length) != 0) {
            sp_error_set (error, error_size, "%s does not hold a customer state of this version",
                          record_key);
            churn_query_customer_clear (out);
            goto out_destroy;
        }
    }
    rc = 0;
out_destroy:
    sp_redis_reply_destroy (&reply);
    return rc;
}

int
churn_query_score (const churn_query_t *self, char tier, const churn_customer_t *customer,
                   int64_t as_of_day, churn_score_t *out)
{
    assert (self && customer && out);
    return churn_population_score (self->population, churn_reference_model (self->reference), tier,
                                   customer, as_of_day, out);
}

/* ---------------------------------------------------------------- rendering */

static const char *
s_interval_name (churn_score_interval_t interval)
{
    switch (interval) {
        case CHURN_SCORE_INTERVAL_OWN:
            return "own";
        case CHURN_SCORE_INTERVAL_POPULATION:
            return "population";
        case CHURN_SCORE_INTERVAL_MODEL:
            return "model";
        default:
            return "none";
    }
}

const char *
churn_query_unit (const churn_score_t *score, churn_model_measure_t measure)
{
    switch (measure) {
        case CHURN_MODEL_ENGAGEMENT:
            return "count";
        case CHURN_MODEL_COMPLAINTS:
            return "points";
        case CHURN_MODEL_SATISFACTION:
            return score->measures[measure].previous == CHURN_CUSTOMER_SURVEY_CSAT ? "csat" : "nps";
        default:
            return "ratio";
    }
}

/* A day number as JSON "YYYY-MM-DD" (null when out of range). */
static json_t *
s_day_json (int64_t day)
{
    char label[SP_CIVIL_DATE_LABEL_SIZE];
    return sp_civil_date_label (day, label) == 0 ? json_string (label) : json_null ();
}

/* A measure's value in its unit: basis points as a fraction. */
static json_t *
s_value_json (const churn_score_t *score, churn_model_measure_t measure)
{
    const churn_score_measure_t *part = &score->measures[measure];
    if (!part->has_data)
        return json_null ();
    const char *unit = churn_query_unit (score, measure);
    if (strcmp (unit, "ratio") == 0 || strcmp (unit, "points") == 0)
        return json_real ((double) part->value / S_BP);
    return json_integer ((json_int_t) part->value);
}

static json_t *
s_weight_json (uint32_t weight_bp)
{
    return json_real ((double) weight_bp / S_BP);
}

json_t *
churn_query_score_json (const churn_score_t *score)
{
    assert (score);
    char tier[2] = { score->tier, '\0' };
    json_t *measures = json_object ();
    json_t *factors = json_array ();
    json_t *interval_days =
        score->interval == CHURN_SCORE_INTERVAL_NONE
            ? json_null ()
            : json_integer ((json_int_t) score->measures[CHURN_MODEL_RECENCY].previous);
    json_t *document = json_pack (
        "{s:o, s:o, s:o, s:o, s:o, s:{s:s, s:o}, s:o, s:o, s:o}", "as_of",
        s_day_json (score->as_of_day), "tier", score->tier ? json_string (tier) : json_null (),
        "score", score->has_score ? json_integer (score->score) : json_null (), "band",
        score->has_score ? json_string (churn_score_band_name (score->band)) : json_null (),
        "weight", s_weight_json (score->weight_bp), "interval", "source",
        s_interval_name (score->interval), "days", interval_days, "last_order_day",
        score->has_last_order ? s_day_json (score->last_order_day) : json_null (), "measures",
        measures, "factors", factors);
    if (!document)
        return NULL;
    for (size_t index = 0; index < CHURN_MODEL_MEASURE_COUNT; index++) {
        churn_model_measure_t measure = (churn_model_measure_t) index;
        const churn_score_measure_t *part = &score->measures[index];
        json_t *row = json_pack (
            "{s:b, s:o, s:s, s:o, s:o, s:o, s:o}", "has_data", part->has_data, "value",
            s_value_json (score, measure), "unit", churn_query_unit (score, measure), "current",
            part->has_data ? json_integer ((json_int_t) part->current) : json_null (), "previous",
            part->has_data ? json_integer ((json_int_t) part->previous) : json_null (), "score",
            part->has_data ? json_integer (part->score) : json_null (), "weight",
            s_weight_json (part->weight_bp));
        if (json_object_set_new (measures, churn_model_measure_name (measure), row) != 0)
            goto out_no_memory;
    }
    for (size_t index = 0; index < score->factor_count; index++) {
        churn_model_measure_t measure = score->factors[index];
        const churn_score_measure_t *part = &score->measures[measure];
        json_t *row =
            json_pack ("{s:s, s:o, s:i, s:o}", "measure", churn_model_measure_name (measure),
                       "value", s_value_json (score, measure), "score", part->score, "weight",
                       s_weight_json (part->weight_bp));
        if (json_array_append_new (factors, row) != 0)
            goto out_no_memory;
    }
    return document;
out_no_memory:
    json_decref (document);
    return NULL;
}

json_t *
churn_query_history_json (const churn_score_t *scores, size_t count)
{
    assert (scores || count == 0);
    json_t *history = json_array ();
    if (!history)
        return NULL;
    for (size_t index = 0; index < count; index++) {
        const churn_score_t *score = &scores[index];
        json_t *row = json_pack (
            "{s:o, s:o, s:o}", "as_of", s_day_json (score->as_of_day), "score",
            score->has_score ? json_integer (score->score) : json_null (), "band",
            score->has_score ? json_string (churn_score_band_name (score->band)) : json_null ());
        if (json_array_append_new (history, row) != 0) {
            json_decref (history);
            return NULL;
        }
    }
    return history;
}

/* A measure's value as text. */
static void
s_value_text (const churn_score_t *score, churn_model_measure_t measure, char *buffer, size_t size)
{
    const churn_score_measure_t *part = &score->measures[measure];
    const char *unit = churn_query_unit (score, measure);
    if (!part->has_data)
        snprintf (buffer, size, "-");
    else if (strcmp (unit, "ratio") == 0)
        snprintf (buffer, size, "%.4f", (double) part->value / S_BP);
    else if (strcmp (unit, "points") == 0)
        snprintf (buffer, size, "%.4f pt", (double) part->value / S_BP);
    else if (strcmp (unit, "count") == 0)
        snprintf (buffer, size, "%lld", (long long) part->value);
    else
        snprintf (buffer, size, "%s %lld", unit, (long long) part->value);
}

void
churn_query_score_print (FILE *stream, const churn_score_t *score)
{
    assert (stream && score);
    char day[SP_CIVIL_DATE_LABEL_SIZE];
    sp_civil_date_label (score->as_of_day, day);
    if (score->has_score)
        fprintf (stream, "as of %s: score %d, %s (tier %s)\n", day, score->score,
                 churn_score_band_name (score->band),
                 score->tier ? (char[]){ score->tier, 0 } : "-");
    else
        fprintf (stream, "as of %s: no score (no measure with data has a weight)\n", day);
    fprintf (stream, "%-14s %14s %6s %7s  %s\n", "measure", "value", "score", "weight", "data");
    for (size_t index = 0; index < CHURN_MODEL_MEASURE_COUNT; index++) {
        churn_model_measure_t measure = (churn_model_measure_t) index;
        const churn_score_measure_t *part = &score->measures[index];
        char value[48], points[16] = "-";
        s_value_text (score, measure, value, sizeof value);
        if (part->has_data)
            snprintf (points, sizeof points, "%d", part->score);
        fprintf (stream, "%-14s %14s %6s %7.4f  %s\n", churn_model_measure_name (measure), value,
                 points, (double) part->weight_bp / S_BP, part->has_data ? "yes" : "no");
    }
    fprintf (stream, "factors (what pulls the score down most first):");
    for (size_t index = 0; index < score->factor_count; index++)
        fprintf (stream, "%s %s", index ? "," : "",
                 churn_model_measure_name (score->factors[index]));
    fprintf (stream, "%s\n", score->factor_count ? "" : " none");
    if (score->interval == CHURN_SCORE_INTERVAL_NONE)
        fprintf (stream, "typical interval between orders: none (no order)\n");
    else
        fprintf (stream, "typical interval between orders: %lld days (%s)\n",
                 (long long) score->measures[CHURN_MODEL_RECENCY].previous,
                 score->interval == CHURN_SCORE_INTERVAL_OWN ? "the customer's own median"
                 : score->interval == CHURN_SCORE_INTERVAL_POPULATION
                     ? "the population's"
                     : "the model's default_interval_days");
    if (score->has_last_order) {
        sp_civil_date_label (score->last_order_day, day);
        fprintf (stream, "last order: %s\n", day);
    }
    else
        fprintf (stream, "last order: none\n");
}

void
churn_query_history_print (FILE *stream, const churn_score_t *scores, size_t count)
{
    assert (stream && (scores || count == 0));
    for (size_t index = 0; index < count; index++) {
        char day[SP_CIVIL_DATE_LABEL_SIZE];
        sp_civil_date_label (scores[index].as_of_day, day);
        if (scores[index].has_score)
            fprintf (stream, "%s %3d %s\n", day, scores[index].score,
                     churn_score_band_name (scores[index].band));
        else
            fprintf (stream, "%s   - -\n", day);
    }
}
