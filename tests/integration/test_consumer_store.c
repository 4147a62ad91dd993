/*  test_consumer_store - sp_consumer_store against the harness's real Redis.

    Covers the atomic apply (commands and checkpoint written together;
    binary arguments copied at append time; rewound commands gone; a step
    without commands still checkpointed), its refusals with nothing
    written (FENCED on a wrong or missing lease, MOVED on a checkpoint that
    is elsewhere, non-canonical or missing), read on a fresh database and
    after a reset, a value that is not a number, reset deleting exactly the
    partition's keys but the lease and fence (more keys than one chunk,
    binary key names, neighbours of similar names untouched), a fenced
    reset, request_rebuild, script reload after SCRIPT FLUSH and FLUSHALL,
    and FAILED against an unreachable Redis.

    Ownership is simulated by SET-ting the lease key to a token string,
    as sp_lease would have.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_consumer_store.h"
#include "sp_harness.h"
#include "sp_harness_redis.h"
#include "sp_partition.h"
#include "sp_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 512 /* error buffer used by every test */
#define SERVICE "store-test"
#define OTHER_SERVICE "store-test-2" /* shares SERVICE's prefix: must be left alone */
#define PARTITION 3
#define NEIGHBOUR 30 /* "{p30}" starts like "{p3": must be left alone */
#define TOKEN "instance-a/1"
#define OTHER_TOKEN "instance-b/2"
#define CHECKPOINT 41 /* checkpoint the apply tests start from */
/* Handler keys the reset test writes: more than two chunks. */
#define STATE_KEYS (SP_CONSUMER_RESET_CHUNK * 2 + 7)
#define NAME_SIZE 64 /* a key suffix built by a test */

/* ---------------------------------------------------------------- helpers */

/* "<service>:{p<partition>}:<suffix>" into key (SP_PARTITION_KEY_MAX). */
static const char *
s_key (const char *service, uint32_t partition, const char *suffix, char *key)
{
    assert_true (sp_partition_key (key, SP_PARTITION_KEY_MAX, service, partition, suffix) > 0);
    return key;
}

static void
s_set (sp_redis_t *redis, const char *key, const char *value)
{
    const char *set[] = { "SET", key, value };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 3, set), 0);
}

static void
s_set_state (sp_redis_t *redis, const char *suffix, const char *value)
{
    char key[SP_PARTITION_KEY_MAX];
    s_set (redis, s_key (SERVICE, PARTITION, suffix, key), value);
}

static void
s_assert_state (sp_redis_t *redis, const char *suffix, const char *expected)
{
    char key[SP_PARTITION_KEY_MAX];
    assert_true (
        sp_harness_redis_value_is (redis, s_key (SERVICE, PARTITION, suffix, key), expected));
}

static int64_t
s_dbsize (sp_redis_t *redis)
{
    const char *dbsize[] = { "DBSIZE" };
    int64_t size = -1;
    assert_int_equal (sp_harness_redis_integer (redis, 1, dbsize, &size), 0);
    return size;
}

static sp_consumer_store_t *
s_store (sp_redis_t *redis)
{
    sp_consumer_store_t *store = sp_consumer_store_new (SERVICE);
    assert_non_null (store);
    char error[ERROR_SIZE] = "";
    if (sp_consumer_store_load (store, redis, error, sizeof error) != 0)
        fail_msg ("sp_consumer_store_load: %s", error);
    return store;
}

/* A batch of partition PARTITION from CHECKPOINT with one event that
   INCRs "counter". */
static sp_consumer_batch_t *
s_counter_batch (void)
{
    sp_consumer_batch_t *batch = sp_consumer_batch_new (SERVICE);
    assert_non_null (batch);
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    char key[SP_PARTITION_KEY_MAX];
    assert_true (sp_consumer_batch_key (batch, "counter", key, sizeof key) > 0);
    const char *incr[] = { "INCR", key };
    assert_int_equal (sp_consumer_batch_command (batch, 2, incr, NULL), 0);
    sp_consumer_batch_advance (batch, CHECKPOINT + 1);
    return batch;
}

/* Applies and returns the result; error, observed and missing are the
   function's outputs. */
