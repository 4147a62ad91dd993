/*  funnel_entity - one entity's journey through one funnel (see
    funnel_entity.h). */
#include "funnel_entity.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "funnel_report.h"
#include "sp_error.h"
#include "sp_period.h"

/* First byte of the storage form; a new layout gets a new number.
   S_FORMAT_ROWS has the layout of S_FORMAT_HITS and may hold rows
   (step_mask 0); a record without rows is written as S_FORMAT_HITS. */
#define S_FORMAT_HITS 1
#define S_FORMAT_ROWS 2

/* Bytes of one packed name: length byte, value, timestamp, sequence. */
#define S_NAME_FIXED (1 + 8 + 8)
/* Bytes of one packed hit: timestamp, mask, sequence, kind, amount. */
#define S_HIT_SIZE (8 + 4 + 8 + 1 + 8)

/* Names kept: region, team, rep (FUNNEL_SCOPE_REGION.. - 1). */
#define S_NAMES 3

struct _funnel_entity_t {
    funnel_entity_name_t names[S_NAMES]; /* region, team, rep */
    funnel_entity_hit_t value;           /* latest amount-bearing hit (kind NONE: none) */
    funnel_entity_hit_t *hits;           /* kept hits */
    size_t hit_count;                    /* hits used */
    size_t hit_capacity;                 /* hits allocated */
};

funnel_entity_t *
funnel_entity_new (void)
{
    return calloc (1, sizeof (funnel_entity_t));
}

void
funnel_entity_destroy (funnel_entity_t **self_p)
{
    assert (self_p);
    funnel_entity_t *self = *self_p;
    if (!self)
        return;
    free (self->hits);
    free (self);
    *self_p = NULL;
}

void
funnel_entity_clear (funnel_entity_t *self)
{
    assert (self);
    memset (self->names, 0, sizeof self->names);
    memset (&self->value, 0, sizeof self->value);
    self->hit_count = 0;
}

/* True when (a_ms, a_sequence) comes after (b_ms, b_sequence). */
static bool
s_later (int64_t a_ms, uint64_t a_sequence, int64_t b_ms, uint64_t b_sequence)
{
    return a_ms > b_ms || (a_ms == b_ms && a_sequence > b_sequence);
}

static int
s_reserve (funnel_entity_t *self, size_t count)
{
    if (count <= self->hit_capacity)
        return 0;
    size_t capacity = self->hit_capacity ? self->hit_capacity * 2 : 8;
    while (capacity < count)
        capacity *= 2;
    funnel_entity_hit_t *hits = realloc (self->hits, capacity * sizeof *hits);
    if (!hits)
        return -1;
    self->hits = hits;
    self->hit_capacity = capacity;
    return 0;
}

int
funnel_entity_copy (funnel_entity_t *self, const funnel_entity_t *source)
{
    assert (self && source);
    if (s_reserve (self, source->hit_count) != 0)
        return -1;
    memcpy (self->names, source->names, sizeof self->names);
    self->value = source->value;
    if (source->hit_count)
        memcpy (self->hits, source->hits, source->hit_count * sizeof *self->hits);
    self->hit_count = source->hit_count;
    return 0;
}

/* The amount an event carries, if its type has one. */
static const Salespulse__Money *
s_event_amount (const Salespulse__SalesEvent *event)
{
    switch (event->body_case) {
        case SALESPULSE__SALES_EVENT__BODY_LEAD_CREATED:
            return event->lead_created ? event->lead_created->estimated_value : NULL;
        case SALESPULSE__SALES_EVENT__BODY_QUOTE_SENT:
            return event->quote_sent ? event->quote_sent->amount : NULL;
        case SALESPULSE__SALES_EVENT__BODY_DEAL_WON:
            return event->deal_won ? event->deal_won->amount : NULL;
        default:
            return NULL;
    }
}

