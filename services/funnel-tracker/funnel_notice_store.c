/*  funnel_notice_store - bottleneck notices in PostgreSQL (see
    funnel_notice_store.h). */
#include "funnel_notice_store.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"

/* Room for an int64 in decimal with its sign and NUL. */
#define S_NUMBER_SIZE 24

/* Parameters of the insert statement. */
#define S_INSERT_PARAMS 18

/* Columns every listing selects, in the order of the S_COLUMN_ enum. */
#define S_COLUMNS                                                                                  \
    "n.sequence, n.state, n.reason, n.funnel, n.funnel_version, n.step, n.step_index, "            \
    "n.from_step, n.scope, n.observed_bp, n.target_bp, n.min_sample, n.sample, n.converted, "      \
    "to_char(n.first_day, 'YYYY-MM-DD'), to_char(n.last_day, 'YYYY-MM-DD'), "                      \
    "(extract(epoch FROM n.window_start) * 1000)::bigint, "                                        \
    "(extract(epoch FROM n.window_end) * 1000)::bigint, "                                          \
    "floor(extract(epoch FROM n.created_at) * 1000)::bigint"

enum {
    S_COLUMN_SEQUENCE = 0,
    S_COLUMN_STATE,
    S_COLUMN_REASON,
    S_COLUMN_FUNNEL,
    S_COLUMN_FUNNEL_VERSION,
    S_COLUMN_STEP,
    S_COLUMN_STEP_INDEX,
    S_COLUMN_FROM_STEP,
    S_COLUMN_SCOPE,
    S_COLUMN_OBSERVED_BP,
    S_COLUMN_TARGET_BP,
    S_COLUMN_MIN_SAMPLE,
    S_COLUMN_SAMPLE,
    S_COLUMN_CONVERTED,
    S_COLUMN_FIRST_DAY,
    S_COLUMN_LAST_DAY,
    S_COLUMN_WINDOW_START,
    S_COLUMN_WINDOW_END,
    S_COLUMN_CREATED_AT,
    S_COLUMN_COUNT,
};

/* $1 funnel, $2 step, $3 scope: the stored state, if any. */
static const char s_state_sql[] = "SELECT state FROM funnel_notice_conditions "
                                  "WHERE funnel = $1 AND step = $2 AND scope = $3";

/* The notice under its claimed sequence ($1); returns its created_at. */
static const char s_insert_sql[] =
    "INSERT INTO funnel_notices (sequence, state, reason, funnel, funnel_version, step, "
    "step_index, from_step, scope, observed_bp, target_bp, min_sample, sample, converted, "
    "first_day, last_day, window_start, window_end) "
    "VALUES ($1::bigint, $2::text, $3::text, $4::text, $5::integer, $6::text, "
    "$7::integer, $8::text, $9::text, $10::integer, $11::integer, $12::bigint, $13::bigint, "
    "$14::bigint, $15::date, $16::date, "
    "'epoch'::timestamptz + $17::bigint * interval '1 millisecond', "
    "'epoch'::timestamptz + $18::bigint * interval '1 millisecond') "
    "RETURNING floor(extract(epoch FROM created_at) * 1000)::bigint";

/* $1 funnel, $2 step, $3 scope, $4 state, $5 sequence. */
static const char s_condition_sql[] =
    "INSERT INTO funnel_notice_conditions (funnel, step, scope, state, sequence) "
    "VALUES ($1, $2, $3, $4, $5::bigint) "
    "ON CONFLICT (funnel, step, scope) DO UPDATE "
    "SET state = EXCLUDED.state, sequence = EXCLUDED.sequence, updated_at = now()";

/* The newest sequence, then the firing set (no notice columns when none). */
static const char s_firing_sql[] =
    "WITH last AS (SELECT coalesce(max(sequence), 0) AS sequence FROM funnel_notices) "
    "SELECT " S_COLUMNS ", last.sequence FROM last LEFT JOIN "
    "(funnel_notice_conditions c JOIN funnel_notices n ON n.sequence = c.sequence "
    "AND c.state = 'firing') ON true ORDER BY n.sequence";

/* $1 after, $2 limit. */
static const char s_after_sql[] = "SELECT " S_COLUMNS " FROM funnel_notices n "
                                  "WHERE n.sequence > $1::bigint ORDER BY n.sequence LIMIT $2";

/* True when text spells a notice state. */
static bool
s_state_known (const char *text)
{
    funnel_notice_state_t state;
    return funnel_notice_state_parse (text, &state) == 0;
}

