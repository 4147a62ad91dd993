/*  incentive_plan - the "plans" kind of reference data: a commission plan
    (who it is assigned to, its period, its measures with quotas, its rate
    tables, gates, caps, SPIFFs, payout trigger, draw, clawback and
    true-up terms, roll-up and overlay credits),
    its canonical form,
    and the pure computations that use it: the earning of a move of the
    measures, a SPIFF's earning, proration by active days and the choice
    of the version in force (docs/incentives.md).

        { "name": "ae-2025", "currency": "USD", "period": "quarter",
          "trigger": "booking", "rounding": "half-away-from-zero",
          "assign": { "role": "ae" },
          "components": [ { "id": "revenue", "measure": "revenue",
                            "quota": "1000000.00",
                            "table": { "bands": [ { "lo": "0", "rate": "0.1" } ] } } ] }

    Versions are effective-dated and apply FORWARD: the version in force at
    an event's time applies (incentive_plan_version_choose). Every refusal
    names the JSON path, e.g.
    `field "components[0].table.bands[1]": gap between bands[0] [0.00, 5000.00)
    and bands[1] [6000.00, 10000.00): [5000.00, 6000.00) is not covered`.
    Pure: no I/O, no global state beyond constant tables.
*/
#ifndef INCENTIVE_PLAN_H_INCLUDED
#define INCENTIVE_PLAN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "incentive_credit.h"
#include "incentive_draw.h"
#include "incentive_rates.h"
#include "sp_refdata.h"

/* Longest plan, component, SPIFF or role name ([a-z0-9_-]) and rep id. */
#define INCENTIVE_PLAN_NAME_MAX 63
#define INCENTIVE_PLAN_REP_MAX 64

/* Most components, SPIFFs and reps named in a plan. */
#define INCENTIVE_PLAN_COMPONENTS_MAX 8
#define INCENTIVE_PLAN_SPIFFS_MAX 16
#define INCENTIVE_PLAN_REPS_MAX 1000

/* Most overlay reps of a plan ("overlays"). */
#define INCENTIVE_PLAN_OVERLAYS_MAX 16

/* Rate bounds: a fraction of a money measure up to 10 (1,000 %); money
   per unit of a count measure up to 1,000,000; a multiplier of the
   target incentive up to 100. */
#define INCENTIVE_PLAN_RATE_MAX_PPM (INT64_C (10) * INCENTIVE_RATES_PPM)
#define INCENTIVE_PLAN_PER_UNIT_MAX_PPM INCENTIVE_RATES_RATE_MAX_PPM
#define INCENTIVE_PLAN_MULTIPLIER_MAX_PPM (INT64_C (100) * INCENTIVE_RATES_PPM)

/* Most periods a draw lasts, and latest period its recovery may start. */
#define INCENTIVE_PLAN_DRAW_PERIODS_MAX 1000

/* Room for an error message of incentive_plan_new. */
#define INCENTIVE_PLAN_ERROR_SIZE INCENTIVE_RATES_ERROR_SIZE

/* The rule id of a blended plan's table. */
#define INCENTIVE_PLAN_BLENDED_RULE "blended"

/* The only rounding rule, named in every plan. */
#define INCENTIVE_PLAN_ROUNDING "half-away-from-zero"

/* The period a quota covers. */
typedef enum {
    INCENTIVE_PLAN_MONTH = 0,
    INCENTIVE_PLAN_QUARTER = 1,
    INCENTIVE_PLAN_YEAR = 2,
} incentive_plan_period_t;

/* When an earning becomes payable. */
typedef enum {
    INCENTIVE_PLAN_ON_BOOKING = 0, /* deal_won */
    INCENTIVE_PLAN_ON_INVOICE = 1, /* invoice issued: refused at load until an event reports it */
    INCENTIVE_PLAN_ON_PAYMENT = 2, /* payment_received releases a proportional share */
} incentive_plan_trigger_t;

/* What a clawback reverses (plan "clawback.reverse"). */
typedef enum {
    INCENTIVE_PLAN_REVERSE_PAID = 0,      /* what was actually paid on the line */
    INCENTIVE_PLAN_REVERSE_RECOMPUTE = 1, /* the line's base at its rate (paid without one) */
} incentive_plan_reverse_t;

/* How several components' attainment combine. */
typedef enum {
    INCENTIVE_PLAN_INDEPENDENT = 0, /* each component pays on its own table */
    INCENTIVE_PLAN_BLENDED = 1,     /* one table on Σ weight × attainment */
} incentive_plan_attainment_t;

/* What a component measures. */
typedef enum {
    INCENTIVE_PLAN_REVENUE = 0,   /* revenue credited from deal_won, minor units */
    INCENTIVE_PLAN_MARGIN = 1,    /* margin, minor units */
    INCENTIVE_PLAN_NEW_LOGOS = 2, /* customers won for the first time, count */
    INCENTIVE_PLAN_UNITS = 3,     /* units sold, count */
    INCENTIVE_PLAN_EVENTS = 4,    /* eligible events, count */
} incentive_plan_measure_t;

