/*  test_kpi_e2e - kpi-evaluator end to end: an org chart loaded with
    `salesctl load org`, events published through the real
    activity-ingest (salesctl publish) and applied by the real
    kpi-evaluator, read back with `salesctl kpi` and `salesctl scorecard`.

    Two reps of region emea: rep-ben in team north all along, rep-ana in
    north until 2026-03-15 and in south from then on (the org's
    memberships). The events name only the rep: each counts in the team
    and region of the membership in force on its day. Outcomes are
    published before the leads (late events): the figures must equal
    in-order delivery, computed here by hand. Then:
      - a new org version moving rep-ana's change to 2026-03-08 is loaded
        while the service runs: it rebuilds, and the win of 2026-03-10
        moves from north to south, with no restart;
      - targets with a carried shortfall and a scorecard are loaded (no
        rebuild: they apply at once): `salesctl kpi` shows the targets,
        the carried shortfall, attainment and pace as of a date, and
        `salesctl scorecard` ranks the team's reps by their weighted
        score;
      - `salesctl report` writes a rep's day and month and a team's month
        (done, targets, what needs attention, customers touched);
      - March is closed once; a win of March published after the close
        shows as an adjustment next to the snapshot;
      - `salesctl rebuild kpi-evaluator --wait` gives the same answers.
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
#include <math.h>

#include "sp_harness.h"
#include "sp_harness_consumer.h"

#define PARTITIONS 4
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE 65536
#define PATH_SIZE 4096
#define assert_close(a, b)                                                                         \
    do {                                                                                           \
        double actual_ = (double) (a), expected_ = (double) (b);                                   \
        if (!(fabs (actual_ - expected_) <= 1e-9))                                                 \
            fail_msg ("%s is %.10g, not %.10g", #a, actual_, expected_);                           \
    } while (0)

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t evaluator;
    int http_port;
    char log[PATH_SIZE];
} s_fixture_t;

static s_fixture_t s_fixture;

/* Writes text to a file of the test's folder; path gets its name. */
static void
s_file (const char *name, const char *text, char *path, size_t size)
{
    snprintf (path, size, "%s/%s", sp_harness_dir (s_fixture.stack->harness), name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}

/* Runs salesctl; its output parsed as JSON (NULL when it failed). */
static json_t *
s_salesctl_json (const char *const *arguments)
{
    char output[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (s_fixture.stack->harness));
    if (sp_harness_salesctl (s_fixture.stack->harness, arguments, errors, output, sizeof output,
                             TIMEOUT_MS) != 0)
        return NULL;
    return json_loads (output, JSON_DISABLE_EOF_CHECK, NULL);
}

static void
s_load (const char *kind, const char *name, const char *text)
{
    char path[PATH_SIZE];
    s_file (name, text, path, sizeof path);
    json_t *loaded = s_salesctl_json ((const char *[]){ "load", kind, path, "--json", NULL });
    if (!loaded)
        fail_msg ("salesctl load %s %s failed", kind, name);
    json_decref (loaded);
}

static void
s_publish (const char *name, const char *text)
{
    char path[PATH_SIZE];
    s_file (name, text, path, sizeof path);
    char output[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/publish.err", sp_harness_dir (s_fixture.stack->harness));
    int status = sp_harness_salesctl (
        s_fixture.stack->harness,
        (const char *[]){ "publish", path, "--endpoint", s_fixture.stack->endpoint, NULL }, errors,
        output, sizeof output, TIMEOUT_MS);
    if (status != 0)
        fail_msg ("salesctl publish: %d: %s", status, output);
}

/* `salesctl kpi --json` of scope and period, as of as_of (NULL: now). */
static json_t *
s_kpi (const char *scope, const char *period, const char *as_of)
{
    if (as_of)
        return s_salesctl_json ((const char *[]){ "kpi", "--scope", scope, "--period", period,
                                                  "--as-of", as_of, "--json", NULL });
    return s_salesctl_json (
        (const char *[]){ "kpi", "--scope", scope, "--period", period, "--json", NULL });
}

/* The row of kpi in a `salesctl kpi` report. */
static json_t *
s_row (json_t *report, const char *kpi)
{
    size_t index;
    json_t *row;
    json_array_foreach (json_object_get (report, "kpis"), index, row)
    {
        if (strcmp (json_string_value (json_object_get (row, "kpi")), kpi) == 0)
            return row;
    }
    fail_msg ("no KPI %s in the report", kpi);
    return NULL;
}

static json_t *
s_field (json_t *report, const char *kpi, const char *field)
{
    return json_object_get (s_row (report, kpi), field);
}

static json_int_t
s_integer (json_t *report, const char *kpi, const char *field)
{
    json_t *value = s_field (report, kpi, field);
    if (!json_is_integer (value))
        fail_msg ("%s.%s is not an integer", kpi, field);
    return json_integer_value (value);
}

/* Waits until scope shows deals_won won in period. */
static void
s_wait_won (const char *scope, const char *period, json_int_t won)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    json_int_t seen = -1;
    while (sp_harness_now_ms () < deadline) {
        json_t *report = s_kpi (scope, period, NULL);
        seen = report ? s_integer (report, "deals_won", "actual") : -1;
        json_decref (report);
        if (seen == won)
            return;
        sp_harness_pause_ms (100);
    }
    fail_msg ("%s showed %lld deals won in %s, not %lld", scope, (long long) seen, period,
              (long long) won);
}

static const char s_org_first[] =
    "{\"name\": \"e2e\", \"regions\": [{\"id\": \"emea\"}],"
    " \"teams\": [{\"id\": \"north\", \"region\": \"emea\"}, {\"id\": \"south\", \"region\": "
    "\"emea\"}],"
    " \"reps\": [{\"id\": \"rep-ben\", \"memberships\": [{\"team\": \"north\", \"from\": "
    "\"2026-01-01\"}]},"
    " {\"id\": \"rep-ana\", \"memberships\": [{\"team\": \"north\", \"from\": \"2026-01-01\", "
    "\"until\": \"2026-03-15\"}, {\"team\": \"south\", \"from\": \"2026-03-15\"}]}]}";

static const char s_org_second[] =
    "{\"name\": \"e2e\", \"regions\": [{\"id\": \"emea\"}],"
    " \"teams\": [{\"id\": \"north\", \"region\": \"emea\"}, {\"id\": \"south\", \"region\": "
    "\"emea\"}],"
    " \"reps\": [{\"id\": \"rep-ben\", \"memberships\": [{\"team\": \"north\", \"from\": "
    "\"2026-01-01\"}]},"
    " {\"id\": \"rep-ana\", \"memberships\": [{\"team\": \"north\", \"from\": \"2026-01-01\", "
    "\"until\": \"2026-03-08\"}, {\"team\": \"south\", \"from\": \"2026-03-08\"}]}]}";

/* One event line: id, type, day (2026-MM-DD), rep, opportunity, extra fields. */
#define EVENT(id, type, day, rep, opp, extra)                                                      \
    "{\"event_id\": \"" id "\", \"source\": \"crm\", \"type\": \"" type                            \
    "\", \"occurred_at\": \"" day "T10:00:00Z\", \"rep_id\": \"" rep                               \
    "\", \"customer_id\": \"cust-" opp "\", \"opportunity_id\": \"" opp "\"" extra "}\n"

/* Outcomes first, leads last: opp-1 won by ana on 03-10 (1,000.00), opp-2
   won by ana on 03-20 (3,000.00), opp-3 lost by ana on 03-21, opp-4 won
   by ben on 03-05 (500.00, a second deal_won of it later is ignored),
   opp-5 lost by ben; leads on 03-02 for all five. Ana completes a visit
   of 40 minutes at cust-1 on 03-03 and one of 60 minutes on 03-16. */
static const char s_events[] =
    EVENT ("w1", "deal_won", "2026-03-10", "rep-ana", "opp-1",
           ", \"currency\": \"USD\", \"amount\": \"1000.00\", \"margin\": \"300.00\"")
        EVENT ("w2", "deal_won", "2026-03-20", "rep-ana", "opp-2",
               ", \"currency\": \"USD\", \"amount\": \"3000.00\"")
            EVENT ("l3", "deal_lost", "2026-03-21", "rep-ana", "opp-3",
                   "") EVENT ("w4b", "deal_won", "2026-03-25", "rep-ben", "opp-4",
                              ", \"currency\": \"USD\", \"amount\": \"9999.00\"")
                EVENT ("w4", "deal_won", "2026-03-05", "rep-ben", "opp-4",
                       ", \"currency\": \"USD\", \"amount\": \"500.00\"")
                    EVENT ("l5", "deal_lost", "2026-03-06", "rep-ben", "opp-5", "") EVENT (
                        "v1", "visit_completed", "2026-03-03", "rep-ana", "opp-1",
                        ", \"duration_minutes\": 40") EVENT ("v2", "visit_completed", "2026-03-16",
                                                             "rep-ana", "opp-2",
                                                             ", \"duration_minutes\": 60")
                        EVENT ("d1", "lead_created", "2026-03-02", "rep-ana", "opp-1", "") EVENT (
                            "d2", "lead_created", "2026-03-02", "rep-ana", "opp-2",
                            "") EVENT ("d3", "lead_created", "2026-03-02", "rep-ana", "opp-3", "")
                            EVENT ("d4", "lead_created", "2026-03-02", "rep-ben", "opp-4", "")
                                EVENT ("d5", "lead_created", "2026-03-02", "rep-ben", "opp-5", "");

static int
s_start_evaluator (void)
{
    s_fixture.evaluator = sp_harness_consumer_service (
        s_fixture.stack->harness, "kpi-evaluator", s_fixture.stack->bus, s_fixture.http_port,
        PARTITIONS,
        (const char *[]){ "SP_TIME_ZONE=UTC", "SP_KPI_CURRENCY=USD", "SP_CONSUMER_POLL_MS=100",
                          "SP_DEFINITIONS_CHECK_MS=200", NULL },
        NULL, s_fixture.log, TIMEOUT_MS);
    return s_fixture.evaluator > 0 ? 0 : -1;
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack = sp_harness_consumer_stack_new ("test_kpi_e2e", PARTITIONS, 0, TIMEOUT_MS);
    if (!s_fixture.stack)
        return -1;
    s_fixture.http_port = sp_harness_free_port ();
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/kpi-evaluator.log",
              sp_harness_dir (s_fixture.stack->harness));
    return s_start_evaluator ();
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.evaluator > 0)
        assert_int_equal (sp_harness_stop (s_fixture.evaluator, TIMEOUT_MS), 0);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

