/*  bench_incentive - incentive-calculator in one run (issue 13): its live
    applied events/s against ingest's acknowledged events/s, how long a
    statement of one rep with 10,000 deals takes, and how long a period
    close of every rep's statement takes. Every deal goes through
    activity-ingest; nothing is written into the log or Redis behind the
    services' backs.

    The company: SP_BENCH_INCENTIVE_REPS reps (default 1,000, at most a
    plan's 1,000), "rep-0000".., all named by one plan loaded with
    `salesctl load plans` before the service starts: ae-bench, quarterly,
    USD, revenue on marginal tiers of the quarter's credited amount (4 %
    to 300,000.00, 7 % to 600,000.00, 10 % above; quota 600,000.00) and
    one SPIFF (250.00 per new logo, capped at 5,000.00, 2026-04-01 to
    2026-10-01). incentive-calculator runs with SP_TIME_ZONE=UTC and
    SP_INCENTIVE_CURRENCY=USD, 16 partitions.

    The deals, all deal_won in USD, numbered g = 0, 1, ...: the first
    SP_BENCH_INCENTIVE_STATEMENT_DEALS (default 10,000) are rep-0000's in
    BENCH_STATEMENT_PERIOD, then SP_BENCH_INCENTIVE_DEALS (default
    1,000,000) go round the reps in BENCH_CLOSE_PERIOD, in time order
    within each quarter (as a CRM feed sends them). Amounts 500.00 to
    1,500.00 in steps of 5.00; one deal in BENCH_SPLIT_EVERY is split
    60/40 with the next rep (splits). BENCH_CUSTOMERS customers, a hash of
    g, so all 16 partitions are written and a customer's first deal is a
    new logo. With amounts in whole multiples of 5.00 every credit and
    every tier slice is a whole number of dollars, so every revenue line
    is exact and the lines of a rep sum to the tiers applied to its
    credited total: the benchmark checks that sum.

      1. the statement rep's deals: published through activity-ingest at
         full speed (bench_live) while incentive-calculator follows.
      2. live: the first SP_BENCH_INCENTIVE_LIVE_EVENTS (default 200,000)
         deals of the closed quarter, published the same way: ingest's
         acknowledged events/s and incentive-calculator's applied events/s
         over the same run, their ratio (target >= 60 %), the lag at the
         last acknowledgement, how the run was applied (/metrics), and
         Redis's commandstats per event (bench_redis_stats).
      3. the rest of the closed quarter's deals, the same way (a second,
         longer sample of the same ratio).
      4. statement (the service idle, the whole log applied): rep-0000's
         BENCH_STATEMENT_PERIOD, in this process through the face
         (incentive_query_new, then incentive_query_statement), and as the
         whole command `salesctl statement --rep rep-0000 --period P
         --json`; next to it the same command for a rep without deals (the
         command's fixed cost: process start, connections, plans) and
         `salesctl statement --help` (process start alone). Every run's
         answer is checked. Target: <= 50 ms.
      5. close: every rep's statement of BENCH_CLOSE_PERIOD computed in
         this process (incentive_close_prepare, stores nothing), then the
         real `salesctl close-period --period BENCH_CLOSE_PERIOD` (one
         run: a period closes once), timed, with Redis's commandstats; the
         statements stored are counted and summed in PostgreSQL.

    Whole commands are timed from spawn to exit as the harness sees it
    (sp_harness_wait_exit polls every 10 ms), so each is late by up to
    10 ms; the in-process figures are not. Everything (PostgreSQL, Redis,
    activity-ingest, incentive-calculator, the publishers, salesctl and
    this program) shares the machine's cores; the core count and the load
    average are printed with the figures.
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
#include "bench_live.h"
#include "bench_redis_stats.h"
#include "bench_support.h"
#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_publisher.h"
#include "sp_pg.h"
#include "sp_redis.h"

#include "incentive-calculator/incentive_close.h"
#include "incentive-calculator/incentive_keys.h"
#include "incentive-calculator/incentive_query.h"

#define BENCH_NAME "bench_incentive"
#define BENCH_PARTITIONS 16 /* as the tests and the local stack */
#define BENCH_REPS 1000     /* a plan names at most 1,000 reps */
#define BENCH_DEALS 1000000
#define BENCH_LIVE_EVENTS 200000
#define BENCH_STATEMENT_DEALS 10000
#define BENCH_REPS_ENV "SP_BENCH_INCENTIVE_REPS"
#define BENCH_DEALS_ENV "SP_BENCH_INCENTIVE_DEALS"
#define BENCH_LIVE_EVENTS_ENV "SP_BENCH_INCENTIVE_LIVE_EVENTS"
#define BENCH_STATEMENT_DEALS_ENV "SP_BENCH_INCENTIVE_STATEMENT_DEALS"
#define BENCH_HOLD_ENV "SP_BENCH_INCENTIVE_HOLD"
#define BENCH_COMPARE_ENV "SP_BENCH_INCENTIVE_COMPARE"
#define BENCH_HOLD_POLL_US 100000 /* 100 ms */
#define BENCH_CUSTOMERS 50000
#define BENCH_SPLIT_EVERY 5         /* one deal in 5 is split with the next rep */
#define BENCH_SPLIT_SHARE_BP 6000   /* the deal's rep keeps 60 % */
#define BENCH_BASIS_POINTS 10000    /* 100 % */
#define BENCH_AMOUNT_STEP_CENTS 500 /* amounts are multiples of 5.00 */
#define BENCH_AMOUNT_STEPS 201      /* 500.00 .. 1,500.00 */
#define BENCH_AMOUNT_FIRST_STEP 100 /* 100 x 5.00 = 500.00 */
#define BENCH_STATEMENT_PERIOD "2026-Q2"
#define BENCH_STATEMENT_START "2026-04-01T00:00:00Z"
#define BENCH_CLOSE_PERIOD "2026-Q3"
#define BENCH_CLOSE_START "2026-07-01T00:00:00Z"
#define BENCH_QUARTER_SPAN_MS (90LL * 24 * 3600 * 1000) /* deals spread over 90 days */
#define BENCH_STATEMENT_REP "rep-0000"
#define BENCH_EMPTY_REP "rep-without-deals"
#define BENCH_TIER_1_CENTS 30000000LL /* 300,000.00 */
#define BENCH_TIER_2_CENTS 60000000LL /* 600,000.00 */
#define BENCH_RATE_1_PERCENT 4
#define BENCH_RATE_2_PERCENT 7
#define BENCH_RATE_3_PERCENT 10
#define BENCH_PERCENT 100
#define BENCH_SPIFF_CAP_CENTS 500000LL /* 5,000.00 a rep at most */
#define BENCH_QUERY_RUNS 11            /* in-process statement runs */
#define BENCH_COMMAND_RUNS 7           /* runs of each salesctl command */
#define BENCH_MS_PER_S 1000.0
#define BENCH_STOP_TIMEOUT_MS 30000
#define BENCH_START_TIMEOUT_MS 60000
#define BENCH_COMMAND_TIMEOUT_MS 1800000     /* one salesctl run (the close) */
#define BENCH_OUTPUT_SIZE (64 * 1024 * 1024) /* a 10,000-deal statement's JSON */
#define BENCH_TEXT_SIZE 160
#define BENCH_BYTES_PER_MIB (1024.0 * 1024.0)
#define BENCH_METRIC_CATCHUP "salespulse_consumer_catchup_events_total"
#define BENCH_METRIC_GAPS "salespulse_consumer_gaps_total"

