/*  test_kpi_scorecard - reading, validating and writing scorecards, then
    scoring and ranking with them (kpi_scorecard).

    Every refusal is checked with its exact message and leaves the outputs
    untouched; every scorecard read here also goes through the canonical
    form and back.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kpi_scorecard.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define TEXT_SIZE 4096
#define FILL 0x5a /* pattern of an output before a call that must fail */
#define ERROR_FILL 'x'

/* Roles to build documents from. REST_OF_REP is the rep's KPIs after
   the first, revenue at 0.3: deals_won 0.2, win_rate 0.2, visits_per_day
   0.15, avg_visit_minutes 0.15. */
#define REST_OF_REP                                                                                \
    "{\"kpi\": \"deals_won\", \"weight\": 0.2}, {\"kpi\": \"win_rate\", \"weight\": 0.2}, "        \
    "{\"kpi\": \"visits_per_day\", \"weight\": 0.15}, "                                            \
    "{\"kpi\": \"avg_visit_minutes\", \"weight\": 0.15}"
#define REP_KPIS "{\"kpi\": \"revenue\", \"weight\": 0.3}, " REST_OF_REP
#define TEAM_KPIS                                                                                  \
    "{\"kpi\": \"revenue\", \"weight\": 0.4}, {\"kpi\": \"gross_margin\", \"weight\": 0.2}, "      \
    "{\"kpi\": \"win_rate\", \"weight\": 0.1}, {\"kpi\": \"new_customers\", \"weight\": 0.2}, "    \
    "{\"kpi\": \"csat\", \"weight\": 0.1}"
#define REGION_KPIS                                                                                \
    "{\"kpi\": \"revenue\", \"weight\": 0.35}, {\"kpi\": \"gross_margin\", \"weight\": 0.25}, "    \
    "{\"kpi\": \"nps\", \"weight\": 0.1}, {\"kpi\": \"new_customers\", \"weight\": 0.2}, "         \
    "{\"kpi\": \"payments_collected\", \"weight\": 0.1}"
#define COMPANY_KPIS                                                                               \
    "{\"kpi\": \"revenue\", \"weight\": 0.1}, {\"kpi\": \"gross_margin\", \"weight\": 0.1}, "      \
    "{\"kpi\": \"deals_won\", \"weight\": 0.1}, {\"kpi\": \"new_customers\", \"weight\": 0.1}, "   \
    "{\"kpi\": \"nps\", \"weight\": 0.1}, {\"kpi\": \"csat\", \"weight\": 0.1}, "                  \
    "{\"kpi\": \"touches\", \"weight\": 0.4}"
#define FOUR_KPIS                                                                                  \
    "{\"kpi\": \"revenue\", \"weight\": 0.4}, {\"kpi\": \"deals_won\", \"weight\": 0.2}, "         \
    "{\"kpi\": \"win_rate\", \"weight\": 0.2}, {\"kpi\": \"visits_per_day\", \"weight\": 0.2}"
#define EIGHT_KPIS                                                                                 \
    REP_KPIS ", {\"kpi\": \"nps\", \"weight\": 0}, {\"kpi\": \"csat\", \"weight\": 0}, "           \
             "{\"kpi\": \"touches\", \"weight\": 0}"

/* Documents: the rep's KPIs given, the other roles as above. */
#define ROLES(rep, company)                                                                        \
    "\"roles\": {\"rep\": {\"kpis\": [" rep "]}, \"team\": {\"kpis\": [" TEAM_KPIS "]}, "          \
    "\"region\": {\"kpis\": [" REGION_KPIS "]}" company "}"
#define DOCUMENT(extra) "{\"name\": \"default\", " extra ROLES (REP_KPIS, "") "}"
#define WITH_REP(rep) "{\"name\": \"default\", " ROLES (rep, "") "}"
#define WITH_COMPANY(extra, company)                                                               \
    "{\"name\": \"default\", " extra ROLES (REP_KPIS,                                              \
                                            ", \"company\": {\"kpis\": [" company "]}") "}"

/* The example of docs/scorecards.md, every field given. */
#define FULL_JSON                                                                                  \
    DOCUMENT ("\"cap\": 1.5, "                                                                     \
              "\"pace\": {\"early_percent\": 20, \"exceeded\": 1.1, \"behind\": 0.9}, "            \
              "\"stage_probabilities\": {\"Quote\": 0.6, \"Prospecting\": 0.1, "                   \
              "\"Engaging\": 0.3}, ")

static kpi_scorecard_t *
s_read (const char *text)
{
    char error[KPI_SCORECARD_ERROR_SIZE] = "";
    kpi_scorecard_t *scorecard = kpi_scorecard_new (text, strlen (text), error, sizeof error);
    if (!scorecard)
        print_error ("unexpected error: %s\n", error);
    assert_non_null (scorecard);
    return scorecard;
}

