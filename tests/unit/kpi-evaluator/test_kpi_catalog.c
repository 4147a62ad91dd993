/*  test_kpi_catalog - the catalogue of KPIs (kpi_catalog): every one of
    the 17 KPIs by name with its unit, additivity and default target;
    every formula on hand-made measure sums with the exact integer it must
    give (rounding half away from zero), the undefined value (a zero
    denominator, no working day, no NPS answer) and the overflow; the
    roll-up as a ratio of sums, never an average of ratios; and the
    measure and unit names.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kpi_catalog.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define CATALOG_SIZE 17           /* KPIs the issue names */
#define UNTOUCHED INT64_C (-4242) /* an output before a call that must not set it */
#define TERMS_MAX 4               /* measures a value case sets */

/* ---------------------------------------------------------------- helpers */

/* What the catalogue must say of one KPI. */
typedef struct {
    const char *name;
    kpi_unit_t unit;
    bool additive;
    bool has_default;
    int64_t default_target;
} s_expected_kpi_t;

static const s_expected_kpi_t s_expected[] = {
    { "revenue", KPI_UNIT_MONEY, true, false, 0 },
    { "gross_margin", KPI_UNIT_MONEY, true, false, 0 },
    { "deals_won", KPI_UNIT_COUNT, true, false, 0 },
    { "new_customers", KPI_UNIT_COUNT, true, false, 0 },
    { "win_rate", KPI_UNIT_RATIO, false, false, 0 },
    { "lead_conversion", KPI_UNIT_RATIO, false, false, 0 },
    { "quotes_sent", KPI_UNIT_COUNT, true, false, 0 },
    { "visits_completed", KPI_UNIT_COUNT, true, false, 0 },
    { "visits_per_day", KPI_UNIT_PER_DAY, false, true, 800 },
    { "visit_plan_execution", KPI_UNIT_RATIO, false, true, 8000 },
    { "high_value_visit_share", KPI_UNIT_RATIO, false, true, 4000 },
    { "avg_visit_minutes", KPI_UNIT_AVERAGE, false, true, 3500 },
    { "touches", KPI_UNIT_COUNT, true, true, 100 },
    { "nps", KPI_UNIT_SCORE, false, false, 0 },
    { "csat", KPI_UNIT_AVERAGE, false, false, 0 },
    { "order_revenue", KPI_UNIT_MONEY, true, false, 0 },
    { "payments_collected", KPI_UNIT_MONEY, true, false, 0 },
};

/* One measure sum a case sets. */
typedef struct {
    kpi_measure_t measure;
    int64_t value;
} s_term_t;

/* A KPI's value from some sums: the return code and, when 0, the value. */
typedef struct {
    const char *kpi;
    s_term_t terms[TERMS_MAX];
    size_t term_count;
    int64_t working_days;
    int rc;
    int64_t value;
} s_value_case_t;

/* A case's sums: every measure the case does not set holds a large
   distinct number, so a formula that reads a measure it should not
   gives a wrong value. */
static void
s_sums (const s_value_case_t *value_case, int64_t *sums)
{
    for (size_t index = 0; index < KPI_MEASURE_COUNT; index++)
        sums[index] = 1000003 * (int64_t) (index + 1);
    for (size_t index = 0; index < value_case->term_count; index++)
        sums[value_case->terms[index].measure] = value_case->terms[index].value;
}

static const kpi_definition_t *
s_find (const char *name)
{
    const kpi_definition_t *kpi = kpi_catalog_find (name);
    assert_non_null (kpi);
    assert_string_equal (kpi->name, name);
    return kpi;
}

/* The value of name from terms; asserts rc and, when 0, value. */
static void
s_check (const s_value_case_t *value_case)
{
    int64_t sums[KPI_MEASURE_COUNT];
    s_sums (value_case, sums);
    int64_t value = UNTOUCHED;
    int rc = kpi_catalog_value (s_find (value_case->kpi), sums, value_case->working_days, &value);
    if (rc != value_case->rc || (rc == 0 && value != value_case->value))
        fail_msg ("%s: expected rc %d value %lld, got rc %d value %lld", value_case->kpi,
                  value_case->rc, (long long) value_case->value, rc, (long long) value);
    if (rc != 0)
        assert_int_equal (value, UNTOUCHED); /* a refusal leaves the output */
}

