/*  sp_notifier - judging settled results every interval and publishing the
    transitions through an outbox (see sp_notifier.h). */
#include "sp_notifier.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "sp_error.h"
#include "sp_log.h"
#include "sp_outbox.h"
#include "sp_proto.h"
#include "sp_settled.h"

#define S_ERROR_SIZE 512
#define S_MESSAGE_SIZE 128 /* a log message naming the stream's messages */

struct _sp_notifier_t {
    sp_service_t *service;    /* borrowed: the service this runs in */
    sp_pg_t *pg;              /* borrowed: PostgreSQL (the service's, or the owner's) */
    sp_redis_t *redis;        /* borrowed: Redis (the service's, or the owner's) */
    sp_notifier_spec_t spec;  /* the owner's names and evaluate */
    sp_settled_t *settled;    /* whether the results hold the log */
    sp_outbox_t *outbox;      /* publishes the messages */
    zloop_t *loop;            /* the service's reactor, NULL when not attached */
    int timer;                /* the evaluation timer's id, -1 when none */
    sp_metric_t *published;   /* messages published, by state */
    sp_metric_t *evaluations; /* evaluations run */
    sp_metric_t *errors;      /* evaluations that failed */
    sp_metric_t *deferred;    /* evaluations put off while catching up */
    sp_metric_t *firing;      /* conditions firing at the last evaluation */
    bool failing;             /* the last evaluation failed (logged already) */
    uint32_t partitions;      /* partition count P */
    bool *each;               /* [partitions]: settled at the last check (evaluate_each) */
    bool settled_once;        /* every partition was settled at a check since the start or
                                 the last revision (evaluate_each judges partitions on their
                                 own only then: not while a start or rebuild replays them) */
};

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    sp_notifier_evaluate ((sp_notifier_t *) arg);
    return 0; /* a failed evaluation is retried next time; the reactor runs on */
}

sp_notifier_t *
sp_notifier_new (sp_service_t *service, const sp_notifier_spec_t *spec, uint32_t partitions,
                 int64_t interval_ms, const char *endpoints, int send_hwm, char *error,
                 size_t error_size)
{
    assert (service);
    return sp_notifier_new_on (service, sp_service_pg (service), sp_service_redis (service),
                               sp_service_loop (service), spec, partitions, interval_ms, endpoints,
                               send_hwm, error, error_size);
}

