/*  test_kpi_handler - kpi-evaluator's consumer handler (kpi_handler),
    driven directly as sp_consumer.c drives it, without servers: begin
    declares keys, the view is filled from a small in-memory Redis (the
    records earlier runs SET), each event is applied with the batch and
    the view marked, accepted or rewound, and the coalesced step is run
    against that in-memory Redis (HINCRBY sums, SET values); that
    scaffolding is kpi_handler_fixture.h.

    Checked: the exact measures of each kind of event in every scope of
    the day and month hashes (kpi_keys.h), the time zone that cuts days
    and months, the org that gives an event's team and region, the
    customer owner a survey is credited to, the open pipeline and the
    customers touched. A stored value that is not a record fails the
    event with a reason naming its key. The same events in any order, in
    one run or in several, are test_kpi_handler_order's.
*/

#include "kpi_handler_fixture.h"

static const char *const s_rep_scopes[] = { "company", "region:G", "team:T", "rep:R" };

/* ---------------------------------------------------------------- single events */

/* A deal won in the reporting currency with its margin, by rep R of team
   T in region G: deal, amount, margin and a new customer, in every scope,
   in the day and the month. */
static void
test_deal_won_in_reporting_currency (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t won = { WON,     "won-1", T0,     "R",   "T", "G", "cust-1",
                           "opp-1", "USD",   250000, 60000, 0,   NULL };
    s_run_ok (fixture->plain, fixture->redis, &won, NULL, 1);

    /* spelled out once */
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "won|company"), 1);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "won|company"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "won_amount|rep:R"), 250000);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "margin|team:T"), 60000);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "new_customers|region:G"), 1);

    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "won", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "won_amount", s_rep_scopes, 4, 250000);
    s_expect (expected, "2017-05-30", "margin", s_rep_scopes, 4, 60000);
    s_expect (expected, "2017-05-30", "new_customers", s_rep_scopes, 4, 1);
    s_check (fixture->redis, expected);
    assert_int_equal (expected->count, 32);

    /* the customer touched, in the day hash, for the team and the rep */
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:6:cust-1|rep:R"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:6:cust-1|team:T"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:6:cust-1|company"), 0);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "t:6:cust-1|rep:R"), 0);

    /* the records it keeps */
    const s_string_t *stored = s_get (fixture->redis, KEY_PREFIX "o:opp-1");
    assert_non_null (stored);
    kpi_opportunity_t opportunity;
    assert_int_equal (kpi_opportunity_unpack (&opportunity, stored->value, stored->length), 0);
    assert_true (opportunity.won.present);
    assert_string_equal (opportunity.won.event_id, "won-1");
    assert_int_equal (opportunity.won_currency, KPI_RECORD_MONEY_REPORTING);
    assert_int_equal (opportunity.won_amount, 250000);
    stored = s_get (fixture->redis, KEY_PREFIX "c:cust-1");
    assert_non_null (stored);
    kpi_customer_t customer;
    assert_int_equal (kpi_customer_unpack (&customer, stored->value, stored->length), 0);
    assert_string_equal (customer.first_won.event_id, "won-1");

    /* the same event again, in a later run: nothing more */
    s_run_ok (fixture->plain, fixture->redis, &won, NULL, 1);
    s_check (fixture->redis, expected);
    free (expected);
}

static void
test_deal_won_in_another_currency (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t won = { WON,     "won-1", T0,     "R",   "T", "G", NULL,
                           "opp-1", "EUR",   250000, 60000, 0,   NULL };
    s_run_ok (fixture->plain, fixture->redis, &won, NULL, 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "won_other_currency|rep:R"), 1);
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "won", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "won_other_currency", s_rep_scopes, 4, 1);
    s_check (fixture->redis, expected);
    free (expected);
}

/* A visit at a tier-A customer, one at a tier-B customer, one at a
   customer nobody knows, and one without a customer. */
