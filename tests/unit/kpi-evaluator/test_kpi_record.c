/*  test_kpi_record - the per opportunity, customer and visit plan state
    of kpi-evaluator (kpi_record): which of two touches is earlier, what
    each record contributes to the measures in every case of the rules
    (kpi_record.h), the cancellation list, and the binary form: round
    trips of every kind at the id length limits, and refusal of every
    malformed input (wrong kind or version, every truncation, trailing
    bytes, out-of-range bytes, negative counts).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kpi_record.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define HOUR_MS INT64_C (3600000)
#define DAY_MS (24 * HOUR_MS)
/* 2017-05-30T10:00:00Z */
#define T0 INT64_C (1496138400000)
/* Bytes of a packed record with nothing in it: kind, version, then
   opportunity: 3 presence bytes, 2 × (money kind + amount), count, stage
   presence, stage name length, value presence, money kind + amount;
   customer: 1 presence byte; plan: 2 counts, 1 presence byte. */
#define EMPTY_OPPORTUNITY_SIZE 36
#define EMPTY_CUSTOMER_SIZE 3
#define EMPTY_PLAN_SIZE 19
/* Offsets in an empty opportunity: first presence byte, won money kind,
   margin money kind, cancellation count, stage presence, stage name
   length, value presence, value money kind. */
#define OFFSET_LEAD_PRESENT 2
#define OFFSET_WON_CURRENCY 5
#define OFFSET_MARGIN_CURRENCY 14
#define OFFSET_CANCELLED_COUNT 23
#define OFFSET_STAGE_PRESENT 24
#define OFFSET_STAGE_NAME 25
#define OFFSET_VALUE_PRESENT 26
#define OFFSET_VALUE_CURRENCY 27
/* Offset of the first string's length byte of a present first touch
   (kind, version, presence, at). */
#define OFFSET_FIRST_STRING 11
/* Offset of a plan's presence byte. */
#define OFFSET_PLAN_PRESENT 18

/* ---------------------------------------------------------------- helpers */

/* A 128-byte id (the longest an event carries), NUL-terminated. */
static char s_long_id[KPI_RECORD_ID_SIZE];

static int
s_setup (void **state)
{
    (void) state;
    memset (s_long_id, 'L', KPI_RECORD_ID_SIZE - 1);
    s_long_id[KPI_RECORD_ID_SIZE - 1] = '\0';
    return 0;
}

/* Sum of the deltas of measure in out, and how many items carry it;
 *touch is the touch of the last one (NULL when none). */
static int64_t
s_delta (const kpi_record_contribution_t *out, kpi_measure_t measure, size_t *items,
         const kpi_record_touch_t **touch)
{
    int64_t sum = 0;
    *items = 0;
    *touch = NULL;
    for (size_t index = 0; index < out->count; index++)
        if (out->items[index].measure == measure) {
            sum += out->items[index].delta;
            (*items)++;
            *touch = out->items[index].touch;
        }
    return sum;
}

/* out holds measure exactly once, with delta, at touch. */
static void
s_has (const kpi_record_contribution_t *out, kpi_measure_t measure, int64_t delta,
       const kpi_record_touch_t *touch)
{
    size_t items;
    const kpi_record_touch_t *at;
    int64_t sum = s_delta (out, measure, &items, &at);
    if (items != 1)
        fail_msg ("measure %s: %zu items, expected 1", kpi_catalog_measure_name (measure), items);
    assert_int_equal (sum, delta);
    assert_ptr_equal (at, touch);
}

/* out does not hold measure. */
static void
s_lacks (const kpi_record_contribution_t *out, kpi_measure_t measure)
{
    size_t items;
    const kpi_record_touch_t *at;
    s_delta (out, measure, &items, &at);
    if (items != 0)
        fail_msg ("measure %s: present, expected absent", kpi_catalog_measure_name (measure));
}

static void
s_touch_equal (const kpi_record_touch_t *a, const kpi_record_touch_t *b)
{
    assert_int_equal (a->present, b->present);
    if (!a->present)
        return;
    assert_int_equal (a->at, b->at);
    assert_string_equal (a->event_id, b->event_id);
    assert_string_equal (a->rep, b->rep);
    assert_string_equal (a->team, b->team);
    assert_string_equal (a->region, b->region);
}

static void
s_opportunity_equal (const kpi_opportunity_t *a, const kpi_opportunity_t *b)
{
    s_touch_equal (&a->lead, &b->lead);
    s_touch_equal (&a->won, &b->won);
    s_touch_equal (&a->lost, &b->lost);
    assert_int_equal (a->won_currency, b->won_currency);
    assert_int_equal (a->won_amount, b->won_amount);
    assert_int_equal (a->margin_currency, b->margin_currency);
    assert_int_equal (a->margin, b->margin);
    assert_int_equal (a->cancelled_count, b->cancelled_count);
    for (size_t index = 0; index < a->cancelled_count; index++)
        assert_string_equal (a->cancelled[index], b->cancelled[index]);
    s_touch_equal (&a->stage, &b->stage);
    assert_string_equal (a->stage_name, b->stage_name);
    s_touch_equal (&a->value, &b->value);
    assert_int_equal (a->value_currency, b->value_currency);
    assert_int_equal (a->value_amount, b->value_amount);
}

/* An opportunity with a lead, and a win in the reporting currency. */
static kpi_opportunity_t
s_won_opportunity (int64_t amount, int64_t margin)
{
    kpi_opportunity_t record;
    memset (&record, 0, sizeof record);
    kpi_record_touch_set (&record.lead, T0, "lead-1", "rep-a", "team-a", "region-a");
    kpi_record_touch_set (&record.won, T0 + 48 * HOUR_MS, "won-1", "rep-b", "team-b", "region-b");
    record.won_currency = KPI_RECORD_MONEY_REPORTING;
    record.won_amount = amount;
    record.margin_currency = KPI_RECORD_MONEY_REPORTING;
    record.margin = margin;
    return record;
}

