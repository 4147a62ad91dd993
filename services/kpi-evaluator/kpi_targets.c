/*  kpi_targets - the "targets" reference data kind (see kpi_targets.h and
    docs/targets.md).

    Reading is one pass over the document: the top-level settings first
    (the currency decides how amounts read, the calendar how business
    days count), then each entry in order into a source. Then every
    source is expanded into entries (itself, its spread sub-periods, its
    decomposed children, and the children's sub-periods), the entries are
    sorted by (node, KPI, period), and where several give the same triple
    the one of highest precedence is kept: an explicit entry, then a
    node's own spread (a finer source period first), then a parent's
    decomposition. Two of equal precedence are refused, naming both.

    The queries, the add-up check and the canonical form are in
    kpi_targets_use.c; the struct and the helpers the two files share
    are in kpi_targets_internal.h.
*/
#include "kpi_targets_internal.h"

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_catalog.h"
#include "sp_civil.h"
#include "sp_error.h"
#include "sp_json_read.h"
#include "sp_money.h"
#include "sp_period.h"

_Static_assert(KPI_TARGETS_LABEL_SIZE == SP_PERIOD_LABEL_SIZE, "labels are sp_period labels");
_Static_assert(KPI_TARGETS_NAME_MAX + 1 == SP_REFDATA_NAME_SIZE, "names are reference data names");

#define S_KIND "targets"
#define S_COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define S_VALUE_MAX SP_MONEY_MAX_MINOR                      /* largest money or count value */
#define S_HUNDREDTHS_MAX INT64_C (1000000000)               /* averages up to 10,000,000.00 */
#define S_SCORE_MAX (100 * KPI_TARGETS_INTERNAL_HUNDREDTHS) /* NPS: -100..100 */

static const char *const s_top_keys[] = { "name", "currency", "business_days", "targets", NULL };
static const char *const s_calendar_keys[] = { "weekdays", "holidays", NULL };
static const char *const s_entry_keys[] = { "node",      "kpi",       "period", "floor",
                                            "target",    "stretch",   "spread", "carry",
                                            "carry_cap", "decompose", NULL };
static const char *const s_spread_keys[] = { "to", "rule", "basis", "weights", NULL };
static const char *const s_decompose_keys[] = { "weights", NULL };

/* JSON spellings, indexed by the enum they name ("" is never chosen). */
const char *const kpi_targets_internal_to_names[] = { "", "week", "month", "quarter", "" };
const char *const kpi_targets_internal_rule_names[] = { "even", "explicit" };
const char *const kpi_targets_internal_basis_names[] = { "periods", "calendar_days",
                                                         "business_days" };
const char *const kpi_targets_internal_weekday_names[] = { "mon", "tue", "wed", "thu",
                                                           "fri", "sat", "sun" };
static const char *const s_node_prefixes[] = { "region:", "team:", "rep:" };
#define S_NODE_COMPANY "company"

const sp_refdata_kind_t kpi_targets_kind = {
    .kind = S_KIND,
    .service = "kpi-evaluator",
    .change = SP_REFDATA_FORWARD,
    .effective_dated = false,
    .check = kpi_targets_check,
};

/* ------------------------------------------------------------- helpers */

int64_t
kpi_targets_internal_day_of (int64_t ms)
{
    return sp_civil_floor_divide (ms, KPI_TARGETS_INTERNAL_MS_PER_DAY);
}

static bool
s_additive (const kpi_definition_t *kpi)
{
    return kpi_catalog_additive (kpi);
}

/* A string without NUL bytes. */
static int
s_read_text (sp_json_reader_t *reader, const json_t *value, const char *path, const char **text)
{
    if (sp_json_read_string (reader, value, path, text) != 0)
        return -1;
    if (strlen (*text) != json_string_length (value))
        return sp_json_fail (reader, path, "must not contain NUL bytes");
    return 0;
}

/* True for "company", "region:<id>", "team:<id>" or "rep:<id>" with an id of 1..128 bytes. */
static bool
s_node_valid (const char *text)
{
    if (strcmp (text, S_NODE_COMPANY) == 0)
        return true;
    for (size_t index = 0; index < S_COUNT (s_node_prefixes); index++) {
        size_t prefix = strlen (s_node_prefixes[index]);
        if (strncmp (text, s_node_prefixes[index], prefix) == 0) {
            size_t id = strlen (text + prefix);
            return id >= 1 && id <= KPI_TARGETS_ID_MAX;
        }
    }
    return false;
}

static int
s_fail_node (sp_json_reader_t *reader, const char *path, const char *text)
{
    char quoted[KPI_TARGETS_INTERNAL_QUOTE_SIZE];
    sp_error_quote (text, quoted, sizeof quoted);
    return sp_json_fail (reader, path,
                         "invalid node \"%s\": use \"company\", \"region:<id>\", \"team:<id>\" "
                         "or \"rep:<id>\", ids of 1 to %d bytes",
                         quoted, KPI_TARGETS_ID_MAX);
}

/* ------------------------------------------------------------ calendar */

/* The sub-periods of kind in parent: quarters and months that start in
   it, ISO weeks whose Thursday falls in it. Returns how many (at most
   KPI_TARGETS_SUBPERIODS_MAX). */
