/*  sp_event - rules for a SalesEvent (see sp_event.h and docs/events.md).

    One table describes every event type: its JSON name, its body member,
    the descriptor used to allocate the body, and which envelope fields the
    type requires. sp_event_validate walks the envelope, then the type's
    required envelope fields, then the body, and stops at the first
    violation. A missing body is judged like an empty one (proto3 cannot
    tell them apart for scalar fields), so its required fields are reported
    as missing.

    Proto3 has no presence for scalars and strings: 0 and "" mean absent,
    so "required" means "not 0 / not empty" here.
*/
#include "sp_event.h"
#include "sp_civil.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_money.h"

#define SP_EVENT_MS_PER_SECOND INT64_C (1000)
#define SP_EVENT_REQUIRED_ALWAYS "every event" /* "required for every event" */
#define SP_EVENT_SHARE_DECIMALS 2              /* basis points shown as percent with 2 decimals */
#define SP_EVENT_UTF8_BYTE_TEXT_SIZE 5         /* "\xNN" and NUL */
#define SP_EVENT_QUOTE_ELLIPSIS "..."
#define S_SECONDS_PER_MINUTE 60
#define S_SECONDS_PER_HOUR 3600
#define S_SECONDS_PER_DAY INT64_C (86400)
#define S_FRACTION_DIGITS_MAX 9 /* nanoseconds; digits after the milliseconds are dropped */
#define S_MS_DIGITS 3           /* fraction digits kept */
#define S_MONTHS 12
#define S_HOURS 24
#define S_MINUTES 60
#define S_SECONDS 60 /* a leap second (60) is refused */
#define S_YEAR_DIGITS 4
#define S_TWO_DIGITS 2
#define S_DECIMAL_BASE 10

/* Envelope fields a type requires. */
#define S_NEEDS_REP 0x1u                     /* rep_id */
#define S_NEEDS_CUSTOMER 0x2u                /* customer_id */
#define S_NEEDS_OPPORTUNITY 0x4u             /* opportunity_id */
#define S_NEEDS_CUSTOMER_OR_OPPORTUNITY 0x8u /* at least one of the two */

/* What the rules know about one event type. */
typedef struct {
    const char *name;                           /* JSON spelling, e.g. "deal_won" */
    Salespulse__SalesEvent__BodyCase body_case; /* body member it carries */
    const ProtobufCMessageDescriptor *body;     /* descriptor of that body */
    unsigned needs;                             /* S_NEEDS_* bits */
} s_type_t;

#define S_TYPE_COUNT (SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY + 1)

/* Indexed by Salespulse__EventType; entry 0 (UNSPECIFIED) is empty. */
static const s_type_t s_types[S_TYPE_COUNT] = {
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED] = { "lead_created",
                                                          SALESPULSE__SALES_EVENT__BODY_LEAD_CREATED,
                                                          &salespulse__lead_created__descriptor,
                                                          S_NEEDS_OPPORTUNITY },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED] = { "stage_changed",
                                                           SALESPULSE__SALES_EVENT__BODY_STAGE_CHANGED,
                                                           &salespulse__stage_changed__descriptor,
                                                           S_NEEDS_OPPORTUNITY },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_PLANNED] = { "visit_planned",
                                                           SALESPULSE__SALES_EVENT__BODY_VISIT_PLANNED,
                                                           &salespulse__visit_planned__descriptor,
                                                           S_NEEDS_REP |
                                                               S_NEEDS_CUSTOMER_OR_OPPORTUNITY },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED] = { "visit_completed",
                                                             SALESPULSE__SALES_EVENT__BODY_VISIT_COMPLETED,
                                                             &salespulse__visit_completed__descriptor,
                                                             S_NEEDS_REP |
                                                                 S_NEEDS_CUSTOMER_OR_OPPORTUNITY },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL] = { "call", SALESPULSE__SALES_EVENT__BODY_CALL,
                                                  &salespulse__call__descriptor,
                                                  S_NEEDS_REP | S_NEEDS_CUSTOMER_OR_OPPORTUNITY },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO] = { "demo", SALESPULSE__SALES_EVENT__BODY_DEMO,
                                                  &salespulse__demo__descriptor,
                                                  S_NEEDS_REP | S_NEEDS_OPPORTUNITY },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT] = { "quote_sent",
                                                        SALESPULSE__SALES_EVENT__BODY_QUOTE_SENT,
                                                        &salespulse__quote_sent__descriptor,
                                                        S_NEEDS_OPPORTUNITY },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON] = { "deal_won",
                                                      SALESPULSE__SALES_EVENT__BODY_DEAL_WON,
                                                      &salespulse__deal_won__descriptor,
                                                      S_NEEDS_REP | S_NEEDS_OPPORTUNITY },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST] = { "deal_lost",
                                                       SALESPULSE__SALES_EVENT__BODY_DEAL_LOST,
                                                       &salespulse__deal_lost__descriptor,
                                                       S_NEEDS_OPPORTUNITY },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_CANCELLED] = { "deal_cancelled",
                                                            SALESPULSE__SALES_EVENT__BODY_DEAL_CANCELLED,
                                                            &salespulse__deal_cancelled__descriptor,
                                                            S_NEEDS_OPPORTUNITY },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED] = { "order_placed",
                                                          SALESPULSE__SALES_EVENT__BODY_ORDER_PLACED,
                                                          &salespulse__order_placed__descriptor,
                                                          S_NEEDS_CUSTOMER },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED] = { "payment_received",
                                                              SALESPULSE__SALES_EVENT__BODY_PAYMENT_RECEIVED,
                                                              &salespulse__payment_received__descriptor,
                                                              S_NEEDS_CUSTOMER },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_COMPLAINT] = { "complaint",
                                                       SALESPULSE__SALES_EVENT__BODY_COMPLAINT,
                                                       &salespulse__complaint__descriptor,
                                                       S_NEEDS_CUSTOMER },
    [SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY] = { "survey", SALESPULSE__SALES_EVENT__BODY_SURVEY,
                                                    &salespulse__survey__descriptor,
                                                    S_NEEDS_CUSTOMER },
};

