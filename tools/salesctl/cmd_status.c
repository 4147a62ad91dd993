/*  salesctl status - what the consumer services are doing: their live
    instances, who owns each partition, and how far behind the log each
    partition's Redis state is.

        salesctl status [--postgres URL] [--redis URL] [--service NAME] [--json]

    Every service that ever ran a lease is in the Redis set
    salespulse:services (sp_lease.h lists the keys read here). For each one
    (or only --service NAME):

      - live instances: members of "<service>:members" whose expiry (Redis
        ms) is after Redis's TIME now, each with the status JSON it stores
        with its heartbeat ("<service>:instance:<id>", sp_consumer.h);
      - per partition 0..P-1 (P recorded in salespulse_settings): owner,
        the lease value "<instance>/<fence>" or none; checkpoint, the last
        sequence applied to Redis or none (state not built yet); head, the
        last sequence in the log (sp_consumer_log_heads); lag = head -
        checkpoint.

    The owners and partitions owned come from the lease keys themselves,
    not from what the instances report, so a partition whose owner died is
    shown with its lease until the lease expires. Reads are pipelined: one
    round trip for the clock and the service set, two per service. Exit 1
    when PostgreSQL or Redis cannot be reached or read.
*/
#include "salesctl.h"

#include "sp_consumer_log.h"
#include "sp_lease.h"
#include "sp_partition.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALESCTL_STATUS_ERROR_SIZE 512
#define SALESCTL_STATUS_KEYS_PER_PARTITION 2 /* lease and checkpoint */
#define SALESCTL_STATUS_RANGES_SIZE 8192     /* "0-3,8,..." for SP_PARTITIONS_MAX partitions */
#define SALESCTL_STATUS_NUMBER_SIZE 32       /* an int64 in decimal */
#define SALESCTL_STATUS_MS_PER_SECOND 1000
#define SALESCTL_STATUS_US_PER_MS 1000
#define SALESCTL_STATUS_REAL_DIGITS 15   /* shortest round trip of rates like 212.4 */
#define SALESCTL_STATUS_INSTANCE_WIDTH 8 /* narrowest INSTANCE column */
#define SALESCTL_STATUS_OWNER_WIDTH 5    /* narrowest OWNER column */

static const char s_command[] = "status";

static const sp_config_option_t s_options[] = {
    { "service", NULL, SP_CONFIG_STRING, NULL, "only this service", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print one JSON document", 0, 0 },
};

/* One partition of a service as Redis holds it. */
typedef struct {
    char *owner;         /* lease value "<instance>/<fence>", NULL when not leased */
    bool has_checkpoint; /* checkpoint key present and a number */
    uint64_t checkpoint; /* last applied sequence */
} s_partition_t;

/* One live instance. */
typedef struct {
    char *id;       /* instance id (member of "<service>:members") */
    json_t *status; /* its status JSON object; {"instance": id} when it stored none */
} s_instance_t;

/* What status shows of one service. */
typedef struct {
    const char *name;         /* service name, borrowed */
    uint32_t partitions;      /* partition count */
    s_partition_t *partition; /* [partitions] */
    s_instance_t *instances;  /* live instances, sorted by id */
    size_t instance_count;
} s_service_t;

static void
s_service_clear (s_service_t *self)
{
    for (uint32_t index = 0; self->partition && index < self->partitions; index++)
        free (self->partition[index].owner);
    free (self->partition);
    for (size_t index = 0; index < self->instance_count; index++) {
        free (self->instances[index].id);
        json_decref (self->instances[index].status);
    }
    free (self->instances);
    memset (self, 0, sizeof *self);
}

static int
s_compare_instances (const void *left, const void *right)
{
    return strcmp (((const s_instance_t *) left)->id, ((const s_instance_t *) right)->id);
}

static int
s_compare_names (const void *left, const void *right)
{
    return strcmp (*(char *const *) left, *(char *const *) right);
}

/* A string reply copied, or NULL (not a string, or out of memory). */
static char *
s_reply_copy (const sp_redis_reply_t *reply)
{
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_STRING)
        return NULL;
    size_t length = 0;
    const char *text = sp_redis_reply_string (reply, &length);
    return strndup (text, length);
}

/* Reads Redis's clock (TIME) and, unless only is given, the service set,
   in one round trip. *names gets the service names, sorted (the caller
   frees each and the array). */
