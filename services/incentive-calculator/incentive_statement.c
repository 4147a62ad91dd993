/*  incentive_statement - a rep's commission statement computed from its
    credits, cancellations, plans and closed periods (see
    incentive_statement.h). */
#include "incentive_statement_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_array.h"
#include "sp_error.h"
#include "sp_money.h"

#define S_INITIAL 64
#define S_MEASURE_COUNT INCENTIVE_STATEMENT_INTERNAL_MEASURES
#define S_PERIODS_MAX 100000 /* periods walked from a draw's first: 8,000 years of months */

typedef incentive_statement_internal_unpaid_t s_unpaid_t;
typedef incentive_statement_internal_cut_t s_cut_t;
typedef incentive_statement_internal_build_t s_build_t;

void
incentive_statement_internal_build_free (s_build_t *build)
{
    free (build->current.items);
    incentive_ledger_text_destroy (&build->current.text);
    free (build->paid.items);
    free (build->unpaid);
    free (build->used);
}

static int
s_no_memory (s_build_t *build)
{
    sp_error_set (build->error, build->error_size, "out of memory");
    return -1;
}

sp_period_kind_t
incentive_statement_kind (incentive_plan_period_t period)
{
    switch (period) {
        case INCENTIVE_PLAN_MONTH:
            return SP_PERIOD_MONTH;
        case INCENTIVE_PLAN_QUARTER:
            return SP_PERIOD_QUARTER;
        default:
            return SP_PERIOD_YEAR;
    }
}

static int s_unpaid (s_build_t *build, const incentive_record_credit_t *credit, const char *format,
                     ...) __attribute__ ((format (printf, 3, 4)));

/* Notes that a deal of the statement's period was not paid, and why. */
static int
s_unpaid (s_build_t *build, const incentive_record_credit_t *credit, const char *format, ...)
{
    if (!sp_period_contains (&build->period, credit->occurred_at))
        return 0;
    if (sp_array_reserve ((void **) &build->unpaid, &build->unpaid_capacity,
                          build->unpaid_count + 1, sizeof *build->unpaid, S_INITIAL) != 0)
        return s_no_memory (build);
    s_unpaid_t *unpaid = &build->unpaid[build->unpaid_count++];
    snprintf (unpaid->event_id, sizeof unpaid->event_id, "%s", credit->event_id);
    va_list arguments;
    va_start (arguments, format);
    vsnprintf (unpaid->reason, sizeof unpaid->reason, format, arguments);
    va_end (arguments);
    return 0;
}

/* Remembers that plan version label computed a line of the period. */
static int
s_used (s_build_t *build, const char *label)
{
    for (size_t index = 0; index < build->used_count; index++)
        if (strcmp (build->used[index], label) == 0)
            return 0;
    if (sp_array_reserve ((void **) &build->used, &build->used_capacity, build->used_count + 1,
                          sizeof *build->used, S_INITIAL) != 0)
        return s_no_memory (build);
    snprintf (build->used[build->used_count++], INCENTIVE_LEDGER_NAME_SIZE, "%s", label);
    return 0;
}

/* ---------------------------------------------------------------- computing lines */

/* One plan's running measures while credits are walked in time order. */
typedef struct {
    const char *name;
    char period[SP_PERIOD_LABEL_SIZE];               /* the period the totals belong to */
    int64_t totals[S_MEASURE_COUNT];                 /* cumulative measures in it */
    int64_t spiff_totals[INCENTIVE_PLAN_SPIFFS_MAX]; /* cumulative per SPIFF of the version */
    int64_t spiff_version;                           /* the version the SPIFF totals belong to */
    const incentive_plan_t *applied;                 /* the version of the last credit it paid */
    size_t component_lines;                          /* lines of its components for that credit */
    bool true_up;                                    /* a version of the plan has "true_up" */
} s_running_t;

/* The move of one measure a credit makes. */
static int64_t
s_measure_move (incentive_plan_measure_t measure, const incentive_record_credit_t *credit,
                bool new_logo)
{
    switch (measure) {
        case INCENTIVE_PLAN_REVENUE:
            return credit->revenue;
        case INCENTIVE_PLAN_MARGIN:
            return credit->has_margin ? credit->margin : 0;
        case INCENTIVE_PLAN_NEW_LOGOS:
            return new_logo ? 1 : 0;
        default: /* units and events: one per deal */
            return 1;
    }
}

/* Sets build->cut to the period holding at (of the statement's kind),
   cut again only when at is outside the one kept. Returns 0, or -1 when
   at or its period is outside years 1..9999. */
