/*  test_incentive_ledger_batch - many lines at once (incentive_ledger):
    incentive_ledger_post_all and incentive_ledger_statement_take, the
    two ways a statement of 10,000 deals avoids copying its lines.

    Each gives what the one-line-at-a-time functions give, byte for byte
    in the statement JSON: post_all as incentive_ledger_post of each line
    in order (redeliveries left out, a clash refused with nothing posted,
    late lines and clawbacks when a period is closed or a cancellation is
    recorded), statement_take as incentive_ledger_statement (the ledger
    then holding no line).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "incentive_ledger.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define DAY_MS INT64_C (86400000)
#define MAY_1 INT64_C (1493596800000) /* 2017-05-01T00:00:00Z */
#define JUNE_1 (MAY_1 + 31 * DAY_MS)  /* 2017-06-01T00:00:00Z */
#define BATCH_MAX 8

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

/* An earning of event_id paying amount (5 % of 20 × amount) in period. */
static incentive_ledger_line_t
s_earning (const char *id, const char *period, int64_t occurred_at, const char *event_id,
           int64_t amount)
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
    line.base = 20 * amount;
    line.attainment_before = (incentive_ledger_decimal_t){ 0, 2 };
    line.attainment_after = (incentive_ledger_decimal_t){ 50, 2 };
    line.band = s_text ("[0,5000000)");
    line.has_rate = true;
    line.rate = (incentive_ledger_decimal_t){ 5, 2 };
    line.mode = s_text ("marginal");
    line.rule_id = s_text ("rev");
    line.plan_version = s_text ("plan-2017@1");
    return line;
}

/* A ledger of rep-ana knowing May and June 2017 with a draw of 500.00
   from May, and one line of May already posted. */
static incentive_ledger_t *
s_ledger (void)
{
    incentive_ledger_t *ledger = incentive_ledger_new ("rep-ana", "USD");
    assert_non_null (ledger);
    char error[INCENTIVE_LEDGER_ERROR_SIZE] = "";
    incentive_draw_terms_t terms = { 50000, true, INCENTIVE_DRAW_OPEN_END, 0 };
    assert_int_equal (incentive_ledger_open_period (ledger, "2017-06", error, sizeof error), 0);
    assert_int_equal (incentive_ledger_set_draw (ledger, &terms, "2017-05", error, sizeof error),
                      0);
    incentive_ledger_line_t first = s_earning ("w0/rev", "2017-05", MAY_1, "w0", 12000);
    assert_int_equal (incentive_ledger_post (ledger, &first, NULL, error, sizeof error), 0);
    return ledger;
}

/* The batch: lines of May and June given out of order, one a
   redelivery of the ledger's own line, one given twice. */
static size_t
s_batch (incentive_ledger_line_t *lines)
{
    size_t count = 0;
    lines[count++] = s_earning ("w3/rev", "2017-06", JUNE_1 + 2 * DAY_MS, "w3", 70000);
    lines[0].deal = s_text ("opp-w3-caf\xc3\xa9"); /* UTF-8 beyond ASCII */
    lines[count++] = s_earning ("w1/rev", "2017-05", MAY_1 + 5 * DAY_MS, "w1", 3000);
    lines[count++] = s_earning ("w0/rev", "2017-05", MAY_1, "w0", 12000); /* redelivered */
    lines[count++] = s_earning ("w2/rev", "2017-05", MAY_1 + 9 * DAY_MS, "w2", -30000);
    lines[count++] = s_earning ("w1/rev", "2017-05", MAY_1 + 5 * DAY_MS, "w1", 3000); /* twice */
    lines[count - 2].origin_period = s_text ("2017-05");
    return count;
}

/* lines copied into a malloc'd array, as post_all takes them. */
static incentive_ledger_line_t *
s_copy (const incentive_ledger_line_t *lines, size_t count)
{
    incentive_ledger_line_t *copy = malloc ((count ? count : 1) * sizeof *copy);
    assert_non_null (copy);
    memcpy (copy, lines, count * sizeof *copy);
    return copy;
}

