/*  sp_harness_publisher - a publisher thread for activity-ingest tests
    (see sp_harness_publisher.h).

    One POSIX thread per publisher, with its own sp_ingest_client (a ZeroMQ
    socket belongs to one thread). Progress and the end are published with
    C11 atomics: the thread writes a batch's acknowledgements, then
    increments the done counter with release order, so a reader that
    acquires the counter may read those entries.
*/
#include "sp_harness_publisher.h"

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_error.h"
#include "sp_proto.h"

#define SP_HARNESS_PUBLISHER_ERROR_SIZE 512 /* room for the failure reason */
#define SP_HARNESS_PUBLISHER_POLL_MS 10     /* interval between polls of the end */
#define SP_HARNESS_PUBLISHER_NS_PER_MS 1000000L

struct _sp_harness_publisher_t {
    sp_harness_publisher_options_t options;      /* what to send (endpoint borrowed) */
    sp_harness_ack_t *acks;                      /* one per event of the series */
    size_t batches;                              /* batches in the series */
    atomic_size_t done;                          /* batches acknowledged OK */
    atomic_bool finished;                        /* the thread has ended */
    atomic_bool stop;                            /* asked to stop early */
    int result;                                  /* 0 when every batch was acknowledged */
    uint64_t resends;                            /* the client's resends */
    char error[SP_HARNESS_PUBLISHER_ERROR_SIZE]; /* why it failed */
    pthread_t thread;                            /* the publishing thread */
    bool joined;                                 /* pthread_join done */
};

sp_event_t *
sp_harness_call_event (const char *event_id, const char *customer, uint32_t seconds)
{
    sp_event_t *event = sp_event_new (SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL);
    if (!event)
        return NULL;
    if (sp_event_set_string (&event->event_id, event_id, strlen (event_id)) != 0 ||
        sp_event_set_string (&event->source, "test", 4) != 0 ||
        sp_event_set_string (&event->rep_id, "rep-1", 5) != 0 ||
        sp_event_set_string (&event->customer_id, customer, strlen (customer)) != 0) {
        sp_event_destroy (&event);
        return NULL;
    }
    event->occurred_at = INT64_C (1700000000000);
    event->call->duration_seconds = seconds;
    return event;
}

/* Sends batch number batch_index; 0 when acknowledged. */
static int
s_send_batch (sp_harness_publisher_t *self, sp_ingest_client_t *client, size_t batch_index,
              sp_event_t **events)
{
    size_t first = batch_index * self->options.batch;
    size_t count = self->options.count - first < self->options.batch ? self->options.count - first
                                                                     : self->options.batch;
    int rc = -1;
    size_t made = 0;
    for (; made < count; made++) {
        events[made] = self->options.make_event (first + made, self->options.arg);
        if (!events[made]) {
            sp_error_set (self->error, sizeof self->error, "could not make event %zu",
                          first + made);
            goto out_destroy;
        }
        if (!self->acks[first + made].event_id)
            self->acks[first + made].event_id = strdup (events[made]->event_id);
    }
    Salespulse__IngestReply *reply = NULL;
    char reason[SP_HARNESS_PUBLISHER_ERROR_SIZE];
    if (sp_ingest_client_send (client, events, count, self->options.timeout_ms, &reply, reason,
                               sizeof reason) != SP_INGEST_CLIENT_OK) {
        sp_error_set (self->error, sizeof self->error, "batch %zu: %s", batch_index, reason);
        goto out_destroy;
    }
    for (size_t index = 0; index < count; index++) {
        sp_harness_ack_t *ack = &self->acks[first + index];
        ack->outcome = reply->outcomes[index]->outcome;
        ack->partition = reply->outcomes[index]->partition;
        ack->sequence = reply->outcomes[index]->sequence;
    }
    sp_proto_free ((ProtobufCMessage **) &reply);
    rc = 0;

out_destroy:
    for (size_t index = 0; index < made; index++)
        sp_event_destroy (&events[index]);
    return rc;
}

static void *
s_run (void *arg)
{
    sp_harness_publisher_t *self = (sp_harness_publisher_t *) arg;
    char reason[SP_HARNESS_PUBLISHER_ERROR_SIZE];
    sp_ingest_client_t *client =
        sp_ingest_client_new (self->options.endpoint, &self->options.client, reason, sizeof reason);
    sp_event_t **events = (sp_event_t **) calloc (self->options.batch, sizeof (sp_event_t *));
    self->result = -1;
    if (!client || !events) {
        sp_error_set (self->error, sizeof self->error, "could not start: %s",
                      client ? "out of memory" : reason);
        goto out_finish;
    }
    for (size_t batch = 0; batch < self->batches; batch++) {
        if (atomic_load (&self->stop)) {
            sp_error_set (self->error, sizeof self->error, "stopped after %zu batches", batch);
            goto out_finish;
        }
        if (s_send_batch (self, client, batch, events) != 0)
            goto out_finish;
        atomic_fetch_add_explicit (&self->done, 1, memory_order_release);
    }
    self->result = 0;

out_finish:
    if (client)
        self->resends = sp_ingest_client_resend_count (client);
    sp_ingest_client_destroy (&client);
    free (events);
    atomic_store (&self->finished, true);
    return NULL;
}

