/*  churn_alerting - the churn-alerting service's work (see
    churn_alerting.h). */
#include "churn_alerting.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "churn_forwarder.h"
#include "churn_handler.h"
#include "churn_keys.h"
#include "churn_reference.h"
#include "churn_scorer_actor.h"
#include "sp_consumer.h"
#include "sp_consumer_config.h"
#include "sp_log.h"
#include "sp_refdata_watch.h"

#define S_ERROR_SIZE 512

/* Everything the service made, destroyed by the stop hook. */
typedef struct {
    sp_service_t *service;        /* borrowed */
    churn_reference_t *reference; /* the health model in force */
    churn_handler_t *handler;     /* the consumer's handler */
    sp_consumer_t *consumer;      /* applies the log */
    sp_refdata_watch_t *watch;    /* brings new health model versions */
    churn_scorer_actor_t *scorer; /* scoring and churn alerts, on a thread of its own */
    churn_forwarder_t *forwarder; /* alerts to Alertmanager; NULL when off */
    sp_consumer_config_t *config; /* churn-alerting:config, kept */
    const char *currency;         /* borrowed from the settings */
} s_alerting_t;

static void
s_alerting_destroy (s_alerting_t **self_p)
{
    s_alerting_t *self = *self_p;
    if (!self)
        return;
    churn_forwarder_destroy (&self->forwarder);
    churn_scorer_actor_destroy (&self->scorer);
    sp_refdata_watch_destroy (&self->watch);
    sp_consumer_destroy (&self->consumer);
    churn_handler_destroy (&self->handler);
    churn_reference_destroy (&self->reference);
    sp_consumer_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}

static void
s_on_stop (sp_service_t *service, void *arg)
{
    (void) service;
    s_alerting_t *self = arg;
    s_alerting_destroy (&self);
}

/* sp_refdata_watch: a new health model (or customers document) was
   loaded: the consumer rebuilds every partition under a new model (only
   restamps it for new tiers), and the scorer scores the next periods with
   it once they are (periods scored before keep their scores). */
static int
s_on_definitions (void *arg, int64_t revision)
{
    s_alerting_t *self = arg;
    char error[S_ERROR_SIZE] = "";
    churn_reference_t *reference =
        churn_reference_load (sp_service_pg (self->service), error, sizeof error);
    if (!reference) {
        sp_log_warn ("could not load the new health model: keeping the current one",
                     "revision=%" PRId64 " error=\"%s\"", revision, error);
        return -1;
    }
    int64_t loaded = churn_reference_revision (reference);
    if (loaded == churn_reference_revision (self->reference)) {
        churn_reference_destroy (&reference);
        return 0;
    }
    sp_consumer_revise (self->consumer, loaded, churn_reference_rebuild_revision (reference), NULL,
                        churn_reference_definitions (reference));
    /* the scorer borrows the model: it takes the old one and frees it once
       its thread took the new one */
    churn_scorer_actor_set_reference (self->scorer, reference, &self->reference);
    self->reference = reference;
    sp_log_info ("scoring under a new health model", "revision=%" PRId64 " model=\"%s\"", loaded,
                 churn_model_name (churn_reference_model (reference)));
    return 0;
}

/* churn_handler_day_fn: a partition's watermark entered a new day. */
static void
s_on_day (void *arg, uint32_t partition, int64_t day)
{
    churn_scorer_actor_day_closed ((churn_scorer_actor_t *) arg, partition, day);
}

/* churn_handler_customer_fn: a partition has a new customer. */
static void
s_on_customer (void *arg, uint32_t partition)
{
    churn_scorer_actor_customer_added ((churn_scorer_actor_t *) arg, partition);
}

int
churn_alerting_attach (sp_service_t *service, void *arg)
{
    (void) arg;
    const sp_config_t *config = sp_service_config (service);
    const char *currency = sp_config_string (config, "currency"); /* ISO-4217, checked */
    char error[S_ERROR_SIZE] = "";
    s_alerting_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (error, sizeof error, "out of memory");
        goto out_failed;
    }
    self->service = service;
    self->currency = currency;
    bool rebuilt = false;
    self->reference = churn_reference_load (sp_service_pg (service), error, sizeof error);
    if (!self->reference)
        goto out_failed;
    self->handler = churn_handler_new (sp_service_time_zone (service), currency);
    if (!self->handler) {
        snprintf (error, sizeof error, "out of memory");
        goto out_failed;
    }
    /* every field of the record is a setting the state depends on */
    self->config = sp_consumer_config_new (
        service, CHURN_KEYS_SERVICE,
        json_pack ("{s:s, s:s, s:s}", "currency", currency, "time_zone",
                   sp_config_string (config, "time-zone"), "format", CHURN_KEYS_FORMAT),
        sp_consumer_config_every_field, NULL, &rebuilt, error, sizeof error);
    if (!self->config)
        goto out_failed;
    if (rebuilt)
        sp_log_info ("currency, time zone or state layout changed: rebuilding the health state",
                     "currency=%s time_zone=\"%s\"", currency,
                     sp_config_string (config, "time-zone"));
    int64_t revision = churn_reference_revision (self->reference);
    sp_consumer_settings_t settings;
    sp_consumer_settings_from_config (config, CHURN_KEYS_SERVICE, &settings);
    sp_consumer_handler_t handler = churn_handler_consumer (self->handler);
    self->consumer = sp_consumer_new (service, &settings, &handler, error, sizeof error);
    if (!self->consumer)
        goto out_failed;
    sp_consumer_revise (self->consumer, revision,
                        churn_reference_rebuild_revision (self->reference), NULL,
                        churn_reference_definitions (self->reference));
    self->scorer =
        churn_scorer_actor_new (service, settings.partitions, self->reference, error, sizeof error);
    if (!self->scorer)
        goto out_failed;
    /* a watermark entering a new day closes one: scored at once */
    churn_handler_on_day (self->handler, s_on_day, self->scorer);
    churn_handler_on_customer (self->handler, s_on_customer, self->scorer);
    if (*sp_config_string (config, "alertmanager-url")) {
        self->forwarder = churn_forwarder_new (service, error, sizeof error);
        if (!self->forwarder)
            goto out_failed;
    }
    self->watch = sp_refdata_watch_new (service, (const char *const *) churn_reference_kinds,
                                        CHURN_REFERENCE_KIND_COUNT, revision,
                                        (int) sp_config_int (config, "definitions-check-ms"),
                                        s_on_definitions, self, error, sizeof error);
    if (!self->watch)
        goto out_failed;
    sp_consumer_on_behind (self->consumer, sp_refdata_watch_behind, self->watch);
    sp_log_info ("keeping customer health", "currency=%s revision=%" PRId64 " model=\"%s\"",
                 currency, revision, churn_model_name (churn_reference_model (self->reference)));
    sp_service_on_stop (service, s_on_stop, self);
    return 0;
out_failed:
    sp_log_error ("could not start churn-alerting", "error=\"%s\"", error);
    s_alerting_destroy (&self);
    return -1;
}
