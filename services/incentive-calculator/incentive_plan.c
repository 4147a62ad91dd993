/*  incentive_plan - the plans kind: reading and validating a plan (see
    incentive_plan.h and docs/incentives.md).

    Reading is one pass over the document with sp_json_read, so each
    refusal names the JSON path; the first error found is the one
    reported. Money, quotas, bounds and rates are JSON strings read with
    integer arithmetic (sp_money, incentive_rates_ppm_parse), never as
    binary floats; weights are fractions with at most four decimals.

    The earnings of a move, SPIFFs, proration, version choice and the
    canonical form are in incentive_plan_use.c; the struct and what the
    two files share are in incentive_plan_internal.h.
*/
#include "incentive_plan_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_civil.h"
#include "sp_error.h"
#include "sp_json_read.h"
#include "sp_money.h"

_Static_assert(INCENTIVE_RATES_BASIS_POINTS == SP_JSON_BASIS_POINTS,
               "a weight reads into the same basis points");

#define S_BP INCENTIVE_RATES_BASIS_POINTS
#define S_PPM INCENTIVE_RATES_PPM
#define S_DECIMAL_BASE 10

/* The reference data kind of plans. */
const sp_refdata_kind_t incentive_plan_kind = {
    .kind = "plans",
    .service = "incentive-calculator",
    .change = SP_REFDATA_FORWARD,
    .effective_dated = true,
    .check = incentive_plan_check,
};

/* JSON spellings, indexed by their enums. */
const char *const incentive_plan_internal_period_names[] = { "month", "quarter", "year" };
const char *const incentive_plan_internal_trigger_names[] = { "booking", "invoice", "payment" };
const char *const incentive_plan_internal_attainment_names[] = { "independent", "blended" };
const char *const incentive_plan_internal_measure_names[] = { "revenue", "margin", "new_logos",
                                                              "units", "events" };
const char *const incentive_plan_internal_mode_names[] = { "marginal", "retroactive" };
const char *const incentive_plan_internal_basis_names[] = { "amount", "attainment" };
const char *const incentive_plan_internal_pays_names[] = { "rate", "target_incentive" };
const char *const incentive_plan_internal_gate_pays_names[] = { "whole", "excess" };
const char *const incentive_plan_internal_spiff_pays_names[] = { "rate", "fixed" };
static const char *const s_roundings[] = { INCENTIVE_PLAN_ROUNDING };

#define S_COUNT(array) (sizeof (array) / sizeof ((array)[0]))

/* Keys allowed, in canonical order. */
static const char *const s_top_keys[] = {
    "name",       "currency",   "rounding",         "period", "trigger", "assign",   "rollup",
    "overlays",   "attainment", "target_incentive", "gate",   "draw",    "clawback", "true_up",
    "components", "table",      "spiffs",           NULL
};
static const char *const s_assign_keys[] = { "role", "reps", NULL };
static const char *const s_rep_keys[] = { "id", "from", "to", NULL };
static const char *const s_component_keys[] = { "id", "measure", "quota", "weight", "table", NULL };
static const char *const s_table_keys[] = { "basis", "pays", "bands", "gate", "cap", NULL };
static const char *const s_band_keys[] = { "lo", "hi", "rate", "mode", NULL };
static const char *const s_tier_keys[] = { "lo", "hi", "rate", "amount", "mode", NULL };
static const char *const s_gate_keys[] = { "attainment", "pays", NULL };
static const char *const s_plan_gate_keys[] = { "attainment", NULL };
static const char *const s_cap_keys[] = { "payout", "attainment", NULL };
static const char *const s_spiff_keys[] = {
    "id", "measure", "from", "to", "pays", "amount", "rate", "tiers", "cap", "counts_in_attainment",
    NULL
};

bool
incentive_plan_internal_is_count (incentive_plan_measure_t measure)
{
    return measure == INCENTIVE_PLAN_NEW_LOGOS || measure == INCENTIVE_PLAN_UNITS ||
           measure == INCENTIVE_PLAN_EVENTS;
}

int64_t
incentive_plan_unit_scale (const incentive_plan_t *self, incentive_plan_measure_t measure)
{
    assert (self);
    int64_t scale = 1;
    if (incentive_plan_internal_is_count (measure))
        for (int digit = 0; digit < self->decimals; digit++)
            scale *= S_DECIMAL_BASE;
    return scale;
}

/* Decimals shown for a measure's amounts: the currency's, 0 for counts. */
static int
s_display_decimals (const incentive_plan_t *self, incentive_plan_measure_t measure)
{
    return incentive_plan_internal_is_count (measure) ? 0 : self->decimals;
}

/* Reads a choice among names (count of them) at key of object; absent:
 *choice keeps its default. allowed lists them for the message. */
static int
s_read_choice (sp_json_reader_t *reader, const json_t *object, const char *parent, const char *key,
               const char *what, const char *allowed, const char *const *names, size_t count,
               bool required, int *choice)
{
    char path[SP_JSON_PATH_SIZE];
    sp_json_path (path, sizeof path, parent, key);
    const json_t *value = json_object_get (object, key);
    if (!value && !required)
        return 0;
    return sp_json_read_choice (reader, value, path, what, allowed, names, count, choice);
}

