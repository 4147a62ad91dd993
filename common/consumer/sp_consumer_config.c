/*  sp_consumer_config - a consumer service's config record (see
    sp_consumer_config.h). */
#include "sp_consumer_config.h"

#include <stdio.h>
#include <string.h>

#include "sp_consumer_key.h"
#include "sp_log.h"

#include <czmq.h>
#include <stdlib.h>

/* How often the record is checked for, ms: a flushed Redis loses it while
   the consumer rebuilds the state it describes. */
#define S_CHECK_MS 1000
#define S_ERROR_SIZE 512
#include "sp_redis_pipeline.h"

int
sp_consumer_config_key (char *buffer, size_t size, const char *service)
{
    int written = snprintf (buffer, size, "%s:config", service);
    return written < 0 || (size_t) written >= size ? -1 : 0;
}

/* Replaces the record with wanted in one transaction; with rebuild, asks
   for a rebuild first. The two are separate commands: the record and the
   rebuild counter are keys of different slots on a Redis Cluster, where
   one transaction over both is refused (CROSSSLOT). In this order a
   crash between them costs at most one more rebuild (the old record
   still differs at the next start), never a state kept under settings
   it was not built with. */
static int
s_write (sp_redis_t *redis, const char *service, const json_t *wanted, bool rebuild, char *error,
         size_t error_size)
{
    char key[SP_CONSUMER_CONFIG_KEY_MAX];
    char rebuild_key[SP_CONSUMER_KEY_MAX];
    if (sp_consumer_config_key (key, sizeof key, service) != 0 ||
        sp_consumer_key_rebuild (rebuild_key, sizeof rebuild_key, service) < 0) {
        snprintf (error, error_size, "service name \"%s\" is too long for its keys", service);
        return -1;
    }
    if (rebuild) {
        sp_redis_reply_t *asked = sp_redis_command (
            redis, 2, (const char *[]){ "INCR", rebuild_key }, NULL, error, error_size);
        if (!asked)
            return -1;
        sp_redis_reply_destroy (&asked);
    }
    int rc = -1;
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    if (!pipeline || sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "DEL", key }, NULL))
        goto out_of_memory;
    const char *field;
    json_t *value;
    json_object_foreach ((json_t *) wanted, field, value)
    {
        if (sp_redis_pipeline_append (
                pipeline, 4, (const char *[]){ "HSET", key, field, json_string_value (value) },
                NULL) != 0)
            goto out_of_memory;
    }
    sp_redis_reply_t *reply = sp_redis_execute_atomic (redis, pipeline, error, error_size);
    if (reply) {
        sp_redis_reply_destroy (&reply);
        rc = 0;
    }
    goto out_destroy;
out_of_memory:
    snprintf (error, error_size, "out of memory");
out_destroy:
    sp_redis_pipeline_destroy (&pipeline);
    return rc;
}

int
sp_consumer_config_write (sp_redis_t *redis, const char *service, const json_t *wanted, char *error,
                          size_t error_size)
{
    return s_write (redis, service, wanted, false, error, error_size);
}

int
sp_consumer_config_record (sp_redis_t *redis, const char *service, const json_t *wanted,
                           sp_consumer_config_rebuild_fn *rebuild, void *arg, bool *rebuilt,
                           char *error, size_t error_size)
{
    *rebuilt = false;
    char key[SP_CONSUMER_CONFIG_KEY_MAX];
    if (sp_consumer_config_key (key, sizeof key, service) != 0) {
        snprintf (error, error_size, "service name \"%s\" is too long for its keys", service);
        return -1;
    }
    sp_redis_reply_t *reply =
        sp_redis_command (redis, 2, (const char *[]){ "HGETALL", key }, NULL, error, error_size);
    if (!reply)
        return -1;
    bool array = sp_redis_reply_type (reply) == SP_REDIS_REPLY_ARRAY;
    bool existed = array && sp_redis_reply_size (reply) > 0; /* a first start rebuilds nothing */
    bool same = array && sp_redis_reply_size (reply) == 2 * json_object_size (wanted);
    bool settings_changed = false;
    for (size_t index = 0; array && index + 1 < sp_redis_reply_size (reply); index += 2) {
        const char *field = sp_redis_reply_string (sp_redis_reply_element (reply, index), NULL);
        const char *value = sp_redis_reply_string (sp_redis_reply_element (reply, index + 1), NULL);
        const char *expected = json_string_value (json_object_get (wanted, field));
        bool equal = expected && value && strcmp (expected, value) == 0;
        same = same && equal;
        if (!equal && field && rebuild && rebuild (field, arg))
            settings_changed = true;
    }
    /* a field the record lacks (written by an older build) changed too */
    const char *wanted_field;
    json_t *wanted_value;
    json_object_foreach ((json_t *) wanted, wanted_field, wanted_value)
    {
        bool present = false;
        for (size_t index = 0; array && !present && index + 1 < sp_redis_reply_size (reply);
             index += 2) {
            const char *field = sp_redis_reply_string (sp_redis_reply_element (reply, index), NULL);
            present = field && strcmp (field, wanted_field) == 0;
        }
        if (!present && existed && rebuild && rebuild (wanted_field, arg))
            settings_changed = true;
    }
    sp_redis_reply_destroy (&reply);
    if (same)
        return 0;
    if (s_write (redis, service, wanted, settings_changed, error, error_size) != 0)
        return -1;
    *rebuilt = settings_changed;
    return 0;
}

