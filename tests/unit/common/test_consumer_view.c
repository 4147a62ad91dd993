/*  test_consumer_view - sp_consumer_view, which needs no server: keys
    declared and filled as sp_consumer.c does after its MGET, reads and
    writes (a handler sees its own earlier writes, and each write is a SET
    in the batch), marks and rewinds in step with the batch (a failed
    event's writes leave both), the decoded slot's life, and the errors
    (a key not declared, too long, or of another partition). The fetch
    itself, against a real Redis, is exercised by the consumer and funnel
    integration tests.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_consumer_batch.h"
#include "sp_consumer_view.h"
#include "sp_partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE "view-test"
#define PARTITION 7
#define OTHER_PARTITION 8
#define CHECKPOINT 41
#define KEY_A "view-test:{p7}:e:a"
#define KEY_B "view-test:{p7}:e:b"
#define KEY_C "view-test:{p7}:e:c"
#define FOREIGN_KEY "view-test:{p8}:e:a"
#define OTHER_SERVICE_KEY "other:{p7}:e:a"
#define LONG_KEY_SIZE (SP_CONSUMER_VIEW_KEY_MAX + 10)

/* ---------------------------------------------------------------- helpers */

/* Counts destroyed decoded objects. */
static int s_freed;

static void
s_free (void *decoded)
{
    free (decoded);
    s_freed++;
}

/* A decoded object: a heap copy of text. */
static char *
s_decoded (const char *text)
{
    char *copy = strdup (text);
    assert_non_null (copy);
    return copy;
}

static sp_consumer_batch_t *
s_batch (void)
{
    sp_consumer_batch_t *batch = sp_consumer_batch_new (SERVICE);
    assert_non_null (batch);
    sp_consumer_batch_reset (batch, PARTITION, CHECKPOINT);
    return batch;
}

/* A view of PARTITION where KEY_A holds "one" and KEY_B nothing, ready
   for reads and writes, as the consumer leaves it after its fetch. */
static sp_consumer_view_t *
s_view (void)
{
    sp_consumer_view_t *view = sp_consumer_view_new (SERVICE);
    assert_non_null (view);
    sp_consumer_view_reset (view, PARTITION);
    assert_int_equal (sp_consumer_view_want (view, KEY_A), 0);
    assert_int_equal (sp_consumer_view_want (view, KEY_B), 0);
    assert_int_equal (sp_consumer_view_fill (view, 0, "one", 3, true), 0);
    assert_int_equal (sp_consumer_view_fill (view, 1, NULL, 0, false), 0);
    sp_consumer_view_ready (view);
    return view;
}

/* The value of key, which must be found, as a C string. */
static const char *
s_get (sp_consumer_view_t *view, const char *key)
{
    size_t length = 0;
    bool found = false;
    const char *value = sp_consumer_view_get (view, key, &length, &found);
    assert_true (found);
    assert_non_null (value);
    assert_int_equal (length, strlen (value));
    return value;
}

/* Checks that argument index of batch is expected (arguments are not
   NUL-terminated in the batch). */
static void
s_argument_is (const sp_consumer_batch_t *batch, size_t index, const char *expected)
{
    size_t length = 0;
    const char *argument = sp_consumer_batch_argument (batch, index, &length);
    assert_non_null (argument);
    assert_int_equal (length, strlen (expected));
    assert_memory_equal (argument, expected, length);
}

/* ---------------------------------------------------------------- tests */

static void
test_new_reset_and_destroy (void **state)
{
    (void) state;
    sp_consumer_view_t *view = sp_consumer_view_new (SERVICE);
    assert_non_null (view);
    assert_int_equal (sp_consumer_view_wanted (view), 0);
    assert_null (sp_consumer_view_error (view));
    sp_consumer_view_reset (view, 1023);
    assert_int_equal (sp_consumer_view_partition (view), 1023);
    assert_int_equal (sp_consumer_view_want (view, "view-test:{p1023}:x"), 0);
    assert_int_equal (sp_consumer_view_wanted (view), 1);
    sp_consumer_view_reset (view, PARTITION);
    assert_int_equal (sp_consumer_view_wanted (view), 0);
    assert_int_equal (sp_consumer_view_partition (view), PARTITION);
    sp_consumer_view_destroy (&view);
    assert_null (view);
    sp_consumer_view_destroy (&view); /* no-op on NULL */
}

