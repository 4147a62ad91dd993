/*  sp_consumer_coalesce - merging one step's Redis commands (see
    sp_consumer_coalesce.h).

    One pass over the commands, in order. Two open-addressing hash tables
    find a key's record (its current generation and kind) and a slot's
    record (key, generation, field: the planned command standing for the
    slot). The plan is built as the commands come: a command that opens a
    slot, or cannot merge, appends a planned command; a command that joins
    a slot updates the slot's planned command in place. A full barrier
    (FLUSHALL...) raises an epoch instead of visiting every key: a key seen
    in an older epoch starts a new generation when it is next touched.
*/
#include "sp_consumer_coalesce.h"

#include "sp_array.h"
#include "sp_hash.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define S_INITIAL_ENTRIES 64  /* first size of the key, slot and plan arrays */
#define S_INITIAL_BUCKETS 128 /* first size of a hash table (a power of 2) */
#define S_SCORE_MAX 64        /* longest ZADD score taken as plain */
#define S_NO_FIELD_HASH UINT64_C (0x5e7) /* field hash of a SET slot (no field) */
#define S_COMMANDS_MAX (UINT32_MAX - 1)  /* most commands of one step (32-bit indexes) */

/* Kinds of mergeable command; a key's generation has at most one. */
typedef enum {
    S_KIND_NONE = 0,     /* nothing merged on the key in this generation yet */
    S_KIND_COUNTER = 1,  /* HINCRBY key field delta */
    S_KIND_STRING = 2,   /* SET key value */
    S_KIND_SORTED = 3,   /* ZADD key score member, ZREM key member */
    S_KIND_SET = 4,      /* SADD key member */
    S_KIND_GREATEST = 5, /* ZADD key GT score member */
} s_kind_t;

/* Commands a group may fold together (the plain single-member forms). */
typedef enum {
    S_GROUP_NONE = 0,
    S_GROUP_ZADD = 1,
    S_GROUP_ZREM = 2,
    S_GROUP_SADD = 3,
    S_GROUP_KINDS = 4, /* the groups of one key */
    S_GROUP_MSET = 4,  /* a SET that is its key's first command: one MSET across keys */
} s_group_op_t;

/* What the grouping needs of a planned command (parallel to the plan). */
typedef struct {
    uint32_t key;        /* index in keys */
    uint32_t generation; /* of the key */
    uint32_t epoch;      /* full barriers before it */
    s_group_op_t op;     /* the command written, as far as grouping goes */
} s_group_info_t;

/* The open group of one key and op while grouping. */
typedef struct {
    uint32_t generation; /* of the group */
    size_t last;         /* plan index of its last command */
    size_t members;      /* commands in it */
    bool open;           /* a group exists */
} s_open_group_t;

/* A key seen in the step. */
typedef struct {
    const char *bytes;   /* its name (borrowed) */
    size_t length;       /* bytes in it */
    uint64_t hash;       /* of the name */
    uint32_t generation; /* current generation */
    uint32_t epoch;      /* epoch of the generation */
    s_kind_t kind;       /* kind merged in the generation */
} s_key_t;

/* A slot: what one key's generation does to one field or member. */
typedef struct {
    uint64_t hash;         /* of key, generation and field */
    const char *field;     /* field or member (borrowed); NULL for SET */
    uint32_t field_length; /* bytes in it */
    uint32_t key;          /* index in keys */
    uint32_t generation;   /* of the key */
    uint32_t planned;      /* index in the plan of the command standing for it */
    double score;          /* S_KIND_GREATEST: the greatest score of the slot */
} s_slot_t;

/* An open-addressing table of entry indexes + 1 (0: empty). */
typedef struct {
    uint32_t *buckets; /* [capacity] */
    size_t capacity;   /* a power of 2, or 0 */
} s_table_t;

