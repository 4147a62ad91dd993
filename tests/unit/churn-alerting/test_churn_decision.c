/*  test_churn_decision - a customer's periods decided in memory
    (churn_decision_make, churn_decision_clear): each period scored by
    the caller's function, appended to the history and stepped through
    the lifecycles; a fall into red fires red_entry on its day; deciding
    the periods in two goes (the second from the first's history and
    states, as the scorer does across scorings) decides the same as in
    one; a score function that fails
    fails the decision with its reason and leaves it cleared; an
    unchanged green customer decides no alert; the urgency the scorer
    writes decisions in (churn_decision_urgency): a FIRE or a RESOLVE
    first, repeats only next, no alert last.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "churn_decision.h"
#include "sp_error.h"

#define DAY 20000 /* a day number */
#define ERROR_SIZE 256

/* The fake scorer: a score per day from DAY on; fail_day fails. */
typedef struct {
    const int *scores; /* by day - DAY */
    size_t count;      /* days scored */
    int64_t fail_day;  /* this day fails (-1: none) */
    int calls;         /* days asked for */
} fake_t;

static int
s_fake_score (void *arg, const char *id, const churn_customer_t *customer, int64_t day,
              churn_score_t *score, char *error, size_t error_size)
{
    fake_t *fake = (fake_t *) arg;
    (void) id;
    (void) customer;
    fake->calls++;
    if (day == fake->fail_day || day < DAY || (size_t) (day - DAY) >= fake->count) {
        sp_error_set (error, error_size, "no score for day %d", (int) (day - DAY));
        return -1;
    }
    memset (score, 0, sizeof *score);
    score->as_of_day = day;
    score->has_score = true;
    score->score = fake->scores[day - DAY];
    score->band = score->score <= 50   ? CHURN_BAND_RED
                  : score->score <= 75 ? CHURN_BAND_YELLOW
                                       : CHURN_BAND_GREEN;
    score->interval = CHURN_SCORE_INTERVAL_NONE;
    return 0;
}

typedef struct {
    churn_rules_settings_t settings;
    churn_customer_t *customer;
    churn_history_t history;
    churn_lifecycle_t states[CHURN_RULES_COUNT];
} fixture_t;

static int
setup (void **state)
{
    fixture_t *fixture = test_calloc (1, sizeof *fixture);
    churn_rules_settings_default (&fixture->settings);
    fixture->customer = churn_customer_new ();
    churn_history_init (&fixture->history);
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        churn_lifecycle_init (&fixture->states[rule]);
    *state = fixture;
    return fixture->customer ? 0 : -1;
}

static int
teardown (void **state)
{
    fixture_t *fixture = *state;
    churn_customer_destroy (&fixture->customer);
    test_free (fixture);
    return 0;
}

static void
test_fires_on_red (void **state)
{
    fixture_t *fixture = *state;
    static const int scores[] = { 80, 80, 20 };
    fake_t fake = { scores, 3, -1, 0 };
    churn_decision_t decision;
    char error[ERROR_SIZE] = "";
    assert_int_equal (churn_decision_make (&decision, &fixture->settings, "cust-1",
                                           fixture->customer, &fixture->history, fixture->states,
                                           DAY, 3, 1, s_fake_score, &fake, error, sizeof error),
                      0);
    assert_int_equal (fake.calls, 3);
    assert_int_equal (decision.history.count, 3);
    assert_int_equal (decision.history.periods[2].day, DAY + 2);
    assert_int_equal (decision.alert_count, 1);
    assert_int_equal (decision.alerts[0].rule, CHURN_RULES_RED_ENTRY);
    assert_int_equal (decision.alerts[0].action, CHURN_LIFECYCLE_FIRE);
    assert_int_equal (decision.alerts[0].day, DAY + 2);
    assert_int_equal (decision.alerts[0].score, 20);
    assert_string_equal (decision.alerts[0].customer_id, "cust-1");
    assert_int_equal (decision.states[CHURN_RULES_RED_ENTRY].status, CHURN_LIFECYCLE_FIRING);
    /* the input is not touched */
    assert_int_equal (fixture->history.count, 0);
    churn_decision_clear (&decision);
    assert_null (decision.alerts);
    assert_int_equal (decision.alert_count, 0);
    churn_decision_clear (&decision); /* cleared twice: no-op */
}

