/*  kpi_forecast - forecasts recorded at fixed points of each period, and
    their accuracy once the period is over (migration 0009,
    docs/kpi-evaluator.md "Forecast accuracy").

    A point is a local day: the Monday of each week, or the period's
    first day when the period starts mid-week. At each point
    kpi-evaluator records, for the month and the quarter under way, the
    forecast of revenue and deals won (kpi_evaluate_forecast) and the
    actual at that moment, for the company and every scope that counted
    something. A point is recorded once: the first record of it wins
    (several instances, restarts). The monthly report compares each
    point's forecast with the final actual (the close's snapshot when the
    period is closed, else the live figure).
*/
#ifndef KPI_FORECAST_H_INCLUDED
#define KPI_FORECAST_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpi_query.h"
#include "sp_civil.h"
#include "sp_pg.h"

/* Room for an error message of this module. */
#define KPI_FORECAST_ERROR_SIZE 512

/* The KPIs forecast. */
#define KPI_FORECAST_KPIS "revenue", "deals_won"
#define KPI_FORECAST_KPI_COUNT 2

/* The point of local day `day` in a period whose first day is `first`:
   the day's week's Monday, or first when that is later. */
int64_t kpi_forecast_point (int64_t day, int64_t first);

/* Records the point of the local day holding now_ms, for the month and
   the quarter holding it, unless already recorded. *recorded gets the
   rows written (0 when both were recorded before). Returns 0, or -1
   with the reason (nothing stored for that period). */
int kpi_forecast_record (kpi_query_t *query, sp_pg_t *pg, int64_t now_ms, size_t *recorded,
                         char *error, size_t error_size);

/* One recorded point. */
typedef struct {
    char recorded_on[SP_CIVIL_DATE_LABEL_SIZE];
    char kpi[16];
    int64_t forecast;
    int64_t actual; /* the actual when it was recorded */
} kpi_forecast_point_t;

/* The points recorded for scope in period, by day then KPI: *points gets
   a malloc'd array of *count (the caller frees). Returns 0, or -1 with
   the reason. */
int kpi_forecast_read (sp_pg_t *pg, const char *period, const char *scope,
                       kpi_forecast_point_t **points, size_t *count, char *error,
                       size_t error_size);

#endif
