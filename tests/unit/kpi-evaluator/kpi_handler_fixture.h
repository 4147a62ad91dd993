/*  kpi_handler_fixture - the scaffolding test_kpi_handler and
    test_kpi_handler_order share, written once (header-only: the Makefile
    links each test_*.c of a service on its own, so the functions are
    static inline and a file that does not use one does not warn).

    Events built from a flat spec, a small in-memory Redis (hash fields,
    strings, set members) that the coalesced step of a batch is run
    against (HINCRBY sums, SET values, SADD members), a run that drives
    the handler as sp_consumer.c does (begin, the view filled from that
    Redis, each event applied and marked, the step executed), the map of
    the measures a test expects and the check that the Redis holds
    exactly those, and the cmocka group fixture with its handlers (UTC,
    Asia/Shanghai, an org and customers).
*/
#ifndef KPI_HANDLER_FIXTURE_H_INCLUDED
#define KPI_HANDLER_FIXTURE_H_INCLUDED

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
#include "sp_org.h"
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

static inline char *
s_text (const char *text)
{
    return (char *) (text ? text : "");
}

static inline void
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

static inline s_redis_t *
s_redis_new (void)
{
    s_redis_t *redis = calloc (1, sizeof *redis);
    assert_non_null (redis);
    return redis;
}

/* The field's value, 0 when missing (as readers take it). */
static inline int64_t
s_hget (const s_redis_t *redis, const char *key, const char *field)
{
    for (size_t index = 0; index < redis->measure_count; index++)
        if (strcmp (redis->measures[index].key, key) == 0 &&
            strcmp (redis->measures[index].field, field) == 0)
            return redis->measures[index].value;
    return 0;
}

static inline void
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

static inline void
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
static inline bool
s_sismember (const s_redis_t *redis, const char *key, const char *member)
{
    for (size_t index = 0; index < redis->member_count; index++)
        if (strcmp (redis->members[index].key, key) == 0 &&
            strcmp (redis->members[index].field, member) == 0)
            return true;
    return false;
}

static inline const s_string_t *
s_get (const s_redis_t *redis, const char *key)
{
    for (size_t index = 0; index < redis->string_count; index++)
        if (strcmp (redis->strings[index].key, key) == 0)
            return &redis->strings[index];
    return NULL;
}

static inline void
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
static inline const char *
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

/* Runs a coalesced step's commands on redis: HINCRBY (of one or more
   fields, as the kit sends summed increments), SET, MSET and
   SADD only (what the handler and the coalescing write), on keys of
   PARTITION. */
static inline void
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
            /* summed increments: HINCRBY key field delta [field delta ...] */
            assert_true (argc >= 4 && argc % 2 == 0);
            for (long pair = 0; pair < (argc - 2) / 2; pair++) {
                size_t at = index + 3 + 2 * (size_t) pair;
                char field[KPI_KEYS_FIELD_MAX];
                size_t field_length;
                s_argument (batch, at, field, sizeof field, &field_length);
                long long delta =
                    strtoll (s_argument (batch, at + 1, number, sizeof number, &length), NULL, 10);
                s_hincrby (redis, key, key_length, field, field_length, delta);
            }
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
static inline s_outcome_t
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
static inline void
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

static inline s_expected_t *
s_expected_new (void)
{
    s_expected_t *expected = calloc (1, sizeof *expected);
    assert_non_null (expected);
    return expected;
}

/* Expects value more of measure in each scope, in the hash of day
   ("YYYY-MM-DD") and of its month. */
static inline void
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
static inline bool
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
static inline void
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
    sp_org_t *org;
    kpi_handler_t *plain;   /* UTC, no org, no customers */
    kpi_handler_t *handler; /* UTC, the org and the customers */
    kpi_handler_t *china;   /* Asia/Shanghai, no org, no customers */
    s_redis_t *redis;       /* empty for each test */
} s_fixture_t;

static inline int
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
    fixture->org = sp_org_new (s_org_json, strlen (s_org_json), error, sizeof error);
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

static inline int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    kpi_handler_destroy (&fixture->plain);
    kpi_handler_destroy (&fixture->handler);
    kpi_handler_destroy (&fixture->china);
    assert_null (fixture->plain);
    kpi_handler_destroy (&fixture->plain); /* no-op on NULL */
    sp_org_destroy (&fixture->org);
    kpi_customers_destroy (&fixture->customers);
    sp_tz_destroy (&fixture->utc);
    sp_tz_destroy (&fixture->shanghai);
    free (fixture->redis);
    free (fixture);
    return 0;
}

/* Closed histories leave nothing in the open pipeline. */
static inline void
s_check_closed (const s_redis_t *redis)
{
    for (size_t index = 0; index < redis->measure_count; index++)
        if (strncmp (redis->measures[index].key, KEY_PREFIX "p:", strlen (KEY_PREFIX "p:")) == 0)
            assert_int_equal (redis->measures[index].value, 0);
}

/* Every non-zero field of a's hashes is in b's with the same value. */
static inline void
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
static inline void
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

/* Each test starts with an empty in-memory Redis. */
static inline int
s_reset (void **state)
{
    s_fixture_t *fixture = *state;
    memset (fixture->redis, 0, sizeof *fixture->redis);
    return 0;
}

#endif
