/*  salesctl health - a customer's health score, explained.

        salesctl health --customer ID [--as-of DATE] [--history DAYS] [--json]
                        [--wait] [--timeout SECONDS] [--postgres URL] [--redis URL]

    Reads the customer's state from churn-alerting's Redis (the partition
    of its customer_id), the health model in force from PostgreSQL (the
    built-in default when none is loaded) and the customer's tier from the
    "customers" reference data (kpi-evaluator's kind; none: no tier), and
    scores it with churn_score_evaluate as of DATE (YYYY-MM-DD, a local day
    of churn-alerting's time zone). Without --as-of the day is the one of
    the partition's event-time watermark (the latest occurred_at
    churn-alerting applied there): the answer depends on the events only,
    so a replay of the log gives the same. The population's typical
    interval between orders is not computed yet; the model's
    default_interval_days stands in (docs/churn-alerting.md).

    Text: the score and band, each measure with its value, score, weight
    and whether it has data, the factors (what pulls the score down most
    first), the typical interval and its source, the last order day. With
    --json one object {"customer_id", "partition", "as_of", "as_of_source"
    ("given" or "watermark"), "watermark", "model": {"name", "version"},
    "currency", "time_zone", "first_day", "tier", "score", "band",
    "weight", "interval": {"source", "days"}, "last_order_day",
    "measures": {...}, "factors": [{"measure", "value", "score",
    "weight"}]} (churn_query.h), and with --history DAYS "history":
    [{"as_of", "score", "band"}] of the DAYS days ending at the as-of day,
    oldest first, each scored as of itself. "completeness" (and in text a
    line `incomplete: ...` first) says whether churn-alerting's state held
    the whole log, every partition's (salesctl_complete.h); --wait
    [--timeout SECONDS] waits until it does, exit 3 when it still did not
    at the timeout.
*/
#include "salesctl.h"
#include "salesctl_complete.h"

#include "churn-alerting/churn_keys.h"
#include "churn-alerting/churn_model.h"
#include "churn-alerting/churn_query.h"
#include "kpi-evaluator/kpi_reference.h"
#include "sp_civil.h"
#include "sp_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_command[] = "health";

static const sp_config_option_t s_options[] = {
    { "customer", NULL, SP_CONFIG_STRING, NULL, "the customer_id to score (required)", 0, 0 },
    { "as-of", NULL, SP_CONFIG_STRING, "",
      "score as of this local day, YYYY-MM-DD (default: the day of the customer's partition "
      "watermark, in event time)",
      0, 0 },
    { "history", NULL, SP_CONFIG_INT, "0",
      "also the scores of the last DAYS days up to the as-of day, each as of itself", 0,
      CHURN_QUERY_HISTORY_DAYS_MAX },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print one JSON object", 0, 0 },
    SALESCTL_COMPLETE_OPTIONS,
};

/* The customer's tier in the customers reference data, 0 when none.
   Returns 0, or -1 after printing why. */
static int
s_tier (sp_pg_t *pg, const char *customer, char *tier)
{
    char error[KPI_QUERY_ERROR_SIZE];
    kpi_reference_t *reference =
        kpi_reference_load (pg, KPI_REFERENCE_CUSTOMERS, error, sizeof error);
    if (!reference) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        return -1;
    }
    *tier = kpi_customers_tier (kpi_reference_customers (reference), customer);
    kpi_reference_destroy (&reference);
    return 0;
}

/* The document of the JSON output (NULL when out of memory). */
static json_t *
s_document (const churn_query_t *query, const char *customer, const churn_query_customer_t *read,
            bool given, const churn_score_t *score, const churn_score_t *history,
            size_t history_count)
{
    const churn_reference_t *reference = churn_query_reference (query);
    char watermark[SP_EVENT_TIME_TEXT_SIZE] = "";
    char first[SP_CIVIL_DATE_LABEL_SIZE] = "";
    int64_t first_day;
    if (read->has_watermark)
        sp_event_time_format (read->watermark_ms, watermark, sizeof watermark);
    if (churn_customer_first_day (read->customer, &first_day))
        sp_civil_date_label (first_day, first);
    json_t *document = json_pack (
        "{s:s, s:I, s:s, s:o, s:{s:s, s:I}, s:s, s:s, s:o}", "customer_id", customer, "partition",
        (json_int_t) read->partition, "as_of_source", given ? "given" : "watermark", "watermark",
        *watermark ? json_string (watermark) : json_null (), "model", "name",
        churn_model_name (churn_reference_model (reference)), "version",
        (json_int_t) churn_reference_version (reference), "currency", churn_query_currency (query),
        "time_zone", churn_query_time_zone (query), "first_day",
        *first ? json_string (first) : json_null ());
    json_t *explained = churn_query_score_json (score);
    if (!document || !explained || json_object_update (document, explained) != 0)
        goto out_no_memory;
    json_decref (explained);
    explained = NULL;
    if (history_count > 0 &&
        json_object_set_new (document, "history",
                             churn_query_history_json (history, history_count)) != 0)
        goto out_no_memory;
    return document;
out_no_memory:
    json_decref (explained);
    json_decref (document);
    return NULL;
}

