/*  incentive_plan_internal - what the files of incentive_plan share
    (incentive_plan.c: reading and validating a plan; incentive_plan_use.c:
    the earnings, SPIFFs, proration, version choice and the canonical
    form; incentive_plan_terms.c: the draw, clawback, true-up, roll-up
    and overlay terms): the
    object's struct, the JSON spellings and the helpers both
    call. For these files only; everything else uses incentive_plan.h.
*/
#ifndef INCENTIVE_PLAN_INTERNAL_H_INCLUDED
#define INCENTIVE_PLAN_INTERNAL_H_INCLUDED

#include "incentive_plan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "incentive_draw.h"
#include "incentive_rates.h"
#include "sp_json_read.h"

#define INCENTIVE_PLAN_INTERNAL_CURRENCY_SIZE 4 /* ISO 4217 code and NUL */

struct _incentive_plan_t {
    char name[INCENTIVE_PLAN_NAME_MAX + 1];               /* plan name */
    char currency[INCENTIVE_PLAN_INTERNAL_CURRENCY_SIZE]; /* ISO 4217 */
    int decimals;                                         /* the currency's minor-unit decimals */
    incentive_plan_period_t period;                       /* quota period */
    incentive_plan_trigger_t trigger;                     /* when pay is due */
    incentive_plan_attainment_t attainment;               /* independent or blended */
    int64_t target_incentive;               /* minor units per full period, 0 when absent */
    bool has_gate;                          /* cross-component gate */
    int64_t gate_ppm;                       /* every component must reach it */
    char role[INCENTIVE_PLAN_NAME_MAX + 1]; /* assigned role, "" when reps are named */
    size_t rep_count;                       /* reps named */
    incentive_plan_rep_t *reps;             /* rep_count of them */
    size_t component_count;                 /* 1..COMPONENTS_MAX */
    incentive_plan_component_t components[INCENTIVE_PLAN_COMPONENTS_MAX];
    bool has_table;                /* blended: the plan's table */
    incentive_rates_table_t table; /* on blended attainment */
    int64_t blended_lcm;           /* blended: lcm of the component quotas */
    size_t spiff_count;            /* 0..SPIFFS_MAX */
    incentive_plan_spiff_t spiffs[INCENTIVE_PLAN_SPIFFS_MAX];
    bool has_draw;                    /* "draw" given */
    incentive_draw_terms_t draw;      /* its terms */
    incentive_plan_reverse_t reverse; /* what a clawback reverses */
    bool attainment_drops;            /* a cancelled credit leaves its period's attainment */
    bool has_rollup;                  /* "rollup": pays the org nodes named on their reps' deals */
    incentive_plan_rollup_t rollup;   /* its levels and mode */
    bool has_true_up;                 /* "true_up": settle a window of periods at its end */
    incentive_plan_period_t true_up;  /* the window: a quarter or year of the plan's periods */
    size_t overlay_count;             /* "overlays": 0..OVERLAYS_MAX */
    incentive_plan_overlay_t overlays[INCENTIVE_PLAN_OVERLAYS_MAX]; /* who is credited, how much */
};

/* JSON spellings, indexed by the enum they name. */
extern const char *const incentive_plan_internal_period_names[];
extern const char *const incentive_plan_internal_trigger_names[];
extern const char *const incentive_plan_internal_attainment_names[];
extern const char *const incentive_plan_internal_measure_names[];
extern const char *const incentive_plan_internal_mode_names[];
extern const char *const incentive_plan_internal_basis_names[];
extern const char *const incentive_plan_internal_pays_names[];
extern const char *const incentive_plan_internal_gate_pays_names[];
extern const char *const incentive_plan_internal_spiff_pays_names[];

/* ---------------------------------------------------- incentive_plan.c */

/* True when measure counts (new logos, units, events) rather than money. */
bool incentive_plan_internal_is_count (incentive_plan_measure_t measure);

/* ---------------------------------------------- incentive_plan_terms.c */

/* Reads "draw", "clawback" and "true_up" of root into self (after
   "period", "trigger" and "assign": a draw needs every rep's "from", a
   true-up a window longer than the period). Returns 0, or -1 with the
   reader's error. */
int incentive_plan_internal_read_terms (sp_json_reader_t *reader, incentive_plan_t *self,
                                        const json_t *root);

/* Writes "draw" (when given), "clawback" (always) and "true_up" (when
   given) into root, the canonical form. False when out of memory. */
bool incentive_plan_internal_terms_json (const incentive_plan_t *self, json_t *root);

/* Reads "rollup" (value NULL: none), once the assignment, components and
   SPIFFs are read: a roll-up plan names org nodes, and "full" cannot pay
   on margin. Returns 0, or -1 through the reader. */
int incentive_plan_internal_read_rollup (sp_json_reader_t *reader, incentive_plan_t *self,
                                         const json_t *value);

/* Writes "rollup" into root when the plan has one; false when out of memory. */
bool incentive_plan_internal_rollup_json (const incentive_plan_t *self, json_t *root);

/* Reads "overlays" (value NULL: none), last: an overlay plan names the
   reps whose deals it overlays, has no roll-up, no draw and no margin
   measure. Returns 0, or -1 through the reader. */
int incentive_plan_internal_read_overlays (sp_json_reader_t *reader, incentive_plan_t *self,
                                           const json_t *value);

/* Writes "overlays" into root when the plan has some; false when out of memory. */
bool incentive_plan_internal_overlays_json (const incentive_plan_t *self, json_t *root);

#endif
