/*  test_funnel_report - the figures of `salesctl funnel` and `salesctl
    pipeline` (funnel_report) and how they are shown (funnel_render).

    Step roles and every ratio with its null cases, the outcome figures,
    the exact k-th smallest / median search over several "sorted sets"
    (plain arrays here, counted by the callback as ZCOUNT -inf v would),
    period labels with each error message, weighted rounding, velocity,
    and the exact JSON and text of small reports.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "funnel_definition.h"
#include "funnel_render.h"
#include "funnel_report.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define ERROR_FILL 'x'
#define DAY FUNNEL_REPORT_MS_PER_DAY

/* The CRM funnel of the demo: two open steps, won, lost. */
static const char s_crm_json[] =
    "{\"name\": \"crm\", \"window_days\": 365, \"steps\": ["
    "{\"name\": \"lead\", \"event\": \"lead_created\", \"probability\": 0.1},"
    "{\"name\": \"engaging\", \"event\": \"stage_changed\", \"stage\": \"Engaging\","
    " \"probability\": 0.5},"
    "{\"name\": \"won\", \"event\": \"deal_won\", \"outcome\": \"won\", \"probability\": 1},"
    "{\"name\": \"lost\", \"event\": \"deal_lost\", \"outcome\": \"lost\", \"probability\": 0}]}";

/* Lost before won, and a pipeline without a won step. */
static const char s_lost_first_json[] =
    "{\"name\": \"lost-first\", \"steps\": ["
    "{\"name\": \"lead\", \"event\": \"lead_created\", \"probability\": 0.1},"
    "{\"name\": \"demo\", \"event\": \"demo\", \"probability\": 0.3},"
    "{\"name\": \"lost\", \"event\": \"deal_lost\", \"outcome\": \"lost\", \"probability\": 0},"
    "{\"name\": \"won\", \"event\": \"deal_won\", \"outcome\": \"won\", \"probability\": 1}]}";
static const char s_no_won_json[] =
    "{\"name\": \"no-won\", \"steps\": ["
    "{\"name\": \"lead\", \"event\": \"lead_created\", \"probability\": 0.1},"
    "{\"name\": \"demo\", \"event\": \"demo\", \"probability\": 0.3},"
    "{\"name\": \"lost\", \"event\": \"deal_lost\", \"outcome\": \"lost\", \"probability\": 0}]}";
static const char s_sequence_json[] = "{\"name\": \"path\", \"mode\": \"sequence\", \"steps\": ["
                                      "{\"name\": \"lead\", \"event\": \"lead_created\"},"
                                      "{\"name\": \"demo\", \"event\": \"demo\"},"
                                      "{\"name\": \"won\", \"event\": \"deal_won\"}]}";

static funnel_definition_t *
s_read (const char *text)
{
    char error[FUNNEL_DEFINITION_ERROR_SIZE] = "";
    funnel_definition_t *definition =
        funnel_definition_new (text, strlen (text), error, sizeof error);
    if (!definition)
        print_error ("unexpected error: %s\n", error);
    assert_non_null (definition);
    return definition;
}

static void
s_assert_value (funnel_report_value_t value, double expected)
{
    assert_true (value.set);
    if (value.value != expected)
        print_error ("expected %.17g, got %.17g\n", expected, value.value);
    assert_true (value.value == expected);
}

static void
s_assert_null (funnel_report_value_t value)
{
    assert_false (value.set);
}

static funnel_report_value_t
s_set (double value)
{
    return (funnel_report_value_t){ .set = true, .value = value };
}

static const funnel_report_value_t s_unset = { false, 0 };

/* ---------------------------------------------------------------- roles */

static void
test_roles (void **state)
{
    (void) state;
    funnel_definition_t *crm = s_read (s_crm_json);
    size_t previous[] = { 0, 1, 2, 2 };
    size_t next[] = { 2, 3, 0, 0 };
    for (size_t step = 1; step <= COUNT (previous); step++) {
        assert_int_equal (funnel_report_previous (crm, step), previous[step - 1]);
        assert_int_equal (funnel_report_next (crm, step), next[step - 1]);
    }
    funnel_definition_destroy (&crm);

    /* The next of the last open step is the first won step, after a lost one. */
    funnel_definition_t *lost_first = s_read (s_lost_first_json);
    assert_int_equal (funnel_report_next (lost_first, 2), 4);
    assert_int_equal (funnel_report_previous (lost_first, 3), 2);
    assert_int_equal (funnel_report_previous (lost_first, 4), 2);
    assert_int_equal (funnel_report_next (lost_first, 3), 0);
    funnel_definition_destroy (&lost_first);

    funnel_definition_t *no_won = s_read (s_no_won_json);
    assert_int_equal (funnel_report_next (no_won, 1), 2);
    assert_int_equal (funnel_report_next (no_won, 2), 0);
    assert_int_equal (funnel_report_previous (no_won, 3), 2);
    funnel_definition_destroy (&no_won);

    funnel_definition_t *sequence = s_read (s_sequence_json);
    assert_int_equal (funnel_report_previous (sequence, 1), 0);
    assert_int_equal (funnel_report_previous (sequence, 3), 2);
    assert_int_equal (funnel_report_next (sequence, 2), 3);
    assert_int_equal (funnel_report_next (sequence, 3), 0);
    funnel_definition_destroy (&sequence);
}

