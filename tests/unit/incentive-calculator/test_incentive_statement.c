/*  test_incentive_statement - a rep's statement computed at query time
    from credits, new-logo flags, cancellations, plan versions and the
    statements stored when periods closed (incentive_statement).

    One quarterly plan pays on revenue, money in USD cents, tiers
        [0, 5,000.00) 5 %, [5,000.00, 10,000.00) 10 %, [10,000.00, ...) 15 %
    marginal (or retroactive). Three deals of 2025-Q1 (4,000.00 on Jan 10,
    3,000.00 on Feb 10, 4,000.00 on Mar 10), 11,000.00 in all:
      - marginal:    200.00 + (50.00 + 200.00) + (300.00 + 150.00) = 900.00
      - retroactive: 200.00 + (700.00 - 200.00) + (1,650.00 - 700.00) = 1,650.00
    Every other figure is worked out by hand next to its check.

    Order independence: every permutation of the credits (with their
    new-logo flags) and of the cancellations gives the same statement
    JSON, byte for byte. Closed periods: a stored statement is returned
    byte for byte; what changed under it (a late deal, a marginal line
    that moved, a cancellation) becomes adjustments in the first open
    period, and what a later closed period paid is never paid again.

    Plan terms (issue 13): the acceptance draw (2,000.00 a month over
    earnings 2,750, 3,000, 1,500, 2,375, 3,000, 2,750 pays 2,750, 3,000,
    2,000, 2,000, 2,875, 2,750), a draw of 3 periods, a draw ended by a
    later version, closed periods under a draw; clawbacks with attainment
    drops and recompute; the payment trigger's held and released lines,
    over every order of credits, payments and cancellations.
*/
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "incentive_plan.h"
#include "incentive_record.h"
#include "incentive_statement.h"
#include "sp_org.h"
#include "sp_period.h"
#include "sp_tz.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define USD(major) ((int64_t) (major) *100)
#define DAY_MS INT64_C (86400000)
#define DEC_31_2024 INT64_C (1735603200000) /* 2024-12-31T00:00:00Z */
#define JAN_1 INT64_C (1735689600000)       /* 2025-01-01T00:00:00Z */
#define JAN_10 INT64_C (1736467200000)      /* 2025-01-10T00:00:00Z */
#define FEB_10 INT64_C (1739145600000)      /* 2025-02-10T00:00:00Z */
#define FEB_15 INT64_C (1739577600000)      /* 2025-02-15T00:00:00Z */
#define MAR_10 INT64_C (1741564800000)      /* 2025-03-10T00:00:00Z */
#define MAR_20 INT64_C (1742428800000)      /* 2025-03-20T00:00:00Z */
#define APR_15 INT64_C (1744675200000)      /* 2025-04-15T00:00:00Z */
#define MAY_1 INT64_C (1746057600000)       /* 2025-05-01T00:00:00Z */
#define AUG_1 INT64_C (1754006400000)       /* 2025-08-01T00:00:00Z */
#define MAX_CREDITS 8
#define MAX_CANCELS 4
#define MAX_PLANS 4
#define MAX_CLOSED 4
#define MAX_PAYMENTS 6
/* Mid-month days of 2025, 00:00Z. */
#define MID_JAN INT64_C (1736899200000)
#define MID_FEB INT64_C (1739577600000)
#define MID_MAR INT64_C (1741996800000)
#define MID_APR INT64_C (1744675200000)
#define MID_MAY INT64_C (1747267200000)
#define MID_JUN INT64_C (1749945600000)
#define APR_1 INT64_C (1743465600000) /* 2025-04-01T00:00:00Z */

/* The tiers, one component paying a rate on revenue. */
#define TIERS(mode)                                                                                \
    "[{\"lo\": \"0\", \"hi\": \"5000\", \"rate\": \"0.05\", \"mode\": \"" mode "\"}, "             \
    "{\"lo\": \"5000\", \"hi\": \"10000\", \"rate\": \"0.1\", \"mode\": \"" mode "\"}, "           \
    "{\"lo\": \"10000\", \"rate\": \"0.15\", \"mode\": \"" mode "\"}]"
