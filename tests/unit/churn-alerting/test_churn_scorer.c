/*  test_churn_scorer - the scorer's period arithmetic
    (churn_scorer_period_end, churn_scorer_periods): daily and weekly
    periods, a customer never scored starts at its first event's period,
    a scored one the period after its last, nothing when up to date or the
    clock is before the start, and a long silence catches up the latest
    CHURN_SCORER_CATCH_UP_PERIODS periods only. (The scorer's I/O is
    tested end to end: tests/integration/test_churn_alerts.c.)
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "churn_scorer.h"

#define DAY 20000 /* a day number; 20000 % 7 == 1 */

static void
test_period_end (void **state)
{
    (void) state;
    assert_int_equal (churn_scorer_period_end (DAY, 1), DAY);
    /* weekly: the days d with (d + 1) % 7 == 0 */
    assert_int_equal (churn_scorer_period_end (DAY, 7), DAY + 5);
    assert_int_equal (churn_scorer_period_end (DAY + 5, 7), DAY + 5);
    assert_int_equal (churn_scorer_period_end (DAY + 6, 7), DAY + 12);
    assert_int_equal (churn_scorer_period_end (0, 7), 6);
}

static void
test_periods (void **state)
{
    (void) state;
    int64_t from = -1;
    /* never scored: from the first event's day */
    assert_int_equal (churn_scorer_periods (false, 0, DAY, DAY + 9, 1, &from), 10);
    assert_int_equal (from, DAY);
    /* scored: from the day after */
    assert_int_equal (churn_scorer_periods (true, DAY + 4, DAY, DAY + 9, 1, &from), 5);
    assert_int_equal (from, DAY + 5);
    /* up to date, or the clock before the first event */
    from = -1;
    assert_int_equal (churn_scorer_periods (true, DAY + 9, DAY, DAY + 9, 1, &from), 0);
    assert_int_equal (churn_scorer_periods (false, 0, DAY, DAY - 1, 1, &from), 0);
    assert_int_equal (from, -1);
    /* weekly: the period days DAY + 5, + 12, + 19 up to DAY + 20 */
    assert_int_equal (churn_scorer_periods (false, 0, DAY, DAY + 20, 7, &from), 3);
    assert_int_equal (from, DAY + 5);
    assert_int_equal (churn_scorer_periods (false, 0, DAY, DAY + 4, 7, &from), 0);
    /* a long silence: the latest periods only */
    assert_int_equal (churn_scorer_periods (true, DAY, DAY, DAY + 1000, 1, &from),
                      CHURN_SCORER_CATCH_UP_PERIODS);
    assert_int_equal (from, DAY + 1001 - CHURN_SCORER_CATCH_UP_PERIODS);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_period_end),
        cmocka_unit_test (test_periods),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
