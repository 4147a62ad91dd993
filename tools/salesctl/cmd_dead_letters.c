/*  salesctl dead-letters - lists the input activity-ingest refused.

        salesctl dead-letters [--postgres URL] [--since T] [--limit N] [--json]

    Reads the dead_letters table (migrations/0001_event_log.sql), newest
    first. --since takes an RFC 3339 time (2025-11-23T09:00:00Z) or a
    duration back from the database's clock: a whole number and a unit,
    s, m, h, d or w (90m, 1h, 7d). Human output is one line per row:

        2025-11-23T12:00:01.250Z  42  source "crm"  event_id "crm:won:7"  time_out_of_window  field
   "occurred_at": ...

    With --json, one object per line with every column; raw (bytes) is
    base64 in "raw_base64". The query takes its values as $n parameters.
*/
#include "salesctl.h"

#include "sp_event.h"
#include "sp_pg.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALESCTL_DEAD_LETTERS_LIMIT_MAX 1000000 /* largest --limit */
#define SALESCTL_NUMBER_SIZE 32                 /* room for an int64 in decimal */
#define SALESCTL_DECIMAL_BASE 10

static const sp_config_option_t s_options[] = {
    { "since", NULL, SP_CONFIG_STRING, NULL,
      "only rows received since an RFC 3339 time or a duration back (30m, 1h, 7d)", 0, 0 },
    { "limit", NULL, SP_CONFIG_INT, "100", "most rows listed", 1, SALESCTL_DEAD_LETTERS_LIMIT_MAX },
    { "json", NULL, SP_CONFIG_BOOL, "false", "one JSON object per row", 0, 0 },
};

/* Columns in the order of s_query. */
enum {
    S_COLUMN_ID = 0,
    S_COLUMN_RECEIVED_AT,
    S_COLUMN_SOURCE,
    S_COLUMN_EVENT_ID,
    S_COLUMN_FIELD,
    S_COLUMN_REASON,
    S_COLUMN_MESSAGE,
    S_COLUMN_RAW_BASE64,
    S_COLUMN_RAW_SIZE,
};

/* $1: received since, UTC ms (or NULL); $2: received in the last N seconds
   by the server's clock (or NULL); $3: row limit. */
static const char s_query[] =
    "SELECT id, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "source, event_id, field, reason, message, translate(encode(raw, 'base64'), E'\\n', ''), "
    "octet_length(raw) "
    "FROM dead_letters "
    "WHERE ($1::bigint IS NULL OR received_at >= to_timestamp($1::bigint / 1000.0)) "
    "AND ($2::bigint IS NULL OR received_at >= now() - $2::bigint * interval '1 second') "
    "ORDER BY received_at DESC, id DESC LIMIT $3::bigint";