size_t
kpi_targets_internal_subperiods (const kpi_targets_t *self, const sp_period_t *parent,
                                 sp_period_kind_t kind, kpi_targets_internal_sub_t *subs)
{
    assert (kind < parent->kind);
    int64_t parent_first = kpi_targets_internal_day_of (parent->start_ms);
    int64_t parent_next = kpi_targets_internal_day_of (parent->end_ms);
    int64_t day = parent_first;
    if (kind == SP_PERIOD_WEEK) {
        day = parent_first - sp_civil_iso_weekday (parent_first);
        if (day + KPI_TARGETS_INTERNAL_THURSDAY < parent_first)
            day += SP_CIVIL_DAYS_PER_WEEK;
    }
    size_t count = 0;
    sp_period_t period;
    int rc = sp_period_cut (self->utc, kind, day * KPI_TARGETS_INTERNAL_MS_PER_DAY, &period);
    assert (rc == 0);
    while (rc == 0 && (kind == SP_PERIOD_WEEK ? kpi_targets_internal_day_of (period.start_ms) +
                                                        KPI_TARGETS_INTERNAL_THURSDAY <
                                                    parent_next
                                              : period.start_ms < parent->end_ms)) {
        assert (count < KPI_TARGETS_SUBPERIODS_MAX);
        kpi_targets_internal_sub_t *sub = &subs[count++];
        memcpy (sub->label, period.label, sizeof sub->label);
        int64_t first = kpi_targets_internal_day_of (period.start_ms);
        int64_t next = kpi_targets_internal_day_of (period.end_ms);
        sub->first_day = first > parent_first ? first : parent_first;
        sub->next_day = next < parent_next ? next : parent_next;
        rc = sp_period_next (self->utc, &period, &period);
    }
    return count;
}

/* Weights of a spread's sub-periods; returns their sum (0: none counts). */
static uint64_t
s_spread_weights (const kpi_targets_t *self, const kpi_targets_internal_source_t *source,
                  const kpi_targets_internal_sub_t *subs, uint64_t *weights)
{
    uint64_t total = 0;
    for (size_t index = 0; index < source->sub_count; index++) {
        const kpi_targets_internal_sub_t *sub = &subs[index];
        if (source->rule == KPI_TARGETS_INTERNAL_RULE_EXPLICIT)
            weights[index] = source->weights[index];
        else if (source->basis == KPI_TARGETS_INTERNAL_BASIS_PERIODS)
            weights[index] = 1;
        else if (source->basis == KPI_TARGETS_INTERNAL_BASIS_CALENDAR_DAYS)
            weights[index] = (uint64_t) (sub->next_day - sub->first_day);
        else
            weights[index] =
                (uint64_t) kpi_targets_business_days (self, sub->first_day, sub->next_day);
        total += weights[index];
    }
    return total;
}

/* ----------------------------------------------------------- splitting */

typedef struct {
    uint64_t remainder; /* numerator of the fractional part, over the weights' sum */
    size_t index;       /* position: ties go to the earlier one */
} s_rank_t;

