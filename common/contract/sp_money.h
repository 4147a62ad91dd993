/*  sp_money - exact money: ISO-4217 currencies and decimal text.

    Money is an int64 count of the currency's minor unit plus its ISO-4217
    code. Text is parsed and formatted with integer arithmetic only, never
    floating point, so "0.1" + "0.2" is exactly "0.3".

    Accepted text: optional leading '-', one or more ASCII digits, then
    optionally '.' and one or more digits, at most as many as the currency
    has decimals (USD 2, JPY 0, KWD 3, CLF 4). No '+', no spaces, no
    thousands separators, no exponent, no bare '.', no leading '.' or
    trailing '.', no non-ASCII digits. Leading zeros are allowed ("007.50").
    "-0" and "-0.00" are accepted and mean 0 (an integer has no negative
    zero). Magnitude at most SP_MONEY_MAX_MINOR minor units.

    Currencies: the active codes of ISO 4217 list one (2025) that have a
    minor unit, including the fund codes (BOV, CHE, CHW, CLF, COU, MXV,
    USN, UYI, UYW). Codes without a minor unit (precious metals XAU XAG
    XPD XPT, XDR, XSU, XUA, the bond units XBA..XBD) and the codes for
    testing (XTS) and "no currency" (XXX) are refused: none of them is
    money a sales rep is paid in. Withdrawn codes (HRK, ZWL, ...) are
    refused too.
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

/* Most minor-unit decimals any currency has (CLF, UYW). */
#define SP_MONEY_DECIMALS_MAX 4

/* Outcome of a parse or format. */
typedef enum {
    SP_MONEY_OK = 0,            /* done */
    SP_MONEY_EMPTY,             /* "" */
    SP_MONEY_MALFORMED,         /* not -?digits(.digits)? */
    SP_MONEY_TOO_MANY_DECIMALS, /* more decimals than the currency has */
    SP_MONEY_OUT_OF_RANGE,      /* magnitude above SP_MONEY_MAX_MINOR */
    SP_MONEY_UNKNOWN_CURRENCY,  /* not an active ISO-4217 code */
} sp_money_status_t;

/* Number of minor-unit decimals of an ISO-4217 code (0, 2, 3 or 4), or -1
   when the code is not a known active code. Case-sensitive: "usd" is -1. */
int sp_money_currency_decimals (const char *currency);

/* True when the code is a known active ISO-4217 alphabetic code. */
bool sp_money_currency_valid (const char *currency);

/* Parses decimal text in major units, e.g. "-12.5" USD -> -1250. The
   output *minor is untouched on error. */
sp_money_status_t sp_money_parse (const char *text, const char *currency, int64_t *minor);

/* Formats minor units as decimal text with exactly the currency's number of
   decimals, e.g. -1250 USD -> "-12.50", 5 JPY -> "5", 1 KWD -> "0.001".
   Returns SP_MONEY_UNKNOWN_CURRENCY or SP_MONEY_OUT_OF_RANGE on bad input
   (buffer then holds ""). buffer must hold SP_MONEY_TEXT_SIZE bytes. */
sp_money_status_t sp_money_format (int64_t minor, const char *currency, char *buffer, size_t size);

/* Parses decimal text with a given number of decimals (0..SP_MONEY_DECIMALS_MAX)
   into an integer count of 10^-decimals units, with the same grammar and
   the same SP_MONEY_MAX_MINOR bound as sp_money_parse; e.g. "33.34" with 2
   decimals -> 3334. Used for percentages. On error *value is untouched. */
sp_money_status_t sp_money_parse_decimal (const char *text, int decimals, int64_t *value);

/* Formats an integer count of 10^-decimals units with exactly that many
   decimals, e.g. 3334 with 2 -> "33.34". SP_MONEY_OUT_OF_RANGE (buffer "")
   when the magnitude is above SP_MONEY_MAX_MINOR. buffer must hold
   SP_MONEY_TEXT_SIZE bytes. */
sp_money_status_t sp_money_format_decimal (int64_t value, int decimals, char *buffer, size_t size);

/* Short lower-case description of a status, e.g. "too many decimals". */
const char *sp_money_status_text (sp_money_status_t status);

#endif