/* An opportunity of every field, at the limits: ids of 0 and 128 bytes,
   a negative margin, a full cancellation list. */
static kpi_opportunity_t
s_full_opportunity (void)
{
    kpi_opportunity_t record;
    memset (&record, 0, sizeof record);
    kpi_record_touch_set (&record.lead, INT64_MIN, s_long_id, "", s_long_id, "");
    kpi_record_touch_set (&record.won, -1, "w", s_long_id, "", s_long_id);
    kpi_record_touch_set (&record.lost, INT64_MAX, "", "", "", "");
    record.won_currency = KPI_RECORD_MONEY_REPORTING;
    record.won_amount = INT64_MAX;
    record.margin_currency = KPI_RECORD_MONEY_REPORTING;
    record.margin = -987654321;
    for (size_t index = 0; index < KPI_RECORD_CANCELLED_MAX; index++) {
        char id[KPI_RECORD_ID_SIZE];
        if (index == 0)
            snprintf (id, sizeof id, "%s", s_long_id);
        else if (index == 1)
            id[0] = '\0';
        else
            snprintf (id, sizeof id, "cancelled-%zu", index);
        assert_true (kpi_opportunity_cancel (&record, id));
    }
    assert_int_equal (record.cancelled_count, KPI_RECORD_CANCELLED_MAX);
    kpi_record_touch_set (&record.stage, 0, "s", "", "", s_long_id);
    memset (record.stage_name, 'S', KPI_RECORD_STAGE_SIZE - 1);
    record.stage_name[KPI_RECORD_STAGE_SIZE - 1] = '\0';
    kpi_record_touch_set (&record.value, 1, s_long_id, "v", "", "");
    record.value_currency = KPI_RECORD_MONEY_REPORTING;
    record.value_amount = -5;
    return record;
}

/* Unpacks length bytes as each kind: which ones accept them. */
typedef int (*s_unpack_fn) (const char *data, size_t length);

static int
s_unpack_opportunity (const char *data, size_t length)
{
    kpi_opportunity_t record;
    return kpi_opportunity_unpack (&record, data, length);
}

static int
s_unpack_customer (const char *data, size_t length)
{
    kpi_customer_t record;
    return kpi_customer_unpack (&record, data, length);
}

static int
s_unpack_plan (const char *data, size_t length)
{
    kpi_plan_t record;
    return kpi_plan_unpack (&record, data, length);
}

/* Every prefix of a valid packed record but the empty one (an empty
   record) and the whole is refused, and so is the whole with one more
   byte. */
static void
s_truncations_refused (const char *packed, size_t length, s_unpack_fn unpack)
{
    char copy[KPI_RECORD_PACKED_MAX + 1];
    assert_true (length < sizeof copy);
    memcpy (copy, packed, length);
    assert_int_equal (unpack (copy, length), 0);
    assert_int_equal (unpack (copy, 0), 0);
    for (size_t prefix = 1; prefix < length; prefix++)
        if (unpack (copy, prefix) != -1)
            fail_msg ("prefix of %zu of %zu bytes accepted", prefix, length);
    for (int trailing = 0; trailing < 256; trailing += 85) {
        copy[length] = (char) trailing;
        assert_int_equal (unpack (copy, length + 1), -1);
    }
}

/* ---------------------------------------------------------------- earlier */

static void
test_earlier (void **state)
{
    (void) state;
    kpi_record_touch_t touch;
    memset (&touch, 0, sizeof touch);
    /* an absent touch: anything is earlier */
    assert_true (kpi_record_earlier (INT64_MAX, "zzz", &touch));
    assert_true (kpi_record_earlier (T0, "", &touch));

    kpi_record_touch_set (&touch, T0, "e-5", "rep", NULL, NULL);
    assert_true (touch.present);
    assert_string_equal (touch.team, "");
    assert_string_equal (touch.region, "");
    /* time first */
    assert_true (kpi_record_earlier (T0 - 1, "e-9", &touch));
    assert_false (kpi_record_earlier (T0 + 1, "e-0", &touch));
    /* same time: the smaller event_id (byte order) */
    assert_true (kpi_record_earlier (T0, "e-4", &touch));
    assert_true (kpi_record_earlier (T0, "e-", &touch));
    assert_false (kpi_record_earlier (T0, "e-6", &touch));
    assert_false (kpi_record_earlier (T0, "e-50", &touch));
    assert_false (kpi_record_earlier (T0, "e-5", &touch)); /* itself is not earlier */
    assert_true (kpi_record_earlier (T0, "E-5", &touch));  /* 'E' < 'e' */
}

static void
test_touch_set_copies (void **state)
{
    (void) state;
    kpi_record_touch_t touch;
    memset (&touch, 0, sizeof touch);
    char event_id[KPI_RECORD_ID_SIZE];
    snprintf (event_id, sizeof event_id, "%s", s_long_id);
    kpi_record_touch_set (&touch, -5, event_id, s_long_id, "t", NULL);
    event_id[0] = 'X'; /* copied, not borrowed */
    assert_true (touch.present);
    assert_int_equal (touch.at, -5);
    assert_string_equal (touch.event_id, s_long_id);
    assert_string_equal (touch.rep, s_long_id);
    assert_string_equal (touch.team, "t");
    assert_string_equal (touch.region, "");
    /* set again: every field replaced */
    kpi_record_touch_set (&touch, 7, "e", NULL, NULL, "r");
    assert_int_equal (touch.at, 7);
    assert_string_equal (touch.event_id, "e");
    assert_string_equal (touch.rep, "");
    assert_string_equal (touch.team, "");
    assert_string_equal (touch.region, "r");
}

