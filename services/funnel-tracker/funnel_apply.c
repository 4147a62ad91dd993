/*  funnel_apply - a contribution change as Redis commands (see
    funnel_apply.h).

    The change is first collected in a ledger: counter deltas by (key,
    field), sorted-set entries by key (the member is always the entity),
    and index-set members, the old contribution with sign -1 and the new
    one with +1. Equal entries cancel; what is left becomes commands.
*/
#include "funnel_apply.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_partition.h"

/* A counter change: HINCRBY key field delta. */
typedef struct {
    uint64_t hash;                       /* of key and field, to compare fast */
    char key[FUNNEL_KEYS_SIZE];          /* hash key */
    char field[FUNNEL_KEYS_FIELD_SIZE];  /* its field */
    int64_t delta;                       /* net change */
} s_counter_t;

/* A sorted-set entry of the entity: present before (old) and/or after. */
typedef struct {
    uint64_t hash;              /* of key */
    char key[FUNNEL_KEYS_SIZE]; /* sorted-set key */
    bool had, has;              /* member before / after the change */
    int64_t old_score, score;   /* its score before / after */
} s_entry_t;

/* A member for an index set (months:F or scopes:F): SADD when new. */
typedef struct {
    bool set_is_months;                    /* months:F, else scopes:F */
    char member[FUNNEL_KEYS_SCOPE_SIZE];   /* month or scope */
    bool had, has;                         /* counted in it before / after */
} s_member_t;

struct _funnel_apply_t {
    s_counter_t *counters; /* ledger of counter changes */
    size_t counter_count, counter_capacity;
    s_entry_t *entries; /* ledger of sorted-set entries */
    size_t entry_count, entry_capacity;
    s_member_t *members; /* ledger of index-set members */
    size_t member_count, member_capacity;
    uint32_t partition;       /* of the batch being built */
    const char *funnel;       /* name of the funnel being built */
    bool failed;              /* a key did not fit or memory ran out */
};

funnel_apply_t *
funnel_apply_new (void)
{
    return calloc (1, sizeof (funnel_apply_t));
}

void
funnel_apply_destroy (funnel_apply_t **self_p)
{
    assert (self_p);
    funnel_apply_t *self = *self_p;
    if (!self)
        return;
    free (self->counters);
    free (self->entries);
    free (self->members);
    free (self);
    *self_p = NULL;
}

static uint64_t
s_hash (const char *text, uint64_t hash)
{
    return sp_partition_hash (text, strlen (text)) ^ (hash * 1099511628211u);
}

/* Grows an array of element_size elements to hold one more. */
static void *
s_grow (void *array, size_t *capacity, size_t count, size_t element_size)
{
    if (count < *capacity)
        return array;
    size_t grown = *capacity ? *capacity * 2 : 64;
    void *bigger = realloc (array, grown * element_size);
    if (bigger)
        *capacity = grown;
    return bigger;
}

static void
s_count (funnel_apply_t *self, const char *key, const char *field, int64_t delta)
{
    if (self->failed || key[0] == '\0' || delta == 0)
        return;
    uint64_t hash = s_hash (field, s_hash (key, 0));
    for (size_t index = 0; index < self->counter_count; index++) {
        s_counter_t *counter = &self->counters[index];
        if (counter->hash == hash && strcmp (counter->key, key) == 0 &&
            strcmp (counter->field, field) == 0) {
            counter->delta += delta;
            return;
        }
    }
    s_counter_t *grown = s_grow (self->counters, &self->counter_capacity, self->counter_count,
                                 sizeof *grown);
    if (!grown) {
        self->failed = true;
        return;
    }
    self->counters = grown;
    s_counter_t *counter = &self->counters[self->counter_count++];
    counter->hash = hash;
    snprintf (counter->key, sizeof counter->key, "%s", key);
    snprintf (counter->field, sizeof counter->field, "%s", field);
    counter->delta = delta;
}

