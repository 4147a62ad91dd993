/*  test_incentive_rates - the rate engine: marginal and retroactive bands,
    gates, caps, accelerators on attainment, multipliers of a target
    incentive, proration, the one rounding rule, table validation with
    its exact messages, and two properties over thousands of bases.

    Every figure is derived by hand in the comment next to it. Money is
    USD in cents.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "incentive_rates.h"

#define PPM INCENTIVE_RATES_PPM
#define PERCENT (PPM / 100) /* 1 % in ppm */
#define USD(major) ((int64_t) (major) *100)
#define FILL 0x5a

/* A table of count bands given as {lo, hi (-1 = open), rate ppm, mode}. */
typedef struct {
    int64_t lo, hi, rate;
    incentive_rates_mode_t mode;
} band_spec_t;

static incentive_rates_table_t
s_table (incentive_rates_basis_t basis, incentive_rates_pays_t pays, const band_spec_t *specs,
         size_t count)
{
    incentive_rates_table_t table;
    memset (&table, 0, sizeof table);
    snprintf (table.id, sizeof table.id, "t");
    table.basis = basis;
    table.pays = pays;
    table.band_count = count;
    for (size_t index = 0; index < count; index++) {
        table.bands[index].lo = specs[index].lo;
        table.bands[index].hi = specs[index].hi < 0 ? 0 : specs[index].hi;
        table.bands[index].open = specs[index].hi < 0;
        table.bands[index].rate_ppm = specs[index].rate;
        table.bands[index].mode = specs[index].mode;
    }
    return table;
}

/* The acceptance table: 0-5,000 at 5 %, 5,000-10,000 at 10 %, above at 15 %. */
static incentive_rates_table_t
s_tiers (incentive_rates_mode_t mode)
{
    band_spec_t specs[] = { { 0, USD (5000), 5 * PERCENT, mode },
                            { USD (5000), USD (10000), 10 * PERCENT, mode },
                            { USD (10000), -1, 15 * PERCENT, mode } };
    return s_table (INCENTIVE_RATES_ON_AMOUNT, INCENTIVE_RATES_PAYS_RATE, specs, 3);
}

static const incentive_rates_context_t s_whole = { .quota = USD (1000000),
                                                   .weight_bp = INCENTIVE_RATES_BASIS_POINTS,
                                                   .active_days = 90,
                                                   .period_days = 90 };

static int64_t
s_earn (const incentive_rates_table_t *table, const incentive_rates_context_t *context,
        int64_t before, int64_t after)
{
    incentive_rates_result_t result;
    assert_true (incentive_rates_table_check (table, "t", "bands", INCENTIVE_RATES_RATE_MAX_PPM, 2,
                                              1, (char[INCENTIVE_RATES_ERROR_SIZE]){ 0 },
                                              INCENTIVE_RATES_ERROR_SIZE) == 0);
    assert_int_equal (incentive_rates_earn (table, context, before, after, &result), 0);
    return result.amount;
}

/* Sales 11,000: marginal 5 % × 5,000 + 10 % × 5,000 + 15 % × 1,000 =
   250 + 500 + 150 = 900.00; retroactive 15 % × 11,000 = 1,650.00. */
