/*  kpi_targets_use - using a targets document once it is read.

    Part of kpi_targets (declared in kpi_targets.h): the queries (the
    target of a node, KPI and period, with a non-additive KPI's target
    holding for every sub-period; the earlier sub-periods of a spread;
    the carried shortfall; business days), the add-up check and the
    canonical JSON form. Kept apart from the reader (kpi_targets.c) so
    that each file stays small; what the two share is in
    kpi_targets_internal.h.
*/
#include "kpi_targets_internal.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_catalog.h"
#include "sp_civil.h"
#include "sp_error.h"
#include "sp_json_read.h"
#include "sp_money.h"
#include "sp_period.h"

#define S_COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define S_RATIO_DECIMALS 4 /* basis points */
#define S_REAL_DIGITS 15   /* significant digits of numbers in the canonical form */
#define S_DATE_SIZE 11     /* "2017-12-25" and its terminator */

/* ------------------------------------------------------------- helpers */

static int64_t
s_add (int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static int64_t
s_subtract (int64_t a, int64_t b)
{
    if (b == INT64_MIN)
        return a >= 0 ? INT64_MAX : a - b;
    return s_add (a, -b);
}

/* A value in its unit as text: "1000000.00", "12", "0.2500", "35.50". */
void
kpi_targets_internal_format (const kpi_targets_t *self, const kpi_definition_t *kpi, int64_t value,
                             char *buffer, size_t size)
{
    assert (size >= SP_MONEY_TEXT_SIZE);
    switch (kpi->unit) {
        case KPI_UNIT_MONEY:
            if (sp_money_format (value, self->currency, buffer, size) == SP_MONEY_OK)
                return;
            break;
        case KPI_UNIT_RATIO:
            if (sp_money_format_decimal (value, S_RATIO_DECIMALS, buffer, size) == SP_MONEY_OK)
                return;
            break;
        case KPI_UNIT_AVERAGE:
        case KPI_UNIT_PER_DAY:
        case KPI_UNIT_SCORE:
            if (sp_money_format_decimal (value, KPI_TARGETS_INTERNAL_HUNDREDTHS_DECIMALS, buffer,
                                         size) == SP_MONEY_OK)
                return;
            break;
        case KPI_UNIT_COUNT:
        default:
            break;
    }
    snprintf (buffer, size, "%lld", (long long) value);
}

/* ------------------------------------------------------------- queries */

size_t
kpi_targets_size (const kpi_targets_t *self)
{
    assert (self);
    return self->size;
}

const kpi_targets_entry_t *
kpi_targets_at (const kpi_targets_t *self, size_t index)
{
    assert (self && index < self->size);
    return &self->entries[index].entry;
}

/* The entry of exactly (node, kpi, period), or NULL. */
static const kpi_targets_internal_entry_t *
s_find (const kpi_targets_t *self, const char *node, const char *kpi, const char *period)
{
    size_t low = 0, high = self->size;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = kpi_targets_internal_key_compare (node, kpi, period, &self->entries[middle]);
        if (order == 0)
            return &self->entries[middle];
        if (order < 0)
            high = middle;
        else
            low = middle + 1;
    }
    return NULL;
}

int
kpi_targets_get (const kpi_targets_t *self, const char *node, const char *kpi, const char *period,
                 kpi_target_t *out)
{
    assert (self && node && kpi && period && out);
    const kpi_targets_internal_entry_t *entry = s_find (self, node, kpi, period);
    if (entry) {
        *out = entry->entry.target;
        return 0;
    }
    const kpi_definition_t *definition = kpi_catalog_find (kpi);
    sp_period_t asked;
    if (!definition || kpi_catalog_additive (definition) ||
        sp_period_parse (self->utc, period, &asked, NULL, 0) != 0)
        return 1;
    /* A non-additive target holds for every sub-period: the nearest
       enclosing period's. A week belongs where its Thursday is. */
    int64_t anchor = kpi_targets_internal_day_of (asked.start_ms) +
                     (asked.kind == SP_PERIOD_WEEK ? KPI_TARGETS_INTERNAL_THURSDAY : 0);
    for (int kind = (int) asked.kind + 1; kind < SP_PERIOD_KIND_COUNT; kind++) {
        sp_period_t enclosing;
        if (sp_period_cut (self->utc, (sp_period_kind_t) kind,
                           anchor * KPI_TARGETS_INTERNAL_MS_PER_DAY, &enclosing) != 0)
            return 1;
        entry = s_find (self, node, kpi, enclosing.label);
        if (entry) {
            *out = entry->entry.target;
            out->derived = true;
            out->carry = false;
            snprintf (out->parent, sizeof out->parent, "%s", enclosing.label);
            return 0;
        }
    }
    return 1;
}