/* ---------------------------------------------------------------- compute */

static funnel_report_totals_t
s_crm_totals (void)
{
    funnel_report_totals_t totals;
    memset (&totals, 0, sizeof totals);
    uint64_t reached[] = { 100, 80, 20, 50 };
    memcpy (totals.reached, reached, sizeof reached);
    memcpy (totals.duration_count, reached, sizeof reached); /* all reached both */
    totals.duration_count[0] = 0;
    totals.duration_sum[1] = 80 * 2 * DAY + 40; /* mean 2 days + 0.5 ms */
    totals.duration_median[1] = s_set ((double) (DAY + DAY / 2));
    totals.duration_sum[2] = 20 * 10 * DAY;
    totals.duration_median[2] = s_set ((double) (8 * DAY));
    totals.duration_sum[3] = 50 * DAY;
    totals.duration_median[3] = s_set ((double) DAY);
    totals.won = 20;
    totals.lost = 60;
    totals.won_amount_sum = 200001;
    totals.won_amount_count = 19;
    totals.won_amount_median = s_set (10000.5);
    totals.won_other_currency = 1;
    totals.cycle_sum = 20 * 12 * DAY;
    totals.cycle_count = 20; /* every won deal reached step 1 */
    totals.cycle_median = s_set ((double) (11 * DAY));
    return totals;
}

static void
test_compute_pipeline (void **state)
{
    (void) state;
    funnel_definition_t *crm = s_read (s_crm_json);
    funnel_report_totals_t totals = s_crm_totals ();
    funnel_report_t report;
    funnel_report_compute (crm, &totals, &report);
    assert_int_equal (report.mode, FUNNEL_STEPS_MODE_PIPELINE);
    assert_int_equal (report.step_count, 4);

    const funnel_report_step_t *lead = &report.steps[0];
    assert_int_equal (lead->reached, 100);
    s_assert_null (lead->step_conversion);
    s_assert_value (lead->overall_conversion, 1.0);
    assert_true (lead->has_drop_off);
    assert_int_equal (lead->drop_off, 20);
    s_assert_value (lead->drop_off_rate, 0.2);
    assert_int_equal (lead->time_count, 0);
    s_assert_null (lead->time_mean_ms);

    const funnel_report_step_t *engaging = &report.steps[1];
    s_assert_value (engaging->step_conversion, 0.8);
    s_assert_value (engaging->overall_conversion, 0.8);
    assert_int_equal (engaging->drop_off, 60); /* next is won */
    s_assert_value (engaging->drop_off_rate, 0.75);
    assert_int_equal (engaging->time_count, 80);
    s_assert_value (engaging->time_mean_ms, (double) (2 * DAY) + 0.5);
    s_assert_value (engaging->time_median_ms, (double) (DAY + DAY / 2));

    /* Terminal steps: conversion from the last open step, no drop-off. */
    const funnel_report_step_t *won = &report.steps[2];
    s_assert_value (won->step_conversion, 0.25);
    s_assert_value (won->overall_conversion, 0.2);
    assert_false (won->has_drop_off);
    s_assert_null (won->drop_off_rate);
    s_assert_value (won->time_mean_ms, (double) (10 * DAY));
    const funnel_report_step_t *lost = &report.steps[3];
    s_assert_value (lost->step_conversion, 0.625);
    s_assert_value (lost->overall_conversion, 0.5);
    assert_false (lost->has_drop_off);

    assert_int_equal (report.won, 20);
    assert_int_equal (report.lost, 60);
    s_assert_value (report.win_rate, 0.25);
    assert_int_equal (report.won_amount_count, 19);
    assert_int_equal (report.won_amount_sum, 200001);
    s_assert_value (report.won_amount_mean, 200001.0 / 19.0);
    s_assert_value (report.won_amount_median, 10000.5);
    assert_int_equal (report.won_other_currency, 1);
    assert_int_equal (report.cycle_count, 20);
    s_assert_value (report.cycle_mean_ms, (double) (12 * DAY));
    s_assert_value (report.cycle_median_ms, (double) (11 * DAY));
    s_assert_value (report.cycle_median_days, 11.0);
    funnel_definition_destroy (&crm);
}