struct _sp_consumer_coalesce_t {
    s_key_t *keys;                        /* keys seen */
    size_t key_count, key_capacity;       /* in use, allocated */
    s_table_t key_table;                  /* name -> keys index */
    s_slot_t *slots;                      /* slots opened */
    size_t slot_count, slot_capacity;     /* in use, allocated */
    s_table_t slot_table;                 /* (key, generation, field) -> slots index */
    sp_consumer_coalesce_command_t *plan; /* planned commands */
    size_t plan_count, plan_capacity;     /* in use, allocated */
    s_group_info_t *groups;               /* [plan_capacity]: grouping facts of the plan */
    size_t groups_capacity;               /* allocated */
    s_open_group_t *open;                 /* [key_count * S_GROUP_KINDS] while grouping */
    size_t open_capacity;                 /* allocated */
    size_t added;                         /* commands added */
    size_t last_key;                      /* the key found last, for runs of commands on
                                             one key (none unless below key_count) */
    uint32_t epoch;                       /* raised by every full barrier */
    bool planned;                         /* plan() was called */
};

/* Commands that touch keys they do not name: a barrier for every key
   (SORT: its BY and GET patterns read keys it does not name). */
static const char *const s_full_barriers[] = {
    "FLUSHALL", "FLUSHDB",  "SWAPDB",   "SELECT", "EVAL",  "EVALSHA", "EVAL_RO", "EVALSHA_RO",
    "FCALL",    "FCALL_RO", "FUNCTION", "SCRIPT", "DEBUG", "MULTI",   "EXEC",    "SORT",
};

/* True when name (length bytes) is word, in any letter case. */
static bool
s_is (const char *name, size_t length, const char *word)
{
    size_t index = 0;
    for (; index < length && word[index]; index++) {
        char c = name[index];
        if (c >= 'a' && c <= 'z')
            c = (char) (c - 'a' + 'A');
        if (c != word[index])
            return false;
    }
    return index == length && word[index] == '\0';
}

static bool
s_is_full_barrier (const char *name, size_t length)
{
    for (size_t index = 0; index < sizeof s_full_barriers / sizeof s_full_barriers[0]; index++)
        if (s_is (name, length, s_full_barriers[index]))
            return true;
    return false;
}

bool
sp_consumer_coalesce_int64 (const char *text, size_t length, int64_t *value)
{
    assert (text || length == 0);
    if (length == 1 && text[0] == '0') {
        *value = 0;
        return true;
    }
    size_t index = 0;
    bool negative = length > 0 && text[0] == '-';
    if (negative)
        index++;
    if (index >= length || text[index] < '1' || text[index] > '9')
        return false;
    /* magnitude up to 2^63 (INT64_MIN's) in unsigned arithmetic */
    uint64_t limit = negative ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
    uint64_t magnitude = 0;
    for (; index < length; index++) {
        if (text[index] < '0' || text[index] > '9')
            return false;
        uint64_t digit = (uint64_t) (text[index] - '0');
        if (magnitude > (limit - digit) / 10)
            return false;
        magnitude = magnitude * 10 + digit;
    }
    if (negative)
        *value = magnitude == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) magnitude;
    else
        *value = (int64_t) magnitude;
    return true;
}

/* True for a plain decimal score: "-"? digits ("." digits)?. */
static bool
s_score_plain (const char *text, size_t length)
{
    if (length == 0 || length > S_SCORE_MAX)
        return false;
    size_t index = text[0] == '-' ? 1 : 0;
    size_t digits = 0;
    while (index < length && text[index] >= '0' && text[index] <= '9')
        index++, digits++;
    if (digits == 0)
        return false;
    if (index == length)
        return true;
    if (text[index] != '.')
        return false;
    index++;
    digits = 0;
    while (index < length && text[index] >= '0' && text[index] <= '9')
        index++, digits++;
    return digits > 0 && index == length;
}

/* ---------------------------------------------------------------- tables */

/* Makes room in table for one more entry after existing ones (kept at
   most half full), rehashing the entries when it grows; an entry's hash
   is the uint64_t at hash_offset. 0, or -1 with the table untouched. */
