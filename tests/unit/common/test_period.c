/*  test_period - sp_period: cutting, parsing and stepping periods in real
    zones (New York, Sao Paulo, Shanghai, Berlin, Apia, UTC), ISO weeks,
    DST days of 23 and 25 hours, midnight gaps, pre-1970 instants, the
    ends of years 1..9999, and every refusal with its message.

    Expected instants were computed with `date -u -d "..." +%s` and the
    zones' changes checked with zdump (tzdata 2026f); ISO weeks with
    Python's date.isocalendar ().
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sp_civil.h"
#include "sp_period.h"

#define ERROR_SIZE 256    /* message buffer of every test */
#define PATH_SIZE 512     /* temporary paths */
#define MS INT64_C (1000) /* milliseconds per second */
#define HOUR_MS INT64_C (3600000)
#define DAY_MS INT64_C (86400000)
#define UNTOUCHED_MS INT64_C (-777) /* sentinel start/end of an untouched output */

/* TZDIR of the environment, unset during the tests and restored after. */
static char *s_saved_tzdir = NULL;

static int
s_group_setup (void **state)
{
    (void) state;
    const char *tzdir = getenv ("TZDIR");
    if (tzdir) {
        s_saved_tzdir = strdup (tzdir);
        if (!s_saved_tzdir)
            return -1;
    }
    return unsetenv ("TZDIR");
}

static int
s_group_teardown (void **state)
{
    (void) state;
    int rc = 0;
    if (s_saved_tzdir) {
        rc = setenv ("TZDIR", s_saved_tzdir, 1);
        free (s_saved_tzdir);
        s_saved_tzdir = NULL;
    }
    return rc;
}

/* --------------------------------------------------------------- helpers */

static sp_tz_t *
s_zone (const char *name)
{
    char error[ERROR_SIZE] = "";
    sp_tz_t *tz = sp_tz_new (name, error, sizeof error);
    if (!tz)
        fail_msg ("could not load %s: %s", name, error);
    return tz;
}

/* An output filled with a recognisable pattern. */
static sp_period_t
s_untouched (void)
{
    sp_period_t period;
    memset (&period, 0, sizeof period);
    period.kind = SP_PERIOD_YEAR;
    period.start_ms = UNTOUCHED_MS;
    period.end_ms = UNTOUCHED_MS;
    memcpy (period.label, "untouched", sizeof "untouched");
    return period;
}

static void
s_assert_untouched (const sp_period_t *period)
{
    sp_period_t expected = s_untouched ();
    assert_memory_equal (period, &expected, sizeof expected);
}

static void
s_assert_period (const sp_period_t *period, sp_period_kind_t kind, int64_t start_ms, int64_t end_ms,
                 const char *label)
{
    assert_string_equal (period->label, label);
    assert_int_equal (period->kind, kind);
    assert_int_equal (period->start_ms, start_ms);
    assert_int_equal (period->end_ms, end_ms);
}

/* Cuts and checks the period of an instant. */
static void
s_expect_cut (const sp_tz_t *tz, sp_period_kind_t kind, int64_t utc_ms, int64_t start_ms,
              int64_t end_ms, const char *label)
{
    sp_period_t period = s_untouched ();
    assert_int_equal (sp_period_cut (tz, kind, utc_ms, &period), 0);
    s_assert_period (&period, kind, start_ms, end_ms, label);
    assert_true (sp_period_contains (&period, utc_ms));
}

/* Parses and checks a label. */
static void
s_expect_parse (const sp_tz_t *tz, const char *label, sp_period_kind_t kind, int64_t start_ms,
                int64_t end_ms)
{
    char error[ERROR_SIZE] = "";
    sp_period_t period = s_untouched ();
    if (sp_period_parse (tz, label, &period, error, sizeof error) != 0)
        fail_msg ("%s", error);
    s_assert_period (&period, kind, start_ms, end_ms, label);
}

/* Checks that a label is refused with exactly the message given. */
static void
s_expect_parse_error (const sp_tz_t *tz, const char *label, const char *message)
{
    char error[ERROR_SIZE] = "";
    sp_period_t period = s_untouched ();
    assert_int_equal (sp_period_parse (tz, label, &period, error, sizeof error), -1);
    assert_string_equal (error, message);
    s_assert_untouched (&period);
}

static void
s_expect_shape_error (const sp_tz_t *tz, const char *label)
{
    char message[ERROR_SIZE];
    snprintf (message, sizeof message,
              "invalid period \"%s\": expected YYYY, YYYY-Qn, YYYY-MM, YYYY-Www or YYYY-MM-DD",
              label);
    s_expect_parse_error (tz, label, message);
}

/* Steps a period by label and checks the label reached. */
static void
s_expect_step (const sp_tz_t *tz, const char *from, bool forwards, const char *to)
{
    char error[ERROR_SIZE] = "";
    sp_period_t period;
    assert_int_equal (sp_period_parse (tz, from, &period, error, sizeof error), 0);
    sp_period_t stepped = s_untouched ();
    int rc = forwards ? sp_period_next (tz, &period, &stepped)
                      : sp_period_previous (tz, &period, &stepped);
    assert_int_equal (rc, 0);
    assert_string_equal (stepped.label, to);
    assert_int_equal (stepped.kind, period.kind);
    if (forwards)
        assert_int_equal (stepped.start_ms, period.end_ms);
    else
        assert_int_equal (stepped.end_ms, period.start_ms);
}

