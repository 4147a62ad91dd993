/*  test_event_json - the JSON form: every documented example, round trips
    for every type, and every error class with its exact message.

    The examples of docs/events.md are kept in tests/unit/common/data/
    events.jsonl; test_examples parses every line, so the documentation
    cannot drift from the code. The data folder is found through
    SP_SOURCE_DIR (set by tests/run-tests.sh), else the working directory.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_event_json.h"

#define R(name) SALESPULSE__REJECT_REASON__REJECT_REASON_##name
#define T(name) SALESPULSE__EVENT_TYPE__EVENT_TYPE_##name
#define EXAMPLES_PATH "tests/unit/common/data/events.jsonl"
#define PATH_SIZE 4096
#define LINE_SIZE 4096
#define ERROR_FILL 0xAB /* pattern of an untouched error */

/* Envelope of a valid call event, to append body keys to. */
#define CALL_HEAD                                                                                  \
    "{\"event_id\": \"e1\", \"source\": \"crm\", \"type\": \"call\", \"occurred_at\": 1000, "      \
    "\"rep_id\": \"r1\", \"customer_id\": \"c1\""
#define CALL_JSON CALL_HEAD ", \"duration_seconds\": 60}"
#define WON_HEAD                                                                                   \
    "{\"event_id\": \"e2\", \"source\": \"crm\", \"type\": \"deal_won\", \"occurred_at\": 1000, "  \
    "\"rep_id\": \"r1\", \"opportunity_id\": \"o1\""
#define PAY_HEAD                                                                                   \
    "{\"event_id\": \"e3\", \"source\": \"erp\", \"type\": \"payment_received\", "                 \
    "\"occurred_at\": 1000, \"customer_id\": \"c1\""
#define SURVEY_HEAD                                                                                \
    "{\"event_id\": \"e4\", \"source\": \"s\", \"type\": \"survey\", \"occurred_at\": 1000, "      \
    "\"customer_id\": \"c1\""
#define COMPLAINT_HEAD                                                                             \
    "{\"event_id\": \"e5\", \"source\": \"s\", \"type\": \"complaint\", \"occurred_at\": 1000, "   \
    "\"customer_id\": \"c1\""

static sp_event_t *
s_parse (const char *text)
{
    sp_event_error_t error, untouched;
    memset (&error, ERROR_FILL, sizeof error);
    memset (&untouched, ERROR_FILL, sizeof untouched);
    sp_event_t *event = sp_event_from_json (text, strlen (text), &error);
    if (!event)
        print_error ("unexpected: %s\nin: %s\n", error.message, text);
    assert_non_null (event);
    assert_memory_equal (&error, &untouched, sizeof error);
    return event;
}

static void
s_expect_bytes (const char *text, size_t length, const char *field, sp_event_reason_t reason,
                const char *message)
{
    sp_event_error_t error;
    memset (&error, ERROR_FILL, sizeof error);
    sp_event_t *event = sp_event_from_json (text, length, &error);
    if (event)
        print_error ("unexpectedly valid: %s\n", text);
    assert_null (event);
    assert_string_equal (error.message, message);
    assert_string_equal (error.field, field);
    assert_int_equal (error.reason, reason);
    //  No error to fill: still refused, nothing written
    assert_null (sp_event_from_json (text, length, NULL));
}

static void
s_expect (const char *text, const char *field, sp_event_reason_t reason, const char *message)
{
    s_expect_bytes (text, strlen (text), field, reason, message);
}

/* Packs both events and compares the bytes. */
static void
s_assert_same (const sp_event_t *a, const sp_event_t *b)
{
    size_t size_a = salespulse__sales_event__get_packed_size (a);
    size_t size_b = salespulse__sales_event__get_packed_size (b);
    assert_int_equal (size_a, size_b);
    uint8_t *packed_a = malloc (size_a + 1);
    uint8_t *packed_b = malloc (size_b + 1);
    assert_non_null (packed_a);
    assert_non_null (packed_b);
    salespulse__sales_event__pack (a, packed_a);
    salespulse__sales_event__pack (b, packed_b);
    assert_memory_equal (packed_a, packed_b, size_a);
    free (packed_a);
    free (packed_b);
}

/* to_json, then both ways back (object and dumped text), equal bytes. */
static void
s_assert_round_trip (const sp_event_t *event)
{
    json_t *object = sp_event_to_json (event);
    assert_non_null (object);
    sp_event_error_t error;
    sp_event_t *back = sp_event_from_json_object (object, &error);
    assert_non_null (back);
    s_assert_same (event, back);
    sp_event_destroy (&back);
    char *text = json_dumps (object, JSON_COMPACT);
    assert_non_null (text);
    back = s_parse (text);
    s_assert_same (event, back);
    sp_event_destroy (&back);
    free (text);
    json_decref (object);
}

static FILE *
s_open_examples (void)
{
    const char *root = getenv ("SP_SOURCE_DIR");
    char path[PATH_SIZE];
    snprintf (path, sizeof path, "%s/%s", root && *root ? root : ".", EXAMPLES_PATH);
    FILE *file = fopen (path, "r");
    if (!file)
        print_error ("cannot open %s\n", path);
    assert_non_null (file);
    return file;
}

