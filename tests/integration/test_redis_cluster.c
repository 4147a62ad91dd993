/*  test_redis_cluster - a real 3-master Redis Cluster from the harness
    (sp_harness_cluster) and the Redis seam speaking to it.

    The harness: it forms (every node ok, every slot served by the node
    the harness gave it), its slots agree with sp_redis_slot on the
    server's own CLUSTER KEYSLOT, a slot moves with its keys, and
    destroying it stops every node and leaves no folder behind.

    The seam (a redis+cluster:// URL): commands and pipelines across
    slots land on the owning nodes with replies in order, MOVED after a
    slot migration and ASK during one are followed, a script runs on the
    node of its keys (loaded there when the node lost it), a script or a
    transaction over several slots is refused before anything is sent,
    and an unreachable cluster fails with a clear message. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "sp_harness.h"
#include "sp_harness_cluster.h"
#include "sp_harness_redis.h"
#include "sp_redis.h"
#include "sp_redis_slot.h"

#define ERROR_SIZE 512
#define KEY_SIZE 64
#define KEYSLOT_SAMPLES 300 /* keys compared with CLUSTER KEYSLOT */
#define WAIT_MS 30000

/* Every node says ok, knows three nodes, and the slots are split in
   three runs as the harness says. */
static void
test_cluster_forms (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    assert_int_equal (sp_harness_cluster_size (cluster), 3);
    for (int i = 0; i < 3; i++) {
        sp_redis_t *node = sp_harness_cluster_node (cluster, i);
        assert_non_null (node);
        sp_redis_reply_t *info =
            sp_harness_redis_run (node, 2, (const char *const[]){ "CLUSTER", "INFO" });
        assert_non_null (info);
        const char *text = sp_redis_reply_text (info, NULL);
        assert_non_null (strstr (text, "cluster_state:ok"));
        assert_non_null (strstr (text, "cluster_known_nodes:3"));
        assert_non_null (strstr (text, "cluster_size:3"));
        sp_redis_reply_destroy (&info);
    }
    assert_int_equal (sp_harness_cluster_owner (cluster, 0), 0);
    assert_int_equal (sp_harness_cluster_owner (cluster, 5460), 0);
    assert_int_equal (sp_harness_cluster_owner (cluster, 5461), 1);
    assert_int_equal (sp_harness_cluster_owner (cluster, 10921), 1); /* 2 * 16384 / 3 - 1 */
    assert_int_equal (sp_harness_cluster_owner (cluster, 10922), 2);
    assert_int_equal (sp_harness_cluster_owner (cluster, 16383), 2);
    const char *url = sp_harness_cluster_url (cluster);
    assert_true (strncmp (url, "redis+cluster://127.0.0.1:", 26) == 0);
}

/* A node refuses a key of another node's slot with MOVED to that node:
   the cluster really is one. */
static void
test_cluster_redirects (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    int slot = sp_redis_slot ("foo", 3); /* 12182: node 2 */
    assert_int_equal (sp_harness_cluster_owner (cluster, slot), 2);
    char error[ERROR_SIZE] = "";
    sp_redis_reply_t *reply =
        sp_redis_command (sp_harness_cluster_node (cluster, 0), 2,
                          (const char *const[]){ "GET", "foo" }, NULL, error, sizeof error);
    assert_null (reply);
    char expected[KEY_SIZE];
    snprintf (expected, sizeof expected, "MOVED 12182 127.0.0.1:%d",
              sp_harness_cluster_port (cluster, 2));
    assert_non_null (strstr (error, expected));
}

/* sp_redis_slot agrees with the server on keys with and without tags. */
static void
test_slots_match_keyslot (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    sp_redis_t *node = sp_harness_cluster_node (cluster, 1);
    for (int i = 0; i < KEYSLOT_SAMPLES; i++) {
        char key[KEY_SIZE];
        switch (i % 4) {
            case 0:
                snprintf (key, sizeof key, "funnel:{p%d}:stage", i);
                break;
            case 1:
                snprintf (key, sizeof key, "key:%d", i * 7919);
                break;
            case 2:
                snprintf (key, sizeof key, "x{}{%d}y", i);
                break;
            default:
                snprintf (key, sizeof key, "{{%d}}:%d", i, i);
                break;
        }
        int64_t slot = -1;
        assert_int_equal (sp_harness_redis_integer (
                              node, 3, (const char *const[]){ "CLUSTER", "KEYSLOT", key }, &slot),
                          0);
        assert_int_equal (sp_redis_slot (key, strlen (key)), slot);
    }
}

