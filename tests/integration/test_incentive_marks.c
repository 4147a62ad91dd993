/*  test_incentive_marks - incentive-calculator keeps each credit's marks
    (its deal is its customer's first won deal; its deal's cancellation)
    with the rep's credits, whatever order the events arrive in: the real
    activity-ingest, the real incentive-calculator, `salesctl statement`.

    Plan ae-logo (quarterly, USD) pays rep-ana and rep-ben 10 % of revenue
    and a SPIFF "logo" of 100.00 per new logo (2026). The events, in the
    order published (two files: the second is published once the first is
    applied, so some marks are read back from Redis and some from the
    same run):

      file 1  won:b   2026-02-10 cust-x 1,000.00 split ana 50 / ben 50
              cancel:c 2026-04-10 of won:c (before its won deal)
      file 2  won:a   2026-01-20 cust-x 2,000.00 ana: earlier than won:b,
                      so cust-x's first won deal: won:b is displaced
              won:c   2026-02-15 cust-y 3,000.00 split ana 60 / ben 40
              won:d   2026-02-20 cust-z 1,000.00 ben
              cancel:d 2026-04-12 of won:d (after it, same run)
              won:e   2026-01-05 no customer, 500.00 ben (never a logo)

    Derived by hand (Q2's clawbacks leave each rep a deficit carried,
    one adjustment line more): ana's Q1 200.00 + 100.00 (won:a, logo) + 50.00
    (won:b, no longer a logo) + 180.00 + 100.00 (won:c, logo) = 630.00 in
    5 lines; ben's Q1 50.00 (won:b) + 120.00 + 100.00 (won:c) + 100.00 +
    100.00 (won:d) + 50.00 (won:e) = 520.00 in 6 lines. Q2: won:c clawed
    back for both reps (ana -180.00 and -100.00, ben -120.00 and -100.00),
    won:d for ben (-100.00 and -100.00). The same events published in
    time order in one file give the same statements, byte for byte; so
    does a rebuild, and so do cancelled deals of another rep filling
    cust-y's partition (ana's and ben's cancellations then read by field). A state of another layout
   (the config's "format") is refused by salesctl until the service, restarted, rebuilds it.
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

#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_partition.h"
#include "sp_redis.h"

#define PARTITIONS 4
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE (256 * 1024)
#define PATH_SIZE 4096

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t calculator;
    int http_port;
    char log[PATH_SIZE];
} s_fixture_t;

static s_fixture_t s_fixture;

static const char s_plan[] =
    "{\"name\": \"ae-logo\", \"currency\": \"USD\", \"period\": \"quarter\","
    " \"assign\": {\"reps\": [{\"id\": \"rep-ana\"}, {\"id\": \"rep-ben\"}]},"
    " \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"10000.00\","
    " \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}],"
    " \"spiffs\": [{\"id\": \"logo\", \"measure\": \"new_logos\", \"from\": \"2026-01-01\","
    " \"to\": \"2027-01-01\", \"pays\": \"fixed\", \"amount\": \"100.00\", \"cap\": "
    "\"10000.00\"}]}";

#define WON(id, day, rep, customer, amount, extra)                                                 \
    "{\"event_id\": \"" id                                                                         \
    "\", \"source\": \"crm\", \"type\": \"deal_won\", \"occurred_at\": \"" day                     \
    "T10:00:00Z\", \"rep_id\": \"" rep "\", " customer "\"opportunity_id\": \"opp-" id             \
    "\", \"currency\": \"USD\", \"amount\": \"" amount "\"" extra "}\n"

#define CANCEL(id, day, customer, won)                                                             \
    "{\"event_id\": \"" id "\", \"source\": \"crm\", \"type\": \"deal_cancelled\","                \
    " \"occurred_at\": \"" day "T09:00:00Z\", \"rep_id\": \"rep-ana\", " customer                  \
    "\"opportunity_id\": \"opp-" won "\", \"won_event_id\": \"" won "\", \"reason\": \"lost\"}\n"

#define SPLIT(ana, ben)                                                                            \
    ", \"splits\": [{\"rep_id\": \"rep-ana\", \"percent\": " ana "}, {\"rep_id\": \"rep-ben\", "   \
    "\"percent\": " ben "}]"

#define X "\"customer_id\": \"cust-x\", "
#define Y "\"customer_id\": \"cust-y\", "
#define Z "\"customer_id\": \"cust-z\", "

#define WON_A WON ("won:a", "2026-01-20", "rep-ana", X, "2000.00", "")
#define WON_B WON ("won:b", "2026-02-10", "rep-ana", X, "1000.00", SPLIT ("50", "50"))
#define WON_C WON ("won:c", "2026-02-15", "rep-ana", Y, "3000.00", SPLIT ("60", "40"))
#define WON_D WON ("won:d", "2026-02-20", "rep-ben", Z, "1000.00", "")
#define WON_E WON ("won:e", "2026-01-05", "rep-ben", "", "500.00", "")
#define CANCEL_C CANCEL ("cancel:c", "2026-04-10", Y, "won:c")
#define CANCEL_D CANCEL ("cancel:d", "2026-04-12", Z, "won:d")

static const char s_first[] = WON_B CANCEL_C;
static const char s_second[] = WON_A WON_C WON_D CANCEL_D WON_E;
/* the same events in time order */
static const char s_in_order[] = WON_E WON_A WON_B WON_C WON_D CANCEL_C CANCEL_D;

