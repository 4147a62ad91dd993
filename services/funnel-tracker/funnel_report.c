/*  funnel_report - report figures from summed partials (see funnel_report.h). */
#include "funnel_report.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_period.h"
#include "sp_tz.h"

#define S_MONTHS_PER_YEAR 12
#define S_MONTHS_PER_QUARTER 3
#define S_YEAR_DIGITS 4
#define S_SHAPE_YEAR 4  /* "2017" */
#define S_SHAPE_MONTH 7 /* "2017-05", "2017-Q2" */
#define S_QUOTE_SIZE 64 /* a period label quoted in a message */
#define S_HALF_BASIS_POINTS (FUNNEL_DEFINITION_BASIS_POINTS / 2)

static const char s_period_all[] = "all";

static funnel_report_value_t
s_value (double value)
{
    return (funnel_report_value_t){ .set = true, .value = value };
}

static funnel_report_value_t
s_ratio (double numerator, double denominator)
{
    if (denominator == 0)
        return (funnel_report_value_t){ .set = false, .value = 0 };
    return s_value (numerator / denominator);
}

static bool
s_terminal (const funnel_definition_t *definition, size_t step)
{
    return funnel_definition_step (definition, step - 1)->outcome != FUNNEL_DEFINITION_OUTCOME_NONE;
}

/* The last step without an outcome (steps with one come after it). */
static size_t
s_last_open_step (const funnel_definition_t *definition)
{
    size_t last = 1;
    for (size_t step = 1; step <= funnel_definition_step_count (definition); step++)
        if (!s_terminal (definition, step))
            last = step;
    return last;
}

size_t
funnel_report_previous (const funnel_definition_t *definition, size_t step)
{
    assert (definition && step >= 1 && step <= funnel_definition_step_count (definition));
    if (step == 1)
        return 0;
    if (funnel_definition_mode (definition) == FUNNEL_STEPS_MODE_PIPELINE &&
        s_terminal (definition, step))
        return s_last_open_step (definition);
    return step - 1;
}

size_t
funnel_report_next (const funnel_definition_t *definition, size_t step)
{
    size_t count = funnel_definition_step_count (definition);
    assert (definition && step >= 1 && step <= count);
    if (funnel_definition_mode (definition) != FUNNEL_STEPS_MODE_PIPELINE)
        return step < count ? step + 1 : 0;
    if (s_terminal (definition, step))
        return 0;
    if (step < count && !s_terminal (definition, step + 1))
        return step + 1;
    for (size_t candidate = step + 1; candidate <= count; candidate++)
        if (funnel_definition_step (definition, candidate - 1)->outcome ==
            FUNNEL_DEFINITION_OUTCOME_WON)
            return candidate;
    return 0;
}

void
funnel_report_compute (const funnel_definition_t *definition, const funnel_report_totals_t *totals,
                       funnel_report_t *report)
{
    assert (definition && totals && report);
    memset (report, 0, sizeof *report);
    report->mode = funnel_definition_mode (definition);
    report->step_count = funnel_definition_step_count (definition);
    for (size_t step = 1; step <= report->step_count; step++) {
        funnel_report_step_t *line = &report->steps[step - 1];
        uint64_t reached = totals->reached[step - 1];
        line->previous = funnel_report_previous (definition, step);
        line->next = funnel_report_next (definition, step);
        line->reached = reached;
        if (line->previous)
            line->step_conversion =
                s_ratio ((double) reached, (double) totals->reached[line->previous - 1]);
        line->overall_conversion = s_ratio ((double) reached, (double) totals->reached[0]);
        if (line->next) {
            line->has_drop_off = true;
            line->drop_off = (int64_t) reached - (int64_t) totals->reached[line->next - 1];
            line->drop_off_rate = s_ratio ((double) line->drop_off, (double) reached);
        }
        if (step >= 2) {
            line->time_count = totals->duration_count[step - 1];
            line->time_mean_ms = s_ratio ((double) totals->duration_sum[step - 1],
                                          (double) totals->duration_count[step - 1]);
            line->time_median_ms = totals->duration_median[step - 1];
        }
    }
    report->won = totals->won;
    report->lost = totals->lost;
    report->win_rate = s_ratio ((double) totals->won, (double) totals->won + (double) totals->lost);
    report->won_amount_count = totals->won_amount_count;
    report->won_amount_sum = totals->won_amount_sum;
    report->won_amount_mean =
        s_ratio ((double) totals->won_amount_sum, (double) totals->won_amount_count);
    report->won_amount_median = totals->won_amount_median;
    report->won_other_currency = totals->won_other_currency;
    report->cycle_count = totals->cycle_count;
    report->cycle_mean_ms = s_ratio ((double) totals->cycle_sum, (double) totals->cycle_count);
    report->cycle_median_ms = totals->cycle_median;
    if (totals->cycle_median.set)
        report->cycle_median_days =
            s_value (totals->cycle_median.value / (double) FUNNEL_REPORT_MS_PER_DAY);
}