/* The deals of the run (see the file comment). */
typedef struct {
    size_t reps;            /* rep-0000 .. */
    size_t statement_deals; /* g < this: rep-0000's, in BENCH_STATEMENT_PERIOD */
    size_t close_deals;     /* the next ones: every rep's, in BENCH_CLOSE_PERIOD */
    int64_t statement_start_ms;
    int64_t close_start_ms;
} s_deals_t;

/* A run of deals for bench_live: deal number first + index. */
typedef struct {
    const s_deals_t *deals;
    size_t first;
} s_run_t;

/* What the benchmark started. */
typedef struct {
    sp_harness_t *harness;            /* PostgreSQL and Redis */
    sp_pg_t *pg;                      /* checks, the in-process statements */
    sp_redis_t *redis;                /* checkpoints, checks, the in-process statements */
    bench_ingest_t ingest;            /* activity-ingest; the service follows its bus */
    bench_checkpoints_t *checkpoints; /* incentive-calculator's progress */
    pid_t calculator_pid;             /* -1 when not running */
    int calculator_http_port;         /* its /metrics */
    char calculator_log[PATH_MAX];
    char *output; /* salesctl's stdout, BENCH_OUTPUT_SIZE */
} s_bench_t;

/* Latencies of one measurement, ms, sorted once measured. */
typedef struct {
    const char *name;
    size_t runs;
    double ms[BENCH_QUERY_RUNS > BENCH_COMMAND_RUNS ? BENCH_QUERY_RUNS : BENCH_COMMAND_RUNS];
} s_latency_t;

/* ---------------------------------------------------------------- the deals */

static uint64_t
s_hash (uint64_t value)
{
    value ^= value >> 33;
    value *= 0xff51afd7ed558ccdULL;
    value ^= value >> 33;
    value *= 0xc4ceb9fe1a85ec53ULL;
    return value ^ (value >> 33);
}

/* Deal g's rep (the one credited without splits, 60 % with). */
static size_t
s_rep (const s_deals_t *deals, size_t g)
{
    return g < deals->statement_deals ? 0 : (g - deals->statement_deals) % deals->reps;
}

static bool
s_is_split (const s_deals_t *deals, size_t g)
{
    return deals->reps > 1 && g % BENCH_SPLIT_EVERY == BENCH_SPLIT_EVERY - 1;
}

static int64_t
s_amount_cents (size_t g)
{
    return (int64_t) (BENCH_AMOUNT_FIRST_STEP + s_hash (g) % BENCH_AMOUNT_STEPS) *
           BENCH_AMOUNT_STEP_CENTS;
}

static int64_t
s_occurred_at (const s_deals_t *deals, size_t g)
{
    if (g < deals->statement_deals)
        return deals->statement_start_ms +
               (int64_t) ((double) g * BENCH_QUARTER_SPAN_MS / (double) deals->statement_deals);
    size_t k = g - deals->statement_deals;
    return deals->close_start_ms +
           (int64_t) ((double) k * BENCH_QUARTER_SPAN_MS / (double) deals->close_deals);
}

/* Adds deal g's credits, in cents, to credited[rep]. */
static void
s_credit (const s_deals_t *deals, size_t g, int64_t *credited)
{
    size_t rep = s_rep (deals, g);
    int64_t amount = s_amount_cents (g);
    if (!s_is_split (deals, g)) {
        credited[rep] += amount;
        return;
    }
    int64_t kept = amount * BENCH_SPLIT_SHARE_BP / BENCH_BASIS_POINTS; /* exact: 5.00 steps */
    credited[rep] += kept;
    credited[(rep + 1) % deals->reps] += amount - kept;
}

/* The plan's revenue tiers applied to a credited total (cents): exact,
   as every slice is whole dollars. */
