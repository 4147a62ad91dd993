/*  test_kpi_targets_use - using targets documents once read
    (kpi_targets_use.c, and the expansion in kpi_targets.c): every spread
    basis and the remainder rule, explicit weights, week spreads,
    decompositions, precedence, business days, the add-up warning,
    carried shortfall, non-additive KPIs and the listing. Reading and
    refusals are tested in test_kpi_targets.c; what both share is in
    kpi_targets_fixture.h.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kpi_targets.h"
#include "kpi_targets_fixture.h"
#include "sp_civil.h"

#define MESSAGES_MAX 8
#define CHILDREN_MAX 4

/* The acceptance example: 1,000,000 for 2017 spread evenly by quarter with carry. */
#define ANNUAL_CARRY(extra)                                                                        \
    HEAD ENTRY ("company", "revenue", "2017",                                                      \
                "\"target\": \"1000000.00\", \"spread\": {\"to\": \"quarter\", \"rule\": "         \
                "\"even\", \"basis\": \"periods\"}, \"carry\": true" extra) TAIL

/* Labels of 2017's months and quarters, by number (index 0 unused). */
static const char *const s_months[] = { "",        "2017-01", "2017-02", "2017-03", "2017-04",
                                        "2017-05", "2017-06", "2017-07", "2017-08", "2017-09",
                                        "2017-10", "2017-11", "2017-12" };
static const char *const s_quarters[] = { "", "2017-Q1", "2017-Q2", "2017-Q3", "2017-Q4" };

// -------------------------------------------------------------- spreading

/* Even by periods: equal shares, the remainder to the earliest parts. */
static void
test_spread_even_periods (void **state)
{
    (void) state;
    kpi_targets_t *targets = s_read (
        HEAD ENTRY ("company", "revenue", "2017",
                    "\"floor\": \"800000.01\", \"target\": \"1000000.01\", "
                    "\"stretch\": \"1200000.03\", \"spread\": {\"to\": \"quarter\", "
                    "\"rule\": \"even\"}") "," ENTRY ("company", "deals_won", "2017",
                                                      "\"target\": 100, \"spread\": {\"to\": "
                                                      "\"month\", \"rule\": \"even\", "
                                                      "\"basis\": \"periods\"}") TAIL);
    /* 100000001 cents in 4: 25000000 each, one left: Q1. */
    const char *quarters[] = { "2017-Q1", "2017-Q2", "2017-Q3", "2017-Q4" };
    int64_t sum = 0, floors = 0, stretches = 0;
    for (size_t index = 0; index < 4; index++) {
        kpi_target_t target = s_get (targets, "company", "revenue", quarters[index]);
        assert_int_equal (target.target, index == 0 ? 25000001 : 25000000);
        assert_int_equal (target.stretch, index < 3 ? 30000001 : 30000000);
        assert_true (target.floor <= target.target && target.stretch >= target.target);
        assert_true (target.derived && target.has_floor && target.has_stretch);
        assert_false (target.carry);
        assert_string_equal (target.parent, "2017");
        sum += target.target;
        floors += target.floor;
        stretches += target.stretch;
    }
    assert_int_equal (sum, 100000001);
    assert_int_equal (floors, 80000001);
    assert_int_equal (stretches, 120000003);
    /* 100 in 12 months: 8 each, 4 left; equal remainders go to the
       earliest months. */
    for (int month = 1; month <= 12; month++) {
        const char *label = s_months[month];
        assert_int_equal (s_target (targets, "company", "deals_won", label), month <= 4 ? 9 : 8);
    }
    /* The year itself stays as written. */
    kpi_target_t year = s_get (targets, "company", "revenue", "2017");
    assert_false (year.derived);
    assert_int_equal (year.target, 100000001);
    assert_int_equal (kpi_targets_size (targets), 1 + 4 + 1 + 12);
    kpi_targets_destroy (&targets);
}

/* Even by calendar days: Q1 90, Q2 91, Q3 92, Q4 92 days of 365; the two
   units left go to the largest fractional parts (Q1 .534, Q2 .507). */
