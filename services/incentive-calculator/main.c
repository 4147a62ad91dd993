/*  incentive-calculator - entry point.

    incentive-calculator: computes commission and incentive payouts with line-by-line explanations.

    Settings and the shared life of a service: common/service/sp_service.h.
*/
#include "sp_service.h"

static const sp_config_option_t s_options[] = {
    { "http", "SP_HTTP", SP_CONFIG_STRING, "127.0.0.1:9105",
      "listen address of /healthz and /metrics (HOST:PORT, port 0 = any)", 0, 0 },
};

static const sp_service_spec_t s_spec = {
    "incentive-calculator",
    "computes commission and incentive payouts with line-by-line explanations",
    s_options,
    sizeof s_options / sizeof s_options[0],
};

int
main (int argc, char **argv)
{
    return sp_service_main (&s_spec, argc, argv, NULL, NULL);
}