static void
test_want_lists_keys_once_in_order (void **state)
{
    (void) state;
    sp_consumer_view_t *view = sp_consumer_view_new (SERVICE);
    sp_consumer_view_reset (view, PARTITION);
    assert_int_equal (sp_consumer_view_want (view, KEY_B), 0);
    assert_int_equal (sp_consumer_view_want (view, KEY_A), 0);
    assert_int_equal (sp_consumer_view_want (view, KEY_B), 0); /* again: harmless */
    assert_int_equal (sp_consumer_view_wanted (view), 2);
    assert_string_equal (sp_consumer_view_wanted_key (view, 0), KEY_B);
    assert_string_equal (sp_consumer_view_wanted_key (view, 1), KEY_A);
    /* many keys: the lists grow */
    for (int index = 0; index < 1000; index++) {
        char key[SP_CONSUMER_VIEW_KEY_MAX];
        snprintf (key, sizeof key, "view-test:{p7}:n:%d", index);
        assert_int_equal (sp_consumer_view_want (view, key), 0);
    }
    assert_int_equal (sp_consumer_view_wanted (view), 1002);
    assert_string_equal (sp_consumer_view_wanted_key (view, 1001), "view-test:{p7}:n:999");
    assert_null (sp_consumer_view_error (view));
    sp_consumer_view_destroy (&view);
}

static void
test_fill_and_get (void **state)
{
    (void) state;
    sp_consumer_view_t *view = sp_consumer_view_new (SERVICE);
    sp_consumer_view_reset (view, PARTITION);
    assert_int_equal (sp_consumer_view_want (view, KEY_A), 0);
    assert_int_equal (sp_consumer_view_want (view, KEY_B), 0);
    assert_int_equal (sp_consumer_view_want (view, KEY_C), 0);
    /* binary-safe: a NUL inside the value */
    assert_int_equal (sp_consumer_view_fill (view, 0, "a\0b", 3, true), 0);
    assert_int_equal (sp_consumer_view_fill (view, 1, "ignored", 7, false), 0);
    assert_int_equal (sp_consumer_view_fill (view, 2, "", 0, true), 0);
    sp_consumer_view_ready (view);

    size_t length = 99;
    bool found = false;
    const char *value = sp_consumer_view_get (view, KEY_A, &length, &found);
    assert_true (found);
    assert_int_equal (length, 3);
    assert_memory_equal (value, "a\0b", 4); /* NUL-terminated too */

    length = 99;
    found = true;
    assert_null (sp_consumer_view_get (view, KEY_B, &length, &found));
    assert_false (found);
    assert_int_equal (length, 0);
    assert_null (sp_consumer_view_error (view)); /* no value is no error */

    value = sp_consumer_view_get (view, KEY_C, &length, &found);
    assert_true (found); /* an empty string exists */
    assert_int_equal (length, 0);
    assert_string_equal (value, "");
    sp_consumer_view_destroy (&view);
}

static void
test_put_is_seen_and_is_a_set_in_the_batch (void **state)
{
    (void) state;
    sp_consumer_view_t *view = s_view ();
    sp_consumer_batch_t *batch = s_batch ();

    assert_int_equal (sp_consumer_view_put (view, batch, KEY_A, "two", 3), 0);
    assert_string_equal (s_get (view, KEY_A), "two");
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_B, "new", 3), 0);
    assert_string_equal (s_get (view, KEY_B), "new");
    /* a second event of the entity sees the first one's write */
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_A, "three", 5), 0);
    assert_string_equal (s_get (view, KEY_A), "three");

    /* each put is one SET, in order, as the apply script reads them */
    assert_int_equal (sp_consumer_batch_commands (batch), 3);
    const char *expected[][3] = { { "SET", KEY_A, "two" },
                                  { "SET", KEY_B, "new" },
                                  { "SET", KEY_A, "three" } };
    size_t argument = 0;
    for (size_t command = 0; command < 3; command++) {
        s_argument_is (batch, argument++, "3");
        for (size_t index = 0; index < 3; index++)
            s_argument_is (batch, argument++, expected[command][index]);
    }
    assert_int_equal (sp_consumer_batch_argument_count (batch), argument);

    /* a write needs no declaration, a read still does */
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_C, "blind", 5), 0);
    assert_int_equal (sp_consumer_batch_commands (batch), 4);
    size_t length = 0;
    bool found = true;
    assert_null (sp_consumer_view_get (view, KEY_C, &length, &found));
    assert_false (found);
    assert_non_null (sp_consumer_view_error (view));

    sp_consumer_batch_destroy (&batch);
    sp_consumer_view_destroy (&view);
}

