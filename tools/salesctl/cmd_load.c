/*  salesctl load - loads reference data into PostgreSQL, versioned.

        salesctl load KIND FILE [--json] [--if-absent] [--effective-from WHEN]
                                [--loaded-by WHO] [--postgres URL]

    KIND is one of the kinds the services define (salesctl_kind: funnel,
    org, customers, targets, scorecard, health, plans; docs/salesctl.md
    says whose each is). The file is read whole (at most
    SALESCTL_LOAD_FILE_MAX bytes) and validated with the owning service's
    own code before anything connects, so a refused file writes nothing;
    the refusal names the file, the JSON path of the bad value and why:

        salesctl load funnel: bad.json: field "steps[2].probability": 1.5 is not in 0..1

    A valid document is stored in its canonical form as the next version
    of its (kind, name) in reference_data (sp_refdata.h, migration 0005),
    only when that text differs from the latest version's: loading the
    same document again, however spaced or ordered, changes nothing. With
    --if-absent it is stored only when no version of its name exists (how
    `make up` seeds the shipped funnels without undoing an operator's
    newer version). Running services of the kind pick the new version up
    within seconds (docs/reference-data.md). Output is one line,
    `funnel "default" loaded: version 2 (revision 7)` or `funnel "default"
    unchanged: version 2 (revision 5)`, or with --json one object
    {"kind","name","version","revision","changed","warnings"}. A targets
    document is checked against the org loaded last once stored: children
    whose targets do not add up to their parent's are warned about
    (stderr, or "warnings" in JSON), naming the node, the period and the
    difference; the load still succeeds.
*/
#include "salesctl.h"

#include "churn-alerting/churn_model.h"
#include "funnel-tracker/funnel_catalog.h"
#include "incentive-calculator/incentive_plan.h"
#include "kpi-evaluator/kpi_customers.h"
#include "sp_org.h"
#include "kpi-evaluator/kpi_reference.h"
#include "kpi-evaluator/kpi_scorecard.h"
#include "kpi-evaluator/kpi_targets.h"
#include "sp_event.h"
#include "sp_refdata.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SALESCTL_LOAD_FILE_MAX (1024 * 1024) /* largest file loaded, bytes */
#define SALESCTL_LOAD_KINDS_SIZE 256         /* room for the list of kinds */

static const char s_command[] = "load";

static const sp_config_option_t s_options[] = {
    { "json", NULL, SP_CONFIG_BOOL, "false", "print the result as one JSON object", 0, 0 },
    { "if-absent", NULL, SP_CONFIG_BOOL, "false",
      "store only when no version of the document's name exists yet", 0, 0 },
    { "effective-from", NULL, SP_CONFIG_STRING, NULL,
      "for kinds with effective dates: when this version starts to apply (ISO 8601 date or "
      "timestamp; a date alone is midnight UTC)",
      0, 0 },
    { "loaded-by", "SP_LOADED_BY", SP_CONFIG_STRING, NULL,
      "who loads it, recorded with the version (default: $USER@host)", 0, 0 },
};

/* The kinds of reference data, one line per kind a service defines. */
static const sp_refdata_kind_t *const s_kinds[] = {
    &funnel_catalog_kind, &sp_org_kind,      &kpi_customers_kind,  &kpi_targets_kind,
    &kpi_scorecard_kind,  &churn_model_kind, &incentive_plan_kind,
};

const sp_refdata_kind_t *
salesctl_kind (const char *name)
{
    for (size_t index = 0; index < sizeof s_kinds / sizeof s_kinds[0]; index++)
        if (strcmp (s_kinds[index]->kind, name) == 0)
            return s_kinds[index];
    return NULL;
}

const char *
salesctl_kind_names (char *buffer, size_t size)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (size_t index = 0; index < sizeof s_kinds / sizeof s_kinds[0]; index++) {
        int written = snprintf (buffer + used, size - used, "%s%s", index > 0 ? ", " : "",
                                s_kinds[index]->kind);
        if (written < 0 || (size_t) written >= size - used)
            break;
        used += (size_t) written;
    }
    return buffer;
}

size_t
salesctl_kind_count (void)
{
    return sizeof s_kinds / sizeof s_kinds[0];
}

const sp_refdata_kind_t *
salesctl_kind_at (size_t index)
{
    return index < salesctl_kind_count () ? s_kinds[index] : NULL;
}

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

/* kpi_targets_warn_fn: appends the message to a JSON array. */
static void
s_warn (void *arg, const char *message)
{
    json_array_append_new ((json_t *) arg, json_string (message));
}

/* The add-up warnings of a targets document (canonical text) against
   the org loaded (kpi_targets_addup). Returns 0, or -1 with the reason. */