static void
test_marginal_versus_retroactive (void **state)
{
    (void) state;
    incentive_rates_table_t marginal = s_tiers (INCENTIVE_RATES_MARGINAL);
    incentive_rates_table_t retroactive = s_tiers (INCENTIVE_RATES_RETROACTIVE);
    assert_int_equal (s_earn (&marginal, &s_whole, 0, USD (11000)), USD (900));
    assert_int_equal (s_earn (&retroactive, &s_whole, 0, USD (11000)), USD (1650));
    /* Exactly 5,000 is in [5,000, 10,000): retroactive 10 % × 5,000 = 500. */
    assert_int_equal (s_earn (&retroactive, &s_whole, 0, USD (5000)), USD (500));
    assert_int_equal (s_earn (&marginal, &s_whole, 0, USD (5000)), USD (250));
    /* A deal from 4,000 to 6,000, retroactive: 10 % × 6,000 - 5 % × 4,000
       = 600 - 200 = 400.00, made of band 0 re-priced (4,000 × 5 % more +
       1,000 at 10 % = 300) and band 1 (1,000 at 10 % = 100). */
    incentive_rates_result_t line;
    assert_int_equal (incentive_rates_earn (&retroactive, &s_whole, USD (4000), USD (6000), &line),
                      0);
    assert_int_equal (line.amount, USD (400));
    assert_string_equal (line.rule, "t");
    assert_int_equal (line.part_count, 2);
    assert_int_equal (line.parts[0].band, 0);
    assert_int_equal (line.parts[0].mode, INCENTIVE_RATES_RETROACTIVE);
    assert_int_equal (line.parts[0].rate_ppm, 5 * PERCENT);
    assert_int_equal (line.parts[0].applied_rate_ppm, 10 * PERCENT);
    assert_int_equal (line.parts[0].amount_micro, USD (300) * PPM);
    assert_int_equal (line.parts[1].band, 1);
    assert_int_equal (line.parts[1].lo, USD (5000));
    assert_int_equal (line.parts[1].hi, USD (10000));
    assert_int_equal (line.parts[1].amount_micro, USD (100) * PPM);
    /* Marginal, same deal: 1,000 × 5 % + 1,000 × 10 % = 150.00. */
    assert_int_equal (s_earn (&marginal, &s_whole, USD (4000), USD (6000)), USD (150));
    /* A cancellation reverses: 6,000 back to 4,000 is -400.00. */
    assert_int_equal (s_earn (&retroactive, &s_whole, USD (6000), USD (4000)), -USD (400));
}

/* A gate at 70 % of 1,000,000 paying 10 %. Whole: 690,000 -> 0;
   700,000 -> 10 % × 700,000 = 70,000.00. Excess: 700,000 -> 0;
   800,000 -> 10 % × 100,000 = 10,000.00. */
static void
test_gate_whole_and_excess (void **state)
{
    (void) state;
    band_spec_t specs[] = { { 0, -1, 10 * PERCENT, INCENTIVE_RATES_MARGINAL } };
    incentive_rates_table_t table =
        s_table (INCENTIVE_RATES_ON_AMOUNT, INCENTIVE_RATES_PAYS_RATE, specs, 1);
    table.has_gate = true;
    table.gate_ppm = 70 * PERCENT;
    assert_int_equal (s_earn (&table, &s_whole, 0, USD (690000)), 0);
    assert_int_equal (s_earn (&table, &s_whole, 0, USD (700000)), USD (70000));
    incentive_rates_result_t line;
    assert_int_equal (incentive_rates_earn (&table, &s_whole, USD (690000), USD (700000), &line),
                      0);
    assert_int_equal (line.amount, USD (70000)); /* the deal crossing pays the whole base */
    assert_true (line.gate_crossed);
    assert_false (line.below_gate);
    assert_int_equal (line.attainment_before_ppm, 69 * PERCENT);
    assert_int_equal (line.attainment_after_ppm, 70 * PERCENT);
    assert_int_equal (incentive_rates_earn (&table, &s_whole, 0, USD (690000), &line), 0);
    assert_true (line.below_gate);
    assert_int_equal (line.part_count, 0);
    table.gate_pays = INCENTIVE_RATES_GATE_EXCESS;
    assert_int_equal (s_earn (&table, &s_whole, 0, USD (690000)), 0);
    assert_int_equal (s_earn (&table, &s_whole, 0, USD (700000)), 0);
    assert_int_equal (s_earn (&table, &s_whole, 0, USD (800000)), USD (10000));
    assert_int_equal (s_earn (&table, &s_whole, USD (650000), USD (750000)), USD (5000));
}

/* Payout cap 5,000.00 on 10 %: 80,000 would pay 8,000 -> 5,000.00; a
   deal from 40,000 (4,000) to 80,000 pays 1,000.00. Attainment cap 1.5
   of a 100,000 quota: 200,000 counts as 150,000 -> 15,000.00. */
