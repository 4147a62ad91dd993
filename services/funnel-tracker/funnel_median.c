/*  funnel_median - exact medians over unions of sorted sets (see funnel_median.h). */
#include "funnel_median.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"

#define S_NUMBER_SIZE 32                 /* an int64 in decimal, with "(" */
#define S_SCORE_LIMIT 9007199254740992.0 /* 2^53: integers a score holds exactly */
#define S_KEYS_INITIAL 8
#define S_RANKS_MAX 2      /* the middle rank, or the two middle ranks */
#define S_TARGETS_MAX 2    /* a group's searches: one, or two once its ranks part */
#define S_FETCH_MIN 256    /* a window this small is read whole */
#define S_FETCH_PER_SET 32 /* ... or this many members per set it spans */
#define S_BRACKET_LOW 3    /* bracket from the 3/10 weighted quantile of the pivots */
#define S_BRACKET_HIGH 7   /* to the 7/10 one */
#define S_BRACKET_MIDDLE 5 /* one value, the weighted median, when a bracket did not halve */
#define S_TENTHS 10        /* denominator of those quantiles */
#define S_ROUNDS_MAX 256   /* round trips before giving up (sets changing under us) */

/* What a search asks Redis for next. */
typedef enum {
    S_PHASE_PIVOT = 0, /* the members at the wanted ranks' share of each set's window */
    S_PHASE_COUNT = 1, /* the members below and up to the bracket in each set */
    S_PHASE_FETCH = 2, /* the whole window */
    S_PHASE_DONE = 3,  /* every rank found */
} s_phase_t;

/* One search for one or two adjacent ranks of a group's union. Its
   window: in set i the members of rank low[i] .. high[i] - 1 (0-based),
   the wanted ranks lie among them. */
typedef struct {
    size_t ranks;                /* ranks still wanted, 0 .. 2 */
    uint64_t rank[S_RANKS_MAX];  /* 1-based ranks in the union, ascending */
    size_t slot[S_RANKS_MAX];    /* where each goes in the group's values */
    s_phase_t phase;             /* what the next round asks */
    uint64_t *low;               /* [set count] first rank of the window */
    uint64_t *high;              /* [set count] one past its last rank */
    int64_t *pivot[S_RANKS_MAX]; /* [set count] the pivot member of each rank */
    int64_t bracket_low;         /* bracket of the count round, values */
    int64_t bracket_high;        /* (bracket_low <= bracket_high) */
    bool narrow;                 /* the next bracket is one value */
} s_target_t;

/* One group: the sorted sets whose union has one median. */
typedef struct {
    char **keys;                      /* [count] malloc'd key names */
    size_t count;                     /* keys added */
    size_t capacity;                  /* room in keys */
    uint64_t *size;                   /* [count] ZCARD of each set */
    uint64_t members;                 /* Σ ZCARD */
    size_t slots;                     /* middle ranks: 1 (odd members) or 2 (even) */
    int64_t value[S_RANKS_MAX];       /* the value at each middle rank, once found */
    s_target_t target[S_TARGETS_MAX]; /* its searches */
    size_t targets;                   /* searches started */
} s_group_t;

/* A pivot and its set's share of the window, for weighted quantiles. */
typedef struct {
    int64_t value;   /* the pivot's score */
    uint64_t weight; /* members of its set in the window */
} s_weighted_t;

struct _funnel_median_t {
    s_group_t *groups;             /* [group_count] */
    size_t group_count;            /* groups */
    sp_redis_pipeline_t *pipeline; /* reused for every round */
    int64_t *values;               /* scores of a fetched window */
    size_t values_capacity;        /* room in values */
    s_weighted_t *weighted;        /* pivots being ordered */
    size_t weighted_capacity;      /* room in weighted */
};

/* ---------------------------------------------------------------- life cycle */

static void
s_target_free (s_target_t *target)
{
    free (target->low);
    free (target->high);
    for (size_t rank = 0; rank < S_RANKS_MAX; rank++)
        free (target->pivot[rank]);
    memset (target, 0, sizeof *target);
}

/* Allocates a target's arrays for count sets. */
static int
s_target_alloc (s_target_t *target, size_t count)
{
    size_t room = count ? count : 1;
    target->low = calloc (room, sizeof *target->low);
    target->high = calloc (room, sizeof *target->high);
    for (size_t rank = 0; rank < S_RANKS_MAX; rank++)
        target->pivot[rank] = calloc (room, sizeof *target->pivot[rank]);
    if (!target->low || !target->high || !target->pivot[0] || !target->pivot[1]) {
        s_target_free (target);
        return -1;
    }
    return 0;
}

