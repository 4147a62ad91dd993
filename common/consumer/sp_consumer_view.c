/*  sp_consumer_view - the Redis values a handler reads, by key, for one
    run of one partition (see sp_consumer_view.h).

    Entries live in an open-addressing table by key (sp_hash), kept at
    most half full; the declared ones are also listed in declaration order
    for the fetch. Entry records are kept from run to run (a reset only
    frees their values), so a run of a thousand events allocates nothing
    but the values it reads and writes. A put moves the entry's previous
    value into an undo record (no copy), so a rewind gives it back and an
    accept frees it.
*/
#include "sp_consumer_view.h"

#include "sp_array.h"
#include "sp_hash.h"
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Declared keys, undo records and entry records held at first; the
   arrays double. */
#define S_INITIAL_CAPACITY 64
#define S_INITIAL_BUCKETS 128 /* first size of the table (a power of 2) */

/* What the run knows of one key. */
typedef struct {
    char key[SP_CONSUMER_VIEW_KEY_MAX];     /* NUL-terminated */
    size_t key_length;                      /* bytes before the NUL */
    uint64_t hash;                          /* of the key */
    char *value;                            /* NUL-terminated; NULL when none */
    size_t length;                          /* bytes of value */
    bool declared;                          /* named in begin: may be read */
    bool loaded;                            /* value is known (filled or put) */
    void *decoded;                          /* the handler's parse of value, or NULL */
    sp_consumer_view_free_fn *decoded_free; /* frees decoded, or NULL */
} s_entry_t;

/* How to undo one put. */
typedef struct {
    s_entry_t *entry; /* the key put */
    char *value;      /* its value before (owned), or NULL */
    size_t length;
    bool loaded;
} s_undo_t;

struct _sp_consumer_view_t {
    char service[SP_PARTITION_SERVICE_MAX]; /* key prefix */
    uint32_t partition;                     /* the run's partition */
    char prefix[SP_CONSUMER_VIEW_KEY_MAX];  /* "<service>:{p<partition>}:" */
    size_t prefix_length;
    s_entry_t **entries;     /* entry records (owned), the first used of them this run */
    size_t used;             /* records in use this run */
    size_t made;             /* records allocated (entries[0..made)) */
    size_t entry_capacity;   /* room in entries */
    s_entry_t **buckets;     /* the table: an entry, or NULL when free */
    size_t bucket_count;     /* a power of 2, or 0 */
    s_entry_t **wanted; /* declared entries, in declaration order */
    size_t wanted_count;
    size_t wanted_capacity;
    s_undo_t *undo; /* puts not yet accepted, oldest first */
    size_t undo_count;
    size_t undo_capacity;
    bool ready;  /* declarations closed */
    bool failed; /* error holds a reason */
    char error[SP_CONSUMER_VIEW_ERROR_SIZE];
};

/* ---------------------------------------------------------------- entries */

static void
s_drop_decoded (s_entry_t *entry)
{
    if (entry->decoded && entry->decoded_free)
        entry->decoded_free (entry->decoded);
    entry->decoded = NULL;
    entry->decoded_free = NULL;
}

/* Empties an entry record for its next use. */
static void
s_entry_clear (s_entry_t *entry)
{
    s_drop_decoded (entry);
    free (entry->value);
    entry->value = NULL;
    entry->length = 0;
    entry->declared = entry->loaded = false;
}

/* A copy of length bytes of value with a NUL after them, or NULL. */
static char *
s_copy (const char *value, size_t length)
{
    char *copy = (char *) malloc (length + 1);
    if (!copy)
        return NULL;
    if (length > 0)
        memcpy (copy, value, length);
    copy[length] = '\0';
    return copy;
}

/* Records the reason of a refused call. */
static void __attribute__ ((format (printf, 2, 3)))
s_fail (sp_consumer_view_t *self, const char *format, ...)
{
    va_list arguments;
    va_start (arguments, format);
    vsnprintf (self->error, sizeof self->error, format, arguments);
    va_end (arguments);
    self->failed = true;
}

/* 0 when key may be used in this run, with its length in *key_length;
   otherwise -1, with the reason recorded when record is true. */
