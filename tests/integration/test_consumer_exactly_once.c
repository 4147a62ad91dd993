/*  test_consumer_exactly_once - exactly-once for every valid input (issue
    14, part 1): a step the apply script cannot run whole is refused
    before its first write and leaves Redis exactly as it was; a step
    that keeps being refused is narrowed down to its event, which is
    quarantined with the reason after --poison-attempts, and the
    partition moves on; Redis' own refusals (maxmemory, a script killed
    past busy-reply-threshold) write nothing and are retried.

      - The reproduction: 9,300 valid deal_won events of one
        customer, each 10,000,000,000,000.00 USD (10^15 minor units, the
        documented maximum), through the real activity-ingest and
        funnel-tracker. The won-amount sum of the customer's partition
        would leave int64 at the 9,224th: that one and every later one is
        quarantined naming the field, the 9,223 before are counted once
        (won 9223, won_amount_sum 9223 * 10^15, not growing), the
        partition's lag reaches 0, and a rebuild ends in the same state.
      - counting-consumer with a string planted where a partition's hash
        is (WRONGTYPE): that partition's events are quarantined with the
        reason, nothing of them is written (their other hash is not
        counted), the other partitions' events are all applied.
      - The store directly: refusals (beyond int64 across steps, a key of
        another kind, a field that is not an integer, a command the
        script does not check) leave every key and the checkpoint as they
        were; under maxmemory with noeviction the step fails with OOM
        and writes nothing, then applies once memory is allowed; a step
        killed with SCRIPT KILL past busy-reply-threshold wrote nothing,
        one that was not killed wrote everything.

    Every wait polls an observable condition with a deadline.
*/
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_consumer_batch.h"
#include "sp_consumer_store.h"
#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_pg.h"
#include "sp_harness_publisher.h"
#include "sp_harness_redis.h"
#include "sp_partition.h"

#define PARTITIONS 4
#define WHALE_EVENTS 9300
#define WHALE_CUSTOMER "whale"
#define WHALE_AMOUNT INT64_C (1000000000000000) /* 10^15 minor units */
#define WHALE_FIT 9223                          /* INT64_MAX / 10^15 */
#define WHALE_SUM "9223000000000000000"         /* WHALE_FIT * 10^15 */
#define OCCURRED_AT INT64_C (1772409600000)     /* 2026-03-02T00:00:00Z */
#define ATTEMPTS "2"
#define ATTEMPTS_COUNT 2
#define RETRY_DELAY "10"
#define PUBLISH_BATCH 500
#define PUBLISH_ATTEMPTS 20
#ifndef TIMEOUT_MS
#define TIMEOUT_MS 240000
#endif
#define POLL_MS 50
#define QUIET_MS 1500 /* how long figures must stay put once converged */
#define TEXT_SIZE 512
#define ERROR_SIZE 512
#define STORE_SERVICE "exactly-once-store"
#define STORE_PARTITION 2
#define STORE_TOKEN "instance-a/1"
#define KILL_COMMANDS 40000 /* commands of the step SCRIPT KILL aims at */

typedef struct {
    sp_harness_consumer_stack_t *stack;
    pid_t service;      /* the running consumer service, 0 when none */
    int http_port;      /* its /metrics */
    char log[PATH_MAX]; /* its log */
    int starts;         /* services started (one log each) */
} s_fixture_t;

static s_fixture_t s_fixture;

static int
s_setup (void **state)
{
    (void) state;
    s_fixture.stack =
        sp_harness_consumer_stack_new ("test_consumer_exactly_once", PARTITIONS, 0, TIMEOUT_MS);
    return s_fixture.stack ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    sp_harness_consumer_stack_destroy (&s_fixture.stack);
    return 0;
}

static int
s_clear (void **state)
{
    (void) state;
    return sp_harness_consumer_stack_clear (s_fixture.stack);
}

static int
s_stop (void **state)
{
    (void) state;
    if (s_fixture.service <= 0)
        return 0;
    int status = sp_harness_stop (s_fixture.service, TIMEOUT_MS);
    s_fixture.service = 0;
    return status == 0 ? 0 : -1;
}

