/*  incentive_credit - who is credited with how much of a won deal: the
    deal's splits, overlay credits on top of them, and manager roll-up
    credits (docs/incentive-ledger.md, "Credit").

    Splits share the deal between reps in basis points that total exactly
    10,000 (docs/events.md, "Credit splits"). A split never creates or
    loses a minor unit: each rep first gets the floor of its exact share,
    then the few units left over go one each to the largest remainders,
    ties to the smaller rep id (byte order). A negative amount (a reversal)
    is split as the negation of the split of its magnitude, so a reversal
    mirrors its original to the unit.

    Overlays are extra credits on top of the splits (a specialist, a
    strategic-product kicker): each is the amount times its share, rounded
    once half away from zero, and together they may exceed 100 %.

    Roll-up credits each manager above the split reps once per deal, however
    many of its reps share the deal: the org is walked through a callback
    (the service answers it from the "org" reference data), the managers
    met are deduplicated, and each gets the sum of its reps' split credits
    (or the whole deal, by choice), never the same credit twice.

    Money is integer minor units, magnitude at most SP_MONEY_MAX_MINOR;
    products are taken in 128 bits. Pure: no I/O, no allocation, no state.
*/
#ifndef INCENTIVE_CREDIT_H_INCLUDED
#define INCENTIVE_CREDIT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Basis points in 100 %: the total of a deal's splits. */
#define INCENTIVE_CREDIT_SHARE_TOTAL 10000

/* Most splits of a deal (as SP_EVENT_SPLITS_MAX) and longest rep id. */
#define INCENTIVE_CREDIT_SPLITS_MAX 16
#define INCENTIVE_CREDIT_REP_MAX 64

/* Largest share of one overlay credit: 1,000 %. */
#define INCENTIVE_CREDIT_OVERLAY_SHARE_MAX 100000

/* Longest manager node id the parent callback may return ("team:<id>",
   "region:<id>", ...), its room with the NUL, and the most levels walked
   above a rep. */
#define INCENTIVE_CREDIT_NODE_MAX 143
#define INCENTIVE_CREDIT_NODE_SIZE (INCENTIVE_CREDIT_NODE_MAX + 1)
#define INCENTIVE_CREDIT_DEPTH_MAX 16

/* Most managers one deal can credit: every level above every split rep. */
#define INCENTIVE_CREDIT_ROLLUP_MAX (INCENTIVE_CREDIT_SPLITS_MAX * INCENTIVE_CREDIT_DEPTH_MAX)

/* Room for any error message of this module. */
#define INCENTIVE_CREDIT_ERROR_SIZE 256

/* One rep's share of a deal (a split), or one overlay credit. */
typedef struct {
    const char *rep_id; /* rep id, 1..INCENTIVE_CREDIT_REP_MAX bytes, borrowed */
    int32_t share_bp;   /* share in basis points: 1..10,000 for a split */
} incentive_credit_share_t;

/* The parent of a node in the org on a local day (days since 1970-01-01):
   called first with a split's rep id, then with each node it returned.
   Returns the parent's id (borrowed, read before the next call), or NULL
   at the top or when the node has no parent that day. The service
   implements it over its org (e.g. sp_org_parent over "rep:<id>"). */
typedef const char *(incentive_credit_parent_fn) (void *context, const char *node, int64_t day);

/* What a manager is credited with. */
typedef enum {
    INCENTIVE_CREDIT_ROLLUP_SHARES = 0, /* the sum of its reps' split credits */
    INCENTIVE_CREDIT_ROLLUP_FULL,       /* the whole deal, once */
} incentive_credit_rollup_mode_t;

/* One manager's roll-up credit for one deal. */
typedef struct {
    char node[INCENTIVE_CREDIT_NODE_SIZE]; /* manager node id, as the callback gave it */
    int32_t share_bp;                      /* its credit in bp of the deal: 1..10,000 */
    int64_t amount;                        /* its credit in minor units */
    size_t reps;                           /* split reps under it on this deal, >= 1 */
    int depth;                             /* levels above its nearest rep: 1 = direct */
} incentive_credit_rollup_t;

/* Checks a deal's splits: 1..INCENTIVE_CREDIT_SPLITS_MAX entries, rep
   ids 1..INCENTIVE_CREDIT_REP_MAX bytes and distinct, shares 1..10,000
   summing to exactly 10,000. Returns 0, or -1 with the reason naming the
   entry ("splits[1].share_bp: ..."). */
int incentive_credit_check (const incentive_credit_share_t *splits, size_t count, char *error,
                            size_t error_size);

/* Splits amount (minor units, |amount| <= SP_MONEY_MAX_MINOR) between
   the splits: writes count amounts into amounts, in the order of splits,
   summing exactly to amount (largest remainder, ties to the smaller rep
   id). Returns 0, or -1 with the reason (amounts untouched). */
int incentive_credit_split (int64_t amount, const incentive_credit_share_t *splits, size_t count,
                            int64_t *amounts, char *error, size_t error_size);

/* One overlay credit: amount × share_bp ÷ 10,000 rounded half away from
   zero. Returns 0, or -1 (credit untouched) when share_bp is outside
   1..INCENTIVE_CREDIT_OVERLAY_SHARE_MAX or amount out of range. */
int incentive_credit_overlay (int64_t amount, int32_t share_bp, int64_t *credit);

/* Manager roll-up credits of a deal on a day: walks up to levels
   (1..INCENTIVE_CREDIT_DEPTH_MAX) parents above each split rep through
   parent, and credits each manager met once, sorted by node id (byte
   order). Writes up to capacity credits to out and their number to
   *out_count. Returns 0, or -1 with the reason (out untouched) on bad
   splits, a node id too long or empty, a cycle, or too little capacity
   (INCENTIVE_CREDIT_ROLLUP_MAX always suffices). */
int incentive_credit_rollup (int64_t amount, const incentive_credit_share_t *splits, size_t count,
                             incentive_credit_parent_fn *parent, void *context, int64_t day,
                             int levels, incentive_credit_rollup_mode_t mode,
                             incentive_credit_rollup_t *out, size_t capacity, size_t *out_count,
                             char *error, size_t error_size);

/* The same roll-up over credits already split: parts (count of them)
   name the reps as the parent callback knows them (e.g. "rep:<id>"),
   1..INCENTIVE_CREDIT_NODE_MAX bytes, distinct, with their shares
   (1..10,000, summing to at most 10,000: some of a deal's splits), and
   amounts their credits in minor units (as the deal's split gave them).
   A manager gets the sum of its parts' shares and amounts, or with FULL
   10,000 bp and deal_amount. This is what a statement uses: it reads the
   stored credits of the reps under one manager, never the deal's other
   splits, and each rep's credit stays the one its own statement pays on.
   Returns 0, or -1 with the reason (out untouched). */
int incentive_credit_rollup_parts (int64_t deal_amount, const incentive_credit_share_t *parts,
                                   const int64_t *amounts, size_t count,
                                   incentive_credit_parent_fn *parent, void *context, int64_t day,
                                   int levels, incentive_credit_rollup_mode_t mode,
                                   incentive_credit_rollup_t *out, size_t capacity,
                                   size_t *out_count, char *error, size_t error_size);

#endif