static void
test_caps (void **state)
{
    (void) state;
    band_spec_t specs[] = { { 0, -1, 10 * PERCENT, INCENTIVE_RATES_MARGINAL } };
    incentive_rates_table_t table =
        s_table (INCENTIVE_RATES_ON_AMOUNT, INCENTIVE_RATES_PAYS_RATE, specs, 1);
    table.has_payout_cap = true;
    table.payout_cap = USD (5000);
    assert_int_equal (s_earn (&table, &s_whole, 0, USD (80000)), USD (5000));
    incentive_rates_result_t line;
    assert_int_equal (incentive_rates_earn (&table, &s_whole, USD (40000), USD (80000), &line), 0);
    assert_int_equal (line.amount, USD (1000));
    assert_true (line.payout_capped);
    assert_int_equal (s_earn (&table, &s_whole, USD (80000), USD (90000)), 0);
    incentive_rates_table_t attainment =
        s_table (INCENTIVE_RATES_ON_AMOUNT, INCENTIVE_RATES_PAYS_RATE, specs, 1);
    attainment.has_attainment_cap = true;
    attainment.attainment_cap_ppm = 150 * PERCENT;
    incentive_rates_context_t context = s_whole;
    context.quota = USD (100000);
    assert_int_equal (incentive_rates_earn (&attainment, &context, 0, USD (200000), &line), 0);
    assert_int_equal (line.amount, USD (15000));
    assert_true (line.attainment_capped);
    assert_int_equal (line.attainment_after_ppm, 200 * PERCENT);
}

/* Target incentive 10,000, quota 100,000; multipliers ×1 to 100 %, ×2 to
   150 %, ×3 above. 120 %: 10,000 × 1 + 10,000 × 0.2 × 2 = 14,000.00.
   160 %: 10,000 + 10,000 × 0.5 × 2 + 10,000 × 0.1 × 3 = 23,000.00. A
   decelerator ×0.5 above 100 %: 120 % -> 10,000 + 1,000 = 11,000.00.
   With weight 0.6 the first figure is 8,400.00. */
static void
test_accelerators_on_attainment (void **state)
{
    (void) state;
    band_spec_t specs[] = { { 0, PPM, PPM, INCENTIVE_RATES_MARGINAL },
                            { PPM, 150 * PERCENT, 2 * PPM, INCENTIVE_RATES_MARGINAL },
                            { 150 * PERCENT, -1, 3 * PPM, INCENTIVE_RATES_MARGINAL } };
    incentive_rates_table_t table =
        s_table (INCENTIVE_RATES_ON_ATTAINMENT, INCENTIVE_RATES_PAYS_TARGET, specs, 3);
    incentive_rates_context_t context = s_whole;
    context.quota = USD (100000);
    context.target_incentive = USD (10000);
    assert_int_equal (s_earn (&table, &context, 0, USD (120000)), USD (14000));
    assert_int_equal (s_earn (&table, &context, 0, USD (160000)), USD (23000));
    context.weight_bp = 6000;
    assert_int_equal (s_earn (&table, &context, 0, USD (120000)), USD (8400));
    band_spec_t slower[] = { { 0, PPM, PPM, INCENTIVE_RATES_MARGINAL },
                             { PPM, -1, PPM / 2, INCENTIVE_RATES_MARGINAL } };
    incentive_rates_table_t decelerated =
        s_table (INCENTIVE_RATES_ON_ATTAINMENT, INCENTIVE_RATES_PAYS_TARGET, slower, 2);
    context.weight_bp = INCENTIVE_RATES_BASIS_POINTS;
    assert_int_equal (s_earn (&decelerated, &context, 0, USD (120000)), USD (11000));
}

/* A retroactive base with a marginal accelerator, on attainment of a
   100,000 quota: 2 % to 50 %, 4 % to 100 % (both retroactive), 8 %
   marginal above. 40,000 -> 2 % × 40,000 = 800.00; 120,000 -> 4 % ×
   100,000 + 8 % × 20,000 = 5,600.00; a deal 40,000 -> 60,000 pays
   4 % × 60,000 - 800 = 1,600.00: band 0 re-priced +1,200, band 1 +400. */
