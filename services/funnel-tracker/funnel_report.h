/*  funnel_report - the figures `salesctl funnel` and `salesctl pipeline`
    show, worked out from funnel-tracker's summed partials.

    funnel_query reads the per-partition partials of funnel_keys.h from
    Redis and adds them up; this object turns the sums into the report:
    per step the entities that reached it, step and overall conversion,
    drop-off and the time from the previous step; the outcome figures (win
    rate, won amount, sales cycle) of pipeline funnels; and the open
    pipeline's weighted value and velocity. It also holds two pure
    algorithms: the months a period label stands for, which the reader
    needs, and the exact median over several sorted sets by binary search
    on the integer value, one probe at a time (funnel_report_search).
    funnel_median no longer searches that way (it selects by rank, with
    far fewer commands); the bisection stays as the simplest statement of
    the same percentile_cont (0.5), which the unit tests check it
    against. No I/O.

    Step roles (pipeline mode). previous(k) is k - 1 for a step without an
    outcome; for a terminal step (won or lost) it is the last step without
    an outcome. next(k) of a step without an outcome is k + 1 when that
    step has no outcome either, else the first "won" step, else none;
    terminal steps have no next. In sequence mode previous(k) = k - 1 and
    next(k) = k + 1 (none after the last step).
        step conversion(k)    reached[k] / reached[previous(k)]; null for
                              step 1 and when the denominator is 0
        overall conversion(k) reached[k] / reached[1]; null when 0
        drop_off(k)           reached[k] - reached[next(k)]; null without next
        drop_off_rate(k)      drop_off(k) / reached[k]; null when either is
                              null or 0
        mean time (k >= 2)    duration_sum[k] / duration_count[k] (the
                              entities that reached both previous(k) and k);
                              null when 0

    Medians follow percentile_cont(0.5): the middle value of an odd count,
    the mean of the two middle values of an even count, null when empty.

    Money is int64 minor units; weighted values are Σ value × probability
    in basis points, rounded half up (towards +infinity) to minor units.
*/
#ifndef FUNNEL_REPORT_H_INCLUDED
#define FUNNEL_REPORT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "funnel_definition.h"
#include "funnel_keys.h"
#include "funnel_steps.h"

/* Milliseconds in a day, for medians in days. */
#define FUNNEL_REPORT_MS_PER_DAY INT64_C (86400000)

/* Room for an error message of this module. */
#define FUNNEL_REPORT_ERROR_SIZE 256

/* A figure that may be missing (JSON null). */
typedef struct {
    bool set;     /* false: no value (division by 0, nothing to take a median of) */
    double value; /* the value when set */
} funnel_report_value_t;

/* Sums of the partials of one funnel × scope × months, with the medians
   already found (funnel_query). Arrays are indexed by step - 1. */
typedef struct {
    uint64_t reached[FUNNEL_STEPS_MAX];     /* cohort entities that reached step k */
    int64_t duration_sum[FUNNEL_STEPS_MAX]; /* k >= 2: Σ ms from previous step to k */
    uint64_t duration_count[FUNNEL_STEPS_MAX]; /* k >= 2: entities that sum is over */
    funnel_report_value_t duration_median[FUNNEL_STEPS_MAX]; /* k >= 2: median of those ms */
    uint64_t won;                            /* journeys ended won (outcome month) */
    uint64_t lost;                           /* journeys ended lost (outcome month) */
    int64_t won_amount_sum;                  /* Σ won amount in the reporting currency */
    uint64_t won_amount_count;               /* won entities in the reporting currency */
    funnel_report_value_t won_amount_median; /* median won amount, minor units */
    uint64_t won_other_currency;             /* won entities in another currency */
    int64_t cycle_sum;                       /* Σ ms from step 1 to won over cycle_count */
    uint64_t cycle_count;                    /* won entities timed: those that reached step 1 */
    funnel_report_value_t cycle_median;      /* median of those ms */
} funnel_report_totals_t;

/* One step of the report. */
typedef struct {
    size_t previous;                          /* previous step (1-based), 0 = none */
    size_t next;                              /* next step (1-based), 0 = none */
    uint64_t reached;                         /* entities that reached the step */
    funnel_report_value_t step_conversion;    /* reached / reached[previous] */
    funnel_report_value_t overall_conversion; /* reached / reached[1] */
    bool has_drop_off;                        /* the step has a next step */
    int64_t drop_off;                         /* reached - reached[next] */
    funnel_report_value_t drop_off_rate;      /* drop_off / reached */
    uint64_t time_count;                      /* k >= 2: entities timed (reached) */
    funnel_report_value_t time_mean_ms;       /* k >= 2: mean ms from the previous step */
    funnel_report_value_t time_median_ms;     /* k >= 2: median ms from the previous step */
} funnel_report_step_t;

/* The whole report of one funnel × scope × period. */
typedef struct {
    funnel_steps_mode_t mode;                     /* pipeline funnels have outcome figures */
    size_t step_count;                            /* steps of the funnel */
    funnel_report_step_t steps[FUNNEL_STEPS_MAX]; /* [k - 1] */
    uint64_t won;                                 /* journeys ended won */
    uint64_t lost;                                /* journeys ended lost */
    funnel_report_value_t win_rate;               /* won / (won + lost) */
    uint64_t won_amount_count;                    /* won amounts in the reporting currency */
    int64_t won_amount_sum;                       /* their sum, minor units */
    funnel_report_value_t won_amount_mean;        /* sum / count, minor units */
    funnel_report_value_t won_amount_median;      /* minor units */
    uint64_t won_other_currency;                  /* won in another currency */
    uint64_t cycle_count;                         /* won journeys timed (from step 1) */
    funnel_report_value_t cycle_mean_ms;          /* cycle_sum / cycle_count */
    funnel_report_value_t cycle_median_ms;        /* median ms from step 1 to won */
    funnel_report_value_t cycle_median_days;      /* the same in days */
} funnel_report_t;

