/*  funnel_tracker - the funnel-tracker service's work on the shared
    service life (sp_service): the funnels it counts, the consumer that
    applies the event log to them, and the bottleneck notifier.

    At start (funnel_tracker_attach, sp_service_main's attach function):
      1. reads the funnels (funnel_catalog: the latest version of each
         loaded funnel, or the built-in default) and their revision;
      2. records what the results are counted with in the
         funnel-tracker:config hash (funnels, their canonical definitions
         and versions, the reporting currency, the time zone), so queries
         explain the numbers they show; when the currency or the time
         zone differ from what the state in Redis was built with, it asks
         for a rebuild (the consumer's rebuild epoch);
      3. starts the consumer with funnel_handler under the funnels'
         revision, the notifier, and a watcher of the "funnel" reference
         data (sp_refdata_watch).
    When a new funnel version is loaded, the watcher hands it over within
    seconds: a new catalog and handler, the config record rewritten, and
    the consumer revised (sp_consumer_revise), which rebuilds every
    partition from the log under the new revision before it applies
    another event. No restart. On SIGTERM the stop hook releases the
    leases and frees everything.
*/
#ifndef FUNNEL_TRACKER_H_INCLUDED
#define FUNNEL_TRACKER_H_INCLUDED

#include "sp_service.h"

/* The service's own settings besides the consumer's and the notifier's. */
#define FUNNEL_TRACKER_OPTIONS                                                                     \
    { "http", "SP_HTTP", SP_CONFIG_STRING, "127.0.0.1:9102",                                       \
      "listen address of /healthz and /metrics (HOST:PORT, port 0 = any)", 0, 0 },                 \
    { "currency", "SP_FUNNEL_CURRENCY", SP_CONFIG_CURRENCY, "USD",                                   \
      "reporting currency (ISO-4217): amounts in it are summed; others are only counted", 0, 0 }

/* Attaches funnel-tracker to a started service. Returns 0, or -1 after
   logging why. */
int funnel_tracker_attach (sp_service_t *service, void *arg);

#endif
