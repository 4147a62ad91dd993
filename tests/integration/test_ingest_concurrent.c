/*  test_ingest_concurrent - activity-ingest with several writers and under
    back-pressure (issue 3 acceptance): real binaries, one database.

      - Two ingest instances (two processes, two endpoints) written to at
        once by two publishers over the same partitions, sharing half of
        their event_ids (same content) and a few ids with other content:
        every partition gap-free 1..head, each event_id once, ingested_at
        never decreasing along a partition's sequence (commit order), each
        shared id accepted by exactly one publisher (the other gets
        duplicate or conflict), every acknowledgement stored where it said.
      - RETRY_OVERLOADED when max-pending is tiny: refused requests write
        nothing; sent again, they are stored.
      - SIGTERM with a request waiting for its group commit: the stop hook
        (sp_service_on_stop) commits and answers it before the exit.
      - RETRY_UNAVAILABLE while PostgreSQL is down, nothing written; the
        same batch succeeds once it is back.
*/
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <czmq.h>

#include "sp_harness.h"
#include "sp_harness_pg.h"
#include "sp_harness_publisher.h"
#include "sp_harness_request.h"
#include "sp_proto.h"

#define TEST_PARTITIONS 16
#define TEST_SPAN 40000          /* event numbers 0..TEST_SPAN-1 */
#define TEST_PER_PUBLISHER 30000 /* each publisher skips a quarter of them */
#define TEST_SHARED 20000        /* numbers both publish */
#define TEST_CONFLICT_EVERY 1000 /* every so many shared numbers differ in content */
#define TEST_BATCH 500
#define TEST_CUSTOMERS 97
#define TEST_START_TIMEOUT_MS 60000
#define TEST_STOP_TIMEOUT_MS 30000
#define TEST_PUBLISH_TIMEOUT_MS 300000
#define TEST_REPLY_TIMEOUT_MS 60000 /* no resend expected: replies are never that late */
#define TEST_SMALL_BATCH 10         /* events per back-pressure request */
#define TEST_SMALL_REQUESTS 8       /* back-pressure requests sent at once */
#define TEST_MAX_PENDING "SP_INGEST_MAX_PENDING=10"
/* the first request waits this long */
#define TEST_COMMIT_WAIT "SP_INGEST_COMMIT_DELAY_US=1000000"
#define TEST_TEXT_SIZE 128

typedef struct {
    char endpoint[TEST_TEXT_SIZE]; /* tcp://127.0.0.1:PORT */
    char log_path[PATH_MAX];       /* its log */
    pid_t pid;                     /* 0 when not running */
} s_instance_t;

typedef struct {
    sp_harness_t *harness;
    sp_pg_t *pg;
    s_instance_t instances[3]; /* two writers; a third with tiny limits */
} s_fixture_t;

/* Which event numbers a publisher sends. */
typedef struct {
    int publisher; /* 0: skips n % 4 == 3; 1: skips n % 4 == 0, conflicts on some */
} s_series_t;

static void
s_start (s_fixture_t *fixture, s_instance_t *instance, const char *extra_1, const char *extra_2)
{
    instance->pid = sp_harness_start_ingest (fixture->harness, instance->endpoint,
                                             (const char *const[]){ extra_1, extra_2, NULL },
                                             instance->log_path, TEST_START_TIMEOUT_MS);
    assert_true (instance->pid > 0);
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness =
        sp_harness_pg_fixture ("test_ingest_concurrent", TEST_PARTITIONS, &fixture->pg);
    if (!fixture->harness)
        return -1;
    for (size_t index = 0; index < 3; index++) {
        s_instance_t *instance = &fixture->instances[index];
        if (sp_harness_free_endpoint (instance->endpoint, sizeof instance->endpoint) != 0)
            return -1;
        snprintf (instance->log_path, sizeof instance->log_path, "%s/ingest-%zu.log",
                  sp_harness_dir (fixture->harness), index);
    }
    s_start (fixture, &fixture->instances[0], NULL, NULL);
    s_start (fixture, &fixture->instances[1], NULL, NULL);
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    for (size_t index = 0; index < 3; index++)
        if (fixture->instances[index].pid > 0)
            sp_harness_stop (fixture->instances[index].pid, TEST_STOP_TIMEOUT_MS);
    sp_pg_destroy (&fixture->pg);
    sp_harness_destroy (&fixture->harness);
    free (fixture);
    return 0;
}

