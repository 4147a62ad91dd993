/*  salesctl close-period - closes a period for every service that keeps
    period records.

        salesctl close-period --period PERIOD [--closed-by WHO] [--json]
                              [--postgres URL] [--redis URL]

    PERIOD is a week, month, quarter or year ("2017-W05", "2017-05",
    "2017-Q2", "2017") that has ended, cut in the services' time zone.
    In one PostgreSQL transaction it records the close (period_closes),
    kpi-evaluator's snapshot of every scope's KPIs as of the period's
    last day (kpi_close.h: the company, every scope that counted
    something and every node of the org) and incentive-calculator's
    statement of every rep credited (incentive_close.h; months, quarters
    and years), each with the next sequence of the incentive-statements
    outbox stream, published by incentive-calculator as
    incentive.statement.<rep>. A service that has counted nothing in this
    Redis has no part. incentive-calculator must have applied the whole
    log: otherwise the close is refused, as it would lock partial
    statements. A period closes once: a second close is refused, naming
    when and by whom. Afterwards `salesctl kpi` of the period shows each
    KPI's snapshot ("closed_actual") next to the live actual, and
    `salesctl statement` the stored statement byte for byte; later events
    of the period show as adjustments. Output: `period 2017-Q2 closed at
    ... by ...: 42 scopes snapshotted, 35 statements stored`, or with
    --json {"period", "closed_at", "closed_by", "scopes", "statements"}.
*/
#include "salesctl.h"

#include "incentive-calculator/incentive_close.h"
#include "kpi-evaluator/kpi_close.h"
#include "sp_consumer_config.h"
#include "sp_partition.h"

#include <stdio.h>

static const char s_command[] = "close-period";

#define S_WHO_SIZE 129

static const sp_config_option_t s_options[] = {
    { "period", NULL, SP_CONFIG_STRING, NULL,
      "the period to close: YYYY-Www, YYYY-MM, YYYY-Qn or YYYY (required)", 0, 0 },
    { "closed-by", "SP_LOADED_BY", SP_CONFIG_STRING, NULL,
      "who closes it, recorded with the close (default: $USER@host)", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print the result as one JSON object", 0, 0 },
};

/* True when service has written its config record in redis: it has
   counted something here. -1 after printing why when Redis failed. */
static int
s_has_state (sp_redis_t *redis, const char *service)
{
    char key[SP_PARTITION_KEY_MAX];
    sp_consumer_config_key (key, sizeof key, service);
    char error[256];
    sp_redis_reply_t *reply =
        sp_redis_command (redis, 2, (const char *[]){ "EXISTS", key }, NULL, error, sizeof error);
    if (!reply || sp_redis_reply_type (reply) != SP_REDIS_REPLY_INTEGER) {
        fprintf (stderr, "salesctl %s: Redis: %s\n", s_command, reply ? "EXISTS failed" : error);
        sp_redis_reply_destroy (&reply);
        return -1;
    }
    int exists = sp_redis_reply_integer (reply) > 0;
    sp_redis_reply_destroy (&reply);
    return exists;
}

/* kpi_close_part_fn: incentive-calculator's statements. */
static int
s_store_statements (void *arg, sp_pg_t *pg, const sp_period_t *period, char *error,
                    size_t error_size)
{
    (void) period;
    return incentive_close_store (arg, pg, error, error_size);
}

int
salesctl_close_period (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Close a period that has ended: snapshot every scope's KPIs and lock every rep's "
        "commission statement in PostgreSQL; later events of the period show as adjustments.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    const char *label = sp_config_string (config, "period");
    salesctl_kpi_t session = { 0 };
    sp_pg_t *pg = NULL;
    sp_redis_t *redis = NULL;
    incentive_query_t *incentive = NULL;
    incentive_close_t *statements = NULL;
    uint32_t partitions = 0;
    char error[INCENTIVE_CLOSE_ERROR_SIZE];
    if (!label) {
        fprintf (stderr, "salesctl %s: --period is required (e.g. --period 2017-Q2)\n", s_command);
        goto out;
    }
    pg = salesctl_postgres_connect (config, s_command);
    if (!pg || salesctl_partitions (pg, s_command, &partitions) != 0)
        goto out;
    redis = salesctl_redis_connect (config, s_command);
    int kpi = redis ? s_has_state (redis, "kpi-evaluator") : -1;
    int incentives = redis ? s_has_state (redis, "incentive-calculator") : -1;
    if (kpi < 0 || incentives < 0)
        goto out;
    if (!kpi && !incentives) {
        fprintf (stderr,
                 "salesctl %s: neither kpi-evaluator nor incentive-calculator has counted "
                 "anything in this Redis: nothing to close\n",
                 s_command);
        goto out;
    }
    sp_period_t period;
    if (kpi) {
        if (salesctl_kpi_open (config, s_command, 0,
                               KPI_REFERENCE_ORG | KPI_REFERENCE_TARGETS | KPI_REFERENCE_SCORECARD,
                               NULL, label, NULL, &session) != 0)
            goto out;
        period = session.period;
    }
    if (incentives) {
        incentive = incentive_query_new (redis, pg, partitions, error, sizeof error);
        if (!incentive) {
            fprintf (stderr, "salesctl %s: incentive-calculator: %s\n", s_command, error);
            goto out;
        }
        if (!kpi && sp_period_parse (incentive_query_tz (incentive), label, &period, error,
                                     sizeof error) != 0) {
            fprintf (stderr, "salesctl %s: --period: %s\n", s_command, error);
            goto out;
        }
        /* statements are per month, quarter or year; a week has none */
        if (period.kind != SP_PERIOD_WEEK && period.kind != SP_PERIOD_DAY) {
            statements = incentive_close_prepare (incentive, period.label, error, sizeof error);
            if (!statements) {
                fprintf (stderr, "salesctl %s: incentive-calculator: %s\n", s_command, error);
                goto out;
            }
        }
    }
    char who[S_WHO_SIZE];
    salesctl_who (sp_config_string (config, "closed-by"), who, sizeof who);
    kpi_close_result_t result;
    if (kpi_close_period (kpi ? session.query : NULL, kpi ? session.pg : pg, &period,
                          salesctl_wall_ms (), who, statements ? s_store_statements : NULL,
                          statements, &result, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        goto out;
    }
    size_t stored = statements ? incentive_close_count (statements) : 0;
    if (sp_config_bool (config, "json")) {
        json_t *document =
            json_pack ("{s:s, s:s, s:s, s:I, s:I}", "period", period.label, "closed_at",
                       result.closed_at, "closed_by", who, "scopes", (json_int_t) result.scopes,
                       "statements", (json_int_t) stored);
        if (salesctl_print_json (document) != 0)
            goto out;
    }
    else
        printf ("period %s closed at %s by %s: %zu scopes snapshotted, %zu statements stored\n",
                period.label, result.closed_at, who, result.scopes, stored);
    exit_code = fflush (stdout) == 0 ? SALESCTL_EXIT_OK : SALESCTL_EXIT_FAILURE;
out:
    incentive_close_destroy (&statements);
    incentive_query_destroy (&incentive);
    salesctl_kpi_close (&session);
    sp_redis_destroy (&redis);
    sp_pg_destroy (&pg);
    sp_config_destroy (&config);
    return exit_code;
}