/* One measure with its quota (and its table in an independent plan). */
typedef struct {
    char id[INCENTIVE_PLAN_NAME_MAX + 1]; /* rule id, unique in the plan */
    incentive_plan_measure_t measure;     /* what it counts */
    int64_t quota;                        /* per full period, in engine units (> 0) */
    int64_t weight_bp;                    /* 1..10,000; the weights sum to 10,000 */
    bool has_table;                       /* independent plans: its own table */
    incentive_rates_table_t table;        /* bounds in engine units or ppm */
} incentive_plan_component_t;

/* A SPIFF or contest. */
typedef struct {
    char id[INCENTIVE_PLAN_NAME_MAX + 1]; /* rule id, unique in the plan */
    incentive_plan_measure_t measure;     /* eligible value, or events counted */
    int64_t from_day;                     /* first day (days since 1970-01-01, UTC) */
    int64_t to_day;                       /* day after the last: [from, to) */
    bool fixed;                           /* a fixed amount per event, else a rate on value */
    bool counts_in_attainment;            /* its value also counts toward the quota */
    incentive_rates_table_t table;        /* tiers, amount basis; its cap */
} incentive_plan_spiff_t;

/* A rep named by the plan, with the days of the assignment. */
typedef struct {
    char id[INCENTIVE_PLAN_REP_MAX + 1]; /* rep id as events spell it */
    bool has_from;                       /* assignment starts on from_day */
    int64_t from_day;                    /* first active day */
    bool has_to;                         /* assignment ends before to_day */
    int64_t to_day;                      /* first day no longer active */
} incentive_plan_rep_t;

/* An overlay rep ("overlays"): credited share_bp of every deal of the
   reps the plan names, on top of their splits. */
typedef struct {
    char rep[INCENTIVE_PLAN_REP_MAX + 1]; /* the overlay rep's id, as events spell it */
    int32_t share_bp; /* its share of the whole deal: 1..INCENTIVE_CREDIT_OVERLAY_SHARE_MAX */
} incentive_plan_overlay_t;

/* A roll-up plan's terms ("rollup"): it pays each org node it names
   ("team:<id>", "region:<id>", "company") on the deals of the reps up to
   levels below the node on the deal's day, each deal once per node. */
typedef struct {
    int levels;                          /* 1..INCENTIVE_CREDIT_DEPTH_MAX */
    incentive_credit_rollup_mode_t mode; /* the reps' shares, or the whole deal */
} incentive_plan_rollup_t;

/* The lines of one move (incentive_plan_earn). */
typedef struct {
    size_t line_count; /* components (independent), or 1 (blended) */
    incentive_rates_result_t lines[INCENTIVE_PLAN_COMPONENTS_MAX];
    int64_t total;  /* Σ of the rounded lines */
    bool gate_open; /* the cross-component gate is open after the move */
} incentive_plan_earning_t;

/* One stored version of a plan, for incentive_plan_version_choose. */
typedef struct {
    int64_t version;         /* 1, 2, ... */
    bool has_effective_from; /* without one, in force since always */
    int64_t effective_from;  /* UTC ms */
} incentive_plan_version_t;

typedef struct _incentive_plan_t incentive_plan_t;

/* The reference data kind "plans" of incentive-calculator. */
extern const sp_refdata_kind_t incentive_plan_kind;

/* sp_refdata_check_fn of the kind. */
int incentive_plan_check (const char *text, size_t length, char *name, size_t name_size,
                          char **canonical, char *error, size_t error_size);

/* Reads and validates a plan from JSON text (length bytes). Returns it,
   or NULL with the reason in error. */
incentive_plan_t *incentive_plan_new (const char *text, size_t length, char *error,
                                      size_t error_size);

void incentive_plan_destroy (incentive_plan_t **self_p);

/* The canonical JSON text (malloc'd, the caller frees), NULL when out of
   memory: fixed key order, every default written, money and rates as
   decimal strings. */
char *incentive_plan_to_json (const incentive_plan_t *self);

const char *incentive_plan_name (const incentive_plan_t *self);
const char *incentive_plan_currency (const incentive_plan_t *self);
incentive_plan_period_t incentive_plan_period (const incentive_plan_t *self);
incentive_plan_trigger_t incentive_plan_trigger (const incentive_plan_t *self);
incentive_plan_attainment_t incentive_plan_attainment (const incentive_plan_t *self);

/* Target incentive per full period, minor units (0 when not given). */
int64_t incentive_plan_target_incentive (const incentive_plan_t *self);

/* The cross-component gate: true with *gate_ppm set when the plan has one. */
bool incentive_plan_gate (const incentive_plan_t *self, int64_t *gate_ppm);

/* The draw: true with *terms set when the plan has one ("periods"
   absent: INCENTIVE_DRAW_OPEN_END, the draw lasts while the plan applies). */
bool incentive_plan_draw (const incentive_plan_t *self, incentive_draw_terms_t *terms);

/* The clawback terms: what a clawback reverses, and whether a cancelled
   deal's credit leaves the attainment of its period. */
incentive_plan_reverse_t incentive_plan_clawback_reverse (const incentive_plan_t *self);
bool incentive_plan_attainment_drops (const incentive_plan_t *self);

