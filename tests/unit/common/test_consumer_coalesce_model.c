/*  test_consumer_coalesce_model - coalescing checked against a model of
    the Redis commands: 4,000 seeded random steps (HINCRBY, SET, ZADD and
    ZADD GT, ZREM, SADD, SREM, DEL, HDEL... over a few keys, some binary),
    each run on the model as added and as coalesced (merged, grouped),
    must end in the same state. The rules themselves are tested one by
    one in test_consumer_coalesce.c. No server.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_consumer_batch.h"
#include "sp_consumer_coalesce.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE "coalesce-test"
#define PARTITION 5
#define CHECKPOINT 10
#define ARGS_MAX 16            /* most arguments of a command written by a test */
#define ARGUMENT_SIZE 64       /* room for one argument read back */
#define MODEL_KEYS 6           /* keys of the random steps: k0..k4 and a binary one */
#define MODEL_FIELDS 4         /* fields f0..f3 and members m0..m3 */
#define MODEL_VALUE_SIZE 8     /* a string value of the model */
#define RANDOM_STEPS 4000      /* random steps checked */
#define RANDOM_COMMANDS 160    /* most commands of one random step */
#define RANDOM_PREFIX 40       /* most commands of the state a random step starts from */
#define RANDOM_FEW_BARRIERS 86 /* choices of the commands that merge (s_random_command) */

/* ---------------------------------------------------------------- the model */

/* What a key of the model holds. */
typedef enum {
    M_NONE = 0,
    M_STRING = 1,
    M_HASH = 2,
    M_ZSET = 3,
    M_SET = 4,
} m_type_t;

typedef struct {
    m_type_t type;
    char value[MODEL_VALUE_SIZE]; /* string */
    bool has_field[MODEL_FIELDS]; /* hash */
    int64_t field[MODEL_FIELDS];
    bool has_member[MODEL_FIELDS]; /* sorted set or set */
    double score[MODEL_FIELDS];
} m_key_t;

typedef struct {
    m_key_t keys[MODEL_KEYS];
} m_state_t;

static const char s_binary_key[] = { 'k', '\0', 'b' };

/* The model key of a name; -1 for an unknown one. */
static int
m_key (const char *name, size_t length)
{
    if (length == sizeof s_binary_key && memcmp (name, s_binary_key, length) == 0)
        return MODEL_KEYS - 1;
    if (length == 2 && name[0] == 'k' && name[1] >= '0' && name[1] < '0' + MODEL_KEYS - 1)
        return name[1] - '0';
    return -1;
}

/* The index of a field or member "fN"/"mN". */
static int
m_index (const char *name, size_t length)
{
    assert_int_equal (length, 2);
    int index = name[1] - '0';
    assert_true (index >= 0 && index < MODEL_FIELDS);
    return index;
}

static bool
m_is (const char *name, size_t length, const char *word)
{
    if (strlen (word) != length)
        return false;
    for (size_t index = 0; index < length; index++) {
        char c = name[index];
        if (c >= 'a' && c <= 'z')
            c = (char) (c - 'a' + 'A');
        if (c != word[index])
            return false;
    }
    return true;
}

static void
m_empty_if_empty (m_key_t *key)
{
    bool any = false;
    for (int index = 0; index < MODEL_FIELDS; index++)
        any = any || (key->type == M_HASH ? key->has_field[index] : key->has_member[index]);
    if (!any && (key->type == M_HASH || key->type == M_ZSET || key->type == M_SET))
        memset (key, 0, sizeof *key);
}

static double
m_score (const char *text, size_t length)
{
    char copy[ARGUMENT_SIZE];
    assert_true (length < sizeof copy);
    memcpy (copy, text, length);
    copy[length] = '\0';
    return strtod (copy, NULL);
}

/* Runs one command on the model, as Redis would; every command of the
   random steps is valid (the generator makes sure), so an error fails
   the test. */