/* Seconds in each duration unit. */
static const struct {
    char unit;       /* suffix */
    int64_t seconds; /* its length */
} s_units[] = {
    { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
};

/* Parses --since into either an absolute time (*since_ms) or a duration
   (*seconds_back); the other is left at -1. */
static int
s_parse_since (const char *text, int64_t *since_ms, int64_t *seconds_back)
{
    *since_ms = -1;
    *seconds_back = -1;
    int64_t ms = 0;
    if (sp_event_time_parse (text, &ms) == 0 && ms >= 0) {
        *since_ms = ms;
        return 0;
    }
    size_t length = strlen (text);
    if (length < 2 || text[0] < '0' || text[0] > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    long long number = strtoll (text, &end, SALESCTL_DECIMAL_BASE);
    if (errno != 0 || end != text + length - 1 || number <= 0)
        return -1;
    for (size_t i = 0; i < sizeof s_units / sizeof s_units[0]; i++)
        if (*end == s_units[i].unit) {
            if (number > INT64_MAX / s_units[i].seconds)
                return -1;
            *seconds_back = (int64_t) number * s_units[i].seconds;
            return 0;
        }
    return -1;
}

/* A column as a JSON string, or null. */
static json_t *
s_json_text (const sp_pg_result_t *result, int row, int column)
{
    if (sp_pg_result_is_null (result, row, column))
        return json_null ();
    return json_stringn (sp_pg_result_value (result, row, column),
                         (size_t) sp_pg_result_length (result, row, column));
}

static int
s_print_json (const sp_pg_result_t *result, int row)
{
    int64_t id = 0;
    int64_t raw_size = 0;
    sp_pg_result_int64 (result, row, S_COLUMN_ID, &id);
    sp_pg_result_int64 (result, row, S_COLUMN_RAW_SIZE, &raw_size);
    json_t *object =
        json_pack ("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o}", "id", (json_int_t) id,
                   "received_at", s_json_text (result, row, S_COLUMN_RECEIVED_AT), "source",
                   s_json_text (result, row, S_COLUMN_SOURCE), "event_id",
                   s_json_text (result, row, S_COLUMN_EVENT_ID), "field",
                   s_json_text (result, row, S_COLUMN_FIELD), "reason",
                   s_json_text (result, row, S_COLUMN_REASON), "message",
                   s_json_text (result, row, S_COLUMN_MESSAGE), "raw_size", (json_int_t) raw_size,
                   "raw_base64", s_json_text (result, row, S_COLUMN_RAW_BASE64));
    return salesctl_print_json (object);
}

/* A column quoted for a human line, "-" for NULL. */
static const char *
s_quoted (const sp_pg_result_t *result, int row, int column, char *buffer, size_t size)
{
    if (sp_pg_result_is_null (result, row, column))
        return "-";
    const char *value = sp_pg_result_value (result, row, column);
    char inner[SP_EVENT_QUOTE_SIZE];
    sp_event_quote (value, (size_t) sp_pg_result_length (result, row, column), inner, sizeof inner);
    snprintf (buffer, size, "\"%s\"", inner);
    return buffer;
}

static void
s_print_human (const sp_pg_result_t *result, int row)
{
    char source[SP_EVENT_QUOTE_SIZE + 2];
    char event_id[SP_EVENT_QUOTE_SIZE + 2];
    printf ("%s  %s  source %s  event_id %s  %s  %s  (%s bytes)\n",
            sp_pg_result_value (result, row, S_COLUMN_RECEIVED_AT),
            sp_pg_result_value (result, row, S_COLUMN_ID),
            s_quoted (result, row, S_COLUMN_SOURCE, source, sizeof source),
            s_quoted (result, row, S_COLUMN_EVENT_ID, event_id, sizeof event_id),
            sp_pg_result_value (result, row, S_COLUMN_REASON),
            sp_pg_result_value (result, row, S_COLUMN_MESSAGE),
            sp_pg_result_value (result, row, S_COLUMN_RAW_SIZE));
}

int
salesctl_dead_letters (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config =
        salesctl_config (argc, argv, "List rejected events (the dead_letters table), newest first.",
                         s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    sp_pg_t *pg = NULL;
    sp_pg_result_t *result = NULL;
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl dead-letters: unexpected argument \"%s\"\n",
                 sp_config_arg (config, 0));
        goto out_destroy_config;
    }
    int64_t since_ms = -1;
    int64_t seconds_back = -1;
    const char *since = sp_config_string (config, "since");
    if (since && s_parse_since (since, &since_ms, &seconds_back) != 0) {
        fprintf (stderr,
                 "salesctl dead-letters: invalid value \"%s\" for --since: expected an RFC 3339 "
                 "time (2025-11-23T09:00:00Z) or a duration (30m, 1h, 7d)\n",
                 since);
        goto out_destroy_config;
    }
    char since_text[SALESCTL_NUMBER_SIZE];
    char back_text[SALESCTL_NUMBER_SIZE];
    char limit_text[SALESCTL_NUMBER_SIZE];
    snprintf (since_text, sizeof since_text, "%lld", (long long) since_ms);
    snprintf (back_text, sizeof back_text, "%lld", (long long) seconds_back);
    snprintf (limit_text, sizeof limit_text, "%lld", (long long) sp_config_int (config, "limit"));
    const char *values[] = { since_ms >= 0 ? since_text : NULL,
                             seconds_back >= 0 ? back_text : NULL, limit_text };

    pg = salesctl_postgres_connect (config, "dead-letters");
    if (!pg)
        goto out_destroy_config;
    result = sp_pg_exec (pg, s_query, 3, values, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        fprintf (stderr, "salesctl dead-letters: could not read dead_letters: %s\n",
                 sp_pg_result_error (result));
        goto out_destroy_result;
    }
    bool json = sp_config_bool (config, "json");
    int rows = sp_pg_result_rows (result);
    for (int row = 0; row < rows; row++) {
        if (!json)
            s_print_human (result, row);
        else if (s_print_json (result, row) != 0) {
            fprintf (stderr, "salesctl dead-letters: out of memory writing JSON\n");
            goto out_destroy_result;
        }
    }
    if (!json)
        printf ("%d dead letter%s%s\n", rows, rows == 1 ? "" : "s",
                rows > 0 ? " (newest first)" : "");
    exit_code = SALESCTL_EXIT_OK;

out_destroy_result:
    sp_pg_result_destroy (&result);
    sp_pg_destroy (&pg);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