/* A slot moves with its keys: the new owner serves them, the old one
   redirects, every node agrees. */
static void
test_move_slot (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    const char *key = "{moving}:a";
    int slot = sp_redis_slot (key, strlen (key));
    int source = sp_harness_cluster_owner (cluster, slot);
    int target = (source + 1) % 3;
    sp_redis_t *from = sp_harness_cluster_node (cluster, source);
    assert_int_equal (
        sp_harness_redis_run_and_drop (from, 3, (const char *const[]){ "SET", key, "1" }), 0);
    assert_int_equal (
        sp_harness_redis_run_and_drop (from, 3, (const char *const[]){ "SET", "{moving}:b", "2" }),
        0);
    assert_int_equal (sp_harness_cluster_move_slot (cluster, slot, target, true), 0);
    assert_int_equal (sp_harness_cluster_owner (cluster, slot), target);
    assert_int_equal (sp_harness_cluster_wait_ok (cluster, WAIT_MS), 0);
    sp_redis_t *to = sp_harness_cluster_node (cluster, target);
    assert_true (sp_harness_redis_value_is (to, key, "1"));
    assert_true (sp_harness_redis_value_is (to, "{moving}:b", "2"));
    char error[ERROR_SIZE] = "";
    sp_redis_reply_t *reply =
        sp_redis_command (from, 2, (const char *const[]){ "GET", key }, NULL, error, sizeof error);
    assert_null (reply);
    assert_non_null (strstr (error, "MOVED"));
    /* and back, so later tests see the cluster as formed */
    assert_int_equal (sp_harness_cluster_move_slot (cluster, slot, source, true), 0);
    assert_int_equal (sp_harness_cluster_wait_ok (cluster, WAIT_MS), 0);
    assert_true (sp_harness_redis_value_is (from, key, "1"));
}

/* Destroy stops every node and removes the folder (a cluster of its
   own, so the group's stays up). */
static void
test_destroy_stops_everything (void **state)
{
    (void) state;
    sp_harness_cluster_t *cluster = sp_harness_cluster_new (1);
    assert_non_null (cluster);
    char dir[512], url[128];
    snprintf (dir, sizeof dir, "%s", sp_harness_cluster_dir (cluster));
    snprintf (url, sizeof url, "%s", sp_harness_cluster_node_url (cluster, 0));
    struct stat status;
    assert_int_equal (stat (dir, &status), 0);
    sp_harness_cluster_destroy (&cluster);
    assert_null (cluster);
    sp_harness_cluster_destroy (&cluster); /* no-op on NULL */
    assert_int_not_equal (stat (dir, &status), 0);
    sp_redis_options_t options;
    sp_redis_options_init (&options);
    options.connect_attempts = 1;
    char error[ERROR_SIZE] = "";
    sp_redis_t *redis = sp_redis_new (url, &options, error, sizeof error);
    assert_non_null (redis);
    assert_int_not_equal (sp_redis_connect (redis, error, sizeof error), 0);
    assert_non_null (strstr (error, "connection refused"));
    sp_redis_destroy (&redis);
    assert_null (sp_harness_cluster_new (0));
    assert_null (sp_harness_cluster_new (17));
}

/* ================================================================ the seam */

static sp_redis_t *
s_client (sp_harness_cluster_t *cluster)
{
    char error[ERROR_SIZE] = "";
    sp_redis_t *redis = sp_redis_new (sp_harness_cluster_url (cluster), NULL, error, sizeof error);
    assert_non_null (redis);
    assert_false (sp_redis_connected (redis));
    if (sp_redis_connect (redis, error, sizeof error) != 0)
        fail_msg ("could not connect: %s", error);
    assert_true (sp_redis_connected (redis));
    assert_int_equal (sp_redis_database (redis), 0);
    return redis;
}