static int64_t
s_tiers (int64_t credited)
{
    int64_t first = credited < BENCH_TIER_1_CENTS ? credited : BENCH_TIER_1_CENTS;
    int64_t second =
        credited < BENCH_TIER_2_CENTS ? credited - first : BENCH_TIER_2_CENTS - BENCH_TIER_1_CENTS;
    int64_t third = credited > BENCH_TIER_2_CENTS ? credited - BENCH_TIER_2_CENTS : 0;
    return (first * BENCH_RATE_1_PERCENT + second * BENCH_RATE_2_PERCENT +
            third * BENCH_RATE_3_PERCENT) /
           BENCH_PERCENT;
}

/* One split of a deal: rep number rep, share basis points. */
static Salespulse__CreditSplit *
s_split_new (size_t rep, uint32_t share)
{
    Salespulse__CreditSplit *split = (Salespulse__CreditSplit *) malloc (sizeof *split);
    if (!split)
        return NULL;
    salespulse__credit_split__init (split);
    split->share_basis_points = share;
    if (bench_set_text (&split->rep_id, "rep-%04zu", rep) != 0) {
        free (split);
        return NULL;
    }
    return split;
}

/* Deal g as a deal_won event. NULL when out of memory. */
static sp_event_t *
s_deal_event (const s_deals_t *deals, size_t g)
{
    size_t rep = s_rep (deals, g);
    sp_event_t *event = sp_event_new (SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON);
    if (!event)
        return NULL;
    Salespulse__DealWon *body = event->deal_won;
    Salespulse__Money *money = (Salespulse__Money *) malloc (sizeof *money);
    if (!money)
        goto out_destroy;
    salespulse__money__init (money);
    body->amount = money;
    money->amount_minor = s_amount_cents (g);
    if (sp_event_set_string (&money->currency, "USD", strlen ("USD")) != 0 ||
        bench_set_text (&event->event_id, "bench:incentive:%zu", g) != 0 ||
        sp_event_set_string (&event->source, "bench", strlen ("bench")) != 0 ||
        bench_set_text (&event->rep_id, "rep-%04zu", rep) != 0 ||
        bench_set_text (&event->customer_id, "cust-%05zu",
                        (size_t) (s_hash (g ^ 0x5eedULL) % BENCH_CUSTOMERS)) != 0 ||
        bench_set_text (&event->opportunity_id, "opp-%zu", g) != 0)
        goto out_destroy;
    event->occurred_at = s_occurred_at (deals, g);
    if (s_is_split (deals, g)) {
        body->splits = (Salespulse__CreditSplit **) calloc (2, sizeof *body->splits);
        if (!body->splits)
            goto out_destroy;
        /* counted at once, so destroying the event frees them on failure */
        body->splits[body->n_splits] = s_split_new (rep, BENCH_SPLIT_SHARE_BP);
        if (!body->splits[body->n_splits++])
            goto out_destroy;
        body->splits[body->n_splits] =
            s_split_new ((rep + 1) % deals->reps, BENCH_BASIS_POINTS - BENCH_SPLIT_SHARE_BP);
        if (!body->splits[body->n_splits++])
            goto out_destroy;
    }
    return event;

out_destroy:
    sp_event_destroy (&event);
    return NULL;
}

/* sp_harness_event_fn of a run (arg, an s_run_t). Read only, so the
   publishers may call it at once. */
static sp_event_t *
s_run_event (size_t index, void *arg)
{
    const s_run_t *run = (const s_run_t *) arg;
    return s_deal_event (run->deals, run->first + index);
}

/* ---------------------------------------------------------------- the plan */

/* The plan ae-bench naming every rep (see the file comment), as a file
   of the harness's folder. Returns 0, or -1 (printed). */
static int
s_write_plan (s_bench_t *bench, size_t reps, char *path, size_t size)
{
    json_t *names = json_array ();
    for (size_t rep = 0; names && rep < reps; rep++) {
        char id[BENCH_TEXT_SIZE];
        snprintf (id, sizeof id, "rep-%04zu", rep);
        if (json_array_append_new (names, json_pack ("{s:s}", "id", id)) != 0) {
            json_decref (names);
            names = NULL;
        }
    }
    json_t *plan =
        names ? json_pack ("{s:s, s:s, s:s, s:s, s:{s:o}, s:[{s:s, s:s, s:s, s:{s:s, s:s, "
                           "s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s}]}}],"
                           " s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:s}]}",
                           "name", "ae-bench", "currency", "USD", "period", "quarter", "trigger",
                           "booking", "assign", "reps", names, "components", "id", "revenue",
                           "measure", "revenue", "quota", "600000.00", "table", "basis", "amount",
                           "pays", "rate", "bands", "lo", "0", "hi", "300000", "rate", "0.04", "lo",
                           "300000", "hi", "600000", "rate", "0.07", "lo", "600000", "rate", "0.10",
                           "spiffs", "id", "new-logo-push", "measure", "new_logos", "from",
                           "2026-04-01", "to", "2026-10-01", "pays", "fixed", "amount", "250.00",
                           "cap", "5000.00")
              : NULL;
    snprintf (path, size, "%s/plan.json", sp_harness_dir (bench->harness));
    int rc = plan ? json_dump_file (plan, path, JSON_INDENT (1)) : -1;
    json_decref (plan);
    if (rc != 0)
        fprintf (stderr, BENCH_NAME ": could not write the plan %s\n", path);
    return rc;
}

/* ---------------------------------------------------------------- salesctl */

/* Runs salesctl with arguments into bench->output; *ms (may be NULL) gets
   the run's time, spawn to exit. Returns its exit status (printed when
   not 0). */
