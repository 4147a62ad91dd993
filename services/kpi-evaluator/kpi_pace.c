/*  kpi_pace - pro-rated target, projection, required pace, status band and
    attainment of one KPI (see kpi_pace.h and docs/scorecards.md).

    Every product is taken in 128 bits: two int64 values multiply into at
    most 2^126, so no intermediate can overflow, and a result is checked
    to fit an int64 only once it is divided back down.
*/
#include "kpi_pace.h"
#include "sp_round.h"

#include <assert.h>
#include <stddef.h>

/* 128-bit intermediates (GCC and Clang). */
typedef __int128 s_wide_t;

#define S_PERCENT 100
#define S_BP KPI_PACE_BASIS_POINTS

/* Status names, indexed by kpi_pace_status_t. */
static const char *const s_status_names[] = {
    [KPI_PACE_NONE] = NULL,           [KPI_PACE_EXCEEDED] = "exceeded",
    [KPI_PACE_ON_TRACK] = "on_track", [KPI_PACE_BEHIND] = "behind",
    [KPI_PACE_AT_RISK] = "at_risk",
};

/* True when value fits an int64. */
static bool
s_fits (s_wide_t value)
{
    return value >= INT64_MIN && value <= INT64_MAX;
}

/* numerator ÷ denominator (> 0), rounded up (towards +infinity). */
static s_wide_t
s_divide_up (s_wide_t numerator, s_wide_t denominator)
{
    assert (denominator > 0);
    s_wide_t quotient = numerator / denominator;
    return numerator % denominator > 0 ? quotient + 1 : quotient;
}

/* numerator ÷ denominator (> 0), rounded down (towards -infinity). */
static s_wide_t
s_divide_down (s_wide_t numerator, s_wide_t denominator)
{
    assert (denominator > 0);
    s_wide_t quotient = numerator / denominator;
    return numerator % denominator < 0 ? quotient - 1 : quotient;
}

/* Where a band starts, in basis points of the KPI's unit (value ×
   10,000): the explicit bound when there is one, else the target moved
   by (bp − 10,000) ÷ 10,000 of its size in the better direction (a
   negative bp − 10,000 moves it the worse way). */
static s_wide_t
s_band (bool has_bound, int64_t bound, int64_t target, int bp, bool lower_is_better)
{
    if (has_bound)
        return (s_wide_t) bound * S_BP;
    s_wide_t size = target < 0 ? -(s_wide_t) target : (s_wide_t) target;
    s_wide_t shift = size * (bp - S_BP);
    return (s_wide_t) target * S_BP + (lower_is_better ? -shift : shift);
}

/* True when value is at band or better. */
static bool
s_reaches (int64_t value, s_wide_t band, bool lower_is_better)
{
    s_wide_t scaled = (s_wide_t) value * S_BP;
    return lower_is_better ? scaled <= band : scaled >= band;
}

/* True when in's floor and stretch lie on the right sides of its target. */
static bool
s_bounds_ordered (const kpi_pace_input_t *in)
{
    if (in->lower_is_better)
        return (!in->has_floor || in->floor >= in->target) &&
               (!in->has_stretch || in->stretch <= in->target);
    return (!in->has_floor || in->floor <= in->target) &&
           (!in->has_stretch || in->stretch >= in->target);
}

/* The band value reaches, given a target. */
static kpi_pace_status_t
s_status (const kpi_pace_input_t *in, const kpi_pace_thresholds_t *thresholds, int64_t value)
{
    bool lower = in->lower_is_better;
    if (s_reaches (
            value,
            s_band (in->has_stretch, in->stretch, in->target, thresholds->exceeded_bp, lower),
            lower))
        return KPI_PACE_EXCEEDED;
    if (s_reaches (value, (s_wide_t) in->target * S_BP, lower))
        return KPI_PACE_ON_TRACK;
    if (s_reaches (value,
                   s_band (in->has_floor, in->floor, in->target, thresholds->behind_bp, lower),
                   lower))
        return KPI_PACE_BEHIND;
    return KPI_PACE_AT_RISK;
}