#define T(measure, value)                                                                          \
    {                                                                                              \
        KPI_MEASURE_##measure, (value)                                                             \
    }
#define MAX INT64_MAX
#define MIN INT64_MIN

/* ---------------------------------------------------------------- tables */

/* Exact values of every KPI (units in kpi_catalog.h). */
static const s_value_case_t s_values[] = {
    /* money: Σ minor units, negative allowed (a margin can be a loss) */
    { "revenue", { T (WON_AMOUNT, 123456789) }, 1, 0, 0, 123456789 },
    { "revenue", { T (WON_AMOUNT, 0) }, 1, 0, 0, 0 },
    { "gross_margin", { T (MARGIN, 45000) }, 1, 0, 0, 45000 },
    { "gross_margin", { T (MARGIN, -1250) }, 1, 0, 0, -1250 },
    { "order_revenue", { T (ORDER_AMOUNT, 999999) }, 1, 0, 0, 999999 },
    { "payments_collected", { T (PAYMENT_AMOUNT, 100) }, 1, 0, 0, 100 },
    /* counts */
    { "deals_won", { T (WON, 7) }, 1, 0, 0, 7 },
    { "new_customers", { T (NEW_CUSTOMERS, 3) }, 1, 0, 0, 3 },
    { "quotes_sent", { T (QUOTES, 12) }, 1, 0, 0, 12 },
    { "visits_completed", { T (VISITS, 9) }, 1, 0, 0, 9 },
    { "touches", { T (VISITS, 3), T (CALLS, 40), T (DEMOS, 500) }, 3, 0, 0, 543 },
    { "touches", { T (VISITS, 0), T (CALLS, 0), T (DEMOS, 0) }, 3, 0, 0, 0 },
    /* ratio: basis points, won ÷ (won + lost) */
    { "win_rate", { T (WON, 1), T (LOST, 2) }, 2, 0, 0, 3333 },
    { "win_rate", { T (WON, 2), T (LOST, 1) }, 2, 0, 0, 6667 },
    { "win_rate", { T (WON, 1), T (LOST, 3) }, 2, 0, 0, 2500 },
    { "win_rate", { T (WON, 1), T (LOST, 31) }, 2, 0, 0, 313 }, /* 312.5: half up */
    { "win_rate", { T (WON, 5), T (LOST, 0) }, 2, 0, 0, 10000 },
    { "win_rate", { T (WON, 0), T (LOST, 4) }, 2, 0, 0, 0 },
    { "win_rate", { T (WON, 0), T (LOST, 0) }, 2, 0, 1, 0 },
    /* leads won ÷ leads */
    { "lead_conversion", { T (LEADS_WON, 1), T (LEADS, 6) }, 2, 0, 0, 1667 },
    { "lead_conversion", { T (LEADS_WON, 1), T (LEADS, 8) }, 2, 0, 0, 1250 },
    { "lead_conversion", { T (LEADS_WON, 0), T (LEADS, 0) }, 2, 0, 1, 0 },
    /* planned done ÷ planned */
    { "visit_plan_execution", { T (PLANNED_DONE, 7), T (VISITS_PLANNED, 9) }, 2, 0, 0, 7778 },
    { "visit_plan_execution", { T (PLANNED_DONE, 4), T (VISITS_PLANNED, 5) }, 2, 0, 0, 8000 },
    { "visit_plan_execution", { T (PLANNED_DONE, 0), T (VISITS_PLANNED, 0) }, 2, 0, 1, 0 },
    /* tier-A visits ÷ visits */
    { "high_value_visit_share", { T (VISITS_TIER_A, 2), T (VISITS, 3) }, 2, 0, 0, 6667 },
    { "high_value_visit_share", { T (VISITS_TIER_A, 1), T (VISITS, 3) }, 2, 0, 0, 3333 },
    { "high_value_visit_share", { T (VISITS_TIER_A, 0), T (VISITS, 0) }, 2, 0, 1, 0 },
    /* average: hundredths */
    { "avg_visit_minutes", { T (VISIT_MINUTES, 70), T (VISITS, 2) }, 2, 0, 0, 3500 },
    { "avg_visit_minutes", { T (VISIT_MINUTES, 100), T (VISITS, 3) }, 2, 0, 0, 3333 },
    { "avg_visit_minutes", { T (VISIT_MINUTES, 200), T (VISITS, 3) }, 2, 0, 0, 6667 },
    { "avg_visit_minutes", { T (VISIT_MINUTES, 1), T (VISITS, 8) }, 2, 0, 0, 13 }, /* 12.5 */
    { "avg_visit_minutes", { T (VISIT_MINUTES, 0), T (VISITS, 0) }, 2, 0, 1, 0 },
    { "csat", { T (CSAT_SUM, 21), T (CSAT_ANSWERS, 5) }, 2, 0, 0, 420 },
    { "csat", { T (CSAT_SUM, 13), T (CSAT_ANSWERS, 3) }, 2, 0, 0, 433 },
    { "csat", { T (CSAT_SUM, 14), T (CSAT_ANSWERS, 3) }, 2, 0, 0, 467 },
    { "csat", { T (CSAT_SUM, 0), T (CSAT_ANSWERS, 0) }, 2, 0, 1, 0 },
    /* per day: hundredths per working day elapsed */
    { "visits_per_day", { T (VISITS, 16) }, 1, 2, 0, 800 },
    { "visits_per_day", { T (VISITS, 17) }, 1, 3, 0, 567 },
    { "visits_per_day", { T (VISITS, 10) }, 1, 3, 0, 333 },
    { "visits_per_day", { T (VISITS, 1) }, 1, 8, 0, 13 }, /* 12.5 */
    { "visits_per_day", { T (VISITS, 0) }, 1, 5, 0, 0 },
    { "visits_per_day", { T (VISITS, 16) }, 1, 0, 1, 0 },
    /* NPS: (promoters - detractors) × 10,000 ÷ answers, -10,000..10,000 */
    { "nps", { T (NPS_PROMOTERS, 1), T (NPS_DETRACTORS, 1), T (NPS_ANSWERS, 3) }, 3, 0, 0, 0 },
    { "nps", { T (NPS_PROMOTERS, 2), T (NPS_DETRACTORS, 0), T (NPS_ANSWERS, 3) }, 3, 0, 0, 6667 },
    { "nps", { T (NPS_PROMOTERS, 0), T (NPS_DETRACTORS, 1), T (NPS_ANSWERS, 3) }, 3, 0, 0, -3333 },
    { "nps", { T (NPS_PROMOTERS, 0), T (NPS_DETRACTORS, 2), T (NPS_ANSWERS, 3) }, 3, 0, 0, -6667 },
    /* -312.5 and 312.5: half away from zero, both ways */
    { "nps", { T (NPS_PROMOTERS, 0), T (NPS_DETRACTORS, 1), T (NPS_ANSWERS, 32) }, 3, 0, 0, -313 },
    { "nps", { T (NPS_PROMOTERS, 1), T (NPS_DETRACTORS, 0), T (NPS_ANSWERS, 32) }, 3, 0, 0, 313 },
    { "nps", { T (NPS_PROMOTERS, 3), T (NPS_DETRACTORS, 0), T (NPS_ANSWERS, 3) }, 3, 0, 0, 10000 },
    { "nps", { T (NPS_PROMOTERS, 0), T (NPS_DETRACTORS, 4), T (NPS_ANSWERS, 4) }, 3, 0, 0, -10000 },
    { "nps", { T (NPS_PROMOTERS, 3), T (NPS_DETRACTORS, 5), T (NPS_ANSWERS, 10) }, 3, 0, 0, -2000 },
    { "nps", { T (NPS_PROMOTERS, 0), T (NPS_DETRACTORS, 0), T (NPS_ANSWERS, 0) }, 3, 0, 1, 0 },
};