int64_t
funnel_report_weighted (int64_t weighted_bp)
{
    /* Floor division, then up when the remainder is half or more. */
    int64_t quotient = weighted_bp / FUNNEL_DEFINITION_BASIS_POINTS;
    int64_t remainder = weighted_bp % FUNNEL_DEFINITION_BASIS_POINTS;
    if (remainder < 0) {
        quotient--;
        remainder += FUNNEL_DEFINITION_BASIS_POINTS;
    }
    return remainder >= S_HALF_BASIS_POINTS ? quotient + 1 : quotient;
}

funnel_report_value_t
funnel_report_velocity (uint64_t open, funnel_report_value_t win_rate,
                        funnel_report_value_t average_won_amount,
                        funnel_report_value_t median_cycle_days)
{
    if (!win_rate.set || !average_won_amount.set || !median_cycle_days.set ||
        median_cycle_days.value == 0)
        return (funnel_report_value_t){ .set = false, .value = 0 };
    return s_value ((double) open * win_rate.value * average_won_amount.value /
                    median_cycle_days.value);
}

void
funnel_report_pipeline (const funnel_definition_t *definition, const funnel_report_open_t *open,
                        const funnel_report_t *report, funnel_report_pipeline_t *pipeline)
{
    assert (definition && open && report && pipeline);
    memset (pipeline, 0, sizeof *pipeline);
    int64_t weighted_bp = 0;
    for (size_t step = 1; step <= funnel_definition_step_count (definition); step++) {
        const funnel_definition_step_t *defined = funnel_definition_step (definition, step - 1);
        if (defined->outcome != FUNNEL_DEFINITION_OUTCOME_NONE)
            continue;
        funnel_report_pipeline_step_t *line = &pipeline->steps[pipeline->step_count++];
        line->step = step;
        line->probability =
            (double) defined->probability_bp / (double) FUNNEL_DEFINITION_BASIS_POINTS;
        line->open = open->count[step - 1];
        line->value = open->value[step - 1];
        line->weighted_value = funnel_report_weighted (open->weighted_bp[step - 1]);
        line->other_currency = open->other_currency[step - 1];
        pipeline->open += line->open;
        pipeline->value += line->value;
        weighted_bp += open->weighted_bp[step - 1];
    }
    pipeline->weighted_value = funnel_report_weighted (weighted_bp);
    pipeline->win_rate = report->win_rate;
    pipeline->average_won_amount = report->won_amount_mean;
    pipeline->median_sales_cycle_days = report->cycle_median_days;
    pipeline->velocity_per_day =
        funnel_report_velocity (pipeline->open, pipeline->win_rate, pipeline->average_won_amount,
                                pipeline->median_sales_cycle_days);
}

/* Takes the found value while the range is one value: the lower
   middle, then the upper one, or the end. */
static void
s_search_settle (funnel_report_search_t *search)
{
    while (search->phase < 2 && search->low >= search->high) {
        int64_t found = search->low;
        if (search->phase == 0 && search->count % 2 == 1) {
            search->median = s_value ((double) found);
            search->phase = 2;
        }
        else if (search->phase == 0) {
            search->lower = found;
            search->k = search->count / 2 + 1;
            search->high = search->greatest; /* low stays: the upper middle is >= found */
            search->phase = 1;
        }
        else {
            search->median = s_value ((double) search->lower +
                                      ((double) found - (double) search->lower) / 2);
            search->phase = 2;
        }
    }
}

void
funnel_report_search_start (funnel_report_search_t *search, int64_t low, int64_t high,
                            uint64_t count)
{
    assert (search && (count == 0 || low <= high));
    memset (search, 0, sizeof *search);
    search->count = count;
    if (count == 0) {
        search->phase = 2;
        return;
    }
    search->k = (count + 1) / 2;
    search->low = low;
    search->high = high;
    search->greatest = high;
    s_search_settle (search);
}

bool
funnel_report_search_done (const funnel_report_search_t *search)
{
    assert (search);
    return search->phase == 2;
}

int64_t
funnel_report_search_probe (const funnel_report_search_t *search)
{
    assert (search && search->phase < 2 && search->low < search->high);
    /* Unsigned width, so that low..high may span the whole int64 range. */
    uint64_t width = (uint64_t) search->high - (uint64_t) search->low;
    return (int64_t) ((uint64_t) search->low + width / 2);
}

void
funnel_report_search_feed (funnel_report_search_t *search, uint64_t count_at_most)
{
    int64_t middle = funnel_report_search_probe (search);
    if (count_at_most >= search->k)
        search->high = middle;
    else
        search->low = middle + 1;
    s_search_settle (search);
}

/* ---------------------------------------------------------------- periods */

static bool
s_digits (const char *text, size_t count)
{
    for (size_t index = 0; index < count; index++)
        if (!isdigit ((unsigned char) text[index]))
            return false;
    return true;
}

