/*  churn_population - the population's typical interval between orders
    (see churn_population.h).

    Every customer's order days are kept in one array, increasing per
    customer; a figure is one pass over the customers (a binary search for
    the order days on or before the day; then its n-th and (n+1)-th, or
    the latest 13 of them) and a sort of the figures found. Figures asked
    for are kept by day and order days.
*/
#include "churn_population.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "churn_score.h"

#define S_INITIAL 64

/* One customer's order days: days[start .. start + count). */
typedef struct {
    size_t start;  /* first of its days in the population's array */
    size_t count;  /* its order days, >= 1 */
    bool complete; /* no money day was ever dropped: its first order days are there */
} s_member_t;

/* One figure already computed. */
typedef struct {
    int64_t day;        /* as of */
    int64_t order_days; /* of the customer asking (next_order), 0 for own_interval */
    int64_t interval;   /* the figure, 0: unknown */
} s_figure_t;

struct _churn_population_t {
    int64_t min_orders;                           /* recency.min_orders of the model */
    churn_model_population_statistic_t statistic; /* population.statistic of the model */
    uint32_t quantile_bp;                         /* population.quantile of the model */
    int64_t *days;       /* every member's order days, increasing per member */
    size_t day_count;    /* used */
    size_t day_capacity; /* room */
    s_member_t *members; /* customers with an order */
    size_t member_count;
    size_t member_capacity;
    s_figure_t *figures; /* sorted by day */
    size_t figure_count;
    size_t figure_capacity;
};

/* items (of size bytes each, *capacity of them) with room for needed:
   the same or a bigger block, *capacity raised; NULL when out of memory
   (items and *capacity untouched). */
static void *
s_room (void *items, size_t *capacity, size_t needed, size_t size)
{
    if (needed <= *capacity)
        return items;
    size_t grown = *capacity ? *capacity : S_INITIAL;
    while (grown < needed)
        grown *= 2;
    void *bigger = realloc (items, grown * size);
    if (bigger)
        *capacity = grown;
    return bigger;
}

churn_population_t *
churn_population_new (const churn_model_t *model)
{
    assert (model);
    churn_population_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->min_orders = churn_model_measure (model, CHURN_MODEL_RECENCY)->min_orders;
    self->statistic = churn_model_population_statistic (model);
    self->quantile_bp = churn_model_population_quantile_bp (model);
    assert (self->min_orders >= 2 && self->quantile_bp <= CHURN_MODEL_BASIS_POINTS);
    return self;
}

void
churn_population_destroy (churn_population_t **self_p)
{
    assert (self_p);
    churn_population_t *self = *self_p;
    if (!self)
        return;
    free (self->days);
    free (self->members);
    free (self->figures);
    free (self);
    *self_p = NULL;
}

int
churn_population_add (churn_population_t *self, const churn_customer_t *customer)
{
    assert (self && customer);
    size_t count = 0;
    for (size_t index = 0; index < churn_customer_money_count (customer); index++)
        if (churn_customer_money (customer, index)->orders > 0)
            count++;
    if (count == 0)
        return 0;
    int64_t *days = s_room (self->days, &self->day_capacity, self->day_count + count, sizeof *days);
    if (!days)
        return -1;
    self->days = days;
    s_member_t *members =
        s_room (self->members, &self->member_capacity, self->member_count + 1, sizeof *members);
    if (!members)
        return -1;
    self->members = members;
    s_member_t *member = &self->members[self->member_count++];
    member->start = self->day_count;
    member->count = count;
    member->complete = churn_customer_money_count (customer) < CHURN_CUSTOMER_MONEY_DAYS_MAX;
    for (size_t index = 0; index < churn_customer_money_count (customer); index++) {
        const churn_customer_money_t *day = churn_customer_money (customer, index);
        if (day->orders > 0)
            self->days[self->day_count++] = day->day;
    }
    /* a figure computed before did not count this customer */
    self->figure_count = 0;
    return 0;
}

size_t
churn_population_count (const churn_population_t *self)
{
    assert (self);
    return self->member_count;
}

