/*  test_consumer_coalesce - merging a step's commands (sp_consumer_coalesce,
    through sp_consumer_batch_coalesce as the consumer uses it), with no
    server: every merge kind (HINCRBY sums, the last SET, the last ZADD or
    ZREM of a member, one SADD), zero nets, int64 overflow, barriers (other
    commands, options, several members, arguments not in the plain form,
    commands that touch every key), generations (a kind change on a key),
    letter case, binary keys, the plan as the class answers it, and a
    randomized equivalence check: thousands of seeded random steps run
    against a small in-memory model of the Redis commands, as added and
    as coalesced, must end in the same state.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_consumer_batch.h"
#include "sp_consumer_coalesce.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE "coalesce-test"
#define PARTITION 5
#define CHECKPOINT 10
#define ARGS_MAX 16            /* most arguments of a command written by a test */
#define TEXT_SIZE 4096         /* room for a step written as text */
#define ARGUMENT_SIZE 64       /* room for one argument read back */
#define MODEL_KEYS 6           /* keys of the random steps: k0..k4 and a binary one */
#define MODEL_FIELDS 4         /* fields f0..f3 and members m0..m3 */
#define MODEL_VALUE_SIZE 8     /* a string value of the model */
#define RANDOM_STEPS 4000      /* random steps checked */
#define RANDOM_COMMANDS 160    /* most commands of one random step */
#define RANDOM_PREFIX 40       /* most commands of the state a random step starts from */
#define RANDOM_FEW_BARRIERS 86 /* choices of the commands that merge (s_random_command) */
#define LARGE_FIELDS 1000      /* fields of the large step */
#define LARGE_ROUNDS 90        /* HINCRBYs per field in the large step */

/* ---------------------------------------------------------------- helpers */

static sp_consumer_batch_t *
s_batch (void)
{
    sp_consumer_batch_t *batch = sp_consumer_batch_new (SERVICE);
    assert_non_null (batch);
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    return batch;
}

/* Adds a command written as words separated by single spaces. */
static void
s_add (sp_consumer_batch_t *batch, const char *text)
{
    char copy[TEXT_SIZE];
    snprintf (copy, sizeof copy, "%s", text);
    const char *argv[ARGS_MAX];
    int argc = 0;
    char *save = NULL;
    for (char *word = strtok_r (copy, " ", &save); word; word = strtok_r (NULL, " ", &save)) {
        assert_true (argc < ARGS_MAX);
        argv[argc++] = word;
    }
    assert_int_equal (sp_consumer_batch_command (batch, argc, argv, NULL), 0);
}

/* The batch's commands as text: words joined by spaces, commands by
   " | " (binary bytes shown as \xNN). */
static void
s_text (const sp_consumer_batch_t *batch, char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    size_t count = sp_consumer_batch_argument_count (batch);
    size_t index = 0;
    while (index < count) {
        size_t length = 0;
        const char *argc_text = sp_consumer_batch_argument (batch, index, &length);
        int argc = (int) strtol (argc_text, NULL, 10);
        assert_true (argc >= 1 && (size_t) argc < count - index);
        if (index > 0)
            used += (size_t) snprintf (text + used, size - used, " | ");
        for (int arg = 0; arg < argc; arg++) {
            const char *bytes =
                sp_consumer_batch_argument (batch, index + 1 + (size_t) arg, &length);
            if (arg > 0)
                used += (size_t) snprintf (text + used, size - used, " ");
            for (size_t at = 0; at < length; at++) {
                unsigned char c = (unsigned char) bytes[at];
                used += (size_t) (c >= ' ' && c < 0x7f
                                      ? snprintf (text + used, size - used, "%c", c)
                                      : snprintf (text + used, size - used, "\\x%02x", c));
            }
            assert_true (used < size);
        }
        index += 1 + (size_t) argc;
    }
}

/* Coalesces batch and checks its commands against expected. */
static void
s_assert_coalesced (sp_consumer_batch_t *batch, const char *expected)
{
    assert_int_equal (sp_consumer_batch_coalesce (batch), 0);
    char text[TEXT_SIZE];
    s_text (batch, text, sizeof text);
    assert_string_equal (text, expected);
}

