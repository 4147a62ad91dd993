/*  bench_consumer - applied events/s of the consumer framework, with the
    counting-consumer handler (two HINCRBYs per event), in its two regimes.

    A consumer spends most of its life in one of two states, and each has
    its own limit:

      1. catch-up / rebuild: a new or flushed Redis, or `salesctl rebuild`,
         replays the whole log from PostgreSQL (sp_consumer_log reads, one
         fenced Lua apply per batch). How long a rebuild takes is what an
         operator plans for, so this is measured on a log of
         SP_BENCH_CONSUMER_EVENTS events (default 1,000,000) over 16
         partitions, loaded straight into the events table with binary COPY
         (rows built exactly as activity-ingest builds them: ingest_copy,
         SHA-256, gap-free sequences, then event_partitions.head_sequence
         and VACUUM ANALYZE, as an old log would be).
         The time runs from spawning the release counting-consumer on an
         empty Redis until the sum of its 16 checkpoints equals the log.
      2. live: the consumer caught up, events arriving through
         activity-ingest and its bus. It must keep up with ingest, so
         SP_BENCH_CONSUMER_LIVE_EVENTS events (default 200,000) are published
         at full speed (BENCH_PUBLISHERS harness publishers, requests of
         1,000) and both rates are measured over the same run: ingest's
         acknowledged events/s (first send to last acknowledgement) and the
         consumer's applied events/s (first send until the checkpoints reach
         the new total), with their ratio and the consumer's lag at the
         moment the last acknowledgement arrived. The consumer's /metrics
         tell how the run was applied (events read back from the log, gaps
         on the bus): a live figure is one of the live path only when both
         stay 0. While the consumer keeps up, its live rate is bounded by
         ingest's; the catch-up rate is its capacity.

    Checkpoints are read with one pipeline of GETs every BENCH_POLL_MS. After
    each phase the handler's own state is checked against what was written
    (events per type summed over the partitions' type hashes, and the total
    of the customer hashes), so a run that skipped or repeated events fails
    instead of reporting a fast figure.

    Everything (PostgreSQL, Redis, activity-ingest, counting-consumer, the
    publishers and this program) shares the machine's cores; the core count
    is printed with the figures.
*/
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
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
#include "sp_harness_redis.h"
#include "sp_harness_publisher.h"
#include "sp_partition.h"
#include "sp_pg.h"
#include "sp_redis.h"
#include "sp_redis_pipeline.h"

#include "activity-ingest/ingest_copy.h"
#include "activity-ingest/ingest_digest.h"

#define BENCH_SERVICE "counting-consumer" /* key prefix of the handler's state */
#define BENCH_PARTITIONS 16               /* as the tests and the local stack */
#define BENCH_EVENTS 1000000              /* log replayed by the catch-up run */
#define BENCH_LIVE_EVENTS 200000          /* events published in the live run */
#define BENCH_EVENTS_ENV "SP_BENCH_CONSUMER_EVENTS"
#define BENCH_LIVE_EVENTS_ENV "SP_BENCH_CONSUMER_LIVE_EVENTS"
#define BENCH_PUBLISHERS 4        /* as bench_ingest: one request in flight each */
#define BENCH_BATCH 1000          /* events per ingest request */
#define BENCH_COPY_CHUNK 10000    /* rows per COPY while loading the log */
#define BENCH_CUSTOMERS 100000    /* distinct customer_id values */
#define BENCH_REPS 200            /* distinct rep_id values */
#define BENCH_OPPORTUNITIES 50000 /* distinct opportunity_id values */
#define BENCH_MAX_DURATION 3600   /* call seconds / visit minutes 1..this (capped) */
#define BENCH_SECONDS_PER_DAY 86400
#define BENCH_MS_PER_S 1000
#define BENCH_NS_PER_MS 1000000L
#define BENCH_POLL_MS 20                /* checkpoint poll interval */
#define BENCH_ACK_POLL_MS 1             /* acknowledgement poll interval (live run) */
#define BENCH_WAIT_BASE_S 60.0          /* every wait: this, plus ... */
#define BENCH_WAIT_RATE_FLOOR 500.0     /* ... one second per this many events */
#define BENCH_REPLY_TIMEOUT_MS 60000    /* ingest reply wait per attempt */
#define BENCH_START_TIMEOUT_MS 60000    /* activity-ingest start */
#define BENCH_STOP_TIMEOUT_MS 30000     /* a service's stop after SIGTERM */
#define BENCH_METRICS_SIZE (256 * 1024) /* room for the consumer's /metrics page */
#define BENCH_HTTP_OK 200
#define BENCH_METRIC_CATCHUP "salespulse_consumer_catchup_events_total"
#define BENCH_METRIC_GAPS "salespulse_consumer_gaps_total"
#define BENCH_ERROR_SIZE 512
#define BENCH_TEXT_SIZE 96

