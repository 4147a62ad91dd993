/*  test_funnel_steps - the funnel step state machine (funnel_steps).

    Sequence mode is checked against ClickHouse windowFunnel's own
    examples, reproduced with their exact inputs and expected levels:
      - DOCS: docs/en/sql-reference/aggregate-functions/parametric-functions.md
        ("windowFunnel ... Example", the trend table, expected level 4);
      - T632: tests/queries/0_stateless/00632_aggregation_window_funnel.sql
        with its .reference (github.com/ClickHouse/ClickHouse);
      - T1646: tests/queries/0_stateless/01646_fix_window_funnel_inconistency
        (equal timestamps, either insertion order gives 2).
    Their timestamps are seconds; here they become ms (x1000) with the
    window scaled the same way. Every evaluation also runs on the hits
    reversed and rotated, and must give the identical result, so every
    case doubles as an out-of-order test. Then strict_order with rows that
    match no step, as funnel-tracker hands them over for a stage funnel
    (a stage change to a stage no step names): where they stop a chain,
    where they do not, with the other options, and that no other mode or
    option sees them.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "funnel_steps.h"

#define TEST_SECOND INT64_C (1000)
#define TEST_DAY (INT64_C (86400) * TEST_SECOND)
#define TEST_HITS_MAX 32
#define TEST_PERMUTED 6
#define TEST_ERROR_SIZE 128

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))

/* A source row: timestamp in seconds and an event code. */
typedef struct {
    int64_t seconds;
    int code;
} test_row_t;

static funnel_steps_settings_t
s_sequence (size_t step_count, int64_t window_ms)
{
    funnel_steps_settings_t settings;
    funnel_steps_settings_init (&settings, step_count);
    settings.mode = FUNNEL_STEPS_MODE_SEQUENCE;
    settings.window_ms = window_ms;
    return settings;
}

/* Hits from rows: bit j set when the row's code equals conditions[j], as
   windowFunnel(cond1 = code == c1, ...) sees them; sequence = row + 1. */
static size_t
s_hits_from_rows (const test_row_t *rows, size_t row_count, const int *conditions,
                  size_t condition_count, funnel_steps_hit_t *hits)
{
    assert_true (row_count <= TEST_HITS_MAX);
    for (size_t row = 0; row < row_count; row++) {
        hits[row].timestamp_ms = rows[row].seconds * TEST_SECOND;
        hits[row].sequence = row + 1;
        hits[row].step_mask = 0;
        for (size_t step = 0; step < condition_count; step++)
            if (rows[row].code == conditions[step])
                hits[row].step_mask |= UINT32_C (1) << step;
    }
    return row_count;
}

static void
s_assert_same (const funnel_steps_result_t *left, const funnel_steps_result_t *right)
{
    assert_int_equal (left->level, right->level);
    assert_int_equal (left->reached_mask, right->reached_mask);
    assert_memory_equal (left->reached_ms, right->reached_ms, sizeof left->reached_ms);
    assert_memory_equal (left->reached_sequence, right->reached_sequence,
                         sizeof left->reached_sequence);
    assert_int_equal (left->outcome, right->outcome);
    assert_int_equal (left->outcome_ms, right->outcome_ms);
}

/* Evaluates hits as given, reversed and in every rotation; all must agree. */
static funnel_steps_result_t
s_evaluate (const funnel_steps_settings_t *settings, const funnel_steps_hit_t *hits, size_t count)
{
    char error[TEST_ERROR_SIZE] = "";
    funnel_steps_t *steps = funnel_steps_new (settings, error, sizeof error);
    assert_non_null (steps);
    funnel_steps_result_t result, other;
    assert_int_equal (funnel_steps_evaluate (steps, hits, count, &result), 0);
    funnel_steps_hit_t moved[TEST_HITS_MAX];
    assert_true (count <= TEST_HITS_MAX);
    for (size_t index = 0; index < count; index++)
        moved[index] = hits[count - 1 - index];
    assert_int_equal (funnel_steps_evaluate (steps, moved, count, &other), 0);
    s_assert_same (&result, &other);
    for (size_t shift = 1; shift < count; shift++) {
        for (size_t index = 0; index < count; index++)
            moved[index] = hits[(index + shift) % count];
        assert_int_equal (funnel_steps_evaluate (steps, moved, count, &other), 0);
        s_assert_same (&result, &other);
    }
    funnel_steps_destroy (&steps);
    assert_null (steps);
    return result;
}

static size_t
s_level (const funnel_steps_settings_t *settings, const test_row_t *rows, size_t row_count,
         const int *conditions, size_t condition_count)
{
    funnel_steps_hit_t hits[TEST_HITS_MAX];
    size_t count = s_hits_from_rows (rows, row_count, conditions, condition_count, hits);
    return s_evaluate (settings, hits, count).level;
}