/* One step given as commands separated by " | " must coalesce to expected. */
static void
s_assert_step (const char *step, const char *expected)
{
    sp_consumer_batch_t *batch = s_batch ();
    char copy[TEXT_SIZE];
    snprintf (copy, sizeof copy, "%s", step);
    char *command = copy;
    while (command) {
        char *next = strstr (command, " | ");
        if (next) {
            *next = '\0';
            next += 3;
        }
        s_add (batch, command);
        command = next;
    }
    s_assert_coalesced (batch, expected);
    sp_consumer_batch_destroy (&batch);
}

/* ---------------------------------------------------------------- increments */

static void
s_increment (sp_consumer_batch_t *batch, const char *key, const char *field, int64_t delta)
{
    assert_int_equal (
        sp_consumer_batch_increment (batch, key, strlen (key), field, strlen (field), delta), 0);
}

/* Summed increments go out as one HINCRBY per field, after the other
   commands; zero sums not at all; nested marks take back what they
   cover; a sum that would leave int64 is refused, nothing changed. */
static void
test_summed_increments (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    s_add (batch, "SET s a");
    s_increment (batch, "h", "f", 2);
    s_increment (batch, "h", "g", 5);
    s_increment (batch, "h", "f", 3);
    s_increment (batch, "k", "f", 1);
    s_increment (batch, "k", "f", -1); /* a zero net */
    assert_int_equal (sp_consumer_batch_commands (batch), 1 + 3);
    assert_true (sp_consumer_batch_bytes (batch) > 7);

    /* An event that fails after a nested mark: both are taken back. */
    size_t event = sp_consumer_batch_mark (batch);
    s_increment (batch, "h", "f", 100);
    s_add (batch, "SADD t m");
    size_t inner = sp_consumer_batch_mark (batch);
    s_increment (batch, "n", "x", 7);
    sp_consumer_batch_rewind (batch, inner);
    s_increment (batch, "n", "y", 8);
    sp_consumer_batch_rewind (batch, event);
    assert_int_equal (sp_consumer_batch_commands (batch), 1 + 3);

    /* int64 is never left */
    s_increment (batch, "big", "f", INT64_MAX);
    assert_int_equal (sp_consumer_batch_increment (batch, "big", 3, "f", 1, 1), -1);
    s_increment (batch, "big", "f", -1);
    s_assert_coalesced (batch, "SET s a | HINCRBY h f 5 | HINCRBY h g 5 | "
                               "HINCRBY big f 9223372036854775806");
    /* a reset forgets them */
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    s_increment (batch, "h", "f", 1);
    s_assert_coalesced (batch, "HINCRBY h f 1");
    sp_consumer_batch_destroy (&batch);
}

/* ---------------------------------------------------------------- merges */

static void
test_counters_are_summed_at_the_first_position (void **state)
{
    (void) state;
    s_assert_step ("HINCRBY h f 1 | HINCRBY h g 2 | HINCRBY h f 3 | HINCRBY other f 4 | "
                   "HINCRBY h g -7",
                   "HINCRBY h f 4 | HINCRBY h g -5 | HINCRBY other f 4");
    /* large deltas that still fit */
    s_assert_step ("HINCRBY h f 9223372036854775806 | HINCRBY h f 1",
                   "HINCRBY h f 9223372036854775807");
    s_assert_step ("HINCRBY h f -9223372036854775807 | HINCRBY h f -1",
                   "HINCRBY h f -9223372036854775808");
    /* a command alone in its slot is kept byte for byte */
    s_assert_step ("HINCRBY h f 5 | HINCRBY h g 6", "HINCRBY h f 5 | HINCRBY h g 6");
}

