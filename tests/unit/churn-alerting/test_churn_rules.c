/*  test_churn_rules - the four churn alert rules and their settings
    (churn_rules).

    Every rule is checked at its threshold and one step either side; runs
    of drops are broken by a rise, an equal score and a missing score;
    min_total_drop counts the whole run; an invalid history is refused
    with its reason and the output untouched; the settings are read from
    JSON with defaults for missing keys and exact error messages.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "churn_rules.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define FILL 0x5a       /* pattern of an output before a call that must fail */
#define NO_SCORE (-1)   /* a period without a score in s_history */
#define FIRST_DAY 20000 /* 2024-10-04: the first period of every history */
#define RED_TOP 50      /* the model's default bands: red 0..50 */
#define YELLOW_TOP 75   /* yellow 51..75, green 76..100 */
#define ERROR_SIZE 256

/* The band of a score with the model's default bands. */
static churn_band_t
s_band (int score)
{
    if (score <= RED_TOP)
        return CHURN_BAND_RED;
    return score <= YELLOW_TOP ? CHURN_BAND_YELLOW : CHURN_BAND_GREEN;
}

/* A history of one period a day from FIRST_DAY with these scores
   (NO_SCORE: not scored), no interval. */
static size_t
s_history (churn_rules_period_t *history, const int *scores, size_t count)
{
    assert_true (count <= CHURN_RULES_HISTORY_MAX);
    memset (history, 0, count * sizeof *history);
    for (size_t index = 0; index < count; index++) {
        history[index].day = FIRST_DAY + (int64_t) index;
        history[index].has_score = scores[index] != NO_SCORE;
        history[index].score = history[index].has_score ? scores[index] : 0;
        history[index].band = history[index].has_score ? s_band (scores[index]) : CHURN_BAND_RED;
    }
    return count;
}

/* Evaluates with settings (NULL: the defaults); must succeed. */
static void
s_evaluate (const churn_rules_settings_t *settings, const churn_rules_period_t *history,
            size_t count, churn_rules_condition_t *out)
{
    churn_rules_settings_t defaults;
    churn_rules_settings_default (&defaults);
    memset (out, FILL, CHURN_RULES_COUNT * sizeof *out);
    assert_int_equal (churn_rules_evaluate (settings ? settings : &defaults, history, count, out),
                      0);
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        assert_int_equal (out[rule].rule, rule);
        assert_int_equal (out[rule].day, history[count - 1].day);
        if (out[rule].holds)
            assert_true (out[rule].judged);
    }
}

/* One rule's condition on these scores with settings (NULL: defaults). */
static churn_rules_condition_t
s_judge (const churn_rules_settings_t *settings, churn_rules_rule_t rule, const int *scores,
         size_t count)
{
    churn_rules_period_t history[CHURN_RULES_HISTORY_MAX];
    churn_rules_condition_t out[CHURN_RULES_COUNT];
    s_evaluate (settings, history, s_history (history, scores, count), out);
    return out[rule];
}

/* True when the rule holds on these scores with the default settings. */
#define HOLDS(rule, ...)                                                                           \
    s_judge (NULL, (rule), (const int[]){ __VA_ARGS__ }, COUNT (((const int[]){ __VA_ARGS__ })))   \
        .holds

// ---------------------------------------------------------------- settings

