/*  funnel_apply - a contribution change as Redis commands (see
    funnel_apply.h).

    The change is first collected in a ledger: counter deltas by (key,
    field), sorted-set entries by key (the member is always the entity),
    and index-set members, the old contribution with sign -1 and the new
    one with +1. Equal entries cancel; what is left becomes commands: the
    counters key by key (keys in the order the ledger first saw them),
    then the entries and members in the order it first saw each.

    This runs for every event (tens of keys each), so nothing here uses
    printf: the keys of one funnel and scope are built from a prefix
    written once per change (funnel_keys_prefix_t) with memcpy; hash
    fields are a table made once ("reached:3" is an index, not text);
    a key is found in the ledger through a small hash table, its counters
    through a list per key; numbers are written by sp_consumer_batch_number.
*/
#include "funnel_apply.h"

#include "sp_array.h"
#include "sp_hash.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define S_INITIAL_ENTRIES 64                      /* first size of the ledger arrays */
#define S_INITIAL_BUCKETS 256                     /* first size of the key table (a power of 2) */
#define S_PREFIXES_MAX (2 * FUNNEL_ENTITY_SCOPES) /* scopes of the old and the new contribution */
#define S_NONE SIZE_MAX                           /* no index */

/* Hash fields: "<name>:<k>" for the per-step names, "<name>" otherwise. */
typedef enum {
    S_FIELD_REACHED = 0,
    S_FIELD_DURATION_SUM,
    S_FIELD_COUNT,
    S_FIELD_VALUE,
    S_FIELD_OTHER_CURRENCY,
    S_FIELD_SAMPLE,
    S_FIELD_CONVERTED,
    S_FIELD_WON, /* the first name without a step */
    S_FIELD_LOST,
    S_FIELD_CYCLE_SUM,
    S_FIELD_WON_OTHER_CURRENCY,
    S_FIELD_WON_AMOUNT_SUM,
    S_FIELD_NAME_COUNT,
} s_field_name_t;

static const char *const s_field_names[S_FIELD_NAME_COUNT] = {
    "reached",   "duration_sum", "count", "value",     "other_currency",     "sample",
    "converted", "won",          "lost",  "cycle_sum", "won_other_currency", "won_amount_sum",
};

/* Field index of a name and step (0 for the names without a step). */
#define S_FIELD(name, step) ((size_t) (name) * (FUNNEL_STEPS_MAX + 1) + (step))
#define S_FIELD_COUNT_ALL (S_FIELD_NAME_COUNT * (FUNNEL_STEPS_MAX + 1))

/* A key the change touches. */
typedef struct {
    uint64_t hash;               /* of its text */
    size_t length;               /* bytes in text */
    char text[FUNNEL_KEYS_SIZE]; /* the key */
    size_t first_counter;        /* its first counter, S_NONE when none */
    size_t entry;                /* its sorted-set entry, S_NONE when none */
} s_key_t;

/* A counter change: HINCRBY key field delta. */
typedef struct {
    size_t key;    /* index in keys */
    size_t field;  /* S_FIELD (...) */
    size_t next;   /* the key's next counter, S_NONE at the end */
    int64_t delta; /* net change */
} s_counter_t;

/* A sorted-set entry of the entity: present before (old) and/or after. */
typedef struct {
    size_t key;               /* index in keys */
    bool had, has;            /* member before / after the change */
    int64_t old_score, score; /* its score before / after */
} s_entry_t;

/* A member for an index set (months:F or scopes:F): SADD when new. */
typedef struct {
    bool set_is_months;                  /* months:F, else scopes:F */
    char member[FUNNEL_KEYS_SCOPE_SIZE]; /* month or scope */
    size_t length;                       /* bytes in member */
    bool had, has;                       /* counted in it before / after */
} s_member_t;

/* A scope's key prefix, written once per change. */
typedef struct {
    const char *scope;           /* the scope (borrowed from a contribution) */
    funnel_keys_prefix_t prefix; /* its prefix; length 0 when it does not fit */
} s_prefix_t;

