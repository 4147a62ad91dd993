/*  test_kpi_targets - reading targets documents (kpi_targets.c): entries
    and values in every unit, every refusal with its exact message (the
    document, spreads, decompositions, duplicates, the expansion limit),
    and the canonical form. Using a document once read (spreads,
    decompositions, carry, business days, the add-up warning, lookups) is
    tested in test_kpi_targets_use.c; what both share is in
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

#define ERROR_FILL 'x' /* pattern of an error buffer before a call */
#define NAME_FILL 'n'  /* pattern of a name buffer before a failing check */
#define DOCUMENT_SIZE (256 * 1024)

/* The document is refused with exactly message, by new and by check; a
   failing check leaves name and canonical untouched. */
static void
s_refused (const char *text, const char *message)
{
    char error[KPI_TARGETS_ERROR_SIZE];
    memset (error, ERROR_FILL, sizeof error);
    kpi_targets_t *targets = kpi_targets_new (text, strlen (text), error, sizeof error);
    if (targets)
        print_error ("accepted: %s\n", text);
    assert_null (targets);
    assert_string_equal (error, message);
    char name[SP_REFDATA_NAME_SIZE];
    memset (name, NAME_FILL, sizeof name);
    char *canonical = NULL;
    memset (error, ERROR_FILL, sizeof error);
    assert_int_equal (
        kpi_targets_check (text, strlen (text), name, sizeof name, &canonical, error, sizeof error),
        -1);
    assert_null (canonical);
    assert_int_equal (name[0], NAME_FILL);
    assert_string_equal (error, message);
}

/* The canonical form of text, which must be valid. */
static char *
s_canonical (const char *text)
{
    char name[SP_REFDATA_NAME_SIZE] = "";
    char error[KPI_TARGETS_ERROR_SIZE] = "";
    char *canonical = NULL;
    int rc =
        kpi_targets_check (text, strlen (text), name, sizeof name, &canonical, error, sizeof error);
    if (rc != 0)
        print_error ("unexpected error: %s\n", error);
    assert_int_equal (rc, 0);
    assert_string_equal (name, "fy2017");
    assert_non_null (canonical);
    return canonical;
}

// ---------------------------------------------------------------- reading

static void
test_kind (void **state)
{
    (void) state;
    assert_string_equal (kpi_targets_kind.kind, "targets");
    assert_string_equal (kpi_targets_kind.service, "kpi-evaluator");
    assert_int_equal (kpi_targets_kind.change, SP_REFDATA_FORWARD);
    assert_false (kpi_targets_kind.effective_dated);
    assert_ptr_equal (kpi_targets_kind.check, kpi_targets_check);
}

/* One explicit entry with floor and stretch; nothing else is there. */
static void
test_explicit_entry (void **state)
{
    (void) state;
    kpi_targets_t *targets = s_read (HEAD ENTRY (
        "region:Central", "revenue", "2017-Q2",
        "\"floor\": \"800000.00\", \"target\": \"1000000\", \"stretch\": \"1200000.5\"") TAIL);
    assert_string_equal (kpi_targets_name (targets), "fy2017");
    assert_string_equal (kpi_targets_currency (targets), "USD");
    assert_int_equal (kpi_targets_size (targets), 1);
    kpi_target_t target = s_get (targets, "region:Central", "revenue", "2017-Q2");
    assert_int_equal (target.floor, 80000000);
    assert_int_equal (target.target, 100000000);
    assert_int_equal (target.stretch, 120000050);
    assert_true (target.has_floor && target.has_stretch);
    assert_false (target.derived || target.carry || target.has_carry_cap);
    assert_string_equal (target.parent, "");
    const kpi_targets_entry_t *entry = kpi_targets_at (targets, 0);
    assert_string_equal (entry->node, "region:Central");
    assert_string_equal (entry->kpi, "revenue");
    assert_string_equal (entry->period, "2017-Q2");
    assert_int_equal (entry->target.target, 100000000);
    /* No entry: 1, out untouched for the other node, KPI or period. */
    kpi_target_t none = { .target = 7 };
    assert_int_equal (kpi_targets_get (targets, "region:East", "revenue", "2017-Q2", &none), 1);
    assert_int_equal (kpi_targets_get (targets, "region:Central", "revenue", "2017", &none), 1);
    assert_int_equal (kpi_targets_get (targets, "region:Central", "margin", "2017-Q2", &none), 1);
    assert_int_equal (none.target, 7);
    kpi_targets_destroy (&targets);
    kpi_targets_destroy (&targets); /* sets NULL: a second call is a no-op */
    assert_null (targets);
}

