/*  test_json_read - sp_json_read: ids (sp_json_read_text), numbers in
    basis points (sp_json_read_basis_points, sp_json_read_fraction) and
    their text (sp_json_basis_points_text), every refusal and both ends
    of every range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sp_json_read.h"

#define ERROR_SIZE 256
#define UNTOUCHED_BP UINT32_C (777) /* sentinel: a failed read must not write */
#define ID_MAX 5                    /* the longest id of the text cases */
#define CAP_MIN_BP 10000            /* 1 */
#define CAP_MAX_BP 100000           /* 10 */

/* The value of "v" in {"v": json}: owned by *root, which the caller
   json_decref's. json NULL: no value (a missing member). */
static const json_t *
s_value (const char *json, json_t **root)
{
    *root = NULL;
    if (!json)
        return NULL;
    char text[ERROR_SIZE];
    snprintf (text, sizeof text, "{\"v\": %s}", json);
    json_error_t error;
    *root = json_loads (text, JSON_ALLOW_NUL, &error); /* U+0000 too */
    assert_non_null (*root);
    return json_object_get (*root, "v");
}

/* Reads json as an id of 1..ID_MAX bytes; returns the message ("" when
   read) and the text read in text (size ERROR_SIZE). */
static void
s_read_text (const char *json, char *error, char *text)
{
    json_t *root;
    const json_t *value = s_value (json, &root);
    sp_json_reader_t reader = { error, ERROR_SIZE };
    const char *got = NULL;
    *error = '\0';
    *text = '\0';
    int rc = sp_json_read_text (&reader, value, "id", ID_MAX, &got);
    assert_int_equal (rc, *error ? -1 : 0);
    if (rc == 0) {
        assert_ptr_equal (got, json_string_value (value)); /* borrowed */
        snprintf (text, ERROR_SIZE, "%s", got);
    }
    else
        assert_null (got); /* untouched on failure */
    json_decref (root);
}

/* Reads json in min_bp..max_bp (fraction: with sp_json_read_fraction);
   returns the message ("" when read) and *bp, which a failure must leave
   alone. */
static void
s_read_bp (const char *json, uint32_t min_bp, uint32_t max_bp, bool fraction, char *error,
           uint32_t *bp)
{
    json_t *root;
    const json_t *value = s_value (json, &root);
    sp_json_reader_t reader = { error, ERROR_SIZE };
    *error = '\0';
    *bp = UNTOUCHED_BP;
    int rc = fraction ? sp_json_read_fraction (&reader, value, "cap", bp)
                      : sp_json_read_basis_points (&reader, value, "cap", min_bp, max_bp, bp);
    assert_int_equal (rc, *error ? -1 : 0);
    if (rc != 0)
        assert_int_equal (*bp, UNTOUCHED_BP);
    json_decref (root);
}

/* ---------------------------------------------------------------- text */

static void
test_text_valid (void **state)
{
    (void) state;
    char error[ERROR_SIZE];
    char text[ERROR_SIZE];
    struct {
        const char *json, *text;
    } cases[] = {
        { "\"a\"", "a" },              /* 1 byte: the shortest */
        { "\"abcde\"", "abcde" },      /* ID_MAX bytes: the longest */
        { "\" ~\"", " ~" },            /* U+0020 and U+007E: the ends of printable ASCII */
        { "\"\\u00a0\"", "\xc2\xa0" }, /* U+00A0: just after the C1 controls */
        { "\"\\u00e9\\u00e9\"", "\xc3\xa9\xc3\xa9" }, /* 4 bytes of 2 characters */
        { "\"\\u20ac!\"", "\xe2\x82\xac!" },          /* 3-byte character */
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        s_read_text (cases[index].json, error, text);
        assert_string_equal (error, "");
        assert_string_equal (text, cases[index].text);
    }
}

static void
test_text_refused (void **state)
{
    (void) state;
    char error[ERROR_SIZE];
    char text[ERROR_SIZE];
    struct {
        const char *json, *error;
    } cases[] = {
        { NULL, "field \"id\": required" },
        { "12", "field \"id\": expected a string, got an integer" },
        { "1.5", "field \"id\": expected a string, got a real number" },
        { "null", "field \"id\": expected a string, got null" },
        { "true", "field \"id\": expected a string, got a boolean" },
        { "[\"a\"]", "field \"id\": expected a string, got an array" },
        { "{}", "field \"id\": expected a string, got an object" },
        { "\"\"", "field \"id\": must not be empty" },
        { "\"abcdef\"", "field \"id\": longer than 5 bytes" },
        { "\"\\u00e9\\u00e9\\u00e9\"",
          "field \"id\": longer than 5 bytes" }, /* 3 characters, 6 bytes */
        { "\"\\u0000\"", "field \"id\": control character U+0000 at byte 0" },
        { "\"a\\u0000b\"", "field \"id\": control character U+0000 at byte 1" },
        { "\"a\\tb\"", "field \"id\": control character U+0009 at byte 1" },
        { "\"ab\\n\"", "field \"id\": control character U+000A at byte 2" },
        { "\"\\u001f\"", "field \"id\": control character U+001F at byte 0" },
        { "\"a\\u007f\"", "field \"id\": control character U+007F at byte 1" },
        { "\"ab\\u0080\"", "field \"id\": control character U+0080 at byte 2" },
        { "\"\\u009f\"", "field \"id\": control character U+009F at byte 0" },
        { "\"\\u00e9\\u0085\"", "field \"id\": control character U+0085 at byte 2" },
        { "\"\\u0001\\u0002\"",
          "field \"id\": control character U+0001 at byte 0" },       /* the first */
        { "\"abcdef\\u0001\"", "field \"id\": longer than 5 bytes" }, /* length first */
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        s_read_text (cases[index].json, error, text);
        assert_string_equal (error, cases[index].error);
    }
}

