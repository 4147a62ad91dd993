/*  bench_ingest - activity-ingest end to end, against the raw COPY ceiling.

    Starts its own PostgreSQL and Redis (the integration-test harness),
    sets the database up with 16 partitions, spawns the release
    activity-ingest binary and measures, in one run on this machine:

      1. accepted events/s end to end (publisher -> validation -> commit ->
         acknowledgement) with batches of 1,000 and of 100 events, from
         BENCH_PUBLISHERS concurrent publishers (one sp_ingest_client each,
         one request in flight each, so group commit has something to group):
         wall time from the start to the last acknowledgement;
      2. acknowledgement latency (send to reply, per request) at half the
         batch-1,000 rate: requests of 100 events paced on a fixed schedule;
      3. the raw PostgreSQL ceiling for the same rows into the same table
         (events, same indexes, synchronous_commit on): binary COPY from
         one client, no service, the rows built exactly as the service
         builds them (ingest_copy, ingest_digest), chunks of 1,000 and of
         10,000 rows, each COPY its own transaction.

      4. the same ceiling from BENCH_SESSIONS sessions at once: the rows
         split by partition group (partition % BENCH_SESSIONS, as the
         service's writers split them), each group COPYd by its own
         connection and thread, chunks of 1,000 and of 10,000 rows per
         session, each COPY its own transaction.

      5. a steady run at BENCH_STEADY_RATE events/s (requests of 100) and
         the paced run again, each with the transactions the service's
         /metrics count and the WAL flushes pg_stat_wal counts: how many
         requests share a commit;
      6. CPU per event of activity-ingest and of its PostgreSQL sessions
         over the batch-1,000 run, against CPU per row of the COPY session
         (/proc/PID/stat): where the time goes, measured in the same run;
      7. BENCH_ROUNDS rounds, each the batch-1,000 run again followed at
         once by the two-session ceiling (both chunk sizes, the faster
         counts): the ratio of each round, and their median. Other work
         on a shared machine moves a single pair by 15 points or more
         (docs/performance.md); pairs taken back to back, and their
         median, are what the goal is read against.

    The events table is emptied before every measurement, so each starts
    from the same state. The ratios end to end (batches of 1,000) / the
    one-session COPY ceiling (goal: at least 50 %) and / the two-session
    ceiling (goal: at least 60 %, issue 15, on the median of the rounds of
    7), the faster chunk size of each, close the output. SP_INGEST_WRITERS and
   SP_INGEST_COMMIT_DELAY_US, when set, are passed to the service (for comparisons in one build).

    The service's COPY row builder and SHA-256 are compiled in from its
    source files: the Makefile links benchmarks with the shared library
    only, and the ceiling must be built from exactly the bytes the service
    sends.
*/
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_support.h"
#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_pg.h"
#include "sp_ingest_client.h"
#include "sp_partition.h"
#include "sp_pg.h"
#include "sp_proto.h"

#include "activity-ingest/ingest_copy.h"
#include "activity-ingest/ingest_digest.h"

#define BENCH_PARTITIONS 16          /* as the tests and the local stack */
#define BENCH_PUBLISHERS 4           /* concurrent publishers, one request in flight each */
#define BENCH_EVENTS 200000          /* events of the batch-1,000 run and of the ceiling */
#define BENCH_EVENTS_SMALL 100000    /* events of the batch-100 run */
#define BENCH_BATCH_LARGE 1000       /* events per request, first run */
#define BENCH_BATCH_SMALL 100        /* events per request, second run and latency */
#define BENCH_LATENCY_SECONDS 8.0    /* length of the paced run */
#define BENCH_STEADY_RATE 5000.0     /* events/s of the steady run (issue 15's figure) */
#define BENCH_COPY_CHUNK_SMALL 1000  /* rows per COPY, first ceiling run */
#define BENCH_COPY_CHUNK_LARGE 10000 /* rows per COPY, second ceiling run */
#define BENCH_SESSIONS 2             /* sessions of the several-session ceiling */
#define BENCH_ROUNDS 3               /* back-to-back service / two-session ceiling pairs */
#define BENCH_CUSTOMERS 5000         /* distinct customer_id values */
#define BENCH_REPS 200               /* distinct rep_id values */
#define BENCH_TEAMS 20               /* distinct team_id values */
#define BENCH_REGIONS 4              /* distinct region_id values */
#define BENCH_MAX_CALL_SECONDS 3600  /* call durations 1..this */
#define BENCH_SECONDS_PER_DAY 86400
#define BENCH_MS_PER_S 1000
#define BENCH_NS_PER_S 1000000000L
#define BENCH_TIMEOUT_MS 60000        /* reply wait per attempt */
#define BENCH_START_TIMEOUT_MS 60000  /* service start */
#define BENCH_STOP_TIMEOUT_MS 30000   /* service stop after SIGTERM */
#define BENCH_GOAL_RATIO 0.5          /* end to end / ceiling, issue 3 */
#define BENCH_SESSIONS_GOAL_RATIO 0.6 /* end to end / several-session ceiling, issue 15 */
#define BENCH_START_DELAY_S 0.2       /* publishers connect before the common start */
#define BENCH_ERROR_SIZE 512
#define BENCH_TEXT_SIZE 64