/* DOCS: login 1003, order 1009, search 1007, reorder 1010, rows listed out
   of time order (2019-01-29 10:00, 01-31 09:00, 01-30 08:00, 02-01 08:00
   UTC), window 6048000000000000 s: level 4. */
static void
test_docs_example (void **state)
{
    (void) state;
    const test_row_t rows[] = {
        { 1548756000, 1003 }, { 1548925200, 1007 }, { 1548835200, 1009 }, { 1549008000, 1010 }
    };
    const int conditions[] = { 1003, 1009, 1007, 1010 };
    funnel_steps_settings_t settings = s_sequence (4, INT64_C (6048000000000000) * TEST_SECOND);
    assert_int_equal (s_level (&settings, rows, COUNT (rows), conditions, 4), 4);
}

/* T632 funnel_test and funnel_test2: window length and condition order. */
static void
test_clickhouse_window_length (void **state)
{
    (void) state;
    test_row_t rows[9];
    for (int second = 0; second < 9; second++)
        rows[second] = (test_row_t){ second, 1000 + second };
    const int first[] = { 1000, 1001, 1002, 1008 };
    funnel_steps_settings_t wide = s_sequence (1, 10000 * TEST_SECOND);
    assert_int_equal (s_level (&wide, rows, 9, first, 1), 1);
    wide.step_count = 2;
    assert_int_equal (s_level (&wide, rows, 9, first, 2), 2);
    wide.step_count = 3;
    assert_int_equal (s_level (&wide, rows, 9, first, 3), 3);
    wide.step_count = 4;
    assert_int_equal (s_level (&wide, rows, 9, first, 4), 4);
    funnel_steps_settings_t one = s_sequence (1, 1 * TEST_SECOND);
    assert_int_equal (s_level (&one, rows, 9, first, 1), 1);
    const int middle[] = { 1003, 1004, 1005, 1006, 1007 };
    const size_t expected[] = { 3, 4, 5 }; /* windows 2, 3, 4 */
    for (int64_t window = 2; window <= 4; window++) {
        funnel_steps_settings_t settings = s_sequence (5, window * TEST_SECOND);
        assert_int_equal (s_level (&settings, rows, 9, middle, 5), expected[window - 2]);
    }
    /* funnel_test2: 1001..1008 at seconds 1..8. */
    for (int second = 1; second <= 8; second++)
        rows[second - 1] = (test_row_t){ second, 1000 + second };
    const int forward[] = { 1001, 1008 }, backward[] = { 1008, 1001 };
    funnel_steps_settings_t two = s_sequence (2, 10000 * TEST_SECOND);
    assert_int_equal (s_level (&two, rows, 8, forward, 2), 2);
    assert_int_equal (s_level (&two, rows, 8, backward, 2), 1);
}

/* T632 funnel_test2, overlapping conditions: event <= 1007, >= 1002,
   <= 1006, >= 1004 with window 4: one row matches several steps. */
static void
test_clickhouse_overlapping_conditions (void **state)
{
    (void) state;
    funnel_steps_hit_t hits[8];
    for (int event = 1001; event <= 1008; event++) {
        uint32_t mask = 0;
        mask |= event <= 1007 ? 1u : 0u;
        mask |= event >= 1002 ? 2u : 0u;
        mask |= event <= 1006 ? 4u : 0u;
        mask |= event >= 1004 ? 8u : 0u;
        hits[event - 1001] =
            (funnel_steps_hit_t){ (event - 1000) * TEST_SECOND, mask, (uint64_t) event };
    }
    funnel_steps_settings_t settings = s_sequence (4, 4 * TEST_SECOND);
    assert_int_equal (s_evaluate (&settings, hits, 8).level, 4);
}

/* T632 funnel_test_strict: 1005 twice; strict_deduplication stops at 6,
   without it 7. T632 issue 27469: a b c b d gives 3 (4 without). */
static void
test_clickhouse_strict_deduplication (void **state)
{
    (void) state;
    const test_row_t rows[] = { { 0, 1000 },  { 10, 1001 }, { 20, 1002 }, { 30, 1003 },
                                { 40, 1004 }, { 50, 1005 }, { 51, 1005 }, { 60, 1006 },
                                { 70, 1007 }, { 80, 1008 } };
    const int conditions[] = { 1000, 1001, 1002, 1003, 1004, 1005, 1006 };
    funnel_steps_settings_t settings = s_sequence (7, 10000 * TEST_SECOND);
    assert_int_equal (s_level (&settings, rows, COUNT (rows), conditions, 7), 7);
    settings.strict_deduplication = true;
    assert_int_equal (s_level (&settings, rows, COUNT (rows), conditions, 7), 6);

    const test_row_t bite[] = { { 1, 'a' }, { 2, 'b' }, { 3, 'c' }, { 4, 'b' }, { 5, 'd' } };
    const int letters[] = { 'a', 'b', 'c', 'd' };
    funnel_steps_settings_t day = s_sequence (4, TEST_DAY);
    assert_int_equal (s_level (&day, bite, COUNT (bite), letters, 4), 4);
    day.strict_deduplication = true;
    assert_int_equal (s_level (&day, bite, COUNT (bite), letters, 4), 3);
}