/* Runs a Redis command on the test's connection; must succeed. */
static void
s_redis (int argc, const char *const *argv)
{
    assert_int_equal (sp_harness_redis_run_and_drop (s_fixture.stack->redis, argc, argv), 0);
}

/* Runs a command Redis keeps per server (CONFIG SET) on every server:
   each master of a cluster. Must succeed. */
static void
s_each_server (int argc, const char *const *argv)
{
    assert_int_equal (sp_harness_consumer_stack_each_server (s_fixture.stack, argc, argv, NULL), 0);
}

/* Starts program_name for the stack with the test's poison settings. */
static void
s_start (const char *program_name, const char *const *settings)
{
    s_fixture.http_port = sp_harness_free_port ();
    snprintf (s_fixture.log, sizeof s_fixture.log, "%s/%s-%d.log",
              sp_harness_dir (s_fixture.stack->harness), program_name, ++s_fixture.starts);
    s_fixture.service = sp_harness_consumer_service (
        s_fixture.stack->harness, program_name, s_fixture.stack->bus, s_fixture.http_port,
        PARTITIONS, settings,
        (const char *[]){ "--poison-attempts", ATTEMPTS, "--retry-delay-ms", RETRY_DELAY,
                          "--poll-ms", "200", NULL },
        s_fixture.log, TIMEOUT_MS);
    assert_true (s_fixture.service > 0);
}

/* Waits until the service owns every partition with lag 0 everywhere. */
static void
s_wait_caught_up (void)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    int64_t owned = -1, lag = -1;
    while (sp_harness_now_ms () < deadline) {
        owned =
            sp_harness_consumer_metric (s_fixture.http_port, "salespulse_consumer_partition_owned");
        lag = sp_harness_consumer_metric (s_fixture.http_port, "salespulse_consumer_partition_lag");
        if (owned == PARTITIONS && lag == 0)
            return;
        sp_harness_pause_ms (POLL_MS);
    }
    fail_msg ("not caught up: %lld partitions owned, lag %lld (log %s)", (long long) owned,
              (long long) lag, s_fixture.log);
}