static sp_consumer_store_result_t
s_apply (sp_consumer_store_t *store, sp_redis_t *redis, const sp_consumer_batch_t *batch,
         const char *token, uint64_t *observed, bool *missing, char *error)
{
    return sp_consumer_store_apply (store, redis, batch, token, observed, missing, error,
                                    ERROR_SIZE);
}

/* ---------------------------------------------------------------- apply */

static void
test_apply_writes_commands_and_checkpoint (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *store = s_store (redis);
    s_set_state (redis, "lease", TOKEN);
    s_set_state (redis, "checkpoint", "41");

    sp_consumer_batch_t *batch = sp_consumer_batch_new (SERVICE);
    assert_non_null (batch);
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    char binary_key[SP_PARTITION_KEY_MAX];
    char hash_key[SP_PARTITION_KEY_MAX];
    char dropped_key[SP_PARTITION_KEY_MAX];
    char counter_key[SP_PARTITION_KEY_MAX];
    sp_consumer_batch_key (batch, "binary", binary_key, sizeof binary_key);
    sp_consumer_batch_key (batch, "deal:1", hash_key, sizeof hash_key);
    sp_consumer_batch_key (batch, "dropped", dropped_key, sizeof dropped_key);
    sp_consumer_batch_key (batch, "counter", counter_key, sizeof counter_key);

    /* Event 42: a binary value (copied: the buffer changes afterwards) and a hash field. */
    char value[] = { 'a', '\0', 'b', '\n', '\0' };
    const char *set[] = { "SET", binary_key, value };
    const size_t set_lengths[] = { 3, strlen (binary_key), sizeof value };
    assert_int_equal (sp_consumer_batch_command (batch, 3, set, set_lengths), 0);
    memset (value, 'z', sizeof value);
    const char *hincrby[] = { "HINCRBY", hash_key, "won_cents", "1250" };
    assert_int_equal (sp_consumer_batch_command (batch, 4, hincrby, NULL), 0);
    sp_consumer_batch_advance (batch, CHECKPOINT + 1);
    /* Event 43: its first attempt fails half-way and is rewound, then succeeds. */
    size_t mark = sp_consumer_batch_mark (batch);
    const char *dropped[] = { "SET", dropped_key, "never" };
    assert_int_equal (sp_consumer_batch_command (batch, 3, dropped, NULL), 0);
    sp_consumer_batch_rewind (batch, mark);
    const char *incr[] = { "INCR", counter_key };
    assert_int_equal (sp_consumer_batch_command (batch, 2, incr, NULL), 0);
    sp_consumer_batch_advance (batch, CHECKPOINT + 2);

    char error[ERROR_SIZE] = "";
    uint64_t observed = 99;
    bool missing = true;
    assert_int_equal (s_apply (store, redis, batch, TOKEN, &observed, &missing, error),
                      SP_CONSUMER_STORE_APPLIED);
    assert_int_equal (observed, 99); /* untouched unless MOVED */
    assert_true (missing);

    const char *get[] = { "GET", binary_key };
    sp_redis_reply_t *reply = sp_harness_redis_run (redis, 2, get);
    assert_non_null (reply);
    size_t length = 0;
    const char *stored = sp_redis_reply_string (reply, &length);
    const char expected[] = { 'a', '\0', 'b', '\n', '\0' };
    assert_int_equal (length, sizeof expected);
    assert_memory_equal (stored, expected, sizeof expected);
    sp_redis_reply_destroy (&reply);
    const char *hget[] = { "HGET", hash_key, "won_cents" };
    reply = sp_harness_redis_run (redis, 3, hget);
    assert_non_null (reply);
    assert_string_equal (sp_redis_reply_string (reply, NULL), "1250");
    sp_redis_reply_destroy (&reply);
    assert_true (sp_harness_redis_value_is (redis, dropped_key, NULL));
    assert_true (sp_harness_redis_value_is (redis, counter_key, "1"));
    s_assert_state (redis, "checkpoint", "43");

    /* The batch is left as it was. */
    assert_int_equal (sp_consumer_batch_events (batch), 2);
    assert_int_equal (sp_consumer_batch_commands (batch), 3);
    /* The next step continues from 43. */
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT + 2);
    assert_int_equal (sp_consumer_batch_command (batch, 2, incr, NULL), 0);
    sp_consumer_batch_advance (batch, CHECKPOINT + 3);
    assert_int_equal (s_apply (store, redis, batch, TOKEN, NULL, NULL, error),
                      SP_CONSUMER_STORE_APPLIED);
    assert_true (sp_harness_redis_value_is (redis, counter_key, "2"));
    s_assert_state (redis, "checkpoint", "44");

    sp_consumer_batch_destroy (&batch);
    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&redis);
}

