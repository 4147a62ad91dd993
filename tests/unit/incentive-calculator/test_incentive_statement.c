/*  test_incentive_statement - a rep's statement computed at query time
    from credits, new-logo flags, cancellations and plan versions
    (incentive_statement): its figures and their order independence. The
    closed periods are in test_incentive_statement_closed.c, the plan
    terms (draws, clawback options, payment trigger, roll-up, roles,
    true-up, overlays) in test_incentive_statement_terms.c; the shared
    fixture in incentive_statement_fixture.h.

    One quarterly plan pays on revenue, money in USD cents, tiers
        [0, 5,000.00) 5 %, [5,000.00, 10,000.00) 10 %, [10,000.00, ...) 15 %
    marginal (or retroactive). Three deals of 2025-Q1 (4,000.00 on Jan 10,
    3,000.00 on Feb 10, 4,000.00 on Mar 10), 11,000.00 in all:
      - marginal:    200.00 + (50.00 + 200.00) + (300.00 + 150.00) = 900.00
      - retroactive: 200.00 + (700.00 - 200.00) + (1,650.00 - 700.00) = 1,650.00
    Every other figure is worked out by hand next to its check.

    Order independence: every permutation of the credits (with their
    new-logo flags) and of the cancellations gives the same statement
    JSON, byte for byte.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "incentive_statement_fixture.h"

// ---------------------------------------------------------------- figures

static void
test_kind (void **state)
{
    (void) state;
    assert_int_equal (incentive_statement_kind (INCENTIVE_PLAN_MONTH), SP_PERIOD_MONTH);
    assert_int_equal (incentive_statement_kind (INCENTIVE_PLAN_QUARTER), SP_PERIOD_QUARTER);
    assert_int_equal (incentive_statement_kind (INCENTIVE_PLAN_YEAR), SP_PERIOD_YEAR);
}

/* Marginal: 4,000.00 at 5 % = 200.00; 3,000.00 from 4,000.00: 1,000.00
   at 5 % + 2,000.00 at 10 % = 250.00; 4,000.00 from 7,000.00: 3,000.00
   at 10 % + 1,000.00 at 15 % = 450.00; 900.00 in all. */
