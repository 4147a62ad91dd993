/*  sp_consumer_state - reads a consumer service's own keys for tools (see
    sp_consumer_state.h).

    The GET pipelines are built once, at creation, and sent again at every
    read; key names come from sp_consumer_key. Replies are checked in
    full before an output is written, so a failed read leaves the caller's
    data as it was.
*/
#include "sp_consumer_state.h"

#include "sp_consumer_key.h"
#include "sp_error.h"
#include "sp_partition.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_REASON_MAX 256       /* one Redis failure reason */
#define S_QUOTE_SIZE 80        /* a quoted Redis value inside a message */
#define S_KEYS_PER_PARTITION 3 /* lease, checkpoint, epoch */
#define S_LEASE_AT 0           /* offsets within a partition's three replies */
#define S_CHECKPOINT_AT 1
#define S_EPOCH_AT 2
#define S_SCRIPT_LIVE 0          /* first element of the instances script's reply */
#define S_SCRIPT_FAILED 1        /* the member read failed; its error follows */
#define S_WRONG_TYPE "WRONGTYPE" /* how a Redis error for another type starts */

/* KEYS: members. ARGV: the prefix of the status keys. Returns {0, id,
   status or nil, id, status or nil, ...} for the members whose expiry
   (score, Redis ms) is after now, or {1, error} when the member set
   cannot be read. A status key of another type reads as nil. */
static const char s_instances_source[] =
    "local time = redis.call('TIME')\n"
    "local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)\n"
    "local ids = redis.pcall('ZRANGEBYSCORE', KEYS[1], '(' .. string.format('%d', now), "
    "'+inf')\n"
    "if ids.err then\n"
    "    return {1, ids.err}\n"
    "end\n"
    "local reply = {0}\n"
    "for index = 1, #ids do\n"
    "    local status = redis.pcall('GET', ARGV[1] .. ids[index])\n"
    "    if type(status) ~= 'string' then\n"
    "        status = false\n"
    "    end\n"
    "    reply[#reply + 1] = ids[index]\n"
    "    reply[#reply + 1] = status\n"
    "end\n"
    "return reply\n";

struct _sp_consumer_state_t {
    char service[SP_PARTITION_SERVICE_MAX];  /* the service whose keys are read */
    uint32_t partitions;                     /* its partition count */
    char members_key[SP_CONSUMER_KEY_MAX];   /* "<service>:members" */
    char status_prefix[SP_CONSUMER_KEY_MAX]; /* "<service>:instance:" */
    char rebuild_key[SP_CONSUMER_KEY_MAX];   /* "<service>:rebuild" */
    sp_redis_pipeline_t *checkpoints;        /* GET checkpoint of every partition */
    sp_redis_pipeline_t *partition_values;   /* GET lease, checkpoint, epoch of every partition */
    sp_redis_pipeline_t *rebuild;            /* GET rebuild */
    sp_redis_script_t *instances;            /* s_instances_source */
};

/* ---------------------------------------------------------------- helpers */

/* Appends "GET key" to pipeline. 0, or -1 when the key did not fit
   (length < 0) or memory ran out. */
static int
s_append_get (sp_redis_pipeline_t *pipeline, const char *key, int length)
{
    if (length < 0)
        return -1;
    const char *get[] = { "GET", key };
    return sp_redis_pipeline_append (pipeline, 2, get, NULL);
}

/* True when a Redis error text says the key holds another type. */
static bool
s_wrong_type (const char *text)
{
    return strncmp (text, S_WRONG_TYPE, strlen (S_WRONG_TYPE)) == 0;
}

/* How a GET reply of a sequence reads; *value set when PRESENT. */
static sp_consumer_state_found_t
s_sequence (const sp_redis_reply_t *element, uint64_t *value)
{
    sp_redis_reply_type_t type = sp_redis_reply_type (element);
    if (type == SP_REDIS_REPLY_NIL)
        return SP_CONSUMER_STATE_MISSING;
    if (type != SP_REDIS_REPLY_STRING)
        return SP_CONSUMER_STATE_INVALID;
    size_t length = 0;
    const char *text = sp_redis_reply_string (element, &length);
    return sp_consumer_key_parse_sequence (text, length, value) == 0 ? SP_CONSUMER_STATE_PRESENT
                                                                     : SP_CONSUMER_STATE_INVALID;
}