struct _funnel_apply_t {
    s_key_t *keys; /* ledger of keys touched */
    size_t key_count, key_capacity;
    size_t *buckets; /* key table: key index + 1, 0 = empty */
    size_t bucket_capacity;
    s_counter_t *counters; /* ledger of counter changes */
    size_t counter_count, counter_capacity;
    s_entry_t *entries; /* ledger of sorted-set entries */
    size_t entry_count, entry_capacity;
    s_member_t *members; /* ledger of index-set members */
    size_t member_count, member_capacity;
    s_prefix_t prefixes[S_PREFIXES_MAX]; /* prefixes of this change */
    size_t prefix_count;
    uint32_t partition; /* of the batch being built */
    const char *funnel; /* name of the funnel being built */
    bool failed;        /* a key did not fit or memory ran out */
    char fields[S_FIELD_COUNT_ALL][FUNNEL_KEYS_FIELD_SIZE]; /* every field's text */
    size_t field_lengths[S_FIELD_COUNT_ALL];                /* and its length */
};

funnel_apply_t *
funnel_apply_new (void)
{
    funnel_apply_t *self = calloc (1, sizeof (funnel_apply_t));
    if (!self)
        return NULL;
    for (size_t name = 0; name < S_FIELD_NAME_COUNT; name++) {
        if (name >= S_FIELD_WON) {
            size_t length = strlen (s_field_names[name]);
            assert (length < FUNNEL_KEYS_FIELD_SIZE);
            memcpy (self->fields[S_FIELD (name, 0)], s_field_names[name], length + 1);
            self->field_lengths[S_FIELD (name, 0)] = length;
            continue;
        }
        for (size_t step = 1; step <= FUNNEL_STEPS_MAX; step++)
            self->field_lengths[S_FIELD (name, step)] =
                (size_t) funnel_keys_field (self->fields[S_FIELD (name, step)],
                                            FUNNEL_KEYS_FIELD_SIZE, s_field_names[name], step);
    }
    return self;
}

void
funnel_apply_destroy (funnel_apply_t **self_p)
{
    assert (self_p);
    funnel_apply_t *self = *self_p;
    if (!self)
        return;
    free (self->keys);
    free (self->buckets);
    free (self->counters);
    free (self->entries);
    free (self->members);
    free (self);
    *self_p = NULL;
}

/* Puts key index into the key table, which has room. */
static void
s_bucket_insert (funnel_apply_t *self, uint64_t hash, size_t index)
{
    size_t mask = self->bucket_capacity - 1;
    size_t bucket = (size_t) hash & mask;
    while (self->buckets[bucket])
        bucket = (bucket + 1) & mask;
    self->buckets[bucket] = index + 1;
}

/* Keeps the key table at most half full with one more key. 0 or -1. */
static int
s_buckets_reserve (funnel_apply_t *self)
{
    size_t capacity = self->bucket_capacity ? self->bucket_capacity : S_INITIAL_BUCKETS;
    while (capacity < (self->key_count + 1) * 2)
        capacity *= 2;
    if (capacity == self->bucket_capacity)
        return 0;
    size_t *buckets = calloc (capacity, sizeof *buckets);
    if (!buckets)
        return -1;
    free (self->buckets);
    self->buckets = buckets;
    self->bucket_capacity = capacity;
    for (size_t index = 0; index < self->key_count; index++)
        s_bucket_insert (self, self->keys[index].hash, index);
    return 0;
}

/* Makes room for the next key, written in place by the caller into
   keys[key_count].text. NULL (failed) when memory runs out. */
static char *
s_key_room (funnel_apply_t *self)
{
    if (self->failed)
        return NULL;
    if (sp_array_reserve ((void **) &self->keys, &self->key_capacity, self->key_count + 1,
                          sizeof *self->keys, S_INITIAL_ENTRIES) != 0 ||
        s_buckets_reserve (self) != 0) {
        self->failed = true;
        return NULL;
    }
    return self->keys[self->key_count].text;
}

/* Takes the key just written into the room (length from its builder, -1
   when it did not fit): the index of that key in the ledger, S_NONE
   (failed) when it did not fit. */
static size_t
s_key_take (funnel_apply_t *self, int length)
{
    if (length < 0) {
        self->failed = true;
        return S_NONE;
    }
    s_key_t *candidate = &self->keys[self->key_count];
    candidate->length = (size_t) length;
    candidate->hash = sp_hash_bytes (candidate->text, candidate->length, 0);
    size_t mask = self->bucket_capacity - 1;
    for (size_t bucket = (size_t) candidate->hash & mask; self->buckets[bucket];
         bucket = (bucket + 1) & mask) {
        const s_key_t *key = &self->keys[self->buckets[bucket] - 1];
        if (key->hash == candidate->hash && key->length == candidate->length &&
            memcmp (key->text, candidate->text, candidate->length) == 0)
            return self->buckets[bucket] - 1;
    }
    candidate->first_counter = S_NONE;
    candidate->entry = S_NONE;
    s_bucket_insert (self, candidate->hash, self->key_count);
    return self->key_count++;
}