/* Nothing counted: every ratio is null, drop-offs 0. */
static void
test_compute_empty (void **state)
{
    (void) state;
    funnel_definition_t *crm = s_read (s_crm_json);
    funnel_report_totals_t totals;
    memset (&totals, 0, sizeof totals);
    funnel_report_t report;
    funnel_report_compute (crm, &totals, &report);
    for (size_t step = 0; step < report.step_count; step++) {
        s_assert_null (report.steps[step].step_conversion);
        s_assert_null (report.steps[step].overall_conversion);
        s_assert_null (report.steps[step].drop_off_rate);
        s_assert_null (report.steps[step].time_mean_ms);
        s_assert_null (report.steps[step].time_median_ms);
    }
    assert_true (report.steps[0].has_drop_off);
    assert_int_equal (report.steps[0].drop_off, 0);
    s_assert_null (report.win_rate);
    s_assert_null (report.won_amount_mean);
    s_assert_null (report.cycle_mean_ms);
    s_assert_null (report.cycle_median_days);

    /* Step 1 reached but no step 2: conversion 0, not null; a zero
       previous step makes the next conversion null. */
    totals.reached[0] = 4;
    totals.reached[2] = 1;
    funnel_report_compute (crm, &totals, &report);
    s_assert_value (report.steps[1].step_conversion, 0.0);
    s_assert_value (report.steps[1].overall_conversion, 0.0);
    s_assert_null (report.steps[2].step_conversion);
    s_assert_value (report.steps[2].overall_conversion, 0.25);
    /* Step 2 (0 reached) to won (1): a negative drop-off is shown as such,
       its rate null. */
    assert_int_equal (report.steps[1].drop_off, -1);
    s_assert_null (report.steps[1].drop_off_rate);
    funnel_definition_destroy (&crm);
}

static void
test_compute_sequence (void **state)
{
    (void) state;
    funnel_definition_t *sequence = s_read (s_sequence_json);
    funnel_report_totals_t totals;
    memset (&totals, 0, sizeof totals);
    uint64_t reached[] = { 10, 5, 4 };
    memcpy (totals.reached, reached, sizeof reached);
    funnel_report_t report;
    funnel_report_compute (sequence, &totals, &report);
    assert_int_equal (report.mode, FUNNEL_STEPS_MODE_SEQUENCE);
    s_assert_value (report.steps[1].step_conversion, 0.5);
    s_assert_value (report.steps[2].step_conversion, 0.8);
    s_assert_value (report.steps[2].overall_conversion, 0.4);
    assert_int_equal (report.steps[1].drop_off, 1);
    s_assert_value (report.steps[1].drop_off_rate, 0.2);
    assert_false (report.steps[2].has_drop_off);
    funnel_definition_destroy (&sequence);
}

/* ---------------------------------------------------------------- medians */

/* Several "sorted sets" of scores, counted as ZCOUNT -inf v would. */
typedef struct {
    const int64_t *const *sets; /* [set_count] arrays */
    const size_t *sizes;        /* [set_count] */
    size_t set_count;
    size_t calls; /* probes made */
} s_sets_t;

/* The values <= value over the sets, as Σ ZCOUNT -inf value. */
static uint64_t
s_count (s_sets_t *sets, int64_t value)
{
    sets->calls++;
    uint64_t count = 0;
    for (size_t set = 0; set < sets->set_count; set++)
        for (size_t index = 0; index < sets->sizes[set]; index++)
            if (sets->sets[set][index] <= value)
                count++;
    return count;
}

/* The median of the sets, searched between their least and greatest
   value as funnel_median does. */
static funnel_report_value_t
s_median (s_sets_t *sets)
{
    uint64_t count = 0;
    int64_t low = INT64_MAX, high = INT64_MIN;
    for (size_t set = 0; set < sets->set_count; set++)
        for (size_t index = 0; index < sets->sizes[set]; index++) {
            int64_t value = sets->sets[set][index];
            low = value < low ? value : low;
            high = value > high ? value : high;
            count++;
        }
    if (count == 0)
        low = high = 0;
    funnel_report_search_t search;
    funnel_report_search_start (&search, low, high, count);
    while (!funnel_report_search_done (&search))
        funnel_report_search_feed (&search, s_count (sets, funnel_report_search_probe (&search)));
    return search.median;
}

/* Three searches advanced in lockstep, one probe each per round, as
   funnel_median runs them, give the medians found one by one, and never
   take more rounds than the longest of them alone. */
