/*  funnel_handler - funnel-tracker's consumer handler (see
    funnel_handler.h). */
#include "funnel_handler.h"

#include <assert.h>
#include <czmq.h>
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

/* Keys read by one MGET of the prefetch. */
#define S_MGET_CHUNK 500

/* An ISO-4217 code and its NUL. */
#define S_CURRENCY_SIZE 4

/* An entity as the current run sees it. */
typedef struct {
    funnel_entity_t *entity;            /* its state, with this run's events applied */
    funnel_contribution_t contribution; /* what that state contributes */
    bool evaluated;                     /* contribution is up to date */
} s_view_t;

/* A change made by the event being applied, kept until it succeeds. */
typedef struct {
    char key[FUNNEL_KEYS_SIZE];     /* entity key */
    s_view_t *view;                 /* new state (owned until committed) */
} s_pending_t;

struct _funnel_handler_t {
    const funnel_catalog_t *catalog;                 /* borrowed */
    sp_redis_t *redis;                               /* borrowed */
    const sp_tz_t *tz;                               /* borrowed */
    char currency[S_CURRENCY_SIZE];                  /* reporting currency */
    funnel_steps_t *evaluators[FUNNEL_CATALOG_MAX];  /* one per funnel */
    funnel_apply_t *apply;                           /* command builder */
    zhashx_t *views;                                 /* entity key -> s_view_t, this run */
    s_pending_t pending[FUNNEL_CATALOG_MAX];         /* this event's changes */
    size_t pending_count;
    funnel_contribution_t scratch;                   /* an empty contribution */
    sp_metric_t *hits;                               /* counters, may be NULL */
    sp_metric_t *refused;
    sp_metric_t *without_entity;
};

static void
s_view_destroy (s_view_t **view_p)
{
    if (!*view_p)
        return;
    funnel_entity_destroy (&(*view_p)->entity);
    free (*view_p);
    *view_p = NULL;
}

static void
s_view_free (void **item)
{
    s_view_destroy ((s_view_t **) item);
}

static s_view_t *
s_view_new (void)
{
    s_view_t *view = calloc (1, sizeof *view);
    if (view && !(view->entity = funnel_entity_new ()))
        free (view), view = NULL;
    return view;
}

funnel_handler_t *
funnel_handler_new (const funnel_catalog_t *catalog, sp_redis_t *redis, const sp_tz_t *tz,
                    const char *currency, sp_metrics_t *metrics, char *error, size_t error_size)
{
    assert (catalog && redis && tz && currency);
    funnel_handler_t *self = calloc (1, sizeof *self);
    if (!self)
        goto out_of_memory;
    self->catalog = catalog;
    self->redis = redis;
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
    self->views = zhashx_new ();
    if (!self->apply || !self->views)
        goto out_of_memory;
    zhashx_set_destructor (self->views, s_view_free);
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
    zhashx_destroy (&self->views);
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

/* A view of the stored record in reply (nil: a new entity). NULL with
   the reason when the record is not readable or memory runs out. */
static s_view_t *
s_view_read (const sp_redis_reply_t *reply, const char *key, char *error, size_t error_size)
{
    s_view_t *view = s_view_new ();
    if (!view) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    if (sp_redis_reply_type (reply) == SP_REDIS_REPLY_STRING) {
        size_t length = 0;
        const char *data = sp_redis_reply_string (reply, &length);
        char reason[128];
        if (funnel_entity_unpack (view->entity, data, length, reason, sizeof reason) != 0) {
            sp_error_set (error, error_size, "key \"%s\": %s", key, reason);
            s_view_destroy (&view);
        }
    }
    return view;
}

/* Reads count keys (a NULL-free array) with one MGET. */
static int
s_prefetch (funnel_handler_t *self, char **keys, size_t count, char *error, size_t error_size)
{
    const char **argv = malloc ((count + 1) * sizeof *argv);
    if (!argv) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    argv[0] = "MGET";
    for (size_t index = 0; index < count; index++)
        argv[index + 1] = keys[index];
    sp_redis_reply_t *reply =
        sp_redis_command (self->redis, (int) count + 1, argv, NULL, error, error_size);
    free (argv);
    if (!reply)
        return -1;
    int rc = 0;
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY ||
        sp_redis_reply_size (reply) != count) {
        sp_error_set (error, error_size, "unexpected reply to MGET of entity states");
        rc = -1;
    }
    for (size_t index = 0; rc == 0 && index < count; index++) {
        char reason[256];
        s_view_t *view =
            s_view_read (sp_redis_reply_element (reply, index), keys[index], reason, sizeof reason);
        /* one that cannot be read is left out: the event's own read below
           reports it, and the event is retried */
        if (view)
            zhashx_update (self->views, keys[index], view);
    }
    sp_redis_reply_destroy (&reply);
    return rc;
}