static void
test_apply_without_commands_advances (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *store = s_store (redis);
    s_set_state (redis, "lease", TOKEN);
    s_set_state (redis, "checkpoint", "0");
    sp_consumer_batch_t *batch = sp_consumer_batch_new (SERVICE);
    assert_non_null (batch);
    sp_consumer_batch_reset (batch, PARTITION, 0);
    sp_consumer_batch_advance (batch, 1);
    sp_consumer_batch_advance (batch, 2);
    char error[ERROR_SIZE] = "";
    assert_int_equal (s_apply (store, redis, batch, TOKEN, NULL, NULL, error),
                      SP_CONSUMER_STORE_APPLIED);
    s_assert_state (redis, "checkpoint", "2");
    assert_int_equal (s_dbsize (redis), 2); /* lease and checkpoint only */
    sp_consumer_batch_destroy (&batch);
    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&redis);
}

static void
test_apply_fenced_writes_nothing (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *store = s_store (redis);
    sp_consumer_batch_t *batch = s_counter_batch ();
    s_set_state (redis, "checkpoint", "41");

    /* Another owner's token. */
    s_set_state (redis, "lease", OTHER_TOKEN);
    char error[ERROR_SIZE] = "";
    uint64_t observed = 7;
    bool missing = false;
    assert_int_equal (s_apply (store, redis, batch, TOKEN, &observed, &missing, error),
                      SP_CONSUMER_STORE_FENCED);
    assert_string_equal (error, "lease of partition 3 is held by \"instance-b/2\", not by token "
                                "\"instance-a/1\"");
    assert_int_equal (observed, 7);
    assert_false (missing);
    s_assert_state (redis, "counter", NULL);
    s_assert_state (redis, "checkpoint", "41");

    /* No lease at all (expired). */
    char key[SP_PARTITION_KEY_MAX];
    const char *del[] = { "DEL", s_key (SERVICE, PARTITION, "lease", key) };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 2, del), 0);
    assert_int_equal (s_apply (store, redis, batch, TOKEN, NULL, NULL, error),
                      SP_CONSUMER_STORE_FENCED);
    assert_string_equal (error, "lease of partition 3 is free, not held by token \"instance-a/1\"");
    s_assert_state (redis, "counter", NULL);
    s_assert_state (redis, "checkpoint", "41");
    assert_int_equal (s_dbsize (redis), 1);

    sp_consumer_batch_destroy (&batch);
    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&redis);
}

static void
test_apply_moved_writes_nothing (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *store = s_store (redis);
    sp_consumer_batch_t *batch = s_counter_batch ();
    s_set_state (redis, "lease", TOKEN);

    /* Another owner moved it on. */
    s_set_state (redis, "checkpoint", "45");
    char error[ERROR_SIZE] = "";
    uint64_t observed = 0;
    bool missing = true;
    assert_int_equal (s_apply (store, redis, batch, TOKEN, &observed, &missing, error),
                      SP_CONSUMER_STORE_MOVED);
    assert_int_equal (observed, 45);
    assert_false (missing);
    assert_string_equal (error, "checkpoint of partition 3 is \"45\", not \"41\"");
    s_assert_state (redis, "counter", NULL);
    s_assert_state (redis, "checkpoint", "45");

    /* The same number written another way is not the same checkpoint. */
    s_set_state (redis, "checkpoint", "041");
    assert_int_equal (s_apply (store, redis, batch, TOKEN, &observed, &missing, error),
                      SP_CONSUMER_STORE_MOVED);
    assert_false (missing);
    s_assert_state (redis, "checkpoint", "041");

    /* Missing (Redis flushed, a reset under way). */
    char key[SP_PARTITION_KEY_MAX];
    const char *del[] = { "DEL", s_key (SERVICE, PARTITION, "checkpoint", key) };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 2, del), 0);
    observed = 12;
    assert_int_equal (s_apply (store, redis, batch, TOKEN, &observed, &missing, error),
                      SP_CONSUMER_STORE_MOVED);
    assert_int_equal (observed, 0);
    assert_true (missing);
    assert_string_equal (error, "checkpoint of partition 3 is missing, not \"41\"");
    s_assert_state (redis, "counter", NULL);
    s_assert_state (redis, "checkpoint", NULL);
    /* observed and missing may be NULL. */
    assert_int_equal (s_apply (store, redis, batch, TOKEN, NULL, NULL, error),
                      SP_CONSUMER_STORE_MOVED);
    assert_int_equal (s_dbsize (redis), 1);

    sp_consumer_batch_destroy (&batch);
    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&redis);
}

