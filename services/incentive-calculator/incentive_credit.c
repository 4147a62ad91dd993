/*  incentive_credit - splits, overlays and manager roll-up credits of a won
    deal (see incentive_credit.h and docs/incentive-ledger.md, "Credit").

    A split takes each rep's exact share amount × share ÷ 10,000 in 128
    bits, keeps its floor and its remainder, and hands the units the
    floors leave over (fewer than the number of reps) to the largest
    remainders; nothing is rounded twice, so the parts always sum to the
    whole.
*/
#include "incentive_credit.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_event.h"
#include "sp_money.h"
#include "sp_round.h"

/* The limits of a deal_won event are the limits here. */
_Static_assert(INCENTIVE_CREDIT_SPLITS_MAX == SP_EVENT_SPLITS_MAX, "splits limit");
_Static_assert(INCENTIVE_CREDIT_REP_MAX == SP_EVENT_NAME_MAX, "rep id limit");
_Static_assert(INCENTIVE_CREDIT_SHARE_TOTAL == SP_EVENT_SHARE_TOTAL, "share total");

/* 128-bit intermediates (GCC and Clang). */
typedef __int128 s_wide_t;

/* Room for a quoted user value inside a message. */
#define S_QUOTE_SIZE 72

/* One rep's exact share while a split is computed. */
typedef struct {
    size_t index;      /* position in the caller's splits */
    const char *rep;   /* its rep id */
    int64_t floor;     /* floor of the exact share of the magnitude */
    int64_t remainder; /* (magnitude × share) mod 10,000 */
} s_part_t;

static bool
s_amount_valid (int64_t amount)
{
    return amount >= -SP_MONEY_MAX_MINOR && amount <= SP_MONEY_MAX_MINOR;
}

/* Largest remainder first; equal remainders: the smaller rep id first. */
static int
s_compare_parts (const void *left, const void *right)
{
    const s_part_t *a = left;
    const s_part_t *b = right;
    if (a->remainder != b->remainder)
        return a->remainder > b->remainder ? -1 : 1;
    return strcmp (a->rep, b->rep);
}

int
incentive_credit_check (const incentive_credit_share_t *splits, size_t count, char *error,
                        size_t error_size)
{
    if (count == 0 || splits == NULL) {
        sp_error_set (error, error_size, "splits: at least one split is required");
        return -1;
    }
    if (count > INCENTIVE_CREDIT_SPLITS_MAX) {
        sp_error_set (error, error_size, "splits: %zu splits, at most %d allowed", count,
                      INCENTIVE_CREDIT_SPLITS_MAX);
        return -1;
    }
    int64_t total = 0;
    for (size_t index = 0; index < count; index++) {
        const char *rep = splits[index].rep_id;
        size_t length = rep ? strlen (rep) : 0;
        if (length == 0 || length > INCENTIVE_CREDIT_REP_MAX) {
            sp_error_set (error, error_size, "splits[%zu].rep_id: must be 1 to %d bytes", index,
                          INCENTIVE_CREDIT_REP_MAX);
            return -1;
        }
        for (size_t other = 0; other < index; other++) {
            if (strcmp (splits[other].rep_id, rep) == 0) {
                char quoted[S_QUOTE_SIZE];
                sp_error_quote (rep, quoted, sizeof quoted);
                sp_error_set (error, error_size,
                              "splits[%zu].rep_id: \"%s\" is already the rep of splits[%zu]", index,
                              quoted, other);
                return -1;
            }
        }
        int32_t share = splits[index].share_bp;
        if (share < 1 || share > INCENTIVE_CREDIT_SHARE_TOTAL) {
            sp_error_set (error, error_size,
                          "splits[%zu].share_bp: %d is outside 1 to %d basis points", index,
                          (int) share, INCENTIVE_CREDIT_SHARE_TOTAL);
            return -1;
        }
        total += share;
    }
    if (total != INCENTIVE_CREDIT_SHARE_TOTAL) {
        sp_error_set (error, error_size,
                      "splits: shares sum to %lld basis points, must be exactly %d",
                      (long long) total, INCENTIVE_CREDIT_SHARE_TOTAL);
        return -1;
    }
    return 0;
}

