/*  sp_round - the one rounding rule of Salespulse's exact arithmetic:
    a quotient rounded half away from zero, on 128-bit integers (money in
    minor units times rates, shares and days never overflow there). Every
    service that divides exactly (commission lines, credit splits, health
    scores, pace projections) rounds with it, so the rule is written once.
    Pure: no I/O.
*/
#ifndef SP_ROUND_H_INCLUDED
#define SP_ROUND_H_INCLUDED

/* numerator ÷ denominator (denominator > 0, asserted), rounded half away
   from zero: 5 ÷ 2 = 3, -5 ÷ 2 = -3, 4 ÷ 3 = 1. */
__int128 sp_round_divide (__int128 numerator, __int128 denominator);

#endif
