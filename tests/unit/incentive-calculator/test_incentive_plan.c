/*  test_incentive_plan - reading, validating and writing plans (the
    "plans" kind), then earning with them: multi-measure plans
    (independent and blended attainment, a cross-component gate), SPIFFs,
    proration by active days and the choice of the version in force; the
    pay terms (draw, clawback options, trigger, true-up, roll-up and
    overlay credits).

    Every refusal is checked with its exact message and leaves the
    outputs untouched; figures are derived by hand next to each check.
    Money is USD in cents.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "incentive_plan.h"
#include "sp_civil.h"

#define USD(major) ((int64_t) (major) *100)
#define PPM INCENTIVE_RATES_PPM
#define TEXT_SIZE 8192

/* The acceptance tiers, one component paying a rate on revenue. */
#define TIERS(mode)                                                                                \
    "[{\"lo\": \"0\", \"hi\": \"5000\", \"rate\": \"0.05\", \"mode\": \"" mode "\"}, "             \
    "{\"lo\": \"5000\", \"hi\": \"10000\", \"rate\": \"0.1\", \"mode\": \"" mode "\"}, "           \
    "{\"lo\": \"10000\", \"rate\": \"0.15\", \"mode\": \"" mode "\"}]"
#define HEAD                                                                                       \
    "\"name\": \"ae-2025\", \"currency\": \"USD\", \"period\": \"quarter\", "                      \
    "\"assign\": {\"role\": \"ae\"}, "
#define ONE(table)                                                                                 \
    "{" HEAD "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "                   \
    "\"quota\": \"1000000.00\", \"table\": " table "}]}"
#define SIMPLE ONE ("{\"bands\": " TIERS ("marginal") "}")

/* Two measures: revenue (quota 100,000, weight 0.6) and new logos (quota
   10, weight 0.4), target incentive 20,000; ×1 to 100 %, ×2 above. */
#define ACCELERATED                                                                                \
    "{\"basis\": \"attainment\", \"pays\": \"target_incentive\", \"bands\": "                      \
    "[{\"lo\": \"0\", \"hi\": \"1\", \"rate\": \"1\"}, {\"lo\": \"1\", \"rate\": \"2\"}]}"
#define TWO(attainment, extra, revenue_table, logo_table)                                          \
    "{" HEAD "\"target_incentive\": \"20000.00\", \"attainment\": \"" attainment "\", " extra      \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"100000.00\", "  \
    "\"weight\": 0.6" revenue_table "}, {\"id\": \"logos\", \"measure\": \"new_logos\", "          \
    "\"quota\": \"10\", \"weight\": 0.4" logo_table "}]"
#define INDEPENDENT(extra)                                                                         \
    TWO ("independent", extra, ", \"table\": " ACCELERATED, ", \"table\": " ACCELERATED) "}"
#define BLENDED TWO ("blended", "", "", "") ", \"table\": " ACCELERATED "}"

/* Every feature at once, for the canonical form. */
#define FULL                                                                                       \
    "{\"name\": \"full\", \"currency\": \"USD\", \"rounding\": \"half-away-from-zero\", "          \
    "\"period\": \"month\", \"trigger\": \"payment\", "                                            \
    "\"assign\": {\"reps\": [{\"id\": \"rep-1\", \"from\": \"2025-02-15\"}, {\"id\": \"rep-2\", "  \
    "\"to\": \"2025-03-01\"}]}, \"target_incentive\": \"20000.00\", "                              \
    "\"gate\": {\"attainment\": \"0.5\"}, "                                                        \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"100000.00\", "  \
    "\"weight\": 0.6, \"table\": {\"bands\": " TIERS (                                             \
        "retroactive") ", "                                                                        \
                       "\"gate\": {\"attainment\": \"0.7\", \"pays\": \"excess\"}, "               \
                       "\"cap\": {\"payout\": \"50000.00\", \"attainment\": \"2\"}}}, "            \
                       "{\"id\": \"logos\", \"measure\": \"new_logos\", \"quota\": \"10\", "       \
                       "\"weight\": 0.4, "                                                         \
                       "\"table\": {\"bands\": [{\"lo\": \"0\", \"hi\": \"5\", \"rate\": "         \
                       "\"100.00\"}, "                                                             \
                       "{\"lo\": \"5\", \"rate\": \"250\"}]}}], "                                  \
                       "\"spiffs\": [{\"id\": \"q3-logos\", \"measure\": \"new_logos\", "          \
                       "\"from\": \"2025-07-01\", "                                                \
                       "\"to\": \"2025-10-01\", \"pays\": \"fixed\", \"amount\": \"250.00\", "     \
                       "\"cap\": \"1000.00\"}, "                                                   \
                       "{\"id\": \"q3-revenue\", \"measure\": \"revenue\", \"from\": "             \
                       "\"2025-07-01\", "                                                          \
                       "\"to\": \"2025-08-01\", \"pays\": \"rate\", \"tiers\": [{\"lo\": \"0\", "  \
                       "\"hi\": "                                                                  \
                       "\"10000\", \"rate\": \"0.02\"}, {\"lo\": \"10000\", \"rate\": "            \
                       "\"0.03\"}], "                                                              \
                       "\"counts_in_attainment\": true}]}"

static incentive_plan_t *
s_read (const char *text)
{
    char error[INCENTIVE_PLAN_ERROR_SIZE] = "";
    incentive_plan_t *plan = incentive_plan_new (text, strlen (text), error, sizeof error);
    if (!plan)
        print_error ("unexpected error: %s\n", error);
    assert_non_null (plan);
    return plan;
}

static void
s_refused (const char *text, const char *message)
{
    char error[INCENTIVE_PLAN_ERROR_SIZE] = "";
    assert_null (incentive_plan_new (text, strlen (text), error, sizeof error));
    assert_string_equal (error, message);
    char name[SP_REFDATA_NAME_SIZE] = "untouched";
    char *canonical = (char *) 1;
    assert_int_equal (incentive_plan_kind.check (text, strlen (text), name, sizeof name, &canonical,
                                                 error, sizeof error),
                      -1);
    assert_string_equal (error, message);
    assert_string_equal (name, "untouched");
    assert_ptr_equal (canonical, (char *) 1);
}

static void
test_kind (void **state)
{
    (void) state;
    assert_string_equal (incentive_plan_kind.kind, "plans");
    assert_string_equal (incentive_plan_kind.service, "incentive-calculator");
    assert_int_equal (incentive_plan_kind.change, SP_REFDATA_FORWARD);
    assert_true (incentive_plan_kind.effective_dated);
    char name[SP_REFDATA_NAME_SIZE];
    char error[INCENTIVE_PLAN_ERROR_SIZE];
    char *canonical = NULL;
    assert_int_equal (incentive_plan_kind.check (SIMPLE, strlen (SIMPLE), name, sizeof name,
                                                 &canonical, error, sizeof error),
                      0);
    assert_string_equal (name, "ae-2025");
    assert_non_null (strstr (canonical, "\"rounding\": \"half-away-from-zero\""));
    free (canonical);
}

