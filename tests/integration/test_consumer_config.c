/*  test_consumer_config - a consumer service's config record
    (sp_consumer_config_record) against the harness's Redis, one server or
    a Redis Cluster (SP_HARNESS_REDIS=cluster; tests/run-tests.sh runs it
    on both). A first start writes the record and asks for no rebuild; the
    same settings again change nothing; a changed setting rewrites the
    record and asks for one rebuild (<service>:rebuild counts up once); a
    field missing from an older record asks for one too.

    On a cluster the record and the rebuild counter are keys of different
    slots: written in one transaction, the change was refused with
    CROSSSLOT, so a service whose settings or state layout changed could
    not start there.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <jansson.h>

#include "sp_consumer_config.h"
#include "sp_consumer_key.h"
#include "sp_harness.h"
#include "sp_harness_redis.h"
#include "sp_redis.h"

#define SERVICE "config-test"
#define ERROR_SIZE 512

/* <service>:rebuild as a number (0 when missing). */
static int64_t
s_rebuilds (sp_redis_t *redis)
{
    char key[SP_CONSUMER_KEY_MAX];
    assert_true (sp_consumer_key_rebuild (key, sizeof key, SERVICE) > 0);
    sp_redis_reply_t *reply = sp_harness_redis_run (redis, 2, (const char *[]){ "GET", key });
    assert_non_null (reply);
    const char *text = sp_redis_reply_type (reply) == SP_REDIS_REPLY_STRING
                           ? sp_redis_reply_string (reply, NULL)
                           : NULL;
    int64_t value = text ? strtoll (text, NULL, 10) : 0;
    sp_redis_reply_destroy (&reply);
    return value;
}

/* One field of the record, copied into value ("" when missing). */
static void
s_field (sp_redis_t *redis, const char *field, char *value, size_t size)
{
    char key[SP_CONSUMER_CONFIG_KEY_MAX];
    assert_int_equal (sp_consumer_config_key (key, sizeof key, SERVICE), 0);
    sp_redis_reply_t *reply =
        sp_harness_redis_run (redis, 3, (const char *[]){ "HGET", key, field });
    assert_non_null (reply);
    const char *text = sp_redis_reply_type (reply) == SP_REDIS_REPLY_STRING
                           ? sp_redis_reply_string (reply, NULL)
                           : NULL;
    snprintf (value, size, "%s", text ? text : "");
    sp_redis_reply_destroy (&reply);
}

/* Records settings (a JSON object text); returns whether a rebuild was
   asked for. */
static bool
s_record (sp_redis_t *redis, const char *settings)
{
    json_t *wanted = json_loads (settings, 0, NULL);
    assert_non_null (wanted);
    char error[ERROR_SIZE] = "";
    bool rebuilt = true;
    int rc = sp_consumer_config_record (redis, SERVICE, wanted, sp_consumer_config_every_field,
                                        NULL, &rebuilt, error, sizeof error);
    json_decref (wanted);
    if (rc != 0)
        fail_msg ("sp_consumer_config_record: %s", error);
    return rebuilt;
}

static void
test_a_changed_setting_rewrites_the_record_and_asks_one_rebuild (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    char value[64];

    /* first start: written, nothing to rebuild */
    assert_false (s_record (redis, "{\"currency\": \"USD\", \"format\": \"3\"}"));
    s_field (redis, "currency", value, sizeof value);
    assert_string_equal (value, "USD");
    assert_int_equal (s_rebuilds (redis), 0);

    /* the same again: nothing */
    assert_false (s_record (redis, "{\"currency\": \"USD\", \"format\": \"3\"}"));
    assert_int_equal (s_rebuilds (redis), 0);

    /* a new state layout: rewritten, one rebuild */
    assert_true (s_record (redis, "{\"currency\": \"USD\", \"format\": \"4\"}"));
    s_field (redis, "format", value, sizeof value);
    assert_string_equal (value, "4");
    assert_int_equal (s_rebuilds (redis), 1);

    /* a field the record lacks (an older build wrote it): one more */
    assert_true (
        s_record (redis, "{\"currency\": \"USD\", \"format\": \"4\", \"time_zone\": \"UTC\"}"));
    s_field (redis, "time_zone", value, sizeof value);
    assert_string_equal (value, "UTC");
    assert_int_equal (s_rebuilds (redis), 2);
    sp_redis_destroy (&redis);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_changed_setting_rewrites_the_record_and_asks_one_rebuild),
    };
    return cmocka_run_group_tests_name ("consumer_config", tests,
                                        sp_harness_redis_group_setup_either,
                                        sp_harness_redis_group_teardown);
}
