/*  test_event_support - sp_event's names, UTF-8 check and helpers (error
    text, quoting, RFC 3339 time, building events); the validation rules
    are in test_event.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_event.h"

#define OCCURRED_AT INT64_C (1493805600000) /* 2017-05-03T10:00:00Z */
#define LONG_TEXT_SIZE 300                  /* longer than every limit */
#define ERROR_FILL 0xAB                     /* pattern of an untouched error */

#define R(name) SALESPULSE__REJECT_REASON__REJECT_REASON_##name
#define T(name) SALESPULSE__EVENT_TYPE__EVENT_TYPE_##name

// ---------------------------------------------------------------- names

static void
test_type_names (void **state)
{
    (void) state;
    const char *names[] = { NULL,
                            "lead_created",
                            "stage_changed",
                            "visit_planned",
                            "visit_completed",
                            "call",
                            "demo",
                            "quote_sent",
                            "deal_won",
                            "deal_lost",
                            "deal_cancelled",
                            "order_placed",
                            "payment_received",
                            "complaint",
                            "survey" };
    for (int type = 1; type <= T (SURVEY); type++) {
        assert_string_equal (sp_event_type_name ((Salespulse__EventType) type), names[type]);
        assert_int_equal (sp_event_type_from_name (names[type]), type);
        assert_int_not_equal (sp_event_body_case ((Salespulse__EventType) type),
                              SALESPULSE__SALES_EVENT__BODY__NOT_SET);
    }
    assert_null (sp_event_type_name (T (UNSPECIFIED)));
    assert_null (sp_event_type_name ((Salespulse__EventType) 15));
    assert_null (sp_event_type_name ((Salespulse__EventType) -1));
    assert_int_equal (sp_event_type_from_name ("DEAL_WON"), T (UNSPECIFIED));
    assert_int_equal (sp_event_type_from_name (""), T (UNSPECIFIED));
    assert_int_equal (sp_event_type_from_name ("deal_won "), T (UNSPECIFIED));
    assert_int_equal (sp_event_body_case (T (DEAL_WON)), SALESPULSE__SALES_EVENT__BODY_DEAL_WON);
    assert_int_equal (sp_event_body_case (T (SURVEY)), SALESPULSE__SALES_EVENT__BODY_SURVEY);
    assert_int_equal (sp_event_body_case (T (UNSPECIFIED)), SALESPULSE__SALES_EVENT__BODY__NOT_SET);
    assert_int_equal (sp_event_body_case ((Salespulse__EventType) 99),
                      SALESPULSE__SALES_EVENT__BODY__NOT_SET);
}

static void
test_reason_names (void **state)
{
    (void) state;
    assert_string_equal (sp_event_reason_name (R (UNSPECIFIED)), "unspecified");
    assert_string_equal (sp_event_reason_name (R (MISSING_FIELD)), "missing_field");
    assert_string_equal (sp_event_reason_name (R (WRONG_TYPE)), "wrong_type");
    assert_string_equal (sp_event_reason_name (R (UNKNOWN_TYPE)), "unknown_type");
    assert_string_equal (sp_event_reason_name (R (UNKNOWN_FIELD)), "unknown_field");
    assert_string_equal (sp_event_reason_name (R (INVALID_UTF8)), "invalid_utf8");
    assert_string_equal (sp_event_reason_name (R (TOO_LONG)), "too_long");
    assert_string_equal (sp_event_reason_name (R (BAD_CHARSET)), "bad_charset");
    assert_string_equal (sp_event_reason_name (R (BAD_CURRENCY)), "bad_currency");
    assert_string_equal (sp_event_reason_name (R (BAD_AMOUNT)), "bad_amount");
    assert_string_equal (sp_event_reason_name (R (OUT_OF_RANGE)), "out_of_range");
    assert_string_equal (sp_event_reason_name (R (NEGATIVE)), "negative");
    assert_string_equal (sp_event_reason_name (R (BAD_TIME)), "bad_time");
    assert_string_equal (sp_event_reason_name (R (TIME_OUT_OF_WINDOW)), "time_out_of_window");
    assert_string_equal (sp_event_reason_name (R (BAD_SPLITS)), "bad_splits");
    assert_string_equal (sp_event_reason_name (R (BODY_MISMATCH)), "body_mismatch");
    assert_string_equal (sp_event_reason_name (R (MALFORMED)), "malformed");
    assert_string_equal (sp_event_reason_name (R (CONFLICTING_FIELDS)), "conflicting_fields");
    assert_string_equal (sp_event_reason_name (R (SOURCE_NOT_ALLOWED)), "source_not_allowed");
    assert_string_equal (sp_event_reason_name ((sp_event_reason_t) 19), "unknown");
    assert_string_equal (sp_event_reason_name ((sp_event_reason_t) -1), "unknown");
}

// ---------------------------------------------------------------- UTF-8