static void
test_settings_default (void **state)
{
    (void) state;
    churn_rules_settings_t settings;
    memset (&settings, FILL, sizeof settings);
    churn_rules_settings_default (&settings);
    assert_true (churn_rules_settings_valid (&settings));
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        assert_true (settings.enabled[rule]);
    assert_int_equal (settings.severity[CHURN_RULES_RED_ENTRY], CHURN_RULES_CRITICAL);
    assert_int_equal (settings.severity[CHURN_RULES_CONSECUTIVE_DROPS], CHURN_RULES_WARNING);
    assert_int_equal (settings.severity[CHURN_RULES_SINGLE_DROP], CHURN_RULES_WARNING);
    assert_int_equal (settings.severity[CHURN_RULES_OVERDUE], CHURN_RULES_CRITICAL);
    assert_int_equal (settings.drop_periods, 3);
    assert_int_equal (settings.min_total_drop, 0);
    assert_int_equal (settings.single_drop_points, 15);
    assert_int_equal (settings.overdue_factor_bp, 20000);
    assert_int_equal (settings.resolve_after, 2);
    assert_int_equal (settings.repeat_periods, 7);

    /* Bounds. */
    churn_rules_settings_t bad = settings;
    bad.drop_periods = 0;
    assert_false (churn_rules_settings_valid (&bad));
    bad.drop_periods = CHURN_RULES_DROPS_MAX + 1;
    assert_false (churn_rules_settings_valid (&bad));
    bad = settings;
    bad.single_drop_points = 0;
    assert_false (churn_rules_settings_valid (&bad));
    bad = settings;
    bad.overdue_factor_bp = 9999;
    assert_false (churn_rules_settings_valid (&bad));
    bad = settings;
    bad.resolve_after = 0;
    assert_false (churn_rules_settings_valid (&bad));
    bad = settings;
    bad.repeat_periods = -1;
    assert_false (churn_rules_settings_valid (&bad));
    bad = settings;
    bad.severity[CHURN_RULES_OVERDUE] = (churn_rules_severity_t) 2;
    assert_false (churn_rules_settings_valid (&bad));
    bad = settings;
    bad.repeat_periods = 0; /* never repeat */
    bad.drop_periods = CHURN_RULES_DROPS_MAX;
    assert_true (churn_rules_settings_valid (&bad));
}

/* Reads text; must succeed. */
static churn_rules_settings_t
s_read (const char *text)
{
    churn_rules_settings_t settings;
    memset (&settings, FILL, sizeof settings);
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        churn_rules_settings_read (&settings, text, strlen (text), error, sizeof error), 0);
    assert_string_equal (error, "");
    return settings;
}

/* Reading text must fail with message, settings untouched. */
static void
s_assert_read_fails (const char *text, const char *message)
{
    churn_rules_settings_t settings;
    churn_rules_settings_t before;
    memset (&settings, FILL, sizeof settings);
    memset (&before, FILL, sizeof before);
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        churn_rules_settings_read (&settings, text, strlen (text), error, sizeof error), -1);
    assert_string_equal (error, message);
    assert_memory_equal (&settings, &before, sizeof settings);
}

static void
test_settings_read (void **state)
{
    (void) state;
    churn_rules_settings_t defaults;
    churn_rules_settings_default (&defaults);

    /* Empty object: all defaults. */
    churn_rules_settings_t settings = s_read ("{}");
    assert_memory_equal (&settings, &defaults, sizeof settings);

    /* Every key. */
    settings = s_read ("{\"red_entry\": false,"
                       " \"consecutive_drops\": {\"periods\": 4, \"min_total_drop\": 10},"
                       " \"single_drop\": {\"points\": 20, \"enabled\": false},"
                       " \"overdue\": {\"factor\": 1.5},"
                       " \"resolve_after_periods\": 3, \"repeat_periods\": 0,"
                       " \"severity\": {\"overdue\": \"warning\", \"single_drop\": \"critical\"}}");
    assert_false (settings.enabled[CHURN_RULES_RED_ENTRY]);
    assert_true (settings.enabled[CHURN_RULES_CONSECUTIVE_DROPS]);
    assert_false (settings.enabled[CHURN_RULES_SINGLE_DROP]);
    assert_true (settings.enabled[CHURN_RULES_OVERDUE]);
    assert_int_equal (settings.drop_periods, 4);
    assert_int_equal (settings.min_total_drop, 10);
    assert_int_equal (settings.single_drop_points, 20);
    assert_int_equal (settings.overdue_factor_bp, 15000);
    assert_int_equal (settings.resolve_after, 3);
    assert_int_equal (settings.repeat_periods, 0);
    assert_int_equal (settings.severity[CHURN_RULES_RED_ENTRY], CHURN_RULES_CRITICAL);
    assert_int_equal (settings.severity[CHURN_RULES_CONSECUTIVE_DROPS], CHURN_RULES_WARNING);
    assert_int_equal (settings.severity[CHURN_RULES_SINGLE_DROP], CHURN_RULES_CRITICAL);
    assert_int_equal (settings.severity[CHURN_RULES_OVERDUE], CHURN_RULES_WARNING);

    /* Missing keys keep their defaults, part by part. */
    settings = s_read ("{\"consecutive_drops\": {\"min_total_drop\": 5}, \"overdue\": "
                       "{\"factor\": 3}}");
    assert_int_equal (settings.drop_periods, 3);
    assert_int_equal (settings.min_total_drop, 5);
    assert_int_equal (settings.overdue_factor_bp, 30000);
    assert_int_equal (settings.single_drop_points, 15);
    assert_true (settings.enabled[CHURN_RULES_RED_ENTRY]);

    /* Bounds accepted. */
    settings = s_read ("{\"consecutive_drops\": {\"periods\": 15}, \"single_drop\": "
                       "{\"points\": 100}, \"overdue\": {\"factor\": 1.0001},"
                       " \"resolve_after_periods\": 100, \"repeat_periods\": 1000}");
    assert_int_equal (settings.drop_periods, 15);
    assert_int_equal (settings.single_drop_points, 100);
    assert_int_equal (settings.overdue_factor_bp, 10001);
    assert_int_equal (settings.resolve_after, 100);
    assert_int_equal (settings.repeat_periods, 1000);

    /* From a parsed object, and no object at all. */
    json_t *root = json_loads ("{\"single_drop\": {\"points\": 30}}", 0, NULL);
    assert_non_null (root);
    char error[ERROR_SIZE] = "";
    sp_json_reader_t reader = { error, sizeof error };
    assert_int_equal (churn_rules_settings_read_object (&settings, &reader, root, "rules"), 0);
    assert_int_equal (settings.single_drop_points, 30);
    json_decref (root);
    assert_int_equal (churn_rules_settings_read_object (&settings, &reader, NULL, "rules"), 0);
    assert_memory_equal (&settings, &defaults, sizeof settings);
    assert_string_equal (error, "");
}

