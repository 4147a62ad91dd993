/*  bench_kpi - kpi-evaluator's applied events/s on a rebuild and live,
    against the counting consumer's catch-up of the same log in the same
    run, what it costs in Redis per event, and how long `salesctl
    scorecard` and `salesctl kpi` take over a year of a 1,000-rep company.

    The company: BENCH_REGIONS regions ("region-R") of
    BENCH_TEAMS_PER_REGION teams ("team-TT") of BENCH_REPS_PER_TEAM reps
    ("rep-RRRR"), an org document loaded with `salesctl load org` before
    kpi-evaluator starts; every rep joins its team on 2024-01-01 and one
    in BENCH_MOVER_EVERY moves to a team of another region on 2025-07-01
    (two memberships). BENCH_CUSTOMERS customers in a `customers`
    document, one in BENCH_TIER_A_EVERY of tier A, each owned by a rep.
    Targets (a `targets` document): revenue and deals_won for the company
    for 2025, spread evenly over the quarters (revenue with carried
    shortfall) and decomposed evenly over the regions, each region's the
    same over its teams, each team's over its reps, sized from the log so
    attainments are near 100 %; a company win_rate for 2025 that every
    scope inherits. A `scorecard` document scores every role with
    revenue, deals_won, win_rate, visit_plan_execution and
    high_value_visit_share (the last two with the catalogue's default
    targets).

    The events: a cycle of BENCH_CYCLE events, numbered k, made of two
    opportunities (2k and 2k+1, each of one customer, all its events in
    that customer's partition, credited to the customer's owner): two
    lead_created, a quote_sent and a deal_won (USD amount and margin) of
    2k, a demo and a deal_lost of 2k+1; two visit_planned, each completed
    on its planned day by the same rep at the same customer, and one
    visit without a plan; six calls; a survey (NPS on even cycles, CSAT on
    odd ones; one in three without rep_id, credited to the customer's
    owner); an order_placed (one in BENCH_EUR_ORDER_EVERY in EUR, counted
    apart) and its payment_received (both without rep_id: the owner).
    Calls, visits without a plan and surveys go to customers of their own
    (a hash of the event number), so every partition of 16 gets a fair
    share. Events carry rep_id only, never team_id or region_id: the org
    places them. Cycles are spread over the first BENCH_LEAD_DAYS days of
    2025 (UTC) by their number modulo the log's cycles, later steps
    follow by days, all inside 2025.

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
         BENCH_QUARTER as of BENCH_AS_OF: `salesctl scorecard --scope
         company` (5 regions), `--scope region:region-0` (10 teams),
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
#define BENCH_REGIONS 5
#define BENCH_TEAMS_PER_REGION 10
#define BENCH_REPS_PER_TEAM 20
#define BENCH_TEAMS (BENCH_REGIONS * BENCH_TEAMS_PER_REGION)
#define BENCH_REPS (BENCH_TEAMS * BENCH_REPS_PER_TEAM)
#define BENCH_MOVER_EVERY 50 /* rep number % this == BENCH_MOVER_SLOT moves team */
#define BENCH_MOVER_SLOT 7
#define BENCH_CUSTOMERS                                                                            \
    16000 /* distinct customer_id values (the customers document stays under salesctl load's 1     \
             MiB) */
