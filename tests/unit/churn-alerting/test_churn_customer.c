/*  test_churn_customer - a customer's bounded state (churn_customer):
    applying events, the owner, order independence, bounds, and the binary
    form with every malformed input refused.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "churn_customer.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define DAY 17500 /* 2017-11-30 */
#define MS_PER_DAY 86400000

static churn_customer_event_t
s_order (int64_t day, int64_t amount)
{
    return (churn_customer_event_t){
        .type = CHURN_CUSTOMER_ORDER, .day = day, .amount_minor = amount, .reporting_currency = true
    };
}

static churn_customer_event_t
s_event (churn_customer_event_type_t type, int64_t day)
{
    return (churn_customer_event_t){ .type = type, .day = day };
}

static churn_customer_event_t
s_complaint (int64_t day, churn_model_severity_t severity)
{
    return (churn_customer_event_t){ .type = CHURN_CUSTOMER_COMPLAINT,
                                     .day = day,
                                     .severity = severity };
}

static churn_customer_event_t
s_survey (int64_t day, int64_t at_ms, const char *id, churn_customer_survey_t survey, int score)
{
    return (churn_customer_event_t){ .type = CHURN_CUSTOMER_SURVEY,
                                     .day = day,
                                     .occurred_at = at_ms,
                                     .event_id = id,
                                     .survey = survey,
                                     .survey_score = score };
}

/* event naming an owner (NULL or "": not that one) at at_ms, its id id. */
static churn_customer_event_t
s_owned (churn_customer_event_t event, int64_t at_ms, const char *id, const char *rep,
         const char *team, const char *region)
{
    event.occurred_at = at_ms;
    event.event_id = id;
    event.rep_id = rep;
    event.team_id = team;
    event.region_id = region;
    return event;
}

static churn_customer_t *
s_new (void)
{
    churn_customer_t *customer = churn_customer_new ();
    assert_non_null (customer);
    return customer;
}

static void
s_apply (churn_customer_t *customer, churn_customer_event_t event)
{
    assert_int_equal (churn_customer_apply (customer, &event), 0);
}

/* The packed form into buffer (CHURN_CUSTOMER_PACKED_MAX bytes). */
static size_t
s_pack (const churn_customer_t *customer, char *buffer)
{
    size_t length = churn_customer_pack (customer, buffer, CHURN_CUSTOMER_PACKED_MAX);
    assert_true (length > 0);
    return length;
}

// ---------------------------------------------------------------- applying

/* Orders, returns and payments sum per day; another currency counts. */
static void
test_money_days (void **state)
{
    (void) state;
    churn_customer_t *customer = s_new ();
    int64_t day = 0;
    assert_false (churn_customer_first_day (customer, &day));
    assert_int_equal (churn_customer_money_count (customer), 0);
    s_apply (customer, s_order (DAY + 5, 1000));
    s_apply (customer, s_order (DAY, 2500));
    s_apply (customer, s_order (DAY, -700));
    s_apply (customer, s_order (DAY, 0));
    churn_customer_event_t other = s_order (DAY, 9999);
    other.reporting_currency = false;
    s_apply (customer, other);
    other.amount_minor = -50;
    s_apply (customer, other);
    churn_customer_event_t payment = s_event (CHURN_CUSTOMER_PAYMENT, DAY + 5);
    payment.amount_minor = 800;
    payment.reporting_currency = true;
    s_apply (customer, payment);
    assert_true (churn_customer_first_day (customer, &day));
    assert_int_equal (day, DAY);
    assert_false (churn_customer_first_engagement_day (customer, &day));
    assert_int_equal (churn_customer_money_count (customer), 2);
    const churn_customer_money_t *first = churn_customer_money (customer, 0);
    assert_int_equal (first->day, DAY);
    assert_int_equal (first->orders, 3); /* 2500, 0 and the other currency's */
    assert_int_equal (first->ordered_minor, 2500);
    assert_int_equal (first->returns, 2);
    assert_int_equal (first->returned_minor, 700);
    assert_int_equal (first->payments, 0);
    const churn_customer_money_t *second = churn_customer_money (customer, 1);
    assert_int_equal (second->day, DAY + 5);
    assert_int_equal (second->orders, 1);
    assert_int_equal (second->ordered_minor, 1000);
    assert_int_equal (second->payments, 1);
    assert_int_equal (second->paid_minor, 800);
    churn_customer_destroy (&customer);
    churn_customer_destroy (&customer); /* no-op on NULL */
}

