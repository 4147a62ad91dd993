/*  funnel_definition - what one funnel counts, read from its JSON form.

    An operator writes a funnel as a JSON document (docs/funnels.md,
    "Funnel definitions"; the default one is deploy/funnels/default.json).
    This object reads and validates that document, tells which steps a
    sales event matches, hands the counting settings to funnel_steps, and
    writes the canonical JSON form that is stored and compared as a
    version. No I/O: loading from a file or from PostgreSQL is the
    caller's business.

    Every refusal names the JSON path of the offending value and why, in
    PostgreSQL's message style: `field "steps[2].probability": 1.5 is not
    in 0..1`. Array indexes in paths count from 0, as in JSON Pointer.

    Fractions (stage probabilities, conversion targets) are JSON numbers
    from 0 to 1 with at most four decimals, held as basis points (10000 =
    1 = 100 %) so that they are compared exactly.
*/
#ifndef FUNNEL_DEFINITION_H_INCLUDED
#define FUNNEL_DEFINITION_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.pb-c.h"
#include "funnel_steps.h"

/* Longest funnel or step name, bytes of [a-z0-9_-]. */
#define FUNNEL_DEFINITION_NAME_MAX 63

/* Longest stage name, bytes of UTF-8: the event's own limit for to_stage. */
#define FUNNEL_DEFINITION_STAGE_MAX 64

/* A fraction of 1 in basis points: 10000 = 1 = 100 %. */
#define FUNNEL_DEFINITION_BASIS_POINTS 10000

/* Conversion window when "window_days" is absent, and its allowed range. */
#define FUNNEL_DEFINITION_DEFAULT_WINDOW_DAYS 90
#define FUNNEL_DEFINITION_WINDOW_DAYS_MIN 1
#define FUNNEL_DEFINITION_WINDOW_DAYS_MAX 3650

/* Allowed range of a target's "min_sample". */
#define FUNNEL_DEFINITION_MIN_SAMPLE_MIN 1
#define FUNNEL_DEFINITION_MIN_SAMPLE_MAX 1000000000

/* Least "maturity_days" of a target; the most is the funnel's window_days,
   which is also the default. */
#define FUNNEL_DEFINITION_MATURITY_DAYS_MIN 0

/* Room for an error message of funnel_definition_new. */
#define FUNNEL_DEFINITION_ERROR_SIZE 256

/* Whose journey the funnel follows: the event field that keys it. */
typedef enum {
    FUNNEL_DEFINITION_ENTITY_OPPORTUNITY = 0, /* "opportunity_id" (default) */
    FUNNEL_DEFINITION_ENTITY_CUSTOMER = 1,    /* "customer_id" */
} funnel_definition_entity_t;

/* Terminal outcome a pipeline step stands for. */
typedef enum {
    FUNNEL_DEFINITION_OUTCOME_NONE = 0, /* an ordinary step */
    FUNNEL_DEFINITION_OUTCOME_WON = 1,  /* "won": the journey ends as won */
    FUNNEL_DEFINITION_OUTCOME_LOST = 2, /* "lost": the journey ends as lost */
} funnel_definition_outcome_t;

/* Minimum conversion into a step, judged once enough entities started and
   only on cohorts old enough to have converted: the entities that reached
   "from" on a day D are judged once maturity_days whole days have passed
   after D (funnel_notice_window). With the default, the funnel's
   window_days, every entity judged has had its whole conversion window. */
typedef struct {
    bool set;               /* the step has a target */
    uint32_t conversion_bp; /* least share of "from" that reaches this step, 0..10000 */
    size_t from;            /* index of the step conversion is measured from, < this step */
    uint32_t min_sample;    /* entities that reached "from" before the target is judged */
    uint32_t maturity_days; /* whole days after a cohort's day before it is judged, 0..window */
} funnel_definition_target_t;

/* One step as defined; read-only for callers. */
typedef struct {
    char name[FUNNEL_DEFINITION_NAME_MAX + 1];   /* unique in the funnel, [a-z0-9_-] */
    Salespulse__EventType event;                 /* event type that matches */
    char stage[FUNNEL_DEFINITION_STAGE_MAX + 1]; /* stage_changed only: to_stage; "" = any */
    funnel_definition_outcome_t outcome;         /* pipeline only: terminal outcome */
    uint32_t probability_bp;                     /* pipeline only: win probability, 0..10000 */
    funnel_definition_target_t target;           /* optional conversion target */
} funnel_definition_step_t;

