/*  bench_kpi - kpi-evaluator's applied events/s on a rebuild and live,
    against the counting consumer's catch-up of the same log in the same
    run, what it costs in Redis per event, and how long `salesctl
    scorecard` and `salesctl kpi` take over a year of a 1,000-rep company.
    The company and its events are bench_kpi_data's (bench_kpi_data.h).

      1. the log: SP_BENCH_KPI_EVENTS events (default 1,000,000, rounded
         down to whole cycles) are loaded straight into the events table
         (bench_log, binary COPY as activity-ingest stores them).
      2. baseline: the release counting-consumer catches up the same log
         from an empty Redis, timed until its checkpoints sum to the log
         (its counts checked against the log); then it stops and Redis is
         flushed.
      3. rebuild: the release kpi-evaluator (USD, UTC, 16 partitions) is
         spawned on the empty Redis and timed until its checkpoints sum to
         the log; the company's measures of 2025 (kpi_query_sums, every
         measure) must equal the plan's.
      4. queries over the rebuilt year (kpi-evaluator idle), period
         BENCH_KPI_DATA_QUARTER as of BENCH_AS_OF: `salesctl scorecard
         --scope company` (5 regions), `--scope region:region-0` (10 teams),
         `--scope team:team-00` (20 reps) and `salesctl kpi --scope
         company`, whole commands (process start and connections
         included), BENCH_COMMAND_RUNS runs each, every answer checked;
         and every rep scored in this process as `salesctl scorecard`
         scores a team's (kpi_query_new, one kpi_query_every_scope, then
         kpi_evaluate_scope and kpi_scorecard_score for each of the 1,000
         reps, ranked within their teams), BENCH_QUERY_RUNS runs. Redis's
         commandstats over the company scorecard's runs, per run.
      5. live: with kpi-evaluator caught up and subscribed to
         activity-ingest's bus, SP_BENCH_KPI_LIVE_EVENTS events (default
         200,000, whole cycles) of new cycles are published at full speed
         (bench_live): ingest's acknowledged events/s and kpi-evaluator's
         applied events/s over the same run, their ratio, the lag at the
         last acknowledgement; its /metrics say how the run was applied.
         The company's measures are checked again.

    In the baseline, rebuild and live phases Redis's own statistics are
    reset at the start and read at the end (bench_redis_stats).

    Everything (PostgreSQL, Redis, activity-ingest, the consumers, the
    publishers and this program) shares the machine's cores; the core
    count is printed with the figures.
*/
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <jansson.h>

#include "bench_checkpoints.h"
#include "bench_kpi_data.h"
#include "bench_live.h"
#include "bench_log.h"
#include "bench_redis_stats.h"
#include "bench_support.h"
#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_publisher.h"
#include "sp_harness_redis.h"
#include "sp_pg.h"
#include "sp_redis.h"

#include "kpi-evaluator/kpi_evaluate.h"
#include "kpi-evaluator/kpi_keys.h"
#include "kpi-evaluator/kpi_query.h"
#include "kpi-evaluator/kpi_scorecard.h"

#define BENCH_NAME "bench_kpi"
#define BENCH_PARTITIONS 16      /* as the tests and the local stack */
#define BENCH_EVENTS 1000000     /* events of the rebuilt log */
#define BENCH_LIVE_EVENTS 200000 /* events published in the live run */
#define BENCH_EVENTS_ENV "SP_BENCH_KPI_EVENTS"
#define BENCH_LIVE_EVENTS_ENV "SP_BENCH_KPI_LIVE_EVENTS"
#define BENCH_AS_OF "2025-12-31" /* ... as of this day (the quarter complete) */
#define BENCH_QUERY_RUNS 5       /* in-process runs of the every-rep read */
#define BENCH_COMMAND_RUNS 5     /* runs of each salesctl command */
#define BENCH_MS_PER_S 1000.0
#define BENCH_STOP_TIMEOUT_MS 30000
#define BENCH_START_TIMEOUT_MS 30000    /* counting-consumer's /metrics */
#define BENCH_COMMAND_TIMEOUT_MS 120000 /* one salesctl run */
#define BENCH_OUTPUT_SIZE (256 * 1024)  /* salesctl's JSON */
#define BENCH_COMPARE_SIZE 512
#define BENCH_METRIC_CATCHUP "salespulse_consumer_catchup_events_total"
#define BENCH_METRIC_GAPS "salespulse_consumer_gaps_total"
#define BENCH_TEXT_SIZE 128
#define BENCH_REAL_DIGITS 10 /* 0.45 written as 0.45, not 0.45000000000000001 */

