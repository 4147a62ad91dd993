/*  Tests for sp_metrics: exact rendered text for counters, gauges and
    histograms, label and help escaping, number formatting, the hash index
    under many children, the children limit, and concurrent update/render.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>
#include <pthread.h>

#include <cmocka.h>

#include "sp_log.h"
#include "sp_metrics.h"

#define MANY_CHILDREN 1000      /* enough to grow the hash index several times */
#define THREAD_INCREMENTS 20000 /* updates made by the writer thread */
#define LABEL_SIZE 32
#define RENDER_ROUNDS 50 /* renders made while the writer runs */

static sp_metrics_t *
s_metrics_new (void)
{
    sp_metrics_t *metrics = sp_metrics_new ();
    assert_non_null (metrics);
    return metrics;
}

/* Asserts the registry renders exactly expected. */
static void
s_assert_render (sp_metrics_t *metrics, const char *expected)
{
    char *text = sp_metrics_render (metrics);
    assert_non_null (text);
    assert_string_equal (text, expected);
    free (text);
}

static void
test_new_destroy (void **state)
{
    (void) state;
    sp_metrics_t *metrics = s_metrics_new ();
    s_assert_render (metrics, "");
    sp_metrics_destroy (&metrics);
    assert_null (metrics);
    sp_metrics_destroy (&metrics);
    assert_null (metrics);
}

static void
test_counter (void **state)
{
    (void) state;
    sp_metrics_t *metrics = s_metrics_new ();
    sp_metric_t *plain =
        sp_metrics_counter (metrics, "sp_requests_total", "requests served", NULL, 0);
    assert_non_null (plain);
    /* Unlabelled: renders 0 before any update. */
    s_assert_render (metrics, "# HELP sp_requests_total requests served\n"
                              "# TYPE sp_requests_total counter\n"
                              "sp_requests_total 0\n");
    sp_metric_add (plain, NULL, 1);
    sp_metric_add (plain, NULL, 2);
    sp_metric_add (plain, NULL, 0);
    assert_true (sp_metric_value (plain, NULL) == 3);

    const char *names[] = { "type", "outcome" };
    sp_metric_t *events =
        sp_metrics_counter (metrics, "sp_events_total", "events by outcome", names, 2);
    assert_non_null (events);
    sp_metric_add (events, (const char *[]){ "deal", "rejected" }, 1);
    sp_metric_add (events, (const char *[]){ "call", "accepted" }, 5);
    sp_metric_add (events, (const char *[]){ "deal", "rejected" }, 1.5);
    sp_metric_add (events, (const char *[]){ "deal", "accepted" }, 1);
    assert_true (sp_metric_value (events, (const char *[]){ "deal", "rejected" }) == 2.5);
    /* Peeking does not create a child. */
    assert_true (sp_metric_value (events, (const char *[]){ "visit", "accepted" }) == 0);
    s_assert_render (metrics, "# HELP sp_requests_total requests served\n"
                              "# TYPE sp_requests_total counter\n"
                              "sp_requests_total 3\n"
                              "# HELP sp_events_total events by outcome\n"
                              "# TYPE sp_events_total counter\n"
                              "sp_events_total{type=\"deal\",outcome=\"rejected\"} 2.5\n"
                              "sp_events_total{type=\"call\",outcome=\"accepted\"} 5\n"
                              "sp_events_total{type=\"deal\",outcome=\"accepted\"} 1\n");
    sp_metrics_destroy (&metrics);
}

static void
test_labelled_family_without_children (void **state)
{
    (void) state;
    sp_metrics_t *metrics = s_metrics_new ();
    const char *names[] = { "partition" };
    assert_non_null (sp_metrics_gauge (metrics, "sp_lag", "events behind", names, 1));
    s_assert_render (metrics, "# HELP sp_lag events behind\n"
                              "# TYPE sp_lag gauge\n");
    sp_metrics_destroy (&metrics);
}