static int
s_rank_compare (const void *left, const void *right)
{
    const s_rank_t *a = left, *b = right;
    if (a->remainder != b->remainder)
        return a->remainder > b->remainder ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Splits total (>= 0) into count parts proportional to weights (sum > 0,
   at most KPI_TARGETS_CHILDREN_MAX × KPI_TARGETS_WEIGHT_MAX) by the
   largest-remainder rule: each part gets the whole part of its share,
   and the units left go one each to the largest fractional parts, ties
   to the earlier part. The parts add up to total exactly. */
static void
s_apportion (int64_t total, const uint64_t *weights, size_t count, int64_t *parts)
{
    assert (total >= 0 && count <= KPI_TARGETS_CHILDREN_MAX);
    uint64_t sum = 0;
    for (size_t index = 0; index < count; index++)
        sum += weights[index];
    assert (sum > 0);
    /* total = quotient × sum + rest: quotient × weight <= total and
       rest × weight < sum × weight stay well inside 64 bits. */
    uint64_t quotient = (uint64_t) total / sum;
    uint64_t rest = (uint64_t) total % sum;
    s_rank_t ranks[KPI_TARGETS_CHILDREN_MAX] = { { 0, 0 } };
    int64_t given = 0;
    for (size_t index = 0; index < count; index++) {
        uint64_t product = rest * weights[index];
        parts[index] = (int64_t) (quotient * weights[index] + product / sum);
        given += parts[index];
        ranks[index] = (s_rank_t){ product % sum, index };
    }
    int64_t left = total - given;
    assert (left >= 0 && (size_t) left < count + 1);
    qsort (ranks, count, sizeof ranks[0], s_rank_compare);
    for (size_t index = 0; index < (size_t) left; index++)
        parts[ranks[index].index]++;
}

/* Moves units between bound's parts so that each stays on its side of
   target's part (at_most: bound <= target), keeping their sum: rounding
   alone can put a floor's part one above its target's. */
static void
s_repair (int64_t *bound, const int64_t *target, size_t count, bool at_most)
{
    for (size_t index = 0; index < count; index++)
        while (at_most ? bound[index] > target[index] : bound[index] < target[index]) {
            size_t other = 0;
            while (other < count &&
                   (at_most ? bound[other] >= target[other] : bound[other] <= target[other]))
                other++;
            assert (other < count);
            bound[index] += at_most ? -1 : 1;
            bound[other] += at_most ? 1 : -1;
        }
}

/* Splits whole's floor, target, stretch (and with split_cap its cap) over
   weights into parts; floors and stretches stay on their side of the
   targets. */
static void
s_split (const kpi_targets_internal_source_t *source, const kpi_targets_internal_values_t *whole,
         const uint64_t *weights, size_t count, bool split_cap,
         kpi_targets_internal_values_t *parts)
{
    int64_t target[KPI_TARGETS_CHILDREN_MAX];
    int64_t other[KPI_TARGETS_CHILDREN_MAX];
    bool lower = source->kpi->lower_is_better;
    s_apportion (whole->target, weights, count, target);
    for (size_t index = 0; index < count; index++) {
        parts[index] = *whole;
        parts[index].target = target[index];
    }
    if (source->has_floor) {
        s_apportion (whole->floor, weights, count, other);
        s_repair (other, target, count, !lower);
        for (size_t index = 0; index < count; index++)
            parts[index].floor = other[index];
    }
    if (source->has_stretch) {
        s_apportion (whole->stretch, weights, count, other);
        s_repair (other, target, count, lower);
        for (size_t index = 0; index < count; index++)
            parts[index].stretch = other[index];
    }
    if (split_cap && source->has_carry_cap) {
        s_apportion (whole->cap, weights, count, other);
        for (size_t index = 0; index < count; index++)
            parts[index].cap = other[index];
    }
}

/* ------------------------------------------------------------- reading */

/* A value of hundredths: a JSON number with at most two decimals. */
static int
s_read_hundredths (sp_json_reader_t *reader, const json_t *value, const char *path, int64_t min,
                   int64_t max, int64_t *out)
{
    int64_t scaled;
    if (json_is_integer (value)) {
        json_int_t got = json_integer_value (value);
        if (got < min / KPI_TARGETS_INTERNAL_HUNDREDTHS ||
            got > max / KPI_TARGETS_INTERNAL_HUNDREDTHS)
            return sp_json_fail (reader, path, "%" JSON_INTEGER_FORMAT " is not in %lld..%lld", got,
                                 (long long) (min / KPI_TARGETS_INTERNAL_HUNDREDTHS),
                                 (long long) (max / KPI_TARGETS_INTERNAL_HUNDREDTHS));
        scaled = (int64_t) got * KPI_TARGETS_INTERNAL_HUNDREDTHS;
    }
    else if (json_is_real (value)) {
        double got = json_real_value (value);
        if (!(got >= (double) min / KPI_TARGETS_INTERNAL_HUNDREDTHS &&
              got <= (double) max / KPI_TARGETS_INTERNAL_HUNDREDTHS))
            return sp_json_fail (reader, path, "%g is not in %lld..%lld", got,
                                 (long long) (min / KPI_TARGETS_INTERNAL_HUNDREDTHS),
                                 (long long) (max / KPI_TARGETS_INTERNAL_HUNDREDTHS));
        scaled = (int64_t) llround (got * KPI_TARGETS_INTERNAL_HUNDREDTHS);
        double back = (double) scaled / KPI_TARGETS_INTERNAL_HUNDREDTHS;
        if (back < got || back > got)
            return sp_json_fail (reader, path, "%.10g has more than %d decimals", got,
                                 KPI_TARGETS_INTERNAL_HUNDREDTHS_DECIMALS);
    }
    else
        return sp_json_fail (reader, path, "expected a number such as 35.5, got %s",
                             sp_json_kind (value));
    *out = scaled;
    return 0;
}

/* A value in the KPI's unit (kpi_catalog.h); value NULL: "required". */
static int
s_read_value (sp_json_reader_t *reader, const kpi_targets_t *self, const kpi_definition_t *kpi,
              const json_t *value, const char *path, int64_t *out)
{
    if (!value)
        return sp_json_fail (reader, path, "required");
    switch (kpi->unit) {
        case KPI_UNIT_MONEY: {
            const char *text;
            if (!json_is_string (value))
                return sp_json_fail (reader, path,
                                     "expected an amount of %s such as \"1000.00\", got %s",
                                     self->currency, sp_json_kind (value));
            if (s_read_text (reader, value, path, &text) != 0)
                return -1;
            int64_t minor;
            sp_money_status_t status = sp_money_parse (text, self->currency, &minor);
            char quoted[KPI_TARGETS_INTERNAL_QUOTE_SIZE];
            if (status != SP_MONEY_OK)
                return sp_json_fail (reader, path, "\"%s\" is not an amount of %s: %s",
                                     sp_json_quote (value, quoted, sizeof quoted), self->currency,
                                     sp_money_status_text (status));
            if (minor < 0)
                return sp_json_fail (reader, path, "\"%s\" is negative",
                                     sp_json_quote (value, quoted, sizeof quoted));
            *out = minor;
            return 0;
        }
        case KPI_UNIT_COUNT: {
            json_int_t number;
            if (sp_json_read_integer (reader, value, path, 0, S_VALUE_MAX, &number) != 0)
                return -1;
            *out = number;
            return 0;
        }
        case KPI_UNIT_RATIO: {
            uint32_t bp;
            if (sp_json_read_fraction (reader, value, path, &bp) != 0)
                return -1;
            *out = bp;
            return 0;
        }
        case KPI_UNIT_SCORE:
            return s_read_hundredths (reader, value, path, -S_SCORE_MAX, S_SCORE_MAX, out);
        case KPI_UNIT_AVERAGE:
        case KPI_UNIT_PER_DAY:
        default:
            return s_read_hundredths (reader, value, path, 0, S_HUNDREDTHS_MAX, out);
    }
}

/* Refuses field on a non-additive KPI. */
static int
s_fail_not_additive (sp_json_reader_t *reader, const kpi_targets_internal_source_t *source,
                     const char *path, const char *done)
{
    return sp_json_fail (reader, path,
                         "\"%s\" is not additive (unit %s): it cannot be %s, its target holds "
                         "as it is for every sub-period and child",
                         source->kpi->name, kpi_catalog_unit_name (source->kpi->unit), done);
}

/* Reads "business_days". */
static int
s_read_calendar (sp_json_reader_t *reader, kpi_targets_t *self, const json_t *object)
{
    char path[SP_JSON_PATH_SIZE];
    self->weekdays = KPI_TARGETS_INTERNAL_WORKWEEK;
    if (!object)
        return 0;
    if (sp_json_read_object (reader, object, "business_days") != 0 ||
        sp_json_check_keys (reader, object, "business_days", s_calendar_keys) != 0)
        return -1;
    const json_t *weekdays = json_object_get (object, "weekdays");
    if (weekdays) {
        if (sp_json_read_array (reader, weekdays, "business_days.weekdays") != 0)
            return -1;
        if (json_array_size (weekdays) == 0)
            return sp_json_fail (reader, "business_days.weekdays",
                                 "at least one weekday is required");
        self->weekdays = 0;
        for (size_t index = 0; index < json_array_size (weekdays); index++) {
            int day;
            sp_json_path_index (path, sizeof path, "business_days.weekdays", index);
            if (sp_json_read_choice (reader, json_array_get (weekdays, index), path, "weekday",
                                     "\"mon\" .. \"sun\"", kpi_targets_internal_weekday_names,
                                     S_COUNT (kpi_targets_internal_weekday_names), &day) != 0)
                return -1;
            if (self->weekdays & (1u << day))
                return sp_json_fail (reader, path, "\"%s\" is listed twice",
                                     kpi_targets_internal_weekday_names[day]);
            self->weekdays |= 1u << day;
        }
    }
    const json_t *holidays = json_object_get (object, "holidays");
    if (!holidays)
        return 0;
    if (sp_json_read_array (reader, holidays, "business_days.holidays") != 0)
        return -1;
    size_t count = json_array_size (holidays);
    if (count > KPI_TARGETS_HOLIDAYS_MAX)
        return sp_json_fail (reader, "business_days.holidays",
                             "%zu holidays, at most %d are allowed", count,
                             KPI_TARGETS_HOLIDAYS_MAX);
    self->holidays = count ? calloc (count, sizeof self->holidays[0]) : NULL;
    if (count && !self->holidays)
        return sp_json_fail (reader, "business_days.holidays", "out of memory");
    for (size_t index = 0; index < count; index++) {
        const char *text;
        char reason[KPI_TARGETS_ERROR_SIZE];
        sp_period_t day;
        sp_json_path_index (path, sizeof path, "business_days.holidays", index);
        if (s_read_text (reader, json_array_get (holidays, index), path, &text) != 0)
            return -1;
        if (sp_period_parse (self->utc, text, &day, reason, sizeof reason) != 0)
            return sp_json_fail (reader, path, "%s", reason);
        if (day.kind != SP_PERIOD_DAY)
            return sp_json_fail (reader, path, "expected a date YYYY-MM-DD, got \"%s\"", day.label);
        int64_t number = kpi_targets_internal_day_of (day.start_ms);
        for (size_t earlier = 0; earlier < index; earlier++)
            if (self->holidays[earlier] == number)
                return sp_json_fail (reader, path, "%s is already business_days.holidays[%zu]",
                                     day.label, earlier);
        self->holidays[index] = number;
        self->holiday_count = index + 1;
    }
    /* Insertion sort: a few hundred dates at most in practice. */
    for (size_t index = 1; index < count; index++)
        for (size_t at = index; at > 0 && self->holidays[at - 1] > self->holidays[at]; at--) {
            int64_t swap = self->holidays[at];
            self->holidays[at] = self->holidays[at - 1];
            self->holidays[at - 1] = swap;
        }
    return 0;
}

/* Reads "spread" of source (its node, KPI and period already read). */
static int
s_read_spread (sp_json_reader_t *reader, kpi_targets_t *self, kpi_targets_internal_source_t *source,
               const json_t *object, const char *parent)
{
    char path[SP_JSON_PATH_SIZE];
    char at[SP_JSON_PATH_SIZE];
    if (sp_json_read_object (reader, object, parent) != 0 ||
        sp_json_check_keys (reader, object, parent, s_spread_keys) != 0)
        return -1;
    if (!s_additive (source->kpi))
        return s_fail_not_additive (reader, source, parent, "spread");
    int choice;
    sp_json_path (path, sizeof path, parent, "to");
    if (sp_json_read_choice (reader, json_object_get (object, "to"), path, "period kind",
                             "\"quarter\", \"month\" or \"week\"", kpi_targets_internal_to_names,
                             S_COUNT (kpi_targets_internal_to_names), &choice) != 0)
        return -1;
    source->spread_to = (sp_period_kind_t) choice;
    if (source->spread_to >= source->period.kind)
        return sp_json_fail (reader, path, "a %s cannot be spread to %ss",
                             sp_period_kind_name (source->period.kind),
                             kpi_targets_internal_to_names[choice]);
    sp_json_path (path, sizeof path, parent, "rule");
    if (sp_json_read_choice (reader, json_object_get (object, "rule"), path, "rule",
                             "\"even\" or \"explicit\"", kpi_targets_internal_rule_names,
                             S_COUNT (kpi_targets_internal_rule_names), &choice) != 0)
        return -1;
    source->rule = (kpi_targets_internal_rule_t) choice;
    kpi_targets_internal_sub_t subs[KPI_TARGETS_SUBPERIODS_MAX];
    source->sub_count =
        kpi_targets_internal_subperiods (self, &source->period, source->spread_to, subs);
    source->has_spread = true;

    const json_t *basis = json_object_get (object, "basis");
    const json_t *weights = json_object_get (object, "weights");
    sp_json_path (path, sizeof path, parent, "basis");
    if (basis && source->rule != KPI_TARGETS_INTERNAL_RULE_EVEN)
        return sp_json_fail (reader, path, "applies only to rule \"even\"");
    choice = KPI_TARGETS_INTERNAL_BASIS_PERIODS;
    if (basis && sp_json_read_choice (reader, basis, path, "basis",
                                      "\"periods\", \"calendar_days\" or \"business_days\"",
                                      kpi_targets_internal_basis_names,
                                      S_COUNT (kpi_targets_internal_basis_names), &choice) != 0)
        return -1;
    source->basis = (kpi_targets_internal_basis_t) choice;
    sp_json_path (path, sizeof path, parent, "weights");
    if (weights && source->rule != KPI_TARGETS_INTERNAL_RULE_EXPLICIT)
        return sp_json_fail (reader, path, "applies only to rule \"explicit\"");
    if (source->rule == KPI_TARGETS_INTERNAL_RULE_EXPLICIT) {
        if (sp_json_read_array (reader, weights, path) != 0)
            return -1;
        size_t count = json_array_size (weights);
        if (count != source->sub_count)
            return sp_json_fail (
                reader, path, "%zu weights for %zu %ss of %s", count, source->sub_count,
                kpi_targets_internal_to_names[source->spread_to], source->period.label);
        source->weights = calloc (count, sizeof source->weights[0]);
        if (!source->weights)
            return sp_json_fail (reader, path, "out of memory");
        for (size_t index = 0; index < count; index++) {
            json_int_t weight;
            sp_json_path_index (at, sizeof at, path, index);
            if (sp_json_read_integer (reader, json_array_get (weights, index), at,
                                      KPI_TARGETS_WEIGHT_MIN, KPI_TARGETS_WEIGHT_MAX, &weight) != 0)
                return -1;
            source->weights[index] = (uint32_t) weight;
        }
    }
    uint64_t spread_weights[KPI_TARGETS_SUBPERIODS_MAX];
    if (s_spread_weights (self, source, subs, spread_weights) == 0) {
        sp_json_path (path, sizeof path, parent, "basis");
        return sp_json_fail (reader, path, "the %ss of %s have no business days",
                             kpi_targets_internal_to_names[source->spread_to],
                             source->period.label);
    }
    return 0;
}

static int
s_child_compare (const void *left, const void *right)
{
    return strcmp (((const kpi_targets_internal_child_t *) left)->node,
                   ((const kpi_targets_internal_child_t *) right)->node);
}

/* Reads "decompose" of source. */
static int
s_read_decompose (sp_json_reader_t *reader, kpi_targets_internal_source_t *source,
                  const json_t *object, const char *parent)
{
    char path[SP_JSON_PATH_SIZE];
    char at[SP_JSON_PATH_SIZE];
    if (sp_json_read_object (reader, object, parent) != 0 ||
        sp_json_check_keys (reader, object, parent, s_decompose_keys) != 0)
        return -1;
    if (!s_additive (source->kpi))
        return s_fail_not_additive (reader, source, parent, "decomposed");
    sp_json_path (path, sizeof path, parent, "weights");
    const json_t *weights = json_object_get (object, "weights");
    if (sp_json_read_object (reader, weights, path) != 0)
        return -1;
    size_t count = json_object_size (weights);
    if (count == 0 || count > KPI_TARGETS_CHILDREN_MAX)
        return sp_json_fail (reader, path, "%zu children, 1 to %d are allowed", count,
                             KPI_TARGETS_CHILDREN_MAX);
    source->children = calloc (count, sizeof source->children[0]);
    if (!source->children)
        return sp_json_fail (reader, path, "out of memory");
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *) weights, key, value)
    {
        char quoted[KPI_TARGETS_INTERNAL_QUOTE_SIZE];
        sp_error_quote (key, quoted, sizeof quoted);
        sp_json_path (at, sizeof at, path, quoted);
        if (!s_node_valid (key))
            return s_fail_node (reader, at, key);
        if (strcmp (key, source->node) == 0)
            return sp_json_fail (reader, at, "a node cannot be its own child");
        json_int_t weight;
        if (sp_json_read_integer (reader, value, at, KPI_TARGETS_WEIGHT_MIN, KPI_TARGETS_WEIGHT_MAX,
                                  &weight) != 0)
            return -1;
        kpi_targets_internal_child_t *child = &source->children[source->child_count++];
        snprintf (child->node, sizeof child->node, "%s", key);
        child->weight = (uint32_t) weight;
    }
    qsort (source->children, count, sizeof source->children[0], s_child_compare);
    return 0;
}

