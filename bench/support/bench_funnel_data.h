/*  bench_funnel_data - the opportunities funnel-tracker's benchmarks
    (bench_funnel, bench_scale) replay, and their checks.

    Every opportunity is a lead with an estimated value; by opportunity
    number modulo 20, 12 of 20 (60 %) get a visit, 8 (40 %) a demo, 5
    (25 %) a quote, 2 (10 %) are won with an amount and 2 (10 %) lost.
    Leads are spread evenly over 2025 (UTC), each step follows the previous
    by some days (a hash of the number), and an opportunity belongs to one
    of 3 regions x 2 teams x 10 reps and to one of 50,000 customers, so
    every partition of 16 gets events; all its events carry its
    customer_id, so they share one partition. A plan interleaves the
    opportunities as a CRM feed would: today's leads, the visits of leads
    of some days ago, ... (a merge of the five steps' streams, each behind
    the leads by a fixed number of days).

    Both shipped funnels are loaded with `salesctl load funnel`
    (bench_funnel_load): default (lead_created -> visit_completed -> demo
    -> quote_sent -> deal_won / deal_lost) and crm (lead_created ->
    stage_changed to "Engaging" -> deal_won / deal_lost), which counts the
    lead_created, deal_won and deal_lost of the plan a second time.
*/
#ifndef BENCH_FUNNEL_DATA_H_INCLUDED
#define BENCH_FUNNEL_DATA_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sp_event.h"
#include "sp_harness.h"
#include "sp_redis.h"

/* One event of the plan. */
typedef struct {
    uint32_t opportunity; /* opportunity number */
    uint8_t step;         /* 0 lead, 1 visit, 2 demo, 3 quote, 4 outcome */
} bench_funnel_planned_t;

/* Events of a run, in log (or publishing) order, and what they add to
   the company funnel. */
typedef struct {
    size_t base;            /* opportunities of the rebuilt log: leads cycle over 2025 by it */
    size_t count;           /* events */
    size_t room;            /* allocated entries */
    bench_funnel_planned_t *events;    /* [count] */
    uint64_t leads;         /* lead_created events (= opportunities that reach step 1) */
    uint64_t won;           /* deal_won events */
    uint64_t lost;          /* deal_lost events */
    uint64_t quarter_leads; /* leads in BENCH_QUARTER */
} bench_funnel_plan_t;

/* Plans the events of opportunities first..end-1 in log order, stopping
   after max_events; base is the opportunities of the rebuilt log (leads
   cycle over 2025 by it). Returns 0, or -1 when out of memory. */
int bench_funnel_plan_build (bench_funnel_plan_t *plan, size_t base, size_t first, size_t end,
                             size_t max_events);

/* Frees the plan's events and zeroes it. */
void bench_funnel_plan_clear (bench_funnel_plan_t *plan);

/* sp_harness_event_fn of a plan (arg): its event index. Read only, so
   several publishers may call it at once. NULL when out of memory. */
sp_event_t *bench_funnel_plan_event (size_t index, void *arg);

/* Loads the shipped funnels with `salesctl load funnel` through harness,
   before funnel-tracker starts. Returns 0, or -1 (printed, bench naming
   the program). */
int bench_funnel_load (const char *bench, const sp_harness_t *harness);

/* Checks the company funnel of every loaded funnel in Redis (reached:1,
   won and lost of every partition's m:<funnel>:company:<month>, summed)
   against leads, won and lost written in total. Returns 0 when they
   match, -1 (printed) otherwise or when Redis failed. */
int bench_funnel_verify (const char *bench, sp_redis_t *redis, uint32_t partitions, uint64_t leads,
                         uint64_t won, uint64_t lost);

#endif