static void
test_gauge (void **state)
{
    (void) state;
    sp_metrics_t *metrics = s_metrics_new ();
    const char *names[] = { "name" };
    sp_metric_t *gauge = sp_metrics_gauge (metrics, "sp:value", "assorted values", names, 1);
    assert_non_null (gauge);
    sp_metric_set (gauge, (const char *[]){ "down" }, 10);
    sp_metric_add (gauge, (const char *[]){ "down" }, -12.5);
    sp_metric_set (gauge, (const char *[]){ "tenth" }, 0.1);
    sp_metric_add (gauge, (const char *[]){ "sum" }, 0.1);
    sp_metric_add (gauge, (const char *[]){ "sum" }, 0.2);
    sp_metric_set (gauge, (const char *[]){ "small" }, 1e-7);
    sp_metric_set (gauge, (const char *[]){ "big" }, 1234567890123.0);
    sp_metric_set (gauge, (const char *[]){ "huge" }, 1e21);
    sp_metric_set (gauge, (const char *[]){ "inf" }, INFINITY);
    sp_metric_set (gauge, (const char *[]){ "minus_inf" }, -INFINITY);
    sp_metric_set (gauge, (const char *[]){ "nan" }, NAN);
    sp_metric_set (gauge, (const char *[]){ "reset" }, 7);
    sp_metric_set (gauge, (const char *[]){ "reset" }, 0);
    assert_true (sp_metric_value (gauge, (const char *[]){ "down" }) == -2.5);
    assert_true (isnan (sp_metric_value (gauge, (const char *[]){ "nan" })));
    s_assert_render (metrics, "# HELP sp:value assorted values\n"
                              "# TYPE sp:value gauge\n"
                              "sp:value{name=\"down\"} -2.5\n"
                              "sp:value{name=\"tenth\"} 0.1\n"
                              "sp:value{name=\"sum\"} 0.30000000000000004\n"
                              "sp:value{name=\"small\"} 1e-07\n"
                              "sp:value{name=\"big\"} 1234567890123\n"
                              "sp:value{name=\"huge\"} 1e+21\n"
                              "sp:value{name=\"inf\"} +Inf\n"
                              "sp:value{name=\"minus_inf\"} -Inf\n"
                              "sp:value{name=\"nan\"} NaN\n"
                              "sp:value{name=\"reset\"} 0\n");
    sp_metrics_destroy (&metrics);
}

