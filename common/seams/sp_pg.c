/*  sp_pg - the PostgreSQL seam (see sp_pg.h).

    Keeps one PGconn, a registry of prepared statements (name -> SQL) so a
    reconnect can prepare them again, and the transaction state needed to
    refuse work after a transaction was lost with its connection. Results
    wrap a PGresult that is cleared on every path by sp_pg_result_destroy.

    SQL errors are not logged here: the caller has the SQLSTATE and the
    context (a unique violation is an expected answer for ingest). Connection
    failures and the int-returning helpers (prepare, transactions, locks)
    log once here, because their callers only see -1.
*/
#include "sp_pg.h"
#include "sp_backoff.h"

#include "sp_log.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SP_PG_MESSAGE_MAX 512    /* longest error message kept, bytes */
#define SP_PG_TARGET_MAX 256     /* longest "user@host:port/dbname" kept */
#define SP_PG_QUOTED_MAX 1024    /* longest message quoted into a log field */
#define SP_PG_SQLSTATE_LENGTH 5  /* characters in an SQLSTATE code */
#define SP_PG_NUMBER_TEXT_MAX 32 /* room for an int64 or int in decimal */
#define SP_PG_NS_PER_MS 1000000L /* nanoseconds per millisecond */
#define SP_PG_MS_PER_S 1000      /* milliseconds per second */
#define SP_PG_REGISTRY_INITIAL 8 /* first capacity of the statement registry */
#define SP_PG_DECIMAL 10         /* base of numbers in text results */
#define SP_PG_COPY_CHUNK (1 << 20) /* bytes handed to PQputCopyData at a time */

/* One registered prepared statement. */
typedef struct {
    char *name;      /* statement name, unique per connection */
    char *sql;       /* statement text with $n parameters */
    int param_count; /* number of $n parameters */
    bool prepared;   /* prepared on the current connection */
} s_statement_t;

struct _sp_pg_t {
    char *url;                     /* libpq URL or conninfo (may hold a password: never logged) */
    char *application_name;        /* application_name of every session */
    char target[SP_PG_TARGET_MAX]; /* "user@host:port/dbname" for logs, no password */
    PGconn *conn;                  /* current connection, NULL when closed */
    int attempts;                  /* connection attempts per connect */
    int connect_timeout_s;         /* libpq connect_timeout per attempt */
    sp_backoff_t backoff;          /* delays between connection attempts */
    s_statement_t *statements;     /* registry of prepared statements */
    size_t statement_count;        /* entries used in statements */
    size_t statement_capacity;     /* entries allocated in statements */
    bool transaction_open;         /* BEGIN succeeded, no COMMIT/ROLLBACK yet */
    bool transaction_lost;         /* the connection died while transaction_open */
    unsigned connect_count;        /* successful connects so far */
    char error[SP_PG_MESSAGE_MAX]; /* last connection error, one line */
};

struct _sp_pg_result_t {
    PGresult *result;                         /* libpq result, NULL when nothing ran */
    bool ok;                                  /* the statement succeeded */
    bool connection_lost;                     /* failed because the connection is gone */
    char sqlstate[SP_PG_SQLSTATE_LENGTH + 1]; /* SQLSTATE, "00000" on success */
    char error[SP_PG_MESSAGE_MAX];            /* one-line error, "" on success */
};

/* Copies text into buffer on one line: newlines and tabs become single
   spaces, leading and trailing blanks are dropped. */
static void
s_flatten (char *buffer, size_t size, const char *text)
{
    size_t length = 0;
    bool pending_space = false;
    assert (size > 0);
    for (const char *cursor = text ? text : ""; *cursor && length + 1 < size; cursor++) {
        char c = *cursor;
        if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
            pending_space = length > 0;
            continue;
        }
        if (pending_space) {
            if (length + 2 >= size)
                break;
            buffer[length++] = ' ';
        }
        pending_space = false;
        buffer[length++] = c;
    }
    buffer[length] = '\0';
}

/* Escapes quotes and backslashes so text can sit inside a quoted log field. */
static const char *
s_quote (const char *text, char *buffer, size_t size)
{
    size_t length = 0;
    for (const char *cursor = text ? text : ""; *cursor && length + 2 < size; cursor++) {
        if (*cursor == '"' || *cursor == '\\')
            buffer[length++] = '\\';
        buffer[length++] = *cursor;
    }
    buffer[length] = '\0';
    return buffer;
}