/* The mix of event types: event number i has type s_types[i % count]. Calls
   dominate, as in a real CRM feed. */
static const Salespulse__EventType s_types[] = {
    SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL,
    SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL,
    SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL,
    SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED,
    SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO,
    SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED,
    SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST,
    SALESPULSE__EVENT_TYPE__EVENT_TYPE_COMPLAINT,
};
#define BENCH_TYPE_COUNT (sizeof s_types / sizeof s_types[0])

/* What the benchmark started. */
typedef struct {
    sp_harness_t *harness;            /* PostgreSQL and Redis */
    sp_pg_t *pg;                      /* loads the log */
    sp_redis_t *redis;                /* reads checkpoints and counts */
    sp_redis_pipeline_t *checkpoints; /* GET of every partition's checkpoint */
    pid_t ingest_pid;                 /* activity-ingest, -1 when not running */
    pid_t consumer_pid;               /* counting-consumer, -1 when not running */
    int consumer_http_port;           /* its /metrics */
    char ingest_log[PATH_MAX];        /* their logs */
    char consumer_log[PATH_MAX];
    char endpoint[BENCH_TEXT_SIZE]; /* activity-ingest's ROUTER */
    char bus[BENCH_TEXT_SIZE];      /* its PUB, the consumer's bus */
} s_bench_t;

/* What the live publishers' make_event needs. */
typedef struct {
    size_t first;   /* global number of the publisher's event 0 */
    int64_t now_ms; /* occurred_at is set relative to this */
} s_series_t;

static void
s_sleep_ms (long ms)
{
    struct timespec delay = { ms / BENCH_MS_PER_S, (ms % BENCH_MS_PER_S) * BENCH_NS_PER_MS };
    while (nanosleep (&delay, &delay) != 0 && errno == EINTR)
        ;
}

/* Longest a wait for count events may take before the run is declared stuck. */
static double
s_wait_limit (size_t count)
{
    return BENCH_WAIT_BASE_S + (double) count / BENCH_WAIT_RATE_FLOOR;
}

/* Reads a positive event count from the environment variable name, else
   fallback. Returns 0, or -1 on a value that is not a positive integer. */
static int
s_env_count (const char *name, size_t fallback, size_t *count)
{
    const char *text = getenv (name);
    *count = fallback;
    if (!text || !*text)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull (text, &end, 10);
    if (errno != 0 || *end != '\0' || value == 0 || value > SIZE_MAX || text[0] == '-') {
        fprintf (stderr, "bench_consumer: invalid %s \"%s\": expected a positive integer\n", name,
                 text);
        return -1;
    }
    *count = (size_t) value;
    return 0;
}

/* Event number index (global over both runs, so event_ids never repeat): a
   valid event of type s_types[index % BENCH_TYPE_COUNT], spread over
   customers, reps, opportunities and the last day. */
