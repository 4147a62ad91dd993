/*  test_funnel_median - funnel_median against a real Redis: the exact
    percentile_cont (0.5) over the union of several sorted sets, checked
    against the same median worked out in C from the same values.

    Each seed writes random multisets into a few groups of sorted sets:
    duplicates (narrow value ranges), negative and large scores (up to
    ±2^50), empty and one-member sets, sets from a single member to a few
    thousand (so that the searches go through their pivot and count
    rounds, not only the small-window read), odd and even totals, and one
    group of many equal values. Every group of a seed is searched in one
    funnel_median_run, as funnel_query does; the result must be the same
    double, bit for bit, and the union's size must match. Then the
    failures: a key that is not a sorted set and a score that is not a
    whole number.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "funnel_median.h"
#include "sp_harness.h"
#include "sp_harness_redis.h"
#include "sp_redis.h"

#define TEST_SEEDS 120      /* random states checked */
#define TEST_GROUPS_MAX 4   /* groups of one run */
#define TEST_SETS_MAX 9     /* sets of one group */
#define TEST_KEY_SIZE 64    /* a key of this file */
#define TEST_NUMBER_SIZE 32 /* an int64 in decimal */
#define TEST_ZADD_BATCH 500 /* members per ZADD */
#define TEST_LARGE (INT64_C (1) << 50)
#define TEST_ERROR_SIZE 512

/* Deterministic generator (xorshift64*), so that a failing seed replays. */
static uint64_t
s_next (uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * UINT64_C (2685821657736338717);
}

static uint64_t
s_below (uint64_t *state, uint64_t bound)
{
    return bound ? s_next (state) % bound : 0;
}

static int
s_compare (const void *left, const void *right)
{
    int64_t a = *(const int64_t *) left, b = *(const int64_t *) right;
    return (a > b) - (a < b);
}

/* percentile_cont (0.5) of values (sorted here), as funnel_report
   defines it. */
static funnel_report_value_t
s_expected (int64_t *values, size_t count)
{
    if (count == 0)
        return (funnel_report_value_t){ .set = false, .value = 0 };
    qsort (values, count, sizeof *values, s_compare);
    if (count % 2 == 1)
        return (funnel_report_value_t){ .set = true, .value = (double) values[count / 2] };
    double lower = (double) values[count / 2 - 1];
    return (funnel_report_value_t){ .set = true,
                                    .value = lower + ((double) values[count / 2] - lower) / 2 };
}

/* Writes values into the sorted set key (unique members). */
static void
s_write (sp_redis_t *redis, const char *key, const int64_t *values, size_t count)
{
    char error[TEST_ERROR_SIZE];
    for (size_t start = 0; start < count; start += TEST_ZADD_BATCH) {
        size_t batch = count - start < TEST_ZADD_BATCH ? count - start : TEST_ZADD_BATCH;
        sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
        assert_non_null (pipeline);
        for (size_t index = start; index < start + batch; index++) {
            char score[TEST_NUMBER_SIZE], member[TEST_NUMBER_SIZE];
            snprintf (score, sizeof score, "%lld", (long long) values[index]);
            snprintf (member, sizeof member, "m%zu", index);
            assert_int_equal (
                sp_redis_pipeline_append (pipeline, 4,
                                          (const char *[]){ "ZADD", key, score, member }, NULL),
                0);
        }
        sp_redis_reply_t *reply = sp_redis_execute (redis, pipeline, error, sizeof error);
        if (!reply)
            fail_msg ("ZADD into \"%s\" failed: %s", key, error);
        sp_redis_reply_destroy (&reply);
        sp_redis_pipeline_destroy (&pipeline);
    }
}

/* One random value of a group's shape. */
static int64_t
s_value (uint64_t *state, int shape, int64_t offset)
{
    switch (shape) {
        case 0: /* few distinct values: many duplicates */
            return offset + (int64_t) s_below (state, 5);
        case 1: /* ms durations over a few days */
            return offset + (int64_t) s_below (state, UINT64_C (5) * 86400000);
        case 2: /* around zero, negative included */
            return (int64_t) s_below (state, 2001) - 1000;
        case 3: /* the whole range a score holds exactly */
            return (int64_t) s_below (state, 2 * (uint64_t) TEST_LARGE + 1) - TEST_LARGE;
        default: /* one value */
            return offset;
    }
}

/* A random size: mostly small, sometimes empty or one member, sometimes
   large enough to need the pivot and count rounds. */
