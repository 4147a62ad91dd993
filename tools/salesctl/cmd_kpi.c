/*  salesctl kpi - every KPI of a scope in a period against its target,
    with pace.

        salesctl kpi [--scope SCOPE] [--period PERIOD] [--as-of WHEN] [--json]
                     [--wait] [--timeout SECONDS] [--postgres URL] [--redis URL]

    SCOPE is company (default), region:ID, team:ID or rep:ID; PERIOD a
    year, quarter, month or ISO week ("2017", "2017-Q2", "2017-05",
    "2017-W05"), cut in kpi-evaluator's time zone; --as-of a date or RFC
    3339 time (default now): events of that local day and before count,
    and pace is judged at that day (docs/kpis.md, docs/scorecards.md).
    With --json one object {"scope", "period", "as_of", "currency",
    "time_zone", "days": {"elapsed", "total", "working_elapsed"}, "kpis":
    [{"kpi", "unit", "actual", "target", "own_target", "carried",
    "first_target", "floor", "stretch", "attainment", "prorated_target",
    "projection", "required_per_day", "forecast", "pipeline", "status",
    "default_target"}]}: target is the period's own target plus the
    shortfall carried in; first_target the target as first loaded (before
    later versions adjusted it); forecast and pipeline as
    kpi_evaluate.h says; for a closed period (salesctl close-period)
    closed_actual is the snapshot's actual and adjustment what events
    that arrived after the close changed; "completeness" whether
    kpi-evaluator's state held the whole log (salesctl_complete.h). Money
    as integers in minor units, ratios as fractions, absent values null.
    Text: one line per KPI, with an attainment bar on a terminal, below a
    line `incomplete: ...` when the state did not hold the whole log.
    --wait [--timeout SECONDS] waits until it does (exit 3 when it still
    did not at the timeout).
*/
#include "salesctl.h"
#include "salesctl_complete.h"

#include "kpi-evaluator/kpi_close.h"
#include "kpi-evaluator/kpi_evaluate.h"
#include "kpi-evaluator/kpi_keys.h"
#include "kpi-evaluator/kpi_reference.h"
#include "sp_event.h"
#include "sp_money.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char s_command[] = "kpi";

#define S_BAR_WIDTH 20
#define S_BASIS_POINTS 10000