static void
test_visits_and_tier_a (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t visits[] = {
        { VISIT, "v-1", T0, "rep-v", NULL, NULL, "acme", NULL, NULL, 0, 0, 45, NULL },
        { VISIT, "v-2", T0 + 1, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0, 30, NULL },
        { VISIT, "v-3", T0 + 2, "rep-v", NULL, NULL, "zeta", NULL, NULL, 0, 0, 20, NULL },
        { VISIT, "v-4", T0 + 3, "rep-v", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
    };
    static const char *const scopes[] = { "company", "rep:rep-v" };
    s_run_ok (fixture->handler, fixture->redis, visits, NULL, 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "visits|rep:rep-v"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "visit_minutes|rep:rep-v"), 45);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "visits_tier_a|company"), 1);
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "visits", scopes, 2, 1);
    s_expect (expected, "2017-05-30", "visit_minutes", scopes, 2, 45);
    s_expect (expected, "2017-05-30", "visits_tier_a", scopes, 2, 1);
    s_check (fixture->redis, expected);

    s_run_ok (fixture->handler, fixture->redis, visits + 1, NULL, COUNT (visits) - 1);
    s_expect (expected, "2017-05-30", "visits", scopes, 2, 3);
    s_expect (expected, "2017-05-30", "visit_minutes", scopes, 2, 50);
    s_check (fixture->redis, expected);

    /* without the customers document, no visit is at a tier-A customer */
    s_redis_t *plain = s_redis_new ();
    s_run_ok (fixture->plain, plain, visits, NULL, 1);
    assert_int_equal (s_hget (plain, DAY_KEY, "visits|company"), 1);
    assert_int_equal (s_hget (plain, DAY_KEY, "visits_tier_a|company"), 0);
    free (plain);
    free (expected);
}

/* Visits planned and completed the same day at the same customer. */
static void
test_visit_plan (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t events[] = {
        { PLANNED, "p-1", T0 - 3 * DAY_MS, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0, T0,
          NULL },
        { PLANNED, "p-2", T0 - 2 * DAY_MS, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0,
          T0 + HOUR_MS, NULL },
        { VISIT, "v-1", T0 + 2 * HOUR_MS, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0, 30, NULL },
        /* another day, another customer: not this plan */
        { VISIT, "v-2", T0 + DAY_MS, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0, 30, NULL },
        { VISIT, "v-3", T0 + 3 * HOUR_MS, "rep-v", NULL, NULL, "acme", NULL, NULL, 0, 0, 30, NULL },
    };
    static const char *const scopes[] = { "company", "rep:rep-v" };
    s_run_ok (fixture->plain, fixture->redis, events, NULL, COUNT (events));
    s_expected_t *expected = s_expected_new ();
    /* planned for the planned day, not the day the plan was made */
    s_expect (expected, "2017-05-30", "visits_planned", scopes, 2, 2);
    s_expect (expected, "2017-05-30", "planned_done", scopes, 2, 1);
    s_expect (expected, "2017-05-30", "visits", scopes, 2, 2);
    s_expect (expected, "2017-05-30", "visit_minutes", scopes, 2, 60);
    s_expect (expected, "2017-05-31", "visits", scopes, 2, 1);
    s_expect (expected, "2017-05-31", "visit_minutes", scopes, 2, 30);
    s_check (fixture->redis, expected);

    /* completed first, planned after, one event per run: the same */
    s_redis_t *other = s_redis_new ();
    const size_t order[] = { 4, 3, 2, 1, 0 };
    for (size_t index = 0; index < COUNT (order); index++)
        s_run_ok (fixture->plain, other, events, &order[index], 1);
    s_check (other, expected);
    free (other);
    free (expected);
}

/* Surveys: NPS 9, 6, 7 and a CSAT 4 at acme without a rep, credited to
   its owner rep-a; one at bolt (no owner) to the company only; one that
   names its rep to that rep. */