static void
test_histogram (void **state)
{
    (void) state;
    sp_metrics_t *metrics = s_metrics_new ();
    const double bounds[] = { 0.005, 0.1, 1, 2.5 };
    sp_metric_t *plain =
        sp_metrics_histogram (metrics, "sp_apply_seconds", "apply latency", NULL, 0, bounds, 4);
    assert_non_null (plain);
    s_assert_render (metrics, "# HELP sp_apply_seconds apply latency\n"
                              "# TYPE sp_apply_seconds histogram\n"
                              "sp_apply_seconds_bucket{le=\"0.005\"} 0\n"
                              "sp_apply_seconds_bucket{le=\"0.1\"} 0\n"
                              "sp_apply_seconds_bucket{le=\"1\"} 0\n"
                              "sp_apply_seconds_bucket{le=\"2.5\"} 0\n"
                              "sp_apply_seconds_bucket{le=\"+Inf\"} 0\n"
                              "sp_apply_seconds_sum 0\n"
                              "sp_apply_seconds_count 0\n");
    sp_metric_observe (plain, NULL, 0.001); /* first bucket */
    sp_metric_observe (plain, NULL, 0.1);   /* exactly on a bound: that bucket */
    sp_metric_observe (plain, NULL, 0.5);
    sp_metric_observe (plain, NULL, 3);  /* above every bound: +Inf only */
    sp_metric_observe (plain, NULL, -1); /* below every bound: first bucket */
    assert_int_equal (sp_metric_count (plain, NULL), 5);

    const char *names[] = { "service", "partition" };
    const double sizes[] = { 1, 10 };
    sp_metric_t *batch =
        sp_metrics_histogram (metrics, "sp_batch_size", "events per batch", names, 2, sizes, 2);
    assert_non_null (batch);
    sp_metric_observe (batch, (const char *[]){ "ingest", "3" }, 10);
    sp_metric_observe (batch, (const char *[]){ "ingest", "3" }, 11);
    sp_metric_observe (batch, (const char *[]){ "funnel", "0" }, 1);
    assert_int_equal (sp_metric_count (batch, (const char *[]){ "ingest", "3" }), 2);
    assert_int_equal (sp_metric_count (batch, (const char *[]){ "kpi", "3" }), 0);
    s_assert_render (metrics,
                     "# HELP sp_apply_seconds apply latency\n"
                     "# TYPE sp_apply_seconds histogram\n"
                     "sp_apply_seconds_bucket{le=\"0.005\"} 2\n"
                     "sp_apply_seconds_bucket{le=\"0.1\"} 3\n"
                     "sp_apply_seconds_bucket{le=\"1\"} 4\n"
                     "sp_apply_seconds_bucket{le=\"2.5\"} 4\n"
                     "sp_apply_seconds_bucket{le=\"+Inf\"} 5\n"
                     "sp_apply_seconds_sum 2.601\n"
                     "sp_apply_seconds_count 5\n"
                     "# HELP sp_batch_size events per batch\n"
                     "# TYPE sp_batch_size histogram\n"
                     "sp_batch_size_bucket{service=\"ingest\",partition=\"3\",le=\"1\"} 0\n"
                     "sp_batch_size_bucket{service=\"ingest\",partition=\"3\",le=\"10\"} 1\n"
                     "sp_batch_size_bucket{service=\"ingest\",partition=\"3\",le=\"+Inf\"} 2\n"
                     "sp_batch_size_sum{service=\"ingest\",partition=\"3\"} 21\n"
                     "sp_batch_size_count{service=\"ingest\",partition=\"3\"} 2\n"
                     "sp_batch_size_bucket{service=\"funnel\",partition=\"0\",le=\"1\"} 1\n"
                     "sp_batch_size_bucket{service=\"funnel\",partition=\"0\",le=\"10\"} 1\n"
                     "sp_batch_size_bucket{service=\"funnel\",partition=\"0\",le=\"+Inf\"} 1\n"
                     "sp_batch_size_sum{service=\"funnel\",partition=\"0\"} 1\n"
                     "sp_batch_size_count{service=\"funnel\",partition=\"0\"} 1\n");
    sp_metrics_destroy (&metrics);
}

static void
test_escaping (void **state)
{
    (void) state;
    sp_metrics_t *metrics = s_metrics_new ();
    const char *names[] = { "customer" };
    sp_metric_t *counter = sp_metrics_counter (
        metrics, "sp_escape_total", "help with \\ backslash, \"quotes\"\nand a newline", names, 1);
    assert_non_null (counter);
    sp_metric_add (counter, (const char *[]){ "a\\b \"c\"\nd" }, 1);
    sp_metric_add (counter, (const char *[]){ "M\xc3\xbcller GmbH" }, 2);
    sp_metric_add (counter, (const char *[]){ "" }, 3);
    s_assert_render (metrics,
                     "# HELP sp_escape_total help with \\\\ backslash, \"quotes\"\\nand a newline\n"
                     "# TYPE sp_escape_total counter\n"
                     "sp_escape_total{customer=\"a\\\\b \\\"c\\\"\\nd\"} 1\n"
                     "sp_escape_total{customer=\"M\xc3\xbcller GmbH\"} 2\n"
                     "sp_escape_total{customer=\"\"} 3\n");
    sp_metrics_destroy (&metrics);
}