/* As sp_consumer.c runs events: mark both, apply, rewind both on failure,
   accept on success. */
static void
test_rewind_drops_a_failed_events_writes (void **state)
{
    (void) state;
    sp_consumer_view_t *view = s_view ();
    sp_consumer_batch_t *batch = s_batch ();

    /* event 1 succeeds */
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_A, "two", 3), 0);
    sp_consumer_view_accept (view);
    sp_consumer_batch_advance (batch, CHECKPOINT + 1);

    /* event 2 writes both keys, adds a plain command, then fails */
    size_t batch_mark = sp_consumer_batch_mark (batch);
    size_t view_mark = sp_consumer_view_mark (view);
    assert_int_equal (view_mark, 0); /* accepted writes need no undoing */
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_A, "bad", 3), 0);
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_B, "bad", 3), 0);
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_A, "worse", 5), 0);
    const char *argv[] = { "HINCRBY", "view-test:{p7}:count", "x", "1" };
    assert_int_equal (sp_consumer_batch_command (batch, 4, argv, NULL), 0);
    assert_int_equal (sp_consumer_batch_commands (batch), 5);
    sp_consumer_batch_rewind (batch, batch_mark);
    sp_consumer_view_rewind (view, view_mark);

    /* both are as event 1 left them */
    assert_int_equal (sp_consumer_batch_commands (batch), 1);
    assert_string_equal (s_get (view, KEY_A), "two");
    size_t length = 0;
    bool found = true;
    assert_null (sp_consumer_view_get (view, KEY_B, &length, &found));
    assert_false (found);
    assert_null (sp_consumer_view_error (view));

    /* a rewind to a mark taken before anything was put restores the
       fetched values */
    sp_consumer_view_t *fresh = s_view ();
    size_t start = sp_consumer_view_mark (fresh);
    assert_int_equal (start, 0);
    assert_int_equal (sp_consumer_view_put (fresh, batch, KEY_A, "x", 1), 0);
    assert_int_equal (sp_consumer_view_put (fresh, batch, KEY_B, "y", 1), 0);
    assert_int_equal (sp_consumer_view_put (fresh, batch, KEY_C, "z", 1), 0);
    sp_consumer_view_rewind (fresh, start);
    assert_string_equal (s_get (fresh, KEY_A), "one");
    /* a key that held nothing holds nothing again */
    found = true;
    assert_null (sp_consumer_view_get (fresh, KEY_B, &length, &found));
    assert_false (found);
    assert_null (sp_consumer_view_error (fresh));

    sp_consumer_view_destroy (&fresh);
    sp_consumer_batch_destroy (&batch);
    sp_consumer_view_destroy (&view);
}

