/*  test_round - sp_round_divide rounds half away from zero. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_round.h"

static void
test_halves_go_away_from_zero (void **state)
{
    (void) state;
    assert_true (sp_round_divide (5, 2) == 3);
    assert_true (sp_round_divide (-5, 2) == -3);
    assert_true (sp_round_divide (1, 2) == 1);
    assert_true (sp_round_divide (-1, 2) == -1);
    assert_true (sp_round_divide (15, 10) == 2);
    assert_true (sp_round_divide (-15, 10) == -2);
}

static void
test_other_remainders (void **state)
{
    (void) state;
    assert_true (sp_round_divide (4, 3) == 1);   /* 1.33 */
    assert_true (sp_round_divide (5, 3) == 2);   /* 1.67 */
    assert_true (sp_round_divide (-4, 3) == -1); /* -1.33 */
    assert_true (sp_round_divide (-5, 3) == -2); /* -1.67 */
    assert_true (sp_round_divide (0, 7) == 0);
    assert_true (sp_round_divide (14, 7) == 2);
    assert_true (sp_round_divide (-14, 7) == -2);
    assert_true (sp_round_divide (149, 100) == 1);
    assert_true (sp_round_divide (150, 100) == 2);
}

static void
test_wide_values (void **state)
{
    (void) state;
    /* 10^15 minor units × 1,000,000 ppm ÷ 3: 333,333,333,333,333,333,333.33 */
    __int128 big = (__int128) 1000000000000000 * 1000000;
    __int128 third = (__int128) 333333333333333 * 1000000 + 333333;
    assert_true (sp_round_divide (big, 3) == third);
    assert_true (sp_round_divide (-big, 3) == -third);
    /* the half of an odd product */
    assert_true (sp_round_divide (big + 1, 2) == big / 2 + 1);
    assert_true (sp_round_divide (-(big + 1), 2) == -(big / 2 + 1));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_halves_go_away_from_zero),
        cmocka_unit_test (test_other_remainders),
        cmocka_unit_test (test_wide_values),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