/* Checks that stepping a label fails and leaves the output alone. */
static void
s_expect_step_refused (const sp_tz_t *tz, const char *from, bool forwards)
{
    sp_period_t period;
    assert_int_equal (sp_period_parse (tz, from, &period, NULL, 0), 0);
    sp_period_t stepped = s_untouched ();
    int rc = forwards ? sp_period_next (tz, &period, &stepped)
                      : sp_period_previous (tz, &period, &stepped);
    assert_int_equal (rc, -1);
    s_assert_untouched (&stepped);
}

/* ------------------------------------------------------------ kind names */

static void
test_kind_names (void **state)
{
    (void) state;
    const char *names[SP_PERIOD_KIND_COUNT] = { "day", "week", "month", "quarter", "year" };
    for (int i = 0; i < SP_PERIOD_KIND_COUNT; i++) {
        assert_string_equal (sp_period_kind_name ((sp_period_kind_t) i), names[i]);
        sp_period_kind_t kind = SP_PERIOD_KIND_COUNT;
        assert_int_equal (sp_period_kind_parse (names[i], &kind), 0);
        assert_int_equal (kind, i);
    }
    assert_null (sp_period_kind_name ((sp_period_kind_t) SP_PERIOD_KIND_COUNT));
    assert_null (sp_period_kind_name ((sp_period_kind_t) -1));

    const char *refused[] = { "", "Day", "DAY", "days", "weekly", " day", "day ", "hour" };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        sp_period_kind_t kind = SP_PERIOD_MONTH;
        assert_int_equal (sp_period_kind_parse (refused[i], &kind), -1);
        assert_int_equal (kind, SP_PERIOD_MONTH);
    }
    sp_period_kind_t kind = SP_PERIOD_MONTH;
    assert_int_equal (sp_period_kind_parse (NULL, &kind), -1);
    assert_int_equal (kind, SP_PERIOD_MONTH);
    assert_int_equal (sp_period_kind_parse ("day", NULL), -1);
}

/* ----------------------------------------------------------------- cut */

static void
test_cut_refuses_bad_input (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("UTC");
    sp_period_t period = s_untouched ();
    assert_int_equal (sp_period_cut (NULL, SP_PERIOD_DAY, 0, &period), -1);
    s_assert_untouched (&period);
    assert_int_equal (sp_period_cut (tz, SP_PERIOD_DAY, 0, NULL), -1);
    assert_int_equal (sp_period_cut (tz, (sp_period_kind_t) SP_PERIOD_KIND_COUNT, 0, &period), -1);
    s_assert_untouched (&period);
    assert_int_equal (sp_period_cut (tz, (sp_period_kind_t) -1, 0, &period), -1);
    s_assert_untouched (&period);
    /* Local dates outside years 1..9999. */
    const int64_t outside[] = { INT64_MIN, INT64_MAX, INT64_C (253402300800000),
                                INT64_C (-62135596800001) };
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++)
        for (int kind = 0; kind < SP_PERIOD_KIND_COUNT; kind++) {
            assert_int_equal (sp_period_cut (tz, (sp_period_kind_t) kind, outside[i], &period), -1);
            s_assert_untouched (&period);
        }
    sp_tz_destroy (&tz);
}

static void
test_cut_range_ends (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("UTC");
    /* 0001-01-01T00:00Z and 10000-01-01T00:00Z */
    const int64_t first = INT64_C (-62135596800000);
    const int64_t end = INT64_C (253402300800000);
    s_expect_cut (tz, SP_PERIOD_YEAR, first, first, first + 365 * DAY_MS, "0001");
    s_expect_cut (tz, SP_PERIOD_WEEK, first, first, first + 7 * DAY_MS, "0001-W01");
    s_expect_cut (tz, SP_PERIOD_DAY, first, first, first + DAY_MS, "0001-01-01");
    s_expect_cut (tz, SP_PERIOD_YEAR, end - 1, end - 365 * DAY_MS, end, "9999");
    s_expect_cut (tz, SP_PERIOD_QUARTER, end - 1, end - 92 * DAY_MS, end, "9999-Q4");
    s_expect_cut (tz, SP_PERIOD_DAY, end - 1, end - DAY_MS, end, "9999-12-31");
    /* 9999-12-31 is a Friday of 9999-W52, 9999-12-27 .. 10000-01-03. */
    s_expect_cut (tz, SP_PERIOD_WEEK, end - 1, end - 5 * DAY_MS, end + 2 * DAY_MS, "9999-W52");
    sp_tz_destroy (&tz);
}

