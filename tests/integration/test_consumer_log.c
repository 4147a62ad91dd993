/*  test_consumer_log - sp_consumer_log against the harness's real
    PostgreSQL, migrated from migrations/ (0001 and 0002).

    Events are written into the events table directly, as activity-ingest
    would (packed SalesEvent payload, head row updated), so each test
    controls exactly what the log holds: catch-up reads (order, limit,
    after the head, an empty partition, the read replaced on reuse),
    partition heads, the idempotent quarantine insert, the listing (service
    filter, newest first, limit, UTC ms), and corruption reported with the
    partition and sequence (a payload that does not unpack, a gap).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_consumer_log.h"
#include "sp_harness.h"
#include "sp_harness_pg.h"
#include "sp_harness_publisher.h"
#include "sp_proto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 512    /* error buffer used by every test */
#define PARTITIONS 4      /* partitions of the test database */
#define PARTITION 1       /* partition the events go to */
#define EMPTY_PARTITION 2 /* partition left empty */
#define EVENTS 5          /* events written by the read tests */
#define LIMIT 3           /* read limit smaller than EVENTS */
/* ingested_at (UTC ms) of sequence 0; sequence s is ingested at base + s. */
#define INGESTED_AT_BASE INT64_C (1700000000000)
#define SECONDS_BASE 60 /* call duration of sequence 0 */
#define NUMBER_SIZE 24  /* an int64 in decimal */
#define ID_SIZE 32      /* an event_id built by a test */
#define SERVICE "funnel-tracker"
#define OTHER_SERVICE "kpi-evaluator"

/* ---------------------------------------------------------------- helpers */

typedef struct {
    sp_harness_t *harness; /* PostgreSQL (and Redis) servers */
    sp_pg_t *pg;           /* connection to the migrated database */
} s_fixture_t;

