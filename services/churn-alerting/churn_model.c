/*  churn_model - the health kind: reading, defaults, canonical form (see
    churn_model.h and docs/health-model.md).

    Reading is one pass over the document with sp_json_read over a model
    already holding every default, so each refusal names the JSON path and
    the first error found is the one reported. Ratios and complaint points
    read as numbers with at most four decimals into basis points.
*/
#include "churn_model.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churn_rules.h"
#include "sp_error.h"
#include "sp_json_read.h"

_Static_assert(CHURN_MODEL_BASIS_POINTS == SP_JSON_BASIS_POINTS,
               "a fraction reads into the same basis points");

#define S_BP CHURN_MODEL_BASIS_POINTS
#define S_JSON_INDENT 2     /* canonical form indentation */
#define S_REAL_DIGITS 12    /* significant digits: every bp value up to 1000 prints exactly */
#define S_SCORE_MAX 100     /* a threshold's score */
#define S_RED_MAX_MAX 98    /* bands.red_max: 0..98 */
#define S_YELLOW_MAX_MAX 99 /* bands.yellow_max: 1..99 */

/* Defaults (docs/health-model.md, "Defaults"). */
#define S_DEFAULT_PERIOD_DAYS 1
#define S_DEFAULT_INTERVAL_DAYS 7
#define S_DEFAULT_RED_MAX 50
#define S_DEFAULT_YELLOW_MAX 75
#define S_DEFAULT_WINDOW_DAYS 90
#define S_DEFAULT_TERMS_DAYS 30
#define S_DEFAULT_MIN_ORDERS 3
#define S_DEFAULT_POPULATION_STATISTIC CHURN_MODEL_POPULATION_NEXT_ORDER
#define S_DEFAULT_POPULATION_QUANTILE_BP 1000 /* the 10th percentile */
#define S_DEFAULT_HALF_LIFE_DAYS 30
#define S_DEFAULT_MAX_AGE_DAYS 365

/* The reference data kind of health models. */
const sp_refdata_kind_t churn_model_kind = {
    .kind = "health",
    .service = "churn-alerting",
    .change = SP_REFDATA_REBUILD,
    .effective_dated = false,
    .check = churn_model_check,
};

/* The unit of a measure's "at" values. */
typedef enum {
    S_UNIT_NONE = 0, /* no thresholds (satisfaction) */
    S_UNIT_RATIO,    /* a number 0..1000, basis points */
    S_UNIT_COUNT,    /* an integer 0..1,000,000 */
    S_UNIT_POINTS,   /* a number 0..1000, basis points */
} s_unit_t;

/* A tier's overrides. */
typedef struct {
    bool present;                                  /* "tiers" names it */
    bool has_weight[CHURN_MODEL_MEASURE_COUNT];    /* weights given */
    uint32_t weight_bp[CHURN_MODEL_MEASURE_COUNT]; /* when given */
    bool has_red_max;                              /* bands.red_max given */
    int red_max;
    bool has_yellow_max; /* bands.yellow_max given */
    int yellow_max;
} s_tier_t;

struct _churn_model_t {
    char name[CHURN_MODEL_NAME_MAX + 1];                     /* [a-z0-9_-] */
    int64_t period_days;                                     /* evaluation period */
    int64_t default_interval_days;                           /* typical interval of last resort */
    churn_model_population_statistic_t population_statistic; /* the population's figure of */
    uint32_t population_quantile_bp;                         /* its quantile, 0..10,000 */
    int red_max;                                             /* bands without a tier */
    int yellow_max;
    churn_model_measure_params_t measures[CHURN_MODEL_MEASURE_COUNT];
    s_tier_t tiers[CHURN_MODEL_TIER_COUNT]; /* A, B, C */
    char *rules;                            /* canonical "rules" text, or NULL */
};

/* Names of the measures, indexed by churn_model_measure_t; NULL-terminated. */
static const char *const s_measure_names[] = { "recency",    "frequency",    "monetary",
                                               "returns",    "payment",      "engagement",
                                               "complaints", "satisfaction", NULL };

/* Unit of each measure's thresholds. */
static const s_unit_t s_units[] = { S_UNIT_RATIO, S_UNIT_RATIO, S_UNIT_RATIO,  S_UNIT_RATIO,
                                    S_UNIT_RATIO, S_UNIT_COUNT, S_UNIT_POINTS, S_UNIT_NONE };

/* Keys allowed, in canonical order. */
static const char *const s_top_keys[] = { "name",       "period_days", "default_interval_days",
                                          "population", "bands",       "measures",
                                          "tiers",      "rules",       NULL };
