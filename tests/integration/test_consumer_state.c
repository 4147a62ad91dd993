/*  test_consumer_state - sp_consumer_key and sp_consumer_state against the
    harness's real Redis.

    Covers the key names (their exact text, and that they are the keys
    sp_lease and sp_consumer_store really use: a lease tick, a store read
    and a rebuild request go through the same names), the SCAN pattern of
    a partition, the number parsers, and every read of sp_consumer_state:
    checkpoints, partitions (lease, checkpoint, epoch), live instances with
    their status, the rebuild epoch and the services; each on a fresh
    database, with values, and with keys holding another type or a
    string that is not in the consumer's form; reads that fail leave
    their outputs untouched; a script flushed from Redis is loaded again;
    every read fails cleanly against an unreachable Redis.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_consumer_key.h"
#include "sp_consumer_state.h"
#include "sp_consumer_store.h"
#include "sp_harness.h"
#include "sp_harness_redis.h"
#include "sp_lease.h"
#include "sp_partition.h"
#include "sp_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 512 /* error buffer used by every test */
#define PARTITIONS 4   /* partitions of the test service */
#define SERVICE "state-test"
#define OTHER_SERVICE "state-test-2" /* shares SERVICE's prefix: never read for it */
#define INSTANCE "b-instance"
#define OTHER_INSTANCE "a-instance" /* sorts first, expires last */
#define DEAD_INSTANCE "c-instance"
#define STATUS "{\"state\":\"ok\"}"
#define LEASE_TTL_MS 10000  /* long: nothing expires during a test */
#define MEMBER_TTL_MS 60000 /* a live member's expiry, after Redis now */
#define MEMBER_DEAD_MS 1000 /* a dead member's expiry, before Redis now */
#define NUMBER_SIZE 32      /* an int64 in decimal */
#define UNTOUCHED 77        /* sentinel a failed read must leave in place */

/* ---------------------------------------------------------------- helpers */

static void
s_run (sp_redis_t *redis, int argc, const char *const *argv)
{
    assert_int_equal (sp_harness_redis_run_and_drop (redis, argc, argv), 0);
}

static void
s_set (sp_redis_t *redis, const char *key, const char *value)
{
    s_run (redis, 3, (const char *const[]){ "SET", key, value });
}

/* Makes key hold a list: another type than any consumer key. */
static void
s_make_list (sp_redis_t *redis, const char *key)
{
    s_run (redis, 2, (const char *const[]){ "DEL", key });
    s_run (redis, 3, (const char *const[]){ "RPUSH", key, "x" });
}

static const char *
s_checkpoint_key (uint32_t partition, char *key)
{
    assert_true (sp_consumer_key_checkpoint (key, SP_CONSUMER_KEY_MAX, SERVICE, partition) > 0);
    return key;
}

static const char *
s_epoch_key (uint32_t partition, char *key)
{
    assert_true (sp_consumer_key_epoch (key, SP_CONSUMER_KEY_MAX, SERVICE, partition) > 0);
    return key;
}

static const char *
s_lease_key (uint32_t partition, char *key)
{
    assert_true (sp_consumer_key_lease (key, SP_CONSUMER_KEY_MAX, SERVICE, partition) > 0);
    return key;
}

/* Redis's clock, ms. */
static int64_t
s_redis_now_ms (sp_redis_t *redis)
{
    sp_redis_reply_t *reply = sp_harness_redis_run (redis, 1, (const char *const[]){ "TIME" });
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_type (reply), SP_REDIS_REPLY_ARRAY);
    int64_t seconds =
        strtoll (sp_redis_reply_string (sp_redis_reply_element (reply, 0), NULL), NULL, 10);
    int64_t microseconds =
        strtoll (sp_redis_reply_string (sp_redis_reply_element (reply, 1), NULL), NULL, 10);
    sp_redis_reply_destroy (&reply);
    return seconds * 1000 + microseconds / 1000;
}

/* Adds instance to SERVICE's members with expiry at ms. */
static void
s_member (sp_redis_t *redis, const char *instance, int64_t at_ms)
{
    char members[SP_CONSUMER_KEY_MAX];
    char score[NUMBER_SIZE];
    assert_true (sp_consumer_key_members (members, sizeof members, SERVICE) > 0);
    snprintf (score, sizeof score, "%lld", (long long) at_ms);
    s_run (redis, 4, (const char *const[]){ "ZADD", members, score, instance });
}

static sp_consumer_state_t *
s_state (void)
{
    sp_consumer_state_t *state = sp_consumer_state_new (SERVICE, PARTITIONS);
    assert_non_null (state);
    return state;
}

