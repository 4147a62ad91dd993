/*  test_consumer_apply_order - the apply script ends in exactly the
    state its step's commands give when Redis runs them one by one, in
    order, against the harness's real Redis.

    The script does not call the HINCRBYs of a step: it sets each hash's
    pending fields with one HSET before the next command naming the hash
    (sp_consumer_store_scripts.c). That is only right if no command of
    the step can see the difference, so this test drives random steps of
    every command the script runs (HINCRBY, HSET, HDEL, DEL, UNLINK, SET,
    MSET, INCRBY, ZADD, SADD) on a few keys of one partition, interleaved
    so that the same hash is incremented, overwritten, deleted, replaced
    by a string, made a hash again and incremented across MSETs and DELs
    of several keys; each step is also run command by command on a mirror
    partition, and after every step every key of both must hold the same
    kind and content. Half the steps are coalesced first (as the consumer
    does), with summed increments (sp_consumer_batch_increment, sent as
    one HINCRBY of several fields per hash). The generator keeps a model
    of each key's kind so that every step is one Redis would run whole (a
    step the script refuses is the business of test_consumer_exactly_once).
    Deterministic: a fixed seed and a generator of its own.
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

#define ERROR_SIZE 512
#define SERVICE "order-test"
#define PARTITION 3 /* applied by the script */
#define MIRROR 5    /* the same commands run one by one */
#define TOKEN "instance-a/1"
#define KEYS 5   /* "k0".."k4" */
#define FIELDS 6 /* "f0".."f5" */
#define STEPS 120
#define STEP_COMMANDS_MAX 90
#define ARGS_MAX 8   /* MSET of three keys */
#define TEXT_SIZE 32 /* a key suffix, field or number */

typedef enum { S_NONE, S_HASH, S_STRING, S_ZSET, S_SET } s_kind_t;

/* A command of a step: its arguments by key index or text. */
typedef struct {
    int argc;
    char text[ARGS_MAX][TEXT_SIZE]; /* arguments; a key is "@<index>" */
} s_command_t;

/* ---------------------------------------------------------------- generator */

static uint64_t s_seed = UINT64_C (0x5eed0fa9c1e5);

static uint32_t
s_random (uint32_t bound)
{
    s_seed = s_seed * UINT64_C (6364136223846793005) + UINT64_C (1442695040888963407);
    return (uint32_t) ((s_seed >> 33) % bound);
}

static int64_t
s_between (int64_t low, int64_t high)
{
    return low + (int64_t) s_random ((uint32_t) (high - low + 1));
}

/* Values about 2^52 and 2^53, where the script's arithmetic changes
   form (a double below 2^52, two parts above), and far beyond, within
   int64 whatever a run adds to them. */
static const int64_t s_large[] = {
    INT64_C (4503599627370495), INT64_C (4503599627370496),   INT64_C (-4503599627370496),
    INT64_C (9007199254740993), INT64_C (-9007199254740993),  INT64_C (999999999999999),
    INT64_C (1000000000000000), INT64_C (123456789012345678), INT64_C (-98765432109876543),
};

/* An HINCRBY's delta: small mostly, one in eight large. */
static int64_t
s_delta (void)
{
    if (s_random (8))
        return s_between (-1000, 1000);
    int64_t large = s_large[s_random (sizeof s_large / sizeof s_large[0])];
    return large > INT64_C (1) << 53 || large < -(INT64_C (1) << 53) ? large / 1000 : large;
}

/* An HSET's value: small mostly, one in eight large. */
static int64_t
s_value (void)
{
    return s_random (8) ? s_between (-50, 50)
                        : s_large[s_random (sizeof s_large / sizeof s_large[0])];
}

/* A key (index) whose kind is one of those allowed, or -1. */
static int
s_pick_key (const s_kind_t *kinds, unsigned allowed)
{
    int candidates[KEYS] = { 0 };
    int count = 0;
    for (int key = 0; key < KEYS; key++)
        if (allowed & (1u << kinds[key]))
            candidates[count++] = key;
    return count ? candidates[s_random ((uint32_t) count)] : -1;
}

static void
s_arg (s_command_t *command, const char *format, ...)
{
    assert_true (command->argc < ARGS_MAX);
    va_list args;
    va_start (args, format);
    vsnprintf (command->text[command->argc++], TEXT_SIZE, format, args);
    va_end (args);
}

