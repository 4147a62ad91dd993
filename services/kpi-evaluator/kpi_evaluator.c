/*  kpi_evaluator - the kpi-evaluator service's work (see
    kpi_evaluator.h). */
#include "kpi_evaluator.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_handler.h"
#include "kpi_keys.h"
#include "kpi_notifier.h"
#include "kpi_reference.h"
#include "sp_consumer.h"
#include "sp_consumer_config.h"
#include "sp_log.h"
#include "sp_refdata_watch.h"

#define S_ERROR_SIZE 512

/* Everything the service made, destroyed by the stop hook. */
typedef struct {
    sp_service_t *service;        /* borrowed */
    kpi_reference_t *reference;   /* org and customers the handler uses */
    kpi_handler_t *handler;       /* the consumer's handler for them */
    sp_consumer_t *consumer;      /* applies the log */
    sp_refdata_watch_t *watch;    /* brings new org and customers versions */
    kpi_notifier_t *notifier;     /* pace warnings */
    sp_consumer_config_t *config; /* kpi-evaluator:config, kept */
    const char *currency;         /* borrowed from the settings */
} s_evaluator_t;

static void
s_evaluator_destroy (s_evaluator_t **self_p)
{
    s_evaluator_t *self = *self_p;
    if (!self)
        return;
    sp_refdata_watch_destroy (&self->watch);
    kpi_notifier_destroy (&self->notifier);
    sp_consumer_destroy (&self->consumer);
    kpi_handler_destroy (&self->handler);
    kpi_reference_destroy (&self->reference);
    sp_consumer_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}

static void
s_on_stop (sp_service_t *service, void *arg)
{
    (void) service;
    s_evaluator_t *self = arg;
    s_evaluator_destroy (&self);
}

/* Loads the org and customers with a handler for them. Returns 0 with
   both set, or -1 with the reason (nothing set). */
static int
s_load (s_evaluator_t *self, kpi_reference_t **reference_p, kpi_handler_t **handler_p, char *error,
        size_t error_size)
{
    kpi_reference_t *reference =
        kpi_reference_load (sp_service_pg (self->service),
                            KPI_REFERENCE_ORG | KPI_REFERENCE_CUSTOMERS, error, error_size);
    if (!reference)
        return -1;
    kpi_handler_t *handler =
        kpi_handler_new (kpi_reference_org (reference), kpi_reference_customers (reference),
                         sp_service_time_zone (self->service), self->currency);
    if (!handler) {
        kpi_reference_destroy (&reference);
        snprintf (error, error_size, "out of memory");
        return -1;
    }
    *reference_p = reference;
    *handler_p = handler;
    return 0;
}

/* sp_refdata_watch: a new org or customers version was loaded: the
   consumer rebuilds every partition under it. */
static int
s_on_definitions (void *arg, int64_t revision)
{
    s_evaluator_t *self = arg;
    char error[S_ERROR_SIZE] = "";
    kpi_reference_t *reference = NULL;
    kpi_handler_t *handler = NULL;
    if (s_load (self, &reference, &handler, error, sizeof error) != 0) {
        sp_log_warn ("could not load the new org or customers: keeping the current ones",
                     "revision=%" PRId64 " error=\"%s\"", revision, error);
        return -1;
    }
    int64_t loaded = kpi_reference_revision (reference);
    if (loaded == kpi_reference_revision (self->reference)) {
        kpi_handler_destroy (&handler);
        kpi_reference_destroy (&reference);
        return 0;
    }
    sp_consumer_handler_t consumer_handler = kpi_handler_consumer (handler);
    sp_consumer_revise (self->consumer, loaded, loaded, &consumer_handler,
                        kpi_reference_definitions (reference));
    kpi_notifier_set_revision (self->notifier, loaded);
    kpi_handler_destroy (&self->handler);
    kpi_reference_destroy (&self->reference);
    self->reference = reference;
    self->handler = handler;
    sp_log_info ("counting under a new org or customers version", "revision=%" PRId64, loaded);
    return 0;
}

int
kpi_evaluator_attach (sp_service_t *service, void *arg)
{
    (void) arg;
    const sp_config_t *config = sp_service_config (service);
    const char *currency = sp_config_string (config, "currency"); /* ISO-4217, checked */
    char error[S_ERROR_SIZE] = "";
    s_evaluator_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (error, sizeof error, "out of memory");
        goto out_failed;
    }
    self->service = service;
    self->currency = currency;
    bool rebuilt = false;
    if (s_load (self, &self->reference, &self->handler, error, sizeof error) != 0)
        goto out_failed;
    /* every field of the record is a setting the figures depend on */
    self->config = sp_consumer_config_new (
        service, KPI_KEYS_SERVICE,
        json_pack ("{s:s, s:s, s:s}", "currency", currency, "time_zone",
                   sp_config_string (config, "time-zone"), "format", KPI_KEYS_FORMAT),
        sp_consumer_config_every_field, NULL, &rebuilt, error, sizeof error);
    if (!self->config)
        goto out_failed;
    if (rebuilt)
        sp_log_info ("currency, time zone or state layout changed: rebuilding the KPI state",
                     "currency=%s time_zone=\"%s\"", currency,
                     sp_config_string (config, "time-zone"));
    int64_t revision = kpi_reference_revision (self->reference);
    sp_consumer_settings_t settings;
    sp_consumer_settings_from_config (config, KPI_KEYS_SERVICE, &settings);
    sp_consumer_handler_t handler = kpi_handler_consumer (self->handler);
    self->consumer = sp_consumer_new (service, &settings, &handler, error, sizeof error);
    if (!self->consumer)
        goto out_failed;
    sp_consumer_revise (self->consumer, revision, revision, NULL,
                        kpi_reference_definitions (self->reference));
    self->notifier = kpi_notifier_new (service, settings.partitions, error, sizeof error);
    if (!self->notifier)
        goto out_failed;
    kpi_notifier_set_revision (self->notifier, revision);
    self->watch = sp_refdata_watch_new (service, (const char *const *) kpi_reference_rebuild_kinds,
                                        KPI_REFERENCE_REBUILD_KIND_COUNT, revision,
                                        (int) sp_config_int (config, "definitions-check-ms"),
                                        s_on_definitions, self, error, sizeof error);
    if (!self->watch)
        goto out_failed;
    sp_consumer_on_behind (self->consumer, sp_refdata_watch_behind, self->watch);
    sp_log_info ("counting KPIs", "currency=%s revision=%" PRId64, currency, revision);
    sp_service_on_stop (service, s_on_stop, self);
    return 0;
out_failed:
    sp_log_error ("could not start kpi-evaluator", "error=\"%s\"", error);
    s_evaluator_destroy (&self);
    return -1;
}