/* T632 funnel_test_strict_order: users 1..6 with no option, strict_order,
   and strict_deduplication + strict_order; 'd' matches no step. */
static void
test_clickhouse_strict_order (void **state)
{
    (void) state;
    static const char *users[] = { "abc", "adbc", "aabbcc", "aaaabbcc", "aabbdcc", "ccbbaa" };
    const size_t plain[] = { 3, 3, 3, 3, 3, 1 };
    const size_t order[] = { 3, 1, 3, 3, 2, 1 };
    const size_t both[] = { 3, 1, 2, 2, 2, 1 };
    const int letters[] = { 'a', 'b', 'c' };
    for (size_t user = 0; user < COUNT (users); user++) {
        test_row_t rows[TEST_HITS_MAX];
        size_t count = strlen (users[user]);
        for (size_t index = 0; index < count; index++)
            rows[index] = (test_row_t){ (int64_t) index + 1, users[user][index] };
        funnel_steps_settings_t settings = s_sequence (3, TEST_DAY);
        assert_int_equal (s_level (&settings, rows, count, letters, 3), plain[user]);
        settings.strict_order = true;
        assert_int_equal (s_level (&settings, rows, count, letters, 3), order[user]);
        settings.strict_deduplication = true;
        assert_int_equal (s_level (&settings, rows, count, letters, 3), both[user]);
    }
    /* User 7: a c b, window 10, strict_order: 1 (2 without). */
    const test_row_t seven[] = { { 1, 'a' }, { 2, 'c' }, { 3, 'b' } };
    funnel_steps_settings_t settings = s_sequence (3, 10 * TEST_SECOND);
    assert_int_equal (s_level (&settings, seven, 3, letters, 3), 2);
    settings.strict_order = true;
    assert_int_equal (s_level (&settings, seven, 3, letters, 3), 1);
}

/* T632 funnel_test_non_null, user 4: rows (a null, b1), (a2, null),
   (a null, b3) against "a is null", "b = 'b3'": masks {1}, none, {1,2}.
   Level 2, but 1 under strict_order: the row matching nothing breaks. */
static void
test_clickhouse_rows_matching_nothing (void **state)
{
    (void) state;
    const funnel_steps_hit_t hits[] = { { 1 * TEST_SECOND, 1, 1 },
                                        { 2 * TEST_SECOND, 0, 2 },
                                        { 3 * TEST_SECOND, 3, 3 } };
    funnel_steps_settings_t settings = s_sequence (2, TEST_DAY);
    assert_int_equal (s_evaluate (&settings, hits, 3).level, 2);
    settings.strict_order = true;
    assert_int_equal (s_evaluate (&settings, hits, 3).level, 1);
    /* Users 1 and 3: nothing matches gives 0; a lone step-1 match gives 1. */
    const funnel_steps_hit_t none[] = { { 1 * TEST_SECOND, 0, 1 }, { 2 * TEST_SECOND, 0, 2 } };
    assert_int_equal (s_evaluate (&settings, none, 2).level, 0);
    assert_int_equal (s_evaluate (&settings, hits, 1).level, 1);
}

/* T632 funnel_test_strict_increase: (0,1000) (1,1001) (1,1002) (1,1003)
   (2,1004): 5 steps reach 5, 2 with strict_increase; three conditions
   all "event = 1004" reach 3, 1 with strict_increase. */
static void
test_clickhouse_strict_increase (void **state)
{
    (void) state;
    const test_row_t rows[] = { { 0, 1000 }, { 1, 1001 }, { 1, 1002 }, { 1, 1003 }, { 2, 1004 } };
    const int five[] = { 1000, 1001, 1002, 1003, 1004 };
    const int same[] = { 1004, 1004, 1004 };
    funnel_steps_settings_t settings = s_sequence (5, 10000 * TEST_SECOND);
    assert_int_equal (s_level (&settings, rows, 5, five, 5), 5);
    settings.strict_increase = true;
    assert_int_equal (s_level (&settings, rows, 5, five, 5), 2);
    settings = s_sequence (3, 10000 * TEST_SECOND);
    assert_int_equal (s_level (&settings, rows, 5, same, 3), 3);
    settings.strict_increase = true;
    assert_int_equal (s_level (&settings, rows, 5, same, 3), 1);
    /* Where timestamps do increase, the option changes nothing. */
    const test_row_t rising[] = { { 1, 'a' }, { 2, 'b' }, { 3, 'c' } };
    const int letters[] = { 'a', 'b', 'c' };
    assert_int_equal (s_level (&settings, rising, 3, letters, 3), 3);
}