/* The prefix of scope for this change (written at its first use). */
static const funnel_keys_prefix_t *
s_prefix (funnel_apply_t *self, const char *scope)
{
    for (size_t index = 0; index < self->prefix_count; index++)
        if (strcmp (self->prefixes[index].scope, scope) == 0)
            return &self->prefixes[index].prefix;
    assert (self->prefix_count < S_PREFIXES_MAX);
    s_prefix_t *made = &self->prefixes[self->prefix_count++];
    made->scope = scope;
    if (funnel_keys_prefix (&made->prefix, self->partition, self->funnel, scope) != 0)
        made->prefix.length = 0; /* every key of it then fails */
    return &made->prefix;
}

static void
s_count (funnel_apply_t *self, size_t key, size_t field, int64_t delta)
{
    if (self->failed || key == S_NONE || delta == 0)
        return;
    size_t last = S_NONE; /* the key's last counter */
    for (size_t index = self->keys[key].first_counter; index != S_NONE;
         index = self->counters[index].next) {
        if (self->counters[index].field == field) {
            self->counters[index].delta += delta;
            return;
        }
        last = index;
    }
    if (sp_array_reserve ((void **) &self->counters, &self->counter_capacity,
                          self->counter_count + 1, sizeof *self->counters,
                          S_INITIAL_ENTRIES) != 0) {
        self->failed = true;
        return;
    }
    self->counters[self->counter_count] = (s_counter_t){ key, field, S_NONE, delta };
    if (last == S_NONE)
        self->keys[key].first_counter = self->counter_count;
    else
        self->counters[last].next = self->counter_count;
    self->counter_count++;
}

static void
s_count_step (funnel_apply_t *self, size_t key, s_field_name_t name, size_t step, int64_t delta)
{
    assert (name < S_FIELD_WON && step >= 1 && step <= FUNNEL_STEPS_MAX);
    s_count (self, key, S_FIELD (name, step), delta);
}

static void
s_entry (funnel_apply_t *self, size_t key, int64_t score, int sign)
{
    if (self->failed || key == S_NONE)
        return;
    size_t index = self->keys[key].entry;
    if (index == S_NONE) {
        if (sp_array_reserve ((void **) &self->entries, &self->entry_capacity,
                              self->entry_count + 1, sizeof *self->entries,
                              S_INITIAL_ENTRIES) != 0) {
            self->failed = true;
            return;
        }
        index = self->entry_count++;
        self->entries[index] = (s_entry_t){ key, false, false, 0, 0 };
        self->keys[key].entry = index;
    }
    s_entry_t *entry = &self->entries[index];
    if (sign < 0) {
        entry->had = true;
        entry->old_score = score;
    }
    else {
        entry->has = true;
        entry->score = score;
    }
}

static void
s_member (funnel_apply_t *self, bool months, const char *member, int sign)
{
    if (self->failed || member[0] == '\0')
        return;
    s_member_t *found = NULL;
    for (size_t index = 0; index < self->member_count && !found; index++)
        if (self->members[index].set_is_months == months &&
            strcmp (self->members[index].member, member) == 0)
            found = &self->members[index];
    if (!found) {
        size_t length = strlen (member);
        assert (length < FUNNEL_KEYS_SCOPE_SIZE);
        if (sp_array_reserve ((void **) &self->members, &self->member_capacity,
                              self->member_count + 1, sizeof *self->members,
                              S_INITIAL_ENTRIES) != 0) {
            self->failed = true;
            return;
        }
        found = &self->members[self->member_count++];
        memset (found, 0, sizeof *found);
        found->set_is_months = months;
        memcpy (found->member, member, length + 1);
        found->length = length;
    }
    if (sign < 0)
        found->had = true;
    else
        found->has = true;
}

/* The ledger index of scope's month key (S_NONE when it failed). */
static size_t
s_month_key (funnel_apply_t *self, const funnel_keys_prefix_t *prefix, const char *month)
{
    char *room = s_key_room (self);
    return room
               ? s_key_take (self, funnel_keys_prefix_month (room, FUNNEL_KEYS_SIZE, prefix, month))
               : S_NONE;
}