static void
test_search_lockstep (void **state)
{
    (void) state;
    const int64_t odd[] = { 1, 2, 3, 5, 8 };
    const int64_t even[] = { -7, 0, 0, 4, 4, 10 };
    const int64_t one[] = { 42 };
    const int64_t *const values[] = { odd, even, one, NULL };
    const size_t sizes[] = { 5, 6, 1, 0 };
    const double expected[] = { 3.0, 2.0, 42.0, 0.0 };
    funnel_report_search_t searches[4];
    for (size_t group = 0; group < 4; group++) {
        int64_t low = sizes[group] ? values[group][0] : 0;
        int64_t high = sizes[group] ? values[group][sizes[group] - 1] : 0;
        funnel_report_search_start (&searches[group], low, high, sizes[group]);
    }
    /* a single value and no value need no probe */
    assert_true (funnel_report_search_done (&searches[2]));
    assert_true (funnel_report_search_done (&searches[3]));
    assert_false (searches[3].median.set);
    int rounds = 0;
    bool searching = true;
    while (searching) {
        searching = false;
        for (size_t group = 0; group < 4; group++) {
            if (funnel_report_search_done (&searches[group]))
                continue;
            int64_t probe = funnel_report_search_probe (&searches[group]);
            uint64_t count = 0;
            for (size_t index = 0; index < sizes[group]; index++)
                count += values[group][index] <= probe;
            funnel_report_search_feed (&searches[group], count);
            searching |= !funnel_report_search_done (&searches[group]);
        }
        rounds++;
        assert_true (rounds <= 2 * 64);
    }
    for (size_t group = 0; group < 3; group++)
        s_assert_value (searches[group].median, expected[group]);
    /* the whole int64 range as bounds */
    funnel_report_search_t wide;
    funnel_report_search_start (&wide, INT64_MIN, INT64_MAX, 2);
    while (!funnel_report_search_done (&wide)) {
        int64_t probe = funnel_report_search_probe (&wide);
        funnel_report_search_feed (&wide, (uint64_t) (probe >= INT64_MIN) + (probe >= INT64_MAX));
    }
    s_assert_value (wide.median, (double) INT64_MIN / 2 + (double) INT64_MAX / 2);
}

static void
test_median (void **state)
{
    (void) state;
    /* Odd: 1 2 3 5 8 across three sets, duplicates none. */
    const int64_t a[] = { 1, 8 }, b[] = { 3 }, c[] = { 2, 5 };
    const int64_t *const odd_sets[] = { a, b, c };
    const size_t odd_sizes[] = { 2, 1, 2 };
    s_sets_t odd = { odd_sets, odd_sizes, 3, 0 };
    s_assert_value (s_median (&odd), 3.0);

    /* Even: -7 0 0 4 | 4 10 -> (0 + 4) / 2; duplicates and negatives. */
    const int64_t d[] = { -7, 0, 4 }, e[] = { 0, 4, 10 };
    const int64_t *const even_sets[] = { d, e };
    const size_t even_sizes[] = { 3, 3 };
    s_sets_t even = { even_sets, even_sizes, 2, 0 };
    s_assert_value (s_median (&even), 2.0);

    /* Even with a half: 1 2 -> 1.5. */
    const int64_t f[] = { 1 }, g[] = { 2 };
    const int64_t *const half_sets[] = { f, g };
    const size_t half_sizes[] = { 1, 1 };
    s_sets_t half = { half_sets, half_sizes, 2, 0 };
    s_assert_value (s_median (&half), 1.5);

    /* One value; all equal; empty sets among full ones; nothing at all. */
    const int64_t one[] = { -42 };
    const int64_t *const one_sets[] = { one, NULL };
    const size_t one_sizes[] = { 1, 0 };
    s_sets_t single = { one_sets, one_sizes, 2, 0 };
    s_assert_value (s_median (&single), -42.0);
    const int64_t same[] = { 5, 5, 5, 5 };
    const int64_t *const same_sets[] = { same };
    const size_t same_sizes[] = { 4 };
    s_sets_t equal = { same_sets, same_sizes, 1, 0 };
    s_assert_value (s_median (&equal), 5.0);
    const size_t empty_sizes[] = { 0, 0 };
    s_sets_t empty = { one_sets, empty_sizes, 2, 0 };
    funnel_report_value_t median = s_median (&empty);
    s_assert_null (median);
    assert_int_equal (empty.calls, 0);

    /* Values of a year in ms, as cycle times are: 0 and large. */
    const int64_t h[] = { 0, 31536000000, 86400000 };
    const int64_t i[] = { 86400000, 172800000 };
    const int64_t *const ms_sets[] = { h, i };
    const size_t ms_sizes[] = { 3, 2 };
    s_sets_t ms = { ms_sets, ms_sizes, 2, 0 };
    s_assert_value (s_median (&ms), 86400000.0);
    assert_true (ms.calls <= 2 * 64);
}

/* ---------------------------------------------------------------- periods */

static void
s_assert_months (const char *period, const char *const *known, size_t known_count,
                 const char *const *expected, size_t expected_count)
{
    funnel_report_months_t months = { 0, NULL };
    char error[FUNNEL_REPORT_ERROR_SIZE] = "";
    assert_int_equal (
        funnel_report_period_months (period, known, known_count, &months, error, sizeof error), 0);
    assert_int_equal (months.count, expected_count);
    for (size_t index = 0; index < expected_count; index++)
        assert_string_equal (months.month[index], expected[index]);
    funnel_report_months_clear (&months);
    assert_null (months.month);
    assert_int_equal (months.count, 0);
}