static void
test_marginal (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_three_deals (&fixture);

    const char *stored = "untouched";
    incentive_ledger_statement_t *statement = s_build (&fixture, "2025-Q1", &stored);
    assert_null (stored);
    assert_false (statement->closed);
    assert_string_equal (statement->rep_id, "rep-1");
    assert_string_equal (statement->period, "2025-Q1");
    assert_int_equal (statement->line_count, 3);
    const incentive_ledger_line_t *w1 = s_ledger_line (statement, LINE ("w1"));
    const incentive_ledger_line_t *w2 = s_ledger_line (statement, LINE ("w2"));
    const incentive_ledger_line_t *w3 = s_ledger_line (statement, LINE ("w3"));
    assert_int_equal (w1->amount, USD (200));
    assert_int_equal (w2->amount, USD (250));
    assert_int_equal (w3->amount, USD (450));
    assert_int_equal (statement->commission, USD (900));
    assert_int_equal (statement->net_payout, USD (900));
    /* Lines in time order, each explained. */
    assert_string_equal (statement->lines[0].id, LINE ("w1"));
    assert_string_equal (statement->lines[1].id, LINE ("w2"));
    assert_string_equal (statement->lines[2].id, LINE ("w3"));
    assert_int_equal (w1->kind, INCENTIVE_LEDGER_EARNING);
    assert_string_equal (w1->period, "2025-Q1");
    assert_string_equal (w1->event_id, "w1");
    assert_string_equal (w1->deal, "opp-w1");
    assert_int_equal (w1->credit_bp, 10000);
    assert_string_equal (w1->measure, "revenue");
    assert_int_equal (w1->base, USD (4000));
    assert_string_equal (w1->rule_id, "revenue");
    assert_string_equal (w1->plan_version, "ae-2025@1");
    assert_string_equal (w1->mode, "marginal");
    /* One band: amount = base × rate, 4,000.00 × 0.05. */
    assert_true (w1->has_rate);
    assert_int_equal (w1->rate.units, 50000);
    assert_int_equal (w1->rate.decimals, 6);
    /* Attainment of the quota 1,000,000.00: 0 → 0.4 %, 0.4 % → 0.7 %. */
    assert_int_equal (w1->attainment_before.units, 0);
    assert_int_equal (w1->attainment_after.units, 4000); /* ppm */
    assert_int_equal (w2->attainment_before.units, 4000);
    assert_int_equal (w2->attainment_after.units, 7000);
    /* Two bands: no single rate. */
    assert_false (w2->has_rate);
    assert_false (w3->has_rate);
    incentive_ledger_statement_destroy (&statement);

    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_string_equal (s_text (root, "rep_id"), "rep-1");
    assert_string_equal (s_text (root, "period"), "2025-Q1");
    assert_string_equal (s_text (root, "currency"), "USD");
    assert_int_equal (s_integer (root, "net_payout"), USD (900));
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (450));
    assert_string_equal (s_explained (s_line (root, LINE ("w1")), "rate"), "0.050000");
    assert_true (json_is_null (
        json_object_get (json_object_get (s_line (root, LINE ("w2")), "explanation"), "rate")));
    json_t *plans = json_object_get (root, "plans");
    assert_int_equal (json_array_size (plans), 1);
    assert_string_equal (json_string_value (json_array_get (plans, 0)), "ae-2025@1");
    assert_int_equal (json_array_size (json_object_get (root, "not_credited")), 0);
    json_decref (root);

    /* Q2 has none of Q1's deals: its totals start at 0. A deal of 6,000.00
       on May 1: 5,000.00 at 5 % + 1,000.00 at 10 % = 350.00. */
    s_credit (&fixture, "w4", MAY_1, USD (6000), "USD");
    root = s_parsed (&fixture, "2025-Q2");
    assert_int_equal (s_line_count (root), 1);
    assert_int_equal (s_integer (s_line (root, LINE ("w4")), "amount"), USD (350));
    assert_int_equal (s_integer (root, "net_payout"), USD (350));
    json_decref (root);
    /* and Q1 does not see it */
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (root, "net_payout"), USD (900));
    assert_false (s_has_line (root, LINE ("w4")));
    json_decref (root);
    s_fixture_free (&fixture);
}

/* Retroactive: F(x) = x at the rate of the highest band reached.
   F(4,000) = 200.00, F(7,000) = 700.00, F(11,000) = 1,650.00: lines
   200.00, 500.00, 950.00. */
static void
test_retroactive (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, RETROACTIVE, 1, -1);
    s_three_deals (&fixture);
    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (s_line (root, LINE ("w1")), "amount"), USD (200));
    assert_int_equal (s_integer (s_line (root, LINE ("w2")), "amount"), USD (500));
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (950));
    assert_int_equal (s_integer (root, "net_payout"), USD (1650));
    assert_string_equal (s_explained (s_line (root, LINE ("w3")), "mode"), "retroactive");
    json_decref (root);
    s_fixture_free (&fixture);
}

/* The credits (with their new-logo flags) in order, the two
   cancellations flipped. */
static void
s_shuffle_credits (s_fixture_t *shuffled, const s_fixture_t *base, const size_t *order, size_t flip)
{
    for (size_t index = 0; index < 5; index++) {
        shuffled->credits[index] = base->credits[order[index]];
        shuffled->new_logo[index] = base->new_logo[order[index]];
    }
    shuffled->cancels[0] = base->cancels[flip];
    shuffled->cancels[1] = base->cancels[1 - flip];
}

/* Every permutation of five credits (two at the same instant, one in
   EUR, one not a new logo) and of two cancellations (one in Q1, one in
   Q2) gives the same statement JSON for Q1 and Q2, byte for byte. */
