/*  test_incentive_statement_golden - statements that must not change by
    a byte when the statement's code is made faster.

    Two inputs, each far bigger than the hand-worked cases of
    test_incentive_statement.c, computed by incentive_statement_json and
    checked against the length and a 64-bit hash of the JSON the code
    gave before the statement was made fast (docs/incentive-calculator.md,
    "Tests"):

      - the benchmark's statement (bench/bench_incentive.c): 10,000 deals
        of one rep in one quarter, marginal tiers 4 % / 7 % / 10 % on the
        quarter's revenue, one in five split 60/40, a SPIFF of 250.00 per
        new logo capped at 5,000.00 (19,049 lines);
      - a statement with every kind of line: two quarterly plans (tiers on
        revenue and a retroactive margin component with attainment drops
        and recomputed clawbacks, a draw, a SPIFF; a payment-triggered
        plan), a monthly plan (not credited), deals in another currency,
        cancellations in the deal's quarter and the next, payments, and a
        closed first quarter whose deals arrive late, corrected in the
        second (late and correction adjustments, held and released lines,
        clawbacks, draws and recoveries).

    Each is also written to a file as it is made (incentive_statement_write,
    in pieces) and must be the same bytes. A mismatch prints the new
    length and hash; the documents themselves
    are written when SP_GOLDEN_DIR names a folder (to diff two versions).
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

#include "incentive_plan.h"
#include "incentive_record.h"
#include "incentive_statement.h"
#include "sp_hash.h"
#include "sp_period.h"
#include "sp_tz.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define DAY_MS INT64_C (86400000)
#define APR_1_2026 INT64_C (1775001600000) /* 2026-04-01T00:00:00Z */
#define JAN_1_2025 INT64_C (1735689600000) /* 2025-01-01T00:00:00Z */
#define QUARTER_SPAN_MS (90 * DAY_MS)
#define HASH_SEED UINT64_C (0x5a1e5b17)
#define MAX_PLANS 4
#define BENCH_DEALS 10000
#define BENCH_CUSTOMERS 50000
#define RICH_DEALS 400
#define RICH_CLOSED_DEALS 300 /* the first ones: known when 2025-Q1 closed */
#define PATH_SIZE 512

/* The benchmark's plan (bench/bench_incentive.c, s_write_plan), naming
   the statement's rep and the next. */
#define BENCH_PLAN                                                                                 \
    "{\"name\": \"ae-bench\", \"currency\": \"USD\", \"period\": \"quarter\", "                    \
    "\"trigger\": \"booking\", \"assign\": {\"reps\": [{\"id\": \"rep-0000\"}, "                   \
    "{\"id\": \"rep-0001\"}]}, \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "  \
    "\"quota\": \"600000.00\", \"table\": {\"basis\": \"amount\", \"pays\": \"rate\", "            \
    "\"bands\": [{\"lo\": \"0\", \"hi\": \"300000\", \"rate\": \"0.04\"}, "                        \
    "{\"lo\": \"300000\", \"hi\": \"600000\", \"rate\": \"0.07\"}, "                               \
    "{\"lo\": \"600000\", \"rate\": \"0.10\"}]}}], "                                               \
    "\"spiffs\": [{\"id\": \"new-logo-push\", \"measure\": \"new_logos\", "                        \
    "\"from\": \"2026-04-01\", \"to\": \"2026-10-01\", \"pays\": \"fixed\", "                      \
    "\"amount\": \"250.00\", \"cap\": \"5000.00\"}]}"

/* Tiers on revenue and a retroactive margin component, a draw, a SPIFF,
   attainment drops and recomputed clawbacks. */
#define RICH_PLAN                                                                                  \
    "{\"name\": \"ae-rich\", \"currency\": \"USD\", \"period\": \"quarter\", "                     \
    "\"clawback\": {\"reverse\": \"recompute\", \"attainment_drops\": true}, "                     \
    "\"draw\": {\"amount\": \"2000.00\", \"recoverable\": true}, "                                 \
    "\"target_incentive\": \"30000.00\", "                                                         \
    "\"assign\": {\"reps\": [{\"id\": \"rep-1\", \"from\": \"2025-01-05\"}]}, "                    \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"weight\": 0.7, "           \
    "\"quota\": \"100000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"hi\": \"50000\", "        \
    "\"rate\": \"0.05\"}, {\"lo\": \"50000\", \"hi\": \"100000\", \"rate\": \"0.1\"}, "            \
    "{\"lo\": \"100000\", \"rate\": \"0.125\"}]}}, "                                               \
    "{\"id\": \"margin\", \"measure\": \"margin\", \"quota\": \"40000.00\", \"weight\": 0.3, "     \
    "\"table\": {\"basis\": \"attainment\", \"pays\": \"target_incentive\", \"bands\": "           \
    "[{\"lo\": \"0\", \"hi\": \"1\", \"rate\": \"1\"}, "                                           \
    "{\"lo\": \"1\", \"rate\": \"1.5\", \"mode\": \"retroactive\"}]}}], "                          \
    "\"spiffs\": [{\"id\": \"logo\", \"measure\": \"new_logos\", \"from\": \"2025-02-01\", "       \
    "\"to\": \"2025-06-01\", \"pays\": \"fixed\", \"amount\": \"100.00\", \"cap\": \"700.00\"}]}"

