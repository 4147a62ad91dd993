/*  test_incentive_statement_terms - the plan terms of issue 13 in a
    rep's statement (incentive_statement): the acceptance draw (2,000.00 a
    month over earnings 2,750, 3,000, 1,500, 2,375, 3,000, 2,750 pays
    2,750, 3,000, 2,000, 2,000, 2,875, 2,750), a draw of 3 periods, a draw
    ended by a later version, closed periods under a draw; clawbacks with
    attainment drops and recompute; the payment trigger's held and
    released lines, over every order of credits, payments and
    cancellations; manager roll-up, roles, true-up and overlays. Shared
    fixture: incentive_statement_fixture.h.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "incentive_statement_fixture.h"

// ---------------------------------------------------------------- plan terms

/* A monthly plan paying 10 % of revenue to rep-1 from 2025-01-01, with
   extra top-level fields. */
#define MONTHLY(extra)                                                                             \
    "{\"name\": \"ae-2025\", \"currency\": \"USD\", \"period\": \"month\", " extra                 \
    "\"assign\": {\"reps\": [{\"id\": \"rep-1\", \"from\": \"2025-01-01\"}]}, "                    \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "                            \
    "\"quota\": \"100000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}"
#define DRAW(terms) MONTHLY ("\"draw\": {\"amount\": \"2000.00\", " terms "}, ")

static const char *const s_months[] = { "2025-01", "2025-02", "2025-03",
                                        "2025-04", "2025-05", "2025-06" };

/* One deal per month of 2025 paying 10 % of its amount: earnings E[i]. */
static void
s_monthly_deals (s_fixture_t *fixture, const int64_t *earnings, size_t count)
{
    const int64_t days[] = { MID_JAN, MID_FEB, MID_MAR, MID_APR, MID_MAY, MID_JUN };
    const char *const ids[] = { "m1", "m2", "m3", "m4", "m5", "m6" };
    for (size_t index = 0; index < count; index++)
        s_credit (fixture, ids[index], days[index], earnings[index] * 10, "USD");
    fixture->input.kind = SP_PERIOD_MONTH;
}

/* The net payouts of the first count months. */
static void
s_payouts (s_fixture_t *fixture, const int64_t *expected, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        json_t *root = s_parsed (fixture, s_months[index]);
        if (s_integer (root, "net_payout") != expected[index])
            fail_msg ("%s: net payout %" PRId64 ", expected %" PRId64, s_months[index],
                      s_integer (root, "net_payout"), expected[index]);
        json_decref (root);
    }
}

/* The acceptance case of issue 13, from incentive_statement_json: a
   recoverable draw of 2,000.00 a month over E = 2,750, 3,000, 1,500,
   2,375, 3,000, 2,750. March is topped up by 500 (owed 500); April's
   surplus 375 is recovered (owed 125), May's 1,000 recovers the last
   125: pay 2,750, 3,000, 2,000, 2,000, 2,875, 2,750. */
static void
test_draw_acceptance (void **state)
{
    (void) state;
    const int64_t earnings[] = { USD (2750), USD (3000), USD (1500),
                                 USD (2375), USD (3000), USD (2750) };
    const int64_t pay[] = {
        USD (2750), USD (3000), USD (2000), USD (2000), USD (2875), USD (2750)
    };
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, DRAW ("\"recoverable\": true"), 1, -1);
    s_monthly_deals (&fixture, earnings, COUNT (earnings));
    s_payouts (&fixture, pay, COUNT (pay));

    json_t *root = s_parsed (&fixture, "2025-03");
    json_t *draw = s_line (root, "draw:2025-03");
    assert_string_equal (s_text (draw, "kind"), "draw");
    assert_int_equal (s_integer (draw, "amount"), USD (500));
    assert_int_equal (s_integer (json_object_get (draw, "explanation"), "draw"), USD (2000));
    assert_int_equal (s_integer (root, "closing_balance"), USD (500));
    json_decref (root);
    root = s_parsed (&fixture, "2025-04");
    assert_int_equal (s_integer (root, "opening_balance"), USD (500));
    assert_int_equal (s_integer (s_line (root, "recovery:2025-04"), "amount"), -USD (375));
    assert_int_equal (s_integer (root, "closing_balance"), USD (125));
    json_decref (root);

    /* Non-recoverable: March is topped up, April and May pay in full. */
    s_fixture_free (&fixture);
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, DRAW ("\"recoverable\": false"), 1, -1);
    s_monthly_deals (&fixture, earnings, COUNT (earnings));
    const int64_t topped[] = { USD (2750), USD (3000), USD (2000),
                               USD (2375), USD (3000), USD (2750) };
    s_payouts (&fixture, topped, COUNT (topped));

    /* The first three months closed (their statements stored as shown):
       April to June come out the same, the balance re-derived. */
    s_fixture_free (&fixture);
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, DRAW ("\"recoverable\": true"), 1, -1);
    s_monthly_deals (&fixture, earnings, COUNT (earnings));
    for (size_t index = 0; index < 3; index++) {
        char *stored = s_json (&fixture, s_months[index]);
        s_close (&fixture, s_months[index], stored);
        free (stored);
    }
    s_payouts (&fixture, pay, COUNT (pay));
    s_fixture_free (&fixture);
}