/* Number of keys node index holds. */
static int64_t
s_node_keys (sp_harness_cluster_t *cluster, int index)
{
    int64_t count = -1;
    assert_int_equal (sp_harness_redis_integer (sp_harness_cluster_node (cluster, index), 1,
                                                (const char *const[]){ "DBSIZE" }, &count),
                      0);
    return count;
}

static void
s_flush_all (sp_harness_cluster_t *cluster)
{
    for (int i = 0; i < sp_harness_cluster_size (cluster); i++)
        assert_int_equal (sp_harness_redis_run_and_drop (sp_harness_cluster_node (cluster, i), 1,
                                                         (const char *const[]){ "FLUSHALL" }),
                          0);
}

#define SPREAD_KEYS 90 /* keys spread over every node */

/* Commands go to the node of their key: every node gets some of 90 keys,
   and each key is where its slot says. */
static void
test_commands_across_slots (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    s_flush_all (cluster);
    sp_redis_t *redis = s_client (cluster);
    char error[ERROR_SIZE] = "";
    for (int i = 0; i < SPREAD_KEYS; i++) {
        char key[KEY_SIZE], value[KEY_SIZE];
        snprintf (key, sizeof key, "spread:%d", i);
        snprintf (value, sizeof value, "v%d", i);
        sp_redis_reply_t *reply = sp_redis_command (
            redis, 3, (const char *const[]){ "SET", key, value }, NULL, error, sizeof error);
        assert_non_null (reply);
        sp_redis_reply_destroy (&reply);
    }
    int64_t total = 0;
    for (int node = 0; node < 3; node++) {
        int64_t keys = s_node_keys (cluster, node);
        assert_true (keys > 0);
        total += keys;
    }
    assert_int_equal (total, SPREAD_KEYS);
    for (int i = 0; i < SPREAD_KEYS; i++) {
        char key[KEY_SIZE], value[KEY_SIZE];
        snprintf (key, sizeof key, "spread:%d", i);
        snprintf (value, sizeof value, "v%d", i);
        int owner = sp_harness_cluster_owner (cluster, sp_redis_slot (key, strlen (key)));
        assert_true (
            sp_harness_redis_value_is (sp_harness_cluster_node (cluster, owner), key, value));
        sp_redis_reply_t *reply = sp_redis_command (redis, 2, (const char *const[]){ "GET", key },
                                                    NULL, error, sizeof error);
        assert_non_null (reply);
        assert_string_equal (sp_redis_reply_text (reply, NULL), value);
        sp_redis_reply_destroy (&reply);
    }
    /* An error reply is still an error; a keyless command goes anywhere. */
    sp_redis_reply_t *reply = sp_redis_command (
        redis, 2, (const char *const[]){ "INCR", "spread:1" }, NULL, error, sizeof error);
    assert_null (reply);
    assert_non_null (strstr (error, "command \"INCR\" failed: ERR value is not an integer"));
    assert_true (sp_redis_connected (redis));
    reply = sp_redis_command (redis, 1, (const char *const[]){ "PING" }, NULL, error, sizeof error);
    assert_non_null (reply);
    sp_redis_reply_destroy (&reply);
    /* A multi-key command over several slots: Redis's own CROSSSLOT. */
    reply = sp_redis_command (redis, 3, (const char *const[]){ "MGET", "spread:1", "spread:2" },
                              NULL, error, sizeof error);
    assert_null (reply);
    assert_non_null (strstr (error, "CROSSSLOT"));
    sp_redis_destroy (&redis);
}

/* A pipeline over every node: replies in the pipeline's order, an error
   reply in its place. */
