/*  kpi_evaluator - the kpi-evaluator service's work: applies the event
    log through the consumer kit with kpi_handler, under the org chart and
    customer tiers loaded with `salesctl load` (a new version reaches
    every instance within seconds and rebuilds the state from the log),
    and records the settings the state is built with in
    "kpi-evaluator:config" for the queries.
*/
#ifndef KPI_EVALUATOR_H_INCLUDED
#define KPI_EVALUATOR_H_INCLUDED

#include "sp_service.h"

/* Its own settings, for main's option table. */
#define KPI_EVALUATOR_OPTIONS                                                                      \
    { "http", "SP_HTTP", SP_CONFIG_STRING, "127.0.0.1:9103",                                      \
      "listen address of /healthz and /metrics (HOST:PORT, port 0 = any)", 0, 0 },                \
    {                                                                                              \
        "currency", "SP_KPI_CURRENCY", SP_CONFIG_CURRENCY, "USD",                                    \
            "reporting currency: amounts in it are summed, others counted apart", 0, 0             \
    }

/* sp_service_main's attach function. */
int kpi_evaluator_attach (sp_service_t *service, void *arg);

#endif
