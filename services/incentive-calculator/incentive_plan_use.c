/*  incentive_plan_use - using a plan once it is read.

    Part of incentive_plan (declared in incentive_plan.h): the canonical
    JSON form, the earning of a move of the measures (independent or
    blended, behind the cross-component gate), a SPIFF's earning,
    proration by active days and the choice of the version in force.
    Kept apart from the reader (incentive_plan.c) so that each file stays
    small; what the two share is in incentive_plan_internal.h.
*/
#include "incentive_plan_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>

#include "sp_civil.h"
#include "sp_money.h"

#define S_BP INCENTIVE_RATES_BASIS_POINTS
#define S_PPM INCENTIVE_RATES_PPM
#define S_JSON_INDENT 2 /* canonical form indentation */

/* ---------------------------------------------------------------- canonical form */

/* Sets key to value (stolen); false when value is NULL or the set fails. */
static bool
s_put (json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new (object, key, value) == 0;
}

static json_t *
s_ppm_json (int64_t ppm)
{
    char text[INCENTIVE_RATES_TEXT_SIZE];
    return json_string (incentive_rates_ppm_text (ppm, text, sizeof text));
}

static json_t *
s_money_json (const incentive_plan_t *self, int64_t minor)
{
    char text[SP_MONEY_TEXT_SIZE];
    if (sp_money_format (minor, self->currency, text, sizeof text) != SP_MONEY_OK)
        return NULL;
    return json_string (text);
}

static json_t *
s_date_json (int64_t day)
{
    char label[SP_CIVIL_DATE_LABEL_SIZE];
    if (sp_civil_date_label (day, label) != 0)
        return NULL;
    return json_string (label);
}

/* A count (engine units / scale) as a decimal string. */
static json_t *
s_count_json (int64_t count)
{
    char text[INCENTIVE_RATES_TEXT_SIZE];
    snprintf (text, sizeof text, "%" PRId64, count);
    return json_string (text);
}

/* A bound or amount of measure in engine units as written in a plan. */
static json_t *
s_value_json (const incentive_plan_t *self, incentive_plan_measure_t measure, int64_t value)
{
    if (incentive_plan_internal_is_count (measure))
        return s_count_json (value / incentive_plan_unit_scale (self, measure));
    return s_money_json (self, value);
}

/* The bands of table as a JSON array (tiers of a fixed SPIFF write an
   amount per event). */
static json_t *
s_bands_json (const incentive_plan_t *self, const incentive_rates_table_t *table,
              incentive_plan_measure_t measure, bool fixed)
{
    json_t *bands = json_array ();
    bool ok = bands != NULL;
    for (size_t index = 0; ok && index < table->band_count; index++) {
        const incentive_rates_band_t *band = &table->bands[index];
        json_t *object = json_object ();
        ok = object && json_array_append_new (bands, object) == 0;
        if (table->basis == INCENTIVE_RATES_ON_ATTAINMENT)
            ok = ok && s_put (object, "lo", s_ppm_json (band->lo)) &&
                 (band->open || s_put (object, "hi", s_ppm_json (band->hi)));
        else
            ok = ok && s_put (object, "lo", s_value_json (self, measure, band->lo)) &&
                 (band->open || s_put (object, "hi", s_value_json (self, measure, band->hi)));
        if (fixed)
            ok = ok &&
                 s_put (object, "amount",
                        s_money_json (self, band->rate_ppm / (S_PPM / incentive_plan_unit_scale (
                                                                          self, measure))));
        else
            ok = ok && s_put (object, "rate", s_ppm_json (band->rate_ppm));
        ok = ok &&
             s_put (object, "mode", json_string (incentive_plan_internal_mode_names[band->mode]));
    }
    if (!ok)
        json_decref (bands);
    return ok ? bands : NULL;
}

static json_t *
s_table_json (const incentive_plan_t *self, const incentive_rates_table_t *table,
              incentive_plan_measure_t measure)
{
    json_t *object = json_object ();
    bool ok =
        object &&
        s_put (object, "basis", json_string (incentive_plan_internal_basis_names[table->basis])) &&
        s_put (object, "pays", json_string (incentive_plan_internal_pays_names[table->pays])) &&
        s_put (object, "bands", s_bands_json (self, table, measure, false));
    if (ok && table->has_gate) {
        json_t *gate = json_object ();
        ok = s_put (object, "gate", gate) &&
             s_put (gate, "attainment", s_ppm_json (table->gate_ppm)) &&
             s_put (gate, "pays",
                    json_string (incentive_plan_internal_gate_pays_names[table->gate_pays]));
    }
    if (ok && (table->has_payout_cap || table->has_attainment_cap)) {
        json_t *cap = json_object ();
        ok = s_put (object, "cap", cap) &&
             (!table->has_payout_cap ||
              s_put (cap, "payout", s_money_json (self, table->payout_cap))) &&
             (!table->has_attainment_cap ||
              s_put (cap, "attainment", s_ppm_json (table->attainment_cap_ppm)));
    }
    if (!ok)
        json_decref (object);
    return ok ? object : NULL;
}

