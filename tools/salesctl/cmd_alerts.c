/*  salesctl alerts - churn alerts: the history, what fires now, or a live
    feed.

        salesctl alerts [--postgres URL] [--json] [--firing | --after SEQ]
                        [--customer ID] [--severity critical|warning]
                        [--region R] [--team T]
                        [--follow [--endpoint E] [--timeout SECONDS]]

    Without --follow: every alert stored, oldest first (--after SEQ: those
    after SEQ), or with --firing the latest alert of every identity
    (customer, rule) firing now, from PostgreSQL (churn_alerts and
    churn_alert_conditions, migrations/0010_churn_alerts.sql). --customer,
    --severity, --region and --team keep only the alerts of that customer,
    severity, owner region or owner team (all that are given).

    With --follow, the Clone pattern (salesctl_follow.h): subscribe to
    churn-alerting's alerts PUB socket (--endpoint, comma-separated for
    several instances) first, then print the same snapshot, then every
    alert received after it, reading back from PostgreSQL what skipped a
    sequence; each alert once, in alert_seq order. --timeout N stops after
    N seconds (0: until Ctrl-C).

    Human output, one line per alert (fields two spaces apart):

        #3 FIRING    cust-stop  overdue  critical  fire  2025-08-17  score 79 yellow
            63 days since the last order (typical 31)  top factor recency
            rep rep-ana  team team-north  region emea

    (on one line; docs/churn-alerting.md; the owner's rep, team and region
    those the alert names), then (without --follow) a count. --json: one object per alert and line
   (churn_alert_json).
*/
#include "salesctl.h"

#include "churn-alerting/churn_alert.h"
#include "churn-alerting/churn_alert_store.h"
#include "churn-alerting/churn_scorer.h"
#include "sp_civil.h"
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define S_TIMEOUT_MAX 31536000                        /* --timeout: a year of seconds */
#define S_FIGURES_SIZE 128                            /* the score or interval part of a line */
#define S_OWNER_SIZE (32 + 3 * CHURN_ALERT_OWNER_MAX) /* the owner part of a line */

static const char s_command[] = "alerts";

static const sp_config_option_t s_options[] = {
    { "json", NULL, SP_CONFIG_BOOL, "false", "one JSON object per alert", 0, 0 },
    { "firing", NULL, SP_CONFIG_BOOL, "false", "the alerts firing now instead of the history", 0,
      0 },
    { "after", NULL, SP_CONFIG_INT, NULL, "the alerts after this alert_seq, oldest first", 0,
      INT64_MAX },
    { "customer", NULL, SP_CONFIG_STRING, "", "only the alerts of this customer", 0, 0 },
    { "severity", NULL, SP_CONFIG_STRING, "", "only the alerts of this severity: critical, warning",
      0, 0 },
    { "region", NULL, SP_CONFIG_STRING, "", "only the alerts whose owner is in this region", 0, 0 },
    { "team", NULL, SP_CONFIG_STRING, "", "only the alerts whose owner is in this team", 0, 0 },
    { "follow", NULL, SP_CONFIG_BOOL, "false",
      "then print each new alert as churn-alerting publishes it", 0, 0 },
    { "endpoint", CHURN_SCORER_ENDPOINT_ENV, SP_CONFIG_STRING, CHURN_SCORER_ENDPOINT,
      "churn-alerting's alerts PUB endpoint(s) to subscribe to with --follow", 0, 0 },
    { "timeout", NULL, SP_CONFIG_INT, "0",
      "with --follow, stop after this many seconds (0: until Ctrl-C)", 0, S_TIMEOUT_MAX },
};

/* The filters of one run. */
typedef struct {
    const char *customer;            /* "" any */
    const char *region;              /* owner region, "" any */
    const char *team;                /* owner team, "" any */
    bool by_severity;                /* --severity given */
    churn_rules_severity_t severity; /* its value */
} s_filter_t;

