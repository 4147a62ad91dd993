/*  test_log - structured log records (sp_log): logfmt and JSON layout, and
    the normalisation of the caller's fields, above all quoted values that
    themselves contain double quotes. Records are captured with
    sp_log_set_stream and compared whole, without the ts value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sp_log.h"

#define TEST_SERVICE "test-log"     /* service= of the captured records */
#define TEST_MESSAGE "test message" /* msg= of the records s_expect writes */
#define TEST_TIMESTAMP_LENGTH 24    /* "2024-05-01T12:00:00.000Z" */
#define TEST_RECORD_MAX 4096        /* SP_LOG_RECORD_MAX in sp_log.c */
#define TEST_LONG_VALUE 5000        /* bytes of a value that cannot fit a record */
#define TEST_LOGFMT_HEAD "level=info service=" TEST_SERVICE " msg=\"" TEST_MESSAGE "\""
#define TEST_JSON_HEAD                                                                             \
    "\"level\":\"info\",\"service\":\"" TEST_SERVICE "\",\"msg\":\"" TEST_MESSAGE "\""

/* Records written to memory between s_capture_start and s_capture_stop. */
typedef struct {
    FILE *stream; /* memory stream given to sp_log */
    char *text;   /* its contents, owned here */
    size_t size;  /* their length */
} capture_t;

static void
s_capture_start (capture_t *capture, sp_log_format_t format)
{
    capture->text = NULL;
    capture->size = 0;
    capture->stream = open_memstream (&capture->text, &capture->size);
    assert_non_null (capture->stream);
    sp_log_init (TEST_SERVICE, SP_LOG_DEBUG, format);
    sp_log_set_stream (capture->stream);
}

static void
s_capture_stop (capture_t *capture)
{
    sp_log_set_stream (NULL);
    assert_int_equal (fclose (capture->stream), 0);
    capture->stream = NULL;
}

/* Asserts text is one record, in format, equal to expected once the ts
   member is taken off: expected starts at level and ends with "\n". */
static void
s_assert_record (const char *text, sp_log_format_t format, const char *expected)
{
    assert_non_null (text);
    assert_true (strchr (text, '\n') == text + strlen (text) - 1);
    const char *head = format == SP_LOG_FORMAT_JSON ? "{\"ts\":\"" : "ts=";
    const char *tail = format == SP_LOG_FORMAT_JSON ? "\"," : " ";
    assert_int_equal (strncmp (text, head, strlen (head)), 0);
    const char *timestamp = text + strlen (head);
    assert_true (strlen (timestamp) > TEST_TIMESTAMP_LENGTH);
    assert_int_equal (timestamp[TEST_TIMESTAMP_LENGTH - 1], 'Z');
    const char *rest = timestamp + TEST_TIMESTAMP_LENGTH;
    assert_int_equal (strncmp (rest, tail, strlen (tail)), 0);
    assert_string_equal (rest + strlen (tail), expected);
}

/* Logs fields (already formatted) at info and checks the record. */
static void
s_expect (sp_log_format_t format, const char *fields, const char *expected)
{
    capture_t capture;
    s_capture_start (&capture, format);
    sp_log_info (TEST_MESSAGE, "%s", fields);
    s_capture_stop (&capture);
    s_assert_record (capture.text, format, expected);
    free (capture.text);
}

static void
s_expect_logfmt (const char *fields, const char *expected_fields)
{
    char expected[TEST_RECORD_MAX];
    snprintf (expected, sizeof expected, "%s%s\n", TEST_LOGFMT_HEAD, expected_fields);
    s_expect (SP_LOG_FORMAT_LOGFMT, fields, expected);
}

static void
s_expect_json (const char *fields, const char *expected_members)
{
    char expected[TEST_RECORD_MAX];
    snprintf (expected, sizeof expected, "%s%s}\n", TEST_JSON_HEAD, expected_members);
    s_expect (SP_LOG_FORMAT_JSON, fields, expected);
}