/* Values in every unit: counts, ratios, averages, per day, scores. */
static void
test_units (void **state)
{
    (void) state;
    kpi_targets_t *targets = s_read (
        HEAD ENTRY ("company", "deals_won", "2017", "\"floor\": 80, \"target\": 100") "," ENTRY (
            "company", "win_rate", "2017",
            "\"floor\": 0.2, \"target\": 0.25, "
            "\"stretch\": 1") "," ENTRY ("company",
                                         "avg_visit_"
                                         "minutes",
                                         "2017",
                                         "\"target\": "
                                         "35.5") "," ENTRY ("company", "visits_per_day", "2017-W05",
                                                            "\"target\": 8") "," ENTRY ("company",
                                                                                        "nps",
                                                                                        "2017-02",
                                                                                        "\"floor\":"
                                                                                        " -12.25, "
                                                                                        "\"target\""
                                                                                        ": 30")
            TAIL);
    kpi_target_t target = s_get (targets, "company", "deals_won", "2017");
    assert_int_equal (target.floor, 80);
    assert_int_equal (target.target, 100);
    target = s_get (targets, "company", "win_rate", "2017");
    assert_int_equal (target.floor, 2000);
    assert_int_equal (target.target, 2500);
    assert_int_equal (target.stretch, 10000);
    assert_int_equal (s_target (targets, "company", "avg_visit_minutes", "2017"), 3550);
    assert_int_equal (s_target (targets, "company", "visits_per_day", "2017-W05"), 800);
    target = s_get (targets, "company", "nps", "2017-02");
    assert_int_equal (target.floor, -1225);
    assert_int_equal (target.target, 3000);
    assert_int_equal (kpi_targets_size (targets), 5);
    kpi_targets_destroy (&targets);
}

// --------------------------------------------------------------- refusals

static void
test_duplicates_refused (void **state)
{
    (void) state;
    s_refused (HEAD ENTRY ("company", "revenue", "2017", "\"target\": \"1.00\"") "," ENTRY (
                   "company", "deals_won", "2017",
                   "\"target\": 1") "," ENTRY ("company", "revenue", "2017", "\"target\": \"2.00\"")
                   TAIL,
               "field \"targets[2]\": company revenue 2017 is also given by targets[0]");
    /* Two parents decomposing to the same child, same KPI and period. */
    s_refused (
        HEAD ENTRY (
            "company", "revenue", "2017",
            "\"target\": \"1.00\", \"decompose\": {\"weights\": {\"rep:x\": 1}}") "," ENTRY ("regio"
                                                                                             "n:A",
                                                                                             "reven"
                                                                                             "ue",
                                                                                             "2017",
                                                                                             "\"tar"
                                                                                             "get\""
                                                                                             ": "
                                                                                             "\"1."
                                                                                             "00\","
                                                                                             " \"de"
                                                                                             "compo"
                                                                                             "se\":"
                                                                                             " {"
                                                                                             "\"wei"
                                                                                             "ghts"
                                                                                             "\": "
                                                                                             "{\"re"
                                                                                             "p:"
                                                                                             "x\": "
                                                                                             "1}}")
            TAIL,
        "field \"targets[1].decompose\": rep:x revenue 2017 is also derived by "
        "targets[0].decompose");
}

