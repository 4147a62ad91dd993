/*  salesctl contest - the leaderboard of a plan's SPIFF or contest.

        salesctl contest --plan NAME --spiff ID [--json]
                         [--postgres URL] [--redis URL]

    Ranks every rep the plan applies to (the reps its versions name, and
    every rep credited a role plan applies to) by the SPIFF's eligible
    value in its window (events counted for a fixed amount per event, the
    measure for a rate) and by what the SPIFF pays them, ties broken by who
    reached the value first, then rep id (incentive_contest.h). Each
    standing comes from the rep's statement lines through the window's
    last period, computed as `salesctl statement` computes them, so the
    leaderboard and the statements never disagree; marked complete or
    behind like statements (docs/incentives.md, "Contest leaderboard").
    With --json the document itself (money in minor units).
*/
#include "salesctl.h"
#include "incentive-calculator/incentive_query.h"
#include "sp_money.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sp_config_option_t s_options[] = {
    { "plan", NULL, SP_CONFIG_STRING, NULL, "the plan's name (required)", 0, 0 },
    { "spiff", NULL, SP_CONFIG_STRING, NULL, "the SPIFF's id in the plan (required)", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print the leaderboard as one JSON document", 0, 0 },
};

/* The leaderboard in words. */
static void
s_print (const json_t *root)
{
    const char *currency = salesctl_json_text (root, "currency");
    const char *measure = salesctl_json_text (root, "measure");
    bool money = strcmp (measure, "revenue") == 0 || strcmp (measure, "margin") == 0;
    printf ("contest %s of plan %s: %s on %s, from %s to %s (exclusive; %s to %s)\n",
            salesctl_json_text (root, "spiff"), salesctl_json_text (root, "plan_version"),
            strcmp (salesctl_json_text (root, "pays"), "fixed") == 0 ? "a fixed amount per event"
                                                                     : "a rate",
            measure, salesctl_json_text (root, "from"), salesctl_json_text (root, "to"),
            salesctl_json_text (root, "first_period"), salesctl_json_text (root, "last_period"));
    if (json_is_false (json_object_get (root, "complete")))
        printf ("  incomplete: incentive-calculator has %" PRId64
                " events of the log still to apply\n",
                salesctl_json_number (root, "behind"));
    printf ("  %4s  %-24s %16s %14s %6s\n", "rank", "rep", measure, "earning", "deals");
    const json_t *standings = json_object_get (root, "standings");
    size_t index;
    json_t *standing;
    json_array_foreach (standings, index, standing)
    {
        char value[SALESCTL_MONEY_TEXT_SIZE], earning[SALESCTL_MONEY_TEXT_SIZE];
        if (money)
            salesctl_money (salesctl_json_number (standing, "value"), currency, value);
        else
            snprintf (value, sizeof value, "%" PRId64, salesctl_json_number (standing, "value"));
        printf ("  %4" PRId64 "  %-24s %16s %14s %6" PRId64 "\n",
                salesctl_json_number (standing, "rank"), salesctl_json_text (standing, "rep_id"),
                value,
                salesctl_money (salesctl_json_number (standing, "earning"), currency, earning),
                salesctl_json_number (standing, "deals"));
    }
    printf ("  %zu rep%s, earnings in %s\n", json_array_size (standings),
            json_array_size (standings) == 1 ? "" : "s", currency);
}

int
salesctl_contest (int argc, char **argv)
{
    static const char command[] = "contest";
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Rank the reps of a plan's SPIFF or contest by its eligible value in its window and what "
        "it pays them, computed as their statements are.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    sp_pg_t *pg = NULL;
    sp_redis_t *redis = NULL;
    incentive_query_t *query = NULL;
    char *text = NULL;
    const char *plan = sp_config_string (config, "plan");
    const char *spiff = sp_config_string (config, "spiff");
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", command,
                 sp_config_arg (config, 0));
        goto out;
    }
    if (!plan || !*plan || !spiff || !*spiff) {
        fprintf (stderr, "salesctl %s: --plan and --spiff are required\n", command);
        goto out;
    }
    uint32_t partitions = 0;
    char error[INCENTIVE_QUERY_ERROR_SIZE];
    pg = salesctl_postgres_connect (config, command);
    if (!pg || salesctl_partitions (pg, command, &partitions) != 0)
        goto out;
    redis = salesctl_redis_connect (config, command);
    if (!redis)
        goto out;
    query = incentive_query_new (redis, pg, partitions, error, sizeof error);
    if (query)
        text = incentive_query_contest (query, plan, spiff, error, sizeof error);
    if (!text) {
        fprintf (stderr, "salesctl %s: %s\n", command, error);
        goto out;
    }
    if (sp_config_bool (config, "json"))
        printf ("%s\n", text);
    else {
        json_t *root = json_loads (text, 0, NULL);
        if (!root) {
            fprintf (stderr, "salesctl %s: out of memory\n", command);
            goto out;
        }
        s_print (root);
        json_decref (root);
    }
    exit_code = fflush (stdout) == 0 ? SALESCTL_EXIT_OK : SALESCTL_EXIT_FAILURE;
out:
    free (text);
    incentive_query_destroy (&query);
    sp_redis_destroy (&redis);
    sp_pg_destroy (&pg);
    sp_config_destroy (&config);
    return exit_code;
}