static void
m_run (m_state_t *model, int argc, const char *const *argv, const size_t *lengths)
{
    const char *name = argv[0];
    size_t length = lengths[0];
    if (m_is (name, length, "FLUSHDB")) {
        memset (model, 0, sizeof *model);
        return;
    }
    if (m_is (name, length, "DEL")) {
        for (int arg = 1; arg < argc; arg++)
            memset (&model->keys[m_key (argv[arg], lengths[arg])], 0, sizeof (m_key_t));
        return;
    }
    if (m_is (name, length, "MSET")) {
        assert_true (argc >= 3 && argc % 2 == 1);
        for (int arg = 1; arg + 1 < argc; arg += 2)
            m_run (model, 3, (const char *const[]){ "SET", argv[arg], argv[arg + 1] },
                   (const size_t[]){ 3, lengths[arg], lengths[arg + 1] });
        return;
    }
    int key_index = m_key (argv[1], lengths[1]);
    assert_true (key_index >= 0);
    m_key_t *key = &model->keys[key_index];
    if (m_is (name, length, "SET")) {
        memset (key, 0, sizeof *key);
        key->type = M_STRING;
        assert_true (lengths[2] < MODEL_VALUE_SIZE);
        memcpy (key->value, argv[2], lengths[2]);
    }
    else if (m_is (name, length, "GET"))
        assert_true (key->type == M_NONE || key->type == M_STRING);
    else if (m_is (name, length, "HINCRBY")) {
        assert_true (key->type == M_NONE || key->type == M_HASH);
        int64_t delta = 0;
        assert_true (sp_consumer_coalesce_int64 (argv[3], lengths[3], &delta));
        int field = m_index (argv[2], lengths[2]);
        key->type = M_HASH;
        int64_t value = key->has_field[field] ? key->field[field] : 0;
        if ((delta > 0 && value > INT64_MAX - delta) || (delta < 0 && value < INT64_MIN - delta))
            fail_msg ("HINCRBY would overflow");
        key->has_field[field] = true;
        key->field[field] = value + delta;
    }
    else if (m_is (name, length, "HDEL")) {
        assert_true (key->type == M_NONE || key->type == M_HASH);
        for (int arg = 2; arg < argc; arg++)
            key->has_field[m_index (argv[arg], lengths[arg])] = false;
        m_empty_if_empty (key);
    }
    else if (m_is (name, length, "ZADD")) {
        assert_true (key->type == M_NONE || key->type == M_ZSET);
        bool greater = argc % 2 == 1 && m_is (argv[2], lengths[2], "GT");
        key->type = M_ZSET;
        for (int arg = greater ? 3 : 2; arg + 1 < argc; arg += 2) {
            int member = m_index (argv[arg + 1], lengths[arg + 1]);
            double score = m_score (argv[arg], lengths[arg]);
            if (!greater || !key->has_member[member] || score > key->score[member])
                key->score[member] = score;
            key->has_member[member] = true;
        }
    }
    else if (m_is (name, length, "ZREM") || m_is (name, length, "SREM")) {
        assert_true (key->type == M_NONE ||
                     key->type == (m_is (name, length, "ZREM") ? M_ZSET : M_SET));
        for (int arg = 2; arg < argc; arg++)
            key->has_member[m_index (argv[arg], lengths[arg])] = false;
        m_empty_if_empty (key);
    }
    else if (m_is (name, length, "SADD")) {
        assert_true (key->type == M_NONE || key->type == M_SET);
        key->type = M_SET;
        for (int arg = 2; arg < argc; arg++)
            key->has_member[m_index (argv[arg], lengths[arg])] = true;
    }
    else
        fail_msg ("the model does not know %.*s", (int) length, name);
}

/* Runs every command of batch on the model. */
static void
m_run_batch (m_state_t *model, const sp_consumer_batch_t *batch)
{
    size_t count = sp_consumer_batch_argument_count (batch);
    size_t index = 0;
    while (index < count) {
        size_t length = 0;
        const char *argc_text = sp_consumer_batch_argument (batch, index, &length);
        int argc = (int) strtol (argc_text, NULL, 10);
        const char *argv[ARGS_MAX];
        size_t lengths[ARGS_MAX];
        assert_true (argc >= 1 && argc <= ARGS_MAX);
        for (int arg = 0; arg < argc; arg++)
            argv[arg] = sp_consumer_batch_argument (batch, index + 1 + (size_t) arg, &lengths[arg]);
        m_run (model, argc, argv, lengths);
        index += 1 + (size_t) argc;
    }
}

/* What a reader sees: a hash field of 0 is a missing field, a hash with
   no field a missing key. */
static void
m_normalize (m_state_t *model)
{
    for (int index = 0; index < MODEL_KEYS; index++) {
        m_key_t *key = &model->keys[index];
        if (key->type != M_HASH)
            continue;
        for (int field = 0; field < MODEL_FIELDS; field++)
            if (key->has_field[field] && key->field[field] == 0)
                key->has_field[field] = false;
        m_empty_if_empty (key);
    }
}

/* The coalesced state must be the original one, as a reader sees them
   (zero nets of two or more HINCRBYs are dropped: the field stays as it
   was before them, where the original commands may have written "0"). */
