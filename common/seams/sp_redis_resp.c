/*  sp_redis_resp - a command in Redis's wire form (see sp_redis_resp.h). */
#include "sp_redis_resp.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#define S_DIGITS_MAX 20 /* decimal digits of a size_t */
#define S_FRAMING 5     /* "$" or "*", "\r\n" after the number, "\r\n" after the bytes */

/* Decimal digits of value. */
static size_t
s_digits (size_t value)
{
    size_t digits = 1;
    while (value >= 10) {
        value /= 10;
        digits++;
    }
    return digits;
}

/* Writes value in decimal at out; returns the digits written. */
static size_t
s_number (char *out, size_t value)
{
    char reversed[S_DIGITS_MAX];
    size_t count = 0;
    do {
        reversed[count++] = (char) ('0' + value % 10);
        value /= 10;
    } while (value > 0);
    for (size_t index = 0; index < count; index++)
        out[index] = reversed[count - 1 - index];
    return count;
}

size_t
sp_redis_resp_size (int argc, const size_t *lengths)
{
    assert (argc >= 1 && lengths);
    size_t total = 3 + s_digits ((size_t) argc); /* "*<argc>\r\n" */
    for (int index = 0; index < argc; index++) {
        size_t part = S_FRAMING + s_digits (lengths[index]);
        if (lengths[index] > SIZE_MAX - part || total > SIZE_MAX - part - lengths[index])
            return 0;
        total += part + lengths[index];
    }
    return total;
}

size_t
sp_redis_resp_write (char *buffer, int argc, const char *const *argv, const size_t *lengths)
{
    assert (buffer && argc >= 1 && argv && lengths);
    char *out = buffer;
    *out++ = '*';
    out += s_number (out, (size_t) argc);
    *out++ = '\r';
    *out++ = '\n';
    for (int index = 0; index < argc; index++) {
        *out++ = '$';
        out += s_number (out, lengths[index]);
        *out++ = '\r';
        *out++ = '\n';
        if (lengths[index] > 0)
            memcpy (out, argv[index], lengths[index]);
        out += lengths[index];
        *out++ = '\r';
        *out++ = '\n';
    }
    return (size_t) (out - buffer);
}