static void
test_settings_read_errors (void **state)
{
    (void) state;
    s_assert_read_fails ("{\"single_drop\": {\"points\": 0}}",
                         "field \"rules.single_drop.points\": 0 is not in 1..100");
    s_assert_read_fails ("{\"single_drop\": {\"points\": 101}}",
                         "field \"rules.single_drop.points\": 101 is not in 1..100");
    s_assert_read_fails (
        "{\"single_drop\": {\"points\": 15.5}}",
        "field \"rules.single_drop.points\": expected an integer, got a real number");
    s_assert_read_fails ("{\"single_drop\": 15}",
                         "field \"rules.single_drop\": expected an object, got an integer");
    s_assert_read_fails ("{\"single_drop\": {\"point\": 15}}",
                         "field \"rules.single_drop.point\": unknown field");
    s_assert_read_fails ("{\"consecutive_drops\": {\"periods\": 16}}",
                         "field \"rules.consecutive_drops.periods\": 16 is not in 1..15");
    s_assert_read_fails ("{\"consecutive_drops\": {\"periods\": \"3\"}}",
                         "field \"rules.consecutive_drops.periods\": expected an integer, got a "
                         "string");
    s_assert_read_fails ("{\"consecutive_drops\": {\"min_total_drop\": -1}}",
                         "field \"rules.consecutive_drops.min_total_drop\": -1 is not in 0..100");
    s_assert_read_fails ("{\"consecutive_drops\": {\"enabled\": 1}}",
                         "field \"rules.consecutive_drops.enabled\": expected a boolean, got an "
                         "integer");
    s_assert_read_fails ("{\"red_entry\": \"yes\"}",
                         "field \"rules.red_entry\": expected a boolean, got a string");
    s_assert_read_fails ("{\"overdue\": {\"factor\": 0.5}}",
                         "field \"rules.overdue.factor\": 0.5 is not in 1..100");
    s_assert_read_fails ("{\"overdue\": {\"factor\": 101}}",
                         "field \"rules.overdue.factor\": 101 is not in 1..100");
    s_assert_read_fails ("{\"overdue\": {\"factor\": 2.00001}}",
                         "field \"rules.overdue.factor\": 2.00001 has more than 4 decimals");
    s_assert_read_fails ("{\"overdue\": {\"factor\": \"2\"}}",
                         "field \"rules.overdue.factor\": expected a number from 1 to 100 such as "
                         "1.5, got a string");
    s_assert_read_fails ("{\"resolve_after_periods\": 0}",
                         "field \"rules.resolve_after_periods\": 0 is not in 1..100");
    s_assert_read_fails ("{\"repeat_periods\": 1001}",
                         "field \"rules.repeat_periods\": 1001 is not in 0..1000");
    s_assert_read_fails ("{\"severity\": {\"overdue\": \"urgent\"}}",
                         "field \"rules.severity.overdue\": unknown severity \"urgent\": use "
                         "critical or warning");
    s_assert_read_fails ("{\"severity\": {\"late\": \"warning\"}}",
                         "field \"rules.severity.late\": unknown field");
    s_assert_read_fails ("{\"colour\": 1}", "field \"rules.colour\": unknown field");
    s_assert_read_fails ("[]", "a rules object must be a JSON object, got an array");
    s_assert_read_fails ("{\"red_entry\": true, \"red_entry\": false}",
                         "invalid JSON at line 1 column 31: duplicate object key near "
                         "'\"red_entry\"'");
}

