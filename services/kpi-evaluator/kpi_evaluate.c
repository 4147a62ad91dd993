/*  kpi_evaluate - every KPI of one scope in one period (see
    kpi_evaluate.h). */
#include "kpi_evaluate.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "sp_civil.h"
#include "sp_error.h"

#define S_BASIS_POINTS 10000
#define S_HUNDREDTHS 100
#define S_CARRY_MAX 64 /* earlier siblings a carry looks at: 53 weeks at most */

/* Working days (Monday to Friday) among days [first, end). */
static int64_t
s_weekdays (int64_t first, int64_t end)
{
    int64_t count = 0;
    for (int64_t day = first; day < end; day++)
        if (sp_civil_iso_weekday (day) < 5)
            count++;
    return count;
}

/* The catalogue's default target of kpi for scope in period, if any. */
static bool
s_default_target (const kpi_definition_t *kpi, const char *scope, const sp_period_t *period,
                  kpi_target_t *target)
{
    if (!kpi->has_default_target)
        return false;
    bool rep = strncmp (scope, "rep:", 4) == 0;
    if (kpi->unit == KPI_UNIT_PER_DAY && !rep)
        return false; /* a rep's pace: a team's visits per day add up its reps' */
    if (kpi_catalog_additive (kpi) && !(period->kind == SP_PERIOD_MONTH && rep))
        return false;
    memset (target, 0, sizeof *target);
    target->target = kpi->default_target;
    return true;
}

/* The shortfall carried into period from its earlier siblings. */
static int
s_carried (kpi_query_t *query, const kpi_targets_t *document, const char *scope,
           const kpi_definition_t *kpi, const sp_period_t *period, const kpi_target_t *target,
           int64_t *carried, char *error, size_t error_size)
{
    *carried = 0;
    if (!target->carry || !document)
        return 0;
    char labels[S_CARRY_MAX][KPI_TARGETS_LABEL_SIZE];
    size_t count =
        kpi_targets_earlier (document, scope, kpi->name, period->label, labels, S_CARRY_MAX);
    int64_t targets[S_CARRY_MAX];
    int64_t actuals[S_CARRY_MAX];
    for (size_t index = 0; index < count; index++) {
        kpi_target_t earlier;
        sp_period_t sibling;
        char reason[KPI_QUERY_ERROR_SIZE];
        if (kpi_targets_get (document, scope, kpi->name, labels[index], &earlier) != 0 ||
            sp_period_parse (kpi_query_tz (query), labels[index], &sibling, reason,
                             sizeof reason) != 0) {
            sp_error_set (error, error_size, "carry of %s: earlier period %s unreadable", kpi->name,
                          labels[index]);
            return -1;
        }
        int64_t sums[KPI_MEASURE_COUNT];
        int64_t first, last;
        if (kpi_query_period_days (query, &sibling, &first, &last) != 0 ||
            kpi_query_scope_sums (query, &sibling, last, scope, sums, error, error_size) != 0)
            return -1;
        targets[index] = earlier.target;
        if (kpi_catalog_value (kpi, sums, 0, &actuals[index]) != 0)
            actuals[index] = 0;
    }
    *carried = kpi_targets_carry (target, targets, actuals, count) - target->target;
    return 0;
}

/* The loaded target of kpi for the scope, or for a ratio or average the
   nearest ancestor's in the org (on the period's last day counted, or
   the as-of day): what holds for a region holds for its teams and reps
   unless they have their own. 0 found, 1 none. */
static int
s_target (kpi_query_t *query, const kpi_evaluation_t *self, const kpi_definition_t *kpi,
          kpi_target_t *target, const kpi_targets_t **document)
{
    const kpi_reference_t *reference = kpi_query_reference (query);
    if (kpi_reference_target (reference, self->scope, kpi->name, self->period.label, target,
                              document) == 0)
        return 0;
    const sp_org_t *org = kpi_reference_org (reference);
    if (kpi_catalog_additive (kpi) || kpi->unit == KPI_UNIT_PER_DAY || !org)
        return 1; /* amounts and a team's visits per day are sums, not inherited */
    int64_t first, last;
    if (kpi_query_period_days (query, &self->period, &first, &last) != 0)
        return 1;
    int64_t day = self->through < last ? self->through : last;
    if (day < first)
        day = first;
    for (const char *node = sp_org_parent (org, self->scope, day); node;
         node = sp_org_parent (org, node, day))
        if (kpi_reference_target (reference, node, kpi->name, self->period.label, target,
                                  document) == 0) {
            target->derived = true;
            target->carry = false;
            return 0;
        }
    return 1;
}

