/*  churn_forwarder - sends churn alerts to Prometheus Alertmanager (see
    churn_forwarder.h). */
#include "churn_forwarder.h"

#include <assert.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churn_alert_store.h"
#include "sp_backoff.h"
#include "sp_error.h"
#include "sp_log.h"
#include "sp_outbox.h"

#define S_ERROR_SIZE 512

/* Alertmanager's answer kept for an error message, bytes. */
#define S_REPLY_SIZE 256

/* The first retry after a failure, ms (then doubling up to the interval). */
#define S_RETRY_MS 1000

/* HTTP statuses that mean accepted. */
#define S_HTTP_OK_MIN 200
#define S_HTTP_OK_MAX 299

struct _churn_forwarder_t {
    sp_service_t *service;            /* borrowed: the service this runs in */
    zloop_t *loop;                    /* borrowed: its reactor */
    int timer;                        /* the check timer, -1 when none */
    bool curl_ready;                  /* curl_global_init done (cleaned up at destroy) */
    CURL *curl;                       /* one handle, its connection kept */
    struct curl_slist *headers;       /* Content-Type: application/json */
    char url[CHURN_FORWARD_URL_MAX];  /* <url>/api/v2/alerts */
    const char *generator_url;        /* borrowed from the settings; "" none */
    int64_t interval_ms;              /* --alertmanager-interval-ms */
    int64_t resolved_ms;              /* --alertmanager-resolved-ms */
    bool sent;                        /* a send succeeded since the start */
    int64_t head_sent;                /* the stream's head before the last good send */
    int64_t sent_at;                  /* monotonic ms of the last good send */
    int64_t retry_at;                 /* monotonic ms before which none is tried */
    int failures;                     /* failed sends in a row (logged at the first) */
    sp_backoff_t backoff;             /* between failed sends */
    churn_alert_store_latest_t *rows; /* [CHURN_FORWARDER_BATCH], a page */
    char reply[S_REPLY_SIZE];         /* the start of the last answer */
    size_t reply_length;              /* bytes in reply */
    sp_metric_t *forwarded;           /* alerts accepted, by state */
    sp_metric_t *failed;              /* sends that failed */
};

/* CURLOPT_WRITEFUNCTION: keeps the start of the answer. */
static size_t
s_on_reply (char *data, size_t size, size_t count, void *arg)
{
    churn_forwarder_t *self = (churn_forwarder_t *) arg;
    size_t bytes = size * count;
    size_t room = sizeof self->reply - 1 - self->reply_length;
    size_t kept = bytes < room ? bytes : room;
    memcpy (self->reply + self->reply_length, data, kept);
    self->reply_length += kept;
    self->reply[self->reply_length] = '\0';
    return bytes;
}