static int
s_salesctl (s_bench_t *bench, const char *const *arguments, double *ms)
{
    double start = bench_seconds ();
    int status = sp_harness_consumer_salesctl (bench->harness, arguments, bench->output,
                                               BENCH_OUTPUT_SIZE, BENCH_COMMAND_TIMEOUT_MS);
    if (ms)
        *ms = (bench_seconds () - start) * BENCH_MS_PER_S;
    if (status != 0) {
        char errors[PATH_MAX];
        snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (bench->harness));
        fprintf (stderr, BENCH_NAME ": salesctl %s exited %d\n", arguments[0], status);
        bench_show_log (BENCH_NAME, "salesctl stderr", errors);
    }
    return status;
}

static double
s_median (const s_latency_t *latency)
{
    size_t half = latency->runs / 2;
    return latency->runs % 2 ? latency->ms[half] : (latency->ms[half - 1] + latency->ms[half]) / 2;
}

/* ---------------------------------------------------------------- checks */

/* What a statement must show. */
typedef struct {
    size_t revenue_lines; /* earning lines of rule revenue */
    int64_t revenue;      /* their sum, cents */
} s_expected_t;

/* Checks statement text (JSON) against expected; *net gets its net
   payout and *lines its line count. Returns 0, or -1 (printed). */
static int
s_check_statement (const char *text, const s_expected_t *expected, int64_t *net, size_t *lines)
{
    json_t *root = json_loads (text, 0, NULL);
    json_t *items = json_object_get (root, "lines");
    size_t count = 0, index;
    int64_t sum = 0;
    json_t *line;
    json_array_foreach (items, index, line)
    {
        const char *kind = json_string_value (json_object_get (line, "kind"));
        const char *rule =
            json_string_value (json_object_get (json_object_get (line, "explanation"), "rule_id"));
        if (kind && strcmp (kind, "earning") == 0 && rule && strcmp (rule, "revenue") == 0) {
            count++;
            sum += (int64_t) json_integer_value (json_object_get (line, "amount"));
        }
    }
    bool complete = json_is_true (json_object_get (root, "complete"));
    *net = (int64_t) json_integer_value (json_object_get (root, "net_payout"));
    *lines = json_array_size (items);
    json_decref (root);
    if (complete && count == expected->revenue_lines && sum == expected->revenue)
        return 0;
    fprintf (stderr,
             BENCH_NAME ": statement: complete %d, %zu revenue lines summing to %" PRId64
                        "; expected %zu summing to %" PRId64 "\n",
             complete, count, sum, expected->revenue_lines, expected->revenue);
    return -1;
}

/* ---------------------------------------------------------------- phases */

/* Spawns incentive-calculator on the bus: USD, UTC, its statements PUB
   on a free endpoint. Returns 0, or -1. */
static int
s_start_calculator (s_bench_t *bench)
{
    char statements[BENCH_LIVE_ENDPOINT_SIZE], setting[BENCH_TEXT_SIZE];
    bench->calculator_http_port = sp_harness_free_port ();
    if (bench->calculator_http_port < 0 ||
        sp_harness_free_endpoint (statements, sizeof statements) != 0)
        return -1;
    snprintf (setting, sizeof setting, "SP_INCENTIVE_STATEMENTS_ENDPOINT=%s", statements);
    snprintf (bench->calculator_log, sizeof bench->calculator_log, "%s/incentive-calculator.log",
              sp_harness_dir (bench->harness));
    bench->calculator_pid = sp_harness_consumer_service (
        bench->harness, "incentive-calculator", bench->ingest.bus, bench->calculator_http_port,
        BENCH_PARTITIONS,
        (const char *[]){ "SP_TIME_ZONE=UTC", "SP_INCENTIVE_CURRENCY=USD", setting, NULL }, NULL,
        bench->calculator_log, BENCH_START_TIMEOUT_MS);
    return bench->calculator_pid > 0 ? 0 : -1;
}

/* Publishes deals first..first+count-1 through ingest while the service
   follows (bench_live); *applied is the checkpoint sum before, then
   after. */
static int
s_publish (s_bench_t *bench, const s_deals_t *deals, size_t first, size_t count, uint64_t *applied,
           bench_live_result_t *result)
{
    s_run_t run = { deals, first };
    bench_live_options_t options = {
        .bench = BENCH_NAME,
        .endpoint = bench->ingest.endpoint,
        .count = count,
        .make_event = s_run_event,
        .arg = &run,
        .checkpoints = bench->checkpoints,
        .consumer_pid = &bench->calculator_pid,
        .target = *applied + count,
    };
    if (bench_live_run (&options, result) != 0)
        return -1;
    *applied += count;
    return 0;
}

/* The in-process statement: incentive_query_new (*new_ms) and
   incentive_query_statement (*statement_ms), checked. */
static int
s_statement_in_process (s_bench_t *bench, const s_expected_t *expected, double *new_ms,
                        double *statement_ms)
{
    char error[INCENTIVE_QUERY_ERROR_SIZE];
    double start = bench_seconds ();
    incentive_query_t *query =
        incentive_query_new (bench->redis, bench->pg, BENCH_PARTITIONS, error, sizeof error);
    double built = bench_seconds ();
    char *text = query
                     ? incentive_query_statement (query, BENCH_STATEMENT_REP,
                                                  BENCH_STATEMENT_PERIOD, NULL, error, sizeof error)
                     : NULL;
    double done = bench_seconds ();
    int64_t net;
    size_t lines;
    int rc = text ? s_check_statement (text, expected, &net, &lines) : -1;
    if (!text)
        fprintf (stderr, BENCH_NAME ": in-process statement: %s\n", error);
    *new_ms = (built - start) * BENCH_MS_PER_S;
    *statement_ms = (done - built) * BENCH_MS_PER_S;
    free (text);
    incentive_query_destroy (&query);
    return rc;
}

/* Runs salesctl arguments BENCH_COMMAND_RUNS times into latency; with
   expected (may be NULL) each answer is checked. */
