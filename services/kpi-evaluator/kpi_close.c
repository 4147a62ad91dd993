/*  kpi_close - closing a period (see kpi_close.h). */
#include "kpi_close.h"

#include <assert.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_evaluate.h"
#include "sp_error.h"
#include "sp_event.h"

#define S_SQLSTATE_UNIQUE "23505"
#define S_ORG_DEPTH 3 /* company -> regions -> teams -> reps */

static const char s_insert_close_sql[] =
    "INSERT INTO period_closes (period, period_start, period_end, closed_by) "
    "VALUES ($1, $2::timestamptz, $3::timestamptz, $4) RETURNING closed_at";

static const char s_insert_snapshots_sql[] =
    "INSERT INTO kpi_snapshots (period, scope, document) "
    "SELECT $1, element->>'scope', element FROM jsonb_array_elements ($2::jsonb) AS element";

static const char s_read_close_sql[] = "SELECT closed_at, closed_by FROM period_closes WHERE "
                                       "period = $1";

static const char s_read_snapshot_sql[] =
    "SELECT c.closed_at, c.closed_by, s.document FROM period_closes c "
    "LEFT JOIN kpi_snapshots s ON s.period = c.period AND s.scope = $2 WHERE c.period = $1";

/* Adds scope to the set (a zlistx of unique strings, sorted later). */
static int
s_add_scope (zhashx_t *seen, zlistx_t *scopes, const char *scope)
{
    if (zhashx_lookup (seen, scope))
        return 0;
    if (zhashx_insert (seen, scope, (void *) 1) != 0 || !zlistx_add_end (scopes, (void *) scope))
        return -1;
    return 0;
}

/* Adds node's descendants in the org during [first, end). */
static int
s_add_org (const sp_org_t *org, const char *node, int64_t first, int64_t end, int depth,
           zhashx_t *seen, zlistx_t *scopes)
{
    if (depth == 0)
        return 0;
    size_t count = sp_org_children (org, node, first, end, NULL, 0);
    if (count == 0)
        return 0;
    const char **children = calloc (count, sizeof *children);
    if (!children)
        return -1;
    count = sp_org_children (org, node, first, end, children, count);
    int rc = 0;
    for (size_t index = 0; index < count && rc == 0; index++)
        rc = s_add_scope (seen, scopes, children[index]) != 0 ||
                     s_add_org (org, children[index], first, end, depth - 1, seen, scopes) != 0
                 ? -1
                 : 0;
    free (children);
    return rc;
}

