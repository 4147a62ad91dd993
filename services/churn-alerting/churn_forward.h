/*  churn_forward - churn alerts as Prometheus Alertmanager takes them.

    Rep managers read alerts by e-mail or chat. Rather than routing,
    grouping, silencing and delivering alerts itself, churn-alerting hands
    every alert identity (customer, rule) that fires, or resolved lately,
    to Alertmanager's API v2 (POST <url>/api/v2/alerts, a JSON array of
    postable alerts); Alertmanager's routes and receivers then serve
    people, while the outbox (churn_alerts) stays the record
    (docs/churn-alerts.md, "Alertmanager").

    This file is the pure part: one postable alert from an alert row
    (churn_forward_alert), the URL it goes to, the timestamps. The
    forwarder (churn_forwarder.h) reads the rows and posts them. No I/O.

        labels       alertname "ChurnAlert", customer, rule, severity,
                     region, team, rep (the owner; left out when not
                     known: Alertmanager drops empty labels anyway)
        annotations  summary, description, score, band, factors,
                     previous_scores, days_since_order,
                     typical_interval_days, fired_day, period, action,
                     alert_seq (those that apply)
        startsAt     when the FIRE of the identity was stored
        endsAt       firing: now + CHURN_FORWARD_ENDS_INTERVALS forwarding
                     intervals (sent again every interval, so it never
                     comes while the service runs); resolved: when the
                     RESOLVE was stored
        generatorURL --alertmanager-generator-url with {customer}
                     replaced by the customer id, percent-encoded (left
                     out when the setting is empty)
*/
#ifndef CHURN_FORWARD_H_INCLUDED
#define CHURN_FORWARD_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_alert.h"
#include "sp_config.h"

/* The alertname label of every churn alert. */
#define CHURN_FORWARD_ALERTNAME "ChurnAlert"

/* Appended to --alertmanager-url. */
#define CHURN_FORWARD_PATH "/api/v2/alerts"

/* What --alertmanager-generator-url's {customer} stands for. */
#define CHURN_FORWARD_CUSTOMER_FIELD "{customer}"

/* A firing alert ends this many forwarding intervals after it was sent
   unless sent again (as Prometheus does): a service stopped for longer
   lets Alertmanager resolve it on its own. */
#define CHURN_FORWARD_ENDS_INTERVALS 4

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" and its NUL. */
#define CHURN_FORWARD_TIME_SIZE 25

/* Room for the POST URL. */
#define CHURN_FORWARD_URL_MAX 2048

/* The forwarder's settings, for main's option table. */
/* clang-format off */
#define CHURN_FORWARD_OPTIONS                                                                      \
    { "alertmanager-url", "SP_CHURN_ALERTMANAGER_URL", SP_CONFIG_STRING, "",                       \
      "Alertmanager to forward firing and resolved churn alerts to, e.g. "                         \
      "http://127.0.0.1:9093 (alerts go to <url>/api/v2/alerts); empty: off", 0, 0 },              \
    { "alertmanager-interval-ms", "SP_CHURN_ALERTMANAGER_INTERVAL_MS", SP_CONFIG_INT, "60000",     \
      "how often every firing (and lately resolved) alert is sent to Alertmanager again, ms; "     \
      "a new alert goes within a second", 1000, 3600000 },                                         \
    { "alertmanager-resolved-ms", "SP_CHURN_ALERTMANAGER_RESOLVED_MS", SP_CONFIG_INT, "3600000",   \
      "how long a resolved alert is still sent to Alertmanager after it resolved, ms", 0,          \
      604800000 },                                                                                 \
    { "alertmanager-generator-url", "SP_CHURN_ALERTMANAGER_GENERATOR_URL", SP_CONFIG_STRING, "",   \
      "link in every alert sent to Alertmanager (generatorURL), {customer} standing for the "      \
      "customer id, e.g. https://crm.example.com/customers/{customer}; empty: none", 0, 0 }
/* clang-format on */

/* Writes base (an http:// or https:// URL, any trailing '/' dropped)
   followed by CHURN_FORWARD_PATH into buffer (size bytes). Returns 0,
   or -1 when base is not such a URL or does not fit (buffer then ""). */
int churn_forward_endpoint (const char *base, char *buffer, size_t size);

/* Writes the UTC instant ms (since 1970) as RFC 3339 with milliseconds,
   "2025-08-18T10:00:00.000Z", into buffer (CHURN_FORWARD_TIME_SIZE
   bytes at least). Returns 0, or -1 when the year is not 0..9999
   (buffer then ""). */
int churn_forward_time (int64_t ms, char *buffer, size_t size);

/* templ with every CHURN_FORWARD_CUSTOMER_FIELD replaced by customer,
   percent-encoded but for RFC 3986's unreserved characters. The caller
   frees it; NULL when out of memory. */
char *churn_forward_generator_url (const char *templ, const char *customer);

/* The postable alert of alert (its identity's latest), whose FIRE was
   stored at fired_at_ms, sent at now_ms with the forwarding interval
   interval_ms (> 0); generator_url NULL or "" leaves generatorURL out.
   NULL when out of memory or a time is out of range. */
json_t *churn_forward_alert (const churn_alert_t *alert, int64_t fired_at_ms, int64_t now_ms,
                             int64_t interval_ms, const char *generator_url);

#endif