/* Reads money (a string, the plan's currency) at path into *minor. */
static int
s_read_money (sp_json_reader_t *reader, const incentive_plan_t *self, const json_t *value,
              const char *path, int64_t *minor)
{
    const char *text;
    if (sp_json_read_string (reader, value, path, &text) != 0)
        return -1;
    sp_money_status_t status = sp_money_parse (text, self->currency, minor);
    if (status != SP_MONEY_OK) {
        char quoted[SP_JSON_PATH_SIZE];
        return sp_json_fail (reader, path, "invalid amount \"%s\" in %s: %s",
                             sp_json_quote (value, quoted, sizeof quoted), self->currency,
                             sp_money_status_text (status));
    }
    return 0;
}

/* Reads an amount of measure (money, or a whole count) into engine units. */
static int
s_read_amount (sp_json_reader_t *reader, const incentive_plan_t *self,
               incentive_plan_measure_t measure, const json_t *value, const char *path,
               int64_t *amount)
{
    if (!incentive_plan_internal_is_count (measure))
        return s_read_money (reader, self, value, path, amount);
    const char *text;
    if (sp_json_read_string (reader, value, path, &text) != 0)
        return -1;
    int64_t count;
    int64_t scale = incentive_plan_unit_scale (self, measure);
    if (sp_money_parse_decimal (text, 0, &count) != SP_MONEY_OK ||
        count > INCENTIVE_RATES_VALUE_MAX / scale) {
        char quoted[SP_JSON_PATH_SIZE];
        return sp_json_fail (reader, path, "invalid count \"%s\": use a whole number",
                             sp_json_quote (value, quoted, sizeof quoted));
    }
    *amount = count * scale;
    return 0;
}

/* Reads a decimal string into ppm, 0..max_ppm. */
static int
s_read_ppm (sp_json_reader_t *reader, const json_t *value, const char *path, int64_t max_ppm,
            int64_t *ppm)
{
    const char *text;
    if (sp_json_read_string (reader, value, path, &text) != 0)
        return -1;
    char reason[INCENTIVE_RATES_ERROR_SIZE];
    if (incentive_rates_ppm_parse (text, max_ppm, ppm, reason, sizeof reason) != 0)
        return sp_json_fail (reader, path, "%s", reason);
    return 0;
}

/* Reads a date "YYYY-MM-DD" into a day number. */
static int
s_read_date (sp_json_reader_t *reader, const json_t *value, const char *path, int64_t *day)
{
    const char *text;
    if (sp_json_read_string (reader, value, path, &text) != 0)
        return -1;
    int64_t number;
    if (sp_civil_date_parse (text, &number) != 0 || number < 0) { /* plans: 1970..9999 */
        char quoted[SP_JSON_PATH_SIZE];
        return sp_json_fail (reader, path, "invalid date \"%s\": use YYYY-MM-DD",
                             sp_json_quote (value, quoted, sizeof quoted));
    }
    *day = number;
    return 0;
}

/* Fails when id is already the rule id of a component or SPIFF read. */
static int
s_check_unique (sp_json_reader_t *reader, const incentive_plan_t *self, const char *id,
                const char *path)
{
    for (size_t index = 0; index < self->component_count; index++)
        if (strcmp (self->components[index].id, id) == 0)
            return sp_json_fail (reader, path, "duplicate id \"%s\": components[%zu] has it", id,
                                 index);
    for (size_t index = 0; index < self->spiff_count; index++)
        if (strcmp (self->spiffs[index].id, id) == 0)
            return sp_json_fail (reader, path, "duplicate id \"%s\": spiffs[%zu] has it", id,
                                 index);
    return 0;
}

/* Reads a band (or a SPIFF tier when tier, paying amount per event when
   fixed) at list[index] into table->bands[index]. */