/* A draw of 3 periods (docs/incentive-ledger.md): E = 500, 1,000, 2,400,
   1,500, 3,000 pays 2,000, 2,000, 2,000, then after the draw 0 (the
   whole 1,500 recovered: owed 2,100 - 1,500 = 600) and 2,400. A draw
   ended by a later version: version 2 from April without a draw ends
   the draw after March; April's E = 2,375 recovers March's 500 (pay
   1,875), May pays 3,000. Before the rep's "from" there is no draw. */
static void
test_draw_periods (void **state)
{
    (void) state;
    const int64_t earnings[] = { USD (500), USD (1000), USD (2400), USD (1500), USD (3000) };
    const int64_t pay[] = { USD (2000), USD (2000), USD (2000), 0, USD (2400) };
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, DRAW ("\"recoverable\": true, \"periods\": 3"), 1, -1);
    s_monthly_deals (&fixture, earnings, COUNT (earnings));
    s_payouts (&fixture, pay, COUNT (pay));
    s_fixture_free (&fixture);

    const int64_t second[] = { USD (2750), USD (3000), USD (1500), USD (2375), USD (3000) };
    const int64_t ended[] = { USD (2750), USD (3000), USD (2000), USD (1875), USD (3000) };
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, DRAW ("\"recoverable\": true"), 1, -1);
    s_plan (&fixture, MONTHLY (""), 2, APR_1);
    s_monthly_deals (&fixture, second, COUNT (second));
    s_payouts (&fixture, ended, COUNT (ended));
    /* December 2024 is before the rep's first day: no draw */
    json_t *root = s_parsed (&fixture, "2024-12");
    assert_int_equal (s_integer (root, "net_payout"), 0);
    assert_int_equal (s_line_count (root), 0);
    json_decref (root);
    s_fixture_free (&fixture);
}

/* Attainment drops: the tiers of 2025-Q1 with "attainment_drops". w1
   (4,000.00 on Jan 10) pays 200.00 and is cancelled on Feb 15, after w2
   (4,000 → 7,000: 50.00 + 200.00 = 250.00): from then on the quarter
   counts 3,000.00, so w3 (4,000.00 on Mar 10) moves 3,000 → 7,000 and
   pays 2,000 × 5 % + 2,000 × 10 % = 300.00 (450.00 without the flag).
   Q1: 200 + 250 - 200 + 300 = 550.00. Every order of the credits gives
   the same JSON. */
static void
test_attainment_drops (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture,
            "{\"name\": \"ae-2025\", \"currency\": \"USD\", \"period\": \"quarter\", "
            "\"clawback\": {\"attainment_drops\": true}, "
            "\"assign\": {\"reps\": [" REP_1 "]}, "
            "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "
            "\"quota\": \"1000000.00\", \"table\": {\"bands\": " TIERS ("marginal") "}}]}",
            1, -1);
    s_three_deals (&fixture);
    s_cancel (&fixture, "c1", "w1", FEB_15, "");
    char *q1 = s_json (&fixture, "2025-Q1");
    json_t *root = json_loads (q1, 0, NULL);
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (300));
    assert_string_equal (s_explained (s_line (root, LINE ("w3")), "attainment_before"), "0.003000");
    json_t *clawback = s_line (root, "c1/" LINE ("w1"));
    assert_int_equal (s_integer (clawback, "amount"), -USD (200));
    assert_true (json_is_true (
        json_object_get (json_object_get (clawback, "explanation"), "attainment_drops")));
    assert_int_equal (s_integer (root, "net_payout"), USD (550));
    json_decref (root);
    size_t order[3] = { 0, 1, 2 };
    s_fixture_t base = fixture;
    do {
        for (size_t index = 0; index < COUNT (order); index++)
            fixture.credits[index] = base.credits[order[index]];
        char *again = s_json (&fixture, "2025-Q1");
        assert_string_equal (again, q1);
        free (again);
    } while (s_next_permutation (order, COUNT (order)));
    free (q1);

    /* Cancelled in Q2: Q1 keeps its measures (w3 pays 450.00). */
    fixture.cancels[0].occurred_at = APR_15;
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (450));
    json_decref (root);
    /* At the same instant as w3 but a smaller event id than "w3": before it. */
    fixture.cancels[0].occurred_at = MAR_10;
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (300));
    json_decref (root);
    snprintf (fixture.cancels[0].event_id, sizeof fixture.cancels[0].event_id, "x1");
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (450));
    json_decref (root);
    s_fixture_free (&fixture);
}

/* The payment plan: quarterly, 20 % flat, trigger payment (and the
   clawback option given). */
#define PAYMENT_PLAN(reverse)                                                                      \
    "{\"name\": \"ae-2025\", \"currency\": \"USD\", \"period\": \"quarter\", "                     \
    "\"trigger\": \"payment\", \"clawback\": {\"reverse\": \"" reverse "\"}, "                     \
    "\"assign\": {\"reps\": [" REP_1 "]}, "                                                        \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "                            \
    "\"quota\": \"1000000.00\", \"table\": {\"bands\": " FLAT_20 "}}]}"