/* The statement JSON of period (caller frees). */
static char *
s_json (const incentive_ledger_t *ledger, const char *period)
{
    char error[INCENTIVE_LEDGER_ERROR_SIZE] = "";
    incentive_ledger_statement_t *statement =
        incentive_ledger_statement (ledger, period, error, sizeof error);
    if (!statement)
        fail_msg ("statement of %s refused: %s", period, error);
    char *text = incentive_ledger_statement_json (statement);
    assert_non_null (text);
    incentive_ledger_statement_destroy (&statement);
    return text;
}

/* Both ledgers give the same statements of May and June. */
static void
s_same_statements (const incentive_ledger_t *one, const incentive_ledger_t *other)
{
    const char *const periods[] = { "2017-05", "2017-06" };
    for (size_t index = 0; index < COUNT (periods); index++) {
        char *expected = s_json (one, periods[index]);
        char *got = s_json (other, periods[index]);
        assert_string_equal (got, expected);
        free (expected);
        free (got);
    }
}

// ---------------------------------------------------------------- post_all

/* Moved in: the same lines, order and statements as posting one by one
   (May: 120 + 30 - 300 = -150, carried as a deficit and topped up to the
   draw; June: 700 with the 650 owed recovered). */
static void
test_post_all (void **state)
{
    (void) state;
    incentive_ledger_line_t lines[BATCH_MAX];
    size_t count = s_batch (lines);
    incentive_ledger_t *expected = s_ledger ();
    char error[INCENTIVE_LEDGER_ERROR_SIZE] = "";
    for (size_t index = 0; index < count; index++)
        assert_true (incentive_ledger_post (expected, &lines[index], NULL, error, sizeof error) >=
                     0);
    incentive_ledger_t *ledger = s_ledger ();
    incentive_ledger_line_t *batch = s_copy (lines, count);
    assert_int_equal (
        incentive_ledger_post_all (ledger, &batch, count, count, NULL, NULL, error, sizeof error),
        0);
    assert_null (batch);
    assert_int_equal (incentive_ledger_line_count (ledger), 4);
    assert_int_equal (incentive_ledger_line_count (ledger), incentive_ledger_line_count (expected));
    for (size_t index = 0; index < incentive_ledger_line_count (ledger); index++) {
        const incentive_ledger_line_t *got = incentive_ledger_line (ledger, index);
        const incentive_ledger_line_t *want = incentive_ledger_line (expected, index);
        assert_string_equal (got->id, want->id);
        assert_string_equal (got->origin_period, want->origin_period);
    }
    assert_string_equal (incentive_ledger_line (ledger, 0)->id, "w0/rev");
    s_same_statements (expected, ledger);
    /* the moved lines are indexed: a redelivery is recognised, a clash refused */
    assert_int_equal (incentive_ledger_post (ledger, &lines[1], NULL, error, sizeof error), 1);
    lines[1].amount++;
    assert_int_equal (incentive_ledger_post (ledger, &lines[1], NULL, error, sizeof error), -1);
    /* nothing to post, into an empty ledger too */
    assert_int_equal (
        incentive_ledger_post_all (ledger, &batch, 0, 0, NULL, NULL, error, sizeof error), 0);
    incentive_ledger_destroy (&ledger);
    incentive_ledger_destroy (&expected);
}

/* Moved in with the store of their text: the ledger keeps the store,
   the lines read the same after the caller's copies are gone, and a
   statement taken holds the text after the ledger is destroyed. */
