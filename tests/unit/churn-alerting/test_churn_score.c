/*  test_churn_score - a customer's health score (churn_score): every
    measure with exact scores at and between thresholds, the typical
    interval's sources, windows at their edges, decay, the weighted mean
    over measures with data, band edges with tiers, and a silent customer
    whose score falls as time passes.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "churn_score.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define DAY 17500 /* 2017-11-30 */
#define MS_PER_DAY INT64_C (86400000)
#define FILL 0x5a

static churn_model_t *
s_model (const char *text)
{
    char error[CHURN_MODEL_ERROR_SIZE] = "";
    churn_model_t *model = churn_model_new (text, strlen (text), error, sizeof error);
    if (!model)
        print_error ("unexpected error: %s\n", error);
    assert_non_null (model);
    return model;
}

static churn_model_t *
s_default_model (void)
{
    return s_model ("{\"name\": \"default\"}");
}

static churn_customer_t *
s_customer (void)
{
    churn_customer_t *customer = churn_customer_new ();
    assert_non_null (customer);
    return customer;
}

static void
s_apply (churn_customer_t *customer, churn_customer_event_t event)
{
    assert_int_equal (churn_customer_apply (customer, &event), 0);
}

static void
s_order (churn_customer_t *customer, int64_t day, int64_t amount)
{
    s_apply (customer, (churn_customer_event_t){ .type = CHURN_CUSTOMER_ORDER,
                                                 .day = day,
                                                 .amount_minor = amount,
                                                 .reporting_currency = true });
}

static void
s_payment (churn_customer_t *customer, int64_t day, int64_t amount)
{
    s_apply (customer, (churn_customer_event_t){ .type = CHURN_CUSTOMER_PAYMENT,
                                                 .day = day,
                                                 .amount_minor = amount,
                                                 .reporting_currency = true });
}

static void
s_touch (churn_customer_t *customer, churn_customer_event_type_t type, int64_t day)
{
    s_apply (customer, (churn_customer_event_t){ .type = type, .day = day });
}

static void
s_complaint (churn_customer_t *customer, int64_t day, churn_model_severity_t severity)
{
    s_apply (customer, (churn_customer_event_t){
                           .type = CHURN_CUSTOMER_COMPLAINT, .day = day, .severity = severity });
}

static void
s_survey (churn_customer_t *customer, int64_t day, const char *id, churn_customer_survey_t survey,
          int score)
{
    s_apply (customer, (churn_customer_event_t){ .type = CHURN_CUSTOMER_SURVEY,
                                                 .day = day,
                                                 .occurred_at = day * MS_PER_DAY,
                                                 .event_id = id,
                                                 .survey = survey,
                                                 .survey_score = score });
}

static churn_score_t
s_evaluate (const churn_model_t *model, char tier, const churn_customer_t *customer, int64_t as_of,
            int64_t population)
{
    churn_score_t score;
    assert_int_equal (churn_score_evaluate (model, tier, customer, as_of, population, &score), 0);
    assert_int_equal (score.as_of_day, as_of);
    return score;
}

/* The part of measure as of as_of with the default model and no tier. */
static churn_score_measure_t
s_part (const churn_model_t *model, const churn_customer_t *customer, int64_t as_of,
        churn_model_measure_t measure)
{
    return s_evaluate (model, 0, customer, as_of, 0).measures[measure];
}

// ---------------------------------------------------------------- thresholds

static void
test_interpolate (void **state)
{
    (void) state;
    const churn_model_threshold_t falling[] = {
        { 10000, 100 }, { 15000, 75 }, { 20000, 50 }, { 30000, 0 }
    };
    assert_int_equal (churn_score_interpolate (falling, 4, 0), 100);     /* below: clamped */
    assert_int_equal (churn_score_interpolate (falling, 4, 10000), 100); /* at each point */
    assert_int_equal (churn_score_interpolate (falling, 4, 15000), 75);
    assert_int_equal (churn_score_interpolate (falling, 4, 20000), 50);
    assert_int_equal (churn_score_interpolate (falling, 4, 30000), 0);
    assert_int_equal (churn_score_interpolate (falling, 4, 99999999), 0); /* above: clamped */
    assert_int_equal (churn_score_interpolate (falling, 4, 17000), 65);
    assert_int_equal (churn_score_interpolate (falling, 4, 12500), 88); /* 87.5 rounds up */
    assert_int_equal (churn_score_interpolate (falling, 4, 12600), 87); /* 87.0 */
    assert_int_equal (churn_score_interpolate (falling, 4, 12700), 87); /* 86.5 rounds up */
    assert_int_equal (churn_score_interpolate (falling, 4, 12800), 86); /* 86.0 */
    const churn_model_threshold_t rising[] = { { 0, 0 }, { 3, 75 }, { 6, 100 } };
    assert_int_equal (churn_score_interpolate (rising, 3, 1), 25);
    assert_int_equal (churn_score_interpolate (rising, 3, 2), 50);
    assert_int_equal (churn_score_interpolate (rising, 3, 4), 83); /* 83.33 */
    assert_int_equal (churn_score_interpolate (rising, 3, 5), 92); /* 91.67 */
    assert_int_equal (churn_score_interpolate (rising, 3, -7), 0);
}