// ---------------------------------------------------------------- red_entry

/* Holds while the latest score is red: 50 is red, 51 yellow. */
static void
test_red_entry (void **state)
{
    (void) state;
    churn_rules_condition_t condition = s_judge (NULL, CHURN_RULES_RED_ENTRY, (int[]){ 60, 50 }, 2);
    assert_true (condition.judged);
    assert_true (condition.holds);
    assert_int_equal (condition.score, 50);
    assert_int_equal (condition.band, CHURN_BAND_RED);
    assert_int_equal (condition.severity, CHURN_RULES_CRITICAL);
    assert_false (HOLDS (CHURN_RULES_RED_ENTRY, 60, 51));
    assert_true (HOLDS (CHURN_RULES_RED_ENTRY, 0));
    assert_true (HOLDS (CHURN_RULES_RED_ENTRY, 40, 45)); /* still red, though rising */
    assert_false (HOLDS (CHURN_RULES_RED_ENTRY, 40, 76));

    /* The band given, not the score, decides (the model sets the bands). */
    churn_rules_period_t history[1] = {
        { .day = FIRST_DAY, .has_score = true, .score = 55, .band = CHURN_BAND_RED },
    };
    churn_rules_condition_t out[CHURN_RULES_COUNT];
    s_evaluate (NULL, history, 1, out);
    assert_true (out[CHURN_RULES_RED_ENTRY].holds);

    /* No score at the latest period: not judged. */
    condition = s_judge (NULL, CHURN_RULES_RED_ENTRY, (int[]){ 30, NO_SCORE }, 2);
    assert_false (condition.judged);
    assert_false (condition.holds);

    /* Disabled: judged, never holds. */
    churn_rules_settings_t settings;
    churn_rules_settings_default (&settings);
    settings.enabled[CHURN_RULES_RED_ENTRY] = false;
    condition = s_judge (&settings, CHURN_RULES_RED_ENTRY, (int[]){ 30 }, 1);
    assert_true (condition.judged);
    assert_false (condition.holds);
}

// ---------------------------------------------------------------- consecutive_drops

/* Three falls in a row by default: two do not, four still do. */
static void
test_consecutive_drops (void **state)
{
    (void) state;
    churn_rules_condition_t condition =
        s_judge (NULL, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 90, 80, 78, 75, 74 }, 5);
    assert_true (condition.judged);
    assert_true (condition.holds);
    assert_int_equal (condition.severity, CHURN_RULES_WARNING);
    assert_int_equal (condition.run_periods, 4);
    assert_int_equal (condition.run_total, 16);
    assert_int_equal (condition.drops[0], 10);
    assert_int_equal (condition.drops[1], 2);
    assert_int_equal (condition.drops[2], 3);
    assert_int_equal (condition.drops[3], 1);
    assert_int_equal (condition.score, 74);

    condition = s_judge (NULL, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 80, 78, 75, 74 }, 4);
    assert_true (condition.holds);
    assert_int_equal (condition.run_periods, 3);
    assert_int_equal (condition.run_total, 6);

    condition = s_judge (NULL, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 80, 78, 75 }, 3);
    assert_true (condition.judged);
    assert_false (condition.holds);
    assert_int_equal (condition.run_periods, 2);
    assert_int_equal (condition.run_total, 5);

    condition = s_judge (NULL, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 80 }, 1);
    assert_true (condition.judged);
    assert_false (condition.holds);
    assert_int_equal (condition.run_periods, 0);
    assert_int_equal (condition.run_total, 0);

    /* N = 1: any fall. */
    churn_rules_settings_t settings;
    churn_rules_settings_default (&settings);
    settings.drop_periods = 1;
    assert_true (s_judge (&settings, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 80, 79 }, 2).holds);
    assert_false (s_judge (&settings, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 80, 80 }, 2).holds);

    /* The longest run the history can hold. */
    int scores[CHURN_RULES_HISTORY_MAX];
    for (int index = 0; index < CHURN_RULES_HISTORY_MAX; index++)
        scores[index] = 100 - 2 * index;
    settings.drop_periods = CHURN_RULES_DROPS_MAX;
    condition = s_judge (&settings, CHURN_RULES_CONSECUTIVE_DROPS, scores, COUNT (scores));
    assert_true (condition.holds);
    assert_int_equal (condition.run_periods, CHURN_RULES_DROPS_MAX);
    assert_int_equal (condition.run_total, 2 * CHURN_RULES_DROPS_MAX);
    assert_int_equal (condition.drops[CHURN_RULES_DROPS_MAX - 1], 2);
}