static int
s_read_services (sp_redis_t *redis, const char *only, int64_t *now_ms, char ***names, size_t *count,
                 char *error, size_t error_size)
{
    int rc = -1;
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    sp_redis_reply_t *reply = NULL;
    if (!pipeline ||
        sp_redis_pipeline_append (pipeline, 1, (const char *[]){ "TIME" }, NULL) != 0 ||
        (!only && sp_redis_pipeline_append (pipeline, 2,
                                            (const char *[]){ "SMEMBERS", SP_LEASE_SERVICES_KEY },
                                            NULL) != 0)) {
        snprintf (error, error_size, "out of memory");
        goto out_destroy_pipeline;
    }
    reply = sp_redis_execute (redis, pipeline, error, error_size);
    if (!reply)
        goto out_destroy_pipeline;
    const sp_redis_reply_t *time = sp_redis_reply_element (reply, 0);
    uint64_t seconds = 0;
    uint64_t microseconds = 0;
    if (sp_redis_reply_type (time) != SP_REDIS_REPLY_ARRAY || sp_redis_reply_size (time) != 2 ||
        salesctl_reply_number (sp_redis_reply_element (time, 0), &seconds) != 1 ||
        salesctl_reply_number (sp_redis_reply_element (time, 1), &microseconds) != 1) {
        snprintf (error, error_size, "unexpected reply to TIME");
        goto out_destroy_reply;
    }
    *now_ms = (int64_t) (seconds * SALESCTL_STATUS_MS_PER_SECOND +
                         microseconds / SALESCTL_STATUS_US_PER_MS);
    const sp_redis_reply_t *set = only ? NULL : sp_redis_reply_element (reply, 1);
    if (set && sp_redis_reply_type (set) != SP_REDIS_REPLY_ARRAY) {
        snprintf (error, error_size, "key \"%s\" is not a set", SP_LEASE_SERVICES_KEY);
        goto out_destroy_reply;
    }
    size_t size = set ? sp_redis_reply_size (set) : 1;
    *names = calloc (size ? size : 1, sizeof **names);
    if (!*names) {
        snprintf (error, error_size, "out of memory");
        goto out_destroy_reply;
    }
    *count = 0;
    for (size_t index = 0; index < size; index++) {
        char *name = set ? s_reply_copy (sp_redis_reply_element (set, index)) : strdup (only);
        if (name && !sp_partition_service_valid (name)) {
            /* Not written by sp_lease: its keys would not be this tool's to read. */
            salesctl_service_invalid (s_command, name);
            free (name);
            continue;
        }
        if (name)
            (*names)[(*count)++] = name;
    }
    qsort (*names, *count, sizeof **names, s_compare_names);
    rc = 0;

out_destroy_reply:
    sp_redis_reply_destroy (&reply);
out_destroy_pipeline:
    sp_redis_pipeline_destroy (&pipeline);
    return rc;
}

/* The status JSON an instance stored, or {"instance": id} when it is
   missing (expired since the member read) or not a JSON object. */
static json_t *
s_instance_status (const sp_redis_reply_t *reply, const char *id)
{
    if (sp_redis_reply_type (reply) == SP_REDIS_REPLY_STRING) {
        size_t length = 0;
        const char *text = sp_redis_reply_string (reply, &length);
        json_t *status = json_loadb (text, length, 0, NULL);
        if (json_is_object (status))
            return status;
        json_decref (status);
    }
    return json_pack ("{s:s}", "instance", id);
}

/* Reads the live instances, their status, and the lease and checkpoint of
   every partition of service->name: two round trips. */
