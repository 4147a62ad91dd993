/*  sp_pg - the PostgreSQL seam: one connection, its prepared statements,
    transactions and results.

    This is the only file in the project that includes libpq-fe.h; every
    other part of Salespulse talks to PostgreSQL through it, so tests can
    reason about one place where database I/O happens.

    A connection is made from a libpq URL (or key=value conninfo). Connecting
    retries a bounded number of times with exponential backoff and jitter,
    logging each failed attempt once. Every session gets the caller's
    application_name and synchronous_commit=on (an acknowledged commit is on
    disk, which the ingest acknowledgement promises).

    When the connection is lost (server restart, network cut) the call that
    noticed returns an error whose result says so (connection_lost, SQLSTATE
    class 08 or the server's 57Pxx); the NEXT call reconnects and prepares
    again every statement prepared so far. A failed statement is never
    re-sent automatically: the server may have committed it before the
    connection dropped, so only the caller can decide whether it is safe.
    A transaction open when the connection was lost is gone; until the
    caller calls sp_pg_rollback, every call fails with SQLSTATE 08006, so a
    later sp_pg_commit can never report success for lost work.

    Results are objects: every call that runs SQL returns an
    sp_pg_result_t the caller destroys, carrying the rows or the error with
    its SQLSTATE, so callers tell a unique violation (23505) from a lost
    connection (08xxx). SQL values only ever travel as $n parameters.

    One sp_pg_t belongs to one thread at a time (libpq connections are not
    shared between threads).
*/
#ifndef SP_PG_H_INCLUDED
#define SP_PG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SQLSTATE codes callers test for (PostgreSQL appendix A). */
#define SP_PG_SQLSTATE_OK "00000"                 /* successful_completion */
#define SP_PG_SQLSTATE_UNIQUE_VIOLATION "23505"   /* unique_violation */
#define SP_PG_SQLSTATE_FAILED_TRANSACTION "25P02" /* in_failed_sql_transaction */
#define SP_PG_SQLSTATE_DEADLOCK_DETECTED "40P01"  /* deadlock_detected */
#define SP_PG_SQLSTATE_CANNOT_CONNECT "08001"     /* sqlclient_unable_to_establish_sqlconnection */
#define SP_PG_SQLSTATE_CONNECTION_FAILURE "08006" /* connection_failure */
#define SP_PG_SQLSTATE_OUT_OF_MEMORY "53200"      /* out_of_memory */
#define SP_PG_SQLSTATE_INTERNAL_ERROR "XX000"     /* internal_error (client side) */

/* Parameter formats for sp_pg_exec / sp_pg_exec_prepared. */
#define SP_PG_FORMAT_TEXT 0   /* value is a NUL-terminated string */
#define SP_PG_FORMAT_BINARY 1 /* value is lengths[i] bytes in PostgreSQL binary form */

/* Connection retry defaults (see sp_pg_set_retry). */
#define SP_PG_DEFAULT_ATTEMPTS 5           /* connection attempts per connect */
#define SP_PG_DEFAULT_INITIAL_DELAY_MS 100 /* wait after the first failure */
#define SP_PG_DEFAULT_MAX_DELAY_MS 5000    /* longest wait between attempts */
#define SP_PG_DEFAULT_CONNECT_TIMEOUT_S 10 /* libpq connect_timeout per attempt */

typedef struct _sp_pg_t sp_pg_t;
typedef struct _sp_pg_result_t sp_pg_result_t;

/* Creates a connection handle for a libpq URL or conninfo string; does not
   connect yet. application_name is what pg_stat_activity shows. Returns
   NULL (and logs why) if the URL cannot be parsed, or on out of memory. */
sp_pg_t *sp_pg_new (const char *url, const char *application_name);

/* Closes the connection and frees everything; no-op on NULL; sets *self_p
   to NULL. Session advisory locks are released by the server. */
void sp_pg_destroy (sp_pg_t **self_p);

/* Sets the retry policy used by every (re)connect: up to attempts tries
   (>= 1), waiting initial_delay_ms after the first failure, doubling up to
   max_delay_ms, each wait drawn uniformly in [delay/2, delay] (jitter) so
   many clients restarting together do not reconnect in lock step. */
