/*  sp_event_json - the JSON form of a sales event (see sp_event_json.h).

    One table lists every JSON key: the event type it belongs to (0 for the
    envelope), how its value is read and written, and where it lives (an
    offset into SalesEvent, or into the type's body: every body member
    shares the storage of the body union, so one pointer reaches any body).
    Reading and writing both walk this table, so the two directions cannot
    drift apart.

    Events are allocated exactly as protobuf-c's unpack does (malloc'd
    strings and submessages, defaults at protobuf_c_empty_string), so
    sp_event_destroy frees either kind.
*/
#include "sp_event_json.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_log.h"
#include "sp_money.h"

#define S_PERCENT_DECIMALS 2 /* split percent: basis points = percent * 100 */
#define S_BASIS_POINTS_PER_PERCENT 100
#define S_PERCENT_MAX 100
#define S_SCAN_DEPTH_MAX 8 /* JSON nesting tracked when locating bad UTF-8 */
#define S_TIME_RANGE_TEXT "must be after 1970-01-01T00:00:00Z and before year 10000"
#define S_SPLIT_EXAMPLE "{\"rep_id\": \"r1\", \"percent\": 100}"

/* How a key's value is read and written. */
typedef enum {
    S_KIND_STRING,   /* JSON string <-> char * */
    S_KIND_TIME,     /* UTC ms integer or RFC 3339 string <-> int64_t */
    S_KIND_COUNT,    /* JSON integer in [min, max] <-> uint32_t */
    S_KIND_SCORE,    /* survey score: like COUNT, and sets the oneof case */
    S_KIND_SEVERITY, /* "low".."critical" <-> ComplaintSeverity */
    S_KIND_MONEY,    /* decimal string or integer, major units <-> Money * */
    S_KIND_SPLITS,   /* array of {rep_id, percent} <-> CreditSplit ** */
} s_kind_t;

/* One JSON key of one event type. */
typedef struct {
    const char *key;            /* JSON key */
    Salespulse__EventType type; /* type it belongs to; UNSPECIFIED = envelope, every type */
    s_kind_t kind;              /* how the value is converted */
    size_t offset;              /* into SalesEvent (envelope) or into the type's body */
    int64_t min;                /* COUNT / SCORE: smallest value */
    int64_t max;                /* COUNT / SCORE: largest value */
    int score_case;             /* SCORE: Salespulse__Survey__ScoreCase it sets */
} s_field_t;

#define S_ENVELOPE SALESPULSE__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED
#define S_TYPE(name) SALESPULSE__EVENT_TYPE__EVENT_TYPE_##name

