/*  incentive_calculator - the incentive-calculator service's work: applies
    the event log exactly once through the consumer kit with
    incentive_handler, and records its settings (currency, time zone,
    state layout) in incentive-calculator:config, which `salesctl
    statement`, `whatif` and `close-period` read to cut periods as the
    service does (docs/incentive-calculator.md).
*/
#ifndef INCENTIVE_CALCULATOR_H_INCLUDED
#define INCENTIVE_CALCULATOR_H_INCLUDED

#include "sp_service.h"

/* The service's own settings, before SP_CONSUMER_OPTIONS. */
#define INCENTIVE_CALCULATOR_OPTIONS                                                               \
    { "http",                                                                                      \
      "SP_HTTP",                                                                                   \
      SP_CONFIG_STRING,                                                                            \
      "127.0.0.1:9105",                                                                            \
      "listen address of /healthz and /metrics (HOST:PORT, port 0 = any)",                         \
      0,                                                                                           \
      0 },                                                                                         \
    {                                                                                              \
        "currency", "SP_INCENTIVE_CURRENCY", SP_CONFIG_CURRENCY, "USD",                            \
            "payout currency: plans in it pay on deals in it; deals in other currencies are "      \
            "listed "                                                                              \
            "on statements as not credited",                                                       \
            0, 0                                                                                   \
    }

/* sp_service_attach_fn: creates the consumer and the config record. */
int incentive_calculator_attach (sp_service_t *service, void *arg);

#endif
