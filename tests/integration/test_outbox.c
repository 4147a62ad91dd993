/*  test_outbox - the outbox kit (sp_outbox.h, sp_outbox_follow.h) on a
    real PostgreSQL and real ZeroMQ sockets.

    The harness's PostgreSQL is migrated (0006 holds outbox_streams); the
    tests keep a stream owner's typed rows in a table of their own,
    outbox_test_messages (stream, sequence, topic, body), written with the
    claimed sequence in the claiming transaction. They check: a new
    stream starts at 1 and its head follows; a rolled-back transaction
    gives its sequence back; two connections racing (in two threads, one
    rolling back every third message) leave sequences 1..n without a gap
    or a duplicate; reading back after a sequence, page by page; a
    message published after its commit arrives as [topic, payload]; and a
    follower that sees a sequence gap (a message committed but never
    published) reads the missing one back from PostgreSQL and delivers
    every message once, in order, and finds a lost last message at its
    quiet check.

    ZeroMQ subscriptions take effect asynchronously: before counting,
    each test publishes a warm-up message until its subscriber has
    received one. No sleeps.
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <czmq.h>

#include "sp_harness.h"
#include "sp_harness_pg.h"
#include "sp_outbox.h"
#include "sp_outbox_follow.h"
#include "sp_zmq.h"

#define TEST_ERROR_SIZE 512
#define TEST_TEXT_SIZE 256
#define TEST_RACE_MESSAGES 60    /* messages each racing writer tries */
#define TEST_RACE_ROLLBACK 3     /* every third of them is rolled back */
#define TEST_RECEIVE_MS 5000     /* waiting for a message that must come */
#define TEST_WARM_UP_MS 30000    /* waiting for a subscription to take effect */
#define TEST_FOLLOW_MS 15000     /* waiting for the follower to deliver */
#define TEST_DELIVERED_MAX 64    /* messages a test follower records */
#define TEST_TOPIC "test.outbox" /* topic of every test message */

static const char s_table_sql[] =
    "CREATE TABLE outbox_test_messages (stream text NOT NULL, sequence bigint NOT NULL, "
    "topic text NOT NULL, body text NOT NULL, PRIMARY KEY (stream, sequence))";