/* Every key but "type" and "currency", in the order of docs/events.md. */
static const s_field_t s_fields[] = {
    { "event_id", S_ENVELOPE, S_KIND_STRING, offsetof (Salespulse__SalesEvent, event_id), 0, 0, 0 },
    { "source", S_ENVELOPE, S_KIND_STRING, offsetof (Salespulse__SalesEvent, source), 0, 0, 0 },
    { "occurred_at", S_ENVELOPE, S_KIND_TIME, offsetof (Salespulse__SalesEvent, occurred_at), 0, 0,
      0 },
    { "rep_id", S_ENVELOPE, S_KIND_STRING, offsetof (Salespulse__SalesEvent, rep_id), 0, 0, 0 },
    { "team_id", S_ENVELOPE, S_KIND_STRING, offsetof (Salespulse__SalesEvent, team_id), 0, 0, 0 },
    { "region_id", S_ENVELOPE, S_KIND_STRING, offsetof (Salespulse__SalesEvent, region_id), 0, 0,
      0 },
    { "customer_id", S_ENVELOPE, S_KIND_STRING, offsetof (Salespulse__SalesEvent, customer_id), 0,
      0, 0 },
    { "opportunity_id", S_ENVELOPE, S_KIND_STRING,
      offsetof (Salespulse__SalesEvent, opportunity_id), 0, 0, 0 },

    { "lead_source", S_TYPE (LEAD_CREATED), S_KIND_STRING,
      offsetof (Salespulse__LeadCreated, lead_source), 0, 0, 0 },
    { "estimated_value", S_TYPE (LEAD_CREATED), S_KIND_MONEY,
      offsetof (Salespulse__LeadCreated, estimated_value), 0, 0, 0 },
    { "to_stage", S_TYPE (STAGE_CHANGED), S_KIND_STRING,
      offsetof (Salespulse__StageChanged, to_stage), 0, 0, 0 },
    { "from_stage", S_TYPE (STAGE_CHANGED), S_KIND_STRING,
      offsetof (Salespulse__StageChanged, from_stage), 0, 0, 0 },
    { "planned_for", S_TYPE (VISIT_PLANNED), S_KIND_TIME,
      offsetof (Salespulse__VisitPlanned, planned_for), 0, 0, 0 },
    { "duration_minutes", S_TYPE (VISIT_COMPLETED), S_KIND_COUNT,
      offsetof (Salespulse__VisitCompleted, duration_minutes), 1, SP_EVENT_VISIT_MINUTES_MAX, 0 },
    { "duration_seconds", S_TYPE (CALL), S_KIND_COUNT,
      offsetof (Salespulse__Call, duration_seconds), 1, SP_EVENT_CALL_SECONDS_MAX, 0 },
    { "product", S_TYPE (DEMO), S_KIND_STRING, offsetof (Salespulse__Demo, product), 0, 0, 0 },
    { "amount", S_TYPE (QUOTE_SENT), S_KIND_MONEY, offsetof (Salespulse__QuoteSent, amount), 0, 0,
      0 },
    { "quote_id", S_TYPE (QUOTE_SENT), S_KIND_STRING, offsetof (Salespulse__QuoteSent, quote_id), 0,
      0, 0 },
    { "amount", S_TYPE (DEAL_WON), S_KIND_MONEY, offsetof (Salespulse__DealWon, amount), 0, 0, 0 },
    { "margin", S_TYPE (DEAL_WON), S_KIND_MONEY, offsetof (Salespulse__DealWon, margin), 0, 0, 0 },
    { "product", S_TYPE (DEAL_WON), S_KIND_STRING, offsetof (Salespulse__DealWon, product), 0, 0,
      0 },
    { "splits", S_TYPE (DEAL_WON), S_KIND_SPLITS, offsetof (Salespulse__DealWon, splits), 0, 0, 0 },
    { "reason", S_TYPE (DEAL_LOST), S_KIND_STRING, offsetof (Salespulse__DealLost, reason), 0, 0,
      0 },
    { "won_event_id", S_TYPE (DEAL_CANCELLED), S_KIND_STRING,
      offsetof (Salespulse__DealCancelled, won_event_id), 0, 0, 0 },
    { "reason", S_TYPE (DEAL_CANCELLED), S_KIND_STRING,
      offsetof (Salespulse__DealCancelled, reason), 0, 0, 0 },
    { "amount", S_TYPE (ORDER_PLACED), S_KIND_MONEY, offsetof (Salespulse__OrderPlaced, amount), 0,
      0, 0 },
    { "order_id", S_TYPE (ORDER_PLACED), S_KIND_STRING,
      offsetof (Salespulse__OrderPlaced, order_id), 0, 0, 0 },
    { "amount", S_TYPE (PAYMENT_RECEIVED), S_KIND_MONEY,
      offsetof (Salespulse__PaymentReceived, amount), 0, 0, 0 },
    { "order_id", S_TYPE (PAYMENT_RECEIVED), S_KIND_STRING,
      offsetof (Salespulse__PaymentReceived, order_id), 0, 0, 0 },
    { "severity", S_TYPE (COMPLAINT), S_KIND_SEVERITY, offsetof (Salespulse__Complaint, severity),
      0, 0, 0 },
    { "category", S_TYPE (COMPLAINT), S_KIND_STRING, offsetof (Salespulse__Complaint, category), 0,
      0, 0 },
    { "nps", S_TYPE (SURVEY), S_KIND_SCORE, offsetof (Salespulse__Survey, nps), 0, SP_EVENT_NPS_MAX,
      SALESPULSE__SURVEY__SCORE_NPS },
    { "csat", S_TYPE (SURVEY), S_KIND_SCORE, offsetof (Salespulse__Survey, csat), SP_EVENT_CSAT_MIN,
      SP_EVENT_CSAT_MAX, SALESPULSE__SURVEY__SCORE_CSAT },
};

#define S_FIELD_COUNT (sizeof s_fields / sizeof s_fields[0])

/* JSON spelling of ComplaintSeverity, indexed by value. */
static const char *const s_severities[] = { NULL, "low", "medium", "high", "critical" };

#define S_SEVERITY_EXPECTED "one of \"low\", \"medium\", \"high\", \"critical\""