/* Writes scorecard out, reads it back and writes it again: the same text. */
static void
s_assert_round_trip (const kpi_scorecard_t *scorecard)
{
    char *text = kpi_scorecard_to_json (scorecard);
    assert_non_null (text);
    kpi_scorecard_t *back = s_read (text);
    char *again = kpi_scorecard_to_json (back);
    assert_non_null (again);
    assert_string_equal (text, again);
    free (again);
    free (text);
    kpi_scorecard_destroy (&back);
}

/* The canonical text of a document read from text. */
static char *
s_canonical (const char *text)
{
    kpi_scorecard_t *scorecard = s_read (text);
    char *canonical = kpi_scorecard_to_json (scorecard);
    assert_non_null (canonical);
    kpi_scorecard_destroy (&scorecard);
    return canonical;
}

// ---------------------------------------------------------------- reading

/* Every field given: accessors see them all. */
static void
test_full_document (void **state)
{
    (void) state;
    kpi_scorecard_t *scorecard = s_read (FULL_JSON);
    assert_string_equal (kpi_scorecard_name (scorecard), "default");
    assert_int_equal (kpi_scorecard_cap_bp (scorecard), 15000);
    assert_int_equal (kpi_scorecard_kpi_count (scorecard, "rep"), 5);
    assert_int_equal (kpi_scorecard_kpi_count (scorecard, "team"), 5);
    assert_int_equal (kpi_scorecard_kpi_count (scorecard, "region"), 5);
    assert_int_equal (kpi_scorecard_kpi_count (scorecard, "company"), 0);
    assert_int_equal (kpi_scorecard_kpi_count (scorecard, "manager"), 0);
    const char *names[] = { "revenue", "deals_won", "win_rate", "visits_per_day",
                            "avg_visit_minutes" };
    const uint32_t weights[] = { 3000, 2000, 2000, 1500, 1500 };
    for (size_t index = 0; index < COUNT (names); index++) {
        const kpi_scorecard_kpi_t *kpi = kpi_scorecard_kpi (scorecard, "rep", index);
        assert_string_equal (kpi->definition->name, names[index]);
        assert_ptr_equal (kpi->definition, kpi_catalog_find (names[index]));
        assert_int_equal (kpi->weight_bp, weights[index]);
    }
    assert_string_equal (kpi_scorecard_kpi (scorecard, "region", 4)->definition->name,
                         "payments_collected");
    kpi_pace_thresholds_t thresholds;
    kpi_scorecard_pace_thresholds (scorecard, &thresholds);
    assert_int_equal (thresholds.early_percent, 20);
    assert_int_equal (thresholds.exceeded_bp, 11000);
    assert_int_equal (thresholds.behind_bp, 9000);
    uint32_t probability = 77;
    assert_true (kpi_scorecard_stage_probability (scorecard, "Quote", &probability));
    assert_int_equal (probability, 6000);
    assert_true (kpi_scorecard_stage_probability (scorecard, "Prospecting", &probability));
    assert_int_equal (probability, 1000);
    assert_true (kpi_scorecard_stage_probability (scorecard, "Engaging", &probability));
    assert_int_equal (probability, 3000);
    probability = 77;
    assert_false (kpi_scorecard_stage_probability (scorecard, "quote", &probability));
    assert_false (kpi_scorecard_stage_probability (scorecard, "Won", &probability));
    assert_false (kpi_scorecard_stage_probability (scorecard, "", &probability));
    assert_int_equal (probability, 77);
    s_assert_round_trip (scorecard);
    kpi_scorecard_destroy (&scorecard);
    kpi_scorecard_destroy (&scorecard); /* sets NULL: a second call is a no-op */
}

