/*  salesctl load - loads reference data into PostgreSQL, versioned.

        salesctl load funnel FILE [--postgres URL] [--json]

    The one kind today is a funnel definition (docs/funnels.md). The file
    is read whole (at most SALESCTL_LOAD_FILE_MAX bytes) and validated with
    funnel-tracker's own code before anything connects, so a refused file
    writes nothing; the refusal names the JSON path of the bad value:

        salesctl load funnel: bad.json: field "steps[2].probability": 1.5 is not in 0..1

    A valid definition is stored in its canonical JSON form
    (funnel_definition_to_json) in funnel_definitions
    (migrations/0003_funnels.sql) as the next version of its name, but
    only when that text differs from the latest version's: loading the
    same funnel again, however it is spaced or ordered, changes nothing.
    Reading the latest version and inserting the next happen in one
    transaction holding a transaction-scoped advisory lock on the name, so
    two loads of one name at the same time queue rather than both choosing
    the same version (the first load of a name has no row to lock with
    SELECT ... FOR UPDATE, hence the advisory lock). Output is one line,
    `funnel "default" loaded: version 2` or `funnel "default" unchanged:
    version 2`, or with --json one object {"funnel","version","changed"}.
*/
#include "salesctl.h"

#include "funnel-tracker/funnel_definition.h"
#include "sp_event.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALESCTL_LOAD_FILE_MAX (1024 * 1024) /* largest file loaded, bytes */
#define SALESCTL_LOAD_NUMBER_SIZE 32         /* room for an int64 in decimal */
#define SALESCTL_LOAD_KINDS_SIZE 128         /* room for the list of kinds */

/* Key space of the per-name advisory locks (the two-integer form of
   pg_advisory_xact_lock, which never meets the bigint keys of
   sp_pg_advisory_lock): "FUNL" in ASCII. */
#define SALESCTL_LOAD_FUNNEL_LOCK_CLASS 0x46554e4c

static const char s_command[] = "load";

static const sp_config_option_t s_options[] = {
    { "json", NULL, SP_CONFIG_BOOL, "false", "print the result as one JSON object", 0, 0 },
};

/* $1: lock class, $2: funnel name. */
static const char s_lock_sql[] = "SELECT pg_advisory_xact_lock($1::integer, hashtext($2::text))";

/* $1: funnel name. */
static const char s_latest_sql[] = "SELECT version, definition FROM funnel_definitions "
                                   "WHERE name = $1 ORDER BY version DESC LIMIT 1";

/* $1: funnel name, $2: version, $3: canonical definition. */
static const char s_insert_sql[] =
    "INSERT INTO funnel_definitions (name, version, definition, content_hash) "
    "VALUES ($1, $2::integer, $3, sha256(convert_to($3, 'UTF8')))";

/* Loads one kind of file; file is the path as given. */
typedef int (s_load_fn) (const sp_config_t *config, const char *file);

static int s_load_funnel (const sp_config_t *config, const char *file);

/* The kinds `salesctl load` knows, as its first argument. */
static const struct {
    const char *name; /* the kind's word */
    s_load_fn *load;  /* loads a file of that kind */
} s_kinds[] = {
    { "funnel", s_load_funnel },
};

/* Reads the whole file at path into a malloc'd, NUL-terminated buffer
   (*size bytes before the NUL). Returns it, or NULL after printing why
   (cannot open or read, larger than SALESCTL_LOAD_FILE_MAX, memory). */