/* ---------------------------------------------------------------- key names */

static void
test_key_names (void **unused)
{
    (void) unused;
    char key[SP_CONSUMER_KEY_MAX];
    assert_int_equal (sp_consumer_key_checkpoint (key, sizeof key, SERVICE, 3),
                      (int) strlen ("state-test:{p3}:checkpoint"));
    assert_string_equal (key, "state-test:{p3}:checkpoint");
    assert_true (sp_consumer_key_epoch (key, sizeof key, SERVICE, 12) > 0);
    assert_string_equal (key, "state-test:{p12}:epoch");
    assert_true (sp_consumer_key_lease (key, sizeof key, SERVICE, 0) > 0);
    assert_string_equal (key, "state-test:{p0}:lease");
    assert_true (sp_consumer_key_fence (key, sizeof key, SERVICE, 1023) > 0);
    assert_string_equal (key, "state-test:{p1023}:fence");
    assert_true (sp_consumer_key_partition_pattern (key, sizeof key, SERVICE, 7) > 0);
    assert_string_equal (key, "state-test:{p7}:*");
    assert_int_equal (sp_consumer_key_rebuild (key, sizeof key, SERVICE),
                      (int) strlen ("state-test:rebuild"));
    assert_string_equal (key, "state-test:rebuild");
    assert_true (sp_consumer_key_members (key, sizeof key, SERVICE) > 0);
    assert_string_equal (key, "state-test:{state-test}:members");
    assert_true (sp_consumer_key_instance (key, sizeof key, SERVICE, INSTANCE) > 0);
    assert_string_equal (key, "state-test:{state-test}:instance:b-instance");
    assert_true (sp_consumer_key_instance (key, sizeof key, SERVICE, "") > 0);
    assert_string_equal (key, "state-test:{state-test}:instance:");
    assert_string_equal (SP_CONSUMER_KEY_SERVICES, "salespulse:services");
    assert_string_equal (SP_LEASE_SERVICES_KEY, SP_CONSUMER_KEY_SERVICES);

    /* An invalid service name or a short buffer: -1 and "". */
    const char *bad[] = { "", "Funnel", "a:b", "a b" };
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        snprintf (key, sizeof key, "old");
        assert_int_equal (sp_consumer_key_checkpoint (key, sizeof key, bad[index], 0), -1);
        assert_string_equal (key, "");
        snprintf (key, sizeof key, "old");
        assert_int_equal (sp_consumer_key_members (key, sizeof key, bad[index]), -1);
        assert_string_equal (key, "");
    }
    char small[sizeof "state-test:{p3}:lease" - 1];
    assert_int_equal (sp_consumer_key_lease (small, sizeof small, SERVICE, 3), -1);
    assert_string_equal (small, "");
    char exact[sizeof "state-test:{p3}:lease"];
    assert_int_equal (sp_consumer_key_lease (exact, sizeof exact, SERVICE, 3),
                      (int) sizeof exact - 1);
    char short_instance[sizeof "state-test:{state-test}:instance:b-instance" - 1];
    assert_int_equal (
        sp_consumer_key_instance (short_instance, sizeof short_instance, SERVICE, INSTANCE), -1);
    assert_string_equal (short_instance, "");
    char short_rebuild[sizeof "state-test:rebuild" - 1];
    assert_int_equal (sp_consumer_key_rebuild (short_rebuild, sizeof short_rebuild, SERVICE), -1);
    assert_string_equal (short_rebuild, "");
}

/* The names are the ones the writers use: what a lease tick, a store read
   and a rebuild request touch is found under them. */
