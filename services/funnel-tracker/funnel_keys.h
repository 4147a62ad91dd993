/*  funnel_keys - where funnel-tracker keeps its results in Redis.

    The one place that spells funnel-tracker's Redis keys and hash fields,
    shared by the writer (funnel_apply, on the consumer's atomic step), the
    reader (funnel_query, for salesctl funnel / pipeline) and the notice
    detector (funnel_notifier). No I/O.

    Every result is a per-partition partial (DESIGN.md, "Built to run on
    clustered servers"): keys of partition N carry the hash tag {pN}, and a
    company-, region-, team- or rep-wide figure is the sum over the P
    partitions, made at query time. Medians are exact: the values are kept
    in per-partition sorted sets and the k-th smallest is found by a binary
    search on the value with one ZCOUNT per sorted set per probe.

    Scope: "company", "region:<region_id>", "team:<team_id>" or
    "rep:<rep_id>" (ids as the events carry them, byte for byte). An
    entity counts in the company scope and in the region, team and rep its
    events name (funnel_entity.h says which event's names win).

    Month: "YYYY-MM" in the service's time zone (--time-zone). Day:
    "YYYY-MM-DD". A quarter or a year is read as its three or twelve
    months; "all" as every month in the months set.

    Keys of partition N (K = "funnel-tracker:{pN}:"), F = funnel name:
        K e:F:<entity>               string  an entity's state (funnel_entity)
        K m:F:<scope>:<month>        hash    counts and sums of one month:
            reached:<k>         entities of the cohort month (step 1 reached
                                in the month) that reached step k (1-based)
            duration_sum:<k>    k >= 2: Σ ms from reaching step previous(k)
                                to reaching step k, over the entities of the
                                cohort month that reached both (how many:
                                the members of the duration sorted set)
                                previous(k): k-1, or for a won/lost step the
                                last step that is neither (funnel_report.h)
            won, lost           entities whose journey ended won / lost in
                                the month (outcome month, not cohort month)
            won_amount_sum      Σ won amount, minor units of the reporting
                                currency (config "currency"), over the
                                members of the amount sorted set
            won_other_currency  won entities whose amount is in another
                                currency (counted as won, left out of sums)
            cycle_sum           Σ ms from step 1 to won over the won entities
                                that reached step 1 (how many: the members
                                of the cycle sorted set)
        K z:F:<scope>:<month>:duration:<k>   zset  member entity, score ms
                                from step previous(k) to step k (cohort month)
        K z:F:<scope>:<month>:cycle          zset  member entity, score ms
                                from step 1 to won (outcome month)
        K z:F:<scope>:<month>:amount         zset  member entity, score won
                                amount in minor units (outcome month,
                                reporting currency only)
        K o:F:<scope>                hash    open entities now (pipeline mode:
                                no won/lost yet), by the deepest step k
                                reached (k >= 1):
            count:<k>           entities
            value:<k>           Σ value, minor units of the reporting currency
                                (the weighted value is value:<k> × step k's
                                probability, made at query time: every open
                                entity at step k has that probability)
            other_currency:<k>  entities whose value is in another currency
        K d:F:<scope>:<day>          hash    for each step k with a target:
            sample:<k>          entities that reached the target's "from"
                                step on that day
            converted:<k>       of those, entities that reached step k
        K months:F                   set     months with any data
        K scopes:F                   set     scopes other than "company"
                                with any data
        K clock                      zset    member "latest", score the
                                largest occurred_at applied (ms)
    and one key for the service:
        funnel-tracker:config        hash    "currency" (ISO-4217),
                                "time_zone" (IANA name), "funnels" (JSON
                                array of funnel names counted), and
                                "funnel:<F>" (the canonical JSON definition
                                counted with), "version:<F>" (its version)

    Counters are never deleted: a field that drops to 0 stays as "0".
    A field (and its hash) whose changes within one atomic step sum to 0
    may never be written at all (the consumer coalesces a step's
    commands, sp_consumer_coalesce.h): readers take a missing field or
    hash as 0.

    The builders write with memcpy only (no printf): funnel_apply builds
    tens of keys per event, from a funnel_keys_prefix_t written once per
    funnel and scope.
*/
#ifndef FUNNEL_KEYS_H_INCLUDED
#define FUNNEL_KEYS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_partition.h"

/* The service name: key prefix and lease name. */
#define FUNNEL_KEYS_SERVICE "funnel-tracker"

/* The service-wide configuration hash. */
#define FUNNEL_KEYS_CONFIG "funnel-tracker:config"

/* Room for any key this module writes (sp_partition_key's limit). */
#define FUNNEL_KEYS_SIZE SP_PARTITION_KEY_MAX

/* Longest region, team or rep id: the event's own limit for them. */
#define FUNNEL_KEYS_ID_MAX 64

/* Room for a scope string: "region:" + a FUNNEL_KEYS_ID_MAX-byte id. */
#define FUNNEL_KEYS_SCOPE_SIZE 80

