/*  test_kpi_handler_order - kpi-evaluator's consumer handler
    (kpi_handler) against the order events arrive in, driven as
    test_kpi_handler drives it (kpi_handler_fixture.h).

    Checked: the central property, the same events of an opportunity in
    any order, in one run, one event a run or two runs split anywhere,
    give the same measures (each history's expected ones) and the same
    records; and a redelivery of them changes nothing.
*/

#include "kpi_handler_fixture.h"

/* ---------------------------------------------------------------- any order */

#define OPPORTUNITY_EVENTS 5
/* Days of the opportunity's events (UTC). */
#define DAY_LEAD (MAY_1 + 1 * DAY_MS + 9 * HOUR_MS) /* 2017-05-02 */
#define DAY_WON (MAY_1 + 9 * DAY_MS + 9 * HOUR_MS)  /* 2017-05-10 */
#define DAY_LOST (MAY_1 + 11 * DAY_MS)              /* 2017-05-12 */
#define DAY_WON_AGAIN (MAY_1 + 31 * DAY_MS)         /* 2017-06-01 */
#define DAY_CANCEL (MAY_1 + 35 * DAY_MS)            /* 2017-06-05 */
#define DAY_EARLY_LOSS (MAY_1 + 4 * DAY_MS)         /* 2017-05-05 */

/* One opportunity's events (at most OPPORTUNITY_EVENTS) and what they
   must leave whatever their order. */
typedef struct {
    const char *name;
    s_spec_t events[OPPORTUNITY_EVENTS];
    size_t count;
    void (*expect) (s_expected_t *expected);
    void (*check) (const s_redis_t *redis); /* more checks of the end state, or NULL */
} s_history_t;

static const char *const s_history_scopes[] = { "company", "region:region-p", "team:team-p",
                                                "rep:rep-p" };

#define OPP_EVENT(type, id, at, currency, amount, margin, text)                                    \
    {                                                                                              \
        type, id, at, "rep-p", "team-p", "region-p", "cust-9", "opp-9", currency, amount, margin,  \
            0, text                                                                                \
    }

