/*  test_incentive_e2e - incentive-calculator end to end: a plan loaded
    with `salesctl load plans`, deals published through the real
    activity-ingest (salesctl publish) and applied by the real
    incentive-calculator, statements read back with `salesctl statement`,
    `salesctl whatif` and locked with `salesctl close-period`.

    Plan ae-2026 (quarterly, USD) pays rep-ana and rep-ben on revenue,
    marginal bands on the quarter's credited amount: 5 % to 5,000, 10 % to
    10,000, 15 % above. Figures derived by hand:

      won:1  2026-02-10  ana 4,000.00                 ana 0 -> 4,000: 200.00
      won:2  2026-03-05  6,000.00 split ana 50 / ben 50
                                                      ana 4,000 -> 7,000: 50 + 200 = 250.00
                                                      ben 0 -> 3,000: 150.00
      won:3  2026-03-20  ana 4,000.00                 ana 7,000 -> 11,000: 300 + 150 = 450.00
    ana's Q1: 900.00 (the 11,000 marginal figure), published last
    deal first: order of arrival changes nothing.

    Q1 is closed. Then a deal of Q1 arrives late (won:0, 2026-01-15, ana
    2,000.00) and won:2 is cancelled on 2026-04-10. Q1 stays byte for
    byte. Recomputed, ana's Q1 is worth 100 + 250 + 300 + 550 = 1,200.00,
    so Q2 carries: late +100.00 (won:0), corrections +50.00 (won:1),
    +50.00 (won:2), +100.00 (won:3), and the clawback of won:2 at what it
    is worth now, -300.00: net 0. ben's Q2: clawback -150.00, a deficit
    carried: net payout 0, 150.00 owed. whatif: a 10,000.00 deal in Q2
    adds 250 + 500 = 750.00 and stores nothing. A rebuild gives the same
    statements.

    Trigger payment: plan ae-pay (quarterly, 10 %, "trigger": "payment")
    names rep-cy. won:p (2026-05-05, 10,000.00) earns 1,000.00, held; a
    payment_received of 4,000.00 on 2026-05-20 whose order_id is the
    deal's opportunity releases 40 %: rep-cy's Q2 pays 400.00.

    Contest leaderboard: plan spiff-2026 (quarterly, 1 % of revenue) names
    rep-fay, rep-gus and rep-hal, with SPIFF "q4-rate" paying 2 % of
    revenue in [2026-10-01, 2027-01-01). fay 10,000.00 on 10-05 (200.00);
    gus 5,000.00 on 10-06 and 5,000.00 on 11-02 (100.00 + 100.00); hal
    nothing. `salesctl contest` ranks fay, gus (same value and earning,
    fay reached it first), hal.
*/
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sp_harness.h"
#include "sp_harness_consumer.h"

#define PARTITIONS 4
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE (256 * 1024)
#define PATH_SIZE 4096

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t calculator;
    int http_port;
    char log[PATH_SIZE];
    char closed_q1[OUTPUT_SIZE]; /* ana's Q1 statement as the close stored it */
    char statements[256];        /* the service's statements PUB endpoint */
} s_fixture_t;

static s_fixture_t s_fixture;

/* Runs salesctl; 0 with its output in output, or its exit status. */
static int
s_salesctl (const char *const *arguments, char *output)
{
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (s_fixture.stack->harness));
    int status = sp_harness_salesctl (s_fixture.stack->harness, arguments, errors, output,
                                      OUTPUT_SIZE, TIMEOUT_MS);
    if (status != 0) {
        char text[1024] = "";
        FILE *file = fopen (errors, "r");
        if (file) {
            size_t read = fread (text, 1, sizeof text - 1, file);
            text[read] = '\0';
            fclose (file);
        }
        print_message ("salesctl %s: exit %d: %s\n", arguments[0], status, text);
    }
    return status;
}

static json_t *
s_salesctl_json (const char *const *arguments)
{
    static char output[OUTPUT_SIZE];
    if (s_salesctl (arguments, output) != 0)
        return NULL;
    return json_loads (output, JSON_DISABLE_EOF_CHECK, NULL);
}

