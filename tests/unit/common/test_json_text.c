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
        cmocka_unit_test (test_discard_frees),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