#define BENCH_TIER_A_EVERY 5     /* customer number % this == 0: tier A */
#define BENCH_EUR_ORDER_EVERY 50 /* cycle % this == 0: the order is in EUR */
#define BENCH_CYCLE 20           /* events per cycle (see s_slot_type) */
#define BENCH_CALLS_FIRST 11     /* slots 11..16 are calls */
#define BENCH_CALLS_LAST 16
#define BENCH_YEAR_START INT64_C (1735689600000) /* 2025-01-01T00:00:00Z, ms */
#define BENCH_Q2_START INT64_C (1743465600000)   /* 2025-04-01T00:00:00Z */
#define BENCH_Q2_END INT64_C (1751328000000)     /* 2025-07-01T00:00:00Z */
#define BENCH_LEAD_DAYS 330                      /* cycles start over these first days of 2025 */
#define BENCH_DAY_MS INT64_C (86400000)
#define BENCH_HOUR_MS INT64_C (3600000)
#define BENCH_YEAR "2025"
#define BENCH_QUARTER "2025-Q2"   /* the period queried */
#define BENCH_AS_OF "2025-12-31"  /* ... as of this day (the quarter complete) */
#define BENCH_AMOUNT_MIN 100000   /* won amount: 1,000.00 USD ... */
#define BENCH_AMOUNT_SPAN 4900000 /* ... up to 50,000.00 USD */
#define BENCH_MARGIN_PERCENT_MIN 15
#define BENCH_MARGIN_PERCENT_SPAN 25
#define BENCH_ORDER_MIN 5000     /* order amount: 50.00 ... */
#define BENCH_ORDER_SPAN 2000000 /* ... up to 20,050.00 */
#define BENCH_VISIT_MINUTES_MIN 15
#define BENCH_VISIT_MINUTES_SPAN 106 /* 15..120 minutes */
#define BENCH_CALL_SECONDS_SPAN 1800
#define BENCH_NPS_VALUES 11
#define BENCH_CSAT_VALUES 5
#define BENCH_NPS_PROMOTER 9
#define BENCH_NPS_DETRACTOR 6
#define BENCH_SURVEY_NO_REP_EVERY 3
#define BENCH_WIN_RATE_TARGET 0.45
#define BENCH_WIN_RATE_FLOOR 0.4
#define BENCH_QUERY_RUNS 5   /* in-process runs of the every-rep read */
#define BENCH_COMMAND_RUNS 5 /* runs of each salesctl command */
#define BENCH_MS_PER_S 1000.0
#define BENCH_STOP_TIMEOUT_MS 30000
#define BENCH_START_TIMEOUT_MS 30000    /* counting-consumer's /metrics */
#define BENCH_COMMAND_TIMEOUT_MS 120000 /* one salesctl run */
#define BENCH_OUTPUT_SIZE (256 * 1024)  /* salesctl's JSON */
#define BENCH_COMPARE_SIZE 512
#define BENCH_METRIC_CATCHUP "salespulse_consumer_catchup_events_total"
#define BENCH_METRIC_GAPS "salespulse_consumer_gaps_total"
#define BENCH_TEXT_SIZE 128
#define BENCH_CURRENCY "USD"
#define BENCH_OTHER_CURRENCY "EUR"
#define BENCH_CENTS 100
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

/* A run of events: cycles first_cycle.., the log's cycles set the time. */
typedef struct {
    size_t first_cycle; /* global number of the run's first cycle */
    size_t base;        /* cycles of the log: a cycle's days repeat by it */
} s_run_t;

/* One event, before it is built: what the handler will see. */
typedef struct {
    Salespulse__EventType type;
    size_t rep;           /* rep number credited (the customer's owner) */
    bool has_rep;         /* the event carries rep_id */
    size_t customer;      /* customer number */
    size_t cycle;         /* its cycle */
    size_t opportunity;   /* opportunity number (lead, quote, demo, won, lost) */
    bool has_opportunity; /* the event carries opportunity_id */
    int64_t at;           /* occurred_at, UTC ms */
    int64_t planned_for;
    int64_t amount; /* money, minor units */
    int64_t margin;
    bool other_currency; /* amount in BENCH_OTHER_CURRENCY */
    uint32_t number;     /* visit minutes, call seconds, NPS or CSAT */
} s_event_t;

/* What a run adds to the company's measures of 2025. */
typedef struct {
    int64_t sums[KPI_MEASURE_COUNT];
    int64_t quarter_won;    /* deals won in BENCH_QUARTER */
    uint8_t *won_customers; /* [BENCH_CUSTOMERS]: has a deal_won (shared by the tallies) */
} s_tally_t;

/* Latencies of one measurement, ms. */
typedef struct {
    const char *name;
    size_t runs;
    double ms[BENCH_COMMAND_RUNS > BENCH_QUERY_RUNS ? BENCH_COMMAND_RUNS : BENCH_QUERY_RUNS];
} s_latency_t;