static void
test_refusals (void **state)
{
    (void) state;
    s_refused ("{\"name\": ", "invalid JSON at line 1 column 9: unexpected token near end of file");
    s_refused ("[]", "a targets document must be a JSON object, got an array");
    s_refused ("{\"name\": \"fy2017\", \"currency\": \"USD\", \"targets\": [], \"extra\": 1}",
               "field \"extra\": unknown field");
    s_refused ("{\"name\": \"FY\", \"currency\": \"USD\", \"targets\": []}",
               "field \"name\": invalid name \"FY\": use 1 to 63 characters of a-z, 0-9, \"_\" "
               "and \"-\"");
    s_refused ("{\"name\": \"fy2017\", \"currency\": \"usd\", \"targets\": []}",
               "field \"currency\": unknown currency \"usd\": use an active ISO 4217 code such "
               "as \"USD\"");
    s_refused ("{\"name\": \"fy2017\", \"currency\": \"USD\"}", "field \"targets\": required");
    s_refused (HEAD ENTRY ("company", "revenue", "2017", "\"target\": \"1.00\", \"goal\": 1") TAIL,
               "field \"targets[0].goal\": unknown field");
    s_refused (HEAD ENTRY ("division:x", "revenue", "2017", "\"target\": \"1.00\"") TAIL,
               "field \"targets[0].node\": invalid node \"division:x\": use \"company\", "
               "\"region:<id>\", \"team:<id>\" or \"rep:<id>\", ids of 1 to 128 bytes");
    s_refused (HEAD ENTRY ("team:", "revenue", "2017", "\"target\": \"1.00\"") TAIL,
               "field \"targets[0].node\": invalid node \"team:\": use \"company\", "
               "\"region:<id>\", \"team:<id>\" or \"rep:<id>\", ids of 1 to 128 bytes");
    s_refused (HEAD ENTRY ("company", "revenu", "2017", "\"target\": \"1.00\"") TAIL,
               "field \"targets[0].kpi\": unknown KPI \"revenu\"");
    s_refused (HEAD ENTRY ("company", "revenue", "2017-Q5", "\"target\": \"1.00\"") TAIL,
               "field \"targets[0].period\": invalid period \"2017-Q5\": quarter must be 1..4");
    s_refused (HEAD ENTRY ("company", "revenue", "2017-05-03", "\"target\": \"1.00\"") TAIL,
               "field \"targets[0].period\": \"2017-05-03\" is a day: use a year, quarter, "
               "month or ISO week");
    s_refused (HEAD ENTRY ("company", "revenue", "2017", "\"floor\": \"1.00\"") TAIL,
               "field \"targets[0].target\": required");
    s_refused (HEAD ENTRY ("company", "revenue", "2017", "\"target\": 1000") TAIL,
               "field \"targets[0].target\": expected an amount of USD such as \"1000.00\", got "
               "an integer");
    s_refused (HEAD ENTRY ("company", "revenue", "2017", "\"target\": \"1.001\"") TAIL,
               "field \"targets[0].target\": \"1.001\" is not an amount of USD: too many decimals");
    s_refused (HEAD ENTRY ("company", "revenue", "2017", "\"target\": \"-1.00\"") TAIL,
               "field \"targets[0].target\": \"-1.00\" is negative");
    s_refused (HEAD ENTRY ("company", "deals_won", "2017", "\"target\": \"10\"") TAIL,
               "field \"targets[0].target\": expected an integer, got a string");
    s_refused (HEAD ENTRY ("company", "win_rate", "2017", "\"target\": 1.5") TAIL,
               "field \"targets[0].target\": 1.5 is not in 0..1");
    s_refused (HEAD ENTRY ("company", "csat", "2017", "\"target\": 4.125") TAIL,
               "field \"targets[0].target\": 4.125 has more than 2 decimals");
    s_refused (HEAD ENTRY ("company", "nps", "2017", "\"target\": -101") TAIL,
               "field \"targets[0].target\": -101 is not in -100..100");
    s_refused (HEAD ENTRY ("company", "revenue", "2017",
                           "\"floor\": \"1200.00\", \"target\": \"1000.00\"") TAIL,
               "field \"targets[0].floor\": the floor 1200.00 is above the target 1000.00");
    s_refused (HEAD ENTRY ("company", "deals_won", "2017", "\"target\": 10, \"stretch\": 9") TAIL,
               "field \"targets[0].stretch\": the stretch 9 is below the target 10");
    s_refused (HEAD ENTRY ("company", "win_rate", "2017",
                           "\"target\": 0.25, \"spread\": {\"to\": \"quarter\", \"rule\": "
                           "\"even\"}") TAIL,
               "field \"targets[0].spread\": \"win_rate\" is not additive (unit ratio): it cannot "
               "be spread, its target holds as it is for every sub-period and child");
    s_refused (HEAD ENTRY ("company", "csat", "2017",
                           "\"target\": 4.5, \"decompose\": {\"weights\": {\"team:a\": 1}}") TAIL,
               "field \"targets[0].decompose\": \"csat\" is not additive (unit average): it "
               "cannot be decomposed, its target holds as it is for every sub-period and child");
    s_refused (HEAD ENTRY ("company", "nps", "2017", "\"target\": 30, \"carry\": true") TAIL,
               "field \"targets[0].carry\": \"nps\" is not additive (unit score): it cannot be "
               "carried, its target holds as it is for every sub-period and child");
}

