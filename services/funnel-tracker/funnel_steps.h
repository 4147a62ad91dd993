/*  funnel_steps - how far one entity got through one funnel.

    The step state machine of funnel-tracker, with no I/O: the caller has
    already matched each of the entity's events against the funnel's
    steps (event type, stage, attribute) and hands over "hits": a
    timestamp, the set of steps the event matched and the event's
    sequence. This object returns the deepest step reached, when each
    reached step was first reached, and (pipeline mode) the terminal
    outcome. It always evaluates the entity's whole history, so the
    service re-runs it whenever an older event arrives late.

    Order. Hits may come in any order: they are sorted by (timestamp, step
    index, sequence) first, so late and out-of-order delivery gives the
    same result as in-order delivery. A hit matching several steps counts
    as one hit per step; at equal timestamps the lower step comes first
    (so step 1 and step 2 at the same millisecond make a chain of two),
    and a hit matching no step sorts before step 1.

    Window. A step counts only if timestamp - window start <= window_ms
    (inclusive: exactly window_ms later counts, one millisecond more does
    not).

    Pipeline mode (CRM pipelines). The window starts at the entity's first
    hit of any step. Reaching step k, the first time any hit of step k
    occurs, passes every earlier step at that moment; an opportunity first
    seen at a later stage has passed the earlier ones. A repeat of step 1
    (or of any passed step) changes nothing. Steps marked won or lost are
    terminal: the first terminal hit ends the entity's journey and later
    hits are ignored. A lost hit passes no step (lost never counts as
    reaching won or anything before it); a won hit passes like any step.
    The strict options do not apply.

    Sequence mode (event funnels) follows ClickHouse windowFunnel, as
    implemented in src/AggregateFunctions/AggregateFunctionWindowFunnel.cpp
    (github.com/ClickHouse/ClickHouse, commit 0215c755e1a3,
    getEventLevelNonStrictOnce) and checked against its tests
    tests/queries/0_stateless/00632_aggregation_window_funnel.{sql,reference}
    and 01646_fix_window_funnel_inconistency, and the windowFunnel example
    in docs/en/sql-reference/aggregate-functions/parametric-functions.md:
      - every step 1 hit starts a new chain whose window starts there; a
        step k hit extends the chain that holds step k - 1 (the most
        recently started one to get there) when it is inside that chain's
        window; the result is the deepest step any chain reached.
      - a repeat of step 1 therefore starts a fresh chain and window; the
        deeper steps an older chain reached stay reached, and an older
        chain may still be extended from where it stands.
      - strict_deduplication: a hit of a step k > 1 that some chain has
        already reached stops the evaluation (result so far). A repeat of
        step 1 does not stop it: it starts a new chain.
      - strict_order: once a chain has started, a hit that matches no step
        (step_mask 0), or a hit of step k whose step k - 1 no chain has
        reached, stops the evaluation. Hits matching no step are ignored
        in every other case, so pass them only when strict_order matters.
        funnel-tracker passes, for a strict_order funnel, every event of
        the entity whose type is the event type of one of the funnel's
        steps (the rows of windowFunnel over `WHERE type IN (...)`), so a
        stage change to a stage no step names stops the chain.
      - strict_increase: a step extends a chain only when its timestamp is
        strictly later than the chain's previous step.
    windowFunnel's strict_once and allow_reentry options are not offered.
*/
#ifndef FUNNEL_STEPS_H_INCLUDED
#define FUNNEL_STEPS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most steps a funnel may have (a step set fits a uint32_t mask). */
#define FUNNEL_STEPS_MAX 16

/* Conversion window when a definition gives none: 90 days. */
#define FUNNEL_STEPS_DEFAULT_WINDOW_MS (INT64_C (90) * 24 * 60 * 60 * 1000)

/* How steps are counted (see the file comment). */
typedef enum {
    FUNNEL_STEPS_MODE_PIPELINE = 0, /* reaching a step passes all earlier ones */
    FUNNEL_STEPS_MODE_SEQUENCE = 1, /* steps in order inside the window */
} funnel_steps_mode_t;

/* Where a pipeline journey ended. */
typedef enum {
    FUNNEL_STEPS_OUTCOME_OPEN = 0, /* no terminal step reached (always, in sequence mode) */
    FUNNEL_STEPS_OUTCOME_WON = 1,  /* a won step was reached first */
    FUNNEL_STEPS_OUTCOME_LOST = 2, /* a lost step was reached first */
} funnel_steps_outcome_t;

/* How one funnel counts; validated by funnel_steps_new. */
typedef struct {
    funnel_steps_mode_t mode;  /* pipeline or sequence */
    size_t step_count;         /* steps, 1..FUNNEL_STEPS_MAX */
    int64_t window_ms;         /* conversion window from its start, inclusive, >= 0 */
    bool strict_order;         /* sequence only: a foreign or skipped step stops */
    bool strict_deduplication; /* sequence only: a repeated reached step stops */
    bool strict_increase;      /* sequence only: timestamps strictly increase */
    uint32_t won_mask;         /* pipeline only: bit i = step i + 1 is terminal won */
    uint32_t lost_mask;        /* pipeline only: bit i = step i + 1 is terminal lost */
} funnel_steps_settings_t;

/* One event of the entity, matched against the steps by the caller. */
typedef struct {
    int64_t timestamp_ms; /* when the event happened, Unix ms */
    uint32_t step_mask;   /* bit i = matches step i + 1; 0 = matches no step */
    uint64_t sequence;    /* the event's sequence, reported back and a sort tie-break */
} funnel_steps_hit_t;

/* How far the entity got. */
typedef struct {
    size_t level;                                /* deepest step reached, 0..step_count */
    uint32_t reached_mask;                       /* bit i = step i + 1 reached or passed */
    int64_t reached_ms[FUNNEL_STEPS_MAX];        /* when step i + 1 was first reached, else 0 */
    uint64_t reached_sequence[FUNNEL_STEPS_MAX]; /* the hit that reached it, else 0 */
    funnel_steps_outcome_t outcome;              /* pipeline terminal outcome */
    int64_t outcome_ms;                          /* when the terminal step was hit, else 0 */
} funnel_steps_result_t;

typedef struct _funnel_steps_t funnel_steps_t;

/* Fills settings with the defaults: pipeline mode, step_count steps,
   90-day window, no strict option, no terminal step. */
void funnel_steps_settings_init (funnel_steps_settings_t *settings, size_t step_count);

/* Creates an evaluator for settings (copied). Returns NULL with a reason in
   error when the settings are invalid or memory runs out. */
funnel_steps_t *funnel_steps_new (const funnel_steps_settings_t *settings, char *error,
                                  size_t error_size);

/* Destroys the evaluator; no-op on NULL; sets *self_p to NULL. */
void funnel_steps_destroy (funnel_steps_t **self_p);

/* The settings the evaluator was made with. */
const funnel_steps_settings_t *funnel_steps_settings (const funnel_steps_t *self);

/* Evaluates the entity's hits (any order; a step_mask bit beyond
   step_count is a programmer error, asserted) into result. Returns 0, or
   -1 when out of memory (result untouched). */
int funnel_steps_evaluate (funnel_steps_t *self, const funnel_steps_hit_t *hits, size_t hit_count,
                           funnel_steps_result_t *result);

#endif
