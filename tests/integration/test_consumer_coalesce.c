/*  test_consumer_coalesce - the real apply (sp_consumer_store_apply, the
    fenced Lua script) of coalesced steps against the harness's Redis:
    the same random steps, applied as added by one service and coalesced
    (sp_consumer_batch_coalesce) by another, leave the same state, key by
    key, as a reader sees it (a hash field of 0 is a missing field).

    The steps look like a funnel-tracker rebuild, with the barriers a
    handler may write besides: HINCRBYs on a few hashes (some summing to
    0), SETs of entity records with binary values, ZADDs and ZREMs of
    members, ZADD ... GT on a clock, SADDs, and DEL, HDEL, SREM, ZADD of
    two members, and a key that changes kind (SET over a hash, DEL, hash
    again). Every command is valid where it runs (no WRONGTYPE, no
    overflow), which is the handler's contract.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_consumer_batch.h"
#include "sp_consumer_store.h"
#include "sp_harness.h"
#include "sp_harness_redis.h"
#include "sp_partition.h"
#include "sp_redis.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 512
#define PLAIN "coalesce-plain"   /* applies the steps as added */
#define MERGED "coalesce-merged" /* applies them coalesced */
#define PARTITION 3
#define TOKEN "instance-a/1"
#define STEPS 40              /* atomic steps applied */
#define EVENTS_PER_STEP 50    /* events of a step */
#define COMMANDS_PER_EVENT 24 /* most commands of one event */
#define HASHES 6              /* hash keys "m:<i>" */
#define FIELDS 8              /* their fields "reached:<i>" */
#define SORTED 4              /* sorted-set keys "z:<i>" */
#define SETS 2                /* set keys "s:<i>" */
#define ENTITIES 60           /* entities: members, and string keys "e:<i>" */
#define NAME_SIZE 64          /* a key suffix, field or member */
#define SCAN_COUNT "1000"     /* keys per SCAN */

/* ---------------------------------------------------------------- steps */

/* xorshift64*: the random steps, from a fixed seed. */
static uint64_t
s_next (uint64_t *seed)
{
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    return *seed * UINT64_C (2685821657736338717);
}

static size_t
s_pick (uint64_t *seed, size_t count)
{
    return (size_t) (s_next (seed) % count);
}

/* The same command into both batches; arguments after the key are given
   as they are, the key as a suffix of each batch's partition. */
static void
s_both (sp_consumer_batch_t *plain, sp_consumer_batch_t *merged, const char *name,
        const char *suffix, int extra, const char *const *arguments, const size_t *lengths)
{
    sp_consumer_batch_t *batches[] = { plain, merged };
    for (size_t which = 0; which < 2; which++) {
        char key[SP_PARTITION_KEY_MAX];
        int key_length = sp_consumer_batch_key (batches[which], suffix, key, sizeof key);
        assert_true (key_length > 0);
        const char *argv[8] = { name, key };
        size_t argv_lengths[8] = { strlen (name), (size_t) key_length };
        assert_true (extra <= 6);
        for (int index = 0; index < extra; index++) {
            argv[2 + index] = arguments[index];
            argv_lengths[2 + index] = lengths ? lengths[index] : strlen (arguments[index]);
        }
        assert_int_equal (sp_consumer_batch_command (batches[which], 2 + extra, argv, argv_lengths),
                          0);
    }
}

/* DEL of two keys: both are batch keys. */
static void
s_both_del (sp_consumer_batch_t *plain, sp_consumer_batch_t *merged, const char *first,
            const char *second)
{
    sp_consumer_batch_t *batches[] = { plain, merged };
    for (size_t which = 0; which < 2; which++) {
        char one[SP_PARTITION_KEY_MAX], two[SP_PARTITION_KEY_MAX];
        assert_true (sp_consumer_batch_key (batches[which], first, one, sizeof one) > 0);
        assert_true (sp_consumer_batch_key (batches[which], second, two, sizeof two) > 0);
        const char *argv[] = { "DEL", one, two };
        assert_int_equal (sp_consumer_batch_command (batches[which], 3, argv, NULL), 0);
    }
}

/* What the generator knows of the key that changes kind ("x"). */
typedef enum { S_X_NONE, S_X_HASH, S_X_STRING } s_x_t;

