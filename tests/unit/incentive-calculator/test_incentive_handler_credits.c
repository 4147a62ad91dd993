/*  test_incentive_handler_credits - the credit records of a deal_won
    event (incentive_handler_credits, the handler's pure part).

    Events are built in the test from the generated protobuf-c structs
    (nothing packed or unpacked). Figures are worked out by hand next to
    each check: splits share the amount and the margin by the largest
    remainder, ties to the smaller rep id, never creating or losing a
    minor unit; without splits rep_id gets 100 %. Refusals name the field
    and leave the credits untouched.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "event.pb-c.h"
#include "incentive_handler.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define FILL 0x5a                           /* pattern of an output before a call that must fail */
#define JAN_10_2025 INT64_C (1736467200000) /* 2025-01-10T00:00:00Z */
#define ERROR_SIZE 256

/* A deal_won event with its body, money and up to 17 splits, all on the
   stack of the test. */
typedef struct {
    Salespulse__SalesEvent event;
    Salespulse__DealWon won;
    Salespulse__Money amount;
    Salespulse__Money margin;
    Salespulse__CreditSplit split_items[INCENTIVE_CREDIT_SPLITS_MAX + 1];
    Salespulse__CreditSplit *splits[INCENTIVE_CREDIT_SPLITS_MAX + 1];
} s_deal_t;

/* A deal_won of amount_minor USD by rep-owner on opp-1 for cust-1, no
   margin, no splits. */
static void
s_deal (s_deal_t *deal, int64_t amount_minor)
{
    memset (deal, 0, sizeof *deal);
    salespulse__sales_event__init (&deal->event);
    salespulse__deal_won__init (&deal->won);
    salespulse__money__init (&deal->amount);
    salespulse__money__init (&deal->margin);
    deal->event.event_id = (char *) "evt-won-1";
    deal->event.source = (char *) "crm";
    deal->event.type = SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON;
    deal->event.occurred_at = JAN_10_2025;
    deal->event.rep_id = (char *) "rep-owner";
    deal->event.customer_id = (char *) "cust-1";
    deal->event.opportunity_id = (char *) "opp-1";
    deal->event.body_case = SALESPULSE__SALES_EVENT__BODY_DEAL_WON;
    deal->event.deal_won = &deal->won;
    deal->amount.amount_minor = amount_minor;
    deal->amount.currency = (char *) "USD";
    deal->won.amount = &deal->amount;
}

static void
s_margin (s_deal_t *deal, int64_t margin_minor)
{
    deal->margin.amount_minor = margin_minor;
    deal->margin.currency = (char *) "USD";
    deal->won.margin = &deal->margin;
}

static void
s_split (s_deal_t *deal, const char *rep_id, uint32_t share_bp)
{
    size_t index = deal->won.n_splits;
    assert_true (index < COUNT (deal->split_items));
    salespulse__credit_split__init (&deal->split_items[index]);
    deal->split_items[index].rep_id = (char *) rep_id;
    deal->split_items[index].share_basis_points = share_bp;
    deal->splits[index] = &deal->split_items[index];
    deal->won.splits = deal->splits;
    deal->won.n_splits = index + 1;
}

/* The credits of deal, which must be count. */
static void
s_credits (const s_deal_t *deal, incentive_record_credit_t *credits, int count)
{
    char error[ERROR_SIZE] = "";
    memset (credits, FILL, INCENTIVE_CREDIT_SPLITS_MAX * sizeof *credits);
    int got = incentive_handler_credits (&deal->event, deal->event.event_id, credits, error,
                                         sizeof error);
    if (got != count)
        fail_msg ("expected %d credits, got %d: %s", count, got, error);
}

/* The credits of deal are refused with a message containing field;
   credits stay untouched. */
