/*  bench_kpi_data - bench_kpi's synthetic company and its event log (see
    bench_kpi_data.h).
*/
#include "bench_kpi_data.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_support.h"

#define BENCH_MOVER_EVERY 50 /* rep number % this == BENCH_MOVER_SLOT moves team */
#define BENCH_MOVER_SLOT 7
#define BENCH_TIER_A_EVERY 5     /* customer number % this == 0: tier A */
#define BENCH_EUR_ORDER_EVERY 50 /* cycle % this == 0: the order is in EUR */
#define BENCH_CALLS_FIRST 11     /* slots 11..16 are calls */
#define BENCH_CALLS_LAST 16
#define BENCH_YEAR_START INT64_C (1735689600000) /* 2025-01-01T00:00:00Z, ms */
#define BENCH_Q2_START INT64_C (1743465600000)   /* 2025-04-01T00:00:00Z */
#define BENCH_Q2_END INT64_C (1751328000000)     /* 2025-07-01T00:00:00Z */
#define BENCH_LEAD_DAYS 330                      /* cycles start over these first days of 2025 */
#define BENCH_DAY_MS INT64_C (86400000)
#define BENCH_HOUR_MS INT64_C (3600000)
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
#define BENCH_TEXT_SIZE 128
#define BENCH_OTHER_CURRENCY "EUR"
#define BENCH_CENTS 100

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
    return (size_t) (s_hash (customer ^ UINT64_C (0x5eed)) % BENCH_KPI_DATA_REPS);
}

static size_t
s_team_of (size_t rep)
{
    return rep / BENCH_KPI_DATA_REPS_PER_TEAM;
}

static bool
s_is_mover (size_t rep)
{
    return rep % BENCH_MOVER_EVERY == BENCH_MOVER_SLOT;
}

static size_t
s_moved_team (size_t rep)
{
    return (s_team_of (rep) + BENCH_KPI_DATA_TEAMS_PER_REGION) % BENCH_KPI_DATA_TEAMS;
}

static size_t
s_customer_of (size_t opportunity)
{
    return (size_t) (s_hash (opportunity) % BENCH_KPI_DATA_CUSTOMERS);
}