static void
test_order_independence (void **state)
{
    (void) state;
    s_fixture_t base;
    s_fixture (&base, "rep-1");
    s_plan (&base, MARGINAL, 1, -1);
    s_three_deals (&base);
    s_credit (&base, "w2b", FEB_10, USD (1000), "USD"); /* same instant as w2: after it by id */
    s_credit (&base, "w-eur", FEB_10, USD (9000), "EUR");
    base.new_logo[3] = false;
    s_cancel (&base, "c1", "w1", MAR_20, "customer went bankrupt");
    s_cancel (&base, "c3", "w3", APR_15, "");
    char *q1 = s_json (&base, "2025-Q1");
    char *q2 = s_json (&base, "2025-Q2");

    /* By hand: w1 200.00; w2 (4,000 → 7,000) 250.00; w2b (7,000 → 8,000)
       100.00; w3 (8,000 → 12,000) 2,000.00 at 10 % + 2,000.00 at 15 % =
       500.00; the EUR deal is not credited and moves nothing. In Q1 the
       clawback of w1 (-200.00): 850.00. In Q2 the clawback of w3:
       -500.00, carried as a deficit. */
    json_t *root = json_loads (q1, 0, NULL);
    assert_int_equal (s_integer (s_line (root, LINE ("w2b")), "amount"), USD (100));
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (500));
    assert_int_equal (s_sum (root, "clawback", NULL), -USD (200));
    assert_int_equal (s_integer (root, "net_payout"), USD (850));
    json_t *not_credited = json_object_get (root, "not_credited");
    assert_int_equal (json_array_size (not_credited), 1);
    assert_string_equal (s_text (json_array_get (not_credited, 0), "event_id"), "w-eur");
    json_decref (root);
    root = json_loads (q2, 0, NULL);
    assert_int_equal (s_sum (root, "clawback", NULL), -USD (500));
    json_decref (root);

    s_every_order (&base, s_shuffle_credits, q1, q2);
    free (q1);
    free (q2);
    s_fixture_free (&base);
}

// ---------------------------------------------------------------- cancellations

/* A cancellation in Q2 of w2 (250.00): Q2 has one clawback of -250.00,
   linked to w2's line; Q1 is unchanged. The same cancellation in Q1
   takes Q1 to 650.00. */
static void
test_clawback (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_three_deals (&fixture);
    s_cancel (&fixture, "c2", "w2", APR_15, "budget frozen");

    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (root, "net_payout"), USD (900));
    assert_int_equal (s_sum (root, "clawback", NULL), 0);
    json_decref (root);

    root = s_parsed (&fixture, "2025-Q2");
    json_t *clawback = s_line (root, "c2/" LINE ("w2"));
    assert_string_equal (s_text (clawback, "kind"), "clawback");
    assert_string_equal (s_text (clawback, "period"), "2025-Q2");
    assert_string_equal (s_text (clawback, "event_id"), "c2");
    assert_int_equal (s_integer (clawback, "occurred_at"), APR_15);
    assert_int_equal (s_integer (clawback, "amount"), -USD (250));
    assert_string_equal (s_explained (clawback, "reverses"), LINE ("w2"));
    assert_string_equal (s_explained (clawback, "link"), LINE ("w2"));
    assert_string_equal (s_explained (clawback, "type"), "clawback");
    assert_string_equal (s_explained (clawback, "reason"), "budget frozen");
    assert_string_equal (s_explained (clawback, "deal"), "opp-w2");
    assert_int_equal (s_integer (json_object_get (clawback, "explanation"), "base"), USD (3000));
    assert_int_equal (s_sum (root, "clawback", NULL), -USD (250));
    assert_int_equal (s_sum (root, "earning", NULL), 0);
    assert_int_equal (s_integer (root, "commission"), -USD (250));
    /* The net payout never goes below 0: the deficit is carried. */
    assert_int_equal (s_integer (root, "net_payout"), 0);
    json_decref (root);

    /* Cancelled in Q1, without a reason: 900.00 - 250.00 = 650.00. */
    fixture.cancels[0].occurred_at = MAR_20;
    fixture.cancels[0].reason[0] = '\0';
    root = s_parsed (&fixture, "2025-Q1");
    clawback = s_line (root, "c2/" LINE ("w2"));
    assert_string_equal (s_text (clawback, "period"), "2025-Q1");
    assert_int_equal (s_integer (clawback, "amount"), -USD (250));
    assert_string_equal (s_explained (clawback, "reason"), "deal cancelled");
    assert_int_equal (s_integer (root, "net_payout"), USD (650));
    json_decref (root);
    root = s_parsed (&fixture, "2025-Q2");
    assert_int_equal (s_line_count (root), 0);
    assert_int_equal (s_integer (root, "net_payout"), 0);
    json_decref (root);

    /* A cancellation of a deal the rep was not credited on changes nothing. */
    fixture.cancels[0].occurred_at = APR_15;
    snprintf (fixture.cancels[0].won_event_id, sizeof fixture.cancels[0].won_event_id, "other");
    root = s_parsed (&fixture, "2025-Q2");
    assert_int_equal (s_line_count (root), 0);
    json_decref (root);
    s_fixture_free (&fixture);
}