/* -------------------------------------------------------- basis points */

static void
test_basis_points_valid (void **state)
{
    (void) state;
    char error[ERROR_SIZE];
    uint32_t bp;
    struct {
        const char *json;
        uint32_t min_bp, max_bp, bp;
    } cases[] = {
        { "1", CAP_MIN_BP, CAP_MAX_BP, 10000 },   /* the lowest, as an integer */
        { "1.0", CAP_MIN_BP, CAP_MAX_BP, 10000 }, /* and as a real */
        { "10", CAP_MIN_BP, CAP_MAX_BP, 100000 }, /* the highest */
        { "10.0", CAP_MIN_BP, CAP_MAX_BP, 100000 },
        { "1.0001", CAP_MIN_BP, CAP_MAX_BP, 10001 }, /* four decimals */
        { "9.9999", CAP_MIN_BP, CAP_MAX_BP, 99999 },
        { "1.5", CAP_MIN_BP, CAP_MAX_BP, 15000 },
        { "2.675", CAP_MIN_BP, CAP_MAX_BP, 26750 }, /* no binary rounding surprise */
        { "1e0", CAP_MIN_BP, CAP_MAX_BP, 10000 },   /* exponent form */
        { "0", 0, 0, 0 },                           /* an empty range */
        { "0.0", 0, 0, 0 },
        { "2", 20000, 20000, 20000 },
        { "0.25", 2500, 7500, 2500 },
        { "0.75", 2500, 7500, 7500 },
        { "2", 15000, 30000, 20000 }, /* an integer inside bounds that are not */
        { "3", 15000, 30000, 30000 },
        { "429496", 0, UINT32_MAX, UINT32_C (4294960000) }, /* the widest range */
        { "429496.7295", 0, UINT32_MAX, UINT32_MAX },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        s_read_bp (cases[index].json, cases[index].min_bp, cases[index].max_bp, false, error, &bp);
        assert_string_equal (error, "");
        assert_int_equal (bp, cases[index].bp);
    }
}