/* Checks the order floor, target, stretch (reversed when lower is better). */
static int
s_check_order (sp_json_reader_t *reader, const kpi_targets_t *self,
               const kpi_targets_internal_source_t *source, const char *parent)
{
    char path[SP_JSON_PATH_SIZE];
    char bound[SP_MONEY_TEXT_SIZE];
    char target[SP_MONEY_TEXT_SIZE];
    bool lower = source->kpi->lower_is_better;
    const kpi_targets_internal_values_t *values = &source->values;
    kpi_targets_internal_format (self, source->kpi, values->target, target, sizeof target);
    if (source->has_floor &&
        (lower ? values->floor < values->target : values->floor > values->target)) {
        sp_json_path (path, sizeof path, parent, "floor");
        kpi_targets_internal_format (self, source->kpi, values->floor, bound, sizeof bound);
        return sp_json_fail (reader, path, "the floor %s is %s the target %s", bound,
                             lower ? "below" : "above", target);
    }
    if (source->has_stretch &&
        (lower ? values->stretch > values->target : values->stretch < values->target)) {
        sp_json_path (path, sizeof path, parent, "stretch");
        kpi_targets_internal_format (self, source->kpi, values->stretch, bound, sizeof bound);
        return sp_json_fail (reader, path, "the stretch %s is %s the target %s", bound,
                             lower ? "above" : "below", target);
    }
    return 0;
}