/* A rise or an equal score ends a run, and so does a period without a
   score. */
static void
test_consecutive_drops_broken (void **state)
{
    (void) state;
    churn_rules_condition_t condition =
        s_judge (NULL, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 80, 78, 79, 77, 75 }, 5);
    assert_false (condition.holds);
    assert_int_equal (condition.run_periods, 2);
    assert_int_equal (condition.run_total, 4);
    assert_false (HOLDS (CHURN_RULES_CONSECUTIVE_DROPS, 80, 78, 78, 76, 74));
    assert_true (HOLDS (CHURN_RULES_CONSECUTIVE_DROPS, 80, 78, 78, 76, 74, 73));
    assert_false (HOLDS (CHURN_RULES_CONSECUTIVE_DROPS, 80, 78, 76, 74, 75)); /* rose last */

    /* Missing score in the run. */
    condition =
        s_judge (NULL, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 90, 85, NO_SCORE, 80, 78, 76 }, 6);
    assert_true (condition.judged);
    assert_false (condition.holds);
    assert_int_equal (condition.run_periods, 2);
    assert_true (HOLDS (CHURN_RULES_CONSECUTIVE_DROPS, 90, 85, NO_SCORE, 80, 78, 76, 74));

    /* Missing score just before the latest: no run. */
    condition =
        s_judge (NULL, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 90, 85, 80, NO_SCORE, 70 }, 5);
    assert_true (condition.judged);
    assert_false (condition.holds);
    assert_int_equal (condition.run_periods, 0);

    /* Missing score at the latest: not judged. */
    condition =
        s_judge (NULL, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 90, 85, 80, 75, NO_SCORE }, 5);
    assert_false (condition.judged);
    assert_false (condition.holds);
}

/* min_total_drop over the whole run: at it holds, one short does not. */
static void
test_min_total_drop (void **state)
{
    (void) state;
    churn_rules_settings_t settings;
    churn_rules_settings_default (&settings);
    settings.min_total_drop = 6;
    churn_rules_condition_t condition =
        s_judge (&settings, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 80, 78, 76, 74 }, 4);
    assert_true (condition.holds);
    assert_int_equal (condition.run_total, 6);
    condition = s_judge (&settings, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 80, 78, 76, 75 }, 4);
    assert_false (condition.holds);
    assert_int_equal (condition.run_total, 5);

    /* A longer run reaches the total: it counts in full. */
    condition =
        s_judge (&settings, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 80, 78, 76, 75, 74 }, 5);
    assert_true (condition.holds);
    assert_int_equal (condition.run_periods, 4);
    assert_int_equal (condition.run_total, 6);

    /* A big total does not make up for too few periods. */
    condition = s_judge (&settings, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 90, 60, 30 }, 3);
    assert_false (condition.holds);
    assert_int_equal (condition.run_total, 60);

    /* Disabled. */
    settings.enabled[CHURN_RULES_CONSECUTIVE_DROPS] = false;
    condition = s_judge (&settings, CHURN_RULES_CONSECUTIVE_DROPS, (int[]){ 90, 60, 30, 0 }, 4);
    assert_true (condition.judged);
    assert_false (condition.holds);
    assert_int_equal (condition.run_periods, 3);
}

// ---------------------------------------------------------------- single_drop