static void
test_plain_pairs (void **state)
{
    (void) state;
    capture_t capture;
    s_capture_start (&capture, SP_LOG_FORMAT_LOGFMT);
    sp_log_warn ("could not apply events", "partition=%u topic=%s error=\"%s\"", 7u, "events",
                 "timeout");
    s_capture_stop (&capture);
    s_assert_record (capture.text, SP_LOG_FORMAT_LOGFMT,
                     "level=warn service=" TEST_SERVICE " msg=\"could not apply events\" "
                     "partition=7 topic=events error=\"timeout\"\n");
    free (capture.text);

    s_capture_start (&capture, SP_LOG_FORMAT_JSON);
    sp_log_warn ("could not apply events", "partition=%u topic=%s error=\"%s\"", 7u, "events",
                 "timeout");
    s_capture_stop (&capture);
    s_assert_record (capture.text, SP_LOG_FORMAT_JSON,
                     "\"level\":\"warn\",\"service\":\"" TEST_SERVICE
                     "\",\"msg\":\"could not apply events\","
                     "\"partition\":7,\"topic\":\"events\",\"error\":\"timeout\"}\n");
    free (capture.text);

    /* Extra spaces between pairs collapse to one. */
    s_expect_logfmt ("  a=1   b=two  ", " a=1 b=two");
    s_expect_json ("  a=1   b=two  ", ",\"a\":1,\"b\":\"two\"");
}

/* The record that motivated the normalisation: an error text quoting an id. */
static void
test_quoted_value_with_inner_quotes (void **state)
{
    (void) state;
    const char *error = "event \"crm:visit:77\" refused on purpose (--fail-event-id)";
    capture_t capture;
    s_capture_start (&capture, SP_LOG_FORMAT_LOGFMT);
    sp_log_error ("event quarantined after repeated handler failures",
                  "partition=%u sequence=%d event_id=\"%s\" attempts=%d error=\"%s\"", 7u, 2,
                  "crm:visit:77", 3, error);
    s_capture_stop (&capture);
    s_assert_record (capture.text, SP_LOG_FORMAT_LOGFMT,
                     "level=error service=" TEST_SERVICE
                     " msg=\"event quarantined after repeated handler failures\" partition=7 "
                     "sequence=2 event_id=\"crm:visit:77\" attempts=3 error=\"event "
                     "\\\"crm:visit:77\\\" refused on purpose (--fail-event-id)\"\n");
    free (capture.text);

    s_capture_start (&capture, SP_LOG_FORMAT_JSON);
    sp_log_error ("event quarantined after repeated handler failures",
                  "partition=%u sequence=%d event_id=\"%s\" attempts=%d error=\"%s\"", 7u, 2,
                  "crm:visit:77", 3, error);
    s_capture_stop (&capture);
    s_assert_record (capture.text, SP_LOG_FORMAT_JSON,
                     "\"level\":\"error\",\"service\":\"" TEST_SERVICE
                     "\",\"msg\":\"event quarantined after repeated handler failures\","
                     "\"partition\":7,\"sequence\":2,\"event_id\":\"crm:visit:77\","
                     "\"attempts\":3,\"error\":\"event \\\"crm:visit:77\\\" refused on purpose "
                     "(--fail-event-id)\"}\n");
    free (capture.text);

    /* A value that is nothing but quotes. */
    s_expect_logfmt ("a=\"\"\"\" b=1", " a=\"\\\"\\\"\" b=1");
    s_expect_json ("a=\"\"\"\" b=1", ",\"a\":\"\\\"\\\"\",\"b\":1");
}

/* A quote followed by a space and a word without '=' is content. */
static void
test_inner_quote_before_a_word (void **state)
{
    (void) state;
    const char *fields = "error=\"say \"hi\" there\" ok=1";
    s_expect_logfmt (fields, " error=\"say \\\"hi\\\" there\" ok=1");
    s_expect_json (fields, ",\"error\":\"say \\\"hi\\\" there\",\"ok\":1");
}

