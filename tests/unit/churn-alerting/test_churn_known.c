/*  test_churn_known - the scoring state the scorer last wrote
    (churn_known): a state kept reads back, at its revision only, as the
    same bytes it was kept from; a new put replaces it, forget drops it;
    a full store keeps no new customer (and a failed put keeps no older
    state of its customer), while a customer kept is still replaced.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "churn_known.h"

#define FILL 0x5a
#define FIRST_DAY 20000
#define PERIODS 3
#define ERROR_SIZE 256
#define KEPT_MAX 2

/* A history of count periods from FIRST_DAY, scores from score. */
static churn_history_t
s_history (int count, int score)
{
    churn_history_t history;
    churn_history_init (&history);
    for (int index = 0; index < count; index++) {
        churn_rules_period_t period;
        memset (&period, 0, sizeof period);
        period.day = FIRST_DAY + index;
        period.has_score = true;
        period.score = score + index;
        period.band = CHURN_BAND_GREEN;
        assert_int_equal (churn_history_append (&history, &period), 0);
    }
    return history;
}

/* Four states: overdue fired at the last period and acknowledged, the
   others never stepped. */
static void
s_states (churn_lifecycle_t states[CHURN_RULES_COUNT])
{
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        churn_lifecycle_init (&states[rule]);
    churn_lifecycle_t *fired = &states[0];
    int64_t day = FIRST_DAY + PERIODS - 1;
    fired->status = CHURN_LIFECYCLE_FIRING;
    fired->has_day = true;
    fired->last_day = day;
    fired->fired_day = day;
    fired->last_sent_day = day;
    char error[ERROR_SIZE];
    assert_int_equal (churn_lifecycle_ack (fired, day, day + 7, "rep-ana", "called", error,
                                           sizeof error),
                      0);
}

/* The bytes of a customer's state as the store writes them. */
static void
s_assert_same (const churn_alert_store_customer_t *got, const churn_history_t *history,
               const churn_lifecycle_t *states)
{
    unsigned char left[CHURN_HISTORY_PACKED_MAX], right[CHURN_HISTORY_PACKED_MAX];
    size_t size = churn_history_pack (&got->history, left, sizeof left);
    assert_true (size > 0);
    assert_int_equal (churn_history_pack (history, right, sizeof right), size);
    assert_memory_equal (left, right, size);
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        unsigned char one[CHURN_LIFECYCLE_PACKED_MAX], other[CHURN_LIFECYCLE_PACKED_MAX];
        size = churn_lifecycle_pack (&got->states[rule], one, sizeof one);
        assert_true (size > 0);
        assert_int_equal (churn_lifecycle_pack (&states[rule], other, sizeof other), size);
        assert_memory_equal (one, other, size);
    }
}

static void
test_kept_reads_back_at_its_revision (void **state)
{
    (void) state;
    churn_known_t *known = churn_known_new (KEPT_MAX);
    assert_non_null (known);
    churn_history_t history = s_history (PERIODS, 40);
    churn_lifecycle_t states[CHURN_RULES_COUNT];
    s_states (states);
    assert_int_equal (churn_known_put (known, "cust-1", 3, &history, states), 0);
    assert_int_equal (churn_known_size (known), 1);

    churn_alert_store_customer_t got;
    memset (&got, 0, sizeof got);
    assert_true (churn_known_get (known, "cust-1", 3, &got));
    assert_true (got.stored);
    assert_int_equal (got.revision, 3);
    s_assert_same (&got, &history, states);
    assert_string_equal (got.states[0].ack_rep, "rep-ana");

    /* another revision (the row moved), another customer: untouched */
    churn_alert_store_customer_t untouched, before;
    memset (&untouched, FILL, sizeof untouched);
    before = untouched;
    assert_false (churn_known_get (known, "cust-1", 4, &untouched));
    assert_false (churn_known_get (known, "cust-1", 0, &untouched));
    assert_false (churn_known_get (known, "cust-2", 3, &untouched));
    assert_memory_equal (&untouched, &before, sizeof untouched);
    churn_known_destroy (&known);
    assert_null (known);
    churn_known_destroy (&known);
}

static void
test_put_replaces_and_forget_drops (void **state)
{
    (void) state;
    churn_known_t *known = churn_known_new (KEPT_MAX);
    assert_non_null (known);
    churn_history_t first = s_history (1, 10), second = s_history (PERIODS, 70);
    churn_lifecycle_t states[CHURN_RULES_COUNT];
    s_states (states);
    assert_int_equal (churn_known_put (known, "cust-1", 1, &first, states), 0);
    assert_int_equal (churn_known_put (known, "cust-1", 2, &second, states), 0);
    assert_int_equal (churn_known_size (known), 1);
    churn_alert_store_customer_t got;
    assert_false (churn_known_get (known, "cust-1", 1, &got));
    assert_true (churn_known_get (known, "cust-1", 2, &got));
    s_assert_same (&got, &second, states);

    churn_known_forget (known, "cust-1");
    churn_known_forget (known, "cust-9"); /* none kept: nothing happens */
    assert_int_equal (churn_known_size (known), 0);
    assert_false (churn_known_get (known, "cust-1", 2, &got));
    churn_known_destroy (&known);
}

static void
test_full_keeps_no_new_customer (void **state)
{
    (void) state;
    churn_known_t *known = churn_known_new (KEPT_MAX);
    assert_non_null (known);
    churn_history_t history = s_history (PERIODS, 40);
    churn_lifecycle_t states[CHURN_RULES_COUNT];
    s_states (states);
    assert_int_equal (churn_known_put (known, "cust-1", 1, &history, states), 0);
    assert_int_equal (churn_known_put (known, "cust-2", 1, &history, states), 0);
    assert_int_equal (churn_known_put (known, "cust-3", 1, &history, states), -1);
    assert_int_equal (churn_known_size (known), KEPT_MAX);
    churn_alert_store_customer_t got;
    assert_false (churn_known_get (known, "cust-3", 1, &got));
    /* a customer kept is still replaced when full */
    assert_int_equal (churn_known_put (known, "cust-2", 2, &history, states), 0);
    assert_true (churn_known_get (known, "cust-2", 2, &got));
    assert_int_equal (churn_known_size (known), KEPT_MAX);
    churn_known_destroy (&known);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_kept_reads_back_at_its_revision),
        cmocka_unit_test (test_put_replaces_and_forget_drops),
        cmocka_unit_test (test_full_keeps_no_new_customer),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