/* ---------------------------------------------------------------- read and reset */

/* Revisions: a step applies only to state stamped with the store's
   revision (missing reads as 0); a reset stamps it; a restamp moves the
   stamp and nothing else; judge tells what a stored state needs. */
static void
test_apply_under_revisions (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *store = s_store (redis);
    sp_consumer_batch_t *batch = s_counter_batch ();
    s_set_state (redis, "lease", TOKEN);
    s_set_state (redis, "checkpoint", "41");
    char error[ERROR_SIZE] = "";

    /* Revision 0 and no stamp: applies (services without definitions). */
    assert_int_equal (sp_consumer_store_revision (store), 0);
    assert_int_equal (s_apply (store, redis, batch, TOKEN, NULL, NULL, error),
                      SP_CONSUMER_STORE_APPLIED);
    s_assert_state (redis, "checkpoint", "42");
    s_assert_state (redis, "revision", NULL);

    /* Under revision 7, state stamped 0 is refused and left as it was. */
    sp_consumer_store_set_revision (store, 7);
    assert_int_equal (sp_consumer_store_revision (store), 7);
    sp_consumer_batch_reset (batch, PARTITION, 42);
    const char *command[] = { "INCRBY", "unused", "1" };
    char key[SP_PARTITION_KEY_MAX];
    assert_int_equal (sp_consumer_batch_key (batch, "counter", key, sizeof key) > 0, 1);
    command[1] = key;
    assert_int_equal (sp_consumer_batch_command (batch, 3, command, NULL), 0);
    sp_consumer_batch_advance (batch, 43);
    assert_int_equal (s_apply (store, redis, batch, TOKEN, NULL, NULL, error),
                      SP_CONSUMER_STORE_STALE);
    assert_string_equal (error, "partition 3 is stamped with revision \"0\", not \"7\"");
    s_assert_state (redis, "checkpoint", "42");
    s_assert_state (redis, "counter", "1");

    /* The stored revision reads back; judge sends 0 < 7 to a restamp
       when only revision 7 needs no rebuild, to a reset when it does. */
    sp_consumer_store_state_t read;
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      0);
    assert_int_equal (read.revision, 0);
    assert_int_equal (sp_consumer_store_judge (&read, 7, 0), SP_CONSUMER_STORE_RESTAMP);
    assert_int_equal (sp_consumer_store_judge (&read, 7, 7), SP_CONSUMER_STORE_RESET);
    assert_int_equal (sp_consumer_store_judge (&read, 0, 0), SP_CONSUMER_STORE_USE);

    /* A restamp (fenced) lets the step through, with nothing else changed. */
    assert_int_equal (
        sp_consumer_store_restamp (store, redis, PARTITION, "intruder", error, sizeof error),
        SP_CONSUMER_STORE_FENCED);
    s_assert_state (redis, "revision", NULL);
    assert_int_equal (
        sp_consumer_store_restamp (store, redis, PARTITION, TOKEN, error, sizeof error),
        SP_CONSUMER_STORE_APPLIED);
    s_assert_state (redis, "revision", "7");
    s_assert_state (redis, "counter", "1");
    assert_int_equal (s_apply (store, redis, batch, TOKEN, NULL, NULL, error),
                      SP_CONSUMER_STORE_APPLIED);
    s_assert_state (redis, "checkpoint", "43");
    s_assert_state (redis, "counter", "2");

    /* An instance still at revision 5 is behind: refused, told so. */
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      0);
    assert_int_equal (read.revision, 7);
    assert_int_equal (sp_consumer_store_judge (&read, 5, 5), SP_CONSUMER_STORE_BEHIND);
    sp_consumer_store_set_revision (store, 5);
    sp_consumer_batch_reset (batch, PARTITION, 43);
    assert_int_equal (sp_consumer_batch_command (batch, 3, command, NULL), 0);
    sp_consumer_batch_advance (batch, 44);
    assert_int_equal (s_apply (store, redis, batch, TOKEN, NULL, NULL, error),
                      SP_CONSUMER_STORE_STALE);
    s_assert_state (redis, "counter", "2");

    /* A reset stamps the store's revision. */
    assert_int_equal (
        sp_consumer_store_reset (store, redis, PARTITION, TOKEN, 0, error, sizeof error),
        SP_CONSUMER_STORE_APPLIED);
    s_assert_state (redis, "revision", "5");
    s_assert_state (redis, "checkpoint", "0");
    s_assert_state (redis, "counter", NULL);

    /* A revision that is not a number is refused by the read. */
    s_set_state (redis, "revision", "seven");
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      -1);
    assert_string_equal (error, "key \"store-test:{p3}:revision\" holds \"seven\", not a revision");

    sp_consumer_batch_destroy (&batch);
    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&redis);
}

