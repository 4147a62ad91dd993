/*  bench_funnel - funnel-tracker's applied events/s on a rebuild and live,
    how long a company-wide funnel query takes over a million
    opportunities, what it costs in Redis per event and how long an
    acknowledged event takes to become visible at an offered rate.

    Both shipped funnels are loaded with `salesctl load funnel` before
    funnel-tracker starts, and the events are opportunities of the
    default funnel in a fixed mix, interleaved as a CRM feed would send
    them (bench/support/bench_funnel_data.h says how).

      1. rebuild: SP_BENCH_FUNNEL_OPPORTUNITIES opportunities (default
         1,000,000; about 2.45 events each) are loaded straight into the
         events table (bench_log: binary COPY of rows built as
         activity-ingest builds them). The release funnel-tracker (default
         settings; reporting currency USD, time zone UTC) is spawned on an
         empty Redis and timed until the sum of its checkpoints equals the
         log: events/s and opportunities/s of a rebuild.
      2. queries over those opportunities, through funnel_query (the code
         `salesctl funnel` and `salesctl pipeline` run), in this process:
         the company funnel for "all" and for 2025-Q2 (with the step-time
         medians, as `salesctl funnel`), and the company pipeline ("all",
         as `salesctl pipeline`), BENCH_QUERY_RUNS runs each, each run from
         funnel_query_new to the computed report; then the whole command
         `salesctl funnel --scope company --period all --json`, process
         start and PostgreSQL connection included, BENCH_COMMAND_RUNS runs.
      3. live: with funnel-tracker caught up and subscribed to
         activity-ingest's bus, SP_BENCH_FUNNEL_LIVE_EVENTS events (default
         200,000) of new opportunities, same mix, are published at full
         speed (bench_live); ingest's acknowledged events/s and
         funnel-tracker's applied events/s over the same run, their ratio,
         and funnel-tracker's /metrics on how the run was applied (events
         read back from the log, gaps on the bus: both 0 for a figure of
         the live path).
      4. paced: with funnel-tracker caught up again,
         SP_BENCH_FUNNEL_PACED_RATE events/s (default 15,000) of new
         opportunities are offered for SP_BENCH_FUNNEL_PACED_SECONDS
         (default 20) in requests of 100 on a fixed schedule (bench_paced):
         acknowledged and applied rates, acknowledgement -> visible
         latency per request (visible: the checkpoint of each event's
         partition covers its sequence) and the lag at the start and the
         end of the schedule.

    In the rebuild, live and paced phases Redis's own statistics are reset
    at the start and read at the end (bench_redis_stats): commands,
    script calls, round trips and Redis CPU per applied event.

    Every figure is checked before it is printed: after each phase the
    company funnel of both funnels in Redis (reached:1, won and lost of
    every partition's m:<funnel>:company:<month>, summed) must equal the
    plan, and every query
    run's answer too, so a run that skipped or repeated events fails
    instead of reporting a fast figure.

    Everything (PostgreSQL, Redis, activity-ingest, funnel-tracker, the
    publishers and this program) shares the machine's cores; the core
    count is printed with the figures.
*/
#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench_checkpoints.h"
#include "bench_funnel_data.h"
#include "bench_live.h"
#include "bench_log.h"
#include "bench_paced.h"
#include "bench_redis_stats.h"
#include "bench_support.h"
#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_publisher.h"
#include "sp_harness_redis.h"
#include "sp_pg.h"
#include "sp_redis.h"

#include "funnel-tracker/funnel_keys.h"
#include "funnel-tracker/funnel_query.h"
#include "funnel-tracker/funnel_report.h"

