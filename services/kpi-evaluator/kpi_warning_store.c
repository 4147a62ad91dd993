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
#include "sp_outbox.h"

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

/* Room for one more warning; NULL when out of memory. */
static kpi_warning_t *
s_list_push (kpi_warning_list_t *list)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 16;
        kpi_warning_t *items = (kpi_warning_t *) realloc (list->items, capacity * sizeof *items);
        if (!items)
            return NULL;
        list->items = items;
        list->capacity = capacity;
    }
    return &list->items[list->count++];
}

/* Copies a text column into buffer; -1 when it does not fit. */
static int
s_read_text (const sp_pg_result_t *result, int row, int column, char *buffer, size_t size)
{
    const char *value = sp_pg_result_value (result, row, column);
    if (strlen (value) >= size)
        return -1;
    snprintf (buffer, size, "%s", value);
    return 0;
}

/* Reads row of a listing into warning. Returns 0, or -1 with the reason. */
static int
s_read_row (const sp_pg_result_t *result, int row, kpi_warning_t *warning, char *error,
            size_t error_size)
{
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
        s_read_text (result, row, S_COLUMN_NODE, warning->node, sizeof warning->node) != 0 ||
        s_read_text (result, row, S_COLUMN_KPI, warning->kpi, sizeof warning->kpi) != 0 ||
        s_read_text (result, row, S_COLUMN_PERIOD, warning->period, sizeof warning->period) != 0 ||
        s_read_text (result, row, S_COLUMN_CURRENCY, warning->currency, sizeof warning->currency) !=
            0 ||
        s_read_text (result, row, S_COLUMN_AS_OF_DAY, warning->as_of_day,
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
    return 0;
}

/* Appends the rows of result from first_row on. Returns the rows
   appended, or -1 with the reason (list as it was). */
static int
s_append_rows (const sp_pg_result_t *result, int first_row, kpi_warning_list_t *list, char *error,
               size_t error_size)
{
    size_t count = list->count;
    int rows = sp_pg_result_rows (result);
    for (int row = first_row; row < rows; row++) {
        kpi_warning_t *warning = s_list_push (list);
        if (!warning) {
            sp_error_set (error, error_size, "out of memory reading warnings");
            list->count = count;
            return -1;
        }
        if (s_read_row (result, row, warning, error, error_size) != 0) {
            list->count = count;
            return -1;
        }
    }
    return (int) (list->count - count);
}

/* Runs sql; its result, or NULL with the reason in error when it failed. */
static sp_pg_result_t *
s_exec (sp_pg_t *pg, const char *what, const char *sql, int count, const char *const *values,
        char *error, size_t error_size)
{
    sp_pg_result_t *result = sp_pg_exec (pg, sql, count, values, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not %s: %s", what, sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
    }
    return result;
}

/* Inserts the warning under sequence and moves its condition there. */
static int
s_insert (sp_pg_t *pg, const kpi_warning_t *warning, int64_t sequence, int64_t *created_at_ms,
          char *error, size_t error_size)
{
    char sequence_text[S_NUMBER_SIZE], actual[S_NUMBER_SIZE], target[S_NUMBER_SIZE],
        floor_text[S_NUMBER_SIZE], projection[S_NUMBER_SIZE], elapsed[S_NUMBER_SIZE],
        total[S_NUMBER_SIZE], judged_at[S_NUMBER_SIZE];
    snprintf (sequence_text, sizeof sequence_text, "%" PRId64, sequence);
    snprintf (actual, sizeof actual, "%" PRId64, warning->actual);
    snprintf (target, sizeof target, "%" PRId64, warning->target);
    snprintf (floor_text, sizeof floor_text, "%" PRId64, warning->floor);
    snprintf (projection, sizeof projection, "%" PRId64, warning->projection);
    snprintf (elapsed, sizeof elapsed, "%" PRId64, warning->days_elapsed);
    snprintf (total, sizeof total, "%" PRId64, warning->days_total);
    snprintf (judged_at, sizeof judged_at, "%" PRId64, warning->at_ms);
    const char *values[S_INSERT_PARAMS] = { sequence_text,
                                            kpi_warning_state_name (warning->state),
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
    sp_pg_result_t *result =
        s_exec (pg, "insert the warning", s_insert_sql, S_INSERT_PARAMS, values, error, error_size);
    if (!result)
        return -1;
    if (sp_pg_result_rows (result) != 1 || sp_pg_result_int64 (result, 0, 0, created_at_ms) != 0) {
        sp_error_set (error, error_size, "the warning insert returned no creation time");
        sp_pg_result_destroy (&result);
        return -1;
    }
    sp_pg_result_destroy (&result);
    const char *state_values[] = { warning->node, warning->kpi, warning->period,
                                   kpi_warning_state_name (warning->state), sequence_text };
    result =
        s_exec (pg, "update the condition", s_condition_sql, 5, state_values, error, error_size);
    if (!result)
        return -1;
    sp_pg_result_destroy (&result);
    return 0;
}

int
kpi_warning_store_record (sp_pg_t *pg, kpi_warning_t *warning, char *error, size_t error_size)
{
    assert (pg && warning);
    assert (!sp_pg_in_transaction (pg));
    int rc = -1;
    sp_pg_result_t *result = NULL;
    if (sp_pg_begin (pg) != 0) {
        sp_error_set (error, error_size, "could not begin a transaction: %s",
                      *sp_pg_error (pg) ? sp_pg_error (pg) : "postgresql refused");
        return -1;
    }
    /* Claimed first: the stream's head row stays locked until the end, so
       the state read below holds every transition committed before. */
    int64_t sequence = 0;
    if (sp_outbox_claim (pg, KPI_WARNING_STORE_STREAM, &sequence, error, error_size) != 0)
        goto out_rollback;
    const char *condition[] = { warning->node, warning->kpi, warning->period };
    result =
        s_exec (pg, "read the condition's state", s_state_sql, 3, condition, error, error_size);
    if (!result)
        goto out_rollback;
    kpi_warning_state_t stored = KPI_WARNING_CLEARED;
    if (sp_pg_result_rows (result) > 0 &&
        kpi_warning_state_parse (sp_pg_result_value (result, 0, 0), &stored) != 0) {
        sp_error_set (error, error_size, "condition holds an unknown state \"%s\"",
                      sp_pg_result_value (result, 0, 0));
        goto out_rollback;
    }
    sp_pg_result_destroy (&result);
    if (stored == warning->state) {
        rc = 0;
        goto out_rollback;
    }
    int64_t created_at_ms = 0;
    if (s_insert (pg, warning, sequence, &created_at_ms, error, error_size) != 0)
        goto out_rollback;
    if (sp_pg_commit (pg) != 0) {
        /* sp_pg_commit ends the transaction either way */
        sp_error_set (error, error_size, "could not commit the warning: %s",
                      *sp_pg_error (pg) ? sp_pg_error (pg) : "transaction failed");
        return -1;
    }
    warning->sequence = sequence;
    warning->created_at_ms = created_at_ms;
    return 1;

out_rollback:
    sp_pg_result_destroy (&result);
    sp_pg_rollback (pg);
    return rc;
}

int
kpi_warning_store_firing (sp_pg_t *pg, kpi_warning_list_t *list, int64_t *last_sequence,
                          char *error, size_t error_size)
{
    assert (pg && list && last_sequence);
    sp_pg_result_t *result = sp_pg_exec (pg, s_firing_sql, 0, NULL, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not read the firing warnings: %s",
                      sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
        return -1;
    }
    int appended = -1;
    int64_t last = 0;
    if (sp_pg_result_rows (result) < 1 ||
        sp_pg_result_int64 (result, 0, S_COLUMN_COUNT, &last) != 0) {
        sp_error_set (error, error_size, "could not read the newest warning sequence");
        goto out_destroy_result;
    }
    /* No condition firing: one row of NULL warning columns. */
    if (sp_pg_result_is_null (result, 0, S_COLUMN_SEQUENCE))
        appended = 0;
    else
        appended = s_append_rows (result, 0, list, error, error_size);
    if (appended >= 0)
        *last_sequence = last;

out_destroy_result:
    sp_pg_result_destroy (&result);
    return appended;
}

int
kpi_warning_store_after (sp_pg_t *pg, int64_t after, size_t limit, kpi_warning_list_t *list,
                         char *error, size_t error_size)
{
    assert (pg && list);
    assert (limit >= 1 && limit <= KPI_WARNING_STORE_PAGE);
    char after_text[S_NUMBER_SIZE], limit_text[S_NUMBER_SIZE];
    snprintf (after_text, sizeof after_text, "%" PRId64, after);
    snprintf (limit_text, sizeof limit_text, "%zu", limit);
    sp_pg_result_t *result =
        sp_pg_exec (pg, s_after_sql, 2, (const char *[]){ after_text, limit_text }, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not read the warnings after %" PRId64 ": %s", after,
                      sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
        return -1;
    }
    int appended = s_append_rows (result, 0, list, error, error_size);
    sp_pg_result_destroy (&result);
    return appended;
}