void sp_pg_set_retry (sp_pg_t *self, int attempts, int initial_delay_ms, int max_delay_ms);

/* Sets libpq's connect_timeout for one attempt, seconds (>= 1). */
void sp_pg_set_connect_timeout (sp_pg_t *self, int seconds);

/* Connects (closing a previous connection), with the retry policy; then
   prepares every registered statement. Returns 0, or -1 after the last
   attempt failed (each failure logged once; sp_pg_error tells why). */
int sp_pg_connect (sp_pg_t *self);

/* True when a connection is open and libpq has not seen it fail. */
bool sp_pg_connected (const sp_pg_t *self);

/* Number of successful connects so far (1 after the first connect; each
   reconnect adds one). For metrics and tests. */
unsigned sp_pg_connect_count (const sp_pg_t *self);

/* The last connection error, one line; "" if none. */
const char *sp_pg_error (const sp_pg_t *self);

/* Prepares a named statement with param_count $n parameters (types are
   inferred by the server) and registers it, so it is prepared again after
   every reconnect. Preparing a registered name again with the same SQL is
   a no-op; with other SQL it is a programmer error. Returns 0, or -1 (SQL
   error, parameter count mismatch or no connection; logged). */
int sp_pg_prepare (sp_pg_t *self, const char *name, const char *sql, int param_count);

/* Runs one SQL statement with param_count $n parameters. values[i] NULL is
   SQL NULL; lengths and formats may be NULL when every value is text;
   lengths[i] matters only for binary values (formats[i] ==
   SP_PG_FORMAT_BINARY). Results come back in text form. Never returns NULL
   except when memory is exhausted; the result tells success or failure.
   SQL errors are not logged here (the caller has the context, and some,
   like a unique violation, are expected answers); a lost connection is. */
sp_pg_result_t *sp_pg_exec (sp_pg_t *self, const char *sql, int param_count,
                            const char *const *values, const int *lengths, const int *formats);

/* Runs a statement registered with sp_pg_prepare; param_count must match
   its declaration. Same result rules as sp_pg_exec. */
sp_pg_result_t *sp_pg_exec_prepared (sp_pg_t *self, const char *name, int param_count,
                                     const char *const *values, const int *lengths,
                                     const int *formats);

/* sp_pg_exec_prepared with the results in PostgreSQL's binary form: a
   bytea or text value is its bytes as stored (no hex to encode on the
   server and decode here), a bigint 8 bytes (sp_pg_result_binary_int64).
   For a hot read of large values: the consumer's event log read. */
sp_pg_result_t *sp_pg_exec_prepared_binary (sp_pg_t *self, const char *name, int param_count,
                                            const char *const *values, const int *lengths,
                                            const int *formats);

/* Runs `COPY table (columns) FROM STDIN ...` (sql, no parameters) and
   sends the size bytes at data as its input, in the format the statement
   names (text, csv or binary), then ends the copy. The result is the
   COPY's own: rows copied in sp_pg_result_affected, or the error (a
   unique violation, bad data, a lost connection) with its SQLSTATE. A
   statement that does not start a COPY FROM STDIN is refused (XX000). */
sp_pg_result_t *sp_pg_copy_in (sp_pg_t *self, const char *sql, const void *data, size_t size);

/* Runs a trusted SQL script of several statements without parameters
   (the simple query protocol); for migration files only, never for text
   containing user-supplied values. Inside an open transaction the script
   runs in it; otherwise all its statements form one implicit transaction. */
sp_pg_result_t *sp_pg_exec_script (sp_pg_t *self, const char *sql);

/* Transactions. Each returns 0, or -1 (logged). sp_pg_commit fails when
   the transaction had already failed (PostgreSQL then rolls it back) or
   the connection was lost; sp_pg_rollback always leaves no transaction
   open and returns 0 unless a connected server refused it. */
int sp_pg_begin (sp_pg_t *self);
int sp_pg_commit (sp_pg_t *self);
int sp_pg_rollback (sp_pg_t *self);

/* True between a successful sp_pg_begin and sp_pg_commit/sp_pg_rollback,
   as the server sees it (false if a script committed on its own). */