static int
s_clear (void **state)
{
    s_fixture_t *fixture = *state;
    return sp_harness_pg_clear_events (fixture->pg);
}

/* Event number of a publisher's index-th event. Publisher 0 sends
   numbers with n % 4 in {0, 1, 2}, publisher 1 those in {1, 2, 3}: the
   shared ones alternate with the others, so both meet them at once. */
static size_t
s_number (int publisher, size_t index)
{
    return (index / 3) * 4 + index % 3 + (publisher == 1 ? 1 : 0);
}

static bool
s_shared (size_t number)
{
    return number % 4 == 1 || number % 4 == 2;
}

static bool
s_conflicting (size_t number)
{
    return s_shared (number) && number % TEST_CONFLICT_EVERY == 1;
}

static sp_event_t *
s_make_event (size_t index, void *arg)
{
    const s_series_t *series = (const s_series_t *) arg;
    size_t number = s_number (series->publisher, index);
    char id[32], customer[32];
    snprintf (id, sizeof id, "c:%zu", number);
    /* Publisher 1's copy of a conflicting id names another customer: other
       content, most likely another partition. */
    if (series->publisher == 1 && s_conflicting (number))
        snprintf (customer, sizeof customer, "other-%zu", number);
    else
        snprintf (customer, sizeof customer, "customer-%zu", number % TEST_CUSTOMERS);
    return sp_harness_call_event (id, customer, (uint32_t) (1 + number % 600));
}

static sp_harness_publisher_t *
s_publisher (const char *endpoint, s_series_t *series, size_t count, size_t batch)
{
    sp_harness_publisher_options_t options = {
        .endpoint = endpoint,
        .count = count,
        .batch = batch,
        .timeout_ms = TEST_REPLY_TIMEOUT_MS,
        .make_event = s_make_event,
        .arg = series,
    };
    sp_ingest_client_options_init (&options.client);
    options.client.attempts = 100;
    options.client.backoff_ms = 20;
    options.client.backoff_max_ms = 200;
    sp_harness_publisher_t *publisher = sp_harness_publisher_new (&options);
    assert_non_null (publisher);
    return publisher;
}

static void
s_wait_publisher (sp_harness_publisher_t *publisher)
{
    char error[512];
    if (sp_harness_publisher_wait (publisher, TEST_PUBLISH_TIMEOUT_MS, error, sizeof error) != 0)
        fail_msg ("publisher: %s", error);
}

