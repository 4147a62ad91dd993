/*  churn_history - a customer's score history as the scorer keeps it
    between periods: the last CHURN_RULES_HISTORY_MAX periods scored
    (churn_rules_period_t, oldest first), what churn_rules judges.

    The scorer appends one period per period day, events or not
    (churn_history_period turns a churn_score_t into one: the score and
    band, and the days since the last order against the customer's own
    typical interval when it has one); a full history drops its oldest
    period. The history is stored in PostgreSQL (churn_customers.history,
    migrations/0010_churn_alerts.sql) in a versioned binary form, read
    back strictly. Pure: no I/O.

    Binary form, little-endian (sp_pack): kind 'S', version 1, count (one
    byte, 1..16), then per period: day (int64), flags (has_score 1,
    has_interval 2), score (one byte), band (one byte), days_since_order
    and typical_interval_days (int64 each); fields of a flag not set are
    0. 3 + 27 × count bytes.
*/
#ifndef CHURN_HISTORY_H_INCLUDED
#define CHURN_HISTORY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_rules.h"
#include "churn_score.h"

/* Room for any packed history. */
#define CHURN_HISTORY_PACKED_MAX (3 + 27 * CHURN_RULES_HISTORY_MAX)

/* The periods kept, oldest first. */
typedef struct {
    size_t count;                                          /* 0..CHURN_RULES_HISTORY_MAX */
    churn_rules_period_t periods[CHURN_RULES_HISTORY_MAX]; /* [count] */
} churn_history_t;

/* An empty history. */
void churn_history_init (churn_history_t *self);

/* True with *day set to the latest period's day when there is one. */
bool churn_history_last_day (const churn_history_t *self, int64_t *day);

/* The period of a score (score->as_of_day): has_score, score and band
   from it; has_interval when the customer's own typical interval was
   used (churn_score_t.interval OWN), with the days since its last order
   and that interval. */
void churn_history_period (const churn_score_t *score, churn_rules_period_t *out);

/* Appends period (valid as churn_rules_history_check sees one, day after
   the latest), dropping the oldest when full. Returns 0, or -1 when the
   period is not valid or not after the latest (self untouched). */
int churn_history_append (churn_history_t *self, const churn_rules_period_t *period);

/* Writes the binary form into buffer (size bytes); returns its length,
   or 0 when it does not fit or the history is empty (asserted not). */
size_t churn_history_pack (const churn_history_t *self, unsigned char *buffer, size_t size);

/* Reads a binary form (size bytes) into self. Strict: kind, version,
   count 1..16, flags, fields of unset flags 0, trailing bytes, and the
   history as churn_rules_history_check checks it. Returns 0, or -1 with
   the reason in error (self untouched). */
int churn_history_unpack (churn_history_t *self, const void *data, size_t size, char *error,
                          size_t error_size);

#endif