// ---------------------------------------------------------------- helpers

static void
s_out_of_memory (sp_event_error_t *error)
{
    sp_log_error ("could not map a JSON event", "error=\"out of memory\"");
    sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_UNSPECIFIED,
                        "out of memory");
}

/* Field of the table for a key of a type, or NULL. */
static const s_field_t *
s_field_find (const char *key, Salespulse__EventType type)
{
    for (size_t i = 0; i < S_FIELD_COUNT; i++)
        if ((s_fields[i].type == S_ENVELOPE || s_fields[i].type == type) &&
            strcmp (s_fields[i].key, key) == 0)
            return &s_fields[i];
    return NULL;
}

/* Where a field lives in an event. */
static void *
s_field_slot (const s_field_t *field, const sp_event_t *event)
{
    const char *base =
        field->type == S_ENVELOPE ? (const char *) event : (const char *) event->lead_created;
    assert (base);
    return (void *) (base + field->offset);
}

static const char *
s_json_kind (const json_t *value)
{
    switch (json_typeof (value)) {
        case JSON_OBJECT:
            return "an object";
        case JSON_ARRAY:
            return "an array";
        case JSON_STRING:
            return "a string";
        case JSON_INTEGER:
            return "an integer";
        case JSON_REAL:
            return "a real number";
        case JSON_TRUE:
        case JSON_FALSE:
            return "a boolean";
        case JSON_NULL:
            return "null";
    }
    return "an unknown value";
}

/* Copies a JSON string into a string slot; "" leaves the slot at its default. */
static int
s_take_string (const json_t *value, const char *path, char **slot, sp_event_error_t *error)
{
    if (!json_is_string (value)) {
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE,
                            "expected a string, got %s", s_json_kind (value));
        return -1;
    }
    const char *text = json_string_value (value);
    size_t length = json_string_length (value);
    if (length > 0 && memchr (text, '\0', length)) {
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CHARSET,
                            "contains a NUL character");
        return -1;
    }
    if (sp_event_set_string (slot, text, length)) {
        s_out_of_memory (error);
        return -1;
    }
    return 0;
}

static int
s_take_time (const json_t *value, const char *path, int64_t *slot, sp_event_error_t *error)
{
    int64_t ms;
    if (json_is_integer (value)) {
        ms = json_integer_value (value);
        if (ms < 1 || ms > SP_EVENT_TIME_MAX) {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                                "%" PRId64 " is out of range, " S_TIME_RANGE_TEXT, ms);
            return -1;
        }
    }
    else if (json_is_string (value)) {
        const char *text = json_string_value (value);
        if (*text == '\0')
            return 0;
        char quoted[SP_EVENT_QUOTE_SIZE];
        sp_event_quote (text, json_string_length (value), quoted, sizeof quoted);
        if (sp_event_time_parse (text, &ms)) {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_TIME,
                                "\"%s\" is not an RFC 3339 time such as "
                                "\"2017-05-03T10:00:00Z\"",
                                quoted);
            return -1;
        }
        if (ms < 1 || ms > SP_EVENT_TIME_MAX) {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                                "\"%s\" is out of range, " S_TIME_RANGE_TEXT, quoted);
            return -1;
        }
    }
    else {
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE,
                            "expected UTC milliseconds or an RFC 3339 string such as "
                            "\"2017-05-03T10:00:00Z\", got %s",
                            s_json_kind (value));
        return -1;
    }
    *slot = ms;
    return 0;
}

/* A JSON integer within [min, max]. */
static int
s_take_integer (const json_t *value, const char *path, int64_t min, int64_t max, int64_t *result,
                sp_event_error_t *error)
{
    if (!json_is_integer (value)) {
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE,
                            "expected an integer, got %s", s_json_kind (value));
        return -1;
    }
    int64_t number = json_integer_value (value);
    if (number < min || number > max) {
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                            "%" PRId64 " is out of range %" PRId64 "..%" PRId64, number, min, max);
        return -1;
    }
    *result = number;
    return 0;
}