// ---------------------------------------------------------------- what is not paid

/* A deal in EUR is listed under "not_credited" with why, and moves no
   total: w3 still pays 450.00. */
static void
test_other_currency (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_three_deals (&fixture);
    s_credit (&fixture, "w-eur", FEB_15, USD (50000), "EUR");
    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_line_count (root), 3);
    assert_false (s_has_line (root, LINE ("w-eur")));
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (450));
    assert_int_equal (s_integer (root, "net_payout"), USD (900));
    json_t *not_credited = json_object_get (root, "not_credited");
    assert_int_equal (json_array_size (not_credited), 1);
    json_t *item = json_array_get (not_credited, 0);
    assert_string_equal (s_text (item, "event_id"), "w-eur");
    assert_string_equal (s_text (item, "reason"),
                         "the deal is in EUR, not the payout currency USD");
    json_decref (root);
    /* Not listed in a statement of another period. */
    root = s_parsed (&fixture, "2025-Q2");
    assert_int_equal (json_array_size (json_object_get (root, "not_credited")), 0);
    json_decref (root);
    s_fixture_free (&fixture);
}

/* A plan paying in EUR pays nothing to a USD statement. */
static void
test_plan_other_currency (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, PLAN ("quarter", REP_1, "EUR", TIERS ("marginal")), 1, -1);
    s_credit (&fixture, "w1", JAN_10, USD (4000), "USD");
    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_line_count (root), 0);
    json_t *item = json_array_get (json_object_get (root, "not_credited"), 0);
    assert_non_null (item);
    assert_string_equal (s_text (item, "reason"),
                         "plan ae-2025 pays in EUR, not the payout currency USD");
    assert_int_equal (json_array_size (json_object_get (root, "plans")), 0);
    json_decref (root);
    s_fixture_free (&fixture);
}

/* A rep the plan does not name gets nothing, and is told why. */
static void
test_rep_not_named (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-9");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_three_deals (&fixture);
    const char *stored = "untouched";
    incentive_ledger_statement_t *statement = s_build (&fixture, "2025-Q1", &stored);
    assert_int_equal (statement->line_count, 0);
    assert_int_equal (statement->net_payout, 0);
    incentive_ledger_statement_destroy (&statement);
    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_string_equal (s_text (root, "rep_id"), "rep-9");
    assert_int_equal (s_line_count (root), 0);
    assert_int_equal (s_integer (root, "net_payout"), 0);
    assert_int_equal (json_array_size (json_object_get (root, "plans")), 0);
    json_t *not_credited = json_object_get (root, "not_credited");
    assert_int_equal (json_array_size (not_credited), 3);
    /* in time order */
    assert_string_equal (s_text (json_array_get (not_credited, 0), "event_id"), "w1");
    assert_string_equal (s_text (json_array_get (not_credited, 2), "event_id"), "w3");
    assert_string_equal (s_text (json_array_get (not_credited, 0), "reason"),
                         "plan ae-2025@1 does not name the rep");
    json_decref (root);

    /* Without any plan: nothing, "no plan names the rep". */
    s_fixture_t bare;
    s_fixture (&bare, "rep-1");
    s_credit (&bare, "w1", JAN_10, USD (4000), "USD");
    root = s_parsed (&bare, "2025-Q1");
    assert_int_equal (s_line_count (root), 0);
    assert_string_equal (
        s_text (json_array_get (json_object_get (root, "not_credited"), 0), "reason"),
        "no plan names the rep");
    json_decref (root);
    s_fixture_free (&bare);
    s_fixture_free (&fixture);
}