/* One publisher thread: its share of the events and what it measured. */
typedef struct {
    const char *endpoint;         /* activity-ingest's ROUTER */
    sp_event_t **events;          /* its events (borrowed) */
    size_t count;                 /* events in events */
    size_t batch;                 /* events per request */
    double interval_s;            /* paced: seconds between request starts; 0 = closed loop */
    double offset_s;              /* paced: this thread's first send after the start */
    double start;                 /* monotonic time every publisher starts at */
    double finished;              /* monotonic time of the last acknowledgement */
    double *latencies;            /* send-to-reply seconds per request */
    size_t requests;              /* requests acknowledged */
    size_t accepted;              /* events acknowledged as accepted */
    size_t other;                 /* events with any other outcome */
    size_t late;                  /* paced requests sent after their slot */
    uint64_t resends;             /* the client's resends */
    int rc;                       /* 0 when every request was acknowledged OK */
    char error[BENCH_ERROR_SIZE]; /* why not */
} s_publisher_t;

/* Result of one publishing run. */
typedef struct {
    size_t accepted;  /* events accepted */
    size_t other;     /* events not accepted (must be 0) */
    size_t requests;  /* requests acknowledged */
    size_t late;      /* paced requests sent late */
    uint64_t resends; /* resends over all clients */
    double seconds;   /* start to last acknowledgement */
    double p50_ms;    /* median acknowledgement latency */
    double p99_ms;    /* 99th percentile acknowledgement latency */
    double max_ms;    /* slowest acknowledgement */
} s_run_t;

/* CPU seconds used by the service and by PostgreSQL backends over one
   measurement. */
typedef struct {
    double service;  /* activity-ingest, every thread */
    double backends; /* the backends of the measured sessions */
} s_cpu_t;

/* What the benchmark started. */
typedef struct {
    sp_harness_t *harness;          /* PostgreSQL and Redis */
    sp_pg_t *pg;                    /* the benchmark's own connection */
    pid_t pid;                      /* activity-ingest, -1 when not running */
    char log_path[PATH_MAX];        /* its log */
    char endpoint[BENCH_TEXT_SIZE]; /* its ROUTER */
    int http_port;                  /* its /metrics */
} s_bench_t;

/* The service's group-commit counters, summed over their series. */
typedef struct {
    int64_t transactions; /* salespulse_ingest_batch_events_count */
    int64_t requests;     /* salespulse_ingest_requests_total */
    int64_t split;        /* salespulse_ingest_split_requests_total (0 before issue 15) */
    int64_t wal_syncs;    /* pg_stat_wal.wal_sync: WAL flushes to disk, any session */
} s_commits_t;

static s_commits_t
s_commits (const s_bench_t *bench)
{
    s_commits_t commits;
    commits.wal_syncs = sp_harness_pg_count (bench->pg, "SELECT wal_sync FROM pg_stat_wal");
    commits.transactions =
        sp_harness_consumer_metric (bench->http_port, "salespulse_ingest_batch_events_count");
    commits.requests =
        sp_harness_consumer_metric (bench->http_port, "salespulse_ingest_requests_total");
    commits.split =
        sp_harness_consumer_metric (bench->http_port, "salespulse_ingest_split_requests_total");
    if (commits.split < 0)
        commits.split = 0;
    return commits;
}

/* Sleeps until the monotonic time at (seconds). */
static void
s_sleep_until (double at)
{
    struct timespec until;
    until.tv_sec = (time_t) at;
    until.tv_nsec = (long) ((at - (double) until.tv_sec) * BENCH_NS_PER_S);
    while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
}

/* Event number index: a valid call, spread over customers, reps, teams,
   regions and the last day. */
static sp_event_t *
s_event_new (size_t index, int64_t now_ms)
{
    sp_event_t *event = sp_event_new (SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL);
    if (!event)
        return NULL;
    if (bench_set_text (&event->event_id, "bench:call:%zu", index) != 0 ||
        sp_event_set_string (&event->source, "bench", strlen ("bench")) != 0 ||
        bench_set_text (&event->rep_id, "rep-%zu", index % BENCH_REPS) != 0 ||
        bench_set_text (&event->team_id, "team-%zu", index % BENCH_TEAMS) != 0 ||
        bench_set_text (&event->region_id, "region-%zu", index % BENCH_REGIONS) != 0 ||
        bench_set_text (&event->customer_id, "customer-%zu", index % BENCH_CUSTOMERS) != 0) {
        sp_event_destroy (&event);
        return NULL;
    }
    event->occurred_at = now_ms - (int64_t) (index % BENCH_SECONDS_PER_DAY) * BENCH_MS_PER_S;
    event->call->duration_seconds = (uint32_t) (index % BENCH_MAX_CALL_SECONDS) + 1;
    return event;
}