static int
s_take_severity (const json_t *value, const char *path, Salespulse__ComplaintSeverity *slot,
                 sp_event_error_t *error)
{
    if (!json_is_string (value)) {
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE,
                            "expected " S_SEVERITY_EXPECTED ", got %s", s_json_kind (value));
        return -1;
    }
    const char *text = json_string_value (value);
    if (*text == '\0')
        return 0;
    for (int severity = 1; severity <= SP_EVENT_SEVERITY_MAX; severity++) {
        if (strcmp (s_severities[severity], text) == 0) {
            *slot = (Salespulse__ComplaintSeverity) severity;
            return 0;
        }
    }
    char quoted[SP_EVENT_QUOTE_SIZE];
    sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                        "\"%s\" is not " S_SEVERITY_EXPECTED,
                        sp_event_quote (text, json_string_length (value), quoted, sizeof quoted));
    return -1;
}

/* Money in major units: decimal string or integer. currency may be NULL
   (then a present amount is an error on "currency"). */
static int
s_take_money (const json_t *value, const char *path, const char *currency, Salespulse__Money **slot,
              sp_event_error_t *error)
{
    if (!json_is_string (value) && !json_is_integer (value)) {
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE,
                            "expected a decimal string such as \"12.34\", got %s",
                            s_json_kind (value));
        return -1;
    }
    if (json_is_string (value) && json_string_length (value) == 0)
        return 0;
    if (!currency) {
        sp_event_error_set (error, "currency",
                            SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required when \"%s\" is given", path);
        return -1;
    }
    int decimals = sp_money_currency_decimals (currency);
    assert (decimals >= 0);
    int64_t minor = 0;
    if (json_is_integer (value)) {
        int64_t major = json_integer_value (value);
        int64_t scale = 1;
        for (int i = 0; i < decimals; i++)
            scale *= 10;
        if (major > SP_MONEY_MAX_MINOR / scale || major < -(SP_MONEY_MAX_MINOR / scale)) {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                                "%" PRId64 " %s is out of range, the limit is %" PRId64
                                " minor units",
                                major, currency, SP_MONEY_MAX_MINOR);
            return -1;
        }
        minor = major * scale;
    }
    else {
        const char *text = json_string_value (value);
        char quoted[SP_EVENT_QUOTE_SIZE];
        sp_event_quote (text, json_string_length (value), quoted, sizeof quoted);
        sp_money_status_t status = sp_money_parse (text, currency, &minor);
        if (status == SP_MONEY_MALFORMED) {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_AMOUNT,
                                "\"%s\" is not a decimal amount such as \"12.34\"", quoted);
            return -1;
        }
        if (status == SP_MONEY_TOO_MANY_DECIMALS) {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_AMOUNT,
                                "\"%s\" has more than %d decimals, the most %s allows", quoted,
                                decimals, currency);
            return -1;
        }
        if (status == SP_MONEY_OUT_OF_RANGE) {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                                "\"%s\" %s is out of range, the limit is %" PRId64 " minor units",
                                quoted, currency, SP_MONEY_MAX_MINOR);
            return -1;
        }
        assert (status == SP_MONEY_OK);
    }
    Salespulse__Money *money = (Salespulse__Money *) malloc (sizeof *money);
    if (!money) {
        s_out_of_memory (error);
        return -1;
    }
    salespulse__money__init (money);
    if (sp_event_set_string (&money->currency, currency, strlen (currency))) {
        free (money);
        s_out_of_memory (error);
        return -1;
    }
    money->amount_minor = minor;
    *slot = money;
    return 0;
}

/* A split's percent: integer 1..100 or decimal string with at most 2
   decimals, as basis points. */
static int
s_take_percent (const json_t *value, const char *path, uint32_t *slot, sp_event_error_t *error)
{
    int64_t basis_points;
    if (json_is_integer (value)) {
        int64_t percent = json_integer_value (value);
        if (percent < 1 || percent > S_PERCENT_MAX) {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                                "%" PRId64 " is out of range 0.01..100", percent);
            return -1;
        }
        basis_points = percent * S_BASIS_POINTS_PER_PERCENT;
    }
    else if (json_is_string (value)) {
        const char *text = json_string_value (value);
        if (*text == '\0')
            return 0;
        char quoted[SP_EVENT_QUOTE_SIZE];
        sp_event_quote (text, json_string_length (value), quoted, sizeof quoted);
        sp_money_status_t status = sp_money_parse_decimal (text, S_PERCENT_DECIMALS, &basis_points);
        if (status == SP_MONEY_MALFORMED || status == SP_MONEY_TOO_MANY_DECIMALS) {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_AMOUNT,
                                "\"%s\" is not a percentage with at most 2 decimals such as "
                                "\"33.34\"",
                                quoted);
            return -1;
        }
        if (status != SP_MONEY_OK || basis_points < 1 || basis_points > SP_EVENT_SHARE_TOTAL) {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                                "\"%s\" is out of range 0.01..100", quoted);
            return -1;
        }
    }
    else {
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE,
                            "expected a number such as 50 or a decimal string such as "
                            "\"33.34\", got %s",
                            s_json_kind (value));
        return -1;
    }
    *slot = (uint32_t) basis_points;
    return 0;
}