static char *
s_read_file (const char *command, const char *path, size_t *size)
{
    char *text = NULL;
    FILE *stream = fopen (path, "rb");
    if (!stream) {
        fprintf (stderr, "salesctl %s: could not open file \"%s\": %s\n", command, path,
                 strerror (errno));
        return NULL;
    }
    /* One byte more than the limit tells a file at the limit from a longer one. */
    text = malloc (SALESCTL_LOAD_FILE_MAX + 2);
    if (!text) {
        fprintf (stderr, "salesctl %s: out of memory reading \"%s\"\n", command, path);
        goto out_close_stream;
    }
    size_t length = fread (text, 1, SALESCTL_LOAD_FILE_MAX + 1, stream);
    if (ferror (stream)) {
        fprintf (stderr, "salesctl %s: could not read file \"%s\": %s\n", command, path,
                 strerror (errno));
        goto out_free_text;
    }
    if (length > SALESCTL_LOAD_FILE_MAX) {
        fprintf (stderr, "salesctl %s: file \"%s\" is larger than %d bytes\n", command, path,
                 SALESCTL_LOAD_FILE_MAX);
        goto out_free_text;
    }
    text[length] = '\0';
    *size = length;
    fclose (stream);
    return text;

out_free_text:
    free (text);
    text = NULL;
out_close_stream:
    fclose (stream);
    return text;
}

/* Stores canonical as the next version of name unless the latest version
   holds the same text, in one transaction under the name's lock. Sets
   *version to the latest version afterwards and *changed to whether this
   call added it. Returns 0, or -1 after printing why (rolled back). */
static int
s_store (sp_pg_t *pg, const char *command, const char *name, const char *canonical,
         int64_t *version, bool *changed)
{
    int rc = -1;
    sp_pg_result_t *result = NULL;
    if (sp_pg_begin (pg) != 0) {
        fprintf (stderr, "salesctl %s: could not begin a transaction: %s\n", command,
                 sp_pg_error (pg));
        return -1;
    }
    char lock_class[SALESCTL_LOAD_NUMBER_SIZE];
    snprintf (lock_class, sizeof lock_class, "%d", SALESCTL_LOAD_FUNNEL_LOCK_CLASS);
    result = sp_pg_exec (pg, s_lock_sql, 2, (const char *[]){ lock_class, name }, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        fprintf (stderr, "salesctl %s: could not lock funnel \"%s\": %s\n", command, name,
                 sp_pg_result_error (result));
        goto out_rollback;
    }
    sp_pg_result_destroy (&result);

    result = sp_pg_exec (pg, s_latest_sql, 1, (const char *[]){ name }, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        fprintf (stderr, "salesctl %s: could not read funnel_definitions: %s\n", command,
                 sp_pg_result_error (result));
        goto out_rollback;
    }
    int64_t latest = 0;
    if (sp_pg_result_rows (result) == 1) {
        if (sp_pg_result_int64 (result, 0, 0, &latest) != 0) {
            fprintf (stderr, "salesctl %s: invalid version \"%s\" of funnel \"%s\"\n", command,
                     sp_pg_result_value (result, 0, 0), name);
            goto out_rollback;
        }
        if (strcmp (sp_pg_result_value (result, 0, 1), canonical) == 0) {
            *version = latest;
            *changed = false;
            rc = 0;
            goto out_rollback;
        }
    }
    sp_pg_result_destroy (&result);

    char next[SALESCTL_LOAD_NUMBER_SIZE];
    snprintf (next, sizeof next, "%lld", (long long) (latest + 1));
    result =
        sp_pg_exec (pg, s_insert_sql, 3, (const char *[]){ name, next, canonical }, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        fprintf (stderr, "salesctl %s: could not store version %s of funnel \"%s\": %s\n", command,
                 next, name, sp_pg_result_error (result));
        goto out_rollback;
    }
    sp_pg_result_destroy (&result);
    if (sp_pg_commit (pg) != 0) {
        fprintf (stderr, "salesctl %s: could not commit version %s of funnel \"%s\": %s\n", command,
                 next, name, sp_pg_error (pg));
        return -1;
    }
    *version = latest + 1;
    *changed = true;
    return 0;

out_rollback:
    /* Also the end of an unchanged load: it only read. */
    sp_pg_result_destroy (&result);
    sp_pg_rollback (pg);
    return rc;
}