/* A fall of at least 15 points from the period before. */
static void
test_single_drop (void **state)
{
    (void) state;
    churn_rules_condition_t condition =
        s_judge (NULL, CHURN_RULES_SINGLE_DROP, (int[]){ 90, 80, 65 }, 3);
    assert_true (condition.judged);
    assert_true (condition.holds);
    assert_true (condition.has_previous);
    assert_int_equal (condition.previous_score, 80);
    assert_int_equal (condition.score, 65);
    assert_int_equal (condition.drop, 15);
    assert_int_equal (condition.band, CHURN_BAND_YELLOW);
    assert_int_equal (condition.severity, CHURN_RULES_WARNING);

    condition = s_judge (NULL, CHURN_RULES_SINGLE_DROP, (int[]){ 80, 66 }, 2);
    assert_false (condition.holds);
    assert_int_equal (condition.drop, 14);
    assert_true (HOLDS (CHURN_RULES_SINGLE_DROP, 80, 64));
    assert_true (HOLDS (CHURN_RULES_SINGLE_DROP, 100, 0));

    condition = s_judge (NULL, CHURN_RULES_SINGLE_DROP, (int[]){ 50, 70 }, 2);
    assert_true (condition.judged);
    assert_false (condition.holds);
    assert_int_equal (condition.drop, -20);

    /* Only the last pair: an old fall no longer holds. */
    assert_false (HOLDS (CHURN_RULES_SINGLE_DROP, 90, 70, 70));

    /* No period before, or one without a score: judged, clear. */
    condition = s_judge (NULL, CHURN_RULES_SINGLE_DROP, (int[]){ 10 }, 1);
    assert_true (condition.judged);
    assert_false (condition.holds);
    assert_false (condition.has_previous);
    condition = s_judge (NULL, CHURN_RULES_SINGLE_DROP, (int[]){ 90, NO_SCORE, 10 }, 3);
    assert_true (condition.judged);
    assert_false (condition.holds);
    assert_false (condition.has_previous);

    /* No score now: not judged. */
    condition = s_judge (NULL, CHURN_RULES_SINGLE_DROP, (int[]){ 90, NO_SCORE }, 2);
    assert_false (condition.judged);

    /* Another threshold, and disabled. */
    churn_rules_settings_t settings;
    churn_rules_settings_default (&settings);
    settings.single_drop_points = 1;
    assert_true (s_judge (&settings, CHURN_RULES_SINGLE_DROP, (int[]){ 80, 79 }, 2).holds);
    settings.enabled[CHURN_RULES_SINGLE_DROP] = false;
    condition = s_judge (&settings, CHURN_RULES_SINGLE_DROP, (int[]){ 80, 10 }, 2);
    assert_true (condition.judged);
    assert_false (condition.holds);
    assert_int_equal (condition.drop, 70);
}

// ---------------------------------------------------------------- overdue

/* One period with an interval. */
static churn_rules_condition_t
s_overdue (const churn_rules_settings_t *settings, int64_t days_since_order, int64_t typical)
{
    churn_rules_period_t history[1] = { {
        .day = FIRST_DAY,
        .has_score = true,
        .score = 90,
        .band = CHURN_BAND_GREEN,
        .has_interval = true,
        .days_since_order = days_since_order,
        .typical_interval_days = typical,
    } };
    churn_rules_condition_t out[CHURN_RULES_COUNT];
    s_evaluate (settings, history, 1, out);
    return out[CHURN_RULES_OVERDUE];
}

/* Days since the last order exceed k × typical: with k 2 and a typical
   10 days, 20 does not, 21 does. */
