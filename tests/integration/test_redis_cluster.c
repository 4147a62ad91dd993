/*  test_redis_cluster - a real 3-master Redis Cluster from the harness
    (sp_harness_cluster): it forms (every node ok, every slot served by
    the node the harness gave it), its slots agree with sp_redis_slot on
    the server's own CLUSTER KEYSLOT, a slot moves with its keys, and
    destroying it stops every node and leaves no folder behind. */
#include <setjmp.h>
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

static int
s_group_setup (void **state)
{
    sp_harness_cluster_t *cluster = sp_harness_cluster_new (SP_HARNESS_CLUSTER_MASTERS);
    *state = cluster;
    return cluster ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    sp_harness_cluster_destroy (&cluster);
    return 0;
}

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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cluster_forms),
        cmocka_unit_test (test_cluster_redirects),
        cmocka_unit_test (test_slots_match_keyslot),
        cmocka_unit_test (test_move_slot),
        cmocka_unit_test (test_destroy_stops_everything),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