static void
test_surveys_and_owner (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t surveys[] = {
        { SURVEY, "s-1", T0, NULL, NULL, NULL, "acme", NULL, NULL, 0, 0, 9, "nps" },
        { SURVEY, "s-2", T0, NULL, NULL, NULL, "acme", NULL, NULL, 0, 0, 6, "nps" },
        { SURVEY, "s-3", T0, NULL, NULL, NULL, "acme", NULL, NULL, 0, 0, 7, "nps" },
        { SURVEY, "s-4", T0, NULL, NULL, NULL, "acme", NULL, NULL, 0, 0, 4, "csat" },
        { SURVEY, "s-5", T0, NULL, NULL, NULL, "bolt", NULL, NULL, 0, 0, 10, "nps" },
        { SURVEY, "s-6", T0, "rep-z", NULL, NULL, "acme", NULL, NULL, 0, 0, 0, "nps" },
    };
    s_run_ok (fixture->handler, fixture->redis, surveys, NULL, COUNT (surveys));
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "nps_answers|rep:rep-a"), 3);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "nps_promoters|rep:rep-a"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "nps_detractors|rep:rep-a"), 1);
    static const char *const owner[] = { "company", "rep:rep-a" };
    static const char *const company[] = { "company" };
    static const char *const named[] = { "company", "rep:rep-z" };
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "nps_answers", owner, 2, 3);
    s_expect (expected, "2017-05-30", "nps_promoters", owner, 2, 1);
    s_expect (expected, "2017-05-30", "nps_detractors", owner, 2, 1);
    s_expect (expected, "2017-05-30", "csat_answers", owner, 2, 1);
    s_expect (expected, "2017-05-30", "csat_sum", owner, 2, 4);
    s_expect (expected, "2017-05-30", "nps_answers", company, 1, 1);
    s_expect (expected, "2017-05-30", "nps_promoters", company, 1, 1);
    s_expect (expected, "2017-05-30", "nps_answers", named, 2, 1);
    s_expect (expected, "2017-05-30", "nps_detractors", named, 2, 1);
    s_check (fixture->redis, expected);
    free (expected);
}

/* The events counted straight: quotes, calls, demos, orders and
   payments (in the currency or counted apart); stage changes and
   complaints count nothing. */
static void
test_direct_counts (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t events[] = {
        { QUOTE, "q-1", T0, "R", "T", "G", NULL, "opp-1", "USD", 900, 0, 0, NULL },
        { CALL, "c-1", T0, "R", "T", "G", NULL, NULL, NULL, 0, 0, 0, NULL },
        { DEMO, "d-1", T0, "R", "T", "G", NULL, NULL, NULL, 0, 0, 0, NULL },
        { ORDER, "o-1", T0, "R", "T", "G", NULL, NULL, "USD", 1234, 0, 0, NULL },
        { ORDER, "o-2", T0, "R", "T", "G", NULL, NULL, "EUR", 99, 0, 0, NULL },
        { PAYMENT, "y-1", T0, "R", "T", "G", NULL, NULL, "USD", 1000, 0, 0, NULL },
        { PAYMENT, "y-2", T0, "R", "T", "G", NULL, NULL, "JPY", 5, 0, 0, NULL },
        { STAGE, "x-1", T0, "R", "T", "G", NULL, "opp-1", NULL, 0, 0, 0, NULL },
        { SALESPULSE__EVENT_TYPE__EVENT_TYPE_COMPLAINT, "x-2", T0, "R", "T", "G", NULL, NULL, NULL,
          0, 0, 0, NULL },
    };
    s_run_ok (fixture->plain, fixture->redis, events, NULL, COUNT (events));
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "quotes", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "calls", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "demos", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "order_amount", s_rep_scopes, 4, 1234);
    s_expect (expected, "2017-05-30", "order_other_currency", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "payment_amount", s_rep_scopes, 4, 1000);
    s_expect (expected, "2017-05-30", "payment_other_currency", s_rep_scopes, 4, 1);
    s_check (fixture->redis, expected);
    free (expected);
}

/* The org gives the team and region of an event that names only its
   rep, by the membership of its local day; an event's own team and
   region win; an unknown rep counts in the company and its own scope. */
