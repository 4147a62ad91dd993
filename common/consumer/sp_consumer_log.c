/*  sp_consumer_log - a consumer's reads from and writes to the event log
    in PostgreSQL (see sp_consumer_log.h).

    Four prepared statements, one per public function, registered with
    sp_pg on first use so they are prepared again after a reconnect.
    The catch-up read asks for its results in binary form
    (sp_pg_exec_prepared_binary): the payloads arrive as stored and are
    unpacked where libpq holds them, with no hex to encode in PostgreSQL
    or decode here; the other statements' results come back as text.

    A catch-up read trusts nothing it reads: every row must be the next
    sequence (the consumer's apply asserts consecutive sequences), carry a
    sane event_id and a payload that unpacks, or the read fails naming the
    partition and sequence, so corruption is reported instead of crashing
    or silently skipping events.
*/
#include "sp_consumer_log.h"

#include "sp_error.h"
#include "sp_event.h"
#include "sp_proto.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NUMBER_MAX 24          /* an int64 or uint64 in decimal, terminator included */
#define S_QUOTE_SIZE 80          /* a quoted value inside a message */
#define S_TYPE_UNKNOWN "unknown" /* type column of an event whose type has no name */

/* A statement and the parameters it takes. */
typedef struct {
    const char *name; /* prepared statement name */
    const char *sql;  /* its SQL */
    int params;       /* its $n count */
    bool binary;      /* results in binary form (sp_pg_exec_prepared_binary) */
} s_statement_t;

static const s_statement_t s_read = {
    "sp_consumer_log_read",
    "SELECT sequence, ingested_at, event_id, payload FROM events "
    "WHERE partition = $1 AND sequence > $2 ORDER BY sequence LIMIT $3",
    3,
    true, /* the payloads as stored: no hex on either side */
};

static const s_statement_t s_heads = {
    "sp_consumer_log_heads",
    "SELECT partition, head_sequence FROM event_partitions "
    "WHERE partition < $1 ORDER BY partition",
    1,
    false,
};

static const s_statement_t s_quarantine = {
    "sp_consumer_log_quarantine",
    "INSERT INTO quarantined_events "
    "(service, partition, sequence, event_id, type, attempts, error) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "ON CONFLICT (service, partition, sequence) DO UPDATE SET "
    "attempts = quarantined_events.attempts + EXCLUDED.attempts, "
    "error = EXCLUDED.error, quarantined_at = now()",
    7,
    false,
};

/* quarantined_at as whole UTC ms, floored; ties broken so the order is
   total. A NULL service lists every service. */
static const s_statement_t s_quarantined = {
    "sp_consumer_log_quarantined",
    "SELECT service, partition, sequence, event_id, type, attempts, error, "
    "floor(extract(epoch FROM quarantined_at) * 1000)::bigint "
    "FROM quarantined_events WHERE $1::text IS NULL OR service = $1::text "
    "ORDER BY quarantined_at DESC, service, partition, sequence DESC LIMIT $2",
    2,
    false,
};

/* Column numbers of the statements above. */
enum { S_READ_SEQUENCE, S_READ_INGESTED_AT, S_READ_EVENT_ID, S_READ_PAYLOAD, S_READ_COLUMNS };
enum { S_HEADS_PARTITION, S_HEADS_SEQUENCE, S_HEADS_COLUMNS };
enum {
    S_LIST_SERVICE,
    S_LIST_PARTITION,
    S_LIST_SEQUENCE,
    S_LIST_EVENT_ID,
    S_LIST_TYPE,
    S_LIST_ATTEMPTS,
    S_LIST_ERROR,
    S_LIST_QUARANTINED_AT,
    S_LIST_COLUMNS
};

/* Prepares statement (a no-op once registered) and runs it. Returns the
   successful result (caller destroys), or NULL with `could not <what>:
   <reason>`. */
