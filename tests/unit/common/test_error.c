/*  test_error - the caller error buffer and value quoting (sp_error). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sp_error.h"

static void
test_set_formats_and_cuts (void **state)
{
    (void) state;
    char error[16] = "untouched";
    sp_error_set (error, sizeof error, "bad value \"%s\" for %d", "x", 7);
    assert_string_equal (error, "bad value \"x\" f");
    sp_error_set (error, sizeof error, "%s", "short");
    assert_string_equal (error, "short");
}

static void
test_set_ignores_missing_buffer (void **state)
{
    (void) state;
    char error[8] = "same";
    sp_error_set (NULL, sizeof error, "ignored %d", 1);
    sp_error_set (error, 0, "ignored %d", 2);
    assert_string_equal (error, "same");
}

static void
test_quote_replaces_unsafe_bytes (void **state)
{
    (void) state;
    char quoted[32];
    sp_error_quote ("Europe/Berlin", quoted, sizeof quoted);
    assert_string_equal (quoted, "Europe/Berlin");
    sp_error_quote ("a\"b\\c\nd\x01" "e\xc3\xa9", quoted, sizeof quoted);
    assert_string_equal (quoted, "a?b?c?d?e??");
    sp_error_quote ("", quoted, sizeof quoted);
    assert_string_equal (quoted, "");
}

static void
test_quote_cuts_long_text (void **state)
{
    (void) state;
    char quoted[8];
    sp_error_quote ("abcd", quoted, sizeof quoted);
    assert_string_equal (quoted, "abcd");
    sp_error_quote ("abcde", quoted, sizeof quoted);
    assert_string_equal (quoted, "abcd...");
    sp_error_quote ("a much longer value", quoted, sizeof quoted);
    assert_string_equal (quoted, "a mu...");
    assert_int_equal (strlen (quoted), sizeof quoted - 1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_set_formats_and_cuts),
        cmocka_unit_test (test_set_ignores_missing_buffer),
        cmocka_unit_test (test_quote_replaces_unsafe_bytes),
        cmocka_unit_test (test_quote_cuts_long_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