static size_t
s_distribution_key (funnel_apply_t *self, const funnel_keys_prefix_t *prefix, const char *month,
                    funnel_distribution_t distribution, size_t step)
{
    char *room = s_key_room (self);
    return room ? s_key_take (self, funnel_keys_prefix_distribution (room, FUNNEL_KEYS_SIZE, prefix,
                                                                     month, distribution, step))
                : S_NONE;
}

/* The cohort part of one scope: steps reached, step-to-step times. */
static void
s_cohort (funnel_apply_t *self, const funnel_contribution_t *contribution,
          const funnel_keys_prefix_t *prefix, size_t step_count, int sign)
{
    size_t key = s_month_key (self, prefix, contribution->cohort_month);
    for (size_t step = 1; step <= step_count; step++) {
        if (contribution->steps.reached_mask & (UINT32_C (1) << (step - 1)))
            s_count_step (self, key, S_FIELD_REACHED, step, sign);
        if (!contribution->has_duration[step - 1])
            continue;
        int64_t duration = contribution->duration_ms[step - 1];
        s_count_step (self, key, S_FIELD_DURATION_SUM, step, sign * duration);
        s_entry (self,
                 s_distribution_key (self, prefix, contribution->cohort_month,
                                     FUNNEL_DISTRIBUTION_DURATION, step),
                 duration, sign);
    }
}

/* The outcome part of one scope: won or lost, amount, sales cycle. */
static void
s_outcome (funnel_apply_t *self, const funnel_contribution_t *contribution,
           const funnel_keys_prefix_t *prefix, int sign)
{
    const char *month = contribution->outcome_month;
    size_t key = s_month_key (self, prefix, month);
    if (contribution->steps.outcome == FUNNEL_STEPS_OUTCOME_LOST) {
        s_count (self, key, S_FIELD (S_FIELD_LOST, 0), sign);
        return;
    }
    s_count (self, key, S_FIELD (S_FIELD_WON, 0), sign);
    if (contribution->has_cycle) {
        s_count (self, key, S_FIELD (S_FIELD_CYCLE_SUM, 0), sign * contribution->cycle_ms);
        s_entry (self, s_distribution_key (self, prefix, month, FUNNEL_DISTRIBUTION_CYCLE, 0),
                 contribution->cycle_ms, sign);
    }
    if (contribution->won_kind == FUNNEL_AMOUNT_OTHER)
        s_count (self, key, S_FIELD (S_FIELD_WON_OTHER_CURRENCY, 0), sign);
    else if (contribution->won_kind == FUNNEL_AMOUNT_REPORTING) {
        s_count (self, key, S_FIELD (S_FIELD_WON_AMOUNT_SUM, 0), sign * contribution->won_amount);
        s_entry (self, s_distribution_key (self, prefix, month, FUNNEL_DISTRIBUTION_AMOUNT, 0),
                 contribution->won_amount, sign);
    }
}

/* The open-pipeline part of one scope. */
static void
s_open (funnel_apply_t *self, const funnel_contribution_t *contribution,
        const funnel_keys_prefix_t *prefix, int sign)
{
    size_t level = contribution->open_level;
    char *room = s_key_room (self);
    size_t key =
        room ? s_key_take (self, funnel_keys_prefix_open (room, FUNNEL_KEYS_SIZE, prefix)) : S_NONE;
    s_count_step (self, key, S_FIELD_COUNT, level, sign);
    if (contribution->value_kind == FUNNEL_AMOUNT_OTHER)
        s_count_step (self, key, S_FIELD_OTHER_CURRENCY, level, sign);
    else if (contribution->value_kind == FUNNEL_AMOUNT_REPORTING)
        s_count_step (self, key, S_FIELD_VALUE, level, sign * contribution->value);
}

/* Every part of a contribution, with sign. */
static void
s_contribute (funnel_apply_t *self, const funnel_definition_t *definition,
              const funnel_contribution_t *contribution, int sign)
{
    size_t step_count = funnel_definition_step_count (definition);
    s_member (self, true, contribution->cohort_month, sign);
    s_member (self, true, contribution->outcome_month, sign);
    for (size_t index = 0; index < contribution->scope_count; index++) {
        const char *scope = contribution->scopes[index];
        if (index > 0)
            s_member (self, false, scope, sign);
        const funnel_keys_prefix_t *prefix = s_prefix (self, scope);
        if (contribution->cohort_month[0])
            s_cohort (self, contribution, prefix, step_count, sign);
        if (contribution->outcome_month[0])
            s_outcome (self, contribution, prefix, sign);
        if (contribution->open_level > 0)
            s_open (self, contribution, prefix, sign);
        for (size_t step = 1; step <= step_count; step++) {
            const char *day = contribution->target_day[step - 1];
            if (!day[0])
                continue;
            char *room = s_key_room (self);
            size_t key = room ? s_key_take (self, funnel_keys_prefix_day (room, FUNNEL_KEYS_SIZE,
                                                                          prefix, day))
                              : S_NONE;
            s_count_step (self, key, S_FIELD_SAMPLE, step, sign);
            if (contribution->target_converted[step - 1])
                s_count_step (self, key, S_FIELD_CONVERTED, step, sign);
        }
    }
}