/* The figures after the first org, by hand. */
static void
s_check_first_org (void)
{
    json_t *company = s_kpi ("company", "2026-03", NULL);
    assert_non_null (company);
    assert_string_equal (json_string_value (json_object_get (company, "currency")), "USD");
    assert_int_equal (s_integer (company, "deals_won", "actual"), 3);
    assert_int_equal (s_integer (company, "revenue", "actual"), 450000); /* 1000 + 3000 + 500 */
    assert_int_equal (s_integer (company, "gross_margin", "actual"), 30000);
    assert_close (json_number_value (s_field (company, "win_rate", "actual")), 0.6); /* 3 / 5 */
    assert_close (json_number_value (s_field (company, "lead_conversion", "actual")), 0.6);
    assert_int_equal (s_integer (company, "new_customers", "actual"), 3);
    assert_int_equal (s_integer (company, "visits_completed", "actual"), 2);
    assert_close (json_number_value (s_field (company, "avg_visit_minutes", "actual")), 50.0);
    json_decref (company);

    /* ana's win of 03-10 is north's (moved on 03-15), 03-20 is south's */
    json_t *north = s_kpi ("team:north", "2026-03", NULL);
    json_t *south = s_kpi ("team:south", "2026-03", NULL);
    json_t *region = s_kpi ("region:emea", "2026-03", NULL);
    json_t *ana = s_kpi ("rep:rep-ana", "2026-03", NULL);
    assert_non_null (north);
    assert_non_null (south);
    assert_non_null (region);
    assert_non_null (ana);
    assert_int_equal (s_integer (north, "deals_won", "actual"), 2);
    assert_int_equal (s_integer (north, "revenue", "actual"), 150000);
    assert_close (json_number_value (s_field (north, "win_rate", "actual")), 0.6667); /* 2 / 3 */
    assert_int_equal (s_integer (south, "deals_won", "actual"), 1);
    assert_int_equal (s_integer (south, "revenue", "actual"), 300000);
    assert_close (json_number_value (s_field (south, "win_rate", "actual")), 0.5);
    assert_int_equal (s_integer (region, "revenue", "actual"), 450000);
    assert_int_equal (s_integer (ana, "deals_won", "actual"), 2);
    assert_close (json_number_value (s_field (ana, "win_rate", "actual")), 0.6667);
    json_decref (north);
    json_decref (south);
    json_decref (region);
    json_decref (ana);
}

