/*  test_json_text - sp_json_text writes the bytes jansson's json_dumps
    (JSON_COMPACT) writes for the same document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sp_json_text.h"

/* Strings that need every kind of escape, and some that need none. */
static const char *const s_strings[] = {
    "",
    "plain",
    "quote \" and backslash \\",
    "slash / stays",
    "\b\f\n\r\t",
    "\x01\x02\x1f control",
    "\x7f delete stays",
    "UTF-8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 stays",
    "销售竞赛",
};

static char *
s_jansson (json_t *document)
{
    char *text = json_dumps (document, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (document);
    return text;
}

static void
test_strings_escape_as_jansson (void **state)
{
    (void) state;
    for (size_t index = 0; index < sizeof s_strings / sizeof s_strings[0]; index++) {
        sp_json_text_t out = sp_json_text_new ();
        sp_json_text_open (&out, '[');
        sp_json_text_string (&out, s_strings[index]);
        sp_json_text_close (&out, ']');
        char *ours = sp_json_text_finish (&out);
        json_t *array = json_array ();
        json_array_append_new (array, json_string (s_strings[index]));
        char *theirs = s_jansson (array);
        assert_non_null (ours);
        assert_non_null (theirs);
        assert_string_equal (ours, theirs);
        free (ours);
        free (theirs);
    }
}

static void
test_document_as_jansson (void **state)
{
    (void) state;
    sp_json_text_t out = sp_json_text_new ();
    json_t *root = json_object ();
    sp_json_text_open (&out, '{');
    sp_json_text_key (&out, "empty_object");
    sp_json_text_open (&out, '{');
    sp_json_text_close (&out, '}');
    json_object_set_new (root, "empty_object", json_object ());
    sp_json_text_key (&out, "empty_array");
    sp_json_text_open (&out, '[');
    sp_json_text_close (&out, ']');
    json_object_set_new (root, "empty_array", json_array ());
    sp_json_text_key (&out, "numbers");
    sp_json_text_open (&out, '[');
    json_t *numbers = json_array ();
    const int64_t values[] = { 0, -1, 1, INT64_MIN, INT64_MAX, 1000000000000000 };
    for (size_t index = 0; index < sizeof values / sizeof values[0]; index++) {
        sp_json_text_integer (&out, values[index]);
        json_array_append_new (numbers, json_integer (values[index]));
    }
    sp_json_text_close (&out, ']');
    json_object_set_new (root, "numbers", numbers);
    sp_json_text_key (&out, "flags");
    sp_json_text_open (&out, '[');
    sp_json_text_bool (&out, true);
    sp_json_text_bool (&out, false);
    sp_json_text_null (&out);
    sp_json_text_raw (&out, "{\"raw\":1}");
    sp_json_text_close (&out, ']');
    json_object_set_new (root, "flags", json_pack ("[b, b, n, {s:i}]", true, false, "raw", 1));
    sp_json_text_key (&out, "lines");
    sp_json_text_open (&out, '[');
    json_t *lines = json_array ();
    for (int line = 0; line < 1000; line++) {
        sp_json_text_open (&out, '{');
        sp_json_text_key (&out, "id");
        sp_json_text_string (&out, "won:1/plan/rule");
        sp_json_text_key (&out, "amount");
        sp_json_text_integer (&out, line * 7 - 3000);
        sp_json_text_key (&out, "explanation");
        sp_json_text_open (&out, '{');
        sp_json_text_key (&out, "reason");
        sp_json_text_string (&out, "a \"late\" deal\n");
        sp_json_text_close (&out, '}');
        sp_json_text_close (&out, '}');
        json_array_append_new (lines, json_pack ("{s:s, s:I, s:{s:s}}", "id", "won:1/plan/rule",
                                                 "amount", (json_int_t) (line * 7 - 3000),
                                                 "explanation", "reason", "a \"late\" deal\n"));
    }
    sp_json_text_close (&out, ']');
    json_object_set_new (root, "lines", lines);
    sp_json_text_close (&out, '}');
    char *ours = sp_json_text_finish (&out);
    char *theirs = s_jansson (root);
    assert_non_null (ours);
    assert_string_equal (ours, theirs);
    /* finish empties the writer; discard of an empty one is harmless */
    assert_null (out.data);
    sp_json_text_discard (&out);
    free (ours);
    free (theirs);
}

/* Strings are scanned a word (8 bytes) at a time: every byte that needs
   an escape, and the plain bytes nearest to them (' ', '!', '#', '[',
   ']', 0x7f, 0x80), at every position of strings of 0..20 bytes. */
static void
test_escapes_at_every_position (void **state)
{
    (void) state;
    const unsigned char specials[] = { 0x01, 0x08, 0x1f, '"',  '\\', ' ', '!',
                                       '#',  '[',  ']',  0x7f, 0x80, 0xc3 };
    for (size_t length = 1; length <= 20; length++)
        for (size_t at = 0; at < length; at++)
            for (size_t special = 0; special < sizeof specials; special++) {
                char text[24];
                memset (text, 'a', length);
                text[length] = '\0';
                text[at] = (char) specials[special];
                if (specials[special] == 0xc3 && at + 1 < length)
                    text[at + 1] = (char) 0xa9; /* a whole "é" */
                else if (specials[special] >= 0x80)
                    continue; /* a lone UTF-8 byte: jansson refuses it */
                sp_json_text_t out = sp_json_text_new ();
                sp_json_text_open (&out, '[');
                sp_json_text_string (&out, text);
                sp_json_text_close (&out, ']');
                char *ours = sp_json_text_finish (&out);
                json_t *array = json_array ();
                json_array_append_new (array, json_string (text));
                char *theirs = s_jansson (array);
                assert_non_null (ours);
                assert_non_null (theirs);
                assert_string_equal (ours, theirs);
                free (ours);
                free (theirs);
            }
}

/* sp_json_text_key_plain writes what sp_json_text_key writes for a key
   that needs no escape; sp_json_text_reserve changes nothing written. */
static void
test_plain_keys_and_reserve (void **state)
{
    (void) state;
    sp_json_text_t plain = sp_json_text_new ();
    sp_json_text_t keyed = sp_json_text_new ();
    sp_json_text_reserve (&plain, 1 << 20);
    sp_json_text_open (&plain, '{');
    sp_json_text_open (&keyed, '{');
    const char *const keys[] = { "rep_id", "net_payout", "lines", "a", "x_1" };
    for (size_t index = 0; index < sizeof keys / sizeof keys[0]; index++) {
        sp_json_text_key_plain (&plain, keys[index], strlen (keys[index]));
        sp_json_text_key (&keyed, keys[index]);
        sp_json_text_integer (&plain, (int64_t) index - 2);
        sp_json_text_integer (&keyed, (int64_t) index - 2);
    }
    sp_json_text_close (&plain, '}');
    sp_json_text_close (&keyed, '}');
    char *a = sp_json_text_finish (&plain);
    char *b = sp_json_text_finish (&keyed);
    assert_non_null (a);
    assert_non_null (b);
    assert_string_equal (a, b);
    assert_string_equal (a, "{\"rep_id\":-2,\"net_payout\":-1,\"lines\":0,\"a\":1,\"x_1\":2}");
    free (a);
    free (b);
}

static void
test_discard_frees (void **state)
{
    (void) state;
    sp_json_text_t out = sp_json_text_new ();
    sp_json_text_open (&out, '[');
    sp_json_text_string (&out, "dropped");
    sp_json_text_discard (&out);
    assert_null (out.data);
    assert_int_equal (out.length, 0);
    /* an empty writer finishes as an empty text */
    char *text = sp_json_text_finish (&out);
    assert_non_null (text);
    assert_string_equal (text, "");
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_strings_escape_as_jansson),
        cmocka_unit_test (test_document_as_jansson),
        cmocka_unit_test (test_escapes_at_every_position),
        cmocka_unit_test (test_plain_keys_and_reserve),
        cmocka_unit_test (test_discard_frees),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