sp_harness_publisher_t *
sp_harness_publisher_new (const sp_harness_publisher_options_t *options)
{
    if (!options || !options->endpoint || !options->make_event || options->count == 0 ||
        options->batch == 0 || options->timeout_ms <= 0)
        return NULL;
    sp_harness_publisher_t *self = (sp_harness_publisher_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->options = *options;
    self->batches = (options->count + options->batch - 1) / options->batch;
    self->acks = (sp_harness_ack_t *) calloc (options->count, sizeof (sp_harness_ack_t));
    atomic_init (&self->done, 0);
    atomic_init (&self->finished, false);
    atomic_init (&self->stop, false);
    /* zsys_init is not thread-safe: run it here, before publisher threads
       race to create the process's first ZeroMQ socket. */
    zsys_init ();
    if (!self->acks || pthread_create (&self->thread, NULL, s_run, self) != 0) {
        free (self->acks);
        free (self);
        return NULL;
    }
    return self;
}

void
sp_harness_publisher_destroy (sp_harness_publisher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_harness_publisher_t *self = *self_p;
    atomic_store (&self->stop, true);
    if (!self->joined)
        pthread_join (self->thread, NULL);
    for (size_t index = 0; index < self->options.count; index++)
        free (self->acks[index].event_id);
    free (self->acks);
    free (self);
    *self_p = NULL;
}

size_t
sp_harness_publisher_batches_done (const sp_harness_publisher_t *self)
{
    return atomic_load_explicit (&((sp_harness_publisher_t *) self)->done, memory_order_acquire);
}

size_t
sp_harness_publisher_batches (const sp_harness_publisher_t *self)
{
    return self->batches;
}

int
sp_harness_publisher_wait (sp_harness_publisher_t *self, int timeout_ms, char *error,
                           size_t error_size)
{
    struct timespec delay = { 0, SP_HARNESS_PUBLISHER_POLL_MS * SP_HARNESS_PUBLISHER_NS_PER_MS };
    for (int waited = 0; !atomic_load (&self->finished); waited += SP_HARNESS_PUBLISHER_POLL_MS) {
        if (waited >= timeout_ms) {
            sp_error_set (error, error_size,
                          "publisher still running after %d ms (%zu of %zu "
                          "batches done)",
                          timeout_ms, sp_harness_publisher_batches_done (self), self->batches);
            return -1;
        }
        nanosleep (&delay, NULL);
    }
    if (!self->joined) {
        pthread_join (self->thread, NULL);
        self->joined = true;
    }
    if (self->result != 0) {
        sp_error_set (error, error_size, "%s", self->error);
        return -1;
    }
    return 0;
}

const sp_harness_ack_t *
sp_harness_publisher_acks (const sp_harness_publisher_t *self)
{
    return self->acks;
}

static const char s_stored_sql[] =
    "SELECT count(*) FROM unnest ($1::text[], $2::integer[], $3::bigint[]) "
    "AS a (event_id, partition, sequence) JOIN events e USING (event_id) "
    "WHERE e.partition = a.partition AND e.sequence = a.sequence";

int
sp_harness_publisher_stored (const sp_harness_publisher_t *self, size_t batches, sp_pg_t *pg,
                             size_t *acknowledged, size_t *stored)
{
    size_t done = sp_harness_publisher_batches_done (self);
    size_t events = (batches < done ? batches : done) * self->options.batch;
    if (events > self->options.count)
        events = self->options.count;
    char *text[3] = { NULL, NULL, NULL };
    size_t size[3] = { 0, 0, 0 };
    FILE *stream[3];
    for (int column = 0; column < 3; column++)
        stream[column] = open_memstream (&text[column], &size[column]);
    int rc = -1;
    if (!stream[0] || !stream[1] || !stream[2])
        goto out_close;
    size_t count = 0;
    for (size_t index = 0; index < events; index++) {
        const sp_harness_ack_t *ack = &self->acks[index];
        if (ack->outcome == SALESPULSE__OUTCOME__OUTCOME_UNSPECIFIED ||
            ack->outcome == SALESPULSE__OUTCOME__OUTCOME_REJECTED)
            continue;
        /* Test event ids hold no quote or backslash. */
        fprintf (stream[0], "%s\"%s\"", count ? "," : "{", ack->event_id);
        fprintf (stream[1], "%s%u", count ? "," : "{", ack->partition);
        fprintf (stream[2], "%s%llu", count ? "," : "{", (unsigned long long) ack->sequence);
        count++;
    }
    for (int column = 0; column < 3; column++)
        fputs (count ? "}" : "{}", stream[column]);
    for (int column = 0; column < 3; column++) {
        fclose (stream[column]);
        stream[column] = NULL;
    }
    const char *values[] = { text[0], text[1], text[2] };
    sp_pg_result_t *result = sp_pg_exec (pg, s_stored_sql, 3, values, NULL, NULL);
    int64_t found = -1;
    if (sp_pg_result_ok (result) && sp_pg_result_int64 (result, 0, 0, &found) == 0) {
        *acknowledged = count;
        *stored = (size_t) found;
        rc = 0;
    }
    else
        fprintf (stderr, "sp_harness_publisher: could not check acknowledgements: %s\n",
                 sp_pg_result_error (result));
    sp_pg_result_destroy (&result);

out_close:
    for (int column = 0; column < 3; column++) {
        if (stream[column])
            fclose (stream[column]);
        free (text[column]);
    }
    return rc;
}

uint64_t
sp_harness_publisher_resends (const sp_harness_publisher_t *self)
{
    return self->resends;
}
