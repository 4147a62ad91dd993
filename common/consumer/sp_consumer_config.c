/*  sp_consumer_config - a consumer service's config record (see
    sp_consumer_config.h). */
#include "sp_consumer_config.h"

#include <stdio.h>
#include <string.h>

#include "sp_consumer_key.h"
#include "sp_redis_pipeline.h"

int
sp_consumer_config_key (char *buffer, size_t size, const char *service)
{
    int written = snprintf (buffer, size, "%s:config", service);
    return written < 0 || (size_t) written >= size ? -1 : 0;
}

/* Replaces the record with wanted in one transaction; with rebuild, also
   asks for a rebuild. */
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
    if (rebuild &&
        sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "INCR", rebuild_key }, NULL) != 0)
        goto out_of_memory;
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
