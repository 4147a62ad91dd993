/*  test_pg - sp_pg against a real PostgreSQL server (sp_harness).

    Covers connecting and session settings, parameters (text, NULL,
    binary), binary COPY in (rows, bad data, errors), prepared statements, transactions (commit,
   rollback, a failed transaction's commit), SQLSTATEs (unique violation), advisory locks, bounded
   retries against a closed port, and reconnecting with re-prepared statements after the server
   restarts.
*/
#include "sp_harness.h"
#include "sp_log.h"
#include "sp_pg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TEST_URL_MAX 256              /* longest URL built here */
#define TEST_PATH_MAX 4096            /* longest script path */
#define TEST_NUMBER_MAX 32            /* room for a number in decimal */
#define TEST_RETRY_ATTEMPTS 3         /* attempts against the closed port */
#define TEST_RETRY_INITIAL_MS 10      /* first backoff against the closed port */
#define TEST_RETRY_MAX_MS 40          /* longest backoff against the closed port */
#define TEST_CLOSED_PORT_BUDGET_S 5.0 /* the failing connect must return within this */
#define TEST_LOCK_KEY INT64_C (4242)  /* advisory lock key used by the lock test */
#define TEST_DOUBLED_INPUT "21"       /* input of the statement that doubles */
#define TEST_DOUBLED_OUTPUT "42"      /* its answer */

static const char s_items_sql[] =
    "CREATE TABLE test_items (id integer PRIMARY KEY, name text, data bytea)";

static const char *
s_url (void **state)
{
    return sp_harness_postgres_url ((const sp_harness_t *) *state);
}