static void
test_mixed_modes (void **state)
{
    (void) state;
    band_spec_t specs[] = { { 0, 50 * PERCENT, 2 * PERCENT, INCENTIVE_RATES_RETROACTIVE },
                            { 50 * PERCENT, PPM, 4 * PERCENT, INCENTIVE_RATES_RETROACTIVE },
                            { PPM, -1, 8 * PERCENT, INCENTIVE_RATES_MARGINAL } };
    incentive_rates_table_t table =
        s_table (INCENTIVE_RATES_ON_ATTAINMENT, INCENTIVE_RATES_PAYS_RATE, specs, 3);
    incentive_rates_context_t context = s_whole;
    context.quota = USD (100000);
    assert_int_equal (s_earn (&table, &context, 0, USD (40000)), USD (800));
    assert_int_equal (s_earn (&table, &context, 0, USD (120000)), USD (5600));
    incentive_rates_result_t line;
    assert_int_equal (incentive_rates_earn (&table, &context, USD (40000), USD (60000), &line), 0);
    assert_int_equal (line.amount, USD (1600));
    assert_int_equal (line.part_count, 2);
    assert_int_equal (line.parts[0].amount_micro, USD (1200) * PPM);
    assert_int_equal (line.parts[0].applied_rate_ppm, 4 * PERCENT);
    assert_int_equal (line.parts[1].amount_micro, USD (400) * PPM);
    int64_t total;
    assert_int_equal (incentive_rates_total (&table, &context, USD (120000), &total), 0);
    assert_int_equal (total, USD (5600));
}

/* Quota 90,000 for a 90-day quarter, active 30 days: quota 30,000. 5 %
   to 100 %, 10 % above: 40,000 -> 1,500 + 1,000 = 2,500.00. A payout cap
   of 3,000 prorates to 1,000.00. Quota 100,000, 10 of 31 days: quota
   32,258.0645...; 10 % below, 20 % above; 40,000 -> 0.1 Q + 0.2 (40,000
   - Q) = 8,000 - 0.1 Q = 4,774.193548... -> 4,774.19, the bound never
   rounded. */
static void
test_proration (void **state)
{
    (void) state;
    band_spec_t specs[] = { { 0, PPM, 5 * PERCENT, INCENTIVE_RATES_MARGINAL },
                            { PPM, -1, 10 * PERCENT, INCENTIVE_RATES_MARGINAL } };
    incentive_rates_table_t table =
        s_table (INCENTIVE_RATES_ON_ATTAINMENT, INCENTIVE_RATES_PAYS_RATE, specs, 2);
    incentive_rates_context_t context = { .quota = USD (90000),
                                          .weight_bp = INCENTIVE_RATES_BASIS_POINTS,
                                          .active_days = 30,
                                          .period_days = 90 };
    assert_int_equal (s_earn (&table, &context, 0, USD (40000)), USD (2500));
    table.has_payout_cap = true;
    table.payout_cap = USD (3000);
    assert_int_equal (s_earn (&table, &context, 0, USD (40000)), USD (1000));
    band_spec_t odd[] = { { 0, PPM, 10 * PERCENT, INCENTIVE_RATES_MARGINAL },
                          { PPM, -1, 20 * PERCENT, INCENTIVE_RATES_MARGINAL } };
    incentive_rates_table_t uneven =
        s_table (INCENTIVE_RATES_ON_ATTAINMENT, INCENTIVE_RATES_PAYS_RATE, odd, 2);
    incentive_rates_context_t month = { .quota = USD (100000),
                                        .weight_bp = INCENTIVE_RATES_BASIS_POINTS,
                                        .active_days = 10,
                                        .period_days = 31 };
    assert_int_equal (s_earn (&uneven, &month, 0, USD (40000)), 477419);
    assert_false (incentive_rates_context_valid (
        &uneven,
        &(incentive_rates_context_t){ .quota = USD (1), .active_days = 32, .period_days = 31 }));
    assert_false (incentive_rates_context_valid (
        &uneven, &(incentive_rates_context_t){ .quota = 0, .active_days = 1, .period_days = 31 }));
}