/* The canonical form writes every default, reads back to itself, and
   does not depend on spacing or key order. */
static void
test_canonical_stable (void **state)
{
    (void) state;
    const char *documents[] = { SIMPLE, FULL, BLENDED, INDEPENDENT ("") };
    for (size_t index = 0; index < sizeof documents / sizeof documents[0]; index++) {
        incentive_plan_t *plan = s_read (documents[index]);
        char *first = incentive_plan_to_json (plan);
        assert_non_null (first);
        incentive_plan_t *again = s_read (first);
        char *second = incentive_plan_to_json (again);
        assert_string_equal (first, second);
        free (second);
        free (first);
        incentive_plan_destroy (&again);
        incentive_plan_destroy (&plan);
    }
    incentive_plan_t *plan = s_read (FULL);
    char *text = incentive_plan_to_json (plan);
    assert_non_null (strstr (text, "\"trigger\": \"payment\""));
    assert_non_null (strstr (text, "\"lo\": \"5000.00\""));
    assert_non_null (strstr (text, "\"rate\": \"250\""));
    assert_non_null (strstr (text, "\"amount\": \"250.00\""));
    assert_non_null (strstr (text, "\"from\": \"2025-02-15\""));
    free (text);
    incentive_plan_destroy (&plan);
    incentive_plan_destroy (&plan); /* no-op on NULL */
    /* Reordered and respaced: the same canonical text. */
    const char *reordered = "{\"components\":[{\"table\":{\"bands\":" TIERS (
        "marginal") "},\"quota\":\"1000000\","
                    "\"measure\":\"revenue\",\"id\":\"revenue\"}],\"assign\":{\"role\":\"ae\"},"
                    "\"period\":\"quarter\",\"currency\":\"USD\",\"name\":\"ae-2025\"}";
    incentive_plan_t *one = s_read (SIMPLE);
    incentive_plan_t *other = s_read (reordered);
    char *a = incentive_plan_to_json (one);
    char *b = incentive_plan_to_json (other);
    assert_string_equal (a, b);
    free (a);
    free (b);
    incentive_plan_destroy (&one);
    incentive_plan_destroy (&other);
}

static void
test_accessors (void **state)
{
    (void) state;
    incentive_plan_t *plan = s_read (FULL);
    assert_string_equal (incentive_plan_name (plan), "full");
    assert_string_equal (incentive_plan_currency (plan), "USD");
    assert_int_equal (incentive_plan_period (plan), INCENTIVE_PLAN_MONTH);
    assert_int_equal (incentive_plan_trigger (plan), INCENTIVE_PLAN_ON_PAYMENT);
    assert_int_equal (incentive_plan_attainment (plan), INCENTIVE_PLAN_INDEPENDENT);
    assert_int_equal (incentive_plan_target_incentive (plan), USD (20000));
    int64_t gate = 0;
    assert_true (incentive_plan_gate (plan, &gate));
    assert_int_equal (gate, PPM / 2);
    assert_null (incentive_plan_role (plan));
    assert_int_equal (incentive_plan_rep_count (plan), 2);
    const incentive_plan_rep_t *rep = incentive_plan_rep (plan, 0);
    assert_string_equal (rep->id, "rep-1");
    assert_true (rep->has_from);
    assert_int_equal (rep->from_day, sp_civil_days_from_date (2025, 2, 15));
    assert_false (rep->has_to);
    assert_true (incentive_plan_assigned (plan, "rep-2", NULL));
    assert_false (incentive_plan_assigned (plan, "rep-3", "ae"));
    assert_int_equal (incentive_plan_component_count (plan), 2);
    const incentive_plan_component_t *logos = incentive_plan_component (plan, 1);
    assert_string_equal (logos->id, "logos");
    assert_int_equal (logos->measure, INCENTIVE_PLAN_NEW_LOGOS);
    assert_int_equal (logos->quota, 10 * 100); /* counts in hundredths for USD */
    assert_int_equal (logos->weight_bp, 4000);
    assert_int_equal (logos->table.bands[0].rate_ppm, 100 * PPM);
    assert_null (incentive_plan_table (plan));
    assert_int_equal (incentive_plan_spiff_count (plan), 2);
    const incentive_plan_spiff_t *spiff = incentive_plan_spiff (plan, 1);
    assert_string_equal (spiff->id, "q3-revenue");
    assert_false (spiff->fixed);
    assert_true (spiff->counts_in_attainment);
    assert_false (incentive_plan_spiff (plan, 0)->counts_in_attainment);
    assert_int_equal (incentive_plan_unit_scale (plan, INCENTIVE_PLAN_UNITS), 100);
    assert_int_equal (incentive_plan_unit_scale (plan, INCENTIVE_PLAN_MARGIN), 1);
    assert_string_equal (incentive_plan_measure_name (INCENTIVE_PLAN_NEW_LOGOS), "new_logos");
    incentive_plan_destroy (&plan);
    plan = s_read (SIMPLE);
    assert_string_equal (incentive_plan_role (plan), "ae");
    assert_true (incentive_plan_assigned (plan, "anyone", "ae"));
    assert_false (incentive_plan_assigned (plan, "anyone", "sdr"));
    assert_false (incentive_plan_assigned (plan, "anyone", NULL));
    assert_int_equal (incentive_plan_trigger (plan), INCENTIVE_PLAN_ON_BOOKING);
    assert_false (incentive_plan_gate (plan, &gate));
    assert_int_equal (gate, PPM / 2);
    incentive_plan_destroy (&plan);
}

/* The acceptance figures through a plan: 11,000 -> 900.00 marginal,
   1,650.00 retroactive. */
