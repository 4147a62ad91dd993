/*  salesctl ack - acknowledges a customer's firing churn alerts.

        salesctl ack CUSTOMER --until DATE [--note TEXT] [--rule RULE]
                     [--by WHO] [--postgres URL] [--json]

    Every alert of CUSTOMER firing now (of RULE only, with --rule) is
    acknowledged until DATE (inclusive) by WHO (default "$USER@host"),
    with the note, in one transaction (churn_alert_store_ack): its repeats
    are muted until then and come back after it. The day of the
    acknowledgement is the alert's last period scored, so DATE must be on
    or after it and at most 366 days later. A resolve while acknowledged
    is sent, and ends the acknowledgement (docs/churn-alerts.md,
    "Acknowledgement"). Nothing firing is an error (exit 1). Prints the
    rules acknowledged, or with --json {"customer_id", "until", "by",
    "rules": [...]}.
*/
#include "salesctl.h"

#include "churn-alerting/churn_alert.h"
#include "churn-alerting/churn_alert_store.h"
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define S_WHO_SIZE 128
#define S_ERROR_SIZE 512

static const char s_command[] = "ack";

static const sp_config_option_t s_options[] = {
    { "until", NULL, SP_CONFIG_STRING, "", "the last day (YYYY-MM-DD) the repeats are muted", 0,
      0 },
    { "note", NULL, SP_CONFIG_STRING, "", "why (up to 256 bytes)", 0, 0 },
    { "rule", NULL, SP_CONFIG_STRING, "",
      "only this rule's alert: red_entry, consecutive_drops, single_drop, overdue", 0, 0 },
    { "by", NULL, SP_CONFIG_STRING, "", "who acknowledges (default $USER@host)", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "one JSON object", 0, 0 },
};

int
salesctl_ack (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv, "Acknowledge a customer's firing churn alerts until a day: repeats muted.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    sp_pg_t *pg = NULL;
    const char *until = sp_config_string (config, "until");
    const char *rule_text = sp_config_string (config, "rule");
    int64_t until_day = 0;
    churn_rules_rule_t rule;
    if (sp_config_arg_count (config) != 1) {
        fprintf (stderr, "salesctl %s: give one customer id\n", s_command);
        goto out_destroy;
    }
    if (!until || churn_alert_day_parse (until, &until_day) != 0) {
        fprintf (stderr, "salesctl %s: --until \"%s\" is not a date YYYY-MM-DD\n", s_command,
                 until ? until : "");
        goto out_destroy;
    }
    bool by_rule = rule_text && *rule_text;
    if (by_rule && churn_rules_rule_parse (rule_text, &rule) != 0) {
        fprintf (stderr, "salesctl %s: unknown rule \"%s\"\n", s_command, rule_text);
        goto out_destroy;
    }
    const char *customer = sp_config_arg (config, 0);
    char who[S_WHO_SIZE];
    salesctl_who (sp_config_string (config, "by"), who, sizeof who);
    const char *note = sp_config_string (config, "note");
    pg = salesctl_postgres_connect (config, s_command);
    if (!pg)
        goto out_destroy;
    char error[S_ERROR_SIZE];
    unsigned rules = 0;
    int acked = churn_alert_store_ack (pg, customer, by_rule ? &rule : NULL, until_day, who,
                                       note && *note ? note : NULL, &rules, error, sizeof error);
    if (acked < 0) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        goto out_destroy;
    }
    if (acked == 0) {
        fprintf (stderr, "salesctl %s: no firing alert of \"%s\"%s%s\n", s_command, customer,
                 by_rule ? " for rule " : "", by_rule ? rule_text : "");
        goto out_destroy;
    }
    if (sp_config_bool (config, "json")) {
        json_t *names = json_array ();
        for (int index = 0; names && index < CHURN_RULES_COUNT; index++)
            if (rules & (1u << index))
                json_array_append_new (
                    names, json_string (churn_rules_rule_name ((churn_rules_rule_t) index)));
        if (salesctl_print_json (json_pack ("{s:s, s:s, s:s, s:o}", "customer_id", customer,
                                            "until", until, "by", who, "rules", names)) != 0)
            goto out_destroy;
    }
    else {
        printf ("acknowledged %d alert%s of %s until %s:", acked, acked == 1 ? "" : "s", customer,
                until);
        for (int index = 0; index < CHURN_RULES_COUNT; index++)
            if (rules & (1u << index))
                printf (" %s", churn_rules_rule_name ((churn_rules_rule_t) index));
        printf ("\n");
    }
    exit_code = SALESCTL_EXIT_OK;
out_destroy:
    sp_pg_destroy (&pg);
    sp_config_destroy (&config);
    return exit_code;
}
