/*  test_funnel_definition - reading, validating, matching and writing
    funnel definitions (funnel_definition).

    The default funnel shipped in deploy/funnels/default.json (the example
    of docs/funnels.md) must read; it is found through SP_SOURCE_DIR (set
    by tests/run-tests.sh), else the working directory. Every validation
    error is checked with its exact message, and every definition read here
    also goes through the canonical form and back.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "funnel_definition.h"
#include "sp_event.h"

#define T(name) SALESPULSE__EVENT_TYPE__EVENT_TYPE_##name
#define O(name) FUNNEL_DEFINITION_OUTCOME_##name
#define DEFAULT_PATH "deploy/funnels/default.json"
#define PATH_SIZE 4096
#define FILE_SIZE_MAX 65536
#define TEXT_SIZE 4096
#define ERROR_FILL 'x' /* pattern of an error buffer before a call */
#define BIT(step) (UINT32_C (1) << ((step) -1))
#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))

/* A definition's head and a valid first step, to build cases from. */
#define HEAD "{\"name\": \"f\", \"steps\": ["
#define LEAD "{\"name\": \"lead\", \"event\": \"lead_created\", \"probability\": 0.1}"
#define SEQ_HEAD "{\"name\": \"f\", \"mode\": \"sequence\", \"steps\": ["
#define SEQ_LEAD "{\"name\": \"lead\", \"event\": \"lead_created\"}"

/* A sequence funnel with stage steps, as in docs/funnels.md. */
#define SEQUENCE_JSON                                                                              \
    "{\"name\": \"stage-path\", \"entity\": \"customer_id\", \"window_days\": 30,"                 \
    " \"mode\": \"sequence\", \"strict_order\": false, \"strict_deduplication\": true,"            \
    " \"strict_increase\": true, \"steps\": ["                                                     \
    "{\"name\": \"lead\", \"event\": \"lead_created\"},"                                           \
    "{\"name\": \"any_stage\", \"event\": \"stage_changed\"},"                                     \
    "{\"name\": \"negotiation\", \"event\": \"stage_changed\", \"stage\": \"negotiation\","        \
    " \"target\": {\"conversion\": 0.1, \"from\": \"previous\", \"min_sample\": 5}},"              \
    "{\"name\": \"signed\", \"event\": \"stage_changed\", \"stage\": \"signed\"},"                 \
    "{\"name\": \"won\", \"event\": \"deal_won\","                                                 \
    " \"target\": {\"conversion\": 0.0001, \"min_sample\": 1}}]}"

static funnel_definition_t *
s_read (const char *text)
{
    char error[FUNNEL_DEFINITION_ERROR_SIZE] = "";
    funnel_definition_t *definition =
        funnel_definition_new (text, strlen (text), error, sizeof error);
    if (!definition)
        print_error ("unexpected error: %s\n", error);
    assert_non_null (definition);
    return definition;
}

/* Writes definition out and reads it back: equal, and the same text. */
static void
s_assert_round_trip (const funnel_definition_t *definition)
{
    char *text = funnel_definition_to_json (definition);
    assert_non_null (text);
    funnel_definition_t *back = s_read (text);
    assert_true (funnel_definition_equal (definition, back));
    char *again = funnel_definition_to_json (back);
    assert_non_null (again);
    assert_string_equal (text, again);
    free (again);
    free (text);
    funnel_definition_destroy (&back);
}

static funnel_definition_t *
s_read_default (void)
{
    const char *root = getenv ("SP_SOURCE_DIR");
    char path[PATH_SIZE];
    snprintf (path, sizeof path, "%s/%s", root && *root ? root : ".", DEFAULT_PATH);
    FILE *file = fopen (path, "r");
    if (!file)
        print_error ("cannot open %s\n", path);
    assert_non_null (file);
    char *text = malloc (FILE_SIZE_MAX);
    assert_non_null (text);
    size_t length = fread (text, 1, FILE_SIZE_MAX, file);
    assert_true (length > 0 && length < FILE_SIZE_MAX);
    fclose (file);
    char error[FUNNEL_DEFINITION_ERROR_SIZE] = "";
    funnel_definition_t *definition = funnel_definition_new (text, length, error, sizeof error);
    if (!definition)
        print_error ("%s: %s\n", path, error);
    assert_non_null (definition);
    free (text);
    return definition;
}