/* An assignment that starts on Feb 15: the Jan 10 and Feb 10 deals are
   not paid. The quota is prorated by the active days, but the tiers are
   on amount: the Mar 10 deal, the first counted, pays 4,000.00 at 5 % =
   200.00. */
static void
test_assignment_days (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture,
            PLAN ("quarter", "{\"id\": \"rep-1\", \"from\": \"2025-02-15\"}", "USD",
                  TIERS ("marginal")),
            1, -1);
    s_three_deals (&fixture);
    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_line_count (root), 1);
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (200));
    json_t *not_credited = json_object_get (root, "not_credited");
    assert_int_equal (json_array_size (not_credited), 2);
    assert_string_equal (s_text (json_array_get (not_credited, 0), "reason"),
                         "the rep's assignment to plan ae-2025 does not cover the deal's day");
    json_decref (root);
    s_fixture_free (&fixture);
}

// ---------------------------------------------------------------- versions

/* Version 2 (a flat 20 %) in force from Feb 15 applies FORWARD: w1 and
   w2 keep version 1 (200.00, 250.00); w3 on Mar 10 moves 7,000.00 →
   11,000.00 under version 2: 4,000.00 × 20 % = 800.00. */
static void
test_versions_forward (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, JAN_1);
    s_plan (&fixture, PLAN ("quarter", REP_1, "USD", FLAT_20), 2, FEB_15);
    s_three_deals (&fixture);
    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (s_line (root, LINE ("w1")), "amount"), USD (200));
    assert_int_equal (s_integer (s_line (root, LINE ("w2")), "amount"), USD (250));
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (800));
    assert_string_equal (s_explained (s_line (root, LINE ("w2")), "plan_version"), "ae-2025@1");
    assert_string_equal (s_explained (s_line (root, LINE ("w3")), "plan_version"), "ae-2025@2");
    assert_int_equal (s_integer (root, "net_payout"), USD (1250));
    json_t *plans = json_object_get (root, "plans");
    assert_int_equal (json_array_size (plans), 2);
    assert_string_equal (json_string_value (json_array_get (plans, 0)), "ae-2025@1");
    assert_string_equal (json_string_value (json_array_get (plans, 1)), "ae-2025@2");
    json_decref (root);

    /* Reversing the versions in the input changes nothing. */
    char *one = s_json (&fixture, "2025-Q1");
    incentive_statement_plan_t kept = fixture.plans[0];
    fixture.plans[0] = fixture.plans[1];
    fixture.plans[1] = kept;
    char *other = s_json (&fixture, "2025-Q1");
    assert_string_equal (one, other);
    free (one);
    free (other);

    /* Before version 1's effective_from, no version is in force. */
    s_credit (&fixture, "w0", DEC_31_2024, USD (1000), "USD");
    root = s_parsed (&fixture, "2024-Q4");
    assert_int_equal (s_line_count (root), 0);
    json_t *item = json_array_get (json_object_get (root, "not_credited"), 0);
    assert_non_null (item);
    assert_string_equal (s_text (item, "event_id"), "w0");
    assert_string_equal (s_text (item, "reason"), "plan ae-2025 has no version in force yet");
    json_decref (root);
    s_fixture_free (&fixture);
}

/* Two plans pay the same deals: the order the plan versions are given
   in changes nothing, not the lines, not "plans", not the reasons of
   "not_credited". "ae-2025" pays 900.00 (marginal); "kicker" (a flat
   20 %) pays 800.00, 600.00 and 800.00 on the three deals. A deal in
   EUR is paid by neither: its reason is the same either way. */
#define KICKER                                                                                     \
    "{\"name\": \"kicker\", \"currency\": \"USD\", \"period\": \"quarter\", "                      \
    "\"assign\": {\"reps\": [" REP_1 "]}, "                                                        \
    "\"components\": [{\"id\": \"bonus\", \"measure\": \"revenue\", "                              \
    "\"quota\": \"1000000.00\", \"table\": {\"bands\": " FLAT_20 "}}]}"
