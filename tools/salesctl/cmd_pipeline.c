/*  salesctl pipeline - the open pipeline of a pipeline funnel now, by
    step, with its weighted value and velocity.

        salesctl pipeline [--funnel NAME] [--scope SCOPE] [--period PERIOD] [--json]
                          [--postgres URL] [--redis URL]

    Open entities (no won or lost yet) are counted by the deepest step
    they reached, with their value and value × the step's probability
    (weighted value, rounded half up to minor units). Win rate, average
    won amount and median sales cycle are those of --period (default all),
    and velocity = open × win rate × average won amount / median sales
    cycle in days (minor units per day; null when a factor is missing or
    the cycle is 0). Flags, output forms and failures as `salesctl funnel`
    (cmd_funnel.c); a sequence funnel has no pipeline and is refused.
*/
#include "salesctl.h"

#include "funnel-tracker/funnel_query.h"
#include "funnel-tracker/funnel_render.h"
#include "funnel-tracker/funnel_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char s_command[] = "pipeline";

static const sp_config_option_t s_options[] = {
    { "funnel", NULL, SP_CONFIG_STRING, "default", "the pipeline funnel to report", 0, 0 },
    { "scope", NULL, SP_CONFIG_STRING, "company", "company, region:ID, team:ID or rep:ID", 0, 0 },
    { "period", NULL, SP_CONFIG_STRING, "all",
      "YYYY-MM, YYYY-Qn, YYYY or all: for win rate, won amount and sales cycle", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print one JSON object", 0, 0 },
};

/* Reads and prints the pipeline; 0 or -1 after printing why. */
static int
s_report (funnel_query_t *query, const char *scope, const char *period, bool json)
{
    int rc = -1;
    char error[FUNNEL_QUERY_ERROR_SIZE];
    funnel_report_months_t months = { 0, NULL };
    const funnel_definition_t *definition = funnel_query_definition (query);
    if (funnel_definition_mode (definition) != FUNNEL_STEPS_MODE_PIPELINE) {
        fprintf (stderr,
                 "salesctl %s: funnel \"%s\" counts in sequence mode: it has no pipeline "
                 "(see salesctl funnel)\n",
                 s_command, funnel_definition_name (definition));
        return -1;
    }
    funnel_report_totals_t totals;
    funnel_report_open_t open;
    if (funnel_query_totals (query, scope, period, false, &months, &totals, error, sizeof error) !=
            0 ||
        funnel_query_open_pipeline (query, scope, &open, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        goto out_clear_months;
    }
    funnel_report_t report;
    funnel_report_pipeline_t pipeline;
    funnel_report_compute (definition, &totals, &report);
    funnel_report_pipeline (definition, &open, &report, &pipeline);
    funnel_render_context_t context = { definition,
                                        funnel_query_version (query),
                                        scope,
                                        period,
                                        &months,
                                        funnel_query_currency (query),
                                        funnel_query_time_zone (query) };
    if (json) {
        json_t *document = funnel_render_pipeline_json (&context, &pipeline);
        char *text = document ? funnel_render_json_text (document) : NULL;
        json_decref (document);
        if (!text) {
            fprintf (stderr, "salesctl %s: out of memory writing JSON\n", s_command);
            goto out_clear_months;
        }
        printf ("%s\n", text);
        free (text);
    }
    else if (funnel_render_pipeline_text (stdout, &context, &pipeline,
                                          isatty (STDOUT_FILENO) == 1) != 0) {
        fprintf (stderr, "salesctl %s: could not write the report\n", s_command);
        goto out_clear_months;
    }
    rc = fflush (stdout) == 0 ? 0 : -1;

out_clear_months:
    funnel_report_months_clear (&months);
    return rc;
}

int
salesctl_pipeline (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Show a pipeline funnel's open entities by step with value and weighted value, win rate, "
        "average won amount, median sales cycle and velocity.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    salesctl_funnel_t session;
    const char *scope = sp_config_string (config, "scope");
    const char *period = sp_config_string (config, "period");
    if (salesctl_funnel_open (config, s_command, &session) != 0)
        goto out_destroy;
    funnel_query_t *query = session.query;
    if (s_report (query, scope, period, sp_config_bool (config, "json")) == 0)
        exit_code = SALESCTL_EXIT_OK;

out_destroy:
    salesctl_funnel_close (&session);
    sp_config_destroy (&config);
    return exit_code;
}