// ---------------------------------------------------------------- measures

/* Recency against the customer's own median interval once it has
   min_orders order days; returns are not orders. */
static void
test_recency_own_interval (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_customer_t *customer = s_customer ();
    s_order (customer, DAY, 1000);
    s_order (customer, DAY + 10, 1000);
    s_order (customer, DAY + 10, 500); /* the same day: one order day */
    s_order (customer, DAY + 20, 1000);
    s_order (customer, DAY + 35, -300); /* a return */
    const int64_t as_of[] = {
        DAY + 20, DAY + 30, DAY + 35, DAY + 37, DAY + 45, DAY + 50, DAY + 90
    };
    const int64_t values[] = { 0, 10000, 15000, 17000, 25000, 30000, 70000 };
    const int scores[] = { 100, 100, 75, 65, 25, 0, 0 };
    for (size_t index = 0; index < COUNT (as_of); index++) {
        churn_score_t score = s_evaluate (model, 0, customer, as_of[index], 7);
        const churn_score_measure_t *part = &score.measures[CHURN_MODEL_RECENCY];
        assert_true (part->has_data);
        assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_OWN);
        assert_true (score.has_last_order);
        assert_int_equal (score.last_order_day, DAY + 20);
        assert_int_equal (part->current, as_of[index] - (DAY + 20));
        assert_int_equal (part->previous, 10);
        assert_int_equal (part->value, values[index]);
        assert_int_equal (part->score, scores[index]);
    }
    /* an even count of intervals: the mean of the middle two of 10, 10,
       13, 17, 11.5, rounds up */
    s_order (customer, DAY + 33, 1000);
    s_order (customer, DAY + 50, 1000);
    churn_score_measure_t part = s_part (model, customer, DAY + 68, CHURN_MODEL_RECENCY);
    assert_int_equal (part.previous, 12);
    assert_int_equal (part.value, 15000);
    assert_int_equal (part.score, 75);
    churn_customer_destroy (&customer);
    churn_model_destroy (&model);
}

/* Too few order days: the population's interval, else the model's. */
static void
test_recency_fallback_interval (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_model_t *two = s_model ("{\"name\": \"two\", \"default_interval_days\": 15, "
                                  "\"measures\": {\"recency\": {\"min_orders\": 2}}}");
    churn_customer_t *customer = s_customer ();
    churn_score_t score = s_evaluate (model, 0, customer, DAY, 20);
    assert_false (score.measures[CHURN_MODEL_RECENCY].has_data);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_NONE);
    assert_false (score.has_last_order);
    assert_false (score.has_score);
    s_order (customer, DAY, 1000);
    s_order (customer, DAY + 10, 1000);
    score = s_evaluate (model, 0, customer, DAY + 40, 20);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_POPULATION);
    assert_int_equal (score.measures[CHURN_MODEL_RECENCY].previous, 20);
    assert_int_equal (score.measures[CHURN_MODEL_RECENCY].value, 15000);
    assert_int_equal (score.measures[CHURN_MODEL_RECENCY].score, 75);
    score = s_evaluate (model, 0, customer, DAY + 40, 0);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_MODEL);
    assert_int_equal (score.measures[CHURN_MODEL_RECENCY].previous, 7);
    assert_int_equal (score.measures[CHURN_MODEL_RECENCY].score, 0); /* 30 days ÷ 7 */
    /* min_orders 2: two order days are enough for the own interval */
    score = s_evaluate (two, 0, customer, DAY + 40, 20);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_OWN);
    assert_int_equal (score.measures[CHURN_MODEL_RECENCY].previous, 10);
    assert_int_equal (score.measures[CHURN_MODEL_RECENCY].score, 0);
    /* as of the first order only one order day counts: the model's 15 */
    score = s_evaluate (two, 0, customer, DAY + 9, 0);
    assert_int_equal (score.interval, CHURN_SCORE_INTERVAL_MODEL);
    assert_int_equal (score.measures[CHURN_MODEL_RECENCY].value, 6000);
    churn_customer_destroy (&customer);
    churn_model_destroy (&two);
    churn_model_destroy (&model);
}

