/*  churn_score - a customer's health score as of a day (see churn_score.h
    and docs/health-model.md).

    Each measure reads the customer's day lists through the window it
    needs, ending at as_of_day; days after as_of_day are skipped. Sums are
    128-bit and clamped to int64 only where reported. Every division
    rounds half up: floor ((2n + d) / 2d).
*/
#include "churn_score.h"

#include <assert.h>
#include <string.h>

#define S_BP CHURN_MODEL_BASIS_POINTS
#define S_SCORE_RANGE (CHURN_SCORE_MAX - CHURN_SCORE_MIN)
#define S_DECAY_HALVINGS_MAX 62 /* 2^62 still fits int64; older complaints count 0 */

typedef __int128 s_wide_t;

/* n ÷ d rounded half up (toward +infinity on a half); d > 0. */
static s_wide_t
s_divide_round (s_wide_t numerator, s_wide_t denominator)
{
    assert (denominator > 0);
    s_wide_t twice = 2 * numerator + denominator;
    s_wide_t divisor = 2 * denominator;
    s_wide_t quotient = twice / divisor;
    if (twice % divisor != 0 && twice < 0)
        quotient--; /* floor, not truncation */
    return quotient;
}

/* value clamped to 0..INT64_MAX. */
static int64_t
s_clamp (s_wide_t value)
{
    if (value < 0)
        return 0;
    return value > INT64_MAX ? INT64_MAX : (int64_t) value;
}

/* current ÷ previous in basis points, capped; previous 0: the cap. */
static int64_t
s_ratio (s_wide_t current, s_wide_t previous)
{
    if (previous <= 0)
        return CHURN_SCORE_RATIO_CAP_BP;
    s_wide_t ratio = s_divide_round (current * S_BP, previous);
    return ratio > CHURN_SCORE_RATIO_CAP_BP ? CHURN_SCORE_RATIO_CAP_BP : (int64_t) ratio;
}

int
churn_score_interpolate (const churn_model_threshold_t *thresholds, size_t count, int64_t value)
{
    assert (thresholds && count >= CHURN_MODEL_THRESHOLDS_MIN);
    if (value <= thresholds[0].at)
        return thresholds[0].score;
    if (value >= thresholds[count - 1].at)
        return thresholds[count - 1].score;
    size_t index = 0;
    while (value >= thresholds[index + 1].at)
        index++;
    const churn_model_threshold_t *low = &thresholds[index];
    const churn_model_threshold_t *high = &thresholds[index + 1];
    assert (low->at < high->at);
    /* (s0 (a1 − v) + s1 (v − a0)) ÷ (a1 − a0) */
    s_wide_t numerator =
        (s_wide_t) low->score * (high->at - value) + (s_wide_t) high->score * (value - low->at);
    return (int) s_divide_round (numerator, (s_wide_t) high->at - low->at);
}

/* True when day is in the window of days (end − days, end]. */
static bool
s_in_window (int64_t day, int64_t end, int64_t days)
{
    return day <= end && day > end - days;
}

/* Scores value on the measure's thresholds into part. */
static void
s_score_value (const churn_model_measure_params_t *params, churn_score_measure_t *part,
               int64_t value)
{
    part->has_data = true;
    part->value = value;
    part->score = churn_score_interpolate (params->thresholds, params->threshold_count, value);
}

/* The median of count (1..) intervals, sorted here; an even count takes
   the mean of the two middle ones, rounded half up. */
static int64_t
s_median (int64_t *intervals, size_t count)
{
    assert (count > 0);
    for (size_t index = 1; index < count; index++)
        for (size_t at = index; at > 0 && intervals[at - 1] > intervals[at]; at--) {
            int64_t swap = intervals[at];
            intervals[at] = intervals[at - 1];
            intervals[at - 1] = swap;
        }
    if (count % 2 == 1)
        return intervals[count / 2];
    return (int64_t) s_divide_round ((s_wide_t) intervals[count / 2 - 1] + intervals[count / 2], 2);
}