static void
test_cut_new_york_dst_days (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("America/New_York");
    /* 2017-03-12 is 23 hours: 05:00Z .. 2017-03-13 04:00Z */
    const int64_t march_12 = INT64_C (1489294800) * MS;
    const int64_t march_13 = INT64_C (1489377600) * MS;
    assert_int_equal (march_13 - march_12, 23 * HOUR_MS);
    s_expect_cut (tz, SP_PERIOD_DAY, march_12, march_12, march_13, "2017-03-12");
    s_expect_cut (tz, SP_PERIOD_DAY, march_13 - 1, march_12, march_13, "2017-03-12");
    s_expect_cut (tz, SP_PERIOD_DAY, INT64_C (1489302000) * MS, march_12, march_13, "2017-03-12");
    s_expect_cut (tz, SP_PERIOD_DAY, march_12 - 1, march_12 - 24 * HOUR_MS, march_12, "2017-03-11");
    /* 2017-11-05 is 25 hours: 04:00Z .. 2017-11-06 05:00Z */
    const int64_t november_5 = INT64_C (1509854400) * MS;
    const int64_t november_6 = INT64_C (1509944400) * MS;
    assert_int_equal (november_6 - november_5, 25 * HOUR_MS);
    s_expect_cut (tz, SP_PERIOD_DAY, november_5 + 90 * 60 * MS, november_5, november_6,
                  "2017-11-05");
    s_expect_cut (tz, SP_PERIOD_DAY, november_6 - 1, november_5, november_6, "2017-11-05");
    /* March 2017 starts in EST and ends in EDT. */
    s_expect_cut (tz, SP_PERIOD_MONTH, march_12, INT64_C (1488344400) * MS,
                  INT64_C (1491019200) * MS, "2017-03");
    /* Year 2100 follows the footer rule: July in EDT, January in EST. */
    s_expect_cut (tz, SP_PERIOD_MONTH, INT64_C (4118126400) * MS, INT64_C (4118097600) * MS,
                  INT64_C (4120776000) * MS, "2100-07");
    s_expect_parse (tz, "2100-01-01", SP_PERIOD_DAY, INT64_C (4102462800) * MS,
                    INT64_C (4102462800) * MS + DAY_MS);
    sp_tz_destroy (&tz);
}

static void
test_cut_sao_paulo_midnight_gap (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("America/Sao_Paulo");
    /* 2018-11-04 00:00 does not exist: the day starts when the clocks jump
       to 01:00, at 03:00Z, and lasts 23 hours. */
    const int64_t november_3 = INT64_C (1541214000) * MS;
    const int64_t november_4 = INT64_C (1541300400) * MS;
    const int64_t november_5 = INT64_C (1541383200) * MS;
    s_expect_cut (tz, SP_PERIOD_DAY, november_4, november_4, november_5, "2018-11-04");
    s_expect_cut (tz, SP_PERIOD_DAY, november_4 - 1, november_3, november_4, "2018-11-03");
    s_expect_parse (tz, "2018-11-04", SP_PERIOD_DAY, november_4, november_5);
    /* Its week, 2018-W44, starts Monday 2018-10-29 00:00 -03. */
    s_expect_cut (tz, SP_PERIOD_WEEK, november_4, INT64_C (1540782000) * MS, november_5,
                  "2018-W44");
    sp_tz_destroy (&tz);
}

static void
test_cut_shanghai_new_year (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("Asia/Shanghai");
    /* 2017-12-31T16:00:00Z is 2018-01-01 00:00 in Shanghai (+8). */
    const int64_t instant = INT64_C (1514736000) * MS;
    s_expect_cut (tz, SP_PERIOD_YEAR, instant, instant, INT64_C (1546272000) * MS, "2018");
    s_expect_cut (tz, SP_PERIOD_QUARTER, instant, instant, INT64_C (1522512000) * MS, "2018-Q1");
    s_expect_cut (tz, SP_PERIOD_MONTH, instant, instant, INT64_C (1517414400) * MS, "2018-01");
    s_expect_cut (tz, SP_PERIOD_WEEK, instant, instant, INT64_C (1515340800) * MS, "2018-W01");
    s_expect_cut (tz, SP_PERIOD_DAY, instant, instant, instant + DAY_MS, "2018-01-01");
    /* One millisecond earlier is still 2017 everywhere. */
    s_expect_cut (tz, SP_PERIOD_YEAR, instant - 1, INT64_C (1483200000) * MS, instant, "2017");
    s_expect_cut (tz, SP_PERIOD_QUARTER, instant - 1, INT64_C (1506787200) * MS, instant,
                  "2017-Q4");
    s_expect_cut (tz, SP_PERIOD_MONTH, instant - 1, INT64_C (1512057600) * MS, instant, "2017-12");
    s_expect_cut (tz, SP_PERIOD_WEEK, instant - 1, INT64_C (1514131200) * MS, instant, "2017-W52");
    s_expect_cut (tz, SP_PERIOD_DAY, instant - 1, INT64_C (1514649600) * MS, instant, "2017-12-31");
    sp_tz_destroy (&tz);
}

static void
test_cut_berlin (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("Europe/Berlin");
    /* October 2017: CEST at its start, CET at its end (31 days + 1 h). */
    s_expect_cut (tz, SP_PERIOD_MONTH, INT64_C (1509244200) * MS, INT64_C (1506808800) * MS,
                  INT64_C (1509490800) * MS, "2017-10");
    /* Q1 2017: CET at its start, CEST at its end. */
    s_expect_cut (tz, SP_PERIOD_QUARTER, INT64_C (1490495400) * MS, INT64_C (1483225200) * MS,
                  INT64_C (1490997600) * MS, "2017-Q1");
    sp_tz_destroy (&tz);
}