/* Half away from zero, once per line: 50 % of 1 cent is 0.5 -> 1; its
   reversal -0.5 -> -1; 0.45 -> 0. */
static void
test_rounding (void **state)
{
    (void) state;
    assert_int_equal (incentive_rates_round (5, 10), 1);
    assert_int_equal (incentive_rates_round (-5, 10), -1);
    assert_int_equal (incentive_rates_round (4, 10), 0);
    assert_int_equal (incentive_rates_round (-15, 10), -2);
    assert_int_equal (incentive_rates_round (25, 10), 3);
    assert_int_equal (incentive_rates_round (-24, 10), -2);
    band_spec_t half[] = { { 0, -1, 50 * PERCENT, INCENTIVE_RATES_MARGINAL } };
    incentive_rates_table_t table =
        s_table (INCENTIVE_RATES_ON_AMOUNT, INCENTIVE_RATES_PAYS_RATE, half, 1);
    assert_int_equal (s_earn (&table, &s_whole, 0, 1), 1);
    assert_int_equal (s_earn (&table, &s_whole, 1, 0), -1);
    table.bands[0].rate_ppm = 45 * PERCENT;
    assert_int_equal (s_earn (&table, &s_whole, 0, 1), 0);
    /* 0.123456 × 1,000,001 cents = 123,456.123456 -> 123,456. */
    table.bands[0].rate_ppm = 123456;
    assert_int_equal (s_earn (&table, &s_whole, 0, 1000001), 123456);
}

/* Marginal payout is continuous: a step of h cents earns at most
   15 % × h, rounded; and F rounded moves by 0 or 1 cent per cent of base.
   Checked over 0..1,500,000 cents and every cent around the bounds. */
static void
test_marginal_continuous (void **state)
{
    (void) state;
    incentive_rates_table_t table = s_tiers (INCENTIVE_RATES_MARGINAL);
    size_t checked = 0;
    for (int64_t base = 0; base <= USD (15000); base += 97) {
        incentive_rates_result_t line;
        assert_int_equal (incentive_rates_earn (&table, &s_whole, base, base + 100, &line), 0);
        assert_true (line.amount >= 5 && line.amount <= 15);
        checked++;
    }
    for (int64_t bound = USD (5000); bound <= USD (10000); bound += USD (5000))
        for (int64_t base = bound - 1000; base < bound + 1000; base++) {
            int64_t low, high;
            assert_int_equal (incentive_rates_total (&table, &s_whole, base, &low), 0);
            assert_int_equal (incentive_rates_total (&table, &s_whole, base + 1, &high), 0);
            assert_true (high - low >= 0 && high - low <= 1);
            checked++;
        }
    assert_true (checked > 5000);
}

/* Retroactive payout is monotone: F never falls as the base grows, and
   no increment earns a negative line. */
static void
test_retroactive_monotone (void **state)
{
    (void) state;
    incentive_rates_table_t table = s_tiers (INCENTIVE_RATES_RETROACTIVE);
    int64_t previous = 0;
    size_t checked = 0;
    for (int64_t base = 0; base <= USD (15000); base += 89) {
        int64_t total;
        assert_int_equal (incentive_rates_total (&table, &s_whole, base, &total), 0);
        assert_true (total >= previous);
        previous = total;
        incentive_rates_result_t line;
        assert_int_equal (incentive_rates_earn (&table, &s_whole, base, base + 53, &line), 0);
        assert_true (line.amount >= 0);
        checked++;
    }
    assert_true (checked > 10000);
    /* The jump at 5,000: 4,999.99 pays 249.9995 -> 250.00, 5,000 pays 500. */
    int64_t below, at;
    assert_int_equal (incentive_rates_total (&table, &s_whole, USD (5000) - 1, &below), 0);
    assert_int_equal (incentive_rates_total (&table, &s_whole, USD (5000), &at), 0);
    assert_int_equal (below, USD (250));
    assert_int_equal (at, USD (500));
}