/* Absent fields take their defaults; company is optional; 7 KPIs. */
static void
test_defaults_and_company (void **state)
{
    (void) state;
    kpi_scorecard_t *scorecard = s_read (DOCUMENT (""));
    assert_int_equal (kpi_scorecard_cap_bp (scorecard), KPI_SCORECARD_DEFAULT_CAP_BP);
    kpi_pace_thresholds_t thresholds;
    kpi_pace_thresholds_t defaults;
    kpi_scorecard_pace_thresholds (scorecard, &thresholds);
    kpi_pace_thresholds_default (&defaults);
    assert_memory_equal (&thresholds, &defaults, sizeof thresholds);
    uint32_t probability;
    assert_false (kpi_scorecard_stage_probability (scorecard, "Quote", &probability));
    kpi_scorecard_destroy (&scorecard);

    scorecard = s_read (WITH_COMPANY ("\"cap\": 2, \"pace\": {\"behind\": 0.75}, ", COMPANY_KPIS));
    assert_int_equal (kpi_scorecard_cap_bp (scorecard), 20000);
    assert_int_equal (kpi_scorecard_kpi_count (scorecard, "company"), 7);
    assert_int_equal (kpi_scorecard_kpi (scorecard, "company", 6)->weight_bp, 4000);
    kpi_scorecard_pace_thresholds (scorecard, &thresholds);
    assert_int_equal (thresholds.early_percent, 20);
    assert_int_equal (thresholds.exceeded_bp, 11000);
    assert_int_equal (thresholds.behind_bp, 7500);
    s_assert_round_trip (scorecard);
    kpi_scorecard_destroy (&scorecard);

    /* The smallest weights print back exactly. */
    scorecard = s_read (WITH_REP (
        "{\"kpi\": \"revenue\", \"weight\": 0.0001}, {\"kpi\": \"deals_won\", \"weight\": 0.0001}, "
        "{\"kpi\": \"win_rate\", \"weight\": 0.0001}, "
        "{\"kpi\": \"visits_per_day\", \"weight\": 0.0001}, "
        "{\"kpi\": \"avg_visit_minutes\", \"weight\": 0.9996}"));
    assert_int_equal (kpi_scorecard_kpi (scorecard, "rep", 0)->weight_bp, 1);
    assert_int_equal (kpi_scorecard_kpi (scorecard, "rep", 4)->weight_bp, 9996);
    char *text = kpi_scorecard_to_json (scorecard);
    assert_non_null (strstr (text, "\"weight\": 0.0001\n"));
    assert_non_null (strstr (text, "\"weight\": 0.9996\n"));
    free (text);
    s_assert_round_trip (scorecard);
    kpi_scorecard_destroy (&scorecard);

    /* The edges of cap and pace. */
    scorecard = s_read (DOCUMENT ("\"cap\": 10, \"pace\": {\"early_percent\": 0, \"exceeded\": "
                                  "1, \"behind\": 0}, "));
    assert_int_equal (kpi_scorecard_cap_bp (scorecard), 100000);
    kpi_scorecard_pace_thresholds (scorecard, &thresholds);
    assert_int_equal (thresholds.early_percent, 0);
    assert_int_equal (thresholds.exceeded_bp, 10000);
    assert_int_equal (thresholds.behind_bp, 0);
    s_assert_round_trip (scorecard);
    kpi_scorecard_destroy (&scorecard);
    scorecard = s_read (DOCUMENT ("\"cap\": 1.0001, \"pace\": {\"exceeded\": 9.9999}, "));
    assert_int_equal (kpi_scorecard_cap_bp (scorecard), 10001);
    kpi_scorecard_pace_thresholds (scorecard, &thresholds);
    assert_int_equal (thresholds.exceeded_bp, 99999);
    s_assert_round_trip (scorecard);
    kpi_scorecard_destroy (&scorecard);
}

/* The canonical form: exact text, defaults written, stages sorted. */
static void
test_canonical_text (void **state)
{
    (void) state;
    char *text = s_canonical (FULL_JSON);
    char expected[TEXT_SIZE];
    const char *role_rep = "    \"rep\": {\n"
                           "      \"kpis\": [\n"
                           "        {\n"
                           "          \"kpi\": \"revenue\",\n"
                           "          \"weight\": 0.3\n"
                           "        },\n"
                           "        {\n"
                           "          \"kpi\": \"deals_won\",\n"
                           "          \"weight\": 0.2\n"
                           "        },\n"
                           "        {\n"
                           "          \"kpi\": \"win_rate\",\n"
                           "          \"weight\": 0.2\n"
                           "        },\n"
                           "        {\n"
                           "          \"kpi\": \"visits_per_day\",\n"
                           "          \"weight\": 0.15\n"
                           "        },\n"
                           "        {\n"
                           "          \"kpi\": \"avg_visit_minutes\",\n"
                           "          \"weight\": 0.15\n"
                           "        }\n"
                           "      ]\n"
                           "    },\n";
    snprintf (expected, sizeof expected,
              "{\n"
              "  \"name\": \"default\",\n"
              "  \"cap\": 1.5,\n"
              "  \"roles\": {\n"
              "%s",
              role_rep);
    assert_memory_equal (text, expected, strlen (expected));
    const char *tail = "  \"pace\": {\n"
                       "    \"early_percent\": 20,\n"
                       "    \"exceeded\": 1.1,\n"
                       "    \"behind\": 0.9\n"
                       "  },\n"
                       "  \"stage_probabilities\": {\n"
                       "    \"Engaging\": 0.3,\n"
                       "    \"Prospecting\": 0.1,\n"
                       "    \"Quote\": 0.6\n"
                       "  }\n"
                       "}";
    size_t length = strlen (text);
    assert_true (length > strlen (tail));
    assert_string_equal (text + length - strlen (tail), tail);
    /* team, then region, between the two. */
    const char *team = strstr (text, "    \"team\": {");
    const char *region = strstr (text, "    \"region\": {");
    assert_non_null (team);
    assert_non_null (region);
    assert_true (team < region);
    assert_null (strstr (text, "company"));

    /* Defaults are written out: the short form reads to the same text
       once the example's fields equal to the defaults are dropped. */
    char *shorter = s_canonical (DOCUMENT (
        "\"stage_probabilities\": {\"Engaging\": 0.3, \"Prospecting\": 0.1, \"Quote\": 0.6}, "));
    assert_string_equal (shorter, text);
    free (shorter);
    free (text);
}

/* Spacing, key order in every object and the order of stages change
   nothing; the order of KPIs in a list is kept (it is the display order). */
