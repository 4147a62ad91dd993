/*  kpi_forecast - forecasts recorded at fixed points (see kpi_forecast.h). */
#include "kpi_forecast.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_evaluate.h"
#include "sp_error.h"

static const char *const s_kpis[KPI_FORECAST_KPI_COUNT] = { KPI_FORECAST_KPIS };

static const char s_recorded_sql[] =
    "SELECT 1 FROM kpi_forecasts WHERE period = $1 AND scope = 'company' AND recorded_on = "
    "$2::date LIMIT 1";

static const char s_insert_sql[] =
    "INSERT INTO kpi_forecasts (period, scope, kpi, recorded_on, forecast, actual) "
    "SELECT $1, point->>'scope', point->>'kpi', $2::date, (point->>'forecast')::bigint, "
    "(point->>'actual')::bigint FROM jsonb_array_elements ($3::jsonb) AS point "
    "ON CONFLICT DO NOTHING";

static const char s_read_sql[] =
    "SELECT recorded_on::text, kpi, forecast, actual FROM kpi_forecasts "
    "WHERE period = $1 AND scope = $2 ORDER BY recorded_on, kpi";

int64_t
kpi_forecast_point (int64_t day, int64_t first)
{
    int64_t monday = day - sp_civil_iso_weekday (day);
    return monday > first ? monday : first;
}

/* Whether the company's point of period was recorded: 1 yes, 0 no, -1. */
static int
s_recorded (sp_pg_t *pg, const char *period, const char *point, char *error, size_t error_size)
{
    sp_pg_result_t *result =
        sp_pg_exec (pg, s_recorded_sql, 2, (const char *[]){ period, point }, NULL, NULL);
    int rc = -1;
    if (!result || !sp_pg_result_ok (result))
        sp_error_set (error, error_size, "could not read the recorded forecasts: %s",
                      result ? sp_pg_result_error (result) : "out of memory");
    else
        rc = sp_pg_result_rows (result) > 0 ? 1 : 0;
    sp_pg_result_destroy (&result);
    return rc;
}