static void
test_ppm_parse (void **state)
{
    (void) state;
    char error[INCENTIVE_RATES_ERROR_SIZE];
    int64_t ppm = 7;
    assert_int_equal (incentive_rates_ppm_parse ("0.05", 10 * PPM, &ppm, error, sizeof error), 0);
    assert_int_equal (ppm, 50000);
    assert_int_equal (incentive_rates_ppm_parse ("1.5", 10 * PPM, &ppm, error, sizeof error), 0);
    assert_int_equal (ppm, 1500000);
    assert_int_equal (incentive_rates_ppm_parse ("10", 10 * PPM, &ppm, error, sizeof error), 0);
    assert_int_equal (ppm, 10 * PPM);
    assert_int_equal (incentive_rates_ppm_parse ("0.000001", PPM, &ppm, error, sizeof error), 0);
    assert_int_equal (ppm, 1);
    const struct {
        const char *text;
        const char *message;
    } refused[] = {
        { "0.1234567", "\"0.1234567\" has more than 6 decimals" },
        { "-0.05", "\"-0.05\" is negative" },
        { "10.000001", "\"10.000001\" is above 10" },
        { "123456789012345678901", "\"123456789012345678901\" is above 10" },
        { "abc", "\"abc\" is not a decimal such as \"0.05\"" },
        { "", "\"\" is not a decimal such as \"0.05\"" },
        { ".5", "\".5\" is not a decimal such as \"0.05\"" },
        { "5.", "\"5.\" is not a decimal such as \"0.05\"" },
        { "5%", "\"5%\" is not a decimal such as \"0.05\"" },
    };
    for (size_t index = 0; index < sizeof refused / sizeof refused[0]; index++) {
        ppm = 7;
        assert_int_equal (
            incentive_rates_ppm_parse (refused[index].text, 10 * PPM, &ppm, error, sizeof error),
            -1);
        assert_string_equal (error, refused[index].message);
        assert_int_equal (ppm, 7);
    }
    char text[INCENTIVE_RATES_TEXT_SIZE];
    assert_string_equal (incentive_rates_ppm_text (50000, text, sizeof text), "0.05");
    assert_string_equal (incentive_rates_ppm_text (1500000, text, sizeof text), "1.5");
    assert_string_equal (incentive_rates_ppm_text (-50000, text, sizeof text), "-0.05");
    assert_string_equal (incentive_rates_ppm_text (2 * PPM, text, sizeof text), "2");
    incentive_rates_mode_t mode = INCENTIVE_RATES_MARGINAL;
    assert_int_equal (incentive_rates_mode_parse ("retroactive", &mode), 0);
    assert_int_equal (mode, INCENTIVE_RATES_RETROACTIVE);
    assert_int_equal (incentive_rates_mode_parse ("tiered", &mode), -1);
    assert_int_equal (mode, INCENTIVE_RATES_RETROACTIVE);
    assert_string_equal (incentive_rates_mode_name (INCENTIVE_RATES_MARGINAL), "marginal");
}

static void
s_refused (const incentive_rates_table_t *table, const char *message)
{
    char error[INCENTIVE_RATES_ERROR_SIZE];
    assert_int_equal (
        incentive_rates_table_check (table, "t", "bands", 10 * PPM, 2, 1, error, sizeof error), -1);
    assert_string_equal (error, message);
}

