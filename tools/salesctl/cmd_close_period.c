/*  salesctl close-period - closes a period for every service that keeps
    period records.

        salesctl close-period --period PERIOD [--closed-by WHO] [--json]
                              [--postgres URL] [--redis URL]

    PERIOD is a week, month, quarter or year ("2017-W05", "2017-05",
    "2017-Q2", "2017") that has ended, cut in kpi-evaluator's time zone.
    In one PostgreSQL transaction it records the close (period_closes)
    and kpi-evaluator's snapshot of every scope's KPIs as of the period's
    last day (kpi_close.h): the company, every scope that counted
    something and every node of the org. A period closes once: a second
    close is refused, naming when and by whom. Afterwards `salesctl kpi`
    of the period shows each KPI's snapshot ("closed_actual") next to the
    live actual, whose difference ("adjustment") is what events of the
    period that arrived after the close changed; the snapshot never
    changes. incentive-calculator will lock its statements in the same
    step when it exists. Output: `period 2017-Q2 closed at ... by ...: 42
    scopes snapshotted`, or with --json {"period", "closed_at",
    "closed_by", "scopes"}.
*/
#include "salesctl.h"

#include "kpi-evaluator/kpi_close.h"

#include <stdio.h>
#include <time.h>

static const char s_command[] = "close-period";

#define S_WHO_SIZE 129
#define S_MS_PER_SECOND 1000

static const sp_config_option_t s_options[] = {
    { "period", NULL, SP_CONFIG_STRING, NULL,
      "the period to close: YYYY-Www, YYYY-MM, YYYY-Qn or YYYY (required)", 0, 0 },
    { "closed-by", "SP_LOADED_BY", SP_CONFIG_STRING, NULL,
      "who closes it, recorded with the close (default: $USER@host)", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print the result as one JSON object", 0, 0 },
};

int
salesctl_close_period (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Close a period that has ended: snapshot every scope's KPIs in PostgreSQL; later events "
        "of the period show as adjustments next to the snapshot.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    const char *period = sp_config_string (config, "period");
    salesctl_kpi_t session;
    if (!period) {
        fprintf (stderr, "salesctl %s: --period is required (e.g. --period 2017-Q2)\n", s_command);
        goto out_destroy_config;
    }
    if (salesctl_kpi_open (config, s_command, 0,
                           KPI_REFERENCE_ORG | KPI_REFERENCE_TARGETS | KPI_REFERENCE_SCORECARD,
                           NULL, period, NULL, &session) != 0)
        goto out_destroy_config;
    char who[S_WHO_SIZE];
    salesctl_who (sp_config_string (config, "closed-by"), who, sizeof who);
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    kpi_close_result_t result;
    char error[KPI_CLOSE_ERROR_SIZE];
    if (kpi_close_period (session.query, session.pg, &session.period,
                          (int64_t) now.tv_sec * S_MS_PER_SECOND, who, &result, error,
                          sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        goto out_close;
    }
    if (sp_config_bool (config, "json")) {
        json_t *document =
            json_pack ("{s:s, s:s, s:s, s:I}", "period", session.period.label, "closed_at",
                       result.closed_at, "closed_by", who, "scopes", (json_int_t) result.scopes);
        char *text = document ? json_dumps (document, JSON_COMPACT) : NULL;
        json_decref (document);
        if (text)
            printf ("%s\n", text);
        free (text);
    }
    else
        printf ("period %s closed at %s by %s: %zu scopes snapshotted\n", session.period.label,
                result.closed_at, who, result.scopes);
    exit_code = fflush (stdout) == 0 ? SALESCTL_EXIT_OK : SALESCTL_EXIT_FAILURE;
out_close:
    salesctl_kpi_close (&session);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