/* ana's or ben's statement of period, as printed (NULL when it failed). */
static json_t *
s_statement (const char *rep, const char *period)
{
    return s_salesctl_json (
        (const char *[]){ "statement", "--rep", rep, "--period", period, "--json", NULL });
}

static void
s_publish (const char *name, const char *text)
{
    char path[PATH_SIZE];
    sp_harness_consumer_file (s_fixture.stack->harness, name, text, path, sizeof path);
    char output[OUTPUT_SIZE];
    assert_int_equal (s_salesctl ((const char *[]){ "publish", path, "--endpoint",
                                                    s_fixture.stack->endpoint, NULL },
                                  output),
                      0);
}

/* Waits until rep's statement of period is complete with net_payout net
   and count lines; returns it. */
static json_t *
s_wait_statement (const char *rep, const char *period, json_int_t net, size_t count)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    json_int_t seen = -1;
    size_t lines = 0;
    while (sp_harness_now_ms () < deadline) {
        json_t *statement = s_statement (rep, period);
        if (statement) {
            seen = json_integer_value (json_object_get (statement, "net_payout"));
            lines = json_array_size (json_object_get (statement, "lines"));
            if (json_is_true (json_object_get (statement, "complete")) && seen == net &&
                lines == count)
                return statement;
        }
        json_decref (statement);
        sp_harness_pause_ms (100);
    }
    fail_msg ("%s's %s statement: net %lld with %zu lines, not %lld with %zu", rep, period,
              (long long) seen, lines, (long long) net, count);
    return NULL;
}

/* The line of statement with kind made by event_id whose explanation
   type is type (NULL: any). */
static json_t *
s_line (json_t *statement, const char *kind, const char *event_id, const char *type)
{
    size_t index;
    json_t *line;
    json_array_foreach (json_object_get (statement, "lines"), index, line)
    {
        const char *line_type =
            json_string_value (json_object_get (json_object_get (line, "explanation"), "type"));
        if (strcmp (json_string_value (json_object_get (line, "kind")), kind) == 0 &&
            strcmp (json_string_value (json_object_get (line, "event_id")), event_id) == 0 &&
            (!type || (line_type && strcmp (line_type, type) == 0)))
            return line;
    }
    fail_msg ("no %s line of %s (%s)", kind, event_id, type ? type : "any type");
    return NULL;
}

static json_int_t
s_amount (json_t *line)
{
    return json_integer_value (json_object_get (line, "amount"));
}

/* The lines of a file, each parsed as JSON, in an array. */
static json_t *
s_json_lines (const char *path)
{
    json_t *lines = json_array ();
    FILE *file = fopen (path, "r");
    if (!file)
        return lines;
    static char line[OUTPUT_SIZE];
    while (fgets (line, sizeof line, file)) {
        json_t *parsed = json_loads (line, 0, NULL);
        if (parsed)
            json_array_append_new (lines, parsed);
    }
    fclose (file);
    return lines;
}

static const char s_plan[] =
    "{\"name\": \"ae-2026\", \"currency\": \"USD\", \"period\": \"quarter\","
    " \"assign\": {\"reps\": [{\"id\": \"rep-ana\"}, {\"id\": \"rep-ben\"}]},"
    " \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"10000.00\","
    " \"table\": {\"basis\": \"amount\", \"bands\": ["
    " {\"lo\": \"0\", \"hi\": \"5000\", \"rate\": \"0.05\"},"
    " {\"lo\": \"5000\", \"hi\": \"10000\", \"rate\": \"0.10\"},"
    " {\"lo\": \"10000\", \"rate\": \"0.15\"}]}}]}";

#define WON(id, day, rep, amount, extra)                                                           \
    "{\"event_id\": \"" id                                                                         \
    "\", \"source\": \"crm\", \"type\": \"deal_won\", \"occurred_at\": \"" day                     \
    "T10:00:00Z\", \"rep_id\": \"" rep "\", \"customer_id\": \"cust-" id                           \
    "\", \"opportunity_id\": \"opp-" id "\", \"currency\": \"USD\", \"amount\": \"" amount         \
    "\"" extra "}\n"

