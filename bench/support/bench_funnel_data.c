/*  bench_funnel_data - the opportunities funnel-tracker's benchmarks replay
    (see bench_funnel_data.h): the plan of events, each event, the shipped
    funnels loaded as `make up` loads them, and the check of the company
    funnel in Redis against the plan. */
#include "bench_funnel_data.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_support.h"
#include "sp_harness_consumer.h"
#include "sp_harness_redis.h"

#include "funnel-tracker/funnel_keys.h"

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
#define BENCH_QUARTER_FIRST_MONTH 3 /* the quarter's first month, 0-based (April) */
#define BENCH_MONTHS_PER_QUARTER 3
#define BENCH_YEAR_BASE 1900 /* struct tm's tm_year origin */
#define BENCH_YEAR 2025
#define BENCH_VALUE_MIN 100000       /* estimated value: 1,000.00 USD ... */
#define BENCH_VALUE_SPAN 4900000     /* ... up to 50,000.00 USD */
#define BENCH_WON_EXTRA_SPAN 1000000 /* won amount: value + up to 10,000.00 USD */
#define BENCH_VISIT_MINUTES 90       /* visit duration, minutes (1..this) */
#define BENCH_CURRENCY "USD"
#define BENCH_MS_PER_S 1000
#define BENCH_TEXT_SIZE 128
#define BENCH_COMMAND_TIMEOUT_MS 120000 /* one salesctl run */

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
    time_t seconds = (time_t) (s_lead_at (opportunity, base) / BENCH_MS_PER_S);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    return tm.tm_year + BENCH_YEAR_BASE == BENCH_YEAR && tm.tm_mon >= BENCH_QUARTER_FIRST_MONTH &&
           tm.tm_mon < BENCH_QUARTER_FIRST_MONTH + BENCH_MONTHS_PER_QUARTER;
}

/* Appends one event to the plan. Returns 0, or -1 when out of memory. */
static int
s_plan_add (bench_funnel_plan_t *plan, size_t opportunity, s_step_t step)
{
    if (plan->count == plan->room) {
        size_t room = plan->room ? plan->room * 2 : 1024;
        bench_funnel_planned_t *grown = (bench_funnel_planned_t *) realloc (plan->events, room * sizeof *grown);
        if (!grown)
            return -1;
        plan->events = grown;
        plan->room = room;
    }
    plan->events[plan->count++] = (bench_funnel_planned_t){ (uint32_t) opportunity, (uint8_t) step };
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
int
bench_funnel_plan_build (bench_funnel_plan_t *plan, size_t base, size_t first, size_t end, size_t max_events)
{
    size_t per_day = base / BENCH_DAYS_PER_YEAR > 0 ? base / BENCH_DAYS_PER_YEAR : 1;
    size_t next[S_STEP_COUNT];
    *plan = (bench_funnel_plan_t){ .base = base };
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

void
bench_funnel_plan_clear (bench_funnel_plan_t *plan)
{
    free (plan->events);
    *plan = (bench_funnel_plan_t){ 0 };
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
sp_event_t *
bench_funnel_plan_event (size_t index, void *arg)
{
    const bench_funnel_plan_t *plan = (const bench_funnel_plan_t *) arg;
    assert (index < plan->count);
    const bench_funnel_planned_t *planned = &plan->events[index];
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
s_company_counts (sp_redis_t *redis, uint32_t partitions, const char *funnel, uint64_t *reached,
                  uint64_t *won, uint64_t *lost)
{
    *reached = *won = *lost = 0;
    for (uint32_t partition = 0; partition < partitions; partition++) {
        char months_key[FUNNEL_KEYS_SIZE];
        funnel_keys_months (months_key, sizeof months_key, partition, funnel);
        sp_redis_reply_t *months =
            sp_harness_redis_run (redis, 2, (const char *const[]){ "SMEMBERS", months_key });
        if (!months)
            return -1;
        for (size_t index = 0; index < sp_redis_reply_size (months); index++) {
            const char *month =
                sp_redis_reply_string (sp_redis_reply_element (months, index), NULL);
            char key[FUNNEL_KEYS_SIZE], first[FUNNEL_KEYS_FIELD_SIZE];
            funnel_keys_month (key, sizeof key, partition, funnel, "company", month ? month : "");
            funnel_keys_field (first, sizeof first, "reached", 1);
            const char *const argv[] = { "HMGET", key, first, "won", "lost" };
            sp_redis_reply_t *fields = sp_harness_redis_run (redis, 5, argv);
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
int
bench_funnel_verify (const char *bench, sp_redis_t *redis, uint32_t partitions, uint64_t leads,
                     uint64_t won, uint64_t lost)
{
    int rc = 0;
    for (size_t index = 0; index < BENCH_FUNNEL_COUNT; index++) {
        uint64_t reached = 0, won_seen = 0, lost_seen = 0;
        if (s_company_counts (redis, partitions, s_funnels[index].name, &reached, &won_seen,
                              &lost_seen) != 0)
            return -1;
        if (reached == leads && won_seen == won && lost_seen == lost)
            continue;
        fprintf (stderr,
                 "%s: company funnel \"%s\" reached step 1 %" PRIu64 ", won %" PRIu64
                            ", lost %" PRIu64 "; written %" PRIu64 ", %" PRIu64 ", %" PRIu64 "\n",
                 bench, s_funnels[index].name, reached, won_seen, lost_seen, leads, won, lost);
        rc = -1;
    }
    return rc;
}

/* Loads the shipped funnels with `salesctl load funnel` (as `make up`
   seeds them), before funnel-tracker starts. Returns 0, or -1 (printed). */
int
bench_funnel_load (const char *bench, const sp_harness_t *harness)
{
    const char *source = getenv ("SP_SOURCE_DIR");
    char errors[PATH_MAX], output[BENCH_TEXT_SIZE * 4];
    snprintf (errors, sizeof errors, "%s/salesctl-load.err", sp_harness_dir (harness));
    for (size_t index = 0; index < BENCH_FUNNEL_COUNT; index++) {
        char path[PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", source ? source : ".", s_funnels[index].file);
        const char *const arguments[] = { "load", "funnel", path, NULL };
        int status = sp_harness_salesctl (harness, arguments, errors, output, sizeof output,
                                          BENCH_COMMAND_TIMEOUT_MS);
        if (status != 0) {
            fprintf (stderr, "%s: salesctl load funnel \"%s\" exited %d\n", bench, path, status);
            bench_show_log (bench, "salesctl stderr", errors);
            return -1;
        }
    }
    return 0;
}