/* Same for an epoch. */
static sp_consumer_state_found_t
s_epoch (const sp_redis_reply_t *element, int64_t *value)
{
    sp_redis_reply_type_t type = sp_redis_reply_type (element);
    if (type == SP_REDIS_REPLY_NIL)
        return SP_CONSUMER_STATE_MISSING;
    if (type != SP_REDIS_REPLY_STRING)
        return SP_CONSUMER_STATE_INVALID;
    size_t length = 0;
    const char *text = sp_redis_reply_string (element, &length);
    return sp_consumer_key_parse_epoch (text, length, value) == 0 ? SP_CONSUMER_STATE_PRESENT
                                                                  : SP_CONSUMER_STATE_INVALID;
}

/* How a GET reply of a lease reads; copies a PRESENT value into lease. */
static sp_consumer_state_found_t
s_lease (const sp_redis_reply_t *element, char *lease, size_t size)
{
    sp_redis_reply_type_t type = sp_redis_reply_type (element);
    if (type == SP_REDIS_REPLY_NIL)
        return SP_CONSUMER_STATE_MISSING;
    if (type != SP_REDIS_REPLY_STRING)
        return SP_CONSUMER_STATE_INVALID;
    size_t length = 0;
    const char *text = sp_redis_reply_string (element, &length);
    if (length == 0 || length >= size || memchr (text, '\0', length))
        return SP_CONSUMER_STATE_INVALID;
    memcpy (lease, text, length + 1);
    return SP_CONSUMER_STATE_PRESENT;
}

/* Says why the GET reply of key is not a what ("a sequence", "an epoch"). */
static void
s_invalid_error (const sp_redis_reply_t *element, const char *key, const char *what, char *error,
                 size_t error_size)
{
    sp_redis_reply_type_t type = sp_redis_reply_type (element);
    char quoted[S_QUOTE_SIZE];
    if (type == SP_REDIS_REPLY_STRING) {
        sp_error_quote (sp_redis_reply_string (element, NULL), quoted, sizeof quoted);
        sp_error_set (error, error_size, "key \"%s\" holds \"%s\", not %s", key, quoted, what);
    }
    else if (type == SP_REDIS_REPLY_ERROR)
        sp_error_set (error, error_size, "could not read key \"%s\": %s", key,
                      sp_redis_reply_string (element, NULL));
    else
        sp_error_set (error, error_size, "could not read key \"%s\": unexpected reply", key);
}

/* Runs pipeline; returns its reply when it is an array of expected
   elements, else NULL with the reason (what names the read). */
static sp_redis_reply_t *
s_execute (const sp_consumer_state_t *self, sp_redis_t *redis, const sp_redis_pipeline_t *pipeline,
           size_t expected, const char *what, char *error, size_t error_size)
{
    char reason[S_REASON_MAX] = "";
    sp_redis_reply_t *reply = sp_redis_execute (redis, pipeline, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not read the %s of \"%s\": %s", what, self->service,
                      reason);
        return NULL;
    }
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY ||
        sp_redis_reply_size (reply) != expected) {
        sp_error_set (error, error_size, "could not read the %s of \"%s\": unexpected reply", what,
                      self->service);
        sp_redis_reply_destroy (&reply);
    }
    return reply;
}

/* ---------------------------------------------------------------- reader */