/* The last value of the record may end with inner quotes. */
static void
test_quoted_value_ending_the_record (void **state)
{
    (void) state;
    const char *fields = "count=2 detail=\"ends with \"quote\"\"";
    s_expect_logfmt (fields, " count=2 detail=\"ends with \\\"quote\\\"\"");
    s_expect_json (fields, ",\"count\":2,\"detail\":\"ends with \\\"quote\\\"\"");
    /* Trailing spaces after the closing quote still close it. */
    s_expect_logfmt ("detail=\"x\"   ", " detail=\"x\"");
    /* A value cut before its closing quote is closed. */
    s_expect_logfmt ("detail=\"never closed", " detail=\"never closed\"");
    s_expect_json ("detail=\"never closed", ",\"detail\":\"never closed\"");
}

/* Escapes a caller already wrote (sp_http does) pass through unchanged; a
   backslash before anything else is content. */
static void
test_existing_escapes_are_kept (void **state)
{
    (void) state;
    const char *fields = "detail=\"already \\\"escaped\\\" and \\\\ one\\path\" n=1";
    s_expect_logfmt (fields, " detail=\"already \\\"escaped\\\" and \\\\ one\\\\path\" n=1");
    s_expect_json (fields, ",\"detail\":\"already \\\"escaped\\\" and \\\\ one\\\\path\",\"n\":1");
}

/* Only an unquoted integer becomes a JSON number. */
static void
test_integers_in_json (void **state)
{
    (void) state;
    const char *fields = "count=42 id=\"42\" negative=-3 huge=12345678901234567890 word=4x";
    s_expect_json (fields, ",\"count\":42,\"id\":\"42\",\"negative\":-3,"
                           "\"huge\":\"12345678901234567890\",\"word\":\"4x\"");
    s_expect_logfmt (fields, " count=42 id=\"42\" negative=-3 huge=12345678901234567890 word=4x");
}

static void
test_empty_fields (void **state)
{
    (void) state;
    s_expect_logfmt ("", "");
    s_expect_json ("", "");
    s_expect_logfmt ("   ", "");
    s_expect_json ("   ", "");
    /* Empty quoted value. */
    s_expect_logfmt ("error=\"\"", " error=\"\"");
    s_expect_json ("error=\"\"", ",\"error\":\"\"");
}

/* A word without '=' is a key without a value; key= has an empty one. */
static void
test_key_without_value (void **state)
{
    (void) state;
    const char *fields = "flag key= other=1";
    s_expect_logfmt (fields, " flag key= other=1");
    s_expect_json (fields, ",\"flag\":\"\",\"key\":\"\",\"other\":1");
}

/* An unquoted value that would not read back whole is written quoted. */
static void
test_unquoted_values_that_need_quotes (void **state)
{
    (void) state;
    const char *fields = "path=a\"b url=x?k=v line=one\ntwo tab=a\tb";
    s_expect_logfmt (fields, " path=\"a\\\"b\" url=\"x?k=v\" line=\"one\\ntwo\" tab=\"a\\tb\"");
    s_expect_json (fields, ",\"path\":\"a\\\"b\",\"url\":\"x?k=v\",\"line\":\"one\\ntwo\","
                           "\"tab\":\"a\\tb\"");
    /* A control character inside a quoted value is escaped too. */
    s_expect_logfmt ("error=\"one\ntwo\"", " error=\"one\\ntwo\"");
}

/* The documented limit: a value containing '" key=' is cut there. */
static void
test_quote_before_a_key_ends_the_value (void **state)
{
    (void) state;
    const char *fields = "error=\"bad \" next=1\"";
    s_expect_logfmt (fields, " error=\"bad \" next=\"1\\\"\"");
    s_expect_json (fields, ",\"error\":\"bad \",\"next\":\"1\\\"\"");
}