static void
test_cut_iso_weeks (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("UTC");
    /* 2021-01-03 (Sunday) is in 2020-W53, 2020-12-28 .. 2021-01-04. */
    s_expect_cut (tz, SP_PERIOD_WEEK, INT64_C (1609632000) * MS, INT64_C (1609113600) * MS,
                  INT64_C (1609718400) * MS, "2020-W53");
    /* 2018-12-31 (Monday) is in 2019-W01. */
    s_expect_cut (tz, SP_PERIOD_WEEK, INT64_C (1546214400) * MS, INT64_C (1546214400) * MS,
                  INT64_C (1546819200) * MS, "2019-W01");
    /* 2015-12-31 (Thursday) and 2016-01-03 (Sunday) are in 2015-W53. */
    s_expect_cut (tz, SP_PERIOD_WEEK, INT64_C (1451520000) * MS, INT64_C (1451260800) * MS,
                  INT64_C (1451865600) * MS, "2015-W53");
    s_expect_cut (tz, SP_PERIOD_WEEK, INT64_C (1451865600) * MS - 1, INT64_C (1451260800) * MS,
                  INT64_C (1451865600) * MS, "2015-W53");
    /* ...but their quarter and year are the calendar ones. */
    s_expect_cut (tz, SP_PERIOD_YEAR, INT64_C (1451865600) * MS - 1, INT64_C (1451606400) * MS,
                  INT64_C (1483228800) * MS, "2016");
    s_expect_parse (tz, "2020-W53", SP_PERIOD_WEEK, INT64_C (1609113600) * MS,
                    INT64_C (1609718400) * MS);
    s_expect_parse (tz, "2015-W53", SP_PERIOD_WEEK, INT64_C (1451260800) * MS,
                    INT64_C (1451865600) * MS);
    s_expect_parse (tz, "2026-W53", SP_PERIOD_WEEK, INT64_C (1798416000) * MS,
                    INT64_C (1799020800) * MS);
    sp_tz_destroy (&tz);
}

static void
test_cut_before_1970 (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("UTC");
    /* -1 ms is 1969-12-31T23:59:59.999Z: floor division, not truncation. */
    s_expect_cut (tz, SP_PERIOD_DAY, -1, -DAY_MS, 0, "1969-12-31");
    s_expect_cut (tz, SP_PERIOD_QUARTER, -1, INT64_C (-7948800) * MS, 0, "1969-Q4");
    s_expect_cut (tz, SP_PERIOD_YEAR, -1, INT64_C (-31536000) * MS, 0, "1969");
    /* 1969-12-31 is a Wednesday of 1970-W01 (1969-12-29 .. 1970-01-05). */
    s_expect_cut (tz, SP_PERIOD_WEEK, -1, INT64_C (-259200) * MS, INT64_C (345600) * MS,
                  "1970-W01");
    s_expect_cut (tz, SP_PERIOD_DAY, 0, 0, DAY_MS, "1970-01-01");
    sp_tz_destroy (&tz);

    /* 1969-07-20 in New York, EDT: 04:00Z .. 1969-07-21 04:00Z. */
    tz = s_zone ("America/New_York");
    s_expect_cut (tz, SP_PERIOD_DAY, INT64_C (-14200000) * MS, INT64_C (-14241600) * MS,
                  INT64_C (-14155200) * MS, "1969-07-20");
    /* 1883: local mean time, -4:56:02, until noon of 1883-11-18. */
    s_expect_parse (tz, "1883-11-17", SP_PERIOD_DAY, INT64_C (-2717798400) * MS + 17762 * MS,
                    INT64_C (-2717712000) * MS + 17762 * MS);
    sp_tz_destroy (&tz);
}

/* The local day number agrees with the day period's label, at the
   range's ends and across a gap at midnight; outside the range, -1. */
static void
test_local_day (void **state)
{
    (void) state;
    sp_tz_t *utc = s_zone ("UTC");
    int64_t day = 42;
    const int64_t first = INT64_C (-62135596800000); /* 0001-01-01T00:00Z */
    const int64_t end = INT64_C (253402300800000);   /* 10000-01-01T00:00Z */
    assert_int_equal (sp_period_local_day (utc, first, &day), 0);
    assert_int_equal (day, SP_CIVIL_DAYS_YEAR_ONE);
    assert_int_equal (sp_period_local_day (utc, end - 1, &day), 0);
    assert_int_equal (day, sp_civil_days_from_date (9999, 12, 31));
    day = 42;
    assert_int_equal (sp_period_local_day (utc, end, &day), -1);
    assert_int_equal (sp_period_local_day (utc, first - 1, &day), -1);
    assert_int_equal (sp_period_local_day (NULL, 0, &day), -1);
    assert_int_equal (day, 42);
    sp_tz_destroy (&utc);
    /* Sao Paulo, 2018-11-04 starts at 01:00 local, 03:00Z */
    sp_tz_t *tz = s_zone ("America/Sao_Paulo");
    const int64_t november_4 = INT64_C (1541300400) * MS;
    assert_int_equal (sp_period_local_day (tz, november_4, &day), 0);
    assert_int_equal (day, sp_civil_days_from_date (2018, 11, 4));
    assert_int_equal (sp_period_local_day (tz, november_4 - 1, &day), 0);
    assert_int_equal (day, sp_civil_days_from_date (2018, 11, 3));
    sp_tz_destroy (&tz);
}