// ---------------------------------------------------------------- examples

static void
test_examples (void **state)
{
    (void) state;
    FILE *file = s_open_examples ();
    char line[LINE_SIZE];
    bool seen[T (SURVEY) + 1] = { false };
    size_t count = 0;
    while (fgets (line, sizeof line, file)) {
        sp_event_t *event = s_parse (line);
        seen[event->type] = true;
        s_assert_round_trip (event);
        sp_event_destroy (&event);
        count++;
    }
    fclose (file);
    assert_int_equal (count, T (SURVEY));
    for (int type = 1; type <= T (SURVEY); type++)
        assert_true (seen[type]);
}

static void
test_example_values (void **state)
{
    (void) state;
    FILE *file = s_open_examples ();
    char line[LINE_SIZE];
    while (fgets (line, sizeof line, file)) {
        sp_event_t *event = s_parse (line);
        switch (event->type) {
            case T (LEAD_CREATED):
                assert_int_equal (event->occurred_at, INT64_C (1493805600000));
                assert_string_equal (event->lead_created->lead_source, "web");
                assert_int_equal (event->lead_created->estimated_value->amount_minor, 2500000);
                assert_string_equal (event->lead_created->estimated_value->currency, "EUR");
                assert_string_equal (event->team_id, "team-north");
                break;
            case T (VISIT_PLANNED):
                //  12:00:00.250+02:00 is 10:00:00.250 UTC
                assert_int_equal (event->occurred_at, INT64_C (1493805600250));
                assert_int_equal (event->visit_planned->planned_for, INT64_C (1494408600000));
                break;
            case T (DEAL_WON):
                assert_int_equal (event->deal_won->amount->amount_minor, 2400000);
                assert_int_equal (event->deal_won->margin->amount_minor, 720050);
                assert_string_equal (event->deal_won->margin->currency, "EUR");
                assert_int_equal (event->deal_won->n_splits, 2);
                assert_string_equal (event->deal_won->splits[1]->rep_id, "rep-ben");
                assert_int_equal (event->deal_won->splits[0]->share_basis_points, 6000);
                assert_int_equal (event->deal_won->splits[1]->share_basis_points, 4000);
                break;
            case T (ORDER_PLACED):
                assert_int_equal (event->order_placed->amount->amount_minor, 1250000);
                break;
            case T (PAYMENT_RECEIVED):
                assert_int_equal (event->payment_received->amount->amount_minor, 312125);
                break;
            case T (COMPLAINT):
                assert_int_equal (event->complaint->severity,
                                  SALESPULSE__COMPLAINT_SEVERITY__COMPLAINT_SEVERITY_HIGH);
                break;
            case T (SURVEY):
                assert_int_equal (event->survey->score_case, SALESPULSE__SURVEY__SCORE_NPS);
                assert_int_equal (event->survey->nps, 9);
                break;
            default:
                break;
        }
        sp_event_destroy (&event);
    }
    fclose (file);
}

// ---------------------------------------------------------------- writing

static void
test_to_json_form (void **state)
{
    (void) state;
    sp_event_t *event = s_parse (WON_HEAD ", \"currency\": \"KWD\", \"amount\": 12, "
                                          "\"margin\": \"-0.5\", \"splits\": [{\"rep_id\": "
                                          "\"r1\", \"percent\": \"33.34\"}, {\"rep_id\": \"r2\", "
                                          "\"percent\": \"66.66\"}]}");
    json_t *object = sp_event_to_json (event);
    assert_non_null (object);
    char *text = json_dumps (object, JSON_COMPACT);
    assert_string_equal (
        text, "{\"event_id\":\"e2\",\"source\":\"crm\",\"type\":\"deal_won\","
              "\"occurred_at\":\"1970-01-01T00:00:01.000Z\",\"rep_id\":\"r1\","
              "\"opportunity_id\":\"o1\",\"currency\":\"KWD\",\"amount\":\"12.000\","
              "\"margin\":\"-0.500\",\"splits\":[{\"rep_id\":\"r1\",\"percent\":\"33.34\"},"
              "{\"rep_id\":\"r2\",\"percent\":\"66.66\"}]}");
    free (text);
    json_decref (object);
    s_assert_round_trip (event);
    sp_event_destroy (&event);

    event = s_parse (SURVEY_HEAD ", \"csat\": 4}");
    object = sp_event_to_json (event);
    text = json_dumps (object, JSON_COMPACT);
    assert_string_equal (text, "{\"event_id\":\"e4\",\"source\":\"s\",\"type\":\"survey\","
                               "\"occurred_at\":\"1970-01-01T00:00:01.000Z\","
                               "\"customer_id\":\"c1\",\"csat\":4}");
    free (text);
    json_decref (object);
    s_assert_round_trip (event);
    sp_event_destroy (&event);
}