static void
s_assert_step (const funnel_definition_t *definition, size_t index, const char *name,
               Salespulse__EventType event, funnel_definition_outcome_t outcome,
               uint32_t probability_bp)
{
    const funnel_definition_step_t *step = funnel_definition_step (definition, index);
    assert_string_equal (step->name, name);
    assert_int_equal (step->event, event);
    assert_string_equal (step->stage, "");
    assert_int_equal (step->outcome, outcome);
    assert_int_equal (step->probability_bp, probability_bp);
}

// ---------------------------------------------------------------- reading

/* The shipped default: lead, first visit, demo, quote, won; lost ends it. */
static void
test_default_file (void **state)
{
    (void) state;
    funnel_definition_t *definition = s_read_default ();
    assert_string_equal (funnel_definition_name (definition), "default");
    assert_int_equal (funnel_definition_entity (definition), FUNNEL_DEFINITION_ENTITY_OPPORTUNITY);
    assert_int_equal (funnel_definition_window_days (definition), 90);
    assert_int_equal (funnel_definition_mode (definition), FUNNEL_STEPS_MODE_PIPELINE);
    assert_int_equal (funnel_definition_step_count (definition), 6);
    s_assert_step (definition, 0, "lead", T (LEAD_CREATED), O (NONE), 500);
    s_assert_step (definition, 1, "first_visit", T (VISIT_COMPLETED), O (NONE), 1000);
    s_assert_step (definition, 2, "demo", T (DEMO), O (NONE), 2500);
    s_assert_step (definition, 3, "quote", T (QUOTE_SENT), O (NONE), 5000);
    s_assert_step (definition, 4, "won", T (DEAL_WON), O (WON), 10000);
    s_assert_step (definition, 5, "lost", T (DEAL_LOST), O (LOST), 0);
    for (size_t index = 0; index < 6; index++)
        assert_int_equal (funnel_definition_step (definition, index)->target.set, index == 4);
    const funnel_definition_target_t *target = &funnel_definition_step (definition, 4)->target;
    assert_int_equal (target->conversion_bp, 2500);
    assert_int_equal (target->from, 0);
    assert_int_equal (target->min_sample, 20);
    s_assert_round_trip (definition);
    funnel_definition_destroy (&definition);
    funnel_definition_destroy (&definition); /* sets NULL: a second call is a no-op */
}

/* Absent fields take their defaults. */
static void
test_defaults (void **state)
{
    (void) state;
    funnel_definition_t *definition = s_read (HEAD LEAD "]}");
    assert_int_equal (funnel_definition_entity (definition), FUNNEL_DEFINITION_ENTITY_OPPORTUNITY);
    assert_int_equal (funnel_definition_window_days (definition), 90);
    assert_int_equal (funnel_definition_mode (definition), FUNNEL_STEPS_MODE_PIPELINE);
    assert_int_equal (funnel_definition_step_count (definition), 1);
    assert_false (funnel_definition_step (definition, 0)->target.set);
    funnel_steps_settings_t settings;
    funnel_definition_steps_settings (definition, &settings);
    assert_int_equal (settings.window_ms, FUNNEL_STEPS_DEFAULT_WINDOW_MS);
    assert_false (settings.strict_order || settings.strict_deduplication ||
                  settings.strict_increase);
    assert_int_equal (settings.won_mask | settings.lost_mask, 0);
    funnel_definition_destroy (&definition);
}

/* Fractions: integers 0 and 1, up to four decimals, exactly. */
static void
test_fractions (void **state)
{
    (void) state;
    const char *values[] = { "0", "1", "0.0001", "0.9999", "1e-4", "0.5", "1.0", "0.1234", "0.1" };
    const uint32_t expected[] = { 0, 10000, 1, 9999, 1, 5000, 10000, 1234, 1000 };
    for (size_t index = 0; index < COUNT (values); index++) {
        char text[TEXT_SIZE];
        snprintf (text, sizeof text,
                  HEAD "{\"name\": \"a\", \"event\": \"call\", \"probability\": %s}]}",
                  values[index]);
        funnel_definition_t *definition = s_read (text);
        assert_int_equal (funnel_definition_step (definition, 0)->probability_bp, expected[index]);
        s_assert_round_trip (definition);
        funnel_definition_destroy (&definition);
    }
}

