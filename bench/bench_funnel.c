/*  bench_funnel - funnel-tracker's applied events/s on a rebuild and live,
    how long a company-wide funnel query takes over a million
    opportunities, what it costs in Redis per event and how long an
    acknowledged event takes to become visible at an offered rate.

    Both shipped funnels are loaded with `salesctl load funnel` before
    funnel-tracker starts (s_funnels): default (lead_created ->
    visit_completed -> demo -> quote_sent -> deal_won / deal_lost, the
    text of the built-in default) and crm (lead_created -> stage_changed
    to "Engaging" -> deal_won / deal_lost), which counts the lead_created,
    deal_won and deal_lost of the benchmark a second time. The events are
    opportunities of the default funnel, in a fixed mix: every opportunity
    is a lead with an estimated value; by opportunity number modulo 20, 12
    of 20 (60 %) get a visit, 8 (40 %) a demo, 5 (25 %) a quote, 2 (10 %) are won with
    an amount and 2 (10 %) lost. Leads are spread evenly over 2025 (UTC),
    each step follows the previous by some days (a hash of the number),
    and an opportunity belongs to one of 3 regions x 2 teams x 10 reps and
    to one of BENCH_CUSTOMERS customers, so every partition of 16 gets
    events; all its events carry its customer_id, so they share one
    partition. The log interleaves the opportunities as a CRM feed would:
    today's leads, the visits of leads of some days ago, ... (a merge of
    the five steps' streams, each behind the leads by a fixed number of
    days).

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
#define BENCH_CUSTOMERS 50000                    /* distinct customer_id values */
#define BENCH_REGIONS 3                          /* regions ... */
#define BENCH_TEAMS_PER_REGION 2                 /* ... teams in each ... */
#define BENCH_REPS_PER_TEAM 10                   /* ... and reps in each team */
#define BENCH_MIX 20                             /* the mix repeats every this many opportunities */
#define BENCH_MIX_VISIT 12                       /* number % BENCH_MIX below this: a visit (60 %) */
#define BENCH_MIX_DEMO 8                         /* ... a demo (40 %) */
#define BENCH_MIX_QUOTE 5                        /* ... a quote (25 %) */
#define BENCH_MIX_WON 2                          /* ... won (10 %); then up to ... */
#define BENCH_MIX_LOST 4                         /* ... this, lost (10 %) */
#define BENCH_YEAR_START INT64_C (1735689600000) /* 2025-01-01T00:00:00Z, ms */
#define BENCH_DAYS_PER_YEAR 365
#define BENCH_DAY_MS INT64_C (86400000)
#define BENCH_QUARTER "2025-Q2"     /* the quarter queried */
#define BENCH_QUARTER_FIRST_MONTH 3 /* its first month, 0-based (April) */
#define BENCH_MONTHS_PER_QUARTER 3
#define BENCH_YEAR_BASE 1900 /* struct tm's tm_year origin */
#define BENCH_YEAR 2025
#define BENCH_VALUE_MIN 100000       /* estimated value: 1,000.00 USD ... */
#define BENCH_VALUE_SPAN 4900000     /* ... up to 50,000.00 USD */
#define BENCH_WON_EXTRA_SPAN 1000000 /* won amount: value + up to 10,000.00 USD */
#define BENCH_VISIT_MINUTES 90       /* visit duration, minutes (1..this) */
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

/* The steps of an opportunity, in funnel order; the outcome is won or
   lost by the mix. */
typedef enum {
    S_STEP_LEAD = 0,
    S_STEP_VISIT = 1,
    S_STEP_DEMO = 2,
    S_STEP_QUOTE = 3,
    S_STEP_OUTCOME = 4,
} s_step_t;
#define S_STEP_COUNT 5

/* Days each step's stream runs behind the leads in the log (about the
   mean delay of s_occurred_at). */
static const size_t s_stream_days[S_STEP_COUNT] = { 0, 2, 5, 10, 25 };

/* The shipped funnels, loaded before funnel-tracker starts (as `make up`
   seeds them). Both count the benchmark's lead_created (step 1),
   deal_won and deal_lost; crm's other step (stage_changed to "Engaging")
   matches none of its events, default's visit, demo and quote steps do. */