/* What the benchmark started. */
typedef struct {
    sp_harness_t *harness;            /* PostgreSQL and Redis */
    sp_pg_t *pg;                      /* loads the log; the queries' reference data */
    bench_ingest_t ingest;            /* activity-ingest; kpi-evaluator follows its bus */
    sp_redis_t *redis;                /* checkpoints, checks, queries */
    bench_checkpoints_t *checkpoints; /* kpi-evaluator's progress */
    pid_t evaluator_pid;              /* kpi-evaluator, -1 when not running */
    char evaluator_program[PATH_MAX]; /* its path */
    int evaluator_http_port;          /* its /metrics */
    char evaluator_log[PATH_MAX];
    pid_t counting_pid; /* counting-consumer, -1 when not running */
    char counting_log[PATH_MAX];
} s_bench_t;

/* Latencies of one measurement, ms. */
typedef struct {
    const char *name;
    size_t runs;
    double ms[BENCH_COMMAND_RUNS > BENCH_QUERY_RUNS ? BENCH_COMMAND_RUNS : BENCH_QUERY_RUNS];
} s_latency_t;

/* ---------------------------------------------------------------- documents */

/* Writes document (taken) as the file name in the harness's folder into
   path. Returns 0, or -1 (printed). */
static int
s_write_document (s_bench_t *bench, json_t *document, const char *name, char *path, size_t size)
{
    snprintf (path, size, "%s/%s", sp_harness_dir (bench->harness), name);
    int rc = document ? json_dump_file (document, path,
                                        JSON_COMPACT | JSON_REAL_PRECISION (BENCH_REAL_DIGITS))
                      : -1;
    json_decref (document);
    if (rc != 0)
        fprintf (stderr, BENCH_NAME ": could not write %s\n", path);
    return rc;
}

/* Runs salesctl with arguments into output; on failure prints why.
 *ms (may be NULL) gets the run's time. Returns its exit status. */
static int
s_salesctl (s_bench_t *bench, const char *const *arguments, char *output, size_t size, double *ms)
{
    char errors[PATH_MAX];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (bench->harness));
    double start = bench_seconds ();
    int status = sp_harness_salesctl (bench->harness, arguments, errors, output, size,
                                      BENCH_COMMAND_TIMEOUT_MS);
    if (ms)
        *ms = (bench_seconds () - start) * BENCH_MS_PER_S;
    if (status != 0) {
        fprintf (stderr, BENCH_NAME ": salesctl %s %s exited %d\n", arguments[0],
                 arguments[1] ? arguments[1] : "", status);
        bench_show_log (BENCH_NAME, "salesctl stderr", errors);
    }
    return status;
}

/* Writes and loads the org, customers, targets and scorecard documents
   (`salesctl load KIND FILE`) before kpi-evaluator starts. Returns 0, or
   -1 (printed). */
static int
s_load_documents (s_bench_t *bench, const bench_kpi_data_tally_t *log)
{
    struct {
        const char *kind;
        const char *file;
        json_t *document;
    } documents[] = {
        { "org", "org.json", bench_kpi_data_org () },
        { "customers", "customers.json", bench_kpi_data_customers () },
        { "targets", "targets.json", bench_kpi_data_targets (log) },
        { "scorecard", "scorecard.json", bench_kpi_data_scorecard () },
    };
    size_t count = sizeof documents / sizeof documents[0];
    int rc = 0;
    for (size_t index = 0; index < count; index++) {
        char path[PATH_MAX], output[BENCH_TEXT_SIZE * 4];
        json_t *document = documents[index].document;
        documents[index].document = NULL;
        if (rc == 0 &&
            (s_write_document (bench, document, documents[index].file, path, sizeof path) != 0 ||
             s_salesctl (bench, (const char *const[]){ "load", documents[index].kind, path, NULL },
                         output, sizeof output, NULL) != 0))
            rc = -1;
        else if (rc != 0)
            json_decref (document);
    }
    return rc;
}

/* ---------------------------------------------------------------- checks */

/* The company's measures of 2025 in Redis, through the face, against
   expected. Returns 0 when every measure matches. */