static void
test_decoded_slot_lifecycle (void **state)
{
    (void) state;
    s_freed = 0;
    sp_consumer_view_t *view = s_view ();
    sp_consumer_batch_t *batch = s_batch ();
    assert_null (sp_consumer_view_decoded (view, KEY_A));
    assert_null (sp_consumer_view_decoded (view, "view-test:{p7}:unknown"));

    /* kept with the value */
    char *decoded = s_decoded ("one");
    assert_int_equal (sp_consumer_view_set_decoded (view, KEY_A, decoded, s_free), 0);
    assert_ptr_equal (sp_consumer_view_decoded (view, KEY_A), decoded);
    /* a key holding nothing may keep one too (a new entity) */
    assert_int_equal (sp_consumer_view_set_decoded (view, KEY_B, s_decoded ("none"), s_free), 0);
    assert_int_equal (s_freed, 0);

    /* replaced: the earlier one is destroyed; the same pointer again is not */
    decoded = s_decoded ("one again");
    assert_int_equal (sp_consumer_view_set_decoded (view, KEY_A, decoded, s_free), 0);
    assert_int_equal (s_freed, 1);
    assert_int_equal (sp_consumer_view_set_decoded (view, KEY_A, decoded, s_free), 0);
    assert_int_equal (s_freed, 1);

    /* put: invalidated */
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_A, "two", 3), 0);
    assert_int_equal (s_freed, 2);
    assert_null (sp_consumer_view_decoded (view, KEY_A));

    /* rewound: the put value's decoded object goes, none comes back */
    size_t mark = sp_consumer_view_mark (view);
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_A, "three", 5), 0);
    assert_int_equal (sp_consumer_view_set_decoded (view, KEY_A, s_decoded ("three"), s_free), 0);
    sp_consumer_view_rewind (view, mark);
    assert_int_equal (s_freed, 3);
    assert_null (sp_consumer_view_decoded (view, KEY_A));
    assert_string_equal (s_get (view, KEY_A), "two");

    /* a decoded object that needs no freeing */
    static char fixed[] = "fixed";
    assert_int_equal (sp_consumer_view_set_decoded (view, KEY_A, fixed, NULL), 0);
    assert_ptr_equal (sp_consumer_view_decoded (view, KEY_A), fixed);

    /* a key only put, never declared, cannot keep one (nor be read) */
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_C, "w", 1), 0);
    assert_int_equal (sp_consumer_view_set_decoded (view, KEY_C, s_decoded ("w"), s_free), -1);
    assert_int_equal (s_freed, 4);
    assert_null (sp_consumer_view_decoded (view, KEY_C));
    sp_consumer_view_accept (view);

    /* refused: taken and destroyed at once */
    assert_int_equal (
        sp_consumer_view_set_decoded (view, "view-test:{p7}:unknown", s_decoded ("x"), s_free), -1);
    assert_int_equal (s_freed, 5);
    assert_non_null (sp_consumer_view_error (view));
    sp_consumer_view_accept (view);

    /* reset: KEY_B's goes */
    sp_consumer_view_reset (view, PARTITION);
    assert_int_equal (s_freed, 6);

    /* destroy: whatever is kept goes */
    assert_int_equal (sp_consumer_view_want (view, KEY_A), 0);
    assert_int_equal (sp_consumer_view_fill (view, 0, "one", 3, true), 0);
    sp_consumer_view_ready (view);
    assert_int_equal (sp_consumer_view_set_decoded (view, KEY_A, s_decoded ("one"), s_free), 0);
    sp_consumer_view_destroy (&view);
    assert_int_equal (s_freed, 7);
    sp_consumer_batch_destroy (&batch);
}

/* put_decoded: the parse stays with the value put, also when it is the
   key's own parse changed in place (a handler parsing once per run);
   a plain put, a rewind or a refused put destroys it. */