static int
s_take_split (const json_t *element, size_t index, Salespulse__CreditSplit *split,
              sp_event_error_t *error)
{
    char path[SP_EVENT_FIELD_SIZE];
    snprintf (path, sizeof path, "splits[%zu]", index);
    if (!json_is_object (element)) {
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE,
                            "expected an object such as " S_SPLIT_EXAMPLE ", got %s",
                            s_json_kind (element));
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) element, key, value)
    {
        char quoted[SP_EVENT_QUOTE_SIZE];
        snprintf (path, sizeof path, "splits[%zu].%s", index,
                  sp_event_quote (key, strlen (key), quoted, sizeof quoted));
        if (json_is_null (value))
            continue;
        if (strcmp (key, "rep_id") == 0) {
            if (s_take_string (value, path, &split->rep_id, error))
                return -1;
        }
        else if (strcmp (key, "percent") == 0) {
            if (s_take_percent (value, path, &split->share_basis_points, error))
                return -1;
        }
        else {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_UNKNOWN_FIELD,
                                "not a field of a split, use \"rep_id\" and \"percent\"");
            return -1;
        }
    }
    return 0;
}

static int
s_take_splits (const json_t *value, const char *path, Salespulse__DealWon *body,
               sp_event_error_t *error)
{
    if (!json_is_array (value)) {
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE,
                            "expected an array such as [" S_SPLIT_EXAMPLE "], got %s",
                            s_json_kind (value));
        return -1;
    }
    size_t count = json_array_size (value);
    if (count == 0)
        return 0;
    body->splits = (Salespulse__CreditSplit **) calloc (count, sizeof *body->splits);
    if (!body->splits) {
        s_out_of_memory (error);
        return -1;
    }
    for (size_t index = 0; index < count; index++) {
        Salespulse__CreditSplit *split = (Salespulse__CreditSplit *) malloc (sizeof *split);
        if (!split) {
            s_out_of_memory (error);
            return -1;
        }
        salespulse__credit_split__init (split);
        //  Counted at once, so destroying the event frees it on any error.
        body->splits[body->n_splits++] = split;
        if (s_take_split (json_array_get (value, index), index, split, error))
            return -1;
    }
    return 0;
}

static int
s_take_score (const json_t *value, const s_field_t *field, sp_event_t *event,
              sp_event_error_t *error)
{
    Salespulse__Survey *body = event->survey;
    if (body->score_case != SALESPULSE__SURVEY__SCORE__NOT_SET) {
        const char *other = body->score_case == SALESPULSE__SURVEY__SCORE_NPS ? "nps" : "csat";
        sp_event_error_set (error, field->key,
                            SALESPULSE__REJECT_REASON__REJECT_REASON_CONFLICTING_FIELDS,
                            "not allowed together with \"%s\", a survey has one score", other);
        return -1;
    }
    int64_t score;
    if (s_take_integer (value, field->key, field->min, field->max, &score, error))
        return -1;
    body->score_case = (Salespulse__Survey__ScoreCase) field->score_case;
    *(uint32_t *) s_field_slot (field, event) = (uint32_t) score;
    return 0;
}

/* Converts one key's value into its place in the event. */
static int
s_take_field (const json_t *value, const s_field_t *field, const char *currency, sp_event_t *event,
              sp_event_error_t *error)
{
    void *slot = s_field_slot (field, event);
    switch (field->kind) {
        case S_KIND_STRING:
            return s_take_string (value, field->key, (char **) slot, error);
        case S_KIND_TIME:
            return s_take_time (value, field->key, (int64_t *) slot, error);
        case S_KIND_COUNT: {
            int64_t count;
            if (s_take_integer (value, field->key, field->min, field->max, &count, error))
                return -1;
            *(uint32_t *) slot = (uint32_t) count;
            return 0;
        }
        case S_KIND_SCORE:
            return s_take_score (value, field, event, error);
        case S_KIND_SEVERITY:
            return s_take_severity (value, field->key, (Salespulse__ComplaintSeverity *) slot,
                                    error);
        case S_KIND_MONEY:
            return s_take_money (value, field->key, currency, (Salespulse__Money **) slot, error);
        case S_KIND_SPLITS:
            return s_take_splits (value, field->key, event->deal_won, error);
    }
    assert (false);
    return -1;
}