static void
test_to_json_refuses_invalid (void **state)
{
    (void) state;
    sp_event_t *event = s_parse (CALL_JSON);
    event->call->duration_seconds = 0;
    assert_null (sp_event_to_json (event));
    event->call->duration_seconds = 1;
    event->type = (Salespulse__EventType) 42;
    assert_null (sp_event_to_json (event));
    event->type = T (CALL);
    //  Without a body: the body keys are left out
    sp_event_destroy (&event);
    event = s_parse ("{\"event_id\": \"e9\", \"source\": \"crm\", \"type\": \"demo\", "
                     "\"occurred_at\": 5, \"rep_id\": \"r\", \"opportunity_id\": \"o\"}");
    salespulse__demo__free_unpacked (event->demo, NULL);
    event->demo = NULL;
    event->body_case = SALESPULSE__SALES_EVENT__BODY__NOT_SET;
    json_t *object = sp_event_to_json (event);
    assert_non_null (object);
    assert_int_equal (json_object_size (object), 6);
    json_decref (object);
    sp_event_destroy (&event);
}

// ---------------------------------------------------------------- reading

static void
test_absent_values (void **state)
{
    (void) state;
    //  null and "" for optional fields mean absent; "" currency with no money is fine
    sp_event_t *event = s_parse (CALL_HEAD ", \"team_id\": null, \"region_id\": \"\", "
                                           "\"opportunity_id\": null, \"currency\": \"\", "
                                           "\"duration_seconds\": 60}");
    assert_string_equal (event->team_id, "");
    assert_ptr_equal (event->region_id, protobuf_c_empty_string);
    sp_event_destroy (&event);
    //  A currency with no money field is allowed and not kept
    event = s_parse (CALL_HEAD ", \"currency\": \"USD\", \"duration_seconds\": 60}");
    sp_event_destroy (&event);
    //  An empty amount is absent: the rules then ask for it
    s_expect (PAY_HEAD ", \"currency\": \"USD\", \"amount\": \"\"}", "amount", R (MISSING_FIELD),
              "field \"amount\": required for payment_received");
    s_expect (PAY_HEAD ", \"amount\": null}", "amount", R (MISSING_FIELD),
              "field \"amount\": required for payment_received");
    s_expect (CALL_HEAD ", \"duration_seconds\": null}", "duration_seconds", R (MISSING_FIELD),
              "field \"duration_seconds\": required for call");
}

static void
test_missing_field (void **state)
{
    (void) state;
    s_expect ("{\"source\": \"crm\", \"type\": \"call\", \"occurred_at\": 1, \"rep_id\": \"r\", "
              "\"customer_id\": \"c\", \"duration_seconds\": 1}",
              "event_id", R (MISSING_FIELD), "field \"event_id\": required for every event");
    s_expect ("{\"event_id\": \"e\", \"source\": \"crm\"}", "type", R (MISSING_FIELD),
              "field \"type\": required for every event");
    s_expect ("{\"event_id\": \"e\", \"type\": \"\"}", "type", R (MISSING_FIELD),
              "field \"type\": required for every event");
    s_expect ("{\"event_id\": \"e\", \"source\": \"crm\", \"type\": \"call\", \"rep_id\": \"r\", "
              "\"customer_id\": \"c\", \"duration_seconds\": 1}",
              "occurred_at", R (MISSING_FIELD), "field \"occurred_at\": required for every event");
    s_expect (WON_HEAD ", \"currency\": \"USD\"}", "amount", R (MISSING_FIELD),
              "field \"amount\": required for deal_won");
    s_expect (PAY_HEAD ", \"amount\": \"10.00\"}", "currency", R (MISSING_FIELD),
              "field \"currency\": required when \"amount\" is given");
    s_expect (WON_HEAD ", \"currency\": null, \"amount\": 10}", "currency", R (MISSING_FIELD),
              "field \"currency\": required when \"amount\" is given");
    s_expect ("{\"event_id\": \"e\", \"source\": \"crm\", \"type\": \"deal_won\", "
              "\"occurred_at\": 1, \"rep_id\": \"r\", \"currency\": \"USD\", \"amount\": 1}",
              "opportunity_id", R (MISSING_FIELD),
              "field \"opportunity_id\": required for deal_won");
}