/* The sequence example: strict options, stages, "previous" and "first". */
static void
test_sequence_definition (void **state)
{
    (void) state;
    funnel_definition_t *definition = s_read (SEQUENCE_JSON);
    assert_int_equal (funnel_definition_entity (definition), FUNNEL_DEFINITION_ENTITY_CUSTOMER);
    assert_int_equal (funnel_definition_step_count (definition), 5);
    const funnel_definition_step_t *negotiation = funnel_definition_step (definition, 2);
    assert_string_equal (negotiation->stage, "negotiation");
    assert_int_equal (negotiation->probability_bp, 0);
    assert_int_equal (negotiation->target.from, 1); /* "previous" */
    assert_int_equal (negotiation->target.conversion_bp, 1000);
    assert_int_equal (negotiation->target.min_sample, 5);
    const funnel_definition_step_t *won = funnel_definition_step (definition, 4);
    assert_int_equal (won->outcome, O (NONE));
    assert_int_equal (won->target.from, 0); /* "first" by default */
    assert_int_equal (won->target.conversion_bp, 1);

    funnel_steps_settings_t settings;
    funnel_definition_steps_settings (definition, &settings);
    assert_int_equal (settings.mode, FUNNEL_STEPS_MODE_SEQUENCE);
    assert_int_equal (settings.step_count, 5);
    assert_int_equal (settings.window_ms, INT64_C (30) * 86400000);
    assert_false (settings.strict_order);
    assert_true (settings.strict_deduplication);
    assert_true (settings.strict_increase);
    assert_int_equal (settings.won_mask | settings.lost_mask, 0);
    s_assert_round_trip (definition);
    funnel_definition_destroy (&definition);
}

/* The default's settings drive funnel_steps: won and lost are terminal. */
static void
test_default_steps_settings (void **state)
{
    (void) state;
    funnel_definition_t *definition = s_read_default ();
    funnel_steps_settings_t settings;
    funnel_definition_steps_settings (definition, &settings);
    assert_int_equal (settings.mode, FUNNEL_STEPS_MODE_PIPELINE);
    assert_int_equal (settings.step_count, 6);
    assert_int_equal (settings.window_ms, FUNNEL_STEPS_DEFAULT_WINDOW_MS);
    assert_int_equal (settings.won_mask, BIT (5));
    assert_int_equal (settings.lost_mask, BIT (6));
    char error[FUNNEL_DEFINITION_ERROR_SIZE] = "";
    funnel_steps_t *steps = funnel_steps_new (&settings, error, sizeof error);
    assert_non_null (steps);
    /* lead, then demo (passing first_visit), then deal_lost. */
    const funnel_steps_hit_t hits[] = { { 1000, BIT (1), 1 },
                                        { 2000, BIT (3), 2 },
                                        { 3000, BIT (6), 3 } };
    funnel_steps_result_t result;
    assert_int_equal (funnel_steps_evaluate (steps, hits, COUNT (hits), &result), 0);
    assert_int_equal (result.level, 3);
    assert_int_equal (result.outcome, FUNNEL_STEPS_OUTCOME_LOST);
    funnel_steps_destroy (&steps);
    funnel_definition_destroy (&definition);
}

/* The canonical form is exact: defaults written, documented key order;
   then the spellings it did not show. */
