/*  test_incentive_contest - a SPIFF's leaderboard (incentive_contest):
    each rep's standing read from its statement lines through the window's
    last period, and the ranking.

    Monthly plan ae-2025 (10 % of revenue) with two SPIFFs:
      - "summer": 2 % of revenue to 10,000.00, 3 % above, in
        [2025-07-01, 2025-09-01): periods 2025-07 and 2025-08;
      - "logos": 250.00 per new logo, capped at 1,000.00, in
        [2025-07-01, 2025-10-01): 2025-07 to 2025-09.
    Reps, figures by hand:
      a: 6,000.00 on 07-10 (logo), 9,000.00 on 08-05 (logo), 5,000.00 on
         09-03 (logo). summer: 6,000 → 120.00; 6,000 → 15,000: 2 % of
         4,000 + 3 % of 5,000 = 230.00; value 15,000.00, 350.00, reached
         08-05 (09-03 is outside the window). logos: 3, 750.00.
      b: 15,000.00 on 07-20 (logo), 1,000.00 on 08-20 (not a logo).
         summer: 200.00 + 150.00 = 350.00, then 3 % of 1,000 = 30.00;
         value 16,000.00, 380.00. logos: 1, 250.00, reached 07-20.
      c: 15,000.00 on 07-01 (logo), 1,000.00 on 08-10 cancelled 08-25.
         summer: 350.00 + 30.00 − 30.00 = 350.00, value 15,000.00, the
         cancelled deal no longer counts: reached 07-01. logos: 1, 250.00.
      e, z: nothing.
    summer: b 16,000.00 first; c and a tie on 15,000.00 and 350.00, c
    reached it first (07-01 before 08-05); then e and z by id.
    logos: a 3; c and b tie on 1 and 250.00, c first (07-01 before 07-20).
    A rep with 5 logos: 250.00 × 4 = 1,000.00 (the cap), value 5.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "incentive_contest.h"
#include "incentive_plan.h"
#include "incentive_record.h"
#include "incentive_statement.h"
#include "sp_civil.h"
#include "sp_period.h"
#include "sp_tz.h"

#define USD(major) ((int64_t) (major) *100)
#define JUL_1 INT64_C (1751328000000)  /* 2025-07-01T00:00:00Z */
#define JUL_10 INT64_C (1752105600000) /* 2025-07-10T00:00:00Z */
#define JUL_20 INT64_C (1752969600000) /* 2025-07-20T00:00:00Z */
#define AUG_5 INT64_C (1754352000000)  /* 2025-08-05T00:00:00Z */
#define AUG_10 INT64_C (1754784000000) /* 2025-08-10T00:00:00Z */
#define AUG_20 INT64_C (1755648000000) /* 2025-08-20T00:00:00Z */
#define AUG_25 INT64_C (1756080000000) /* 2025-08-25T00:00:00Z */
#define SEP_3 INT64_C (1756857600000)  /* 2025-09-03T00:00:00Z */
#define DAY_MS INT64_C (86400000)
#define MAX_CREDITS 8

#define SPIFFS                                                                                     \
    "\"spiffs\": [{\"id\": \"summer\", \"measure\": \"revenue\", \"from\": \"2025-07-01\", "       \
    "\"to\": \"2025-09-01\", \"pays\": \"rate\", \"tiers\": [{\"lo\": \"0\", \"hi\": \"10000\", "  \
    "\"rate\": \"0.02\"}, {\"lo\": \"10000\", \"rate\": \"0.03\"}]}, "                             \
    "{\"id\": \"logos\", \"measure\": \"new_logos\", \"from\": \"2025-07-01\", "                   \
    "\"to\": \"2025-10-01\", \"pays\": \"fixed\", \"amount\": \"250.00\", \"cap\": \"1000.00\"}]"
#define PLAN(spiffs)                                                                               \
    "{\"name\": \"ae-2025\", \"currency\": \"USD\", \"period\": \"month\", "                       \
    "\"assign\": {\"reps\": [{\"id\": \"a\"}, {\"id\": \"b\"}, {\"id\": \"c\"}, {\"id\": \"e\"}, " \
    "{\"id\": \"f\"}, {\"id\": \"z\"}]}, "                                                         \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"100000.00\", "  \
    "\"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]" spiffs "}"

typedef struct {
    sp_tz_t *tz;
    incentive_plan_t *plans[2];
    incentive_statement_plan_t versions[2];
    size_t version_count;
    incentive_record_credit_t credits[MAX_CREDITS];
    bool new_logo[MAX_CREDITS];
    size_t credit_count;
    incentive_record_cancel_t cancel;
    size_t cancel_count;
    incentive_statement_input_t input;
} s_fixture_t;