/* Frequency and monetary: (as_of − 90, as_of] against the 90 days before,
   edges included exactly; no earlier window: no data. */
static void
test_frequency_monetary_windows (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_customer_t *customer = s_customer ();
    s_order (customer, DAY + 111, 200);
    s_order (customer, DAY + 200, 100);
    churn_score_t score = s_evaluate (model, 0, customer, DAY + 200, 0);
    assert_false (score.measures[CHURN_MODEL_FREQUENCY].has_data);
    assert_false (score.measures[CHURN_MODEL_MONETARY].has_data);
    s_touch (customer, CHURN_CUSTOMER_CALL, DAY + 110); /* known before the window: growth */
    score = s_evaluate (model, 0, customer, DAY + 200, 0);
    assert_int_equal (score.measures[CHURN_MODEL_FREQUENCY].previous, 0);
    assert_int_equal (score.measures[CHURN_MODEL_FREQUENCY].value, CHURN_SCORE_RATIO_CAP_BP);
    assert_int_equal (score.measures[CHURN_MODEL_FREQUENCY].score, 100);
    score = s_evaluate (model, 0, customer, DAY + 400, 0); /* silence: both windows empty */
    assert_int_equal (score.measures[CHURN_MODEL_FREQUENCY].value, 0);
    assert_int_equal (score.measures[CHURN_MODEL_FREQUENCY].score, 0);
    assert_int_equal (score.measures[CHURN_MODEL_MONETARY].score, 0);
    s_order (customer, DAY + 20, 5000);  /* before both windows */
    s_order (customer, DAY + 21, 100);   /* first day of the window before */
    s_order (customer, DAY + 110, 300);  /* last day of the window before */
    s_order (customer, DAY + 201, 5000); /* after as_of */
    churn_customer_event_t other = { .type = CHURN_CUSTOMER_ORDER,
                                     .day = DAY + 150,
                                     .amount_minor = 7777,
                                     .reporting_currency = false };
    s_apply (customer, other); /* counts as an order, adds no amount */
    score = s_evaluate (model, 0, customer, DAY + 200, 0);
    const churn_score_measure_t *frequency = &score.measures[CHURN_MODEL_FREQUENCY];
    assert_int_equal (frequency->current, 3);
    assert_int_equal (frequency->previous, 2);
    assert_int_equal (frequency->value, 15000);
    assert_int_equal (frequency->score, 100);
    const churn_score_measure_t *monetary = &score.measures[CHURN_MODEL_MONETARY];
    assert_int_equal (monetary->current, 300);
    assert_int_equal (monetary->previous, 400);
    assert_int_equal (monetary->value, 7500);
    assert_int_equal (monetary->score, 69); /* 69.17 between 0.5 → 40 and 0.8 → 75 */
    /* one day earlier every window moves by one */
    score = s_evaluate (model, 0, customer, DAY + 199, 0);
    assert_int_equal (score.measures[CHURN_MODEL_FREQUENCY].current, 3);  /* 110, 111, 150 */
    assert_int_equal (score.measures[CHURN_MODEL_FREQUENCY].previous, 2); /* 20, 21 */
    assert_int_equal (score.measures[CHURN_MODEL_MONETARY].current, 500);
    assert_int_equal (score.measures[CHURN_MODEL_MONETARY].previous, 5100);
    assert_int_equal (score.measures[CHURN_MODEL_MONETARY].value, 980);
    assert_int_equal (score.measures[CHURN_MODEL_MONETARY].score, 8); /* 7.84 */
    /* a third of the orders of the window before: 201 against 111, 150, 200 */
    score = s_evaluate (model, 0, customer, DAY + 290, 0);
    assert_int_equal (score.measures[CHURN_MODEL_FREQUENCY].current, 1);
    assert_int_equal (score.measures[CHURN_MODEL_FREQUENCY].previous, 3);
    assert_int_equal (score.measures[CHURN_MODEL_FREQUENCY].value, 3333);
    assert_int_equal (score.measures[CHURN_MODEL_FREQUENCY].score, 27); /* 26.66 */
    churn_customer_destroy (&customer);
    churn_model_destroy (&model);
}

