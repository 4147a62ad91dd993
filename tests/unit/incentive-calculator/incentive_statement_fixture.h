/*  incentive_statement_fixture - what the unit tests of
    incentive_statement share: a rep's facts built by hand (credits,
    cancellations, payments, plan versions, closed statements), the
    statement computed from them as JSON or as the ledger's statement,
    lookups into it, and every order of the facts for the tests of
    order independence. Money in USD cents; dates of 2025 as constants.
    Included by one test file per program. */
#ifndef INCENTIVE_STATEMENT_FIXTURE_H_INCLUDED
#define INCENTIVE_STATEMENT_FIXTURE_H_INCLUDED

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

static inline void
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

static inline void
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
static inline const incentive_statement_input_t *
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
static inline void
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
static inline void
s_credit (s_fixture_t *fixture, const char *event_id, int64_t occurred_at, int64_t amount,
          const char *currency)
{
    assert_true (fixture->credit_count < MAX_CREDITS);
    incentive_record_credit_t *credit = &fixture->credits[fixture->credit_count];
    memset (credit, 0, sizeof *credit);
    snprintf (credit->event_id, sizeof credit->event_id, "%s", event_id);
    snprintf (credit->rep, sizeof credit->rep, "%s", fixture->input.rep_id);
    credit->occurred_at = occurred_at;
    snprintf (credit->deal, sizeof credit->deal, "opp-%.124s", event_id); /* cut as before */
    snprintf (credit->customer, sizeof credit->customer, "cust-%.123s", event_id);
    snprintf (credit->currency, sizeof credit->currency, "%s", currency);
    credit->credit_bp = 10000;
    credit->deal_amount = amount;
    credit->revenue = amount;
    fixture->new_logo[fixture->credit_count] = true;
    fixture->credit_count++;
}

static inline void
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
static inline void
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
static inline void
s_close (s_fixture_t *fixture, const char *label, const char *document)
{
    assert_true (fixture->closed_count < MAX_CLOSED);
    size_t index = fixture->closed_count++;
    fixture->documents[index] = document ? strdup (document) : NULL;
    fixture->closed[index] =
        (incentive_statement_closed_t){ .label = label, .document = fixture->documents[index] };
}

/* The statement JSON of period (the caller frees). */
static inline char *
s_json (s_fixture_t *fixture, const char *period)
{
    char error[INCENTIVE_STATEMENT_ERROR_SIZE] = "";
    char *text = incentive_statement_json (s_input (fixture), period, error, sizeof error);
    if (!text)
        fail_msg ("statement of %s refused: %s", period, error);
    return text;
}

/* The statement JSON of period, parsed (the caller decrefs). */
static inline json_t *
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
static inline incentive_ledger_statement_t *
s_build (s_fixture_t *fixture, const char *period, const char **stored)
{
    char error[INCENTIVE_STATEMENT_ERROR_SIZE] = "";
    incentive_ledger_statement_t *statement =
        incentive_statement_build (s_input (fixture), period, stored, error, sizeof error);
    if (!statement)
        fail_msg ("statement of %s refused: %s", period, error);
    return statement;
}

static inline const incentive_ledger_line_t *
s_ledger_line (const incentive_ledger_statement_t *statement, const char *id)
{
    for (size_t index = 0; index < statement->line_count; index++)
        if (strcmp (statement->lines[index].id, id) == 0)
            return &statement->lines[index];
    fail_msg ("no line \"%s\"", id);
    return NULL;
}

static inline json_t *
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

static inline bool
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

static inline int64_t
s_integer (const json_t *object, const char *key)
{
    const json_t *value = json_object_get (object, key);
    if (!json_is_integer (value))
        fail_msg ("\"%s\" is not an integer", key);
    return (int64_t) json_integer_value (value);
}

static inline const char *
s_text (const json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    if (!text)
        fail_msg ("\"%s\" is not a string", key);
    return text;
}

static inline const char *
s_explained (const json_t *line, const char *key)
{
    return s_text (json_object_get (line, "explanation"), key);
}

static inline size_t
s_line_count (const json_t *root)
{
    return json_array_size (json_object_get (root, "lines"));
}

/* The sum of the amounts of the lines of kind (and explanation type
   when type is not NULL). */
static inline int64_t
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
static inline void
s_three_deals (s_fixture_t *fixture)
{
    s_credit (fixture, "w1", JAN_10, USD (4000), "USD");
    s_credit (fixture, "w2", FEB_10, USD (3000), "USD");
    s_credit (fixture, "w3", MAR_10, USD (4000), "USD");
}

/* The plan of the three deals, naming another rep. */
#define NOT_REP_1 PLAN ("quarter", "{\"id\": \"rep-2\"}", "USD", TIERS ("marginal"))

// ---------------------------------------------------------------- order independence

/* Next permutation of order (count items) in lexicographic order; false
   after the last. */
static inline bool
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
static inline void
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

#endif