/* One event's commands, the same into both batches. */
static void
s_event (uint64_t *seed, sp_consumer_batch_t *plain, sp_consumer_batch_t *merged, s_x_t *x,
         int64_t clock)
{
    char suffix[NAME_SIZE], field[NAME_SIZE], member[NAME_SIZE], number[NAME_SIZE];
    size_t commands = 1 + s_pick (seed, COMMANDS_PER_EVENT);
    for (size_t command = 0; command < commands; command++) {
        size_t choice = s_pick (seed, 100);
        snprintf (member, sizeof member, "e%zu", s_pick (seed, ENTITIES));
        if (choice < 55) {
            snprintf (suffix, sizeof suffix, "m:%zu", s_pick (seed, HASHES));
            snprintf (field, sizeof field, "reached:%zu", s_pick (seed, FIELDS));
            const int64_t deltas[] = { 1, 1, -1, 2, -2, 1250, -1250 };
            snprintf (number, sizeof number, "%" PRId64,
                      deltas[s_pick (seed, sizeof deltas / sizeof deltas[0])]);
            s_both (plain, merged, "HINCRBY", suffix, 2, (const char *[]){ field, number }, NULL);
        }
        else if (choice < 65) {
            snprintf (suffix, sizeof suffix, "z:%zu", s_pick (seed, SORTED));
            snprintf (number, sizeof number, "%zu", s_pick (seed, 1000));
            s_both (plain, merged, "ZADD", suffix, 2, (const char *[]){ number, member }, NULL);
        }
        else if (choice < 70) {
            snprintf (suffix, sizeof suffix, "z:%zu", s_pick (seed, SORTED));
            s_both (plain, merged, "ZREM", suffix, 1, (const char *[]){ member }, NULL);
        }
        else if (choice < 76) {
            snprintf (suffix, sizeof suffix, "s:%zu", s_pick (seed, SETS));
            s_both (plain, merged, "SADD", suffix, 1, (const char *[]){ member }, NULL);
        }
        else if (choice < 86) {
            /* an entity record: a binary value */
            snprintf (suffix, sizeof suffix, "e:%zu", s_pick (seed, ENTITIES));
            char value[3] = { (char) s_pick (seed, 256), '\0', (char) s_pick (seed, 256) };
            const size_t length = sizeof value;
            s_both (plain, merged, "SET", suffix, 1, (const char *[]){ value }, &length);
        }
        else if (choice < 88) {
            snprintf (suffix, sizeof suffix, "m:%zu", s_pick (seed, HASHES));
            snprintf (field, sizeof field, "reached:%zu", s_pick (seed, FIELDS));
            s_both (plain, merged, "HDEL", suffix, 1, (const char *[]){ field }, NULL);
        }
        else if (choice < 90) {
            snprintf (suffix, sizeof suffix, "s:%zu", s_pick (seed, SETS));
            s_both (plain, merged, "SREM", suffix, 1, (const char *[]){ member }, NULL);
        }
        else if (choice < 92) {
            snprintf (suffix, sizeof suffix, "z:%zu", s_pick (seed, SORTED));
            s_both (plain, merged, "ZADD", suffix, 4,
                    (const char *[]){ "5", member, "6", "e-extra" }, NULL);
        }
        else if (choice < 94) {
            char second[NAME_SIZE];
            snprintf (suffix, sizeof suffix, "m:%zu", s_pick (seed, HASHES));
            snprintf (second, sizeof second, "e:%zu", s_pick (seed, ENTITIES));
            s_both_del (plain, merged, suffix, second);
        }
        else {
            /* the key that changes kind: hash, SET over it, DEL, hash again */
            size_t move = s_pick (seed, 3);
            if (move == 0 && *x != S_X_STRING) {
                s_both (plain, merged, "HINCRBY", "x", 2, (const char *[]){ "f", "1" }, NULL);
                *x = S_X_HASH;
            }
            else if (move == 1) {
                s_both (plain, merged, "SET", "x", 1, (const char *[]){ "v" }, NULL);
                *x = S_X_STRING;
            }
            else {
                s_both (plain, merged, "DEL", "x", 0, NULL, NULL);
                *x = S_X_NONE;
            }
        }
    }
    snprintf (number, sizeof number, "%" PRId64, clock);
    s_both (plain, merged, "ZADD", "clock", 3, (const char *[]){ "GT", number, "latest" }, NULL);
}

