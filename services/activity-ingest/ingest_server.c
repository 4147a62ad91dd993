/*  ingest_server - the activity-ingest actor (see ingest_server.h). */
#include "ingest_server.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bus.pb-c.h"
#include "ingest_batch.h"
#include "ingest_request.h"
#include "ingest_writer.h"
#include "sp_error.h"
#include "sp_log.h"
#include "sp_zmq.h"

#define INGEST_SERVER_ERROR_SIZE 512     /* room for socket and decode errors */
#define INGEST_SERVER_FRAMES_KEPT 3      /* frames kept after the identity: delimiter, body, one extra */
#define INGEST_SERVER_READS_PER_TURN 256 /* requests read per wake-up before yielding */
#define INGEST_SERVER_SEND_TIMEOUT_MS 100 /* a publisher that stops reading loses its reply */
#define INGEST_SERVER_TOPIC_SIZE 48      /* "<type>.<partition>" */
#define INGEST_SERVER_US_PER_S 1e6
#define INGEST_SERVER_NS_PER_US 1000
#define INGEST_SERVER_US_PER_S_INT 1000000

static const double s_batch_bounds[] = { 1, 10, 100, 500, 1000, 2000, 5000, 10000, 50000 };
static const double s_commit_bounds[] = { 0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
                                          0.1,   0.25,  0.5,   1,    2.5,   5 };

/* One writer: its thread, its group's pending batch, its commit-delay timer. */
typedef struct {
    ingest_server_t *server;          /* back pointer for the reactor handlers */
    uint32_t group;                   /* partitions p with p % writers == group */
    zactor_t *actor;                  /* the transaction thread */
    ingest_writer_args_t args;        /* what the thread was started with */
    ingest_batch_t *pending;          /* this group's requests waiting for its next transaction */
    size_t pending_events;            /* events of this group in pending */
    bool writing;                     /* a batch is at the thread */
    int timer_fd;                     /* commit-delay timer (timerfd), -1 when none */
    bool timer_armed;                 /* the timer runs */
    bool polled;                      /* actor and timer are registered on the loop */
} s_writer_t;

struct _ingest_server_t {
    ingest_server_settings_t settings;  /* settings (strings not kept) */
    ingest_request_limits_t limits;     /* what a request is judged against */
    zloop_t *loop;                      /* the service's reactor (borrowed) */
    zsock_t *router;                    /* publishers' requests and replies */
    zsock_t *bus;                       /* accepted events, after commit */
    bool curve;                         /* the ROUTER serves CURVE: peers passed ZAP */
    s_writer_t *writers;                /* settings.writers of them */
    size_t pending_events;              /* events waiting in every writer's pending batch */
    bool reading;                       /* the ROUTER reader is registered */
    bool stopped;                       /* ingest_server_stop ran */
    size_t in_flight;                   /* requests read and not yet answered */
    sp_metric_t *events_total;          /* counter{outcome} */
    sp_metric_t *rejections_total;      /* counter{reason} */
    sp_metric_t *requests_total;        /* counter{status} */
    sp_metric_t *split_total;           /* counter: requests split over several writers */
    sp_metric_t *batch_events;          /* histogram: events per transaction */
    sp_metric_t *commit_seconds;        /* histogram: transaction time */
    sp_metric_t *in_flight_gauge;       /* gauge: requests read, not answered */
    sp_metric_t *writers_gauge;         /* gauge: writer sessions */
};

static int64_t
s_wall_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static const char *
s_status_name (ingest_status_t status)
{
    switch (status) {
    case INGEST_STATUS_OK: return "ok";
    case INGEST_STATUS_BAD_REQUEST: return "bad_request";
    case INGEST_STATUS_OVERLOADED: return "retry_overloaded";
    case INGEST_STATUS_UNAVAILABLE: return "retry_unavailable";
    case INGEST_STATUS_SHUTTING_DOWN: return "retry_shutting_down";
    default: return "unspecified";
    }
}

