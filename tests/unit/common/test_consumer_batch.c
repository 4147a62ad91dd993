/*  test_consumer_batch - the batch side of sp_consumer_store, which needs
    no server: key format, reset, from/last/events, command counting,
    mark and rewind, the bytes held, and the limits (a refused command
    leaves the batch as it was). Coalescing is tested in
    test_consumer_coalesce.c. What the stored commands do when applied (binary arguments,
    copies independent of the caller's buffers, rewound commands gone) is
    checked against a real Redis in tests/integration/test_consumer_store.c,
    since the batch exposes its commands only through the apply.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_consumer_store.h"
#include "sp_partition.h"

#include <stdio.h>
#include <string.h>

#define SERVICE "batch-test"
#define PARTITION 7
#define CHECKPOINT 41        /* checkpoint most steps start from */
#define LONG_SUFFIX_SIZE 300 /* a suffix too long for any key buffer */
#define SMALL_BUFFER 8       /* a key buffer too small for the key */
#define UNTOUCHED 'x'        /* filler showing a buffer kept its value */

/* ---------------------------------------------------------------- helpers */

static sp_consumer_batch_t *
s_batch (void)
{
    sp_consumer_batch_t *batch = sp_consumer_batch_new (SERVICE);
    assert_non_null (batch);
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    return batch;
}

static void
s_add (sp_consumer_batch_t *batch, const char *command, const char *key)
{
    const char *argv[] = { command, key };
    assert_int_equal (sp_consumer_batch_command (batch, 2, argv, NULL), 0);
}

/* ---------------------------------------------------------------- tests */

static void
test_new_is_empty_and_destroy_clears (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = sp_consumer_batch_new (SERVICE);
    assert_non_null (batch);
    assert_int_equal (sp_consumer_batch_events (batch), 0);
    assert_int_equal (sp_consumer_batch_commands (batch), 0);
    assert_int_equal (sp_consumer_batch_mark (batch), 0);
    sp_consumer_batch_destroy (&batch);
    assert_null (batch);
    sp_consumer_batch_destroy (&batch); /* no-op on NULL */
}

static void
test_key_format (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    char key[SP_PARTITION_KEY_MAX];
    int length = sp_consumer_batch_key (batch, "stage:deal-1", key, sizeof key);
    assert_string_equal (key, "batch-test:{p7}:stage:deal-1");
    assert_int_equal (length, (int) strlen (key));

    /* The key follows the partition of the latest reset. */
    sp_consumer_batch_reset (batch, 1023, 0);
    length = sp_consumer_batch_key (batch, "x", key, sizeof key);
    assert_string_equal (key, "batch-test:{p1023}:x");
    assert_int_equal (length, (int) strlen (key));

    /* It is the key sp_partition_key writes. */
    char expected[SP_PARTITION_KEY_MAX];
    assert_int_equal (sp_partition_key (expected, sizeof expected, SERVICE, 1023, "x"), length);
    assert_string_equal (key, expected);
    sp_consumer_batch_destroy (&batch);
}

static void
test_key_too_long (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    char suffix[LONG_SUFFIX_SIZE];
    memset (suffix, 'a', sizeof suffix - 1);
    suffix[sizeof suffix - 1] = '\0';
    char key[SP_PARTITION_KEY_MAX];
    memset (key, UNTOUCHED, sizeof key);
    assert_int_equal (sp_consumer_batch_key (batch, suffix, key, sizeof key), -1);
    assert_string_equal (key, "");

    char small[SMALL_BUFFER];
    assert_int_equal (sp_consumer_batch_key (batch, "checkpoint", small, sizeof small), -1);
    assert_string_equal (small, "");
    sp_consumer_batch_destroy (&batch);
}

static void
test_reset_sets_partition_and_range (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    assert_int_equal (sp_consumer_batch_partition (batch), PARTITION);
    assert_int_equal (sp_consumer_batch_from (batch), CHECKPOINT);
    assert_int_equal (sp_consumer_batch_last (batch), CHECKPOINT);
    assert_int_equal (sp_consumer_batch_events (batch), 0);

    s_add (batch, "INCR", "batch-test:{p7}:count");
    sp_consumer_batch_advance (batch, CHECKPOINT + 1);
    sp_consumer_batch_reset (batch, 3, UINT64_MAX - 1);
    assert_int_equal (sp_consumer_batch_partition (batch), 3);
    assert_true (sp_consumer_batch_from (batch) == UINT64_MAX - 1);
    assert_true (sp_consumer_batch_last (batch) == UINT64_MAX - 1);
    assert_int_equal (sp_consumer_batch_events (batch), 0);
    assert_int_equal (sp_consumer_batch_commands (batch), 0);
    assert_int_equal (sp_consumer_batch_mark (batch), 0);
    sp_consumer_batch_destroy (&batch);
}