#define BENCH_NAME "bench_funnel"
#define BENCH_FUNNEL "default"      /* the funnel queried (its loaded text is the built-in one) */
#define BENCH_PARTITIONS 16         /* as the tests and the local stack */
#define BENCH_OPPORTUNITIES 1000000 /* opportunities of the rebuilt log */
#define BENCH_LIVE_EVENTS 200000    /* events published in the live run */
#define BENCH_OPPORTUNITIES_ENV "SP_BENCH_FUNNEL_OPPORTUNITIES"
#define BENCH_LIVE_EVENTS_ENV "SP_BENCH_FUNNEL_LIVE_EVENTS"
#define BENCH_PACED_RATE 15000 /* events/s offered in the paced run */
#define BENCH_PACED_SECONDS 20 /* length of its schedule */
#define BENCH_PACED_RATE_ENV "SP_BENCH_FUNNEL_PACED_RATE"
#define BENCH_PACED_SECONDS_ENV "SP_BENCH_FUNNEL_PACED_SECONDS"
#define BENCH_QUARTER "2025-Q2"     /* the quarter queried */
#define BENCH_CURRENCY "USD"
#define BENCH_QUERY_RUNS 20  /* in-process runs of each query */
#define BENCH_COMMAND_RUNS 5 /* runs of the salesctl command */
#define BENCH_MS_PER_S 1000.0
#define BENCH_STOP_TIMEOUT_MS 30000     /* a service's stop after SIGTERM */
#define BENCH_COMMAND_TIMEOUT_MS 120000 /* one salesctl run */
#define BENCH_OUTPUT_SIZE 65536         /* salesctl's JSON report */
#define BENCH_INFO_SIZE 16384           /* Redis INFO memory */
#define BENCH_METRIC_CATCHUP "salespulse_consumer_catchup_events_total"
#define BENCH_METRIC_GAPS "salespulse_consumer_gaps_total"
#define BENCH_TEXT_SIZE 128


/* What the benchmark started. */
typedef struct {
    sp_harness_t *harness;            /* PostgreSQL and Redis */
    sp_pg_t *pg;                      /* loads the log */
    bench_ingest_t ingest;            /* activity-ingest; funnel-tracker follows its bus */
    sp_redis_t *redis;                /* checkpoints, checks, queries */
    bench_checkpoints_t *checkpoints; /* funnel-tracker's progress */
    pid_t tracker_pid;                /* funnel-tracker, -1 when not running */
    char tracker_program[PATH_MAX];   /* funnel-tracker's path */
    int tracker_http_port;            /* its /metrics */
    char tracker_log[PATH_MAX];
    char notices[BENCH_TEXT_SIZE]; /* funnel-tracker's notice PUB */
} s_bench_t;

/* Latencies of one query, ms. */
typedef struct {
    const char *name;            /* what was run */
    size_t runs;                 /* how many times */
    double ms[BENCH_QUERY_RUNS]; /* each run, sorted after s_query */
} s_latency_t;


/* What a query run must answer. */
typedef struct {
    uint64_t reached; /* company entities that reached step 1 in the period */
    uint64_t open;    /* open entities now (pipeline runs) */
} s_expected_t;

/* The kinds of query timed. */
typedef enum {
    S_QUERY_FUNNEL = 0,   /* salesctl funnel: totals with step-time medians */
    S_QUERY_PIPELINE = 1, /* salesctl pipeline: totals without, and the open pipeline */
} s_query_kind_t;

/* One query as salesctl runs it, from funnel_query_new to the computed
   report; *ms gets its time. Returns 0 when it answered expected. */
static int
s_query_once (s_bench_t *bench, s_query_kind_t kind, const char *period,
              const s_expected_t *expected, double *ms)
{
    char error[FUNNEL_QUERY_ERROR_SIZE];
    funnel_report_months_t months = { 0, NULL };
    funnel_report_totals_t totals;
    funnel_report_open_t open;
    funnel_report_t report;
    funnel_report_pipeline_t pipeline;
    int rc = -1;
    double start = bench_seconds ();
    funnel_query_t *query =
        funnel_query_new (bench->redis, BENCH_PARTITIONS, BENCH_FUNNEL, error, sizeof error);
    if (!query ||
        funnel_query_totals (query, "company", period, kind == S_QUERY_FUNNEL, &months, &totals,
                             error, sizeof error) != 0 ||
        (kind == S_QUERY_PIPELINE &&
         funnel_query_open_pipeline (query, "company", &open, error, sizeof error) != 0)) {
        fprintf (stderr, BENCH_NAME ": query of period \"%s\" failed: %s\n", period, error);
        goto out_destroy;
    }
    funnel_report_compute (funnel_query_definition (query), &totals, &report);
    if (kind == S_QUERY_PIPELINE)
        funnel_report_pipeline (funnel_query_definition (query), &open, &report, &pipeline);
    *ms = (bench_seconds () - start) * BENCH_MS_PER_S;
    uint64_t open_count = kind == S_QUERY_PIPELINE ? pipeline.open : 0;
    if (report.steps[0].reached != expected->reached || open_count != expected->open)
        fprintf (stderr,
                 BENCH_NAME ": period \"%s\" answered %" PRIu64 " reached, %" PRIu64
                            " open; expected %" PRIu64 ", %" PRIu64 "\n",
                 period, report.steps[0].reached, open_count, expected->reached, expected->open);
    else
        rc = 0;

out_destroy:
    funnel_report_months_clear (&months);
    funnel_query_destroy (&query);
    return rc;
}