bool sp_pg_in_transaction (const sp_pg_t *self);

/* Session-level advisory locks (pg_advisory_lock): held until unlocked or
   the session ends, so a lost connection releases them. lock waits for the
   lock and returns 0; try_lock returns 1 if taken, 0 if another session
   holds it; unlock returns 0, or -1 if this session did not hold it.
   Each returns -1 on error (logged). */
int sp_pg_advisory_lock (sp_pg_t *self, int64_t key);
int sp_pg_advisory_try_lock (sp_pg_t *self, int64_t key);
int sp_pg_advisory_unlock (sp_pg_t *self, int64_t key);

/* Notifications (LISTEN/NOTIFY). A session LISTENs with a plain
   sp_pg_exec ("LISTEN channel"); a reconnect forgets it, so a listener
   watches sp_pg_connect_count and listens again (and assumes it missed
   what was sent meanwhile). */

/* One notification: its channel and payload, borrowed for the call. */
typedef void (sp_pg_notify_fn) (void *arg, const char *channel, const char *payload);

/* Reads what the server has sent, without waiting, and hands every
   notification received to fn in order. Returns how many were handed
   over, or -1 when there is no usable connection (never connected, or
   lost: the next sp_pg_exec reconnects). */
int sp_pg_notifications (sp_pg_t *self, sp_pg_notify_fn *fn, void *arg);

/* Destroys a result (PQclear); no-op on NULL; sets *self_p to NULL. */
void sp_pg_result_destroy (sp_pg_result_t **self_p);

/* True when the statement succeeded. False for NULL (out of memory). */
bool sp_pg_result_ok (const sp_pg_result_t *self);

/* Five-character SQLSTATE: "00000" on success; the server's code on SQL
   errors; 08001 when no connection could be made, 08006 when the connection
   was lost without a server code; 53200 for NULL (out of memory). */
const char *sp_pg_result_sqlstate (const sp_pg_result_t *self);

/* True when the SQLSTATE is sqlstate (e.g. SP_PG_SQLSTATE_UNIQUE_VIOLATION). */
bool sp_pg_result_is (const sp_pg_result_t *self, const char *sqlstate);

/* True when the statement failed because the connection is gone; the next
   call reconnects. */
bool sp_pg_result_connection_lost (const sp_pg_result_t *self);

/* Error message on one line (primary message, then detail if any); "" on
   success. */
const char *sp_pg_result_error (const sp_pg_result_t *self);

/* Rows and columns of a successful query (0 for commands and failures). */
int sp_pg_result_rows (const sp_pg_result_t *self);
int sp_pg_result_columns (const sp_pg_result_t *self);

/* Column number of a column name, or -1 if there is none. */
int sp_pg_result_column (const sp_pg_result_t *self, const char *name);

/* A value in text form, "" for SQL NULL (tell with is_null); row and
   column must be in range (asserted). Valid until the result is destroyed. */
const char *sp_pg_result_value (const sp_pg_result_t *self, int row, int column);
bool sp_pg_result_is_null (const sp_pg_result_t *self, int row, int column);
int sp_pg_result_length (const sp_pg_result_t *self, int row, int column);

/* Parses a value as a decimal int64 into *value; returns 0, or -1 when
   the value is NULL, empty, not a whole integer or out of range (*value is
   then untouched). */
int sp_pg_result_int64 (const sp_pg_result_t *self, int row, int column, int64_t *value);

/* Reads a bigint of a binary result (sp_pg_exec_prepared_binary) into
   *value; returns 0, or -1 when the value is NULL or not 8 bytes. */
int sp_pg_result_binary_int64 (const sp_pg_result_t *self, int row, int column, int64_t *value);

/* Decodes a bytea value; returns a malloc'd buffer the caller frees and
   its size in *size, or NULL when the value is NULL or not valid bytea
   text, or on out of memory. An empty bytea gives a 1-byte buffer, size 0. */
unsigned char *sp_pg_result_bytea (const sp_pg_result_t *self, int row, int column, size_t *size);

/* Rows a command inserted, updated, deleted, selected or copied (0 when
   the command reports none). */
int64_t sp_pg_result_affected (const sp_pg_result_t *self);

#endif
