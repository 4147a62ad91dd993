/*  funnel_query - reads funnel-tracker's results back from Redis for
    `salesctl funnel` and `salesctl pipeline`.

    funnel-tracker keeps per-partition partials (funnel_keys.h); a figure
    for the company, a region, a team or a rep over a period is their sum,
    made here:

      - the funnel's definition, version, the reporting currency and the
        time zone come from "funnel-tracker:config", as the service wrote
        them when it started counting, so the report always matches what
        was counted (not what was loaded since);
      - "all" is the union of the partitions' months sets; a month, quarter
        or year is its months (funnel_report_period_months);
      - the month hashes of every partition × month are read with one
        pipelined HGETALL each and added up (checked for overflow);
      - medians are exact: over the union of the sorted sets of every
        partition × month, the middle values are found by a distributed
        selection (funnel_median): one pipelined round of ZCARD, then
        rounds of per-set pivots (ZRANGE by rank) and bracket counts
        (ZCOUNT) narrow each distribution's window of ranks until it is
        small enough to read whole; every distribution shares the
        round trips;
      - the open pipeline is HGETALL of each partition's open hash.

    Reads are not a snapshot: while the service applies events, figures
    read in different round trips may be a few events apart.

    Every failure names what went wrong: an unknown funnel (with the
    funnels that are counted), a bad scope or period, a missing config
    record, a malformed value, a Redis error. A key that does not exist
    reads as zeros (nothing was counted there).
*/
#ifndef FUNNEL_QUERY_H_INCLUDED
#define FUNNEL_QUERY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "funnel_definition.h"
#include "funnel_report.h"
#include "sp_redis.h"

/* Room for an error message of this module. */
#define FUNNEL_QUERY_ERROR_SIZE 512

typedef struct _funnel_query_t funnel_query_t;

/* Reads the configuration funnel-tracker counts funnel with from redis
   (borrowed; it must outlive the query), for partitions partitions
   (1..SP_PARTITIONS_MAX). Returns NULL with the reason in error, e.g.
   `funnel "x" is not counted by funnel-tracker (counted: crm, default)`. */
funnel_query_t *funnel_query_new (sp_redis_t *redis, uint32_t partitions, const char *funnel,
                                  char *error, size_t error_size);

/* Destroys the query; no-op on NULL; sets *self_p to NULL. */
void funnel_query_destroy (funnel_query_t **self_p);

/* The definition, its version, the reporting currency and the time zone
   the service counts with (borrowed from the query). */
const funnel_definition_t *funnel_query_definition (const funnel_query_t *self);
int64_t funnel_query_version (const funnel_query_t *self);
const char *funnel_query_currency (const funnel_query_t *self);
const char *funnel_query_time_zone (const funnel_query_t *self);

/* Sums the partials of scope ("company", "region:R", "team:T", "rep:P")
   over the months of period ("YYYY-MM", "YYYY-Qn", "YYYY", "all") into
   totals, with the medians: the step durations only when durations is
   true, the sales cycle and won amount of pipeline funnels always.
   months gets the months read (cleared first; the caller clears it).
   Returns 0, or -1 with the reason in error. */
int funnel_query_totals (funnel_query_t *self, const char *scope, const char *period,
                         bool durations, funnel_report_months_t *months,
                         funnel_report_totals_t *totals, char *error, size_t error_size);

/* Sums the open pipeline of scope over the partitions into open. Returns
   0, or -1 with the reason in error. */
int funnel_query_open_pipeline (funnel_query_t *self, const char *scope, funnel_report_open_t *open,
                                char *error, size_t error_size);

#endif