static void
test_earn_acceptance (void **state)
{
    (void) state;
    const char *documents[] = { SIMPLE, ONE ("{\"bands\": " TIERS ("retroactive") "}") };
    const int64_t expected[] = { USD (900), USD (1650) };
    for (size_t index = 0; index < 2; index++) {
        incentive_plan_t *plan = s_read (documents[index]);
        int64_t before[] = { 0 };
        int64_t after[] = { USD (11000) };
        incentive_plan_earning_t earning;
        assert_int_equal (incentive_plan_earn (plan, before, after, 90, 90, &earning), 0);
        assert_int_equal (earning.line_count, 1);
        assert_int_equal (earning.total, expected[index]);
        assert_string_equal (earning.lines[0].rule, "revenue");
        incentive_plan_destroy (&plan);
    }
    /* A gate at 70 % of 1,000,000 paying 10 % on the whole and on the excess. */
    incentive_plan_t *whole = s_read (ONE ("{\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}], "
                                           "\"gate\": {\"attainment\": \"0.7\"}}"));
    incentive_plan_t *excess =
        s_read (ONE ("{\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}], "
                     "\"gate\": {\"attainment\": \"0.7\", \"pays\": \"excess\"}}"));
    int64_t zero[] = { 0 };
    int64_t below[] = { USD (690000) };
    int64_t at[] = { USD (700000) };
    int64_t above[] = { USD (800000) };
    incentive_plan_earning_t earning;
    assert_int_equal (incentive_plan_earn (whole, zero, below, 90, 90, &earning), 0);
    assert_int_equal (earning.total, 0);
    assert_int_equal (incentive_plan_earn (whole, zero, at, 90, 90, &earning), 0);
    assert_int_equal (earning.total, USD (70000));
    assert_int_equal (incentive_plan_earn (excess, zero, at, 90, 90, &earning), 0);
    assert_int_equal (earning.total, 0);
    assert_int_equal (incentive_plan_earn (excess, zero, above, 90, 90, &earning), 0);
    assert_int_equal (earning.total, USD (10000));
    incentive_plan_destroy (&whole);
    incentive_plan_destroy (&excess);
}

/* Independent: revenue 120,000 (120 %) -> 20,000 × 0.6 × (1 + 0.2 × 2) =
   16,800.00; logos 5 (50 %) -> 20,000 × 0.4 × 0.5 = 4,000.00; total
   20,800.00. Blended: 0.6 × 1.2 + 0.4 × 0.5 = 0.92 -> 18,400.00;
   150,000 and 10 logos: 0.9 + 0.4 = 1.3 -> 20,000 × (1 + 0.3 × 2) =
   32,000.00. A cross-component gate at 50 %: 4 logos (40 %) pay nothing
   at all; the fifth logo opens it and its move pays both lines. */
static void
test_multi_measure (void **state)
{
    (void) state;
    incentive_plan_t *plan = s_read (INDEPENDENT (""));
    int64_t zero[] = { 0, 0 };
    int64_t reached[] = { USD (120000), 5 };
    incentive_plan_earning_t earning;
    assert_int_equal (incentive_plan_earn (plan, zero, reached, 90, 90, &earning), 0);
    assert_int_equal (earning.line_count, 2);
    assert_int_equal (earning.lines[0].amount, USD (16800));
    assert_int_equal (earning.lines[1].amount, USD (4000));
    assert_string_equal (earning.lines[1].rule, "logos");
    assert_int_equal (earning.total, USD (20800));
    incentive_plan_destroy (&plan);

    plan = s_read (BLENDED);
    assert_non_null (incentive_plan_table (plan));
    assert_int_equal (incentive_plan_earn (plan, zero, reached, 90, 90, &earning), 0);
    assert_int_equal (earning.line_count, 1);
    assert_string_equal (earning.lines[0].rule, "blended");
    assert_int_equal (earning.total, USD (18400));
    assert_int_equal (earning.lines[0].attainment_after_ppm, 920000);
    int64_t more[] = { USD (150000), 10 };
    assert_int_equal (incentive_plan_earn (plan, zero, more, 90, 90, &earning), 0);
    assert_int_equal (earning.total, USD (32000));
    assert_int_equal (incentive_plan_earn (plan, reached, more, 90, 90, &earning), 0);
    assert_int_equal (earning.total, USD (32000 - 18400));
    incentive_plan_destroy (&plan);

    plan = s_read (INDEPENDENT ("\"gate\": {\"attainment\": \"0.5\"}, "));
    int64_t closed[] = { USD (120000), 4 };
    assert_int_equal (incentive_plan_earn (plan, zero, closed, 90, 90, &earning), 0);
    assert_false (earning.gate_open);
    assert_int_equal (earning.total, 0);
    assert_int_equal (incentive_plan_earn (plan, closed, reached, 90, 90, &earning), 0);
    assert_true (earning.gate_open);
    assert_int_equal (earning.lines[0].amount, USD (16800));
    assert_int_equal (earning.lines[1].amount, USD (4000));
    assert_int_equal (earning.total, USD (20800));
    /* Out of range values leave the output untouched. */
    int64_t huge[] = { INT64_MAX, 0 };
    earning.total = 7;
    assert_int_equal (incentive_plan_earn (plan, zero, huge, 90, 90, &earning), -1);
    assert_int_equal (earning.total, 7);
    incentive_plan_destroy (&plan);
}

/* Fixed 250.00 per new logo, capped at 1,000.00, July to September:
   the first logo pays 250.00, the fifth nothing (4 × 250 = 1,000).
   Revenue 2 % to 10,000 and 3 % above, in July: 0 -> 15,000 pays
   200 + 150 = 350.00. Outside the window: nothing (1). */
static void
test_spiffs (void **state)
{
    (void) state;
    incentive_plan_t *plan = s_read (FULL);
    int64_t july = sp_civil_days_from_date (2025, 7, 10);
    incentive_rates_result_t line;
    assert_int_equal (incentive_plan_spiff_earn (plan, 0, july, 0, 1, &line), 0);
    assert_int_equal (line.amount, USD (250));
    assert_string_equal (line.rule, "q3-logos");
    assert_int_equal (incentive_plan_spiff_earn (plan, 0, july, 3, 4, &line), 0);
    assert_int_equal (line.amount, USD (250));
    assert_int_equal (incentive_plan_spiff_earn (plan, 0, july, 4, 5, &line), 0);
    assert_int_equal (line.amount, 0);
    assert_true (line.payout_capped);
    assert_int_equal (incentive_plan_spiff_earn (plan, 1, july, 0, USD (15000), &line), 0);
    assert_int_equal (line.amount, USD (350));
    line.amount = 7;
    int64_t august = sp_civil_days_from_date (2025, 8, 1); /* "to" is exclusive */
    assert_int_equal (incentive_plan_spiff_earn (plan, 1, august, 0, USD (15000), &line), 1);
    assert_int_equal (incentive_plan_spiff_earn (plan, 0, july - 20, 0, 1, &line), 1);
    assert_int_equal (line.amount, 7);
    incentive_plan_destroy (&plan);
}

/* February 2025 has 28 days; a rep from the 15th is active 14 (15..28),
   one leaving on the 1st of March the whole month. Quota 90,000 for a
   quarter of 90 days with 30 active is 30,000: 10 % on the whole at a
   100 % gate pays 3,000.00 at 30,000 and nothing at 29,999.99. */
