/*  test_tz_zones - sp_tz against the real tzdata Debian ships: New York,
    Berlin, Shanghai, Sao Paulo (DST change at midnight), Dublin (negative
    DST), Apia (a skipped day). Expected offsets were collected with zdump
    (tzdata 2026f) while writing the tests, e.g.
    `zdump -v -c 2017,2019 America/New_York`; UTC seconds with
    `date -u -d "2017-03-12 07:00:00" +%s`.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_tz.h"

#define ERROR_SIZE 512 /* message buffer of every test */

static sp_tz_t *
s_load (const char *name)
{
    char error[ERROR_SIZE] = "";
    sp_tz_t *tz = sp_tz_new (name, error, sizeof error);
    if (!tz)
        fail_msg ("could not load %s: %s", name, error);
    return tz;
}

/* Checks offsets just before and at a change: before, then after. */
static void
s_expect_change (const sp_tz_t *tz, int64_t at, int32_t before, int32_t after)
{
    assert_int_equal (sp_tz_offset_at (tz, at - 1), before);
    assert_int_equal (sp_tz_offset_at (tz, at), after);
}

/* ------------------------------------------------------------ real zones */

static void
test_new_york_offsets (void **state)
{
    (void) state;
    sp_tz_t *tz = s_load ("America/New_York");
    /* 2017-03-12 07:00:00Z spring forward, 2017-11-05 06:00:00Z fall back */
    s_expect_change (tz, INT64_C (1489302000), -18000, -14400);
    s_expect_change (tz, INT64_C (1509861600), -14400, -18000);
    /* 1883-11-18 17:00:00Z local mean time ends; 1800 is before the
       first transition: local time type 0, LMT */
    s_expect_change (tz, INT64_C (-2717650800), -17762, -18000);
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (-5364662400)), -17762);
    /* 1960-07-01T12:00Z: EDT */
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (-299851200)), -14400);
    /* 2100, far beyond the table (which ends in 2037): the footer rule
       EST5EDT,M3.2.0,M11.1.0. July EDT, January EST, and its changes on
       2100-03-14 07:00:00Z and 2100-11-07 06:00:00Z. */
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4118126400)), -14400);
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4103697600)), -18000);
    s_expect_change (tz, INT64_C (4108690800), -18000, -14400);
    s_expect_change (tz, INT64_C (4129250400), -14400, -18000);
    /* The ends of the range: before everything LMT; 292278994-08-17 EDT. */
    assert_int_equal (sp_tz_offset_at (tz, SP_TZ_SECONDS_MIN), -17762);
    assert_int_equal (sp_tz_offset_at (tz, SP_TZ_SECONDS_MAX), -14400);
    sp_tz_destroy (&tz);
}

static void
test_new_york_local_to_utc (void **state)
{
    (void) state;
    sp_tz_t *tz = s_load ("America/New_York");
    /* Local seconds are written as the UTC seconds of the same wall time. */
    /* Gap: 2017-03-12 02:00..02:59:59 does not exist; all map to 07:00Z. */
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1489284000)), INT64_C (1489302000));
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1489285800)), INT64_C (1489302000));
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1489287599)), INT64_C (1489302000));
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1489287600)), INT64_C (1489302000));
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1489283999)), INT64_C (1489301999));
    /* Overlap: 2017-11-05 01:30 happens twice, the earlier is 05:30Z (EDT). */
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1509845400)), INT64_C (1509859800));
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1509843600)), INT64_C (1509858000));
    /* 02:00 after the overlap is once, EST: 07:00Z. */
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1509847200)), INT64_C (1509865200));
    /* Plain times, in 1960 and in 2100 (footer). */
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (-299851200) - 14400), INT64_C (-299851200));
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (4118126400) - 14400), INT64_C (4118126400));
    /* The ends of the range. */
    assert_int_equal (sp_tz_local_to_utc (tz, SP_TZ_SECONDS_MIN), SP_TZ_SECONDS_MIN + 17762);
    assert_int_equal (sp_tz_local_to_utc (tz, SP_TZ_SECONDS_MAX), SP_TZ_SECONDS_MAX + 14400);
    sp_tz_destroy (&tz);
}