int
incentive_credit_split (int64_t amount, const incentive_credit_share_t *splits, size_t count,
                        int64_t *amounts, char *error, size_t error_size)
{
    assert (amounts || count == 0);
    if (incentive_credit_check (splits, count, error, error_size) != 0)
        return -1;
    if (!s_amount_valid (amount)) {
        sp_error_set (error, error_size, "amount: %lld minor units is out of range",
                      (long long) amount);
        return -1;
    }
    int64_t magnitude = amount < 0 ? -amount : amount;
    s_part_t parts[INCENTIVE_CREDIT_SPLITS_MAX] = { { 0 } };
    int64_t left = magnitude;
    for (size_t index = 0; index < count; index++) {
        s_wide_t exact = (s_wide_t) magnitude * splits[index].share_bp;
        parts[index].index = index;
        parts[index].rep = splits[index].rep_id;
        parts[index].floor = (int64_t) (exact / INCENTIVE_CREDIT_SHARE_TOTAL);
        parts[index].remainder = (int64_t) (exact % INCENTIVE_CREDIT_SHARE_TOTAL);
        left -= parts[index].floor;
    }
    /* Each floor loses less than one unit, so fewer than count are left. */
    assert (left >= 0 && (size_t) left < count);
    qsort (parts, count, sizeof parts[0], s_compare_parts);
    for (size_t rank = 0; rank < count; rank++) {
        int64_t share = parts[rank].floor + ((int64_t) rank < left ? 1 : 0);
        amounts[parts[rank].index] = amount < 0 ? -share : share;
    }
    return 0;
}

int
incentive_credit_overlay (int64_t amount, int32_t share_bp, int64_t *credit)
{
    assert (credit);
    if (share_bp < 1 || share_bp > INCENTIVE_CREDIT_OVERLAY_SHARE_MAX || !s_amount_valid (amount))
        return -1;
    *credit = (int64_t) sp_round_divide ((s_wide_t) amount * share_bp, INCENTIVE_CREDIT_SHARE_TOTAL);
    return 0;
}

// ---------------------------------------------------------------- roll-up

static int
s_compare_rollups (const void *left, const void *right)
{
    const incentive_credit_rollup_t *a = left;
    const incentive_credit_rollup_t *b = right;
    return strcmp (a->node, b->node);
}

/* The entry of node in credits (count of them), or NULL. */
static incentive_credit_rollup_t *
s_find (incentive_credit_rollup_t *credits, size_t count, const char *node)
{
    for (size_t index = 0; index < count; index++)
        if (strcmp (credits[index].node, node) == 0)
            return &credits[index];
    return NULL;
}

int
incentive_credit_rollup (int64_t amount, const incentive_credit_share_t *splits, size_t count,
                         incentive_credit_parent_fn *parent, void *context, int64_t day, int levels,
                         incentive_credit_rollup_mode_t mode, incentive_credit_rollup_t *out,
                         size_t capacity, size_t *out_count, char *error, size_t error_size)
{
    if (levels < 1 || levels > INCENTIVE_CREDIT_DEPTH_MAX) {
        sp_error_set (error, error_size, "levels: %d is outside 1 to %d", levels,
                      INCENTIVE_CREDIT_DEPTH_MAX);
        return -1;
    }
    int64_t amounts[INCENTIVE_CREDIT_SPLITS_MAX];
    if (incentive_credit_split (amount, splits, count, amounts, error, error_size) != 0)
        return -1;
    return incentive_credit_rollup_parts (amount, splits, amounts, count, parent, context, day,
                                          levels, mode, out, capacity, out_count, error,
                                          error_size);
}

/* Checks the parts of incentive_credit_rollup_parts. */
static int
s_check_parts (int64_t deal_amount, const incentive_credit_share_t *parts, const int64_t *amounts,
               size_t count, char *error, size_t error_size)
{
    if (count == 0 || count > INCENTIVE_CREDIT_SPLITS_MAX || !parts || !amounts) {
        sp_error_set (error, error_size, "parts: 1 to %d are needed, not %zu",
                      INCENTIVE_CREDIT_SPLITS_MAX, count);
        return -1;
    }
    if (!s_amount_valid (deal_amount)) {
        sp_error_set (error, error_size, "amount: %lld minor units is out of range",
                      (long long) deal_amount);
        return -1;
    }
    int64_t total = 0;
    for (size_t index = 0; index < count; index++) {
        size_t length = parts[index].rep_id ? strlen (parts[index].rep_id) : 0;
        if (length == 0 || length > INCENTIVE_CREDIT_NODE_MAX) {
            sp_error_set (error, error_size, "parts[%zu].rep_id: must be 1 to %d bytes", index,
                          INCENTIVE_CREDIT_NODE_MAX);
            return -1;
        }
        for (size_t other = 0; other < index; other++)
            if (strcmp (parts[other].rep_id, parts[index].rep_id) == 0) {
                sp_error_set (error, error_size, "parts[%zu].rep_id: already parts[%zu]'s", index,
                              other);
                return -1;
            }
        if (parts[index].share_bp < 1 || parts[index].share_bp > INCENTIVE_CREDIT_SHARE_TOTAL ||
            !s_amount_valid (amounts[index])) {
            sp_error_set (error, error_size, "parts[%zu]: share or amount out of range", index);
            return -1;
        }
        total += parts[index].share_bp;
    }
    if (total > INCENTIVE_CREDIT_SHARE_TOTAL) {
        sp_error_set (error, error_size, "parts: shares sum to %lld basis points, above %d",
                      (long long) total, INCENTIVE_CREDIT_SHARE_TOTAL);
        return -1;
    }
    return 0;
}