static void
test_canonical_stable (void **state)
{
    (void) state;
    char *text = s_canonical (FULL_JSON);
    char *reordered = s_canonical (
        "{ \"stage_probabilities\" : { \"Engaging\":0.30, \"Quote\":6e-1, \"Prospecting\":0.1 },"
        "\"pace\":{\"behind\":0.90,\"exceeded\":1.10,\"early_percent\":20},"
        "\"roles\":{\"region\":{\"kpis\":[" REGION_KPIS "]},\"team\":{\"kpis\":[" TEAM_KPIS "]},"
        "\"rep\":{\"kpis\":[{\"weight\":0.3,\"kpi\":\"revenue\"},"
        "{\"weight\":0.2,\"kpi\":\"deals_won\"},{\"weight\":0.2,\"kpi\":\"win_rate\"},"
        "{\"weight\":0.15,\"kpi\":\"visits_per_day\"},"
        "{\"weight\":0.15,\"kpi\":\"avg_visit_minutes\"}]}},"
        "\"cap\":1.50,\"name\":\"default\"}");
    assert_string_equal (reordered, text);
    free (reordered);
    char *swapped = s_canonical (WITH_REP (
        "{\"kpi\": \"deals_won\", \"weight\": 0.2}, {\"kpi\": \"revenue\", \"weight\": 0.3}, "
        "{\"kpi\": \"win_rate\", \"weight\": 0.2}, "
        "{\"kpi\": \"visits_per_day\", \"weight\": 0.15}, "
        "{\"kpi\": \"avg_visit_minutes\", \"weight\": 0.15}"));
    char *plain = s_canonical (DOCUMENT (""));
    assert_string_not_equal (swapped, plain);
    free (plain);
    free (swapped);
    free (text);
}

/* The kind, and its check: name and canonical text, or the reason. */
static void
test_kind_and_check (void **state)
{
    (void) state;
    assert_string_equal (kpi_scorecard_kind.kind, "scorecard");
    assert_string_equal (kpi_scorecard_kind.service, "kpi-evaluator");
    assert_int_equal (kpi_scorecard_kind.change, SP_REFDATA_FORWARD);
    assert_false (kpi_scorecard_kind.effective_dated);
    assert_ptr_equal (kpi_scorecard_kind.check, kpi_scorecard_check);
    assert_true (sp_refdata_kind_valid (kpi_scorecard_kind.kind));

    char name[SP_REFDATA_NAME_SIZE] = "";
    char *canonical = NULL;
    char error[KPI_SCORECARD_ERROR_SIZE] = "";
    assert_int_equal (kpi_scorecard_check (FULL_JSON, strlen (FULL_JSON), name, sizeof name,
                                           &canonical, error, sizeof error),
                      0);
    assert_string_equal (name, "default");
    char *expected = s_canonical (FULL_JSON);
    assert_string_equal (canonical, expected);
    free (expected);
    free (canonical);

    /* Refused: name and canonical untouched, the reason in error. */
    const char *bad = "{\"name\": \"x\"}";
    char *untouched = (char *) bad; /* any recognisable pointer */
    canonical = untouched;
    snprintf (name, sizeof name, "before");
    assert_int_equal (
        kpi_scorecard_check (bad, strlen (bad), name, sizeof name, &canonical, error, sizeof error),
        -1);
    assert_ptr_equal (canonical, untouched);
    assert_string_equal (name, "before");
    assert_string_equal (error, "field \"roles\": required");
}

// ---------------------------------------------------------------- errors

typedef struct {
    const char *text;    /* the scorecard */
    const char *message; /* the exact error */
} error_case_t;

#define LONG_STAGE "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 65 */