/* One command Redis runs without error on the kinds given, which it then
   updates. Weighted to HINCRBY, as the services write. */
static void
s_generate (s_kind_t *kinds, s_command_t *command)
{
    const unsigned hash_ok = (1u << S_NONE) | (1u << S_HASH);
    const unsigned string_ok = (1u << S_NONE) | (1u << S_STRING);
    command->argc = 0;
    for (;;) {
        uint32_t dice = s_random (100);
        int key;
        if (dice < 45 && (key = s_pick_key (kinds, hash_ok)) >= 0) {
            s_arg (command, "HINCRBY");
            s_arg (command, "@%d", key);
            s_arg (command, "f%u", s_random (FIELDS));
            s_arg (command, "%lld", (long long) s_delta ());
            kinds[key] = S_HASH;
        }
        else if (dice < 55 && (key = s_pick_key (kinds, hash_ok)) >= 0) {
            s_arg (command, "HSET");
            s_arg (command, "@%d", key);
            s_arg (command, "f%u", s_random (FIELDS));
            s_arg (command, "%lld", (long long) s_value ());
            if (s_random (2)) {
                s_arg (command, "f%u", s_random (FIELDS));
                s_arg (command, "%lld", (long long) s_between (-50, 50));
            }
            kinds[key] = S_HASH;
        }
        else if (dice < 62 && (key = s_pick_key (kinds, 1u << S_HASH)) >= 0) {
            s_arg (command, "HDEL");
            s_arg (command, "@%d", key);
            s_arg (command, "f%u", s_random (FIELDS));
            /* the hash may now be empty, so gone; the script still takes
               it as a hash and so does this model: only hash commands */
        }
        else if (dice < 68) {
            int first = (int) s_random (KEYS), second = (int) s_random (KEYS);
            s_arg (command, s_random (2) ? "DEL" : "UNLINK");
            s_arg (command, "@%d", first);
            s_arg (command, "@%d", second);
            kinds[first] = kinds[second] = S_NONE;
        }
        else if (dice < 74) {
            key = (int) s_random (KEYS);
            s_arg (command, "SET");
            s_arg (command, "@%d", key);
            s_arg (command, "%lld", (long long) s_between (-99, 99));
            kinds[key] = S_STRING;
        }
        else if (dice < 80) {
            int first = (int) s_random (KEYS), second = (int) s_random (KEYS);
            int third = (int) s_random (KEYS);
            s_arg (command, "MSET");
            s_arg (command, "@%d", first);
            s_arg (command, "%u", s_random (1000));
            s_arg (command, "@%d", second);
            s_arg (command, "%u", s_random (1000));
            s_arg (command, "@%d", third);
            s_arg (command, "%u", s_random (1000));
            kinds[first] = kinds[second] = kinds[third] = S_STRING;
        }
        else if (dice < 86 && (key = s_pick_key (kinds, string_ok)) >= 0) {
            s_arg (command, "INCRBY");
            s_arg (command, "@%d", key);
            s_arg (command, "%lld", (long long) s_between (-20, 20));
            kinds[key] = S_STRING;
        }
        else if (dice < 93 && (key = s_pick_key (kinds, (1u << S_NONE) | (1u << S_ZSET))) >= 0) {
            s_arg (command, "ZADD");
            s_arg (command, "@%d", key);
            s_arg (command, "%u", s_random (50));
            s_arg (command, "m%u", s_random (4));
            kinds[key] = S_ZSET;
        }
        else if (dice >= 93 && (key = s_pick_key (kinds, (1u << S_NONE) | (1u << S_SET))) >= 0) {
            s_arg (command, "SADD");
            s_arg (command, "@%d", key);
            s_arg (command, "m%u", s_random (4));
            kinds[key] = S_SET;
        }
        else
            continue; /* no key of a kind the command takes: draw again */
        return;
    }
}

/* ---------------------------------------------------------------- running */