typedef struct _funnel_definition_t funnel_definition_t;

/* Reads and validates a definition from length bytes of JSON text.
   Returns NULL with the reason in error (see the file comment) when the
   text is not a valid definition or memory runs out. */
funnel_definition_t *funnel_definition_new (const char *text, size_t length, char *error,
                                            size_t error_size);

/* Destroys the definition; no-op on NULL; sets *self_p to NULL. */
void funnel_definition_destroy (funnel_definition_t **self_p);

/* The funnel's name. */
const char *funnel_definition_name (const funnel_definition_t *self);

/* The entity the funnel follows. */
funnel_definition_entity_t funnel_definition_entity (const funnel_definition_t *self);

/* Conversion window in days, measured from step 1, inclusive. */
uint32_t funnel_definition_window_days (const funnel_definition_t *self);

/* How steps are counted. */
funnel_steps_mode_t funnel_definition_mode (const funnel_definition_t *self);

/* Number of steps, 1..FUNNEL_STEPS_MAX. */
size_t funnel_definition_step_count (const funnel_definition_t *self);

/* Step index (0-based, < step count: asserted). */
const funnel_definition_step_t *funnel_definition_step (const funnel_definition_t *self,
                                                        size_t index);

/* The id of the entity event belongs to in this funnel (its opportunity_id
   or customer_id); "" when the event does not carry it, so it cannot be
   counted here. Never NULL. */
const char *funnel_definition_entity_key (const funnel_definition_t *self,
                                          const Salespulse__SalesEvent *event);

/* Steps event matches: bit i set when step i + 1 has the event's type
   and, if the step names a stage, the event is a stage_changed to exactly
   that stage (byte for byte). 0 when it matches none. */
uint32_t funnel_definition_match (const funnel_definition_t *self,
                                  const Salespulse__SalesEvent *event);

/* True when the funnel counts in "sequence" mode with strict_order: its
   step evaluator then needs the entity's events that match no step too
   (funnel_definition_unmatched_row), as windowFunnel's strict_order sees
   every row of the entity. */
bool funnel_definition_keeps_rows (const funnel_definition_t *self);

/* True when event is a row the funnel keeps although it matches no step:
   the funnel keeps rows, the event's type is the event type of one of its
   steps (a row of `windowFunnel ... WHERE type IN (the funnel's event
   types)`) and funnel_definition_match gives 0, e.g. a stage_changed to a
   stage no step names. Such a row stops a strict_order chain. */
bool funnel_definition_unmatched_row (const funnel_definition_t *self,
                                      const Salespulse__SalesEvent *event);

/* Fills settings for funnel_steps_new: mode, step count, window, strict
   options and the won and lost step masks. */
void funnel_definition_steps_settings (const funnel_definition_t *self,
                                       funnel_steps_settings_t *settings);

/* JSON spellings: of an entity ("opportunity_id"), of a mode
   ("pipeline") and of an outcome ("won"; "" for none). */
const char *funnel_definition_entity_name (funnel_definition_entity_t entity);
const char *funnel_definition_mode_name (funnel_steps_mode_t mode);
const char *funnel_definition_outcome_name (funnel_definition_outcome_t outcome);

/* True when both definitions say exactly the same thing
   (funnel_definition_use.c, with the canonical form). */
bool funnel_definition_equal (const funnel_definition_t *left, const funnel_definition_t *right);

/* The canonical JSON form: every field written, defaults included, in the
   documented order, indented by two spaces, targets' "from" as a step
   name, no trailing newline; the one field left out at its default is a
   target's "maturity_days" (the funnel's window_days), so that
   definitions stored before it existed keep their canonical text. Reading
   it back gives an equal definition.
   Returns a malloc'd string the caller frees, or NULL when out of memory.
   (funnel_definition_use.c) */
char *funnel_definition_to_json (const funnel_definition_t *self);

#endif