static void *
s_publisher_run (void *arg)
{
    s_publisher_t *self = (s_publisher_t *) arg;
    sp_ingest_client_options_t options;
    sp_ingest_client_options_init (&options);
    sp_ingest_client_t *client =
        sp_ingest_client_new (self->endpoint, &options, self->error, sizeof self->error);
    self->rc = -1;
    if (!client)
        return NULL;
    s_sleep_until (self->start);
    size_t slot = 0;
    for (size_t first = 0; first < self->count; first += self->batch, slot++) {
        size_t count = self->count - first < self->batch ? self->count - first : self->batch;
        if (self->interval_s > 0) {
            double due = self->start + self->offset_s + (double) slot * self->interval_s;
            if (bench_seconds () < due)
                s_sleep_until (due);
            else
                self->late++;
        }
        Salespulse__IngestReply *reply = NULL;
        double sent = bench_seconds ();
        sp_ingest_client_result_t result =
            sp_ingest_client_send (client, self->events + first, count, BENCH_TIMEOUT_MS, &reply,
                                   self->error, sizeof self->error);
        double answered = bench_seconds ();
        if (result != SP_INGEST_CLIENT_OK)
            goto out_destroy;
        for (size_t index = 0; index < reply->n_outcomes; index++)
            if (reply->outcomes[index]->outcome == SALESPULSE__OUTCOME__OUTCOME_ACCEPTED)
                self->accepted++;
            else
                self->other++;
        sp_proto_free ((ProtobufCMessage **) &reply);
        self->latencies[self->requests++] = answered - sent;
        self->finished = answered;
    }
    self->rc = 0;

out_destroy:
    self->resends = sp_ingest_client_resend_count (client);
    sp_ingest_client_destroy (&client);
    return NULL;
}

/* Value at quantile (0..1) of sorted values (nearest rank). */
static double
s_quantile (const double *sorted, size_t count, double quantile)
{
    size_t rank = (size_t) (quantile * (double) count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > count)
        rank = count;
    return sorted[rank - 1];
}

/* Publishes count events from BENCH_PUBLISHERS threads, batch events per
   request; paced when events_per_second > 0. Returns 0 with run filled. */
static int
s_publish (const s_bench_t *bench, sp_event_t **events, size_t count, size_t batch,
           double events_per_second, s_run_t *run)
{
    s_publisher_t publishers[BENCH_PUBLISHERS];
    pthread_t threads[BENCH_PUBLISHERS];
    size_t started = 0;
    int rc = -1;
    memset (publishers, 0, sizeof publishers);
    memset (run, 0, sizeof *run);
    /* Whole batches per publisher, the remainder to the last one. */
    size_t batches = (count + batch - 1) / batch;
    size_t share = batches / BENCH_PUBLISHERS * batch;
    double interval =
        events_per_second > 0 ? (double) batch * BENCH_PUBLISHERS / events_per_second : 0;
    double *latencies = (double *) calloc (batches + 1, sizeof (double));
    if (!latencies) {
        fprintf (stderr, "bench_ingest: out of memory\n");
        return -1;
    }
    /* Every publisher connects, then starts at the same moment. */
    double start = bench_seconds () + BENCH_START_DELAY_S;
    size_t first = 0;
    for (size_t index = 0; index < BENCH_PUBLISHERS; index++) {
        s_publisher_t *publisher = &publishers[index];
        publisher->endpoint = bench->endpoint;
        publisher->events = events + first;
        publisher->count = index + 1 < BENCH_PUBLISHERS ? share : count - first;
        publisher->batch = batch;
        publisher->interval_s = interval;
        publisher->offset_s = interval * (double) index / BENCH_PUBLISHERS;
        publisher->start = start;
        publisher->latencies = latencies + first / batch;
        first += publisher->count;
    }
    for (; started < BENCH_PUBLISHERS; started++)
        if (pthread_create (&threads[started], NULL, s_publisher_run, &publishers[started]) != 0)
            break;
    for (size_t index = 0; index < started; index++)
        pthread_join (threads[index], NULL);
    if (started < BENCH_PUBLISHERS) {
        fprintf (stderr, "bench_ingest: could not start the publisher threads\n");
        goto out_free;
    }

    double finished = start;
    size_t samples = 0;
    for (size_t index = 0; index < BENCH_PUBLISHERS; index++) {
        const s_publisher_t *publisher = &publishers[index];
        if (publisher->rc != 0) {
            fprintf (stderr, "bench_ingest: publisher %zu failed: %s\n", index, publisher->error);
            goto out_free;
        }
        run->accepted += publisher->accepted;
        run->other += publisher->other;
        run->requests += publisher->requests;
        run->late += publisher->late;
        run->resends += publisher->resends;
        if (publisher->finished > finished)
            finished = publisher->finished;
        /* Move this publisher's samples next to the previous ones. */
        memmove (latencies + samples, publisher->latencies, publisher->requests * sizeof (double));
        samples += publisher->requests;
    }
    if (run->other > 0 || run->accepted != count) {
        fprintf (stderr, "bench_ingest: %zu of %zu events accepted, %zu other outcomes\n",
                 run->accepted, count, run->other);
        goto out_free;
    }
    run->seconds = finished - start;
    qsort (latencies, samples, sizeof (double), bench_compare_double);
    run->p50_ms = s_quantile (latencies, samples, 0.50) * BENCH_MS_PER_S;
    run->p99_ms = s_quantile (latencies, samples, 0.99) * BENCH_MS_PER_S;
    run->max_ms = latencies[samples - 1] * BENCH_MS_PER_S;
    rc = 0;

out_free:
    free (latencies);
    return rc;
}

