/*  test_kpi_pace - pro-rated target, projection, required pace, status
    bands and attainment (kpi_pace).

    The acceptance example of the issue (12,000 of 30,000 after 12 of 30
    days: required 1,000 a day, projection 30,000) is checked exactly;
    every band is checked at its edges with and without floor and stretch,
    in both directions; failures leave the output untouched.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kpi_pace.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define FILL 0x5a                           /* pattern of an output before a call that must fail */
#define TRILLION INT64_C (1000000000000000) /* 10^15 minor units */

/* An additive KPI with a target, the rest to set by each test. */
static kpi_pace_input_t
s_additive (int64_t actual, int64_t target, int64_t elapsed, int64_t total)
{
    kpi_pace_input_t in = { .actual = actual,
                            .has_target = true,
                            .target = target,
                            .days_elapsed = elapsed,
                            .days_total = total,
                            .additive = true };
    return in;
}

static kpi_pace_t
s_evaluate (const kpi_pace_input_t *in, const kpi_pace_thresholds_t *thresholds)
{
    kpi_pace_thresholds_t defaults;
    kpi_pace_thresholds_default (&defaults);
    kpi_pace_t out;
    memset (&out, FILL, sizeof out);
    assert_int_equal (kpi_pace_evaluate (in, thresholds ? thresholds : &defaults, &out), 0);
    return out;
}

/* The status of a value against in at the period's end (projection =
   actual), with thresholds or the defaults. */
static kpi_pace_status_t
s_status_at (kpi_pace_input_t in, int64_t value, const kpi_pace_thresholds_t *thresholds)
{
    in.actual = value;
    in.days_elapsed = in.days_total;
    kpi_pace_t out = s_evaluate (&in, thresholds);
    assert_true (out.has_projection);
    assert_int_equal (out.projection, value);
    return out.status;
}

/* in must be refused, leaving the output as it was. */
static void
s_assert_refused (const kpi_pace_input_t *in)
{
    kpi_pace_thresholds_t thresholds;
    kpi_pace_thresholds_default (&thresholds);
    kpi_pace_t out;
    kpi_pace_t before;
    memset (&out, FILL, sizeof out);
    memset (&before, FILL, sizeof before);
    assert_int_equal (kpi_pace_evaluate (in, &thresholds, &out), -1);
    assert_memory_equal (&out, &before, sizeof out);
}

// ---------------------------------------------------------------- pace

/* The acceptance example, to the unit. */
static void
test_acceptance_example (void **state)
{
    (void) state;
    kpi_pace_input_t in = s_additive (12000, 30000, 12, 30);
    kpi_pace_t out = s_evaluate (&in, NULL);
    assert_true (out.has_prorated_target);
    assert_int_equal (out.prorated_target, 12000);
    assert_true (out.has_projection);
    assert_int_equal (out.projection, 30000);
    assert_true (out.has_required_per_day);
    assert_int_equal (out.required_per_day, 1000); /* 18,000 over the 18 days after today */
    assert_int_equal (out.status, KPI_PACE_ON_TRACK);
    assert_string_equal (kpi_pace_status_name (out.status), "on_track");
}

/* Required per day rounds up, is 0 once the target is met, and is not
   given once the period is over short of the target. */
static void
test_required_per_day (void **state)
{
    (void) state;
    kpi_pace_input_t in = s_additive (12001, 30000, 12, 30);
    kpi_pace_t out = s_evaluate (&in, NULL);
    assert_int_equal (out.required_per_day, 1000); /* 17,999 ÷ 18 = 999.94 */
    in.actual = 12018;
    out = s_evaluate (&in, NULL);
    assert_int_equal (out.required_per_day, 999); /* 17,982 ÷ 18 exactly */
    in.actual = 30000;
    out = s_evaluate (&in, NULL);
    assert_true (out.has_required_per_day);
    assert_int_equal (out.required_per_day, 0);
    assert_int_equal (out.projection, 75000);
    assert_int_equal (out.status, KPI_PACE_EXCEEDED);
    in.actual = 45000;
    out = s_evaluate (&in, NULL);
    assert_true (out.has_required_per_day);
    assert_int_equal (out.required_per_day, 0);

    /* Last day, short: nothing left to spread the gap over. */
    in = s_additive (29000, 30000, 30, 30);
    out = s_evaluate (&in, NULL);
    assert_false (out.has_required_per_day);
    assert_int_equal (out.projection, 29000);
    assert_int_equal (out.prorated_target, 30000);
    assert_int_equal (out.status, KPI_PACE_BEHIND);
    in.actual = 30000;
    out = s_evaluate (&in, NULL);
    assert_true (out.has_required_per_day);
    assert_int_equal (out.required_per_day, 0);
    assert_int_equal (out.status, KPI_PACE_ON_TRACK);
}