funnel_median_t *
funnel_median_new (size_t group_count)
{
    assert (group_count >= 1);
    funnel_median_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->groups = calloc (group_count, sizeof *self->groups);
    self->pipeline = sp_redis_pipeline_new ();
    self->group_count = group_count;
    if (!self->groups || !self->pipeline)
        funnel_median_destroy (&self);
    return self;
}

void
funnel_median_destroy (funnel_median_t **self_p)
{
    assert (self_p);
    funnel_median_t *self = *self_p;
    if (!self)
        return;
    for (size_t group = 0; self->groups && group < self->group_count; group++) {
        s_group_t *entry = &self->groups[group];
        for (size_t index = 0; index < entry->count; index++)
            free (entry->keys[index]);
        free (entry->keys);
        free (entry->size);
        for (size_t target = 0; target < S_TARGETS_MAX; target++)
            s_target_free (&entry->target[target]);
    }
    free (self->groups);
    free (self->values);
    free (self->weighted);
    sp_redis_pipeline_destroy (&self->pipeline);
    free (self);
    *self_p = NULL;
}

int
funnel_median_add (funnel_median_t *self, size_t group_index, const char *key)
{
    assert (self && key && group_index < self->group_count);
    s_group_t *group = &self->groups[group_index];
    if (group->count == group->capacity) {
        size_t capacity = group->capacity ? group->capacity * 2 : S_KEYS_INITIAL;
        char **keys = realloc (group->keys, capacity * sizeof *keys);
        if (!keys)
            return -1;
        group->keys = keys;
        uint64_t *size = realloc (group->size, capacity * sizeof *size);
        if (!size)
            return -1;
        group->size = size;
        group->capacity = capacity;
    }
    group->keys[group->count] = strdup (key);
    if (!group->keys[group->count])
        return -1;
    group->size[group->count] = 0;
    group->count++;
    return 0;
}

/* ---------------------------------------------------------------- replies */

/* Reads a whole-number score (text of a WITHSCORES reply) of key. */
static int
s_score (const sp_redis_reply_t *reply, const char *key, int64_t *score, char *error,
         size_t error_size)
{
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_STRING) {
        sp_error_set (error, error_size, "unexpected reply to ZRANGE of \"%s\"", key);
        return -1;
    }
    const char *text = sp_redis_reply_string (reply, NULL);
    char *end = NULL;
    double value = strtod (text, &end);
    if (end == text || *end != '\0' || !isfinite (value) || value != floor (value) ||
        fabs (value) > S_SCORE_LIMIT) {
        sp_error_set (error, error_size, "sorted set \"%s\" holds the score %s, not a whole number",
                      key, text);
        return -1;
    }
    *score = (int64_t) value;
    return 0;
}

/* Reads an integer reply (ZCARD, ZCOUNT) of command on key. */
static int
s_integer (const sp_redis_reply_t *reply, const char *command, const char *key, uint64_t *value,
           char *error, size_t error_size)
{
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_INTEGER ||
        sp_redis_reply_integer (reply) < 0) {
        sp_error_set (error, error_size, "%s of \"%s\" failed: %s", command, key,
                      sp_redis_reply_type (reply) == SP_REDIS_REPLY_ERROR
                          ? sp_redis_reply_string (reply, NULL)
                          : "not a count");
        return -1;
    }
    *value = (uint64_t) sp_redis_reply_integer (reply);
    return 0;
}

/* Checks a ZRANGE ... WITHSCORES reply of key: an array of member,
   score pairs. Returns the number of members, or -1. */
static long
s_range (const sp_redis_reply_t *reply, const char *key, char *error, size_t error_size)
{
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY ||
        sp_redis_reply_size (reply) % 2 != 0) {
        sp_error_set (error, error_size, "ZRANGE of \"%s\" failed: %s", key,
                      sp_redis_reply_type (reply) == SP_REDIS_REPLY_ERROR
                          ? sp_redis_reply_string (reply, NULL)
                          : "unexpected reply");
        return -1;
    }
    return (long) (sp_redis_reply_size (reply) / 2);
}