static const char *const s_population_keys[] = { "statistic", "quantile", NULL };
/* Names of the population statistics, by churn_model_population_statistic_t. */
static const char *const s_population_statistics[] = { "next_order", "own_interval" };
static const char *const s_band_keys[] = { "red_max", "yellow_max", NULL };
static const char *const s_threshold_keys[] = { "at", "score", NULL };
static const char *const s_measure_keys[][8] = {
    { "weight", "min_orders", "thresholds", NULL },
    { "weight", "window_days", "thresholds", NULL },
    { "weight", "window_days", "thresholds", NULL },
    { "weight", "window_days", "thresholds", NULL },
    { "weight", "window_days", "terms_days", "thresholds", NULL },
    { "weight", "window_days", "visit", "call", "demo", "thresholds", NULL },
    { "weight", "half_life_days", "severity", "thresholds", NULL },
    { "weight", "max_age_days", "nps", "csat", NULL },
};
static const char *const s_severity_names[] = { "low", "medium", "high", "critical", NULL };
static const char *const s_tier_names[] = { "A", "B", "C", NULL };
static const char *const s_tier_keys[] = { "weights", "bands", NULL };

/* Default weights (sum 1) and thresholds. */
static const uint32_t s_default_weights[] = { 4000, 1000, 1000, 500, 1000, 1000, 1000, 500 };
static const churn_model_threshold_t s_default_recency[] = {
    { 10000, 100 }, { 15000, 75 }, { 20000, 50 }, { 30000, 0 }
};
static const churn_model_threshold_t s_default_trend[] = {
    { 0, 0 }, { 5000, 40 }, { 8000, 75 }, { 10000, 100 }
};
static const churn_model_threshold_t s_default_returns[] = {
    { 0, 100 }, { 500, 75 }, { 1000, 50 }, { 3000, 0 }
};
static const churn_model_threshold_t s_default_payment[] = {
    { 5000, 0 }, { 8000, 50 }, { 9500, 75 }, { 10000, 100 }
};
static const churn_model_threshold_t s_default_engagement[] = {
    { 0, 0 }, { 1, 40 }, { 3, 75 }, { 6, 100 }
};
static const churn_model_threshold_t s_default_complaints[] = {
    { 0, 100 }, { 10000, 75 }, { 40000, 50 }, { 80000, 0 }
};
static const int s_default_severity_points[] = { 1, 2, 4, 8 };
static const int s_default_nps[] = { 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 };
static const int s_default_csat[] = { 0, 25, 50, 75, 100 };

#define S_COUNT(array) (sizeof (array) / sizeof ((array)[0]))

static void
s_set_thresholds (churn_model_measure_params_t *params, const churn_model_threshold_t *points,
                  size_t count)
{
    assert (count <= CHURN_MODEL_THRESHOLDS_MAX);
    memcpy (params->thresholds, points, count * sizeof points[0]);
    params->threshold_count = count;
}

/* Every default. */
static void
s_defaults (churn_model_t *self)
{
    self->period_days = S_DEFAULT_PERIOD_DAYS;
    self->default_interval_days = S_DEFAULT_INTERVAL_DAYS;
    self->population_statistic = S_DEFAULT_POPULATION_STATISTIC;
    self->population_quantile_bp = S_DEFAULT_POPULATION_QUANTILE_BP;
    self->red_max = S_DEFAULT_RED_MAX;
    self->yellow_max = S_DEFAULT_YELLOW_MAX;
    churn_model_measure_params_t *m = self->measures;
    for (size_t index = 0; index < CHURN_MODEL_MEASURE_COUNT; index++)
        m[index].weight_bp = s_default_weights[index];
    s_set_thresholds (&m[CHURN_MODEL_RECENCY], s_default_recency, S_COUNT (s_default_recency));
    m[CHURN_MODEL_RECENCY].min_orders = S_DEFAULT_MIN_ORDERS;
    s_set_thresholds (&m[CHURN_MODEL_FREQUENCY], s_default_trend, S_COUNT (s_default_trend));
    s_set_thresholds (&m[CHURN_MODEL_MONETARY], s_default_trend, S_COUNT (s_default_trend));
    s_set_thresholds (&m[CHURN_MODEL_RETURNS], s_default_returns, S_COUNT (s_default_returns));
    s_set_thresholds (&m[CHURN_MODEL_PAYMENT], s_default_payment, S_COUNT (s_default_payment));
    s_set_thresholds (&m[CHURN_MODEL_ENGAGEMENT], s_default_engagement,
                      S_COUNT (s_default_engagement));
    s_set_thresholds (&m[CHURN_MODEL_COMPLAINTS], s_default_complaints,
                      S_COUNT (s_default_complaints));
    m[CHURN_MODEL_FREQUENCY].window_days = S_DEFAULT_WINDOW_DAYS;
    m[CHURN_MODEL_MONETARY].window_days = S_DEFAULT_WINDOW_DAYS;
    m[CHURN_MODEL_RETURNS].window_days = S_DEFAULT_WINDOW_DAYS;
    m[CHURN_MODEL_PAYMENT].window_days = S_DEFAULT_WINDOW_DAYS;
    m[CHURN_MODEL_PAYMENT].terms_days = S_DEFAULT_TERMS_DAYS;
    m[CHURN_MODEL_ENGAGEMENT].window_days = S_DEFAULT_WINDOW_DAYS;
    m[CHURN_MODEL_ENGAGEMENT].visit_weight = 1;
    m[CHURN_MODEL_ENGAGEMENT].call_weight = 1;
    m[CHURN_MODEL_ENGAGEMENT].demo_weight = 1;
    m[CHURN_MODEL_COMPLAINTS].half_life_days = S_DEFAULT_HALF_LIFE_DAYS;
    memcpy (m[CHURN_MODEL_COMPLAINTS].severity_points, s_default_severity_points,
            sizeof s_default_severity_points);
    m[CHURN_MODEL_SATISFACTION].max_age_days = S_DEFAULT_MAX_AGE_DAYS;
    memcpy (m[CHURN_MODEL_SATISFACTION].nps_scores, s_default_nps, sizeof s_default_nps);
    memcpy (m[CHURN_MODEL_SATISFACTION].csat_scores, s_default_csat, sizeof s_default_csat);
}

