/*  test_funnel_definition_use - what funnel_definition says beyond the
    reader's checks in test_funnel_definition.c: a target's maturity_days
    (read, defaulted to the funnel's window_days, refused out of range,
    written in canonical form only when it differs from the default,
    compared), and which events a strict_order funnel keeps as rows
    matching no step (funnel_definition_keeps_rows,
    funnel_definition_unmatched_row).
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

#define TEST_ERROR_SIZE 256
#define TEST_TEXT_SIZE 1024

/* The demo's CRM funnel (365-day window) with target text for "won". */
static void
s_crm_text (char *buffer, size_t size, const char *target)
{
    int written = snprintf (
        buffer, size,
        "{\"name\": \"crm\", \"window_days\": 365, \"steps\": ["
        "{\"name\": \"lead\", \"event\": \"lead_created\", \"probability\": 0.1},"
        "{\"name\": \"won\", \"event\": \"deal_won\", \"outcome\": \"won\", \"probability\": 1,"
        " \"target\": %s},"
        "{\"name\": \"lost\", \"event\": \"deal_lost\", \"outcome\": \"lost\", \"probability\": "
        "0}]}",
        target);
    assert_true (written > 0 && (size_t) written < size);
}

static funnel_definition_t *
s_crm (const char *target)
{
    char text[TEST_TEXT_SIZE];
    s_crm_text (text, sizeof text, target);
    char error[TEST_ERROR_SIZE] = "";
    funnel_definition_t *definition =
        funnel_definition_new (text, strlen (text), error, sizeof error);
    if (!definition)
        fail_msg ("refused: %s", error);
    return definition;
}

static void
s_assert_refused (const char *target, const char *expected)
{
    char text[TEST_TEXT_SIZE];
    s_crm_text (text, sizeof text, target);
    char error[TEST_ERROR_SIZE] = "";
    assert_null (funnel_definition_new (text, strlen (text), error, sizeof error));
    assert_string_equal (error, expected);
}

static uint32_t
s_maturity (const funnel_definition_t *definition)
{
    return funnel_definition_step (definition, 1)->target.maturity_days;
}

/* ---------------------------------------------------------------- maturity */

/* Without maturity_days a target waits the funnel's window_days; any
   value 0..window_days may be given. */
static void
test_maturity_days_default_and_given (void **state)
{
    (void) state;
    funnel_definition_t *definition = s_crm ("{\"conversion\": 0.5, \"min_sample\": 20}");
    assert_int_equal (s_maturity (definition), 365);
    funnel_definition_destroy (&definition);
    definition = s_crm ("{\"conversion\": 0.5, \"min_sample\": 20, \"maturity_days\": 90}");
    assert_int_equal (s_maturity (definition), 90);
    funnel_definition_destroy (&definition);
    definition = s_crm ("{\"maturity_days\": 0, \"conversion\": 0.5, \"min_sample\": 20}");
    assert_int_equal (s_maturity (definition), 0);
    funnel_definition_destroy (&definition);
    definition = s_crm ("{\"conversion\": 0.5, \"min_sample\": 20, \"maturity_days\": 365}");
    assert_int_equal (s_maturity (definition), 365);
    funnel_definition_destroy (&definition);
    /* The default follows the window. */
    const char *text = "{\"name\": \"w\", \"window_days\": 7, \"steps\": ["
                       "{\"name\": \"a\", \"event\": \"call\", \"probability\": 0.5},"
                       "{\"name\": \"b\", \"event\": \"demo\", \"probability\": 0.5,"
                       " \"target\": {\"conversion\": 0.5, \"min_sample\": 1}}]}";
    char error[TEST_ERROR_SIZE];
    definition = funnel_definition_new (text, strlen (text), error, sizeof error);
    assert_non_null (definition);
    assert_int_equal (s_maturity (definition), 7);
    funnel_definition_destroy (&definition);
}

static void
test_maturity_days_refusals (void **state)
{
    (void) state;
    s_assert_refused ("{\"conversion\": 0.5, \"min_sample\": 20, \"maturity_days\": 366}",
                      "field \"steps[1].target.maturity_days\": 366 is not in 0..365 (the "
                      "funnel's window_days)");
    s_assert_refused ("{\"conversion\": 0.5, \"min_sample\": 20, \"maturity_days\": -1}",
                      "field \"steps[1].target.maturity_days\": -1 is not in 0..365 (the "
                      "funnel's window_days)");
    s_assert_refused ("{\"conversion\": 0.5, \"min_sample\": 20, \"maturity_days\": 1.5}",
                      "field \"steps[1].target.maturity_days\": expected an integer, got a real "
                      "number");
    s_assert_refused ("{\"conversion\": 0.5, \"min_sample\": 20, \"maturity_days\": \"30\"}",
                      "field \"steps[1].target.maturity_days\": expected an integer, got a "
                      "string");
    s_assert_refused ("{\"conversion\": 0.5, \"min_sample\": 20, \"maturity\": 30}",
                      "field \"steps[1].target.maturity\": unknown field");
}

/* The canonical form leaves maturity_days out at its default, so a
   definition stored before the field existed keeps its text and version;
   any other value is written after min_sample and reads back equal. */