/* Sends the request's reply on the ROUTER and destroys the request. */
static void
s_reply (ingest_server_t *self, ingest_request_t **request_p)
{
    ingest_request_t *request = *request_p;
    sp_metric_add (self->requests_total,
                   (const char *[]) { s_status_name (ingest_request_status (request)) }, 1);
    zmsg_t *message = ingest_request_take_envelope (request);
    size_t size = 0;
    uint8_t *body = ingest_request_reply (request, &size);
    if (!message || !body) {
        sp_log_error ("could not build a reply", "request_id=%llu error=\"out of memory\"",
                      (unsigned long long) ingest_request_id (request));
        goto out_destroy;
    }
    zmsg_addmem (message, body, size);
    char error[INGEST_SERVER_ERROR_SIZE];
    if (sp_zmq_send (self->router, &message, error, sizeof error) != 0)
        sp_log_info ("could not send a reply, the publisher will retry",
                     "request_id=%llu error=\"%s\"",
                     (unsigned long long) ingest_request_id (request), error);

out_destroy:
    zmsg_destroy (&message);
    free (body);
    ingest_request_destroy (request_p);
}

static void
s_set_in_flight (ingest_server_t *self, long change)
{
    self->in_flight = (size_t) ((long) self->in_flight + change);
    sp_metric_set (self->in_flight_gauge, NULL, (double) self->in_flight);
}

/* One part of a request came back from its writer (committed or not).
   Once every part is back the request is answered: OK when all
   committed, else RETRY_UNAVAILABLE (what committed is in the log and
   comes back as duplicate on the retry). */
static void
s_part_back (ingest_server_t *self, ingest_request_t *request, bool committed)
{
    if (ingest_request_part_done (request, committed) > 0)
        return;
    if (ingest_request_part_failed (request) && ingest_request_status (request) == INGEST_STATUS_OK)
        ingest_request_refuse (
            request, INGEST_STATUS_UNAVAILABLE,
            ingest_request_part_committed (request)
                ? "the database is unavailable, part of the request was stored: retry later "
                  "(what was stored comes back as duplicate)"
                : "the database is unavailable, nothing was stored: retry later");
    s_reply (self, &request);
    s_set_in_flight (self, -1);
}

/* Hands the writer's pending batch to it. */
static void
s_dispatch (ingest_server_t *self, s_writer_t *writer)
{
    assert (!writer->writing);
    if (writer->timer_armed) {
        struct itimerspec off = { { 0, 0 }, { 0, 0 } };
        timerfd_settime (writer->timer_fd, 0, &off, NULL);
        writer->timer_armed = false;
    }
    if (ingest_batch_request_count (writer->pending) == 0)
        return;
    ingest_batch_t *fresh = ingest_batch_new_group (writer->group);
    if (!fresh) {
        sp_log_error ("could not start a batch", "error=\"out of memory\"");
        return;
    }
    ingest_batch_t *batch = writer->pending;
    writer->pending = fresh;
    self->pending_events -= writer->pending_events;
    writer->pending_events = 0;
    sp_metric_observe (self->batch_events, NULL, (double) ingest_batch_event_count (batch));
    zmsg_t *message = zmsg_new ();
    zmsg_addstr (message, "WRITE");
    zmsg_addmem (message, &batch, sizeof batch);
    if (zmsg_send (&message, writer->actor) != 0) {
        /* Cannot happen short of the context ending: answer rather than lose. */
        zmsg_destroy (&message);
        for (size_t index = 0; index < ingest_batch_request_count (batch); index++)
            s_part_back (self, ingest_batch_take_request (batch, index), false);
        ingest_batch_destroy (&batch);
        return;
    }
    writer->writing = true;
}

