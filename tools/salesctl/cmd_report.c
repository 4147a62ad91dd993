/*  salesctl report - the report a rep or manager writes by hand, made
    from the events: what was done, against target, pace, the KPIs that
    need attention, and the customers touched.

        salesctl report daily|weekly|monthly [--scope SCOPE] [--date DATE] [--json]
                        [--wait] [--timeout SECONDS] [--postgres URL] [--redis URL]

    The report covers the local day, ISO week or month holding DATE
    (default today in kpi-evaluator's time zone), up to and including
    DATE. "Done" counts the period's visits, calls, demos, quotes sent,
    deals won and lost, new customers, revenue, order revenue and
    payments collected.
    Targets and pace are those of the month holding DATE for a daily or
    monthly report, of the week for a weekly one, as `salesctl kpi`
    computes them as of DATE; "attention" lists the KPIs judged behind or
    at risk (at risk first). "Customers touched" are those a visit, call,
    demo, quote or outcome of the scope's reps (a rep), of the team (a
    team), of the region's teams (a region, with an org loaded) or of
    every team (the company) named that period, most touched first.
    With --json one object {"report", "scope", "date", "period",
    "currency", "done": {...}, "targets": {"period", "kpis": [...]},
    "attention": [{"kpi", "status", "attainment", "required_per_day"}],
    "customers_touched": [{"customer", "touches"}]}, and for a monthly
    report "forecast_accuracy": {"final_from": "close" or "live", "points":
    [{"recorded_on", "kpi", "forecast", "actual_then", "final", "error",
    "error_ratio"}]}: each forecast kpi-evaluator recorded during the month
    (kpi_forecast.h) against the month's final actual (the close's
    snapshot once closed); kpis as in `salesctl kpi --json` (only those
    with a target); "completeness" and the text's `incomplete: ...` line
    as `salesctl kpi` gives them, and --wait as `salesctl scorecard`
    (read once, salesctl_complete.h).
*/
#include "salesctl.h"
#include "salesctl_complete.h"

#include "kpi-evaluator/kpi_close.h"
#include "kpi-evaluator/kpi_evaluate.h"
#include "kpi-evaluator/kpi_forecast.h"
#include "kpi-evaluator/kpi_keys.h"
#include "sp_event.h"
#include "sp_money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_command[] = "report";

#define S_TOUCHED_SHOWN 20 /* customers listed in the text form */
#define S_CHILDREN_MAX 100000