/* A connected handle with an empty test_items table. */
static sp_pg_t *
s_connect (void **state)
{
    sp_pg_t *pg = sp_pg_new (s_url (state), "test_pg");
    assert_non_null (pg);
    assert_int_equal (sp_pg_connect (pg), 0);
    sp_pg_result_t *result = sp_pg_exec (pg, "TRUNCATE test_items", 0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    sp_pg_result_destroy (&result);
    return pg;
}

static int64_t
s_count_items (sp_pg_t *pg)
{
    sp_pg_result_t *result =
        sp_pg_exec (pg, "SELECT count(*) FROM test_items", 0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    int64_t count = -1;
    assert_int_equal (sp_pg_result_int64 (result, 0, 0, &count), 0);
    sp_pg_result_destroy (&result);
    return count;
}

static sp_pg_result_t *
s_insert (sp_pg_t *pg, const char *id, const char *name)
{
    const char *values[] = { id, name };
    return sp_pg_exec (pg, "INSERT INTO test_items (id, name) VALUES ($1, $2)", 2, values, NULL,
                       NULL);
}

/* Runs deploy/local/servers.sh COMMAND DIR [ARG...]; returns its status. */
static int
s_servers (void **state, const char *command, const char *argument_1, const char *argument_2)
{
    const sp_harness_t *harness = (const sp_harness_t *) *state;
    char script[TEST_PATH_MAX];
    snprintf (script, sizeof script, "%s/deploy/local/servers.sh", sp_harness_source_dir ());
    char *argv[] = { (char *) "bash",
                     script,
                     (char *) command,
                     (char *) sp_harness_dir (harness),
                     (char *) argument_1,
                     (char *) argument_2,
                     NULL };
    pid_t pid;
    if (posix_spawnp (&pid, "bash", NULL, NULL, argv, environ) != 0)
        return -1;
    int status = 0;
    while (waitpid (pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static double
s_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

static int
s_group_setup (void **state)
{
    sp_harness_t *harness = sp_harness_new (SP_HARNESS_POSTGRES);
    if (!harness)
        return -1;
    sp_pg_t *pg = sp_pg_new (sp_harness_postgres_url (harness), "test_pg");
    int rc = -1;
    if (pg && sp_pg_connect (pg) == 0) {
        sp_pg_result_t *result = sp_pg_exec (pg, s_items_sql, 0, NULL, NULL, NULL);
        rc = sp_pg_result_ok (result) ? 0 : -1;
        sp_pg_result_destroy (&result);
    }
    sp_pg_destroy (&pg);
    if (rc != 0) {
        sp_harness_destroy (&harness);
        return -1;
    }
    *state = harness;
    return 0;
}

static int
s_group_teardown (void **state)
{
    sp_harness_t *harness = (sp_harness_t *) *state;
    sp_harness_destroy (&harness);
    assert_null (harness);
    return 0;
}

static void
test_connect_sets_session (void **state)
{
    sp_pg_t *pg = sp_pg_new (s_url (state), "test_pg_session");
    assert_non_null (pg);
    assert_false (sp_pg_connected (pg));
    assert_int_equal (sp_pg_connect_count (pg), 0);
    assert_int_equal (sp_pg_connect (pg), 0);
    assert_true (sp_pg_connected (pg));
    assert_int_equal (sp_pg_connect_count (pg), 1);
    assert_string_equal (sp_pg_error (pg), "");
    sp_pg_result_t *result =
        sp_pg_exec (pg,
                    "SELECT current_setting('application_name') AS application,"
                    " current_setting('synchronous_commit') AS sync, current_user AS who",
                    0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    assert_string_equal (sp_pg_result_sqlstate (result), SP_PG_SQLSTATE_OK);
    assert_string_equal (sp_pg_result_error (result), "");
    assert_int_equal (sp_pg_result_rows (result), 1);
    assert_int_equal (sp_pg_result_columns (result), 3);
    assert_int_equal (sp_pg_result_column (result, "sync"), 1);
    assert_int_equal (sp_pg_result_column (result, "missing"), -1);
    assert_string_equal (sp_pg_result_value (result, 0, 0), "test_pg_session");
    assert_string_equal (sp_pg_result_value (result, 0, 1), "on");
    assert_string_equal (sp_pg_result_value (result, 0, 2), "salespulse");
    sp_pg_result_destroy (&result);
    assert_null (result);
    sp_pg_result_destroy (&result); /* no-op on NULL */
    sp_pg_destroy (&pg);
    assert_null (pg);
    sp_pg_destroy (&pg); /* no-op on NULL */
}

static void
test_exec_with_parameters (void **state)
{
    sp_pg_t *pg = s_connect (state);
    /* A bytea with a NUL and a high byte, and a binary int4 in network order. */
    const unsigned char bytes[] = { 'a', 0x00, 0xff, '\\', 'z' };
    uint32_t number = htonl (41);
    const char *values[] = { "hello \"quoted\" 'world'", NULL, (const char *) bytes,
                             (const char *) &number };
    const int lengths[] = { 0, 0, (int) sizeof bytes, (int) sizeof number };
    const int formats[] = { SP_PG_FORMAT_TEXT, SP_PG_FORMAT_TEXT, SP_PG_FORMAT_BINARY,
                            SP_PG_FORMAT_BINARY };
    sp_pg_result_t *result =
        sp_pg_exec (pg, "SELECT $1::text, $2::text, $3::bytea, length($3::bytea), $4::integer + 1",
                    4, values, lengths, formats);
    assert_true (sp_pg_result_ok (result));
    assert_string_equal (sp_pg_result_value (result, 0, 0), "hello \"quoted\" 'world'");
    assert_false (sp_pg_result_is_null (result, 0, 0));
    assert_true (sp_pg_result_is_null (result, 0, 1));
    assert_string_equal (sp_pg_result_value (result, 0, 1), "");
    size_t size = 0;
    unsigned char *decoded = sp_pg_result_bytea (result, 0, 2, &size);
    assert_non_null (decoded);
    assert_int_equal (size, sizeof bytes);
    assert_memory_equal (decoded, bytes, sizeof bytes);
    free (decoded);
    assert_null (sp_pg_result_bytea (result, 0, 1, &size));
    int64_t value = 0;
    assert_int_equal (sp_pg_result_int64 (result, 0, 3, &value), 0);
    assert_int_equal (value, sizeof bytes);
    assert_int_equal (sp_pg_result_int64 (result, 0, 4, &value), 0);
    assert_int_equal (value, 42);
    assert_int_equal (sp_pg_result_length (result, 0, 4), 2);
    /* Not an integer, and NULL: -1, value untouched. */
    assert_int_equal (sp_pg_result_int64 (result, 0, 0, &value), -1);
    assert_int_equal (sp_pg_result_int64 (result, 0, 1, &value), -1);
    assert_int_equal (value, 42);
    sp_pg_result_destroy (&result);

    /* Values never become SQL: a quote is just data. */
    result = s_insert (pg, "1", "x'); DROP TABLE test_items; --");
    assert_true (sp_pg_result_ok (result));
    assert_int_equal (sp_pg_result_affected (result), 1);
    sp_pg_result_destroy (&result);
    assert_int_equal (s_count_items (pg), 1);

    const char *update_values[] = { "renamed" };
    result = sp_pg_exec (pg, "UPDATE test_items SET name = $1", 1, update_values, NULL, NULL);
    assert_int_equal (sp_pg_result_affected (result), 1);
    sp_pg_result_destroy (&result);
    sp_pg_destroy (&pg);
}

static void
test_sql_error_result (void **state)
{
    sp_pg_t *pg = s_connect (state);
    sp_pg_result_t *result = sp_pg_exec (pg, "SELECT * FROM no_such_table", 0, NULL, NULL, NULL);
    assert_false (sp_pg_result_ok (result));
    assert_string_equal (sp_pg_result_sqlstate (result), "42P01");
    assert_false (sp_pg_result_connection_lost (result));
    assert_non_null (strstr (sp_pg_result_error (result), "no_such_table"));
    assert_int_equal (sp_pg_result_rows (result), 0);
    assert_int_equal (sp_pg_result_columns (result), 0);
    assert_int_equal (sp_pg_result_affected (result), 0);
    sp_pg_result_destroy (&result);
    /* The connection is still usable. */
    assert_true (sp_pg_connected (pg));
    assert_int_equal (s_count_items (pg), 0);
    /* A NULL result (out of memory) reads as a failure. */
    assert_false (sp_pg_result_ok (NULL));
    assert_string_equal (sp_pg_result_sqlstate (NULL), SP_PG_SQLSTATE_OUT_OF_MEMORY);
    sp_pg_destroy (&pg);
}

static void
test_unique_violation (void **state)
{
    sp_pg_t *pg = s_connect (state);
    sp_pg_result_t *result = s_insert (pg, "7", "first");
    assert_true (sp_pg_result_ok (result));
    sp_pg_result_destroy (&result);
    result = s_insert (pg, "7", "second");
    assert_false (sp_pg_result_ok (result));
    assert_string_equal (sp_pg_result_sqlstate (result), SP_PG_SQLSTATE_UNIQUE_VIOLATION);
    assert_true (sp_pg_result_is (result, SP_PG_SQLSTATE_UNIQUE_VIOLATION));
    assert_false (sp_pg_result_connection_lost (result));
    assert_non_null (strstr (sp_pg_result_error (result), "duplicate key"));
    assert_non_null (strstr (sp_pg_result_error (result), "Key (id)=(7) already exists"));
    sp_pg_result_destroy (&result);
    assert_int_equal (s_count_items (pg), 1);
    sp_pg_destroy (&pg);
}

static void
test_prepared_statements (void **state)
{
    sp_pg_t *pg = s_connect (state);
    const char *sql = "INSERT INTO test_items (id, name) VALUES ($1, $2)";
    assert_int_equal (sp_pg_prepare (pg, "item_insert", sql, 2), 0);
    assert_int_equal (sp_pg_prepare (pg, "item_insert", sql, 2), 0); /* same again: no-op */
    for (int id = 1; id <= 3; id++) {
        char text[TEST_NUMBER_MAX];
        snprintf (text, sizeof text, "%d", id);
        const char *values[] = { text, "prepared" };
        sp_pg_result_t *result = sp_pg_exec_prepared (pg, "item_insert", 2, values, NULL, NULL);
        assert_true (sp_pg_result_ok (result));
        assert_int_equal (sp_pg_result_affected (result), 1);
        sp_pg_result_destroy (&result);
    }
    assert_int_equal (s_count_items (pg), 3);
    const char *values[] = { "2", "again" };
    sp_pg_result_t *result = sp_pg_exec_prepared (pg, "item_insert", 2, values, NULL, NULL);
    assert_true (sp_pg_result_is (result, SP_PG_SQLSTATE_UNIQUE_VIOLATION));
    sp_pg_result_destroy (&result);

    /* A statement the server rejects is not registered. */
    assert_int_equal (sp_pg_prepare (pg, "broken", "SELEC 1", 0), -1);
    assert_int_equal (sp_pg_prepare (pg, "broken", "SELECT 1", 0), 0);
    result = sp_pg_exec_prepared (pg, "broken", 0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    assert_string_equal (sp_pg_result_value (result, 0, 0), "1");
    sp_pg_result_destroy (&result);
    sp_pg_destroy (&pg);
}

static void
test_transactions (void **state)
{
    sp_pg_t *pg = s_connect (state);
    /* Rollback leaves nothing. */
    assert_false (sp_pg_in_transaction (pg));
    assert_int_equal (sp_pg_begin (pg), 0);
    assert_true (sp_pg_in_transaction (pg));
    sp_pg_result_t *result = s_insert (pg, "1", "rolled back");
    assert_true (sp_pg_result_ok (result));
    sp_pg_result_destroy (&result);
    result = s_insert (pg, "2", "rolled back");
    sp_pg_result_destroy (&result);
    assert_int_equal (sp_pg_rollback (pg), 0);
    assert_false (sp_pg_in_transaction (pg));
    assert_int_equal (s_count_items (pg), 0);
    assert_int_equal (sp_pg_rollback (pg), 0); /* nothing open: no-op */

    /* Commit keeps. */
    assert_int_equal (sp_pg_begin (pg), 0);
    result = s_insert (pg, "3", "committed");
    sp_pg_result_destroy (&result);
    assert_int_equal (sp_pg_commit (pg), 0);
    assert_int_equal (s_count_items (pg), 1);

    /* Committing a failed transaction is a failure and keeps nothing. */
    assert_int_equal (sp_pg_begin (pg), 0);
    result = s_insert (pg, "4", "lost");
    sp_pg_result_destroy (&result);
    result = s_insert (pg, "3", "duplicate");
    assert_true (sp_pg_result_is (result, SP_PG_SQLSTATE_UNIQUE_VIOLATION));
    sp_pg_result_destroy (&result);
    result = s_insert (pg, "5", "after the error");
    assert_true (sp_pg_result_is (result, SP_PG_SQLSTATE_FAILED_TRANSACTION));
    sp_pg_result_destroy (&result);
    assert_int_equal (sp_pg_commit (pg), -1);
    assert_false (sp_pg_in_transaction (pg));
    assert_int_equal (s_count_items (pg), 1);
    sp_pg_destroy (&pg);
}

static void
test_advisory_locks (void **state)
{
    sp_pg_t *first = s_connect (state);
    sp_pg_t *second = s_connect (state);
    assert_int_equal (sp_pg_advisory_lock (first, TEST_LOCK_KEY), 0);
    assert_int_equal (sp_pg_advisory_try_lock (second, TEST_LOCK_KEY), 0);
    assert_int_equal (sp_pg_advisory_unlock (first, TEST_LOCK_KEY), 0);
    assert_int_equal (sp_pg_advisory_try_lock (second, TEST_LOCK_KEY), 1);
    assert_int_equal (sp_pg_advisory_unlock (first, TEST_LOCK_KEY), -1); /* not held by first */
    /* Ending the session releases the lock, once the server has seen the
       disconnection (it ends the backend asynchronously): wait for it. */
    sp_pg_destroy (&second);
    int64_t deadline = sp_harness_now_ms () + 10000;
    int taken = 0;
    while ((taken = sp_pg_advisory_try_lock (first, TEST_LOCK_KEY)) == 0 &&
           sp_harness_now_ms () < deadline)
        sp_harness_pause_ms (10);
    assert_int_equal (taken, 1);
    assert_int_equal (sp_pg_advisory_unlock (first, TEST_LOCK_KEY), 0);
    sp_pg_destroy (&first);
}

/* Appends a big-endian integer of width bytes to a COPY stream. */
static size_t
s_put (uint8_t *stream, size_t at, uint64_t value, size_t width)
{
    for (size_t i = 0; i < width; i++)
        stream[at + i] = (uint8_t) (value >> (8 * (width - 1 - i)));
    return at + width;
}

static size_t
s_put_bytes (uint8_t *stream, size_t at, const void *bytes, size_t size)
{
    at = s_put (stream, at, size, 4);
    memcpy (stream + at, bytes, size);
    return at + size;
}

static const char s_copy_sql[] = "COPY test_items (id, name, data) FROM STDIN (FORMAT binary)";

static void
test_copy_in (void **state)
{
    sp_pg_t *pg = s_connect (state);
    /* PostgreSQL's binary COPY: header, rows of (field count, fields), trailer. */
    static const uint8_t header[] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n',
                                      0,   0,   0,   0,   0,   0,   0,    0,    0 };
    const uint8_t data[] = { 0x00, 0xff, '\\', 'z' };
    uint8_t stream[256];
    size_t size = sizeof header;
    memcpy (stream, header, sizeof header);
    size = s_put (stream, size, 3, 2);
    size = s_put (stream, size, 4, 4);
    size = s_put (stream, size, 1, 4);
    size = s_put_bytes (stream, size, "one", 3);
    size = s_put_bytes (stream, size, data, sizeof data);
    size = s_put (stream, size, 3, 2);
    size = s_put (stream, size, 4, 4);
    size = s_put (stream, size, 2, 4);
    size = s_put (stream, size, UINT32_MAX, 4); /* NULL */
    size = s_put (stream, size, UINT32_MAX, 4);
    size_t rows_end = size;
    size = s_put (stream, size, UINT16_MAX, 2); /* trailer -1 */

    sp_pg_result_t *result = sp_pg_copy_in (pg, s_copy_sql, stream, size);
    assert_true (sp_pg_result_ok (result));
    assert_int_equal (sp_pg_result_affected (result), 2);
    sp_pg_result_destroy (&result);
    result = sp_pg_exec (pg, "SELECT name, data, name IS NULL FROM test_items ORDER BY id", 0, NULL,
                         NULL, NULL);
    assert_int_equal (sp_pg_result_rows (result), 2);
    assert_string_equal (sp_pg_result_value (result, 0, 0), "one");
    size_t decoded_size = 0;
    unsigned char *decoded = sp_pg_result_bytea (result, 0, 1, &decoded_size);
    assert_non_null (decoded);
    assert_int_equal (decoded_size, sizeof data);
    assert_memory_equal (decoded, data, sizeof data);
    free (decoded);
    assert_true (sp_pg_result_is_null (result, 1, 0));
    assert_true (sp_pg_result_is_null (result, 1, 1));
    sp_pg_result_destroy (&result);

    /* Bad data: a stream cut inside its last row. Nothing is written and
       the connection stays usable. */
    result = sp_pg_copy_in (pg, s_copy_sql, stream, rows_end - 3);
    assert_false (sp_pg_result_ok (result));
    assert_false (sp_pg_result_connection_lost (result));
    assert_string_equal (sp_pg_result_sqlstate (result), "22P04"); /* bad_copy_file_format */
    assert_int_equal (sp_pg_result_affected (result), 0);
    sp_pg_result_destroy (&result);
    assert_int_equal (s_count_items (pg), 2);

    /* In a transaction: the same rows again violate the key; the whole copy
       and the transaction are rolled back. */
    assert_int_equal (sp_pg_begin (pg), 0);
    result = s_insert (pg, "3", "inside");
    sp_pg_result_destroy (&result);
    result = sp_pg_copy_in (pg, s_copy_sql, stream, size);
    assert_true (sp_pg_result_is (result, SP_PG_SQLSTATE_UNIQUE_VIOLATION));
    sp_pg_result_destroy (&result);
    assert_int_equal (sp_pg_commit (pg), -1);
    assert_int_equal (s_count_items (pg), 2);

    /* A statement that does not start a COPY FROM STDIN is refused. */
    result = sp_pg_copy_in (pg, "SELECT 1", stream, size);
    assert_false (sp_pg_result_ok (result));
    assert_string_equal (sp_pg_result_sqlstate (result), SP_PG_SQLSTATE_INTERNAL_ERROR);
    sp_pg_result_destroy (&result);
    result = sp_pg_copy_in (pg, "COPY test_items TO STDOUT", NULL, 0);
    assert_false (sp_pg_result_ok (result));
    assert_string_equal (sp_pg_result_sqlstate (result), SP_PG_SQLSTATE_INTERNAL_ERROR);
    sp_pg_result_destroy (&result);
    /* An SQL error before the copy starts comes back as such. */
    result = sp_pg_copy_in (pg, "COPY no_such_table FROM STDIN (FORMAT binary)", stream, size);
    assert_string_equal (sp_pg_result_sqlstate (result), "42P01");
    sp_pg_result_destroy (&result);
    assert_int_equal (s_count_items (pg), 2);
    sp_pg_destroy (&pg);
}

static void
test_invalid_url (void **state)
{
    (void) state;
    assert_null (sp_pg_new ("postgresql://127.0.0.1/db?no_such_option=1", "test_pg"));
    assert_null (sp_pg_new ("host=127.0.0.1 port", "test_pg"));
}

/* Counts the lines of text containing needle. */
static int
s_count_lines (const char *text, const char *needle)
{
    int count = 0;
    for (const char *cursor = strstr (text, needle); cursor; cursor = strstr (cursor + 1, needle))
        count++;
    return count;
}

static void
test_connect_failure_is_bounded (void **state)
{
    (void) state;
    /* A port nothing listens on: bind it, read it, close it. */
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address;
    memset (&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    assert_int_equal (bind (fd, (struct sockaddr *) &address, sizeof address), 0);
    assert_int_equal (getsockname (fd, (struct sockaddr *) &address, &length), 0);
    close (fd);
    char url[TEST_URL_MAX];
    snprintf (url, sizeof url, "postgresql://salespulse:secret@127.0.0.1:%d/salespulse",
              ntohs (address.sin_port));

    char *log_text = NULL;
    size_t log_size = 0;
    FILE *log_stream = open_memstream (&log_text, &log_size);
    assert_non_null (log_stream);
    sp_log_set_stream (log_stream);
    sp_log_set_repeat_window (0); /* every attempt's line is counted below */

    sp_pg_t *pg = sp_pg_new (url, "test_pg");
    assert_non_null (pg);
    sp_pg_set_retry (pg, TEST_RETRY_ATTEMPTS, TEST_RETRY_INITIAL_MS, TEST_RETRY_MAX_MS);
    sp_pg_set_connect_timeout (pg, 1);
    double started = s_now ();
    assert_int_equal (sp_pg_connect (pg), -1);
    assert_true (s_now () - started < TEST_CLOSED_PORT_BUDGET_S);
    assert_false (sp_pg_connected (pg));
    assert_int_equal (sp_pg_connect_count (pg), 0);
    assert_non_null (strstr (sp_pg_error (pg), "failed"));

    /* A statement without a connection tries again, then reports 08001. */
    sp_pg_result_t *result = sp_pg_exec (pg, "SELECT 1", 0, NULL, NULL, NULL);
    assert_false (sp_pg_result_ok (result));
    assert_string_equal (sp_pg_result_sqlstate (result), SP_PG_SQLSTATE_CANNOT_CONNECT);
    assert_true (sp_pg_result_connection_lost (result));
    assert_int_equal (sp_pg_result_rows (result), 0);
    sp_pg_result_destroy (&result);
    sp_pg_destroy (&pg);

    sp_log_set_stream (NULL);
    sp_log_set_repeat_window (SP_LOG_REPEAT_WINDOW_MS);
    fclose (log_stream);
    /* Each failed attempt logged once, the password never. */
    assert_int_equal (s_count_lines (log_text, "could not connect to postgresql"),
                      2 * TEST_RETRY_ATTEMPTS);
    assert_int_equal (s_count_lines (log_text, "attempt=1 "), 2);
    assert_null (strstr (log_text, "secret"));
    free (log_text);
}

static void
test_reconnect_after_restart (void **state)
{
    const sp_harness_t *harness = (const sp_harness_t *) *state;
    char port[TEST_NUMBER_MAX];
    snprintf (port, sizeof port, "%d", sp_harness_postgres_port (harness));
    sp_pg_t *pg = s_connect (state);
    sp_pg_t *transaction = s_connect (state);
    assert_int_equal (sp_pg_prepare (pg, "double", "SELECT $1::integer * 2", 1), 0);
    const char *values[] = { TEST_DOUBLED_INPUT };
    sp_pg_result_t *result = sp_pg_exec_prepared (pg, "double", 1, values, NULL, NULL);
    assert_string_equal (sp_pg_result_value (result, 0, 0), TEST_DOUBLED_OUTPUT);
    sp_pg_result_destroy (&result);
    result = sp_pg_exec (pg, "SELECT pg_backend_pid()", 0, NULL, NULL, NULL);
    char backend[TEST_NUMBER_MAX];
    snprintf (backend, sizeof backend, "%s", sp_pg_result_value (result, 0, 0));
    sp_pg_result_destroy (&result);
    /* A transaction is open on the other handle when the server goes away. */
    assert_int_equal (sp_pg_begin (transaction), 0);
    result = s_insert (transaction, "9", "in flight");
    assert_true (sp_pg_result_ok (result));
    sp_pg_result_destroy (&result);

    assert_int_equal (s_servers (state, "stop", "postgres", NULL), 0);
    assert_int_equal (s_servers (state, "start", port, "0"), 0);

    /* The call that meets the dead connection fails and says so... */
    result = sp_pg_exec_prepared (pg, "double", 1, values, NULL, NULL);
    assert_false (sp_pg_result_ok (result));
    assert_true (sp_pg_result_connection_lost (result));
    assert_false (sp_pg_connected (pg));
    sp_pg_result_destroy (&result);
    /* ...the next one reconnects and finds its statement prepared again. */
    result = sp_pg_exec_prepared (pg, "double", 1, values, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    assert_string_equal (sp_pg_result_value (result, 0, 0), TEST_DOUBLED_OUTPUT);
    sp_pg_result_destroy (&result);
    assert_int_equal (sp_pg_connect_count (pg), 2);
    result = sp_pg_exec (pg, "SELECT pg_backend_pid()", 0, NULL, NULL, NULL);
    assert_string_not_equal (sp_pg_result_value (result, 0, 0), backend);
    sp_pg_result_destroy (&result);

    /* The lost transaction is never silently continued or committed. */
    result = s_insert (transaction, "10", "after restart");
    assert_true (sp_pg_result_connection_lost (result));
    sp_pg_result_destroy (&result);
    result = s_insert (transaction, "11", "still refused");
    assert_true (sp_pg_result_connection_lost (result));
    assert_string_equal (sp_pg_result_sqlstate (result), SP_PG_SQLSTATE_CONNECTION_FAILURE);
    sp_pg_result_destroy (&result);
    assert_int_equal (sp_pg_commit (transaction), -1);
    assert_int_equal (s_count_items (transaction), 0); /* reconnected, nothing kept */
    sp_pg_destroy (&transaction);
    sp_pg_destroy (&pg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_connect_sets_session),
        cmocka_unit_test (test_exec_with_parameters),
        cmocka_unit_test (test_sql_error_result),
        cmocka_unit_test (test_unique_violation),
        cmocka_unit_test (test_prepared_statements),
        cmocka_unit_test (test_transactions),
        cmocka_unit_test (test_advisory_locks),
        cmocka_unit_test (test_copy_in),
        cmocka_unit_test (test_invalid_url),
        cmocka_unit_test (test_connect_failure_is_bounded),
        cmocka_unit_test (test_reconnect_after_restart),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
