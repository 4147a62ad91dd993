/*  funnel_entity - one entity's journey through one funnel, and what it
    adds to the funnel's results.

    funnel-tracker keeps, per funnel and entity (an opportunity, or a
    customer), the events of the entity that matched the funnel's steps,
    as "hits", and the names (region, team, rep) the entity is counted
    under. From them it derives a contribution: which months, scopes and
    steps the entity counts in, its step-to-step times, its outcome, its
    open value. The handler applies a new event by taking the entity's old
    contribution away from the aggregates and adding its new one
    (funnel_apply), so a late or out-of-order event gives exactly the
    results of in-order delivery: the contribution depends on the set of
    hits only, never on their arrival order. No I/O.

    What is kept. Pipeline mode needs only the earliest hit of each step
    (funnel_steps.h: later hits of a step never change the result), so an
    entity holds at most one hit per step whatever its number of events.
    Sequence mode needs every hit (windowFunnel's chains), up to
    FUNNEL_ENTITY_MAX_HITS; hits beyond are refused (the caller counts
    and logs them). A strict_order sequence funnel also keeps the
    entity's rows that match no step (funnel_definition_unmatched_row:
    an event of one of the funnel's event types, such as a stage change
    to a stage no step names) as hits with step_mask 0, since such a row
    stops a strict_order chain; they count towards the same limit, and
    neither name the entity nor give it a value. No other funnel stores
    them.

    Names. An entity counts in the company scope and under the region,
    team and rep named by its latest matched event that names each (by
    occurred_at, then sequence): a reassigned opportunity moves with all
    its history to its new owner.

    Money. A matched event carrying an amount (lead_created's
    estimated_value, quote_sent's amount, deal_won's amount) sets the
    entity's value when it is the latest such event; the won amount is
    the amount of the hit that reached the won step. Amounts in the
    reporting currency are summed; others are counted as "other currency"
    and left out of sums, medians and the weighted pipeline.

    Periods. The cohort month is the month (service time zone) in which
    step 1 was reached; the outcome month the month of the won or lost
    hit; a target's day is the day its "from" step was reached. Step
    durations are measured from funnel_report_previous (k - 1, or for a
    won or lost step the last ordinary step).

    Storage form (funnel_entity_pack): a versioned little-endian binary
    record, read back by funnel_entity_unpack with every length checked.
    Version 1 holds only hits that match a step; version 2 has the same
    layout and may hold rows (step_mask 0). An entity without rows is
    written as version 1, byte for byte as before rows existed, so records
    of either version are read, and code that knows only version 1 refuses
    a record with rows rather than misreading it.
*/
#ifndef FUNNEL_ENTITY_H_INCLUDED
#define FUNNEL_ENTITY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.pb-c.h"
#include "funnel_definition.h"
#include "funnel_keys.h"
#include "funnel_steps.h"
#include "sp_tz.h"

/* Most hits one entity keeps in a sequence funnel. */
#define FUNNEL_ENTITY_MAX_HITS 512

/* Longest name (region, team, rep id): the event's own limit. */
#define FUNNEL_ENTITY_NAME_MAX FUNNEL_KEYS_ID_MAX

/* Scopes one entity counts in: company, region, team, rep. */
#define FUNNEL_ENTITY_SCOPES FUNNEL_SCOPE_KIND_COUNT

/* How an amount relates to the reporting currency. */
typedef enum {
    FUNNEL_AMOUNT_NONE = 0,      /* no amount */
    FUNNEL_AMOUNT_REPORTING = 1, /* in the reporting currency: summed */
    FUNNEL_AMOUNT_OTHER = 2,     /* in another currency: only counted */
} funnel_amount_kind_t;

/* One matched event of the entity. */
typedef struct {
    int64_t timestamp_ms;      /* occurred_at, UTC ms */
    uint32_t step_mask;        /* steps it matched (one bit in pipeline mode); 0: a row
                                  matching no step, kept by strict_order funnels only */
    uint64_t sequence;         /* log sequence within the partition */
    funnel_amount_kind_t kind; /* whether amount is set and summable */
    int64_t amount;            /* minor units, when kind is not NONE */
} funnel_entity_hit_t;

/* A name and the event that gave it. */
typedef struct {
    char value[FUNNEL_ENTITY_NAME_MAX + 1]; /* "" = never named */
    int64_t timestamp_ms;                   /* occurred_at of that event */
    uint64_t sequence;                      /* its sequence */
} funnel_entity_name_t;

