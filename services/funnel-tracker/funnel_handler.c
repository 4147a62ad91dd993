/*  funnel_handler - funnel-tracker's consumer handler (see
    funnel_handler.h). */
#include "funnel_handler.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "funnel_apply.h"
#include "funnel_entity.h"
#include "funnel_keys.h"
#include "sp_error.h"
#include "sp_log.h"
#include "sp_money.h"

/* An ISO-4217 code and its NUL. */
#define S_CURRENCY_SIZE 4

/* An entity as the current run sees it: the decoded object the consumer
   view keeps with the entity's key (sp_consumer_view_set_decoded), so
   the record is parsed and evaluated once per run, not once per event. */
typedef struct {
    funnel_entity_t *entity;            /* its state, with this run's events applied */
    funnel_contribution_t contribution; /* what that state contributes */
    bool evaluated;                     /* contribution is up to date */
} s_state_t;

struct _funnel_handler_t {
    const funnel_catalog_t *catalog;                /* borrowed */
    const sp_tz_t *tz;                              /* borrowed */
    char currency[S_CURRENCY_SIZE];                 /* reporting currency */
    funnel_steps_t *evaluators[FUNNEL_CATALOG_MAX]; /* one per funnel */
    funnel_apply_t *apply;                          /* command builder */
    sp_metric_t *hits;                              /* counters, may be NULL */
    sp_metric_t *refused;
    sp_metric_t *without_entity;
};

static void
s_state_destroy (s_state_t **state_p)
{
    if (!*state_p)
        return;
    funnel_entity_destroy (&(*state_p)->entity);
    free (*state_p);
    *state_p = NULL;
}

/* The view's destructor of a decoded state. */
static void
s_state_free (void *decoded)
{
    s_state_t *state = (s_state_t *) decoded;
    s_state_destroy (&state);
}

static s_state_t *
s_state_new (void)
{
    s_state_t *state = calloc (1, sizeof *state);
    if (state && !(state->entity = funnel_entity_new ()))
        free (state), state = NULL;
    return state;
}

funnel_handler_t *
funnel_handler_new (const funnel_catalog_t *catalog, const sp_tz_t *tz, const char *currency,
                    sp_metrics_t *metrics, char *error, size_t error_size)
{
    assert (catalog && tz && currency);
    funnel_handler_t *self = calloc (1, sizeof *self);
    if (!self)
        goto out_of_memory;
    self->catalog = catalog;
    self->tz = tz;
    snprintf (self->currency, sizeof self->currency, "%s", currency);
    for (size_t index = 0; index < funnel_catalog_size (catalog); index++) {
        funnel_steps_settings_t settings;
        funnel_definition_steps_settings (funnel_catalog_definition (catalog, index), &settings);
        self->evaluators[index] = funnel_steps_new (&settings, error, error_size);
        if (!self->evaluators[index])
            goto out_destroy;
    }
    self->apply = funnel_apply_new ();
    if (!self->apply)
        goto out_of_memory;
    if (metrics) {
        const char *labels[] = { "funnel" };
        self->hits = sp_metrics_counter (metrics, "salespulse_funnel_hits_total",
                                         "events counted in a funnel", labels, 1);
        self->refused = sp_metrics_counter (
            metrics, "salespulse_funnel_hits_refused_total",
            "hits beyond the per-entity limit of a sequence funnel, not counted", labels, 1);
        self->without_entity = sp_metrics_counter (
            metrics, "salespulse_funnel_events_without_entity_total",
            "events matching a funnel's step that do not name its entity", labels, 1);
    }
    return self;
out_of_memory:
    sp_error_set (error, error_size, "out of memory");
out_destroy:
    funnel_handler_destroy (&self);
    return NULL;
}

void
funnel_handler_destroy (funnel_handler_t **self_p)
{
    assert (self_p);
    funnel_handler_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < FUNNEL_CATALOG_MAX; index++)
        funnel_steps_destroy (&self->evaluators[index]);
    funnel_apply_destroy (&self->apply);
    free (self);
    *self_p = NULL;
}

sp_consumer_handler_t
funnel_handler_consumer (funnel_handler_t *self)
{
    return (sp_consumer_handler_t){
        .apply = funnel_handler_apply, .arg = self, .begin = funnel_handler_begin };
}