static sp_pg_result_t *
s_run (sp_pg_t *pg, const s_statement_t *statement, const char *const *values, int columns,
       const char *what, char *error, size_t error_size)
{
    if (sp_pg_prepare (pg, statement->name, statement->sql, statement->params) != 0) {
        const char *reason = sp_pg_error (pg);
        sp_error_set (error, error_size, "could not %s: could not prepare statement \"%s\"%s%s",
                      what, statement->name, reason[0] ? ": " : "", reason);
        return NULL;
    }
    sp_pg_result_t *result =
        statement->binary
            ? sp_pg_exec_prepared_binary (pg, statement->name, statement->params, values, NULL, NULL)
            : sp_pg_exec_prepared (pg, statement->name, statement->params, values, NULL, NULL);
    if (!result) {
        sp_error_set (error, error_size, "could not %s: out of memory", what);
        return NULL;
    }
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not %s: %s (SQLSTATE %s)", what,
                      sp_pg_result_error (result), sp_pg_result_sqlstate (result));
        sp_pg_result_destroy (&result);
        return NULL;
    }
    if (columns > 0 && sp_pg_result_columns (result) != columns) {
        sp_error_set (error, error_size, "could not %s: %d columns, expected %d", what,
                      sp_pg_result_columns (result), columns);
        sp_pg_result_destroy (&result);
        return NULL;
    }
    return result;
}