/* ---------------------------------------------------------------- compare */

/* Every key of service's partition but the lease and checkpoint, as
   suffixes (the caller destroys the list with free, each element too). */
static char **
s_suffixes (sp_redis_t *redis, const char *service, size_t *count)
{
    char pattern[SP_PARTITION_KEY_MAX];
    assert_true (sp_partition_key (pattern, sizeof pattern, service, PARTITION, "*") > 0);
    size_t prefix = strlen (pattern) - 1;
    char **suffixes = NULL;
    *count = 0;
    char cursor[NAME_SIZE] = "0";
    do {
        const char *scan[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", SCAN_COUNT };
        sp_redis_reply_t *reply = sp_harness_redis_run (redis, 6, scan);
        assert_non_null (reply);
        snprintf (cursor, sizeof cursor, "%s",
                  sp_redis_reply_string (sp_redis_reply_element (reply, 0), NULL));
        const sp_redis_reply_t *keys = sp_redis_reply_element (reply, 1);
        for (size_t index = 0; index < sp_redis_reply_size (keys); index++) {
            const char *key = sp_redis_reply_string (sp_redis_reply_element (keys, index), NULL);
            const char *suffix = key + prefix;
            if (strcmp (suffix, "lease") == 0 || strcmp (suffix, "checkpoint") == 0)
                continue;
            char **grown = realloc (suffixes, (*count + 1) * sizeof *suffixes);
            assert_non_null (grown);
            suffixes = grown;
            suffixes[(*count)++] = strdup (suffix);
        }
        sp_redis_reply_destroy (&reply);
    } while (strcmp (cursor, "0") != 0);
    return suffixes;
}

/* The reply of "command <service's key suffix> tail..." (the caller
   destroys it). */
static sp_redis_reply_t *
s_read (sp_redis_t *redis, const char *command, const char *service, const char *suffix,
        int tail_count, const char *const *tail)
{
    char key[SP_PARTITION_KEY_MAX];
    assert_true (sp_partition_key (key, sizeof key, service, PARTITION, suffix) > 0);
    const char *argv[8] = { command, key };
    assert_true (tail_count <= 6);
    for (int index = 0; index < tail_count; index++)
        argv[2 + index] = tail[index];
    char error[ERROR_SIZE] = "";
    sp_redis_reply_t *reply =
        sp_redis_command (redis, 2 + tail_count, argv, NULL, error, sizeof error);
    if (!reply)
        fail_msg ("%s %s: %s", command, key, error);
    return reply;
}

static const char *
s_element (const sp_redis_reply_t *reply, size_t index, size_t *length)
{
    return sp_redis_reply_string (sp_redis_reply_element (reply, index), length);
}

/* The value of field in an HGETALL reply, NULL when missing or "0". */
static const char *
s_field (const sp_redis_reply_t *hash, const char *field)
{
    for (size_t index = 0; index + 1 < sp_redis_reply_size (hash); index += 2)
        if (strcmp (s_element (hash, index, NULL), field) == 0) {
            const char *value = s_element (hash, index + 1, NULL);
            return strcmp (value, "0") == 0 ? NULL : value;
        }
    return NULL;
}

/* The hash fields of one side all appear on the other with the same
   value, "0" and missing being the same. */
static void
s_assert_hash_within (const sp_redis_reply_t *from, const sp_redis_reply_t *within,
                      const char *suffix)
{
    for (size_t index = 0; index + 1 < sp_redis_reply_size (from); index += 2) {
        const char *field = s_element (from, index, NULL);
        const char *want = s_field (from, field);
        const char *got = s_field (within, field);
        if ((want == NULL) != (got == NULL) || (want && strcmp (want, got) != 0))
            fail_msg ("hash %s field %s: \"%s\" and \"%s\"", suffix, field, want ? want : "0",
                      got ? got : "0");
    }
}

/* Replies that must be equal element by element (sorted sets with
   scores, sets as sorted members). */
static void
s_assert_same_elements (const sp_redis_reply_t *plain, const sp_redis_reply_t *merged,
                        const char *suffix)
{
    assert_int_equal (sp_redis_reply_size (plain), sp_redis_reply_size (merged));
    for (size_t index = 0; index < sp_redis_reply_size (plain); index++) {
        size_t plain_length = 0, merged_length = 0;
        const char *want = s_element (plain, index, &plain_length);
        const char *got = s_element (merged, index, &merged_length);
        if (plain_length != merged_length || memcmp (want, got, plain_length) != 0)
            fail_msg ("%s element %zu differs", suffix, index);
    }
}

/* Tails of the reads of a sorted set and of a set. */
static const char *const s_range[] = { "0", "-1", "WITHSCORES" };
static const char *const s_alpha[] = { "ALPHA" };

/* Compares one key of the plain service with its merged counterpart. */
static void
s_assert_same_key (sp_redis_t *redis, const char *suffix)
{
    sp_redis_reply_t *type = s_read (redis, "TYPE", PLAIN, suffix, 0, NULL);
    sp_redis_reply_t *merged_type = s_read (redis, "TYPE", MERGED, suffix, 0, NULL);
    const char *kind = sp_redis_reply_string (type, NULL);
    const char *merged_kind = sp_redis_reply_string (merged_type, NULL);
    if (strcmp (kind, "hash") == 0) {
        /* the merged side may lack a hash whose fields are all 0 */
        assert_true (strcmp (merged_kind, "hash") == 0 || strcmp (merged_kind, "none") == 0);
        sp_redis_reply_t *plain = s_read (redis, "HGETALL", PLAIN, suffix, 0, NULL);
        sp_redis_reply_t *merged = s_read (redis, "HGETALL", MERGED, suffix, 0, NULL);
        s_assert_hash_within (plain, merged, suffix);
        s_assert_hash_within (merged, plain, suffix);
        sp_redis_reply_destroy (&plain);
        sp_redis_reply_destroy (&merged);
    }
    else {
        if (strcmp (kind, merged_kind) != 0)
            fail_msg ("key %s: %s, coalesced %s", suffix, kind, merged_kind);
        sp_redis_reply_t *plain = NULL, *merged = NULL;
        if (strcmp (kind, "string") == 0) {
            plain = s_read (redis, "GET", PLAIN, suffix, 0, NULL);
            merged = s_read (redis, "GET", MERGED, suffix, 0, NULL);
            size_t plain_length = 0, merged_length = 0;
            const char *want = sp_redis_reply_string (plain, &plain_length);
            const char *got = sp_redis_reply_string (merged, &merged_length);
            assert_int_equal (plain_length, merged_length);
            assert_memory_equal (want, got, plain_length);
        }
        else if (strcmp (kind, "zset") == 0) {
            plain = s_read (redis, "ZRANGE", PLAIN, suffix, 3, s_range);
            merged = s_read (redis, "ZRANGE", MERGED, suffix, 3, s_range);
            s_assert_same_elements (plain, merged, suffix);
        }
        else if (strcmp (kind, "set") == 0) {
            plain = s_read (redis, "SORT", PLAIN, suffix, 1, s_alpha);
            merged = s_read (redis, "SORT", MERGED, suffix, 1, s_alpha);
            s_assert_same_elements (plain, merged, suffix);
        }
        else
            fail_msg ("key %s has type %s", suffix, kind);
        sp_redis_reply_destroy (&plain);
        sp_redis_reply_destroy (&merged);
    }
    sp_redis_reply_destroy (&type);
    sp_redis_reply_destroy (&merged_type);
}

/* ---------------------------------------------------------------- tests */

static sp_consumer_store_t *
s_store (sp_redis_t *redis, const char *service)
{
    sp_consumer_store_t *store = sp_consumer_store_new (service);
    assert_non_null (store);
    char error[ERROR_SIZE] = "";
    if (sp_consumer_store_load (store, redis, error, sizeof error) != 0)
        fail_msg ("sp_consumer_store_load: %s", error);
    char key[SP_PARTITION_KEY_MAX];
    assert_true (sp_partition_key (key, sizeof key, service, PARTITION, "lease") > 0);
    assert_int_equal (
        sp_harness_redis_run_and_drop (redis, 3, (const char *[]){ "SET", key, TOKEN }), 0);
    assert_true (sp_partition_key (key, sizeof key, service, PARTITION, "checkpoint") > 0);
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 3, (const char *[]){ "SET", key, "0" }),
                      0);
    return store;
}