static void
test_spread_calendar_days (void **state)
{
    (void) state;
    kpi_targets_t *targets = s_read (HEAD ENTRY (
        "company", "revenue", "2017",
        "\"target\": \"1000.00\", \"spread\": {\"to\": \"quarter\", \"rule\": "
        "\"even\", \"basis\": \"calendar_days\"}") "," ENTRY ("company", "revenue", "2017-02",
                                                              "\"target\": \"280.00\", \"spread\": "
                                                              "{\"to\": \"week\", \"rule\": "
                                                              "\"even\", "
                                                              "\"basis\": \"calendar_days\"}")
                                         TAIL);
    assert_int_equal (s_target (targets, "company", "revenue", "2017-Q1"), 24658);
    assert_int_equal (s_target (targets, "company", "revenue", "2017-Q2"), 24932);
    assert_int_equal (s_target (targets, "company", "revenue", "2017-Q3"), 25205);
    assert_int_equal (s_target (targets, "company", "revenue", "2017-Q4"), 25205);
    /* February 2017: the weeks whose Thursday is in it are W05 (from
       January 30: 5 days inside) to W08 (7 days each); February 27-28
       belong to W09, whose Thursday is in March. 26 days. */
    assert_int_equal (s_target (targets, "company", "revenue", "2017-W05"), 5385);
    assert_int_equal (s_target (targets, "company", "revenue", "2017-W06"), 7539);
    assert_int_equal (s_target (targets, "company", "revenue", "2017-W07"), 7538);
    assert_int_equal (s_target (targets, "company", "revenue", "2017-W08"), 7538);
    kpi_target_t none;
    assert_int_equal (kpi_targets_get (targets, "company", "revenue", "2017-W09", &none), 1);
    assert_int_equal (kpi_targets_get (targets, "company", "revenue", "2017-W04", &none), 1);
    kpi_targets_destroy (&targets);
}

/* Even by business days with a holiday: December 2017's weeks W49-W51
   have 5 business days, W52 four (Christmas on Monday). */
static void
test_spread_business_days (void **state)
{
    (void) state;
    kpi_targets_t *targets =
        s_read ("{\"name\": \"fy2017\", \"currency\": \"USD\", \"business_days\": {\"holidays\": "
                "[\"2017-12-25\", \"2017-01-02\", \"2017-01-01\"]}, \"targets\": [" ENTRY (
                    "company", "deals_won", "2017-12",
                    "\"target\": 100, \"spread\": {\"to\": \"week\", \"rule\": \"even\", "
                    "\"basis\": \"business_days\"}") TAIL);
    /* 500/19 = 26 r 6 (three times), 400/19 = 21 r 1: one unit left, W49. */
    assert_int_equal (s_target (targets, "company", "deals_won", "2017-W49"), 27);
    assert_int_equal (s_target (targets, "company", "deals_won", "2017-W50"), 26);
    assert_int_equal (s_target (targets, "company", "deals_won", "2017-W51"), 26);
    assert_int_equal (s_target (targets, "company", "deals_won", "2017-W52"), 21);
    kpi_target_t none;
    assert_int_equal (kpi_targets_get (targets, "company", "deals_won", "2017-W48", &none), 1);
    assert_int_equal (kpi_targets_get (targets, "company", "deals_won", "2018-W01", &none), 1);
    kpi_targets_destroy (&targets);
}

/* Business days of spans: weekdays, holidays on them, holidays on weekends. */
static void
test_business_days (void **state)
{
    (void) state;
    int64_t first = sp_civil_days_from_date (2017, 1, 1);
    int64_t end = sp_civil_days_from_date (2018, 1, 1);
    kpi_targets_t *targets = s_read (HEAD TAIL);
    assert_int_equal (kpi_targets_business_days (targets, first, end), 260);
    assert_int_equal (kpi_targets_business_days (targets, first, first + 1), 0); /* a Sunday */
    assert_int_equal (kpi_targets_business_days (targets, first + 1, first + 8), 5);
    assert_int_equal (kpi_targets_business_days (targets, end, first), 0);
    kpi_targets_destroy (&targets);
    targets = s_read ("{\"name\": \"fy2017\", \"currency\": \"USD\", \"business_days\": "
                      "{\"holidays\": [\"2017-12-25\", \"2017-01-02\", \"2017-01-01\"]}, "
                      "\"targets\": []}");
    /* Two on Mondays count, 2017-01-01 is a Sunday anyway. */
    assert_int_equal (kpi_targets_business_days (targets, first, end), 258);
    assert_int_equal (kpi_targets_business_days (targets, first, first + 2), 0);
    kpi_targets_destroy (&targets);
    targets = s_read ("{\"name\": \"fy2017\", \"currency\": \"USD\", \"business_days\": "
                      "{\"weekdays\": [\"sat\", \"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], "
                      "\"holidays\": [\"2017-12-30\"]}, \"targets\": []}");
    /* 312 Monday-Saturday days in 2017 (52 weeks and a Sunday), less a
       Saturday holiday. */
    assert_int_equal (kpi_targets_business_days (targets, first, end), 311);
    kpi_targets_destroy (&targets);
}