/* Short names of RejectReason codes, indexed by value. */
static const char *const s_reason_names[] = {
    [SALESPULSE__REJECT_REASON__REJECT_REASON_UNSPECIFIED] = "unspecified",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD] = "missing_field",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE] = "wrong_type",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_UNKNOWN_TYPE] = "unknown_type",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_UNKNOWN_FIELD] = "unknown_field",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_INVALID_UTF8] = "invalid_utf8",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_TOO_LONG] = "too_long",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CHARSET] = "bad_charset",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CURRENCY] = "bad_currency",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_AMOUNT] = "bad_amount",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE] = "out_of_range",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_NEGATIVE] = "negative",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_TIME] = "bad_time",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_TIME_OUT_OF_WINDOW] = "time_out_of_window",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_SPLITS] = "bad_splits",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_BODY_MISMATCH] = "body_mismatch",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED] = "malformed",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_CONFLICTING_FIELDS] = "conflicting_fields",
    [SALESPULSE__REJECT_REASON__REJECT_REASON_SOURCE_NOT_ALLOWED] = "source_not_allowed",
};

#define S_REASON_COUNT (sizeof s_reason_names / sizeof s_reason_names[0])

/* Bodies judged when an event carries none: every field at its default. */
static const Salespulse__LeadCreated s_empty_lead_created = SALESPULSE__LEAD_CREATED__INIT;
static const Salespulse__StageChanged s_empty_stage_changed = SALESPULSE__STAGE_CHANGED__INIT;
static const Salespulse__VisitPlanned s_empty_visit_planned = SALESPULSE__VISIT_PLANNED__INIT;
static const Salespulse__VisitCompleted s_empty_visit_completed = SALESPULSE__VISIT_COMPLETED__INIT;
static const Salespulse__Call s_empty_call = SALESPULSE__CALL__INIT;
static const Salespulse__Demo s_empty_demo = SALESPULSE__DEMO__INIT;
static const Salespulse__QuoteSent s_empty_quote_sent = SALESPULSE__QUOTE_SENT__INIT;
static const Salespulse__DealWon s_empty_deal_won = SALESPULSE__DEAL_WON__INIT;
static const Salespulse__DealLost s_empty_deal_lost = SALESPULSE__DEAL_LOST__INIT;
static const Salespulse__DealCancelled s_empty_deal_cancelled = SALESPULSE__DEAL_CANCELLED__INIT;
static const Salespulse__OrderPlaced s_empty_order_placed = SALESPULSE__ORDER_PLACED__INIT;
static const Salespulse__PaymentReceived s_empty_payment_received =
    SALESPULSE__PAYMENT_RECEIVED__INIT;
static const Salespulse__Complaint s_empty_complaint = SALESPULSE__COMPLAINT__INIT;
static const Salespulse__Survey s_empty_survey = SALESPULSE__SURVEY__INIT;

// ---------------------------------------------------------------- names

static const s_type_t *
s_type_of (Salespulse__EventType type)
{
    if ((int) type <= 0 || (int) type >= (int) S_TYPE_COUNT)
        return NULL;
    return &s_types[type];
}

