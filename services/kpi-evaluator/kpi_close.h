/*  kpi_close - closing a period: kpi-evaluator's part of `salesctl
    close-period` and what `salesctl kpi` shows of a closed period
    (migration 0008, docs/kpi-evaluator.md "Closing a period").

    Closing snapshots, in one transaction with the period's row in
    period_closes, every scope's KPIs as `salesctl kpi --json` shows them
    as of the period's last day: the company, every scope that counted
    something in the period and every node of the org. A period is
    closed once; its snapshot never changes. Events of the period that
    arrive after the close change the live figures only: the query shows
    the snapshot's actual next to the live one, and their difference as
    the adjustment.
*/
#ifndef KPI_CLOSE_H_INCLUDED
#define KPI_CLOSE_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "kpi_query.h"
#include "sp_pg.h"

/* Room for an error message of this module. */
#define KPI_CLOSE_ERROR_SIZE 512

/* What a close did. */
typedef struct {
    size_t scopes;      /* scopes snapshotted */
    char closed_at[40]; /* when, as PostgreSQL wrote it */
} kpi_close_result_t;

/* Another service's part of a close: stores its records of period in
   the open transaction on pg. Returns 0, or -1 with the reason (the
   close is rolled back). */
typedef int (kpi_close_part_fn) (void *arg, sp_pg_t *pg, const sp_period_t *period, char *error,
                                 size_t error_size);

/* Closes period (ended before now_ms, refused otherwise): reads every
   scope through query (NULL: kpi-evaluator has counted nothing here, no
   snapshot), then stores the close, the snapshots and, through part (may
   be NULL, with part_arg), another service's records in one transaction
   on pg (by closed_by). A period closed before is refused with when and
   by whom. Returns 0, or -1 with the reason (nothing stored). */
int kpi_close_period (kpi_query_t *query, sp_pg_t *pg, const sp_period_t *period, int64_t now_ms,
                      const char *closed_by, kpi_close_part_fn *part, void *part_arg,
                      kpi_close_result_t *result, char *error, size_t error_size);

/* The snapshot of scope in period when the period is closed: *closed true
   and *snapshot the stored object (the caller decrefs), with closed_at
   and closed_by; *closed false when it is not. Returns 0, or -1 with the
   reason. */
int kpi_close_read (sp_pg_t *pg, const char *period, const char *scope, bool *closed,
                    json_t **snapshot, char *closed_at, size_t closed_at_size, char *closed_by,
                    size_t closed_by_size, char *error, size_t error_size);

/* Adds to each row of a `salesctl kpi` "kpis" array the snapshot's
   actual ("closed_actual") and the difference of the live actual from
   it ("adjustment", null when either is null or they are of another
   kind). */
void kpi_close_annotate (json_t *kpis, const json_t *snapshot);

#endif