static void
s_count_step (funnel_apply_t *self, const char *key, const char *name, size_t step, int64_t delta)
{
    char field[FUNNEL_KEYS_FIELD_SIZE];
    funnel_keys_field (field, sizeof field, name, step);
    s_count (self, key, field, delta);
}

static void
s_entry (funnel_apply_t *self, const char *key, int64_t score, int sign)
{
    if (self->failed || key[0] == '\0')
        return;
    uint64_t hash = s_hash (key, 0);
    s_entry_t *entry = NULL;
    for (size_t index = 0; index < self->entry_count && !entry; index++)
        if (self->entries[index].hash == hash && strcmp (self->entries[index].key, key) == 0)
            entry = &self->entries[index];
    if (!entry) {
        s_entry_t *grown = s_grow (self->entries, &self->entry_capacity, self->entry_count,
                                   sizeof *grown);
        if (!grown) {
            self->failed = true;
            return;
        }
        self->entries = grown;
        entry = &self->entries[self->entry_count++];
        memset (entry, 0, sizeof *entry);
        entry->hash = hash;
        snprintf (entry->key, sizeof entry->key, "%s", key);
    }
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
        s_member_t *grown = s_grow (self->members, &self->member_capacity, self->member_count,
                                    sizeof *grown);
        if (!grown) {
            self->failed = true;
            return;
        }
        self->members = grown;
        found = &self->members[self->member_count++];
        memset (found, 0, sizeof *found);
        found->set_is_months = months;
        snprintf (found->member, sizeof found->member, "%s", member);
    }
    if (sign < 0)
        found->had = true;
    else
        found->has = true;
}

/* Checks a key builder's result. */
static void
s_key_built (funnel_apply_t *self, int length, char *key)
{
    if (length < 0) {
        self->failed = true;
        key[0] = '\0';
    }
}

/* The cohort part of one scope: steps reached, step-to-step times. */
static void
s_cohort (funnel_apply_t *self, const funnel_contribution_t *contribution, const char *scope,
          size_t step_count, int sign)
{
    char key[FUNNEL_KEYS_SIZE];
    s_key_built (self,
                 funnel_keys_month (key, sizeof key, self->partition, self->funnel, scope,
                                    contribution->cohort_month),
                 key);
    for (size_t step = 1; step <= step_count; step++) {
        if (contribution->steps.reached_mask & (UINT32_C (1) << (step - 1)))
            s_count_step (self, key, "reached", step, sign);
        if (!contribution->has_duration[step - 1])
            continue;
        int64_t duration = contribution->duration_ms[step - 1];
        s_count_step (self, key, "duration_sum", step, sign * duration);
        char distribution[FUNNEL_KEYS_SIZE];
        s_key_built (self,
                     funnel_keys_distribution (distribution, sizeof distribution, self->partition,
                                               self->funnel, scope, contribution->cohort_month,
                                               FUNNEL_DISTRIBUTION_DURATION, step),
                     distribution);
        s_entry (self, distribution, duration, sign);
    }
}

/* The outcome part of one scope: won or lost, amount, sales cycle. */
static void
s_outcome (funnel_apply_t *self, const funnel_contribution_t *contribution, const char *scope,
           int sign)
{
    const char *month = contribution->outcome_month;
    char key[FUNNEL_KEYS_SIZE];
    char distribution[FUNNEL_KEYS_SIZE];
    s_key_built (self, funnel_keys_month (key, sizeof key, self->partition, self->funnel, scope, month),
                 key);
    if (contribution->steps.outcome == FUNNEL_STEPS_OUTCOME_LOST) {
        s_count (self, key, "lost", sign);
        return;
    }
    s_count (self, key, "won", sign);
    if (contribution->has_cycle) {
        s_count (self, key, "cycle_sum", sign * contribution->cycle_ms);
        s_key_built (self,
                     funnel_keys_distribution (distribution, sizeof distribution, self->partition,
                                               self->funnel, scope, month,
                                               FUNNEL_DISTRIBUTION_CYCLE, 0),
                     distribution);
        s_entry (self, distribution, contribution->cycle_ms, sign);
    }
    if (contribution->won_kind == FUNNEL_AMOUNT_OTHER)
        s_count (self, key, "won_other_currency", sign);
    else if (contribution->won_kind == FUNNEL_AMOUNT_REPORTING) {
        s_count (self, key, "won_amount_sum", sign * contribution->won_amount);
        s_key_built (self,
                     funnel_keys_distribution (distribution, sizeof distribution, self->partition,
                                               self->funnel, scope, month,
                                               FUNNEL_DISTRIBUTION_AMOUNT, 0),
                     distribution);
        s_entry (self, distribution, contribution->won_amount, sign);
    }
}

