/*  test_incentive_credit - deal splits, overlay credits and manager roll-up
    (incentive_credit).

    The property "splits never create or lose a cent" is checked over
    20,000 random amounts × random splits from a fixed-seed PRNG, and the
    remainder rule (largest remainder, ties to the smaller rep id) on
    hand-worked cases. Roll-up walks a small org held in the test: every
    manager is credited once per deal however many of its reps share it.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "incentive_credit.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define FILL 0x5a                           /* pattern of an output before a call that must fail */
#define TRILLION INT64_C (1000000000000000) /* 10^15 minor units, the largest amount */
#define PROPERTY_ROUNDS 20000               /* random deals of the property test */
#define SEED UINT64_C (0x5eed5a1e5)         /* fixed seed: the same deals every run */

/* splitmix64: a small deterministic PRNG. */
static uint64_t
s_next (uint64_t *state)
{
    uint64_t z = (*state += UINT64_C (0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C (0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, bound). */
static uint64_t
s_below (uint64_t *state, uint64_t bound)
{
    return s_next (state) % bound;
}

static void
s_split (int64_t amount, const incentive_credit_share_t *splits, size_t count, int64_t *out)
{
    char error[INCENTIVE_CREDIT_ERROR_SIZE] = "";
    int rc = incentive_credit_split (amount, splits, count, out, error, sizeof error);
    if (rc != 0)
        fail_msg ("split refused: %s", error);
}

// ---------------------------------------------------------------- splits

/* The example of docs/events.md: 24,000.00 EUR at 60/40. */
static void
test_split_exact (void **state)
{
    (void) state;
    const incentive_credit_share_t splits[] = { { "rep-ana", 6000 }, { "rep-ben", 4000 } };
    int64_t out[2];
    s_split (2400000, splits, 2, out);
    assert_int_equal (out[0], 1440000);
    assert_int_equal (out[1], 960000);
    /* One rep, the whole deal. */
    const incentive_credit_share_t one[] = { { "rep-ana", 10000 } };
    s_split (12345, one, 1, out);
    assert_int_equal (out[0], 12345);
}

/* Remainders: the largest first, ties to the smaller rep id. */
static void
test_split_remainders (void **state)
{
    (void) state;
    int64_t out[3];
    /* 100 at 33.33/33.33/33.34 %: exact 33.33, 33.33, 33.34; floors 33
       each (99), remainders 3,300, 3,300, 3,400 (in 1/10,000): the one
       unit left goes to the largest, rep-c. */
    const incentive_credit_share_t thirds[] = { { "rep-a", 3333 },
                                                { "rep-b", 3333 },
                                                { "rep-c", 3334 } };
    s_split (100, thirds, 3, out);
    assert_int_equal (out[0], 33);
    assert_int_equal (out[1], 33);
    assert_int_equal (out[2], 34);
    /* 200: exact 66.66, 66.66, 66.68; floors 66, 66, 66 (198), remainders
       6,600, 6,600, 6,800: rep-c first, then the tie rep-a / rep-b goes
       to rep-a. */
    s_split (200, thirds, 3, out);
    assert_int_equal (out[0], 67);
    assert_int_equal (out[1], 66);
    assert_int_equal (out[2], 67);

    /* 1 at 50/50: a pure tie, to the smaller rep id whatever the order. */
    const incentive_credit_share_t halves[] = { { "rep-zed", 5000 }, { "rep-amy", 5000 } };
    s_split (1, halves, 2, out);
    assert_int_equal (out[0], 0);
    assert_int_equal (out[1], 1);
    /* Byte order: "Rep" < "rep" (upper case first). */
    const incentive_credit_share_t cased[] = { { "rep", 5000 }, { "Rep", 5000 } };
    s_split (3, cased, 2, out);
    assert_int_equal (out[0], 1);
    assert_int_equal (out[1], 2);

    /* A reversal mirrors its original: -1 at 50/50 takes the unit from
       rep-amy, -200 at the thirds as above negated. */
    s_split (-1, halves, 2, out);
    assert_int_equal (out[0], 0);
    assert_int_equal (out[1], -1);
    s_split (-200, thirds, 3, out);
    assert_int_equal (out[0], -67);
    assert_int_equal (out[1], -66);
    assert_int_equal (out[2], -67);

    /* 0 splits into zeros; the largest amount splits exactly. */
    s_split (0, thirds, 3, out);
    assert_int_equal (out[0] + out[1] + out[2], 0);
    s_split (TRILLION, thirds, 3, out);
    assert_int_equal (out[0], 333300000000000);
    assert_int_equal (out[1], 333300000000000);
    assert_int_equal (out[2], 333400000000000);
}

/* Property: for random amounts and random splits, the parts sum exactly
   to the amount, each part is within one unit of its exact share, and the
   negated amount gives the negated parts. */
static void
test_split_property (void **state)
{
    (void) state;
    uint64_t prng = SEED;
    char names[INCENTIVE_CREDIT_SPLITS_MAX][16];
    for (size_t index = 0; index < INCENTIVE_CREDIT_SPLITS_MAX; index++)
        snprintf (names[index], sizeof names[index], "rep-%02zu", (size_t) (15 - index));
    for (int round = 0; round < PROPERTY_ROUNDS; round++) {
        size_t count = 1 + (size_t) s_below (&prng, INCENTIVE_CREDIT_SPLITS_MAX);
        /* count shares >= 1 summing to 10,000: cut points in [1, 10,000). */
        incentive_credit_share_t splits[INCENTIVE_CREDIT_SPLITS_MAX];
        int32_t left = INCENTIVE_CREDIT_SHARE_TOTAL;
        for (size_t index = 0; index < count; index++) {
            size_t remaining = count - index - 1;
            int32_t share = left - (int32_t) remaining;
            if (remaining > 0)
                share = 1 + (int32_t) s_below (&prng, (uint64_t) (left - (int32_t) remaining));
            splits[index].rep_id = names[index];
            splits[index].share_bp = share;
            left -= share;
        }
        assert_int_equal (left, 0);
        /* Amounts of every size: small, cents, up to 10^15. */
        int64_t amount;
        switch (s_below (&prng, 3)) {
            case 0:
                amount = (int64_t) s_below (&prng, 100);
                break;
            case 1:
                amount = (int64_t) s_below (&prng, 100000000);
                break;
            default:
                amount = (int64_t) s_below (&prng, (uint64_t) TRILLION + 1);
        }
        int64_t parts[INCENTIVE_CREDIT_SPLITS_MAX];
        int64_t negated[INCENTIVE_CREDIT_SPLITS_MAX];
        s_split (amount, splits, count, parts);
        s_split (-amount, splits, count, negated);
        int64_t sum = 0;
        for (size_t index = 0; index < count; index++) {
            __int128 exact = (__int128) amount * splits[index].share_bp;
            __int128 scaled = (__int128) parts[index] * INCENTIVE_CREDIT_SHARE_TOTAL;
            assert_true (scaled - exact > -INCENTIVE_CREDIT_SHARE_TOTAL);
            assert_true (scaled - exact < INCENTIVE_CREDIT_SHARE_TOTAL);
            assert_int_equal (negated[index], -parts[index]);
            sum += parts[index];
        }
        assert_int_equal (sum, amount);
    }
}

/* Splits not totalling 100 %, and other bad splits, are refused with the
   entry named, outputs untouched. */
static void
test_split_refused (void **state)
{
    (void) state;
    char error[INCENTIVE_CREDIT_ERROR_SIZE];
    int64_t out[3];
    int64_t before[3];
    memset (out, FILL, sizeof out);
    memset (before, FILL, sizeof before);

    const incentive_credit_share_t short_total[] = { { "a", 6000 }, { "b", 3999 } };
    assert_int_equal (incentive_credit_split (100, short_total, 2, out, error, sizeof error), -1);
    assert_string_equal (error, "splits: shares sum to 9999 basis points, must be exactly 10000");
    const incentive_credit_share_t over[] = { { "a", 6000 }, { "b", 4001 } };
    assert_int_equal (incentive_credit_split (100, over, 2, out, error, sizeof error), -1);
    assert_string_equal (error, "splits: shares sum to 10001 basis points, must be exactly 10000");
    const incentive_credit_share_t zero[] = { { "a", 10000 }, { "b", 0 } };
    assert_int_equal (incentive_credit_split (100, zero, 2, out, error, sizeof error), -1);
    assert_string_equal (error, "splits[1].share_bp: 0 is outside 1 to 10000 basis points");
    const incentive_credit_share_t twice[] = { { "a", 5000 }, { "a", 5000 } };
    assert_int_equal (incentive_credit_split (100, twice, 2, out, error, sizeof error), -1);
    assert_string_equal (error, "splits[1].rep_id: \"a\" is already the rep of splits[0]");
    const incentive_credit_share_t empty[] = { { "", 10000 } };
    assert_int_equal (incentive_credit_split (100, empty, 1, out, error, sizeof error), -1);
    assert_string_equal (error, "splits[0].rep_id: must be 1 to 64 bytes");
    const incentive_credit_share_t none[] = { { NULL, 10000 } };
    assert_int_equal (incentive_credit_split (100, none, 1, out, error, sizeof error), -1);
    assert_int_equal (incentive_credit_split (100, NULL, 0, out, error, sizeof error), -1);
    assert_string_equal (error, "splits: at least one split is required");
    incentive_credit_share_t many[INCENTIVE_CREDIT_SPLITS_MAX + 1];
    for (size_t index = 0; index < COUNT (many); index++)
        many[index] = (incentive_credit_share_t){ "x", 1 };
    assert_int_equal (incentive_credit_split (100, many, COUNT (many), out, error, sizeof error),
                      -1);
    assert_string_equal (error, "splits: 17 splits, at most 16 allowed");
    const incentive_credit_share_t good[] = { { "a", 10000 } };
    assert_int_equal (incentive_credit_split (TRILLION + 1, good, 1, out, error, sizeof error), -1);
    assert_string_equal (error, "amount: 1000000000000001 minor units is out of range");
    assert_memory_equal (out, before, sizeof out);
    assert_int_equal (incentive_credit_check (good, 1, error, sizeof error), 0);
}

// ---------------------------------------------------------------- overlays

/* Overlays ride on top of the splits: together above 100 %. */
static void
test_overlay (void **state)
{
    (void) state;
    /* A 10,000.01 deal split 50/50, plus a specialist overlay at 100 %
       and a product kicker at 25 %: 5,000.01 + 5,000.00 (largest
       remainder tie to "a") + 10,000.01 + 2,500.0025 -> 2,500.00. Total
       credited 22,500.02: 225 % of the deal, by design. */
    const incentive_credit_share_t splits[] = { { "a", 5000 }, { "b", 5000 } };
    int64_t parts[2];
    s_split (1000001, splits, 2, parts);
    assert_int_equal (parts[0], 500001);
    assert_int_equal (parts[1], 500000);
    int64_t specialist;
    int64_t kicker;
    assert_int_equal (incentive_credit_overlay (1000001, 10000, &specialist), 0);
    assert_int_equal (incentive_credit_overlay (1000001, 2500, &kicker), 0);
    assert_int_equal (specialist, 1000001);
    assert_int_equal (kicker, 250000);
    assert_int_equal (parts[0] + parts[1] + specialist + kicker, 2250002);

    /* Rounded once, half away from zero: 2 × 25 % = 0.5 -> 1, -0.5 -> -1;
       3 × 150 % = 4.5 -> 5; 1 × 1,000 % = 10. */
    int64_t credit;
    assert_int_equal (incentive_credit_overlay (2, 2500, &credit), 0);
    assert_int_equal (credit, 1);
    assert_int_equal (incentive_credit_overlay (-2, 2500, &credit), 0);
    assert_int_equal (credit, -1);
    assert_int_equal (incentive_credit_overlay (3, 15000, &credit), 0);
    assert_int_equal (credit, 5);
    assert_int_equal (incentive_credit_overlay (1, INCENTIVE_CREDIT_OVERLAY_SHARE_MAX, &credit), 0);
    assert_int_equal (credit, 10);
    assert_int_equal (
        incentive_credit_overlay (TRILLION, INCENTIVE_CREDIT_OVERLAY_SHARE_MAX, &credit), 0);
    assert_int_equal (credit, 10 * TRILLION);

    /* Refused, credit untouched. */
    credit = 42;
    assert_int_equal (incentive_credit_overlay (100, 0, &credit), -1);
    assert_int_equal (
        incentive_credit_overlay (100, INCENTIVE_CREDIT_OVERLAY_SHARE_MAX + 1, &credit), -1);
    assert_int_equal (incentive_credit_overlay (-TRILLION - 1, 100, &credit), -1);
    assert_int_equal (credit, 42);
}

// ---------------------------------------------------------------- roll-up

/* A small org: reps a, b in team:north; c in team:south; d in team:east
   until day 100, then team:north; teams north and south in region:emea,
   east in region:apac; regions under company. */
static const char *
s_parent (void *context, const char *node, int64_t day)
{
    int *calls = context;
    (*calls)++;
    if (strcmp (node, "a") == 0 || strcmp (node, "b") == 0)
        return "team:north";
    if (strcmp (node, "c") == 0)
        return "team:south";
    if (strcmp (node, "d") == 0)
        return day < 100 ? "team:east" : "team:north";
    if (strcmp (node, "team:north") == 0 || strcmp (node, "team:south") == 0)
        return "region:emea";
    if (strcmp (node, "team:east") == 0)
        return "region:apac";
    if (strncmp (node, "region:", 7) == 0)
        return "company";
    return NULL;
}

/* An org with a cycle: x -> team:loop -> region:loop -> team:loop. */
static const char *
s_parent_cycle (void *context, const char *node, int64_t day)
{
    (void) context;
    (void) day;
    if (strcmp (node, "x") == 0 || strcmp (node, "region:loop") == 0)
        return "team:loop";
    if (strcmp (node, "team:loop") == 0)
        return "region:loop";
    return NULL;
}

/* An org whose parent id is too long. */
static const char *
s_parent_long (void *context, const char *node, int64_t day)
{
    (void) day;
    (void) node;
    return context;
}

static size_t
s_rollup (int64_t amount, const incentive_credit_share_t *splits, size_t count, int64_t day,
          int levels, incentive_credit_rollup_mode_t mode, incentive_credit_rollup_t *out)
{
    int calls = 0;
    size_t found = 0;
    char error[INCENTIVE_CREDIT_ERROR_SIZE] = "";
    int rc =
        incentive_credit_rollup (amount, splits, count, s_parent, &calls, day, levels, mode, out,
                                 INCENTIVE_CREDIT_ROLLUP_MAX, &found, error, sizeof error);
    if (rc != 0)
        fail_msg ("rollup refused: %s", error);
    return found;
}

/* Two reps of one team share a deal: their manager is credited once, with
   the sum of their credits, never the deal twice. */
static void
test_rollup_no_double_count (void **state)
{
    (void) state;
    static incentive_credit_rollup_t out[INCENTIVE_CREDIT_ROLLUP_MAX];
    /* 1,000.01 at a 60 / b 30 / c 10: splits 600.01 (remainder 0.6 wins),
       300.00, 100.00 -> team:north 900.01 (2 reps, 90 %), team:south
       100.00, region:emea 1,000.01 once (3 reps), company 1,000.01 once. */
    const incentive_credit_share_t splits[] = { { "a", 6000 }, { "b", 3000 }, { "c", 1000 } };
    size_t found = s_rollup (100001, splits, 3, 10, 3, INCENTIVE_CREDIT_ROLLUP_SHARES, out);
    assert_int_equal (found, 4);
    /* sorted by node id */
    assert_string_equal (out[0].node, "company");
    assert_int_equal (out[0].amount, 100001);
    assert_int_equal (out[0].share_bp, 10000);
    assert_int_equal (out[0].reps, 3);
    assert_int_equal (out[0].depth, 3);
    assert_string_equal (out[1].node, "region:emea");
    assert_int_equal (out[1].amount, 100001);
    assert_int_equal (out[1].depth, 2);
    assert_string_equal (out[2].node, "team:north");
    assert_int_equal (out[2].amount, 90001);
    assert_int_equal (out[2].share_bp, 9000);
    assert_int_equal (out[2].reps, 2);
    assert_int_equal (out[2].depth, 1);
    assert_string_equal (out[3].node, "team:south");
    assert_int_equal (out[3].amount, 10000);
    assert_int_equal (out[3].share_bp, 1000);

    /* FULL: each manager gets the whole deal once. */
    found = s_rollup (100001, splits, 3, 10, 1, INCENTIVE_CREDIT_ROLLUP_FULL, out);
    assert_int_equal (found, 2);
    assert_string_equal (out[0].node, "team:north");
    assert_int_equal (out[0].amount, 100001);
    assert_int_equal (out[0].share_bp, 10000);
    assert_int_equal (out[0].reps, 2);
    assert_string_equal (out[1].node, "team:south");
    assert_int_equal (out[1].amount, 100001);

    /* The org on the deal's day: d sits in team:east on day 10, in
       team:north from day 100, where a and d then share one manager. */
    const incentive_credit_share_t moved[] = { { "a", 5000 }, { "d", 5000 } };
    found = s_rollup (1000, moved, 2, 10, 1, INCENTIVE_CREDIT_ROLLUP_SHARES, out);
    assert_int_equal (found, 2);
    assert_string_equal (out[0].node, "team:east");
    assert_string_equal (out[1].node, "team:north");
    found = s_rollup (1000, moved, 2, 100, 2, INCENTIVE_CREDIT_ROLLUP_SHARES, out);
    assert_int_equal (found, 2);
    assert_string_equal (out[0].node, "region:emea");
    assert_int_equal (out[0].amount, 1000);
    assert_string_equal (out[1].node, "team:north");
    assert_int_equal (out[1].amount, 1000);
    assert_int_equal (out[1].reps, 2);

    /* A rep without a manager: nothing to credit. */
    const incentive_credit_share_t orphan[] = { { "nobody", 10000 } };
    found = s_rollup (1000, orphan, 1, 10, 3, INCENTIVE_CREDIT_ROLLUP_SHARES, out);
    assert_int_equal (found, 0);
}

/* The roll-up of credits already split, as a manager's statement reads
   them: only the reps under it (a and b of 1,000.01 at a 60 / b 30 /
   c 10), with the amounts their own credits hold. team:north gets 900.01
   (600.01 + 300.00), the same as from the whole splits; FULL gives the
   deal once; refusals name the part. */
static void
test_rollup_parts (void **state)
{
    (void) state;
    static incentive_credit_rollup_t out[INCENTIVE_CREDIT_ROLLUP_MAX];
    const incentive_credit_share_t parts[] = { { "a", 6000 }, { "b", 3000 } };
    const int64_t amounts[] = { 60001, 30000 };
    int calls = 0;
    size_t found = 0;
    char error[INCENTIVE_CREDIT_ERROR_SIZE] = "";
    assert_int_equal (incentive_credit_rollup_parts (100001, parts, amounts, 2, s_parent, &calls,
                                                     10, 2, INCENTIVE_CREDIT_ROLLUP_SHARES, out,
                                                     INCENTIVE_CREDIT_ROLLUP_MAX, &found, error,
                                                     sizeof error),
                      0);
    assert_int_equal (found, 2);
    assert_string_equal (out[0].node, "region:emea");
    assert_int_equal (out[0].amount, 90001);
    assert_int_equal (out[0].share_bp, 9000);
    assert_string_equal (out[1].node, "team:north");
    assert_int_equal (out[1].amount, 90001);
    assert_int_equal (out[1].reps, 2);
    assert_int_equal (incentive_credit_rollup_parts (100001, parts, amounts, 2, s_parent, &calls,
                                                     10, 1, INCENTIVE_CREDIT_ROLLUP_FULL, out,
                                                     INCENTIVE_CREDIT_ROLLUP_MAX, &found, error,
                                                     sizeof error),
                      0);
    assert_int_equal (found, 1);
    assert_int_equal (out[0].amount, 100001);
    assert_int_equal (out[0].share_bp, 10000);

    const incentive_credit_share_t over[] = { { "a", 6000 }, { "b", 5000 } };
    found = 7;
    assert_int_equal (incentive_credit_rollup_parts (100001, over, amounts, 2, s_parent, &calls, 10,
                                                     1, INCENTIVE_CREDIT_ROLLUP_SHARES, out,
                                                     INCENTIVE_CREDIT_ROLLUP_MAX, &found, error,
                                                     sizeof error),
                      -1);
    assert_string_equal (error, "parts: shares sum to 11000 basis points, above 10000");
    assert_int_equal (found, 7);
    const incentive_credit_share_t twice[] = { { "a", 6000 }, { "a", 3000 } };
    assert_int_equal (incentive_credit_rollup_parts (100001, twice, amounts, 2, s_parent, &calls,
                                                     10, 1, INCENTIVE_CREDIT_ROLLUP_SHARES, out,
                                                     INCENTIVE_CREDIT_ROLLUP_MAX, &found, error,
                                                     sizeof error),
                      -1);
    assert_string_equal (error, "parts[1].rep_id: already parts[0]'s");
}

/* Cycles, bad node ids, bad levels, too little room: refused, out untouched. */
static void
test_rollup_refused (void **state)
{
    (void) state;
    static incentive_credit_rollup_t out[4];
    static incentive_credit_rollup_t before[4];
    memset (out, FILL, sizeof out);
    memset (before, FILL, sizeof before);
    char error[INCENTIVE_CREDIT_ERROR_SIZE];
    size_t found = 99;
    int calls = 0;

    const incentive_credit_share_t loop[] = { { "x", 10000 } };
    assert_int_equal (incentive_credit_rollup (100, loop, 1, s_parent_cycle, NULL, 0, 5,
                                               INCENTIVE_CREDIT_ROLLUP_SHARES, out, 4, &found,
                                               error, sizeof error),
                      -1);
    assert_string_equal (error, "parent of splits[0] at level 3: \"team:loop\" is already below it "
                                "(a cycle in the org)");
    char longer[INCENTIVE_CREDIT_NODE_MAX + 2];
    memset (longer, 'n', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal (incentive_credit_rollup (100, loop, 1, s_parent_long, longer, 0, 1,
                                               INCENTIVE_CREDIT_ROLLUP_SHARES, out, 4, &found,
                                               error, sizeof error),
                      -1);
    assert_string_equal (error, "parent of splits[0] at level 1: node id must be 1 to 143 bytes");
    char nothing[] = "";
    assert_int_equal (incentive_credit_rollup (100, loop, 1, s_parent_long, nothing, 0, 1,
                                               INCENTIVE_CREDIT_ROLLUP_SHARES, out, 4, &found,
                                               error, sizeof error),
                      -1);
    assert_int_equal (incentive_credit_rollup (100, loop, 1, s_parent, &calls, 0, 0,
                                               INCENTIVE_CREDIT_ROLLUP_SHARES, out, 4, &found,
                                               error, sizeof error),
                      -1);
    assert_string_equal (error, "levels: 0 is outside 1 to 16");
    const incentive_credit_share_t splits[] = { { "a", 5000 }, { "c", 5000 } };
    assert_int_equal (incentive_credit_rollup (100, splits, 2, s_parent, &calls, 0, 3,
                                               INCENTIVE_CREDIT_ROLLUP_SHARES, out, 3, &found,
                                               error, sizeof error),
                      -1);
    assert_string_equal (error, "4 managers to credit, room for 3");
    const incentive_credit_share_t bad[] = { { "a", 5000 } };
    assert_int_equal (incentive_credit_rollup (100, bad, 1, s_parent, &calls, 0, 3,
                                               INCENTIVE_CREDIT_ROLLUP_SHARES, out, 4, &found,
                                               error, sizeof error),
                      -1);
    assert_string_equal (error, "splits: shares sum to 5000 basis points, must be exactly 10000");
    assert_memory_equal (out, before, sizeof out);
    assert_int_equal (found, 99);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_split_exact),    cmocka_unit_test (test_split_remainders),
        cmocka_unit_test (test_split_property), cmocka_unit_test (test_split_refused),
        cmocka_unit_test (test_overlay),        cmocka_unit_test (test_rollup_no_double_count),
        cmocka_unit_test (test_rollup_refused), cmocka_unit_test (test_rollup_parts),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