/* Returns: returned ÷ ordered in the window; returns alone: the cap. */
static void
test_returns (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_customer_t *customer = s_customer ();
    s_order (customer, DAY + 10, -400); /* outside the window (DAY + 10, DAY + 100] */
    assert_false (s_part (model, customer, DAY + 100, CHURN_MODEL_RETURNS).has_data);
    s_order (customer, DAY + 11, -25); /* returns alone */
    churn_score_measure_t part = s_part (model, customer, DAY + 100, CHURN_MODEL_RETURNS);
    assert_true (part.has_data);
    assert_int_equal (part.value, CHURN_SCORE_RATIO_CAP_BP);
    assert_int_equal (part.score, 0);
    s_order (customer, DAY + 50, 1000);
    s_order (customer, DAY + 60, -100);
    part = s_part (model, customer, DAY + 100, CHURN_MODEL_RETURNS);
    assert_int_equal (part.current, 125);
    assert_int_equal (part.previous, 1000);
    assert_int_equal (part.value, 1250);
    assert_int_equal (part.score, 44);                              /* 43.75 */
    part = s_part (model, customer, DAY + 59, CHURN_MODEL_RETURNS); /* (-31, 59]: 425 */
    assert_int_equal (part.value, 4250);
    assert_int_equal (part.score, 0);
    part = s_part (model, customer, DAY + 109, CHURN_MODEL_RETURNS); /* (19, 109]: 100 */
    assert_int_equal (part.value, 1000);
    assert_int_equal (part.score, 50);
    s_order (customer, DAY + 105, 1000);
    part = s_part (model, customer, DAY + 109, CHURN_MODEL_RETURNS); /* 100 of 2000 */
    assert_int_equal (part.value, 500);
    assert_int_equal (part.score, 75);
    s_order (customer, DAY + 106, 2000);
    part = s_part (model, customer, DAY + 109, CHURN_MODEL_RETURNS); /* 100 of 4000 */
    assert_int_equal (part.value, 250);
    assert_int_equal (part.score, 88); /* 87.5 */
    churn_customer_destroy (&customer);
    churn_model_destroy (&model);
}

/* Payment: ordered in (as_of − 120, as_of − 30] (due), against paid
   in (as_of − 120, as_of]. */
static void
test_payment (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_customer_t *customer = s_customer ();
    s_payment (customer, DAY + 80, 1000); /* before the windows (80, ...] */
    assert_false (s_part (model, customer, DAY + 200, CHURN_MODEL_PAYMENT).has_data);
    s_order (customer, DAY + 80, 5000);  /* before the order window (80, 170] */
    s_order (customer, DAY + 81, 1000);  /* its first day */
    s_order (customer, DAY + 170, 1000); /* its last day */
    s_order (customer, DAY + 171, 5000); /* within the terms: not due yet */
    s_payment (customer, DAY + 81, 600);
    s_payment (customer, DAY + 200, 1000);
    s_payment (customer, DAY + 201, 999); /* after as_of */
    churn_score_measure_t part = s_part (model, customer, DAY + 200, CHURN_MODEL_PAYMENT);
    assert_int_equal (part.current, 1600);
    assert_int_equal (part.previous, 2000);
    assert_int_equal (part.value, 8000);
    assert_int_equal (part.score, 50);
    s_payment (customer, DAY + 150, 300);
    part = s_part (model, customer, DAY + 200, CHURN_MODEL_PAYMENT);
    assert_int_equal (part.value, 9500);
    assert_int_equal (part.score, 75);
    s_payment (customer, DAY + 151, 500);
    part = s_part (model, customer, DAY + 200, CHURN_MODEL_PAYMENT);
    assert_int_equal (part.value, 12000);
    assert_int_equal (part.score, 100);
    /* nothing due: no data */
    assert_false (s_part (model, customer, DAY + 171 + 120, CHURN_MODEL_PAYMENT).has_data);
    churn_customer_destroy (&customer);
    churn_model_destroy (&model);
}

/* Engagement: weighted visits, calls and demos in the window; none ever:
   no data; silence: 0. */