static void
test_coalesced_steps_leave_the_same_state (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *plain_store = s_store (redis, PLAIN);
    sp_consumer_store_t *merged_store = s_store (redis, MERGED);
    sp_consumer_batch_t *plain = sp_consumer_batch_new (PLAIN);
    sp_consumer_batch_t *merged = sp_consumer_batch_new (MERGED);
    assert_non_null (plain);
    assert_non_null (merged);
    uint64_t seed = UINT64_C (0x2545f4914f6cdd1d);
    s_x_t x = S_X_NONE;
    uint64_t sequence = 0;
    size_t commands_added = 0, commands_applied = 0;
    for (int step = 0; step < STEPS; step++) {
        sp_consumer_batch_reset (plain, PARTITION, sequence);
        sp_consumer_batch_reset (merged, PARTITION, sequence);
        for (int event = 0; event < EVENTS_PER_STEP; event++) {
            sequence++;
            s_event (&seed, plain, merged, &x, (int64_t) (s_next (&seed) % 1000000));
            sp_consumer_batch_advance (plain, sequence);
            sp_consumer_batch_advance (merged, sequence);
        }
        commands_added += sp_consumer_batch_commands (merged);
        assert_int_equal (sp_consumer_batch_coalesce (merged), 0);
        commands_applied += sp_consumer_batch_commands (merged);
        char error[ERROR_SIZE] = "";
        if (sp_consumer_store_apply (plain_store, redis, plain, TOKEN, NULL, NULL, error,
                                     sizeof error) != SP_CONSUMER_STORE_APPLIED)
            fail_msg ("apply as added: %s", error);
        if (sp_consumer_store_apply (merged_store, redis, merged, TOKEN, NULL, NULL, error,
                                     sizeof error) != SP_CONSUMER_STORE_APPLIED)
            fail_msg ("apply coalesced: %s", error);
    }
    /* the steps merged a good part of their commands */
    assert_true (commands_applied < commands_added * 3 / 4);

    size_t plain_count = 0, merged_count = 0;
    char **plain_keys = s_suffixes (redis, PLAIN, &plain_count);
    char **merged_keys = s_suffixes (redis, MERGED, &merged_count);
    assert_true (plain_count > HASHES + SORTED); /* a state worth comparing */
    for (size_t index = 0; index < plain_count; index++)
        s_assert_same_key (redis, plain_keys[index]);
    /* the merged side has no key the plain side lacks */
    for (size_t index = 0; index < merged_count; index++) {
        sp_redis_reply_t *exists = s_read (redis, "EXISTS", PLAIN, merged_keys[index], 0, NULL);
        if (sp_redis_reply_integer (exists) != 1)
            fail_msg ("key %s only in the coalesced state", merged_keys[index]);
        sp_redis_reply_destroy (&exists);
    }
    char checkpoint[NAME_SIZE];
    snprintf (checkpoint, sizeof checkpoint, "%" PRIu64, sequence);
    char key[SP_PARTITION_KEY_MAX];
    assert_true (sp_partition_key (key, sizeof key, MERGED, PARTITION, "checkpoint") > 0);
    assert_true (sp_harness_redis_value_is (redis, key, checkpoint));

    for (size_t index = 0; index < plain_count; index++)
        free (plain_keys[index]);
    for (size_t index = 0; index < merged_count; index++)
        free (merged_keys[index]);
    free (plain_keys);
    free (merged_keys);
    sp_consumer_batch_destroy (&plain);
    sp_consumer_batch_destroy (&merged);
    sp_consumer_store_destroy (&plain_store);
    sp_consumer_store_destroy (&merged_store);
    sp_redis_destroy (&redis);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_coalesced_steps_leave_the_same_state),
    };
    return cmocka_run_group_tests_name ("consumer_coalesce", tests,
                                        sp_harness_redis_group_setup_either,
                                        sp_harness_redis_group_teardown);
}