static const error_case_t s_errors[] = {
    { "{", "invalid JSON at line 1 column 1: string or '}' expected near end of file" },
    { "[]", "a scorecard must be a JSON object, got an array" },
    { DOCUMENT ("\"colour\": 1, "), "field \"colour\": unknown field" },
    { "{" ROLES (REP_KPIS, "") "}", "field \"name\": required" },
    { "{\"name\": \"a\", \"name\": \"b\"}",
      "invalid JSON at line 1 column 20: duplicate object key near '\"name\"'" },
    /* Weights. */
    { WITH_REP ("{\"kpi\": \"revenue\", \"weight\": 0.25}, " REST_OF_REP),
      "field \"roles.rep.kpis\": the weights of \"rep\" sum to 0.95, they must sum to 1" },
    { WITH_REP ("{\"kpi\": \"revenue\", \"weight\": 0.3501}, " REST_OF_REP),
      "field \"roles.rep.kpis\": the weights of \"rep\" sum to 1.0501, they must sum to 1" },
    { WITH_REP ("{\"kpi\": \"revenue\", \"weight\": 0}, " REST_OF_REP),
      "field \"roles.rep.kpis[0].weight\": must be more than 0" },
    { WITH_REP ("{\"kpi\": \"revenue\", \"weight\": 0.30001}, " REST_OF_REP),
      "field \"roles.rep.kpis[0].weight\": 0.30001 has more than 4 decimals" },
    { WITH_REP ("{\"kpi\": \"revenue\", \"weight\": 1.5}, " REST_OF_REP),
      "field \"roles.rep.kpis[0].weight\": 1.5 is not in 0..1" },
    { WITH_REP ("{\"kpi\": \"revenue\", \"weight\": \"0.3\"}, " REST_OF_REP),
      "field \"roles.rep.kpis[0].weight\": expected a number from 0 to 1 such as 0.25, got a "
      "string" },
    { WITH_REP ("{\"kpi\": \"revenue\"}, " REST_OF_REP),
      "field \"roles.rep.kpis[0].weight\": required" },
    /* How many KPIs, which ones. */
    { WITH_REP ("{\"kpi\": \"revenue\", \"weight\": 1}"),
      "field \"roles.rep.kpis\": a role has 5 to 7 KPIs, not 1" },
    { WITH_REP (FOUR_KPIS), "field \"roles.rep.kpis\": a role has 5 to 7 KPIs, not 4" },
    { WITH_REP (EIGHT_KPIS), "field \"roles.rep.kpis\": a role has 5 to 7 KPIs, not 8" },
    { WITH_REP (""), "field \"roles.rep.kpis\": a role has 5 to 7 KPIs, not 0" },
    { WITH_REP ("{\"kpi\": \"happiness\", \"weight\": 0.3}, " REST_OF_REP),
      "field \"roles.rep.kpis[0].kpi\": unknown KPI \"happiness\"" },
    { WITH_REP ("{\"kpi\": \"deals_won\", \"weight\": 0.3}, " REST_OF_REP),
      "field \"roles.rep.kpis[1].kpi\": \"deals_won\" is already in roles.rep.kpis[0]" },
    { WITH_REP ("{\"kpi\": \"Revenue\", \"weight\": 0.3}, " REST_OF_REP),
      "field \"roles.rep.kpis[0].kpi\": invalid name \"Revenue\": use 1 to 31 characters of "
      "a-z, 0-9, \"_\" and \"-\"" },
    { WITH_REP ("{\"weight\": 0.3}, " REST_OF_REP), "field \"roles.rep.kpis[0].kpi\": required" },
    { WITH_REP ("\"revenue\", " REST_OF_REP),
      "field \"roles.rep.kpis[0]\": expected an object, got a string" },
    { WITH_REP ("{\"kpi\": \"revenue\", \"weight\": 0.3, \"target\": 5}, " REST_OF_REP),
      "field \"roles.rep.kpis[0].target\": unknown field" },
    /* Roles. */
    { "{\"name\": \"default\", \"roles\": {\"rep\": {\"kpis\": [" REP_KPIS "]}}}",
      "field \"roles.team\": required" },
    { "{\"name\": \"default\", \"roles\": {\"rep\": {\"kpis\": [" REP_KPIS "]}, \"manager\": 1}}",
      "field \"roles.manager\": unknown field" },
    { "{\"name\": \"default\", \"roles\": []}",
      "field \"roles\": expected an object, got an array" },
    { "{\"name\": \"default\", \"roles\": {\"rep\": []}}",
      "field \"roles.rep\": expected an object, got an array" },
    { "{\"name\": \"default\", \"roles\": {\"rep\": {\"kpis\": {}}}}",
      "field \"roles.rep.kpis\": expected an array, got an object" },
    { "{\"name\": \"default\", \"roles\": {\"rep\": {}}}", "field \"roles.rep.kpis\": required" },
    { "{\"name\": \"default\", \"roles\": {\"rep\": {\"kpis\": [" REP_KPIS "], \"colour\": 1}}}",
      "field \"roles.rep.colour\": unknown field" },
    { WITH_COMPANY ("", FOUR_KPIS), "field \"roles.company.kpis\": a role has 5 to 7 KPIs, not 4" },
    { WITH_COMPANY ("", COMPANY_KPIS ", {\"kpi\": \"calls\", \"weight\": 0.1}"),
      "field \"roles.company.kpis\": a role has 5 to 7 KPIs, not 8" },
    /* Cap. */
    { DOCUMENT ("\"cap\": 0.9, "), "field \"cap\": 0.9 is not in 1..10" },
    { DOCUMENT ("\"cap\": 0, "), "field \"cap\": 0 is not in 1..10" },
    { DOCUMENT ("\"cap\": 11, "), "field \"cap\": 11 is not in 1..10" },
    { DOCUMENT ("\"cap\": 10.5, "), "field \"cap\": 10.5 is not in 1..10" },
    { DOCUMENT ("\"cap\": -1, "), "field \"cap\": -1 is not in 1..10" },
    { DOCUMENT ("\"cap\": 1.23456, "), "field \"cap\": 1.23456 has more than 4 decimals" },
    { DOCUMENT ("\"cap\": \"1.5\", "),
      "field \"cap\": expected a number from 1 to 10 such as 1.5, got a string" },
    { DOCUMENT ("\"cap\": null, "),
      "field \"cap\": expected a number from 1 to 10 such as 1.5, got null" },
    /* Pace. */
    { DOCUMENT ("\"pace\": 20, "), "field \"pace\": expected an object, got an integer" },
    { DOCUMENT ("\"pace\": {\"early\": 20}, "), "field \"pace.early\": unknown field" },
    { DOCUMENT ("\"pace\": {\"early_percent\": 101}, "),
      "field \"pace.early_percent\": 101 is not in 0..100" },
    { DOCUMENT ("\"pace\": {\"early_percent\": 0.2}, "),
      "field \"pace.early_percent\": expected an integer, got a real number" },
    { DOCUMENT ("\"pace\": {\"exceeded\": 0.9}, "),
      "field \"pace.exceeded\": 0.9 is not in 1..10" },
    { DOCUMENT ("\"pace\": {\"behind\": 1.1}, "), "field \"pace.behind\": 1.1 is not in 0..1" },
    /* Stage probabilities. */
    { DOCUMENT ("\"stage_probabilities\": [], "),
      "field \"stage_probabilities\": expected an object, got an array" },
    { DOCUMENT ("\"stage_probabilities\": {\"Quote\": 1.2}, "),
      "field \"stage_probabilities.Quote\": 1.2 is not in 0..1" },
    { DOCUMENT ("\"stage_probabilities\": {\"Quote\": true}, "),
      "field \"stage_probabilities.Quote\": expected a number from 0 to 1 such as 0.25, got a "
      "boolean" },
    { DOCUMENT ("\"stage_probabilities\": {\"\": 0.5}, "),
      "field \"stage_probabilities\": a stage name must not be empty" },
    { DOCUMENT ("\"stage_probabilities\": {\"" LONG_STAGE "\": 0.5}, "),
      "field \"stage_probabilities." LONG_STAGE "\": stage name longer than 64 bytes" },
};

