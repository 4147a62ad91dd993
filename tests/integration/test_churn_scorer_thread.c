/*  test_churn_scorer_thread - the scorer runs on a thread of its own
    (churn_scorer_actor): a scoring pass does not hold up the consumer's
    apply, and the service stops cleanly during one.

    churn-alerting (--clock event, a scoring interval of an hour: only day
    closes score) with cust-stop ordering on the 15th of January to June
    2025 (overdue from 2025-08-17) and a ticker of its partition that
    moves the watermark. The test holds a PostgreSQL lock that the
    scorer's write needs, so the pass waits on it as long as the test
    likes:

      - churn_alerts locked: the day close of 2025-08-17 decides the
        overdue FIRE and its transaction waits; meanwhile events of other
        customers are applied; once the lock goes, the FIRE is published;
      - churn_customers locked: a day close's pass waits, the service is
        told to stop (SIGTERM) and waits for the pass's transaction, not
        longer: it exits with status 0 (no leak) once the lock goes, and
        a new start scores what the pass left.
*/
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <czmq.h>

#include "churn.pb-c.h"
#include "churn_alert.h"
#include "sp_harness.h"
#include "churn_stop_fixture.h"
#include "sp_harness_consumer.h"
#include "sp_partition.h"

#define LIVE 50          /* events applied while the pass waits */
#define STOP_WAIT_MS 500 /* how long the stopping service is seen waiting */

static void
s_exec (const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (s_fixture.stack->pg, sql, 0, NULL, NULL, NULL);
    if (!sp_pg_result_ok (result))
        fail_msg ("%s: %s", sql, sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
}

/* Waits until the query answers at least minimum. */
static void
s_wait_query (const char *sql, int64_t minimum, const char *what)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (s_query (sql) < minimum) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("%s did not happen in time", what);
        sp_harness_pause_ms (20);
    }
}

/* Waits until a session (the scorer's) waits for a lock on table. */
static void
s_wait_blocked (const char *table)
{
    char sql[256];
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
              "WHERE c.relname = '%s' AND NOT l.granted",
              table);
    s_wait_query (sql, 1, "the scorer's wait for the lock");
}

/* Events applied: the partitions' checkpoints (sequences from 1) summed. */
static int64_t
s_applied (void)
{
    return sp_harness_consumer_metric (s_fixture.http_port,
                                       "salespulse_consumer_partition_checkpoint");
}

static int
s_start (void)
{
    char alerts[128];
    snprintf (alerts, sizeof alerts, "SP_CHURN_ALERTS_ENDPOINT=%s", s_fixture.alerts);
    s_fixture.service = sp_harness_consumer_service (
        s_fixture.stack->harness, "churn-alerting", s_fixture.stack->bus, s_fixture.http_port,
        PARTITIONS,
        (const char *[]){ alerts, "SP_TIME_ZONE=UTC", "SP_CONSUMER_POLL_MS=100",
                          "SP_CHURN_SCORING_INTERVAL_MS=" INTERVAL_MS, "SP_CHURN_CLOCK=event",
                          NULL },
        (const char *[]){ "--currency", "GBP", NULL }, s_fixture.log, TIMEOUT_MS);
    return s_fixture.service > 0 ? 0 : -1;
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_churn_scorer_thread", PARTITIONS, 0, TIMEOUT_MS);
    if (!s_fixture.stack)
        return -1;
    s_fixture.http_port = sp_harness_free_port ();
    if (sp_harness_free_endpoint (s_fixture.alerts, sizeof s_fixture.alerts) != 0)
        return -1;
    s_fixture.partition = sp_partition_of (CUSTOMER, strlen (CUSTOMER), PARTITIONS);
    for (int index = 0;; index++) {
        snprintf (s_fixture.ticker, sizeof s_fixture.ticker, "ticker-%d", index);
        if (sp_partition_of (s_fixture.ticker, strlen (s_fixture.ticker), PARTITIONS) ==
            s_fixture.partition)
            break;
    }
    s_fixture.subscriber = zsock_new_sub (s_fixture.alerts, CHURN_ALERT_TOPIC_PREFIX);
    if (!s_fixture.subscriber)
        return -1;
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/churn-alerting.log",
              sp_harness_dir (s_fixture.stack->harness));
    return s_start ();
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.stack)
        s_exec ("ROLLBACK"); /* a failed test's lock goes, so the pass it holds ends */
    if (s_fixture.service > 0)
        assert_int_equal (sp_harness_stop (s_fixture.service, TIMEOUT_MS), 0);
    zsock_destroy (&s_fixture.subscriber);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

/* The next alert within timeout_ms, or NULL. */
static Salespulse__ChurnAlert *
s_receive (int timeout_ms)
{
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    while (sp_harness_now_ms () < deadline) {
        zmsg_t *message = sp_harness_consumer_receive (s_fixture.subscriber, 100);
        if (!message)
            continue;
        assert_int_equal (zmsg_size (message), 2);
        free (zmsg_popstr (message));
        zframe_t *payload = zmsg_pop (message);
        Salespulse__ChurnAlert *alert =
            salespulse__churn_alert__unpack (NULL, zframe_size (payload), zframe_data (payload));
        zframe_destroy (&payload);
        zmsg_destroy (&message);
        assert_non_null (alert);
        return alert;
    }
    return NULL;
}