/* Rows of quarantined_events of service whose error contains text. */
static int64_t
s_quarantined (const char *service, const char *text)
{
    char pattern[TEXT_SIZE];
    snprintf (pattern, sizeof pattern, "%%%s%%", text);
    const char *values[] = { service, pattern };
    sp_pg_result_t *result = sp_pg_exec (s_fixture.stack->pg,
                                         "SELECT count(*) FROM quarantined_events"
                                         " WHERE service = $1 AND error LIKE $2",
                                         2, values, NULL, NULL);
    int64_t count = -1;
    if (!sp_pg_result_ok (result) || sp_pg_result_int64 (result, 0, 0, &count) != 0)
        fail_msg ("could not read quarantined_events: %s", sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
    return count;
}

static void
s_wait_quarantined (const char *service, const char *text, int64_t count)
{
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    int64_t seen = -1;
    while ((seen = s_quarantined (service, text)) < count) {
        if (sp_harness_now_ms () >= deadline)
            fail_msg ("%lld of %lld events quarantined with \"%s\" (log %s)", (long long) seen,
                      (long long) count, text, s_fixture.log);
        sp_harness_pause_ms (POLL_MS);
    }
    assert_int_equal (seen, count);
}

/* Publishes count events made by make_event through activity-ingest. */
static void
s_publish (size_t count, sp_harness_event_fn make_event, void *arg)
{
    sp_harness_publisher_options_t options = {
        .endpoint = s_fixture.stack->endpoint,
        .count = count,
        .batch = PUBLISH_BATCH,
        .timeout_ms = 30000,
        .make_event = make_event,
        .arg = arg,
    };
    sp_ingest_client_options_init (&options.client);
    options.client.attempts = PUBLISH_ATTEMPTS;
    sp_harness_publisher_t *publisher = sp_harness_publisher_new (&options);
    assert_non_null (publisher);
    char error[ERROR_SIZE] = "";
    int rc = sp_harness_publisher_wait (publisher, TIMEOUT_MS, error, sizeof error);
    sp_harness_publisher_destroy (&publisher);
    if (rc != 0)
        fail_msg ("publishing failed: %s", error);
}

/* ---------------------------------------------------------------- the reproduction */

/* deal_won number index of the whale: its own opportunity, 10^15 USD minor units. */
static sp_event_t *
s_whale_event (size_t index, void *arg)
{
    (void) arg;
    sp_event_t *event = sp_event_new (SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON);
    if (!event)
        return NULL;
    char event_id[64], opportunity[64];
    snprintf (event_id, sizeof event_id, "whale:%zu", index);
    snprintf (opportunity, sizeof opportunity, "opp-%zu", index);
    Salespulse__Money *amount = malloc (sizeof *amount);
    if (!amount) {
        sp_event_destroy (&event);
        return NULL;
    }
    salespulse__money__init (amount);
    event->deal_won->amount = amount;
    amount->amount_minor = WHALE_AMOUNT;
    if (sp_event_set_string (&amount->currency, "USD", 3) != 0 ||
        sp_event_set_string (&event->event_id, event_id, strlen (event_id)) != 0 ||
        sp_event_set_string (&event->source, "crm", 3) != 0 ||
        sp_event_set_string (&event->rep_id, "rep-1", 5) != 0 ||
        sp_event_set_string (&event->team_id, "north", 5) != 0 ||
        sp_event_set_string (&event->region_id, "emea", 4) != 0 ||
        sp_event_set_string (&event->customer_id, WHALE_CUSTOMER, strlen (WHALE_CUSTOMER)) != 0 ||
        sp_event_set_string (&event->opportunity_id, opportunity, strlen (opportunity)) != 0) {
        sp_event_destroy (&event);
        return NULL;
    }
    event->occurred_at = OCCURRED_AT + (int64_t) index;
    return event;
}

/* The company scope's month hashes of every funnel: each must hold won
   and won_amount_sum as given (won_amount_sum NULL: not checked); when
   one does not, fails the test if strict, else returns -1. Returns the
   number of such hashes found. Scanned a partition at a time: a
   partition's keys share its hash tag, so on a cluster each SCAN walks
   the one node holding them. */
static int
s_company_won (const char *won, const char *won_amount_sum, bool strict)
{
    int found = 0;
    for (int partition = 0; partition < PARTITIONS; partition++) {
        char pattern[TEXT_SIZE];
        snprintf (pattern, sizeof pattern, "funnel-tracker:{p%d}:m:*:company:*", partition);
        const char *scan[] = { "SCAN", "0", "MATCH", pattern, "COUNT", "100000" };
        sp_redis_reply_t *reply = sp_harness_redis_run (s_fixture.stack->redis, 6, scan);
        assert_non_null (reply);
        assert_string_equal (sp_redis_reply_string (sp_redis_reply_element (reply, 0), NULL), "0");
        const sp_redis_reply_t *keys = sp_redis_reply_element (reply, 1);
        for (size_t index = 0; index < sp_redis_reply_size (keys); index++) {
            const char *key = sp_redis_reply_string (sp_redis_reply_element (keys, index), NULL);
            const char *hmget[] = { "HMGET", key, "won", "won_amount_sum" };
            sp_redis_reply_t *fields = sp_harness_redis_run (s_fixture.stack->redis, 4, hmget);
            assert_non_null (fields);
            const sp_redis_reply_t *won_reply = sp_redis_reply_element (fields, 0);
            const sp_redis_reply_t *sum_reply = sp_redis_reply_element (fields, 1);
            if (sp_redis_reply_type (won_reply) == SP_REDIS_REPLY_STRING) {
                found++;
                const char *stored_won = sp_redis_reply_string (won_reply, NULL);
                const char *stored_sum = sp_redis_reply_type (sum_reply) == SP_REDIS_REPLY_STRING
                                             ? sp_redis_reply_string (sum_reply, NULL)
                                             : "(nil)";
                bool right = strcmp (stored_won, won) == 0 &&
                             (!won_amount_sum || strcmp (stored_sum, won_amount_sum) == 0);
                if (!right && strict)
                    fail_msg ("%s: won is %s, not %s; won_amount_sum is %s, not %s", key,
                              stored_won, won, stored_sum,
                              won_amount_sum ? won_amount_sum : "(any)");
                if (!right) {
                    sp_redis_reply_destroy (&fields);
                    sp_redis_reply_destroy (&reply);
                    return -1;
                }
            }
            sp_redis_reply_destroy (&fields);
        }
        sp_redis_reply_destroy (&reply);
    }
    return found;
}

static void
s_assert_whale_figures (void)
{
    char won[32];
    snprintf (won, sizeof won, "%d", WHALE_FIT);
    /* Caught up is read from /metrics, which can still show the lag of
       before a rebuild's reset for a moment: the figures are waited for,
       then held to. */
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (s_company_won (won, WHALE_SUM, false) < 1) {
        if (sp_harness_now_ms () > deadline)
            assert_true (s_company_won (won, WHALE_SUM, true) >= 1);
        sp_harness_pause_ms (POLL_MS);
    }
    /* and they stay put: nothing is retried half-way */
    int64_t until = sp_harness_now_ms () + QUIET_MS;
    while (sp_harness_now_ms () < until) {
        assert_true (s_company_won (won, WHALE_SUM, true) >= 1);
        sp_harness_pause_ms (POLL_MS * 4);
    }
}

static void
test_whale_deals_beyond_int64 (void **state)
{
    (void) state;
    s_start ("funnel-tracker",
             (const char *[]){ "SP_TIME_ZONE=UTC", "SP_FUNNEL_CURRENCY=USD", NULL });
    s_publish (WHALE_EVENTS, s_whale_event, NULL);

    /* the 77 that do not fit are quarantined with the field named */
    s_wait_quarantined ("funnel-tracker", "won_amount_sum", WHALE_EVENTS - WHALE_FIT);
    assert_int_equal (s_quarantined ("funnel-tracker", "beyond int64"), WHALE_EVENTS - WHALE_FIT);
    assert_int_equal (
        sp_harness_pg_count (s_fixture.stack->pg, "SELECT count(*) FROM quarantined_events"),
        WHALE_EVENTS - WHALE_FIT);
    /* the first one refused is the 9,224th deal: nothing before it is lost */
    assert_int_equal (sp_harness_pg_count (s_fixture.stack->pg,
                                           "SELECT min(split_part(event_id, ':', 2)::int)"
                                           " FROM quarantined_events"),
                      WHALE_FIT);
    s_wait_caught_up ();
    s_assert_whale_figures ();
    assert_true (
        sp_harness_log_contains (s_fixture.log, "event quarantined after repeated apply refusals"));

    /* A rebuild hits no wall: the same figures, the same events quarantined. */
    size_t rebuilds =
        sp_harness_consumer_log_count (s_fixture.log, "rebuilding partition from the event log");
    const char *incr[] = { "INCR", "funnel-tracker:rebuild" };
    s_redis (2, incr);
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    while (sp_harness_consumer_log_count (
               s_fixture.log, "rebuilding partition from the event log") < rebuilds + PARTITIONS) {
        assert_true (sp_harness_now_ms () < deadline);
        sp_harness_pause_ms (POLL_MS);
    }
    s_wait_caught_up ();
    s_assert_whale_figures ();
    assert_int_equal (
        sp_harness_pg_count (s_fixture.stack->pg, "SELECT count(*) FROM quarantined_events"),
        WHALE_EVENTS - WHALE_FIT);
}

/* ---------------------------------------------------------------- WRONGTYPE */

#define PLANTED_EVENTS 400
#define PLANTED_CUSTOMERS 40

/* The partition of customer "customer-0" (as activity-ingest stored it). */
static int64_t
s_partition_of (const char *customer)
{
    char sql[TEXT_SIZE];
    snprintf (sql, sizeof sql, "SELECT min(partition) FROM events WHERE customer_id = '%s'",
              customer);
    return sp_harness_pg_count (s_fixture.stack->pg, sql);
}

static void
test_wrong_type_key_quarantines_its_events (void **state)
{
    (void) state;
    s_start ("counting-consumer", NULL);
    /* one event so that the partitions are built, then a string planted
       where the partition of customer-0 keeps its customer counts */
    sp_harness_consumer_series_t first = { "before", PLANTED_CUSTOMERS };
    s_publish (1, sp_harness_consumer_event, &first);
    s_wait_caught_up ();
    int64_t planted = s_partition_of ("customer-0");
    assert_true (planted >= 0 && planted < PARTITIONS);
    char customers[TEXT_SIZE], types[TEXT_SIZE];
    snprintf (customers, sizeof customers, "counting-consumer:{p%lld}:count:customer",
              (long long) planted);
    snprintf (types, sizeof types, "counting-consumer:{p%lld}:count:type", (long long) planted);
    const char *set[] = { "SET", customers, "planted" };
    s_redis (3, set);
    const char *hgetall[] = { "HGETALL", types };
    sp_redis_reply_t *before = sp_harness_redis_run (s_fixture.stack->redis, 2, hgetall);
    assert_non_null (before);

    sp_harness_consumer_series_t series = { "planted", PLANTED_CUSTOMERS };
    s_publish (PLANTED_EVENTS, sp_harness_consumer_event, &series);
    char sql[TEXT_SIZE];
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM events WHERE partition = %lld AND event_id LIKE 'planted:%%'",
              (long long) planted);
    int64_t refused = sp_harness_pg_count (s_fixture.stack->pg, sql);
    assert_true (refused > 0 && refused < PLANTED_EVENTS);
    s_wait_quarantined ("counting-consumer", "holds a string, not a hash", refused);
    s_wait_caught_up ();

    /* nothing of them written: the planted key and the partition's other hash as they were */
    assert_true (sp_harness_redis_value_is (s_fixture.stack->redis, customers, "planted"));
    sp_redis_reply_t *after = sp_harness_redis_run (s_fixture.stack->redis, 2, hgetall);
    assert_non_null (after);
    assert_int_equal (sp_redis_reply_size (after), sp_redis_reply_size (before));
    for (size_t index = 0; index < sp_redis_reply_size (after); index++)
        assert_string_equal (sp_redis_reply_string (sp_redis_reply_element (after, index), NULL),
                             sp_redis_reply_string (sp_redis_reply_element (before, index), NULL));
    sp_redis_reply_destroy (&after);
    sp_redis_reply_destroy (&before);
    /* every other partition's events applied once: their counts sum to the rest */
    int64_t applied = 0;
    for (int partition = 0; partition < PARTITIONS; partition++) {
        if (partition == planted)
            continue;
        char key[TEXT_SIZE];
        snprintf (key, sizeof key, "counting-consumer:{p%d}:count:type", partition);
        const char *hvals[] = { "HVALS", key };
        sp_redis_reply_t *values = sp_harness_redis_run (s_fixture.stack->redis, 2, hvals);
        assert_non_null (values);
        for (size_t index = 0; index < sp_redis_reply_size (values); index++)
            applied += strtoll (
                sp_redis_reply_string (sp_redis_reply_element (values, index), NULL), NULL, 10);
        sp_redis_reply_destroy (&values);
    }
    snprintf (sql, sizeof sql, "SELECT count(*) FROM events WHERE partition <> %lld",
              (long long) planted);
    assert_int_equal (applied, sp_harness_pg_count (s_fixture.stack->pg, sql));
    assert_true (sp_harness_consumer_metric (s_fixture.http_port,
                                             "salespulse_consumer_quarantined_events_total") ==
                 refused);

    /* salesctl quarantine shows why */
    char output[65536];
    int status = sp_harness_consumer_salesctl (
        s_fixture.stack->harness,
        (const char *const[]){ "quarantine", "--service", "counting-consumer", NULL }, output,
        sizeof output, TIMEOUT_MS);
    if (status == 0)
        assert_non_null (strstr (output, "holds a string, not a hash"));
    else
        print_message ("salesctl quarantine exited %d (not built?): %s\n", status, output);
}