static int
s_targets_warnings (sp_pg_t *pg, const char *canonical, json_t *warnings, char *error,
                    size_t error_size)
{
    kpi_targets_t *targets = kpi_targets_new (canonical, strlen (canonical), error, error_size);
    if (!targets)
        return -1;
    size_t count;
    int rc = kpi_reference_targets_addup (pg, targets, s_warn, warnings, &count, error, error_size);
    kpi_targets_destroy (&targets);
    return rc;
}

static int
s_load (const sp_config_t *config, const sp_refdata_kind_t *kind, const char *file)
{
    char command[SALESCTL_LOAD_KINDS_SIZE];
    snprintf (command, sizeof command, "%s %s", s_command, kind->kind);
    int exit_code = SALESCTL_EXIT_FAILURE;
    const char *effective_from = sp_config_string (config, "effective-from");
    if (effective_from && !kind->effective_dated) {
        fprintf (stderr, "salesctl %s: --effective-from: kind \"%s\" has no effective dates\n",
                 command, kind->kind);
        return exit_code;
    }
    char loaded_by[SP_REFDATA_LOADED_BY_SIZE];
    salesctl_who (sp_config_string (config, "loaded-by"), loaded_by, sizeof loaded_by);
    size_t size = 0;
    char *text = s_read_file (command, file, &size);
    if (!text)
        return exit_code;
    char *canonical = NULL;
    sp_pg_t *pg = NULL;
    char name[SP_REFDATA_NAME_SIZE];
    char error[SP_REFDATA_ERROR_SIZE];
    if (kind->check (text, size, name, sizeof name, &canonical, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: %s: %s\n", command, file, error);
        goto out_free_text;
    }
    pg = salesctl_postgres_connect (config, command);
    if (!pg)
        goto out_free_canonical;
    sp_refdata_stored_t stored;
    if (sp_refdata_store (pg, kind->kind, name, canonical, effective_from, loaded_by,
                          sp_config_bool (config, "if-absent"), &stored, error,
                          sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: %s: %s\n", command, file, error);
        goto out_destroy_pg;
    }
    json_t *warnings = json_array ();
    if (!warnings || (kind == &kpi_targets_kind &&
                      s_targets_warnings (pg, canonical, warnings, error, sizeof error) != 0)) {
        fprintf (stderr, "salesctl %s: %s: stored, but %s\n", command, file,
                 warnings ? error : "out of memory");
        json_decref (warnings);
        goto out_destroy_pg;
    }
    if (sp_config_bool (config, "json")) {
        json_t *object = json_pack ("{s:s, s:s, s:I, s:I, s:b, s:o}", "kind", kind->kind, "name",
                                    name, "version", (json_int_t) stored.version, "revision",
                                    (json_int_t) stored.revision, "changed", stored.changed,
                                    "warnings", warnings);
        if (salesctl_print_json (object) != 0) {
            fprintf (stderr, "salesctl %s: out of memory writing JSON\n", command);
            goto out_destroy_pg;
        }
    }
    else {
        printf ("%s \"%s\" %s: version %lld (revision %lld)\n", kind->kind, name,
                stored.changed ? "loaded" : "unchanged", (long long) stored.version,
                (long long) stored.revision);
        size_t index;
        json_t *warning;
        json_array_foreach (warnings, index, warning)
        {
            fprintf (stderr, "salesctl %s: %s: warning: %s\n", command, file,
                     json_string_value (warning));
        }
        json_decref (warnings);
    }
    exit_code = SALESCTL_EXIT_OK;

out_destroy_pg:
    sp_pg_destroy (&pg);
out_free_canonical:
    free (canonical);
out_free_text:
    free (text);
    return exit_code;
}

int
salesctl_load (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Load a file of reference data into PostgreSQL as a new version: `salesctl load KIND "
        "FILE.json` validates the document with its service's own rules and stores it when it "
        "changed; running services take it within seconds. Kinds: funnel (docs/funnels.md).",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    char kinds[SALESCTL_LOAD_KINDS_SIZE];
    salesctl_kind_names (kinds, sizeof kinds);
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
    const char *name = sp_config_arg (config, 0);
    const sp_refdata_kind_t *kind = salesctl_kind (name);
    if (kind) {
        exit_code = s_load (config, kind, sp_config_arg (config, 1));
        goto out_destroy_config;
    }
    char quoted[SP_EVENT_QUOTE_SIZE];
    sp_event_quote (name, strlen (name), quoted, sizeof quoted);
    fprintf (stderr, "salesctl %s: unknown kind \"%s\": expected one of: %s\n", s_command, quoted,
             kinds);

out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