static bool
s_update_name (funnel_entity_name_t *name, const char *value, int64_t timestamp_ms,
               uint64_t sequence)
{
    if (!value || !*value || strlen (value) > FUNNEL_ENTITY_NAME_MAX)
        return false;
    if (name->value[0] && !s_later (timestamp_ms, sequence, name->timestamp_ms, name->sequence))
        return false;
    memcpy (name->value, value, strlen (value) + 1);
    name->timestamp_ms = timestamp_ms;
    name->sequence = sequence;
    return true;
}

/* Pipeline mode: the hit becomes its step's hit when it is the earliest. */
static int
s_add_pipeline_hit (funnel_entity_t *self, const funnel_entity_hit_t *hit)
{
    for (size_t index = 0; index < self->hit_count; index++) {
        funnel_entity_hit_t *kept = &self->hits[index];
        if (kept->step_mask != hit->step_mask)
            continue;
        if (!s_later (kept->timestamp_ms, kept->sequence, hit->timestamp_ms, hit->sequence))
            return 0;
        *kept = *hit;
        return 1;
    }
    if (s_reserve (self, self->hit_count + 1) != 0)
        return -1;
    self->hits[self->hit_count++] = *hit;
    return 1;
}

static int
s_add_sequence_hit (funnel_entity_t *self, const funnel_entity_hit_t *hit)
{
    for (size_t index = 0; index < self->hit_count; index++)
        if (self->hits[index].sequence == hit->sequence)
            return 0;
    if (self->hit_count == FUNNEL_ENTITY_MAX_HITS || s_reserve (self, self->hit_count + 1) != 0)
        return -1;
    self->hits[self->hit_count++] = *hit;
    return 1;
}

int
funnel_entity_add (funnel_entity_t *self, const funnel_definition_t *definition,
                   const Salespulse__SalesEvent *event, uint32_t step_mask, uint64_t sequence,
                   const char *currency)
{
    assert (self && definition && event && currency);
    assert (step_mask != 0 || funnel_definition_keeps_rows (definition));
    funnel_entity_hit_t hit = {
        .timestamp_ms = event->occurred_at,
        .step_mask = step_mask,
        .sequence = sequence,
        .kind = FUNNEL_AMOUNT_NONE,
    };
    if (step_mask == 0) /* a row: only its place in the sequence matters */
        return s_add_sequence_hit (self, &hit);
    const Salespulse__Money *money = s_event_amount (event);
    if (money) {
        hit.kind = money->currency && strcmp (money->currency, currency) == 0
                       ? FUNNEL_AMOUNT_REPORTING
                       : FUNNEL_AMOUNT_OTHER;
        hit.amount = money->amount_minor;
    }
    int changed = 0;
    if (funnel_definition_mode (definition) == FUNNEL_STEPS_MODE_SEQUENCE) {
        changed = s_add_sequence_hit (self, &hit);
        if (changed < 0)
            return -1;
    }
    else {
        for (uint32_t bits = step_mask; bits; bits &= bits - 1) {
            funnel_entity_hit_t single = hit;
            single.step_mask = bits & (~bits + 1);
            int added = s_add_pipeline_hit (self, &single);
            if (added < 0)
                return -1;
            changed |= added;
        }
    }
    if (hit.kind != FUNNEL_AMOUNT_NONE &&
        (self->value.kind == FUNNEL_AMOUNT_NONE ||
         s_later (hit.timestamp_ms, hit.sequence, self->value.timestamp_ms, self->value.sequence))) {
        self->value = hit;
        changed = 1;
    }
    const char *names[S_NAMES] = { event->region_id, event->team_id, event->rep_id };
    for (size_t index = 0; index < S_NAMES; index++)
        if (s_update_name (&self->names[index], names[index], hit.timestamp_ms, sequence))
            changed = 1;
    return changed;
}

size_t
funnel_entity_hit_count (const funnel_entity_t *self)
{
    assert (self);
    return self->hit_count;
}

const funnel_entity_hit_t *
funnel_entity_hit (const funnel_entity_t *self, size_t index)
{
    assert (self && index < self->hit_count);
    return &self->hits[index];
}

