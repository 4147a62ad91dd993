/*  test_money - sp_money: currencies, exact parse and format, every error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sp_money.h"

#define UNTOUCHED INT64_C (-777) /* sentinel: a failed parse must not write */

/* Parses text; on failure checks that the output kept its sentinel. */
static sp_money_status_t
s_parse (const char *text, const char *currency, int64_t *minor)
{
    *minor = UNTOUCHED;
    sp_money_status_t status = sp_money_parse (text, currency, minor);
    if (status != SP_MONEY_OK)
        assert_int_equal (*minor, UNTOUCHED);
    return status;
}

static void
test_currency_decimals (void **state)
{
    (void) state;
    assert_int_equal (sp_money_currency_decimals ("USD"), 2);
    assert_int_equal (sp_money_currency_decimals ("EUR"), 2);
    const char *zero[] = { "JPY", "KRW", "CLP", "ISK", "VND", "XAF", "XOF", "UGX", "PYG",
                           "BIF", "DJF", "GNF", "KMF", "RWF", "UYI", "VUV", "XPF" };
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
        assert_int_equal (sp_money_currency_decimals (zero[i]), 0);
    const char *three[] = { "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND" };
    for (size_t i = 0; i < sizeof three / sizeof three[0]; i++)
        assert_int_equal (sp_money_currency_decimals (three[i]), 3);
    assert_int_equal (sp_money_currency_decimals ("CLF"), 4);
    assert_int_equal (sp_money_currency_decimals ("UYW"), 4);
    //  First and last of the table, and recent codes
    assert_int_equal (sp_money_currency_decimals ("AED"), 2);
    assert_int_equal (sp_money_currency_decimals ("ZWG"), 2);
    assert_int_equal (sp_money_currency_decimals ("XCG"), 2);
    assert_int_equal (sp_money_currency_decimals ("SLE"), 2);
    assert_int_equal (sp_money_currency_decimals ("VED"), 2);
}

static void
test_currency_refused (void **state)
{
    (void) state;
    const char *refused[] = { "usd", "Usd", "US",  "USDX", "",    "XXX", "XTS",
                              "XAU", "XAG", "XPT", "XPD",  "XDR", "XSU", "XUA",
                              "XBA", "HRK", "ZWL", "AAA",  "ZZZ", "U$D", "US " };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal (sp_money_currency_decimals (refused[i]), -1);
        assert_false (sp_money_currency_valid (refused[i]));
    }
    assert_true (sp_money_currency_valid ("USD"));
    assert_true (sp_money_currency_valid ("JPY"));
}