/* ---------------------------------------------------------------- the store itself */

static sp_consumer_store_t *
s_store (void)
{
    sp_consumer_store_t *store = sp_consumer_store_new (STORE_SERVICE);
    assert_non_null (store);
    char error[ERROR_SIZE] = "";
    if (sp_consumer_store_load (store, s_fixture.stack->redis, error, sizeof error) != 0)
        fail_msg ("sp_consumer_store_load: %s", error);
    char key[TEXT_SIZE];
    snprintf (key, sizeof key, "%s:{p%d}:lease", STORE_SERVICE, STORE_PARTITION);
    s_redis (3, (const char *[]){ "SET", key, STORE_TOKEN });
    snprintf (key, sizeof key, "%s:{p%d}:checkpoint", STORE_SERVICE, STORE_PARTITION);
    s_redis (3, (const char *[]){ "SET", key, "0" });
    return store;
}

static int
s_compare_names (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Every key and value of Redis, as one text (DUMP is byte exact). */
static char *
s_snapshot (void)
{
    const char *keys[] = { "KEYS", "*" };
    sp_redis_reply_t *reply = sp_harness_redis_run (s_fixture.stack->redis, 2, keys);
    assert_non_null (reply);
    size_t count = sp_redis_reply_size (reply);
    const char **names = calloc (count + 1, sizeof *names);
    assert_non_null (names);
    for (size_t index = 0; index < count; index++)
        names[index] = sp_redis_reply_string (sp_redis_reply_element (reply, index), NULL);
    qsort (names, count, sizeof *names, s_compare_names);
    size_t size = 1, used = 0;
    char *text = calloc (1, size);
    assert_non_null (text);
    for (size_t index = 0; index < count; index++) {
        const char *dump[] = { "DUMP", names[index] };
        sp_redis_reply_t *value = sp_harness_redis_run (s_fixture.stack->redis, 2, dump);
        assert_non_null (value);
        size_t length = 0;
        const char *bytes = sp_redis_reply_string (value, &length);
        size_t name_length = strlen (names[index]);
        size += name_length + 2 * length + 2;
        char *grown = realloc (text, size);
        if (!grown)
            free (text);
        assert_non_null (grown);
        text = grown;
        memcpy (text + used, names[index], name_length);
        used += name_length;
        text[used++] = '=';
        for (size_t at = 0; at < length; at++)
            used += (size_t) snprintf (text + used, 3, "%02x", (unsigned char) bytes[at]);
        text[used++] = ';';
        text[used] = '\0';
        sp_redis_reply_destroy (&value);
    }
    free (names);
    sp_redis_reply_destroy (&reply);
    return text;
}

/* A step from checkpoint to checkpoint + 1 of the commands given
   (argc, then arguments; keys as suffixes of the store's partition). */
static sp_consumer_batch_t *
s_step (uint64_t checkpoint, const char *const *commands)
{
    sp_consumer_batch_t *batch = sp_consumer_batch_new (STORE_SERVICE);
    assert_non_null (batch);
    sp_consumer_batch_reset (batch, STORE_PARTITION, checkpoint);
    while (*commands) {
        char *end = NULL;
        long parsed = strtol (*commands++, &end, 10);
        assert_true (end && *end == '\0');
        int argc = (int) parsed;
        char key[SP_PARTITION_KEY_MAX];
        const char *argv[8];
        assert_true (argc >= 2 && argc <= 8);
        argv[0] = *commands++;
        assert_true (sp_consumer_batch_key (batch, *commands++, key, sizeof key) > 0);
        argv[1] = key;
        for (int index = 2; index < argc; index++)
            argv[index] = *commands++;
        assert_int_equal (sp_consumer_batch_command (batch, argc, argv, NULL), 0);
    }
    sp_consumer_batch_advance (batch, checkpoint + 1);
    return batch;
}

/* Applies the step; a refusal must leave every key as it was. */
static void
s_refused (sp_consumer_store_t *store, uint64_t checkpoint, const char *const *commands,
           const char *reason)
{
    sp_consumer_batch_t *batch = s_step (checkpoint, commands);
    char *before = s_snapshot ();
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_consumer_store_apply (store, s_fixture.stack->redis, batch, STORE_TOKEN,
                                               NULL, NULL, error, sizeof error),
                      SP_CONSUMER_STORE_REFUSED);
    if (!strstr (error, reason))
        fail_msg ("refused for \"%s\", not \"%s\"", error, reason);
    char *after = s_snapshot ();
    assert_string_equal (after, before);
    free (before);
    free (after);
    sp_consumer_batch_destroy (&batch);
}