static int
s_check_key (sp_consumer_view_t *self, const char *key, size_t *key_length, bool record)
{
    size_t length = strnlen (key, SP_CONSUMER_VIEW_KEY_MAX);
    *key_length = length;
    if (length >= SP_CONSUMER_VIEW_KEY_MAX) {
        if (record)
            s_fail (self, "key \"%.64s...\" is too long (%d bytes at most)", key,
                    SP_CONSUMER_VIEW_KEY_MAX - 1);
        return -1;
    }
    if (length <= self->prefix_length || memcmp (key, self->prefix, self->prefix_length) != 0) {
        if (record)
            s_fail (self, "key \"%s\" is not of partition %" PRIu32, key, self->partition);
        return -1;
    }
    return 0;
}

/* The entry of key (length bytes, checked), or NULL. */
static s_entry_t *
s_lookup (const sp_consumer_view_t *self, const char *key, size_t length)
{
    if (!self->bucket_count)
        return NULL;
    uint64_t hash = sp_hash_bytes (key, length, 0);
    size_t mask = self->bucket_count - 1;
    for (size_t bucket = (size_t) hash & mask; self->buckets[bucket];
         bucket = (bucket + 1) & mask) {
        s_entry_t *entry = self->buckets[bucket];
        if (entry->hash == hash && entry->key_length == length &&
            memcmp (entry->key, key, length) == 0)
            return entry;
    }
    return NULL;
}

/* Puts entry into the table, which has room. */
static void
s_insert (sp_consumer_view_t *self, s_entry_t *entry)
{
    size_t mask = self->bucket_count - 1;
    size_t bucket = (size_t) entry->hash & mask;
    while (self->buckets[bucket])
        bucket = (bucket + 1) & mask;
    self->buckets[bucket] = entry;
}

/* Makes the table hold count entries at most half full. 0, or -1 when
   memory runs out (the table untouched). */
static int
s_table_fit (sp_consumer_view_t *self, size_t count)
{
    size_t wanted = self->bucket_count ? self->bucket_count : S_INITIAL_BUCKETS;
    while (wanted < 2 * count) {
        if (wanted > SIZE_MAX / 4 / sizeof *self->buckets)
            return -1;
        wanted *= 2;
    }
    if (wanted == self->bucket_count)
        return 0;
    s_entry_t **buckets = (s_entry_t **) calloc (wanted, sizeof *buckets);
    if (!buckets)
        return -1;
    free (self->buckets);
    self->buckets = buckets;
    self->bucket_count = wanted;
    for (size_t index = 0; index < self->used; index++)
        s_insert (self, self->entries[index]);
    return 0;
}

/* The entry of key (length bytes, checked), created unknown when missing;
   NULL when memory runs out. */
static s_entry_t *
s_entry (sp_consumer_view_t *self, const char *key, size_t length)
{
    s_entry_t *entry = s_lookup (self, key, length);
    if (entry)
        return entry;
    if (s_table_fit (self, self->used + 1) != 0 ||
        sp_array_reserve ((void **) &self->entries, &self->entry_capacity, self->used + 1,
                          sizeof *self->entries, S_INITIAL_CAPACITY) != 0)
        return NULL;
    if (self->used == self->made) {
        entry = (s_entry_t *) calloc (1, sizeof *entry);
        if (!entry)
            return NULL;
        self->entries[self->made++] = entry;
    }
    entry = self->entries[self->used];
    memcpy (entry->key, key, length);
    entry->key[length] = '\0';
    entry->key_length = length;
    entry->hash = sp_hash_bytes (key, length, 0);
    self->used++;
    s_insert (self, entry);
    return entry;
}

/* ---------------------------------------------------------------- life */