static void
test_cut_apia_skipped_day (void **state)
{
    (void) state;
    /* 2011-12-30 never happened in Samoa: its period is empty, instants of
       2011-12-30T10:00Z on are 2011-12-31. */
    sp_tz_t *tz = s_zone ("Pacific/Apia");
    const int64_t jump = INT64_C (1325239200) * MS;
    s_expect_parse (tz, "2011-12-30", SP_PERIOD_DAY, jump, jump);
    s_expect_cut (tz, SP_PERIOD_DAY, jump - 1, INT64_C (1325152800) * MS, jump, "2011-12-29");
    s_expect_cut (tz, SP_PERIOD_DAY, jump, jump, jump + DAY_MS, "2011-12-31");
    s_expect_step (tz, "2011-12-29", true, "2011-12-30");
    s_expect_step (tz, "2011-12-30", true, "2011-12-31");
    s_expect_step (tz, "2011-12-31", false, "2011-12-30");
    /* The week 2011-W52 lost a day: six days long. */
    s_expect_cut (tz, SP_PERIOD_WEEK, jump, INT64_C (1324893600) * MS, INT64_C (1325412000) * MS,
                  "2011-W52");
    sp_tz_destroy (&tz);
}

/* Loads a zone that is +01:00 ("AAA") until the instant fold and UTC
   ("BBB") from then on: the clocks fall back one hour at fold. The file is
   written to a temporary directory that is removed at once. */
static sp_tz_t *
s_fold_zone (int64_t fold)
{
    uint8_t tzif[256];
    size_t size = 0;
    /* clang-format off */
    static const uint8_t header[] = {
        'T', 'Z', 'i', 'f', '2', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, /* no indicators, no leap seconds */
        0, 0, 0, 1,  0, 0, 0, 2,  0, 0, 0, 8, /* 1 transition, 2 types, 8 chars */
    };
    static const uint8_t types[] = {
        0, 0, 0x0e, 0x10, 0, 0, /* +3600, not DST, "AAA" */
        0, 0, 0, 0, 0, 4,       /* 0, not DST, "BBB" */
        'A', 'A', 'A', 0, 'B', 'B', 'B', 0,
    };
    /* clang-format on */
    /* Version 1 part: its 32-bit time is skipped by readers of version 2. */
    memcpy (tzif + size, header, sizeof header);
    size += sizeof header;
    memset (tzif + size, 0, 4);
    size += 4;
    tzif[size++] = 1;
    memcpy (tzif + size, types, sizeof types);
    size += sizeof types;
    /* Version 2 part. */
    memcpy (tzif + size, header, sizeof header);
    size += sizeof header;
    for (int shift = 56; shift >= 0; shift -= 8)
        tzif[size++] = (uint8_t) ((uint64_t) fold >> shift);
    tzif[size++] = 1;
    memcpy (tzif + size, types, sizeof types);
    size += sizeof types;
    memcpy (tzif + size, "\nBBB0\n", 6);
    size += 6;

    char directory[PATH_SIZE];
    char path[PATH_SIZE];
    const char *temp = getenv ("TMPDIR");
    int written = snprintf (directory, sizeof directory, "%s/sp_period_test.XXXXXX",
                            temp && *temp ? temp : "/tmp");
    assert_true (written > 0 && (size_t) written < sizeof directory);
    assert_non_null (mkdtemp (directory));
    written = snprintf (path, sizeof path, "%s/Fold", directory);
    assert_true (written > 0 && (size_t) written < sizeof path);
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (tzif, 1, size, file), size);
    assert_int_equal (fclose (file), 0);
    assert_int_equal (setenv ("TZDIR", directory, 1), 0);
    sp_tz_t *tz = s_zone ("Fold");
    assert_int_equal (unsetenv ("TZDIR"), 0);
    assert_int_equal (unlink (path), 0);
    assert_int_equal (rmdir (directory), 0);
    return tz;
}

/* Clocks falling back across midnight: at 2020-03-01T23:30:00Z, local
   2020-03-02 00:30, they go back to 2020-03-01 23:30. That half hour shows
   2020-03-01 again, after 2020-03-02 had begun. */