#define FLAT_20 "[{\"lo\": \"0\", \"rate\": \"0.2\"}]"
#define PLAN(period, reps, currency, bands)                                                        \
    "{\"name\": \"ae-2025\", \"currency\": \"" currency "\", \"period\": \"" period "\", "         \
    "\"assign\": {\"reps\": [" reps "]}, "                                                         \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "                            \
    "\"quota\": \"1000000.00\", \"table\": {\"bands\": " bands "}}]}"
#define REP_1 "{\"id\": \"rep-1\"}"
#define MARGINAL PLAN ("quarter", REP_1, "USD", TIERS ("marginal"))
#define RETROACTIVE PLAN ("quarter", REP_1, "USD", TIERS ("retroactive"))

/* Line ids: "<event id>/<plan name>/<rule id>". */
#define LINE(event) event "/ae-2025/revenue"

// ---------------------------------------------------------------- fixture

/* Everything an input borrows, owned by the test. */
typedef struct {
    sp_tz_t *tz;
    incentive_plan_t *parsed[MAX_PLANS];
    incentive_statement_plan_t plans[MAX_PLANS];
    size_t plan_count;
    incentive_record_credit_t credits[MAX_CREDITS];
    bool new_logo[MAX_CREDITS];
    size_t credit_count;
    incentive_record_cancel_t cancels[MAX_CANCELS];
    size_t cancel_count;
    incentive_record_payment_t payments[MAX_PAYMENTS];
    size_t payment_count;
    incentive_statement_closed_t closed[MAX_CLOSED];
    char *documents[MAX_CLOSED]; /* owned copies of the stored statements */
    size_t closed_count;
    incentive_record_credit_t team[MAX_CREDITS]; /* credits of the reps under a node */
    bool team_new_logo[MAX_CREDITS];
    size_t team_count;
    sp_org_t *org; /* owned; NULL: none */
    incentive_statement_input_t input;
} s_fixture_t;

static void
s_fixture (s_fixture_t *fixture, const char *rep_id)
{
    memset (fixture, 0, sizeof *fixture);
    char error[256] = "";
    fixture->tz = sp_tz_new ("UTC", error, sizeof error);
    assert_non_null (fixture->tz);
    fixture->input.rep_id = rep_id;
    fixture->input.currency = "USD";
    fixture->input.tz = fixture->tz;
    fixture->input.kind = SP_PERIOD_QUARTER;
}

static void
s_fixture_free (s_fixture_t *fixture)
{
    for (size_t index = 0; index < fixture->plan_count; index++)
        incentive_plan_destroy (&fixture->parsed[index]);
    for (size_t index = 0; index < fixture->closed_count; index++)
        free (fixture->documents[index]);
    sp_org_destroy (&fixture->org);
    sp_tz_destroy (&fixture->tz);
}

/* Points the input at the fixture's arrays (after every addition). */
static const incentive_statement_input_t *
s_input (s_fixture_t *fixture)
{
    incentive_statement_input_t *input = &fixture->input;
    input->plans = fixture->plans;
    input->plan_count = fixture->plan_count;
    input->credits = fixture->credits;
    input->new_logo = fixture->new_logo;
    input->credit_count = fixture->credit_count;
    input->cancels = fixture->cancels;
    input->cancel_count = fixture->cancel_count;
    input->payments = fixture->payments;
    input->payment_count = fixture->payment_count;
    input->closed = fixture->closed;
    input->closed_count = fixture->closed_count;
    input->org = fixture->org;
    input->team_credits = fixture->team;
    input->team_new_logo = fixture->team_new_logo;
    input->team_credit_count = fixture->team_count;
    return input;
}

/* Adds version of the plan text, in force from effective_from (< 0: always). */
static void
s_plan (s_fixture_t *fixture, const char *text, int64_t version, int64_t effective_from)
{
    assert_true (fixture->plan_count < MAX_PLANS);
    char error[INCENTIVE_PLAN_ERROR_SIZE] = "";
    incentive_plan_t *plan = incentive_plan_new (text, strlen (text), error, sizeof error);
    if (!plan)
        fail_msg ("plan refused: %s", error);
    size_t index = fixture->plan_count++;
    fixture->parsed[index] = plan;
    fixture->plans[index] = (incentive_statement_plan_t){
        .name = incentive_plan_name (plan),
        .version = version,
        .has_effective_from = effective_from >= 0,
        .effective_from = effective_from >= 0 ? effective_from : 0,
        .plan = plan,
    };
}