/* Order days of member on or before day. */
static size_t
s_days_until (const churn_population_t *self, const s_member_t *member, int64_t day)
{
    const int64_t *days = self->days + member->start;
    size_t low = 0, high = member->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (days[middle] <= day)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* The member's figure as of day for a customer with order_days order
   days (next_order), 0 when it gives none. */
static int64_t
s_member_figure (const churn_population_t *self, const s_member_t *member, int64_t day,
                 int64_t order_days)
{
    const int64_t *days = self->days + member->start;
    size_t until = s_days_until (self, member, day);
    if (self->statistic == CHURN_MODEL_POPULATION_NEXT_ORDER) {
        size_t next = (size_t) order_days; /* index of its (order_days + 1)-th order day */
        if (!member->complete || until <= next)
            return 0;
        return days[next] - days[next - 1];
    }
    size_t kept = until < CHURN_SCORE_INTERVALS_MAX + 1 ? until : CHURN_SCORE_INTERVALS_MAX + 1;
    return churn_score_own_interval (days + (until - kept), kept, (int64_t) until,
                                     self->min_orders);
}

static int
s_compare_days (const void *left, const void *right)
{
    int64_t one = *(const int64_t *) left;
    int64_t other = *(const int64_t *) right;
    return (one > other) - (one < other);
}

/* The quantile_bp quantile of sorted (count >= 1 of them, increasing): at
   position (count - 1) × quantile, linear between two neighbours, rounded
   half up. */
static int64_t
s_quantile (const int64_t *sorted, size_t count, uint32_t quantile_bp)
{
    assert (count >= 1);
    int64_t position = (int64_t) (count - 1) * quantile_bp;
    size_t low = (size_t) (position / CHURN_MODEL_BASIS_POINTS);
    int64_t rest = position % CHURN_MODEL_BASIS_POINTS;
    if (rest == 0)
        return sorted[low];
    assert (low + 1 < count);
    return (sorted[low] * CHURN_MODEL_BASIS_POINTS + (sorted[low + 1] - sorted[low]) * rest +
            CHURN_MODEL_BASIS_POINTS / 2) /
           CHURN_MODEL_BASIS_POINTS;
}

/* The figure as of day, computed. -1 when out of memory. */
static int64_t
s_compute (const churn_population_t *self, int64_t day, int64_t order_days)
{
    int64_t *figures = malloc ((self->member_count ? self->member_count : 1) * sizeof *figures);
    if (!figures)
        return -1;
    size_t count = 0;
    for (size_t index = 0; index < self->member_count; index++) {
        int64_t figure = s_member_figure (self, &self->members[index], day, order_days);
        if (figure > 0)
            figures[count++] = figure;
    }
    int64_t figure = 0;
    if (count >= CHURN_POPULATION_CUSTOMERS_MIN) {
        qsort (figures, count, sizeof *figures, s_compare_days);
        figure = s_quantile (figures, count, self->quantile_bp);
    }
    free (figures);
    return figure;
}

/* Whether figure one comes before (day, order_days): the figures' order. */
static bool
s_before (const s_figure_t *one, int64_t day, int64_t order_days)
{
    return one->day < day || (one->day == day && one->order_days < order_days);
}

int64_t
churn_population_interval (churn_population_t *self, int64_t as_of_day, int64_t order_days)
{
    assert (self);
    assert (order_days >= 1 && order_days < self->min_orders);
    if (self->statistic == CHURN_MODEL_POPULATION_OWN_INTERVAL)
        order_days = 0; /* the same figure for every customer */
    size_t low = 0, high = self->figure_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (s_before (&self->figures[middle], as_of_day, order_days))
            low = middle + 1;
        else
            high = middle;
    }
    if (low < self->figure_count && self->figures[low].day == as_of_day &&
        self->figures[low].order_days == order_days)
        return self->figures[low].interval;
    int64_t figure = s_compute (self, as_of_day, order_days);
    if (figure < 0)
        return 0;
    s_figure_t *figures =
        s_room (self->figures, &self->figure_capacity, self->figure_count + 1, sizeof *figures);
    if (figures) { /* else not remembered: computed again next time */
        self->figures = figures;
        memmove (&self->figures[low + 1], &self->figures[low],
                 (self->figure_count - low) * sizeof *self->figures);
        self->figures[low] = (s_figure_t){ as_of_day, order_days, figure };
        self->figure_count++;
    }
    return figure;
}

int64_t
churn_population_order_days (const churn_customer_t *customer, int64_t day)
{
    assert (customer);
    int64_t count = 0;
    for (size_t index = 0; index < churn_customer_money_count (customer); index++) {
        const churn_customer_money_t *money = churn_customer_money (customer, index);
        if (money->day <= day && money->orders > 0)
            count++;
    }
    return count;
}

bool
churn_population_wanted (const churn_model_t *model, const churn_customer_t *customer, int64_t day)
{
    assert (model && customer);
    int64_t order_days = churn_population_order_days (customer, day);
    return order_days >= 1 &&
           order_days < churn_model_measure (model, CHURN_MODEL_RECENCY)->min_orders;
}

int
churn_population_score (churn_population_t *population, const churn_model_t *model, char tier,
                        const churn_customer_t *customer, int64_t day, churn_score_t *out)
{
    assert (model && customer && out);
    assert (!population || (population->min_orders ==
                                churn_model_measure (model, CHURN_MODEL_RECENCY)->min_orders &&
                            population->statistic == churn_model_population_statistic (model) &&
                            population->quantile_bp == churn_model_population_quantile_bp (model)));
    int64_t figure = 0; /* unknown: the model's default_interval_days */
    int64_t order_days = churn_population_order_days (customer, day);
    if (population && order_days >= 1 &&
        order_days < churn_model_measure (model, CHURN_MODEL_RECENCY)->min_orders)
        figure = churn_population_interval (population, day, order_days);
    return churn_score_evaluate (model, tier, customer, day, figure, out);
}