/* Appends the forecasts of one scope to points. */
static int
s_scope_points (kpi_query_t *query, const sp_period_t *period, int64_t through,
                const kpi_query_scope_t *scope, kpi_evaluation_t *evaluation, json_t *points,
                char *error, size_t error_size)
{
    if (kpi_evaluate_scope (query, scope->scope, period, through, scope->sums, evaluation, error,
                            error_size) != 0 ||
        kpi_evaluate_forecast (query, evaluation, error, error_size) != 0)
        return -1;
    for (size_t index = 0; index < KPI_FORECAST_KPI_COUNT; index++) {
        const kpi_evaluate_row_t *row = kpi_evaluate_row (evaluation, s_kpis[index]);
        if (!row || !row->has_forecast || !row->has_actual)
            continue;
        json_t *point =
            json_pack ("{s:s, s:s, s:I, s:I}", "scope", scope->scope, "kpi", s_kpis[index],
                       "forecast", (json_int_t) row->forecast, "actual", (json_int_t) row->actual);
        if (!point || json_array_append_new (points, point) != 0) {
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* Records the point of one period. */
static int
s_record_period (kpi_query_t *query, sp_pg_t *pg, const sp_period_t *period, int64_t through,
                 size_t *recorded, char *error, size_t error_size)
{
    int64_t first, last;
    if (kpi_query_period_days (query, period, &first, &last) != 0) {
        sp_error_set (error, error_size, "period %s is out of range", period->label);
        return -1;
    }
    char point[SP_CIVIL_DATE_LABEL_SIZE];
    if (sp_civil_date_label (kpi_forecast_point (through, first), point) != 0) {
        sp_error_set (error, error_size, "the day is out of range");
        return -1;
    }
    int done = s_recorded (pg, period->label, point, error, error_size);
    if (done != 0)
        return done < 0 ? -1 : 0;
    kpi_query_scope_t *scopes = NULL;
    size_t count = 0;
    if (kpi_query_every_scope (query, period, through, &scopes, &count, error, error_size) != 0)
        return -1;
    int rc = -1;
    json_t *points = json_array ();
    kpi_evaluation_t *evaluation = malloc (sizeof *evaluation);
    kpi_query_scope_t company = { (char *) "company", { 0 } };
    if (!points || !evaluation) {
        sp_error_set (error, error_size, "out of memory");
        goto out;
    }
    bool company_seen = false;
    for (size_t index = 0; index < count; index++) {
        company_seen = company_seen || strcmp (scopes[index].scope, "company") == 0;
        if (s_scope_points (query, period, through, &scopes[index], evaluation, points, error,
                            error_size) != 0)
            goto out;
    }
    if (!company_seen && s_scope_points (query, period, through, &company, evaluation, points,
                                         error, error_size) != 0)
        goto out;
    char *text = json_dumps (points, JSON_COMPACT);
    if (!text) {
        sp_error_set (error, error_size, "out of memory");
        goto out;
    }
    sp_pg_result_t *result = sp_pg_exec (
        pg, s_insert_sql, 3, (const char *[]){ period->label, point, text }, NULL, NULL);
    free (text);
    if (!result || !sp_pg_result_ok (result))
        sp_error_set (error, error_size, "could not record the forecasts: %s",
                      result ? sp_pg_result_error (result) : "out of memory");
    else {
        *recorded += (size_t) sp_pg_result_affected (result);
        rc = 0;
    }
    sp_pg_result_destroy (&result);
out:
    free (evaluation);
    json_decref (points);
    kpi_query_scopes_free (&scopes, count);
    return rc;
}

int
kpi_forecast_record (kpi_query_t *query, sp_pg_t *pg, int64_t now_ms, size_t *recorded, char *error,
                     size_t error_size)
{
    assert (query && pg && recorded);
    *recorded = 0;
    int64_t through;
    sp_period_t periods[2];
    const sp_tz_t *tz = kpi_query_tz (query);
    if (kpi_query_day (query, now_ms, &through) != 0 ||
        sp_period_cut (tz, SP_PERIOD_MONTH, now_ms, &periods[0]) != 0 ||
        sp_period_cut (tz, SP_PERIOD_QUARTER, now_ms, &periods[1]) != 0) {
        sp_error_set (error, error_size, "the instant is out of range");
        return -1;
    }
    kpi_query_cache (query, true); /* every scope reads the same periods and pipeline */
    for (size_t index = 0; index < 2; index++)
        if (s_record_period (query, pg, &periods[index], through, recorded, error, error_size) != 0)
            return -1;
    return 0;
}

int
kpi_forecast_read (sp_pg_t *pg, const char *period, const char *scope,
                   kpi_forecast_point_t **points, size_t *count, char *error, size_t error_size)
{
    *points = NULL;
    *count = 0;
    sp_pg_result_t *result =
        sp_pg_exec (pg, s_read_sql, 2, (const char *[]){ period, scope }, NULL, NULL);
    if (!result || !sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not read the recorded forecasts: %s",
                      result ? sp_pg_result_error (result) : "out of memory");
        sp_pg_result_destroy (&result);
        return -1;
    }
    int rows = sp_pg_result_rows (result);
    int rc = 0;
    *points = calloc (rows > 0 ? (size_t) rows : 1, sizeof **points);
    if (!*points) {
        sp_error_set (error, error_size, "out of memory");
        rc = -1;
    }
    for (int row = 0; rc == 0 && row < rows; row++) {
        kpi_forecast_point_t *point = &(*points)[row];
        snprintf (point->recorded_on, sizeof point->recorded_on, "%s",
                  sp_pg_result_value (result, row, 0));
        snprintf (point->kpi, sizeof point->kpi, "%s", sp_pg_result_value (result, row, 1));
        if (sp_pg_result_int64 (result, row, 2, &point->forecast) != 0 ||
            sp_pg_result_int64 (result, row, 3, &point->actual) != 0) {
            sp_error_set (error, error_size, "a recorded forecast is not an integer");
            rc = -1;
        }
        else
            (*count)++;
    }
    if (rc != 0) {
        free (*points);
        *points = NULL;
        *count = 0;
    }
    sp_pg_result_destroy (&result);
    return rc;
}