static int
s_append (funnel_median_t *self, int argc, const char *const *argv, char *error, size_t error_size)
{
    if (sp_redis_pipeline_append (self->pipeline, argc, argv, NULL) == 0)
        return 0;
    sp_error_set (error, error_size, "out of memory");
    return -1;
}

/* ---------------------------------------------------------------- windows */

/* Members below the window (Σ low) and in it (Σ high - low), and how
   many sets it spans. */
static void
s_window (const s_group_t *group, const s_target_t *target, uint64_t *below, uint64_t *width,
          size_t *spanned)
{
    *below = 0;
    *width = 0;
    *spanned = 0;
    for (size_t index = 0; index < group->count; index++) {
        *below += target->low[index];
        if (target->high[index] > target->low[index]) {
            *width += target->high[index] - target->low[index];
            (*spanned)++;
        }
    }
}

/* The rank (1-based) in the window of a wanted rank, within 1 .. width
   (a set that changed since it was counted can push it out). */
static uint64_t
s_window_rank (uint64_t rank, uint64_t below, uint64_t width)
{
    if (rank <= below)
        return 1;
    return rank - below > width ? width : rank - below;
}

/* Records a found rank and takes it off the target. */
static void
s_found (s_group_t *group, s_target_t *target, size_t which, int64_t value)
{
    assert (which < target->ranks);
    group->value[target->slot[which]] = value;
    for (size_t next = which + 1; next < target->ranks; next++) {
        target->rank[next - 1] = target->rank[next];
        target->slot[next - 1] = target->slot[next];
        int64_t *pivot = target->pivot[next - 1];
        target->pivot[next - 1] = target->pivot[next];
        target->pivot[next] = pivot;
    }
    target->ranks--;
}

/* Picks what the target asks next: nothing once every rank is found,
   the whole window when it is small, else pivots. Fails when the window
   emptied (the sets shrank while they were read). */
static int
s_target_next (s_group_t *group, s_target_t *target, char *error, size_t error_size)
{
    if (target->ranks == 0) {
        target->phase = S_PHASE_DONE;
        return 0;
    }
    uint64_t below, width;
    size_t spanned;
    s_window (group, target, &below, &width, &spanned);
    if (width == 0) {
        sp_error_set (error, error_size,
                      "the sorted sets of \"%s\" and the others of its median changed while "
                      "their median was read; try again",
                      group->keys[0]);
        return -1;
    }
    bool small = width <= S_FETCH_MIN || width <= (uint64_t) spanned * S_FETCH_PER_SET;
    target->phase = small ? S_PHASE_FETCH : S_PHASE_PIVOT;
    return 0;
}

/* ---------------------------------------------------------------- pivot round */

/* 0-based rank in set index of the pivot of window rank within (1-based):
   the same share of the set's window, ⌈within × its width / width⌉. */
static uint64_t
s_pivot_rank (const s_target_t *target, size_t index, uint64_t within, uint64_t width)
{
    uint64_t own = target->high[index] - target->low[index];
    uint64_t share;
    if (within >= width)
        share = own;
    else if (within <= 1)
        share = 1;
    else {
        uint64_t product;
        if (__builtin_mul_overflow (within, own, &product))
            share =
                (uint64_t) ceill ((long double) within * (long double) own / (long double) width);
        else
            share = (product + width - 1) / width;
        share = share < 1 ? 1 : share > own ? own : share;
    }
    return target->low[index] + share - 1;
}

static int
s_pivot_append (funnel_median_t *self, s_group_t *group, s_target_t *target, char *error,
                size_t error_size)
{
    uint64_t below, width;
    size_t spanned;
    s_window (group, target, &below, &width, &spanned);
    uint64_t first = s_window_rank (target->rank[0], below, width);
    uint64_t last = s_window_rank (target->rank[target->ranks - 1], below, width);
    for (size_t index = 0; index < group->count; index++) {
        if (target->high[index] <= target->low[index])
            continue;
        char start[S_NUMBER_SIZE], stop[S_NUMBER_SIZE];
        snprintf (start, sizeof start, "%llu",
                  (unsigned long long) s_pivot_rank (target, index, first, width));
        snprintf (stop, sizeof stop, "%llu",
                  (unsigned long long) s_pivot_rank (target, index, last, width));
        if (s_append (self, 5,
                      (const char *[]){ "ZRANGE", group->keys[index], start, stop, "WITHSCORES" },
                      error, error_size) != 0)
            return -1;
    }
    return 0;
}

