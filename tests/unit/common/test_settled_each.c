/*  test_settled_each - the per-partition decision of sp_settled.h
    (sp_settled_observe_each): each partition is settled on its own when
    its checkpoint reached the head kept from the previous observation
    and its state carries the revision in force, so a partition behind
    does not make the others unsettled (churn-alerting scores the settled
    ones); the overall answer is still whether every partition is, and
    sp_settled_observe answers the same as before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_settled.h"

#define TEST_ERROR_SIZE 256
#define TEST_PARTITIONS 3

static sp_settled_t *
s_new (void)
{
    char error[TEST_ERROR_SIZE] = "";
    sp_settled_t *settled = sp_settled_new ("churn-alerting", TEST_PARTITIONS, error, sizeof error);
    assert_non_null (settled);
    return settled;
}

static void
test_a_partition_behind_leaves_the_others_settled (void **state)
{
    (void) state;
    sp_settled_t *settled = s_new ();
    const uint64_t zeros[TEST_PARTITIONS] = { 0 };
    const uint64_t first[TEST_PARTITIONS] = { 5, 5, 5 };
    bool each[TEST_PARTITIONS] = { false, false, false };
    assert_true (sp_settled_observe_each (settled, first, first, zeros, each));
    assert_true (each[0] && each[1] && each[2]);
    /* partition 1 lags behind the heads of the first observation */
    const uint64_t second[TEST_PARTITIONS] = { 9, 9, 9 };
    const uint64_t lagging[TEST_PARTITIONS] = { 6, 4, 5 };
    assert_false (sp_settled_observe_each (settled, second, lagging, zeros, each));
    assert_true (each[0]);
    assert_false (each[1]);
    assert_true (each[2]);
    /* it catches up: settled again, the others wanting the second heads */
    const uint64_t third[TEST_PARTITIONS] = { 12, 12, 12 };
    const uint64_t caught_up[TEST_PARTITIONS] = { 9, 9, 8 };
    assert_false (sp_settled_observe_each (settled, third, caught_up, zeros, each));
    assert_true (each[0]);
    assert_true (each[1]);
    assert_false (each[2]);
    sp_settled_destroy (&settled);
}

static void
test_revision_per_partition (void **state)
{
    (void) state;
    sp_settled_t *settled = s_new ();
    const uint64_t heads[TEST_PARTITIONS] = { 1, 1, 1 };
    const uint64_t one_rebuilt[TEST_PARTITIONS] = { 2, 1, 1 };
    bool each[TEST_PARTITIONS] = { true, true, true };
    sp_settled_set_revision (settled, 2);
    assert_false (sp_settled_observe_each (settled, heads, heads, one_rebuilt, each));
    assert_true (each[0]);
    assert_false (each[1]);
    assert_false (each[2]);
    sp_settled_destroy (&settled);
}

static void
test_observe_agrees (void **state)
{
    (void) state;
    sp_settled_t *whole = s_new ();
    sp_settled_t *each_check = s_new ();
    const uint64_t zeros[TEST_PARTITIONS] = { 0 };
    const uint64_t heads[TEST_PARTITIONS] = { 3, 4, 5 };
    const uint64_t behind[TEST_PARTITIONS] = { 3, 3, 5 };
    bool each[TEST_PARTITIONS];
    assert_int_equal (sp_settled_observe (whole, heads, behind, zeros),
                      sp_settled_observe_each (each_check, heads, behind, zeros, each));
    assert_int_equal (sp_settled_observe (whole, heads, heads, zeros),
                      sp_settled_observe_each (each_check, heads, heads, zeros, NULL));
    sp_settled_destroy (&whole);
    sp_settled_destroy (&each_check);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_partition_behind_leaves_the_others_settled),
        cmocka_unit_test (test_revision_per_partition),
        cmocka_unit_test (test_observe_agrees),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