static void
s_refused (const s_deal_t *deal, const char *event_id, const char *field)
{
    char error[ERROR_SIZE] = "";
    incentive_record_credit_t credits[INCENTIVE_CREDIT_SPLITS_MAX];
    memset (credits, FILL, sizeof credits);
    incentive_record_credit_t before[INCENTIVE_CREDIT_SPLITS_MAX];
    memcpy (before, credits, sizeof before);
    assert_int_equal (
        incentive_handler_credits (&deal->event, event_id, credits, error, sizeof error), -1);
    if (!strstr (error, field))
        fail_msg ("error \"%s\" does not name \"%s\"", error, field);
    assert_memory_equal (credits, before, sizeof credits);
}

/* The reason deal is refused with does not contain text. */
static void
s_refused_not (const s_deal_t *deal, const char *text)
{
    char error[ERROR_SIZE] = "";
    incentive_record_credit_t credits[INCENTIVE_CREDIT_SPLITS_MAX];
    assert_int_equal (incentive_handler_credits (&deal->event, deal->event.event_id, credits, error,
                                                 sizeof error),
                      -1);
    if (strstr (error, text))
        fail_msg ("error \"%s\" names \"%s\"", error, text);
}

/* What every credit of the default deal carries. */
static void
s_assert_common (const incentive_record_credit_t *credit, int64_t deal_amount)
{
    assert_string_equal (credit->event_id, "evt-won-1");
    assert_int_equal (credit->occurred_at, JAN_10_2025);
    assert_string_equal (credit->deal, "opp-1");
    assert_string_equal (credit->customer, "cust-1");
    assert_string_equal (credit->currency, "USD");
    assert_int_equal (credit->partition, 0);
    assert_int_equal (credit->deal_amount, deal_amount);
}

// ---------------------------------------------------------------- credits

/* No splits: rep_id gets the whole deal, and the margin when given. */
static void
test_no_splits (void **state)
{
    (void) state;
    s_deal_t deal;
    s_deal (&deal, 2400000);
    incentive_record_credit_t credits[INCENTIVE_CREDIT_SPLITS_MAX];
    s_credits (&deal, credits, 1);
    s_assert_common (&credits[0], 2400000);
    assert_string_equal (credits[0].rep, "rep-owner");
    assert_int_equal (credits[0].credit_bp, 10000);
    assert_int_equal (credits[0].revenue, 2400000);
    assert_false (credits[0].has_margin);
    assert_int_equal (credits[0].margin, 0);

    s_margin (&deal, 480000);
    s_credits (&deal, credits, 1);
    assert_true (credits[0].has_margin);
    assert_int_equal (credits[0].margin, 480000);

    /* A deal without a customer or an opportunity keeps them empty. */
    deal.event.customer_id = (char *) "";
    deal.event.opportunity_id = NULL;
    s_credits (&deal, credits, 1);
    assert_string_equal (credits[0].customer, "");
    assert_string_equal (credits[0].deal, "");

    /* The event id given is the one recorded. */
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        incentive_handler_credits (&deal.event, "other-id", credits, error, sizeof error), 1);
    assert_string_equal (credits[0].event_id, "other-id");
}

/* 24,000.00 at 60/40 (docs/events.md): 14,400.00 and 9,600.00 exactly;
   the margin 5,000.01 at 60/40: 3,000.006 and 2,000.004 → floors 3,000.00
   and 2,000.00, one cent left goes to the larger remainder (0.6 of a cent
   for ana) → 3,000.01 and 2,000.00. */
static void
test_splits_60_40 (void **state)
{
    (void) state;
    s_deal_t deal;
    s_deal (&deal, 2400000);
    s_margin (&deal, 500001);
    s_split (&deal, "rep-ana", 6000);
    s_split (&deal, "rep-ben", 4000);
    incentive_record_credit_t credits[INCENTIVE_CREDIT_SPLITS_MAX];
    s_credits (&deal, credits, 2);
    for (int index = 0; index < 2; index++) {
        s_assert_common (&credits[index], 2400000);
        assert_true (credits[index].has_margin);
    }
    /* In the order of the splits; rep_id is not credited. */
    assert_string_equal (credits[0].rep, "rep-ana");
    assert_int_equal (credits[0].credit_bp, 6000);
    assert_int_equal (credits[0].revenue, 1440000);
    assert_int_equal (credits[0].margin, 300001);
    assert_string_equal (credits[1].rep, "rep-ben");
    assert_int_equal (credits[1].credit_bp, 4000);
    assert_int_equal (credits[1].revenue, 960000);
    assert_int_equal (credits[1].margin, 200000);
    assert_int_equal (credits[0].revenue + credits[1].revenue, 2400000);
    assert_int_equal (credits[0].margin + credits[1].margin, 500001);
}

