/*  kpi_warning_store - KPI pace warnings in PostgreSQL (see
    kpi_warning_store.h). */
#include "kpi_warning_store.h"

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
#define S_INSERT_PARAMS 19

/* Columns every listing selects, in the order of the S_COLUMN_ enum. */
#define S_COLUMNS                                                                                  \
    "w.sequence, w.state, w.reason, w.node, w.kpi, w.period, w.status, w.fired_status, w.unit, "   \
    "w.currency, w.actual, w.target, w.floor, w.projection, w.days_elapsed, w.days_total, "        \
    "to_char(w.as_of_day, 'YYYY-MM-DD'), "                                                         \
    "floor(extract(epoch FROM w.judged_at) * 1000)::bigint, "                                      \
    "floor(extract(epoch FROM w.created_at) * 1000)::bigint"

enum {
    S_COLUMN_SEQUENCE = 0,
    S_COLUMN_STATE,
    S_COLUMN_REASON,
    S_COLUMN_NODE,
    S_COLUMN_KPI,
    S_COLUMN_PERIOD,
    S_COLUMN_STATUS,
    S_COLUMN_FIRED_STATUS,
    S_COLUMN_UNIT,
    S_COLUMN_CURRENCY,
    S_COLUMN_ACTUAL,
    S_COLUMN_TARGET,
    S_COLUMN_FLOOR,
    S_COLUMN_PROJECTION,
    S_COLUMN_DAYS_ELAPSED,
    S_COLUMN_DAYS_TOTAL,
    S_COLUMN_AS_OF_DAY,
    S_COLUMN_JUDGED_AT,
    S_COLUMN_CREATED_AT,
    S_COLUMN_COUNT,
};

/* $1 node, $2 kpi, $3 period: the stored state, if any. */
static const char s_state_sql[] = "SELECT state FROM kpi_warning_conditions "
                                  "WHERE node = $1 AND kpi = $2 AND period = $3";

/* The warning under its claimed sequence ($1); returns its created_at. */
static const char s_insert_sql[] =
    "INSERT INTO kpi_warnings (sequence, state, reason, node, kpi, period, status, fired_status, "
    "unit, currency, actual, target, floor, projection, days_elapsed, days_total, as_of_day, "
    "judged_at) "
    "VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::bigint, $12::bigint, "
    "CASE WHEN $13::boolean THEN $14::bigint END, $15::bigint, $16::integer, $17::integer, "
    "$18::date, 'epoch'::timestamptz + $19::bigint * interval '1 millisecond') "
    "RETURNING floor(extract(epoch FROM created_at) * 1000)::bigint";

/* $1 node, $2 kpi, $3 period, $4 state, $5 sequence. */
static const char s_condition_sql[] =
    "INSERT INTO kpi_warning_conditions (node, kpi, period, state, sequence) "
    "VALUES ($1, $2, $3, $4, $5::bigint) "
    "ON CONFLICT (node, kpi, period) DO UPDATE "
    "SET state = EXCLUDED.state, sequence = EXCLUDED.sequence, updated_at = now()";

/* The newest sequence, then the firing set (no warning columns when none). */
static const char s_firing_sql[] =
    "WITH last AS (SELECT coalesce(max(sequence), 0) AS sequence FROM kpi_warnings) "
    "SELECT " S_COLUMNS ", last.sequence FROM last LEFT JOIN "
    "(kpi_warning_conditions c JOIN kpi_warnings w ON w.sequence = c.sequence "
    "AND c.state = 'firing') ON true ORDER BY w.sequence";

/* $1 after, $2 limit. */
static const char s_after_sql[] = "SELECT " S_COLUMNS " FROM kpi_warnings w "
                                  "WHERE w.sequence > $1::bigint ORDER BY w.sequence LIMIT $2";

/* True when text spells a warning state. */
static bool
s_state_known (const char *text)
{
    kpi_warning_state_t state;
    return kpi_warning_state_parse (text, &state) == 0;
}