static int
s_table_reserve (s_table_t *table, size_t existing, const void *entries, size_t entry_size,
                 size_t hash_offset)
{
    size_t capacity = table->capacity ? table->capacity : S_INITIAL_BUCKETS;
    while (capacity < (existing + 1) * 2) {
        if (capacity > SIZE_MAX / 2 / sizeof (uint32_t))
            return -1;
        capacity *= 2;
    }
    if (capacity == table->capacity)
        return 0;
    uint32_t *buckets = (uint32_t *) calloc (capacity, sizeof *buckets);
    if (!buckets)
        return -1;
    for (size_t entry = 0; entry < existing; entry++) {
        uint64_t hash;
        memcpy (&hash, (const char *) entries + entry * entry_size + hash_offset, sizeof hash);
        size_t bucket = (size_t) hash & (capacity - 1);
        while (buckets[bucket])
            bucket = (bucket + 1) & (capacity - 1);
        buckets[bucket] = (uint32_t) (entry + 1);
    }
    free (table->buckets);
    table->buckets = buckets;
    table->capacity = capacity;
    return 0;
}

/* Puts entry index (its hash given) into table, which has room. */
static void
s_table_insert (s_table_t *table, uint64_t hash, size_t index)
{
    size_t mask = table->capacity - 1;
    size_t bucket = (size_t) hash & mask;
    while (table->buckets[bucket])
        bucket = (bucket + 1) & mask;
    table->buckets[bucket] = (uint32_t) (index + 1);
}

static void
s_table_clear (s_table_t *table)
{
    if (table->buckets)
        memset (table->buckets, 0, table->capacity * sizeof *table->buckets);
}

/* The key named bytes, or with create a new one. NULL when it was not
   seen (without create) or when memory ran out (with create). */
static s_key_t *
s_key (sp_consumer_coalesce_t *self, const char *bytes, size_t length, bool create)
{
    if (self->last_key < self->key_count) {
        s_key_t *last = &self->keys[self->last_key];
        if (last->length == length && (length == 0 || memcmp (last->bytes, bytes, length) == 0))
            return last;
    }
    uint64_t hash = sp_hash_bytes (bytes, length, 0);
    if (self->key_table.capacity) {
        size_t mask = self->key_table.capacity - 1;
        for (size_t bucket = (size_t) hash & mask; self->key_table.buckets[bucket];
             bucket = (bucket + 1) & mask) {
            s_key_t *key = &self->keys[self->key_table.buckets[bucket] - 1];
            if (key->hash == hash && key->length == length &&
                (length == 0 || memcmp (key->bytes, bytes, length) == 0)) {
                self->last_key = (size_t) (key - self->keys);
                return key;
            }
        }
    }
    if (!create)
        return NULL;
    if (sp_array_reserve ((void **) &self->keys, &self->key_capacity, self->key_count + 1,
                          sizeof *self->keys, S_INITIAL_ENTRIES) != 0 ||
        s_table_reserve (&self->key_table, self->key_count, self->keys, sizeof *self->keys,
                         offsetof (s_key_t, hash)) != 0)
        return NULL;
    s_table_insert (&self->key_table, hash, self->key_count);
    self->last_key = self->key_count;
    s_key_t *key = &self->keys[self->key_count++];
    *key = (s_key_t){ bytes, length, hash, 0, self->epoch, S_KIND_NONE };
    return key;
}

/* The slot of (key, its generation, field); *opened tells whether it is
   new (its planned index then left for the caller). NULL when memory ran
   out. */
static s_slot_t *
s_slot (sp_consumer_coalesce_t *self, size_t key_index, const char *field, size_t field_length,
        bool *opened)
{
    const s_key_t *key = &self->keys[key_index];
    uint64_t hash = field ? sp_hash_bytes (field, field_length, key->hash) : S_NO_FIELD_HASH;
    hash = sp_hash_mix (hash ^ (key->hash + ((uint64_t) key->generation << 32 | key_index)));
    if (self->slot_table.capacity) {
        size_t mask = self->slot_table.capacity - 1;
        for (size_t bucket = (size_t) hash & mask; self->slot_table.buckets[bucket];
             bucket = (bucket + 1) & mask) {
            s_slot_t *slot = &self->slots[self->slot_table.buckets[bucket] - 1];
            if (slot->hash == hash && slot->key == key_index &&
                slot->generation == key->generation && slot->field_length == field_length &&
                (!field) == (!slot->field) &&
                (field_length == 0 || memcmp (slot->field, field, field_length) == 0)) {
                *opened = false;
                return slot;
            }
        }
    }
    if (sp_array_reserve ((void **) &self->slots, &self->slot_capacity, self->slot_count + 1,
                          sizeof *self->slots, S_INITIAL_ENTRIES) != 0 ||
        s_table_reserve (&self->slot_table, self->slot_count, self->slots, sizeof *self->slots,
                         offsetof (s_slot_t, hash)) != 0)
        return NULL;
    s_table_insert (&self->slot_table, hash, self->slot_count);
    s_slot_t *slot = &self->slots[self->slot_count++];
    *slot = (s_slot_t){ hash, field, (uint32_t) field_length, (uint32_t) key_index, key->generation,
                        0,    0 };
    *opened = true;
    return slot;
}