/* Runs sql with text parameters; fails the test if it fails. */
static void
s_exec (sp_pg_t *pg, const char *sql, int count, const char *const *values)
{
    sp_pg_result_t *result = sp_pg_exec (pg, sql, count, values, NULL, NULL);
    if (!sp_pg_result_ok (result))
        fail_msg ("%s: %s", sql, sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
}

/* Writes one row of the log with payload as given (not necessarily a
   valid event) and moves the partition's head to it. */
static void
s_insert_raw (sp_pg_t *pg, uint32_t partition, uint64_t sequence, const char *event_id,
              const uint8_t *payload, size_t size)
{
    char partition_text[NUMBER_SIZE];
    char sequence_text[NUMBER_SIZE];
    char ingested_text[NUMBER_SIZE];
    snprintf (partition_text, sizeof partition_text, "%" PRIu32, partition);
    snprintf (sequence_text, sizeof sequence_text, "%" PRIu64, sequence);
    snprintf (ingested_text, sizeof ingested_text, "%" PRId64,
              INGESTED_AT_BASE + (int64_t) sequence);
    const char *values[] = { partition_text, sequence_text, event_id, ingested_text,
                             (const char *) payload };
    const int lengths[] = { 0, 0, 0, 0, (int) size };
    const int formats[] = { SP_PG_FORMAT_TEXT, SP_PG_FORMAT_TEXT, SP_PG_FORMAT_TEXT,
                            SP_PG_FORMAT_TEXT, SP_PG_FORMAT_BINARY };
    sp_pg_result_t *result = sp_pg_exec (
        pg,
        "INSERT INTO events (partition, sequence, event_id, type, occurred_at, ingested_at, "
        "customer_id, content_hash, payload) VALUES ($1, $2, $3, 'call', 1700000000000, $4, "
        "'acme', sha256($5::bytea), $5::bytea)",
        5, values, lengths, formats);
    if (!sp_pg_result_ok (result))
        fail_msg ("insert event: %s", sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
    const char *head[] = { partition_text, sequence_text };
    s_exec (pg, "UPDATE event_partitions SET head_sequence = $2 WHERE partition = $1", 2, head);
}

/* Writes a call event "e:<sequence>" of SECONDS_BASE + sequence seconds. */
static void
s_insert (sp_pg_t *pg, uint32_t partition, uint64_t sequence)
{
    char event_id[ID_SIZE];
    snprintf (event_id, sizeof event_id, "e:%" PRIu32 ":%" PRIu64, partition, sequence);
    sp_event_t *event =
        sp_harness_call_event (event_id, "acme", (uint32_t) (SECONDS_BASE + sequence));
    assert_non_null (event);
    uint8_t *payload = NULL;
    size_t size = 0;
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_proto_pack (&event->base, SP_CONSUMER_LOG_EVENT_MAX_BYTES, &payload, &size,
                                     error, sizeof error),
                      0);
    s_insert_raw (pg, partition, sequence, event_id, payload, size);
    free (payload);
    sp_event_destroy (&event);
}

/* Asserts row is the event s_insert wrote for sequence. */
static void
s_assert_event (const sp_consumer_log_event_t *row, uint32_t partition, uint64_t sequence)
{
    char event_id[ID_SIZE];
    snprintf (event_id, sizeof event_id, "e:%" PRIu32 ":%" PRIu64, partition, sequence);
    assert_int_equal (row->partition, partition);
    assert_int_equal (row->sequence, sequence);
    assert_int_equal (row->ingested_at, INGESTED_AT_BASE + (int64_t) sequence);
    assert_string_equal (row->event_id, event_id);
    assert_non_null (row->event);
    assert_int_equal (row->event->type, SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL);
    assert_string_equal (row->event->event_id, event_id);
    assert_non_null (row->event->call);
    assert_int_equal (row->event->call->duration_seconds, SECONDS_BASE + sequence);
}

/* A quarantine row for the event s_insert would write at sequence. */
static void
s_quarantine (sp_pg_t *pg, const char *service, uint64_t sequence, int attempts,
              const char *handler_error)
{
    sp_consumer_log_event_t row = { .partition = PARTITION, .sequence = sequence };
    snprintf (row.event_id, sizeof row.event_id, "e:%d:%" PRIu64, PARTITION, sequence);
    row.event = sp_harness_call_event (row.event_id, "acme", 1);
    assert_non_null (row.event);
    char error[ERROR_SIZE] = "";
    if (sp_consumer_log_quarantine (pg, service, &row, attempts, handler_error, error,
                                    sizeof error) != 0)
        fail_msg ("sp_consumer_log_quarantine: %s", error);
    sp_event_destroy (&row.event);
}

/* ---------------------------------------------------------------- reads */

static void
test_read_in_order_with_limit (void **state)
{
    s_fixture_t *fixture = *state;
    for (uint64_t sequence = 1; sequence <= EVENTS; sequence++)
        s_insert (fixture->pg, PARTITION, sequence);
    s_insert (fixture->pg, PARTITION + 2, 1); /* another partition's event is not read */

    char error[ERROR_SIZE] = "";
    sp_consumer_log_read_t read = { NULL, 0 };
    assert_int_equal (
        sp_consumer_log_read (fixture->pg, PARTITION, 0, LIMIT, &read, error, sizeof error), 0);
    assert_int_equal (read.count, LIMIT);
    for (size_t i = 0; i < read.count; i++)
        s_assert_event (&read.events[i], PARTITION, i + 1);

    /* The same struct again: its rows are replaced, not added to. */
    assert_int_equal (
        sp_consumer_log_read (fixture->pg, PARTITION, LIMIT, LIMIT, &read, error, sizeof error), 0);
    assert_int_equal (read.count, EVENTS - LIMIT);
    for (size_t i = 0; i < read.count; i++)
        s_assert_event (&read.events[i], PARTITION, LIMIT + i + 1);

    /* After the head: nothing. */
    assert_int_equal (
        sp_consumer_log_read (fixture->pg, PARTITION, EVENTS, LIMIT, &read, error, sizeof error),
        0);
    assert_int_equal (read.count, 0);
    assert_null (read.events);
    /* An empty partition: nothing. */
    assert_int_equal (
        sp_consumer_log_read (fixture->pg, EMPTY_PARTITION, 0, LIMIT, &read, error, sizeof error),
        0);
    assert_int_equal (read.count, 0);
    /* A limit of one. */
    assert_int_equal (
        sp_consumer_log_read (fixture->pg, PARTITION, 2, 1, &read, error, sizeof error), 0);
    assert_int_equal (read.count, 1);
    s_assert_event (&read.events[0], PARTITION, 3);
    sp_consumer_log_read_clear (&read);
    assert_int_equal (read.count, 0);
    assert_null (read.events);
    sp_consumer_log_read_clear (&read); /* clearing an empty read is fine */
}

static void
test_read_reports_corruption (void **state)
{
    s_fixture_t *fixture = *state;
    s_insert (fixture->pg, PARTITION, 1);
    const uint8_t garbage[] = { 0xff, 0xff, 0xff };
    s_insert_raw (fixture->pg, PARTITION, 2, "e:bad", garbage, sizeof garbage);
    s_insert (fixture->pg, PARTITION, 3);

    char error[ERROR_SIZE] = "";
    sp_consumer_log_read_t read = { NULL, 0 };
    assert_int_equal (
        sp_consumer_log_read (fixture->pg, PARTITION, 0, LIMIT, &read, error, sizeof error), -1);
    assert_non_null (strstr (error, "event of partition 1 sequence 2 does not unpack"));
    assert_int_equal (read.count, 0);
    assert_null (read.events);
    /* Before the bad row, reads work. */
    assert_int_equal (
        sp_consumer_log_read (fixture->pg, PARTITION, 0, 1, &read, error, sizeof error), 0);
    assert_int_equal (read.count, 1);

    /* A missing sequence (the log promises none) is reported, not skipped. */
    s_insert (fixture->pg, EMPTY_PARTITION, 1);
    s_insert (fixture->pg, EMPTY_PARTITION, 3);
    assert_int_equal (
        sp_consumer_log_read (fixture->pg, EMPTY_PARTITION, 0, LIMIT, &read, error, sizeof error),
        -1);
    assert_string_equal (error,
                         "event log partition 2 is not gap-free: found sequence 3 where 2 belongs");
    assert_int_equal (read.count, 0);
}

static void
test_heads (void **state)
{
    s_fixture_t *fixture = *state;
    char error[ERROR_SIZE] = "";
    uint64_t heads[PARTITIONS + 1];
    memset (heads, 0xff, sizeof heads);
    assert_int_equal (sp_consumer_log_heads (fixture->pg, PARTITIONS, heads, error, sizeof error),
                      0);
    for (uint32_t partition = 0; partition < PARTITIONS; partition++)
        assert_int_equal (heads[partition], 0);

    for (uint64_t sequence = 1; sequence <= EVENTS; sequence++)
        s_insert (fixture->pg, PARTITION, sequence);
    s_insert (fixture->pg, PARTITIONS - 1, 1);
    assert_int_equal (sp_consumer_log_heads (fixture->pg, PARTITIONS, heads, error, sizeof error),
                      0);
    assert_int_equal (heads[0], 0);
    assert_int_equal (heads[PARTITION], EVENTS);
    assert_int_equal (heads[EMPTY_PARTITION], 0);
    assert_int_equal (heads[PARTITIONS - 1], 1);

    /* Fewer partitions: the first ones. More than the log has: refused. */
    assert_int_equal (sp_consumer_log_heads (fixture->pg, 2, heads, error, sizeof error), 0);
    assert_int_equal (heads[PARTITION], EVENTS);
    heads[PARTITIONS] = 7;
    assert_int_equal (
        sp_consumer_log_heads (fixture->pg, PARTITIONS + 1, heads, error, sizeof error), -1);
    assert_non_null (strstr (error, "the event log has 4 of the 5 partitions asked for"));
    assert_int_equal (heads[PARTITIONS], 7);
}

/* ---------------------------------------------------------------- quarantine */

static void
test_quarantine_twice_adds_attempts (void **state)
{
    s_fixture_t *fixture = *state;
    s_quarantine (fixture->pg, SERVICE, 7, 3, "no stage \"x\" in the funnel");
    s_quarantine (fixture->pg, SERVICE, 7, 2, "still broken");
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM quarantined_events"),
                      1);
    assert_int_equal (
        sp_harness_pg_count (fixture->pg,
                             "SELECT count(*) FROM quarantined_events WHERE service = "
                             "'funnel-tracker' AND partition = 1 AND sequence = 7 AND attempts = 5 "
                             "AND error = 'still broken' AND type = 'call' AND event_id = 'e:1:7' "
                             "AND quarantined_at >= first_quarantined_at"),
        1);

    sp_consumer_log_quarantined_t *rows = NULL;
    size_t count = 0;
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        sp_consumer_log_quarantined (fixture->pg, SERVICE, 10, &rows, &count, error, sizeof error),
        0);
    assert_int_equal (count, 1);
    assert_string_equal (rows[0].service, SERVICE);
    assert_int_equal (rows[0].partition, PARTITION);
    assert_int_equal (rows[0].sequence, 7);
    assert_string_equal (rows[0].event_id, "e:1:7");
    assert_string_equal (rows[0].type, "call");
    assert_int_equal (rows[0].attempts, 5);
    assert_string_equal (rows[0].error, "still broken");
    assert_true (rows[0].quarantined_at > INGESTED_AT_BASE);
    free (rows);

    /* An event that could not be unpacked is still recorded. */
    sp_consumer_log_event_t unknown = { .partition = PARTITION, .sequence = 8 };
    snprintf (unknown.event_id, sizeof unknown.event_id, "e:1:8");
    assert_int_equal (
        sp_consumer_log_quarantine (fixture->pg, SERVICE, &unknown, 1, "bad", error, sizeof error),
        0);
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM quarantined_events "
                                                        "WHERE sequence = 8 AND type = 'unknown'"),
                      1);
}

