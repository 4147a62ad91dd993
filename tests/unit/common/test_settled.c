/*  test_settled - the decision of sp_settled.h: whether the results hold
    what the log held at the previous observation, under the revision in
    force. The reads from PostgreSQL and Redis (sp_settled_check) are
    covered by the notifiers' integration tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sp_settled.h"

#define TEST_ERROR_SIZE 256
#define TEST_PARTITIONS 3

static sp_settled_t *
s_new (void)
{
    char error[TEST_ERROR_SIZE] = "";
    sp_settled_t *settled = sp_settled_new ("funnel-tracker", TEST_PARTITIONS, error, sizeof error);
    assert_non_null (settled);
    return settled;
}

static void
test_first_observation_wants_the_heads_now (void **state)
{
    (void) state;
    sp_settled_t *settled = s_new ();
    const uint64_t heads[TEST_PARTITIONS] = { 10, 0, 7 };
    const uint64_t zeros[TEST_PARTITIONS] = { 0 };
    const uint64_t behind[TEST_PARTITIONS] = { 10, 0, 6 };
    /* the first: nothing observed before, so the heads read now count */
    assert_false (sp_settled_observe (settled, heads, behind, zeros));
    sp_settled_destroy (&settled);
    settled = s_new ();
    const uint64_t caught_up[TEST_PARTITIONS] = { 10, 0, 7 };
    assert_true (sp_settled_observe (settled, heads, caught_up, zeros));
    sp_settled_destroy (&settled);
    assert_null (settled);
    sp_settled_destroy (&settled); /* no-op on NULL */
}

static void
test_later_observations_want_the_previous_heads (void **state)
{
    (void) state;
    sp_settled_t *settled = s_new ();
    const uint64_t zeros[TEST_PARTITIONS] = { 0 };
    const uint64_t first[TEST_PARTITIONS] = { 5, 5, 5 };
    const uint64_t at_first[TEST_PARTITIONS] = { 5, 5, 5 };
    assert_true (sp_settled_observe (settled, first, at_first, zeros));
    /* the log grew since: checkpoints at the previous heads are enough */
    const uint64_t second[TEST_PARTITIONS] = { 9, 8, 7 };
    assert_true (sp_settled_observe (settled, second, at_first, zeros));
    /* now the heads of the second observation are wanted */
    const uint64_t short_of_second[TEST_PARTITIONS] = { 9, 8, 6 };
    assert_false (sp_settled_observe (settled, second, short_of_second, zeros));
    /* the previous observation kept its heads even though not settled */
    const uint64_t beyond[TEST_PARTITIONS] = { 20, 20, 20 };
    assert_true (sp_settled_observe (settled, beyond, second, zeros));
    sp_settled_destroy (&settled);
}

static void
test_revision_in_force (void **state)
{
    (void) state;
    sp_settled_t *settled = s_new ();
    const uint64_t heads[TEST_PARTITIONS] = { 1, 1, 1 };
    const uint64_t revision_zero[TEST_PARTITIONS] = { 0, 0, 0 };
    const uint64_t revision_four[TEST_PARTITIONS] = { 4, 4, 4 };
    const uint64_t one_behind[TEST_PARTITIONS] = { 4, 3, 4 };
    assert_true (sp_settled_observe (settled, heads, heads, revision_zero));
    sp_settled_set_revision (settled, 4);
    assert_false (sp_settled_observe (settled, heads, heads, revision_zero));
    assert_false (sp_settled_observe (settled, heads, heads, one_behind));
    assert_true (sp_settled_observe (settled, heads, heads, revision_four));
    sp_settled_destroy (&settled);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_first_observation_wants_the_heads_now),
        cmocka_unit_test (test_later_observations_want_the_previous_heads),
        cmocka_unit_test (test_revision_in_force),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