/* ---------------------------------------------------------------- reading */

/* Reads an optional integer member key of object (path parent.key) into
 *number; untouched when absent. */
static int
s_read_optional_integer (sp_json_reader_t *reader, const json_t *object, const char *parent,
                         const char *key, json_int_t min, json_int_t max, int64_t *number)
{
    const json_t *value = json_object_get (object, key);
    if (!value)
        return 0;
    char path[SP_JSON_PATH_SIZE];
    sp_json_path (path, sizeof path, parent, key);
    json_int_t got;
    if (sp_json_read_integer (reader, value, path, min, max, &got) != 0)
        return -1;
    *number = got;
    return 0;
}

/* The same into an int. */
static int
s_read_optional_int (sp_json_reader_t *reader, const json_t *object, const char *parent,
                     const char *key, int min, int max, int *number)
{
    int64_t got = *number;
    if (s_read_optional_integer (reader, object, parent, key, min, max, &got) != 0)
        return -1;
    *number = (int) got;
    return 0;
}

/* An "at" value as text for a message. */
static const char *
s_at_text (s_unit_t unit, int64_t at, char *buffer, size_t size)
{
    if (unit == S_UNIT_COUNT) {
        snprintf (buffer, size, "%" PRId64, at);
        return buffer;
    }
    return sp_json_basis_points_text (at, buffer, size);
}

/* Reads a "thresholds" list (present) at path into params. */
static int
s_read_thresholds (sp_json_reader_t *reader, churn_model_measure_params_t *params, s_unit_t unit,
                   const json_t *list, const char *path)
{
    if (sp_json_read_array (reader, list, path) != 0)
        return -1;
    size_t count = json_array_size (list);
    if (count < CHURN_MODEL_THRESHOLDS_MIN || count > CHURN_MODEL_THRESHOLDS_MAX)
        return sp_json_fail (reader, path, "%d to %d thresholds, not %zu",
                             CHURN_MODEL_THRESHOLDS_MIN, CHURN_MODEL_THRESHOLDS_MAX, count);
    churn_model_threshold_t points[CHURN_MODEL_THRESHOLDS_MAX];
    for (size_t index = 0; index < count; index++) {
        char parent[SP_JSON_PATH_SIZE];
        char item[SP_JSON_PATH_SIZE];
        sp_json_path_index (parent, sizeof parent, path, index);
        const json_t *object = json_array_get (list, index);
        if (sp_json_read_object (reader, object, parent) != 0 ||
            sp_json_check_keys (reader, object, parent, s_threshold_keys) != 0)
            return -1;
        sp_json_path (item, sizeof item, parent, "at");
        const json_t *at = json_object_get (object, "at");
        if (unit == S_UNIT_COUNT) {
            json_int_t number;
            if (sp_json_read_integer (reader, at, item, 0, CHURN_MODEL_COUNT_MAX, &number) != 0)
                return -1;
            points[index].at = number;
        }
        else {
            uint32_t bp;
            uint32_t max =
                unit == S_UNIT_RATIO ? CHURN_MODEL_RATIO_MAX_BP : CHURN_MODEL_POINTS_MAX_BP;
            if (sp_json_read_basis_points (reader, at, item, 0, max, &bp) != 0)
                return -1;
            points[index].at = bp;
        }
        if (index > 0 && points[index].at <= points[index - 1].at) {
            char text[SP_JSON_NUMBER_SIZE];
            return sp_json_fail (reader, item, "must be more than %s, the \"at\" before it",
                                 s_at_text (unit, points[index - 1].at, text, sizeof text));
        }
        sp_json_path (item, sizeof item, parent, "score");
        json_int_t score;
        if (sp_json_read_integer (reader, json_object_get (object, "score"), item, 0, S_SCORE_MAX,
                                  &score) != 0)
            return -1;
        points[index].score = (int) score;
    }
    s_set_thresholds (params, points, count);
    return 0;
}

