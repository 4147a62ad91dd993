/*  test_kpi_handler - kpi-evaluator's consumer handler (kpi_handler),
    driven directly as sp_consumer.c drives it, without servers: begin
    declares keys, the view is filled from a small in-memory Redis (the
    records earlier runs SET), each event is applied with the batch and
    the view marked, accepted or rewound, and the coalesced step is run
    against that in-memory Redis (HINCRBY sums, SET values).

    Checked: the exact measures of each kind of event in every scope of
    the day and month hashes (kpi_keys.h), the time zone that cuts days
    and months, the org that gives an event's team and region, the
    customer owner a survey is credited to, the open pipeline and the
    customers touched, and the central property:
    the same events in any order, in one run or in several, give the same
    measures (and the same records). A stored value that is not a record
    fails the event with a reason naming its key.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.pb-c.h"
#include "kpi_customers.h"
#include "kpi_handler.h"
#include "kpi_keys.h"
#include "kpi_org.h"
#include "kpi_record.h"
#include "sp_consumer.h"
#include "sp_consumer_batch.h"
#include "sp_consumer_view.h"
#include "sp_tz.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define PARTITION 3
#define CURRENCY "USD"
#define HOUR_MS INT64_C (3600000)
#define DAY_MS (24 * HOUR_MS)
/* 2017-05-30T10:00:00Z */
#define T0 INT64_C (1496138400000)
/* 2017-05-01T00:00:00Z */
#define MAY_1 INT64_C (1493596800000)
/* 2017-03-31T20:00:00Z: 2017-04-01 04:00 in Shanghai */
#define MARCH_31_EVENING INT64_C (1490990400000)
#define DAY_KEY "kpi-evaluator:{p3}:d:2017-05-30"
#define MONTH_KEY "kpi-evaluator:{p3}:m:2017-05"
#define KEY_PREFIX "kpi-evaluator:{p3}:"
#define ERROR_SIZE 512
#define MEASURES_MAX 2048 /* hash fields the in-memory Redis holds */
#define STRINGS_MAX 64    /* string keys it holds */
#define MEMBERS_MAX 64    /* set members it holds */
#define EVENTS_MAX 16     /* events of one test run */
#define EXPECTED_MAX 512  /* fields a test expects */

/* ---------------------------------------------------------------- events */

/* One event as the tests write it; NULL ids are "". */
typedef struct {
    Salespulse__EventType type;
    const char *event_id;
    int64_t at;
    const char *rep;
    const char *team;
    const char *region;
    const char *customer;
    const char *opportunity;
    const char *currency; /* money of won, order, payment; NULL = none */
    int64_t amount;       /* minor units */
    int64_t margin;       /* deal_won: minor units in currency; 0 = none */
    int64_t number;       /* minutes, nps (0..10), csat (1..5) or planned_for */
    const char *text;     /* deal_cancelled: won_event_id; stage_changed: to_stage;
                             survey: "nps" or "csat" (the score in number) */
} s_spec_t;

/* An event and the bodies it points to. */
typedef struct {
    Salespulse__SalesEvent event;
    Salespulse__Money money;
    Salespulse__Money margin;
    Salespulse__LeadCreated lead;
    Salespulse__DealWon won;
    Salespulse__DealLost lost;
    Salespulse__DealCancelled cancelled;
    Salespulse__StageChanged stage;
    Salespulse__VisitPlanned planned;
    Salespulse__VisitCompleted visit;
    Salespulse__Call call;
    Salespulse__Demo demo;
    Salespulse__QuoteSent quote;
    Salespulse__OrderPlaced order;
    Salespulse__PaymentReceived payment;
    Salespulse__Survey survey;
} s_event_t;

#define LEAD SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED
#define WON SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON
#define LOST SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST
#define CANCELLED SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_CANCELLED
#define PLANNED SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_PLANNED
#define VISIT SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED
#define CALL SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL
#define DEMO SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO
#define QUOTE SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT
#define ORDER SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED
#define PAYMENT SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED
#define SURVEY SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY
#define STAGE SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED

static char *
s_text (const char *text)
{
    return (char *) (text ? text : "");
}

static void
s_event_make (s_event_t *out, const s_spec_t *spec)
{
    *out = (s_event_t){ .event = SALESPULSE__SALES_EVENT__INIT,
                        .money = SALESPULSE__MONEY__INIT,
                        .margin = SALESPULSE__MONEY__INIT,
                        .lead = SALESPULSE__LEAD_CREATED__INIT,
                        .won = SALESPULSE__DEAL_WON__INIT,
                        .lost = SALESPULSE__DEAL_LOST__INIT,
                        .cancelled = SALESPULSE__DEAL_CANCELLED__INIT,
                        .stage = SALESPULSE__STAGE_CHANGED__INIT,
                        .planned = SALESPULSE__VISIT_PLANNED__INIT,
                        .visit = SALESPULSE__VISIT_COMPLETED__INIT,
                        .call = SALESPULSE__CALL__INIT,
                        .demo = SALESPULSE__DEMO__INIT,
                        .quote = SALESPULSE__QUOTE_SENT__INIT,
                        .order = SALESPULSE__ORDER_PLACED__INIT,
                        .payment = SALESPULSE__PAYMENT_RECEIVED__INIT,
                        .survey = SALESPULSE__SURVEY__INIT };
    Salespulse__SalesEvent *event = &out->event;
    event->type = spec->type;
    event->event_id = s_text (spec->event_id);
    event->source = (char *) "test";
    event->occurred_at = spec->at;
    event->rep_id = s_text (spec->rep);
    event->team_id = s_text (spec->team);
    event->region_id = s_text (spec->region);
    event->customer_id = s_text (spec->customer);
    event->opportunity_id = s_text (spec->opportunity);
    out->money.amount_minor = spec->amount;
    out->money.currency = s_text (spec->currency);
    out->margin.amount_minor = spec->margin;
    out->margin.currency = s_text (spec->currency);
    Salespulse__Money *money = spec->currency ? &out->money : NULL;
    switch (spec->type) {
        case LEAD:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_LEAD_CREATED;
            out->lead.estimated_value = money;
            event->lead_created = &out->lead;
            break;
        case WON:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_DEAL_WON;
            out->won.amount = money;
            out->won.margin = spec->currency && spec->margin ? &out->margin : NULL;
            event->deal_won = &out->won;
            break;
        case LOST:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_DEAL_LOST;
            event->deal_lost = &out->lost;
            break;
        case CANCELLED:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_DEAL_CANCELLED;
            out->cancelled.won_event_id = s_text (spec->text);
            event->deal_cancelled = &out->cancelled;
            break;
        case STAGE:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_STAGE_CHANGED;
            out->stage.to_stage = s_text (spec->text);
            event->stage_changed = &out->stage;
            break;
        case PLANNED:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_VISIT_PLANNED;
            out->planned.planned_for = spec->number;
            event->visit_planned = &out->planned;
            break;
        case VISIT:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_VISIT_COMPLETED;
            out->visit.duration_minutes = (uint32_t) spec->number;
            event->visit_completed = &out->visit;
            break;
        case CALL:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_CALL;
            event->call = &out->call;
            break;
        case DEMO:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_DEMO;
            event->demo = &out->demo;
            break;
        case QUOTE:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_QUOTE_SENT;
            out->quote.amount = money;
            event->quote_sent = &out->quote;
            break;
        case ORDER:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_ORDER_PLACED;
            out->order.amount = money;
            event->order_placed = &out->order;
            break;
        case PAYMENT:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_PAYMENT_RECEIVED;
            out->payment.amount = money;
            event->payment_received = &out->payment;
            break;
        case SURVEY:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_SURVEY;
            if (spec->text && strcmp (spec->text, "csat") == 0) {
                out->survey.score_case = SALESPULSE__SURVEY__SCORE_CSAT;
                out->survey.csat = (uint32_t) spec->number;
            }
            else {
                out->survey.score_case = SALESPULSE__SURVEY__SCORE_NPS;
                out->survey.nps = (uint32_t) spec->number;
            }
            event->survey = &out->survey;
            break;
        default:
            break;
    }
}