static int
s_read_band (sp_json_reader_t *reader, const incentive_plan_t *self,
             incentive_plan_measure_t measure, incentive_rates_table_t *table, size_t index,
             const json_t *object, const char *parent, bool tier, bool fixed)
{
    char path[SP_JSON_PATH_SIZE];
    if (sp_json_read_object (reader, object, parent) != 0)
        return -1;
    if (sp_json_check_keys (reader, object, parent, tier ? s_tier_keys : s_band_keys) != 0)
        return -1;
    incentive_rates_band_t *band = &table->bands[index];
    const char *keys[] = { "lo", "hi" };
    int64_t *bounds[] = { &band->lo, &band->hi };
    for (size_t side = 0; side < 2; side++) {
        sp_json_path (path, sizeof path, parent, keys[side]);
        const json_t *value = json_object_get (object, keys[side]);
        if (side == 1 && !value) {
            band->open = true;
            continue;
        }
        int rc =
            table->basis == INCENTIVE_RATES_ON_ATTAINMENT
                ? s_read_ppm (reader, value, path, INCENTIVE_RATES_ATTAINMENT_MAX_PPM, bounds[side])
                : s_read_amount (reader, self, measure, value, path, bounds[side]);
        if (rc != 0)
            return -1;
    }
    if (fixed) {
        sp_json_path (path, sizeof path, parent, "amount");
        int64_t amount;
        if (json_object_get (object, "rate"))
            return sp_json_fail (reader, path, "a fixed SPIFF pays an amount, not a rate");
        if (s_read_money (reader, self, json_object_get (object, "amount"), path, &amount) != 0)
            return -1;
        if (amount < 0)
            return sp_json_fail (reader, path, "must not be negative");
        if (amount >
            INCENTIVE_PLAN_PER_UNIT_MAX_PPM / (S_PPM / incentive_plan_unit_scale (self, measure)))
            return sp_json_fail (reader, path, "more than %" PRId64 " per event",
                                 INCENTIVE_PLAN_PER_UNIT_MAX_PPM / S_PPM);
        /* Money per event: the event counts scale units, so per unit of
           engine value it is amount / scale, exact in ppm. */
        band->rate_ppm = amount * (S_PPM / incentive_plan_unit_scale (self, measure));
    }
    else {
        sp_json_path (path, sizeof path, parent, "rate");
        if (tier && json_object_get (object, "amount"))
            return sp_json_fail (reader, parent, "a rate SPIFF pays a rate, not an amount");
        int64_t max = table->pays == INCENTIVE_RATES_PAYS_TARGET ? INCENTIVE_PLAN_MULTIPLIER_MAX_PPM
                      : incentive_plan_internal_is_count (measure) ? INCENTIVE_PLAN_PER_UNIT_MAX_PPM
                                                                   : INCENTIVE_PLAN_RATE_MAX_PPM;
        if (s_read_ppm (reader, json_object_get (object, "rate"), path, max, &band->rate_ppm) != 0)
            return -1;
    }
    int mode = INCENTIVE_RATES_MARGINAL;
    if (s_read_choice (reader, object, parent, "mode", "mode", "\"marginal\" or \"retroactive\"",
                       incentive_plan_internal_mode_names,
                       S_COUNT (incentive_plan_internal_mode_names), false, &mode) != 0)
        return -1;
    band->mode = (incentive_rates_mode_t) mode;
    table->band_count = index + 1;
    return 0;
}

/* The rate bound of a table of measure. */
static int64_t
s_rate_max (const incentive_rates_table_t *table, incentive_plan_measure_t measure, bool fixed)
{
    if (fixed ||
        (incentive_plan_internal_is_count (measure) && table->pays == INCENTIVE_RATES_PAYS_RATE))
        return INCENTIVE_PLAN_PER_UNIT_MAX_PPM;
    return table->pays == INCENTIVE_RATES_PAYS_TARGET ? INCENTIVE_PLAN_MULTIPLIER_MAX_PPM
                                                      : INCENTIVE_PLAN_RATE_MAX_PPM;
}