static int
s_cut (s_build_t *build, int64_t at)
{
    s_cut_t *cut = &build->cut;
    if (cut->known && at >= cut->period.start_ms && at < cut->period.end_ms)
        return 0;
    const incentive_statement_input_t *input = build->input;
    s_cut_t fresh = { .known = true };
    if (sp_period_cut (input->tz, input->kind, at, &fresh.period) != 0 ||
        sp_period_local_day (input->tz, fresh.period.start_ms, &fresh.first_day) != 0 ||
        sp_period_local_day (input->tz, fresh.period.end_ms, &fresh.end_day) != 0)
        return -1;
    *cut = fresh;
    return 0;
}

/* Adds one earning line for credit. */
static int
s_earning (s_build_t *build, const incentive_record_credit_t *credit, const sp_period_t *period,
           const incentive_statement_plan_t *version, const char *rule,
           const incentive_rates_table_t *table, incentive_plan_measure_t measure, int64_t base,
           const incentive_rates_result_t *result)
{
    incentive_ledger_line_t *line = incentive_statement_internal_line_add (&build->current);
    if (!line)
        return s_no_memory (build);
    incentive_statement_internal_earning (line, build->current.text, &build->bands, credit, period,
                                          version, rule, table, measure, base, result);
    if (sp_period_contains (&build->period, credit->occurred_at))
        return s_used (build, line->plan_version);
    return 0;
}

/* A credit of the walk: the rep's own, a roll-up credit of the node or
   an overlay credit of the rep. */
typedef struct {
    const incentive_record_credit_t *credit;
    int64_t occurred_at; /* credit->occurred_at, here for the sort (no record read per compare) */
    bool new_logo;       /* its deal is its customer's first won deal */
    long plan; /* a roll-up or overlay credit: the plan version it is for; -1: the rep's own */
} s_item_t;

/* s_credit_plan's answer for a roll-up or overlay credit of another plan
   or version. */
#define S_NOT_FOR_IT 2

/* Items in (occurred_at, event id) order, then the rep's own first, then
   by plan. */
static int
s_compare_item (const void *left, const void *right)
{
    const s_item_t *one = left;
    const s_item_t *other = right;
    if (one->occurred_at != other->occurred_at)
        return one->occurred_at < other->occurred_at ? -1 : 1;
    int order = strcmp (one->credit->event_id, other->credit->event_id);
    if (order != 0)
        return order;
    return (one->plan > other->plan) - (one->plan < other->plan);
}

/* Applies item to plan name: 1 when a line was made, 0 when the plan
   does not pay it (why in *why), S_NOT_FOR_IT for a roll-up or overlay
   credit of another plan or version, -1 on error. */