static void
s_count (sp_metric_t *metric, const funnel_definition_t *definition)
{
    if (metric)
        sp_metric_add (metric, (const char *[]){ funnel_definition_name (definition) }, 1);
}

/* What event is to funnel index. Returns 1 when the funnel keeps it:
   *mask gets the steps it matches, or 0 for a row matching no step that a
   strict_order funnel keeps (funnel_definition_unmatched_row); *entity
   the id it names ("" when none). Returns 0 when the event is nothing to
   the funnel. */
static int
s_relevant (funnel_handler_t *self, size_t index, const Salespulse__SalesEvent *event,
            uint32_t *mask, const char **entity)
{
    const funnel_definition_t *definition = funnel_catalog_definition (self->catalog, index);
    *mask = funnel_definition_match (definition, event);
    *entity = funnel_definition_entity_key (definition, event);
    return *mask != 0 || funnel_definition_unmatched_row (definition, event);
}

/* The entity key of event in funnel index, or -1 (nothing to keep, or
   the event names no entity, or its id is too long for a key). */
static int
s_entity_key (funnel_handler_t *self, size_t index, uint32_t partition,
              const Salespulse__SalesEvent *event, uint32_t *mask, char *key, size_t size)
{
    const char *entity;
    if (!s_relevant (self, index, event, mask, &entity) || !*entity)
        return -1;
    const funnel_definition_t *definition = funnel_catalog_definition (self->catalog, index);
    return funnel_keys_entity (key, size, partition, funnel_definition_name (definition), entity);
}

int
funnel_handler_begin (void *arg, uint32_t partition, const sp_consumer_event_t *events,
                      size_t count, sp_consumer_view_t *view, char *error, size_t error_size)
{
    funnel_handler_t *self = arg;
    assert (self && (events || count == 0) && view);
    (void) error;
    (void) error_size;
    for (size_t event = 0; event < count; event++)
        for (size_t index = 0; index < funnel_catalog_size (self->catalog); index++) {
            char key[FUNNEL_KEYS_SIZE];
            uint32_t mask;
            /* a key the view refuses fails its event when apply reads it */
            if (s_entity_key (self, index, partition, events[event].event, &mask, key,
                              sizeof key) > 0)
                (void) sp_consumer_view_want (view, key);
        }
    return 0;
}

/* The state of the entity at key as this run sees it, decoded once and
   kept in the view. NULL with the reason when the view refuses the key or
   the stored record is not readable. */
static s_state_t *
s_state (sp_consumer_view_t *view, const char *key, char *error, size_t error_size)
{
    s_state_t *state = sp_consumer_view_decoded (view, key);
    if (state)
        return state;
    size_t length = 0;
    bool found = false;
    const char *data = sp_consumer_view_get (view, key, &length, &found);
    if (!found && sp_consumer_view_error (view)) {
        sp_error_set (error, error_size, "%s", sp_consumer_view_error (view));
        return NULL;
    }
    state = s_state_new ();
    if (!state) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    char reason[128];
    if (found && funnel_entity_unpack (state->entity, data, length, reason, sizeof reason) != 0) {
        sp_error_set (error, error_size, "key \"%s\": %s", key, reason);
        s_state_destroy (&state);
        return NULL;
    }
    if (sp_consumer_view_set_decoded (view, key, state, s_state_free) != 0) {
        sp_error_set (error, error_size, "%s", sp_consumer_view_error (view));
        return NULL;
    }
    return state;
}

/* Applies event to funnel index; adds its commands to batch and writes
   the entity's new state through the view. Returns 0, or -1 with the
   reason (the consumer then drops the event's writes from both). */