static void
m_assert_same (m_state_t original, m_state_t coalesced)
{
    m_normalize (&original);
    m_normalize (&coalesced);
    for (int index = 0; index < MODEL_KEYS; index++) {
        const m_key_t *want = &original.keys[index];
        const m_key_t *got = &coalesced.keys[index];
        if (want->type != got->type)
            fail_msg ("key %d: type %d, coalesced %d", index, want->type, got->type);
        switch (want->type) {
            case M_STRING:
                assert_string_equal (want->value, got->value);
                break;
            case M_HASH:
                for (int field = 0; field < MODEL_FIELDS; field++) {
                    assert_int_equal (want->has_field[field], got->has_field[field]);
                    if (want->has_field[field] && want->field[field] != got->field[field])
                        fail_msg ("key %d field %d: %" PRId64 ", coalesced %" PRId64, index, field,
                                  want->field[field], got->field[field]);
                }
                break;
            case M_ZSET:
            case M_SET:
                for (int member = 0; member < MODEL_FIELDS; member++) {
                    assert_int_equal (want->has_member[member], got->has_member[member]);
                    if (want->type == M_ZSET && want->has_member[member] &&
                        want->score[member] != got->score[member])
                        fail_msg ("key %d member %d: score %g, coalesced %g", index, member,
                                  want->score[member], got->score[member]);
                }
                break;
            case M_NONE:
            default:
                break;
        }
    }
}

/* xorshift64*: the random steps, from a seed. */
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

/* Deltas of the random HINCRBYs: small ones and ones that reach the
   int64 limits together. */
static const int64_t s_deltas[] = { 1,
                                    -1,
                                    2,
                                    -2,
                                    3,
                                    0,
                                    5,
                                    -7,
                                    INT64_MAX,
                                    INT64_MIN,
                                    INT64_MAX / 2 + 1,
                                    -(INT64_MAX / 2) - 1,
                                    INT64_MAX - 2 };

/* Writes one random valid command for the model's state into argv
   (texts in storage), and runs it on the model; with few_barriers, only
   HINCRBY, SET, ZADD, ZREM and SADD (some with options or two members). */
static int
s_random_command (uint64_t *seed, m_state_t *model, bool few_barriers,
                  char storage[ARGS_MAX][ARGUMENT_SIZE], const char *argv[ARGS_MAX],
                  size_t lengths[ARGS_MAX])
{
    for (;;) {
        int key_index = (int) s_pick (seed, MODEL_KEYS);
        const m_key_t *key = &model->keys[key_index];
        int argc = 0;
        /* the key's name */
        char key_name[ARGUMENT_SIZE];
        size_t key_length = 2;
        if (key_index == MODEL_KEYS - 1) {
            memcpy (key_name, s_binary_key, sizeof s_binary_key);
            key_length = sizeof s_binary_key;
        }
        else {
            key_name[0] = 'k';
            key_name[1] = (char) ('0' + key_index);
        }
#define S_WORD(text) (snprintf (storage[argc], ARGUMENT_SIZE, "%s", text), argc++)
#define S_KEY() (memcpy (storage[argc], key_name, key_length), lengths[argc] = key_length, argc++)
        int field = (int) s_pick (seed, MODEL_FIELDS);
        int other = (int) s_pick (seed, MODEL_FIELDS);
        char field_name[3] = { 'f', (char) ('0' + field), '\0' };
        char member_name[3] = { 'm', (char) ('0' + field), '\0' };
        char other_name[3] = { 'm', (char) ('0' + other), '\0' };
        bool lower = s_pick (seed, 8) == 0;
        size_t choice = s_pick (seed, few_barriers ? RANDOM_FEW_BARRIERS : 100);
        memset (lengths, 0, ARGS_MAX * sizeof *lengths);
        if (choice < 40) {
            if (key->type != M_NONE && key->type != M_HASH)
                continue;
            int64_t delta = s_deltas[s_pick (seed, sizeof s_deltas / sizeof s_deltas[0])];
            int64_t value = key->type == M_HASH && key->has_field[field] ? key->field[field] : 0;
            if ((delta > 0 && value > INT64_MAX - delta) ||
                (delta < 0 && value < INT64_MIN - delta))
                continue;
            char number[SP_CONSUMER_BATCH_NUMBER_SIZE];
            sp_consumer_batch_number (number, delta);
            S_WORD (lower ? "hincrby" : "HINCRBY");
            S_KEY ();
            S_WORD (field_name);
            S_WORD (number);
        }
        else if (choice < 50) {
            const char *values[] = { "a", "b", "c" };
            S_WORD (lower ? "set" : "SET");
            S_KEY ();
            S_WORD (values[s_pick (seed, 3)]);
        }
        else if (choice < 66) {
            if (key->type != M_NONE && key->type != M_ZSET)
                continue;
            const char *scores[] = { "1", "2", "-3", "2.5", "10", "0" };
            S_WORD (lower ? "zadd" : "ZADD");
            S_KEY ();
            size_t form = s_pick (seed, 10);
            if (form == 0)
                S_WORD ("GT");
            S_WORD (scores[s_pick (seed, 6)]);
            S_WORD (member_name);
            if (form == 1) {
                S_WORD (scores[s_pick (seed, 6)]);
                S_WORD (other_name);
            }
        }
        else if (choice < 74) {
            if (key->type != M_NONE && key->type != M_ZSET)
                continue;
            S_WORD (lower ? "zrem" : "ZREM");
            S_KEY ();
            S_WORD (member_name);
            if (s_pick (seed, 8) == 0)
                S_WORD (other_name);
        }
        else if (choice < 86) {
            if (key->type != M_NONE && key->type != M_SET)
                continue;
            S_WORD (lower ? "sadd" : "SADD");
            S_KEY ();
            S_WORD (member_name);
            if (s_pick (seed, 8) == 0)
                S_WORD (other_name);
        }
        else if (choice < 89) {
            if (key->type != M_NONE && key->type != M_SET)
                continue;
            S_WORD ("SREM");
            S_KEY ();
            S_WORD (member_name);
        }
        else if (choice < 92) {
            if (key->type != M_NONE && key->type != M_HASH)
                continue;
            S_WORD ("HDEL");
            S_KEY ();
            S_WORD (field_name);
        }
        else if (choice < 96) {
            S_WORD ("DEL");
            S_KEY ();
            if (s_pick (seed, 2)) {
                int second = (int) s_pick (seed, MODEL_KEYS - 1);
                char second_name[3] = { 'k', (char) ('0' + second), '\0' };
                S_WORD (second_name);
            }
        }
        else if (choice < 99) {
            if (key->type != M_NONE && key->type != M_STRING)
                continue;
            S_WORD ("GET");
            S_KEY ();
        }
        else
            S_WORD (lower ? "flushdb" : "FLUSHDB");
#undef S_WORD
#undef S_KEY
        for (int arg = 0; arg < argc; arg++) {
            argv[arg] = storage[arg];
            if (!lengths[arg])
                lengths[arg] = strlen (storage[arg]);
        }
        m_run (model, argc, argv, lengths);
        return argc;
    }
}