/* Adds the rep's whole credit on a deal of amount (minor units). */
static void
s_credit (s_fixture_t *fixture, const char *event_id, int64_t occurred_at, int64_t amount,
          const char *currency)
{
    assert_true (fixture->credit_count < MAX_CREDITS);
    incentive_record_credit_t *credit = &fixture->credits[fixture->credit_count];
    memset (credit, 0, sizeof *credit);
    snprintf (credit->event_id, sizeof credit->event_id, "%s", event_id);
    snprintf (credit->rep, sizeof credit->rep, "%s", fixture->input.rep_id);
    credit->occurred_at = occurred_at;
    snprintf (credit->deal, sizeof credit->deal, "opp-%s", event_id);
    snprintf (credit->customer, sizeof credit->customer, "cust-%s", event_id);
    snprintf (credit->currency, sizeof credit->currency, "%s", currency);
    credit->credit_bp = 10000;
    credit->deal_amount = amount;
    credit->revenue = amount;
    fixture->new_logo[fixture->credit_count] = true;
    fixture->credit_count++;
}

static void
s_cancel (s_fixture_t *fixture, const char *event_id, const char *won_event_id, int64_t occurred_at,
          const char *reason)
{
    assert_true (fixture->cancel_count < MAX_CANCELS);
    incentive_record_cancel_t *cancel = &fixture->cancels[fixture->cancel_count++];
    memset (cancel, 0, sizeof *cancel);
    snprintf (cancel->event_id, sizeof cancel->event_id, "%s", event_id);
    snprintf (cancel->won_event_id, sizeof cancel->won_event_id, "%s", won_event_id);
    cancel->occurred_at = occurred_at;
    incentive_record_reason_copy (cancel->reason, reason);
}

/* Adds a payment of amount for the deal of won event won_event_id. */
static void
s_payment (s_fixture_t *fixture, const char *event_id, const char *won_event_id,
           int64_t occurred_at, int64_t amount, const char *currency)
{
    assert_true (fixture->payment_count < MAX_PAYMENTS);
    incentive_record_payment_t *payment = &fixture->payments[fixture->payment_count++];
    memset (payment, 0, sizeof *payment);
    snprintf (payment->event_id, sizeof payment->event_id, "%s", event_id);
    snprintf (payment->deal, sizeof payment->deal, "opp-%s", won_event_id);
    payment->occurred_at = occurred_at;
    snprintf (payment->currency, sizeof payment->currency, "%s", currency);
    payment->amount = amount;
}

/* Closes period with document stored (copied; NULL: none stored). */
static void
s_close (s_fixture_t *fixture, const char *label, const char *document)
{
    assert_true (fixture->closed_count < MAX_CLOSED);
    size_t index = fixture->closed_count++;
    fixture->documents[index] = document ? strdup (document) : NULL;
    fixture->closed[index] =
        (incentive_statement_closed_t){ .label = label, .document = fixture->documents[index] };
}

/* The statement JSON of period (the caller frees). */
static char *
s_json (s_fixture_t *fixture, const char *period)
{
    char error[INCENTIVE_STATEMENT_ERROR_SIZE] = "";
    char *text = incentive_statement_json (s_input (fixture), period, error, sizeof error);
    if (!text)
        fail_msg ("statement of %s refused: %s", period, error);
    return text;
}

/* The statement JSON of period, parsed (the caller decrefs). */
static json_t *
s_parsed (s_fixture_t *fixture, const char *period)
{
    char *text = s_json (fixture, period);
    json_error_t parse_error;
    json_t *root = json_loads (text, 0, &parse_error);
    if (!root)
        fail_msg ("statement of %s is not JSON: %s", period, parse_error.text);
    free (text);
    return root;
}

/* The ledger statement of period (the caller destroys it). */
static incentive_ledger_statement_t *
s_build (s_fixture_t *fixture, const char *period, const char **stored)
{
    char error[INCENTIVE_STATEMENT_ERROR_SIZE] = "";
    incentive_ledger_statement_t *statement =
        incentive_statement_build (s_input (fixture), period, stored, error, sizeof error);
    if (!statement)
        fail_msg ("statement of %s refused: %s", period, error);
    return statement;
}

