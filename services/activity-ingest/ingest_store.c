/*  ingest_store - the PostgreSQL write path (see ingest_store.h). */
#include "ingest_store.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest_copy.h"
#include "sp_error.h"
#include "sp_log.h"
#include "sp_pg.h"

#define INGEST_STORE_CONNECT_ATTEMPTS 1   /* a write fails fast when PostgreSQL is down */
#define INGEST_STORE_CONNECT_TIMEOUT_S 2  /* libpq connect_timeout per attempt */
#define INGEST_STORE_NUMBER_SIZE 24       /* room for an int64 in decimal and a comma */
#define INGEST_STORE_DEAD_LETTER_COLUMNS 6
#define INGEST_STORE_CONFLICT_COLUMNS 3
#define INGEST_STORE_PESSIMISTIC_BATCHES 64 /* batches looked up first after a stored id was met */
#define INGEST_STORE_MS_PER_S 1000
#define INGEST_STORE_NS_PER_MS 1000000

static const char s_lock_sql[] =
    "SELECT partition, head_sequence FROM event_partitions "
    "WHERE partition = ANY ($1::integer[]) ORDER BY partition FOR UPDATE";
static const char s_lookup_sql[] =
    "SELECT event_id, partition, sequence, content_hash FROM events "
    "WHERE event_id = ANY ($1::text[])";
static const char s_copy_events_sql[] =
    "COPY events (" INGEST_COPY_EVENT_COLUMN_LIST ") FROM STDIN (FORMAT binary)";
static const char s_copy_dead_letters_sql[] =
    "COPY dead_letters (source, event_id, field, reason, message, raw) FROM STDIN (FORMAT binary)";
static const char s_copy_conflicts_sql[] =
    "COPY event_conflicts (event_id, content_hash, payload) FROM STDIN (FORMAT binary)";
static const char s_heads_sql[] =
    "UPDATE event_partitions AS p SET head_sequence = v.head "
    "FROM unnest ($1::integer[], $2::bigint[]) AS v (partition, head) "
    "WHERE p.partition = v.partition";

/* How one transaction attempt ended. */
typedef enum {
    S_DONE = 0,      /* committed */
    S_RETRY = 1,     /* unique violation: roll back, try again */
    S_FAILED = -1,   /* anything else: roll back, refuse the batch */
} s_attempt_t;

/* How the event_ids are de-duplicated in one attempt. */
typedef enum {
    S_LOOKUP = 0,     /* look every id up under the locks, then COPY the new ones */
    S_OPTIMISTIC = 1, /* COPY them all as new: a stored id fails the COPY (unique index) */
} s_dedup_t;

struct _ingest_store_t {
    sp_pg_t *pg;              /* the writer thread's own connection */
    uint32_t partitions;      /* partition count recorded at setup */
    uint64_t *heads;          /* head sequence per partition, this attempt */
    uint64_t *old_heads;      /* heads as locked, to write only changed ones */
    uint32_t *touched;        /* partitions the batch touches, ascending */
    ingest_copy_t *copy;      /* COPY stream being built */
    unsigned pessimistic;     /* batches still to look up first (a stored id was met) */
    bool violated;            /* the last attempt failed on the event_id unique index */
};