static int
s_credit_plan (s_build_t *build, const s_item_t *item, s_running_t *running, char *why,
               size_t why_size)
{
    const incentive_statement_input_t *input = build->input;
    const incentive_record_credit_t *credit = item->credit;
    bool new_logo = item->new_logo;
    if (item->plan >= 0 && strcmp (input->plans[item->plan].name, running->name) != 0)
        return S_NOT_FOR_IT;
    long chosen = incentive_statement_internal_version (input, running->name, credit->occurred_at);
    if (chosen < 0) {
        snprintf (why, why_size, "plan %s has no version in force yet", running->name);
        return 0;
    }
    if (item->plan >= 0 && chosen != item->plan)
        return S_NOT_FOR_IT; /* the version in force gives its own roll-up credit */
    const incentive_statement_plan_t *version = &input->plans[chosen];
    const incentive_plan_t *plan = version->plan;
    if (item->plan < 0 && incentive_plan_rollup (plan, NULL)) {
        snprintf (why, why_size, "plan %s@%" PRId64 " pays org nodes on their reps' deals",
                  running->name, version->version);
        return 0;
    }
    if (item->plan < 0 && incentive_plan_overlay_count (plan) > 0) {
        snprintf (why, why_size,
                  "plan %s@%" PRId64 " pays its overlay reps on the deals of the reps it names",
                  running->name, version->version);
        return 0;
    }
    if (incentive_statement_kind (incentive_plan_period (plan)) != input->kind) {
        /* it pays on another kind of statement */
        snprintf (why, why_size, "plan %s@%" PRId64 " pays per %s, not per %s", running->name,
                  version->version,
                  sp_period_kind_name (incentive_statement_kind (incentive_plan_period (plan))),
                  sp_period_kind_name (input->kind));
        return 0;
    }
    const incentive_plan_rep_t *rep =
        incentive_statement_internal_assignment (plan, input->rep_id, input->role);
    if (!rep) {
        snprintf (why, why_size, "plan %s@%" PRId64 " does not name the rep", running->name,
                  version->version);
        return 0;
    }
    if (strcmp (incentive_plan_currency (plan), input->currency) != 0) {
        snprintf (why, why_size, "plan %s pays in %s, not the payout currency %s", running->name,
                  incentive_plan_currency (plan), input->currency);
        return 0;
    }
    if (strcmp (credit->currency, input->currency) != 0) {
        snprintf (why, why_size, "the deal is in %s, not the payout currency %s", credit->currency,
                  input->currency);
        return 0;
    }
    int64_t day;
    if (s_cut (build, credit->occurred_at) != 0 ||
        sp_period_local_day (input->tz, credit->occurred_at, &day) != 0) {
        snprintf (why, why_size, "occurred_at %" PRId64 " is outside years 1..9999",
                  credit->occurred_at);
        return 0;
    }
    const sp_period_t period = build->cut.period;
    int64_t first = build->cut.first_day, end = build->cut.end_day;
    if ((rep->has_from && day < rep->from_day) || (rep->has_to && day >= rep->to_day)) {
        snprintf (why, why_size, "the rep's assignment to plan %s does not cover the deal's day",
                  running->name);
        return 0;
    }
    int64_t active = incentive_plan_active_days (first, end, rep->has_from, rep->from_day,
                                                 rep->has_to, rep->to_day);
    if (strcmp (running->period, period.label) != 0) {
        snprintf (running->period, sizeof running->period, "%s", period.label);
        memset (running->totals, 0, sizeof running->totals);
    }
    /* the components */
    size_t components = incentive_plan_component_count (plan);
    int64_t before[INCENTIVE_PLAN_COMPONENTS_MAX];
    int64_t after[INCENTIVE_PLAN_COMPONENTS_MAX];
    int64_t moves[S_MEASURE_COUNT];
    for (int measure = 0; measure < S_MEASURE_COUNT; measure++)
        moves[measure] = s_measure_move ((incentive_plan_measure_t) measure, credit, new_logo);
    for (size_t index = 0; index < components; index++) {
        incentive_plan_measure_t measure = incentive_plan_component (plan, index)->measure;
        before[index] = running->totals[measure];
        after[index] = running->totals[measure] + moves[measure];
    }
    incentive_plan_earning_t earning;
    if (incentive_plan_earn (plan, before, after, active, end - first, &earning) != 0) {
        snprintf (why, why_size, "the deal's measures are beyond what plan %s can compute",
                  running->name);
        return 0;
    }
    for (int measure = 0; measure < S_MEASURE_COUNT; measure++)
        running->totals[measure] += moves[measure];
    running->applied = plan;
    running->component_lines = earning.line_count;
    for (size_t index = 0; index < earning.line_count; index++) {
        const incentive_rates_result_t *result = &earning.lines[index];
        bool blended = incentive_plan_attainment (plan) == INCENTIVE_PLAN_BLENDED;
        const incentive_plan_component_t *component = incentive_plan_component (plan, index);
        const incentive_rates_table_t *table =
            blended ? incentive_plan_table (plan) : &component->table;
        incentive_plan_measure_t measure = blended ? INCENTIVE_PLAN_REVENUE : component->measure;
        int64_t base = blended ? credit->revenue : moves[component->measure];
        const char *rule = blended ? INCENTIVE_PLAN_BLENDED_RULE : component->id;
        if (s_earning (build, credit, &period, version, rule, table, measure, base, result) != 0)
            return -1;
    }
    /* the SPIFFs: totals over each window, within one version */
    if (running->spiff_version != version->version) {
        running->spiff_version = version->version;
        memset (running->spiff_totals, 0, sizeof running->spiff_totals);
    }
    for (size_t index = 0; index < incentive_plan_spiff_count (plan); index++) {
        const incentive_plan_spiff_t *spiff = incentive_plan_spiff (plan, index);
        int64_t move = spiff->fixed ? 1 : moves[spiff->measure];
        if (spiff->fixed && spiff->measure == INCENTIVE_PLAN_NEW_LOGOS && !new_logo)
            continue; /* a fixed amount per new logo: only logos are eligible */
        incentive_rates_result_t result;
        int64_t spiff_before = running->spiff_totals[index];
        int outcome = incentive_plan_spiff_earn (plan, index, day, spiff_before,
                                                 spiff_before + move, &result);
        if (outcome != 0)
            continue; /* outside its window, or beyond range */
        running->spiff_totals[index] += move;
        if (s_earning (build, credit, &period, version, spiff->id, &spiff->table,
                       spiff->fixed ? INCENTIVE_PLAN_EVENTS : spiff->measure, move, &result) != 0)
            return -1;
    }
    return 1;
}