const funnel_entity_name_t *
funnel_entity_name (const funnel_entity_t *self, funnel_scope_kind_t kind)
{
    assert (self && kind >= FUNNEL_SCOPE_REGION && kind <= FUNNEL_SCOPE_REP);
    return &self->names[kind - FUNNEL_SCOPE_REGION];
}

/* The label of the period of kind holding utc_ms. */
static int
s_label (const sp_tz_t *tz, sp_period_kind_t kind, int64_t utc_ms, char *label, size_t size)
{
    sp_period_t period;
    if (sp_period_cut (tz, kind, utc_ms, &period) != 0)
        return -1;
    size_t length = strlen (period.label);
    if (length >= size)
        return -1;
    memcpy (label, period.label, length + 1);
    return 0;
}

/* The amount of the hit that reached step (1-based) with sequence. */
static const funnel_entity_hit_t *
s_hit_of (const funnel_entity_t *self, size_t step, uint64_t sequence)
{
    uint32_t bit = UINT32_C (1) << (step - 1);
    for (size_t index = 0; index < self->hit_count; index++)
        if ((self->hits[index].step_mask & bit) && self->hits[index].sequence == sequence)
            return &self->hits[index];
    return NULL;
}

static void
s_scopes (const funnel_entity_t *self, funnel_contribution_t *contribution)
{
    funnel_keys_scope (contribution->scopes[0], FUNNEL_KEYS_SCOPE_SIZE, FUNNEL_SCOPE_COMPANY, "");
    contribution->scope_count = 1;
    for (int kind = FUNNEL_SCOPE_REGION; kind <= FUNNEL_SCOPE_REP; kind++) {
        const char *name = self->names[kind - FUNNEL_SCOPE_REGION].value;
        if (*name && funnel_keys_scope (contribution->scopes[contribution->scope_count],
                                        FUNNEL_KEYS_SCOPE_SIZE, (funnel_scope_kind_t) kind,
                                        name) > 0)
            contribution->scope_count++;
    }
}

static int
s_outcome (const funnel_entity_t *self, const funnel_definition_t *definition, const sp_tz_t *tz,
           funnel_contribution_t *contribution)
{
    const funnel_steps_result_t *steps = &contribution->steps;
    if (steps->outcome == FUNNEL_STEPS_OUTCOME_OPEN)
        return 0;
    if (s_label (tz, SP_PERIOD_MONTH, steps->outcome_ms, contribution->outcome_month,
                 sizeof contribution->outcome_month) != 0)
        return -1;
    if (steps->outcome != FUNNEL_STEPS_OUTCOME_WON)
        return 0;
    if (steps->reached_mask & 1u) {
        contribution->has_cycle = true;
        contribution->cycle_ms = steps->outcome_ms - steps->reached_ms[0];
    }
    size_t count = funnel_definition_step_count (definition);
    for (size_t step = 1; step <= count; step++) {
        if (funnel_definition_step (definition, step - 1)->outcome != FUNNEL_DEFINITION_OUTCOME_WON ||
            !(steps->reached_mask & (UINT32_C (1) << (step - 1))) ||
            steps->reached_ms[step - 1] != steps->outcome_ms)
            continue;
        const funnel_entity_hit_t *hit = s_hit_of (self, step, steps->reached_sequence[step - 1]);
        if (hit) {
            contribution->won_kind = hit->kind;
            contribution->won_amount = hit->amount;
        }
        break;
    }
    return 0;
}