/* Projection and pro-rated target round half away from zero. */
static void
test_rounding (void **state)
{
    (void) state;
    kpi_pace_input_t in = s_additive (1, 10, 2, 3);
    kpi_pace_t out = s_evaluate (&in, NULL);
    assert_int_equal (out.projection, 2);      /* 1.5 */
    assert_int_equal (out.prorated_target, 7); /* 6.67 */
    in.actual = -1;                            /* refunds exceeding sales */
    out = s_evaluate (&in, NULL);
    assert_int_equal (out.projection, -2); /* -1.5 */
    assert_int_equal (out.required_per_day, 11);
    in = s_additive (4, 10, 3, 4);
    out = s_evaluate (&in, NULL);
    assert_int_equal (out.projection, 5);      /* 5.33 */
    assert_int_equal (out.prorated_target, 8); /* 7.5 */
}

/* No status before early_percent of the period (default 20): 19 of 100
   days none, 20 of 100 a status; the numbers are there regardless. */
static void
test_early_guard (void **state)
{
    (void) state;
    kpi_pace_input_t in = s_additive (19, 100, 19, 100);
    kpi_pace_t out = s_evaluate (&in, NULL);
    assert_int_equal (out.status, KPI_PACE_NONE);
    assert_null (kpi_pace_status_name (out.status));
    assert_true (out.has_projection);
    assert_int_equal (out.projection, 100);
    assert_int_equal (out.prorated_target, 19);
    assert_int_equal (out.required_per_day, 1);
    in = s_additive (20, 100, 20, 100);
    out = s_evaluate (&in, NULL);
    assert_int_equal (out.status, KPI_PACE_ON_TRACK);

    /* 20 % of 30 days is 6: day 5 none, day 6 a status. */
    in = s_additive (500, 3000, 5, 30);
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_NONE);
    in.days_elapsed = 6;
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_AT_RISK); /* projects 2,500 */

    /* Configurable: 50 % holds day 49 of 100 back; 0 gives a status from
       day 1, but never before a day has elapsed (no projection). */
    kpi_pace_thresholds_t thresholds;
    kpi_pace_thresholds_default (&thresholds);
    thresholds.early_percent = 50;
    in = s_additive (49, 100, 49, 100);
    assert_int_equal (s_evaluate (&in, &thresholds).status, KPI_PACE_NONE);
    in.days_elapsed = 50;
    in.actual = 50;
    assert_int_equal (s_evaluate (&in, &thresholds).status, KPI_PACE_ON_TRACK);
    thresholds.early_percent = 0;
    in = s_additive (1, 100, 1, 100);
    assert_int_equal (s_evaluate (&in, &thresholds).status, KPI_PACE_ON_TRACK);
    in = s_additive (0, 100, 0, 100);
    out = s_evaluate (&in, &thresholds);
    assert_false (out.has_projection);
    assert_int_equal (out.status, KPI_PACE_NONE);
    assert_int_equal (out.prorated_target, 0);
    assert_int_equal (out.required_per_day, 1); /* 100 over 100 days */
}

/* Without floor and stretch: exceeded from 110 %, behind down to 90 %
   (defaults), then thresholds of 120 % and 50 %. */
