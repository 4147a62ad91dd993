/*  test_array - sp_array_reserve: room from the initial size, doubling,
    no change when there is room, refusal of a size that overflows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "sp_array.h"

static void
test_reserve_grows_by_doubling (void **state)
{
    (void) state;
    int *array = NULL;
    size_t capacity = 0;
    assert_int_equal (sp_array_reserve ((void **) &array, &capacity, 1, sizeof *array, 4), 0);
    assert_non_null (array);
    assert_int_equal (capacity, 4);
    array[3] = 7;
    int *before = array;
    assert_int_equal (sp_array_reserve ((void **) &array, &capacity, 4, sizeof *array, 4), 0);
    assert_ptr_equal (array, before); /* room already: nothing changes */
    assert_int_equal (sp_array_reserve ((void **) &array, &capacity, 5, sizeof *array, 4), 0);
    assert_int_equal (capacity, 8);
    assert_int_equal (array[3], 7); /* kept */
    assert_int_equal (sp_array_reserve ((void **) &array, &capacity, 33, sizeof *array, 4), 0);
    assert_int_equal (capacity, 64);
    free (array);
}

static void
test_reserve_refuses_overflow (void **state)
{
    (void) state;
    char *array = NULL;
    size_t capacity = 0;
    assert_int_equal (sp_array_reserve ((void **) &array, &capacity, 2, 16, 2), 0);
    char *before = array;
    assert_int_equal (sp_array_reserve ((void **) &array, &capacity, SIZE_MAX / 8, 16, 2), -1);
    assert_ptr_equal (array, before);
    assert_int_equal (capacity, 2);
    free (array);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_reserve_grows_by_doubling),
        cmocka_unit_test (test_reserve_refuses_overflow),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