/* Reads targets[index] into sources[index]. */
static int
s_read_entry (sp_json_reader_t *reader, kpi_targets_t *self, size_t index, const json_t *object)
{
    kpi_targets_internal_source_t *source = &self->sources[index];
    char parent[SP_JSON_PATH_SIZE];
    char path[SP_JSON_PATH_SIZE];
    sp_json_path_index (parent, sizeof parent, "targets", index);
    if (sp_json_read_object (reader, object, parent) != 0 ||
        sp_json_check_keys (reader, object, parent, s_entry_keys) != 0)
        return -1;

    const char *text;
    sp_json_path (path, sizeof path, parent, "node");
    if (s_read_text (reader, json_object_get (object, "node"), path, &text) != 0)
        return -1;
    if (!s_node_valid (text))
        return s_fail_node (reader, path, text);
    snprintf (source->node, sizeof source->node, "%s", text);

    sp_json_path (path, sizeof path, parent, "kpi");
    const json_t *value = json_object_get (object, "kpi");
    if (s_read_text (reader, value, path, &text) != 0)
        return -1;
    source->kpi = kpi_catalog_find (text);
    if (!source->kpi) {
        char quoted[KPI_TARGETS_INTERNAL_QUOTE_SIZE];
        return sp_json_fail (reader, path, "unknown KPI \"%s\"",
                             sp_json_quote (value, quoted, sizeof quoted));
    }

    sp_json_path (path, sizeof path, parent, "period");
    if (s_read_text (reader, json_object_get (object, "period"), path, &text) != 0)
        return -1;
    char reason[KPI_TARGETS_ERROR_SIZE];
    if (sp_period_parse (self->utc, text, &source->period, reason, sizeof reason) != 0)
        return sp_json_fail (reader, path, "%s", reason);
    if (source->period.kind == SP_PERIOD_DAY)
        return sp_json_fail (reader, path,
                             "\"%s\" is a day: use a year, quarter, month or ISO week",
                             source->period.label);

    sp_json_path (path, sizeof path, parent, "target");
    if (s_read_value (reader, self, source->kpi, json_object_get (object, "target"), path,
                      &source->values.target) != 0)
        return -1;
    value = json_object_get (object, "floor");
    sp_json_path (path, sizeof path, parent, "floor");
    if (value && s_read_value (reader, self, source->kpi, value, path, &source->values.floor) != 0)
        return -1;
    source->has_floor = value != NULL;
    value = json_object_get (object, "stretch");
    sp_json_path (path, sizeof path, parent, "stretch");
    if (value &&
        s_read_value (reader, self, source->kpi, value, path, &source->values.stretch) != 0)
        return -1;
    source->has_stretch = value != NULL;
    if (s_check_order (reader, self, source, parent) != 0)
        return -1;

    value = json_object_get (object, "spread");
    sp_json_path (path, sizeof path, parent, "spread");
    if (value && s_read_spread (reader, self, source, value, path) != 0)
        return -1;

    sp_json_path (path, sizeof path, parent, "carry");
    value = json_object_get (object, "carry");
    if (sp_json_read_bool (reader, value, path, &source->carry) != 0)
        return -1;
    if (source->carry && !s_additive (source->kpi))
        return s_fail_not_additive (reader, source, path, "carried");
    if (source->carry && !source->has_spread)
        return sp_json_fail (reader, path, "applies only with \"spread\"");
    sp_json_path (path, sizeof path, parent, "carry_cap");
    value = json_object_get (object, "carry_cap");
    if (value && !source->carry)
        return sp_json_fail (reader, path, "applies only with \"carry\": true");
    if (value && s_read_value (reader, self, source->kpi, value, path, &source->values.cap) != 0)
        return -1;
    source->has_carry_cap = value != NULL;

    value = json_object_get (object, "decompose");
    sp_json_path (path, sizeof path, parent, "decompose");
    if (value && s_read_decompose (reader, source, value, path) != 0)
        return -1;
    return 0;
}