static void
test_late_events_follow_the_org (void **state)
{
    (void) state;
    s_load ("org", "org-first.json", s_org_first);
    s_publish ("events.jsonl", s_events);
    s_wait_won ("company", "2026-03", 3);
    s_check_first_org ();
}

static void
test_new_org_version_moves_history (void **state)
{
    (void) state;
    s_load ("org", "org-second.json", s_org_second);
    s_wait_won ("team:south", "2026-03", 2);
    json_t *north = s_kpi ("team:north", "2026-03", NULL);
    assert_non_null (north);
    assert_int_equal (s_integer (north, "deals_won", "actual"), 1);
    assert_int_equal (s_integer (north, "revenue", "actual"), 50000);
    json_decref (north);
    json_t *company = s_kpi ("company", "2026-03", NULL);
    assert_int_equal (s_integer (company, "revenue", "actual"), 450000);
    json_decref (company);
    /* --wait answers once every partition is rebuilt under the new org
       (docs/salesctl.md, "Complete answers") */
    company = s_salesctl_json ((const char *[]){ "kpi", "--scope", "company", "--period", "2026-03",
                                                 "--json", "--wait", "--timeout", "60", NULL });
    assert_non_null (company);
    json_t *completeness = json_object_get (company, "completeness");
    assert_true (json_is_true (json_object_get (completeness, "complete")));
    assert_string_equal (json_string_value (json_object_get (completeness, "service")),
                         "kpi-evaluator");
    assert_int_equal (s_integer (company, "revenue", "actual"), 450000);
    json_decref (company);
}

