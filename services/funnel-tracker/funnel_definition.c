/*  funnel_definition - what one funnel counts (see funnel_definition.h):
    the object, its accessors and the reader of the JSON form. Matching,
    comparing and writing are in funnel_definition_use.c.

    Reading is one pass over the document: the top-level settings first
    (the mode decides which step fields are allowed), then the steps in
    order, so a target's "from" can only name a step already read. Each
    reader returns 0, or -1 after writing the one error message; the first
    error found is the one reported.
*/
#include "funnel_definition.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_event.h"
#include "sp_json_read.h"

_Static_assert(FUNNEL_DEFINITION_STAGE_MAX == SP_EVENT_NAME_MAX,
               "a step's stage has the same limit as an event's to_stage");
_Static_assert(FUNNEL_DEFINITION_BASIS_POINTS == SP_JSON_BASIS_POINTS,
               "a fraction reads into the same basis points");
_Static_assert(FUNNEL_STEPS_MAX <= 32, "a step set must fit a uint32_t mask");

#define S_MS_PER_DAY INT64_C (86400000)
#define S_FROM_FIRST "first"       /* target.from: measured from step 1 */
#define S_FROM_PREVIOUS "previous" /* target.from: measured from the step before */
#define S_COUNT(array) (sizeof (array) / sizeof ((array)[0]))

struct _funnel_definition_t {
    char name[FUNNEL_DEFINITION_NAME_MAX + 1];        /* funnel name, [a-z0-9_-] */
    funnel_definition_entity_t entity;                /* whose journey is followed */
    uint32_t window_days;                             /* conversion window from step 1, days */
    funnel_steps_mode_t mode;                         /* pipeline or sequence */
    bool strict_order;                                /* sequence only, see funnel_steps.h */
    bool strict_deduplication;                        /* sequence only */
    bool strict_increase;                             /* sequence only */
    size_t step_count;                                /* steps, 1..FUNNEL_STEPS_MAX */
    funnel_definition_step_t steps[FUNNEL_STEPS_MAX]; /* the steps in order */
};

/* Keys allowed at the top level and in a step, in canonical order. */
static const char *const s_top_keys[] = { "name",
                                          "entity",
                                          "window_days",
                                          "mode",
                                          "strict_order",
                                          "strict_deduplication",
                                          "strict_increase",
                                          "steps",
                                          NULL };
static const char *const s_step_keys[] = { "name",        "event",  "stage", "outcome",
                                           "probability", "target", NULL };
static const char *const s_target_keys[] = { "conversion", "from", "min_sample", "maturity_days",
                                             NULL };

/* JSON spellings, indexed by the enum they name. */
static const char *const s_entity_names[] = { "opportunity_id", "customer_id" };
static const char *const s_mode_names[] = { "pipeline", "sequence" };
static const char *const s_outcome_names[] = { "", "won", "lost" };

/* Index of the step read so far named name, or -1. */
static int
s_step_find (const funnel_definition_t *self, const char *name)
{
    for (size_t index = 0; index < self->step_count; index++)
        if (strcmp (self->steps[index].name, name) == 0)
            return (int) index;
    return -1;
}

