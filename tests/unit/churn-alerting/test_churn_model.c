/*  test_churn_model - reading, validating and writing health models
    (churn_model).

    Every refusal is checked with its exact message and leaves the output
    untouched; documents read here also go through the canonical form and
    back.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "churn_model.h"
#include "churn_rules.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define ERROR_FILL 'x'

/* Every field given, none at its default. */
#define FULL_JSON                                                                                  \
    "{\"name\": \"strict\", \"period_days\": 7, \"default_interval_days\": 45, "                   \
    "\"population\": {\"statistic\": \"own_interval\", \"quantile\": 0.25}, "                      \
    "\"bands\": {\"red_max\": 40, \"yellow_max\": 70}, "                                           \
    "\"measures\": {"                                                                              \
    "\"recency\": {\"weight\": 0.3, \"min_orders\": 4, "                                           \
    "\"thresholds\": [{\"at\": 1.25, \"score\": 100}, {\"at\": 2.5, \"score\": 0}]}, "             \
    "\"frequency\": {\"weight\": 0.1, \"window_days\": 60, "                                       \
    "\"thresholds\": [{\"at\": 0, \"score\": 0}, {\"at\": 1, \"score\": 100}]}, "                  \
    "\"monetary\": {\"weight\": 0.1, \"window_days\": 30, "                                        \
    "\"thresholds\": [{\"at\": 0.5, \"score\": 10}, {\"at\": 1, \"score\": 90}]}, "                \
    "\"returns\": {\"weight\": 0.05, \"window_days\": 120, "                                       \
    "\"thresholds\": [{\"at\": 0, \"score\": 100}, {\"at\": 0.2, \"score\": 0}]}, "                \
    "\"payment\": {\"weight\": 0.15, \"window_days\": 45, \"terms_days\": 14, "                    \
    "\"thresholds\": [{\"at\": 0.9, \"score\": 0}, {\"at\": 1, \"score\": 100}]}, "                \
    "\"engagement\": {\"weight\": 0.1, \"window_days\": 30, \"visit\": 3, \"call\": 1, "           \
    "\"demo\": 5, \"thresholds\": [{\"at\": 0, \"score\": 0}, {\"at\": 10, \"score\": 100}]}, "    \
    "\"complaints\": {\"weight\": 0.1, \"half_life_days\": 14, "                                   \
    "\"severity\": {\"low\": 0, \"medium\": 3, \"high\": 6, \"critical\": 12}, "                   \
    "\"thresholds\": [{\"at\": 0, \"score\": 100}, {\"at\": 12.5, \"score\": 0}]}, "               \
    "\"satisfaction\": {\"weight\": 0.1, \"max_age_days\": 180, "                                  \
    "\"nps\": [0, 0, 0, 0, 0, 0, 0, 50, 50, 100, 100], \"csat\": [0, 0, 50, 100, 100]}}, "         \
    "\"tiers\": {\"C\": {\"bands\": {\"red_max\": 30}}, "                                          \
    "\"A\": {\"weights\": {\"satisfaction\": 0.5, \"recency\": 0}, "                               \
    "\"bands\": {\"red_max\": 60, \"yellow_max\": 85}}}, "                                         \
    "\"rules\": {\"single_drop\": {\"points\": 20}, \"red_entry\": false, "                        \
    "\"overdue\": {\"factor\": 3}}}"

static churn_model_t *
s_read (const char *text)
{
    char error[CHURN_MODEL_ERROR_SIZE] = "";
    churn_model_t *model = churn_model_new (text, strlen (text), error, sizeof error);
    if (!model)
        print_error ("unexpected error: %s\n", error);
    assert_non_null (model);
    return model;
}

/* Writes model out, reads it back and writes it again: the same text. */
static void
s_assert_round_trip (const churn_model_t *model)
{
    char *text = churn_model_to_json (model);
    assert_non_null (text);
    churn_model_t *back = s_read (text);
    char *again = churn_model_to_json (back);
    assert_non_null (again);
    assert_string_equal (text, again);
    free (again);
    free (text);
    churn_model_destroy (&back);
}

static char *
s_canonical (const char *text)
{
    churn_model_t *model = s_read (text);
    char *canonical = churn_model_to_json (model);
    assert_non_null (canonical);
    churn_model_destroy (&model);
    return canonical;
}

// ---------------------------------------------------------------- reading