static const char s_targets[] =
    "{\"name\": \"e2e-2026\", \"currency\": \"USD\", \"targets\": ["
    " {\"node\": \"company\", \"kpi\": \"revenue\", \"period\": \"2026-Q1\", \"target\": "
    "\"9000.00\", \"floor\": \"6000.00\", \"stretch\": \"12000.00\","
    "  \"spread\": {\"to\": \"month\", \"rule\": \"even\", \"basis\": \"periods\"}, \"carry\": "
    "true},"
    " {\"node\": \"rep:rep-ben\", \"kpi\": \"revenue\", \"period\": \"2026-03\", \"target\": "
    "\"1000.00\"},"
    " {\"node\": \"rep:rep-ana\", \"kpi\": \"revenue\", \"period\": \"2026-03\", \"target\": "
    "\"2000.00\"},"
    " {\"node\": \"team:north\", \"kpi\": \"revenue\", \"period\": \"2026-03\", \"target\": "
    "\"5000.00\"},"
    " {\"node\": \"region:emea\", \"kpi\": \"win_rate\", \"period\": \"2026-03\", \"target\": "
    "0.5}]}";

static const char s_scorecard[] =
    "{\"name\": \"e2e\", \"stage_probabilities\": {\"Engaging\": 0.5}, \"roles\": {"
    " \"rep\": {\"kpis\": [{\"kpi\": \"revenue\", \"weight\": 0.5}, {\"kpi\": \"win_rate\", "
    "\"weight\": 0.2}, {\"kpi\": \"deals_won\", \"weight\": 0.1}, {\"kpi\": \"quotes_sent\", "
    "\"weight\": 0.1}, {\"kpi\": \"touches\", \"weight\": 0.1}]},"
    " \"team\": {\"kpis\": [{\"kpi\": \"revenue\", \"weight\": 0.5}, {\"kpi\": \"win_rate\", "
    "\"weight\": 0.2}, {\"kpi\": \"deals_won\", \"weight\": 0.1}, {\"kpi\": \"quotes_sent\", "
    "\"weight\": 0.1}, {\"kpi\": \"touches\", \"weight\": 0.1}]},"
    " \"region\": {\"kpis\": [{\"kpi\": \"revenue\", \"weight\": 0.5}, {\"kpi\": \"win_rate\", "
    "\"weight\": 0.2}, {\"kpi\": \"deals_won\", \"weight\": 0.1}, {\"kpi\": \"quotes_sent\", "
    "\"weight\": 0.1}, {\"kpi\": \"touches\", \"weight\": 0.1}]}}}";