static void
test_overdue (void **state)
{
    (void) state;
    churn_rules_condition_t condition = s_overdue (NULL, 21, 10);
    assert_true (condition.judged);
    assert_true (condition.holds);
    assert_int_equal (condition.days_since_order, 21);
    assert_int_equal (condition.typical_interval_days, 10);
    assert_int_equal (condition.limit_days, 20);
    assert_int_equal (condition.severity, CHURN_RULES_CRITICAL);
    condition = s_overdue (NULL, 20, 10);
    assert_true (condition.judged);
    assert_false (condition.holds);
    assert_false (s_overdue (NULL, 0, 10).holds);
    assert_true (s_overdue (NULL, 3, 1).holds);

    /* k 1.5 with a typical 5 days: 7.5, so 7 does not and 8 does. */
    churn_rules_settings_t settings;
    churn_rules_settings_default (&settings);
    settings.overdue_factor_bp = 15000;
    condition = s_overdue (&settings, 7, 5);
    assert_false (condition.holds);
    assert_int_equal (condition.limit_days, 7);
    assert_true (s_overdue (&settings, 8, 5).holds);

    /* k 1: just past the typical interval; the largest values. */
    settings.overdue_factor_bp = CHURN_RULES_OVERDUE_FACTOR_MIN_BP;
    assert_false (s_overdue (&settings, 30, 30).holds);
    assert_true (s_overdue (&settings, 31, 30).holds);
    settings.overdue_factor_bp = CHURN_RULES_OVERDUE_FACTOR_MAX_BP;
    condition = s_overdue (&settings, CHURN_RULES_DAYS_MAX, CHURN_RULES_DAYS_MAX);
    assert_false (condition.holds);
    assert_int_equal (condition.limit_days, 100 * CHURN_RULES_DAYS_MAX);

    /* No interval (fewer than two orders): not judged, the score rules are. */
    churn_rules_period_t history[1] = {
        { .day = FIRST_DAY, .has_score = true, .score = 20, .band = CHURN_BAND_RED },
    };
    churn_rules_condition_t out[CHURN_RULES_COUNT];
    s_evaluate (NULL, history, 1, out);
    assert_false (out[CHURN_RULES_OVERDUE].judged);
    assert_false (out[CHURN_RULES_OVERDUE].holds);
    assert_true (out[CHURN_RULES_RED_ENTRY].holds);

    /* An interval without a score: overdue judged, the score rules not. */
    history[0].has_score = false;
    history[0].has_interval = true;
    history[0].days_since_order = 50;
    history[0].typical_interval_days = 10;
    s_evaluate (NULL, history, 1, out);
    assert_true (out[CHURN_RULES_OVERDUE].holds);
    assert_false (out[CHURN_RULES_RED_ENTRY].judged);
    assert_false (out[CHURN_RULES_CONSECUTIVE_DROPS].judged);
    assert_false (out[CHURN_RULES_SINGLE_DROP].judged);

    /* Disabled. */
    churn_rules_settings_default (&settings);
    settings.enabled[CHURN_RULES_OVERDUE] = false;
    condition = s_overdue (&settings, 500, 10);
    assert_true (condition.judged);
    assert_false (condition.holds);
}

// ---------------------------------------------------------------- history

/* history must be refused with message, out untouched. */
static void
s_assert_refused (const churn_rules_period_t *history, size_t count, const char *message)
{
    char error[ERROR_SIZE] = "";
    assert_int_equal (churn_rules_history_check (history, count, error, sizeof error), -1);
    assert_string_equal (error, message);
    assert_int_equal (churn_rules_history_check (history, count, NULL, 0), -1);
    churn_rules_settings_t settings;
    churn_rules_settings_default (&settings);
    churn_rules_condition_t out[CHURN_RULES_COUNT];
    churn_rules_condition_t before[CHURN_RULES_COUNT];
    memset (out, FILL, sizeof out);
    memset (before, FILL, sizeof before);
    assert_int_equal (churn_rules_evaluate (&settings, history, count, out), -1);
    assert_memory_equal (out, before, sizeof out);
}

static void
test_history_refused (void **state)
{
    (void) state;
    churn_rules_period_t history[CHURN_RULES_HISTORY_MAX + 1];
    int scores[CHURN_RULES_HISTORY_MAX] = { 0 };
    s_history (history, scores, CHURN_RULES_HISTORY_MAX);
    history[CHURN_RULES_HISTORY_MAX] = history[CHURN_RULES_HISTORY_MAX - 1];
    history[CHURN_RULES_HISTORY_MAX].day++;
    s_assert_refused (history, 0, "0 periods of history, expected 1..16");
    s_assert_refused (history, CHURN_RULES_HISTORY_MAX + 1,
                      "17 periods of history, expected 1..16");
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        churn_rules_history_check (history, CHURN_RULES_HISTORY_MAX, error, sizeof error), 0);

    s_history (history, (int[]){ 70, 60, 50 }, 3);
    history[2].day = history[1].day;
    s_assert_refused (history, 3, "period 2: day 20001 is not after the previous period's 20001");
    history[2].day = history[1].day - 1;
    s_assert_refused (history, 3, "period 2: day 20000 is not after the previous period's 20001");

    s_history (history, (int[]){ 70, 60, 50 }, 3);
    history[1].score = 101;
    s_assert_refused (history, 3, "period 1: score 101 is not in 0..100");
    history[1].score = -1;
    s_assert_refused (history, 3, "period 1: score -1 is not in 0..100");
    history[1].score = 60;
    history[1].band = (churn_band_t) 3;
    s_assert_refused (history, 3, "period 1: unknown band 3");
    history[1].has_score = false; /* score and band are not read without a score */
    history[1].score = 500;
    assert_int_equal (churn_rules_history_check (history, 3, NULL, 0), 0);

    s_history (history, (int[]){ 70 }, 1);
    history[0].has_interval = true;
    history[0].days_since_order = -1;
    history[0].typical_interval_days = 10;
    s_assert_refused (history, 1, "period 0: days since order -1 is not in 0..1000000");
    history[0].days_since_order = CHURN_RULES_DAYS_MAX + 1;
    s_assert_refused (history, 1, "period 0: days since order 1000001 is not in 0..1000000");
    history[0].days_since_order = 0;
    history[0].typical_interval_days = 0;
    s_assert_refused (history, 1, "period 0: typical interval 0 is not in 1..1000000");
    history[0].typical_interval_days = CHURN_RULES_DAYS_MAX + 1;
    s_assert_refused (history, 1, "period 0: typical interval 1000001 is not in 1..1000000");
    history[0].has_interval = false; /* not read without an interval */
    assert_int_equal (churn_rules_history_check (history, 1, NULL, 0), 0);
}