/* ---------------------------------------------------------------- opportunities */

static void
test_opportunity_empty_contributes_nothing (void **state)
{
    (void) state;
    kpi_opportunity_t record;
    memset (&record, 0, sizeof record);
    kpi_record_contribution_t out;
    out.count = 99;
    kpi_opportunity_contribution (&record, &out);
    assert_int_equal (out.count, 0);
}

static void
test_opportunity_lead_only (void **state)
{
    (void) state;
    kpi_opportunity_t record;
    memset (&record, 0, sizeof record);
    kpi_record_touch_set (&record.lead, T0, "lead-1", "rep-a", "", "");
    kpi_record_contribution_t out;
    kpi_opportunity_contribution (&record, &out);
    assert_int_equal (out.count, 1);
    s_has (&out, KPI_MEASURE_LEADS, 1, &record.lead);
}

static void
test_opportunity_lead_and_won_in_reporting_currency (void **state)
{
    (void) state;
    kpi_opportunity_t record = s_won_opportunity (250000, 60000);
    kpi_record_contribution_t out;
    kpi_opportunity_contribution (&record, &out);
    assert_int_equal (out.count, 5);
    /* leads and leads won by the lead's touch (its cohort) */
    s_has (&out, KPI_MEASURE_LEADS, 1, &record.lead);
    s_has (&out, KPI_MEASURE_LEADS_WON, 1, &record.lead);
    /* the deal, its amount and margin by the win's */
    s_has (&out, KPI_MEASURE_WON, 1, &record.won);
    s_has (&out, KPI_MEASURE_WON_AMOUNT, 250000, &record.won);
    s_has (&out, KPI_MEASURE_MARGIN, 60000, &record.won);
    s_lacks (&out, KPI_MEASURE_WON_OTHER_CURRENCY);
    s_lacks (&out, KPI_MEASURE_LOST);

    /* a negative margin is summed as it is */
    record.margin = -4000;
    kpi_opportunity_contribution (&record, &out);
    s_has (&out, KPI_MEASURE_MARGIN, -4000, &record.won);

    /* no amount given: the deal only */
    record.won_currency = KPI_RECORD_MONEY_NONE;
    record.margin_currency = KPI_RECORD_MONEY_NONE;
    kpi_opportunity_contribution (&record, &out);
    assert_int_equal (out.count, 3);
    s_has (&out, KPI_MEASURE_WON, 1, &record.won);
    s_lacks (&out, KPI_MEASURE_WON_AMOUNT);
    s_lacks (&out, KPI_MEASURE_WON_OTHER_CURRENCY);
    s_lacks (&out, KPI_MEASURE_MARGIN);
}

static void
test_opportunity_won_in_another_currency (void **state)
{
    (void) state;
    kpi_opportunity_t record = s_won_opportunity (0, 0);
    record.won_currency = KPI_RECORD_MONEY_OTHER;
    record.margin_currency = KPI_RECORD_MONEY_OTHER;
    kpi_record_contribution_t out;
    kpi_opportunity_contribution (&record, &out);
    assert_int_equal (out.count, 4);
    s_has (&out, KPI_MEASURE_LEADS, 1, &record.lead);
    s_has (&out, KPI_MEASURE_LEADS_WON, 1, &record.lead);
    s_has (&out, KPI_MEASURE_WON, 1, &record.won);
    s_has (&out, KPI_MEASURE_WON_OTHER_CURRENCY, 1, &record.won);
    s_lacks (&out, KPI_MEASURE_WON_AMOUNT);
    s_lacks (&out, KPI_MEASURE_MARGIN);
}

static void
test_opportunity_lost_only (void **state)
{
    (void) state;
    kpi_opportunity_t record;
    memset (&record, 0, sizeof record);
    kpi_record_touch_set (&record.lost, T0, "lost-1", "rep-a", "", "");
    kpi_record_contribution_t out;
    kpi_opportunity_contribution (&record, &out);
    assert_int_equal (out.count, 1);
    s_has (&out, KPI_MEASURE_LOST, 1, &record.lost);

    /* with its lead: a lead, not won */
    kpi_record_touch_set (&record.lead, T0 - HOUR_MS, "lead-1", "rep-a", "", "");
    kpi_opportunity_contribution (&record, &out);
    assert_int_equal (out.count, 2);
    s_has (&out, KPI_MEASURE_LEADS, 1, &record.lead);
    s_has (&out, KPI_MEASURE_LOST, 1, &record.lost);
    s_lacks (&out, KPI_MEASURE_LEADS_WON);
}

/* Won and lost: the earlier is the outcome; a tie goes to the smaller
   event_id. */