const char *
sp_event_type_name (Salespulse__EventType type)
{
    const s_type_t *entry = s_type_of (type);
    return entry ? entry->name : NULL;
}

Salespulse__EventType
sp_event_type_from_name (const char *name)
{
    assert (name);
    for (int type = 1; type < (int) S_TYPE_COUNT; type++)
        if (strcmp (s_types[type].name, name) == 0)
            return (Salespulse__EventType) type;
    return SALESPULSE__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED;
}

Salespulse__SalesEvent__BodyCase
sp_event_body_case (Salespulse__EventType type)
{
    const s_type_t *entry = s_type_of (type);
    return entry ? entry->body_case : SALESPULSE__SALES_EVENT__BODY__NOT_SET;
}

const char *
sp_event_reason_name (sp_event_reason_t reason)
{
    if ((int) reason < 0 || (size_t) reason >= S_REASON_COUNT)
        return "unknown";
    return s_reason_names[reason];
}

// ---------------------------------------------------------------- UTF-8

/* Length of the valid UTF-8 sequence starting at text (at most length
   bytes available), or 0 when the bytes there are not valid UTF-8. */
static size_t
s_utf8_sequence (const unsigned char *text, size_t length)
{
    unsigned char lead = text[0];
    if (lead < 0x80)
        return 1;
    size_t size;
    unsigned char low = 0x80, high = 0xBF; //  allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF)
        size = 2;
    else if (lead >= 0xE0 && lead <= 0xEF) {
        size = 3;
        if (lead == 0xE0)
            low = 0xA0; //  no overlong forms
        else if (lead == 0xED)
            high = 0x9F; //  no UTF-16 surrogates
    }
    else if (lead >= 0xF0 && lead <= 0xF4) {
        size = 4;
        if (lead == 0xF0)
            low = 0x90; //  no overlong forms
        else if (lead == 0xF4)
            high = 0x8F; //  nothing above U+10FFFF
    }
    else
        return 0;
    if (size > length)
        return 0;
    if (text[1] < low || text[1] > high)
        return 0;
    for (size_t i = 2; i < size; i++)
        if (text[i] < 0x80 || text[i] > 0xBF)
            return 0;
    return size;
}

size_t
sp_event_utf8_prefix (const char *text, size_t length)
{
    assert (text || length == 0);
    const unsigned char *bytes = (const unsigned char *) text;
    size_t offset = 0;
    while (offset < length) {
        size_t size = s_utf8_sequence (bytes + offset, length - offset);
        if (size == 0)
            break;
        offset += size;
    }
    return offset;
}

bool
sp_event_utf8_valid (const char *text, size_t length)
{
    if (sp_event_utf8_prefix (text, length) != length)
        return false;
    return length == 0 || memchr (text, '\0', length) == NULL;
}

// ---------------------------------------------------------------- errors

void
sp_event_error_set (sp_event_error_t *error, const char *field, sp_event_reason_t reason,
                    const char *format, ...)
{
    if (!error)
        return;
    assert (field);
    assert (format);
    snprintf (error->field, sizeof error->field, "%s", field);
    error->reason = reason;
    size_t used = 0;
    if (*field) {
        int written = snprintf (error->message, sizeof error->message, "field \"%s\": ", field);
        assert (written > 0);
        used =
            (size_t) written < sizeof error->message ? (size_t) written : sizeof error->message - 1;
    }
    va_list arguments;
    va_start (arguments, format);
    vsnprintf (error->message + used, sizeof error->message - used, format, arguments);
    va_end (arguments);
}

const char *
sp_event_quote (const char *text, size_t length, char *buffer, size_t size)
{
    assert (text || length == 0);
    assert (buffer);
    assert (size >= SP_EVENT_QUOTE_SIZE);
    size_t room = size - sizeof SP_EVENT_QUOTE_ELLIPSIS; //  keeps space for "..." and NUL
    size_t used = 0;
    size_t offset = 0;
    const unsigned char *bytes = (const unsigned char *) text;
    while (offset < length) {
        size_t sequence = s_utf8_sequence (bytes + offset, length - offset);
        char escaped[SP_EVENT_UTF8_BYTE_TEXT_SIZE];
        const char *piece = (const char *) bytes + offset;
        size_t piece_length = sequence;
        if (sequence == 0 || bytes[offset] < 0x20 || bytes[offset] == 0x7F) {
            snprintf (escaped, sizeof escaped, "\\x%02X", bytes[offset]);
            piece = escaped;
            piece_length = strlen (escaped);
            sequence = 1;
        }
        if (used + piece_length > room) {
            memcpy (buffer + used, SP_EVENT_QUOTE_ELLIPSIS, sizeof SP_EVENT_QUOTE_ELLIPSIS);
            return buffer;
        }
        memcpy (buffer + used, piece, piece_length);
        used += piece_length;
        offset += sequence;
    }
    buffer[used] = '\0';
    return buffer;
}