static void
test_canonical_text (void **state)
{
    (void) state;
    funnel_definition_t *definition = s_read (
        "{\"steps\": [{\"probability\": 0.25, \"event\": \"demo\", \"name\": \"d\"},"
        " {\"target\": {\"min_sample\": 3, \"from\": \"previous\", \"conversion\": 1},"
        " \"outcome\": \"won\", \"probability\": 1, \"event\": \"deal_won\", \"name\": \"w\"}],"
        " \"name\": \"small\"}");
    char *text = funnel_definition_to_json (definition);
    assert_non_null (text);
    assert_string_equal (text, "{\n"
                               "  \"name\": \"small\",\n"
                               "  \"entity\": \"opportunity_id\",\n"
                               "  \"window_days\": 90,\n"
                               "  \"mode\": \"pipeline\",\n"
                               "  \"steps\": [\n"
                               "    {\n"
                               "      \"name\": \"d\",\n"
                               "      \"event\": \"demo\",\n"
                               "      \"probability\": 0.25\n"
                               "    },\n"
                               "    {\n"
                               "      \"name\": \"w\",\n"
                               "      \"event\": \"deal_won\",\n"
                               "      \"outcome\": \"won\",\n"
                               "      \"probability\": 1.0,\n"
                               "      \"target\": {\n"
                               "        \"conversion\": 1.0,\n"
                               "        \"from\": \"d\",\n"
                               "        \"min_sample\": 3\n"
                               "      }\n"
                               "    }\n"
                               "  ]\n"
                               "}");
    free (text);
    funnel_definition_destroy (&definition);
    const char *entity = funnel_definition_entity_name (FUNNEL_DEFINITION_ENTITY_CUSTOMER);
    assert_string_equal (entity, "customer_id");
    assert_string_equal (funnel_definition_mode_name (FUNNEL_STEPS_MODE_SEQUENCE), "sequence");
    assert_string_equal (funnel_definition_outcome_name (FUNNEL_DEFINITION_OUTCOME_LOST), "lost");
    assert_string_equal (funnel_definition_outcome_name (FUNNEL_DEFINITION_OUTCOME_NONE), "");
}

/* Definitions that differ in any one field are not equal. */
static void
test_equal (void **state)
{
    (void) state;
    const char *variants[] = {
        SEQUENCE_JSON,
        HEAD LEAD "]}",
        "{\"name\": \"g\", \"steps\": [" LEAD "]}",
        HEAD "{\"name\": \"lead\", \"event\": \"lead_created\", \"probability\": 0.2}]}",
        "{\"name\": \"f\", \"window_days\": 89, \"steps\": [" LEAD "]}",
        "{\"name\": \"f\", \"entity\": \"customer_id\", \"steps\": [" LEAD "]}",
        SEQ_HEAD SEQ_LEAD "]}",
        "{\"name\": \"f\", \"mode\": \"sequence\", \"strict_order\": true, \"steps\": [" SEQ_LEAD
        "]}",
        HEAD LEAD ", {\"name\": \"demo\", \"event\": \"demo\", \"probability\": 0.5}]}",
        HEAD LEAD ", {\"name\": \"demo\", \"event\": \"demo\", \"probability\": 0.5,"
                  " \"target\": {\"conversion\": 0.5, \"min_sample\": 9}}]}",
        HEAD LEAD ", {\"name\": \"demo\", \"event\": \"demo\", \"probability\": 0.5,"
                  " \"target\": {\"conversion\": 0.5, \"min_sample\": 8}}]}",
    };
    for (size_t left = 0; left < COUNT (variants); left++) {
        funnel_definition_t *one = s_read (variants[left]);
        for (size_t right = 0; right < COUNT (variants); right++) {
            funnel_definition_t *other = s_read (variants[right]);
            assert_int_equal (funnel_definition_equal (one, other), left == right);
            funnel_definition_destroy (&other);
        }
        s_assert_round_trip (one);
        funnel_definition_destroy (&one);
    }
}

// ---------------------------------------------------------------- errors

typedef struct {
    const char *text;    /* the definition */
    const char *message; /* the exact error */
} error_case_t;

#define STEP_WON                                                                                   \
    "{\"name\": \"won\", \"event\": \"deal_won\", \"outcome\": \"won\", \"probability\": 1"
#define STEP_LOST                                                                                  \
    "{\"name\": \"lost\", \"event\": \"deal_lost\", \"outcome\": \"lost\", \"probability\": 0"
#define DEMO_TARGET(target)                                                                        \
    HEAD LEAD                                                                                      \
        ", {\"name\": \"demo\", \"event\": \"demo\", \"probability\": 0.5, \"target\": " target    \
        "}]}"