static void
test_message_is_escaped (void **state)
{
    (void) state;
    capture_t capture;
    s_capture_start (&capture, SP_LOG_FORMAT_LOGFMT);
    sp_log_info ("could not parse \"x\"\n", NULL);
    s_capture_stop (&capture);
    s_assert_record (capture.text, SP_LOG_FORMAT_LOGFMT,
                     "level=info service=" TEST_SERVICE " msg=\"could not parse \\\"x\\\"\\n\"\n");
    free (capture.text);

    s_capture_start (&capture, SP_LOG_FORMAT_JSON);
    sp_log_info ("could not parse \"x\"\n", NULL);
    s_capture_stop (&capture);
    s_assert_record (capture.text, SP_LOG_FORMAT_JSON,
                     "\"level\":\"info\",\"service\":\"" TEST_SERVICE
                     "\",\"msg\":\"could not parse \\\"x\\\"\\n\"}\n");
    free (capture.text);
}

/* A record longer than the limit is cut, ends with "..." and one newline. */
static void
test_long_record_is_truncated (void **state)
{
    (void) state;
    char *value = malloc (TEST_LONG_VALUE + 1);
    assert_non_null (value);
    memset (value, 'x', TEST_LONG_VALUE);
    value[TEST_LONG_VALUE] = '\0';
    sp_log_format_t formats[] = { SP_LOG_FORMAT_LOGFMT, SP_LOG_FORMAT_JSON };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        capture_t capture;
        s_capture_start (&capture, formats[i]);
        sp_log_warn ("long value", "n=1 error=\"%s\"", value);
        s_capture_stop (&capture);
        size_t length = strlen (capture.text);
        assert_true (length < TEST_RECORD_MAX);
        assert_true (length > TEST_RECORD_MAX / 2);
        assert_string_equal (capture.text + length - strlen ("x...\n"), "x...\n");
        assert_true (strchr (capture.text, '\n') == capture.text + length - 1);
        const char *start =
            formats[i] == SP_LOG_FORMAT_JSON ? "\"n\":1,\"error\":\"xxx" : " n=1 error=\"xxx";
        assert_non_null (strstr (capture.text, start));
        free (capture.text);
    }
    free (value);
}

static void
test_levels (void **state)
{
    (void) state;
    capture_t capture;
    s_capture_start (&capture, SP_LOG_FORMAT_LOGFMT);
    sp_log_init (TEST_SERVICE, SP_LOG_WARN, SP_LOG_FORMAT_LOGFMT);
    assert_false (sp_log_enabled (SP_LOG_INFO));
    assert_true (sp_log_enabled (SP_LOG_ERROR));
    sp_log_info ("hidden", "n=%d", 1);
    sp_log_error ("shown", "n=%d", 2);
    s_capture_stop (&capture);
    s_assert_record (capture.text, SP_LOG_FORMAT_LOGFMT,
                     "level=error service=" TEST_SERVICE " msg=\"shown\" n=2\n");
    free (capture.text);

    sp_log_level_t level = SP_LOG_INFO;
    assert_int_equal (sp_log_level_parse ("debug", &level), 0);
    assert_int_equal (level, SP_LOG_DEBUG);
    assert_int_equal (sp_log_level_parse ("loud", &level), -1);
    assert_int_equal (sp_log_level_parse (NULL, &level), -1);
    assert_int_equal (level, SP_LOG_DEBUG);
    sp_log_format_t format = SP_LOG_FORMAT_LOGFMT;
    assert_int_equal (sp_log_format_parse ("json", &format), 0);
    assert_int_equal (format, SP_LOG_FORMAT_JSON);
    assert_int_equal (sp_log_format_parse ("xml", &format), -1);
    assert_int_equal (format, SP_LOG_FORMAT_JSON);
}

/* Lines of text (each with its newline) holding needle. */
static size_t
s_count_lines (const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr (line, '\n');
        size_t length = end ? (size_t) (end - line) + 1 : strlen (line); /* with its '\n' */
        char copy[TEST_RECORD_MAX + 1];
        snprintf (copy, sizeof copy, "%.*s", (int) length, line);
        count += strstr (copy, needle) != NULL;
        line = end ? end + 1 : NULL;
    }
    return count;
}