static void
test_wrong_type (void **state)
{
    (void) state;
    s_expect ("{\"type\": 8}", "type", R (WRONG_TYPE),
              "field \"type\": expected a string such as \"deal_won\", got an integer");
    s_expect (CALL_HEAD ", \"team_id\": 42, \"duration_seconds\": 60}", "team_id", R (WRONG_TYPE),
              "field \"team_id\": expected a string, got an integer");
    s_expect (CALL_HEAD ", \"duration_seconds\": \"60\"}", "duration_seconds", R (WRONG_TYPE),
              "field \"duration_seconds\": expected an integer, got a string");
    s_expect (CALL_HEAD ", \"duration_seconds\": 60.0}", "duration_seconds", R (WRONG_TYPE),
              "field \"duration_seconds\": expected an integer, got a real number");
    s_expect (CALL_HEAD ", \"duration_seconds\": true}", "duration_seconds", R (WRONG_TYPE),
              "field \"duration_seconds\": expected an integer, got a boolean");
    s_expect ("{\"event_id\": \"e\", \"source\": \"crm\", \"type\": \"call\", \"occurred_at\": "
              "[1]}",
              "occurred_at", R (WRONG_TYPE),
              "field \"occurred_at\": expected UTC milliseconds or an RFC 3339 string such as "
              "\"2017-05-03T10:00:00Z\", got an array");
    s_expect (PAY_HEAD ", \"currency\": 840, \"amount\": \"1\"}", "currency", R (WRONG_TYPE),
              "field \"currency\": expected a string such as \"USD\", got an integer");
    s_expect (PAY_HEAD ", \"currency\": \"USD\", \"amount\": {\"units\": 1}}", "amount",
              R (WRONG_TYPE),
              "field \"amount\": expected a decimal string such as \"12.34\", got an object");
    s_expect (COMPLAINT_HEAD ", \"severity\": 3}", "severity", R (WRONG_TYPE),
              "field \"severity\": expected one of \"low\", \"medium\", \"high\", \"critical\", "
              "got an integer");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": {\"r1\": 100}}",
              "splits", R (WRONG_TYPE),
              "field \"splits\": expected an array such as [{\"rep_id\": \"r1\", \"percent\": "
              "100}], got an object");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [\"r1\"]}", "splits[0]",
              R (WRONG_TYPE),
              "field \"splits[0]\": expected an object such as {\"rep_id\": \"r1\", \"percent\": "
              "100}, got a string");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": 7, "
                       "\"percent\": 100}]}",
              "splits[0].rep_id", R (WRONG_TYPE),
              "field \"splits[0].rep_id\": expected a string, got an integer");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": \"a\", "
                       "\"percent\": 12.5}]}",
              "splits[0].percent", R (WRONG_TYPE),
              "field \"splits[0].percent\": expected a number such as 50 or a decimal string "
              "such as \"33.34\", got a real number");
}

static void
test_real_money_refused (void **state)
{
    (void) state;
    s_expect (PAY_HEAD ", \"currency\": \"USD\", \"amount\": 12.34}", "amount", R (WRONG_TYPE),
              "field \"amount\": expected a decimal string such as \"12.34\", got a real number");
    s_expect (PAY_HEAD ", \"currency\": \"USD\", \"amount\": 1e3}", "amount", R (WRONG_TYPE),
              "field \"amount\": expected a decimal string such as \"12.34\", got a real number");
    //  Even without a currency the kind is reported first
    s_expect (WON_HEAD ", \"margin\": 0.5}", "margin", R (WRONG_TYPE),
              "field \"margin\": expected a decimal string such as \"12.34\", got a real number");
}

static void
test_money_values (void **state)
{
    (void) state;
    sp_event_t *event = s_parse (PAY_HEAD ", \"currency\": \"USD\", \"amount\": 1234}");
    assert_int_equal (event->payment_received->amount->amount_minor, 123400);
    sp_event_destroy (&event);
    event = s_parse (PAY_HEAD ", \"currency\": \"USD\", \"amount\": 10000000000000}");
    assert_int_equal (event->payment_received->amount->amount_minor, INT64_C (1000000000000000));
    sp_event_destroy (&event);
    s_expect (PAY_HEAD ", \"currency\": \"USD\", \"amount\": 10000000000001}", "amount",
              R (OUT_OF_RANGE),
              "field \"amount\": 10000000000001 USD is out of range, the limit is "
              "1000000000000000 minor units");
    s_expect (PAY_HEAD ", \"currency\": \"USD\", \"amount\": \"10000000000000.01\"}", "amount",
              R (OUT_OF_RANGE),
              "field \"amount\": \"10000000000000.01\" USD is out of range, the limit is "
              "1000000000000000 minor units");
    s_expect (PAY_HEAD ", \"currency\": \"USD\", \"amount\": \"12,50\"}", "amount", R (BAD_AMOUNT),
              "field \"amount\": \"12,50\" is not a decimal amount such as \"12.34\"");
    s_expect (PAY_HEAD ", \"currency\": \"USD\", \"amount\": \"1.234\"}", "amount", R (BAD_AMOUNT),
              "field \"amount\": \"1.234\" has more than 2 decimals, the most USD allows");
    s_expect (PAY_HEAD ", \"currency\": \"JPY\", \"amount\": \"100.5\"}", "amount", R (BAD_AMOUNT),
              "field \"amount\": \"100.5\" has more than 0 decimals, the most JPY allows");
    s_expect (PAY_HEAD ", \"currency\": \"USD\", \"amount\": \"-1.00\"}", "amount", R (NEGATIVE),
              "field \"amount\": negative amount not allowed");
    s_expect (PAY_HEAD ", \"currency\": \"USD\", \"amount\": -1}", "amount", R (NEGATIVE),
              "field \"amount\": negative amount not allowed");
}