static void
test_pipeline_across_slots (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    s_flush_all (cluster);
    sp_redis_t *redis = s_client (cluster);
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    assert_non_null (pipeline);
    char key[KEY_SIZE];
    for (int i = 0; i < SPREAD_KEYS; i++) {
        snprintf (key, sizeof key, "pipe:%d", i);
        assert_int_equal (sp_redis_pipeline_append (
                              pipeline, 3, (const char *const[]){ "INCRBY", key, key + 5 }, NULL),
                          0);
    }
    assert_int_equal (sp_redis_pipeline_append (
                          pipeline, 3, (const char *const[]){ "SET", "pipe:text", "x" }, NULL),
                      0);
    assert_int_equal (
        sp_redis_pipeline_append (pipeline, 2, (const char *const[]){ "INCR", "pipe:text" }, NULL),
        0);
    assert_int_equal (sp_redis_pipeline_append (pipeline, 1, (const char *const[]){ "PING" }, NULL),
                      0);
    for (int i = 0; i < SPREAD_KEYS; i++) {
        snprintf (key, sizeof key, "pipe:%d", i);
        assert_int_equal (
            sp_redis_pipeline_append (pipeline, 2, (const char *const[]){ "GET", key }, NULL), 0);
    }
    char error[ERROR_SIZE] = "";
    sp_redis_reply_t *replies = sp_redis_execute (redis, pipeline, error, sizeof error);
    if (!replies)
        fail_msg ("pipeline failed: %s", error);
    assert_int_equal (sp_redis_reply_size (replies), 2 * SPREAD_KEYS + 3);
    for (int i = 0; i < SPREAD_KEYS; i++) {
        const sp_redis_reply_t *incr = sp_redis_reply_element (replies, (size_t) i);
        assert_int_equal (sp_redis_reply_integer (incr), i);
        const sp_redis_reply_t *get =
            sp_redis_reply_element (replies, (size_t) (SPREAD_KEYS + 3 + i));
        char expected[KEY_SIZE];
        snprintf (expected, sizeof expected, "%d", i);
        assert_string_equal (sp_redis_reply_text (get, NULL), expected);
    }
    assert_int_equal (sp_redis_reply_type (sp_redis_reply_element (replies, SPREAD_KEYS + 1)),
                      SP_REDIS_REPLY_ERROR);
    assert_int_equal (sp_redis_reply_type (sp_redis_reply_element (replies, SPREAD_KEYS + 2)),
                      SP_REDIS_REPLY_STATUS);
    sp_redis_reply_destroy (&replies);
    for (int node = 0; node < 3; node++)
        assert_true (s_node_keys (cluster, node) > 0);
    sp_redis_pipeline_destroy (&pipeline);
    sp_redis_destroy (&redis);
}

/* The client's map goes stale when a slot moves: the next command and
   the next pipeline follow MOVED, read the map again and find the keys. */