static void
test_post_all_with_text (void **state)
{
    (void) state;
    incentive_ledger_line_t lines[BATCH_MAX];
    size_t count = s_batch (lines);
    incentive_ledger_t *expected = s_ledger ();
    char error[INCENTIVE_LEDGER_ERROR_SIZE] = "";
    for (size_t index = 0; index < count; index++)
        assert_true (incentive_ledger_post (expected, &lines[index], NULL, error, sizeof error) >=
                     0);
    incentive_ledger_text_t *text = incentive_ledger_text_new ();
    assert_non_null (text);
    incentive_ledger_line_t *batch = s_copy (lines, count);
    for (size_t index = 0; index < count; index++)
        incentive_ledger_line_text_copy (text, &batch[index]);
    assert_false (incentive_ledger_text_failed (text));
    incentive_ledger_t *ledger = s_ledger ();
    assert_int_equal (
        incentive_ledger_post_all (ledger, &batch, count, count, &text, NULL, error, sizeof error),
        0);
    assert_null (batch);
    assert_null (text);
    s_same_statements (expected, ledger);
    incentive_ledger_statement_t *statement =
        incentive_ledger_statement_take (ledger, "2017-05", error, sizeof error);
    assert_non_null (statement);
    incentive_ledger_destroy (&ledger);
    incentive_ledger_statement_t *want =
        incentive_ledger_statement (expected, "2017-05", error, sizeof error);
    assert_non_null (want);
    char *got_json = incentive_ledger_statement_json (statement);
    char *want_json = incentive_ledger_statement_json (want);
    assert_string_equal (got_json, want_json);
    free (got_json);
    free (want_json);
    incentive_ledger_statement_destroy (&statement);
    incentive_ledger_statement_destroy (&want);
    /* refused: the store given is destroyed with the array */
    text = incentive_ledger_text_new ();
    batch = s_copy (lines, count);
    batch[0].id = incentive_ledger_text_copy (text, "", INCENTIVE_LEDGER_ID_SIZE);
    ledger = s_ledger ();
    assert_int_equal (
        incentive_ledger_post_all (ledger, &batch, count, count, &text, NULL, error, sizeof error),
        -1);
    assert_null (text);
    assert_int_equal (incentive_ledger_line_count (ledger), 1); /* its own line only */
    incentive_ledger_destroy (&ledger);
    incentive_ledger_destroy (&expected);
}

/* A line given with another amount than one already there, or a line
   the ledger refuses: -1 with the reason, nothing posted, the array
   freed. */
static void
test_post_all_refused (void **state)
{
    (void) state;
    incentive_ledger_line_t lines[BATCH_MAX];
    size_t count = s_batch (lines);
    lines[2].amount = 1; /* w0/rev again, another amount */
    incentive_ledger_t *expected = s_ledger ();
    incentive_ledger_t *ledger = s_ledger ();
    char error[INCENTIVE_LEDGER_ERROR_SIZE] = "";
    incentive_ledger_line_t *batch = s_copy (lines, count);
    assert_int_equal (
        incentive_ledger_post_all (ledger, &batch, count, count, NULL, NULL, error, sizeof error),
        -1);
    assert_null (batch);
    assert_string_equal (error, "line \"w0/rev\": already posted with another event or amount");
    assert_int_equal (incentive_ledger_line_count (ledger), 1);
    s_same_statements (expected, ledger);

    count = s_batch (lines);
    lines[4].amount = 1; /* w1/rev twice in the batch, another amount */
    batch = s_copy (lines, count);
    assert_int_equal (
        incentive_ledger_post_all (ledger, &batch, count, count, NULL, NULL, error, sizeof error),
        -1);
    assert_string_equal (error, "line \"w1/rev\": already posted with another event or amount");

    count = s_batch (lines);
    lines[3].deal = s_text ("opp-w2-\xc3"); /* a character cut */
    batch = s_copy (lines, count);
    assert_int_equal (
        incentive_ledger_post_all (ledger, &batch, count, count, NULL, NULL, error, sizeof error),
        -1);
    assert_string_equal (error, "line \"w2/rev\": a text field is too long or not UTF-8");

    count = s_batch (lines);
    lines[3].period = s_text ("2017-Q2"); /* not a month */
    batch = s_copy (lines, count);
    assert_int_equal (
        incentive_ledger_post_all (ledger, &batch, count, count, NULL, NULL, error, sizeof error),
        -1);
    assert_string_equal (error, "line period: \"2017-Q2\" is not a period of the ledger's kind");
    count = s_batch (lines);
    batch = s_copy (lines, count);
    assert_int_equal (incentive_ledger_post_all (ledger, &batch, count, count, NULL, "2017/07",
                                                 error, sizeof error),
                      -1);
    assert_int_equal (incentive_ledger_line_count (ledger), 1);
    s_same_statements (expected, ledger);
    incentive_ledger_destroy (&ledger);
    incentive_ledger_destroy (&expected);
}