/* The ISO weeks of a year with 53 of them, and of a quarter. */
static void
test_spread_weeks (void **state)
{
    (void) state;
    kpi_targets_t *targets =
        s_read (HEAD ENTRY ("company", "deals_won", "2020",
                            "\"target\": 106, \"spread\": {\"to\": \"week\", \"rule\": "
                            "\"even\"}") "," ENTRY ("company", "deals_won", "2017-Q1",
                                                    "\"target\": 13, \"spread\": {\"to\": "
                                                    "\"week\", \"rule\": \"even\"}") TAIL);
    assert_int_equal (s_target (targets, "company", "deals_won", "2020-W01"), 2);
    assert_int_equal (s_target (targets, "company", "deals_won", "2020-W53"), 2);
    /* 2017-Q1: W01 (January 2) to W13 (March 27-April 2, Thursday March 30). */
    assert_int_equal (s_target (targets, "company", "deals_won", "2017-W01"), 1);
    assert_int_equal (s_target (targets, "company", "deals_won", "2017-W13"), 1);
    kpi_target_t none;
    assert_int_equal (kpi_targets_get (targets, "company", "deals_won", "2016-W52", &none), 1);
    assert_int_equal (kpi_targets_get (targets, "company", "deals_won", "2017-W14", &none), 1);
    assert_int_equal (kpi_targets_size (targets), 1 + 53 + 1 + 13);
    kpi_targets_destroy (&targets);
}

/* Explicit weights: seasonality, exact, with the remainder rule. */
static void
test_spread_explicit_weights (void **state)
{
    (void) state;
    kpi_targets_t *targets =
        s_read (HEAD ENTRY ("company", "revenue", "2017",
                            "\"target\": \"1400.00\", \"spread\": {\"to\": \"month\", "
                            "\"rule\": "
                            "\"explicit\", \"weights\": [3, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
                            "1, 1]}") "," ENTRY ("company", "deals_won", "2017-Q3",
                                                 "\"target\": 10, \"spread\": {\"to\": "
                                                 "\"month\", \"rule\": \"explicit\", "
                                                 "\"weights\": [1, 1, 2]}") TAIL);
    assert_int_equal (s_target (targets, "company", "revenue", "2017-01"), 30000);
    int64_t sum = 0;
    for (int month = 1; month <= 12; month++) {
        const char *label = s_months[month];
        int64_t part = s_target (targets, "company", "revenue", label);
        assert_int_equal (part, month == 1 ? 30000 : 10000);
        sum += part;
    }
    assert_int_equal (sum, 140000);
    /* 2.5, 2.5, 5: equal remainders, July first. */
    assert_int_equal (s_target (targets, "company", "deals_won", "2017-07"), 3);
    assert_int_equal (s_target (targets, "company", "deals_won", "2017-08"), 2);
    assert_int_equal (s_target (targets, "company", "deals_won", "2017-09"), 5);
    kpi_targets_destroy (&targets);
}

// ---------------------------------------------------------- decomposition

