/*  test_churn_history - a customer's score history between periods
    (churn_history): appending drops the oldest of a full history and
    refuses a period not after the latest or not valid; a period is made
    from a score with the interval only when it is the customer's own;
    the binary form reads back to the same history and every malformed
    form is refused with its reason and the output untouched.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "churn_history.h"

#define FILL 0x5a
#define FIRST_DAY 20000
#define ERROR_SIZE 256

static churn_rules_period_t
s_period (int64_t day, int score)
{
    churn_rules_period_t period;
    memset (&period, 0, sizeof period);
    period.day = day;
    period.has_score = score >= 0;
    period.score = score >= 0 ? score : 0;
    /* a band only with a score, as churn_history_period makes them */
    period.band = score >= 0 && score > 50 ? CHURN_BAND_GREEN : CHURN_BAND_RED;
    return period;
}

static void
test_append_keeps_the_latest (void **state)
{
    (void) state;
    churn_history_t history;
    churn_history_init (&history);
    int64_t day = 0;
    assert_false (churn_history_last_day (&history, &day));
    for (int index = 0; index < CHURN_RULES_HISTORY_MAX + 3; index++) {
        churn_rules_period_t period = s_period (FIRST_DAY + index, index);
        assert_int_equal (churn_history_append (&history, &period), 0);
    }
    assert_int_equal (history.count, CHURN_RULES_HISTORY_MAX);
    assert_int_equal (history.periods[0].day, FIRST_DAY + 3);
    assert_true (churn_history_last_day (&history, &day));
    assert_int_equal (day, FIRST_DAY + CHURN_RULES_HISTORY_MAX + 2);

    churn_history_t before = history;
    churn_rules_period_t same = s_period (day, 10);
    assert_int_equal (churn_history_append (&history, &same), -1);
    churn_rules_period_t bad = s_period (day + 1, 10);
    bad.score = 101;
    assert_int_equal (churn_history_append (&history, &bad), -1);
    assert_memory_equal (&history, &before, sizeof history);
}

static void
test_period_from_a_score (void **state)
{
    (void) state;
    churn_score_t score;
    memset (&score, 0, sizeof score);
    score.as_of_day = FIRST_DAY;
    score.has_score = true;
    score.score = 42;
    score.band = CHURN_BAND_RED;
    score.interval = CHURN_SCORE_INTERVAL_OWN;
    score.measures[CHURN_MODEL_RECENCY] =
        (churn_score_measure_t){ .has_data = true, .current = 63, .previous = 31 };
    churn_rules_period_t period;
    churn_history_period (&score, &period);
    assert_int_equal (period.day, FIRST_DAY);
    assert_true (period.has_score);
    assert_int_equal (period.score, 42);
    assert_int_equal (period.band, CHURN_BAND_RED);
    assert_true (period.has_interval);
    assert_int_equal (period.days_since_order, 63);
    assert_int_equal (period.typical_interval_days, 31);

    /* the model's or the population's interval is not the customer's own */
    score.interval = CHURN_SCORE_INTERVAL_MODEL;
    score.has_score = false;
    churn_history_period (&score, &period);
    assert_false (period.has_interval);
    assert_false (period.has_score);
}

static void
test_pack_reads_back (void **state)
{
    (void) state;
    churn_history_t history;
    churn_history_init (&history);
    for (int index = 0; index < 5; index++) {
        churn_rules_period_t period =
            s_period (FIRST_DAY + 7 * index, index == 2 ? -1 : 90 - index);
        if (index == 4) {
            period.has_interval = true;
            period.days_since_order = 12;
            period.typical_interval_days = 30;
        }
        assert_int_equal (churn_history_append (&history, &period), 0);
    }
    unsigned char packed[CHURN_HISTORY_PACKED_MAX];
    size_t size = churn_history_pack (&history, packed, sizeof packed);
    assert_int_equal (size, 3 + 27 * 5);
    assert_int_equal (churn_history_pack (&history, packed, size - 1), 0);
    churn_history_t read;
    char error[ERROR_SIZE] = "";
    assert_int_equal (churn_history_unpack (&read, packed, size, error, sizeof error), 0);
    assert_int_equal (read.count, 5);
    assert_memory_equal (read.periods, history.periods, 5 * sizeof history.periods[0]);
}

/* Unpacking bytes that must be refused leaves the output untouched. */
static void
s_refused (const unsigned char *bytes, size_t size, const char *reason)
{
    churn_history_t read;
    memset (&read, FILL, sizeof read);
    churn_history_t untouched = read;
    char error[ERROR_SIZE] = "";
    assert_int_equal (churn_history_unpack (&read, bytes, size, error, sizeof error), -1);
    assert_memory_equal (&read, &untouched, sizeof read);
    if (!strstr (error, reason))
        fail_msg ("reason \"%s\" does not say \"%s\"", error, reason);
}

static void
test_unpack_refuses (void **state)
{
    (void) state;
    churn_history_t history;
    churn_history_init (&history);
    churn_rules_period_t first = s_period (FIRST_DAY, 80), second = s_period (FIRST_DAY + 1, 70);
    churn_history_append (&history, &first);
    churn_history_append (&history, &second);
    unsigned char packed[CHURN_HISTORY_PACKED_MAX + 1];
    size_t size = churn_history_pack (&history, packed, sizeof packed);
    assert_int_equal (size, 3 + 27 * 2);

    unsigned char copy[CHURN_HISTORY_PACKED_MAX + 1];
    memcpy (copy, packed, size);
    copy[0] = 'X';
    s_refused (copy, size, "not a score history");
    memcpy (copy, packed, size);
    copy[2] = 0;
    s_refused (copy, size, "0 periods");
    s_refused (packed, size - 1, "bytes, not");
    memcpy (copy, packed, size);
    copy[size] = 0;
    s_refused (copy, size + 1, "bytes, not");
    memcpy (copy, packed, size);
    copy[3 + 8] = 0x80; /* the first period's flags */
    s_refused (copy, size, "unknown flags");
    memcpy (copy, packed, size);
    copy[3 + 8] = 0; /* no score, but a score byte */
    s_refused (copy, size, "without its flag");
    memcpy (copy, packed, size);
    copy[3 + 9] = 101; /* score */
    s_refused (copy, size, "101");
    memcpy (copy, packed, size);
    memcpy (copy + 3 + 27, copy + 3, 8); /* the second period on the first's day */
    s_refused (copy, size, "is not after the previous");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_append_keeps_the_latest),
        cmocka_unit_test (test_period_from_a_score),
        cmocka_unit_test (test_pack_reads_back),
        cmocka_unit_test (test_unpack_refuses),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