/* Sums that do not fit an int64, or give a value that does not. */
static const s_value_case_t s_overflows[] = {
    { "touches", { T (VISITS, MAX), T (CALLS, 1), T (DEMOS, 0) }, 3, 0, -1, 0 },
    { "touches", { T (VISITS, MIN), T (CALLS, -1), T (DEMOS, 0) }, 3, 0, -1, 0 },
    { "win_rate", { T (WON, MAX), T (LOST, 1) }, 2, 0, -1, 0 },    /* denominator */
    { "win_rate", { T (WON, MAX), T (LOST, 0) }, 2, 0, 0, 10000 }, /* fits: 128-bit inside */
    { "lead_conversion", { T (LEADS_WON, MAX), T (LEADS, 1) }, 2, 0, -1, 0 },
    { "lead_conversion", { T (LEADS_WON, MIN), T (LEADS, 1) }, 2, 0, -1, 0 },
    { "avg_visit_minutes", { T (VISIT_MINUTES, MAX), T (VISITS, 1) }, 2, 0, -1, 0 },
    { "avg_visit_minutes", { T (VISIT_MINUTES, MAX), T (VISITS, 100) }, 2, 0, 0, MAX },
    { "csat", { T (CSAT_SUM, MAX / 50), T (CSAT_ANSWERS, 1) }, 2, 0, -1, 0 },
    { "visits_per_day", { T (VISITS, MAX) }, 1, 1, -1, 0 },
    { "visits_per_day", { T (VISITS, MAX) }, 1, 100, 0, MAX },
    { "nps", { T (NPS_PROMOTERS, MAX), T (NPS_DETRACTORS, -1), T (NPS_ANSWERS, 1) }, 3, 0, -1, 0 },
    { "nps", { T (NPS_PROMOTERS, MAX), T (NPS_DETRACTORS, 0), T (NPS_ANSWERS, 1) }, 3, 0, -1, 0 },
    { "nps", { T (NPS_PROMOTERS, 0), T (NPS_DETRACTORS, MAX), T (NPS_ANSWERS, 1) }, 3, 0, -1, 0 },
};

