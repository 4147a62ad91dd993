/*  test_incentive_draw - recoverable and non-recoverable draws, delayed
    recovery, deficits and the end of a draw (incentive_draw).

    The acceptance sequence is checked to the unit: a recoverable
    draw of 2,000 a month over earnings 2,750, 3,000, 1,500, 2,375, 3,000,
    2,750 pays 2,750, 3,000, 2,000, 2,000, 2,875, 2,750 (month 3 advances
    500; month 4 recovers 375 of it, month 5 the last 125). Every other
    figure is worked out by hand in the comment above its assertion.
    Amounts are whole units here (the module does not care about scale).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "incentive_draw.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define FILL 0x5a /* pattern of an output before a call that must fail */

static incentive_draw_terms_t
s_terms (int64_t amount, bool recoverable, int64_t periods, int64_t recovery_start)
{
    incentive_draw_terms_t terms = { amount, recoverable, periods, recovery_start };
    return terms;
}

/* Runs terms over earnings and checks pay and the balance after each. */
static void
s_assert_run (const incentive_draw_terms_t *terms, const int64_t *earnings, size_t count,
              const int64_t *pay, const int64_t *balance)
{
    incentive_draw_period_t out[16];
    assert_true (count <= COUNT (out));
    assert_int_equal (incentive_draw_run (terms, earnings, count, out), 0);
    int64_t carried = 0;
    for (size_t index = 0; index < count; index++) {
        assert_int_equal (out[index].index, (int64_t) index);
        assert_int_equal (out[index].earnings, earnings[index]);
        assert_int_equal (out[index].pay, pay[index]);
        assert_int_equal (out[index].balance_before, carried);
        assert_int_equal (out[index].balance_after, balance[index]);
        /* pay is always the sum of the parts */
        assert_int_equal (out[index].pay, out[index].earnings + out[index].advance +
                                              out[index].deficit - out[index].recovery);
        carried = balance[index];
    }
}

/* The acceptance figures, to the unit. */
static void
test_acceptance_sequence (void **state)
{
    (void) state;
    incentive_draw_terms_t terms = s_terms (2000, true, INCENTIVE_DRAW_OPEN_END, 0);
    const int64_t earnings[] = { 2750, 3000, 1500, 2375, 3000, 2750 };
    const int64_t pay[] = { 2750, 3000, 2000, 2000, 2875, 2750 };
    /* owed: 0, 0, +500, 500 - 375 = 125, 125 - 125 = 0, 0 */
    const int64_t balance[] = { 0, 0, 500, 125, 0, 0 };
    s_assert_run (&terms, earnings, COUNT (earnings), pay, balance);

    incentive_draw_period_t out[6];
    assert_int_equal (incentive_draw_run (&terms, earnings, COUNT (earnings), out), 0);
    assert_int_equal (out[2].advance, 500);
    assert_int_equal (out[3].recovery, 375);
    assert_int_equal (out[4].recovery, 125);
    assert_true (out[0].active && out[5].active);
}

/* Recovery held until the draw's third period (index 2). */
static void
test_delayed_recovery (void **state)
{
    (void) state;
    incentive_draw_terms_t terms = s_terms (2000, true, INCENTIVE_DRAW_OPEN_END, 2);
    /* 0: 1,000 -> pay 2,000, owe 1,000. 1: 3,000 -> recovery not yet: pay
       3,000, owe 1,000. 2: 2,600 -> surplus 600 recovered: pay 2,000, owe
       400. 3: 5,000 -> surplus 3,000, recover 400: pay 4,600, owe 0. */
    const int64_t earnings[] = { 1000, 3000, 2600, 5000 };
    const int64_t pay[] = { 2000, 3000, 2000, 4600 };
    const int64_t balance[] = { 1000, 1000, 400, 0 };
    s_assert_run (&terms, earnings, COUNT (earnings), pay, balance);
}

/* Non-recoverable: the top-up is never owed back. */
static void
test_non_recoverable (void **state)
{
    (void) state;
    incentive_draw_terms_t terms = s_terms (2000, false, INCENTIVE_DRAW_OPEN_END, 0);
    /* The acceptance earnings: month 3 is topped up by 500 and nothing is
       recovered later, so months 4 and 5 pay 2,375 and 3,000 in full. */
    const int64_t earnings[] = { 2750, 3000, 1500, 2375, 3000, 2750 };
    const int64_t pay[] = { 2750, 3000, 2000, 2375, 3000, 2750 };
    const int64_t balance[] = { 0, 0, 0, 0, 0, 0 };
    s_assert_run (&terms, earnings, COUNT (earnings), pay, balance);
}

/* A clawback larger than the month's earnings: the deficit is owed even on
   a non-recoverable draw, while the draw still guarantees 2,000. */