static void
test_utf8 (void **state)
{
    (void) state;
    const char *valid[] = { "",
                            "abc",
                            "caf\xc3\xa9",
                            "\xe2\x82\xac",
                            "\xf0\x9f\x98\x80",
                            "\xf4\x8f\xbf\xbf",
                            "\xed\x9f\xbf",
                            "\xc2\x80" };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        assert_true (sp_event_utf8_valid (valid[i], strlen (valid[i])));
        assert_int_equal (sp_event_utf8_prefix (valid[i], strlen (valid[i])), strlen (valid[i]));
    }
    const struct {
        const char *text; /* bytes */
        size_t prefix;    /* valid prefix */
    } invalid[] = {
        { "\xc0\x80", 0 },         //  overlong NUL
        { "\xc1\xbf", 0 },         //  overlong
        { "\xe0\x80\x80", 0 },     //  overlong 3-byte
        { "\xf0\x80\x80\x80", 0 }, //  overlong 4-byte
        { "\xed\xa0\x80", 0 },     //  UTF-16 surrogate
        { "\xf4\x90\x80\x80", 0 }, //  above U+10FFFF
        { "\xf5\x80\x80\x80", 0 }, //  not a lead byte
        { "\xff", 0 },
        { "ab\x80", 2 },     //  lone continuation
        { "ab\xc3", 2 },     //  truncated at the end
        { "ab\xe2\x82", 2 }, //  truncated 3-byte
        { "ab\xc3(", 2 },    //  bad continuation
        { "x\xe2\x28\xa1", 1 },
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        size_t length = strlen (invalid[i].text);
        assert_false (sp_event_utf8_valid (invalid[i].text, length));
        assert_int_equal (sp_event_utf8_prefix (invalid[i].text, length), invalid[i].prefix);
    }
    //  NUL is UTF-8 but not allowed in a C string field
    assert_false (sp_event_utf8_valid ("a\0b", 3));
    assert_int_equal (sp_event_utf8_prefix ("a\0b", 3), 3);
    assert_true (sp_event_utf8_valid (NULL, 0));
}

// ---------------------------------------------------------------- helpers