static void
test_bands_default_thresholds (void **state)
{
    (void) state;
    kpi_pace_input_t in = s_additive (0, 1000, 10, 10);
    const int64_t values[] = { 5000, 1100, 1099, 1000, 999, 900, 899, 0, -5 };
    const kpi_pace_status_t expected[] = { KPI_PACE_EXCEEDED, KPI_PACE_EXCEEDED, KPI_PACE_ON_TRACK,
                                           KPI_PACE_ON_TRACK, KPI_PACE_BEHIND,   KPI_PACE_BEHIND,
                                           KPI_PACE_AT_RISK,  KPI_PACE_AT_RISK,  KPI_PACE_AT_RISK };
    for (size_t index = 0; index < COUNT (values); index++)
        assert_int_equal (s_status_at (in, values[index], NULL), expected[index]);

    kpi_pace_thresholds_t thresholds = { .early_percent = 20,
                                         .exceeded_bp = 12000,
                                         .behind_bp = 5000 };
    assert_int_equal (s_status_at (in, 1200, &thresholds), KPI_PACE_EXCEEDED);
    assert_int_equal (s_status_at (in, 1199, &thresholds), KPI_PACE_ON_TRACK);
    assert_int_equal (s_status_at (in, 500, &thresholds), KPI_PACE_BEHIND);
    assert_int_equal (s_status_at (in, 499, &thresholds), KPI_PACE_AT_RISK);
    /* exceeded_bp 100 %: meeting the target is exceeding it. */
    thresholds.exceeded_bp = 10000;
    assert_int_equal (s_status_at (in, 1000, &thresholds), KPI_PACE_EXCEEDED);
    assert_int_equal (s_status_at (in, 999, &thresholds), KPI_PACE_BEHIND);
    /* A threshold's fraction of the target is exact: 1,001 × 110 % = 1,101.1. */
    in.target = 1001;
    assert_int_equal (s_status_at (in, 1101, NULL), KPI_PACE_ON_TRACK);
    assert_int_equal (s_status_at (in, 1102, NULL), KPI_PACE_EXCEEDED);
    assert_int_equal (s_status_at (in, 901, NULL), KPI_PACE_BEHIND); /* 900.9 */
    assert_int_equal (s_status_at (in, 900, NULL), KPI_PACE_AT_RISK);
}

/* With floor and stretch, which replace the thresholds; each on its own. */
static void
test_bands_floor_and_stretch (void **state)
{
    (void) state;
    kpi_pace_input_t in = s_additive (0, 1000, 10, 10);
    in.has_floor = true;
    in.floor = 500;
    in.has_stretch = true;
    in.stretch = 2000;
    const int64_t values[] = { 2000, 1999, 1100, 1000, 999, 500, 499 };
    const kpi_pace_status_t expected[] = { KPI_PACE_EXCEEDED, KPI_PACE_ON_TRACK, KPI_PACE_ON_TRACK,
                                           KPI_PACE_ON_TRACK, KPI_PACE_BEHIND,   KPI_PACE_BEHIND,
                                           KPI_PACE_AT_RISK };
    for (size_t index = 0; index < COUNT (values); index++)
        assert_int_equal (s_status_at (in, values[index], NULL), expected[index]);

    in.has_stretch = false; /* floor only: exceeded from 110 % again */
    assert_int_equal (s_status_at (in, 1100, NULL), KPI_PACE_EXCEEDED);
    assert_int_equal (s_status_at (in, 600, NULL), KPI_PACE_BEHIND);
    in.has_stretch = true;
    in.has_floor = false; /* stretch only: behind down to 90 % again */
    assert_int_equal (s_status_at (in, 1100, NULL), KPI_PACE_ON_TRACK);
    assert_int_equal (s_status_at (in, 900, NULL), KPI_PACE_BEHIND);
    assert_int_equal (s_status_at (in, 899, NULL), KPI_PACE_AT_RISK);

    /* Bounds equal to the target are allowed: the band between is empty. */
    in.has_floor = true;
    in.floor = 1000;
    in.stretch = 1000;
    assert_int_equal (s_status_at (in, 1000, NULL), KPI_PACE_EXCEEDED);
    assert_int_equal (s_status_at (in, 999, NULL), KPI_PACE_AT_RISK);
}

/* lower_is_better turns every comparison round, and required per day
   becomes the daily allowance left, rounded down. */