typedef struct _funnel_entity_t funnel_entity_t;

/* What an entity adds to its funnel's results. */
typedef struct {
    size_t scope_count;                                      /* scopes[0] is "company" */
    char scopes[FUNNEL_ENTITY_SCOPES][FUNNEL_KEYS_SCOPE_SIZE]; /* scopes it counts in */
    funnel_steps_result_t steps;                             /* how far it got */
    char cohort_month[FUNNEL_KEYS_MONTH_SIZE];               /* "" when step 1 not reached */
    int64_t duration_ms[FUNNEL_STEPS_MAX];    /* [k-1]: previous(k) to k, when has_duration */
    bool has_duration[FUNNEL_STEPS_MAX];      /* [k-1]: both steps reached (k >= 2) */
    char outcome_month[FUNNEL_KEYS_MONTH_SIZE]; /* "" while open */
    bool has_cycle;                           /* won with step 1 reached */
    int64_t cycle_ms;                         /* step 1 to won */
    funnel_amount_kind_t won_kind;            /* won amount's kind */
    int64_t won_amount;                       /* minor units */
    size_t open_level;                        /* pipeline, open: deepest step, else 0 */
    funnel_amount_kind_t value_kind;          /* open value's kind */
    int64_t value;                            /* open value, minor units */
    char target_day[FUNNEL_STEPS_MAX][FUNNEL_KEYS_DAY_SIZE]; /* [k-1]: "from" day, "" = none */
    bool target_converted[FUNNEL_STEPS_MAX];  /* [k-1]: step k reached too */
} funnel_contribution_t;

/* A new entity with no hits and no names; NULL on out of memory. */
funnel_entity_t *funnel_entity_new (void);
void funnel_entity_destroy (funnel_entity_t **self_p);

/* Makes self an exact copy of source. Returns 0, or -1 when out of
   memory (self unchanged). */
int funnel_entity_copy (funnel_entity_t *self, const funnel_entity_t *source);

/* Forgets every hit and name. */
void funnel_entity_clear (funnel_entity_t *self);

/* Adds event (matched to steps step_mask of definition) as a hit:
   currency is the reporting currency. step_mask 0 adds the event as a row
   matching no step; only a funnel that keeps rows
   (funnel_definition_keeps_rows) takes one (asserted), and a row changes
   neither the entity's names nor its value. Returns 1 when the entity
   changed, 0 when the event changes nothing (pipeline: not an earliest
   hit and no newer name or value; or the same sequence again), -1 when
   a sequence funnel entity already holds FUNNEL_ENTITY_MAX_HITS hits and
   rows. */
int funnel_entity_add (funnel_entity_t *self, const funnel_definition_t *definition,
                       const Salespulse__SalesEvent *event, uint32_t step_mask,
                       uint64_t sequence, const char *currency);

/* Hits kept, and one of them (index < count, asserted). */
size_t funnel_entity_hit_count (const funnel_entity_t *self);
const funnel_entity_hit_t *funnel_entity_hit (const funnel_entity_t *self, size_t index);

/* The name of kind (FUNNEL_SCOPE_REGION, _TEAM or _REP). */
const funnel_entity_name_t *funnel_entity_name (const funnel_entity_t *self,
                                                funnel_scope_kind_t kind);

/* Computes the entity's contribution with evaluator (made from the
   definition's settings) in time zone tz. An entity without hits that
   match a step (none, or rows only) contributes nothing (scope_count 0).
   Returns 0, or -1 when out of memory, a time lies outside the calendar,
   a hit names a step the definition does not have or the entity holds
   rows the definition does not keep (state kept for another
   definition). */
int funnel_entity_contribution (const funnel_entity_t *self, const funnel_definition_t *definition,
                                funnel_steps_t *evaluator, const sp_tz_t *tz,
                                funnel_contribution_t *contribution);

/* Writes the storage form into a malloc'd buffer (*size bytes), or NULL
   when out of memory. */
unsigned char *funnel_entity_pack (const funnel_entity_t *self, size_t *size);

/* Replaces self's content with a storage form. Returns 0, or -1 with the
   reason when data is not a valid record (self is then cleared). */
int funnel_entity_unpack (funnel_entity_t *self, const void *data, size_t size, char *error,
                          size_t error_size);

#endif