/* ---------------------------------------------------------------- coalescer */

sp_consumer_coalesce_t *
sp_consumer_coalesce_new (void)
{
    sp_consumer_coalesce_t *self = (sp_consumer_coalesce_t *) calloc (1, sizeof *self);
    return self;
}

void
sp_consumer_coalesce_destroy (sp_consumer_coalesce_t **self_p)
{
    assert (self_p);
    sp_consumer_coalesce_t *self = *self_p;
    if (!self)
        return;
    free (self->keys);
    free (self->key_table.buckets);
    free (self->slots);
    free (self->slot_table.buckets);
    free (self->plan);
    free (self->groups);
    free (self->open);
    free (self);
    *self_p = NULL;
}

void
sp_consumer_coalesce_reset (sp_consumer_coalesce_t *self)
{
    assert (self);
    if (self->key_count)
        s_table_clear (&self->key_table);
    if (self->slot_count)
        s_table_clear (&self->slot_table);
    self->key_count = 0;
    self->last_key = 0;
    self->slot_count = 0;
    self->plan_count = 0;
    self->added = 0;
    self->epoch = 0;
    self->planned = false;
}

/* Appends a planned command for the command being added. */
static sp_consumer_coalesce_command_t *
s_plan_append (sp_consumer_coalesce_t *self, int64_t delta)
{
    if (sp_array_reserve ((void **) &self->plan, &self->plan_capacity, self->plan_count + 1,
                          sizeof *self->plan, S_INITIAL_ENTRIES) != 0)
        return NULL;
    sp_consumer_coalesce_command_t *planned = &self->plan[self->plan_count++];
    *planned =
        (sp_consumer_coalesce_command_t){ self->added, 1,     false, delta, SP_CONSUMER_COALESCE_NONE,
                                          false,       false };
    if (sp_array_reserve ((void **) &self->groups, &self->groups_capacity, self->plan_count,
                          sizeof *self->groups, S_INITIAL_ENTRIES) != 0) {
        self->plan_count--;
        return NULL;
    }
    self->groups[self->plan_count - 1] = (s_group_info_t){ 0, 0, self->epoch, S_GROUP_NONE };
    return planned;
}

/* Starts a new generation of key when it was last seen before the
   latest full barrier. */
static void
s_key_refresh (const sp_consumer_coalesce_t *self, s_key_t *key)
{
    if (key->epoch != self->epoch) {
        key->generation++;
        key->kind = S_KIND_NONE;
        key->epoch = self->epoch;
    }
}

/* A command that cannot merge: written as it came, a barrier for the
   keys it may name (every argument but the name). */
static int
s_add_barrier (sp_consumer_coalesce_t *self, int argc, const char *const *argv,
               const size_t *lengths)
{
    if (s_is_full_barrier (argv[0], lengths[0]))
        self->epoch++;
    else
        for (int index = 1; index < argc; index++) {
            /* made when new: a later SET of it is not its first command */
            s_key_t *key = s_key (self, argv[index], lengths[index], true);
            if (!key)
                return -1;
            key->generation++;
            key->kind = S_KIND_NONE;
            key->epoch = self->epoch;
        }
    return s_plan_append (self, 0) ? 0 : -1;
}