static void
test_zero_nets_are_dropped_but_a_lone_zero_is_kept (void **state)
{
    (void) state;
    s_assert_step ("HINCRBY h f 2 | HINCRBY h g 1 | HINCRBY h f -2", "HINCRBY h g 1");
    s_assert_step ("HINCRBY h f 1 | HINCRBY h f -1", "");
    s_assert_step ("HINCRBY h f 3 | HINCRBY h f -3 | HINCRBY h f 4", "HINCRBY h f 4");
    s_assert_step ("HINCRBY h f 0 | HINCRBY h g 1", "HINCRBY h f 0 | HINCRBY h g 1");
    s_assert_step ("HINCRBY h f 0 | HINCRBY h f 0", "");
}

static void
test_overflowing_sums_are_not_made (void **state)
{
    (void) state;
    /* MAX then +1: the slot starts again at the +1, which the -3 joins */
    s_assert_step ("HINCRBY h f 9223372036854775807 | HINCRBY h f 1 | HINCRBY h f -3",
                   "HINCRBY h f 9223372036854775807 | HINCRBY h f -2");
    s_assert_step ("HINCRBY h f -9223372036854775808 | HINCRBY h f -1",
                   "HINCRBY h f -9223372036854775808 | HINCRBY h f -1");
    s_assert_step ("HINCRBY h f -9223372036854775808 | HINCRBY h f 9223372036854775807 | "
                   "HINCRBY h f 2",
                   "HINCRBY h f 1");
}

static void
test_last_set_wins (void **state)
{
    (void) state;
    s_assert_step ("SET s a | SET t x | SET s b | SET s c", "SET s c | SET t x");
    s_assert_step ("SET s a | SET t x", "SET s a | SET t x");
}

static void
test_last_zadd_or_zrem_of_a_member_wins (void **state)
{
    (void) state;
    s_assert_step ("ZADD z 1 m | ZADD z 2 n | ZREM z m | ZADD z 3 n", "ZREM z m | ZADD z 3 n");
    s_assert_step ("ZREM z m | ZADD z -1.5 m", "ZADD z -1.5 m");
    s_assert_step ("ZADD z 1 m | ZADD y 1 m | ZADD z 1 m", "ZADD z 1 m | ZADD y 1 m");
}

/* ZADD GT of one member: the one of greatest score stands, where the
   slot's first command was (the funnel clock: one per event). */
static void
test_zadd_gt_of_a_member_keeps_the_greatest (void **state)
{
    (void) state;
    s_assert_step ("ZADD c GT 5 m | ZADD c GT 9 m | ZADD c GT 7 m", "ZADD c GT 9 m");
    s_assert_step ("ZADD c GT 5 m | ZADD d GT 1 m | ZADD c GT 5.5 m | ZADD c GT -3 m",
                   "ZADD c GT 5.5 m | ZADD d GT 1 m");
    s_assert_step ("zadd c gt 2 m | ZADD c GT 2 m", "zadd c gt 2 m");
    /* other members, other slots; another option is a barrier */
    s_assert_step ("ZADD c GT 1 m | ZADD c GT 2 n | ZADD c GT 3 m",
                   "ZADD c GT 3 m | ZADD c GT 2 n");
    s_assert_step ("ZADD c GT 1 m | ZADD c LT 0 m | ZADD c GT 3 m",
                   "ZADD c GT 1 m | ZADD c LT 0 m | ZADD c GT 3 m");
}

static void
test_sadd_of_a_member_once (void **state)
{
    (void) state;
    /* (s's two members then go out in one SADD: see the grouping test) */
    s_assert_step ("SADD s a | SADD s b | SADD s a | SADD t a", "SADD s a b | SADD t a");
}

/* The single-member ZADDs, ZREMs and SADDs of one key's generation go
   out as one command of all their members, where the first stood; not
   across a barrier or a change of kind, and at most
   SP_CONSUMER_COALESCE_GROUP_MAX members each. */