/* Room for a month "YYYY-MM" and a day "YYYY-MM-DD" with the NUL. */
#define FUNNEL_KEYS_MONTH_SIZE 8
#define FUNNEL_KEYS_DAY_SIZE 11

/* Room for a hash field such as "duration_sum:16". */
#define FUNNEL_KEYS_FIELD_SIZE 32

/* Member of the clock sorted set. */
#define FUNNEL_KEYS_CLOCK_MEMBER "latest"

/* Scope kinds, widest first. */
typedef enum {
    FUNNEL_SCOPE_COMPANY = 0,
    FUNNEL_SCOPE_REGION = 1,
    FUNNEL_SCOPE_TEAM = 2,
    FUNNEL_SCOPE_REP = 3,
} funnel_scope_kind_t;

#define FUNNEL_SCOPE_KIND_COUNT 4

/* Distributions kept for medians. */
typedef enum {
    FUNNEL_DISTRIBUTION_DURATION = 0, /* step k-1 to step k, cohort month */
    FUNNEL_DISTRIBUTION_CYCLE = 1,    /* step 1 to won, outcome month */
    FUNNEL_DISTRIBUTION_AMOUNT = 2,   /* won amount, outcome month */
} funnel_distribution_t;

/* Writes the scope string of kind and id ("company" ignores id) into
   buffer. Returns its length, or -1 when id is empty (for kinds other
   than company) or it does not fit. */
int funnel_keys_scope (char *buffer, size_t size, funnel_scope_kind_t kind, const char *id);

/* Reads a scope string ("company", "region:R", "team:T", "rep:P") into
   kind and a pointer to its id inside text ("" for company). Returns 0,
   or -1 with the reason in error: unknown kind or empty id. */
int funnel_keys_scope_parse (const char *text, funnel_scope_kind_t *kind, const char **id,
                             char *error, size_t error_size);

/* The keys above; each returns the key's length, or -1 when it does not
   fit in size bytes (FUNNEL_KEYS_SIZE always fits for valid names). */
int funnel_keys_entity (char *buffer, size_t size, uint32_t partition, const char *funnel,
                        const char *entity);
int funnel_keys_month (char *buffer, size_t size, uint32_t partition, const char *funnel,
                       const char *scope, const char *month);
/* step: k (>= 2) for FUNNEL_DISTRIBUTION_DURATION, ignored otherwise. */
int funnel_keys_distribution (char *buffer, size_t size, uint32_t partition, const char *funnel,
                              const char *scope, const char *month,
                              funnel_distribution_t distribution, size_t step);
int funnel_keys_open (char *buffer, size_t size, uint32_t partition, const char *funnel,
                      const char *scope);
int funnel_keys_day (char *buffer, size_t size, uint32_t partition, const char *funnel,
                     const char *scope, const char *day);
int funnel_keys_months (char *buffer, size_t size, uint32_t partition, const char *funnel);
int funnel_keys_scopes (char *buffer, size_t size, uint32_t partition, const char *funnel);
int funnel_keys_clock (char *buffer, size_t size, uint32_t partition);

/* Writes a hash field "<name>:<step>" (e.g. "reached:3") into buffer of
   FUNNEL_KEYS_FIELD_SIZE bytes. Returns its length. */
int funnel_keys_field (char *buffer, size_t size, const char *name, size_t step);

/* Room for a prefix: "funnel-tracker:{p<uint32>}:" and a suffix. */
#define FUNNEL_KEYS_PREFIX_SIZE (FUNNEL_KEYS_SIZE + 32)

/* What the month, distribution, open and day keys of one funnel and
   scope in one partition start with, written once: "K ?:F:<scope>", the
   kind letter (m, z, o or d) set per key. */
typedef struct {
    char text[FUNNEL_KEYS_PREFIX_SIZE]; /* the prefix, no NUL */
    size_t length;                      /* bytes in it */
    size_t letter;                      /* offset of the kind letter (the length of K) */
} funnel_keys_prefix_t;

/* Writes the prefix of partition, funnel and scope. Returns 0, or -1
   when no key of it can fit (each of the keys below then fails). */
int funnel_keys_prefix (funnel_keys_prefix_t *prefix, uint32_t partition, const char *funnel,
                        const char *scope);

/* funnel_keys_month, _distribution, _open and _day of prefix's
   partition, funnel and scope: the same bytes and results. */
int funnel_keys_prefix_month (char *buffer, size_t size, const funnel_keys_prefix_t *prefix,
                              const char *month);
int funnel_keys_prefix_distribution (char *buffer, size_t size, const funnel_keys_prefix_t *prefix,
                                     const char *month, funnel_distribution_t distribution,
                                     size_t step);
int funnel_keys_prefix_open (char *buffer, size_t size, const funnel_keys_prefix_t *prefix);
int funnel_keys_prefix_day (char *buffer, size_t size, const funnel_keys_prefix_t *prefix,
                            const char *day);

#endif
