/*  churn_score - a customer's health score as of a day: each measure's
    value and score, the weighted mean over the measures that have data,
    the band, and the factors that pull the score down the most
    (docs/health-model.md, "Measures" and "Score").

    Evaluation is in event time: as_of_day is the last day of the period
    evaluated, events after it are ignored, and every window ends at it,
    so replaying the log gives the scores the live service gave. A
    customer who sends nothing still moves: the days since the last
    order grow, the windows empty, complaints decay, surveys age.

    Integers only: ratios in basis points, amounts in minor units, 128-bit
    intermediates. Pure: no I/O, no global state.
*/
#ifndef CHURN_SCORE_H_INCLUDED
#define CHURN_SCORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_band.h"
#include "churn_customer.h"
#include "churn_model.h"

/* Intervals between orders the customer's own typical interval is the
   median of: the latest ones. */
#define CHURN_SCORE_INTERVALS_MAX 12

/* Ratios are capped here (1000 = 10,000,000 bp, the largest "at" of a
   ratio threshold), and a ratio over a zero denominator is the cap. */
#define CHURN_SCORE_RATIO_CAP_BP ((int64_t) CHURN_MODEL_RATIO_MAX_BP)

/* Where the typical interval between orders came from. */
typedef enum {
    CHURN_SCORE_INTERVAL_NONE = 0,   /* no order: recency has no data */
    CHURN_SCORE_INTERVAL_OWN,        /* the customer's own, >= min_orders order days */
    CHURN_SCORE_INTERVAL_POPULATION, /* the population's, given by the caller */
    CHURN_SCORE_INTERVAL_MODEL,      /* the model's default_interval_days */
} churn_score_interval_t;

/* One measure's part. Values by measure (see churn_model_measure_t):
     recency       value = current × 10,000 ÷ previous; current = days since the
                   last order, previous = typical interval (days)
     frequency     value = current × 10,000 ÷ previous; orders in the window,
                   in the window before (none before: 0 when none now, else the
                   cap); data once the customer ordered and is older than the
                   window
     monetary      the same with amounts (minor units)
     returns       value = current × 10,000 ÷ previous; returned, ordered in the
                   window (minor units); nothing ordered: the cap
     payment       value = current × 10,000 ÷ previous; previous = ordered in
                   the window ending terms_days before as_of, current = paid from
                   that window's start to as_of (minor units)
     engagement    value = current = weighted visits, calls and demos in the window
     complaints    value = decayed complaint points in basis points of a point;
                   current = complaints on or before as_of_day (kept days)
     satisfaction  value = the survey's score on its scale; current = its day,
                   previous = its scale (churn_customer_survey_t)
   Ratios are capped at CHURN_SCORE_RATIO_CAP_BP. */
typedef struct {
    bool has_data;      /* the measure could be computed */
    int64_t value;      /* in the measure's unit (above) */
    int64_t current;    /* the numerator or the count (above) */
    int64_t previous;   /* the denominator (above) */
    int score;          /* 0..100, when has_data */
    uint32_t weight_bp; /* the weight for the customer's tier */
} churn_score_measure_t;

/* A score and how it is made. */
typedef struct {
    int64_t as_of_day;               /* the day evaluated */
    char tier;                       /* 'A', 'B', 'C' or 0 */
    bool has_score;                  /* some measure with data has a weight */
    int score;                       /* weighted mean, 0..100, when has_score */
    churn_band_t band;               /* of score, when has_score */
    uint32_t weight_bp;              /* Σ weights of the measures with data */
    churn_score_interval_t interval; /* source of the typical interval */
    bool has_last_order;             /* an order on or before as_of_day */
    int64_t last_order_day;          /* when has_last_order */
    churn_score_measure_t measures[CHURN_MODEL_MEASURE_COUNT]; /* by churn_model_measure_t */
    size_t factor_count;                                       /* measures with data */
    churn_model_measure_t factors[CHURN_MODEL_MEASURE_COUNT];  /* what pulls down most first */
} churn_score_t;

/* The score of value on thresholds (count of them, at strictly
   increasing, count >= 2): the first score below the first "at", the
   last above the last, linear between two, rounded half up. */
int churn_score_interpolate (const churn_model_threshold_t *thresholds, size_t count,
                             int64_t value);

/* A customer's own typical interval between orders: the median of the
   intervals between latest (kept of them, strictly increasing days: the
   customer's latest order days, at most CHURN_SCORE_INTERVALS_MAX + 1),
   an even count taking the mean of the middle two rounded half up; 0
   when the customer has fewer than min_orders order days in all
   (order_days >= kept) or kept < 2. The one rule of the customer's own
   interval, for churn_score_evaluate and churn_population. */
int64_t churn_score_own_interval (const int64_t *latest, size_t kept, int64_t order_days,
                                  int64_t min_orders);

/* Scores customer as of as_of_day (0..CHURN_CUSTOMER_DAY_MAX) for tier
   ('A', 'B', 'C' or 0). population_interval_days is the population's
   typical interval between orders (the service's median), 0 when
   unknown. Returns 0 with *out set, or -1 with *out untouched when
   as_of_day, tier or population_interval_days is out of range. */
int churn_score_evaluate (const churn_model_t *model, char tier, const churn_customer_t *customer,
                          int64_t as_of_day, int64_t population_interval_days, churn_score_t *out);

/* "red", "yellow", "green". */
const char *churn_score_band_name (churn_band_t band);

#endif
