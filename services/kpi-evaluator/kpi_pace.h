/*  kpi_pace - where a KPI stands against its target part-way through a
    period: the target pro-rated to now, the run-rate projection to the
    period's end, the daily pace still required, and a status band
    (exceeded, on track, behind, at risk). Also the attainment of a value
    against a target, which scorecards (kpi_scorecard) weigh.

    Conventions (docs/scorecards.md, "Pace"):
        days      the caller counts them, calendar or business days, and
                  says which in what it shows. days_elapsed counts the
                  days fully or partly elapsed, today included: on the
                  first day of a 30-day month it is 1, on the last 30.
                  The days still remaining are days_total - days_elapsed,
                  today excluded (today is already under way).
        additive  (money, count): prorated = target × elapsed ÷ total,
                  projection = actual × total ÷ elapsed (rounded half
                  away from zero), required per day = (target − actual) ÷
                  remaining (rounded up, so meeting it meets the target;
                  0 once the target is met).
        others    (ratios, averages, per day, scores): the target holds at
                  every moment, so prorated = target, projection = the
                  current value, no required per day.
        status    none while days_elapsed is under early_percent of the
                  period or without a target; otherwise the band of the
                  projection: exceeded at the stretch, on track at the
                  target, behind at the floor, at risk below. Without a
                  stretch, the band starts (exceeded_bp − 100 %) of the
                  target beyond it; without a floor, (100 % − behind_bp)
                  of it short of it. lower_is_better inverts every
                  comparison: beyond is under, short is over.

    Integers only; products are taken in 128 bits so any int64 values
    (money up to 10^15 minor units over 10,000 days and far beyond)
    multiply without overflow. Pure: no I/O, no state.
*/
#ifndef KPI_PACE_H_INCLUDED
#define KPI_PACE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

/* Basis points in 1 (100 %). */
#define KPI_PACE_BASIS_POINTS 10000

/* Default thresholds (kpi_pace_thresholds_default). */
#define KPI_PACE_DEFAULT_EARLY_PERCENT 20  /* no status before 20 % of the period */
#define KPI_PACE_DEFAULT_EXCEEDED_BP 11000 /* without a stretch: exceeded at 110 % */
#define KPI_PACE_DEFAULT_BEHIND_BP 9000    /* without a floor: behind down to 90 % */

/* Largest exceeded_bp allowed (10 × the target). */
#define KPI_PACE_EXCEEDED_BP_MAX 100000

/* The status band of a KPI; NONE when none is given. */
typedef enum {
    KPI_PACE_NONE = 0, /* early in the period, or no target */
    KPI_PACE_EXCEEDED, /* at or beyond the stretch */
    KPI_PACE_ON_TRACK, /* at or beyond the target */
    KPI_PACE_BEHIND,   /* short of the target, at or beyond the floor */
    KPI_PACE_AT_RISK,  /* short of the floor */
} kpi_pace_status_t;

/* Where the bands start when the target has no stretch or floor, and how
   early a status is withheld. */
typedef struct {
    int early_percent; /* no status while elapsed × 100 < total × this; 0..100 */
    int exceeded_bp;   /* no stretch: exceeded from target × this ÷ 10,000; 10,000..100,000 */
    int behind_bp;     /* no floor: behind down to target × this ÷ 10,000; 0..10,000 */
} kpi_pace_thresholds_t;

/* One KPI of one scope in one period, in the KPI's unit. */
typedef struct {
    int64_t actual;       /* value so far */
    bool has_target;      /* target is set */
    int64_t target;       /* what the period should reach */
    bool has_floor;       /* floor is set */
    int64_t floor;        /* least acceptable: behind above it, at risk below */
    bool has_stretch;     /* stretch is set */
    int64_t stretch;      /* exceeded from it on */
    int64_t days_elapsed; /* days fully or partly elapsed, today included; 0..days_total */
    int64_t days_total;   /* days in the period (calendar or business), >= 1 */
    bool additive;        /* kpi_catalog_additive: values add up over days */
    bool lower_is_better; /* direction: every comparison inverts */
} kpi_pace_input_t;

/* What kpi_pace_evaluate finds; each value only when its has_ flag is set. */
typedef struct {
    bool has_prorated_target;  /* a target is set */
    int64_t prorated_target;   /* the target's share at now (the target itself when not additive) */
    bool has_projection;       /* additive: at least one day elapsed; others: always */
    int64_t projection;        /* value expected at the period's end */
    bool has_required_per_day; /* additive with a target, and a day remains or the target is met */
    int64_t required_per_day;  /* daily amount still needed (lower_is_better: still allowed) */
    kpi_pace_status_t status;  /* band, KPI_PACE_NONE when withheld */
} kpi_pace_t;

/* Sets the documented defaults (KPI_PACE_DEFAULT_*). */
void kpi_pace_thresholds_default (kpi_pace_thresholds_t *thresholds);

/* True when every threshold is in its documented range. */
bool kpi_pace_thresholds_valid (const kpi_pace_thresholds_t *thresholds);

/* Evaluates in against the thresholds (valid, asserted) into *out.
   Returns 0, or -1 with *out untouched when in is inconsistent (days out
   of range, floor or stretch on the wrong side of the target) or a
   result does not fit an int64. */
int kpi_pace_evaluate (const kpi_pace_input_t *in, const kpi_pace_thresholds_t *thresholds,
                       kpi_pace_t *out);

/* "exceeded", "on_track", "behind", "at_risk"; NULL for KPI_PACE_NONE or
   a value out of range. */
const char *kpi_pace_status_name (kpi_pace_status_t status);

/* Attainment of actual against target in basis points (10,000 = target
   met), rounded to the nearest, halves up: actual ÷ target, or target ÷
   actual when lower_is_better. Returns 0 with *attainment_bp set, or 1
   with *attainment_bp untouched when undefined: a target of 0 or less.
   An actual of 0 or less is 0 bp when higher is better, and INT64_MAX
   (beyond any cap: nothing can do better) when lower is better; values
   too large for an int64 are INT64_MAX too. */
int kpi_pace_attainment (int64_t actual, int64_t target, bool lower_is_better,
                         int64_t *attainment_bp);

#endif