/* Median of count sorted values. */
static double
s_median (const double *sorted, size_t count)
{
    return count % 2 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
}

/* Runs a query BENCH_QUERY_RUNS times into latency (sorted). */
static int
s_query (s_bench_t *bench, s_query_kind_t kind, const char *period, const s_expected_t *expected,
         s_latency_t *latency)
{
    latency->runs = BENCH_QUERY_RUNS;
    for (size_t run = 0; run < latency->runs; run++)
        if (s_query_once (bench, kind, period, expected, &latency->ms[run]) != 0)
            return -1;
    qsort (latency->ms, latency->runs, sizeof latency->ms[0], bench_compare_double);
    return 0;
}

/* Runs `salesctl funnel --scope company --period all --json` (the whole
   process) BENCH_COMMAND_RUNS times; *median_ms gets the median time.
   Each output must say reached opportunities at step 1. */
static int
s_command (s_bench_t *bench, uint64_t reached, double *median_ms)
{
    static const char *const arguments[] = { "funnel", "--scope", "company", "--period",
                                             "all",    "--json",  NULL };
    char *output = (char *) malloc (BENCH_OUTPUT_SIZE);
    char errors[PATH_MAX];
    double ms[BENCH_COMMAND_RUNS];
    int rc = -1;
    if (!output) {
        fprintf (stderr, BENCH_NAME ": out of memory for salesctl's output\n");
        return -1;
    }
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (bench->harness));
    for (size_t run = 0; run < BENCH_COMMAND_RUNS; run++) {
        double start = bench_seconds ();
        int status = sp_harness_salesctl (bench->harness, arguments, errors, output,
                                          BENCH_OUTPUT_SIZE, BENCH_COMMAND_TIMEOUT_MS);
        ms[run] = (bench_seconds () - start) * BENCH_MS_PER_S;
        json_t *report = status == 0 ? json_loads (output, 0, NULL) : NULL;
        json_int_t seen = json_integer_value (
            json_object_get (json_array_get (json_object_get (report, "steps"), 0), "reached"));
        json_decref (report);
        if (status != 0 || seen != (json_int_t) reached) {
            fprintf (stderr,
                     BENCH_NAME ": salesctl funnel exited %d with step 1 reached %" PRId64
                                ", expected %" PRIu64 "\n",
                     status, (int64_t) seen, reached);
            bench_show_log (BENCH_NAME, "salesctl stderr", errors);
            goto out_free;
        }
    }
    qsort (ms, BENCH_COMMAND_RUNS, sizeof ms[0], bench_compare_double);
    *median_ms = s_median (ms, BENCH_COMMAND_RUNS);
    rc = 0;

out_free:
    free (output);
    return rc;
}

/* Spawns funnel-tracker: default settings, subscribed to the bus, its
   notices on a free endpoint, USD, UTC. */