static int
s_compare_running (const void *left, const void *right)
{
    return strcmp (((const s_running_t *) left)->name, ((const s_running_t *) right)->name);
}

/* A cancellation taking its deal's credit out of the measures of the
   deal's period (plans with "attainment_drops"). */
typedef struct {
    size_t credit;                           /* its credit's position in the walk */
    const incentive_record_cancel_t *cancel; /* the cancellation */
} s_drop_t;

static int
s_compare_drop (const void *left, const void *right)
{
    const incentive_record_cancel_t *a = ((const s_drop_t *) left)->cancel;
    const incentive_record_cancel_t *b = ((const s_drop_t *) right)->cancel;
    if (a->occurred_at != b->occurred_at)
        return a->occurred_at < b->occurred_at ? -1 : 1;
    return strcmp (a->event_id, b->event_id);
}

/* The lines one plan made for a credit. */
typedef struct {
    size_t before, after; /* [before, after) of the current lines */
    size_t components;    /* the first lines of them that are its components' */
    bool held;            /* its version pays on payment */
} s_span_t;

/* Credits plans with a true-up paid, for incentive_statement_internal_true_ups. */
typedef struct {
    incentive_statement_internal_paid_t *items;
    size_t count;
    size_t capacity;
} s_paid_credits_t;

/* Notes what the plans with a true-up paid on credit (spans: the lines of
   each plan name), and, when cancel made clawbacks from clawback_start,
   what they took back. */
static int
s_note_paid (s_build_t *build, const s_item_t *item, const s_running_t *running,
             const s_span_t *spans, size_t plan_names, size_t first_line,
             const incentive_record_cancel_t *cancel, size_t clawback_start,
             s_paid_credits_t *noted)
{
    for (size_t name = 0; name < plan_names; name++) {
        const s_span_t *span = &spans[name];
        if (!running[name].true_up || span->after == span->before)
            continue;
        if (sp_array_reserve ((void **) &noted->items, &noted->capacity, noted->count + 1,
                              sizeof *noted->items, S_INITIAL) != 0)
            return s_no_memory (build);
        incentive_statement_internal_paid_t *paid = &noted->items[noted->count++];
        memset (paid, 0, sizeof *paid);
        paid->plan = running[name].name;
        paid->occurred_at = item->credit->occurred_at;
        for (int measure = 0; measure < S_MEASURE_COUNT; measure++)
            paid->moves[measure] =
                s_measure_move ((incentive_plan_measure_t) measure, item->credit, item->new_logo);
        for (size_t line = span->before; line < span->before + span->components; line++) {
            paid->paid += build->current.items[line].amount;
            /* incentive_statement_internal_clawbacks made one clawback per line of the credit, in
             * order */
            size_t clawback = clawback_start + (line - first_line);
            if (cancel && clawback < build->current.count)
                paid->clawed += build->current.items[clawback].amount;
        }
        paid->cancelled = cancel != NULL && build->current.count > clawback_start;
        paid->cancelled_at = cancel ? cancel->occurred_at : 0;
    }
    return 0;
}

/* Appends the true-up lines of the windows ended by the statement's
   period. */
static int
s_true_ups (s_build_t *build, const s_paid_credits_t *noted)
{
    incentive_ledger_line_t *lines = NULL;
    size_t count = 0;
    if (!build->current.text && !(build->current.text = incentive_ledger_text_new ()))
        return s_no_memory (build);
    if (incentive_statement_internal_true_ups (build->input, &build->period, noted->items,
                                               noted->count, build->current.text, &lines, &count,
                                               build->error, build->error_size) != 0)
        return -1;
    int result = 0;
    for (size_t index = 0; index < count && result == 0; index++) {
        incentive_ledger_line_t *line = incentive_statement_internal_line_add (&build->current);
        if (!line) {
            result = s_no_memory (build);
            break;
        }
        *line = lines[index];
        if (strcmp (line->period, build->period.label) == 0)
            result = s_used (build, line->plan_version);
    }
    free (lines);
    return result;
}

/* What a plan did with a credit (flags, per credit and plan name). */
enum { S_APPLIED = 1, S_DROPS = 2 };

/* Takes credit out of the running measures of the plans that counted it
   with "attainment_drops", when their totals are still its period's. */
