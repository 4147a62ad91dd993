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
#define ARGS_MAX 16       /* most arguments of a command written by a test */
#define TEXT_SIZE 4096    /* room for a step written as text */
#define ARGUMENT_SIZE 64  /* room for one argument read back */
#define LARGE_FIELDS 1000 /* fields of the large step */
#define LARGE_ROUNDS 90   /* HINCRBYs per field in the large step */

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
    assert_true (strlen (step) < sizeof copy);
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

/* A run of SP_CONSUMER_COALESCE_GROUP_MAX + 2 commands (command: a
   format of the command's index) must come out as a group of the limit
   (first_head, then each member: a format of the index) and a second
   group (next_head) of the rest. */
static void
s_assert_cut_into_groups (const char *command, const char *first_head, const char *next_head,
                          const char *member)
{
    char step[TEXT_SIZE], expected[TEXT_SIZE];
    size_t used = 0, expected_used = 0;
    for (size_t index = 0; index < SP_CONSUMER_COALESCE_GROUP_MAX + 2; index++) {
        if (index > 0)
            used += (size_t) snprintf (step + used, sizeof step - used, " | ");
        used += (size_t) snprintf (step + used, sizeof step - used, command, index);
        if (index == 0 || index == SP_CONSUMER_COALESCE_GROUP_MAX)
            expected_used +=
                (size_t) snprintf (expected + expected_used, sizeof expected - expected_used,
                                   "%s%s", index ? " | " : "", index ? next_head : first_head);
        expected_used += (size_t) snprintf (expected + expected_used,
                                            sizeof expected - expected_used, member, index);
        assert_true (used < sizeof step && expected_used < sizeof expected);
    }
    s_assert_step (step, expected);
}

/* ---------------------------------------------------------------- increments */

static void
s_increment (sp_consumer_batch_t *batch, const char *key, const char *field, int64_t delta)
{
    assert_int_equal (
        sp_consumer_batch_increment (batch, key, strlen (key), field, strlen (field), delta), 0);
}

/* Summed increments go out after the other commands as one HINCRBY per
   key with all its fields (HINCRBY key field delta field delta ..., the
   apply script's form); zero sums not at all; nested marks take back what they
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
    s_assert_coalesced (batch, "SET s a | HINCRBY h f 5 g 5 | HINCRBY big f 9223372036854775806");
    /* a reset forgets them */
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    s_increment (batch, "h", "f", 1);
    s_assert_coalesced (batch, "HINCRBY h f 1");
    sp_consumer_batch_destroy (&batch);
}

/* A key's summed increments go out together, keys in the order first
   added, even when the handler interleaved them; a key with more fields
   than one command carries goes out in several. */
static void
test_summed_increments_by_key (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    s_increment (batch, "h", "a", 1);
    s_increment (batch, "k", "a", 2);
    s_increment (batch, "h", "b", 3);
    s_increment (batch, "k", "b", 4);
    s_increment (batch, "h", "a", 5);
    s_assert_coalesced (batch, "HINCRBY h a 6 b 3 | HINCRBY k a 2 b 4");

    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    const int fields = (SP_CONSUMER_COMMAND_MAX_ARGS - 2) / 2 + 2; /* one command and two more */
    char expected[2048] = "HINCRBY wide";
    size_t used = strlen (expected);
    for (int index = 0; index < fields; index++) {
        char field[16];
        snprintf (field, sizeof field, "f%d", index);
        s_increment (batch, "wide", field, index + 1);
        if (index == fields - 2)
            used += (size_t) snprintf (expected + used, sizeof expected - used, " | HINCRBY wide");
        used +=
            (size_t) snprintf (expected + used, sizeof expected - used, " %s %d", field, index + 1);
        assert_true (used < sizeof expected);
    }
    s_assert_coalesced (batch, expected);
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
    s_assert_step ("SET s a | SET t x | SET s b | SET s c", "MSET s c t x");
    s_assert_step ("SET s a | SET s b", "SET s b");
}

/* SETs that are their keys' first commands become one MSET, where the
   first of them stood; a SET whose key something named before stays
   where it is; a command touching every key starts a new MSET. */
static void
test_first_sets_of_keys_become_one_mset (void **state)
{
    (void) state;
    s_assert_step ("SET a 1 | HINCRBY h f 1 | SET b 2 | SET c 3",
                   "MSET a 1 b 2 c 3 | HINCRBY h f 1");
    /* b was named by a command before its SET: moving it up would pass it */
    s_assert_step ("SET a 1 | DEL b | SET b 2 | SET c 3", "MSET a 1 c 3 | DEL b | SET b 2");
    s_assert_step ("SET a 1 | HINCRBY b f 1 | SET b 2", "SET a 1 | HINCRBY b f 1 | SET b 2");
    /* after a full barrier, a new MSET */
    s_assert_step ("SET a 1 | SET b 2 | FLUSHDB | SET c 3 | SET d 4",
                   "MSET a 1 b 2 | FLUSHDB | MSET c 3 d 4");
    /* a key's later generation is not its first command */
    s_assert_step ("SET a 1 | DEL a | SET a 2 | SET b 3", "MSET a 1 b 3 | DEL a | SET a 2");
    /* SETs with options are barriers, not grouped */
    s_assert_step ("SET a 1 | SET b 2 EX 10 | SET c 3", "MSET a 1 c 3 | SET b 2 EX 10");
    /* binary values travel as they are */
    sp_consumer_batch_t *batch = s_batch ();
    const char *first[] = { "SET", "k1", "v\x00\xff" };
    const size_t first_lengths[] = { 3, 2, 3 };
    const char *second[] = { "SET", "k2", "" };
    const size_t second_lengths[] = { 3, 2, 0 };
    assert_int_equal (sp_consumer_batch_command (batch, 3, first, first_lengths), 0);
    assert_int_equal (sp_consumer_batch_command (batch, 3, second, second_lengths), 0);
    s_assert_coalesced (batch, "MSET k1 v\\x00\\xff k2 ");
    sp_consumer_batch_destroy (&batch);
    /* a long run is cut into MSETs of at most the limit */
    s_assert_cut_into_groups ("SET k%zu v", "MSET", "MSET", " k%zu v");
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
    s_assert_cut_into_groups ("SADD s m%zu", "SADD s", "SADD s", " m%zu");
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
                   "MSET a 1 b 1 | RENAME a b | SET a 2 | SET b 2");
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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_counters_are_summed_at_the_first_position),
        cmocka_unit_test (test_zero_nets_are_dropped_but_a_lone_zero_is_kept),
        cmocka_unit_test (test_overflowing_sums_are_not_made),
        cmocka_unit_test (test_last_set_wins),
        cmocka_unit_test (test_first_sets_of_keys_become_one_mset),
        cmocka_unit_test (test_last_zadd_or_zrem_of_a_member_wins),
        cmocka_unit_test (test_zadd_gt_of_a_member_keeps_the_greatest),
        cmocka_unit_test (test_sadd_of_a_member_once),
        cmocka_unit_test (test_members_of_a_key_are_grouped),
        cmocka_unit_test (test_summed_increments),
        cmocka_unit_test (test_summed_increments_by_key),
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
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