static void
test_proration (void **state)
{
    (void) state;
    int64_t first = sp_civil_days_from_date (2025, 2, 1);
    int64_t end = sp_civil_days_from_date (2025, 3, 1);
    assert_int_equal (incentive_plan_active_days (first, end, true,
                                                  sp_civil_days_from_date (2025, 2, 15), false, 0),
                      14);
    assert_int_equal (incentive_plan_active_days (first, end, false, 0, true, end), 28);
    assert_int_equal (incentive_plan_active_days (first, end, true, first - 40, true, first + 3),
                      3);
    assert_int_equal (incentive_plan_active_days (first, end, true, end + 1, false, 0), 0);
    incentive_plan_t *plan =
        s_read ("{" HEAD "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "
                "\"quota\": \"90000\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": "
                "\"0.1\"}], \"gate\": {\"attainment\": \"1\"}}}]}");
    int64_t zero[] = { 0 };
    int64_t at[] = { USD (30000) };
    int64_t short_of[] = { USD (30000) - 1 };
    incentive_plan_earning_t earning;
    assert_int_equal (incentive_plan_earn (plan, zero, at, 30, 90, &earning), 0);
    assert_int_equal (earning.total, USD (3000));
    assert_int_equal (incentive_plan_earn (plan, zero, short_of, 30, 90, &earning), 0);
    assert_int_equal (earning.total, 0);
    incentive_plan_destroy (&plan);
}

static void
test_version_choose (void **state)
{
    (void) state;
    const incentive_plan_version_t versions[] = {
        { 2, true, 200 },
        { 1, true, 100 },
        { 4, true, 300 },
        { 3, true, 200 },
    };
    size_t index = 99;
    assert_int_equal (incentive_plan_version_choose (versions, 4, 50, &index), -1);
    assert_int_equal (index, 99);
    assert_int_equal (incentive_plan_version_choose (versions, 4, 100, &index), 0);
    assert_int_equal (versions[index].version, 1);
    assert_int_equal (incentive_plan_version_choose (versions, 4, 250, &index), 0);
    assert_int_equal (versions[index].version, 3); /* same date: the later version */
    assert_int_equal (incentive_plan_version_choose (versions, 4, 300, &index), 0);
    assert_int_equal (versions[index].version, 4);
    const incentive_plan_version_t undated[] = { { 1, false, 0 }, { 2, true, 100 } };
    assert_int_equal (incentive_plan_version_choose (undated, 2, 50, &index), 0);
    assert_int_equal (undated[index].version, 1);
    assert_int_equal (incentive_plan_version_choose (undated, 2, 150, &index), 0);
    assert_int_equal (undated[index].version, 2);
    assert_int_equal (incentive_plan_version_choose (NULL, 0, 150, &index), -1);
}