/* Reads a list of exactly count scores 0..100 (present) at path. */
static int
s_read_scores (sp_json_reader_t *reader, const json_t *list, const char *path, int *scores,
               size_t count)
{
    if (sp_json_read_array (reader, list, path) != 0)
        return -1;
    if (json_array_size (list) != count)
        return sp_json_fail (reader, path, "expected %zu scores, got %zu", count,
                             json_array_size (list));
    int read[CHURN_MODEL_NPS_MAX + 1];
    assert (count <= S_COUNT (read));
    for (size_t index = 0; index < count; index++) {
        char item[SP_JSON_PATH_SIZE];
        sp_json_path_index (item, sizeof item, path, index);
        json_int_t score;
        if (sp_json_read_integer (reader, json_array_get (list, index), item, 0, S_SCORE_MAX,
                                  &score) != 0)
            return -1;
        read[index] = (int) score;
    }
    memcpy (scores, read, count * sizeof read[0]);
    return 0;
}

/* Reads complaints.severity (present). */
static int
s_read_severity (sp_json_reader_t *reader, churn_model_measure_params_t *params,
                 const json_t *object, const char *path)
{
    if (sp_json_read_object (reader, object, path) != 0 ||
        sp_json_check_keys (reader, object, path, s_severity_names) != 0)
        return -1;
    for (size_t index = 0; index < CHURN_MODEL_SEVERITY_COUNT; index++)
        if (s_read_optional_int (reader, object, path, s_severity_names[index], 0,
                                 CHURN_MODEL_SEVERITY_WEIGHT_MAX,
                                 &params->severity_points[index]) != 0)
            return -1;
    return 0;
}

/* Reads measures.<name> (present). */
static int
s_read_measure (sp_json_reader_t *reader, churn_model_t *self, churn_model_measure_t measure,
                const json_t *object, const char *parent)
{
    churn_model_measure_params_t *params = &self->measures[measure];
    char path[SP_JSON_PATH_SIZE];
    if (sp_json_read_object (reader, object, parent) != 0 ||
        sp_json_check_keys (reader, object, parent, s_measure_keys[measure]) != 0)
        return -1;
    const json_t *value = json_object_get (object, "weight");
    sp_json_path (path, sizeof path, parent, "weight");
    if (value && sp_json_read_fraction (reader, value, path, &params->weight_bp) != 0)
        return -1;
    if (s_read_optional_integer (reader, object, parent, "window_days", 1,
                                 CHURN_MODEL_WINDOW_DAYS_MAX, &params->window_days) != 0 ||
        s_read_optional_integer (reader, object, parent, "terms_days", 0,
                                 CHURN_MODEL_TERMS_DAYS_MAX, &params->terms_days) != 0 ||
        s_read_optional_integer (reader, object, parent, "min_orders", CHURN_MODEL_MIN_ORDERS_MIN,
                                 CHURN_MODEL_MIN_ORDERS_MAX, &params->min_orders) != 0 ||
        s_read_optional_integer (reader, object, parent, "half_life_days", 1,
                                 CHURN_MODEL_HALF_LIFE_DAYS_MAX, &params->half_life_days) != 0 ||
        s_read_optional_integer (reader, object, parent, "max_age_days", 0,
                                 CHURN_MODEL_MAX_AGE_DAYS_MAX, &params->max_age_days) != 0 ||
        s_read_optional_int (reader, object, parent, "visit", 0, CHURN_MODEL_KIND_WEIGHT_MAX,
                             &params->visit_weight) != 0 ||
        s_read_optional_int (reader, object, parent, "call", 0, CHURN_MODEL_KIND_WEIGHT_MAX,
                             &params->call_weight) != 0 ||
        s_read_optional_int (reader, object, parent, "demo", 0, CHURN_MODEL_KIND_WEIGHT_MAX,
                             &params->demo_weight) != 0)
        return -1;
    value = json_object_get (object, "severity");
    sp_json_path (path, sizeof path, parent, "severity");
    if (value && s_read_severity (reader, params, value, path) != 0)
        return -1;
    value = json_object_get (object, "nps");
    sp_json_path (path, sizeof path, parent, "nps");
    if (value &&
        s_read_scores (reader, value, path, params->nps_scores, CHURN_MODEL_NPS_MAX + 1) != 0)
        return -1;
    value = json_object_get (object, "csat");
    sp_json_path (path, sizeof path, parent, "csat");
    if (value &&
        s_read_scores (reader, value, path, params->csat_scores, CHURN_MODEL_CSAT_MAX) != 0)
        return -1;
    value = json_object_get (object, "thresholds");
    sp_json_path (path, sizeof path, parent, "thresholds");
    if (value && s_read_thresholds (reader, params, s_units[measure], value, path) != 0)
        return -1;
    return 0;
}