static void
test_two_instances_same_partitions (void **state)
{
    s_fixture_t *fixture = *state;
    s_series_t series[2] = { { 0 }, { 1 } };
    sp_harness_publisher_t *publishers[2] = {
        s_publisher (fixture->instances[0].endpoint, &series[0], TEST_PER_PUBLISHER, TEST_BATCH),
        s_publisher (fixture->instances[1].endpoint, &series[1], TEST_PER_PUBLISHER, TEST_BATCH),
    };
    for (size_t index = 0; index < 2; index++)
        s_wait_publisher (publishers[index]);

    /* Each event_id once; both instances wrote every partition. */
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events"), TEST_SPAN);
    assert_int_equal (
        sp_harness_pg_count (fixture->pg, "SELECT count(DISTINCT event_id) FROM events"),
        TEST_SPAN);
    assert_int_equal (sp_harness_pg_partition_gaps (fixture->pg), 0);
    /* Commit order: along a partition's sequence, ingested_at never goes back. */
    assert_int_equal (sp_harness_pg_count (fixture->pg,
                                           "SELECT count(*) FROM (SELECT ingested_at < lag "
                                           "(ingested_at) OVER (PARTITION BY partition ORDER BY "
                                           "sequence) AS back FROM events) AS t WHERE back"),
                      0);
    /* Every acknowledgement (accepted, duplicate or conflict) names the row
       that holds its event_id. */
    for (size_t index = 0; index < 2; index++) {
        size_t acknowledged = 0, stored = 0;
        assert_int_equal (sp_harness_publisher_stored (
                              publishers[index], sp_harness_publisher_batches (publishers[index]),
                              fixture->pg, &acknowledged, &stored),
                          0);
        assert_int_equal (acknowledged, TEST_PER_PUBLISHER);
        assert_int_equal (stored, TEST_PER_PUBLISHER);
        /* No resend, so "accepted by exactly one" below is meaningful. */
        assert_int_equal (sp_harness_publisher_resends (publishers[index]), 0);
    }
    /* Each shared id accepted by exactly one publisher; the other got
       duplicate (same content) or conflict (other content). */
    const sp_harness_ack_t *acks[2] = { sp_harness_publisher_acks (publishers[0]),
                                        sp_harness_publisher_acks (publishers[1]) };
    size_t shared = 0, conflicts = 0;
    for (size_t a = 0, b = 0; a < TEST_PER_PUBLISHER && b < TEST_PER_PUBLISHER;) {
        size_t number_a = s_number (0, a), number_b = s_number (1, b);
        if (number_a < number_b) {
            assert_int_equal (acks[0][a].outcome, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED);
            a++;
            continue;
        }
        if (number_b < number_a) {
            assert_int_equal (acks[1][b].outcome, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED);
            b++;
            continue;
        }
        Salespulse__Outcome first = acks[0][a].outcome, second = acks[1][b].outcome;
        Salespulse__Outcome loser = first == SALESPULSE__OUTCOME__OUTCOME_ACCEPTED ? second : first;
        assert_true ((first == SALESPULSE__OUTCOME__OUTCOME_ACCEPTED) !=
                     (second == SALESPULSE__OUTCOME__OUTCOME_ACCEPTED));
        if (s_conflicting (number_a)) {
            assert_int_equal (loser, SALESPULSE__OUTCOME__OUTCOME_CONFLICT);
            conflicts++;
        }
        else
            assert_int_equal (loser, SALESPULSE__OUTCOME__OUTCOME_DUPLICATE);
        /* Both name the same stored row. */
        assert_int_equal (acks[0][a].partition, acks[1][b].partition);
        assert_int_equal (acks[0][a].sequence, acks[1][b].sequence);
        shared++;
        a++;
        b++;
    }
    assert_int_equal (shared, TEST_SHARED);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM event_conflicts"),
                      conflicts);
    assert_true (conflicts > 0);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM dead_letters"), 0);
    for (size_t index = 0; index < 2; index++)
        sp_harness_publisher_destroy (&publishers[index]);
}

/* Packs a request of TEST_SMALL_BATCH events numbered from first. */
static zframe_t *
s_small_request (uint64_t request_id, size_t first, sp_event_t **events)
{
    for (size_t index = 0; index < TEST_SMALL_BATCH; index++) {
        char id[32];
        snprintf (id, sizeof id, "bp:%zu", first + index);
        events[index] = sp_harness_call_event (id, "acme", 30);
        assert_non_null (events[index]);
    }
    zframe_t *frame = sp_harness_request_frame (request_id, events, TEST_SMALL_BATCH);
    assert_non_null (frame);
    return frame;
}

static void
s_send_small (zsock_t *dealer, uint64_t request_id, size_t first)
{
    sp_event_t *events[TEST_SMALL_BATCH];
    zmsg_t *message = zmsg_new ();
    zmsg_addmem (message, NULL, 0);
    zframe_t *frame = s_small_request (request_id, first, events);
    zmsg_append (message, &frame);
    assert_int_equal (zmsg_send (&message, dealer), 0);
    for (size_t index = 0; index < TEST_SMALL_BATCH; index++)
        sp_event_destroy (&events[index]);
}