/* Reads a table object at parent, for measure, with rule id id. */
static int
s_read_table (sp_json_reader_t *reader, const incentive_plan_t *self,
              incentive_plan_measure_t measure, const char *id, const json_t *object,
              const char *parent, incentive_rates_table_t *table)
{
    char path[SP_JSON_PATH_SIZE];
    char field[SP_JSON_PATH_SIZE];
    memset (table, 0, sizeof *table);
    snprintf (table->id, sizeof table->id, "%s", id);
    if (sp_json_read_object (reader, object, parent) != 0)
        return -1;
    if (sp_json_check_keys (reader, object, parent, s_table_keys) != 0)
        return -1;
    int basis = INCENTIVE_RATES_ON_AMOUNT;
    int pays = INCENTIVE_RATES_PAYS_RATE;
    if (s_read_choice (reader, object, parent, "basis", "basis", "\"amount\" or \"attainment\"",
                       incentive_plan_internal_basis_names,
                       S_COUNT (incentive_plan_internal_basis_names), false, &basis) != 0 ||
        s_read_choice (reader, object, parent, "pays", "payment",
                       "\"rate\" or \"target_incentive\"", incentive_plan_internal_pays_names,
                       S_COUNT (incentive_plan_internal_pays_names), false, &pays) != 0)
        return -1;
    table->basis = (incentive_rates_basis_t) basis;
    table->pays = (incentive_rates_pays_t) pays;
    if (table->pays == INCENTIVE_RATES_PAYS_TARGET && self->target_incentive == 0) {
        sp_json_path (path, sizeof path, parent, "pays");
        return sp_json_fail (reader, path, "the plan has no target_incentive to multiply");
    }
    sp_json_path (path, sizeof path, parent, "bands");
    const json_t *bands = json_object_get (object, "bands");
    if (sp_json_read_array (reader, bands, path) != 0)
        return -1;
    size_t count = json_array_size (bands);
    if (count == 0 || count > INCENTIVE_RATES_BANDS_MAX)
        return sp_json_fail (reader, path, "a table has 1 to %d bands, not %zu",
                             INCENTIVE_RATES_BANDS_MAX, count);
    for (size_t index = 0; index < count; index++) {
        char item[SP_JSON_PATH_SIZE];
        sp_json_path_index (item, sizeof item, path, index);
        if (s_read_band (reader, self, measure, table, index, json_array_get (bands, index), item,
                         false, false) != 0)
            return -1;
    }
    const json_t *gate = json_object_get (object, "gate");
    if (gate) {
        sp_json_path (path, sizeof path, parent, "gate");
        if (sp_json_read_object (reader, gate, path) != 0 ||
            sp_json_check_keys (reader, gate, path, s_gate_keys) != 0)
            return -1;
        sp_json_path (field, sizeof field, path, "attainment");
        if (s_read_ppm (reader, json_object_get (gate, "attainment"), field,
                        INCENTIVE_RATES_ATTAINMENT_MAX_PPM, &table->gate_ppm) != 0)
            return -1;
        int gate_pays = INCENTIVE_RATES_GATE_WHOLE;
        if (s_read_choice (reader, gate, path, "pays", "gate payment", "\"whole\" or \"excess\"",
                           incentive_plan_internal_gate_pays_names,
                           S_COUNT (incentive_plan_internal_gate_pays_names), false,
                           &gate_pays) != 0)
            return -1;
        table->has_gate = true;
        table->gate_pays = (incentive_rates_gate_pays_t) gate_pays;
    }
    const json_t *cap = json_object_get (object, "cap");
    if (cap) {
        sp_json_path (path, sizeof path, parent, "cap");
        if (sp_json_read_object (reader, cap, path) != 0 ||
            sp_json_check_keys (reader, cap, path, s_cap_keys) != 0)
            return -1;
        const json_t *value = json_object_get (cap, "payout");
        sp_json_path (field, sizeof field, path, "payout");
        if (value && s_read_money (reader, self, value, field, &table->payout_cap) != 0)
            return -1;
        table->has_payout_cap = value != NULL;
        value = json_object_get (cap, "attainment");
        sp_json_path (field, sizeof field, path, "attainment");
        if (value && s_read_ppm (reader, value, field, INCENTIVE_RATES_ATTAINMENT_MAX_PPM,
                                 &table->attainment_cap_ppm) != 0)
            return -1;
        table->has_attainment_cap = value != NULL;
        if (!table->has_payout_cap && !table->has_attainment_cap)
            return sp_json_fail (reader, path, "give \"payout\", \"attainment\" or both");
    }
    return incentive_rates_table_check (table, parent, "bands", s_rate_max (table, measure, false),
                                        s_display_decimals (self, measure),
                                        incentive_plan_unit_scale (self, measure), reader->error,
                                        reader->error_size);
}

/* Reads components[index]. */
static int
s_read_component (sp_json_reader_t *reader, incentive_plan_t *self, size_t index,
                  const json_t *object, size_t count)
{
    char parent[SP_JSON_PATH_SIZE];
    char path[SP_JSON_PATH_SIZE];
    sp_json_path_index (parent, sizeof parent, "components", index);
    if (sp_json_read_object (reader, object, parent) != 0 ||
        sp_json_check_keys (reader, object, parent, s_component_keys) != 0)
        return -1;
    incentive_plan_component_t *component = &self->components[index];
    sp_json_path (path, sizeof path, parent, "id");
    if (sp_json_read_name (reader, json_object_get (object, "id"), path, component->id,
                           INCENTIVE_PLAN_NAME_MAX) != 0 ||
        s_check_unique (reader, self, component->id, path) != 0)
        return -1;
    int measure = 0;
    if (s_read_choice (reader, object, parent, "measure", "measure",
                       "\"revenue\", \"margin\", \"new_logos\", \"units\" or \"events\"",
                       incentive_plan_internal_measure_names,
                       S_COUNT (incentive_plan_internal_measure_names), true, &measure) != 0)
        return -1;
    component->measure = (incentive_plan_measure_t) measure;
    sp_json_path (path, sizeof path, parent, "quota");
    if (s_read_amount (reader, self, component->measure, json_object_get (object, "quota"), path,
                       &component->quota) != 0)
        return -1;
    if (component->quota <= 0)
        return sp_json_fail (reader, path, "must be above 0");
    component->weight_bp = S_BP;
    const json_t *weight = json_object_get (object, "weight");
    sp_json_path (path, sizeof path, parent, "weight");
    if (weight || count > 1) {
        uint32_t bp;
        if (sp_json_read_fraction (reader, weight, path, &bp) != 0)
            return -1;
        if (bp == 0)
            return sp_json_fail (reader, path, "must be above 0");
        component->weight_bp = bp;
    }
    const json_t *table = json_object_get (object, "table");
    sp_json_path (path, sizeof path, parent, "table");
    if (self->attainment == INCENTIVE_PLAN_BLENDED) {
        if (table)
            return sp_json_fail (reader, path,
                                 "a blended plan has one table, at \"table\", not one per "
                                 "component");
    }
    else {
        if (s_read_table (reader, self, component->measure, component->id, table, path,
                          &component->table) != 0)
            return -1;
        component->has_table = true;
    }
    self->component_count = index + 1;
    return 0;
}

