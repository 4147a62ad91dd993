/*  churn_population - the population's typical interval between orders:
    what recency compares a customer's days since its last order with
    when the customer has fewer than the model's min_orders order days
    (docs/health-model.md, "Typical interval").

    The population is a set of customers (the scorer adds every customer
    of one partition). As of a day d its typical interval is the median,
    over the customers with at least min_orders order days on or before
    d, of each one's own typical interval as of d (churn_score_own_interval:
    the median of the intervals between its latest 13 order days); an
    even count takes the mean of the middle two, rounded half up. With
    fewer than CHURN_POPULATION_CUSTOMERS_MIN such customers it is
    unknown (0), and recency falls back to the model's
    default_interval_days.

    Event time only: days after d are ignored, so the figure for d is the
    same whenever it is computed from the same events (a replay gives the
    live service's), and it does not depend on the order customers are
    added in. Keeps each customer's order days only (at most
    CHURN_CUSTOMER_MONEY_DAYS_MAX each) and the figures already asked
    for. Pure: no I/O.
*/
#ifndef CHURN_POPULATION_H_INCLUDED
#define CHURN_POPULATION_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "churn_customer.h"

/* Customers with their own interval a population needs for a median: a
   median of fewer says more about those customers than about the rest. */
#define CHURN_POPULATION_CUSTOMERS_MIN 5

typedef struct _churn_population_t churn_population_t;

/* An empty population for a model whose recency.min_orders is
   min_orders (>= 2, asserted). NULL when out of memory. */
churn_population_t *churn_population_new (int64_t min_orders);

/* Destroys it; no-op on NULL; sets *self_p to NULL. */
void churn_population_destroy (churn_population_t **self_p);

/* Adds customer (its order days: days with an order of amount >= 0).
   A customer without an order adds nothing. Returns 0, or -1 when out of
   memory (the population is as before). */
int churn_population_add (churn_population_t *self, const churn_customer_t *customer);

/* Customers added that have an order. */
size_t churn_population_count (const churn_population_t *self);

/* The population's typical interval as of day (days, >= 1), or 0 when
   fewer than CHURN_POPULATION_CUSTOMERS_MIN customers have their own
   interval as of day, or memory ran out. Remembers the figure, so
   asking again for the same day is a lookup. */
int64_t churn_population_interval (churn_population_t *self, int64_t as_of_day);

#endif