static void
test_registration_order_and_suffixes (void **state)
{
    (void) state;
    sp_metrics_t *metrics = s_metrics_new ();
    /* Names that only look like histogram samples of another name are fine. */
    const double bounds[] = { 1 };
    assert_non_null (sp_metrics_histogram (metrics, "sp_x", "x", NULL, 0, bounds, 1));
    assert_non_null (sp_metrics_gauge (metrics, "sp_x_total", "x total", NULL, 0));
    assert_non_null (sp_metrics_gauge (metrics, "sp_x_bucketful", "x bucketful", NULL, 0));
    assert_non_null (sp_metrics_counter (metrics, "_a", "a", NULL, 0));
    s_assert_render (metrics, "# HELP sp_x x\n"
                              "# TYPE sp_x histogram\n"
                              "sp_x_bucket{le=\"1\"} 0\n"
                              "sp_x_bucket{le=\"+Inf\"} 0\n"
                              "sp_x_sum 0\n"
                              "sp_x_count 0\n"
                              "# HELP sp_x_total x total\n"
                              "# TYPE sp_x_total gauge\n"
                              "sp_x_total 0\n"
                              "# HELP sp_x_bucketful x bucketful\n"
                              "# TYPE sp_x_bucketful gauge\n"
                              "sp_x_bucketful 0\n"
                              "# HELP _a a\n"
                              "# TYPE _a counter\n"
                              "_a 0\n");
    sp_metrics_destroy (&metrics);
}

static void
test_many_children (void **state)
{
    (void) state;
    sp_metrics_t *metrics = s_metrics_new ();
    const char *names[] = { "a", "b" };
    sp_metric_t *counter = sp_metrics_counter (metrics, "sp_many_total", "many", names, 2);
    assert_non_null (counter);
    /* Tuples that differ only in where values split must stay apart. */
    sp_metric_add (counter, (const char *[]){ "ab", "c" }, 1);
    sp_metric_add (counter, (const char *[]){ "a", "bc" }, 2);
    assert_true (sp_metric_value (counter, (const char *[]){ "ab", "c" }) == 1);
    assert_true (sp_metric_value (counter, (const char *[]){ "a", "bc" }) == 2);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < MANY_CHILDREN; i++) {
            char label[LABEL_SIZE];
            snprintf (label, sizeof label, "rep-%d", i);
            sp_metric_add (counter, (const char *[]){ label, "x" }, i);
        }
    for (int i = 0; i < MANY_CHILDREN; i++) {
        char label[LABEL_SIZE];
        snprintf (label, sizeof label, "rep-%d", i);
        assert_true (sp_metric_value (counter, (const char *[]){ label, "x" }) == 2.0 * i);
    }
    /* Creation order survives the index growing. */
    char *text = sp_metrics_render (metrics);
    assert_non_null (text);
    const char *first = strstr (text, "{a=\"rep-0\",b=\"x\"} 0\n");
    const char *second = strstr (text, "{a=\"rep-1\",b=\"x\"} 2\n");
    const char *last = strstr (text, "{a=\"rep-999\",b=\"x\"} 1998\n");
    assert_non_null (first);
    assert_non_null (second);
    assert_non_null (last);
    assert_true (strstr (text, "{a=\"a\",b=\"bc\"} 2\n") < first);
    assert_true (first < second && second < last);
    free (text);
    sp_metrics_destroy (&metrics);
}

static size_t
s_count_lines (const char *text)
{
    size_t lines = 0;
    for (const char *cursor = text; *cursor; cursor++)
        lines += *cursor == '\n';
    return lines;
}

static void
test_children_limit (void **state)
{
    (void) state;
    sp_metrics_t *metrics = s_metrics_new ();
    const char *names[] = { "id" };
    sp_metric_t *gauge = sp_metrics_gauge (metrics, "sp_limited", "limited", names, 1);
    assert_non_null (gauge);
    char *logged = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&logged, &size);
    assert_non_null (stream);
    sp_log_set_stream (stream);
    for (int i = 0; i < SP_METRICS_CHILDREN_MAX + 2; i++) {
        char label[LABEL_SIZE];
        snprintf (label, sizeof label, "%d", i);
        sp_metric_set (gauge, (const char *[]){ label }, 1);
    }
    /* Existing children keep updating. */
    sp_metric_add (gauge, (const char *[]){ "0" }, 1);
    sp_log_set_stream (NULL);
    assert_int_equal (fclose (stream), 0);
    assert_non_null (strstr (logged, "msg=\"too many label value combinations for metric, "
                                     "dropping new ones\" metric=\"sp_limited\" limit=10000"));
    assert_int_equal (s_count_lines (logged), 1);
    free (logged);

    char label[LABEL_SIZE];
    snprintf (label, sizeof label, "%d", SP_METRICS_CHILDREN_MAX);
    assert_true (sp_metric_value (gauge, (const char *[]){ label }) == 0);
    assert_true (sp_metric_value (gauge, (const char *[]){ "0" }) == 2);
    char *text = sp_metrics_render (metrics);
    assert_non_null (text);
    assert_int_equal (s_count_lines (text), SP_METRICS_CHILDREN_MAX + 2);
    free (text);
    sp_metrics_destroy (&metrics);
}