int
sp_consumer_config_restore (sp_redis_t *redis, const char *service, const json_t *wanted,
                            char *error, size_t error_size)
{
    char key[SP_CONSUMER_CONFIG_KEY_MAX];
    if (sp_consumer_config_key (key, sizeof key, service) != 0) {
        snprintf (error, error_size, "service name \"%s\" is too long for its keys", service);
        return -1;
    }
    sp_redis_reply_t *reply =
        sp_redis_command (redis, 2, (const char *[]){ "EXISTS", key }, NULL, error, error_size);
    if (!reply)
        return -1;
    bool missing = sp_redis_reply_type (reply) == SP_REDIS_REPLY_INTEGER &&
                   sp_redis_reply_integer (reply) == 0;
    sp_redis_reply_destroy (&reply);
    if (!missing)
        return 0;
    return s_write (redis, service, wanted, false, error, error_size) == 0 ? 1 : -1;
}

bool
sp_consumer_config_every_field (const char *field, void *arg)
{
    (void) field;
    (void) arg;
    return true;
}

struct _sp_consumer_config_t {
    sp_redis_t *redis; /* borrowed from the service */
    zloop_t *loop;     /* the service's reactor */
    char name[SP_CONSUMER_CONFIG_KEY_MAX];
    json_t *fields; /* owned */
    int timer;      /* -1 when none */
};

void
sp_consumer_config_destroy (sp_consumer_config_t **self_p)
{
    sp_consumer_config_t *self = *self_p;
    if (!self)
        return;
    if (self->timer != -1)
        zloop_timer_end (self->loop, self->timer);
    json_decref (self->fields);
    free (self);
    *self_p = NULL;
}

/* Timer: writes the record again when Redis lost it; the consumer
   rebuilds the state meanwhile with the same settings, so no rebuild is
   asked for. */
static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    sp_consumer_config_t *self = arg;
    char error[S_ERROR_SIZE] = "";
    int restored =
        sp_consumer_config_restore (self->redis, self->name, self->fields, error, sizeof error);
    if (restored == 1)
        sp_log_warn ("config record was missing: written again", "key=\"%s:config\"", self->name);
    else if (restored < 0)
        sp_log_warn ("could not write the config record again", "key=\"%s:config\" error=\"%s\"",
                     self->name, error);
    return 0; /* Redis trouble is the health check's to report; try again next tick */
}

sp_consumer_config_t *
sp_consumer_config_new (sp_service_t *service, const char *name, json_t *wanted,
                        sp_consumer_config_rebuild_fn *rebuild, void *arg, bool *rebuilt,
                        char *error, size_t error_size)
{
    sp_consumer_config_t *self = calloc (1, sizeof *self);
    if (!self || !wanted) {
        snprintf (error, error_size, "out of memory");
        json_decref (wanted);
        free (self);
        return NULL;
    }
    self->timer = -1;
    self->fields = wanted;
    self->redis = sp_service_redis (service);
    self->loop = sp_service_loop (service);
    snprintf (self->name, sizeof self->name, "%s", name);
    if (sp_consumer_config_record (self->redis, name, wanted, rebuild, arg, rebuilt, error,
                                   error_size) != 0)
        goto out_failed;
    self->timer = zloop_timer (self->loop, S_CHECK_MS, 0, s_on_timer, self);
    if (self->timer == -1) {
        snprintf (error, error_size, "could not add the config record's timer");
        goto out_failed;
    }
    return self;
out_failed:
    sp_consumer_config_destroy (&self);
    return NULL;
}

int
sp_consumer_config_set (sp_consumer_config_t *self, json_t *wanted, char *error, size_t error_size)
{
    json_decref (self->fields);
    self->fields = wanted;
    return sp_consumer_config_write (self->redis, self->name, wanted, error, error_size);
}

const json_t *
sp_consumer_config_fields (const sp_consumer_config_t *self)
{
    return self->fields;
}

int
sp_consumer_config_settings (sp_redis_t *redis, const char *service,
                             char currency[SP_CONSUMER_CONFIG_CURRENCY_SIZE], char *time_zone,
                             size_t time_zone_size, sp_tz_t **tz, char *error, size_t error_size)
{
    *tz = NULL;
    char key[SP_CONSUMER_CONFIG_KEY_MAX];
    char reason[S_ERROR_SIZE];
    if (sp_consumer_config_key (key, sizeof key, service) != 0) {
        snprintf (error, error_size, "service name \"%s\" is too long for its keys", service);
        return -1;
    }
    const char *argv[] = { "HMGET", key, "currency", "time_zone" };
    sp_redis_reply_t *reply = sp_redis_command (redis, 4, argv, NULL, reason, sizeof reason);
    if (!reply) {
        snprintf (error, error_size, "could not read %s: %s", key, reason);
        return -1;
    }
    bool pair =
        sp_redis_reply_type (reply) == SP_REDIS_REPLY_ARRAY && sp_redis_reply_size (reply) == 2;
    const char *code = pair ? sp_redis_reply_text (sp_redis_reply_element (reply, 0), NULL) : NULL;
    const char *zone = pair ? sp_redis_reply_text (sp_redis_reply_element (reply, 1), NULL) : NULL;
    int rc = -1;
    if (!code || !zone)
        snprintf (error, error_size,
                  "%s holds no currency and time zone: %s has not counted anything in this "
                  "Redis yet (is it running against it?)",
                  key, service);
    else if (strlen (code) != SP_CONSUMER_CONFIG_CURRENCY_SIZE - 1 ||
             strlen (zone) >= time_zone_size)
        snprintf (error, error_size, "%s holds a malformed currency or time zone", key);
    else if (!(*tz = sp_tz_new (zone, reason, sizeof reason)))
        snprintf (error, error_size, "time zone of %s: %s", key, reason);
    else {
        memcpy (currency, code, SP_CONSUMER_CONFIG_CURRENCY_SIZE);
        snprintf (time_zone, time_zone_size, "%s", zone);
        rc = 0;
    }
    sp_redis_reply_destroy (&reply);
    return rc;
}