static const char s_q1_events[] = WON ("won:3", "2026-03-20", "rep-ana", "4000.00", "")
    WON ("won:2", "2026-03-05", "rep-ana", "6000.00",
         ", \"splits\": [{\"rep_id\": \"rep-ana\", \"percent\": 50}, "
         "{\"rep_id\": \"rep-ben\", \"percent\": 50}]")
        WON ("won:1", "2026-02-10", "rep-ana", "4000.00", "");

static const char s_late_events[] =
    WON ("won:0", "2026-01-15", "rep-ana", "2000.00",
         "") "{\"event_id\": \"cancel:2\", \"source\": \"crm\", \"type\": \"deal_cancelled\","
             " \"occurred_at\": \"2026-04-10T09:00:00Z\", \"rep_id\": \"rep-ana\","
             " \"customer_id\": \"cust-won:2\", \"opportunity_id\": \"opp-won:2\","
             " \"won_event_id\": \"won:2\", \"reason\": \"budget frozen\"}\n";

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_incentive_e2e", PARTITIONS, 0, TIMEOUT_MS);
    if (!s_fixture.stack)
        return -1;
    s_fixture.http_port = sp_harness_free_port ();
    char setting[300];
    if (sp_harness_free_endpoint (s_fixture.statements, sizeof s_fixture.statements) != 0)
        return -1;
    snprintf (setting, sizeof setting, "SP_INCENTIVE_STATEMENTS_ENDPOINT=%s", s_fixture.statements);
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/incentive-calculator.log",
              sp_harness_dir (s_fixture.stack->harness));
    s_fixture.calculator = sp_harness_consumer_service (
        s_fixture.stack->harness, "incentive-calculator", s_fixture.stack->bus, s_fixture.http_port,
        PARTITIONS,
        (const char *[]){ "SP_TIME_ZONE=UTC", "SP_INCENTIVE_CURRENCY=USD",
                          "SP_CONSUMER_POLL_MS=100", "SP_INCENTIVE_STATEMENTS_CHECK_MS=100",
                          setting, NULL },
        NULL, s_fixture.log, TIMEOUT_MS);
    return s_fixture.calculator > 0 ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.calculator > 0)
        assert_int_equal (sp_harness_stop (s_fixture.calculator, TIMEOUT_MS), 0);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

static void
test_statements_of_the_quarter (void **state)
{
    (void) state;
    char path[PATH_SIZE];
    sp_harness_consumer_file (s_fixture.stack->harness, "plan.json", s_plan, path, sizeof path);
    json_t *loaded = s_salesctl_json ((const char *[]){ "load", "plans", path, "--json", NULL });
    assert_non_null (loaded);
    json_decref (loaded);
    s_publish ("q1.jsonl", s_q1_events);
    json_t *ana = s_wait_statement ("rep-ana", "2026-Q1", 90000, 3);
    assert_string_equal (json_string_value (json_object_get (ana, "rep_id")), "rep-ana");
    assert_string_equal (json_string_value (json_object_get (ana, "currency")), "USD");
    assert_int_equal (s_amount (s_line (ana, "earning", "won:1", NULL)), 20000);
    json_t *split = s_line (ana, "earning", "won:2", NULL);
    assert_int_equal (s_amount (split), 25000);
    json_t *why = json_object_get (split, "explanation");
    assert_string_equal (json_string_value (json_object_get (why, "credit_percent")), "50.00");
    assert_int_equal (json_integer_value (json_object_get (why, "base")), 300000);
    assert_string_equal (json_string_value (json_object_get (why, "rule_id")), "revenue");
    assert_string_equal (json_string_value (json_object_get (why, "plan_version")), "ae-2026@1");
    assert_int_equal (s_amount (s_line (ana, "earning", "won:3", NULL)), 45000);
    json_decref (ana);
    json_t *ben = s_wait_statement ("rep-ben", "2026-Q1", 15000, 1);
    json_decref (ben);
    /* the same statement in words */
    char text[OUTPUT_SIZE];
    assert_int_equal (
        s_salesctl (
            (const char *[]){ "statement", "--rep", "rep-ana", "--period", "2026-Q1", NULL }, text),
        0);
    print_message ("%s", text);
    assert_non_null (strstr (text, "statement of rep-ana for 2026-Q1 (USD)\n"));
    assert_non_null (strstr (text, "  earning            450.00  deal opp-won:3 (100.00%) revenue "
                                   "base 4000.00, attainment 0.700000 -> 1.100000, band "
                                   "[5000.00,10000.00)+[10000.00,) marginal, rule revenue, plan "
                                   "ae-2026@1  [won:3]\n"));
    assert_non_null (strstr (text, "  net payout 900.00\n"));
}

