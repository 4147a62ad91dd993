/*  ingest_copy - rows in PostgreSQL's binary COPY format (see ingest_copy.h). */
#include "ingest_copy.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define INGEST_COPY_INITIAL_CAPACITY 65536 /* bytes first allocated */
#define INGEST_COPY_NULL_LENGTH (-1)       /* field length meaning SQL NULL */
#define INGEST_COPY_TRAILER (-1)           /* field count ending the stream */

/* "PGCOPY\n\377\r\n\0", then flags (int32 0), then header extension length (int32 0). */
static const uint8_t s_header[] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0,
                                    0,   0,   0,   0,   0,   0,   0,    0 };

struct _ingest_copy_t {
    uint8_t *data;   /* the stream */
    size_t size;     /* bytes used */
    size_t capacity; /* bytes allocated */
    size_t rows;     /* rows started since reset */
    bool finished;   /* trailer appended */
    bool failed;     /* memory ran out; the stream is unusable until reset */
};

static void
s_append (ingest_copy_t *self, const void *bytes, size_t count)
{
    assert (!self->finished);
    if (self->failed)
        return;
    if (self->size + count > self->capacity) {
        size_t capacity = self->capacity;
        while (self->size + count > capacity)
            capacity *= 2;
        uint8_t *grown = (uint8_t *) realloc (self->data, capacity);
        if (!grown) {
            self->failed = true;
            return;
        }
        self->data = grown;
        self->capacity = capacity;
    }
    if (count)
        memcpy (self->data + self->size, bytes, count);
    self->size += count;
}

static void
s_append_be (ingest_copy_t *self, uint64_t value, size_t width)
{
    uint8_t bytes[8];
    for (size_t i = 0; i < width; i++)
        bytes[i] = (uint8_t) (value >> (8 * (width - 1 - i)));
    s_append (self, bytes, width);
}

ingest_copy_t *
ingest_copy_new (void)
{
    ingest_copy_t *self = (ingest_copy_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->data = (uint8_t *) malloc (INGEST_COPY_INITIAL_CAPACITY);
    if (!self->data) {
        free (self);
        return NULL;
    }
    self->capacity = INGEST_COPY_INITIAL_CAPACITY;
    ingest_copy_reset (self);
    return self;
}

void
ingest_copy_destroy (ingest_copy_t **self_p)
{
    assert (self_p);
    ingest_copy_t *self = *self_p;
    if (!self)
        return;
    free (self->data);
    free (self);
    *self_p = NULL;
}

void
ingest_copy_reset (ingest_copy_t *self)
{
    assert (self);
    self->size = 0;
    self->rows = 0;
    self->finished = false;
    self->failed = false;
    s_append (self, s_header, sizeof s_header);
}

void
ingest_copy_row (ingest_copy_t *self, int field_count)
{
    assert (self);
    assert (field_count >= 1 && field_count <= INT16_MAX);
    self->rows++;
    s_append_be (self, (uint16_t) field_count, sizeof (int16_t));
}

void
ingest_copy_int32 (ingest_copy_t *self, int32_t value)
{
    assert (self);
    s_append_be (self, sizeof (int32_t), sizeof (int32_t));
    s_append_be (self, (uint32_t) value, sizeof (int32_t));
}

void
ingest_copy_int64 (ingest_copy_t *self, int64_t value)
{
    assert (self);
    s_append_be (self, sizeof (int64_t), sizeof (int32_t));
    s_append_be (self, (uint64_t) value, sizeof (int64_t));
}

void
ingest_copy_bytes (ingest_copy_t *self, const void *data, size_t size)
{
    assert (self);
    assert (data || size == 0);
    assert (size <= INT32_MAX);
    s_append_be (self, (uint32_t) size, sizeof (int32_t));
    s_append (self, data, size);
}

void
ingest_copy_text (ingest_copy_t *self, const char *text)
{
    assert (text);
    ingest_copy_bytes (self, text, strlen (text));
}

void
ingest_copy_null (ingest_copy_t *self)
{
    assert (self);
    s_append_be (self, (uint32_t) INGEST_COPY_NULL_LENGTH, sizeof (int32_t));
}

size_t
ingest_copy_rows (const ingest_copy_t *self)
{
    assert (self);
    return self->rows;
}

const uint8_t *
ingest_copy_finish (ingest_copy_t *self, size_t *size)
{
    assert (self && size);
    if (!self->finished) {
        s_append_be (self, (uint16_t) INGEST_COPY_TRAILER, sizeof (int16_t));
        self->finished = true;
    }
    if (self->failed)
        return NULL;
    *size = self->size;
    return self->data;
}

void
ingest_copy_optional_text (ingest_copy_t *self, const char *text)
{
    if (text && *text)
        ingest_copy_text (self, text);
    else
        ingest_copy_null (self);
}

void
ingest_copy_event (ingest_copy_t *self, const sp_event_t *event, uint32_t partition,
                   uint64_t sequence, int64_t ingested_at, const uint8_t *hash, size_t hash_size,
                   const uint8_t *packed, size_t packed_size)
{
    assert (self && event && hash && packed);
    assert (partition <= INT32_MAX && sequence <= INT64_MAX);
    ingest_copy_row (self, INGEST_COPY_EVENT_COLUMNS);
    ingest_copy_int32 (self, (int32_t) partition);
    ingest_copy_int64 (self, (int64_t) sequence);
    ingest_copy_text (self, event->event_id);
    ingest_copy_text (self, sp_event_type_name (event->type));
    ingest_copy_int64 (self, event->occurred_at);
    ingest_copy_int64 (self, ingested_at);
    ingest_copy_optional_text (self, event->customer_id);
    ingest_copy_optional_text (self, event->opportunity_id);
    ingest_copy_optional_text (self, event->rep_id);
    ingest_copy_optional_text (self, event->team_id);
    ingest_copy_optional_text (self, event->region_id);
    ingest_copy_bytes (self, hash, hash_size);
    ingest_copy_bytes (self, packed, packed_size);
}