/* Empties the log and resets the partition heads. */
static int
s_clear (sp_pg_t *pg)
{
    return bench_exec ("bench_ingest", pg,
                       "TRUNCATE events, dead_letters, event_conflicts; "
                       "UPDATE event_partitions SET head_sequence = 0");
}

/* COPY streams of chunk rows each holding the events of partition group
   group (partition % groups == group) as the service writes them:
   partition and gap-free sequence, content hash, payload. Returns the
   streams (count in *stream_count, the last one may be NULL when the
   group holds fewer events), NULL when out of memory. */
static ingest_copy_t **
s_copy_streams (sp_event_t **events, size_t count, size_t chunk, uint32_t groups, uint32_t group,
                size_t *stream_count)
{
    size_t streams = (count + chunk - 1) / chunk;
    ingest_copy_t **copies = (ingest_copy_t **) calloc (streams, sizeof *copies);
    uint64_t heads[BENCH_PARTITIONS] = { 0 };
    uint8_t *packed = NULL;
    size_t packed_room = 0;
    size_t rows = 0;
    int64_t ingested_at = bench_wall_ms ();
    bool failed = !copies;
    for (size_t index = 0; !failed && index < count; index++) {
        const sp_event_t *event = events[index];
        const char *key = sp_event_partition_key (event);
        uint32_t partition = sp_partition_of (key, strlen (key), BENCH_PARTITIONS);
        if (partition % groups != group)
            continue;
        size_t stream = rows++ / chunk;
        if (!copies[stream] && !(copies[stream] = ingest_copy_new ())) {
            failed = true;
            break;
        }
        size_t size = protobuf_c_message_get_packed_size (&event->base);
        if (size > packed_room) {
            uint8_t *grown = (uint8_t *) realloc (packed, size);
            if (!grown) {
                failed = true;
                break;
            }
            packed = grown;
            packed_room = size;
        }
        protobuf_c_message_pack (&event->base, packed);
        uint8_t hash[INGEST_DIGEST_SIZE];
        ingest_digest_sha256 (packed, size, hash);
        ingest_copy_t *copy = copies[stream];
        ingest_copy_event (copy, event, partition, ++heads[partition], ingested_at, hash,
                           INGEST_DIGEST_SIZE, packed, size);
    }
    free (packed);
    streams = (rows + chunk - 1) / chunk;
    for (size_t stream = 0; !failed && stream < streams; stream++) {
        size_t size = 0;
        failed = ingest_copy_finish (copies[stream], &size) == NULL;
    }
    if (failed) {
        for (size_t stream = 0; copies && stream < streams; stream++)
            ingest_copy_destroy (&copies[stream]);
        free (copies);
        fprintf (stderr, "bench_ingest: out of memory building COPY rows\n");
        return NULL;
    }
    *stream_count = streams;
    return copies;
}

/* The ceiling: COPYs the events into the emptied table, chunk rows per
   COPY (each its own transaction). Returns the seconds taken, or -1. */