static void
test_whatif_stores_nothing (void **state)
{
    (void) state;
    json_t *whatif =
        s_salesctl_json ((const char *[]){ "whatif", "--rep", "rep-ana", "--deal", "10000.00",
                                           "--period", "2026-Q2", "--json", NULL });
    assert_non_null (whatif);
    assert_int_equal (json_integer_value (json_object_get (whatif, "adds")), 75000);
    assert_int_equal (json_integer_value (json_object_get (whatif, "net_payout_before")), 0);
    assert_int_equal (json_integer_value (json_object_get (whatif, "net_payout_after")), 75000);
    assert_int_equal (json_array_size (json_object_get (whatif, "lines")), 1);
    json_decref (whatif);
    char text[OUTPUT_SIZE];
    assert_int_equal (s_salesctl ((const char *[]){ "whatif", "--rep", "rep-ana", "--deal",
                                                    "10000.00", "--period", "2026-Q2", NULL },
                                  text),
                      0);
    print_message ("%s", text);
    assert_non_null (strstr (text, "  adds 750.00; net payout 0.00 -> 750.00 (stored: nothing)\n"));
    json_t *q2 = s_statement ("rep-ana", "2026-Q2");
    assert_non_null (q2);
    assert_int_equal (json_array_size (json_object_get (q2, "lines")), 0);
    json_decref (q2);
}