static void
test_engagement (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_model_t *visits = s_model ("{\"name\": \"visits\", \"measures\": {\"engagement\": "
                                     "{\"visit\": 2, \"demo\": 0}}}");
    churn_customer_t *customer = s_customer ();
    s_order (customer, DAY, 100);
    assert_false (s_part (model, customer, DAY + 100, CHURN_MODEL_ENGAGEMENT).has_data);
    s_touch (customer, CHURN_CUSTOMER_DEMO, DAY + 10); /* outside (DAY + 10, DAY + 100] */
    s_touch (customer, CHURN_CUSTOMER_VISIT, DAY + 11);
    s_touch (customer, CHURN_CUSTOMER_VISIT, DAY + 50);
    s_touch (customer, CHURN_CUSTOMER_CALL, DAY + 50);
    s_touch (customer, CHURN_CUSTOMER_CALL, DAY + 101); /* after as_of */
    churn_score_measure_t part = s_part (model, customer, DAY + 100, CHURN_MODEL_ENGAGEMENT);
    assert_int_equal (part.value, 3);
    assert_int_equal (part.score, 75);
    part = s_part (model, customer, DAY + 99, CHURN_MODEL_ENGAGEMENT); /* the demo is in */
    assert_int_equal (part.value, 4);
    assert_int_equal (part.score, 83); /* 83.33 */
    part = s_part (visits, customer, DAY + 100, CHURN_MODEL_ENGAGEMENT);
    assert_int_equal (part.value, 5);
    assert_int_equal (part.score, 92);                                /* 91.67 */
    part = s_part (model, customer, DAY + 9, CHURN_MODEL_ENGAGEMENT); /* before any */
    assert_false (part.has_data);
    part = s_part (model, customer, DAY + 191, CHURN_MODEL_ENGAGEMENT); /* silence */
    assert_true (part.has_data);
    assert_int_equal (part.value, 0);
    assert_int_equal (part.score, 0);
    churn_customer_destroy (&customer);
    churn_model_destroy (&visits);
    churn_model_destroy (&model);
}

/* Complaints: severity points halve every half-life, linear between. */
static void
test_complaints_decay (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_customer_t *customer = s_customer ();
    s_touch (customer, CHURN_CUSTOMER_CALL, DAY - 5);
    churn_score_measure_t part = s_part (model, customer, DAY, CHURN_MODEL_COMPLAINTS);
    assert_true (part.has_data); /* a known customer without complaints */
    assert_int_equal (part.value, 0);
    assert_int_equal (part.score, 100);
    s_complaint (customer, DAY, CHURN_MODEL_SEVERITY_HIGH); /* 4 points */
    const int64_t ages[] = { 0, 15, 30, 45, 60, 90, 120, 30 * 61, 30 * 62 };
    const int64_t values[] = { 40000, 30000, 20000, 15000, 10000, 5000, 2500, 0, 0 };
    const int scores[] = { 50, 58, 67, 71, 75, 88, 94, 100, 100 };
    for (size_t index = 0; index < COUNT (ages); index++) {
        part = s_part (model, customer, DAY + ages[index], CHURN_MODEL_COMPLAINTS);
        assert_int_equal (part.current, 1);
        assert_int_equal (part.value, values[index]);
        assert_int_equal (part.score, scores[index]);
    }
    s_complaint (customer, DAY + 30, CHURN_MODEL_SEVERITY_CRITICAL);
    s_complaint (customer, DAY + 30, CHURN_MODEL_SEVERITY_LOW);
    part = s_part (model, customer, DAY + 30, CHURN_MODEL_COMPLAINTS);
    assert_int_equal (part.current, 3);
    assert_int_equal (part.value, 110000); /* 2 + 9 points */
    assert_int_equal (part.score, 0);
    part = s_part (model, customer, DAY + 29, CHURN_MODEL_COMPLAINTS); /* before the new ones */
    assert_int_equal (part.current, 1);
    churn_customer_destroy (&customer);
    churn_model_destroy (&model);
}

/* Satisfaction: the latest survey on or before as_of, mapped, while it
   is at most max_age_days old. */