/* Trigger payment: w1 (10,000.00 on Jan 10) earns 2,000.00, held. A
   payment of 1,000.00 before the deal (Dec 31) releases 10 % = 200.00 at
   the deal; 4,000.00 on Feb 10 takes the deal to 50 %: 1,000.00 - 200.00
   = 800.00; 7,000.00 on Apr 15 takes it past 100 % (capped): 1,000.00 in
   Q2. A payment in EUR and one of another deal release nothing. Q1 =
   2,000 - 2,000 + 200 + 800 = 1,000.00; Q2 = 1,000.00. Cancelled on Mar
   20: the clawback reverses what was released (1,000.00) and the April
   payment releases nothing. Every order of the payments, credits and
   cancellation gives the same JSON. */
/* The payments in order, the two credits flipped. */
static void
s_shuffle_payments (s_fixture_t *shuffled, const s_fixture_t *base, const size_t *order,
                    size_t flip)
{
    for (size_t index = 0; index < 5; index++)
        shuffled->payments[index] = base->payments[order[index]];
    shuffled->credits[0] = base->credits[flip];
    shuffled->credits[1] = base->credits[1 - flip];
}

static void
test_payment_trigger (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, PAYMENT_PLAN ("paid"), 1, -1);
    s_credit (&fixture, "w1", JAN_10, USD (10000), "USD");
    s_credit (&fixture, "w2", FEB_10, USD (500), "USD");
    s_payment (&fixture, "p0", "w1", DEC_31_2024, USD (1000), "USD");
    s_payment (&fixture, "p1", "w1", FEB_10, USD (4000), "USD");
    s_payment (&fixture, "p2", "w1", APR_15, USD (7000), "USD");
    s_payment (&fixture, "p-eur", "w1", FEB_15, USD (3000), "EUR");
    s_payment (&fixture, "p-other", "w9", FEB_15, USD (3000), "USD");
    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (s_line (root, LINE ("w1")), "amount"), USD (2000));
    json_t *held = s_line (root, LINE ("w1") "/held");
    assert_string_equal (s_text (held, "kind"), "adjustment");
    assert_string_equal (s_explained (held, "type"), "held");
    assert_string_equal (s_explained (held, "link"), LINE ("w1"));
    assert_int_equal (s_integer (held, "amount"), -USD (2000));
    json_t *release = s_line (root, "p0/" LINE ("w1"));
    assert_string_equal (s_explained (release, "type"), "release");
    assert_int_equal (s_integer (release, "occurred_at"), JAN_10);
    assert_int_equal (s_integer (release, "amount"), USD (200));
    assert_int_equal (s_integer (s_line (root, "p1/" LINE ("w1")), "amount"), USD (800));
    assert_false (s_has_line (root, "p-eur/" LINE ("w1")));
    /* w2 (500.00, 100.00 earned) has no payment: held, nothing released */
    assert_int_equal (s_sum (root, "adjustment", "held"), -USD (2100));
    assert_int_equal (s_integer (root, "net_payout"), USD (1000));
    json_decref (root);
    root = s_parsed (&fixture, "2025-Q2");
    assert_int_equal (s_integer (s_line (root, "p2/" LINE ("w1")), "amount"), USD (1000));
    assert_int_equal (s_integer (root, "net_payout"), USD (1000));
    json_decref (root);

    s_cancel (&fixture, "c1", "w1", MAR_20, "");
    char *q1 = s_json (&fixture, "2025-Q1");
    char *q2 = s_json (&fixture, "2025-Q2");
    root = json_loads (q1, 0, NULL);
    assert_int_equal (s_integer (s_line (root, "c1/" LINE ("w1")), "amount"), -USD (1000));
    assert_int_equal (s_integer (root, "net_payout"), 0);
    json_decref (root);
    root = json_loads (q2, 0, NULL);
    assert_int_equal (s_line_count (root), 0);
    json_decref (root);

    s_every_order (&fixture, s_shuffle_payments, q1, q2);
    free (q1);
    free (q2);
    s_fixture_free (&fixture);
}

/* Recompute on a line partly released: 20 % of 10.01 is 2.002, paid as
   200 cents; 5.03 of the deal paid releases round(200 × 503 / 1,001) =
   round(100.4995) = 100 cents. Paid mode reverses those 100; recompute
   takes the base at its rate for the share released: round(1,001 × 0.2
   × 503 / 1,001) = round(100.6) = 101 (Q1: 200 - 200 + 100 - 101 = -1,
   carried as a deficit). Without the cancellation nothing else moves. */