sp_consumer_state_t *
sp_consumer_state_new (const char *service, uint32_t partitions)
{
    assert (service && sp_partition_service_valid (service));
    assert (partitions >= 1 && partitions <= SP_PARTITIONS_MAX);
    sp_consumer_state_t *self = (sp_consumer_state_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    snprintf (self->service, sizeof self->service, "%s", service);
    self->partitions = partitions;
    /* A valid service name keeps every key short (sp_consumer_key.h). */
    int members_length =
        sp_consumer_key_members (self->members_key, sizeof self->members_key, service);
    int prefix_length =
        sp_consumer_key_instance (self->status_prefix, sizeof self->status_prefix, service, "");
    int rebuild_length =
        sp_consumer_key_rebuild (self->rebuild_key, sizeof self->rebuild_key, service);
    assert (members_length > 0 && prefix_length > 0 && rebuild_length > 0);
    self->checkpoints = sp_redis_pipeline_new ();
    self->partition_values = sp_redis_pipeline_new ();
    self->rebuild = sp_redis_pipeline_new ();
    self->instances = sp_redis_script_new_read_only (s_instances_source);
    if (!self->checkpoints || !self->partition_values || !self->rebuild || !self->instances ||
        s_append_get (self->rebuild, self->rebuild_key, rebuild_length) != 0)
        goto out_destroy;
    for (uint32_t partition = 0; partition < partitions; partition++) {
        char lease[SP_CONSUMER_KEY_MAX];
        char checkpoint[SP_CONSUMER_KEY_MAX];
        char epoch[SP_CONSUMER_KEY_MAX];
        int lease_length = sp_consumer_key_lease (lease, sizeof lease, service, partition);
        int checkpoint_length =
            sp_consumer_key_checkpoint (checkpoint, sizeof checkpoint, service, partition);
        int epoch_length = sp_consumer_key_epoch (epoch, sizeof epoch, service, partition);
        if (s_append_get (self->checkpoints, checkpoint, checkpoint_length) != 0 ||
            s_append_get (self->partition_values, lease, lease_length) != 0 ||
            s_append_get (self->partition_values, checkpoint, checkpoint_length) != 0 ||
            s_append_get (self->partition_values, epoch, epoch_length) != 0)
            goto out_destroy;
    }
    return self;

out_destroy:
    sp_consumer_state_destroy (&self);
    return NULL;
}

void
sp_consumer_state_destroy (sp_consumer_state_t **self_p)
{
    assert (self_p);
    sp_consumer_state_t *self = *self_p;
    if (!self)
        return;
    sp_redis_pipeline_destroy (&self->checkpoints);
    sp_redis_pipeline_destroy (&self->partition_values);
    sp_redis_pipeline_destroy (&self->rebuild);
    sp_redis_script_destroy (&self->instances);
    free (self);
    *self_p = NULL;
}

int
sp_consumer_state_read_checkpoints (sp_consumer_state_t *self, sp_redis_t *redis,
                                    uint64_t *checkpoints, bool *present, char *error,
                                    size_t error_size)
{
    assert (self && redis && checkpoints);
    sp_redis_reply_t *reply = s_execute (self, redis, self->checkpoints, self->partitions,
                                         "checkpoints", error, error_size);
    if (!reply)
        return -1;
    int rc = -1;
    /* Every value is checked before any output is written. */
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        const sp_redis_reply_t *element = sp_redis_reply_element (reply, partition);
        uint64_t checkpoint = 0;
        if (s_sequence (element, &checkpoint) == SP_CONSUMER_STATE_INVALID) {
            char key[SP_CONSUMER_KEY_MAX];
            sp_consumer_key_checkpoint (key, sizeof key, self->service, partition);
            s_invalid_error (element, key, "a sequence", error, error_size);
            goto out_destroy_reply;
        }
    }
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        uint64_t checkpoint = 0;
        bool found = s_sequence (sp_redis_reply_element (reply, partition), &checkpoint) ==
                     SP_CONSUMER_STATE_PRESENT;
        checkpoints[partition] = found ? checkpoint : 0;
        if (present)
            present[partition] = found;
    }
    rc = 0;

out_destroy_reply:
    sp_redis_reply_destroy (&reply);
    return rc;
}

int
sp_consumer_state_read_partitions (sp_consumer_state_t *self, sp_redis_t *redis,
                                   sp_consumer_state_partition_t *partitions, char *error,
                                   size_t error_size)
{
    assert (self && redis && partitions);
    sp_redis_reply_t *reply = s_execute (self, redis, self->partition_values,
                                         (size_t) self->partitions * S_KEYS_PER_PARTITION,
                                         "partitions", error, error_size);
    if (!reply)
        return -1;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        size_t first = (size_t) partition * S_KEYS_PER_PARTITION;
        sp_consumer_state_partition_t read = { .lease_found = SP_CONSUMER_STATE_MISSING,
                                               .lease = "",
                                               .checkpoint_found = SP_CONSUMER_STATE_MISSING,
                                               .checkpoint = 0,
                                               .epoch_found = SP_CONSUMER_STATE_MISSING,
                                               .epoch = 0 };
        read.lease_found = s_lease (sp_redis_reply_element (reply, first + S_LEASE_AT), read.lease,
                                    sizeof read.lease);
        read.checkpoint_found =
            s_sequence (sp_redis_reply_element (reply, first + S_CHECKPOINT_AT), &read.checkpoint);
        read.epoch_found =
            s_epoch (sp_redis_reply_element (reply, first + S_EPOCH_AT), &read.epoch);
        partitions[partition] = read; /* the helpers write a value only when PRESENT */
    }
    sp_redis_reply_destroy (&reply);
    return 0;
}

/* ---------------------------------------------------------------- instances */

static int
s_compare_instances (const void *left, const void *right)
{
    return strcmp (((const sp_consumer_state_instance_t *) left)->id,
                   ((const sp_consumer_state_instance_t *) right)->id);
}

