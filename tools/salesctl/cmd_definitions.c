/*  salesctl definitions - the reference data loaded, and what the running
    instances use.

        salesctl definitions [KIND] [--json] [--postgres URL] [--redis URL]

    Lists the latest version of every document of every kind (or of KIND)
    from reference_data (sp_refdata.h), and, from the status each running
    instance of the kind's service stores with its lease heartbeat
    (sp_consumer.h), the revision it applies under and the versions it
    uses. Human output is one line per document, then one per instance:

        funnel  crm      version 3  revision 7  loaded 2026-12-07T04:30:00.000Z by ops@host  in use
   by 2 of 2 funnel  default  version 1  revision 1  loaded 2026-12-07T04:00:00.000Z by make up   in
   use by 2 of 2 funnel-tracker  vm-1-8f0a  revision 7  funnel: crm 3, default 1

    "in use by U of N": U of the N live instances of the owning service
    count with that version; an instance still on an older version shows
    as not using it until it has taken the new one (within seconds,
    docs/reference-data.md). When Redis cannot be read, instances are
    left out with a warning on stderr. With --json, one object
    {"definitions":[{"kind","name","version","revision","loaded_at",
    "loaded_by","effective_from","sha256","instances","using"}],
    "instances":[{"service","instance","revision","definitions"}]}.
*/
#include "salesctl.h"

#include "sp_consumer_state.h"
#include "sp_event.h"
#include "sp_refdata.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define S_TIME_SIZE 32   /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
#define S_KINDS_SIZE 256 /* the list of kinds, for messages */
#define S_MS_PER_SECOND 1000

static const char s_command[] = "definitions";

static const sp_config_option_t s_options[] = {
    { "json", NULL, SP_CONFIG_BOOL, "false", "print one JSON object", 0, 0 },
};

/* UTC ms as ISO 8601 with milliseconds, into buffer. */
static const char *
s_time (int64_t ms, char *buffer, size_t size)
{
    time_t seconds = (time_t) (ms / S_MS_PER_SECOND);
    struct tm parts;
    if (!gmtime_r (&seconds, &parts) || strftime (buffer, size, "%Y-%m-%dT%H:%M:%S", &parts) == 0) {
        snprintf (buffer, size, "%lld", (long long) ms);
        return buffer;
    }
    size_t used = strlen (buffer);
    snprintf (buffer + used, size - used, ".%03dZ", (int) (ms % S_MS_PER_SECOND));
    return buffer;
}

/* The live instances of every service owning one of kinds, as
   [{"service","instance","revision","definitions"}]; NULL after a
   warning when Redis cannot be read. */
static json_t *
s_instances (const sp_config_t *config, const sp_refdata_kind_t *const *kinds, size_t count)
{
    sp_redis_t *redis = salesctl_redis_connect (config, s_command);
    if (!redis)
        return NULL;
    json_t *list = json_array ();
    for (size_t index = 0; list && index < count; index++) {
        bool seen = false; /* one service may own several kinds */
        for (size_t earlier = 0; earlier < index; earlier++)
            seen = seen || strcmp (kinds[earlier]->service, kinds[index]->service) == 0;
        if (seen)
            continue;
        sp_consumer_state_t *state = sp_consumer_state_new (kinds[index]->service, 1);
        sp_consumer_state_instances_t instances = { NULL, 0 };
        char error[SP_REFDATA_ERROR_SIZE];
        if (!state ||
            sp_consumer_state_read_instances (state, redis, &instances, error, sizeof error) != 0) {
            fprintf (stderr, "salesctl %s: could not read the instances of %s: %s\n", s_command,
                     kinds[index]->service, state ? error : "out of memory");
            sp_consumer_state_destroy (&state);
            json_decref (list);
            list = NULL;
            break;
        }
        for (size_t item = 0; item < instances.count; item++) {
            const sp_consumer_state_instance_t *instance = &instances.items[item];
            json_t *status = instance->status
                                 ? json_loadb (instance->status, instance->status_length, 0, NULL)
                                 : NULL;
            json_t *revision = json_object_get (status, "revision");
            json_t *definitions = json_object_get (status, "definitions");
            json_array_append_new (
                list,
                json_pack ("{s:s, s:s, s:O, s:O}", "service", kinds[index]->service, "instance",
                           instance->id, "revision",
                           json_is_integer (revision) ? revision : json_null (), "definitions",
                           json_is_object (definitions) ? definitions : json_object ()));
            json_decref (status);
        }
        sp_consumer_state_instances_clear (&instances);
        sp_consumer_state_destroy (&state);
    }
    sp_redis_destroy (&redis);
    return list;
}

/* Live instances of kind's service, and those using version of name. */
static void
s_usage (json_t *instances, const sp_refdata_entry_t *entry, const char *service, int64_t *live,
         int64_t *using)
{
    *live = *using = 0;
    for (size_t index = 0; index < json_array_size (instances); index++) {
        json_t *instance = json_array_get (instances, index);
        if (strcmp (json_string_value (json_object_get (instance, "service")), service) != 0)
            continue;
        (*live)++;
        json_t *versions = json_object_get (json_object_get (instance, "definitions"), entry->kind);
        json_t *version = json_object_get (versions, entry->name);
        if (json_is_integer (version) && json_integer_value (version) == entry->version)
            (*using)++;
    }
}