static void
test_members_of_a_key_are_grouped (void **state)
{
    (void) state;
    s_assert_step ("ZADD d 5 a | HINCRBY h f 1 | ZADD d 7 b | ZADD e 1 a | ZADD d 9 c",
                   "ZADD d 5 a 7 b 9 c | HINCRBY h f 1 | ZADD e 1 a");
    s_assert_step ("ZREM d a | ZADD d 2 b | ZREM d c | ZADD d 3 e", "ZREM d a c | ZADD d 2 b 3 e");
    /* a member's net command joins the group of its own op */
    s_assert_step ("ZADD d 1 a | ZADD d 2 b | ZREM d a", "ZREM d a | ZADD d 2 b");
    /* a barrier on the key starts new groups */
    s_assert_step ("SADD s a | DEL s | SADD s b | SADD s c", "SADD s a | DEL s | SADD s b c");
    /* commands with options stay as they are */
    s_assert_step ("ZADD d 1 a | ZADD d GT 2 b | ZADD d 3 c",
                   "ZADD d 1 a | ZADD d GT 2 b | ZADD d 3 c");
    /* a long run is cut into groups of at most the limit */
    char step[65536] = "", expected[65536] = "", member[32];
    size_t members = SP_CONSUMER_COALESCE_GROUP_MAX + 2;
    size_t used = 0, expected_used = 0;
    for (size_t index = 0; index < members; index++) {
        snprintf (member, sizeof member, "m%zu", index);
        used += (size_t) snprintf (step + used, sizeof step - used, "%sSADD s %s",
                                   index ? " | " : "", member);
        if (index == 0 || index == SP_CONSUMER_COALESCE_GROUP_MAX)
            expected_used +=
                (size_t) snprintf (expected + expected_used, sizeof expected - expected_used,
                                   "%sSADD s", index ? " | " : "");
        expected_used += (size_t) snprintf (expected + expected_used,
                                            sizeof expected - expected_used, " %s", member);
    }
    s_assert_step (step, expected);
}

/* ---------------------------------------------------------------- barriers */

static void
test_other_commands_are_barriers_for_the_keys_they_name (void **state)
{
    (void) state;
    s_assert_step ("HINCRBY h f 1 | DEL h | HINCRBY h f 1",
                   "HINCRBY h f 1 | DEL h | HINCRBY h f 1");
    /* a barrier on another key changes nothing for h */
    s_assert_step ("HINCRBY h f 1 | DEL other | HINCRBY h f 1", "HINCRBY h f 2 | DEL other");
    /* several keys, anywhere among the arguments */
    s_assert_step ("SET a 1 | SET b 1 | RENAME a b | SET a 2 | SET b 2",
                   "SET a 1 | SET b 1 | RENAME a b | SET a 2 | SET b 2");
    /* after the barrier, the key merges again */
    s_assert_step ("SADD s a | SREM s a | SADD s a | SADD s a", "SADD s a | SREM s a | SADD s a");
    /* a command of one argument names no key */
    s_assert_step ("SET s a | PING | SET s b", "SET s b | PING");
}

static void
test_options_and_other_forms_are_barriers (void **state)
{
    (void) state;
    /* ZADD GT is a kind of its own: no merge with plain ZADD across it */
    s_assert_step ("ZADD z 1 m | ZADD z GT 5 m | ZADD z 2 m",
                   "ZADD z 1 m | ZADD z GT 5 m | ZADD z 2 m");
    s_assert_step ("ZADD z 1 m | ZADD z 2 m 3 n | ZADD z 2 m",
                   "ZADD z 1 m | ZADD z 2 m 3 n | ZADD z 2 m");
    s_assert_step ("ZADD z 1 m | ZREM z m n | ZADD z 2 m", "ZADD z 1 m | ZREM z m n | ZADD z 2 m");
    s_assert_step ("SADD s a | SADD s a b | SADD s a", "SADD s a | SADD s a b | SADD s a");
    s_assert_step ("SET s a | SET s b EX 10 | SET s c", "SET s a | SET s b EX 10 | SET s c");
    s_assert_step ("SET s a | GET s | SET s c", "SET s a | GET s | SET s c");
    /* deltas Redis would refuse, or not read as written: never merged */
    const char *deltas[] = {
        "+1", "01", "-0", "1.5", "1e3", "-", "9223372036854775808", "-9223372036854775809", "x"
    };
    for (size_t index = 0; index < sizeof deltas / sizeof deltas[0]; index++) {
        char step[TEXT_SIZE];
        snprintf (step, sizeof step, "HINCRBY h f 1 | HINCRBY h f %s | HINCRBY h f 1",
                  deltas[index]);
        s_assert_step (step, step);
    }
    /* scores not in the plain form */
    const char *scores[] = { "inf", "+1", "1.", ".5", "1e3", "nan", "(1", "NX" };
    for (size_t index = 0; index < sizeof scores / sizeof scores[0]; index++) {
        char step[TEXT_SIZE];
        snprintf (step, sizeof step, "ZADD z 1 m | ZADD z %s m | ZADD z 2 m", scores[index]);
        s_assert_step (step, step);
    }
    /* HINCRBY with a missing or an extra argument */
    s_assert_step ("HINCRBY h f 1 | HINCRBY h f | HINCRBY h f 1",
                   "HINCRBY h f 1 | HINCRBY h f | HINCRBY h f 1");
}