sp_notifier_t *
sp_notifier_new_on (sp_service_t *service, sp_pg_t *pg, sp_redis_t *redis, zloop_t *loop,
                    const sp_notifier_spec_t *spec, uint32_t partitions, int64_t interval_ms,
                    const char *endpoints, int send_hwm, char *error, size_t error_size)
{
    assert (service && spec && (spec->evaluate || spec->evaluate_each) && partitions >= 1 &&
            interval_ms >= 1);
    assert (endpoints && send_hwm >= 0);
    assert (pg && redis && loop);
    sp_notifier_t *self = (sp_notifier_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->service = service;
    self->pg = pg;
    self->redis = redis;
    self->spec = *spec;
    self->timer = -1;
    self->partitions = partitions;
    self->settled = sp_settled_new (spec->consumer, partitions, error, error_size);
    if (!self->settled)
        goto out_destroy;
    self->each = calloc (partitions, sizeof *self->each);
    if (!self->each) {
        sp_error_set (error, error_size, "out of memory");
        goto out_destroy;
    }
    char socket_error[S_ERROR_SIZE];
    self->outbox =
        sp_outbox_new (spec->stream, endpoints, send_hwm, socket_error, sizeof socket_error);
    if (!self->outbox) {
        sp_error_set (error, error_size, "could not open the %s socket (--%s): %s", spec->nouns,
                      spec->option, socket_error);
        goto out_destroy;
    }
    sp_metrics_t *metrics = sp_service_metrics (service);
    self->published = sp_metrics_counter (metrics, spec->published_metric, spec->published_help,
                                          (const char *[]){ "state" }, 1);
    self->evaluations =
        sp_metrics_counter (metrics, spec->evaluations_metric, spec->evaluations_help, NULL, 0);
    self->errors = sp_metrics_counter (metrics, spec->errors_metric,
                                       "evaluations that failed (redis or postgresql)", NULL, 0);
    self->deferred = sp_metrics_counter (
        metrics, spec->deferred_metric,
        "evaluations put off because the results did not yet hold the whole log", NULL, 0);
    self->firing = sp_metrics_gauge (metrics, spec->firing_metric,
                                     "conditions firing at the last evaluation", NULL, 0);
    if (!self->published || !self->evaluations || !self->errors || !self->deferred ||
        !self->firing) {
        sp_error_set (error, error_size, "could not register the notifier's metrics");
        goto out_destroy;
    }
    self->loop = loop;
    self->timer = zloop_timer (self->loop, (size_t) interval_ms, 0, s_on_timer, self);
    if (self->timer == -1) {
        sp_error_set (error, error_size, "could not add the %s timer", spec->noun);
        goto out_destroy;
    }
    return self;

out_destroy:
    sp_notifier_destroy (&self);
    return NULL;
}

void
sp_notifier_destroy (sp_notifier_t **self_p)
{
    assert (self_p);
    sp_notifier_t *self = *self_p;
    if (!self)
        return;
    if (self->loop && self->timer != -1)
        zloop_timer_end (self->loop, self->timer);
    sp_outbox_destroy (&self->outbox);
    sp_settled_destroy (&self->settled);
    free (self->each);
    free (self);
    *self_p = NULL;
}

/* One evaluation: after a settled check, or (check false) with the
   partitions settled at the last one. */
static int
s_evaluate (sp_notifier_t *self, bool check)
{
    assert (self);
    char error[S_ERROR_SIZE] = "";
    char message[S_MESSAGE_SIZE];
    int published = 0;
    size_t firing = 0;
    int rc = -1;
    sp_metric_add (self->evaluations, NULL, 1);
    bool settled = true;
    if (check && sp_settled_check_each (self->settled, self->pg, self->redis, &settled, self->each,
                                        error, sizeof error) != 0)
        goto out_failed;
    for (uint32_t partition = 0; !check && partition < self->partitions; partition++)
        settled = settled && self->each[partition];
    bool any = false;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        any = any || self->each[partition];
    self->settled_once = self->settled_once || settled;
    if (!settled && check)
        sp_metric_add (self->deferred, NULL, 1);
    if (!settled && (!self->spec.evaluate_each || !any || !self->settled_once)) {
        /* Catching up: judged once the results hold what the log held. */
        rc = 0;
        goto out_done;
    }
    if (self->spec.evaluate_each)
        published =
            self->spec.evaluate_each (self->spec.arg, self->each, &firing, error, sizeof error);
    else
        published = self->spec.evaluate (self->spec.arg, &firing, error, sizeof error);
    if (published < 0) {
        published = 0;
        goto out_failed;
    }
    sp_metric_set (self->firing, NULL, (double) firing);
    rc = published;

out_done:
    if (self->failing) {
        snprintf (message, sizeof message, "%s evaluated again", self->spec.kinds);
        sp_log_info (message, "%s=%d", self->spec.nouns, published);
    }
    self->failing = false;
    return rc;

out_failed:
    sp_metric_add (self->errors, NULL, 1);
    if (!self->failing) {
        snprintf (message, sizeof message, "could not evaluate %s", self->spec.kinds);
        sp_log_error (message,
                      "error=\"%s\" hint=\"retried every interval; logged again once it works\"",
                      error);
    }
    self->failing = true;
    return rc;
}

int
sp_notifier_evaluate (sp_notifier_t *self)
{
    return s_evaluate (self, true);
}

int
sp_notifier_evaluate_last (sp_notifier_t *self)
{
    assert (self && self->spec.evaluate_each);
    return s_evaluate (self, false);
}

int
sp_notifier_evaluate_ready (sp_notifier_t *self, const bool *ready)
{
    assert (self && self->spec.evaluate_each && ready);
    if (!self->settled_once)
        return 0; /* catching up since the start or the last revision */
    bool *settled = calloc (self->partitions, sizeof *settled);
    if (!settled)
        return -1;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        settled[partition] = self->each[partition] || ready[partition];
    /* the owner's answer for this evaluation only: the next check's own */
    bool *each = self->each;
    self->each = settled;
    int rc = s_evaluate (self, false);
    self->each = each;
    free (settled);
    return rc;
}

int
sp_notifier_publish (sp_notifier_t *self, int64_t sequence, const char *state, const char *topic,
                     const ProtobufCMessage *message, size_t max_size)
{
    assert (self && state && topic && message);
    /* Stored and committed: a subscriber that misses it repairs the gap
       from PostgreSQL, so a failed send is logged, not retried. The
       sequence travels inside the message. */
    char send_error[S_ERROR_SIZE];
    uint8_t *payload = NULL;
    size_t size = 0;
    int rc = 0;
    if (sp_proto_pack (message, max_size, &payload, &size, send_error, sizeof send_error) != 0 ||
        sp_outbox_publish (self->outbox, self->pg, sequence, topic, payload, size, send_error,
                           sizeof send_error) != 0) {
        sp_notifier_unsent (self, sequence, send_error);
        rc = -1;
    }
    else
        sp_metric_add (self->published, (const char *[]){ state }, 1);
    free (payload);
    return rc;
}

void
sp_notifier_unsent (sp_notifier_t *self, int64_t sequence, const char *reason)
{
    assert (self && reason);
    char message[S_MESSAGE_SIZE];
    snprintf (message, sizeof message, "could not publish a %s", self->spec.kind);
    sp_log_warn (message, "sequence=%" PRId64 " error=\"%s\"", sequence, reason);
}

const char *
sp_notifier_endpoint (sp_notifier_t *self)
{
    assert (self);
    return sp_outbox_endpoint (self->outbox);
}

bool
sp_notifier_partition_settled (const sp_notifier_t *self, uint32_t partition)
{
    assert (self && partition < self->partitions);
    return self->each[partition] && self->settled_once;
}

void
sp_notifier_set_revision (sp_notifier_t *self, int64_t revision)
{
    assert (self && revision >= 0);
    sp_settled_set_revision (self->settled, revision);
    /* what was settled under the old revision is not under the new one */
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        self->each[partition] = false;
    self->settled_once = false;
}