/* 0.01 at 60/40: floors 0 and 0, remainders 0.6 and 0.4 of a cent: the
   cent goes to the larger, ana, whichever order the splits come in. */
static void
test_splits_one_cent (void **state)
{
    (void) state;
    s_deal_t deal;
    s_deal (&deal, 1);
    s_split (&deal, "rep-ben", 4000);
    s_split (&deal, "rep-ana", 6000);
    incentive_record_credit_t credits[INCENTIVE_CREDIT_SPLITS_MAX];
    s_credits (&deal, credits, 2);
    assert_string_equal (credits[0].rep, "rep-ben");
    assert_int_equal (credits[0].revenue, 0);
    assert_string_equal (credits[1].rep, "rep-ana");
    assert_int_equal (credits[1].revenue, 1);

    /* 0.01 at 50/50: equal remainders, the cent goes to the smaller rep
       id in byte order ("rep-ana" < "rep-ben"), listed second here. */
    s_deal (&deal, 1);
    s_split (&deal, "rep-ben", 5000);
    s_split (&deal, "rep-ana", 5000);
    s_credits (&deal, credits, 2);
    assert_string_equal (credits[0].rep, "rep-ben");
    assert_int_equal (credits[0].revenue, 0);
    assert_string_equal (credits[1].rep, "rep-ana");
    assert_int_equal (credits[1].revenue, 1);

    /* 0.02 at three thirds (3334/3333/3333): exact shares 0.6668,
       0.6666, 0.6666 of a cent; floors 0; 2 cents left: the largest
       remainder (rep-c, 3334) then the tie of 3333 to the smaller id
       (rep-a before rep-b). */
    s_deal (&deal, 2);
    s_split (&deal, "rep-b", 3333);
    s_split (&deal, "rep-c", 3334);
    s_split (&deal, "rep-a", 3333);
    s_credits (&deal, credits, 3);
    assert_string_equal (credits[0].rep, "rep-b");
    assert_int_equal (credits[0].revenue, 0);
    assert_string_equal (credits[1].rep, "rep-c");
    assert_int_equal (credits[1].revenue, 1);
    assert_string_equal (credits[2].rep, "rep-a");
    assert_int_equal (credits[2].revenue, 1);

    /* A zero deal credits zero to each. */
    s_deal (&deal, 0);
    s_split (&deal, "rep-ana", 6000);
    s_split (&deal, "rep-ben", 4000);
    s_credits (&deal, credits, 2);
    assert_int_equal (credits[0].revenue, 0);
    assert_int_equal (credits[1].revenue, 0);
}

/* A negative margin is split as the negation of its magnitude's split:
   -1,000.01 at 60/40 → 600.006 and 400.004 → 600.01 and 400.00, negated;
   -0.01 at 60/40 → -0.01 to ana, 0 to ben. */
static void
test_negative_margin (void **state)
{
    (void) state;
    s_deal_t deal;
    s_deal (&deal, 2400000);
    s_margin (&deal, -100001);
    s_split (&deal, "rep-ana", 6000);
    s_split (&deal, "rep-ben", 4000);
    incentive_record_credit_t credits[INCENTIVE_CREDIT_SPLITS_MAX];
    s_credits (&deal, credits, 2);
    assert_true (credits[0].has_margin && credits[1].has_margin);
    assert_int_equal (credits[0].margin, -60001);
    assert_int_equal (credits[1].margin, -40000);
    assert_int_equal (credits[0].revenue, 1440000);
    assert_int_equal (credits[1].revenue, 960000);

    s_margin (&deal, -1);
    s_credits (&deal, credits, 2);
    assert_int_equal (credits[0].margin, -1);
    assert_int_equal (credits[1].margin, 0);

    /* A zero margin is still a margin. */
    s_margin (&deal, 0);
    s_credits (&deal, credits, 2);
    assert_true (credits[0].has_margin);
    assert_int_equal (credits[0].margin, 0);
}