/* {"name": ...} alone is a model with every default. */
static void
test_defaults (void **state)
{
    (void) state;
    churn_model_t *model = s_read ("{\"name\": \"default\"}");
    assert_string_equal (churn_model_name (model), "default");
    assert_int_equal (churn_model_period_days (model), 1);
    assert_int_equal (churn_model_default_interval_days (model), 7);
    assert_int_equal (churn_model_population_statistic (model), CHURN_MODEL_POPULATION_NEXT_ORDER);
    assert_int_equal (churn_model_population_quantile_bp (model), 1000);
    assert_int_equal (churn_model_red_max (model, 0), 50);
    assert_int_equal (churn_model_yellow_max (model, 0), 75);
    assert_int_equal (churn_model_red_max (model, 'A'), 50);
    assert_null (churn_model_rules_json (model));
    const uint32_t weights[] = { 4000, 1000, 1000, 500, 1000, 1000, 1000, 500 };
    uint32_t sum = 0;
    for (size_t index = 0; index < CHURN_MODEL_MEASURE_COUNT; index++) {
        assert_int_equal (churn_model_weight_bp (model, 0, (churn_model_measure_t) index),
                          weights[index]);
        assert_int_equal (churn_model_weight_bp (model, 'B', (churn_model_measure_t) index),
                          weights[index]);
        sum += weights[index];
    }
    assert_int_equal (sum, CHURN_MODEL_BASIS_POINTS);
    const churn_model_measure_params_t *recency = churn_model_measure (model, CHURN_MODEL_RECENCY);
    assert_int_equal (recency->min_orders, 3);
    assert_int_equal (recency->threshold_count, 4);
    assert_int_equal (recency->thresholds[0].at, 10000);
    assert_int_equal (recency->thresholds[0].score, 100);
    assert_int_equal (recency->thresholds[3].at, 30000);
    assert_int_equal (recency->thresholds[3].score, 0);
    assert_int_equal (churn_model_measure (model, CHURN_MODEL_FREQUENCY)->window_days, 90);
    assert_int_equal (churn_model_measure (model, CHURN_MODEL_MONETARY)->window_days, 90);
    assert_int_equal (churn_model_measure (model, CHURN_MODEL_RETURNS)->window_days, 90);
    const churn_model_measure_params_t *payment = churn_model_measure (model, CHURN_MODEL_PAYMENT);
    assert_int_equal (payment->window_days, 90);
    assert_int_equal (payment->terms_days, 30);
    const churn_model_measure_params_t *engagement =
        churn_model_measure (model, CHURN_MODEL_ENGAGEMENT);
    assert_int_equal (engagement->window_days, 90);
    assert_int_equal (engagement->visit_weight, 1);
    assert_int_equal (engagement->call_weight, 1);
    assert_int_equal (engagement->demo_weight, 1);
    assert_int_equal (engagement->thresholds[1].at, 1);
    const churn_model_measure_params_t *complaints =
        churn_model_measure (model, CHURN_MODEL_COMPLAINTS);
    assert_int_equal (complaints->half_life_days, 30);
    assert_int_equal (complaints->severity_points[CHURN_MODEL_SEVERITY_LOW], 1);
    assert_int_equal (complaints->severity_points[CHURN_MODEL_SEVERITY_CRITICAL], 8);
    const churn_model_measure_params_t *satisfaction =
        churn_model_measure (model, CHURN_MODEL_SATISFACTION);
    assert_int_equal (satisfaction->max_age_days, 365);
    assert_int_equal (satisfaction->threshold_count, 0);
    assert_int_equal (satisfaction->nps_scores[7], 70);
    assert_int_equal (satisfaction->csat_scores[0], 0);
    assert_int_equal (satisfaction->csat_scores[4], 100);
    s_assert_round_trip (model);
    churn_model_destroy (&model);
    churn_model_destroy (&model); /* no-op on NULL */
}