static void
test_read_fresh_then_after_reset (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *store = s_store (redis);
    char error[ERROR_SIZE] = "";
    sp_consumer_store_state_t read = { true, 5, 5, 5, 5 };
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      0);
    assert_false (read.has_checkpoint);
    assert_int_equal (read.checkpoint, 0);
    assert_int_equal (read.epoch, 0);
    assert_int_equal (read.rebuild, 0);
    assert_false (sp_consumer_store_valid (&read));

    int64_t epoch = 0;
    assert_int_equal (
        sp_consumer_store_request_rebuild (redis, SERVICE, &epoch, error, sizeof error), 0);
    assert_int_equal (epoch, 1);
    s_set_state (redis, "lease", TOKEN);
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      0);
    assert_int_equal (read.rebuild, 1);
    assert_int_equal (
        sp_consumer_store_reset (store, redis, PARTITION, TOKEN, read.rebuild, error, sizeof error),
        SP_CONSUMER_STORE_APPLIED);
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      0);
    assert_true (read.has_checkpoint);
    assert_int_equal (read.checkpoint, 0);
    assert_int_equal (read.epoch, 1);
    assert_int_equal (read.rebuild, 1);
    assert_true (sp_consumer_store_valid (&read));
    s_assert_state (redis, "checkpoint", "0");
    s_assert_state (redis, "epoch", "1");

    /* Another rebuild request makes it invalid again. */
    assert_int_equal (
        sp_consumer_store_request_rebuild (redis, SERVICE, &epoch, error, sizeof error), 0);
    assert_int_equal (epoch, 2);
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      0);
    assert_false (sp_consumer_store_valid (&read));

    /* An unrelated service's epoch is its own. */
    assert_int_equal (
        sp_consumer_store_request_rebuild (redis, OTHER_SERVICE, &epoch, error, sizeof error), 0);
    assert_int_equal (epoch, 1);
    assert_true (sp_harness_redis_value_is (redis, SERVICE ":rebuild", "2"));
    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&redis);
}

