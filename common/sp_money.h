/*  sp_money - exact money: ISO-4217 currencies and decimal text.

    Money is an int64 count of the currency's minor unit plus its ISO-4217
    code. Text is parsed and formatted with integer arithmetic only, never
    floating point, so "0.1" + "0.2" is exactly "0.3".

    Accepted text: optional leading '-', digits, optionally '.' and at most
    as many decimals as the currency has (USD 2, JPY 0, KWD 3). No '+',
    no spaces, no thousands separators, no exponent, no bare '.', no
    leading '.' or trailing '.'. Magnitude at most SP_MONEY_MAX_MINOR.
*/
#ifndef SP_MONEY_H_INCLUDED
#define SP_MONEY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest magnitude of an amount in minor units: 10^15 (ten trillion USD). */
#define SP_MONEY_MAX_MINOR INT64_C (1000000000000000)

/* Longest formatted amount including sign and NUL. */
#define SP_MONEY_TEXT_SIZE 32

typedef enum {
    SP_MONEY_OK = 0,
    SP_MONEY_EMPTY,            /* "" */
    SP_MONEY_MALFORMED,        /* not -?digits(.digits)? */
    SP_MONEY_TOO_MANY_DECIMALS,/* more decimals than the currency has */
    SP_MONEY_OUT_OF_RANGE,     /* magnitude above SP_MONEY_MAX_MINOR */
    SP_MONEY_UNKNOWN_CURRENCY, /* not an active ISO-4217 code */
} sp_money_status_t;

/* Number of minor-unit decimals of an ISO-4217 code (0, 2, 3 or 4), or -1
   when the code is not a known active code. Case-sensitive: "usd" is -1. */
int sp_money_currency_decimals (const char *currency);

/* True when the code is a known active ISO-4217 alphabetic code. */
bool sp_money_currency_valid (const char *currency);

/* Parses decimal text in major units, e.g. "-12.5" USD -> -1250. On error
   *minor is untouched. */
sp_money_status_t sp_money_parse (const char *text, const char *currency, int64_t *minor);

/* Formats minor units as decimal text with exactly the currency's number of
   decimals, e.g. -1250 USD -> "-12.50", 5 JPY -> "5", 1 KWD -> "0.001".
   Returns SP_MONEY_UNKNOWN_CURRENCY or SP_MONEY_OUT_OF_RANGE on bad input
   (buffer then holds ""). buffer must hold SP_MONEY_TEXT_SIZE bytes. */
sp_money_status_t sp_money_format (int64_t minor, const char *currency, char *buffer,
                                   size_t size);

/* Short lower-case description of a status, e.g. "too many decimals". */
const char *sp_money_status_text (sp_money_status_t status);

#endif