static void
test_decompose (void **state)
{
    (void) state;
    kpi_targets_t *targets = s_read (HEAD ENTRY (
        "company", "revenue", "2017",
        "\"floor\": \"800000.00\", \"target\": \"1000000.00\", \"decompose\": "
        "{\"weights\": {\"region:West\": 30, \"region:Central\": 40, "
        "\"region:East\": 30}}") "," ENTRY ("company", "deals_won", "2017",
                                            "\"target\": 100, \"decompose\": {\"weights\": "
                                            "{\"team:c\": 1, \"team:a\": 1, "
                                            "\"team:b\": 1}}") TAIL);
    kpi_target_t central = s_get (targets, "region:Central", "revenue", "2017");
    assert_int_equal (central.target, 40000000);
    assert_int_equal (central.floor, 32000000);
    assert_true (central.derived && central.has_floor);
    assert_false (central.has_stretch);
    assert_string_equal (central.parent, "");
    assert_int_equal (s_target (targets, "region:East", "revenue", "2017"), 30000000);
    assert_int_equal (s_target (targets, "region:West", "revenue", "2017"), 30000000);
    /* 100 in thirds: the unit left goes to the child whose node sorts
       first, whatever the order written. */
    assert_int_equal (s_target (targets, "team:a", "deals_won", "2017"), 34);
    assert_int_equal (s_target (targets, "team:b", "deals_won", "2017"), 33);
    assert_int_equal (s_target (targets, "team:c", "deals_won", "2017"), 33);
    kpi_targets_destroy (&targets);
}

/* Rounding alone would put a floor above its target (Alabama paradox):
   4 by 1:3:3 is 0, 2, 2 but 3 is 1, 1, 1. The floors are moved to 0, 2, 1:
   still adding up to 3, each at most its target. */
static void
test_decompose_floor_repair (void **state)
{
    (void) state;
    kpi_targets_t *targets = s_read (
        HEAD ENTRY ("company", "deals_won", "2017",
                    "\"floor\": 3, \"target\": 4, \"stretch\": 4, \"decompose\": {\"weights\": "
                    "{\"team:a\": 1, \"team:b\": 3, \"team:c\": 3}}") TAIL);
    const char *teams[] = { "team:a", "team:b", "team:c" };
    const int64_t floors[] = { 0, 2, 1 };
    const int64_t goals[] = { 0, 2, 2 };
    for (size_t index = 0; index < 3; index++) {
        kpi_target_t target = s_get (targets, teams[index], "deals_won", "2017");
        assert_int_equal (target.floor, floors[index]);
        assert_int_equal (target.target, goals[index]);
        assert_int_equal (target.stretch, goals[index]);
    }
    kpi_targets_destroy (&targets);
}

/* A parent both spread and decomposed: its children get the period and
   every sub-period, each split from the parent's own part. */
static void
test_decompose_and_spread (void **state)
{
    (void) state;
    kpi_targets_t *targets = s_read (HEAD ENTRY (
        "company", "revenue", "2017",
        "\"target\": \"1000.01\", \"spread\": {\"to\": \"quarter\", \"rule\": \"even\"}, "
        "\"carry\": true, \"carry_cap\": \"100.00\", \"decompose\": {\"weights\": "
        "{\"region:A\": 1, \"region:B\": 1}}") TAIL);
    assert_int_equal (s_target (targets, "company", "revenue", "2017-Q1"), 25001);
    assert_int_equal (s_target (targets, "region:A", "revenue", "2017"), 50001);
    assert_int_equal (s_target (targets, "region:B", "revenue", "2017"), 50000);
    kpi_target_t a = s_get (targets, "region:A", "revenue", "2017-Q1");
    kpi_target_t b = s_get (targets, "region:B", "revenue", "2017-Q1");
    assert_int_equal (a.target, 12501);
    assert_int_equal (b.target, 12500);
    assert_true (a.derived && a.carry && a.has_carry_cap);
    assert_int_equal (a.carry_cap, 5000); /* its share of the cap */
    assert_string_equal (a.parent, "2017");
    for (int quarter = 2; quarter <= 4; quarter++) {
        const char *label = s_quarters[quarter];
        assert_int_equal (s_target (targets, "region:A", "revenue", label) +
                              s_target (targets, "region:B", "revenue", label),
                          s_target (targets, "company", "revenue", label));
    }
    kpi_target_t whole = s_get (targets, "company", "revenue", "2017-Q3");
    assert_int_equal (whole.carry_cap, 10000); /* a sub-period carries up to the cap */
    assert_int_equal (kpi_targets_size (targets), 3 * (1 + 4));
    kpi_targets_destroy (&targets);
}