static const struct {
    const char *name; /* the funnel's name */
    const char *file; /* its definition, from the source tree */
} s_funnels[] = {
    { "default", "deploy/funnels/default.json" },
    { "crm", "deploy/demo/crm-funnel.json" },
};
#define BENCH_FUNNEL_COUNT (sizeof s_funnels / sizeof s_funnels[0])

/* One event of the plan. */
typedef struct {
    uint32_t opportunity; /* opportunity number */
    uint8_t step;         /* s_step_t */
} s_planned_t;

/* Events of a run, in log (or publishing) order, and what they add to
   the company funnel. */
typedef struct {
    size_t base;            /* opportunities of the rebuilt log: leads cycle over 2025 by it */
    size_t count;           /* events */
    size_t room;            /* allocated entries */
    s_planned_t *events;    /* [count] */
    uint64_t leads;         /* lead_created events (= opportunities that reach step 1) */
    uint64_t won;           /* deal_won events */
    uint64_t lost;          /* deal_lost events */
    uint64_t quarter_leads; /* leads in BENCH_QUARTER */
} s_plan_t;

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

/* SplitMix64: the per-opportunity variation (delays, amounts, owner). */
static uint64_t
s_hash (uint64_t value)
{
    value += UINT64_C (0x9e3779b97f4a7c15);
    value = (value ^ (value >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
    value = (value ^ (value >> 27)) * UINT64_C (0x94d049bb133111eb);
    return value ^ (value >> 31);
}

/* Whether opportunity number has step (the mix). */
static bool
s_has_step (size_t opportunity, s_step_t step)
{
    size_t slot = opportunity % BENCH_MIX;
    switch (step) {
        case S_STEP_LEAD:
            return true;
        case S_STEP_VISIT:
            return slot < BENCH_MIX_VISIT;
        case S_STEP_DEMO:
            return slot < BENCH_MIX_DEMO;
        case S_STEP_QUOTE:
            return slot < BENCH_MIX_QUOTE;
        case S_STEP_OUTCOME:
            return slot < BENCH_MIX_LOST;
    }
    return false;
}

static bool
s_is_won (size_t opportunity)
{
    return opportunity % BENCH_MIX < BENCH_MIX_WON;
}

/* When the opportunity's lead was created: evenly over 2025 by its
   number modulo base. */
static int64_t
s_lead_at (size_t opportunity, size_t base)
{
    int64_t year_ms = BENCH_DAYS_PER_YEAR * BENCH_DAY_MS;
    return BENCH_YEAR_START + (int64_t) (opportunity % base) * (year_ms / (int64_t) base);
}

/* When step happened: each step some days after the previous one
   (whether or not the opportunity had that one). */
static int64_t
s_occurred_at (size_t opportunity, s_step_t step, size_t base)
{
    /* step k waits at least minimum[k] days plus up to spread[k] more */
    static const int64_t minimum[S_STEP_COUNT] = { 0, 1, 1, 2, 3 };
    static const int64_t spread[S_STEP_COUNT] = { 0, 2, 3, 5, 20 };
    uint64_t hash = s_hash (opportunity);
    int64_t at = s_lead_at (opportunity, base);
    for (size_t k = 1; k <= (size_t) step; k++) {
        uint64_t part = hash >> (8 * k);
        at += minimum[k] * BENCH_DAY_MS + (int64_t) (part % (uint64_t) (spread[k] * BENCH_DAY_MS));
    }
    return at;
}

/* Estimated value of the opportunity, minor units. */
static int64_t
s_value (size_t opportunity)
{
    return BENCH_VALUE_MIN + (int64_t) ((s_hash (opportunity) >> 40) % BENCH_VALUE_SPAN);
}

/* True when the lead of opportunity falls in BENCH_QUARTER (UTC). */
static bool
s_in_quarter (size_t opportunity, size_t base)
{
    time_t seconds = (time_t) (s_lead_at (opportunity, base) / (int64_t) BENCH_MS_PER_S);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    return tm.tm_year + BENCH_YEAR_BASE == BENCH_YEAR && tm.tm_mon >= BENCH_QUARTER_FIRST_MONTH &&
           tm.tm_mon < BENCH_QUARTER_FIRST_MONTH + BENCH_MONTHS_PER_QUARTER;
}

/* Appends one event to the plan. Returns 0, or -1 when out of memory. */
static int
s_plan_add (s_plan_t *plan, size_t opportunity, s_step_t step)
{
    if (plan->count == plan->room) {
        size_t room = plan->room ? plan->room * 2 : 1024;
        s_planned_t *grown = (s_planned_t *) realloc (plan->events, room * sizeof *grown);
        if (!grown)
            return -1;
        plan->events = grown;
        plan->room = room;
    }
    plan->events[plan->count++] = (s_planned_t){ (uint32_t) opportunity, (uint8_t) step };
    if (step == S_STEP_LEAD) {
        plan->leads++;
        plan->quarter_leads += s_in_quarter (opportunity, plan->base);
    }
    else if (step == S_STEP_OUTCOME && s_is_won (opportunity))
        plan->won++;
    else if (step == S_STEP_OUTCOME)
        plan->lost++;
    return 0;
}

/* Next opportunity from from on that has step. */
static size_t
s_next_with (size_t from, s_step_t step)
{
    while (!s_has_step (from, step))
        from++;
    return from;
}

/* Plans the events of opportunities first..end-1 in log order, stopping
   after max_events: the merge of the five steps' streams, stream k
   s_stream_days[k] days (in opportunities) behind the leads. Returns 0,
   or -1 when out of memory. */
static int
s_plan_build (s_plan_t *plan, size_t base, size_t first, size_t end, size_t max_events)
{
    size_t per_day = base / BENCH_DAYS_PER_YEAR > 0 ? base / BENCH_DAYS_PER_YEAR : 1;
    size_t next[S_STEP_COUNT];
    *plan = (s_plan_t){ .base = base };
    for (size_t step = 0; step < S_STEP_COUNT; step++)
        next[step] = s_next_with (first, (s_step_t) step);
    while (plan->count < max_events) {
        size_t best = S_STEP_COUNT;
        for (size_t step = 0; step < S_STEP_COUNT; step++)
            if (next[step] < end &&
                (best == S_STEP_COUNT || next[step] + s_stream_days[step] * per_day <
                                             next[best] + s_stream_days[best] * per_day))
                best = step;
        if (best == S_STEP_COUNT)
            break;
        if (s_plan_add (plan, next[best], (s_step_t) best) != 0)
            return -1;
        next[best] = s_next_with (next[best] + 1, (s_step_t) best);
    }
    return 0;
}

static void
s_plan_clear (s_plan_t *plan)
{
    free (plan->events);
    *plan = (s_plan_t){ 0 };
}

/* Replaces *slot by a Money of minor units of BENCH_CURRENCY. */
static int
s_set_money (Salespulse__Money **slot, int64_t minor)
{
    Salespulse__Money *money = (Salespulse__Money *) malloc (sizeof *money);
    if (!money)
        return -1;
    salespulse__money__init (money);
    if (sp_event_set_string (&money->currency, BENCH_CURRENCY, strlen (BENCH_CURRENCY)) != 0) {
        free (money);
        return -1;
    }
    money->amount_minor = minor;
    *slot = money;
    return 0;
}

/* The event of step of opportunity: names, times and amounts as the file
   comment says. NULL when out of memory. */
static sp_event_t *
s_event_new (size_t opportunity, s_step_t step, size_t base)
{
    static const Salespulse__EventType types[S_STEP_COUNT] = {
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON,
    };
    Salespulse__EventType type = step == S_STEP_OUTCOME && !s_is_won (opportunity)
                                     ? SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST
                                     : types[step];
    uint64_t hash = s_hash (opportunity);
    size_t region = (size_t) (hash % BENCH_REGIONS);
    size_t team = region * BENCH_TEAMS_PER_REGION + (size_t) ((hash >> 4) % BENCH_TEAMS_PER_REGION);
    size_t rep = team * BENCH_REPS_PER_TEAM + (size_t) ((hash >> 12) % BENCH_REPS_PER_TEAM);
    int64_t value = s_value (opportunity);
    sp_event_t *event = sp_event_new (type);
    if (!event)
        return NULL;
    if (bench_set_text (&event->event_id, "bench:funnel:%zu", opportunity * S_STEP_COUNT + step) !=
            0 ||
        sp_event_set_string (&event->source, "bench", strlen ("bench")) != 0 ||
        bench_set_text (&event->region_id, "region-%zu", region) != 0 ||
        bench_set_text (&event->team_id, "team-%zu", team) != 0 ||
        bench_set_text (&event->rep_id, "rep-%zu", rep) != 0 ||
        bench_set_text (&event->customer_id, "customer-%zu", opportunity % BENCH_CUSTOMERS) != 0 ||
        bench_set_text (&event->opportunity_id, "opp-%zu", opportunity) != 0)
        goto out_destroy;
    event->occurred_at = s_occurred_at (opportunity, step, base);
    int rc = 0;
    if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED)
        rc = s_set_money (&event->lead_created->estimated_value, value);
    else if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED)
        event->visit_completed->duration_minutes = (uint32_t) (hash % BENCH_VISIT_MINUTES) + 1;
    else if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT)
        rc = s_set_money (&event->quote_sent->amount, value);
    else if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON)
        rc = s_set_money (&event->deal_won->amount,
                          value + (int64_t) ((hash >> 20) % BENCH_WON_EXTRA_SPAN));
    else if (type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST)
        rc = sp_event_set_string (&event->deal_lost->reason, "price", strlen ("price"));
    if (rc != 0)
        goto out_destroy;
    return event;