static void
test_random_steps_end_in_the_same_state (void **state)
{
    (void) state;
    sp_consumer_batch_t *original = sp_consumer_batch_new (SERVICE);
    sp_consumer_batch_t *coalesced = sp_consumer_batch_new (SERVICE);
    assert_non_null (original);
    assert_non_null (coalesced);
    size_t commands_before = 0, commands_after = 0;
    for (uint64_t round = 0; round < RANDOM_STEPS; round++) {
        uint64_t seed = UINT64_C (0x9e3779b97f4a7c15) * (round + 1);
        m_state_t start, generated;
        memset (&start, 0, sizeof start);
        char storage[ARGS_MAX][ARGUMENT_SIZE];
        const char *argv[ARGS_MAX];
        size_t lengths[ARGS_MAX];
        /* the state the step starts from */
        size_t prefix = s_pick (&seed, RANDOM_PREFIX + 1);
        for (size_t index = 0; index < prefix; index++)
            s_random_command (&seed, &start, false, storage, argv, lengths);
        /* the step: generated valid against the state it is built on */
        generated = start;
        sp_consumer_batch_reset (original, PARTITION, CHECKPOINT);
        sp_consumer_batch_reset (coalesced, PARTITION, CHECKPOINT);
        size_t count = 1 + s_pick (&seed, RANDOM_COMMANDS);
        bool few_barriers = round % 2 == 0;
        for (size_t index = 0; index < count; index++) {
            int argc = s_random_command (&seed, &generated, few_barriers, storage, argv, lengths);
            assert_int_equal (sp_consumer_batch_command (original, argc, argv, lengths), 0);
            assert_int_equal (sp_consumer_batch_command (coalesced, argc, argv, lengths), 0);
        }
        assert_int_equal (sp_consumer_batch_coalesce (coalesced), 0);
        assert_true (sp_consumer_batch_commands (coalesced) <= count);
        assert_true (sp_consumer_batch_bytes (coalesced) <= sp_consumer_batch_bytes (original));
        commands_before += count;
        commands_after += sp_consumer_batch_commands (coalesced);
        m_state_t as_added = start, as_coalesced = start;
        m_run_batch (&as_added, original);
        m_run_batch (&as_coalesced, coalesced);
        m_assert_same (as_added, as_coalesced);
    }
    /* the steps did merge (not a test of nothing) */
    assert_true (commands_after < commands_before * 3 / 4);
    sp_consumer_batch_destroy (&original);
    sp_consumer_batch_destroy (&coalesced);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_random_steps_end_in_the_same_state),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