/* An outage fails the same call 50 times a second: identical warn and
   error records are written once per window, then once more with the
   number held back; different records and info records are never held. */
static void
test_repeats_are_held_back (void **state)
{
    (void) state;
    const int window_ms = 40;
    capture_t capture;
    s_capture_start (&capture, SP_LOG_FORMAT_LOGFMT);
    sp_log_set_repeat_window (window_ms);
    for (int i = 0; i < 50; i++) {
        sp_log_warn ("could not renew partition leases", "error=\"%s\"", "connection refused");
        sp_log_warn ("could not read partition state", "partition=%d", i % 2);
        sp_log_error ("could not renew partition leases", "error=\"%s\"", "connection refused");
        sp_log_info ("partition acquired", "partition=%d", 3);
    }
    /* the window passes (a clock, not a synchronisation) */
    struct timespec start, now;
    clock_gettime (CLOCK_MONOTONIC, &start);
    do
        clock_gettime (CLOCK_MONOTONIC, &now);
    while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 <=
           window_ms);
    sp_log_warn ("could not renew partition leases", "error=\"%s\"", "connection refused");
    sp_log_warn ("could not renew partition leases", "error=\"%s\"", "connection refused");
    sp_log_warn ("dependency is down", NULL);
    sp_log_warn ("dependency is down", NULL);
    s_capture_stop (&capture);

    assert_int_equal (s_count_lines (capture.text, "level=warn service=" TEST_SERVICE
                                                   " msg=\"could not renew partition leases\""),
                      2);
    assert_int_equal (s_count_lines (capture.text, "msg=\"could not renew partition leases\" "
                                                   "error=\"connection refused\" repeated=49\n"),
                      1);
    assert_int_equal (s_count_lines (capture.text, "level=error"), 1);
    assert_int_equal (s_count_lines (capture.text, "partition state\" partition=0\n"), 1);
    assert_int_equal (s_count_lines (capture.text, "partition state\" partition=1\n"), 1);
    assert_int_equal (s_count_lines (capture.text, "msg=\"partition acquired\""), 50);
    assert_int_equal (s_count_lines (capture.text, "msg=\"dependency is down\"\n"), 1);
    free (capture.text);

    /* window 0: every record is written */
    s_capture_start (&capture, SP_LOG_FORMAT_JSON);
    sp_log_set_repeat_window (0);
    for (int i = 0; i < 3; i++)
        sp_log_warn ("same", "n=%d", 1);
    s_capture_stop (&capture);
    assert_int_equal (s_count_lines (capture.text, "\"msg\":\"same\",\"n\":1}"), 3);
    free (capture.text);
    sp_log_set_repeat_window (SP_LOG_REPEAT_WINDOW_MS);
}

/* Puts back what other code in the process expects: stderr, defaults. */
static int
s_teardown (void **state)
{
    (void) state;
    sp_log_set_stream (NULL);
    sp_log_init ("salespulse", SP_LOG_INFO, SP_LOG_FORMAT_LOGFMT);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_plain_pairs),
        cmocka_unit_test (test_quoted_value_with_inner_quotes),
        cmocka_unit_test (test_inner_quote_before_a_word),
        cmocka_unit_test (test_quoted_value_ending_the_record),
        cmocka_unit_test (test_existing_escapes_are_kept),
        cmocka_unit_test (test_integers_in_json),
        cmocka_unit_test (test_empty_fields),
        cmocka_unit_test (test_key_without_value),
        cmocka_unit_test (test_unquoted_values_that_need_quotes),
        cmocka_unit_test (test_quote_before_a_key_ends_the_value),
        cmocka_unit_test (test_message_is_escaped),
        cmocka_unit_test (test_long_record_is_truncated),
        cmocka_unit_test (test_levels),
        cmocka_unit_test (test_repeats_are_held_back),
    };
    return cmocka_run_group_tests (tests, NULL, s_teardown);
}
