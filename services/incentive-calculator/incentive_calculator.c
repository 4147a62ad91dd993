/*  incentive_calculator - the incentive-calculator service's work (see
    incentive_calculator.h). */
#include "incentive_calculator.h"

#include <jansson.h>
#include <stdlib.h>

#include "incentive_handler.h"
#include "incentive_keys.h"
#include "incentive_publisher.h"
#include "sp_consumer.h"
#include "sp_consumer_config.h"
#include "sp_log.h"

#define S_ERROR_SIZE 512

/* Everything the service made, destroyed by the stop hook. */
typedef struct {
    sp_consumer_t *consumer;          /* applies the log */
    sp_consumer_config_t *config;     /* incentive-calculator:config, kept */
    incentive_publisher_t *publisher; /* closed statements, published */
} s_calculator_t;

static void
s_calculator_destroy (s_calculator_t **self_p)
{
    s_calculator_t *self = *self_p;
    if (!self)
        return;
    incentive_publisher_destroy (&self->publisher);
    sp_consumer_destroy (&self->consumer);
    sp_consumer_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}

static void
s_on_stop (sp_service_t *service, void *arg)
{
    (void) service;
    s_calculator_t *self = arg;
    s_calculator_destroy (&self);
}

int
incentive_calculator_attach (sp_service_t *service, void *arg)
{
    (void) arg;
    const sp_config_t *config = sp_service_config (service);
    const char *currency = sp_config_string (config, "currency"); /* ISO-4217, checked */
    char error[S_ERROR_SIZE] = "";
    bool rebuilt = false;
    s_calculator_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (error, sizeof error, "out of memory");
        goto out_failed;
    }
    /* the records keep raw credits: only their layout needs a rebuild;
       currency and time zone are read by the queries */
    self->config = sp_consumer_config_new (
        service, INCENTIVE_KEYS_SERVICE,
        json_pack ("{s:s, s:s, s:s}", "currency", currency, "time_zone",
                   sp_config_string (config, "time-zone"), "format", INCENTIVE_KEYS_FORMAT),
        sp_consumer_config_every_field, NULL, &rebuilt, error, sizeof error);
    if (!self->config)
        goto out_failed;
    if (rebuilt)
        sp_log_info ("currency, time zone or state layout changed: rebuilding the credits",
                     "currency=%s", currency);
    sp_consumer_settings_t settings;
    sp_consumer_settings_from_config (config, INCENTIVE_KEYS_SERVICE, &settings);
    sp_consumer_handler_t handler = incentive_handler_consumer ();
    self->consumer = sp_consumer_new (service, &settings, &handler, error, sizeof error);
    if (!self->consumer)
        goto out_failed;
    self->publisher = incentive_publisher_new (service, error, sizeof error);
    if (!self->publisher)
        goto out_failed;
    sp_log_info ("keeping commission credits", "currency=%s statements=\"%s\"", currency,
                 incentive_publisher_endpoint (self->publisher));
    sp_service_on_stop (service, s_on_stop, self);
    return 0;
out_failed:
    sp_log_error ("could not start incentive-calculator", "error=\"%s\"", error);
    s_calculator_destroy (&self);
    return -1;
}