static void
test_put_decoded_keeps_the_parse (void **state)
{
    (void) state;
    s_freed = 0;
    sp_consumer_view_t *view = s_view ();
    sp_consumer_batch_t *batch = s_batch ();

    /* a new parse with the value */
    char *decoded = s_decoded ("two");
    assert_int_equal (sp_consumer_view_put_decoded (view, batch, KEY_A, "two", 3, decoded, s_free),
                      0);
    assert_string_equal (s_get (view, KEY_A), "two");
    assert_ptr_equal (sp_consumer_view_decoded (view, KEY_A), decoded);
    assert_int_equal (s_freed, 0);

    /* the key's own parse, changed in place: kept, not destroyed */
    size_t mark = sp_consumer_view_mark (view);
    memcpy (decoded, "six", sizeof "six");
    assert_int_equal (sp_consumer_view_put_decoded (view, batch, KEY_A, "six", 3, decoded, s_free),
                      0);
    assert_int_equal (s_freed, 0);
    assert_ptr_equal (sp_consumer_view_decoded (view, KEY_A), decoded);
    assert_string_equal (s_get (view, KEY_A), "six");
    assert_int_equal (sp_consumer_batch_commands (batch), 2);

    /* rewound past it: the parse goes with the value, the earlier value
       comes back without one */
    sp_consumer_view_rewind (view, mark);
    sp_consumer_batch_rewind (batch, mark);
    assert_int_equal (s_freed, 1);
    assert_null (sp_consumer_view_decoded (view, KEY_A));
    assert_string_equal (s_get (view, KEY_A), "two");

    /* another parse replaces the one kept; a plain put destroys it */
    assert_int_equal (
        sp_consumer_view_put_decoded (view, batch, KEY_A, "x", 1, s_decoded ("x"), s_free), 0);
    assert_int_equal (
        sp_consumer_view_put_decoded (view, batch, KEY_A, "y", 1, s_decoded ("y"), s_free), 0);
    assert_int_equal (s_freed, 2);
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_A, "z", 1), 0);
    assert_int_equal (s_freed, 3);
    assert_null (sp_consumer_view_decoded (view, KEY_A));

    /* a key never declared may keep one when put (it still cannot be read) */
    assert_int_equal (
        sp_consumer_view_put_decoded (view, batch, KEY_C, "w", 1, s_decoded ("w"), s_free), 0);
    assert_int_equal (s_freed, 3);
    sp_consumer_view_accept (view);

    /* refused (a foreign key): taken and destroyed at once */
    assert_int_equal (
        sp_consumer_view_put_decoded (view, batch, FOREIGN_KEY, "f", 1, s_decoded ("f"), s_free),
        -1);
    assert_int_equal (s_freed, 4);
    sp_consumer_view_accept (view);

    /* refused (the step is full) with the key's own parse, changed in
       place: it leaves the key, whose value stays */
    decoded = s_decoded ("seven");
    assert_int_equal (sp_consumer_view_put_decoded (view, batch, KEY_B, "7", 1, decoded, s_free),
                      0);
    sp_consumer_view_accept (view);
    const char *argv[] = { "INCR", "view-test:{p7}:n" };
    while (sp_consumer_batch_commands (batch) < SP_CONSUMER_BATCH_MAX_COMMANDS)
        assert_int_equal (sp_consumer_batch_command (batch, 2, argv, NULL), 0);
    memcpy (decoded, "eight", sizeof "eight");
    assert_int_equal (sp_consumer_view_put_decoded (view, batch, KEY_B, "8", 1, decoded, s_free),
                      -1);
    assert_int_equal (s_freed, 5);
    assert_null (sp_consumer_view_decoded (view, KEY_B));
    assert_string_equal (s_get (view, KEY_B), "7");

    /* destroy: KEY_C's goes */
    sp_consumer_view_destroy (&view);
    assert_int_equal (s_freed, 6);
    sp_consumer_batch_destroy (&batch);
}

/* A run writing one key several times: the handler sees each of its
   writes, and once the step is coalesced (as the consumer does before
   the apply) only the last value of each key goes out, the keys' first
   writes together in one MSET. */
static void
test_only_the_last_write_of_a_key_goes_out (void **state)
{
    (void) state;
    sp_consumer_view_t *view = s_view ();
    sp_consumer_batch_t *batch = s_batch ();
    const char *values[] = { "two", "three", "four" };
    for (size_t index = 0; index < 3; index++) {
        assert_int_equal (
            sp_consumer_view_put (view, batch, KEY_A, values[index], strlen (values[index])), 0);
        assert_string_equal (s_get (view, KEY_A), values[index]);
        assert_int_equal (sp_consumer_view_put (view, batch, KEY_B, values[2 - index],
                                                strlen (values[2 - index])),
                          0);
        assert_string_equal (s_get (view, KEY_B), values[2 - index]);
        sp_consumer_batch_advance (batch, CHECKPOINT + 1 + index);
    }
    assert_int_equal (sp_consumer_batch_commands (batch), 6);
    assert_int_equal (sp_consumer_batch_coalesce (batch), 0);
    assert_int_equal (sp_consumer_batch_commands (batch), 1);
    const char *expected[] = { "5", "MSET", KEY_A, "four", KEY_B, "two" };
    assert_int_equal (sp_consumer_batch_argument_count (batch), 6);
    for (size_t index = 0; index < 6; index++)
        s_argument_is (batch, index, expected[index]);
    assert_string_equal (s_get (view, KEY_A), "four");
    sp_consumer_batch_destroy (&batch);
    sp_consumer_view_destroy (&view);
}

