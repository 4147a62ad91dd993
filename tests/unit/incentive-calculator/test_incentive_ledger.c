/*  test_incentive_ledger - statement lines, clawbacks, draws in statements,
    true-up, closed periods and order independence (incentive_ledger).

    Figures are worked out by hand in the comment above each assertion.
    The draw acceptance sequence of the issue is replayed through
    statements too. Order independence: every permutation of six inputs
    (earnings, an adjustment, two cancellations of one deal) gives the
    same statement JSON, byte for byte.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "incentive_credit.h"
#include "incentive_ledger.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define DAY_MS INT64_C (86400000)
#define MAY_1 INT64_C (1493596800000) /* 2017-05-01T00:00:00Z */
#define JUNE_1 (MAY_1 + 31 * DAY_MS)  /* 2017-06-01T00:00:00Z */

/* Text for the test's lines, kept to the end of the test (the ledger
   copies what it keeps). */
static const char *s_text (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
static const char *
s_text (const char *format, ...)
{
    static incentive_ledger_text_t *text;
    if (!text)
        text = incentive_ledger_text_new ();
    assert_non_null (text);
    char buffer[INCENTIVE_LEDGER_TEXT_SIZE * 2];
    va_list arguments;
    va_start (arguments, format);
    vsnprintf (buffer, sizeof buffer, format, arguments);
    va_end (arguments);
    return incentive_ledger_text_copy (text, buffer, sizeof buffer);
}

// ---------------------------------------------------------------- helpers

/* An earning line of event_id on deal, at base × rate (rate_units with 2
   decimals), paid amount. */
static incentive_ledger_line_t
s_earning (const char *id, const char *period, int64_t occurred_at, const char *event_id,
           int64_t base, int64_t rate_units, int64_t amount)
{
    incentive_ledger_line_t line;
    memset (&line, 0, sizeof line);
    line.id = s_text ("%s", id);
    line.kind = INCENTIVE_LEDGER_EARNING;
    line.period = s_text ("%s", period);
    line.occurred_at = occurred_at;
    line.event_id = s_text ("%s", event_id);
    line.amount = amount;
    line.deal = s_text ("opp-%s", event_id);
    line.credit_bp = 10000;
    line.measure = s_text ("revenue");
    line.base = base;
    line.attainment_before = (incentive_ledger_decimal_t){ 0, 2 };
    line.attainment_after = (incentive_ledger_decimal_t){ 50, 2 };
    line.band = s_text ("[0,5000000)");
    line.has_rate = true;
    line.rate = (incentive_ledger_decimal_t){ rate_units, 2 };
    line.mode = s_text ("marginal");
    line.rule_id = s_text ("rev-tiers");
    line.plan_version = s_text ("plan-2017@1");
    return line;
}

static incentive_ledger_cancel_t
s_cancel (const char *event_id, const char *won_event_id, int64_t occurred_at, const char *period,
          incentive_ledger_reverse_t reverse)
{
    incentive_ledger_cancel_t cancel;
    memset (&cancel, 0, sizeof cancel);
    snprintf (cancel.event_id, sizeof cancel.event_id, "%s", event_id);
    snprintf (cancel.won_event_id, sizeof cancel.won_event_id, "%s", won_event_id);
    cancel.occurred_at = occurred_at;
    snprintf (cancel.period, sizeof cancel.period, "%s", period);
    cancel.reverse = reverse;
    cancel.attainment_drops = true;
    snprintf (cancel.reason, sizeof cancel.reason, "budget frozen");
    return cancel;
}

static void
s_post (incentive_ledger_t *ledger, const incentive_ledger_line_t *line, const char *open_period)
{
    char error[INCENTIVE_LEDGER_ERROR_SIZE] = "";
    int rc = incentive_ledger_post (ledger, line, open_period, error, sizeof error);
    if (rc != 0)
        fail_msg ("post \"%s\" refused (%d): %s", line->id, rc, error);
}

static void
s_cancel_post (incentive_ledger_t *ledger, const incentive_ledger_cancel_t *cancel,
               const char *open_period)
{
    char error[INCENTIVE_LEDGER_ERROR_SIZE] = "";
    int rc = incentive_ledger_cancel (ledger, cancel, open_period, error, sizeof error);
    if (rc != 0)
        fail_msg ("cancel \"%s\" refused (%d): %s", cancel->event_id, rc, error);
}

static incentive_ledger_statement_t *
s_statement (const incentive_ledger_t *ledger, const char *period)
{
    char error[INCENTIVE_LEDGER_ERROR_SIZE] = "";
    incentive_ledger_statement_t *statement =
        incentive_ledger_statement (ledger, period, error, sizeof error);
    if (!statement)
        fail_msg ("statement of %s refused: %s", period, error);
    return statement;
}

/* The statement JSON of a period (caller frees). */
static char *
s_json (const incentive_ledger_t *ledger, const char *period)
{
    incentive_ledger_statement_t *statement = s_statement (ledger, period);
    char *text = incentive_ledger_statement_json (statement);
    assert_non_null (text);
    incentive_ledger_statement_destroy (&statement);
    assert_null (statement);
    return text;
}

static int64_t
s_net_payout (const incentive_ledger_t *ledger, const char *period)
{
    incentive_ledger_statement_t *statement = s_statement (ledger, period);
    int64_t net = statement->net_payout;
    incentive_ledger_statement_destroy (&statement);
    return net;
}

// ---------------------------------------------------------------- statements

/* A month of lines: order by occurred_at then event id, totals, JSON. */
static void
test_statement_totals (void **state)
{
    (void) state;
    incentive_ledger_t *ledger = incentive_ledger_new ("rep-ana", "EUR");
    assert_non_null (ledger);
    /* Posted out of order: 12,000.00 at 5 % = 600.00 on May 20, 8,000.00
       at 5 % = 400.00 on May 3, a correction of -25.50 on May 20 (same
       instant, event id "crm:fix:1" < "crm:won:2"). */
    incentive_ledger_line_t late =
        s_earning ("crm:won:2#0", "2017-05", MAY_1 + 19 * DAY_MS, "crm:won:2", 1200000, 5, 60000);
    incentive_ledger_line_t early =
        s_earning ("crm:won:1#0", "2017-05", MAY_1 + 2 * DAY_MS, "crm:won:1", 800000, 5, 40000);
    incentive_ledger_line_t fix;
    memset (&fix, 0, sizeof fix);
    fix.id = s_text ("crm:fix:1");
    fix.kind = INCENTIVE_LEDGER_ADJUSTMENT;
    fix.adjusts = INCENTIVE_LEDGER_EARNING;
    fix.period = s_text ("2017-05");
    fix.occurred_at = MAY_1 + 19 * DAY_MS;
    fix.event_id = s_text ("crm:fix:1");
    fix.amount = -2550;
    fix.type = s_text ("correction");
    fix.reason = s_text ("rate table corrected");
    fix.link = s_text ("crm:won:2#0");
    s_post (ledger, &late, NULL);
    s_post (ledger, &fix, NULL);
    s_post (ledger, &early, NULL);
    /* A redelivery is recognised; a clash is refused. */
    char error[INCENTIVE_LEDGER_ERROR_SIZE];
    assert_int_equal (incentive_ledger_post (ledger, &early, NULL, error, sizeof error), 1);
    incentive_ledger_line_t clash = early;
    clash.amount = 1;
    assert_int_equal (incentive_ledger_post (ledger, &clash, NULL, error, sizeof error), -1);
    assert_string_equal (error,
                         "line \"crm:won:1#0\": already posted with another event or amount");
    assert_int_equal (incentive_ledger_line_count (ledger), 3);
    assert_string_equal (incentive_ledger_line (ledger, 0)->id, "crm:won:2#0");

    incentive_ledger_statement_t *statement = s_statement (ledger, "2017-05");
    assert_int_equal (statement->line_count, 3);
    assert_string_equal (statement->lines[0].id, "crm:won:1#0");
    assert_string_equal (statement->lines[1].id, "crm:fix:1");
    assert_string_equal (statement->lines[2].id, "crm:won:2#0");
    /* 400.00 - 25.50 + 600.00 = 974.50 */
    assert_int_equal (statement->commission, 97450);
    assert_int_equal (statement->net_payout, 97450);
    assert_int_equal (statement->opening_balance, 0);
    assert_int_equal (statement->closing_balance, 0);
    assert_false (statement->closed);

    char *text = incentive_ledger_statement_json (statement);
    json_error_t json_error;
    json_t *root = json_loads (text, 0, &json_error);
    assert_non_null (root);
    assert_string_equal (json_string_value (json_object_get (root, "rep_id")), "rep-ana");
    assert_string_equal (json_string_value (json_object_get (root, "period")), "2017-05");
    assert_string_equal (json_string_value (json_object_get (root, "currency")), "EUR");
    assert_true (json_is_integer (json_object_get (root, "net_payout")));
    assert_int_equal (json_integer_value (json_object_get (root, "net_payout")), 97450);
    json_t *first = json_array_get (json_object_get (root, "lines"), 0);
    assert_string_equal (json_string_value (json_object_get (first, "kind")), "earning");
    assert_int_equal (json_integer_value (json_object_get (first, "amount")), 40000);
    json_t *explanation = json_object_get (first, "explanation");
    assert_string_equal (json_string_value (json_object_get (explanation, "rate")), "0.05");
    assert_string_equal (json_string_value (json_object_get (explanation, "credit_percent")),
                         "100.00");
    assert_string_equal (json_string_value (json_object_get (explanation, "attainment_after")),
                         "0.50");
    assert_int_equal (json_integer_value (json_object_get (explanation, "base")), 800000);
    json_t *second = json_array_get (json_object_get (root, "lines"), 1);
    explanation = json_object_get (second, "explanation");
    assert_string_equal (json_string_value (json_object_get (explanation, "type")), "correction");
    assert_string_equal (json_string_value (json_object_get (explanation, "link")), "crm:won:2#0");
    json_decref (root);
    free (text);
    incentive_ledger_statement_destroy (&statement);
    incentive_ledger_statement_destroy (&statement);
    incentive_ledger_destroy (&ledger);
    incentive_ledger_destroy (&ledger);
}

/* The draw acceptance, through monthly statements. */
static void
test_draw_acceptance_statements (void **state)
{
    (void) state;
    incentive_ledger_t *ledger = incentive_ledger_new ("rep-ana", "USD");
    const char *months[] = { "2017-01", "2017-02", "2017-03", "2017-04", "2017-05", "2017-06" };
    const int64_t earnings[] = { 275000, 300000, 150000, 237500, 300000, 275000 };
    const int64_t net[] = { 275000, 300000, 200000, 200000, 287500, 275000 };
    incentive_draw_terms_t terms = { 200000, true, INCENTIVE_DRAW_OPEN_END, 0 };
    char error[INCENTIVE_LEDGER_ERROR_SIZE];
    assert_int_equal (incentive_ledger_set_draw (ledger, &terms, "2017-01", error, sizeof error),
                      0);
    /* Posted from the last month back: arrival order does not matter. */
    for (size_t index = COUNT (months); index-- > 0;) {
        char id[32];
        snprintf (id, sizeof id, "won:%zu", index);
        incentive_ledger_line_t line = s_earning (id, months[index], MAY_1 + (int64_t) index, id,
                                                  earnings[index] * 10, 10, earnings[index]);
        s_post (ledger, &line, NULL);
    }
    for (size_t index = 0; index < COUNT (months); index++)
        assert_int_equal (s_net_payout (ledger, months[index]), net[index]);

    /* March: draw line 500.00 (2,000 - 1,500), owes 500.00 after. April:
       recovery line -375.00, owes 125.00. */
    incentive_ledger_statement_t *march = s_statement (ledger, "2017-03");
    assert_int_equal (march->line_count, 2);
    assert_int_equal (march->lines[1].kind, INCENTIVE_LEDGER_DRAW);
    assert_int_equal (march->lines[1].amount, 50000);
    assert_string_equal (march->lines[1].id, "draw:2017-03");
    assert_int_equal (march->advances, 50000);
    assert_int_equal (march->closing_balance, 50000);
    incentive_ledger_statement_destroy (&march);
    incentive_ledger_statement_t *april = s_statement (ledger, "2017-04");
    assert_int_equal (april->opening_balance, 50000);
    assert_int_equal (april->lines[1].kind, INCENTIVE_LEDGER_RECOVERY);
    assert_int_equal (april->lines[1].amount, -37500);
    assert_int_equal (april->recoveries, -37500);
    assert_int_equal (april->closing_balance, 12500);
    char *text = incentive_ledger_statement_json (april);
    assert_non_null (strstr (text, "\"kind\":\"recovery\",\"period\":\"2017-04\""));
    assert_non_null (strstr (text, "\"explanation\":{\"draw\":200000,\"commission\":237500,"
                                   "\"balance_before\":50000,\"balance_after\":12500}"));
    free (text);
    incentive_ledger_statement_destroy (&april);

    /* A month with no line at all still pays the draw once known. */
    assert_int_equal (incentive_ledger_open_period (ledger, "2017-07", error, sizeof error), 0);
    assert_int_equal (s_net_payout (ledger, "2017-07"), 200000);
    /* Refused once a period from the draw's start is closed. */
    assert_int_equal (incentive_ledger_close_period (ledger, "2017-02", error, sizeof error), 0);
    assert_int_equal (incentive_ledger_set_draw (ledger, NULL, NULL, error, sizeof error), -1);
    assert_string_equal (
        error, "draw: a period from \"2017-01\" on is closed, its statements cannot change");
    incentive_ledger_destroy (&ledger);
}

/* A clawback bigger than the month's earnings: the deficit is carried and
   recovered next month (no draw). */
static void
test_deficit_carried (void **state)
{
    (void) state;
    incentive_ledger_t *ledger = incentive_ledger_new ("rep-ana", "USD");
    /* May: won 1, 1,000.00. June: won 2, 300.00, and won 1 cancelled:
       -1,000.00 -> June commission -700.00, paid 0, owes 700.00. July:
       900.00 -> recovers 700.00, pays 200.00. */
    incentive_ledger_line_t one = s_earning ("w1", "2017-05", MAY_1, "w1", 1000000, 10, 100000);
    incentive_ledger_line_t two = s_earning ("w2", "2017-06", JUNE_1, "w2", 300000, 10, 30000);
    incentive_ledger_line_t three =
        s_earning ("w3", "2017-07", JUNE_1 + 30 * DAY_MS, "w3", 900000, 10, 90000);
    s_post (ledger, &one, NULL);
    s_post (ledger, &two, NULL);
    s_post (ledger, &three, NULL);
    incentive_ledger_cancel_t cancel =
        s_cancel ("c1", "w1", JUNE_1 + DAY_MS, "2017-06", INCENTIVE_LEDGER_REVERSE_PAID);
    s_cancel_post (ledger, &cancel, NULL);
    incentive_ledger_statement_t *june = s_statement (ledger, "2017-06");
    assert_int_equal (june->commission, -70000);
    assert_int_equal (june->net_payout, 0);
    assert_int_equal (june->closing_balance, 70000);
    assert_int_equal (june->line_count, 3);
    assert_int_equal (june->lines[2].kind, INCENTIVE_LEDGER_ADJUSTMENT);
    assert_string_equal (june->lines[2].type, "deficit_carried");
    assert_int_equal (june->lines[2].amount, 70000);
    incentive_ledger_statement_destroy (&june);
    assert_int_equal (s_net_payout (ledger, "2017-07"), 20000);
    incentive_ledger_destroy (&ledger);
}

// ---------------------------------------------------------------- clawbacks

/* What was paid vs the base recomputed at the original rate. */
static void
test_clawback_paid_vs_recompute (void **state)
{
    (void) state;
    /* A deal of 10,000.00 earned 750.00 (a retroactive accelerator lifted
       it above 5 %); its base at the original 5 % is 500.00. */
    incentive_ledger_reverse_t modes[] = { INCENTIVE_LEDGER_REVERSE_PAID,
                                           INCENTIVE_LEDGER_REVERSE_RECOMPUTE };
    const int64_t reversed[] = { -75000, -50000 };
    for (size_t mode = 0; mode < COUNT (modes); mode++) {
        incentive_ledger_t *ledger = incentive_ledger_new ("rep-ana", "USD");
        incentive_ledger_line_t won =
            s_earning ("crm:won:7#0", "2017-05", MAY_1, "crm:won:7", 1000000, 5, 75000);
        s_post (ledger, &won, NULL);
        incentive_ledger_cancel_t cancel =
            s_cancel ("crm:cancel:7", "crm:won:7", JUNE_1 + DAY_MS, "2017-06", modes[mode]);
        s_cancel_post (ledger, &cancel, NULL);
        char error[INCENTIVE_LEDGER_ERROR_SIZE];
        assert_int_equal (incentive_ledger_cancel (ledger, &cancel, NULL, error, sizeof error), 1);

        /* May is untouched; June holds the clawback, linked to the line. */
        assert_int_equal (s_net_payout (ledger, "2017-05"), 75000);
        incentive_ledger_statement_t *june = s_statement (ledger, "2017-06");
        assert_int_equal (june->commission, reversed[mode]);
        const incentive_ledger_line_t *line = &june->lines[0];
        assert_int_equal (line->kind, INCENTIVE_LEDGER_CLAWBACK);
        assert_int_equal (line->amount, reversed[mode]);
        assert_string_equal (line->id, "crm:cancel:7/crm:won:7#0");
        assert_string_equal (line->link, "crm:won:7#0");
        assert_string_equal (line->deal, "opp-crm:won:7");
        assert_true (line->attainment_drops);
        char *text = incentive_ledger_statement_json (june);
        assert_non_null (strstr (text, "\"reverses\":\"crm:won:7#0\""));
        assert_non_null (
            strstr (text, mode ? "\"reversal\":\"recompute\"" : "\"reversal\":\"paid\""));
        free (text);
        incentive_ledger_statement_destroy (&june);
        incentive_ledger_destroy (&ledger);
    }

    /* A line without a rate (a fixed SPIFF) reverses what was paid even
       in recompute mode. */
    incentive_ledger_t *ledger = incentive_ledger_new ("rep-ana", "USD");
    incentive_ledger_line_t spiff = s_earning ("spiff", "2017-05", MAY_1, "crm:won:8", 0, 0, 25000);
    spiff.has_rate = false;
    s_post (ledger, &spiff, NULL);
    incentive_ledger_cancel_t cancel =
        s_cancel ("c8", "crm:won:8", MAY_1 + DAY_MS, "2017-05", INCENTIVE_LEDGER_REVERSE_RECOMPUTE);
    s_cancel_post (ledger, &cancel, NULL);
    assert_int_equal (s_net_payout (ledger, "2017-05"), 0);
    incentive_ledger_destroy (&ledger);
}

/* A deal split three ways: each rep's clawback reverses its own line, so
   the split lines reverse in proportion and the reversals sum to the
   negated credits; a deal paid in two band lines reverses both. */
static void
test_split_reversal (void **state)
{
    (void) state;
    /* 10,000.01 at 33.33/33.33/33.34 %: 3,333.00 (remainder 0.3333 ...),
       worked out by incentive_credit: floors 333,300 / 333,300 / 333,400
       minor units, remainders 3,333, 3,333, 3,334 (in 1/10,000), the one
       unit left to rep-c -> 333,300, 333,300, 333,401. At 10 %: 33,330,
       33,330, 33,340.1 -> 33,340. */
    const incentive_credit_share_t splits[] = { { "rep-a", 3333 },
                                                { "rep-b", 3333 },
                                                { "rep-c", 3334 } };
    int64_t credits[3];
    char error[INCENTIVE_LEDGER_ERROR_SIZE];
    assert_int_equal (incentive_credit_split (1000001, splits, 3, credits, error, sizeof error), 0);
    assert_int_equal (credits[0], 333300);
    assert_int_equal (credits[1], 333300);
    assert_int_equal (credits[2], 333401);
    const int64_t paid[] = { 33330, 33330, 33340 };
    int64_t reversed_total = 0;
    for (size_t rep = 0; rep < 3; rep++) {
        incentive_ledger_t *ledger = incentive_ledger_new (splits[rep].rep_id, "USD");
        int64_t amount;
        incentive_ledger_decimal_t rate = { 10, 2 };
        assert_int_equal (incentive_ledger_apply_rate (credits[rep], rate, &amount), 0);
        assert_int_equal (amount, paid[rep]);
        incentive_ledger_line_t line =
            s_earning ("won:9#0", "2017-05", MAY_1, "won:9", credits[rep], 10, amount);
        line.credit_bp = splits[rep].share_bp;
        s_post (ledger, &line, NULL);
        incentive_ledger_cancel_t cancel =
            s_cancel ("cancel:9", "won:9", JUNE_1, "2017-06", INCENTIVE_LEDGER_REVERSE_PAID);
        s_cancel_post (ledger, &cancel, NULL);
        incentive_ledger_statement_t *june = s_statement (ledger, "2017-06");
        assert_int_equal (june->lines[0].amount, -paid[rep]);
        assert_int_equal (june->lines[0].credit_bp, splits[rep].share_bp);
        reversed_total += june->lines[0].amount;
        incentive_ledger_statement_destroy (&june);
        incentive_ledger_destroy (&ledger);
    }
    assert_int_equal (reversed_total, -(33330 + 33330 + 33340));

    /* One rep, one deal paid in two marginal band lines (5,000.00 at 5 %
       and 1,000.00 at 10 %): the cancellation reverses 250.00 and 100.00,
       each linked to its own line. */
    incentive_ledger_t *ledger = incentive_ledger_new ("rep-a", "USD");
    incentive_ledger_line_t low =
        s_earning ("won:10#0", "2017-05", MAY_1, "won:10", 500000, 5, 25000);
    incentive_ledger_line_t high =
        s_earning ("won:10#1", "2017-05", MAY_1, "won:10", 100000, 10, 10000);
    s_post (ledger, &low, NULL);
    s_post (ledger, &high, NULL);
    incentive_ledger_cancel_t cancel =
        s_cancel ("cancel:10", "won:10", JUNE_1, "2017-06", INCENTIVE_LEDGER_REVERSE_RECOMPUTE);
    s_cancel_post (ledger, &cancel, NULL);
    incentive_ledger_statement_t *june = s_statement (ledger, "2017-06");
    /* The two reversals, and June's negative commission carried as owed. */
    assert_int_equal (june->line_count, 3);
    assert_string_equal (june->lines[2].type, "deficit_carried");
    assert_int_equal (june->lines[2].amount, 35000);
    assert_int_equal (june->lines[0].amount, -25000);
    assert_string_equal (june->lines[0].link, "won:10#0");
    assert_int_equal (june->lines[1].amount, -10000);
    assert_string_equal (june->lines[1].link, "won:10#1");
    assert_int_equal (june->commission, -35000);
    incentive_ledger_statement_destroy (&june);
    incentive_ledger_destroy (&ledger);
}

// ---------------------------------------------------------------- order

/* The inputs of the order test: four lines, two cancellations. */
#define ORDER_INPUTS 6

static void
s_apply (incentive_ledger_t *ledger, int input)
{
    incentive_ledger_line_t line;
    incentive_ledger_cancel_t cancel;
    switch (input) {
        case 0:
            line = s_earning ("won:1#0", "2017-05", MAY_1 + DAY_MS, "won:1", 400000, 5, 20000);
            s_post (ledger, &line, NULL);
            break;
        case 1:
            /* same instant as won:1, event id later */
            line = s_earning ("won:2#0", "2017-05", MAY_1 + DAY_MS, "won:2", 600000, 5, 30000);
            s_post (ledger, &line, NULL);
            break;
        case 2:
            line = s_earning ("won:3#0", "2017-06", JUNE_1 + DAY_MS, "won:3", 200000, 10, 20000);
            s_post (ledger, &line, NULL);
            break;
        case 3:
            line = s_earning ("won:1#1", "2017-05", MAY_1 + DAY_MS, "won:1", 100000, 10, 10000);
            s_post (ledger, &line, NULL);
            break;
        case 4:
            /* cancels won:1 in June, paid */
            cancel = s_cancel ("cancel:b", "won:1", JUNE_1 + 5 * DAY_MS, "2017-06",
                               INCENTIVE_LEDGER_REVERSE_PAID);
            s_cancel_post (ledger, &cancel, NULL);
            break;
        default:
            /* an earlier cancellation of the same deal: it rules */
            cancel = s_cancel ("cancel:a", "won:1", JUNE_1 + 2 * DAY_MS, "2017-06",
                               INCENTIVE_LEDGER_REVERSE_RECOMPUTE);
            s_cancel_post (ledger, &cancel, NULL);
            break;
    }
}

/* Next permutation in lexicographic order; false after the last. */
static bool
s_permute (int *order, int count)
{
    int pivot = count - 2;
    while (pivot >= 0 && order[pivot] >= order[pivot + 1])
        pivot--;
    if (pivot < 0)
        return false;
    int swap = count - 1;
    while (order[swap] <= order[pivot])
        swap--;
    int held = order[pivot];
    order[pivot] = order[swap];
    order[swap] = held;
    for (int low = pivot + 1, high = count - 1; low < high; low++, high--) {
        held = order[low];
        order[low] = order[high];
        order[high] = held;
    }
    return true;
}

/* Every one of the 720 arrival orders gives the same two statements. */
static void
test_order_independence (void **state)
{
    (void) state;
    int order[ORDER_INPUTS];
    for (int index = 0; index < ORDER_INPUTS; index++)
        order[index] = index;
    char *may = NULL;
    char *june = NULL;
    int permutations = 0;
    do {
        incentive_ledger_t *ledger = incentive_ledger_new ("rep-ana", "USD");
        for (int index = 0; index < ORDER_INPUTS; index++)
            s_apply (ledger, order[index]);
        char *may_now = s_json (ledger, "2017-05");
        char *june_now = s_json (ledger, "2017-06");
        if (!may) {
            may = may_now;
            june = june_now;
        }
        else {
            assert_string_equal (may_now, may);
            assert_string_equal (june_now, june);
            free (may_now);
            free (june_now);
        }
        incentive_ledger_destroy (&ledger);
        permutations++;
    } while (s_permute (order, ORDER_INPUTS));
    assert_int_equal (permutations, 720);

    /* May: 200.00 + 100.00 + 300.00 = 600.00, in the order won:1#0,
       won:1#1, won:2#0. June: 200.00 less won:1 reversed by cancel:a (the
       earlier) at its original rates: 4,000.00 × 5 % = 200.00 and
       1,000.00 × 10 % = 100.00 -> -100.00 net. The commission is then
       negative: 100.00 carried as a deficit, nothing paid. */
    json_error_t error;
    json_t *root = json_loads (may, 0, &error);
    assert_int_equal (json_integer_value (json_object_get (root, "net_payout")), 60000);
    json_t *lines = json_object_get (root, "lines");
    assert_string_equal (json_string_value (json_object_get (json_array_get (lines, 0), "id")),
                         "won:1#0");
    assert_string_equal (json_string_value (json_object_get (json_array_get (lines, 1), "id")),
                         "won:1#1");
    assert_string_equal (json_string_value (json_object_get (json_array_get (lines, 2), "id")),
                         "won:2#0");
    json_decref (root);
    root = json_loads (june, 0, &error);
    assert_int_equal (json_integer_value (json_object_get (root, "commission")), -10000);
    assert_int_equal (json_integer_value (json_object_get (root, "net_payout")), 0);
    assert_int_equal (json_integer_value (json_object_get (root, "closing_balance")), 10000);
    lines = json_object_get (root, "lines");
    assert_int_equal (json_array_size (lines), 4);
    assert_string_equal (json_string_value (json_object_get (json_array_get (lines, 1), "id")),
                         "cancel:a/won:1#0");
    assert_string_equal (json_string_value (json_object_get (json_array_get (lines, 2), "id")),
                         "cancel:a/won:1#1");
    json_decref (root);
    free (may);
    free (june);
}

// ---------------------------------------------------------------- periods

/* Lines and cancellations after a close go to the open period as
   adjustments; the closed statement does not change by one byte. */
static void
test_closed_period (void **state)
{
    (void) state;
    char error[INCENTIVE_LEDGER_ERROR_SIZE];
    incentive_ledger_t *ledger = incentive_ledger_new ("rep-ana", "USD");
    incentive_ledger_line_t won =
        s_earning ("won:1#0", "2017-05", MAY_1, "won:1", 400000, 5, 20000);
    s_post (ledger, &won, NULL);
    assert_int_equal (incentive_ledger_close_period (ledger, "2017-05", error, sizeof error), 0);
    assert_int_equal (incentive_ledger_close_period (ledger, "2017-05", error, sizeof error), 0);
    assert_true (incentive_ledger_closed (ledger, "2017-05"));
    assert_false (incentive_ledger_closed (ledger, "2017-06"));
    char *closed = s_json (ledger, "2017-05");
    assert_non_null (strstr (closed, "\"closed\":true"));

    /* A late deal of May, and a cancellation of won:1 dated in May. */
    incentive_ledger_line_t late =
        s_earning ("won:2#0", "2017-05", MAY_1 + 9 * DAY_MS, "won:2", 100000, 5, 5000);
    assert_int_equal (incentive_ledger_post (ledger, &late, NULL, error, sizeof error), -1);
    assert_string_equal (
        error, "line \"won:2#0\": period \"2017-05\" is closed and no open period is given");
    s_post (ledger, &late, "2017-06");
    incentive_ledger_cancel_t cancel = s_cancel ("cancel:1", "won:1", MAY_1 + 20 * DAY_MS,
                                                 "2017-05", INCENTIVE_LEDGER_REVERSE_PAID);
    assert_int_equal (incentive_ledger_cancel (ledger, &cancel, NULL, error, sizeof error), -1);
    assert_string_equal (
        error,
        "cancellation \"cancel:1\": period \"2017-05\" is closed and no open period is given");
    s_cancel_post (ledger, &cancel, "2017-06");

    char *again = s_json (ledger, "2017-05");
    assert_string_equal (again, closed);
    free (again);
    free (closed);

    /* June: the late earning +50.00 and the clawback -200.00, both
       adjustments remembering May. */
    incentive_ledger_statement_t *june = s_statement (ledger, "2017-06");
    assert_int_equal (june->commission, -15000);
    assert_int_equal (june->line_count, 3);
    assert_int_equal (june->lines[0].kind, INCENTIVE_LEDGER_ADJUSTMENT);
    assert_int_equal (june->lines[0].adjusts, INCENTIVE_LEDGER_EARNING);
    assert_string_equal (june->lines[0].type, "late");
    assert_string_equal (june->lines[0].origin_period, "2017-05");
    assert_string_equal (june->lines[0].reason, "posted after period 2017-05 closed");
    assert_int_equal (june->lines[1].kind, INCENTIVE_LEDGER_ADJUSTMENT);
    assert_int_equal (june->lines[1].adjusts, INCENTIVE_LEDGER_CLAWBACK);
    assert_int_equal (june->lines[1].amount, -20000);
    assert_string_equal (june->lines[1].link, "won:1#0");
    char *text = incentive_ledger_statement_json (june);
    assert_non_null (strstr (text, "\"adjusts\":\"earning\""));
    assert_non_null (strstr (text, "\"adjusts\":\"clawback\""));
    free (text);
    incentive_ledger_statement_destroy (&june);

    /* An earlier cancellation of won:1 arrives: it rules, and the clawback
       it replaces is still in June (open), so it is swapped for its own. */
    incentive_ledger_cancel_t earlier = s_cancel ("cancel:0", "won:1", MAY_1 + 10 * DAY_MS,
                                                  "2017-05", INCENTIVE_LEDGER_REVERSE_PAID);
    s_cancel_post (ledger, &earlier, "2017-06");
    june = s_statement (ledger, "2017-06");
    assert_int_equal (june->commission, -15000);
    assert_string_equal (june->lines[1].id, "cancel:0/won:1#0");
    incentive_ledger_statement_destroy (&june);

    /* Once June is closed, a still earlier cancellation changes nothing. */
    assert_int_equal (incentive_ledger_close_period (ledger, "2017-06", error, sizeof error), 0);
    char *june_closed = s_json (ledger, "2017-06");
    incentive_ledger_cancel_t earliest =
        s_cancel ("cancel:00", "won:1", MAY_1 + DAY_MS, "2017-05", INCENTIVE_LEDGER_REVERSE_PAID);
    s_cancel_post (ledger, &earliest, "2017-07");
    char *june_after = s_json (ledger, "2017-06");
    assert_string_equal (june_after, june_closed);
    assert_int_equal (s_net_payout (ledger, "2017-07"), 0);
    free (june_closed);
    free (june_after);
    incentive_ledger_destroy (&ledger);
}

/* The routing rule on its own. */
static void
test_route (void **state)
{
    (void) state;
    const char *closed[] = { "2017-04", "2017-05" };
    assert_string_equal (incentive_ledger_route ("2017-06", closed, 2, "2017-07"), "2017-06");
    assert_string_equal (incentive_ledger_route ("2017-05", closed, 2, "2017-06"), "2017-06");
    assert_null (incentive_ledger_route ("2017-05", closed, 2, "2017-04"));
    assert_null (incentive_ledger_route ("2017-05", closed, 2, NULL));
    assert_string_equal (incentive_ledger_route ("2017-05", NULL, 0, NULL), "2017-05");
}

/* Earned to date minus paid to date over a quarter's months. */
static void
test_true_up (void **state)
{
    (void) state;
    incentive_ledger_t *ledger = incentive_ledger_new ("rep-ana", "USD");
    /* Paid monthly at the month's own attainment: 1,000.00, 2,000.00,
       1,500.00 = 4,500.00. The quarter's cumulative attainment earns
       5,200.00: the true-up is 700.00, posted in June. */
    const char *quarter[] = { "2017-04", "2017-05", "2017-06" };
    const int64_t paid[] = { 100000, 200000, 150000 };
    for (size_t index = 0; index < 3; index++) {
        char id[16];
        snprintf (id, sizeof id, "won:%zu", index);
        incentive_ledger_line_t line = s_earning (id, quarter[index], MAY_1 + (int64_t) index, id,
                                                  paid[index] * 10, 10, paid[index]);
        s_post (ledger, &line, NULL);
    }
    assert_int_equal (incentive_ledger_paid_to_date (ledger, quarter, 3), 450000);
    int64_t true_up = incentive_ledger_true_up (ledger, quarter, 3, 520000);
    assert_int_equal (true_up, 70000);
    incentive_ledger_line_t line;
    memset (&line, 0, sizeof line);
    line.id = s_text ("true-up:2017-Q2");
    line.kind = INCENTIVE_LEDGER_TRUE_UP;
    line.period = s_text ("2017-06");
    line.occurred_at = JUNE_1 + 29 * DAY_MS;
    line.amount = true_up;
    line.type = s_text ("qtd");
    line.reason = s_text ("earned 5200.00 to date over 2017-Q2, paid 4500.00");
    s_post (ledger, &line, NULL);
    assert_int_equal (incentive_ledger_true_up (ledger, quarter, 3, 520000), 0);
    assert_int_equal (s_net_payout (ledger, "2017-06"), 220000);
    char *text = s_json (ledger, "2017-06");
    assert_non_null (strstr (text, "\"kind\":\"true_up\""));
    assert_non_null (strstr (text, "\"type\":\"qtd\""));
    free (text);
    /* A true-up can be negative: earned 4,000.00 -> -1,200.00 now. */
    assert_int_equal (incentive_ledger_true_up (ledger, quarter, 3, 400000), -120000);
    incentive_ledger_destroy (&ledger);
}

// ---------------------------------------------------------------- text

/* The store of lines' text: copies cut as snprintf cuts, formats, ""
   without a block, texts longer than a block, absorbing another store
   (its texts stay where they are). */
static void
test_text (void **state)
{
    (void) state;
    incentive_ledger_text_t *text = incentive_ledger_text_new ();
    assert_non_null (text);
    assert_string_equal (incentive_ledger_text_copy (text, NULL, 8), "");
    assert_string_equal (incentive_ledger_text_copy (text, "", 8), "");
    assert_string_equal (incentive_ledger_text_copy (text, "2017-05", 8), "2017-05");
    assert_string_equal (incentive_ledger_text_copy (text, "2017-05-03", 8), "2017-05");
    assert_string_equal (incentive_ledger_text_format (text, 6, "%s:%d", "draw", 42), "draw:");
    assert_string_equal (incentive_ledger_text_format (text, 16, "%s:%d", "draw", 42), "draw:42");
    /* many texts, and one longer than a block, keep their bytes */
    enum { MANY = 20000, LONG = 100000 };
    const char *kept[MANY];
    char number[32];
    for (size_t index = 0; index < MANY; index++) {
        snprintf (number, sizeof number, "line-%zu", index);
        kept[index] = incentive_ledger_text_copy (text, number, sizeof number);
    }
    char *long_text = malloc (LONG + 1);
    assert_non_null (long_text);
    memset (long_text, 'x', LONG);
    long_text[LONG] = '\0';
    const char *long_kept = incentive_ledger_text_copy (text, long_text, LONG + 1);
    const char *after = incentive_ledger_text_copy (text, "after", 8);
    incentive_ledger_text_t *other = incentive_ledger_text_new ();
    const char *moved = incentive_ledger_text_copy (other, "moved", 8);
    incentive_ledger_text_absorb (text, &other);
    assert_null (other);
    incentive_ledger_text_absorb (text, &other); /* NULL: nothing */
    for (size_t index = 0; index < MANY; index++) {
        snprintf (number, sizeof number, "line-%zu", index);
        assert_string_equal (kept[index], number);
    }
    assert_string_equal (long_kept, long_text);
    assert_string_equal (after, "after");
    assert_string_equal (moved, "moved");
    assert_false (incentive_ledger_text_failed (text));
    free (long_text);
    /* a line's text copied: NULL read as "", every field cut to its room */
    incentive_ledger_line_t line;
    memset (&line, 0, sizeof line);
    char deal[INCENTIVE_LEDGER_REF_SIZE + 10];
    memset (deal, 'd', sizeof deal - 1);
    deal[sizeof deal - 1] = '\0';
    line.deal = deal;
    incentive_ledger_line_text_copy (text, &line);
    assert_string_equal (line.id, "");
    assert_string_equal (line.link, "");
    assert_int_equal (strlen (line.deal), INCENTIVE_LEDGER_REF_SIZE - 1);
    incentive_ledger_line_init (&line);
    assert_string_equal (line.reason, "");
    assert_int_equal (line.amount, 0);
    incentive_ledger_text_destroy (&text);
    assert_null (text);
    incentive_ledger_text_destroy (&text);
}

// ---------------------------------------------------------------- refusals

static void
test_refused (void **state)
{
    (void) state;
    char error[INCENTIVE_LEDGER_ERROR_SIZE];
    assert_null (incentive_ledger_new ("", "USD"));
    assert_null (incentive_ledger_new ("rep", "usd"));
    assert_null (incentive_ledger_new (NULL, "USD"));
    incentive_ledger_t *ledger = incentive_ledger_new ("rep", "USD");

    incentive_ledger_line_t line = s_earning ("a", "2017-05", MAY_1, "w", 0, 0, 100);
    incentive_ledger_line_t bad = line;
    bad.period = s_text ("May");
    assert_int_equal (incentive_ledger_post (ledger, &bad, NULL, error, sizeof error), -1);
    assert_string_equal (error, "line period: \"May\" is not a period label");
    s_post (ledger, &line, NULL);
    bad = line;
    bad.id = s_text ("b");
    bad.period = s_text ("2017-Q2");
    assert_int_equal (incentive_ledger_post (ledger, &bad, NULL, error, sizeof error), -1);
    assert_string_equal (error, "line period: \"2017-Q2\" is not a period of the ledger's kind");
    bad = line;
    bad.id = s_text ("b");
    bad.kind = INCENTIVE_LEDGER_DRAW;
    assert_int_equal (incentive_ledger_post (ledger, &bad, NULL, error, sizeof error), -1);
    assert_string_equal (error, "line \"b\": kind 3 cannot be posted (earning, adjustment, "
                                "true_up, or a clawback linked to its line)");
    bad.kind = INCENTIVE_LEDGER_CLAWBACK; /* a clawback without its link */
    assert_int_equal (incentive_ledger_post (ledger, &bad, NULL, error, sizeof error), -1);
    assert_string_equal (error, "line \"b\": kind 1 cannot be posted (earning, adjustment, "
                                "true_up, or a clawback linked to its line)");
    bad = line;
    bad.id = "";
    assert_int_equal (incentive_ledger_post (ledger, &bad, NULL, error, sizeof error), -1);
    assert_string_equal (error, "line id: must be 1 to 144 bytes of UTF-8");
    bad = line;
    bad.id = s_text ("b");
    bad.amount = INT64_C (1000000000000001);
    assert_int_equal (incentive_ledger_post (ledger, &bad, NULL, error, sizeof error), -1);
    assert_string_equal (error, "line \"b\": amount or base out of range");
    bad = line;
    bad.id = s_text ("b");
    bad.rate.decimals = 10;
    assert_int_equal (incentive_ledger_post (ledger, &bad, NULL, error, sizeof error), -1);
    assert_string_equal (error, "line \"b\": credit, rate or attainment out of range");
    bad = line;
    bad.id = s_text ("b");
    bad.reason = s_text ("bad \xff byte");
    assert_int_equal (incentive_ledger_post (ledger, &bad, NULL, error, sizeof error), -1);
    assert_string_equal (error, "line \"b\": a text field is too long or not UTF-8");
    assert_int_equal (incentive_ledger_line_count (ledger), 1);

    incentive_ledger_cancel_t cancel =
        s_cancel ("c", "w", MAY_1, "2017-05", INCENTIVE_LEDGER_REVERSE_PAID);
    incentive_ledger_cancel_t wrong = cancel;
    wrong.won_event_id[0] = '\0';
    assert_int_equal (incentive_ledger_cancel (ledger, &wrong, NULL, error, sizeof error), -1);
    wrong = cancel;
    wrong.reverse = 7;
    assert_int_equal (incentive_ledger_cancel (ledger, &wrong, NULL, error, sizeof error), -1);
    assert_string_equal (error, "cancellation \"c\": unknown reversal");
    s_cancel_post (ledger, &cancel, NULL);
    wrong = cancel;
    snprintf (wrong.won_event_id, sizeof wrong.won_event_id, "other");
    assert_int_equal (incentive_ledger_cancel (ledger, &wrong, NULL, error, sizeof error), -1);
    assert_string_equal (error, "cancellation \"c\": already recorded for another deal");

    assert_null (incentive_ledger_statement (ledger, "2017", error, sizeof error));
    assert_string_equal (error, "period: \"2017\" is not a period of the ledger's kind");
    assert_int_equal (incentive_ledger_open_period (ledger, "17-05", error, sizeof error), -1);
    assert_int_equal (incentive_ledger_close_period (ledger, "", error, sizeof error), -1);
    incentive_draw_terms_t terms = { -5, true, 0, 0 };
    assert_int_equal (incentive_ledger_set_draw (ledger, &terms, "2017-05", error, sizeof error),
                      -1);
    terms.amount = 100;
    assert_int_equal (incentive_ledger_set_draw (ledger, &terms, "2017/05", error, sizeof error),
                      -1);
    assert_int_equal (incentive_ledger_close_period (ledger, "2017-06", error, sizeof error), 0);
    assert_int_equal (incentive_ledger_set_draw (ledger, &terms, "2017-05", error, sizeof error),
                      -1);
    assert_string_equal (
        error, "draw: a period from \"2017-05\" on is closed, its statements cannot change");

    /* Rates: exact, rounded once, bounded. */
    int64_t result = 7;
    incentive_ledger_decimal_t rate = { 125, 3 }; /* 0.125 */
    assert_int_equal (incentive_ledger_apply_rate (4, rate, &result), 0);
    assert_int_equal (result, 1); /* 0.5 -> 1 */
    assert_int_equal (incentive_ledger_apply_rate (-4, rate, &result), 0);
    assert_int_equal (result, -1); /* -0.5 -> -1 */
    assert_int_equal (incentive_ledger_apply_rate (3, rate, &result), 0);
    assert_int_equal (result, 0); /* 0.375 -> 0 */
    rate = (incentive_ledger_decimal_t){ 2, 0 };
    assert_int_equal (incentive_ledger_apply_rate (INT64_C (1000000000000000), rate, &result), -1);
    rate.decimals = -1;
    assert_int_equal (incentive_ledger_apply_rate (1, rate, &result), -1);
    assert_int_equal (result, 0);

    assert_string_equal (incentive_ledger_kind_name (INCENTIVE_LEDGER_TRUE_UP), "true_up");
    assert_null (incentive_ledger_kind_name (INCENTIVE_LEDGER_KIND_COUNT));
    incentive_ledger_destroy (&ledger);
    assert_null (ledger);
}

// ---------------------------------------------------------------- statement order

#define ORDER_LINES 300

/* Posts ORDER_LINES earning lines of May in the order given by slot (a
   permutation of their numbers): pairs share an instant, and two lines
   share each event (ids "won:<n>#0" and "won:<n>#1"). */
static char *
s_ordered_json (const int *slot)
{
    incentive_ledger_t *ledger = incentive_ledger_new ("rep-ana", "USD");
    assert_non_null (ledger);
    for (int index = 0; index < ORDER_LINES; index++) {
        int number = slot[index];
        char event[32];
        char id[sizeof event + 8];
        snprintf (event, sizeof event, "won:%03d", number / 2);
        snprintf (id, sizeof id, "%s#%d", event, 1 - number % 2); /* #1 posted first */
        incentive_ledger_line_t line = s_earning (id, "2017-05", MAY_1 + (number / 4) * DAY_MS / 10,
                                                  event, 1000, 5, 50 + number);
        s_post (ledger, &line, NULL);
    }
    char *text = s_json (ledger, "2017-05");
    incentive_ledger_statement_t *statement = s_statement (ledger, "2017-05");
    assert_int_equal (statement->line_count, ORDER_LINES);
    for (size_t index = 1; index < statement->line_count; index++) {
        const incentive_ledger_line_t *a = &statement->lines[index - 1];
        const incentive_ledger_line_t *b = &statement->lines[index];
        int order = a->occurred_at != b->occurred_at    ? (a->occurred_at < b->occurred_at ? -1 : 1)
                    : strcmp (a->event_id, b->event_id) ? strcmp (a->event_id, b->event_id)
                                                        : strcmp (a->id, b->id);
        assert_true (order < 0);
    }
    incentive_ledger_statement_destroy (&statement);
    incentive_ledger_destroy (&ledger);
    return text;
}

/* A statement's lines are in (occurred_at, event id, line id) order
   whatever order they were posted in: in order, nearly (each event's
   second line first: what a statement's SPIFF lines do), reversed (the
   insertion sort hands over to qsort) and shuffled. */
static void
test_statement_order (void **state)
{
    (void) state;
    int slot[ORDER_LINES];
    for (int index = 0; index < ORDER_LINES; index++)
        slot[index] = index;
    char *sorted = s_ordered_json (slot);
    for (int index = 0; index + 1 < ORDER_LINES; index += 2) {
        slot[index] = index + 1;
        slot[index + 1] = index;
    }
    char *nearly = s_ordered_json (slot);
    for (int index = 0; index < ORDER_LINES; index++)
        slot[index] = ORDER_LINES - 1 - index;
    char *reversed = s_ordered_json (slot);
    uint32_t seed = 12345;
    for (int index = ORDER_LINES - 1; index > 0; index--) {
        seed = seed * 1103515245U + 12345U;
        int other = (int) ((seed >> 8) % (uint32_t) (index + 1));
        int kept = slot[index];
        slot[index] = slot[other];
        slot[other] = kept;
    }
    char *shuffled = s_ordered_json (slot);
    assert_string_equal (nearly, sorted);
    assert_string_equal (reversed, sorted);
    assert_string_equal (shuffled, sorted);
    free (sorted);
    free (nearly);
    free (reversed);
    free (shuffled);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_statement_totals),
        cmocka_unit_test (test_draw_acceptance_statements),
        cmocka_unit_test (test_deficit_carried),
        cmocka_unit_test (test_clawback_paid_vs_recompute),
        cmocka_unit_test (test_split_reversal),
        cmocka_unit_test (test_order_independence),
        cmocka_unit_test (test_statement_order),
        cmocka_unit_test (test_closed_period),
        cmocka_unit_test (test_route),
        cmocka_unit_test (test_true_up),
        cmocka_unit_test (test_refused),
        cmocka_unit_test (test_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