static void
s_sleep_ms (int milliseconds)
{
    struct timespec wait = { milliseconds / SP_PG_MS_PER_S,
                             (long) (milliseconds % SP_PG_MS_PER_S) * SP_PG_NS_PER_MS };
    while (nanosleep (&wait, &wait) != 0 && errno == EINTR)
        ;
}

/* Builds "user@host:port/dbname" from the parsed URL, never the password. */
static void
s_describe_target (sp_pg_t *self, const PQconninfoOption *options)
{
    const char *host = "", *port = "", *dbname = "", *user = "";
    for (const PQconninfoOption *option = options; option->keyword; option++) {
        if (!option->val)
            continue;
        if (strcmp (option->keyword, "host") == 0)
            host = option->val;
        else if (strcmp (option->keyword, "port") == 0)
            port = option->val;
        else if (strcmp (option->keyword, "dbname") == 0)
            dbname = option->val;
        else if (strcmp (option->keyword, "user") == 0)
            user = option->val;
    }
    snprintf (self->target, sizeof self->target, "%s%s%s%s%s/%s", user, *user ? "@" : "",
              *host ? host : "default", *port ? ":" : "", port, dbname);
}

/* Routes server notices and warnings to the log instead of stderr. */
static void
s_notice_receiver (void *argument, const PGresult *result)
{
    (void) argument;
    const char *severity = PQresultErrorField (result, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *message = PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY);
    char quoted[SP_PG_QUOTED_MAX];
    sp_log_level_t level =
        (severity && strcmp (severity, "WARNING") == 0) ? SP_LOG_WARN : SP_LOG_DEBUG;
    sp_log_write (level, "postgresql notice", "severity=%s message=\"%s\"",
                  severity ? severity : "NOTICE", s_quote (message, quoted, sizeof quoted));
}

static s_statement_t *
s_statement_find (sp_pg_t *self, const char *name)
{
    for (size_t index = 0; index < self->statement_count; index++)
        if (strcmp (self->statements[index].name, name) == 0)
            return &self->statements[index];
    return NULL;
}

static void
s_mark_unprepared (sp_pg_t *self)
{
    for (size_t index = 0; index < self->statement_count; index++)
        self->statements[index].prepared = false;
}

static void
s_disconnect (sp_pg_t *self)
{
    if (self->conn) {
        PQfinish (self->conn);
        self->conn = NULL;
    }
    if (self->transaction_open)
        self->transaction_lost = true;
    s_mark_unprepared (self);
}

static sp_pg_result_t *
s_result_new (void)
{
    sp_pg_result_t *self = (sp_pg_result_t *) calloc (1, sizeof (sp_pg_result_t));
    if (self)
        memcpy (self->sqlstate, SP_PG_SQLSTATE_INTERNAL_ERROR, sizeof self->sqlstate);
    return self;
}

/* Marks a result failed without a server answer. */
static void
s_result_fail (sp_pg_result_t *result, const char *sqlstate, const char *message,
               bool connection_lost)
{
    result->ok = false;
    result->connection_lost = connection_lost;
    memcpy (result->sqlstate, sqlstate, sizeof result->sqlstate);
    s_flatten (result->error, sizeof result->error, message);
}

/* Leaves COPY mode after sp_pg_exec and friends started it (COPY goes
   through sp_pg_copy_in), since a connection left in COPY mode would
   refuse all work.
   Clears every result on the way. */
static void
s_abandon_copy (sp_pg_t *self, PGresult *copy_result)
{
    if (PQresultStatus (copy_result) == PGRES_COPY_IN)
        PQputCopyEnd (self->conn, "copy is not supported through sp_pg");
    else {
        char *row = NULL;
        while (PQgetCopyData (self->conn, &row, 0) > 0) {
            PQfreemem (row);
            row = NULL;
        }
    }
    PQclear (copy_result);
    PGresult *next;
    while ((next = PQgetResult (self->conn)) != NULL)
        PQclear (next);
}

/* Takes ownership of a libpq result (may be NULL) into result; detects a
   lost connection, logs it once and marks an open transaction lost. */