static void
test_undeclared_key_is_an_error (void **state)
{
    (void) state;
    sp_consumer_view_t *view = s_view ();
    size_t length = 99;
    bool found = true;
    assert_null (sp_consumer_view_get (view, KEY_C, &length, &found));
    assert_false (found);
    assert_int_equal (length, 0);
    const char *error = sp_consumer_view_error (view);
    assert_non_null (error);
    assert_non_null (strstr (error, KEY_C));
    assert_non_null (strstr (error, "not declared"));
    /* a rewind (the framework failing the event) clears it */
    sp_consumer_view_rewind (view, sp_consumer_view_mark (view));
    assert_null (sp_consumer_view_error (view));
    /* so does an accept */
    assert_null (sp_consumer_view_get (view, KEY_C, &length, &found));
    assert_non_null (sp_consumer_view_error (view));
    sp_consumer_view_accept (view);
    assert_null (sp_consumer_view_error (view));
    sp_consumer_view_destroy (&view);
}

static void
test_oversized_and_foreign_keys_are_refused (void **state)
{
    (void) state;
    char long_key[LONG_KEY_SIZE];
    int prefix = snprintf (long_key, sizeof long_key, "%s", "view-test:{p7}:");
    memset (long_key + prefix, 'k', sizeof long_key - (size_t) prefix - 1);
    long_key[sizeof long_key - 1] = '\0';

    sp_consumer_view_t *view = sp_consumer_view_new (SERVICE);
    sp_consumer_view_reset (view, PARTITION);
    /* declaring: refused quietly (the run goes on; reading fails the event) */
    assert_int_equal (sp_consumer_view_want (view, long_key), -1);
    assert_int_equal (sp_consumer_view_want (view, FOREIGN_KEY), -1);
    assert_int_equal (sp_consumer_view_want (view, OTHER_SERVICE_KEY), -1);
    assert_int_equal (sp_consumer_view_want (view, "view-test:{p7}:"), -1); /* prefix only */
    assert_int_equal (sp_consumer_view_wanted (view), 0);
    assert_null (sp_consumer_view_error (view));
    sp_consumer_view_ready (view);

    /* reading: refused with the reason */
    size_t length = 0;
    bool found = true;
    assert_null (sp_consumer_view_get (view, long_key, &length, &found));
    assert_false (found);
    assert_non_null (strstr (sp_consumer_view_error (view), "too long"));
    sp_consumer_view_accept (view);
    assert_null (sp_consumer_view_get (view, FOREIGN_KEY, &length, &found));
    assert_non_null (strstr (sp_consumer_view_error (view), "not of partition 7"));
    sp_consumer_view_accept (view);

    /* writing: refused, the batch untouched */
    sp_consumer_batch_t *batch = s_batch ();
    assert_int_equal (sp_consumer_view_put (view, batch, long_key, "v", 1), -1);
    assert_non_null (strstr (sp_consumer_view_error (view), "too long"));
    assert_int_equal (sp_consumer_view_put (view, batch, OTHER_SERVICE_KEY, "v", 1), -1);
    assert_non_null (strstr (sp_consumer_view_error (view), "not of partition"));
    assert_int_equal (sp_consumer_batch_commands (batch), 0);
    assert_int_equal (sp_consumer_view_mark (view), 0);

    /* a key of the next run's partition is fine after a reset */
    sp_consumer_view_reset (view, OTHER_PARTITION);
    assert_int_equal (sp_consumer_view_want (view, FOREIGN_KEY), 0);
    assert_null (sp_consumer_view_error (view));

    sp_consumer_batch_destroy (&batch);
    sp_consumer_view_destroy (&view);
}

