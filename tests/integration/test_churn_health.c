/*  test_churn_health - churn-alerting end to end: events published
    through the real activity-ingest (salesctl publish), applied by the
    real churn-alerting, read back with `salesctl health`.

      - a customer who ordered every month (and paid) for half a year and
        then stopped: green just after the last order, red months later
        with recency the factor that pulls the score down most;
      - a late order (published after the customer's later events) gives
        the same record, byte for byte, and the same health as a twin
        customer whose events came in order;
      - a credit note (an order_placed with a negative amount) shows in
        the returns measure;
      - a slice of the real retail data set (deploy/demo/retail: every
        customer whose id is a multiple of 40) replayed with
        retail-events.sh piped into salesctl publish, service currency
        GBP: `salesctl health` of three customers shows as last order day
        the last day of a non-credit invoice, computed here by an
        independent awk over the same CSV slice;
      - `salesctl rebuild churn-alerting --wait` gives the same answers.

    The service runs with currency GBP and time zone UTC, 4 partitions.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_partition.h"

#define PARTITIONS 4
#define TIMEOUT_MS 60000
#define OUTPUT_SIZE 262144
#define PATH_SIZE 4096
#define COMMAND_SIZE 32768
#define RETAIL_CUSTOMERS 3
#define RETAIL_MODULUS 40 /* the slice: customers whose id is a multiple of this */

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t service;
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
    static char output[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (s_fixture.stack->harness));
    if (sp_harness_salesctl (s_fixture.stack->harness, arguments, errors, output, sizeof output,
                             TIMEOUT_MS) != 0)
        return NULL;
    return json_loads (output, JSON_DISABLE_EOF_CHECK, NULL);
}

static void
s_publish (const char *name, const char *text)
{
    char path[PATH_SIZE];
    s_file (name, text, path, sizeof path);
    static char output[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/publish.err", sp_harness_dir (s_fixture.stack->harness));
    int status = sp_harness_salesctl (
        s_fixture.stack->harness,
        (const char *[]){ "publish", path, "--endpoint", s_fixture.stack->endpoint, NULL }, errors,
        output, sizeof output, TIMEOUT_MS);
    if (status != 0)
        fail_msg ("salesctl publish: %d: %s", status, output);
}

/* `salesctl health --json` of customer as of day (NULL: the watermark's). */
static json_t *
s_health (const char *customer, const char *day)
{
    if (day)
        return s_salesctl_json (
            (const char *[]){ "health", "--customer", customer, "--as-of", day, "--json", NULL });
    return s_salesctl_json ((const char *[]){ "health", "--customer", customer, "--json", NULL });
}

static const char *
s_string (const json_t *object, const char *key)
{
    const char *value = json_string_value (json_object_get (object, key));
    return value ? value : "";
}

/* Waits until customer's last order day (as of day) is expected. */
static void
s_wait_last_order (const char *customer, const char *day, const char *expected)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    char seen[64] = "(none)";
    while (sp_harness_now_ms () < deadline) {
        json_t *health = s_health (customer, day);
        if (health)
            snprintf (seen, sizeof seen, "%s", s_string (health, "last_order_day"));
        json_decref (health);
        if (strcmp (seen, expected) == 0)
            return;
        sp_harness_pause_ms (100);
    }
    fail_msg ("%s: last order day %s, not %s", customer, seen, expected);
}

/* The measure's row of a health document. */
static json_t *
s_measure (const json_t *health, const char *measure)
{
    json_t *row = json_object_get (json_object_get (health, "measures"), measure);
    if (!row)
        fail_msg ("no measure %s", measure);
    return row;
}

/* One order (amount in GBP) and, paid_day not NULL, its payment. */
#define ORDER(id, customer, day, amount)                                                           \
    "{\"event_id\": \"" id "\", \"source\": \"shop\", \"type\": \"order_placed\", "                \
    "\"occurred_at\": \"" day "T10:00:00Z\", \"customer_id\": \"" customer "\", "                  \
    "\"currency\": \"GBP\", \"amount\": \"" amount "\"}\n"