static void
test_commands_touching_every_key_are_full_barriers (void **state)
{
    (void) state;
    s_assert_step ("HINCRBY h f 1 | SET s a | FLUSHDB | HINCRBY h f 1 | SET s b",
                   "HINCRBY h f 1 | SET s a | FLUSHDB | HINCRBY h f 1 | SET s b");
    s_assert_step ("SET s a | eval x 0 | SET s b", "SET s a | eval x 0 | SET s b");
    s_assert_step ("SET w a | SORT l BY w STORE d | SET w b",
                   "SET w a | SORT l BY w STORE d | SET w b");
    /* keys first seen after the barrier merge as usual */
    s_assert_step ("FLUSHALL | SET s a | SET s b", "FLUSHALL | SET s b");
}

static void
test_a_kind_change_starts_a_generation (void **state)
{
    (void) state;
    s_assert_step ("HINCRBY k f 1 | SET k v | HINCRBY k f 1",
                   "HINCRBY k f 1 | SET k v | HINCRBY k f 1");
    s_assert_step ("SET k a | SADD k m | SET k b", "SET k a | SADD k m | SET k b");
    s_assert_step ("ZADD k 1 m | SADD k m | ZADD k 2 m", "ZADD k 1 m | SADD k m | ZADD k 2 m");
    /* ZADD and ZREM are one kind */
    s_assert_step ("ZADD k 1 m | ZREM k n | ZADD k 2 m | ZREM k n", "ZADD k 2 m | ZREM k n");
    /* a field and a key are different things */
    s_assert_step ("HINCRBY h k 1 | SET k v | HINCRBY h k 1", "HINCRBY h k 2 | SET k v");
}

static void
test_names_in_any_letter_case (void **state)
{
    (void) state;
    s_assert_step ("hincrby h f 1 | HINCRBY h f 2 | HinCrBy h f 3", "hincrby h f 6");
    s_assert_step ("set s a | Set s b", "Set s b");
    s_assert_step ("SET s a | flushdb | SET s b", "SET s a | flushdb | SET s b");
}

static void
test_binary_keys_and_fields (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    const char key_a[] = { 'k', '\0', 'a' };
    const char key_b[] = { 'k', '\0', 'b' };
    const char field[] = { 'f', '\0' };
    const size_t lengths_a[] = { 7, sizeof key_a, sizeof field, 1 };
    const size_t lengths_b[] = { 7, sizeof key_b, sizeof field, 1 };
    const char *first[] = { "HINCRBY", key_a, field, "1" };
    const char *second[] = { "HINCRBY", key_b, field, "2" };
    const char *third[] = { "HINCRBY", key_a, field, "3" };
    assert_int_equal (sp_consumer_batch_command (batch, 4, first, lengths_a), 0);
    assert_int_equal (sp_consumer_batch_command (batch, 4, second, lengths_b), 0);
    assert_int_equal (sp_consumer_batch_command (batch, 4, third, lengths_a), 0);
    /* empty key, field and value are arguments like any other */
    const char *empty[] = { "SET", "", "" };
    const char *empty_again[] = { "SET", "", "x" };
    assert_int_equal (sp_consumer_batch_command (batch, 3, empty, NULL), 0);
    assert_int_equal (sp_consumer_batch_command (batch, 3, empty_again, NULL), 0);
    s_assert_coalesced (batch, "HINCRBY k\\x00a f\\x00 4 | HINCRBY k\\x00b f\\x00 2 | SET  x");
    sp_consumer_batch_destroy (&batch);
}