/* Reads "measures" (present). */
static int
s_read_measures (sp_json_reader_t *reader, churn_model_t *self, const json_t *measures)
{
    if (sp_json_read_object (reader, measures, "measures") != 0 ||
        sp_json_check_keys (reader, measures, "measures", s_measure_names) != 0)
        return -1;
    for (size_t measure = 0; measure < CHURN_MODEL_MEASURE_COUNT; measure++) {
        const json_t *object = json_object_get (measures, s_measure_names[measure]);
        char path[SP_JSON_PATH_SIZE];
        sp_json_path (path, sizeof path, "measures", s_measure_names[measure]);
        if (object &&
            s_read_measure (reader, self, (churn_model_measure_t) measure, object, path) != 0)
            return -1;
    }
    return 0;
}

/* Reads a "bands" object (present) at parent: a given edge sets *red_max
   / *yellow_max and its has_ flag; then checks red_max < yellow_max
   where the edges in effect are the given ones, else *red_max /
   *yellow_max as they were. */
static int
s_read_bands (sp_json_reader_t *reader, const json_t *object, const char *parent, int *red_max,
              bool *has_red_max, int *yellow_max, bool *has_yellow_max)
{
    if (sp_json_read_object (reader, object, parent) != 0 ||
        sp_json_check_keys (reader, object, parent, s_band_keys) != 0)
        return -1;
    *has_red_max = json_object_get (object, "red_max") != NULL;
    *has_yellow_max = json_object_get (object, "yellow_max") != NULL;
    if (s_read_optional_int (reader, object, parent, "red_max", 0, S_RED_MAX_MAX, red_max) != 0 ||
        s_read_optional_int (reader, object, parent, "yellow_max", 1, S_YELLOW_MAX_MAX,
                             yellow_max) != 0)
        return -1;
    if (*red_max >= *yellow_max) {
        char path[SP_JSON_PATH_SIZE];
        sp_json_path (path, sizeof path, parent, *has_red_max ? "red_max" : "yellow_max");
        return sp_json_fail (reader, path, "red_max (%d) must be less than yellow_max (%d)",
                             *red_max, *yellow_max);
    }
    return 0;
}

/* Reads tiers.<name> (present) into tier. */
static int
s_read_tier (sp_json_reader_t *reader, const churn_model_t *self, s_tier_t *tier,
             const json_t *object, const char *parent)
{
    char path[SP_JSON_PATH_SIZE];
    if (sp_json_read_object (reader, object, parent) != 0 ||
        sp_json_check_keys (reader, object, parent, s_tier_keys) != 0)
        return -1;
    const json_t *weights = json_object_get (object, "weights");
    sp_json_path (path, sizeof path, parent, "weights");
    if (weights) {
        if (sp_json_read_object (reader, weights, path) != 0 ||
            sp_json_check_keys (reader, weights, path, s_measure_names) != 0)
            return -1;
        for (size_t measure = 0; measure < CHURN_MODEL_MEASURE_COUNT; measure++) {
            const json_t *value = json_object_get (weights, s_measure_names[measure]);
            char item[SP_JSON_PATH_SIZE];
            sp_json_path (item, sizeof item, path, s_measure_names[measure]);
            if (value &&
                sp_json_read_fraction (reader, value, item, &tier->weight_bp[measure]) != 0)
                return -1;
            tier->has_weight[measure] = value != NULL;
        }
    }
    const json_t *bands = json_object_get (object, "bands");
    sp_json_path (path, sizeof path, parent, "bands");
    tier->red_max = self->red_max;
    tier->yellow_max = self->yellow_max;
    if (bands && s_read_bands (reader, bands, path, &tier->red_max, &tier->has_red_max,
                               &tier->yellow_max, &tier->has_yellow_max) != 0)
        return -1;
    tier->present = true;
    return 0;
}

/* Reads "tiers" (present). */
static int
s_read_tiers (sp_json_reader_t *reader, churn_model_t *self, const json_t *tiers)
{
    if (sp_json_read_object (reader, tiers, "tiers") != 0)
        return -1;
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *) tiers, key, value)
    {
        char quoted[SP_JSON_PATH_SIZE];
        char path[SP_JSON_PATH_SIZE];
        sp_error_quote (key, quoted, sizeof quoted);
        sp_json_path (path, sizeof path, "tiers", quoted);
        size_t tier = 0;
        while (s_tier_names[tier] && strcmp (s_tier_names[tier], key) != 0)
            tier++;
        if (!s_tier_names[tier])
            return sp_json_fail (reader, path, "unknown tier, expected \"A\", \"B\" or \"C\"");
        if (s_read_tier (reader, self, &self->tiers[tier], value, path) != 0)
            return -1;
    }
    return 0;
}

/* Sets key to value (stolen); false when value is NULL or the set fails. */
static bool
s_put (json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new (object, key, value) == 0;
}