static int
s_verify (s_bench_t *bench, const bench_kpi_data_tally_t *expected)
{
    char error[KPI_QUERY_ERROR_SIZE];
    kpi_query_t *query =
        kpi_query_new (bench->redis, bench->pg, BENCH_PARTITIONS, error, sizeof error);
    sp_period_t year;
    int64_t first, last, sums[1][KPI_MEASURE_COUNT];
    const char *scope = "company";
    int rc = -1;
    if (!query ||
        sp_period_parse (kpi_query_tz (query), BENCH_KPI_DATA_YEAR, &year, error, sizeof error) !=
            0 ||
        kpi_query_period_days (query, &year, &first, &last) != 0 ||
        kpi_query_sums (query, &year, last, &scope, 1, sums, error, sizeof error) != 0) {
        fprintf (stderr, BENCH_NAME ": could not read the company's measures: %s\n", error);
        goto out;
    }
    rc = 0;
    for (size_t measure = 0; measure < KPI_MEASURE_COUNT; measure++)
        if (sums[0][measure] != expected->sums[measure]) {
            fprintf (stderr, BENCH_NAME ": company %s of %s is %" PRId64 ", written %" PRId64 "\n",
                     kpi_catalog_measure_name ((kpi_measure_t) measure), BENCH_KPI_DATA_YEAR,
                     sums[0][measure], expected->sums[measure]);
            rc = -1;
        }
out:
    kpi_query_destroy (&query);
    return rc;
}

/* ---------------------------------------------------------------- queries */

/* The middle of latency's sorted runs. */
static double
s_middle (const s_latency_t *latency)
{
    size_t half = latency->runs / 2;
    return latency->runs % 2 ? latency->ms[half] : (latency->ms[half - 1] + latency->ms[half]) / 2;
}

/* What a salesctl run must answer. */
typedef struct {
    const char *command; /* "scorecard" or "kpi" */
    const char *scope;   /* --scope */
    size_t members;      /* scorecard: members scored */
    int64_t quarter_won; /* kpi: deals_won actual */
} s_expected_t;

/* Checks one JSON answer of salesctl against expected. */
static int
s_check_answer (const char *output, const s_expected_t *expected)
{
    json_t *answer = json_loads (output, 0, NULL);
    int rc = -1;
    if (strcmp (expected->command, "scorecard") == 0) {
        json_t *members = json_object_get (answer, "members");
        size_t scored = 0;
        for (size_t index = 0; index < json_array_size (members); index++)
            scored += json_is_real (json_object_get (json_array_get (members, index), "score"));
        if (json_array_size (members) == expected->members && scored == expected->members)
            rc = 0;
        else
            fprintf (stderr,
                     BENCH_NAME ": scorecard of %s: %zu members, %zu scored; expected %zu\n",
                     expected->scope, json_array_size (members), scored, expected->members);
    }
    else {
        json_t *kpis = json_object_get (answer, "kpis");
        json_int_t won = -1;
        for (size_t index = 0; index < json_array_size (kpis); index++) {
            json_t *row = json_array_get (kpis, index);
            const char *kpi = json_string_value (json_object_get (row, "kpi"));
            if (kpi && strcmp (kpi, "deals_won") == 0)
                won = json_integer_value (json_object_get (row, "actual"));
        }
        if (won == expected->quarter_won)
            rc = 0;
        else
            fprintf (stderr,
                     BENCH_NAME ": kpi of %s: deals_won %" PRId64 ", expected %" PRId64 "\n",
                     expected->scope, (int64_t) won, expected->quarter_won);
    }
    json_decref (answer);
    return rc;
}

/* Runs `salesctl <command> --scope S --period BENCH_KPI_DATA_QUARTER --as-of
   BENCH_AS_OF --json` BENCH_COMMAND_RUNS times into latency. */
static int
s_command (s_bench_t *bench, const s_expected_t *expected, s_latency_t *latency)
{
    const char *const arguments[] = {
        expected->command, "--scope",   expected->scope, "--period", BENCH_KPI_DATA_QUARTER,
        "--as-of",         BENCH_AS_OF, "--json",        NULL
    };
    char *output = (char *) malloc (BENCH_OUTPUT_SIZE);
    int rc = output ? 0 : -1;
    latency->runs = BENCH_COMMAND_RUNS;
    for (size_t run = 0; rc == 0 && run < latency->runs; run++)
        if (s_salesctl (bench, arguments, output, BENCH_OUTPUT_SIZE, &latency->ms[run]) != 0 ||
            s_check_answer (output, expected) != 0)
            rc = -1;
    free (output);
    qsort (latency->ms, latency->runs, sizeof latency->ms[0], bench_compare_double);
    return rc;
}