#define NAME_64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const error_case_t s_errors[] = {
    { "{", "invalid JSON at line 1 column 1: string or '}' expected near end of file" },
    { "{\"name\": \"f\", \"name\": \"g\", \"steps\": [" LEAD "]}",
      "invalid JSON at line 1 column 20: duplicate object key near '\"name\"'" },
    { "[]", "a funnel definition must be a JSON object, got an array" },
    { "{\"name\": \"f\", \"colour\": 1, \"steps\": [" LEAD "]}",
      "field \"colour\": unknown field" },
    { "{\"steps\": [" LEAD "]}", "field \"name\": required" },
    { "{\"name\": 5, \"steps\": [" LEAD "]}", "field \"name\": expected a string, got an integer" },
    { "{\"name\": \"Big\", \"steps\": [" LEAD "]}",
      "field \"name\": invalid name \"Big\": use 1 to 63 characters of a-z, 0-9, \"_\" and \"-\"" },
    { "{\"name\": \"\", \"steps\": [" LEAD "]}",
      "field \"name\": invalid name \"\": use 1 to 63 characters of a-z, 0-9, \"_\" and \"-\"" },
    { "{\"name\": \"" NAME_64 "\", \"steps\": [" LEAD "]}",
      "field \"name\": invalid name \"" NAME_64
      "\": use 1 to 63 characters of a-z, 0-9, \"_\" and \"-\"" },
    { "{\"name\": \"f\", \"entity\": \"rep_id\", \"steps\": [" LEAD "]}",
      "field \"entity\": unknown entity \"rep_id\": use \"opportunity_id\" or \"customer_id\"" },
    { "{\"name\": \"f\", \"window_days\": 0, \"steps\": [" LEAD "]}",
      "field \"window_days\": 0 is not in 1..3650" },
    { "{\"name\": \"f\", \"window_days\": 3651, \"steps\": [" LEAD "]}",
      "field \"window_days\": 3651 is not in 1..3650" },
    { "{\"name\": \"f\", \"window_days\": 1.5, \"steps\": [" LEAD "]}",
      "field \"window_days\": expected an integer, got a real number" },
    { "{\"name\": \"f\", \"mode\": \"funnel\", \"steps\": [" LEAD "]}",
      "field \"mode\": unknown mode \"funnel\": use \"pipeline\" or \"sequence\"" },
    { "{\"name\": \"f\", \"strict_order\": true, \"steps\": [" LEAD "]}",
      "field \"strict_order\": applies only to \"sequence\" mode" },
    { "{\"name\": \"f\", \"mode\": \"pipeline\", \"strict_increase\": false, \"steps\": [" LEAD
      "]}",
      "field \"strict_increase\": applies only to \"sequence\" mode" },
    { "{\"name\": \"f\", \"mode\": \"sequence\", \"strict_deduplication\": \"yes\", \"steps\": "
      "[" SEQ_LEAD "]}",
      "field \"strict_deduplication\": expected a boolean, got a string" },
    { "{\"name\": \"f\"}", "field \"steps\": required" },
    { "{\"name\": \"f\", \"steps\": {}}", "field \"steps\": expected an array, got an object" },
    { HEAD "]}", "field \"steps\": at least one step is required" },
    { HEAD "\"lead\"]}", "field \"steps[0]\": expected an object, got a string" },
    { HEAD "{\"name\": \"lead\", \"event\": \"lead_created\", \"probability\": 0.1, \"stag\": 1}]}",
      "field \"steps[0].stag\": unknown field" },
    { HEAD "{\"event\": \"lead_created\", \"probability\": 0.1}]}",
      "field \"steps[0].name\": required" },
    { HEAD LEAD ", " LEAD "]}",
      "field \"steps[1].name\": \"lead\" is already the name of steps[0]" },
    { HEAD "{\"name\": \"first\", \"event\": \"call\", \"probability\": 0}]}",
      "field \"steps[0].name\": \"first\" is reserved for \"target.from\"" },
    { HEAD "{\"name\": \"previous\", \"event\": \"call\", \"probability\": 0}]}",
      "field \"steps[0].name\": \"previous\" is reserved for \"target.from\"" },
    { HEAD "{\"name\": \"a\", \"probability\": 0}]}", "field \"steps[0].event\": required" },
    { HEAD "{\"name\": \"a\", \"event\": \"meeting\", \"probability\": 0}]}",
      "field \"steps[0].event\": unknown event type \"meeting\"" },
    { HEAD "{\"name\": \"a\", \"event\": \"demo\", \"stage\": \"demo\", \"probability\": 0}]}",
      "field \"steps[0].stage\": only a \"stage_changed\" step can have a stage" },
    { HEAD "{\"name\": \"a\", \"event\": \"stage_changed\", \"stage\": \"\", \"probability\": 0}]}",
      "field \"steps[0].stage\": must not be empty" },
    { HEAD "{\"name\": \"a\", \"event\": \"stage_changed\", \"stage\": \"" NAME_64
           "b\", \"probability\": 0}]}",
      "field \"steps[0].stage\": longer than 64 bytes" },
    { HEAD "{\"name\": \"a\", \"event\": \"stage_changed\", \"stage\": 7, \"probability\": 0}]}",
      "field \"steps[0].stage\": expected a string, got an integer" },
    { SEQ_HEAD SEQ_LEAD ", {\"name\": \"won\", \"event\": \"deal_won\", \"outcome\": \"won\"}]}",
      "field \"steps[1].outcome\": applies only to \"pipeline\" mode" },
    { HEAD LEAD ", {\"name\": \"won\", \"event\": \"deal_won\", \"outcome\": \"draw\","
                " \"probability\": 1}]}",
      "field \"steps[1].outcome\": unknown outcome \"draw\": use \"won\" or \"lost\"" },
    { HEAD LEAD ", " STEP_WON
                "}, {\"name\": \"demo\", \"event\": \"demo\", \"probability\": 0.5}]}",
      "field \"steps[2]\": a step without an outcome cannot follow a \"won\" step" },
    { HEAD STEP_WON "}]}", "field \"steps\": at least one step must have no outcome" },
    { HEAD "{\"name\": \"a\", \"event\": \"call\"}]}",
      "field \"steps[0].probability\": required in \"pipeline\" mode" },
    { SEQ_HEAD "{\"name\": \"a\", \"event\": \"call\", \"probability\": 0.5}]}",
      "field \"steps[0].probability\": applies only to \"pipeline\" mode" },
    { HEAD "{\"name\": \"a\", \"event\": \"call\", \"probability\": 1.5}]}",
      "field \"steps[0].probability\": 1.5 is not in 0..1" },
    { HEAD "{\"name\": \"a\", \"event\": \"call\", \"probability\": -0.1}]}",
      "field \"steps[0].probability\": -0.1 is not in 0..1" },
    { HEAD "{\"name\": \"a\", \"event\": \"call\", \"probability\": 2}]}",
      "field \"steps[0].probability\": 2 is not in 0..1" },
    { HEAD "{\"name\": \"a\", \"event\": \"call\", \"probability\": \"25%\"}]}",
      "field \"steps[0].probability\": expected a number from 0 to 1 such as 0.25, got a string" },
    { HEAD "{\"name\": \"a\", \"event\": \"call\", \"probability\": 0.12345}]}",
      "field \"steps[0].probability\": 0.12345 has more than 4 decimals" },
    { HEAD LEAD ", {\"name\": \"won\", \"event\": \"deal_won\", \"outcome\": \"won\","
                " \"probability\": 0.9}]}",
      "field \"steps[1].probability\": a \"won\" step has probability 1" },
    { HEAD LEAD ", " STEP_WON "}, {\"name\": \"lost\", \"event\": \"deal_lost\", \"outcome\":"
                " \"lost\", \"probability\": 0.5}]}",
      "field \"steps[2].probability\": a \"lost\" step has probability 0" },
    { HEAD "{\"name\": \"a\", \"event\": \"call\", \"probability\": 0,"
           " \"target\": {\"conversion\": 0.5, \"min_sample\": 1}}]}",
      "field \"steps[0].target\": the first step cannot have a target" },
    { HEAD LEAD ", " STEP_LOST ", \"target\": {\"conversion\": 0.5, \"min_sample\": 1}}]}",
      "field \"steps[1].target\": a \"lost\" step cannot have a target" },
    { DEMO_TARGET ("\"x\""), "field \"steps[1].target\": expected an object, got a string" },
    { DEMO_TARGET ("{\"conversion\": 0.5, \"to\": \"lead\", \"min_sample\": 1}"),
      "field \"steps[1].target.to\": unknown field" },
    { DEMO_TARGET ("{\"min_sample\": 1}"), "field \"steps[1].target.conversion\": required" },
    { DEMO_TARGET ("{\"conversion\": 1.01, \"min_sample\": 1}"),
      "field \"steps[1].target.conversion\": 1.01 is not in 0..1" },
    { DEMO_TARGET ("{\"conversion\": 0.5, \"from\": \"demo\", \"min_sample\": 1}"),
      "field \"steps[1].target.from\": no earlier step is named \"demo\"" },
    { DEMO_TARGET ("{\"conversion\": 0.5, \"from\": 0, \"min_sample\": 1}"),
      "field \"steps[1].target.from\": expected a string, got an integer" },
    { HEAD LEAD ", " STEP_WON
                "}, {\"name\": \"won2\", \"event\": \"deal_won\", \"outcome\": \"won\","
                " \"probability\": 1, \"target\": {\"conversion\": 0.5, \"from\": \"previous\","
                " \"min_sample\": 1}}]}",
      "field \"steps[2].target.from\": conversion cannot be measured from a \"won\" step" },
    { DEMO_TARGET ("{\"conversion\": 0.5}"), "field \"steps[1].target.min_sample\": required" },
    { DEMO_TARGET ("{\"conversion\": 0.5, \"min_sample\": 0}"),
      "field \"steps[1].target.min_sample\": 0 is not in 1..1000000000" },
    { DEMO_TARGET ("{\"conversion\": 0.5, \"min_sample\": 2.5}"),
      "field \"steps[1].target.min_sample\": expected an integer, got a real number" },
};