static int
s_start_tracker (s_bench_t *bench)
{
    char partitions[BENCH_TEXT_SIZE], http[BENCH_TEXT_SIZE];
    char bus[BENCH_TEXT_SIZE + BENCH_TEXT_SIZE], notices[BENCH_TEXT_SIZE + BENCH_TEXT_SIZE];
    bench->tracker_http_port = sp_harness_free_port ();
    if (bench->tracker_http_port < 0 ||
        sp_harness_free_endpoint (bench->notices, sizeof bench->notices) != 0)
        return -1;
    snprintf (partitions, sizeof partitions, "--partitions=%d", BENCH_PARTITIONS);
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", bench->tracker_http_port);
    snprintf (bus, sizeof bus, "SP_BUS_ENDPOINT=%s", bench->ingest.bus);
    snprintf (notices, sizeof notices, "SP_FUNNEL_NOTICES_ENDPOINT=%s", bench->notices);
    snprintf (bench->tracker_log, sizeof bench->tracker_log, "%s/funnel-tracker.log",
              sp_harness_dir (bench->harness));
    const char *const settings[] = {
        http, bus, notices, "SP_TIME_ZONE=UTC", "SP_FUNNEL_CURRENCY=" BENCH_CURRENCY, NULL
    };
    const char *const arguments[] = { partitions, NULL };
    sp_harness_spawn_options_t options = {
        .settings = settings,
        .arguments = arguments,
        .stdout_path = bench->tracker_log,
    };
    bench->tracker_pid = sp_harness_spawn_with (bench->harness, bench->tracker_program, &options);
    return bench->tracker_pid > 0 ? 0 : -1;
}

static void
s_print_rate (const char *name, size_t events, size_t opportunities, double seconds)
{
    printf ("%-58s %9zu %9zu %8.2f %10.0f %10.0f\n", name, events, opportunities, seconds,
            (double) events / seconds, (double) opportunities / seconds);
}

static void
s_print_latency (const s_latency_t *latency)
{
    printf ("%-58s %5zu %9.1f %9.1f %9.1f\n", latency->name, latency->runs, latency->ms[0],
            s_median (latency->ms, latency->runs), latency->ms[latency->runs - 1]);
}

/* Prints the paced run's figures. */
static void
s_print_paced (const bench_paced_result_t *paced, size_t events, double rate, double seconds)
{
    printf ("paced: %zu events offered at %.0f events/s for %.0f s (requests of %d, %d "
            "publishers), %zu requests, %zu sent after their slot\n",
            events, rate, seconds, BENCH_PACED_BATCH, BENCH_PACED_PUBLISHERS, paced->requests,
            paced->late);
    printf ("paced: ingest acknowledged %.0f events/s (last ack %.2f s after the first slot), "
            "funnel-tracker applied %.0f events/s over the schedule, all visible %.2f s after "
            "the first slot\n",
            paced->ack_rate, paced->ack_s, paced->applied_rate, paced->visible_s);
    printf ("%-58s %9s %9s %9s %9s\n", "paced, per request, ms", "p50", "p90", "p99", "max");
    printf ("%-58s %9.1f %9.1f %9.1f %9.1f\n", "acknowledgement -> visible (checkpoint covers it)",
            paced->p50_ms, paced->p90_ms, paced->p99_ms, paced->max_ms);
    printf ("%-58s %9.1f %9s %9.1f\n", "send -> acknowledgement (ingest)", paced->send_ack_p50_ms,
            "", paced->send_ack_p99_ms);
    printf ("paced: funnel-tracker lag (acknowledged events not yet visible): mean %.0f over the "
            "first tenth of the schedule, %.0f over the last tenth, max %" PRIu64 " (%" PRIu64
            " checkpoint polls)\n",
            paced->lag_start, paced->lag_end, paced->lag_max, paced->polls);
}