static size_t
s_size (uint64_t *state)
{
    uint64_t kind = s_below (state, 10);
    if (kind == 0)
        return 0;
    if (kind == 1)
        return 1;
    if (kind <= 5)
        return (size_t) s_below (state, 40) + 2;
    return (size_t) s_below (state, 2500) + 100;
}

static void
test_random_unions (void **state)
{
    sp_harness_t *harness = *state;
    sp_redis_t *redis = sp_harness_redis_fresh (harness);
    assert_non_null (redis);
    size_t searched_large = 0;
    for (uint64_t seed = 1; seed <= TEST_SEEDS; seed++) {
        uint64_t random = seed * UINT64_C (0x9E3779B97F4A7C15) + 1;
        assert_int_equal (sp_harness_redis_run_and_drop (redis, 1, (const char *[]){ "FLUSHALL" }),
                          0);
        size_t groups = (size_t) s_below (&random, TEST_GROUPS_MAX) + 1;
        funnel_median_t *median = funnel_median_new (groups);
        assert_non_null (median);
        int64_t *all[TEST_GROUPS_MAX] = { NULL };
        size_t counts[TEST_GROUPS_MAX] = { 0 };
        for (size_t group = 0; group < groups; group++) {
            int shape = (int) s_below (&random, 5);
            int64_t offset = (int64_t) s_below (&random, 1000000) - 500000;
            size_t sets = (size_t) s_below (&random, TEST_SETS_MAX) + 1;
            size_t capacity = 0;
            for (size_t set = 0; set < sets; set++) {
                size_t size = s_size (&random);
                int64_t *values = calloc (size ? size : 1, sizeof *values);
                assert_non_null (values);
                /* a set may keep to part of the range: unions of unlike sets */
                int64_t shift = s_below (&random, 3) == 0 ? (int64_t) s_below (&random, 100000) : 0;
                for (size_t index = 0; index < size; index++)
                    values[index] = s_value (&random, shape, offset) + (shape < 2 ? shift : 0);
                char key[TEST_KEY_SIZE];
                snprintf (key, sizeof key, "test:{p%zu}:z:%zu", set, group);
                s_write (redis, key, values, size);
                assert_int_equal (funnel_median_add (median, group, key), 0);
                if (counts[group] + size > capacity) {
                    capacity = (counts[group] + size) * 2;
                    int64_t *grown = realloc (all[group], capacity * sizeof *grown);
                    assert_non_null (grown);
                    all[group] = grown;
                }
                if (size)
                    memcpy (all[group] + counts[group], values, size * sizeof *values);
                counts[group] += size;
                free (values);
            }
            searched_large += counts[group] > 1000;
        }
        funnel_report_value_t medians[TEST_GROUPS_MAX];
        uint64_t members[TEST_GROUPS_MAX];
        char error[TEST_ERROR_SIZE] = "";
        if (funnel_median_run (median, redis, medians, members, error, sizeof error) != 0)
            fail_msg ("seed %llu: %s", (unsigned long long) seed, error);
        for (size_t group = 0; group < groups; group++) {
            funnel_report_value_t expected = s_expected (all[group], counts[group]);
            if (members[group] != counts[group] || medians[group].set != expected.set ||
                memcmp (&medians[group].value, &expected.value, sizeof expected.value) != 0)
                fail_msg ("seed %llu group %zu: %zu members, median %s %.17g, expected %s %.17g "
                          "of %zu",
                          (unsigned long long) seed, group, (size_t) members[group],
                          medians[group].set ? "set" : "unset", medians[group].value,
                          expected.set ? "set" : "unset", expected.value, counts[group]);
            free (all[group]);
        }
        funnel_median_destroy (&median);
    }
    assert_true (searched_large > TEST_SEEDS / 4); /* the rounds beyond the first were tried */
    sp_redis_destroy (&redis);
}

/* Large sets of equal values and of two values: the brackets cannot
   split them, the search still ends; and one even union whose two middle
   values lie far apart in different sets. */
