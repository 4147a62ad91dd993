/*  incentive_publisher - publishes closed statements (see
    incentive_publisher.h). */
#include "incentive_publisher.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#include "incentive_close.h"
#include "incentive_outbox.h"
#include "sp_error.h"
#include "sp_log.h"
#include "sp_metrics.h"
#include "sp_outbox.h"

#define S_ERROR_SIZE 512
#define S_PAGE 100 /* statements read in one page */

struct _incentive_publisher_t {
    sp_service_t *service; /* borrowed */
    zloop_t *loop;         /* borrowed */
    int timer;
    sp_outbox_t *outbox;
    bool started; /* last holds the head read at the start */
    int64_t last; /* newest sequence published */
    bool failing; /* the last check failed: logged once */
    sp_metric_t *published;
    sp_metric_t *errors;
};

void
incentive_publisher_destroy (incentive_publisher_t **self_p)
{
    assert (self_p);
    incentive_publisher_t *self = *self_p;
    if (!self)
        return;
    if (self->loop && self->timer >= 0)
        zloop_timer_end (self->loop, self->timer);
    sp_outbox_destroy (&self->outbox);
    free (self);
    *self_p = NULL;
}

/* incentive_outbox_visit_fn: publishes one stored statement. */
static int
s_publish (void *arg, const incentive_outbox_row_t *row, char *error, size_t error_size)
{
    incentive_publisher_t *self = arg;
    char topic[INCENTIVE_OUTBOX_TOPIC_SIZE];
    incentive_outbox_topic (row->rep_id, topic);
    size_t size;
    uint8_t *payload = incentive_outbox_pack (row, &size);
    if (!payload) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    char reason[S_ERROR_SIZE];
    if (sp_outbox_publish (self->outbox, sp_service_pg (self->service), row->sequence, topic,
                           payload, size, reason, sizeof reason) != 0) {
        sp_metric_add (self->errors, NULL, 1);
        sp_log_warn ("could not publish a closed statement: subscribers read it back",
                     "statement_seq=%" PRId64 " rep=\"%s\" error=\"%s\"", row->sequence,
                     row->rep_id, reason);
    }
    else
        sp_metric_add (self->published, NULL, 1);
    free (payload);
    return 0;
}

/* Publishes what was stored since the last check. */
static int
s_check (incentive_publisher_t *self, char *error, size_t error_size)
{
    sp_pg_t *pg = sp_service_pg (self->service);
    if (!self->started) {
        if (sp_outbox_head (pg, INCENTIVE_CLOSE_STREAM, &self->last, error, error_size) != 0)
            return -1;
        self->started = true;
    }
    incentive_outbox_reader_t reader = { .visit = s_publish, .arg = self };
    return sp_outbox_read_after (pg, incentive_outbox_page, &reader, S_PAGE, &self->last, error,
                                 error_size) < 0
               ? -1
               : 0;
}

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    incentive_publisher_t *self = arg;
    char error[S_ERROR_SIZE];
    if (s_check (self, error, sizeof error) != 0) {
        sp_metric_add (self->errors, NULL, 1);
        if (!self->failing)
            sp_log_warn ("could not read closed statements: trying again", "error=\"%s\"", error);
        self->failing = true;
    }
    else if (self->failing) {
        sp_log_info ("reading closed statements again", "last=%" PRId64, self->last);
        self->failing = false;
    }
    return 0;
}

incentive_publisher_t *
incentive_publisher_new (sp_service_t *service, char *error, size_t error_size)
{
    assert (service);
    const sp_config_t *config = sp_service_config (service);
    incentive_publisher_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->service = service;
    self->timer = -1;
    self->outbox = sp_outbox_new (INCENTIVE_CLOSE_STREAM, sp_config_string (config, "statements"),
                                  0, error, error_size);
    if (!self->outbox) {
        incentive_publisher_destroy (&self);
        return NULL;
    }
    sp_metrics_t *metrics = sp_service_metrics (service);
    self->published =
        sp_metrics_counter (metrics, "salespulse_incentive_statements_published_total",
                            "closed statements published on the statements socket", NULL, 0);
    self->errors = sp_metrics_counter (
        metrics, "salespulse_incentive_statements_errors_total",
        "closed statements that could not be read or published (subscribers read them back)", NULL,
        0);
    self->loop = sp_service_loop (service);
    self->timer = zloop_timer (self->loop, (size_t) sp_config_int (config, "statements-check-ms"),
                               0, s_on_timer, self);
    if (self->timer < 0) {
        sp_error_set (error, error_size, "could not start the statements timer");
        incentive_publisher_destroy (&self);
        return NULL;
    }
    return self;
}

const char *
incentive_publisher_endpoint (incentive_publisher_t *self)
{
    assert (self);
    return sp_outbox_endpoint (self->outbox);
}