/* What a mergeable command does: its kind, field or member, delta. */
typedef struct {
    s_kind_t kind;       /* S_KIND_NONE: not mergeable */
    const char *field;   /* field or member; NULL for SET */
    size_t field_length; /* bytes in it */
    int64_t delta;       /* HINCRBY's increment */
    double score;        /* ZADD GT's score */
    s_group_op_t op;     /* how it may be grouped */
} s_form_t;

/* Reads a command's form (see the merge rules in the header). */
static s_form_t
s_form (int argc, const char *const *argv, const size_t *lengths)
{
    s_form_t form = { S_KIND_NONE, NULL, 0, 0, 0, S_GROUP_NONE };
    const char *name = argv[0];
    size_t length = lengths[0];
    if (argc == 4 && length == 7 && s_is (name, length, "HINCRBY")) {
        if (sp_consumer_coalesce_int64 (argv[3], lengths[3], &form.delta))
            form = (s_form_t){ S_KIND_COUNTER, argv[2], lengths[2], form.delta, 0, S_GROUP_NONE };
    }
    else if (argc == 3 && length == 3 && s_is (name, length, "SET"))
        form.kind = S_KIND_STRING;
    else if (argc == 4 && length == 4 && s_is (name, length, "ZADD")) {
        if (s_score_plain (argv[2], lengths[2]))
            form = (s_form_t){ S_KIND_SORTED, argv[3], lengths[3], 0, 0, S_GROUP_ZADD };
    }
    else if (argc == 5 && length == 4 && s_is (name, length, "ZADD") &&
             s_is (argv[2], lengths[2], "GT") && s_score_plain (argv[3], lengths[3])) {
        /* A plain score is at most S_SCORE_MAX bytes of [-0-9.]: read it
           as Redis does (strtod) from a terminated copy. */
        char score[S_SCORE_MAX + 1];
        memcpy (score, argv[3], lengths[3]);
        score[lengths[3]] = '\0';
        form = (s_form_t){ S_KIND_GREATEST,      argv[4],     lengths[4], 0,
                           strtod (score, NULL), S_GROUP_NONE };
    }
    else if (argc == 3 && length == 4) {
        if (s_is (name, length, "ZREM"))
            form = (s_form_t){ S_KIND_SORTED, argv[2], lengths[2], 0, 0, S_GROUP_ZREM };
        else if (s_is (name, length, "SADD"))
            form = (s_form_t){ S_KIND_SET, argv[2], lengths[2], 0, 0, S_GROUP_SADD };
    }
    return form;
}

int
sp_consumer_coalesce_add (sp_consumer_coalesce_t *self, int argc, const char *const *argv,
                          const size_t *lengths)
{
    assert (self && !self->planned && argc >= 1 && argv && lengths);
    assert (self->added < S_COMMANDS_MAX);
    s_form_t form = s_form (argc, argv, lengths);
    if (form.field_length > UINT32_MAX)
        form.kind = S_KIND_NONE; /* slots keep 32-bit lengths: such a command stays as it is */
    if (form.kind == S_KIND_NONE) {
        if (s_add_barrier (self, argc, argv, lengths) != 0)
            return -1;
        self->added++;
        return 0;
    }
    s_kind_t kind = form.kind;
    int64_t delta = form.delta;

    size_t keys_before = self->key_count;
    s_key_t *key = s_key (self, argv[1], lengths[1], true);
    if (!key)
        return -1;
    bool first_touch = self->key_count > keys_before; /* nothing named the key before */
    s_key_refresh (self, key);
    if (key->kind != kind) {
        if (key->kind != S_KIND_NONE)
            key->generation++;
        key->kind = kind;
    }
    bool opened = false;
    s_slot_t *slot =
        s_slot (self, (size_t) (key - self->keys), form.field, form.field_length, &opened);
    if (!slot)
        return -1;
    if (opened) {
        if (!s_plan_append (self, delta))
            return -1;
        slot->planned = (uint32_t) (self->plan_count - 1);
        slot->score = form.score;
        s_group_op_t op = kind == S_KIND_STRING && first_touch ? S_GROUP_MSET : form.op;
        self->groups[slot->planned] =
            (s_group_info_t){ (uint32_t) (key - self->keys), key->generation, self->epoch, op };
        self->added++;
        return 0;
    }
    sp_consumer_coalesce_command_t *planned = &self->plan[slot->planned];
    switch (kind) {
        case S_KIND_COUNTER:
            if ((delta > 0 && planned->delta > INT64_MAX - delta) ||
                (delta < 0 && planned->delta < INT64_MIN - delta)) {
                /* the sum would leave int64: the slot starts again here */
                if (!s_plan_append (self, delta))
                    return -1;
                slot->planned = (uint32_t) (self->plan_count - 1);
                break;
            }
            planned->delta += delta;
            planned->replaces_delta = true;
            planned->merged++;
            break;
        case S_KIND_STRING:
            planned->source = self->added; /* the last one wins, where the first stood */
            planned->merged++;
            break;
        case S_KIND_SORTED:
            planned->source = self->added; /* the last one wins */
            planned->merged++;
            self->groups[slot->planned].op = form.op; /* a ZREM may follow a ZADD */
            break;
        case S_KIND_GREATEST:
            /* ZADD GT of s1, s2, ... leaves the greatest of them and the
               score held before: one ZADD GT of the greatest does the same */
            if (form.score > slot->score) {
                planned->source = self->added;
                slot->score = form.score;
            }
            planned->merged++;
            break;
        case S_KIND_SET:
        case S_KIND_NONE:
        default:
            planned->merged++; /* the first one stands */
            break;
    }
    self->added++;
    return 0;
}