static double
s_copy_ceiling (sp_pg_t *pg, sp_event_t **events, size_t count, size_t chunk)
{
    static const char sql[] =
        "COPY events (" INGEST_COPY_EVENT_COLUMN_LIST ") FROM STDIN (FORMAT binary)";
    size_t streams = 0;
    ingest_copy_t **copies = s_copy_streams (events, count, chunk, 1, 0, &streams);
    if (!copies || s_clear (pg) != 0) {
        for (size_t stream = 0; copies && stream < streams; stream++)
            ingest_copy_destroy (&copies[stream]);
        free (copies);
        return -1;
    }
    double seconds = -1;
    int64_t rows = 0;
    double start = bench_seconds ();
    for (size_t stream = 0; stream < streams; stream++) {
        size_t size = 0;
        const uint8_t *data = ingest_copy_finish (copies[stream], &size);
        sp_pg_result_t *result = sp_pg_copy_in (pg, sql, data, size);
        bool copied = sp_pg_result_ok (result);
        if (copied)
            rows += sp_pg_result_affected (result);
        else
            fprintf (stderr, "bench_ingest: COPY failed: %s\n", sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
        if (!copied)
            goto out_free;
    }
    seconds = bench_seconds () - start;
    if (rows != (int64_t) count) {
        fprintf (stderr, "bench_ingest: COPY stored %" PRId64 " of %zu rows\n", rows, count);
        seconds = -1;
    }

out_free:
    for (size_t stream = 0; stream < streams; stream++)
        ingest_copy_destroy (&copies[stream]);
    free (copies);
    return seconds;
}

/* CPU seconds (user + system) pid used so far; 0 when unreadable. */
static double
s_cpu_seconds (pid_t pid)
{
    char path[BENCH_TEXT_SIZE];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line[1024];
    double seconds = 0;
    if (fgets (line, sizeof line, file)) {
        /* Fields after the command (which may hold spaces): state is 3,
           utime 14, stime 15. */
        const char *cursor = strrchr (line, ')');
        unsigned long user = 0, system = 0;
        if (cursor && sscanf (cursor + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                              &user, &system) == 2)
            seconds = (double) (user + system) / (double) sysconf (_SC_CLK_TCK);
    }
    fclose (file);
    return seconds;
}

/* CPU seconds used so far by the backends of application's sessions. */
static double
s_backends_cpu (sp_pg_t *pg, const char *application)
{
    const char *values[] = { application };
    sp_pg_result_t *result = sp_pg_exec (
        pg, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", 1, values, NULL, NULL);
    double seconds = 0;
    for (int row = 0; sp_pg_result_ok (result) && row < sp_pg_result_rows (result); row++) {
        int64_t pid = 0;
        if (sp_pg_result_int64 (result, row, 0, &pid) == 0)
            seconds += s_cpu_seconds ((pid_t) pid);
    }
    sp_pg_result_destroy (&result);
    return seconds;
}

/* One session of the two-session ceiling: its own connection, the COPY
   streams of its partition group, what it stored. */
typedef struct {
    sp_pg_t *pg;            /* this session's connection */
    ingest_copy_t **copies; /* its streams */
    size_t streams;         /* streams in copies */
    double start;           /* monotonic time both sessions start at */
    double finished;        /* monotonic time its last COPY committed */
    int64_t rows;           /* rows stored */
    int rc;                 /* 0 when every COPY succeeded */
} s_session_t;

static void *
s_session_run (void *arg)
{
    static const char sql[] =
        "COPY events (" INGEST_COPY_EVENT_COLUMN_LIST ") FROM STDIN (FORMAT binary)";
    s_session_t *self = (s_session_t *) arg;
    self->rc = -1;
    s_sleep_until (self->start);
    for (size_t stream = 0; stream < self->streams; stream++) {
        size_t size = 0;
        const uint8_t *data = ingest_copy_finish (self->copies[stream], &size);
        sp_pg_result_t *result = sp_pg_copy_in (self->pg, sql, data, size);
        bool copied = sp_pg_result_ok (result);
        if (copied)
            self->rows += sp_pg_result_affected (result);
        else
            fprintf (stderr, "bench_ingest: COPY failed: %s\n", sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
        if (!copied)
            return NULL;
    }
    self->finished = bench_seconds ();
    self->rc = 0;
    return NULL;
}

/* The two-session ceiling: the same rows split by partition group
   (partition % BENCH_SESSIONS), each group COPYd by its own connection
   and thread, chunk rows per COPY (each its own transaction), both
   starting together. Returns the seconds until the last one finished, or
   -1. */
static double
s_copy_ceiling_sessions (const s_bench_t *bench, sp_event_t **events, size_t count, size_t chunk)
{
    s_session_t sessions[BENCH_SESSIONS];
    pthread_t threads[BENCH_SESSIONS];
    size_t started = 0;
    double seconds = -1;
    memset (sessions, 0, sizeof sessions);
    bool ready = s_clear (bench->pg) == 0;
    for (uint32_t group = 0; ready && group < BENCH_SESSIONS; group++) {
        s_session_t *session = &sessions[group];
        session->copies =
            s_copy_streams (events, count, chunk, BENCH_SESSIONS, group, &session->streams);
        session->pg = sp_pg_new (sp_harness_postgres_url (bench->harness), "bench_ingest");
        ready = session->copies && session->pg && sp_pg_connect (session->pg) == 0;
    }
    if (!ready)
        goto out_free;
    double start = bench_seconds () + BENCH_START_DELAY_S;
    for (; started < BENCH_SESSIONS; started++) {
        sessions[started].start = start;
        if (pthread_create (&threads[started], NULL, s_session_run, &sessions[started]) != 0)
            break;
    }
    for (size_t index = 0; index < started; index++)
        pthread_join (threads[index], NULL);
    if (started < BENCH_SESSIONS) {
        fprintf (stderr, "bench_ingest: could not start the COPY threads\n");
        goto out_free;
    }
    int64_t rows = 0;
    double finished = start;
    for (size_t index = 0; index < BENCH_SESSIONS; index++) {
        if (sessions[index].rc != 0)
            goto out_free;
        rows += sessions[index].rows;
        if (sessions[index].finished > finished)
            finished = sessions[index].finished;
    }
    if (rows != (int64_t) count)
        fprintf (stderr, "bench_ingest: COPY stored %" PRId64 " of %zu rows\n", rows, count);
    else
        seconds = finished - start;

out_free:
    for (size_t index = 0; index < BENCH_SESSIONS; index++) {
        for (size_t stream = 0; sessions[index].copies && stream < sessions[index].streams;
             stream++)
            ingest_copy_destroy (&sessions[index].copies[stream]);
        free (sessions[index].copies);
        sp_pg_destroy (&sessions[index].pg);
    }
    return seconds;
}

/* Starts the servers, sets the database up and spawns the service. */
static int
s_start (s_bench_t *bench)
{
    bench->harness = sp_harness_pg_fixture ("bench_ingest", BENCH_PARTITIONS, &bench->pg);
    if (!bench->harness)
        return -1;

    char partitions[BENCH_TEXT_SIZE];
    snprintf (bench->endpoint, sizeof bench->endpoint, "tcp://127.0.0.1:%d",
              sp_harness_free_port ());
    snprintf (partitions, sizeof partitions, "SP_PARTITIONS=%d", BENCH_PARTITIONS);
    snprintf (bench->log_path, sizeof bench->log_path, "%s/activity-ingest.log",
              sp_harness_dir (bench->harness));
    /* The service's writer count and commit delay may be chosen for a
       comparison (the harness passes no SP_ variable on by itself). */
    char writers[BENCH_TEXT_SIZE] = "", delay[BENCH_TEXT_SIZE] = "", http[BENCH_TEXT_SIZE];
    bench->http_port = sp_harness_free_port ();
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", bench->http_port);
    const char *settings[5] = { partitions, http, NULL, NULL, NULL };
    size_t count = 2;
    if (getenv ("SP_INGEST_WRITERS")) {
        snprintf (writers, sizeof writers, "SP_INGEST_WRITERS=%s", getenv ("SP_INGEST_WRITERS"));
        settings[count++] = writers;
    }
    if (getenv ("SP_INGEST_COMMIT_DELAY_US")) {
        snprintf (delay, sizeof delay, "SP_INGEST_COMMIT_DELAY_US=%s",
                  getenv ("SP_INGEST_COMMIT_DELAY_US"));
        settings[count++] = delay;
    }
    bench->pid =
        sp_harness_start_ingest (bench->harness, bench->endpoint, (const char *const *) settings,
                                 bench->log_path, BENCH_START_TIMEOUT_MS);
    return bench->pid > 0 ? 0 : -1;
}

/* Stops the service (SIGTERM, then SIGKILL after the timeout); returns
   its exit status. */
static int
s_stop_service (s_bench_t *bench)
{
    if (bench->pid <= 0)
        return 0;
    kill (bench->pid, SIGTERM);
    int status = sp_harness_wait_exit (bench->pid, BENCH_STOP_TIMEOUT_MS);
    bench->pid = -1;
    return status;
}

static void
s_print_run (const char *name, const s_run_t *run)
{
    printf ("%-46s %9zu %9.2f %11.0f %9.1f %9.1f\n", name, run->accepted, run->seconds,
            (double) run->accepted / run->seconds, run->p50_ms, run->p99_ms);
}

static void
s_print_copy (const char *name, size_t count, double seconds)
{
    printf ("%-46s %9zu %9.2f %11.0f %9s %9s\n", name, count, seconds, (double) count / seconds,
            "-", "-");
}

int
main (void)
{
    s_bench_t bench = { NULL, NULL, -1, "", "", 0 };
    sp_event_t **events = (sp_event_t **) calloc (BENCH_EVENTS, sizeof *events);
    int rc = 1;
    if (!events)
        goto out_free;
    /* CZMQ's process state once, here: the publisher threads create their
       first sockets at the same moment, and zsys_init is not safe to race
       (an assertion in zsys_set_thread_name_prefix aborted a run). */
    zsys_init ();
    int64_t now_ms = bench_wall_ms ();
    for (size_t index = 0; index < BENCH_EVENTS; index++)
        if (!(events[index] = s_event_new (index, now_ms)))
            goto out_free;
    if (s_start (&bench) != 0) {
        fprintf (stderr, "bench_ingest: could not start PostgreSQL, Redis and activity-ingest\n");
        goto out_stop;
    }

    s_run_t large, small, paced;
    s_cpu_t large_cpu, copy_cpu;
    if (s_clear (bench.pg) != 0)
        goto out_stop;
    large_cpu.service = -s_cpu_seconds (bench.pid);
    large_cpu.backends = -s_backends_cpu (bench.pg, "activity-ingest");
    if (s_publish (&bench, events, BENCH_EVENTS, BENCH_BATCH_LARGE, 0, &large) != 0)
        goto out_stop;
    large_cpu.service += s_cpu_seconds (bench.pid);
    large_cpu.backends += s_backends_cpu (bench.pg, "activity-ingest");
    double large_rate = (double) large.accepted / large.seconds;
    if (s_clear (bench.pg) != 0 ||
        s_publish (&bench, events, BENCH_EVENTS_SMALL, BENCH_BATCH_SMALL, 0, &small) != 0)
        goto out_stop;
    /* Half the batch-1,000 rate, for BENCH_LATENCY_SECONDS (whole requests). */
    double paced_rate = large_rate / 2;
    size_t paced_count =
        (size_t) (paced_rate * BENCH_LATENCY_SECONDS) / BENCH_BATCH_SMALL * BENCH_BATCH_SMALL;
    if (paced_count > BENCH_EVENTS)
        paced_count = BENCH_EVENTS;
    if (paced_count < BENCH_BATCH_SMALL * BENCH_PUBLISHERS)
        paced_count = BENCH_BATCH_SMALL * BENCH_PUBLISHERS;
    if (s_clear (bench.pg) != 0 ||
        s_publish (&bench, events, paced_count, BENCH_BATCH_SMALL, paced_rate, &paced) != 0)
        goto out_stop;
    /* Steady load at a fixed rate: latency, and how many requests share a
       commit (the service's own counters). */
    s_run_t steady;
    size_t steady_count = (size_t) (BENCH_STEADY_RATE * BENCH_LATENCY_SECONDS);
    if (s_clear (bench.pg) != 0)
        goto out_stop;
    s_commits_t before = s_commits (&bench);
    if (s_publish (&bench, events, steady_count, BENCH_BATCH_SMALL, BENCH_STEADY_RATE, &steady) !=
        0)
        goto out_stop;
    s_commits_t after = s_commits (&bench);
    if (s_clear (bench.pg) != 0)
        goto out_stop;
    s_commits_t paced_before = s_commits (&bench);
    s_run_t paced_again;
    if (s_publish (&bench, events, paced_count, BENCH_BATCH_SMALL, paced_rate, &paced_again) != 0)
        goto out_stop;
    s_commits_t paced_after = s_commits (&bench);
    /* Rounds: the service's run and the two-session ceiling back to back
       (the service idle meanwhile, its sessions holding no lock). */
    double rounds[BENCH_ROUNDS];
    for (size_t round = 0; round < BENCH_ROUNDS; round++) {
        s_run_t again;
        if (s_clear (bench.pg) != 0 ||
            s_publish (&bench, events, BENCH_EVENTS, BENCH_BATCH_LARGE, 0, &again) != 0)
            goto out_stop;
        double small_s =
            s_copy_ceiling_sessions (&bench, events, BENCH_EVENTS, BENCH_COPY_CHUNK_SMALL);
        double large_s = small_s > 0 ? s_copy_ceiling_sessions (&bench, events, BENCH_EVENTS,
                                                                BENCH_COPY_CHUNK_LARGE)
                                     : -1;
        if (small_s <= 0 || large_s <= 0)
            goto out_stop;
        double ceiling_s = small_s < large_s ? small_s : large_s;
        rounds[round] = ((double) again.accepted / again.seconds) / (BENCH_EVENTS / ceiling_s);
    }
    int status = s_stop_service (&bench);
    if (status != 0) {
        fprintf (stderr, "bench_ingest: activity-ingest exited with status %d\n", status);
        goto out_stop;
    }
    copy_cpu.service = 0;
    copy_cpu.backends = -s_backends_cpu (bench.pg, "bench_ingest");
    double copy_small = s_copy_ceiling (bench.pg, events, BENCH_EVENTS, BENCH_COPY_CHUNK_SMALL);
    copy_cpu.backends += s_backends_cpu (bench.pg, "bench_ingest");
    double copy_large =
        copy_small > 0 ? s_copy_ceiling (bench.pg, events, BENCH_EVENTS, BENCH_COPY_CHUNK_LARGE)
                       : -1;
    double sessions_small = copy_large > 0 ? s_copy_ceiling_sessions (&bench, events, BENCH_EVENTS,
                                                                      BENCH_COPY_CHUNK_SMALL)
                                           : -1;
    double sessions_large =
        sessions_small > 0
            ? s_copy_ceiling_sessions (&bench, events, BENCH_EVENTS, BENCH_COPY_CHUNK_LARGE)
            : -1;
    if (copy_small <= 0 || copy_large <= 0 || sessions_small <= 0 || sessions_large <= 0)
        goto out_stop;
    double copy_sessions = sessions_small < sessions_large ? sessions_small : sessions_large;

    printf ("bench_ingest: activity-ingest end to end vs PostgreSQL COPY, %d partitions, "
            "%d publishers (one request in flight each), synchronous_commit on\n",
            BENCH_PARTITIONS, BENCH_PUBLISHERS);
    printf ("%-46s %9s %9s %11s %9s %9s\n", "measurement", "events", "seconds", "events/s",
            "p50 ms", "p99 ms");
    s_print_run ("end to end, batches of 1000", &large);
    s_print_run ("end to end, batches of 100", &small);
    char name[BENCH_TEXT_SIZE];
    snprintf (name, sizeof name, "paced at %.0f ev/s (50%%), batches of 100", paced_rate);
    s_print_run (name, &paced);
    snprintf (name, sizeof name, "steady at %.0f ev/s, batches of 100", BENCH_STEADY_RATE);
    s_print_run (name, &steady);
    s_print_copy ("COPY ceiling, 1000 rows per COPY", BENCH_EVENTS, copy_small);
    s_print_copy ("COPY ceiling, 10000 rows per COPY", BENCH_EVENTS, copy_large);
    snprintf (name, sizeof name, "COPY ceiling, %d sessions, 1000 rows per COPY", BENCH_SESSIONS);
    s_print_copy (name, BENCH_EVENTS, sessions_small);
    snprintf (name, sizeof name, "COPY ceiling, %d sessions, 10000 rows per COPY", BENCH_SESSIONS);
    s_print_copy (name, BENCH_EVENTS, sessions_large);
    double ceiling_rate =
        (double) BENCH_EVENTS / (copy_small < copy_large ? copy_small : copy_large);
    double sessions_rate = (double) BENCH_EVENTS / copy_sessions;
    double ratio = large_rate / ceiling_rate;
    double sessions_ratio = large_rate / sessions_rate;
    printf ("paced run: %zu requests, %zu sent after their slot, max latency %.1f ms; "
            "resends: %llu, %llu, %llu\n",
            paced.requests, paced.late, paced.max_ms, (unsigned long long) large.resends,
            (unsigned long long) small.resends, (unsigned long long) paced.resends);
    printf ("ratio end to end (batches of 1000) / one-session COPY ceiling: %.1f%% "
            "(goal >= %.0f%%): %s\n",
            ratio * 100, BENCH_GOAL_RATIO * 100, ratio >= BENCH_GOAL_RATIO ? "met" : "not met");
    printf ("ratio end to end (batches of 1000) / %d-session COPY ceiling, first run against "
            "the ceiling after the service stopped: %.1f%% (the goal is read on the rounds' "
            "median below)\n",
            BENCH_SESSIONS, sessions_ratio * 100);
    double sorted_rounds[BENCH_ROUNDS];
    memcpy (sorted_rounds, rounds, sizeof rounds);
    qsort (sorted_rounds, BENCH_ROUNDS, sizeof *sorted_rounds, bench_compare_double);
    double median_round = sorted_rounds[BENCH_ROUNDS / 2];
    printf ("rounds, end to end (batches of 1000) / %d-session COPY ceiling back to back:",
            BENCH_SESSIONS);
    for (size_t round = 0; round < BENCH_ROUNDS; round++)
        printf (" %.1f%%", rounds[round] * 100);
    printf ("; median %.1f%% (goal >= %.0f%%): %s\n", median_round * 100,
            BENCH_SESSIONS_GOAL_RATIO * 100,
            median_round >= BENCH_SESSIONS_GOAL_RATIO ? "met" : "not met");
    printf ("steady run: %lld requests (%lld split over writers) in %lld transactions, "
            "%lld WAL flushes; %zu sent after their slot, max latency %.1f ms\n",
            (long long) (after.requests - before.requests),
            (long long) (after.split - before.split),
            (long long) (after.transactions - before.transactions),
            (long long) (after.wal_syncs - before.wal_syncs), steady.late, steady.max_ms);
    printf ("paced run again: %lld requests (%lld split over writers) in %lld transactions, "
            "%lld WAL flushes; p50 %.1f ms, p99 %.1f ms\n",
            (long long) (paced_after.requests - paced_before.requests),
            (long long) (paced_after.split - paced_before.split),
            (long long) (paced_after.transactions - paced_before.transactions),
            (long long) (paced_after.wal_syncs - paced_before.wal_syncs), paced_again.p50_ms,
            paced_again.p99_ms);
    printf ("CPU per event, batches of 1000: activity-ingest %.1f us, its PostgreSQL sessions "
            "%.1f us; COPY, 1000 rows per COPY: its session %.1f us per row\n",
            large_cpu.service * 1e6 / (double) large.accepted,
            large_cpu.backends * 1e6 / (double) large.accepted,
            copy_cpu.backends * 1e6 / (double) BENCH_EVENTS);
    printf ("ratio batches of 100 / batches of 1000: %.1f%%\n",
            (double) small.accepted / small.seconds / large_rate * 100);
    rc = 0;

out_stop:
    if (rc != 0 && bench.harness)
        bench_show_log ("bench_ingest", "activity-ingest", bench.log_path);
    s_stop_service (&bench);
    sp_pg_destroy (&bench.pg);
    sp_harness_destroy (&bench.harness);
out_free:
    for (size_t index = 0; events && index < BENCH_EVENTS; index++)
        sp_event_destroy (&events[index]);
    free (events);
    return rc;
}
