/*  sp_refdata_watch - live reference data for a running service (see
    sp_refdata_watch.h). */
#include "sp_refdata_watch.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_log.h"
#include "sp_refdata.h"

#define S_APPLICATION_SUFFIX " definitions" /* application_name of the session */
#define S_APPLICATION_SIZE 96
#define S_CONNECT_TIMEOUT_S 2 /* one attempt, short: the reactor waits */
#define S_LISTEN_SQL "LISTEN " SP_REFDATA_CHANNEL

struct _sp_refdata_watch_t {
    zloop_t *loop;                                          /* borrowed from the service */
    sp_pg_t *pg;                                            /* the listening session */
    char kinds[SP_REFDATA_KINDS_MAX][SP_REFDATA_KIND_SIZE]; /* watched kinds */
    const char *kind_list[SP_REFDATA_KINDS_MAX];            /* pointers into kinds */
    size_t count;                                           /* kinds used */
    int64_t revision;                                       /* in use */
    unsigned listening_on;       /* sp_pg_connect_count when LISTEN last succeeded, 0 never */
    bool check_pending;          /* a notification or a request asks for a check */
    const char *pending_trigger; /* why, for the metric */
    sp_refdata_watch_fn *changed;
    void *arg;
    int drain_timer;             /* -1 when none */
    int check_timer;             /* -1 when none */
    sp_metric_t *revision_gauge; /* may be NULL */
    sp_metric_t *changes;
    sp_metric_t *checks;
};

/* Reads the revision and, when it moved, hands it to the service. */
static void
s_check (sp_refdata_watch_t *self, const char *trigger)
{
    if (self->checks)
        sp_metric_add (self->checks, (const char *[]){ trigger }, 1);
    char error[SP_REFDATA_ERROR_SIZE];
    int64_t revision = 0;
    if (sp_refdata_revision (self->pg, self->kind_list, self->count, &revision, error,
                             sizeof error) != 0) {
        sp_log_warn ("could not check the reference data revision", "trigger=%s error=\"%s\"",
                     trigger, error);
        return;
    }
    self->check_pending = false;
    if (revision == self->revision)
        return;
    sp_log_info ("reference data changed: taking the new versions",
                 "trigger=%s revision=%" PRId64 " previous=%" PRId64, trigger, revision,
                 self->revision);
    if (self->changed (self->arg, revision) != 0)
        return;
    self->revision = revision;
    if (self->revision_gauge)
        sp_metric_set (self->revision_gauge, NULL, (double) revision);
    if (self->changes)
        sp_metric_add (self->changes, NULL, 1);
}

/* LISTENs again when the session is new (first connect or reconnect);
   returns true when it did, so the caller checks for what it missed. */