static void
test_opportunity_won_and_lost (void **state)
{
    (void) state;
    kpi_record_contribution_t out;

    /* won first */
    kpi_opportunity_t record = s_won_opportunity (1000, 100);
    kpi_record_touch_set (&record.lost, record.won.at + 1, "lost-1", "rep-c", "", "");
    kpi_opportunity_contribution (&record, &out);
    s_has (&out, KPI_MEASURE_WON, 1, &record.won);
    s_has (&out, KPI_MEASURE_LEADS_WON, 1, &record.lead);
    s_lacks (&out, KPI_MEASURE_LOST);

    /* lost first */
    kpi_record_touch_set (&record.lost, record.won.at - 1, "lost-1", "rep-c", "", "");
    kpi_opportunity_contribution (&record, &out);
    assert_int_equal (out.count, 2);
    s_has (&out, KPI_MEASURE_LEADS, 1, &record.lead);
    s_has (&out, KPI_MEASURE_LOST, 1, &record.lost);
    s_lacks (&out, KPI_MEASURE_WON);
    s_lacks (&out, KPI_MEASURE_LEADS_WON);
    s_lacks (&out, KPI_MEASURE_WON_AMOUNT);
    s_lacks (&out, KPI_MEASURE_MARGIN);

    /* the same instant: "lost-1" < "won-1", the loss */
    kpi_record_touch_set (&record.lost, record.won.at, "lost-1", "rep-c", "", "");
    kpi_opportunity_contribution (&record, &out);
    s_has (&out, KPI_MEASURE_LOST, 1, &record.lost);
    s_lacks (&out, KPI_MEASURE_WON);

    /* the same instant: "x-lost" > "won-1", the win */
    kpi_record_touch_set (&record.lost, record.won.at, "x-lost", "rep-c", "", "");
    kpi_opportunity_contribution (&record, &out);
    s_has (&out, KPI_MEASURE_WON, 1, &record.won);
    s_lacks (&out, KPI_MEASURE_LOST);
}

static void
test_opportunity_cancellation (void **state)
{
    (void) state;
    kpi_record_contribution_t out;
    kpi_opportunity_t record = s_won_opportunity (1000, 100);

    /* the cancellation of another won event: no effect */
    assert_true (kpi_opportunity_cancel (&record, "won-0"));
    assert_int_equal (record.cancelled_count, 1);
    kpi_opportunity_contribution (&record, &out);
    assert_int_equal (out.count, 5);
    s_has (&out, KPI_MEASURE_WON, 1, &record.won);

    /* of the win: only the lead is left */
    assert_true (kpi_opportunity_cancel (&record, "won-1"));
    assert_int_equal (record.cancelled_count, 2);
    kpi_opportunity_contribution (&record, &out);
    assert_int_equal (out.count, 1);
    s_has (&out, KPI_MEASURE_LEADS, 1, &record.lead);

    /* again: kept once */
    assert_true (kpi_opportunity_cancel (&record, "won-1"));
    assert_int_equal (record.cancelled_count, 2);

    /* a cancellation that came before its win still takes it back */
    kpi_opportunity_t early;
    memset (&early, 0, sizeof early);
    assert_true (kpi_opportunity_cancel (&early, "won-1"));
    kpi_opportunity_contribution (&early, &out);
    assert_int_equal (out.count, 0);
    kpi_record_touch_set (&early.won, T0, "won-1", "rep-a", "", "");
    kpi_opportunity_contribution (&early, &out);
    assert_int_equal (out.count, 0);
}

static void
test_opportunity_cancellation_list_full (void **state)
{
    (void) state;
    kpi_opportunity_t record = s_won_opportunity (1000, 100);
    char id[KPI_RECORD_ID_SIZE];
    for (size_t index = 0; index < KPI_RECORD_CANCELLED_MAX; index++) {
        snprintf (id, sizeof id, "other-%zu", index);
        assert_true (kpi_opportunity_cancel (&record, id));
    }
    assert_int_equal (record.cancelled_count, KPI_RECORD_CANCELLED_MAX);
    /* full: a new one is not kept */
    assert_false (kpi_opportunity_cancel (&record, "won-1"));
    assert_int_equal (record.cancelled_count, KPI_RECORD_CANCELLED_MAX);
    kpi_record_contribution_t out;
    kpi_opportunity_contribution (&record, &out);
    s_has (&out, KPI_MEASURE_WON, 1, &record.won);
    /* one already there: still true */
    assert_true (kpi_opportunity_cancel (&record, "other-3"));
    assert_int_equal (record.cancelled_count, KPI_RECORD_CANCELLED_MAX);
}

/* Open: no outcome, and a lead or a stage change to own it; the stage
   is the latest change's, the value the latest estimate or quote. */
static void
test_opportunity_open (void **state)
{
    (void) state;
    kpi_opportunity_t record;
    memset (&record, 0, sizeof record);
    kpi_record_open_t open;
    memset (&open, 0, sizeof open);
    assert_false (kpi_opportunity_open (&record, &open)); /* nothing to own it */
    assert_null (open.owner);

    /* a lead: open in stage "", no value */
    kpi_record_touch_set (&record.lead, T0, "lead-1", "rep-a", "", "");
    assert_true (kpi_opportunity_open (&record, &open));
    assert_ptr_equal (open.owner, &record.lead);
    assert_string_equal (open.stage, "");
    assert_int_equal (open.currency, KPI_RECORD_MONEY_NONE);
    assert_int_equal (open.value, 0);

    /* valued in the reporting currency, then in another */
    kpi_record_touch_set (&record.value, T0, "lead-1", "rep-a", "", "");
    record.value_currency = KPI_RECORD_MONEY_REPORTING;
    record.value_amount = 125000;
    assert_true (kpi_opportunity_open (&record, &open));
    assert_int_equal (open.currency, KPI_RECORD_MONEY_REPORTING);
    assert_int_equal (open.value, 125000);
    record.value_currency = KPI_RECORD_MONEY_OTHER;
    assert_true (kpi_opportunity_open (&record, &open));
    assert_int_equal (open.currency, KPI_RECORD_MONEY_OTHER);
    assert_int_equal (open.value, 0);
    /* a money kind without a value touch is no value */
    record.value.present = false;
    assert_true (kpi_opportunity_open (&record, &open));
    assert_int_equal (open.currency, KPI_RECORD_MONEY_NONE);

    /* a stage change owns it, with its stage */
    kpi_record_touch_set (&record.stage, T0 + HOUR_MS, "stage-1", "rep-b", "", "");
    snprintf (record.stage_name, sizeof record.stage_name, "%s", "proposal");
    assert_true (kpi_opportunity_open (&record, &open));
    assert_ptr_equal (open.owner, &record.stage);
    assert_string_equal (open.stage, "proposal");
    /* without its lead too */
    record.lead.present = false;
    assert_true (kpi_opportunity_open (&record, &open));
    assert_ptr_equal (open.owner, &record.stage);

    /* an outcome closes it */
    kpi_opportunity_t lost = record;
    kpi_record_touch_set (&lost.lost, T0 + DAY_MS, "lost-1", "rep-b", "", "");
    assert_false (kpi_opportunity_open (&lost, &open));
    kpi_opportunity_t won = record;
    kpi_record_touch_set (&won.won, T0 + DAY_MS, "won-1", "rep-b", "", "");
    assert_false (kpi_opportunity_open (&won, &open));
}