/* ---------------------------------------------------------------- in-memory redis */

/* One hash field. */
typedef struct {
    char key[SP_PARTITION_KEY_MAX];
    char field[KPI_KEYS_FIELD_MAX];
    int64_t value;
} s_measure_t;

/* One string key. */
typedef struct {
    char key[SP_PARTITION_KEY_MAX];
    char value[KPI_RECORD_PACKED_MAX];
    size_t length;
} s_string_t;

/* What the steps left in Redis, and the partition's checkpoint. Set
   members are kept as fields of value 1. */
typedef struct {
    s_measure_t measures[MEASURES_MAX];
    size_t measure_count;
    s_measure_t members[MEMBERS_MAX];
    size_t member_count;
    s_string_t strings[STRINGS_MAX];
    size_t string_count;
    uint64_t checkpoint;
} s_redis_t;

static s_redis_t *
s_redis_new (void)
{
    s_redis_t *redis = calloc (1, sizeof *redis);
    assert_non_null (redis);
    return redis;
}

/* The field's value, 0 when missing (as readers take it). */
static int64_t
s_hget (const s_redis_t *redis, const char *key, const char *field)
{
    for (size_t index = 0; index < redis->measure_count; index++)
        if (strcmp (redis->measures[index].key, key) == 0 &&
            strcmp (redis->measures[index].field, field) == 0)
            return redis->measures[index].value;
    return 0;
}

static void
s_hincrby (s_redis_t *redis, const char *key, size_t key_length, const char *field,
           size_t field_length, int64_t delta)
{
    assert_true (key_length < SP_PARTITION_KEY_MAX);
    assert_true (field_length < KPI_KEYS_FIELD_MAX);
    for (size_t index = 0; index < redis->measure_count; index++) {
        s_measure_t *measure = &redis->measures[index];
        if (strlen (measure->key) == key_length && memcmp (measure->key, key, key_length) == 0 &&
            strlen (measure->field) == field_length &&
            memcmp (measure->field, field, field_length) == 0) {
            measure->value += delta;
            return;
        }
    }
    assert_true (redis->measure_count < MEASURES_MAX);
    s_measure_t *measure = &redis->measures[redis->measure_count++];
    memcpy (measure->key, key, key_length);
    measure->key[key_length] = '\0';
    memcpy (measure->field, field, field_length);
    measure->field[field_length] = '\0';
    measure->value = delta;
}

static void
s_sadd (s_redis_t *redis, const char *key, size_t key_length, const char *member,
        size_t member_length)
{
    assert_true (key_length < SP_PARTITION_KEY_MAX);
    assert_true (member_length < KPI_KEYS_FIELD_MAX);
    for (size_t index = 0; index < redis->member_count; index++) {
        const s_measure_t *known = &redis->members[index];
        if (strlen (known->key) == key_length && memcmp (known->key, key, key_length) == 0 &&
            strlen (known->field) == member_length &&
            memcmp (known->field, member, member_length) == 0)
            return;
    }
    assert_true (redis->member_count < MEMBERS_MAX);
    s_measure_t *added = &redis->members[redis->member_count++];
    memcpy (added->key, key, key_length);
    added->key[key_length] = '\0';
    memcpy (added->field, member, member_length);
    added->field[member_length] = '\0';
    added->value = 1;
}

/* True when set key holds member. */
static bool
s_sismember (const s_redis_t *redis, const char *key, const char *member)
{
    for (size_t index = 0; index < redis->member_count; index++)
        if (strcmp (redis->members[index].key, key) == 0 &&
            strcmp (redis->members[index].field, member) == 0)
            return true;
    return false;
}

static const s_string_t *
s_get (const s_redis_t *redis, const char *key)
{
    for (size_t index = 0; index < redis->string_count; index++)
        if (strcmp (redis->strings[index].key, key) == 0)
            return &redis->strings[index];
    return NULL;
}

static void
s_set (s_redis_t *redis, const char *key, size_t key_length, const char *value, size_t length)
{
    assert_true (key_length < SP_PARTITION_KEY_MAX);
    assert_true (length <= KPI_RECORD_PACKED_MAX);
    s_string_t *string = NULL;
    for (size_t index = 0; index < redis->string_count && !string; index++)
        if (strlen (redis->strings[index].key) == key_length &&
            memcmp (redis->strings[index].key, key, key_length) == 0)
            string = &redis->strings[index];
    if (!string) {
        assert_true (redis->string_count < STRINGS_MAX);
        string = &redis->strings[redis->string_count++];
        memcpy (string->key, key, key_length);
        string->key[key_length] = '\0';
    }
    memcpy (string->value, value, length);
    string->length = length;
}

/* Argument index of batch as a C string in buffer. */
static const char *
s_argument (const sp_consumer_batch_t *batch, size_t index, char *buffer, size_t size,
            size_t *length)
{
    const char *argument = sp_consumer_batch_argument (batch, index, length);
    assert_non_null (argument);
    assert_true (*length < size);
    memcpy (buffer, argument, *length);
    buffer[*length] = '\0';
    return buffer;
}

/* Runs a coalesced step's commands on redis: HINCRBY, SET, MSET and
   SADD only (what the handler and the coalescing write), on keys of
   PARTITION. */
static void
s_execute (s_redis_t *redis, const sp_consumer_batch_t *batch)
{
    size_t count = sp_consumer_batch_argument_count (batch);
    size_t index = 0;
    while (index < count) {
        char number[SP_CONSUMER_BATCH_NUMBER_SIZE];
        char name[16];
        char key[SP_PARTITION_KEY_MAX];
        static char value[KPI_RECORD_PACKED_MAX + 1];
        size_t length, name_length, key_length, value_length;
        long argc = strtol (s_argument (batch, index, number, sizeof number, &length), NULL, 10);
        assert_true (argc >= 1 && index + 1 + (size_t) argc <= count);
        s_argument (batch, index + 1, name, sizeof name, &name_length);
        s_argument (batch, index + 2, key, sizeof key, &key_length);
        assert_memory_equal (key, KEY_PREFIX, strlen (KEY_PREFIX));
        if (strcmp (name, "HINCRBY") == 0) {
            assert_int_equal (argc, 4);
            char field[KPI_KEYS_FIELD_MAX];
            size_t field_length;
            s_argument (batch, index + 3, field, sizeof field, &field_length);
            long long delta =
                strtoll (s_argument (batch, index + 4, number, sizeof number, &length), NULL, 10);
            s_hincrby (redis, key, key_length, field, field_length, delta);
        }
        else if (strcmp (name, "SET") == 0) {
            assert_int_equal (argc, 3);
            s_argument (batch, index + 3, value, sizeof value, &value_length);
            s_set (redis, key, key_length, value, value_length);
        }
        else if (strcmp (name, "MSET") == 0) {
            assert_true (argc >= 3 && argc % 2 == 1);
            for (long pair = 0; pair < (argc - 1) / 2; pair++) {
                size_t at = index + 2 + 2 * (size_t) pair;
                s_argument (batch, at, key, sizeof key, &key_length);
                assert_memory_equal (key, KEY_PREFIX, strlen (KEY_PREFIX));
                s_argument (batch, at + 1, value, sizeof value, &value_length);
                s_set (redis, key, key_length, value, value_length);
            }
        }
        else if (strcmp (name, "SADD") == 0) {
            assert_true (argc >= 3);
            for (long member = 3; member <= argc; member++) {
                char text[KPI_KEYS_FIELD_MAX];
                size_t text_length;
                s_argument (batch, index + (size_t) member, text, sizeof text, &text_length);
                s_sadd (redis, key, key_length, text, text_length);
            }
        }
        else
            fail_msg ("unexpected command %s", name);
        index += 1 + (size_t) argc;
    }
}