static void
test_clawback_recompute (void **state)
{
    (void) state;
    const char *const modes[] = { PAYMENT_PLAN ("paid"), PAYMENT_PLAN ("recompute") };
    const int64_t reversed[] = { -100, -101 };
    const char *const reversal[] = { "paid", "recompute" };
    s_fixture_t fixture;
    for (size_t mode = 0; mode < COUNT (modes); mode++) {
        s_fixture (&fixture, "rep-1");
        s_plan (&fixture, modes[mode], 1, -1);
        s_credit (&fixture, "w1", JAN_10, 1001, "USD");
        s_payment (&fixture, "p1", "w1", FEB_10, 503, "USD");
        s_cancel (&fixture, "c1", "w1", MAR_20, "");
        json_t *root = s_parsed (&fixture, "2025-Q1");
        assert_int_equal (s_integer (s_line (root, LINE ("w1")), "amount"), 200);
        assert_int_equal (s_integer (s_line (root, "p1/" LINE ("w1")), "amount"), 100);
        json_t *clawback = s_line (root, "c1/" LINE ("w1"));
        assert_int_equal (s_integer (clawback, "amount"), reversed[mode]);
        assert_string_equal (s_explained (clawback, "reversal"), reversal[mode]);
        /* 200 - 200 + 100 + reversed */
        assert_int_equal (s_integer (root, "commission"), 100 + reversed[mode]);
        assert_int_equal (s_integer (root, "net_payout"), 0);
        json_decref (root);
        s_fixture_free (&fixture);
    }

    /* Booking: a line with one rate reverses its base at it (the same as
       paid); a line without a single rate (two bands) what was paid. */
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture,
            "{\"name\": \"ae-2025\", \"currency\": \"USD\", \"period\": \"quarter\", "
            "\"clawback\": {\"reverse\": \"recompute\"}, \"assign\": {\"reps\": [" REP_1 "]}, "
            "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "
            "\"quota\": \"1000000.00\", \"table\": {\"bands\": " TIERS ("marginal") "}}]}",
            1, -1);
    s_three_deals (&fixture);
    s_cancel (&fixture, "c1", "w1", APR_15, "");
    s_cancel (&fixture, "c2", "w2", APR_15, "");
    json_t *root = s_parsed (&fixture, "2025-Q2");
    json_t *clawback = s_line (root, "c1/" LINE ("w1"));
    assert_int_equal (s_integer (clawback, "amount"), -USD (200)); /* 4,000 × 5 % */
    assert_string_equal (s_explained (clawback, "reversal"), "recompute");
    clawback = s_line (root, "c2/" LINE ("w2"));
    assert_int_equal (s_integer (clawback, "amount"), -USD (250)); /* two bands: paid */
    assert_string_equal (s_explained (clawback, "reversal"), "paid");
    json_decref (root);
    s_fixture_free (&fixture);
}

// ---------------------------------------------------------------- org: roll-ups and roles

/* region:emea has team:north (a, b) and team:south (c); d sits in
   team:east (region:apac) until 2025-02-01, in team:north from then; a
   is an "ae". */
#define ORG_JSON                                                                                   \
    "{\"name\": \"org\", \"regions\": [{\"id\": \"emea\"}, {\"id\": \"apac\"}], "                  \
    "\"teams\": [{\"id\": \"north\", \"region\": \"emea\"}, {\"id\": \"south\", \"region\": "      \
    "\"emea\"}, {\"id\": \"east\", \"region\": \"apac\"}], \"reps\": ["                            \
    "{\"id\": \"a\", \"role\": \"ae\", \"memberships\": [{\"team\": \"north\", \"from\": "         \
    "\"2024-01-01\"}]}, {\"id\": \"b\", \"memberships\": [{\"team\": \"north\", \"from\": "        \
    "\"2024-01-01\"}]}, {\"id\": \"c\", \"memberships\": [{\"team\": \"south\", \"from\": "        \
    "\"2024-01-01\"}]}, {\"id\": \"d\", \"memberships\": [{\"team\": \"east\", \"from\": "         \
    "\"2024-01-01\", \"until\": \"2025-02-01\"}, {\"team\": \"north\", \"from\": "                 \
    "\"2025-02-01\"}]}]}"

/* A quarterly roll-up plan paying 10 % of the rolled-up revenue. */
#define MANAGER_PLAN(name, nodes, rollup)                                                          \
    "{\"name\": \"" name "\", \"currency\": \"USD\", \"period\": \"quarter\", "                    \
    "\"assign\": {\"reps\": [" nodes "]}, \"rollup\": " rollup ", "                                \
    "\"components\": [{\"id\": \"team\", \"measure\": \"revenue\", "                               \
    "\"quota\": \"1000000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}"

static void
s_org (s_fixture_t *fixture)
{
    char error[SP_ORG_ERROR_SIZE] = "";
    fixture->org = sp_org_new (ORG_JSON, strlen (ORG_JSON), error, sizeof error);
    if (!fixture->org)
        fail_msg ("org refused: %s", error);
}

/* Adds rep's credit of share_bp and amount on the deal of event_id (of
   deal_amount) to the team credits. */
static void
s_team_credit (s_fixture_t *fixture, const char *event_id, int64_t occurred_at, const char *rep,
               int32_t share_bp, int64_t amount, int64_t deal_amount)
{
    assert_true (fixture->team_count < MAX_CREDITS);
    incentive_record_credit_t *credit = &fixture->team[fixture->team_count];
    memset (credit, 0, sizeof *credit);
    snprintf (credit->event_id, sizeof credit->event_id, "%s", event_id);
    snprintf (credit->rep, sizeof credit->rep, "%s", rep);
    credit->occurred_at = occurred_at;
    snprintf (credit->deal, sizeof credit->deal, "opp-%s", event_id);
    snprintf (credit->customer, sizeof credit->customer, "cust-%s", event_id);
    snprintf (credit->currency, sizeof credit->currency, "USD");
    credit->credit_bp = share_bp;
    credit->deal_amount = deal_amount;
    credit->revenue = amount;
    fixture->team_new_logo[fixture->team_count++] = true;
}