static void
test_refusals (void **state)
{
    (void) state;
    s_refused (ONE ("{\"bands\": [{\"lo\": \"0\", \"hi\": \"5000\", \"rate\": \"0.05\"}, "
                    "{\"lo\": \"6000\", \"rate\": \"0.1\"}]}"),
               "field \"components[0].table.bands[1]\": gap between bands[0] [0.00, 5000.00) and "
               "bands[1] [6000.00, ...): [5000.00, 6000.00) is not covered");
    s_refused (ONE ("{\"bands\": [{\"lo\": \"0\", \"hi\": \"5000\", \"rate\": \"0.05\"}, "
                    "{\"lo\": \"4000\", \"rate\": \"0.1\"}]}"),
               "field \"components[0].table.bands[1]\": bands[0] [0.00, 5000.00) and bands[1] "
               "[4000.00, ...) overlap on [4000.00, 5000.00)");
    s_refused (ONE ("{\"bands\": [{\"lo\": \"0\", \"hi\": \"5000\", \"rate\": \"0.05\"}, "
                    "{\"lo\": \"5000\", \"hi\": \"9000\", \"rate\": \"0.1\"}, "
                    "{\"lo\": \"1000\", \"rate\": \"0.1\"}]}"),
               "field \"components[0].table.bands[2]\": bands out of order: bands[2] [1000.00, "
               "...) starts before bands[1] [5000.00, 9000.00)");
    s_refused (ONE ("{\"bands\": [{\"lo\": \"0\", \"rate\": \"-0.05\"}]}"),
               "field \"components[0].table.bands[0].rate\": \"-0.05\" is negative");
    s_refused (ONE ("{\"bands\": [{\"lo\": \"0\", \"rate\": 0.05}]}"),
               "field \"components[0].table.bands[0].rate\": expected a string, got a real number");
    s_refused (ONE ("{\"bands\": [{\"lo\": \"0\", \"rate\": \"0.05\", \"mode\": \"tiered\"}]}"),
               "field \"components[0].table.bands[0].mode\": unknown mode \"tiered\": use "
               "\"marginal\" or \"retroactive\"");
    s_refused (ONE ("{\"bands\": [{\"lo\": \"0\", \"rate\": \"0.05\"}], "
                    "\"gate\": {\"attainment\": \"1.2\"}}"),
               "field \"components[0].table.gate.attainment\": 1.2 is above 1 (100 %)");
    s_refused (ONE ("{\"bands\": [{\"lo\": \"0\", \"rate\": \"0.05\"}], "
                    "\"cap\": {\"payout\": \"-1.00\"}}"),
               "field \"components[0].table.cap.payout\": -1.00 is below 0");
    s_refused (ONE ("{\"bands\": [{\"lo\": \"0\", \"rate\": \"0.05\"}], \"cap\": {}}"),
               "field \"components[0].table.cap\": give \"payout\", \"attainment\" or both");
    s_refused (ONE ("{\"bands\": [{\"lo\": \"0\", \"hi\": \"10.001\", \"rate\": \"0.05\"}, "
                    "{\"lo\": \"10.001\", \"rate\": \"0.1\"}]}"),
               "field \"components[0].table.bands[0].hi\": invalid amount \"10.001\" in USD: too "
               "many decimals");
    s_refused (ONE ("{\"bands\": [{\"lo\": \"0\", \"rate\": \"0.05\"}], \"pays\": "
                    "\"target_incentive\"}"),
               "field \"components[0].table.pays\": the plan has no target_incentive to multiply");
    s_refused ("{" HEAD "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "
               "\"quota\": \"100\", \"weight\": 0.5, \"table\": {\"bands\": [{\"lo\": \"0\", "
               "\"rate\": \"0.1\"}]}}, {\"id\": \"revenue\", \"measure\": \"margin\", "
               "\"quota\": \"100\", \"weight\": 0.5, \"table\": {\"bands\": [{\"lo\": \"0\", "
               "\"rate\": \"0.1\"}]}}]}",
               "field \"components[1].id\": duplicate id \"revenue\": components[0] has it");
    s_refused ("{" HEAD "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "
               "\"quota\": \"100\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}],"
               " \"spiffs\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"from\": "
               "\"2025-01-01\", \"to\": \"2025-02-01\", \"pays\": \"fixed\", \"amount\": \"1\"}]}",
               "field \"spiffs[0].id\": duplicate id \"revenue\": components[0] has it");
    s_refused ("[]", "a plan must be a JSON object, got an array");
    s_refused ("{" HEAD "\"components\": [{\"id\": \"a\", \"measure\": \"revenue\", \"quota\": "
               "\"100\", \"weight\": 0.5, \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": "
               "\"0.1\"}]}}, {\"id\": \"b\", \"measure\": \"units\", \"quota\": \"3\", \"weight\": "
               "0.4, \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"5\"}]}}]}",
               "field \"components\": the weights sum to 0.9, they must sum to 1");
    s_refused ("{" HEAD "\"components\": [{\"id\": \"a\", \"measure\": \"revenue\", \"quota\": "
               "\"0\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}",
               "field \"components[0].quota\": must be above 0");
    s_refused ("{" HEAD "\"components\": [{\"id\": \"a\", \"measure\": \"visits\", \"quota\": "
               "\"1\"}]}",
               "field \"components[0].measure\": unknown measure \"visits\": use \"revenue\", "
               "\"margin\", \"new_logos\", \"units\" or \"events\"");
    s_refused ("{" HEAD "\"gate\": {\"attainment\": \"1.5\"}, \"components\": []}",
               "field \"gate.attainment\": 1.5 is above 1 (100 %)");
    s_refused ("{\"name\": \"p\", \"currency\": \"USD\", \"period\": \"week\"}",
               "field \"period\": unknown period \"week\": use \"month\", \"quarter\" or \"year\"");
    s_refused ("{\"name\": \"p\", \"currency\": \"USD\", \"rounding\": \"bankers\", "
               "\"period\": \"month\"}",
               "field \"rounding\": unknown rounding rule \"bankers\": use "
               "\"half-away-from-zero\"");
    s_refused ("{\"name\": \"p\", \"currency\": \"XXX\"}",
               "field \"currency\": unknown currency \"XXX\"");
    s_refused ("{" HEAD "\"colour\": 1}", "field \"colour\": unknown field");
    s_refused ("{\"name\": \"p\", \"currency\": \"USD\", \"period\": \"month\", \"assign\": "
               "{\"reps\": [{\"id\": \"r\"}, {\"id\": \"r\"}]}}",
               "field \"assign.reps[1].id\": duplicate rep: assign.reps[0] has it");
    s_refused ("{\"name\": \"p\", \"currency\": \"USD\", \"period\": \"month\", \"assign\": "
               "{\"role\": \"ae\", \"reps\": []}}",
               "field \"assign\": give exactly one of \"role\" and \"reps\"");
    s_refused ("{\"name\": \"p\", \"currency\": \"USD\", \"period\": \"month\", \"assign\": "
               "{\"reps\": [{\"id\": \"r\", \"from\": \"2025-02-30\"}]}}",
               "field \"assign.reps[0].from\": invalid date \"2025-02-30\": use YYYY-MM-DD");
    s_refused (TWO ("blended", "", "", "") "}", "field \"table\": required");
    s_refused (TWO ("blended", "", "", "") ", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": "
                                           "\"1\"}], \"pays\": \"target_incentive\"}}",
               "field \"table\": a blended table has \"basis\": \"attainment\" and \"pays\": "
               "\"target_incentive\"");
    s_refused ("{" HEAD "\"components\": [{\"id\": \"a\", \"measure\": \"revenue\", \"quota\": "
               "\"100\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}],"
               " \"spiffs\": [{\"id\": \"s\", \"measure\": \"revenue\", \"from\": "
               "\"2025-01-01\", \"to\": \"2025-02-01\", \"pays\": \"fixed\"}]}",
               "field \"spiffs[0].amount\": required");
    s_refused ("{" HEAD "\"components\": [{\"id\": \"a\", \"measure\": \"revenue\", \"quota\": "
               "\"100\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}],"
               " \"spiffs\": [{\"id\": \"s\", \"measure\": \"revenue\", \"from\": "
               "\"2025-01-01\", \"to\": \"2025-02-01\", \"pays\": \"rate\", \"tiers\": "
               "[{\"lo\": \"0\", \"hi\": \"100\", \"rate\": \"0.1\"}, {\"lo\": \"50\", "
               "\"rate\": \"0.2\"}]}]}",
               "field \"spiffs[0].tiers[1]\": tiers[0] [0.00, 100.00) and tiers[1] [50.00, ...) "
               "overlap on [50.00, 100.00)");
    s_refused ("{" HEAD "\"components\": [{\"id\": \"a\", \"measure\": \"revenue\", \"quota\": "
               "\"100\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}],"
               " \"spiffs\": [{\"id\": \"s\", \"measure\": \"revenue\", \"from\": "
               "\"2025-02-01\", \"to\": \"2025-02-01\", \"pays\": \"rate\", \"rate\": \"0.1\"}]}",
               "field \"spiffs[0].to\": must be after \"from\"");
}

/* A monthly plan naming rep-1 from 2025-01-01, with the terms given. */
#define TERMS(terms)                                                                               \
    "{\"name\": \"ae-draw\", \"currency\": \"USD\", \"period\": \"month\", "                       \
    "\"assign\": {\"reps\": [{\"id\": \"rep-1\", \"from\": \"2025-01-01\"}]}, " terms              \
    "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "                            \
    "\"quota\": \"100000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.1\"}]}}]}"

static void
test_terms (void **state)
{
    (void) state;
    /* Defaults: no draw; clawbacks reverse what was paid, attainment stays. */
    incentive_plan_t *plan = s_read (SIMPLE);
    incentive_draw_terms_t terms = { .amount = -1 };
    assert_false (incentive_plan_draw (plan, &terms));
    assert_int_equal (terms.amount, -1); /* untouched */
    assert_int_equal (incentive_plan_clawback_reverse (plan), INCENTIVE_PLAN_REVERSE_PAID);
    assert_false (incentive_plan_attainment_drops (plan));
    char *text = incentive_plan_to_json (plan);
    assert_non_null (strstr (text, "\"clawback\": {\n    \"reverse\": \"paid\",\n    "
                                   "\"attainment_drops\": false\n  }"));
    assert_null (strstr (text, "\"draw\""));
    free (text);
    incentive_plan_destroy (&plan);

    /* Everything given. */
    plan = s_read (TERMS ("\"draw\": {\"amount\": \"2000\", \"recoverable\": false, "
                          "\"periods\": 6, \"recovery_start\": 2}, \"clawback\": {\"reverse\": "
                          "\"recompute\", \"attainment_drops\": true}, "));
    assert_true (incentive_plan_draw (plan, &terms));
    assert_int_equal (terms.amount, USD (2000));
    assert_false (terms.recoverable);
    assert_int_equal (terms.periods, 6);
    assert_int_equal (terms.recovery_start, 2);
    assert_int_equal (incentive_plan_clawback_reverse (plan), INCENTIVE_PLAN_REVERSE_RECOMPUTE);
    assert_true (incentive_plan_attainment_drops (plan));
    text = incentive_plan_to_json (plan);
    assert_non_null (strstr (text,
                             "\"draw\": {\n    \"amount\": \"2000.00\",\n    "
                             "\"recoverable\": false,\n    \"periods\": 6,\n    "
                             "\"recovery_start\": 2\n  },\n  \"clawback\": {\n    "
                             "\"reverse\": \"recompute\",\n    \"attainment_drops\": true\n  }"));
    incentive_plan_t *again = s_read (text);
    char *second = incentive_plan_to_json (again);
    assert_string_equal (text, second);
    free (second);
    free (text);
    incentive_plan_destroy (&again);
    incentive_plan_destroy (&plan);

    /* Without periods the draw lasts while the plan applies; recovery
       from the first period. */
    plan = s_read (TERMS ("\"draw\": {\"amount\": \"2000.00\", \"recoverable\": true}, "));
    assert_true (incentive_plan_draw (plan, &terms));
    assert_int_equal (terms.periods, INCENTIVE_DRAW_OPEN_END);
    assert_int_equal (terms.recovery_start, 0);
    assert_true (terms.recoverable);
    text = incentive_plan_to_json (plan);
    assert_null (strstr (text, "\"periods\""));
    assert_non_null (strstr (text, "\"recovery_start\": 0"));
    free (text);
    incentive_plan_destroy (&plan);
}

