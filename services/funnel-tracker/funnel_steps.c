/*  funnel_steps - how far one entity got through one funnel.

    Hits are expanded to one entry per matched step, sorted, then walked
    once: O(n log n) for n entries, O(n * steps) worst case in sequence
    mode because a chain's per-step times are copied when it grows (steps
    are at most 16). The entry buffer is kept between evaluations so that
    re-evaluating an entity's history does not allocate each time.
*/
#include "funnel_steps.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"

/* Entry step value of a hit that matches no step: sorts before step 1, as
   ClickHouse stores such rows as event 0. */
#define S_STEP_NONE 0

/* A hit for one step, the unit that is sorted and walked. */
typedef struct {
    int64_t timestamp_ms; /* when */
    uint64_t sequence;    /* the hit's sequence */
    uint8_t step;         /* 1..step_count, or S_STEP_NONE */
} s_entry_t;

/* One sequence-mode chain: the latest to reach some step. */
typedef struct {
    bool set;                            /* some chain reached this step */
    int64_t start_ms;                    /* the chain's step 1 time: its window start */
    int64_t last_ms;                     /* the chain's latest step time */
    int64_t path_ms[FUNNEL_STEPS_MAX];   /* the chain's time for each step so far */
    uint64_t path_seq[FUNNEL_STEPS_MAX]; /* the chain's hit sequence for each step */
} s_chain_t;

struct _funnel_steps_t {
    funnel_steps_settings_t settings; /* validated copy */
    s_entry_t *entries;               /* scratch: expanded hits */
    size_t entries_size;              /* allocated entries */
};

void
funnel_steps_settings_init (funnel_steps_settings_t *settings, size_t step_count)
{
    assert (settings);
    memset (settings, 0, sizeof *settings);
    settings->mode = FUNNEL_STEPS_MODE_PIPELINE;
    settings->step_count = step_count;
    settings->window_ms = FUNNEL_STEPS_DEFAULT_WINDOW_MS;
}

/* Returns 0 when settings are usable, else -1 with the reason in error. */
static int
s_settings_check (const funnel_steps_settings_t *settings, char *error, size_t error_size)
{
    if (settings->mode != FUNNEL_STEPS_MODE_PIPELINE &&
        settings->mode != FUNNEL_STEPS_MODE_SEQUENCE) {
        sp_error_set (error, error_size, "invalid funnel mode %d", (int) settings->mode);
        return -1;
    }
    if (settings->step_count < 1 || settings->step_count > FUNNEL_STEPS_MAX) {
        sp_error_set (error, error_size, "funnel step count %zu is out of range 1..%d",
                      settings->step_count, FUNNEL_STEPS_MAX);
        return -1;
    }
    if (settings->window_ms < 0) {
        sp_error_set (error, error_size, "funnel window %lld ms is negative",
                      (long long) settings->window_ms);
        return -1;
    }
    bool strict =
        settings->strict_order || settings->strict_deduplication || settings->strict_increase;
    if (strict && settings->mode != FUNNEL_STEPS_MODE_SEQUENCE) {
        sp_error_set (error, error_size, "strict options apply only to sequence mode");
        return -1;
    }
    uint32_t terminal = settings->won_mask | settings->lost_mask;
    if (terminal && settings->mode != FUNNEL_STEPS_MODE_PIPELINE) {
        sp_error_set (error, error_size, "won and lost steps apply only to pipeline mode");
        return -1;
    }
    uint32_t all_steps = (uint32_t) ((UINT64_C (1) << settings->step_count) - 1);
    if (terminal & ~all_steps) {
        sp_error_set (error, error_size, "won or lost step beyond the funnel's %zu steps",
                      settings->step_count);
        return -1;
    }
    if (settings->won_mask & settings->lost_mask) {
        sp_error_set (error, error_size, "a funnel step cannot be both won and lost");
        return -1;
    }
    return 0;
}