static void
test_lower_is_better (void **state)
{
    (void) state;
    kpi_pace_input_t in = s_additive (0, 1000, 10, 10);
    in.lower_is_better = true;
    const int64_t values[] = { 0, 900, 901, 1000, 1001, 1100, 1101 };
    const kpi_pace_status_t expected[] = { KPI_PACE_EXCEEDED, KPI_PACE_EXCEEDED, KPI_PACE_ON_TRACK,
                                           KPI_PACE_ON_TRACK, KPI_PACE_BEHIND,   KPI_PACE_BEHIND,
                                           KPI_PACE_AT_RISK };
    for (size_t index = 0; index < COUNT (values); index++)
        assert_int_equal (s_status_at (in, values[index], NULL), expected[index]);

    in.has_floor = true;
    in.floor = 1500;
    in.has_stretch = true;
    in.stretch = 600;
    assert_int_equal (s_status_at (in, 600, NULL), KPI_PACE_EXCEEDED);
    assert_int_equal (s_status_at (in, 601, NULL), KPI_PACE_ON_TRACK);
    assert_int_equal (s_status_at (in, 1500, NULL), KPI_PACE_BEHIND);
    assert_int_equal (s_status_at (in, 1501, NULL), KPI_PACE_AT_RISK);

    in = s_additive (400, 1000, 12, 30);
    in.lower_is_better = true;
    kpi_pace_t out = s_evaluate (&in, NULL);
    assert_int_equal (out.projection, 1000);
    assert_int_equal (out.prorated_target, 400);
    assert_int_equal (out.required_per_day, 33); /* 600 ÷ 18 = 33.3 still allowed a day */
    assert_int_equal (out.status, KPI_PACE_ON_TRACK);
    in.actual = 1000; /* at the target: nothing more allowed */
    out = s_evaluate (&in, NULL);
    assert_true (out.has_required_per_day);
    assert_int_equal (out.required_per_day, 0);
    assert_int_equal (out.status, KPI_PACE_AT_RISK); /* projects 2,500 */
    in.actual = 1200;
    out = s_evaluate (&in, NULL);
    assert_true (out.has_required_per_day);
    assert_int_equal (out.required_per_day, 0);
}

/* Ratios and averages: the current value is the projection, the target
   is not pro-rated, nothing is required per day. */
static void
test_non_additive (void **state)
{
    (void) state;
    kpi_pace_input_t in = { .actual = 2500, /* win rate 25 % */
                            .has_target = true,
                            .target = 3000,
                            .days_elapsed = 10,
                            .days_total = 30,
                            .additive = false };
    kpi_pace_t out = s_evaluate (&in, NULL);
    assert_true (out.has_projection);
    assert_int_equal (out.projection, 2500);
    assert_true (out.has_prorated_target);
    assert_int_equal (out.prorated_target, 3000);
    assert_false (out.has_required_per_day);
    assert_int_equal (out.status, KPI_PACE_AT_RISK); /* under 2,700 (90 %) */
    in.actual = 2700;
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_BEHIND);
    in.actual = 3000;
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_ON_TRACK);
    in.actual = 3300;
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_EXCEEDED);
    in.days_elapsed = 5; /* 16.7 %: early */
    out = s_evaluate (&in, NULL);
    assert_int_equal (out.status, KPI_PACE_NONE);
    assert_int_equal (out.projection, 3300);
    in.days_elapsed = 0;
    out = s_evaluate (&in, NULL);
    assert_true (out.has_projection);
    assert_int_equal (out.status, KPI_PACE_NONE);

    /* Lower is better: average minutes to answer, target 35.00. */
    in = (kpi_pace_input_t){ .actual = 3200,
                             .has_target = true,
                             .target = 3500,
                             .days_elapsed = 15,
                             .days_total = 30,
                             .lower_is_better = true };
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_ON_TRACK);
    in.actual = 3150; /* 90 % of the target */
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_EXCEEDED);
    in.actual = 3851;
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_AT_RISK);

    /* A negative target (NPS -10.00): bands move by the target's size. */
    in = (kpi_pace_input_t){
        .actual = -1000, .has_target = true, .target = -1000, .days_elapsed = 30, .days_total = 30
    };
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_ON_TRACK);
    in.actual = -900;
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_EXCEEDED);
    in.actual = -1100;
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_BEHIND);
    in.actual = -1101;
    assert_int_equal (s_evaluate (&in, NULL).status, KPI_PACE_AT_RISK);
}

