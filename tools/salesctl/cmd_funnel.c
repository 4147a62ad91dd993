/*  salesctl funnel - conversion and drop-off of one funnel, from what
    funnel-tracker counted.

        salesctl funnel [--funnel NAME] [--scope SCOPE] [--period PERIOD] [--json]
                        [--wait] [--timeout SECONDS] [--postgres URL] [--redis URL]

    --funnel   a funnel funnel-tracker counts (default "default")
    --scope    company (default), region:R, team:T or rep:P
    --period   YYYY-MM, YYYY-Qn, YYYY or all (default): step counts and
               times by cohort month (the month step 1 was reached), won,
               lost, amounts and sales cycle by outcome month

    PostgreSQL is read for the partition count, the log heads and the
    funnel definitions' revision; the figures are the sums of the
    partitions' partials in Redis (funnel_query.h), worked out by
    funnel_report.h and shown by funnel_render.h: on a terminal a bar
    chart of the steps, otherwise the same text without colour, and with
    --json one object on one line (docs/salesctl.md, "funnel").

    The answer says whether funnel-tracker's state held the whole log
    (salesctl_complete.h): a line `incomplete: ...` above the text, a
    "completeness" member in JSON. --wait [--timeout SECONDS] waits until
    it does; exit 3 when it still did not at the timeout. Exit 1 with the
    reason on stderr for an unknown funnel, a bad scope or period, or
    when PostgreSQL or Redis cannot be read.
*/
#include "salesctl.h"
#include "salesctl_complete.h"

#include "funnel-tracker/funnel_catalog.h"
#include "funnel-tracker/funnel_keys.h"
#include "funnel-tracker/funnel_query.h"
#include "funnel-tracker/funnel_render.h"
#include "funnel-tracker/funnel_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char s_command[] = "funnel";

static const sp_config_option_t s_options[] = {
    { "funnel", NULL, SP_CONFIG_STRING, "default", "the funnel to report", 0, 0 },
    { "scope", NULL, SP_CONFIG_STRING, "company", "company, region:ID, team:ID or rep:ID", 0, 0 },
    { "period", NULL, SP_CONFIG_STRING, "all", "YYYY-MM, YYYY-Qn, YYYY or all", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print one JSON object", 0, 0 },
    SALESCTL_COMPLETE_OPTIONS,
};

int
salesctl_funnel (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Show a funnel's steps: entities reached, conversion, drop-off and time between steps, "
        "with win rate, won amount and sales cycle, for a scope and period.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    salesctl_funnel_t session;
    salesctl_complete_t complete = { 0 };
    funnel_report_months_t months = { 0, NULL };
    char error[FUNNEL_QUERY_ERROR_SIZE];
    const char *scope = sp_config_string (config, "scope");
    const char *period = sp_config_string (config, "period");
    bool json = sp_config_bool (config, "json");
    if (salesctl_funnel_open (config, s_command, &session) != 0 ||
        salesctl_complete_open (config, s_command, FUNNEL_KEYS_SERVICE, session.pg,
                                (const char *const[]){ funnel_catalog_kind.kind }, 1,
                                &complete) != 0)
        goto out_destroy;
    funnel_query_t *query = session.query;
    funnel_report_totals_t totals;
    int again;
    do {
        funnel_report_months_clear (&months);
        if (salesctl_complete_begin (&complete, session.pg, session.redis) != 0)
            goto out_destroy;
        if (funnel_query_totals (query, scope, period, true, &months, &totals, error,
                                 sizeof error) != 0) {
            fprintf (stderr, "salesctl %s: %s\n", s_command, error);
            goto out_destroy;
        }
    } while ((again = salesctl_complete_end (&complete, session.redis)) == 1);
    if (again != 0)
        goto out_destroy;
    funnel_report_t report;
    funnel_report_compute (funnel_query_definition (query), &totals, &report);
    funnel_render_context_t context = {
        funnel_query_definition (query), funnel_query_version (query),  scope, period, &months,
        funnel_query_currency (query),   funnel_query_time_zone (query)
    };
    if (json) {
        json_t *document = funnel_render_report_json (&context, &report);
        char *text = document && salesctl_complete_json (&complete, document) == 0
                         ? funnel_render_json_text (document)
                         : NULL;
        json_decref (document);
        if (!text) {
            fprintf (stderr, "salesctl %s: out of memory writing JSON\n", s_command);
            goto out_destroy;
        }
        printf ("%s\n", text);
        free (text);
    }
    else {
        salesctl_complete_text (&complete, stdout);
        if (funnel_render_report_text (stdout, &context, &report, isatty (STDOUT_FILENO) == 1) !=
            0) {
            fprintf (stderr, "salesctl %s: could not write the report\n", s_command);
            goto out_destroy;
        }
    }
    exit_code = fflush (stdout) == 0 ? salesctl_complete_exit (&complete) : SALESCTL_EXIT_FAILURE;

out_destroy:
    salesctl_complete_close (&complete);
    funnel_report_months_clear (&months);
    salesctl_funnel_close (&session);
    sp_config_destroy (&config);
    return exit_code;
}