/* Copies a text value into buffer (size bytes); -1 when it does not fit. */
static int
s_copy_text (const sp_pg_result_t *result, int row, int column, char *buffer, size_t size)
{
    int length = sp_pg_result_length (result, row, column);
    if (length < 0 || (size_t) length >= size)
        return -1;
    memcpy (buffer, sp_pg_result_value (result, row, column), (size_t) length);
    buffer[length] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- catch-up */

/* Fills event from row of a read. Returns 0, or -1 with the reason. */
static int
s_read_row (const sp_pg_result_t *result, int row, uint32_t partition, uint64_t expected,
            sp_consumer_log_event_t *event, char *error, size_t error_size)
{
    int64_t sequence = 0;
    if (sp_pg_result_binary_int64 (result, row, S_READ_SEQUENCE, &sequence) != 0 ||
        (uint64_t) sequence != expected) {
        sp_error_set (error, error_size,
                      "event log partition %" PRIu32 " is not gap-free: found sequence %" PRId64
                      " where %" PRIu64 " belongs",
                      partition, sequence, expected);
        return -1;
    }
    event->partition = partition;
    event->sequence = expected;
    if (sp_pg_result_binary_int64 (result, row, S_READ_INGESTED_AT, &event->ingested_at) != 0 ||
        s_copy_text (result, row, S_READ_EVENT_ID, event->event_id, sizeof event->event_id) != 0) {
        sp_error_set (error, error_size,
                      "event of partition %" PRIu32 " sequence %" PRIu64
                      " has a bad ingested_at or event_id",
                      partition, expected);
        return -1;
    }
    if (sp_pg_result_is_null (result, row, S_READ_PAYLOAD)) {
        sp_error_set (error, error_size,
                      "event of partition %" PRIu32 " sequence %" PRIu64 " has no readable payload",
                      partition, expected);
        return -1;
    }
    /* binary form: the bytes as stored, unpacked where libpq holds them */
    const uint8_t *payload = (const uint8_t *) sp_pg_result_value (result, row, S_READ_PAYLOAD);
    size_t size = (size_t) sp_pg_result_length (result, row, S_READ_PAYLOAD);
    char reason[SP_EVENT_MESSAGE_SIZE] = "";
    event->event = (Salespulse__SalesEvent *) sp_proto_unpack (
        &salespulse__sales_event__descriptor, payload, size, SP_CONSUMER_LOG_EVENT_MAX_BYTES, NULL,
        NULL, reason, sizeof reason);
    if (!event->event) {
        sp_error_set (error, error_size,
                      "event of partition %" PRIu32 " sequence %" PRIu64 " does not unpack: %s",
                      partition, expected, reason);
        return -1;
    }
    return 0;
}

int
sp_consumer_log_read (sp_pg_t *pg, uint32_t partition, uint64_t after, size_t limit,
                      sp_consumer_log_read_t *read, char *error, size_t error_size)
{
    assert (pg && read && limit >= 1);
    sp_consumer_log_read_clear (read);
    char partition_text[S_NUMBER_MAX];
    char after_text[S_NUMBER_MAX];
    char limit_text[S_NUMBER_MAX];
    snprintf (partition_text, sizeof partition_text, "%" PRIu32, partition);
    snprintf (after_text, sizeof after_text, "%" PRIu64, after);
    snprintf (limit_text, sizeof limit_text, "%zu", limit);
    const char *values[] = { partition_text, after_text, limit_text };
    char what[64];
    snprintf (what, sizeof what, "read partition %" PRIu32 " of the event log", partition);
    sp_pg_result_t *result = s_run (pg, &s_read, values, S_READ_COLUMNS, what, error, error_size);
    if (!result)
        return -1;
    int rc = -1;
    int rows = sp_pg_result_rows (result);
    if (rows == 0) {
        rc = 0;
        goto out_destroy_result;
    }
    read->events = (sp_consumer_log_event_t *) calloc ((size_t) rows, sizeof *read->events);
    if (!read->events) {
        sp_error_set (error, error_size, "could not %s: out of memory", what);
        goto out_destroy_result;
    }
    for (int row = 0; row < rows; row++) {
        if (s_read_row (result, row, partition, after + 1 + (uint64_t) row, &read->events[row],
                        error, error_size) != 0)
            goto out_clear_read;
        read->count++;
    }
    rc = 0;
    goto out_destroy_result;

out_clear_read:
    /* A row that failed half-way holds nothing to free: its event is set last. */
    sp_consumer_log_read_clear (read);
out_destroy_result:
    sp_pg_result_destroy (&result);
    return rc;
}

void
sp_consumer_log_read_clear (sp_consumer_log_read_t *read)
{
    assert (read);
    for (size_t index = 0; index < read->count; index++)
        sp_proto_free ((ProtobufCMessage **) &read->events[index].event);
    free (read->events);
    read->events = NULL;
    read->count = 0;
}

/* ---------------------------------------------------------------- heads */

int
sp_consumer_log_heads (sp_pg_t *pg, uint32_t partitions, uint64_t *heads, char *error,
                       size_t error_size)
{
    assert (pg && heads && partitions >= 1);
    char partitions_text[S_NUMBER_MAX];
    snprintf (partitions_text, sizeof partitions_text, "%" PRIu32, partitions);
    const char *values[] = { partitions_text };
    sp_pg_result_t *result = s_run (pg, &s_heads, values, S_HEADS_COLUMNS,
                                    "read the event log's partition heads", error, error_size);
    if (!result)
        return -1;
    int rc = -1;
    /* Partitions 0..partitions-1 each have a row (event_partitions is
       filled at setup), so row p is partition p. */
    if (sp_pg_result_rows (result) != (int) partitions) {
        sp_error_set (error, error_size,
                      "the event log has %d of the %" PRIu32
                      " partitions asked for (is --partitions the count set up by salesctl "
                      "migrate?)",
                      sp_pg_result_rows (result), partitions);
        goto out_destroy_result;
    }
    for (uint32_t partition = 0; partition < partitions; partition++) {
        int64_t number = -1;
        int64_t head = -1;
        if (sp_pg_result_int64 (result, (int) partition, S_HEADS_PARTITION, &number) != 0 ||
            number != (int64_t) partition ||
            sp_pg_result_int64 (result, (int) partition, S_HEADS_SEQUENCE, &head) != 0 ||
            head < 0) {
            sp_error_set (error, error_size,
                          "could not read the head of event log partition %" PRIu32, partition);
            goto out_destroy_result;
        }
        heads[partition] = (uint64_t) head;
    }
    rc = 0;

out_destroy_result:
    sp_pg_result_destroy (&result);
    return rc;
}

/* ---------------------------------------------------------------- quarantine */

int
sp_consumer_log_quarantine (sp_pg_t *pg, const char *service, const sp_consumer_log_event_t *event,
                            int attempts, const char *handler_error, char *error, size_t error_size)
{
    assert (pg && service && event && handler_error && attempts >= 1);
    const char *type = event->event ? sp_event_type_name (event->event->type) : NULL;
    char partition_text[S_NUMBER_MAX];
    char sequence_text[S_NUMBER_MAX];
    char attempts_text[S_NUMBER_MAX];
    snprintf (partition_text, sizeof partition_text, "%" PRIu32, event->partition);
    snprintf (sequence_text, sizeof sequence_text, "%" PRIu64, event->sequence);
    snprintf (attempts_text, sizeof attempts_text, "%d", attempts);
    const char *values[] = {
        service,       partition_text, sequence_text, event->event_id, type ? type : S_TYPE_UNKNOWN,
        attempts_text, handler_error
    };
    char what[96];
    snprintf (what, sizeof what, "quarantine the event of partition %" PRIu32 " sequence %" PRIu64,
              event->partition, event->sequence);
    sp_pg_result_t *result = s_run (pg, &s_quarantine, values, 0, what, error, error_size);
    if (!result)
        return -1;
    sp_pg_result_destroy (&result);
    return 0;
}

/* Fills row from a listing's row. Returns 0, or -1 when a value is not
   what the table holds. */
static int
s_list_row (const sp_pg_result_t *result, int row, sp_consumer_log_quarantined_t *out)
{
    int64_t partition = -1;
    int64_t sequence = -1;
    int64_t attempts = -1;
    if (s_copy_text (result, row, S_LIST_SERVICE, out->service, sizeof out->service) != 0 ||
        sp_pg_result_int64 (result, row, S_LIST_PARTITION, &partition) != 0 || partition < 0 ||
        partition > (int64_t) UINT32_MAX ||
        sp_pg_result_int64 (result, row, S_LIST_SEQUENCE, &sequence) != 0 || sequence < 1 ||
        s_copy_text (result, row, S_LIST_EVENT_ID, out->event_id, sizeof out->event_id) != 0 ||
        s_copy_text (result, row, S_LIST_TYPE, out->type, sizeof out->type) != 0 ||
        sp_pg_result_int64 (result, row, S_LIST_ATTEMPTS, &attempts) != 0 || attempts < 1 ||
        attempts > INT32_MAX ||
        sp_pg_result_int64 (result, row, S_LIST_QUARANTINED_AT, &out->quarantined_at) != 0)
        return -1;
    out->partition = (uint32_t) partition;
    out->sequence = (uint64_t) sequence;
    out->attempts = (int) attempts;
    /* The handler's error may be longer than the listing keeps: cut it. */
    snprintf (out->error, sizeof out->error, "%s", sp_pg_result_value (result, row, S_LIST_ERROR));
    return 0;
}

int
sp_consumer_log_quarantined (sp_pg_t *pg, const char *service, size_t limit,
                             sp_consumer_log_quarantined_t **rows, size_t *count, char *error,
                             size_t error_size)
{
    assert (pg && rows && count);
    char limit_text[S_NUMBER_MAX];
    snprintf (limit_text, sizeof limit_text, "%zu", limit);
    const char *values[] = { service, limit_text };
    sp_pg_result_t *result = s_run (pg, &s_quarantined, values, S_LIST_COLUMNS,
                                    "list quarantined events", error, error_size);
    if (!result)
        return -1;
    int rc = -1;
    int found = sp_pg_result_rows (result);
    /* calloc of at least one row, so an empty listing is a valid pointer. */
    sp_consumer_log_quarantined_t *listed =
        (sp_consumer_log_quarantined_t *) calloc (found > 0 ? (size_t) found : 1, sizeof *listed);
    if (!listed) {
        sp_error_set (error, error_size, "could not list quarantined events: out of memory");
        goto out_destroy_result;
    }
    for (int row = 0; row < found; row++) {
        if (s_list_row (result, row, &listed[row]) != 0) {
            char quoted[S_QUOTE_SIZE];
            sp_error_quote (sp_pg_result_value (result, row, S_LIST_SEQUENCE), quoted,
                            sizeof quoted);
            sp_error_set (error, error_size,
                          "could not list quarantined events: row of sequence \"%s\" holds a "
                          "value out of range",
                          quoted);
            free (listed);
            goto out_destroy_result;
        }
    }
    *rows = listed;
    *count = (size_t) found;
    rc = 0;

out_destroy_result:
    sp_pg_result_destroy (&result);
    return rc;
}