static void
test_moved_after_migration (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    s_flush_all (cluster);
    sp_redis_t *redis = s_client (cluster);
    const char *key = "{migrant}:count";
    int slot = sp_redis_slot (key, strlen (key));
    int source = sp_harness_cluster_owner (cluster, slot);
    char error[ERROR_SIZE] = "";
    sp_redis_reply_t *reply = sp_redis_command (redis, 3, (const char *const[]){ "SET", key, "41" },
                                                NULL, error, sizeof error);
    assert_non_null (reply);
    sp_redis_reply_destroy (&reply);

    int target = (source + 1) % 3;
    assert_int_equal (sp_harness_cluster_move_slot (cluster, slot, target, true), 0);
    assert_int_equal (sp_harness_cluster_wait_ok (cluster, WAIT_MS), 0);
    reply = sp_redis_command (redis, 2, (const char *const[]){ "INCR", key }, NULL, error,
                              sizeof error);
    if (!reply)
        fail_msg ("INCR after the move failed: %s", error);
    assert_int_equal (sp_redis_reply_integer (reply), 42);
    sp_redis_reply_destroy (&reply);
    assert_true (sp_harness_redis_value_is (sp_harness_cluster_node (cluster, target), key, "42"));

    /* Again, with a pipeline whose other commands stay where they were. */
    int back = (target + 1) % 3;
    assert_int_equal (sp_harness_cluster_move_slot (cluster, slot, back, true), 0);
    assert_int_equal (sp_harness_cluster_wait_ok (cluster, WAIT_MS), 0);
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    assert_int_equal (
        sp_redis_pipeline_append (pipeline, 3, (const char *const[]){ "SET", "stay:a", "a" }, NULL),
        0);
    assert_int_equal (
        sp_redis_pipeline_append (pipeline, 2, (const char *const[]){ "INCR", key }, NULL), 0);
    assert_int_equal (
        sp_redis_pipeline_append (pipeline, 2, (const char *const[]){ "INCR", key }, NULL), 0);
    assert_int_equal (
        sp_redis_pipeline_append (pipeline, 2, (const char *const[]){ "GET", "stay:a" }, NULL), 0);
    sp_redis_reply_t *replies = sp_redis_execute (redis, pipeline, error, sizeof error);
    if (!replies)
        fail_msg ("pipeline after the move failed: %s", error);
    assert_int_equal (sp_redis_reply_integer (sp_redis_reply_element (replies, 1)), 43);
    assert_int_equal (sp_redis_reply_integer (sp_redis_reply_element (replies, 2)), 44);
    assert_string_equal (sp_redis_reply_text (sp_redis_reply_element (replies, 3), NULL), "a");
    sp_redis_reply_destroy (&replies);

    /* And a transaction on that slot after one more move. */
    assert_int_equal (sp_harness_cluster_move_slot (cluster, slot, source, true), 0);
    assert_int_equal (sp_harness_cluster_wait_ok (cluster, WAIT_MS), 0);
    sp_redis_pipeline_reset (pipeline);
    assert_int_equal (
        sp_redis_pipeline_append (pipeline, 2, (const char *const[]){ "INCR", key }, NULL), 0);
    assert_int_equal (
        sp_redis_pipeline_append (pipeline, 3,
                                  (const char *const[]){ "SET", "{migrant}:other", "o" }, NULL),
        0);
    replies = sp_redis_execute_atomic (redis, pipeline, error, sizeof error);
    if (!replies)
        fail_msg ("transaction after the move failed: %s", error);
    assert_int_equal (sp_redis_reply_integer (sp_redis_reply_element (replies, 0)), 45);
    sp_redis_reply_destroy (&replies);
    assert_true (sp_harness_redis_value_is (sp_harness_cluster_node (cluster, source),
                                            "{migrant}:other", "o"));
    sp_redis_pipeline_destroy (&pipeline);
    sp_redis_destroy (&redis);
}

/* While a slot migrates, a key already moved (or new) is asked for at
   the importing node: ASKING, then the command. */
static void
test_ask_during_migration (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    s_flush_all (cluster);
    sp_redis_t *redis = s_client (cluster);
    const char *old_key = "{asked}:old";
    int slot = sp_redis_slot (old_key, strlen (old_key));
    int source = sp_harness_cluster_owner (cluster, slot);
    int target = (source + 2) % 3;
    char error[ERROR_SIZE] = "";
    sp_redis_reply_t *reply = sp_redis_command (
        redis, 3, (const char *const[]){ "SET", old_key, "o" }, NULL, error, sizeof error);
    assert_non_null (reply);
    sp_redis_reply_destroy (&reply);
    assert_int_equal (sp_harness_cluster_move_slot (cluster, slot, target, false), 0);

    /* A new key: the source does not hold it, so it answers ASK. */
    reply = sp_redis_command (redis, 3, (const char *const[]){ "SET", "{asked}:new", "n" }, NULL,
                              error, sizeof error);
    if (!reply)
        fail_msg ("SET during the migration failed: %s", error);
    sp_redis_reply_destroy (&reply);
    /* not on the source, which sends a direct GET on to the target */
    reply =
        sp_redis_command (sp_harness_cluster_node (cluster, source), 2,
                          (const char *const[]){ "GET", "{asked}:new" }, NULL, error, sizeof error);
    assert_null (reply);
    assert_non_null (strstr (error, "ASK"));
    reply = sp_redis_command (redis, 2, (const char *const[]){ "GET", "{asked}:new" }, NULL, error,
                              sizeof error);
    assert_non_null (reply);
    assert_string_equal (sp_redis_reply_text (reply, NULL), "n");
    sp_redis_reply_destroy (&reply);
    /* The old key still on the source is served there. */
    reply = sp_redis_command (redis, 2, (const char *const[]){ "GET", old_key }, NULL, error,
                              sizeof error);
    assert_non_null (reply);
    assert_string_equal (sp_redis_reply_text (reply, NULL), "o");
    sp_redis_reply_destroy (&reply);

    /* The migration ends: both keys on the target, found there. */
    assert_int_equal (sp_harness_cluster_move_slot (cluster, slot, target, true), 0);
    assert_int_equal (sp_harness_cluster_wait_ok (cluster, WAIT_MS), 0);
    reply = sp_redis_command (redis, 2, (const char *const[]){ "GET", old_key }, NULL, error,
                              sizeof error);
    assert_non_null (reply);
    assert_string_equal (sp_redis_reply_text (reply, NULL), "o");
    sp_redis_reply_destroy (&reply);
    assert_int_equal (sp_harness_cluster_move_slot (cluster, slot, source, true), 0);
    assert_int_equal (sp_harness_cluster_wait_ok (cluster, WAIT_MS), 0);
    sp_redis_destroy (&redis);
}