static bool
s_components_json (const incentive_plan_t *self, json_t *root)
{
    json_t *list = json_array ();
    bool ok = s_put (root, "components", list);
    for (size_t index = 0; ok && index < self->component_count; index++) {
        const incentive_plan_component_t *component = &self->components[index];
        json_t *object = json_object ();
        ok = object && json_array_append_new (list, object) == 0 &&
             s_put (object, "id", json_string (component->id)) &&
             s_put (object, "measure",
                    json_string (incentive_plan_internal_measure_names[component->measure])) &&
             s_put (object, "quota", s_value_json (self, component->measure, component->quota)) &&
             s_put (object, "weight", json_real ((double) component->weight_bp / S_BP)) &&
             (!component->has_table ||
              s_put (object, "table", s_table_json (self, &component->table, component->measure)));
    }
    return ok;
}

static bool
s_spiffs_json (const incentive_plan_t *self, json_t *root)
{
    if (self->spiff_count == 0)
        return true;
    json_t *list = json_array ();
    bool ok = s_put (root, "spiffs", list);
    for (size_t index = 0; ok && index < self->spiff_count; index++) {
        const incentive_plan_spiff_t *spiff = &self->spiffs[index];
        incentive_plan_measure_t unit = spiff->fixed ? INCENTIVE_PLAN_EVENTS : spiff->measure;
        json_t *object = json_object ();
        ok = object && json_array_append_new (list, object) == 0 &&
             s_put (object, "id", json_string (spiff->id)) &&
             s_put (object, "measure",
                    json_string (incentive_plan_internal_measure_names[spiff->measure])) &&
             s_put (object, "from", s_date_json (spiff->from_day)) &&
             s_put (object, "to", s_date_json (spiff->to_day)) &&
             s_put (object, "pays",
                    json_string (incentive_plan_internal_spiff_pays_names[spiff->fixed ? 1 : 0])) &&
             s_put (object, "tiers", s_bands_json (self, &spiff->table, unit, spiff->fixed)) &&
             (!spiff->table.has_payout_cap ||
              s_put (object, "cap", s_money_json (self, spiff->table.payout_cap))) &&
             s_put (object, "counts_in_attainment", json_boolean (spiff->counts_in_attainment));
    }
    return ok;
}

static bool
s_assign_json (const incentive_plan_t *self, json_t *root)
{
    json_t *assign = json_object ();
    bool ok = s_put (root, "assign", assign);
    if (!ok || self->role[0])
        return ok && s_put (assign, "role", json_string (self->role));
    json_t *reps = json_array ();
    ok = s_put (assign, "reps", reps);
    for (size_t index = 0; ok && index < self->rep_count; index++) {
        const incentive_plan_rep_t *rep = &self->reps[index];
        json_t *object = json_object ();
        ok = object && json_array_append_new (reps, object) == 0 &&
             s_put (object, "id", json_string (rep->id)) &&
             (!rep->has_from || s_put (object, "from", s_date_json (rep->from_day))) &&
             (!rep->has_to || s_put (object, "to", s_date_json (rep->to_day)));
    }
    return ok;
}

