/*  sp_consumer_fetch - reads the keys a handler declared into its view
    (see sp_consumer_fetch.h). */
#include "sp_consumer_fetch.h"

#include <assert.h>
#include <string.h>

#include "sp_error.h"

/* Keys read by one MGET (all MGETs of a run go in one pipeline). */
#define FETCH_CHUNK 500

int
sp_consumer_fetch (sp_consumer_view_t *view, sp_redis_t *redis, sp_redis_pipeline_t *pipeline,
                   char *error, size_t error_size)
{
    assert (view && redis && pipeline);
    if (sp_consumer_view_error (view)) {
        sp_error_set (error, error_size, "%s", sp_consumer_view_error (view));
        return -1;
    }
    size_t count = sp_consumer_view_wanted (view);
    if (count == 0) {
        sp_consumer_view_ready (view);
        return 0;
    }
    sp_redis_pipeline_reset (pipeline);
    const char *argv[FETCH_CHUNK + 1];
    argv[0] = "MGET";
    for (size_t first = 0; first < count; first += FETCH_CHUNK) {
        size_t keys = count - first < FETCH_CHUNK ? count - first : FETCH_CHUNK;
        for (size_t index = 0; index < keys; index++)
            argv[index + 1] = sp_consumer_view_wanted_key (view, first + index);
        if (sp_redis_pipeline_append (pipeline, (int) keys + 1, argv, NULL) != 0) {
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
    }
    sp_redis_reply_t *reply = sp_redis_execute (redis, pipeline, error, error_size);
    if (!reply)
        return -1;
    int rc = 0;
    size_t chunks = sp_redis_pipeline_size (pipeline);
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY ||
        sp_redis_reply_size (reply) != chunks) {
        sp_error_set (error, error_size, "unexpected reply to the handler's MGET");
        rc = -1;
    }
    for (size_t chunk = 0; rc == 0 && chunk < chunks; chunk++) {
        const sp_redis_reply_t *values = sp_redis_reply_element (reply, chunk);
        size_t first = chunk * FETCH_CHUNK;
        size_t keys = count - first < FETCH_CHUNK ? count - first : FETCH_CHUNK;
        if (sp_redis_reply_type (values) != SP_REDIS_REPLY_ARRAY ||
            sp_redis_reply_size (values) != keys) {
            size_t length = 0;
            const char *text = sp_redis_reply_type (values) == SP_REDIS_REPLY_ERROR
                                   ? sp_redis_reply_string (values, &length)
                                   : "not an array of values";
            sp_error_set (error, error_size, "MGET of the handler's keys failed: %.*s",
                          (int) (length ? length : strlen (text)), text);
            rc = -1;
            break;
        }
        for (size_t index = 0; rc == 0 && index < keys; index++) {
            const sp_redis_reply_t *value = sp_redis_reply_element (values, index);
            size_t length = 0;
            bool found = sp_redis_reply_type (value) == SP_REDIS_REPLY_STRING;
            const char *data = found ? sp_redis_reply_string (value, &length) : NULL;
            if (sp_consumer_view_fill (view, first + index, data, length, found) != 0) {
                sp_error_set (error, error_size, "out of memory");
                rc = -1;
            }
        }
    }
    sp_redis_reply_destroy (&reply);
    if (rc == 0)
        sp_consumer_view_ready (view);
    return rc;
}