static int
s_read_service (sp_redis_t *redis, s_service_t *service, int64_t now_ms, char *error,
                size_t error_size)
{
    int rc = -1;
    sp_redis_reply_t *reply = NULL;
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    service->partition = calloc (service->partitions, sizeof *service->partition);
    if (!pipeline || !service->partition)
        goto out_no_memory;
    char key[SP_PARTITION_KEY_MAX];
    char after_now[SALESCTL_STATUS_NUMBER_SIZE];
    snprintf (key, sizeof key, "%s:members", service->name);
    snprintf (after_now, sizeof after_now, "(%lld", (long long) now_ms);
    if (sp_redis_pipeline_append (
            pipeline, 4, (const char *[]){ "ZRANGEBYSCORE", key, after_now, "+inf" }, NULL) != 0)
        goto out_no_memory;
    for (uint32_t partition = 0; partition < service->partitions; partition++) {
        char checkpoint[SP_PARTITION_KEY_MAX];
        if (sp_partition_key (key, sizeof key, service->name, partition, "lease") < 0 ||
            sp_partition_key (checkpoint, sizeof checkpoint, service->name, partition,
                              "checkpoint") < 0 ||
            sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "GET", key }, NULL) != 0 ||
            sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "GET", checkpoint }, NULL) !=
                0)
            goto out_no_memory;
    }
    reply = sp_redis_execute (redis, pipeline, error, error_size);
    if (!reply)
        goto out_destroy_pipeline;
    for (uint32_t partition = 0; partition < service->partitions; partition++) {
        size_t first = 1 + (size_t) partition * SALESCTL_STATUS_KEYS_PER_PARTITION;
        s_partition_t *state = &service->partition[partition];
        state->owner = s_reply_copy (sp_redis_reply_element (reply, first));
        int read =
            salesctl_reply_number (sp_redis_reply_element (reply, first + 1), &state->checkpoint);
        if (read < 0)
            fprintf (stderr,
                     "salesctl %s: the checkpoint of \"%s\" partition %u is not a "
                     "sequence; shown as missing\n",
                     s_command, service->name, partition);
        state->has_checkpoint = read == 1;
    }
    const sp_redis_reply_t *members = sp_redis_reply_element (reply, 0);
    if (sp_redis_reply_type (members) != SP_REDIS_REPLY_ARRAY) {
        snprintf (error, error_size, "key \"%s:members\" is not a sorted set", service->name);
        goto out_destroy_reply;
    }
    size_t count = sp_redis_reply_size (members);
    service->instances = calloc (count ? count : 1, sizeof *service->instances);
    if (!service->instances)
        goto out_no_memory;
    sp_redis_pipeline_reset (pipeline);
    for (size_t index = 0; index < count; index++) {
        char *id = s_reply_copy (sp_redis_reply_element (members, index));
        if (!id)
            goto out_no_memory;
        service->instances[service->instance_count++].id = id;
        char instance_key[SP_PARTITION_KEY_MAX + SP_LEASE_INSTANCE_MAX];
        snprintf (instance_key, sizeof instance_key, "%s:instance:%s", service->name, id);
        if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "GET", instance_key }, NULL) !=
            0)
            goto out_no_memory;
    }
    sp_redis_reply_destroy (&reply);
    if (count > 0) {
        reply = sp_redis_execute (redis, pipeline, error, error_size);
        if (!reply)
            goto out_destroy_pipeline;
        for (size_t index = 0; index < count; index++) {
            s_instance_t *instance = &service->instances[index];
            instance->status =
                s_instance_status (sp_redis_reply_element (reply, index), instance->id);
            if (!instance->status)
                goto out_no_memory;
        }
    }
    qsort (service->instances, service->instance_count, sizeof *service->instances,
           s_compare_instances);
    rc = 0;
    goto out_destroy_reply;

out_no_memory:
    snprintf (error, error_size, "out of memory");
out_destroy_reply:
    sp_redis_reply_destroy (&reply);
out_destroy_pipeline:
    sp_redis_pipeline_destroy (&pipeline);
    return rc;
}