/* Reads a column that must hold an int64 within minimum..maximum. */
static int
s_read_number (const sp_pg_result_t *result, int row, int column, int64_t minimum, int64_t maximum,
               int64_t *value)
{
    if (sp_pg_result_int64 (result, row, column, value) != 0 || *value < minimum ||
        *value > maximum)
        return -1;
    return 0;
}

/* sp_outbox_store_row_fn: reads row of a listing into a funnel_notice_t. */
static int
s_read_row (const sp_pg_result_t *result, int row, void *record, int64_t *sequence, char *error,
            size_t error_size)
{
    funnel_notice_t *notice = (funnel_notice_t *) record;
    memset (notice, 0, sizeof *notice);
    int64_t number[S_COLUMN_COUNT] = { 0 };
    static const int numeric[] = {
        S_COLUMN_SEQUENCE,     S_COLUMN_FUNNEL_VERSION, S_COLUMN_STEP_INDEX, S_COLUMN_OBSERVED_BP,
        S_COLUMN_TARGET_BP,    S_COLUMN_MIN_SAMPLE,     S_COLUMN_SAMPLE,     S_COLUMN_CONVERTED,
        S_COLUMN_WINDOW_START, S_COLUMN_WINDOW_END,     S_COLUMN_CREATED_AT
    };
    for (size_t index = 0; index < sizeof numeric / sizeof numeric[0]; index++) {
        int column = numeric[index];
        int64_t maximum = INT64_MAX;
        int64_t minimum = column == S_COLUMN_WINDOW_START || column == S_COLUMN_WINDOW_END ||
                                  column == S_COLUMN_CREATED_AT
                              ? INT64_MIN
                              : 0;
        if (column == S_COLUMN_OBSERVED_BP || column == S_COLUMN_TARGET_BP)
            maximum = FUNNEL_DEFINITION_BASIS_POINTS;
        else if (column == S_COLUMN_STEP_INDEX)
            maximum = FUNNEL_STEPS_MAX;
        else if (column == S_COLUMN_MIN_SAMPLE)
            maximum = FUNNEL_DEFINITION_MIN_SAMPLE_MAX;
        else if (column == S_COLUMN_SAMPLE || column == S_COLUMN_CONVERTED)
            maximum = (int64_t) FUNNEL_NOTICE_COUNT_MAX;
        if (s_read_number (result, row, column, minimum, maximum, &number[column]) != 0) {
            sp_error_set (error, error_size, "notice row %d: column %d holds \"%s\", out of range",
                          row, column + 1, sp_pg_result_value (result, row, column));
            return -1;
        }
    }
    if (funnel_notice_state_parse (sp_pg_result_value (result, row, S_COLUMN_STATE),
                                   &notice->state) != 0 ||
        funnel_notice_reason_parse (sp_pg_result_value (result, row, S_COLUMN_REASON),
                                    &notice->reason) != 0 ||
        sp_outbox_store_text (result, row, S_COLUMN_FUNNEL, notice->funnel,
                              sizeof notice->funnel) != 0 ||
        sp_outbox_store_text (result, row, S_COLUMN_STEP, notice->step, sizeof notice->step) != 0 ||
        sp_outbox_store_text (result, row, S_COLUMN_FROM_STEP, notice->from_step,
                              sizeof notice->from_step) != 0 ||
        sp_outbox_store_text (result, row, S_COLUMN_SCOPE, notice->scope, sizeof notice->scope) !=
            0 ||
        sp_outbox_store_text (result, row, S_COLUMN_FIRST_DAY, notice->window.first_day,
                              sizeof notice->window.first_day) != 0 ||
        sp_outbox_store_text (result, row, S_COLUMN_LAST_DAY, notice->window.last_day,
                              sizeof notice->window.last_day) != 0) {
        sp_error_set (error, error_size, "notice %s: a text column does not read back",
                      sp_pg_result_value (result, row, S_COLUMN_SEQUENCE));
        return -1;
    }
    notice->sequence = number[S_COLUMN_SEQUENCE];
    notice->funnel_version = number[S_COLUMN_FUNNEL_VERSION];
    notice->step_index = (uint32_t) number[S_COLUMN_STEP_INDEX];
    notice->observed_bp = (uint32_t) number[S_COLUMN_OBSERVED_BP];
    notice->target_bp = (uint32_t) number[S_COLUMN_TARGET_BP];
    notice->min_sample = (uint32_t) number[S_COLUMN_MIN_SAMPLE];
    notice->sample = (uint64_t) number[S_COLUMN_SAMPLE];
    notice->converted = (uint64_t) number[S_COLUMN_CONVERTED];
    notice->window.start_ms = number[S_COLUMN_WINDOW_START];
    notice->window.end_ms = number[S_COLUMN_WINDOW_END];
    notice->created_at_ms = number[S_COLUMN_CREATED_AT];
    *sequence = notice->sequence;
    return 0;
}