/* Sixteen splits is the most: 10,000 bp as 15 × 625 + 625. */
static void
test_sixteen_splits (void **state)
{
    (void) state;
    static const char *const reps[INCENTIVE_CREDIT_SPLITS_MAX] = {
        "r00", "r01", "r02", "r03", "r04", "r05", "r06", "r07",
        "r08", "r09", "r10", "r11", "r12", "r13", "r14", "r15",
    };
    s_deal_t deal;
    /* 1.00 over 16 × 6.25 %: 6.25 cents each → floors 6, 16 quarters
       make 4 cents left, to the 4 smallest ids on the tie. */
    s_deal (&deal, 100);
    for (size_t index = 0; index < COUNT (reps); index++)
        s_split (&deal, reps[index], 625);
    incentive_record_credit_t credits[INCENTIVE_CREDIT_SPLITS_MAX];
    s_credits (&deal, credits, INCENTIVE_CREDIT_SPLITS_MAX);
    int64_t total = 0;
    for (size_t index = 0; index < COUNT (reps); index++) {
        assert_string_equal (credits[index].rep, reps[index]);
        assert_int_equal (credits[index].revenue, index < 4 ? 7 : 6);
        total += credits[index].revenue;
    }
    assert_int_equal (total, 100);

    /* A seventeenth is refused. */
    s_split (&deal, "r16", 625);
    s_refused (&deal, "evt-won-1", "splits");
}

// ---------------------------------------------------------------- not credited

/* Other event types have no credits, whatever their body. */
static void
test_other_types (void **state)
{
    (void) state;
    const Salespulse__EventType types[] = {
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_CANCELLED,
    };
    for (size_t index = 0; index < COUNT (types); index++) {
        s_deal_t deal;
        s_deal (&deal, 2400000);
        deal.event.type = types[index];
        incentive_record_credit_t credits[INCENTIVE_CREDIT_SPLITS_MAX];
        memset (credits, FILL, sizeof credits);
        incentive_record_credit_t before[INCENTIVE_CREDIT_SPLITS_MAX];
        memcpy (before, credits, sizeof before);
        char error[ERROR_SIZE] = "untouched";
        assert_int_equal (
            incentive_handler_credits (&deal.event, "evt-1", credits, error, sizeof error), 0);
        assert_memory_equal (credits, before, sizeof credits);
        assert_string_equal (error, "untouched");
    }
}