/* Slot of a cycle -> event type. */
static Salespulse__EventType
s_slot_type (size_t slot)
{
    static const Salespulse__EventType types[BENCH_KPI_DATA_CYCLE] = {
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
s_describe (const bench_kpi_data_run_t *run, size_t index, s_event_t *out)
{
    size_t cycle = run->first_cycle + index / BENCH_KPI_DATA_CYCLE,
           slot = index % BENCH_KPI_DATA_CYCLE;
    size_t global = cycle * BENCH_KPI_DATA_CYCLE + slot;
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
        out->customer = (size_t) (hash % BENCH_KPI_DATA_CUSTOMERS);
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
s_tally_add (bench_kpi_data_tally_t *tally, const s_event_t *event)
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
void
bench_kpi_data_tally_run (bench_kpi_data_tally_t *tally, const bench_kpi_data_run_t *run,
                          size_t count)
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
    const char *currency =
        described->other_currency ? BENCH_OTHER_CURRENCY : BENCH_KPI_DATA_CURRENCY;
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
sp_event_t *
bench_kpi_data_run_event (size_t index, void *arg)
{
    const bench_kpi_data_run_t *run = (const bench_kpi_data_run_t *) arg;
    s_event_t described;
    s_describe (run, index, &described);
    sp_event_t *event = sp_event_new (described.type);
    if (!event)
        return NULL;
    if (bench_set_text (&event->event_id, "bench:kpi:%zu",
                        described.cycle * BENCH_KPI_DATA_CYCLE + index % BENCH_KPI_DATA_CYCLE) !=
            0 ||
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

json_t *
bench_kpi_data_org (void)
{
    json_t *regions = json_array (), *teams = json_array (), *reps = json_array ();
    char id[BENCH_TEXT_SIZE], parent[BENCH_TEXT_SIZE];
    for (size_t region = 0; region < BENCH_KPI_DATA_REGIONS; region++) {
        snprintf (id, sizeof id, "region-%zu", region);
        json_array_append_new (regions, json_pack ("{s:s}", "id", id));
    }
    for (size_t team = 0; team < BENCH_KPI_DATA_TEAMS; team++) {
        snprintf (id, sizeof id, "team-%02zu", team);
        snprintf (parent, sizeof parent, "region-%zu", team / BENCH_KPI_DATA_TEAMS_PER_REGION);
        json_array_append_new (teams, json_pack ("{s:s, s:s}", "id", id, "region", parent));
    }
    for (size_t rep = 0; rep < BENCH_KPI_DATA_REPS; rep++) {
        snprintf (id, sizeof id, "rep-%04zu", rep);
        json_array_append_new (
            reps, json_pack ("{s:s, s:o}", "id", id, "memberships", s_memberships (rep)));
    }
    return json_pack ("{s:s, s:s, s:o, s:o, s:o}", "name", "bench", "company", "Bench Inc",
                      "regions", regions, "teams", teams, "reps", reps);
}

json_t *
bench_kpi_data_customers (void)
{
    static const char *const tiers[] = { "A", "B", "B", "C", "C" };
    json_t *customers = json_array ();
    for (size_t customer = 0; customer < BENCH_KPI_DATA_CUSTOMERS; customer++) {
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
                               "period", BENCH_KPI_DATA_YEAR, "target", target, "spread", "to",
                               "quarter", "rule", "even", "basis", "periods");
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
        int64_t company = per_rep * BENCH_KPI_DATA_REPS;
        snprintf (amount, sizeof amount, "%" PRId64 ".%02d", company / BENCH_CENTS,
                  (int) (company % BENCH_CENTS));
        json_array_append_new (targets,
                               s_target ("company", kpis[kind],
                                         money ? json_string (amount) : json_integer (company),
                                         money, "region:region-%zu", 0, BENCH_KPI_DATA_REGIONS));
        for (size_t region = 0; region < BENCH_KPI_DATA_REGIONS; region++) {
            char node[BENCH_TEXT_SIZE];
            int64_t value = per_rep * BENCH_KPI_DATA_REPS / BENCH_KPI_DATA_REGIONS;
            snprintf (node, sizeof node, "region:region-%zu", region);
            snprintf (amount, sizeof amount, "%" PRId64 ".%02d", value / BENCH_CENTS,
                      (int) (value % BENCH_CENTS));
            json_array_append_new (
                targets,
                s_target (node, kpis[kind], money ? json_string (amount) : json_integer (value),
                          money, "team:team-%02zu", region * BENCH_KPI_DATA_TEAMS_PER_REGION,
                          BENCH_KPI_DATA_TEAMS_PER_REGION));
        }
        for (size_t team = 0; team < BENCH_KPI_DATA_TEAMS; team++) {
            char node[BENCH_TEXT_SIZE];
            int64_t value = per_rep * BENCH_KPI_DATA_REPS_PER_TEAM;
            snprintf (node, sizeof node, "team:team-%02zu", team);
            snprintf (amount, sizeof amount, "%" PRId64 ".%02d", value / BENCH_CENTS,
                      (int) (value % BENCH_CENTS));
            json_array_append_new (
                targets,
                s_target (node, kpis[kind], money ? json_string (amount) : json_integer (value),
                          money, "rep:rep-%04zu", team * BENCH_KPI_DATA_REPS_PER_TEAM,
                          BENCH_KPI_DATA_REPS_PER_TEAM));
        }
    }
    json_array_append_new (targets,
                           json_pack ("{s:s, s:s, s:s, s:f, s:f}", "node", "company", "kpi",
                                      "win_rate", "period", BENCH_KPI_DATA_YEAR, "floor",
                                      BENCH_WIN_RATE_FLOOR, "target", BENCH_WIN_RATE_TARGET));
    return json_pack ("{s:s, s:s, s:o}", "name", "bench-2025", "currency", BENCH_KPI_DATA_CURRENCY,
                      "targets", targets);
}

json_t *
bench_kpi_data_targets (const bench_kpi_data_tally_t *log)
{
    /* each rep's share of the year as logged, rounded to whole units */
    int64_t rep_revenue =
        log->sums[KPI_MEASURE_WON_AMOUNT] / BENCH_KPI_DATA_REPS / BENCH_CENTS * BENCH_CENTS;
    int64_t rep_won = log->sums[KPI_MEASURE_WON] / BENCH_KPI_DATA_REPS;
    return s_targets (rep_revenue > 0 ? rep_revenue : BENCH_CENTS, rep_won > 0 ? rep_won : 1);
}

static json_t *
s_role (void)
{
    return json_pack ("{s:[{s:s, s:f}, {s:s, s:f}, {s:s, s:f}, {s:s, s:f}, {s:s, s:f}]}", "kpis",
                      "kpi", "revenue", "weight", 0.35, "kpi", "deals_won", "weight", 0.2, "kpi",
                      "win_rate", "weight", 0.2, "kpi", "visit_plan_execution", "weight", 0.1,
                      "kpi", "high_value_visit_share", "weight", 0.15);
}

json_t *
bench_kpi_data_scorecard (void)
{
    return json_pack ("{s:s, s:f, s:{s:o, s:o, s:o, s:o}}", "name", "bench", "cap", 1.5, "roles",
                      "rep", s_role (), "team", s_role (), "region", s_role (), "company",
                      s_role ());
}