/* The snapshot documents of every scope, as one JSON array. */
static json_t *
s_snapshots (kpi_query_t *query, const sp_period_t *period, int64_t first, int64_t last,
             char *error, size_t error_size)
{
    kpi_query_scope_t *counted = NULL;
    size_t counted_count = 0;
    if (kpi_query_every_scope (query, period, last, &counted, &counted_count, error, error_size) !=
        0)
        return NULL;
    json_t *documents = NULL;
    zhashx_t *seen = zhashx_new ();
    zlistx_t *scopes = zlistx_new ();
    kpi_evaluation_t *evaluation = malloc (sizeof *evaluation);
    if (!seen || !scopes || !evaluation)
        goto out_of_memory;
    zhashx_set_duplicator (seen, NULL);
    zlistx_set_duplicator (scopes, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (scopes, (zlistx_destructor_fn *) zstr_free);
    if (s_add_scope (seen, scopes, "company") != 0)
        goto out_of_memory;
    for (size_t index = 0; index < counted_count; index++)
        if (s_add_scope (seen, scopes, counted[index].scope) != 0)
            goto out_of_memory;
    const sp_org_t *org = kpi_reference_org (kpi_query_reference (query));
    if (org && s_add_org (org, "company", first, last + 1, S_ORG_DEPTH, seen, scopes) != 0)
        goto out_of_memory;
    documents = json_array ();
    if (!documents)
        goto out_of_memory;
    static const int64_t zeros[KPI_MEASURE_COUNT];
    for (const char *scope = zlistx_first (scopes); scope; scope = zlistx_next (scopes)) {
        const int64_t *sums = zeros;
        for (size_t index = 0; index < counted_count; index++)
            if (strcmp (counted[index].scope, scope) == 0)
                sums = counted[index].sums;
        if (kpi_evaluate_scope (query, scope, period, last, sums, evaluation, error, error_size) !=
            0) {
            json_decref (documents);
            documents = NULL;
            goto out;
        }
        json_t *document = json_pack ("{s:s, s:s, s:o}", "scope", scope, "period", period->label,
                                      "kpis", kpi_evaluate_rows_json (evaluation));
        if (!document || json_array_append_new (documents, document) != 0)
            goto out_of_memory;
    }
    goto out;
out_of_memory:
    json_decref (documents);
    documents = NULL;
    sp_error_set (error, error_size, "out of memory");
out:
    free (evaluation);
    zlistx_destroy (&scopes);
    zhashx_destroy (&seen);
    kpi_query_scopes_free (&counted, counted_count);
    return documents;
}

/* The error of a close refused because the period was closed before. */
static void
s_already_closed (sp_pg_t *pg, const char *period, char *error, size_t error_size)
{
    sp_pg_result_t *result = sp_pg_exec (pg, s_read_close_sql, 1, &period, NULL, NULL);
    if (result && sp_pg_result_ok (result) && sp_pg_result_rows (result) == 1)
        sp_error_set (error, error_size, "period %s was closed at %s by %s", period,
                      sp_pg_result_value (result, 0, 0), sp_pg_result_value (result, 0, 1));
    else
        sp_error_set (error, error_size, "period %s was closed before", period);
    sp_pg_result_destroy (&result);
}

int
kpi_close_period (kpi_query_t *query, sp_pg_t *pg, const sp_period_t *period, int64_t now_ms,
                  const char *closed_by, kpi_close_part_fn *part, void *part_arg,
                  kpi_close_result_t *result, char *error, size_t error_size)
{
    assert (pg && period && closed_by && result);
    memset (result, 0, sizeof *result);
    char start[SP_EVENT_TIME_TEXT_SIZE], end[SP_EVENT_TIME_TEXT_SIZE];
    if (sp_event_time_format (period->start_ms, start, sizeof start) != 0 ||
        sp_event_time_format (period->end_ms, end, sizeof end) != 0) {
        sp_error_set (error, error_size, "period %s is out of range", period->label);
        return -1;
    }
    if (period->kind == SP_PERIOD_DAY) {
        sp_error_set (error, error_size,
                      "a day is not closed: close a week, month, quarter or year");
        return -1;
    }
    if (period->end_ms > now_ms) {
        sp_error_set (error, error_size, "period %s has not ended: it ends at %s", period->label,
                      end);
        return -1;
    }
    json_t *documents = json_array ();
    if (query) {
        json_decref (documents);
        int64_t first, last;
        if (kpi_query_period_days (query, period, &first, &last) != 0) {
            sp_error_set (error, error_size, "period %s is out of range", period->label);
            return -1;
        }
        kpi_query_cache (query, true); /* every scope reads the same earlier periods */
        documents = s_snapshots (query, period, first, last, error, error_size);
        if (!documents)
            return -1;
    }
    else if (!documents) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    char *text = json_dumps (documents, JSON_COMPACT | JSON_REAL_PRECISION (10));
    result->scopes = json_array_size (documents);
    json_decref (documents);
    if (!text) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    int rc = -1;
    if (sp_pg_begin (pg) != 0) {
        sp_error_set (error, error_size, "could not begin a transaction: %s", sp_pg_error (pg));
        free (text);
        return -1;
    }
    sp_pg_result_t *close =
        sp_pg_exec (pg, s_insert_close_sql, 4,
                    (const char *[]){ period->label, start, end, closed_by }, NULL, NULL);
    sp_pg_result_t *insert = NULL;
    if (!close || !sp_pg_result_ok (close)) {
        bool again = close && sp_pg_result_is (close, S_SQLSTATE_UNIQUE);
        sp_pg_rollback (pg);
        if (again)
            s_already_closed (pg, period->label, error, error_size);
        else
            sp_error_set (error, error_size, "could not record the close: %s",
                          close ? sp_pg_result_error (close) : "out of memory");
        goto out;
    }
    snprintf (result->closed_at, sizeof result->closed_at, "%s", sp_pg_result_value (close, 0, 0));
    insert = sp_pg_exec (pg, s_insert_snapshots_sql, 2, (const char *[]){ period->label, text },
                         NULL, NULL);
    if (!insert || !sp_pg_result_ok (insert)) {
        sp_error_set (error, error_size, "could not store the snapshots: %s",
                      insert ? sp_pg_result_error (insert) : "out of memory");
        sp_pg_rollback (pg);
        goto out;
    }
    if (part && part (part_arg, pg, period, error, error_size) != 0) {
        sp_pg_rollback (pg);
        goto out;
    }
    if (sp_pg_commit (pg) != 0) {
        sp_error_set (error, error_size, "could not commit the close: %s", sp_pg_error (pg));
        goto out;
    }
    rc = 0;
out:
    sp_pg_result_destroy (&insert);
    sp_pg_result_destroy (&close);
    free (text);
    return rc;
}

int
kpi_close_read (sp_pg_t *pg, const char *period, const char *scope, bool *closed, json_t **snapshot,
                char *closed_at, size_t closed_at_size, char *closed_by, size_t closed_by_size,
                char *error, size_t error_size)
{
    *closed = false;
    *snapshot = NULL;
    sp_pg_result_t *result =
        sp_pg_exec (pg, s_read_snapshot_sql, 2, (const char *[]){ period, scope }, NULL, NULL);
    if (!result || !sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not read the period's close: %s",
                      result ? sp_pg_result_error (result) : "out of memory");
        sp_pg_result_destroy (&result);
        return -1;
    }
    int rc = 0;
    if (sp_pg_result_rows (result) == 1) {
        *closed = true;
        snprintf (closed_at, closed_at_size, "%s", sp_pg_result_value (result, 0, 0));
        snprintf (closed_by, closed_by_size, "%s", sp_pg_result_value (result, 0, 1));
        if (!sp_pg_result_is_null (result, 0, 2)) {
            json_error_t json_error;
            *snapshot = json_loads (sp_pg_result_value (result, 0, 2), 0, &json_error);
            if (!*snapshot) {
                sp_error_set (error, error_size, "the snapshot of %s in %s does not parse: %s",
                              scope, period, json_error.text);
                rc = -1;
            }
        }
    }
    sp_pg_result_destroy (&result);
    return rc;
}