/* Every field given: accessors see them all. */
static void
test_full_document (void **state)
{
    (void) state;
    churn_model_t *model = s_read (FULL_JSON);
    assert_string_equal (churn_model_name (model), "strict");
    assert_int_equal (churn_model_period_days (model), 7);
    assert_int_equal (churn_model_default_interval_days (model), 45);
    assert_int_equal (churn_model_population_statistic (model),
                      CHURN_MODEL_POPULATION_OWN_INTERVAL);
    assert_int_equal (churn_model_population_quantile_bp (model), 2500);
    const churn_model_measure_params_t *recency = churn_model_measure (model, CHURN_MODEL_RECENCY);
    assert_int_equal (recency->weight_bp, 3000);
    assert_int_equal (recency->min_orders, 4);
    assert_int_equal (recency->threshold_count, 2);
    assert_int_equal (recency->thresholds[0].at, 12500);
    assert_int_equal (recency->thresholds[1].at, 25000);
    const churn_model_measure_params_t *payment = churn_model_measure (model, CHURN_MODEL_PAYMENT);
    assert_int_equal (payment->window_days, 45);
    assert_int_equal (payment->terms_days, 14);
    const churn_model_measure_params_t *engagement =
        churn_model_measure (model, CHURN_MODEL_ENGAGEMENT);
    assert_int_equal (engagement->visit_weight, 3);
    assert_int_equal (engagement->demo_weight, 5);
    assert_int_equal (engagement->thresholds[1].at, 10);
    const churn_model_measure_params_t *complaints =
        churn_model_measure (model, CHURN_MODEL_COMPLAINTS);
    assert_int_equal (complaints->half_life_days, 14);
    assert_int_equal (complaints->severity_points[CHURN_MODEL_SEVERITY_LOW], 0);
    assert_int_equal (complaints->severity_points[CHURN_MODEL_SEVERITY_HIGH], 6);
    assert_int_equal (complaints->thresholds[1].at, 125000);
    const churn_model_measure_params_t *satisfaction =
        churn_model_measure (model, CHURN_MODEL_SATISFACTION);
    assert_int_equal (satisfaction->max_age_days, 180);
    assert_int_equal (satisfaction->nps_scores[8], 50);
    assert_int_equal (satisfaction->csat_scores[2], 50);
    /* tiers: A overrides two weights and both edges, C only red_max */
    assert_int_equal (churn_model_weight_bp (model, 'A', CHURN_MODEL_SATISFACTION), 5000);
    assert_int_equal (churn_model_weight_bp (model, 'A', CHURN_MODEL_RECENCY), 0);
    assert_int_equal (churn_model_weight_bp (model, 'A', CHURN_MODEL_PAYMENT), 1500);
    assert_int_equal (churn_model_weight_bp (model, 'B', CHURN_MODEL_RECENCY), 3000);
    assert_int_equal (churn_model_red_max (model, 'A'), 60);
    assert_int_equal (churn_model_yellow_max (model, 'A'), 85);
    assert_int_equal (churn_model_red_max (model, 'B'), 40);
    assert_int_equal (churn_model_red_max (model, 'C'), 30);
    assert_int_equal (churn_model_yellow_max (model, 'C'), 70);
    assert_int_equal (churn_model_red_max (model, 0), 40);
    /* rules: kept with keys sorted, the factor as a number */
    assert_string_equal (churn_model_rules_json (model),
                         "{\"overdue\":{\"factor\":3.0},\"red_entry\":false,"
                         "\"single_drop\":{\"points\":20}}");
    churn_rules_settings_t settings;
    char error[CHURN_MODEL_ERROR_SIZE];
    const char *rules = churn_model_rules_json (model);
    assert_int_equal (
        churn_rules_settings_read (&settings, rules, strlen (rules), error, sizeof error), 0);
    assert_int_equal (settings.overdue_factor_bp, 30000);
    assert_int_equal (settings.single_drop_points, 20);
    s_assert_round_trip (model);
    churn_model_destroy (&model);
}

/* Bands of a score at the edges, with and without a tier. */
static void
test_band_edges (void **state)
{
    (void) state;
    churn_model_t *model = s_read ("{\"name\": \"default\", \"tiers\": {\"A\": {\"bands\": "
                                   "{\"red_max\": 60, \"yellow_max\": 80}}}}");
    assert_int_equal (churn_model_band (model, 0, 0), CHURN_BAND_RED);
    assert_int_equal (churn_model_band (model, 0, 50), CHURN_BAND_RED);
    assert_int_equal (churn_model_band (model, 0, 51), CHURN_BAND_YELLOW);
    assert_int_equal (churn_model_band (model, 0, 75), CHURN_BAND_YELLOW);
    assert_int_equal (churn_model_band (model, 0, 76), CHURN_BAND_GREEN);
    assert_int_equal (churn_model_band (model, 0, 100), CHURN_BAND_GREEN);
    assert_int_equal (churn_model_band (model, 'B', 51), CHURN_BAND_YELLOW);
    assert_int_equal (churn_model_band (model, 'A', 60), CHURN_BAND_RED);
    assert_int_equal (churn_model_band (model, 'A', 61), CHURN_BAND_YELLOW);
    assert_int_equal (churn_model_band (model, 'A', 80), CHURN_BAND_YELLOW);
    assert_int_equal (churn_model_band (model, 'A', 81), CHURN_BAND_GREEN);
    churn_model_destroy (&model);
}