/* Scores and prints. Returns SALESCTL_EXIT_OK or SALESCTL_EXIT_FAILURE. */
static int
s_show (const sp_config_t *config, const churn_query_t *query, const char *customer,
        const churn_query_customer_t *read, char tier, const salesctl_complete_t *complete)
{
    const char *as_of = sp_config_string (config, "as-of");
    bool given = as_of && *as_of;
    int64_t day = read->watermark_day;
    if (given && (sp_civil_date_parse (as_of, &day) != 0 || day < SP_CIVIL_DAYS_YEAR_ONE)) {
        fprintf (stderr, "salesctl %s: invalid date \"%s\": use YYYY-MM-DD\n", s_command, as_of);
        return SALESCTL_EXIT_FAILURE;
    }
    if (!given && !read->has_watermark) {
        fprintf (stderr, "salesctl %s: partition %u has no watermark: give --as-of\n", s_command,
                 (unsigned) read->partition);
        return SALESCTL_EXIT_FAILURE;
    }
    churn_score_t score;
    if (churn_query_score (query, tier, read->customer, day, &score) != 0) {
        fprintf (stderr, "salesctl %s: --as-of \"%s\" is out of range\n", s_command, as_of);
        return SALESCTL_EXIT_FAILURE;
    }
    size_t count = (size_t) sp_config_int (config, "history");
    churn_score_t *history = count ? calloc (count, sizeof *history) : NULL;
    if (count && !history) {
        fprintf (stderr, "salesctl %s: out of memory\n", s_command);
        return SALESCTL_EXIT_FAILURE;
    }
    int exit_code = SALESCTL_EXIT_FAILURE;
    for (size_t index = 0; index < count; index++)
        if (churn_query_score (query, tier, read->customer, day - (int64_t) (count - 1 - index),
                               &history[index]) != 0) {
            fprintf (stderr, "salesctl %s: --history reaches before 1970-01-01\n", s_command);
            goto out_free;
        }
    if (sp_config_bool (config, "json")) {
        json_t *document = s_document (query, customer, read, given, &score, history, count);
        if (document && salesctl_complete_json (complete, document) != 0) {
            json_decref (document);
            document = NULL;
        }
        if (salesctl_print_json (document) != 0) {
            fprintf (stderr, "salesctl %s: out of memory writing JSON\n", s_command);
            goto out_free;
        }
    }
    else {
        const churn_reference_t *reference = churn_query_reference (query);
        salesctl_complete_text (complete, stdout);
        printf ("customer %s (partition %u), model \"%s\" version %lld, %s, %s\n", customer,
                (unsigned) read->partition, churn_model_name (churn_reference_model (reference)),
                (long long) churn_reference_version (reference), churn_query_currency (query),
                churn_query_time_zone (query));
        churn_query_score_print (stdout, &score);
        if (count) {
            printf ("history:\n");
            churn_query_history_print (stdout, history, count);
        }
    }
    exit_code = fflush (stdout) == 0 ? salesctl_complete_exit (complete) : SALESCTL_EXIT_FAILURE;
out_free:
    free (history);
    return exit_code;
}

int
salesctl_health (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Show a customer's health score as of a day: band, each measure's value, score and "
        "weight, the factors that pull it down, the typical interval between orders and the "
        "last order.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    const char *customer = sp_config_string (config, "customer");
    sp_pg_t *pg = NULL;
    sp_redis_t *redis = NULL;
    churn_query_t *query = NULL;
    churn_query_customer_t read = { 0 };
    salesctl_complete_t complete = { 0 };
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", s_command,
                 sp_config_arg (config, 0));
        goto out_close;
    }
    if (!customer || !*customer || strlen (customer) > SP_EVENT_ID_MAX) {
        fprintf (stderr, "salesctl %s: --customer is required (1..%d bytes)\n", s_command,
                 SP_EVENT_ID_MAX);
        goto out_close;
    }
    uint32_t partitions = 0;
    char error[CHURN_QUERY_ERROR_SIZE];
    char tier = 0;
    pg = salesctl_postgres_connect (config, s_command);
    if (!pg || salesctl_partitions (pg, s_command, &partitions) != 0)
        goto out_close;
    redis = salesctl_redis_connect (config, s_command);
    if (!redis || s_tier (pg, customer, &tier) != 0)
        goto out_close;
    query = churn_query_new (redis, pg, partitions, error, sizeof error);
    if (!query) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        goto out_close;
    }
    if (salesctl_complete_open (config, s_command, CHURN_KEYS_SERVICE, pg,
                                (const char *const[]){ churn_model_kind.kind }, 1, &complete) != 0)
        goto out_close;
    int again;
    do {
        churn_query_customer_clear (&read);
        if (salesctl_complete_begin (&complete, pg, redis) != 0)
            goto out_close;
        if (churn_query_customer (query, customer, &read, error, sizeof error) != 0) {
            fprintf (stderr, "salesctl %s: %s\n", s_command, error);
            goto out_close;
        }
    } while ((again = salesctl_complete_end (&complete, redis)) == 1);
    if (again != 0)
        goto out_close;
    if (!read.customer) {
        fprintf (stderr,
                 "salesctl %s: customer \"%s\" has no health state (partition %u): "
                 "churn-alerting has applied none of its events\n",
                 s_command, customer, (unsigned) read.partition);
        goto out_close;
    }
    exit_code = s_show (config, query, customer, &read, tier, &complete);
out_close:
    salesctl_complete_close (&complete);
    churn_query_customer_clear (&read);
    churn_query_destroy (&query);
    sp_redis_destroy (&redis);
    sp_pg_destroy (&pg);
    sp_config_destroy (&config);
    return exit_code;
}
