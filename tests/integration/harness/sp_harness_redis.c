/*  sp_harness_redis - the harness's Redis as integration tests use it (see
    sp_harness_redis.h).
*/
#include "sp_harness_redis.h"

#include <stdio.h>
#include <string.h>

#define UNREACHABLE_TIMEOUT_MS 200 /* connect timeout against the closed port */
#define UNREACHABLE_BACKOFF_MS 1   /* backoff against the closed port */
#define UNREACHABLE_URL_SIZE 128

#define SP_HARNESS_REDIS_ERROR_SIZE 512 /* room for an sp_redis error */

sp_redis_t *
sp_harness_redis_connect (const sp_harness_t *harness)
{
    char error[SP_HARNESS_REDIS_ERROR_SIZE] = "";
    sp_redis_t *redis = sp_redis_new (sp_harness_redis_url (harness), NULL, error, sizeof error);
    if (!redis || sp_redis_connect (redis, error, sizeof error) != 0) {
        fprintf (stderr, "sp_harness: could not connect to redis at \"%s\": %s\n",
                 sp_harness_redis_url (harness), error);
        sp_redis_destroy (&redis);
    }
    return redis;
}

sp_redis_t *
sp_harness_redis_fresh (const sp_harness_t *harness)
{
    sp_redis_t *redis = sp_harness_redis_connect (harness);
    if (redis && sp_harness_redis_run_and_drop (redis, 1, (const char *const[]){ "FLUSHALL" }) != 0)
        sp_redis_destroy (&redis);
    return redis;
}

sp_redis_reply_t *
sp_harness_redis_run (sp_redis_t *redis, int argc, const char *const *argv)
{
    char error[SP_HARNESS_REDIS_ERROR_SIZE] = "";
    sp_redis_reply_t *reply = sp_redis_command (redis, argc, argv, NULL, error, sizeof error);
    if (!reply)
        fprintf (stderr, "sp_harness: redis \"%s\" failed: %s\n", argv[0], error);
    return reply;
}

int
sp_harness_redis_run_and_drop (sp_redis_t *redis, int argc, const char *const *argv)
{
    sp_redis_reply_t *reply = sp_harness_redis_run (redis, argc, argv);
    if (!reply)
        return -1;
    sp_redis_reply_destroy (&reply);
    return 0;
}

int
sp_harness_redis_integer (sp_redis_t *redis, int argc, const char *const *argv, int64_t *value)
{
    sp_redis_reply_t *reply = sp_harness_redis_run (redis, argc, argv);
    if (!reply)
        return -1;
    int rc = -1;
    if (sp_redis_reply_type (reply) == SP_REDIS_REPLY_INTEGER) {
        *value = sp_redis_reply_integer (reply);
        rc = 0;
    }
    else
        fprintf (stderr, "sp_harness: redis \"%s\" answered reply type %d, not an integer\n",
                 argv[0], (int) sp_redis_reply_type (reply));
    sp_redis_reply_destroy (&reply);
    return rc;
}

bool
sp_harness_redis_value_is (sp_redis_t *redis, const char *key, const char *expected)
{
    sp_redis_reply_t *reply = sp_harness_redis_run (redis, 2, (const char *const[]){ "GET", key });
    if (!reply)
        return false;
    sp_redis_reply_type_t type = sp_redis_reply_type (reply);
    const char *value = type == SP_REDIS_REPLY_STRING ? sp_redis_reply_string (reply, NULL) : NULL;
    bool equal = expected ? value && strcmp (value, expected) == 0 : type == SP_REDIS_REPLY_NIL;
    if (!equal)
        fprintf (stderr, "sp_harness: key \"%s\" holds \"%s\" (reply type %d), expected \"%s\"\n",
                 key, value ? value : "(none)", (int) type, expected ? expected : "(missing)");
    sp_redis_reply_destroy (&reply);
    return equal;
}

int
sp_harness_redis_group_setup (void **state)
{
    sp_harness_t *harness = sp_harness_new (SP_HARNESS_REDIS);
    if (!harness)
        return -1;
    *state = harness;
    return 0;
}

int
sp_harness_redis_group_setup_either (void **state)
{
    sp_harness_t *harness = sp_harness_new (sp_harness_redis_flag ());
    if (!harness)
        return -1;
    *state = harness;
    return 0;
}

int
sp_harness_redis_group_teardown (void **state)
{
    sp_harness_t *harness = *state;
    sp_harness_destroy (&harness);
    *state = NULL;
    return 0;
}

sp_redis_t *
sp_harness_redis_unreachable (void)
{
    sp_redis_options_t options;
    sp_redis_options_init (&options);
    options.connect_timeout_ms = UNREACHABLE_TIMEOUT_MS;
    options.connect_attempts = 1;
    options.backoff_initial_ms = UNREACHABLE_BACKOFF_MS;
    options.backoff_max_ms = UNREACHABLE_BACKOFF_MS;
    int port = sp_harness_free_port ();
    if (port <= 0) {
        fprintf (stderr, "sp_harness_redis: no free port for an unreachable redis\n");
        return NULL;
    }
    char url[UNREACHABLE_URL_SIZE], error[UNREACHABLE_URL_SIZE * 2] = "";
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0", port);
    sp_redis_t *redis = sp_redis_new (url, &options, error, sizeof error);
    if (!redis)
        fprintf (stderr, "sp_harness_redis: %s\n", error);
    return redis;
}