/* The deals: w1 1,000.01 on Jan 10 split a 60 / b 30 / c 10 (600.01,
   300.00, 100.00); w2 500.00 on Jan 15 all d's (in team:east that day);
   w3 2,000.00 on Feb 10 split d 50 / a 50 (both in team:north that day).
   A node's statement reads the credits of every rep ever under it. */
static void
s_team_deals (s_fixture_t *fixture, bool with_c)
{
    s_team_credit (fixture, "w1", JAN_10, "a", 6000, 60001, 100001);
    s_team_credit (fixture, "w1", JAN_10, "b", 3000, 30000, 100001);
    if (with_c)
        s_team_credit (fixture, "w1", JAN_10, "c", 1000, 10000, 100001);
    s_team_credit (fixture, "w2", MID_JAN, "d", 10000, USD (500), USD (500));
    s_team_credit (fixture, "w3", FEB_10, "d", 5000, USD (1000), USD (2000));
    s_team_credit (fixture, "w3", FEB_10, "a", 5000, USD (1000), USD (2000));
}

/* Manager roll-up credits, each deal once per manager:
     team:north (levels 1, shares): w1 900.01 (90 %) pays 90.00 (90.001);
       w2 nothing (d was in team:east); w3 2,000.00 once (a and d, 100 %)
       pays 200.00: 290.00. Cancelling w3 on Mar 20 claws back -200.00.
     region:emea (levels 2): w1 1,000.01 pays 100.00; w3 200.00: 300.00.
     team:north with "full": w1 the whole 1,000.01: 100.00; w3 200.00. */
static void
test_rollup (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "team:north");
    s_org (&fixture);
    s_plan (&fixture, MANAGER_PLAN ("mgr", "{\"id\": \"team:north\"}", "{\"levels\": 1}"), 1, -1);
    s_plan (&fixture, MARGINAL, 1, -1); /* a rep's plan: pays no node */
    s_team_deals (&fixture, false);
    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_line_count (root), 2);
    json_t *line = s_line (root, "w1/mgr/team");
    assert_int_equal (s_integer (line, "amount"), 9000);
    assert_string_equal (s_explained (line, "credit_percent"), "90.00");
    assert_int_equal (s_integer (json_object_get (line, "explanation"), "base"), 90001);
    line = s_line (root, "w3/mgr/team");
    assert_int_equal (s_integer (line, "amount"), USD (200));
    assert_int_equal (s_integer (json_object_get (line, "explanation"), "base"), USD (2000));
    assert_int_equal (s_integer (root, "net_payout"), USD (290));
    assert_int_equal (json_array_size (json_object_get (root, "not_credited")), 0);
    json_decref (root);

    s_cancel (&fixture, "c3", "w3", MAR_20, "lost");
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (s_line (root, "c3/w3/mgr/team"), "amount"), -USD (200));
    assert_int_equal (s_integer (root, "net_payout"), USD (90));
    json_decref (root);
    s_fixture_free (&fixture);

    /* two levels up, with c's credit read too */
    s_fixture (&fixture, "region:emea");
    s_org (&fixture);
    s_plan (&fixture, MANAGER_PLAN ("mgr", "{\"id\": \"region:emea\"}", "{\"levels\": 2}"), 1, -1);
    s_team_deals (&fixture, true);
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (s_line (root, "w1/mgr/team"), "amount"), 10000);
    assert_int_equal (s_integer (s_line (root, "w3/mgr/team"), "amount"), USD (200));
    assert_int_equal (s_integer (root, "net_payout"), USD (300));
    json_decref (root);
    /* one level is not enough: emea is two above its reps */
    s_fixture_free (&fixture);
    s_fixture (&fixture, "region:emea");
    s_org (&fixture);
    s_plan (&fixture, MANAGER_PLAN ("mgr", "{\"id\": \"region:emea\"}", "{\"levels\": 1}"), 1, -1);
    s_team_deals (&fixture, true);
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_line_count (root), 0);
    json_decref (root);
    s_fixture_free (&fixture);

    /* the whole deal */
    s_fixture (&fixture, "team:north");
    s_org (&fixture);
    s_plan (&fixture,
            MANAGER_PLAN ("mgr", "{\"id\": \"team:north\"}", "{\"levels\": 1, \"mode\": \"full\"}"),
            1, -1);
    s_team_deals (&fixture, false);
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (s_line (root, "w1/mgr/team"), "amount"), 10000);
    assert_int_equal (s_integer (root, "net_payout"), USD (300));
    json_decref (root);
    /* without an org, nobody is under the node */
    sp_org_destroy (&fixture.org);
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_line_count (root), 0);
    json_decref (root);
    s_fixture_free (&fixture);
}

/* A role plan pays the reps whose org role it names: a ("ae") earns 10 %
   of 4,000.00 = 400.00; without the role the deal is not credited. */
