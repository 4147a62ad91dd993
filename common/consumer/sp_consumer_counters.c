/*  sp_consumer_counters - a step's hash-field increments, summed (see
    sp_consumer_counters.h).

    Entries live in one array in the order first added, their keys and
    fields back to back in one text buffer; an open-addressing table
    (kept at most half full) finds an entry by (key, field). The undo log
    holds the changes since the last mark; a rewind that takes back new
    entries pops them (they are the newest) and rebuilds the table.
*/
#include "sp_consumer_counters.h"

#include "sp_array.h"
#include "sp_hash.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define S_INITIAL_ENTRIES 64  /* first size of the entry and undo arrays */
#define S_INITIAL_TEXT 4096   /* first size of the text buffer */
#define S_INITIAL_BUCKETS 128 /* first size of the table (a power of 2) */

typedef struct {
    size_t key;          /* offset of the key in text */
    size_t key_length;   /* its bytes */
    size_t field;        /* offset of the field in text (right after the key) */
    size_t field_length; /* its bytes */
    uint64_t hash;       /* of key and field */
    int64_t sum;         /* the increments so far */
} s_entry_t;

typedef struct {
    size_t entry;  /* index in entries */
    int64_t delta; /* added to its sum */
    bool created;  /* the entry was new */
} s_undo_t;

struct _sp_consumer_counters_t {
    s_entry_t *entries;   /* in the order first added */
    size_t count;         /* entries in use */
    size_t capacity;      /* entries allocated */
    char *text;           /* keys and fields, back to back */
    size_t text_length;   /* bytes in use */
    size_t text_capacity; /* bytes allocated */
    size_t *buckets;      /* entry index + 1, 0 when free */
    size_t bucket_count;  /* a power of 2, or 0 */
    s_undo_t *undo;       /* every change of the step, for rewinds */
    size_t undo_count;    /* in use */
    size_t undo_capacity; /* allocated */
    size_t last;          /* the entry added to last (< count), whose key's hash is kept */
    uint64_t last_key_hash; /* the hash of that entry's key */
};

/* The hash of key: a handler adds several fields of one key in a row,
   so the key of the entry added to last is compared first and its hash
   reused. */
static uint64_t
s_key_hash (const sp_consumer_counters_t *self, const char *key, size_t key_length)
{
    if (self->last < self->count) {
        const s_entry_t *last = &self->entries[self->last];
        if (last->key_length == key_length && memcmp (self->text + last->key, key, key_length) == 0)
            return self->last_key_hash;
    }
    return sp_hash_bytes (key, key_length, 0);
}

/* The key's hash seeds the field's: the key's length is hashed with it,
   so "ab"+"c" is not "a"+"bc". */
static uint64_t
s_hash (uint64_t key_hash, const char *field, size_t field_length)
{
    return sp_hash_bytes (field, field_length, key_hash);
}

static void
s_insert (sp_consumer_counters_t *self, size_t entry)
{
    size_t mask = self->bucket_count - 1;
    size_t bucket = (size_t) self->entries[entry].hash & mask;
    while (self->buckets[bucket])
        bucket = (bucket + 1) & mask;
    self->buckets[bucket] = entry + 1;
}

/* Makes the table fit count entries at most half full, rebuilding it
   when it grows (or when rebuild). 0, or -1 with the table untouched. */
static int
s_table (sp_consumer_counters_t *self, size_t count, bool rebuild)
{
    size_t wanted = self->bucket_count ? self->bucket_count : S_INITIAL_BUCKETS;
    while (wanted < 2 * count) {
        if (wanted > SIZE_MAX / 4 / sizeof *self->buckets)
            return -1;
        wanted *= 2;
    }
    if (wanted != self->bucket_count) {
        size_t *buckets = calloc (wanted, sizeof *buckets);
        if (!buckets)
            return -1;
        free (self->buckets);
        self->buckets = buckets;
        self->bucket_count = wanted;
        rebuild = true;
    }
    if (rebuild) {
        memset (self->buckets, 0, self->bucket_count * sizeof *self->buckets);
        for (size_t entry = 0; entry < self->count; entry++)
            s_insert (self, entry);
    }
    return 0;
}

sp_consumer_counters_t *
sp_consumer_counters_new (void)
{
    return calloc (1, sizeof (sp_consumer_counters_t));
}

void
sp_consumer_counters_destroy (sp_consumer_counters_t **self_p)
{
    assert (self_p);
    sp_consumer_counters_t *self = *self_p;
    if (!self)
        return;
    free (self->entries);
    free (self->text);
    free (self->buckets);
    free (self->undo);
    free (self);
    *self_p = NULL;
}

