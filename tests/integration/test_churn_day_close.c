/*  test_churn_day_close - a day close is scored when it happens, not at
    the scoring timer: churn-alerting (--clock event) runs with a scoring
    interval of an hour, so within the test only the day-close path
    (churn_handler_on_day -> churn_scorer_day_closed) scores anything.

    cust-stop orders 100.00 on the 15th of every month from January to
    June 2025, then stops (its own interval 31 days: overdue from
    2025-08-17); QUIET quiet-* customers of its partition each pay once on
    2025-08-05 (green, no alert); a ticker of the partition moves its
    watermark.

      - the ticker on 2025-08-10 closes the days up to 2025-08-09: every
        customer is scored up to it, and no overdue fires (55 days);
      - the ticker on 2025-08-18 closes the days up to 2025-08-17: the
        overdue FIRE for 2025-08-17 reaches a subscriber, and it was
        written before any of the quiet customers scored with it (an
        alert does not wait behind the customers that decide none: its
        customer's row has an older transaction id than each of theirs).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <czmq.h>

#include "churn.pb-c.h"
#include "churn_alert.h"
#include "sp_harness.h"
#include "churn_stop_fixture.h"
#include "sp_harness_consumer.h"
#include "sp_partition.h"

#define QUIET 150 /* more than a batch (CHURN_SCORER_BATCH) */

/* The n-th (from 0) id "<prefix>-N" of cust-stop's partition. */
static void
s_id (char *id, size_t size, const char *prefix, int nth)
{
    for (int index = 0;; index++) {
        snprintf (id, size, "%s-%d", prefix, index);
        if (sp_partition_of (id, strlen (id), PARTITIONS) == s_fixture.partition && nth-- == 0)
            return;
    }
}

/* Waits until count customers (cust-stop, the ticker, the quiet ones)
   were scored up to day (YYYY-MM-DD). */
static void
s_wait_scored (const char *day, int64_t count)
{
    char sql[256];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM churn_customers WHERE last_day = date '%s'",
              day);
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (s_query (sql) != count) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("%lld customers were not scored up to %s in time (the timer is an hour)",
                      (long long) count, day);
        sp_harness_pause_ms (50);
    }
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_churn_day_close", PARTITIONS, 0, TIMEOUT_MS);
    if (!s_fixture.stack)
        return -1;
    s_fixture.http_port = sp_harness_free_port ();
    if (sp_harness_free_endpoint (s_fixture.alerts, sizeof s_fixture.alerts) != 0)
        return -1;
    s_fixture.partition = sp_partition_of (CUSTOMER, strlen (CUSTOMER), PARTITIONS);
    s_id (s_fixture.ticker, sizeof s_fixture.ticker, "ticker", 0);
    s_fixture.subscriber = zsock_new_sub (s_fixture.alerts, CHURN_ALERT_TOPIC_PREFIX);
    if (!s_fixture.subscriber)
        return -1;
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/churn-alerting.log",
              sp_harness_dir (s_fixture.stack->harness));
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
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.service > 0)
        assert_int_equal (sp_harness_stop (s_fixture.service, TIMEOUT_MS), 0);
    zsock_destroy (&s_fixture.subscriber);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

/* Receives until cust-stop's overdue FIRE comes, within the timeout
   (its other rules' alerts are let by: the default model); fails on an
   alert of a quiet customer. */
static Salespulse__ChurnAlert *
s_receive_overdue (void)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (sp_harness_now_ms () < deadline) {
        zmsg_t *message = sp_harness_consumer_receive (s_fixture.subscriber, 200);
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
        if (strcmp (alert->customer_id, CUSTOMER) == 0 && strcmp (alert->rule, "overdue") == 0) {
            assert_int_equal (alert->action, SALESPULSE__CHURN_ALERT__ACTION__FIRE);
            return alert;
        }
        if (strncmp (alert->customer_id, "quiet-", strlen ("quiet-")) == 0)
            fail_msg ("quiet customer %s got an alert", alert->customer_id);
        salespulse__churn_alert__free_unpacked (alert, NULL);
    }
    fail_msg ("no overdue alert of " CUSTOMER " came");
    return NULL;
}

static void
test_day_close_scores_without_the_timer (void **state)
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
    for (int index = 0; index < QUIET; index++) {
        char id[ID_SIZE], customer[ID_SIZE];
        s_id (customer, sizeof customer, "quiet", index);
        snprintf (id, sizeof id, "q%d", index);
        s_event (events, sizeof events, id, "payment_received", customer, "2025-08-05");
    }
    s_event (events, sizeof events, "tick-1", "payment_received", s_fixture.ticker, "2025-08-10");
    s_publish ("first.jsonl", events);
    /* cust-stop and the quiet ones (the ticker's first day is the 10th),
       by the day close alone */
    s_wait_scored ("2025-08-09", QUIET + 1);
    assert_int_equal (s_query ("SELECT count(*) FROM churn_alerts WHERE customer_id = '" CUSTOMER
                               "' AND rule = 'overdue'"),
                      0);
}

static void
test_alert_written_before_the_quiet (void **state)
{
    (void) state;
    static char events[EVENTS_SIZE];
    events[0] = '\0';
    s_event (events, sizeof events, "tick-2", "payment_received", s_fixture.ticker, "2025-08-18");
    s_publish ("second.jsonl", events);
    Salespulse__ChurnAlert *alert = s_receive_overdue ();
    assert_string_equal (alert->occurred_day, "2025-08-17");
    salespulse__churn_alert__free_unpacked (alert, NULL);
    s_wait_scored ("2025-08-17", QUIET + 2);
    /* cust-stop's row was committed before any quiet customer's */
    assert_int_equal (
        s_query ("SELECT count(*) FROM churn_customers q WHERE q.customer_id LIKE 'quiet-%' AND "
                 "q.xmin::text::bigint <= (SELECT s.xmin::text::bigint FROM churn_customers s "
                 "WHERE s.customer_id = '" CUSTOMER "')"),
        0);
    assert_int_equal (s_query ("SELECT count(*) FROM churn_alerts WHERE rule = 'overdue'"), 1);
    assert_int_equal (
        s_query ("SELECT count(*) FROM churn_alerts WHERE customer_id LIKE 'quiet-%'"), 0);
    assert_int_equal (
        sp_harness_consumer_metric (s_fixture.http_port, "salespulse_churn_scoring_errors_total"),
        0);
    assert_false (sp_harness_log_contains (s_fixture.log, "could not"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_day_close_scores_without_the_timer),
        cmocka_unit_test (test_alert_written_before_the_quiet),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