size_t
kpi_targets_earlier (const kpi_targets_t *self, const char *node, const char *kpi,
                     const char *period, char (*labels)[KPI_TARGETS_LABEL_SIZE], size_t capacity)
{
    assert (self && node && kpi && period && (labels || capacity == 0));
    const kpi_targets_internal_entry_t *entry = s_find (self, node, kpi, period);
    sp_period_t parent, own;
    if (!entry || !*entry->entry.target.parent ||
        sp_period_parse (self->utc, entry->entry.target.parent, &parent, NULL, 0) != 0 ||
        sp_period_parse (self->utc, period, &own, NULL, 0) != 0)
        return 0;
    kpi_targets_internal_sub_t subs[KPI_TARGETS_SUBPERIODS_MAX];
    size_t count = kpi_targets_internal_subperiods (self, &parent, own.kind, subs);
    size_t written = 0;
    for (size_t index = 0; index < count && written < capacity; index++) {
        if (strcmp (subs[index].label, period) == 0)
            break;
        memcpy (labels[written++], subs[index].label, KPI_TARGETS_LABEL_SIZE);
    }
    return written;
}

int64_t
kpi_targets_carry (const kpi_target_t *target, const int64_t *earlier_targets,
                   const int64_t *earlier_actuals, size_t count)
{
    assert (target && (count == 0 || (earlier_targets && earlier_actuals)));
    if (!target->carry)
        return target->target;
    int64_t carried = 0;
    for (size_t index = 0; index < count; index++) {
        int64_t missed =
            s_subtract (s_add (earlier_targets[index], carried), earlier_actuals[index]);
        carried = missed > 0 ? missed : 0;
        if (target->has_carry_cap && carried > target->carry_cap)
            carried = target->carry_cap;
    }
    return s_add (target->target, carried);
}

int64_t
kpi_targets_business_days (const kpi_targets_t *self, int64_t first_day, int64_t end_day)
{
    assert (self);
    if (end_day <= first_day)
        return 0;
    int per_week = __builtin_popcount (self->weekdays);
    int64_t span = end_day - first_day;
    int64_t count = span / SP_CIVIL_DAYS_PER_WEEK * per_week;
    for (int64_t day = first_day + span / SP_CIVIL_DAYS_PER_WEEK * SP_CIVIL_DAYS_PER_WEEK;
         day < end_day; day++)
        count += (self->weekdays >> sp_civil_iso_weekday (day)) & 1u;
    for (size_t index = 0; index < self->holiday_count; index++) {
        int64_t day = self->holidays[index];
        if (day >= first_day && day < end_day &&
            ((self->weekdays >> sp_civil_iso_weekday (day)) & 1u))
            count--;
    }
    return count;
}