ingest_store_t *
ingest_store_new (const char *url, uint32_t partitions)
{
    assert (url && partitions >= 1);
    ingest_store_t *self = (ingest_store_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->partitions = partitions;
    self->pg = sp_pg_new (url, "activity-ingest");
    self->heads = (uint64_t *) calloc (partitions, sizeof (uint64_t));
    self->old_heads = (uint64_t *) calloc (partitions, sizeof (uint64_t));
    self->copy = ingest_copy_new ();
    if (!self->pg || !self->heads || !self->old_heads || !self->copy) {
        ingest_store_destroy (&self);
        return NULL;
    }
    sp_pg_set_retry (self->pg, INGEST_STORE_CONNECT_ATTEMPTS, 0, 0);
    sp_pg_set_connect_timeout (self->pg, INGEST_STORE_CONNECT_TIMEOUT_S);
    sp_pg_connect (self->pg);
    return self;
}

void
ingest_store_destroy (ingest_store_t **self_p)
{
    assert (self_p);
    ingest_store_t *self = *self_p;
    if (!self)
        return;
    sp_pg_destroy (&self->pg);
    ingest_copy_destroy (&self->copy);
    free (self->heads);
    free (self->old_heads);
    free (self->touched);
    free (self);
    *self_p = NULL;
}

/* Growable text buffer for array literals. */
typedef struct {
    char *text;
    size_t length;
    size_t capacity;
    bool failed;
} s_text_t;

static void
s_text_append (s_text_t *buffer, const char *bytes, size_t count)
{
    if (buffer->failed)
        return;
    if (buffer->length + count + 1 > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 256;
        while (buffer->length + count + 1 > capacity)
            capacity *= 2;
        char *grown = (char *) realloc (buffer->text, capacity);
        if (!grown) {
            buffer->failed = true;
            return;
        }
        buffer->text = grown;
        buffer->capacity = capacity;
    }
    memcpy (buffer->text + buffer->length, bytes, count);
    buffer->length += count;
    buffer->text[buffer->length] = '\0';
}

/* Appends one element of an array literal, double-quoted with `"` and
   `\` escaped (event ids cannot hold them, but the literal stays right
   whatever it is given). */
static void
s_text_quoted (s_text_t *buffer, const char *value)
{
    s_text_append (buffer, buffer->length > 1 ? ",\"" : "\"", buffer->length > 1 ? 2 : 1);
    for (const char *cursor = value; *cursor; cursor++) {
        if (*cursor == '"' || *cursor == '\\')
            s_text_append (buffer, "\\", 1);
        s_text_append (buffer, cursor, 1);
    }
    s_text_append (buffer, "\"", 1);
}

static void
s_text_number (s_text_t *buffer, uint64_t value)
{
    char number[INGEST_STORE_NUMBER_SIZE];
    int length = snprintf (number, sizeof number, "%s%" PRIu64, buffer->length > 1 ? "," : "",
                           value);
    s_text_append (buffer, number, (size_t) length);
}

static int64_t
s_wall_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * INGEST_STORE_MS_PER_S + now.tv_nsec / INGEST_STORE_NS_PER_MS;
}

/* Logs and classifies a failed statement. */
static s_attempt_t
s_failed (ingest_store_t *self, sp_pg_result_t *result, const char *step, char *error,
          size_t error_size)
{
    if (sp_pg_result_is (result, SP_PG_SQLSTATE_UNIQUE_VIOLATION)) {
        self->violated = true;
        sp_log_debug ("event_id already stored, retrying the batch with a lookup", "step=%s",
                      step);
        return S_RETRY;
    }
    /* Two instances storing the same event_ids, with different content, in
       different partitions wait on each other's unique-index entries; the
       server breaks the cycle by failing one of them. */
    if (sp_pg_result_is (result, SP_PG_SQLSTATE_DEADLOCK_DETECTED)) {
        sp_log_info ("deadlock with another instance, retrying the batch", "step=%s", step);
        return S_RETRY;
    }
    sp_error_set (error, error_size, "could not %s: %s", step, sp_pg_result_error (result));
    if (!sp_pg_result_connection_lost (result))
        sp_log_error ("ingest transaction failed", "step=\"%s\" sqlstate=%s error=\"%s\"", step,
                      sp_pg_result_sqlstate (result), sp_pg_result_error (result));
    return S_FAILED;
}