/* Every refusal, exactly; the error buffer fully rewritten. */
static void
test_errors (void **state)
{
    (void) state;
    for (size_t index = 0; index < COUNT (s_errors); index++) {
        char error[KPI_SCORECARD_ERROR_SIZE];
        memset (error, ERROR_FILL, sizeof error);
        const char *text = s_errors[index].text;
        kpi_scorecard_t *scorecard = kpi_scorecard_new (text, strlen (text), error, sizeof error);
        if (scorecard || strcmp (error, s_errors[index].message) != 0)
            print_error ("case %zu: %s\n", index, scorecard ? "(read)" : error);
        assert_null (scorecard);
        assert_string_equal (error, s_errors[index].message);
    }
}

/* Too many stages. */
static void
test_too_many_stages (void **state)
{
    (void) state;
    char stages[TEXT_SIZE];
    size_t used = (size_t) snprintf (stages, sizeof stages, "\"stage_probabilities\": {");
    for (int stage = 0; stage <= KPI_SCORECARD_STAGES_MAX; stage++) {
        used += (size_t) snprintf (stages + used, sizeof stages - used, "%s\"s%02d\": 0.5",
                                   stage ? ", " : "", stage);
        assert_true (used < sizeof stages);
    }
    char text[TEXT_SIZE * 2];
    snprintf (text, sizeof text, "{\"name\": \"default\", %s}, %s}", stages, ROLES (REP_KPIS, ""));
    char error[KPI_SCORECARD_ERROR_SIZE] = "";
    assert_null (kpi_scorecard_new (text, strlen (text), error, sizeof error));
    assert_string_equal (error, "field \"stage_probabilities\": 33 stages, at most 32 are allowed");
}

// ---------------------------------------------------------------- scoring

/* The five rep KPIs of REP_KPIS with targets and attainments. */
static void
s_rep_inputs (kpi_scorecard_input_t *inputs)
{
    const char *names[] = { "revenue", "deals_won", "win_rate", "visits_per_day",
                            "avg_visit_minutes" };
    const int64_t attainments[] = { 12000, 8000, 10000, 20000, 9000 };
    for (size_t index = 0; index < COUNT (names); index++)
        inputs[index] = (kpi_scorecard_input_t){ names[index], true, attainments[index] };
}

/* Every KPI counted: 0.3 × 1.2 + 0.2 × 0.8 + 0.2 × 1 + 0.15 × min (2, 1.5)
   + 0.15 × 0.9 = 1.08, with the parts that make it. */