/* The event type named by "type". */
static int
s_read_type (const json_t *object, Salespulse__EventType *type, sp_event_error_t *error)
{
    const json_t *value = json_object_get (object, "type");
    if (!value || json_is_null (value) || (json_is_string (value) && !*json_string_value (value))) {
        sp_event_error_set (error, "type", SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for every event");
        return -1;
    }
    if (!json_is_string (value)) {
        sp_event_error_set (error, "type", SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE,
                            "expected a string such as \"deal_won\", got %s", s_json_kind (value));
        return -1;
    }
    const char *name = json_string_value (value);
    *type = sp_event_type_from_name (name);
    if (*type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED) {
        char quoted[SP_EVENT_QUOTE_SIZE];
        sp_event_error_set (
            error, "type", SALESPULSE__REJECT_REASON__REJECT_REASON_UNKNOWN_TYPE,
            "unknown event type \"%s\"",
            sp_event_quote (name, json_string_length (value), quoted, sizeof quoted));
        return -1;
    }
    return 0;
}

/* The event's currency: NULL when absent, else a known ISO-4217 code. */
static int
s_read_currency (const json_t *object, const char **currency, sp_event_error_t *error)
{
    *currency = NULL;
    const json_t *value = json_object_get (object, "currency");
    if (!value || json_is_null (value))
        return 0;
    if (!json_is_string (value)) {
        sp_event_error_set (error, "currency", SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE,
                            "expected a string such as \"USD\", got %s", s_json_kind (value));
        return -1;
    }
    const char *code = json_string_value (value);
    if (*code == '\0')
        return 0;
    if (!sp_money_currency_valid (code)) {
        char quoted[SP_EVENT_QUOTE_SIZE];
        sp_event_error_set (
            error, "currency", SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CURRENCY,
            "\"%s\" is not an ISO-4217 currency code",
            sp_event_quote (code, json_string_length (value), quoted, sizeof quoted));
        return -1;
    }
    *currency = code;
    return 0;
}

sp_event_t *
sp_event_from_json_object (const json_t *object, sp_event_error_t *error)
{
    assert (object);
    if (!json_is_object (object)) {
        sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                            "expected a JSON object, got %s", s_json_kind (object));
        goto out_fail;
    }
    //  Errors are collected in a local copy so *error stays untouched on success.
    sp_event_error_t local;
    Salespulse__EventType type;
    const char *currency;
    if (s_read_type (object, &type, &local) || s_read_currency (object, &currency, &local))
        goto out_report;
    sp_event_t *event = sp_event_new (type);
    if (!event) {
        s_out_of_memory (&local);
        goto out_report;
    }
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) object, key, value)
    {
        if (strcmp (key, "type") == 0 || strcmp (key, "currency") == 0)
            continue;
        const s_field_t *field = s_field_find (key, type);
        if (!field) {
            char quoted[SP_EVENT_QUOTE_SIZE];
            sp_event_error_set (&local, sp_event_quote (key, strlen (key), quoted, sizeof quoted),
                                SALESPULSE__REJECT_REASON__REJECT_REASON_UNKNOWN_FIELD,
                                "not a field of %s events", sp_event_type_name (type));
            goto out_destroy_event;
        }
        if (json_is_null (value))
            continue;
        if (s_take_field (value, field, currency, event, &local))
            goto out_destroy_event;
    }
    if (sp_event_validate (event, NULL, &local))
        goto out_destroy_event;
    return event;

out_destroy_event:
    sp_event_destroy (&event);
out_report:
    if (error)
        *error = local;
out_fail:
    return NULL;
}

bool
sp_event_json_key_known (const char *key)
{
    assert (key);
    if (strcmp (key, "type") == 0 || strcmp (key, "currency") == 0)
        return true;
    for (size_t i = 0; i < S_FIELD_COUNT; i++)
        if (strcmp (s_fields[i].key, key) == 0)
            return true;
    return false;
}

// ---------------------------------------------------------------- writing

/* Sets key to a new value; value NULL (failed allocation) is an error. */
static int
s_put (json_t *object, const char *key, json_t *value)
{
    return value ? json_object_set_new (object, key, value) : -1;
}