static bool
s_listen (sp_refdata_watch_t *self)
{
    unsigned connects = sp_pg_connect_count (self->pg);
    if (connects != 0 && connects == self->listening_on && sp_pg_connected (self->pg))
        return false;
    sp_pg_result_t *result = sp_pg_exec (self->pg, S_LISTEN_SQL, 0, NULL, NULL, NULL);
    bool listening = sp_pg_result_ok (result);
    if (!listening)
        sp_log_warn ("could not listen for reference data changes", "error=\"%s\"",
                     sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
    if (!listening)
        return false;
    self->listening_on = sp_pg_connect_count (self->pg);
    return true;
}

/* One notification: "kind name version revision". */
static void
s_on_notification (void *arg, const char *channel, const char *payload)
{
    sp_refdata_watch_t *self = arg;
    if (strcmp (channel, SP_REFDATA_CHANNEL) != 0)
        return;
    char kind[SP_REFDATA_KIND_SIZE] = "";
    size_t length = strcspn (payload, " ");
    if (length == 0 || length >= sizeof kind)
        return;
    memcpy (kind, payload, length);
    kind[length] = '\0';
    for (size_t index = 0; index < self->count; index++)
        if (strcmp (self->kinds[index], kind) == 0) {
            sp_log_debug ("reference data loaded", "payload=\"%s\"", payload);
            self->check_pending = true;
            self->pending_trigger = "notify";
        }
}

static int
s_on_drain (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    sp_refdata_watch_t *self = arg;
    if (sp_pg_notifications (self->pg, s_on_notification, self) < 0)
        return 0; /* no session: the periodic check reconnects */
    if (self->check_pending)
        s_check (self, self->pending_trigger);
    return 0;
}

static int
s_on_check (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    sp_refdata_watch_t *self = arg;
    bool reconnected = s_listen (self);
    s_check (self, reconnected ? "reconnect" : "periodic");
    return 0;
}

sp_refdata_watch_t *
sp_refdata_watch_new (sp_service_t *service, const char *const *kinds, size_t count,
                      int64_t revision, int check_ms, sp_refdata_watch_fn *changed, void *arg,
                      char *error, size_t error_size)
{
    assert (service && kinds && changed && check_ms > 0);
    if (count == 0 || count > SP_REFDATA_KINDS_MAX) {
        sp_error_set (error, error_size, "a service watches 1..%d kinds, not %zu",
                      SP_REFDATA_KINDS_MAX, count);
        return NULL;
    }
    sp_refdata_watch_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->drain_timer = self->check_timer = -1;
    for (size_t index = 0; index < count; index++) {
        if (!sp_refdata_kind_valid (kinds[index])) {
            sp_error_set (error, error_size, "invalid reference data kind \"%s\"", kinds[index]);
            goto out_destroy;
        }
        snprintf (self->kinds[index], sizeof self->kinds[index], "%s", kinds[index]);
        self->kind_list[index] = self->kinds[index];
    }
    self->count = count;
    self->revision = revision;
    self->changed = changed;
    self->arg = arg;
    self->pending_trigger = "asked";
    char application[S_APPLICATION_SIZE];
    snprintf (application, sizeof application, "%s" S_APPLICATION_SUFFIX,
              sp_service_name (service));
    self->pg = sp_pg_new (sp_config_string (sp_service_config (service), "postgres"), application);
    if (!self->pg) {
        sp_error_set (error, error_size, "could not set up the reference data session");
        goto out_destroy;
    }
    sp_pg_set_retry (self->pg, 1, 1, 1);
    sp_pg_set_connect_timeout (self->pg, S_CONNECT_TIMEOUT_S);
    sp_metrics_t *metrics = sp_service_metrics (service);
    if (metrics) {
        self->revision_gauge = sp_metrics_gauge (
            metrics, "salespulse_reference_data_revision",
            "revision of the reference data (definitions) this instance uses", NULL, 0);
        self->changes =
            sp_metrics_counter (metrics, "salespulse_reference_data_changes_total",
                                "new reference data versions taken while running", NULL, 0);
        self->checks =
            sp_metrics_counter (metrics, "salespulse_reference_data_checks_total",
                                "reads of the reference data revision, by what caused them",
                                (const char *[]){ "trigger" }, 1);
        if (self->revision_gauge)
            sp_metric_set (self->revision_gauge, NULL, (double) revision);
    }
    self->loop = sp_service_loop (service);
    self->drain_timer = zloop_timer (self->loop, SP_REFDATA_WATCH_DRAIN_MS, 0, s_on_drain, self);
    self->check_timer = zloop_timer (self->loop, (size_t) check_ms, 0, s_on_check, self);
    if (self->drain_timer == -1 || self->check_timer == -1) {
        sp_error_set (error, error_size, "could not add the reference data timers");
        goto out_destroy;
    }
    /* Listen now and read once at the first drain, on the reactor: a load
       that committed between the service's own read and the LISTEN is
       not missed, and the service is whole before it is told. */
    if (s_listen (self)) {
        self->check_pending = true;
        self->pending_trigger = "reconnect";
    }
    return self;

out_destroy:
    sp_refdata_watch_destroy (&self);
    return NULL;
}

void
sp_refdata_watch_destroy (sp_refdata_watch_t **self_p)
{
    assert (self_p);
    sp_refdata_watch_t *self = *self_p;
    if (!self)
        return;
    if (self->loop) {
        if (self->drain_timer != -1)
            zloop_timer_end (self->loop, self->drain_timer);
        if (self->check_timer != -1)
            zloop_timer_end (self->loop, self->check_timer);
    }
    sp_pg_destroy (&self->pg);
    free (self);
    *self_p = NULL;
}

void
sp_refdata_watch_behind (void *arg, int64_t stored_revision)
{
    (void) stored_revision;
    sp_refdata_watch_t *self = arg;
    assert (self);
    if (!self->check_pending) {
        self->check_pending = true;
        self->pending_trigger = "asked";
    }
}

int64_t
sp_refdata_watch_revision (const sp_refdata_watch_t *self)
{
    assert (self);
    return self->revision;
}