static void
s_applied (sp_consumer_store_t *store, uint64_t checkpoint, const char *const *commands)
{
    sp_consumer_batch_t *batch = s_step (checkpoint, commands);
    char error[ERROR_SIZE] = "";
    sp_consumer_store_result_t result = sp_consumer_store_apply (
        store, s_fixture.stack->redis, batch, STORE_TOKEN, NULL, NULL, error, sizeof error);
    if (result != SP_CONSUMER_STORE_APPLIED)
        fail_msg ("apply: %d: %s", (int) result, error);
    sp_consumer_batch_destroy (&batch);
}

static void
test_store_refusals_write_nothing (void **state)
{
    (void) state;
    sp_consumer_store_t *store = s_store ();
    s_applied (store, 0,
               (const char *[]){ "4", "HINCRBY", "sums", "won", "9223372036854775000", "3", "SET",
                                 "text", "abc", "4", "ZADD", "amounts", "5", "a", NULL });
    /* beyond int64 only with this step's second increment: the first is not kept */
    s_refused (store, 1,
               (const char *[]){ "4", "HINCRBY", "sums", "count", "1", "4", "HINCRBY", "sums",
                                 "won", "808", NULL },
               "HINCRBY would take field \"won\" of key \"exactly-once-store:{p2}:sums\" beyond "
               "int64 (9223372036854775000 + 808)");
    s_refused (
        store, 1,
        (const char *[]){ "3", "SADD", "members", "m", "4", "HINCRBY", "text", "f", "1", NULL },
        "key \"exactly-once-store:{p2}:text\" holds a string, not a hash");
    s_refused (store, 1, (const char *[]){ "2", "INCR", "text", NULL }, "does not hold an integer");
    s_refused (
        store, 1,
        (const char *[]){ "4", "HSET", "other", "f", "x", "4", "HINCRBY", "other", "f", "1", NULL },
        "field \"f\" of key \"exactly-once-store:{p2}:other\" does not hold an integer");
    s_refused (store, 1, (const char *[]){ "3", "EXPIRE", "text", "10", NULL },
               "command \"EXPIRE\" is not one the apply checks");
    s_refused (store, 1, (const char *[]){ "4", "ZADD", "amounts", "many", "b", NULL },
               "score \"many\"");
    /* what the step's own commands do first counts: a DEL then a HINCRBY is fine */
    s_applied (store, 1,
               (const char *[]){ "2", "DEL", "text", "4", "HINCRBY", "text", "f", "1", "4",
                                 "HINCRBY", "sums", "won", "807", NULL });
    assert_true (sp_harness_redis_value_is (s_fixture.stack->redis,
                                            "exactly-once-store:{p2}:checkpoint", "2"));
    sp_consumer_store_destroy (&store);
}

