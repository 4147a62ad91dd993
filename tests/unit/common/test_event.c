/*  test_event - sp_event: every validation rule with its exact field,
    reason and message (names, UTF-8 and helpers: test_event_support.c).

    Events are built on the stack from a fixture holding every body, so a
    test starts from a valid event of a type and breaks one thing.
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
#include "sp_money.h"

#define OCCURRED_AT INT64_C (1493805600000) /* 2017-05-03T10:00:00Z */
#define SPLITS_ROOM 20                      /* more than SP_EVENT_SPLITS_MAX */
#define LONG_TEXT_SIZE 300                  /* longer than every limit */
#define ERROR_FILL 0xAB                     /* pattern of an untouched error */

#define R(name) SALESPULSE__REJECT_REASON__REJECT_REASON_##name
#define T(name) SALESPULSE__EVENT_TYPE__EVENT_TYPE_##name

/* A valid event of one type and the storage it points into. */
typedef struct {
    sp_event_t event;
    Salespulse__Money amount;
    Salespulse__Money margin;
    Salespulse__LeadCreated lead_created;
    Salespulse__StageChanged stage_changed;
    Salespulse__VisitPlanned visit_planned;
    Salespulse__VisitCompleted visit_completed;
    Salespulse__Call call;
    Salespulse__Demo demo;
    Salespulse__QuoteSent quote_sent;
    Salespulse__DealWon deal_won;
    Salespulse__DealLost deal_lost;
    Salespulse__DealCancelled deal_cancelled;
    Salespulse__OrderPlaced order_placed;
    Salespulse__PaymentReceived payment_received;
    Salespulse__Complaint complaint;
    Salespulse__Survey survey;
    Salespulse__CreditSplit split_storage[SPLITS_ROOM];
    Salespulse__CreditSplit *splits[SPLITS_ROOM];
    char long_text[LONG_TEXT_SIZE];
    char split_names[SPLITS_ROOM][8];
} fixture_t;

/* A string of exactly length 'x' bytes (valid for every charset). */
static char *
s_text_of (fixture_t *f, size_t length)
{
    assert_true (length < sizeof f->long_text);
    memset (f->long_text, 'x', length);
    f->long_text[length] = '\0';
    return f->long_text;
}

static void
s_make (fixture_t *f, Salespulse__EventType type)
{
    memset (f, 0, sizeof *f);
    salespulse__sales_event__init (&f->event);
    salespulse__money__init (&f->amount);
    salespulse__money__init (&f->margin);
    f->amount.currency = (char *) "USD";
    f->amount.amount_minor = 123450;
    f->margin.currency = (char *) "USD";
    f->margin.amount_minor = -500;
    sp_event_t *e = &f->event;
    e->event_id = (char *) "evt-0001";
    e->source = (char *) "crm";
    e->type = type;
    e->occurred_at = OCCURRED_AT;
    e->rep_id = (char *) "rep-1";
    e->customer_id = (char *) "cust-1";
    e->opportunity_id = (char *) "opp-1";
    e->body_case = sp_event_body_case (type);
    switch (type) {
        case T (LEAD_CREATED):
            salespulse__lead_created__init (&f->lead_created);
            e->lead_created = &f->lead_created;
            break;
        case T (STAGE_CHANGED):
            salespulse__stage_changed__init (&f->stage_changed);
            f->stage_changed.to_stage = (char *) "demo";
            e->stage_changed = &f->stage_changed;
            break;
        case T (VISIT_PLANNED):
            salespulse__visit_planned__init (&f->visit_planned);
            f->visit_planned.planned_for = OCCURRED_AT + 86400000;
            e->visit_planned = &f->visit_planned;
            break;
        case T (VISIT_COMPLETED):
            salespulse__visit_completed__init (&f->visit_completed);
            f->visit_completed.duration_minutes = 45;
            e->visit_completed = &f->visit_completed;
            break;
        case T (CALL):
            salespulse__call__init (&f->call);
            f->call.duration_seconds = 300;
            e->call = &f->call;
            break;
        case T (DEMO):
            salespulse__demo__init (&f->demo);
            e->demo = &f->demo;
            break;
        case T (QUOTE_SENT):
            salespulse__quote_sent__init (&f->quote_sent);
            f->quote_sent.amount = &f->amount;
            e->quote_sent = &f->quote_sent;
            break;
        case T (DEAL_WON):
            salespulse__deal_won__init (&f->deal_won);
            f->deal_won.amount = &f->amount;
            e->deal_won = &f->deal_won;
            for (size_t i = 0; i < SPLITS_ROOM; i++) {
                salespulse__credit_split__init (&f->split_storage[i]);
                snprintf (f->split_names[i], sizeof f->split_names[i], "rep-%zu", i);
                f->split_storage[i].rep_id = f->split_names[i];
                f->splits[i] = &f->split_storage[i];
            }
            break;
        case T (DEAL_LOST):
            salespulse__deal_lost__init (&f->deal_lost);
            e->deal_lost = &f->deal_lost;
            break;
        case T (DEAL_CANCELLED):
            salespulse__deal_cancelled__init (&f->deal_cancelled);
            f->deal_cancelled.won_event_id = (char *) "evt-0000";
            e->deal_cancelled = &f->deal_cancelled;
            break;
        case T (ORDER_PLACED):
            salespulse__order_placed__init (&f->order_placed);
            f->order_placed.amount = &f->amount;
            e->order_placed = &f->order_placed;
            break;
        case T (PAYMENT_RECEIVED):
            salespulse__payment_received__init (&f->payment_received);
            f->payment_received.amount = &f->amount;
            e->payment_received = &f->payment_received;
            break;
        case T (COMPLAINT):
            salespulse__complaint__init (&f->complaint);
            f->complaint.severity = SALESPULSE__COMPLAINT_SEVERITY__COMPLAINT_SEVERITY_HIGH;
            e->complaint = &f->complaint;
            break;
        case T (SURVEY):
            salespulse__survey__init (&f->survey);
            f->survey.score_case = SALESPULSE__SURVEY__SCORE_NPS;
            f->survey.nps = 9;
            e->survey = &f->survey;
            break;
        default:
            fail ();
    }
}

