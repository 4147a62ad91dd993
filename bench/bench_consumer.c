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
         (bench_log: rows built exactly as activity-ingest builds them,
         ingest_copy, SHA-256, gap-free sequences, then
         event_partitions.head_sequence and VACUUM ANALYZE, as an old log
         would be).
         The time runs from spawning the release counting-consumer on an
         empty Redis until the sum of its 16 checkpoints equals the log.
      2. live: the consumer caught up, events arriving through
         activity-ingest and its bus. It must keep up with ingest, so
         SP_BENCH_CONSUMER_LIVE_EVENTS events (default 200,000) are published
         at full speed (bench_live: BENCH_LIVE_PUBLISHERS harness
         publishers, requests of 1,000) and both rates are measured over
         the same run: ingest's acknowledged events/s (first send to last
         acknowledgement) and the consumer's applied events/s (first send
         until the checkpoints reach the new total), with their ratio and the consumer's lag at the
         moment the last acknowledgement arrived. The consumer's /metrics
         tell how the run was applied (events read back from the log, gaps
         on the bus): a live figure is one of the live path only when both
         stay 0. While the consumer keeps up, its live rate is bounded by
         ingest's; the catch-up rate is its capacity.

    In both phases Redis's own statistics are reset at the start and read
    at the end (bench_redis_stats): commands, script calls, round trips
    and Redis CPU per applied event, the consumer kit's baseline cost.

    Checkpoints are read with one pipeline of GETs every
    BENCH_CHECKPOINTS_POLL_MS (bench_checkpoints). After
    each phase the handler's own state is checked against what was written
    (events per type summed over the partitions' type hashes, and the total
    of the customer hashes), so a run that skipped or repeated events fails
    instead of reporting a fast figure.

    Everything (PostgreSQL, Redis, activity-ingest, counting-consumer, the
    publishers and this program) shares the machine's cores; the core count
    is printed with the figures.
*/
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

#include "bench_checkpoints.h"
#include "bench_live.h"
#include "bench_log.h"
#include "bench_redis_stats.h"
#include "bench_support.h"
#include "sp_event.h"
#include "sp_harness.h"
#include "sp_partition.h"
#include "sp_pg.h"
#include "sp_redis.h"

#define BENCH_SERVICE "counting-consumer" /* key prefix of the handler's state */
#define BENCH_PARTITIONS 16               /* as the tests and the local stack */
#define BENCH_EVENTS 1000000              /* log replayed by the catch-up run */
#define BENCH_LIVE_EVENTS 200000          /* events published in the live run */
#define BENCH_EVENTS_ENV "SP_BENCH_CONSUMER_EVENTS"
#define BENCH_LIVE_EVENTS_ENV "SP_BENCH_CONSUMER_LIVE_EVENTS"
#define BENCH_CUSTOMERS 100000    /* distinct customer_id values */
#define BENCH_REPS 200            /* distinct rep_id values */
#define BENCH_OPPORTUNITIES 50000 /* distinct opportunity_id values */
#define BENCH_MAX_DURATION 3600   /* call seconds / visit minutes 1..this (capped) */
#define BENCH_SECONDS_PER_DAY 86400
#define BENCH_MS_PER_S 1000
#define BENCH_NS_PER_MS 1000000L
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
    bench_ingest_t ingest;            /* activity-ingest; the consumer follows its bus */
    sp_redis_t *redis;                /* reads checkpoints and counts */
    bench_checkpoints_t *checkpoints; /* the consumer's progress */
    pid_t consumer_pid;               /* counting-consumer, -1 when not running */
    char consumer_program[PATH_MAX];  /* counting-consumer's path */
    int consumer_http_port;           /* its /metrics */
    char consumer_log[PATH_MAX];
} s_bench_t;

/* What s_series_event needs: the events of a run are those numbered
   from first on. */
typedef struct {
    size_t first;   /* global number of the run's event 0 */
    int64_t now_ms; /* occurred_at is set relative to this */
} s_series_t;

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