// ---------------------------------------------------------------- time

int
sp_event_time_format (int64_t ms, char *buffer, size_t size)
{
    assert (buffer);
    assert (size >= SP_EVENT_TIME_TEXT_SIZE);
    buffer[0] = '\0';
    if (ms < 0 || ms > SP_EVENT_TIME_MAX)
        return -1;
    time_t seconds = (time_t) (ms / SP_EVENT_MS_PER_SECOND);
    struct tm utc;
    if (!gmtime_r (&seconds, &utc))
        return -1;
    size_t length = strftime (buffer, size, "%Y-%m-%dT%H:%M:%S", &utc);
    snprintf (buffer + length, size - length, ".%03dZ", (int) (ms % SP_EVENT_MS_PER_SECOND));
    return 0;
}

static bool
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly count ASCII digits. */
static int
s_read_digits (const char **cursor, size_t count, int *value)
{
    int result = 0;
    for (size_t i = 0; i < count; i++) {
        char c = (*cursor)[i];
        if (!s_is_digit (c))
            return -1;
        result = result * S_DECIMAL_BASE + (c - '0');
    }
    *cursor += count;
    *value = result;
    return 0;
}

int
sp_event_time_parse (const char *text, int64_t *ms)
{
    assert (text);
    assert (ms);
    const char *cursor = text;
    int year, month, day, hour, minute, second;
    if (s_read_digits (&cursor, S_YEAR_DIGITS, &year) || *cursor++ != '-' ||
        s_read_digits (&cursor, S_TWO_DIGITS, &month) || *cursor++ != '-' ||
        s_read_digits (&cursor, S_TWO_DIGITS, &day) || (*cursor != 'T' && *cursor != 't'))
        return -1;
    cursor++;
    if (s_read_digits (&cursor, S_TWO_DIGITS, &hour) || *cursor++ != ':' ||
        s_read_digits (&cursor, S_TWO_DIGITS, &minute) || *cursor++ != ':' ||
        s_read_digits (&cursor, S_TWO_DIGITS, &second))
        return -1;
    if (month < 1 || month > S_MONTHS || day < 1 || day > sp_civil_days_in_month (year, month) ||
        hour >= S_HOURS || minute >= S_MINUTES || second >= S_SECONDS)
        return -1;
    int64_t milliseconds = 0;
    if (*cursor == '.') {
        cursor++;
        size_t digits = 0;
        while (s_is_digit (cursor[digits]))
            digits++;
        if (digits == 0 || digits > S_FRACTION_DIGITS_MAX)
            return -1;
        for (size_t i = 0; i < S_MS_DIGITS; i++)
            milliseconds = milliseconds * S_DECIMAL_BASE + (i < digits ? cursor[i] - '0' : 0);
        cursor += digits;
    }
    int64_t offset_seconds = 0;
    if (*cursor == 'Z' || *cursor == 'z')
        cursor++;
    else if (*cursor == '+' || *cursor == '-') {
        int sign = *cursor++ == '-' ? -1 : 1;
        int offset_hour, offset_minute;
        if (s_read_digits (&cursor, S_TWO_DIGITS, &offset_hour) || *cursor++ != ':' ||
            s_read_digits (&cursor, S_TWO_DIGITS, &offset_minute) || offset_hour >= S_HOURS ||
            offset_minute >= S_MINUTES)
            return -1;
        offset_seconds =
            sign * (offset_hour * S_SECONDS_PER_HOUR + offset_minute * S_SECONDS_PER_MINUTE);
    }
    else
        return -1;
    if (*cursor != '\0')
        return -1;
    int64_t seconds = sp_civil_days_from_date (year, month, day) * S_SECONDS_PER_DAY +
                      hour * S_SECONDS_PER_HOUR + minute * S_SECONDS_PER_MINUTE + second -
                      offset_seconds;
    *ms = seconds * SP_EVENT_MS_PER_SECOND + milliseconds;
    return 0;
}

/* RFC 3339 when representable, else the raw milliseconds. */
static const char *
s_time_text (int64_t ms, char *buffer, size_t size)
{
    if (sp_event_time_format (ms, buffer, size))
        snprintf (buffer, size, "%" PRId64 " ms", ms);
    return buffer;
}

// ---------------------------------------------------------------- building