funnel_steps_t *
funnel_steps_new (const funnel_steps_settings_t *settings, char *error, size_t error_size)
{
    assert (settings);
    if (s_settings_check (settings, error, error_size) != 0)
        return NULL;
    funnel_steps_t *self = (funnel_steps_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->settings = *settings;
    return self;
}

void
funnel_steps_destroy (funnel_steps_t **self_p)
{
    assert (self_p);
    funnel_steps_t *self = *self_p;
    if (!self)
        return;
    free (self->entries);
    free (self);
    *self_p = NULL;
}

const funnel_steps_settings_t *
funnel_steps_settings (const funnel_steps_t *self)
{
    assert (self);
    return &self->settings;
}

/* Sort key: (timestamp, step, sequence), a total order on distinct
   entries, so the result never depends on the order hits came in. */
static int
s_entry_compare (const void *left_p, const void *right_p)
{
    const s_entry_t *left = (const s_entry_t *) left_p;
    const s_entry_t *right = (const s_entry_t *) right_p;
    if (left->timestamp_ms != right->timestamp_ms)
        return left->timestamp_ms < right->timestamp_ms ? -1 : 1;
    if (left->step != right->step)
        return left->step < right->step ? -1 : 1;
    if (left->sequence != right->sequence)
        return left->sequence < right->sequence ? -1 : 1;
    return 0;
}

/* Counts the entries hits expand to; hits matching no step are kept only
   where they can matter (strict_order). Returns -1 on size overflow. */
static int
s_entry_count (const funnel_steps_t *self, const funnel_steps_hit_t *hits, size_t hit_count,
               size_t *count_p)
{
    uint32_t all_steps = (uint32_t) ((UINT64_C (1) << self->settings.step_count) - 1);
    size_t count = 0;
    for (size_t index = 0; index < hit_count; index++) {
        uint32_t mask = hits[index].step_mask;
        assert ((mask & ~all_steps) == 0);
        size_t bits = (size_t) __builtin_popcount (mask);
        if (bits == 0 && self->settings.strict_order)
            bits = 1;
        if (count > SIZE_MAX / sizeof (s_entry_t) - bits)
            return -1;
        count += bits;
    }
    *count_p = count;
    return 0;
}

/* Expands and sorts hits into self->entries and sets *count_p to their
   number. Returns 0, or -1 when out of memory. */
static int
s_entries_build (funnel_steps_t *self, const funnel_steps_hit_t *hits, size_t hit_count,
                 size_t *count_p)
{
    size_t count = 0;
    if (s_entry_count (self, hits, hit_count, &count) != 0)
        return -1;
    if (count > self->entries_size) {
        s_entry_t *grown = (s_entry_t *) realloc (self->entries, count * sizeof *grown);
        if (!grown)
            return -1;
        self->entries = grown;
        self->entries_size = count;
    }
    size_t filled = 0;
    for (size_t index = 0; index < hit_count; index++) {
        const funnel_steps_hit_t *hit = &hits[index];
        if (hit->step_mask == 0 && self->settings.strict_order) {
            self->entries[filled++] = (s_entry_t){ hit->timestamp_ms, hit->sequence, S_STEP_NONE };
            continue;
        }
        for (size_t step = 1; step <= self->settings.step_count; step++)
            if (hit->step_mask & (UINT32_C (1) << (step - 1)))
                self->entries[filled++] =
                    (s_entry_t){ hit->timestamp_ms, hit->sequence, (uint8_t) step };
    }
    assert (filled == count);
    if (count > 1)
        qsort (self->entries, count, sizeof *self->entries, s_entry_compare);
    *count_p = count;
    return 0;
}

/* True when later_ms is inside the window that starts at start_ms.
   later_ms >= start_ms (entries are sorted); the difference is taken in
   unsigned arithmetic, exact for any two int64 values in that order. */
static bool
s_in_window (const funnel_steps_t *self, int64_t start_ms, int64_t later_ms)
{
    assert (later_ms >= start_ms);
    uint64_t elapsed = (uint64_t) later_ms - (uint64_t) start_ms;
    return elapsed <= (uint64_t) self->settings.window_ms;
}

/* Marks step (1-based) reached by entry in result. */
static void
s_result_reach (funnel_steps_result_t *result, size_t step, const s_entry_t *entry)
{
    result->reached_mask |= UINT32_C (1) << (step - 1);
    result->reached_ms[step - 1] = entry->timestamp_ms;
    result->reached_sequence[step - 1] = entry->sequence;
}

static void
s_evaluate_pipeline (const funnel_steps_t *self, const s_entry_t *entries, size_t count,
                     funnel_steps_result_t *result)
{
    const funnel_steps_settings_t *settings = &self->settings;
    bool started = false;
    int64_t start_ms = 0;
    for (size_t index = 0; index < count; index++) {
        const s_entry_t *entry = &entries[index];
        assert (entry->step != S_STEP_NONE);
        uint32_t bit = UINT32_C (1) << (entry->step - 1);
        if (!started) {
            start_ms = entry->timestamp_ms;
            started = true;
        }
        if (!s_in_window (self, start_ms, entry->timestamp_ms))
            break; /* sorted: every later entry is outside too */
        if (settings->lost_mask & bit) {
            s_result_reach (result, entry->step, entry);
            result->outcome = FUNNEL_STEPS_OUTCOME_LOST;
            result->outcome_ms = entry->timestamp_ms;
            break;
        }
        for (size_t step = result->level + 1; step <= entry->step; step++)
            if (!(settings->lost_mask & (UINT32_C (1) << (step - 1))))
                s_result_reach (result, step, entry);
        if (entry->step > result->level)
            result->level = entry->step;
        if (settings->won_mask & bit) {
            result->outcome = FUNNEL_STEPS_OUTCOME_WON;
            result->outcome_ms = entry->timestamp_ms;
            break;
        }
    }
}

/* Records chain as the first to reach its step when that is deeper than
   any chain before. */
static void
s_sequence_note (funnel_steps_result_t *result, const s_chain_t *chain, size_t step)
{
    if (step <= result->level)
        return;
    result->level = step;
    result->reached_mask = (uint32_t) ((UINT64_C (1) << step) - 1);
    memcpy (result->reached_ms, chain->path_ms, step * sizeof chain->path_ms[0]);
    memcpy (result->reached_sequence, chain->path_seq, step * sizeof chain->path_seq[0]);
}

/* ClickHouse windowFunnel's event level (see the header for the source):
   chains[k] is the most recently started chain that reached step k + 1. */
static void
s_evaluate_sequence (const funnel_steps_t *self, const s_entry_t *entries, size_t count,
                     funnel_steps_result_t *result)
{
    const funnel_steps_settings_t *settings = &self->settings;
    s_chain_t chains[FUNNEL_STEPS_MAX];
    memset (chains, 0, sizeof chains);
    bool started = false;
    for (size_t index = 0; index < count; index++) {
        const s_entry_t *entry = &entries[index];
        if (entry->step == S_STEP_NONE) {
            assert (settings->strict_order);
            if (started)
                break;
            continue;
        }
        size_t level = entry->step - 1;
        if (level == 0) {
            s_chain_t *chain = &chains[0];
            chain->set = true;
            chain->start_ms = chain->last_ms = entry->timestamp_ms;
            chain->path_ms[0] = entry->timestamp_ms;
            chain->path_seq[0] = entry->sequence;
            started = true;
            s_sequence_note (result, chain, 1);
        }
        else if (settings->strict_deduplication && chains[level].set)
            break;
        else if (settings->strict_order && started && !chains[level - 1].set)
            break;
        else if (chains[level - 1].set) {
            const s_chain_t *previous = &chains[level - 1];
            bool matched = s_in_window (self, previous->start_ms, entry->timestamp_ms);
            if (settings->strict_increase)
                matched = matched && previous->last_ms < entry->timestamp_ms;
            if (matched) {
                s_chain_t *chain = &chains[level];
                *chain = *previous;
                chain->last_ms = entry->timestamp_ms;
                chain->path_ms[level] = entry->timestamp_ms;
                chain->path_seq[level] = entry->sequence;
                s_sequence_note (result, chain, level + 1);
                if (level + 1 == settings->step_count)
                    break;
            }
        }
    }
}

int
funnel_steps_evaluate (funnel_steps_t *self, const funnel_steps_hit_t *hits, size_t hit_count,
                       funnel_steps_result_t *result)
{
    assert (self);
    assert (hits || hit_count == 0);
    assert (result);
    size_t count = 0;
    if (s_entries_build (self, hits, hit_count, &count) != 0)
        return -1;
    memset (result, 0, sizeof *result);
    result->outcome = FUNNEL_STEPS_OUTCOME_OPEN;
    if (self->settings.mode == FUNNEL_STEPS_MODE_PIPELINE)
        s_evaluate_pipeline (self, self->entries, count, result);
    else
        s_evaluate_sequence (self, self->entries, count, result);
    return 0;
}