/* ---------------------------------------------------------------- runs */

/* What a run reports: failed events and the first failure's reason. */
typedef struct {
    size_t failed;
    char error[ERROR_SIZE];
} s_outcome_t;

/* Applies specs[order[0..count)] as one run of PARTITION against redis,
   as sp_consumer.c does: begin, fetch, then per event mark, apply, check
   the view's error, accept or rewind; then the step is coalesced and run
   on redis. order may be NULL (in order). */
static s_outcome_t
s_run (kpi_handler_t *handler, s_redis_t *redis, const s_spec_t *specs, const size_t *order,
       size_t count)
{
    assert_true (count <= EVENTS_MAX);
    s_outcome_t outcome = { 0, "" };
    s_event_t *events = calloc (EVENTS_MAX, sizeof *events);
    sp_consumer_event_t items[EVENTS_MAX];
    assert_non_null (events);
    for (size_t index = 0; index < count; index++) {
        const s_spec_t *spec = &specs[order ? order[index] : index];
        s_event_make (&events[index], spec);
        items[index] = (sp_consumer_event_t){ .partition = PARTITION,
                                              .sequence = redis->checkpoint + 1 + index,
                                              .ingested_at = spec->at,
                                              .event_id = s_text (spec->event_id),
                                              .event = &events[index].event };
    }
    sp_consumer_handler_t consumer = kpi_handler_consumer (handler);
    assert_ptr_equal (consumer.arg, handler);
    assert_non_null (consumer.apply);
    assert_non_null (consumer.begin);

    sp_consumer_view_t *view = sp_consumer_view_new (KPI_KEYS_SERVICE);
    assert_non_null (view);
    sp_consumer_view_reset (view, PARTITION);
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        consumer.begin (consumer.arg, PARTITION, items, count, view, error, sizeof error), 0);
    /* the fetch: what Redis holds of each declared key */
    for (size_t index = 0; index < sp_consumer_view_wanted (view); index++) {
        const s_string_t *stored = s_get (redis, sp_consumer_view_wanted_key (view, index));
        assert_int_equal (sp_consumer_view_fill (view, index, stored ? stored->value : NULL,
                                                 stored ? stored->length : 0, stored != NULL),
                          0);
    }
    sp_consumer_view_ready (view);

    sp_consumer_batch_t *batch = sp_consumer_batch_new (KPI_KEYS_SERVICE);
    assert_non_null (batch);
    sp_consumer_batch_reset (batch, PARTITION, redis->checkpoint);
    for (size_t index = 0; index < count; index++) {
        size_t mark = sp_consumer_batch_mark (batch);
        size_t view_mark = sp_consumer_view_mark (view);
        error[0] = '\0';
        int rc = consumer.apply (consumer.arg, &items[index], view, batch, error, sizeof error);
        if (rc == 0 && sp_consumer_view_error (view)) {
            snprintf (error, sizeof error, "%s", sp_consumer_view_error (view));
            rc = -1;
        }
        if (rc == 0)
            sp_consumer_view_accept (view);
        else {
            assert_int_equal (rc, -1);
            sp_consumer_batch_rewind (batch, mark);
            sp_consumer_view_rewind (view, view_mark);
            if (outcome.failed++ == 0)
                snprintf (outcome.error, sizeof outcome.error, "%s", error);
        }
        sp_consumer_batch_advance (batch, items[index].sequence);
    }
    assert_int_equal (sp_consumer_batch_coalesce (batch), 0);
    s_execute (redis, batch);
    redis->checkpoint += count;
    sp_consumer_batch_destroy (&batch);
    sp_consumer_view_destroy (&view);
    free (events);
    return outcome;
}

/* A run in which every event must succeed. */
static void
s_run_ok (kpi_handler_t *handler, s_redis_t *redis, const s_spec_t *specs, const size_t *order,
          size_t count)
{
    s_outcome_t outcome = s_run (handler, redis, specs, order, count);
    if (outcome.failed)
        fail_msg ("%zu events failed: %s", outcome.failed, outcome.error);
}

/* ---------------------------------------------------------------- expectations */

/* The measures a test expects: (key, field) -> value. */
typedef struct {
    s_measure_t entries[EXPECTED_MAX];
    size_t count;
} s_expected_t;

static s_expected_t *
s_expected_new (void)
{
    s_expected_t *expected = calloc (1, sizeof *expected);
    assert_non_null (expected);
    return expected;
}

/* Expects value more of measure in each scope, in the hash of day
   ("YYYY-MM-DD") and of its month. */
static void
s_expect (s_expected_t *expected, const char *day, const char *measure, const char *const *scopes,
          size_t scope_count, int64_t value)
{
    char keys[2][SP_PARTITION_KEY_MAX];
    snprintf (keys[0], sizeof keys[0], KEY_PREFIX "d:%s", day);
    snprintf (keys[1], sizeof keys[1], KEY_PREFIX "m:%.7s", day);
    for (size_t bucket = 0; bucket < 2; bucket++)
        for (size_t scope = 0; scope < scope_count; scope++) {
            char field[KPI_KEYS_FIELD_MAX];
            snprintf (field, sizeof field, "%s|%s", measure, scopes[scope]);
            size_t index = 0;
            while (index < expected->count &&
                   (strcmp (expected->entries[index].key, keys[bucket]) != 0 ||
                    strcmp (expected->entries[index].field, field) != 0))
                index++;
            if (index == expected->count) {
                assert_true (expected->count < EXPECTED_MAX);
                expected->count++;
                /* the same sizes: copied whole */
                memcpy (expected->entries[index].key, keys[bucket], sizeof keys[bucket]);
                memcpy (expected->entries[index].field, field, sizeof field);
            }
            expected->entries[index].value += value;
        }
}

/* True for a measure field of a day or month hash (not a customer
   touched, not the open pipeline). */
static bool
s_is_measure (const s_measure_t *entry)
{
    const char *suffix = entry->key + strlen (KEY_PREFIX);
    kpi_measure_t measure;
    size_t scope_offset;
    return (strncmp (suffix, "d:", 2) == 0 || strncmp (suffix, "m:", 2) == 0) &&
           kpi_keys_field_parse (entry->field, strlen (entry->field), &measure, &scope_offset) == 0;
}

/* redis holds exactly the expected measures (fields holding 0 are as
   good as missing). */
static void
s_check (const s_redis_t *redis, const s_expected_t *expected)
{
    for (size_t index = 0; index < expected->count; index++) {
        const s_measure_t *entry = &expected->entries[index];
        int64_t value = s_hget (redis, entry->key, entry->field);
        if (value != entry->value)
            fail_msg ("%s %s: expected %lld, got %lld", entry->key, entry->field,
                      (long long) entry->value, (long long) value);
    }
    for (size_t index = 0; index < redis->measure_count; index++) {
        const s_measure_t *measure = &redis->measures[index];
        if (measure->value == 0 || !s_is_measure (measure))
            continue;
        bool known = false;
        for (size_t other = 0; other < expected->count && !known; other++)
            known = strcmp (expected->entries[other].key, measure->key) == 0 &&
                    strcmp (expected->entries[other].field, measure->field) == 0;
        if (!known)
            fail_msg ("unexpected %s %s = %lld", measure->key, measure->field,
                      (long long) measure->value);
    }
}