/* One instance's line: "funnel-tracker  id  revision 7  funnel: crm 3, default 1". */
static void
s_print_instance (json_t *instance)
{
    json_t *revision = json_object_get (instance, "revision");
    printf ("%s  %s  revision ", json_string_value (json_object_get (instance, "service")),
            json_string_value (json_object_get (instance, "instance")));
    if (json_is_integer (revision))
        printf ("%lld", (long long) json_integer_value (revision));
    else
        printf ("unknown");
    json_t *definitions = json_object_get (instance, "definitions");
    for (void *kind = json_object_iter (definitions); kind;
         kind = json_object_iter_next (definitions, kind)) {
        printf ("  %s:", json_object_iter_key (kind));
        json_t *versions = json_object_iter_value (kind);
        bool first = true;
        for (void *name = json_object_iter (versions); name;
             name = json_object_iter_next (versions, name)) {
            printf ("%s %s %lld", first ? "" : ",", json_object_iter_key (name),
                    (long long) json_integer_value (json_object_iter_value (name)));
            first = false;
        }
    }
    printf ("\n");
}

int
salesctl_definitions (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "List the reference data loaded (the latest version of each document, of every kind or "
        "of KIND) and which versions the running instances use.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    sp_pg_t *pg = NULL;
    sp_refdata_set_t *set = NULL;
    json_t *instances = NULL;
    const sp_refdata_kind_t *kinds[SP_REFDATA_KINDS_MAX];
    size_t count = 0;
    if (sp_config_arg_count (config) > 1) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", s_command,
                 sp_config_arg (config, 1));
        goto out_destroy_config;
    }
    if (sp_config_arg_count (config) == 1) {
        const char *name = sp_config_arg (config, 0);
        kinds[count] = salesctl_kind (name);
        if (!kinds[count]) {
            char quoted[SP_EVENT_QUOTE_SIZE];
            char names[S_KINDS_SIZE];
            sp_event_quote (name, strlen (name), quoted, sizeof quoted);
            fprintf (stderr, "salesctl %s: unknown kind \"%s\": expected one of: %s\n", s_command,
                     quoted, salesctl_kind_names (names, sizeof names));
            goto out_destroy_config;
        }
        count = 1;
    }
    else
        for (; count < salesctl_kind_count () && count < SP_REFDATA_KINDS_MAX; count++)
            kinds[count] = salesctl_kind_at (count);
    const char *names[SP_REFDATA_KINDS_MAX];
    for (size_t index = 0; index < count; index++)
        names[index] = kinds[index]->kind;

    pg = salesctl_postgres_connect (config, s_command);
    if (!pg)
        goto out_destroy_config;
    char error[SP_REFDATA_ERROR_SIZE];
    set = sp_refdata_read (pg, names, count, NULL, false, error, sizeof error);
    if (!set) {
        fprintf (stderr, "salesctl %s: %s\n", s_command, error);
        goto out_destroy;
    }
    instances = s_instances (config, kinds, count);

    json_t *rows = json_array ();
    for (size_t index = 0; rows && index < sp_refdata_set_size (set); index++) {
        const sp_refdata_entry_t *entry = sp_refdata_set_entry (set, index);
        const sp_refdata_kind_t *kind = salesctl_kind (entry->kind);
        int64_t live = 0, using = 0;
        if (instances && kind)
            s_usage (instances, entry, kind->service, &live, &using);
        char loaded_at[S_TIME_SIZE], effective_from[S_TIME_SIZE];
        s_time (entry->loaded_at, loaded_at, sizeof loaded_at);
        if (entry->has_effective_from)
            s_time (entry->effective_from, effective_from, sizeof effective_from);
        json_array_append_new (
            rows,
            json_pack ("{s:s, s:s, s:I, s:I, s:s, s:s, s:o, s:s, s:o, s:o}", "kind", entry->kind,
                       "name", entry->name, "version", (json_int_t) entry->version, "revision",
                       (json_int_t) entry->revision, "loaded_at", loaded_at, "loaded_by",
                       entry->loaded_by, "effective_from",
                       entry->has_effective_from ? json_string (effective_from) : json_null (),
                       "sha256", entry->sha256, "instances",
                       instances ? json_integer (live) : json_null (), "using",
                       instances ? json_integer (using) : json_null ()));
    }
    if (sp_config_bool (config, "json")) {
        if (salesctl_print_json (json_pack ("{s:o, s:O}", "definitions", rows, "instances",
                                            instances ? instances : json_null ())) != 0) {
            fprintf (stderr, "salesctl %s: out of memory writing JSON\n", s_command);
            goto out_destroy;
        }
    }
    else {
        for (size_t index = 0; index < json_array_size (rows); index++) {
            json_t *row = json_array_get (rows, index);
            printf ("%s  %s  version %lld  revision %lld  loaded %s by %s",
                    json_string_value (json_object_get (row, "kind")),
                    json_string_value (json_object_get (row, "name")),
                    (long long) json_integer_value (json_object_get (row, "version")),
                    (long long) json_integer_value (json_object_get (row, "revision")),
                    json_string_value (json_object_get (row, "loaded_at")),
                    json_string_value (json_object_get (row, "loaded_by")));
            json_t *effective = json_object_get (row, "effective_from");
            if (json_is_string (effective))
                printf ("  effective from %s", json_string_value (effective));
            if (instances)
                printf ("  in use by %lld of %lld",
                        (long long) json_integer_value (json_object_get (row, "using")),
                        (long long) json_integer_value (json_object_get (row, "instances")));
            printf ("\n");
        }
        if (json_array_size (rows) == 0)
            printf ("no reference data loaded\n");
        for (size_t index = 0; index < json_array_size (instances); index++)
            s_print_instance (json_array_get (instances, index));
        json_decref (rows);
    }
    exit_code = SALESCTL_EXIT_OK;

out_destroy:
    json_decref (instances);
    sp_refdata_set_destroy (&set);
    sp_pg_destroy (&pg);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
