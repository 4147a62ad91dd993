/*  test_churn_population - the population's typical interval between
    orders (churn_population), figures derived by hand: own_interval at
    the median (the customers' own intervals as of a day; days after it
    ignored; too few customers; an even count rounded half up; the latest
    13 order days only; the order customers are added in changes
    nothing; a figure remembered and forgotten when a customer is added);
    next_order at several quantiles (the days to the order the customer
    is waiting for, by its order days; interpolation rounded half up; a
    customer whose first order days may be gone gives none); and
    churn_population_score, the one way to score with it.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "churn_model.h"
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

/* A model with min_orders MIN_ORDERS and the population's statistic and
   quantile (a JSON number). */
static churn_model_t *
s_model (const char *statistic, const char *quantile)
{
    char text[256], error[CHURN_MODEL_ERROR_SIZE] = "";
    snprintf (text, sizeof text,
              "{\"name\": \"t\", \"population\": {\"statistic\": \"%s\", \"quantile\": %s}, "
              "\"measures\": {\"recency\": {\"min_orders\": %d}}}",
              statistic, quantile, MIN_ORDERS);
    churn_model_t *model = churn_model_new (text, strlen (text), error, sizeof error);
    if (!model)
        print_error ("%s\n", error);
    assert_non_null (model);
    return model;
}

/* A population for the median of the own intervals. */
static churn_population_t *
s_median_population (void)
{
    churn_model_t *model = s_model ("own_interval", "0.5");
    churn_population_t *population = churn_population_new (model);
    assert_non_null (population);
    churn_model_destroy (&model);
    return population;
}

static void
s_add (churn_population_t *population, const int64_t *offsets, size_t count)
{
    churn_customer_t *customer = s_customer (offsets, count);
    assert_int_equal (churn_population_add (population, customer), 0);
    churn_customer_destroy (&customer);
}

/* c1 .. c7 added to a population of model (NULL: the median of the own
   intervals), in reverse when reversed. */
static churn_population_t *
s_population (const churn_model_t *model, bool reversed)
{
    churn_population_t *population = model ? churn_population_new (model) : s_median_population ();
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
    churn_population_t *population = s_population (NULL, false);
    assert_int_equal (churn_population_count (population), 7);
    /* DAY + 30: c1 10, c2 5, c5 7, c7 8 (c3, c4 have two order days): four
       customers, fewer than CHURN_POPULATION_CUSTOMERS_MIN: unknown */
    assert_int_equal (churn_population_interval (population, DAY + 30, 1), 0);
    /* DAY + 40: c3's third order: 5, 7, 8, 10, 20 -> 8 */
    assert_int_equal (churn_population_interval (population, DAY + 40, 1), 8);
    /* DAY + 59: c4 still has two: 8 again */
    assert_int_equal (churn_population_interval (population, DAY + 59, 1), 8);
    /* DAY + 60: c4 joins with 30: 5, 7, 8, 10, 20, 30 -> (8 + 10) / 2 = 9 */
    assert_int_equal (churn_population_interval (population, DAY + 60, 1), 9);
    /* DAY + 100: the same six (c4's DAY + 90 keeps 30) */
    assert_int_equal (churn_population_interval (population, DAY + 100, 1), 9);
    /* before anyone's orders, and long before */
    assert_int_equal (churn_population_interval (population, DAY - 1, 1), 0);
    assert_int_equal (churn_population_interval (population, 0, 1), 0);
    /* asked again (remembered), the same */
    assert_int_equal (churn_population_interval (population, DAY + 40, 1), 8);
    assert_int_equal (churn_population_interval (population, DAY + 60, 1), 9);
    /* c8 (3 from DAY + 7) added: figures computed before are forgotten;
       DAY + 40: 3, 5, 7, 8, 10, 20 -> (7 + 8) / 2 = 7.5, rounded up 8;
       DAY + 30: 3, 5, 7, 8, 10 -> 7 */
    s_add (population, s_c8, COUNT (s_c8));
    assert_int_equal (churn_population_count (population), 8);
    assert_int_equal (churn_population_interval (population, DAY + 40, 1), 8);
    assert_int_equal (churn_population_interval (population, DAY + 30, 1), 7);
    /* DAY + 60: 3, 5, 7, 8, 10, 20, 30 -> 8 */
    assert_int_equal (churn_population_interval (population, DAY + 60, 1), 8);
    churn_population_destroy (&population);
    assert_null (population);
    churn_population_destroy (&population); /* no-op */
}

