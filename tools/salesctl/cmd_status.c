/*  salesctl status - what the consumer services are doing: their live
    instances, who owns each partition, and how far behind the log each
    partition's Redis state is.

        salesctl status [--postgres URL] [--redis URL] [--service NAME] [--json]

    Every service that ever ran a lease is in the Redis set
    salespulse:services. For each one (or only --service NAME), read
    through sp_consumer_state (the one reader of the consumer's own keys,
    sp_consumer_key.h):

      - live instances: members of "<service>:{<service>}:members" whose expiry (Redis
        ms) is after Redis's TIME now, each with the status JSON it stores
        with its heartbeat ("<service>:{<service>}:instance:<id>", sp_consumer.h);
      - per partition 0..P-1 (P recorded in salespulse_settings): owner,
        the lease value "<instance>/<fence>" or none; checkpoint, the last
        sequence applied to Redis or none (state not built yet); head, the
        last sequence in the log (sp_consumer_log_heads); lag = head -
        checkpoint.

    The owners and partitions owned come from the lease keys themselves,
    not from what the instances report, so a partition whose owner died is
    shown with its lease until the lease expires. A checkpoint that is not
    a sequence is shown as missing, with a warning on stderr. Reads are
    pipelined: one round trip for the service set, two per service. Exit 1
    when PostgreSQL or Redis cannot be reached or read.
*/
#include "salesctl.h"

#include "sp_consumer_key.h"
#include "sp_consumer_log.h"
#include "sp_consumer_state.h"
#include "sp_partition.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALESCTL_STATUS_ERROR_SIZE 512
#define SALESCTL_STATUS_RANGES_SIZE 8192 /* "0-3,8,..." for SP_PARTITIONS_MAX partitions */
#define SALESCTL_STATUS_NUMBER_SIZE 32   /* an int64 in decimal */
#define SALESCTL_STATUS_REAL_DIGITS 15   /* shortest round trip of rates like 212.4 */
#define SALESCTL_STATUS_INSTANCE_WIDTH 8 /* narrowest INSTANCE column */
#define SALESCTL_STATUS_OWNER_WIDTH 5    /* narrowest OWNER column */

static const char s_command[] = "status";