static void
test_spread_refusals (void **state)
{
    (void) state;
#define SPREAD(spread)                                                                             \
    HEAD ENTRY ("company", "revenue", "2017", "\"target\": \"1.00\", \"spread\": " spread) TAIL
    s_refused (SPREAD ("{\"to\": \"month\", \"rule\": \"explicit\", \"weights\": [1, 2, 3, 4]}"),
               "field \"targets[0].spread.weights\": 4 weights for 12 months of 2017");
    s_refused (SPREAD ("{\"to\": \"month\", \"rule\": \"explicit\"}"),
               "field \"targets[0].spread.weights\": required");
    s_refused (SPREAD ("{\"to\": \"quarter\", \"rule\": \"explicit\", \"weights\": [1, 0, 1, 1]}"),
               "field \"targets[0].spread.weights[1]\": 0 is not in 1..1000000");
    s_refused (SPREAD ("{\"to\": \"quarter\", \"rule\": \"even\", \"weights\": [1, 1, 1, 1]}"),
               "field \"targets[0].spread.weights\": applies only to rule \"explicit\"");
    s_refused (SPREAD ("{\"to\": \"quarter\", \"rule\": \"explicit\", \"basis\": \"periods\", "
                       "\"weights\": [1, 1, 1, 1]}"),
               "field \"targets[0].spread.basis\": applies only to rule \"even\"");
    s_refused (SPREAD ("{\"to\": \"quarter\", \"rule\": \"even\", \"basis\": \"hours\"}"),
               "field \"targets[0].spread.basis\": unknown basis \"hours\": use \"periods\", "
               "\"calendar_days\" or \"business_days\"");
    s_refused (SPREAD ("{\"to\": \"day\", \"rule\": \"even\"}"),
               "field \"targets[0].spread.to\": unknown period kind \"day\": use \"quarter\", "
               "\"month\" or \"week\"");
    s_refused (SPREAD ("{\"to\": \"quarter\", \"rule\": \"fair\"}"),
               "field \"targets[0].spread.rule\": unknown rule \"fair\": use \"even\" or "
               "\"explicit\"");
    s_refused (SPREAD ("{\"to\": \"quarter\", \"rule\": \"even\", \"by\": 1}"),
               "field \"targets[0].spread.by\": unknown field");
    s_refused (SPREAD ("[]"), "field \"targets[0].spread\": expected an object, got an array");
#undef SPREAD
    s_refused (HEAD ENTRY ("company", "revenue", "2017-05",
                           "\"target\": \"1.00\", \"spread\": {\"to\": \"quarter\", \"rule\": "
                           "\"even\"}") TAIL,
               "field \"targets[0].spread.to\": a month cannot be spread to quarters");
    s_refused (HEAD ENTRY ("company", "revenue", "2017-W05",
                           "\"target\": \"1.00\", \"spread\": {\"to\": \"week\", \"rule\": "
                           "\"even\"}") TAIL,
               "field \"targets[0].spread.to\": a week cannot be spread to weeks");
    /* Only Sundays are business days, and February's four are holidays. */
    s_refused ("{\"name\": \"fy2017\", \"currency\": \"USD\", \"business_days\": {\"weekdays\": "
               "[\"sun\"], \"holidays\": [\"2017-02-05\", \"2017-02-12\", \"2017-02-19\", "
               "\"2017-02-26\"]}, \"targets\": [" ENTRY (
                   "company", "revenue", "2017-02",
                   "\"target\": \"1.00\", \"spread\": {\"to\": \"week\", \"rule\": \"even\", "
                   "\"basis\": \"business_days\"}") TAIL,
               "field \"targets[0].spread.basis\": the weeks of 2017-02 have no business days");
    s_refused (HEAD ENTRY ("company", "revenue", "2017", "\"target\": \"1.00\", \"carry\": true")
                   TAIL,
               "field \"targets[0].carry\": applies only with \"spread\"");
    s_refused (HEAD ENTRY ("company", "revenue", "2017", "\"target\": \"1.00\", \"carry\": 1") TAIL,
               "field \"targets[0].carry\": expected a boolean, got an integer");
    s_refused (HEAD ENTRY ("company", "revenue", "2017",
                           "\"target\": \"1.00\", \"carry_cap\": \"1.00\"") TAIL,
               "field \"targets[0].carry_cap\": applies only with \"carry\": true");
}