out_destroy:
    sp_event_destroy (&event);
    return NULL;
}

/* sp_harness_event_fn of a plan (arg): its event index. Read only, so the
   live publishers may call it at once. */
static sp_event_t *
s_plan_event (size_t index, void *arg)
{
    const s_plan_t *plan = (const s_plan_t *) arg;
    assert (index < plan->count);
    const s_planned_t *planned = &plan->events[index];
    return s_event_new (planned->opportunity, (s_step_t) planned->step, plan->base);
}

/* Adds the integer in the string reply element (nil counts 0) to *sum. */
static void
s_add_field (const sp_redis_reply_t *element, uint64_t *sum)
{
    if (sp_redis_reply_type (element) == SP_REDIS_REPLY_STRING)
        *sum += strtoull (sp_redis_reply_string (element, NULL), NULL, 10);
}

/* The company funnel of funnel as funnel-tracker wrote it: reached:1,
   won and lost of m:<funnel>:company:<month>, summed over every
   partition and every month of its months set. Returns 0, or -1 when
   Redis failed. */
static int
s_company_counts (s_bench_t *bench, const char *funnel, uint64_t *reached, uint64_t *won,
                  uint64_t *lost)
{
    *reached = *won = *lost = 0;
    for (uint32_t partition = 0; partition < BENCH_PARTITIONS; partition++) {
        char months_key[FUNNEL_KEYS_SIZE];
        funnel_keys_months (months_key, sizeof months_key, partition, funnel);
        sp_redis_reply_t *months =
            sp_harness_redis_run (bench->redis, 2, (const char *const[]){ "SMEMBERS", months_key });
        if (!months)
            return -1;
        for (size_t index = 0; index < sp_redis_reply_size (months); index++) {
            const char *month =
                sp_redis_reply_string (sp_redis_reply_element (months, index), NULL);
            char key[FUNNEL_KEYS_SIZE], first[FUNNEL_KEYS_FIELD_SIZE];
            funnel_keys_month (key, sizeof key, partition, funnel, "company", month ? month : "");
            funnel_keys_field (first, sizeof first, "reached", 1);
            const char *const argv[] = { "HMGET", key, first, "won", "lost" };
            sp_redis_reply_t *fields = sp_harness_redis_run (bench->redis, 5, argv);
            if (!fields) {
                sp_redis_reply_destroy (&months);
                return -1;
            }
            s_add_field (sp_redis_reply_element (fields, 0), reached);
            s_add_field (sp_redis_reply_element (fields, 1), won);
            s_add_field (sp_redis_reply_element (fields, 2), lost);
            sp_redis_reply_destroy (&fields);
        }
        sp_redis_reply_destroy (&months);
    }
    return 0;
}