void
kpi_pace_thresholds_default (kpi_pace_thresholds_t *thresholds)
{
    assert (thresholds);
    thresholds->early_percent = KPI_PACE_DEFAULT_EARLY_PERCENT;
    thresholds->exceeded_bp = KPI_PACE_DEFAULT_EXCEEDED_BP;
    thresholds->behind_bp = KPI_PACE_DEFAULT_BEHIND_BP;
}

bool
kpi_pace_thresholds_valid (const kpi_pace_thresholds_t *thresholds)
{
    assert (thresholds);
    return thresholds->early_percent >= 0 && thresholds->early_percent <= S_PERCENT &&
           thresholds->exceeded_bp >= S_BP && thresholds->exceeded_bp <= KPI_PACE_EXCEEDED_BP_MAX &&
           thresholds->behind_bp >= 0 && thresholds->behind_bp <= S_BP;
}

int
kpi_pace_evaluate (const kpi_pace_input_t *in, const kpi_pace_thresholds_t *thresholds,
                   kpi_pace_t *out)
{
    assert (in && thresholds && out);
    assert (kpi_pace_thresholds_valid (thresholds));
    if (in->days_total < 1 || in->days_elapsed < 0 || in->days_elapsed > in->days_total)
        return -1;
    if (in->has_target && !s_bounds_ordered (in))
        return -1;
    kpi_pace_t pace = { .status = KPI_PACE_NONE };
    int64_t remaining = in->days_total - in->days_elapsed;

    if (!in->additive) {
        /* A ratio or an average holds at every moment: no pro-rating. */
        pace.has_projection = true;
        pace.projection = in->actual;
        pace.has_prorated_target = in->has_target;
        pace.prorated_target = in->has_target ? in->target : 0;
    }
    else {
        if (in->days_elapsed > 0) {
            s_wide_t projection =
                sp_round_divide ((s_wide_t) in->actual * in->days_total, in->days_elapsed);
            if (!s_fits (projection))
                return -1;
            pace.has_projection = true;
            pace.projection = (int64_t) projection;
        }
        if (in->has_target) {
            pace.has_prorated_target = true;
            pace.prorated_target =
                (int64_t) sp_round_divide ((s_wide_t) in->target * in->days_elapsed, in->days_total);
            s_wide_t gap = (s_wide_t) in->target - in->actual; /* > 0: still to reach */
            bool done = in->lower_is_better ? gap < 0 : gap <= 0;
            if (done) {
                pace.has_required_per_day = true;
                pace.required_per_day = 0;
            }
            else if (remaining > 0) {
                /* Rounded so that keeping to it keeps the target: up for
                   what is needed, down for what is still allowed. */
                s_wide_t daily = in->lower_is_better ? s_divide_down (gap, remaining)
                                                     : s_divide_up (gap, remaining);
                if (!s_fits (daily))
                    return -1;
                pace.has_required_per_day = true;
                pace.required_per_day = (int64_t) daily;
            }
        }
    }

    bool early = (s_wide_t) in->days_elapsed * S_PERCENT <
                 (s_wide_t) in->days_total * thresholds->early_percent;
    if (in->has_target && pace.has_projection && !early)
        pace.status = s_status (in, thresholds, pace.projection);
    *out = pace;
    return 0;
}

const char *
kpi_pace_status_name (kpi_pace_status_t status)
{
    if ((size_t) status >= sizeof s_status_names / sizeof s_status_names[0])
        return NULL;
    return s_status_names[status];
}

int
kpi_pace_attainment (int64_t actual, int64_t target, bool lower_is_better, int64_t *attainment_bp)
{
    assert (attainment_bp);
    if (target <= 0)
        return 1;
    s_wide_t attainment;
    if (actual <= 0)
        attainment = lower_is_better ? INT64_MAX : 0;
    else if (lower_is_better)
        attainment = sp_round_divide ((s_wide_t) target * S_BP, actual);
    else
        attainment = sp_round_divide ((s_wide_t) actual * S_BP, target);
    *attainment_bp = attainment > INT64_MAX ? INT64_MAX : (int64_t) attainment;
    return 0;
}
