/*  churn_forwarder - sends churn alerts to Prometheus Alertmanager.

    When --alertmanager-url is set, a timer on the service's reactor
    (every CHURN_FORWARDER_CHECK_MS) reads the head of the outbox stream
    "churn-alerts" and, when it moved since the last send or
    --alertmanager-interval-ms passed, POSTs to <url>/api/v2/alerts
    (churn_forward.h) the latest alert of every identity firing now and of
    every identity resolved within --alertmanager-resolved-ms, read from
    PostgreSQL (churn_alert_store_forwardable) in pages of
    CHURN_FORWARDER_BATCH alerts, one POST a page.

    Stateless: nothing is remembered but the head last sent. Alertmanager
    keeps alerts in memory only, so after its restart (or a failed POST)
    the next send gives it the whole firing set again; a new alert goes
    within a second of its commit, from whichever instance sees it first
    (every instance sends: Alertmanager merges what it receives by the
    labels). A failed send is logged once until one succeeds, counted, and
    tried again after a backoff (1 s doubling, at most the interval).

    The POST runs on the reactor's thread with a connect timeout of
    CHURN_FORWARDER_CONNECT_MS and a whole-request timeout of
    CHURN_FORWARDER_TIMEOUT_MS: an Alertmanager that does not answer holds
    the reactor up to that long per attempt (the backoff spaces them).

    Metrics: salespulse_churn_alertmanager_forwarded_total{state} (alerts
    Alertmanager accepted, resends included) and
    salespulse_churn_alertmanager_failures_total (sends that failed).

    The only file that includes curl.h.
*/
#ifndef CHURN_FORWARDER_H_INCLUDED
#define CHURN_FORWARDER_H_INCLUDED

#include <stddef.h>

#include "churn_forward.h"
#include "sp_service.h"

/* How often the stream's head is read for new alerts, ms. */
#define CHURN_FORWARDER_CHECK_MS 1000

/* Alerts in one POST (one page of PostgreSQL rows). */
#define CHURN_FORWARDER_BATCH 500

/* Connect and whole-request timeouts of a POST, ms. */
#define CHURN_FORWARDER_CONNECT_MS 2000
#define CHURN_FORWARDER_TIMEOUT_MS 5000

typedef struct _churn_forwarder_t churn_forwarder_t;

/* Creates the forwarder on a started service whose --alertmanager-url
   is set (asserted): checks the URL, registers the metrics, adds the
   timer. The first send is at the first check. Returns NULL with the
   reason in error. */
churn_forwarder_t *churn_forwarder_new (sp_service_t *service, char *error, size_t error_size);

/* Removes the timer, frees; no-op on NULL; sets *self_p to NULL. */
void churn_forwarder_destroy (churn_forwarder_t **self_p);

/* Sends every firing and lately resolved alert now. Returns the alerts
   sent, or -1 with the reason (logged by the timer, not here). */
int churn_forwarder_send (churn_forwarder_t *self, char *error, size_t error_size);

#endif