static int
s_command (s_bench_t *bench, const char *const *arguments, const s_expected_t *expected,
           s_latency_t *latency)
{
    latency->runs = BENCH_COMMAND_RUNS;
    for (size_t run = 0; run < latency->runs; run++) {
        int64_t net;
        size_t lines;
        if (s_salesctl (bench, arguments, &latency->ms[run]) != 0 ||
            (expected && s_check_statement (bench->output, expected, &net, &lines) != 0))
            return -1;
    }
    qsort (latency->ms, latency->runs, sizeof latency->ms[0], bench_compare_double);
    return 0;
}

/* What the close stored: statements, their net payouts and document
   bytes summed. Returns 0, or -1 (printed). */
static int
s_stored (s_bench_t *bench, int64_t *count, int64_t *net, int64_t *bytes)
{
    const char *period = BENCH_CLOSE_PERIOD;
    sp_pg_result_t *result = sp_pg_exec (
        bench->pg,
        "SELECT count(*), coalesce(sum(net_payout), 0), coalesce(sum(octet_length(document)), 0)"
        " FROM incentive_statements WHERE period = $1",
        1, &period, NULL, NULL);
    int rc = -1;
    if (result && sp_pg_result_ok (result) && sp_pg_result_rows (result) == 1) {
        *count = strtoll (sp_pg_result_value (result, 0, 0), NULL, 10);
        *net = strtoll (sp_pg_result_value (result, 0, 1), NULL, 10);
        *bytes = strtoll (sp_pg_result_value (result, 0, 2), NULL, 10);
        rc = 0;
    }
    else
        fprintf (stderr, BENCH_NAME ": could not count the stored statements\n");
    sp_pg_result_destroy (&result);
    return rc;
}

/* ---------------------------------------------------------------- printing */

static void
s_print_rate (const char *name, size_t events, double seconds)
{
    printf ("%-64s %9zu %8.2f %10.0f\n", name, events, seconds, (double) events / seconds);
}

static void
s_print_live (const char *what, size_t events, const bench_live_result_t *result)
{
    char name[BENCH_TEXT_SIZE];
    snprintf (name, sizeof name, "%s: ingest acknowledged (%d publishers, x%d)", what,
              BENCH_LIVE_PUBLISHERS, BENCH_LIVE_BATCH);
    s_print_rate (name, events, result->ingest_s);
    snprintf (name, sizeof name, "%s: incentive-calculator applied (from first send)", what);
    s_print_rate (name, events, result->consumer_s);
    printf ("ratio %s incentive-calculator / ingest: %.1f%%%s; behind at the last "
            "acknowledgement: %" PRIu64 " events, applied %.2f s later\n",
            what, result->ingest_s / result->consumer_s * 100,
            strcmp (what, "live") == 0 ? " (target >= 60%)" : "", result->lag,
            result->consumer_s - result->ingest_s);
}

static void
s_print_latency (const s_latency_t *latency)
{
    printf ("%-64s %5zu %9.1f %9.1f %9.1f\n", latency->name, latency->runs, latency->ms[0],
            s_median (latency), latency->ms[latency->runs - 1]);
}

/* With SP_BENCH_INCENTIVE_HOLD=PATH (for profiling): writes salesctl's
   connection options (--postgres URL --redis URL) to PATH and waits,
   servers and service running and the data in place, until PATH is
   removed. Nothing without it. SP_BENCH_INCENTIVE_COMPARE: s_compare. */
static void
s_hold (const s_bench_t *bench)
{
    const char *path = getenv (BENCH_HOLD_ENV);
    if (!path || !*path)
        return;
    FILE *file = fopen (path, "w");
    if (!file) {
        fprintf (stderr, BENCH_NAME ": " BENCH_HOLD_ENV ": cannot write %s\n", path);
        return;
    }
    fprintf (file, "--postgres %s --redis %s\n", sp_harness_postgres_url (bench->harness),
             sp_harness_redis_url (bench->harness));
    fclose (file);
    fprintf (stderr, BENCH_NAME ": holding until %s is removed\n", path);
    while (access (path, F_OK) == 0)
        usleep (BENCH_HOLD_POLL_US);
}

/* With SP_BENCH_INCENTIVE_COMPARE=BUILD (another build of salesctl, a
   folder as SP_BUILD_DIR names one, relative to the sources: e.g. the
   code before a change): the whole commands of step 4 for the rep
   without deals and for rep-0000, run by that build's salesctl and by
   this one's in turn (other, own, other, own...), into latency[0..1]
   (other: without deals, rep-0000) and latency[2..3] (own), so both are
   measured in the same run and the same minutes. Every answer checked.
   Returns 0 (nothing done without the variable), or -1. */
static int
s_compare (s_bench_t *bench, const s_expected_t *expected, s_latency_t *latency, bool *compared)
{
    const char *other = getenv (BENCH_COMPARE_ENV);
    *compared = other && *other;
    if (!*compared)
        return 0;
    const char *own_setting = getenv ("SP_BUILD_DIR");
    char own[PATH_MAX];
    snprintf (own, sizeof own, "%s", own_setting ? own_setting : "");
    const char *const empty[] = {
        "statement", "--rep", BENCH_EMPTY_REP, "--period", BENCH_STATEMENT_PERIOD, "--json", NULL
    };
    const char *const full[] = {
        "statement", "--rep", BENCH_STATEMENT_REP, "--period", BENCH_STATEMENT_PERIOD,
        "--json",    NULL
    };
    s_expected_t none = { 0, 0 };
    int rc = 0;
    for (size_t index = 0; index < 4; index++)
        latency[index].runs = BENCH_COMMAND_RUNS;
    for (size_t run = 0; run < BENCH_COMMAND_RUNS && rc == 0; run++)
        for (size_t side = 0; side < 2 && rc == 0; side++) {
            setenv ("SP_BUILD_DIR", side == 0 ? other : own, 1);
            int64_t net;
            size_t lines;
            if (s_salesctl (bench, empty, &latency[side * 2].ms[run]) != 0 ||
                s_check_statement (bench->output, &none, &net, &lines) != 0 ||
                s_salesctl (bench, full, &latency[side * 2 + 1].ms[run]) != 0 ||
                s_check_statement (bench->output, expected, &net, &lines) != 0)
                rc = -1;
        }
    setenv ("SP_BUILD_DIR", own, 1);
    for (size_t index = 0; index < 4; index++)
        qsort (latency[index].ms, latency[index].runs, sizeof latency[index].ms[0],
               bench_compare_double);
    return rc;
}