static void
s_result_take (sp_pg_t *self, sp_pg_result_t *result, PGresult *pg_result)
{
    ExecStatusType status = pg_result ? PQresultStatus (pg_result) : PGRES_FATAL_ERROR;
    bool copy = status == PGRES_COPY_IN || status == PGRES_COPY_OUT;
    if (copy) {
        s_abandon_copy (self, pg_result);
        pg_result = NULL;
    }
    result->result = pg_result;
    result->connection_lost = PQstatus (self->conn) == CONNECTION_BAD;
    result->ok =
        (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) &&
        !result->connection_lost;
    if (result->ok) {
        memcpy (result->sqlstate, SP_PG_SQLSTATE_OK, sizeof result->sqlstate);
        result->error[0] = '\0';
        return;
    }
    const char *sqlstate = pg_result ? PQresultErrorField (pg_result, PG_DIAG_SQLSTATE) : NULL;
    if (sqlstate && strlen (sqlstate) == SP_PG_SQLSTATE_LENGTH)
        memcpy (result->sqlstate, sqlstate, sizeof result->sqlstate);
    else if (result->connection_lost)
        memcpy (result->sqlstate, SP_PG_SQLSTATE_CONNECTION_FAILURE, sizeof result->sqlstate);
    else
        memcpy (result->sqlstate, SP_PG_SQLSTATE_INTERNAL_ERROR, sizeof result->sqlstate);

    const char *primary =
        pg_result ? PQresultErrorField (pg_result, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = pg_result ? PQresultErrorField (pg_result, PG_DIAG_MESSAGE_DETAIL) : NULL;
    char message[SP_PG_MESSAGE_MAX];
    if (copy)
        snprintf (message, sizeof message, "copy is not supported through sp_pg");
    else if (primary)
        snprintf (message, sizeof message, "%s%s%s", primary, detail ? ": " : "",
                  detail ? detail : "");
    else if (pg_result && *PQresultErrorMessage (pg_result))
        snprintf (message, sizeof message, "%s", PQresultErrorMessage (pg_result));
    else if (*PQerrorMessage (self->conn))
        snprintf (message, sizeof message, "%s", PQerrorMessage (self->conn));
    else
        snprintf (message, sizeof message, "no answer from the server");
    s_flatten (result->error, sizeof result->error, message);

    if (result->connection_lost) {
        char quoted[SP_PG_QUOTED_MAX];
        sp_log_warn ("lost connection to postgresql", "target=\"%s\" sqlstate=%s error=\"%s\"",
                     self->target, result->sqlstate,
                     s_quote (result->error, quoted, sizeof quoted));
        snprintf (self->error, sizeof self->error, "%s", result->error);
        if (self->transaction_open)
            self->transaction_lost = true;
        s_mark_unprepared (self);
    }
}

/* Makes sure there is a usable connection, reconnecting if it was lost.
   Returns 0, or -1 with result filled in. */
static int
s_check_usable (sp_pg_t *self, sp_pg_result_t *result)
{
    if (self->transaction_lost) {
        s_result_fail (result, SP_PG_SQLSTATE_CONNECTION_FAILURE,
                       "connection lost during the transaction: roll it back and start again",
                       true);
        return -1;
    }
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK)
        return 0;
    if (sp_pg_connect (self) == 0)
        return 0;
    s_result_fail (result, SP_PG_SQLSTATE_CANNOT_CONNECT, self->error, true);
    return -1;
}

/* Prepares one registered statement on the current connection. When
   verify is set, checks the server found param_count parameters (a
   mismatch is a programmer error). Returns 0 or -1 with result filled. */
static int
s_prepare_on_server (sp_pg_t *self, s_statement_t *statement, bool verify, sp_pg_result_t *result)
{
    s_result_take (self, result, PQprepare (self->conn, statement->name, statement->sql, 0, NULL));
    if (!result->ok)
        return -1;
    if (verify) {
        PGresult *described = PQdescribePrepared (self->conn, statement->name);
        if (PQresultStatus (described) == PGRES_COMMAND_OK)
            assert (PQnparams (described) == statement->param_count);
        PQclear (result->result);
        result->result = NULL;
        s_result_take (self, result, described);
        if (!result->ok)
            return -1;
    }
    statement->prepared = true;
    return 0;
}

/* One connection attempt; returns 0 with self->conn open, or -1 with
   self->error set. */