static void
test_full_batch_leaves_view_and_batch_unchanged (void **state)
{
    (void) state;
    sp_consumer_view_t *view = s_view ();
    sp_consumer_batch_t *batch = s_batch ();
    const char *argv[] = { "INCR", "view-test:{p7}:n" };
    while (sp_consumer_batch_commands (batch) < SP_CONSUMER_BATCH_MAX_COMMANDS)
        assert_int_equal (sp_consumer_batch_command (batch, 2, argv, NULL), 0);
    assert_int_equal (sp_consumer_view_put (view, batch, KEY_A, "two", 3), -1);
    assert_non_null (strstr (sp_consumer_view_error (view), "full"));
    assert_int_equal (sp_consumer_batch_commands (batch), SP_CONSUMER_BATCH_MAX_COMMANDS);
    assert_string_equal (s_get (view, KEY_A), "one");
    assert_int_equal (sp_consumer_view_mark (view), 0);
    sp_consumer_batch_destroy (&batch);
    sp_consumer_view_destroy (&view);
}

/* Many keys over several runs: the table grows, entry records are reused
   from run to run, every value is found again, and a reset forgets the
   run before (its keys are no longer declared). */
static void
test_many_keys_over_several_runs (void **state)
{
    (void) state;
    sp_consumer_view_t *view = sp_consumer_view_new (SERVICE);
    assert_non_null (view);
    char key[64], value[32];
    for (int run = 0; run < 3; run++) {
        int keys = 1000 + 2000 * run; /* growing, then shrinking below */
        if (run == 2)
            keys = 500;
        sp_consumer_view_reset (view, PARTITION);
        for (int index = 0; index < keys; index++) {
            snprintf (key, sizeof key, "view-test:{p7}:e:%d-%d", run, index);
            assert_int_equal (sp_consumer_view_want (view, key), 0);
            assert_int_equal (sp_consumer_view_want (view, key), 0); /* listed once */
        }
        assert_int_equal (sp_consumer_view_wanted (view), (size_t) keys);
        for (int index = 0; index < keys; index++) {
            int length = snprintf (value, sizeof value, "v%d", index * 7 + run);
            assert_int_equal (
                sp_consumer_view_fill (view, (size_t) index, value, (size_t) length, index % 3 != 0),
                0);
        }
        sp_consumer_view_ready (view);
        for (int index = 0; index < keys; index++) {
            snprintf (key, sizeof key, "view-test:{p7}:e:%d-%d", run, index);
            assert_string_equal (sp_consumer_view_wanted_key (view, (size_t) index), key);
            size_t length = 0;
            bool found = false;
            const char *got = sp_consumer_view_get (view, key, &length, &found);
            if (index % 3 == 0) {
                assert_false (found);
                assert_null (got);
                continue;
            }
            snprintf (value, sizeof value, "v%d", index * 7 + run);
            assert_true (found);
            assert_int_equal (length, strlen (value));
            assert_string_equal (got, value);
        }
        if (run > 0) {
            /* a key of the run before is not declared in this one */
            snprintf (key, sizeof key, "view-test:{p7}:e:%d-%d", run - 1, 1);
            size_t length = 0;
            bool found = false;
            assert_null (sp_consumer_view_get (view, key, &length, &found));
            assert_non_null (sp_consumer_view_error (view));
            sp_consumer_view_rewind (view, sp_consumer_view_mark (view)); /* clears the error */
        }
    }
    sp_consumer_view_destroy (&view);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_reset_and_destroy),
        cmocka_unit_test (test_want_lists_keys_once_in_order),
        cmocka_unit_test (test_fill_and_get),
        cmocka_unit_test (test_put_is_seen_and_is_a_set_in_the_batch),
        cmocka_unit_test (test_rewind_drops_a_failed_events_writes),
        cmocka_unit_test (test_decoded_slot_lifecycle),
        cmocka_unit_test (test_put_decoded_keeps_the_parse),
        cmocka_unit_test (test_only_the_last_write_of_a_key_goes_out),
        cmocka_unit_test (test_undeclared_key_is_an_error),
        cmocka_unit_test (test_oversized_and_foreign_keys_are_refused),
        cmocka_unit_test (test_full_batch_leaves_view_and_batch_unchanged),
        cmocka_unit_test (test_many_keys_over_several_runs),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