/* ---------------------------------------------------------------- customers, plans */

static void
test_customer_contribution (void **state)
{
    (void) state;
    kpi_customer_t record;
    memset (&record, 0, sizeof record);
    kpi_record_contribution_t out;
    kpi_customer_contribution (&record, &out);
    assert_int_equal (out.count, 0);
    kpi_record_touch_set (&record.first_won, T0, "won-1", "rep-a", "team-a", "region-a");
    kpi_customer_contribution (&record, &out);
    assert_int_equal (out.count, 1);
    s_has (&out, KPI_MEASURE_NEW_CUSTOMERS, 1, &record.first_won);
}

static void
test_plan_contribution (void **state)
{
    (void) state;
    kpi_plan_t record;
    memset (&record, 0, sizeof record);
    kpi_record_contribution_t out;

    /* no plan: completed visits alone count nothing here */
    record.completed = 2;
    kpi_plan_contribution (&record, &out);
    assert_int_equal (out.count, 0);

    kpi_record_touch_set (&record.plan, T0, "plan-1", "rep-a", "", "");
    /* planned 2, completed 1 */
    record.planned = 2;
    record.completed = 1;
    kpi_plan_contribution (&record, &out);
    assert_int_equal (out.count, 2);
    s_has (&out, KPI_MEASURE_VISITS_PLANNED, 2, &record.plan);
    s_has (&out, KPI_MEASURE_PLANNED_DONE, 1, &record.plan);

    /* completed 3, planned 1: done is at most planned */
    record.planned = 1;
    record.completed = 3;
    kpi_plan_contribution (&record, &out);
    assert_int_equal (out.count, 2);
    s_has (&out, KPI_MEASURE_VISITS_PLANNED, 1, &record.plan);
    s_has (&out, KPI_MEASURE_PLANNED_DONE, 1, &record.plan);

    /* planned 2, none completed */
    record.planned = 2;
    record.completed = 0;
    kpi_plan_contribution (&record, &out);
    assert_int_equal (out.count, 1);
    s_has (&out, KPI_MEASURE_VISITS_PLANNED, 2, &record.plan);
    s_lacks (&out, KPI_MEASURE_PLANNED_DONE);

    /* planned 2, completed 2 */
    record.completed = 2;
    kpi_plan_contribution (&record, &out);
    s_has (&out, KPI_MEASURE_PLANNED_DONE, 2, &record.plan);
}

/* ---------------------------------------------------------------- binary form */

static void
test_opportunity_round_trip (void **state)
{
    (void) state;
    char packed[KPI_RECORD_PACKED_MAX];

    /* empty */
    kpi_opportunity_t empty, back;
    memset (&empty, 0, sizeof empty);
    assert_int_equal (kpi_opportunity_pack (&empty, packed, sizeof packed), EMPTY_OPPORTUNITY_SIZE);
    assert_int_equal (packed[0], 'o');
    assert_int_equal (packed[1], 2); /* the record format version */
    memset (&back, 0x5a, sizeof back);
    assert_int_equal (kpi_opportunity_unpack (&back, packed, EMPTY_OPPORTUNITY_SIZE), 0);
    s_opportunity_equal (&back, &empty);

    /* every field at its limits */
    kpi_opportunity_t full = s_full_opportunity ();
    size_t length = kpi_opportunity_pack (&full, packed, sizeof packed);
    assert_true (length > EMPTY_OPPORTUNITY_SIZE);
    assert_true (length <= KPI_RECORD_PACKED_MAX);
    memset (&back, 0x5a, sizeof back);
    assert_int_equal (kpi_opportunity_unpack (&back, packed, length), 0);
    s_opportunity_equal (&back, &full);
    assert_string_equal (back.lead.event_id, s_long_id);
    assert_string_equal (back.won.event_id, "w");
    assert_string_equal (back.lost.event_id, "");
    assert_int_equal (back.lead.at, INT64_MIN);
    assert_int_equal (back.won.at, -1);
    assert_int_equal (back.margin, -987654321);
    assert_int_equal (back.won_amount, INT64_MAX);
    assert_string_equal (back.cancelled[0], s_long_id);
    assert_string_equal (back.cancelled[1], "");
    /* the same contribution */
    kpi_record_contribution_t a, b;
    kpi_opportunity_contribution (&full, &a);
    kpi_opportunity_contribution (&back, &b);
    assert_int_equal (a.count, b.count);
    for (size_t index = 0; index < a.count; index++) {
        assert_int_equal (a.items[index].measure, b.items[index].measure);
        assert_int_equal (a.items[index].delta, b.items[index].delta);
    }
    /* packed again: the same bytes */
    char again[KPI_RECORD_PACKED_MAX];
    assert_int_equal (kpi_opportunity_pack (&back, again, sizeof again), length);
    assert_memory_equal (again, packed, length);

    /* other currency, negative amounts */
    kpi_opportunity_t other = s_won_opportunity (-1, INT64_MIN);
    other.won_currency = KPI_RECORD_MONEY_OTHER;
    length = kpi_opportunity_pack (&other, packed, sizeof packed);
    assert_true (length > 0);
    assert_int_equal (kpi_opportunity_unpack (&back, packed, length), 0);
    s_opportunity_equal (&back, &other);
}