static void
test_score_with_cap (void **state)
{
    (void) state;
    kpi_scorecard_t *scorecard = s_read (FULL_JSON);
    kpi_scorecard_input_t inputs[5];
    s_rep_inputs (inputs);
    kpi_scorecard_result_t result;
    assert_int_equal (kpi_scorecard_score (scorecard, "rep", inputs, 5, &result), 0);
    assert_true (result.has_score);
    assert_int_equal (result.score_bp, 10800);
    assert_int_equal (result.weight_bp, 10000);
    assert_int_equal (result.part_count, 5);
    const int64_t attainments[] = { 12000, 8000, 10000, 15000, 9000 };
    const int64_t contributions[] = { 3600, 1600, 2000, 2250, 1350 };
    int64_t sum = 0;
    for (size_t index = 0; index < 5; index++) {
        assert_string_equal (result.parts[index].kpi, inputs[index].kpi);
        assert_true (result.parts[index].counted);
        assert_int_equal (result.parts[index].attainment_bp, attainments[index]);
        assert_int_equal (result.parts[index].contribution_bp, contributions[index]);
        sum += result.parts[index].contribution_bp;
    }
    assert_int_equal (sum, result.score_bp);

    /* Inputs in any order give the same result. */
    kpi_scorecard_input_t reversed[5];
    for (size_t index = 0; index < 5; index++)
        reversed[index] = inputs[4 - index];
    kpi_scorecard_result_t again;
    assert_int_equal (kpi_scorecard_score (scorecard, "rep", reversed, 5, &again), 0);
    assert_memory_equal (&again, &result, sizeof result);
    kpi_scorecard_destroy (&scorecard);

    /* A cap of 1.1 takes 1.2 and 2 down to 1.1: 0.3 × 1.1 + 0.2 × 0.8 + 0.2
       + 0.15 × 1.1 + 0.15 × 0.9 = 0.99. */
    scorecard = s_read (DOCUMENT ("\"cap\": 1.1, "));
    assert_int_equal (kpi_scorecard_score (scorecard, "rep", inputs, 5, &result), 0);
    assert_int_equal (result.score_bp, 9900);
    assert_int_equal (result.parts[0].attainment_bp, 11000);
    assert_int_equal (result.parts[3].attainment_bp, 11000);
    /* Below 0 counts as 0. */
    inputs[1].attainment_bp = -4000;
    assert_int_equal (kpi_scorecard_score (scorecard, "rep", inputs, 5, &result), 0);
    assert_int_equal (result.parts[1].attainment_bp, 0);
    assert_int_equal (result.parts[1].contribution_bp, 0);
    assert_int_equal (result.score_bp, 8300);
    kpi_scorecard_destroy (&scorecard);
}

/* KPIs without a target (flagged, or without an input) are left out of
   both sums: (0.3 × 1.2 + 0.2 × 0.8 + 0.15 × 1.5) ÷ 0.65 = 1.14615. */
static void
test_score_without_targets (void **state)
{
    (void) state;
    kpi_scorecard_t *scorecard = s_read (FULL_JSON);
    kpi_scorecard_input_t inputs[5];
    s_rep_inputs (inputs);
    inputs[2].has_target = false;
    inputs[2].attainment_bp = 99999; /* ignored */
    kpi_scorecard_result_t result;
    assert_int_equal (kpi_scorecard_score (scorecard, "rep", inputs, 4, &result), 0);
    assert_true (result.has_score);
    assert_int_equal (result.weight_bp, 6500);
    assert_int_equal (result.score_bp, 11462);
    assert_int_equal (result.part_count, 5);
    assert_false (result.parts[2].counted);
    assert_int_equal (result.parts[2].weight_bp, 2000);
    assert_int_equal (result.parts[2].contribution_bp, 0);
    assert_false (result.parts[4].counted);
    assert_string_equal (result.parts[4].kpi, "avg_visit_minutes");
    assert_int_equal (result.parts[0].contribution_bp, 5538);
    assert_int_equal (result.parts[1].contribution_bp, 2462);
    assert_int_equal (result.parts[3].contribution_bp, 3462);

    /* None with a target: no score. */
    for (size_t index = 0; index < 5; index++)
        inputs[index].has_target = false;
    assert_int_equal (kpi_scorecard_score (scorecard, "rep", inputs, 5, &result), 0);
    assert_false (result.has_score);
    assert_int_equal (result.weight_bp, 0);
    assert_int_equal (kpi_scorecard_score (scorecard, "team", NULL, 0, &result), 0);
    assert_false (result.has_score);
    assert_int_equal (result.part_count, 5);
    assert_string_equal (result.parts[1].kpi, "gross_margin");
    kpi_scorecard_destroy (&scorecard);
}

/* A lower-is-better KPI weighs target ÷ actual: average visit minutes
   treated as lower is better, 30 against a target of 40 is 1.3333. */
static void
test_score_lower_is_better (void **state)
{
    (void) state;
    kpi_scorecard_t *scorecard = s_read (FULL_JSON);
    kpi_scorecard_input_t inputs[5];
    s_rep_inputs (inputs);
    int64_t attainment = 0;
    assert_int_equal (kpi_pace_attainment (3000, 4000, true, &attainment), 0);
    assert_int_equal (attainment, 13333);
    inputs[4].attainment_bp = attainment;
    kpi_scorecard_result_t result;
    assert_int_equal (kpi_scorecard_score (scorecard, "rep", inputs, 5, &result), 0);
    assert_int_equal (result.parts[4].attainment_bp, 13333);
    assert_int_equal (result.parts[4].contribution_bp, 2000); /* 0.15 × 1.3333 */
    assert_int_equal (result.score_bp, 11450);                /* 1.08 − 0.135 + 0.2 */
    /* Higher is better would have weighed 0.75 instead. */
    assert_int_equal (kpi_pace_attainment (3000, 4000, false, &attainment), 0);
    inputs[4].attainment_bp = attainment;
    assert_int_equal (kpi_scorecard_score (scorecard, "rep", inputs, 5, &result), 0);
    assert_int_equal (result.score_bp, 10575);
    /* Doing 5 times better than the target is capped like any other. */
    assert_int_equal (kpi_pace_attainment (800, 4000, true, &attainment), 0);
    inputs[4].attainment_bp = attainment;
    assert_int_equal (kpi_scorecard_score (scorecard, "rep", inputs, 5, &result), 0);
    assert_int_equal (result.parts[4].attainment_bp, 15000);
    kpi_scorecard_destroy (&scorecard);
}

