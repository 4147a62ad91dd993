/*  funnel_definition_use - using a definition once it is read.

    Part of funnel_definition (declared in funnel_definition.h): matching
    events to steps, comparing two definitions and writing the canonical
    JSON form. Kept apart from the reader (funnel_definition.c) so that
    each file stays small, and written against the public accessors only:
    everything a stored version holds is visible through them.
*/
#include "funnel_definition.h"

#include <assert.h>
#include <jansson.h>
#include <string.h>

#include "sp_event.h"

#define S_JSON_INDENT 2 /* canonical form indentation */

/* Significant digits a fraction is written with: every basis-point value
   0.0001..1 prints exactly, with no noise digits such as
   0.10000000000000001 that the default precision would add. */
#define S_FRACTION_DIGITS 4

const char *
funnel_definition_entity_key (const funnel_definition_t *self, const Salespulse__SalesEvent *event)
{
    assert (self);
    assert (event);
    const char *key = funnel_definition_entity (self) == FUNNEL_DEFINITION_ENTITY_CUSTOMER
                          ? event->customer_id
                          : event->opportunity_id;
    return key ? key : "";
}

bool
funnel_definition_keeps_rows (const funnel_definition_t *self)
{
    assert (self);
    funnel_steps_settings_t settings;
    funnel_definition_steps_settings (self, &settings);
    return settings.mode == FUNNEL_STEPS_MODE_SEQUENCE && settings.strict_order;
}

bool
funnel_definition_unmatched_row (const funnel_definition_t *self,
                                 const Salespulse__SalesEvent *event)
{
    assert (self);
    assert (event);
    if (!funnel_definition_keeps_rows (self) || funnel_definition_match (self, event) != 0)
        return false;
    for (size_t index = 0; index < funnel_definition_step_count (self); index++)
        if (funnel_definition_step (self, index)->event == event->type)
            return true;
    return false;
}

uint32_t
funnel_definition_match (const funnel_definition_t *self, const Salespulse__SalesEvent *event)
{
    assert (self);
    assert (event);
    const char *to_stage = NULL;
    if (event->body_case == SALESPULSE__SALES_EVENT__BODY_STAGE_CHANGED && event->stage_changed)
        to_stage = event->stage_changed->to_stage;
    uint32_t mask = 0;
    for (size_t index = 0; index < funnel_definition_step_count (self); index++) {
        const funnel_definition_step_t *step = funnel_definition_step (self, index);
        if (step->event != event->type)
            continue;
        if (*step->stage && !(to_stage && strcmp (step->stage, to_stage) == 0))
            continue;
        mask |= UINT32_C (1) << index;
    }
    return mask;
}

static bool
s_target_equal (const funnel_definition_target_t *left, const funnel_definition_target_t *right)
{
    if (left->set != right->set)
        return false;
    return !left->set ||
           (left->conversion_bp == right->conversion_bp && left->from == right->from &&
            left->min_sample == right->min_sample && left->maturity_days == right->maturity_days);
}

static bool
s_step_equal (const funnel_definition_step_t *left, const funnel_definition_step_t *right)
{
    return strcmp (left->name, right->name) == 0 && left->event == right->event &&
           strcmp (left->stage, right->stage) == 0 && left->outcome == right->outcome &&
           left->probability_bp == right->probability_bp &&
           s_target_equal (&left->target, &right->target);
}

bool
funnel_definition_equal (const funnel_definition_t *left, const funnel_definition_t *right)
{
    assert (left);
    assert (right);
    funnel_steps_settings_t left_settings;
    funnel_steps_settings_t right_settings;
    funnel_definition_steps_settings (left, &left_settings);
    funnel_definition_steps_settings (right, &right_settings);
    if (strcmp (funnel_definition_name (left), funnel_definition_name (right)) != 0 ||
        funnel_definition_entity (left) != funnel_definition_entity (right) ||
        funnel_definition_window_days (left) != funnel_definition_window_days (right) ||
        funnel_definition_mode (left) != funnel_definition_mode (right) ||
        left_settings.strict_order != right_settings.strict_order ||
        left_settings.strict_deduplication != right_settings.strict_deduplication ||
        left_settings.strict_increase != right_settings.strict_increase ||
        funnel_definition_step_count (left) != funnel_definition_step_count (right))
        return false;
    for (size_t index = 0; index < funnel_definition_step_count (left); index++)
        if (!s_step_equal (funnel_definition_step (left, index),
                           funnel_definition_step (right, index)))
            return false;
    return true;
}