static void
test_decompose_refusals (void **state)
{
    (void) state;
#define DECOMPOSE(body)                                                                            \
    HEAD ENTRY ("company", "revenue", "2017", "\"target\": \"1.00\", \"decompose\": " body) TAIL
    s_refused (DECOMPOSE ("{\"weights\": {\"company\": 1}}"),
               "field \"targets[0].decompose.weights.company\": a node cannot be its own child");
    s_refused (DECOMPOSE ("{\"weights\": {\"region\": 1}}"),
               "field \"targets[0].decompose.weights.region\": invalid node \"region\": use "
               "\"company\", \"region:<id>\", \"team:<id>\" or \"rep:<id>\", ids of 1 to 128 "
               "bytes");
    s_refused (DECOMPOSE ("{\"weights\": {\"region:A\": 0}}"),
               "field \"targets[0].decompose.weights.region:A\": 0 is not in 1..1000000");
    s_refused (DECOMPOSE ("{\"weights\": {}}"),
               "field \"targets[0].decompose.weights\": 0 children, 1 to 1000 are allowed");
    s_refused (DECOMPOSE ("{\"shares\": {}}"),
               "field \"targets[0].decompose.shares\": unknown field");
#undef DECOMPOSE
    s_refused ("{\"name\": \"fy2017\", \"currency\": \"USD\", \"business_days\": {\"weekdays\": "
               "[\"mon\", \"mon\"]}, \"targets\": []}",
               "field \"business_days.weekdays[1]\": \"mon\" is listed twice");
    s_refused ("{\"name\": \"fy2017\", \"currency\": \"USD\", \"business_days\": {\"holidays\": "
               "[\"2017-12-25\", \"2017-12\"]}, \"targets\": []}",
               "field \"business_days.holidays[1]\": expected a date YYYY-MM-DD, got \"2017-12\"");
    s_refused ("{\"name\": \"fy2017\", \"currency\": \"USD\", \"business_days\": {\"holidays\": "
               "[\"2017-12-25\", \"2017-12-25\"]}, \"targets\": []}",
               "field \"business_days.holidays[1]\": 2017-12-25 is already "
               "business_days.holidays[0]");
}