/* Refused: the output untouched. */
static void
test_score_refused (void **state)
{
    (void) state;
    kpi_scorecard_t *scorecard = s_read (FULL_JSON);
    kpi_scorecard_input_t inputs[6];
    s_rep_inputs (inputs);
    kpi_scorecard_result_t result;
    kpi_scorecard_result_t before;
    memset (&result, FILL, sizeof result);
    memset (&before, FILL, sizeof before);
    assert_int_equal (kpi_scorecard_score (scorecard, "manager", inputs, 5, &result), -1);
    assert_int_equal (kpi_scorecard_score (scorecard, "company", inputs, 5, &result), -1);
    inputs[5] = (kpi_scorecard_input_t){ "nps", true, 10000 }; /* not a rep KPI */
    assert_int_equal (kpi_scorecard_score (scorecard, "rep", inputs, 6, &result), -1);
    inputs[5] = (kpi_scorecard_input_t){ "revenue", false, 0 }; /* twice */
    assert_int_equal (kpi_scorecard_score (scorecard, "rep", inputs, 6, &result), -1);
    assert_memory_equal (&result, &before, sizeof result);
    kpi_scorecard_destroy (&scorecard);
}

// ---------------------------------------------------------------- ranking

/* Highest first, ties share a rank (1, 1, 3, 3, 5), ids break ties, no
   score last with rank 0. */
static void
test_rank (void **state)
{
    (void) state;
    kpi_scorecard_member_t members[] = {
        { "carol", true, 9000, 99 },  { "dave", false, 0, 99 },    { "erin", true, 11000, 99 },
        { "alice", true, 9000, 99 },  { "frank", true, 8000, 99 }, { "bob", true, 11000, 99 },
        { "gina", false, 12000, 99 },
    };
    kpi_scorecard_rank (members, COUNT (members));
    const char *ids[] = { "bob", "erin", "alice", "carol", "frank", "dave", "gina" };
    const size_t ranks[] = { 1, 1, 3, 3, 5, 0, 0 };
    for (size_t index = 0; index < COUNT (members); index++) {
        assert_string_equal (members[index].id, ids[index]);
        assert_int_equal (members[index].rank, ranks[index]);
    }

    /* 1, 2, 2, 4 as documented; one member; none. */
    kpi_scorecard_member_t four[] = {
        { "d", true, 100, 0 }, { "c", true, 200, 0 }, { "b", true, 200, 0 }, { "a", true, 300, 0 }
    };
    kpi_scorecard_rank (four, COUNT (four));
    const size_t four_ranks[] = { 1, 2, 2, 4 };
    const char *four_ids[] = { "a", "b", "c", "d" };
    for (size_t index = 0; index < COUNT (four); index++) {
        assert_string_equal (four[index].id, four_ids[index]);
        assert_int_equal (four[index].rank, four_ranks[index]);
    }
    kpi_scorecard_member_t one = { "solo", true, -5, 0 };
    kpi_scorecard_rank (&one, 1);
    assert_int_equal (one.rank, 1);
    kpi_scorecard_rank (NULL, 0);
}

static void
test_role_names (void **state)
{
    (void) state;
    const char *names[] = { "rep", "team", "region", "company" };
    for (size_t index = 0; index < COUNT (names); index++) {
        kpi_scorecard_role_t role = (kpi_scorecard_role_t) 99;
        assert_string_equal (kpi_scorecard_role_name ((kpi_scorecard_role_t) index), names[index]);
        assert_int_equal (kpi_scorecard_role_parse (names[index], &role), 0);
        assert_int_equal (role, index);
    }
    kpi_scorecard_role_t role = KPI_SCORECARD_TEAM;
    assert_int_equal (kpi_scorecard_role_parse ("Rep", &role), -1);
    assert_int_equal (kpi_scorecard_role_parse ("", &role), -1);
    assert_int_equal (role, KPI_SCORECARD_TEAM);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_full_document),
        cmocka_unit_test (test_defaults_and_company),
        cmocka_unit_test (test_canonical_text),
        cmocka_unit_test (test_canonical_stable),
        cmocka_unit_test (test_kind_and_check),
        cmocka_unit_test (test_errors),
        cmocka_unit_test (test_too_many_stages),
        cmocka_unit_test (test_score_with_cap),
        cmocka_unit_test (test_score_without_targets),
        cmocka_unit_test (test_score_lower_is_better),
        cmocka_unit_test (test_score_refused),
        cmocka_unit_test (test_rank),
        cmocka_unit_test (test_role_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
