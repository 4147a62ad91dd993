/*  salesctl quarantine - lists the events consumers gave up on.

        salesctl quarantine [--postgres URL] [--service NAME] [--limit N] [--json]

    A downstream service's handler that keeps failing on one event retries
    it a few times, then records it in the quarantined_events table
    (migrations/0002_consumer.sql, sp_consumer_log_quarantine) and moves its
    checkpoint past it. This command reads that table through
    sp_consumer_log_quarantined, newest first. Human output is one line per
    row:

        2026-11-23T12:24:12.880Z  funnel-tracker  partition 3  sequence 17  event_id
   "crm:won:7"  deal_won  attempts 3  no stage "negotiation" in the funnel

    With --json, one object per line with every field, as dead-letters.
*/
#include "salesctl.h"
#include "sp_partition.h"

#include "sp_consumer_log.h"
#include "sp_event.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALESCTL_QUARANTINE_LIMIT_MAX 1000000 /* largest --limit */

static const char s_command[] = "quarantine";

static const sp_config_option_t s_options[] = {
    { "service", NULL, SP_CONFIG_STRING, NULL, "only events this service gave up on", 0, 0 },
    { "limit", NULL, SP_CONFIG_INT, "100", "most rows listed", 1, SALESCTL_QUARANTINE_LIMIT_MAX },
    { "json", NULL, SP_CONFIG_BOOL, "false", "one JSON object per row", 0, 0 },
};

/* The row's time in RFC 3339, or "-" when out of the printable range. */
static const char *
s_time (const sp_consumer_log_quarantined_t *row, char *buffer, size_t size)
{
    if (sp_event_time_format (row->quarantined_at, buffer, size) != 0)
        return "-";
    return buffer;
}

static int
s_print_json (const sp_consumer_log_quarantined_t *row)
{
    char time[SP_EVENT_TIME_TEXT_SIZE];
    json_t *object = json_pack ("{s:s, s:s, s:I, s:I, s:s, s:s, s:i, s:s}", "quarantined_at",
                                s_time (row, time, sizeof time), "service", row->service,
                                "partition", (json_int_t) row->partition, "sequence",
                                (json_int_t) row->sequence, "event_id", row->event_id, "type",
                                row->type, "attempts", row->attempts, "error", row->error);
    return salesctl_print_json (object);
}

static void
s_print_human (const sp_consumer_log_quarantined_t *row)
{
    char time[SP_EVENT_TIME_TEXT_SIZE];
    char event_id[SP_EVENT_QUOTE_SIZE];
    sp_event_quote (row->event_id, strlen (row->event_id), event_id, sizeof event_id);
    printf ("%s  %s  partition %u  sequence %llu  event_id \"%s\"  %s  attempts %d  %s\n",
            s_time (row, time, sizeof time), row->service, row->partition,
            (unsigned long long) row->sequence, event_id, row->type, row->attempts, row->error);
}

int
salesctl_quarantine (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "List the events consumer services gave up on (the quarantined_events table), newest "
        "first.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    sp_pg_t *pg = NULL;
    sp_consumer_log_quarantined_t *rows = NULL;
    size_t count = 0;
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", s_command,
                 sp_config_arg (config, 0));
        goto out_destroy_config;
    }
    const char *service = sp_config_string (config, "service");
    if (service && !sp_partition_service_valid (service)) {
        salesctl_service_invalid (s_command, service);
        goto out_destroy_config;
    }
    pg = salesctl_postgres_connect (config, s_command);
    if (!pg)
        goto out_destroy_config;
    char error[SP_CONFIG_ERROR_SIZE];
    if (sp_consumer_log_quarantined (pg, service, (size_t) sp_config_int (config, "limit"), &rows,
                                     &count, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: could not read quarantined_events: %s\n", s_command, error);
        goto out_destroy_pg;
    }
    bool json = sp_config_bool (config, "json");
    for (size_t index = 0; index < count; index++) {
        if (!json)
            s_print_human (&rows[index]);
        else if (s_print_json (&rows[index]) != 0) {
            fprintf (stderr, "salesctl %s: could not write a row as JSON (out of memory)\n",
                     s_command);
            goto out_free_rows;
        }
    }
    if (!json)
        printf ("%zu quarantined event%s%s\n", count, count == 1 ? "" : "s",
                count > 0 ? " (newest first)" : "");
    exit_code = SALESCTL_EXIT_OK;

out_free_rows:
    free (rows);
out_destroy_pg:
    sp_pg_destroy (&pg);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