static void
test_period_months (void **state)
{
    (void) state;
    s_assert_months ("2017-05", NULL, 0, (const char *const[]){ "2017-05" }, 1);
    s_assert_months ("2017-Q1", NULL, 0, (const char *const[]){ "2017-01", "2017-02", "2017-03" },
                     3);
    s_assert_months ("2017-Q4", NULL, 0, (const char *const[]){ "2017-10", "2017-11", "2017-12" },
                     3);
    const char *const year[] = { "2016-01", "2016-02", "2016-03", "2016-04", "2016-05", "2016-06",
                                 "2016-07", "2016-08", "2016-09", "2016-10", "2016-11", "2016-12" };
    s_assert_months ("2016", NULL, 0, year, 12);
    /* all: the known months sorted, duplicates (several partitions) once,
       anything that is not a month left out. */
    const char *const known[] = { "2017-06", "2016-12", "2017-06", "junk", "2017-13", "2017-01" };
    s_assert_months ("all", known, COUNT (known),
                     (const char *const[]){ "2016-12", "2017-01", "2017-06" }, 3);
    s_assert_months ("all", NULL, 0, NULL, 0);
    assert_int_equal (funnel_report_period_check ("all", NULL, 0), 0);
    assert_int_equal (funnel_report_period_check ("2017-Q2", NULL, 0), 0);
}

static void
test_period_errors (void **state)
{
    (void) state;
    struct {
        const char *label;
        const char *message;
    } cases[] = {
        { "2017-Q5", "invalid period \"2017-Q5\": quarter must be 1..4" },
        { "2017-Q0", "invalid period \"2017-Q0\": quarter must be 1..4" },
        { "2017-13", "invalid period \"2017-13\": month must be 1..12" },
        { "2017-00", "invalid period \"2017-00\": month must be 1..12" },
        { "0000", "invalid period \"0000\": year must be 1..9999" },
        { "2017-W05", "invalid period \"2017-W05\": expected YYYY-MM, YYYY-Qn, YYYY or all" },
        { "2017-05-03", "invalid period \"2017-05-03\": expected YYYY-MM, YYYY-Qn, YYYY or all" },
        { "17", "invalid period \"17\": expected YYYY-MM, YYYY-Qn, YYYY or all" },
        { "", "invalid period \"\": expected YYYY-MM, YYYY-Qn, YYYY or all" },
        { "All", "invalid period \"All\": expected YYYY-MM, YYYY-Qn, YYYY or all" },
        { "2017-5", "invalid period \"2017-5\": expected YYYY-MM, YYYY-Qn, YYYY or all" },
    };
    for (size_t index = 0; index < COUNT (cases); index++) {
        char error[FUNNEL_REPORT_ERROR_SIZE];
        memset (error, ERROR_FILL, sizeof error);
        assert_int_equal (funnel_report_period_check (cases[index].label, error, sizeof error), -1);
        assert_string_equal (error, cases[index].message);
        /* Expansion refuses it alike and leaves no months. */
        funnel_report_months_t months = { 0, NULL };
        assert_int_equal (
            funnel_report_period_months (cases[index].label, NULL, 0, &months, error, sizeof error),
            -1);
        assert_string_equal (error, cases[index].message);
        assert_int_equal (months.count, 0);
        assert_null (months.month);
    }
}

/* ---------------------------------------------------------------- pipeline */

static void
test_weighted (void **state)
{
    (void) state;
    struct {
        int64_t basis_points;
        int64_t expected;
    } cases[] = {
        { 0, 0 },
        { 1, 0 },
        { 4999, 0 },
        { 5000, 1 },
        { 9999, 1 },
        { 10000, 1 },
        { 14999, 1 },
        { 15000, 2 },
        { -1, 0 },
        { -4999, 0 },
        { -5000, 0 },
        { -5001, -1 },
        { -15000, -1 },
        { -15001, -2 },
        { INT64_MAX, 922337203685478 },
        { INT64_MIN, -922337203685478 },
    };
    for (size_t index = 0; index < COUNT (cases); index++) {
        if (funnel_report_weighted (cases[index].basis_points) != cases[index].expected)
            print_error ("case %zu: %lld\n", index, (long long) cases[index].basis_points);
        assert_true (funnel_report_weighted (cases[index].basis_points) == cases[index].expected);
    }
}

static void
test_velocity (void **state)
{
    (void) state;
    s_assert_value (funnel_report_velocity (10, s_set (0.5), s_set (1000), s_set (20)), 250.0);
    s_assert_value (funnel_report_velocity (0, s_set (0.5), s_set (1000), s_set (20)), 0.0);
    s_assert_null (funnel_report_velocity (10, s_unset, s_set (1000), s_set (20)));
    s_assert_null (funnel_report_velocity (10, s_set (0.5), s_unset, s_set (20)));
    s_assert_null (funnel_report_velocity (10, s_set (0.5), s_set (1000), s_unset));
    s_assert_null (funnel_report_velocity (10, s_set (0.5), s_set (1000), s_set (0)));
}