/* The true-up window ("true_up"): true with *window set (may be NULL)
   when the plan settles each quarter or year of its periods at its end
   (docs/incentives.md, "True-up"). */
bool incentive_plan_true_up (const incentive_plan_t *self, incentive_plan_period_t *window);

/* The roll-up terms: true with *rollup set when the plan has "rollup"
   (rollup may be NULL to ask only whether it has). */
bool incentive_plan_rollup (const incentive_plan_t *self, incentive_plan_rollup_t *rollup);

/* The overlay reps ("overlays", docs/incentives.md "Overlay credits"):
   an overlay plan pays them on the deals of the reps it names, never the
   named reps. */
size_t incentive_plan_overlay_count (const incentive_plan_t *self);
const incentive_plan_overlay_t *incentive_plan_overlay (const incentive_plan_t *self, size_t index);

/* True when rep_id is an overlay rep of the plan, with *share_bp (may be
   NULL) set to its share. */
bool incentive_plan_overlay_share (const incentive_plan_t *self, const char *rep_id,
                                   int32_t *share_bp);

/* True when the plan pays rep_id (whose role is role, may be NULL): an
   overlay plan its overlay reps, any other plan whom it is assigned to
   (incentive_plan_assigned). */
bool incentive_plan_pays (const incentive_plan_t *self, const char *rep_id, const char *role);

/* The role the plan is assigned to, or NULL when it names its reps. */
const char *incentive_plan_role (const incentive_plan_t *self);
size_t incentive_plan_rep_count (const incentive_plan_t *self);
const incentive_plan_rep_t *incentive_plan_rep (const incentive_plan_t *self, size_t index);

/* True when the plan applies to rep_id (whose role is role, may be NULL). */
bool incentive_plan_assigned (const incentive_plan_t *self, const char *rep_id, const char *role);

size_t incentive_plan_component_count (const incentive_plan_t *self);
const incentive_plan_component_t *incentive_plan_component (const incentive_plan_t *self,
                                                            size_t index);

/* A blended plan's table (NULL in an independent plan). */
const incentive_rates_table_t *incentive_plan_table (const incentive_plan_t *self);

size_t incentive_plan_spiff_count (const incentive_plan_t *self);
const incentive_plan_spiff_t *incentive_plan_spiff (const incentive_plan_t *self, size_t index);

/* Engine units per unit of measure: 1 for money, 10^decimals of the
   currency for counts (so a rate on a count is money per unit). */
int64_t incentive_plan_unit_scale (const incentive_plan_t *self, incentive_plan_measure_t measure);

/* "revenue", "margin", "new_logos", "units", "events". */
const char *incentive_plan_measure_name (incentive_plan_measure_t measure);

/* The lines of a move of the cumulative measures of one rep in one
   period from before to after (component_count values each, in the
   measure's unit: minor units or counts), prorated by active_days of
   period_days. Returns 0 with *out set, or -1 with *out untouched when a
   value is out of range (|value| > INCENTIVE_RATES_VALUE_MAX / scale) or
   an amount does not fit. */
int incentive_plan_earn (const incentive_plan_t *self, const int64_t *before, const int64_t *after,
                         int64_t active_days, int64_t period_days, incentive_plan_earning_t *out);

/* The line of SPIFF index for a move of its cumulative eligible measure
   in its window (events for a fixed amount, value for a rate) from
   before to after, for an event on day (days since 1970-01-01). Returns
   0 with *result set; 1 when day is outside the window (nothing earned,
   *result untouched); -1 on a value out of range. */
int incentive_plan_spiff_earn (const incentive_plan_t *self, size_t index, int64_t day,
                               int64_t before, int64_t after, incentive_rates_result_t *result);

/* The lines of a window's cumulative measures (component_count values
   each, from 0: e.g. the quarter of a monthly plan with "true_up"),
   earned at once as incentive_plan_earn earns a period, with the quota,
   the target incentive and the payout caps multiplied by periods (the
   plan's periods in the window: 3 months of a quarter, 12 of a year, 4
   quarters of a year) and prorated by active_days of window_days.
   Amount bounds are not scaled. Returns 0 with *out set, or -1 with
   *out untouched when a value or a scaled term is out of range. */
int incentive_plan_earn_window (const incentive_plan_t *self, int64_t periods,
                                const int64_t *totals, int64_t active_days, int64_t window_days,
                                incentive_plan_earning_t *out);

/* Active days of an assignment in a period [period_first, period_end)
   (day numbers): the days of [from, to) inside it, the whole period for
   a side without a bound. Start inclusive, end exclusive. */
int64_t incentive_plan_active_days (int64_t period_first, int64_t period_end, bool has_from,
                                    int64_t from_day, bool has_to, int64_t to_day);

/* The version in force at at (UTC ms) among versions (count, any order):
   the greatest effective_from <= at, ties to the highest version; a
   version without a date counts as in force since always. Returns 0 with
   *index set, or -1 when none is in force yet. */
int incentive_plan_version_choose (const incentive_plan_version_t *versions, size_t count,
                                   int64_t at, size_t *index);

#endif