/* ----------------------------------------------------------- expansion */

/* Appends an entry; -1 when out of memory. */
static int
s_append (kpi_targets_t *self, size_t source_index, kpi_targets_internal_origin_t origin,
          const char *node, const char *label, const kpi_targets_internal_values_t *values,
          const char *parent)
{
    const kpi_targets_internal_source_t *source = &self->sources[source_index];
    if (self->size == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 64;
        kpi_targets_internal_entry_t *entries =
            realloc (self->entries, capacity * sizeof entries[0]);
        if (!entries)
            return -1;
        self->entries = entries;
        self->capacity = capacity;
    }
    kpi_targets_internal_entry_t *entry = &self->entries[self->size++];
    memset (entry, 0, sizeof *entry);
    entry->source = source_index;
    entry->origin = origin;
    entry->from_kind = source->period.kind;
    entry->entry.node = node;
    entry->entry.kpi = source->kpi->name;
    snprintf (entry->entry.period, sizeof entry->entry.period, "%s", label);
    kpi_target_t *target = &entry->entry.target;
    target->target = values->target;
    target->floor = source->has_floor ? values->floor : 0;
    target->stretch = source->has_stretch ? values->stretch : 0;
    target->has_floor = source->has_floor;
    target->has_stretch = source->has_stretch;
    target->carry = source->carry;
    target->has_carry_cap = source->has_carry_cap;
    target->carry_cap = source->has_carry_cap ? values->cap : 0;
    target->derived = origin != KPI_TARGETS_INTERNAL_ORIGIN_EXPLICIT;
    snprintf (target->parent, sizeof target->parent, "%s", parent);
    return 0;
}