static void
test_close_then_late_deal_and_cancellation (void **state)
{
    (void) state;
    /* a payroll subscriber follows the statements from before the close */
    char salesctl[PATH_SIZE], followed[PATH_SIZE];
    sp_harness_program ("salesctl", salesctl, sizeof salesctl);
    snprintf (followed, sizeof followed, "%s/followed.jsonl",
              sp_harness_dir (s_fixture.stack->harness));
    pid_t follower = sp_harness_spawn_with (
        s_fixture.stack->harness, salesctl,
        &(sp_harness_spawn_options_t){
            .arguments = (const char *[]){ "statements", "--follow", "--json", "--endpoint",
                                           s_fixture.statements, "--timeout", "60", NULL },
            .stdout_path = followed,
            .truncate = true });
    assert_true (follower > 0);
    sp_harness_pause_ms (500); /* subscribed: the close is then received live */
    json_t *closed = s_salesctl_json ((const char *[]){ "close-period", "--period", "2026-Q1",
                                                        "--closed-by", "test", "--json", NULL });
    assert_non_null (closed);
    assert_int_equal (json_integer_value (json_object_get (closed, "statements")), 2);
    json_decref (closed);
    json_t *received = NULL;
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (sp_harness_now_ms () < deadline) {
        json_decref (received);
        received = s_json_lines (followed);
        if (json_array_size (received) >= 2)
            break;
        sp_harness_pause_ms (100);
    }
    assert_int_equal (sp_harness_stop (follower, TIMEOUT_MS), 0);
    assert_int_equal (json_array_size (received), 2);
    json_t *first = json_array_get (received, 0);
    json_t *second = json_array_get (received, 1);
    assert_int_equal (json_integer_value (json_object_get (first, "statement_seq")), 1);
    assert_int_equal (json_integer_value (json_object_get (second, "statement_seq")), 2);
    assert_string_equal (json_string_value (json_object_get (first, "rep_id")), "rep-ana");
    assert_int_equal (json_integer_value (json_object_get (first, "net_payout")), 90000);
    assert_string_equal (json_string_value (json_object_get (second, "rep_id")), "rep-ben");
    assert_int_equal (json_integer_value (json_object_get (second, "net_payout")), 15000);
    json_decref (received);
    assert_int_equal (s_salesctl ((const char *[]){ "statement", "--rep", "rep-ana", "--period",
                                                    "2026-Q1", "--json", NULL },
                                  s_fixture.closed_q1),
                      0);
    json_t *stored = json_loads (s_fixture.closed_q1, JSON_DISABLE_EOF_CHECK, NULL);
    assert_true (json_is_true (json_object_get (stored, "closed")));
    assert_int_equal (json_integer_value (json_object_get (stored, "net_payout")), 90000);
    json_decref (stored);
    /* a second close is refused */
    char output[OUTPUT_SIZE];
    assert_int_not_equal (
        s_salesctl ((const char *[]){ "close-period", "--period", "2026-Q1", NULL }, output), 0);

    s_publish ("late.jsonl", s_late_events);
    json_t *ana = s_wait_statement ("rep-ana", "2026-Q2", 0, 5);
    assert_int_equal (s_amount (s_line (ana, "adjustment", "won:0", "late")), 10000);
    assert_int_equal (s_amount (s_line (ana, "adjustment", "won:1", "correction")), 5000);
    assert_int_equal (s_amount (s_line (ana, "adjustment", "won:2", "correction")), 5000);
    assert_int_equal (s_amount (s_line (ana, "adjustment", "won:3", "correction")), 10000);
    json_t *clawback = s_line (ana, "clawback", "cancel:2", NULL);
    assert_int_equal (s_amount (clawback), -30000);
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (clawback, "explanation"), "reason")),
        "budget frozen");
    json_decref (ana);
    json_t *ben = s_wait_statement ("rep-ben", "2026-Q2", 0, 2);
    assert_int_equal (s_amount (s_line (ben, "clawback", "cancel:2", NULL)), -15000);
    assert_int_equal (json_integer_value (json_object_get (ben, "closing_balance")), 15000);
    json_decref (ben);
    /* the closed statement is byte-identical */
    char again[OUTPUT_SIZE];
    assert_int_equal (s_salesctl ((const char *[]){ "statement", "--rep", "rep-ana", "--period",
                                                    "2026-Q1", "--json", NULL },
                                  again),
                      0);
    assert_string_equal (again, s_fixture.closed_q1);
    char text[OUTPUT_SIZE];
    assert_int_equal (
        s_salesctl (
            (const char *[]){ "statement", "--rep", "rep-ana", "--period", "2026-Q2", NULL }, text),
        0);
    print_message ("%s", text);
    assert_non_null (strstr (text, "late: arrived after 2026-Q1 closed: worth 100.00, on "
                                   "won:0/ae-2026/revenue  [won:0]\n"));
    assert_non_null (strstr (text, "  commission 0.00, advances 0.00, recoveries 0.00, closing "
                                   "balance owed 0.00\n"));
    assert_int_equal (s_salesctl ((const char *[]){ "statements", NULL }, text), 0);
    print_message ("%s", text);
    assert_non_null (strstr (text, "#1 2026-Q1 rep-ana net 900.00 USD (closed at "));
    assert_non_null (strstr (text, "2 statements\n"));
}

static void
test_rebuild_gives_the_same_statements (void **state)
{
    (void) state;
    json_t *before = s_statement ("rep-ana", "2026-Q2");
    assert_non_null (before);
    char output[OUTPUT_SIZE];
    assert_int_equal (s_salesctl ((const char *[]){ "rebuild", "incentive-calculator", "--wait",
                                                    "--timeout", "60", NULL },
                                  output),
                      0);
    json_t *after = s_wait_statement ("rep-ana", "2026-Q2", 0, 5);
    assert_true (json_equal (before, after));
    json_decref (before);
    json_decref (after);
}

static const char s_payment_plan[] =
    "{\"name\": \"ae-pay\", \"currency\": \"USD\", \"period\": \"quarter\","
    " \"trigger\": \"payment\", \"assign\": {\"reps\": [{\"id\": \"rep-cy\"}]},"
    " \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"10000.00\","
    " \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}";

static const char s_payment_events[] =
    WON ("won:p", "2026-05-05", "rep-cy", "10000.00",
         "") "{\"event_id\": \"pay:p1\", \"source\": \"erp\", \"type\": \"payment_received\","
             " \"occurred_at\": \"2026-05-20T09:00:00Z\", \"customer_id\": \"cust-won:p\","
             " \"currency\": \"USD\", \"amount\": \"4000.00\", \"order_id\": \"opp-won:p\"}\n";

