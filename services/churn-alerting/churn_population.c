/*  churn_population - the population's typical interval between orders
    (see churn_population.h).

    Every customer's order days are kept in one array, increasing per
    customer; a figure is one pass over the customers (a binary search for
    the order days on or before the day, then the latest 13 of them) and a
    sort of the intervals found. Figures asked for are kept by day.
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
    size_t start; /* first of its days in the population's array */
    size_t count; /* its order days, >= 1 */
} s_member_t;

/* One figure already computed. */
typedef struct {
    int64_t day;      /* as of */
    int64_t interval; /* the figure, 0: unknown */
} s_figure_t;

struct _churn_population_t {
    int64_t min_orders;  /* recency.min_orders of the model */
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
churn_population_new (int64_t min_orders)
{
    assert (min_orders >= 2);
    churn_population_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->min_orders = min_orders;
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

/* The member's own interval as of day, 0 when it has none. */
static int64_t
s_own_interval (const churn_population_t *self, const s_member_t *member, int64_t day)
{
    const int64_t *days = self->days + member->start;
    /* order days on or before day: the first `low` of them */
    size_t low = 0, high = member->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (days[middle] <= day)
            low = middle + 1;
        else
            high = middle;
    }
    size_t kept = low < CHURN_SCORE_INTERVALS_MAX + 1 ? low : CHURN_SCORE_INTERVALS_MAX + 1;
    return churn_score_own_interval (days + (low - kept), kept, (int64_t) low, self->min_orders);
}

static int
s_compare_days (const void *left, const void *right)
{
    int64_t one = *(const int64_t *) left;
    int64_t other = *(const int64_t *) right;
    return (one > other) - (one < other);
}

/* The figure as of day, computed. -1 when out of memory. */
static int64_t
s_compute (const churn_population_t *self, int64_t day)
{
    int64_t *intervals = malloc ((self->member_count ? self->member_count : 1) * sizeof *intervals);
    if (!intervals)
        return -1;
    size_t count = 0;
    for (size_t index = 0; index < self->member_count; index++) {
        int64_t interval = s_own_interval (self, &self->members[index], day);
        if (interval > 0)
            intervals[count++] = interval;
    }
    int64_t figure = 0;
    if (count >= CHURN_POPULATION_CUSTOMERS_MIN) {
        qsort (intervals, count, sizeof *intervals, s_compare_days);
        if (count % 2 == 1)
            figure = intervals[count / 2];
        else /* the mean of the middle two, rounded half up (both >= 1) */
            figure = (intervals[count / 2 - 1] + intervals[count / 2] + 1) / 2;
    }
    free (intervals);
    return figure;
}

int64_t
churn_population_interval (churn_population_t *self, int64_t as_of_day)
{
    assert (self);
    size_t low = 0, high = self->figure_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (self->figures[middle].day < as_of_day)
            low = middle + 1;
        else
            high = middle;
    }
    if (low < self->figure_count && self->figures[low].day == as_of_day)
        return self->figures[low].interval;
    int64_t figure = s_compute (self, as_of_day);
    if (figure < 0)
        return 0;
    s_figure_t *figures =
        s_room (self->figures, &self->figure_capacity, self->figure_count + 1, sizeof *figures);
    if (figures) { /* else not remembered: computed again next time */
        self->figures = figures;
        memmove (&self->figures[low + 1], &self->figures[low],
                 (self->figure_count - low) * sizeof *self->figures);
        self->figures[low] = (s_figure_t){ as_of_day, figure };
        self->figure_count++;
    }
    return figure;
}