static int64_t
s_gcd (int64_t a, int64_t b)
{
    while (b != 0) {
        int64_t rest = a % b;
        a = b;
        b = rest;
    }
    return a;
}

/* Reads "components" and, in a blended plan, "table". */
static int
s_read_components (sp_json_reader_t *reader, incentive_plan_t *self, const json_t *root)
{
    const json_t *components = json_object_get (root, "components");
    if (sp_json_read_array (reader, components, "components") != 0)
        return -1;
    size_t count = json_array_size (components);
    if (count == 0 || count > INCENTIVE_PLAN_COMPONENTS_MAX)
        return sp_json_fail (reader, "components", "a plan has 1 to %d components, not %zu",
                             INCENTIVE_PLAN_COMPONENTS_MAX, count);
    int64_t sum = 0;
    for (size_t index = 0; index < count; index++) {
        if (s_read_component (reader, self, index, json_array_get (components, index), count) != 0)
            return -1;
        sum += self->components[index].weight_bp;
    }
    if (sum != S_BP) {
        char text[SP_JSON_NUMBER_SIZE];
        return sp_json_fail (reader, "components", "the weights sum to %s, they must sum to 1",
                             sp_json_basis_points_text (sum, text, sizeof text));
    }
    const json_t *table = json_object_get (root, "table");
    if (self->attainment == INCENTIVE_PLAN_INDEPENDENT) {
        if (table)
            return sp_json_fail (reader, "table",
                                 "only a blended plan has a plan table; put it in a component");
        return 0;
    }
    /* Blended attainment Σ w × v / Q is exact over 10,000 × lcm (Q). */
    int64_t lcm = 1;
    for (size_t index = 0; index < count; index++) {
        int64_t quota = self->components[index].quota;
        int64_t factor = quota / s_gcd (lcm, quota);
        if (lcm > INCENTIVE_RATES_VALUE_MAX / S_BP / factor)
            return sp_json_fail (reader, "components",
                                 "the quotas' least common multiple is too large for exact "
                                 "blended attainment: use rounder quotas");
        lcm *= factor;
    }
    self->blended_lcm = lcm;
    if (s_read_table (reader, self, INCENTIVE_PLAN_REVENUE, INCENTIVE_PLAN_BLENDED_RULE, table,
                      "table", &self->table) != 0)
        return -1;
    if (self->table.basis != INCENTIVE_RATES_ON_ATTAINMENT ||
        self->table.pays != INCENTIVE_RATES_PAYS_TARGET)
        return sp_json_fail (reader, "table",
                             "a blended table has \"basis\": \"attainment\" and \"pays\": "
                             "\"target_incentive\"");
    self->has_table = true;
    return 0;
}

/* Reads "assign". */
static int
s_read_assign (sp_json_reader_t *reader, incentive_plan_t *self, const json_t *assign)
{
    if (sp_json_read_object (reader, assign, "assign") != 0 ||
        sp_json_check_keys (reader, assign, "assign", s_assign_keys) != 0)
        return -1;
    const json_t *role = json_object_get (assign, "role");
    const json_t *reps = json_object_get (assign, "reps");
    if ((role != NULL) == (reps != NULL))
        return sp_json_fail (reader, "assign", "give exactly one of \"role\" and \"reps\"");
    if (role)
        return sp_json_read_name (reader, role, "assign.role", self->role, INCENTIVE_PLAN_NAME_MAX);
    if (sp_json_read_array (reader, reps, "assign.reps") != 0)
        return -1;
    size_t count = json_array_size (reps);
    if (count == 0 || count > INCENTIVE_PLAN_REPS_MAX)
        return sp_json_fail (reader, "assign.reps", "name 1 to %d reps, not %zu",
                             INCENTIVE_PLAN_REPS_MAX, count);
    self->reps = (incentive_plan_rep_t *) calloc (count, sizeof *self->reps);
    if (!self->reps)
        return sp_json_fail (reader, "assign.reps", "out of memory");
    for (size_t index = 0; index < count; index++) {
        char parent[SP_JSON_PATH_SIZE];
        char path[SP_JSON_PATH_SIZE];
        const json_t *object = json_array_get (reps, index);
        incentive_plan_rep_t *rep = &self->reps[index];
        sp_json_path_index (parent, sizeof parent, "assign.reps", index);
        if (sp_json_read_object (reader, object, parent) != 0 ||
            sp_json_check_keys (reader, object, parent, s_rep_keys) != 0)
            return -1;
        const char *id;
        sp_json_path (path, sizeof path, parent, "id");
        if (sp_json_read_text (reader, json_object_get (object, "id"), path, INCENTIVE_PLAN_REP_MAX,
                               &id) != 0)
            return -1;
        for (size_t earlier = 0; earlier < index; earlier++)
            if (strcmp (self->reps[earlier].id, id) == 0)
                return sp_json_fail (reader, path, "duplicate rep: assign.reps[%zu] has it",
                                     earlier);
        memcpy (rep->id, id, strlen (id) + 1);
        const json_t *value = json_object_get (object, "from");
        sp_json_path (path, sizeof path, parent, "from");
        if (value && s_read_date (reader, value, path, &rep->from_day) != 0)
            return -1;
        rep->has_from = value != NULL;
        value = json_object_get (object, "to");
        sp_json_path (path, sizeof path, parent, "to");
        if (value && s_read_date (reader, value, path, &rep->to_day) != 0)
            return -1;
        rep->has_to = value != NULL;
        if (rep->has_from && rep->has_to && rep->to_day <= rep->from_day)
            return sp_json_fail (reader, path, "must be after \"from\"");
        self->rep_count = index + 1;
    }
    return 0;
}