// -------------------------------------------------------------- precedence

/* Explicit beats derived; a node's own spread beats its parent's
   decomposition; a finer source beats a coarser one. */
static void
test_explicit_beats_derived (void **state)
{
    (void) state;
    kpi_targets_t *targets = s_read (HEAD ENTRY (
        "company", "revenue", "2017",
        "\"target\": \"1000.00\", \"spread\": {\"to\": \"month\", \"rule\": "
        "\"even\"}, \"decompose\": {\"weights\": {\"region:A\": 1, "
        "\"region:B\": 1}}") "," ENTRY ("company", "revenue", "2017-Q2",
                                        "\"target\": \"300.00\", \"spread\": "
                                        "{\"to\": \"month\", \"rule\": "
                                        "\"even\"}") "," ENTRY ("company", "revenue", "2017-06",
                                                                "\"target\": "
                                                                "\"1.00\"") "," ENTRY ("region:A",
                                                                                       "revenue",
                                                                                       "2017",
                                                                                       "\"target\":"
                                                                                       " \"1200."
                                                                                       "00\", "
                                                                                       "\"spread\":"
                                                                                       " {\"to\": "
                                                                                       "\"month\", "
                                                                                       "\"rule\": "
                                                                                       "\"even\"}")
                                         TAIL);
    /* 2017-01: from the year (8333 cents: 100000 in 12, 4 units left to January-April). */
    assert_int_equal (s_target (targets, "company", "revenue", "2017-01"), 8334);
    /* 2017-04, -05: from the quarter's own spread, a finer source. */
    assert_int_equal (s_target (targets, "company", "revenue", "2017-04"), 10000);
    assert_string_equal (s_get (targets, "company", "revenue", "2017-05").parent, "2017-Q2");
    /* 2017-06: explicit. */
    kpi_target_t june = s_get (targets, "company", "revenue", "2017-06");
    assert_int_equal (june.target, 100);
    assert_false (june.derived);
    /* region:A: its own explicit year and spread beat the decomposition. */
    kpi_target_t year = s_get (targets, "region:A", "revenue", "2017");
    assert_int_equal (year.target, 120000);
    assert_false (year.derived);
    assert_int_equal (s_target (targets, "region:A", "revenue", "2017-03"), 10000);
    /* region:B: decomposed. */
    assert_int_equal (s_target (targets, "region:B", "revenue", "2017"), 50000);
    assert_int_equal (s_target (targets, "region:B", "revenue", "2017-01"), 4167);
    kpi_targets_destroy (&targets);
}

// ---------------------------------------------------------------- add-up

typedef struct {
    const char *node;                       /* a parent */
    const char *children[CHILDREN_MAX + 1]; /* its children, NULL-terminated */
} s_tree_t;

static const s_tree_t s_tree[] = {
    { "company", { "region:Central", "region:East", NULL } },
    { "region:Central", { "team:a", "team:b", "team:c", NULL } },
};

static size_t
s_children (void *arg, const char *node, const char **children, size_t capacity)
{
    (void) arg;
    for (size_t index = 0; index < sizeof s_tree / sizeof s_tree[0]; index++) {
        if (strcmp (s_tree[index].node, node) != 0)
            continue;
        size_t count = 0;
        while (s_tree[index].children[count]) {
            if (count < capacity)
                children[count] = s_tree[index].children[count];
            count++;
        }
        return count;
    }
    return 0;
}

typedef struct {
    char messages[MESSAGES_MAX][KPI_TARGETS_MESSAGE_SIZE];
    size_t count;
} s_warnings_t;

static void
s_warn (void *arg, const char *message)
{
    s_warnings_t *warnings = arg;
    assert_true (warnings->count < MESSAGES_MAX);
    snprintf (warnings->messages[warnings->count++], KPI_TARGETS_MESSAGE_SIZE, "%s", message);
}