/* Measure names both ways; tiers known. */
static void
test_names (void **state)
{
    (void) state;
    const char *names[] = { "recency", "frequency",  "monetary",   "returns",
                            "payment", "engagement", "complaints", "satisfaction" };
    for (size_t index = 0; index < COUNT (names); index++) {
        churn_model_measure_t measure = CHURN_MODEL_RECENCY;
        assert_string_equal (churn_model_measure_name ((churn_model_measure_t) index),
                             names[index]);
        assert_int_equal (churn_model_measure_parse (names[index], &measure), 0);
        assert_int_equal (measure, index);
    }
    churn_model_measure_t measure = CHURN_MODEL_PAYMENT;
    assert_int_equal (churn_model_measure_parse ("loyalty", &measure), -1);
    assert_int_equal (measure, CHURN_MODEL_PAYMENT);
    assert_true (churn_model_tier_valid ('A'));
    assert_true (churn_model_tier_valid ('C'));
    assert_true (churn_model_tier_valid (0));
    assert_false (churn_model_tier_valid ('D'));
    assert_false (churn_model_tier_valid ('a'));
}

// ---------------------------------------------------------------- canonical form

/* The same document however spaced and ordered gives the same text;
   defaults are written out, so writing them changes nothing. */
static void
test_canonical_stable (void **state)
{
    (void) state;
    char *one = s_canonical ("{\"name\": \"x\", \"bands\": {\"yellow_max\": 80, \"red_max\": 40}, "
                             "\"rules\": {\"repeat_periods\": 3, \"red_entry\": true}}");
    char *other = s_canonical ("{\"rules\":{\"red_entry\":true,\"repeat_periods\":3},"
                               "\"bands\":{\"red_max\":40,\"yellow_max\":80},\"name\":\"x\"}");
    assert_string_equal (one, other);
    free (other);
    char *plain = s_canonical ("{\"name\": \"default\"}");
    char *spelled = s_canonical (
        "{\"name\": \"default\", \"period_days\": 1, \"bands\": {\"red_max\": 50}, "
        "\"measures\": {\"recency\": {\"weight\": 0.4, \"thresholds\": [{\"at\": 1, \"score\": "
        "100}, {\"at\": 1.5, \"score\": 75}, {\"at\": 2, \"score\": 50}, {\"at\": 3, \"score\": "
        "0}]}, \"complaints\": {\"severity\": {\"critical\": 8}}}, "
        "\"population\": {\"quantile\": 0.1}}");
    assert_string_equal (plain, spelled);
    /* the order of the canonical form */
    const char *keys[] = { "\"name\"",        "\"period_days\"", "\"default_interval_days\"",
                           "\"population\"",  "\"statistic\"",   "\"quantile\"",
                           "\"bands\"",       "\"measures\"",    "\"recency\"",
                           "\"frequency\"",   "\"monetary\"",    "\"returns\"",
                           "\"payment\"",     "\"engagement\"",  "\"complaints\"",
                           "\"satisfaction\"" };
    const char *at = plain;
    for (size_t index = 0; index < COUNT (keys); index++) {
        const char *found = strstr (at, keys[index]);
        assert_non_null (found);
        at = found;
    }
    assert_non_null (strstr (plain, "\"statistic\": \"next_order\","));
    assert_non_null (strstr (plain, "\"quantile\": 0.1\n"));
    assert_non_null (strstr (plain, "\"weight\": 0.4,"));
    assert_non_null (strstr (plain, "\"at\": 1.5,"));
    assert_null (strstr (plain, "\"tiers\""));
    assert_null (strstr (plain, "\"rules\""));
    free (spelled);
    free (plain);
    free (one);
}