sp_consumer_view_t *
sp_consumer_view_new (const char *service)
{
    assert (service);
    sp_consumer_view_t *self = (sp_consumer_view_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    snprintf (self->service, sizeof self->service, "%s", service);
    sp_consumer_view_reset (self, 0);
    return self;
}

void
sp_consumer_view_destroy (sp_consumer_view_t **self_p)
{
    assert (self_p);
    sp_consumer_view_t *self = *self_p;
    if (!self)
        return;
    sp_consumer_view_reset (self, 0);
    for (size_t index = 0; index < self->made; index++)
        free (self->entries[index]);
    free (self->entries);
    free (self->buckets);
    free (self->wanted);
    free (self->undo);
    free (self);
    *self_p = NULL;
}

void
sp_consumer_view_reset (sp_consumer_view_t *self, uint32_t partition)
{
    assert (self);
    sp_consumer_view_accept (self);
    for (size_t index = 0; index < self->used; index++)
        s_entry_clear (self->entries[index]);
    if (self->used && self->bucket_count)
        memset (self->buckets, 0, self->bucket_count * sizeof *self->buckets);
    self->used = 0;
    self->wanted_count = 0;
    self->ready = false;
    self->partition = partition;
    int length = sp_partition_key (self->prefix, sizeof self->prefix, self->service, partition, "");
    assert (length > 0);
    self->prefix_length = (size_t) length;
}

uint32_t
sp_consumer_view_partition (const sp_consumer_view_t *self)
{
    assert (self);
    return self->partition;
}

/* ---------------------------------------------------------------- begin */

int
sp_consumer_view_want (sp_consumer_view_t *self, const char *key)
{
    assert (self && key);
    assert (!self->ready);
    /* refused quietly: the run goes on, and reading the key fails its event */
    size_t length = 0;
    if (s_check_key (self, key, &length, false) != 0)
        return -1;
    s_entry_t *entry = s_lookup (self, key, length);
    if (entry)
        return 0;
    if (sp_array_reserve ((void **) &self->wanted, &self->wanted_capacity, self->wanted_count + 1,
                          sizeof *self->wanted, S_INITIAL_CAPACITY) != 0 ||
        !(entry = s_entry (self, key, length))) {
        s_fail (self, "out of memory declaring key \"%s\"", key);
        return -1;
    }
    entry->declared = true;
    self->wanted[self->wanted_count++] = entry;
    return 0;
}

/* ---------------------------------------------------------------- fetch */

size_t
sp_consumer_view_wanted (const sp_consumer_view_t *self)
{
    assert (self);
    return self->wanted_count;
}

const char *
sp_consumer_view_wanted_key (const sp_consumer_view_t *self, size_t index)
{
    assert (self && index < self->wanted_count);
    return self->wanted[index]->key;
}

int
sp_consumer_view_fill (sp_consumer_view_t *self, size_t index, const char *value, size_t length,
                       bool found)
{
    assert (self && index < self->wanted_count);
    assert (!self->ready);
    assert (!found || value || length == 0);
    s_entry_t *entry = self->wanted[index];
    char *copy = NULL;
    if (found && !(copy = s_copy (value, length)))
        return -1;
    s_drop_decoded (entry);
    free (entry->value);
    entry->value = copy;
    entry->length = found ? length : 0;
    entry->loaded = true;
    return 0;
}

void
sp_consumer_view_ready (sp_consumer_view_t *self)
{
    assert (self && !self->ready);
    for (size_t index = 0; index < self->wanted_count; index++)
        assert (self->wanted[index]->loaded);
    self->ready = true;
}

/* ---------------------------------------------------------------- apply */

const char *
sp_consumer_view_get (sp_consumer_view_t *self, const char *key, size_t *length, bool *found)
{
    assert (self && key && length && found);
    assert (self->ready);
    *length = 0;
    *found = false;
    size_t key_length = 0;
    if (s_check_key (self, key, &key_length, true) != 0)
        return NULL;
    const s_entry_t *entry = s_lookup (self, key, key_length);
    if (!entry || !entry->declared) {
        s_fail (self, "key \"%s\" was read but not declared in begin", key);
        return NULL;
    }
    assert (entry->loaded);
    if (!entry->value)
        return NULL;
    *length = entry->length;
    *found = true;
    return entry->value;
}

/* Destroys decoded, unless it is entry's own (which then leaves the
   entry too: it may no longer match the entry's value). */
static void
s_discard (s_entry_t *entry, void *decoded, sp_consumer_view_free_fn *destroy)
{
    if (entry && entry->decoded == decoded && decoded) {
        s_drop_decoded (entry);
        return;
    }
    if (decoded && destroy)
        destroy (decoded);
}

/* sp_consumer_view_put, then decoded (may be NULL) kept with the value. */
static int
s_put (sp_consumer_view_t *self, sp_consumer_batch_t *batch, const char *key, const char *value,
       size_t length, void *decoded, sp_consumer_view_free_fn *destroy)
{
    assert (self && batch && key && (value || length == 0));
    assert (self->ready);
    assert (sp_consumer_batch_partition (batch) == self->partition);
    size_t key_length = 0;
    if (s_check_key (self, key, &key_length, true) != 0) {
        s_discard (NULL, decoded, destroy);
        return -1;
    }
    s_entry_t *entry = NULL;
    char *copy = s_copy (value ? value : "", length);
    if (!copy ||
        sp_array_reserve ((void **) &self->undo, &self->undo_capacity, self->undo_count + 1,
                          sizeof *self->undo, S_INITIAL_CAPACITY) != 0 ||
        !(entry = s_entry (self, key, key_length))) {
        free (copy);
        s_discard (s_lookup (self, key, key_length), decoded, destroy);
        s_fail (self, "out of memory writing key \"%s\"", key);
        return -1;
    }
    const char *argv[] = { "SET", key, copy };
    const size_t lengths[] = { 3, key_length, length };
    if (sp_consumer_batch_command (batch, 3, argv, lengths) != 0) {
        free (copy);
        s_discard (entry, decoded, destroy);
        s_fail (self, "the atomic step is full writing key \"%s\"", key);
        return -1;
    }
    self->undo[self->undo_count++] = (s_undo_t){
        .entry = entry, .value = entry->value, .length = entry->length, .loaded = entry->loaded
    };
    if (!decoded || entry->decoded != decoded)
        s_drop_decoded (entry);
    entry->value = copy;
    entry->length = length;
    entry->loaded = true;
    entry->decoded = decoded;
    entry->decoded_free = decoded ? destroy : NULL;
    return 0;
}

int
sp_consumer_view_put (sp_consumer_view_t *self, sp_consumer_batch_t *batch, const char *key,
                      const char *value, size_t length)
{
    return s_put (self, batch, key, value, length, NULL, NULL);
}

int
sp_consumer_view_put_decoded (sp_consumer_view_t *self, sp_consumer_batch_t *batch, const char *key,
                              const char *value, size_t length, void *decoded,
                              sp_consumer_view_free_fn *destroy)
{
    return s_put (self, batch, key, value, length, decoded, destroy);
}

void *
sp_consumer_view_decoded (const sp_consumer_view_t *self, const char *key)
{
    assert (self && key);
    const s_entry_t *entry = s_lookup (self, key, strnlen (key, SP_CONSUMER_VIEW_KEY_MAX));
    return entry && entry->declared ? entry->decoded : NULL;
}

int
sp_consumer_view_set_decoded (sp_consumer_view_t *self, const char *key, void *decoded,
                              sp_consumer_view_free_fn *destroy)
{
    assert (self && key);
    s_entry_t *entry = s_lookup (self, key, strnlen (key, SP_CONSUMER_VIEW_KEY_MAX));
    if (!entry || !entry->declared || !entry->loaded) {
        if (decoded && destroy)
            destroy (decoded);
        s_fail (self, "key \"%s\" was not declared in begin: nothing to decode", key);
        return -1;
    }
    if (entry->decoded != decoded)
        s_drop_decoded (entry);
    entry->decoded = decoded;
    entry->decoded_free = destroy;
    return 0;
}

/* ---------------------------------------------------------------- events */

size_t
sp_consumer_view_mark (const sp_consumer_view_t *self)
{
    assert (self);
    return self->undo_count;
}

void
sp_consumer_view_rewind (sp_consumer_view_t *self, size_t mark)
{
    assert (self && mark <= self->undo_count);
    while (self->undo_count > mark) {
        s_undo_t *undo = &self->undo[--self->undo_count];
        s_entry_t *entry = undo->entry;
        s_drop_decoded (entry);
        free (entry->value);
        entry->value = undo->value;
        entry->length = undo->length;
        entry->loaded = undo->loaded;
    }
    self->failed = false;
    self->error[0] = '\0';
}

void
sp_consumer_view_accept (sp_consumer_view_t *self)
{
    assert (self);
    for (size_t index = 0; index < self->undo_count; index++)
        free (self->undo[index].value);
    self->undo_count = 0;
    self->failed = false;
    self->error[0] = '\0';
}

const char *
sp_consumer_view_error (const sp_consumer_view_t *self)
{
    assert (self);
    return self->failed ? self->error : NULL;
}