/* ---------------------------------------------------------------- tests */

/* The 17 KPIs, in listing order, each found by name, with its unit,
   additivity and default target. */
static void
test_catalog_lists_every_kpi (void **state)
{
    (void) state;
    assert_int_equal (kpi_catalog_count (), CATALOG_SIZE);
    assert_int_equal (COUNT (s_expected), CATALOG_SIZE);
    assert_true (kpi_catalog_count () <= KPI_CATALOG_MAX);
    for (size_t index = 0; index < kpi_catalog_count (); index++) {
        const kpi_definition_t *kpi = kpi_catalog_at (index);
        const s_expected_kpi_t *expected = &s_expected[index];
        assert_non_null (kpi);
        assert_string_equal (kpi->name, expected->name);
        assert_true (strlen (kpi->name) < KPI_NAME_SIZE);
        assert_non_null (kpi->title);
        assert_true (strlen (kpi->title) > 0);
        assert_ptr_equal (kpi_catalog_find (expected->name), kpi);
        assert_int_equal (kpi->unit, expected->unit);
        assert_int_equal (kpi_catalog_additive (kpi), expected->additive);
        /* additive exactly when money or count */
        assert_int_equal (kpi_catalog_additive (kpi),
                          kpi->unit == KPI_UNIT_MONEY || kpi->unit == KPI_UNIT_COUNT);
        assert_int_equal (kpi->has_default_target, expected->has_default);
        if (expected->has_default)
            assert_int_equal (kpi->default_target, expected->default_target);
        /* none is lower-is-better */
        assert_false (kpi->lower_is_better);
        /* the terms are measures, within bounds */
        assert_true (kpi->numerator_count >= 1 && kpi->numerator_count <= KPI_TERMS_MAX);
        assert_true (kpi->denominator_count <= KPI_TERMS_MAX);
        for (size_t term = 0; term < kpi->numerator_count; term++)
            assert_true ((size_t) kpi->numerator[term] < KPI_MEASURE_COUNT);
        for (size_t term = 0; term < kpi->denominator_count; term++)
            assert_true ((size_t) kpi->denominator[term] < KPI_MEASURE_COUNT);
        /* names are unique */
        for (size_t other = 0; other < index; other++)
            assert_string_not_equal (kpi_catalog_at (other)->name, kpi->name);
    }
}