static void
test_key_names_are_the_writers (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    char error[ERROR_SIZE] = "";
    char key[SP_CONSUMER_KEY_MAX];

    /* sp_lease: members, instance status, services, lease and fence. */
    sp_lease_settings_t settings = {
        .service = SERVICE, .instance = INSTANCE, .partitions = PARTITIONS, .ttl_ms = LEASE_TTL_MS
    };
    sp_lease_t *lease = sp_lease_new (&settings, error, sizeof error);
    assert_non_null (lease);
    if (sp_lease_tick (lease, redis, 0, STATUS, error, sizeof error) != 0)
        fail_msg ("sp_lease_tick: %s", error);
    assert_int_equal (sp_lease_owned_count (lease), PARTITIONS);
    assert_true (sp_consumer_key_members (key, sizeof key, SERVICE) > 0);
    sp_redis_reply_t *reply =
        sp_harness_redis_run (redis, 3, (const char *const[]){ "ZSCORE", key, INSTANCE });
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_type (reply), SP_REDIS_REPLY_STRING);
    sp_redis_reply_destroy (&reply);
    assert_true (sp_consumer_key_instance (key, sizeof key, SERVICE, INSTANCE) > 0);
    assert_true (sp_harness_redis_value_is (redis, key, STATUS));
    int64_t member = 0;
    assert_int_equal (sp_harness_redis_integer (
                          redis, 3,
                          (const char *const[]){ "SISMEMBER", SP_CONSUMER_KEY_SERVICES, SERVICE },
                          &member),
                      0);
    assert_int_equal (member, 1);
    for (uint32_t partition = 0; partition < PARTITIONS; partition++) {
        assert_true (sp_harness_redis_value_is (redis, s_lease_key (partition, key),
                                                sp_lease_token (lease, partition)));
        assert_true (sp_consumer_key_fence (key, sizeof key, SERVICE, partition) > 0);
        assert_true (sp_harness_redis_value_is (redis, key, "1"));
    }

    /* sp_consumer_store: checkpoint, epoch and rebuild read and written
       under the same names. */
    s_set (redis, s_checkpoint_key (2, key), "41");
    s_set (redis, s_epoch_key (2, key), "3");
    int64_t epoch = 0;
    assert_int_equal (
        sp_consumer_store_request_rebuild (redis, SERVICE, &epoch, error, sizeof error), 0);
    assert_int_equal (epoch, 1);
    sp_consumer_store_t *store = sp_consumer_store_new (SERVICE);
    assert_non_null (store);
    sp_consumer_store_state_t stored;
    memset (&stored, 0, sizeof stored);
    if (sp_consumer_store_read (store, redis, 2, &stored, error, sizeof error) != 0)
        fail_msg ("sp_consumer_store_read: %s", error);
    assert_true (stored.has_checkpoint);
    assert_int_equal (stored.checkpoint, 41);
    assert_int_equal (stored.epoch, 3);
    assert_int_equal (stored.rebuild, 1);

    /* The reader sees the same. */
    sp_consumer_state_t *reader = s_state ();
    int64_t requested = 0;
    assert_int_equal (
        sp_consumer_state_read_rebuild (reader, redis, &requested, error, sizeof error), 0);
    assert_int_equal (requested, 1);
    sp_consumer_state_partition_t partitions[PARTITIONS];
    assert_int_equal (
        sp_consumer_state_read_partitions (reader, redis, partitions, error, sizeof error), 0);
    for (uint32_t partition = 0; partition < PARTITIONS; partition++) {
        assert_int_equal (partitions[partition].lease_found, SP_CONSUMER_STATE_PRESENT);
        assert_string_equal (partitions[partition].lease, sp_lease_token (lease, partition));
    }
    assert_int_equal (partitions[2].checkpoint, 41);
    assert_int_equal (partitions[2].epoch, 3);
    sp_consumer_state_instances_t instances = { NULL, 0 };
    assert_int_equal (
        sp_consumer_state_read_instances (reader, redis, &instances, error, sizeof error), 0);
    assert_int_equal (instances.count, 1);
    assert_string_equal (instances.items[0].id, INSTANCE);
    assert_string_equal (instances.items[0].status, STATUS);
    sp_consumer_state_services_t services = { NULL, 0 };
    assert_int_equal (sp_consumer_state_read_services (redis, &services, error, sizeof error), 0);
    assert_int_equal (services.count, 1);
    assert_string_equal (services.names[0], SERVICE);

    /* After release_all the instance is gone from the reader's view. */
    assert_int_equal (sp_lease_release_all (lease, redis, error, sizeof error), 0);
    assert_int_equal (
        sp_consumer_state_read_instances (reader, redis, &instances, error, sizeof error), 0);
    assert_int_equal (instances.count, 0);

    sp_consumer_state_services_clear (&services);
    sp_consumer_state_instances_clear (&instances);
    sp_consumer_state_destroy (&reader);
    sp_consumer_store_destroy (&store);
    sp_lease_destroy (&lease);
    sp_redis_destroy (&redis);
}