static void
test_table_refusals (void **state)
{
    (void) state;
    band_spec_t gap[] = { { 0, USD (5000), 5 * PERCENT, INCENTIVE_RATES_MARGINAL },
                          { USD (6000), USD (10000), 10 * PERCENT, INCENTIVE_RATES_MARGINAL } };
    incentive_rates_table_t table =
        s_table (INCENTIVE_RATES_ON_AMOUNT, INCENTIVE_RATES_PAYS_RATE, gap, 2);
    s_refused (&table, "field \"t.bands[1]\": gap between bands[0] [0.00, 5000.00) and bands[1] "
                       "[6000.00, 10000.00): [5000.00, 6000.00) is not covered");
    table.bands[1].lo = USD (4000);
    s_refused (&table, "field \"t.bands[1]\": bands[0] [0.00, 5000.00) and bands[1] [4000.00, "
                       "10000.00) overlap on [4000.00, 5000.00)");
    band_spec_t order[] = { { 0, USD (5000), 5 * PERCENT, INCENTIVE_RATES_MARGINAL },
                            { USD (5000), USD (10000), 10 * PERCENT, INCENTIVE_RATES_MARGINAL },
                            { USD (2000), -1, 15 * PERCENT, INCENTIVE_RATES_MARGINAL } };
    table = s_table (INCENTIVE_RATES_ON_AMOUNT, INCENTIVE_RATES_PAYS_RATE, order, 3);
    s_refused (&table, "field \"t.bands[2]\": bands out of order: bands[2] [2000.00, ...) starts "
                       "before bands[1] [5000.00, 10000.00)");
    table = s_tiers (INCENTIVE_RATES_MARGINAL);
    table.bands[1].rate_ppm = -5 * PERCENT;
    s_refused (&table, "field \"t.bands[1].rate\": -0.05 is negative");
    table.bands[1].rate_ppm = 11 * PPM;
    s_refused (&table, "field \"t.bands[1].rate\": 11 is above 10");
    table = s_tiers (INCENTIVE_RATES_RETROACTIVE);
    table.bands[2].rate_ppm = 5 * PERCENT;
    s_refused (&table, "field \"t.bands[2].rate\": retroactive rate 0.05 is below 0.1 of "
                       "bands[1]: it would take back pay already earned (make the band marginal)");
    table = s_tiers (INCENTIVE_RATES_MARGINAL);
    table.bands[0].lo = USD (10);
    s_refused (&table, "field \"t.bands[0].lo\": the first band must start at 0, not 10.00");
    table = s_tiers (INCENTIVE_RATES_MARGINAL);
    table.bands[1].hi = USD (5000);
    s_refused (&table, "field \"t.bands[1]\": lo 5000.00 is not below hi 5000.00");
    table = s_tiers (INCENTIVE_RATES_MARGINAL);
    table.bands[1].open = true;
    s_refused (&table, "field \"t.bands[1].hi\": required: only the last band may be open");
    table = s_tiers (INCENTIVE_RATES_MARGINAL);
    table.band_count = 0;
    s_refused (&table, "field \"t.bands\": a table has 1 to 16 bands, not 0");
    table = s_tiers (INCENTIVE_RATES_MARGINAL);
    table.has_gate = true;
    table.gate_ppm = 120 * PERCENT;
    s_refused (&table, "field \"t.gate.attainment\": 1.2 is above 1 (100 %)");
    table.gate_ppm = 0;
    s_refused (&table, "field \"t.gate.attainment\": must be above 0");
    table.has_gate = false;
    table.has_payout_cap = true;
    table.payout_cap = -100;
    s_refused (&table, "field \"t.cap.payout\": -1.00 is below 0");
    table.has_payout_cap = false;
    table.has_attainment_cap = true;
    table.attainment_cap_ppm = 0;
    s_refused (&table, "field \"t.cap.attainment\": must be above 0");
    /* Attainment bounds are written as decimals. */
    band_spec_t attainment[] = { { 0, 50 * PERCENT, PPM, INCENTIVE_RATES_MARGINAL },
                                 { 60 * PERCENT, -1, 2 * PPM, INCENTIVE_RATES_MARGINAL } };
    table = s_table (INCENTIVE_RATES_ON_ATTAINMENT, INCENTIVE_RATES_PAYS_TARGET, attainment, 2);
    s_refused (&table, "field \"t.bands[1]\": gap between bands[0] [0, 0.5) and bands[1] [0.6, "
                       "...): [0.5, 0.6) is not covered");
}

/* The two paths of the exact division give the same quotient, the same
   rounding and the same refusal: small values (the machine's 128-bit
   division), values of 129 to 256 bits (long division only), halves and
   quotients at INT64_MAX, over many pseudo-random values and divisors. */
