/*  churn_band - the health bands of a customer's score, shared by the
    health model (churn_model), the scoring (churn_score) and the alert
    rules (churn_rules). Scores are integers 0..100; the model says where
    the bands start (defaults red 0..50, yellow 51..75, green 76..100).
*/
#ifndef CHURN_BAND_H_INCLUDED
#define CHURN_BAND_H_INCLUDED

typedef enum {
    CHURN_BAND_RED = 0,
    CHURN_BAND_YELLOW = 1,
    CHURN_BAND_GREEN = 2,
} churn_band_t;

/* Lowest and highest score. */
#define CHURN_SCORE_MIN 0
#define CHURN_SCORE_MAX 100

#endif