/* Uses n splits with the given shares. */
static void
s_splits (fixture_t *f, size_t count, const uint32_t *shares)
{
    for (size_t i = 0; i < count; i++)
        f->split_storage[i].share_basis_points = shares[i];
    f->deal_won.n_splits = count;
    f->deal_won.splits = f->splits;
}

static void
s_expect_valid_with (const sp_event_t *event, const sp_event_time_bounds_t *bounds)
{
    sp_event_error_t error, untouched;
    memset (&error, ERROR_FILL, sizeof error);
    memset (&untouched, ERROR_FILL, sizeof untouched);
    int rc = sp_event_validate (event, bounds, &error);
    if (rc != 0)
        print_error ("unexpected: %s\n", error.message);
    assert_int_equal (rc, 0);
    assert_memory_equal (&error, &untouched, sizeof error);
}

static void
s_expect_valid (const sp_event_t *event)
{
    s_expect_valid_with (event, NULL);
}

static void
s_expect_with (const sp_event_t *event, const sp_event_time_bounds_t *bounds, const char *field,
               sp_event_reason_t reason, const char *message)
{
    sp_event_error_t error;
    memset (&error, ERROR_FILL, sizeof error);
    assert_int_equal (sp_event_validate (event, bounds, &error), -1);
    assert_string_equal (error.message, message);
    assert_string_equal (error.field, field);
    assert_int_equal (error.reason, reason);
    //  The verdict does not depend on having an error to fill
    assert_int_equal (sp_event_validate (event, bounds, NULL), -1);
}

static void
s_expect (const sp_event_t *event, const char *field, sp_event_reason_t reason, const char *message)
{
    s_expect_with (event, NULL, field, reason, message);
}

static void
test_partition_key (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (CALL));
    assert_string_equal (sp_event_partition_key (&f.event), "cust-1");
    f.event.customer_id = (char *) "";
    assert_string_equal (sp_event_partition_key (&f.event), "opp-1");
    f.event.opportunity_id = (char *) "";
    assert_string_equal (sp_event_partition_key (&f.event), "");
}

// ---------------------------------------------------------------- envelope

static void
test_valid_every_type (void **state)
{
    (void) state;
    fixture_t f;
    for (int type = 1; type <= T (SURVEY); type++) {
        s_make (&f, (Salespulse__EventType) type);
        s_expect_valid (&f.event);
    }
}

static void
test_event_id (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (CALL));
    f.event.event_id = (char *) "";
    s_expect (&f.event, "event_id", R (MISSING_FIELD),
              "field \"event_id\": required for every event");
    f.event.event_id = s_text_of (&f, SP_EVENT_ID_MAX);
    s_expect_valid (&f.event);
    f.event.event_id = s_text_of (&f, SP_EVENT_ID_MAX + 1);
    s_expect (&f.event, "event_id", R (TOO_LONG), "field \"event_id\": longer than 128 bytes");
    f.event.event_id = (char *) "AZaz09._:-";
    s_expect_valid (&f.event);
    f.event.event_id = (char *) "crm/42";
    s_expect (&f.event, "event_id", R (BAD_CHARSET),
              "field \"event_id\": character \"/\" not allowed, only A-Z a-z 0-9 . _ : -");
    f.event.event_id = (char *) "crm 42";
    s_expect (&f.event, "event_id", R (BAD_CHARSET),
              "field \"event_id\": byte 0x20 not allowed, only A-Z a-z 0-9 . _ : -");
    f.event.event_id = (char *) "caf\xc3\xa9";
    s_expect (&f.event, "event_id", R (BAD_CHARSET),
              "field \"event_id\": byte 0xC3 not allowed, only A-Z a-z 0-9 . _ : -");
}