#define TWO_KEY_SCRIPT                                                                             \
    "redis.call('INCRBY', KEYS[1], ARGV[1]) "                                                      \
    "return redis.call('INCRBY', KEYS[2], ARGV[1]) + redis.call('GET', KEYS[1])"

/* A script runs on the node of its keys, loaded there when that node
   lost it; sent and received apart too. */
static void
test_script_on_one_slot (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    s_flush_all (cluster);
    sp_redis_t *redis = s_client (cluster);
    sp_redis_script_t *script = sp_redis_script_new (TWO_KEY_SCRIPT);
    assert_non_null (script);
    char error[ERROR_SIZE] = "";
    if (sp_redis_script_load (script, redis, error, sizeof error) != 0)
        fail_msg ("load failed: %s", error);
    const char *argv[] = { "{tally}:a", "{tally}:b", "5" };
    sp_redis_reply_t *reply =
        sp_redis_script_run (script, redis, 2, 3, argv, NULL, error, sizeof error);
    if (!reply)
        fail_msg ("script failed: %s", error);
    assert_int_equal (sp_redis_reply_integer (reply), 10);
    sp_redis_reply_destroy (&reply);
    int owner = sp_harness_cluster_owner (cluster, sp_redis_slot ("tally", 5));
    assert_true (
        sp_harness_redis_value_is (sp_harness_cluster_node (cluster, owner), "{tally}:b", "5"));

    /* The node forgets every script: NOSCRIPT, loaded there, run. */
    assert_int_equal (sp_harness_redis_run_and_drop (sp_harness_cluster_node (cluster, owner), 2,
                                                     (const char *const[]){ "SCRIPT", "FLUSH" }),
                      0);
    reply = sp_redis_script_run (script, redis, 2, 3, argv, NULL, error, sizeof error);
    if (!reply)
        fail_msg ("script after SCRIPT FLUSH failed: %s", error);
    assert_int_equal (sp_redis_reply_integer (reply), 20);
    sp_redis_reply_destroy (&reply);

    /* Sent, then received. */
    assert_int_equal (sp_redis_script_send (script, redis, 2, 3, argv, NULL, error, sizeof error),
                      0);
    assert_true (sp_redis_script_sent (redis));
    reply = sp_redis_script_receive (redis, error, sizeof error);
    assert_false (sp_redis_script_sent (redis));
    if (!reply)
        fail_msg ("script received failed: %s", error);
    assert_int_equal (sp_redis_reply_integer (reply), 30);
    sp_redis_reply_destroy (&reply);

    /* Sent with a stale map: the reply is MOVED, run again at the owner. */
    int target = (owner + 1) % 3;
    assert_int_equal (
        sp_harness_cluster_move_slot (cluster, sp_redis_slot ("tally", 5), target, true), 0);
    assert_int_equal (sp_harness_cluster_wait_ok (cluster, WAIT_MS), 0);
    assert_int_equal (sp_redis_script_send (script, redis, 2, 3, argv, NULL, error, sizeof error),
                      0);
    reply = sp_redis_script_receive (redis, error, sizeof error);
    if (!reply)
        fail_msg ("script received after a move failed: %s", error);
    assert_int_equal (sp_redis_reply_integer (reply), 40);
    sp_redis_reply_destroy (&reply);
    assert_int_equal (
        sp_harness_cluster_move_slot (cluster, sp_redis_slot ("tally", 5), owner, true), 0);
    assert_int_equal (sp_harness_cluster_wait_ok (cluster, WAIT_MS), 0);
    sp_redis_script_destroy (&script);
    sp_redis_destroy (&redis);
}