static const incentive_ledger_line_t *
s_ledger_line (const incentive_ledger_statement_t *statement, const char *id)
{
    for (size_t index = 0; index < statement->line_count; index++)
        if (strcmp (statement->lines[index].id, id) == 0)
            return &statement->lines[index];
    fail_msg ("no line \"%s\"", id);
    return NULL;
}

static json_t *
s_line (const json_t *root, const char *id)
{
    size_t index;
    json_t *line;
    json_array_foreach (json_object_get (root, "lines"), index, line)
    {
        if (strcmp (json_string_value (json_object_get (line, "id")), id) == 0)
            return line;
    }
    fail_msg ("no line \"%s\"", id);
    return NULL;
}

static bool
s_has_line (const json_t *root, const char *id)
{
    size_t index;
    json_t *line;
    json_array_foreach (json_object_get (root, "lines"), index, line)
    {
        if (strcmp (json_string_value (json_object_get (line, "id")), id) == 0)
            return true;
    }
    return false;
}

static int64_t
s_integer (const json_t *object, const char *key)
{
    const json_t *value = json_object_get (object, key);
    if (!json_is_integer (value))
        fail_msg ("\"%s\" is not an integer", key);
    return (int64_t) json_integer_value (value);
}

static const char *
s_text (const json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    if (!text)
        fail_msg ("\"%s\" is not a string", key);
    return text;
}

static const char *
s_explained (const json_t *line, const char *key)
{
    return s_text (json_object_get (line, "explanation"), key);
}

static size_t
s_line_count (const json_t *root)
{
    return json_array_size (json_object_get (root, "lines"));
}

/* The sum of the amounts of the lines of kind (and explanation type
   when type is not NULL). */
static int64_t
s_sum (const json_t *root, const char *kind, const char *type)
{
    int64_t sum = 0;
    size_t index;
    json_t *line;
    json_array_foreach (json_object_get (root, "lines"), index, line)
    {
        if (strcmp (s_text (line, "kind"), kind) != 0)
            continue;
        const char *line_type =
            json_string_value (json_object_get (json_object_get (line, "explanation"), "type"));
        if (type && (!line_type || strcmp (line_type, type) != 0))
            continue;
        sum += s_integer (line, "amount");
    }
    return sum;
}

/* The three deals of 2025-Q1, 11,000.00 in all. */
static void
s_three_deals (s_fixture_t *fixture)
{
    s_credit (fixture, "w1", JAN_10, USD (4000), "USD");
    s_credit (fixture, "w2", FEB_10, USD (3000), "USD");
    s_credit (fixture, "w3", MAR_10, USD (4000), "USD");
}

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

// ---------------------------------------------------------------- order independence

/* Next permutation of order (count items) in lexicographic order; false
   after the last. */
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
    size_t kept = order[pivot - 1];
    order[pivot - 1] = order[swap];
    order[swap] = kept;
    for (size_t left = pivot, right = count - 1; left < right; left++, right--) {
        kept = order[left];
        order[left] = order[right];
        order[right] = kept;
    }
    return true;
}

/* Puts into shuffled (a copy of base) the order-th permutation of what a
   test permutes, and the flip-th order of the pair it swaps. */
typedef void (s_shuffle_fn) (s_fixture_t *shuffled, const s_fixture_t *base, const size_t *order,
                             size_t flip);

/* Every permutation of five items and both orders of a pair, as shuffle
   applies them to a copy of base, gives Q1 and Q2 byte for byte as q1
   and q2: 120 permutations, each with both orders. */