static void
test_source_and_type (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (CALL));
    f.event.source = (char *) "";
    s_expect (&f.event, "source", R (MISSING_FIELD), "field \"source\": required for every event");
    f.event.source = NULL;
    s_expect (&f.event, "source", R (MISSING_FIELD), "field \"source\": required for every event");
    f.event.source = s_text_of (&f, SP_EVENT_NAME_MAX);
    s_expect_valid (&f.event);
    f.event.source = s_text_of (&f, SP_EVENT_NAME_MAX + 1);
    s_expect (&f.event, "source", R (TOO_LONG), "field \"source\": longer than 64 bytes");
    f.event.source = (char *) "c\xffm";
    s_expect (&f.event, "source", R (INVALID_UTF8), "field \"source\": not valid UTF-8");
    f.event.source = (char *) "crm";
    f.event.type = T (UNSPECIFIED);
    s_expect (&f.event, "type", R (MISSING_FIELD), "field \"type\": required for every event");
    f.event.type = (Salespulse__EventType) 99;
    s_expect (&f.event, "type", R (UNKNOWN_TYPE), "field \"type\": unknown event type 99");
}

static void
test_occurred_at (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (CALL));
    f.event.occurred_at = 0;
    s_expect (&f.event, "occurred_at", R (MISSING_FIELD),
              "field \"occurred_at\": required for every event");
    f.event.occurred_at = -1;
    s_expect (&f.event, "occurred_at", R (OUT_OF_RANGE),
              "field \"occurred_at\": -1 is out of range, must be after 1970-01-01T00:00:00Z "
              "and before year 10000");
    f.event.occurred_at = SP_EVENT_TIME_MAX + 1;
    s_expect (&f.event, "occurred_at", R (OUT_OF_RANGE),
              "field \"occurred_at\": 253402300800000 is out of range, must be after "
              "1970-01-01T00:00:00Z and before year 10000");
    f.event.occurred_at = SP_EVENT_TIME_MAX;
    s_expect_valid (&f.event);
    f.event.occurred_at = 1;
    s_expect_valid (&f.event);
}

static void
test_time_window (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (CALL));
    sp_event_time_bounds_t bounds = { OCCURRED_AT, OCCURRED_AT + 1000 };
    s_expect_valid_with (&f.event, &bounds);
    f.event.occurred_at = OCCURRED_AT + 1000;
    s_expect_valid_with (&f.event, &bounds);
    f.event.occurred_at = OCCURRED_AT + 1001;
    s_expect_with (&f.event, &bounds, "occurred_at", R (TIME_OUT_OF_WINDOW),
                   "field \"occurred_at\": 2017-05-03T10:00:01.001Z is outside the accepted "
                   "window 2017-05-03T10:00:00.000Z to 2017-05-03T10:00:01.000Z");
    f.event.occurred_at = OCCURRED_AT - 1;
    s_expect_with (&f.event, &bounds, "occurred_at", R (TIME_OUT_OF_WINDOW),
                   "field \"occurred_at\": 2017-05-03T09:59:59.999Z is outside the accepted "
                   "window 2017-05-03T10:00:00.000Z to 2017-05-03T10:00:01.000Z");
    //  Bounds that have no RFC 3339 form are shown in ms
    sp_event_time_bounds_t wide = { OCCURRED_AT, INT64_MAX };
    s_expect_with (&f.event, &wide, "occurred_at", R (TIME_OUT_OF_WINDOW),
                   "field \"occurred_at\": 2017-05-03T09:59:59.999Z is outside the accepted "
                   "window 2017-05-03T10:00:00.000Z to 9223372036854775807 ms");
    //  Both 0: no window
    sp_event_time_bounds_t none = { 0, 0 };
    s_expect_valid_with (&f.event, &none);
}

static void
test_envelope_strings (void **state)
{
    (void) state;
    fixture_t f;
    const struct {
        const char *field; /* name */
        size_t offset;     /* in SalesEvent */
        size_t max;        /* limit */
    } fields[] = {
        { "rep_id", offsetof (sp_event_t, rep_id), SP_EVENT_NAME_MAX },
        { "team_id", offsetof (sp_event_t, team_id), SP_EVENT_NAME_MAX },
        { "region_id", offsetof (sp_event_t, region_id), SP_EVENT_NAME_MAX },
        { "customer_id", offsetof (sp_event_t, customer_id), SP_EVENT_REF_MAX },
        { "opportunity_id", offsetof (sp_event_t, opportunity_id), SP_EVENT_REF_MAX },
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        s_make (&f, T (CALL));
        char **slot = (char **) ((char *) &f.event + fields[i].offset);
        char expected[SP_EVENT_MESSAGE_SIZE];
        *slot = s_text_of (&f, fields[i].max);
        s_expect_valid (&f.event);
        *slot = s_text_of (&f, fields[i].max + 1);
        snprintf (expected, sizeof expected, "field \"%s\": longer than %zu bytes", fields[i].field,
                  fields[i].max);
        s_expect (&f.event, fields[i].field, R (TOO_LONG), expected);
        *slot = (char *) "r\xc3\x28";
        snprintf (expected, sizeof expected, "field \"%s\": not valid UTF-8", fields[i].field);
        s_expect (&f.event, fields[i].field, R (INVALID_UTF8), expected);
        *slot = (char *) "Jos\xc3\xa9 \xe2\x82\xac";
        s_expect_valid (&f.event);
    }
}