/* Scores one rep as `salesctl scorecard` scores a team's members. */
static int
s_score_rep (kpi_query_t *query, const kpi_scorecard_t *scorecard, const char *rep,
             const sp_period_t *period, int64_t through, const kpi_query_scope_t *scopes,
             size_t scope_count, kpi_evaluation_t *evaluation, kpi_scorecard_member_t *member,
             char *error, size_t error_size)
{
    static const int64_t zeros[KPI_MEASURE_COUNT];
    const int64_t *sums = zeros;
    for (size_t index = 0; index < scope_count; index++)
        if (strcmp (scopes[index].scope, rep) == 0)
            sums = scopes[index].sums;
    if (kpi_evaluate_scope (query, rep, period, through, sums, evaluation, error, error_size) != 0)
        return -1;
    kpi_scorecard_input_t inputs[KPI_SCORECARD_KPIS_MAX];
    size_t count = kpi_scorecard_kpi_count (scorecard, "rep");
    for (size_t index = 0; index < count; index++) {
        const char *name = kpi_scorecard_kpi (scorecard, "rep", index)->definition->name;
        const kpi_evaluate_row_t *row = kpi_evaluate_row (evaluation, name);
        inputs[index] = (kpi_scorecard_input_t){ name, row && row->has_attainment,
                                                 row ? row->attainment_bp : 0 };
    }
    kpi_scorecard_result_t result;
    if (kpi_scorecard_score (scorecard, "rep", inputs, count, &result) != 0) {
        snprintf (error, error_size, "could not score %s", rep);
        return -1;
    }
    *member = (kpi_scorecard_member_t){ rep, result.has_score, result.score_bp, 0 };
    return 0;
}

/* Every rep of every team scored and ranked within its team, in this
   process; *scored gets how many reps had a score. Returns 0, or -1. */
static int
s_every_rep_once (s_bench_t *bench, double *ms, size_t *scored)
{
    char error[KPI_QUERY_ERROR_SIZE] = "";
    kpi_query_scope_t *scopes = NULL;
    size_t scope_count = 0;
    kpi_evaluation_t *evaluation = (kpi_evaluation_t *) malloc (sizeof *evaluation);
    int rc = -1;
    *scored = 0;
    double start = bench_seconds ();
    kpi_query_t *query =
        kpi_query_new (bench->redis, bench->pg, BENCH_PARTITIONS, error, sizeof error);
    sp_period_t period;
    int64_t first, last;
    if (!evaluation || !query ||
        sp_period_parse (kpi_query_tz (query), BENCH_KPI_DATA_QUARTER, &period, error,
                         sizeof error) != 0 ||
        kpi_query_period_days (query, &period, &first, &last) != 0 ||
        kpi_query_every_scope (query, &period, last, &scopes, &scope_count, error, sizeof error) !=
            0)
        goto out;
    const kpi_reference_t *reference = kpi_query_reference (query);
    const sp_org_t *org = kpi_reference_org (reference);
    const kpi_scorecard_t *scorecard = kpi_reference_scorecard (reference);
    for (size_t team = 0; org && scorecard && team < BENCH_KPI_DATA_TEAMS; team++) {
        char node[BENCH_TEXT_SIZE];
        const char *reps[BENCH_KPI_DATA_REPS];
        kpi_scorecard_member_t members[BENCH_KPI_DATA_REPS];
        snprintf (node, sizeof node, "team:team-%02zu", team);
        size_t count = sp_org_children (org, node, first, last + 1, reps, BENCH_KPI_DATA_REPS);
        for (size_t index = 0; index < count && index < BENCH_KPI_DATA_REPS; index++)
            if (s_score_rep (query, scorecard, reps[index], &period, last, scopes, scope_count,
                             evaluation, &members[index], error, sizeof error) != 0)
                goto out;
            else
                *scored += members[index].has_score;
        kpi_scorecard_rank (members, count < BENCH_KPI_DATA_REPS ? count : BENCH_KPI_DATA_REPS);
    }
    *ms = (bench_seconds () - start) * BENCH_MS_PER_S;
    rc = org && scorecard ? 0 : -1;
out:
    if (rc != 0)
        fprintf (stderr, BENCH_NAME ": scoring every rep failed: %s\n",
                 *error ? error : "no org or scorecard");
    kpi_query_scopes_free (&scopes, scope_count);
    kpi_query_destroy (&query);
    free (evaluation);
    return rc;
}