static void
test_org_gives_team_and_region (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t events[] = {
        { CALL, "c-1", MAY_1 + 9 * DAY_MS, "anna", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
        { CALL, "c-2", T0, "anna", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
        { CALL, "c-3", T0, "anna", "east", "apac", NULL, NULL, NULL, 0, 0, 0, NULL },
        { CALL, "c-4", T0, "bob", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
    };
    s_run_ok (fixture->handler, fixture->redis, events, NULL, COUNT (events));
    static const char *const north[] = { "company", "region:emea", "team:north", "rep:anna" };
    static const char *const south[] = { "company", "region:emea", "team:south", "rep:anna" };
    static const char *const east[] = { "company", "region:apac", "team:east", "rep:anna" };
    static const char *const bob[] = { "company", "rep:bob" };
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-10", "calls", north, 4, 1);
    s_expect (expected, "2017-05-30", "calls", south, 4, 1);
    s_expect (expected, "2017-05-30", "calls", east, 4, 1);
    s_expect (expected, "2017-05-30", "calls", bob, 2, 1);
    s_check (fixture->redis, expected);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "calls|team:north"), 1);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "calls|team:south"), 1);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "calls|region:emea"), 2);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "calls|company"), 4);

    /* without the org: only the ids the events give */
    s_redis_t *plain = s_redis_new ();
    s_run_ok (fixture->plain, plain, events, NULL, 1);
    s_expected_t *alone = s_expected_new ();
    static const char *const anna[] = { "company", "rep:anna" };
    s_expect (alone, "2017-05-10", "calls", anna, 2, 1);
    s_check (plain, alone);
    free (alone);
    free (plain);
    free (expected);
}

/* Days and months are cut in the handler's time zone: 2017-03-31T20:00Z
   is 2017-04-01 in Shanghai, 2017-03-31 in UTC. Records of a won deal
   count there too. */
static void
test_time_zone_cuts_days_and_months (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t events[] = {
        { QUOTE, "q-1", MARCH_31_EVENING, "R", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
        { WON, "w-1", MARCH_31_EVENING, "R", NULL, NULL, NULL, "opp-1", "USD", 700, 0, 0, NULL },
    };
    static const char *const scopes[] = { "company", "rep:R" };
    s_run_ok (fixture->china, fixture->redis, events, NULL, COUNT (events));
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "d:2017-04-01", "quotes|rep:R"), 1);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "m:2017-04", "quotes|company"), 1);
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-04-01", "quotes", scopes, 2, 1);
    s_expect (expected, "2017-04-01", "won", scopes, 2, 1);
    s_expect (expected, "2017-04-01", "won_amount", scopes, 2, 700);
    s_check (fixture->redis, expected);
    free (expected);

    s_redis_t *utc = s_redis_new ();
    s_run_ok (fixture->plain, utc, events, NULL, COUNT (events));
    assert_int_equal (s_hget (utc, KEY_PREFIX "d:2017-03-31", "quotes|rep:R"), 1);
    assert_int_equal (s_hget (utc, KEY_PREFIX "m:2017-03", "quotes|company"), 1);
    assert_int_equal (s_hget (utc, KEY_PREFIX "m:2017-04", "quotes|company"), 0);
    free (utc);
}

/* An opportunity in the open pipeline: by its latest stage (the lead's
   "" before any change), valued by its latest estimate or quote, counted
   for the scopes of the touch that owns it; gone once won. Customers
   touched count per day for the team and the rep. */