/* Without a target: a projection, nothing else. */
static void
test_no_target (void **state)
{
    (void) state;
    kpi_pace_input_t in = s_additive (12000, 0, 12, 30);
    in.has_target = false;
    in.has_floor = true; /* ignored without a target */
    in.floor = 99999;
    kpi_pace_t out = s_evaluate (&in, NULL);
    assert_true (out.has_projection);
    assert_int_equal (out.projection, 30000);
    assert_false (out.has_prorated_target);
    assert_false (out.has_required_per_day);
    assert_int_equal (out.status, KPI_PACE_NONE);
    in.additive = false;
    out = s_evaluate (&in, NULL);
    assert_int_equal (out.projection, 12000);
    assert_false (out.has_prorated_target);
    assert_int_equal (out.status, KPI_PACE_NONE);
}

/* Inconsistent input is refused, the output untouched. */
static void
test_refused (void **state)
{
    (void) state;
    kpi_pace_input_t in = s_additive (1, 10, 0, 0);
    s_assert_refused (&in); /* no day in the period */
    in = s_additive (1, 10, 31, 30);
    s_assert_refused (&in);
    in = s_additive (1, 10, -1, 30);
    s_assert_refused (&in);
    in = s_additive (1, 10, 5, 30);
    in.has_floor = true;
    in.floor = 11;
    s_assert_refused (&in); /* floor above the target */
    in.floor = 5;
    in.has_stretch = true;
    in.stretch = 9;
    s_assert_refused (&in); /* stretch below the target */
    in.lower_is_better = true;
    in.stretch = 9;
    in.floor = 11;
    kpi_pace_thresholds_t thresholds;
    kpi_pace_thresholds_default (&thresholds);
    kpi_pace_t out;
    assert_int_equal (kpi_pace_evaluate (&in, &thresholds, &out), 0); /* right way round */
    in.floor = 5;
    s_assert_refused (&in); /* lower is better: floor under the target */
    in.floor = 11;
    in.stretch = 12;
    s_assert_refused (&in);
}

/* 10^15 minor units over 10,000 days: 10^19 intermediates are exact;
   results beyond an int64 are refused rather than wrapped. */
static void
test_large_values (void **state)
{
    (void) state;
    kpi_pace_input_t in = s_additive (TRILLION, 3 * TRILLION, 5000, 10000);
    kpi_pace_t out = s_evaluate (&in, NULL);
    assert_int_equal (out.projection, 2 * TRILLION);
    assert_int_equal (out.prorated_target, 3 * TRILLION / 2);
    assert_int_equal (out.required_per_day, 2 * TRILLION / 5000);
    assert_int_equal (out.status, KPI_PACE_AT_RISK);
    in.actual = 3 * TRILLION / 2;
    out = s_evaluate (&in, NULL);
    assert_int_equal (out.projection, 3 * TRILLION);
    assert_int_equal (out.status, KPI_PACE_ON_TRACK);
    in.days_elapsed = 1; /* 1.5 × 10^19: too large for an int64 */
    s_assert_refused (&in);
    /* At the edge of int64: the largest projection that fits. */
    in = s_additive (INT64_MAX / 10000 * 9999, INT64_MAX, 9999, 10000);
    out = s_evaluate (&in, NULL);
    assert_int_equal (out.projection, INT64_MAX / 10000 * 10000);
    assert_int_equal (out.prorated_target, INT64_C (9222449699651090329)); /* ...090329.4193 */
    assert_int_equal (out.required_per_day, INT64_C (922337203691284));
    assert_int_equal (out.status, KPI_PACE_BEHIND); /* 5,807 short of the target */
    in = s_additive (INT64_MIN, INT64_MAX, 9999, 10000);
    s_assert_refused (&in); /* the projection is below INT64_MIN */
    in = s_additive (-2, INT64_MAX, 1, 2);
    s_assert_refused (&in); /* INT64_MAX + 2 still required in one day */
}

static void
test_status_names (void **state)
{
    (void) state;
    assert_null (kpi_pace_status_name (KPI_PACE_NONE));
    assert_string_equal (kpi_pace_status_name (KPI_PACE_EXCEEDED), "exceeded");
    assert_string_equal (kpi_pace_status_name (KPI_PACE_ON_TRACK), "on_track");
    assert_string_equal (kpi_pace_status_name (KPI_PACE_BEHIND), "behind");
    assert_string_equal (kpi_pace_status_name (KPI_PACE_AT_RISK), "at_risk");
    assert_null (kpi_pace_status_name ((kpi_pace_status_t) (KPI_PACE_AT_RISK + 1)));
}