/* A basis-point value as a JSON number. */
static json_t *
s_bp_json (int64_t bp)
{
    return json_real ((double) bp / S_BP);
}

/* Reads "rules" (present): the rule settings are churn_rules' to judge
   (churn_rules_settings_read_object, the one reader of them); the model
   keeps the object's canonical compact text (keys sorted, overdue.factor
   written as a number with its basis points) in self->rules. */
static int
s_read_rules (sp_json_reader_t *reader, churn_model_t *self, const json_t *rules)
{
    churn_rules_settings_t settings;
    if (churn_rules_settings_read_object (&settings, reader, rules, "rules") != 0)
        return -1;
    json_t *copy = json_deep_copy (rules);
    json_t *overdue = copy ? json_object_get (copy, "overdue") : NULL;
    bool ok = copy != NULL;
    if (ok && json_object_get (overdue, "factor"))
        ok = s_put (overdue, "factor", s_bp_json (settings.overdue_factor_bp));
    if (ok)
        self->rules =
            json_dumps (copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION (S_REAL_DIGITS));
    json_decref (copy);
    if (!self->rules) {
        sp_error_set (reader->error, reader->error_size, "out of memory");
        return -1;
    }
    return 0;
}

/* Reads "population" (present). */
static int
s_read_population (sp_json_reader_t *reader, churn_model_t *self, const json_t *object)
{
    if (sp_json_read_object (reader, object, "population") != 0 ||
        sp_json_check_keys (reader, object, "population", s_population_keys) != 0)
        return -1;
    const json_t *value = json_object_get (object, "statistic");
    int statistic = (int) self->population_statistic;
    if (value && sp_json_read_choice (reader, value, "population.statistic", "statistic",
                                      "\"next_order\" or \"own_interval\"", s_population_statistics,
                                      S_COUNT (s_population_statistics), &statistic) != 0)
        return -1;
    value = json_object_get (object, "quantile");
    uint32_t quantile_bp = self->population_quantile_bp;
    if (value && sp_json_read_fraction (reader, value, "population.quantile", &quantile_bp) != 0)
        return -1;
    self->population_statistic = (churn_model_population_statistic_t) statistic;
    self->population_quantile_bp = quantile_bp;
    return 0;
}

/* Reads the whole document into self (defaults already set). */
static int
s_read (sp_json_reader_t *reader, churn_model_t *self, const json_t *root)
{
    if (sp_json_check_keys (reader, root, "", s_top_keys) != 0)
        return -1;
    if (sp_json_read_name (reader, json_object_get (root, "name"), "name", self->name,
                           CHURN_MODEL_NAME_MAX) != 0)
        return -1;
    if (s_read_optional_integer (reader, root, "", "period_days", 1, CHURN_MODEL_PERIOD_DAYS_MAX,
                                 &self->period_days) != 0 ||
        s_read_optional_integer (reader, root, "", "default_interval_days", 1,
                                 CHURN_MODEL_INTERVAL_DAYS_MAX, &self->default_interval_days) != 0)
        return -1;
    const json_t *value = json_object_get (root, "population");
    if (value && s_read_population (reader, self, value) != 0)
        return -1;
    value = json_object_get (root, "bands");
    bool has_red_max, has_yellow_max;
    if (value && s_read_bands (reader, value, "bands", &self->red_max, &has_red_max,
                               &self->yellow_max, &has_yellow_max) != 0)
        return -1;
    value = json_object_get (root, "measures");
    if (value && s_read_measures (reader, self, value) != 0)
        return -1;
    value = json_object_get (root, "tiers");
    if (value && s_read_tiers (reader, self, value) != 0)
        return -1;
    value = json_object_get (root, "rules");
    if (value && s_read_rules (reader, self, value) != 0)
        return -1;
    return 0;
}

churn_model_t *
churn_model_new (const char *text, size_t length, char *error, size_t error_size)
{
    assert (text || length == 0);
    sp_json_reader_t reader = { error, error_size };
    json_t *root = sp_json_load_object (text, length, "a health model", error, error_size);
    if (!root)
        return NULL;
    churn_model_t *self = (churn_model_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        goto out_release_root;
    }
    s_defaults (self);
    if (s_read (&reader, self, root) != 0)
        churn_model_destroy (&self);
out_release_root:
    json_decref (root);
    return self;
}

void
churn_model_destroy (churn_model_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->rules);
        free (*self_p);
    }
    *self_p = NULL;
}

/* ---------------------------------------------------------------- canonical form */