static int
s_connect_once (sp_pg_t *self)
{
    char timeout[SP_PG_NUMBER_TEXT_MAX];
    snprintf (timeout, sizeof timeout, "%d", self->connect_timeout_s);
    /* Order matters: later keywords override earlier ones, so the URL may
       override connect_timeout but not application_name. */
    const char *const keywords[] = { "connect_timeout", "dbname", "application_name", NULL };
    const char *const values[] = { timeout, self->url, self->application_name, NULL };
    self->conn = PQconnectdbParams (keywords, values, 1);
    if (!self->conn) {
        snprintf (self->error, sizeof self->error, "out of memory");
        return -1;
    }
    if (PQstatus (self->conn) != CONNECTION_OK) {
        s_flatten (self->error, sizeof self->error, PQerrorMessage (self->conn));
        goto out_finish;
    }
    PQsetNoticeReceiver (self->conn, s_notice_receiver, NULL);
    PGresult *result =
        PQexecParams (self->conn, "SELECT pg_catalog.set_config('synchronous_commit', 'on', false)",
                      0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus (result) != PGRES_TUPLES_OK) {
        s_flatten (self->error, sizeof self->error,
                   result ? PQresultErrorMessage (result) : PQerrorMessage (self->conn));
        PQclear (result);
        goto out_finish;
    }
    PQclear (result);
    return 0;

out_finish:
    PQfinish (self->conn);
    self->conn = NULL;
    return -1;
}

sp_pg_t *
sp_pg_new (const char *url, const char *application_name)
{
    assert (url);
    assert (application_name);
    char *parse_error = NULL;
    PQconninfoOption *options = PQconninfoParse (url, &parse_error);
    if (!options) {
        char message[SP_PG_MESSAGE_MAX], quoted[SP_PG_QUOTED_MAX];
        s_flatten (message, sizeof message, parse_error ? parse_error : "out of memory");
        sp_log_warn ("could not parse postgresql url", "error=\"%s\"",
                     s_quote (message, quoted, sizeof quoted));
        PQfreemem (parse_error);
        return NULL;
    }
    sp_pg_t *self = (sp_pg_t *) calloc (1, sizeof (sp_pg_t));
    if (!self)
        goto out_free_options;
    self->url = strdup (url);
    if (!self->url)
        goto out_free_self;
    self->application_name = strdup (application_name);
    if (!self->application_name)
        goto out_free_url;
    s_describe_target (self, options);
    PQconninfoFree (options);
    self->attempts = SP_PG_DEFAULT_ATTEMPTS;
    self->connect_timeout_s = SP_PG_DEFAULT_CONNECT_TIMEOUT_S;
    sp_backoff_init (&self->backoff, SP_PG_DEFAULT_INITIAL_DELAY_MS, SP_PG_DEFAULT_MAX_DELAY_MS);
    return self;

out_free_url:
    free (self->url);
out_free_self:
    free (self);
out_free_options:
    PQconninfoFree (options);
    return NULL;
}

void
sp_pg_destroy (sp_pg_t **self_p)
{
    assert (self_p);
    sp_pg_t *self = *self_p;
    if (!self)
        return;
    if (self->conn)
        PQfinish (self->conn);
    for (size_t index = 0; index < self->statement_count; index++) {
        free (self->statements[index].name);
        free (self->statements[index].sql);
    }
    free (self->statements);
    free (self->application_name);
    free (self->url);
    free (self);
    *self_p = NULL;
}

void
sp_pg_set_retry (sp_pg_t *self, int attempts, int initial_delay_ms, int max_delay_ms)
{
    assert (self);
    assert (attempts >= 1);
    assert (initial_delay_ms >= 0 && max_delay_ms >= initial_delay_ms);
    self->attempts = attempts;
    sp_backoff_init (&self->backoff, initial_delay_ms, max_delay_ms);
}

void
sp_pg_set_connect_timeout (sp_pg_t *self, int seconds)
{
    assert (self);
    assert (seconds >= 1);
    self->connect_timeout_s = seconds;
}