static void
test_read_refuses_values_that_are_not_numbers (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *store = s_store (redis);
    char error[ERROR_SIZE] = "";
    sp_consumer_store_state_t read = { false, 5, 6, 7, 8 };
    const sp_consumer_store_state_t before = read;

    s_set_state (redis, "checkpoint", "abc");
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      -1);
    assert_string_equal (error, "key \"store-test:{p3}:checkpoint\" holds \"abc\", not a sequence");
    assert_memory_equal (&read, &before, sizeof read);

    const char *bad_checkpoints[] = { "-1", "007", "", "1 ", "18446744073709551616" };
    for (size_t i = 0; i < sizeof bad_checkpoints / sizeof bad_checkpoints[0]; i++) {
        s_set_state (redis, "checkpoint", bad_checkpoints[i]);
        assert_int_equal (
            sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error), -1);
        assert_non_null (strstr (error, "not a sequence"));
    }
    s_set_state (redis, "checkpoint", "18446744073709551615");
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      0);
    assert_true (read.checkpoint == UINT64_MAX);

    s_set_state (redis, "epoch", "x1");
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      -1);
    assert_string_equal (error, "key \"store-test:{p3}:epoch\" holds \"x1\", not an epoch");
    s_set_state (redis, "epoch", "-3");
    s_set (redis, SERVICE ":rebuild", "9223372036854775808");
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      -1);
    assert_string_equal (error,
                         "key \"store-test:rebuild\" holds \"9223372036854775808\", not an epoch");

    /* A key of another type is an error reply of the pipeline. */
    char key[SP_PARTITION_KEY_MAX];
    /* one DEL per key: on a cluster the two are in different slots */
    const char *del_rebuild[] = { "DEL", SERVICE ":rebuild" };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 2, del_rebuild), 0);
    const char *del[] = { "DEL", s_key (SERVICE, PARTITION, "epoch", key) };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 2, del), 0);
    const char *hset[] = { "HSET", s_key (SERVICE, PARTITION, "epoch", key), "f", "1" };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 4, hset), 0);
    assert_int_equal (sp_consumer_store_read (store, redis, PARTITION, &read, error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "could not read key \"store-test:{p3}:epoch\": WRONGTYPE"));

    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&redis);
}

/* Keys of partition that SCAN finds (excluding none). */
static int64_t
s_partition_key_count (sp_redis_t *redis, const char *service, uint32_t partition)
{
    char pattern[SP_PARTITION_KEY_MAX];
    s_key (service, partition, "*", pattern);
    char cursor[32] = "0";
    int64_t count = 0;
    do {
        const char *scan[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", "1000" };
        sp_redis_reply_t *reply = sp_harness_redis_run (redis, 6, scan);
        assert_non_null (reply);
        snprintf (cursor, sizeof cursor, "%s",
                  sp_redis_reply_string (sp_redis_reply_element (reply, 0), NULL));
        count += (int64_t) sp_redis_reply_size (sp_redis_reply_element (reply, 1));
        sp_redis_reply_destroy (&reply);
    } while (strcmp (cursor, "0") != 0);
    return count;
}

/* Fills the database: STATE_KEYS handler keys of PARTITION (strings and
   hashes, one with a binary name), its lease, fence, checkpoint and epoch,
   and neighbours that must survive a reset. */
static void
s_fill (sp_redis_t *redis, const char *lease)
{
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    assert_non_null (pipeline);
    char key[SP_PARTITION_KEY_MAX];
    for (int i = 0; i < STATE_KEYS; i++) {
        char suffix[NAME_SIZE];
        snprintf (suffix, sizeof suffix, "state:%d", i);
        s_key (SERVICE, PARTITION, suffix, key);
        const char *set[] = { "SET", key, "v" };
        const char *hset[] = { "HSET", key, "f", "v" };
        if (i % 2)
            assert_int_equal (sp_redis_pipeline_append (pipeline, 3, set, NULL), 0);
        else
            assert_int_equal (sp_redis_pipeline_append (pipeline, 4, hset, NULL), 0);
    }
    char binary[SP_PARTITION_KEY_MAX];
    int length = sp_partition_key (binary, sizeof binary, SERVICE, PARTITION, "bin");
    const char *binary_set[] = { "SET", binary, "v" };
    const size_t binary_lengths[] = { 3, (size_t) length + 3, 1 };
    memcpy (binary + length, "\0\xff!", 3); /* "<...>:bin\0\xff!" */
    assert_int_equal (sp_redis_pipeline_append (pipeline, 3, binary_set, binary_lengths), 0);
    const char *suffixes[] = { "lease", "fence", "checkpoint", "epoch" };
    const char *values[] = { lease, "1", "17", "0" };
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        const char *set[] = { "SET", s_key (SERVICE, PARTITION, suffixes[i], key), values[i] };
        assert_int_equal (sp_redis_pipeline_append (pipeline, 3, set, NULL), 0);
    }
    char neighbours[4][SP_PARTITION_KEY_MAX];
    s_key (SERVICE, PARTITION + 1, "state:0", neighbours[0]);
    s_key (SERVICE, NEIGHBOUR, "state:0", neighbours[1]);
    s_key (OTHER_SERVICE, PARTITION, "state:0", neighbours[2]);
    snprintf (neighbours[3], sizeof neighbours[3], "%s", SERVICE ":rebuild");
    for (size_t i = 0; i < 4; i++) {
        const char *set[] = { "SET", neighbours[i], "1" };
        assert_int_equal (sp_redis_pipeline_append (pipeline, 3, set, NULL), 0);
    }
    char error[ERROR_SIZE] = "";
    sp_redis_reply_t *reply = sp_redis_execute (redis, pipeline, error, sizeof error);
    if (!reply)
        fail_msg ("fill: %s", error);
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    assert_int_equal (s_dbsize (redis), STATE_KEYS + 1 + 4 + 4);
}