static void
test_quarantined_listing (void **state)
{
    s_fixture_t *fixture = *state;
    s_quarantine (fixture->pg, SERVICE, 1, 3, "first");
    s_quarantine (fixture->pg, SERVICE, 2, 3, "second");
    s_quarantine (fixture->pg, OTHER_SERVICE, 2, 3, "other");
    s_quarantine (fixture->pg, SERVICE, 3, 3, "third");
    /* Fixed times, so "newest first" does not depend on the clock:
       sequence 2 is the newest, then 3, then 1 (and the other service's). */
    s_exec (fixture->pg,
            "UPDATE quarantined_events SET quarantined_at = CASE "
            "WHEN service = 'kpi-evaluator' THEN to_timestamp(1700000000.000) "
            "WHEN sequence = 1 THEN to_timestamp(1700000001.000) "
            "WHEN sequence = 2 THEN to_timestamp(1700000003.123) "
            "ELSE to_timestamp(1700000002.500) END",
            0, NULL);

    sp_consumer_log_quarantined_t *rows = NULL;
    size_t count = 0;
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        sp_consumer_log_quarantined (fixture->pg, SERVICE, 10, &rows, &count, error, sizeof error),
        0);
    assert_int_equal (count, 3);
    assert_int_equal (rows[0].sequence, 2);
    assert_int_equal (rows[0].quarantined_at, INT64_C (1700000003123));
    assert_string_equal (rows[0].error, "second");
    assert_int_equal (rows[1].sequence, 3);
    assert_int_equal (rows[1].quarantined_at, INT64_C (1700000002500));
    assert_int_equal (rows[2].sequence, 1);
    assert_int_equal (rows[2].quarantined_at, INT64_C (1700000001000));
    for (size_t i = 0; i < count; i++)
        assert_string_equal (rows[i].service, SERVICE);
    free (rows);

    /* Every service; a limit. */
    assert_int_equal (
        sp_consumer_log_quarantined (fixture->pg, NULL, 10, &rows, &count, error, sizeof error), 0);
    assert_int_equal (count, 4);
    assert_string_equal (rows[3].service, OTHER_SERVICE);
    free (rows);
    assert_int_equal (
        sp_consumer_log_quarantined (fixture->pg, NULL, 2, &rows, &count, error, sizeof error), 0);
    assert_int_equal (count, 2);
    assert_int_equal (rows[0].sequence, 2);
    assert_int_equal (rows[1].sequence, 3);
    free (rows);

    /* A service with none. */
    assert_int_equal (sp_consumer_log_quarantined (fixture->pg, "churn-alerting", 10, &rows, &count,
                                                   error, sizeof error),
                      0);
    assert_int_equal (count, 0);
    assert_non_null (rows);
    free (rows);
}