/* ---------------------------------------------------------------- main */

static int
s_sizes (s_deals_t *deals, size_t *live_events)
{
    if (bench_env_count (BENCH_NAME, BENCH_REPS_ENV, BENCH_REPS, &deals->reps) != 0 ||
        bench_env_count (BENCH_NAME, BENCH_DEALS_ENV, BENCH_DEALS, &deals->close_deals) != 0 ||
        bench_env_count (BENCH_NAME, BENCH_LIVE_EVENTS_ENV, BENCH_LIVE_EVENTS, live_events) != 0 ||
        bench_env_count (BENCH_NAME, BENCH_STATEMENT_DEALS_ENV, BENCH_STATEMENT_DEALS,
                         &deals->statement_deals) != 0)
        return -1;
    if (deals->reps > BENCH_REPS) {
        fprintf (stderr, BENCH_NAME ": at most %d reps (one plan names at most that many)\n",
                 BENCH_REPS);
        return -1;
    }
    if (*live_events > deals->close_deals)
        *live_events = deals->close_deals;
    if (sp_event_time_parse (BENCH_STATEMENT_START, &deals->statement_start_ms) != 0 ||
        sp_event_time_parse (BENCH_CLOSE_START, &deals->close_start_ms) != 0)
        return -1;
    return 0;
}