static void
test_customer_and_plan_round_trip (void **state)
{
    (void) state;
    char packed[KPI_RECORD_PACKED_MAX];

    kpi_customer_t customer, customer_back;
    memset (&customer, 0, sizeof customer);
    assert_int_equal (kpi_customer_pack (&customer, packed, sizeof packed), EMPTY_CUSTOMER_SIZE);
    assert_int_equal (packed[0], 'c');
    assert_int_equal (kpi_customer_unpack (&customer_back, packed, EMPTY_CUSTOMER_SIZE), 0);
    s_touch_equal (&customer_back.first_won, &customer.first_won);
    kpi_record_touch_set (&customer.first_won, INT64_MAX, s_long_id, s_long_id, "", s_long_id);
    size_t length = kpi_customer_pack (&customer, packed, sizeof packed);
    assert_int_equal (length, EMPTY_CUSTOMER_SIZE + 8 + 4 + 3 * (KPI_RECORD_ID_SIZE - 1));
    memset (&customer_back, 0x5a, sizeof customer_back);
    assert_int_equal (kpi_customer_unpack (&customer_back, packed, length), 0);
    s_touch_equal (&customer_back.first_won, &customer.first_won);

    kpi_plan_t plan, plan_back;
    memset (&plan, 0, sizeof plan);
    assert_int_equal (kpi_plan_pack (&plan, packed, sizeof packed), EMPTY_PLAN_SIZE);
    assert_int_equal (packed[0], 'v');
    assert_int_equal (kpi_plan_unpack (&plan_back, packed, EMPTY_PLAN_SIZE), 0);
    assert_int_equal (plan_back.planned, 0);
    assert_int_equal (plan_back.completed, 0);
    assert_false (plan_back.plan.present);
    plan.planned = 3;
    plan.completed = INT64_MAX;
    kpi_record_touch_set (&plan.plan, T0, "", s_long_id, "team", "");
    length = kpi_plan_pack (&plan, packed, sizeof packed);
    assert_true (length > EMPTY_PLAN_SIZE);
    memset (&plan_back, 0x5a, sizeof plan_back);
    assert_int_equal (kpi_plan_unpack (&plan_back, packed, length), 0);
    assert_int_equal (plan_back.planned, 3);
    assert_int_equal (plan_back.completed, INT64_MAX);
    s_touch_equal (&plan_back.plan, &plan.plan);
}

static void
test_unpack_of_nothing_is_an_empty_record (void **state)
{
    (void) state;
    kpi_opportunity_t opportunity = s_full_opportunity ();
    assert_int_equal (kpi_opportunity_unpack (&opportunity, "", 0), 0);
    kpi_opportunity_t empty;
    memset (&empty, 0, sizeof empty);
    s_opportunity_equal (&opportunity, &empty);

    kpi_customer_t customer;
    kpi_record_touch_set (&customer.first_won, T0, "e", "r", "t", "g");
    assert_int_equal (kpi_customer_unpack (&customer, "", 0), 0);
    assert_false (customer.first_won.present);

    kpi_plan_t plan;
    plan.planned = 4;
    plan.completed = 5;
    kpi_record_touch_set (&plan.plan, T0, "e", "r", "t", "g");
    assert_int_equal (kpi_plan_unpack (&plan, "", 0), 0);
    assert_int_equal (plan.planned, 0);
    assert_int_equal (plan.completed, 0);
    assert_false (plan.plan.present);
}

/* A record of one kind is not one of another, nor of another version. */
static void
test_unpack_refuses_wrong_kind_and_version (void **state)
{
    (void) state;
    char opportunity[KPI_RECORD_PACKED_MAX], customer[KPI_RECORD_PACKED_MAX],
        plan[KPI_RECORD_PACKED_MAX];
    kpi_opportunity_t o = s_won_opportunity (1, 1);
    kpi_customer_t c;
    memset (&c, 0, sizeof c);
    kpi_plan_t p;
    memset (&p, 0, sizeof p);
    size_t o_length = kpi_opportunity_pack (&o, opportunity, sizeof opportunity);
    size_t c_length = kpi_customer_pack (&c, customer, sizeof customer);
    size_t p_length = kpi_plan_pack (&p, plan, sizeof plan);
    assert_true (o_length > 0 && c_length > 0 && p_length > 0);

    assert_int_equal (s_unpack_opportunity (opportunity, o_length), 0);
    assert_int_equal (s_unpack_customer (opportunity, o_length), -1);
    assert_int_equal (s_unpack_plan (opportunity, o_length), -1);
    assert_int_equal (s_unpack_opportunity (customer, c_length), -1);
    assert_int_equal (s_unpack_customer (customer, c_length), 0);
    assert_int_equal (s_unpack_plan (customer, c_length), -1);
    assert_int_equal (s_unpack_opportunity (plan, p_length), -1);
    assert_int_equal (s_unpack_customer (plan, p_length), -1);
    assert_int_equal (s_unpack_plan (plan, p_length), 0);

    /* kind bytes that are no kind, versions other than 2 */
    const struct {
        char *data;
        size_t length;
        s_unpack_fn unpack;
    } kinds[] = { { opportunity, o_length, s_unpack_opportunity },
                  { customer, c_length, s_unpack_customer },
                  { plan, p_length, s_unpack_plan } };
    for (size_t index = 0; index < COUNT (kinds); index++) {
        char *data = kinds[index].data;
        char kind = data[0];
        const char bad_kinds[] = { 0, 'O', 'x', (char) 0xff };
        for (size_t bad = 0; bad < sizeof bad_kinds; bad++) {
            data[0] = bad_kinds[bad];
            assert_int_equal (kinds[index].unpack (data, kinds[index].length), -1);
        }
        data[0] = kind;
        const char bad_versions[] = { 0, 1, 3, (char) 0xff };
        for (size_t bad = 0; bad < sizeof bad_versions; bad++) {
            data[1] = bad_versions[bad];
            assert_int_equal (kinds[index].unpack (data, kinds[index].length), -1);
        }
        data[1] = 2;
        assert_int_equal (kinds[index].unpack (data, kinds[index].length), 0);
        /* text that is not a record at all */
        assert_int_equal (kinds[index].unpack ("garbage", 7), -1);
        assert_int_equal (kinds[index].unpack ("o", 1), -1);
    }
}

