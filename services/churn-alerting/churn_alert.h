/*  churn_alert - one churn alert as churn-alerting sends and stores it: a
    FIRE, REPEAT or RESOLVE of a customer's rule (churn_lifecycle) with
    what justifies it (docs/churn-alerts.md, "What an alert carries"):
    the period's score and band, the previous scores of the history, the
    factors of the score (what pulls it down most first), the days since
    the last order against the customer's own typical interval, the day
    it fired, and the owner's rep, team and region (the customer state's
    owner: the latest event to name one; empty when none did).

    Built from a period's scoring (churn_alert_build), carried on the wire
    as a salespulse.ChurnAlert (proto/churn.proto) under the topic
    "churn.<severity>.<region>.<team>", stored as a row of churn_alerts
    (churn_alert_store.h) and shown by `salesctl alerts` (churn_alert_json).
    A received message is validated as it is read (churn_alert_from_message).
    Pure: no I/O.
*/
#ifndef CHURN_ALERT_H_INCLUDED
#define CHURN_ALERT_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn.pb-c.h"
#include "churn_customer.h"
#include "churn_history.h"
#include "churn_lifecycle.h"
#include "churn_rules.h"
#include "churn_score.h"

/* Longest customer id (bytes), as events carry it. */
#define CHURN_ALERT_CUSTOMER_MAX 128

/* Longest owner rep, team or region id (bytes), as the state keeps them. */
#define CHURN_ALERT_OWNER_MAX CHURN_CUSTOMER_OWNER_MAX

/* Previous scores carried at most: the history but its latest period. */
#define CHURN_ALERT_PREVIOUS_MAX (CHURN_RULES_HISTORY_MAX - 1)

/* A previous period without a score. */
#define CHURN_ALERT_NO_SCORE (-1)

/* "YYYY-MM-DD" and its NUL. */
#define CHURN_ALERT_DAY_SIZE 11

/* Topics start with this; "_" stands for a level not known. */
#define CHURN_ALERT_TOPIC_PREFIX "churn."
#define CHURN_ALERT_TOPIC_NONE "_"
#define CHURN_ALERT_TOPIC_SIZE (sizeof CHURN_ALERT_TOPIC_PREFIX + 16 + 2 * CHURN_ALERT_OWNER_MAX)

/* Largest packed ChurnAlert, bytes. */
#define CHURN_ALERT_MESSAGE_MAX 4096

/* The alert after its message. */
typedef enum {
    CHURN_ALERT_FIRING = 1,   /* FIRE, REPEAT */
    CHURN_ALERT_RESOLVED = 2, /* RESOLVE */
} churn_alert_state_t;

/* One factor of the score. */
typedef struct {
    churn_model_measure_t measure; /* the measure */
    int64_t value;                 /* its value in its unit (churn_score_measure_t) */
    int score;                     /* 0..100 */
    uint32_t weight_bp;            /* its weight for the customer, 0..10000 */
} churn_alert_factor_t;

/* One alert message. */
typedef struct {
    int64_t sequence;                               /* alert_seq; 0 until stored */
    char customer_id[CHURN_ALERT_CUSTOMER_MAX + 1]; /* the customer */
    churn_rules_rule_t rule;                        /* the rule */
    churn_rules_severity_t severity;                /* its severity */
    churn_lifecycle_action_t action;                /* FIRE, REPEAT or RESOLVE */
    int64_t day;                                    /* the period decided (local day number) */
    bool has_score;                                 /* the period was scored */
    int score;                                      /* 0..100, when has_score */
    churn_band_t band;                              /* when has_score */
    size_t previous_count;                          /* periods before it, oldest first */
    int previous[CHURN_ALERT_PREVIOUS_MAX];         /* their scores, CHURN_ALERT_NO_SCORE: none */
    size_t factor_count;                            /* measures with data */
    churn_alert_factor_t factors[CHURN_MODEL_MEASURE_COUNT]; /* what pulls down most first */
    bool has_interval;                                       /* the customer has its own interval */
    int64_t days_since_order;                                /* when has_interval */
    int64_t typical_interval_days;                           /* when has_interval */
    int64_t fired_day;                                       /* the period the alert fired */
    char owner_rep[CHURN_ALERT_OWNER_MAX + 1];               /* "" when not known */
    char owner_team[CHURN_ALERT_OWNER_MAX + 1];              /* "" when not known */
    char owner_region[CHURN_ALERT_OWNER_MAX + 1];            /* "" when not known */
    int64_t created_at_ms; /* when stored, UTC ms; 0 until stored */
} churn_alert_t;

/* A ChurnAlert with the storage its pointers use (filled by
   churn_alert_to_message; valid while it and the alert live). */
typedef struct {
    Salespulse__ChurnAlert message;
    Salespulse__ChurnAlert__Factor factors[CHURN_MODEL_MEASURE_COUNT];
    Salespulse__ChurnAlert__Factor *factor_pointers[CHURN_MODEL_MEASURE_COUNT];
    int32_t previous[CHURN_ALERT_PREVIOUS_MAX];
    char occurred_day[CHURN_ALERT_DAY_SIZE];
    char fired_day[CHURN_ALERT_DAY_SIZE];
} churn_alert_message_t;

/* Builds the alert of action (FIRE, REPEAT or RESOLVE, asserted) on
   condition for customer: the period is the history's latest (whose day
   is condition->day, asserted), score its scoring, fired_day the day the
   alert fired, owner the customer's owner (NULL: not known, the owner
   fields empty). Returns 0, or -1 when customer is not 1..
   CHURN_ALERT_CUSTOMER_MAX bytes (out untouched). */
int churn_alert_build (churn_alert_t *out, const char *customer,
                       const churn_rules_condition_t *condition, churn_lifecycle_action_t action,
                       int64_t fired_day, const churn_history_t *history,
                       const churn_score_t *score, const churn_customer_owner_t *owner);

/* FIRING or RESOLVED after action; spelt "firing", "resolved". */
churn_alert_state_t churn_alert_state (churn_lifecycle_action_t action);
const char *churn_alert_state_name (churn_alert_state_t state);

/* Reads a band's spelling ("red", "yellow", "green"). Returns 0, or -1
   (band untouched). */
int churn_alert_band_parse (const char *text, churn_band_t *band);

/* Reads "YYYY-MM-DD" into a day number. Returns 0, or -1 (day untouched). */
int churn_alert_day_parse (const char *text, int64_t *day);

/* Writes the alert's topic "churn.<severity>.<region>.<team>" into
   buffer (size bytes). Returns its length, or -1 when it does not fit
   (buffer then ""). */
int churn_alert_topic (char *buffer, size_t size, const churn_alert_t *alert);

/* Fills out from alert. */
void churn_alert_to_message (const churn_alert_t *alert, churn_alert_message_t *out);

/* Reads and validates a received message into out. Returns 0, or -1 with
   the reason in error (out untouched). */
int churn_alert_from_message (const Salespulse__ChurnAlert *message, churn_alert_t *out,
                              char *error, size_t error_size);

/* The alert as JSON for salesctl: {"alert_seq", "customer_id", "rule",
   "severity", "state", "action", "occurred_at", "score", "band",
   "previous_scores", "factors": [{"measure", "value", "score",
   "weight"}], "days_since_order", "typical_interval_days", "fired_day",
   "owner_rep", "owner_team", "owner_region", "created_at_ms"}; absent
   values null, weights as fractions. NULL when out of memory. */
json_t *churn_alert_json (const churn_alert_t *alert);

#endif
