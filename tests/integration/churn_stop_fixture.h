/*  churn_stop_fixture - what test_churn_day_close and
    test_churn_scorer_thread share: one churn-alerting on the consumer
    stack, a customer who stops ordering ("cust-stop"), a ticker customer
    of its partition whose events close its days, and the alerts'
    subscriber; publishing JSON lines of shop events and reading one
    integer of a query. Included by one test file per program (its
    static state is that program's). */
#ifndef CHURN_STOP_FIXTURE_H_INCLUDED
#define CHURN_STOP_FIXTURE_H_INCLUDED

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <czmq.h>

#include "sp_harness_consumer.h"
#include "sp_pg.h"

#define PARTITIONS 4
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE 65536
#define PATH_SIZE 4096
#define EVENTS_SIZE 65536
#define ID_SIZE 64
#define CUSTOMER "cust-stop"
#define INTERVAL_MS "3600000" /* the scoring timer never fires within the test */

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t service;
    int http_port;
    char alerts[SP_HARNESS_CONSUMER_ENDPOINT_SIZE];
    char log[PATH_SIZE];
    uint32_t partition;   /* cust-stop's */
    char ticker[ID_SIZE]; /* a customer of its partition */
    zsock_t *subscriber;
} s_fixture_t;

static s_fixture_t s_fixture;

static inline void
s_publish (const char *name, const char *text)
{
    static char output[OUTPUT_SIZE];
    int status =
        sp_harness_consumer_publish_text (s_fixture.stack->harness, s_fixture.stack->endpoint, name,
                                          text, output, sizeof output, TIMEOUT_MS);
    if (status != 0)
        fail_msg ("salesctl publish: %d: %s", status, output);
}

/* Appends one event line to events (size bytes). */
static inline void
s_event (char *events, size_t size, const char *id, const char *type, const char *customer,
         const char *day)
{
    size_t used = strlen (events);
    snprintf (events + used, size - used,
              "{\"event_id\": \"%s\", \"source\": \"shop\", \"type\": \"%s\", \"occurred_at\": "
              "\"%sT10:00:00Z\", \"customer_id\": \"%s\", \"currency\": \"GBP\", \"amount\": "
              "\"100.00\"}\n",
              id, type, day, customer);
}

/* One integer of a query of the test's connection. */
static inline int64_t
s_query (const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (s_fixture.stack->pg, sql, 0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    int64_t value = -1;
    if (sp_pg_result_rows (result) == 1 && !sp_pg_result_is_null (result, 0, 0))
        assert_int_equal (sp_pg_result_int64 (result, 0, 0, &value), 0);
    sp_pg_result_destroy (&result);
    return value;
}

#endif