static void
test_targets_pace_and_scorecard (void **state)
{
    (void) state;
    /* north's reps' March targets (1,000.00 + 2,000.00) fall short of the
       team's 5,000.00: the load warns and goes through */
    char path[PATH_SIZE];
    s_file ("targets.json", s_targets, path, sizeof path);
    json_t *loaded = s_salesctl_json ((const char *[]){ "load", "targets", path, "--json", NULL });
    assert_non_null (loaded);
    json_t *warnings = json_object_get (loaded, "warnings");
    assert_int_equal (json_array_size (warnings), 1);
    const char *warning = json_string_value (json_array_get (warnings, 0));
    assert_non_null (strstr (warning, "team:north"));
    assert_non_null (strstr (warning, "2026-03"));
    assert_non_null (strstr (warning, "2000.00"));
    json_decref (loaded);
    s_load ("scorecard", "scorecard.json", s_scorecard);
    /* one open opportunity of ben's: estimated at 2,000.00, engaging */
    s_publish ("open.jsonl", EVENT ("d6", "lead_created", "2026-03-02", "rep-ben", "opp-6",
                                    ", \"currency\": \"USD\", \"estimated_value\": \"2000.00\"")
                                 EVENT ("s6", "stage_changed", "2026-03-04", "rep-ben", "opp-6",
                                        ", \"to_stage\": \"Engaging\""));
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    for (;;) {
        json_t *report = s_kpi ("company", "2026-03", "2026-03-12");
        bool seen =
            report && json_integer_value (s_field (report, "revenue", "pipeline")) == 100000;
        json_decref (report);
        if (seen)
            break;
        if (sp_harness_now_ms () > deadline)
            fail_msg ("the open pipeline of 2,000.00 at 50 %% did not show");
        sp_harness_pause_ms (100);
    }
    /* the quarter's 9,000.00 spread evenly: 3,000.00 a month; nothing was
       won in January and February, so March carries 6,000.00 */
    json_t *march = s_kpi ("company", "2026-03", NULL);
    assert_non_null (march);
    assert_int_equal (s_integer (march, "revenue", "own_target"), 300000);
    assert_int_equal (s_integer (march, "revenue", "first_target"), 300000);
    /* the month is over: the forecast is the actual */
    assert_int_equal (s_integer (march, "revenue", "forecast"), 450000);
    assert_int_equal (s_integer (march, "revenue", "carried"), 600000);
    assert_int_equal (s_integer (march, "revenue", "target"), 900000);
    assert_close (json_number_value (s_field (march, "revenue", "attainment")), 0.5);
    json_decref (march);

    /* as of 2026-03-12 (12 of 31 days): 1,000.00 (ana, 03-10) + 500.00
       (ben, 03-05) = 1,500.00; projection 1,500.00 × 31 ÷ 12 = 3,875.00;
       still needed (9,000.00 − 1,500.00) ÷ 19 days = 394.74 a day
       (rounded up to the cent) */
    json_t *early = s_kpi ("company", "2026-03", "2026-03-12");
    assert_non_null (early);
    json_t *days = json_object_get (early, "days");
    assert_int_equal (json_integer_value (json_object_get (days, "elapsed")), 12);
    assert_int_equal (json_integer_value (json_object_get (days, "total")), 31);
    assert_int_equal (s_integer (early, "revenue", "actual"), 150000);
    assert_int_equal (s_integer (early, "revenue", "projection"), 387500);
    assert_int_equal (s_integer (early, "revenue", "required_per_day"), 39474);
    assert_string_equal (json_string_value (s_field (early, "revenue", "status")), "at_risk");
    /* forecast: actual + (the rest by the run rate + the weighted open
       pipeline) ÷ 2, rounded half up. Revenue: 1,500.00 + (2,375.00 +
       2,000.00 × 0.5) ÷ 2 = 3,187.50. Deals won: 2 so far, projection 2 ×
       31 ÷ 12 = 5.17 → 5, rest 3; pipeline 1 × 0.5 = 0.5 → 1; 2 + (3 + 1)
       ÷ 2 = 4 */
    assert_int_equal (s_integer (early, "revenue", "pipeline"), 100000);
    assert_int_equal (s_integer (early, "revenue", "forecast"), 318750);
    assert_int_equal (s_integer (early, "deals_won", "pipeline"), 1);
    assert_int_equal (s_integer (early, "deals_won", "forecast"), 4);
    json_decref (early);

    /* a second version raises the quarter to 12,000.00: March's own
       target becomes 4,000.00, the first one stays 3,000.00 */
    char adjusted[sizeof s_targets + 16];
    const char *at = strstr (s_targets, "9000.00");
    assert_non_null (at);
    snprintf (adjusted, sizeof adjusted, "%.*s12000.00%s", (int) (at - s_targets), s_targets,
              at + strlen ("9000.00"));
    s_load ("targets", "targets-2.json", adjusted);
    json_t *raised = s_kpi ("company", "2026-03", NULL);
    assert_non_null (raised);
    assert_int_equal (s_integer (raised, "revenue", "own_target"), 400000);
    assert_int_equal (s_integer (raised, "revenue", "first_target"), 300000);
    assert_int_equal (s_integer (raised, "revenue", "target"), 1200000);
    json_decref (raised);
    s_load ("targets", "targets.json", s_targets); /* back to 9,000.00: a third version */

    /* the quarter itself: 9,000.00, floor and stretch as loaded */
    json_t *quarter = s_kpi ("company", "2026-Q1", NULL);
    assert_int_equal (s_integer (quarter, "revenue", "target"), 900000);
    assert_int_equal (s_integer (quarter, "revenue", "floor"), 600000);
    assert_int_equal (s_integer (quarter, "revenue", "stretch"), 1200000);
    json_decref (quarter);

    /* the team north's reps in March, scored on the KPIs with a target:
       revenue (loaded), win rate (emea's 0.5, inherited) and touches (the
       catalogue's default for a rep's month, 100); deals won and quotes
       have none. ana (north until 03-08, a member in March): 4,000.00 of
       2,000.00 = 2.0, capped at 1.5; win rate 0.6667 of 0.5 = 1.3334;
       touches 2 of 100 = 0.02: (0.5 × 1.5 + 0.2 × 1.3334 + 0.1 × 0.02) ÷
       0.8 = 1.2734 (rounded). ben: 500.00 of 1,000.00 = 0.5; 0.5 of 0.5
       = 1.0; no touches = 0: (0.25 + 0.2 + 0) ÷ 0.8 = 0.5625 */
    json_t *scorecard = s_salesctl_json ((const char *[]){ "scorecard", "--scope", "team:north",
                                                           "--period", "2026-03", "--json", NULL });
    assert_non_null (scorecard);
    assert_string_equal (json_string_value (json_object_get (scorecard, "role")), "rep");
    json_t *members = json_object_get (scorecard, "members");
    assert_int_equal (json_array_size (members), 2);
    json_t *first = json_array_get (members, 0);
    json_t *second = json_array_get (members, 1);
    assert_string_equal (json_string_value (json_object_get (first, "id")), "rep:rep-ana");
    assert_int_equal (json_integer_value (json_object_get (first, "rank")), 1);
    assert_close (json_number_value (json_object_get (first, "score")), 1.2734);
    assert_string_equal (json_string_value (json_object_get (second, "id")), "rep:rep-ben");
    assert_int_equal (json_integer_value (json_object_get (second, "rank")), 2);
    assert_close (json_number_value (json_object_get (second, "score")), 0.5625);
    json_decref (scorecard);
}