static void
test_role (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "a");
    s_plan (&fixture,
            "{\"name\": \"ae-role\", \"currency\": \"USD\", \"period\": \"quarter\", "
            "\"assign\": {\"role\": \"ae\"}, \"components\": [{\"id\": \"revenue\", "
            "\"measure\": \"revenue\", \"quota\": \"1000000.00\", \"table\": {\"bands\": "
            "[{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}",
            1, -1);
    s_credit (&fixture, "w1", JAN_10, USD (4000), "USD");
    fixture.input.role = "ae";
    json_t *root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_integer (s_line (root, "w1/ae-role/revenue"), "amount"), USD (400));
    json_decref (root);
    fixture.input.role = "se";
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_line_count (root), 0);
    json_t *not_credited = json_array_get (json_object_get (root, "not_credited"), 0);
    assert_string_equal (s_text (not_credited, "reason"), "plan ae-role@1 does not name the rep");
    json_decref (root);
    fixture.input.role = NULL;
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_line_count (root), 0);
    json_decref (root);
    s_fixture_free (&fixture);
}

// ---------------------------------------------------------------- true-up

/* docs/incentives.md, "True-up": a monthly plan paying 10 % of revenue
   capped at 2,000.00 a month, with "true_up" window. April 10,000.00,
   May 27,000.00 and June 15,000.00 pay 1,000.00, 2,000.00 (capped: 2,700
   earned) and 1,500.00 = 4,500.00; the quarter's 52,000.00 earns
   5,200.00 (cap 6,000.00): true-up +700.00 in June, which pays 2,200.00. */
#define TRUE_UP_PLAN(window)                                                                       \
    "{\"name\": \"ae-2025\", \"currency\": \"USD\", \"period\": \"month\", "                       \
    "\"true_up\": \"" window "\", \"assign\": {\"reps\": [{\"id\": \"rep-1\"}]}, "                 \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "                            \
    "\"quota\": \"20000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}], "       \
    "\"cap\": {\"payout\": \"2000.00\"}}}]}"
#define JUN_20 INT64_C (1750377600000) /* 2025-06-20T00:00:00Z */
#define DEC_15 INT64_C (1765756800000) /* 2025-12-15T00:00:00Z */

static void
s_quarter_deals (s_fixture_t *fixture, const char *window)
{
    s_fixture (fixture, "rep-1");
    fixture->input.kind = SP_PERIOD_MONTH;
    if (strcmp (window, "quarter") == 0)
        s_plan (fixture, TRUE_UP_PLAN ("quarter"), 1, -1);
    else
        s_plan (fixture, TRUE_UP_PLAN ("year"), 1, -1);
    s_credit (fixture, "t4", MID_APR, USD (10000), "USD");
    s_credit (fixture, "t5", MID_MAY, USD (27000), "USD");
    s_credit (fixture, "t6", MID_JUN, USD (15000), "USD");
}

static void
test_true_up (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_quarter_deals (&fixture, "quarter");
    const char *months[] = { "2025-04", "2025-05" };
    const int64_t paid[] = { USD (1000), USD (2000) };
    for (size_t index = 0; index < 2; index++) {
        json_t *root = s_parsed (&fixture, months[index]);
        assert_int_equal (s_integer (root, "net_payout"), paid[index]);
        assert_false (s_has_line (root, "true-up/ae-2025/2025-Q2"));
        json_decref (root);
    }
    json_t *root = s_parsed (&fixture, "2025-06");
    assert_int_equal (s_integer (s_line (root, "t6/ae-2025/revenue"), "amount"), USD (1500));
    json_t *line = s_line (root, "true-up/ae-2025/2025-Q2");
    assert_string_equal (s_text (line, "kind"), "true_up");
    assert_int_equal (s_integer (line, "amount"), USD (700));
    assert_string_equal (s_text (line, "period"), "2025-06");
    assert_string_equal (s_explained (line, "type"), "true_up");
    assert_string_equal (s_explained (line, "reason"),
                         "ae-2025@1 over 2025-Q2: earned 5200.00 on the quarter's cumulative "
                         "measures, 4500.00 paid in its periods");
    assert_int_equal (s_integer (root, "net_payout"), USD (2200));
    assert_string_equal (json_string_value (json_array_get (json_object_get (root, "plans"), 0)),
                         "ae-2025@1");
    json_decref (root);
    /* the next quarter starts afresh */
    root = s_parsed (&fixture, "2025-07");
    assert_int_equal (s_line_count (root), 0);
    json_decref (root);

    /* Closed April to June as shown; a late April deal of 1,000.00 pays
       100.00 in July, and the true-up is unchanged: 5,300.00 earned,
       4,600.00 paid. */
    for (size_t index = 0; index < 3; index++) {
        const char *labels[] = { "2025-04", "2025-05", "2025-06" };
        char *text = s_json (&fixture, labels[index]);
        s_close (&fixture, labels[index], text);
        free (text);
    }
    s_credit (&fixture, "t4b", MID_APR + 1, USD (1000), "USD");
    root = s_parsed (&fixture, "2025-07");
    assert_int_equal (s_line_count (root), 1);
    assert_int_equal (s_sum (root, "adjustment", "late"), USD (100));
    assert_int_equal (s_integer (root, "net_payout"), USD (100));
    json_decref (root);
    s_fixture_free (&fixture);

    /* May's deal cancelled on 06-20: clawback -2,000.00 in June; the
       quarter's 25,000.00 earns 2,500.00, exactly what was paid (1,000 +
       2,000 + 1,500 - 2,000): no true-up; June is a deficit of 500.00. */
    s_quarter_deals (&fixture, "quarter");
    s_cancel (&fixture, "x5", "t5", JUN_20, "lost");
    root = s_parsed (&fixture, "2025-06");
    assert_false (s_has_line (root, "true-up/ae-2025/2025-Q2"));
    assert_int_equal (s_sum (root, "clawback", NULL), -USD (2000));
    assert_int_equal (s_integer (root, "net_payout"), 0);
    assert_int_equal (s_integer (root, "closing_balance"), USD (500));
    json_decref (root);
    s_fixture_free (&fixture);

    /* A year window: nothing in June; December settles the year: 52,000.00
       earns 5,200.00 (cap 24,000.00), 4,500.00 paid: +700.00. */
    s_quarter_deals (&fixture, "year");
    root = s_parsed (&fixture, "2025-06");
    assert_int_equal (s_integer (root, "net_payout"), USD (1500));
    json_decref (root);
    root = s_parsed (&fixture, "2025-12");
    assert_int_equal (s_integer (s_line (root, "true-up/ae-2025/2025"), "amount"), USD (700));
    assert_int_equal (s_integer (root, "net_payout"), USD (700));
    json_decref (root);
    /* a December deal of 30,000.00: capped at 2,000.00 in the month; the
       year's 82,000.00 earns 8,200.00, 6,500.00 paid: +1,700.00 */
    s_credit (&fixture, "t12", DEC_15, USD (30000), "USD");
    root = s_parsed (&fixture, "2025-12");
    assert_int_equal (s_integer (s_line (root, "true-up/ae-2025/2025"), "amount"), USD (1700));
    assert_int_equal (s_integer (root, "net_payout"), USD (3700));
    json_decref (root);
    s_fixture_free (&fixture);
}

