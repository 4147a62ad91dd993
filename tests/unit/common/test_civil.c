/*  test_civil - calendar arithmetic on day numbers (sp_civil). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_civil.h"

#define TEST_ROUND_TRIP_FIRST_DAY INT64_C (-1000000) /* 0732-02-27 */
#define TEST_ROUND_TRIP_LAST_DAY INT64_C (3000000)   /* 10183-09-28 */

static void
test_floor_divide (void **state)
{
    (void) state;
    assert_int_equal (sp_civil_floor_divide (7, 2), 3);
    assert_int_equal (sp_civil_floor_divide (-7, 2), -4);
    assert_int_equal (sp_civil_floor_divide (-8, 2), -4);
    assert_int_equal (sp_civil_floor_divide (0, 5), 0);
    assert_int_equal (sp_civil_floor_divide (-1, SP_CIVIL_SECONDS_PER_DAY), -1);
    assert_int_equal (sp_civil_floor_divide (INT64_MIN, 1000), INT64_MIN / 1000 - 1);
}

static void
test_leap_years_and_month_lengths (void **state)
{
    (void) state;
    assert_true (sp_civil_leap_year (2000));
    assert_true (sp_civil_leap_year (2016));
    assert_true (sp_civil_leap_year (0));
    assert_true (sp_civil_leap_year (-4));
    assert_false (sp_civil_leap_year (1900));
    assert_false (sp_civil_leap_year (2017));
    assert_false (sp_civil_leap_year (2100));
    assert_int_equal (sp_civil_days_in_month (2016, 2), 29);
    assert_int_equal (sp_civil_days_in_month (2017, 2), 28);
    assert_int_equal (sp_civil_days_in_month (1900, 2), 28);
    assert_int_equal (sp_civil_days_in_month (2017, 1), 31);
    assert_int_equal (sp_civil_days_in_month (2017, 4), 30);
    assert_int_equal (sp_civil_days_in_month (2017, 12), 31);
}

static void
test_known_day_numbers (void **state)
{
    (void) state;
    assert_int_equal (sp_civil_days_from_date (1970, 1, 1), 0);
    assert_int_equal (sp_civil_days_from_date (1969, 12, 31), -1);
    assert_int_equal (sp_civil_days_from_date (2000, 3, 1), 11017);
    assert_int_equal (sp_civil_days_from_date (2017, 5, 3), 17289);
    assert_int_equal (sp_civil_days_from_date (0, 3, 1), -719468);
    assert_int_equal (sp_civil_days_from_date (9999, 12, 31), 2932896);
    sp_civil_date_t date = sp_civil_date_from_days (17289);
    assert_int_equal (date.year, 2017);
    assert_int_equal (date.month, 5);
    assert_int_equal (date.day, 3);
    date = sp_civil_date_from_days (-1);
    assert_int_equal (date.year, 1969);
    assert_int_equal (date.month, 12);
    assert_int_equal (date.day, 31);
}

/* Every day over eleven millennia converts both ways and steps by one. */
static void
test_round_trip (void **state)
{
    (void) state;
    sp_civil_date_t previous = sp_civil_date_from_days (TEST_ROUND_TRIP_FIRST_DAY - 1);
    for (int64_t day = TEST_ROUND_TRIP_FIRST_DAY; day <= TEST_ROUND_TRIP_LAST_DAY; day++) {
        sp_civil_date_t date = sp_civil_date_from_days (day);
        assert_int_equal (sp_civil_days_from_date (date.year, date.month, date.day), day);
        if (date.day == 1)
            assert_int_equal (previous.day, sp_civil_days_in_month (previous.year, previous.month));
        else
            assert_int_equal (date.day, previous.day + 1);
        previous = date;
    }
}

static void
test_weekdays (void **state)
{
    (void) state;
    assert_int_equal (sp_civil_weekday (0), 4);     /* 1970-01-01 Thursday */
    assert_int_equal (sp_civil_iso_weekday (0), 3); /* Monday 0 .. Sunday 6 */
    assert_int_equal (sp_civil_weekday (-1), 3);    /* 1969-12-31 Wednesday */
    int64_t sunday = sp_civil_days_from_date (2021, 1, 3);
    assert_int_equal (sp_civil_weekday (sunday), 0);
    assert_int_equal (sp_civil_iso_weekday (sunday), 6);
    int64_t monday = sp_civil_days_from_date (1900, 1, 1);
    assert_int_equal (sp_civil_weekday (monday), 1);
    assert_int_equal (sp_civil_iso_weekday (monday), 0);
}

static void
test_date_labels (void **state)
{
    (void) state;
    char label[SP_CIVIL_DATE_LABEL_SIZE];
    assert_int_equal (sp_civil_date_label (0, label), 0);
    assert_string_equal (label, "1970-01-01");
    assert_int_equal (sp_civil_date_label (sp_civil_days_from_date (2017, 5, 3), label), 0);
    assert_string_equal (label, "2017-05-03");
    assert_int_equal (sp_civil_date_label (sp_civil_days_from_date (9999, 12, 31), label), 0);
    assert_string_equal (label, "9999-12-31");
    assert_int_equal (sp_civil_date_label (sp_civil_days_from_date (0, 1, 1), label), 0);
    assert_string_equal (label, "0000-01-01");
    assert_int_equal (sp_civil_date_label (sp_civil_days_from_date (10000, 1, 1), label), -1);
    assert_string_equal (label, "");
    assert_int_equal (sp_civil_date_label (sp_civil_days_from_date (-1, 12, 31), label), -1);
    assert_string_equal (label, "");
}

static void
test_date_parse (void **state)
{
    (void) state;
    int64_t days = 42;
    assert_int_equal (sp_civil_date_parse ("1970-01-01", &days), 0);
    assert_int_equal (days, 0);
    assert_int_equal (sp_civil_date_parse ("2024-02-29", &days), 0);
    assert_int_equal (days, sp_civil_days_from_date (2024, 2, 29));
    assert_int_equal (sp_civil_date_parse ("0001-01-01", &days), 0);
    assert_int_equal (days, SP_CIVIL_DAYS_YEAR_ONE);
    assert_int_equal (sp_civil_date_parse ("0000-01-01", &days), 0);
    assert_int_equal (days, sp_civil_days_from_date (0, 1, 1));
    assert_int_equal (sp_civil_date_parse ("9999-12-31", &days), 0);
    /* every label written reads back */
    char label[SP_CIVIL_DATE_LABEL_SIZE];
    for (int64_t day = sp_civil_days_from_date (0, 1, 1); day < 2932897; day += 997) {
        assert_int_equal (sp_civil_date_label (day, label), 0);
        assert_int_equal (sp_civil_date_parse (label, &days), 0);
        assert_int_equal (days, day);
    }
    const char *refused[] = { "",           "2023-02-29", "2024-13-01", "2024-00-10",
                              "2024-01-00", "2024-04-31", "2024-1-01",  "+202-01-01",
                              " 202-01-01", "2024-01-01 ", "2024/01/01", "20240101",
                              "2024-01-1x", "10000-01-01" };
    for (size_t index = 0; index < sizeof refused / sizeof refused[0]; index++) {
        days = 42;
        assert_int_equal (sp_civil_date_parse (refused[index], &days), -1);
        assert_int_equal (days, 42);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_floor_divide),
        cmocka_unit_test (test_leap_years_and_month_lengths),
        cmocka_unit_test (test_known_day_numbers),
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_weekdays),
        cmocka_unit_test (test_date_labels),
        cmocka_unit_test (test_date_parse),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