/* The reports of ana's day, month and her new team's month (ana moved
   to south on 03-08 by the second org). */
static void
test_reports (void **state)
{
    (void) state;
    json_t *day = s_salesctl_json ((const char *[]){ "report", "daily", "--scope", "rep:rep-ana",
                                                     "--date", "2026-03-16", "--json", NULL });
    assert_non_null (day);
    assert_string_equal (json_string_value (json_object_get (day, "period")), "2026-03-16");
    json_t *done = json_object_get (day, "done");
    assert_int_equal (json_integer_value (json_object_get (done, "visits")), 1);
    assert_int_equal (json_integer_value (json_object_get (done, "deals_won")), 0);
    json_t *touched = json_object_get (day, "customers_touched");
    assert_int_equal (json_array_size (touched), 1);
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (touched, 0), "customer")),
        "cust-opp-2");
    /* the month's targets: ana's revenue 2,000.00 */
    json_t *targets = json_object_get (day, "targets");
    assert_string_equal (json_string_value (json_object_get (targets, "period")), "2026-03");
    json_decref (day);

    json_t *month = s_salesctl_json ((const char *[]){
        "report", "monthly", "--scope", "rep:rep-ana", "--date", "2026-03-31", "--json", NULL });
    assert_non_null (month);
    done = json_object_get (month, "done");
    assert_int_equal (json_integer_value (json_object_get (done, "visits")), 2);
    assert_int_equal (json_integer_value (json_object_get (done, "deals_won")), 2);
    assert_int_equal (json_integer_value (json_object_get (done, "deals_lost")), 1);
    assert_int_equal (json_integer_value (json_object_get (done, "revenue")), 400000);
    /* cust-1: visit and win; cust-2: visit and win; cust-3: the loss */
    touched = json_object_get (month, "customers_touched");
    assert_int_equal (json_array_size (touched), 3);
    const char *expected[] = { "cust-opp-1", "cust-opp-2", "cust-opp-3" };
    const json_int_t touches[] = { 2, 2, 1 };
    for (size_t index = 0; index < 3; index++) {
        json_t *customer = json_array_get (touched, index);
        assert_string_equal (json_string_value (json_object_get (customer, "customer")),
                             expected[index]);
        assert_int_equal (json_integer_value (json_object_get (customer, "touches")),
                          touches[index]);
    }
    json_decref (month);

    /* the team south from 03-08: ana's win of 03-10 (cust-1), visit and
       win of cust-2, loss of cust-3 */
    json_t *team = s_salesctl_json ((const char *[]){ "report", "monthly", "--scope", "team:south",
                                                      "--date", "2026-03-31", "--json", NULL });
    assert_non_null (team);
    touched = json_object_get (team, "customers_touched");
    assert_int_equal (json_array_size (touched), 3);
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (touched, 0), "customer")),
        "cust-opp-2");
    assert_int_equal (json_integer_value (json_object_get (json_array_get (touched, 0), "touches")),
                      2);
    json_decref (team);

    /* the company's month: revenue 4,500.00 of 9,000.00 is at risk */
    json_t *company = s_salesctl_json ((const char *[]){ "report", "monthly", "--scope", "company",
                                                         "--date", "2026-03-31", "--json", NULL });
    assert_non_null (company);
    json_t *attention = json_object_get (company, "attention");
    assert_true (json_array_size (attention) >= 1);
    assert_string_equal (json_string_value (json_object_get (json_array_get (attention, 0), "kpi")),
                         "revenue");
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (attention, 0), "status")), "at_risk");
    json_decref (company);
}

