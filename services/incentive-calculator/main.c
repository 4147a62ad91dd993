/*  incentive-calculator - entry point.

    incentive-calculator: keeps every rep's credits on won deals and their
    cancellations live from the event log; `salesctl statement`, `whatif`
    and `close-period` compute commission statements from them with the
    plans loaded (docs/incentive-calculator.md, docs/incentives.md). The
    work is in incentive_calculator.c; settings and the shared life of a
    service in common/service/sp_service.h.
*/
#include "incentive_calculator.h"
#include "incentive_publisher.h"
#include "sp_consumer.h"

static const sp_config_option_t s_options[] = {
    INCENTIVE_CALCULATOR_OPTIONS,
    INCENTIVE_PUBLISHER_OPTIONS,
    SP_CONSUMER_OPTIONS,
};

static const sp_service_spec_t s_spec = {
    "incentive-calculator",
    "keeps every rep's credits on won deals and their cancellations live from the event log, "
    "for commission statements with line-by-line explanations",
    s_options,
    sizeof s_options / sizeof s_options[0],
};

int
main (int argc, char **argv)
{
    return sp_service_main (&s_spec, argc, argv, incentive_calculator_attach, NULL);
}