/* A NUL-terminated copy of a string reply's bytes, or NULL. */
static char *
s_copy (const sp_redis_reply_t *reply, size_t *length)
{
    size_t size = 0;
    const char *text = sp_redis_reply_string (reply, &size);
    char *copy = (char *) malloc (size + 1);
    if (!copy)
        return NULL;
    memcpy (copy, text, size);
    copy[size] = '\0';
    if (length)
        *length = size;
    return copy;
}

/* Fills list from the script's {0, id, status, ...} pairs. 0, -1 on a
   malformed reply (error set) or out of memory (error set). */
static int
s_instances_fill (const sp_consumer_state_t *self, const sp_redis_reply_t *reply,
                  sp_consumer_state_instances_t *list, char *error, size_t error_size)
{
    size_t count = (sp_redis_reply_size (reply) - 1) / 2;
    list->items = (sp_consumer_state_instance_t *) calloc (count ? count : 1, sizeof *list->items);
    if (!list->items)
        goto out_no_memory;
    for (size_t index = 0; index < count; index++) {
        const sp_redis_reply_t *id = sp_redis_reply_element (reply, 1 + 2 * index);
        const sp_redis_reply_t *status = sp_redis_reply_element (reply, 2 + 2 * index);
        if (sp_redis_reply_type (id) != SP_REDIS_REPLY_STRING ||
            (sp_redis_reply_type (status) != SP_REDIS_REPLY_STRING &&
             sp_redis_reply_type (status) != SP_REDIS_REPLY_NIL)) {
            sp_error_set (error, error_size,
                          "could not read the instances of \"%s\": unexpected reply",
                          self->service);
            return -1;
        }
        sp_consumer_state_instance_t *item = &list->items[list->count];
        item->id = s_copy (id, NULL);
        if (!item->id)
            goto out_no_memory;
        list->count++;
        if (sp_redis_reply_type (status) == SP_REDIS_REPLY_STRING) {
            item->status = s_copy (status, &item->status_length);
            if (!item->status)
                goto out_no_memory;
        }
    }
    qsort (list->items, list->count, sizeof *list->items, s_compare_instances);
    return 0;

out_no_memory:
    sp_error_set (error, error_size, "out of memory reading the instances of \"%s\"",
                  self->service);
    return -1;
}

int
sp_consumer_state_read_instances (sp_consumer_state_t *self, sp_redis_t *redis,
                                  sp_consumer_state_instances_t *instances, char *error,
                                  size_t error_size)
{
    assert (self && redis && instances);
    const char *argv[] = { self->members_key, self->status_prefix };
    char reason[S_REASON_MAX] = "";
    sp_redis_reply_t *reply =
        sp_redis_script_run (self->instances, redis, 1, 2, argv, NULL, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not read the instances of \"%s\": %s",
                      self->service, reason);
        return -1;
    }
    int rc = -1;
    sp_consumer_state_instances_t read = { NULL, 0 };
    size_t size =
        sp_redis_reply_type (reply) == SP_REDIS_REPLY_ARRAY ? sp_redis_reply_size (reply) : 0;
    const sp_redis_reply_t *code = size > 0 ? sp_redis_reply_element (reply, 0) : NULL;
    if (!code || sp_redis_reply_type (code) != SP_REDIS_REPLY_INTEGER)
        goto out_unexpected;
    if (sp_redis_reply_integer (code) == S_SCRIPT_FAILED && size == 2 &&
        sp_redis_reply_type (sp_redis_reply_element (reply, 1)) == SP_REDIS_REPLY_STRING) {
        const char *failure = sp_redis_reply_string (sp_redis_reply_element (reply, 1), NULL);
        if (s_wrong_type (failure))
            sp_error_set (error, error_size, "key \"%s\" is not a sorted set", self->members_key);
        else
            sp_error_set (error, error_size, "could not read key \"%s\": %s", self->members_key,
                          failure);
        goto out_destroy_reply;
    }
    if (sp_redis_reply_integer (code) != S_SCRIPT_LIVE || size % 2 != 1)
        goto out_unexpected;
    if (s_instances_fill (self, reply, &read, error, error_size) != 0) {
        sp_consumer_state_instances_clear (&read);
        goto out_destroy_reply;
    }
    sp_consumer_state_instances_clear (instances);
    *instances = read;
    rc = 0;
    goto out_destroy_reply;

out_unexpected:
    sp_error_set (error, error_size, "could not read the instances of \"%s\": unexpected reply",
                  self->service);
out_destroy_reply:
    sp_redis_reply_destroy (&reply);
    return rc;
}