/* The canonical object of a measure; NULL when out of memory. */
static json_t *
s_measure_json (const churn_model_measure_params_t *params, churn_model_measure_t measure)
{
    json_t *object = json_object ();
    bool ok = object && s_put (object, "weight", s_bp_json (params->weight_bp));
    for (size_t key = 1; ok && s_measure_keys[measure][key]; key++) {
        const char *name = s_measure_keys[measure][key];
        json_t *value = NULL;
        if (strcmp (name, "window_days") == 0)
            value = json_integer (params->window_days);
        else if (strcmp (name, "terms_days") == 0)
            value = json_integer (params->terms_days);
        else if (strcmp (name, "min_orders") == 0)
            value = json_integer (params->min_orders);
        else if (strcmp (name, "half_life_days") == 0)
            value = json_integer (params->half_life_days);
        else if (strcmp (name, "max_age_days") == 0)
            value = json_integer (params->max_age_days);
        else if (strcmp (name, "visit") == 0)
            value = json_integer (params->visit_weight);
        else if (strcmp (name, "call") == 0)
            value = json_integer (params->call_weight);
        else if (strcmp (name, "demo") == 0)
            value = json_integer (params->demo_weight);
        else if (strcmp (name, "severity") == 0) {
            value = json_object ();
            for (size_t index = 0; value && index < CHURN_MODEL_SEVERITY_COUNT; index++)
                if (!s_put (value, s_severity_names[index],
                            json_integer (params->severity_points[index]))) {
                    json_decref (value);
                    value = NULL;
                }
        }
        else if (strcmp (name, "nps") == 0 || strcmp (name, "csat") == 0) {
            bool nps = strcmp (name, "nps") == 0;
            const int *scores = nps ? params->nps_scores : params->csat_scores;
            size_t count = nps ? CHURN_MODEL_NPS_MAX + 1 : CHURN_MODEL_CSAT_MAX;
            value = json_array ();
            for (size_t index = 0; value && index < count; index++)
                if (json_array_append_new (value, json_integer (scores[index])) != 0) {
                    json_decref (value);
                    value = NULL;
                }
        }
        else {
            assert (strcmp (name, "thresholds") == 0);
            value = json_array ();
            for (size_t index = 0; value && index < params->threshold_count; index++) {
                const churn_model_threshold_t *point = &params->thresholds[index];
                json_t *item = json_object ();
                bool item_ok = item && json_array_append_new (value, item) == 0 &&
                               s_put (item, "at",
                                      s_units[measure] == S_UNIT_COUNT ? json_integer (point->at)
                                                                       : s_bp_json (point->at)) &&
                               s_put (item, "score", json_integer (point->score));
                if (!item_ok) {
                    json_decref (value);
                    value = NULL;
                }
            }
        }
        ok = s_put (object, name, value);
    }
    if (!ok)
        json_decref (object);
    return ok ? object : NULL;
}

/* The canonical object of a tier; NULL when out of memory. */
static json_t *
s_tier_json (const s_tier_t *tier)
{
    json_t *object = json_object ();
    bool ok = object != NULL;
    bool any_weight = false;
    for (size_t measure = 0; measure < CHURN_MODEL_MEASURE_COUNT; measure++)
        any_weight = any_weight || tier->has_weight[measure];
    if (ok && any_weight) {
        json_t *weights = json_object ();
        ok = s_put (object, "weights", weights);
        for (size_t measure = 0; ok && measure < CHURN_MODEL_MEASURE_COUNT; measure++)
            if (tier->has_weight[measure])
                ok =
                    s_put (weights, s_measure_names[measure], s_bp_json (tier->weight_bp[measure]));
    }
    if (ok && (tier->has_red_max || tier->has_yellow_max)) {
        json_t *bands = json_object ();
        ok = s_put (object, "bands", bands);
        if (ok && tier->has_red_max)
            ok = s_put (bands, "red_max", json_integer (tier->red_max));
        if (ok && tier->has_yellow_max)
            ok = s_put (bands, "yellow_max", json_integer (tier->yellow_max));
    }
    if (!ok)
        json_decref (object);
    return ok ? object : NULL;
}

char *
churn_model_to_json (const churn_model_t *self)
{
    assert (self);
    char *text = NULL;
    json_t *root = json_object ();
    json_t *population = json_object ();
    json_t *bands = json_object ();
    json_t *measures = json_object ();
    bool ok = root && population && bands && measures &&
              s_put (root, "name", json_string (self->name)) &&
              s_put (root, "period_days", json_integer (self->period_days)) &&
              s_put (root, "default_interval_days", json_integer (self->default_interval_days)) &&
              json_object_set (root, "population", population) == 0 &&
              s_put (population, "statistic",
                     json_string (s_population_statistics[self->population_statistic])) &&
              s_put (population, "quantile", s_bp_json (self->population_quantile_bp)) &&
              json_object_set (root, "bands", bands) == 0 &&
              s_put (bands, "red_max", json_integer (self->red_max)) &&
              s_put (bands, "yellow_max", json_integer (self->yellow_max)) &&
              json_object_set (root, "measures", measures) == 0;
    for (size_t measure = 0; ok && measure < CHURN_MODEL_MEASURE_COUNT; measure++)
        ok = s_put (measures, s_measure_names[measure],
                    s_measure_json (&self->measures[measure], (churn_model_measure_t) measure));
    bool any_tier = false;
    for (size_t tier = 0; tier < CHURN_MODEL_TIER_COUNT; tier++)
        any_tier = any_tier || self->tiers[tier].present;
    if (ok && any_tier) {
        json_t *tiers = json_object ();
        ok = s_put (root, "tiers", tiers);
        for (size_t tier = 0; ok && tier < CHURN_MODEL_TIER_COUNT; tier++)
            if (self->tiers[tier].present)
                ok = s_put (tiers, s_tier_names[tier], s_tier_json (&self->tiers[tier]));
    }
    if (ok && self->rules) {
        json_error_t error;
        ok = s_put (root, "rules", json_loads (self->rules, 0, &error));
    }
    if (ok)
        text = json_dumps (root, JSON_INDENT (S_JSON_INDENT) | JSON_REAL_PRECISION (S_REAL_DIGITS));
    json_decref (measures);
    json_decref (bands);
    json_decref (population);
    json_decref (root);
    return text;
}