void
sp_consumer_counters_reset (sp_consumer_counters_t *self)
{
    assert (self);
    if (self->count && self->bucket_count)
        memset (self->buckets, 0, self->bucket_count * sizeof *self->buckets);
    self->count = 0;
    self->text_length = 0;
    self->undo_count = 0;
}

/* The entry of (key, field), or -1. */
static long long
s_find (const sp_consumer_counters_t *self, uint64_t hash, const char *key, size_t key_length,
        const char *field, size_t field_length)
{
    if (!self->bucket_count)
        return -1;
    size_t mask = self->bucket_count - 1;
    for (size_t bucket = (size_t) hash & mask; self->buckets[bucket];
         bucket = (bucket + 1) & mask) {
        const s_entry_t *entry = &self->entries[self->buckets[bucket] - 1];
        if (entry->hash == hash && entry->key_length == key_length &&
            entry->field_length == field_length &&
            memcmp (self->text + entry->key, key, key_length) == 0 &&
            memcmp (self->text + entry->field, field, field_length) == 0)
            return (long long) (self->buckets[bucket] - 1);
    }
    return -1;
}

int
sp_consumer_counters_add (sp_consumer_counters_t *self, const char *key, size_t key_length,
                          const char *field, size_t field_length, int64_t delta)
{
    assert (self && key && field);
    uint64_t key_hash = s_key_hash (self, key, key_length);
    uint64_t hash = s_hash (key_hash, field, field_length);
    if (sp_array_reserve ((void **) &self->undo, &self->undo_capacity, self->undo_count + 1,
                          sizeof *self->undo, S_INITIAL_ENTRIES) != 0)
        return -1;
    long long found = s_find (self, hash, key, key_length, field, field_length);
    if (found >= 0) {
        s_entry_t *entry = &self->entries[found];
        if ((delta > 0 && entry->sum > INT64_MAX - delta) ||
            (delta < 0 && entry->sum < INT64_MIN - delta))
            return -1;
        entry->sum += delta;
        self->undo[self->undo_count++] = (s_undo_t){ (size_t) found, delta, false };
        self->last = (size_t) found;
        self->last_key_hash = key_hash;
        return 0;
    }
    if (key_length > SIZE_MAX / 2 || field_length > SIZE_MAX / 2 - key_length ||
        sp_array_reserve ((void **) &self->text, &self->text_capacity,
                          self->text_length + key_length + field_length, 1, S_INITIAL_TEXT) != 0 ||
        sp_array_reserve ((void **) &self->entries, &self->capacity, self->count + 1,
                          sizeof *self->entries, S_INITIAL_ENTRIES) != 0 ||
        s_table (self, self->count + 1, false) != 0)
        return -1;
    s_entry_t *entry = &self->entries[self->count];
    *entry = (s_entry_t){ self->text_length, key_length, self->text_length + key_length,
                          field_length,      hash,       delta };
    memcpy (self->text + self->text_length, key, key_length);
    memcpy (self->text + self->text_length + key_length, field, field_length);
    self->text_length += key_length + field_length;
    s_insert (self, self->count);
    self->undo[self->undo_count++] = (s_undo_t){ self->count, delta, true };
    self->last = self->count;
    self->last_key_hash = key_hash;
    self->count++;
    return 0;
}

size_t
sp_consumer_counters_mark (const sp_consumer_counters_t *self)
{
    assert (self);
    return self->undo_count;
}

void
sp_consumer_counters_rewind (sp_consumer_counters_t *self, size_t mark)
{
    assert (self && mark <= self->undo_count);
    bool popped = false;
    while (self->undo_count > mark) {
        const s_undo_t *undo = &self->undo[--self->undo_count];
        if (undo->created) {
            /* the newest entry: its text is the buffer's tail */
            assert (undo->entry + 1 == self->count);
            self->text_length = self->entries[undo->entry].key;
            self->count--;
            popped = true;
        }
        else
            self->entries[undo->entry].sum -= undo->delta;
    }
    if (popped)
        (void) s_table (self, self->count, true); /* never grows: cannot fail */
}

size_t
sp_consumer_counters_size (const sp_consumer_counters_t *self)
{
    assert (self);
    return self->count;
}

size_t
sp_consumer_counters_bytes (const sp_consumer_counters_t *self)
{
    assert (self);
    return self->text_length;
}

void
sp_consumer_counters_entry (const sp_consumer_counters_t *self, size_t index, const char **key,
                            size_t *key_length, const char **field, size_t *field_length,
                            int64_t *sum)
{
    assert (self && index < self->count && key && key_length && field && field_length && sum);
    const s_entry_t *entry = &self->entries[index];
    *key = self->text + entry->key;
    *key_length = entry->key_length;
    *field = self->text + entry->field;
    *field_length = entry->field_length;
    *sum = entry->sum;
}