static void
test_errors_when_the_database_refuses (void **state)
{
    s_fixture_t *fixture = *state;
    char error[ERROR_SIZE] = "";
    /* A handler error that is not valid UTF-8 is refused by the server:
       the failure comes back as an error and no row is written. */
    sp_consumer_log_event_t row = { .partition = PARTITION, .sequence = 9 };
    snprintf (row.event_id, sizeof row.event_id, "e:1:9");
    assert_int_equal (sp_consumer_log_quarantine (fixture->pg, SERVICE, &row, 1, "bad \xff byte",
                                                  error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "could not quarantine the event of partition 1 sequence 9"));
    assert_int_equal (sp_harness_pg_count (fixture->pg, "SELECT count(*) FROM quarantined_events"),
                      0);
}

/* ---------------------------------------------------------------- main */

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->harness = sp_harness_pg_fixture ("test_consumer_log", PARTITIONS, &fixture->pg);
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

/* Empties the log and the quarantine between tests. */
static int
s_clear (void **state)
{
    s_fixture_t *fixture = *state;
    sp_pg_result_t *result = sp_pg_exec_script (fixture->pg, "DELETE FROM quarantined_events");
    int rc = sp_pg_result_ok (result) ? 0 : -1;
    sp_pg_result_destroy (&result);
    return rc == 0 ? sp_harness_pg_clear_events (fixture->pg) : -1;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_read_in_order_with_limit, s_clear),
        cmocka_unit_test_setup (test_read_reports_corruption, s_clear),
        cmocka_unit_test_setup (test_heads, s_clear),
        cmocka_unit_test_setup (test_quarantine_twice_adds_attempts, s_clear),
        cmocka_unit_test_setup (test_quarantined_listing, s_clear),
        cmocka_unit_test_setup (test_errors_when_the_database_refuses, s_clear),
    };
    return cmocka_run_group_tests_name ("consumer_log", tests, s_setup, s_teardown);
}