static sp_event_t *
s_event_new (size_t index, int64_t now_ms)
{
    Salespulse__EventType type = s_types[index % BENCH_TYPE_COUNT];
    sp_event_t *event = sp_event_new (type);
    if (!event)
        return NULL;
    if (bench_set_text (&event->event_id, "bench:consumer:%zu", index) != 0 ||
        sp_event_set_string (&event->source, "bench", strlen ("bench")) != 0 ||
        bench_set_text (&event->rep_id, "rep-%zu", index % BENCH_REPS) != 0 ||
        bench_set_text (&event->customer_id, "customer-%zu", index % BENCH_CUSTOMERS) != 0 ||
        bench_set_text (&event->opportunity_id, "opp-%zu", index % BENCH_OPPORTUNITIES) != 0)
        goto out_destroy;
    event->occurred_at = now_ms - (int64_t) (index % BENCH_SECONDS_PER_DAY) * BENCH_MS_PER_S;
    uint32_t duration = (uint32_t) (index % BENCH_MAX_DURATION) + 1;
    if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL)
        event->call->duration_seconds = duration;
    else if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED)
        event->visit_completed->duration_minutes =
            duration < SP_EVENT_VISIT_MINUTES_MAX ? duration : SP_EVENT_VISIT_MINUTES_MAX;
    else if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED) {
        if (sp_event_set_string (&event->stage_changed->to_stage, "proposal",
                                 strlen ("proposal")) != 0)
            goto out_destroy;
    }
    else if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_COMPLAINT)
        event->complaint->severity = SALESPULSE__COMPLAINT_SEVERITY__COMPLAINT_SEVERITY_MEDIUM;
    return event;

out_destroy:
    sp_event_destroy (&event);
    return NULL;
}

/* sp_harness_event_fn of the live publishers. */
static sp_event_t *
s_live_event (size_t index, void *arg)
{
    const s_series_t *series = (const s_series_t *) arg;
    return s_event_new (series->first + index, series->now_ms);
}