/* A script or a transaction over several slots is refused before
   anything is sent, naming the keys and their slots. */
static void
test_crossslot_refused (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    s_flush_all (cluster);
    sp_redis_t *redis = s_client (cluster);
    sp_redis_script_t *script = sp_redis_script_new (TWO_KEY_SCRIPT);
    char error[ERROR_SIZE] = "";
    const char *argv[] = { "foo", "bar", "5" };
    sp_redis_reply_t *reply =
        sp_redis_script_run (script, redis, 2, 3, argv, NULL, error, sizeof error);
    assert_null (reply);
    assert_string_equal (error, "script keys \"foo\" (slot 12182) and \"bar\" (slot 5061) are in "
                                "different slots: in a redis cluster every key of a script must "
                                "share a hash tag");
    assert_true (sp_redis_connected (redis));
    assert_int_not_equal (
        sp_redis_script_send (script, redis, 2, 3, argv, NULL, error, sizeof error), 0);
    assert_false (sp_redis_script_sent (redis));
    for (int node = 0; node < 3; node++)
        assert_int_equal (s_node_keys (cluster, node), 0);

    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    assert_int_equal (
        sp_redis_pipeline_append (pipeline, 3, (const char *const[]){ "SET", "foo", "1" }, NULL),
        0);
    assert_int_equal (sp_redis_pipeline_append (pipeline, 1, (const char *const[]){ "PING" }, NULL),
                      0);
    assert_int_equal (
        sp_redis_pipeline_append (pipeline, 3, (const char *const[]){ "SET", "bar", "1" }, NULL),
        0);
    reply = sp_redis_execute_atomic (redis, pipeline, error, sizeof error);
    assert_null (reply);
    assert_string_equal (error, "transaction commands 1 (slot 12182) and 3 (slot 5061) are in "
                                "different slots: in a redis cluster every key of a transaction "
                                "must share a hash tag");
    for (int node = 0; node < 3; node++)
        assert_int_equal (s_node_keys (cluster, node), 0);
    /* The same commands as a plain pipeline are fine: no atomicity asked. */
    reply = sp_redis_execute (redis, pipeline, error, sizeof error);
    assert_non_null (reply);
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    sp_redis_script_destroy (&script);
    sp_redis_destroy (&redis);
}

/* Commands meant for every node reach every master, answered as one
   server would: DBSIZE summed, KEYS joined, FLUSHALL on all; SCAN
   without a tag, and such a command in a pipeline, are refused. */
