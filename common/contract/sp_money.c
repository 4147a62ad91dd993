/*  sp_money - exact money: ISO-4217 currencies and decimal text (see sp_money.h).

    The currency table is sorted by code and searched with bsearch. Parsing
    first checks the whole text against the grammar, then the number of
    decimals, and only then accumulates the value, checking before every
    multiplication that the result stays within SP_MONEY_MAX_MINOR; so a
    malformed text is reported as malformed even when it is also long.
*/
#include "sp_money.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SP_MONEY_CODE_LENGTH 3 /* letters in an ISO-4217 alphabetic code */
#define SP_MONEY_DECIMAL_BASE 10

/* One active ISO-4217 currency. */
typedef struct {
    char code[SP_MONEY_CODE_LENGTH + 1]; /* alphabetic code, e.g. "USD" */
    int decimals;                        /* digits of the minor unit: 0, 2, 3 or 4 */
} s_currency_t;

/* ISO 4217 list one (2025), codes with a minor unit, sorted by code. */
static const s_currency_t s_currencies[] = {
    { "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "ANG", 2 }, { "AOA", 2 },
    { "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 }, { "BAM", 2 }, { "BBD", 2 },
    { "BDT", 2 }, { "BGN", 2 }, { "BHD", 3 }, { "BIF", 0 }, { "BMD", 2 }, { "BND", 2 },
    { "BOB", 2 }, { "BOV", 2 }, { "BRL", 2 }, { "BSD", 2 }, { "BTN", 2 }, { "BWP", 2 },
    { "BYN", 2 }, { "BZD", 2 }, { "CAD", 2 }, { "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 },
    { "CHW", 2 }, { "CLF", 4 }, { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 }, { "COU", 2 },
    { "CRC", 2 }, { "CUC", 2 }, { "CUP", 2 }, { "CVE", 2 }, { "CZK", 2 }, { "DJF", 0 },
    { "DKK", 2 }, { "DOP", 2 }, { "DZD", 2 }, { "EGP", 2 }, { "ERN", 2 }, { "ETB", 2 },
    { "EUR", 2 }, { "FJD", 2 }, { "FKP", 2 }, { "GBP", 2 }, { "GEL", 2 }, { "GHS", 2 },
    { "GIP", 2 }, { "GMD", 2 }, { "GNF", 0 }, { "GTQ", 2 }, { "GYD", 2 }, { "HKD", 2 },
    { "HNL", 2 }, { "HTG", 2 }, { "HUF", 2 }, { "IDR", 2 }, { "ILS", 2 }, { "INR", 2 },
    { "IQD", 3 }, { "IRR", 2 }, { "ISK", 0 }, { "JMD", 2 }, { "JOD", 3 }, { "JPY", 0 },
    { "KES", 2 }, { "KGS", 2 }, { "KHR", 2 }, { "KMF", 0 }, { "KPW", 2 }, { "KRW", 0 },
    { "KWD", 3 }, { "KYD", 2 }, { "KZT", 2 }, { "LAK", 2 }, { "LBP", 2 }, { "LKR", 2 },
    { "LRD", 2 }, { "LSL", 2 }, { "LYD", 3 }, { "MAD", 2 }, { "MDL", 2 }, { "MGA", 2 },
    { "MKD", 2 }, { "MMK", 2 }, { "MNT", 2 }, { "MOP", 2 }, { "MRU", 2 }, { "MUR", 2 },
    { "MVR", 2 }, { "MWK", 2 }, { "MXN", 2 }, { "MXV", 2 }, { "MYR", 2 }, { "MZN", 2 },
    { "NAD", 2 }, { "NGN", 2 }, { "NIO", 2 }, { "NOK", 2 }, { "NPR", 2 }, { "NZD", 2 },
    { "OMR", 3 }, { "PAB", 2 }, { "PEN", 2 }, { "PGK", 2 }, { "PHP", 2 }, { "PKR", 2 },
    { "PLN", 2 }, { "PYG", 0 }, { "QAR", 2 }, { "RON", 2 }, { "RSD", 2 }, { "RUB", 2 },
    { "RWF", 0 }, { "SAR", 2 }, { "SBD", 2 }, { "SCR", 2 }, { "SDG", 2 }, { "SEK", 2 },
    { "SGD", 2 }, { "SHP", 2 }, { "SLE", 2 }, { "SLL", 2 }, { "SOS", 2 }, { "SRD", 2 },
    { "SSP", 2 }, { "STN", 2 }, { "SVC", 2 }, { "SYP", 2 }, { "SZL", 2 }, { "THB", 2 },
    { "TJS", 2 }, { "TMT", 2 }, { "TND", 3 }, { "TOP", 2 }, { "TRY", 2 }, { "TTD", 2 },
    { "TWD", 2 }, { "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 }, { "USD", 2 }, { "USN", 2 },
    { "UYI", 0 }, { "UYU", 2 }, { "UYW", 4 }, { "UZS", 2 }, { "VED", 2 }, { "VES", 2 },
    { "VND", 0 }, { "VUV", 0 }, { "WST", 2 }, { "XAF", 0 }, { "XCD", 2 }, { "XCG", 2 },
    { "XOF", 0 }, { "XPF", 0 }, { "YER", 2 }, { "ZAR", 2 }, { "ZMW", 2 }, { "ZWG", 2 },
};

#define SP_MONEY_CURRENCY_COUNT (sizeof s_currencies / sizeof s_currencies[0])

/* 10^n for n = 0..SP_MONEY_DECIMALS_MAX. */
static const int64_t s_powers_of_ten[SP_MONEY_DECIMALS_MAX + 1] = { 1, 10, 100, 1000, 10000 };

static int
s_compare_code (const void *key, const void *element)
{
    const s_currency_t *currency = (const s_currency_t *) element;
    return strcmp ((const char *) key, currency->code);
}

static int
s_is_ascii_digit (char c)
{
    return c >= '0' && c <= '9';
}

int
sp_money_currency_decimals (const char *currency)
{
    assert (currency);
    if (strlen (currency) != SP_MONEY_CODE_LENGTH)
        return -1;
    for (size_t i = 0; i < SP_MONEY_CODE_LENGTH; i++)
        if (currency[i] < 'A' || currency[i] > 'Z')
            return -1;
    const s_currency_t *found = (const s_currency_t *) bsearch (
        currency, s_currencies, SP_MONEY_CURRENCY_COUNT, sizeof s_currencies[0], s_compare_code);
    return found ? found->decimals : -1;
}

bool
sp_money_currency_valid (const char *currency)
{
    return sp_money_currency_decimals (currency) >= 0;
}

/* Adds one decimal digit to *value unless that would pass SP_MONEY_MAX_MINOR. */
static int
s_push_digit (int64_t *value, int digit)
{
    if (*value > (SP_MONEY_MAX_MINOR - digit) / SP_MONEY_DECIMAL_BASE)
        return -1;
    *value = *value * SP_MONEY_DECIMAL_BASE + digit;
    return 0;
}

sp_money_status_t
sp_money_parse_decimal (const char *text, int decimals, int64_t *value)
{
    assert (text);
    assert (value);
    assert (decimals >= 0 && decimals <= SP_MONEY_DECIMALS_MAX);
    if (*text == '\0')
        return SP_MONEY_EMPTY;

    //  Grammar: -?digits(.digits)?
    const char *cursor = text;
    bool negative = (*cursor == '-');
    if (negative)
        cursor++;
    const char *integer = cursor;
    while (s_is_ascii_digit (*cursor))
        cursor++;
    size_t integer_digits = (size_t) (cursor - integer);
    if (integer_digits == 0)
        return SP_MONEY_MALFORMED;
    const char *fraction = cursor;
    size_t fraction_digits = 0;
    if (*cursor == '.') {
        cursor++;
        fraction = cursor;
        while (s_is_ascii_digit (*cursor))
            cursor++;
        fraction_digits = (size_t) (cursor - fraction);
        if (fraction_digits == 0)
            return SP_MONEY_MALFORMED;
    }
    if (*cursor != '\0')
        return SP_MONEY_MALFORMED;
    if (fraction_digits > (size_t) decimals)
        return SP_MONEY_TOO_MANY_DECIMALS;

    //  Value, checked before every step
    int64_t result = 0;
    for (size_t i = 0; i < integer_digits; i++)
        if (s_push_digit (&result, integer[i] - '0'))
            return SP_MONEY_OUT_OF_RANGE;
    for (size_t i = 0; i < (size_t) decimals; i++) {
        int digit = i < fraction_digits ? fraction[i] - '0' : 0;
        if (s_push_digit (&result, digit))
            return SP_MONEY_OUT_OF_RANGE;
    }
    *value = negative ? -result : result;
    return SP_MONEY_OK;
}

sp_money_status_t
sp_money_parse (const char *text, const char *currency, int64_t *minor)
{
    assert (text);
    assert (minor);
    int decimals = sp_money_currency_decimals (currency);
    if (decimals < 0)
        return SP_MONEY_UNKNOWN_CURRENCY;
    return sp_money_parse_decimal (text, decimals, minor);
}

sp_money_status_t
sp_money_format_decimal (int64_t value, int decimals, char *buffer, size_t size)
{
    assert (buffer);
    assert (size >= SP_MONEY_TEXT_SIZE);
    assert (decimals >= 0 && decimals <= SP_MONEY_DECIMALS_MAX);
    buffer[0] = '\0';
    if (value > SP_MONEY_MAX_MINOR || value < -SP_MONEY_MAX_MINOR)
        return SP_MONEY_OUT_OF_RANGE;
    const char *sign = value < 0 ? "-" : "";
    int64_t magnitude = value < 0 ? -value : value;
    int64_t scale = s_powers_of_ten[decimals];
    if (decimals == 0)
        snprintf (buffer, size, "%s%" PRId64, sign, magnitude);
    else
        snprintf (buffer, size, "%s%" PRId64 ".%0*" PRId64, sign, magnitude / scale, decimals,
                  magnitude % scale);
    return SP_MONEY_OK;
}

sp_money_status_t
sp_money_format (int64_t minor, const char *currency, char *buffer, size_t size)
{
    assert (buffer);
    assert (size >= SP_MONEY_TEXT_SIZE);
    buffer[0] = '\0';
    int decimals = sp_money_currency_decimals (currency);
    if (decimals < 0)
        return SP_MONEY_UNKNOWN_CURRENCY;
    return sp_money_format_decimal (minor, decimals, buffer, size);
}

const char *
sp_money_status_text (sp_money_status_t status)
{
    switch (status) {
        case SP_MONEY_OK:
            return "ok";
        case SP_MONEY_EMPTY:
            return "empty amount";
        case SP_MONEY_MALFORMED:
            return "malformed amount";
        case SP_MONEY_TOO_MANY_DECIMALS:
            return "too many decimals";
        case SP_MONEY_OUT_OF_RANGE:
            return "amount out of range";
        case SP_MONEY_UNKNOWN_CURRENCY:
            return "unknown currency";
    }
    return "unknown status";
}