/* 1,000 children spread over 53 weeks: 54,054 entries each; two exceed
   the limit. */
static void
test_expansion_limit (void **state)
{
    (void) state;
    char *text = malloc (DOCUMENT_SIZE);
    assert_non_null (text);
    size_t used = (size_t) snprintf (text, DOCUMENT_SIZE, "%s", HEAD);
    const char *kpis[] = { "deals_won", "quotes_sent" };
    for (size_t entry = 0; entry < 2; entry++) {
        used += (size_t) snprintf (text + used, DOCUMENT_SIZE - used,
                                   "%s{\"node\": \"company\", \"kpi\": \"%s\", \"period\": "
                                   "\"2020\", \"target\": 1000000, \"spread\": {\"to\": "
                                   "\"week\", \"rule\": \"even\"}, \"decompose\": {\"weights\": {",
                                   entry ? "," : "", kpis[entry]);
        for (int child = 0; child < 1000; child++)
            used += (size_t) snprintf (text + used, DOCUMENT_SIZE - used, "%s\"rep:%d\": 1",
                                       child ? "," : "", child);
        used += (size_t) snprintf (text + used, DOCUMENT_SIZE - used, "}}}");
    }
    snprintf (text + used, DOCUMENT_SIZE - used, "%s", TAIL);
    assert_true (used + 3 < DOCUMENT_SIZE);
    s_refused (text, "field \"targets[1]\": more than 100000 targets once spreads and "
                     "decompositions are expanded");
    /* One alone loads: 54,054 entries, each week a 1,000th of its part. */
    snprintf (strstr (text, ",{\"node\""), DOCUMENT_SIZE - used, "%s", TAIL);
    kpi_targets_t *targets = s_read (text);
    assert_int_equal (kpi_targets_size (targets), 54054);
    assert_int_equal (s_target (targets, "rep:0", "deals_won", "2020"), 1000);
    /* 1,000,000 in 53 weeks: 18867 r 49, the first 49 weeks get 18868. */
    assert_int_equal (s_target (targets, "company", "deals_won", "2020-W49"), 18868);
    assert_int_equal (s_target (targets, "company", "deals_won", "2020-W50"), 18867);
    free (text);
    kpi_targets_destroy (&targets);
}

// ---------------------------------------------------------- canonical form