static void
test_payment_releases (void **state)
{
    (void) state;
    char path[PATH_SIZE];
    sp_harness_consumer_file (s_fixture.stack->harness, "plan-pay.json", s_payment_plan, path,
                              sizeof path);
    json_t *loaded = s_salesctl_json ((const char *[]){ "load", "plans", path, "--json", NULL });
    assert_non_null (loaded);
    json_decref (loaded);
    s_publish ("payments.jsonl", s_payment_events);
    /* earning 1,000.00, held -1,000.00, released 400.00 */
    json_t *cy = s_wait_statement ("rep-cy", "2026-Q2", 40000, 3);
    assert_int_equal (s_amount (s_line (cy, "earning", "won:p", NULL)), 100000);
    assert_int_equal (s_amount (s_line (cy, "adjustment", "won:p", "held")), -100000);
    json_t *release = s_line (cy, "adjustment", "pay:p1", "release");
    assert_int_equal (s_amount (release), 40000);
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (release, "explanation"), "link")),
        "won:p/ae-pay/revenue");
    json_decref (cy);
}

/* The org: rep-dan (an "ae") and rep-eve in team:north. */
static const char s_org[] =
    "{\"name\": \"org\", \"regions\": [{\"id\": \"emea\"}], \"teams\": [{\"id\": \"north\","
    " \"region\": \"emea\"}], \"reps\": [{\"id\": \"rep-dan\", \"role\": \"ae\", \"memberships\":"
    " [{\"team\": \"north\", \"from\": \"2026-01-01\"}]}, {\"id\": \"rep-eve\", \"memberships\":"
    " [{\"team\": \"north\", \"from\": \"2026-01-01\"}]}]}";

/* team:north's roll-up plan and the "ae" role plan, 10 % each. */
static const char s_manager_plan[] =
    "{\"name\": \"mgr\", \"currency\": \"USD\", \"period\": \"quarter\","
    " \"assign\": {\"reps\": [{\"id\": \"team:north\"}]}, \"rollup\": {\"levels\": 1},"
    " \"components\": [{\"id\": \"team\", \"measure\": \"revenue\", \"quota\": \"10000.00\","
    " \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}";
static const char s_role_plan[] =
    "{\"name\": \"ae-role\", \"currency\": \"USD\", \"period\": \"quarter\","
    " \"assign\": {\"role\": \"ae\"},"
    " \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"10000.00\","
    " \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}";

static const char s_team_events[] =
    WON ("won:t", "2026-07-10", "rep-dan", "5000.00",
         ", \"splits\": [{\"rep_id\": \"rep-dan\", \"percent\": 50}, "
         "{\"rep_id\": \"rep-eve\", \"percent\": 50}]");

static void
s_load (const char *kind, const char *name, const char *text)
{
    char path[PATH_SIZE];
    sp_harness_consumer_file (s_fixture.stack->harness, name, text, path, sizeof path);
    json_t *loaded = s_salesctl_json ((const char *[]){ "load", kind, path, "--json", NULL });
    assert_non_null (loaded);
    json_decref (loaded);
}

/* A deal split between the two reps of team:north pays the team's
   roll-up plan once on the whole 5,000.00 (500.00), and rep-dan's role
   plan on his 2,500.00 (250.00); rep-eve has no role: nothing. */
static void
test_manager_rollup_and_role (void **state)
{
    (void) state;
    s_load ("org", "org.json", s_org);
    s_load ("plans", "plan-mgr.json", s_manager_plan);
    s_load ("plans", "plan-role.json", s_role_plan);
    s_publish ("team.jsonl", s_team_events);
    json_t *north = s_wait_statement ("team:north", "2026-Q3", 50000, 1);
    json_t *line = s_line (north, "earning", "won:t", NULL);
    assert_int_equal (s_amount (line), 50000);
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (line, "explanation"), "plan_version")),
        "mgr@1");
    json_decref (north);
    json_t *dan = s_wait_statement ("rep-dan", "2026-Q3", 25000, 1);
    assert_int_equal (s_amount (s_line (dan, "earning", "won:t", NULL)), 25000);
    json_decref (dan);
}