static void
test_parse_two_decimals (void **state)
{
    (void) state;
    int64_t minor;
    assert_int_equal (s_parse ("1234.50", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 123450);
    assert_int_equal (s_parse ("12.5", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 1250);
    assert_int_equal (s_parse ("7", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 700);
    assert_int_equal (s_parse ("0.01", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 1);
    assert_int_equal (s_parse ("007.50", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 750);
}

static void
test_parse_negative_and_zero (void **state)
{
    (void) state;
    int64_t minor;
    assert_int_equal (s_parse ("-12.5", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, -1250);
    assert_int_equal (s_parse ("-0.01", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, -1);
    assert_int_equal (s_parse ("0", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 0);
    assert_int_equal (s_parse ("-0", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 0);
    assert_int_equal (s_parse ("0.00", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 0);
    assert_int_equal (s_parse ("-0.00", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 0);
}

static void
test_parse_zero_decimals (void **state)
{
    (void) state;
    int64_t minor;
    assert_int_equal (s_parse ("100", "JPY", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 100);
    assert_int_equal (s_parse ("-100", "JPY", &minor), SP_MONEY_OK);
    assert_int_equal (minor, -100);
    assert_int_equal (s_parse ("100.5", "JPY", &minor), SP_MONEY_TOO_MANY_DECIMALS);
    assert_int_equal (s_parse ("100.0", "JPY", &minor), SP_MONEY_TOO_MANY_DECIMALS);
    assert_int_equal (s_parse ("100.", "JPY", &minor), SP_MONEY_MALFORMED);
}

static void
test_parse_three_and_four_decimals (void **state)
{
    (void) state;
    int64_t minor;
    assert_int_equal (s_parse ("1.234", "KWD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 1234);
    assert_int_equal (s_parse ("1.2", "KWD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 1200);
    assert_int_equal (s_parse ("1.2345", "KWD", &minor), SP_MONEY_TOO_MANY_DECIMALS);
    assert_int_equal (s_parse ("1.2345", "CLF", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 12345);
    assert_int_equal (s_parse ("1.23456", "CLF", &minor), SP_MONEY_TOO_MANY_DECIMALS);
    assert_int_equal (s_parse ("1.230", "USD", &minor), SP_MONEY_TOO_MANY_DECIMALS);
}

static void
test_parse_malformed (void **state)
{
    (void) state;
    int64_t minor;
    assert_int_equal (s_parse ("", "USD", &minor), SP_MONEY_EMPTY);
    const char *malformed[] = { "-",
                                ".",
                                "1.",
                                ".5",
                                "+1",
                                " 1",
                                "1 ",
                                "1e3",
                                "1,000",
                                "0x10",
                                "--1",
                                "1.2.3",
                                "\xd9\xa1\xd9\xa2",
                                "1.-2",
                                "-.5",
                                "1..2",
                                "12a",
                                "a12",
                                "\xef\xbc\x91",
                                "- 1",
                                "1\t",
                                "∞" };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        assert_int_equal (s_parse (malformed[i], "USD", &minor), SP_MONEY_MALFORMED);
    //  Grammar is checked before decimals and range
    assert_int_equal (s_parse ("99999999999999999999.999x", "USD", &minor), SP_MONEY_MALFORMED);
}

static void
test_parse_range (void **state)
{
    (void) state;
    int64_t minor;
    //  Exactly the limit: 10^15 minor units = 10^13 USD
    assert_int_equal (s_parse ("10000000000000", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, SP_MONEY_MAX_MINOR);
    assert_int_equal (s_parse ("-10000000000000.00", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, -SP_MONEY_MAX_MINOR);
    assert_int_equal (s_parse ("1000000000000000", "JPY", &minor), SP_MONEY_OK);
    assert_int_equal (minor, SP_MONEY_MAX_MINOR);
    //  One minor unit more
    assert_int_equal (s_parse ("10000000000000.01", "USD", &minor), SP_MONEY_OUT_OF_RANGE);
    assert_int_equal (s_parse ("-10000000000000.01", "USD", &minor), SP_MONEY_OUT_OF_RANGE);
    assert_int_equal (s_parse ("1000000000000001", "JPY", &minor), SP_MONEY_OUT_OF_RANGE);
    assert_int_equal (s_parse ("100000000000.0001", "CLF", &minor), SP_MONEY_OUT_OF_RANGE);
    //  Values that would overflow int64 are caught before the multiplication
    assert_int_equal (s_parse ("9223372036854775807", "JPY", &minor), SP_MONEY_OUT_OF_RANGE);
    assert_int_equal (s_parse ("9223372036854775808", "JPY", &minor), SP_MONEY_OUT_OF_RANGE);
    assert_int_equal (s_parse ("99999999999999999999999999999", "USD", &minor),
                      SP_MONEY_OUT_OF_RANGE);
    assert_int_equal (s_parse ("-99999999999999999999999999999.99", "USD", &minor),
                      SP_MONEY_OUT_OF_RANGE);
    //  Many leading zeros are fine
    assert_int_equal (s_parse ("0000000000000000000000000001.00", "USD", &minor), SP_MONEY_OK);
    assert_int_equal (minor, 100);
}

static void
test_parse_unknown_currency (void **state)
{
    (void) state;
    int64_t minor;
    assert_int_equal (s_parse ("1.00", "usd", &minor), SP_MONEY_UNKNOWN_CURRENCY);
    assert_int_equal (s_parse ("1.00", "XXX", &minor), SP_MONEY_UNKNOWN_CURRENCY);
    assert_int_equal (s_parse ("1.00", "XTS", &minor), SP_MONEY_UNKNOWN_CURRENCY);
    assert_int_equal (s_parse ("1.00", "", &minor), SP_MONEY_UNKNOWN_CURRENCY);
    //  The currency is judged before the text
    assert_int_equal (s_parse ("junk", "usd", &minor), SP_MONEY_UNKNOWN_CURRENCY);
}

static void
test_parse_decimal (void **state)
{
    (void) state;
    int64_t value = UNTOUCHED;
    assert_int_equal (sp_money_parse_decimal ("33.34", 2, &value), SP_MONEY_OK);
    assert_int_equal (value, 3334);
    assert_int_equal (sp_money_parse_decimal ("60", 2, &value), SP_MONEY_OK);
    assert_int_equal (value, 6000);
    assert_int_equal (sp_money_parse_decimal ("5", 0, &value), SP_MONEY_OK);
    assert_int_equal (value, 5);
    value = UNTOUCHED;
    assert_int_equal (sp_money_parse_decimal ("33.333", 2, &value), SP_MONEY_TOO_MANY_DECIMALS);
    assert_int_equal (sp_money_parse_decimal ("", 2, &value), SP_MONEY_EMPTY);
    assert_int_equal (sp_money_parse_decimal ("x", 2, &value), SP_MONEY_MALFORMED);
    assert_int_equal (sp_money_parse_decimal ("1000000000000001", 0, &value),
                      SP_MONEY_OUT_OF_RANGE);
    assert_int_equal (value, UNTOUCHED);
}

static void
test_format (void **state)
{
    (void) state;
    char text[SP_MONEY_TEXT_SIZE];
    assert_int_equal (sp_money_format (-1250, "USD", text, sizeof text), SP_MONEY_OK);
    assert_string_equal (text, "-12.50");
    assert_int_equal (sp_money_format (5, "JPY", text, sizeof text), SP_MONEY_OK);
    assert_string_equal (text, "5");
    assert_int_equal (sp_money_format (-5, "JPY", text, sizeof text), SP_MONEY_OK);
    assert_string_equal (text, "-5");
    assert_int_equal (sp_money_format (1, "KWD", text, sizeof text), SP_MONEY_OK);
    assert_string_equal (text, "0.001");
    assert_int_equal (sp_money_format (-5, "USD", text, sizeof text), SP_MONEY_OK);
    assert_string_equal (text, "-0.05");
    assert_int_equal (sp_money_format (0, "USD", text, sizeof text), SP_MONEY_OK);
    assert_string_equal (text, "0.00");
    assert_int_equal (sp_money_format (12345, "CLF", text, sizeof text), SP_MONEY_OK);
    assert_string_equal (text, "1.2345");
    assert_int_equal (sp_money_format (SP_MONEY_MAX_MINOR, "USD", text, sizeof text), SP_MONEY_OK);
    assert_string_equal (text, "10000000000000.00");
    assert_int_equal (sp_money_format (-SP_MONEY_MAX_MINOR, "CLF", text, sizeof text), SP_MONEY_OK);
    assert_string_equal (text, "-100000000000.0000");
}

static void
test_format_errors (void **state)
{
    (void) state;
    char text[SP_MONEY_TEXT_SIZE] = "sentinel";
    assert_int_equal (sp_money_format (100, "usd", text, sizeof text), SP_MONEY_UNKNOWN_CURRENCY);
    assert_string_equal (text, "");
    memcpy (text, "sentinel", sizeof "sentinel");
    assert_int_equal (sp_money_format (SP_MONEY_MAX_MINOR + 1, "USD", text, sizeof text),
                      SP_MONEY_OUT_OF_RANGE);
    assert_string_equal (text, "");
    assert_int_equal (sp_money_format (INT64_MIN, "USD", text, sizeof text), SP_MONEY_OUT_OF_RANGE);
    assert_string_equal (text, "");
    assert_int_equal (sp_money_format_decimal (INT64_MAX, 2, text, sizeof text),
                      SP_MONEY_OUT_OF_RANGE);
    assert_string_equal (text, "");
}

static void
test_format_decimal (void **state)
{
    (void) state;
    char text[SP_MONEY_TEXT_SIZE];
    assert_int_equal (sp_money_format_decimal (3334, 2, text, sizeof text), SP_MONEY_OK);
    assert_string_equal (text, "33.34");
    assert_int_equal (sp_money_format_decimal (7, 0, text, sizeof text), SP_MONEY_OK);
    assert_string_equal (text, "7");
}

/* Every value formats and parses back to itself, in every decimal count. */
static void
test_round_trip (void **state)
{
    (void) state;
    const char *currencies[] = { "JPY", "USD", "KWD", "CLF" };
    const int64_t values[] = { 0,
                               1,
                               -1,
                               9,
                               10,
                               99,
                               100,
                               101,
                               1234,
                               -1234,
                               123456789,
                               SP_MONEY_MAX_MINOR,
                               -SP_MONEY_MAX_MINOR,
                               SP_MONEY_MAX_MINOR - 1 };
    for (size_t c = 0; c < sizeof currencies / sizeof currencies[0]; c++) {
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            char text[SP_MONEY_TEXT_SIZE];
            assert_int_equal (sp_money_format (values[v], currencies[c], text, sizeof text),
                              SP_MONEY_OK);
            int64_t back;
            assert_int_equal (s_parse (text, currencies[c], &back), SP_MONEY_OK);
            assert_int_equal (back, values[v]);
        }
    }
    //  Text that is already canonical comes back unchanged
    const char *canonical[] = { "0.00", "-0.05", "12.34", "10000000000000.00" };
    for (size_t i = 0; i < sizeof canonical / sizeof canonical[0]; i++) {
        int64_t minor;
        char text[SP_MONEY_TEXT_SIZE];
        assert_int_equal (s_parse (canonical[i], "USD", &minor), SP_MONEY_OK);
        assert_int_equal (sp_money_format (minor, "USD", text, sizeof text), SP_MONEY_OK);
        assert_string_equal (text, canonical[i]);
    }
}

static void
test_status_text (void **state)
{
    (void) state;
    assert_string_equal (sp_money_status_text (SP_MONEY_OK), "ok");
    assert_string_equal (sp_money_status_text (SP_MONEY_EMPTY), "empty amount");
    assert_string_equal (sp_money_status_text (SP_MONEY_MALFORMED), "malformed amount");
    assert_string_equal (sp_money_status_text (SP_MONEY_TOO_MANY_DECIMALS), "too many decimals");
    assert_string_equal (sp_money_status_text (SP_MONEY_OUT_OF_RANGE), "amount out of range");
    assert_string_equal (sp_money_status_text (SP_MONEY_UNKNOWN_CURRENCY), "unknown currency");
    assert_string_equal (sp_money_status_text ((sp_money_status_t) 99), "unknown status");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_currency_decimals),
        cmocka_unit_test (test_currency_refused),
        cmocka_unit_test (test_parse_two_decimals),
        cmocka_unit_test (test_parse_negative_and_zero),
        cmocka_unit_test (test_parse_zero_decimals),
        cmocka_unit_test (test_parse_three_and_four_decimals),
        cmocka_unit_test (test_parse_malformed),
        cmocka_unit_test (test_parse_range),
        cmocka_unit_test (test_parse_unknown_currency),
        cmocka_unit_test (test_parse_decimal),
        cmocka_unit_test (test_format),
        cmocka_unit_test (test_format_errors),
        cmocka_unit_test (test_format_decimal),
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_status_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