static json_t *
s_time_to_json (int64_t ms)
{
    char text[SP_EVENT_TIME_TEXT_SIZE];
    if (sp_event_time_format (ms, text, sizeof text))
        return NULL;
    return json_string (text);
}

static json_t *
s_money_to_json (const Salespulse__Money *money)
{
    char text[SP_MONEY_TEXT_SIZE];
    if (sp_money_format (money->amount_minor, money->currency, text, sizeof text) != SP_MONEY_OK)
        return NULL;
    return json_string (text);
}

static json_t *
s_splits_to_json (const Salespulse__DealWon *body)
{
    json_t *array = json_array ();
    if (!array)
        return NULL;
    for (size_t i = 0; i < body->n_splits; i++) {
        const Salespulse__CreditSplit *split = body->splits[i];
        json_t *percent;
        if (split->share_basis_points % S_BASIS_POINTS_PER_PERCENT == 0)
            percent = json_integer (split->share_basis_points / S_BASIS_POINTS_PER_PERCENT);
        else {
            char text[SP_MONEY_TEXT_SIZE];
            sp_money_format_decimal (split->share_basis_points, S_PERCENT_DECIMALS, text,
                                     sizeof text);
            percent = json_string (text);
        }
        json_t *element = json_object ();
        if (!element || s_put (element, "rep_id", json_string (split->rep_id)) ||
            s_put (element, "percent", percent) || json_array_append_new (array, element)) {
            if (!element)
                json_decref (percent);
            json_decref (element);
            json_decref (array);
            return NULL;
        }
    }
    return array;
}

/* Adds one table field when it is set; returns -1 on allocation failure. */
static int
s_put_field (json_t *object, const s_field_t *field, const sp_event_t *event)
{
    const void *slot = s_field_slot (field, event);
    switch (field->kind) {
        case S_KIND_STRING: {
            const char *text = *(char *const *) slot;
            return text && *text ? s_put (object, field->key, json_string (text)) : 0;
        }
        case S_KIND_TIME: {
            int64_t ms = *(const int64_t *) slot;
            return ms ? s_put (object, field->key, s_time_to_json (ms)) : 0;
        }
        case S_KIND_COUNT: {
            uint32_t count = *(const uint32_t *) slot;
            return count ? s_put (object, field->key, json_integer (count)) : 0;
        }
        case S_KIND_SCORE:
            if ((int) event->survey->score_case != field->score_case)
                return 0;
            return s_put (object, field->key, json_integer (*(const uint32_t *) slot));
        case S_KIND_SEVERITY: {
            int severity = (int) *(const Salespulse__ComplaintSeverity *) slot;
            return s_put (object, field->key, json_string (s_severities[severity]));
        }
        case S_KIND_MONEY: {
            const Salespulse__Money *money = *(Salespulse__Money *const *) slot;
            return money ? s_put (object, field->key, s_money_to_json (money)) : 0;
        }
        case S_KIND_SPLITS:
            return event->deal_won->n_splits
                       ? s_put (object, field->key, s_splits_to_json (event->deal_won))
                       : 0;
    }
    assert (false);
    return -1;
}

/* Currency of the first money field of the body, or NULL. */
static const char *
s_body_currency (const sp_event_t *event)
{
    for (size_t i = 0; i < S_FIELD_COUNT; i++) {
        const s_field_t *field = &s_fields[i];
        if (field->type != event->type || field->kind != S_KIND_MONEY)
            continue;
        const Salespulse__Money *money = *(Salespulse__Money *const *) s_field_slot (field, event);
        if (money)
            return money->currency;
    }
    return NULL;
}

json_t *
sp_event_to_json (const sp_event_t *event)
{
    assert (event);
    if (sp_event_validate (event, NULL, NULL))
        goto out_fail;
    json_t *object = json_object ();
    if (!object)
        goto out_fail;
    bool has_body = event->body_case != SALESPULSE__SALES_EVENT__BODY__NOT_SET;
    for (size_t i = 0; i < S_FIELD_COUNT; i++) {
        const s_field_t *field = &s_fields[i];
        if (field->type != S_ENVELOPE)
            continue;
        if (s_put_field (object, field, event))
            goto out_destroy_object;
        //  "type" follows "source", as in docs/events.md
        if (strcmp (field->key, "source") == 0 &&
            s_put (object, "type", json_string (sp_event_type_name (event->type))))
            goto out_destroy_object;
    }
    const char *currency = has_body ? s_body_currency (event) : NULL;
    if (currency && s_put (object, "currency", json_string (currency)))
        goto out_destroy_object;
    for (size_t i = 0; i < S_FIELD_COUNT && has_body; i++)
        if (s_fields[i].type == event->type && s_put_field (object, &s_fields[i], event))
            goto out_destroy_object;
    return object;

out_destroy_object:
    json_decref (object);
out_fail:
    return NULL;
}