/* rep-kim overlays the deals of rep-ivy and rep-jon at 50 %, paid 10 %. */
static const char s_overlay_plan[] =
    "{\"name\": \"spec-ovl\", \"currency\": \"USD\", \"period\": \"quarter\","
    " \"assign\": {\"reps\": [{\"id\": \"rep-ivy\"}, {\"id\": \"rep-jon\"}]},"
    " \"overlays\": [{\"rep\": \"rep-kim\", \"percent\": \"50\"}],"
    " \"components\": [{\"id\": \"overlay\", \"measure\": \"revenue\", \"quota\": \"10000.00\","
    " \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}";

static const char s_overlay_events[] =
    WON ("won:o", "2026-11-10", "rep-ivy", "10000.00",
         ", \"splits\": [{\"rep_id\": \"rep-ivy\", \"percent\": 60}, "
         "{\"rep_id\": \"rep-jon\", \"percent\": 40}]");

/* A deal split 60/40 between the two reps the overlay plan names credits
   rep-kim once with 50 % of the whole 10,000.00: 500.00; the named reps
   are paid nothing by the plan. */
static void
test_overlay_credits (void **state)
{
    (void) state;
    s_load ("plans", "plan-overlay.json", s_overlay_plan);
    s_publish ("overlay.jsonl", s_overlay_events);
    json_t *kim = s_wait_statement ("rep-kim", "2026-Q4", 50000, 1);
    json_t *line = s_line (kim, "earning", "won:o", NULL);
    const json_t *explanation = json_object_get (line, "explanation");
    assert_int_equal (json_integer_value (json_object_get (explanation, "base")), 500000);
    assert_string_equal (json_string_value (json_object_get (explanation, "credit_percent")),
                         "50.00");
    json_decref (kim);
    json_t *ivy = s_wait_statement ("rep-ivy", "2026-Q4", 0, 0);
    assert_int_equal (json_array_size (json_object_get (ivy, "not_credited")), 1);
    json_decref (ivy);
}

static const char s_contest_plan[] =
    "{\"name\": \"spiff-2026\", \"currency\": \"USD\", \"period\": \"quarter\","
    " \"assign\": {\"reps\": [{\"id\": \"rep-fay\"}, {\"id\": \"rep-gus\"}, {\"id\": "
    "\"rep-hal\"}]},"
    " \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"10000.00\","
    " \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.01\"}]}}],"
    " \"spiffs\": [{\"id\": \"q4-rate\", \"measure\": \"revenue\", \"from\": \"2026-10-01\","
    " \"to\": \"2027-01-01\", \"pays\": \"rate\", \"rate\": \"0.02\"}]}";

static const char s_contest_events[] = WON ("won:g2", "2026-11-02", "rep-gus", "5000.00", "")
    WON ("won:f1", "2026-10-05", "rep-fay", "10000.00", "")
        WON ("won:g1", "2026-10-06", "rep-gus", "5000.00", "");

/* The leaderboard of q4-rate: fay and gus tie on 10,000.00 and 200.00,
   fay reached it first; hal has nothing. */