int
main (void)
{
    s_bench_t bench = { .ingest.pid = -1, .calculator_pid = -1 };
    s_deals_t deals = { 0 };
    size_t live_events = 0;
    bench_redis_stats_t *live_stats = NULL, *close_stats = NULL;
    int64_t *credited = NULL;
    int rc = 1;
    if (s_sizes (&deals, &live_events) != 0)
        return 1;
    /* first: it sets where the harness finds the sources and programs */
    char program[PATH_MAX];
    bench_locate ("incentive-calculator", program, sizeof program);
    double loads[3] = { 0, 0, 0 };
    if (getloadavg (loads, 3) < 0)
        loads[0] = -1;
    bench.output = (char *) malloc (BENCH_OUTPUT_SIZE);
    credited = (int64_t *) calloc (deals.reps * 2, sizeof *credited);
    if (!bench.output || !credited) {
        fprintf (stderr, BENCH_NAME ": out of memory\n");
        goto out_free;
    }
    /* expected: [0, reps) the close quarter's credits, [reps] the statement's */
    int64_t *statement_credited = credited + deals.reps;
    for (size_t g = 0; g < deals.statement_deals; g++)
        s_credit (&deals, g, statement_credited);
    for (size_t g = deals.statement_deals; g < deals.statement_deals + deals.close_deals; g++)
        s_credit (&deals, g, credited);
    s_expected_t expected = { deals.statement_deals, s_tiers (statement_credited[0]) };
    int64_t close_reps = 0, close_tiers = 0;
    for (size_t rep = 0; rep < deals.reps; rep++) {
        close_reps += credited[rep] > 0;
        close_tiers += s_tiers (credited[rep]);
    }

    bench.harness = bench_start_servers (BENCH_NAME, BENCH_PARTITIONS, &bench.pg, &bench.redis);
    if (bench.redis) {
        bench.checkpoints = bench_checkpoints_new (BENCH_NAME, bench.redis, INCENTIVE_KEYS_SERVICE,
                                                   BENCH_PARTITIONS);
        live_stats = bench_redis_stats_new (BENCH_NAME, bench.redis);
        close_stats = bench_redis_stats_new (BENCH_NAME, bench.redis);
    }
    if (!bench.checkpoints || !live_stats || !close_stats)
        goto out_stop;
    char plan_path[PATH_MAX];
    if (s_write_plan (&bench, deals.reps, plan_path, sizeof plan_path) != 0 ||
        s_salesctl (&bench, (const char *const[]){ "load", "plans", plan_path, NULL }, NULL) != 0)
        goto out_stop;
    if (bench_live_start_ingest (bench.harness, BENCH_PARTITIONS, &bench.ingest) != 0 ||
        s_start_calculator (&bench) != 0) {
        fprintf (stderr, BENCH_NAME ": could not start activity-ingest and incentive-calculator\n");
        goto out_stop;
    }

    /* 1. The statement rep's deals. */
    uint64_t applied = 0;
    bench_live_result_t statement_run = { 0, 0, 0 };
    if (s_publish (&bench, &deals, 0, deals.statement_deals, &applied, &statement_run) != 0)
        goto out_stop;

    /* 2. Live: the first deals of the closed quarter. */
    int64_t read_back =
        sp_harness_consumer_metric (bench.calculator_http_port, BENCH_METRIC_CATCHUP);
    int64_t gaps = sp_harness_consumer_metric (bench.calculator_http_port, BENCH_METRIC_GAPS);
    bench_live_result_t live = { 0, 0, 0 };
    uint64_t reads = bench_checkpoints_reads (bench.checkpoints);
    if (bench_redis_stats_start (live_stats) != 0 ||
        s_publish (&bench, &deals, deals.statement_deals, live_events, &applied, &live) != 0 ||
        bench_redis_stats_stop (live_stats, bench_checkpoints_reads (bench.checkpoints) - reads,
                                BENCH_PARTITIONS) != 0)
        goto out_stop;
    int64_t read_back_after =
        sp_harness_consumer_metric (bench.calculator_http_port, BENCH_METRIC_CATCHUP);
    int64_t gaps_after = sp_harness_consumer_metric (bench.calculator_http_port, BENCH_METRIC_GAPS);

    /* 3. The rest of the closed quarter. */
    size_t rest = deals.close_deals - live_events;
    bench_live_result_t rest_run = { 0, 0, 0 };
    double fill_start = bench_seconds ();
    if (rest > 0 && s_publish (&bench, &deals, deals.statement_deals + live_events, rest, &applied,
                               &rest_run) != 0)
        goto out_stop;
    double fill_s = bench_seconds () - fill_start;
    int64_t keys = 0;
    double memory_mib = 0;
    if (bench_redis_size (bench.redis, &keys, &memory_mib) != 0)
        goto out_stop;

    s_hold (&bench);

    /* 4. One rep's statement of 10,000 deals (the service idle). */
    s_latency_t in_new = { "in process: incentive_query_new (plans)", BENCH_QUERY_RUNS, { 0 } };
    s_latency_t in_statement = { "in process: incentive_query_statement (rep-0000)",
                                 BENCH_QUERY_RUNS,
                                 { 0 } };
    for (size_t run = 0; run < BENCH_QUERY_RUNS; run++)
        if (s_statement_in_process (&bench, &expected, &in_new.ms[run], &in_statement.ms[run]) != 0)
            goto out_stop;
    qsort (in_new.ms, in_new.runs, sizeof in_new.ms[0], bench_compare_double);
    qsort (in_statement.ms, in_statement.runs, sizeof in_statement.ms[0], bench_compare_double);
    s_latency_t help = { "salesctl statement --help (process start)", 0, { 0 } };
    s_latency_t empty = { "salesctl statement --json, a rep without deals", 0, { 0 } };
    char full_name[BENCH_TEXT_SIZE];
    snprintf (full_name, sizeof full_name,
              "salesctl statement --json, " BENCH_STATEMENT_REP " (%zu deals)",
              deals.statement_deals);
    s_latency_t full = { full_name, 0, { 0 } };
    s_expected_t none = { 0, 0 };
    int64_t net = 0;
    size_t lines = 0;
    if (s_command (&bench, (const char *const[]){ "statement", "--help", NULL }, NULL, &help) !=
            0 ||
        s_command (&bench,
                   (const char *const[]){ "statement", "--rep", BENCH_EMPTY_REP, "--period",
                                          BENCH_STATEMENT_PERIOD, "--json", NULL },
                   &none, &empty) != 0 ||
        s_command (&bench,
                   (const char *const[]){ "statement", "--rep", BENCH_STATEMENT_REP, "--period",
                                          BENCH_STATEMENT_PERIOD, "--json", NULL },
                   &expected, &full) != 0 ||
        s_check_statement (bench.output, &expected, &net, &lines) != 0)
        goto out_stop;
    size_t statement_bytes = strlen (bench.output);
    bool compared = false;
    s_latency_t versus[4] = {
        { "compare: other build's salesctl, a rep without deals", 0, { 0 } },
        { "compare: other build's salesctl, rep-0000", 0, { 0 } },
        { "compare: this build's salesctl, a rep without deals", 0, { 0 } },
        { "compare: this build's salesctl, rep-0000", 0, { 0 } },
    };
    if (s_compare (&bench, &expected, versus, &compared) != 0)
        goto out_stop;

    /* 5. The close: computed in process, then the real close. */
    char error[INCENTIVE_CLOSE_ERROR_SIZE];
    double prepare_start = bench_seconds ();
    incentive_query_t *query =
        incentive_query_new (bench.redis, bench.pg, BENCH_PARTITIONS, error, sizeof error);
    incentive_close_t *prepared =
        query ? incentive_close_prepare (query, BENCH_CLOSE_PERIOD, error, sizeof error) : NULL;
    double prepare_s = bench_seconds () - prepare_start;
    size_t prepared_count = prepared ? incentive_close_count (prepared) : 0;
    incentive_close_destroy (&prepared);
    incentive_query_destroy (&query);
    if (prepared_count == 0 && close_reps > 0) {
        fprintf (stderr, BENCH_NAME ": in-process close: %s\n", error);
        goto out_stop;
    }
    double close_ms = 0;
    reads = bench_checkpoints_reads (bench.checkpoints);
    if (bench_redis_stats_start (close_stats) != 0 ||
        s_salesctl (&bench,
                    (const char *const[]){ "close-period", "--period", BENCH_CLOSE_PERIOD,
                                           "--closed-by", BENCH_NAME, "--json", NULL },
                    &close_ms) != 0 ||
        bench_redis_stats_stop (close_stats, bench_checkpoints_reads (bench.checkpoints) - reads,
                                BENCH_PARTITIONS) != 0)
        goto out_stop;
    json_t *closed = json_loads (bench.output, 0, NULL);
    int64_t close_said = (int64_t) json_integer_value (json_object_get (closed, "statements"));
    json_decref (closed);
    int64_t stored = 0, stored_net = 0, stored_bytes = 0;
    if (s_stored (&bench, &stored, &stored_net, &stored_bytes) != 0)
        goto out_stop;
    if (stored != close_reps || close_said != close_reps ||
        (int64_t) prepared_count != close_reps || stored_net < close_tiers ||
        stored_net > close_tiers + close_reps * BENCH_SPIFF_CAP_CENTS) {
        fprintf (stderr,
                 BENCH_NAME ": close: %" PRId64 " statements stored (salesctl said %" PRId64
                            ", %zu prepared), net %" PRId64 "; expected %" PRId64
                            " with net %" PRId64 " plus at most the SPIFF's cap each\n",
                 stored, close_said, prepared_count, stored_net, close_reps, close_tiers);
        goto out_stop;
    }
    if (read_back < 0 || gaps < 0 || read_back_after < 0 || gaps_after < 0) {
        fprintf (stderr, BENCH_NAME ": could not read incentive-calculator's /metrics\n");
        goto out_stop;
    }
    int calculator_status = bench_stop (&bench.calculator_pid, BENCH_STOP_TIMEOUT_MS);
    int ingest_status = bench_stop (&bench.ingest.pid, BENCH_STOP_TIMEOUT_MS);
    if (calculator_status != 0 || ingest_status != 0) {
        fprintf (stderr, BENCH_NAME ": exit status incentive-calculator %d, activity-ingest %d\n",
                 calculator_status, ingest_status);
        goto out_stop;
    }

    printf (BENCH_NAME ": incentive-calculator (plan ae-bench: %zu reps, quarterly, marginal tiers "
                       "and a SPIFF; USD, UTC), %d partitions, %ld cores shared by every process, "
                       "load average %.2f at the start\n",
            deals.reps, BENCH_PARTITIONS, sysconf (_SC_NPROCESSORS_ONLN), loads[0]);
    printf ("deals: %zu of " BENCH_STATEMENT_REP " in " BENCH_STATEMENT_PERIOD
            ", %zu of %zu reps in " BENCH_CLOSE_PERIOD " (live run %zu), one in %d split 60/40, "
            "all through activity-ingest\n",
            deals.statement_deals, deals.close_deals, deals.reps, live_events, BENCH_SPLIT_EVERY);
    printf ("%-64s %9s %8s %10s\n", "measurement", "events", "seconds", "events/s");
    s_print_live ("statement deals", deals.statement_deals, &statement_run);
    s_print_live ("live", live_events, &live);
    printf ("live run: %" PRId64 " events read back from the log, %" PRId64
            " gaps seen on the bus\n",
            read_back_after - read_back, gaps_after - gaps);
    if (rest > 0) {
        s_print_live ("rest of the quarter", rest, &rest_run);
        printf ("rest of the quarter published and applied in %.1f s\n", fill_s);
    }
    printf ("redis after every deal: %" PRId64 " keys, %.0f MiB used\n", keys, memory_mib);
    printf ("%-64s %5s %9s %9s %9s\n", "statement of " BENCH_STATEMENT_PERIOD ", ms", "runs", "min",
            "median", "max");
    s_print_latency (&in_new);
    s_print_latency (&in_statement);
    s_print_latency (&help);
    s_print_latency (&empty);
    s_print_latency (&full);
    printf ("statement of rep-0000: %zu lines, %.1f MiB of JSON, net payout %.2f USD; median "
            "whole command - rep without deals: %.1f ms (target <= 50 ms)\n",
            lines, (double) statement_bytes / BENCH_BYTES_PER_MIB, (double) net / BENCH_PERCENT,
            s_median (&full) - s_median (&empty));
    if (compared) {
        for (size_t index = 0; index < 4; index++)
            s_print_latency (&versus[index]);
        double other_minus = s_median (&versus[1]) - s_median (&versus[0]);
        double own_minus = s_median (&versus[3]) - s_median (&versus[2]);
        printf ("compare (" BENCH_COMPARE_ENV "=%s, run in turn): whole command - rep without "
                "deals, medians: other %.1f ms, this %.1f ms, this / other %.2f\n",
                getenv (BENCH_COMPARE_ENV), other_minus, own_minus,
                other_minus > 0 ? own_minus / other_minus : 0.0);
    }
    printf ("close of " BENCH_CLOSE_PERIOD ": every statement computed in process in %.2f s; "
            "salesctl close-period %.2f s: %" PRId64 " statements stored, %.1f MiB, net payouts "
            "%.2f USD\n",
            prepare_s, close_ms / BENCH_MS_PER_S, stored,
            (double) stored_bytes / BENCH_BYTES_PER_MIB, (double) stored_net / BENCH_PERCENT);
    bench_redis_stats_print (live_stats, "live", live_events);
    bench_redis_stats_print (close_stats, "close-period, per statement", (uint64_t) stored);
    printf ("verified: rep-0000's revenue lines sum to the tiers on its credits (%.2f USD); the "
            "close stored one statement per rep credited, net payouts >= the tiers (%.2f USD)\n",
            (double) expected.revenue / BENCH_PERCENT, (double) close_tiers / BENCH_PERCENT);
    fflush (stdout);
    rc = 0;

out_stop:
    if (rc != 0 && bench.calculator_log[0])
        bench_show_log (BENCH_NAME, "incentive-calculator", bench.calculator_log);
    if (rc != 0 && bench.ingest.log[0])
        bench_show_log (BENCH_NAME, "activity-ingest", bench.ingest.log);
    bench_stop (&bench.calculator_pid, BENCH_STOP_TIMEOUT_MS);
    bench_stop (&bench.ingest.pid, BENCH_STOP_TIMEOUT_MS);
    bench_redis_stats_destroy (&live_stats);
    bench_redis_stats_destroy (&close_stats);
    bench_checkpoints_destroy (&bench.checkpoints);
    sp_redis_destroy (&bench.redis);
    sp_pg_destroy (&bench.pg);
    sp_harness_destroy (&bench.harness);
out_free:
    free (credited);
    free (bench.output);
    return rc;
}
