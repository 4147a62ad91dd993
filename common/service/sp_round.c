/*  sp_round - rounding half away from zero (see sp_round.h). */
#include "sp_round.h"

#include <assert.h>

__int128
sp_round_divide (__int128 numerator, __int128 denominator)
{
    assert (denominator > 0);
    __int128 quotient = numerator / denominator;
    __int128 remainder = numerator % denominator;
    __int128 twice = remainder < 0 ? -2 * remainder : 2 * remainder;
    if (twice >= denominator)
        quotient += numerator < 0 ? -1 : 1;
    return quotient;
}