static void
test_open_pipeline_and_customers_touched (void **state)
{
    s_fixture_t *fixture = *state;
    const s_spec_t events[] = {
        { LEAD, "l-1", T0, "R", "T", "G", NULL, "opp-7", "USD", 40000, 0, 0, NULL },
        { STAGE, "s-1", T0 + HOUR_MS, "R2", "T", "G", NULL, "opp-7", NULL, 0, 0, 0, "proposal" },
        { QUOTE, "q-1", T0 + 2 * HOUR_MS, "R", "T", "G", "acme", "opp-7", "EUR", 45000, 0, 0,
          NULL },
        { WON, "w-1", T0 + 3 * HOUR_MS, "R", "T", "G", "acme", "opp-7", "USD", 45000, 0, 0, NULL },
    };
    static const char *const owner[] = { "company", "region:G", "team:T", "rep:R2" };
    s_run_ok (fixture->plain, fixture->redis, events, NULL, 1);
    for (size_t index = 0; index < COUNT (s_rep_scopes); index++) {
        char field[KPI_KEYS_FIELD_MAX];
        snprintf (field, sizeof field, "count|%s", s_rep_scopes[index]);
        assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:", field), 1);
        snprintf (field, sizeof field, "value|%s", s_rep_scopes[index]);
        assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:", field), 40000);
    }
    assert_true (s_sismember (fixture->redis, KEY_PREFIX "stages", ""));

    /* the stage change moves it and its owner */
    s_run_ok (fixture->plain, fixture->redis, events + 1, NULL, 1);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:", "count|company"), 0);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:", "value|rep:R"), 0);
    for (size_t index = 0; index < COUNT (owner); index++) {
        char field[KPI_KEYS_FIELD_MAX];
        snprintf (field, sizeof field, "count|%s", owner[index]);
        assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:proposal", field), 1);
        snprintf (field, sizeof field, "value|%s", owner[index]);
        assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:proposal", field), 40000);
    }
    assert_true (s_sismember (fixture->redis, KEY_PREFIX "stages", "proposal"));

    /* a later quote in another currency: valued apart */
    s_run_ok (fixture->plain, fixture->redis, events + 2, NULL, 1);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:proposal", "count|rep:R2"), 1);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:proposal", "value|rep:R2"), 0);
    assert_int_equal (s_hget (fixture->redis, KEY_PREFIX "p:proposal", "other_currency|rep:R2"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|rep:R"), 1);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|team:T"), 1);

    /* won: out of the pipeline; one more touch of acme */
    s_run_ok (fixture->plain, fixture->redis, events + 3, NULL, 1);
    s_check_closed (fixture->redis);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|rep:R"), 2);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|team:T"), 2);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|region:G"), 0);
    assert_int_equal (s_hget (fixture->redis, DAY_KEY, "t:4:acme|company"), 0);
    assert_int_equal (s_hget (fixture->redis, MONTH_KEY, "t:4:acme|rep:R"), 0);
    s_expected_t *expected = s_expected_new ();
    s_expect (expected, "2017-05-30", "leads", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "leads_won", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "quotes", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "won", s_rep_scopes, 4, 1);
    s_expect (expected, "2017-05-30", "won_amount", s_rep_scopes, 4, 45000);
    s_expect (expected, "2017-05-30", "new_customers", s_rep_scopes, 4, 1);
    s_check (fixture->redis, expected);

    /* the same in one run */
    s_redis_t *one = s_redis_new ();
    s_run_ok (fixture->plain, one, events, NULL, COUNT (events));
    s_check (one, expected);
    s_same_state (one, fixture->redis);
    free (one);
    free (expected);
}

/* ---------------------------------------------------------------- failures */

/* A stored value that is not a record of its kind fails the event with
   the key named, and the event leaves nothing behind. */