static void
test_find_refuses_unknown_names (void **state)
{
    (void) state;
    assert_null (kpi_catalog_find (NULL));
    assert_null (kpi_catalog_find (""));
    assert_null (kpi_catalog_find ("Win_rate"));
    assert_null (kpi_catalog_find ("win_rate "));
    assert_null (kpi_catalog_find ("win"));
    assert_null (kpi_catalog_find ("won")); /* a measure, not a KPI */
    assert_null (kpi_catalog_find ("revenues"));
}

/* Every formula on hand-made sums, and every KPI has at least one case
   with a value and, when it can be undefined, one without. */
static void
test_value_of_every_kpi (void **state)
{
    (void) state;
    bool valued[CATALOG_SIZE] = { false };
    bool undefined[CATALOG_SIZE] = { false };
    for (size_t index = 0; index < COUNT (s_values); index++) {
        s_check (&s_values[index]);
        const kpi_definition_t *kpi = s_find (s_values[index].kpi);
        size_t position = (size_t) (kpi - kpi_catalog_at (0));
        assert_true (position < CATALOG_SIZE);
        if (s_values[index].rc == 0)
            valued[position] = true;
        else
            undefined[position] = true;
    }
    for (size_t index = 0; index < CATALOG_SIZE; index++) {
        const kpi_definition_t *kpi = kpi_catalog_at (index);
        if (!valued[index])
            fail_msg ("no value case for %s", kpi->name);
        if (!kpi_catalog_additive (kpi) && !undefined[index])
            fail_msg ("no undefined case for %s", kpi->name);
    }
}

/* All sums zero: a sum is 0, a ratio, average, per-day value (no
   working day) or NPS is undefined; with working days, per day is 0. */
static void
test_zero_sums_of_every_kpi (void **state)
{
    (void) state;
    int64_t sums[KPI_MEASURE_COUNT] = { 0 };
    for (size_t index = 0; index < kpi_catalog_count (); index++) {
        const kpi_definition_t *kpi = kpi_catalog_at (index);
        int64_t value = UNTOUCHED;
        int rc = kpi_catalog_value (kpi, sums, 0, &value);
        if (kpi_catalog_additive (kpi)) {
            assert_int_equal (rc, 0);
            assert_int_equal (value, 0);
        }
        else {
            if (rc != 1)
                fail_msg ("%s of zero sums: rc %d, expected 1 (undefined)", kpi->name, rc);
            assert_int_equal (value, UNTOUCHED);
        }
        value = UNTOUCHED;
        rc = kpi_catalog_value (kpi, sums, 5, &value);
        if (kpi->formula == KPI_FORMULA_PER_DAY || kpi_catalog_additive (kpi)) {
            assert_int_equal (rc, 0);
            assert_int_equal (value, 0);
        }
        else
            assert_int_equal (rc, 1);
    }
}

/* An additive KPI's value is linear in its measures; working days do not
   matter to any KPI but visits_per_day. */
static void
test_working_days_matter_only_per_day (void **state)
{
    (void) state;
    int64_t sums[KPI_MEASURE_COUNT];
    for (size_t index = 0; index < KPI_MEASURE_COUNT; index++)
        sums[index] = (int64_t) (index + 1) * 7;
    for (size_t index = 0; index < kpi_catalog_count (); index++) {
        const kpi_definition_t *kpi = kpi_catalog_at (index);
        int64_t one = 0, twenty = 0;
        assert_int_equal (kpi_catalog_value (kpi, sums, 1, &one), 0);
        assert_int_equal (kpi_catalog_value (kpi, sums, 20, &twenty), 0);
        if (kpi->formula == KPI_FORMULA_PER_DAY)
            assert_int_equal (one, 20 * twenty);
        else
            assert_int_equal (one, twenty);
    }
}