int
funnel_handler_begin (void *arg, uint32_t partition, const sp_consumer_event_t *events,
                      size_t count, char *error, size_t error_size)
{
    funnel_handler_t *self = arg;
    assert (self && (events || count == 0));
    zhashx_purge (self->views);
    zhashx_t *wanted = zhashx_new (); /* keys to read, no duplicates */
    if (!wanted) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    for (size_t event = 0; event < count; event++)
        for (size_t index = 0; index < funnel_catalog_size (self->catalog); index++) {
            char key[FUNNEL_KEYS_SIZE];
            uint32_t mask;
            if (s_entity_key (self, index, partition, events[event].event, &mask, key,
                              sizeof key) > 0)
                zhashx_update (wanted, key, (void *) 1);
        }
    int rc = 0;
    zlistx_t *keys = zhashx_keys (wanted);
    char *chunk[S_MGET_CHUNK];
    size_t used = 0;
    for (char *key = keys ? zlistx_first (keys) : NULL; key && rc == 0; key = zlistx_next (keys)) {
        chunk[used++] = key;
        if (used == S_MGET_CHUNK) {
            rc = s_prefetch (self, chunk, used, error, error_size);
            used = 0;
        }
    }
    if (rc == 0 && used > 0)
        rc = s_prefetch (self, chunk, used, error, error_size);
    if (!keys) {
        sp_error_set (error, error_size, "out of memory");
        rc = -1;
    }
    zlistx_destroy (&keys);
    zhashx_destroy (&wanted);
    if (rc != 0)
        zhashx_purge (self->views);
    return rc;
}

/* The view of key: this run's, else read from Redis now. NULL with the
   reason when Redis fails or the stored record is not readable. */
static s_view_t *
s_view (funnel_handler_t *self, const char *key, char *error, size_t error_size)
{
    s_view_t *view = zhashx_lookup (self->views, key);
    if (view)
        return view;
    sp_redis_reply_t *reply =
        sp_redis_command (self->redis, 2, (const char *[]){ "GET", key }, NULL, error, error_size);
    if (!reply)
        return NULL;
    view = s_view_read (reply, key, error, error_size);
    sp_redis_reply_destroy (&reply);
    if (view)
        zhashx_update (self->views, key, view);
    return view;
}

static void
s_pending_drop (funnel_handler_t *self)
{
    for (size_t index = 0; index < self->pending_count; index++)
        s_view_destroy (&self->pending[index].view);
    self->pending_count = 0;
}

/* Applies event to funnel index; adds its commands to batch and its new
   state to the pending list. Returns 0, or -1 with the reason. */
static int
s_apply_funnel (funnel_handler_t *self, size_t index, const sp_consumer_event_t *event,
                sp_consumer_batch_t *batch, char *error, size_t error_size)
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
    s_view_t *view = s_view (self, key, error, error_size);
    if (!view)
        return -1;
    funnel_steps_t *evaluator = self->evaluators[index];
    if (!view->evaluated) {
        if (funnel_entity_contribution (view->entity, definition, evaluator, self->tz,
                                        &view->contribution) != 0)
            goto out_evaluation;
        view->evaluated = true;
    }
    s_view_t *updated = s_view_new ();
    if (!updated || funnel_entity_copy (updated->entity, view->entity) != 0) {
        s_view_destroy (&updated);
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
        s_view_destroy (&updated);
        return 0;
    }
    if (funnel_entity_contribution (updated->entity, definition, evaluator, self->tz,
                                    &updated->contribution) != 0) {
        s_view_destroy (&updated);
        goto out_evaluation;
    }
    updated->evaluated = true;
    size_t packed_size = 0;
    unsigned char *packed = funnel_entity_pack (updated->entity, &packed_size);
    if (!packed ||
        funnel_apply_change (self->apply, batch, definition, entity, &view->contribution,
                             &updated->contribution) < 0 ||
        sp_consumer_batch_command (batch, 3, (const char *[]){ "SET", key, (const char *) packed },
                                   (const size_t[]){ 3, strlen (key), packed_size }) != 0) {
        free (packed);
        s_view_destroy (&updated);
        sp_error_set (error, error_size, "funnel \"%s\": the atomic step is full or out of memory",
                      funnel_definition_name (definition));
        return -1;
    }
    free (packed);
    if (mask != 0)
        s_count (self->hits, definition);
    s_pending_t *pending = &self->pending[self->pending_count++];
    snprintf (pending->key, sizeof pending->key, "%s", key);
    pending->view = updated;
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
funnel_handler_apply (void *arg, const sp_consumer_event_t *event, sp_consumer_batch_t *batch,
                      char *error, size_t error_size)
{
    funnel_handler_t *self = arg;
    assert (self && event && event->event && batch);
    self->pending_count = 0;
    size_t before = sp_consumer_batch_commands (batch);
    for (size_t index = 0; index < funnel_catalog_size (self->catalog); index++)
        if (s_apply_funnel (self, index, event, batch, error, error_size) != 0) {
            s_pending_drop (self);
            return -1;
        }
    if (sp_consumer_batch_commands (batch) > before) {
        char clock[FUNNEL_KEYS_SIZE];
        char when[24];
        snprintf (when, sizeof when, "%" PRId64, event->event->occurred_at);
        if (funnel_keys_clock (clock, sizeof clock, event->partition) < 0 ||
            sp_consumer_batch_command (
                batch, 5, (const char *[]){ "ZADD", clock, "GT", when, FUNNEL_KEYS_CLOCK_MEMBER },
                NULL) != 0) {
            s_pending_drop (self);
            sp_error_set (error, error_size, "the atomic step is full");
            return -1;
        }
    }
    for (size_t index = 0; index < self->pending_count; index++) {
        zhashx_update (self->views, self->pending[index].key, self->pending[index].view);
        self->pending[index].view = NULL;
    }
    self->pending_count = 0;
    return 0;
}
