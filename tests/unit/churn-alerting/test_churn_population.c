/*  test_churn_population - the population's typical interval between
    orders (churn_population): the median of the customers' own intervals
    as of a day, figures derived by hand; days after it ignored; too few
    customers; an even count rounded half up; the latest 13 order days
    only; the order customers are added in changes nothing; a figure
    remembered and forgotten when a customer is added.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "churn_population.h"
#include "churn_score.h"

#define DAY 17500 /* 2017-11-30 */
#define MIN_ORDERS 3
#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))

/* A customer ordering on day + offsets[0..count). */
static churn_customer_t *
s_customer (const int64_t *offsets, size_t count)
{
    churn_customer_t *customer = churn_customer_new ();
    assert_non_null (customer);
    for (size_t index = 0; index < count; index++) {
        churn_customer_event_t event = { .type = CHURN_CUSTOMER_ORDER,
                                         .day = DAY + offsets[index],
                                         .amount_minor = 1000,
                                         .reporting_currency = true };
        assert_int_equal (churn_customer_apply (customer, &event), 0);
    }
    return customer;
}

/* Own intervals as of DAY + 100 (MIN_ORDERS 3): 10, 5, 20, 30, 7, none, 8. */
static const int64_t s_c1[] = { 0, 10, 20 };        /* 10 from DAY + 20 */
static const int64_t s_c2[] = { 0, 5, 10, 15 };     /* 5 from DAY + 10 */
static const int64_t s_c3[] = { 0, 20, 40 };        /* 20 from DAY + 40 */
static const int64_t s_c4[] = { 0, 30, 60, 90 };    /* 30 from DAY + 60 */
static const int64_t s_c5[] = { 0, 7, 14 };         /* 7 from DAY + 14 */
static const int64_t s_c6[] = { 0 };                /* never its own */
static const int64_t s_c7[] = { 0, 8, 16, 24, 32 }; /* 8 from DAY + 16 */
static const int64_t s_c8[] = { 1, 4, 7 };          /* 3 from DAY + 7 */

static void
s_add (churn_population_t *population, const int64_t *offsets, size_t count)
{
    churn_customer_t *customer = s_customer (offsets, count);
    assert_int_equal (churn_population_add (population, customer), 0);
    churn_customer_destroy (&customer);
}

static churn_population_t *
s_population (bool reversed)
{
    churn_population_t *population = churn_population_new (MIN_ORDERS);
    assert_non_null (population);
    const int64_t *lists[] = { s_c1, s_c2, s_c3, s_c4, s_c5, s_c6, s_c7 };
    const size_t counts[] = { COUNT (s_c1), COUNT (s_c2), COUNT (s_c3), COUNT (s_c4),
                              COUNT (s_c5), COUNT (s_c6), COUNT (s_c7) };
    for (size_t index = 0; index < COUNT (lists); index++) {
        size_t at = reversed ? COUNT (lists) - 1 - index : index;
        s_add (population, lists[at], counts[at]);
    }
    return population;
}

/* The median as of a day, with the customers that have their own
   interval on that day. */
static void
test_median_as_of_day (void **state)
{
    (void) state;
    churn_population_t *population = s_population (false);
    assert_int_equal (churn_population_count (population), 7);
    /* DAY + 30: c1 10, c2 5, c5 7, c7 8 (c3, c4 have two order days): four
       customers, fewer than CHURN_POPULATION_CUSTOMERS_MIN: unknown */
    assert_int_equal (churn_population_interval (population, DAY + 30), 0);
    /* DAY + 40: c3's third order: 5, 7, 8, 10, 20 -> 8 */
    assert_int_equal (churn_population_interval (population, DAY + 40), 8);
    /* DAY + 59: c4 still has two: 8 again */
    assert_int_equal (churn_population_interval (population, DAY + 59), 8);
    /* DAY + 60: c4 joins with 30: 5, 7, 8, 10, 20, 30 -> (8 + 10) / 2 = 9 */
    assert_int_equal (churn_population_interval (population, DAY + 60), 9);
    /* DAY + 100: the same six (c4's DAY + 90 keeps 30) */
    assert_int_equal (churn_population_interval (population, DAY + 100), 9);
    /* before anyone's orders, and long before */
    assert_int_equal (churn_population_interval (population, DAY - 1), 0);
    assert_int_equal (churn_population_interval (population, 0), 0);
    /* asked again (remembered), the same */
    assert_int_equal (churn_population_interval (population, DAY + 40), 8);
    assert_int_equal (churn_population_interval (population, DAY + 60), 9);
    /* c8 (3 from DAY + 7) added: figures computed before are forgotten;
       DAY + 40: 3, 5, 7, 8, 10, 20 -> (7 + 8) / 2 = 7.5, rounded up 8;
       DAY + 30: 3, 5, 7, 8, 10 -> 7 */
    s_add (population, s_c8, COUNT (s_c8));
    assert_int_equal (churn_population_count (population), 8);
    assert_int_equal (churn_population_interval (population, DAY + 40), 8);
    assert_int_equal (churn_population_interval (population, DAY + 30), 7);
    /* DAY + 60: 3, 5, 7, 8, 10, 20, 30 -> 8 */
    assert_int_equal (churn_population_interval (population, DAY + 60), 8);
    churn_population_destroy (&population);
    assert_null (population);
    churn_population_destroy (&population); /* no-op */
}

