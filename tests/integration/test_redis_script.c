/*  test_redis_script - sp_redis_script against the harness's real Redis:
    SHA1 loading and transparent reload after SCRIPT FLUSH and FLUSHALL
    (NOSCRIPT), replies of every type and script errors, and scripts sent
    and received apart (what the consumer's pipelined apply does).
    The rest of sp_redis is in test_redis.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_harness.h"
#include "sp_harness_redis.h"
#include "sp_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 512     /* error buffer used by every test */
#define PATH_SIZE 256      /* texts of a test */
#define SCRIPT_INCREMENT 5 /* ARGV[1] of the script test */

static void
test_script_reload_after_flush (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_redis_script_t *script =
        sp_redis_script_new ("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    assert_non_null (script);
    assert_string_equal (sp_redis_script_sha (script), "");
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_redis_script_load (script, redis, error, sizeof error), 0);
    char sha[PATH_SIZE];
    snprintf (sha, sizeof sha, "%s", sp_redis_script_sha (script));
    assert_int_equal (strlen (sha), 40);
    assert_int_equal (strspn (sha, "0123456789abcdef"), 40);

    char increment[PATH_SIZE];
    snprintf (increment, sizeof increment, "%d", SCRIPT_INCREMENT);
    const char *argv[] = { "total", increment };
    sp_redis_reply_t *reply =
        sp_redis_script_run (script, redis, 1, 2, argv, NULL, error, sizeof error);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_integer (reply), SCRIPT_INCREMENT);
    sp_redis_reply_destroy (&reply);

    /* Redis forgets every script; the next run reloads transparently. */
    const char *flush[] = { "SCRIPT", "FLUSH" };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 2, flush), 0);
    const char *exists[] = { "SCRIPT", "EXISTS", sha };
    reply = sp_harness_redis_run (redis, 3, exists);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_integer (sp_redis_reply_element (reply, 0)), 0);
    sp_redis_reply_destroy (&reply);
    reply = sp_redis_script_run (script, redis, 1, 2, argv, NULL, error, sizeof error);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_integer (reply), 2 * SCRIPT_INCREMENT);
    sp_redis_reply_destroy (&reply);
    assert_string_equal (sp_redis_script_sha (script), sha);
    sp_redis_script_destroy (&script);
    assert_null (script);
    sp_redis_script_destroy (&script);
    sp_redis_destroy (&redis);
}

static void
test_script_replies_and_errors (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    char error[ERROR_SIZE] = "";

    /* First run loads on demand; binary arguments; nested arrays. */
    sp_redis_script_t *script = sp_redis_script_new ("return {1, {ARGV[1], 'b'}, 'c'}");
    static const char binary[] = { 'x', '\0', 'y' };
    const char *argv[] = { binary };
    const size_t lengths[] = { sizeof binary };
    sp_redis_reply_t *reply =
        sp_redis_script_run (script, redis, 0, 1, argv, lengths, error, sizeof error);
    assert_non_null (reply);
    assert_int_equal (strlen (sp_redis_script_sha (script)), 40);
    assert_int_equal (sp_redis_reply_size (reply), 3);
    assert_int_equal (sp_redis_reply_integer (sp_redis_reply_element (reply, 0)), 1);
    const sp_redis_reply_t *inner = sp_redis_reply_element (reply, 1);
    assert_int_equal (sp_redis_reply_type (inner), SP_REDIS_REPLY_ARRAY);
    assert_int_equal (sp_redis_reply_size (inner), 2);
    size_t length = 0;
    const char *bytes = sp_redis_reply_string (sp_redis_reply_element (inner, 0), &length);
    assert_int_equal (length, sizeof binary);
    assert_memory_equal (bytes, binary, sizeof binary);
    assert_string_equal (sp_redis_reply_string (sp_redis_reply_element (inner, 1), NULL), "b");
    assert_string_equal (sp_redis_reply_string (sp_redis_reply_element (reply, 2), NULL), "c");
    sp_redis_reply_destroy (&reply);
    sp_redis_script_destroy (&script);

    /* A script's error reply is an error. */
    script = sp_redis_script_new ("return redis.error_reply('bad thing')");
    assert_null (sp_redis_script_run (script, redis, 0, 0, NULL, NULL, error, sizeof error));
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected, "script %.8s failed: bad thing",
              sp_redis_script_sha (script));
    assert_string_equal (error, expected);
    assert_true (sp_redis_connected (redis));
    sp_redis_script_destroy (&script);

    /* A script that does not compile fails to load, with Redis's reason. */
    script = sp_redis_script_new ("this is not lua");
    assert_int_equal (sp_redis_script_load (script, redis, error, sizeof error), -1);
    assert_int_equal (strncmp (error, "could not load script: ERR Error compiling script",
                               strlen ("could not load script: ERR Error compiling script")),
                      0);
    assert_string_equal (sp_redis_script_sha (script), "");
    assert_null (sp_redis_script_run (script, redis, 0, 0, NULL, NULL, error, sizeof error));
    assert_int_equal (strncmp (error, "could not load script:", strlen ("could not load script:")),
                      0);
    sp_redis_script_destroy (&script);
    sp_redis_destroy (&redis);
}