static void
test_advance_counts_events_with_or_without_commands (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    sp_consumer_batch_advance (batch, CHECKPOINT + 1); /* no commands: still an event */
    assert_int_equal (sp_consumer_batch_last (batch), CHECKPOINT + 1);
    assert_int_equal (sp_consumer_batch_events (batch), 1);
    assert_int_equal (sp_consumer_batch_commands (batch), 0);

    s_add (batch, "INCR", "batch-test:{p7}:a");
    s_add (batch, "INCR", "batch-test:{p7}:b");
    sp_consumer_batch_advance (batch, CHECKPOINT + 2);
    assert_int_equal (sp_consumer_batch_from (batch), CHECKPOINT);
    assert_int_equal (sp_consumer_batch_last (batch), CHECKPOINT + 2);
    assert_int_equal (sp_consumer_batch_events (batch), 2);
    assert_int_equal (sp_consumer_batch_commands (batch), 2);

    /* A step may end at the largest sequence. */
    sp_consumer_batch_reset (batch, PARTITION, UINT64_MAX - 1);
    sp_consumer_batch_advance (batch, UINT64_MAX);
    assert_int_equal (sp_consumer_batch_events (batch), 1);
    sp_consumer_batch_destroy (&batch);
}

static void
test_commands_with_binary_arguments (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    char value[] = { 'a', '\0', 'b', '\0' };
    const char *argv[] = { "SET", "batch-test:{p7}:binary", value };
    const size_t lengths[] = { 3, strlen (argv[1]), sizeof value };
    assert_int_equal (sp_consumer_batch_command (batch, 3, argv, lengths), 0);
    /* An empty argument is an argument. */
    const char *empty[] = { "SET", "batch-test:{p7}:empty", "" };
    assert_int_equal (sp_consumer_batch_command (batch, 3, empty, NULL), 0);
    /* One argument is enough (argc 1). */
    const char *ping[] = { "PING" };
    assert_int_equal (sp_consumer_batch_command (batch, 1, ping, NULL), 0);
    assert_int_equal (sp_consumer_batch_commands (batch), 3);
    sp_consumer_batch_destroy (&batch);
}

static void
test_mark_and_rewind (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    s_add (batch, "INCR", "batch-test:{p7}:kept");
    size_t mark = sp_consumer_batch_mark (batch);
    assert_int_equal (mark, 1);
    s_add (batch, "INCR", "batch-test:{p7}:dropped-1");
    s_add (batch, "INCR", "batch-test:{p7}:dropped-2");
    assert_int_equal (sp_consumer_batch_commands (batch), 3);
    sp_consumer_batch_rewind (batch, mark);
    assert_int_equal (sp_consumer_batch_commands (batch), 1);
    assert_int_equal (sp_consumer_batch_mark (batch), 1);

    /* Rewinding to the current mark changes nothing; commands can follow. */
    sp_consumer_batch_rewind (batch, sp_consumer_batch_mark (batch));
    assert_int_equal (sp_consumer_batch_commands (batch), 1);
    s_add (batch, "INCR", "batch-test:{p7}:after");
    assert_int_equal (sp_consumer_batch_commands (batch), 2);

    /* Rewind to the start empties the commands but keeps the events. */
    sp_consumer_batch_advance (batch, CHECKPOINT + 1);
    sp_consumer_batch_rewind (batch, 0);
    assert_int_equal (sp_consumer_batch_commands (batch), 0);
    assert_int_equal (sp_consumer_batch_events (batch), 1);
    s_add (batch, "INCR", "batch-test:{p7}:again");
    assert_int_equal (sp_consumer_batch_commands (batch), 1);
    sp_consumer_batch_destroy (&batch);
}

static void
test_too_many_arguments_is_refused (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    s_add (batch, "INCR", "batch-test:{p7}:first");
    const char *argv[SP_CONSUMER_COMMAND_MAX_ARGS + 1];
    argv[0] = "RPUSH";
    argv[1] = "batch-test:{p7}:list";
    for (size_t i = 2; i < SP_CONSUMER_COMMAND_MAX_ARGS + 1; i++)
        argv[i] = "v";
    assert_int_equal (
        sp_consumer_batch_command (batch, SP_CONSUMER_COMMAND_MAX_ARGS + 1, argv, NULL), -1);
    assert_int_equal (sp_consumer_batch_commands (batch), 1);
    assert_int_equal (sp_consumer_batch_mark (batch), 1);
    /* Exactly the limit is accepted. */
    assert_int_equal (sp_consumer_batch_command (batch, SP_CONSUMER_COMMAND_MAX_ARGS, argv, NULL),
                      0);
    assert_int_equal (sp_consumer_batch_commands (batch), 2);
    sp_consumer_batch_destroy (&batch);
}