/* Every truncation of a valid record, and trailing bytes, are refused. */
static void
test_unpack_refuses_truncation_and_trailing_bytes (void **state)
{
    (void) state;
    char packed[KPI_RECORD_PACKED_MAX];

    kpi_opportunity_t full = s_full_opportunity ();
    size_t length = kpi_opportunity_pack (&full, packed, sizeof packed);
    assert_true (length > 0);
    s_truncations_refused (packed, length, s_unpack_opportunity);
    kpi_opportunity_t empty_opportunity;
    memset (&empty_opportunity, 0, sizeof empty_opportunity);
    length = kpi_opportunity_pack (&empty_opportunity, packed, sizeof packed);
    s_truncations_refused (packed, length, s_unpack_opportunity);

    kpi_customer_t customer;
    memset (&customer, 0, sizeof customer);
    length = kpi_customer_pack (&customer, packed, sizeof packed);
    s_truncations_refused (packed, length, s_unpack_customer);
    kpi_record_touch_set (&customer.first_won, T0, s_long_id, "", "t", s_long_id);
    length = kpi_customer_pack (&customer, packed, sizeof packed);
    s_truncations_refused (packed, length, s_unpack_customer);

    kpi_plan_t plan;
    memset (&plan, 0, sizeof plan);
    length = kpi_plan_pack (&plan, packed, sizeof packed);
    s_truncations_refused (packed, length, s_unpack_plan);
    plan.planned = 2;
    plan.completed = 1;
    kpi_record_touch_set (&plan.plan, T0, "p", s_long_id, "", "");
    length = kpi_plan_pack (&plan, packed, sizeof packed);
    s_truncations_refused (packed, length, s_unpack_plan);
}

/* Bytes out of range: a string longer than 128 bytes, a presence byte
   other than 0 or 1, a money kind other than 0..2, more cancellations
   than kept, negative plan counts. */
static void
test_unpack_refuses_bytes_out_of_range (void **state)
{
    (void) state;
    char packed[KPI_RECORD_PACKED_MAX];

    /* a string length byte of 129 (the 128-byte id's byte is 128) */
    kpi_opportunity_t full = s_full_opportunity ();
    size_t length = kpi_opportunity_pack (&full, packed, sizeof packed);
    assert_int_equal ((uint8_t) packed[OFFSET_FIRST_STRING], KPI_RECORD_ID_SIZE - 1);
    for (int bad = KPI_RECORD_ID_SIZE; bad < 256; bad += 63) {
        packed[OFFSET_FIRST_STRING] = (char) bad;
        assert_int_equal (s_unpack_opportunity (packed, length), -1);
    }
    packed[OFFSET_FIRST_STRING] = (char) (KPI_RECORD_ID_SIZE - 1);
    assert_int_equal (s_unpack_opportunity (packed, length), 0);

    kpi_customer_t customer;
    memset (&customer, 0, sizeof customer);
    kpi_record_touch_set (&customer.first_won, T0, s_long_id, "", "", "");
    length = kpi_customer_pack (&customer, packed, sizeof packed);
    packed[OFFSET_FIRST_STRING] = (char) KPI_RECORD_ID_SIZE; /* the same place */
    assert_int_equal (s_unpack_customer (packed, length), -1);

    /* presence bytes of 2 and 255 */
    kpi_opportunity_t empty;
    memset (&empty, 0, sizeof empty);
    length = kpi_opportunity_pack (&empty, packed, sizeof packed);
    const size_t presences[] = { OFFSET_LEAD_PRESENT, OFFSET_LEAD_PRESENT + 1,
                                 OFFSET_LEAD_PRESENT + 2, OFFSET_STAGE_PRESENT,
                                 OFFSET_VALUE_PRESENT };
    for (size_t touch = 0; touch < COUNT (presences); touch++)
        for (int bad = 2; bad < 256; bad += 253) {
            char copy[KPI_RECORD_PACKED_MAX];
            memcpy (copy, packed, length);
            copy[presences[touch]] = (char) bad;
            assert_int_equal (s_unpack_opportunity (copy, length), -1);
        }
    memset (&customer, 0, sizeof customer);
    length = kpi_customer_pack (&customer, packed, sizeof packed);
    packed[OFFSET_LEAD_PRESENT] = 2;
    assert_int_equal (s_unpack_customer (packed, length), -1);
    kpi_plan_t plan;
    memset (&plan, 0, sizeof plan);
    length = kpi_plan_pack (&plan, packed, sizeof packed);
    packed[OFFSET_PLAN_PRESENT] = 2;
    assert_int_equal (s_unpack_plan (packed, length), -1);

    /* money kinds: 0..2 read, 3 and more refused */
    length = kpi_opportunity_pack (&empty, packed, sizeof packed);
    const size_t offsets[] = { OFFSET_WON_CURRENCY, OFFSET_MARGIN_CURRENCY, OFFSET_VALUE_CURRENCY };
    for (size_t index = 0; index < COUNT (offsets); index++) {
        char copy[KPI_RECORD_PACKED_MAX];
        memcpy (copy, packed, length);
        for (int kind = 0; kind <= KPI_RECORD_MONEY_OTHER; kind++) {
            copy[offsets[index]] = (char) kind;
            assert_int_equal (s_unpack_opportunity (copy, length), 0);
        }
        copy[offsets[index]] = 3;
        assert_int_equal (s_unpack_opportunity (copy, length), -1);
        copy[offsets[index]] = (char) 0xff;
        assert_int_equal (s_unpack_opportunity (copy, length), -1);
    }

    /* a cancellation count beyond the list (with the bytes to read) */
    assert_int_equal ((uint8_t) packed[OFFSET_CANCELLED_COUNT], 0);
    for (size_t cancelled = KPI_RECORD_CANCELLED_MAX; cancelled <= KPI_RECORD_CANCELLED_MAX + 1;
         cancelled++) {
        /* the empty record with cancelled one-byte ids after the count */
        char many[KPI_RECORD_PACKED_MAX];
        size_t head = OFFSET_CANCELLED_COUNT + 1;
        memcpy (many, packed, head);
        many[OFFSET_CANCELLED_COUNT] = (char) cancelled;
        size_t many_length = head;
        for (size_t index = 0; index < cancelled; index++) {
            many[many_length++] = 1;
            many[many_length++] = (char) ('a' + index);
        }
        memcpy (many + many_length, packed + head, length - head);
        many_length += length - head;
        assert_int_equal (s_unpack_opportunity (many, many_length),
                          cancelled <= KPI_RECORD_CANCELLED_MAX ? 0 : -1);
    }

    /* a stage name longer than a name may be */
    char copy[KPI_RECORD_PACKED_MAX];
    memcpy (copy, packed, length);
    assert_int_equal ((uint8_t) copy[OFFSET_STAGE_NAME], 0);
    copy[OFFSET_STAGE_NAME] = (char) KPI_RECORD_STAGE_SIZE;
    assert_int_equal (s_unpack_opportunity (copy, length), -1);

    /* negative plan counts */
    plan.planned = -1;
    length = kpi_plan_pack (&plan, packed, sizeof packed);
    assert_true (length > 0);
    assert_int_equal (s_unpack_plan (packed, length), -1);
    plan.planned = 1;
    plan.completed = INT64_MIN;
    length = kpi_plan_pack (&plan, packed, sizeof packed);
    assert_int_equal (s_unpack_plan (packed, length), -1);
    plan.completed = 0;
    length = kpi_plan_pack (&plan, packed, sizeof packed);
    assert_int_equal (s_unpack_plan (packed, length), 0);
}