#define PAYMENT(id, customer, day, amount)                                                         \
    "{\"event_id\": \"" id "\", \"source\": \"shop\", \"type\": \"payment_received\", "            \
    "\"occurred_at\": \"" day "T12:00:00Z\", \"customer_id\": \"" customer "\", "                  \
    "\"currency\": \"GBP\", \"amount\": \"" amount "\"}\n"
#define COMPLAINT(id, customer, day, severity)                                                     \
    "{\"event_id\": \"" id "\", \"source\": \"crm\", \"type\": \"complaint\", "                    \
    "\"occurred_at\": \"" day "T09:00:00Z\", \"customer_id\": \"" customer "\", "                  \
    "\"severity\": \"" severity "\"}\n"
#define CALL(id, customer, day)                                                                    \
    "{\"event_id\": \"" id "\", \"source\": \"crm\", \"type\": \"call\", "                         \
    "\"occurred_at\": \"" day "T15:00:00Z\", \"customer_id\": \"" customer "\", "                  \
    "\"rep_id\": \"rep-ana\", \"duration_seconds\": 300}\n"

/* cust-steady: 100.00 on the 15th of every month from January to June
   2025, each paid ten days later, then nothing. */
static const char s_steady[] = ORDER ("s1", "cust-steady", "2025-01-15", "100.00")
    PAYMENT ("p1", "cust-steady", "2025-01-25", "100.00")
        ORDER ("s2", "cust-steady", "2025-02-15", "100.00")
            PAYMENT ("p2", "cust-steady", "2025-02-25", "100.00")
                ORDER ("s3", "cust-steady", "2025-03-15", "100.00")
                    PAYMENT ("p3", "cust-steady", "2025-03-25", "100.00")
                        ORDER ("s4", "cust-steady", "2025-04-15", "100.00")
                            PAYMENT ("p4", "cust-steady", "2025-04-25", "100.00")
                                ORDER ("s5", "cust-steady", "2025-05-15", "100.00")
                                    PAYMENT ("p5", "cust-steady", "2025-05-25", "100.00")
                                        ORDER ("s6", "cust-steady", "2025-06-15", "100.00")
                                            PAYMENT ("p6", "cust-steady", "2025-06-25", "100.00");

static int
s_start_service (void)
{
    s_fixture.service = sp_harness_consumer_service (
        s_fixture.stack->harness, "churn-alerting", s_fixture.stack->bus, s_fixture.http_port,
        PARTITIONS,
        (const char *[]){ "SP_TIME_ZONE=UTC", "SP_CONSUMER_POLL_MS=100",
                          "SP_DEFINITIONS_CHECK_MS=200", NULL },
        (const char *[]){ "--currency", "GBP", NULL }, s_fixture.log, TIMEOUT_MS);
    return s_fixture.service > 0 ? 0 : -1;
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_churn_health", PARTITIONS, 0, TIMEOUT_MS);
    if (!s_fixture.stack)
        return -1;
    s_fixture.http_port = sp_harness_free_port ();
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/churn-alerting.log",
              sp_harness_dir (s_fixture.stack->harness));
    return s_start_service ();
}