static Salespulse__IngestReply *
s_receive_small (zsock_t *dealer)
{
    zsock_set_rcvtimeo (dealer, TEST_STOP_TIMEOUT_MS);
    zmsg_t *message = zmsg_recv (dealer);
    assert_non_null (message);
    zframe_t *frame = zmsg_last (message);
    Salespulse__IngestReply *reply =
        salespulse__ingest_reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
    assert_non_null (reply);
    zmsg_destroy (&message);
    return reply;
}

static zsock_t *
s_dealer (const char *endpoint)
{
    zsock_t *dealer = sp_harness_dealer (endpoint);
    assert_non_null (dealer);
    return dealer;
}

/* The port of /metrics, from the service's log. */
static int
s_http_port (const s_instance_t *instance)
{
    int port = sp_harness_log_http_port (instance->log_path);
    assert_true (port > 0);
    return port;
}

static void
test_overloaded_then_stored (void **state)
{
    s_fixture_t *fixture = *state;
    s_instance_t *small = &fixture->instances[2];
    s_start (fixture, small, TEST_MAX_PENDING, TEST_COMMIT_WAIT);
    zsock_t *dealer = s_dealer (small->endpoint);
    /* The first request waits a second for its group commit; all others
       arrive meanwhile and find the pending batch full. */
    for (size_t index = 0; index < TEST_SMALL_REQUESTS; index++)
        s_send_small (dealer, index + 1, index * TEST_SMALL_BATCH);
    size_t ok = 0, overloaded = 0;
    uint64_t accepted_request = 0;
    for (size_t index = 0; index < TEST_SMALL_REQUESTS; index++) {
        Salespulse__IngestReply *reply = s_receive_small (dealer);
        if (reply->status == SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK) {
            ok++;
            accepted_request = reply->request_id;
            assert_int_equal (reply->n_outcomes, TEST_SMALL_BATCH);
        }
        else {
            assert_int_equal (reply->status,
                              SALESPULSE__REPLY_STATUS__REPLY_STATUS_RETRY_OVERLOADED);
            assert_int_equal (reply->n_outcomes, 0);
            assert_non_null (strstr (reply->error, "retry later"));
            overloaded++;
        }
        salespulse__ingest_reply__free_unpacked (reply, NULL);
    }
    assert_int_equal (ok, 1);
    assert_int_equal (accepted_request, 1);
    assert_int_equal (overloaded, TEST_SMALL_REQUESTS - 1);
    /* Nothing refused was written. */
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events"),
                      TEST_SMALL_BATCH);

    /* Sent again one at a time (sp_ingest_client), all are stored. */
    sp_ingest_client_t *client = sp_ingest_client_new (small->endpoint, NULL, NULL, 0);
    assert_non_null (client);
    size_t accepted = 0, duplicate = 0;
    for (size_t index = 0; index < TEST_SMALL_REQUESTS; index++) {
        sp_event_t *events[TEST_SMALL_BATCH];
        zframe_t *frame = s_small_request (0, index * TEST_SMALL_BATCH, events);
        zframe_destroy (&frame);
        Salespulse__IngestReply *reply = NULL;
        char error[256];
        assert_int_equal (sp_ingest_client_send (client, events, TEST_SMALL_BATCH,
                                                 TEST_STOP_TIMEOUT_MS, &reply, error, sizeof error),
                          SP_INGEST_CLIENT_OK);
        for (size_t event = 0; event < TEST_SMALL_BATCH; event++) {
            accepted += reply->outcomes[event]->outcome == SALESPULSE__OUTCOME__OUTCOME_ACCEPTED;
            duplicate += reply->outcomes[event]->outcome == SALESPULSE__OUTCOME__OUTCOME_DUPLICATE;
        }
        sp_proto_free ((ProtobufCMessage **) &reply);
        for (size_t event = 0; event < TEST_SMALL_BATCH; event++)
            sp_event_destroy (&events[event]);
    }
    sp_ingest_client_destroy (&client);
    assert_int_equal (duplicate, TEST_SMALL_BATCH);
    assert_int_equal (accepted, (TEST_SMALL_REQUESTS - 1) * TEST_SMALL_BATCH);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events"),
                      TEST_SMALL_REQUESTS * TEST_SMALL_BATCH);
    assert_int_equal (sp_harness_pg_partition_gaps (fixture->pg), 0);

    /* SIGTERM while a request waits for its group commit: the stop hook
       commits it and answers before the process exits. */
    int http_port = s_http_port (small);
    s_send_small (dealer, 99, 1000);
    char body[65536];
    assert_int_equal (sp_harness_wait_http (small->pid, http_port, "/metrics",
                                            "\nsalespulse_ingest_requests_in_flight 1\n", body,
                                            sizeof body, TEST_STOP_TIMEOUT_MS),
                      0);
    assert_int_equal (kill (small->pid, SIGTERM), 0);
    Salespulse__IngestReply *reply = s_receive_small (dealer);
    assert_int_equal (reply->request_id, 99);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (reply->outcomes[0]->outcome, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED);
    salespulse__ingest_reply__free_unpacked (reply, NULL);
    assert_int_equal (sp_harness_wait_exit (small->pid, TEST_STOP_TIMEOUT_MS), 0);
    small->pid = 0;
    assert_int_equal (sp_harness_pg_count (
                          fixture->pg, "SELECT count(*) FROM events WHERE event_id LIKE 'bp:100_'"),
                      TEST_SMALL_BATCH);
    zsock_destroy (&dealer);
}