/* Checks the company funnel of every loaded funnel in Redis against
   leads, won and lost written in total (both start at lead_created and
   end in deal_won / deal_lost). Returns 0 when they match. */
static int
s_verify (s_bench_t *bench, uint64_t leads, uint64_t won, uint64_t lost)
{
    int rc = 0;
    for (size_t index = 0; index < BENCH_FUNNEL_COUNT; index++) {
        uint64_t reached = 0, won_seen = 0, lost_seen = 0;
        if (s_company_counts (bench, s_funnels[index].name, &reached, &won_seen, &lost_seen) != 0)
            return -1;
        if (reached == leads && won_seen == won && lost_seen == lost)
            continue;
        fprintf (stderr,
                 BENCH_NAME ": company funnel \"%s\" reached step 1 %" PRIu64 ", won %" PRIu64
                            ", lost %" PRIu64 "; written %" PRIu64 ", %" PRIu64 ", %" PRIu64 "\n",
                 s_funnels[index].name, reached, won_seen, lost_seen, leads, won, lost);
        rc = -1;
    }
    return rc;
}

/* Loads the shipped funnels with `salesctl load funnel` (as `make up`
   seeds them), before funnel-tracker starts. Returns 0, or -1 (printed). */
static int
s_load_funnels (s_bench_t *bench)
{
    const char *source = getenv ("SP_SOURCE_DIR");
    char errors[PATH_MAX], output[BENCH_TEXT_SIZE * 4];
    snprintf (errors, sizeof errors, "%s/salesctl-load.err", sp_harness_dir (bench->harness));
    for (size_t index = 0; index < BENCH_FUNNEL_COUNT; index++) {
        char path[PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", source ? source : ".", s_funnels[index].file);
        const char *const arguments[] = { "load", "funnel", path, NULL };
        int status = sp_harness_salesctl (bench->harness, arguments, errors, output, sizeof output,
                                          BENCH_COMMAND_TIMEOUT_MS);
        if (status != 0) {
            fprintf (stderr, BENCH_NAME ": salesctl load funnel \"%s\" exited %d\n", path, status);
            bench_show_log (BENCH_NAME, "salesctl stderr", errors);
            return -1;
        }
    }
    return 0;
}

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

static int
s_compare_double (const void *left, const void *right)
{
    double a = *(const double *) left, b = *(const double *) right;
    return (a > b) - (a < b);
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
    qsort (latency->ms, latency->runs, sizeof latency->ms[0], s_compare_double);
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
    qsort (ms, BENCH_COMMAND_RUNS, sizeof ms[0], s_compare_double);
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
    s_plan_t log = { 0 }, live = { 0 }, paced_plan = { 0 };
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
    if (s_plan_build (&log, opportunities, 0, opportunities, SIZE_MAX) != 0 ||
        s_plan_build (&live, opportunities, opportunities, opportunities + live_events,
                      live_events) != 0 ||
        s_plan_build (&paced_plan, opportunities, opportunities + live_events,
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
    if (bench_log_load (BENCH_NAME, bench.pg, BENCH_PARTITIONS, log.count, s_plan_event, &log) != 0)
        goto out_stop;
    double load_s = bench_seconds () - load_start;
    if (s_load_funnels (&bench) != 0)
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
        s_verify (&bench, log.leads, log.won, log.lost) != 0)
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
        .make_event = s_plan_event,
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
        s_verify (&bench, log.leads + live.leads, log.won + live.won, log.lost + live.lost) != 0)
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
        .make_event = s_plan_event,
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
        s_verify (&bench, log.leads + live.leads + paced_plan.leads,
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
    s_plan_clear (&log);
    s_plan_clear (&live);
    s_plan_clear (&paced_plan);
    return rc;
}