static void
test_reset_deletes_only_the_partition_state (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *store = s_store (redis);
    s_fill (redis, TOKEN);
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        sp_consumer_store_reset (store, redis, PARTITION, TOKEN, 5, error, sizeof error),
        SP_CONSUMER_STORE_APPLIED);
    /* Left: the lease, the fence, the new checkpoint, epoch and revision;
       the neighbours. */
    assert_int_equal (s_partition_key_count (redis, SERVICE, PARTITION), 5);
    s_assert_state (redis, "lease", TOKEN);
    s_assert_state (redis, "fence", "1");
    s_assert_state (redis, "checkpoint", "0");
    s_assert_state (redis, "epoch", "5");
    s_assert_state (redis, "revision", "0");
    s_assert_state (redis, "state:0", NULL);
    assert_int_equal (s_partition_key_count (redis, SERVICE, PARTITION + 1), 1);
    assert_int_equal (s_partition_key_count (redis, SERVICE, NEIGHBOUR), 1);
    assert_int_equal (s_partition_key_count (redis, OTHER_SERVICE, PARTITION), 1);
    assert_true (sp_harness_redis_value_is (redis, SERVICE ":rebuild", "1"));
    assert_int_equal (s_dbsize (redis), 5 + 4);

    /* Again on the reset partition: nothing but the state to rewrite. */
    assert_int_equal (
        sp_consumer_store_reset (store, redis, PARTITION, TOKEN, 6, error, sizeof error),
        SP_CONSUMER_STORE_APPLIED);
    s_assert_state (redis, "epoch", "6");
    assert_int_equal (s_dbsize (redis), 5 + 4);
    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&redis);
}

static void
test_reset_fenced_deletes_nothing (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *store = s_store (redis);
    s_fill (redis, OTHER_TOKEN);
    int64_t before = s_dbsize (redis);
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        sp_consumer_store_reset (store, redis, PARTITION, TOKEN, 5, error, sizeof error),
        SP_CONSUMER_STORE_FENCED);
    assert_string_equal (error, "lease of partition 3 is held by \"instance-b/2\", not by token "
                                "\"instance-a/1\"");
    assert_int_equal (s_dbsize (redis), before);
    s_assert_state (redis, "checkpoint", "17");
    s_assert_state (redis, "epoch", "0");
    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&redis);
}

/* ---------------------------------------------------------------- rebuild, reload, outage */

static void
test_request_rebuild_increments (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    char error[ERROR_SIZE] = "";
    int64_t epoch = 0;
    for (int64_t expected = 1; expected <= 3; expected++) {
        assert_int_equal (
            sp_consumer_store_request_rebuild (redis, SERVICE, &epoch, error, sizeof error), 0);
        assert_int_equal (epoch, expected);
    }
    assert_true (sp_harness_redis_value_is (redis, SERVICE ":rebuild", "3"));

    epoch = 42;
    assert_int_equal (
        sp_consumer_store_request_rebuild (redis, "Bad*Name", &epoch, error, sizeof error), -1);
    assert_string_equal (error, "invalid service name \"Bad*Name\": must be 1..63 characters of "
                                "a-z, 0-9 and \"-\"");
    assert_int_equal (epoch, 42);
    s_set (redis, "wrong:rebuild", "not a number");
    assert_int_equal (
        sp_consumer_store_request_rebuild (redis, "wrong", &epoch, error, sizeof error), -1);
    assert_non_null (strstr (error, "could not request a rebuild of \"wrong\""));
    assert_int_equal (epoch, 42);
    sp_redis_destroy (&redis);
}