/* T1646: 1004 and 1003 at the same second, 1002 a day earlier, steps
   1004, 1003, 1002: level 2 in either insertion order (the tie is broken
   by step index, so 1004 then 1003 chain). */
static void
test_clickhouse_equal_timestamps (void **state)
{
    (void) state;
    const int64_t day = 1548720000;
    const test_row_t first[] = { { day + 36000, 1004 },
                                 { day + 36000, 1003 },
                                 { day - 50400, 1002 } };
    const test_row_t second[] = { { day + 36000, 1003 },
                                  { day + 36000, 1004 },
                                  { day - 50400, 1002 } };
    const int conditions[] = { 1004, 1003, 1002 };
    funnel_steps_settings_t settings = s_sequence (3, INT64_C (6048000000000000) * TEST_SECOND);
    assert_int_equal (s_level (&settings, first, 3, conditions, 3), 2);
    assert_int_equal (s_level (&settings, second, 3, conditions, 3), 2);
}

/* The window is inclusive: exactly window_ms after step 1 counts, one ms
   more does not; in both modes. */
static void
test_window_edge_is_inclusive (void **state)
{
    (void) state;
    const int64_t window = 5000;
    funnel_steps_hit_t hits[] = { { 100, 1, 1 }, { 100 + window, 2, 2 } };
    funnel_steps_settings_t sequence = s_sequence (2, window);
    funnel_steps_settings_t pipeline;
    funnel_steps_settings_init (&pipeline, 2);
    pipeline.window_ms = window;
    assert_int_equal (s_evaluate (&sequence, hits, 2).level, 2);
    assert_int_equal (s_evaluate (&pipeline, hits, 2).level, 2);
    hits[1].timestamp_ms++;
    assert_int_equal (s_evaluate (&sequence, hits, 2).level, 1);
    assert_int_equal (s_evaluate (&pipeline, hits, 2).level, 1);
    /* A zero window still chains steps at the same millisecond. */
    sequence.window_ms = 0;
    hits[1].timestamp_ms = 100;
    assert_int_equal (s_evaluate (&sequence, hits, 2).level, 2);
}

/* A repeat of step 1 starts a new chain with its own window; deeper steps
   reached by an older chain stay reached; step times are those of the
   first chain to reach the deepest step. */
static void
test_sequence_repeat_of_step_one (void **state)
{
    (void) state;
    funnel_steps_settings_t settings = s_sequence (3, 5 * TEST_SECOND);
    /* a1 b2 a10 c11: c is 10 s after the chain holding b: level stays 2. */
    const funnel_steps_hit_t late[] = {
        { 1000, 1, 1 }, { 2000, 2, 2 }, { 10000, 1, 3 }, { 11000, 4, 4 }
    };
    funnel_steps_result_t result = s_evaluate (&settings, late, 4);
    assert_int_equal (result.level, 2);
    assert_int_equal (result.reached_ms[0], 1000);
    assert_int_equal (result.reached_ms[1], 2000);
    /* a1 a10 b11 c12: the fresh chain from 10 reaches 3. */
    const funnel_steps_hit_t fresh[] = {
        { 1000, 1, 1 }, { 10000, 1, 2 }, { 11000, 2, 3 }, { 12000, 4, 4 }
    };
    result = s_evaluate (&settings, fresh, 4);
    assert_int_equal (result.level, 3);
    assert_int_equal (result.reached_mask, 7);
    assert_int_equal (result.reached_ms[0], 10000);
    assert_int_equal (result.reached_ms[1], 11000);
    assert_int_equal (result.reached_ms[2], 12000);
    assert_int_equal (result.reached_sequence[0], 2);
    assert_int_equal (result.reached_sequence[2], 4);
    /* a1 b2 a3 c4: neither strict_deduplication nor strict_order stops at
       the second a (the source's code; see the report about allow_reentry),
       and c extends the older chain: level 3 from a at 1. */
    const funnel_steps_hit_t again[] = {
        { 1000, 1, 1 }, { 2000, 2, 2 }, { 3000, 1, 3 }, { 4000, 4, 4 }
    };
    settings.strict_deduplication = true;
    settings.strict_order = true;
    result = s_evaluate (&settings, again, 4);
    assert_int_equal (result.level, 3);
    assert_int_equal (result.reached_ms[0], 1000);
}