static funnel_report_open_t
s_crm_open (void)
{
    funnel_report_open_t open;
    memset (&open, 0, sizeof open);
    open.count[0] = 3;
    open.value[0] = 30005;              /* 300.05 */
    open.weighted_bp[0] = 30005 * 1000; /* 0.1: 30.005 -> 30.01 */
    open.count[1] = 2;
    open.value[1] = 10001;
    open.weighted_bp[1] = 10001 * 5000; /* 0.5: 50.005 -> 50.01 */
    open.other_currency[1] = 1;
    return open;
}

static void
test_pipeline (void **state)
{
    (void) state;
    funnel_definition_t *crm = s_read (s_crm_json);
    funnel_report_totals_t totals = s_crm_totals ();
    funnel_report_t report;
    funnel_report_compute (crm, &totals, &report);
    funnel_report_open_t open = s_crm_open ();
    funnel_report_pipeline_t pipeline;
    funnel_report_pipeline (crm, &open, &report, &pipeline);
    assert_int_equal (pipeline.step_count, 2); /* won and lost are not open steps */
    assert_int_equal (pipeline.steps[0].step, 1);
    s_assert_value (s_set (pipeline.steps[0].probability), 0.1);
    assert_int_equal (pipeline.steps[0].open, 3);
    assert_int_equal (pipeline.steps[0].value, 30005);
    assert_int_equal (pipeline.steps[0].weighted_value, 3001);
    assert_int_equal (pipeline.steps[1].weighted_value, 5001);
    assert_int_equal (pipeline.steps[1].other_currency, 1);
    assert_int_equal (pipeline.open, 5);
    assert_int_equal (pipeline.value, 40006);
    /* The total rounds the sum of basis points, not the rounded steps. */
    assert_int_equal (pipeline.weighted_value, 8001);
    s_assert_value (pipeline.win_rate, 0.25);
    s_assert_value (pipeline.average_won_amount, 200001.0 / 19.0);
    s_assert_value (pipeline.median_sales_cycle_days, 11.0);
    s_assert_value (pipeline.velocity_per_day, 5.0 * 0.25 * (200001.0 / 19.0) / 11.0);
    funnel_definition_destroy (&crm);
}

/* ---------------------------------------------------------------- render */

static char *
s_json (json_t *document)
{
    assert_non_null (document);
    char *text = funnel_render_json_text (document);
    json_decref (document);
    assert_non_null (text);
    return text;
}