int
sp_pg_connect (sp_pg_t *self)
{
    assert (self);
    s_disconnect (self);
    for (int attempt = 1; attempt <= self->attempts; attempt++) {
        if (s_connect_once (self) == 0)
            goto out_connected;
        char quoted[SP_PG_QUOTED_MAX];
        sp_log_warn ("could not connect to postgresql",
                     "target=\"%s\" attempt=%d attempts=%d error=\"%s\"", self->target, attempt,
                     self->attempts, s_quote (self->error, quoted, sizeof quoted));
        if (attempt == self->attempts)
            break;
        s_sleep_ms ((int) sp_backoff_delay_ms (&self->backoff, attempt - 1));
    }
    return -1;

out_connected:
    self->connect_count++;
    self->error[0] = '\0';
    if (self->connect_count > 1)
        sp_log_info ("connected to postgresql", "target=\"%s\" connects=%u statements=%zu",
                     self->target, self->connect_count, self->statement_count);
    for (size_t index = 0; index < self->statement_count; index++) {
        s_statement_t *statement = &self->statements[index];
        sp_pg_result_t *result = s_result_new ();
        if (!result)
            break;
        if (s_prepare_on_server (self, statement, false, result) != 0) {
            char quoted[SP_PG_QUOTED_MAX];
            sp_log_warn ("could not prepare statement again after connecting",
                         "target=\"%s\" statement=\"%s\" sqlstate=%s error=\"%s\"", self->target,
                         statement->name, result->sqlstate,
                         s_quote (result->error, quoted, sizeof quoted));
        }
        sp_pg_result_destroy (&result);
    }
    return 0;
}

bool
sp_pg_connected (const sp_pg_t *self)
{
    assert (self);
    return self->conn && PQstatus (self->conn) == CONNECTION_OK;
}

unsigned
sp_pg_connect_count (const sp_pg_t *self)
{
    assert (self);
    return self->connect_count;
}

const char *
sp_pg_error (const sp_pg_t *self)
{
    assert (self);
    return self->error;
}

int
sp_pg_prepare (sp_pg_t *self, const char *name, const char *sql, int param_count)
{
    assert (self);
    assert (name && *name);
    assert (sql);
    assert (param_count >= 0);
    s_statement_t *existing = s_statement_find (self, name);
    if (existing) {
        assert (strcmp (existing->sql, sql) == 0 && existing->param_count == param_count);
        return 0;
    }
    if (self->statement_count == self->statement_capacity) {
        size_t capacity =
            self->statement_capacity ? self->statement_capacity * 2 : SP_PG_REGISTRY_INITIAL;
        s_statement_t *grown =
            (s_statement_t *) realloc (self->statements, capacity * sizeof (s_statement_t));
        if (!grown)
            return -1;
        self->statements = grown;
        self->statement_capacity = capacity;
    }
    int rc = -1;
    s_statement_t *statement = &self->statements[self->statement_count];
    statement->name = strdup (name);
    statement->sql = strdup (sql);
    statement->param_count = param_count;
    statement->prepared = false;
    sp_pg_result_t *result = s_result_new ();
    if (!statement->name || !statement->sql || !result)
        goto out_free_statement;
    if (s_check_usable (self, result) != 0 ||
        s_prepare_on_server (self, statement, true, result) != 0) {
        char quoted[SP_PG_QUOTED_MAX];
        sp_log_warn ("could not prepare statement",
                     "target=\"%s\" statement=\"%s\" sqlstate=%s error=\"%s\"", self->target, name,
                     result->sqlstate, s_quote (result->error, quoted, sizeof quoted));
        goto out_free_statement;
    }
    self->statement_count++;
    rc = 0;
    goto out_destroy_result;

out_free_statement:
    free (statement->name);
    free (statement->sql);
out_destroy_result:
    sp_pg_result_destroy (&result);
    return rc;
}

sp_pg_result_t *
sp_pg_exec (sp_pg_t *self, const char *sql, int param_count, const char *const *values,
            const int *lengths, const int *formats)
{
    assert (self);
    assert (sql);
    assert (param_count >= 0);
    assert (param_count == 0 || values);
    sp_pg_result_t *result = s_result_new ();
    if (!result || s_check_usable (self, result) != 0)
        return result;
    s_result_take (self, result,
                   PQexecParams (self->conn, sql, param_count, NULL, values, lengths, formats,
                                 SP_PG_FORMAT_TEXT));
    return result;
}

/* sp_pg_exec_prepared with results in result_format. */
static sp_pg_result_t *
s_exec_prepared (sp_pg_t *self, const char *name, int param_count, const char *const *values,
                 const int *lengths, const int *formats, int result_format)
{
    assert (self);
    assert (name);
    assert (param_count == 0 || values);
    s_statement_t *statement = s_statement_find (self, name);
    assert (statement);
    assert (statement->param_count == param_count);
    sp_pg_result_t *result = s_result_new ();
    if (!result || s_check_usable (self, result) != 0)
        return result;
    if (!statement->prepared && s_prepare_on_server (self, statement, false, result) != 0)
        return result;
    PQclear (result->result);
    result->result = NULL;
    s_result_take (self, result,
                   PQexecPrepared (self->conn, name, param_count, values, lengths, formats,
                                   result_format));
    return result;
}