static void
s_drop (const incentive_statement_input_t *input, const s_item_t *item, const unsigned char *flags,
        s_running_t *running, size_t plan_names)
{
    const incentive_record_credit_t *credit = item->credit;
    sp_period_t period;
    if (sp_period_cut (input->tz, input->kind, credit->occurred_at, &period) != 0)
        return;
    bool new_logo = item->new_logo;
    for (size_t name = 0; name < plan_names; name++) {
        if (flags[name] != (S_APPLIED | S_DROPS) || strcmp (running[name].period, period.label))
            continue;
        for (int measure = 0; measure < S_MEASURE_COUNT; measure++)
            running[name].totals[measure] -=
                s_measure_move ((incentive_plan_measure_t) measure, credit, new_logo);
    }
}

/* Every line as it is worth now, for every period up to the statement's. */
static int
s_compute (s_build_t *build)
{
    const incentive_statement_input_t *input = build->input;
    /* the texts lines share are keyed by the credits' places, freed below */
    memset (&build->bands.shared, 0, sizeof build->bands.shared);
    incentive_record_credit_t *rollups = NULL, *overlays = NULL;
    bool *rollup_logos = NULL, *overlay_logos = NULL;
    size_t *rollup_plans = NULL, *overlay_plans = NULL;
    size_t rollup_count = 0, overlay_count = 0;
    if (incentive_statement_internal_rollup (input, &rollups, &rollup_logos, &rollup_plans,
                                             &rollup_count, build->error, build->error_size) != 0 ||
        incentive_statement_internal_overlays (input, &overlays, &overlay_logos, &overlay_plans,
                                               &overlay_count, build->error,
                                               build->error_size) != 0) {
        free (rollups);
        free (rollup_logos);
        free (rollup_plans);
        free (overlays);
        free (overlay_logos);
        free (overlay_plans);
        return -1;
    }
    size_t total = input->credit_count + rollup_count + overlay_count;
    size_t credits = total ? total : 1;
    s_item_t *order = malloc (credits * sizeof *order);
    s_running_t *running = calloc (input->plan_count ? input->plan_count : 1, sizeof *running);
    const incentive_record_cancel_t **cancels =
        malloc ((input->cancel_count ? input->cancel_count : 1) * sizeof *cancels);
    const incentive_record_payment_t **payments =
        malloc ((input->payment_count ? input->payment_count : 1) * sizeof *payments);
    s_drop_t *drops = malloc (credits * sizeof *drops);
    unsigned char *flags = NULL;
    incentive_statement_release_t *releases = NULL;
    s_span_t *spans = NULL;
    s_paid_credits_t noted = { 0 };
    size_t plan_names = 0;
    size_t drop_count = 0;
    int result = -1;
    if (!order || !running || !cancels || !payments || !drops) {
        s_no_memory (build);
        goto out;
    }
    for (size_t index = 0; index < input->plan_count; index++) {
        bool known = false;
        for (size_t name = 0; name < plan_names && !known; name++)
            known = strcmp (running[name].name, input->plans[index].name) == 0;
        if (!known)
            running[plan_names++].name = input->plans[index].name;
    }
    for (size_t index = 0; index < input->plan_count; index++)
        if (incentive_plan_true_up (input->plans[index].plan, NULL))
            for (size_t name = 0; name < plan_names; name++)
                if (strcmp (running[name].name, input->plans[index].name) == 0)
                    running[name].true_up = true;
    flags = calloc (credits * (plan_names ? plan_names : 1), sizeof *flags);
    spans = calloc (plan_names ? plan_names : 1, sizeof *spans);
    if (!flags || !spans) {
        s_no_memory (build);
        goto out;
    }
    incentive_statement_internal_line_reserve (input, &build->current, total);
    for (size_t index = 0; index < input->cancel_count; index++)
        cancels[index] = &input->cancels[index];
    qsort (cancels, input->cancel_count, sizeof *cancels,
           incentive_statement_internal_compare_cancel);
    for (size_t index = 0; index < input->payment_count; index++)
        payments[index] = &input->payments[index];
    qsort (payments, input->payment_count, sizeof *payments,
           incentive_statement_internal_compare_payment);
    /* by name, not input order: "plans" and the reasons of "not_credited"
       must not depend on the order the versions are given in */
    qsort (running, plan_names, sizeof *running, s_compare_running);
    for (size_t index = 0; index < input->credit_count; index++)
        order[index] = (s_item_t){ .credit = &input->credits[index],
                                   .occurred_at = input->credits[index].occurred_at,
                                   .new_logo = input->new_logo[index],
                                   .plan = -1 };
    for (size_t index = 0; index < rollup_count; index++)
        order[input->credit_count + index] = (s_item_t){ .credit = &rollups[index],
                                                         .occurred_at = rollups[index].occurred_at,
                                                         .new_logo = rollup_logos[index],
                                                         .plan = (long) rollup_plans[index] };
    for (size_t index = 0; index < overlay_count; index++)
        order[input->credit_count + rollup_count + index] =
            (s_item_t){ .credit = &overlays[index],
                        .occurred_at = overlays[index].occurred_at,
                        .new_logo = overlay_logos[index],
                        .plan = (long) overlay_plans[index] };
    qsort (order, total, sizeof *order, s_compare_item);
    /* the cancellations in their deal's own period, in time order */
    for (size_t index = 0; index < total; index++) {
        const incentive_record_cancel_t *cancel = incentive_statement_internal_cancel_of (
            cancels, input->cancel_count, order[index].credit->event_id);
        sp_period_t won, cancelled;
        if (cancel &&
            sp_period_cut (input->tz, input->kind, order[index].credit->occurred_at, &won) == 0 &&
            sp_period_cut (input->tz, input->kind, cancel->occurred_at, &cancelled) == 0 &&
            strcmp (won.label, cancelled.label) == 0)
            drops[drop_count++] = (s_drop_t){ .credit = index, .cancel = cancel };
    }
    qsort (drops, drop_count, sizeof *drops, s_compare_drop);
    size_t next_drop = 0;
    for (size_t index = 0; index < total; index++) {
        const s_item_t *item = &order[index];
        const incentive_record_credit_t *credit = item->credit;
        if (credit->occurred_at >= build->period.end_ms)
            break; /* later periods change nothing up to the statement's */
        for (; next_drop < drop_count &&
               incentive_record_before (drops[next_drop].cancel->occurred_at,
                                        drops[next_drop].cancel->event_id, credit->occurred_at,
                                        credit->event_id);
             next_drop++)
            s_drop (input, &order[drops[next_drop].credit],
                    &flags[drops[next_drop].credit * plan_names], running, plan_names);
        size_t first_line = build->current.count;
        char why[INCENTIVE_STATEMENT_INTERNAL_REASON_SIZE] = "no plan names the rep";
        bool paid = false;
        bool answered = item->plan < 0; /* a roll-up credit's own plan said why */
        bool held = false;
        memset (spans, 0, (plan_names ? plan_names : 1) * sizeof *spans);
        for (size_t name = 0; name < plan_names; name++) {
            size_t before = build->current.count;
            int made = s_credit_plan (build, item, &running[name], why, sizeof why);
            if (made < 0)
                goto out;
            if (made == S_NOT_FOR_IT)
                continue;
            answered = true;
            paid = paid || made > 0;
            if (made == 0)
                continue;
            const incentive_plan_t *plan = running[name].applied;
            bool drops_attainment = incentive_plan_attainment_drops (plan);
            flags[index * plan_names + name] = S_APPLIED | (drops_attainment ? S_DROPS : 0);
            for (size_t line = before; line < build->current.count; line++) {
                build->current.items[line].reverse =
                    incentive_plan_clawback_reverse (plan) == INCENTIVE_PLAN_REVERSE_RECOMPUTE
                        ? INCENTIVE_LEDGER_REVERSE_RECOMPUTE
                        : INCENTIVE_LEDGER_REVERSE_PAID;
                build->current.items[line].attainment_drops = drops_attainment;
            }
            spans[name] =
                (s_span_t){ .before = before,
                            .after = build->current.count,
                            .components = running[name].component_lines,
                            .held = incentive_plan_trigger (plan) == INCENTIVE_PLAN_ON_PAYMENT };
            held = held || spans[name].held;
        }
        if (!paid && answered && s_unpaid (build, credit, "%s", why) != 0)
            goto out;
        size_t end_line = build->current.count;
        free (releases);
        releases = calloc (end_line > first_line ? end_line - first_line : 1, sizeof *releases);
        if (!releases) {
            s_no_memory (build);
            goto out;
        }
        for (size_t name = 0; held && name < plan_names; name++)
            for (size_t line = spans[name].before; spans[name].held && line < spans[name].after;
                 line++)
                releases[line - first_line].held = true;
        const incentive_record_cancel_t *cancel =
            incentive_statement_internal_cancel_of (cancels, input->cancel_count, credit->event_id);
        if (cancel && cancel->occurred_at >= build->period.end_ms)
            cancel = NULL; /* after the statement's period: not yet */
        if (held && incentive_statement_internal_releases (
                        input, &build->current, credit, cancel, first_line, end_line, releases,
                        payments, input->payment_count, build->error, build->error_size) != 0)
            goto out;
        size_t clawback_start = build->current.count;
        if (cancel && incentive_statement_internal_clawbacks (input, &build->current, cancel,
                                                              first_line, end_line, releases,
                                                              build->error, build->error_size) != 0)
            goto out;
        if (s_note_paid (build, item, running, spans, plan_names, first_line, cancel,
                         clawback_start, &noted) != 0)
            goto out;
    }
    if (noted.count > 0 && s_true_ups (build, &noted) != 0)
        goto out;
    if (build->current.text && incentive_ledger_text_failed (build->current.text)) {
        s_no_memory (build);
        goto out;
    }
    result = 0;
out:
    free (rollups);
    free (rollup_logos);
    free (rollup_plans);
    free (overlays);
    free (overlay_logos);
    free (overlay_plans);
    free (order);
    free (running);
    free (cancels);
    free (payments);
    free (drops);
    free (flags);
    free (releases);
    free (spans);
    free (noted.items);
    return result;
}