/* ---------------------------------------------------------------- fixture */

static const char s_customers_json[] = "{\"name\":\"c\",\"customers\":["
                                       "{\"id\":\"acme\",\"tier\":\"A\",\"owner\":\"rep-a\"},"
                                       "{\"id\":\"bolt\",\"tier\":\"B\"}]}";

static const char s_org_json[] =
    "{\"name\":\"crm\",\"company\":\"Maven\","
    "\"regions\":[{\"id\":\"emea\"},{\"id\":\"apac\"}],"
    "\"teams\":[{\"id\":\"north\",\"region\":\"emea\"},{\"id\":\"south\",\"region\":\"emea\"},"
    "{\"id\":\"east\",\"region\":\"apac\"}],"
    "\"reps\":[{\"id\":\"anna\",\"memberships\":["
    "{\"team\":\"north\",\"from\":\"2017-01-01\",\"until\":\"2017-05-15\"},"
    "{\"team\":\"south\",\"from\":\"2017-05-15\"}]}]}";

typedef struct {
    sp_tz_t *utc;
    sp_tz_t *shanghai;
    kpi_customers_t *customers;
    kpi_org_t *org;
    kpi_handler_t *plain;   /* UTC, no org, no customers */
    kpi_handler_t *handler; /* UTC, the org and the customers */
    kpi_handler_t *china;   /* Asia/Shanghai, no org, no customers */
    s_redis_t *redis;       /* empty for each test */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    assert_non_null (fixture);
    char error[ERROR_SIZE];
    fixture->utc = sp_tz_new ("UTC", error, sizeof error);
    assert_non_null (fixture->utc);
    fixture->shanghai = sp_tz_new ("Asia/Shanghai", error, sizeof error);
    assert_non_null (fixture->shanghai);
    fixture->customers =
        kpi_customers_new (s_customers_json, strlen (s_customers_json), error, sizeof error);
    if (!fixture->customers)
        fail_msg ("customers: %s", error);
    fixture->org = kpi_org_new (s_org_json, strlen (s_org_json), error, sizeof error);
    if (!fixture->org)
        fail_msg ("org: %s", error);
    fixture->plain = kpi_handler_new (NULL, NULL, fixture->utc, CURRENCY);
    fixture->handler = kpi_handler_new (fixture->org, fixture->customers, fixture->utc, CURRENCY);
    fixture->china = kpi_handler_new (NULL, NULL, fixture->shanghai, CURRENCY);
    assert_non_null (fixture->plain);
    assert_non_null (fixture->handler);
    assert_non_null (fixture->china);
    fixture->redis = s_redis_new ();
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    kpi_handler_destroy (&fixture->plain);
    kpi_handler_destroy (&fixture->handler);
    kpi_handler_destroy (&fixture->china);
    assert_null (fixture->plain);
    kpi_handler_destroy (&fixture->plain); /* no-op on NULL */
    kpi_org_destroy (&fixture->org);
    kpi_customers_destroy (&fixture->customers);
    sp_tz_destroy (&fixture->utc);
    sp_tz_destroy (&fixture->shanghai);
    free (fixture->redis);
    free (fixture);
    return 0;
}

static const char *const s_rep_scopes[] = { "company", "region:G", "team:T", "rep:R" };

/* ---------------------------------------------------------------- single events */

/* A deal won in the reporting currency with its margin, by rep R of team
   T in region G: deal, amount, margin and a new customer, in every scope,
   in the day and the month. */
static void
test_deal_won_in_reporting_currency (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t won = { WON,     "won-1", T0,     "R",   "T", "G", "cust-1",
                           "opp-1", "USD",   250000, 60000, 0,   NULL };
    s_run_ok (fixture->plain, fixture->redis, &won, NULL, 1);

    /* spelled out once */
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "won|company"), 1);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "won|company"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "won_amount|rep:R"), 250000);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "margin|team:T"), 60000);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "new_customers|region:G"), 1);

    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "won", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "won_amount", s_rep_scopes, 4, 250000);
    s_expect (expected, "2017-05-30", "margin", s_rep_scopes, 4, 60000);
    s_expect (expected, "2017-05-30", "new_customers", s_rep_scopes, 4, 1);
    s_check (fixture->redis, expected);
    assert_int_equal (expected->count, 32);

    /* the customer touched, in the day hash, for the team and the rep */
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:6:cust-1|rep:R"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:6:cust-1|team:T"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:6:cust-1|company"), 0);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "t:6:cust-1|rep:R"), 0);

    /* the records it keeps */
    const s_string_t *stored = s_get (fixture->redis, KEY_PREFIX "o:opp-1");
    assert_non_null (stored);
    kpi_opportunity_t opportunity;
    assert_int_equal (kpi_opportunity_unpack (&opportunity, stored->value, stored->length), 0);
    assert_true (opportunity.won.present);
    assert_string_equal (opportunity.won.event_id, "won-1");
    assert_int_equal (opportunity.won_currency, KPI_RECORD_MONEY_REPORTING);
    assert_int_equal (opportunity.won_amount, 250000);
    stored = s_get (fixture->redis, KEY_PREFIX "c:cust-1");
    assert_non_null (stored);
    kpi_customer_t customer;
    assert_int_equal (kpi_customer_unpack (&customer, stored->value, stored->length), 0);
    assert_string_equal (customer.first_won.event_id, "won-1");

    /* the same event again, in a later run: nothing more */
    s_run_ok (fixture->plain, fixture->redis, &won, NULL, 1);
    s_check (fixture->redis, expected);
    free (expected);
}

static void
test_deal_won_in_another_currency (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t won = { WON,     "won-1", T0,     "R",   "T", "G", NULL,
                           "opp-1", "EUR",   250000, 60000, 0,   NULL };
    s_run_ok (fixture->plain, fixture->redis, &won, NULL, 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "won_other_currency|rep:R"), 1);
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "won", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "won_other_currency", s_rep_scopes, 4, 1);
    s_check (fixture->redis, expected);
    free (expected);
}

/* A visit at a tier-A customer, one at a tier-B customer, one at a
   customer nobody knows, and one without a customer. */
static void
test_visits_and_tier_a (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t visits[] = {
        { VISIT, "v-1", T0, "rep-v", NULL, NULL, "acme", NULL, NULL, 0, 0, 45, NULL },
        { VISIT, "v-2", T0 + 1, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0, 30, NULL },
        { VISIT, "v-3", T0 + 2, "rep-v", NULL, NULL, "zeta", NULL, NULL, 0, 0, 20, NULL },
        { VISIT, "v-4", T0 + 3, "rep-v", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
    };
    static const char *const scopes[] = { "company", "rep:rep-v" };
    s_run_ok (fixture->handler, fixture->redis, visits, NULL, 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "visits|rep:rep-v"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "visit_minutes|rep:rep-v"), 45);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "visits_tier_a|company"), 1);
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "visits", scopes, 2, 1);
    s_expect (expected, "2017-05-30", "visit_minutes", scopes, 2, 45);
    s_expect (expected, "2017-05-30", "visits_tier_a", scopes, 2, 1);
    s_check (fixture->redis, expected);

    s_run_ok (fixture->handler, fixture->redis, visits + 1, NULL, COUNT (visits) - 1);
    s_expect (expected, "2017-05-30", "visits", scopes, 2, 3);
    s_expect (expected, "2017-05-30", "visit_minutes", scopes, 2, 50);
    s_check (fixture->redis, expected);

    /* without the customers document, no visit is at a tier-A customer */
    s_redis_t *plain = s_redis_new ();
    s_run_ok (fixture->plain, plain, visits, NULL, 1);
    assert_int_equal (s_hget (plain, DAY_KEY, "visits|company"), 1);
    assert_int_equal (s_hget (plain, DAY_KEY, "visits_tier_a|company"), 0);
    free (plain);
    free (expected);
}