/* March closes once; a win of March that arrives later shows as an
   adjustment next to the snapshot, which does not change. */
static void
test_close_period_and_late_adjustment (void **state)
{
    (void) state;
    json_t *closed = s_salesctl_json ((const char *[]){ "close-period", "--period", "2026-03",
                                                        "--closed-by", "e2e", "--json", NULL });
    assert_non_null (closed);
    assert_string_equal (json_string_value (json_object_get (closed, "closed_by")), "e2e");
    /* company, emea, north, south, ana, ben at least */
    assert_true (json_integer_value (json_object_get (closed, "scopes")) >= 6);
    json_decref (closed);
    char output[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/close.err", sp_harness_dir (s_fixture.stack->harness));
    assert_int_not_equal (
        sp_harness_salesctl (s_fixture.stack->harness,
                             (const char *[]){ "close-period", "--period", "2026-03", NULL },
                             errors, output, sizeof output, TIMEOUT_MS),
        0);
    /* a period that has not ended is refused too */
    assert_int_not_equal (
        sp_harness_salesctl (s_fixture.stack->harness,
                             (const char *[]){ "close-period", "--period", "2099", NULL }, errors,
                             output, sizeof output, TIMEOUT_MS),
        0);

    s_publish ("late.jsonl", EVENT ("d7", "lead_created", "2026-03-02", "rep-ben", "opp-7", "")
                                 EVENT ("w7", "deal_won", "2026-03-28", "rep-ben", "opp-7",
                                        ", \"currency\": \"USD\", \"amount\": \"700.00\""));
    s_wait_won ("company", "2026-03", 4);
    json_t *march = s_kpi ("company", "2026-03", NULL);
    assert_non_null (march);
    json_t *close = json_object_get (march, "closed");
    assert_string_equal (json_string_value (json_object_get (close, "by")), "e2e");
    assert_int_equal (s_integer (march, "revenue", "actual"), 520000);
    assert_int_equal (s_integer (march, "revenue", "closed_actual"), 450000);
    assert_int_equal (s_integer (march, "revenue", "adjustment"), 70000);
    assert_int_equal (s_integer (march, "deals_won", "adjustment"), 1);
    json_decref (march);
}

static void
test_rebuild_gives_the_same_answers (void **state)
{
    (void) state;
    json_t *before = s_kpi ("team:south", "2026-03", NULL);
    assert_non_null (before);
    char output[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/rebuild.err", sp_harness_dir (s_fixture.stack->harness));
    assert_int_equal (sp_harness_salesctl (s_fixture.stack->harness,
                                           (const char *[]){ "rebuild", "kpi-evaluator", "--wait",
                                                             "--timeout", "60", NULL },
                                           errors, output, sizeof output, TIMEOUT_MS),
                      0);
    json_t *after = s_kpi ("team:south", "2026-03", NULL);
    assert_non_null (after);
    assert_true (json_equal (json_object_get (before, "kpis"), json_object_get (after, "kpis")));
    json_decref (before);
    json_decref (after);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_late_events_follow_the_org),
        cmocka_unit_test (test_new_org_version_moves_history),
        cmocka_unit_test (test_targets_pace_and_scorecard),
        cmocka_unit_test (test_reports),
        cmocka_unit_test (test_close_period_and_late_adjustment),
        cmocka_unit_test (test_rebuild_gives_the_same_answers),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