/* Engagement and complaints per day; the first engagement day stays. */
static void
test_engagement_and_complaints (void **state)
{
    (void) state;
    churn_customer_t *customer = s_new ();
    s_apply (customer, s_event (CHURN_CUSTOMER_VISIT, DAY + 1));
    s_apply (customer, s_event (CHURN_CUSTOMER_CALL, DAY + 1));
    s_apply (customer, s_event (CHURN_CUSTOMER_CALL, DAY + 1));
    s_apply (customer, s_event (CHURN_CUSTOMER_DEMO, DAY + 3));
    s_apply (customer, s_complaint (DAY + 2, CHURN_MODEL_SEVERITY_HIGH));
    s_apply (customer, s_complaint (DAY + 2, CHURN_MODEL_SEVERITY_HIGH));
    s_apply (customer, s_complaint (DAY + 2, CHURN_MODEL_SEVERITY_LOW));
    int64_t day = 0;
    assert_true (churn_customer_first_engagement_day (customer, &day));
    assert_int_equal (day, DAY + 1);
    assert_true (churn_customer_first_day (customer, &day));
    assert_int_equal (day, DAY + 1);
    assert_int_equal (churn_customer_engagement_count (customer), 2);
    const churn_customer_engagement_t *first = churn_customer_engagement (customer, 0);
    assert_int_equal (first->visits, 1);
    assert_int_equal (first->calls, 2);
    assert_int_equal (first->demos, 0);
    assert_int_equal (churn_customer_engagement (customer, 1)->demos, 1);
    assert_int_equal (churn_customer_complaint_count (customer), 1);
    const churn_customer_complaint_t *complaint = churn_customer_complaint (customer, 0);
    assert_int_equal (complaint->day, DAY + 2);
    assert_int_equal (complaint->counts[CHURN_MODEL_SEVERITY_HIGH], 2);
    assert_int_equal (complaint->counts[CHURN_MODEL_SEVERITY_LOW], 1);
    assert_int_equal (complaint->counts[CHURN_MODEL_SEVERITY_CRITICAL], 0);
    churn_customer_destroy (&customer);
}

/* Surveys: latest first by (occurred_at, event_id), the same answer once,
   the latest four kept. */
static void
test_surveys (void **state)
{
    (void) state;
    churn_customer_t *customer = s_new ();
    int64_t at = (int64_t) DAY * MS_PER_DAY;
    s_apply (customer, s_survey (DAY, at, "s:b", CHURN_CUSTOMER_SURVEY_NPS, 9));
    s_apply (customer, s_survey (DAY, at, "s:a", CHURN_CUSTOMER_SURVEY_CSAT, 2));
    s_apply (customer, s_survey (DAY, at, "s:b", CHURN_CUSTOMER_SURVEY_NPS, 9)); /* again */
    assert_int_equal (churn_customer_answer_count (customer), 2);
    assert_string_equal (churn_customer_answer (customer, 0)->event_id, "s:b");
    assert_int_equal (churn_customer_answer (customer, 0)->score, 9);
    assert_int_equal (churn_customer_answer (customer, 1)->survey, CHURN_CUSTOMER_SURVEY_CSAT);
    s_apply (customer,
             s_survey (DAY + 2, at + 2 * MS_PER_DAY, "s:c", CHURN_CUSTOMER_SURVEY_NPS, 3));
    s_apply (customer,
             s_survey (DAY - 9, at - 9 * MS_PER_DAY, "s:d", CHURN_CUSTOMER_SURVEY_NPS, 0));
    s_apply (customer, s_survey (DAY - 1, at - MS_PER_DAY, "s:e", CHURN_CUSTOMER_SURVEY_CSAT, 5));
    assert_int_equal (churn_customer_answer_count (customer), CHURN_CUSTOMER_SURVEYS_MAX);
    const char *expected[] = { "s:c", "s:b", "s:a", "s:e" }; /* s:d dropped, the oldest */
    for (size_t index = 0; index < COUNT (expected); index++)
        assert_string_equal (churn_customer_answer (customer, index)->event_id, expected[index]);
    /* older than every kept one: dropped */
    s_apply (customer,
             s_survey (DAY - 20, at - 20 * MS_PER_DAY, "s:f", CHURN_CUSTOMER_SURVEY_NPS, 1));
    assert_string_equal (churn_customer_answer (customer, 3)->event_id, "s:e");
    int64_t day = 0;
    assert_true (churn_customer_first_day (customer, &day));
    assert_int_equal (day, DAY - 20); /* the first day counts every event */
    churn_customer_destroy (&customer);
}