/* Visits planned and completed the same day at the same customer. */
static void
test_visit_plan (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t events[] = {
        { PLANNED, "p-1", T0 - 3 * DAY_MS, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0, T0,
          NULL },
        { PLANNED, "p-2", T0 - 2 * DAY_MS, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0,
          T0 + HOUR_MS, NULL },
        { VISIT, "v-1", T0 + 2 * HOUR_MS, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0, 30, NULL },
        /* another day, another customer: not this plan */
        { VISIT, "v-2", T0 + DAY_MS, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0, 30, NULL },
        { VISIT, "v-3", T0 + 3 * HOUR_MS, "rep-v", NULL, NULL, "acme", NULL, NULL, 0, 0, 30, NULL },
    };
    static const char *const scopes[] = { "company", "rep:rep-v" };
    s_run_ok (fixture->plain, fixture->redis, events, NULL, COUNT (events));
    s_expected_t *expected = s_expected_new ();
    /* planned for the planned day, not the day the plan was made */
    s_expect (expected, "2017-05-30", "visits_planned", scopes, 2, 2);
    s_expect (expected, "2017-05-30", "planned_done", scopes, 2, 1);
    s_expect (expected, "2017-05-30", "visits", scopes, 2, 2);
    s_expect (expected, "2017-05-30", "visit_minutes", scopes, 2, 60);
    s_expect (expected, "2017-05-31", "visits", scopes, 2, 1);
    s_expect (expected, "2017-05-31", "visit_minutes", scopes, 2, 30);
    s_check (fixture->redis, expected);

    /* completed first, planned after, one event per run: the same */
    s_redis_t *other = s_redis_new ();
    const size_t order[] = { 4, 3, 2, 1, 0 };
    for (size_t index = 0; index < COUNT (order); index++)
        s_run_ok (fixture->plain, other, events, &order[index], 1);
    s_check (other, expected);
    free (other);
    free (expected);
}

/* Surveys: NPS 9, 6, 7 and a CSAT 4 at acme without a rep, credited to
   its owner rep-a; one at bolt (no owner) to the company only; one that
   names its rep to that rep. */
static void
test_surveys_and_owner (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t surveys[] = {
        { SURVEY, "s-1", T0, NULL, NULL, NULL, "acme", NULL, NULL, 0, 0, 9, "nps" },
        { SURVEY, "s-2", T0, NULL, NULL, NULL, "acme", NULL, NULL, 0, 0, 6, "nps" },
        { SURVEY, "s-3", T0, NULL, NULL, NULL, "acme", NULL, NULL, 0, 0, 7, "nps" },
        { SURVEY, "s-4", T0, NULL, NULL, NULL, "acme", NULL, NULL, 0, 0, 4, "csat" },
        { SURVEY, "s-5", T0, NULL, NULL, NULL, "bolt", NULL, NULL, 0, 0, 10, "nps" },
        { SURVEY, "s-6", T0, "rep-z", NULL, NULL, "acme", NULL, NULL, 0, 0, 0, "nps" },
    };
    s_run_ok (fixture->handler, fixture->redis, surveys, NULL, COUNT (surveys));
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "nps_answers|rep:rep-a"), 3);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "nps_promoters|rep:rep-a"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "nps_detractors|rep:rep-a"), 1);
    static const char *const owner[] = { "company", "rep:rep-a" };
    static const char *const company[] = { "company" };
    static const char *const named[] = { "company", "rep:rep-z" };
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "nps_answers", owner, 2, 3);
    s_expect (expected, "2017-05-30", "nps_promoters", owner, 2, 1);
    s_expect (expected, "2017-05-30", "nps_detractors", owner, 2, 1);
    s_expect (expected, "2017-05-30", "csat_answers", owner, 2, 1);
    s_expect (expected, "2017-05-30", "csat_sum", owner, 2, 4);
    s_expect (expected, "2017-05-30", "nps_answers", company, 1, 1);
    s_expect (expected, "2017-05-30", "nps_promoters", company, 1, 1);
    s_expect (expected, "2017-05-30", "nps_answers", named, 2, 1);
    s_expect (expected, "2017-05-30", "nps_detractors", named, 2, 1);
    s_check (fixture->redis, expected);
    free (expected);
}

/* The events counted straight: quotes, calls, demos, orders and
   payments (in the currency or counted apart); stage changes and
   complaints count nothing. */
static void
test_direct_counts (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t events[] = {
        { QUOTE, "q-1", T0, "R", "T", "G", NULL, "opp-1", "USD", 900, 0, 0, NULL },
        { CALL, "c-1", T0, "R", "T", "G", NULL, NULL, NULL, 0, 0, 0, NULL },
        { DEMO, "d-1", T0, "R", "T", "G", NULL, NULL, NULL, 0, 0, 0, NULL },
        { ORDER, "o-1", T0, "R", "T", "G", NULL, NULL, "USD", 1234, 0, 0, NULL },
        { ORDER, "o-2", T0, "R", "T", "G", NULL, NULL, "EUR", 99, 0, 0, NULL },
        { PAYMENT, "y-1", T0, "R", "T", "G", NULL, NULL, "USD", 1000, 0, 0, NULL },
        { PAYMENT, "y-2", T0, "R", "T", "G", NULL, NULL, "JPY", 5, 0, 0, NULL },
        { STAGE, "x-1", T0, "R", "T", "G", NULL, "opp-1", NULL, 0, 0, 0, NULL },
        { SALESPULSE__EVENT_TYPE__EVENT_TYPE_COMPLAINT, "x-2", T0, "R", "T", "G", NULL, NULL, NULL,
          0, 0, 0, NULL },
    };
    s_run_ok (fixture->plain, fixture->redis, events, NULL, COUNT (events));
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "quotes", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "calls", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "demos", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "order_amount", s_rep_scopes, 4, 1234);
    s_expect (expected, "2017-05-30", "order_other_currency", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "payment_amount", s_rep_scopes, 4, 1000);
    s_expect (expected, "2017-05-30", "payment_other_currency", s_rep_scopes, 4, 1);
    s_check (fixture->redis, expected);
    free (expected);
}

/* The org gives the team and region of an event that names only its
   rep, by the membership of its local day; an event's own team and
   region win; an unknown rep counts in the company and its own scope. */