/* Every permutation of six hits (ties included) gives the same result:
   Heap's algorithm over the first size hits. */
static void
s_permute (const funnel_steps_settings_t *settings, funnel_steps_hit_t *hits, size_t size,
           const funnel_steps_result_t *expected)
{
    if (size == 1) {
        funnel_steps_result_t result = s_evaluate (settings, hits, TEST_PERMUTED);
        s_assert_same (&result, expected);
        return;
    }
    s_permute (settings, hits, size - 1, expected);
    for (size_t index = 0; index + 1 < size; index++) {
        size_t swap = size % 2 ? 0 : index;
        funnel_steps_hit_t held = hits[swap];
        hits[swap] = hits[size - 1];
        hits[size - 1] = held;
        s_permute (settings, hits, size - 1, expected);
    }
}

static void
test_every_order_gives_the_same_result (void **state)
{
    (void) state;
    const funnel_steps_hit_t sorted[TEST_PERMUTED] = { { 10, 1, 1 }, { 20, 2, 2 }, { 20, 4, 3 },
                                                       { 25, 1, 4 }, { 30, 2, 5 }, { 30, 12, 6 } };
    funnel_steps_settings_t variants[5];
    for (size_t index = 0; index < 4; index++)
        variants[index] = s_sequence (4, 15);
    variants[1].strict_increase = true;
    variants[2].strict_order = true;
    variants[3].strict_deduplication = true;
    funnel_steps_settings_init (&variants[4], 4);
    variants[4].won_mask = 8;
    for (size_t index = 0; index < COUNT (variants); index++) {
        funnel_steps_result_t expected = s_evaluate (&variants[index], sorted, TEST_PERMUTED);
        funnel_steps_hit_t hits[TEST_PERMUTED];
        memcpy (hits, sorted, sizeof hits);
        s_permute (&variants[index], hits, TEST_PERMUTED, &expected);
    }
}

/* Pipeline steps: lead, qualified, proposal, negotiation, won, lost. */
static funnel_steps_settings_t
s_pipeline (void)
{
    funnel_steps_settings_t settings;
    funnel_steps_settings_init (&settings, 6);
    settings.won_mask = 1u << 4;
    settings.lost_mask = 1u << 5;
    return settings;
}

static void
test_pipeline_skipping_passes_earlier_steps (void **state)
{
    (void) state;
    funnel_steps_settings_t settings = s_pipeline ();
    const funnel_steps_hit_t proposal[] = { { 100, 4, 7 } };
    funnel_steps_result_t result = s_evaluate (&settings, proposal, 1);
    assert_int_equal (result.level, 3);
    assert_int_equal (result.reached_mask, 7);
    for (int step = 0; step < 3; step++) {
        assert_int_equal (result.reached_ms[step], 100);
        assert_int_equal (result.reached_sequence[step], 7);
    }
    assert_int_equal (result.outcome, FUNNEL_STEPS_OUTCOME_OPEN);
    /* Seen at proposal (0), then lead (5), a repeat of lead (50) and a
       foreign event: the window starts at 0, nothing moves back. */
    const funnel_steps_hit_t late_lead[] = { { 0, 4, 1 }, { 5, 1, 2 }, { 50, 1, 3 }, { 60, 0, 4 } };
    result = s_evaluate (&settings, late_lead, 4);
    assert_int_equal (result.level, 3);
    assert_int_equal (result.reached_ms[0], 0);
    /* lead 0, negotiation 10, won 20. */
    const funnel_steps_hit_t won[] = { { 0, 1, 1 }, { 10, 8, 2 }, { 20, 16, 3 } };
    result = s_evaluate (&settings, won, 3);
    assert_int_equal (result.level, 5);
    assert_int_equal (result.reached_mask, 31);
    assert_int_equal (result.reached_ms[1], 10);
    assert_int_equal (result.reached_ms[3], 10);
    assert_int_equal (result.reached_ms[4], 20);
    assert_int_equal (result.outcome, FUNNEL_STEPS_OUTCOME_WON);
    assert_int_equal (result.outcome_ms, 20);
}