static void
test_store_maxmemory_writes_nothing (void **state)
{
    (void) state;
    sp_consumer_store_t *store = s_store ();
    s_applied (store, 0, (const char *[]){ "4", "HINCRBY", "sums", "won", "1", NULL });
    s_each_server (4, (const char *[]){ "CONFIG", "SET", "maxmemory-policy", "noeviction" });
    s_each_server (4, (const char *[]){ "CONFIG", "SET", "maxmemory", "1" });
    sp_consumer_batch_t *batch = s_step (
        1, (const char *[]){ "4", "HINCRBY", "sums", "won", "1", "3", "SET", "big", "x", NULL });
    char *before = s_snapshot ();
    char error[ERROR_SIZE] = "";
    sp_consumer_store_result_t result = sp_consumer_store_apply (
        store, s_fixture.stack->redis, batch, STORE_TOKEN, NULL, NULL, error, sizeof error);
    char *after = s_snapshot ();
    s_each_server (4, (const char *[]){ "CONFIG", "SET", "maxmemory", "0" });
    assert_int_equal (result, SP_CONSUMER_STORE_FAILED);
    if (!strstr (error, "OOM"))
        fail_msg ("failed for \"%s\", not OOM", error);
    assert_string_equal (after, before);
    free (before);
    free (after);
    /* once memory is allowed, the same step applies */
    assert_int_equal (sp_consumer_store_apply (store, s_fixture.stack->redis, batch, STORE_TOKEN,
                                               NULL, NULL, error, sizeof error),
                      SP_CONSUMER_STORE_APPLIED);
    assert_true (
        sp_harness_redis_value_is (s_fixture.stack->redis, "exactly-once-store:{p2}:big", "x"));
    sp_consumer_batch_destroy (&batch);
    sp_consumer_store_destroy (&store);
}

