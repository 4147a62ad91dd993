/*  churn_alerting - the churn-alerting service's work: applies the event
    log through the consumer kit with churn_handler, keeping each
    customer's health state in Redis (docs/churn-alerting.md), under the
    health model loaded with `salesctl load health` (a new version reaches
    every instance within seconds and rebuilds the state from the log),
    and records the settings the state is built with in
    "churn-alerting:config" for the queries (`salesctl health`).
*/
#ifndef CHURN_ALERTING_H_INCLUDED
#define CHURN_ALERTING_H_INCLUDED

#include "sp_service.h"

/* Its own settings, for main's option table. */
#define CHURN_ALERTING_OPTIONS                                                                     \
    { "http",                                                                                      \
      "SP_HTTP",                                                                                   \
      SP_CONFIG_STRING,                                                                            \
      "127.0.0.1:9104",                                                                            \
      "listen address of /healthz and /metrics (HOST:PORT, port 0 = any)",                         \
      0,                                                                                           \
      0 },                                                                                         \
    {                                                                                              \
        "currency", "SP_CHURN_CURRENCY", SP_CONFIG_CURRENCY, "USD",                                  \
            "reporting currency: order and payment amounts in it count in the health "             \
            "measures, others count as events only",                                               \
            0, 0                                                                                   \
    }

/* sp_service_main's attach function. */
int churn_alerting_attach (sp_service_t *service, void *arg);

#endif