/* Writes the ledger's net change as commands. */
static int
s_emit (funnel_apply_t *self, sp_consumer_batch_t *batch, const char *entity)
{
    int commands = 0;
    char number[SP_CONSUMER_BATCH_NUMBER_SIZE];
    size_t entity_length = strlen (entity);
    /* key by key, so the summed increments hash each key once (they
       reuse the hash for a run of fields of one key) */
    for (size_t key_index = 0; key_index < self->key_count; key_index++) {
        const s_key_t *key = &self->keys[key_index];
        for (size_t index = key->first_counter; index != S_NONE;
             index = self->counters[index].next) {
            const s_counter_t *counter = &self->counters[index];
            if (counter->delta == 0)
                continue;
            /* summed with the step's other increments of the field: one
               HINCRBY per field and step goes out (sp_consumer_batch.h) */
            if (sp_consumer_batch_increment (batch, key->text, key->length,
                                             self->fields[counter->field],
                                             self->field_lengths[counter->field],
                                             counter->delta) != 0)
                return -1;
            commands++;
        }
    }
    for (size_t index = 0; index < self->entry_count; index++) {
        const s_entry_t *entry = &self->entries[index];
        const s_key_t *key = &self->keys[entry->key];
        if (entry->has && !(entry->had && entry->old_score == entry->score)) {
            size_t number_length = sp_consumer_batch_number (number, entry->score);
            const char *argv[] = { "ZADD", key->text, number, entity };
            const size_t lengths[] = { 4, key->length, number_length, entity_length };
            if (sp_consumer_batch_command (batch, 4, argv, lengths) != 0)
                return -1;
            commands++;
        }
        else if (entry->had && !entry->has) {
            const char *argv[] = { "ZREM", key->text, entity };
            const size_t lengths[] = { 4, key->length, entity_length };
            if (sp_consumer_batch_command (batch, 3, argv, lengths) != 0)
                return -1;
            commands++;
        }
    }
    for (size_t index = 0; index < self->member_count; index++) {
        const s_member_t *member = &self->members[index];
        if (!member->has || member->had)
            continue;
        char key[FUNNEL_KEYS_SIZE];
        int length = member->set_is_months
                         ? funnel_keys_months (key, sizeof key, self->partition, self->funnel)
                         : funnel_keys_scopes (key, sizeof key, self->partition, self->funnel);
        if (length < 0)
            return -1;
        const char *argv[] = { "SADD", key, member->member };
        const size_t lengths[] = { 4, (size_t) length, member->length };
        if (sp_consumer_batch_command (batch, 3, argv, lengths) != 0)
            return -1;
        commands++;
    }
    return commands;
}

/* Empties the ledger for the next change. */
static void
s_clear (funnel_apply_t *self)
{
    if (self->key_count)
        memset (self->buckets, 0, self->bucket_capacity * sizeof *self->buckets);
    self->key_count = self->counter_count = self->entry_count = self->member_count = 0;
    self->prefix_count = 0;
    self->failed = false;
}

int
funnel_apply_change (funnel_apply_t *self, sp_consumer_batch_t *batch,
                     const funnel_definition_t *definition, const char *entity,
                     const funnel_contribution_t *old, const funnel_contribution_t *updated)
{
    assert (self && batch && definition && entity && old && updated);
    s_clear (self);
    self->partition = sp_consumer_batch_partition (batch);
    self->funnel = funnel_definition_name (definition);
    s_contribute (self, definition, old, -1);
    s_contribute (self, definition, updated, +1);
    if (self->failed)
        return -1;
    size_t mark = sp_consumer_batch_mark (batch);
    int commands = s_emit (self, batch, entity);
    if (commands < 0)
        sp_consumer_batch_rewind (batch, mark);
    return commands;
}
