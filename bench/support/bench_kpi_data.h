/*  bench_kpi_data - bench_kpi's synthetic company and its event log: the
    org, customers, targets and scorecard documents salesctl loads, the
    events of any run of cycles (an sp_harness_event_fn for bench_log and
    bench_live) and what a run adds to the company's measures of 2025.

    The company: BENCH_KPI_DATA_REGIONS regions ("region-R") of
    BENCH_KPI_DATA_TEAMS_PER_REGION teams ("team-TT") of
    BENCH_KPI_DATA_REPS_PER_TEAM reps ("rep-RRRR"), an org document loaded
    with `salesctl load org` before kpi-evaluator starts; every rep joins
    its team on 2024-01-01 and one in BENCH_MOVER_EVERY moves to a team of
    another region on 2025-07-01 (two memberships).
    BENCH_KPI_DATA_CUSTOMERS customers in a `customers` document, one in
    BENCH_TIER_A_EVERY of tier A, each owned by a rep. Targets (a
    `targets` document): revenue and deals_won for the company for 2025,
    spread evenly over the quarters (revenue with carried shortfall) and
    decomposed evenly over the regions, each region's the same over its
    teams, each team's over its reps, sized from the log so attainments
    are near 100 %; a company win_rate for 2025 that every scope inherits.
    A `scorecard` document scores every role with revenue, deals_won,
    win_rate, visit_plan_execution and high_value_visit_share (the last
    two with the catalogue's default targets).

    The events: a cycle of BENCH_KPI_DATA_CYCLE events, numbered k, made
    of two opportunities (2k and 2k+1, each of one customer, all its
    events in that customer's partition, credited to the customer's
    owner): two lead_created, a quote_sent and a deal_won (USD amount and
    margin) of 2k, a demo and a deal_lost of 2k+1; two visit_planned, each
    completed on its planned day by the same rep at the same customer, and
    one visit without a plan; six calls; a survey (NPS on even cycles,
    CSAT on odd ones; one in three without rep_id, credited to the
    customer's owner); an order_placed (one in BENCH_EUR_ORDER_EVERY in
    EUR, counted apart) and its payment_received (both without rep_id: the
    owner). Calls, visits without a plan and surveys go to customers of
    their own (a hash of the event number), so every partition of 16 gets
    a fair share. Events carry rep_id only, never team_id or region_id:
    the org places them. Cycles are spread over the first BENCH_LEAD_DAYS
    days of 2025 (UTC) by their number modulo the log's cycles, later
    steps follow by days, all inside 2025.
*/
#ifndef BENCH_KPI_DATA_H_INCLUDED
#define BENCH_KPI_DATA_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sp_event.h"

#include "kpi-evaluator/kpi_catalog.h"

#define BENCH_KPI_DATA_REGIONS 5
#define BENCH_KPI_DATA_TEAMS_PER_REGION 10
#define BENCH_KPI_DATA_REPS_PER_TEAM 20
#define BENCH_KPI_DATA_TEAMS (BENCH_KPI_DATA_REGIONS * BENCH_KPI_DATA_TEAMS_PER_REGION)
#define BENCH_KPI_DATA_REPS (BENCH_KPI_DATA_TEAMS * BENCH_KPI_DATA_REPS_PER_TEAM)
#define BENCH_KPI_DATA_CUSTOMERS                                                                   \
    16000 /* distinct customer_id values (the customers document stays under salesctl load's 1     \
             MiB) */
#define BENCH_KPI_DATA_CYCLE 20 /* events per cycle */
#define BENCH_KPI_DATA_YEAR "2025"
#define BENCH_KPI_DATA_QUARTER "2025-Q2" /* the tally's quarter_won */
#define BENCH_KPI_DATA_CURRENCY "USD"

/* A run of events: cycles first_cycle.., the log's cycles set the time. */
typedef struct {
    size_t first_cycle; /* global number of the run's first cycle */
    size_t base;        /* cycles of the log: a cycle's days repeat by it */
} bench_kpi_data_run_t;

/* What a run adds to the company's measures of 2025. */
typedef struct {
    int64_t sums[KPI_MEASURE_COUNT];
    int64_t quarter_won;    /* deals won in BENCH_KPI_DATA_QUARTER */
    uint8_t *won_customers; /* [BENCH_KPI_DATA_CUSTOMERS]: has a deal_won (shared by the tallies) */
} bench_kpi_data_tally_t;

/* Tallies count events of run into tally. */
void bench_kpi_data_tally_run (bench_kpi_data_tally_t *tally, const bench_kpi_data_run_t *run,
                               size_t count);

/* sp_harness_event_fn of a run (arg, a bench_kpi_data_run_t): its event
   index. Read only, so the live publishers may call it at once. */
sp_event_t *bench_kpi_data_run_event (size_t index, void *arg);

/* The documents, new (NULL when out of memory): the org, the customers,
   the targets sized from log (each rep's share of the year as logged) and
   the scorecard. */
json_t *bench_kpi_data_org (void);
json_t *bench_kpi_data_customers (void);
json_t *bench_kpi_data_targets (const bench_kpi_data_tally_t *log);
json_t *bench_kpi_data_scorecard (void);

#endif