/* Reads spiffs[index]. */
static int
s_read_spiff (sp_json_reader_t *reader, incentive_plan_t *self, size_t index, const json_t *object)
{
    char parent[SP_JSON_PATH_SIZE];
    char path[SP_JSON_PATH_SIZE];
    sp_json_path_index (parent, sizeof parent, "spiffs", index);
    if (sp_json_read_object (reader, object, parent) != 0 ||
        sp_json_check_keys (reader, object, parent, s_spiff_keys) != 0)
        return -1;
    incentive_plan_spiff_t *spiff = &self->spiffs[index];
    sp_json_path (path, sizeof path, parent, "id");
    if (sp_json_read_name (reader, json_object_get (object, "id"), path, spiff->id,
                           INCENTIVE_PLAN_NAME_MAX) != 0 ||
        s_check_unique (reader, self, spiff->id, path) != 0)
        return -1;
    int measure = 0;
    int pays = 0;
    if (s_read_choice (reader, object, parent, "measure", "measure",
                       "\"revenue\", \"margin\", \"new_logos\", \"units\" or \"events\"",
                       incentive_plan_internal_measure_names,
                       S_COUNT (incentive_plan_internal_measure_names), true, &measure) != 0 ||
        s_read_choice (reader, object, parent, "pays", "SPIFF payment", "\"rate\" or \"fixed\"",
                       incentive_plan_internal_spiff_pays_names,
                       S_COUNT (incentive_plan_internal_spiff_pays_names), true, &pays) != 0)
        return -1;
    spiff->measure = (incentive_plan_measure_t) measure;
    spiff->fixed = pays == 1;
    /* A fixed amount counts events whatever the measure: its bounds are counts. */
    incentive_plan_measure_t unit = spiff->fixed ? INCENTIVE_PLAN_EVENTS : spiff->measure;
    sp_json_path (path, sizeof path, parent, "from");
    if (s_read_date (reader, json_object_get (object, "from"), path, &spiff->from_day) != 0)
        return -1;
    sp_json_path (path, sizeof path, parent, "to");
    if (s_read_date (reader, json_object_get (object, "to"), path, &spiff->to_day) != 0)
        return -1;
    if (spiff->to_day <= spiff->from_day)
        return sp_json_fail (reader, path, "must be after \"from\"");
    incentive_rates_table_t *table = &spiff->table;
    snprintf (table->id, sizeof table->id, "%s", spiff->id);
    table->basis = INCENTIVE_RATES_ON_AMOUNT;
    table->pays = INCENTIVE_RATES_PAYS_RATE;
    const json_t *tiers = json_object_get (object, "tiers");
    sp_json_path (path, sizeof path, parent, "tiers");
    if (tiers) {
        if (json_object_get (object, "amount") || json_object_get (object, "rate"))
            return sp_json_fail (reader, path, "give tiers or a single \"%s\", not both",
                                 spiff->fixed ? "amount" : "rate");
        if (sp_json_read_array (reader, tiers, path) != 0)
            return -1;
        size_t count = json_array_size (tiers);
        if (count == 0 || count > INCENTIVE_RATES_BANDS_MAX)
            return sp_json_fail (reader, path, "a table has 1 to %d bands, not %zu",
                                 INCENTIVE_RATES_BANDS_MAX, count);
        for (size_t tier = 0; tier < count; tier++) {
            char item[SP_JSON_PATH_SIZE];
            sp_json_path_index (item, sizeof item, path, tier);
            if (s_read_band (reader, self, unit, table, tier, json_array_get (tiers, tier), item,
                             true, spiff->fixed) != 0)
                return -1;
        }
    }
    else {
        /* One open tier from 0 holding the single amount or rate. */
        json_t *single = json_pack ("{s:s}", "lo", "0");
        const char *key = spiff->fixed ? "amount" : "rate";
        json_t *value = json_object_get (object, key);
        if (!single)
            return sp_json_fail (reader, parent, "out of memory");
        if (value)
            json_object_set (single, key, value);
        int rc = s_read_band (reader, self, unit, table, 0, single, parent, true, spiff->fixed);
        json_decref (single);
        if (rc != 0)
            return -1;
    }
    const json_t *cap = json_object_get (object, "cap");
    sp_json_path (path, sizeof path, parent, "cap");
    if (cap && s_read_money (reader, self, cap, path, &table->payout_cap) != 0)
        return -1;
    table->has_payout_cap = cap != NULL;
    sp_json_path (path, sizeof path, parent, "counts_in_attainment");
    if (sp_json_read_bool (reader, json_object_get (object, "counts_in_attainment"), path,
                           &spiff->counts_in_attainment) != 0)
        return -1;
    char error[INCENTIVE_RATES_ERROR_SIZE];
    if (incentive_rates_table_check (table, parent, "tiers", s_rate_max (table, unit, spiff->fixed),
                                     s_display_decimals (self, unit),
                                     incentive_plan_unit_scale (self, unit), error,
                                     sizeof error) != 0) {
        sp_error_set (reader->error, reader->error_size, "%s", error);
        return -1;
    }
    self->spiff_count = index + 1;
    return 0;
}