/* An adjustment in the open period for the difference between what line
   is worth now (NULL: nothing) and what was paid for id, when there is
   one and the open period is the statement's or before it. */
static int
s_delta (s_build_t *build, incentive_ledger_t *ledger, const incentive_ledger_line_t *line,
         const incentive_statement_paid_t *paid, const char *id)
{
    int64_t worth = line ? line->amount : 0;
    int64_t was = paid ? paid->amount : 0;
    if (worth == was || !build->has_open || strcmp (build->open.label, build->period.label) > 0)
        return 0;
    return incentive_statement_internal_delta (ledger, line, paid, id, build->open.label,
                                               build->input->currency, build->error,
                                               build->error_size);
}

static bool
s_closed (const incentive_statement_input_t *input, const char *label)
{
    for (size_t index = 0; index < input->closed_count; index++)
        if (strcmp (input->closed[index].label, label) == 0)
            return true;
    return false;
}

/* ---------------------------------------------------------------- building */

/* Sets the rep's draw for the statement of label, and makes every period
   from the draw's first to label known (a period without a line still
   pays the draw). */
static int
s_draw (s_build_t *build, incentive_ledger_t *ledger, const char *label)
{
    const incentive_statement_input_t *input = build->input;
    incentive_draw_terms_t terms;
    char first[SP_PERIOD_LABEL_SIZE];
    int found = incentive_statement_internal_draw (input, &build->period, &terms, first,
                                                   build->error, build->error_size);
    if (found <= 0)
        return found;
    char error[INCENTIVE_LEDGER_ERROR_SIZE];
    sp_period_t walk;
    if (sp_period_parse (input->tz, first, &walk, error, sizeof error) != 0) {
        sp_error_set (build->error, build->error_size, "draw: %s", error);
        return -1;
    }
    for (size_t step = 0; strcmp (walk.label, label) < 0; step++) {
        sp_period_t next;
        if (step == S_PERIODS_MAX || sp_period_next (input->tz, &walk, &next) != 0) {
            sp_error_set (build->error, build->error_size, "draw: %s is too far from %s", first,
                          label);
            return -1;
        }
        if (incentive_ledger_open_period (ledger, walk.label, error, sizeof error) != 0) {
            sp_error_set (build->error, build->error_size, "draw: %s", error);
            return -1;
        }
        walk = next;
    }
    if (incentive_ledger_set_draw (ledger, &terms, first, error, sizeof error) != 0) {
        sp_error_set (build->error, build->error_size, "draw: %s", error);
        return -1;
    }
    return 0;
}