/* sp_harness_event_fn of the log and of the live run. */
static sp_event_t *
s_series_event (size_t index, void *arg)
{
    const s_series_t *series = (const s_series_t *) arg;
    return s_event_new (series->first + index, series->now_ms);
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

/* Spawns counting-consumer (default settings, subscribed to the bus). */
static int
s_start_consumer (s_bench_t *bench)
{
    char partitions[BENCH_TEXT_SIZE], http[BENCH_TEXT_SIZE];
    bench->consumer_http_port = sp_harness_free_port ();
    if (bench->consumer_http_port < 0)
        return -1;
    snprintf (partitions, sizeof partitions, "%d", BENCH_PARTITIONS);
    snprintf (http, sizeof http, "127.0.0.1:%d", bench->consumer_http_port);
    snprintf (bench->consumer_log, sizeof bench->consumer_log, "%s/counting-consumer.log",
              sp_harness_dir (bench->harness));
    const char *const arguments[] = { "--bus",    bench->ingest.bus, "--partitions",
                                      partitions, "--http",          http,
                                      NULL };
    sp_harness_spawn_options_t options = {
        .arguments = arguments,
        .stdout_path = bench->consumer_log,
    };
    bench->consumer_pid = sp_harness_spawn_with (bench->harness, bench->consumer_program, &options);
    return bench->consumer_pid > 0 ? 0 : -1;
}

/* Live run: publishes events log..log+count-1 through activity-ingest
   while the consumer follows (bench_live). Returns 0, or -1. */
static int
s_live (s_bench_t *bench, size_t log, size_t count, bench_live_result_t *result)
{
    s_series_t series = { log, bench_wall_ms () };
    bench_live_options_t options = {
        .bench = "bench_consumer",
        .endpoint = bench->ingest.endpoint,
        .count = count,
        .make_event = s_series_event,
        .arg = &series,
        .checkpoints = bench->checkpoints,
        .consumer_pid = &bench->consumer_pid,
        .target = (uint64_t) log + count,
    };
    return bench_live_run (&options, result);
}

int
main (void)
{
    s_bench_t bench = { .ingest.pid = -1, .consumer_pid = -1 };
    bench_redis_stats_t *catchup_stats = NULL, *live_stats = NULL;
    size_t events = 0, live_events = 0;
    int rc = 1;
    if (bench_env_count ("bench_consumer", BENCH_EVENTS_ENV, BENCH_EVENTS, &events) != 0 ||
        bench_env_count ("bench_consumer", BENCH_LIVE_EVENTS_ENV, BENCH_LIVE_EVENTS,
                         &live_events) != 0)
        return 1;
    /* first: it sets where the harness finds the sources and programs */
    bench_locate ("counting-consumer", bench.consumer_program, sizeof bench.consumer_program);
    bench.harness =
        bench_start_servers ("bench_consumer", BENCH_PARTITIONS, &bench.pg, &bench.redis);
    if (bench.redis) {
        bench.checkpoints =
            bench_checkpoints_new ("bench_consumer", bench.redis, BENCH_SERVICE, BENCH_PARTITIONS);
        catchup_stats = bench_redis_stats_new ("bench_consumer", bench.redis);
        live_stats = bench_redis_stats_new ("bench_consumer", bench.redis);
    }
    if (!bench.checkpoints || !catchup_stats || !live_stats)
        goto out_stop;
    double load_start = bench_seconds ();
    s_series_t log_series = { 0, bench_wall_ms () };
    if (bench_log_load ("bench_consumer", bench.pg, BENCH_PARTITIONS, events, s_series_event,
                        &log_series) != 0)
        goto out_stop;
    double load_s = bench_seconds () - load_start;
    if (bench_live_start_ingest (bench.harness, BENCH_PARTITIONS, &bench.ingest) != 0) {
        fprintf (stderr, "bench_consumer: could not start activity-ingest\n");
        goto out_stop;
    }

    /* 1. Catch-up: from the consumer's spawn to the whole log applied. */
    uint64_t reads = bench_checkpoints_reads (bench.checkpoints);
    if (bench_redis_stats_start (catchup_stats) != 0)
        goto out_stop;
    double catchup_start = bench_seconds (), caught_up = 0;
    if (s_start_consumer (&bench) != 0 ||
        bench_checkpoints_wait (bench.checkpoints, events, &bench.consumer_pid,
                                bench_wait_limit (events), &caught_up) != 0 ||
        bench_redis_stats_stop (catchup_stats, bench_checkpoints_reads (bench.checkpoints) - reads,
                                BENCH_PARTITIONS) != 0 ||
        s_verify (&bench, events) != 0)
        goto out_stop;
    double catchup_s = caught_up - catchup_start;

    /* 2. Live: the same consumer follows ingest. */
    bench_live_result_t live = { 0, 0, 0 };
    int64_t read_back = s_metric (&bench, BENCH_METRIC_CATCHUP);
    int64_t gaps = s_metric (&bench, BENCH_METRIC_GAPS);
    reads = bench_checkpoints_reads (bench.checkpoints);
    if (bench_redis_stats_start (live_stats) != 0 ||
        s_live (&bench, events, live_events, &live) != 0 ||
        bench_redis_stats_stop (live_stats, bench_checkpoints_reads (bench.checkpoints) - reads,
                                BENCH_PARTITIONS) != 0 ||
        s_verify (&bench, events + live_events) != 0)
        goto out_stop;
    /* How the live run was applied: from the bus, or read back from the log. */
    int64_t read_back_after = s_metric (&bench, BENCH_METRIC_CATCHUP);
    int64_t gaps_after = s_metric (&bench, BENCH_METRIC_GAPS);
    if (read_back < 0 || gaps < 0 || read_back_after < 0 || gaps_after < 0) {
        fprintf (stderr, "bench_consumer: could not read the consumer's /metrics\n");
        goto out_stop;
    }
    int consumer_status = bench_stop (&bench.consumer_pid, BENCH_STOP_TIMEOUT_MS);
    int ingest_status = bench_stop (&bench.ingest.pid, BENCH_STOP_TIMEOUT_MS);
    if (consumer_status != 0 || ingest_status != 0) {
        fprintf (stderr, "bench_consumer: exit status counting-consumer %d, activity-ingest %d\n",
                 consumer_status, ingest_status);
        goto out_stop;
    }

    double ingest_s = live.ingest_s, consumer_s = live.consumer_s;
    uint64_t lag = live.lag;
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
    snprintf (name, sizeof name, "live: ingest acknowledged (%d publishers, x%d)",
              BENCH_LIVE_PUBLISHERS, BENCH_LIVE_BATCH);
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
    bench_redis_stats_print (catchup_stats, "catch-up", events);
    bench_redis_stats_print (live_stats, "live", live_events);
    printf ("counts verified: %zu events by type and by customer\n", events + live_events);
    fflush (stdout);
    rc = 0;

out_stop:
    if (rc != 0 && bench.consumer_log[0])
        bench_show_log ("bench_consumer", "counting-consumer", bench.consumer_log);
    if (rc != 0 && bench.ingest.log[0])
        bench_show_log ("bench_consumer", "activity-ingest", bench.ingest.log);
    bench_stop (&bench.consumer_pid, BENCH_STOP_TIMEOUT_MS);
    bench_stop (&bench.ingest.pid, BENCH_STOP_TIMEOUT_MS);
    bench_redis_stats_destroy (&catchup_stats);
    bench_redis_stats_destroy (&live_stats);
    bench_checkpoints_destroy (&bench.checkpoints);
    sp_redis_destroy (&bench.redis);
    sp_pg_destroy (&bench.pg);
    sp_harness_destroy (&bench.harness);
    return rc;
}
