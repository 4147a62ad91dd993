/*  test_incentive_statement_closed - statements of closed periods
    (incentive_statement): a stored statement is returned byte for byte;
    what changed under it (a late deal, a marginal line that moved, a
    cancellation, a plan correction) becomes adjustments in the first
    open period, and what a later closed period paid is never paid
    again. The plan and deals are those of test_incentive_statement.c
    (incentive_statement_fixture.h); every figure is worked out by hand
    next to its check.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "incentive_statement_fixture.h"

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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_closed_periods),
        cmocka_unit_test (test_closed_late_clawback),
        cmocka_unit_test (test_closed_plan_correction),
    };
    return cmocka_run_group_tests_name ("incentive_statement_closed", tests, NULL, NULL);
}
