/*  funnel-tracker - entry point.

    funnel-tracker: follows opportunities (or customers) through funnels:
    conversion and drop-off per step, time in step, win rate, weighted
    pipeline, and bottleneck notices when a step's conversion falls below
    its target. The work is in funnel_tracker.c; settings and the shared
    life of a service in common/service/sp_service.h.
*/
#include "funnel_notifier.h"
#include "funnel_tracker.h"
#include "sp_consumer.h"
#include "sp_refdata_watch.h"

static const sp_config_option_t s_options[] = {
    FUNNEL_TRACKER_OPTIONS,
    SP_CONSUMER_OPTIONS,
    FUNNEL_NOTIFIER_OPTIONS,
    SP_REFDATA_WATCH_OPTIONS,
};

static const sp_service_spec_t s_spec = {
    "funnel-tracker",
    "follows opportunities through sales funnels: conversion and drop-off per step, time in "
    "step, win rate, weighted pipeline, bottleneck notices",
    s_options,
    sizeof s_options / sizeof s_options[0],
};

int
main (int argc, char **argv)
{
    return sp_service_main (&s_spec, argc, argv, funnel_tracker_attach, NULL);
}