incentive_ledger_statement_t *
incentive_statement_internal_build (s_build_t *build, const char *label, const char **stored)
{
    const incentive_statement_input_t *input = build->input;
    char error[INCENTIVE_LEDGER_ERROR_SIZE];
    if (sp_period_parse (input->tz, label, &build->period, error, sizeof error) != 0) {
        sp_error_set (build->error, build->error_size, "period: %s", error);
        return NULL;
    }
    if (build->period.kind != input->kind) {
        sp_error_set (build->error, build->error_size,
                      "period: \"%s\" is a %s, the plans pay per %s", label,
                      sp_period_kind_name (build->period.kind), sp_period_kind_name (input->kind));
        return NULL;
    }
    const char *document = NULL; /* set into *stored on success only */
    const char *last_closed = NULL;
    for (size_t index = 0; index < input->closed_count; index++) {
        const incentive_statement_closed_t *closed = &input->closed[index];
        if (strcmp (closed->label, label) == 0)
            document = closed->document;
        if (!last_closed || strcmp (closed->label, last_closed) > 0)
            last_closed = closed->label;
    }
    if (last_closed) {
        sp_period_t last;
        if (sp_period_parse (input->tz, last_closed, &last, error, sizeof error) != 0 ||
            sp_period_next (input->tz, &last, &build->open) != 0) {
            sp_error_set (build->error, build->error_size, "closed period %s: %s", last_closed,
                          error);
            return NULL;
        }
        build->has_open = true;
    }
    incentive_ledger_t *ledger = incentive_ledger_new (input->rep_id, input->currency);
    if (!ledger) {
        sp_error_set (build->error, build->error_size, "rep \"%s\" or currency %s refused",
                      input->rep_id, input->currency);
        return NULL;
    }
    incentive_ledger_statement_t *statement = NULL;
    for (size_t index = 0; index < input->closed_count; index++) {
        const incentive_statement_closed_t *closed = &input->closed[index];
        if (incentive_ledger_open_period (ledger, closed->label, error, sizeof error) != 0) {
            sp_error_set (build->error, build->error_size, "closed period: %s", error);
            goto out;
        }
        if (closed->document &&
            incentive_statement_internal_closed_lines (ledger, closed, &build->paid, build->error,
                                                       build->error_size) != 0)
            goto out;
    }
    /* the draw before the closes: the ledger refuses it over a closed period */
    if (s_draw (build, ledger, label) != 0)
        goto out;
    for (size_t index = 0; index < input->closed_count; index++)
        incentive_ledger_close_period (ledger, input->closed[index].label, error, sizeof error);
    incentive_statement_internal_paid_merge (&build->paid);
    if (incentive_ledger_open_period (ledger, label, error, sizeof error) != 0 ||
        s_compute (build) != 0)
        goto out;
    /* lines of closed periods become adjustments; the others up to the
       statement's period move into the ledger (kept in place, in order) */
    incentive_ledger_line_t *items = build->current.items;
    size_t kept = 0;
    for (size_t index = 0; index < build->current.count; index++) {
        const incentive_ledger_line_t *line = &items[index];
        if (strcmp (line->period, label) > 0)
            continue; /* after the statement's period */
        if (s_closed (input, line->period)) {
            incentive_statement_paid_t *paid =
                incentive_statement_internal_paid_find (&build->paid, line->id);
            if (paid)
                paid->seen = true;
            if (s_delta (build, ledger, line, paid, line->id) != 0)
                goto out;
            continue;
        }
        if (kept != index)
            items[kept] = *line;
        kept++;
    }
    size_t capacity = build->current.capacity;
    incentive_ledger_text_t *text = build->current.text;
    build->current = (incentive_statement_line_list_t){ NULL, 0, 0, NULL };
    if (incentive_ledger_post_all (ledger, &items, kept, capacity, &text, NULL, error,
                                   sizeof error) != 0) {
        sp_error_set (build->error, build->error_size, "%s", error);
        goto out;
    }
    for (size_t index = 0; index < build->paid.count; index++) {
        const incentive_statement_paid_t *paid = &build->paid.items[index];
        if (!paid->seen && s_delta (build, ledger, NULL, paid, paid->id) != 0)
            goto out;
    }
    statement = incentive_ledger_statement_take (ledger, label, error, sizeof error);
    if (!statement)
        sp_error_set (build->error, build->error_size, "%s", error);
    else
        *stored = document;
out:
    incentive_ledger_destroy (&ledger);
    return statement;
}