int
churn_model_check (const char *text, size_t length, char *name, size_t name_size, char **canonical,
                   char *error, size_t error_size)
{
    assert (text && name && canonical);
    churn_model_t *self = churn_model_new (text, length, error, error_size);
    if (!self)
        return -1;
    int rc = sp_refdata_check_finish (churn_model_to_json (self), churn_model_name (self), name,
                                      name_size, canonical, error, error_size);
    churn_model_destroy (&self);
    return rc;
}

/* ---------------------------------------------------------------- accessors */

const char *
churn_model_name (const churn_model_t *self)
{
    assert (self);
    return self->name;
}

int64_t
churn_model_period_days (const churn_model_t *self)
{
    assert (self);
    return self->period_days;
}

int64_t
churn_model_default_interval_days (const churn_model_t *self)
{
    assert (self);
    return self->default_interval_days;
}

churn_model_population_statistic_t
churn_model_population_statistic (const churn_model_t *self)
{
    assert (self);
    return self->population_statistic;
}

uint32_t
churn_model_population_quantile_bp (const churn_model_t *self)
{
    assert (self);
    return self->population_quantile_bp;
}

const char *
churn_model_measure_name (churn_model_measure_t measure)
{
    assert ((size_t) measure < CHURN_MODEL_MEASURE_COUNT);
    return s_measure_names[measure];
}

int
churn_model_measure_parse (const char *name, churn_model_measure_t *measure)
{
    assert (name && measure);
    for (size_t index = 0; index < CHURN_MODEL_MEASURE_COUNT; index++)
        if (strcmp (name, s_measure_names[index]) == 0) {
            *measure = (churn_model_measure_t) index;
            return 0;
        }
    return -1;
}

const churn_model_measure_params_t *
churn_model_measure (const churn_model_t *self, churn_model_measure_t measure)
{
    assert (self && (size_t) measure < CHURN_MODEL_MEASURE_COUNT);
    return &self->measures[measure];
}

bool
churn_model_tier_valid (char tier)
{
    return tier == 0 || tier == 'A' || tier == 'B' || tier == 'C';
}

/* The overrides of tier, or NULL when none. */
static const s_tier_t *
s_tier (const churn_model_t *self, char tier)
{
    assert (churn_model_tier_valid (tier));
    if (tier == 0 || !self->tiers[tier - 'A'].present)
        return NULL;
    return &self->tiers[tier - 'A'];
}

uint32_t
churn_model_weight_bp (const churn_model_t *self, char tier, churn_model_measure_t measure)
{
    assert (self && (size_t) measure < CHURN_MODEL_MEASURE_COUNT);
    const s_tier_t *found = s_tier (self, tier);
    if (found && found->has_weight[measure])
        return found->weight_bp[measure];
    return self->measures[measure].weight_bp;
}

int
churn_model_red_max (const churn_model_t *self, char tier)
{
    assert (self);
    const s_tier_t *found = s_tier (self, tier);
    return found && found->has_red_max ? found->red_max : self->red_max;
}

int
churn_model_yellow_max (const churn_model_t *self, char tier)
{
    assert (self);
    const s_tier_t *found = s_tier (self, tier);
    return found && found->has_yellow_max ? found->yellow_max : self->yellow_max;
}

churn_band_t
churn_model_band (const churn_model_t *self, char tier, int score)
{
    assert (self && score >= CHURN_SCORE_MIN && score <= CHURN_SCORE_MAX);
    if (score <= churn_model_red_max (self, tier))
        return CHURN_BAND_RED;
    if (score <= churn_model_yellow_max (self, tier))
        return CHURN_BAND_YELLOW;
    return CHURN_BAND_GREEN;
}

const char *
churn_model_rules_json (const churn_model_t *self)
{
    assert (self);
    return self->rules;
}