static void
test_render_json (void **state)
{
    (void) state;
    funnel_definition_t *crm = s_read (s_crm_json);
    funnel_report_totals_t totals = s_crm_totals ();
    funnel_report_t report;
    funnel_report_compute (crm, &totals, &report);
    char months_text[][FUNNEL_KEYS_MONTH_SIZE] = { "2017-04", "2017-05", "2017-06" };
    funnel_report_months_t months = { 3, months_text };
    funnel_render_context_t context = {
        crm, 1, "region:Central", "2017-Q2", &months, "USD", "UTC"
    };
    char *text = s_json (funnel_render_report_json (&context, &report));
    assert_string_equal (
        text,
        "{\"funnel\":\"crm\",\"version\":1,\"mode\":\"pipeline\",\"scope\":\"region:Central\","
        "\"period\":\"2017-Q2\",\"months\":[\"2017-04\",\"2017-05\",\"2017-06\"],"
        "\"currency\":\"USD\",\"time_zone\":\"UTC\",\"steps\":["
        "{\"step\":1,\"name\":\"lead\",\"event\":\"lead_created\",\"outcome\":\"\","
        "\"reached\":100,\"step_conversion\":null,\"overall_conversion\":1.0,\"drop_off\":20,"
        "\"drop_off_rate\":0.2,\"time_from_previous\":null},"
        "{\"step\":2,\"name\":\"engaging\",\"event\":\"stage_changed\",\"outcome\":\"\","
        "\"reached\":80,\"step_conversion\":0.8,\"overall_conversion\":0.8,\"drop_off\":60,"
        "\"drop_off_rate\":0.75,\"time_from_previous\":{\"count\":80,\"mean_ms\":172800000.5,"
        "\"median_ms\":129600000.0}},"
        "{\"step\":3,\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"won\",\"reached\":20,"
        "\"step_conversion\":0.25,\"overall_conversion\":0.2,\"drop_off\":null,"
        "\"drop_off_rate\":null,\"time_from_previous\":{\"count\":20,\"mean_ms\":864000000.0,"
        "\"median_ms\":691200000.0}},"
        "{\"step\":4,\"name\":\"lost\",\"event\":\"deal_lost\",\"outcome\":\"lost\","
        "\"reached\":50,\"step_conversion\":0.625,\"overall_conversion\":0.5,\"drop_off\":null,"
        "\"drop_off_rate\":null,\"time_from_previous\":{\"count\":50,\"mean_ms\":86400000.0,"
        "\"median_ms\":86400000.0}}],"
        "\"outcome\":{\"won\":20,\"lost\":60,\"win_rate\":0.25,\"won_amount\":{\"count\":19,"
        "\"sum\":200001,\"mean\":10526.368421052632,\"median\":10000.5},"
        "\"won_other_currency\":1,\"sales_cycle\":{\"count\":20,\"mean_ms\":1036800000.0,"
        "\"median_ms\":950400000.0,\"median_days\":11.0}}}");
    free (text);

    /* Nothing counted: nulls; a sequence funnel has no outcome. */
    funnel_report_totals_t empty;
    memset (&empty, 0, sizeof empty);
    funnel_definition_t *sequence = s_read (s_sequence_json);
    funnel_report_compute (sequence, &empty, &report);
    funnel_report_months_t none = { 0, NULL };
    funnel_render_context_t sequence_context = { sequence, 0,     "company",     "all",
                                                 &none,    "EUR", "Europe/Paris" };
    text = s_json (funnel_render_report_json (&sequence_context, &report));
    assert_string_equal (
        text,
        "{\"funnel\":\"path\",\"version\":0,\"mode\":\"sequence\",\"scope\":\"company\","
        "\"period\":\"all\",\"months\":[],\"currency\":\"EUR\",\"time_zone\":\"Europe/Paris\","
        "\"steps\":[{\"step\":1,\"name\":\"lead\",\"event\":\"lead_created\",\"outcome\":\"\","
        "\"reached\":0,\"step_conversion\":null,\"overall_conversion\":null,\"drop_off\":0,"
        "\"drop_off_rate\":null,\"time_from_previous\":null},"
        "{\"step\":2,\"name\":\"demo\",\"event\":\"demo\",\"outcome\":\"\",\"reached\":0,"
        "\"step_conversion\":null,\"overall_conversion\":null,\"drop_off\":0,"
        "\"drop_off_rate\":null,\"time_from_previous\":{\"count\":0,\"mean_ms\":null,"
        "\"median_ms\":null}},"
        "{\"step\":3,\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"\",\"reached\":0,"
        "\"step_conversion\":null,\"overall_conversion\":null,\"drop_off\":null,"
        "\"drop_off_rate\":null,\"time_from_previous\":{\"count\":0,\"mean_ms\":null,"
        "\"median_ms\":null}}]}");
    free (text);

    funnel_report_open_t open = s_crm_open ();
    funnel_report_pipeline_t pipeline;
    funnel_report_compute (crm, &totals, &report);
    funnel_report_pipeline (crm, &open, &report, &pipeline);
    context.period = "all";
    text = s_json (funnel_render_pipeline_json (&context, &pipeline));
    assert_string_equal (
        text, "{\"funnel\":\"crm\",\"version\":1,\"scope\":\"region:Central\",\"period\":\"all\","
              "\"currency\":\"USD\",\"steps\":["
              "{\"step\":1,\"name\":\"lead\",\"probability\":0.1,\"open\":3,\"value\":30005,"
              "\"weighted_value\":3001,\"other_currency\":0},"
              "{\"step\":2,\"name\":\"engaging\",\"probability\":0.5,\"open\":2,\"value\":10001,"
              "\"weighted_value\":5001,\"other_currency\":1}],"
              "\"open\":5,\"value\":40006,\"weighted_value\":8001,\"win_rate\":0.25,"
              "\"average_won_amount\":10526.368421052632,\"median_sales_cycle_days\":11.0,"
              "\"velocity_per_day\":1196.1782296650717}");
    free (text);
    funnel_definition_destroy (&sequence);
    funnel_definition_destroy (&crm);
}

/* Reals: the shortest text that reads back, whole numbers with ".0",
   strings escaped by jansson. */
static void
test_render_json_reals (void **state)
{
    (void) state;
    json_t *document = json_pack ("{s:f, s:f, s:f, s:f, s:f, s:s, s:[i, b, n]}", "third", 1.0 / 3.0,
                                  "big", 1e21, "negative", -2.5, "zero", 0.0, "tiny", 5e-324,
                                  "text", "a \"b\"\n", "array", -3, 1);
    char *text = s_json (document);
    assert_string_equal (text, "{\"third\":0.3333333333333333,\"big\":1e+21,\"negative\":-2.5,"
                               "\"zero\":0.0,\"tiny\":5e-324,\"text\":\"a \\\"b\\\"\\n\","
                               "\"array\":[-3,true,null]}");
    free (text);
}