/* The same inputs give the same conditions, byte for byte. */
static void
test_deterministic (void **state)
{
    (void) state;
    churn_rules_period_t history[6];
    s_history (history, (int[]){ 90, 70, 66, NO_SCORE, 60, 40 }, 6);
    history[5].has_interval = true;
    history[5].days_since_order = 40;
    history[5].typical_interval_days = 12;
    churn_rules_condition_t first[CHURN_RULES_COUNT];
    churn_rules_condition_t second[CHURN_RULES_COUNT];
    s_evaluate (NULL, history, 6, first);
    s_evaluate (NULL, history, 6, second);
    assert_memory_equal (first, second, sizeof first);
    assert_true (first[CHURN_RULES_RED_ENTRY].holds);
    assert_false (first[CHURN_RULES_CONSECUTIVE_DROPS].holds);
    assert_true (first[CHURN_RULES_SINGLE_DROP].holds);
    assert_true (first[CHURN_RULES_OVERDUE].holds);
}

// ---------------------------------------------------------------- names

static void
test_names (void **state)
{
    (void) state;
    const char *const names[] = { "red_entry", "consecutive_drops", "single_drop", "overdue" };
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        assert_string_equal (churn_rules_rule_name ((churn_rules_rule_t) rule), names[rule]);
        churn_rules_rule_t parsed = (churn_rules_rule_t) 99;
        assert_int_equal (churn_rules_rule_parse (names[rule], &parsed), 0);
        assert_int_equal (parsed, rule);
    }
    assert_string_equal (churn_rules_severity_name (CHURN_RULES_CRITICAL), "critical");
    assert_string_equal (churn_rules_severity_name (CHURN_RULES_WARNING), "warning");
    churn_rules_severity_t severity = CHURN_RULES_CRITICAL;
    assert_int_equal (churn_rules_severity_parse ("warning", &severity), 0);
    assert_int_equal (severity, CHURN_RULES_WARNING);

    churn_rules_rule_t rule = CHURN_RULES_OVERDUE;
    assert_int_equal (churn_rules_rule_parse ("Overdue", &rule), -1);
    assert_int_equal (churn_rules_rule_parse ("", &rule), -1);
    assert_int_equal (churn_rules_rule_parse (NULL, &rule), -1);
    assert_int_equal (rule, CHURN_RULES_OVERDUE);
    assert_int_equal (churn_rules_severity_parse ("info", &severity), -1);
    assert_int_equal (churn_rules_severity_parse (NULL, &severity), -1);
    assert_int_equal (severity, CHURN_RULES_WARNING);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_settings_default),
        cmocka_unit_test (test_settings_read),
        cmocka_unit_test (test_settings_read_errors),
        cmocka_unit_test (test_red_entry),
        cmocka_unit_test (test_consecutive_drops),
        cmocka_unit_test (test_consecutive_drops_broken),
        cmocka_unit_test (test_min_total_drop),
        cmocka_unit_test (test_single_drop),
        cmocka_unit_test (test_overdue),
        cmocka_unit_test (test_history_refused),
        cmocka_unit_test (test_deterministic),
        cmocka_unit_test (test_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