static void
test_cut_overlap_across_midnight (void **state)
{
    (void) state;
    const int64_t fold = INT64_C (1583105400) * MS; /* 2020-03-01T23:30Z */
    sp_tz_t *tz = s_fold_zone (fold / MS);
    const int64_t march_1 = INT64_C (1583017200) * MS; /* 2020-02-29T23:00Z */
    const int64_t march_2 = INT64_C (1583103600) * MS; /* 2020-03-01T23:00Z */
    const int64_t march_3 = INT64_C (1583193600) * MS; /* 2020-03-03T00:00Z */
    s_expect_cut (tz, SP_PERIOD_DAY, march_2 - 1, march_1, march_2, "2020-03-01");
    s_expect_cut (tz, SP_PERIOD_DAY, march_2, march_2, march_3, "2020-03-02");
    /* Local 2020-03-01 23:40 again, but after 2020-03-02 began: the day
       that holds the instant is 2020-03-02. */
    s_expect_cut (tz, SP_PERIOD_DAY, fold + 10 * 60 * MS, march_2, march_3, "2020-03-02");
    s_expect_parse (tz, "2020-03-02", SP_PERIOD_DAY, march_2, march_3);
    sp_tz_destroy (&tz);

    /* The same at the end of year 9999: the instant belongs to
       10000-01-01, which is out of range. */
    const int64_t last_fold = INT64_C (253402299000) * MS; /* 9999-12-31T23:30Z */
    tz = s_fold_zone (last_fold / MS);
    sp_period_t period = s_untouched ();
    assert_int_equal (sp_period_cut (tz, SP_PERIOD_DAY, last_fold + 10 * 60 * MS, &period), -1);
    s_assert_untouched (&period);
    /* 10000-01-01 00:00 local is 23:00Z: the last day ends there. */
    const int64_t last_midnight = last_fold - 1800 * MS;
    s_expect_cut (tz, SP_PERIOD_DAY, last_midnight - 1, last_midnight - DAY_MS, last_midnight,
                  "9999-12-31");
    assert_int_equal (sp_period_cut (tz, SP_PERIOD_DAY, last_midnight, &period), -1);
    s_assert_untouched (&period);
    sp_tz_destroy (&tz);
}

/* Every instant every 7 hours over six years, in zones with gaps,
   overlaps and half-hour shifts: the period holds the instant, its label
   parses back to it, and its neighbours tile the time line. */
static void
test_cut_parse_step_agree (void **state)
{
    (void) state;
    const char *zones[] = { "America/New_York",
                            "America/Sao_Paulo",
                            "Australia/Lord_Howe",
                            "Europe/Berlin",
                            "Asia/Shanghai",
                            "Pacific/Apia",
                            "UTC" };
    const int64_t from = INT64_C (1451606400) * MS; /* 2016-01-01T00:00Z */
    const int64_t to = INT64_C (1640995200) * MS;   /* 2022-01-01T00:00Z */
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        sp_tz_t *tz = s_zone (zones[z]);
        for (int kind = 0; kind < SP_PERIOD_KIND_COUNT; kind++)
            for (int64_t instant = from; instant < to; instant += 7 * HOUR_MS) {
                sp_period_t period, parsed, next, previous, back;
                assert_int_equal (sp_period_cut (tz, (sp_period_kind_t) kind, instant, &period), 0);
                assert_true (sp_period_contains (&period, instant));
                assert_int_equal (sp_period_parse (tz, period.label, &parsed, NULL, 0), 0);
                assert_memory_equal (&parsed, &period, sizeof period);
                assert_int_equal (sp_period_next (tz, &period, &next), 0);
                assert_int_equal (next.start_ms, period.end_ms);
                assert_int_equal (sp_period_previous (tz, &period, &previous), 0);
                assert_int_equal (previous.end_ms, period.start_ms);
                assert_int_equal (sp_period_previous (tz, &next, &back), 0);
                assert_memory_equal (&back, &period, sizeof period);
            }
        sp_tz_destroy (&tz);
    }
}

/* --------------------------------------------------------------- parse */

static void
test_parse_labels (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("UTC");
    const int64_t year_2017 = INT64_C (1483228800) * MS;
    s_expect_parse (tz, "2017", SP_PERIOD_YEAR, year_2017, INT64_C (1514764800) * MS);
    s_expect_parse (tz, "2017-Q1", SP_PERIOD_QUARTER, year_2017, year_2017 + 90 * DAY_MS);
    s_expect_parse (tz, "2017-01", SP_PERIOD_MONTH, year_2017, year_2017 + 31 * DAY_MS);
    s_expect_parse (tz, "2017-01-01", SP_PERIOD_DAY, year_2017, year_2017 + DAY_MS);
    /* 2017-W01 starts on Monday 2017-01-02. */
    s_expect_parse (tz, "2017-W01", SP_PERIOD_WEEK, year_2017 + DAY_MS, year_2017 + 8 * DAY_MS);
    s_expect_parse (tz, "2016-02-29", SP_PERIOD_DAY, INT64_C (1456704000) * MS,
                    INT64_C (1456790400) * MS);
    s_expect_parse (tz, "2000-02-29", SP_PERIOD_DAY, INT64_C (951782400) * MS,
                    INT64_C (951868800) * MS);
    s_expect_parse (tz, "0001", SP_PERIOD_YEAR, INT64_C (-62135596800000),
                    INT64_C (-62104060800000));
    s_expect_parse (tz, "9999-12", SP_PERIOD_MONTH, INT64_C (253399622400000),
                    INT64_C (253402300800000));
    sp_tz_destroy (&tz);
}