int
incentive_credit_rollup_parts (int64_t deal_amount, const incentive_credit_share_t *parts,
                               const int64_t *amounts, size_t count,
                               incentive_credit_parent_fn *parent, void *context, int64_t day,
                               int levels, incentive_credit_rollup_mode_t mode,
                               incentive_credit_rollup_t *out, size_t capacity, size_t *out_count,
                               char *error, size_t error_size)
{
    assert (parent);
    assert (out_count);
    assert (mode == INCENTIVE_CREDIT_ROLLUP_SHARES || mode == INCENTIVE_CREDIT_ROLLUP_FULL);
    if (levels < 1 || levels > INCENTIVE_CREDIT_DEPTH_MAX) {
        sp_error_set (error, error_size, "levels: %d is outside 1 to %d", levels,
                      INCENTIVE_CREDIT_DEPTH_MAX);
        return -1;
    }
    if (s_check_parts (deal_amount, parts, amounts, count, error, error_size) != 0)
        return -1;
    const incentive_credit_share_t *splits = parts;
    int64_t amount = deal_amount;

    incentive_credit_rollup_t *credits = calloc (INCENTIVE_CREDIT_ROLLUP_MAX, sizeof *credits);
    if (!credits) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    int rc = -1;
    size_t found = 0;
    for (size_t index = 0; index < count; index++) {
        /* The chain above this rep, to refuse a cycle. */
        const char *rep = splits[index].rep_id;
        char chain[INCENTIVE_CREDIT_DEPTH_MAX][INCENTIVE_CREDIT_NODE_SIZE];
        char node[INCENTIVE_CREDIT_NODE_SIZE];
        snprintf (node, sizeof node, "%s", rep);
        for (int depth = 1; depth <= levels; depth++) {
            const char *above = parent (context, node, day);
            if (!above)
                break;
            size_t length = strlen (above);
            if (length == 0 || length > INCENTIVE_CREDIT_NODE_MAX) {
                sp_error_set (error, error_size,
                              "parent of splits[%zu] at level %d: node id must be 1 to %d bytes",
                              index, depth, INCENTIVE_CREDIT_NODE_MAX);
                goto out_free_credits;
            }
            bool cycle = strcmp (above, rep) == 0;
            for (int seen = 0; seen < depth - 1 && !cycle; seen++)
                cycle = strcmp (chain[seen], above) == 0;
            if (cycle) {
                char quoted[S_QUOTE_SIZE];
                sp_error_quote (above, quoted, sizeof quoted);
                sp_error_set (error, error_size,
                              "parent of splits[%zu] at level %d: \"%s\" is already below it "
                              "(a cycle in the org)",
                              index, depth, quoted);
                goto out_free_credits;
            }
            memcpy (chain[depth - 1], above, length + 1);
            memcpy (node, above, length + 1);

            incentive_credit_rollup_t *credit = s_find (credits, found, node);
            if (!credit) {
                assert (found < INCENTIVE_CREDIT_ROLLUP_MAX);
                credit = &credits[found++];
                memcpy (credit->node, node, length + 1);
                credit->depth = depth;
            }
            credit->reps++;
            credit->share_bp += splits[index].share_bp;
            credit->amount += amounts[index];
            if (depth < credit->depth)
                credit->depth = depth;
        }
    }
    if (found > capacity) {
        sp_error_set (error, error_size, "%zu managers to credit, room for %zu", found, capacity);
        goto out_free_credits;
    }
    for (size_t index = 0; index < found && mode == INCENTIVE_CREDIT_ROLLUP_FULL; index++) {
        credits[index].share_bp = INCENTIVE_CREDIT_SHARE_TOTAL;
        credits[index].amount = amount;
    }
    qsort (credits, found, sizeof credits[0], s_compare_rollups);
    if (found > 0)
        memcpy (out, credits, found * sizeof credits[0]);
    *out_count = found;
    rc = 0;
out_free_credits:
    free (credits);
    return rc;
}