static const sp_outbox_store_t s_store = {
    .stream = FUNNEL_NOTICE_STORE_STREAM,
    .noun = "notice",
    .nouns = "notices",
    .initial = "cleared",
    .state_known = s_state_known,
    .key_count = 3,
    .state_sql = s_state_sql,
    .insert_sql = s_insert_sql,
    .insert_count = S_INSERT_PARAMS,
    .condition_sql = s_condition_sql,
    .firing_sql = s_firing_sql,
    .after_sql = s_after_sql,
    .columns = S_COLUMN_COUNT,
    .record_size = sizeof (funnel_notice_t),
    .read_row = s_read_row,
};

const sp_outbox_store_t *
funnel_notice_store_tables (void)
{
    return &s_store;
}

void
funnel_notice_list_init (funnel_notice_list_t *list)
{
    assert (list);
    memset (list, 0, sizeof *list);
}

void
funnel_notice_list_clear (funnel_notice_list_t *list)
{
    assert (list);
    free (list->items);
    memset (list, 0, sizeof *list);
}

int
funnel_notice_store_record (sp_pg_t *pg, funnel_notice_t *notice, char *error, size_t error_size)
{
    assert (pg && notice);
    char version[S_NUMBER_SIZE], step_index[S_NUMBER_SIZE], observed[S_NUMBER_SIZE],
        target[S_NUMBER_SIZE], min_sample[S_NUMBER_SIZE], sample[S_NUMBER_SIZE],
        converted[S_NUMBER_SIZE], start[S_NUMBER_SIZE], end[S_NUMBER_SIZE];
    snprintf (version, sizeof version, "%" PRId64, notice->funnel_version);
    snprintf (step_index, sizeof step_index, "%" PRIu32, notice->step_index);
    snprintf (observed, sizeof observed, "%" PRIu32, notice->observed_bp);
    snprintf (target, sizeof target, "%" PRIu32, notice->target_bp);
    snprintf (min_sample, sizeof min_sample, "%" PRIu32, notice->min_sample);
    snprintf (sample, sizeof sample, "%" PRIu64, notice->sample);
    snprintf (converted, sizeof converted, "%" PRIu64, notice->converted);
    snprintf (start, sizeof start, "%" PRId64, notice->window.start_ms);
    snprintf (end, sizeof end, "%" PRId64, notice->window.end_ms);
    const char *state = funnel_notice_state_name (notice->state);
    /* $2.. of the insert; $1 is the sequence claimed */
    const char *values[S_INSERT_PARAMS - 1] = { state,
                                                funnel_notice_reason_name (notice->reason),
                                                notice->funnel,
                                                version,
                                                notice->step,
                                                step_index,
                                                notice->from_step,
                                                notice->scope,
                                                observed,
                                                target,
                                                min_sample,
                                                sample,
                                                converted,
                                                notice->window.first_day,
                                                notice->window.last_day,
                                                start,
                                                end };
    const char *key[] = { notice->funnel, notice->step, notice->scope };
    sp_outbox_store_transition_t transition = { .key = key, .state = state, .values = values };
    int64_t sequence = 0, created_at_ms = 0;
    int written = sp_outbox_store_record (pg, &s_store, &transition, &sequence, &created_at_ms,
                                          error, error_size);
    if (written == 1) {
        notice->sequence = sequence;
        notice->created_at_ms = created_at_ms;
    }
    return written;
}

int
funnel_notice_store_firing (sp_pg_t *pg, funnel_notice_list_t *list, int64_t *last_sequence,
                            char *error, size_t error_size)
{
    assert (pg && list && last_sequence);
    sp_outbox_store_list_t into = { (void **) &list->items, &list->count, &list->capacity };
    return sp_outbox_store_firing_list (pg, &s_store, &into, last_sequence, error, error_size);
}

int
funnel_notice_store_after (sp_pg_t *pg, int64_t after, size_t limit, funnel_notice_list_t *list,
                           char *error, size_t error_size)
{
    assert (pg && list);
    assert (limit >= 1 && limit <= FUNNEL_NOTICE_STORE_PAGE);
    sp_outbox_store_list_t into = { (void **) &list->items, &list->count, &list->capacity };
    return sp_outbox_store_after_list (pg, &s_store, after, limit, &into, error, error_size);
}