/* Locks the touched partitions' head rows, ascending; reads the heads. */
static s_attempt_t
s_lock_partitions (ingest_store_t *self, size_t touched_count, char *error, size_t error_size)
{
    s_text_t literal = { NULL, 0, 0, false };
    s_text_append (&literal, "{", 1);
    for (size_t index = 0; index < touched_count; index++)
        s_text_number (&literal, self->touched[index]);
    s_text_append (&literal, "}", 1);
    if (literal.failed) {
        free (literal.text);
        sp_error_set (error, error_size, "out of memory");
        return S_FAILED;
    }
    const char *values[] = { literal.text };
    sp_pg_result_t *result = sp_pg_exec (self->pg, s_lock_sql, 1, values, NULL, NULL);
    free (literal.text);
    s_attempt_t rc = S_FAILED;
    if (!sp_pg_result_ok (result)) {
        rc = s_failed (self, result, "lock partitions", error, error_size);
        goto out_clear_result;
    }
    if ((size_t) sp_pg_result_rows (result) != touched_count) {
        sp_error_set (error, error_size, "event_partitions holds %d of the %zu partitions needed",
                      sp_pg_result_rows (result), touched_count);
        sp_log_error ("partition rows missing", "error=\"%s\" hint=\"run salesctl migrate\"",
                      error);
        goto out_clear_result;
    }
    for (int row = 0; row < sp_pg_result_rows (result); row++) {
        int64_t partition = 0, head = 0;
        if (sp_pg_result_int64 (result, row, 0, &partition) != 0 ||
            sp_pg_result_int64 (result, row, 1, &head) != 0 || partition < 0 ||
            partition >= self->partitions || head < 0) {
            sp_error_set (error, error_size, "unexpected row in event_partitions");
            goto out_clear_result;
        }
        self->heads[partition] = (uint64_t) head;
        self->old_heads[partition] = (uint64_t) head;
    }
    rc = S_DONE;

out_clear_result:
    sp_pg_result_destroy (&result);
    return rc;
}

/* Looks up the valid events' ids and resolves the batch against them. */
static s_attempt_t
s_resolve (ingest_store_t *self, ingest_batch_t *batch, char *error, size_t error_size)
{
    s_text_t literal = { NULL, 0, 0, false };
    s_text_append (&literal, "{", 1);
    for (size_t r = 0; r < ingest_batch_request_count (batch); r++) {
        ingest_request_t *request = ingest_batch_request (batch, r);
        for (size_t index = 0; index < ingest_request_event_count (request); index++)
            if (ingest_batch_holds (batch, request, index) &&
                ingest_request_outcome (request, index) == INGEST_OUTCOME_PENDING)
                s_text_quoted (&literal, ingest_request_event (request, index)->event_id);
    }
    s_text_append (&literal, "}", 1);
    if (literal.failed) {
        free (literal.text);
        sp_error_set (error, error_size, "out of memory");
        return S_FAILED;
    }
    const char *values[] = { literal.text };
    sp_pg_result_t *result = sp_pg_exec (self->pg, s_lookup_sql, 1, values, NULL, NULL);
    free (literal.text);
    s_attempt_t rc = S_FAILED;
    ingest_batch_stored_t *stored = NULL;
    int rows = sp_pg_result_rows (result);
    if (!sp_pg_result_ok (result)) {
        rc = s_failed (self, result, "look up event ids", error, error_size);
        goto out_free;
    }
    stored = (ingest_batch_stored_t *) calloc ((size_t) rows + 1, sizeof *stored);
    if (!stored) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    for (int row = 0; row < rows; row++) {
        int64_t partition = 0, sequence = 0;
        size_t hash_size = 0;
        unsigned char *hash = sp_pg_result_bytea (result, row, 3, &hash_size);
        bool usable = hash && hash_size == INGEST_DIGEST_SIZE &&
                      sp_pg_result_int64 (result, row, 1, &partition) == 0 &&
                      sp_pg_result_int64 (result, row, 2, &sequence) == 0 && sequence >= 1;
        if (usable)
            memcpy (stored[row].hash, hash, INGEST_DIGEST_SIZE);
        free (hash);
        if (!usable) {
            sp_error_set (error, error_size, "unexpected row in events");
            goto out_free;
        }
        stored[row].event_id = sp_pg_result_value (result, row, 0);
        stored[row].partition = (uint32_t) partition;
        stored[row].sequence = (uint64_t) sequence;
    }
    if (ingest_batch_resolve (batch, stored, (size_t) rows, self->heads) != 0) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    rc = S_DONE;

out_free:
    free (stored);
    sp_pg_result_destroy (&result);
    return rc;
}

/* Text value when it is valid UTF-8 without NUL, else NULL (dead letters
   keep whatever can be stored; raw holds the rest). */
static void
s_copy_if_valid (ingest_copy_t *copy, const char *text)
{
    if (text && *text && sp_event_utf8_valid (text, strlen (text)))
        ingest_copy_text (copy, text);
    else
        ingest_copy_null (copy);
}