/* ---------------------------------------------------------------- helpers */

static int
s_salesctl (const char *const *arguments, char *output, char *errors_text, size_t errors_size)
{
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (s_fixture.stack->harness));
    int status = sp_harness_salesctl (s_fixture.stack->harness, arguments, errors, output,
                                      OUTPUT_SIZE, TIMEOUT_MS);
    if (errors_text && errors_size > 0) {
        errors_text[0] = '\0';
        FILE *file = fopen (errors, "r");
        if (file) {
            size_t read = fread (errors_text, 1, errors_size - 1, file);
            errors_text[read] = '\0';
            fclose (file);
        }
    }
    return status;
}

/* rep's statement of period as printed (malloc'd), NULL when it failed. */
static char *
s_statement_text (const char *rep, const char *period)
{
    static char output[OUTPUT_SIZE];
    if (s_salesctl (
            (const char *[]){ "statement", "--rep", rep, "--period", period, "--json", NULL },
            output, NULL, 0) != 0)
        return NULL;
    return strdup (output);
}

static void
s_publish (const char *name, const char *text)
{
    char path[PATH_SIZE];
    sp_harness_consumer_file (s_fixture.stack->harness, name, text, path, sizeof path);
    char output[OUTPUT_SIZE];
    assert_int_equal (s_salesctl ((const char *[]){ "publish", path, "--endpoint",
                                                    s_fixture.stack->endpoint, NULL },
                                  output, NULL, 0),
                      0);
}

/* Waits until rep's statement of period is complete with count lines;
   returns its text (malloc'd). */
static char *
s_wait_statement (const char *rep, const char *period, size_t count)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    size_t lines = 0;
    while (sp_harness_now_ms () < deadline) {
        char *text = s_statement_text (rep, period);
        json_t *statement = text ? json_loads (text, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
        lines = json_array_size (json_object_get (statement, "lines"));
        bool done = json_is_true (json_object_get (statement, "complete")) && lines == count;
        if (!done && sp_harness_now_ms () + 200 >= deadline) {
            size_t index;
            json_t *line;
            json_array_foreach (json_object_get (statement, "lines"), index, line)
            {
                json_t *why = json_object_get (line, "explanation");
                print_message ("%s %s %s %lld %s %s\n", rep,
                               json_string_value (json_object_get (line, "kind")),
                               json_string_value (json_object_get (line, "event_id")),
                               (long long) json_integer_value (json_object_get (line, "amount")),
                               json_string_value (json_object_get (why, "rule_id")),
                               json_string_value (json_object_get (why, "type")));
            }
        }
        json_decref (statement);
        if (done)
            return text;
        free (text);
        sp_harness_pause_ms (100);
    }
    fail_msg ("%s's %s statement: %zu lines, not %zu", rep, period, lines, count);
    return NULL;
}

