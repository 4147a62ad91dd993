/*  funnel_median - exact medians over unions of Redis sorted sets.

    funnel-tracker keeps each distribution (time between two steps, sales
    cycle, won amount) as one sorted set per partition and month, scored
    by an integer. The median of a company-wide period is then the
    percentile_cont (0.5) over the union of many sets: the value at the
    middle rank k = (n + 1) / 2 of the union's n members, or for an even n
    the mean of ranks n / 2 and n / 2 + 1. It is found exactly by a
    distributed selection that reads few members:

      1. one pipelined round of ZCARD gives every set's size n_i;
      2. each search keeps a window, in every set a range of ranks
         low_i .. high_i - 1 known to hold the wanted ranks (at first the
         whole sets). While the window is large, a pivot round reads in
         each set the member at the wanted rank's share of that set's
         window (ZRANGE key r r WITHSCORES, r = low_i + ⌈k' × w_i / w⌉ - 1
         for window rank k' of w members, w_i of them in set i); the
         3/10 and 7/10 weighted quantiles of those pivots are a bracket
         of values, and a count round (ZCOUNT key -inf (lo and ZCOUNT key
         -inf hi in each set the window spans) tells exactly whether the
         wanted ranks lie below, inside or above it: the window becomes
         that part. A bracket that did not halve the window is followed
         by one of a single value (the pivots' weighted median), which
         always removes at least the members of that value or ends the
         search (every member in it equal);
      3. once the window holds at most 256 members, or 32 per set it
         spans, it is read whole by rank (ZRANGE key low_i high_i - 1
         WITHSCORES), sorted, and the wanted ranks taken from it. A
         window rank that is the first or the last of the window is the
         least or greatest pivot, known without a count.

    Every group's searches share the round trips (one pipeline per
    round); the two middle ranks of an even union are searched together
    until a bracket falls between them, then apart. Over the benchmark's
    company funnel (about 200 sets per distribution) that is the size
    round, one or two pivot and count rounds and a read of a few
    thousand scores: a few commands per set instead of one ZCOUNT per
    set per bisection step.

    Reads are not a snapshot: a set that changes between rounds can only
    make the result that of some state in between; a search whose window
    empties or that has not ended after 256 rounds fails (try again).

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
   failed, a key is not a sorted set, a score read is not a whole
   number, the sets changed too much while they were read). */
int funnel_median_run (funnel_median_t *self, sp_redis_t *redis, funnel_report_value_t *medians,
                       uint64_t *members, char *error, size_t error_size);

#endif