size_t
sp_consumer_coalesce_added (const sp_consumer_coalesce_t *self)
{
    assert (self);
    return self->added;
}

/* Folds the plan's single-member ZADDs, ZREMs and SADDs of one key's
   generation into groups, and the SETs that are their keys' first
   commands into MSETs (see "Groups" in the header). Out of memory leaves
   the plan ungrouped, which writes the same state. */
static void
s_group (sp_consumer_coalesce_t *self)
{
    size_t slots = self->key_count * S_GROUP_KINDS;
    if (slots == 0 || sp_array_reserve ((void **) &self->open, &self->open_capacity, slots,
                                        sizeof *self->open, S_INITIAL_ENTRIES) != 0)
        return;
    memset (self->open, 0, slots * sizeof *self->open);
    s_open_group_t mset = { 0, 0, 0, false }; /* generation: the epoch of the MSET */
    for (size_t index = 0; index < self->plan_count; index++) {
        const s_group_info_t *info = &self->groups[index];
        if (info->op == S_GROUP_NONE)
            continue;
        if (info->op == S_GROUP_MSET) {
            if (mset.open && mset.generation == info->epoch &&
                mset.members < SP_CONSUMER_COALESCE_GROUP_MAX) {
                self->plan[mset.last].next = index;
                self->plan[index].joined = true;
                mset.last = index;
                mset.members++;
            }
            else {
                mset = (s_open_group_t){ info->epoch, index, 1, true };
                self->plan[index].keys = true;
            }
            continue;
        }
        s_open_group_t *group = &self->open[(size_t) info->key * S_GROUP_KINDS + info->op];
        if (group->open && group->generation == info->generation &&
            group->members < SP_CONSUMER_COALESCE_GROUP_MAX) {
            self->plan[group->last].next = index;
            self->plan[index].joined = true;
            group->last = index;
            group->members++;
            continue;
        }
        *group = (s_open_group_t){ info->generation, index, 1, true };
    }
}

size_t
sp_consumer_coalesce_plan (sp_consumer_coalesce_t *self)
{
    assert (self);
    if (!self->planned) {
        size_t kept = 0;
        for (size_t index = 0; index < self->plan_count; index++) {
            const sp_consumer_coalesce_command_t *planned = &self->plan[index];
            if (planned->replaces_delta && planned->delta == 0)
                continue; /* a zero net of two or more */
            self->groups[kept] = self->groups[index];
            self->plan[kept++] = *planned;
        }
        self->plan_count = kept;
        s_group (self);
        self->planned = true;
    }
    return self->plan_count;
}

const sp_consumer_coalesce_command_t *
sp_consumer_coalesce_planned (const sp_consumer_coalesce_t *self, size_t index)
{
    assert (self && self->planned && index < self->plan_count);
    return &self->plan[index];
}