static void
test_overflow_is_refused (void **state)
{
    (void) state;
    for (size_t index = 0; index < COUNT (s_overflows); index++)
        s_check (&s_overflows[index]);
}

/* Two reps: rep A won 1 of 1, rep B won 1 of 10. Their team's win rate is
   2 of 11 = 18.18 %, not the average of 100 % and 10 % (55 %). Same for
   average visit minutes and NPS. */
static void
test_roll_up_is_a_ratio_of_sums (void **state)
{
    (void) state;
    int64_t rep_a[KPI_MEASURE_COUNT] = { 0 };
    int64_t rep_b[KPI_MEASURE_COUNT] = { 0 };
    rep_a[KPI_MEASURE_WON] = 1;
    rep_b[KPI_MEASURE_WON] = 1;
    rep_b[KPI_MEASURE_LOST] = 9;
    rep_a[KPI_MEASURE_VISITS] = 1;
    rep_a[KPI_MEASURE_VISIT_MINUTES] = 60;
    rep_b[KPI_MEASURE_VISITS] = 9;
    rep_b[KPI_MEASURE_VISIT_MINUTES] = 270;
    rep_a[KPI_MEASURE_NPS_ANSWERS] = 1;
    rep_a[KPI_MEASURE_NPS_PROMOTERS] = 1;
    rep_b[KPI_MEASURE_NPS_ANSWERS] = 4;
    rep_b[KPI_MEASURE_NPS_DETRACTORS] = 3;
    int64_t team[KPI_MEASURE_COUNT];
    for (size_t index = 0; index < KPI_MEASURE_COUNT; index++)
        team[index] = rep_a[index] + rep_b[index];

    const struct {
        const char *kpi;
        int64_t rep_a, rep_b, average_of_ratios, team;
    } cases[] = {
        { "win_rate", 10000, 1000, 5500, 1818 },         /* 2 ÷ 11 */
        { "avg_visit_minutes", 6000, 3000, 4500, 3300 }, /* 330 ÷ 10 */
        { "nps", 10000, -7500, 1250, -4000 },            /* (1 - 3) ÷ 5 */
    };
    for (size_t index = 0; index < COUNT (cases); index++) {
        const kpi_definition_t *kpi = s_find (cases[index].kpi);
        int64_t a = 0, b = 0, whole = 0;
        assert_int_equal (kpi_catalog_value (kpi, rep_a, 0, &a), 0);
        assert_int_equal (kpi_catalog_value (kpi, rep_b, 0, &b), 0);
        assert_int_equal (kpi_catalog_value (kpi, team, 0, &whole), 0);
        assert_int_equal (a, cases[index].rep_a);
        assert_int_equal (b, cases[index].rep_b);
        assert_int_equal ((a + b) / 2, cases[index].average_of_ratios);
        assert_int_equal (whole, cases[index].team);
        assert_int_not_equal (whole, (a + b) / 2);
    }

    /* an additive KPI is the sum of the reps' values */
    int64_t a = 0, b = 0, whole = 0;
    const kpi_definition_t *deals = s_find ("deals_won");
    assert_int_equal (kpi_catalog_value (deals, rep_a, 0, &a), 0);
    assert_int_equal (kpi_catalog_value (deals, rep_b, 0, &b), 0);
    assert_int_equal (kpi_catalog_value (deals, team, 0, &whole), 0);
    assert_int_equal (whole, a + b);

    /* a rep with nothing does not make the team undefined, and does not
       pull its ratio down either */
    int64_t idle[KPI_MEASURE_COUNT] = { 0 };
    int64_t value = UNTOUCHED;
    assert_int_equal (kpi_catalog_value (s_find ("win_rate"), idle, 0, &value), 1);
    assert_int_equal (value, UNTOUCHED);
    for (size_t index = 0; index < KPI_MEASURE_COUNT; index++)
        idle[index] += rep_b[index];
    assert_int_equal (kpi_catalog_value (s_find ("win_rate"), idle, 0, &value), 0);
    assert_int_equal (value, 1000);
}