/* Paid as the deals' payments are received. */
#define PAYMENT_PLAN                                                                               \
    "{\"name\": \"pay-rich\", \"currency\": \"USD\", \"period\": \"quarter\", "                    \
    "\"trigger\": \"payment\", \"clawback\": {\"reverse\": \"recompute\"}, "                       \
    "\"assign\": {\"reps\": [{\"id\": \"rep-1\"}]}, "                                              \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "                            \
    "\"quota\": \"1000000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.013\"}]}}]}"

/* Pays per month: not a quarter's statement. */
#define MONTHLY_PLAN                                                                               \
    "{\"name\": \"monthly\", \"currency\": \"USD\", \"period\": \"month\", "                       \
    "\"assign\": {\"reps\": [{\"id\": \"rep-1\"}]}, "                                              \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "                            \
    "\"quota\": \"1000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}"

/* A statement and what it must be. */
typedef struct {
    const char *name;   /* for messages and SP_GOLDEN_DIR */
    const char *period; /* its label */
    size_t length;      /* bytes of its JSON */
    uint64_t hash;      /* sp_hash_bytes of them, HASH_SEED */
} s_golden_t;

/* Everything an input borrows. */
typedef struct {
    sp_tz_t *tz;
    incentive_plan_t *parsed[MAX_PLANS];
    incentive_statement_plan_t plans[MAX_PLANS];
    size_t plan_count;
    incentive_record_credit_t *credits;
    bool *new_logo;
    size_t credit_count;
    incentive_record_cancel_t *cancels;
    size_t cancel_count;
    incentive_record_payment_t *payments;
    size_t payment_count;
    incentive_statement_closed_t closed[1];
    char *document; /* the stored statement of the closed quarter */
    incentive_statement_input_t input;
} s_fixture_t;

/* splitmix64's finaliser, as the benchmark's. */
static uint64_t
s_mix (uint64_t value)
{
    value ^= value >> 33;
    value *= UINT64_C (0xff51afd7ed558ccd);
    value ^= value >> 33;
    value *= UINT64_C (0xc4ceb9fe1a85ec53);
    return value ^ (value >> 33);
}

static void
s_fixture (s_fixture_t *fixture, const char *rep_id, size_t credits, size_t cancels,
           size_t payments)
{
    memset (fixture, 0, sizeof *fixture);
    char error[256] = "";
    fixture->tz = sp_tz_new ("UTC", error, sizeof error);
    assert_non_null (fixture->tz);
    fixture->credits = calloc (credits, sizeof *fixture->credits);
    fixture->new_logo = calloc (credits, sizeof *fixture->new_logo);
    fixture->cancels = calloc (cancels ? cancels : 1, sizeof *fixture->cancels);
    fixture->payments = calloc (payments ? payments : 1, sizeof *fixture->payments);
    assert_true (fixture->credits && fixture->new_logo && fixture->cancels && fixture->payments);
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
    free (fixture->credits);
    free (fixture->new_logo);
    free (fixture->cancels);
    free (fixture->payments);
    free (fixture->document);
    sp_tz_destroy (&fixture->tz);
}

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
    input->closed_count = fixture->document ? 1 : 0;
    return input;
}

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

/* Adds the rep's credit of share_bp on deal number deal. */
static incentive_record_credit_t *
s_credit (s_fixture_t *fixture, const char *event_format, size_t deal, int64_t occurred_at,
          int64_t amount, int32_t share_bp, const char *currency)
{
    incentive_record_credit_t *credit = &fixture->credits[fixture->credit_count];
    snprintf (credit->event_id, sizeof credit->event_id, event_format, deal);
    snprintf (credit->rep, sizeof credit->rep, "%s", fixture->input.rep_id);
    credit->occurred_at = occurred_at;
    snprintf (credit->deal, sizeof credit->deal, "opp-%zu", deal);
    snprintf (credit->customer, sizeof credit->customer, "cust-%05zu",
              (size_t) (s_mix (deal ^ 0x5eedU) % BENCH_CUSTOMERS));
    snprintf (credit->currency, sizeof credit->currency, "%s", currency);
    credit->credit_bp = share_bp;
    credit->deal_amount = amount;
    credit->revenue = amount * share_bp / 10000;
    fixture->credit_count++;
    return credit;
}