sp_pg_result_t *
sp_pg_exec_prepared (sp_pg_t *self, const char *name, int param_count, const char *const *values,
                     const int *lengths, const int *formats)
{
    return s_exec_prepared (self, name, param_count, values, lengths, formats, SP_PG_FORMAT_TEXT);
}

sp_pg_result_t *
sp_pg_exec_prepared_binary (sp_pg_t *self, const char *name, int param_count,
                            const char *const *values, const int *lengths, const int *formats)
{
    return s_exec_prepared (self, name, param_count, values, lengths, formats,
                            SP_PG_FORMAT_BINARY);
}

sp_pg_result_t *
sp_pg_copy_in (sp_pg_t *self, const char *sql, const void *data, size_t size)
{
    assert (self);
    assert (sql);
    assert (data || size == 0);
    sp_pg_result_t *result = s_result_new ();
    if (!result || s_check_usable (self, result) != 0)
        return result;
    PGresult *started = PQexec (self->conn, sql);
    if (PQresultStatus (started) != PGRES_COPY_IN) {
        bool copy_out = PQresultStatus (started) == PGRES_COPY_OUT;
        s_result_take (self, result, started);
        if (copy_out || result->ok) {
            PQclear (result->result);
            result->result = NULL;
            s_result_fail (result, SP_PG_SQLSTATE_INTERNAL_ERROR,
                           "statement did not start a copy from stdin", false);
        }
        return result;
    }
    PQclear (started);
    const char *bytes = (const char *) data;
    const char *failure = NULL;
    for (size_t sent = 0; sent < size && !failure;) {
        size_t chunk = size - sent < SP_PG_COPY_CHUNK ? size - sent : SP_PG_COPY_CHUNK;
        if (PQputCopyData (self->conn, bytes + sent, (int) chunk) != 1)
            failure = "could not send copy data";
        sent += chunk;
    }
    PQputCopyEnd (self->conn, failure);
    PGresult *finished = PQgetResult (self->conn);
    PGresult *extra;
    while (finished && (extra = PQgetResult (self->conn)) != NULL)
        PQclear (extra);
    s_result_take (self, result, finished);
    return result;
}

sp_pg_result_t *
sp_pg_exec_script (sp_pg_t *self, const char *sql)
{
    assert (self);
    assert (sql);
    sp_pg_result_t *result = s_result_new ();
    if (!result || s_check_usable (self, result) != 0)
        return result;
    s_result_take (self, result, PQexec (self->conn, sql));
    return result;
}

/* Runs a fixed command (BEGIN, COMMIT, ROLLBACK) and logs a failure. */
static sp_pg_result_t *
s_command (sp_pg_t *self, const char *command)
{
    sp_pg_result_t *result = sp_pg_exec (self, command, 0, NULL, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        char quoted[SP_PG_QUOTED_MAX];
        sp_log_warn ("could not run transaction command",
                     "target=\"%s\" command=%s sqlstate=%s error=\"%s\"", self->target, command,
                     sp_pg_result_sqlstate (result),
                     s_quote (sp_pg_result_error (result), quoted, sizeof quoted));
    }
    return result;
}

int
sp_pg_begin (sp_pg_t *self)
{
    assert (self);
    assert (!self->transaction_open);
    sp_pg_result_t *result = s_command (self, "BEGIN");
    int rc = sp_pg_result_ok (result) ? 0 : -1;
    self->transaction_open = rc == 0;
    sp_pg_result_destroy (&result);
    return rc;
}

int
sp_pg_commit (sp_pg_t *self)
{
    assert (self);
    assert (self->transaction_open);
    int rc = -1;
    sp_pg_result_t *result = NULL;
    if (self->transaction_lost) {
        sp_log_warn ("could not commit: the connection was lost during the transaction",
                     "target=\"%s\"", self->target);
        goto out_end_transaction;
    }
    result = s_command (self, "COMMIT");
    if (sp_pg_result_ok (result)) {
        /* COMMIT of a failed transaction succeeds as a ROLLBACK. */
        if (strcmp (PQcmdStatus (result->result), "COMMIT") == 0)
            rc = 0;
        else
            sp_log_warn ("could not commit: the transaction had failed and was rolled back",
                         "target=\"%s\"", self->target);
    }
    else if (sp_pg_result_connection_lost (result))
        sp_log_warn ("commit outcome unknown: the connection was lost", "target=\"%s\"",
                     self->target);

out_end_transaction:
    sp_pg_result_destroy (&result);
    self->transaction_open = false;
    self->transaction_lost = false;
    return rc;
}