/* Reads the whole document into self. */
static int
s_read (sp_json_reader_t *reader, incentive_plan_t *self, const json_t *root)
{
    if (sp_json_check_keys (reader, root, "", s_top_keys) != 0)
        return -1;
    if (sp_json_read_name (reader, json_object_get (root, "name"), "name", self->name,
                           INCENTIVE_PLAN_NAME_MAX) != 0)
        return -1;
    const char *currency;
    const json_t *value = json_object_get (root, "currency");
    if (sp_json_read_string (reader, value, "currency", &currency) != 0)
        return -1;
    if (!sp_money_currency_valid (currency)) {
        char quoted[SP_JSON_PATH_SIZE];
        return sp_json_fail (reader, "currency", "unknown currency \"%s\"",
                             sp_json_quote (value, quoted, sizeof quoted));
    }
    snprintf (self->currency, sizeof self->currency, "%s", currency);
    self->decimals = sp_money_currency_decimals (currency);
    int rounding = 0;
    int period = 0;
    int trigger = INCENTIVE_PLAN_ON_BOOKING;
    int attainment = INCENTIVE_PLAN_INDEPENDENT;
    if (s_read_choice (reader, root, "", "rounding", "rounding rule",
                       "\"" INCENTIVE_PLAN_ROUNDING "\"", s_roundings, S_COUNT (s_roundings), false,
                       &rounding) != 0 ||
        s_read_choice (reader, root, "", "period", "period", "\"month\", \"quarter\" or \"year\"",
                       incentive_plan_internal_period_names,
                       S_COUNT (incentive_plan_internal_period_names), true, &period) != 0 ||
        s_read_choice (reader, root, "", "trigger", "trigger",
                       "\"booking\", \"invoice\" or \"payment\"",
                       incentive_plan_internal_trigger_names,
                       S_COUNT (incentive_plan_internal_trigger_names), false, &trigger) != 0 ||
        s_read_choice (reader, root, "", "attainment", "attainment",
                       "\"independent\" or \"blended\"", incentive_plan_internal_attainment_names,
                       S_COUNT (incentive_plan_internal_attainment_names), false, &attainment) != 0)
        return -1;
    if (trigger == INCENTIVE_PLAN_ON_INVOICE)
        return sp_json_fail (reader, "trigger",
                             "\"invoice\" is not supported yet: no event reports an invoice; use "
                             "\"booking\" or \"payment\"");
    self->period = (incentive_plan_period_t) period;
    self->trigger = (incentive_plan_trigger_t) trigger;
    self->attainment = (incentive_plan_attainment_t) attainment;
    if (s_read_assign (reader, self, json_object_get (root, "assign")) != 0)
        return -1;
    value = json_object_get (root, "target_incentive");
    if (value) {
        if (s_read_money (reader, self, value, "target_incentive", &self->target_incentive) != 0)
            return -1;
        if (self->target_incentive <= 0)
            return sp_json_fail (reader, "target_incentive", "must be above 0");
    }
    const json_t *gate = json_object_get (root, "gate");
    if (gate) {
        if (sp_json_read_object (reader, gate, "gate") != 0 ||
            sp_json_check_keys (reader, gate, "gate", s_plan_gate_keys) != 0 ||
            s_read_ppm (reader, json_object_get (gate, "attainment"), "gate.attainment",
                        INCENTIVE_RATES_ATTAINMENT_MAX_PPM, &self->gate_ppm) != 0)
            return -1;
        if (self->gate_ppm == 0)
            return sp_json_fail (reader, "gate.attainment", "must be above 0");
        if (self->gate_ppm > S_PPM) {
            char text[INCENTIVE_RATES_TEXT_SIZE];
            return sp_json_fail (reader, "gate.attainment", "%s is above 1 (100 %%)",
                                 incentive_rates_ppm_text (self->gate_ppm, text, sizeof text));
        }
        self->has_gate = true;
    }
    if (incentive_plan_internal_read_terms (reader, self, root) != 0 ||
        s_read_components (reader, self, root) != 0)
        return -1;
    const json_t *spiffs = json_object_get (root, "spiffs");
    if (spiffs) {
        if (sp_json_read_array (reader, spiffs, "spiffs") != 0)
            return -1;
        size_t count = json_array_size (spiffs);
        if (count > INCENTIVE_PLAN_SPIFFS_MAX)
            return sp_json_fail (reader, "spiffs", "%zu SPIFFs, at most %d are allowed", count,
                                 INCENTIVE_PLAN_SPIFFS_MAX);
        for (size_t index = 0; index < count; index++)
            if (s_read_spiff (reader, self, index, json_array_get (spiffs, index)) != 0)
                return -1;
    }
    if (incentive_plan_internal_read_rollup (reader, self, json_object_get (root, "rollup")) != 0)
        return -1;
    return incentive_plan_internal_read_overlays (reader, self, json_object_get (root, "overlays"));
}