static const sp_config_option_t s_options[] = {
    { "scope", NULL, SP_CONFIG_STRING, "company", "company, region:ID, team:ID or rep:ID", 0, 0 },
    { "period", NULL, SP_CONFIG_STRING, NULL, "YYYY, YYYY-Qn, YYYY-MM or YYYY-Www (required)", 0,
      0 },
    { "as-of", NULL, SP_CONFIG_STRING, "",
      "judge the period as of this date or RFC 3339 time (default now)", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print one JSON object", 0, 0 },
    SALESCTL_COMPLETE_OPTIONS,
};

/* A value of a KPI's unit as text: money with the currency's decimals. */
static void
s_value_text (kpi_unit_t unit, bool has, int64_t value, const char *currency, char *buffer,
              size_t size)
{
    if (!has) {
        snprintf (buffer, size, "-");
        return;
    }
    switch (unit) {
        case KPI_UNIT_MONEY:
            if (sp_money_format (value, currency, buffer, size) != SP_MONEY_OK)
                snprintf (buffer, size, "%lld", (long long) value);
            return;
        case KPI_UNIT_COUNT:
            snprintf (buffer, size, "%lld", (long long) value);
            return;
        case KPI_UNIT_RATIO:
            snprintf (buffer, size, "%.2f%%", (double) value / 100);
            return;
        default:
            snprintf (buffer, size, "%.2f", (double) value / 100);
            return;
    }
}

static void
s_print_text (const salesctl_kpi_t *session, const kpi_evaluation_t *evaluation, bool bars)
{
    const char *currency = kpi_query_currency (session->query);
    printf ("%s  %s  (%lld of %lld days, %s)\n", evaluation->scope, evaluation->period.label,
            (long long) evaluation->days_elapsed, (long long) evaluation->days_total,
            kpi_query_time_zone (session->query));
    printf ("%-24s %16s %16s %8s %16s  %s\n", "kpi", "actual", "target", "attain.", "projection",
            "status");
    for (size_t index = 0; index < evaluation->count; index++) {
        const kpi_evaluate_row_t *row = &evaluation->rows[index];
        char actual[48], target[48], projection[48], attainment[16] = "-";
        s_value_text (row->kpi->unit, row->has_actual, row->actual, currency, actual,
                      sizeof actual);
        s_value_text (row->kpi->unit, row->has_target, row->effective, currency, target,
                      sizeof target);
        s_value_text (row->kpi->unit, row->pace.has_projection, row->pace.projection, currency,
                      projection, sizeof projection);
        if (row->has_attainment)
            snprintf (attainment, sizeof attainment, "%.0f%%", (double) row->attainment_bp / 100);
        const char *status = kpi_pace_status_name (row->pace.status);
        printf ("%-24s %16s %16s %8s %16s  %s", row->kpi->name, actual, target, attainment,
                projection, status ? status : "");
        if (bars && row->has_attainment) {
            int64_t filled = row->attainment_bp * S_BAR_WIDTH / S_BASIS_POINTS;
            printf ("  ");
            for (int64_t cell = 0; cell < S_BAR_WIDTH; cell++)
                fputs (cell < filled ? "#" : ".", stdout);
        }
        printf ("\n");
    }
}

/* A closed period's line, and what arrived after the close. */
static void
s_print_closed (const json_t *closed, const json_t *kpis)
{
    printf ("closed at %s by %s; events that arrived since changed:\n",
            json_string_value (json_object_get (closed, "at")),
            json_string_value (json_object_get (closed, "by")));
    size_t index;
    const json_t *row;
    bool any = false;
    json_array_foreach (kpis, index, row)
    {
        const json_t *adjustment = json_object_get (row, "adjustment");
        if (!json_is_number (adjustment) || json_number_value (adjustment) == 0)
            continue;
        any = true;
        if (json_is_integer (adjustment))
            printf ("  %-24s %+lld\n", json_string_value (json_object_get (row, "kpi")),
                    (long long) json_integer_value (adjustment));
        else
            printf ("  %-24s %+.4f\n", json_string_value (json_object_get (row, "kpi")),
                    json_number_value (adjustment));
    }
    if (!any)
        printf ("  nothing\n");
}

/* When the period is closed: sets *closed to {"at", "by"} and adds each
   KPI's snapshot and adjustment to kpis. 0, or -1 after printing why. */
static int
s_closed (const salesctl_kpi_t *session, const char *scope, json_t *kpis, json_t **closed)
{
    bool is_closed;
    json_t *snapshot = NULL;
    char at[64], by[256], error[KPI_CLOSE_ERROR_SIZE];
    if (kpi_close_read (session->pg, session->period.label, scope, &is_closed, &snapshot, at,
                        sizeof at, by, sizeof by, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        return -1;
    }
    if (!is_closed)
        return 0;
    kpi_close_annotate (kpis, snapshot);
    json_decref (snapshot);
    json_decref (*closed);
    *closed = json_pack ("{s:s, s:s}", "at", at, "by", by);
    return 0;
}

int
salesctl_kpi (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Show every KPI of a scope in a period: actual, target (floor, stretch, carried "
        "shortfall), attainment, projection, daily pace required and status.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    salesctl_kpi_t session;
    salesctl_complete_t complete = { 0 };
    if (!sp_config_string (config, "period")) {
        fprintf (stderr, "salesctl %s: --period is required (e.g. --period 2017-Q2)\n", s_command);
        goto out_destroy_config;
    }
    if (salesctl_kpi_open (config, s_command, 0,
                           KPI_REFERENCE_ORG | KPI_REFERENCE_TARGETS | KPI_REFERENCE_SCORECARD |
                               KPI_REFERENCE_HISTORY,
                           sp_config_string (config, "scope"), sp_config_string (config, "period"),
                           sp_config_string (config, "as-of"), &session) != 0)
        goto out_destroy_config;
    char error[KPI_QUERY_ERROR_SIZE];
    kpi_evaluation_t *evaluation = malloc (sizeof *evaluation);
    if (!evaluation) {
        fprintf (stderr, "salesctl %s: out of memory\n", s_command);
        goto out_close;
    }
    if (salesctl_complete_open (config, s_command, KPI_KEYS_SERVICE, session.pg,
                                kpi_reference_rebuild_kinds, KPI_REFERENCE_REBUILD_KIND_COUNT,
                                &complete) != 0)
        goto out_free;
    int again;
    do {
        if (salesctl_complete_begin (&complete, session.pg, session.redis) != 0)
            goto out_free;
        if (kpi_evaluate_scope (session.query, sp_config_string (config, "scope"), &session.period,
                                session.through, NULL, evaluation, error, sizeof error) != 0 ||
            kpi_evaluate_forecast (session.query, evaluation, error, sizeof error) != 0) {
            fprintf (stderr, "salesctl %s: %s\n", s_command, error);
            goto out_free;
        }
    } while ((again = salesctl_complete_end (&complete, session.redis)) == 1);
    if (again != 0)
        goto out_free;
    if (sp_config_bool (config, "json")) {
        char as_of[SP_EVENT_TIME_TEXT_SIZE];
        sp_event_time_format (session.as_of_ms, as_of, sizeof as_of);
        json_t *kpis = kpi_evaluate_rows_json (evaluation);
        json_t *closed = json_null ();
        if (kpis && s_closed (&session, evaluation->scope, kpis, &closed) != 0) {
            json_decref (kpis);
            goto out_free;
        }
        json_t *document = json_pack (
            "{s:s, s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I}, s:o, s:o}", "scope", evaluation->scope,
            "period", evaluation->period.label, "as_of", as_of, "currency",
            kpi_query_currency (session.query), "time_zone", kpi_query_time_zone (session.query),
            "days", "elapsed", (json_int_t) evaluation->days_elapsed, "total",
            (json_int_t) evaluation->days_total, "working_elapsed",
            (json_int_t) evaluation->working_days, "closed", closed, "kpis", kpis);
        char *text = document && salesctl_complete_json (&complete, document) == 0
                         ? json_dumps (document, JSON_COMPACT | JSON_REAL_PRECISION (10))
                         : NULL;
        json_decref (document);
        if (!text) {
            fprintf (stderr, "salesctl %s: out of memory writing JSON\n", s_command);
            goto out_free;
        }
        printf ("%s\n", text);
        free (text);
    }
    else {
        salesctl_complete_text (&complete, stdout);
        s_print_text (&session, evaluation, isatty (STDOUT_FILENO) == 1);
        json_t *kpis = kpi_evaluate_rows_json (evaluation);
        json_t *closed = json_null ();
        if (!kpis || s_closed (&session, evaluation->scope, kpis, &closed) != 0) {
            json_decref (kpis);
            goto out_free;
        }
        if (!json_is_null (closed))
            s_print_closed (closed, kpis);
        json_decref (closed);
        json_decref (kpis);
    }
    exit_code = fflush (stdout) == 0 ? salesctl_complete_exit (&complete) : SALESCTL_EXIT_FAILURE;
out_free:
    salesctl_complete_close (&complete);
    free (evaluation);
out_close:
    salesctl_kpi_close (&session);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