static int
s_row (kpi_query_t *query, kpi_evaluation_t *self, const kpi_definition_t *kpi, const int64_t *sums,
       const kpi_pace_thresholds_t *thresholds, kpi_evaluate_row_t *row, char *error,
       size_t error_size)
{
    memset (row, 0, sizeof *row);
    row->kpi = kpi;
    int value = kpi_catalog_value (kpi, sums, self->working_days, &row->actual);
    if (value < 0) {
        sp_error_set (error, error_size, "%s of %s leaves int64", kpi->name, self->scope);
        return -1;
    }
    row->has_actual = value == 0;
    const kpi_targets_t *document = NULL;
    if (s_target (query, self, kpi, &row->target, &document) == 0)
        row->has_target = true;
    else if (s_default_target (kpi, self->scope, &self->period, &row->target))
        row->has_target = row->default_target = true;
    if (row->has_target && !row->default_target && kpi->unit == KPI_UNIT_MONEY && document &&
        strcmp (kpi_targets_currency (document), kpi_query_currency (query)) != 0) {
        sp_error_set (error, error_size,
                      "targets \"%s\" are in %s, kpi-evaluator counts %s: load them in %s",
                      kpi_targets_name (document), kpi_targets_currency (document),
                      kpi_query_currency (query), kpi_query_currency (query));
        return -1;
    }
    if (row->has_target && s_carried (query, document, self->scope, kpi, &self->period,
                                      &row->target, &row->carried, error, error_size) != 0)
        return -1;
    row->effective = row->target.target + row->carried;
    kpi_target_t first;
    if (row->has_target && !row->default_target &&
        kpi_reference_first_target (kpi_query_reference (query), self->scope, kpi->name,
                                    self->period.label, &first) == 0) {
        row->has_first_target = true;
        row->first_target = first.target;
    }
    if (row->has_target && row->has_actual)
        row->has_attainment = kpi_pace_attainment (row->actual, row->effective,
                                                   kpi->lower_is_better, &row->attainment_bp) == 0;
    kpi_pace_input_t input = {
        .actual = row->has_actual ? row->actual : 0,
        .has_target = row->has_target,
        .target = row->effective,
        .has_floor = row->has_target && row->target.has_floor && row->carried == 0,
        .floor = row->target.floor,
        .has_stretch = row->has_target && row->target.has_stretch && row->carried == 0,
        .stretch = row->target.stretch,
        .days_elapsed = self->days_elapsed,
        .days_total = self->days_total,
        .additive = kpi_catalog_additive (kpi),
        .lower_is_better = kpi->lower_is_better,
    };
    if (!row->has_actual && !input.additive)
        input.has_target = false; /* nothing to judge yet */
    if (kpi_pace_evaluate (&input, thresholds, &row->pace) != 0)
        memset (&row->pace, 0, sizeof row->pace); /* inconsistent bands: no pace shown */
    if (!row->has_actual && !input.additive)
        row->pace.has_projection = false; /* no value yet: nothing to project */
    return 0;
}

int
kpi_evaluate_scope (kpi_query_t *query, const char *scope, const sp_period_t *period,
                    int64_t through, const int64_t *sums, kpi_evaluation_t *out, char *error,
                    size_t error_size)
{
    assert (query && scope && period && out);
    memset (out, 0, sizeof *out);
    if (strlen (scope) >= sizeof out->scope) {
        sp_error_set (error, error_size, "scope \"%.64s...\" is too long", scope);
        return -1;
    }
    snprintf (out->scope, sizeof out->scope, "%s", scope);
    out->period = *period;
    out->through = through;
    int64_t first, last;
    if (kpi_query_period_days (query, period, &first, &last) != 0) {
        sp_error_set (error, error_size, "period %s is out of range", period->label);
        return -1;
    }
    out->days_total = last - first + 1;
    int64_t elapsed = through - first + 1;
    out->days_elapsed = elapsed < 0 ? 0 : elapsed > out->days_total ? out->days_total : elapsed;
    const kpi_targets_t *calendar = kpi_reference_calendar (kpi_query_reference (query));
    out->working_days = calendar
                            ? kpi_targets_business_days (calendar, first, first + out->days_elapsed)
                            : s_weekdays (first, first + out->days_elapsed);
    int64_t read[1][KPI_MEASURE_COUNT];
    if (!sums) {
        if (kpi_query_sums (query, period, through, &scope, 1, read, error, error_size) != 0)
            return -1;
        sums = read[0];
    }
    kpi_pace_thresholds_t thresholds;
    const kpi_scorecard_t *scorecard = kpi_reference_scorecard (kpi_query_reference (query));
    if (scorecard)
        kpi_scorecard_pace_thresholds (scorecard, &thresholds);
    else
        kpi_pace_thresholds_default (&thresholds);
    out->count = kpi_catalog_count ();
    for (size_t index = 0; index < out->count; index++)
        if (s_row (query, out, kpi_catalog_at (index), sums, &thresholds, &out->rows[index], error,
                   error_size) != 0)
            return -1;
    return 0;
}

/* Σ over stages of amount × the stage's probability, rounded half up. */
static int64_t
s_weighted (const kpi_scorecard_t *scorecard, const kpi_query_stage_t *stages, size_t count,
            bool value)
{
    __int128 total = 0;
    for (size_t index = 0; index < count; index++) {
        uint32_t probability_bp;
        if (!kpi_scorecard_stage_probability (scorecard, stages[index].stage, &probability_bp))
            continue;
        total += (__int128) (value ? stages[index].value : stages[index].count) * probability_bp;
    }
    total = (total + S_BASIS_POINTS / 2) / S_BASIS_POINTS;
    return total > INT64_MAX ? INT64_MAX : (int64_t) total;
}