int
main (void)
{
    s_bench_t bench = { .ingest.pid = -1, .tracker_pid = -1 };
    bench_funnel_plan_t log = { 0 }, live = { 0 }, paced_plan = { 0 };
    bench_redis_stats_t *rebuild_stats = NULL, *live_stats = NULL, *paced_stats = NULL;
    size_t opportunities = 0, live_events = 0, paced_rate = 0, paced_seconds = 0;
    int rc = 1;
    if (bench_env_count (BENCH_NAME, BENCH_OPPORTUNITIES_ENV, BENCH_OPPORTUNITIES,
                         &opportunities) != 0 ||
        bench_env_count (BENCH_NAME, BENCH_LIVE_EVENTS_ENV, BENCH_LIVE_EVENTS, &live_events) != 0 ||
        bench_env_count (BENCH_NAME, BENCH_PACED_RATE_ENV, BENCH_PACED_RATE, &paced_rate) != 0 ||
        bench_env_count (BENCH_NAME, BENCH_PACED_SECONDS_ENV, BENCH_PACED_SECONDS,
                         &paced_seconds) != 0)
        return 1;
    /* first: it sets where the harness finds the sources and programs */
    bench_locate ("funnel-tracker", bench.tracker_program, sizeof bench.tracker_program);
    /* the paced run: whole requests, at least one */
    if (paced_rate > UINT32_MAX || paced_seconds > UINT32_MAX) {
        fprintf (stderr, BENCH_NAME ": paced rate and seconds at most %" PRIu32 "\n", UINT32_MAX);
        return 1;
    }
    size_t paced_events = paced_rate * paced_seconds / BENCH_PACED_BATCH * BENCH_PACED_BATCH;
    if (paced_events == 0)
        paced_events = BENCH_PACED_BATCH;
    if (opportunities > UINT32_MAX || live_events > UINT32_MAX - opportunities ||
        paced_events > UINT32_MAX - opportunities - live_events) {
        fprintf (stderr, BENCH_NAME ": at most %" PRIu32 " opportunities and events\n", UINT32_MAX);
        return 1;
    }
    /* the live and paced opportunities follow those of the log: at most
       one per event */
    if (bench_funnel_plan_build (&log, opportunities, 0, opportunities, SIZE_MAX) != 0 ||
        bench_funnel_plan_build (&live, opportunities, opportunities, opportunities + live_events,
                      live_events) != 0 ||
        bench_funnel_plan_build (&paced_plan, opportunities, opportunities + live_events,
                      opportunities + live_events + paced_events, paced_events) != 0) {
        fprintf (stderr, BENCH_NAME ": out of memory planning the events\n");
        goto out_stop;
    }
    assert (paced_plan.count == paced_events);
    bench.harness = bench_start_servers (BENCH_NAME, BENCH_PARTITIONS, &bench.pg, &bench.redis);
    if (bench.redis) {
        bench.checkpoints =
            bench_checkpoints_new (BENCH_NAME, bench.redis, FUNNEL_KEYS_SERVICE, BENCH_PARTITIONS);
        rebuild_stats = bench_redis_stats_new (BENCH_NAME, bench.redis);
        live_stats = bench_redis_stats_new (BENCH_NAME, bench.redis);
        paced_stats = bench_redis_stats_new (BENCH_NAME, bench.redis);
    }
    if (!bench.checkpoints || !rebuild_stats || !live_stats || !paced_stats)
        goto out_stop;
    double load_start = bench_seconds ();
    if (bench_log_load (BENCH_NAME, bench.pg, BENCH_PARTITIONS, log.count, bench_funnel_plan_event, &log) != 0)
        goto out_stop;
    double load_s = bench_seconds () - load_start;
    if (bench_funnel_load (BENCH_NAME, bench.harness) != 0)
        goto out_stop;
    if (bench_live_start_ingest (bench.harness, BENCH_PARTITIONS, &bench.ingest) != 0) {
        fprintf (stderr, BENCH_NAME ": could not start activity-ingest\n");
        goto out_stop;
    }

    /* 1. Rebuild: from funnel-tracker's spawn to the whole log applied. */
    uint64_t reads = bench_checkpoints_reads (bench.checkpoints);
    if (bench_redis_stats_start (rebuild_stats) != 0)
        goto out_stop;
    double rebuild_start = bench_seconds (), rebuilt = 0;
    if (s_start_tracker (&bench) != 0 ||
        bench_checkpoints_wait (bench.checkpoints, log.count, &bench.tracker_pid,
                                bench_wait_limit (log.count), &rebuilt) != 0 ||
        bench_redis_stats_stop (rebuild_stats, bench_checkpoints_reads (bench.checkpoints) - reads,
                                BENCH_PARTITIONS) != 0 ||
        bench_funnel_verify (BENCH_NAME, bench.redis, BENCH_PARTITIONS, log.leads, log.won, log.lost) != 0)
        goto out_stop;
    double rebuild_s = rebuilt - rebuild_start;
    int64_t keys = 0;
    double memory_mib = 0;
    if (bench_redis_size (bench.redis, &keys, &memory_mib) != 0)
        goto out_stop;

    /* 2. Queries over the rebuilt opportunities (funnel-tracker idle). */
    s_latency_t latencies[] = {
        { "funnel, company, period all", 0, { 0 } },
        { "funnel, company, period " BENCH_QUARTER, 0, { 0 } },
        { "pipeline, company, period all", 0, { 0 } },
    };
    const s_expected_t all = { log.leads, 0 };
    const s_expected_t quarter = { log.quarter_leads, 0 };
    const s_expected_t pipeline = { log.leads, log.leads - log.won - log.lost };
    double command_ms = 0;
    if (s_query (&bench, S_QUERY_FUNNEL, "all", &all, &latencies[0]) != 0 ||
        s_query (&bench, S_QUERY_FUNNEL, BENCH_QUARTER, &quarter, &latencies[1]) != 0 ||
        s_query (&bench, S_QUERY_PIPELINE, "all", &pipeline, &latencies[2]) != 0 ||
        s_command (&bench, log.leads, &command_ms) != 0)
        goto out_stop;

    /* 3. Live: the same funnel-tracker follows ingest. */
    int64_t read_back = sp_harness_consumer_metric (bench.tracker_http_port, BENCH_METRIC_CATCHUP);
    int64_t gaps = sp_harness_consumer_metric (bench.tracker_http_port, BENCH_METRIC_GAPS);
    bench_live_options_t live_options = {
        .bench = BENCH_NAME,
        .endpoint = bench.ingest.endpoint,
        .count = live.count,
        .make_event = bench_funnel_plan_event,
        .arg = &live,
        .checkpoints = bench.checkpoints,
        .consumer_pid = &bench.tracker_pid,
        .target = (uint64_t) log.count + live.count,
    };
    bench_live_result_t result = { 0, 0, 0 };
    reads = bench_checkpoints_reads (bench.checkpoints);
    if (bench_redis_stats_start (live_stats) != 0 || bench_live_run (&live_options, &result) != 0 ||
        bench_redis_stats_stop (live_stats, bench_checkpoints_reads (bench.checkpoints) - reads,
                                BENCH_PARTITIONS) != 0 ||
        bench_funnel_verify (BENCH_NAME, bench.redis, BENCH_PARTITIONS, log.leads + live.leads, log.won + live.won, log.lost + live.lost) != 0)
        goto out_stop;
    int64_t read_back_after =
        sp_harness_consumer_metric (bench.tracker_http_port, BENCH_METRIC_CATCHUP);
    int64_t gaps_after = sp_harness_consumer_metric (bench.tracker_http_port, BENCH_METRIC_GAPS);
    if (read_back < 0 || gaps < 0 || read_back_after < 0 || gaps_after < 0) {
        fprintf (stderr, BENCH_NAME ": could not read funnel-tracker's /metrics\n");
        goto out_stop;
    }

    /* 4. Paced: the offered rate for a fixed time, ack -> visible. */
    bench_paced_options_t paced_options = {
        .bench = BENCH_NAME,
        .endpoint = bench.ingest.endpoint,
        .rate = (double) paced_rate,
        .count = paced_plan.count,
        .make_event = bench_funnel_plan_event,
        .arg = &paced_plan,
        .checkpoints = bench.checkpoints,
        .consumer_pid = &bench.tracker_pid,
        .base = (uint64_t) log.count + live.count,
    };
    bench_paced_result_t paced;
    reads = bench_checkpoints_reads (bench.checkpoints);
    if (bench_redis_stats_start (paced_stats) != 0 ||
        bench_paced_run (&paced_options, &paced) != 0 ||
        bench_redis_stats_stop (paced_stats, bench_checkpoints_reads (bench.checkpoints) - reads,
                                BENCH_PARTITIONS) != 0 ||
        bench_funnel_verify (BENCH_NAME, bench.redis, BENCH_PARTITIONS, log.leads + live.leads + paced_plan.leads,
                  log.won + live.won + paced_plan.won, log.lost + live.lost + paced_plan.lost) != 0)
        goto out_stop;
    int tracker_status = bench_stop (&bench.tracker_pid, BENCH_STOP_TIMEOUT_MS);
    int ingest_status = bench_stop (&bench.ingest.pid, BENCH_STOP_TIMEOUT_MS);
    if (tracker_status != 0 || ingest_status != 0) {
        fprintf (stderr, BENCH_NAME ": exit status funnel-tracker %d, activity-ingest %d\n",
                 tracker_status, ingest_status);
        goto out_stop;
    }

    printf (BENCH_NAME ": funnel-tracker (funnels default and crm loaded, default settings), %d "
                       "partitions, %ld cores shared by every process\n",
            BENCH_PARTITIONS, sysconf (_SC_NPROCESSORS_ONLN));
    printf ("log: %zu opportunities, %zu events (%" PRIu64 " won, %" PRIu64 " lost); live: %" PRIu64
            " new opportunities, %zu events\n",
            opportunities, log.count, log.won, log.lost, live.leads, live.count);
    printf ("%-58s %9s %9s %8s %10s %10s\n", "measurement", "events", "opps", "seconds", "events/s",
            "opps/s");
    s_print_rate ("log load (binary COPY, not a funnel-tracker figure)", log.count, opportunities,
                  load_s);
    s_print_rate ("rebuild: empty Redis -> whole log applied", log.count, opportunities, rebuild_s);
    char name[BENCH_TEXT_SIZE];
    snprintf (name, sizeof name, "live: ingest acknowledged (%d publishers, x%d)",
              BENCH_LIVE_PUBLISHERS, BENCH_LIVE_BATCH);
    s_print_rate (name, live.count, live.leads, result.ingest_s);
    s_print_rate ("live: funnel-tracker applied (same run, from first send)", live.count,
                  live.leads, result.consumer_s);
    printf ("ratio live funnel-tracker / ingest: %.1f%%\n",
            result.ingest_s / result.consumer_s * 100);
    printf ("funnel-tracker lag at the last acknowledgement: %" PRIu64
            " events (%.1f%% of the run), applied %.2f s later\n",
            result.lag, (double) result.lag * 100 / (double) live.count,
            result.consumer_s - result.ingest_s);
    printf ("live run: %" PRId64 " events read back from the log, %" PRId64
            " gaps seen on the bus\n",
            read_back_after - read_back, gaps_after - gaps);
    printf ("redis after the rebuild: %" PRId64 " keys, %.0f MiB used\n", keys, memory_mib);
    printf ("%-58s %5s %9s %9s %9s\n", "query latency over the rebuilt log, ms", "runs", "min",
            "median", "max");
    for (size_t index = 0; index < sizeof latencies / sizeof latencies[0]; index++)
        s_print_latency (&latencies[index]);
    printf ("%-58s %5d %9s %9.1f\n", "salesctl funnel --scope company --period all --json",
            BENCH_COMMAND_RUNS, "", command_ms);
    s_print_paced (&paced, paced_plan.count, (double) paced_rate, (double) paced_seconds);
    bench_redis_stats_print (rebuild_stats, "rebuild", log.count);
    bench_redis_stats_print (live_stats, "live", live.count);
    bench_redis_stats_print (paced_stats, "paced", paced_plan.count);
    printf ("counts verified: company funnel step 1 = %" PRIu64 " opportunities, won %" PRIu64
            ", lost %" PRIu64 " (funnels default and crm)\n",
            log.leads + live.leads + paced_plan.leads, log.won + live.won + paced_plan.won,
            log.lost + live.lost + paced_plan.lost);
    fflush (stdout);
    rc = 0;

out_stop:
    if (rc != 0 && bench.tracker_log[0])
        bench_show_log (BENCH_NAME, "funnel-tracker", bench.tracker_log);
    if (rc != 0 && bench.ingest.log[0])
        bench_show_log (BENCH_NAME, "activity-ingest", bench.ingest.log);
    bench_stop (&bench.tracker_pid, BENCH_STOP_TIMEOUT_MS);
    bench_stop (&bench.ingest.pid, BENCH_STOP_TIMEOUT_MS);
    bench_redis_stats_destroy (&rebuild_stats);
    bench_redis_stats_destroy (&live_stats);
    bench_redis_stats_destroy (&paced_stats);
    bench_checkpoints_destroy (&bench.checkpoints);
    sp_redis_destroy (&bench.redis);
    sp_pg_destroy (&bench.pg);
    sp_harness_destroy (&bench.harness);
    bench_funnel_plan_clear (&log);
    bench_funnel_plan_clear (&live);
    bench_funnel_plan_clear (&paced_plan);
    return rc;
}