static void
test_terms_refused (void **state)
{
    (void) state;
    s_refused (TERMS ("\"draw\": {\"amount\": \"0\", \"recoverable\": true}, "),
               "field \"draw.amount\": must be above 0");
    s_refused (TERMS ("\"draw\": {\"amount\": \"20.001\", \"recoverable\": true}, "),
               "field \"draw.amount\": invalid amount \"20.001\" in USD: too many decimals");
    s_refused (TERMS ("\"draw\": {\"amount\": 2000, \"recoverable\": true}, "),
               "field \"draw.amount\": expected a string, got an integer");
    s_refused (TERMS ("\"draw\": {\"amount\": \"2000.00\"}, "),
               "field \"draw.recoverable\": required: say whether advances are owed back (true or "
               "false)");
    s_refused (TERMS ("\"draw\": {\"amount\": \"2000.00\", \"recoverable\": \"yes\"}, "),
               "field \"draw.recoverable\": expected a boolean, got a string");
    s_refused (TERMS ("\"draw\": {\"amount\": \"2000.00\", \"recoverable\": true, "
                      "\"periods\": 0}, "),
               "field \"draw.periods\": 0 is not in 1..1000");
    s_refused (TERMS ("\"draw\": {\"amount\": \"2000.00\", \"recoverable\": true, "
                      "\"recovery_start\": -1}, "),
               "field \"draw.recovery_start\": -1 is not in 0..1000");
    s_refused (TERMS ("\"draw\": {\"amount\": \"2000.00\", \"recoverable\": true, "
                      "\"weekly\": true}, "),
               "field \"draw.weekly\": unknown field");
    s_refused (TERMS ("\"draw\": [], "), "field \"draw\": expected an object, got an array");
    s_refused ("{" HEAD "\"draw\": {\"amount\": \"2000.00\", \"recoverable\": true}, "
               "\"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "
               "\"quota\": \"100.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": "
               "\"0.1\"}]}}]}",
               "field \"draw\": a draw needs the reps named (\"assign.reps\", each with \"from\"), "
               "not a role");
    s_refused ("{\"name\": \"x\", \"currency\": \"USD\", \"period\": \"month\", "
               "\"assign\": {\"reps\": [{\"id\": \"rep-1\", \"from\": \"2025-01-01\"}, "
               "{\"id\": \"rep-2\"}]}, \"draw\": {\"amount\": \"1.00\", \"recoverable\": "
               "true}, \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", "
               "\"quota\": \"100.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": "
               "\"0.1\"}]}}]}",
               "field \"assign.reps[1].from\": required with a draw: the draw counts its periods "
               "from the rep's first day on the plan");
    s_refused (TERMS ("\"clawback\": {\"reverse\": \"all\"}, "),
               "field \"clawback.reverse\": unknown reversal \"all\": use \"paid\" or "
               "\"recompute\"");
    s_refused (TERMS ("\"clawback\": {\"attainment_drops\": 1}, "),
               "field \"clawback.attainment_drops\": expected a boolean, got an integer");
    s_refused (TERMS ("\"clawback\": {\"paid\": true}, "),
               "field \"clawback.paid\": unknown field");
    s_refused (TERMS ("\"trigger\": \"invoice\", "),
               "field \"trigger\": \"invoice\" is not supported yet: no event reports an invoice; "
               "use \"booking\" or \"payment\"");
}

/* "true_up": the window, its canonical form, refusals, and the window's
   earning: 10 % of revenue capped at 2,000.00 a month; a quarter of
   52,000.00 earns 5,200.00 (cap 3 × 2,000.00 = 6,000.00), 70,000.00
   earns 6,000.00; the year (cap 24,000.00) 70,000.00: 7,000.00. */
#define TRUE_UP(period, true_up, trigger)                                                          \
    "{\"name\": \"ae-tu\", \"currency\": \"USD\", \"period\": \"" period "\", "                    \
    "\"trigger\": \"" trigger "\", \"assign\": {\"reps\": [{\"id\": \"rep-1\"}]}, "                \
    "\"true_up\": " true_up ", \"components\": [{\"id\": \"revenue\", \"measure\": "               \
    "\"revenue\", \"quota\": \"20000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", "               \
    "\"rate\": \"0.1\"}], \"cap\": {\"payout\": \"2000.00\"}}}]}"

