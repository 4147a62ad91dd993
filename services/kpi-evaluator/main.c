/*  kpi-evaluator - entry point.

    kpi-evaluator: evaluates KPI scorecards against decomposed targets, projects pace and warns when a scope falls behind.

    Settings and the shared life of a service: common/service/sp_service.h.
*/
#include "sp_service.h"

static const sp_config_option_t s_options[] = {
    { "http", "SP_HTTP", SP_CONFIG_STRING, "127.0.0.1:9103",
      "listen address of /healthz and /metrics (HOST:PORT, port 0 = any)", 0, 0 },
};

static const sp_service_spec_t s_spec = {
    "kpi-evaluator",
    "evaluates KPI scorecards against decomposed targets, projects pace and warns when a scope falls behind",
    s_options,
    sizeof s_options / sizeof s_options[0],
};

int
main (int argc, char **argv)
{
    return sp_service_main (&s_spec, argc, argv, NULL, NULL);
}