int
funnel_entity_contribution (const funnel_entity_t *self, const funnel_definition_t *definition,
                            funnel_steps_t *evaluator, const sp_tz_t *tz,
                            funnel_contribution_t *contribution)
{
    assert (self && definition && evaluator && tz && contribution);
    memset (contribution, 0, sizeof *contribution);
    size_t count = funnel_definition_step_count (definition);
    uint32_t known = count >= 32 ? UINT32_MAX : (UINT32_C (1) << count) - 1;
    bool rows_kept = funnel_definition_keeps_rows (definition);
    size_t step_hits = 0;
    for (size_t index = 0; index < self->hit_count; index++) {
        uint32_t mask = self->hits[index].step_mask;
        if ((mask & ~known) || (mask == 0 && !rows_kept))
            return -1; /* kept for another definition: rebuild */
        step_hits += mask != 0;
    }
    if (step_hits == 0)
        return 0;
    funnel_steps_hit_t *hits = malloc (self->hit_count * sizeof *hits);
    if (!hits)
        return -1;
    for (size_t index = 0; index < self->hit_count; index++)
        hits[index] = (funnel_steps_hit_t){ .timestamp_ms = self->hits[index].timestamp_ms,
                                            .step_mask = self->hits[index].step_mask,
                                            .sequence = self->hits[index].sequence };
    int rc = funnel_steps_evaluate (evaluator, hits, self->hit_count, &contribution->steps);
    free (hits);
    if (rc != 0)
        return -1;
    s_scopes (self, contribution);
    const funnel_steps_result_t *steps = &contribution->steps;
    if ((steps->reached_mask & 1u) &&
        s_label (tz, SP_PERIOD_MONTH, steps->reached_ms[0], contribution->cohort_month,
                 sizeof contribution->cohort_month) != 0)
        return -1;
    for (size_t step = 2; step <= count; step++) {
        size_t previous = funnel_report_previous (definition, step);
        if (previous == 0)
            continue;
        uint32_t both = (UINT32_C (1) << (step - 1)) | (UINT32_C (1) << (previous - 1));
        if ((steps->reached_mask & both) != both)
            continue;
        contribution->has_duration[step - 1] = true;
        contribution->duration_ms[step - 1] =
            steps->reached_ms[step - 1] - steps->reached_ms[previous - 1];
    }
    if (s_outcome (self, definition, tz, contribution) != 0)
        return -1;
    if (funnel_definition_mode (definition) == FUNNEL_STEPS_MODE_PIPELINE &&
        steps->outcome == FUNNEL_STEPS_OUTCOME_OPEN && steps->level >= 1) {
        contribution->open_level = steps->level;
        contribution->value_kind = self->value.kind;
        contribution->value = self->value.amount;
    }
    for (size_t step = 1; step <= count; step++) {
        const funnel_definition_target_t *target =
            &funnel_definition_step (definition, step - 1)->target;
        if (!target->set || !(steps->reached_mask & (UINT32_C (1) << target->from)))
            continue;
        if (s_label (tz, SP_PERIOD_DAY, steps->reached_ms[target->from],
                     contribution->target_day[step - 1], FUNNEL_KEYS_DAY_SIZE) != 0)
            return -1;
        contribution->target_converted[step - 1] =
            (steps->reached_mask & (UINT32_C (1) << (step - 1))) != 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- storage */

static unsigned char *
s_put (unsigned char *cursor, uint64_t value, size_t bytes)
{
    for (size_t index = 0; index < bytes; index++)
        *cursor++ = (unsigned char) (value >> (8 * index));
    return cursor;
}

static uint64_t
s_get (const unsigned char **cursor, size_t bytes)
{
    uint64_t value = 0;
    for (size_t index = 0; index < bytes; index++)
        value |= (uint64_t) (*cursor)[index] << (8 * index);
    *cursor += bytes;
    return value;
}

static unsigned char *
s_put_hit (unsigned char *cursor, const funnel_entity_hit_t *hit)
{
    cursor = s_put (cursor, (uint64_t) hit->timestamp_ms, 8);
    cursor = s_put (cursor, hit->step_mask, 4);
    cursor = s_put (cursor, hit->sequence, 8);
    cursor = s_put (cursor, (uint64_t) hit->kind, 1);
    return s_put (cursor, (uint64_t) hit->amount, 8);
}

static int
s_get_hit (const unsigned char **cursor, funnel_entity_hit_t *hit)
{
    hit->timestamp_ms = (int64_t) s_get (cursor, 8);
    hit->step_mask = (uint32_t) s_get (cursor, 4);
    hit->sequence = s_get (cursor, 8);
    uint64_t kind = s_get (cursor, 1);
    hit->amount = (int64_t) s_get (cursor, 8);
    if (kind > FUNNEL_AMOUNT_OTHER)
        return -1;
    hit->kind = (funnel_amount_kind_t) kind;
    return 0;
}

unsigned char *
funnel_entity_pack (const funnel_entity_t *self, size_t *size)
{
    assert (self && size);
    unsigned version = S_FORMAT_HITS;
    for (size_t index = 0; index < self->hit_count; index++)
        if (self->hits[index].step_mask == 0)
            version = S_FORMAT_ROWS;
    size_t total = 1 + S_HIT_SIZE + 2 + self->hit_count * S_HIT_SIZE;
    for (size_t index = 0; index < S_NAMES; index++)
        total += S_NAME_FIXED + strlen (self->names[index].value);
    unsigned char *data = malloc (total);
    if (!data)
        return NULL;
    unsigned char *cursor = s_put (data, version, 1);
    for (size_t index = 0; index < S_NAMES; index++) {
        const funnel_entity_name_t *name = &self->names[index];
        size_t length = strlen (name->value);
        cursor = s_put (cursor, length, 1);
        memcpy (cursor, name->value, length);
        cursor += length;
        cursor = s_put (cursor, (uint64_t) name->timestamp_ms, 8);
        cursor = s_put (cursor, name->sequence, 8);
    }
    cursor = s_put_hit (cursor, &self->value);
    cursor = s_put (cursor, self->hit_count, 2);
    for (size_t index = 0; index < self->hit_count; index++)
        cursor = s_put_hit (cursor, &self->hits[index]);
    assert ((size_t) (cursor - data) == total);
    *size = total;
    return data;
}

int
funnel_entity_unpack (funnel_entity_t *self, const void *data, size_t size, char *error,
                      size_t error_size)
{
    assert (self && (data || size == 0));
    funnel_entity_clear (self);
    const unsigned char *cursor = data;
    const unsigned char *end = cursor + size;
    uint64_t version = size < 1 ? 0 : s_get (&cursor, 1);
    if (version != S_FORMAT_HITS && version != S_FORMAT_ROWS) {
        sp_error_set (error, error_size, "entity record: unknown format");
        return -1;
    }
    for (size_t index = 0; index < S_NAMES; index++) {
        if (end - cursor < 1)
            goto out_truncated;
        size_t length = (size_t) s_get (&cursor, 1);
        if (length > FUNNEL_ENTITY_NAME_MAX || (size_t) (end - cursor) < length + 16)
            goto out_truncated;
        funnel_entity_name_t *name = &self->names[index];
        memcpy (name->value, cursor, length);
        name->value[length] = '\0';
        cursor += length;
        name->timestamp_ms = (int64_t) s_get (&cursor, 8);
        name->sequence = s_get (&cursor, 8);
    }
    if (end - cursor < S_HIT_SIZE + 2 || s_get_hit (&cursor, &self->value) != 0)
        goto out_truncated;
    size_t count = (size_t) s_get (&cursor, 2);
    if (count > FUNNEL_ENTITY_MAX_HITS || (size_t) (end - cursor) != count * S_HIT_SIZE)
        goto out_truncated;
    if (s_reserve (self, count) != 0) {
        sp_error_set (error, error_size, "entity record: out of memory");
        funnel_entity_clear (self);
        return -1;
    }
    for (size_t index = 0; index < count; index++)
        if (s_get_hit (&cursor, &self->hits[index]) != 0 ||
            (self->hits[index].step_mask == 0 && version != S_FORMAT_ROWS))
            goto out_truncated;
    self->hit_count = count;
    return 0;
out_truncated:
    sp_error_set (error, error_size, "entity record: malformed or truncated (%zu bytes)", size);
    funnel_entity_clear (self);
    return -1;
}