/* The text a person reads, without colour. */
static void
test_render_text (void **state)
{
    (void) state;
    funnel_definition_t *crm = s_read (s_crm_json);
    funnel_report_totals_t totals = s_crm_totals ();
    funnel_report_t report;
    funnel_report_compute (crm, &totals, &report);
    char months_text[][FUNNEL_KEYS_MONTH_SIZE] = { "2017-04", "2017-05", "2017-06" };
    funnel_report_months_t months = { 3, months_text };
    funnel_render_context_t context = { crm, 1, "company", "2017-Q2", &months, "USD", "UTC" };
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream (&text, &length);
    assert_non_null (stream);
    assert_int_equal (funnel_render_report_text (stream, &context, &report, false), 0);
    assert_int_equal (fclose (stream), 0);
    const char *full = "\xe2\x96\x88";
    char bar_lead[128] = "", bar_engaging[128] = "", bar_won[128] = "", bar_lost[128] = "";
    for (int column = 0; column < FUNNEL_RENDER_BAR_WIDTH; column++) {
        strncat (bar_lead, full, sizeof bar_lead - strlen (bar_lead) - 1);
        if (column < 24)
            strncat (bar_engaging, full, sizeof bar_engaging - strlen (bar_engaging) - 1);
        if (column < 6)
            strncat (bar_won, full, sizeof bar_won - strlen (bar_won) - 1);
        if (column < 15)
            strncat (bar_lost, full, sizeof bar_lost - strlen (bar_lost) - 1);
    }
    char expected[4096];
    snprintf (
        expected, sizeof expected,
        "funnel crm, version 1 (pipeline), scope company, period 2017-Q2 (2017-04 to 2017-06), "
        "time zone UTC\n"
        "\n"
        "step                                         reached  step conv    overall            "
        "drop-off  median from prev\n"
        "lead      %s         100          -     100.0%%          20 (20.0%%)               -\n"
        "engaging  %s%6s          80      80.0%%      80.0%%          60 (75.0%%)           1.5 d\n"
        "won       %s%24s          20      25.0%%      20.0%%                   -           8.0 d\n"
        "lost      %s%15s          50      62.5%%      50.0%%                   -           1.0 d\n"
        "\n"
        "won 20, lost 60, win rate 25.0%%\n"
        "won amount: 19 in USD, total 2000.01, mean 105.26, median 100.01 (1 more won in other "
        "currencies)\n"
        "sales cycle: 20 won, mean 12.0 d, median 11.0 d\n",
        bar_lead, bar_engaging, "", bar_won, "", bar_lost, "");
    assert_string_equal (text, expected);
    free (text);

    funnel_report_open_t open = s_crm_open ();
    funnel_report_pipeline_t pipeline;
    funnel_report_pipeline (crm, &open, &report, &pipeline);
    stream = open_memstream (&text, &length);
    assert_non_null (stream);
    assert_int_equal (funnel_render_pipeline_text (stream, &context, &pipeline, false), 0);
    assert_int_equal (fclose (stream), 0);
    assert_string_equal (
        text,
        "pipeline crm, version 1 (pipeline), scope company, period 2017-Q2 (2017-04 to 2017-06), "
        "time zone UTC\n"
        "\n"
        "step      probability      open             value          weighted  other currency\n"
        "lead            10.0%         3            300.05             30.01               0\n"
        "engaging        50.0%         2            100.01             50.01               1\n"
        "total                         5            400.06             80.01               1\n"
        "\n"
        "open now, values in USD; win rate, amounts and cycle over period 2017-Q2\n"
        "win rate 25.0%, average won amount 105.26, median sales cycle 11.0 d\n"
        "velocity 11.96 per day\n");
    free (text);

    /* With colour: escape codes around the headings and bars. */
    stream = open_memstream (&text, &length);
    assert_non_null (stream);
    assert_int_equal (funnel_render_report_text (stream, &context, &report, true), 0);
    assert_int_equal (fclose (stream), 0);
    assert_non_null (strstr (text, "\033[1mfunnel crm\033[0m"));
    assert_non_null (strstr (text, "\033[32m"));
    assert_non_null (strstr (text, "\033[31m"));
    free (text);
    funnel_definition_destroy (&crm);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_roles),
        cmocka_unit_test (test_compute_pipeline),
        cmocka_unit_test (test_compute_empty),
        cmocka_unit_test (test_compute_sequence),
        cmocka_unit_test (test_median),
        cmocka_unit_test (test_search_lockstep),
        cmocka_unit_test (test_period_months),
        cmocka_unit_test (test_period_errors),
        cmocka_unit_test (test_weighted),
        cmocka_unit_test (test_velocity),
        cmocka_unit_test (test_pipeline),
        cmocka_unit_test (test_render_json),
        cmocka_unit_test (test_render_json_reals),
        cmocka_unit_test (test_render_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