sp_event_t *
sp_event_new (Salespulse__EventType type)
{
    const s_type_t *entry = s_type_of (type);
    assert (entry);
    sp_event_t *self = (sp_event_t *) malloc (sizeof *self);
    if (!self)
        goto out_fail;
    salespulse__sales_event__init (self);
    self->type = type;
    ProtobufCMessage *body = (ProtobufCMessage *) malloc (entry->body->sizeof_message);
    if (!body)
        goto out_free_event;
    protobuf_c_message_init (entry->body, body);
    //  Every body member shares the union's storage.
    self->lead_created = (Salespulse__LeadCreated *) body;
    self->body_case = entry->body_case;
    return self;

out_free_event:
    free (self);
out_fail:
    return NULL;
}

int
sp_event_set_string (char **slot, const char *value, size_t length)
{
    assert (slot);
    assert (value || length == 0);
    char *copy = (char *) protobuf_c_empty_string;
    if (length > 0) {
        copy = (char *) malloc (length + 1);
        if (!copy)
            return -1;
        memcpy (copy, value, length);
        copy[length] = '\0';
    }
    if (*slot && *slot != protobuf_c_empty_string)
        free (*slot);
    *slot = copy;
    return 0;
}

void
sp_event_destroy (sp_event_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        salespulse__sales_event__free_unpacked (*self_p, NULL);
        *self_p = NULL;
    }
}

const char *
sp_event_partition_key (const sp_event_t *event)
{
    assert (event);
    if (event->customer_id && *event->customer_id)
        return event->customer_id;
    if (event->opportunity_id && *event->opportunity_id)
        return event->opportunity_id;
    return "";
}

// ---------------------------------------------------------------- checks

/* A string field: required_for names what requires it ("deal_won", "every
   event") or is NULL when the field is optional. */
static int
s_check_text (const char *value, const char *field, size_t max, const char *required_for,
              sp_event_error_t *error)
{
    size_t length = value ? strlen (value) : 0;
    if (length == 0) {
        if (!required_for)
            return 0;
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for %s", required_for);
        return -1;
    }
    if (!sp_event_utf8_valid (value, length)) {
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_INVALID_UTF8,
                            "not valid UTF-8");
        return -1;
    }
    if (length > max) {
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_TOO_LONG,
                            "longer than %zu bytes", max);
        return -1;
    }
    return 0;
}

static bool
s_is_id_character (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

/* An event id (event_id, won_event_id): required, 1..128 of [A-Za-z0-9._:-]. */
static int
s_check_id (const char *value, const char *field, const char *required_for, sp_event_error_t *error)
{
    size_t length = value ? strlen (value) : 0;
    if (length == 0) {
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for %s", required_for);
        return -1;
    }
    if (length > SP_EVENT_ID_MAX) {
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_TOO_LONG,
                            "longer than %d bytes", SP_EVENT_ID_MAX);
        return -1;
    }
    for (size_t i = 0; i < length; i++) {
        if (s_is_id_character (value[i]))
            continue;
        unsigned char byte = (unsigned char) value[i];
        if (byte > 0x20 && byte < 0x7F)
            sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CHARSET,
                                "character \"%c\" not allowed, only A-Z a-z 0-9 . _ : -", value[i]);
        else
            sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CHARSET,
                                "byte 0x%02X not allowed, only A-Z a-z 0-9 . _ : -", byte);
        return -1;
    }
    return 0;
}

/* An integer field with a range; 0 means absent (proto3). */
static int
s_check_count (int64_t value, int64_t min, int64_t max, const char *field, const char *required_for,
               sp_event_error_t *error)
{
    if (value == 0 && min > 0) {
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for %s", required_for);
        return -1;
    }
    if (value < min || value > max) {
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                            "%" PRId64 " is out of range %" PRId64 "..%" PRId64, value, min, max);
        return -1;
    }
    return 0;
}

/* A time field: required, 1..SP_EVENT_TIME_MAX. */
static int
s_check_time (int64_t value, const char *field, const char *required_for, sp_event_error_t *error)
{
    if (value == 0) {
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for %s", required_for);
        return -1;
    }
    if (value < 0 || value > SP_EVENT_TIME_MAX) {
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                            "%" PRId64 " is out of range, must be after 1970-01-01T00:00:00Z "
                            "and before year 10000",
                            value);
        return -1;
    }
    return 0;
}