static void
test_body_mismatch (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (DEAL_WON));
    f.event.body_case = SALESPULSE__SALES_EVENT__BODY_DEAL_LOST;
    s_expect (&f.event, "body", R (BODY_MISMATCH),
              "field \"body\": carries a deal_lost body, expected deal_won");
    f.event.body_case = (Salespulse__SalesEvent__BodyCase) 77;
    s_expect (&f.event, "body", R (BODY_MISMATCH),
              "field \"body\": carries unknown body member 77, expected deal_won");
}

static void
test_body_absent (void **state)
{
    (void) state;
    fixture_t f;
    //  Types whose body fields are all optional may omit it
    const Salespulse__EventType optional[] = { T (LEAD_CREATED), T (DEMO), T (DEAL_LOST) };
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        s_make (&f, optional[i]);
        f.event.body_case = SALESPULSE__SALES_EVENT__BODY__NOT_SET;
        s_expect_valid (&f.event);
    }
    const struct {
        Salespulse__EventType type; /* type */
        const char *field;          /* first required body field */
        const char *message;        /* its error */
    } required[] = {
        { T (STAGE_CHANGED), "to_stage", "field \"to_stage\": required for stage_changed" },
        { T (VISIT_PLANNED), "planned_for", "field \"planned_for\": required for visit_planned" },
        { T (VISIT_COMPLETED), "duration_minutes",
          "field \"duration_minutes\": required for visit_completed" },
        { T (CALL), "duration_seconds", "field \"duration_seconds\": required for call" },
        { T (QUOTE_SENT), "amount", "field \"amount\": required for quote_sent" },
        { T (DEAL_WON), "amount", "field \"amount\": required for deal_won" },
        { T (DEAL_CANCELLED), "won_event_id",
          "field \"won_event_id\": required for deal_cancelled" },
        { T (ORDER_PLACED), "amount", "field \"amount\": required for order_placed" },
        { T (PAYMENT_RECEIVED), "amount", "field \"amount\": required for payment_received" },
        { T (COMPLAINT), "severity", "field \"severity\": required for complaint" },
        { T (SURVEY), "nps", "field \"nps\": required for survey unless \"csat\" is given" },
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        s_make (&f, required[i].type);
        f.event.body_case = SALESPULSE__SALES_EVENT__BODY__NOT_SET;
        s_expect (&f.event, required[i].field, R (MISSING_FIELD), required[i].message);
    }
}