static void
test_ties_and_gaps (void **state)
{
    sp_harness_t *harness = *state;
    sp_redis_t *redis = sp_harness_redis_fresh (harness);
    assert_non_null (redis);
    enum { SIZE = 3000 };
    int64_t *values = calloc (SIZE, sizeof *values);
    assert_non_null (values);
    funnel_median_t *median = funnel_median_new (3);
    assert_non_null (median);
    for (size_t index = 0; index < SIZE; index++)
        values[index] = 7;
    s_write (redis, "t:{p0}:equal", values, SIZE);
    s_write (redis, "t:{p1}:equal", values, SIZE / 2);
    assert_int_equal (funnel_median_add (median, 0, "t:{p0}:equal"), 0);
    assert_int_equal (funnel_median_add (median, 0, "t:{p1}:equal"), 0);
    for (size_t index = 0; index < SIZE; index++)
        values[index] = index < SIZE / 2 ? -5 : 11;
    s_write (redis, "t:{p0}:two", values, SIZE);
    assert_int_equal (funnel_median_add (median, 1, "t:{p0}:two"), 0);
    for (size_t index = 0; index < SIZE; index++)
        values[index] = (int64_t) index - TEST_LARGE;
    s_write (redis, "t:{p0}:low", values, SIZE);
    for (size_t index = 0; index < SIZE; index++)
        values[index] = TEST_LARGE - (int64_t) index;
    s_write (redis, "t:{p1}:high", values, SIZE);
    assert_int_equal (funnel_median_add (median, 2, "t:{p0}:low"), 0);
    assert_int_equal (funnel_median_add (median, 2, "t:{p1}:high"), 0);
    assert_int_equal (funnel_median_add (median, 2, "t:{p2}:missing"), 0);
    funnel_report_value_t medians[3];
    uint64_t members[3];
    char error[TEST_ERROR_SIZE] = "";
    assert_int_equal (funnel_median_run (median, redis, medians, members, error, sizeof error), 0);
    assert_true (medians[0].set);
    assert_true (medians[0].value == 7.0);
    assert_int_equal (members[0], SIZE + SIZE / 2);
    assert_true (medians[1].set);
    assert_true (medians[1].value == 3.0); /* (-5 + 11) / 2 */
    double low = (double) (SIZE - 1 - TEST_LARGE), high = (double) (TEST_LARGE - (SIZE - 1));
    assert_true (medians[2].set);
    assert_true (medians[2].value == low + (high - low) / 2);
    assert_int_equal (members[2], 2 * SIZE);
    funnel_median_destroy (&median);
    free (values);
    sp_redis_destroy (&redis);
}

/* Empty groups are unset; a key of another type and a score that is not
   a whole number fail the run with the key named. */
static void
test_empty_and_failures (void **state)
{
    sp_harness_t *harness = *state;
    sp_redis_t *redis = sp_harness_redis_fresh (harness);
    assert_non_null (redis);
    char error[TEST_ERROR_SIZE] = "";
    funnel_report_value_t medians[2];
    uint64_t members[2];
    funnel_median_t *median = funnel_median_new (2);
    assert_non_null (median);
    assert_int_equal (funnel_median_add (median, 1, "t:none"), 0);
    assert_int_equal (funnel_median_run (median, redis, medians, members, error, sizeof error), 0);
    assert_false (medians[0].set);
    assert_false (medians[1].set);
    assert_int_equal (members[0], 0);
    assert_int_equal (members[1], 0);
    funnel_median_destroy (&median);

    assert_int_equal (
        sp_harness_redis_run_and_drop (redis, 3, (const char *[]){ "SET", "t:string", "x" }), 0);
    median = funnel_median_new (1);
    assert_non_null (median);
    assert_int_equal (funnel_median_add (median, 0, "t:string"), 0);
    assert_int_equal (funnel_median_run (median, redis, medians, members, error, sizeof error), -1);
    assert_non_null (strstr (error, "ZCARD of \"t:string\" failed: WRONGTYPE"));
    funnel_median_destroy (&median);

    assert_int_equal (sp_harness_redis_run_and_drop (
                          redis, 4, (const char *[]){ "ZADD", "t:fraction", "2.5", "a" }),
                      0);
    median = funnel_median_new (1);
    assert_non_null (median);
    assert_int_equal (funnel_median_add (median, 0, "t:fraction"), 0);
    assert_int_equal (funnel_median_run (median, redis, medians, members, error, sizeof error), -1);
    assert_string_equal (error,
                         "sorted set \"t:fraction\" holds the score 2.5, not a whole number");
    funnel_median_destroy (&median);
    sp_redis_destroy (&redis);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_random_unions),
        cmocka_unit_test (test_ties_and_gaps),
        cmocka_unit_test (test_empty_and_failures),
    };
    return cmocka_run_group_tests (tests, sp_harness_redis_group_setup,
                                   sp_harness_redis_group_teardown);
}
