/*  kpi-evaluator - entry point.

    kpi-evaluator: keeps every KPI's actual live per company, region, team
    and rep, per day and month, for the targets, scorecards and pace of
    `salesctl kpi` and `salesctl scorecard` (docs/kpi-evaluator.md). The
    work is in kpi_evaluator.c; settings and the shared life of a service
    in common/service/sp_service.h.
*/
#include "kpi_evaluator.h"
#include "kpi_notifier.h"
#include "sp_consumer.h"
#include "sp_refdata_watch.h"

static const sp_config_option_t s_options[] = {
    KPI_EVALUATOR_OPTIONS,
    KPI_NOTIFIER_OPTIONS,
    SP_CONSUMER_OPTIONS,
    SP_REFDATA_WATCH_OPTIONS,
};

static const sp_service_spec_t s_spec = {
    "kpi-evaluator",
    "keeps KPI actuals live per company, region, team and rep for targets, weighted "
    "scorecards and pace",
    s_options,
    sizeof s_options / sizeof s_options[0],
};

int
main (int argc, char **argv)
{
    return sp_service_main (&s_spec, argc, argv, kpi_evaluator_attach, NULL);
}