/* The snapshot's row of kpi, or NULL. */
static const json_t *
s_snapshot_row (const json_t *snapshot, const char *kpi)
{
    size_t index;
    const json_t *row;
    json_array_foreach (json_object_get (snapshot, "kpis"), index, row)
    {
        const char *name = json_string_value (json_object_get (row, "kpi"));
        if (name && strcmp (name, kpi) == 0)
            return row;
    }
    return NULL;
}

void
kpi_close_annotate (json_t *kpis, const json_t *snapshot)
{
    size_t index;
    json_t *row;
    json_array_foreach (kpis, index, row)
    {
        const char *kpi = json_string_value (json_object_get (row, "kpi"));
        const json_t *closed = kpi ? s_snapshot_row (snapshot, kpi) : NULL;
        json_t *then = closed ? json_object_get (closed, "actual") : NULL;
        json_t *now = json_object_get (row, "actual");
        json_t *adjustment = json_null ();
        if (json_is_integer (then) && json_is_integer (now))
            adjustment = json_integer (json_integer_value (now) - json_integer_value (then));
        else if (json_is_number (then) && json_is_number (now))
            adjustment = json_real (json_number_value (now) - json_number_value (then));
        json_object_set_new (row, "closed_actual", then ? json_incref (then) : json_null ());
        json_object_set_new (row, "adjustment", adjustment);
    }
}
