/*  test_outbox - the pure parts of the outbox kit (sp_outbox.h): stream
    names and where a received sequence stands. The PostgreSQL and ZeroMQ
    parts are in tests/integration/test_outbox.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sp_outbox.h"

#define TEST_ERROR_SIZE 256

static void
test_stream_names (void **state)
{
    (void) state;
    char error[TEST_ERROR_SIZE] = "";
    assert_int_equal (sp_outbox_stream_check ("funnel-notices", error, sizeof error), 0);
    assert_int_equal (sp_outbox_stream_check ("kpi.pace_warnings", error, sizeof error), 0);
    assert_int_equal (sp_outbox_stream_check ("7", error, sizeof error), 0);
    char longest[SP_OUTBOX_STREAM_SIZE];
    memset (longest, 'a', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    assert_int_equal (sp_outbox_stream_check (longest, error, sizeof error), 0);

    static const char *const bad[] = { "", "Funnel", "-notices", ".x", "a b", "a/b", "é" };
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        error[0] = '\0';
        assert_int_equal (sp_outbox_stream_check (bad[index], error, sizeof error), -1);
        assert_non_null (strstr (error, "invalid stream name"));
    }
    char too_long[SP_OUTBOX_STREAM_SIZE + 1];
    memset (too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    assert_int_equal (sp_outbox_stream_check (too_long, error, sizeof error), -1);
    assert_non_null (strstr (error, "must be 1 to 63 bytes"));
}

static void
test_order (void **state)
{
    (void) state;
    assert_int_equal (sp_outbox_order (0, 0), SP_OUTBOX_SEEN);
    assert_int_equal (sp_outbox_order (0, 1), SP_OUTBOX_NEXT);
    assert_int_equal (sp_outbox_order (0, 2), SP_OUTBOX_GAP);
    assert_int_equal (sp_outbox_order (5, 3), SP_OUTBOX_SEEN);
    assert_int_equal (sp_outbox_order (5, 5), SP_OUTBOX_SEEN);
    assert_int_equal (sp_outbox_order (5, 6), SP_OUTBOX_NEXT);
    assert_int_equal (sp_outbox_order (5, INT64_MAX), SP_OUTBOX_GAP);
    assert_int_equal (sp_outbox_order (INT64_MAX - 1, INT64_MAX), SP_OUTBOX_NEXT);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_stream_names),
        cmocka_unit_test (test_order),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