static void
test_pipeline_lost_is_not_won (void **state)
{
    (void) state;
    funnel_steps_settings_t settings = s_pipeline ();
    /* lead 0, qualified 10, lost 20: two steps passed, lost, won not. */
    const funnel_steps_hit_t lost[] = { { 0, 1, 1 }, { 10, 2, 2 }, { 20, 32, 3 } };
    funnel_steps_result_t result = s_evaluate (&settings, lost, 3);
    assert_int_equal (result.level, 2);
    assert_int_equal (result.reached_mask, 3 | 32);
    assert_int_equal (result.reached_ms[5], 20);
    assert_int_equal (result.outcome, FUNNEL_STEPS_OUTCOME_LOST);
    assert_int_equal (result.outcome_ms, 20);
    /* Lost first ends the journey: a later won is ignored. */
    const funnel_steps_hit_t reopened[] = { { 0, 1, 1 }, { 10, 32, 2 }, { 20, 16, 3 } };
    result = s_evaluate (&settings, reopened, 3);
    assert_int_equal (result.level, 1);
    assert_int_equal (result.outcome, FUNNEL_STEPS_OUTCOME_LOST);
    assert_int_equal (result.outcome_ms, 10);
    /* Won first: a later lost is ignored. */
    const funnel_steps_hit_t won[] = { { 0, 16, 1 }, { 10, 32, 2 } };
    result = s_evaluate (&settings, won, 2);
    assert_int_equal (result.level, 5);
    assert_int_equal (result.reached_mask, 31);
    assert_int_equal (result.outcome, FUNNEL_STEPS_OUTCOME_WON);
    /* Lost alone passes nothing. */
    result = s_evaluate (&settings, &lost[2], 1);
    assert_int_equal (result.level, 0);
    assert_int_equal (result.reached_mask, 32);
    /* Won after the 90-day window does not count. */
    const funnel_steps_hit_t slow[] = { { 0, 1, 1 },
                                        { FUNNEL_STEPS_DEFAULT_WINDOW_MS + 1, 16, 2 } };
    result = s_evaluate (&settings, slow, 2);
    assert_int_equal (result.level, 1);
    assert_int_equal (result.outcome, FUNNEL_STEPS_OUTCOME_OPEN);
}

/* Empty input, and single-step funnels, in both modes. */
static void
test_empty_input_and_one_step (void **state)
{
    (void) state;
    funnel_steps_settings_t settings = s_sequence (3, TEST_DAY);
    funnel_steps_result_t result = s_evaluate (&settings, NULL, 0);
    assert_int_equal (result.level, 0);
    assert_int_equal (result.reached_mask, 0);
    assert_int_equal (result.outcome, FUNNEL_STEPS_OUTCOME_OPEN);
    funnel_steps_settings_init (&settings, 3);
    assert_int_equal (s_evaluate (&settings, NULL, 0).level, 0);

    const funnel_steps_hit_t hits[] = { { 50, 0, 1 }, { 70, 1, 2 }, { 60, 1, 3 }, { 80, 0, 4 } };
    funnel_steps_settings_init (&settings, 1);
    result = s_evaluate (&settings, hits, 4);
    assert_int_equal (result.level, 1);
    assert_int_equal (result.reached_ms[0], 60);
    assert_int_equal (result.reached_sequence[0], 3);
    settings = s_sequence (1, TEST_DAY);
    settings.strict_order = true;
    assert_int_equal (s_evaluate (&settings, hits, 4).level, 1);
}

/* ------------------------------------------- strict_order: rows matching no step */

/* An entity's stage changes as funnel-tracker hands them over for a
   stage funnel a -> b -> c: one hit per event, an hour apart, in log
   order (sequence = position + 1); a stage no step names ('d') is a row
   with step_mask 0. */
static size_t
s_stage_hits (const char *stages, funnel_steps_hit_t *hits)
{
    size_t count = strlen (stages);
    assert_true (count <= TEST_HITS_MAX);
    for (size_t index = 0; index < count; index++) {
        char stage = stages[index];
        uint32_t mask = stage >= 'a' && stage <= 'c' ? UINT32_C (1) << (stage - 'a') : 0;
        hits[index] =
            (funnel_steps_hit_t){ (int64_t) (index + 1) * 3600 * TEST_SECOND, mask, index + 1 };
    }
    return count;
}

/* The level stages reach under settings (three steps, a day's window). */
static size_t
s_stage_level (const char *stages, bool strict_order)
{
    funnel_steps_hit_t hits[TEST_HITS_MAX];
    size_t count = s_stage_hits (stages, hits);
    funnel_steps_settings_t settings = s_sequence (3, TEST_DAY);
    settings.strict_order = strict_order;
    return s_evaluate (&settings, hits, count).level;
}

/* The two cases of the funnel-tracker bug: a stage change to 'd' (no
   step) between the steps stops a strict_order chain, as in ClickHouse
   (T632 funnel_test_strict_order users 2 and 5): a d b c reaches 1, a a
   b b d c c reaches 2; without strict_order the row changes nothing. */