/* check gives the name and the canonical text; a refusal leaves them. */
static void
test_check (void **state)
{
    (void) state;
    assert_string_equal (churn_model_kind.kind, "health");
    assert_string_equal (churn_model_kind.service, "churn-alerting");
    assert_int_equal (churn_model_kind.change, SP_REFDATA_REBUILD);
    assert_false (churn_model_kind.effective_dated);
    char name[SP_REFDATA_NAME_SIZE] = "";
    char *canonical = NULL;
    char error[CHURN_MODEL_ERROR_SIZE] = "";
    assert_int_equal (churn_model_kind.check (FULL_JSON, strlen (FULL_JSON), name, sizeof name,
                                              &canonical, error, sizeof error),
                      0);
    assert_string_equal (name, "strict");
    char *expected = s_canonical (FULL_JSON);
    assert_string_equal (canonical, expected);
    free (expected);
    free (canonical);
    canonical = NULL;
    snprintf (name, sizeof name, "kept");
    const char *bad = "{\"name\": \"Bad Name\"}";
    assert_int_equal (
        churn_model_check (bad, strlen (bad), name, sizeof name, &canonical, error, sizeof error),
        -1);
    assert_string_equal (name, "kept");
    assert_null (canonical);
    assert_string_equal (error, "field \"name\": invalid name \"Bad Name\": use 1 to 63 characters "
                                "of a-z, 0-9, \"_\" and \"-\"");
}

// ---------------------------------------------------------------- refusals

typedef struct {
    const char *text;
    const char *error;
} s_refusal_t;

#define M(body) "{\"name\": \"m\", \"measures\": {" body "}}"
#define TIERS(body) "{\"name\": \"m\", \"tiers\": {" body "}}"
#define RULES(body) "{\"name\": \"m\", \"rules\": {" body "}}"