static void
test_two_goes_as_one (void **state)
{
    fixture_t *fixture = *state;
    static const int scores[] = { 90, 85, 60, 30, 40, 80, 85, 90 };
    fake_t fake = { scores, 8, -1, 0 };
    churn_decision_t whole, first, second;
    char error[ERROR_SIZE] = "";
    assert_int_equal (churn_decision_make (&whole, &fixture->settings, "cust-2", fixture->customer,
                                           &fixture->history, fixture->states, DAY, 8, 1,
                                           s_fake_score, &fake, error, sizeof error),
                      0);
    assert_int_equal (churn_decision_make (&first, &fixture->settings, "cust-2", fixture->customer,
                                           &fixture->history, fixture->states, DAY, 5, 1,
                                           s_fake_score, &fake, error, sizeof error),
                      0);
    assert_int_equal (churn_decision_make (&second, &fixture->settings, "cust-2", fixture->customer,
                                           &first.history, first.states, DAY + 5, 3, 1,
                                           s_fake_score, &fake, error, sizeof error),
                      0);
    assert_true (whole.alert_count > 0);
    assert_int_equal (whole.alert_count, first.alert_count + second.alert_count);
    for (size_t index = 0; index < whole.alert_count; index++) {
        const churn_alert_t *split = index < first.alert_count
                                         ? &first.alerts[index]
                                         : &second.alerts[index - first.alert_count];
        assert_int_equal (whole.alerts[index].rule, split->rule);
        assert_int_equal (whole.alerts[index].action, split->action);
        assert_int_equal (whole.alerts[index].day, split->day);
        assert_int_equal (whole.alerts[index].fired_day, split->fired_day);
    }
    assert_memory_equal (&whole.history, &second.history, sizeof whole.history);
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        unsigned char left[CHURN_LIFECYCLE_PACKED_MAX], right[CHURN_LIFECYCLE_PACKED_MAX];
        size_t size = churn_lifecycle_pack (&whole.states[rule], left, sizeof left);
        assert_int_equal (churn_lifecycle_pack (&second.states[rule], right, sizeof right), size);
        assert_memory_equal (left, right, size);
    }
    churn_decision_clear (&whole);
    churn_decision_clear (&first);
    churn_decision_clear (&second);
}

static void
test_score_fails (void **state)
{
    fixture_t *fixture = *state;
    static const int scores[] = { 80, 20, 20 };
    fake_t fake = { scores, 3, DAY + 2, 0 };
    churn_decision_t decision;
    char error[ERROR_SIZE] = "";
    assert_int_equal (churn_decision_make (&decision, &fixture->settings, "cust-3",
                                           fixture->customer, &fixture->history, fixture->states,
                                           DAY, 3, 1, s_fake_score, &fake, error, sizeof error),
                      -1);
    assert_string_equal (error, "no score for day 2");
    assert_null (decision.alerts);
    assert_int_equal (decision.alert_count, 0);
    assert_int_equal (decision.history.count, 0);
}

static void
test_green_no_alert (void **state)
{
    fixture_t *fixture = *state;
    static const int scores[] = { 90, 90, 90, 90, 90, 90, 90 };
    fake_t fake = { scores, 7, -1, 0 };
    churn_decision_t decision;
    char error[ERROR_SIZE] = "";
    /* every third day: DAY, DAY + 3 */
    assert_int_equal (churn_decision_make (&decision, &fixture->settings, "cust-4",
                                           fixture->customer, &fixture->history, fixture->states,
                                           DAY, 2, 3, s_fake_score, &fake, error, sizeof error),
                      0);
    assert_int_equal (fake.calls, 2);
    assert_int_equal (decision.history.count, 2);
    assert_int_equal (decision.history.periods[1].day, DAY + 3);
    assert_int_equal (decision.alert_count, 0);
    churn_decision_clear (&decision);
}

static void
test_urgency (void **state)
{
    fixture_t *fixture = *state;
    static const int scores[] = { 80, 20, 20, 20, 20 };
    fake_t fake = { scores, 5, -1, 0 };
    churn_decision_t fired, repeated, quiet;
    char error[ERROR_SIZE] = "";
    fixture->settings.repeat_periods = 2;
    /* red on the second day: red_entry fires */
    assert_int_equal (churn_decision_make (&fired, &fixture->settings, "cust-5", fixture->customer,
                                           &fixture->history, fixture->states, DAY, 2, 1,
                                           s_fake_score, &fake, error, sizeof error),
                      0);
    assert_int_equal (churn_decision_urgency (&fired), CHURN_DECISION_URGENT);
    /* two more red days from there: the firing alert repeats, nothing new */
    assert_int_equal (churn_decision_make (&repeated, &fixture->settings, "cust-5",
                                           fixture->customer, &fired.history, fired.states, DAY + 2,
                                           2, 1, s_fake_score, &fake, error, sizeof error),
                      0);
    assert_true (repeated.alert_count >= 1);
    for (size_t index = 0; index < repeated.alert_count; index++)
        assert_int_equal (repeated.alerts[index].action, CHURN_LIFECYCLE_REPEAT);
    assert_int_equal (churn_decision_urgency (&repeated), CHURN_DECISION_REPEATS);
    /* a green first day decides nothing */
    assert_int_equal (churn_decision_make (&quiet, &fixture->settings, "cust-6", fixture->customer,
                                           &fixture->history, fixture->states, DAY, 1, 1,
                                           s_fake_score, &fake, error, sizeof error),
                      0);
    assert_int_equal (quiet.alert_count, 0);
    assert_int_equal (churn_decision_urgency (&quiet), CHURN_DECISION_QUIET);
    assert_true (CHURN_DECISION_URGENT < CHURN_DECISION_REPEATS &&
                 CHURN_DECISION_REPEATS < CHURN_DECISION_QUIET);
    churn_decision_clear (&fired);
    churn_decision_clear (&repeated);
    churn_decision_clear (&quiet);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_fires_on_red, setup, teardown),
        cmocka_unit_test_setup_teardown (test_two_goes_as_one, setup, teardown),
        cmocka_unit_test_setup_teardown (test_score_fails, setup, teardown),
        cmocka_unit_test_setup_teardown (test_green_no_alert, setup, teardown),
        cmocka_unit_test_setup_teardown (test_urgency, setup, teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