static void
s_every_order (const s_fixture_t *base, s_shuffle_fn *shuffle, const char *q1, const char *q2)
{
    size_t order[5] = { 0, 1, 2, 3, 4 };
    size_t permutations = 0;
    do {
        for (size_t flip = 0; flip < 2; flip++) {
            s_fixture_t shuffled = *base;
            shuffle (&shuffled, base, order, flip);
            char *again = s_json (&shuffled, "2025-Q1");
            assert_string_equal (again, q1);
            free (again);
            again = s_json (&shuffled, "2025-Q2");
            assert_string_equal (again, q2);
            free (again);
        }
        permutations++;
    } while (s_next_permutation (order, COUNT (order)));
    assert_int_equal (permutations, 120);
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
#define NOT_REP_1 PLAN ("quarter", "{\"id\": \"rep-2\"}", "USD", TIERS ("marginal"))

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

// ---------------------------------------------------------------- closed periods

/* Q1 closes with w1 and w3 (200.00 and F(8,000) - F(4,000) = 50.00 +
   300.00 = 350.00; 550.00 stored). Then w2 arrives late (Feb 10, before
   w3 in time) and w1 is cancelled on Apr 15; w4 (2,000.00) is won on
   May 1.
     Q1 now: w1 200.00, w2 250.00, w3 450.00 = 900.00; stored 550.00.
     Q2: late w2 +250.00, correction of w3 +100.00 (450.00 - 350.00),
         clawback of w1 -200.00, w4 100.00 (2,000.00 at 5 %): 250.00.
   Then Q2 closes: Q3 pays nothing again. */
static void
test_closed_periods (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_credit (&fixture, "w1", JAN_10, USD (4000), "USD");
    s_credit (&fixture, "w3", MAR_10, USD (4000), "USD");
    char *q1_stored = s_json (&fixture, "2025-Q1");
    json_t *root = json_loads (q1_stored, 0, NULL);
    assert_int_equal (s_integer (s_line (root, LINE ("w3")), "amount"), USD (350));
    assert_int_equal (s_integer (root, "net_payout"), USD (550));
    json_decref (root);
    s_close (&fixture, "2025-Q1", q1_stored);

    s_credit (&fixture, "w2", FEB_10, USD (3000), "USD");
    s_cancel (&fixture, "c1", "w1", APR_15, "customer churned");
    s_credit (&fixture, "w4", MAY_1, USD (2000), "USD");

    /* Q1 is the stored document, byte for byte. */
    char *q1 = s_json (&fixture, "2025-Q1");
    assert_string_equal (q1, q1_stored);
    free (q1);
    const char *stored = NULL;
    incentive_ledger_statement_t *statement = s_build (&fixture, "2025-Q1", &stored);
    assert_non_null (stored);
    assert_string_equal (stored, q1_stored);
    assert_true (statement->closed);
    incentive_ledger_statement_destroy (&statement);

    /* Q1 recomputed with every deal, as if it had never closed. */
    s_fixture_t open = fixture;
    open.closed_count = 0;
    root = s_parsed (&open, "2025-Q1");
    int64_t q1_now = s_integer (root, "net_payout");
    assert_int_equal (q1_now, USD (900));
    json_decref (root);

    char *q2_text = s_json (&fixture, "2025-Q2");
    root = json_loads (q2_text, 0, NULL);
    json_t *late = s_line (root, "2025-Q2~" LINE ("w2"));
    assert_string_equal (s_text (late, "kind"), "adjustment");
    assert_string_equal (s_text (late, "period"), "2025-Q2");
    assert_string_equal (s_text (late, "origin_period"), "2025-Q1");
    assert_string_equal (s_text (late, "event_id"), "w2");
    assert_int_equal (s_integer (late, "amount"), USD (250));
    assert_string_equal (s_explained (late, "type"), "late");
    assert_string_equal (s_explained (late, "link"), LINE ("w2"));
    assert_string_equal (s_explained (late, "adjusts"), "earning");
    json_t *correction = s_line (root, "2025-Q2~" LINE ("w3"));
    assert_string_equal (s_text (correction, "kind"), "adjustment");
    assert_string_equal (s_explained (correction, "type"), "correction");
    assert_string_equal (s_explained (correction, "link"), LINE ("w3"));
    assert_int_equal (s_integer (correction, "amount"), USD (100));
    /* w1 was paid 200.00 and is still worth 200.00: no adjustment. */
    assert_false (s_has_line (root, "2025-Q2~" LINE ("w1")));
    json_t *clawback = s_line (root, "c1/" LINE ("w1"));
    assert_string_equal (s_text (clawback, "kind"), "clawback");
    assert_string_equal (s_explained (clawback, "reverses"), LINE ("w1"));
    assert_int_equal (s_integer (clawback, "amount"), -USD (200));
    assert_int_equal (s_integer (s_line (root, LINE ("w4")), "amount"), USD (100));
    /* The adjustments are what Q1 is worth now less what it paid. */
    assert_int_equal (s_sum (root, "adjustment", NULL), q1_now - USD (550));
    assert_int_equal (s_sum (root, "adjustment", "late"), USD (250));
    assert_int_equal (s_sum (root, "adjustment", "correction"), USD (100));
    assert_int_equal (s_line_count (root), 4);
    assert_int_equal (s_integer (root, "net_payout"), USD (250));
    json_decref (root);

    /* Q3 before Q2 closes: Q2's adjustments are not Q3's. */
    root = s_parsed (&fixture, "2025-Q3");
    assert_int_equal (s_line_count (root), 0);
    json_decref (root);

    /* Q2 closes: it stays as stored, and Q3 pays nothing again, even with
       a deal of its own (1,000.00 on Aug 1: 50.00). */
    s_close (&fixture, "2025-Q2", q2_text);
    char *q2 = s_json (&fixture, "2025-Q2");
    assert_string_equal (q2, q2_text);
    free (q2);
    q1 = s_json (&fixture, "2025-Q1");
    assert_string_equal (q1, q1_stored);
    free (q1);
    root = s_parsed (&fixture, "2025-Q3");
    assert_int_equal (s_line_count (root), 0);
    assert_int_equal (s_integer (root, "net_payout"), 0);
    json_decref (root);
    s_credit (&fixture, "w5", AUG_1, USD (1000), "USD");
    root = s_parsed (&fixture, "2025-Q3");
    assert_int_equal (s_line_count (root), 1);
    assert_int_equal (s_sum (root, "adjustment", NULL), 0);
    assert_int_equal (s_integer (s_line (root, LINE ("w5")), "amount"), USD (50));
    assert_int_equal (s_integer (root, "net_payout"), USD (50));
    json_decref (root);

    /* A deal of Jan 5 (1,000.00) learned after Q2 closed. Q1 now:
       w0 F(1,000) = 50.00; w1 F(5,000) - F(1,000) = 200.00; w2 F(8,000)
       - F(5,000) = 300.00; w3 F(12,000) - F(8,000) = 200.00 + 300.00 =
       500.00. Paid so far, Q1 and Q2 together: w1 200.00, w2 250.00, w3
       450.00. Q3: late w0 +50.00, corrections w2 +50.00 and w3 +50.00;
       nothing for w1 (still 200.00) nor its clawback (-200.00, paid). */
    s_credit (&fixture, "w0", JAN_10 - 5 * DAY_MS, USD (1000), "USD");
    char *q3 = s_json (&fixture, "2025-Q3");
    root = json_loads (q3, 0, NULL);
    assert_int_equal (s_integer (s_line (root, "2025-Q3~" LINE ("w0")), "amount"), USD (50));
    assert_string_equal (s_explained (s_line (root, "2025-Q3~" LINE ("w0")), "type"), "late");
    json_t *moved = s_line (root, "2025-Q3~" LINE ("w2"));
    assert_string_equal (s_explained (moved, "type"), "correction");
    assert_int_equal (s_integer (moved, "amount"), USD (50));
    moved = s_line (root, "2025-Q3~" LINE ("w3"));
    assert_string_equal (s_explained (moved, "type"), "correction");
    assert_int_equal (s_integer (moved, "amount"), USD (50));
    assert_false (s_has_line (root, "2025-Q3~" LINE ("w1")));
    assert_false (s_has_line (root, "2025-Q3~c1/" LINE ("w1")));
    assert_int_equal (s_sum (root, "adjustment", NULL), USD (150));
    assert_int_equal (s_line_count (root), 4);
    assert_int_equal (s_integer (root, "net_payout"), USD (50 + 150));
    json_decref (root);
    /* Q1 as it would be now, less what Q1 and Q2 paid on it. */
    open = fixture;
    open.closed_count = 0;
    root = s_parsed (&open, "2025-Q1");
    assert_int_equal (s_integer (root, "net_payout"), USD (1050));
    json_decref (root);

    /* The closed periods and the credits in any order: the same Q3. */
    incentive_statement_closed_t kept = fixture.closed[0];
    fixture.closed[0] = fixture.closed[1];
    fixture.closed[1] = kept;
    size_t order[6] = { 0, 1, 2, 3, 4, 5 };
    assert_int_equal (fixture.credit_count, COUNT (order));
    do {
        s_fixture_t shuffled = fixture;
        for (size_t index = 0; index < COUNT (order); index++) {
            shuffled.credits[index] = fixture.credits[order[index]];
            shuffled.new_logo[index] = fixture.new_logo[order[index]];
        }
        char *again = s_json (&shuffled, "2025-Q3");
        assert_string_equal (again, q3);
        free (again);
    } while (s_next_permutation (order, COUNT (order)));
    free (q3);
    free (q2_text);
    free (q1_stored);
    s_fixture_free (&fixture);
}

/* A late cancellation whose clawback falls in a closed period becomes a
   late adjustment in the open one; a period closed with nothing stored
   paid nothing, so its lines come late too. */
static void
test_closed_late_clawback (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_three_deals (&fixture);
    char *q1_stored = s_json (&fixture, "2025-Q1");
    s_close (&fixture, "2025-Q1", q1_stored);
    /* Cancelled on Mar 20, learned after Q1 closed: -250.00 late in Q2. */
    s_cancel (&fixture, "c2", "w2", MAR_20, "");
    json_t *root = s_parsed (&fixture, "2025-Q2");
    json_t *late = s_line (root, "2025-Q2~c2/" LINE ("w2"));
    assert_string_equal (s_text (late, "kind"), "adjustment");
    assert_string_equal (s_explained (late, "type"), "late");
    assert_string_equal (s_explained (late, "adjusts"), "clawback");
    assert_string_equal (s_explained (late, "link"), "c2/" LINE ("w2"));
    assert_int_equal (s_integer (late, "amount"), -USD (250));
    /* Q2 owes 250.00: the deficit is carried, nothing is paid. */
    assert_int_equal (s_sum (root, "adjustment", "late"), -USD (250));
    assert_int_equal (s_sum (root, "adjustment", "deficit_carried"), USD (250));
    assert_int_equal (s_line_count (root), 2);
    assert_int_equal (s_integer (root, "net_payout"), 0);
    json_decref (root);
    char *q1 = s_json (&fixture, "2025-Q1");
    assert_string_equal (q1, q1_stored);
    free (q1);
    free (q1_stored);
    s_fixture_free (&fixture);

    /* Q1 closed with no stored statement: all 900.00 comes late in Q2. */
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_three_deals (&fixture);
    s_close (&fixture, "2025-Q1", NULL);
    const char *stored = "untouched";
    incentive_ledger_statement_t *statement = s_build (&fixture, "2025-Q1", &stored);
    assert_null (stored);
    incentive_ledger_statement_destroy (&statement);
    root = s_parsed (&fixture, "2025-Q2");
    assert_int_equal (s_line_count (root), 3);
    assert_int_equal (s_sum (root, "adjustment", "late"), USD (900));
    json_decref (root);
    s_fixture_free (&fixture);
}

/* A plan correction: version 2, in force from Jan 1, no longer names
   rep-1. Every Q1 line paid while Q1 was closed is worth 0 now: Q2 gets
   a correction of minus each (-200.00, -250.00, -450.00), linked to it. */
static void
test_closed_plan_correction (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1");
    s_plan (&fixture, MARGINAL, 1, -1);
    s_three_deals (&fixture);
    char *q1_stored = s_json (&fixture, "2025-Q1");
    s_close (&fixture, "2025-Q1", q1_stored);
    s_plan (&fixture, NOT_REP_1, 2, JAN_1);
    json_t *root = s_parsed (&fixture, "2025-Q2");
    json_t *line = s_line (root, "2025-Q2~" LINE ("w3"));
    assert_string_equal (s_text (line, "kind"), "adjustment");
    assert_string_equal (s_explained (line, "type"), "correction");
    assert_string_equal (s_explained (line, "link"), LINE ("w3"));
    assert_int_equal (s_integer (line, "amount"), -USD (450));
    assert_int_equal (s_sum (root, "adjustment", "correction"), -USD (900));
    assert_int_equal (s_integer (root, "net_payout"), 0);
    json_decref (root);
    char *q1 = s_json (&fixture, "2025-Q1");
    assert_string_equal (q1, q1_stored);
    free (q1);
    free (q1_stored);
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
        cmocka_unit_test (test_other_kind_of_plan),
        cmocka_unit_test (test_plan_order),
        cmocka_unit_test (test_closed_periods),
        cmocka_unit_test (test_closed_late_clawback),
        cmocka_unit_test (test_closed_plan_correction),
        cmocka_unit_test (test_long_ids),
        cmocka_unit_test (test_refused),
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
    return cmocka_run_group_tests (tests, NULL, NULL);
}