/* Expands one source into its entries. */
static int
s_expand (kpi_targets_t *self, size_t index)
{
    const kpi_targets_internal_source_t *source = &self->sources[index];
    const char *label = source->period.label;
    if (s_append (self, index, KPI_TARGETS_INTERNAL_ORIGIN_EXPLICIT, source->node, label,
                  &source->values, "") != 0)
        return -1;
    kpi_targets_internal_sub_t subs[KPI_TARGETS_SUBPERIODS_MAX];
    kpi_targets_internal_values_t spread[KPI_TARGETS_SUBPERIODS_MAX];
    if (source->has_spread) {
        uint64_t weights[KPI_TARGETS_SUBPERIODS_MAX];
        size_t count =
            kpi_targets_internal_subperiods (self, &source->period, source->spread_to, subs);
        assert (count == source->sub_count);
        s_spread_weights (self, source, subs, weights);
        s_split (source, &source->values, weights, count, false, spread);
        for (size_t sub = 0; sub < count; sub++)
            if (s_append (self, index, KPI_TARGETS_INTERNAL_ORIGIN_SPREAD, source->node,
                          subs[sub].label, &spread[sub], label) != 0)
                return -1;
    }
    if (source->child_count == 0)
        return 0;
    uint64_t weights[KPI_TARGETS_CHILDREN_MAX];
    kpi_targets_internal_values_t *shares = calloc (source->child_count, sizeof shares[0]);
    kpi_targets_internal_values_t *parts = calloc (source->child_count, sizeof parts[0]);
    int rc = shares && parts ? 0 : -1;
    for (size_t child = 0; child < source->child_count; child++)
        weights[child] = source->children[child].weight;
    if (rc == 0)
        s_split (source, &source->values, weights, source->child_count, true, shares);
    for (size_t child = 0; rc == 0 && child < source->child_count; child++)
        rc = s_append (self, index, KPI_TARGETS_INTERNAL_ORIGIN_DECOMPOSE,
                       source->children[child].node, label, &shares[child], "");
    for (size_t sub = 0; rc == 0 && source->has_spread && sub < source->sub_count; sub++) {
        s_split (source, &spread[sub], weights, source->child_count, false, parts);
        for (size_t child = 0; rc == 0 && child < source->child_count; child++) {
            parts[child].cap = shares[child].cap; /* a child's cap is its share of the cap */
            rc = s_append (self, index, KPI_TARGETS_INTERNAL_ORIGIN_DECOMPOSE_SPREAD,
                           source->children[child].node, subs[sub].label, &parts[child], label);
        }
    }
    free (parts);
    free (shares);
    return rc;
}

/* Precedence of an entry among those of the same triple: lower wins. */
static int
s_rank (const kpi_targets_internal_entry_t *entry)
{
    if (entry->origin == KPI_TARGETS_INTERNAL_ORIGIN_EXPLICIT)
        return 0;
    int from_parent =
        entry->origin == KPI_TARGETS_INTERNAL_ORIGIN_SPREAD ? 0 : SP_PERIOD_KIND_COUNT;
    return 1 + from_parent + (int) entry->from_kind;
}

int
kpi_targets_internal_key_compare (const char *node, const char *kpi, const char *period,
                                  const kpi_targets_internal_entry_t *entry)
{
    int order = strcmp (node, entry->entry.node);
    if (order == 0)
        order = strcmp (kpi, entry->entry.kpi);
    if (order == 0)
        order = strcmp (period, entry->entry.period);
    return order;
}

static int
s_entry_compare (const void *left, const void *right)
{
    const kpi_targets_internal_entry_t *a = left, *b = right;
    int order = kpi_targets_internal_key_compare (a->entry.node, a->entry.kpi, a->entry.period, b);
    if (order == 0)
        order = s_rank (a) - s_rank (b);
    if (order == 0)
        order = a->source < b->source ? -1 : a->source > b->source;
    return order;
}

/* Where an entry came from, as a JSON path: "targets[1].spread". */
static void
s_origin_path (const kpi_targets_internal_entry_t *entry, char *buffer, size_t size)
{
    static const char *const suffixes[] = { "", ".spread", ".decompose", ".decompose" };
    snprintf (buffer, size, "targets[%zu]%s", entry->source, suffixes[entry->origin]);
}

