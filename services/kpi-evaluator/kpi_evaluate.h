/*  kpi_evaluate - every KPI of one scope in one period, as of a day:
    actual, target (with its floor and stretch, and the shortfall carried
    from earlier periods of the same parent), attainment, pace and status
    (docs/kpis.md, docs/scorecards.md). Reads through kpi_query.

    Days: pace counts calendar days; visits_per_day divides by the working
    days elapsed: the business days of the targets document loaded last
    (its weekdays less its holidays, docs/targets.md), Monday to Friday
    when none is loaded. Money targets must be in the reporting currency
    (a document in another currency is refused with the reason).
    "As of" a day means every event of that local day and before, and the
    day counts as elapsed.
    A ratio, average or score without a target of its own takes the nearest
    ancestor's in the org (a rep its team's, region's, company's, on the
    period's last day or the as-of day if earlier); failing that, the
    catalogue's default when it has one (ratios and averages in every
    scope and period; visits_per_day, 8, for reps only; `touches`, 100 a
    month, for a rep's month only). Amounts and counts are never
    inherited: they are decomposed by the targets document.
*/
#ifndef KPI_EVALUATE_H_INCLUDED
#define KPI_EVALUATE_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "kpi_catalog.h"
#include "kpi_keys.h"
#include "kpi_pace.h"
#include "kpi_query.h"
#include "kpi_targets.h"

/* One KPI of the scope. */
typedef struct {
    const kpi_definition_t *kpi;
    bool has_actual; /* defined (a ratio's denominator is not 0) */
    int64_t actual;
    bool has_target;
    bool default_target; /* the catalogue's default, no target loaded */
    kpi_target_t target; /* as loaded (or the default) */
    int64_t carried;     /* shortfall carried in from earlier periods */
    int64_t effective;   /* target + carried */
    bool has_first_target;
    int64_t first_target;  /* the target as first loaded (kpi_reference_first_target) */
    bool has_attainment;
    int64_t attainment_bp; /* actual against effective */
    kpi_pace_t pace;
    bool has_forecast;       /* kpi_evaluate_forecast ran and it applies */
    int64_t forecast;        /* see kpi_evaluate_forecast */
    bool has_pipeline;       /* the forecast used the open pipeline */
    int64_t pipeline;        /* the open pipeline, weighted by stage probability */
} kpi_evaluate_row_t;

typedef struct {
    char scope[KPI_KEYS_SCOPE_MAX];
    sp_period_t period;
    int64_t through;      /* as-of local day */
    int64_t days_elapsed; /* calendar days of the period elapsed, the as-of day included */
    int64_t days_total;   /* calendar days of the period */
    int64_t working_days; /* working days elapsed */
    size_t count;         /* rows, the catalogue's order */
    kpi_evaluate_row_t rows[KPI_CATALOG_MAX];
} kpi_evaluation_t;

/* Evaluates scope in period as of day through. sums, when not NULL, are
   the scope's measures already read (kpi_query_every_scope); otherwise
   they are read. Returns 0, or -1 with the reason. */
int kpi_evaluate_scope (kpi_query_t *query, const char *scope, const sp_period_t *period,
                        int64_t through, const int64_t *sums, kpi_evaluation_t *out, char *error,
                        size_t error_size);

/* Adds the forecast to revenue and deals_won of an evaluation (the other
   KPIs: their projection): while the period is under way, forecast =
   actual + (rest by the run rate + open pipeline weighted by stage
   probability) ÷ 2, where the rest by the run rate is projection −
   actual and the pipeline is Σ over stages of the scope's open value
   (revenue) or open count (deals_won) × the stage's probability in the
   scorecard loaded last (a stage it does not list counts 0; no scorecard,
   or one without stage_probabilities: no pipeline, the forecast is the
   projection; "pipeline" is then null). Once the
   period is over the forecast is the actual. The pipeline is the one
   open now, whatever --as-of says. Returns 0, or -1 with the reason. */
int kpi_evaluate_forecast (kpi_query_t *query, kpi_evaluation_t *self, char *error,
                           size_t error_size);

/* The row of kpi (by name), or NULL. */
const kpi_evaluate_row_t *kpi_evaluate_row (const kpi_evaluation_t *self, const char *kpi);

/* A value of a KPI's unit as JSON: money and counts as integers, ratios
   as fractions (2500 -> 0.25), hundredths as numbers (3550 -> 35.5). */
json_t *kpi_evaluate_value_json (kpi_unit_t unit, int64_t value);

/* The rows as the "kpis" array of `salesctl kpi --json`. */
json_t *kpi_evaluate_rows_json (const kpi_evaluation_t *self);

#endif