// ---------------------------------------------------------------- overlay credits

/* A quarterly overlay plan: spec-1 gets 50 % of every deal of rep-1 and
   rep-2 as its credit, paid at 10 %. */
#define OVERLAY_PLAN                                                                               \
    "{\"name\": \"spec\", \"currency\": \"USD\", \"period\": \"quarter\", "                        \
    "\"assign\": {\"reps\": [{\"id\": \"rep-1\"}, {\"id\": \"rep-2\"}]}, "                         \
    "\"overlays\": [{\"rep\": \"spec-1\", \"percent\": \"50\"}], "                                 \
    "\"components\": [{\"id\": \"overlay\", \"measure\": \"revenue\", "                            \
    "\"quota\": \"1000000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}"
/* spec-1's own plan: the tiers on its own deals. */
#define SPEC_OWN_PLAN PLAN ("quarter", "{\"id\": \"spec-1\"}", "USD", TIERS ("marginal"))
#define FEB_20 INT64_C (1740009600000) /* 2025-02-20T00:00:00Z */

/* The deals of spec-1's statement (team credits: the reps the overlay
   plan names, and one deal of rep-3, which it does not):
     w1 10,000.00 on Jan 10, rep-1 60 % (6,000.00) and rep-2 40 %
        (4,000.00): overlaid once, 50 % of the whole deal = 5,000.00,
        pays 500.00;
     w2 1,000.01 on Feb 10, rep-1's: 50 % = 500.005, rounded once half
        away from zero to 500.01, pays 50.00 (50.001);
     w3 3,000.00 on Feb 20, rep-1 50 % and spec-1 50 %: spec-1's own deal,
        never overlaid; its own plan pays its 1,500.00 at 5 %: 75.00;
     w4 2,000.00 on Mar 10, rep-3's: not named, nothing;
     w5 4,000.00 on Mar 10, rep-2's: 2,000.00, pays 200.00; cancelled on
        Apr 15: clawback -200.00 in Q2.
   Q1: 500.00 + 50.00 + 200.00 + 75.00 = 825.00. */
static void
s_overlay_deals (s_fixture_t *fixture)
{
    s_fixture (fixture, "spec-1");
    s_plan (fixture, OVERLAY_PLAN, 1, -1);
    s_plan (fixture, SPEC_OWN_PLAN, 1, -1);
    s_team_credit (fixture, "w1", JAN_10, "rep-1", 6000, USD (6000), USD (10000));
    s_team_credit (fixture, "w1", JAN_10, "rep-2", 4000, USD (4000), USD (10000));
    s_team_credit (fixture, "w2", FEB_10, "rep-1", 10000, 100001, 100001);
    s_team_credit (fixture, "w3", FEB_20, "rep-1", 5000, USD (1500), USD (3000));
    s_team_credit (fixture, "w5", MAR_10, "rep-2", 10000, USD (4000), USD (4000));
    s_team_credit (fixture, "w4", MAR_10, "rep-3", 10000, USD (2000), USD (2000));
    s_credit (fixture, "w3", FEB_20, USD (3000), "USD");
    fixture->credits[0].credit_bp = 5000;
    fixture->credits[0].revenue = USD (1500);
    s_cancel (fixture, "c5", "w5", APR_15, "lost to a competitor");
    s_cancel (fixture, "c4", "w4", MAR_20, "");
}

/* The five credits of rep-1 and rep-2 in order (rep-3's stays last), the
   two cancellations flipped. */