/* Sends the current COPY stream with sql, when it holds rows. */
static s_attempt_t
s_copy (ingest_store_t *self, const char *sql, const char *step, char *error, size_t error_size)
{
    if (ingest_copy_rows (self->copy) == 0)
        return S_DONE;
    size_t size = 0;
    const uint8_t *data = ingest_copy_finish (self->copy, &size);
    if (!data) {
        sp_error_set (error, error_size, "out of memory");
        return S_FAILED;
    }
    sp_pg_result_t *result = sp_pg_copy_in (self->pg, sql, data, size);
    s_attempt_t rc =
        sp_pg_result_ok (result) ? S_DONE : s_failed (self, result, step, error, error_size);
    sp_pg_result_destroy (&result);
    return rc;
}

/* COPYs new events, then dead letters, then conflicts. */
static s_attempt_t
s_write_rows (ingest_store_t *self, ingest_batch_t *batch, int64_t ingested_at, char *error,
              size_t error_size)
{
    static const struct {
        ingest_outcome_t outcome;
        const char *sql;
        const char *step;
    } passes[] = {
        { INGEST_OUTCOME_ACCEPTED, s_copy_events_sql, "copy events" },
        { INGEST_OUTCOME_REJECTED, s_copy_dead_letters_sql, "copy dead letters" },
        { INGEST_OUTCOME_CONFLICT, s_copy_conflicts_sql, "copy conflicts" },
    };
    for (size_t pass = 0; pass < sizeof passes / sizeof passes[0]; pass++) {
        ingest_copy_t *copy = self->copy;
        ingest_copy_reset (copy);
        for (size_t r = 0; r < ingest_batch_request_count (batch); r++) {
            ingest_request_t *request = ingest_batch_request (batch, r);
            for (size_t index = 0; index < ingest_request_event_count (request); index++) {
                if (!ingest_batch_holds (batch, request, index) ||
                    ingest_request_outcome (request, index) != passes[pass].outcome)
                    continue;
                const sp_event_t *event = ingest_request_event (request, index);
                size_t size = 0;
                const uint8_t *packed = ingest_request_packed (request, index, &size);
                const uint8_t *hash = ingest_request_hash (request, index);
                if (passes[pass].outcome == INGEST_OUTCOME_ACCEPTED) {
                    ingest_copy_event (copy, event, ingest_request_partition (request, index),
                                       ingest_request_sequence (request, index), ingested_at,
                                       hash, INGEST_DIGEST_SIZE, packed, size);
                }
                else if (passes[pass].outcome == INGEST_OUTCOME_REJECTED) {
                    const sp_event_error_t *rejection = ingest_request_rejection (request, index);
                    ingest_copy_row (copy, INGEST_STORE_DEAD_LETTER_COLUMNS);
                    s_copy_if_valid (copy, event->source);
                    s_copy_if_valid (copy, event->event_id);
                    s_copy_if_valid (copy, rejection->field);
                    ingest_copy_text (copy, sp_event_reason_name (rejection->reason));
                    ingest_copy_text (copy, rejection->message);
                    ingest_copy_bytes (copy, packed, size);
                }
                else {
                    ingest_copy_row (copy, INGEST_STORE_CONFLICT_COLUMNS);
                    ingest_copy_text (copy, event->event_id);
                    ingest_copy_bytes (copy, hash, INGEST_DIGEST_SIZE);
                    ingest_copy_bytes (copy, packed, size);
                }
            }
        }
        s_attempt_t rc = s_copy (self, passes[pass].sql, passes[pass].step, error, error_size);
        if (rc != S_DONE)
            return rc;
    }
    return S_DONE;
}