static const s_refusal_t s_refusals[] = {
    { "[]", "a health model must be a JSON object, got an array" },
    { "{\"period_days\": 1}", "field \"name\": required" },
    { "{\"name\": \"m\", \"colour\": 1}", "field \"colour\": unknown field" },
    { "{\"name\": \"m\", \"period_days\": 0}", "field \"period_days\": 0 is not in 1..366" },
    { "{\"name\": \"m\", \"default_interval_days\": \"30\"}",
      "field \"default_interval_days\": expected an integer, got a string" },
    { "{\"name\": \"m\", \"population\": 0.1}",
      "field \"population\": expected an object, got a real number" },
    { "{\"name\": \"m\", \"population\": {\"median\": true}}",
      "field \"population.median\": unknown field" },
    { "{\"name\": \"m\", \"population\": {\"statistic\": \"mean\"}}",
      "field \"population.statistic\": unknown statistic \"mean\": use \"next_order\" or "
      "\"own_interval\"" },
    { "{\"name\": \"m\", \"population\": {\"statistic\": 1}}",
      "field \"population.statistic\": expected a string, got an integer" },
    { "{\"name\": \"m\", \"population\": {\"quantile\": 1.5}}",
      "field \"population.quantile\": 1.5 is not in 0..1" },
    { "{\"name\": \"m\", \"population\": {\"quantile\": 0.12345}}",
      "field \"population.quantile\": 0.12345 has more than 4 decimals" },
    { M ("\"loyalty\": {}"), "field \"measures.loyalty\": unknown field" },
    { M ("\"recency\": {\"window_days\": 30}"),
      "field \"measures.recency.window_days\": unknown field" },
    { M ("\"recency\": {\"weight\": 1.5}"),
      "field \"measures.recency.weight\": 1.5 is not in 0..1" },
    { M ("\"payment\": {\"weight\": -0.1}"),
      "field \"measures.payment.weight\": -0.1 is not in 0..1" },
    { M ("\"frequency\": {\"window_days\": 181}"),
      "field \"measures.frequency.window_days\": 181 is not in 1..180" },
    { M ("\"recency\": {\"min_orders\": 1}"),
      "field \"measures.recency.min_orders\": 1 is not in 2..100" },
    { M ("\"recency\": {\"thresholds\": [{\"at\": 2, \"score\": 50}, {\"at\": 1.5, \"score\": "
         "0}]}"),
      "field \"measures.recency.thresholds[1].at\": must be more than 2, the \"at\" before it" },
    { M ("\"engagement\": {\"thresholds\": [{\"at\": 3, \"score\": 50}, {\"at\": 3, \"score\": "
         "0}]}"),
      "field \"measures.engagement.thresholds[1].at\": must be more than 3, the \"at\" before it" },
    { M ("\"engagement\": {\"thresholds\": [{\"at\": 0.5, \"score\": 50}, {\"at\": 3, "
         "\"score\": 0}]}"),
      "field \"measures.engagement.thresholds[0].at\": expected an integer, got a real number" },
    { M ("\"returns\": {\"thresholds\": [{\"at\": 0, \"score\": 100}]}"),
      "field \"measures.returns.thresholds\": 2 to 8 thresholds, not 1" },
    { M ("\"returns\": {\"thresholds\": [{\"at\": 0, \"score\": 101}, {\"at\": 1, \"score\": "
         "0}]}"),
      "field \"measures.returns.thresholds[0].score\": 101 is not in 0..100" },
    { M ("\"returns\": {\"thresholds\": [{\"at\": 0, \"score\": 1, \"note\": 2}, {\"at\": 1, "
         "\"score\": 0}]}"),
      "field \"measures.returns.thresholds[0].note\": unknown field" },
    { M ("\"complaints\": {\"severity\": {\"urgent\": 3}}"),
      "field \"measures.complaints.severity.urgent\": unknown field" },
    { M ("\"complaints\": {\"half_life_days\": 0}"),
      "field \"measures.complaints.half_life_days\": 0 is not in 1..3650" },
    { M ("\"satisfaction\": {\"nps\": [0, 10]}"),
      "field \"measures.satisfaction.nps\": expected 11 scores, got 2" },
    { M ("\"satisfaction\": {\"csat\": [0, 25, 50, 75, 101]}"),
      "field \"measures.satisfaction.csat[4]\": 101 is not in 0..100" },
    { "{\"name\": \"m\", \"bands\": {\"red_max\": 75}}",
      "field \"bands.red_max\": red_max (75) must be less than yellow_max (75)" },
    { "{\"name\": \"m\", \"bands\": {\"yellow_max\": 40}}",
      "field \"bands.yellow_max\": red_max (50) must be less than yellow_max (40)" },
    { "{\"name\": \"m\", \"bands\": {\"yellow_max\": 100}}",
      "field \"bands.yellow_max\": 100 is not in 1..99" },
    { TIERS ("\"D\": {}"), "field \"tiers.D\": unknown tier, expected \"A\", \"B\" or \"C\"" },
    { TIERS ("\"A\": []"), "field \"tiers.A\": expected an object, got an array" },
    { TIERS ("\"B\": {\"weights\": {\"loyalty\": 0.5}}"),
      "field \"tiers.B.weights.loyalty\": unknown field" },
    { TIERS ("\"B\": {\"weights\": {\"recency\": 2}}"),
      "field \"tiers.B.weights.recency\": 2 is not in 0..1" },
    { TIERS ("\"C\": {\"bands\": {\"red_max\": 80}}"),
      "field \"tiers.C.bands.red_max\": red_max (80) must be less than yellow_max (75)" },
    { TIERS ("\"C\": {\"thresholds\": {}}"), "field \"tiers.C.thresholds\": unknown field" },
    { "{\"name\": \"m\", \"rules\": true}", "field \"rules\": expected an object, got a boolean" },
    { RULES ("\"red_entry\": 1"), "field \"rules.red_entry\": expected a boolean, got an integer" },
    { RULES ("\"consecutive_drops\": {\"periods\": \"3\"}"),
      "field \"rules.consecutive_drops.periods\": expected an integer, got a string" },
    { RULES ("\"overdue\": {\"factor\": 0.5}"),
      "field \"rules.overdue.factor\": 0.5 is not in 1..100" },
    { RULES ("\"snooze\": 3"), "field \"rules.snooze\": unknown field" },
};

static void
test_refusals (void **state)
{
    (void) state;
    for (size_t index = 0; index < COUNT (s_refusals); index++) {
        char error[CHURN_MODEL_ERROR_SIZE];
        memset (error, ERROR_FILL, sizeof error);
        const char *text = s_refusals[index].text;
        churn_model_t *model = churn_model_new (text, strlen (text), error, sizeof error);
        if (model || strcmp (error, s_refusals[index].error) != 0)
            print_error ("case %zu: %s\n  got: %s\n", index, text, model ? "(accepted)" : error);
        assert_null (model);
        assert_string_equal (error, s_refusals[index].error);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_defaults),         cmocka_unit_test (test_full_document),
        cmocka_unit_test (test_band_edges),       cmocka_unit_test (test_names),
        cmocka_unit_test (test_canonical_stable), cmocka_unit_test (test_check),
        cmocka_unit_test (test_refusals),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