int
sp_pg_rollback (sp_pg_t *self)
{
    assert (self);
    int rc = 0;
    if (!self->transaction_open)
        return 0;
    /* A lost session rolled its transaction back on the server; a script
       may have ended the transaction itself. */
    if (!self->transaction_lost && sp_pg_connected (self) && sp_pg_in_transaction (self)) {
        sp_pg_result_t *result = s_command (self, "ROLLBACK");
        if (!sp_pg_result_ok (result) && !sp_pg_result_connection_lost (result))
            rc = -1;
        sp_pg_result_destroy (&result);
    }
    self->transaction_open = false;
    self->transaction_lost = false;
    return rc;
}

bool
sp_pg_in_transaction (const sp_pg_t *self)
{
    assert (self);
    if (!self->conn)
        return false;
    PGTransactionStatusType status = PQtransactionStatus (self->conn);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

/* Runs one advisory-lock function on key; returns its boolean answer
   (1/0), 1 for functions returning void, or -1 on error. */
static int
s_advisory (sp_pg_t *self, const char *sql, int64_t key)
{
    char text[SP_PG_NUMBER_TEXT_MAX];
    snprintf (text, sizeof text, "%" PRId64, key);
    const char *values[] = { text };
    sp_pg_result_t *result = sp_pg_exec (self, sql, 1, values, NULL, NULL);
    int rc = -1;
    if (!sp_pg_result_ok (result) || sp_pg_result_rows (result) != 1) {
        char quoted[SP_PG_QUOTED_MAX];
        sp_log_warn ("could not use advisory lock",
                     "target=\"%s\" key=%" PRId64 " sqlstate=%s error=\"%s\"", self->target, key,
                     sp_pg_result_sqlstate (result),
                     s_quote (sp_pg_result_error (result), quoted, sizeof quoted));
        goto out_destroy_result;
    }
    const char *answer = sp_pg_result_value (result, 0, 0);
    rc = strcmp (answer, "f") == 0 ? 0 : 1;

out_destroy_result:
    sp_pg_result_destroy (&result);
    return rc;
}

int
sp_pg_advisory_lock (sp_pg_t *self, int64_t key)
{
    assert (self);
    return s_advisory (self, "SELECT pg_catalog.pg_advisory_lock($1::bigint)", key) < 0 ? -1 : 0;
}

int
sp_pg_advisory_try_lock (sp_pg_t *self, int64_t key)
{
    assert (self);
    return s_advisory (self, "SELECT pg_catalog.pg_try_advisory_lock($1::bigint)", key);
}

int
sp_pg_advisory_unlock (sp_pg_t *self, int64_t key)
{
    assert (self);
    /* Unlocking a lock not held answers false; the server's warning about
       it reaches the log through the notice receiver. */
    return s_advisory (self, "SELECT pg_catalog.pg_advisory_unlock($1::bigint)", key) == 1 ? 0 : -1;
}

int
sp_pg_notifications (sp_pg_t *self, sp_pg_notify_fn *fn, void *arg)
{
    assert (self && fn);
    if (!self->conn || PQstatus (self->conn) != CONNECTION_OK)
        return -1;
    if (PQconsumeInput (self->conn) == 0 || PQstatus (self->conn) != CONNECTION_OK) {
        char quoted[SP_PG_QUOTED_MAX];
        s_flatten (self->error, sizeof self->error, PQerrorMessage (self->conn));
        sp_log_warn ("postgresql connection lost while reading notifications",
                     "target=\"%s\" error=\"%s\"", self->target,
                     s_quote (self->error, quoted, sizeof quoted));
        return -1;
    }
    int count = 0;
    PGnotify *notify;
    while ((notify = PQnotifies (self->conn)) != NULL) {
        fn (arg, notify->relname, notify->extra ? notify->extra : "");
        PQfreemem (notify);
        count++;
    }
    return count;
}

void
sp_pg_result_destroy (sp_pg_result_t **self_p)
{
    assert (self_p);
    sp_pg_result_t *self = *self_p;
    if (!self)
        return;
    PQclear (self->result);
    free (self);
    *self_p = NULL;
}

bool
sp_pg_result_ok (const sp_pg_result_t *self)
{
    return self && self->ok;
}

const char *
sp_pg_result_sqlstate (const sp_pg_result_t *self)
{
    return self ? self->sqlstate : SP_PG_SQLSTATE_OUT_OF_MEMORY;
}

bool
sp_pg_result_is (const sp_pg_result_t *self, const char *sqlstate)
{
    assert (sqlstate);
    return strcmp (sp_pg_result_sqlstate (self), sqlstate) == 0;
}

bool
sp_pg_result_connection_lost (const sp_pg_result_t *self)
{
    return self && self->connection_lost;
}

const char *
sp_pg_result_error (const sp_pg_result_t *self)
{
    return self ? self->error : "out of memory";
}

int
sp_pg_result_rows (const sp_pg_result_t *self)
{
    return self && self->ok && self->result ? PQntuples (self->result) : 0;
}

int
sp_pg_result_columns (const sp_pg_result_t *self)
{
    return self && self->ok && self->result ? PQnfields (self->result) : 0;
}

int
sp_pg_result_column (const sp_pg_result_t *self, const char *name)
{
    assert (name);
    return self && self->ok && self->result ? PQfnumber (self->result, name) : -1;
}

static void
s_assert_cell (const sp_pg_result_t *self, int row, int column)
{
    assert (self && self->ok && self->result);
    assert (row >= 0 && row < PQntuples (self->result));
    assert (column >= 0 && column < PQnfields (self->result));
    (void) self;
    (void) row;
    (void) column;
}

const char *
sp_pg_result_value (const sp_pg_result_t *self, int row, int column)
{
    s_assert_cell (self, row, column);
    return PQgetvalue (self->result, row, column);
}

bool
sp_pg_result_is_null (const sp_pg_result_t *self, int row, int column)
{
    s_assert_cell (self, row, column);
    return PQgetisnull (self->result, row, column) == 1;
}

int
sp_pg_result_length (const sp_pg_result_t *self, int row, int column)
{
    s_assert_cell (self, row, column);
    return PQgetlength (self->result, row, column);
}

/* Parses a whole decimal int64; returns 0 or -1. */
static int
s_parse_int64 (const char *text, int64_t *value)
{
    if (!*text)
        return -1;
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll (text, &end, SP_PG_DECIMAL);
    if (errno != 0 || *end != '\0')
        return -1;
    *value = (int64_t) parsed;
    return 0;
}

int
sp_pg_result_int64 (const sp_pg_result_t *self, int row, int column, int64_t *value)
{
    assert (value);
    if (sp_pg_result_is_null (self, row, column))
        return -1;
    return s_parse_int64 (sp_pg_result_value (self, row, column), value);
}

int
sp_pg_result_binary_int64 (const sp_pg_result_t *self, int row, int column, int64_t *value)
{
    assert (value);
    if (sp_pg_result_is_null (self, row, column) ||
        sp_pg_result_length (self, row, column) != (int) sizeof (uint64_t))
        return -1;
    const unsigned char *bytes = (const unsigned char *) sp_pg_result_value (self, row, column);
    uint64_t decoded = 0;
    for (size_t index = 0; index < sizeof decoded; index++)
        decoded = decoded << 8 | bytes[index]; /* network byte order */
    *value = (int64_t) decoded;
    return 0;
}

unsigned char *
sp_pg_result_bytea (const sp_pg_result_t *self, int row, int column, size_t *size)
{
    assert (size);
    if (sp_pg_result_is_null (self, row, column))
        return NULL;
    size_t length = 0;
    unsigned char *decoded =
        PQunescapeBytea ((const unsigned char *) sp_pg_result_value (self, row, column), &length);
    if (!decoded)
        return NULL;
    unsigned char *copy = (unsigned char *) malloc (length ? length : 1);
    if (copy) {
        memcpy (copy, decoded, length);
        *size = length;
    }
    PQfreemem (decoded);
    return copy;
}

int64_t
sp_pg_result_affected (const sp_pg_result_t *self)
{
    int64_t affected = 0;
    if (self && self->result && s_parse_int64 (PQcmdTuples (self->result), &affected) != 0)
        affected = 0;
    return affected;
}