/* POSTs body; 0 when Alertmanager accepted it, else -1 with the reason. */
static int
s_post (churn_forwarder_t *self, const char *body, char *error, size_t error_size)
{
    char curl_error[CURL_ERROR_SIZE] = "";
    self->reply_length = 0;
    self->reply[0] = '\0';
    curl_easy_setopt (self->curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt (self->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt (self->curl, CURLOPT_POSTFIELDSIZE, (long) strlen (body));
    CURLcode code = curl_easy_perform (self->curl);
    curl_easy_setopt (self->curl, CURLOPT_ERRORBUFFER, NULL);
    if (code != CURLE_OK) {
        sp_error_set (error, error_size, "%s",
                      *curl_error ? curl_error : curl_easy_strerror (code));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < S_HTTP_OK_MIN || status > S_HTTP_OK_MAX) {
        char quoted[S_REPLY_SIZE + 16];
        sp_error_quote (self->reply, quoted, sizeof quoted);
        sp_error_set (error, error_size, "status %ld: \"%s\"", status, quoted);
        return -1;
    }
    return 0;
}

int
churn_forwarder_send (churn_forwarder_t *self, char *error, size_t error_size)
{
    assert (self);
    sp_pg_t *pg = sp_service_pg (self->service);
    int64_t after = 0, firing = 0, resolved = 0;
    for (;;) {
        size_t count = 0;
        if (churn_alert_store_forwardable (pg, after, self->resolved_ms, CHURN_FORWARDER_BATCH,
                                           self->rows, &count, error, error_size) != 0)
            return -1;
        if (count == 0)
            break;
        int64_t now_ms = zclock_time ();
        json_t *alerts = json_array ();
        int64_t page_firing = 0;
        for (size_t index = 0; alerts && index < count; index++) {
            const churn_alert_store_latest_t *row = &self->rows[index];
            json_t *alert = churn_forward_alert (&row->alert, row->fired_at_ms, now_ms,
                                                 self->interval_ms, self->generator_url);
            if (!alert || json_array_append_new (alerts, alert) != 0) {
                json_decref (alerts);
                alerts = NULL;
            }
            if (churn_alert_state (row->alert.action) == CHURN_ALERT_FIRING)
                page_firing++;
        }
        char *body = alerts ? json_dumps (alerts, JSON_COMPACT) : NULL;
        json_decref (alerts);
        if (!body) {
            sp_error_set (error, error_size,
                          "could not make the alerts of alert_seq %" PRId64 "..%" PRId64
                          ": out of memory or a time out of range",
                          self->rows[0].alert.sequence, self->rows[count - 1].alert.sequence);
            return -1;
        }
        int posted = s_post (self, body, error, error_size);
        free (body);
        if (posted != 0)
            return -1;
        sp_metric_add (self->forwarded, (const char *[]){ "firing" }, (double) page_firing);
        sp_metric_add (self->forwarded, (const char *[]){ "resolved" },
                       (double) ((int64_t) count - page_firing));
        firing += page_firing;
        resolved += (int64_t) count - page_firing;
        after = self->rows[count - 1].alert.sequence;
        if (count < CHURN_FORWARDER_BATCH)
            break;
    }
    sp_log_debug ("churn alerts sent to alertmanager", "firing=%" PRId64 " resolved=%" PRId64,
                  firing, resolved);
    return (int) (firing + resolved);
}

/* The check timer: sends when the stream's head moved since the last
   good send or the interval passed, unless backing off. */
static int
s_on_check (zloop_t *loop, int timer, void *arg)
{
    (void) loop;
    (void) timer;
    churn_forwarder_t *self = (churn_forwarder_t *) arg;
    int64_t now = zclock_mono ();
    if (now < self->retry_at)
        return 0;
    char error[S_ERROR_SIZE] = "";
    int64_t head = 0;
    int sent = -1;
    if (sp_outbox_head (sp_service_pg (self->service), CHURN_ALERT_STORE_STREAM, &head, error,
                        sizeof error) == 0) {
        if (self->sent && head == self->head_sent && now - self->sent_at < self->interval_ms)
            return 0;
        sent = churn_forwarder_send (self, error, sizeof error);
    }
    if (sent < 0) {
        sp_metric_add (self->failed, NULL, 1);
        if (self->failures == 0)
            sp_log_warn ("could not send churn alerts to alertmanager: trying again",
                         "url=\"%s\" error=\"%s\"", self->url, error);
        int64_t delay =
            sp_backoff_delay_ms (&self->backoff, self->failures < 30 ? self->failures : 30);
        self->failures++;
        self->retry_at = now + delay;
        return 0;
    }
    if (self->failures > 0)
        sp_log_info ("sending churn alerts to alertmanager again",
                     "url=\"%s\" failures=%d alerts=%d", self->url, self->failures, sent);
    self->failures = 0;
    self->sent = true;
    self->head_sent = head;
    self->sent_at = now;
    return 0;
}

churn_forwarder_t *
churn_forwarder_new (sp_service_t *service, char *error, size_t error_size)
{
    assert (service);
    const sp_config_t *config = sp_service_config (service);
    const char *base = sp_config_string (config, "alertmanager-url");
    assert (base && *base);
    churn_forwarder_t *self = (churn_forwarder_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->service = service;
    self->timer = -1;
    if (churn_forward_endpoint (base, self->url, sizeof self->url) != 0) {
        char quoted[128];
        sp_error_quote (base, quoted, sizeof quoted);
        sp_error_set (error, error_size,
                      "invalid --alertmanager-url \"%s\": use http://HOST:PORT or https://...",
                      quoted);
        goto out_destroy;
    }
    self->generator_url = sp_config_string (config, "alertmanager-generator-url");
    if (!self->generator_url)
        self->generator_url = "";
    self->interval_ms = sp_config_int (config, "alertmanager-interval-ms");
    self->resolved_ms = sp_config_int (config, "alertmanager-resolved-ms");
    sp_backoff_init (&self->backoff, S_RETRY_MS, self->interval_ms);
    self->rows = calloc (CHURN_FORWARDER_BATCH, sizeof *self->rows);
    if (!self->rows) {
        sp_error_set (error, error_size, "out of memory");
        goto out_destroy;
    }
    self->curl_ready = curl_global_init (CURL_GLOBAL_DEFAULT) == CURLE_OK;
    self->curl = self->curl_ready ? curl_easy_init () : NULL;
    self->headers = curl_slist_append (NULL, "Content-Type: application/json");
    if (!self->curl_ready || !self->curl || !self->headers) {
        sp_error_set (error, error_size, "could not set up libcurl");
        goto out_destroy;
    }
    bool set = curl_easy_setopt (self->curl, CURLOPT_URL, self->url) == CURLE_OK &&
               curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, self->headers) == CURLE_OK &&
               curl_easy_setopt (self->curl, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
               curl_easy_setopt (self->curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
               curl_easy_setopt (self->curl, CURLOPT_CONNECTTIMEOUT_MS,
                                 (long) CHURN_FORWARDER_CONNECT_MS) == CURLE_OK &&
               curl_easy_setopt (self->curl, CURLOPT_TIMEOUT_MS,
                                 (long) CHURN_FORWARDER_TIMEOUT_MS) == CURLE_OK &&
               curl_easy_setopt (self->curl, CURLOPT_WRITEFUNCTION, s_on_reply) == CURLE_OK &&
               curl_easy_setopt (self->curl, CURLOPT_WRITEDATA, self) == CURLE_OK;
    if (!set) {
        sp_error_set (error, error_size, "could not set up libcurl");
        goto out_destroy;
    }
    sp_metrics_t *metrics = sp_service_metrics (service);
    self->forwarded =
        sp_metrics_counter (metrics, "salespulse_churn_alertmanager_forwarded_total",
                            "churn alerts alertmanager accepted, by state (every resend counts)",
                            (const char *[]){ "state" }, 1);
    self->failed =
        sp_metrics_counter (metrics, "salespulse_churn_alertmanager_failures_total",
                            "sends of churn alerts to alertmanager that failed", NULL, 0);
    if (!self->forwarded || !self->failed) {
        sp_error_set (error, error_size, "could not register the forwarder's metrics");
        goto out_destroy;
    }
    self->loop = sp_service_loop (service);
    self->timer = zloop_timer (self->loop, CHURN_FORWARDER_CHECK_MS, 0, s_on_check, self);
    if (self->timer == -1) {
        sp_error_set (error, error_size, "could not add the alertmanager timer");
        goto out_destroy;
    }
    sp_log_info ("sending churn alerts to alertmanager",
                 "url=\"%s\" interval_ms=%" PRId64 " resolved_ms=%" PRId64, self->url,
                 self->interval_ms, self->resolved_ms);
    return self;

out_destroy:
    churn_forwarder_destroy (&self);
    return NULL;
}

void
churn_forwarder_destroy (churn_forwarder_t **self_p)
{
    assert (self_p);
    churn_forwarder_t *self = *self_p;
    if (!self)
        return;
    if (self->loop && self->timer != -1)
        zloop_timer_end (self->loop, self->timer);
    if (self->curl)
        curl_easy_cleanup (self->curl);
    curl_slist_free_all (self->headers);
    if (self->curl_ready)
        curl_global_cleanup ();
    free (self->rows);
    free (self);
    *self_p = NULL;
}
