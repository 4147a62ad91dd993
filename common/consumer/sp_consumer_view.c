/*  sp_consumer_view - the Redis values a handler reads, by key, for one
    run of one partition (see sp_consumer_view.h).

    Entries live in a hash table by key; the declared ones are also listed
    in declaration order for the fetch. A put moves the entry's previous
    value into an undo record (no copy), so a rewind gives it back and an
    accept frees it.
*/
#include "sp_consumer_view.h"

#include "sp_array.h"
#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Declared keys and undo records held at first; both arrays double. */
#define S_INITIAL_CAPACITY 64

/* What the run knows of one key. */
typedef struct {
    char *key;                              /* owned; also the hash table's key */
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
    zhashx_t *entries;  /* key -> s_entry_t (owned) */
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

static void
s_entry_destroy (void **item)
{
    s_entry_t *entry = (s_entry_t *) *item;
    if (!entry)
        return;
    s_drop_decoded (entry);
    free (entry->value);
    free (entry->key);
    free (entry);
    *item = NULL;
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

/* 0 when key may be used in this run; otherwise -1, with the reason
   recorded when record is true. */
static int
s_check_key (sp_consumer_view_t *self, const char *key, bool record)
{
    size_t length = strnlen (key, SP_CONSUMER_VIEW_KEY_MAX);
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

/* The entry of key, created unknown when missing; NULL when memory runs
   out. */
static s_entry_t *
s_entry (sp_consumer_view_t *self, const char *key)
{
    s_entry_t *entry = (s_entry_t *) zhashx_lookup (self->entries, key);
    if (entry)
        return entry;
    entry = (s_entry_t *) calloc (1, sizeof *entry);
    if (!entry)
        return NULL;
    entry->key = strdup (key);
    if (!entry->key || zhashx_insert (self->entries, entry->key, entry) != 0) {
        free (entry->key);
        free (entry);
        return NULL;
    }
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
    self->entries = zhashx_new ();
    if (!self->entries) {
        free (self);
        return NULL;
    }
    /* the entry owns its key: the table neither copies nor frees it */
    zhashx_set_key_duplicator (self->entries, NULL);
    zhashx_set_key_destructor (self->entries, NULL);
    zhashx_set_destructor (self->entries, s_entry_destroy);
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
    sp_consumer_view_accept (self);
    zhashx_destroy (&self->entries);
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
    zhashx_purge (self->entries);
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
    if (s_check_key (self, key, false) != 0)
        return -1;
    s_entry_t *entry = (s_entry_t *) zhashx_lookup (self->entries, key);
    if (entry)
        return 0;
    if (sp_array_reserve ((void **) &self->wanted, &self->wanted_capacity, self->wanted_count + 1,
                          sizeof *self->wanted, S_INITIAL_CAPACITY) != 0 ||
        !(entry = s_entry (self, key))) {
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
    if (s_check_key (self, key, true) != 0)
        return NULL;
    const s_entry_t *entry = (const s_entry_t *) zhashx_lookup (self->entries, key);
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

int
sp_consumer_view_put (sp_consumer_view_t *self, sp_consumer_batch_t *batch, const char *key,
                      const char *value, size_t length)
{
    assert (self && batch && key && (value || length == 0));
    assert (self->ready);
    assert (sp_consumer_batch_partition (batch) == self->partition);
    if (s_check_key (self, key, true) != 0)
        return -1;
    s_entry_t *entry = NULL;
    char *copy = s_copy (value ? value : "", length);
    if (!copy ||
        sp_array_reserve ((void **) &self->undo, &self->undo_capacity, self->undo_count + 1,
                          sizeof *self->undo, S_INITIAL_CAPACITY) != 0 ||
        !(entry = s_entry (self, key))) {
        free (copy);
        s_fail (self, "out of memory writing key \"%s\"", key);
        return -1;
    }
    const char *argv[] = { "SET", key, copy };
    const size_t lengths[] = { 3, strlen (key), length };
    if (sp_consumer_batch_command (batch, 3, argv, lengths) != 0) {
        free (copy);
        s_fail (self, "the atomic step is full writing key \"%s\"", key);
        return -1;
    }
    self->undo[self->undo_count++] = (s_undo_t){
        .entry = entry, .value = entry->value, .length = entry->length, .loaded = entry->loaded
    };
    s_drop_decoded (entry);
    entry->value = copy;
    entry->length = length;
    entry->loaded = true;
    return 0;
}

void *
sp_consumer_view_decoded (const sp_consumer_view_t *self, const char *key)
{
    assert (self && key);
    const s_entry_t *entry = (const s_entry_t *) zhashx_lookup (self->entries, key);
    return entry && entry->declared ? entry->decoded : NULL;
}

int
sp_consumer_view_set_decoded (sp_consumer_view_t *self, const char *key, void *decoded,
                              sp_consumer_view_free_fn *destroy)
{
    assert (self && key);
    s_entry_t *entry = (s_entry_t *) zhashx_lookup (self->entries, key);
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
