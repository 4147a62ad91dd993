/*  churn_model - the "health" kind of reference data: how churn-alerting
    scores a customer's health (docs/health-model.md).

    An operator writes a health model as a JSON document, loaded with
    `salesctl load`:

        { "name": "default", "period_days": 1, "default_interval_days": 7,
          "population": { "statistic": "next_order", "quantile": 0.1 },
          "bands": { "red_max": 50, "yellow_max": 75 },
          "measures": {
              "recency": { "weight": 0.4, "min_orders": 3,
                           "thresholds": [ { "at": 1, "score": 100 }, ... ] },
              "frequency": { ... }, "monetary": { ... }, "returns": { ... },
              "payment": { ... }, "engagement": { ... }, "complaints": { ... },
              "satisfaction": { "weight": 0.1, "max_age_days": 365,
                                "nps": [0, 10, ..., 100], "csat": [0, 25, 50, 75, 100] } },
          "tiers": { "A": { "weights": { "recency": 0.5 },
                            "bands": { "red_max": 60, "yellow_max": 80 } } },
          "rules": { ... settings of the alert rules, kept as they are ... } }

    Every key but "name" is optional and has a default, so
    {"name": "default"} is a whole model. This object reads and validates
    the document (every refusal names the JSON path and why, like
    `field "measures.recency.weight": 1.5 is not in 0..1`), writes its
    canonical form (every default written, fixed key order), and answers
    the scoring's questions: a measure's parameters, the weights and band
    edges of a tier. The "rules" object is validated by churn_rules (its
    one reader, churn_rules_settings_read_object) and kept as canonical
    JSON text for it.

    Weights are basis points (10,000 = 1), ratios too; scores are integers
    0..100. Pure: no I/O, no global state beyond constant tables.
*/
#ifndef CHURN_MODEL_H_INCLUDED
#define CHURN_MODEL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_band.h"
#include "sp_refdata.h"

/* Basis points in 1. */
#define CHURN_MODEL_BASIS_POINTS 10000

/* Longest model name, bytes of [a-z0-9_-]. */
#define CHURN_MODEL_NAME_MAX 63

/* Room for an error message of churn_model_new. */
#define CHURN_MODEL_ERROR_SIZE 256

/* Points of a thresholds list. */
#define CHURN_MODEL_THRESHOLDS_MIN 2
#define CHURN_MODEL_THRESHOLDS_MAX 8

/* Ranges of the settings (days unless said). */
#define CHURN_MODEL_PERIOD_DAYS_MAX 366
#define CHURN_MODEL_INTERVAL_DAYS_MAX 3660  /* default_interval_days */
#define CHURN_MODEL_WINDOW_DAYS_MAX 180     /* every window_days */
#define CHURN_MODEL_TERMS_DAYS_MAX 180      /* payment.terms_days */
#define CHURN_MODEL_MIN_ORDERS_MIN 2        /* recency.min_orders: one interval at least */
#define CHURN_MODEL_MIN_ORDERS_MAX 100      /* recency.min_orders */
#define CHURN_MODEL_HALF_LIFE_DAYS_MAX 3650 /* complaints.half_life_days */
#define CHURN_MODEL_MAX_AGE_DAYS_MAX 3660   /* satisfaction.max_age_days */
#define CHURN_MODEL_RATIO_MAX_BP 10000000   /* "at" of a ratio: 0..1000 */
#define CHURN_MODEL_COUNT_MAX 1000000       /* "at" of engagement: 0..1,000,000 */
#define CHURN_MODEL_POINTS_MAX_BP 10000000  /* "at" of complaints: 0..1000 points */
#define CHURN_MODEL_KIND_WEIGHT_MAX 100     /* engagement visit/call/demo weights */
#define CHURN_MODEL_SEVERITY_WEIGHT_MAX 100 /* complaint severity points */

/* The measures, in canonical order. */
typedef enum {
    CHURN_MODEL_RECENCY = 0,  /* days since the last order ÷ typical interval (bp) */
    CHURN_MODEL_FREQUENCY,    /* orders in the window ÷ orders in the window before (bp) */
    CHURN_MODEL_MONETARY,     /* amount ordered in the window ÷ the window before (bp) */
    CHURN_MODEL_RETURNS,      /* amount returned ÷ amount ordered in the window (bp) */
    CHURN_MODEL_PAYMENT,      /* paid since ÷ ordered in the window ending terms ago (bp) */
    CHURN_MODEL_ENGAGEMENT,   /* weighted visits, calls and demos in the window (count) */
    CHURN_MODEL_COMPLAINTS,   /* decayed complaint points (bp of a point) */
    CHURN_MODEL_SATISFACTION, /* latest NPS (0..10) or CSAT (1..5) */
} churn_model_measure_t;

#define CHURN_MODEL_MEASURE_COUNT (CHURN_MODEL_SATISFACTION + 1)

/* Complaint severities, as events name them. */
typedef enum {
    CHURN_MODEL_SEVERITY_LOW = 0,
    CHURN_MODEL_SEVERITY_MEDIUM,
    CHURN_MODEL_SEVERITY_HIGH,
    CHURN_MODEL_SEVERITY_CRITICAL,
} churn_model_severity_t;

#define CHURN_MODEL_SEVERITY_COUNT (CHURN_MODEL_SEVERITY_CRITICAL + 1)

