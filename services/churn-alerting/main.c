/*  churn-alerting - entry point.

    churn-alerting: scores customer health and raises churn alerts (firing and resolved) for subscribers.

    Settings and the shared life of a service: common/service/sp_service.h.
*/
#include "sp_service.h"

static const sp_config_option_t s_options[] = {
    { "http", "SP_HTTP", SP_CONFIG_STRING, "127.0.0.1:9104",
      "listen address of /healthz and /metrics (HOST:PORT, port 0 = any)", 0, 0 },
};

static const sp_service_spec_t s_spec = {
    "churn-alerting",
    "scores customer health and raises churn alerts (firing and resolved) for subscribers",
    s_options,
    sizeof s_options / sizeof s_options[0],
};

int
main (int argc, char **argv)
{
    return sp_service_main (&s_spec, argc, argv, NULL, NULL);
}