/* True when partition's lease is held by instance id. */
static bool
s_owned_by (const s_partition_t *partition, const char *id)
{
    if (!partition->owner)
        return false;
    const char *slash = strrchr (partition->owner, '/');
    size_t length = slash ? (size_t) (slash - partition->owner) : strlen (partition->owner);
    return strlen (id) == length && memcmp (partition->owner, id, length) == 0;
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
            if (service->partition[index].has_checkpoint)
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
    for (size_t index = 0; index < service->instance_count; index++)
        if ((int) strlen (service->instances[index].id) > instance_width)
            instance_width = (int) strlen (service->instances[index].id);
    int owner_width = SALESCTL_STATUS_OWNER_WIDTH;
    uint32_t owned = 0;
    for (uint32_t partition = 0; partition < service->partitions; partition++)
        if (service->partition[partition].owner) {
            owned++;
            if ((int) strlen (service->partition[partition].owner) > owner_width)
                owner_width = (int) strlen (service->partition[partition].owner);
        }
    printf ("service \"%s\": %zu live instance%s, %u of %u partitions leased\n\n", service->name,
            service->instance_count, service->instance_count == 1 ? "" : "s", owned,
            service->partitions);
    if (service->instance_count > 0) {
        printf ("%-*s  %-20s  %12s  %10s\n", instance_width, "INSTANCE", "PARTITIONS", "LAG",
                "EVENTS/S");
        for (size_t index = 0; index < service->instance_count; index++) {
            const s_instance_t *instance = &service->instances[index];
            char ranges[SALESCTL_STATUS_RANGES_SIZE];
            int64_t lag = 0;
            s_owned_ranges (service, heads, instance->id, ranges, sizeof ranges, &lag);
            json_t *rate = json_object_get (instance->status, "applied_per_second");
            char rate_text[SALESCTL_STATUS_NUMBER_SIZE] = "-";
            if (json_is_number (rate))
                snprintf (rate_text, sizeof rate_text, "%.1f", json_number_value (rate));
            printf ("%-*s  %-20s  %12lld  %10s\n", instance_width, instance->id, ranges,
                    (long long) lag, rate_text);
        }
        printf ("\n");
    }
    printf ("%-9s  %-*s  %12s  %12s  %12s\n", "PARTITION", owner_width, "OWNER", "CHECKPOINT",
            "HEAD", "LAG");
    for (uint32_t partition = 0; partition < service->partitions; partition++) {
        const s_partition_t *state = &service->partition[partition];
        char checkpoint[SALESCTL_STATUS_NUMBER_SIZE] = "-";
        char lag[SALESCTL_STATUS_NUMBER_SIZE] = "-";
        if (state->has_checkpoint) {
            snprintf (checkpoint, sizeof checkpoint, "%llu",
                      (unsigned long long) state->checkpoint);
            snprintf (lag, sizeof lag, "%lld",
                      (long long) ((int64_t) heads[partition] - (int64_t) state->checkpoint));
        }
        printf ("%-9u  %-*s  %12s  %12llu  %12s\n", partition, owner_width,
                state->owner ? state->owner : "-", checkpoint,
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
    for (size_t index = 0; index < service->instance_count; index++)
        if (json_array_append (instances, service->instances[index].status) != 0)
            goto out_no_memory;
    for (uint32_t partition = 0; partition < service->partitions; partition++) {
        const s_partition_t *state = &service->partition[partition];
        json_t *checkpoint =
            state->has_checkpoint ? json_integer ((json_int_t) state->checkpoint) : json_null ();
        json_t *lag =
            state->has_checkpoint
                ? json_integer ((json_int_t) heads[partition] - (json_int_t) state->checkpoint)
                : json_null ();
        json_t *owner = state->owner ? json_string (state->owner) : json_null ();
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
    sp_redis_t *redis = NULL;
    uint64_t *heads = NULL;
    char **names = NULL;
    size_t name_count = 0;
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
    if (sp_consumer_log_heads (pg, partitions, heads, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: could not read the partition heads from postgresql: %s\n",
                 s_command, error);
        goto out_destroy_connections;
    }
    redis = salesctl_redis_connect (config, s_command);
    if (!redis)
        goto out_destroy_connections;
    int64_t now_ms = 0;
    if (s_read_services (redis, only, &now_ms, &names, &name_count, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: could not read redis: %s\n", s_command, error);
        goto out_destroy_connections;
    }
    services = json_array ();
    document = json_pack ("{s:o}", "services", services);
    if (!document) {
        fprintf (stderr, "salesctl %s: out of memory\n", s_command);
        goto out_free_names;
    }
    if (!json && name_count == 0)
        printf ("no consumer service has run yet (the set \"%s\" is empty)\n",
                SP_LEASE_SERVICES_KEY);
    for (size_t index = 0; index < name_count; index++) {
        s_service_t service = { .name = names[index], .partitions = partitions };
        if (s_read_service (redis, &service, now_ms, error, sizeof error) != 0) {
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
    for (size_t index = 0; index < name_count; index++)
        free (names[index]);
    free (names);
out_destroy_connections:
    free (heads);
    sp_redis_destroy (&redis);
    sp_pg_destroy (&pg);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