/* Survey scales. */
#define CHURN_MODEL_NPS_MAX 10 /* nps 0..10 */
#define CHURN_MODEL_CSAT_MIN 1 /* csat 1..5 */
#define CHURN_MODEL_CSAT_MAX 5

/* What the population's typical interval is a quantile of (the
   "population" object; churn_population computes it). */
typedef enum {
    CHURN_MODEL_POPULATION_NEXT_ORDER = 0, /* the days from the order day the customer is at
                                              (its first, its second, ...) to the next one */
    CHURN_MODEL_POPULATION_OWN_INTERVAL,   /* the customers' own typical intervals */
} churn_model_population_statistic_t;

/* Customer tiers of the "customers" reference data. */
#define CHURN_MODEL_TIER_COUNT 3 /* 'A', 'B', 'C' */

/* One breakpoint: a value of the measure (in its unit) and its score. */
typedef struct {
    int64_t at; /* strictly increasing along a list */
    int score;  /* 0..100 */
} churn_model_threshold_t;

/* A measure's settings, defaults filled in; read-only for callers. Only
   the fields of the measure are set, the others are 0. */
typedef struct {
    uint32_t weight_bp;     /* 0..10,000: weight without a tier override */
    size_t threshold_count; /* 2..8; 0 for satisfaction */
    churn_model_threshold_t thresholds[CHURN_MODEL_THRESHOLDS_MAX];
    int64_t window_days;    /* frequency, monetary, returns, payment, engagement: 1..180 */
    int64_t terms_days;     /* payment: 0..180 */
    int64_t min_orders;     /* recency: order days for the own interval, 2..100 */
    int64_t half_life_days; /* complaints: 1..3650 */
    int severity_points[CHURN_MODEL_SEVERITY_COUNT]; /* complaints: 0..100 each */
    int visit_weight;                                /* engagement: 0..100 */
    int call_weight;                                 /* engagement: 0..100 */
    int demo_weight;                                 /* engagement: 0..100 */
    int64_t max_age_days;                            /* satisfaction: 0..3660 */
    int nps_scores[CHURN_MODEL_NPS_MAX + 1];         /* satisfaction: score of nps 0..10 */
    int csat_scores[CHURN_MODEL_CSAT_MAX];           /* satisfaction: score of csat 1..5 */
} churn_model_measure_params_t;

typedef struct _churn_model_t churn_model_t;

/* The reference data kind "health" of churn-alerting: a new version
   rebuilds the scores; not effective-dated. */
extern const sp_refdata_kind_t churn_model_kind;

/* sp_refdata_check_fn of the kind: the model's name and canonical JSON
   text (malloc'd, the caller frees). */
int churn_model_check (const char *text, size_t length, char *name, size_t name_size,
                       char **canonical, char *error, size_t error_size);

/* Reads and validates a model from JSON text (length bytes). Returns it,
   or NULL with the reason in error. */
churn_model_t *churn_model_new (const char *text, size_t length, char *error, size_t error_size);

/* Destroys the model; no-op on NULL; sets *self_p to NULL. */
void churn_model_destroy (churn_model_t **self_p);

/* The canonical JSON text (malloc'd, the caller frees), NULL when out of
   memory: fixed key order, every default written, tiers A, B, C with
   only the overrides given, "rules" as given with its keys sorted. */
char *churn_model_to_json (const churn_model_t *self);

const char *churn_model_name (const churn_model_t *self);

/* Evaluation period, 1..366 days (default 1: daily). */
int64_t churn_model_period_days (const churn_model_t *self);

/* Typical interval between orders when neither the customer's own nor
   the population's is known, 1..3660 days (default 7). */
int64_t churn_model_default_interval_days (const churn_model_t *self);

/* The population's typical interval (docs/health-model.md, "The
   population's typical interval"): what it is a quantile of (default
   next_order), and the quantile, basis points 0..10,000 (default 1,000:
   the 10th percentile). */
churn_model_population_statistic_t churn_model_population_statistic (const churn_model_t *self);
uint32_t churn_model_population_quantile_bp (const churn_model_t *self);

/* "recency", "frequency", ...; and the measure named name (0), or -1. */
const char *churn_model_measure_name (churn_model_measure_t measure);
int churn_model_measure_parse (const char *name, churn_model_measure_t *measure);

/* The settings of a measure (borrowed, valid while self lives). */
const churn_model_measure_params_t *churn_model_measure (const churn_model_t *self,
                                                         churn_model_measure_t measure);

/* True for a tier the model knows: 'A', 'B', 'C', or 0 (no tier). */
bool churn_model_tier_valid (char tier);

/* A measure's weight for a customer of tier ('A', 'B', 'C' or 0 for none;
   asserted): the tier's override, else the measure's. */
uint32_t churn_model_weight_bp (const churn_model_t *self, char tier,
                                churn_model_measure_t measure);

/* Band edges for tier (as above): scores 0..red_max are red,
   red_max + 1..yellow_max yellow, above green; 0 <= red_max < yellow_max
   < 100. */
int churn_model_red_max (const churn_model_t *self, char tier);
int churn_model_yellow_max (const churn_model_t *self, char tier);

/* The band of score (0..100, asserted) for tier. */
churn_band_t churn_model_band (const churn_model_t *self, char tier, int score);

/* The "rules" object as canonical compact JSON text (keys sorted,
   overdue.factor a number; borrowed, valid while self lives), or NULL
   when the document has none: churn_rules_settings_read reads it. */
const char *churn_model_rules_json (const churn_model_t *self);

#endif