/* COPYs the rows in copy (then empties it); 0 when all were stored. */
static int
s_copy_flush (sp_pg_t *pg, ingest_copy_t *copy)
{
    static const char sql[] =
        "COPY events (" INGEST_COPY_EVENT_COLUMN_LIST ") FROM STDIN (FORMAT binary)";
    size_t rows = ingest_copy_rows (copy), size = 0;
    const uint8_t *data = ingest_copy_finish (copy, &size);
    if (!data) {
        fprintf (stderr, "bench_consumer: out of memory building COPY rows\n");
        return -1;
    }
    sp_pg_result_t *result = sp_pg_copy_in (pg, sql, data, size);
    int rc = sp_pg_result_ok (result) && sp_pg_result_affected (result) == (int64_t) rows ? 0 : -1;
    if (rc != 0)
        fprintf (stderr, "bench_consumer: COPY of %zu rows failed: %s\n", rows,
                 sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
    ingest_copy_reset (copy);
    return rc;
}

/* Writes events 0..count-1 into the log as activity-ingest would store
   them, advances the partition heads and refreshes the table's statistics
   (a log that old has them). Returns 0, or -1. */
static int
s_load (s_bench_t *bench, size_t count)
{
    uint64_t heads[BENCH_PARTITIONS] = { 0 };
    ingest_copy_t *copy = ingest_copy_new ();
    uint8_t *packed = NULL;
    size_t packed_room = 0;
    int64_t now_ms = bench_wall_ms ();
    int rc = -1;
    if (!copy)
        goto out_free;
    for (size_t index = 0; index < count; index++) {
        sp_event_t *event = s_event_new (index, now_ms);
        sp_event_error_t error;
        if (!event || sp_event_validate (event, NULL, &error) != 0) {
            fprintf (stderr, "bench_consumer: could not make event %zu: %s\n", index,
                     event ? error.message : "out of memory");
            sp_event_destroy (&event);
            goto out_free;
        }
        size_t size = protobuf_c_message_get_packed_size (&event->base);
        if (size > packed_room) {
            uint8_t *grown = (uint8_t *) realloc (packed, size);
            if (!grown) {
                sp_event_destroy (&event);
                goto out_free;
            }
            packed = grown;
            packed_room = size;
        }
        protobuf_c_message_pack (&event->base, packed);
        uint8_t hash[INGEST_DIGEST_SIZE];
        ingest_digest_sha256 (packed, size, hash);
        const char *key = sp_event_partition_key (event);
        uint32_t partition = sp_partition_of (key, strlen (key), BENCH_PARTITIONS);
        ingest_copy_event (copy, event, partition, ++heads[partition], now_ms, hash,
                           INGEST_DIGEST_SIZE, packed, size);
        sp_event_destroy (&event);
        if (ingest_copy_rows (copy) == BENCH_COPY_CHUNK && s_copy_flush (bench->pg, copy) != 0)
            goto out_free;
    }
    if (ingest_copy_rows (copy) > 0 && s_copy_flush (bench->pg, copy) != 0)
        goto out_free;
    for (uint32_t partition = 0; partition < BENCH_PARTITIONS; partition++) {
        char partition_text[BENCH_TEXT_SIZE], head_text[BENCH_TEXT_SIZE];
        snprintf (partition_text, sizeof partition_text, "%" PRIu32, partition);
        snprintf (head_text, sizeof head_text, "%" PRIu64, heads[partition]);
        const char *const values[] = { head_text, partition_text };
        sp_pg_result_t *result = sp_pg_exec (
            bench->pg, "UPDATE event_partitions SET head_sequence = $1 WHERE partition = $2", 2,
            values, NULL, NULL);
        bool updated = sp_pg_result_ok (result) && sp_pg_result_affected (result) == 1;
        if (!updated)
            fprintf (stderr,
                     "bench_consumer: could not set the head of partition %" PRIu32 ": %s\n",
                     partition, sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
        if (!updated)
            goto out_free;
    }
    rc = bench_exec ("bench_consumer", bench->pg, "VACUUM (ANALYZE) events");

out_free:
    free (packed);
    ingest_copy_destroy (&copy);
    return rc;
}

/* Sum of the consumer's checkpoints (a missing one counts 0). Returns 0,
   or -1 when Redis did not answer. */
static int
s_checkpoint_sum (s_bench_t *bench, uint64_t *sum)
{
    char error[BENCH_ERROR_SIZE];
    sp_redis_reply_t *reply =
        sp_redis_execute (bench->redis, bench->checkpoints, error, sizeof error);
    if (!reply) {
        fprintf (stderr, "bench_consumer: could not read the checkpoints: %s\n", error);
        return -1;
    }
    *sum = 0;
    for (size_t index = 0; index < sp_redis_reply_size (reply); index++) {
        const sp_redis_reply_t *element = sp_redis_reply_element (reply, index);
        if (sp_redis_reply_type (element) == SP_REDIS_REPLY_STRING)
            *sum += strtoull (sp_redis_reply_string (element, NULL), NULL, 10);
    }
    sp_redis_reply_destroy (&reply);
    return 0;
}

/* Waits until the checkpoints sum to target; *at gets the monotonic time
   of the first poll that saw it. Returns 0, or -1 (Redis failed, the
   consumer exited, or more than s_wait_limit (events) seconds passed). */
static int
s_wait_checkpoints (s_bench_t *bench, uint64_t target, size_t events, double *at)
{
    double deadline = bench_seconds () + s_wait_limit (events);
    uint64_t sum = 0;
    while (true) {
        if (s_checkpoint_sum (bench, &sum) != 0)
            return -1;
        *at = bench_seconds ();
        if (sum == target)
            return 0;
        if (sum > target) {
            fprintf (stderr,
                     "bench_consumer: checkpoints sum to %" PRIu64 ", beyond the %" PRIu64
                     " events of the log\n",
                     sum, target);
            return -1;
        }
        if (waitpid (bench->consumer_pid, NULL, WNOHANG) != 0) {
            fprintf (stderr, "bench_consumer: counting-consumer exited\n");
            bench->consumer_pid = -1;
            return -1;
        }
        if (*at > deadline) {
            fprintf (stderr,
                     "bench_consumer: checkpoints at %" PRIu64 " of %" PRIu64 " after %.0f s\n",
                     sum, target, s_wait_limit (events));
            return -1;
        }
        s_sleep_ms (BENCH_POLL_MS);
    }
}

/* Sums the integer values of the hash at key into *total; when types is
   given, adds each field's value to the slot of its type name. */
static int
s_sum_hash (s_bench_t *bench, const char *key, uint64_t *total, uint64_t *types)
{
    char error[BENCH_ERROR_SIZE];
    const char *const argv[] = { "HGETALL", key };
    sp_redis_reply_t *reply = sp_redis_command (bench->redis, 2, argv, NULL, error, sizeof error);
    if (!reply) {
        fprintf (stderr, "bench_consumer: could not read \"%s\": %s\n", key, error);
        return -1;
    }
    int rc = 0;
    for (size_t index = 0; index + 1 < sp_redis_reply_size (reply); index += 2) {
        const char *field = sp_redis_reply_string (sp_redis_reply_element (reply, index), NULL);
        const char *text = sp_redis_reply_string (sp_redis_reply_element (reply, index + 1), NULL);
        uint64_t value = text ? strtoull (text, NULL, 10) : 0;
        *total += value;
        if (!types)
            continue;
        Salespulse__EventType type = sp_event_type_from_name (field ? field : "");
        if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED) {
            fprintf (stderr, "bench_consumer: unexpected field \"%s\" in \"%s\"\n",
                     field ? field : "", key);
            rc = -1;
        }
        else
            types[type] += value;
    }
    sp_redis_reply_destroy (&reply);
    return rc;
}

/* Checks the handler's state after events 0..count-1 were applied: per
   type and in total, over every partition. Returns 0 when it matches. */
static int
s_verify (s_bench_t *bench, size_t count)
{
    uint64_t expected[SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY + 1] = { 0 };
    uint64_t seen[SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY + 1] = { 0 };
    uint64_t type_total = 0, customer_total = 0;
    for (size_t index = 0; index < count; index++)
        expected[s_types[index % BENCH_TYPE_COUNT]]++;
    for (uint32_t partition = 0; partition < BENCH_PARTITIONS; partition++) {
        char type_key[SP_PARTITION_KEY_MAX], customer_key[SP_PARTITION_KEY_MAX];
        sp_partition_key (type_key, sizeof type_key, BENCH_SERVICE, partition, "count:type");
        sp_partition_key (customer_key, sizeof customer_key, BENCH_SERVICE, partition,
                          "count:customer");
        if (s_sum_hash (bench, type_key, &type_total, seen) != 0 ||
            s_sum_hash (bench, customer_key, &customer_total, NULL) != 0)
            return -1;
    }
    int rc = type_total == count && customer_total == count ? 0 : -1;
    for (size_t type = 0; type < sizeof expected / sizeof expected[0]; type++)
        if (seen[type] != expected[type]) {
            fprintf (stderr,
                     "bench_consumer: %" PRIu64 " \"%s\" events counted, %" PRIu64 " written\n",
                     seen[type], sp_event_type_name ((Salespulse__EventType) type), expected[type]);
            rc = -1;
        }
    if (rc != 0)
        fprintf (stderr,
                 "bench_consumer: counted %" PRIu64 " events by type and %" PRIu64
                 " by customer, %zu written\n",
                 type_total, customer_total, count);
    return rc;
}

/* Value of the unlabelled metric name on the consumer's /metrics page
   (whole numbers), or -1 when it could not be read. */
static int64_t
s_metric (const s_bench_t *bench, const char *name)
{
    char *body = (char *) malloc (BENCH_METRICS_SIZE);
    int status = 0;
    int64_t value = -1;
    if (!body ||
        sp_harness_http_get (bench->consumer_http_port, "/metrics", &status, body,
                             BENCH_METRICS_SIZE) != 0 ||
        status != BENCH_HTTP_OK)
        goto out_free;
    size_t length = strlen (name);
    char *save = NULL;
    for (char *line = strtok_r (body, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        if (strncmp (line, name, length) == 0 && line[length] == ' ') {
            value = strtoll (line + length + 1, NULL, 10);
            break;
        }

out_free:
    free (body);
    return value;
}

/* Starts the servers, sets the database up (16 partitions) and prepares
   the checkpoint pipeline. */
static int
s_start_servers (s_bench_t *bench)
{
    bench->harness = sp_harness_pg_fixture ("bench_consumer", BENCH_PARTITIONS, &bench->pg);
    if (!bench->harness)
        return -1;
    bench->redis = sp_harness_redis_connect (bench->harness);
    if (!bench->redis)
        return -1;
    bench->checkpoints = sp_redis_pipeline_new ();
    for (uint32_t partition = 0; bench->checkpoints && partition < BENCH_PARTITIONS; partition++) {
        char key[SP_PARTITION_KEY_MAX];
        sp_partition_key (key, sizeof key, BENCH_SERVICE, partition, "checkpoint");
        const char *const argv[] = { "GET", key };
        if (sp_redis_pipeline_append (bench->checkpoints, 2, argv, NULL) != 0)
            sp_redis_pipeline_destroy (&bench->checkpoints);
    }
    return bench->checkpoints ? 0 : -1;
}

/* Starts activity-ingest with its ROUTER and bus on free ports (the
   consumer subscribes to that bus) and waits until it accepts requests. */
static int
s_start_ingest (s_bench_t *bench)
{
    if (sp_harness_free_endpoint (bench->endpoint, sizeof bench->endpoint) != 0 ||
        sp_harness_free_endpoint (bench->bus, sizeof bench->bus) != 0)
        return -1;
    snprintf (bench->ingest_log, sizeof bench->ingest_log, "%s/activity-ingest.log",
              sp_harness_dir (bench->harness));
    bench->ingest_pid = sp_harness_consumer_start_ingest (
        bench->harness, bench->endpoint, bench->bus, 0, BENCH_PARTITIONS, bench->ingest_log,
        BENCH_START_TIMEOUT_MS);
    return bench->ingest_pid > 0 ? 0 : -1;
}

/* Spawns counting-consumer (default settings, subscribed to the bus). */
static int
s_start_consumer (s_bench_t *bench)
{
    char program[PATH_MAX], partitions[BENCH_TEXT_SIZE], http[BENCH_TEXT_SIZE];
    bench_locate ("counting-consumer", program, sizeof program);
    bench->consumer_http_port = sp_harness_free_port ();
    if (bench->consumer_http_port < 0)
        return -1;
    snprintf (partitions, sizeof partitions, "%d", BENCH_PARTITIONS);
    snprintf (http, sizeof http, "127.0.0.1:%d", bench->consumer_http_port);
    snprintf (bench->consumer_log, sizeof bench->consumer_log, "%s/counting-consumer.log",
              sp_harness_dir (bench->harness));
    const char *const arguments[] = { "--bus", bench->bus, "--partitions", partitions, "--http",
                                      http,    NULL };
    sp_harness_spawn_options_t options = {
        .arguments = arguments,
        .stdout_path = bench->consumer_log,
    };
    bench->consumer_pid = sp_harness_spawn_with (bench->harness, program, &options);
    return bench->consumer_pid > 0 ? 0 : -1;
}

/* Stops a service (SIGTERM, then SIGKILL after the timeout); returns its
   exit status, 0 when it was not running. */
static int
s_stop (pid_t *pid)
{
    if (*pid <= 0)
        return 0;
    int status = sp_harness_stop (*pid, BENCH_STOP_TIMEOUT_MS);
    *pid = -1;
    return status;
}

/* Live run: publishes events log..log+count-1 through activity-ingest
   while the consumer follows. Fills the acknowledgement time, the
   consumer's time (both from the first send) and the lag at the last
   acknowledgement. Returns 0, or -1. */
static int
s_live (s_bench_t *bench, size_t log, size_t count, double *ingest_s, double *consumer_s,
        uint64_t *lag)
{
    sp_harness_publisher_t *publishers[BENCH_PUBLISHERS] = { NULL };
    s_series_t series[BENCH_PUBLISHERS];
    size_t parts[BENCH_PUBLISHERS] = { 0 };
    size_t batches = (count + BENCH_BATCH - 1) / BENCH_BATCH, batches_done = 0;
    size_t share = batches / BENCH_PUBLISHERS * BENCH_BATCH, first = 0;
    uint64_t target = (uint64_t) log + count, sum = 0;
    char error[BENCH_ERROR_SIZE];
    int rc = -1;
    double start = bench_seconds (), acknowledged = 0, applied = 0;
    for (size_t index = 0; index < BENCH_PUBLISHERS; index++) {
        size_t part = index + 1 < BENCH_PUBLISHERS ? share : count - first;
        parts[index] = part;
        series[index] = (s_series_t){ log + first, bench_wall_ms () };
        sp_harness_publisher_options_t options = {
            .endpoint = bench->endpoint,
            .count = part,
            .batch = BENCH_BATCH,
            .timeout_ms = BENCH_REPLY_TIMEOUT_MS,
            .make_event = s_live_event,
            .arg = &series[index],
        };
        sp_ingest_client_options_init (&options.client);
        first += part;
        if (part > 0 && !(publishers[index] = sp_harness_publisher_new (&options))) {
            fprintf (stderr, "bench_consumer: could not start publisher %zu\n", index);
            goto out_destroy;
        }
    }
    /* Watches the acknowledgements closely: the moment the last arrives
       gives ingest's time and the consumer's lag. */
    double deadline = start + s_wait_limit (count);
    while (batches_done < batches && bench_seconds () < deadline) {
        s_sleep_ms (BENCH_ACK_POLL_MS);
        batches_done = 0;
        for (size_t index = 0; index < BENCH_PUBLISHERS; index++)
            if (publishers[index])
                batches_done += sp_harness_publisher_batches_done (publishers[index]);
    }
    acknowledged = bench_seconds ();
    if (batches_done < batches) {
        fprintf (stderr, "bench_consumer: %zu of %zu requests acknowledged after %.0f s\n",
                 batches_done, batches, s_wait_limit (count));
        goto out_destroy;
    }
    if (s_checkpoint_sum (bench, &sum) != 0)
        goto out_destroy;
    for (size_t index = 0; index < BENCH_PUBLISHERS; index++)
        if (publishers[index] &&
            sp_harness_publisher_wait (publishers[index], BENCH_REPLY_TIMEOUT_MS, error,
                                       sizeof error) != 0) {
            fprintf (stderr, "bench_consumer: publisher %zu failed: %s\n", index, error);
            goto out_destroy;
        }
    for (size_t index = 0; index < BENCH_PUBLISHERS; index++) {
        const sp_harness_ack_t *acks =
            publishers[index] ? sp_harness_publisher_acks (publishers[index]) : NULL;
        for (size_t event = 0; acks && event < parts[index]; event++)
            if (acks[event].outcome != SALESPULSE__OUTCOME__OUTCOME_ACCEPTED) {
                fprintf (stderr, "bench_consumer: event \"%s\" not accepted (outcome %d)\n",
                         acks[event].event_id, (int) acks[event].outcome);
                goto out_destroy;
            }
    }
    if (s_wait_checkpoints (bench, target, count, &applied) != 0)
        goto out_destroy;
    *ingest_s = acknowledged - start;
    *consumer_s = applied - start;
    *lag = target - sum;
    rc = 0;

out_destroy:
    for (size_t index = 0; index < BENCH_PUBLISHERS; index++)
        sp_harness_publisher_destroy (&publishers[index]);
    return rc;
}

int
main (void)
{
    s_bench_t bench = { .ingest_pid = -1, .consumer_pid = -1 };
    size_t events = 0, live_events = 0;
    int rc = 1;
    if (s_env_count (BENCH_EVENTS_ENV, BENCH_EVENTS, &events) != 0 ||
        s_env_count (BENCH_LIVE_EVENTS_ENV, BENCH_LIVE_EVENTS, &live_events) != 0)
        return 1;
    if (s_start_servers (&bench) != 0) {
        fprintf (stderr, "bench_consumer: could not start PostgreSQL and Redis\n");
        goto out_stop;
    }
    double load_start = bench_seconds ();
    if (s_load (&bench, events) != 0)
        goto out_stop;
    double load_s = bench_seconds () - load_start;
    if (s_start_ingest (&bench) != 0) {
        fprintf (stderr, "bench_consumer: could not start activity-ingest\n");
        goto out_stop;
    }

    /* 1. Catch-up: from the consumer's spawn to the whole log applied. */
    double catchup_start = bench_seconds (), caught_up = 0;
    if (s_start_consumer (&bench) != 0 ||
        s_wait_checkpoints (&bench, events, events, &caught_up) != 0 ||
        s_verify (&bench, events) != 0)
        goto out_stop;
    double catchup_s = caught_up - catchup_start;

    /* 2. Live: the same consumer follows ingest. */
    double ingest_s = 0, consumer_s = 0;
    uint64_t lag = 0;
    int64_t read_back = s_metric (&bench, BENCH_METRIC_CATCHUP);
    int64_t gaps = s_metric (&bench, BENCH_METRIC_GAPS);
    if (s_live (&bench, events, live_events, &ingest_s, &consumer_s, &lag) != 0 ||
        s_verify (&bench, events + live_events) != 0)
        goto out_stop;
    /* How the live run was applied: from the bus, or read back from the log. */
    int64_t read_back_after = s_metric (&bench, BENCH_METRIC_CATCHUP);
    int64_t gaps_after = s_metric (&bench, BENCH_METRIC_GAPS);
    if (read_back < 0 || gaps < 0 || read_back_after < 0 || gaps_after < 0) {
        fprintf (stderr, "bench_consumer: could not read the consumer's /metrics\n");
        goto out_stop;
    }
    int consumer_status = s_stop (&bench.consumer_pid);
    int ingest_status = s_stop (&bench.ingest_pid);
    if (consumer_status != 0 || ingest_status != 0) {
        fprintf (stderr, "bench_consumer: exit status counting-consumer %d, activity-ingest %d\n",
                 consumer_status, ingest_status);
        goto out_stop;
    }

    double ingest_rate = (double) live_events / ingest_s;
    double consumer_rate = (double) live_events / consumer_s;
    printf ("bench_consumer: counting-consumer (2 HINCRBY per event, default settings), "
            "%d partitions, %ld cores shared by every process\n",
            BENCH_PARTITIONS, sysconf (_SC_NPROCESSORS_ONLN));
    printf ("%-50s %9s %9s %11s\n", "measurement", "events", "seconds", "events/s");
    printf ("%-50s %9zu %9.2f %11.0f\n", "log load (binary COPY, not a consumer figure)", events,
            load_s, (double) events / load_s);
    printf ("%-50s %9zu %9.2f %11.0f\n", "catch-up: empty Redis -> whole log applied", events,
            catchup_s, (double) events / catchup_s);
    char name[BENCH_TEXT_SIZE];
    snprintf (name, sizeof name, "live: ingest acknowledged (%d publishers, x%d)", BENCH_PUBLISHERS,
              BENCH_BATCH);
    printf ("%-50s %9zu %9.2f %11.0f\n", name, live_events, ingest_s, ingest_rate);
    printf ("%-50s %9zu %9.2f %11.0f\n", "live: consumer applied (same run, from first send)",
            live_events, consumer_s, consumer_rate);
    printf ("ratio live consumer / ingest: %.1f%%\n", consumer_rate / ingest_rate * 100);
    printf ("consumer lag at the last acknowledgement: %" PRIu64 " events (%.1f%% of the run), "
            "applied %.2f s later\n",
            lag, (double) lag * 100 / (double) live_events, consumer_s - ingest_s);
    printf ("live run: %" PRId64 " events read back from the log, %" PRId64
            " gaps seen on the bus\n",
            read_back_after - read_back, gaps_after - gaps);
    printf ("counts verified: %zu events by type and by customer\n", events + live_events);
    rc = 0;

out_stop:
    if (rc != 0 && bench.consumer_log[0])
        bench_show_log ("bench_consumer", "counting-consumer", bench.consumer_log);
    if (rc != 0 && bench.ingest_log[0])
        bench_show_log ("bench_consumer", "activity-ingest", bench.ingest_log);
    s_stop (&bench.consumer_pid);
    s_stop (&bench.ingest_pid);
    sp_redis_pipeline_destroy (&bench.checkpoints);
    sp_redis_destroy (&bench.redis);
    sp_pg_destroy (&bench.pg);
    sp_harness_destroy (&bench.harness);
    return rc;
}