char *
incentive_plan_to_json (const incentive_plan_t *self)
{
    assert (self);
    char *text = NULL;
    json_t *root = json_object ();
    bool ok =
        root && s_put (root, "name", json_string (self->name)) &&
        s_put (root, "currency", json_string (self->currency)) &&
        s_put (root, "rounding", json_string (INCENTIVE_PLAN_ROUNDING)) &&
        s_put (root, "period", json_string (incentive_plan_internal_period_names[self->period])) &&
        s_put (root, "trigger",
               json_string (incentive_plan_internal_trigger_names[self->trigger])) &&
        s_assign_json (self, root) && incentive_plan_internal_rollup_json (self, root) &&
        incentive_plan_internal_overlays_json (self, root) &&
        s_put (root, "attainment",
               json_string (incentive_plan_internal_attainment_names[self->attainment])) &&
        (self->target_incentive == 0 ||
         s_put (root, "target_incentive", s_money_json (self, self->target_incentive)));
    if (ok && self->has_gate) {
        json_t *gate = json_object ();
        ok = s_put (root, "gate", gate) && s_put (gate, "attainment", s_ppm_json (self->gate_ppm));
    }
    ok = ok && incentive_plan_internal_terms_json (self, root) && s_components_json (self, root) &&
         (!self->has_table ||
          s_put (root, "table", s_table_json (self, &self->table, INCENTIVE_PLAN_REVENUE))) &&
         s_spiffs_json (self, root);
    if (ok)
        text = json_dumps (root, JSON_INDENT (S_JSON_INDENT) | JSON_PRESERVE_ORDER |
                                     JSON_REAL_PRECISION (6));
    json_decref (root);
    return text;
}

/* ---------------------------------------------------------------- computations */

/* values (count of them, measure units) into engine units in out; false
   when one is out of range. */
static bool
s_scale_values (const incentive_plan_t *self, const int64_t *values, int64_t *out)
{
    for (size_t index = 0; index < self->component_count; index++) {
        int64_t scale = incentive_plan_unit_scale (self, self->components[index].measure);
        int64_t limit = INCENTIVE_RATES_VALUE_MAX / scale;
        if (values[index] < -limit || values[index] > limit)
            return false;
        out[index] = values[index] * scale;
    }
    return true;
}

/* True when every component's attainment reaches the plan's gate:
   v × p × PPM >= gate × Q × a, exactly. */
static bool
s_gate_open (const incentive_plan_t *self, const int64_t *values, int64_t active_days,
             int64_t period_days)
{
    if (!self->has_gate)
        return true;
    for (size_t index = 0; index < self->component_count; index++) {
        __int128 reached = (__int128) values[index] * period_days * S_PPM;
        __int128 needed = (__int128) self->gate_ppm * self->components[index].quota * active_days;
        if (reached < needed)
            return false;
    }
    return true;
}

/* Blended points Σ w × v × (lcm / Q), over the quota 10,000 × lcm. */
static bool
s_blended (const incentive_plan_t *self, const int64_t *values, int64_t *points)
{
    __int128 sum = 0;
    for (size_t index = 0; index < self->component_count; index++) {
        const incentive_plan_component_t *component = &self->components[index];
        int64_t value = values[index] < 0 ? 0 : values[index];
        sum += (__int128) component->weight_bp * value * (self->blended_lcm / component->quota);
        if (sum > INCENTIVE_RATES_VALUE_MAX)
            return false;
    }
    *points = (int64_t) sum;
    return true;
}

int
incentive_plan_earn (const incentive_plan_t *self, const int64_t *before, const int64_t *after,
                     int64_t active_days, int64_t period_days, incentive_plan_earning_t *out)
{
    assert (self && before && after && out);
    assert (period_days >= 1 && period_days <= INCENTIVE_RATES_DAYS_MAX);
    assert (active_days >= 1 && active_days <= period_days);
    int64_t from[INCENTIVE_PLAN_COMPONENTS_MAX];
    int64_t to[INCENTIVE_PLAN_COMPONENTS_MAX];
    if (!s_scale_values (self, before, from) || !s_scale_values (self, after, to))
        return -1;
    /* Behind a closed cross-component gate a component has earned nothing:
       F (0) = 0. */
    bool open_before = s_gate_open (self, from, active_days, period_days);
    bool open_after = s_gate_open (self, to, active_days, period_days);
    incentive_plan_earning_t earning = { .gate_open = open_after };
    if (self->attainment == INCENTIVE_PLAN_BLENDED) {
        int64_t points_before = 0;
        int64_t points_after = 0;
        if ((open_before && !s_blended (self, from, &points_before)) ||
            (open_after && !s_blended (self, to, &points_after)))
            return -1;
        incentive_rates_context_t context = { .quota = S_BP * self->blended_lcm,
                                              .target_incentive = self->target_incentive,
                                              .weight_bp = S_BP,
                                              .active_days = active_days,
                                              .period_days = period_days };
        if (incentive_rates_earn (&self->table, &context, points_before, points_after,
                                  &earning.lines[0]) != 0)
            return -1;
        earning.line_count = 1;
        earning.total = earning.lines[0].amount;
    }
    else
        for (size_t index = 0; index < self->component_count; index++) {
            const incentive_plan_component_t *component = &self->components[index];
            incentive_rates_context_t context = { .quota = component->quota,
                                                  .target_incentive = self->target_incentive,
                                                  .weight_bp = component->weight_bp,
                                                  .active_days = active_days,
                                                  .period_days = period_days };
            incentive_rates_result_t *line = &earning.lines[index];
            if (incentive_rates_earn (&component->table, &context, open_before ? from[index] : 0,
                                      open_after ? to[index] : 0, line) != 0)
                return -1;
            earning.total += line->amount;
            earning.line_count = index + 1;
        }
    *out = earning;
    return 0;
}