#define EUR_PLAN                                                                                   \
    "{\"name\": \"eur-plan\", \"currency\": \"EUR\", \"period\": \"quarter\", "                    \
    "\"assign\": {\"reps\": [" REP_1 "]}, "                                                        \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "                            \
    "\"quota\": \"1000000.00\", \"table\": {\"bands\": " FLAT_20 "}}]}"

static void
test_plan_order (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_plan (&fixture, KICKER, 1, -1);
    s_three_deals (&fixture);
    s_credit (&fixture, "w-eur", FEB_15, USD (1000), "EUR");
    char *one = s_json (&fixture, "2025-Q1");
    json_t *root = json_loads (one, 0, NULL);
    assert_int_equal (s_integer (s_line (root, "w2/kicker/bonus"), "amount"), USD (600));
    assert_int_equal (s_integer (root, "net_payout"), USD (900 + 2200));
    json_decref (root);
    incentive_statement_plan_t kept = fixture.plans[0];
    fixture.plans[0] = fixture.plans[1];
    fixture.plans[1] = kept;
    char *other = s_json (&fixture, "2025-Q1");
    assert_string_equal (one, other);
    free (one);
    free (other);
    s_fixture_free (&fixture);

    /* Neither plan pays: one does not name the rep, the other pays in
       EUR. The reason does not depend on which is given first. */
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, NOT_REP_1, 1, -1);
    s_plan (&fixture, EUR_PLAN, 1, -1);
    s_credit (&fixture, "w1", JAN_10, USD (4000), "USD");
    one = s_json (&fixture, "2025-Q1");
    root = json_loads (one, 0, NULL);
    assert_int_equal (s_line_count (root), 0);
    /* the reason of the last plan by name */
    assert_string_equal (
        s_text (json_array_get (json_object_get (root, "not_credited"), 0), "reason"),
        "plan eur-plan pays in EUR, not the payout currency USD");
    json_decref (root);
    kept = fixture.plans[0];
    fixture.plans[0] = fixture.plans[1];
    fixture.plans[1] = kept;
    other = s_json (&fixture, "2025-Q1");
    assert_string_equal (one, other);
    free (one);
    free (other);
    s_fixture_free (&fixture);
}

/* A monthly plan does not pay on a quarterly statement (and a quarterly
   one not on a monthly statement). */
static void
test_other_kind_of_plan (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, PLAN ("month", REP_1, "USD", TIERS ("marginal")), 1, -1);
    s_three_deals (&fixture);
    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_line_count (root), 0);
    json_t *not_credited = json_object_get (root, "not_credited");
    assert_int_equal (json_array_size (not_credited), 3);
    /* The plan names the rep: the reason says what is wrong. */
    assert_string_equal (s_text (json_array_get (not_credited, 0), "reason"),
                         "plan ae-2025@1 pays per month, not per quarter");
    json_decref (root);
    /* Monthly statements: each month's totals start at 0, so each deal is
       first in its month: 200.00, 150.00, 200.00. */
    fixture.input.kind = SP_PERIOD_MONTH;
    root = s_parsed (&fixture, "2025-02");
    assert_int_equal (s_line_count (root), 1);
    assert_int_equal (s_integer (s_line (root, LINE ("w2")), "amount"), USD (150));
    json_decref (root);
    root = s_parsed (&fixture, "2025-03");
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (200));
    json_decref (root);
    s_fixture_free (&fixture);
}

/* Event ids of 128 bytes make line ids longer than a posted line may be:
   they are cut and hashed, stay distinct, and clawbacks and adjustments
   still find the line they link to. */