static int
s_compare_weighted (const void *left, const void *right)
{
    int64_t a = ((const s_weighted_t *) left)->value, b = ((const s_weighted_t *) right)->value;
    return (a > b) - (a < b);
}

/* The weighted quantile tenths / 10 of the pivots of rank which over the
   sets the window spans (at least one). */
static int64_t
s_quantile (funnel_median_t *self, const s_group_t *group, const s_target_t *target, size_t which,
            uint64_t tenths)
{
    size_t count = 0;
    uint64_t total = 0;
    for (size_t index = 0; index < group->count; index++)
        if (target->high[index] > target->low[index]) {
            uint64_t weight = target->high[index] - target->low[index];
            self->weighted[count++] = (s_weighted_t){ target->pivot[which][index], weight };
            total += weight;
        }
    assert (count > 0);
    qsort (self->weighted, count, sizeof *self->weighted, s_compare_weighted);
    uint64_t reached = 0;
    for (size_t index = 0; index < count; index++) {
        reached += self->weighted[index].weight;
        if ((long double) reached * S_TENTHS >= (long double) total * tenths)
            return self->weighted[index].value;
    }
    return self->weighted[count - 1].value;
}

/* Reads the pivots (from reply element *at on) and picks the bracket of
   the count round: ranks whose window rank is the first or the last are
   the least or greatest pivot, found at once. */
static int
s_pivot_read (funnel_median_t *self, s_group_t *group, s_target_t *target,
              const sp_redis_reply_t *reply, size_t *at, char *error, size_t error_size)
{
    uint64_t below, width;
    size_t spanned;
    s_window (group, target, &below, &width, &spanned);
    uint64_t within[S_RANKS_MAX];
    for (size_t which = 0; which < target->ranks; which++)
        within[which] = s_window_rank (target->rank[which], below, width);
    bool seen = false;
    int64_t least[S_RANKS_MAX] = { 0 }, greatest[S_RANKS_MAX] = { 0 };
    for (size_t index = 0; index < group->count; index++) {
        if (target->high[index] <= target->low[index])
            continue;
        const sp_redis_reply_t *range = sp_redis_reply_element (reply, (*at)++);
        long members = s_range (range, group->keys[index], error, error_size);
        if (members < 0)
            return -1;
        if (members == 0) {
            /* the set shrank since it was counted: count again */
            target->high[index] = target->low[index];
            continue;
        }
        for (size_t which = 0; which < target->ranks; which++) {
            size_t member = which == 0 ? 0 : (size_t) members - 1;
            if (s_score (sp_redis_reply_element (range, 2 * member + 1), group->keys[index],
                         &target->pivot[which][index], error, error_size) != 0)
                return -1;
            int64_t value = target->pivot[which][index];
            least[which] = !seen || value < least[which] ? value : least[which];
            greatest[which] = !seen || value > greatest[which] ? value : greatest[which];
        }
        seen = true;
    }
    if (!seen)
        return s_target_next (group, target, error, error_size);
    /* first the last rank, so that taking one off does not move the other */
    for (size_t which = target->ranks; which-- > 0;) {
        if (within[which] == 1)
            s_found (group, target, which, least[which]);
        else if (within[which] == width)
            s_found (group, target, which, greatest[which]);
    }
    if (target->ranks == 0)
        return s_target_next (group, target, error, error_size);
    size_t last = target->ranks - 1;
    if (target->narrow) {
        target->bracket_low = s_quantile (self, group, target, 0, S_BRACKET_MIDDLE);
        target->bracket_high = target->bracket_low;
    }
    else {
        target->bracket_low = s_quantile (self, group, target, 0, S_BRACKET_LOW);
        target->bracket_high = s_quantile (self, group, target, last, S_BRACKET_HIGH);
        if (target->bracket_high < target->bracket_low)
            target->bracket_high = target->bracket_low;
    }
    target->phase = S_PHASE_COUNT;
    return 0;
}

/* ---------------------------------------------------------------- count round */

static int
s_count_append (funnel_median_t *self, s_group_t *group, s_target_t *target, char *error,
                size_t error_size)
{
    char under[S_NUMBER_SIZE], upto[S_NUMBER_SIZE];
    snprintf (under, sizeof under, "(%lld", (long long) target->bracket_low);
    snprintf (upto, sizeof upto, "%lld", (long long) target->bracket_high);
    for (size_t index = 0; index < group->count; index++) {
        if (target->high[index] <= target->low[index])
            continue;
        if (s_append (self, 4, (const char *[]){ "ZCOUNT", group->keys[index], "-inf", under },
                      error, error_size) != 0 ||
            s_append (self, 4, (const char *[]){ "ZCOUNT", group->keys[index], "-inf", upto },
                      error, error_size) != 0)
            return -1;
    }
    return 0;
}