/* Refuses text with exactly message; a NULL error buffer is allowed. */
static void
s_assert_refused (const char *text, const char *message)
{
    char error[FUNNEL_DEFINITION_ERROR_SIZE];
    memset (error, ERROR_FILL, sizeof error);
    funnel_definition_t *definition =
        funnel_definition_new (text, strlen (text), error, sizeof error);
    if (definition || strcmp (error, message) != 0)
        print_error ("definition: %s\nexpected: %s\n", text, message);
    assert_null (definition);
    assert_string_equal (error, message);
    assert_null (funnel_definition_new (text, strlen (text), NULL, 0));
}

static void
test_errors (void **state)
{
    (void) state;
    for (size_t index = 0; index < COUNT (s_errors); index++)
        s_assert_refused (s_errors[index].text, s_errors[index].message);
}

/* More than FUNNEL_STEPS_MAX steps, and a message cut to a small buffer. */
static void
test_too_many_steps_and_short_buffer (void **state)
{
    (void) state;
    char text[TEXT_SIZE] = HEAD;
    for (size_t index = 0; index <= FUNNEL_STEPS_MAX; index++) {
        size_t used = strlen (text);
        snprintf (text + used, sizeof text - used,
                  "%s{\"name\": \"s%zu\", \"event\": \"call\", \"probability\": 0}",
                  index ? ", " : "", index);
    }
    snprintf (text + strlen (text), sizeof text - strlen (text), "]}");
    s_assert_refused (text, "field \"steps\": 17 steps, at most 16 are allowed");

    char small[12];
    memset (small, ERROR_FILL, sizeof small);
    assert_null (funnel_definition_new (text, strlen (text), small, sizeof small));
    assert_string_equal (small, "field \"step");
}