static void
test_deficit (void **state)
{
    (void) state;
    incentive_draw_terms_t terms = s_terms (2000, false, INCENTIVE_DRAW_OPEN_END, 0);
    /* 0: -500 -> deficit 500 owed, top-up 2,000: pay 2,000. 1: 2,300 ->
       surplus 300 recovered: pay 2,000, owe 200. 2: 4,000 -> recover 200:
       pay 3,800. */
    const int64_t earnings[] = { -500, 2300, 4000 };
    const int64_t pay[] = { 2000, 2000, 3800 };
    const int64_t balance[] = { 500, 200, 0 };
    s_assert_run (&terms, earnings, COUNT (earnings), pay, balance);

    incentive_draw_period_t out;
    assert_int_equal (incentive_draw_settle (&terms, 0, 0, -500, &out), 0);
    assert_int_equal (out.deficit, 500);
    assert_int_equal (out.advance, 2000);

    /* Without a draw: the deficit is carried and recovered from any
       positive commission, pay never negative. -700 -> pay 0, owe 700;
       500 -> pay 0, owe 200; 1,000 -> pay 800. */
    incentive_draw_terms_t none;
    incentive_draw_terms_none (&none);
    const int64_t plain[] = { -700, 500, 1000 };
    const int64_t plain_pay[] = { 0, 0, 800 };
    const int64_t plain_balance[] = { 700, 200, 0 };
    s_assert_run (&none, plain, COUNT (plain), plain_pay, plain_balance);
}

/* A draw of three periods: after it, no guarantee, and the balance is
   recovered from any positive commission. */
static void
test_draw_end (void **state)
{
    (void) state;
    incentive_draw_terms_t terms = s_terms (2000, true, 3, 0);
    /* 0: 500 -> pay 2,000, owe 1,500. 1: 1,000 -> pay 2,000, owe 2,500.
       2: 2,400 -> recover 400: pay 2,000, owe 2,100. 3 (ended): 1,500 ->
       recover 1,500: pay 0, owe 600. 4: 3,000 -> recover 600: pay 2,400. */
    const int64_t earnings[] = { 500, 1000, 2400, 1500, 3000 };
    const int64_t pay[] = { 2000, 2000, 2000, 0, 2400 };
    const int64_t balance[] = { 1500, 2500, 2100, 600, 0 };
    s_assert_run (&terms, earnings, COUNT (earnings), pay, balance);
    assert_true (incentive_draw_active (&terms, 2));
    assert_false (incentive_draw_active (&terms, 3));
    assert_false (incentive_draw_active (&terms, -1));
}

/* Settling one period before the draw starts: no guarantee. */
static void
test_before_draw (void **state)
{
    (void) state;
    incentive_draw_terms_t terms = s_terms (2000, true, INCENTIVE_DRAW_OPEN_END, 0);
    incentive_draw_period_t out;
    assert_int_equal (incentive_draw_settle (&terms, -1, 0, 700, &out), 0);
    assert_false (out.active);
    assert_int_equal (out.pay, 700);
    assert_int_equal (out.advance, 0);
}

/* Bad terms and inputs are refused and leave the output untouched. */
static void
test_refused (void **state)
{
    (void) state;
    incentive_draw_period_t out;
    incentive_draw_period_t before;
    memset (&out, FILL, sizeof out);
    memset (&before, FILL, sizeof before);
    char error[INCENTIVE_DRAW_ERROR_SIZE];

    incentive_draw_terms_t bad = s_terms (-1, true, 0, 0);
    assert_int_equal (incentive_draw_check (&bad, error, sizeof error), -1);
    assert_string_equal (error, "draw amount: -1 minor units is out of range");
    assert_int_equal (incentive_draw_settle (&bad, 0, 0, 100, &out), -1);
    bad = s_terms (100, true, -2, 0);
    assert_int_equal (incentive_draw_check (&bad, error, sizeof error), -1);
    assert_string_equal (error, "draw periods: -2 is negative");
    bad = s_terms (100, true, 0, -1);
    assert_int_equal (incentive_draw_check (&bad, error, sizeof error), -1);
    assert_string_equal (error, "draw recovery start: -1 is negative");

    incentive_draw_terms_t good = s_terms (100, true, 0, 0);
    assert_int_equal (incentive_draw_check (&good, error, sizeof error), 0);
    assert_int_equal (incentive_draw_settle (&good, 0, -1, 100, &out), -1);
    assert_int_equal (incentive_draw_settle (&good, 0, 0, INT64_MAX, &out), -1);
    assert_memory_equal (&out, &before, sizeof out);

    incentive_draw_period_t runs[2];
    incentive_draw_period_t runs_before[2];
    memset (runs, FILL, sizeof runs);
    memset (runs_before, FILL, sizeof runs_before);
    const int64_t earnings[] = { 100, INT64_MIN };
    assert_int_equal (incentive_draw_run (&good, earnings, 2, runs), -1);
    assert_memory_equal (runs, runs_before, sizeof runs);
    assert_int_equal (incentive_draw_run (&bad, earnings, 1, runs), -1);
    assert_int_equal (incentive_draw_run (&good, NULL, 0, NULL), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_acceptance_sequence),
        cmocka_unit_test (test_delayed_recovery),
        cmocka_unit_test (test_non_recoverable),
        cmocka_unit_test (test_deficit),
        cmocka_unit_test (test_draw_end),
        cmocka_unit_test (test_before_draw),
        cmocka_unit_test (test_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
