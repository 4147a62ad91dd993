/*  sp_redis_resp - a command in Redis's wire form (see sp_redis_resp.h). */
#include "sp_redis_resp.h"

#include "sp_decimal.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#define S_FRAMING 5     /* "$" or "*", "\r\n" after the number, "\r\n" after the bytes */

size_t
sp_redis_resp_size (int argc, const size_t *lengths)
{
    assert (argc >= 1 && lengths);
    size_t total = 3 + sp_decimal_digits ((size_t) argc); /* "*<argc>\r\n" */
    for (int index = 0; index < argc; index++) {
        size_t part = S_FRAMING + sp_decimal_digits (lengths[index]);
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
    out += sp_decimal_write (out, (size_t) argc);
    *out++ = '\r';
    *out++ = '\n';
    for (int index = 0; index < argc; index++) {
        *out++ = '$';
        out += sp_decimal_write (out, lengths[index]);
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