/* Refusals name the field; nothing is written. */
static void
test_refused (void **state)
{
    (void) state;
    s_deal_t deal;

    /* No amount, or a deal_won without its body. */
    s_deal (&deal, 2400000);
    deal.won.amount = NULL;
    s_refused (&deal, "evt-won-1", "amount");
    s_deal (&deal, 2400000);
    deal.event.body_case = SALESPULSE__SALES_EVENT__BODY__NOT_SET;
    deal.event.deal_won = NULL;
    s_refused (&deal, "evt-won-1", "amount");
    /* A body of another type does not count as the deal_won body. */
    s_deal (&deal, 2400000);
    deal.event.body_case = SALESPULSE__SALES_EVENT__BODY_DEAL_LOST;
    s_refused (&deal, "evt-won-1", "amount");

    /* Splits that do not add up to 10,000, a repeated rep, a zero share,
       an empty rep. */
    s_deal (&deal, 2400000);
    s_split (&deal, "rep-ana", 6000);
    s_split (&deal, "rep-ben", 3999);
    s_refused (&deal, "evt-won-1", "splits");
    s_deal (&deal, 2400000);
    s_split (&deal, "rep-ana", 5000);
    s_split (&deal, "rep-ana", 5000);
    s_refused (&deal, "evt-won-1", "splits[1].rep_id");
    s_deal (&deal, 2400000);
    s_split (&deal, "rep-ana", 10000);
    s_split (&deal, "rep-ben", 0);
    s_refused (&deal, "evt-won-1", "splits[1].share_bp");
    s_deal (&deal, 2400000);
    s_split (&deal, "", 10000);
    s_refused (&deal, "evt-won-1", "rep_id");
    /* A share beyond int32 is not taken for a negative one that passes. */
    s_deal (&deal, 2400000);
    s_split (&deal, "rep-ana", UINT32_C (4294957296)); /* 2^32 - 10,000 */
    s_split (&deal, "rep-ben", 20000);
    s_refused (&deal, "evt-won-1", "splits");

    /* Without splits the event's rep_id is credited: without one (or with
       one too long) the event cannot be credited, and the reason names
       rep_id, not splits the event does not have. */
    s_deal (&deal, 2400000);
    deal.event.rep_id = (char *) "";
    s_refused (&deal, "evt-won-1", "field \"rep_id\"");
    s_refused_not (&deal, "splits[");
    deal.event.rep_id = NULL;
    s_refused (&deal, "evt-won-1", "field \"rep_id\"");

    /* Ids beyond their room: a 65-byte rep, a 129-byte event id, deal or
       customer, a 4-letter currency. */
    char long_rep[INCENTIVE_RECORD_REP_SIZE + 1];
    memset (long_rep, 'r', INCENTIVE_RECORD_REP_SIZE);
    long_rep[INCENTIVE_RECORD_REP_SIZE] = '\0';
    char long_ref[INCENTIVE_RECORD_REF_SIZE + 1];
    memset (long_ref, 'x', INCENTIVE_RECORD_REF_SIZE);
    long_ref[INCENTIVE_RECORD_REF_SIZE] = '\0';
    s_deal (&deal, 2400000);
    deal.event.rep_id = long_rep;
    s_refused (&deal, "evt-won-1", "field \"rep_id\"");
    s_refused_not (&deal, "splits[");
    s_deal (&deal, 2400000);
    s_split (&deal, "rep-ana", 5000);
    s_split (&deal, long_rep, 5000);
    s_refused (&deal, "evt-won-1", "rep_id");
    s_deal (&deal, 2400000);
    s_refused (&deal, long_ref, "event_id");
    s_deal (&deal, 2400000);
    deal.event.opportunity_id = long_ref;
    s_refused (&deal, "evt-won-1", "opportunity_id");
    s_deal (&deal, 2400000);
    deal.event.customer_id = long_ref;
    s_refused (&deal, "evt-won-1", "customer_id");
    s_deal (&deal, 2400000);
    deal.amount.currency = (char *) "USDX";
    s_refused (&deal, "evt-won-1", "currency");

    /* The longest of each fits. */
    long_rep[INCENTIVE_RECORD_REP_SIZE - 1] = '\0';
    long_ref[INCENTIVE_RECORD_REF_SIZE - 1] = '\0';
    s_deal (&deal, 2400000);
    deal.event.rep_id = long_rep;
    deal.event.opportunity_id = long_ref;
    deal.event.customer_id = long_ref;
    incentive_record_credit_t credits[INCENTIVE_CREDIT_SPLITS_MAX];
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        incentive_handler_credits (&deal.event, long_ref, credits, error, sizeof error), 1);
    assert_string_equal (credits[0].rep, long_rep);
    assert_string_equal (credits[0].event_id, long_ref);

    /* An amount beyond 10^15 minor units. */
    s_deal (&deal, INT64_C (1000000000000001));
    s_refused (&deal, "evt-won-1", "amount");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_no_splits),       cmocka_unit_test (test_splits_60_40),
        cmocka_unit_test (test_splits_one_cent), cmocka_unit_test (test_negative_margin),
        cmocka_unit_test (test_sixteen_splits),  cmocka_unit_test (test_other_types),
        cmocka_unit_test (test_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