/* Envelope fields each type requires, in the order they are checked. */
static void
test_required_envelope_fields (void **state)
{
    (void) state;
    fixture_t f;
    const struct {
        Salespulse__EventType type; /* type */
        size_t offset;              /* field emptied */
        const char *field;          /* reported field */
        const char *message;        /* error */
    } cases[] = {
        { T (LEAD_CREATED), offsetof (sp_event_t, opportunity_id), "opportunity_id",
          "field \"opportunity_id\": required for lead_created" },
        { T (STAGE_CHANGED), offsetof (sp_event_t, opportunity_id), "opportunity_id",
          "field \"opportunity_id\": required for stage_changed" },
        { T (VISIT_PLANNED), offsetof (sp_event_t, rep_id), "rep_id",
          "field \"rep_id\": required for visit_planned" },
        { T (VISIT_COMPLETED), offsetof (sp_event_t, rep_id), "rep_id",
          "field \"rep_id\": required for visit_completed" },
        { T (CALL), offsetof (sp_event_t, rep_id), "rep_id",
          "field \"rep_id\": required for call" },
        { T (DEMO), offsetof (sp_event_t, rep_id), "rep_id",
          "field \"rep_id\": required for demo" },
        { T (DEMO), offsetof (sp_event_t, opportunity_id), "opportunity_id",
          "field \"opportunity_id\": required for demo" },
        { T (QUOTE_SENT), offsetof (sp_event_t, opportunity_id), "opportunity_id",
          "field \"opportunity_id\": required for quote_sent" },
        { T (DEAL_WON), offsetof (sp_event_t, rep_id), "rep_id",
          "field \"rep_id\": required for deal_won" },
        { T (DEAL_WON), offsetof (sp_event_t, opportunity_id), "opportunity_id",
          "field \"opportunity_id\": required for deal_won" },
        { T (DEAL_LOST), offsetof (sp_event_t, opportunity_id), "opportunity_id",
          "field \"opportunity_id\": required for deal_lost" },
        { T (DEAL_CANCELLED), offsetof (sp_event_t, opportunity_id), "opportunity_id",
          "field \"opportunity_id\": required for deal_cancelled" },
        { T (ORDER_PLACED), offsetof (sp_event_t, customer_id), "customer_id",
          "field \"customer_id\": required for order_placed" },
        { T (PAYMENT_RECEIVED), offsetof (sp_event_t, customer_id), "customer_id",
          "field \"customer_id\": required for payment_received" },
        { T (COMPLAINT), offsetof (sp_event_t, customer_id), "customer_id",
          "field \"customer_id\": required for complaint" },
        { T (SURVEY), offsetof (sp_event_t, customer_id), "customer_id",
          "field \"customer_id\": required for survey" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_make (&f, cases[i].type);
        *(char **) ((char *) &f.event + cases[i].offset) = (char *) "";
        s_expect (&f.event, cases[i].field, R (MISSING_FIELD), cases[i].message);
    }
    //  Optional envelope fields may be empty for the types that do not need them
    s_make (&f, T (ORDER_PLACED));
    f.event.rep_id = f.event.opportunity_id = (char *) "";
    s_expect_valid (&f.event);
    s_make (&f, T (DEAL_LOST));
    f.event.rep_id = f.event.customer_id = (char *) "";
    s_expect_valid (&f.event);
}

static void
test_customer_or_opportunity (void **state)
{
    (void) state;
    fixture_t f;
    const Salespulse__EventType types[] = { T (VISIT_PLANNED), T (VISIT_COMPLETED), T (CALL) };
    const char *messages[] = {
        "field \"customer_id\": required for visit_planned unless \"opportunity_id\" is given",
        "field \"customer_id\": required for visit_completed unless \"opportunity_id\" is given",
        "field \"customer_id\": required for call unless \"opportunity_id\" is given",
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        s_make (&f, types[i]);
        f.event.customer_id = (char *) "";
        s_expect_valid (&f.event);
        f.event.customer_id = (char *) "cust-1";
        f.event.opportunity_id = (char *) "";
        s_expect_valid (&f.event);
        f.event.customer_id = (char *) "";
        s_expect (&f.event, "customer_id", R (MISSING_FIELD), messages[i]);
    }
}

// ---------------------------------------------------------------- bodies

static void
test_lead_created (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (LEAD_CREATED));
    f.lead_created.lead_source = s_text_of (&f, SP_EVENT_NAME_MAX + 1);
    s_expect (&f.event, "lead_source", R (TOO_LONG), "field \"lead_source\": longer than 64 bytes");
    f.lead_created.lead_source = (char *) "web";
    f.lead_created.estimated_value = &f.amount;
    s_expect_valid (&f.event);
    f.amount.amount_minor = -1;
    s_expect (&f.event, "estimated_value", R (NEGATIVE),
              "field \"estimated_value\": negative amount not allowed");
    f.amount.amount_minor = 0;
    s_expect_valid (&f.event);
    f.amount.currency = (char *) "usd";
    s_expect (&f.event, "estimated_value.currency", R (BAD_CURRENCY),
              "field \"estimated_value.currency\": \"usd\" is not an ISO-4217 currency code");
}

static void
test_stage_changed (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (STAGE_CHANGED));
    f.stage_changed.to_stage = (char *) "";
    s_expect (&f.event, "to_stage", R (MISSING_FIELD),
              "field \"to_stage\": required for stage_changed");
    f.stage_changed.to_stage = s_text_of (&f, SP_EVENT_NAME_MAX + 1);
    s_expect (&f.event, "to_stage", R (TOO_LONG), "field \"to_stage\": longer than 64 bytes");
    f.stage_changed.to_stage = (char *) "negotiation";
    f.stage_changed.from_stage = s_text_of (&f, SP_EVENT_NAME_MAX + 1);
    s_expect (&f.event, "from_stage", R (TOO_LONG), "field \"from_stage\": longer than 64 bytes");
    f.stage_changed.from_stage = (char *) "\xc3";
    s_expect (&f.event, "from_stage", R (INVALID_UTF8), "field \"from_stage\": not valid UTF-8");
}

static void
test_visit_planned (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (VISIT_PLANNED));
    f.visit_planned.planned_for = 0;
    s_expect (&f.event, "planned_for", R (MISSING_FIELD),
              "field \"planned_for\": required for visit_planned");
    f.visit_planned.planned_for = -5;
    s_expect (&f.event, "planned_for", R (OUT_OF_RANGE),
              "field \"planned_for\": -5 is out of range, must be after 1970-01-01T00:00:00Z "
              "and before year 10000");
    //  planned_for is not held to the occurred_at window
    f.visit_planned.planned_for = OCCURRED_AT * 2;
    sp_event_time_bounds_t bounds = { OCCURRED_AT, OCCURRED_AT };
    s_expect_valid_with (&f.event, &bounds);
}