static void
test_apply_goes_on_while_a_pass_waits (void **state)
{
    (void) state;
    static char events[EVENTS_SIZE];
    events[0] = '\0';
    static const char *const months[] = { "01", "02", "03", "04", "05", "06" };
    for (size_t index = 0; index < 6; index++) {
        char id[ID_SIZE], day[16];
        snprintf (id, sizeof id, "o%zu", index + 1);
        snprintf (day, sizeof day, "2025-%s-15", months[index]);
        s_event (events, sizeof events, id, "order_placed", CUSTOMER, day);
    }
    s_event (events, sizeof events, "tick-1", "payment_received", s_fixture.ticker, "2025-08-10");
    s_publish ("first.jsonl", events);
    s_wait_query ("SELECT count(*) FROM churn_customers WHERE last_day = date '2025-08-09'", 1,
                  "the scoring of 2025-08-09");

    /* the FIRE's transaction will wait for the test's lock */
    int64_t stored = s_query ("SELECT count(*) FROM churn_alerts");
    s_exec ("BEGIN");
    s_exec ("LOCK TABLE churn_alerts IN EXCLUSIVE MODE");
    events[0] = '\0';
    s_event (events, sizeof events, "tick-2", "payment_received", s_fixture.ticker, "2025-08-18");
    s_publish ("second.jsonl", events);
    s_wait_blocked ("churn_alerts");

    /* the consumer applies on while the pass waits */
    int64_t applied = s_applied ();
    if (applied < 8)
        fail_msg ("%lld events applied, 8 published", (long long) applied);
    events[0] = '\0';
    for (int index = 0; index < LIVE; index++) {
        char id[ID_SIZE], customer[ID_SIZE];
        snprintf (id, sizeof id, "live-%d", index);
        snprintf (customer, sizeof customer, "live-customer-%d", index);
        s_event (events, sizeof events, id, "payment_received", customer, "2025-08-18");
    }
    s_publish ("live.jsonl", events);
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (s_applied () < applied + LIVE) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("the events were not applied while the scoring pass waited");
        sp_harness_pause_ms (20);
    }
    s_wait_blocked ("churn_alerts"); /* still waiting */
    Salespulse__ChurnAlert *early = NULL;
    while ((early = s_receive (200))) { /* those of 2025-08-09 only, none waiting */
        if (early->alert_seq > (uint64_t) stored)
            fail_msg ("alert %llu was published while its transaction waited",
                      (unsigned long long) early->alert_seq);
        salespulse__churn_alert__free_unpacked (early, NULL);
    }

    s_exec ("COMMIT");
    Salespulse__ChurnAlert *alert = NULL;
    while ((alert = s_receive (TIMEOUT_MS)) && strcmp (alert->rule, "overdue") != 0)
        salespulse__churn_alert__free_unpacked (alert, NULL); /* the default model's others */
    assert_non_null (alert);
    assert_string_equal (alert->customer_id, CUSTOMER);
    assert_int_equal (alert->action, SALESPULSE__CHURN_ALERT__ACTION__FIRE);
    assert_string_equal (alert->occurred_day, "2025-08-17");
    salespulse__churn_alert__free_unpacked (alert, NULL);
    assert_int_equal (
        sp_harness_consumer_metric (s_fixture.http_port, "salespulse_churn_scoring_errors_total"),
        0);
}

static void
test_stop_during_a_pass (void **state)
{
    (void) state;
    char sql[256];
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM churn_customers WHERE partition = %u AND last_day = "
              "date '2025-08-17'",
              (unsigned) s_fixture.partition);
    s_wait_query (sql, 2, "the scoring of cust-stop and the ticker up to 2025-08-17");
    snprintf (sql, sizeof sql, "SELECT count(*) FROM churn_customers WHERE partition = %u",
              (unsigned) s_fixture.partition);
    int64_t behind = s_query (sql);

    s_exec ("BEGIN");
    s_exec ("LOCK TABLE churn_customers IN EXCLUSIVE MODE");
    static char events[EVENTS_SIZE];
    events[0] = '\0';
    s_event (events, sizeof events, "tick-3", "payment_received", s_fixture.ticker, "2025-08-25");
    s_publish ("third.jsonl", events);
    s_wait_blocked ("churn_customers");

    /* told to stop, it waits for the pass's transaction */
    assert_int_equal (kill (s_fixture.service, SIGTERM), 0);
    sp_harness_pause_ms (STOP_WAIT_MS);
    int status = 0;
    assert_int_equal (waitpid (s_fixture.service, &status, WNOHANG), 0);
    s_exec ("ROLLBACK");
    /* then ends the pass and stops: status 0, LeakSanitizer found nothing */
    int exit_status = sp_harness_wait_exit (s_fixture.service, TIMEOUT_MS);
    s_fixture.service = -1;
    assert_int_equal (exit_status, 0);
    assert_false (sp_harness_log_contains (s_fixture.log, "could not"));

    /* a new start scores on from what the pass committed (the next day
       close: the timer is an hour) */
    assert_int_equal (s_start (), 0);
    events[0] = '\0';
    s_event (events, sizeof events, "tick-4", "payment_received", s_fixture.ticker, "2025-08-26");
    s_publish ("fourth.jsonl", events);
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM churn_customers WHERE partition = %u AND last_day = "
              "date '2025-08-25'",
              (unsigned) s_fixture.partition);
    s_wait_query (sql, behind, "the scoring of 2025-08-25 after the restart");
    assert_int_equal (
        sp_harness_consumer_metric (s_fixture.http_port, "salespulse_churn_scoring_errors_total"),
        0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_apply_goes_on_while_a_pass_waits),
        cmocka_unit_test (test_stop_during_a_pass),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