int64_t
churn_score_own_interval (const int64_t *latest, size_t kept, int64_t order_days,
                          int64_t min_orders)
{
    assert (latest || kept == 0);
    assert (kept <= CHURN_SCORE_INTERVALS_MAX + 1 && (int64_t) kept <= order_days);
    if (order_days < min_orders || kept < 2) /* a gap needs two order days */
        return 0;
    int64_t intervals[CHURN_SCORE_INTERVALS_MAX] = { 0 };
    for (size_t index = 0; index + 1 < kept; index++) {
        assert (latest[index] < latest[index + 1]);
        intervals[index] = latest[index + 1] - latest[index];
    }
    return s_median (intervals, kept - 1);
}

static void
s_recency (const churn_model_t *model, const churn_customer_t *customer, int64_t as_of,
           int64_t population, churn_score_t *out)
{
    const churn_model_measure_params_t *params = churn_model_measure (model, CHURN_MODEL_RECENCY);
    churn_score_measure_t *part = &out->measures[CHURN_MODEL_RECENCY];
    /* order days on or before as_of, the latest CHURN_SCORE_INTERVALS_MAX + 1,
       filled from the end so they end up in increasing order */
    int64_t latest[CHURN_SCORE_INTERVALS_MAX + 1];
    size_t kept = 0;
    int64_t order_days = 0;
    for (size_t index = churn_customer_money_count (customer); index-- > 0;) {
        const churn_customer_money_t *day = churn_customer_money (customer, index);
        if (day->day > as_of || day->orders == 0)
            continue;
        if (kept < CHURN_SCORE_INTERVALS_MAX + 1)
            latest[CHURN_SCORE_INTERVALS_MAX - kept++] = day->day;
        order_days++;
    }
    if (order_days == 0)
        return;
    const int64_t *oldest = &latest[CHURN_SCORE_INTERVALS_MAX + 1 - kept];
    out->has_last_order = true;
    out->last_order_day = latest[CHURN_SCORE_INTERVALS_MAX];
    int64_t interval = churn_score_own_interval (oldest, kept, order_days, params->min_orders);
    if (interval > 0)
        out->interval = CHURN_SCORE_INTERVAL_OWN;
    else if (population > 0) {
        interval = population;
        out->interval = CHURN_SCORE_INTERVAL_POPULATION;
    }
    else {
        interval = churn_model_default_interval_days (model);
        out->interval = CHURN_SCORE_INTERVAL_MODEL;
    }
    assert (interval > 0);
    part->current = as_of - out->last_order_day;
    part->previous = interval;
    s_score_value (params, part, s_ratio (part->current, interval));
}

/* Frequency and monetary: the window ending at as_of against the one
   before it. The measure has data once the customer has ordered (with an
   amount, for monetary) on or before as_of and was known before the
   window (its first event on or before as_of − window): a window before
   without orders then reads 0 when the latest is empty too (a silent
   customer stays at the bottom) and the cap when it is not (growth). */
static void
s_trend (const churn_model_t *model, const churn_customer_t *customer, int64_t as_of,
         churn_model_measure_t measure, churn_score_t *out)
{
    const churn_model_measure_params_t *params = churn_model_measure (model, measure);
    churn_score_measure_t *part = &out->measures[measure];
    int64_t days = params->window_days;
    int64_t first;
    if (!churn_customer_first_day (customer, &first) || first > as_of - days)
        return;
    bool ordered = false;
    s_wide_t current = 0, previous = 0;
    for (size_t index = 0; index < churn_customer_money_count (customer); index++) {
        const churn_customer_money_t *day = churn_customer_money (customer, index);
        s_wide_t amount = measure == CHURN_MODEL_FREQUENCY ? day->orders : day->ordered_minor;
        if (day->day <= as_of && amount > 0)
            ordered = true;
        if (s_in_window (day->day, as_of, days))
            current += amount;
        else if (s_in_window (day->day, as_of - days, days))
            previous += amount;
    }
    if (!ordered)
        return;
    part->current = s_clamp (current);
    part->previous = s_clamp (previous);
    s_score_value (params, part, current == 0 ? 0 : s_ratio (current, previous));
}