/* Checks the statement of golden's period against golden: true when it
   matches (a mismatch is printed, so every one of a test is seen). */
static bool
s_check (s_fixture_t *fixture, const s_golden_t *golden)
{
    char error[INCENTIVE_STATEMENT_ERROR_SIZE] = "";
    char *text = incentive_statement_json (s_input (fixture), golden->period, error, sizeof error);
    if (!text)
        fail_msg ("%s: %s", golden->name, error);
    size_t length = strlen (text);
    uint64_t hash = sp_hash_bytes (text, length, HASH_SEED);
    const char *folder = getenv ("SP_GOLDEN_DIR");
    if (folder && *folder) {
        char path[PATH_SIZE];
        snprintf (path, sizeof path, "%s/%s.json", folder, golden->name);
        FILE *file = fopen (path, "w");
        assert_non_null (file);
        assert_int_equal (fwrite (text, 1, length, file), length);
        assert_int_equal (fclose (file), 0);
    }
    /* written as it is made (incentive_statement_write, salesctl's
       statement --json): the same bytes */
    FILE *streamed = tmpfile ();
    assert_non_null (streamed);
    if (incentive_statement_write (s_input (fixture), golden->period, NULL, NULL, streamed, error,
                                   sizeof error) != 0)
        fail_msg ("%s, written to a file: %s", golden->name, error);
    long streamed_length = ftell (streamed);
    assert_true (streamed_length >= 0);
    char *back = malloc ((size_t) streamed_length + 1);
    assert_non_null (back);
    rewind (streamed);
    assert_int_equal (fread (back, 1, (size_t) streamed_length, streamed), streamed_length);
    assert_int_equal (fclose (streamed), 0);
    assert_int_equal ((size_t) streamed_length, length);
    assert_memory_equal (back, text, length);
    free (back);
    free (text);
    if (length == golden->length && hash == golden->hash)
        return true;
    print_error ("%s: %zu bytes, hash 0x%016" PRIx64 ", expected %zu bytes, hash 0x%016" PRIx64
                 "\n",
                 golden->name, length, hash, golden->length, golden->hash);
    return false;
}

// ---------------------------------------------------------------- the benchmark's statement

static void
test_bench_statement (void **state)
{
    (void) state;
    static const s_golden_t goldens[] = {
        { "bench-2026-Q2", "2026-Q2", 8422263, UINT64_C (0x4e5439e6b5a7ef02) },
        { "bench-2026-Q3", "2026-Q3", 210, UINT64_C (0x24b59c1335803109) },
    };
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-0000", BENCH_DEALS, 0, 0);
    s_plan (&fixture, BENCH_PLAN, 1, -1);
    bool *seen = calloc (BENCH_CUSTOMERS, sizeof *seen);
    assert_non_null (seen);
    for (size_t deal = 0; deal < BENCH_DEALS; deal++) {
        int64_t amount = (int64_t) (100 + s_mix (deal) % 201) * 500;
        int64_t at = APR_1_2026 + (int64_t) ((double) deal * QUARTER_SPAN_MS / BENCH_DEALS);
        bool split = deal % 5 == 4;
        incentive_record_credit_t *credit = s_credit (&fixture, "bench:incentive:%zu", deal, at,
                                                      amount, split ? 6000 : 10000, "USD");
        size_t customer = (size_t) (s_mix (deal ^ 0x5eedU) % BENCH_CUSTOMERS);
        fixture.new_logo[fixture.credit_count - 1] = !seen[customer];
        seen[customer] = true;
        (void) credit;
    }
    free (seen);
    size_t matched = 0;
    for (size_t index = 0; index < COUNT (goldens); index++)
        matched += s_check (&fixture, &goldens[index]);
    s_fixture_free (&fixture);
    assert_int_equal (matched, COUNT (goldens));
}

// ---------------------------------------------------------------- every kind of line

/* Deal number deal of the rich case: Q1 2025 for the first half, Q2 for
   the rest; the late ones (from RICH_CLOSED_DEALS) in Q1 again. */
static int64_t
s_rich_time (size_t deal)
{
    size_t slot = deal < RICH_CLOSED_DEALS ? deal : deal - RICH_CLOSED_DEALS;
    int64_t quarter = deal < RICH_CLOSED_DEALS && deal >= RICH_CLOSED_DEALS / 2 ? 90 * DAY_MS : 0;
    if (deal >= RICH_CLOSED_DEALS)
        quarter = (deal % 2) ? 0 : 90 * DAY_MS;
    return JAN_1_2025 + quarter + (int64_t) (s_mix (slot + 7) % (89 * DAY_MS)) + 1000;
}