typedef struct {
    sp_metric_t *counter;   /* incremented by the thread */
    sp_metric_t *histogram; /* observed by the thread */
} writer_t;

static void *
s_writer (void *argument)
{
    writer_t *writer = argument;
    for (int i = 0; i < THREAD_INCREMENTS; i++) {
        sp_metric_add (writer->counter, (const char *[]){ i % 2 ? "odd" : "even" }, 1);
        sp_metric_observe (writer->histogram, NULL, i % 3);
    }
    return NULL;
}

static void
test_concurrent_update_and_render (void **state)
{
    (void) state;
    sp_metrics_t *metrics = s_metrics_new ();
    const char *names[] = { "parity" };
    const double bounds[] = { 0, 1 };
    writer_t writer = {
        sp_metrics_counter (metrics, "sp_parity_total", "by parity", names, 1),
        sp_metrics_histogram (metrics, "sp_mod3", "i mod 3", NULL, 0, bounds, 2),
    };
    assert_non_null (writer.counter);
    assert_non_null (writer.histogram);
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_writer, &writer), 0);
    /* Render while the writer runs; each text must be well formed. */
    for (int i = 0; i < RENDER_ROUNDS; i++) {
        char *text = sp_metrics_render (metrics);
        assert_non_null (text);
        assert_non_null (strstr (text, "# TYPE sp_mod3 histogram\n"));
        free (text);
    }
    assert_int_equal (pthread_join (thread, NULL), 0);
    assert_true (sp_metric_value (writer.counter, (const char *[]){ "odd" }) ==
                 THREAD_INCREMENTS / 2);
    assert_true (sp_metric_value (writer.counter, (const char *[]){ "even" }) ==
                 THREAD_INCREMENTS / 2);
    assert_int_equal (sp_metric_count (writer.histogram, NULL), THREAD_INCREMENTS);
    sp_metrics_destroy (&metrics);
}

/* The same family registered again (an object made anew while the
   service runs) is the same handle, counting on in the same series. */
static void
test_register_again_returns_the_family (void **state)
{
    (void) state;
    sp_metrics_t *metrics = s_metrics_new ();
    const char *labels[] = { "funnel" };
    sp_metric_t *first = sp_metrics_counter (metrics, "sp_hits_total", "hits counted", labels, 1);
    assert_non_null (first);
    sp_metric_add (first, (const char *[]){ "crm" }, 2);
    sp_metric_t *again = sp_metrics_counter (metrics, "sp_hits_total", "hits counted", labels, 1);
    assert_ptr_equal (again, first);
    sp_metric_add (again, (const char *[]){ "crm" }, 3);
    s_assert_render (metrics, "# HELP sp_hits_total hits counted\n"
                              "# TYPE sp_hits_total counter\n"
                              "sp_hits_total{funnel=\"crm\"} 5\n");
    sp_metrics_destroy (&metrics);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_destroy),
        cmocka_unit_test (test_counter),
        cmocka_unit_test (test_register_again_returns_the_family),
        cmocka_unit_test (test_labelled_family_without_children),
        cmocka_unit_test (test_gauge),
        cmocka_unit_test (test_histogram),
        cmocka_unit_test (test_escaping),
        cmocka_unit_test (test_registration_order_and_suffixes),
        cmocka_unit_test (test_many_children),
        cmocka_unit_test (test_children_limit),
        cmocka_unit_test (test_concurrent_update_and_render),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