/* Reads the target of step index (already holding its other fields). */
static int
s_read_target (sp_json_reader_t *reader, funnel_definition_t *self, size_t index, const json_t *object,
               const char *parent)
{
    funnel_definition_step_t *step = &self->steps[index];
    char path[SP_JSON_PATH_SIZE];
    if (!json_is_object (object))
        return sp_json_fail (reader, parent, "expected an object, got %s", sp_json_kind (object));
    if (sp_json_check_keys (reader, object, parent, s_target_keys) != 0)
        return -1;
    if (index == 0)
        return sp_json_fail (reader, parent, "the first step cannot have a target");
    if (step->outcome == FUNNEL_DEFINITION_OUTCOME_LOST)
        return sp_json_fail (reader, parent, "a \"lost\" step cannot have a target");
    sp_json_path (path, sizeof path, parent, "conversion");
    const json_t *value = json_object_get (object, "conversion");
    if (!value)
        return sp_json_fail (reader, path, "required");
    if (sp_json_read_fraction (reader, value, path, &step->target.conversion_bp) != 0)
        return -1;
    sp_json_path (path, sizeof path, parent, "from");
    value = json_object_get (object, "from");
    step->target.from = 0;
    if (value) {
        const char *from;
        if (sp_json_read_string (reader, value, path, &from) != 0)
            return -1;
        int found = s_step_find (self, from); /* steps read so far: the earlier ones */
        if (strcmp (from, S_FROM_PREVIOUS) == 0)
            step->target.from = index - 1;
        else if (strcmp (from, S_FROM_FIRST) != 0 && found < 0) {
            char quoted[SP_EVENT_QUOTE_SIZE];
            return sp_json_fail (reader, path, "no earlier step is named \"%s\"",
                           sp_json_quote (value, quoted, sizeof quoted));
        }
        else if (found >= 0)
            step->target.from = (size_t) found;
    }
    if (self->steps[step->target.from].outcome != FUNNEL_DEFINITION_OUTCOME_NONE)
        return sp_json_fail (reader, path, "conversion cannot be measured from a \"%s\" step",
                       s_outcome_names[self->steps[step->target.from].outcome]);
    sp_json_path (path, sizeof path, parent, "min_sample");
    value = json_object_get (object, "min_sample");
    if (!value)
        return sp_json_fail (reader, path, "required");
    json_int_t sample;
    if (sp_json_read_integer (reader, value, path, FUNNEL_DEFINITION_MIN_SAMPLE_MIN,
                        FUNNEL_DEFINITION_MIN_SAMPLE_MAX, &sample) != 0)
        return -1;
    step->target.min_sample = (uint32_t) sample;
    /* window_days is read before the steps. After window_days whole days
       no event can change a cohort's conversion: waiting longer would only
       delay the notice. */
    sp_json_path (path, sizeof path, parent, "maturity_days");
    value = json_object_get (object, "maturity_days");
    json_int_t maturity = self->window_days;
    if (value && !json_is_integer (value))
        return sp_json_fail (reader, path, "expected an integer, got %s", sp_json_kind (value));
    if (value)
        maturity = json_integer_value (value);
    if (maturity < FUNNEL_DEFINITION_MATURITY_DAYS_MIN || maturity > self->window_days)
        return sp_json_fail (reader, path,
                       "%" JSON_INTEGER_FORMAT " is not in %d..%u (the funnel's window_days)",
                       maturity, FUNNEL_DEFINITION_MATURITY_DAYS_MIN, self->window_days);
    step->target.maturity_days = (uint32_t) maturity;
    step->target.set = true;
    return 0;
}

/* Reads the stage of step (its event already known). */
static int
s_read_stage (sp_json_reader_t *reader, funnel_definition_step_t *step, const json_t *value,
              const char *path)
{
    const char *text;
    if (sp_json_read_string (reader, value, path, &text) != 0)
        return -1;
    if (step->event != SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED)
        return sp_json_fail (reader, path, "only a \"stage_changed\" step can have a stage");
    size_t length = json_string_length (value);
    if (length == 0)
        return sp_json_fail (reader, path, "must not be empty");
    if (length > FUNNEL_DEFINITION_STAGE_MAX)
        return sp_json_fail (reader, path, "longer than %d bytes", FUNNEL_DEFINITION_STAGE_MAX);
    /* Valid UTF-8 without NUL: jansson refuses any other string. */
    memcpy (step->stage, text, length + 1);
    return 0;
}

/* Reads the step at steps[index]; earlier steps are already read and
   step_count is index, so name look-ups see only the earlier steps. */