/* sp_outbox_store_row_fn: reads row of a listing into a kpi_warning_t. */
static int
s_read_row (const sp_pg_result_t *result, int row, void *record, int64_t *sequence, char *error,
            size_t error_size)
{
    kpi_warning_t *warning = (kpi_warning_t *) record;
    memset (warning, 0, sizeof *warning);
    static const int numeric[] = { S_COLUMN_SEQUENCE,   S_COLUMN_ACTUAL,       S_COLUMN_TARGET,
                                   S_COLUMN_PROJECTION, S_COLUMN_DAYS_ELAPSED, S_COLUMN_DAYS_TOTAL,
                                   S_COLUMN_JUDGED_AT,  S_COLUMN_CREATED_AT };
    int64_t number[S_COLUMN_COUNT] = { 0 };
    for (size_t index = 0; index < sizeof numeric / sizeof numeric[0]; index++)
        if (sp_pg_result_int64 (result, row, numeric[index], &number[numeric[index]]) != 0) {
            sp_error_set (error, error_size, "warning row %d: column %d holds \"%s\", not a number",
                          row, numeric[index] + 1,
                          sp_pg_result_value (result, row, numeric[index]));
            return -1;
        }
    warning->has_floor = !sp_pg_result_is_null (result, row, S_COLUMN_FLOOR);
    if (warning->has_floor &&
        sp_pg_result_int64 (result, row, S_COLUMN_FLOOR, &warning->floor) != 0) {
        sp_error_set (error, error_size, "warning row %d: the floor is not a number", row);
        return -1;
    }
    if (kpi_warning_state_parse (sp_pg_result_value (result, row, S_COLUMN_STATE),
                                 &warning->state) != 0 ||
        kpi_warning_reason_parse (sp_pg_result_value (result, row, S_COLUMN_REASON),
                                  &warning->reason) != 0 ||
        kpi_warning_status_parse (sp_pg_result_value (result, row, S_COLUMN_STATUS),
                                  &warning->status) != 0 ||
        kpi_warning_status_parse (sp_pg_result_value (result, row, S_COLUMN_FIRED_STATUS),
                                  &warning->fired_status) != 0 ||
        kpi_warning_unit_parse (sp_pg_result_value (result, row, S_COLUMN_UNIT), &warning->unit) !=
            0 ||
        sp_outbox_store_text (result, row, S_COLUMN_NODE, warning->node, sizeof warning->node) !=
            0 ||
        sp_outbox_store_text (result, row, S_COLUMN_KPI, warning->kpi, sizeof warning->kpi) != 0 ||
        sp_outbox_store_text (result, row, S_COLUMN_PERIOD, warning->period,
                              sizeof warning->period) != 0 ||
        sp_outbox_store_text (result, row, S_COLUMN_CURRENCY, warning->currency,
                              sizeof warning->currency) != 0 ||
        sp_outbox_store_text (result, row, S_COLUMN_AS_OF_DAY, warning->as_of_day,
                              sizeof warning->as_of_day) != 0) {
        sp_error_set (error, error_size, "warning %s: a text column does not read back",
                      sp_pg_result_value (result, row, S_COLUMN_SEQUENCE));
        return -1;
    }
    warning->sequence = number[S_COLUMN_SEQUENCE];
    warning->actual = number[S_COLUMN_ACTUAL];
    warning->target = number[S_COLUMN_TARGET];
    warning->projection = number[S_COLUMN_PROJECTION];
    warning->days_elapsed = number[S_COLUMN_DAYS_ELAPSED];
    warning->days_total = number[S_COLUMN_DAYS_TOTAL];
    warning->at_ms = number[S_COLUMN_JUDGED_AT];
    warning->created_at_ms = number[S_COLUMN_CREATED_AT];
    *sequence = warning->sequence;
    return 0;
}

static const sp_outbox_store_t s_store = {
    .stream = KPI_WARNING_STORE_STREAM,
    .noun = "warning",
    .nouns = "warnings",
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
    .record_size = sizeof (kpi_warning_t),
    .read_row = s_read_row,
};

const sp_outbox_store_t *
kpi_warning_store_tables (void)
{
    return &s_store;
}

void
kpi_warning_list_init (kpi_warning_list_t *list)
{
    assert (list);
    memset (list, 0, sizeof *list);
}

void
kpi_warning_list_clear (kpi_warning_list_t *list)
{
    assert (list);
    free (list->items);
    memset (list, 0, sizeof *list);
}

int
kpi_warning_store_record (sp_pg_t *pg, kpi_warning_t *warning, char *error, size_t error_size)
{
    assert (pg && warning);
    char actual[S_NUMBER_SIZE], target[S_NUMBER_SIZE], floor_text[S_NUMBER_SIZE],
        projection[S_NUMBER_SIZE], elapsed[S_NUMBER_SIZE], total[S_NUMBER_SIZE],
        judged_at[S_NUMBER_SIZE];
    snprintf (actual, sizeof actual, "%" PRId64, warning->actual);
    snprintf (target, sizeof target, "%" PRId64, warning->target);
    snprintf (floor_text, sizeof floor_text, "%" PRId64, warning->floor);
    snprintf (projection, sizeof projection, "%" PRId64, warning->projection);
    snprintf (elapsed, sizeof elapsed, "%" PRId64, warning->days_elapsed);
    snprintf (total, sizeof total, "%" PRId64, warning->days_total);
    snprintf (judged_at, sizeof judged_at, "%" PRId64, warning->at_ms);
    const char *state = kpi_warning_state_name (warning->state);
    /* $2.. of the insert; $1 is the sequence claimed */
    const char *values[S_INSERT_PARAMS - 1] = { state,
                                                kpi_warning_reason_name (warning->reason),
                                                warning->node,
                                                warning->kpi,
                                                warning->period,
                                                kpi_warning_status_name (warning->status),
                                                kpi_warning_status_name (warning->fired_status),
                                                kpi_catalog_unit_name (warning->unit),
                                                warning->currency,
                                                actual,
                                                target,
                                                warning->has_floor ? "true" : "false",
                                                floor_text,
                                                projection,
                                                elapsed,
                                                total,
                                                warning->as_of_day,
                                                judged_at };
    const char *key[] = { warning->node, warning->kpi, warning->period };
    sp_outbox_store_transition_t transition = { .key = key, .state = state, .values = values };
    int64_t sequence = 0, created_at_ms = 0;
    int written = sp_outbox_store_record (pg, &s_store, &transition, &sequence, &created_at_ms,
                                          error, error_size);
    if (written == 1) {
        warning->sequence = sequence;
        warning->created_at_ms = created_at_ms;
    }
    return written;
}

int
kpi_warning_store_firing (sp_pg_t *pg, kpi_warning_list_t *list, int64_t *last_sequence,
                          char *error, size_t error_size)
{
    assert (pg && list && last_sequence);
    sp_outbox_store_list_t into = { (void **) &list->items, &list->count, &list->capacity };
    return sp_outbox_store_firing_list (pg, &s_store, &into, last_sequence, error, error_size);
}

int
kpi_warning_store_after (sp_pg_t *pg, int64_t after, size_t limit, kpi_warning_list_t *list,
                         char *error, size_t error_size)
{
    assert (pg && list);
    assert (limit >= 1 && limit <= KPI_WARNING_STORE_PAGE);
    sp_outbox_store_list_t into = { (void **) &list->items, &list->count, &list->capacity };
    return sp_outbox_store_after_list (pg, &s_store, after, limit, &into, error, error_size);
}