static const sp_config_option_t s_options[] = {
    { "scope", NULL, SP_CONFIG_STRING, "company", "company, region:ID, team:ID or rep:ID", 0, 0 },
    { "date", NULL, SP_CONFIG_STRING, "",
      "the day the report is for (YYYY-MM-DD; default today in the service's time zone)", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print one JSON object", 0, 0 },
    SALESCTL_COMPLETE_OPTIONS,
};

/* What "done" shows: a label and the KPI whose actual it is. */
static const struct {
    const char *name;
    const char *kpi;
} s_done[] = {
    { "visits", "visits_completed" },
    { "quotes", "quotes_sent" },
    { "deals_won", "deals_won" },
    { "revenue", "revenue" },
    { "new_customers", "new_customers" },
    { "order_revenue", "order_revenue" },
    { "payments_collected", "payments_collected" },
};

/* A report's kind: its period kind and the kind of the targets shown. */
typedef struct {
    const char *name;
    sp_period_kind_t period;
    sp_period_kind_t targets;
} s_kind_t;

static const s_kind_t s_kinds[] = {
    { "daily", SP_PERIOD_DAY, SP_PERIOD_MONTH },
    { "weekly", SP_PERIOD_WEEK, SP_PERIOD_WEEK },
    { "monthly", SP_PERIOD_MONTH, SP_PERIOD_MONTH },
};

/* The measures of the period for scope, with calls, demos and losses
   which no KPI shows by itself. */
typedef struct {
    int64_t sums[KPI_MEASURE_COUNT];
} s_done_t;

static int
s_attention_rank (kpi_pace_status_t status)
{
    return status == KPI_PACE_AT_RISK ? 0 : status == KPI_PACE_BEHIND ? 1 : 2;
}

/* The scopes whose touched customers the report lists. */
static size_t
s_touch_scopes (const kpi_reference_t *reference, const char *scope, int64_t first, int64_t end,
                const char **scopes, size_t capacity, bool *every_team)
{
    *every_team = strcmp (scope, "company") == 0;
    if (strncmp (scope, "region:", 7) != 0) {
        scopes[0] = scope;
        return 1;
    }
    const sp_org_t *org = kpi_reference_org (reference);
    return org ? sp_org_children (org, scope, first, end, scopes, capacity) : 0;
}

/* The monthly report's forecast accuracy: each recorded point of the
   month against the final actual (the close's snapshot when the month is
   closed, else the live figure). NULL with the reason on failure. */
static json_t *
s_accuracy (salesctl_kpi_t *session, const char *scope, const kpi_evaluation_t *month, char *error,
            size_t error_size)
{
    kpi_forecast_point_t *points = NULL;
    size_t count = 0;
    bool closed = false;
    json_t *snapshot = NULL;
    char at[64], by[256];
    if (kpi_forecast_read (session->pg, month->period.label, scope, &points, &count, error,
                           error_size) != 0 ||
        kpi_close_read (session->pg, month->period.label, scope, &closed, &snapshot, at, sizeof at,
                        by, sizeof by, error, error_size) != 0) {
        free (points);
        return NULL;
    }
    json_t *list = json_array ();
    for (size_t index = 0; list && index < count; index++) {
        const kpi_evaluate_row_t *row = kpi_evaluate_row (month, points[index].kpi);
        json_int_t final = row && row->has_actual ? (json_int_t) row->actual : 0;
        size_t position;
        json_t *closed_row;
        json_array_foreach (json_object_get (snapshot, "kpis"), position, closed_row)
        {
            if (strcmp (json_string_value (json_object_get (closed_row, "kpi")),
                        points[index].kpi) == 0 &&
                json_is_integer (json_object_get (closed_row, "actual")))
                final = json_integer_value (json_object_get (closed_row, "actual"));
        }
        json_int_t miss = (json_int_t) points[index].forecast - final;
        json_array_append_new (
            list,
            json_pack ("{s:s, s:s, s:I, s:I, s:I, s:I, s:o}", "recorded_on",
                       points[index].recorded_on, "kpi", points[index].kpi, "forecast",
                       (json_int_t) points[index].forecast, "actual_then",
                       (json_int_t) points[index].actual, "final", final, "error", miss,
                       "error_ratio",
                       final != 0 ? json_real ((double) miss / (double) final) : json_null ()));
    }
    json_t *accuracy =
        list ? json_pack ("{s:s, s:o}", "final_from", closed ? "close" : "live", "points", list)
             : NULL;
    json_decref (snapshot);
    free (points);
    if (!accuracy)
        snprintf (error, error_size, "out of memory");
    return accuracy;
}

static json_t *
s_report_json (const char *kind, const char *scope, const char *date, const sp_period_t *period,
               const char *currency, const s_done_t *done, const kpi_evaluation_t *targets,
               const kpi_query_touched_t *touched, size_t touched_count)
{
    json_t *object = json_object ();
    json_t *done_object = json_object ();
    json_t *kpis = kpi_evaluate_rows_json (targets);
    json_t *attention = json_array ();
    json_t *customers = json_array ();
    if (!object || !done_object || !kpis || !attention || !customers)
        goto out_of_memory;
    for (size_t index = 0; index < sizeof s_done / sizeof s_done[0]; index++) {
        const kpi_definition_t *kpi = kpi_catalog_find (s_done[index].kpi);
        int64_t value = 0;
        if (kpi_catalog_value (kpi, done->sums, 0, &value) != 0)
            value = 0;
        json_object_set_new (done_object, s_done[index].name, json_integer ((json_int_t) value));
    }
    json_object_set_new (done_object, "calls", json_integer (done->sums[KPI_MEASURE_CALLS]));
    json_object_set_new (done_object, "demos", json_integer (done->sums[KPI_MEASURE_DEMOS]));
    json_object_set_new (done_object, "deals_lost", json_integer (done->sums[KPI_MEASURE_LOST]));
    /* only the KPIs with a target */
    for (size_t index = json_array_size (kpis); index-- > 0;)
        if (json_is_null (json_object_get (json_array_get (kpis, index), "target")))
            json_array_remove (kpis, index);
    for (int rank = 0; rank < 2; rank++)
        for (size_t index = 0; index < targets->count; index++) {
            const kpi_evaluate_row_t *row = &targets->rows[index];
            if (s_attention_rank (row->pace.status) != rank)
                continue;
            json_array_append_new (
                attention,
                json_pack (
                    "{s:s, s:s, s:o, s:o}", "kpi", row->kpi->name, "status",
                    kpi_pace_status_name (row->pace.status), "attainment",
                    row->has_attainment ? json_real ((double) row->attainment_bp / 10000)
                                        : json_null (),
                    "required_per_day",
                    row->pace.has_required_per_day
                        ? kpi_evaluate_value_json (row->kpi->unit, row->pace.required_per_day)
                        : json_null ()));
        }
    for (size_t index = 0; index < touched_count; index++)
        json_array_append_new (customers,
                               json_pack ("{s:s, s:I}", "customer", touched[index].customer,
                                          "touches", (json_int_t) touched[index].touches));
    json_object_set_new (object, "report", json_string (kind));
    json_object_set_new (object, "scope", json_string (scope));
    json_object_set_new (object, "date", json_string (date));
    json_object_set_new (object, "period", json_string (period->label));
    json_object_set_new (object, "currency", json_string (currency));
    json_object_set_new (object, "done", done_object);
    json_object_set_new (object, "targets",
                         json_pack ("{s:s, s:o}", "period", targets->period.label, "kpis", kpis));
    json_object_set_new (object, "attention", attention);
    json_object_set_new (object, "customers_touched", customers);
    return object;
out_of_memory:
    json_decref (object);
    json_decref (done_object);
    json_decref (kpis);
    json_decref (attention);
    json_decref (customers);
    return NULL;
}

/* The text form, from the JSON one. */
static void
s_print_text (json_t *report)
{
    const char *currency = json_string_value (json_object_get (report, "currency"));
    printf ("%s report, %s, %s (%s)\n", json_string_value (json_object_get (report, "report")),
            json_string_value (json_object_get (report, "scope")),
            json_string_value (json_object_get (report, "date")),
            json_string_value (json_object_get (report, "period")));
    json_t *done = json_object_get (report, "done");
    printf ("\nDone\n");
    const char *key;
    json_t *value;
    json_object_foreach (done, key, value)
    {
        char text[48];
        bool money = strcmp (key, "revenue") == 0 || strcmp (key, "order_revenue") == 0 ||
                     strcmp (key, "payments_collected") == 0;
        if (!money || sp_money_format (json_integer_value (value), currency, text, sizeof text) !=
                          SP_MONEY_OK)
            snprintf (text, sizeof text, "%lld", (long long) json_integer_value (value));
        printf ("  %-20s %16s%s%s\n", key, text, money ? " " : "", money ? currency : "");
    }
    json_t *targets = json_object_get (report, "targets");
    printf ("\nAgainst target (%s)\n", json_string_value (json_object_get (targets, "period")));
    size_t index;
    json_t *row;
    json_array_foreach (json_object_get (targets, "kpis"), index, row)
    {
        json_t *attainment = json_object_get (row, "attainment");
        json_t *status = json_object_get (row, "status");
        char shown[16] = "-";
        if (json_is_number (attainment))
            snprintf (shown, sizeof shown, "%.0f%%", json_number_value (attainment) * 100);
        printf ("  %-24s %7s  %s\n", json_string_value (json_object_get (row, "kpi")), shown,
                json_is_string (status) ? json_string_value (status) : "");
    }
    if (json_array_size (json_object_get (targets, "kpis")) == 0)
        printf ("  (no targets loaded for this scope and period)\n");
    printf ("\nNeeds attention\n");
    json_array_foreach (json_object_get (report, "attention"), index, row)
    {
        printf ("  %-24s %s\n", json_string_value (json_object_get (row, "kpi")),
                json_string_value (json_object_get (row, "status")));
    }
    if (json_array_size (json_object_get (report, "attention")) == 0)
        printf ("  nothing\n");
    json_t *accuracy = json_object_get (report, "forecast_accuracy");
    if (accuracy) {
        printf ("\nForecast accuracy (final figure from the %s)\n",
                json_string_value (json_object_get (accuracy, "final_from")));
        json_array_foreach (json_object_get (accuracy, "points"), index, row)
        {
            json_t *ratio = json_object_get (row, "error_ratio");
            printf ("  %s  %-10s forecast %14lld  final %14lld  error %+.1f%%\n",
                    json_string_value (json_object_get (row, "recorded_on")),
                    json_string_value (json_object_get (row, "kpi")),
                    (long long) json_integer_value (json_object_get (row, "forecast")),
                    (long long) json_integer_value (json_object_get (row, "final")),
                    json_is_number (ratio) ? json_number_value (ratio) * 100 : 0.0);
        }
        if (json_array_size (json_object_get (accuracy, "points")) == 0)
            printf ("  no forecast was recorded for this month\n");
    }
    json_t *customers = json_object_get (report, "customers_touched");
    printf ("\nCustomers touched: %zu\n", json_array_size (customers));
    json_array_foreach (customers, index, row)
    {
        if (index == S_TOUCHED_SHOWN) {
            printf ("  ... and %zu more\n", json_array_size (customers) - S_TOUCHED_SHOWN);
            break;
        }
        printf ("  %-40s %lld\n", json_string_value (json_object_get (row, "customer")),
                (long long) json_integer_value (json_object_get (row, "touches")));
    }
}

int
salesctl_report (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Write the daily, weekly or monthly report of a rep, team, region or the company: what "
        "was done, against target, pace, what needs attention, the customers touched.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    const s_kind_t *kind = NULL;
    for (size_t index = 0; sp_config_arg_count (config) >= 1 && index < 3; index++)
        if (strcmp (sp_config_arg (config, 0), s_kinds[index].name) == 0)
            kind = &s_kinds[index];
    if (!kind) {
        fprintf (stderr, "salesctl %s: say which report: daily, weekly or monthly\n", s_command);
        sp_config_destroy (&config);
        return exit_code;
    }
    salesctl_kpi_t session;
    salesctl_complete_t complete = { 0 };
    kpi_evaluation_t *targets = NULL;
    kpi_query_touched_t *touched = NULL;
    size_t touched_count = 0;
    const char **scopes = NULL;
    const char *scope = sp_config_string (config, "scope");
    if (salesctl_kpi_open (config, s_command, 1,
                           KPI_REFERENCE_ORG | KPI_REFERENCE_TARGETS | KPI_REFERENCE_SCORECARD,
                           scope, NULL, sp_config_string (config, "date"), &session) != 0)
        goto out_destroy_config;
    char error[KPI_QUERY_ERROR_SIZE];
    const sp_tz_t *tz = kpi_query_tz (session.query);
    sp_period_t period, day, targets_period;
    if (sp_period_cut (tz, kind->period, session.as_of_ms, &period) != 0 ||
        sp_period_cut (tz, SP_PERIOD_DAY, session.as_of_ms, &day) != 0 ||
        sp_period_cut (tz, kind->targets, session.as_of_ms, &targets_period) != 0) {
        fprintf (stderr, "salesctl %s: the date is out of range\n", s_command);
        goto out_close;
    }
    s_done_t done;
    targets = malloc (sizeof *targets);
    scopes = calloc (S_CHILDREN_MAX, sizeof *scopes);
    if (!targets || !scopes) {
        fprintf (stderr, "salesctl %s: out of memory\n", s_command);
        goto out_close;
    }
    int64_t first, last;
    bool every_team = false;
    if (salesctl_complete_open (config, s_command, KPI_KEYS_SERVICE, session.pg,
                                kpi_reference_rebuild_kinds, KPI_REFERENCE_REBUILD_KIND_COUNT,
                                &complete) != 0 ||
        salesctl_complete_begin (&complete, session.pg, session.redis) != 0)
        goto out_close;
    if (kpi_query_sums (session.query, &period, session.through, &scope, 1, &done.sums, error,
                        sizeof error) != 0 ||
        kpi_evaluate_scope (session.query, scope, &targets_period, session.through, NULL, targets,
                            error, sizeof error) != 0 ||
        kpi_query_period_days (session.query, &period, &first, &last) != 0) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        goto out_close;
    }
    size_t scope_count = s_touch_scopes (kpi_query_reference (session.query), scope, first,
                                         last + 1, scopes, S_CHILDREN_MAX, &every_team);
    if (kpi_query_touched (session.query, &period, session.through, scopes,
                           scope_count > S_CHILDREN_MAX ? S_CHILDREN_MAX : scope_count, every_team,
                           &touched, &touched_count, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        goto out_close;
    }
    json_t *report =
        s_report_json (kind->name, scope, day.label, &period, kpi_query_currency (session.query),
                       &done, targets, touched, touched_count);
    if (!report) {
        fprintf (stderr, "salesctl %s: out of memory writing the report\n", s_command);
        goto out_close;
    }
    if (kind->period == SP_PERIOD_MONTH) {
        json_t *accuracy = s_accuracy (&session, scope, targets, error, sizeof error);
        if (!accuracy) {
            json_decref (report);
            fprintf (stderr, "salesctl %s: %s\n", s_command, error);
            goto out_close;
        }
        json_object_set_new (report, "forecast_accuracy", accuracy);
    }
    /* read once, as a scorecard: after the figures, the state again */
    if (salesctl_complete_end (&complete, session.redis) < 0) {
        json_decref (report);
        goto out_close;
    }
    if (salesctl_complete_json (&complete, report) != 0) {
        json_decref (report);
        fprintf (stderr, "salesctl %s: out of memory writing the report\n", s_command);
        goto out_close;
    }
    if (sp_config_bool (config, "json")) {
        char *text = json_dumps (report, JSON_COMPACT | JSON_REAL_PRECISION (10));
        if (text)
            printf ("%s\n", text);
        free (text);
    }
    else {
        salesctl_complete_text (&complete, stdout);
        s_print_text (report);
    }
    json_decref (report);
    exit_code = fflush (stdout) == 0 ? salesctl_complete_exit (&complete) : SALESCTL_EXIT_FAILURE;
out_close:
    salesctl_complete_close (&complete);
    kpi_query_touched_free (&touched, touched_count);
    free (scopes);
    free (targets);
    salesctl_kpi_close (&session);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