/* SCAN with the pattern finds exactly the partition's keys. */
static void
test_partition_pattern_scans_one_partition (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    char key[SP_CONSUMER_KEY_MAX];
    s_set (redis, s_checkpoint_key (3, key), "1");
    s_set (redis, s_lease_key (3, key), "x/1");
    assert_true (sp_partition_key (key, sizeof key, SERVICE, 3, "won:rep") > 0);
    s_set (redis, key, "5");
    s_set (redis, s_checkpoint_key (30, key), "1");
    assert_true (sp_consumer_key_checkpoint (key, sizeof key, OTHER_SERVICE, 3) > 0);
    s_set (redis, key, "1");

    char pattern[SP_CONSUMER_KEY_MAX];
    assert_true (sp_consumer_key_partition_pattern (pattern, sizeof pattern, SERVICE, 3) > 0);
    sp_redis_reply_t *reply = sp_harness_redis_run (
        redis, 6, (const char *const[]){ "SCAN", "0", "MATCH", pattern, "COUNT", "1000" });
    assert_non_null (reply);
    assert_string_equal (sp_redis_reply_string (sp_redis_reply_element (reply, 0), NULL), "0");
    const sp_redis_reply_t *keys = sp_redis_reply_element (reply, 1);
    assert_int_equal (sp_redis_reply_size (keys), 3);
    for (size_t index = 0; index < sp_redis_reply_size (keys); index++)
        assert_non_null (strstr (sp_redis_reply_string (sp_redis_reply_element (keys, index), NULL),
                                 "state-test:{p3}:"));
    sp_redis_reply_destroy (&reply);
    sp_redis_destroy (&redis);
}

/* ---------------------------------------------------------------- numbers */

static void
test_parse_numbers (void **unused)
{
    (void) unused;
    uint64_t sequence = UNTOUCHED;
    assert_int_equal (sp_consumer_key_parse_sequence ("0", 1, &sequence), 0);
    assert_int_equal (sequence, 0);
    assert_int_equal (sp_consumer_key_parse_sequence ("41", 2, &sequence), 0);
    assert_int_equal (sequence, 41);
    assert_int_equal (sp_consumer_key_parse_sequence ("4123", 2, &sequence), 0);
    assert_int_equal (sequence, 41); /* length, not the terminator, ends the text */
    assert_int_equal (sp_consumer_key_parse_sequence ("18446744073709551615", 20, &sequence), 0);
    assert_true (sequence == UINT64_MAX);
    const char *not_sequences[] = { "",    "007", "-1",
                                    "+1",  " 1",  "1 ",
                                    "1.0", "abc", "18446744073709551616" };
    for (size_t index = 0; index < sizeof not_sequences / sizeof not_sequences[0]; index++) {
        sequence = UNTOUCHED;
        assert_int_equal (sp_consumer_key_parse_sequence (not_sequences[index],
                                                          strlen (not_sequences[index]), &sequence),
                          -1);
        assert_int_equal (sequence, UNTOUCHED);
    }
    assert_int_equal (sp_consumer_key_parse_sequence ("1\0"
                                                      "2",
                                                      3, &sequence),
                      -1);
    assert_int_equal (sp_consumer_key_parse_sequence (NULL, 0, &sequence), -1);
    assert_int_equal (sequence, UNTOUCHED);

    int64_t epoch = UNTOUCHED;
    assert_int_equal (sp_consumer_key_parse_epoch ("0", 1, &epoch), 0);
    assert_int_equal (epoch, 0);
    assert_int_equal (sp_consumer_key_parse_epoch ("-3", 2, &epoch), 0);
    assert_int_equal (epoch, -3);
    assert_int_equal (sp_consumer_key_parse_epoch ("9223372036854775807", 19, &epoch), 0);
    assert_true (epoch == INT64_MAX);
    assert_int_equal (sp_consumer_key_parse_epoch ("-9223372036854775808", 20, &epoch), 0);
    assert_true (epoch == INT64_MIN);
    const char *not_epochs[] = { "",
                                 "-",
                                 "-0",
                                 "-01",
                                 "01",
                                 "+2",
                                 "1e3",
                                 "abc",
                                 "9223372036854775808",
                                 "-9223372036854775809" };
    for (size_t index = 0; index < sizeof not_epochs / sizeof not_epochs[0]; index++) {
        epoch = UNTOUCHED;
        assert_int_equal (
            sp_consumer_key_parse_epoch (not_epochs[index], strlen (not_epochs[index]), &epoch),
            -1);
        assert_int_equal (epoch, UNTOUCHED);
    }
    assert_int_equal (sp_consumer_key_parse_epoch (NULL, 0, &epoch), -1);
    assert_int_equal (epoch, UNTOUCHED);
}

/* ---------------------------------------------------------------- checkpoints */