/* Every buffer shorter than the record: 0; exactly its size: its length. */
static void
test_pack_into_a_small_buffer (void **state)
{
    (void) state;
    char packed[KPI_RECORD_PACKED_MAX];
    char small[KPI_RECORD_PACKED_MAX];

    kpi_opportunity_t full = s_full_opportunity ();
    size_t length = kpi_opportunity_pack (&full, packed, sizeof packed);
    assert_true (length > 0);
    for (size_t size = 0; size < length; size++)
        if (kpi_opportunity_pack (&full, small, size) != 0)
            fail_msg ("opportunity of %zu bytes packed into %zu", length, size);
    assert_int_equal (kpi_opportunity_pack (&full, small, length), length);
    assert_memory_equal (small, packed, length);

    kpi_customer_t customer;
    memset (&customer, 0, sizeof customer);
    kpi_record_touch_set (&customer.first_won, T0, "e", "r", "", "");
    length = kpi_customer_pack (&customer, packed, sizeof packed);
    for (size_t size = 0; size < length; size++)
        assert_int_equal (kpi_customer_pack (&customer, small, size), 0);
    assert_int_equal (kpi_customer_pack (&customer, small, length), length);

    kpi_plan_t plan;
    memset (&plan, 0, sizeof plan);
    plan.planned = 1;
    kpi_record_touch_set (&plan.plan, T0, "e", "r", "", "");
    length = kpi_plan_pack (&plan, packed, sizeof packed);
    for (size_t size = 0; size < length; size++)
        assert_int_equal (kpi_plan_pack (&plan, small, size), 0);
    assert_int_equal (kpi_plan_pack (&plan, small, length), length);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_earlier),
        cmocka_unit_test (test_touch_set_copies),
        cmocka_unit_test (test_opportunity_empty_contributes_nothing),
        cmocka_unit_test (test_opportunity_lead_only),
        cmocka_unit_test (test_opportunity_lead_and_won_in_reporting_currency),
        cmocka_unit_test (test_opportunity_won_in_another_currency),
        cmocka_unit_test (test_opportunity_lost_only),
        cmocka_unit_test (test_opportunity_won_and_lost),
        cmocka_unit_test (test_opportunity_cancellation),
        cmocka_unit_test (test_opportunity_cancellation_list_full),
        cmocka_unit_test (test_opportunity_open),
        cmocka_unit_test (test_customer_contribution),
        cmocka_unit_test (test_plan_contribution),
        cmocka_unit_test (test_opportunity_round_trip),
        cmocka_unit_test (test_customer_and_plan_round_trip),
        cmocka_unit_test (test_unpack_of_nothing_is_an_empty_record),
        cmocka_unit_test (test_unpack_refuses_wrong_kind_and_version),
        cmocka_unit_test (test_unpack_refuses_truncation_and_trailing_bytes),
        cmocka_unit_test (test_unpack_refuses_bytes_out_of_range),
        cmocka_unit_test (test_pack_into_a_small_buffer),
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