static void
s_rich_deals (s_fixture_t *fixture, size_t count)
{
    fixture->credit_count = 0;
    fixture->cancel_count = 0;
    fixture->payment_count = 0;
    for (size_t deal = 0; deal < count; deal++) {
        uint64_t mix = s_mix (deal * 31 + 3);
        int64_t amount = (int64_t) (mix % 2000000) + 1;
        int32_t share = deal % 7 == 3 ? 3333 : deal % 11 == 5 ? 5000 : 10000;
        const char *currency = deal % 37 == 9 ? "EUR" : "USD";
        incentive_record_credit_t *credit =
            s_credit (fixture, "won:%04zu", deal, s_rich_time (deal), amount, share, currency);
        if (deal % 3 != 0) {
            credit->has_margin = true;
            credit->margin = credit->revenue / (int64_t) (2 + mix % 5);
        }
        fixture->new_logo[fixture->credit_count - 1] = deal % 4 == 1;
        if (deal % 13 == 6) {
            incentive_record_cancel_t *cancel = &fixture->cancels[fixture->cancel_count++];
            memset (cancel, 0, sizeof *cancel);
            snprintf (cancel->event_id, sizeof cancel->event_id, "cancel:%04zu", deal);
            snprintf (cancel->won_event_id, sizeof cancel->won_event_id, "%s", credit->event_id);
            cancel->occurred_at = credit->occurred_at + (int64_t) (mix % (60 * DAY_MS)) + 1;
            incentive_record_reason_copy (cancel->reason, deal % 2 ? "customer \"walked\"" : "");
        }
        for (size_t payment = 0; deal % 4 != 2 && payment < deal % 3 + 1; payment++) {
            incentive_record_payment_t *paid = &fixture->payments[fixture->payment_count++];
            memset (paid, 0, sizeof *paid);
            snprintf (paid->event_id, sizeof paid->event_id, "pay:%04zu:%zu", deal, payment);
            snprintf (paid->deal, sizeof paid->deal, "%s", credit->deal);
            paid->occurred_at =
                credit->occurred_at + (int64_t) (s_mix (mix + payment) % (100 * DAY_MS)) - DAY_MS;
            snprintf (paid->currency, sizeof paid->currency, "%s", deal % 19 == 4 ? "EUR" : "USD");
            paid->amount = credit->deal_amount / (int64_t) (payment + 2);
        }
    }
}

static void
test_every_kind_of_line (void **state)
{
    (void) state;
    static const s_golden_t goldens[] = {
        { "rich-2025-Q1-open", "2025-Q1", 270300, UINT64_C (0x7a453c3216b810fa) },
        { "rich-2025-Q1", "2025-Q1", 270299, UINT64_C (0x2007cef4483a47a2) },
        { "rich-2025-Q2", "2025-Q2", 533159, UINT64_C (0x3e783bf7f40a44af) },
        { "rich-2025-Q3", "2025-Q3", 46457, UINT64_C (0x29f2a65c1f80eabc) },
        { "rich-2025-Q4", "2025-Q4", 445, UINT64_C (0xfae0f07376036cc3) },
    };
    s_fixture_t fixture;
    s_fixture (&fixture, "rep-1", RICH_DEALS, RICH_DEALS, 3 * RICH_DEALS);
    s_plan (&fixture, RICH_PLAN, 1, -1);
    s_plan (&fixture, PAYMENT_PLAN, 1, -1);
    s_plan (&fixture, MONTHLY_PLAN, 1, -1);
    /* 2025-Q1 closes on the deals known then; its statement is stored */
    s_rich_deals (&fixture, RICH_CLOSED_DEALS);
    size_t matched = s_check (&fixture, &goldens[0]);
    char error[INCENTIVE_STATEMENT_ERROR_SIZE] = "";
    incentive_statement_options_t closing = { .as_closed = true, .members = NULL };
    fixture.document = incentive_statement_json_with (s_input (&fixture), "2025-Q1", &closing, NULL,
                                                      error, sizeof error);
    if (!fixture.document)
        fail_msg ("close: %s", error);
    fixture.closed[0] =
        (incentive_statement_closed_t){ .label = "2025-Q1", .document = fixture.document };
    /* then the late deals and the rest */
    s_rich_deals (&fixture, RICH_DEALS);
    for (size_t index = 1; index < COUNT (goldens); index++)
        matched += s_check (&fixture, &goldens[index]);
    s_fixture_free (&fixture);
    assert_int_equal (matched, COUNT (goldens));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bench_statement),
        cmocka_unit_test (test_every_kind_of_line),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