static int
s_check_window (int64_t occurred_at, const sp_event_time_bounds_t *bounds, sp_event_error_t *error)
{
    if (!bounds || (bounds->not_before == 0 && bounds->not_after == 0))
        return 0;
    assert (bounds->not_before <= bounds->not_after);
    if (occurred_at >= bounds->not_before && occurred_at <= bounds->not_after)
        return 0;
    char when[SP_EVENT_TIME_TEXT_SIZE], from[SP_EVENT_TIME_TEXT_SIZE],
        until[SP_EVENT_TIME_TEXT_SIZE];
    sp_event_error_set (
        error, "occurred_at", SALESPULSE__REJECT_REASON__REJECT_REASON_TIME_OUT_OF_WINDOW,
        "%s is outside the accepted window %s to %s", s_time_text (occurred_at, when, sizeof when),
        s_time_text (bounds->not_before, from, sizeof from),
        s_time_text (bounds->not_after, until, sizeof until));
    return -1;
}

/* A Money: currency known, magnitude within SP_MONEY_MAX_MINOR, sign. */
static int
s_check_money (const Salespulse__Money *money, const char *field, const char *required_for,
               bool may_be_negative, sp_event_error_t *error)
{
    if (!money) {
        if (!required_for)
            return 0;
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for %s", required_for);
        return -1;
    }
    char path[SP_EVENT_FIELD_SIZE];
    snprintf (path, sizeof path, "%s.currency", field);
    const char *currency = money->currency ? money->currency : "";
    if (*currency == '\0') {
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for every amount");
        return -1;
    }
    if (!sp_money_currency_valid (currency)) {
        char quoted[SP_EVENT_QUOTE_SIZE];
        sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CURRENCY,
                            "\"%s\" is not an ISO-4217 currency code",
                            sp_event_quote (currency, strlen (currency), quoted, sizeof quoted));
        return -1;
    }
    if (money->amount_minor > SP_MONEY_MAX_MINOR || money->amount_minor < -SP_MONEY_MAX_MINOR) {
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                            "%" PRId64 " minor units is out of range, the limit is %" PRId64,
                            money->amount_minor, SP_MONEY_MAX_MINOR);
        return -1;
    }
    if (money->amount_minor < 0 && !may_be_negative) {
        sp_event_error_set (error, field, SALESPULSE__REJECT_REASON__REJECT_REASON_NEGATIVE,
                            "negative amount not allowed");
        return -1;
    }
    return 0;
}