/* Argument i of command for partition: "@k" becomes the key "k<k>". */
static const char *
s_argument (const s_command_t *command, int index, uint32_t partition,
            char (*keys)[SP_PARTITION_KEY_MAX])
{
    const char *text = command->text[index];
    if (text[0] != '@')
        return text;
    char suffix[TEXT_SIZE];
    snprintf (suffix, sizeof suffix, "k%s", text + 1);
    assert_true (sp_partition_key (keys[index], SP_PARTITION_KEY_MAX, SERVICE, partition, suffix) >
                 0);
    return keys[index];
}

static void
s_run_mirror (sp_redis_t *redis, const s_command_t *command)
{
    char keys[ARGS_MAX][SP_PARTITION_KEY_MAX];
    const char *argv[ARGS_MAX];
    for (int index = 0; index < command->argc; index++)
        argv[index] = s_argument (command, index, MIRROR, keys);
    assert_int_equal (sp_harness_redis_run_and_drop (redis, command->argc, argv), 0);
}

static void
s_add_to_batch (sp_consumer_batch_t *batch, const s_command_t *command)
{
    char keys[ARGS_MAX][SP_PARTITION_KEY_MAX];
    const char *argv[ARGS_MAX];
    for (int index = 0; index < command->argc; index++)
        argv[index] = s_argument (command, index, PARTITION, keys);
    assert_int_equal (sp_consumer_batch_command (batch, command->argc, argv, NULL), 0);
}

static int
s_compare_entries (const void *a, const void *b)
{
    return strcmp ((const char *) a, (const char *) b);
}

/* What key k of partition holds, as one comparable text: its kind, then
   its content sorted (fields, members) or as is. */
static void
s_describe (sp_redis_t *redis, uint32_t partition, int k, char *out, size_t size)
{
    char suffix[TEXT_SIZE];
    char key[SP_PARTITION_KEY_MAX];
    snprintf (suffix, sizeof suffix, "k%d", k);
    assert_true (sp_partition_key (key, sizeof key, SERVICE, partition, suffix) > 0);
    const char *type[] = { "TYPE", key };
    sp_redis_reply_t *reply = sp_harness_redis_run (redis, 2, type);
    assert_non_null (reply);
    char kind[16];
    snprintf (kind, sizeof kind, "%s", sp_redis_reply_string (reply, NULL));
    sp_redis_reply_destroy (&reply);

    size_t used = (size_t) snprintf (out, size, "%s:", kind);
    if (strcmp (kind, "none") == 0)
        return;
    const char *hash[] = { "HGETALL", key };
    const char *string[] = { "GET", key };
    const char *zset[] = { "ZRANGE", key, "0", "-1", "WITHSCORES" };
    const char *set[] = { "SMEMBERS", key };
    if (strcmp (kind, "hash") == 0)
        reply = sp_harness_redis_run (redis, 2, hash);
    else if (strcmp (kind, "string") == 0)
        reply = sp_harness_redis_run (redis, 2, string);
    else if (strcmp (kind, "zset") == 0)
        reply = sp_harness_redis_run (redis, 5, zset);
    else
        reply = sp_harness_redis_run (redis, 2, set);
    assert_non_null (reply);
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY) {
        snprintf (out + used, size - used, "%s", sp_redis_reply_string (reply, NULL));
        sp_redis_reply_destroy (&reply);
        return;
    }
    /* fields and members sorted: the order Redis lists them in is not
       part of the state */
    size_t elements = sp_redis_reply_size (reply);
    size_t step = strcmp (kind, "hash") == 0 ? 2 : strcmp (kind, "zset") == 0 ? 2 : 1;
    char entries[64][2 * TEXT_SIZE];
    size_t count = 0;
    for (size_t at = 0; at < elements; at += step) {
        assert_true (count < 64);
        const char *first = sp_redis_reply_string (sp_redis_reply_element (reply, at), NULL);
        const char *second =
            step == 2 ? sp_redis_reply_string (sp_redis_reply_element (reply, at + 1), NULL) : "";
        snprintf (entries[count++], sizeof entries[0], "%s=%s", first, second);
    }
    sp_redis_reply_destroy (&reply);
    qsort (entries, count, sizeof entries[0], s_compare_entries);
    for (size_t at = 0; at < count; at++)
        used += (size_t) snprintf (out + used, size - used, "%s;", entries[at]);
}

/* ---------------------------------------------------------------- test */