/* The open-pipeline part of one scope. */
static void
s_open (funnel_apply_t *self, const funnel_contribution_t *contribution, const char *scope,
        int sign)
{
    size_t level = contribution->open_level;
    char key[FUNNEL_KEYS_SIZE];
    s_key_built (self, funnel_keys_open (key, sizeof key, self->partition, self->funnel, scope),
                 key);
    s_count_step (self, key, "count", level, sign);
    if (contribution->value_kind == FUNNEL_AMOUNT_OTHER)
        s_count_step (self, key, "other_currency", level, sign);
    else if (contribution->value_kind == FUNNEL_AMOUNT_REPORTING)
        s_count_step (self, key, "value", level, sign * contribution->value);
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
        if (contribution->cohort_month[0])
            s_cohort (self, contribution, scope, step_count, sign);
        if (contribution->outcome_month[0])
            s_outcome (self, contribution, scope, sign);
        if (contribution->open_level > 0)
            s_open (self, contribution, scope, sign);
        for (size_t step = 1; step <= step_count; step++) {
            const char *day = contribution->target_day[step - 1];
            if (!day[0])
                continue;
            char key[FUNNEL_KEYS_SIZE];
            s_key_built (self,
                         funnel_keys_day (key, sizeof key, self->partition, self->funnel, scope,
                                          day),
                         key);
            s_count_step (self, key, "sample", step, sign);
            if (contribution->target_converted[step - 1])
                s_count_step (self, key, "converted", step, sign);
        }
    }
}

static int
s_command (sp_consumer_batch_t *batch, int argc, const char *const *argv)
{
    return sp_consumer_batch_command (batch, argc, argv, NULL);
}

/* Writes the ledger's net change as commands. */
static int
s_emit (funnel_apply_t *self, sp_consumer_batch_t *batch, const char *entity)
{
    int commands = 0;
    char number[24];
    for (size_t index = 0; index < self->counter_count; index++) {
        const s_counter_t *counter = &self->counters[index];
        if (counter->delta == 0)
            continue;
        snprintf (number, sizeof number, "%" PRId64, counter->delta);
        if (s_command (batch, 4,
                       (const char *[]){ "HINCRBY", counter->key, counter->field, number }) != 0)
            return -1;
        commands++;
    }
    for (size_t index = 0; index < self->entry_count; index++) {
        const s_entry_t *entry = &self->entries[index];
        if (entry->has && !(entry->had && entry->old_score == entry->score)) {
            snprintf (number, sizeof number, "%" PRId64, entry->score);
            if (s_command (batch, 4, (const char *[]){ "ZADD", entry->key, number, entity }) != 0)
                return -1;
            commands++;
        }
        else if (entry->had && !entry->has) {
            if (s_command (batch, 3, (const char *[]){ "ZREM", entry->key, entity }) != 0)
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
        if (length < 0 ||
            s_command (batch, 3, (const char *[]){ "SADD", key, member->member }) != 0)
            return -1;
        commands++;
    }
    return commands;
}

int
funnel_apply_change (funnel_apply_t *self, sp_consumer_batch_t *batch,
                     const funnel_definition_t *definition, const char *entity,
                     const funnel_contribution_t *old, const funnel_contribution_t *updated)
{
    assert (self && batch && definition && entity && old && updated);
    self->counter_count = self->entry_count = self->member_count = 0;
    self->failed = false;
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