static void
test_parse_errors (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("UTC");
    s_expect_parse_error (tz, "2017-Q5", "invalid period \"2017-Q5\": quarter must be 1..4");
    s_expect_parse_error (tz, "2017-Q0", "invalid period \"2017-Q0\": quarter must be 1..4");
    s_expect_parse_error (tz, "2019-W53", "invalid period \"2019-W53\": 2019 has 52 ISO weeks");
    s_expect_parse_error (tz, "0001-W53", "invalid period \"0001-W53\": 0001 has 52 ISO weeks");
    s_expect_parse_error (tz, "2019-W00", "invalid period \"2019-W00\": week must be 1..53");
    s_expect_parse_error (tz, "2020-W54", "invalid period \"2020-W54\": week must be 1..53");
    s_expect_parse_error (tz, "2017-13", "invalid period \"2017-13\": month must be 1..12");
    s_expect_parse_error (tz, "2017-00", "invalid period \"2017-00\": month must be 1..12");
    s_expect_parse_error (tz, "2017-13-01", "invalid period \"2017-13-01\": month must be 1..12");
    s_expect_parse_error (tz, "2017-02-29", "invalid period \"2017-02-29\": 2017-02 has 28 days");
    s_expect_parse_error (tz, "1900-02-29", "invalid period \"1900-02-29\": 1900-02 has 28 days");
    s_expect_parse_error (tz, "2017-04-31", "invalid period \"2017-04-31\": 2017-04 has 30 days");
    s_expect_parse_error (tz, "2017-01-00", "invalid period \"2017-01-00\": day must be 1..31");
    s_expect_parse_error (tz, "2017-01-32", "invalid period \"2017-01-32\": day must be 1..31");
    s_expect_parse_error (tz, "0000", "invalid period \"0000\": year must be 1..9999");
    s_expect_parse_error (tz, "0000-W01", "invalid period \"0000-W01\": year must be 1..9999");
    s_expect_parse_error (tz, "0000-12-31", "invalid period \"0000-12-31\": year must be 1..9999");

    const char *shapes[] = { "",        "17",         "2017-5",      "2017-q2",  "2017-w05",
                             "2017-W5", "2017/05",    "2017-05-3",   "20170503", "2017-05-03T00",
                             "+2017",   "-2017",      "2017-Q",      "2017-Q12", "2017-W0a",
                             "2017-0a", "abcd",       "2017-05-03 ", "2017-",    "2017-05-0a",
                             "2017-Qa", "2017-05_03", "12017",       "2017 " };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        s_expect_shape_error (tz, shapes[i]);
    /* Quoted values are sanitised and bounded. */
    s_expect_parse_error (tz, "20\"7\n",
                          "invalid period \"20?7?\": expected YYYY, YYYY-Qn, YYYY-MM, YYYY-Www "
                          "or YYYY-MM-DD");
    char long_label[100];
    memset (long_label, '9', sizeof long_label - 1);
    long_label[sizeof long_label - 1] = '\0';
    char message[ERROR_SIZE];
    snprintf (message, sizeof message,
              "invalid period \"%.60s...\": expected YYYY, YYYY-Qn, YYYY-MM, YYYY-Www or "
              "YYYY-MM-DD",
              long_label);
    s_expect_parse_error (tz, long_label, message);
    sp_tz_destroy (&tz);
}

static void
test_parse_refuses_bad_input (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("UTC");
    char error[ERROR_SIZE] = "";
    sp_period_t period = s_untouched ();
    const char *message = "could not parse period: missing time zone, label or output";
    assert_int_equal (sp_period_parse (NULL, "2017", &period, error, sizeof error), -1);
    assert_string_equal (error, message);
    s_assert_untouched (&period);
    error[0] = '\0';
    assert_int_equal (sp_period_parse (tz, NULL, &period, error, sizeof error), -1);
    assert_string_equal (error, message);
    s_assert_untouched (&period);
    error[0] = '\0';
    assert_int_equal (sp_period_parse (tz, "2017", NULL, error, sizeof error), -1);
    assert_string_equal (error, message);
    /* Without an error buffer, or with a zero-sized one left untouched. */
    assert_int_equal (sp_period_parse (tz, "2017-Q5", &period, NULL, 0), -1);
    s_assert_untouched (&period);
    memcpy (error, "untouched", sizeof "untouched");
    assert_int_equal (sp_period_parse (tz, "2017-Q5", &period, error, 0), -1);
    assert_string_equal (error, "untouched");
    /* A short buffer holds the start of the message. */
    char small[8];
    assert_int_equal (sp_period_parse (tz, "2017-Q5", &period, small, sizeof small), -1);
    assert_string_equal (small, "invalid");
    s_assert_untouched (&period);
    sp_tz_destroy (&tz);
}

/* ---------------------------------------------------- next and previous */