static void
test_durations (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (VISIT_COMPLETED));
    f.visit_completed.duration_minutes = SP_EVENT_VISIT_MINUTES_MAX;
    s_expect_valid (&f.event);
    f.visit_completed.duration_minutes = 1;
    s_expect_valid (&f.event);
    f.visit_completed.duration_minutes = SP_EVENT_VISIT_MINUTES_MAX + 1;
    s_expect (&f.event, "duration_minutes", R (OUT_OF_RANGE),
              "field \"duration_minutes\": 1441 is out of range 1..1440");
    f.visit_completed.duration_minutes = 0;
    s_expect (&f.event, "duration_minutes", R (MISSING_FIELD),
              "field \"duration_minutes\": required for visit_completed");
    s_make (&f, T (CALL));
    f.call.duration_seconds = SP_EVENT_CALL_SECONDS_MAX;
    s_expect_valid (&f.event);
    f.call.duration_seconds = SP_EVENT_CALL_SECONDS_MAX + 1;
    s_expect (&f.event, "duration_seconds", R (OUT_OF_RANGE),
              "field \"duration_seconds\": 86401 is out of range 1..86400");
    f.call.duration_seconds = UINT32_MAX;
    s_expect (&f.event, "duration_seconds", R (OUT_OF_RANGE),
              "field \"duration_seconds\": 4294967295 is out of range 1..86400");
}

static void
test_demo (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (DEMO));
    f.demo.product = s_text_of (&f, SP_EVENT_REF_MAX);
    s_expect_valid (&f.event);
    f.demo.product = s_text_of (&f, SP_EVENT_REF_MAX + 1);
    s_expect (&f.event, "product", R (TOO_LONG), "field \"product\": longer than 128 bytes");
}

static void
test_quote_sent (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (QUOTE_SENT));
    f.amount.amount_minor = -100;
    s_expect (&f.event, "amount", R (NEGATIVE), "field \"amount\": negative amount not allowed");
    f.amount.amount_minor = 0;
    s_expect_valid (&f.event);
    f.quote_sent.quote_id = s_text_of (&f, SP_EVENT_REF_MAX + 1);
    s_expect (&f.event, "quote_id", R (TOO_LONG), "field \"quote_id\": longer than 128 bytes");
}

static void
test_money_rules (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (PAYMENT_RECEIVED));
    f.amount.currency = (char *) "";
    s_expect (&f.event, "amount.currency", R (MISSING_FIELD),
              "field \"amount.currency\": required for every amount");
    f.amount.currency = (char *) "XXX";
    s_expect (&f.event, "amount.currency", R (BAD_CURRENCY),
              "field \"amount.currency\": \"XXX\" is not an ISO-4217 currency code");
    f.amount.currency = (char *) "U\nS";
    s_expect (&f.event, "amount.currency", R (BAD_CURRENCY),
              "field \"amount.currency\": \"U\\x0AS\" is not an ISO-4217 currency code");
    f.amount.currency = (char *) "JPY";
    f.amount.amount_minor = SP_MONEY_MAX_MINOR;
    s_expect_valid (&f.event);
    f.amount.amount_minor = SP_MONEY_MAX_MINOR + 1;
    s_expect (&f.event, "amount", R (OUT_OF_RANGE),
              "field \"amount\": 1000000000000001 minor units is out of range, the limit is "
              "1000000000000000");
    f.amount.amount_minor = -1;
    s_expect (&f.event, "amount", R (NEGATIVE), "field \"amount\": negative amount not allowed");
    //  Out of range is reported before the sign
    f.amount.amount_minor = INT64_MIN;
    s_expect (&f.event, "amount", R (OUT_OF_RANGE),
              "field \"amount\": -9223372036854775808 minor units is out of range, the limit "
              "is 1000000000000000");
    f.amount.amount_minor = 1;
    f.payment_received.order_id = s_text_of (&f, SP_EVENT_REF_MAX + 1);
    s_expect (&f.event, "order_id", R (TOO_LONG), "field \"order_id\": longer than 128 bytes");
}

static void
test_order_placed (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (ORDER_PLACED));
    f.amount.amount_minor = -SP_MONEY_MAX_MINOR;
    s_expect_valid (&f.event); //  a return / credit note
    f.order_placed.order_id = s_text_of (&f, SP_EVENT_REF_MAX + 1);
    s_expect (&f.event, "order_id", R (TOO_LONG), "field \"order_id\": longer than 128 bytes");
}