static void
test_basis_points_refused (void **state)
{
    (void) state;
    char error[ERROR_SIZE];
    uint32_t bp;
    struct {
        const char *json;
        uint32_t min_bp, max_bp;
        const char *error;
    } cases[] = {
        { NULL, CAP_MIN_BP, CAP_MAX_BP, "field \"cap\": required" },
        /* wrong type: the example is half a unit above min, or the middle */
        { "\"1.5\"", CAP_MIN_BP, CAP_MAX_BP,
          "field \"cap\": expected a number from 1 to 10 such as 1.5, got a string" },
        { "null", CAP_MIN_BP, CAP_MAX_BP,
          "field \"cap\": expected a number from 1 to 10 such as 1.5, got null" },
        { "true", CAP_MIN_BP, CAP_MAX_BP,
          "field \"cap\": expected a number from 1 to 10 such as 1.5, got a boolean" },
        { "[1]", CAP_MIN_BP, CAP_MAX_BP,
          "field \"cap\": expected a number from 1 to 10 such as 1.5, got an array" },
        { "{}", CAP_MIN_BP, CAP_MAX_BP,
          "field \"cap\": expected a number from 1 to 10 such as 1.5, got an object" },
        { "\"x\"", 0, 3000,
          "field \"cap\": expected a number from 0 to 0.3 such as 0.15, got a string" },
        { "\"x\"", 2500, 7500,
          "field \"cap\": expected a number from 0.25 to 0.75 such as 0.75, got a string" },
        { "\"x\"", 20000, 20000,
          "field \"cap\": expected a number from 2 to 2 such as 2, got a string" },
        /* out of range, integers */
        { "0", CAP_MIN_BP, CAP_MAX_BP, "field \"cap\": 0 is not in 1..10" },
        { "11", CAP_MIN_BP, CAP_MAX_BP, "field \"cap\": 11 is not in 1..10" },
        { "-1", CAP_MIN_BP, CAP_MAX_BP, "field \"cap\": -1 is not in 1..10" },
        { "9223372036854775807", CAP_MIN_BP, CAP_MAX_BP,
          "field \"cap\": 9223372036854775807 is not in 1..10" },
        { "-9223372036854775808", CAP_MIN_BP, CAP_MAX_BP,
          "field \"cap\": -9223372036854775808 is not in 1..10" },
        { "1", 15000, 30000, "field \"cap\": 1 is not in 1.5..3" },
        { "0", 2500, 7500, "field \"cap\": 0 is not in 0.25..0.75" },
        { "1", 2500, 7500, "field \"cap\": 1 is not in 0.25..0.75" },
        { "429497", 0, UINT32_MAX, "field \"cap\": 429497 is not in 0..429496.7295" },
        /* out of range, reals */
        { "0.9999", CAP_MIN_BP, CAP_MAX_BP, "field \"cap\": 0.9999 is not in 1..10" },
        { "10.0001", CAP_MIN_BP, CAP_MAX_BP, "field \"cap\": 10.0001 is not in 1..10" },
        { "-0.5", CAP_MIN_BP, CAP_MAX_BP, "field \"cap\": -0.5 is not in 1..10" },
        { "1e300", CAP_MIN_BP, CAP_MAX_BP, "field \"cap\": 1e+300 is not in 1..10" },
        { "0.2499", 2500, 7500, "field \"cap\": 0.2499 is not in 0.25..0.75" },
        { "429496.7296", 0, UINT32_MAX, "field \"cap\": 429497 is not in 0..429496.7295" },
        /* too many decimals */
        { "1.00001", CAP_MIN_BP, CAP_MAX_BP, "field \"cap\": 1.00001 has more than 4 decimals" },
        { "9.99999", CAP_MIN_BP, CAP_MAX_BP, "field \"cap\": 9.99999 has more than 4 decimals" },
        { "2.12345", CAP_MIN_BP, CAP_MAX_BP, "field \"cap\": 2.12345 has more than 4 decimals" },
        { "0.33333333333333331", 0, 10000, "field \"cap\": 0.3333333333 has more than 4 decimals" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        s_read_bp (cases[index].json, cases[index].min_bp, cases[index].max_bp, false, error, &bp);
        assert_string_equal (error, cases[index].error);
    }
}

/* sp_json_read_fraction is sp_json_read_basis_points over 0..1 with the
   example 0.25: its messages are those of before. */
static void
test_fraction (void **state)
{
    (void) state;
    char error[ERROR_SIZE];
    uint32_t bp;
    struct {
        const char *json;
        uint32_t bp;
    } valid[] = {
        { "0", 0 },         { "0.0", 0 },   { "0.0001", 1 },  { "0.25", 2500 },
        { "0.9999", 9999 }, { "1", 10000 }, { "1.0", 10000 },
    };
    for (size_t index = 0; index < sizeof valid / sizeof valid[0]; index++) {
        s_read_bp (valid[index].json, 0, 0, true, error, &bp);
        assert_string_equal (error, "");
        assert_int_equal (bp, valid[index].bp);
    }
    struct {
        const char *json, *error;
    } refused[] = {
        { NULL, "field \"cap\": required" },
        { "\"0.5\"", "field \"cap\": expected a number from 0 to 1 such as 0.25, got a string" },
        { "2", "field \"cap\": 2 is not in 0..1" },
        { "-1", "field \"cap\": -1 is not in 0..1" },
        { "1.5", "field \"cap\": 1.5 is not in 0..1" },
        { "-0.1", "field \"cap\": -0.1 is not in 0..1" },
        { "1.0001", "field \"cap\": 1.0001 is not in 0..1" },
        { "0.12345", "field \"cap\": 0.12345 has more than 4 decimals" },
    };
    for (size_t index = 0; index < sizeof refused / sizeof refused[0]; index++) {
        s_read_bp (refused[index].json, 0, 0, true, error, &bp);
        assert_string_equal (error, refused[index].error);
    }
}

static void
test_basis_points_text (void **state)
{
    (void) state;
    char text[SP_JSON_NUMBER_SIZE];
    struct {
        int64_t bp;
        const char *text;
    } cases[] = {
        { 0, "0" },
        { 1, "0.0001" },
        { 2500, "0.25" },
        { 10000, "1" },
        { 10001, "1.0001" },
        { 15000, "1.5" },
        { 100000, "10" },
        { -2500, "-0.25" },
        { -10000, "-1" },
        { INT64_MAX, "922337203685477.5807" },
        { INT64_MIN, "-922337203685477.5808" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        const char *got = sp_json_basis_points_text (cases[index].bp, text, sizeof text);
        assert_ptr_equal (got, text);
        assert_string_equal (text, cases[index].text);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_text_valid),         cmocka_unit_test (test_text_refused),
        cmocka_unit_test (test_basis_points_valid), cmocka_unit_test (test_basis_points_refused),
        cmocka_unit_test (test_fraction),           cmocka_unit_test (test_basis_points_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