static void
test_berlin (void **state)
{
    (void) state;
    sp_tz_t *tz = s_load ("Europe/Berlin");
    s_expect_change (tz, INT64_C (1490490000), 3600, 7200); /* 2017-03-26 01:00:00Z */
    s_expect_change (tz, INT64_C (1509238800), 7200, 3600); /* 2017-10-29 01:00:00Z */
    /* 2017-03-26 02:30 local is in the gap: 01:00Z. */
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1490495400)), INT64_C (1490490000));
    /* 2017-10-29 02:30 local twice: the earlier, CEST, is 00:30Z. */
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1509244200)), INT64_C (1509237000));
    assert_int_equal (sp_tz_offset_at (tz, SP_TZ_SECONDS_MAX), 7200);
    sp_tz_destroy (&tz);
}

static void
test_shanghai (void **state)
{
    (void) state;
    sp_tz_t *tz = s_load ("Asia/Shanghai");
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (1514736000)), 28800); /* 2017-12-31T16Z */
    /* 1901-01-01: LMT +8:05:43 until 1900-12-31 15:54:17Z */
    s_expect_change (tz, INT64_C (-2177481943), 29143, 28800);
    /* DST began at local midnight 1940-06-01 (1940-05-31 16:00:00Z):
       00:30 local did not exist and maps to the jump. */
    s_expect_change (tz, INT64_C (-933667200), 28800, 32400);
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (-933636600)), INT64_C (-933667200));
    /* Footer "CST-8" after the last transition (1991). */
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4118126400)), 28800);
    sp_tz_destroy (&tz);
}

static void
test_sao_paulo_midnight_gap (void **state)
{
    (void) state;
    sp_tz_t *tz = s_load ("America/Sao_Paulo");
    /* 2018-11-04 00:00 -03 -> 01:00 -02 at 03:00:00Z */
    s_expect_change (tz, INT64_C (1541300400), -10800, -7200);
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1541289600)), INT64_C (1541300400));
    /* 2018-02-18 00:00 -02 -> 2018-02-17 23:00 -03 at 02:00:00Z */
    s_expect_change (tz, INT64_C (1518919200), -7200, -10800);
    /* 2018-02-17 23:30 local twice: the earlier is 01:30Z */
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1518910200)), INT64_C (1518917400));
    /* No DST since 2019: footer "<-03>3". */
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4118126400)), -10800);
    sp_tz_destroy (&tz);
}

static void
test_dublin_negative_dst (void **state)
{
    (void) state;
    /* Footer IST-1GMT0,M10.5.0,M3.5.0/1: "daylight" time is winter GMT. */
    sp_tz_t *tz = s_load ("Europe/Dublin");
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4103697600)), 0);    /* 2100-01-15 */
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4118126400)), 3600); /* 2100-07-01 */
    s_expect_change (tz, INT64_C (4109878800), 0, 3600);                 /* 2100-03-28 01:00:00Z */
    s_expect_change (tz, INT64_C (4128627600), 3600, 0);                 /* 2100-10-31 01:00:00Z */
    sp_tz_destroy (&tz);
}

static void
test_apia_skipped_day (void **state)
{
    (void) state;
    /* Samoa skipped 2011-12-30: 2011-12-29 23:59:59 -10 was followed by
       2011-12-31 00:00:00 +14, at 2011-12-30 10:00:00Z. */
    sp_tz_t *tz = s_load ("Pacific/Apia");
    s_expect_change (tz, INT64_C (1325239200), -36000, 50400);
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1325246400)), INT64_C (1325239200));
    sp_tz_destroy (&tz);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_york_offsets),
        cmocka_unit_test (test_new_york_local_to_utc),
        cmocka_unit_test (test_berlin),
        cmocka_unit_test (test_shanghai),
        cmocka_unit_test (test_sao_paulo_midnight_gap),
        cmocka_unit_test (test_dublin_negative_dst),
        cmocka_unit_test (test_apia_skipped_day),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