// ---------------------------------------------------------------- matching

static sp_event_t *
s_event (Salespulse__EventType type, const char *to_stage)
{
    sp_event_t *event = sp_event_new (type);
    assert_non_null (event);
    if (to_stage)
        assert_int_equal (
            sp_event_set_string (&event->stage_changed->to_stage, to_stage, strlen (to_stage)), 0);
    return event;
}

static uint32_t
s_match (const funnel_definition_t *definition, Salespulse__EventType type, const char *to_stage)
{
    sp_event_t *event = s_event (type, to_stage);
    uint32_t mask = funnel_definition_match (definition, event);
    sp_event_destroy (&event);
    return mask;
}

/* Event type steps, stage steps (exact, case-sensitive), any-stage steps,
   several steps matched by one event, and events matching nothing. */
static void
test_match (void **state)
{
    (void) state;
    funnel_definition_t *definition = s_read_default ();
    assert_int_equal (s_match (definition, T (LEAD_CREATED), NULL), BIT (1));
    assert_int_equal (s_match (definition, T (VISIT_COMPLETED), NULL), BIT (2));
    assert_int_equal (s_match (definition, T (DEMO), NULL), BIT (3));
    assert_int_equal (s_match (definition, T (QUOTE_SENT), NULL), BIT (4));
    assert_int_equal (s_match (definition, T (DEAL_WON), NULL), BIT (5));
    assert_int_equal (s_match (definition, T (DEAL_LOST), NULL), BIT (6));
    assert_int_equal (s_match (definition, T (VISIT_PLANNED), NULL), 0);
    assert_int_equal (s_match (definition, T (STAGE_CHANGED), "demo"), 0);
    funnel_definition_destroy (&definition);

    definition = s_read (
        SEQ_HEAD SEQ_LEAD
        ", {\"name\": \"any\", \"event\": \"stage_changed\"},"
        " {\"name\": \"neg\", \"event\": \"stage_changed\", \"stage\": \"negotiation\"},"
        " {\"name\": \"neg-upper\", \"event\": \"stage_changed\", \"stage\": \"Negotiation\"},"
        " {\"name\": \"demo\", \"event\": \"demo\"},"
        " {\"name\": \"demo-again\", \"event\": \"demo\"}]}");
    assert_int_equal (s_match (definition, T (LEAD_CREATED), NULL), BIT (1));
    assert_int_equal (s_match (definition, T (STAGE_CHANGED), "negotiation"), BIT (2) | BIT (3));
    assert_int_equal (s_match (definition, T (STAGE_CHANGED), "Negotiation"), BIT (2) | BIT (4));
    assert_int_equal (s_match (definition, T (STAGE_CHANGED), "negotiation "), BIT (2));
    assert_int_equal (s_match (definition, T (STAGE_CHANGED), "negotiatio"), BIT (2));
    assert_int_equal (s_match (definition, T (DEMO), NULL), BIT (5) | BIT (6));
    assert_int_equal (s_match (definition, T (CALL), NULL), 0);
    /* A stage_changed without its body matches only the any-stage step. */
    Salespulse__SalesEvent bare = SALESPULSE__SALES_EVENT__INIT;
    bare.type = T (STAGE_CHANGED);
    assert_int_equal (funnel_definition_match (definition, &bare), BIT (2));
    s_assert_round_trip (definition);
    funnel_definition_destroy (&definition);
}