static void
test_scripts_reload_after_flush (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *store = s_store (redis);
    sp_consumer_batch_t *batch = s_counter_batch ();
    const char *flushes[][2] = { { "SCRIPT", "FLUSH" }, { "FLUSHALL", NULL } };
    for (size_t i = 0; i < sizeof flushes / sizeof flushes[0]; i++) {
        assert_int_equal (sp_harness_redis_run_and_drop (redis, flushes[i][1] ? 2 : 1, flushes[i]),
                          0);
        s_set_state (redis, "lease", TOKEN);
        char error[ERROR_SIZE] = "";
        assert_int_equal (
            sp_consumer_store_reset (store, redis, PARTITION, TOKEN, 0, error, sizeof error),
            SP_CONSUMER_STORE_APPLIED);
        s_set_state (redis, "checkpoint", "41");
        assert_int_equal (s_apply (store, redis, batch, TOKEN, NULL, NULL, error),
                          SP_CONSUMER_STORE_APPLIED);
        s_assert_state (redis, "checkpoint", "42");
        s_assert_state (redis, "counter", "1");
        const char *flush[] = { "SCRIPT", "FLUSH" };
        assert_int_equal (sp_harness_redis_run_and_drop (redis, 2, flush), 0);
    }
    sp_consumer_batch_destroy (&batch);
    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&redis);
}

static void
test_unreachable_redis_fails (void **state)
{
    (void) state;
    char error[ERROR_SIZE] = "";
    sp_redis_t *down = sp_harness_redis_unreachable ();
    assert_non_null (down);
    sp_consumer_store_t *store = sp_consumer_store_new (SERVICE);
    assert_non_null (store);
    sp_consumer_batch_t *batch = s_counter_batch ();

    assert_int_equal (sp_consumer_store_load (store, down, error, sizeof error), -1);
    assert_int_equal (s_apply (store, down, batch, TOKEN, NULL, NULL, error),
                      SP_CONSUMER_STORE_FAILED);
    assert_non_null (strstr (error, "could not apply events 42..42 to partition 3"));
    sp_consumer_store_state_t read = { false, 1, 2, 3, 4 };
    assert_int_equal (sp_consumer_store_read (store, down, PARTITION, &read, error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "could not read the state of partition 3"));
    assert_int_equal (read.checkpoint, 1);
    assert_int_equal (
        sp_consumer_store_reset (store, down, PARTITION, TOKEN, 1, error, sizeof error),
        SP_CONSUMER_STORE_FAILED);
    int64_t epoch = 0;
    assert_int_equal (
        sp_consumer_store_request_rebuild (down, SERVICE, &epoch, error, sizeof error), -1);

    sp_consumer_batch_destroy (&batch);
    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&down);
}

/* ---------------------------------------------------------------- main */

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_apply_writes_commands_and_checkpoint),
        cmocka_unit_test (test_apply_without_commands_advances),
        cmocka_unit_test (test_apply_fenced_writes_nothing),
        cmocka_unit_test (test_apply_moved_writes_nothing),
        cmocka_unit_test (test_apply_under_revisions),
        cmocka_unit_test (test_read_fresh_then_after_reset),
        cmocka_unit_test (test_read_refuses_values_that_are_not_numbers),
        cmocka_unit_test (test_reset_deletes_only_the_partition_state),
        cmocka_unit_test (test_reset_fenced_deletes_nothing),
        cmocka_unit_test (test_request_rebuild_increments),
        cmocka_unit_test (test_scripts_reload_after_flush),
        cmocka_unit_test (test_unreachable_redis_fails),
    };
    return cmocka_run_group_tests_name ("consumer_store", tests,
                                        sp_harness_redis_group_setup_either,
                                        sp_harness_redis_group_teardown);
}