/* salesctl_listing_t keep: the filters. */
static bool
s_keep (const void *record, const void *arg)
{
    const churn_alert_t *alert = (const churn_alert_t *) record;
    const s_filter_t *filter = (const s_filter_t *) arg;
    if (*filter->customer && strcmp (alert->customer_id, filter->customer) != 0)
        return false;
    if (*filter->region && strcmp (alert->owner_region, filter->region) != 0)
        return false;
    if (*filter->team && strcmp (alert->owner_team, filter->team) != 0)
        return false;
    return !filter->by_severity || alert->severity == filter->severity;
}

/* Appends "  <label> <value>" to buffer (size bytes) when value is set. */
static void
s_owner_part (char *buffer, size_t size, const char *label, const char *value)
{
    size_t used = strlen (buffer);
    if (*value && used < size)
        snprintf (buffer + used, size - used, "  %s %s", label, value);
}

/* salesctl_listing_t print: one churn_alert_t. */
static int
s_print (const void *record, bool json)
{
    const churn_alert_t *alert = (const churn_alert_t *) record;
    if (json)
        return salesctl_print_json (churn_alert_json (alert));
    char day[CHURN_ALERT_DAY_SIZE], score[S_FIGURES_SIZE], interval[S_FIGURES_SIZE] = "";
    char owner[S_OWNER_SIZE] = "";
    sp_civil_date_label (alert->day, day);
    if (alert->has_score)
        snprintf (score, sizeof score, "score %d %s", alert->score,
                  churn_score_band_name (alert->band));
    else
        snprintf (score, sizeof score, "not scored");
    if (alert->has_interval)
        snprintf (interval, sizeof interval,
                  "  %" PRId64 " days since the last order (typical %" PRId64 ")",
                  alert->days_since_order, alert->typical_interval_days);
    s_owner_part (owner, sizeof owner, "rep", alert->owner_rep);
    s_owner_part (owner, sizeof owner, "team", alert->owner_team);
    s_owner_part (owner, sizeof owner, "region", alert->owner_region);
    churn_alert_state_t state = churn_alert_state (alert->action);
    printf ("#%" PRId64 " %-9s %s  %s  %s  %s  %s  %s%s%s%s%s\n", alert->sequence,
            state == CHURN_ALERT_FIRING ? "FIRING" : "RESOLVED", alert->customer_id,
            churn_rules_rule_name (alert->rule), churn_rules_severity_name (alert->severity),
            churn_lifecycle_action_name (alert->action), day, score, interval,
            alert->factor_count ? "  top factor " : "",
            alert->factor_count ? churn_model_measure_name (alert->factors[0].measure) : "", owner);
    return 0;
}

/* salesctl_listing_t read: a ChurnAlert into a churn_alert_t. */
static int
s_read (const ProtobufCMessage *message, void *record, int64_t *sequence, char *error,
        size_t error_size)
{
    churn_alert_t *alert = (churn_alert_t *) record;
    if (churn_alert_from_message ((const Salespulse__ChurnAlert *) message, alert, error,
                                  error_size) != 0)
        return -1;
    *sequence = alert->sequence;
    return 0;
}

int
salesctl_alerts (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Show churn alerts: the history (--after), the alerts firing now (--firing), or a live "
        "feed (--follow).",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    s_filter_t filter = { .customer = sp_config_string (config, "customer"),
                          .region = sp_config_string (config, "region"),
                          .team = sp_config_string (config, "team") };
    const char *severity = sp_config_string (config, "severity");
    if (severity && *severity) {
        filter.by_severity = true;
        if (churn_rules_severity_parse (severity, &filter.severity) != 0) {
            fprintf (stderr, "salesctl %s: unknown severity \"%s\": use critical or warning\n",
                     s_command, severity);
            goto out_destroy;
        }
    }
    const salesctl_listing_t listing = {
        .command = s_command,
        .noun = "alert",
        .mode = "firing",
        .firing_by_default = false,
        .store = churn_alert_store_tables (),
        .print = s_print,
        .topic = CHURN_ALERT_TOPIC_PREFIX,
        .descriptor = &salespulse__churn_alert__descriptor,
        .message_max = CHURN_ALERT_MESSAGE_MAX,
        .read = s_read,
        .keep = s_keep,
        .keep_arg = &filter,
    };
    exit_code = salesctl_listing_run (config, &listing);
out_destroy:
    sp_config_destroy (&config);
    return exit_code;
}