/* Lead, won, lost later, won again later: the first win counts. */
static void
s_expect_first_win (s_expected_t *expected)
{
    s_expect (expected, "2017-05-02", "leads", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-02", "leads_won", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-10", "won", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-10", "won_amount", s_history_scopes, 4, 100000);
    s_expect (expected, "2017-05-10", "margin", s_history_scopes, 4, 30000);
    s_expect (expected, "2017-05-10", "new_customers", s_history_scopes, 4, 1);
}

/* The same, its first win cancelled: the lead is left, and the new
   customer (a cancellation does not move it). */
static void
s_expect_win_cancelled (s_expected_t *expected)
{
    s_expect (expected, "2017-05-02", "leads", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-10", "new_customers", s_history_scopes, 4, 1);
}

/* Lost before the first win: the loss is the outcome. */
static void
s_expect_lost (s_expected_t *expected)
{
    s_expect (expected, "2017-05-02", "leads", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-05", "lost", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-10", "new_customers", s_history_scopes, 4, 1);
}

/* Lead, two stage changes, a quote: still open, in the latest stage
   with the latest value. */
static void
s_expect_open (s_expected_t *expected)
{
    s_expect (expected, "2017-05-02", "leads", s_history_scopes, 4, 1);
    s_expect (expected, "2017-05-12", "quotes", s_history_scopes, 4, 1);
}

static void
s_check_open (const s_redis_t *redis)
{
    for (size_t index = 0; index < COUNT (s_history_scopes); index++) {
        char field[KPI_KEYS_FIELD_MAX];
        snprintf (field, sizeof field, "count|%s", s_history_scopes[index]);
        assert_int_equal (s_hget (redis, KEY_PREFIX "p:negotiation", field), 1);
        assert_int_equal (s_hget (redis, KEY_PREFIX "p:proposal", field), 0);
        assert_int_equal (s_hget (redis, KEY_PREFIX "p:", field), 0);
        snprintf (field, sizeof field, "value|%s", s_history_scopes[index]);
        assert_int_equal (s_hget (redis, KEY_PREFIX "p:negotiation", field), 45000);
    }
    assert_true (s_sismember (redis, KEY_PREFIX "stages", "negotiation"));
}

/* The lead, the win, a loss (on the day given) and a second win that the
   first four histories share. */
#define LEAD_WON_LOST_WON(lost_at)                                                                 \
    OPP_EVENT (LEAD, "e1", DAY_LEAD, NULL, 0, 0, NULL),                                            \
        OPP_EVENT (WON, "e2", DAY_WON, "USD", 100000, 30000, NULL),                                \
        OPP_EVENT (LOST, "e3", lost_at, NULL, 0, 0, NULL),                                         \
        OPP_EVENT (WON, "e4", DAY_WON_AGAIN, "USD", 500000, 70000, NULL)

/* A cancellation of the win with the given event id. */
#define CANCEL_OF(win) OPP_EVENT (CANCELLED, "e5", DAY_CANCEL, NULL, 0, 0, win)

static const s_history_t s_histories[] = {
    { "lead, won, lost, won again, cancel of the first win",
      { LEAD_WON_LOST_WON (DAY_LOST), CANCEL_OF ("e2") },
      5,
      s_expect_win_cancelled,
      s_check_closed },
    { "lead, won, lost, won again, cancel of the second win",
      { LEAD_WON_LOST_WON (DAY_LOST), CANCEL_OF ("e4") },
      5,
      s_expect_first_win,
      s_check_closed },
    { "lead, won, lost, won again",
      { LEAD_WON_LOST_WON (DAY_LOST) },
      4,
      s_expect_first_win,
      s_check_closed },
    { "lead, lost first, won, won again, cancel of the first win",
      { LEAD_WON_LOST_WON (DAY_EARLY_LOSS), CANCEL_OF ("e2") },
      5,
      s_expect_lost,
      s_check_closed },
    { "lead with an estimate, two stage changes, a quote",
      { OPP_EVENT (LEAD, "e1", DAY_LEAD, "USD", 30000, 0, NULL),
        OPP_EVENT (STAGE, "e2", DAY_WON, NULL, 0, 0, "proposal"),
        OPP_EVENT (QUOTE, "e3", DAY_LOST, "USD", 45000, 0, NULL),
        OPP_EVENT (STAGE, "e4", DAY_WON_AGAIN, NULL, 0, 0, "negotiation") },
      4,
      s_expect_open,
      s_check_open },
};

/* Next permutation of order (lexicographic); false after the last. */
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
    size_t held = order[pivot - 1];
    order[pivot - 1] = order[swap];
    order[swap] = held;
    for (size_t low = pivot, high = count - 1; low < high; low++, high--) {
        held = order[low];
        order[low] = order[high];
        order[high] = held;
    }
    return true;
}

/* Every order of every history, applied (a) in one run, (b) one event a
   run, the records carried from run to run through the view, and (c) in
   two runs split at a place that moves with the order: the same
   measures, the history's expected ones, and the same records. */
static void
test_any_order_gives_the_same_measures (void **state)
{
    s_fixture_t *fixture = *state;
    for (size_t history = 0; history < COUNT (s_histories); history++) {
        const s_history_t *h = &s_histories[history];
        s_expected_t *expected = s_expected_new ();
        h->expect (expected);
        s_redis_t *reference = s_redis_new ();
        s_run_ok (fixture->plain, reference, h->events, NULL, h->count);
        s_check (reference, expected);
        h->check (reference);

        size_t order[OPPORTUNITY_EVENTS];
        for (size_t index = 0; index < h->count; index++)
            order[index] = index;
        size_t permutations = 0;
        do {
            permutations++;
            /* (a) one run */
            s_redis_t *redis = s_redis_new ();
            s_run_ok (fixture->plain, redis, h->events, order, h->count);
            s_check (redis, expected);
            s_same_state (redis, reference);
            free (redis);
            /* (b) one event a run */
            redis = s_redis_new ();
            for (size_t index = 0; index < h->count; index++)
                s_run_ok (fixture->plain, redis, h->events, &order[index], 1);
            s_check (redis, expected);
            s_same_state (redis, reference);
            free (redis);
            /* (c) two runs */
            size_t split = 1 + permutations % (h->count - 1);
            redis = s_redis_new ();
            s_run_ok (fixture->plain, redis, h->events, order, split);
            s_run_ok (fixture->plain, redis, h->events, order + split, h->count - split);
            s_check (redis, expected);
            s_same_state (redis, reference);
            assert_int_equal (redis->checkpoint, h->count);
            free (redis);
        } while (s_next_permutation (order, h->count));
        assert_int_equal (permutations, h->count == 5 ? 120 : 24);
        free (reference);
        free (expected);
    }
}

/* Replaying a history a second time (a redelivery) changes nothing. */
static void
test_repeated_events_count_once (void **state)
{
    s_fixture_t *fixture = *state;
    const s_history_t *h = &s_histories[1];
    s_expected_t *expected = s_expected_new ();
    h->expect (expected);
    s_run_ok (fixture->plain, fixture->redis, h->events, NULL, h->count);
    const size_t backwards[] = { 4, 3, 2, 1, 0 };
    s_run_ok (fixture->plain, fixture->redis, h->events, backwards, h->count);
    s_check (fixture->redis, expected);
    free (expected);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_any_order_gives_the_same_measures, s_reset),
        cmocka_unit_test_setup (test_repeated_events_count_once, s_reset),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