static void
s_returns (const churn_model_t *model, const churn_customer_t *customer, int64_t as_of,
           churn_score_t *out)
{
    const churn_model_measure_params_t *params = churn_model_measure (model, CHURN_MODEL_RETURNS);
    churn_score_measure_t *part = &out->measures[CHURN_MODEL_RETURNS];
    s_wide_t returned = 0, ordered = 0;
    for (size_t index = 0; index < churn_customer_money_count (customer); index++) {
        const churn_customer_money_t *day = churn_customer_money (customer, index);
        if (s_in_window (day->day, as_of, params->window_days)) {
            returned += day->returned_minor;
            ordered += day->ordered_minor;
        }
    }
    if (returned == 0 && ordered == 0)
        return;
    part->current = s_clamp (returned);
    part->previous = s_clamp (ordered);
    s_score_value (params, part, s_ratio (returned, ordered));
}

static void
s_payment (const churn_model_t *model, const churn_customer_t *customer, int64_t as_of,
           churn_score_t *out)
{
    const churn_model_measure_params_t *params = churn_model_measure (model, CHURN_MODEL_PAYMENT);
    churn_score_measure_t *part = &out->measures[CHURN_MODEL_PAYMENT];
    /* orders of (start, as_of − terms] are due; payments of (start, as_of]
       count, whenever they came after the window's start */
    int64_t span = params->window_days + params->terms_days;
    s_wide_t paid = 0, ordered = 0;
    for (size_t index = 0; index < churn_customer_money_count (customer); index++) {
        const churn_customer_money_t *day = churn_customer_money (customer, index);
        if (s_in_window (day->day, as_of, span))
            paid += day->paid_minor;
        if (s_in_window (day->day, as_of - params->terms_days, params->window_days))
            ordered += day->ordered_minor;
    }
    if (ordered == 0)
        return;
    part->current = s_clamp (paid);
    part->previous = s_clamp (ordered);
    s_score_value (params, part, s_ratio (paid, ordered));
}

static void
s_engagement (const churn_model_t *model, const churn_customer_t *customer, int64_t as_of,
              churn_score_t *out)
{
    const churn_model_measure_params_t *params =
        churn_model_measure (model, CHURN_MODEL_ENGAGEMENT);
    churn_score_measure_t *part = &out->measures[CHURN_MODEL_ENGAGEMENT];
    int64_t first;
    if (!churn_customer_first_engagement_day (customer, &first) || first > as_of)
        return;
    s_wide_t total = 0;
    for (size_t index = 0; index < churn_customer_engagement_count (customer); index++) {
        const churn_customer_engagement_t *day = churn_customer_engagement (customer, index);
        if (s_in_window (day->day, as_of, params->window_days))
            total += (s_wide_t) day->visits * params->visit_weight +
                     (s_wide_t) day->calls * params->call_weight +
                     (s_wide_t) day->demos * params->demo_weight;
    }
    part->current = s_clamp (total);
    s_score_value (params, part, part->current);
}

/* The decayed points of one day's complaints age days old, in basis
   points of a point: points × 2^−q × (2h − r) ÷ 2h with age = q·h + r,
   exact at each half-life and linear between. */
static s_wide_t
s_decayed (int64_t points, int64_t age, int64_t half_life)
{
    int64_t halvings = age / half_life;
    int64_t rest = age % half_life;
    if (halvings >= S_DECAY_HALVINGS_MAX || points == 0)
        return 0;
    s_wide_t numerator = (s_wide_t) points * S_BP * (2 * half_life - rest);
    s_wide_t denominator = ((s_wide_t) 2 * half_life) << halvings;
    return s_divide_round (numerator, denominator);
}

static void
s_complaints (const churn_model_t *model, const churn_customer_t *customer, int64_t as_of,
              churn_score_t *out)
{
    const churn_model_measure_params_t *params =
        churn_model_measure (model, CHURN_MODEL_COMPLAINTS);
    churn_score_measure_t *part = &out->measures[CHURN_MODEL_COMPLAINTS];
    int64_t first;
    if (!churn_customer_first_day (customer, &first) || first > as_of)
        return;
    s_wide_t total = 0;
    int64_t complaints = 0;
    for (size_t index = 0; index < churn_customer_complaint_count (customer); index++) {
        const churn_customer_complaint_t *day = churn_customer_complaint (customer, index);
        if (day->day > as_of)
            continue;
        int64_t points = 0;
        for (size_t severity = 0; severity < CHURN_MODEL_SEVERITY_COUNT; severity++) {
            points += (int64_t) day->counts[severity] * params->severity_points[severity];
            complaints += day->counts[severity];
        }
        total += s_decayed (points, as_of - day->day, params->half_life_days);
    }
    part->current = complaints;
    s_score_value (params, part, s_clamp (total));
}