static void
test_too_many_commands_is_refused (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    for (size_t i = 0; i < SP_CONSUMER_BATCH_MAX_COMMANDS; i++)
        s_add (batch, "INCR", "batch-test:{p7}:count");
    assert_int_equal (sp_consumer_batch_commands (batch), SP_CONSUMER_BATCH_MAX_COMMANDS);
    const char *argv[] = { "INCR", "batch-test:{p7}:one-more" };
    assert_int_equal (sp_consumer_batch_command (batch, 2, argv, NULL), -1);
    assert_int_equal (sp_consumer_batch_commands (batch), SP_CONSUMER_BATCH_MAX_COMMANDS);
    assert_int_equal (sp_consumer_batch_events (batch), 0);

    /* Rewinding makes room again. */
    sp_consumer_batch_rewind (batch, SP_CONSUMER_BATCH_MAX_COMMANDS - 1);
    assert_int_equal (sp_consumer_batch_command (batch, 2, argv, NULL), 0);
    assert_int_equal (sp_consumer_batch_commands (batch), SP_CONSUMER_BATCH_MAX_COMMANDS);
    /* A reset empties it. */
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    assert_int_equal (sp_consumer_batch_command (batch, 2, argv, NULL), 0);
    assert_int_equal (sp_consumer_batch_commands (batch), 1);
    sp_consumer_batch_destroy (&batch);
}

static void
test_bytes_follow_commands_rewind_and_reset (void **state)
{
    (void) state;
    sp_consumer_batch_t *batch = s_batch ();
    assert_int_equal (sp_consumer_batch_bytes (batch), 0);
    s_add (batch, "INCR", "k"); /* "2" "INCR" "k" */
    assert_int_equal (sp_consumer_batch_bytes (batch), 1 + 4 + 1);
    size_t mark = sp_consumer_batch_mark (batch);
    char value[] = { 'a', '\0', 'b' };
    const char *argv[] = { "SET", "key", value };
    const size_t lengths[] = { 3, 3, sizeof value };
    assert_int_equal (sp_consumer_batch_command (batch, 3, argv, lengths), 0);
    assert_int_equal (sp_consumer_batch_bytes (batch), 6 + 1 + 3 + 3 + sizeof value);
    /* an argument count of two digits counts two bytes */
    const char *many[SP_CONSUMER_COMMAND_MAX_ARGS];
    many[0] = "RPUSH";
    for (size_t i = 1; i < SP_CONSUMER_COMMAND_MAX_ARGS; i++)
        many[i] = "v";
    assert_int_equal (sp_consumer_batch_command (batch, SP_CONSUMER_COMMAND_MAX_ARGS, many, NULL),
                      0);
    assert_int_equal (sp_consumer_batch_bytes (batch),
                      6 + 1 + 3 + 3 + sizeof value + 2 + 5 + (SP_CONSUMER_COMMAND_MAX_ARGS - 1));
    size_t length = 0;
    const char *count = sp_consumer_batch_argument (batch, 3 + 4, &length); /* after INCR, SET */
    assert_int_equal (length, 2);
    assert_memory_equal (count, "64", 2);
    sp_consumer_batch_rewind (batch, mark);
    assert_int_equal (sp_consumer_batch_bytes (batch), 6);
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    assert_int_equal (sp_consumer_batch_bytes (batch), 0);
    sp_consumer_batch_destroy (&batch);
}

static void
test_store_new_and_valid (void **state)
{
    (void) state;
    sp_consumer_store_t *store = sp_consumer_store_new (SERVICE);
    assert_non_null (store);
    sp_consumer_store_destroy (&store);
    assert_null (store);
    sp_consumer_store_destroy (&store); /* no-op on NULL */

    sp_consumer_store_state_t fresh = { false, 0, 0, 0, 0 };
    assert_false (sp_consumer_store_valid (&fresh));
    sp_consumer_store_state_t current = { true, 17, 2, 2, 0 };
    assert_true (sp_consumer_store_valid (&current));
    sp_consumer_store_state_t old_epoch = { true, 17, 1, 2, 0 };
    assert_false (sp_consumer_store_valid (&old_epoch));
    sp_consumer_store_state_t reset = { true, 0, 0, 0, 0 };
    assert_true (sp_consumer_store_valid (&reset));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_is_empty_and_destroy_clears),
        cmocka_unit_test (test_key_format),
        cmocka_unit_test (test_key_too_long),
        cmocka_unit_test (test_reset_sets_partition_and_range),
        cmocka_unit_test (test_advance_counts_events_with_or_without_commands),
        cmocka_unit_test (test_commands_with_binary_arguments),
        cmocka_unit_test (test_mark_and_rewind),
        cmocka_unit_test (test_too_many_arguments_is_refused),
        cmocka_unit_test (test_too_many_commands_is_refused),
        cmocka_unit_test (test_bytes_follow_commands_rewind_and_reset),
        cmocka_unit_test (test_store_new_and_valid),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