static void
test_step_across_year_ends (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("Asia/Shanghai");
    s_expect_step (tz, "2017-12-31", true, "2018-01-01");
    s_expect_step (tz, "2018-01-01", false, "2017-12-31");
    s_expect_step (tz, "2016-02-28", true, "2016-02-29");
    s_expect_step (tz, "2016-03-01", false, "2016-02-29");
    s_expect_step (tz, "2017-W52", true, "2018-W01");
    s_expect_step (tz, "2020-W52", true, "2020-W53");
    s_expect_step (tz, "2020-W53", true, "2021-W01");
    s_expect_step (tz, "2021-W01", false, "2020-W53");
    s_expect_step (tz, "2019-W01", false, "2018-W52");
    s_expect_step (tz, "2017-12", true, "2018-01");
    s_expect_step (tz, "2018-01", false, "2017-12");
    s_expect_step (tz, "2017-Q4", true, "2018-Q1");
    s_expect_step (tz, "2018-Q1", false, "2017-Q4");
    s_expect_step (tz, "2017-Q2", true, "2017-Q3");
    s_expect_step (tz, "2017", true, "2018");
    s_expect_step (tz, "2018", false, "2017");
    s_expect_step (tz, "0002", false, "0001");
    s_expect_step (tz, "9998-W53", true, "9999-W01");

    /* The output may be the input. */
    sp_period_t period;
    assert_int_equal (sp_period_parse (tz, "2017-12", &period, NULL, 0), 0);
    assert_int_equal (sp_period_next (tz, &period, &period), 0);
    assert_string_equal (period.label, "2018-01");
    assert_int_equal (sp_period_previous (tz, &period, &period), 0);
    assert_string_equal (period.label, "2017-12");
    sp_tz_destroy (&tz);
}

static void
test_step_refuses_bad_input (void **state)
{
    (void) state;
    sp_tz_t *tz = s_zone ("UTC");
    /* Leaving years 1..9999. */
    s_expect_step_refused (tz, "9999", true);
    s_expect_step_refused (tz, "9999-Q4", true);
    s_expect_step_refused (tz, "9999-12", true);
    s_expect_step_refused (tz, "9999-12-31", true);
    s_expect_step_refused (tz, "9999-W52", true);
    s_expect_step_refused (tz, "0001", false);
    s_expect_step_refused (tz, "0001-Q1", false);
    s_expect_step_refused (tz, "0001-01", false);
    s_expect_step_refused (tz, "0001-01-01", false);
    s_expect_step_refused (tz, "0001-W01", false);

    sp_period_t period;
    assert_int_equal (sp_period_parse (tz, "2017-05", &period, NULL, 0), 0);
    sp_period_t out = s_untouched ();
    assert_int_equal (sp_period_next (NULL, &period, &out), -1);
    assert_int_equal (sp_period_next (tz, NULL, &out), -1);
    assert_int_equal (sp_period_next (tz, &period, NULL), -1);
    assert_int_equal (sp_period_previous (NULL, &period, &out), -1);
    assert_int_equal (sp_period_previous (tz, NULL, &out), -1);
    assert_int_equal (sp_period_previous (tz, &period, NULL), -1);
    s_assert_untouched (&out);

    /* A period this module did not make. */
    sp_period_t forged = period;
    forged.kind = SP_PERIOD_DAY; /* label of a month */
    assert_int_equal (sp_period_next (tz, &forged, &out), -1);
    forged.kind = (sp_period_kind_t) SP_PERIOD_KIND_COUNT;
    assert_int_equal (sp_period_next (tz, &forged, &out), -1);
    forged = period;
    memcpy (forged.label, "2017-13", sizeof "2017-13");
    assert_int_equal (sp_period_previous (tz, &forged, &out), -1);
    forged = period;
    memset (forged.label, '9', sizeof forged.label); /* no terminating NUL */
    assert_int_equal (sp_period_next (tz, &forged, &out), -1);
    s_assert_untouched (&out);
    sp_tz_destroy (&tz);
}

static void
test_contains (void **state)
{
    (void) state;
    sp_period_t period = { .kind = SP_PERIOD_DAY, .start_ms = 1000, .end_ms = 2000 };
    assert_false (sp_period_contains (&period, 999));
    assert_true (sp_period_contains (&period, 1000));
    assert_true (sp_period_contains (&period, 1999));
    assert_false (sp_period_contains (&period, 2000));
    assert_false (sp_period_contains (NULL, 1500));
    sp_period_t empty = { .kind = SP_PERIOD_DAY, .start_ms = 1000, .end_ms = 1000 };
    assert_false (sp_period_contains (&empty, 1000));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_kind_names),
        cmocka_unit_test (test_cut_refuses_bad_input),
        cmocka_unit_test (test_cut_range_ends),
        cmocka_unit_test (test_cut_new_york_dst_days),
        cmocka_unit_test (test_cut_sao_paulo_midnight_gap),
        cmocka_unit_test (test_cut_shanghai_new_year),
        cmocka_unit_test (test_cut_berlin),
        cmocka_unit_test (test_cut_iso_weeks),
        cmocka_unit_test (test_cut_before_1970),
        cmocka_unit_test (test_local_day),
        cmocka_unit_test (test_cut_apia_skipped_day),
        cmocka_unit_test (test_cut_overlap_across_midnight),
        cmocka_unit_test (test_cut_parse_step_agree),
        cmocka_unit_test (test_parse_labels),
        cmocka_unit_test (test_parse_errors),
        cmocka_unit_test (test_parse_refuses_bad_input),
        cmocka_unit_test (test_step_across_year_ends),
        cmocka_unit_test (test_step_refuses_bad_input),
        cmocka_unit_test (test_contains),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