static void
test_unknown_type (void **state)
{
    (void) state;
    s_expect ("{\"event_id\": \"e\", \"type\": \"deal_signed\"}", "type", R (UNKNOWN_TYPE),
              "field \"type\": unknown event type \"deal_signed\"");
    s_expect ("{\"type\": \"DEAL_WON\"}", "type", R (UNKNOWN_TYPE),
              "field \"type\": unknown event type \"DEAL_WON\"");
}

static void
test_unknown_field (void **state)
{
    (void) state;
    s_expect (CALL_HEAD ", \"colour\": \"red\", \"duration_seconds\": 60}", "colour",
              R (UNKNOWN_FIELD), "field \"colour\": not a field of call events");
    //  A key of another type
    s_expect (CALL_HEAD ", \"amount\": \"1.00\", \"duration_seconds\": 60}", "amount",
              R (UNKNOWN_FIELD), "field \"amount\": not a field of call events");
    //  Reported in document order, before the rules
    s_expect ("{\"type\": \"call\", \"zz\": 1, \"yy\": 2}", "zz", R (UNKNOWN_FIELD),
              "field \"zz\": not a field of call events");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": \"a\", "
                       "\"share\": 100}]}",
              "splits[0].share", R (UNKNOWN_FIELD),
              "field \"splits[0].share\": not a field of a split, use \"rep_id\" and \"percent\"");
    s_expect (SURVEY_HEAD ", \"nps\": 7, \"csat\": 4}", "csat", R (CONFLICTING_FIELDS),
              "field \"csat\": not allowed together with \"nps\", a survey has one score");
    s_expect (SURVEY_HEAD ", \"csat\": 4, \"nps\": 7}", "nps", R (CONFLICTING_FIELDS),
              "field \"nps\": not allowed together with \"csat\", a survey has one score");
}

static void
test_bad_currency (void **state)
{
    (void) state;
    s_expect (PAY_HEAD ", \"currency\": \"usd\", \"amount\": \"1\"}", "currency", R (BAD_CURRENCY),
              "field \"currency\": \"usd\" is not an ISO-4217 currency code");
    s_expect (PAY_HEAD ", \"currency\": \"XXX\", \"amount\": \"1\"}", "currency", R (BAD_CURRENCY),
              "field \"currency\": \"XXX\" is not an ISO-4217 currency code");
    //  Checked even when no money field uses it
    s_expect (CALL_HEAD ", \"currency\": \"EURO\", \"duration_seconds\": 1}", "currency",
              R (BAD_CURRENCY), "field \"currency\": \"EURO\" is not an ISO-4217 currency code");
}

static void
test_invalid_utf8 (void **state)
{
    (void) state;
    const char rep[] = "{\"event_id\": \"e\", \"rep_id\": \"r\xff\", \"type\": \"call\"}";
    s_expect_bytes (rep, sizeof rep - 1, "rep_id", R (INVALID_UTF8),
                    "field \"rep_id\": not valid UTF-8");
    const char split[] = WON_HEAD ", \"splits\": [{\"rep_id\": \"a\", \"percent\": 50}, "
                                  "{\"percent\": 50, \"rep_id\": \"b\xc3\"}]}";
    s_expect_bytes (split, sizeof split - 1, "splits[1].rep_id", R (INVALID_UTF8),
                    "field \"splits[1].rep_id\": not valid UTF-8");
    const char escaped[] = "{\"event_id\": \"a\\\"b\", \"source\": \"\xed\xa0\x80\"}";
    s_expect_bytes (escaped, sizeof escaped - 1, "source", R (INVALID_UTF8),
                    "field \"source\": not valid UTF-8");
    const char key[] = "{\"event_id\": \"e\",\n \"k\xff\": 1}";
    s_expect_bytes (key, sizeof key - 1, "", R (INVALID_UTF8),
                    "not valid UTF-8 at line 2 column 4 (byte 0xFF)");
    const char outside[] = "{\"a\": 1} \xc0";
    s_expect_bytes (outside, sizeof outside - 1, "", R (INVALID_UTF8),
                    "not valid UTF-8 at line 1 column 10 (byte 0xC0)");
    //  Deeper than the scan follows: the position is given instead
    const char deep[] = "{\"a\": [[[[[[[[[\"\xff\"]]]]]]]]]}";
    s_expect_bytes (deep, sizeof deep - 1, "", R (INVALID_UTF8),
                    "not valid UTF-8 at line 1 column 17 (byte 0xFF)");
    const char nested[] = "{\"a\": {\"b\": [1, {\"c\": \"\xfe\"}]}}";
    s_expect_bytes (nested, sizeof nested - 1, "a.b[1].c", R (INVALID_UTF8),
                    "field \"a.b[1].c\": not valid UTF-8");
    //  A JSON escape that is not a character is a JSON error
    s_expect ("{\"rep_id\": \"\\udc00\"}", "", R (MALFORMED),
              "invalid JSON at line 1 column 19: invalid Unicode '\\uDC00' near '\"\\udc00\"'");
}

