/*  test_backoff - exponential backoff with equal jitter (sp_backoff). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_backoff.h"

#define TEST_DRAWS 2000 /* draws per attempt number */

/* Every delay lies in [cap/2, cap]; both ends and the middle get drawn. */
static void
test_delays_double_and_stay_in_the_upper_half (void **state)
{
    (void) state;
    sp_backoff_t backoff;
    sp_backoff_init (&backoff, 100, 5000);
    const int64_t caps[] = { 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000 };
    for (int attempt = 0; attempt < (int) (sizeof caps / sizeof caps[0]); attempt++) {
        int64_t low = INT64_MAX, high = 0;
        for (int draw = 0; draw < TEST_DRAWS; draw++) {
            int64_t delay = sp_backoff_delay_ms (&backoff, attempt);
            assert_in_range (delay, caps[attempt] / 2, caps[attempt]);
            low = delay < low ? delay : low;
            high = delay > high ? delay : high;
        }
        assert_true (low < caps[attempt] / 2 + caps[attempt] / 10);
        assert_true (high > caps[attempt] - caps[attempt] / 10);
    }
}

static void
test_large_attempt_numbers_stay_capped (void **state)
{
    (void) state;
    sp_backoff_t backoff;
    sp_backoff_init (&backoff, 1, 60000);
    assert_in_range (sp_backoff_delay_ms (&backoff, 1000000), 30000, 60000);
}

static void
test_zero_and_tiny_delays (void **state)
{
    (void) state;
    sp_backoff_t backoff;
    sp_backoff_init (&backoff, 0, 0);
    assert_int_equal (sp_backoff_delay_ms (&backoff, 0), 0);
    assert_int_equal (sp_backoff_delay_ms (&backoff, 5), 0);
    sp_backoff_init (&backoff, 1, 1);
    for (int draw = 0; draw < TEST_DRAWS; draw++)
        assert_in_range (sp_backoff_delay_ms (&backoff, draw % 4), 0, 1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_delays_double_and_stay_in_the_upper_half),
        cmocka_unit_test (test_large_attempt_numbers_stay_capped),
        cmocka_unit_test (test_zero_and_tiny_delays),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