typedef struct {
    sp_harness_t *harness; /* PostgreSQL (and Redis, unused) */
    sp_pg_t *pg;           /* the test's connection */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness = sp_harness_pg_fixture ("test_outbox", 1, &fixture->pg);
    if (!fixture->harness)
        return -1;
    sp_pg_result_t *result = sp_pg_exec (fixture->pg, s_table_sql, 0, NULL, NULL, NULL);
    bool ok = sp_pg_result_ok (result);
    if (!ok)
        fprintf (stderr, "test_outbox: %s\n", sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
    return ok ? 0 : -1;
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

/* ---------------------------------------------------------------- writing */

/* Writes one message the way a stream owner does: claim, insert the
   typed row, then commit (or roll back). Returns its sequence. */
static int64_t
s_write (sp_pg_t *pg, const char *stream, const char *body, bool commit)
{
    char error[TEST_ERROR_SIZE];
    if (sp_pg_begin (pg) != 0)
        return -1;
    int64_t sequence = 0;
    if (sp_outbox_claim (pg, stream, &sequence, error, sizeof error) != 0) {
        fprintf (stderr, "test_outbox: %s\n", error);
        sp_pg_rollback (pg);
        return -1;
    }
    char sequence_text[32];
    snprintf (sequence_text, sizeof sequence_text, "%lld", (long long) sequence);
    sp_pg_result_t *result = sp_pg_exec (
        pg,
        "INSERT INTO outbox_test_messages (stream, sequence, topic, body) VALUES ($1, $2, $3, $4)",
        4, (const char *[]){ stream, sequence_text, TEST_TOPIC, body }, NULL, NULL);
    bool ok = sp_pg_result_ok (result);
    sp_pg_result_destroy (&result);
    if (!ok || !commit) {
        sp_pg_rollback (pg);
        return ok ? sequence : -1;
    }
    return sp_pg_commit (pg) == 0 ? sequence : -1;
}

static int64_t
s_head (sp_pg_t *pg, const char *stream)
{
    char error[TEST_ERROR_SIZE];
    int64_t head = -1;
    if (sp_outbox_head (pg, stream, &head, error, sizeof error) != 0)
        fail_msg ("%s", error);
    return head;
}

/* Sequences of stream that break 1..n (a gap or a duplicate). */
static int64_t
s_breaks (sp_pg_t *pg, const char *stream)
{
    char sql[TEST_TEXT_SIZE * 2];
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM (SELECT sequence - row_number() OVER (ORDER BY sequence) AS d "
              "FROM outbox_test_messages WHERE stream = '%s') x WHERE d <> 0",
              stream);
    return sp_harness_pg_count (pg, sql);
}

/* ---------------------------------------------------------------- reading */

/* What a test page function and follower collect. */
typedef struct {
    int64_t delivered[TEST_DELIVERED_MAX]; /* sequences in the order handed over */
    size_t count;                          /* entries of delivered */
    const char *stream;                    /* the stream read back */
    int64_t received;                      /* the sequence read last from the socket */
    size_t reads;                          /* messages read from the socket */
    size_t pages;                          /* pages read back from PostgreSQL */
} s_collected_t;

static void
s_collect (s_collected_t *collected, int64_t sequence)
{
    assert_true (collected->count < TEST_DELIVERED_MAX);
    collected->delivered[collected->count++] = sequence;
}

/* sp_outbox_page_fn over outbox_test_messages. */
static int
s_page (void *arg, sp_pg_t *pg, int64_t after, size_t limit, int64_t *last, char *error,
        size_t error_size)
{
    s_collected_t *collected = (s_collected_t *) arg;
    char after_text[32], limit_text[32];
    snprintf (after_text, sizeof after_text, "%lld", (long long) after);
    snprintf (limit_text, sizeof limit_text, "%zu", limit);
    sp_pg_result_t *result =
        sp_pg_exec (pg,
                    "SELECT sequence FROM outbox_test_messages WHERE stream = $1 AND sequence > $2 "
                    "ORDER BY sequence LIMIT $3",
                    3, (const char *[]){ collected->stream, after_text, limit_text }, NULL, NULL);
    collected->pages++;
    if (!sp_pg_result_ok (result)) {
        snprintf (error, error_size, "%s", sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
        return -1;
    }
    int rows = sp_pg_result_rows (result);
    for (int row = 0; row < rows; row++) {
        int64_t sequence = 0;
        assert_int_equal (sp_pg_result_int64 (result, row, 0, &sequence), 0);
        s_collect (collected, sequence);
        *last = sequence;
    }
    sp_pg_result_destroy (&result);
    return rows;
}

/* sp_outbox_follow_handler_t read: the payload is "<sequence>:<body>". */
static int
s_read (void *arg, zmsg_t *message, int64_t *sequence, char *error, size_t error_size)
{
    s_collected_t *collected = (s_collected_t *) arg;
    collected->reads++;
    zmsg_first (message);
    char *payload = zframe_strdup (zmsg_next (message));
    char *end = NULL;
    long long value = payload ? strtoll (payload, &end, 10) : 0;
    int rc = 0;
    if (!payload || end == payload || *end != ':') {
        snprintf (error, error_size, "payload is not \"<sequence>:<body>\"");
        rc = -1;
    }
    free (payload);
    if (rc == 0)
        *sequence = collected->received = value;
    return rc;
}

static int
s_deliver (void *arg, char *error, size_t error_size)
{
    (void) error;
    (void) error_size;
    s_collected_t *collected = (s_collected_t *) arg;
    s_collect (collected, collected->received);
    return 0;
}

/* Publishes sequence of stream after its commit. */
static void
s_publish (sp_outbox_t *outbox, sp_pg_t *pg, int64_t sequence, const char *body)
{
    char payload[TEST_TEXT_SIZE], error[TEST_ERROR_SIZE];
    snprintf (payload, sizeof payload, "%lld:%s", (long long) sequence, body);
    if (sp_outbox_publish (outbox, pg, sequence, TEST_TOPIC, payload, strlen (payload), error,
                           sizeof error) != 0)
        fail_msg ("%s", error);
}

/* ---------------------------------------------------------------- tests */

static void
test_claim_and_head (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (s_head (fixture->pg, "claim"), 0);
    assert_int_equal (s_write (fixture->pg, "claim", "one", true), 1);
    assert_int_equal (s_write (fixture->pg, "claim", "two", true), 2);
    assert_int_equal (s_head (fixture->pg, "claim"), 2);
    /* another stream has its own sequence */
    assert_int_equal (s_write (fixture->pg, "claim.other", "one", true), 1);
    assert_int_equal (s_head (fixture->pg, "claim"), 2);

    char error[TEST_ERROR_SIZE];
    int64_t head = 7;
    assert_int_equal (sp_outbox_head (fixture->pg, "Bad Name", &head, error, sizeof error), -1);
    assert_int_equal (head, 7);
    assert_non_null (strstr (error, "invalid stream name \"Bad Name\""));
}

static void
test_rollback_leaves_no_gap (void **state)
{
    s_fixture_t *fixture = *state;
    assert_int_equal (s_write (fixture->pg, "rollback", "one", true), 1);
    /* claimed 2, then rolled back: 2 is given back */
    assert_int_equal (s_write (fixture->pg, "rollback", "lost", false), 2);
    assert_int_equal (s_head (fixture->pg, "rollback"), 1);
    assert_int_equal (s_write (fixture->pg, "rollback", "two", true), 2);
    /* a new stream's first claim rolled back leaves no row behind */
    assert_int_equal (s_write (fixture->pg, "rollback.new", "lost", false), 1);
    assert_int_equal (s_head (fixture->pg, "rollback.new"), 0);
    assert_int_equal (s_write (fixture->pg, "rollback.new", "one", true), 1);
    assert_int_equal (s_breaks (fixture->pg, "rollback"), 0);
}

/* One racing writer. */
typedef struct {
    const sp_harness_t *harness; /* where to connect */
    pthread_barrier_t *start;    /* both start together */
    int committed;               /* messages it committed */
    int failed;                  /* writes that failed */
} s_writer_t;

static void *
s_writer (void *arg)
{
    s_writer_t *writer = (s_writer_t *) arg;
    sp_pg_t *pg = sp_harness_pg_connect (writer->harness, "test_outbox writer", 1);
    pthread_barrier_wait (writer->start);
    for (int index = 0; pg && index < TEST_RACE_MESSAGES; index++) {
        bool commit = index % TEST_RACE_ROLLBACK != 0;
        if (s_write (pg, "race", "raced", commit) < 0)
            writer->failed++;
        else if (commit)
            writer->committed++;
    }
    if (!pg)
        writer->failed = TEST_RACE_MESSAGES;
    sp_pg_destroy (&pg);
    return NULL;
}

static void
test_concurrent_writers_gap_free (void **state)
{
    s_fixture_t *fixture = *state;
    pthread_barrier_t start;
    assert_int_equal (pthread_barrier_init (&start, NULL, 2), 0);
    s_writer_t writers[2] = { { fixture->harness, &start, 0, 0 },
                              { fixture->harness, &start, 0, 0 } };
    pthread_t threads[2];
    for (int index = 0; index < 2; index++)
        assert_int_equal (pthread_create (&threads[index], NULL, s_writer, &writers[index]), 0);
    for (int index = 0; index < 2; index++)
        assert_int_equal (pthread_join (threads[index], NULL), 0);
    pthread_barrier_destroy (&start);
    assert_int_equal (writers[0].failed + writers[1].failed, 0);
    int64_t committed = writers[0].committed + writers[1].committed;
    assert_int_equal (committed,
                      2 * (TEST_RACE_MESSAGES - TEST_RACE_MESSAGES / TEST_RACE_ROLLBACK));
    assert_int_equal (
        sp_harness_pg_count (fixture->pg,
                             "SELECT count(*) FROM outbox_test_messages WHERE stream = 'race'"),
        committed);
    assert_int_equal (s_breaks (fixture->pg, "race"), 0);
    assert_int_equal (s_head (fixture->pg, "race"), committed);
}

static void
test_read_after (void **state)
{
    s_fixture_t *fixture = *state;
    for (int index = 1; index <= 7; index++)
        assert_int_equal (s_write (fixture->pg, "read", "body", true), index);
    s_collected_t collected = { .stream = "read" };
    char error[TEST_ERROR_SIZE];
    int64_t last = 2;
    /* pages of 2: 3-4, 5-6, 7 (short: the end) */
    assert_int_equal (
        sp_outbox_read_after (fixture->pg, s_page, &collected, 2, &last, error, sizeof error), 5);
    assert_int_equal (last, 7);
    assert_int_equal (collected.count, 5);
    for (size_t index = 0; index < collected.count; index++)
        assert_int_equal (collected.delivered[index], (int64_t) index + 3);
    assert_int_equal (collected.pages, 3);
    /* nothing newer */
    assert_int_equal (
        sp_outbox_read_after (fixture->pg, s_page, &collected, 2, &last, error, sizeof error), 0);
    assert_int_equal (last, 7);
}

/* Receives one [topic, payload] message within TEST_RECEIVE_MS. */
static int
s_receive (zsock_t *subscriber, int timeout_ms, char *topic, char *payload, size_t size)
{
    zpoller_t *poller = zpoller_new (subscriber, NULL);
    assert_non_null (poller);
    void *ready = zpoller_wait (poller, timeout_ms);
    zpoller_destroy (&poller);
    if (!ready)
        return -1;
    zmsg_t *message = NULL;
    char error[TEST_ERROR_SIZE];
    assert_int_equal (sp_zmq_receive (subscriber, 2, 2, &message, error, sizeof error),
                      SP_ZMQ_RECEIVED);
    char *frame = zframe_strdup (zmsg_first (message));
    snprintf (topic, size, "%s", frame);
    free (frame);
    frame = zframe_strdup (zmsg_next (message));
    snprintf (payload, size, "%s", frame);
    free (frame);
    zmsg_destroy (&message);
    return 0;
}

static void
test_publish_after_commit (void **state)
{
    s_fixture_t *fixture = *state;
    char error[TEST_ERROR_SIZE];
    assert_null (sp_outbox_new ("Bad", "tcp://127.0.0.1:*", 0, error, sizeof error));
    assert_non_null (strstr (error, "invalid stream name \"Bad\""));
    sp_outbox_t *outbox = sp_outbox_new ("publish", "tcp://127.0.0.1:*", 0, error, sizeof error);
    assert_non_null (outbox);
    assert_string_equal (sp_outbox_stream (outbox), "publish");

    static const char *const topics[] = { TEST_TOPIC };
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_SUB);
    options.endpoints = sp_outbox_endpoint (outbox);
    options.subscriptions = topics;
    options.subscription_count = 1;
    zsock_t *subscriber = sp_zmq_socket_new (&options, error, sizeof error);
    assert_non_null (subscriber);

    /* warm-up: sequence 1, committed, published until it arrives */
    assert_int_equal (s_write (fixture->pg, "publish", "warm-up", true), 1);
    char topic[TEST_TEXT_SIZE], payload[TEST_TEXT_SIZE];
    int64_t deadline = sp_harness_now_ms () + TEST_WARM_UP_MS;
    bool arrived = false;
    while (!arrived && sp_harness_now_ms () < deadline) {
        s_publish (outbox, fixture->pg, 1, "warm-up");
        arrived = s_receive (subscriber, 100, topic, payload, sizeof topic) == 0;
    }
    assert_true (arrived);
    /* drain the other warm-ups */
    while (s_receive (subscriber, 0, topic, payload, sizeof topic) == 0)
        ;
    uint64_t published = sp_outbox_published (outbox);

    assert_int_equal (s_write (fixture->pg, "publish", "second", true), 2);
    s_publish (outbox, fixture->pg, 2, "second");
    assert_int_equal (s_receive (subscriber, TEST_RECEIVE_MS, topic, payload, sizeof topic), 0);
    assert_string_equal (topic, TEST_TOPIC);
    assert_string_equal (payload, "2:second");
    assert_int_equal (sp_outbox_published (outbox), published + 1);
    assert_int_equal (sp_outbox_send_failures (outbox), 0);

    sp_zmq_socket_destroy (&subscriber);
    sp_outbox_destroy (&outbox);
    sp_outbox_destroy (&outbox); /* no-op on NULL */
}

/* Turns the follower until its last delivered sequence is last. */
static void
s_follow_until (sp_outbox_follow_t *follower, sp_pg_t *pg, int64_t last)
{
    char error[TEST_ERROR_SIZE];
    int64_t deadline = sp_harness_now_ms () + TEST_FOLLOW_MS;
    while (sp_outbox_follow_last (follower) < last && sp_harness_now_ms () < deadline)
        if (sp_outbox_follow_turn (follower, pg, error, sizeof error) < 0)
            fail_msg ("%s", error);
    assert_int_equal (sp_outbox_follow_last (follower), last);
}

static void
test_follow_repairs_gap (void **state)
{
    s_fixture_t *fixture = *state;
    char error[TEST_ERROR_SIZE];
    sp_outbox_t *outbox = sp_outbox_new ("follow", "tcp://127.0.0.1:*", 0, error, sizeof error);
    assert_non_null (outbox);
    s_collected_t collected = { .stream = "follow" };
    sp_outbox_follow_handler_t handler = {
        .read = s_read, .deliver = s_deliver, .page = s_page, .arg = &collected
    };
    static const char *const topics[] = { TEST_TOPIC };
    sp_outbox_follow_t *follower = sp_outbox_follow_new (sp_outbox_endpoint (outbox), topics, 1,
                                                         1024, &handler, error, sizeof error);
    assert_non_null (follower);
    /* the snapshot: nothing stored yet */
    sp_outbox_follow_start (follower, s_head (fixture->pg, "follow"));
    assert_int_equal (sp_outbox_follow_last (follower), 0);

    /* warm-up: 1 is published until the follower reads it off the socket */
    assert_int_equal (s_write (fixture->pg, "follow", "one", true), 1);
    int64_t deadline = sp_harness_now_ms () + TEST_WARM_UP_MS;
    while (collected.reads == 0 && sp_harness_now_ms () < deadline) {
        s_publish (outbox, fixture->pg, 1, "one");
        assert_true (sp_outbox_follow_turn (follower, fixture->pg, error, sizeof error) >= 0);
    }
    assert_true (collected.reads > 0);
    s_follow_until (follower, fixture->pg, 1);

    /* 2 committed but never published (the gap), then 3 published */
    assert_int_equal (s_write (fixture->pg, "follow", "two", true), 2);
    assert_int_equal (s_write (fixture->pg, "follow", "three", true), 3);
    size_t pages = collected.pages;
    s_publish (outbox, fixture->pg, 3, "three");
    s_follow_until (follower, fixture->pg, 3);
    assert_true (collected.pages > pages); /* read back from PostgreSQL */

    /* a repeat of 3 is dropped */
    size_t reads = collected.reads;
    s_publish (outbox, fixture->pg, 3, "three");
    deadline = sp_harness_now_ms () + TEST_RECEIVE_MS;
    while (collected.reads == reads && sp_harness_now_ms () < deadline)
        assert_true (sp_outbox_follow_turn (follower, fixture->pg, error, sizeof error) >= 0);
    assert_int_equal (collected.reads, reads + 1);

    /* a lost last message: found at the quiet check */
    assert_int_equal (s_write (fixture->pg, "follow", "four", true), 4);
    s_follow_until (follower, fixture->pg, 4);

    /* each once, in order */
    assert_int_equal (collected.count, 4);
    for (size_t index = 0; index < collected.count; index++)
        assert_int_equal (collected.delivered[index], (int64_t) index + 1);

    sp_outbox_follow_destroy (&follower);
    sp_outbox_follow_destroy (&follower);
    sp_outbox_destroy (&outbox);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_claim_and_head),
        cmocka_unit_test (test_rollback_leaves_no_gap),
        cmocka_unit_test (test_concurrent_writers_gap_free),
        cmocka_unit_test (test_read_after),
        cmocka_unit_test (test_publish_after_commit),
        cmocka_unit_test (test_follow_repairs_gap),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