static void
test_org_gives_team_and_region (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t events[] = {
        { CALL, "c-1", MAY_1 + 9 * DAY_MS, "anna", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
        { CALL, "c-2", T0, "anna", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
        { CALL, "c-3", T0, "anna", "east", "apac", NULL, NULL, NULL, 0, 0, 0, NULL },
        { CALL, "c-4", T0, "bob", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
    };
    s_run_ok (fixture->handler, fixture->redis, events, NULL, COUNT (events));
    static const char *const north[] = { "company", "region:emea", "team:north", "rep:anna" };
    static const char *const south[] = { "company", "region:emea", "team:south", "rep:anna" };
    static const char *const east[] = { "company", "region:apac", "team:east", "rep:anna" };
    static const char *const bob[] = { "company", "rep:bob" };
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-10", "calls", north, 4, 1);
    s_expect (expected, "2017-05-30", "calls", south, 4, 1);
    s_expect (expected, "2017-05-30", "calls", east, 4, 1);
    s_expect (expected, "2017-05-30", "calls", bob, 2, 1);
    s_check (fixture->redis, expected);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "calls|team:north"), 1);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "calls|team:south"), 1);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "calls|region:emea"), 2);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "calls|company"), 4);

    /* without the org: only the ids the events give */
    s_redis_t *plain = s_redis_new ();
    s_run_ok (fixture->plain, plain, events, NULL, 1);
    s_expected_t *alone = s_expected_new ();
    static const char *const anna[] = { "company", "rep:anna" };
    s_expect (alone, "2017-05-10", "calls", anna, 2, 1);
    s_check (plain, alone);
    free (alone);
    free (plain);
    free (expected);
}

/* Days and months are cut in the handler's time zone: 2017-03-31T20:00Z
   is 2017-04-01 in Shanghai, 2017-03-31 in UTC. Records of a won deal
   count there too. */
static void
test_time_zone_cuts_days_and_months (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t events[] = {
        { QUOTE, "q-1", MARCH_31_EVENING, "R", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
        { WON, "w-1", MARCH_31_EVENING, "R", NULL, NULL, NULL, "opp-1", "USD", 700, 0, 0, NULL },
    };
    static const char *const scopes[] = { "company", "rep:R" };
    s_run_ok (fixture->china, fixture->redis, events, NULL, COUNT (events));
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "d:2017-04-01", "quotes|rep:R"), 1);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "m:2017-04", "quotes|company"), 1);
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-04-01", "quotes", scopes, 2, 1);
    s_expect (expected, "2017-04-01", "won", scopes, 2, 1);
    s_expect (expected, "2017-04-01", "won_amount", scopes, 2, 700);
    s_check (fixture->redis, expected);
    free (expected);

    s_redis_t *utc = s_redis_new ();
    s_run_ok (fixture->plain, utc, events, NULL, COUNT (events));
    assert_int_equal (s_hget (utc, KEY_PREFIX "d:2017-03-31", "quotes|rep:R"), 1);
    assert_int_equal (s_hget (utc, KEY_PREFIX "m:2017-03", "quotes|company"), 1);
    assert_int_equal (s_hget (utc, KEY_PREFIX "m:2017-04", "quotes|company"), 0);
    free (utc);
}

/* ---------------------------------------------------------------- any order */

#define OPPORTUNITY_EVENTS 5
/* Days of the opportunity's events (UTC). */
#define DAY_LEAD (MAY_1 + 1 * DAY_MS + 9 * HOUR_MS) /* 2017-05-02 */
#define DAY_WON (MAY_1 + 9 * DAY_MS + 9 * HOUR_MS)  /* 2017-05-10 */
#define DAY_LOST (MAY_1 + 11 * DAY_MS)              /* 2017-05-12 */
#define DAY_WON_AGAIN (MAY_1 + 31 * DAY_MS)         /* 2017-06-01 */
#define DAY_CANCEL (MAY_1 + 35 * DAY_MS)            /* 2017-06-05 */
#define DAY_EARLY_LOSS (MAY_1 + 4 * DAY_MS)         /* 2017-05-05 */

/* One opportunity's events (at most OPPORTUNITY_EVENTS) and what they
   must leave whatever their order. */
typedef struct {
    const char *name;
    s_spec_t events[OPPORTUNITY_EVENTS];
    size_t count;
    void (*expect) (s_expected_t *expected);
    void (*check) (const s_redis_t *redis); /* more checks of the end state, or NULL */
} s_history_t;

static const char *const s_history_scopes[] = { "company", "region:region-p", "team:team-p",
                                                "rep:rep-p" };

#define OPP_EVENT(type, id, at, currency, amount, margin, text)                                    \
    {                                                                                              \
        type, id, at, "rep-p", "team-p", "region-p", "cust-9", "opp-9", currency, amount, margin,  \
            0, text                                                                                \
    }