static void
test_read_checkpoints (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_state_t *reader = s_state ();
    char error[ERROR_SIZE] = "";
    char key[SP_CONSUMER_KEY_MAX];
    uint64_t checkpoints[PARTITIONS];
    bool present[PARTITIONS];

    /* Fresh: every checkpoint missing. */
    for (uint32_t partition = 0; partition < PARTITIONS; partition++) {
        checkpoints[partition] = UNTOUCHED;
        present[partition] = true;
    }
    assert_int_equal (sp_consumer_state_read_checkpoints (reader, redis, checkpoints, present,
                                                          error, sizeof error),
                      0);
    for (uint32_t partition = 0; partition < PARTITIONS; partition++) {
        assert_int_equal (checkpoints[partition], 0);
        assert_false (present[partition]);
    }

    /* Values, another service's keys ignored; present may be NULL. */
    s_set (redis, s_checkpoint_key (0, key), "0");
    s_set (redis, s_checkpoint_key (2, key), "18446744073709551615");
    s_set (redis, s_checkpoint_key (3, key), "12");
    assert_true (sp_consumer_key_checkpoint (key, sizeof key, OTHER_SERVICE, 1) > 0);
    s_set (redis, key, "99");
    assert_int_equal (sp_consumer_state_read_checkpoints (reader, redis, checkpoints, present,
                                                          error, sizeof error),
                      0);
    assert_int_equal (checkpoints[0], 0);
    assert_true (present[0]);
    assert_int_equal (checkpoints[1], 0);
    assert_false (present[1]);
    assert_true (checkpoints[2] == UINT64_MAX);
    assert_true (present[2]);
    assert_int_equal (checkpoints[3], 12);
    assert_int_equal (
        sp_consumer_state_read_checkpoints (reader, redis, checkpoints, NULL, error, sizeof error),
        0);
    assert_int_equal (checkpoints[3], 12);

    /* Not a sequence: fails, naming the key; outputs untouched. */
    const char *not_sequences[] = { "abc", "007", "-1" };
    for (size_t index = 0; index < sizeof not_sequences / sizeof not_sequences[0]; index++) {
        s_set (redis, s_checkpoint_key (1, key), not_sequences[index]);
        for (uint32_t partition = 0; partition < PARTITIONS; partition++) {
            checkpoints[partition] = UNTOUCHED;
            present[partition] = false;
        }
        assert_int_equal (sp_consumer_state_read_checkpoints (reader, redis, checkpoints, present,
                                                              error, sizeof error),
                          -1);
        char expected[ERROR_SIZE];
        snprintf (expected, sizeof expected,
                  "key \"state-test:{p1}:checkpoint\" holds \"%s\", not a sequence",
                  not_sequences[index]);
        assert_string_equal (error, expected);
        for (uint32_t partition = 0; partition < PARTITIONS; partition++) {
            assert_int_equal (checkpoints[partition], UNTOUCHED);
            assert_false (present[partition]);
        }
    }

    /* Another type: fails with Redis's reason. */
    s_make_list (redis, s_checkpoint_key (1, key));
    checkpoints[0] = UNTOUCHED;
    assert_int_equal (sp_consumer_state_read_checkpoints (reader, redis, checkpoints, present,
                                                          error, sizeof error),
                      -1);
    assert_non_null (
        strstr (error, "could not read key \"state-test:{p1}:checkpoint\": WRONGTYPE"));
    assert_int_equal (checkpoints[0], UNTOUCHED);

    sp_consumer_state_destroy (&reader);
    sp_consumer_state_destroy (&reader); /* no-op on NULL */
    sp_redis_destroy (&redis);
}

/* ---------------------------------------------------------------- partitions */

