/*  churn_population - the population's typical interval between orders:
    what recency compares a customer's days since its last order with
    when the customer has fewer than the model's min_orders order days
    (docs/health-model.md, "The population's typical interval"), and the
    one way to score a customer with it (churn_population_score, for the
    scorer, salesctl health and churn-replay alike).

    The population is a set of customers (the scorer adds every customer
    of one partition). As of a day d, for a customer with n order days
    (1 <= n < min_orders), its typical interval is a quantile (the model's
    "population.quantile", q) of one figure per customer of the
    population, by the model's "population.statistic":

      next_order    the days from its n-th order day to its (n+1)-th, over
                    the customers with n + 1 order days on or before d:
                    how long the population took to place the order this
                    customer is waiting for (its second, for a one-order
                    customer);
      own_interval  its own typical interval as of d
                    (churn_score_own_interval), over the customers with
                    at least min_orders order days on or before d.

    The quantile of the sorted figures x[0..m) is x at position (m - 1) q,
    linear between two neighbours, rounded half up (q = 0.5 is the median,
    an even count taking the mean of the middle two). With fewer than
    CHURN_POPULATION_CUSTOMERS_MIN figures it is unknown (0), and recency
    falls back to the model's default_interval_days. A customer whose
    money-day list is full (CHURN_CUSTOMER_MONEY_DAYS_MAX days) may have
    lost its first order days, so it gives no next_order figure.

    Event time only: days after d are ignored, so the figure for d is the
    same whenever it is computed from the same events (a replay gives the
    live service's), and it does not depend on the order customers are
    added in. Keeps each customer's order days only (at most
    CHURN_CUSTOMER_MONEY_DAYS_MAX each) and the figures already asked
    for. Pure: no I/O.
*/
#ifndef CHURN_POPULATION_H_INCLUDED
#define CHURN_POPULATION_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_customer.h"
#include "churn_model.h"
#include "churn_score.h"

/* Figures a population needs for a quantile: a quantile of fewer says
   more about those customers than about the rest. */
#define CHURN_POPULATION_CUSTOMERS_MIN 5

typedef struct _churn_population_t churn_population_t;

/* An empty population for model (its recency.min_orders and its
   "population" statistic and quantile, copied). NULL when out of
   memory. */
churn_population_t *churn_population_new (const churn_model_t *model);

/* Destroys it; no-op on NULL; sets *self_p to NULL. */
void churn_population_destroy (churn_population_t **self_p);

/* Adds customer (its order days: days with an order of amount >= 0).
   A customer without an order adds nothing. Returns 0, or -1 when out of
   memory (the population is as before). */
int churn_population_add (churn_population_t *self, const churn_customer_t *customer);

/* Customers added that have an order. */
size_t churn_population_count (const churn_population_t *self);

/* The population's typical interval as of day for a customer with
   order_days order days on or before it (1..min_orders - 1, asserted):
   days >= 1, or 0 when fewer than CHURN_POPULATION_CUSTOMERS_MIN
   customers give a figure, or memory ran out. Remembers the figure, so
   asking again for the same day and order days is a lookup. */
int64_t churn_population_interval (churn_population_t *self, int64_t as_of_day, int64_t order_days);

/* Order days (days with an order of amount >= 0) of customer on or
   before day. */
int64_t churn_population_order_days (const churn_customer_t *customer, int64_t day);

/* True when customer, as of day, has an order but fewer than model's
   min_orders order days: its score uses the population's interval. */
bool churn_population_wanted (const churn_model_t *model, const churn_customer_t *customer,
                              int64_t day);

/* Scores customer (tier 'A', 'B', 'C' or 0) as of day with model
   (churn_score_evaluate), with the typical interval of population (may
   be NULL: unknown) when the customer has an order but no interval of
   its own, else the model's default_interval_days. population must be
   built for model. Returns 0 with *out set, or -1 with *out untouched
   when day or tier is out of range. */
int churn_population_score (churn_population_t *population, const churn_model_t *model, char tier,
                            const churn_customer_t *customer, int64_t day, churn_score_t *out);

#endif