static void
test_oversize_string (void **state)
{
    (void) state;
    char text[LINE_SIZE];
    char longer[SP_EVENT_NAME_MAX + 2];
    memset (longer, 'r', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    snprintf (text, sizeof text,
              "{\"event_id\": \"e\", \"source\": \"crm\", \"type\": \"call\", \"occurred_at\": 1, "
              "\"rep_id\": \"%s\", \"customer_id\": \"c\", \"duration_seconds\": 1}",
              longer);
    s_expect (text, "rep_id", R (TOO_LONG), "field \"rep_id\": longer than 64 bytes");
    longer[SP_EVENT_NAME_MAX] = '\0';
    snprintf (text, sizeof text,
              "{\"event_id\": \"e\", \"source\": \"crm\", \"type\": \"call\", \"occurred_at\": 1, "
              "\"rep_id\": \"%s\", \"customer_id\": \"c\", \"duration_seconds\": 1}",
              longer);
    sp_event_t *event = s_parse (text);
    assert_int_equal (strlen (event->rep_id), SP_EVENT_NAME_MAX);
    sp_event_destroy (&event);
}

static void
test_malformed (void **state)
{
    (void) state;
    s_expect ("{\"event_id\": ", "", R (MALFORMED),
              "invalid JSON at line 1 column 13: unexpected token near end of file");
    s_expect ("", "", R (MALFORMED),
              "invalid JSON at line 1 column 0: '[' or '{' expected near end of file");
    s_expect ("{\"type\": \"call\", \"type\": \"call\"}", "", R (MALFORMED),
              "invalid JSON at line 1 column 23: duplicate object key near '\"type\"'");
    s_expect ("{\"type\": \"call\"} x", "", R (MALFORMED),
              "invalid JSON at line 1 column 18: end of file expected near 'x'");
    s_expect ("[{\"type\": \"call\"}]", "", R (MALFORMED), "expected a JSON object, got an array");
    s_expect ("{\"type\": \"call\", \"rep_id\": \"\\u0000\"}", "", R (MALFORMED),
              "invalid JSON at line 1 column 35: \\u0000 is not allowed without JSON_ALLOW_NUL "
              "near '\"\\u0000\"'");
    json_t *array = json_array ();
    sp_event_error_t error;
    assert_null (sp_event_from_json_object (array, &error));
    assert_int_equal (error.reason, R (MALFORMED));
    assert_string_equal (error.message, "expected a JSON object, got an array");
    json_decref (array);
}

static void
test_times (void **state)
{
    (void) state;
    const struct {
        const char *text; /* occurred_at */
        int64_t ms;       /* UTC ms */
    } good[] = {
        { "2017-05-03T10:00:00Z", INT64_C (1493805600000) },
        { "2017-05-03t10:00:00z", INT64_C (1493805600000) },
        { "2017-05-03T12:00:00.250+02:00", INT64_C (1493805600250) },
        { "2017-05-03T05:30:00-04:30", INT64_C (1493805600000) },
        { "2017-05-03T10:00:00.1Z", INT64_C (1493805600100) },
        { "2017-05-03T10:00:00.123456789Z", INT64_C (1493805600123) },
        { "2017-05-03T10:00:00-00:00", INT64_C (1493805600000) },
        { "2016-02-29T00:00:00Z", INT64_C (1456704000000) },
        { "2000-02-29T00:00:00Z", INT64_C (951782400000) },
        { "1970-01-01T00:00:00.001Z", 1 },
        { "9999-12-31T23:59:59.999Z", SP_EVENT_TIME_MAX },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char text[LINE_SIZE];
        snprintf (text, sizeof text,
                  "{\"event_id\": \"e\", \"source\": \"s\", \"type\": \"call\", \"occurred_at\": "
                  "\"%s\", \"rep_id\": \"r\", \"customer_id\": \"c\", \"duration_seconds\": 1}",
                  good[i].text);
        sp_event_t *event = s_parse (text);
        assert_int_equal (event->occurred_at, good[i].ms);
        sp_event_destroy (&event);
    }
    const char *bad[] = { "2017-13-01T00:00:00Z",
                          "2017-02-29T00:00:00Z",
                          "1900-02-29T00:00:00Z",
                          "2017-04-31T00:00:00Z",
                          "2017-05-03T24:00:00Z",
                          "2017-05-03T23:60:00Z",
                          "2017-05-03T23:59:60Z",
                          "2017-05-03T10:00:00",
                          "2017-05-03 10:00:00Z",
                          "2017-05-03T10:00:00.Z",
                          "2017-05-03T10:00:00.1234567890Z",
                          "2017-05-03T10:00:00+24:00",
                          "2017-05-03T10:00:00+0200",
                          "2017-5-3T10:00:00Z",
                          "2017-05-03",
                          "1493805600000",
                          "2017-05-03T10:00:00Zjunk",
                          "2017-00-10T00:00:00Z",
                          "2017-05-00T00:00:00Z",
                          "+2017-05-03T10:00:00Z" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[LINE_SIZE], message[SP_EVENT_MESSAGE_SIZE];
        snprintf (text, sizeof text, "{\"type\": \"call\", \"occurred_at\": \"%s\"}", bad[i]);
        snprintf (message, sizeof message,
                  "field \"occurred_at\": \"%s\" is not an RFC 3339 time such as "
                  "\"2017-05-03T10:00:00Z\"",
                  bad[i]);
        s_expect (text, "occurred_at", R (BAD_TIME), message);
    }
    s_expect ("{\"type\": \"call\", \"occurred_at\": \"1969-12-31T23:59:59Z\"}", "occurred_at",
              R (OUT_OF_RANGE),
              "field \"occurred_at\": \"1969-12-31T23:59:59Z\" is out of range, must be after "
              "1970-01-01T00:00:00Z and before year 10000");
    s_expect ("{\"type\": \"call\", \"occurred_at\": \"1970-01-01T01:00:00+01:00\"}", "occurred_at",
              R (OUT_OF_RANGE),
              "field \"occurred_at\": \"1970-01-01T01:00:00+01:00\" is out of range, must be "
              "after 1970-01-01T00:00:00Z and before year 10000");
    s_expect ("{\"type\": \"call\", \"occurred_at\": \"9999-12-31T23:59:59-01:00\"}", "occurred_at",
              R (OUT_OF_RANGE),
              "field \"occurred_at\": \"9999-12-31T23:59:59-01:00\" is out of range, must be "
              "after 1970-01-01T00:00:00Z and before year 10000");
    s_expect ("{\"type\": \"call\", \"occurred_at\": 0}", "occurred_at", R (OUT_OF_RANGE),
              "field \"occurred_at\": 0 is out of range, must be after 1970-01-01T00:00:00Z and "
              "before year 10000");
    s_expect ("{\"type\": \"call\", \"occurred_at\": 253402300800000}", "occurred_at",
              R (OUT_OF_RANGE),
              "field \"occurred_at\": 253402300800000 is out of range, must be after "
              "1970-01-01T00:00:00Z and before year 10000");
    s_expect ("{\"type\": \"visit_planned\", \"planned_for\": \"soon\"}", "planned_for",
              R (BAD_TIME),
              "field \"planned_for\": \"soon\" is not an RFC 3339 time such as "
              "\"2017-05-03T10:00:00Z\"");
}

static void
test_counts_and_scores (void **state)
{
    (void) state;
    s_expect (CALL_HEAD ", \"duration_seconds\": 0}", "duration_seconds", R (OUT_OF_RANGE),
              "field \"duration_seconds\": 0 is out of range 1..86400");
    s_expect (CALL_HEAD ", \"duration_seconds\": 86401}", "duration_seconds", R (OUT_OF_RANGE),
              "field \"duration_seconds\": 86401 is out of range 1..86400");
    s_expect (CALL_HEAD ", \"duration_seconds\": -5}", "duration_seconds", R (OUT_OF_RANGE),
              "field \"duration_seconds\": -5 is out of range 1..86400");
    s_expect ("{\"type\": \"visit_completed\", \"duration_minutes\": 1441}", "duration_minutes",
              R (OUT_OF_RANGE), "field \"duration_minutes\": 1441 is out of range 1..1440");
    s_expect (SURVEY_HEAD ", \"nps\": 11}", "nps", R (OUT_OF_RANGE),
              "field \"nps\": 11 is out of range 0..10");
    s_expect (SURVEY_HEAD ", \"csat\": 0}", "csat", R (OUT_OF_RANGE),
              "field \"csat\": 0 is out of range 1..5");
    s_expect (SURVEY_HEAD "}", "nps", R (MISSING_FIELD),
              "field \"nps\": required for survey unless \"csat\" is given");
    sp_event_t *event = s_parse (SURVEY_HEAD ", \"nps\": 0}");
    assert_int_equal (event->survey->score_case, SALESPULSE__SURVEY__SCORE_NPS);
    assert_int_equal (event->survey->nps, 0);
    s_assert_round_trip (event);
    sp_event_destroy (&event);
    s_expect (COMPLAINT_HEAD ", \"severity\": \"urgent\"}", "severity", R (OUT_OF_RANGE),
              "field \"severity\": \"urgent\" is not one of \"low\", \"medium\", \"high\", "
              "\"critical\"");
    s_expect (COMPLAINT_HEAD ", \"severity\": \"\"}", "severity", R (MISSING_FIELD),
              "field \"severity\": required for complaint");
    const char *severities[] = { "low", "medium", "high", "critical" };
    for (size_t i = 0; i < sizeof severities / sizeof severities[0]; i++) {
        char text[LINE_SIZE];
        snprintf (text, sizeof text, COMPLAINT_HEAD ", \"severity\": \"%s\"}", severities[i]);
        event = s_parse (text);
        assert_int_equal (event->complaint->severity, (int) i + 1);
        s_assert_round_trip (event);
        sp_event_destroy (&event);
    }
}

static void
test_bad_splits (void **state)
{
    (void) state;
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": \"a\", "
                       "\"percent\": 60}, {\"rep_id\": \"b\", \"percent\": \"39\"}]}",
              "splits", R (BAD_SPLITS),
              "field \"splits\": shares sum to 99.00%, must be exactly 100%");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": \"a\", "
                       "\"percent\": 50}, {\"rep_id\": \"a\", \"percent\": 50}]}",
              "splits[1].rep_id", R (BAD_SPLITS),
              "field \"splits[1].rep_id\": \"a\" is credited more than once");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": \"a\", "
                       "\"percent\": \"33.333\"}]}",
              "splits[0].percent", R (BAD_AMOUNT),
              "field \"splits[0].percent\": \"33.333\" is not a percentage with at most 2 "
              "decimals such as \"33.34\"");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": \"a\", "
                       "\"percent\": 0}]}",
              "splits[0].percent", R (OUT_OF_RANGE),
              "field \"splits[0].percent\": 0 is out of range 0.01..100");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": \"a\", "
                       "\"percent\": 150}]}",
              "splits[0].percent", R (OUT_OF_RANGE),
              "field \"splits[0].percent\": 150 is out of range 0.01..100");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": \"a\", "
                       "\"percent\": \"-5\"}]}",
              "splits[0].percent", R (OUT_OF_RANGE),
              "field \"splits[0].percent\": \"-5\" is out of range 0.01..100");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": \"a\", "
                       "\"percent\": \"100.01\"}]}",
              "splits[0].percent", R (OUT_OF_RANGE),
              "field \"splits[0].percent\": \"100.01\" is out of range 0.01..100");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": \"a\"}]}",
              "splits[0].percent", R (MISSING_FIELD),
              "field \"splits[0].percent\": required for every split");
    s_expect (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"percent\": 100}]}",
              "splits[0].rep_id", R (MISSING_FIELD),
              "field \"splits[0].rep_id\": required for every split");
    //  17 splits
    char text[LINE_SIZE];
    int used = snprintf (text, sizeof text,
                         WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, "
                                  "\"splits\": [");
    for (int i = 0; i <= SP_EVENT_SPLITS_MAX; i++)
        used += snprintf (text + used, sizeof text - (size_t) used,
                          "%s{\"rep_id\": \"r%d\", \"percent\": \"5.88\"}", i ? ", " : "", i);
    snprintf (text + used, sizeof text - (size_t) used, "]}");
    s_expect (text, "splits", R (BAD_SPLITS), "field \"splits\": 17 splits, at most 16 allowed");
    //  An empty array is no splits; fractional shares round-trip
    sp_event_t *event =
        s_parse (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": []}");
    assert_int_equal (event->deal_won->n_splits, 0);
    sp_event_destroy (&event);
    event = s_parse (WON_HEAD ", \"currency\": \"USD\", \"amount\": 1, \"splits\": [{\"rep_id\": "
                              "\"a\", \"percent\": \"33.33\"}, {\"rep_id\": \"b\", \"percent\": "
                              "\"33.33\"}, {\"rep_id\": \"c\", \"percent\": \"33.34\"}]}");
    assert_int_equal (event->deal_won->splits[2]->share_basis_points, 3334);
    s_assert_round_trip (event);
    sp_event_destroy (&event);
}