static void
test_contest_leaderboard (void **state)
{
    (void) state;
    s_load ("plans", "plan-spiff.json", s_contest_plan);
    s_publish ("contest.jsonl", s_contest_events);
    /* gus: 50.00 + 50.00 on the component, 100.00 + 100.00 on the SPIFF */
    json_decref (s_wait_statement ("rep-gus", "2026-Q4", 30000, 4));
    json_decref (s_wait_statement ("rep-fay", "2026-Q4", 30000, 2));
    json_t *board = s_salesctl_json ((const char *[]){ "contest", "--plan", "spiff-2026", "--spiff",
                                                       "q4-rate", "--json", NULL });
    assert_non_null (board);
    assert_true (json_is_true (json_object_get (board, "complete")));
    assert_string_equal (json_string_value (json_object_get (board, "plan_version")),
                         "spiff-2026@1");
    assert_string_equal (json_string_value (json_object_get (board, "first_period")), "2026-Q4");
    const json_t *standings = json_object_get (board, "standings");
    assert_int_equal (json_array_size (standings), 3);
    const char *reps[] = { "rep-fay", "rep-gus", "rep-hal" };
    const json_int_t values[] = { 1000000, 1000000, 0 };
    const json_int_t earnings[] = { 20000, 20000, 0 };
    for (size_t index = 0; index < 3; index++) {
        const json_t *standing = json_array_get (standings, index);
        assert_int_equal (json_integer_value (json_object_get (standing, "rank")), index + 1);
        assert_string_equal (json_string_value (json_object_get (standing, "rep_id")), reps[index]);
        assert_int_equal (json_integer_value (json_object_get (standing, "value")), values[index]);
        assert_int_equal (json_integer_value (json_object_get (standing, "earning")),
                          earnings[index]);
    }
    json_decref (board);
    char output[OUTPUT_SIZE];
    assert_int_equal (s_salesctl ((const char *[]){ "contest", "--plan", "spiff-2026", "--spiff",
                                                    "q4-rate", NULL },
                                  output),
                      0);
    print_message ("%s", output);
    assert_non_null (strstr (output, "contest q4-rate of plan spiff-2026@1: a rate on revenue"));
    assert_non_null (strstr (output, "rep-fay"));
    assert_int_not_equal (
        s_salesctl ((const char *[]){ "contest", "--plan", "spiff-2026", "--spiff", "nope", NULL },
                    output),
        0);
}

/* While incentive-calculator is stopped with a deal of 2026-Q3 unapplied,
   a statement says it is incomplete, --wait gives up with status 3 and a
   close is refused; once it runs again, --wait answers complete. */
static void
test_incomplete_answers_and_close_refused (void **state)
{
    (void) state;
    assert_int_equal (kill (s_fixture.calculator, SIGSTOP), 0);
    s_publish ("q3.jsonl", WON ("won:q3", "2026-07-15", "rep-ana", "1000.00", ""));
    json_t *statement = s_statement ("rep-ana", "2026-Q3");
    assert_non_null (statement);
    assert_true (json_is_false (json_object_get (statement, "complete")));
    assert_true (json_integer_value (json_object_get (statement, "behind")) >= 1);
    json_t *completeness = json_object_get (statement, "completeness");
    assert_true (json_is_false (json_object_get (completeness, "complete")));
    assert_string_equal (json_string_value (json_object_get (completeness, "service")),
                         "incentive-calculator");
    json_decref (statement);
    char output[OUTPUT_SIZE];
    assert_int_equal (s_salesctl ((const char *[]){ "statement", "--rep", "rep-ana", "--period",
                                                    "2026-Q3", "--wait", "--timeout", "1", NULL },
                                  output),
                      3);
    assert_non_null (strstr (output, "incomplete: incentive-calculator has applied "));
    int closed = s_salesctl ((const char *[]){ "close-period", "--period", "2026-Q2", NULL },
                             output);
    assert_int_equal (kill (s_fixture.calculator, SIGCONT), 0);
    assert_int_not_equal (closed, 0);
    json_t *waited = s_salesctl_json ((const char *[]){ "statement", "--rep", "rep-ana",
                                                        "--period", "2026-Q3", "--wait",
                                                        "--json", NULL });
    assert_non_null (waited);
    assert_true (json_is_true (json_object_get (waited, "complete")));
    assert_int_equal (json_integer_value (json_object_get (waited, "behind")), 0);
    assert_int_equal (json_integer_value (json_object_get (waited, "net_payout")), 5000);
    json_decref (waited);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_statements_of_the_quarter),
        cmocka_unit_test (test_whatif_stores_nothing),
        cmocka_unit_test (test_close_then_late_deal_and_cancellation),
        cmocka_unit_test (test_rebuild_gives_the_same_statements),
        cmocka_unit_test (test_payment_releases),
        cmocka_unit_test (test_manager_rollup_and_role),
        cmocka_unit_test (test_contest_leaderboard),
        cmocka_unit_test (test_overlay_credits),
        cmocka_unit_test (test_incomplete_answers_and_close_refused),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