/* Customers added in another order give the same figures. */
static void
test_order_independent (void **state)
{
    (void) state;
    churn_population_t *forward = s_population (NULL, false);
    churn_population_t *backward = s_population (NULL, true);
    for (int64_t day = DAY - 2; day <= DAY + 120; day++)
        assert_int_equal (churn_population_interval (forward, day, 1),
                          churn_population_interval (backward, day, 1));
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
    churn_population_t *population = s_median_population ();
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
    assert_int_equal (churn_population_interval (population, DAY + 124, 1), 2);
    /* DAY + 104: DAY, + 100, + 102, + 104: intervals 100, 2, 2 -> 2 */
    assert_int_equal (churn_population_interval (population, DAY + 104, 1), 2);
    /* DAY + 102: DAY, + 100, + 102: intervals 100, 2 -> 51 */
    assert_int_equal (churn_population_interval (population, DAY + 102, 1), 51);
    /* DAY + 100: two order days: none */
    assert_int_equal (churn_population_interval (population, DAY + 100, 1), 0);
    churn_population_destroy (&population);
}

/* next_order: as of DAY + 100 the days from the first order day to the
   second are c1 10, c2 5, c3 20, c4 30, c5 7, c7 8 (c6 has one order
   day): 5, 7, 8, 10, 20, 30, positions 0..5. */
static void
test_next_order (void **state)
{
    (void) state;
    struct {
        const char *quantile;
        int64_t figure;
    } cases[] = {
        { "0", 5 },    /* the smallest */
        { "0.1", 6 },  /* position 0.5: 5 + 0.5 × 2 = 6 */
        { "0.25", 7 }, /* 1.25: 7 + 0.25 × 1 = 7.25 -> 7 */
        { "0.3", 8 },  /* 1.5: 7 + 0.5 × 1 = 7.5, rounded half up */
        { "0.5", 9 },  /* 2.5: (8 + 10) / 2, the median */
        { "0.9", 25 }, /* 4.5: 20 + 0.5 × 10 */
        { "1", 30 },   /* the largest */
    };
    for (size_t index = 0; index < COUNT (cases); index++) {
        churn_model_t *model = s_model ("next_order", cases[index].quantile);
        churn_population_t *population = s_population (model, index % 2 == 1);
        assert_int_equal (churn_population_interval (population, DAY + 100, 1),
                          cases[index].figure);
        churn_population_destroy (&population);
        churn_model_destroy (&model);
    }
    churn_model_t *model = s_model ("next_order", "0.1");
    churn_population_t *population = s_population (model, false);
    /* DAY + 8: only c2 5, c5 7, c7 8 have a second order day: unknown */
    assert_int_equal (churn_population_interval (population, DAY + 8, 1), 0);
    /* DAY + 20: c1 10, c2 5, c3 20, c5 7, c7 8: 5, 7, 8, 10, 20; position
       0.4: 5 + 0.4 × 2 = 5.8 -> 6 */
    assert_int_equal (churn_population_interval (population, DAY + 20, 1), 6);
    /* a customer with two order days waits for its third: as of DAY + 50
       the second to third days are c1 10, c2 5, c3 20, c5 7, c7 8 (c4's
       third is DAY + 60): 6 again; as of DAY + 30 only c1, c2, c5, c7:
       unknown, though the first-to-second figure is known */
    assert_int_equal (churn_population_interval (population, DAY + 50, 2), 6);
    assert_int_equal (churn_population_interval (population, DAY + 30, 2), 0);
    assert_int_equal (churn_population_interval (population, DAY + 30, 1), 6);
    /* remembered per day and order days */
    assert_int_equal (churn_population_interval (population, DAY + 30, 2), 0);
    assert_int_equal (churn_population_interval (population, DAY + 20, 1), 6);
    /* c8 (DAY + 1, + 4, + 7) adds 3 and forgets the figures: DAY + 20:
       3, 5, 7, 8, 10, 20, position 0.5: 4 */
    s_add (population, s_c8, COUNT (s_c8));
    assert_int_equal (churn_population_interval (population, DAY + 20, 1), 4);
    churn_population_destroy (&population);
    churn_model_destroy (&model);
}

/* A customer whose money days filled the list may have lost its first
   order days: it gives no next_order figure (its first kept gap, 1 day,
   would make the smallest figure 1). */