static void
test_stored_value_that_is_not_a_record (void **state)
{
    s_fixture_t *fixture = *state;
    static const char garbage[] = "not a record";
    const struct {
        const char *key;
        s_spec_t event;
    } cases[] = {
        { KEY_PREFIX "o:opp-1",
          { LEAD, "l-1", T0, "R", NULL, NULL, NULL, "opp-1", NULL, 0, 0, 0, NULL } },
        { KEY_PREFIX "c:cust-1",
          { WON, "w-1", T0, "R", NULL, NULL, "cust-1", NULL, "USD", 5, 0, 0, NULL } },
        { KEY_PREFIX "v:2017-05-30:5:rep-vbolt",
          { VISIT, "v-1", T0, "rep-v", NULL, NULL, "bolt", NULL, NULL, 0, 0, 30, NULL } },
        { KEY_PREFIX "v:2017-05-30:5:rep-vo:opp-2",
          { PLANNED, "p-1", T0 - DAY_MS, "rep-v", NULL, NULL, NULL, "opp-2", NULL, 0, 0, T0,
            NULL } },
        /* a record of another kind */
        { KEY_PREFIX "o:opp-3",
          { LOST, "x-1", T0, "R", NULL, NULL, NULL, "opp-3", NULL, 0, 0, 0, NULL } },
    };
    for (size_t index = 0; index < COUNT (cases); index++) {
        s_redis_t *redis = s_redis_new ();
        if (index == COUNT (cases) - 1) {
            kpi_customer_t customer;
            memset (&customer, 0, sizeof customer);
            char packed[KPI_RECORD_PACKED_MAX];
            size_t length = kpi_customer_pack (&customer, packed, sizeof packed);
            s_set (redis, cases[index].key, strlen (cases[index].key), packed, length);
        }
        else
            s_set (redis, cases[index].key, strlen (cases[index].key), garbage, sizeof garbage - 1);
        /* a good event before it in the same run is kept */
        const s_spec_t events[] = {
            { CALL, "c-1", T0, "R", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
            cases[index].event,
        };
        s_outcome_t outcome = s_run (fixture->plain, redis, events, NULL, COUNT (events));
        assert_int_equal (outcome.failed, 1);
        if (!strstr (outcome.error, cases[index].key))
            fail_msg ("reason \"%s\" does not name %s", outcome.error, cases[index].key);
        /* nothing of the failed event: the call only, the value as it was */
        static const char *const scopes[] = { "company", "rep:R" };
        s_expected_t *expected = s_expected_new ();
        s_expect (expected, "2017-05-30", "calls", scopes, 2, 1);
        s_check (redis, expected);
        assert_int_equal (redis->string_count, 1);
        free (expected);
        free (redis);
    }
}

/* A deal cancelled more often than an opportunity remembers: the event
   fails, the earlier ones stand. */
static void
test_too_many_cancellations (void **state)
{
    s_fixture_t *fixture = *state;
    s_spec_t events[KPI_RECORD_CANCELLED_MAX + 1];
    char ids[KPI_RECORD_CANCELLED_MAX + 1][2][16];
    for (size_t index = 0; index < COUNT (events); index++) {
        snprintf (ids[index][0], sizeof ids[index][0], "x-%zu", index);
        snprintf (ids[index][1], sizeof ids[index][1], "w-%zu", index);
        events[index] = (s_spec_t){ CANCELLED, ids[index][0], T0, "R", NULL, NULL,         NULL,
                                    "opp-1",   NULL,          0,  0,   0,    ids[index][1] };
    }
    s_outcome_t outcome = s_run (fixture->plain, fixture->redis, events, NULL, COUNT (events));
    assert_int_equal (outcome.failed, 1);
    assert_non_null (strstr (outcome.error, "cancellations"));
    const s_string_t *stored = s_get (fixture->redis, KEY_PREFIX "o:opp-1");
    assert_non_null (stored);
    kpi_opportunity_t record;
    assert_int_equal (kpi_opportunity_unpack (&record, stored->value, stored->length), 0);
    assert_int_equal (record.cancelled_count, KPI_RECORD_CANCELLED_MAX);
    assert_int_equal (fixture->redis->measure_count, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_deal_won_in_reporting_currency, s_reset),
        cmocka_unit_test_setup (test_deal_won_in_another_currency, s_reset),
        cmocka_unit_test_setup (test_visits_and_tier_a, s_reset),
        cmocka_unit_test_setup (test_visit_plan, s_reset),
        cmocka_unit_test_setup (test_surveys_and_owner, s_reset),
        cmocka_unit_test_setup (test_direct_counts, s_reset),
        cmocka_unit_test_setup (test_org_gives_team_and_region, s_reset),
        cmocka_unit_test_setup (test_time_zone_cuts_days_and_months, s_reset),
        cmocka_unit_test_setup (test_open_pipeline_and_customers_touched, s_reset),
        cmocka_unit_test_setup (test_stored_value_that_is_not_a_record, s_reset),
        cmocka_unit_test_setup (test_too_many_cancellations, s_reset),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