/* Writes the heads that moved. */
static s_attempt_t
s_advance_heads (ingest_store_t *self, size_t touched_count, char *error, size_t error_size)
{
    s_text_t partitions = { NULL, 0, 0, false }, heads = { NULL, 0, 0, false };
    s_text_append (&partitions, "{", 1);
    s_text_append (&heads, "{", 1);
    size_t moved = 0;
    for (size_t index = 0; index < touched_count; index++) {
        uint32_t partition = self->touched[index];
        if (self->heads[partition] == self->old_heads[partition])
            continue;
        s_text_number (&partitions, partition);
        s_text_number (&heads, self->heads[partition]);
        moved++;
    }
    s_text_append (&partitions, "}", 1);
    s_text_append (&heads, "}", 1);
    s_attempt_t rc = S_DONE;
    if (partitions.failed || heads.failed) {
        sp_error_set (error, error_size, "out of memory");
        rc = S_FAILED;
    }
    else if (moved > 0) {
        const char *values[] = { partitions.text, heads.text };
        sp_pg_result_t *result = sp_pg_exec (self->pg, s_heads_sql, 2, values, NULL, NULL);
        if (!sp_pg_result_ok (result))
            rc = s_failed (self, result, "advance partition heads", error, error_size);
        else if ((size_t) sp_pg_result_affected (result) != moved) {
            sp_error_set (error, error_size, "advanced %lld of %zu partition heads",
                          (long long) sp_pg_result_affected (result), moved);
            rc = S_FAILED;
        }
        sp_pg_result_destroy (&result);
    }
    free (partitions.text);
    free (heads.text);
    return rc;
}

/* One transaction attempt for the whole batch. ingested_at is read once
   the head rows are locked: a later transaction on any of these partitions
   waits for this one's commit before it reads the clock, so within a
   partition ingested_at never decreases as sequence grows. */
static s_attempt_t
s_attempt (ingest_store_t *self, ingest_batch_t *batch, s_dedup_t dedup, int64_t *ingested_at,
           char *error, size_t error_size)
{
    if (sp_pg_begin (self->pg) != 0) {
        sp_error_set (error, error_size, "could not begin a transaction: %s",
                      *sp_pg_error (self->pg) ? sp_pg_error (self->pg) : "postgresql refused");
        return S_FAILED;
    }
    size_t touched_count = ingest_batch_partitions (batch, self->touched);
    s_attempt_t rc = S_DONE;
    if (touched_count > 0)
        rc = s_lock_partitions (self, touched_count, error, error_size);
    *ingested_at = s_wall_ms ();
    if (rc == S_DONE && ingest_batch_valid_count (batch) > 0) {
        if (dedup == S_LOOKUP)
            rc = s_resolve (self, batch, error, error_size);
        else if (ingest_batch_resolve (batch, NULL, 0, self->heads) != 0) {
            sp_error_set (error, error_size, "out of memory");
            rc = S_FAILED;
        }
    }
    if (rc == S_DONE)
        rc = s_write_rows (self, batch, *ingested_at, error, error_size);
    if (rc == S_DONE)
        rc = s_advance_heads (self, touched_count, error, error_size);
    if (rc != S_DONE) {
        sp_pg_rollback (self->pg);
        return rc;
    }
    if (sp_pg_commit (self->pg) != 0) {
        sp_error_set (error, error_size, "could not commit: %s",
                      *sp_pg_error (self->pg) ? sp_pg_error (self->pg) : "transaction failed");
        return S_FAILED;
    }
    return S_DONE;
}

int
ingest_store_write (ingest_store_t *self, ingest_batch_t *batch, int64_t *ingested_at, char *error,
                    size_t error_size)
{
    assert (self && batch && ingested_at);
    size_t valid = ingest_batch_valid_count (batch);
    uint32_t *touched = (uint32_t *) realloc (self->touched, (valid + 1) * sizeof (uint32_t));
    if (!touched) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    self->touched = touched;
    /* Optimistic first: new events are the rule, and the unique index
       checks every id anyway; after a stored id was met (a resend, a
       duplicate, another instance) the next batches look up first. */
    s_dedup_t dedup = self->pessimistic > 0 ? S_LOOKUP : S_OPTIMISTIC;
    if (self->pessimistic > 0)
        self->pessimistic--;
    for (int attempt = 1; attempt <= INGEST_STORE_ATTEMPTS; attempt++) {
        self->violated = false;
        s_attempt_t rc = s_attempt (self, batch, dedup, ingested_at, error, error_size);
        if (rc == S_DONE)
            return 0;
        ingest_batch_unresolve (batch);
        if (rc == S_FAILED)
            return -1;
        if (self->violated) {
            dedup = S_LOOKUP;
            self->pessimistic = INGEST_STORE_PESSIMISTIC_BATCHES;
        }
    }
    sp_error_set (error, error_size, "gave up after %d attempts lost to concurrent writers",
                  INGEST_STORE_ATTEMPTS);
    return -1;
}