static void
test_canonical (void **state)
{
    (void) state;
    const char *text =
        HEAD ENTRY ("region:B", "deals_won", "2017", "\"target\": 10, \"stretch\": 12") "," ENTRY (
            "company", "revenue", "2017",
            "\"target\": \"1000000\", \"spread\": {\"to\": \"month\", \"rule\": "
            "\"explicit\", \"weights\": [1,1,1,1,1,1,1,1,1,1,1,2]}, \"carry\": true, "
            "\"decompose\": {\"weights\": {\"region:B\": 1, \"region:A\": 3}}") "," ENTRY ("compan"
                                                                                           "y",
                                                                                           "win_"
                                                                                           "rate",
                                                                                           "2017-"
                                                                                           "Q1",
                                                                                           "\"targe"
                                                                                           "t\": "
                                                                                           "0.25, "
                                                                                           "\"carry"
                                                                                           "\": "
                                                                                           "false")
            TAIL;
    const char *reordered =
        "{ \"targets\" : [\n"
        "  {\"period\": \"2017-Q1\", \"target\": 0.2500, \"kpi\": \"win_rate\", \"node\": "
        "\"company\"},\n"
        "  {\"kpi\": \"revenue\", \"node\": \"company\", \"target\": \"1000000.00\", \"period\": "
        "\"2017\", \"carry\": true, \"decompose\": {\"weights\": {\"region:A\": 3, \"region:B\": "
        "1}}, \"spread\": {\"weights\": [1,1,1,1,1,1,1,1,1,1,1,2], \"rule\": \"explicit\", "
        "\"to\": \"month\"}},\n"
        "  {\"stretch\": 12, \"node\": \"region:B\", \"target\": 10, \"period\": \"2017\", "
        "\"kpi\": \"deals_won\"}\n"
        "], \"currency\": \"USD\", \"business_days\": {\"weekdays\": [\"fri\", \"thu\", \"wed\", "
        "\"tue\", \"mon\"]}, \"name\": \"fy2017\" }";
    char *canonical = s_canonical (text);
    assert_string_equal (
        canonical,
        "{\"currency\":\"USD\",\"name\":\"fy2017\",\"targets\":["
        "{\"carry\":true,\"decompose\":{\"weights\":{\"region:A\":3,\"region:B\":1}},"
        "\"kpi\":\"revenue\",\"node\":\"company\",\"period\":\"2017\",\"spread\":{\"rule\":"
        "\"explicit\",\"to\":\"month\",\"weights\":[1,1,1,1,1,1,1,1,1,1,1,2]},\"target\":"
        "\"1000000.00\"},"
        "{\"kpi\":\"win_rate\",\"node\":\"company\",\"period\":\"2017-Q1\",\"target\":0.25},"
        "{\"kpi\":\"deals_won\",\"node\":\"region:B\",\"period\":\"2017\",\"stretch\":12,"
        "\"target\":10}]}");
    char *again = s_canonical (reordered);
    assert_string_equal (canonical, again);
    char *back = s_canonical (canonical);
    assert_string_equal (canonical, back);
    free (back);
    free (again);
    free (canonical);

    /* A calendar other than the default is kept, weekdays in week order,
       holidays sorted; averages and scores as numbers. */
    canonical = s_canonical (
        "{\"name\": \"fy2017\", \"currency\": \"JPY\", \"business_days\": {\"weekdays\": "
        "[\"sat\", \"mon\"], \"holidays\": [\"2017-12-25\", \"2017-01-02\"]}, \"targets\": "
        "[" ENTRY ("company", "avg_visit_minutes", "2017", "\"target\": 35.50") "," ENTRY (
            "company", "nps", "2017", "\"target\": -12.25") "," ENTRY ("company", "revenue", "2017",
                                                                       "\"target\": \"5000\"")
            TAIL);
    assert_string_equal (
        canonical,
        "{\"business_days\":{\"holidays\":[\"2017-01-02\",\"2017-12-25\"],\"weekdays\":[\"mon\","
        "\"sat\"]},\"currency\":\"JPY\",\"name\":\"fy2017\",\"targets\":["
        "{\"kpi\":\"avg_visit_minutes\",\"node\":\"company\",\"period\":\"2017\",\"target\":35.5},"
        "{\"kpi\":\"nps\",\"node\":\"company\",\"period\":\"2017\",\"target\":-12.25},"
        "{\"kpi\":\"revenue\",\"node\":\"company\",\"period\":\"2017\",\"target\":\"5000\"}]}");
    back = s_canonical (canonical);
    assert_string_equal (canonical, back);
    free (back);
    free (canonical);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_kind),
        cmocka_unit_test (test_explicit_entry),
        cmocka_unit_test (test_units),
        cmocka_unit_test (test_duplicates_refused),
        cmocka_unit_test (test_refusals),
        cmocka_unit_test (test_spread_refusals),
        cmocka_unit_test (test_decompose_refusals),
        cmocka_unit_test (test_expansion_limit),
        cmocka_unit_test (test_canonical),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