static void
test_true_up (void **state)
{
    (void) state;
    incentive_plan_t *plan = s_read (SIMPLE);
    incentive_plan_period_t window = INCENTIVE_PLAN_MONTH;
    assert_false (incentive_plan_true_up (plan, &window));
    assert_int_equal (window, INCENTIVE_PLAN_MONTH); /* untouched */
    char *text = incentive_plan_to_json (plan);
    assert_null (strstr (text, "true_up"));
    free (text);
    incentive_plan_destroy (&plan);

    plan = s_read (TRUE_UP ("month", "\"quarter\"", "booking"));
    assert_true (incentive_plan_true_up (plan, &window));
    assert_int_equal (window, INCENTIVE_PLAN_QUARTER);
    text = incentive_plan_to_json (plan);
    assert_non_null (
        strstr (text, "\"attainment_drops\": false\n  },\n  \"true_up\": \"quarter\","));
    incentive_plan_t *again = s_read (text);
    char *second = incentive_plan_to_json (again);
    assert_string_equal (text, second);
    free (second);
    free (text);
    incentive_plan_destroy (&again);
    int64_t totals[1] = { USD (52000) };
    incentive_plan_earning_t earning;
    assert_int_equal (incentive_plan_earn_window (plan, 3, totals, 91, 91, &earning), 0);
    assert_int_equal (earning.total, USD (5200));
    totals[0] = USD (70000);
    assert_int_equal (incentive_plan_earn_window (plan, 3, totals, 91, 91, &earning), 0);
    assert_int_equal (earning.total, USD (6000)); /* the quarter's cap */
    assert_int_equal (incentive_plan_earn_window (plan, 12, totals, 365, 365, &earning), 0);
    assert_int_equal (earning.total, USD (7000));
    /* half the quarter active: cap 3,000.00 */
    assert_int_equal (incentive_plan_earn_window (plan, 3, totals, 45, 90, &earning), 0);
    assert_int_equal (earning.total, USD (3000));
    /* a scaled quota beyond range: refused, *out untouched */
    earning.total = -7;
    assert_int_equal (incentive_plan_earn_window (plan, INT64_MAX / 2, totals, 1, 1, &earning), -1);
    assert_int_equal (earning.total, -7);
    incentive_plan_destroy (&plan);

    plan = s_read (TRUE_UP ("quarter", "\"year\"", "booking"));
    assert_true (incentive_plan_true_up (plan, &window));
    assert_int_equal (window, INCENTIVE_PLAN_YEAR);
    incentive_plan_destroy (&plan);

    s_refused (TRUE_UP ("month", "\"month\"", "booking"),
               "field \"true_up\": unknown true-up window \"month\": use \"quarter\" or \"year\"");
    s_refused (TRUE_UP ("month", "3", "booking"),
               "field \"true_up\": expected a string, got an integer");
    s_refused (TRUE_UP ("quarter", "\"quarter\"", "booking"),
               "field \"true_up\": \"quarter\" is not longer than the plan's period \"quarter\": "
               "a true-up settles a window of several periods");
    s_refused (TRUE_UP ("month", "\"year\"", "payment"),
               "field \"true_up\": a true-up settles what bookings earned: not with \"trigger\": "
               "\"payment\"");
}

/* A quarterly roll-up plan paying team:north and region:emea 1 % of
   their reps' revenue, with the rollup given. */
#define ROLLUP(rollup, measure)                                                                    \
    "{\"name\": \"mgr\", \"currency\": \"USD\", \"period\": \"quarter\", "                         \
    "\"assign\": {\"reps\": [{\"id\": \"team:north\"}, {\"id\": \"region:emea\"}]}, " rollup       \
    "\"components\": [{\"id\": \"team\", \"measure\": \"" measure "\", "                           \
    "\"quota\": \"100000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.01\"}]}}]}"

/* "rollup": levels and mode, their defaults, the canonical form. */
static void
test_rollup (void **state)
{
    (void) state;
    incentive_plan_t *plan = s_read (SIMPLE);
    incentive_plan_rollup_t rollup = { .levels = -1 };
    assert_false (incentive_plan_rollup (plan, &rollup));
    assert_int_equal (rollup.levels, -1); /* untouched */
    char *text = incentive_plan_to_json (plan);
    assert_null (strstr (text, "\"rollup\""));
    free (text);
    incentive_plan_destroy (&plan);

    plan = s_read (ROLLUP ("\"rollup\": {}, ", "revenue"));
    assert_true (incentive_plan_rollup (plan, &rollup));
    assert_true (incentive_plan_rollup (plan, NULL));
    assert_int_equal (rollup.levels, 1);
    assert_int_equal (rollup.mode, INCENTIVE_CREDIT_ROLLUP_SHARES);
    text = incentive_plan_to_json (plan);
    assert_non_null (strstr (text,
                             "\"region:emea\"\n      }\n    ]\n  },\n  \"rollup\": {\n    "
                             "\"levels\": 1,\n    \"mode\": \"shares\"\n  },\n  \"attainment\""));
    free (text);
    incentive_plan_destroy (&plan);

    plan = s_read (ROLLUP ("\"rollup\": {\"mode\": \"full\", \"levels\": 2}, ", "revenue"));
    assert_true (incentive_plan_rollup (plan, &rollup));
    assert_int_equal (rollup.levels, 2);
    assert_int_equal (rollup.mode, INCENTIVE_CREDIT_ROLLUP_FULL);
    text = incentive_plan_to_json (plan);
    incentive_plan_t *again = s_read (text);
    char *second = incentive_plan_to_json (again);
    assert_string_equal (text, second);
    assert_non_null (strstr (text, "\"levels\": 2,\n    \"mode\": \"full\""));
    free (second);
    free (text);
    incentive_plan_destroy (&again);
    incentive_plan_destroy (&plan);

    s_refused (ROLLUP ("\"rollup\": {\"levels\": 0}, ", "revenue"),
               "field \"rollup.levels\": 0 is not in 1..16");
    s_refused (ROLLUP ("\"rollup\": {\"levels\": 17}, ", "revenue"),
               "field \"rollup.levels\": 17 is not in 1..16");
    s_refused (ROLLUP ("\"rollup\": {\"mode\": \"half\"}, ", "revenue"),
               "field \"rollup.mode\": unknown roll-up mode \"half\": use \"shares\" or \"full\"");
    s_refused (ROLLUP ("\"rollup\": {\"depth\": 1}, ", "revenue"),
               "field \"rollup.depth\": unknown field");
    s_refused (ROLLUP ("\"rollup\": true, ", "revenue"),
               "field \"rollup\": expected an object, got a boolean");
    s_refused (ROLLUP ("\"rollup\": {\"mode\": \"full\"}, ", "margin"),
               "field \"rollup.mode\": \"full\" credits the whole deal, but only each rep's share "
               "of a deal's margin is kept: components[0] measures margin (use \"shares\")");
    s_refused ("{" HEAD "\"rollup\": {}, \"components\": [{\"id\": \"revenue\", \"measure\": "
               "\"revenue\", \"quota\": \"100.00\", \"table\": {\"bands\": [{\"lo\": \"0\", "
               "\"rate\": \"0.1\"}]}}]}",
               "field \"rollup\": a roll-up plan names the org nodes it pays in \"assign.reps\" "
               "(\"team:<id>\", \"region:<id>\" or \"company\"), not a role");
    s_refused (TERMS ("\"rollup\": {}, "),
               "field \"assign.reps[0].id\": \"rep-1\" is not an org node: a roll-up plan pays "
               "\"team:<id>\", \"region:<id>\" or \"company\"");
}

/* A quarterly overlay plan on the deals of rep-1 and rep-2, with the
   overlays given, paying 1 % of revenue (or measure). */
#define OVERLAY(overlays, measure)                                                                 \
    "{\"name\": \"spec\", \"currency\": \"USD\", \"period\": \"quarter\", "                        \
    "\"assign\": {\"reps\": [{\"id\": \"rep-1\"}, {\"id\": \"rep-2\"}]}, " overlays                \
    "\"components\": [{\"id\": \"overlay\", \"measure\": \"" measure "\", "                        \
    "\"quota\": \"100000.00\", \"table\": {\"bands\": [{\"lo\": \"0\", \"rate\": \"0.01\"}]}}]}"