static int
s_every_rep (s_bench_t *bench, s_latency_t *latency)
{
    latency->runs = BENCH_QUERY_RUNS;
    for (size_t run = 0; run < latency->runs; run++) {
        size_t scored = 0;
        if (s_every_rep_once (bench, &latency->ms[run], &scored) != 0)
            return -1;
        if (scored != BENCH_KPI_DATA_REPS) {
            fprintf (stderr, BENCH_NAME ": %zu reps scored, expected %d\n", scored,
                     BENCH_KPI_DATA_REPS);
            return -1;
        }
    }
    qsort (latency->ms, latency->runs, sizeof latency->ms[0], bench_compare_double);
    return 0;
}

/* ---------------------------------------------------------------- services */

/* Spawns kpi-evaluator: subscribed to the bus, USD, UTC. */
static int
s_start_evaluator (s_bench_t *bench)
{
    char http[BENCH_TEXT_SIZE], bus[BENCH_TEXT_SIZE + BENCH_TEXT_SIZE], partitions[BENCH_TEXT_SIZE];
    bench->evaluator_http_port = sp_harness_free_port ();
    if (bench->evaluator_http_port < 0)
        return -1;
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", bench->evaluator_http_port);
    snprintf (bus, sizeof bus, "SP_BUS_ENDPOINT=%s", bench->ingest.bus);
    snprintf (partitions, sizeof partitions, "SP_PARTITIONS=%d", BENCH_PARTITIONS);
    snprintf (bench->evaluator_log, sizeof bench->evaluator_log, "%s/kpi-evaluator.log",
              sp_harness_dir (bench->harness));
    const char *const settings[] = {
        http, bus, partitions, "SP_TIME_ZONE=UTC", "SP_KPI_CURRENCY=" BENCH_KPI_DATA_CURRENCY, NULL
    };
    sp_harness_spawn_options_t options = { .settings = settings,
                                           .stdout_path = bench->evaluator_log };
    bench->evaluator_pid =
        sp_harness_spawn_with (bench->harness, bench->evaluator_program, &options);
    return bench->evaluator_pid > 0 ? 0 : -1;
}

/* The baseline: counting-consumer catches up the log from an empty Redis
   (its counts checked against the log), stops, and Redis is flushed.
   *seconds gets its catch-up time. Returns 0, or -1 (printed). */
static int
s_baseline (s_bench_t *bench, size_t events, bench_redis_stats_t *stats, double *seconds)
{
    bench_checkpoints_t *checkpoints =
        bench_checkpoints_new (BENCH_NAME, bench->redis, "counting-consumer", BENCH_PARTITIONS);
    char difference[BENCH_COMPARE_SIZE];
    int http_port = sp_harness_free_port ();
    int rc = -1;
    snprintf (bench->counting_log, sizeof bench->counting_log, "%s/counting-consumer.log",
              sp_harness_dir (bench->harness));
    if (!checkpoints || http_port < 0 || bench_redis_stats_start (stats) != 0)
        goto out;
    double start = bench_seconds (), done = 0;
    bench->counting_pid =
        sp_harness_consumer_start (bench->harness, bench->ingest.bus, http_port, BENCH_PARTITIONS,
                                   NULL, bench->counting_log, BENCH_START_TIMEOUT_MS);
    if (bench->counting_pid <= 0 ||
        bench_checkpoints_wait (checkpoints, events, &bench->counting_pid,
                                bench_wait_limit (events), &done) != 0 ||
        bench_redis_stats_stop (stats, bench_checkpoints_reads (checkpoints), BENCH_PARTITIONS) !=
            0)
        goto out;
    *seconds = done - start;
    if (sp_harness_consumer_compare (bench->redis, bench->pg, BENCH_PARTITIONS, NULL, difference,
                                     sizeof difference) != 0) {
        fprintf (stderr, BENCH_NAME ": counting-consumer's counts differ: %s\n", difference);
        goto out;
    }
    if (bench_stop (&bench->counting_pid, BENCH_STOP_TIMEOUT_MS) != 0 ||
        sp_harness_redis_run_and_drop (bench->redis, 1, (const char *const[]){ "FLUSHALL" }) != 0) {
        fprintf (stderr, BENCH_NAME ": could not stop counting-consumer and flush Redis\n");
        goto out;
    }
    rc = 0;
out:
    bench_checkpoints_destroy (&checkpoints);
    return rc;
}

static void
s_print_rate (const char *name, size_t events, double seconds)
{
    printf ("%-62s %9zu %8.2f %10.0f\n", name, events, seconds, (double) events / seconds);
}

static void
s_print_latency (const s_latency_t *latency)
{
    printf ("%-62s %5zu %9.1f %9.1f %9.1f\n", latency->name, latency->runs, latency->ms[0],
            s_middle (latency), latency->ms[latency->runs - 1]);
}