size_t
kpi_targets_addup (const kpi_targets_t *self, kpi_targets_children_fn *children, void *children_arg,
                   kpi_targets_warn_fn *warn, void *warn_arg)
{
    assert (self && children && warn);
    size_t warnings = 0;
    const char *kids[KPI_TARGETS_CHILDREN_MAX];
    size_t index = 0;
    while (index < self->size) {
        const char *node = self->entries[index].entry.node;
        size_t end = index;
        while (end < self->size && strcmp (self->entries[end].entry.node, node) == 0)
            end++;
        size_t count = children (children_arg, node, kids, KPI_TARGETS_CHILDREN_MAX);
        if (count > KPI_TARGETS_CHILDREN_MAX)
            count = KPI_TARGETS_CHILDREN_MAX;
        for (size_t at = index; count > 0 && at < end; at++) {
            const kpi_targets_entry_t *entry = &self->entries[at].entry;
            const kpi_definition_t *kpi = kpi_catalog_find (entry->kpi);
            if (!kpi_catalog_additive (kpi))
                continue;
            int64_t sum = 0;
            size_t found = 0;
            for (size_t child = 0; child < count; child++) {
                const kpi_targets_internal_entry_t *share =
                    s_find (self, kids[child], entry->kpi, entry->period);
                if (share) {
                    sum = s_add (sum, share->entry.target.target);
                    found++;
                }
            }
            if (found == 0 || sum == entry->target.target)
                continue;
            char quoted[KPI_TARGETS_INTERNAL_QUOTE_SIZE];
            char total[SP_MONEY_TEXT_SIZE];
            char difference[SP_MONEY_TEXT_SIZE];
            char target[SP_MONEY_TEXT_SIZE];
            char message[KPI_TARGETS_MESSAGE_SIZE];
            bool below = sum < entry->target.target;
            sp_error_quote (node, quoted, sizeof quoted);
            kpi_targets_internal_format (self, kpi, sum, total, sizeof total);
            kpi_targets_internal_format (self, kpi,
                                         below ? s_subtract (entry->target.target, sum)
                                               : s_subtract (sum, entry->target.target),
                                         difference, sizeof difference);
            kpi_targets_internal_format (self, kpi, entry->target.target, target, sizeof target);
            snprintf (message, sizeof message,
                      "targets: %s %s %s: children add up to %s, %s %s the target %s", quoted,
                      entry->kpi, entry->period, total, difference, below ? "below" : "above",
                      target);
            warn (warn_arg, message);
            warnings++;
        }
        index = end;
    }
    return warnings;
}

/* ------------------------------------------------------- canonical form */

/* Adds value (stolen) to object under key; false when out of memory. */
static bool
s_put (json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new (object, key, value) == 0;
}

/* A value in its JSON form: amounts as strings with the currency's
   decimals, counts as integers, the others as numbers. */
static json_t *
s_value_json (const kpi_targets_t *self, const kpi_definition_t *kpi, int64_t value)
{
    char text[SP_MONEY_TEXT_SIZE];
    switch (kpi->unit) {
        case KPI_UNIT_MONEY:
            kpi_targets_internal_format (self, kpi, value, text, sizeof text);
            return json_string (text);
        case KPI_UNIT_COUNT:
            return json_integer (value);
        case KPI_UNIT_RATIO:
            return json_real ((double) value / SP_JSON_BASIS_POINTS);
        default:
            return json_real ((double) value / KPI_TARGETS_INTERNAL_HUNDREDTHS);
    }
}

static json_t *
s_spread_json (const kpi_targets_internal_source_t *source)
{
    json_t *object = json_object ();
    bool ok =
        object &&
        s_put (object, "to", json_string (kpi_targets_internal_to_names[source->spread_to])) &&
        s_put (object, "rule", json_string (kpi_targets_internal_rule_names[source->rule]));
    if (ok && source->rule == KPI_TARGETS_INTERNAL_RULE_EVEN)
        ok = s_put (object, "basis", json_string (kpi_targets_internal_basis_names[source->basis]));
    if (ok && source->rule == KPI_TARGETS_INTERNAL_RULE_EXPLICIT) {
        json_t *weights = json_array ();
        ok = s_put (object, "weights", weights);
        for (size_t index = 0; ok && index < source->sub_count; index++)
            ok = json_array_append_new (weights, json_integer (source->weights[index])) == 0;
    }
    if (!ok)
        json_decref (object);
    return ok ? object : NULL;
}

static json_t *
s_decompose_json (const kpi_targets_internal_source_t *source)
{
    json_t *object = json_object ();
    json_t *weights = json_object ();
    bool ok = object && s_put (object, "weights", weights);
    for (size_t index = 0; ok && index < source->child_count; index++)
        ok = s_put (weights, source->children[index].node,
                    json_integer (source->children[index].weight));
    if (!ok)
        json_decref (object);
    return ok ? object : NULL;
}