/* Lead, won, lost later, won again later: the first win counts. */
static void
s_expect_first_win (s_expected_t *expected)
{
    s_expect (expected, "2017-05-02", "leads", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-02", "leads_won", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-10", "won", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-10", "won_amount", s_history_scopes, 4, 100000);
    s_expect (expected, "2017-05-10", "margin", s_history_scopes, 4, 30000);
    s_expect (expected, "2017-05-10", "new_customers", s_history_scopes, 4, 1);
}

/* The same, its first win cancelled: the lead is left, and the new
   customer (a cancellation does not move it). */
static void
s_expect_win_cancelled (s_expected_t *expected)
{
    s_expect (expected, "2017-05-02", "leads", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-10", "new_customers", s_history_scopes, 4, 1);
}

/* Lost before the first win: the loss is the outcome. */
static void
s_expect_lost (s_expected_t *expected)
{
    s_expect (expected, "2017-05-02", "leads", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-05", "lost", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-10", "new_customers", s_history_scopes, 4, 1);
}

/* Lead, two stage changes, a quote: still open, in the latest stage
   with the latest value. */
static void
s_expect_open (s_expected_t *expected)
{
    s_expect (expected, "2017-05-02", "leads", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-12", "quotes", s_history_scopes, 4, 1);
}

static void
s_check_open (const s_redis_t *redis)
{
    for (size_t index = 0; index < COUNT (s_history_scopes); index++) {
        char field[KPI_KEYS_FIELD_MAX];
        snprintf (field, sizeof field, "count|%s", s_history_scopes[index]);
        assert_int_equal (s_hget (redis, KEY_PREFIX "p:negotiation", field), 1);
        assert_int_equal (s_hget (redis, KEY_PREFIX "p:proposal", field), 0);
        assert_int_equal (s_hget (redis, KEY_PREFIX "p:", field), 0);
        snprintf (field, sizeof field, "value|%s", s_history_scopes[index]);
        assert_int_equal (s_hget (redis, KEY_PREFIX "p:negotiation", field), 45000);
    }
    assert_true (s_sismember (redis, KEY_PREFIX "stages", "negotiation"));
}

/* Closed histories leave nothing in the open pipeline. */
static void
s_check_closed (const s_redis_t *redis)
{
    for (size_t index = 0; index < redis->measure_count; index++)
        if (strncmp (redis->measures[index].key, KEY_PREFIX "p:", strlen (KEY_PREFIX "p:")) == 0)
            assert_int_equal (redis->measures[index].value, 0);
}

static const s_history_t s_histories[] = {
    { "lead, won, lost, won again, cancel of the first win",
      { OPP_EVENT (LEAD, "e1", DAY_LEAD, NULL, 0, 0, NULL),
        OPP_EVENT (WON, "e2", DAY_WON, "USD", 100000, 30000, NULL),
        OPP_EVENT (LOST, "e3", DAY_LOST, NULL, 0, 0, NULL),
        OPP_EVENT (WON, "e4", DAY_WON_AGAIN, "USD", 500000, 70000, NULL),
        OPP_EVENT (CANCELLED, "e5", DAY_CANCEL, NULL, 0, 0, "e2") },
      5,
      s_expect_win_cancelled,
      s_check_closed },
    { "lead, won, lost, won again, cancel of the second win",
      { OPP_EVENT (LEAD, "e1", DAY_LEAD, NULL, 0, 0, NULL),
        OPP_EVENT (WON, "e2", DAY_WON, "USD", 100000, 30000, NULL),
        OPP_EVENT (LOST, "e3", DAY_LOST, NULL, 0, 0, NULL),
        OPP_EVENT (WON, "e4", DAY_WON_AGAIN, "USD", 500000, 70000, NULL),
        OPP_EVENT (CANCELLED, "e5", DAY_CANCEL, NULL, 0, 0, "e4") },
      5,
      s_expect_first_win,
      s_check_closed },
    { "lead, won, lost, won again",
      { OPP_EVENT (LEAD, "e1", DAY_LEAD, NULL, 0, 0, NULL),
        OPP_EVENT (WON, "e2", DAY_WON, "USD", 100000, 30000, NULL),
        OPP_EVENT (LOST, "e3", DAY_LOST, NULL, 0, 0, NULL),
        OPP_EVENT (WON, "e4", DAY_WON_AGAIN, "USD", 500000, 70000, NULL) },
      4,
      s_expect_first_win,
      s_check_closed },
    { "lead, lost first, won, won again, cancel of the first win",
      { OPP_EVENT (LEAD, "e1", DAY_LEAD, NULL, 0, 0, NULL),
        OPP_EVENT (WON, "e2", DAY_WON, "USD", 100000, 30000, NULL),
        OPP_EVENT (LOST, "e3", DAY_EARLY_LOSS, NULL, 0, 0, NULL),
        OPP_EVENT (WON, "e4", DAY_WON_AGAIN, "USD", 500000, 70000, NULL),
        OPP_EVENT (CANCELLED, "e5", DAY_CANCEL, NULL, 0, 0, "e2") },
      5,
      s_expect_lost,
      s_check_closed },
    { "lead with an estimate, two stage changes, a quote",
      { OPP_EVENT (LEAD, "e1", DAY_LEAD, "USD", 30000, 0, NULL),
        OPP_EVENT (STAGE, "e2", DAY_WON, NULL, 0, 0, "proposal"),
        OPP_EVENT (QUOTE, "e3", DAY_LOST, "USD", 45000, 0, NULL),
        OPP_EVENT (STAGE, "e4", DAY_WON_AGAIN, NULL, 0, 0, "negotiation") },
      4,
      s_expect_open,
      s_check_open },
};

/* Next permutation of order (lexicographic); false after the last. */
static bool
s_next_permutation (size_t *order, size_t count)
{
    if (count < 2)
        return false;
    size_t pivot = count - 1;
    while (pivot > 0 && order[pivot - 1] >= order[pivot])
        pivot--;
    if (pivot == 0)
        return false;
    size_t swap = count - 1;
    while (order[swap] <= order[pivot - 1])
        swap--;
    size_t held = order[pivot - 1];
    order[pivot - 1] = order[swap];
    order[swap] = held;
    for (size_t low = pivot, high = count - 1; low < high; low++, high--) {
        held = order[low];
        order[low] = order[high];
        order[high] = held;
    }
    return true;
}

/* Every non-zero field of a's hashes is in b's with the same value. */
static void
s_hashes_within (const s_redis_t *a, const s_redis_t *b)
{
    for (size_t index = 0; index < a->measure_count; index++) {
        const s_measure_t *entry = &a->measures[index];
        if (entry->value != 0 && s_hget (b, entry->key, entry->field) != entry->value)
            fail_msg ("%s %s: %lld here, %lld there", entry->key, entry->field,
                      (long long) entry->value, (long long) s_hget (b, entry->key, entry->field));
    }
}

/* redis holds what reference holds: every hash field (measures, customers
   touched, the open pipeline) and every record, byte for byte. */
static void
s_same_state (const s_redis_t *redis, const s_redis_t *reference)
{
    s_hashes_within (redis, reference);
    s_hashes_within (reference, redis);
    assert_int_equal (redis->string_count, reference->string_count);
    for (size_t index = 0; index < reference->string_count; index++) {
        const s_string_t *stored = s_get (redis, reference->strings[index].key);
        assert_non_null (stored);
        assert_int_equal (stored->length, reference->strings[index].length);
        assert_memory_equal (stored->value, reference->strings[index].value, stored->length);
    }
}

/* Every order of every history, applied (a) in one run, (b) one event a
   run, the records carried from run to run through the view, and (c) in
   two runs split at a place that moves with the order: the same
   measures, the history's expected ones, and the same records. */
static void
test_any_order_gives_the_same_measures (void **state)
{
    s_fixture_t *fixture = *state;
    for (size_t history = 0; history < COUNT (s_histories); history++) {
        const s_history_t *h = &s_histories[history];
        s_expected_t *expected = s_expected_new ();
        h->expect (expected);
        s_redis_t *reference = s_redis_new ();
        s_run_ok (fixture->plain, reference, h->events, NULL, h->count);
        s_check (reference, expected);
        h->check (reference);

        size_t order[OPPORTUNITY_EVENTS];
        for (size_t index = 0; index < h->count; index++)
            order[index] = index;
        size_t permutations = 0;
        do {
            permutations++;
            /* (a) one run */
            s_redis_t *redis = s_redis_new ();
            s_run_ok (fixture->plain, redis, h->events, order, h->count);
            s_check (redis, expected);
            s_same_state (redis, reference);
            free (redis);
            /* (b) one event a run */
            redis = s_redis_new ();
            for (size_t index = 0; index < h->count; index++)
                s_run_ok (fixture->plain, redis, h->events, &order[index], 1);
            s_check (redis, expected);
            s_same_state (redis, reference);
            free (redis);
            /* (c) two runs */
            size_t split = 1 + permutations % (h->count - 1);
            redis = s_redis_new ();
            s_run_ok (fixture->plain, redis, h->events, order, split);
            s_run_ok (fixture->plain, redis, h->events, order + split, h->count - split);
            s_check (redis, expected);
            s_same_state (redis, reference);
            assert_int_equal (redis->checkpoint, h->count);
            free (redis);
        } while (s_next_permutation (order, h->count));
        assert_int_equal (permutations, h->count == 5 ? 120 : 24);
        free (reference);
        free (expected);
    }
}

/* Replaying a history a second time (a redelivery) changes nothing. */
static void
test_repeated_events_count_once (void **state)
{
    s_fixture_t *fixture = *state;
    const s_history_t *h = &s_histories[1];
    s_expected_t *expected = s_expected_new ();
    h->expect (expected);
    s_run_ok (fixture->plain, fixture->redis, h->events, NULL, h->count);
    const size_t backwards[] = { 4, 3, 2, 1, 0 };
    s_run_ok (fixture->plain, fixture->redis, h->events, backwards, h->count);
    s_check (fixture->redis, expected);
    free (expected);
}

/* An opportunity in the open pipeline: by its latest stage (the lead's
   "" before any change), valued by its latest estimate or quote, counted
   for the scopes of the touch that owns it; gone once won. Customers
   touched count per day for the team and the rep. */
static void
test_open_pipeline_and_customers_touched (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t events[] = {
        { LEAD, "l-1", T0, "R", "T", "G", NULL, "opp-7", "USD", 40000, 0, 0, NULL },
        { STAGE, "s-1", T0 + HOUR_MS, "R2", "T", "G", NULL, "opp-7", NULL, 0, 0, 0, "proposal" },
        { QUOTE, "q-1", T0 + 2 * HOUR_MS, "R", "T", "G", "acme", "opp-7", "EUR", 45000, 0, 0,
          NULL },
        { WON, "w-1", T0 + 3 * HOUR_MS, "R", "T", "G", "acme", "opp-7", "USD", 45000, 0, 0, NULL },
    };
    static const char *const owner[] = { "company", "region:G", "team:T", "rep:R2" };
    s_run_ok (fixture->plain, fixture->redis, events, NULL, 1);
    for (size_t index = 0; index < COUNT (s_rep_scopes); index++) {
        char field[KPI_KEYS_FIELD_MAX];
        snprintf (field, sizeof field, "count|%s", s_rep_scopes[index]);
        assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:", field), 1);
        snprintf (field, sizeof field, "value|%s", s_rep_scopes[index]);
        assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:", field), 40000);
    }
    assert_true (s_sismember (fixture->redis, KEY_PREFIX "stages", ""));

    /* the stage change moves it and its owner */
    s_run_ok (fixture->plain, fixture->redis, events + 1, NULL, 1);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:", "count|company"), 0);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:", "value|rep:R"), 0);
    for (size_t index = 0; index < COUNT (owner); index++) {
        char field[KPI_KEYS_FIELD_MAX];
        snprintf (field, sizeof field, "count|%s", owner[index]);
        assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:proposal", field), 1);
        snprintf (field, sizeof field, "value|%s", owner[index]);
        assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:proposal", field), 40000);
    }
    assert_true (s_sismember (fixture->redis, KEY_PREFIX "stages", "proposal"));

    /* a later quote in another currency: valued apart */
    s_run_ok (fixture->plain, fixture->redis, events + 2, NULL, 1);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:proposal", "count|rep:R2"), 1);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:proposal", "value|rep:R2"), 0);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:proposal", "other_currency|rep:R2"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|rep:R"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|team:T"), 1);

    /* won: out of the pipeline; one more touch of acme */
    s_run_ok (fixture->plain, fixture->redis, events + 3, NULL, 1);
    s_check_closed (fixture->redis);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|rep:R"), 2);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|team:T"), 2);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|region:G"), 0);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|company"), 0);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "t:4:acme|rep:R"), 0);
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "leads", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "leads_won", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "quotes", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "won", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "won_amount", s_rep_scopes, 4, 45000);
    s_expect (expected, "2017-05-30", "new_customers", s_rep_scopes, 4, 1);
    s_check (fixture->redis, expected);

    /* the same in one run */
    s_redis_t *one = s_redis_new ();
    s_run_ok (fixture->plain, one, events, NULL, COUNT (events));
    s_check (one, expected);
    s_same_state (one, fixture->redis);
    free (one);
    free (expected);
}