static void
test_strict_order_stage_change_to_no_step_stops (void **state)
{
    (void) state;
    assert_int_equal (s_stage_level ("adbc", true), 1);
    assert_int_equal (s_stage_level ("aabbdcc", true), 2);
    assert_int_equal (s_stage_level ("adbc", false), 3);
    assert_int_equal (s_stage_level ("aabbdcc", false), 3);
    /* The steps reached keep their times: a at 1 h, b at 3 h (the first b
       to extend the chain). */
    funnel_steps_hit_t hits[TEST_HITS_MAX];
    size_t count = s_stage_hits ("aabbdcc", hits);
    funnel_steps_settings_t settings = s_sequence (3, TEST_DAY);
    settings.strict_order = true;
    funnel_steps_result_t result = s_evaluate (&settings, hits, count);
    assert_int_equal (result.reached_mask, 3);
    assert_int_equal (result.reached_ms[0], 2 * 3600 * TEST_SECOND);
    assert_int_equal (result.reached_ms[1], 3 * 3600 * TEST_SECOND);
    assert_int_equal (result.reached_sequence[1], 3);
    assert_int_equal (result.reached_ms[2], 0);
}

/* Rows before the first step 1 are skipped, rows after the last step come
   too late, and a row at the same millisecond as step 1 sorts before it
   (ClickHouse keeps such a row as event 0). */
static void
test_strict_order_rows_outside_the_chain (void **state)
{
    (void) state;
    assert_int_equal (s_stage_level ("dabc", true), 3);
    assert_int_equal (s_stage_level ("ddabc", true), 3);
    assert_int_equal (s_stage_level ("abcd", true), 3);
    assert_int_equal (s_stage_level ("d", true), 0);
    assert_int_equal (s_stage_level ("dd", true), 0);
    const funnel_steps_hit_t tied[] = {
        { 1000, 0, 1 }, { 1000, 1, 2 }, { 2000, 2, 3 }, { 3000, 4, 4 }
    };
    funnel_steps_settings_t settings = s_sequence (3, TEST_DAY);
    settings.strict_order = true;
    assert_int_equal (s_evaluate (&settings, tied, COUNT (tied)).level, 3);
    /* Later in log order changes nothing: time decides. */
    const funnel_steps_hit_t logged_late[] = {
        { 1000, 1, 1 }, { 2000, 2, 2 }, { 3000, 4, 3 }, { 1000, 0, 4 }
    };
    assert_int_equal (s_evaluate (&settings, logged_late, COUNT (logged_late)).level, 3);
}

/* A row at the same millisecond as step 2 sorts before it and stops the
   chain there; a row stops every chain, an older one holding step 2 too;
   a step out of order stops as a row does. */
static void
test_strict_order_row_stops_every_chain (void **state)
{
    (void) state;
    funnel_steps_settings_t settings = s_sequence (3, TEST_DAY);
    settings.strict_order = true;
    const funnel_steps_hit_t tied[] = {
        { 1000, 1, 1 }, { 2000, 2, 2 }, { 2000, 0, 3 }, { 3000, 4, 4 }
    };
    assert_int_equal (s_evaluate (&settings, tied, COUNT (tied)).level, 1);
    /* a1 b2 a3 d4 c5: without strict_order c extends the chain from a1. */
    assert_int_equal (s_stage_level ("abadc", true), 2);
    assert_int_equal (s_stage_level ("abadc", false), 3);
    assert_int_equal (s_stage_level ("acb", true), 1);
    assert_int_equal (s_stage_level ("abdabc", true), 2);
}

/* strict_order with the other options: a row still stops the chain. */
static void
test_strict_order_rows_with_other_options (void **state)
{
    (void) state;
    funnel_steps_hit_t hits[TEST_HITS_MAX];
    funnel_steps_settings_t settings = s_sequence (3, TEST_DAY);
    settings.strict_order = true;
    settings.strict_deduplication = true;
    size_t count = s_stage_hits ("abdb", hits);
    assert_int_equal (s_evaluate (&settings, hits, count).level, 2);
    count = s_stage_hits ("abbc", hits); /* the repeated b stops first */
    assert_int_equal (s_evaluate (&settings, hits, count).level, 2);
    settings = s_sequence (3, TEST_DAY);
    settings.strict_order = true;
    settings.strict_increase = true;
    /* b at a's millisecond does not extend, then the row stops: 1 */
    const funnel_steps_hit_t same[] = {
        { 1000, 1, 1 }, { 1000, 2, 2 }, { 2000, 0, 3 }, { 3000, 2, 4 }, { 4000, 4, 5 }
    };
    assert_int_equal (s_evaluate (&settings, same, COUNT (same)).level, 1);
    settings.strict_order = false; /* rows are ignored: b at 3000, c: 3 */
    assert_int_equal (s_evaluate (&settings, same, COUNT (same)).level, 3);
}