static int
s_load_funnel (const sp_config_t *config, const char *file)
{
    const char *command = "load funnel";
    int exit_code = SALESCTL_EXIT_FAILURE;
    funnel_definition_t *definition = NULL;
    char *canonical = NULL;
    sp_pg_t *pg = NULL;
    int64_t version = 0;
    bool changed = false;
    size_t size = 0;
    char *text = s_read_file (command, file, &size);
    if (!text)
        return exit_code;
    char error[FUNNEL_DEFINITION_ERROR_SIZE];
    definition = funnel_definition_new (text, size, error, sizeof error);
    if (!definition) {
        fprintf (stderr, "salesctl %s: %s: %s\n", command, file, error);
        goto out_free_text;
    }
    canonical = funnel_definition_to_json (definition);
    if (!canonical) {
        fprintf (stderr, "salesctl %s: out of memory writing the canonical form\n", command);
        goto out_destroy_definition;
    }
    const char *name = funnel_definition_name (definition);
    pg = salesctl_postgres_connect (config, command);
    if (!pg)
        goto out_free_canonical;
    if (s_store (pg, command, name, canonical, &version, &changed) != 0)
        goto out_destroy_pg;
    if (sp_config_bool (config, "json")) {
        json_t *object = json_pack ("{s:s, s:I, s:b}", "funnel", name, "version",
                                    (json_int_t) version, "changed", changed);
        if (salesctl_print_json (object) != 0) {
            fprintf (stderr, "salesctl %s: out of memory writing JSON\n", command);
            goto out_destroy_pg;
        }
    }
    else
        printf ("funnel \"%s\" %s: version %lld\n", name, changed ? "loaded" : "unchanged",
                (long long) version);
    exit_code = SALESCTL_EXIT_OK;

out_destroy_pg:
    sp_pg_destroy (&pg);
out_free_canonical:
    free (canonical);
out_destroy_definition:
    funnel_definition_destroy (&definition);
out_free_text:
    free (text);
    return exit_code;
}

/* "funnel" (or "funnel, widget" as more kinds come), into buffer. */
static const char *
s_kind_names (char *buffer, size_t size)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (size_t index = 0; index < sizeof s_kinds / sizeof s_kinds[0]; index++) {
        int written = snprintf (buffer + used, size - used, "%s%s", index > 0 ? ", " : "",
                                s_kinds[index].name);
        if (written < 0 || (size_t) written >= size - used)
            break;
        used += (size_t) written;
    }
    return buffer;
}

int
salesctl_load (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Load a file of reference data into PostgreSQL as a new version: `salesctl load funnel "
        "FILE.json` validates a funnel definition (docs/funnels.md) and stores it when it "
        "changed.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    char kinds[SALESCTL_LOAD_KINDS_SIZE];
    s_kind_names (kinds, sizeof kinds);
    size_t count = sp_config_arg_count (config);
    if (count < 2) {
        fprintf (stderr,
                 "salesctl %s: expected a kind and a file: salesctl load KIND FILE (kinds: %s)\n",
                 s_command, kinds);
        goto out_destroy_config;
    }
    if (count > 2) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", s_command,
                 sp_config_arg (config, 2));
        goto out_destroy_config;
    }
    const char *kind = sp_config_arg (config, 0);
    for (size_t index = 0; index < sizeof s_kinds / sizeof s_kinds[0]; index++)
        if (strcmp (s_kinds[index].name, kind) == 0) {
            exit_code = s_kinds[index].load (config, sp_config_arg (config, 1));
            goto out_destroy_config;
        }
    char quoted[SP_EVENT_QUOTE_SIZE];
    sp_event_quote (kind, strlen (kind), quoted, sizeof quoted);
    fprintf (stderr, "salesctl %s: unknown kind \"%s\": expected one of: %s\n", s_command, quoted,
             kinds);

out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