static void
test_next_order_complete_only (void **state)
{
    (void) state;
    churn_model_t *model = s_model ("next_order", "0");
    churn_population_t *population = churn_population_new (model);
    assert_non_null (population);
    const int64_t gap[] = { 0, 10 };
    for (int copy = 0; copy < CHURN_POPULATION_CUSTOMERS_MIN; copy++)
        s_add (population, gap, COUNT (gap));
    int64_t offsets[CHURN_CUSTOMER_MONEY_DAYS_MAX];
    for (size_t index = 0; index < COUNT (offsets); index++)
        offsets[index] = (int64_t) index;
    s_add (population, offsets, COUNT (offsets) - 1); /* not full: its 1 counts */
    assert_int_equal (churn_population_interval (population, DAY + 500, 1), 1);
    churn_population_destroy (&population);
    population = churn_population_new (model);
    assert_non_null (population);
    for (int copy = 0; copy < CHURN_POPULATION_CUSTOMERS_MIN; copy++)
        s_add (population, gap, COUNT (gap));
    s_add (population, offsets, COUNT (offsets)); /* full */
    assert_int_equal (churn_population_count (population), CHURN_POPULATION_CUSTOMERS_MIN + 1);
    assert_int_equal (churn_population_interval (population, DAY + 500, 1), 10);
    churn_population_destroy (&population);
    churn_model_destroy (&model);
}

/* churn_population_score: the population's figure for a customer without
   its own interval, else its own, the model's without a population or a
   figure. Five customers ordered on DAY and DAY + 10 (next_order, the
   median: 10 days from the first order day to the second, none yet to a
   third). */
static void
test_score (void **state)
{
    (void) state;
    churn_model_t *model = s_model ("next_order", "0.5");
    churn_population_t *population = churn_population_new (model);
    assert_non_null (population);
    const int64_t gap[] = { 0, 10 };
    for (int copy = 0; copy < CHURN_POPULATION_CUSTOMERS_MIN; copy++)
        s_add (population, gap, COUNT (gap));
    const int64_t one[] = { 0 }, two[] = { 0, 4 }, three[] = { 0, 4, 8 };
    churn_customer_t *single = s_customer (one, COUNT (one));
    churn_customer_t *pair = s_customer (two, COUNT (two));
    churn_customer_t *regular = s_customer (three, COUNT (three));
    churn_customer_t *none = churn_customer_new ();
    assert_non_null (none);
    churn_score_t score;
    const churn_score_measure_t *recency = &score.measures[CHURN_MODEL_RECENCY];
    /* one order day, 20 days before: 20 / 10 = 2 */
    assert_int_equal (churn_population_order_days (single, DAY + 20), 1);
    assert_true (churn_population_wanted (model, single, DAY + 20));
    assert_int_equal (churn_population_score (population, model, 0, single, DAY + 20, &score), 0);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_POPULATION);
    assert_int_equal (recency->previous, 10);
    assert_int_equal (recency->current, 20);
    assert_int_equal (recency->score, 50);
    /* without a population: the model's 7 days */
    assert_int_equal (churn_population_score (NULL, model, 0, single, DAY + 20, &score), 0);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_MODEL);
    assert_int_equal (recency->previous, 7);
    /* two order days: nobody has a third, so the model's */
    assert_int_equal (churn_population_order_days (pair, DAY + 20), 2);
    assert_int_equal (churn_population_score (population, model, 0, pair, DAY + 20, &score), 0);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_MODEL);
    assert_int_equal (recency->previous, 7);
    /* event time: as of DAY + 9 nobody had a second order day yet (the
       model's), as of DAY + 10 all five had (10) */
    assert_int_equal (churn_population_score (population, model, 0, single, DAY + 9, &score), 0);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_MODEL);
    assert_int_equal (churn_population_score (population, model, 0, single, DAY + 10, &score), 0);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_POPULATION);
    assert_int_equal (recency->previous, 10);
    /* three order days (min_orders): its own 4, the population unused */
    assert_false (churn_population_wanted (model, regular, DAY + 20));
    assert_int_equal (churn_population_score (population, model, 0, regular, DAY + 20, &score), 0);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_OWN);
    assert_int_equal (recency->previous, 4);
    /* no order: no interval */
    assert_int_equal (churn_population_order_days (none, DAY + 20), 0);
    assert_false (churn_population_wanted (model, none, DAY + 20));
    assert_int_equal (churn_population_score (population, model, 0, none, DAY + 20, &score), 0);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_NONE);
    /* refused: a day out of range, an unknown tier; *out untouched */
    memset (&score, 0x5a, sizeof score);
    churn_score_t before = score;
    assert_int_equal (churn_population_score (population, model, 0, single, -1, &score), -1);
    assert_int_equal (churn_population_score (population, model, 'D', single, DAY + 20, &score),
                      -1);
    assert_memory_equal (&score, &before, sizeof score);
    churn_customer_destroy (&none);
    churn_customer_destroy (&regular);
    churn_customer_destroy (&pair);
    churn_customer_destroy (&single);
    churn_population_destroy (&population);
    churn_model_destroy (&model);
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
        cmocka_unit_test (test_next_order),
        cmocka_unit_test (test_next_order_complete_only),
        cmocka_unit_test (test_score),
        cmocka_unit_test (test_own_interval),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