static void
test_maturity_days_canonical_form (void **state)
{
    (void) state;
    funnel_definition_t *plain = s_crm ("{\"conversion\": 0.5, \"min_sample\": 20}");
    funnel_definition_t *explicit_default =
        s_crm ("{\"conversion\": 0.5, \"min_sample\": 20, \"maturity_days\": 365}");
    funnel_definition_t *shorter =
        s_crm ("{\"conversion\": 0.5, \"min_sample\": 20, \"maturity_days\": 90}");
    char *plain_text = funnel_definition_to_json (plain);
    char *default_text = funnel_definition_to_json (explicit_default);
    char *shorter_text = funnel_definition_to_json (shorter);
    assert_non_null (plain_text);
    assert_non_null (default_text);
    assert_non_null (shorter_text);
    assert_null (strstr (plain_text, "maturity_days"));
    assert_string_equal (plain_text, default_text);
    assert_true (funnel_definition_equal (plain, explicit_default));
    assert_non_null (strstr (shorter_text, "        \"min_sample\": 20,\n"
                                           "        \"maturity_days\": 90\n"
                                           "      }"));
    assert_false (funnel_definition_equal (plain, shorter));
    char error[TEST_ERROR_SIZE];
    funnel_definition_t *back =
        funnel_definition_new (shorter_text, strlen (shorter_text), error, sizeof error);
    assert_non_null (back);
    assert_true (funnel_definition_equal (back, shorter));
    assert_int_equal (s_maturity (back), 90);
    funnel_definition_destroy (&back);
    free (plain_text);
    free (default_text);
    free (shorter_text);
    funnel_definition_destroy (&plain);
    funnel_definition_destroy (&explicit_default);
    funnel_definition_destroy (&shorter);
}

/* ---------------------------------------------------------------- rows */

/* A stage funnel a -> b -> c (sequence, strict_order as given), a pipeline
   one over the same stage changes, and one whose middle step takes any
   stage change. */
#define STAGES(options)                                                                            \
    "{\"name\": \"stages\", \"mode\": \"sequence\"" options ", \"steps\": ["                       \
    "{\"name\": \"a\", \"event\": \"stage_changed\", \"stage\": \"a\"},"                           \
    "{\"name\": \"b\", \"event\": \"stage_changed\", \"stage\": \"b\"},"                           \
    "{\"name\": \"c\", \"event\": \"deal_won\"}]}"

static funnel_definition_t *
s_read (const char *text)
{
    char error[TEST_ERROR_SIZE] = "";
    funnel_definition_t *definition =
        funnel_definition_new (text, strlen (text), error, sizeof error);
    if (!definition)
        fail_msg ("refused: %s", error);
    return definition;
}

/* A stage change to stage (NULL: a call, an event type no step has). */
static void
s_event (Salespulse__SalesEvent *event, Salespulse__StageChanged *body, const char *stage)
{
    salespulse__sales_event__init (event);
    salespulse__stage_changed__init (body);
    event->opportunity_id = (char *) "o1";
    if (!stage) {
        event->type = SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL;
        return;
    }
    event->type = SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED;
    event->body_case = SALESPULSE__SALES_EVENT__BODY_STAGE_CHANGED;
    body->to_stage = (char *) stage;
    event->stage_changed = body;
}

static bool
s_row (const funnel_definition_t *definition, const char *stage)
{
    Salespulse__SalesEvent event;
    Salespulse__StageChanged body;
    s_event (&event, &body, stage);
    return funnel_definition_unmatched_row (definition, &event);
}

/* The rows a strict_order funnel keeps: events of its event types that
   match no step. Other funnels keep none. */
static void
test_unmatched_rows (void **state)
{
    (void) state;
    funnel_definition_t *strict = s_read (STAGES (", \"strict_order\": true"));
    funnel_definition_t *loose = s_read (STAGES (", \"strict_deduplication\": true"));
    funnel_definition_t *pipeline = s_read (
        "{\"name\": \"p\", \"steps\": ["
        "{\"name\": \"a\", \"event\": \"stage_changed\", \"stage\": \"a\", \"probability\": 0.1},"
        "{\"name\": \"b\", \"event\": \"stage_changed\", \"stage\": \"b\", \"probability\": "
        "0.5}]}");
    funnel_definition_t *any_stage =
        s_read ("{\"name\": \"s\", \"mode\": \"sequence\", \"strict_order\": true, \"steps\": ["
                "{\"name\": \"a\", \"event\": \"stage_changed\", \"stage\": \"a\"},"
                "{\"name\": \"any\", \"event\": \"stage_changed\"}]}");
    assert_true (funnel_definition_keeps_rows (strict));
    assert_true (funnel_definition_keeps_rows (any_stage));
    assert_false (funnel_definition_keeps_rows (loose));
    assert_false (funnel_definition_keeps_rows (pipeline));

    assert_true (s_row (strict, "d"));
    assert_true (s_row (strict, "A"));   /* stages compare byte for byte */
    assert_false (s_row (strict, "a"));  /* matches step 1: a hit, not a row */
    assert_false (s_row (strict, NULL)); /* a call: not one of its event types */
    assert_false (s_row (loose, "d"));
    assert_false (s_row (pipeline, "d"));
    assert_false (s_row (any_stage, "d")); /* every stage change matches "any" */
    funnel_definition_destroy (&strict);
    funnel_definition_destroy (&loose);
    funnel_definition_destroy (&pipeline);
    funnel_definition_destroy (&any_stage);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_maturity_days_default_and_given),
        cmocka_unit_test (test_maturity_days_refusals),
        cmocka_unit_test (test_maturity_days_canonical_form),
        cmocka_unit_test (test_unmatched_rows),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