/* Sets key to value (stolen); false when value is NULL or the set fails
   (jansson then releases value). */
static bool
s_put (json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new (object, key, value) == 0;
}

/* A fraction as a JSON number (written with S_FRACTION_DIGITS). */
static json_t *
s_fraction_json (uint32_t bp)
{
    return json_real ((double) bp / FUNNEL_DEFINITION_BASIS_POINTS);
}

/* The canonical object of step index; NULL when out of memory. */
static json_t *
s_step_json (const funnel_definition_t *self, size_t index)
{
    const funnel_definition_step_t *step = funnel_definition_step (self, index);
    json_t *object = json_object ();
    bool ok = object && s_put (object, "name", json_string (step->name)) &&
              s_put (object, "event", json_string (sp_event_type_name (step->event)));
    if (ok && *step->stage)
        ok = s_put (object, "stage", json_string (step->stage));
    if (ok && step->outcome != FUNNEL_DEFINITION_OUTCOME_NONE)
        ok =
            s_put (object, "outcome", json_string (funnel_definition_outcome_name (step->outcome)));
    if (ok && funnel_definition_mode (self) == FUNNEL_STEPS_MODE_PIPELINE)
        ok = s_put (object, "probability", s_fraction_json (step->probability_bp));
    if (ok && step->target.set) {
        json_t *target = json_object ();
        const funnel_definition_step_t *from = funnel_definition_step (self, step->target.from);
        ok = s_put (object, "target", target) &&
             s_put (target, "conversion", s_fraction_json (step->target.conversion_bp)) &&
             s_put (target, "from", json_string (from->name)) &&
             s_put (target, "min_sample", json_integer (step->target.min_sample));
        /* Left out at its default (see funnel_definition_to_json). */
        if (ok && step->target.maturity_days != funnel_definition_window_days (self))
            ok = s_put (target, "maturity_days", json_integer (step->target.maturity_days));
    }
    if (!ok)
        json_decref (object);
    return ok ? object : NULL;
}

char *
funnel_definition_to_json (const funnel_definition_t *self)
{
    assert (self);
    funnel_steps_settings_t settings;
    funnel_definition_steps_settings (self, &settings);
    char *text = NULL;
    json_t *root = json_object ();
    json_t *steps = json_array ();
    bool ok =
        root && steps && s_put (root, "name", json_string (funnel_definition_name (self))) &&
        s_put (root, "entity",
               json_string (funnel_definition_entity_name (funnel_definition_entity (self)))) &&
        s_put (root, "window_days", json_integer (funnel_definition_window_days (self))) &&
        s_put (root, "mode", json_string (funnel_definition_mode_name (settings.mode)));
    if (ok && settings.mode == FUNNEL_STEPS_MODE_SEQUENCE)
        ok = s_put (root, "strict_order", json_boolean (settings.strict_order)) &&
             s_put (root, "strict_deduplication", json_boolean (settings.strict_deduplication)) &&
             s_put (root, "strict_increase", json_boolean (settings.strict_increase));
    for (size_t index = 0; ok && index < settings.step_count; index++)
        ok = json_array_append_new (steps, s_step_json (self, index)) == 0;
    if (ok && json_object_set (root, "steps", steps) == 0)
        text = json_dumps (root,
                           JSON_INDENT (S_JSON_INDENT) | JSON_REAL_PRECISION (S_FRACTION_DIGITS));
    json_decref (steps);
    json_decref (root);
    return text;
}