/* ---------------------------------------------------------------- failures */

/* A stored value that is not a record of its kind fails the event with
   the key named, and the event leaves nothing behind. */
static void
test_stored_value_that_is_not_a_record (void **state)
{
    s_fixture_t *fixture = *state;
    static const char garbage[] = "not a record";
    const struct {
        const char *key;
        s_spec_t event;
    } cases[] = {
        { KEY_PREFIX "o:opp-1",
          { LEAD, "l-1", T0, "R", NULL, NULL, NULL, "opp-1", NULL, 0, 0, 0, NULL } },
        { KEY_PREFIX "c:cust-1",
          { WON, "w-1", T0, "R", NULL, NULL, "cust-1", NULL, "USD", 5, 0, 0, NULL } },
        { KEY_PREFIX "v:2017-05-30:5:rep-vbolt",
          { VISIT, "v-1", T0, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0, 30, NULL } },
        { KEY_PREFIX "v:2017-05-30:5:rep-vo:opp-2",
          { PLANNED, "p-1", T0 - DAY_MS, "rep-v", NULL, NULL, NULL, "opp-2", NULL, 0, 0, T0,
            NULL } },
        /* a record of another kind */
        { KEY_PREFIX "o:opp-3",
          { LOST, "x-1", T0, "R", NULL, NULL, NULL, "opp-3", NULL, 0, 0, 0, NULL } },
    };
    for (size_t index = 0; index < COUNT (cases); index++) {
        s_redis_t *redis = s_redis_new ();
        if (index == COUNT (cases) - 1) {
            kpi_customer_t customer;
            memset (&customer, 0, sizeof customer);
            char packed[KPI_RECORD_PACKED_MAX];
            size_t length = kpi_customer_pack (&customer, packed, sizeof packed);
            s_set (redis, cases[index].key, strlen (cases[index].key), packed, length);
        }
        else
            s_set (redis, cases[index].key, strlen (cases[index].key), garbage, sizeof garbage - 1);
        /* a good event before it in the same run is kept */
        const s_spec_t events[] = {
            { CALL, "c-1", T0, "R", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
            cases[index].event,
        };
        s_outcome_t outcome = s_run (fixture->plain, redis, events, NULL, COUNT (events));
        assert_int_equal (outcome.failed, 1);
        if (!strstr (outcome.error, cases[index].key))
            fail_msg ("reason \"%s\" does not name %s", outcome.error, cases[index].key);
        /* nothing of the failed event: the call only, the value as it was */
        static const char *const scopes[] = { "company", "rep:R" };
        s_expected_t *expected = s_expected_new ();
        s_expect (expected, "2017-05-30", "calls", scopes, 2, 1);
        s_check (redis, expected);
        assert_int_equal (redis->string_count, 1);
        free (expected);
        free (redis);
    }
}

/* A deal cancelled more often than an opportunity remembers: the event
   fails, the earlier ones stand. */
static void
test_too_many_cancellations (void **state)
{
    s_fixture_t *fixture = *state;
    s_spec_t events[KPI_RECORD_CANCELLED_MAX + 1];
    char ids[KPI_RECORD_CANCELLED_MAX + 1][2][16];
    for (size_t index = 0; index < COUNT (events); index++) {
        snprintf (ids[index][0], sizeof ids[index][0], "x-%zu", index);
        snprintf (ids[index][1], sizeof ids[index][1], "w-%zu", index);
        events[index] = (s_spec_t){ CANCELLED, ids[index][0], T0, "R", NULL, NULL,         NULL,
                                    "opp-1",   NULL,          0,  0,   0,    ids[index][1] };
    }
    s_outcome_t outcome = s_run (fixture->plain, fixture->redis, events, NULL, COUNT (events));
    assert_int_equal (outcome.failed, 1);
    assert_non_null (strstr (outcome.error, "cancellations"));
    const s_string_t *stored = s_get (fixture->redis, KEY_PREFIX "o:opp-1");
    assert_non_null (stored);
    kpi_opportunity_t record;
    assert_int_equal (kpi_opportunity_unpack (&record, stored->value, stored->length), 0);
    assert_int_equal (record.cancelled_count, KPI_RECORD_CANCELLED_MAX);
    assert_int_equal (fixture->redis->measure_count, 0);
}

static int
s_reset (void **state)
{
    s_fixture_t *fixture = *state;
    memset (fixture->redis, 0, sizeof *fixture->redis);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_deal_won_in_reporting_currency, s_reset),
        cmocka_unit_test_setup (test_deal_won_in_another_currency, s_reset),
        cmocka_unit_test_setup (test_visits_and_tier_a, s_reset),
        cmocka_unit_test_setup (test_visit_plan, s_reset),
        cmocka_unit_test_setup (test_surveys_and_owner, s_reset),
        cmocka_unit_test_setup (test_direct_counts, s_reset),
        cmocka_unit_test_setup (test_org_gives_team_and_region, s_reset),
        cmocka_unit_test_setup (test_time_zone_cuts_days_and_months, s_reset),
        cmocka_unit_test_setup (test_any_order_gives_the_same_measures, s_reset),
        cmocka_unit_test_setup (test_repeated_events_count_once, s_reset),
        cmocka_unit_test_setup (test_open_pipeline_and_customers_touched, s_reset),
        cmocka_unit_test_setup (test_stored_value_that_is_not_a_record, s_reset),
        cmocka_unit_test_setup (test_too_many_cancellations, s_reset),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