/* value × factor into *out when it stays within INCENTIVE_RATES_VALUE_MAX. */
static bool
s_scaled (int64_t value, int64_t factor, int64_t *out)
{
    __int128 product = (__int128) value * factor;
    if (product > INCENTIVE_RATES_VALUE_MAX || product < -INCENTIVE_RATES_VALUE_MAX)
        return false;
    *out = (int64_t) product;
    return true;
}

int
incentive_plan_earn_window (const incentive_plan_t *self, int64_t periods, const int64_t *totals,
                            int64_t active_days, int64_t window_days, incentive_plan_earning_t *out)
{
    assert (self && totals && out && periods >= 1);
    incentive_plan_t *scaled = malloc (sizeof *scaled);
    if (!scaled)
        return -1;
    *scaled = *self; /* a plain copy: the reps stay borrowed, never freed through it */
    bool ok = (scaled->target_incentive == 0 ||
               s_scaled (self->target_incentive, periods, &scaled->target_incentive)) &&
              s_scaled (self->blended_lcm, periods, &scaled->blended_lcm) &&
              (!scaled->has_table || !scaled->table.has_payout_cap ||
               s_scaled (self->table.payout_cap, periods, &scaled->table.payout_cap));
    for (size_t index = 0; ok && index < scaled->component_count; index++) {
        incentive_plan_component_t *component = &scaled->components[index];
        ok = s_scaled (component->quota, periods, &component->quota) &&
             (!component->has_table || !component->table.has_payout_cap ||
              s_scaled (component->table.payout_cap, periods, &component->table.payout_cap));
    }
    int64_t zeros[INCENTIVE_PLAN_COMPONENTS_MAX] = { 0 };
    int result =
        ok ? incentive_plan_earn (scaled, zeros, totals, active_days, window_days, out) : -1;
    free (scaled);
    return result;
}

int
incentive_plan_spiff_earn (const incentive_plan_t *self, size_t index, int64_t day, int64_t before,
                           int64_t after, incentive_rates_result_t *result)
{
    assert (self && result && index < self->spiff_count);
    const incentive_plan_spiff_t *spiff = &self->spiffs[index];
    if (day < spiff->from_day || day >= spiff->to_day)
        return 1;
    int64_t scale =
        incentive_plan_unit_scale (self, spiff->fixed ? INCENTIVE_PLAN_EVENTS : spiff->measure);
    int64_t limit = INCENTIVE_RATES_VALUE_MAX / scale;
    if (before < -limit || before > limit || after < -limit || after > limit)
        return -1;
    /* A SPIFF is time-boxed, not prorated: its own whole window. */
    incentive_rates_context_t context = { .active_days = 1, .period_days = 1 };
    return incentive_rates_earn (&spiff->table, &context, before * scale, after * scale, result);
}

int64_t
incentive_plan_active_days (int64_t period_first, int64_t period_end, bool has_from,
                            int64_t from_day, bool has_to, int64_t to_day)
{
    assert (period_first < period_end);
    int64_t first = has_from && from_day > period_first ? from_day : period_first;
    int64_t end = has_to && to_day < period_end ? to_day : period_end;
    return end > first ? end - first : 0;
}

int
incentive_plan_version_choose (const incentive_plan_version_t *versions, size_t count, int64_t at,
                               size_t *index)
{
    assert ((versions || count == 0) && index);
    bool found = false;
    size_t best = 0;
    for (size_t candidate = 0; candidate < count; candidate++) {
        const incentive_plan_version_t *version = &versions[candidate];
        int64_t from = version->has_effective_from ? version->effective_from : INT64_MIN;
        if (from > at)
            continue;
        const incentive_plan_version_t *chosen = &versions[best];
        int64_t chosen_from = chosen->has_effective_from ? chosen->effective_from : INT64_MIN;
        if (!found || from > chosen_from ||
            (from == chosen_from && version->version > chosen->version)) {
            best = candidate;
            found = true;
        }
    }
    if (!found)
        return -1;
    *index = best;
    return 0;
}
