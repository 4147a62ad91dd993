/*  ingest_copy - rows in PostgreSQL's binary COPY format, built in memory.

    The write path sends its rows (events, dead letters, conflicts) with
    `COPY table (columns) FROM STDIN (FORMAT binary)`: one round trip per
    table, no text escaping, no per-row statement. This object builds that
    stream (PostgreSQL docs, "COPY", "Binary Format"): the 19-byte header,
    then per row a 16-bit field count and each field as a 32-bit length
    (-1 for NULL) followed by its bytes, then the 16-bit trailer -1.
    Integers travel big-endian; text and bytea as their raw bytes.

    No I/O. Out of memory is sticky: later appends do nothing and
    ingest_copy_data returns NULL, so callers check once at the end.
*/
#ifndef INGEST_COPY_H_INCLUDED
#define INGEST_COPY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_event.h"

/* Columns of an events row, in the order ingest_copy_event writes them:
   partition, sequence, event_id, type, occurred_at, ingested_at,
   customer_id, opportunity_id, rep_id, team_id, region_id, content_hash,
   payload (migrations/0001_event_log.sql). */
#define INGEST_COPY_EVENT_COLUMNS 13
#define INGEST_COPY_EVENT_COLUMN_LIST                                                         \
    "partition, sequence, event_id, type, occurred_at, ingested_at, customer_id, "           \
    "opportunity_id, rep_id, team_id, region_id, content_hash, payload"

typedef struct _ingest_copy_t ingest_copy_t;

/* Creates a stream holding the header; NULL when out of memory. */
ingest_copy_t *ingest_copy_new (void);

/* Frees; no-op on NULL; sets *self_p to NULL. */
void ingest_copy_destroy (ingest_copy_t **self_p);

/* Empties the stream back to the header alone (memory is kept). */
void ingest_copy_reset (ingest_copy_t *self);

/* Starts a row of field_count fields (>= 1). */
void ingest_copy_row (ingest_copy_t *self, int field_count);

/* Appends one field of the current row: an int4 column, an int8 column,
   size raw bytes (text or bytea), a C string (text), or NULL. */
void ingest_copy_int32 (ingest_copy_t *self, int32_t value);
void ingest_copy_int64 (ingest_copy_t *self, int64_t value);
void ingest_copy_bytes (ingest_copy_t *self, const void *data, size_t size);
void ingest_copy_text (ingest_copy_t *self, const char *text);
void ingest_copy_null (ingest_copy_t *self);

/* Appends text, or NULL when text is NULL or empty (optional ids). */
void ingest_copy_optional_text (ingest_copy_t *self, const char *text);

/* Appends one events row: the event's columns, its place in the log, when
   it was ingested, its content hash (hash_size bytes) and its packed
   bytes. The one definition of the row, shared by the write path and the
   benchmark's COPY ceiling. */
void ingest_copy_event (ingest_copy_t *self, const sp_event_t *event, uint32_t partition,
                        uint64_t sequence, int64_t ingested_at, const uint8_t *hash,
                        size_t hash_size, const uint8_t *packed, size_t packed_size);

/* Rows started since the last reset. */
size_t ingest_copy_rows (const ingest_copy_t *self);

/* Appends the trailer (once) and returns the stream and its size; NULL
   when memory ran out while building it. Valid until the next append or
   reset. */
const uint8_t *ingest_copy_finish (ingest_copy_t *self, size_t *size);

#endif