/* The commit delay of a writer's pending batch ran out. */
static int
s_commit_timer (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    s_writer_t *writer = (s_writer_t *) arg;
    uint64_t expirations = 0;
    if (read (item->fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        sp_log_warn ("could not read the commit timer", "error=\"%s\"", strerror (errno));
    if (!writer->timer_armed)
        return 0;
    writer->timer_armed = false;
    if (!writer->writing)
        s_dispatch (writer->server, writer);
    return 0;
}

/* A request joined the writer's pending batch: hand it over now (idle
   writer, no delay or a full batch), or start the commit delay. */
static void
s_kick (ingest_server_t *self, s_writer_t *writer)
{
    if (writer->writing)
        return;
    if (self->settings.commit_delay_us == 0 || writer->pending_events >= self->settings.max_batch) {
        s_dispatch (self, writer);
        return;
    }
    if (writer->timer_armed)
        return;
    struct itimerspec delay = { { 0, 0 }, { 0, 0 } };
    delay.it_value.tv_sec = self->settings.commit_delay_us / INGEST_SERVER_US_PER_S_INT;
    delay.it_value.tv_nsec =
        (long) (self->settings.commit_delay_us % INGEST_SERVER_US_PER_S_INT) *
        INGEST_SERVER_NS_PER_US;
    if (timerfd_settime (writer->timer_fd, 0, &delay, NULL) != 0) {
        s_dispatch (self, writer);
        return;
    }
    writer->timer_armed = true;
}

/* Publishes one accepted event on the bus. */
static void
s_publish (ingest_server_t *self, ingest_request_t *request, size_t index, int64_t ingested_at)
{
    const sp_event_t *event = ingest_request_event (request, index);
    char topic[INGEST_SERVER_TOPIC_SIZE];
    uint32_t partition = ingest_request_partition (request, index);
    snprintf (topic, sizeof topic, "%s.%u", sp_event_type_name (event->type), partition);
    Salespulse__BusEnvelope envelope = SALESPULSE__BUS_ENVELOPE__INIT;
    envelope.topic = topic;
    envelope.partition = partition;
    envelope.sequence = ingest_request_sequence (request, index);
    envelope.ingested_at = ingested_at;
    envelope.event = (sp_event_t *) event;
    char error[INGEST_SERVER_ERROR_SIZE];
    if (sp_zmq_send_proto (self->bus, topic, &envelope.base, SIZE_MAX, error, sizeof error) != 0)
        sp_log_warn ("could not publish an event", "topic=%s sequence=%llu error=\"%s\"", topic,
                     (unsigned long long) envelope.sequence, error);
}

/* A batch came back from a writer: count, publish its group's accepted
   events (each partition belongs to one writer, whose batches come back
   in commit order, so the bus follows the log within a partition), answer
   the requests whose every part is back, go on. */
static void
s_batch_done (ingest_server_t *self, s_writer_t *writer, ingest_batch_t *batch,
              int64_t ingested_at, uint64_t elapsed_us, bool committed)
{
    writer->writing = false;
    sp_metric_observe (self->commit_seconds, NULL, (double) elapsed_us / INGEST_SERVER_US_PER_S);
    if (committed) {
        ingest_batch_counts_t counts = ingest_batch_counts (batch);
        sp_metric_add (self->events_total, (const char *[]) { "accepted" },
                       (double) counts.accepted);
        sp_metric_add (self->events_total, (const char *[]) { "duplicate" },
                       (double) counts.duplicate);
        sp_metric_add (self->events_total, (const char *[]) { "conflict" },
                       (double) counts.conflict);
        sp_metric_add (self->events_total, (const char *[]) { "rejected" },
                       (double) counts.rejected);
    }
    for (size_t r = 0; r < ingest_batch_request_count (batch); r++) {
        ingest_request_t *request = ingest_batch_take_request (batch, r);
        if (committed && ingest_request_status (request) == INGEST_STATUS_OK) {
            for (size_t index = 0; index < ingest_request_event_count (request); index++) {
                if (!ingest_batch_holds (batch, request, index))
                    continue;
                ingest_outcome_t outcome = ingest_request_outcome (request, index);
                if (outcome == INGEST_OUTCOME_ACCEPTED)
                    s_publish (self, request, index, ingested_at);
                else if (outcome == INGEST_OUTCOME_REJECTED)
                    sp_metric_add (
                        self->rejections_total,
                        (const char *[]) {
                            sp_event_reason_name (ingest_request_rejection (request, index)->reason) },
                        1);
            }
        }
        s_part_back (self, request, committed);
    }
    ingest_batch_destroy (&batch);
    if (ingest_batch_request_count (writer->pending) > 0)
        s_dispatch (self, writer);
}

/* Reads one DONE from a writer; -1 when the pipe failed. */
static int
s_receive_done (ingest_server_t *self, s_writer_t *writer)
{
    char *command = NULL;
    void *batch = NULL;
    uint64_t ingested_at = 0, elapsed_us = 0;
    uint32_t committed = 0;
    if (zsock_recv (writer->actor, "sp884", &command, &batch, &ingested_at, &elapsed_us,
                    &committed) != 0)
        return -1;
    bool done = command && strcmp (command, "DONE") == 0 && batch;
    zstr_free (&command);
    if (!done)
        return -1;
    s_batch_done (self, writer, (ingest_batch_t *) batch, (int64_t) ingested_at, elapsed_us,
                  committed != 0);
    return 0;
}

static int
s_writer_readable (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    (void) reader;
    s_writer_t *writer = (s_writer_t *) arg;
    s_receive_done (writer->server, writer);
    return 0;
}

/* Reads one whole request message, keeping the identity and at most
   INGEST_SERVER_FRAMES_KEPT frames after it; the rest is read and dropped.
   Returns the number of frames after the identity, 0 when nothing came. */
static size_t
s_receive (ingest_server_t *self, zframe_t **identity, zframe_t **frames)
{
    *identity = zframe_recv (self->router);
    if (!*identity)
        return 0;
    size_t count = 0;
    while (zsock_rcvmore (self->router)) {
        zframe_t *frame = zframe_recv (self->router);
        if (!frame)
            break;
        if (count < INGEST_SERVER_FRAMES_KEPT)
            frames[count] = frame;
        else
            zframe_destroy (&frame);
        count++;
    }
    return count;
}

/* Judges one received request and answers it now or queues it. */
static void
s_take_request (ingest_server_t *self, zframe_t **identity, zframe_t **frames, size_t count)
{
    size_t sizes[INGEST_SERVER_FRAMES_KEPT] = { 0 };
    size_t kept = count < INGEST_SERVER_FRAMES_KEPT ? count : INGEST_SERVER_FRAMES_KEPT;
    for (size_t index = 0; index < kept; index++)
        sizes[index] = zframe_size (frames[index]);
    char error[INGEST_SERVER_ERROR_SIZE];
    size_t body_index = 0;
    bool delimiter = false;
    ingest_request_t *request = NULL;
    int shape = -1;
    if (count == 0)
        sp_error_set (error, sizeof error, "expected one frame holding an IngestRequest, got 0");
    else if (count > kept) {
        /* More frames than any valid shape: count them all in the error. */
        delimiter = sizes[0] == 0;
        sp_error_set (error, sizeof error, "expected one frame holding an IngestRequest, got %zu",
                      delimiter ? count - 1 : count);
    }
    else
        shape = ingest_request_frame_shape (sizes, kept, &body_index, &delimiter, error,
                                            sizeof error);
    if (shape != 0)
        request = ingest_request_new_refused (INGEST_STATUS_BAD_REQUEST, error);
    else {
        request = ingest_request_new (zframe_data (frames[body_index]),
                                      zframe_size (frames[body_index]), &self->limits,
                                      s_wall_ms ());
        /* The publisher's certificate in --curve-clients may limit its
           sources; ZAP hands its metadata over with every frame. Only a
           CURVE server's peers were admitted by it. */
        const char *sources =
            self->curve ? zframe_meta (frames[body_index], SP_ZMQ_CURVE_SOURCES) : NULL;
        if (request && sources && ingest_request_status (request) == INGEST_STATUS_OK)
            ingest_request_limit_sources (request, sources,
                                          zframe_meta (frames[body_index], SP_ZMQ_CURVE_NAME));
    }
    if (!request) {
        sp_log_error ("could not take a request", "error=\"out of memory\"");
        zframe_destroy (identity);
        return;
    }
    zmsg_t *envelope = zmsg_new ();
    zmsg_append (envelope, identity);
    if (delimiter)
        zmsg_addmem (envelope, NULL, 0);
    ingest_request_set_envelope (request, &envelope);

    if (ingest_request_status (request) != INGEST_STATUS_OK) {
        sp_log_info ("refused a request", "request_id=%llu status=%s error=\"%s\"",
                     (unsigned long long) ingest_request_id (request),
                     s_status_name (ingest_request_status (request)),
                     ingest_request_error (request));
        s_reply (self, &request);
        return;
    }
    size_t events = ingest_request_event_count (request);
    if (self->pending_events > 0 && self->pending_events + events > self->settings.max_pending) {
        sp_error_set (error, sizeof error,
                      "%zu events are waiting to be stored, the limit is %zu: retry later",
                      self->pending_events, self->settings.max_pending);
        ingest_request_refuse (request, INGEST_STATUS_OVERLOADED, error);
        s_reply (self, &request);
        return;
    }
    /* One part per writer group the events fall in. */
    uint64_t groups = ingest_request_split (request, self->settings.writers);
    size_t parts = 0;
    for (uint32_t group = 0; group < self->settings.writers; group++)
        parts += (groups >> group) & 1;
    ingest_request_set_parts (request, parts);
    size_t joined = 0;
    for (uint32_t group = 0; group < self->settings.writers; group++) {
        if (!((groups >> group) & 1))
            continue;
        s_writer_t *writer = &self->writers[group];
        size_t before = ingest_batch_event_count (writer->pending);
        ingest_request_t *part = request;
        if (ingest_batch_add (writer->pending, &part) != 0)
            break;
        size_t added = ingest_batch_event_count (writer->pending) - before;
        writer->pending_events += added;
        self->pending_events += added;
        joined++;
    }
    if (joined == 0) {
        ingest_request_refuse (request, INGEST_STATUS_OVERLOADED, "out of memory: retry later");
        s_reply (self, &request);
        return;
    }
    if (parts > 1)
        sp_metric_add (self->split_total, NULL, 1);
    s_set_in_flight (self, +1);
    /* Parts that could not join (out of memory) count as failed: the
       request is refused for retry once the others are back. */
    for (size_t missing = joined; missing < parts; missing++)
        ingest_request_part_done (request, false);
    for (uint32_t group = 0; group < self->settings.writers; group++)
        if ((groups >> group) & 1)
            s_kick (self, &self->writers[group]);
}

static int
s_router_readable (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    (void) reader;
    ingest_server_t *self = (ingest_server_t *) arg;
    for (int turn = 0; turn < INGEST_SERVER_READS_PER_TURN; turn++) {
        if (!(zsock_events (self->router) & ZMQ_POLLIN))
            break;
        zframe_t *identity = NULL;
        zframe_t *frames[INGEST_SERVER_FRAMES_KEPT] = { NULL };
        size_t count = s_receive (self, &identity, frames);
        if (identity)
            s_take_request (self, &identity, frames, count);
        zframe_destroy (&identity);
        for (size_t index = 0; index < INGEST_SERVER_FRAMES_KEPT; index++)
            zframe_destroy (&frames[index]);
    }
    return 0;
}

static int
s_register_metrics (ingest_server_t *self, sp_metrics_t *metrics)
{
    self->events_total = sp_metrics_counter (
        metrics, "salespulse_ingest_events_total",
        "events answered, by outcome (accepted, duplicate, conflict, rejected)",
        (const char *[]) { "outcome" }, 1);
    self->rejections_total =
        sp_metrics_counter (metrics, "salespulse_ingest_rejections_total",
                            "events rejected by validation, by reason", (const char *[]) { "reason" }, 1);
    self->requests_total = sp_metrics_counter (metrics, "salespulse_ingest_requests_total",
                                               "requests answered, by reply status",
                                               (const char *[]) { "status" }, 1);
    self->batch_events = sp_metrics_histogram (
        metrics, "salespulse_ingest_batch_events", "events written per transaction (group commit)",
        NULL, 0, s_batch_bounds, sizeof s_batch_bounds / sizeof s_batch_bounds[0]);
    self->commit_seconds = sp_metrics_histogram (
        metrics, "salespulse_ingest_commit_seconds",
        "time of one ingest transaction, begin to commit, seconds", NULL, 0, s_commit_bounds,
        sizeof s_commit_bounds / sizeof s_commit_bounds[0]);
    self->in_flight_gauge =
        sp_metrics_gauge (metrics, "salespulse_ingest_requests_in_flight",
                          "requests read and not yet answered", NULL, 0);
    self->split_total = sp_metrics_counter (
        metrics, "salespulse_ingest_split_requests_total",
        "requests whose events fell in several writers' partition groups", NULL, 0);
    self->writers_gauge =
        sp_metrics_gauge (metrics, "salespulse_ingest_writers",
                          "writer sessions (PostgreSQL connections storing events)", NULL, 0);
    return self->events_total && self->rejections_total && self->requests_total &&
                   self->batch_events && self->commit_seconds && self->in_flight_gauge &&
                   self->split_total && self->writers_gauge
               ? 0
               : -1;
}

/* Starts writer number group: its thread, its pending batch, its timer. */
static int
s_writer_start (ingest_server_t *self, s_writer_t *writer, uint32_t group, char *error,
                size_t error_size)
{
    writer->server = self;
    writer->group = group;
    writer->timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    writer->pending = ingest_batch_new_group (group);
    if (writer->timer_fd < 0 || !writer->pending) {
        sp_error_set (error, error_size, "could not create writer %u's timer and batch", group);
        return -1;
    }
    writer->args.postgres_url = self->settings.postgres_url;
    writer->args.partitions = self->settings.partitions;
    writer->actor = zactor_new (ingest_writer_actor, &writer->args);
    if (!writer->actor) {
        sp_error_set (error, error_size, "could not start writer thread %u", group);
        return -1;
    }
    zmq_pollitem_t item = { NULL, writer->timer_fd, ZMQ_POLLIN, 0 };
    if (zloop_reader (self->loop, (zsock_t *) writer->actor, s_writer_readable, writer) != 0 ||
        zloop_poller (self->loop, &item, s_commit_timer, writer) != 0) {
        sp_error_set (error, error_size, "could not register writer %u's readers", group);
        return -1;
    }
    writer->polled = true;
    return 0;
}

/* Stops watching a writer's pipe and timer. */
static void
s_writer_unpoll (ingest_server_t *self, s_writer_t *writer)
{
    if (!writer->polled)
        return;
    zmq_pollitem_t item = { NULL, writer->timer_fd, ZMQ_POLLIN, 0 };
    zloop_reader_end (self->loop, (zsock_t *) writer->actor);
    zloop_poller_end (self->loop, &item);
    writer->polled = false;
}

ingest_server_t *
ingest_server_new (const ingest_server_settings_t *settings, zloop_t *loop, sp_metrics_t *metrics,
                   char *error, size_t error_size)
{
    assert (settings && loop && metrics);
    if (settings->writers < 1 || settings->writers > INGEST_REQUEST_MAX_GROUPS) {
        sp_error_set (error, error_size, "--writers %u must be 1..%d", settings->writers,
                      INGEST_REQUEST_MAX_GROUPS);
        return NULL;
    }
    ingest_server_t *self = (ingest_server_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->settings = *settings;
    /* A writer without a partition would never write: more writers than
       partitions are lowered to one per partition. */
    if (settings->writers > settings->partitions) {
        sp_log_warn ("fewer partitions than writers, one writer per partition",
                     "writers=%u partitions=%u", settings->writers, settings->partitions);
        self->settings.writers = settings->partitions;
    }
    self->settings.endpoint = NULL;
    self->settings.bus = NULL;
    self->loop = loop;
    self->limits.max_events = settings->max_batch;
    self->limits.max_bytes = settings->max_message_bytes;
    self->limits.partitions = settings->partitions;
    self->limits.max_future_ms = settings->max_future_ms;
    self->limits.max_past_ms = settings->max_past_ms;
    self->writers = (s_writer_t *) calloc (self->settings.writers, sizeof (s_writer_t));
    if (!self->writers || s_register_metrics (self, metrics) != 0) {
        sp_error_set (error, error_size, "out of memory");
        goto out_destroy;
    }
    for (uint32_t group = 0; group < self->settings.writers; group++)
        self->writers[group].timer_fd = -1;

    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_ROUTER);
    options.endpoints = settings->endpoint;
    options.max_message_size = (int64_t) settings->max_message_bytes;
    options.send_timeout_ms = INGEST_SERVER_SEND_TIMEOUT_MS;
    self->router = sp_zmq_socket_new (&options, error, error_size);
    if (!self->router)
        goto out_destroy;
    self->curve = sp_zmq_curve_is_server (self->router);
    sp_zmq_options_init (&options, ZMQ_PUB);
    options.endpoints = settings->bus;
    options.send_hwm = settings->bus_hwm;
    self->bus = sp_zmq_socket_new (&options, error, error_size);
    if (!self->bus)
        goto out_destroy;

    /* Each writer thread copies the URL before it signals. */
    for (uint32_t group = 0; group < self->settings.writers; group++)
        if (s_writer_start (self, &self->writers[group], group, error, error_size) != 0)
            goto out_destroy;
    self->settings.postgres_url = NULL;
    sp_metric_set (self->writers_gauge, NULL, (double) self->settings.writers);
    if (zloop_reader (loop, self->router, s_router_readable, self) != 0) {
        sp_error_set (error, error_size, "could not register the socket readers");
        goto out_destroy;
    }
    self->reading = true;
    return self;

out_destroy:
    self->settings.postgres_url = NULL;
    ingest_server_destroy (&self);
    return NULL;
}

/* True when some writer has a batch out or requests pending. */
static bool
s_busy (const ingest_server_t *self)
{
    for (uint32_t group = 0; group < self->settings.writers; group++) {
        const s_writer_t *writer = &self->writers[group];
        if (writer->actor &&
            (writer->writing || ingest_batch_request_count (writer->pending) > 0))
            return true;
    }
    return false;
}

void
ingest_server_stop (ingest_server_t *self)
{
    assert (self);
    if (self->stopped)
        return;
    self->stopped = true;
    if (self->reading) {
        zloop_reader_end (self->loop, self->router);
        self->reading = false;
    }
    for (uint32_t group = 0; self->writers && group < self->settings.writers; group++)
        s_writer_unpoll (self, &self->writers[group]);
    size_t answered = self->in_flight;
    /* The batches at the writers, then what is pending (s_batch_done hands it over). */
    while (self->writers && s_busy (self)) {
        bool failed = false;
        for (uint32_t group = 0; group < self->settings.writers; group++) {
            s_writer_t *writer = &self->writers[group];
            if (writer->actor && !writer->writing)
                s_dispatch (self, writer);
        }
        for (uint32_t group = 0; group < self->settings.writers && !failed; group++) {
            s_writer_t *writer = &self->writers[group];
            if (writer->writing && s_receive_done (self, writer) != 0) {
                sp_log_error ("writer thread did not answer", "group=%u in_flight=%zu", group,
                              self->in_flight);
                failed = true;
            }
        }
        if (failed)
            break;
    }
    sp_log_info ("stopped reading requests", "answered=%zu", answered);
}

void
ingest_server_destroy (ingest_server_t **self_p)
{
    assert (self_p);
    ingest_server_t *self = *self_p;
    if (!self)
        return;
    if (self->router)
        ingest_server_stop (self);
    for (uint32_t group = 0; self->writers && group < self->settings.writers; group++) {
        s_writer_t *writer = &self->writers[group];
        s_writer_unpoll (self, writer);
        zactor_destroy (&writer->actor);
        if (writer->timer_fd >= 0)
            close (writer->timer_fd);
        /* Left only when a writer stopped answering: a request shared with
           another group is freed with its last part. */
        for (size_t index = 0; writer->pending && index < ingest_batch_request_count (writer->pending);
             index++) {
            ingest_request_t *request = ingest_batch_take_request (writer->pending, index);
            if (ingest_request_part_done (request, false) == 0)
                ingest_request_destroy (&request);
        }
        ingest_batch_destroy (&writer->pending);
    }
    free (self->writers);
    sp_zmq_socket_destroy (&self->bus);
    sp_zmq_socket_destroy (&self->router);
    free (self);
    *self_p = NULL;
}

uint32_t
ingest_server_writers (const ingest_server_t *self)
{
    assert (self);
    return self->settings.writers;
}

const char *
ingest_server_endpoint (ingest_server_t *self)
{
    assert (self);
    return sp_zmq_endpoint (self->router);
}

const char *
ingest_server_bus_endpoint (ingest_server_t *self)
{
    assert (self);
    return sp_zmq_endpoint (self->bus);
}