static json_t *
s_source_json (const kpi_targets_t *self, const kpi_targets_internal_source_t *source)
{
    const kpi_definition_t *kpi = source->kpi;
    json_t *object = json_object ();
    bool ok = object && s_put (object, "node", json_string (source->node)) &&
              s_put (object, "kpi", json_string (kpi->name)) &&
              s_put (object, "period", json_string (source->period.label)) &&
              s_put (object, "target", s_value_json (self, kpi, source->values.target));
    if (ok && source->has_floor)
        ok = s_put (object, "floor", s_value_json (self, kpi, source->values.floor));
    if (ok && source->has_stretch)
        ok = s_put (object, "stretch", s_value_json (self, kpi, source->values.stretch));
    if (ok && source->has_spread)
        ok = s_put (object, "spread", s_spread_json (source));
    if (ok && source->carry)
        ok = s_put (object, "carry", json_true ());
    if (ok && source->has_carry_cap)
        ok = s_put (object, "carry_cap", s_value_json (self, kpi, source->values.cap));
    if (ok && source->child_count)
        ok = s_put (object, "decompose", s_decompose_json (source));
    if (!ok)
        json_decref (object);
    return ok ? object : NULL;
}

/* The calendar, or NULL with *ok kept when it is the default one. */
static json_t *
s_calendar_json (const kpi_targets_t *self, bool *ok)
{
    if (self->weekdays == KPI_TARGETS_INTERNAL_WORKWEEK && self->holiday_count == 0)
        return NULL;
    json_t *object = json_object ();
    json_t *weekdays = json_array ();
    json_t *holidays = json_array ();
    *ok = object && s_put (object, "weekdays", weekdays) && s_put (object, "holidays", holidays);
    for (size_t day = 0; *ok && day < S_COUNT (kpi_targets_internal_weekday_names); day++)
        if (self->weekdays & (1u << day))
            *ok = json_array_append_new (
                      weekdays, json_string (kpi_targets_internal_weekday_names[day])) == 0;
    for (size_t index = 0; *ok && index < self->holiday_count; index++) {
        char text[S_DATE_SIZE];
        sp_civil_date_t date = sp_civil_date_from_days (self->holidays[index]);
        snprintf (text, sizeof text, "%04lld-%02d-%02d", (long long) date.year, date.month,
                  date.day);
        *ok = json_array_append_new (holidays, json_string (text)) == 0;
    }
    if (!*ok) {
        json_decref (object);
        return NULL;
    }
    return object;
}

static int
s_source_compare (const void *left, const void *right)
{
    const kpi_targets_internal_source_t *a = *(const kpi_targets_internal_source_t *const *) left;
    const kpi_targets_internal_source_t *b = *(const kpi_targets_internal_source_t *const *) right;
    int order = strcmp (a->node, b->node);
    if (order == 0)
        order = strcmp (a->kpi->name, b->kpi->name);
    if (order == 0)
        order = strcmp (a->period.label, b->period.label);
    return order;
}

char *
kpi_targets_to_json (const kpi_targets_t *self)
{
    assert (self);
    char *text = NULL;
    const kpi_targets_internal_source_t **order = calloc (self->source_count + 1, sizeof order[0]);
    json_t *root = json_object ();
    json_t *targets = json_array ();
    bool ok = order && root && s_put (root, "name", json_string (self->name)) &&
              s_put (root, "currency", json_string (self->currency)) &&
              json_object_set (root, "targets", targets) == 0;
    json_t *calendar = ok ? s_calendar_json (self, &ok) : NULL;
    if (ok && calendar)
        ok = s_put (root, "business_days", calendar);
    for (size_t index = 0; ok && index < self->source_count; index++)
        order[index] = &self->sources[index];
    /* Explicit triples are unique: sorted, the form does not depend on
       the order the entries were written in. */
    if (ok)
        qsort (order, self->source_count, sizeof order[0], s_source_compare);
    for (size_t index = 0; ok && index < self->source_count; index++)
        ok = json_array_append_new (targets, s_source_json (self, order[index])) == 0;
    if (ok)
        text =
            json_dumps (root, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION (S_REAL_DIGITS));
    json_decref (targets);
    json_decref (root);
    free (order);
    return text;
}