/* Events of the environment variable name (fallback), whole cycles, at
   least one. */
static int
s_cycles (const char *name, size_t fallback, size_t *cycles)
{
    size_t events = 0;
    if (bench_env_count (BENCH_NAME, name, fallback, &events) != 0)
        return -1;
    *cycles = events / BENCH_KPI_DATA_CYCLE > 0 ? events / BENCH_KPI_DATA_CYCLE : 1;
    return 0;
}

int
main (void)
{
    s_bench_t bench = { .ingest.pid = -1, .evaluator_pid = -1, .counting_pid = -1 };
    bench_redis_stats_t *baseline_stats = NULL, *rebuild_stats = NULL, *live_stats = NULL,
                        *query_stats = NULL;
    size_t log_cycles = 0, live_cycles = 0;
    int rc = 1;
    if (s_cycles (BENCH_EVENTS_ENV, BENCH_EVENTS, &log_cycles) != 0 ||
        s_cycles (BENCH_LIVE_EVENTS_ENV, BENCH_LIVE_EVENTS, &live_cycles) != 0)
        return 1;
    if (log_cycles + live_cycles > UINT32_MAX / BENCH_KPI_DATA_CYCLE) {
        fprintf (stderr, BENCH_NAME ": at most %" PRIu32 " events\n", UINT32_MAX);
        return 1;
    }
    /* first: it sets where the harness finds the sources and programs */
    bench_locate ("kpi-evaluator", bench.evaluator_program, sizeof bench.evaluator_program);
    size_t log_events = log_cycles * BENCH_KPI_DATA_CYCLE,
           live_events = live_cycles * BENCH_KPI_DATA_CYCLE;
    bench_kpi_data_run_t log = { 0, log_cycles }, live = { log_cycles, log_cycles };
    uint8_t *won_customers = (uint8_t *) calloc (BENCH_KPI_DATA_CUSTOMERS, 1);
    bench_kpi_data_tally_t log_tally = { .won_customers = won_customers };
    if (!won_customers) {
        fprintf (stderr, BENCH_NAME ": out of memory\n");
        return 1;
    }
    bench_kpi_data_tally_run (&log_tally, &log, log_events);
    bench_kpi_data_tally_t total = log_tally;
    bench_kpi_data_tally_run (&total, &live, live_events);

    bench.harness = bench_start_servers (BENCH_NAME, BENCH_PARTITIONS, &bench.pg, &bench.redis);
    if (bench.redis) {
        bench.checkpoints =
            bench_checkpoints_new (BENCH_NAME, bench.redis, KPI_KEYS_SERVICE, BENCH_PARTITIONS);
        baseline_stats = bench_redis_stats_new (BENCH_NAME, bench.redis);
        rebuild_stats = bench_redis_stats_new (BENCH_NAME, bench.redis);
        live_stats = bench_redis_stats_new (BENCH_NAME, bench.redis);
        query_stats = bench_redis_stats_new (BENCH_NAME, bench.redis);
    }
    if (!bench.checkpoints || !baseline_stats || !rebuild_stats || !live_stats || !query_stats)
        goto out_stop;
    double load_start = bench_seconds ();
    if (bench_log_load (BENCH_NAME, bench.pg, BENCH_PARTITIONS, log_events,
                        bench_kpi_data_run_event, &log) != 0)
        goto out_stop;
    double load_s = bench_seconds () - load_start;
    if (s_load_documents (&bench, &log_tally) != 0)
        goto out_stop;
    if (bench_live_start_ingest (bench.harness, BENCH_PARTITIONS, &bench.ingest) != 0) {
        fprintf (stderr, BENCH_NAME ": could not start activity-ingest\n");
        goto out_stop;
    }

    /* 1. Baseline: the counting consumer's catch-up of the same log. */
    double baseline_s = 0;
    if (s_baseline (&bench, log_events, baseline_stats, &baseline_s) != 0)
        goto out_stop;

    /* 2. Rebuild: from kpi-evaluator's spawn to the whole log applied. */
    uint64_t reads = bench_checkpoints_reads (bench.checkpoints);
    if (bench_redis_stats_start (rebuild_stats) != 0)
        goto out_stop;
    double rebuild_start = bench_seconds (), rebuilt = 0;
    if (s_start_evaluator (&bench) != 0 ||
        bench_checkpoints_wait (bench.checkpoints, log_events, &bench.evaluator_pid,
                                bench_wait_limit (log_events), &rebuilt) != 0 ||
        bench_redis_stats_stop (rebuild_stats, bench_checkpoints_reads (bench.checkpoints) - reads,
                                BENCH_PARTITIONS) != 0 ||
        s_verify (&bench, &log_tally) != 0)
        goto out_stop;
    double rebuild_s = rebuilt - rebuild_start;
    int64_t keys = 0;
    double memory_mib = 0;
    if (bench_redis_size (bench.redis, &keys, &memory_mib) != 0)
        goto out_stop;

    /* 3. Queries over the rebuilt year (kpi-evaluator idle). */
    s_latency_t latencies[] = {
        { "salesctl scorecard --scope company (5 regions)", 0, { 0 } },
        { "salesctl scorecard --scope region:region-0 (10 teams)", 0, { 0 } },
        { "salesctl scorecard --scope team:team-00 (20 reps)", 0, { 0 } },
        { "salesctl kpi --scope company", 0, { 0 } },
        { "every rep scored, in process (1,000 reps, 50 teams)", 0, { 0 } },
    };
    const s_expected_t expected[] = {
        { "scorecard", "company", BENCH_KPI_DATA_REGIONS, 0 },
        { "scorecard", "region:region-0", BENCH_KPI_DATA_TEAMS_PER_REGION, 0 },
        { "scorecard", "team:team-00", BENCH_KPI_DATA_REPS_PER_TEAM, 0 },
        { "kpi", "company", 0, log_tally.quarter_won },
    };
    if (bench_redis_stats_start (query_stats) != 0 ||
        s_command (&bench, &expected[0], &latencies[0]) != 0 ||
        bench_redis_stats_stop (query_stats, 0, BENCH_PARTITIONS) != 0)
        goto out_stop;
    for (size_t index = 1; index < sizeof expected / sizeof expected[0]; index++)
        if (s_command (&bench, &expected[index], &latencies[index]) != 0)
            goto out_stop;
    if (s_every_rep (&bench, &latencies[4]) != 0)
        goto out_stop;

    /* 4. Live: the same kpi-evaluator follows ingest. */
    int64_t read_back =
        sp_harness_consumer_metric (bench.evaluator_http_port, BENCH_METRIC_CATCHUP);
    int64_t gaps = sp_harness_consumer_metric (bench.evaluator_http_port, BENCH_METRIC_GAPS);
    bench_live_options_t live_options = {
        .bench = BENCH_NAME,
        .endpoint = bench.ingest.endpoint,
        .count = live_events,
        .make_event = bench_kpi_data_run_event,
        .arg = &live,
        .checkpoints = bench.checkpoints,
        .consumer_pid = &bench.evaluator_pid,
        .target = (uint64_t) log_events + live_events,
    };
    bench_live_result_t result = { 0, 0, 0 };
    reads = bench_checkpoints_reads (bench.checkpoints);
    if (bench_redis_stats_start (live_stats) != 0 || bench_live_run (&live_options, &result) != 0 ||
        bench_redis_stats_stop (live_stats, bench_checkpoints_reads (bench.checkpoints) - reads,
                                BENCH_PARTITIONS) != 0 ||
        s_verify (&bench, &total) != 0)
        goto out_stop;
    int64_t read_back_after =
        sp_harness_consumer_metric (bench.evaluator_http_port, BENCH_METRIC_CATCHUP);
    int64_t gaps_after = sp_harness_consumer_metric (bench.evaluator_http_port, BENCH_METRIC_GAPS);
    if (read_back < 0 || gaps < 0 || read_back_after < 0 || gaps_after < 0) {
        fprintf (stderr, BENCH_NAME ": could not read kpi-evaluator's /metrics\n");
        goto out_stop;
    }
    int evaluator_status = bench_stop (&bench.evaluator_pid, BENCH_STOP_TIMEOUT_MS);
    int ingest_status = bench_stop (&bench.ingest.pid, BENCH_STOP_TIMEOUT_MS);
    if (evaluator_status != 0 || ingest_status != 0) {
        fprintf (stderr, BENCH_NAME ": exit status kpi-evaluator %d, activity-ingest %d\n",
                 evaluator_status, ingest_status);
        goto out_stop;
    }

    double rebuild_rate = (double) log_events / rebuild_s;
    double baseline_rate = (double) log_events / baseline_s;
    printf (BENCH_NAME ": kpi-evaluator (org of %d regions, %d teams, %d reps; %d customers; USD, "
                       "UTC), %d partitions, %ld cores shared by every process\n",
            BENCH_KPI_DATA_REGIONS, BENCH_KPI_DATA_TEAMS, BENCH_KPI_DATA_REPS,
            BENCH_KPI_DATA_CUSTOMERS, BENCH_PARTITIONS, sysconf (_SC_NPROCESSORS_ONLN));
    printf ("log: %zu events (%zu cycles of %d), live: %zu events\n", log_events, log_cycles,
            BENCH_KPI_DATA_CYCLE, live_events);
    printf ("%-62s %9s %8s %10s\n", "measurement", "events", "seconds", "events/s");
    s_print_rate ("log load (binary COPY, not a kpi-evaluator figure)", log_events, load_s);
    s_print_rate ("baseline: counting-consumer catch-up, empty Redis -> log", log_events,
                  baseline_s);
    s_print_rate ("rebuild: kpi-evaluator, empty Redis -> whole log applied", log_events,
                  rebuild_s);
    printf ("ratio rebuild kpi-evaluator / counting-consumer: %.1f%% (target >= 40%%)\n",
            rebuild_rate / baseline_rate * 100);
    char name[BENCH_TEXT_SIZE];
    snprintf (name, sizeof name, "live: ingest acknowledged (%d publishers, x%d)",
              BENCH_LIVE_PUBLISHERS, BENCH_LIVE_BATCH);
    s_print_rate (name, live_events, result.ingest_s);
    s_print_rate ("live: kpi-evaluator applied (same run, from first send)", live_events,
                  result.consumer_s);
    printf ("ratio live kpi-evaluator / ingest: %.1f%% (target >= 60%%)\n",
            result.ingest_s / result.consumer_s * 100);
    printf ("kpi-evaluator lag at the last acknowledgement: %" PRIu64
            " events (%.1f%% of the run), applied %.2f s later\n",
            result.lag, (double) result.lag * 100 / (double) live_events,
            result.consumer_s - result.ingest_s);
    printf ("live run: %" PRId64 " events read back from the log, %" PRId64
            " gaps seen on the bus\n",
            read_back_after - read_back, gaps_after - gaps);
    printf ("redis after the rebuild: %" PRId64 " keys, %.0f MiB used\n", keys, memory_mib);
    printf ("%-62s %5s %9s %9s %9s\n",
            "query, " BENCH_KPI_DATA_QUARTER " as of " BENCH_AS_OF ", --json, ms", "runs", "min",
            "median", "max");
    for (size_t index = 0; index < sizeof latencies / sizeof latencies[0]; index++)
        s_print_latency (&latencies[index]);
    bench_redis_stats_print (baseline_stats, "counting-consumer catch-up", log_events);
    bench_redis_stats_print (rebuild_stats, "rebuild", log_events);
    bench_redis_stats_print (live_stats, "live", live_events);
    bench_redis_stats_print (query_stats, "scorecard company, per command run", BENCH_COMMAND_RUNS);
    printf ("counts verified: every company measure of " BENCH_KPI_DATA_YEAR " (%" PRId64
            " won, %" PRId64 " lost, %" PRId64 " visits, %" PRId64
            " calls), deals_won of " BENCH_KPI_DATA_QUARTER " %" PRId64 "\n",
            total.sums[KPI_MEASURE_WON], total.sums[KPI_MEASURE_LOST],
            total.sums[KPI_MEASURE_VISITS], total.sums[KPI_MEASURE_CALLS], log_tally.quarter_won);
    fflush (stdout);
    rc = 0;

out_stop:
    if (rc != 0 && bench.evaluator_log[0])
        bench_show_log (BENCH_NAME, "kpi-evaluator", bench.evaluator_log);
    if (rc != 0 && bench.counting_log[0])
        bench_show_log (BENCH_NAME, "counting-consumer", bench.counting_log);
    if (rc != 0 && bench.ingest.log[0])
        bench_show_log (BENCH_NAME, "activity-ingest", bench.ingest.log);
    bench_stop (&bench.evaluator_pid, BENCH_STOP_TIMEOUT_MS);
    bench_stop (&bench.counting_pid, BENCH_STOP_TIMEOUT_MS);
    bench_stop (&bench.ingest.pid, BENCH_STOP_TIMEOUT_MS);
    bench_redis_stats_destroy (&baseline_stats);
    bench_redis_stats_destroy (&rebuild_stats);
    bench_redis_stats_destroy (&live_stats);
    bench_redis_stats_destroy (&query_stats);
    bench_checkpoints_destroy (&bench.checkpoints);
    sp_redis_destroy (&bench.redis);
    sp_pg_destroy (&bench.pg);
    sp_harness_destroy (&bench.harness);
    free (won_customers);
    return rc;
}
