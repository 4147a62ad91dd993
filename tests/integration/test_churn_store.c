/*  test_churn_store - churn_alert_store_write_batch against the harness's
    PostgreSQL: the write of a batch is one statement (its own
    transaction), and it keeps what the transaction of several statements
    kept.

      - customers never scored are created, their lifecycles stored, their
        alerts inserted under the stream's next sequences in the order of
        writes (gap-free), each identity's condition set to its latest
        alert, the others' conditions left at none;
      - a customer whose row moved since it was read (an acknowledgement,
        another instance) writes nothing, nor does one created meanwhile by
        another instance: no row, lifecycle, alert or sequence of theirs,
        while the others of the batch are written;
      - a batch whose every row moved changes nothing (no sequence
        claimed);
      - a condition without an alert in the batch keeps its state, its
        sequence and its updated_at.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "churn_alert.h"
#include "churn_alert_store.h"
#include "churn_history.h"
#include "churn_lifecycle.h"
#include "churn_rules.h"
#include "sp_harness.h"
#include "sp_harness_pg.h"
#include "sp_pg.h"

#define PARTITIONS 4
#define DAY 20299 /* 2025-07-30 */
#define ERROR_SIZE 512
#define MAX_ALERTS 2

typedef struct {
    sp_harness_t *harness;
    sp_pg_t *pg;
} s_fixture_t;

/* One customer's write as the scorer would make it. */
typedef struct {
    churn_alert_store_customer_t before;
    churn_history_t history;
    churn_lifecycle_t states[CHURN_RULES_COUNT];
    churn_alert_t alerts[MAX_ALERTS];
} s_customer_t;

/* Reads the stored state of count customers (as the scorer does). */
static void
s_read (sp_pg_t *pg, const char *const *ids, size_t count, s_customer_t *customers)
{
    churn_alert_store_customer_t *read = calloc (count, sizeof *read);
    assert_non_null (read);
    size_t readable = 0;
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        churn_alert_store_read_batch (pg, ids, count, read, &readable, error, sizeof error), 0);
    assert_int_equal (readable, count);
    for (size_t index = 0; index < count; index++)
        customers[index].before = read[index];
    free (read);
}

/* Fills write from customer: the history as read plus day scored at
   score, the lifecycles as read, and alerts (count of them, rules[i]
   with actions[i]). */
static void
s_decide (churn_alert_store_write_t *write, const char *id, s_customer_t *customer, int64_t day,
          int score, size_t count, const churn_rules_rule_t *rules,
          const churn_lifecycle_action_t *actions)
{
    customer->history = customer->before.history;
    churn_rules_period_t period = { .day = day,
                                    .has_score = true,
                                    .score = score,
                                    .band = score < 40 ? CHURN_BAND_RED : CHURN_BAND_GREEN };
    assert_int_equal (churn_history_append (&customer->history, &period), 0);
    memcpy (customer->states, customer->before.states, sizeof customer->states);
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        customer->states[rule].has_day = true; /* stepped: stored as it is */
        customer->states[rule].last_day = day;
    }
    assert_true (count <= MAX_ALERTS);
    for (size_t index = 0; index < count; index++) {
        churn_alert_t *alert = &customer->alerts[index];
        memset (alert, 0, sizeof *alert);
        snprintf (alert->customer_id, sizeof alert->customer_id, "%s", id);
        alert->rule = rules[index];
        alert->severity = CHURN_RULES_CRITICAL;
        alert->action = actions[index];
        alert->day = day;
        alert->has_score = true;
        alert->score = score;
        alert->band = period.band;
        alert->fired_day = day;
    }
    *write = (churn_alert_store_write_t){
        .customer = id,
        .before = &customer->before,
        .history = &customer->history,
        .states = customer->states,
        .alerts = customer->alerts,
        .alert_count = count,
    };
}

static int64_t
s_count (s_fixture_t *fixture, const char *sql)
{
    return sp_harness_pg_count (fixture->pg, sql);
}