/* The sum of the amounts of statement's lines of kind made by event_id
   with rule_id (the line count in *count). */
static json_int_t
s_sum (const char *text, const char *kind, const char *event_id, const char *rule_id, size_t *count)
{
    json_t *statement = json_loads (text, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null (statement);
    json_int_t sum = 0;
    *count = 0;
    size_t index;
    json_t *line;
    json_array_foreach (json_object_get (statement, "lines"), index, line)
    {
        const char *rule =
            json_string_value (json_object_get (json_object_get (line, "explanation"), "rule_id"));
        if (strcmp (json_string_value (json_object_get (line, "kind")), kind) == 0 &&
            strcmp (json_string_value (json_object_get (line, "event_id")), event_id) == 0 &&
            rule && strcmp (rule, rule_id) == 0) {
            sum += json_integer_value (json_object_get (line, "amount"));
            (*count)++;
        }
    }
    json_decref (statement);
    return sum;
}

static void
s_assert_line (const char *text, const char *kind, const char *event_id, const char *rule_id,
               json_int_t amount)
{
    size_t count;
    json_int_t sum = s_sum (text, kind, event_id, rule_id, &count);
    if (count != (amount != 0 ? 1u : 0u) || sum != amount)
        fail_msg ("%s %s %s: %zu lines of %lld, not %lld", kind, event_id, rule_id, count,
                  (long long) sum, (long long) amount);
}

/* Starts incentive-calculator on the stack. */
static pid_t
s_start (void)
{
    return sp_harness_consumer_service (s_fixture.stack->harness, "incentive-calculator",
                                        s_fixture.stack->bus, s_fixture.http_port, PARTITIONS,
                                        (const char *[]){ "SP_TIME_ZONE=UTC",
                                                          "SP_INCENTIVE_CURRENCY=USD",
                                                          "SP_CONSUMER_POLL_MS=100", NULL },
                                        NULL, s_fixture.log, TIMEOUT_MS);
}

/* Runs one command on the stack's Redis; 0 when Redis accepted it. */
static int
s_redis (int argc, const char *const *argv)
{
    char error[512];
    sp_redis_t *redis =
        sp_redis_new (sp_harness_redis_url (s_fixture.stack->harness), NULL, error, sizeof error);
    assert_non_null (redis);
    sp_redis_reply_t *reply = NULL;
    if (sp_redis_connect (redis, error, sizeof error) == 0)
        reply = sp_redis_command (redis, argc, argv, NULL, error, sizeof error);
    int result = reply ? 0 : -1;
    if (!reply)
        print_message ("redis: %s\n", error);
    sp_redis_reply_destroy (&reply);
    sp_redis_destroy (&redis);
    return result;
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_incentive_marks", PARTITIONS, 0, TIMEOUT_MS);
    if (!s_fixture.stack)
        return -1;
    s_fixture.http_port = sp_harness_free_port ();
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/incentive-calculator.log",
              sp_harness_dir (s_fixture.stack->harness));
    s_fixture.calculator = s_start ();
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

/* ---------------------------------------------------------------- tests */

/* ana's and ben's statements of both quarters, as derived by hand. */
static void
s_assert_statements (char *texts[4])
{
    texts[0] = s_wait_statement ("rep-ana", "2026-Q1", 5);
    s_assert_line (texts[0], "earning", "won:a", "revenue", 20000);
    s_assert_line (texts[0], "earning", "won:a", "logo", 10000);
    s_assert_line (texts[0], "earning", "won:b", "revenue", 5000);
    s_assert_line (texts[0], "earning", "won:b", "logo", 0); /* displaced by won:a */
    s_assert_line (texts[0], "earning", "won:c", "revenue", 18000);
    s_assert_line (texts[0], "earning", "won:c", "logo", 10000);
    texts[1] = s_wait_statement ("rep-ben", "2026-Q1", 6);
    s_assert_line (texts[1], "earning", "won:b", "revenue", 5000);
    s_assert_line (texts[1], "earning", "won:b", "logo", 0);
    s_assert_line (texts[1], "earning", "won:c", "revenue", 12000);
    s_assert_line (texts[1], "earning", "won:c", "logo", 10000);
    s_assert_line (texts[1], "earning", "won:d", "revenue", 10000);
    s_assert_line (texts[1], "earning", "won:d", "logo", 10000);
    s_assert_line (texts[1], "earning", "won:e", "revenue", 5000);
    s_assert_line (texts[1], "earning", "won:e", "logo", 0); /* no customer */
    /* the cancellation that came before its won deal, for both reps of
       the split; the one that came after, for ben (each Q2 then carries
       its deficit: one more line) */
    texts[2] = s_wait_statement ("rep-ana", "2026-Q2", 3);
    s_assert_line (texts[2], "clawback", "cancel:c", "revenue", -18000);
    s_assert_line (texts[2], "clawback", "cancel:c", "logo", -10000);
    texts[3] = s_wait_statement ("rep-ben", "2026-Q2", 5);
    s_assert_line (texts[3], "clawback", "cancel:c", "revenue", -12000);
    s_assert_line (texts[3], "clawback", "cancel:c", "logo", -10000);
    s_assert_line (texts[3], "clawback", "cancel:d", "revenue", -10000);
    s_assert_line (texts[3], "clawback", "cancel:d", "logo", -10000);
}

static void
s_free_texts (char *texts[4])
{
    for (size_t index = 0; index < 4; index++) {
        free (texts[index]);
        texts[index] = NULL;
    }
}

/* The four statements, compared without "completeness" (when the check
   ran differs from one answer to the next). */
static void
s_assert_same (char *const before[4], char *const after[4])
{
    for (size_t index = 0; index < 4; index++) {
        json_t *one = json_loads (before[index], JSON_DISABLE_EOF_CHECK, NULL);
        json_t *other = json_loads (after[index], JSON_DISABLE_EOF_CHECK, NULL);
        assert_non_null (one);
        assert_non_null (other);
        json_object_del (one, "completeness");
        json_object_del (other, "completeness");
        if (!json_equal (one, other))
            fail_msg ("statement %zu differs:\n%s\n%s", index, before[index], after[index]);
        json_decref (one);
        json_decref (other);
    }
}

static char *s_out_of_order[4];

static void
test_marks_out_of_order (void **state)
{
    (void) state;
    char path[PATH_SIZE];
    sp_harness_consumer_file (s_fixture.stack->harness, "plan.json", s_plan, path, sizeof path);
    char output[OUTPUT_SIZE];
    assert_int_equal (
        s_salesctl ((const char *[]){ "load", "plans", path, "--json", NULL }, output, NULL, 0), 0);
    s_publish ("first.jsonl", s_first);
    free (s_wait_statement ("rep-ana", "2026-Q1", 2)); /* won:b applied, a logo for now */
    s_publish ("second.jsonl", s_second);
    s_assert_statements (s_out_of_order);
}

static void
test_rebuild_gives_the_same_marks (void **state)
{
    (void) state;
    char output[OUTPUT_SIZE];
    assert_int_equal (s_salesctl ((const char *[]){ "rebuild", "incentive-calculator", "--wait",
                                                    "--timeout", "60", NULL },
                                  output, NULL, 0),
                      0);
    char *texts[4] = { NULL };
    s_assert_statements (texts);
    s_assert_same (s_out_of_order, texts);
    s_free_texts (texts);
}

static void
test_old_layout_refused_until_rebuilt (void **state)
{
    (void) state;
    assert_int_equal (s_redis (4, (const char *[]){ "HSET", "incentive-calculator:config", "format",
                                                    "incentive-2" }),
                      0);
    char output[OUTPUT_SIZE];
    char errors[1024];
    assert_int_not_equal (s_salesctl ((const char *[]){ "statement", "--rep", "rep-ana", "--period",
                                                        "2026-Q1", "--json", NULL },
                                      output, errors, sizeof errors),
                          0);
    print_message ("%s", errors);
    assert_non_null (strstr (errors, "layout \"incentive-2\""));
    /* a restarted service sees another layout and rebuilds */
    assert_int_equal (sp_harness_stop (s_fixture.calculator, TIMEOUT_MS), 0);
    s_fixture.calculator = s_start ();
    assert_true (s_fixture.calculator > 0);
    char *texts[4] = { NULL };
    s_assert_statements (texts);
    s_assert_same (s_out_of_order, texts);
    s_free_texts (texts);
}

/* Three deals of rep-cy (no plan names it) in cust-y's partition, each
   cancelled: that partition then holds more cancellations than ana's or
   ben's credits there, so theirs are read by field (HMGET), not the
   whole hash: the statements do not change. */
static void
test_cancellations_read_by_field (void **state)
{
    (void) state;
    uint32_t partition = sp_partition_of ("cust-y", strlen ("cust-y"), PARTITIONS);
    char events[4096] = "";
    size_t used = 0;
    int found = 0;
    for (int candidate = 0; found < 3 && candidate < 1000; candidate++) {
        char customer[32];
        snprintf (customer, sizeof customer, "cust-%d", candidate);
        if (sp_partition_of (customer, strlen (customer), PARTITIONS) != partition)
            continue;
        int written =
            snprintf (events + used, sizeof events - used,
                      "{\"event_id\": \"won:cy%d\", \"source\": \"crm\", \"type\": \"deal_won\", "
                      "\"occurred_at\": \"2026-02-01T10:00:00Z\", \"rep_id\": \"rep-cy\", "
                      "\"customer_id\": \"%s\", \"opportunity_id\": \"opp-cy%d\", \"currency\": "
                      "\"USD\", \"amount\": \"100.00\"}\n"
                      "{\"event_id\": \"cancel:cy%d\", \"source\": \"crm\", \"type\": "
                      "\"deal_cancelled\", \"occurred_at\": \"2026-04-01T09:00:00Z\", \"rep_id\": "
                      "\"rep-cy\", \"customer_id\": \"%s\", \"opportunity_id\": \"opp-cy%d\", "
                      "\"won_event_id\": \"won:cy%d\"}\n",
                      found, customer, found, found, customer, found, found);
        assert_true (written > 0 && (size_t) written < sizeof events - used);
        used += (size_t) written;
        found++;
    }
    assert_int_equal (found, 3);
    s_publish ("cy.jsonl", events);
    char *texts[4] = { NULL };
    s_assert_statements (texts);
    s_assert_same (s_out_of_order, texts);
    s_free_texts (texts);
}

static void
test_time_order_gives_the_same_statements (void **state)
{
    (void) state;
    /* the same events in time order, on an empty state */
    assert_int_equal (sp_harness_stop (s_fixture.calculator, TIMEOUT_MS), 0);
    s_fixture.calculator = 0;
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    assert_int_equal (s_group_setup (NULL), 0);
    char path[PATH_SIZE];
    sp_harness_consumer_file (s_fixture.stack->harness, "plan.json", s_plan, path, sizeof path);
    char output[OUTPUT_SIZE];
    assert_int_equal (
        s_salesctl ((const char *[]){ "load", "plans", path, "--json", NULL }, output, NULL, 0), 0);
    s_publish ("in-order.jsonl", s_in_order);
    char *texts[4] = { NULL };
    s_assert_statements (texts);
    s_assert_same (s_out_of_order, texts);
    s_free_texts (texts);
    s_free_texts (s_out_of_order);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_marks_out_of_order),
        cmocka_unit_test (test_rebuild_gives_the_same_marks),
        cmocka_unit_test (test_old_layout_refused_until_rebuilt),
        cmocka_unit_test (test_cancellations_read_by_field),
        cmocka_unit_test (test_time_order_gives_the_same_statements),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