incentive_plan_t *
incentive_plan_new (const char *text, size_t length, char *error, size_t error_size)
{
    assert (text || length == 0);
    sp_json_reader_t reader = { error, error_size };
    json_t *root = sp_json_load_object (text, length, "a plan", error, error_size);
    if (!root)
        return NULL;
    incentive_plan_t *self = (incentive_plan_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        goto out_release_root;
    }
    if (s_read (&reader, self, root) != 0)
        incentive_plan_destroy (&self);
out_release_root:
    json_decref (root);
    return self;
}

void
incentive_plan_destroy (incentive_plan_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->reps);
        free (*self_p);
        *self_p = NULL;
    }
}

int
incentive_plan_check (const char *text, size_t length, char *name, size_t name_size,
                      char **canonical, char *error, size_t error_size)
{
    assert (text && name && canonical);
    incentive_plan_t *self = incentive_plan_new (text, length, error, error_size);
    if (!self)
        return -1;
    int rc = sp_refdata_check_finish (incentive_plan_to_json (self), incentive_plan_name (self),
                                      name, name_size, canonical, error, error_size);
    incentive_plan_destroy (&self);
    return rc;
}

/* ---------------------------------------------------------------- accessors */

const char *
incentive_plan_name (const incentive_plan_t *self)
{
    assert (self);
    return self->name;
}

const char *
incentive_plan_currency (const incentive_plan_t *self)
{
    assert (self);
    return self->currency;
}

incentive_plan_period_t
incentive_plan_period (const incentive_plan_t *self)
{
    assert (self);
    return self->period;
}

incentive_plan_trigger_t
incentive_plan_trigger (const incentive_plan_t *self)
{
    assert (self);
    return self->trigger;
}

incentive_plan_attainment_t
incentive_plan_attainment (const incentive_plan_t *self)
{
    assert (self);
    return self->attainment;
}

int64_t
incentive_plan_target_incentive (const incentive_plan_t *self)
{
    assert (self);
    return self->target_incentive;
}

bool
incentive_plan_gate (const incentive_plan_t *self, int64_t *gate_ppm)
{
    assert (self && gate_ppm);
    if (self->has_gate)
        *gate_ppm = self->gate_ppm;
    return self->has_gate;
}

const char *
incentive_plan_role (const incentive_plan_t *self)
{
    assert (self);
    return self->role[0] ? self->role : NULL;
}

size_t
incentive_plan_rep_count (const incentive_plan_t *self)
{
    assert (self);
    return self->rep_count;
}

const incentive_plan_rep_t *
incentive_plan_rep (const incentive_plan_t *self, size_t index)
{
    assert (self && index < self->rep_count);
    return &self->reps[index];
}

bool
incentive_plan_assigned (const incentive_plan_t *self, const char *rep_id, const char *role)
{
    assert (self && rep_id);
    if (self->role[0])
        return role && strcmp (role, self->role) == 0;
    for (size_t index = 0; index < self->rep_count; index++)
        if (strcmp (self->reps[index].id, rep_id) == 0)
            return true;
    return false;
}

size_t
incentive_plan_component_count (const incentive_plan_t *self)
{
    assert (self);
    return self->component_count;
}

const incentive_plan_component_t *
incentive_plan_component (const incentive_plan_t *self, size_t index)
{
    assert (self && index < self->component_count);
    return &self->components[index];
}

const incentive_rates_table_t *
incentive_plan_table (const incentive_plan_t *self)
{
    assert (self);
    return self->has_table ? &self->table : NULL;
}

size_t
incentive_plan_spiff_count (const incentive_plan_t *self)
{
    assert (self);
    return self->spiff_count;
}

const incentive_plan_spiff_t *
incentive_plan_spiff (const incentive_plan_t *self, size_t index)
{
    assert (self && index < self->spiff_count);
    return &self->spiffs[index];
}

const char *
incentive_plan_measure_name (incentive_plan_measure_t measure)
{
    assert ((size_t) measure < S_COUNT (incentive_plan_internal_measure_names));
    return incentive_plan_internal_measure_names[measure];
}
