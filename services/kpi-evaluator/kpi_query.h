/*  kpi_query - reads kpi-evaluator's measures back from Redis for
    `salesctl kpi` and `salesctl scorecard`.

    kpi-evaluator keeps per-partition partials per local day and month
    (kpi_keys.h); the measures of a scope over a period up to a day are
    their sum, made here: the period's whole months that end by the day
    are read as months, the other days as days, with one pipelined round
    trip over every partition. The reporting currency and time zone come
    from "kpi-evaluator:config", as the service wrote them, and the
    targets, org and scorecard from PostgreSQL (kpi_reference.h).

    Reads are not a snapshot: while the service applies events, figures
    read in different round trips may be a few events apart.
*/
#ifndef KPI_QUERY_H_INCLUDED
#define KPI_QUERY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpi_catalog.h"
#include "kpi_reference.h"
#include "sp_period.h"
#include "sp_pg.h"
#include "sp_redis.h"
#include "sp_tz.h"

/* Room for an error message of this module. */
#define KPI_QUERY_ERROR_SIZE 512

typedef struct _kpi_query_t kpi_query_t;

/* The measures of one scope. */
typedef struct {
    char *scope; /* "company", "region:<id>", ... (owned) */
    int64_t sums[KPI_MEASURE_COUNT];
} kpi_query_scope_t;

/* Reads the settings kpi-evaluator counts with from redis and the
   reference data the queries use from pg (org, targets, scorecard: not
   the customers, which only the handler needs), both borrowed and
   outliving the query, for partitions partitions. Returns NULL with the
   reason. */
kpi_query_t *kpi_query_new (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions, char *error,
                            size_t error_size);

/* The same, reading the reference data of mask (kpi_reference.h), e.g.
   with KPI_REFERENCE_HISTORY for the targets as first loaded. */
kpi_query_t *kpi_query_new_with (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions,
                                 unsigned mask, char *error, size_t error_size);

void kpi_query_destroy (kpi_query_t **self_p);

const char *kpi_query_currency (const kpi_query_t *self);
const char *kpi_query_time_zone (const kpi_query_t *self);
const sp_tz_t *kpi_query_tz (const kpi_query_t *self);
const kpi_reference_t *kpi_query_reference (const kpi_query_t *self);

/* The local day number (days since 1970-01-01) of an instant, and of a
   period's first and last days. Return 0, or -1 out of range. */
int kpi_query_day (const kpi_query_t *self, int64_t utc_ms, int64_t *day);
int kpi_query_period_days (const kpi_query_t *self, const sp_period_t *period, int64_t *first,
                           int64_t *last);

/* Sums of every measure of each of count scopes over the days of period
   up to day through (inclusive; a day past the period reads the whole
   period, one before it nothing) into sums[i]. Returns 0, or -1 with the
   reason. */
int kpi_query_sums (kpi_query_t *self, const sp_period_t *period, int64_t through,
                    const char *const *scopes, size_t count, int64_t (*sums)[KPI_MEASURE_COUNT],
                    char *error, size_t error_size);

/* The same for every scope that counted anything: *scopes gets a
   malloc'd array of *count (free with kpi_query_scopes_free). */
int kpi_query_every_scope (kpi_query_t *self, const sp_period_t *period, int64_t through,
                           kpi_query_scope_t **scopes, size_t *count, char *error,
                           size_t error_size);
void kpi_query_scopes_free (kpi_query_scope_t **scopes, size_t count);

/* Limits what the cache reads of each period to scopes (count of them,
   copied): a scorecard reads only its members. Without a limit it reads
   every scope. */
int kpi_query_cache_scopes (kpi_query_t *self, const char *const *scopes, size_t count);

/* With on, kpi_query_scope_sums reads every scope of a period at once,
   and kpi_query_open every scope's open pipeline at once, and keeps them
   for the query's life (a scorecard, a close or the forecast recorder
   evaluates many scopes over the same periods); off (the default) they
   read the one scope asked. */
void kpi_query_cache (kpi_query_t *self, bool on);

/* The measures of one scope over the days of period up to through, as
   kpi_query_sums reads them (see kpi_query_cache). Returns 0, or -1 with
   the reason. */
int kpi_query_scope_sums (kpi_query_t *self, const sp_period_t *period, int64_t through,
                          const char *scope, int64_t *sums, char *error, size_t error_size);

/* A customer touched, with how many events touched it. */
typedef struct {
    char *customer; /* owned */
    int64_t touches;
} kpi_query_touched_t;

/* The customers touched (visits, calls, demos, quotes, outcomes) in the
   days of period up to through by the rep and team scopes of scopes
   (count of them; a rep or team scope, or any for company: every team's),
   summed over them: *touched gets a malloc'd array of *count sorted by
   touches, most first, then customer id (free with
   kpi_query_touched_free). Returns 0, or -1 with the reason. */
int kpi_query_touched (kpi_query_t *self, const sp_period_t *period, int64_t through,
                       const char *const *scopes, size_t scope_count, bool every_team,
                       kpi_query_touched_t **touched, size_t *count, char *error,
                       size_t error_size);
void kpi_query_touched_free (kpi_query_touched_t **touched, size_t count);

/* The open pipeline of a scope now, by stage. */
typedef struct {
    char *stage;    /* "" before any stage change (owned) */
    int64_t count;  /* open opportunities */
    int64_t value;  /* Σ value, reporting currency */
    int64_t other;  /* valued in another currency */
} kpi_query_stage_t;

/* Reads scope's open pipeline over every partition: *stages gets a
   malloc'd array of *count stages that hold anything (free with
   kpi_query_stages_free). Returns 0, or -1 with the reason. */
int kpi_query_open (kpi_query_t *self, const char *scope, kpi_query_stage_t **stages,
                    size_t *count, char *error, size_t error_size);
void kpi_query_stages_free (kpi_query_stage_t **stages, size_t count);

#endif