static void
test_deal_won_money (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (DEAL_WON));
    f.amount.amount_minor = -1;
    s_expect (&f.event, "amount", R (NEGATIVE), "field \"amount\": negative amount not allowed");
    f.amount.amount_minor = 100;
    f.deal_won.margin = &f.margin;
    s_expect_valid (&f.event); //  negative margin allowed
    f.margin.currency = (char *) "EUR";
    s_expect (&f.event, "margin.currency", R (BAD_CURRENCY),
              "field \"margin.currency\": \"EUR\" differs from the amount's currency \"USD\"");
    f.margin.currency = (char *) "EURO";
    s_expect (&f.event, "margin.currency", R (BAD_CURRENCY),
              "field \"margin.currency\": \"EURO\" is not an ISO-4217 currency code");
    f.margin.currency = (char *) "USD";
    f.margin.amount_minor = -SP_MONEY_MAX_MINOR - 1;
    s_expect (&f.event, "margin", R (OUT_OF_RANGE),
              "field \"margin\": -1000000000000001 minor units is out of range, the limit is "
              "1000000000000000");
    f.margin.amount_minor = 0;
    f.deal_won.product = s_text_of (&f, SP_EVENT_REF_MAX + 1);
    s_expect (&f.event, "product", R (TOO_LONG), "field \"product\": longer than 128 bytes");
}

static void
test_deal_won_splits (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (DEAL_WON));
    const uint32_t whole[] = { 10000 };
    s_splits (&f, 1, whole);
    s_expect_valid (&f.event);
    const uint32_t thirds[] = { 3333, 3333, 3334 };
    s_splits (&f, 3, thirds);
    s_expect_valid (&f.event);
    const uint32_t short_sum[] = { 6000, 3900 };
    s_splits (&f, 2, short_sum);
    s_expect (&f.event, "splits", R (BAD_SPLITS),
              "field \"splits\": shares sum to 99.00%, must be exactly 100%");
    const uint32_t long_sum[] = { 6000, 4001 };
    s_splits (&f, 2, long_sum);
    s_expect (&f.event, "splits", R (BAD_SPLITS),
              "field \"splits\": shares sum to 100.01%, must be exactly 100%");
    const uint32_t zero[] = { 10000, 0 };
    s_splits (&f, 2, zero);
    s_expect (&f.event, "splits[1].percent", R (MISSING_FIELD),
              "field \"splits[1].percent\": required for every split");
    const uint32_t over[] = { 10001 };
    s_splits (&f, 1, over);
    s_expect (&f.event, "splits[0].percent", R (OUT_OF_RANGE),
              "field \"splits[0].percent\": 100.01 is out of range 0.01..100");
    //  16 splits are fine, 17 are not
    uint32_t sixteenths[SPLITS_ROOM];
    for (size_t i = 0; i < SPLITS_ROOM; i++)
        sixteenths[i] = 625;
    s_splits (&f, SP_EVENT_SPLITS_MAX, sixteenths);
    s_expect_valid (&f.event);
    s_splits (&f, SP_EVENT_SPLITS_MAX + 1, sixteenths);
    s_expect (&f.event, "splits", R (BAD_SPLITS),
              "field \"splits\": 17 splits, at most 16 allowed");
    //  rep_id rules
    const uint32_t halves[] = { 5000, 5000 };
    s_splits (&f, 2, halves);
    f.split_storage[1].rep_id = (char *) "";
    s_expect (&f.event, "splits[1].rep_id", R (MISSING_FIELD),
              "field \"splits[1].rep_id\": required for every split");
    f.split_storage[1].rep_id = s_text_of (&f, SP_EVENT_NAME_MAX + 1);
    s_expect (&f.event, "splits[1].rep_id", R (TOO_LONG),
              "field \"splits[1].rep_id\": longer than 64 bytes");
    f.split_storage[1].rep_id = (char *) "\xe2\x82";
    s_expect (&f.event, "splits[1].rep_id", R (INVALID_UTF8),
              "field \"splits[1].rep_id\": not valid UTF-8");
    f.split_storage[1].rep_id = (char *) "rep-0";
    s_expect (&f.event, "splits[1].rep_id", R (BAD_SPLITS),
              "field \"splits[1].rep_id\": \"rep-0\" is credited more than once");
}

static void
test_deal_lost_and_cancelled (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (DEAL_LOST));
    f.deal_lost.reason = s_text_of (&f, SP_EVENT_TEXT_MAX);
    s_expect_valid (&f.event);
    f.deal_lost.reason = s_text_of (&f, SP_EVENT_TEXT_MAX + 1);
    s_expect (&f.event, "reason", R (TOO_LONG), "field \"reason\": longer than 256 bytes");

    s_make (&f, T (DEAL_CANCELLED));
    f.deal_cancelled.won_event_id = (char *) "";
    s_expect (&f.event, "won_event_id", R (MISSING_FIELD),
              "field \"won_event_id\": required for deal_cancelled");
    f.deal_cancelled.won_event_id = (char *) "evt#1";
    s_expect (&f.event, "won_event_id", R (BAD_CHARSET),
              "field \"won_event_id\": character \"#\" not allowed, only A-Z a-z 0-9 . _ : -");
    f.deal_cancelled.won_event_id = s_text_of (&f, SP_EVENT_ID_MAX + 1);
    s_expect (&f.event, "won_event_id", R (TOO_LONG),
              "field \"won_event_id\": longer than 128 bytes");
    f.deal_cancelled.won_event_id = (char *) "evt-0000";
    f.deal_cancelled.reason = s_text_of (&f, SP_EVENT_TEXT_MAX + 1);
    s_expect (&f.event, "reason", R (TOO_LONG), "field \"reason\": longer than 256 bytes");
}