static int
s_check_envelope (const sp_event_t *event, const sp_event_time_bounds_t *bounds,
                  sp_event_error_t *error)
{
    if (s_check_id (event->event_id, "event_id", SP_EVENT_REQUIRED_ALWAYS, error) ||
        s_check_text (event->source, "source", SP_EVENT_NAME_MAX, SP_EVENT_REQUIRED_ALWAYS, error))
        return -1;
    if (event->type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED) {
        sp_event_error_set (error, "type", SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for every event");
        return -1;
    }
    if (!s_type_of (event->type)) {
        sp_event_error_set (error, "type", SALESPULSE__REJECT_REASON__REJECT_REASON_UNKNOWN_TYPE,
                            "unknown event type %d", (int) event->type);
        return -1;
    }
    if (s_check_time (event->occurred_at, "occurred_at", SP_EVENT_REQUIRED_ALWAYS, error) ||
        s_check_window (event->occurred_at, bounds, error) ||
        s_check_text (event->rep_id, "rep_id", SP_EVENT_NAME_MAX, NULL, error) ||
        s_check_text (event->team_id, "team_id", SP_EVENT_NAME_MAX, NULL, error) ||
        s_check_text (event->region_id, "region_id", SP_EVENT_NAME_MAX, NULL, error) ||
        s_check_text (event->customer_id, "customer_id", SP_EVENT_REF_MAX, NULL, error) ||
        s_check_text (event->opportunity_id, "opportunity_id", SP_EVENT_REF_MAX, NULL, error))
        return -1;
    return 0;
}

static bool
s_is_set (const char *value)
{
    return value && *value;
}

/* Envelope fields the type requires (their syntax is already checked). */
static int
s_check_needs (const sp_event_t *event, const s_type_t *type, sp_event_error_t *error)
{
    if (type->needs & S_NEEDS_REP && !s_is_set (event->rep_id))
        sp_event_error_set (error, "rep_id", SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for %s", type->name);
    else if (type->needs & S_NEEDS_CUSTOMER && !s_is_set (event->customer_id))
        sp_event_error_set (error, "customer_id",
                            SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for %s", type->name);
    else if (type->needs & S_NEEDS_OPPORTUNITY && !s_is_set (event->opportunity_id))
        sp_event_error_set (error, "opportunity_id",
                            SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for %s", type->name);
    else if (type->needs & S_NEEDS_CUSTOMER_OR_OPPORTUNITY && !s_is_set (event->customer_id) &&
             !s_is_set (event->opportunity_id))
        sp_event_error_set (error, "customer_id",
                            SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                            "required for %s unless \"opportunity_id\" is given", type->name);
    else
        return 0;
    return -1;
}

static int
s_check_splits (const Salespulse__DealWon *body, sp_event_error_t *error)
{
    if (body->n_splits == 0)
        return 0;
    if (body->n_splits > SP_EVENT_SPLITS_MAX) {
        sp_event_error_set (error, "splits", SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_SPLITS,
                            "%zu splits, at most %d allowed", body->n_splits, SP_EVENT_SPLITS_MAX);
        return -1;
    }
    uint32_t total = 0;
    for (size_t i = 0; i < body->n_splits; i++) {
        const Salespulse__CreditSplit *split = body->splits[i];
        assert (split);
        char path[SP_EVENT_FIELD_SIZE];
        snprintf (path, sizeof path, "splits[%zu].rep_id", i);
        if (s_check_text (split->rep_id, path, SP_EVENT_NAME_MAX, "every split", error))
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (strcmp (body->splits[j]->rep_id, split->rep_id) == 0) {
                char quoted[SP_EVENT_QUOTE_SIZE];
                sp_event_error_set (
                    error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_SPLITS,
                    "\"%s\" is credited more than once",
                    sp_event_quote (split->rep_id, strlen (split->rep_id), quoted, sizeof quoted));
                return -1;
            }
        }
        snprintf (path, sizeof path, "splits[%zu].percent", i);
        if (split->share_basis_points == 0) {
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                                "required for every split");
            return -1;
        }
        if (split->share_basis_points > SP_EVENT_SHARE_TOTAL) {
            char percent[SP_MONEY_TEXT_SIZE];
            sp_money_format_decimal (split->share_basis_points, SP_EVENT_SHARE_DECIMALS, percent,
                                     sizeof percent);
            sp_event_error_set (error, path, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                                "%s is out of range 0.01..100", percent);
            return -1;
        }
        total += split->share_basis_points;
    }
    if (total != SP_EVENT_SHARE_TOTAL) {
        char percent[SP_MONEY_TEXT_SIZE];
        sp_money_format_decimal (total, SP_EVENT_SHARE_DECIMALS, percent, sizeof percent);
        sp_event_error_set (error, "splits", SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_SPLITS,
                            "shares sum to %s%%, must be exactly 100%%", percent);
        return -1;
    }
    return 0;
}

static int
s_check_deal_won (const Salespulse__DealWon *body, sp_event_error_t *error)
{
    if (s_check_money (body->amount, "amount", "deal_won", false, error) ||
        s_check_money (body->margin, "margin", NULL, true, error))
        return -1;
    if (body->margin && strcmp (body->margin->currency, body->amount->currency) != 0) {
        sp_event_error_set (error, "margin.currency",
                            SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CURRENCY,
                            "\"%s\" differs from the amount's currency \"%s\"",
                            body->margin->currency, body->amount->currency);
        return -1;
    }
    if (s_check_text (body->product, "product", SP_EVENT_REF_MAX, NULL, error))
        return -1;
    return s_check_splits (body, error);
}

static int
s_check_survey (const Salespulse__Survey *body, sp_event_error_t *error)
{
    if (body->score_case == SALESPULSE__SURVEY__SCORE_NPS)
        return s_check_count (body->nps, 0, SP_EVENT_NPS_MAX, "nps", "survey", error);
    if (body->score_case == SALESPULSE__SURVEY__SCORE_CSAT) {
        if (body->csat < SP_EVENT_CSAT_MIN || body->csat > SP_EVENT_CSAT_MAX) {
            sp_event_error_set (error, "csat",
                                SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                                "%" PRIu32 " is out of range %d..%d", body->csat, SP_EVENT_CSAT_MIN,
                                SP_EVENT_CSAT_MAX);
            return -1;
        }
        return 0;
    }
    sp_event_error_set (error, "nps", SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                        "required for survey unless \"csat\" is given");
    return -1;
}

/* The body's own rules; a missing body is judged as an empty one. */
static int
s_check_body (const sp_event_t *event, sp_event_error_t *error)
{
    bool present = event->body_case != SALESPULSE__SALES_EVENT__BODY__NOT_SET;
    switch (event->type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED: {
            const Salespulse__LeadCreated *body =
                present ? event->lead_created : &s_empty_lead_created;
            return s_check_text (body->lead_source, "lead_source", SP_EVENT_NAME_MAX, NULL,
                                 error) ||
                   s_check_money (body->estimated_value, "estimated_value", NULL, false, error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED: {
            const Salespulse__StageChanged *body =
                present ? event->stage_changed : &s_empty_stage_changed;
            return s_check_text (body->to_stage, "to_stage", SP_EVENT_NAME_MAX, "stage_changed",
                                 error) ||
                   s_check_text (body->from_stage, "from_stage", SP_EVENT_NAME_MAX, NULL, error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_PLANNED: {
            const Salespulse__VisitPlanned *body =
                present ? event->visit_planned : &s_empty_visit_planned;
            return s_check_time (body->planned_for, "planned_for", "visit_planned", error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED: {
            const Salespulse__VisitCompleted *body =
                present ? event->visit_completed : &s_empty_visit_completed;
            return s_check_count (body->duration_minutes, 1, SP_EVENT_VISIT_MINUTES_MAX,
                                  "duration_minutes", "visit_completed", error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL: {
            const Salespulse__Call *body = present ? event->call : &s_empty_call;
            return s_check_count (body->duration_seconds, 1, SP_EVENT_CALL_SECONDS_MAX,
                                  "duration_seconds", "call", error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO: {
            const Salespulse__Demo *body = present ? event->demo : &s_empty_demo;
            return s_check_text (body->product, "product", SP_EVENT_REF_MAX, NULL, error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT: {
            const Salespulse__QuoteSent *body = present ? event->quote_sent : &s_empty_quote_sent;
            return s_check_money (body->amount, "amount", "quote_sent", false, error) ||
                   s_check_text (body->quote_id, "quote_id", SP_EVENT_REF_MAX, NULL, error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON:
            return s_check_deal_won (present ? event->deal_won : &s_empty_deal_won, error);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST: {
            const Salespulse__DealLost *body = present ? event->deal_lost : &s_empty_deal_lost;
            return s_check_text (body->reason, "reason", SP_EVENT_TEXT_MAX, NULL, error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_CANCELLED: {
            const Salespulse__DealCancelled *body =
                present ? event->deal_cancelled : &s_empty_deal_cancelled;
            return s_check_id (body->won_event_id, "won_event_id", "deal_cancelled", error) ||
                   s_check_text (body->reason, "reason", SP_EVENT_TEXT_MAX, NULL, error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED: {
            const Salespulse__OrderPlaced *body =
                present ? event->order_placed : &s_empty_order_placed;
            return s_check_money (body->amount, "amount", "order_placed", true, error) ||
                   s_check_text (body->order_id, "order_id", SP_EVENT_REF_MAX, NULL, error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED: {
            const Salespulse__PaymentReceived *body =
                present ? event->payment_received : &s_empty_payment_received;
            return s_check_money (body->amount, "amount", "payment_received", false, error) ||
                   s_check_text (body->order_id, "order_id", SP_EVENT_REF_MAX, NULL, error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_COMPLAINT: {
            const Salespulse__Complaint *body = present ? event->complaint : &s_empty_complaint;
            return s_check_count ((int) body->severity, 1, SP_EVENT_SEVERITY_MAX, "severity",
                                  "complaint", error) ||
                   s_check_text (body->category, "category", SP_EVENT_NAME_MAX, NULL, error);
        }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY:
            return s_check_survey (present ? event->survey : &s_empty_survey, error);
        default:
            //  The envelope check refused unknown types.
            assert (false);
            return -1;
    }
}

int
sp_event_validate (const sp_event_t *event, const sp_event_time_bounds_t *bounds,
                   sp_event_error_t *error)
{
    assert (event);
    if (s_check_envelope (event, bounds, error))
        return -1;
    const s_type_t *type = s_type_of (event->type);
    assert (type);
    if (event->body_case != SALESPULSE__SALES_EVENT__BODY__NOT_SET &&
        event->body_case != type->body_case) {
        const char *carried = NULL;
        for (int other = 1; other < (int) S_TYPE_COUNT && !carried; other++)
            if (s_types[other].body_case == event->body_case)
                carried = s_types[other].name;
        if (carried)
            sp_event_error_set (error, "body",
                                SALESPULSE__REJECT_REASON__REJECT_REASON_BODY_MISMATCH,
                                "carries a %s body, expected %s", carried, type->name);
        else
            sp_event_error_set (
                error, "body", SALESPULSE__REJECT_REASON__REJECT_REASON_BODY_MISMATCH,
                "carries unknown body member %d, expected %s", (int) event->body_case, type->name);
        return -1;
    }
    if (s_check_needs (event, type, error))
        return -1;
    return s_check_body (event, error) ? -1 : 0;
}