static int
s_apply_funnel (funnel_handler_t *self, size_t index, const sp_consumer_event_t *event,
                sp_consumer_view_t *view, sp_consumer_batch_t *batch, char *error,
                size_t error_size)
{
    const funnel_definition_t *definition = funnel_catalog_definition (self->catalog, index);
    uint32_t mask;
    const char *entity;
    if (!s_relevant (self, index, event->event, &mask, &entity))
        return 0;
    if (!*entity) {
        /* a row without an entity is no row of any entity: not counted */
        if (mask != 0)
            s_count (self->without_entity, definition);
        return 0;
    }
    char key[FUNNEL_KEYS_SIZE];
    int length = s_entity_key (self, index, event->partition, event->event, &mask, key, sizeof key);
    if (length < 0) {
        sp_error_set (error, error_size, "funnel \"%s\": entity id too long for a key",
                      funnel_definition_name (definition));
        return -1;
    }
    s_state_t *state = s_state (view, key, error, error_size);
    if (!state)
        return -1;
    funnel_steps_t *evaluator = self->evaluators[index];
    if (!state->evaluated) {
        if (funnel_entity_contribution (state->entity, definition, evaluator, self->tz,
                                        &state->contribution) != 0)
            goto out_evaluation;
        state->evaluated = true;
    }
    s_state_t *updated = s_state_new ();
    if (!updated || funnel_entity_copy (updated->entity, state->entity) != 0) {
        s_state_destroy (&updated);
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    int changed = funnel_entity_add (updated->entity, definition, event->event, mask,
                                     event->sequence, self->currency);
    if (changed <= 0) {
        if (changed < 0) {
            s_count (self->refused, definition);
            sp_log_warn ("entity has too many events for a sequence funnel: event not counted",
                         "funnel=%s key=\"%s\" sequence=%" PRIu64 " row=%s limit=%d",
                         funnel_definition_name (definition), key, event->sequence,
                         mask == 0 ? "true" : "false", FUNNEL_ENTITY_MAX_HITS);
        }
        s_state_destroy (&updated);
        return 0;
    }
    if (funnel_entity_contribution (updated->entity, definition, evaluator, self->tz,
                                    &updated->contribution) != 0) {
        s_state_destroy (&updated);
        goto out_evaluation;
    }
    updated->evaluated = true;
    size_t packed_size = 0;
    unsigned char *packed = funnel_entity_pack (updated->entity, &packed_size);
    /* the put replaces (destroys) state: its contribution is used before */
    if (!packed ||
        funnel_apply_change (self->apply, batch, definition, entity, &state->contribution,
                             &updated->contribution) < 0 ||
        sp_consumer_view_put (view, batch, key, (const char *) packed, packed_size) != 0) {
        free (packed);
        s_state_destroy (&updated);
        sp_error_set (error, error_size, "funnel \"%s\": the atomic step is full or out of memory",
                      funnel_definition_name (definition));
        return -1;
    }
    free (packed);
    if (sp_consumer_view_set_decoded (view, key, updated, s_state_free) != 0) {
        sp_error_set (error, error_size, "%s", sp_consumer_view_error (view));
        return -1;
    }
    if (mask != 0)
        s_count (self->hits, definition);
    return 0;
out_evaluation:
    sp_error_set (error, error_size,
                  "funnel \"%s\": entity \"%s\" cannot be evaluated (a time outside the calendar, "
                  "or state kept for another definition: rebuild)",
                  funnel_definition_name (definition),
                  funnel_definition_entity_key (definition, event->event));
    return -1;
}

int
funnel_handler_apply (void *arg, const sp_consumer_event_t *event, sp_consumer_view_t *view,
                      sp_consumer_batch_t *batch, char *error, size_t error_size)
{
    funnel_handler_t *self = arg;
    assert (self && event && event->event && view && batch);
    size_t before = sp_consumer_batch_commands (batch);
    for (size_t index = 0; index < funnel_catalog_size (self->catalog); index++)
        if (s_apply_funnel (self, index, event, view, batch, error, error_size) != 0)
            return -1;
    if (sp_consumer_batch_commands (batch) > before) {
        char clock[FUNNEL_KEYS_SIZE];
        char when[24];
        snprintf (when, sizeof when, "%" PRId64, event->event->occurred_at);
        if (funnel_keys_clock (clock, sizeof clock, event->partition) < 0 ||
            sp_consumer_batch_command (
                batch, 5, (const char *[]){ "ZADD", clock, "GT", when, FUNNEL_KEYS_CLOCK_MEMBER },
                NULL) != 0) {
            sp_error_set (error, error_size, "the atomic step is full");
            return -1;
        }
    }
    return 0;
}