static void
test_complaint (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (COMPLAINT));
    f.complaint.severity = SALESPULSE__COMPLAINT_SEVERITY__COMPLAINT_SEVERITY_UNSPECIFIED;
    s_expect (&f.event, "severity", R (MISSING_FIELD),
              "field \"severity\": required for complaint");
    f.complaint.severity = (Salespulse__ComplaintSeverity) 5;
    s_expect (&f.event, "severity", R (OUT_OF_RANGE), "field \"severity\": 5 is out of range 1..4");
    f.complaint.severity = (Salespulse__ComplaintSeverity) -2;
    s_expect (&f.event, "severity", R (OUT_OF_RANGE),
              "field \"severity\": -2 is out of range 1..4");
    f.complaint.severity = SALESPULSE__COMPLAINT_SEVERITY__COMPLAINT_SEVERITY_CRITICAL;
    f.complaint.category = s_text_of (&f, SP_EVENT_NAME_MAX + 1);
    s_expect (&f.event, "category", R (TOO_LONG), "field \"category\": longer than 64 bytes");
}

static void
test_survey (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (SURVEY));
    f.survey.nps = 0;
    s_expect_valid (&f.event);
    f.survey.nps = SP_EVENT_NPS_MAX;
    s_expect_valid (&f.event);
    f.survey.nps = SP_EVENT_NPS_MAX + 1;
    s_expect (&f.event, "nps", R (OUT_OF_RANGE), "field \"nps\": 11 is out of range 0..10");
    f.survey.score_case = SALESPULSE__SURVEY__SCORE_CSAT;
    f.survey.csat = SP_EVENT_CSAT_MIN;
    s_expect_valid (&f.event);
    f.survey.csat = SP_EVENT_CSAT_MAX;
    s_expect_valid (&f.event);
    f.survey.csat = 0;
    s_expect (&f.event, "csat", R (OUT_OF_RANGE), "field \"csat\": 0 is out of range 1..5");
    f.survey.csat = SP_EVENT_CSAT_MAX + 1;
    s_expect (&f.event, "csat", R (OUT_OF_RANGE), "field \"csat\": 6 is out of range 1..5");
    f.survey.score_case = SALESPULSE__SURVEY__SCORE__NOT_SET;
    s_expect (&f.event, "nps", R (MISSING_FIELD),
              "field \"nps\": required for survey unless \"csat\" is given");
}

/* The envelope is judged before the type's needs, which come before the body. */
static void
test_check_order (void **state)
{
    (void) state;
    fixture_t f;
    s_make (&f, T (DEAL_WON));
    f.event.rep_id = (char *) "";
    f.deal_won.amount = NULL;
    f.event.team_id = s_text_of (&f, SP_EVENT_NAME_MAX + 1);
    s_expect (&f.event, "team_id", R (TOO_LONG), "field \"team_id\": longer than 64 bytes");
    f.event.team_id = (char *) "";
    s_expect (&f.event, "rep_id", R (MISSING_FIELD), "field \"rep_id\": required for deal_won");
    f.event.rep_id = (char *) "rep-1";
    s_expect (&f.event, "amount", R (MISSING_FIELD), "field \"amount\": required for deal_won");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_partition_key),
        cmocka_unit_test (test_valid_every_type),
        cmocka_unit_test (test_event_id),
        cmocka_unit_test (test_source_and_type),
        cmocka_unit_test (test_occurred_at),
        cmocka_unit_test (test_time_window),
        cmocka_unit_test (test_envelope_strings),
        cmocka_unit_test (test_body_mismatch),
        cmocka_unit_test (test_body_absent),
        cmocka_unit_test (test_required_envelope_fields),
        cmocka_unit_test (test_customer_or_opportunity),
        cmocka_unit_test (test_lead_created),
        cmocka_unit_test (test_stage_changed),
        cmocka_unit_test (test_visit_planned),
        cmocka_unit_test (test_durations),
        cmocka_unit_test (test_demo),
        cmocka_unit_test (test_quote_sent),
        cmocka_unit_test (test_money_rules),
        cmocka_unit_test (test_order_placed),
        cmocka_unit_test (test_deal_won_money),
        cmocka_unit_test (test_deal_won_splits),
        cmocka_unit_test (test_deal_lost_and_cancelled),
        cmocka_unit_test (test_complaint),
        cmocka_unit_test (test_survey),
        cmocka_unit_test (test_check_order),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
