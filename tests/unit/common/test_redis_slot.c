/*  test_redis_slot - Redis Cluster hash slots (sp_redis_slot): the CRC16/
    XMODEM check value published with the algorithm ("123456789" gives
    0x31C3), the hash tag rules of the Redis Cluster specification with
    its own examples, and slots that Redis 7.0.15's CLUSTER KEYSLOT
    answered for the same keys (the integration test test_redis_cluster
    compares many more against a running cluster). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sp_redis_internal.h"
#include "sp_redis_slot.h"

#define CHECK_VALUE 0x31C3 /* CRC16/XMODEM of "123456789" */

static int
s_slot (const char *key)
{
    return sp_redis_slot (key, strlen (key));
}

static void
test_crc16_check_value (void **state)
{
    (void) state;
    assert_int_equal (sp_redis_slot_crc16 ("123456789", 9), CHECK_VALUE);
    assert_int_equal (sp_redis_slot_crc16 ("", 0), 0);
    assert_int_equal (sp_redis_slot_crc16 (NULL, 0), 0);
    /* One byte: the polynomial's table entry for 0x01 is the polynomial. */
    assert_int_equal (sp_redis_slot_crc16 ("\x01", 1), 0x1021);
}

/* Slots as CLUSTER KEYSLOT gave them on Redis 7.0.15. */
static void
test_slots_known_from_redis (void **state)
{
    (void) state;
    assert_int_equal (s_slot ("123456789"), 12739); /* 0x31C3 < 16384 */
    assert_int_equal (s_slot ("foo"), 12182);
    assert_int_equal (s_slot ("bar"), 5061);
    assert_int_equal (s_slot ("hello"), 866);
    assert_int_equal (s_slot ("user1000"), 3443);
    assert_int_equal (s_slot ("a{b"), 13340);
    assert_int_equal (s_slot ("{}"), 15257);
    assert_int_equal (s_slot (""), 0);
    assert_int_equal (s_slot ("salespulse:services"), 16102);
    assert_int_equal (s_slot ("funnel:{p7}:x"), 3821);
}

/* The specification's examples. */
static void
test_hash_tags (void **state)
{
    (void) state;
    assert_int_equal (s_slot ("{user1000}.following"), 3443);
    assert_int_equal (s_slot ("{user1000}.followers"), 3443);
    assert_int_equal (s_slot ("foo{}{bar}"), 8363); /* empty tag: the whole key */
    assert_int_equal (s_slot ("foo{{bar}}zap"), 4015);
    assert_int_equal (s_slot ("{bar"), 4015); /* what foo{{bar}}zap hashes */
    assert_int_equal (s_slot ("foo{bar}{zap}"), 5061);
    assert_int_equal (s_slot ("funnel:{p7}:x"), s_slot ("p7"));

    size_t length = 0;
    const char *key = "foo{{bar}}zap";
    const char *hashed = sp_redis_slot_hashed (key, strlen (key), &length);
    assert_int_equal (length, 4);
    assert_memory_equal (hashed, "{bar", 4);

    key = "foo{}{bar}";
    hashed = sp_redis_slot_hashed (key, strlen (key), &length);
    assert_ptr_equal (hashed, key);
    assert_int_equal (length, strlen (key));

    key = "no{close";
    hashed = sp_redis_slot_hashed (key, strlen (key), &length);
    assert_ptr_equal (hashed, key);
    assert_int_equal (length, strlen (key));

    key = "ends{";
    hashed = sp_redis_slot_hashed (key, strlen (key), &length);
    assert_ptr_equal (hashed, key);
    assert_int_equal (length, strlen (key));
}

/* Binary keys: the length counts, not a NUL; a "}" after the length is
   not seen. */
static void
test_binary_keys (void **state)
{
    (void) state;
    const char key[] = { 'a', '\0', '{', 'x', '}' };
    assert_int_equal (sp_redis_slot (key, sizeof key), s_slot ("x"));
    assert_int_equal (sp_redis_slot ("{x}", 2), sp_redis_slot ("{x", 2));
    assert_int_not_equal (sp_redis_slot_crc16 (key, 2), sp_redis_slot_crc16 ("a", 1));
    for (int i = 0; i < 1000; i++) {
        char text[16];
        int length = snprintf (text, sizeof text, "key:%d", i);
        int slot = sp_redis_slot (text, (size_t) length);
        assert_true (slot >= 0 && slot < SP_REDIS_SLOT_COUNT);
    }
}

/* Where the cluster client sends a command: a keyed command by its key,
   a script by its keys (all in one slot, else refused), SCAN by its MATCH
   pattern's hash tag when every key it matches has that tag (other
   SCANs are refused), and other commands nowhere in particular (-1);
   the commands meant for every node are known. */
static void
test_command_slots (void **state)
{
    (void) state;
    int slot = -2;
    char error[256] = "";
    const char *get[] = { "GET", "svc:{p3}:checkpoint" };
    assert_int_equal (sp_redis_cluster_slot_of (2, get, NULL, &slot, error, sizeof error), 0);
    assert_int_equal (slot, s_slot ("p3"));
    const char *scan[] = { "SCAN", "0", "MATCH", "svc:{p3}:*", "COUNT", "1000" };
    assert_int_equal (sp_redis_cluster_slot_of (6, scan, NULL, &slot, error, sizeof error), 0);
    assert_int_equal (slot, s_slot ("p3"));
    /* a pattern whose keys may have other tags, or none: no one node
       holds them all, so the scan is refused rather than answered by one */
    const char *const loose[] = { "svc:*", "a*{p3}:x", "a?{p3}", "[ab]{p3}",
                                  "{}:*",  "{p3*}:x",  "\\{p3}" };
    for (size_t index = 0; index < sizeof loose / sizeof loose[0]; index++) {
        const char *argv[] = { "SCAN", "17", "MATCH", loose[index] };
        error[0] = '\0';
        assert_int_equal (sp_redis_cluster_slot_of (4, argv, NULL, &slot, error, sizeof error), -1);
        assert_non_null (strstr (error, "SCAN without a hash tag"));
    }
    const char *bare[] = { "SCAN", "0" };
    assert_int_equal (sp_redis_cluster_slot_of (2, bare, NULL, &slot, error, sizeof error), -1);
    assert_true (sp_redis_cluster_every_node (1, (const char *const[]){ "DBSIZE" }, NULL));
    assert_true (sp_redis_cluster_every_node (2, (const char *const[]){ "SCRIPT", "FLUSH" }, NULL));
    assert_false (sp_redis_cluster_every_node (2, (const char *const[]){ "SCRIPT", "LOAD" }, NULL));
    assert_false (sp_redis_cluster_every_node (2, get, NULL));
    const char *script[] = { "EVALSHA", "abc", "2", "svc:{s}:members", "svc:{s}:instance:x", "1" };
    assert_int_equal (sp_redis_cluster_slot_of (6, script, NULL, &slot, error, sizeof error), 0);
    assert_int_equal (slot, s_slot ("s"));
    const char *cross[] = { "EVALSHA", "abc", "2", "svc:{s}:members", "salespulse:services" };
    assert_int_equal (sp_redis_cluster_slot_of (5, cross, NULL, &slot, error, sizeof error), -1);
    assert_non_null (strstr (error, "different slots"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_crc16_check_value), cmocka_unit_test (test_slots_known_from_redis),
        cmocka_unit_test (test_hash_tags),         cmocka_unit_test (test_binary_keys),
        cmocka_unit_test (test_command_slots),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