static void
test_satisfaction (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_model_t *custom = s_model ("{\"name\": \"custom\", \"measures\": {\"satisfaction\": "
                                     "{\"nps\": [0, 0, 0, 0, 0, 0, 0, 50, 50, 100, 100]}}}");
    churn_customer_t *customer = s_customer ();
    s_survey (customer, DAY, "s:1", CHURN_CUSTOMER_SURVEY_NPS, 7);
    churn_score_measure_t part = s_part (model, customer, DAY + 3, CHURN_MODEL_SATISFACTION);
    assert_true (part.has_data);
    assert_int_equal (part.value, 7);
    assert_int_equal (part.current, DAY);
    assert_int_equal (part.previous, CHURN_CUSTOMER_SURVEY_NPS);
    assert_int_equal (part.score, 70);
    assert_int_equal (s_part (custom, customer, DAY + 3, CHURN_MODEL_SATISFACTION).score, 50);
    s_survey (customer, DAY + 5, "s:2", CHURN_CUSTOMER_SURVEY_CSAT, 4);
    part = s_part (model, customer, DAY + 10, CHURN_MODEL_SATISFACTION);
    assert_int_equal (part.value, 4);
    assert_int_equal (part.score, 75);
    assert_int_equal (s_part (model, customer, DAY + 4, CHURN_MODEL_SATISFACTION).score, 70);
    assert_false (s_part (model, customer, DAY - 1, CHURN_MODEL_SATISFACTION).has_data);
    /* the same time: the larger event id is the later */
    s_survey (customer, DAY + 5, "s:3", CHURN_CUSTOMER_SURVEY_CSAT, 1);
    assert_int_equal (s_part (model, customer, DAY + 10, CHURN_MODEL_SATISFACTION).score, 0);
    assert_true (s_part (model, customer, DAY + 5 + 365, CHURN_MODEL_SATISFACTION).has_data);
    assert_false (s_part (model, customer, DAY + 5 + 366, CHURN_MODEL_SATISFACTION).has_data);
    churn_customer_destroy (&customer);
    churn_model_destroy (&custom);
    churn_model_destroy (&model);
}

// ---------------------------------------------------------------- the score

/* The weighted mean over the measures with data only; factors by pull. */
static void
test_weighted_mean (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_customer_t *customer = s_customer ();
    s_order (customer, DAY + 1, 1000);
    s_order (customer, DAY + 11, 1000);
    s_order (customer, DAY + 21, 1000);
    s_payment (customer, DAY + 20, 1000);
    s_complaint (customer, DAY + 31, CHURN_MODEL_SEVERITY_HIGH);
    churn_score_t score = s_evaluate (model, 0, customer, DAY + 31, 0);
    const bool with_data[] = { true, false, false, true, true, false, true, false };
    const int scores[] = { 100, 0, 0, 100, 100, 0, 50, 0 };
    for (size_t index = 0; index < CHURN_MODEL_MEASURE_COUNT; index++) {
        assert_int_equal (score.measures[index].has_data, with_data[index]);
        if (with_data[index])
            assert_int_equal (score.measures[index].score, scores[index]);
    }
    /* (4000 × 100 + 500 × 100 + 1000 × 100 + 1000 × 50) ÷ 6500 = 92.3 */
    assert_true (score.has_score);
    assert_int_equal (score.weight_bp, 6500);
    assert_int_equal (score.score, 92);
    assert_int_equal (score.band, CHURN_BAND_GREEN);
    assert_int_equal (score.measures[CHURN_MODEL_ENGAGEMENT].weight_bp, 1000);
    const churn_model_measure_t factors[] = { CHURN_MODEL_COMPLAINTS, CHURN_MODEL_RECENCY,
                                              CHURN_MODEL_RETURNS, CHURN_MODEL_PAYMENT };
    assert_int_equal (score.factor_count, COUNT (factors));
    for (size_t index = 0; index < COUNT (factors); index++)
        assert_int_equal (score.factors[index], factors[index]);
    /* a half rounds up: (70 + 75) ÷ 2 = 72.5 */
    churn_model_t *halves = s_model (
        "{\"name\": \"halves\", \"measures\": {\"recency\": {\"weight\": 0}, "
        "\"frequency\": {\"weight\": 0}, \"monetary\": {\"weight\": 0}, \"returns\": {\"weight\": "
        "0}, \"payment\": {\"weight\": 0}, \"engagement\": {\"weight\": 0}, \"complaints\": "
        "{\"weight\": 0.1}, \"satisfaction\": {\"weight\": 0.1}}}");
    churn_customer_t *other = s_customer ();
    s_survey (other, DAY, "s:1", CHURN_CUSTOMER_SURVEY_NPS, 7);
    s_complaint (other, DAY, CHURN_MODEL_SEVERITY_LOW);
    s_order (other, DAY, 100); /* recency has data but no weight */
    score = s_evaluate (halves, 0, other, DAY, 0);
    assert_int_equal (score.score, 73);
    assert_int_equal (score.weight_bp, 2000);
    assert_int_equal (score.band, CHURN_BAND_YELLOW);
    assert_int_equal (score.factors[0], CHURN_MODEL_SATISFACTION);                 /* 1000 × 30 */
    assert_int_equal (score.factors[1], CHURN_MODEL_COMPLAINTS);                   /* 1000 × 25 */
    assert_int_equal (score.factors[score.factor_count - 1], CHURN_MODEL_RETURNS); /* weight 0 */
    churn_customer_destroy (&other);
    churn_model_destroy (&halves);
    churn_customer_destroy (&customer);
    churn_model_destroy (&model);
}