static void
test_write_batch_compare_and_set (void **state)
{
    s_fixture_t *fixture = *state;
    char error[ERROR_SIZE] = "";
    const churn_rules_rule_t overdue[] = { CHURN_RULES_OVERDUE };
    const churn_rules_rule_t two[] = { CHURN_RULES_RED_ENTRY, CHURN_RULES_OVERDUE };
    const churn_lifecycle_action_t fire[] = { CHURN_LIFECYCLE_FIRE, CHURN_LIFECYCLE_FIRE };
    const churn_lifecycle_action_t resolve[] = { CHURN_LIFECYCLE_RESOLVE };
    const churn_rules_rule_t single[] = { CHURN_RULES_SINGLE_DROP };

    /* 1. three customers never scored: a (one alert), b (none), c (two) */
    const char *first[] = { "store-a", "store-b", "store-c" };
    s_customer_t customers[4];
    memset (customers, 0, sizeof customers);
    churn_alert_store_write_t writes[4];
    s_read (fixture->pg, first, 3, customers);
    assert_false (customers[0].before.stored);
    s_decide (&writes[0], first[0], &customers[0], DAY, 70, 1, overdue, fire);
    s_decide (&writes[1], first[1], &customers[1], DAY, 90, 0, NULL, NULL);
    s_decide (&writes[2], first[2], &customers[2], DAY, 30, 2, two, fire);
    assert_int_equal (
        churn_alert_store_write_batch (fixture->pg, 1, writes, 3, error, sizeof error), 3);
    assert_true (writes[0].written && writes[1].written && writes[2].written);
    /* the alerts of the batch in the order of writes, from the stream's next sequence */
    assert_int_equal (customers[0].alerts[0].sequence, 1);
    assert_int_equal (customers[2].alerts[0].sequence, 2);
    assert_int_equal (customers[2].alerts[1].sequence, 3);
    assert_true (customers[0].alerts[0].created_at_ms > 0);
    assert_int_equal (customers[2].alerts[1].created_at_ms, customers[0].alerts[0].created_at_ms);
    assert_int_equal (
        s_count (fixture, "SELECT head FROM outbox_streams WHERE stream = 'churn-alerts'"), 3);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_alerts WHERE "
                                        "(alert_seq, customer_id, rule) IN ((1, 'store-a', "
                                        "'overdue'), (2, 'store-c', 'red_entry'), (3, 'store-c', "
                                        "'overdue'))"),
                      3);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_customers WHERE revision = 1 "
                                        "AND partition = 1 AND last_day = date '2025-07-30'"),
                      3);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_alert_conditions"), 12);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_alert_conditions WHERE "
                                        "state = 'firing'"),
                      3);
    assert_int_equal (s_count (fixture, "SELECT sequence FROM churn_alert_conditions WHERE "
                                        "customer_id = 'store-c' AND rule = 'overdue'"),
                      3);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_alert_conditions WHERE "
                                        "customer_id = 'store-b' AND state = 'none' AND "
                                        "sequence IS NULL AND octet_length(lifecycle) > 0"),
                      4);
    /* the lifecycles as stored read back */
    s_customer_t again[3];
    memset (again, 0, sizeof again);
    s_read (fixture->pg, first, 3, again);
    for (size_t index = 0; index < 3; index++) {
        assert_true (again[index].before.stored);
        assert_int_equal (again[index].before.revision, 1);
        assert_int_equal (again[index].before.history.count, 1);
        for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
            assert_int_equal (again[index].before.states[rule].last_day, DAY);
    }

    /* 2. read again; then b acknowledged (its row moved) and d created by
       another instance after the read */
    const char *second[] = { "store-a", "store-b", "store-c", "store-d" };
    memset (customers, 0, sizeof customers);
    s_read (fixture->pg, second, 4, customers);
    assert_false (customers[3].before.stored);
    assert_int_equal (sp_harness_pg_run (fixture->pg, "UPDATE churn_customers SET revision = "
                                                      "revision + 1 WHERE customer_id = 'store-b'"),
                      0);
    assert_int_equal (sp_harness_pg_run (fixture->pg,
                                         "INSERT INTO churn_customers (customer_id, partition, "
                                         "last_day, history) VALUES ('store-d', 1, "
                                         "date '2025-07-30', '\\x00')"),
                      0);
    int64_t updated_before = s_count (
        fixture, "SELECT floor(extract(epoch FROM updated_at) * 1000000)::bigint FROM "
                 "churn_alert_conditions WHERE customer_id = 'store-c' AND rule = 'red_entry'");
    s_decide (&writes[0], second[0], &customers[0], DAY + 1, 80, 1, overdue, resolve);
    s_decide (&writes[1], second[1], &customers[1], DAY + 1, 60, 1, single, fire);
    s_decide (&writes[2], second[2], &customers[2], DAY + 1, 35, 0, NULL, NULL);
    s_decide (&writes[3], second[3], &customers[3], DAY + 1, 20, 1, overdue, fire);
    assert_int_equal (
        churn_alert_store_write_batch (fixture->pg, 1, writes, 4, error, sizeof error), 2);
    assert_true (writes[0].written && writes[2].written);
    assert_false (writes[1].written || writes[3].written);
    assert_int_equal (customers[0].alerts[0].sequence, 4);
    assert_int_equal (customers[1].alerts[0].sequence, 0);
    assert_int_equal (customers[3].alerts[0].sequence, 0);
    assert_int_equal (
        s_count (fixture, "SELECT head FROM outbox_streams WHERE stream = 'churn-alerts'"), 4);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_alerts"), 4);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_alerts WHERE alert_seq = 4 "
                                        "AND customer_id = 'store-a' AND state = 'resolved' "
                                        "AND action = 'resolve'"),
                      1);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_alert_conditions WHERE "
                                        "customer_id = 'store-a' AND rule = 'overdue' AND "
                                        "state = 'resolved' AND sequence = 4"),
                      1);
    /* the moved and the created elsewhere: as the others left them */
    assert_int_equal (s_count (fixture, "SELECT revision FROM churn_customers WHERE "
                                        "customer_id = 'store-b' AND last_day = '2025-07-30'"),
                      2);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_alert_conditions WHERE "
                                        "customer_id = 'store-d'"),
                      0);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_alert_conditions WHERE "
                                        "customer_id = 'store-b' AND state = 'none'"),
                      4);
    /* the written: moved from the revision read */
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_customers WHERE customer_id IN "
                                        "('store-a', 'store-c') AND revision = 2 AND last_day = "
                                        "date '2025-07-31'"),
                      2);
    /* c's conditions: the lifecycle stored, the state of its alerts kept */
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_alert_conditions WHERE "
                                        "customer_id = 'store-c' AND state = 'firing' AND "
                                        "sequence IN (2, 3)"),
                      2);
    assert_int_equal (
        s_count (fixture,
                 "SELECT floor(extract(epoch FROM updated_at) * 1000000)::bigint FROM "
                 "churn_alert_conditions WHERE customer_id = 'store-c' AND rule = 'red_entry'"),
        updated_before);
    memset (again, 0, sizeof again);
    s_read (fixture->pg, (const char *[]){ "store-c" }, 1, again);
    assert_int_equal (again[0].before.history.count, 2);
    assert_int_equal (again[0].before.states[CHURN_RULES_RED_ENTRY].last_day, DAY + 1);

    /* 3. every row moved: nothing changes, no sequence is claimed */
    s_decide (&writes[0], second[1], &customers[1], DAY + 1, 60, 1, single, fire);
    assert_int_equal (
        churn_alert_store_write_batch (fixture->pg, 1, writes, 1, error, sizeof error), 0);
    assert_false (writes[0].written);
    assert_int_equal (
        s_count (fixture, "SELECT head FROM outbox_streams WHERE stream = 'churn-alerts'"), 4);
    assert_int_equal (s_count (fixture, "SELECT count(*) FROM churn_alerts"), 4);
    assert_false (sp_pg_in_transaction (fixture->pg));
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness = sp_harness_pg_fixture ("test_churn_store", PARTITIONS, &fixture->pg);
    return fixture->harness ? 0 : -1;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (fixture) {
        sp_pg_destroy (&fixture->pg);
        sp_harness_destroy (&fixture->harness);
        free (fixture);
    }
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_write_batch_compare_and_set),
    };
    return cmocka_run_group_tests_name ("churn_store", tests, s_setup, s_teardown);
}