/* Stored measure names, each way. */
static void
test_measure_names_round_trip (void **state)
{
    (void) state;
    static const char *const names[] = {
        "won",
        "won_amount",
        "won_other_currency",
        "margin",
        "lost",
        "new_customers",
        "leads",
        "leads_won",
        "quotes",
        "visits",
        "visit_minutes",
        "visits_tier_a",
        "visits_planned",
        "planned_done",
        "calls",
        "demos",
        "nps_answers",
        "nps_promoters",
        "nps_detractors",
        "csat_answers",
        "csat_sum",
        "order_amount",
        "order_other_currency",
        "payment_amount",
        "payment_other_currency",
    };
    assert_int_equal (COUNT (names), KPI_MEASURE_COUNT);
    for (size_t index = 0; index < KPI_MEASURE_COUNT; index++) {
        const char *name = kpi_catalog_measure_name ((kpi_measure_t) index);
        assert_non_null (name);
        assert_string_equal (name, names[index]);
        assert_true (strlen (name) < KPI_NAME_SIZE);
        kpi_measure_t measure = KPI_MEASURE_COUNT;
        assert_int_equal (kpi_catalog_measure_parse (name, &measure), 0);
        assert_int_equal (measure, index);
        for (size_t other = 0; other < index; other++)
            assert_string_not_equal (names[other], name);
    }
    assert_null (kpi_catalog_measure_name (KPI_MEASURE_COUNT));
    assert_null (kpi_catalog_measure_name ((kpi_measure_t) 1000));

    /* unknown names: refused, the output untouched */
    static const char *const unknown[] = { "",   "Won",         "won ",    " won",
                                           "wo", "won_amounts", "revenue", "won|company" };
    for (size_t index = 0; index < COUNT (unknown); index++) {
        kpi_measure_t measure = KPI_MEASURE_CSAT_SUM;
        assert_int_equal (kpi_catalog_measure_parse (unknown[index], &measure), -1);
        assert_int_equal (measure, KPI_MEASURE_CSAT_SUM);
    }
    kpi_measure_t measure = KPI_MEASURE_CSAT_SUM;
    assert_int_equal (kpi_catalog_measure_parse (NULL, &measure), -1);
    assert_int_equal (measure, KPI_MEASURE_CSAT_SUM);
}

static void
test_unit_names (void **state)
{
    (void) state;
    assert_string_equal (kpi_catalog_unit_name (KPI_UNIT_MONEY), "money");
    assert_string_equal (kpi_catalog_unit_name (KPI_UNIT_COUNT), "count");
    assert_string_equal (kpi_catalog_unit_name (KPI_UNIT_RATIO), "ratio");
    assert_string_equal (kpi_catalog_unit_name (KPI_UNIT_AVERAGE), "average");
    assert_string_equal (kpi_catalog_unit_name (KPI_UNIT_PER_DAY), "per_day");
    assert_string_equal (kpi_catalog_unit_name (KPI_UNIT_SCORE), "score");
    assert_null (kpi_catalog_unit_name ((kpi_unit_t) (KPI_UNIT_SCORE + 1)));
    assert_null (kpi_catalog_unit_name ((kpi_unit_t) 255));
    /* every KPI's unit has a name */
    for (size_t index = 0; index < kpi_catalog_count (); index++)
        assert_non_null (kpi_catalog_unit_name (kpi_catalog_at (index)->unit));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_catalog_lists_every_kpi),
        cmocka_unit_test (test_find_refuses_unknown_names),
        cmocka_unit_test (test_value_of_every_kpi),
        cmocka_unit_test (test_zero_sums_of_every_kpi),
        cmocka_unit_test (test_working_days_matter_only_per_day),
        cmocka_unit_test (test_overflow_is_refused),
        cmocka_unit_test (test_roll_up_is_a_ratio_of_sums),
        cmocka_unit_test (test_measure_names_round_trip),
        cmocka_unit_test (test_unit_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