/* Sorts the entries and keeps the one of highest precedence per triple. */
static int
s_resolve (sp_json_reader_t *reader, kpi_targets_t *self)
{
    if (self->size == 0)
        return 0;
    qsort (self->entries, self->size, sizeof self->entries[0], s_entry_compare);
    size_t kept = 0;
    for (size_t index = 0; index < self->size; index++) {
        const kpi_targets_internal_entry_t *entry = &self->entries[index];
        const kpi_targets_internal_entry_t *winner = kept ? &self->entries[kept - 1] : NULL;
        if (winner && kpi_targets_internal_key_compare (entry->entry.node, entry->entry.kpi,
                                                        entry->entry.period, winner) == 0) {
            if (s_rank (entry) == s_rank (winner)) {
                char path[SP_JSON_PATH_SIZE];
                char other[SP_JSON_PATH_SIZE];
                char quoted[KPI_TARGETS_INTERNAL_QUOTE_SIZE];
                s_origin_path (entry, path, sizeof path);
                s_origin_path (winner, other, sizeof other);
                sp_error_quote (entry->entry.node, quoted, sizeof quoted);
                return sp_json_fail (reader, path, "%s %s %s is also %s %s", quoted,
                                     entry->entry.kpi, entry->entry.period,
                                     entry->origin == KPI_TARGETS_INTERNAL_ORIGIN_EXPLICIT
                                         ? "given by"
                                         : "derived by",
                                     other);
            }
            continue; /* a lower precedence: the winner stays */
        }
        self->entries[kept++] = *entry;
    }
    self->size = kept;
    return 0;
}

/* ------------------------------------------------------------ document */

static int
s_read (sp_json_reader_t *reader, kpi_targets_t *self, const json_t *root)
{
    if (sp_json_check_keys (reader, root, "", s_top_keys) != 0)
        return -1;
    if (sp_json_read_name (reader, json_object_get (root, "name"), "name", self->name,
                           KPI_TARGETS_NAME_MAX) != 0)
        return -1;
    const char *text;
    const json_t *value = json_object_get (root, "currency");
    if (s_read_text (reader, value, "currency", &text) != 0)
        return -1;
    if (!sp_money_currency_valid (text)) {
        char quoted[KPI_TARGETS_INTERNAL_QUOTE_SIZE];
        return sp_json_fail (reader, "currency",
                             "unknown currency \"%s\": use an active ISO 4217 code such as \"USD\"",
                             sp_json_quote (value, quoted, sizeof quoted));
    }
    snprintf (self->currency, sizeof self->currency, "%s", text);
    if (s_read_calendar (reader, self, json_object_get (root, "business_days")) != 0)
        return -1;

    const json_t *targets = json_object_get (root, "targets");
    if (sp_json_read_array (reader, targets, "targets") != 0)
        return -1;
    size_t count = json_array_size (targets);
    if (count > KPI_TARGETS_MAX)
        return sp_json_fail (reader, "targets", "%zu targets, at most %d are allowed", count,
                             KPI_TARGETS_MAX);
    self->sources = count ? calloc (count, sizeof self->sources[0]) : NULL;
    if (count && !self->sources)
        return sp_json_fail (reader, "targets", "out of memory");
    size_t expanded = 0;
    for (size_t index = 0; index < count; index++) {
        self->source_count = index + 1; /* so that destroy frees what it holds */
        if (s_read_entry (reader, self, index, json_array_get (targets, index)) != 0)
            return -1;
        const kpi_targets_internal_source_t *source = &self->sources[index];
        expanded += (1 + source->sub_count) * (1 + source->child_count);
        if (expanded > KPI_TARGETS_MAX) {
            char path[SP_JSON_PATH_SIZE];
            sp_json_path_index (path, sizeof path, "targets", index);
            return sp_json_fail (reader, path,
                                 "more than %d targets once spreads and decompositions are "
                                 "expanded",
                                 KPI_TARGETS_MAX);
        }
    }
    for (size_t index = 0; index < count; index++)
        if (s_expand (self, index) != 0)
            return sp_json_fail (reader, "targets", "out of memory");
    return s_resolve (reader, self);
}

kpi_targets_t *
kpi_targets_new (const char *text, size_t length, char *error, size_t error_size)
{
    assert (text || length == 0);
    sp_json_reader_t reader = { error, error_size };
    json_t *root = sp_json_load_object (text, length, "a targets document", error, error_size);
    if (!root)
        return NULL;
    kpi_targets_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        goto out_release_root;
    }
    self->utc = sp_tz_new ("UTC", error, error_size);
    if (!self->utc || s_read (&reader, self, root) != 0)
        kpi_targets_destroy (&self);
out_release_root:
    json_decref (root);
    return self;
}

void
kpi_targets_destroy (kpi_targets_t **self_p)
{
    assert (self_p);
    kpi_targets_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->source_count; index++) {
        free (self->sources[index].weights);
        free (self->sources[index].children);
    }
    free (self->sources);
    free (self->entries);
    free (self->holidays);
    sp_tz_destroy (&self->utc);
    free (self);
    *self_p = NULL;
}

int
kpi_targets_check (const char *text, size_t length, char *name, size_t name_size, char **canonical,
                   char *error, size_t error_size)
{
    assert (text && name && canonical);
    kpi_targets_t *self = kpi_targets_new (text, length, error, error_size);
    if (!self)
        return -1;
    int rc = sp_refdata_check_finish (kpi_targets_to_json (self), kpi_targets_name (self), name,
                                      name_size, canonical, error, error_size);
    kpi_targets_destroy (&self);
    return rc;
}

const char *
kpi_targets_name (const kpi_targets_t *self)
{
    assert (self);
    return self->name;
}

const char *
kpi_targets_currency (const kpi_targets_t *self)
{
    assert (self);
    return self->currency;
}