/* Where a rank lies against the bracket. */
typedef enum { S_BELOW = 0, S_INSIDE = 1, S_ABOVE = 2 } s_side_t;

/* Narrows the target's window to side, given each set's members below
   the bracket (under) and up to its top (upto). */
static void
s_narrow (const s_group_t *group, s_target_t *target, s_side_t side, const uint64_t *under,
          const uint64_t *upto)
{
    for (size_t index = 0; index < group->count; index++) {
        if (target->high[index] <= target->low[index])
            continue;
        if (side == S_BELOW)
            target->high[index] = under[index];
        else if (side == S_INSIDE) {
            target->low[index] = under[index];
            target->high[index] = upto[index];
        }
        else
            target->low[index] = upto[index];
        if (target->high[index] < target->low[index]) /* a set changed between two reads */
            target->high[index] = target->low[index];
    }
}

static int
s_count_read (s_group_t *group, s_target_t *target, const sp_redis_reply_t *reply, size_t *at,
              uint64_t *under, uint64_t *upto, char *error, size_t error_size)
{
    uint64_t below_before, width_before;
    size_t spanned;
    s_window (group, target, &below_before, &width_before, &spanned);
    uint64_t total_under = 0, total_upto = 0;
    for (size_t index = 0; index < group->count; index++) {
        if (target->high[index] <= target->low[index]) {
            under[index] = upto[index] = target->low[index];
        }
        else {
            if (s_integer (sp_redis_reply_element (reply, *at), "ZCOUNT", group->keys[index],
                           &under[index], error, error_size) != 0 ||
                s_integer (sp_redis_reply_element (reply, *at + 1), "ZCOUNT", group->keys[index],
                           &upto[index], error, error_size) != 0)
                return -1;
            *at += 2;
            if (upto[index] < under[index])
                upto[index] = under[index];
        }
        total_under += under[index];
        total_upto += upto[index];
    }
    s_side_t side[S_RANKS_MAX] = { S_INSIDE, S_INSIDE };
    for (size_t which = 0; which < target->ranks; which++)
        side[which] = target->rank[which] <= total_under  ? S_BELOW
                      : target->rank[which] <= total_upto ? S_INSIDE
                                                          : S_ABOVE;
    if (target->ranks == 2 && side[0] != side[1]) {
        /* the two middle ranks part: the upper one gets its own search */
        s_target_t *upper = &group->target[group->targets];
        assert (group->targets < S_TARGETS_MAX);
        if (s_target_alloc (upper, group->count) != 0) {
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
        group->targets++;
        memcpy (upper->low, target->low, group->count * sizeof *upper->low);
        memcpy (upper->high, target->high, group->count * sizeof *upper->high);
        upper->ranks = 1;
        upper->rank[0] = target->rank[1];
        upper->slot[0] = target->slot[1];
        target->ranks = 1;
        s_narrow (group, upper, side[1], under, upto);
        if (side[1] == S_INSIDE && target->bracket_low == target->bracket_high)
            s_found (group, upper, 0, target->bracket_low);
        if (s_target_next (group, upper, error, error_size) != 0)
            return -1;
    }
    s_narrow (group, target, side[0], under, upto);
    if (side[0] == S_INSIDE && target->bracket_low == target->bracket_high)
        while (target->ranks > 0) /* every member in the bracket has that value */
            s_found (group, target, 0, target->bracket_low);
    uint64_t below_after, width_after;
    s_window (group, target, &below_after, &width_after, &spanned);
    target->narrow = width_after > width_before / 2;
    return s_target_next (group, target, error, error_size);
}

/* ---------------------------------------------------------------- fetch round */

static int
s_fetch_append (funnel_median_t *self, s_group_t *group, s_target_t *target, char *error,
                size_t error_size)
{
    for (size_t index = 0; index < group->count; index++) {
        if (target->high[index] <= target->low[index])
            continue;
        char start[S_NUMBER_SIZE], stop[S_NUMBER_SIZE];
        snprintf (start, sizeof start, "%llu", (unsigned long long) target->low[index]);
        snprintf (stop, sizeof stop, "%llu", (unsigned long long) target->high[index] - 1);
        if (s_append (self, 5,
                      (const char *[]){ "ZRANGE", group->keys[index], start, stop, "WITHSCORES" },
                      error, error_size) != 0)
            return -1;
    }
    return 0;
}

static int
s_compare_scores (const void *left, const void *right)
{
    int64_t a = *(const int64_t *) left, b = *(const int64_t *) right;
    return (a > b) - (a < b);
}

/* Reads the whole window and takes the wanted ranks from it, sorted. */
static int
s_fetch_read (funnel_median_t *self, s_group_t *group, s_target_t *target,
              const sp_redis_reply_t *reply, size_t *at, char *error, size_t error_size)
{
    uint64_t below, width;
    size_t spanned;
    s_window (group, target, &below, &width, &spanned);
    size_t count = 0;
    for (size_t index = 0; index < group->count; index++) {
        if (target->high[index] <= target->low[index])
            continue;
        const sp_redis_reply_t *range = sp_redis_reply_element (reply, (*at)++);
        long members = s_range (range, group->keys[index], error, error_size);
        if (members < 0)
            return -1;
        if (count + (size_t) members > self->values_capacity) {
            size_t capacity = (count + (size_t) members) * 2;
            int64_t *values = realloc (self->values, capacity * sizeof *values);
            if (!values) {
                sp_error_set (error, error_size, "out of memory");
                return -1;
            }
            self->values = values;
            self->values_capacity = capacity;
        }
        for (long member = 0; member < members; member++)
            if (s_score (sp_redis_reply_element (range, 2 * (size_t) member + 1),
                         group->keys[index], &self->values[count++], error, error_size) != 0)
                return -1;
    }
    if (count == 0) {
        for (size_t index = 0; index < group->count; index++)
            target->high[index] = target->low[index];
        return s_target_next (group, target, error, error_size);
    }
    qsort (self->values, count, sizeof *self->values, s_compare_scores);
    while (target->ranks > 0) {
        uint64_t within = s_window_rank (target->rank[0], below, (uint64_t) count);
        s_found (group, target, 0, self->values[within - 1]);
    }
    target->phase = S_PHASE_DONE;
    return 0;
}

/* ---------------------------------------------------------------- rounds */

/* First round: every set's size; then each group's search starts over
   the whole union. */
static int
s_sizes (funnel_median_t *self, sp_redis_t *redis, char *error, size_t error_size)
{
    sp_redis_pipeline_reset (self->pipeline);
    size_t most = 0;
    for (size_t group = 0; group < self->group_count; group++) {
        most = self->groups[group].count > most ? self->groups[group].count : most;
        for (size_t index = 0; index < self->groups[group].count; index++)
            if (s_append (self, 2, (const char *[]){ "ZCARD", self->groups[group].keys[index] },
                          error, error_size) != 0)
                return -1;
    }
    if (most > self->weighted_capacity) {
        free (self->weighted);
        self->weighted = calloc (most, sizeof *self->weighted);
        self->weighted_capacity = self->weighted ? most : 0;
        if (!self->weighted) {
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
    }
    sp_redis_reply_t *reply = NULL;
    if (sp_redis_pipeline_size (self->pipeline) > 0) {
        reply = sp_redis_execute (redis, self->pipeline, error, error_size);
        if (!reply)
            return -1;
    }
    int rc = 0;
    size_t at = 0;
    for (size_t group_index = 0; rc == 0 && group_index < self->group_count; group_index++) {
        s_group_t *group = &self->groups[group_index];
        for (size_t target = 0; target < S_TARGETS_MAX; target++)
            s_target_free (&group->target[target]);
        group->targets = 0;
        group->members = 0;
        for (size_t index = 0; rc == 0 && index < group->count; index++, at++) {
            rc = s_integer (sp_redis_reply_element (reply, at), "ZCARD", group->keys[index],
                            &group->size[index], error, error_size);
            group->members += group->size[index];
        }
        if (rc != 0 || group->members == 0)
            continue;
        s_target_t *target = &group->target[0];
        if (s_target_alloc (target, group->count) != 0) {
            sp_error_set (error, error_size, "out of memory");
            rc = -1;
            break;
        }
        group->targets = 1;
        memcpy (target->high, group->size, group->count * sizeof *target->high);
        group->slots = group->members % 2 == 1 ? 1 : 2;
        target->ranks = group->slots;
        target->rank[0] = group->members % 2 == 1 ? (group->members + 1) / 2 : group->members / 2;
        target->rank[1] = group->members / 2 + 1;
        target->slot[0] = 0;
        target->slot[1] = 1;
        rc = s_target_next (group, target, error, error_size);
    }
    sp_redis_reply_destroy (&reply);
    return rc;
}

/* One round trip: the next request of every search not done. Sets
 *searching when one is still going afterwards. */
static int
s_round (funnel_median_t *self, sp_redis_t *redis, bool *searching, char *error, size_t error_size)
{
    sp_redis_pipeline_reset (self->pipeline);
    for (size_t group_index = 0; group_index < self->group_count; group_index++) {
        s_group_t *group = &self->groups[group_index];
        for (size_t index = 0; index < group->targets; index++) {
            s_target_t *target = &group->target[index];
            int rc = target->phase == S_PHASE_PIVOT
                         ? s_pivot_append (self, group, target, error, error_size)
                     : target->phase == S_PHASE_COUNT
                         ? s_count_append (self, group, target, error, error_size)
                     : target->phase == S_PHASE_FETCH
                         ? s_fetch_append (self, group, target, error, error_size)
                         : 0;
            if (rc != 0)
                return -1;
        }
    }
    sp_redis_reply_t *reply = sp_redis_execute (redis, self->pipeline, error, error_size);
    if (!reply)
        return -1;
    int rc = 0;
    size_t at = 0;
    *searching = false;
    for (size_t group_index = 0; rc == 0 && group_index < self->group_count; group_index++) {
        s_group_t *group = &self->groups[group_index];
        uint64_t *under = NULL, *upto = NULL;
        /* targets split while reading start their own requests next round */
        size_t targets = group->targets;
        for (size_t index = 0; rc == 0 && index < targets; index++) {
            s_target_t *target = &group->target[index];
            if (target->phase == S_PHASE_PIVOT)
                rc = s_pivot_read (self, group, target, reply, &at, error, error_size);
            else if (target->phase == S_PHASE_FETCH)
                rc = s_fetch_read (self, group, target, reply, &at, error, error_size);
            else if (target->phase == S_PHASE_COUNT) {
                if (!under) {
                    under = calloc (group->count, sizeof *under);
                    upto = calloc (group->count, sizeof *upto);
                }
                if (!under || !upto) {
                    sp_error_set (error, error_size, "out of memory");
                    rc = -1;
                    break;
                }
                rc = s_count_read (group, target, reply, &at, under, upto, error, error_size);
            }
        }
        free (under);
        free (upto);
        for (size_t index = 0; index < group->targets; index++)
            *searching |= group->target[index].phase != S_PHASE_DONE;
    }
    sp_redis_reply_destroy (&reply);
    return rc;
}

int
funnel_median_run (funnel_median_t *self, sp_redis_t *redis, funnel_report_value_t *medians,
                   uint64_t *members, char *error, size_t error_size)
{
    assert (self && redis && medians);
    if (s_sizes (self, redis, error, error_size) != 0)
        return -1;
    bool searching = false;
    for (size_t group = 0; group < self->group_count; group++)
        searching |=
            self->groups[group].targets > 0 && self->groups[group].target[0].phase != S_PHASE_DONE;
    for (size_t rounds = 0; searching; rounds++) {
        if (rounds == S_ROUNDS_MAX) {
            sp_error_set (error, error_size,
                          "the medians were not found in %d round trips: "
                          "the sorted sets keep changing; try again",
                          S_ROUNDS_MAX);
            return -1;
        }
        if (s_round (self, redis, &searching, error, error_size) != 0)
            return -1;
    }
    for (size_t group_index = 0; group_index < self->group_count; group_index++) {
        const s_group_t *group = &self->groups[group_index];
        if (members)
            members[group_index] = group->members;
        if (group->members == 0)
            medians[group_index] = (funnel_report_value_t){ .set = false, .value = 0 };
        else if (group->slots == 1)
            medians[group_index] =
                (funnel_report_value_t){ .set = true, .value = (double) group->value[0] };
        else
            medians[group_index] = (funnel_report_value_t){
                .set = true,
                .value = (double) group->value[0] +
                         ((double) group->value[1] - (double) group->value[0]) / 2
            };
    }
    return 0;
}
