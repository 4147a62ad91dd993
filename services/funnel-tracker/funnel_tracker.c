/*  funnel_tracker - the funnel-tracker service's work (see
    funnel_tracker.h). */
#include "funnel_tracker.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "funnel_catalog.h"
#include "funnel_handler.h"
#include "funnel_keys.h"
#include "funnel_notifier.h"
#include "sp_consumer.h"
#include "sp_consumer_config.h"
#include "sp_log.h"
#include "sp_refdata_watch.h"

#define S_ERROR_SIZE 512

/* Everything the service made, destroyed by the stop hook. */
typedef struct {
    sp_service_t *service;        /* borrowed */
    funnel_catalog_t *catalog;    /* the funnels counted */
    funnel_handler_t *handler;    /* the consumer's handler for catalog */
    sp_consumer_t *consumer;      /* applies the log */
    funnel_notifier_t *notifier;  /* bottleneck notices */
    sp_refdata_watch_t *watch;    /* brings newly loaded funnel versions */
    sp_consumer_config_t *config; /* funnel-tracker:config, kept */
    const char *currency;         /* reporting currency, borrowed from the settings */
    const char *time_zone;        /* borrowed from the settings */
} s_tracker_t;

static void
s_tracker_destroy (s_tracker_t **self_p)
{
    s_tracker_t *self = *self_p;
    if (!self)
        return;
    sp_refdata_watch_destroy (&self->watch);
    funnel_notifier_destroy (&self->notifier);
    sp_consumer_destroy (&self->consumer);
    funnel_handler_destroy (&self->handler);
    funnel_catalog_destroy (&self->catalog);
    sp_consumer_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}

static void
s_on_stop (sp_service_t *service, void *arg)
{
    (void) service;
    s_tracker_t *self = arg;
    s_tracker_destroy (&self);
}

/* The fields funnel-tracker:config must hold for this catalog, as a JSON
   object field -> text (funnels, funnel:F, version:F, currency, time_zone). */
static json_t *
s_wanted_config (const funnel_catalog_t *catalog, const char *currency, const char *time_zone)
{
    json_t *fields = json_object ();
    json_t *names = json_array ();
    if (!fields || !names)
        goto out_of_memory;
    for (size_t index = 0; index < funnel_catalog_size (catalog); index++) {
        const funnel_definition_t *definition = funnel_catalog_definition (catalog, index);
        const char *name = funnel_definition_name (definition);
        char field[FUNNEL_DEFINITION_NAME_MAX + 16];
        char *canonical = funnel_definition_to_json (definition);
        if (!canonical)
            goto out_of_memory;
        snprintf (field, sizeof field, "funnel:%s", name);
        json_object_set_new (fields, field, json_string (canonical));
        free (canonical);
        snprintf (field, sizeof field, "version:%s", name);
        char version[24];
        snprintf (version, sizeof version, "%lld",
                  (long long) funnel_catalog_version (catalog, index));
        json_object_set_new (fields, field, json_string (version));
        json_array_append_new (names, json_string (name));
    }
    char *list = json_dumps (names, JSON_COMPACT);
    if (!list)
        goto out_of_memory;
    json_object_set_new (fields, "funnels", json_string (list));
    free (list);
    json_object_set_new (fields, "currency", json_string (currency));
    json_object_set_new (fields, "time_zone", json_string (time_zone));
    json_decref (names);
    return fields;
out_of_memory:
    json_decref (names);
    json_decref (fields);
    return NULL;
}

/* Fields whose change makes every figure wrong: the currency, the time
   zone, and with the built-in default funnel (revision 0 in every build)
   its text, which a new build may change. Loaded definitions need no
   such request: the state is stamped with their revision
   (sp_consumer_revise). */
static bool
s_needs_rebuild (const char *field, void *arg)
{
    bool builtin = *(const bool *) arg;
    return strcmp (field, "currency") == 0 || strcmp (field, "time_zone") == 0 ||
           (builtin && strncmp (field, "funnel:", strlen ("funnel:")) == 0);
}

/* What the instance counts with, for `salesctl status` and `salesctl
   definitions`: {"funnel": {"<name>": version, ...}}. */
static json_t *
s_definitions (const funnel_catalog_t *catalog)
{
    json_t *versions = json_object ();
    for (size_t index = 0; versions && index < funnel_catalog_size (catalog); index++)
        json_object_set_new (versions,
                             funnel_definition_name (funnel_catalog_definition (catalog, index)),
                             json_integer ((json_int_t) funnel_catalog_version (catalog, index)));
    return versions ? json_pack ("{s:o}", funnel_catalog_kind.kind, versions) : NULL;
}

/* Loads the funnels from PostgreSQL with a handler for them. Returns 0
   with both set, or -1 with the reason (nothing set). */