static const sp_config_option_t s_options[] = {
    { "service", NULL, SP_CONFIG_STRING, NULL, "only this service", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print one JSON document", 0, 0 },
};

/* What status shows of one service. */
typedef struct {
    const char *name;                         /* service name, borrowed */
    uint32_t partitions;                      /* partition count */
    sp_consumer_state_partition_t *partition; /* [partitions] */
    sp_consumer_state_instances_t instances;  /* live instances, sorted by id */
    json_t **statuses; /* [instances.count] status objects; {"instance": id} when none stored */
} s_service_t;

static void
s_service_clear (s_service_t *self)
{
    free (self->partition);
    for (size_t index = 0; self->statuses && index < self->instances.count; index++)
        json_decref (self->statuses[index]);
    free (self->statuses);
    sp_consumer_state_instances_clear (&self->instances);
    memset (self, 0, sizeof *self);
}

/* The lease value of partition, NULL when it is not leased. */
static const char *
s_owner (const sp_consumer_state_partition_t *partition)
{
    return partition->lease_found == SP_CONSUMER_STATE_PRESENT ? partition->lease : NULL;
}

/* True when partition's checkpoint was read. */
static bool
s_has_checkpoint (const sp_consumer_state_partition_t *partition)
{
    return partition->checkpoint_found == SP_CONSUMER_STATE_PRESENT;
}

/* Reads the service set, or takes only, into *names: valid names sorted
   (a name sp_lease could not have written is skipped with a warning). */
static int
s_read_services (sp_redis_t *redis, const char *only, sp_consumer_state_services_t *names,
                 char *error, size_t error_size)
{
    if (only) {
        names->names = calloc (1, sizeof *names->names);
        if (names->names)
            names->names[0] = strdup (only);
        if (!names->names || !names->names[0]) {
            snprintf (error, error_size, "out of memory");
            return -1;
        }
        names->count = 1;
        return 0;
    }
    if (sp_consumer_state_read_services (redis, names, error, error_size) != 0)
        return -1;
    size_t kept = 0;
    for (size_t index = 0; index < names->count; index++) {
        char *name = names->names[index];
        if (sp_partition_service_valid (name))
            names->names[kept++] = name;
        else {
            /* Not written by sp_lease: its keys would not be this tool's to read. */
            salesctl_service_invalid (s_command, name);
            free (name);
        }
    }
    names->count = kept;
    return 0;
}

/* The status JSON an instance stored, or {"instance": id} when it is
   missing (expired since the member read) or not a JSON object. */
static json_t *
s_instance_status (const sp_consumer_state_instance_t *instance)
{
    if (instance->status) {
        json_t *status = json_loadb (instance->status, instance->status_length, 0, NULL);
        if (json_is_object (status))
            return status;
        json_decref (status);
    }
    return json_pack ("{s:s}", "instance", instance->id);
}

/* Reads the live instances, their status, and the lease and checkpoint of
   every partition of service->name: two round trips. */
static int
s_read_service (sp_redis_t *redis, s_service_t *service, char *error, size_t error_size)
{
    int rc = -1;
    sp_consumer_state_t *state = sp_consumer_state_new (service->name, service->partitions);
    service->partition = calloc (service->partitions, sizeof *service->partition);
    if (!state || !service->partition)
        goto out_no_memory;
    if (sp_consumer_state_read_partitions (state, redis, service->partition, error, error_size) !=
            0 ||
        sp_consumer_state_read_instances (state, redis, &service->instances, error, error_size) !=
            0)
        goto out_destroy_state;
    for (uint32_t partition = 0; partition < service->partitions; partition++)
        if (service->partition[partition].checkpoint_found == SP_CONSUMER_STATE_INVALID)
            fprintf (stderr,
                     "salesctl %s: the checkpoint of \"%s\" partition %u is not a "
                     "sequence; shown as missing\n",
                     s_command, service->name, partition);
    size_t count = service->instances.count;
    service->statuses = calloc (count ? count : 1, sizeof *service->statuses);
    if (!service->statuses)
        goto out_no_memory;
    for (size_t index = 0; index < count; index++) {
        service->statuses[index] = s_instance_status (&service->instances.items[index]);
        if (!service->statuses[index])
            goto out_no_memory;
    }
    rc = 0;
    goto out_destroy_state;

out_no_memory:
    snprintf (error, error_size, "out of memory");
out_destroy_state:
    sp_consumer_state_destroy (&state);
    return rc;
}

/* True when partition's lease is held by instance id. */
static bool
s_owned_by (const sp_consumer_state_partition_t *partition, const char *id)
{
    const char *owner = s_owner (partition);
    if (!owner)
        return false;
    const char *slash = strrchr (owner, '/');
    size_t length = slash ? (size_t) (slash - owner) : strlen (owner);
    return strlen (id) == length && memcmp (owner, id, length) == 0;
}

/* The partitions id owns as compact ranges ("0-3,8"), "-" for none, and
   the sum of their lag (partitions with a checkpoint). */
static void
s_owned_ranges (const s_service_t *service, const uint64_t *heads, const char *id, char *buffer,
                size_t size, int64_t *lag)
{
    size_t used = 0;
    *lag = 0;
    buffer[0] = '\0';
    uint32_t partition = 0;
    while (partition < service->partitions) {
        if (!s_owned_by (&service->partition[partition], id)) {
            partition++;
            continue;
        }
        uint32_t last = partition;
        while (last + 1 < service->partitions && s_owned_by (&service->partition[last + 1], id))
            last++;
        for (uint32_t index = partition; index <= last; index++)
            if (s_has_checkpoint (&service->partition[index]))
                *lag += (int64_t) heads[index] - (int64_t) service->partition[index].checkpoint;
        int written = last == partition ? snprintf (buffer + used, size - used, "%s%u",
                                                    used ? "," : "", partition)
                                        : snprintf (buffer + used, size - used, "%s%u-%u",
                                                    used ? "," : "", partition, last);
        if (written < 0 || (size_t) written >= size - used)
            break;
        used += (size_t) written;
        partition = last + 1;
    }
    if (used == 0)
        snprintf (buffer, size, "-");
}

static void
s_print_human (const s_service_t *service, const uint64_t *heads)
{
    int instance_width = SALESCTL_STATUS_INSTANCE_WIDTH;
    size_t instance_count = service->instances.count;
    for (size_t index = 0; index < instance_count; index++)
        if ((int) strlen (service->instances.items[index].id) > instance_width)
            instance_width = (int) strlen (service->instances.items[index].id);
    int owner_width = SALESCTL_STATUS_OWNER_WIDTH;
    uint32_t owned = 0;
    for (uint32_t partition = 0; partition < service->partitions; partition++) {
        const char *owner = s_owner (&service->partition[partition]);
        if (owner) {
            owned++;
            if ((int) strlen (owner) > owner_width)
                owner_width = (int) strlen (owner);
        }
    }
    printf ("service \"%s\": %zu live instance%s, %u of %u partitions leased\n\n", service->name,
            instance_count, instance_count == 1 ? "" : "s", owned, service->partitions);
    if (instance_count > 0) {
        printf ("%-*s  %-20s  %12s  %10s  %8s\n", instance_width, "INSTANCE", "PARTITIONS", "LAG",
                "EVENTS/S", "REVISION");
        for (size_t index = 0; index < instance_count; index++) {
            const sp_consumer_state_instance_t *instance = &service->instances.items[index];
            char ranges[SALESCTL_STATUS_RANGES_SIZE];
            int64_t lag = 0;
            s_owned_ranges (service, heads, instance->id, ranges, sizeof ranges, &lag);
            json_t *rate = json_object_get (service->statuses[index], "applied_per_second");
            char rate_text[SALESCTL_STATUS_NUMBER_SIZE] = "-";
            if (json_is_number (rate))
                snprintf (rate_text, sizeof rate_text, "%.1f", json_number_value (rate));
            /* the revision of the definitions it applies under (sp_consumer_revise) */
            json_t *revision = json_object_get (service->statuses[index], "revision");
            char revision_text[SALESCTL_STATUS_NUMBER_SIZE] = "-";
            if (json_is_integer (revision))
                snprintf (revision_text, sizeof revision_text, "%lld",
                          (long long) json_integer_value (revision));
            printf ("%-*s  %-20s  %12lld  %10s  %8s\n", instance_width, instance->id, ranges,
                    (long long) lag, rate_text, revision_text);
        }
        printf ("\n");
    }
    printf ("%-9s  %-*s  %12s  %12s  %12s\n", "PARTITION", owner_width, "OWNER", "CHECKPOINT",
            "HEAD", "LAG");
    for (uint32_t partition = 0; partition < service->partitions; partition++) {
        const sp_consumer_state_partition_t *state = &service->partition[partition];
        char checkpoint[SALESCTL_STATUS_NUMBER_SIZE] = "-";
        char lag[SALESCTL_STATUS_NUMBER_SIZE] = "-";
        if (s_has_checkpoint (state)) {
            snprintf (checkpoint, sizeof checkpoint, "%llu",
                      (unsigned long long) state->checkpoint);
            snprintf (lag, sizeof lag, "%lld",
                      (long long) ((int64_t) heads[partition] - (int64_t) state->checkpoint));
        }
        printf ("%-9u  %-*s  %12s  %12llu  %12s\n", partition, owner_width,
                s_owner (state) ? s_owner (state) : "-", checkpoint,
                (unsigned long long) heads[partition], lag);
    }
}

/* service as {"service", "instances", "partitions"}, or NULL (out of memory). */
static json_t *
s_service_json (const s_service_t *service, const uint64_t *heads)
{
    json_t *instances = json_array ();
    json_t *partitions = json_array ();
    json_t *object = json_pack ("{s:s, s:o, s:o}", "service", service->name, "instances", instances,
                                "partitions", partitions);
    if (!object)
        return NULL;
    for (size_t index = 0; index < service->instances.count; index++)
        if (json_array_append (instances, service->statuses[index]) != 0)
            goto out_no_memory;
    for (uint32_t partition = 0; partition < service->partitions; partition++) {
        const sp_consumer_state_partition_t *state = &service->partition[partition];
        json_t *checkpoint =
            s_has_checkpoint (state) ? json_integer ((json_int_t) state->checkpoint) : json_null ();
        json_t *lag =
            s_has_checkpoint (state)
                ? json_integer ((json_int_t) heads[partition] - (json_int_t) state->checkpoint)
                : json_null ();
        json_t *owner = s_owner (state) ? json_string (s_owner (state)) : json_null ();
        json_t *row = json_pack ("{s:I, s:o, s:o, s:I, s:o}", "partition", (json_int_t) partition,
                                 "owner", owner, "checkpoint", checkpoint, "head",
                                 (json_int_t) heads[partition], "lag", lag);
        if (json_array_append_new (partitions, row) != 0)
            goto out_no_memory;
    }
    return object;

out_no_memory:
    json_decref (object);
    return NULL;
}

int
salesctl_status (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Show the consumer services: live instances, partition owners, checkpoints, heads and "
        "lag.",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    sp_pg_t *pg = NULL;
    sp_pg_t *primary = NULL; /* when pg is a standby */
    sp_redis_t *redis = NULL;
    uint64_t *heads = NULL;
    sp_consumer_state_services_t names = { NULL, 0 };
    json_t *document = NULL;
    json_t *services = NULL;
    char error[SALESCTL_STATUS_ERROR_SIZE];
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", s_command,
                 sp_config_arg (config, 0));
        goto out_destroy_config;
    }
    const char *only = sp_config_string (config, "service");
    if (only && !sp_partition_service_valid (only)) {
        salesctl_service_invalid (s_command, only);
        goto out_destroy_config;
    }
    bool json = sp_config_bool (config, "json");
    uint32_t partitions = 0;
    pg = salesctl_postgres_connect (config, s_command);
    if (!pg || salesctl_partitions (pg, s_command, &partitions) != 0)
        goto out_destroy_connections;
    heads = calloc (partitions, sizeof *heads);
    if (!heads) {
        fprintf (stderr, "salesctl %s: out of memory\n", s_command);
        goto out_destroy_connections;
    }
    /* a standby's heads may trail the primary's: lag from the primary's */
    sp_pg_t *heads_pg = salesctl_heads_connection (config, s_command, pg, &primary);
    if (!heads_pg)
        goto out_destroy_connections;
    if (sp_consumer_log_heads (heads_pg, partitions, heads, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: could not read the partition heads from postgresql: %s\n",
                 s_command, error);
        goto out_destroy_connections;
    }
    redis = salesctl_redis_connect (config, s_command);
    if (!redis)
        goto out_destroy_connections;
    if (s_read_services (redis, only, &names, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: could not read redis: %s\n", s_command, error);
        goto out_destroy_connections;
    }
    services = json_array ();
    document = json_pack ("{s:o}", "services", services);
    if (!document) {
        fprintf (stderr, "salesctl %s: out of memory\n", s_command);
        goto out_free_names;
    }
    if (!json && names.count == 0)
        printf ("no consumer service has run yet (the set \"%s\" is empty)\n",
                SP_CONSUMER_KEY_SERVICES);
    for (size_t index = 0; index < names.count; index++) {
        s_service_t service = { .name = names.names[index], .partitions = partitions };
        if (s_read_service (redis, &service, error, sizeof error) != 0) {
            fprintf (stderr, "salesctl %s: could not read redis for \"%s\": %s\n", s_command,
                     service.name, error);
            s_service_clear (&service);
            goto out_free_names;
        }
        if (json) {
            if (json_array_append_new (services, s_service_json (&service, heads)) != 0) {
                fprintf (stderr, "salesctl %s: out of memory\n", s_command);
                s_service_clear (&service);
                goto out_free_names;
            }
        }
        else {
            if (index > 0)
                printf ("\n");
            s_print_human (&service, heads);
        }
        s_service_clear (&service);
    }
    if (json) {
        char *text = json_dumps (document, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                               JSON_REAL_PRECISION (SALESCTL_STATUS_REAL_DIGITS));
        if (!text) {
            fprintf (stderr, "salesctl %s: out of memory\n", s_command);
            goto out_free_names;
        }
        printf ("%s\n", text);
        free (text);
    }
    exit_code = SALESCTL_EXIT_OK;

out_free_names:
    json_decref (document);
out_destroy_connections:
    sp_consumer_state_services_clear (&names);
    free (heads);
    sp_redis_destroy (&redis);
    sp_pg_destroy (&primary);
    sp_pg_destroy (&pg);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