/* ---------------------------------------------------------------- the class */

static void
s_plan_add (sp_consumer_coalesce_t *coalesce, int argc, const char *const *argv)
{
    size_t lengths[ARGS_MAX];
    for (int index = 0; index < argc; index++)
        lengths[index] = strlen (argv[index]);
    assert_int_equal (sp_consumer_coalesce_add (coalesce, argc, argv, lengths), 0);
}

static void
test_plan_says_source_merged_and_delta (void **state)
{
    (void) state;
    sp_consumer_coalesce_t *coalesce = sp_consumer_coalesce_new ();
    assert_non_null (coalesce);
    for (int round = 0; round < 2; round++) { /* the second round after a reset */
        sp_consumer_coalesce_reset (coalesce);
        s_plan_add (coalesce, 4, (const char *[]){ "HINCRBY", "h", "f", "2" });  /* 0 */
        s_plan_add (coalesce, 3, (const char *[]){ "SET", "s", "a" });           /* 1 */
        s_plan_add (coalesce, 4, (const char *[]){ "HINCRBY", "h", "f", "5" });  /* 2 */
        s_plan_add (coalesce, 3, (const char *[]){ "SET", "s", "b" });           /* 3 */
        s_plan_add (coalesce, 3, (const char *[]){ "SADD", "t", "m" });          /* 4 */
        s_plan_add (coalesce, 3, (const char *[]){ "SADD", "t", "m" });          /* 5 */
        s_plan_add (coalesce, 2, (const char *[]){ "DEL", "x" });                /* 6 */
        s_plan_add (coalesce, 4, (const char *[]){ "HINCRBY", "h", "g", "1" });  /* 7 */
        s_plan_add (coalesce, 4, (const char *[]){ "HINCRBY", "h", "g", "-1" }); /* 8 */
        assert_int_equal (sp_consumer_coalesce_added (coalesce), 9);
        assert_int_equal (sp_consumer_coalesce_plan (coalesce), 4);
        assert_int_equal (sp_consumer_coalesce_plan (coalesce), 4); /* asking again is the same */
        const sp_consumer_coalesce_command_t *planned = sp_consumer_coalesce_planned (coalesce, 0);
        assert_int_equal (planned->source, 0);
        assert_int_equal (planned->merged, 2);
        assert_true (planned->replaces_delta);
        assert_int_equal (planned->delta, 7);
        planned = sp_consumer_coalesce_planned (coalesce, 1);
        assert_int_equal (planned->source, 3); /* the last SET */
        assert_int_equal (planned->merged, 2);
        assert_false (planned->replaces_delta);
        planned = sp_consumer_coalesce_planned (coalesce, 2);
        assert_int_equal (planned->source, 4); /* the first SADD */
        assert_int_equal (planned->merged, 2);
        planned = sp_consumer_coalesce_planned (coalesce, 3);
        assert_int_equal (planned->source, 6);
        assert_int_equal (planned->merged, 1);
        assert_false (planned->replaces_delta);
    }
    sp_consumer_coalesce_reset (coalesce);
    assert_int_equal (sp_consumer_coalesce_added (coalesce), 0);
    assert_int_equal (sp_consumer_coalesce_plan (coalesce), 0);
    sp_consumer_coalesce_destroy (&coalesce);
    assert_null (coalesce);
    sp_consumer_coalesce_destroy (&coalesce); /* no-op on NULL */
}