static void
s_shuffle_team (s_fixture_t *shuffled, const s_fixture_t *base, const size_t *order, size_t flip)
{
    for (size_t index = 0; index < 5; index++) {
        shuffled->team[index] = base->team[order[index]];
        shuffled->team_new_logo[index] = base->team_new_logo[order[index]];
    }
    shuffled->cancels[0] = base->cancels[flip];
    shuffled->cancels[1] = base->cancels[1 - flip];
}

static void
test_overlay (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_overlay_deals (&fixture);
    char *q1 = s_json (&fixture, "2025-Q1");
    char *q2 = s_json (&fixture, "2025-Q2");
    json_t *root = json_loads (q1, 0, NULL);
    assert_int_equal (s_line_count (root), 4);
    /* the split deal, once at 50 % of the whole */
    json_t *line = s_line (root, "w1/spec/overlay");
    assert_int_equal (s_integer (line, "amount"), USD (500));
    assert_string_equal (s_explained (line, "credit_percent"), "50.00");
    assert_int_equal (s_integer (json_object_get (line, "explanation"), "base"), USD (5000));
    assert_string_equal (s_explained (line, "plan_version"), "spec@1");
    /* half a cent: 500.005 -> 500.01 */
    line = s_line (root, "w2/spec/overlay");
    assert_int_equal (s_integer (json_object_get (line, "explanation"), "base"), 50001);
    assert_int_equal (s_integer (line, "amount"), 5000);
    /* its own deal: its own plan only */
    assert_false (s_has_line (root, "w3/spec/overlay"));
    assert_int_equal (s_integer (s_line (root, "w3/ae-2025/revenue"), "amount"), 7500);
    assert_false (s_has_line (root, "w4/spec/overlay"));
    assert_int_equal (s_integer (s_line (root, "w5/spec/overlay"), "amount"), USD (200));
    assert_false (s_has_line (root, "w1/ae-2025/revenue")); /* overlays pay under their plan */
    assert_int_equal (s_integer (root, "net_payout"), USD (825));
    /* w3 is paid by its own plan: nothing is listed as not credited */
    json_t *not_credited = json_object_get (root, "not_credited");
    assert_int_equal (json_array_size (not_credited), 0);
    json_decref (root);
    /* the cancellation's clawback, in its own period */
    root = json_loads (q2, 0, NULL);
    assert_int_equal (s_sum (root, "clawback", NULL), -USD (200));
    assert_int_equal (s_sum (root, "earning", NULL), 0);
    line = s_line (root, "c5/w5/spec/overlay");
    assert_string_equal (s_text (line, "kind"), "clawback");
    assert_int_equal (s_integer (line, "amount"), -USD (200));
    assert_string_equal (s_explained (line, "reason"), "lost to a competitor");
    assert_int_equal (s_integer (root, "net_payout"), 0);
    json_decref (root);

    s_every_order (&fixture, s_shuffle_team, q1, q2);
    free (q1);
    free (q2);

    /* a later version in force from Mar 1 at 25 %: w5 (Mar 10) is
       overlaid under it only: 1,000.00 pays 100.00 */
    s_plan (&fixture,
            "{\"name\": \"spec\", \"currency\": \"USD\", \"period\": \"quarter\", "
            "\"assign\": {\"reps\": [{\"id\": \"rep-1\"}, {\"id\": \"rep-2\"}]}, "
            "\"overlays\": [{\"rep\": \"spec-1\", \"percent\": \"25\"}], "
            "\"components\": [{\"id\": \"overlay\", \"measure\": \"revenue\", "
            "\"quota\": \"1000000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": "
            "\"0.1\"}]}}]}",
            2, INT64_C (1740787200000) /* 2025-03-01 */);
    root = s_parsed (&fixture, "2025-Q1");
    line = s_line (root, "w5/spec/overlay");
    assert_int_equal (s_integer (line, "amount"), USD (100));
    assert_string_equal (s_explained (line, "plan_version"), "spec@2");
    assert_string_equal (s_explained (line, "credit_percent"), "25.00");
    assert_int_equal (s_integer (s_line (root, "w1/spec/overlay"), "amount"), USD (500));
    assert_int_equal (s_integer (root, "net_payout"), USD (725));
    json_decref (root);
    s_fixture_free (&fixture);

    /* rep-1, whose deals are overlaid, is paid nothing by the plan */
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, OVERLAY_PLAN, 1, -1);
    s_credit (&fixture, "w2", FEB_10, 100001, "USD");
    root = s_parsed (&fixture, "2025-Q1");
    assert_int_equal (s_line_count (root), 0);
    not_credited = json_array_get (json_object_get (root, "not_credited"), 0);
    assert_string_equal (s_text (not_credited, "reason"),
                         "plan spec@1 pays its overlay reps on the deals of the reps it names");
    json_decref (root);
    s_fixture_free (&fixture);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_draw_acceptance),
        cmocka_unit_test (test_draw_periods),
        cmocka_unit_test (test_attainment_drops),
        cmocka_unit_test (test_payment_trigger),
        cmocka_unit_test (test_clawback_recompute),
        cmocka_unit_test (test_rollup),
        cmocka_unit_test (test_role),
        cmocka_unit_test (test_true_up),
        cmocka_unit_test (test_overlay),
    };
    return cmocka_run_group_tests_name ("incentive_statement_terms", tests, NULL, NULL);
}