static void
test_unavailable_while_postgres_down (void **state)
{
    s_fixture_t *fixture = *state;
    const s_instance_t *instance = &fixture->instances[0];
    assert_int_equal (sp_harness_postgres_stop (fixture->harness, false), 0);
    zsock_t *dealer = s_dealer (instance->endpoint);
    s_send_small (dealer, 5, 0);
    Salespulse__IngestReply *reply = s_receive_small (dealer);
    assert_int_equal (reply->request_id, 5);
    assert_int_equal (reply->status, SALESPULSE__REPLY_STATUS__REPLY_STATUS_RETRY_UNAVAILABLE);
    assert_int_equal (reply->n_outcomes, 0);
    salespulse__ingest_reply__free_unpacked (reply, NULL);
    assert_int_equal (waitpid (instance->pid, NULL, WNOHANG), 0);

    assert_int_equal (sp_harness_postgres_start (fixture->harness), 0);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events"), 0);
    sp_ingest_client_options_t options;
    sp_ingest_client_options_init (&options);
    options.backoff_ms = 20;
    options.backoff_max_ms = 200;
    sp_ingest_client_t *client = sp_ingest_client_new (instance->endpoint, &options, NULL, 0);
    assert_non_null (client);
    sp_event_t *events[TEST_SMALL_BATCH];
    zframe_t *frame = s_small_request (0, 0, events);
    zframe_destroy (&frame);
    char error[256];
    assert_int_equal (sp_ingest_client_send (client, events, TEST_SMALL_BATCH, TEST_STOP_TIMEOUT_MS,
                                             &reply, error, sizeof error),
                      SP_INGEST_CLIENT_OK);
    for (size_t index = 0; index < TEST_SMALL_BATCH; index++) {
        assert_int_equal (reply->outcomes[index]->outcome, SALESPULSE__OUTCOME__OUTCOME_ACCEPTED);
        sp_event_destroy (&events[index]);
    }
    sp_proto_free ((ProtobufCMessage **) &reply);
    sp_ingest_client_destroy (&client);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM events"),
                      TEST_SMALL_BATCH);
    assert_int_equal (sp_harness_pg_partition_gaps (fixture->pg), 0);
    zsock_destroy (&dealer);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_two_instances_same_partitions, s_clear),
        cmocka_unit_test_setup (test_overloaded_then_stored, s_clear),
        cmocka_unit_test_setup (test_unavailable_while_postgres_down, s_clear),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