/* Invalid events are refused and change nothing. */
static void
test_apply_refusals (void **state)
{
    (void) state;
    churn_customer_t *customer = s_new ();
    s_apply (customer, s_order (DAY, 100));
    char before[CHURN_CUSTOMER_PACKED_MAX];
    char after[CHURN_CUSTOMER_PACKED_MAX];
    size_t length = s_pack (customer, before);
    int64_t at = (int64_t) DAY * MS_PER_DAY;
    churn_customer_event_t bad[] = {
        s_order (-1, 100),
        s_order (CHURN_CUSTOMER_DAY_MAX + 1, 100),
        s_order (DAY, CHURN_CUSTOMER_AMOUNT_MAX + 1),
        s_order (DAY, -CHURN_CUSTOMER_AMOUNT_MAX - 1),
        { .type = CHURN_CUSTOMER_PAYMENT, .day = DAY, .amount_minor = -1 },
        { .type = (churn_customer_event_type_t) 99, .day = DAY },
        s_complaint (DAY, (churn_model_severity_t) CHURN_MODEL_SEVERITY_COUNT),
        s_survey (DAY, at, "s:1", CHURN_CUSTOMER_SURVEY_NPS, 11),
        s_survey (DAY, at, "s:1", CHURN_CUSTOMER_SURVEY_NPS, -1),
        s_survey (DAY, at, "s:1", CHURN_CUSTOMER_SURVEY_CSAT, 0),
        s_survey (DAY, at, "s:1", CHURN_CUSTOMER_SURVEY_CSAT, 6),
        s_survey (DAY, at, "s:1", CHURN_CUSTOMER_SURVEY_NONE, 3),
        s_survey (DAY, 0, "s:1", CHURN_CUSTOMER_SURVEY_NPS, 3),
        s_survey (DAY, CHURN_CUSTOMER_TIME_MAX + 1, "s:1", CHURN_CUSTOMER_SURVEY_NPS, 3),
        s_survey (DAY, at, "", CHURN_CUSTOMER_SURVEY_NPS, 3),
        s_survey (DAY, at, NULL, CHURN_CUSTOMER_SURVEY_NPS, 3),
        s_survey (DAY, at, "s 1", CHURN_CUSTOMER_SURVEY_NPS, 3),
        /* an owner needs its time */
        s_owned (s_order (DAY, 1), 0, "o:1", "rep", NULL, NULL),
        s_owned (s_order (DAY, 1), CHURN_CUSTOMER_TIME_MAX + 1, "o:1", NULL, "team", NULL),
        /* owner ids: UTF-8 */
        s_owned (s_order (DAY, 1), at, "o:1", "rep\xff", NULL, NULL),
        s_owned (s_order (DAY, 1), at, "o:1", NULL, "\xc3", NULL),
        s_owned (s_order (DAY, 1), at, "o:1", NULL, NULL, "\xed\xa0\x80"),
    };
    for (size_t index = 0; index < COUNT (bad); index++) {
        assert_int_equal (churn_customer_apply (customer, &bad[index]), -1);
        assert_int_equal (s_pack (customer, after), length);
        assert_memory_equal (before, after, length);
    }
    char long_id[CHURN_CUSTOMER_EVENT_ID_MAX + 2];
    memset (long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    churn_customer_event_t too_long = s_survey (DAY, at, long_id, CHURN_CUSTOMER_SURVEY_NPS, 3);
    assert_int_equal (churn_customer_apply (customer, &too_long), -1);
    long_id[CHURN_CUSTOMER_EVENT_ID_MAX] = '\0'; /* 128 bytes: fine */
    /* an owner id of 65 bytes, whichever it is */
    char long_owner[CHURN_CUSTOMER_OWNER_MAX + 2];
    memset (long_owner, 'o', sizeof long_owner - 1);
    long_owner[sizeof long_owner - 1] = '\0';
    churn_customer_event_t owned[] = {
        s_owned (s_order (DAY, 1), at, "o:1", long_owner, NULL, NULL),
        s_owned (s_order (DAY, 1), at, "o:1", NULL, long_owner, NULL),
        s_owned (s_order (DAY, 1), at, "o:1", NULL, NULL, long_owner),
        /* even on an event that names nothing else */
        s_owned (s_order (DAY, 1), at, "o:1", "", "", long_owner),
    };
    for (size_t index = 0; index < COUNT (owned); index++) {
        assert_int_equal (churn_customer_apply (customer, &owned[index]), -1);
        assert_int_equal (s_pack (customer, after), length);
        assert_memory_equal (before, after, length);
    }
    assert_null (churn_customer_owner (customer));
    s_apply (customer, s_survey (DAY, at, long_id, CHURN_CUSTOMER_SURVEY_NPS, 3));
    churn_customer_destroy (&customer);
}

/* The owner is what the latest event naming one named, by occurred_at
   then the larger (rep, team, region); events naming none leave it; the
   same owner again or an older one changes nothing. */
static void
test_owner (void **state)
{
    (void) state;
    churn_customer_t *customer = s_new ();
    int64_t at = (int64_t) DAY * MS_PER_DAY;
    assert_null (churn_customer_owner (customer));
    s_apply (customer, s_order (DAY, 100)); /* names nobody */
    s_apply (customer, s_owned (s_order (DAY, 100), at, "o:1", "", NULL, ""));
    assert_null (churn_customer_owner (customer));
    s_apply (customer, s_owned (s_event (CHURN_CUSTOMER_VISIT, DAY + 1), at + MS_PER_DAY, "v:1",
                                "rep-ana", "team-north", "emea"));
    const churn_customer_owner_t *owner = churn_customer_owner (customer);
    assert_non_null (owner);
    assert_string_equal (owner->rep_id, "rep-ana");
    assert_string_equal (owner->team_id, "team-north");
    assert_string_equal (owner->region_id, "emea");
    assert_int_equal (owner->occurred_at, at + MS_PER_DAY);
    /* an older event naming another owner, and an event naming nobody
       later: no change */
    s_apply (customer, s_owned (s_order (DAY, 100), at, "o:2", "rep-ben", "team-south", "apac"));
    churn_customer_event_t later = s_order (DAY + 5, 100);
    later.occurred_at = at + 5 * MS_PER_DAY;
    later.event_id = "o:3";
    s_apply (customer, later);
    owner = churn_customer_owner (customer);
    assert_string_equal (owner->rep_id, "rep-ana");
    /* the same time: the larger rep, then team, then region, whatever
       the event ids; what it does not name is empty (team and region go
       with the rep) */
    s_apply (customer, s_owned (s_event (CHURN_CUSTOMER_CALL, DAY + 1), at + MS_PER_DAY, "v:9",
                                "rep-abe", "team-z", "z"));
    s_apply (customer, s_owned (s_event (CHURN_CUSTOMER_CALL, DAY + 1), at + MS_PER_DAY, "v:8",
                                "rep-ana", "team-north", "apac"));
    owner = churn_customer_owner (customer);
    assert_string_equal (owner->rep_id, "rep-ana");
    assert_string_equal (owner->region_id, "emea");
    s_apply (customer, s_owned (s_event (CHURN_CUSTOMER_CALL, DAY + 1), at + MS_PER_DAY, "v:7",
                                "rep-ana", "team-north", "eu"));
    assert_string_equal (churn_customer_owner (customer)->region_id, "eu");
    s_apply (customer, s_owned (s_event (CHURN_CUSTOMER_CALL, DAY + 1), at + MS_PER_DAY, "v:0",
                                "rep-dee", NULL, ""));
    owner = churn_customer_owner (customer);
    assert_string_equal (owner->rep_id, "rep-dee");
    assert_string_equal (owner->team_id, "");
    assert_string_equal (owner->region_id, "");
    /* a team alone names an owner too; the event counts as any other */
    s_apply (customer, s_owned (s_complaint (DAY + 9, CHURN_MODEL_SEVERITY_LOW),
                                at + 9 * MS_PER_DAY, "c:1", NULL, "team-west", NULL));
    owner = churn_customer_owner (customer);
    assert_string_equal (owner->rep_id, "");
    assert_string_equal (owner->team_id, "team-west");
    assert_int_equal (churn_customer_complaint_count (customer), 1);
    /* the longest ids */
    char longest[CHURN_CUSTOMER_OWNER_MAX + 1];
    memset (longest, 'r', CHURN_CUSTOMER_OWNER_MAX);
    longest[CHURN_CUSTOMER_OWNER_MAX] = '\0';
    s_apply (customer, s_owned (s_order (DAY + 10, 1), at + 10 * MS_PER_DAY, "o:9", longest,
                                longest, "\xc3\xa9ire"));
    owner = churn_customer_owner (customer);
    assert_string_equal (owner->rep_id, longest);
    assert_string_equal (owner->region_id, "\xc3\xa9ire");
    churn_customer_destroy (&customer);

    /* the same events under other ids: the same bytes */
    churn_customer_t *one = s_new ();
    churn_customer_t *other = s_new ();
    s_apply (one, s_owned (s_order (DAY, 100), at, "a:1", "rep-ana", "team-north", "emea"));
    s_apply (one, s_owned (s_order (DAY, 100), at, "a:2", "rep-ben", NULL, NULL));
    s_apply (other, s_owned (s_order (DAY, 100), at, "b:2", "rep-ben", NULL, NULL));
    s_apply (other, s_owned (s_order (DAY, 100), at, "b:1", "rep-ana", "team-north", "emea"));
    char packed_one[CHURN_CUSTOMER_PACKED_MAX], packed_other[CHURN_CUSTOMER_PACKED_MAX];
    size_t length = s_pack (one, packed_one);
    assert_int_equal (s_pack (other, packed_other), length);
    assert_memory_equal (packed_one, packed_other, length);
    assert_string_equal (churn_customer_owner (one)->rep_id, "rep-ben");
    churn_customer_destroy (&other);
    churn_customer_destroy (&one);
}

// ---------------------------------------------------------------- order independence

/* Calls visit on every permutation of items[0..count) (Heap's algorithm). */
static void
s_permute (churn_customer_event_t *items, size_t count, size_t size,
           void (*visit) (const churn_customer_event_t *, size_t, void *), void *context)
{
    if (size == 1) {
        visit (items, count, context);
        return;
    }
    for (size_t index = 0; index < size; index++) {
        s_permute (items, count, size - 1, visit, context);
        size_t swap = size % 2 == 1 ? 0 : index;
        churn_customer_event_t kept = items[swap];
        items[swap] = items[size - 1];
        items[size - 1] = kept;
    }
}

typedef struct {
    char expected[CHURN_CUSTOMER_PACKED_MAX];
    size_t length;
    size_t visits;
} s_permutations_t;

static void
s_check_permutation (const churn_customer_event_t *items, size_t count, void *context)
{
    s_permutations_t *check = (s_permutations_t *) context;
    churn_customer_t *customer = s_new ();
    for (size_t index = 0; index < count; index++)
        s_apply (customer, items[index]);
    char packed[CHURN_CUSTOMER_PACKED_MAX];
    size_t length = s_pack (customer, packed);
    assert_int_equal (length, check->length);
    assert_memory_equal (packed, check->expected, length);
    check->visits++;
    churn_customer_destroy (&customer);
}

/* Every order of seven events gives the same packed bytes, the owner
   included: four events name one, two of them at the same time. */
static void
test_order_independent (void **state)
{
    (void) state;
    int64_t at = (int64_t) DAY * MS_PER_DAY;
    churn_customer_event_t payment = { .type = CHURN_CUSTOMER_PAYMENT,
                                       .day = DAY + 3,
                                       .amount_minor = 400,
                                       .reporting_currency = true };
    churn_customer_event_t events[] = {
        s_owned (s_order (DAY, 1000), at, "o:1", "rep-ana", "team-north", "emea"),
        s_owned (s_order (DAY + 3, -200), at + 3 * MS_PER_DAY, "o:2", "rep-ben", NULL, "apac"),
        s_order (DAY, 300),
        s_owned (payment, at + 3 * MS_PER_DAY, "p:1", NULL, "team-south", NULL),
        s_owned (s_event (CHURN_CUSTOMER_CALL, DAY + 1), at + MS_PER_DAY, "c:1", "rep-cy", NULL,
                 NULL),
        s_complaint (DAY + 2, CHURN_MODEL_SEVERITY_MEDIUM),
        s_survey (DAY + 1, at + MS_PER_DAY, "s:1", CHURN_CUSTOMER_SURVEY_NPS, 8),
    };
    s_permutations_t check = { .visits = 0 };
    churn_customer_t *customer = s_new ();
    for (size_t index = 0; index < COUNT (events); index++)
        s_apply (customer, events[index]);
    check.length = s_pack (customer, check.expected);
    /* o:2 and p:1 share the latest time: o:2 names the larger rep */
    const churn_customer_owner_t *owner = churn_customer_owner (customer);
    assert_non_null (owner);
    assert_string_equal (owner->rep_id, "rep-ben");
    assert_string_equal (owner->team_id, "");
    assert_string_equal (owner->region_id, "apac");
    churn_customer_destroy (&customer);
    s_permute (events, COUNT (events), COUNT (events), s_check_permutation, &check);
    assert_int_equal (check.visits, 5040);
}

/* Full lists keep the latest days whatever the order, late events for a
   dropped day stay dropped. */
static void
test_bounded_lists (void **state)
{
    (void) state;
    const int64_t days = CHURN_CUSTOMER_MONEY_DAYS_MAX + 10;
    churn_customer_t *rising = s_new ();
    churn_customer_t *falling = s_new ();
    churn_customer_t *mixed = s_new ();
    for (int64_t index = 0; index < days; index++) {
        s_apply (rising, s_order (DAY + index, 10));
        s_apply (rising, s_event (CHURN_CUSTOMER_VISIT, DAY + index));
        s_apply (rising, s_complaint (DAY + index, CHURN_MODEL_SEVERITY_LOW));
        s_apply (falling, s_order (DAY + days - 1 - index, 10));
        s_apply (falling, s_event (CHURN_CUSTOMER_VISIT, DAY + days - 1 - index));
        s_apply (falling, s_complaint (DAY + days - 1 - index, CHURN_MODEL_SEVERITY_LOW));
        int64_t scattered = (index * 7) % days; /* 7 and 410 are coprime */
        s_apply (mixed, s_order (DAY + scattered, 10));
        s_apply (mixed, s_event (CHURN_CUSTOMER_VISIT, DAY + scattered));
        s_apply (mixed, s_complaint (DAY + scattered, CHURN_MODEL_SEVERITY_LOW));
    }
    /* a late event on a dropped day */
    s_apply (rising, s_order (DAY, 10));
    s_apply (falling, s_order (DAY, 10));
    s_apply (mixed, s_order (DAY, 10));
    assert_int_equal (churn_customer_money_count (rising), CHURN_CUSTOMER_MONEY_DAYS_MAX);
    assert_int_equal (churn_customer_money (rising, 0)->day, DAY + 10);
    assert_int_equal (churn_customer_money (rising, CHURN_CUSTOMER_MONEY_DAYS_MAX - 1)->day,
                      DAY + days - 1);
    assert_int_equal (churn_customer_engagement_count (rising), CHURN_CUSTOMER_ENGAGEMENT_DAYS_MAX);
    assert_int_equal (churn_customer_engagement (rising, 0)->day,
                      DAY + days - CHURN_CUSTOMER_ENGAGEMENT_DAYS_MAX);
    assert_int_equal (churn_customer_complaint_count (rising), CHURN_CUSTOMER_COMPLAINT_DAYS_MAX);
    int64_t day = 0;
    assert_true (churn_customer_first_day (rising, &day));
    assert_int_equal (day, DAY);
    assert_true (churn_customer_first_engagement_day (rising, &day));
    assert_int_equal (day, DAY);
    char one[CHURN_CUSTOMER_PACKED_MAX];
    char other[CHURN_CUSTOMER_PACKED_MAX];
    size_t length = s_pack (rising, one);
    assert_int_equal (s_pack (falling, other), length);
    assert_memory_equal (one, other, length);
    assert_int_equal (s_pack (mixed, other), length);
    assert_memory_equal (one, other, length);
    churn_customer_destroy (&mixed);
    churn_customer_destroy (&falling);
    churn_customer_destroy (&rising);
}

// ---------------------------------------------------------------- binary form

/* The binary form written field by field, independently of the codec
   (the layout in churn_customer.c): a varint, a byte, a length byte and
   its bytes, or raw bytes. */
typedef enum { F_VARINT, F_BYTE, F_TEXT, F_RAW } s_field_kind_t;

typedef struct {
    s_field_kind_t kind;
    uint64_t value;    /* F_VARINT, F_BYTE */
    const char *bytes; /* F_TEXT, F_RAW */
    size_t length;     /* of bytes */
} s_field_t;

#define V(v)                                                                                       \
    {                                                                                              \
        F_VARINT, (uint64_t) (v), NULL, 0                                                          \
    }
#define B(v)                                                                                       \
    {                                                                                              \
        F_BYTE, (uint64_t) (v), NULL, 0                                                            \
    }
#define T(text)                                                                                    \
    {                                                                                              \
        F_TEXT, 0, text, sizeof text - 1                                                           \
    }
#define R(bytes)                                                                                   \
    {                                                                                              \
        F_RAW, 0, bytes, sizeof bytes - 1                                                          \
    }

#define AT_MS ((int64_t) DAY * MS_PER_DAY)

/* The sample below, field by field (a day of a list: its difference from
   the one before). */
static const s_field_t s_sample_fields[] = {
    B ('H'),
    B (3),
    B (7), /* 0: kind, version, flags: both first days, owner */
    V (DAY),
    V (DAY + 1), /* 3: first day, first engagement */
    V (2),       /* 5: money days */
    V (DAY),
    V (1),
    V (1000),
    V (0),
    V (0),
    V (0),
    V (0), /* 6 */
    V (4),
    V (1),
    V (500),
    V (0),
    V (0),
    V (1),
    V (900), /* 13 */
    V (1),
    V (DAY + 1),
    V (0),
    V (0),
    V (2), /* 20: engagement */
    V (1),
    V (DAY + 2),
    V (0),
    V (0),
    V (0),
    V (1), /* 25: complaints */
    V (2),
    V (AT_MS + 3 * MS_PER_DAY),
    V (DAY + 3),
    B (2),
    B (4),
    T ("s:2"), /* 31: answers */
    V (AT_MS + MS_PER_DAY),
    V (DAY + 1),
    B (1),
    B (6),
    T ("s:1"), /* 37 */
    V (AT_MS + MS_PER_DAY + 1),
    T ("rep"),
    T ("tm"),
    T ("eu"), /* 42: owner */
};

#define FIELDS COUNT (s_sample_fields)

/* Writes fields into buffer; returns the length. */
static size_t
s_write (const s_field_t *fields, size_t count, char *buffer)
{
    size_t length = 0;
    for (size_t index = 0; index < count; index++) {
        const s_field_t *field = &fields[index];
        uint64_t value = field->value;
        switch (field->kind) {
            case F_VARINT:
                while (value >= 0x80) {
                    buffer[length++] = (char) (uint8_t) (value | 0x80);
                    value >>= 7;
                }
                buffer[length++] = (char) (uint8_t) value;
                break;
            case F_BYTE:
                buffer[length++] = (char) (uint8_t) value;
                break;
            case F_TEXT:
                buffer[length++] = (char) (uint8_t) field->length;
                memcpy (buffer + length, field->bytes, field->length);
                length += field->length;
                break;
            case F_RAW:
                memcpy (buffer + length, field->bytes, field->length);
                length += field->length;
                break;
        }
    }
    return length;
}

static churn_customer_t *
s_sample (void)
{
    churn_customer_t *customer = s_new ();
    int64_t at = AT_MS;
    churn_customer_event_t payment = { .type = CHURN_CUSTOMER_PAYMENT,
                                       .day = DAY + 4,
                                       .amount_minor = 900,
                                       .reporting_currency = true };
    s_apply (customer, s_order (DAY, 1000));
    s_apply (customer, s_order (DAY + 4, 500));
    s_apply (customer, payment);
    s_apply (customer, s_event (CHURN_CUSTOMER_DEMO, DAY + 1));
    s_apply (customer, s_complaint (DAY + 2, CHURN_MODEL_SEVERITY_CRITICAL));
    s_apply (customer,
             s_survey (DAY + 3, at + 3 * MS_PER_DAY, "s:2", CHURN_CUSTOMER_SURVEY_CSAT, 4));
    s_apply (customer, s_survey (DAY + 1, at + MS_PER_DAY, "s:1", CHURN_CUSTOMER_SURVEY_NPS, 6));
    s_apply (customer, s_owned (s_event (CHURN_CUSTOMER_DEMO, DAY + 1), at + MS_PER_DAY + 1, "o:9",
                                "rep", "tm", "eu"));
    return customer;
}

/* pack writes the layout; pack then unpack gives the same state; an
   empty state too. */
static void
test_round_trip (void **state)
{
    (void) state;
    churn_customer_t *customer = s_sample ();
    char packed[CHURN_CUSTOMER_PACKED_MAX];
    size_t length = s_pack (customer, packed);
    char expected[CHURN_CUSTOMER_PACKED_MAX];
    assert_int_equal (length, s_write (s_sample_fields, FIELDS, expected));
    assert_memory_equal (packed, expected, length);
    churn_customer_t *back = s_new ();
    assert_int_equal (churn_customer_unpack (back, packed, length), 0);
    char again[CHURN_CUSTOMER_PACKED_MAX];
    assert_int_equal (s_pack (back, again), length);
    assert_memory_equal (packed, again, length);
    assert_int_equal (churn_customer_answer (back, 0)->score, 4);
    assert_int_equal (churn_customer_money (back, 1)->paid_minor, 900);
    /* read into a new state: the same */
    bool valid = false;
    churn_customer_t *read = churn_customer_read (packed, length, &valid);
    assert_non_null (read);
    assert_true (valid);
    assert_int_equal (s_pack (read, again), length);
    assert_memory_equal (packed, again, length);
    churn_customer_destroy (&read);
    read = churn_customer_read (NULL, 0, &valid);
    assert_non_null (read);
    assert_true (valid);
    assert_int_equal (s_pack (read, again), 7);
    churn_customer_destroy (&read);
    const churn_customer_owner_t *owner = churn_customer_owner (back);
    assert_non_null (owner);
    assert_int_equal (owner->occurred_at, (int64_t) DAY * MS_PER_DAY + MS_PER_DAY + 1);
    assert_string_equal (owner->rep_id, "rep");
    assert_string_equal (owner->team_id, "tm");
    assert_string_equal (owner->region_id, "eu");
    /* too small a buffer: 0; just enough: the same bytes */
    assert_int_equal (churn_customer_pack (customer, again, length - 1), 0);
    assert_int_equal (churn_customer_pack (customer, NULL, 0), 0);
    memset (again, 0, sizeof again);
    assert_int_equal (churn_customer_pack (customer, again, length), length);
    assert_memory_equal (packed, again, length);
    /* length 0 and an empty state's bytes: an empty customer */
    assert_int_equal (churn_customer_unpack (back, NULL, 0), 0);
    assert_int_equal (churn_customer_money_count (back), 0);
    int64_t day = 0;
    assert_false (churn_customer_first_day (back, &day));
    assert_null (churn_customer_owner (back));
    length = s_pack (back, packed);
    assert_int_equal (length, 7);
    assert_int_equal (churn_customer_unpack (customer, packed, length), 0);
    assert_int_equal (churn_customer_answer_count (customer), 0);
    assert_null (churn_customer_owner (customer));
    /* an owner with the longest ids, and one naming a region only */
    char longest[CHURN_CUSTOMER_OWNER_MAX + 1];
    memset (longest, 'x', CHURN_CUSTOMER_OWNER_MAX);
    longest[CHURN_CUSTOMER_OWNER_MAX] = '\0';
    s_apply (back, s_owned (s_order (DAY, 1), 1, "o:1", longest, longest, longest));
    length = s_pack (back, packed);
    assert_int_equal (churn_customer_unpack (customer, packed, length), 0);
    assert_string_equal (churn_customer_owner (customer)->team_id, longest);
    assert_int_equal (s_pack (customer, again), length);
    assert_memory_equal (packed, again, length);
    s_apply (back, s_owned (s_order (DAY, 1), 2, "o:2", NULL, NULL, "emea"));
    length = s_pack (back, packed);
    assert_int_equal (churn_customer_unpack (customer, packed, length), 0);
    assert_string_equal (churn_customer_owner (customer)->rep_id, "");
    assert_string_equal (churn_customer_owner (customer)->region_id, "emea");
    /* the largest values round trip: saturated counts and sums, the last
       day, the latest time */
    churn_customer_t *large = s_new ();
    churn_customer_event_t order = s_order (CHURN_CUSTOMER_DAY_MAX, CHURN_CUSTOMER_AMOUNT_MAX);
    order.occurred_at = CHURN_CUSTOMER_TIME_MAX;
    order.rep_id = "r";
    for (int times = 0; times < 9300; times++)
        s_apply (large, order); /* the sum saturates at INT64_MAX */
    assert_int_equal (churn_customer_money (large, 0)->ordered_minor, INT64_MAX);
    length = s_pack (large, packed);
    assert_int_equal (churn_customer_unpack (customer, packed, length), 0);
    assert_int_equal (s_pack (customer, again), length);
    assert_memory_equal (packed, again, length);
    churn_customer_destroy (&large);
    churn_customer_destroy (&back);
    churn_customer_destroy (&customer);
}

/* A corruption of the sample: one field written otherwise. */
typedef struct {
    const char *what;
    size_t field;
    s_field_t value;
} s_corruption_t;

static const s_corruption_t s_corruptions[] = {
    { "kind", 0, B ('X') },
    { "version 1, without the owner", 1, B (1) },
    { "version 2, fixed widths", 1, B (2) },
    { "version 4", 1, B (4) },
    { "unknown flag", 2, B (15) },
    { "no owner flag, the owner's bytes after the end", 2, B (3) },
    { "no first day", 2, B (6) },
    { "first day after the earliest", 3, V (DAY + 1) },
    { "first day out of range", 3, V (CHURN_CUSTOMER_DAY_MAX + 1) },
    { "first day not in its shortest form", 3, R ("\x80\x80\x00") },
    { "first engagement before the first day", 4, V (DAY - 1) },
    { "first engagement after its day", 4, V (DAY + 2) },
    { "too many money days", 5, V (CHURN_CUSTOMER_MONEY_DAYS_MAX + 1) },
    { "money day out of range", 6, V (CHURN_CUSTOMER_DAY_MAX + 1) },
    { "money days not increasing", 13, V (0) },
    { "second money day out of range", 13, V (CHURN_CUSTOMER_DAY_MAX) },
    { "money day without events", 7, V (0) },
    { "orders beyond 32 bits", 7, V ((uint64_t) UINT32_MAX + 1) },
    { "amount without its count", 18, V (0) },
    { "amount beyond int64", 8, V ((uint64_t) INT64_MAX + 1) },
    { "varint beyond 64 bits", 8, R ("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02") },
    { "varint of 11 bytes", 8, R ("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01") },
    { "an amount not in its shortest form", 15, R ("\xf4\x83\x00") },
    { "returned without returns", 10, V (7) },
    { "too many engagement days", 20, V (CHURN_CUSTOMER_ENGAGEMENT_DAYS_MAX + 1) },
    { "engagement day without events", 24, V (0) },
    { "no engagement days with a first", 20, V (0) },
    { "too many complaint days", 25, V (CHURN_CUSTOMER_COMPLAINT_DAYS_MAX + 1) },
    { "complaint day without complaints", 30, V (0) },
    { "complaint day before the first day", 26, V (DAY - 1) },
    { "too many answers", 31, V (CHURN_CUSTOMER_SURVEYS_MAX + 1) },
    { "answer time 0", 32, V (0) },
    { "answer time out of range", 32, V (CHURN_CUSTOMER_TIME_MAX + 1) },
    { "answer day out of range", 33, V (CHURN_CUSTOMER_DAY_MAX + 1) },
    { "unknown scale", 34, B (3) },
    { "csat 6", 35, B (6) },
    { "nps 11", 40, B (11) },
    { "id with a space", 36, T ("s 2") },
    { "id length 0", 36, T ("") },
    { "answers out of order", 37, V ((int64_t) (DAY + 5) * MS_PER_DAY) },
    { "owner time 0", 42, V (0) },
    { "owner time out of range", 42, V (CHURN_CUSTOMER_TIME_MAX + 1) },
    { "owner rep not UTF-8", 43, T ("\xffp") },
    { "owner rep with a NUL", 43, R ("\x03r\x00p") },
    { "owner team of 65 bytes", 44,
      T ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") },
    { "owner region cut", 45,
      R ("\x03"
         "eu") },
    { "an id of 129 bytes", 36,
      T ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") },
};

/* The target's state is still before: refused reads leave it as it was. */
static void
s_unchanged (const churn_customer_t *target, const char *before, size_t before_length)
{
    char after[CHURN_CUSTOMER_PACKED_MAX];
    assert_int_equal (s_pack (target, after), before_length);
    assert_memory_equal (before, after, before_length);
}

/* Every corruption, every truncation and a trailing byte are refused,
   leaving the target as it was. */
static void
test_unpack_refusals (void **state)
{
    (void) state;
    churn_customer_t *customer = s_sample ();
    char packed[CHURN_CUSTOMER_PACKED_MAX];
    size_t length = s_pack (customer, packed);
    churn_customer_t *target = s_sample ();
    s_apply (target, s_event (CHURN_CUSTOMER_CALL, DAY + 9));
    char before[CHURN_CUSTOMER_PACKED_MAX];
    size_t before_length = s_pack (target, before);
    s_field_t fields[FIELDS];
    for (size_t index = 0; index < COUNT (s_corruptions); index++) {
        memcpy (fields, s_sample_fields, sizeof fields);
        fields[s_corruptions[index].field] = s_corruptions[index].value;
        char bad[CHURN_CUSTOMER_PACKED_MAX];
        size_t bad_length = s_write (fields, FIELDS, bad);
        if (churn_customer_unpack (target, bad, bad_length) != -1)
            fail_msg ("accepted: %s", s_corruptions[index].what);
        bool valid = true;
        if (churn_customer_read (bad, bad_length, &valid) != NULL || valid)
            fail_msg ("read: %s", s_corruptions[index].what);
        s_unchanged (target, before, before_length);
    }
    for (size_t cut = 1; cut < length; cut++) {
        assert_int_equal (churn_customer_unpack (target, packed, cut), -1);
        bool valid = true;
        assert_null (churn_customer_read (packed, cut, &valid));
        assert_false (valid);
    }
    /* an owner that names nobody: rep, team and region all empty */
    memcpy (fields, s_sample_fields, sizeof fields);
    fields[43] = (s_field_t) T ("");
    fields[44] = (s_field_t) T ("");
    fields[45] = (s_field_t) T ("");
    char other[CHURN_CUSTOMER_PACKED_MAX];
    size_t other_length = s_write (fields, FIELDS, other);
    assert_int_equal (churn_customer_unpack (target, other, other_length), -1);
    /* an owner in a state without events */
    const s_field_t lonely[] = { B ('H'), B (3),     B (4),     V (0),    V (0),   V (0),
                                 V (0),   V (AT_MS), T ("rep"), T ("tm"), T ("eu") };
    other_length = s_write (lonely, COUNT (lonely), other);
    assert_int_equal (churn_customer_unpack (target, other, other_length), -1);
    s_unchanged (target, before, before_length);
    /* the longest owner id, 64 bytes, is a state */
    memcpy (fields, s_sample_fields, sizeof fields);
    fields[43] = (s_field_t) T ("rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr");
    other_length = s_write (fields, FIELDS, other);
    assert_int_equal (churn_customer_unpack (target, other, other_length), 0);
    assert_int_equal (strlen (churn_customer_owner (target)->rep_id), CHURN_CUSTOMER_OWNER_MAX);
    churn_customer_destroy (&target);
    target = s_sample ();
    s_apply (target, s_event (CHURN_CUSTOMER_CALL, DAY + 9));
    packed[length] = 0;
    assert_int_equal (churn_customer_unpack (target, packed, length + 1), -1);
    s_unchanged (target, before, before_length);
    /* the sample itself is fine */
    assert_int_equal (churn_customer_unpack (target, packed, length), 0);
    churn_customer_destroy (&target);
    churn_customer_destroy (&customer);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_money_days),      cmocka_unit_test (test_engagement_and_complaints),
        cmocka_unit_test (test_surveys),         cmocka_unit_test (test_apply_refusals),
        cmocka_unit_test (test_owner),           cmocka_unit_test (test_order_independent),
        cmocka_unit_test (test_bounded_lists),   cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_unpack_refusals),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
