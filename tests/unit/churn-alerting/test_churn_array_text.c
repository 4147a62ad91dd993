/*  test_churn_array_text - PostgreSQL array literals built in memory
    (churn_array_text_add_quoted, _add_bare, _add_int64, _finish,
    _reset): an empty array is "{}", elements are separated by commas,
    quoted elements escape '"' and '\' and keep commas, braces, spaces and
    the word NULL as text, numbers are bare, a long array grows, finish
    hands the text over and leaves the builder empty for reuse, and reset
    frees what was built.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "churn_array_text.h"

static void
test_empty (void **state)
{
    (void) state;
    churn_array_text_t array = { 0 };
    char *text = churn_array_text_finish (&array);
    assert_string_equal (text, "{}");
    free (text);
    assert_null (array.text);
    assert_int_equal (array.count, 0);
}

static void
test_quoted (void **state)
{
    (void) state;
    churn_array_text_t array = { 0 };
    churn_array_text_add_quoted (&array, "cust-1");
    churn_array_text_add_quoted (&array, "a,b {c} d");
    churn_array_text_add_quoted (&array, "say \"hi\" \\ bye");
    churn_array_text_add_quoted (&array, "NULL");
    churn_array_text_add_quoted (&array, "");
    assert_int_equal (array.count, 5);
    char *text = churn_array_text_finish (&array);
    assert_string_equal (text,
                         "{\"cust-1\",\"a,b {c} d\",\"say \\\"hi\\\" \\\\ bye\",\"NULL\",\"\"}");
    free (text);
}

static void
test_bare_and_numbers (void **state)
{
    (void) state;
    churn_array_text_t array = { 0 };
    churn_array_text_add_bare (&array, "4c0102");
    churn_array_text_add_int64 (&array, INT64_C (-9223372036854775807) - 1);
    churn_array_text_add_int64 (&array, 20000);
    char *text = churn_array_text_finish (&array);
    assert_string_equal (text, "{4c0102,-9223372036854775808,20000}");
    free (text);
}

static void
test_grows_and_reuses (void **state)
{
    (void) state;
    churn_array_text_t array = { 0 };
    for (int index = 0; index < 1000; index++)
        churn_array_text_add_int64 (&array, 7);
    assert_false (array.failed);
    char *text = churn_array_text_finish (&array);
    assert_int_equal (strlen (text), 2 * 1000 + 1);
    assert_memory_equal (text, "{7,7,", 5);
    assert_string_equal (text + strlen (text) - 3, ",7}");
    free (text);
    /* empty again: a new array */
    churn_array_text_add_quoted (&array, "x");
    text = churn_array_text_finish (&array);
    assert_string_equal (text, "{\"x\"}");
    free (text);
}

static void
test_reset (void **state)
{
    (void) state;
    churn_array_text_t array = { 0 };
    churn_array_text_add_quoted (&array, "x");
    churn_array_text_reset (&array);
    assert_null (array.text);
    assert_int_equal (array.count, 0);
    assert_int_equal (array.length, 0);
    churn_array_text_reset (&array); /* twice: no-op */
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_empty),
        cmocka_unit_test (test_quoted),
        cmocka_unit_test (test_bare_and_numbers),
        cmocka_unit_test (test_grows_and_reuses),
        cmocka_unit_test (test_reset),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
