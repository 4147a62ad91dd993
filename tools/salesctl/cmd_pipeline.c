/*  salesctl pipeline - the open pipeline of a pipeline funnel now, by
    step, with its weighted value and velocity.

        salesctl pipeline [--funnel NAME] [--scope SCOPE] [--period PERIOD] [--json]
                          [--wait] [--timeout SECONDS] [--postgres URL] [--redis URL]

    Open entities (no won or lost yet) are counted by the deepest step
    they reached, with their value and value × the step's probability
    (weighted value, rounded half up to minor units). Win rate, average
    won amount and median sales cycle are those of --period (default all),
    and velocity = open × win rate × average won amount / median sales
    cycle in days (minor units per day; null when a factor is missing or
    the cycle is 0). Flags, output forms, the completeness mark, --wait
    and failures as `salesctl funnel` (cmd_funnel.c); a sequence funnel
    has no pipeline and is refused.
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

static const char s_command[] = "pipeline";

static const sp_config_option_t s_options[] = {
    { "funnel", NULL, SP_CONFIG_STRING, "default", "the pipeline funnel to report", 0, 0 },
    { "scope", NULL, SP_CONFIG_STRING, "company", "company, region:ID, team:ID or rep:ID", 0, 0 },
    { "period", NULL, SP_CONFIG_STRING, "all",
      "YYYY-MM, YYYY-Qn, YYYY or all: for win rate, won amount and sales cycle", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print one JSON object", 0, 0 },
    SALESCTL_COMPLETE_OPTIONS,
};

/* Reads and prints the pipeline, marked by complete; 0 or -1 after
   printing why. */
static int
s_report (salesctl_funnel_t *session, salesctl_complete_t *complete, const char *scope,
          const char *period, bool json)
{
    int rc = -1;
    funnel_query_t *query = session->query;
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
    int again;
    do {
        funnel_report_months_clear (&months);
        if (salesctl_complete_begin (complete, session->pg, session->redis) != 0)
            goto out_clear_months;
        if (funnel_query_totals (query, scope, period, false, &months, &totals, error,
                                 sizeof error) != 0 ||
            funnel_query_open_pipeline (query, scope, &open, error, sizeof error) != 0) {
            fprintf (stderr, "salesctl %s: %s\n", s_command, error);
            goto out_clear_months;
        }
    } while ((again = salesctl_complete_end (complete, session->redis)) == 1);
    if (again != 0)
        goto out_clear_months;
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
        char *text = document && salesctl_complete_json (complete, document) == 0
                         ? funnel_render_json_text (document)
                         : NULL;
        json_decref (document);
        if (!text) {
            fprintf (stderr, "salesctl %s: out of memory writing JSON\n", s_command);
            goto out_clear_months;
        }
        printf ("%s\n", text);
        free (text);
    }
    else {
        salesctl_complete_text (complete, stdout);
        if (funnel_render_pipeline_text (stdout, &context, &pipeline,
                                         isatty (STDOUT_FILENO) == 1) != 0) {
            fprintf (stderr, "salesctl %s: could not write the report\n", s_command);
            goto out_clear_months;
        }
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
    salesctl_complete_t complete = { 0 };
    const char *scope = sp_config_string (config, "scope");
    const char *period = sp_config_string (config, "period");
    if (salesctl_funnel_open (config, s_command, &session) != 0 ||
        salesctl_complete_open (config, s_command, FUNNEL_KEYS_SERVICE, session.pg,
                                (const char *const[]){ funnel_catalog_kind.kind }, 1,
                                &complete) != 0)
        goto out_destroy;
    if (s_report (&session, &complete, scope, period, sp_config_bool (config, "json")) == 0)
        exit_code = salesctl_complete_exit (&complete);

out_destroy:
    salesctl_complete_close (&complete);
    salesctl_funnel_close (&session);
    sp_config_destroy (&config);
    return exit_code;
}