static int
s_load (s_tracker_t *self, funnel_catalog_t **catalog_p, funnel_handler_t **handler_p,
        json_t **config_p, char *error, size_t error_size)
{
    funnel_catalog_t *catalog = funnel_catalog_new ();
    if (!catalog) {
        snprintf (error, error_size, "out of memory");
        return -1;
    }
    if (funnel_catalog_load (catalog, sp_service_pg (self->service), error, error_size) != 0)
        goto out_destroy_catalog;
    json_t *config = s_wanted_config (catalog, self->currency, self->time_zone);
    if (!config) {
        snprintf (error, error_size, "out of memory");
        goto out_destroy_catalog;
    }
    funnel_handler_t *handler =
        funnel_handler_new (catalog, sp_service_time_zone (self->service), self->currency,
                            sp_service_metrics (self->service), error, error_size);
    if (!handler) {
        json_decref (config);
        goto out_destroy_catalog;
    }
    *catalog_p = catalog;
    *handler_p = handler;
    *config_p = config;
    return 0;
out_destroy_catalog:
    funnel_catalog_destroy (&catalog);
    return -1;
}

/* sp_refdata_watch: a new funnel version was loaded. Counts with the
   funnels from now on: the consumer rebuilds every partition under them,
   the notifier waits for that, queries read the new config record. */
static int
s_on_definitions (void *arg, int64_t revision)
{
    s_tracker_t *self = arg;
    char error[S_ERROR_SIZE] = "";
    funnel_catalog_t *catalog = NULL;
    funnel_handler_t *handler = NULL;
    json_t *config = NULL;
    if (s_load (self, &catalog, &handler, &config, error, sizeof error) != 0) {
        sp_log_warn ("could not load the new funnel definitions: keeping the current ones",
                     "revision=%" PRId64 " error=\"%s\"", revision, error);
        return -1;
    }
    int64_t loaded = funnel_catalog_revision (catalog);
    if (loaded == funnel_catalog_revision (self->catalog)) {
        funnel_handler_destroy (&handler);
        funnel_catalog_destroy (&catalog);
        json_decref (config);
        return 0;
    }
    const char *funnels = json_string_value (json_object_get (config, "funnels"));
    sp_log_info ("counting new funnel definitions", "revision=%" PRId64 " funnels=%s", loaded,
                 funnels);
    if (sp_consumer_config_set (self->config, config, error, sizeof error) != 0)
        sp_log_warn ("could not record the new funnel definitions in funnel-tracker:config",
                     "error=\"%s\"", error); /* its timer writes it when missing */
    sp_consumer_handler_t consumer_handler = funnel_handler_consumer (handler);
    sp_consumer_revise (self->consumer, loaded, loaded, &consumer_handler, s_definitions (catalog));
    funnel_notifier_set_catalog (self->notifier, catalog, loaded);
    funnel_handler_destroy (&self->handler);
    funnel_catalog_destroy (&self->catalog);
    self->catalog = catalog;
    self->handler = handler;
    return 0;
}

int
funnel_tracker_attach (sp_service_t *service, void *arg)
{
    (void) arg;
    const sp_config_t *config = sp_service_config (service);
    const char *currency = sp_config_string (config, "currency"); /* ISO-4217, checked */
    char error[S_ERROR_SIZE] = "";
    s_tracker_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (error, sizeof error, "out of memory");
        goto out_failed;
    }
    self->service = service;
    self->currency = currency;
    self->time_zone = sp_config_string (config, "time-zone");
    json_t *fields = NULL;
    if (s_load (self, &self->catalog, &self->handler, &fields, error, sizeof error) != 0)
        goto out_failed;
    bool builtin = funnel_catalog_revision (self->catalog) == 0;
    bool rebuilt = false;
    self->config = sp_consumer_config_new (service, FUNNEL_KEYS_SERVICE, fields, s_needs_rebuild,
                                           &builtin, &rebuilt, error, sizeof error);
    if (!self->config)
        goto out_failed;
    if (rebuilt)
        sp_log_info ("currency, time zone or built-in funnel changed: rebuilding the funnel state",
                     "currency=%s time_zone=\"%s\"", currency, self->time_zone);
    int64_t revision = funnel_catalog_revision (self->catalog);
    sp_log_info (
        "counting funnels", "funnels=%s currency=%s revision=%" PRId64,
        json_string_value (json_object_get (sp_consumer_config_fields (self->config), "funnels")),
        currency, revision);
    sp_consumer_settings_t settings;
    sp_consumer_settings_from_config (config, FUNNEL_KEYS_SERVICE, &settings);
    sp_consumer_handler_t handler = funnel_handler_consumer (self->handler);
    self->consumer = sp_consumer_new (service, &settings, &handler, error, sizeof error);
    if (!self->consumer)
        goto out_failed;
    sp_consumer_revise (self->consumer, revision, revision, NULL, s_definitions (self->catalog));
    self->notifier =
        funnel_notifier_new (service, self->catalog, settings.partitions, error, sizeof error);
    if (!self->notifier)
        goto out_failed;
    funnel_notifier_set_catalog (self->notifier, self->catalog, revision);
    self->watch =
        sp_refdata_watch_new (service, (const char *[]){ funnel_catalog_kind.kind }, 1, revision,
                              (int) sp_config_int (config, "definitions-check-ms"),
                              s_on_definitions, self, error, sizeof error);
    if (!self->watch)
        goto out_failed;
    sp_consumer_on_behind (self->consumer, sp_refdata_watch_behind, self->watch);
    sp_service_on_stop (service, s_on_stop, self);
    return 0;
out_failed:
    sp_log_error ("could not start funnel-tracker", "error=\"%s\"", error);
    s_tracker_destroy (&self);
    return -1;
}