static void
test_error_set (void **state)
{
    (void) state;
    sp_event_error_t error;
    sp_event_error_set (&error, "rep_id", R (TOO_LONG), "longer than %d bytes", 64);
    assert_string_equal (error.field, "rep_id");
    assert_int_equal (error.reason, R (TOO_LONG));
    assert_string_equal (error.message, "field \"rep_id\": longer than 64 bytes");
    sp_event_error_set (&error, "", R (MALFORMED), "invalid JSON at line %d", 3);
    assert_string_equal (error.field, "");
    assert_string_equal (error.message, "invalid JSON at line 3");
    //  Too long for the buffers: cut, still terminated
    char longer[LONG_TEXT_SIZE];
    memset (longer, 'y', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    sp_event_error_set (&error, longer, R (UNKNOWN_FIELD), "%s", longer);
    assert_int_equal (strlen (error.field), SP_EVENT_FIELD_SIZE - 1);
    assert_int_equal (strlen (error.message), SP_EVENT_MESSAGE_SIZE - 1);
    //  NULL error: nothing happens
    sp_event_error_set (NULL, "x", R (MALFORMED), "ignored");
}

static void
test_quote (void **state)
{
    (void) state;
    char buffer[SP_EVENT_QUOTE_SIZE];
    assert_string_equal (sp_event_quote ("caf\xc3\xa9", 5, buffer, sizeof buffer), "caf\xc3\xa9");
    assert_string_equal (sp_event_quote ("a\nb", 3, buffer, sizeof buffer), "a\\x0Ab");
    assert_string_equal (sp_event_quote ("a\xff"
                                         "b",
                                         3, buffer, sizeof buffer),
                         "a\\xFFb");
    assert_string_equal (sp_event_quote ("a\0b", 3, buffer, sizeof buffer), "a\\x00b");
    assert_string_equal (sp_event_quote ("", 0, buffer, sizeof buffer), "");
    char longer[LONG_TEXT_SIZE];
    memset (longer, 'z', sizeof longer);
    sp_event_quote (longer, sizeof longer, buffer, sizeof buffer);
    assert_int_equal (strlen (buffer), SP_EVENT_QUOTE_SIZE - 1);
    assert_string_equal (buffer + SP_EVENT_QUOTE_SIZE - 4, "...");
    //  A multi-byte character is never cut in the middle
    char euros[LONG_TEXT_SIZE];
    size_t used = 0;
    while (used + 3 < sizeof euros) {
        memcpy (euros + used, "\xe2\x82\xac", 3);
        used += 3;
    }
    sp_event_quote (euros, used, buffer, sizeof buffer);
    size_t length = strlen (buffer);
    assert_true (sp_event_utf8_valid (buffer, length));
    assert_string_equal (buffer + length - 3, "...");
}

static void
test_time_format (void **state)
{
    (void) state;
    char text[SP_EVENT_TIME_TEXT_SIZE];
    assert_int_equal (sp_event_time_format (0, text, sizeof text), 0);
    assert_string_equal (text, "1970-01-01T00:00:00.000Z");
    assert_int_equal (sp_event_time_format (OCCURRED_AT + 250, text, sizeof text), 0);
    assert_string_equal (text, "2017-05-03T10:00:00.250Z");
    assert_int_equal (sp_event_time_format (951782400000, text, sizeof text), 0);
    assert_string_equal (text, "2000-02-29T00:00:00.000Z");
    assert_int_equal (sp_event_time_format (SP_EVENT_TIME_MAX, text, sizeof text), 0);
    assert_string_equal (text, "9999-12-31T23:59:59.999Z");
    assert_int_equal (sp_event_time_format (-1, text, sizeof text), -1);
    assert_string_equal (text, "");
    assert_int_equal (sp_event_time_format (SP_EVENT_TIME_MAX + 1, text, sizeof text), -1);
    assert_string_equal (text, "");
}

static void
test_time_parse (void **state)
{
    (void) state;
    int64_t ms = -7;
    assert_int_equal (sp_event_time_parse ("2017-05-03T12:00:00.250+02:00", &ms), 0);
    assert_int_equal (ms, OCCURRED_AT + 250);
    assert_int_equal (sp_event_time_parse ("1970-01-01T00:00:00Z", &ms), 0);
    assert_int_equal (ms, 0);
    //  Not range-checked: the caller decides
    assert_int_equal (sp_event_time_parse ("1969-12-31T23:59:59.999Z", &ms), 0);
    assert_int_equal (ms, -1);
    assert_int_equal (sp_event_time_parse ("0000-03-01T00:00:00Z", &ms), 0);
    assert_int_equal (ms, INT64_C (-62162035200000));
    assert_int_equal (sp_event_time_parse ("9999-12-31T23:59:59.999Z", &ms), 0);
    assert_int_equal (ms, SP_EVENT_TIME_MAX);
    //  Every formatted time parses back
    const int64_t times[] = { 1, OCCURRED_AT, 951782400000, SP_EVENT_TIME_MAX, 4102444799999 };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char text[SP_EVENT_TIME_TEXT_SIZE];
        assert_int_equal (sp_event_time_format (times[i], text, sizeof text), 0);
        assert_int_equal (sp_event_time_parse (text, &ms), 0);
        assert_int_equal (ms, times[i]);
    }
    ms = -7;
    const char *bad[] = { "",
                          "2017",
                          "2017-05-03T10:00",
                          "2017-05-03T10:00:00",
                          "2017-02-29T00:00:00Z",
                          "2017-05-03T10:00:60Z",
                          "2017-05-03T10:00:00+02",
                          "2017-05-03T10:00:00.Z",
                          "2017-05-03T10:00:00+02:60",
                          "2017-05-03T10:00:00Z ",
                          "2017-05-03T1:00:00Z" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal (sp_event_time_parse (bad[i], &ms), -1);
    assert_int_equal (ms, -7);
}

static void
test_new_set_string_destroy (void **state)
{
    (void) state;
    for (int type = 1; type <= T (SURVEY); type++) {
        sp_event_t *event = sp_event_new ((Salespulse__EventType) type);
        assert_non_null (event);
        assert_int_equal (event->type, type);
        assert_int_equal (event->body_case, sp_event_body_case ((Salespulse__EventType) type));
        assert_non_null (event->lead_created);
        assert_string_equal (event->event_id, "");
        assert_int_equal (sp_event_set_string (&event->event_id, "evt-1", 5), 0);
        assert_int_equal (sp_event_set_string (&event->event_id, "evt-22", 6), 0);
        assert_string_equal (event->event_id, "evt-22");
        assert_int_equal (sp_event_set_string (&event->event_id, "", 0), 0);
        assert_ptr_equal (event->event_id, protobuf_c_empty_string);
        //  Only length bytes are copied
        assert_int_equal (sp_event_set_string (&event->source, "crm-and-more", 3), 0);
        assert_string_equal (event->source, "crm");
        //  Packs, unpacks and frees like protobuf-c's own messages
        size_t size = salespulse__sales_event__get_packed_size (event);
        uint8_t *packed = malloc (size + 1);
        assert_non_null (packed);
        salespulse__sales_event__pack (event, packed);
        sp_event_t *copy = salespulse__sales_event__unpack (NULL, size, packed);
        assert_non_null (copy);
        assert_int_equal (copy->body_case, event->body_case);
        assert_string_equal (copy->source, "crm");
        free (packed);
        sp_event_destroy (&copy);
        assert_null (copy);
        sp_event_destroy (&event);
        assert_null (event);
    }
    sp_event_t *none = NULL;
    sp_event_destroy (&none);
    assert_null (none);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_type_names),
        cmocka_unit_test (test_reason_names),
        cmocka_unit_test (test_utf8),
        cmocka_unit_test (test_error_set),
        cmocka_unit_test (test_quote),
        cmocka_unit_test (test_time_format),
        cmocka_unit_test (test_time_parse),
        cmocka_unit_test (test_new_set_string_destroy),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