/* Band edges 50/51 and 75/76, and a tier's own edges and weights. */
static void
test_band_edges (void **state)
{
    (void) state;
    churn_model_t *model = s_model (
        "{\"name\": \"bands\", \"measures\": {\"recency\": {\"weight\": 0}, "
        "\"frequency\": {\"weight\": 0}, \"monetary\": {\"weight\": 0}, \"returns\": {\"weight\": "
        "0}, \"payment\": {\"weight\": 0}, \"engagement\": {\"weight\": 0}, \"complaints\": "
        "{\"weight\": 0}, \"satisfaction\": {\"weight\": 1, "
        "\"nps\": [50, 51, 75, 76, 60, 61, 80, 81, 0, 0, 100]}}, "
        "\"tiers\": {\"A\": {\"bands\": {\"red_max\": 60, \"yellow_max\": 80}}, "
        "\"B\": {\"weights\": {\"satisfaction\": 0}}}}");
    const int nps[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    const int expected_score[] = { 50, 51, 75, 76, 60, 61, 80, 81 };
    const churn_band_t plain[] = { CHURN_BAND_RED,   CHURN_BAND_YELLOW, CHURN_BAND_YELLOW,
                                   CHURN_BAND_GREEN, CHURN_BAND_YELLOW, CHURN_BAND_YELLOW,
                                   CHURN_BAND_GREEN, CHURN_BAND_GREEN };
    const churn_band_t tier_a[] = { CHURN_BAND_RED,    CHURN_BAND_RED,  CHURN_BAND_YELLOW,
                                    CHURN_BAND_YELLOW, CHURN_BAND_RED,  CHURN_BAND_YELLOW,
                                    CHURN_BAND_YELLOW, CHURN_BAND_GREEN };
    for (size_t index = 0; index < COUNT (nps); index++) {
        churn_customer_t *customer = s_customer ();
        s_survey (customer, DAY, "s:1", CHURN_CUSTOMER_SURVEY_NPS, nps[index]);
        churn_score_t score = s_evaluate (model, 0, customer, DAY, 0);
        assert_int_equal (score.score, expected_score[index]);
        assert_int_equal (score.band, plain[index]);
        score = s_evaluate (model, 'C', customer, DAY, 0); /* no overrides */
        assert_int_equal (score.band, plain[index]);
        score = s_evaluate (model, 'A', customer, DAY, 0);
        assert_int_equal (score.tier, 'A');
        assert_int_equal (score.score, expected_score[index]);
        assert_int_equal (score.band, tier_a[index]);
        score = s_evaluate (model, 'B', customer, DAY, 0); /* no weight with data */
        assert_false (score.has_score);
        assert_int_equal (score.factor_count, 2); /* satisfaction, complaints */
        churn_customer_destroy (&customer);
    }
    assert_string_equal (churn_score_band_name (CHURN_BAND_RED), "red");
    assert_string_equal (churn_score_band_name (CHURN_BAND_YELLOW), "yellow");
    assert_string_equal (churn_score_band_name (CHURN_BAND_GREEN), "green");
    churn_model_destroy (&model);
}

/* A regular customer who goes silent: as as_of moves on, the score only
   falls, from green to red. */
static void
test_silent_customer (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_customer_t *customer = s_customer ();
    for (int64_t day = DAY; day <= DAY + 170; day += 10) {
        s_order (customer, day, 1000);
        s_payment (customer, day + 20 <= DAY + 170 ? day + 20 : DAY + 170, 1000);
        s_touch (customer, CHURN_CUSTOMER_VISIT, day);
    }
    s_survey (customer, DAY + 170, "s:1", CHURN_CUSTOMER_SURVEY_NPS, 9);
    const int64_t later[] = { 0, 10, 15, 20, 30, 45, 60, 90, 120, 180, 365, 730 };
    const int expected[] = { 100, 97, 87, 74, 51, 48, 42, 26, 17, 17, 17, 13 };
    int previous = CHURN_SCORE_MAX;
    for (size_t index = 0; index < COUNT (later); index++) {
        churn_score_t score = s_evaluate (model, 0, customer, DAY + 170 + later[index], 0);
        assert_true (score.has_score);
        if (score.score != expected[index])
            print_error ("after %lld days: %d\n", (long long) later[index], score.score);
        assert_int_equal (score.score, expected[index]);
        assert_true (score.score <= previous);
        previous = score.score;
        assert_int_equal (score.measures[CHURN_MODEL_RECENCY].current, later[index]);
    }
    churn_score_t first = s_evaluate (model, 0, customer, DAY + 170, 0);
    assert_int_equal (first.band, CHURN_BAND_GREEN);
    churn_score_t last = s_evaluate (model, 0, customer, DAY + 170 + 730, 0);
    assert_int_equal (last.band, CHURN_BAND_RED);
    assert_int_equal (last.factors[0], CHURN_MODEL_RECENCY);
    churn_customer_destroy (&customer);
    churn_model_destroy (&model);
}

/* Events after as_of change nothing: a replay scores as the live run did. */
static void
test_later_events_ignored (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_customer_t *live = s_customer ();
    churn_customer_t *replay = s_customer ();
    churn_customer_t *both[] = { live, replay };
    for (size_t index = 0; index < COUNT (both); index++) {
        for (int64_t day = DAY; day <= DAY + 60; day += 12)
            s_order (both[index], day, 1000 + day - DAY);
        s_touch (both[index], CHURN_CUSTOMER_CALL, DAY + 30);
        s_complaint (both[index], DAY + 40, CHURN_MODEL_SEVERITY_MEDIUM);
        s_survey (both[index], DAY + 50, "s:1", CHURN_CUSTOMER_SURVEY_CSAT, 3);
    }
    s_order (replay, DAY + 70, 99999);
    s_order (replay, DAY + 71, -500);
    s_payment (replay, DAY + 72, 500);
    s_touch (replay, CHURN_CUSTOMER_DEMO, DAY + 73);
    s_complaint (replay, DAY + 74, CHURN_MODEL_SEVERITY_CRITICAL);
    s_survey (replay, DAY + 75, "s:2", CHURN_CUSTOMER_SURVEY_NPS, 0);
    churn_score_t one = s_evaluate (model, 'B', live, DAY + 69, 9);
    churn_score_t other = s_evaluate (model, 'B', replay, DAY + 69, 9);
    assert_int_equal (one.score, other.score);
    assert_int_equal (one.band, other.band);
    assert_int_equal (one.factor_count, other.factor_count);
    for (size_t index = 0; index < CHURN_MODEL_MEASURE_COUNT; index++) {
        assert_int_equal (one.measures[index].has_data, other.measures[index].has_data);
        assert_int_equal (one.measures[index].value, other.measures[index].value);
        assert_int_equal (one.measures[index].score, other.measures[index].score);
        assert_int_equal (one.factors[index % one.factor_count],
                          other.factors[index % other.factor_count]);
    }
    churn_customer_destroy (&replay);
    churn_customer_destroy (&live);
    churn_model_destroy (&model);
}

/* Out-of-range arguments: -1, the output untouched. */
static void
test_evaluate_refusals (void **state)
{
    (void) state;
    churn_model_t *model = s_default_model ();
    churn_customer_t *customer = s_customer ();
    s_order (customer, DAY, 100);
    churn_score_t score;
    churn_score_t untouched;
    memset (&score, FILL, sizeof score);
    memset (&untouched, FILL, sizeof untouched);
    assert_int_equal (churn_score_evaluate (model, 0, customer, -1, 0, &score), -1);
    assert_int_equal (
        churn_score_evaluate (model, 0, customer, CHURN_CUSTOMER_DAY_MAX + 1, 0, &score), -1);
    assert_int_equal (churn_score_evaluate (model, 'D', customer, DAY, 0, &score), -1);
    assert_int_equal (churn_score_evaluate (model, 0, customer, DAY, -1, &score), -1);
    assert_memory_equal (&score, &untouched, sizeof score);
    assert_int_equal (churn_score_evaluate (model, 0, customer, CHURN_CUSTOMER_DAY_MAX, 0, &score),
                      0);
    assert_true (score.has_score);
    churn_customer_destroy (&customer);
    churn_model_destroy (&model);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_interpolate),
        cmocka_unit_test (test_recency_own_interval),
        cmocka_unit_test (test_recency_fallback_interval),
        cmocka_unit_test (test_frequency_monetary_windows),
        cmocka_unit_test (test_returns),
        cmocka_unit_test (test_payment),
        cmocka_unit_test (test_engagement),
        cmocka_unit_test (test_complaints_decay),
        cmocka_unit_test (test_satisfaction),
        cmocka_unit_test (test_weighted_mean),
        cmocka_unit_test (test_band_edges),
        cmocka_unit_test (test_silent_customer),
        cmocka_unit_test (test_later_events_ignored),
        cmocka_unit_test (test_evaluate_refusals),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