/* SplitMix64: the per-event variation. */
static uint64_t
s_hash (uint64_t value)
{
    value += UINT64_C (0x9e3779b97f4a7c15);
    value = (value ^ (value >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
    value = (value ^ (value >> 27)) * UINT64_C (0x94d049bb133111eb);
    return value ^ (value >> 31);
}

/* The rep owning a customer; the team and region of a rep (its first
   membership) and the team a mover goes to on 2025-07-01. */
static size_t
s_owner (size_t customer)
{
    return (size_t) (s_hash (customer ^ UINT64_C (0x5eed)) % BENCH_REPS);
}

static size_t
s_team_of (size_t rep)
{
    return rep / BENCH_REPS_PER_TEAM;
}

static bool
s_is_mover (size_t rep)
{
    return rep % BENCH_MOVER_EVERY == BENCH_MOVER_SLOT;
}

static size_t
s_moved_team (size_t rep)
{
    return (s_team_of (rep) + BENCH_TEAMS_PER_REGION) % BENCH_TEAMS;
}

static size_t
s_customer_of (size_t opportunity)
{
    return (size_t) (s_hash (opportunity) % BENCH_CUSTOMERS);
}

/* Slot of a cycle -> event type. */
static Salespulse__EventType
s_slot_type (size_t slot)
{
    static const Salespulse__EventType types[BENCH_CYCLE] = {
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED,    /* 0: lead of 2k */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED,    /* 1: lead of 2k+1 */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT,      /* 2: quote of 2k */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO,            /* 3: demo of 2k+1 */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON,        /* 4: 2k won */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST,       /* 5: 2k+1 lost */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_PLANNED,   /* 6: at 2k's customer */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED, /* 7: ... done as planned */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_PLANNED,   /* 8: at 2k+1's customer */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED, /* 9: ... done as planned */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED, /* 10: a visit without a plan */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL,            /* 11..16: calls */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL,
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY,           /* 17 */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED,     /* 18: 2k's customer */
        SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED, /* 19: ... pays it */
    };
    return types[slot];
}

/* Event index of a run (index 0 is the first event of cycle
   run->first_cycle), described. */
static void
s_describe (const s_run_t *run, size_t index, s_event_t *out)
{
    size_t cycle = run->first_cycle + index / BENCH_CYCLE, slot = index % BENCH_CYCLE;
    size_t global = cycle * BENCH_CYCLE + slot;
    uint64_t hash = s_hash (global);
    int64_t start = BENCH_YEAR_START + (int64_t) (cycle % run->base) *
                                           (BENCH_LEAD_DAYS * BENCH_DAY_MS / (int64_t) run->base);
    int64_t midnight = start - (start - BENCH_YEAR_START) % BENCH_DAY_MS;
    size_t won_opportunity = 2 * cycle, lost_opportunity = 2 * cycle + 1;
    memset (out, 0, sizeof *out);
    out->type = s_slot_type (slot);
    out->cycle = cycle;
    out->has_rep = true;
    out->has_opportunity = slot <= 5;
    out->at = start + (int64_t) slot * BENCH_HOUR_MS / 4;
    out->opportunity = slot % 2 == 0 ? won_opportunity : lost_opportunity;
    if (slot == 3 || slot == 5 || slot == 8 || slot == 9) /* the lost opportunity's */
        out->opportunity = lost_opportunity;
    else if (slot >= 2)
        out->opportunity = won_opportunity;
    out->customer = s_customer_of (out->opportunity);
    if (slot >= 10 && slot <= 17) /* customers of their own */
        out->customer = (size_t) (hash % BENCH_CUSTOMERS);
    out->rep = s_owner (out->customer);
    switch (slot) {
        case 2: /* quote, 1..6 days after the lead */
        case 3: /* demo */
            out->at += BENCH_DAY_MS + (int64_t) (hash % (5 * BENCH_DAY_MS));
            out->amount =
                BENCH_AMOUNT_MIN + (int64_t) (s_hash (out->opportunity) % BENCH_AMOUNT_SPAN);
            break;
        case 4: /* won / lost, 10..30 days after the lead */
        case 5:
            out->at += 10 * BENCH_DAY_MS + (int64_t) (hash % (20 * BENCH_DAY_MS));
            out->amount =
                BENCH_AMOUNT_MIN + (int64_t) (s_hash (out->opportunity) % BENCH_AMOUNT_SPAN);
            out->margin =
                out->amount *
                (BENCH_MARGIN_PERCENT_MIN + (int64_t) (hash >> 40) % BENCH_MARGIN_PERCENT_SPAN) /
                100;
            break;
        case 6: /* planned two days ahead for 09:00, done at 11:00 that day */
        case 8:
        case 7:
        case 9: {
            int64_t planned = midnight + (slot < 8 ? 2 : 3) * BENCH_DAY_MS + 9 * BENCH_HOUR_MS;
            out->planned_for = planned;
            out->at = slot % 2 == 0 ? start : planned + 2 * BENCH_HOUR_MS;
            out->number = BENCH_VISIT_MINUTES_MIN + (uint32_t) (hash % BENCH_VISIT_MINUTES_SPAN);
            break;
        }
        case 10:
            out->number = BENCH_VISIT_MINUTES_MIN + (uint32_t) (hash % BENCH_VISIT_MINUTES_SPAN);
            break;
        case 17:
            out->has_rep = cycle % BENCH_SURVEY_NO_REP_EVERY != 0;
            out->number = cycle % 2 == 0 ? (uint32_t) (hash % BENCH_NPS_VALUES)
                                         : 1 + (uint32_t) (hash % BENCH_CSAT_VALUES);
            break;
        case 18: /* order, 2..5 days after the lead; paid 15..25 days after */
        case 19:
            out->has_rep = false;
            out->at += (slot == 18 ? 2 : 15) * BENCH_DAY_MS + (int64_t) (hash % (3 * BENCH_DAY_MS));
            out->amount = BENCH_ORDER_MIN + (int64_t) (s_hash (cycle) % BENCH_ORDER_SPAN);
            out->other_currency = cycle % BENCH_EUR_ORDER_EVERY == 0;
            break;
        default:
            if (slot >= BENCH_CALLS_FIRST && slot <= BENCH_CALLS_LAST)
                out->number = 1 + (uint32_t) (hash % BENCH_CALL_SECONDS_SPAN);
            break;
    }
}

/* Adds an event's part of the company's measures of 2025 to tally (the
   handler's rules for this benchmark's events: every opportunity has one
   lead and one outcome, every plan its completion). */
static void
s_tally_add (s_tally_t *tally, const s_event_t *event)
{
    int64_t *sums = tally->sums;
    switch (event->type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED:
            sums[KPI_MEASURE_LEADS]++;
            sums[KPI_MEASURE_LEADS_WON] += event->opportunity % 2 == 0;
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT:
            sums[KPI_MEASURE_QUOTES]++;
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO:
            sums[KPI_MEASURE_DEMOS]++;
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON:
            sums[KPI_MEASURE_WON]++;
            sums[KPI_MEASURE_WON_AMOUNT] += event->amount;
            sums[KPI_MEASURE_MARGIN] += event->margin;
            tally->quarter_won += event->at >= BENCH_Q2_START && event->at < BENCH_Q2_END;
            if (!tally->won_customers[event->customer]) {
                tally->won_customers[event->customer] = 1;
                sums[KPI_MEASURE_NEW_CUSTOMERS]++;
            }
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST:
            sums[KPI_MEASURE_LOST]++;
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_PLANNED:
            sums[KPI_MEASURE_VISITS_PLANNED]++;
            sums[KPI_MEASURE_PLANNED_DONE]++;
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED:
            sums[KPI_MEASURE_VISITS]++;
            sums[KPI_MEASURE_VISIT_MINUTES] += event->number;
            sums[KPI_MEASURE_VISITS_TIER_A] += event->customer % BENCH_TIER_A_EVERY == 0;
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL:
            sums[KPI_MEASURE_CALLS]++;
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY:
            if (event->cycle % 2 == 0) { /* an NPS */
                sums[KPI_MEASURE_NPS_ANSWERS]++;
                sums[KPI_MEASURE_NPS_PROMOTERS] += event->number >= BENCH_NPS_PROMOTER;
                sums[KPI_MEASURE_NPS_DETRACTORS] += event->number <= BENCH_NPS_DETRACTOR;
            }
            else {
                sums[KPI_MEASURE_CSAT_ANSWERS]++;
                sums[KPI_MEASURE_CSAT_SUM] += event->number;
            }
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED: {
            /* an amount in USD is summed, another currency counted apart */
            bool order = event->type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED;
            kpi_measure_t sum = order ? KPI_MEASURE_ORDER_AMOUNT : KPI_MEASURE_PAYMENT_AMOUNT;
            kpi_measure_t other =
                order ? KPI_MEASURE_ORDER_OTHER_CURRENCY : KPI_MEASURE_PAYMENT_OTHER_CURRENCY;
            sums[event->other_currency ? other : sum] += event->other_currency ? 1 : event->amount;
            break;
        }
        default:
            break;
    }
}

/* Tallies count events of run into tally. */
static void
s_tally_run (s_tally_t *tally, const s_run_t *run, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        s_event_t event;
        s_describe (run, index, &event);
        s_tally_add (tally, &event);
    }
}

/* Replaces *slot by a Money of minor units of currency. */
static int
s_money (Salespulse__Money **slot, const char *currency, int64_t minor)
{
    Salespulse__Money *money = (Salespulse__Money *) malloc (sizeof *money);
    if (!money)
        return -1;
    salespulse__money__init (money);
    money->amount_minor = minor;
    *slot = money;
    return sp_event_set_string (&money->currency, currency, strlen (currency));
}

/* Sets the type's body of event from described. Returns 0, or -1. */
static int
s_set_body (sp_event_t *event, const s_event_t *described)
{
    const char *currency = described->other_currency ? BENCH_OTHER_CURRENCY : BENCH_CURRENCY;
    switch (described->type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT:
            return s_money (&event->quote_sent->amount, currency, described->amount);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON:
            return s_money (&event->deal_won->amount, currency, described->amount) != 0 ||
                           s_money (&event->deal_won->margin, currency, described->margin) != 0
                       ? -1
                       : 0;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST:
            return sp_event_set_string (&event->deal_lost->reason, "price", strlen ("price"));
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_PLANNED:
            event->visit_planned->planned_for = described->planned_for;
            return 0;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED:
            event->visit_completed->duration_minutes = described->number;
            return 0;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL:
            event->call->duration_seconds = described->number;
            return 0;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY:
            if (described->cycle % 2 == 0) {
                event->survey->score_case = SALESPULSE__SURVEY__SCORE_NPS;
                event->survey->nps = described->number;
            }
            else {
                event->survey->score_case = SALESPULSE__SURVEY__SCORE_CSAT;
                event->survey->csat = described->number;
            }
            return 0;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED:
            return s_money (&event->order_placed->amount, currency, described->amount);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED:
            return s_money (&event->payment_received->amount, currency, described->amount);
        default:
            return 0;
    }
}

/* sp_harness_event_fn of a run (arg): its event index. Read only, so the
   live publishers may call it at once. */
static sp_event_t *
s_run_event (size_t index, void *arg)
{
    const s_run_t *run = (const s_run_t *) arg;
    s_event_t described;
    s_describe (run, index, &described);
    sp_event_t *event = sp_event_new (described.type);
    if (!event)
        return NULL;
    if (bench_set_text (&event->event_id, "bench:kpi:%zu",
                        described.cycle * BENCH_CYCLE + index % BENCH_CYCLE) != 0 ||
        sp_event_set_string (&event->source, "bench", strlen ("bench")) != 0 ||
        bench_set_text (&event->customer_id, "customer-%05zu", described.customer) != 0 ||
        (described.has_rep && bench_set_text (&event->rep_id, "rep-%04zu", described.rep) != 0) ||
        (described.has_opportunity &&
         bench_set_text (&event->opportunity_id, "opp-%zu", described.opportunity) != 0) ||
        s_set_body (event, &described) != 0) {
        sp_event_destroy (&event);
        return NULL;
    }
    event->occurred_at = described.at;
    return event;
}

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

/* A rep's memberships: its team from 2024-01-01, and for a mover a
   second team from 2025-07-01. */
static json_t *
s_memberships (size_t rep)
{
    char team[BENCH_TEXT_SIZE], moved[BENCH_TEXT_SIZE];
    snprintf (team, sizeof team, "team-%02zu", s_team_of (rep));
    if (!s_is_mover (rep))
        return json_pack ("[{s:s, s:s}]", "team", team, "from", "2024-01-01");
    snprintf (moved, sizeof moved, "team-%02zu", s_moved_team (rep));
    return json_pack ("[{s:s, s:s, s:s}, {s:s, s:s}]", "team", team, "from", "2024-01-01", "until",
                      "2025-07-01", "team", moved, "from", "2025-07-01");
}

static json_t *
s_org (void)
{
    json_t *regions = json_array (), *teams = json_array (), *reps = json_array ();
    char id[BENCH_TEXT_SIZE], parent[BENCH_TEXT_SIZE];
    for (size_t region = 0; region < BENCH_REGIONS; region++) {
        snprintf (id, sizeof id, "region-%zu", region);
        json_array_append_new (regions, json_pack ("{s:s}", "id", id));
    }
    for (size_t team = 0; team < BENCH_TEAMS; team++) {
        snprintf (id, sizeof id, "team-%02zu", team);
        snprintf (parent, sizeof parent, "region-%zu", team / BENCH_TEAMS_PER_REGION);
        json_array_append_new (teams, json_pack ("{s:s, s:s}", "id", id, "region", parent));
    }
    for (size_t rep = 0; rep < BENCH_REPS; rep++) {
        snprintf (id, sizeof id, "rep-%04zu", rep);
        json_array_append_new (
            reps, json_pack ("{s:s, s:o}", "id", id, "memberships", s_memberships (rep)));
    }
    return json_pack ("{s:s, s:s, s:o, s:o, s:o}", "name", "bench", "company", "Bench Inc",
                      "regions", regions, "teams", teams, "reps", reps);
}

static json_t *
s_customers (void)
{
    static const char *const tiers[] = { "A", "B", "B", "C", "C" };
    json_t *customers = json_array ();
    for (size_t customer = 0; customer < BENCH_CUSTOMERS; customer++) {
        char id[BENCH_TEXT_SIZE], owner[BENCH_TEXT_SIZE];
        snprintf (id, sizeof id, "customer-%05zu", customer);
        snprintf (owner, sizeof owner, "rep-%04zu", s_owner (customer));
        json_array_append_new (customers,
                               json_pack ("{s:s, s:s, s:s}", "id", id, "tier",
                                          tiers[customer % BENCH_TIER_A_EVERY], "owner", owner));
    }
    return json_pack ("{s:s, s:o}", "name", "bench", "customers", customers);
}

/* An additive target of node for the year: spread evenly over the
   quarters (with carry when carry), decomposed evenly over children
   (count of them, printed by child_format from first on; none when 0). */
static json_t *
s_target (const char *node, const char *kpi, json_t *target, bool carry, const char *child_format,
          size_t first, size_t count)
{
    json_t *weights = json_object ();
    for (size_t child = first; child < first + count; child++) {
        char id[BENCH_TEXT_SIZE];
        snprintf (id, sizeof id, child_format, child);
        json_object_set_new (weights, id, json_integer (1));
    }
    json_t *entry = json_pack ("{s:s, s:s, s:s, s:o, s:{s:s, s:s, s:s}}", "node", node, "kpi", kpi,
                               "period", BENCH_YEAR, "target", target, "spread", "to", "quarter",
                               "rule", "even", "basis", "periods");
    if (entry && carry)
        json_object_set_new (entry, "carry", json_true ());
    if (entry && count > 0)
        json_object_set_new (entry, "decompose", json_pack ("{s:o}", "weights", weights));
    else
        json_decref (weights);
    return entry;
}

/* Revenue and deals_won of every region and team (and the company), so
   each rep's share is rep_revenue (minor units) and rep_won; the
   company's win_rate. */
static json_t *
s_targets (int64_t rep_revenue, int64_t rep_won)
{
    json_t *targets = json_array ();
    const char *const kpis[] = { "revenue", "deals_won" };
    for (size_t kind = 0; kind < 2; kind++) {
        bool money = kind == 0;
        int64_t per_rep = money ? rep_revenue : rep_won;
        char amount[BENCH_TEXT_SIZE];
        int64_t company = per_rep * BENCH_REPS;
        snprintf (amount, sizeof amount, "%" PRId64 ".%02d", company / BENCH_CENTS,
                  (int) (company % BENCH_CENTS));
        json_array_append_new (targets,
                               s_target ("company", kpis[kind],
                                         money ? json_string (amount) : json_integer (company),
                                         money, "region:region-%zu", 0, BENCH_REGIONS));
        for (size_t region = 0; region < BENCH_REGIONS; region++) {
            char node[BENCH_TEXT_SIZE];
            int64_t value = per_rep * BENCH_REPS / BENCH_REGIONS;
            snprintf (node, sizeof node, "region:region-%zu", region);
            snprintf (amount, sizeof amount, "%" PRId64 ".%02d", value / BENCH_CENTS,
                      (int) (value % BENCH_CENTS));
            json_array_append_new (
                targets,
                s_target (node, kpis[kind], money ? json_string (amount) : json_integer (value),
                          money, "team:team-%02zu", region * BENCH_TEAMS_PER_REGION,
                          BENCH_TEAMS_PER_REGION));
        }
        for (size_t team = 0; team < BENCH_TEAMS; team++) {
            char node[BENCH_TEXT_SIZE];
            int64_t value = per_rep * BENCH_REPS_PER_TEAM;
            snprintf (node, sizeof node, "team:team-%02zu", team);
            snprintf (amount, sizeof amount, "%" PRId64 ".%02d", value / BENCH_CENTS,
                      (int) (value % BENCH_CENTS));
            json_array_append_new (
                targets,
                s_target (node, kpis[kind], money ? json_string (amount) : json_integer (value),
                          money, "rep:rep-%04zu", team * BENCH_REPS_PER_TEAM, BENCH_REPS_PER_TEAM));
        }
    }
    json_array_append_new (targets,
                           json_pack ("{s:s, s:s, s:s, s:f, s:f}", "node", "company", "kpi",
                                      "win_rate", "period", BENCH_YEAR, "floor",
                                      BENCH_WIN_RATE_FLOOR, "target", BENCH_WIN_RATE_TARGET));
    return json_pack ("{s:s, s:s, s:o}", "name", "bench-2025", "currency", BENCH_CURRENCY,
                      "targets", targets);
}

static json_t *
s_role (void)
{
    return json_pack ("{s:[{s:s, s:f}, {s:s, s:f}, {s:s, s:f}, {s:s, s:f}, {s:s, s:f}]}", "kpis",
                      "kpi", "revenue", "weight", 0.35, "kpi", "deals_won", "weight", 0.2, "kpi",
                      "win_rate", "weight", 0.2, "kpi", "visit_plan_execution", "weight", 0.1,
                      "kpi", "high_value_visit_share", "weight", 0.15);
}

static json_t *
s_scorecard (void)
{
    return json_pack ("{s:s, s:f, s:{s:o, s:o, s:o, s:o}}", "name", "bench", "cap", 1.5, "roles",
                      "rep", s_role (), "team", s_role (), "region", s_role (), "company",
                      s_role ());
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
s_load_documents (s_bench_t *bench, const s_tally_t *log)
{
    /* each rep's share of the year as logged, rounded to whole units */
    int64_t rep_revenue =
        log->sums[KPI_MEASURE_WON_AMOUNT] / BENCH_REPS / BENCH_CENTS * BENCH_CENTS;
    int64_t rep_won = log->sums[KPI_MEASURE_WON] / BENCH_REPS;
    struct {
        const char *kind;
        const char *file;
        json_t *document;
    } documents[] = {
        { "org", "org.json", s_org () },
        { "customers", "customers.json", s_customers () },
        { "targets", "targets.json",
          s_targets (rep_revenue > 0 ? rep_revenue : BENCH_CENTS, rep_won > 0 ? rep_won : 1) },
        { "scorecard", "scorecard.json", s_scorecard () },
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
s_verify (s_bench_t *bench, const s_tally_t *expected)
{
    char error[KPI_QUERY_ERROR_SIZE];
    kpi_query_t *query =
        kpi_query_new (bench->redis, bench->pg, BENCH_PARTITIONS, error, sizeof error);
    sp_period_t year;
    int64_t first, last, sums[1][KPI_MEASURE_COUNT];
    const char *scope = "company";
    int rc = -1;
    if (!query ||
        sp_period_parse (kpi_query_tz (query), BENCH_YEAR, &year, error, sizeof error) != 0 ||
        kpi_query_period_days (query, &year, &first, &last) != 0 ||
        kpi_query_sums (query, &year, last, &scope, 1, sums, error, sizeof error) != 0) {
        fprintf (stderr, BENCH_NAME ": could not read the company's measures: %s\n", error);
        goto out;
    }
    rc = 0;
    for (size_t measure = 0; measure < KPI_MEASURE_COUNT; measure++)
        if (sums[0][measure] != expected->sums[measure]) {
            fprintf (stderr, BENCH_NAME ": company %s of %s is %" PRId64 ", written %" PRId64 "\n",
                     kpi_catalog_measure_name ((kpi_measure_t) measure), BENCH_YEAR,
                     sums[0][measure], expected->sums[measure]);
            rc = -1;
        }
out:
    kpi_query_destroy (&query);
    return rc;
}

/* ---------------------------------------------------------------- queries */

static int
s_compare_ms (const void *left, const void *right)
{
    double difference = *(const double *) left - *(const double *) right;
    return difference < 0 ? -1 : difference > 0;
}

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

/* Runs `salesctl <command> --scope S --period BENCH_QUARTER --as-of
   BENCH_AS_OF --json` BENCH_COMMAND_RUNS times into latency. */
static int
s_command (s_bench_t *bench, const s_expected_t *expected, s_latency_t *latency)
{
    const char *const arguments[] = { expected->command, "--scope",     expected->scope,
                                      "--period",        BENCH_QUARTER, "--as-of",
                                      BENCH_AS_OF,       "--json",      NULL };
    char *output = (char *) malloc (BENCH_OUTPUT_SIZE);
    int rc = output ? 0 : -1;
    latency->runs = BENCH_COMMAND_RUNS;
    for (size_t run = 0; rc == 0 && run < latency->runs; run++)
        if (s_salesctl (bench, arguments, output, BENCH_OUTPUT_SIZE, &latency->ms[run]) != 0 ||
            s_check_answer (output, expected) != 0)
            rc = -1;
    free (output);
    qsort (latency->ms, latency->runs, sizeof latency->ms[0], s_compare_ms);
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
        sp_period_parse (kpi_query_tz (query), BENCH_QUARTER, &period, error, sizeof error) != 0 ||
        kpi_query_period_days (query, &period, &first, &last) != 0 ||
        kpi_query_every_scope (query, &period, last, &scopes, &scope_count, error, sizeof error) !=
            0)
        goto out;
    const kpi_reference_t *reference = kpi_query_reference (query);
    const kpi_org_t *org = kpi_reference_org (reference);
    const kpi_scorecard_t *scorecard = kpi_reference_scorecard (reference);
    for (size_t team = 0; org && scorecard && team < BENCH_TEAMS; team++) {
        char node[BENCH_TEXT_SIZE];
        const char *reps[BENCH_REPS];
        kpi_scorecard_member_t members[BENCH_REPS];
        snprintf (node, sizeof node, "team:team-%02zu", team);
        size_t count = kpi_org_children (org, node, first, last + 1, reps, BENCH_REPS);
        for (size_t index = 0; index < count && index < BENCH_REPS; index++)
            if (s_score_rep (query, scorecard, reps[index], &period, last, scopes, scope_count,
                             evaluation, &members[index], error, sizeof error) != 0)
                goto out;
            else
                *scored += members[index].has_score;
        kpi_scorecard_rank (members, count < BENCH_REPS ? count : BENCH_REPS);
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
        if (scored != BENCH_REPS) {
            fprintf (stderr, BENCH_NAME ": %zu reps scored, expected %d\n", scored, BENCH_REPS);
            return -1;
        }
    }
    qsort (latency->ms, latency->runs, sizeof latency->ms[0], s_compare_ms);
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
        http, bus, partitions, "SP_TIME_ZONE=UTC", "SP_KPI_CURRENCY=" BENCH_CURRENCY, NULL
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
    *cycles = events / BENCH_CYCLE > 0 ? events / BENCH_CYCLE : 1;
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
    if (log_cycles + live_cycles > UINT32_MAX / BENCH_CYCLE) {
        fprintf (stderr, BENCH_NAME ": at most %" PRIu32 " events\n", UINT32_MAX);
        return 1;
    }
    /* first: it sets where the harness finds the sources and programs */
    bench_locate ("kpi-evaluator", bench.evaluator_program, sizeof bench.evaluator_program);
    size_t log_events = log_cycles * BENCH_CYCLE, live_events = live_cycles * BENCH_CYCLE;
    s_run_t log = { 0, log_cycles }, live = { log_cycles, log_cycles };
    uint8_t *won_customers = (uint8_t *) calloc (BENCH_CUSTOMERS, 1);
    s_tally_t log_tally = { .won_customers = won_customers };
    if (!won_customers) {
        fprintf (stderr, BENCH_NAME ": out of memory\n");
        return 1;
    }
    s_tally_run (&log_tally, &log, log_events);
    s_tally_t total = log_tally;
    s_tally_run (&total, &live, live_events);

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
    if (bench_log_load (BENCH_NAME, bench.pg, BENCH_PARTITIONS, log_events, s_run_event, &log) != 0)
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
        { "scorecard", "company", BENCH_REGIONS, 0 },
        { "scorecard", "region:region-0", BENCH_TEAMS_PER_REGION, 0 },
        { "scorecard", "team:team-00", BENCH_REPS_PER_TEAM, 0 },
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
        .make_event = s_run_event,
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
            BENCH_REGIONS, BENCH_TEAMS, BENCH_REPS, BENCH_CUSTOMERS, BENCH_PARTITIONS,
            sysconf (_SC_NPROCESSORS_ONLN));
    printf ("log: %zu events (%zu cycles of %d), live: %zu events\n", log_events, log_cycles,
            BENCH_CYCLE, live_events);
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
    printf ("%-62s %5s %9s %9s %9s\n", "query, " BENCH_QUARTER " as of " BENCH_AS_OF ", --json, ms",
            "runs", "min", "median", "max");
    for (size_t index = 0; index < sizeof latencies / sizeof latencies[0]; index++)
        s_print_latency (&latencies[index]);
    bench_redis_stats_print (baseline_stats, "counting-consumer catch-up", log_events);
    bench_redis_stats_print (rebuild_stats, "rebuild", log_events);
    bench_redis_stats_print (live_stats, "live", live_events);
    bench_redis_stats_print (query_stats, "scorecard company, per command run", BENCH_COMMAND_RUNS);
    printf ("counts verified: every company measure of " BENCH_YEAR " (%" PRId64 " won, %" PRId64
            " lost, %" PRId64 " visits, %" PRId64 " calls), deals_won of " BENCH_QUARTER " %" PRId64
            "\n",
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