static void
test_long_ids (void **state)
{
    (void) state;
    char first[INCENTIVE_RECORD_REF_SIZE];
    char second[INCENTIVE_RECORD_REF_SIZE];
    char cancel[INCENTIVE_RECORD_REF_SIZE];
    memset (first, 'a', sizeof first - 1);
    first[sizeof first - 1] = '\0';
    memcpy (second, first, sizeof second);
    second[sizeof second - 2] = 'b'; /* differs in the last byte only */
    memset (cancel, 'c', sizeof cancel - 1);
    cancel[sizeof cancel - 1] = '\0';

    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_credit (&fixture, first, JAN_10, USD (4000), "USD");
    char *q1_stored = s_json (&fixture, "2025-Q1");
    s_close (&fixture, "2025-Q1", q1_stored);
    /* the second, late, comes first in time: 4,000.00 at 5 % = 200.00,
       then the first moves to 4,000 → 8,000: 350.00 (was 200.00) */
    s_credit (&fixture, second, JAN_10 - DAY_MS, USD (4000), "USD");
    s_cancel (&fixture, cancel, first, APR_15, "");
    json_t *root = s_parsed (&fixture, "2025-Q2");
    size_t index;
    json_t *line;
    json_array_foreach (json_object_get (root, "lines"), index, line)
    {
        assert_true (strlen (s_text (line, "id")) <= INCENTIVE_LEDGER_LINE_ID_MAX);
    }
    /* late +200.00, correction +150.00, clawback -350.00: 0 */
    assert_int_equal (s_sum (root, "adjustment", "late"), USD (200));
    assert_int_equal (s_sum (root, "adjustment", "correction"), USD (150));
    assert_int_equal (s_sum (root, "clawback", NULL), -USD (350));
    assert_int_equal (s_integer (root, "net_payout"), 0);
    json_decref (root);
    /* Once Q2 closes, Q3 has nothing to adjust. */
    char *q2 = s_json (&fixture, "2025-Q2");
    s_close (&fixture, "2025-Q2", q2);
    root = s_parsed (&fixture, "2025-Q3");
    assert_int_equal (s_line_count (root), 0);
    json_decref (root);
    free (q2);
    free (q1_stored);
    s_fixture_free (&fixture);
}

// ---------------------------------------------------------------- refusals

static void
s_refused (s_fixture_t *fixture, const char *period, const char *text)
{
    char error[INCENTIVE_STATEMENT_ERROR_SIZE] = "";
    assert_null (incentive_statement_json (s_input (fixture), period, error, sizeof error));
    if (!strstr (error, text))
        fail_msg ("error \"%s\" does not name \"%s\"", error, text);
    const char *stored = "untouched";
    error[0] = '\0';
    assert_null (
        incentive_statement_build (s_input (fixture), period, &stored, error, sizeof error));
    if (!strstr (error, text))
        fail_msg ("error \"%s\" does not name \"%s\"", error, text);
    assert_string_equal (stored, "untouched");
}

static void
test_refused (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_three_deals (&fixture);
    /* Not a label, or a label of another kind. */
    s_refused (&fixture, "2025-Q5", "period");
    s_refused (&fixture, "Q1-2025", "period");
    s_refused (&fixture, "", "period");
    s_refused (&fixture, "2025-03", "period");
    s_refused (&fixture, "2025", "period");
    s_refused (&fixture, "2025-03", "\"2025-03\" is a month, the plans pay per quarter");
    /* A stored document that is not a statement. */
    s_close (&fixture, "2025-Q1", "{\"rep_id\": \"rep-1\"}");
    s_refused (&fixture, "2025-Q2", "the statement stored for 2025-Q1 is not a statement");
    s_fixture_free (&fixture);

    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_close (&fixture, "2025-Q1", "not json");
    s_refused (&fixture, "2025-Q1", "2025-Q1");
    s_fixture_free (&fixture);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_kind),
        cmocka_unit_test (test_marginal),
        cmocka_unit_test (test_retroactive),
        cmocka_unit_test (test_order_independence),
        cmocka_unit_test (test_clawback),
        cmocka_unit_test (test_other_currency),
        cmocka_unit_test (test_plan_other_currency),
        cmocka_unit_test (test_rep_not_named),
        cmocka_unit_test (test_assignment_days),
        cmocka_unit_test (test_versions_forward),
        cmocka_unit_test (test_plan_order),
        cmocka_unit_test (test_other_kind_of_plan),
        cmocka_unit_test (test_long_ids),
        cmocka_unit_test (test_refused),
    };
    return cmocka_run_group_tests_name ("incentive_statement", tests, NULL, NULL);
}