#define SPEC_50 "\"overlays\": [{\"rep\": \"spec-1\", \"percent\": \"50\"}], "

/* "overlays": who is paid, the shares in basis points, the canonical
   form, and every refusal with its path. */
static void
test_overlays (void **state)
{
    (void) state;
    incentive_plan_t *plan = s_read (SIMPLE);
    assert_int_equal (incentive_plan_overlay_count (plan), 0);
    int32_t share = -1;
    assert_false (incentive_plan_overlay_share (plan, "spec-1", &share));
    assert_int_equal (share, -1); /* untouched */
    assert_true (incentive_plan_pays (plan, "anyone", "ae"));
    char *text = incentive_plan_to_json (plan);
    assert_null (strstr (text, "\"overlays\""));
    free (text);
    incentive_plan_destroy (&plan);

    plan = s_read (OVERLAY ("\"overlays\": [{\"rep\": \"spec-1\", \"percent\": \"50\"}, "
                            "{\"rep\": \"kicker\", \"percent\": \"0.01\"}, "
                            "{\"rep\": \"big\", \"percent\": \"1000\"}], ",
                            "revenue"));
    assert_int_equal (incentive_plan_overlay_count (plan), 3);
    assert_string_equal (incentive_plan_overlay (plan, 0)->rep, "spec-1");
    assert_int_equal (incentive_plan_overlay (plan, 0)->share_bp, 5000);
    assert_int_equal (incentive_plan_overlay (plan, 1)->share_bp, 1);
    assert_int_equal (incentive_plan_overlay (plan, 2)->share_bp, 100000);
    assert_true (incentive_plan_overlay_share (plan, "kicker", &share));
    assert_int_equal (share, 1);
    assert_true (incentive_plan_overlay_share (plan, "big", NULL));
    /* it pays the overlay reps, not the reps it names */
    assert_true (incentive_plan_pays (plan, "spec-1", NULL));
    assert_false (incentive_plan_pays (plan, "rep-1", NULL));
    assert_true (incentive_plan_assigned (plan, "rep-1", NULL));
    text = incentive_plan_to_json (plan);
    assert_non_null (strstr (text, "\"rep-2\"\n      }\n    ]\n  },\n  \"overlays\": [\n    {\n"
                                   "      \"rep\": \"spec-1\",\n      \"percent\": \"50.00\"\n"
                                   "    },\n    {\n      \"rep\": \"kicker\",\n      \"percent\": "
                                   "\"0.01\"\n    },\n    {\n      \"rep\": \"big\",\n      "
                                   "\"percent\": \"1000.00\"\n    }\n  ],\n  \"attainment\""));
    incentive_plan_t *again = s_read (text);
    char *second = incentive_plan_to_json (again);
    assert_string_equal (text, second);
    free (second);
    free (text);
    incentive_plan_destroy (&again);
    incentive_plan_destroy (&plan);

    s_refused (OVERLAY ("\"overlays\": [], ", "revenue"),
               "field \"overlays\": name 1 to 16 overlay reps, not 0");
    s_refused (OVERLAY ("\"overlays\": {}, ", "revenue"),
               "field \"overlays\": expected an array, got an object");
    s_refused (OVERLAY ("\"overlays\": [{\"rep\": \"spec-1\", \"percent\": \"50\", \"to\": 1}], ",
                        "revenue"),
               "field \"overlays[0].to\": unknown field");
    s_refused (OVERLAY ("\"overlays\": [{\"percent\": \"50\"}], ", "revenue"),
               "field \"overlays[0].rep\": required");
    s_refused (OVERLAY ("\"overlays\": [{\"rep\": \"spec-1\", \"percent\": \"50\"}, "
                        "{\"rep\": \"spec-1\", \"percent\": \"10\"}], ",
                        "revenue"),
               "field \"overlays[1].rep\": duplicate rep: overlays[0] has it");
    s_refused (OVERLAY ("\"overlays\": [{\"rep\": \"rep-2\", \"percent\": \"50\"}], ", "revenue"),
               "field \"overlays[0].rep\": \"rep-2\" is assign.reps[1]: the plan names the reps "
               "whose deals are overlaid, and an overlay rep is not paid on its own deals");
    s_refused (OVERLAY ("\"overlays\": [{\"rep\": \"spec-1\", \"percent\": 50}], ", "revenue"),
               "field \"overlays[0].percent\": expected a string, got an integer");
    s_refused (OVERLAY ("\"overlays\": [{\"rep\": \"spec-1\", \"percent\": \"0\"}], ", "revenue"),
               "field \"overlays[0].percent\": \"0\" is not in 0.01..1000");
    s_refused (
        OVERLAY ("\"overlays\": [{\"rep\": \"spec-1\", \"percent\": \"1000.01\"}], ", "revenue"),
        "field \"overlays[0].percent\": \"1000.01\" is not in 0.01..1000");
    s_refused (
        OVERLAY ("\"overlays\": [{\"rep\": \"spec-1\", \"percent\": \"12.345\"}], ", "revenue"),
        "field \"overlays[0].percent\": invalid percent \"12.345\": too many decimals");
    s_refused (OVERLAY (SPEC_50, "margin"),
               "field \"overlays\": an overlay is a share of the whole deal, but only each rep's "
               "share of a deal's margin is kept: components[0] measures margin");
    s_refused ("{" HEAD SPEC_50 "\"components\": [{\"id\": \"revenue\", \"measure\": "
               "\"revenue\", \"quota\": \"100.00\", \"table\": {\"bands\": [{\"lo\": \"0\", "
               "\"rate\": \"0.1\"}]}}]}",
               "field \"overlays\": an overlay plan names the reps whose deals it overlays in "
               "\"assign.reps\", not a role");
    s_refused (ROLLUP ("\"rollup\": {}, " SPEC_50, "revenue"),
               "field \"overlays\": a roll-up plan pays org nodes on their reps' deals: not with "
               "overlays");
    s_refused (TERMS ("\"draw\": {\"amount\": \"100.00\", \"recoverable\": true}, " SPEC_50),
               "field \"overlays\": an overlay plan pays its overlay reps, not the reps it names: "
               "not with a draw");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_kind),          cmocka_unit_test (test_canonical_stable),
        cmocka_unit_test (test_accessors),     cmocka_unit_test (test_earn_acceptance),
        cmocka_unit_test (test_multi_measure), cmocka_unit_test (test_spiffs),
        cmocka_unit_test (test_proration),     cmocka_unit_test (test_version_choose),
        cmocka_unit_test (test_refusals),      cmocka_unit_test (test_terms),
        cmocka_unit_test (test_terms_refused), cmocka_unit_test (test_rollup),
        cmocka_unit_test (test_true_up),       cmocka_unit_test (test_overlays),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