static void
test_addup (void **state)
{
    (void) state;
    kpi_targets_t *targets = s_read (
        HEAD ENTRY ("region:Central", "revenue", "2017-Q2", "\"target\": \"250000.00\"") "," ENTRY ("team:a", "revenue", "2017-Q2", "\"target\": \"100000.00\"") "," ENTRY ("team:b", "revenue", "2017-Q2", "\"target\": \"140000.00\"") "," ENTRY (
            "region:Central", "deals_won", "2017",
            "\"target\": 10") "," ENTRY ("team:a", "deals_won", "2017",
                                         "\"target\": 7") "," ENTRY ("team:c", "deals_won", "2017",
                                                                     "\"target\": 5") "," ENTRY ("c"
                                                                                                 "o"
                                                                                                 "m"
                                                                                                 "p"
                                                                                                 "a"
                                                                                                 "n"
                                                                                                 "y",
                                                                                                 "r"
                                                                                                 "e"
                                                                                                 "v"
                                                                                                 "e"
                                                                                                 "n"
                                                                                                 "u"
                                                                                                 "e",
                                                                                                 "2"
                                                                                                 "0"
                                                                                                 "1"
                                                                                                 "7",
                                                                                                 "\"tar"
                                                                                                 "g"
                                                                                                 "e"
                                                                                                 "t"
                                                                                                 "\""
                                                                                                 ":"
                                                                                                 " "
                                                                                                 "\"100"
                                                                                                 "0"
                                                                                                 "."
                                                                                                 "0"
                                                                                                 "0"
                                                                                                 "\","
                                                                                                 " "
                                                                                                 "\"sp"
                                                                                                 "r"
                                                                                                 "e"
                                                                                                 "a"
                                                                                                 "d"
                                                                                                 "\": "
                                                                                                 "{"
                                                                                                 "\"to"
                                                                                                 "\": "
                                                                                                 "\"qua"
                                                                                                 "r"
                                                                                                 "t"
                                                                                                 "e"
                                                                                                 "r"
                                                                                                 "\", "
                                                                                                 "\"rul"
                                                                                                 "e"
                                                                                                 "\": "
                                                                                                 "\"eve"
                                                                                                 "n"
                                                                                                 "\"},"
                                                                                                 " "
                                                                                                 "\"dec"
                                                                                                 "o"
                                                                                                 "m"
                                                                                                 "p"
                                                                                                 "o"
                                                                                                 "s"
                                                                                                 "e"
                                                                                                 "\": "
                                                                                                 "{"
                                                                                                 "\"we"
                                                                                                 "i"
                                                                                                 "g"
                                                                                                 "h"
                                                                                                 "t"
                                                                                                 "s"
                                                                                                 "\": "
                                                                                                 "{"
                                                                                                 "\"re"
                                                                                                 "g"
                                                                                                 "i"
                                                                                                 "o"
                                                                                                 "n"
                                                                                                 ":"
                                                                                                 "C"
                                                                                                 "e"
                                                                                                 "n"
                                                                                                 "t"
                                                                                                 "r"
                                                                                                 "a"
                                                                                                 "l"
                                                                                                 "\":"
                                                                                                 " "
                                                                                                 "2"
                                                                                                 ","
                                                                                                 " "
                                                                                                 "\"reg"
                                                                                                 "i"
                                                                                                 "o"
                                                                                                 "n"
                                                                                                 ":"
                                                                                                 "E"
                                                                                                 "a"
                                                                                                 "s"
                                                                                                 "t"
                                                                                                 "\": "
                                                                                                 "1"
                                                                                                 "}"
                                                                                                 "}") "," ENTRY ("region:Central",
                                                                                                                 "win_rate",
                                                                                                                 "2017",
                                                                                                                 "\"target\": 0.3") "," ENTRY ("team:a",
                                                                                                                                               "win_rate",
                                                                                                                                               "2017",
                                                                                                                                               "\"target\": 0.2")
            TAIL);
    s_warnings_t warnings = { .count = 0 };
    size_t count = kpi_targets_addup (targets, s_children, NULL, s_warn, &warnings);
    assert_int_equal (count, 3);
    assert_int_equal (warnings.count, 3);
    /* The company's decomposition adds up, except where region:Central's
       explicit Q2 (250,000.00) overrides its share (166.67) of 250.00. */
    assert_string_equal (warnings.messages[0],
                         "targets: company revenue 2017-Q2: children add "
                         "up to 250083.33, 249833.33 above the target 250.00");
    assert_string_equal (warnings.messages[1],
                         "targets: region:Central deals_won 2017: children add up to 12, 2 above "
                         "the target 10");
    assert_string_equal (warnings.messages[2],
                         "targets: region:Central revenue 2017-Q2: children add up to "
                         "240000.00, 10000.00 below the target 250000.00");
    kpi_targets_destroy (&targets);
}

