/*  churn_history - a customer's score history between periods (see
    churn_history.h). */
#include "churn_history.h"

#include <assert.h>
#include <string.h>

#include "sp_error.h"
#include "sp_pack.h"

#define S_KIND 'S'
#define S_VERSION 1
#define S_HAS_SCORE 1
#define S_HAS_INTERVAL 2
#define S_FLAGS (S_HAS_SCORE | S_HAS_INTERVAL)

void
churn_history_init (churn_history_t *self)
{
    assert (self);
    memset (self, 0, sizeof *self);
}

bool
churn_history_last_day (const churn_history_t *self, int64_t *day)
{
    assert (self && day);
    if (self->count == 0)
        return false;
    *day = self->periods[self->count - 1].day;
    return true;
}

void
churn_history_period (const churn_score_t *score, churn_rules_period_t *out)
{
    assert (score && out);
    memset (out, 0, sizeof *out);
    out->day = score->as_of_day;
    out->has_score = score->has_score;
    if (score->has_score) {
        out->score = score->score;
        out->band = score->band;
    }
    const churn_score_measure_t *recency = &score->measures[CHURN_MODEL_RECENCY];
    if (score->interval == CHURN_SCORE_INTERVAL_OWN && recency->has_data && recency->current >= 0 &&
        recency->current <= CHURN_RULES_DAYS_MAX && recency->previous >= 1 &&
        recency->previous <= CHURN_RULES_DAYS_MAX) {
        out->has_interval = true;
        out->days_since_order = recency->current;
        out->typical_interval_days = recency->previous;
    }
}

int
churn_history_append (churn_history_t *self, const churn_rules_period_t *period)
{
    assert (self && period);
    if (churn_rules_history_check (period, 1, NULL, 0) != 0)
        return -1;
    int64_t last;
    if (churn_history_last_day (self, &last) && period->day <= last)
        return -1;
    if (self->count == CHURN_RULES_HISTORY_MAX) {
        memmove (&self->periods[0], &self->periods[1],
                 (CHURN_RULES_HISTORY_MAX - 1) * sizeof self->periods[0]);
        self->count--;
    }
    self->periods[self->count++] = *period;
    return 0;
}

size_t
churn_history_pack (const churn_history_t *self, unsigned char *buffer, size_t size)
{
    assert (self && self->count >= 1 && self->count <= CHURN_RULES_HISTORY_MAX);
    sp_pack_writer_t writer = sp_pack_writer (buffer, size);
    sp_pack_put_u8 (&writer, S_KIND);
    sp_pack_put_u8 (&writer, S_VERSION);
    sp_pack_put_u8 (&writer, (uint8_t) self->count);
    for (size_t index = 0; index < self->count; index++) {
        const churn_rules_period_t *period = &self->periods[index];
        uint8_t flags = (uint8_t) ((period->has_score ? S_HAS_SCORE : 0) |
                                   (period->has_interval ? S_HAS_INTERVAL : 0));
        sp_pack_put_i64 (&writer, period->day);
        sp_pack_put_u8 (&writer, flags);
        sp_pack_put_u8 (&writer, period->has_score ? (uint8_t) period->score : 0);
        sp_pack_put_u8 (&writer, period->has_score ? (uint8_t) period->band : 0);
        sp_pack_put_i64 (&writer, period->has_interval ? period->days_since_order : 0);
        sp_pack_put_i64 (&writer, period->has_interval ? period->typical_interval_days : 0);
    }
    return sp_pack_written (&writer);
}

int
churn_history_unpack (churn_history_t *self, const void *data, size_t size, char *error,
                      size_t error_size)
{
    assert (self && (data || size == 0));
    sp_pack_reader_t reader = sp_pack_reader (data, size);
    uint8_t kind = sp_pack_get_u8 (&reader);
    uint8_t version = sp_pack_get_u8 (&reader);
    size_t count = sp_pack_get_u8 (&reader);
    if (reader.bad || kind != S_KIND || version != S_VERSION) {
        sp_error_set (error, error_size, "not a score history of version %d", S_VERSION);
        return -1;
    }
    if (count < 1 || count > CHURN_RULES_HISTORY_MAX) {
        sp_error_set (error, error_size, "%zu periods is not in 1..%d", count,
                      CHURN_RULES_HISTORY_MAX);
        return -1;
    }
    churn_history_t read;
    churn_history_init (&read);
    read.count = count;
    for (size_t index = 0; index < count; index++) {
        churn_rules_period_t *period = &read.periods[index];
        period->day = sp_pack_get_i64 (&reader);
        uint8_t flags = sp_pack_get_u8 (&reader);
        int score = sp_pack_get_u8 (&reader);
        int band = sp_pack_get_u8 (&reader);
        int64_t since = sp_pack_get_i64 (&reader);
        int64_t typical = sp_pack_get_i64 (&reader);
        if (flags & ~S_FLAGS) {
            sp_error_set (error, error_size, "period %zu: unknown flags %u", index + 1, flags);
            return -1;
        }
        period->has_score = flags & S_HAS_SCORE;
        period->has_interval = flags & S_HAS_INTERVAL;
        if ((!period->has_score && (score != 0 || band != 0)) ||
            (!period->has_interval && (since != 0 || typical != 0))) {
            sp_error_set (error, error_size, "period %zu: a value without its flag", index + 1);
            return -1;
        }
        period->score = score;
        period->band = (churn_band_t) band;
        period->days_since_order = since;
        period->typical_interval_days = typical;
    }
    if (!sp_pack_done (&reader)) {
        sp_error_set (error, error_size, "a score history of %zu periods is %zu bytes, not %zu",
                      count, 3 + 27 * count, size);
        return -1;
    }
    if (churn_rules_history_check (read.periods, read.count, error, error_size) != 0)
        return -1;
    *self = read;
    return 0;
}
