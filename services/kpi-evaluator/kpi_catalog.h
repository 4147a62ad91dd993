/*  kpi_catalog - the built-in catalogue of KPIs kpi-evaluator computes
    (docs/kpis.md): each KPI's name, unit, direction, whether it adds up
    over periods and org nodes, how it is computed from the measures the
    handler counts, and its default target where the seed documents give
    one.

    Values are integers in the KPI's unit:
        money    minor units of the reporting currency
        count    events, deals, customers
        ratio    basis points (1 = 10,000; 25 % = 2,500)
        average  hundredths (35 minutes = 3,500; CSAT 4.2 = 420)
        per_day  hundredths per working day (8 visits a day = 800)
        score    NPS points, -100..100, in hundredths (-100 = -10,000)
    Additive KPIs (money, count) are sums of measures: their targets are
    spread over periods and decomposed over children, carried, and paced.
    The others are ratios of sums, never averages of averages: a year's
    target is every sub-period's and every child's target.

    Pure: no I/O, no global state beyond the constant table.
*/
#ifndef KPI_CATALOG_H_INCLUDED
#define KPI_CATALOG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most KPIs the catalogue holds. */
#define KPI_CATALOG_MAX 24

/* Bytes of a KPI or measure name, terminator included. */
#define KPI_NAME_SIZE 32

/* The measures the handler counts, per partition, period and scope: every
   KPI is a formula over them. Names as stored in Redis (kpi_keys.h). */
typedef enum {
    KPI_MEASURE_WON = 0,               /* deals won (outcome period) */
    KPI_MEASURE_WON_AMOUNT,            /* Σ won amount, reporting currency */
    KPI_MEASURE_WON_OTHER_CURRENCY,    /* deals won in another currency */
    KPI_MEASURE_MARGIN,                /* Σ won margin, reporting currency */
    KPI_MEASURE_LOST,                  /* deals lost (outcome period) */
    KPI_MEASURE_NEW_CUSTOMERS,         /* customers whose first won deal is in the period */
    KPI_MEASURE_LEADS,                 /* leads created (cohort period) */
    KPI_MEASURE_LEADS_WON,             /* leads of the cohort won since */
    KPI_MEASURE_QUOTES,                /* quotes sent */
    KPI_MEASURE_VISITS,                /* visits completed */
    KPI_MEASURE_VISIT_MINUTES,         /* Σ minutes of the visits completed */
    KPI_MEASURE_VISITS_TIER_A,         /* visits completed at tier-A customers */
    KPI_MEASURE_VISITS_PLANNED,        /* visits planned for the period */
    KPI_MEASURE_PLANNED_DONE,          /* planned visits completed as planned */
    KPI_MEASURE_CALLS,                 /* calls */
    KPI_MEASURE_DEMOS,                 /* demos */
    KPI_MEASURE_NPS_ANSWERS,           /* NPS answers */
    KPI_MEASURE_NPS_PROMOTERS,         /* NPS answers 9..10 */
    KPI_MEASURE_NPS_DETRACTORS,        /* NPS answers 0..6 */
    KPI_MEASURE_CSAT_ANSWERS,          /* CSAT answers */
    KPI_MEASURE_CSAT_SUM,              /* Σ CSAT scores 1..5 */
    KPI_MEASURE_ORDER_AMOUNT,          /* Σ order amounts, reporting currency */
    KPI_MEASURE_ORDER_OTHER_CURRENCY,  /* orders in another currency */
    KPI_MEASURE_PAYMENT_AMOUNT,        /* Σ payments, reporting currency */
    KPI_MEASURE_PAYMENT_OTHER_CURRENCY /* payments in another currency */
} kpi_measure_t;

#define KPI_MEASURE_COUNT (KPI_MEASURE_PAYMENT_OTHER_CURRENCY + 1)

typedef enum {
    KPI_UNIT_MONEY = 0,
    KPI_UNIT_COUNT,
    KPI_UNIT_RATIO,
    KPI_UNIT_AVERAGE,
    KPI_UNIT_PER_DAY,
    KPI_UNIT_SCORE,
} kpi_unit_t;

/* How a KPI is computed from the measures (sums over the scope and
   period): */
typedef enum {
    KPI_FORMULA_SUM = 0,  /* Σ numerator */
    KPI_FORMULA_RATIO,    /* Σ numerator × 10,000 ÷ Σ denominator (basis points) */
    KPI_FORMULA_AVERAGE,  /* Σ numerator × 100 ÷ Σ denominator */
    KPI_FORMULA_PER_DAY,  /* Σ numerator × 100 ÷ working days elapsed in the period */
    KPI_FORMULA_NPS,      /* (promoters − detractors) × 10,000 ÷ answers */
} kpi_formula_t;

/* Most measures a numerator or denominator sums. */
#define KPI_TERMS_MAX 3

typedef struct {
    const char *name;       /* catalogue name, e.g. "win_rate" */
    const char *title;      /* for people, e.g. "Win rate" */
    kpi_unit_t unit;        /* see above */
    bool lower_is_better;   /* direction: attainment inverts */
    kpi_formula_t formula;  /* see above */
    size_t numerator_count; /* terms summed above the line */
    kpi_measure_t numerator[KPI_TERMS_MAX];
    size_t denominator_count; /* terms summed below it (RATIO, AVERAGE) */
    kpi_measure_t denominator[KPI_TERMS_MAX];
    bool has_default_target; /* the seed documents give one */
    int64_t default_target;  /* in the unit above */
} kpi_definition_t;

/* Number of KPIs in the catalogue, and the one at index (< count). */
size_t kpi_catalog_count (void);
const kpi_definition_t *kpi_catalog_at (size_t index);

/* The KPI named name, or NULL. */
const kpi_definition_t *kpi_catalog_find (const char *name);

/* True when the KPI's values add up over periods and org nodes (money
   and count units): such targets are spread, decomposed, carried and
   paced. */
bool kpi_catalog_additive (const kpi_definition_t *kpi);

/* "money", "count", "ratio", "average", "per_day" or "score". */
const char *kpi_catalog_unit_name (kpi_unit_t unit);

/* The stored name of a measure ("won_amount"), NULL when out of range;
   and the measure named name (0), or -1. */
const char *kpi_catalog_measure_name (kpi_measure_t measure);
int kpi_catalog_measure_parse (const char *name, kpi_measure_t *measure);

/* The KPI's value from measure sums (indexed by kpi_measure_t) and, for
   PER_DAY, the working days elapsed. Returns 0 with *value set, 1 when
   the value is undefined (a zero denominator: shown as null), -1 when it
   does not fit an int64. */
int kpi_catalog_value (const kpi_definition_t *kpi, const int64_t *sums, int64_t working_days,
                       int64_t *value);

#endif
