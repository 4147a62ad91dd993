/*  test_pack - sp_pack: the writer's and reader's byte layout (little-endian
    integers, strings as a length byte and their bytes), a writer that runs
    out of room (full, nothing written after), a reader that runs out of
    bytes or meets a string too long for its target (bad, zeros and empty
    text from then on), and sp_pack_done at and before the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "sp_pack.h"

#define S_BUFFER_SIZE 64
#define S_TEXT_SIZE 8

static void
test_writer_layout (void **state)
{
    (void) state;
    unsigned char buffer[S_BUFFER_SIZE];
    sp_pack_writer_t writer = sp_pack_writer (buffer, sizeof buffer);
    sp_pack_put_u8 (&writer, 0xab);
    sp_pack_put_uint (&writer, 0x0102, 2);
    sp_pack_put_uint (&writer, 0x01020304, 4);
    sp_pack_put_i64 (&writer, -2);
    sp_pack_put_string (&writer, "abc", S_TEXT_SIZE);
    sp_pack_put_string (&writer, "", S_TEXT_SIZE);
    sp_pack_put (&writer, "xy", 2);
    sp_pack_put (&writer, NULL, 0);
    const unsigned char expected[] = { 0xab, 0x02, 0x01, 0x04, 0x03, 0x02, 0x01, 0xfe,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3,
                                       'a',  'b',  'c',  0,    'x',  'y' };
    assert_false (writer.full);
    assert_int_equal (sp_pack_written (&writer), sizeof expected);
    assert_memory_equal (buffer, expected, sizeof expected);
}

static void
test_writer_full (void **state)
{
    (void) state;
    unsigned char buffer[4] = { 0 };
    sp_pack_writer_t writer = sp_pack_writer (buffer, sizeof buffer);
    sp_pack_put_uint (&writer, 0x0a0b, 2);
    sp_pack_put_i64 (&writer, 1); /* does not fit */
    assert_true (writer.full);
    sp_pack_put_u8 (&writer, 7); /* would fit, but a full writer writes nothing */
    assert_int_equal (writer.used, 2);
    assert_int_equal (buffer[2], 0);
    assert_int_equal (sp_pack_written (&writer), 0);

    sp_pack_writer_t empty = sp_pack_writer (NULL, 0);
    sp_pack_put (&empty, NULL, 0);
    assert_false (empty.full);
    sp_pack_put_u8 (&empty, 1);
    assert_true (empty.full);
    assert_int_equal (sp_pack_written (&empty), 0);
}

static void
test_reader_round_trip (void **state)
{
    (void) state;
    unsigned char buffer[S_BUFFER_SIZE];
    sp_pack_writer_t writer = sp_pack_writer (buffer, sizeof buffer);
    sp_pack_put_u8 (&writer, 200);
    sp_pack_put_uint (&writer, 65535, 2);
    sp_pack_put_uint (&writer, UINT32_MAX, 4);
    sp_pack_put_i64 (&writer, INT64_MIN);
    sp_pack_put_string (&writer, "seven77", S_TEXT_SIZE);
    sp_pack_put (&writer, "hi", 2);
    size_t length = sp_pack_written (&writer);

    sp_pack_reader_t reader = sp_pack_reader (buffer, length);
    assert_int_equal (sp_pack_get_u8 (&reader), 200);
    assert_int_equal (sp_pack_get_uint (&reader, 2), 65535);
    assert_int_equal (sp_pack_get_uint (&reader, 4), UINT32_MAX);
    assert_true (sp_pack_get_i64 (&reader) == INT64_MIN);
    char text[S_TEXT_SIZE];
    sp_pack_get_string (&reader, text, sizeof text);
    assert_string_equal (text, "seven77");
    assert_false (sp_pack_done (&reader)); /* two bytes left */
    char bytes[2];
    assert_true (sp_pack_get_bytes (&reader, bytes, sizeof bytes));
    assert_memory_equal (bytes, "hi", 2);
    assert_true (sp_pack_get_bytes (&reader, NULL, 0));
    assert_true (sp_pack_done (&reader));
    assert_int_equal (reader.used, length);
}

static void
test_reader_runs_out (void **state)
{
    (void) state;
    const unsigned char input[] = { 1, 2, 3 };
    sp_pack_reader_t reader = sp_pack_reader (input, sizeof input);
    assert_int_equal (sp_pack_get_u8 (&reader), 1);
    assert_int_equal (sp_pack_get_i64 (&reader), 0); /* two bytes left */
    assert_true (reader.bad);
    assert_int_equal (reader.used, 1);
    assert_int_equal (sp_pack_get_u8 (&reader), 0); /* bad stays bad */
    char bytes[1] = { 'k' };
    assert_false (sp_pack_get_bytes (&reader, bytes, 1));
    assert_int_equal (bytes[0], 'k');
    assert_false (sp_pack_done (&reader));

    sp_pack_reader_t short_bytes = sp_pack_reader (input, sizeof input);
    char four[4] = { 'k', 'k', 'k', 'k' };
    assert_false (sp_pack_get_bytes (&short_bytes, four, sizeof four));
    assert_true (short_bytes.bad);
    assert_int_equal (four[0], 'k');

    sp_pack_reader_t empty = sp_pack_reader (NULL, 0);
    assert_true (sp_pack_done (&empty));
    assert_int_equal (sp_pack_get_uint (&empty, 2), 0);
    assert_true (empty.bad);
}

static void
test_reader_refuses_strings (void **state)
{
    (void) state;
    char text[S_TEXT_SIZE] = "old";
    /* a length that does not fit the target */
    const unsigned char too_long[] = { S_TEXT_SIZE, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
    sp_pack_reader_t reader = sp_pack_reader (too_long, sizeof too_long);
    sp_pack_get_string (&reader, text, sizeof text);
    assert_true (reader.bad);
    assert_string_equal (text, "");
    /* fewer bytes than the length says */
    memcpy (text, "old", 4);
    const unsigned char truncated[] = { 3, 'a', 'b' };
    reader = sp_pack_reader (truncated, sizeof truncated);
    sp_pack_get_string (&reader, text, sizeof text);
    assert_true (reader.bad);
    assert_string_equal (text, "");
    /* no length byte at all */
    memcpy (text, "old", 4);
    reader = sp_pack_reader (truncated, 0);
    sp_pack_get_string (&reader, text, sizeof text);
    assert_true (reader.bad);
    assert_string_equal (text, "");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_writer_layout),          cmocka_unit_test (test_writer_full),
        cmocka_unit_test (test_reader_round_trip),      cmocka_unit_test (test_reader_runs_out),
        cmocka_unit_test (test_reader_refuses_strings),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