int
kpi_evaluate_forecast (kpi_query_t *query, kpi_evaluation_t *self, char *error, size_t error_size)
{
    const kpi_scorecard_t *scorecard = kpi_reference_scorecard (kpi_query_reference (query));
    if (scorecard && kpi_scorecard_stage_count (scorecard) == 0)
        scorecard = NULL; /* no stage probabilities: no pipeline estimate */
    bool under_way = self->days_elapsed < self->days_total;
    kpi_query_stage_t *stages = NULL;
    size_t count = 0;
    if (under_way && scorecard &&
        kpi_query_open (query, self->scope, &stages, &count, error, error_size) != 0)
        return -1;
    for (size_t index = 0; index < self->count; index++) {
        kpi_evaluate_row_t *row = &self->rows[index];
        bool revenue = strcmp (row->kpi->name, "revenue") == 0;
        bool deals = strcmp (row->kpi->name, "deals_won") == 0;
        if (!under_way) {
            row->has_forecast = row->has_actual;
            row->forecast = row->actual;
            continue;
        }
        if (!row->pace.has_projection)
            continue;
        row->has_forecast = true;
        row->forecast = row->pace.projection;
        if (!(revenue || deals) || !scorecard)
            continue;
        row->has_pipeline = true;
        row->pipeline = s_weighted (scorecard, stages, count, revenue);
        __int128 rest = (__int128) row->pace.projection - row->actual;
        if (rest < 0)
            rest = 0;
        __int128 forecast = (__int128) row->actual + (rest + row->pipeline + 1) / 2;
        row->forecast = forecast > INT64_MAX ? INT64_MAX : (int64_t) forecast;
    }
    kpi_query_stages_free (&stages, count);
    return 0;
}

const kpi_evaluate_row_t *
kpi_evaluate_row (const kpi_evaluation_t *self, const char *kpi)
{
    for (size_t index = 0; index < self->count; index++)
        if (strcmp (self->rows[index].kpi->name, kpi) == 0)
            return &self->rows[index];
    return NULL;
}

json_t *
kpi_evaluate_value_json (kpi_unit_t unit, int64_t value)
{
    switch (unit) {
        case KPI_UNIT_MONEY:
        case KPI_UNIT_COUNT:
            return json_integer ((json_int_t) value);
        case KPI_UNIT_RATIO:
            return json_real ((double) value / S_BASIS_POINTS);
        default:
            return json_real ((double) value / S_HUNDREDTHS);
    }
}

static json_t *
s_optional (bool has, kpi_unit_t unit, int64_t value)
{
    return has ? kpi_evaluate_value_json (unit, value) : json_null ();
}

json_t *
kpi_evaluate_rows_json (const kpi_evaluation_t *self)
{
    json_t *rows = json_array ();
    for (size_t index = 0; rows && index < self->count; index++) {
        const kpi_evaluate_row_t *row = &self->rows[index];
        kpi_unit_t unit = row->kpi->unit;
        const char *status = kpi_pace_status_name (row->pace.status);
        json_t *object = json_pack (
            "{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "kpi",
            row->kpi->name, "unit", kpi_catalog_unit_name (unit), "actual",
            s_optional (row->has_actual, unit, row->actual), "target",
            s_optional (row->has_target, unit, row->effective), "own_target",
            s_optional (row->has_target, unit, row->target.target), "carried",
            s_optional (row->has_target && row->carried != 0, unit, row->carried), "floor",
            s_optional (row->has_target && row->target.has_floor, unit, row->target.floor),
            "stretch",
            s_optional (row->has_target && row->target.has_stretch, unit, row->target.stretch),
            "attainment",
            row->has_attainment ? json_real ((double) row->attainment_bp / S_BASIS_POINTS)
                                : json_null (),
            "projection", s_optional (row->pace.has_projection, unit, row->pace.projection),
            "required_per_day",
            s_optional (row->pace.has_required_per_day, unit, row->pace.required_per_day), "status",
            status ? json_string (status) : json_null (), "default_target", row->default_target);
        bool pipeline = row->has_pipeline;
        if (object &&
            (json_object_set_new (object, "first_target",
                                  s_optional (row->has_first_target, unit, row->first_target)) ||
             json_object_set_new (
                 object, "prorated_target",
                 s_optional (row->pace.has_prorated_target, unit, row->pace.prorated_target)) ||
             json_object_set_new (object, "forecast",
                                  s_optional (row->has_forecast, unit, row->forecast)) ||
             json_object_set_new (object, "pipeline", s_optional (pipeline, unit, row->pipeline))))
            json_decref (object), object = NULL;
        if (!object || json_array_append_new (rows, object) != 0) {
            json_decref (rows);
            return NULL;
        }
    }
    return rows;
}