static void
test_store_killed_script_writes_nothing (void **state)
{
    (void) state;
    sp_consumer_store_t *store = s_store ();
    sp_redis_t *apply = sp_harness_redis_connect (s_fixture.stack->harness);
    assert_non_null (apply);
    sp_consumer_batch_t *batch = sp_consumer_batch_new (STORE_SERVICE);
    assert_non_null (batch);
    sp_consumer_batch_reset (batch, STORE_PARTITION, 0);
    char key[SP_PARTITION_KEY_MAX];
    assert_true (sp_consumer_batch_key (batch, "many", key, sizeof key) > 0);
    for (int index = 0; index < KILL_COMMANDS; index++) {
        char field[32];
        snprintf (field, sizeof field, "f%d", index);
        const char *argv[] = { "HINCRBY", key, field, "1" };
        assert_int_equal (sp_consumer_batch_command (batch, 4, argv, NULL), 0);
    }
    sp_consumer_batch_advance (batch, 1);
    s_each_server (4, (const char *[]){ "CONFIG", "SET", "busy-reply-threshold", "1" });
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        sp_consumer_store_apply_send (store, apply, batch, STORE_TOKEN, error, sizeof error), 0);
    /* SCRIPT KILL until the script answers it or is over, on the server
       running it (on a cluster, the master of the partition's slot) */
    sp_redis_t *runner =
        sp_harness_consumer_stack_server_of (s_fixture.stack, "exactly-once-store:{p2}:many");
    assert_non_null (runner);
    int64_t deadline = sp_harness_now_ms () + TIMEOUT_MS;
    bool killed = false, over = false;
    while (!killed && !over && sp_harness_now_ms () < deadline) {
        char reason[ERROR_SIZE] = "";
        sp_redis_reply_t *reply = sp_redis_command (runner, 2, (const char *[]){ "SCRIPT", "KILL" },
                                                    NULL, reason, sizeof reason);
        if (reply)
            killed = true;
        else if (strstr (reason, "UNKILLABLE"))
            over = true; /* it writes: it runs to its end */
        else if (strstr (reason, "NOTBUSY")) {
            /* not started, or already over */
            const char *exists[] = { "EXISTS", "exactly-once-store:{p2}:many" };
            int64_t present = 0;
            if (sp_harness_redis_integer (s_fixture.stack->redis, 2, exists, &present) == 0 &&
                present)
                over = true;
        }
        sp_redis_reply_destroy (&reply);
    }
    sp_consumer_store_result_t result =
        sp_consumer_store_apply_receive (store, apply, NULL, NULL, error, sizeof error);
    s_each_server (4, (const char *[]){ "CONFIG", "SET", "busy-reply-threshold", "5000" });
    print_message ("script %s: %s\n", killed ? "killed" : "not killed", error);
    const char *hlen[] = { "HLEN", "exactly-once-store:{p2}:many" };
    int64_t fields = -1;
    assert_int_equal (sp_harness_redis_integer (s_fixture.stack->redis, 2, hlen, &fields), 0);
    if (result == SP_CONSUMER_STORE_APPLIED) {
        assert_int_equal (fields, KILL_COMMANDS);
        assert_true (sp_harness_redis_value_is (s_fixture.stack->redis,
                                                "exactly-once-store:{p2}:checkpoint", "1"));
    }
    else {
        assert_int_equal (result, SP_CONSUMER_STORE_FAILED);
        assert_int_equal (fields, 0);
        assert_true (sp_harness_redis_value_is (s_fixture.stack->redis,
                                                "exactly-once-store:{p2}:checkpoint", "0"));
    }
    sp_consumer_batch_destroy (&batch);
    sp_redis_destroy (&apply);
    sp_consumer_store_destroy (&store);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_store_refusals_write_nothing, s_clear, s_stop),
        cmocka_unit_test_setup_teardown (test_store_maxmemory_writes_nothing, s_clear, s_stop),
        cmocka_unit_test_setup_teardown (test_store_killed_script_writes_nothing, s_clear, s_stop),
        cmocka_unit_test_setup_teardown (test_wrong_type_key_quarantines_its_events, s_clear,
                                         s_stop),
        cmocka_unit_test_setup_teardown (test_whale_deals_beyond_int64, s_clear, s_stop),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