static void
test_key_known (void **state)
{
    (void) state;
    const char *known[] = { "event_id",
                            "source",
                            "type",
                            "occurred_at",
                            "rep_id",
                            "team_id",
                            "region_id",
                            "customer_id",
                            "opportunity_id",
                            "currency",
                            "lead_source",
                            "estimated_value",
                            "to_stage",
                            "from_stage",
                            "planned_for",
                            "duration_minutes",
                            "duration_seconds",
                            "product",
                            "amount",
                            "quote_id",
                            "margin",
                            "splits",
                            "reason",
                            "won_event_id",
                            "order_id",
                            "severity",
                            "category",
                            "nps",
                            "csat" };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        assert_true (sp_event_json_key_known (known[i]));
    assert_false (sp_event_json_key_known ("percent"));
    assert_false (sp_event_json_key_known ("Event_id"));
    assert_false (sp_event_json_key_known (""));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_examples),          cmocka_unit_test (test_example_values),
        cmocka_unit_test (test_to_json_form),      cmocka_unit_test (test_to_json_refuses_invalid),
        cmocka_unit_test (test_absent_values),     cmocka_unit_test (test_missing_field),
        cmocka_unit_test (test_wrong_type),        cmocka_unit_test (test_real_money_refused),
        cmocka_unit_test (test_money_values),      cmocka_unit_test (test_unknown_type),
        cmocka_unit_test (test_unknown_field),     cmocka_unit_test (test_bad_currency),
        cmocka_unit_test (test_invalid_utf8),      cmocka_unit_test (test_oversize_string),
        cmocka_unit_test (test_malformed),         cmocka_unit_test (test_times),
        cmocka_unit_test (test_counts_and_scores), cmocka_unit_test (test_bad_splits),
        cmocka_unit_test (test_key_known),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