static int
s_read_step (sp_json_reader_t *reader, funnel_definition_t *self, size_t index, const json_t *object)
{
    funnel_definition_step_t *step = &self->steps[index];
    char parent[SP_JSON_PATH_SIZE];
    char path[SP_JSON_PATH_SIZE];
    snprintf (parent, sizeof parent, "steps[%zu]", index);
    if (!json_is_object (object))
        return sp_json_fail (reader, parent, "expected an object, got %s", sp_json_kind (object));
    if (sp_json_check_keys (reader, object, parent, s_step_keys) != 0)
        return -1;

    sp_json_path (path, sizeof path, parent, "name");
    if (sp_json_read_name (reader, json_object_get (object, "name"), path, step->name,
                           FUNNEL_DEFINITION_NAME_MAX) != 0)
        return -1;
    if (strcmp (step->name, S_FROM_FIRST) == 0 || strcmp (step->name, S_FROM_PREVIOUS) == 0)
        return sp_json_fail (reader, path, "\"%s\" is reserved for \"target.from\"", step->name);
    int same = s_step_find (self, step->name);
    if (same >= 0)
        return sp_json_fail (reader, path, "\"%s\" is already the name of steps[%d]", step->name, same);

    sp_json_path (path, sizeof path, parent, "event");
    const char *event;
    const json_t *value = json_object_get (object, "event");
    if (sp_json_read_string (reader, value, path, &event) != 0)
        return -1;
    step->event = sp_event_type_from_name (event);
    if (step->event == SALESPULSE__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED) {
        char quoted[SP_EVENT_QUOTE_SIZE];
        return sp_json_fail (reader, path, "unknown event type \"%s\"",
                       sp_json_quote (value, quoted, sizeof quoted));
    }

    sp_json_path (path, sizeof path, parent, "stage");
    value = json_object_get (object, "stage");
    if (value && s_read_stage (reader, step, value, path) != 0)
        return -1;

    sp_json_path (path, sizeof path, parent, "outcome");
    value = json_object_get (object, "outcome");
    bool pipeline = self->mode == FUNNEL_STEPS_MODE_PIPELINE;
    if (value && !pipeline)
        return sp_json_fail (reader, path, "applies only to \"pipeline\" mode");
    int outcome = FUNNEL_DEFINITION_OUTCOME_NONE;
    if (value && sp_json_read_choice (reader, value, path, "outcome", "\"won\" or \"lost\"",
                                s_outcome_names, S_COUNT (s_outcome_names), &outcome) != 0)
        return -1;
    step->outcome = (funnel_definition_outcome_t) outcome;
    if (step->outcome == FUNNEL_DEFINITION_OUTCOME_NONE && index > 0 &&
        self->steps[index - 1].outcome != FUNNEL_DEFINITION_OUTCOME_NONE)
        return sp_json_fail (reader, parent, "a step without an outcome cannot follow a \"%s\" step",
                       s_outcome_names[self->steps[index - 1].outcome]);

    sp_json_path (path, sizeof path, parent, "probability");
    value = json_object_get (object, "probability");
    if (value && !pipeline)
        return sp_json_fail (reader, path, "applies only to \"pipeline\" mode");
    if (!value && pipeline)
        return sp_json_fail (reader, path, "required in \"pipeline\" mode");
    if (value && sp_json_read_fraction (reader, value, path, &step->probability_bp) != 0)
        return -1;
    if (step->outcome == FUNNEL_DEFINITION_OUTCOME_WON &&
        step->probability_bp != FUNNEL_DEFINITION_BASIS_POINTS)
        return sp_json_fail (reader, path, "a \"won\" step has probability 1");
    if (step->outcome == FUNNEL_DEFINITION_OUTCOME_LOST && step->probability_bp != 0)
        return sp_json_fail (reader, path, "a \"lost\" step has probability 0");

    sp_json_path (path, sizeof path, parent, "target");
    value = json_object_get (object, "target");
    if (value && s_read_target (reader, self, index, value, path) != 0)
        return -1;
    self->step_count = index + 1;
    return 0;
}

/* Reads "steps". */
static int
s_read_steps (sp_json_reader_t *reader, funnel_definition_t *self, const json_t *steps)
{
    if (!steps)
        return sp_json_fail (reader, "steps", "required");
    if (!json_is_array (steps))
        return sp_json_fail (reader, "steps", "expected an array, got %s", sp_json_kind (steps));
    size_t count = json_array_size (steps);
    if (count == 0)
        return sp_json_fail (reader, "steps", "at least one step is required");
    if (count > FUNNEL_STEPS_MAX)
        return sp_json_fail (reader, "steps", "%zu steps, at most %d are allowed", count,
                       FUNNEL_STEPS_MAX);
    for (size_t index = 0; index < count; index++)
        if (s_read_step (reader, self, index, json_array_get (steps, index)) != 0)
            return -1;
    if (self->steps[0].outcome != FUNNEL_DEFINITION_OUTCOME_NONE)
        return sp_json_fail (reader, "steps", "at least one step must have no outcome");
    return 0;
}

