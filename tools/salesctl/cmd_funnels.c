/*  salesctl funnels - lists the funnel definitions loaded.

        salesctl funnels [--postgres URL] [--name NAME] [--json]

    Reads the funnel definitions in reference_data (kind "funnel",
    migrations/0005_reference_data.sql, filled by `salesctl load funnel`;
    `salesctl definitions` lists every kind): without --name, the latest version of each
    funnel, by name, which is the version funnel-tracker counts with; with
    --name, every version of that funnel, oldest first. Each stored
    definition is read back with funnel-tracker's own code for its mode and
    step count, so a row that no longer reads as a definition is reported
    rather than shown. Human output is one line per row:

        default  version 2  pipeline  6 steps  loaded 2026-11-23T12:24:12.880Z

    With --json, one object per line: {"funnel","version","mode","steps",
    "loaded_at","sha256"}.
*/
#include "salesctl.h"

#include "funnel-tracker/funnel_definition.h"
#include "sp_event.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char s_command[] = "funnels";

static const sp_config_option_t s_options[] = {
    { "name", NULL, SP_CONFIG_STRING, NULL, "every version of this funnel, oldest first", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "one JSON object per row", 0, 0 },
};

/* Columns of both queries. */
enum {
    S_COLUMN_NAME = 0,
    S_COLUMN_VERSION,
    S_COLUMN_DEFINITION,
    S_COLUMN_LOADED_AT,
    S_COLUMN_SHA256,
};

#define S_COLUMNS                                                                                  \
    "SELECT name, version, document, "                                                             \
    "to_char(loaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "                 \
    "encode(content_hash, 'hex') FROM reference_data WHERE kind = 'funnel' "

/* The latest version of every funnel. */
static const char s_latest_sql[] = S_COLUMNS "ORDER BY name, version DESC";

/* $1: funnel name. Every version of it. */
static const char s_versions_sql[] = S_COLUMNS "AND name = $1 ORDER BY version";

/* Prints row; definition is its stored text, read. */
static int
s_print_row (const sp_pg_result_t *result, int row, const funnel_definition_t *definition,
             bool json)
{
    const char *name = sp_pg_result_value (result, row, S_COLUMN_NAME);
    const char *mode = funnel_definition_mode_name (funnel_definition_mode (definition));
    size_t steps = funnel_definition_step_count (definition);
    const char *loaded_at = sp_pg_result_value (result, row, S_COLUMN_LOADED_AT);
    int64_t version = 0;
    sp_pg_result_int64 (result, row, S_COLUMN_VERSION, &version);
    if (!json) {
        printf ("%s  version %lld  %s  %zu step%s  loaded %s\n", name, (long long) version, mode,
                steps, steps == 1 ? "" : "s", loaded_at);
        return 0;
    }
    json_t *object =
        json_pack ("{s:s, s:I, s:s, s:I, s:s, s:s}", "funnel", name, "version",
                   (json_int_t) version, "mode", mode, "steps", (json_int_t) steps, "loaded_at",
                   loaded_at, "sha256", sp_pg_result_value (result, row, S_COLUMN_SHA256));
    return salesctl_print_json (object);
}

/* Reads every row's definition back and prints the rows, the latest
   version of each name only when latest_only (the rows come ordered by
   name, newest version first). Returns the rows printed, or -1 after
   printing why. */
static int
s_print_rows (const sp_pg_result_t *result, bool latest_only, bool json)
{
    int printed = 0;
    int rows = sp_pg_result_rows (result);
    for (int row = 0; row < rows; row++) {
        const char *name = sp_pg_result_value (result, row, S_COLUMN_NAME);
        if (latest_only && row > 0 &&
            strcmp (name, sp_pg_result_value (result, row - 1, S_COLUMN_NAME)) == 0)
            continue;
        char error[FUNNEL_DEFINITION_ERROR_SIZE];
        funnel_definition_t *definition = funnel_definition_new (
            sp_pg_result_value (result, row, S_COLUMN_DEFINITION),
            (size_t) sp_pg_result_length (result, row, S_COLUMN_DEFINITION), error, sizeof error);
        if (!definition) {
            fprintf (stderr, "salesctl %s: stored version %s of funnel \"%s\" is invalid: %s\n",
                     s_command, sp_pg_result_value (result, row, S_COLUMN_VERSION), name, error);
            return -1;
        }
        int rc = s_print_row (result, row, definition, json);
        funnel_definition_destroy (&definition);
        if (rc != 0) {
            fprintf (stderr, "salesctl %s: out of memory writing JSON\n", s_command);
            return -1;
        }
        printed++;
    }
    return printed;
}

int
salesctl_funnels (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "List the funnel definitions loaded: the latest version of each, or with --name every "
        "version of one.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    sp_pg_t *pg = NULL;
    sp_pg_result_t *result = NULL;
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", s_command,
                 sp_config_arg (config, 0));
        goto out_destroy_config;
    }
    const char *name = sp_config_string (config, "name");
    bool json = sp_config_bool (config, "json");
    pg = salesctl_postgres_connect (config, s_command);
    if (!pg)
        goto out_destroy_config;
    if (name)
        result = sp_pg_exec (pg, s_versions_sql, 1, (const char *[]){ name }, NULL, NULL);
    else
        result = sp_pg_exec (pg, s_latest_sql, 0, NULL, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        fprintf (stderr, "salesctl %s: could not read reference_data: %s\n", s_command,
                 sp_pg_result_error (result));
        goto out_destroy_result;
    }
    if (name && sp_pg_result_rows (result) == 0) {
        char quoted[SP_EVENT_QUOTE_SIZE];
        sp_event_quote (name, strlen (name), quoted, sizeof quoted);
        fprintf (stderr, "salesctl %s: no funnel named \"%s\" is loaded\n", s_command, quoted);
        goto out_destroy_result;
    }
    int printed = s_print_rows (result, name == NULL, json);
    if (printed < 0)
        goto out_destroy_result;
    if (!json && name)
        printf ("%d version%s of funnel \"%s\"\n", printed, printed == 1 ? "" : "s", name);
    else if (!json)
        printf ("%d funnel%s\n", printed, printed == 1 ? "" : "s");
    exit_code = SALESCTL_EXIT_OK;

out_destroy_result:
    sp_pg_result_destroy (&result);
    sp_pg_destroy (&pg);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