static void
s_satisfaction (const churn_model_t *model, const churn_customer_t *customer, int64_t as_of,
                churn_score_t *out)
{
    const churn_model_measure_params_t *params =
        churn_model_measure (model, CHURN_MODEL_SATISFACTION);
    churn_score_measure_t *part = &out->measures[CHURN_MODEL_SATISFACTION];
    const churn_customer_answer_t *latest = NULL;
    for (size_t index = 0; index < churn_customer_answer_count (customer) && !latest; index++)
        if (churn_customer_answer (customer, index)->day <= as_of)
            latest = churn_customer_answer (customer, index);
    if (!latest || as_of - latest->day > params->max_age_days)
        return;
    part->has_data = true;
    part->value = latest->score;
    part->current = latest->day;
    part->previous = latest->survey;
    part->score = latest->survey == CHURN_CUSTOMER_SURVEY_NPS
                      ? params->nps_scores[latest->score]
                      : params->csat_scores[latest->score - CHURN_MODEL_CSAT_MIN];
}

/* How much measure pulls the score down: weight × (100 − score). */
static int64_t
s_pull (const churn_score_t *score, churn_model_measure_t measure)
{
    const churn_score_measure_t *part = &score->measures[measure];
    return (int64_t) part->weight_bp * (CHURN_SCORE_MAX - part->score);
}

int
churn_score_evaluate (const churn_model_t *model, char tier, const churn_customer_t *customer,
                      int64_t as_of_day, int64_t population_interval_days, churn_score_t *out)
{
    assert (model && customer && out);
    if (as_of_day < 0 || as_of_day > CHURN_CUSTOMER_DAY_MAX || !churn_model_tier_valid (tier) ||
        population_interval_days < 0 || population_interval_days > CHURN_CUSTOMER_DAY_MAX)
        return -1;
    churn_score_t result;
    memset (&result, 0, sizeof result);
    result.as_of_day = as_of_day;
    result.tier = tier;
    s_recency (model, customer, as_of_day, population_interval_days, &result);
    s_trend (model, customer, as_of_day, CHURN_MODEL_FREQUENCY, &result);
    s_trend (model, customer, as_of_day, CHURN_MODEL_MONETARY, &result);
    s_returns (model, customer, as_of_day, &result);
    s_payment (model, customer, as_of_day, &result);
    s_engagement (model, customer, as_of_day, &result);
    s_complaints (model, customer, as_of_day, &result);
    s_satisfaction (model, customer, as_of_day, &result);
    int64_t weighted = 0;
    for (size_t index = 0; index < CHURN_MODEL_MEASURE_COUNT; index++) {
        churn_model_measure_t measure = (churn_model_measure_t) index;
        churn_score_measure_t *part = &result.measures[index];
        part->weight_bp = churn_model_weight_bp (model, tier, measure);
        if (!part->has_data)
            continue;
        assert (part->score >= CHURN_SCORE_MIN && part->score <= CHURN_SCORE_MAX);
        result.weight_bp += part->weight_bp;
        weighted += (int64_t) part->weight_bp * part->score;
        /* insert by pull, largest first; ties keep the measures' order */
        size_t at = result.factor_count++;
        while (at > 0 && s_pull (&result, result.factors[at - 1]) < s_pull (&result, measure)) {
            result.factors[at] = result.factors[at - 1];
            at--;
        }
        result.factors[at] = measure;
    }
    if (result.weight_bp > 0) {
        result.has_score = true;
        result.score = (int) s_divide_round (weighted, result.weight_bp);
        result.band = churn_model_band (model, tier, result.score);
    }
    *out = result;
    return 0;
}

const char *
churn_score_band_name (churn_band_t band)
{
    switch (band) {
        case CHURN_BAND_RED:
            return "red";
        case CHURN_BAND_YELLOW:
            return "yellow";
        case CHURN_BAND_GREEN:
            return "green";
    }
    assert (false);
    return "";
}