/* True when text is shaped like "YYYY-MM" (not checked further). */
static bool
s_month_shaped (const char *text)
{
    if (strnlen (text, S_SHAPE_MONTH + 1) != S_SHAPE_MONTH || !s_digits (text, S_YEAR_DIGITS) ||
        text[S_YEAR_DIGITS] != '-' || !s_digits (text + S_YEAR_DIGITS + 1, 2))
        return false;
    int month = (text[S_YEAR_DIGITS + 1] - '0') * 10 + (text[S_YEAR_DIGITS + 2] - '0');
    return month >= 1 && month <= S_MONTHS_PER_YEAR;
}

/* Reads the label into its kind and first month (1-based) and year. */
static int
s_period_parse (const char *period, sp_period_kind_t *kind, int *year, int *month, char *error,
                size_t error_size)
{
    char quoted[S_QUOTE_SIZE];
    size_t length = strnlen (period, S_SHAPE_MONTH + 1);
    bool shaped =
        s_digits (period, length < S_YEAR_DIGITS ? length : S_YEAR_DIGITS) &&
        (length == S_SHAPE_YEAR || (length == S_SHAPE_MONTH && period[S_YEAR_DIGITS] == '-' &&
                                    (isdigit ((unsigned char) period[S_YEAR_DIGITS + 1]) ||
                                     period[S_YEAR_DIGITS + 1] == 'Q')));
    if (!shaped) {
        sp_error_quote (period, quoted, sizeof quoted);
        sp_error_set (error, error_size,
                      "invalid period \"%s\": expected YYYY-MM, YYYY-Qn, YYYY or all", quoted);
        return -1;
    }
    sp_tz_t *utc = sp_tz_new ("UTC", NULL, 0);
    if (!utc) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    sp_period_t parsed;
    int rc = sp_period_parse (utc, period, &parsed, error, error_size);
    sp_tz_destroy (&utc);
    if (rc != 0)
        return -1;
    assert (parsed.kind == SP_PERIOD_YEAR || parsed.kind == SP_PERIOD_QUARTER ||
            parsed.kind == SP_PERIOD_MONTH);
    *kind = parsed.kind;
    *year = (int) strtol (period, NULL, 10);
    *month = 1;
    if (parsed.kind == SP_PERIOD_QUARTER)
        *month = (period[S_YEAR_DIGITS + 2] - '0' - 1) * S_MONTHS_PER_QUARTER + 1;
    else if (parsed.kind == SP_PERIOD_MONTH)
        *month = (int) strtol (period + S_YEAR_DIGITS + 1, NULL, 10);
    return 0;
}

int
funnel_report_period_check (const char *period, char *error, size_t error_size)
{
    assert (period);
    if (strcmp (period, s_period_all) == 0)
        return 0;
    sp_period_kind_t kind;
    int year, month;
    return s_period_parse (period, &kind, &year, &month, error, error_size);
}

static int
s_compare_months (const void *left, const void *right)
{
    return strcmp ((const char *) left, (const char *) right);
}

void
funnel_report_months_clear (funnel_report_months_t *months)
{
    assert (months);
    free (months->month);
    months->month = NULL;
    months->count = 0;
}

int
funnel_report_period_months (const char *period, const char *const *known, size_t known_count,
                             funnel_report_months_t *months, char *error, size_t error_size)
{
    assert (period && months && (known || known_count == 0));
    funnel_report_months_clear (months);
    bool all = strcmp (period, s_period_all) == 0;
    sp_period_kind_t kind = SP_PERIOD_MONTH;
    int year = 0, month = 0;
    if (!all && s_period_parse (period, &kind, &year, &month, error, error_size) != 0)
        return -1;
    size_t capacity = all                         ? known_count
                      : kind == SP_PERIOD_YEAR    ? S_MONTHS_PER_YEAR
                      : kind == SP_PERIOD_QUARTER ? S_MONTHS_PER_QUARTER
                                                  : 1;
    months->month = calloc (capacity ? capacity : 1, sizeof *months->month);
    if (!months->month) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    if (!all) {
        for (size_t index = 0; index < capacity; index++)
            snprintf (months->month[index], sizeof months->month[index], "%04d-%02d", year,
                      month + (int) index);
        months->count = capacity;
        return 0;
    }
    for (size_t index = 0; index < known_count; index++)
        if (s_month_shaped (known[index]))
            memcpy (months->month[months->count++], known[index], FUNNEL_KEYS_MONTH_SIZE);
    qsort (months->month, months->count, sizeof *months->month, s_compare_months);
    size_t unique = 0;
    for (size_t index = 0; index < months->count; index++)
        if (unique == 0 || strcmp (months->month[unique - 1], months->month[index]) != 0)
            memmove (months->month[unique++], months->month[index], FUNNEL_KEYS_MONTH_SIZE);
    months->count = unique;
    return 0;
}
