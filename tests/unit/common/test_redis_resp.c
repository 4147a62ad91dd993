/*  test_redis_resp - the wire form of a command (sp_redis_resp): exact
    bytes for known commands, binary and empty arguments, counts of more
    than one digit, and the size always equal to what is written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_redis_resp.h"

#define ARGS_MAX 1200

/* Writes argc arguments and checks the bytes against expected
   (expected_length bytes) and the size against the bytes written. */
static void
s_assert_wire (int argc, const char *const *argv, const size_t *lengths, const char *expected,
               size_t expected_length)
{
    size_t size = sp_redis_resp_size (argc, lengths);
    assert_int_equal (size, expected_length);
    char *buffer = malloc (size + 1);
    assert_non_null (buffer);
    buffer[size] = '#'; /* nothing written past the size */
    size_t written = sp_redis_resp_write (buffer, argc, argv, lengths);
    assert_int_equal (written, size);
    assert_memory_equal (buffer, expected, expected_length);
    assert_int_equal (buffer[size], '#');
    free (buffer);
}

static void
test_known_commands (void **state)
{
    (void) state;
    const char *get[] = { "GET", "key" };
    const size_t get_lengths[] = { 3, 3 };
    const char get_wire[] = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
    s_assert_wire (2, get, get_lengths, get_wire, sizeof get_wire - 1);

    const char *ping[] = { "PING" };
    const size_t ping_lengths[] = { 4 };
    const char ping_wire[] = "*1\r\n$4\r\nPING\r\n";
    s_assert_wire (1, ping, ping_lengths, ping_wire, sizeof ping_wire - 1);
}

/* Bytes are copied as they are: NULs, CR LF, 0xff; an empty argument
   is "$0\r\n\r\n". */
static void
test_binary_and_empty_arguments (void **state)
{
    (void) state;
    const char value[] = { 'a', '\0', '\r', '\n', (char) 0xff };
    const char *set[] = { "SET", "k", value, "" };
    const size_t lengths[] = { 3, 1, sizeof value, 0 };
    const char wire[] = "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0\r\n\xff\r\n$0\r\n\r\n";
    s_assert_wire (4, set, lengths, wire, sizeof wire - 1);
}

/* Counts and lengths of several digits (10, 100, 1,000 and more). */
static void
test_numbers_of_several_digits (void **state)
{
    (void) state;
    static const char *argv[ARGS_MAX];
    static size_t lengths[ARGS_MAX];
    char *long_value = malloc (12345);
    assert_non_null (long_value);
    memset (long_value, 'x', 12345);
    for (int argc = 1; argc <= ARGS_MAX; argc = argc < 20 ? argc + 1 : argc * 3) {
        for (int index = 0; index < argc; index++) {
            argv[index] = index % 7 == 3 ? long_value : "v";
            lengths[index] = index % 7 == 3 ? 12345 : 1;
        }
        /* the expected form, built with printf */
        size_t capacity = 64 + (size_t) argc * (12345 + 32);
        char *expected = malloc (capacity);
        assert_non_null (expected);
        size_t used = (size_t) snprintf (expected, capacity, "*%d\r\n", argc);
        for (int index = 0; index < argc; index++) {
            used += (size_t) snprintf (expected + used, capacity - used, "$%zu\r\n", lengths[index]);
            memcpy (expected + used, argv[index], lengths[index]);
            used += lengths[index];
            memcpy (expected + used, "\r\n", 2);
            used += 2;
        }
        s_assert_wire (argc, argv, lengths, expected, used);
        free (expected);
    }
    free (long_value);
}

/* A size that would not fit in a size_t is 0, not a wrapped number. */
static void
test_size_overflow (void **state)
{
    (void) state;
    const size_t lengths[] = { 3, SIZE_MAX - 4 };
    assert_int_equal (sp_redis_resp_size (2, lengths), 0);
    const size_t halves[] = { SIZE_MAX / 2, SIZE_MAX / 2 };
    assert_int_equal (sp_redis_resp_size (2, halves), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_known_commands),
        cmocka_unit_test (test_binary_and_empty_arguments),
        cmocka_unit_test (test_numbers_of_several_digits),
        cmocka_unit_test (test_size_overflow),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