static void
test_read_partitions (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_state_t *reader = s_state ();
    char error[ERROR_SIZE] = "";
    char key[SP_CONSUMER_KEY_MAX];
    sp_consumer_state_partition_t partitions[PARTITIONS];

    /* Fresh: everything missing. */
    memset (partitions, 0xff, sizeof partitions);
    assert_int_equal (
        sp_consumer_state_read_partitions (reader, redis, partitions, error, sizeof error), 0);
    for (uint32_t partition = 0; partition < PARTITIONS; partition++) {
        assert_int_equal (partitions[partition].lease_found, SP_CONSUMER_STATE_MISSING);
        assert_string_equal (partitions[partition].lease, "");
        assert_int_equal (partitions[partition].checkpoint_found, SP_CONSUMER_STATE_MISSING);
        assert_int_equal (partitions[partition].checkpoint, 0);
        assert_int_equal (partitions[partition].epoch_found, SP_CONSUMER_STATE_MISSING);
        assert_int_equal (partitions[partition].epoch, 0);
    }

    /* Partition 0: everything as the consumer writes it. */
    s_set (redis, s_lease_key (0, key), "b-instance/7");
    s_set (redis, s_checkpoint_key (0, key), "41");
    s_set (redis, s_epoch_key (0, key), "2");
    /* Partition 1: a negative epoch is an epoch; the longest lease fits. */
    char longest[SP_LEASE_TOKEN_MAX];
    memset (longest, 'i', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    s_set (redis, s_lease_key (1, key), longest);
    s_set (redis, s_epoch_key (1, key), "-3");
    /* Partition 2: values the consumer never writes. */
    char too_long[SP_LEASE_TOKEN_MAX + 1];
    memset (too_long, 'i', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    s_set (redis, s_lease_key (2, key), too_long);
    s_set (redis, s_checkpoint_key (2, key), "007");
    s_set (redis, s_epoch_key (2, key), "1.5");
    /* Partition 3: keys of another type, and an empty lease. */
    s_set (redis, s_lease_key (3, key), "");
    s_make_list (redis, s_checkpoint_key (3, key));
    s_make_list (redis, s_epoch_key (3, key));

    assert_int_equal (
        sp_consumer_state_read_partitions (reader, redis, partitions, error, sizeof error), 0);
    assert_int_equal (partitions[0].lease_found, SP_CONSUMER_STATE_PRESENT);
    assert_string_equal (partitions[0].lease, "b-instance/7");
    assert_int_equal (partitions[0].checkpoint_found, SP_CONSUMER_STATE_PRESENT);
    assert_int_equal (partitions[0].checkpoint, 41);
    assert_int_equal (partitions[0].epoch_found, SP_CONSUMER_STATE_PRESENT);
    assert_int_equal (partitions[0].epoch, 2);

    assert_int_equal (partitions[1].lease_found, SP_CONSUMER_STATE_PRESENT);
    assert_string_equal (partitions[1].lease, longest);
    assert_int_equal (partitions[1].checkpoint_found, SP_CONSUMER_STATE_MISSING);
    assert_int_equal (partitions[1].epoch_found, SP_CONSUMER_STATE_PRESENT);
    assert_int_equal (partitions[1].epoch, -3);

    for (uint32_t partition = 2; partition < PARTITIONS; partition++) {
        assert_int_equal (partitions[partition].lease_found, SP_CONSUMER_STATE_INVALID);
        assert_string_equal (partitions[partition].lease, "");
        assert_int_equal (partitions[partition].checkpoint_found, SP_CONSUMER_STATE_INVALID);
        assert_int_equal (partitions[partition].checkpoint, 0);
        assert_int_equal (partitions[partition].epoch_found, SP_CONSUMER_STATE_INVALID);
        assert_int_equal (partitions[partition].epoch, 0);
    }

    sp_consumer_state_destroy (&reader);
    sp_redis_destroy (&redis);
}

/* ---------------------------------------------------------------- instances */

static void
test_read_instances (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_state_t *reader = s_state ();
    char error[ERROR_SIZE] = "";
    char key[SP_CONSUMER_KEY_MAX];
    sp_consumer_state_instances_t instances = { NULL, 0 };

    /* Fresh: none. */
    assert_int_equal (
        sp_consumer_state_read_instances (reader, redis, &instances, error, sizeof error), 0);
    assert_int_equal (instances.count, 0);

    /* Two live members (score order differs from id order), one dead;
       a status with a NUL byte, a missing one, one of another type. */
    int64_t now = s_redis_now_ms (redis);
    s_member (redis, INSTANCE, now + MEMBER_TTL_MS);
    s_member (redis, OTHER_INSTANCE, now + 2 * MEMBER_TTL_MS);
    s_member (redis, DEAD_INSTANCE, now - MEMBER_DEAD_MS);
    assert_true (sp_consumer_key_instance (key, sizeof key, SERVICE, INSTANCE) > 0);
    const char binary[] = { '{', '}', '\0', 'x' };
    const char *set[] = { "SET", key, binary };
    const size_t lengths[] = { 3, strlen (key), sizeof binary };
    char reason[ERROR_SIZE] = "";
    sp_redis_reply_t *reply = sp_redis_command (redis, 3, set, lengths, reason, sizeof reason);
    assert_non_null (reply);
    sp_redis_reply_destroy (&reply);
    assert_true (sp_consumer_key_instance (key, sizeof key, SERVICE, DEAD_INSTANCE) > 0);
    s_set (redis, key, STATUS);

    assert_int_equal (
        sp_consumer_state_read_instances (reader, redis, &instances, error, sizeof error), 0);
    assert_int_equal (instances.count, 2);
    assert_string_equal (instances.items[0].id, OTHER_INSTANCE);
    assert_null (instances.items[0].status);
    assert_int_equal (instances.items[0].status_length, 0);
    assert_string_equal (instances.items[1].id, INSTANCE);
    assert_non_null (instances.items[1].status);
    assert_int_equal (instances.items[1].status_length, sizeof binary);
    assert_memory_equal (instances.items[1].status, binary, sizeof binary);
    assert_int_equal (instances.items[1].status[sizeof binary], '\0');

    /* A status of another type reads as missing; a second read replaces
       the list's content. */
    assert_true (sp_consumer_key_instance (key, sizeof key, SERVICE, OTHER_INSTANCE) > 0);
    s_make_list (redis, key);
    assert_true (sp_consumer_key_members (key, sizeof key, SERVICE) > 0);
    s_run (redis, 3, (const char *const[]){ "ZREM", key, INSTANCE });
    assert_int_equal (
        sp_consumer_state_read_instances (reader, redis, &instances, error, sizeof error), 0);
    assert_int_equal (instances.count, 1);
    assert_string_equal (instances.items[0].id, OTHER_INSTANCE);
    assert_null (instances.items[0].status);

    /* The member set of another type: fails, the list untouched. */
    s_set (redis, key, "not a sorted set");
    assert_int_equal (
        sp_consumer_state_read_instances (reader, redis, &instances, error, sizeof error), -1);
    assert_string_equal (error, "key \"state-test:{state-test}:members\" is not a sorted set");
    assert_int_equal (instances.count, 1);
    assert_string_equal (instances.items[0].id, OTHER_INSTANCE);

    /* The script is loaded again after SCRIPT FLUSH. */
    s_run (redis, 2, (const char *const[]){ "DEL", key });
    s_member (redis, INSTANCE, now + MEMBER_TTL_MS);
    s_run (redis, 2, (const char *const[]){ "SCRIPT", "FLUSH" });
    assert_int_equal (
        sp_consumer_state_read_instances (reader, redis, &instances, error, sizeof error), 0);
    assert_int_equal (instances.count, 1);
    assert_string_equal (instances.items[0].id, INSTANCE);

    sp_consumer_state_instances_clear (&instances);
    assert_null (instances.items);
    assert_int_equal (instances.count, 0);
    sp_consumer_state_instances_clear (&instances); /* clearing twice is fine */
    sp_consumer_state_destroy (&reader);
    sp_redis_destroy (&redis);
}

/* ---------------------------------------------------------------- rebuild */

static void
test_read_rebuild (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_state_t *reader = s_state ();
    char error[ERROR_SIZE] = "";
    char key[SP_CONSUMER_KEY_MAX];
    assert_true (sp_consumer_key_rebuild (key, sizeof key, SERVICE) > 0);

    int64_t epoch = UNTOUCHED;
    assert_int_equal (sp_consumer_state_read_rebuild (reader, redis, &epoch, error, sizeof error),
                      0);
    assert_int_equal (epoch, 0);
    int64_t requested = 0;
    for (int round = 0; round < 2; round++)
        assert_int_equal (
            sp_consumer_store_request_rebuild (redis, SERVICE, &requested, error, sizeof error), 0);
    assert_int_equal (sp_consumer_state_read_rebuild (reader, redis, &epoch, error, sizeof error),
                      0);
    assert_int_equal (epoch, 2);
    s_set (redis, key, "-4");
    assert_int_equal (sp_consumer_state_read_rebuild (reader, redis, &epoch, error, sizeof error),
                      0);
    assert_int_equal (epoch, -4);

    epoch = UNTOUCHED;
    s_set (redis, key, "abc");
    assert_int_equal (sp_consumer_state_read_rebuild (reader, redis, &epoch, error, sizeof error),
                      -1);
    assert_string_equal (error, "key \"state-test:rebuild\" holds \"abc\", not an epoch");
    assert_int_equal (epoch, UNTOUCHED);
    s_make_list (redis, key);
    assert_int_equal (sp_consumer_state_read_rebuild (reader, redis, &epoch, error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "could not read key \"state-test:rebuild\": WRONGTYPE"));
    assert_int_equal (epoch, UNTOUCHED);

    sp_consumer_state_destroy (&reader);
    sp_redis_destroy (&redis);
}

/* ---------------------------------------------------------------- services */

static void
test_read_services (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    char error[ERROR_SIZE] = "";
    sp_consumer_state_services_t services = { NULL, 0 };

    assert_int_equal (sp_consumer_state_read_services (redis, &services, error, sizeof error), 0);
    assert_int_equal (services.count, 0);

    /* Sorted bytewise, as stored (a name no lease could write included). */
    s_run (redis, 5,
           (const char *const[]){ "SADD", SP_CONSUMER_KEY_SERVICES, "kpi-evaluator", "Bad Name",
                                  "funnel-tracker" });
    assert_int_equal (sp_consumer_state_read_services (redis, &services, error, sizeof error), 0);
    assert_int_equal (services.count, 3);
    assert_string_equal (services.names[0], "Bad Name");
    assert_string_equal (services.names[1], "funnel-tracker");
    assert_string_equal (services.names[2], "kpi-evaluator");

    /* A second read replaces the content. */
    s_run (redis, 4,
           (const char *const[]){ "SREM", SP_CONSUMER_KEY_SERVICES, "Bad Name", "kpi-evaluator" });
    assert_int_equal (sp_consumer_state_read_services (redis, &services, error, sizeof error), 0);
    assert_int_equal (services.count, 1);
    assert_string_equal (services.names[0], "funnel-tracker");

    /* Another type: fails, the list untouched. */
    s_set (redis, SP_CONSUMER_KEY_SERVICES, "funnel-tracker");
    assert_int_equal (sp_consumer_state_read_services (redis, &services, error, sizeof error), -1);
    assert_string_equal (error, "key \"salespulse:services\" is not a set");
    assert_int_equal (services.count, 1);
    assert_string_equal (services.names[0], "funnel-tracker");

    sp_consumer_state_services_clear (&services);
    assert_null (services.names);
    assert_int_equal (services.count, 0);
    sp_consumer_state_services_clear (&services);
    sp_redis_destroy (&redis);
}

/* ---------------------------------------------------------------- redis down */

static void
test_unreachable_redis (void **unused)
{
    (void) unused;
    sp_redis_t *down = sp_harness_redis_unreachable ();
    assert_non_null (down);
    sp_consumer_state_t *reader = s_state ();
    char error[ERROR_SIZE] = "";

    uint64_t checkpoints[PARTITIONS] = { UNTOUCHED, UNTOUCHED, UNTOUCHED, UNTOUCHED };
    assert_int_equal (
        sp_consumer_state_read_checkpoints (reader, down, checkpoints, NULL, error, sizeof error),
        -1);
    assert_non_null (strstr (error, "could not read the checkpoints of \"state-test\""));
    assert_non_null (strstr (error, "connection refused"));
    assert_int_equal (checkpoints[0], UNTOUCHED);

    sp_consumer_state_partition_t partitions[PARTITIONS];
    memset (partitions, 0, sizeof partitions);
    partitions[0].checkpoint = UNTOUCHED;
    assert_int_equal (
        sp_consumer_state_read_partitions (reader, down, partitions, error, sizeof error), -1);
    assert_non_null (strstr (error, "could not read the partitions of \"state-test\""));
    assert_int_equal (partitions[0].checkpoint, UNTOUCHED);

    sp_consumer_state_instances_t instances = { NULL, 0 };
    assert_int_equal (
        sp_consumer_state_read_instances (reader, down, &instances, error, sizeof error), -1);
    assert_non_null (strstr (error, "could not read the instances of \"state-test\""));
    assert_int_equal (instances.count, 0);

    int64_t epoch = UNTOUCHED;
    assert_int_equal (sp_consumer_state_read_rebuild (reader, down, &epoch, error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "could not read the rebuild epoch of \"state-test\""));
    assert_int_equal (epoch, UNTOUCHED);

    sp_consumer_state_services_t services = { NULL, 0 };
    assert_int_equal (sp_consumer_state_read_services (down, &services, error, sizeof error), -1);
    assert_non_null (strstr (error, "could not read key \"salespulse:services\""));
    assert_int_equal (services.count, 0);

    sp_consumer_state_destroy (&reader);
    sp_redis_destroy (&down);
}

/* ---------------------------------------------------------------- main */

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_key_names),
        cmocka_unit_test (test_key_names_are_the_writers),
        cmocka_unit_test (test_partition_pattern_scans_one_partition),
        cmocka_unit_test (test_parse_numbers),
        cmocka_unit_test (test_read_checkpoints),
        cmocka_unit_test (test_read_partitions),
        cmocka_unit_test (test_read_instances),
        cmocka_unit_test (test_read_rebuild),
        cmocka_unit_test (test_read_services),
        cmocka_unit_test (test_unreachable_redis),
    };
    return cmocka_run_group_tests_name ("consumer_state", tests,
                                        sp_harness_redis_group_setup_either,
                                        sp_harness_redis_group_teardown);
}