static uint64_t
s_next (uint64_t *state)
{
    *state += UINT64_C (0x9e3779b97f4a7c15);
    uint64_t value = *state;
    value = (value ^ (value >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
    value = (value ^ (value >> 27)) * UINT64_C (0x94d049bb133111eb);
    return value ^ (value >> 31);
}

static void
s_same_division (const uint64_t value[INCENTIVE_RATES_WIDE_LIMBS], uint64_t high, uint64_t low)
{
    int64_t fast = -1, slow = -2;
    bool fast_ok = incentive_rates_divide_round (value, high, low, false, &fast);
    bool slow_ok = incentive_rates_divide_round (value, high, low, true, &slow);
    assert_int_equal (fast_ok, slow_ok);
    if (fast_ok)
        assert_int_equal (fast, slow);
    else
        assert_int_equal (fast, -1); /* untouched */
}

static void
test_divide_paths (void **state)
{
    (void) state;
    uint64_t seed = 13;
    for (int round = 0; round < 200000; round++) {
        uint64_t value[INCENTIVE_RATES_WIDE_LIMBS] = { 0, 0, 0, 0 };
        int limbs = 1 + (int) (s_next (&seed) % 4);
        for (int limb = 0; limb < limbs; limb++)
            value[limb] = s_next (&seed) >> (s_next (&seed) % 64);
        uint64_t high = 0, low = 0;
        switch (s_next (&seed) % 3) {
            case 0: /* up to 64 bits */
                low = s_next (&seed) >> (s_next (&seed) % 64);
                break;
            case 1: /* up to 126 bits */
                high = s_next (&seed) >> (2 + s_next (&seed) % 62);
                low = s_next (&seed);
                break;
            default: /* a power of ten, as the engine's denominators */
                low = 1;
                for (uint64_t tens = s_next (&seed) % 19; tens > 0; tens--)
                    low *= 10;
                break;
        }
        if (high == 0 && low == 0)
            low = 1;
        s_same_division (value, high, low);
    }
    /* exact halves round away from zero; INT64_MAX and above refused */
    const uint64_t halves[][INCENTIVE_RATES_WIDE_LIMBS] = {
        { 5, 0, 0, 0 },
        { 15, 0, 0, 0 },
        { UINT64_MAX, 0, 0, 0 },
        { UINT64_MAX, UINT64_MAX, 0, 0 },
        { 0, 0, 1, 0 },
        { (uint64_t) INT64_MAX * 2 - 2, 0, 0, 0 },
        { (uint64_t) INT64_MAX * 2 - 1, 0, 0, 0 },
        { (uint64_t) INT64_MAX * 2, 0, 0, 0 },
    };
    for (size_t index = 0; index < sizeof halves / sizeof halves[0]; index++) {
        s_same_division (halves[index], 0, 2);
        s_same_division (halves[index], 0, 10);
        s_same_division (halves[index], 1, 0);
    }
    int64_t quotient = 0;
    assert_true (incentive_rates_divide_round (halves[0], 0, 2, false, &quotient));
    assert_int_equal (quotient, 3); /* 2.5 -> 3 */
    assert_true (incentive_rates_divide_round (halves[5], 0, 2, false, &quotient));
    assert_int_equal (quotient, INT64_MAX - 1);
    assert_false (incentive_rates_divide_round (halves[7], 0, 2, false, &quotient));
    assert_false (incentive_rates_divide_round (halves[4], 0, 1, false, &quotient));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_marginal_versus_retroactive),
        cmocka_unit_test (test_gate_whole_and_excess),
        cmocka_unit_test (test_caps),
        cmocka_unit_test (test_accelerators_on_attainment),
        cmocka_unit_test (test_mixed_modes),
        cmocka_unit_test (test_proration),
        cmocka_unit_test (test_rounding),
        cmocka_unit_test (test_marginal_continuous),
        cmocka_unit_test (test_retroactive_monotone),
        cmocka_unit_test (test_ppm_parse),
        cmocka_unit_test (test_table_refusals),
        cmocka_unit_test (test_divide_paths),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