static int
s_group_teardown (void **state)
{
    (void) state;
    if (s_fixture.service > 0)
        assert_int_equal (sp_harness_stop (s_fixture.service, TIMEOUT_MS), 0);
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

/* The factor that pulls the score down most. */
static const char *
s_top_factor (const json_t *health)
{
    return s_string (json_array_get (json_object_get (health, "factors"), 0), "measure");
}

static void
test_steady_customer_turns_red (void **state)
{
    (void) state;
    s_publish ("steady.jsonl", s_steady);
    s_wait_last_order ("cust-steady", "2025-06-20", "2025-06-15");

    /* five days after the last order: intervals 31, 28, 31, 30, 31, median
       31 (its own, six order days); 3 orders in the 90 days against 3
       before; 400.00 paid of 300.00 due: every measure with data at 100 */
    json_t *early = s_health ("cust-steady", "2025-06-20");
    assert_non_null (early);
    assert_string_equal (s_string (early, "as_of"), "2025-06-20");
    assert_string_equal (s_string (early, "as_of_source"), "given");
    assert_string_equal (s_string (early, "band"), "green");
    assert_int_equal (json_integer_value (json_object_get (early, "score")), 100);
    json_t *interval = json_object_get (early, "interval");
    assert_string_equal (s_string (interval, "source"), "own");
    assert_int_equal (json_integer_value (json_object_get (interval, "days")), 31);
    json_t *recency = s_measure (early, "recency");
    assert_true (json_is_true (json_object_get (recency, "has_data")));
    assert_int_equal (json_integer_value (json_object_get (recency, "current")), 5);
    assert_int_equal (json_integer_value (json_object_get (recency, "previous")), 31);
    assert_int_equal (
        json_integer_value (json_object_get (s_measure (early, "frequency"), "current")), 3);
    assert_int_equal (
        json_integer_value (json_object_get (s_measure (early, "payment"), "current")), 40000);
    assert_false (json_is_true (json_object_get (s_measure (early, "engagement"), "has_data")));
    assert_string_equal (s_string (early, "first_day"), "2025-01-15");
    assert_string_equal (s_string (early, "currency"), "GBP");
    assert_string_equal (s_string (json_object_get (early, "model"), "name"), "default");
    json_decref (early);

    /* 199 days after it: recency 199 ÷ 31 scores 0, the windows are
       empty (frequency and monetary 0), nothing due or returned (no
       data), no complaint (100): (0.1 × 100) ÷ 0.7 = 14, red */
    json_t *late = s_health ("cust-steady", "2025-12-31");
    assert_non_null (late);
    assert_string_equal (s_string (late, "band"), "red");
    assert_int_equal (json_integer_value (json_object_get (late, "score")), 14);
    assert_string_equal (s_top_factor (late), "recency");
    assert_int_equal (json_integer_value (json_object_get (s_measure (late, "recency"), "score")),
                      0);
    assert_false (json_is_true (json_object_get (s_measure (late, "payment"), "has_data")));
    assert_string_equal (s_string (late, "last_order_day"), "2025-06-15");
    json_decref (late);

    /* --history: each day as of itself, oldest first */
    json_t *history = s_salesctl_json ((const char *[]){ "health", "--customer", "cust-steady",
                                                         "--as-of", "2025-12-31", "--history", "3",
                                                         "--json", "--wait", NULL });
    assert_non_null (history);
    /* --wait: churn-alerting's state held the whole log (docs/salesctl.md) */
    json_t *completeness = json_object_get (history, "completeness");
    assert_true (json_is_true (json_object_get (completeness, "complete")));
    assert_string_equal (json_string_value (json_object_get (completeness, "service")),
                         "churn-alerting");
    json_t *days = json_object_get (history, "history");
    assert_int_equal (json_array_size (days), 3);
    assert_string_equal (s_string (json_array_get (days, 0), "as_of"), "2025-12-29");
    assert_string_equal (s_string (json_array_get (days, 2), "as_of"), "2025-12-31");
    assert_int_equal (json_integer_value (json_object_get (json_array_get (days, 2), "score")), 14);
    json_decref (history);

    /* the default day: the partition's watermark (its latest event is
       the payment of 2025-06-25, unless another customer of the
       partition has a later one) */
    json_t *watermark = s_health ("cust-steady", NULL);
    assert_non_null (watermark);
    assert_string_equal (s_string (watermark, "as_of_source"), "watermark");
    assert_true (strcmp (s_string (watermark, "as_of"), "2025-06-25") >= 0);
    assert_true (strncmp (s_string (watermark, "watermark"), s_string (watermark, "as_of"), 10) ==
                 0);
    json_decref (watermark);

    /* the text form, for people */
    static char text[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/health.err", sp_harness_dir (s_fixture.stack->harness));
    assert_int_equal (sp_harness_salesctl (s_fixture.stack->harness,
                                           (const char *[]){ "health", "--customer", "cust-steady",
                                                             "--as-of", "2025-12-31", NULL },
                                           errors, text, sizeof text, TIMEOUT_MS),
                      0);
    assert_non_null (strstr (text, "score 14, red"));
    assert_non_null (strstr (text, "factors (what pulls the score down most first): recency"));
    assert_non_null (strstr (text, "last order: 2025-06-15"));

    /* a customer without events is an error, not a score */
    assert_null (s_health ("cust-nobody", "2025-06-20"));
}

/* The record of customer in Redis (malloc'd, *length bytes). */
static char *
s_record (const char *customer, size_t *length)
{
    char key[SP_PARTITION_KEY_MAX];
    uint32_t partition = sp_partition_of (customer, strlen (customer), PARTITIONS);
    snprintf (key, sizeof key, "churn-alerting:{p%u}:c:%s", (unsigned) partition, customer);
    char error[256];
    sp_redis_reply_t *reply = sp_redis_command (
        s_fixture.stack->redis, 2, (const char *[]){ "GET", key }, NULL, error, sizeof error);
    assert_non_null (reply);
    const char *value = sp_redis_reply_string (reply, length);
    assert_non_null (value);
    char *copy = malloc (*length + 1);
    assert_non_null (copy);
    memcpy (copy, value, *length);
    sp_redis_reply_destroy (&reply);
    return copy;
}

/* What two customers' health must share: all but the names. */
static void
s_assert_same_health (const char *left, const char *right, const char *day)
{
    json_t *a = s_health (left, day);
    json_t *b = s_health (right, day);
    assert_non_null (a);
    assert_non_null (b);
    const char *keys[] = { "score",   "band",     "interval",  "last_order_day",
                           "factors", "measures", "first_day", "as_of" };
    for (size_t index = 0; index < sizeof keys / sizeof keys[0]; index++)
        if (!json_equal (json_object_get (a, keys[index]), json_object_get (b, keys[index])))
            fail_msg ("%s differs between %s and %s", keys[index], left, right);
    json_decref (a);
    json_decref (b);
}

#define TWIN(prefix, customer, late_order)                                                         \
    ORDER (prefix "1", customer, "2025-03-01", "250.00")                                           \
    late_order ORDER (prefix "3", customer, "2025-04-02", "250.00")                                \
        COMPLAINT (prefix "c", customer, "2025-04-10", "high")                                     \
            ORDER (prefix "4", customer, "2025-05-01", "300.00")                                   \
                CALL (prefix "v", customer, "2025-05-03")                                          \
                    PAYMENT (prefix "p", customer, "2025-05-05", "500.00")

static void
test_late_order_gives_the_same_record (void **state)
{
    (void) state;
    /* twin-a in order; twin-b without its order of 2025-03-29, which is
       published after everything else */
    s_publish ("twin-a.jsonl",
               TWIN ("ta", "twin-a", ORDER ("ta2", "twin-a", "2025-03-29", "200.00")));
    s_publish ("twin-b.jsonl", TWIN ("tb", "twin-b", ""));
    s_wait_last_order ("twin-a", "2025-05-31", "2025-05-01");
    s_wait_last_order ("twin-b", "2025-05-31", "2025-05-01");
    json_t *before = s_health ("twin-b", "2025-05-31");
    assert_non_null (before);
    assert_int_equal (
        json_integer_value (json_object_get (s_measure (before, "monetary"), "current")),
        55000); /* 250 + 300 in (03-02, 05-31], without the late 200 */
    json_decref (before);
    s_publish ("twin-b-late.jsonl", ORDER ("tb2", "twin-b", "2025-03-29", "200.00"));
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    for (;;) {
        json_t *after = s_health ("twin-b", "2025-05-31");
        json_int_t monetary =
            after ? json_integer_value (json_object_get (s_measure (after, "monetary"), "current"))
                  : 0;
        json_decref (after);
        if (monetary == 75000)
            break;
        if (sp_harness_now_ms () > deadline)
            fail_msg ("the late order of twin-b did not show");
        sp_harness_pause_ms (100);
    }
    size_t length_a, length_b;
    char *record_a = s_record ("twin-a", &length_a);
    char *record_b = s_record ("twin-b", &length_b);
    assert_int_equal (length_a, length_b);
    assert_memory_equal (record_a, record_b, length_a);
    free (record_a);
    free (record_b);
    s_assert_same_health ("twin-a", "twin-b", "2025-05-31");
    s_assert_same_health ("twin-a", "twin-b", "2025-09-30");
}

static void
test_credit_note_shows_returns (void **state)
{
    (void) state;
    s_publish ("returns.jsonl", ORDER ("r1", "cust-returns", "2025-05-01", "1000.00")
                                    ORDER ("r2", "cust-returns", "2025-05-20", "-200.00"));
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    json_t *health = NULL;
    for (;;) {
        health = s_health ("cust-returns", "2025-05-31");
        if (health && json_is_true (json_object_get (s_measure (health, "returns"), "has_data")))
            break;
        json_decref (health);
        if (sp_harness_now_ms () > deadline)
            fail_msg ("the credit note of cust-returns did not show");
        sp_harness_pause_ms (100);
    }
    /* 200.00 returned of 1,000.00 ordered: 0.2, between (0.1, 50) and
       (0.3, 0): 25; the credit note is no order */
    json_t *returns = s_measure (health, "returns");
    assert_int_equal (json_integer_value (json_object_get (returns, "current")), 20000);
    assert_int_equal (json_integer_value (json_object_get (returns, "previous")), 100000);
    assert_true (fabs (json_number_value (json_object_get (returns, "value")) - 0.2) < 1e-9);
    assert_int_equal (json_integer_value (json_object_get (returns, "score")), 25);
    assert_string_equal (s_string (health, "last_order_day"), "2025-05-01");
    json_decref (health);
}

/* --------------------------------------------------------------- retail */

/* The retail CSV: the shared copy beside the repository when there is
   one, else the repository's gzipped copy (deploy/demo/retail)
   decompressed into dir. NULL when neither could be read. */
static const char *
s_retail_csv (const char *dir, char *path, size_t size)
{
    snprintf (path, size, "%s/../shared/data/uci-online-retail/online_retail_customers_mod4.csv",
              sp_harness_source_dir ());
    if (access (path, R_OK) == 0)
        return path;
    char command[COMMAND_SIZE];
    snprintf (path, size, "%s/online_retail_customers_mod4.csv", dir);
    snprintf (command, sizeof command,
              "gzip -dc '%s/deploy/demo/retail/online_retail_customers_mod4.csv.gz' > '%s'",
              sp_harness_source_dir (), path);
    return system (command) == 0 ? path : NULL;
}

/* True when every partition of churn-alerting has applied its head. */
static bool
s_caught_up (void)
{
    json_t *document = s_salesctl_json (
        (const char *[]){ "status", "--service", "churn-alerting", "--json", NULL });
    const json_t *service = json_array_get (json_object_get (document, "services"), 0);
    const json_t *partitions = json_object_get (service, "partitions");
    bool caught_up = json_array_size (partitions) == PARTITIONS;
    size_t index;
    const json_t *partition;
    json_array_foreach (partitions, index, partition)
    {
        const json_t *lag = json_object_get (partition, "lag");
        if (!json_is_integer (lag) || json_integer_value (lag) != 0)
            caught_up = false;
    }
    json_decref (document);
    return caught_up;
}

static void
test_retail_replay (void **state)
{
    (void) state;
    const char *dir = sp_harness_dir (s_fixture.stack->harness);
    char csv[PATH_SIZE];
    if (!s_retail_csv (dir, csv, sizeof csv))
        fail_msg ("the retail data set could not be read");
    char slice[PATH_SIZE], expected[PATH_SIZE], salesctl[PATH_SIZE], command[COMMAND_SIZE];
    snprintf (slice, sizeof slice, "%s/retail-slice.csv", dir);
    snprintf (expected, sizeof expected, "%s/retail-expected.txt", dir);
    sp_harness_program ("salesctl", salesctl, sizeof salesctl);
    /* the slice; then, independently of retail-events.sh, the last day of
       a non-credit invoice of the first three customers by id (fields
       counted from the end: only Description may hold commas) */
    snprintf (command, sizeof command,
              "awk -F, 'NR == 1 || ($(NF-1) + 0) %% %d == 0' '%s' > '%s' && "
              "awk -F, 'NR > 1 && $1 !~ /^C/ { c = $(NF-1); sub(/\\.0$/, \"\", c); "
              "d = substr($(NF-3), 1, 10); if (d > last[c]) last[c] = d } "
              "END { for (c in last) print c, last[c] }' '%s' | sort -n | head -n %d > '%s'",
              RETAIL_MODULUS, csv, slice, slice, RETAIL_CUSTOMERS, expected);
    assert_int_equal (system (command), 0);
    snprintf (command, sizeof command,
              "'%s/deploy/demo/retail/retail-events.sh' '%s' | '%s' publish - --endpoint '%s' "
              "> '%s/retail-publish.out' 2>&1",
              sp_harness_source_dir (), slice, salesctl, s_fixture.stack->endpoint, dir);
    if (system (command) != 0)
        fail_msg ("retail-events.sh | salesctl publish failed: see %s/retail-publish.out", dir);
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (!s_caught_up ()) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("churn-alerting did not catch up with the retail events");
        sp_harness_pause_ms (200);
    }
    FILE *file = fopen (expected, "r");
    assert_non_null (file);
    char customer[64], day[16];
    int found = 0;
    while (fscanf (file, "%63s %15s", customer, day) == 2) {
        json_t *health = s_health (customer, NULL);
        if (!health)
            fail_msg ("salesctl health --customer %s failed", customer);
        print_message ("retail customer %s: last order %s, score %lld %s as of %s\n", customer,
                       s_string (health, "last_order_day"),
                       (long long) json_integer_value (json_object_get (health, "score")),
                       s_string (health, "band"), s_string (health, "as_of"));
        assert_string_equal (s_string (health, "last_order_day"), day);
        assert_string_equal (s_string (health, "currency"), "GBP");
        json_decref (health);
        found++;
    }
    fclose (file);
    assert_int_equal (found, RETAIL_CUSTOMERS);
}

static void
test_rebuild_gives_the_same_answers (void **state)
{
    (void) state;
    const char *customers[] = { "cust-steady", "twin-b", "cust-returns" };
    json_t *before[3];
    for (size_t index = 0; index < 3; index++) {
        before[index] = s_health (customers[index], "2025-12-31");
        assert_non_null (before[index]);
    }
    char output[OUTPUT_SIZE];
    char errors[PATH_SIZE];
    snprintf (errors, sizeof errors, "%s/rebuild.err", sp_harness_dir (s_fixture.stack->harness));
    assert_int_equal (sp_harness_salesctl (s_fixture.stack->harness,
                                           (const char *[]){ "rebuild", "churn-alerting", "--wait",
                                                             "--timeout", "60", NULL },
                                           errors, output, sizeof output, TIMEOUT_MS),
                      0);
    for (size_t index = 0; index < 3; index++) {
        json_t *after = s_health (customers[index], "2025-12-31");
        assert_non_null (after);
        if (!json_equal (before[index], after))
            fail_msg ("%s changed with the rebuild", customers[index]);
        json_decref (after);
        json_decref (before[index]);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_steady_customer_turns_red),
        cmocka_unit_test (test_late_order_gives_the_same_record),
        cmocka_unit_test (test_credit_note_shows_returns),
        cmocka_unit_test (test_retail_replay),
        cmocka_unit_test (test_rebuild_gives_the_same_answers),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