static void
test_commands_for_every_node (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    s_flush_all (cluster);
    sp_redis_t *redis = s_client (cluster);
    char error[ERROR_SIZE] = "";
    for (int i = 0; i < SPREAD_KEYS; i++) {
        char key[KEY_SIZE];
        snprintf (key, sizeof key, "every:%d", i);
        sp_redis_reply_t *reply = sp_redis_command (
            redis, 3, (const char *const[]){ "SET", key, "1" }, NULL, error, sizeof error);
        assert_non_null (reply);
        sp_redis_reply_destroy (&reply);
    }
    for (int node = 0; node < SP_HARNESS_CLUSTER_MASTERS; node++)
        assert_true (s_node_keys (cluster, node) > 0);

    sp_redis_reply_t *reply =
        sp_redis_command (redis, 1, (const char *const[]){ "DBSIZE" }, NULL, error, sizeof error);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_integer (reply), SPREAD_KEYS);
    sp_redis_reply_destroy (&reply);
    reply = sp_redis_command (redis, 2, (const char *const[]){ "KEYS", "every:*" }, NULL, error,
                              sizeof error);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_size (reply), SPREAD_KEYS);
    bool seen[SPREAD_KEYS] = { false };
    for (size_t i = 0; i < sp_redis_reply_size (reply); i++) {
        const char *key = sp_redis_reply_text (sp_redis_reply_element (reply, i), NULL);
        int number = -1;
        assert_int_equal (sscanf (key, "every:%d", &number), 1);
        assert_true (number >= 0 && number < SPREAD_KEYS && !seen[number]);
        seen[number] = true;
    }
    sp_redis_reply_destroy (&reply);

    reply = sp_redis_command (redis, 3, (const char *const[]){ "SCAN", "0", "MATCH", "every:*" },
                              NULL, error, sizeof error);
    assert_null (reply);
    assert_non_null (strstr (error, "SCAN without a hash tag"));
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    assert_non_null (pipeline);
    assert_int_equal (
        sp_redis_pipeline_append (pipeline, 1, (const char *const[]){ "DBSIZE" }, NULL), 0);
    reply = sp_redis_execute (redis, pipeline, error, sizeof error);
    assert_null (reply);
    assert_non_null (strstr (error, "means every node of the redis cluster"));
    sp_redis_pipeline_destroy (&pipeline);

    reply =
        sp_redis_command (redis, 1, (const char *const[]){ "FLUSHALL" }, NULL, error, sizeof error);
    assert_non_null (reply);
    sp_redis_reply_destroy (&reply);
    for (int node = 0; node < SP_HARNESS_CLUSTER_MASTERS; node++)
        assert_int_equal (s_node_keys (cluster, node), 0);
    sp_redis_destroy (&redis);
}

/* No seed answers: a clear failure, fast, and calls fail without
   hanging. */
static void
test_unreachable_cluster (void **state)
{
    (void) state;
    int port = sp_harness_free_port ();
    char url[KEY_SIZE * 2], error[ERROR_SIZE] = "";
    snprintf (url, sizeof url, "redis+cluster://127.0.0.1:%d,127.0.0.1:%d", port, port);
    sp_redis_options_t options;
    sp_redis_options_init (&options);
    options.connect_attempts = 2;
    options.backoff_initial_ms = 1;
    options.backoff_max_ms = 1;
    sp_redis_t *redis = sp_redis_new (url, &options, error, sizeof error);
    assert_non_null (redis);
    assert_int_not_equal (sp_redis_connect (redis, error, sizeof error), 0);
    char expected[ERROR_SIZE];
    snprintf (
        expected, sizeof expected,
        "could not connect to redis cluster at \"127.0.0.1:%d,127.0.0.1:%d\" after 2 attempts: ",
        port, port);
    assert_true (strncmp (error, expected, strlen (expected)) == 0);
    assert_non_null (strstr (error, "connection refused"));
    assert_false (sp_redis_connected (redis));
    sp_redis_reply_t *reply =
        sp_redis_command (redis, 2, (const char *const[]){ "GET", "k" }, NULL, error, sizeof error);
    assert_null (reply);
    assert_false (sp_redis_connected (redis));
    sp_redis_destroy (&redis);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cluster_forms),
        cmocka_unit_test (test_cluster_redirects),
        cmocka_unit_test (test_slots_match_keyslot),
        cmocka_unit_test (test_move_slot),
        cmocka_unit_test (test_commands_across_slots),
        cmocka_unit_test (test_pipeline_across_slots),
        cmocka_unit_test (test_moved_after_migration),
        cmocka_unit_test (test_ask_during_migration),
        cmocka_unit_test (test_script_on_one_slot),
        cmocka_unit_test (test_crossslot_refused),
        cmocka_unit_test (test_commands_for_every_node),
        cmocka_unit_test (test_unreachable_cluster),
        cmocka_unit_test (test_destroy_stops_everything),
    };
    return cmocka_run_group_tests (tests, sp_harness_cluster_group_setup,
                                   sp_harness_cluster_group_teardown);
}