/* A pipelined script: sent, the caller works on another connection,
   then received; a NOSCRIPT on the receive loads and runs it again; an
   error reply is a failure; a connection that died in between fails the
   receive, and the next call reconnects. */
static void
test_script_send_and_receive (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    sp_redis_t *other = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    assert_non_null (other);
    sp_redis_script_t *script =
        sp_redis_script_new ("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    char error[ERROR_SIZE] = "";
    const char *argv[] = { "sent", "5" };
    assert_false (sp_redis_script_sent (redis));
    assert_int_equal (sp_redis_script_send (script, redis, 1, 2, argv, NULL, error, sizeof error),
                      0);
    assert_true (sp_redis_script_sent (redis));
    /* Work on another connection while the script runs. */
    const char *set[] = { "SET", "meanwhile", "1" };
    assert_int_equal (sp_harness_redis_run_and_drop (other, 3, set), 0);
    sp_redis_reply_t *reply = sp_redis_script_receive (redis, error, sizeof error);
    assert_non_null (reply);
    assert_false (sp_redis_script_sent (redis));
    assert_int_equal (sp_redis_reply_integer (reply), 5);
    sp_redis_reply_destroy (&reply);

    /* Redis forgets its scripts between the send's load and the run. */
    const char *flush[] = { "SCRIPT", "FLUSH" };
    assert_int_equal (sp_harness_redis_run_and_drop (other, 2, flush), 0);
    assert_int_equal (sp_redis_script_send (script, redis, 1, 2, argv, NULL, error, sizeof error),
                      0);
    reply = sp_redis_script_receive (redis, error, sizeof error);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_integer (reply), 10);
    sp_redis_reply_destroy (&reply);

    /* An error reply is a failure with the reason. */
    const char *wrong[] = { "meanwhile", "x" };
    assert_int_equal (sp_redis_script_send (script, redis, 1, 2, wrong, NULL, error, sizeof error),
                      0);
    assert_null (sp_redis_script_receive (redis, error, sizeof error));
    assert_non_null (strstr (error, "failed"));
    assert_true (sp_redis_connected (redis));

    /* No reply in time (a script running longer than the connection's
       command timeout): the receive fails, the connection is dropped,
       and the next call reconnects. */
    sp_redis_options_t options;
    sp_redis_options_init (&options);
    options.command_timeout_ms = 50;
    sp_redis_t *impatient =
        sp_redis_new (sp_harness_redis_url (*state), &options, error, sizeof error);
    assert_non_null (impatient);
    sp_redis_script_t *slow = sp_redis_script_new (
        "local start = redis.call('TIME')\n"
        "repeat local now = redis.call('TIME') until (now[1] - start[1]) * 1000000 + "
        "(now[2] - start[2]) > 300000\n"
        "return redis.call('INCRBY', KEYS[1], ARGV[1])");
    assert_int_equal (sp_redis_script_send (slow, impatient, 1, 2, argv, NULL, error, sizeof error),
                      0);
    assert_null (sp_redis_script_receive (impatient, error, sizeof error));
    assert_false (sp_redis_script_sent (impatient));
    assert_false (sp_redis_connected (impatient));
    sp_harness_pause_ms (400); /* the script ends; its write stands */
    const char *get[] = { "GET", "sent" };
    sp_redis_reply_t *value = sp_redis_command (impatient, 2, get, NULL, error, sizeof error);
    assert_non_null (value);
    assert_string_equal (sp_redis_reply_string (value, NULL), "15");
    sp_redis_reply_destroy (&value);
    sp_redis_script_destroy (&slow);
    sp_redis_destroy (&impatient);

    sp_redis_script_destroy (&script);
    sp_redis_destroy (&other);
    sp_redis_destroy (&redis);
}

/* ================================================================ group 3: own server */

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_script_reload_after_flush),
        cmocka_unit_test (test_script_replies_and_errors),
        cmocka_unit_test (test_script_send_and_receive),
    };
    return cmocka_run_group_tests_name ("redis_script", tests, sp_harness_redis_group_setup,
                                        sp_harness_redis_group_teardown);
}