/* Open pipeline now, summed over partitions (funnel_keys.h "o:"), by the
   deepest step reached, [k - 1]. */
typedef struct {
    uint64_t count[FUNNEL_STEPS_MAX];          /* open entities */
    int64_t value[FUNNEL_STEPS_MAX];           /* Σ value, minor units */
    int64_t weighted_bp[FUNNEL_STEPS_MAX];     /* Σ value × probability in basis points */
    uint64_t other_currency[FUNNEL_STEPS_MAX]; /* entities valued in another currency */
} funnel_report_open_t;

/* One step of the pipeline view (steps without an outcome only). */
typedef struct {
    size_t step;             /* 1-based step number */
    double probability;      /* the step's win probability, 0..1 */
    uint64_t open;           /* open entities at the step */
    int64_t value;           /* their value, minor units */
    int64_t weighted_value;  /* rounded Σ weighted_bp / 10000 */
    uint64_t other_currency; /* open entities valued in another currency */
} funnel_report_pipeline_step_t;

/* The pipeline view. */
typedef struct {
    size_t step_count;                                     /* steps shown */
    funnel_report_pipeline_step_t steps[FUNNEL_STEPS_MAX]; /* in funnel order */
    uint64_t open;                                         /* Σ open */
    int64_t value;                                         /* Σ value */
    int64_t weighted_value;                                /* rounded Σ of all weighted_bp */
    funnel_report_value_t win_rate;                        /* over the period */
    funnel_report_value_t average_won_amount;              /* over the period, minor units */
    funnel_report_value_t median_sales_cycle_days;         /* over the period */
    funnel_report_value_t velocity_per_day;                /* minor units per day */
} funnel_report_pipeline_t;

/* Previous and next step of step (1-based, <= step count: asserted) as
   the file comment defines them; 0 = none. */
size_t funnel_report_previous (const funnel_definition_t *definition, size_t step);
size_t funnel_report_next (const funnel_definition_t *definition, size_t step);

/* Works out the report of definition from totals. */
void funnel_report_compute (const funnel_definition_t *definition,
                            const funnel_report_totals_t *totals, funnel_report_t *report);

/* Works out the pipeline view from the open pipeline and the report of
   the period (for win rate, average won amount and sales cycle). */
void funnel_report_pipeline (const funnel_definition_t *definition,
                             const funnel_report_open_t *open, const funnel_report_t *report,
                             funnel_report_pipeline_t *pipeline);

/* Σ weighted_bp / 10000 rounded half up (towards +infinity). */
int64_t funnel_report_weighted (int64_t weighted_bp);

/* velocity = open × win_rate × average_won_amount / median_cycle_days;
   unset when a factor is unset or the cycle is 0. */
funnel_report_value_t funnel_report_velocity (uint64_t open, funnel_report_value_t win_rate,
                                              funnel_report_value_t average_won_amount,
                                              funnel_report_value_t median_cycle_days);

/* A median searched for one probe at a time, so that the searches of
   many distributions can share round trips (funnel_median): start, then
   while not done, count the values <= probe () and feed that count. The
   k-th smallest value is the least v with count (<= v) >= k: searched for
   k = (count + 1) / 2, then for an even count k = count / 2 + 1 from
   there; percentile_cont (0.5) is their mean. */
typedef struct {
    uint64_t count;               /* values in the union */
    uint64_t k;                   /* rank being searched */
    int64_t low, high;            /* where it lies */
    int64_t greatest;             /* the union's greatest value */
    int64_t lower;                /* the lower middle, once found */
    int phase;                    /* 0: lower middle, 1: upper middle, 2: done */
    funnel_report_value_t median; /* the result, once done */
} funnel_report_search_t;

/* Starts a search over count values, all in low..high (low <= high
   when count > 0). A search over no value is done at once, unset. */
void funnel_report_search_start (funnel_report_search_t *search, int64_t low, int64_t high,
                                 uint64_t count);

/* True once the median is known (search->median). */
bool funnel_report_search_done (const funnel_report_search_t *search);

/* The value whose count is wanted next (not done: asserted). */
int64_t funnel_report_search_probe (const funnel_report_search_t *search);

/* Takes the number of values <= the last probe. */
void funnel_report_search_feed (funnel_report_search_t *search, uint64_t count_at_most);

/* Months of a period, sorted, no duplicates. */
typedef struct {
    size_t count;                          /* months */
    char (*month)[FUNNEL_KEYS_MONTH_SIZE]; /* [count] "YYYY-MM", malloc'd */
} funnel_report_months_t;

/* Checks a period label: "YYYY-MM", "YYYY-Qn", "YYYY" or "all". Returns
   0, or -1 with the reason in error, e.g. `invalid period "2017-Q5":
   quarter must be 1..4`. */
int funnel_report_period_check (const char *period, char *error, size_t error_size);

/* The months period stands for into months (cleared first): one, three
   or twelve, or for "all" the known months (those of the form YYYY-MM;
   others are not months funnel-tracker wrote and are left out). Returns
   0, or -1 with the reason in error (bad label, out of memory). */
int funnel_report_period_months (const char *period, const char *const *known, size_t known_count,
                                 funnel_report_months_t *months, char *error, size_t error_size);

/* Frees the months; the struct may be reused. */
void funnel_report_months_clear (funnel_report_months_t *months);

#endif