// ------------------------------------------------------------------ carry

/* The acceptance example: Q1 actual 200,000 raises Q2 to 300,000. */
static void
test_carry (void **state)
{
    (void) state;
    kpi_targets_t *targets = s_read (ANNUAL_CARRY (""));
    kpi_target_t q2 = s_get (targets, "company", "revenue", "2017-Q2");
    assert_int_equal (q2.target, 25000000);
    assert_true (q2.carry && q2.derived);
    assert_false (q2.has_carry_cap);
    assert_string_equal (q2.parent, "2017");
    char labels[4][KPI_TARGETS_LABEL_SIZE];
    assert_int_equal (kpi_targets_earlier (targets, "company", "revenue", "2017-Q2", labels, 4), 1);
    assert_string_equal (labels[0], "2017-Q1");
    int64_t planned[] = { 25000000, 25000000, 25000000 };
    int64_t actual[] = { 20000000, 30000000, 24000000 };
    assert_int_equal (kpi_targets_carry (&q2, planned, actual, 1), 30000000);
    /* Q3: Q2 made up Q1's shortfall: nothing is carried twice. */
    kpi_target_t q3 = s_get (targets, "company", "revenue", "2017-Q3");
    assert_int_equal (kpi_targets_earlier (targets, "company", "revenue", "2017-Q3", labels, 4), 2);
    assert_string_equal (labels[1], "2017-Q2");
    assert_int_equal (kpi_targets_carry (&q3, planned, actual, 2), 25000000);
    /* Q4: Q3 missed 10,000. A surplus is not banked: Q1 met gives nothing. */
    kpi_target_t q4 = s_get (targets, "company", "revenue", "2017-Q4");
    assert_int_equal (kpi_targets_carry (&q4, planned, actual, 3), 26000000);
    int64_t ahead[] = { 40000000, 20000000, 25000000 };
    assert_int_equal (kpi_targets_carry (&q4, planned, ahead, 3), 25000000 + 5000000);
    /* Capacity bounds the labels; the first quarter and the year have none. */
    assert_int_equal (kpi_targets_earlier (targets, "company", "revenue", "2017-Q4", labels, 2), 2);
    assert_string_equal (labels[1], "2017-Q2");
    assert_int_equal (kpi_targets_earlier (targets, "company", "revenue", "2017-Q1", labels, 4), 0);
    assert_int_equal (kpi_targets_earlier (targets, "company", "revenue", "2017", labels, 4), 0);
    assert_int_equal (kpi_targets_earlier (targets, "company", "margin", "2017-Q2", labels, 4), 0);
    kpi_targets_destroy (&targets);

    /* A cap of 30,000 holds the carried 50,000 to 30,000. */
    targets = s_read (ANNUAL_CARRY (", \"carry_cap\": \"30000.00\""));
    q2 = s_get (targets, "company", "revenue", "2017-Q2");
    assert_true (q2.has_carry_cap);
    assert_int_equal (q2.carry_cap, 3000000);
    assert_int_equal (kpi_targets_carry (&q2, planned, actual, 1), 28000000);
    int64_t nothing[] = { 0, 0, 0 };
    q4 = s_get (targets, "company", "revenue", "2017-Q4");
    assert_int_equal (kpi_targets_carry (&q4, planned, nothing, 3), 28000000);
    kpi_targets_destroy (&targets);
}