/* The entity key follows "entity"; "" when the event lacks it. */
static void
test_entity_key (void **state)
{
    (void) state;
    funnel_definition_t *by_opportunity = s_read_default ();
    funnel_definition_t *by_customer = s_read (SEQUENCE_JSON);
    sp_event_t *event = s_event (T (DEMO), NULL);
    assert_string_equal (funnel_definition_entity_key (by_opportunity, event), "");
    assert_string_equal (funnel_definition_entity_key (by_customer, event), "");
    assert_int_equal (sp_event_set_string (&event->opportunity_id, "o-1", 3), 0);
    assert_int_equal (sp_event_set_string (&event->customer_id, "acme", 4), 0);
    assert_string_equal (funnel_definition_entity_key (by_opportunity, event), "o-1");
    assert_string_equal (funnel_definition_entity_key (by_customer, event), "acme");
    sp_event_destroy (&event);
    funnel_definition_destroy (&by_customer);
    funnel_definition_destroy (&by_opportunity);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_default_file),
        cmocka_unit_test (test_defaults),
        cmocka_unit_test (test_fractions),
        cmocka_unit_test (test_sequence_definition),
        cmocka_unit_test (test_default_steps_settings),
        cmocka_unit_test (test_canonical_text),
        cmocka_unit_test (test_equal),
        cmocka_unit_test (test_errors),
        cmocka_unit_test (test_too_many_steps_and_short_buffer),
        cmocka_unit_test (test_match),
        cmocka_unit_test (test_entity_key),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