static void
test_thresholds (void **state)
{
    (void) state;
    kpi_pace_thresholds_t thresholds;
    kpi_pace_thresholds_default (&thresholds);
    assert_int_equal (thresholds.early_percent, 20);
    assert_int_equal (thresholds.exceeded_bp, 11000);
    assert_int_equal (thresholds.behind_bp, 9000);
    assert_true (kpi_pace_thresholds_valid (&thresholds));
    const kpi_pace_thresholds_t invalid[] = {
        { -1, 11000, 9000 },  { 101, 11000, 9000 }, { 20, 9999, 9000 },
        { 20, 100001, 9000 }, { 20, 11000, -1 },    { 20, 11000, 10001 },
    };
    for (size_t index = 0; index < COUNT (invalid); index++)
        assert_false (kpi_pace_thresholds_valid (&invalid[index]));
    const kpi_pace_thresholds_t edges[] = { { 0, 10000, 0 }, { 100, 100000, 10000 } };
    for (size_t index = 0; index < COUNT (edges); index++)
        assert_true (kpi_pace_thresholds_valid (&edges[index]));
}

// ---------------------------------------------------------------- attainment

static void
test_attainment (void **state)
{
    (void) state;
    int64_t bp = -7;
    assert_int_equal (kpi_pace_attainment (12000, 30000, false, &bp), 0);
    assert_int_equal (bp, 4000);
    assert_int_equal (kpi_pace_attainment (45000, 30000, false, &bp), 0);
    assert_int_equal (bp, 15000);
    assert_int_equal (kpi_pace_attainment (1, 3, false, &bp), 0);
    assert_int_equal (bp, 3333);
    assert_int_equal (kpi_pace_attainment (2, 3, false, &bp), 0);
    assert_int_equal (bp, 6667);
    assert_int_equal (kpi_pace_attainment (1, 20000, false, &bp), 0);
    assert_int_equal (bp, 1); /* half a basis point rounds up */
    assert_int_equal (kpi_pace_attainment (0, 100, false, &bp), 0);
    assert_int_equal (bp, 0);
    assert_int_equal (kpi_pace_attainment (-50, 100, false, &bp), 0);
    assert_int_equal (bp, 0);

    /* Lower is better: target ÷ actual. */
    assert_int_equal (kpi_pace_attainment (80, 100, true, &bp), 0);
    assert_int_equal (bp, 12500);
    assert_int_equal (kpi_pace_attainment (125, 100, true, &bp), 0);
    assert_int_equal (bp, 8000);
    assert_int_equal (kpi_pace_attainment (0, 100, true, &bp), 0);
    assert_int_equal (bp, INT64_MAX);

    /* Undefined: the output is untouched. */
    bp = -7;
    assert_int_equal (kpi_pace_attainment (100, 0, false, &bp), 1);
    assert_int_equal (kpi_pace_attainment (100, 0, true, &bp), 1);
    assert_int_equal (kpi_pace_attainment (100, -5, false, &bp), 1);
    assert_int_equal (bp, -7);

    /* Large values: exact, or saturated beyond an int64. */
    assert_int_equal (kpi_pace_attainment (TRILLION, 2 * TRILLION, false, &bp), 0);
    assert_int_equal (bp, 5000);
    assert_int_equal (kpi_pace_attainment (TRILLION, 1, false, &bp), 0);
    assert_int_equal (bp, INT64_MAX);
    assert_int_equal (kpi_pace_attainment (1, INT64_MAX, true, &bp), 0);
    assert_int_equal (bp, INT64_MAX);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_acceptance_example),
        cmocka_unit_test (test_required_per_day),
        cmocka_unit_test (test_rounding),
        cmocka_unit_test (test_early_guard),
        cmocka_unit_test (test_bands_default_thresholds),
        cmocka_unit_test (test_bands_floor_and_stretch),
        cmocka_unit_test (test_lower_is_better),
        cmocka_unit_test (test_non_additive),
        cmocka_unit_test (test_no_target),
        cmocka_unit_test (test_refused),
        cmocka_unit_test (test_large_values),
        cmocka_unit_test (test_status_names),
        cmocka_unit_test (test_thresholds),
        cmocka_unit_test (test_attainment),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