// ---------------------------------------------------------------- reading text

/* One open JSON container while scanning for the key holding a bad byte. */
typedef struct {
    bool is_object;                /* object (keys) or array (indexes) */
    bool expecting_key;            /* object: the next string is a key */
    size_t index;                  /* array: index of the current element */
    char key[SP_EVENT_FIELD_SIZE]; /* object: the current key, cut to fit */
} s_frame_t;

/* Reports the first byte that is not UTF-8, naming the JSON path of the
   string value holding it when there is one. The scan is lexical (strings,
   brackets, commas, colons) and only covers the text before the bad byte,
   which is UTF-8. */
static void
s_report_bad_utf8 (const char *text, size_t offset, sp_event_error_t *error)
{
    s_frame_t frames[S_SCAN_DEPTH_MAX];
    size_t depth = 0; //  containers open, including untracked deep ones
    bool in_string = false, escaped = false, string_is_key = false;
    size_t key_length = 0;
    char key[SP_EVENT_FIELD_SIZE];
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < offset; i++) {
        char c = text[i];
        s_frame_t *top = depth > 0 && depth <= S_SCAN_DEPTH_MAX ? &frames[depth - 1] : NULL;
        if (c == '\n') {
            line++;
            line_start = i + 1;
        }
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"') {
                in_string = false;
                if (string_is_key && top) {
                    memcpy (top->key, key, key_length);
                    top->key[key_length] = '\0';
                }
            }
            if (in_string && string_is_key && key_length < sizeof key - 1)
                key[key_length++] = c;
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth < S_SCAN_DEPTH_MAX) {
                s_frame_t *frame = &frames[depth];
                frame->is_object = c == '{';
                frame->expecting_key = frame->is_object;
                frame->index = 0;
                frame->key[0] = '\0';
            }
            depth++;
        }
        else if ((c == '}' || c == ']') && depth > 0)
            depth--;
        else if (c == ',' && top) {
            if (top->is_object)
                top->expecting_key = true;
            else
                top->index++;
        }
        else if (c == ':' && top && top->is_object)
            top->expecting_key = false;
        else if (c == '"') {
            in_string = true;
            string_is_key = top && top->is_object && top->expecting_key;
            key_length = 0;
        }
    }
    if (in_string && !string_is_key && depth > 0 && depth <= S_SCAN_DEPTH_MAX) {
        char path[SP_EVENT_FIELD_SIZE] = "";
        size_t used = 0;
        for (size_t level = 0; level < depth && used < sizeof path; level++) {
            const s_frame_t *frame = &frames[level];
            int written;
            if (frame->is_object)
                written =
                    snprintf (path + used, sizeof path - used, "%s%s", used ? "." : "", frame->key);
            else
                written = snprintf (path + used, sizeof path - used, "[%zu]", frame->index);
            used += written > 0 ? (size_t) written : 0;
        }
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_INVALID_UTF8,
                            "not valid UTF-8");
        return;
    }
    sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_INVALID_UTF8,
                        "not valid UTF-8 at line %d column %zu (byte 0x%02X)", line,
                        offset - line_start + 1, (unsigned char) text[offset]);
}

sp_event_t *
sp_event_from_json (const char *text, size_t length, sp_event_error_t *error)
{
    assert (text || length == 0);
    size_t valid = sp_event_utf8_prefix (text, length);
    if (valid < length) {
        s_report_bad_utf8 (text, valid, error);
        return NULL;
    }
    json_error_t json_error;
    json_t *root = json_loadb (text ? text : "", length, JSON_REJECT_DUPLICATES, &json_error);
    if (!root) {
        sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                            "invalid JSON at line %d column %d: %s", json_error.line,
                            json_error.column, json_error.text);
        return NULL;
    }
    sp_event_t *event = sp_event_from_json_object (root, error);
    json_decref (root);
    return event;
}
