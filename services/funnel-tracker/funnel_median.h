/*  funnel_median - exact medians over unions of Redis sorted sets.

    funnel-tracker keeps each distribution (time between two steps, sales
    cycle, won amount) as one sorted set per partition and month, scored
    by an integer. The median of a company-wide quarter is then the
    percentile_cont (0.5) over the union of many sets, found without
    reading the members: one pipelined round asks every set for its size
    (ZCARD) and its least and greatest score (ZRANGE 0 0 / -1 -1
    WITHSCORES); then every group's binary search on the integer values
    between (funnel_report_search) advances in lockstep: each round trip
    carries one probe of every search not done yet, ZCOUNT key -inf v over
    each group's non-empty sets. About 2 × 64 round trips at most for all
    the groups together, whatever the number of members.

    Used by funnel_query; the keys come from funnel_keys.h.
*/
#ifndef FUNNEL_MEDIAN_H_INCLUDED
#define FUNNEL_MEDIAN_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "funnel_report.h"
#include "sp_redis.h"

typedef struct _funnel_median_t funnel_median_t;

/* group_count groups (>= 1) of sorted sets, each empty; NULL when out of
   memory. */
funnel_median_t *funnel_median_new (size_t group_count);

/* Destroys the groups; no-op on NULL; sets *self_p to NULL. */
void funnel_median_destroy (funnel_median_t **self_p);

/* Adds the sorted set key (copied) to group (< group count, asserted).
   Returns 0, or -1 when out of memory. */
int funnel_median_add (funnel_median_t *self, size_t group, const char *key);

/* The median of each group's union into medians[group] (unset for an
   empty union), and when members is not NULL the union's size into
   members[group]. Returns 0, or -1 with the reason in error (Redis
   failed, a key is not a sorted set, a score is not a whole number). */
int funnel_median_run (funnel_median_t *self, sp_redis_t *redis, funnel_report_value_t *medians,
                       uint64_t *members, char *error, size_t error_size);

#endif
