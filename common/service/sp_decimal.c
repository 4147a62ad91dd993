/*  sp_decimal - an unsigned integer in decimal (see sp_decimal.h). */
#include "sp_decimal.h"

#include <assert.h>

size_t
sp_decimal_digits (uint64_t value)
{
    size_t digits = 1;
    while (value >= 10) {
        value /= 10;
        digits++;
    }
    return digits;
}

size_t
sp_decimal_write (char *out, uint64_t value)
{
    assert (out);
    char reversed[SP_DECIMAL_MAX];
    size_t count = 0;
    do {
        reversed[count++] = (char) ('0' + value % 10);
        value /= 10;
    } while (value);
    for (size_t index = 0; index < count; index++)
        out[index] = reversed[count - 1 - index];
    return count;
}