/* Without carry, the own target; extreme values saturate. */
static void
test_carry_bounds (void **state)
{
    (void) state;
    kpi_target_t plain = { .target = 100, .carry = false };
    int64_t planned[] = { 500 };
    int64_t actual[] = { 0 };
    assert_int_equal (kpi_targets_carry (&plain, planned, actual, 1), 100);
    kpi_target_t carried = { .target = INT64_MAX - 1, .carry = true };
    int64_t huge[] = { INT64_MAX, INT64_MAX };
    int64_t negative[] = { INT64_MIN, INT64_MIN };
    assert_true (kpi_targets_carry (&carried, huge, negative, 2) == INT64_MAX);
    assert_int_equal (kpi_targets_carry (&carried, NULL, NULL, 0), INT64_MAX - 1);
}

// ------------------------------------------------------ non-additive KPIs

/* A ratio's target holds for every sub-period: the nearest enclosing
   period's, a week's being the month holding its Thursday. */
static void
test_non_additive_holds (void **state)
{
    (void) state;
    kpi_targets_t *targets =
        s_read (HEAD ENTRY ("company", "win_rate", "2017", "\"target\": 0.25") "," ENTRY (
            "company", "win_rate", "2017-02", "\"target\": 0.3") TAIL);
    kpi_target_t target = s_get (targets, "company", "win_rate", "2017-Q2");
    assert_int_equal (target.target, 2500);
    assert_true (target.derived);
    assert_string_equal (target.parent, "2017");
    /* 2017-W05 runs January 30 to February 5: Thursday February 2. */
    target = s_get (targets, "company", "win_rate", "2017-W05");
    assert_int_equal (target.target, 3000);
    assert_string_equal (target.parent, "2017-02");
    target = s_get (targets, "company", "win_rate", "2017-W04");
    assert_int_equal (target.target, 2500);
    target = s_get (targets, "company", "win_rate", "2017-02");
    assert_false (target.derived);
    kpi_target_t none;
    assert_int_equal (kpi_targets_get (targets, "company", "win_rate", "2018-01", &none), 1);
    assert_int_equal (kpi_targets_get (targets, "company", "win_rate", "junk", &none), 1);
    assert_int_equal (kpi_targets_get (targets, "region:A", "win_rate", "2017-03", &none), 1);
    assert_int_equal (kpi_targets_get (targets, "company", "nope", "2017-03", &none), 1);
    kpi_targets_destroy (&targets);
}

// ---------------------------------------------------------------- listing

/* Entries list sorted by node, KPI and period. */
static void
test_listing (void **state)
{
    (void) state;
    kpi_targets_t *targets =
        s_read (HEAD ENTRY ("team:z", "deals_won", "2017", "\"target\": 1") "," ENTRY (
            "company", "revenue", "2017-Q1",
            "\"target\": \"3.00\", \"spread\": {\"to\": \"month\", \"rule\": \"even\"}") TAIL);
    const char *expected[][3] = {
        { "company", "revenue", "2017-01" }, { "company", "revenue", "2017-02" },
        { "company", "revenue", "2017-03" }, { "company", "revenue", "2017-Q1" },
        { "team:z", "deals_won", "2017" },
    };
    assert_int_equal (kpi_targets_size (targets), 5);
    for (size_t index = 0; index < 5; index++) {
        const kpi_targets_entry_t *entry = kpi_targets_at (targets, index);
        assert_string_equal (entry->node, expected[index][0]);
        assert_string_equal (entry->kpi, expected[index][1]);
        assert_string_equal (entry->period, expected[index][2]);
        assert_int_equal (entry->target.target, index < 3 ? 100 : index == 3 ? 300 : 1);
    }
    kpi_targets_destroy (&targets);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_spread_even_periods),
        cmocka_unit_test (test_spread_calendar_days),
        cmocka_unit_test (test_spread_business_days),
        cmocka_unit_test (test_business_days),
        cmocka_unit_test (test_spread_weeks),
        cmocka_unit_test (test_spread_explicit_weights),
        cmocka_unit_test (test_decompose),
        cmocka_unit_test (test_decompose_floor_repair),
        cmocka_unit_test (test_decompose_and_spread),
        cmocka_unit_test (test_explicit_beats_derived),
        cmocka_unit_test (test_addup),
        cmocka_unit_test (test_carry),
        cmocka_unit_test (test_carry_bounds),
        cmocka_unit_test (test_non_additive_holds),
        cmocka_unit_test (test_listing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