static void
s_version (s_fixture_t *fixture, const char *text, int64_t version)
{
    char error[INCENTIVE_PLAN_ERROR_SIZE] = "";
    incentive_plan_t *plan = incentive_plan_new (text, strlen (text), error, sizeof error);
    if (!plan)
        fail_msg ("plan refused: %s", error);
    size_t index = fixture->version_count++;
    fixture->plans[index] = plan;
    fixture->versions[index] = (incentive_statement_plan_t){ .name = incentive_plan_name (plan),
                                                             .version = version,
                                                             .plan = plan };
}

static void
s_fixture (s_fixture_t *fixture, const char *rep_id)
{
    memset (fixture, 0, sizeof *fixture);
    char error[256] = "";
    fixture->tz = sp_tz_new ("UTC", error, sizeof error);
    assert_non_null (fixture->tz);
    s_version (fixture, PLAN (", " SPIFFS), 1);
    fixture->input = (incentive_statement_input_t){
        .rep_id = rep_id, .currency = "USD", .tz = fixture->tz, .kind = SP_PERIOD_MONTH
    };
}

static void
s_fixture_free (s_fixture_t *fixture)
{
    for (size_t index = 0; index < fixture->version_count; index++)
        incentive_plan_destroy (&fixture->plans[index]);
    sp_tz_destroy (&fixture->tz);
}

static void
s_credit (s_fixture_t *fixture, const char *event_id, int64_t occurred_at, int64_t amount,
          bool new_logo)
{
    assert_true (fixture->credit_count < MAX_CREDITS);
    incentive_record_credit_t *credit = &fixture->credits[fixture->credit_count];
    memset (credit, 0, sizeof *credit);
    snprintf (credit->event_id, sizeof credit->event_id, "%s", event_id);
    snprintf (credit->rep, sizeof credit->rep, "%s", fixture->input.rep_id);
    credit->occurred_at = occurred_at;
    snprintf (credit->deal, sizeof credit->deal, "opp-%s", event_id);
    snprintf (credit->currency, sizeof credit->currency, "USD");
    credit->credit_bp = 10000;
    credit->deal_amount = amount;
    credit->revenue = amount;
    fixture->new_logo[fixture->credit_count++] = new_logo;
}

static const incentive_statement_input_t *
s_input (s_fixture_t *fixture)
{
    fixture->input.plans = fixture->versions;
    fixture->input.plan_count = fixture->version_count;
    fixture->input.credits = fixture->credits;
    fixture->input.new_logo = fixture->new_logo;
    fixture->input.credit_count = fixture->credit_count;
    fixture->input.cancels = &fixture->cancel;
    fixture->input.cancel_count = fixture->cancel_count;
    return &fixture->input;
}

/* The standing of rep on spiff (its deals added by add). */
static incentive_contest_standing_t
s_standing (const char *rep, const char *spiff, const char *last,
            void (*add) (s_fixture_t *fixture))
{
    s_fixture_t fixture;
    s_fixture (&fixture, rep);
    if (add)
        add (&fixture);
    incentive_contest_standing_t standing;
    char error[INCENTIVE_CONTEST_ERROR_SIZE] = "";
    if (incentive_contest_standing (s_input (&fixture), "ae-2025", spiff, last, &standing, error,
                                    sizeof error) != 0)
        fail_msg ("standing of %s refused: %s", rep, error);
    s_fixture_free (&fixture);
    return standing;
}

static void
s_rep_a (s_fixture_t *fixture)
{
    s_credit (fixture, "a1", JUL_10, USD (6000), true);
    s_credit (fixture, "a2", AUG_5, USD (9000), true);
    s_credit (fixture, "a3", SEP_3, USD (5000), true);
}

static void
s_rep_b (s_fixture_t *fixture)
{
    s_credit (fixture, "b1", JUL_20, USD (15000), true);
    s_credit (fixture, "b2", AUG_20, USD (1000), false);
}

static void
s_rep_c (s_fixture_t *fixture)
{
    s_credit (fixture, "c1", JUL_1, USD (15000), true);
    s_credit (fixture, "c2", AUG_10, USD (1000), false);
    fixture->cancel = (incentive_record_cancel_t){ .occurred_at = AUG_25 };
    snprintf (fixture->cancel.event_id, sizeof fixture->cancel.event_id, "x2");
    snprintf (fixture->cancel.won_event_id, sizeof fixture->cancel.won_event_id, "c2");
    fixture->cancel_count = 1;
}

static void
s_rep_f (s_fixture_t *fixture)
{
    for (int deal = 0; deal < 5; deal++) {
        char id[16];
        snprintf (id, sizeof id, "f%d", deal);
        s_credit (fixture, id, JUL_1 + deal * DAY_MS, USD (100), true);
    }
}