incentive_ledger_statement_t *
incentive_statement_build (const incentive_statement_input_t *input, const char *period,
                           const char **stored, char *error, size_t error_size)
{
    assert (input && period && stored);
    s_build_t build = { .input = input, .error = error, .error_size = error_size };
    incentive_ledger_statement_t *statement =
        incentive_statement_internal_build (&build, period, stored);
    incentive_statement_internal_build_free (&build);
    return statement;
}

int
incentive_statement_internal_lines (const incentive_statement_input_t *input, const char *period,
                                    incentive_ledger_line_t **lines, incentive_ledger_text_t **text,
                                    size_t *count, char *error, size_t error_size)
{
    assert (input && period && lines && text && count);
    s_build_t build = { .input = input, .error = error, .error_size = error_size };
    char reason[INCENTIVE_LEDGER_ERROR_SIZE];
    int result = -1;
    if (sp_period_parse (input->tz, period, &build.period, reason, sizeof reason) != 0)
        sp_error_set (error, error_size, "period: %s", reason);
    else if (build.period.kind != input->kind)
        sp_error_set (error, error_size, "period: \"%s\" is a %s, the plans pay per %s", period,
                      sp_period_kind_name (build.period.kind), sp_period_kind_name (input->kind));
    else if (s_compute (&build) == 0) {
        *lines = build.current.items;
        *text = build.current.text;
        *count = build.current.count;
        build.current.items = NULL;
        build.current.text = NULL;
        result = 0;
    }
    incentive_statement_internal_build_free (&build);
    return result;
}