static void
test_apply_ends_as_commands_in_order (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_consumer_store_t *store = sp_consumer_store_new (SERVICE);
    assert_non_null (store);
    char error[ERROR_SIZE] = "";
    if (sp_consumer_store_load (store, redis, error, sizeof error) != 0)
        fail_msg ("sp_consumer_store_load: %s", error);
    char lease[SP_PARTITION_KEY_MAX];
    char checkpoint[SP_PARTITION_KEY_MAX];
    assert_true (sp_partition_key (lease, sizeof lease, SERVICE, PARTITION, "lease") > 0);
    assert_true (
        sp_partition_key (checkpoint, sizeof checkpoint, SERVICE, PARTITION, "checkpoint") > 0);
    const char *set_lease[] = { "SET", lease, TOKEN };
    const char *set_checkpoint[] = { "SET", checkpoint, "0" };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 3, set_lease), 0);
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 3, set_checkpoint), 0);

    sp_consumer_batch_t *batch = sp_consumer_batch_new (SERVICE);
    assert_non_null (batch);
    s_kind_t kinds[KEYS] = { S_NONE };
    s_command_t commands[STEP_COMMANDS_MAX];
    size_t pending_hash_fields = 0; /* HINCRBYs the script deferred, over the run */
    for (uint64_t step = 0; step < STEPS; step++) {
        size_t count = 1 + s_random (STEP_COMMANDS_MAX);
        sp_consumer_batch_reset (batch, PARTITION, step);
        for (size_t index = 0; index < count; index++) {
            s_generate (kinds, &commands[index]);
            pending_hash_fields += strcmp (commands[index].text[0], "HINCRBY") == 0;
            s_add_to_batch (batch, &commands[index]);
            s_run_mirror (redis, &commands[index]);
        }
        /* summed increments (coalesced steps only: they go out as
           HINCRBY key field delta field delta ..., after every command) */
        size_t increments = step % 2 ? s_random (3 * FIELDS * KEYS) : 0;
        for (size_t index = 0; index < increments; index++) {
            int key = s_pick_key (kinds, (1u << S_NONE) | (1u << S_HASH));
            if (key < 0)
                break;
            s_command_t command = { 0 };
            s_arg (&command, "HINCRBY");
            s_arg (&command, "@%d", key);
            s_arg (&command, "f%u", s_random (FIELDS));
            s_arg (&command, "%lld", (long long) s_delta ());
            kinds[key] = S_HASH;
            char keys[ARGS_MAX][SP_PARTITION_KEY_MAX];
            const char *name = s_argument (&command, 1, PARTITION, keys);
            assert_int_equal (sp_consumer_batch_increment (
                                  batch, name, strlen (name), command.text[2],
                                  strlen (command.text[2]), strtoll (command.text[3], NULL, 10)),
                              0);
            s_run_mirror (redis, &command);
            pending_hash_fields++;
        }
        sp_consumer_batch_advance (batch, step + 1);
        if (step % 2)
            assert_int_equal (sp_consumer_batch_coalesce (batch), 0);
        sp_consumer_store_result_t result =
            sp_consumer_store_apply (store, redis, batch, TOKEN, NULL, NULL, error, sizeof error);
        if (result != SP_CONSUMER_STORE_APPLIED)
            fail_msg ("step %llu not applied (%d): %s", (unsigned long long) step, (int) result,
                      error);
        for (int k = 0; k < KEYS; k++) {
            char applied[4096], mirrored[4096];
            s_describe (redis, PARTITION, k, applied, sizeof applied);
            s_describe (redis, MIRROR, k, mirrored, sizeof mirrored);
            if (strcmp (applied, mirrored) != 0)
                fail_msg ("step %llu, key k%d: applied %s, one by one %s",
                          (unsigned long long) step, k, applied, mirrored);
        }
    }
    assert_true (pending_hash_fields > STEPS * 10); /* the deferred path was exercised */
    sp_consumer_batch_destroy (&batch);
    sp_consumer_store_destroy (&store);
    sp_redis_destroy (&redis);
}

/* ---------------------------------------------------------------- main */

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_apply_ends_as_commands_in_order),
    };
    return cmocka_run_group_tests_name ("consumer_apply_order", tests,
                                        sp_harness_redis_group_setup_either,
                                        sp_harness_redis_group_teardown);
}