/* Without strict_order, rows change nothing in any mode or option: the
   result with them is the result without them. */
static void
test_rows_ignored_without_strict_order (void **state)
{
    (void) state;
    funnel_steps_hit_t with_rows[TEST_HITS_MAX];
    funnel_steps_hit_t without_rows[TEST_HITS_MAX];
    size_t count = s_stage_hits ("dadbdcd", with_rows);
    size_t kept = 0;
    for (size_t index = 0; index < count; index++)
        if (with_rows[index].step_mask != 0)
            without_rows[kept++] = with_rows[index];
    funnel_steps_settings_t variants[4];
    for (size_t index = 0; index < 3; index++)
        variants[index] = s_sequence (3, TEST_DAY);
    variants[1].strict_deduplication = true;
    variants[2].strict_increase = true;
    funnel_steps_settings_init (&variants[3], 3);
    variants[3].won_mask = 4;
    for (size_t index = 0; index < COUNT (variants); index++) {
        funnel_steps_result_t expected = s_evaluate (&variants[index], without_rows, kept);
        funnel_steps_result_t got = s_evaluate (&variants[index], with_rows, count);
        assert_int_equal (expected.level, 3);
        s_assert_same (&expected, &got);
    }
}

static void
s_assert_refused (const funnel_steps_settings_t *settings, const char *reason)
{
    char error[TEST_ERROR_SIZE] = "";
    assert_null (funnel_steps_new (settings, error, sizeof error));
    assert_string_equal (error, reason);
}

static void
test_invalid_settings_are_refused (void **state)
{
    (void) state;
    funnel_steps_settings_t settings;
    funnel_steps_settings_init (&settings, 0);
    s_assert_refused (&settings, "funnel step count 0 is out of range 1..16");
    funnel_steps_settings_init (&settings, FUNNEL_STEPS_MAX + 1);
    s_assert_refused (&settings, "funnel step count 17 is out of range 1..16");
    funnel_steps_settings_init (&settings, 3);
    settings.window_ms = -1;
    s_assert_refused (&settings, "funnel window -1 ms is negative");
    funnel_steps_settings_init (&settings, 3);
    settings.strict_increase = true;
    s_assert_refused (&settings, "strict options apply only to sequence mode");
    settings = s_sequence (3, 10);
    settings.won_mask = 4;
    s_assert_refused (&settings, "won and lost steps apply only to pipeline mode");
    funnel_steps_settings_init (&settings, 3);
    settings.lost_mask = 8;
    s_assert_refused (&settings, "won or lost step beyond the funnel's 3 steps");
    settings.lost_mask = settings.won_mask = 4;
    s_assert_refused (&settings, "a funnel step cannot be both won and lost");
    settings.mode = (funnel_steps_mode_t) 7;
    s_assert_refused (&settings, "invalid funnel mode 7");
    /* Defaults are valid, and kept. */
    funnel_steps_settings_init (&settings, FUNNEL_STEPS_MAX);
    funnel_steps_t *steps = funnel_steps_new (&settings, NULL, 0);
    assert_non_null (steps);
    assert_int_equal (funnel_steps_settings (steps)->mode, FUNNEL_STEPS_MODE_PIPELINE);
    assert_int_equal (funnel_steps_settings (steps)->window_ms, INT64_C (7776000000));
    funnel_steps_destroy (&steps);
    funnel_steps_destroy (&steps);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_docs_example),
        cmocka_unit_test (test_clickhouse_window_length),
        cmocka_unit_test (test_clickhouse_overlapping_conditions),
        cmocka_unit_test (test_clickhouse_strict_deduplication),
        cmocka_unit_test (test_clickhouse_strict_order),
        cmocka_unit_test (test_clickhouse_rows_matching_nothing),
        cmocka_unit_test (test_clickhouse_strict_increase),
        cmocka_unit_test (test_clickhouse_equal_timestamps),
        cmocka_unit_test (test_window_edge_is_inclusive),
        cmocka_unit_test (test_sequence_repeat_of_step_one),
        cmocka_unit_test (test_every_order_gives_the_same_result),
        cmocka_unit_test (test_pipeline_skipping_passes_earlier_steps),
        cmocka_unit_test (test_pipeline_lost_is_not_won),
        cmocka_unit_test (test_empty_input_and_one_step),
        cmocka_unit_test (test_invalid_settings_are_refused),
        cmocka_unit_test (test_strict_order_stage_change_to_no_step_stops),
        cmocka_unit_test (test_strict_order_rows_outside_the_chain),
        cmocka_unit_test (test_strict_order_row_stops_every_chain),
        cmocka_unit_test (test_strict_order_rows_with_other_options),
        cmocka_unit_test (test_rows_ignored_without_strict_order),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