/* Customers added in another order give the same figures. */
static void
test_order_independent (void **state)
{
    (void) state;
    churn_population_t *forward = s_population (false);
    churn_population_t *backward = s_population (true);
    for (int64_t day = DAY - 2; day <= DAY + 120; day++)
        assert_int_equal (churn_population_interval (forward, day),
                          churn_population_interval (backward, day));
    churn_population_destroy (&backward);
    churn_population_destroy (&forward);
}

/* Only order days count (not payments), and of a customer only its
   latest 13: five customers ordering on DAY, then every 2 days from
   DAY + 100 to DAY + 124 (14 order days) have 2, not the 100 first. */
static void
test_latest_order_days (void **state)
{
    (void) state;
    churn_population_t *population = churn_population_new (MIN_ORDERS);
    assert_non_null (population);
    int64_t offsets[14] = { 0 };
    for (size_t index = 1; index < COUNT (offsets); index++)
        offsets[index] = 100 + 2 * (int64_t) (index - 1);
    for (int copy = 0; copy < CHURN_POPULATION_CUSTOMERS_MIN; copy++)
        s_add (population, offsets, COUNT (offsets));
    churn_customer_t *payer = churn_customer_new ();
    assert_non_null (payer);
    churn_customer_event_t payment = {
        .type = CHURN_CUSTOMER_PAYMENT, .day = DAY, .amount_minor = 1000, .reporting_currency = true
    };
    assert_int_equal (churn_customer_apply (payer, &payment), 0);
    assert_int_equal (churn_population_add (population, payer), 0); /* no order: nothing */
    churn_customer_destroy (&payer);
    assert_int_equal (churn_population_count (population), CHURN_POPULATION_CUSTOMERS_MIN);
    /* DAY + 124: latest 13 days DAY + 100 .. + 124, twelve intervals of 2 */
    assert_int_equal (churn_population_interval (population, DAY + 124), 2);
    /* DAY + 104: DAY, + 100, + 102, + 104: intervals 100, 2, 2 -> 2 */
    assert_int_equal (churn_population_interval (population, DAY + 104), 2);
    /* DAY + 102: DAY, + 100, + 102: intervals 100, 2 -> 51 */
    assert_int_equal (churn_population_interval (population, DAY + 102), 51);
    /* DAY + 100: two order days: none */
    assert_int_equal (churn_population_interval (population, DAY + 100), 0);
    churn_population_destroy (&population);
}

/* The one rule of a customer's own interval, shared with churn_score. */
static void
test_own_interval (void **state)
{
    (void) state;
    const int64_t days[] = { DAY + 1, DAY + 3, DAY + 10 };
    /* intervals 2 and 7: (2 + 7) / 2 = 4.5, rounded up */
    assert_int_equal (churn_score_own_interval (days, 3, 3, 3), 5);
    assert_int_equal (churn_score_own_interval (days, 3, 3, 4), 0); /* too few */
    assert_int_equal (churn_score_own_interval (days, 3, 9, 4), 5); /* more before */
    assert_int_equal (churn_score_own_interval (days, 2, 2, 2), 2);
    assert_int_equal (churn_score_own_interval (days + 2, 1, 5, 2), 0); /* no gap */
    assert_int_equal (churn_score_own_interval (NULL, 0, 0, 2), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_median_as_of_day),
        cmocka_unit_test (test_order_independent),
        cmocka_unit_test (test_latest_order_days),
        cmocka_unit_test (test_own_interval),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