static void
test_int64_reading (void **state)
{
    (void) state;
    const struct {
        const char *text;
        bool valid;
        int64_t value;
    } cases[] = {
        { "0", true, 0 },
        { "7", true, 7 },
        { "-7", true, -7 },
        { "1250", true, 1250 },
        { "9223372036854775807", true, INT64_MAX },
        { "-9223372036854775808", true, INT64_MIN },
        { "9223372036854775808", false, 0 },
        { "-9223372036854775809", false, 0 },
        { "99999999999999999999", false, 0 },
        { "", false, 0 },
        { "-", false, 0 },
        { "-0", false, 0 },
        { "00", false, 0 },
        { "01", false, 0 },
        { "+1", false, 0 },
        { " 1", false, 0 },
        { "1 ", false, 0 },
        { "1a", false, 0 },
        { "1.0", false, 0 },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        int64_t value = 12345;
        bool valid =
            sp_consumer_coalesce_int64 (cases[index].text, strlen (cases[index].text), &value);
        if (valid != cases[index].valid)
            fail_msg ("\"%s\" read as %s", cases[index].text, valid ? "valid" : "invalid");
        assert_true (value == (valid ? cases[index].value : 12345)); /* untouched when invalid */
    }
    /* the length counts, not a terminator */
    int64_t value = 0;
    assert_true (sp_consumer_coalesce_int64 ("123", 2, &value));
    assert_int_equal (value, 12);
}

/* ---------------------------------------------------------------- the batch */

static void
test_coalesce_keeps_the_step_and_counts (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    s_add (batch, "HINCRBY h f 1");
    sp_consumer_batch_advance (batch, CHECKPOINT + 1);
    s_add (batch, "HINCRBY h f 1");
    sp_consumer_batch_advance (batch, CHECKPOINT + 2);
    size_t before = sp_consumer_batch_bytes (batch);
    assert_int_equal (before, 2 * strlen ("4HINCRBYhf1"));
    s_assert_coalesced (batch, "HINCRBY h f 2");
    assert_int_equal (sp_consumer_batch_commands (batch), 1);
    assert_int_equal (sp_consumer_batch_argument_count (batch), 5);
    assert_int_equal (sp_consumer_batch_bytes (batch), strlen ("4HINCRBYhf2"));
    assert_int_equal (sp_consumer_batch_events (batch), 2);
    assert_int_equal (sp_consumer_batch_from (batch), CHECKPOINT);
    assert_int_equal (sp_consumer_batch_last (batch), CHECKPOINT + 2);
    assert_int_equal (sp_consumer_batch_partition (batch), PARTITION);
    /* a second coalesce changes nothing */
    s_assert_coalesced (batch, "HINCRBY h f 2");
    /* a reset makes it a fresh step again */
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT + 2);
    assert_int_equal (sp_consumer_batch_bytes (batch), 0);
    s_add (batch, "SET s a");
    s_add (batch, "SET s b");
    assert_int_equal (sp_consumer_batch_mark (batch), 2);
    s_assert_coalesced (batch, "SET s b");
    sp_consumer_batch_destroy (&batch);
}

static void
test_coalesce_of_small_and_unmergeable_steps (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    s_assert_coalesced (batch, ""); /* no command */
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    s_add (batch, "HINCRBY h f 0");
    s_assert_coalesced (batch, "HINCRBY h f 0"); /* one command: as it came */
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    s_add (batch, "INCR a");
    s_add (batch, "INCR a");
    s_add (batch, "HINCRBY h f 1");
    size_t bytes = sp_consumer_batch_bytes (batch);
    s_assert_coalesced (batch, "INCR a | INCR a | HINCRBY h f 1");
    assert_int_equal (sp_consumer_batch_bytes (batch), bytes);
    sp_consumer_batch_destroy (&batch);
}

static void
test_rewind_before_coalesce (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    s_add (batch, "HINCRBY h f 1");
    s_add (batch, "SADD s a");
    sp_consumer_batch_advance (batch, CHECKPOINT + 1);
    size_t mark = sp_consumer_batch_mark (batch);
    s_add (batch, "HINCRBY h f 100");
    s_add (batch, "DEL s");
    sp_consumer_batch_rewind (batch, mark); /* the event failed half-way */
    s_add (batch, "HINCRBY h f 2");
    s_add (batch, "SADD s a");
    sp_consumer_batch_advance (batch, CHECKPOINT + 2);
    size_t bytes = sp_consumer_batch_bytes (batch);
    assert_int_equal (bytes, strlen ("4HINCRBYhf1"
                                     "3SADDsa"
                                     "4HINCRBYhf2"
                                     "3SADDsa"));
    s_assert_coalesced (batch, "HINCRBY h f 3 | SADD s a");
    sp_consumer_batch_destroy (&batch);
}