int
sp_consumer_state_read_rebuild (sp_consumer_state_t *self, sp_redis_t *redis, int64_t *epoch,
                                char *error, size_t error_size)
{
    assert (self && redis && epoch);
    sp_redis_reply_t *reply =
        s_execute (self, redis, self->rebuild, 1, "rebuild epoch", error, error_size);
    if (!reply)
        return -1;
    int rc = -1;
    const sp_redis_reply_t *element = sp_redis_reply_element (reply, 0);
    int64_t value = 0;
    sp_consumer_state_found_t found = s_epoch (element, &value);
    if (found == SP_CONSUMER_STATE_INVALID)
        s_invalid_error (element, self->rebuild_key, "an epoch", error, error_size);
    else {
        *epoch = found == SP_CONSUMER_STATE_PRESENT ? value : 0;
        rc = 0;
    }
    sp_redis_reply_destroy (&reply);
    return rc;
}

void
sp_consumer_state_instances_clear (sp_consumer_state_instances_t *instances)
{
    assert (instances);
    for (size_t index = 0; index < instances->count; index++) {
        free (instances->items[index].id);
        free (instances->items[index].status);
    }
    free (instances->items);
    instances->items = NULL;
    instances->count = 0;
}

/* ---------------------------------------------------------------- services */

static int
s_compare_names (const void *left, const void *right)
{
    return strcmp (*(char *const *) left, *(char *const *) right);
}

int
sp_consumer_state_read_services (sp_redis_t *redis, sp_consumer_state_services_t *services,
                                 char *error, size_t error_size)
{
    assert (redis && services);
    const char *smembers[] = { "SMEMBERS", SP_CONSUMER_KEY_SERVICES };
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    if (!pipeline || sp_redis_pipeline_append (pipeline, 2, smembers, NULL) != 0) {
        sp_redis_pipeline_destroy (&pipeline);
        sp_error_set (error, error_size, "out of memory reading the services");
        return -1;
    }
    int rc = -1;
    sp_consumer_state_services_t read = { NULL, 0 };
    char reason[S_REASON_MAX] = "";
    sp_redis_reply_t *reply = sp_redis_execute (redis, pipeline, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not read key \"%s\": %s", SP_CONSUMER_KEY_SERVICES,
                      reason);
        goto out_destroy_pipeline;
    }
    const sp_redis_reply_t *set =
        sp_redis_reply_type (reply) == SP_REDIS_REPLY_ARRAY && sp_redis_reply_size (reply) == 1
            ? sp_redis_reply_element (reply, 0)
            : NULL;
    sp_redis_reply_type_t type = set ? sp_redis_reply_type (set) : SP_REDIS_REPLY_NIL;
    if (type == SP_REDIS_REPLY_ERROR && s_wrong_type (sp_redis_reply_string (set, NULL))) {
        sp_error_set (error, error_size, "key \"%s\" is not a set", SP_CONSUMER_KEY_SERVICES);
        goto out_destroy_reply;
    }
    if (type != SP_REDIS_REPLY_ARRAY) {
        sp_error_set (error, error_size, "could not read key \"%s\": %s", SP_CONSUMER_KEY_SERVICES,
                      type == SP_REDIS_REPLY_ERROR ? sp_redis_reply_string (set, NULL)
                                                   : "unexpected reply");
        goto out_destroy_reply;
    }
    size_t count = sp_redis_reply_size (set);
    read.names = (char **) calloc (count ? count : 1, sizeof *read.names);
    if (!read.names)
        goto out_no_memory;
    for (size_t index = 0; index < count; index++) {
        const sp_redis_reply_t *name = sp_redis_reply_element (set, index);
        if (sp_redis_reply_type (name) != SP_REDIS_REPLY_STRING) {
            sp_error_set (error, error_size, "could not read key \"%s\": unexpected reply",
                          SP_CONSUMER_KEY_SERVICES);
            goto out_clear_read;
        }
        read.names[read.count] = s_copy (name, NULL);
        if (!read.names[read.count])
            goto out_no_memory;
        read.count++;
    }
    qsort (read.names, read.count, sizeof *read.names, s_compare_names);
    sp_consumer_state_services_clear (services);
    *services = read;
    rc = 0;
    goto out_destroy_reply;

out_no_memory:
    sp_error_set (error, error_size, "out of memory reading the services");
out_clear_read:
    sp_consumer_state_services_clear (&read);
out_destroy_reply:
    sp_redis_reply_destroy (&reply);
out_destroy_pipeline:
    sp_redis_pipeline_destroy (&pipeline);
    return rc;
}

void
sp_consumer_state_services_clear (sp_consumer_state_services_t *services)
{
    assert (services);
    for (size_t index = 0; index < services->count; index++)
        free (services->names[index]);
    free (services->names);
    services->names = NULL;
    services->count = 0;
}