/* Reads the whole document into self. */
static int
s_read (sp_json_reader_t *reader, funnel_definition_t *self, const json_t *root)
{
    if (sp_json_check_keys (reader, root, "", s_top_keys) != 0)
        return -1;
    if (sp_json_read_name (reader, json_object_get (root, "name"), "name", self->name,
                           FUNNEL_DEFINITION_NAME_MAX) != 0)
        return -1;
    const json_t *value = json_object_get (root, "entity");
    int choice = FUNNEL_DEFINITION_ENTITY_OPPORTUNITY;
    if (value &&
        sp_json_read_choice (reader, value, "entity", "entity", "\"opportunity_id\" or \"customer_id\"",
                       s_entity_names, S_COUNT (s_entity_names), &choice) != 0)
        return -1;
    self->entity = (funnel_definition_entity_t) choice;
    value = json_object_get (root, "window_days");
    json_int_t days = FUNNEL_DEFINITION_DEFAULT_WINDOW_DAYS;
    if (value && sp_json_read_integer (reader, value, "window_days", FUNNEL_DEFINITION_WINDOW_DAYS_MIN,
                                 FUNNEL_DEFINITION_WINDOW_DAYS_MAX, &days) != 0)
        return -1;
    self->window_days = (uint32_t) days;
    value = json_object_get (root, "mode");
    choice = FUNNEL_STEPS_MODE_PIPELINE;
    if (value && sp_json_read_choice (reader, value, "mode", "mode", "\"pipeline\" or \"sequence\"",
                                s_mode_names, S_COUNT (s_mode_names), &choice) != 0)
        return -1;
    self->mode = (funnel_steps_mode_t) choice;
    const char *const strict_keys[] = { "strict_order", "strict_deduplication", "strict_increase" };
    bool *strict_flags[] = { &self->strict_order, &self->strict_deduplication,
                             &self->strict_increase };
    for (size_t index = 0; index < S_COUNT (strict_keys); index++) {
        value = json_object_get (root, strict_keys[index]);
        if (value && self->mode != FUNNEL_STEPS_MODE_SEQUENCE)
            return sp_json_fail (reader, strict_keys[index], "applies only to \"sequence\" mode");
        if (sp_json_read_bool (reader, value, strict_keys[index], strict_flags[index]) != 0)
            return -1;
    }
    return s_read_steps (reader, self, json_object_get (root, "steps"));
}

funnel_definition_t *
funnel_definition_new (const char *text, size_t length, char *error, size_t error_size)
{
    assert (text || length == 0);
    sp_json_reader_t reader = { error, error_size };
    json_t *root = sp_json_load_object (text, length, "a funnel definition", error, error_size);
    if (!root)
        return NULL;
    funnel_definition_t *self = NULL;
    self = (funnel_definition_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        goto out_release_root;
    }
    if (s_read (&reader, self, root) != 0)
        funnel_definition_destroy (&self);
out_release_root:
    json_decref (root);
    return self;
}

void
funnel_definition_destroy (funnel_definition_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

const char *
funnel_definition_name (const funnel_definition_t *self)
{
    assert (self);
    return self->name;
}

funnel_definition_entity_t
funnel_definition_entity (const funnel_definition_t *self)
{
    assert (self);
    return self->entity;
}

uint32_t
funnel_definition_window_days (const funnel_definition_t *self)
{
    assert (self);
    return self->window_days;
}

funnel_steps_mode_t
funnel_definition_mode (const funnel_definition_t *self)
{
    assert (self);
    return self->mode;
}

size_t
funnel_definition_step_count (const funnel_definition_t *self)
{
    assert (self);
    return self->step_count;
}

const funnel_definition_step_t *
funnel_definition_step (const funnel_definition_t *self, size_t index)
{
    assert (self);
    assert (index < self->step_count);
    return &self->steps[index];
}

void
funnel_definition_steps_settings (const funnel_definition_t *self,
                                  funnel_steps_settings_t *settings)
{
    assert (self);
    assert (settings);
    funnel_steps_settings_init (settings, self->step_count);
    settings->mode = self->mode;
    settings->window_ms = (int64_t) self->window_days * S_MS_PER_DAY;
    settings->strict_order = self->strict_order;
    settings->strict_deduplication = self->strict_deduplication;
    settings->strict_increase = self->strict_increase;
    for (size_t index = 0; index < self->step_count; index++) {
        uint32_t bit = UINT32_C (1) << index;
        if (self->steps[index].outcome == FUNNEL_DEFINITION_OUTCOME_WON)
            settings->won_mask |= bit;
        else if (self->steps[index].outcome == FUNNEL_DEFINITION_OUTCOME_LOST)
            settings->lost_mask |= bit;
    }
}

const char *
funnel_definition_entity_name (funnel_definition_entity_t entity)
{
    assert ((size_t) entity < S_COUNT (s_entity_names));
    return s_entity_names[entity];
}

const char *
funnel_definition_mode_name (funnel_steps_mode_t mode)
{
    assert ((size_t) mode < S_COUNT (s_mode_names));
    return s_mode_names[mode];
}

const char *
funnel_definition_outcome_name (funnel_definition_outcome_t outcome)
{
    assert ((size_t) outcome < S_COUNT (s_outcome_names));
    return s_outcome_names[outcome];
}