static void
test_large_step (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    char field[ARGUMENT_SIZE];
    for (int round = 0; round < LARGE_ROUNDS; round++)
        for (int index = 0; index < LARGE_FIELDS; index++) {
            snprintf (field, sizeof field, "field-%d", index);
            const char *argv[] = { "HINCRBY", index % 2 ? "odd" : "even", field,
                                   round % 3 ? "2" : "-1" };
            assert_int_equal (sp_consumer_batch_command (batch, 4, argv, NULL), 0);
        }
    assert_int_equal (sp_consumer_batch_coalesce (batch), 0);
    assert_int_equal (sp_consumer_batch_commands (batch), LARGE_FIELDS);
    /* each field: 60 rounds of +2 and 30 of -1 */
    for (size_t command = 0; command < LARGE_FIELDS; command++) {
        size_t length = 0;
        const char *key = sp_consumer_batch_argument (batch, command * 5 + 2, &length);
        assert_memory_equal (key, command % 2 ? "odd" : "even", length);
        snprintf (field, sizeof field, "field-%zu", command);
        const char *got = sp_consumer_batch_argument (batch, command * 5 + 3, &length);
        assert_int_equal (length, strlen (field));
        assert_memory_equal (got, field, length);
        const char *delta = sp_consumer_batch_argument (batch, command * 5 + 4, &length);
        assert_int_equal (length, 2);
        assert_memory_equal (delta, "90", 2);
    }
    sp_consumer_batch_destroy (&batch);
}

static void
test_number_text (void **state)
{
    (void) state;
    const int64_t values[] = {
        0, 1, -1, 9, 10, -10, 1234567890, INT64_MAX, INT64_MIN, INT64_MIN + 1, INT64_MAX - 1
    };
    for (size_t index = 0; index < sizeof values / sizeof values[0]; index++) {
        char got[SP_CONSUMER_BATCH_NUMBER_SIZE], expected[SP_CONSUMER_BATCH_NUMBER_SIZE];
        size_t length = sp_consumer_batch_number (got, values[index]);
        snprintf (expected, sizeof expected, "%" PRId64, values[index]);
        assert_string_equal (got, expected);
        assert_int_equal (length, strlen (expected));
    }
}

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
        cmocka_unit_test (test_counters_are_summed_at_the_first_position),
        cmocka_unit_test (test_zero_nets_are_dropped_but_a_lone_zero_is_kept),
        cmocka_unit_test (test_overflowing_sums_are_not_made),
        cmocka_unit_test (test_last_set_wins),
        cmocka_unit_test (test_last_zadd_or_zrem_of_a_member_wins),
        cmocka_unit_test (test_zadd_gt_of_a_member_keeps_the_greatest),
        cmocka_unit_test (test_sadd_of_a_member_once),
        cmocka_unit_test (test_members_of_a_key_are_grouped),
        cmocka_unit_test (test_summed_increments),
        cmocka_unit_test (test_other_commands_are_barriers_for_the_keys_they_name),
        cmocka_unit_test (test_options_and_other_forms_are_barriers),
        cmocka_unit_test (test_commands_touching_every_key_are_full_barriers),
        cmocka_unit_test (test_a_kind_change_starts_a_generation),
        cmocka_unit_test (test_names_in_any_letter_case),
        cmocka_unit_test (test_binary_keys_and_fields),
        cmocka_unit_test (test_plan_says_source_merged_and_delta),
        cmocka_unit_test (test_int64_reading),
        cmocka_unit_test (test_coalesce_keeps_the_step_and_counts),
        cmocka_unit_test (test_coalesce_of_small_and_unmergeable_steps),
        cmocka_unit_test (test_rewind_before_coalesce),
        cmocka_unit_test (test_large_step),
        cmocka_unit_test (test_number_text),
        cmocka_unit_test (test_random_steps_end_in_the_same_state),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
