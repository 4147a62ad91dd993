/*  churn-alerting - entry point.

    churn-alerting: keeps every customer's health state live from the
    event log (orders, returns, payments, visits, calls, demos,
    complaints, surveys) for the health score of `salesctl health`
    (docs/churn-alerting.md, docs/health-model.md). The work is in
    churn_alerting.c; settings and the shared life of a service in
    common/service/sp_service.h.
*/
#include "churn_alerting.h"
#include "churn_forward.h"
#include "churn_scorer.h"
#include "sp_consumer.h"
#include "sp_refdata_watch.h"

static const sp_config_option_t s_options[] = {
    CHURN_ALERTING_OPTIONS,
    CHURN_SCORER_OPTIONS,
    CHURN_FORWARD_OPTIONS,
    SP_CONSUMER_OPTIONS,
    SP_REFDATA_WATCH_OPTIONS,
};

static const sp_service_spec_t s_spec = {
    "churn-alerting",
    "keeps every customer's health state live from the event log, scores it every period, "
    "publishes churn alerts and forwards them to Alertmanager",
    s_options,
    sizeof s_options / sizeof s_options[0],
};

int
main (int argc, char **argv)
{
    return sp_service_main (&s_spec, argc, argv, churn_alerting_attach, NULL);
}