/* With a cancellation recorded, a closed period, or no period known yet,
   each line is posted as incentive_ledger_post posts it: a clawback for
   the cancelled deal, May's lines late in June. */
static void
test_post_all_one_by_one (void **state)
{
    (void) state;
    incentive_ledger_line_t lines[BATCH_MAX];
    size_t count = s_batch (lines);
    incentive_ledger_cancel_t cancel;
    memset (&cancel, 0, sizeof cancel);
    snprintf (cancel.event_id, sizeof cancel.event_id, "c1");
    snprintf (cancel.won_event_id, sizeof cancel.won_event_id, "w1");
    cancel.occurred_at = JUNE_1 + DAY_MS;
    snprintf (cancel.period, sizeof cancel.period, "2017-06");
    char error[INCENTIVE_LEDGER_ERROR_SIZE] = "";
    for (int setting = 0; setting < 3; setting++) {
        incentive_ledger_t *expected =
            setting == 2 ? incentive_ledger_new ("rep-ana", "USD") : s_ledger ();
        incentive_ledger_t *ledger =
            setting == 2 ? incentive_ledger_new ("rep-ana", "USD") : s_ledger ();
        assert_true (expected && ledger);
        incentive_ledger_t *both[] = { expected, ledger };
        for (size_t index = 0; index < COUNT (both); index++) {
            if (setting == 0)
                assert_int_equal (
                    incentive_ledger_cancel (both[index], &cancel, NULL, error, sizeof error), 0);
            if (setting == 1)
                assert_int_equal (
                    incentive_ledger_close_period (both[index], "2017-05", error, sizeof error), 0);
        }
        const char *open = setting == 1 ? "2017-06" : NULL;
        for (size_t index = 0; index < count; index++)
            assert_true (
                incentive_ledger_post (expected, &lines[index], open, error, sizeof error) >= 0);
        incentive_ledger_line_t *batch = s_copy (lines, count);
        assert_int_equal (incentive_ledger_post_all (ledger, &batch, count, count, NULL, open,
                                                     error, sizeof error),
                          0);
        assert_null (batch);
        assert_int_equal (incentive_ledger_line_count (ledger),
                          incentive_ledger_line_count (expected));
        s_same_statements (expected, ledger);
        incentive_ledger_destroy (&ledger);
        incentive_ledger_destroy (&expected);
    }
}

// ---------------------------------------------------------------- statement_take

/* The statement taken is the statement, byte for byte (June settles May
   first); the ledger is then left without lines, its periods and draw
   kept: June's statement from it is the draw alone. */
static void
test_statement_take (void **state)
{
    (void) state;
    incentive_ledger_line_t lines[BATCH_MAX];
    size_t count = s_batch (lines);
    const char *const periods[] = { "2017-05", "2017-06" };
    char error[INCENTIVE_LEDGER_ERROR_SIZE] = "";
    for (size_t period = 0; period < COUNT (periods); period++) {
        incentive_ledger_t *ledger = s_ledger ();
        incentive_ledger_line_t *batch = s_copy (lines, count);
        assert_int_equal (incentive_ledger_post_all (ledger, &batch, count, count, NULL, NULL,
                                                     error, sizeof error),
                          0);
        char *expected = s_json (ledger, periods[period]);
        incentive_ledger_statement_t *statement =
            incentive_ledger_statement_take (ledger, periods[period], error, sizeof error);
        assert_non_null (statement);
        char *got = incentive_ledger_statement_json (statement);
        assert_string_equal (got, expected);
        assert_int_equal (incentive_ledger_line_count (ledger), 0);
        incentive_ledger_statement_destroy (&statement);
        free (got);
        free (expected);
        got = s_json (ledger, "2017-06");
        assert_non_null (strstr (got, "\"lines\":[{\"id\":\"draw:2017-06\""));
        free (got);
        assert_null (incentive_ledger_statement_take (ledger, "2017/06", error, sizeof error));
        incentive_ledger_destroy (&ledger);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_post_all),         cmocka_unit_test (test_post_all_with_text),
        cmocka_unit_test (test_post_all_refused), cmocka_unit_test (test_post_all_one_by_one),
        cmocka_unit_test (test_statement_take),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