static void
s_check (const incentive_contest_standing_t *standing, const char *rep, int64_t value,
         int64_t earning, int64_t deals, bool reached, int64_t reached_at)
{
    assert_string_equal (standing->rep_id, rep);
    assert_int_equal (standing->value, value);
    assert_int_equal (standing->earning, earning);
    assert_int_equal (standing->deals, deals);
    assert_int_equal (standing->reached, reached);
    if (reached)
        assert_int_equal (standing->reached_at, reached_at);
}

// ---------------------------------------------------------------- tests

static void
test_summer (void **state)
{
    (void) state;
    incentive_contest_standing_t board[5] = {
        s_standing ("z", "summer", "2025-08", NULL),
        s_standing ("a", "summer", "2025-08", s_rep_a),
        s_standing ("e", "summer", "2025-08", NULL),
        s_standing ("c", "summer", "2025-08", s_rep_c),
        s_standing ("b", "summer", "2025-08", s_rep_b),
    };
    s_check (&board[1], "a", USD (15000), USD (350), 2, true, AUG_5);
    s_check (&board[3], "c", USD (15000), USD (350), 1, true, JUL_1);
    s_check (&board[4], "b", USD (16000), USD (380), 2, true, AUG_20);
    s_check (&board[0], "z", 0, 0, 0, false, 0);
    incentive_contest_rank (board, 5);
    const char *order[] = { "b", "c", "a", "e", "z" };
    for (size_t index = 0; index < 5; index++) {
        assert_string_equal (board[index].rep_id, order[index]);
        assert_int_equal (board[index].rank, index + 1);
    }
}

static void
test_logos (void **state)
{
    (void) state;
    incentive_contest_standing_t board[4] = {
        s_standing ("b", "logos", "2025-09", s_rep_b),
        s_standing ("c", "logos", "2025-09", s_rep_c),
        s_standing ("a", "logos", "2025-09", s_rep_a),
        s_standing ("f", "logos", "2025-09", s_rep_f),
    };
    s_check (&board[0], "b", 1, USD (250), 1, true, JUL_20);
    s_check (&board[1], "c", 1, USD (250), 1, true, JUL_1);
    s_check (&board[2], "a", 3, USD (750), 3, true, SEP_3);
    /* the cap: four logos pay 1,000.00, the fifth nothing but still counts */
    s_check (&board[3], "f", 5, USD (1000), 5, true, JUL_1 + 4 * DAY_MS);
    incentive_contest_rank (board, 4);
    const char *order[] = { "f", "a", "c", "b" };
    for (size_t index = 0; index < 4; index++)
        assert_string_equal (board[index].rep_id, order[index]);
    /* through July only: a has one logo */
    incentive_contest_standing_t july = s_standing ("a", "logos", "2025-07", s_rep_a);
    s_check (&july, "a", 1, USD (250), 1, true, JUL_10);
}

static void
test_find_and_window (void **state)
{
    (void) state;
    s_fixture_t fixture;
    s_fixture (&fixture, "a");
    s_version (&fixture, PLAN (""), 2); /* version 2 has no SPIFF */
    size_t spiff = 99;
    const incentive_statement_plan_t *found = incentive_contest_find (
        fixture.versions, fixture.version_count, "ae-2025", "logos", &spiff);
    assert_non_null (found);
    assert_int_equal (found->version, 1);
    assert_int_equal (spiff, 1);
    spiff = 99;
    assert_null (incentive_contest_find (fixture.versions, fixture.version_count, "ae-2025", "nope",
                                         &spiff));
    assert_null (
        incentive_contest_find (fixture.versions, fixture.version_count, "other", "logos", &spiff));
    assert_int_equal (spiff, 99);
    char first[SP_PERIOD_LABEL_SIZE], last[SP_PERIOD_LABEL_SIZE];
    char error[INCENTIVE_CONTEST_ERROR_SIZE];
    const incentive_plan_spiff_t *summer = incentive_plan_spiff (fixture.plans[0], 0);
    assert_int_equal (incentive_contest_window (fixture.tz, SP_PERIOD_MONTH, summer, first, last,
                                                error, sizeof error),
                      0);
    assert_string_equal (first, "2025-07");
    assert_string_equal (last, "2025-08"); /* to is exclusive: September is not in it */
    assert_int_equal (incentive_contest_window (fixture.tz, SP_PERIOD_QUARTER, summer, first, last,
                                                error, sizeof error),
                      0);
    assert_string_equal (first, "2025-Q3");
    assert_string_equal (last, "2025-Q3");
    /* a label of another kind than the input's is refused, standing untouched */
    incentive_contest_standing_t standing = { .value = 7 };
    assert_int_equal (incentive_contest_standing (s_input (&fixture), "ae-2025", "summer",
                                                  "2025-Q3", &standing, error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "is a quarter"));
    assert_int_equal (standing.value, 7);
    incentive_contest_rank (NULL, 0);
    s_fixture_free (&fixture);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_summer),
        cmocka_unit_test (test_logos),
        cmocka_unit_test (test_find_and_window),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
