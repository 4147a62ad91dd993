/*  incentive_statement_true_up - the true-up lines of a statement
    (docs/incentives.md, "True-up"): for a plan with "true_up", in the
    last period of each quarter (or year) window, what the plan's tables
    earn on the window's cumulative measures minus what the window's
    periods paid on the same credits. Part of incentive_statement (see
    incentive_statement_internal.h).
*/
#include "incentive_statement_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_array.h"
#include "sp_error.h"
#include "sp_money.h"

#define S_INITIAL 8
#define S_MONEY_TEXT_SIZE 40
#define S_MONTHS_PER_QUARTER 3
#define S_MONTHS_PER_YEAR 12
#define S_QUARTERS_PER_YEAR 4

/* Periods of kind in a window of window_kind (a longer kind). */
static int64_t
s_periods (sp_period_kind_t kind, sp_period_kind_t window_kind)
{
    if (kind == SP_PERIOD_QUARTER)
        return S_QUARTERS_PER_YEAR;
    return window_kind == SP_PERIOD_QUARTER ? S_MONTHS_PER_QUARTER : S_MONTHS_PER_YEAR;
}

static void
s_money_text (int64_t amount, const char *currency, char *text)
{
    if (sp_money_format (amount, currency, text, S_MONEY_TEXT_SIZE) != SP_MONEY_OK)
        snprintf (text, S_MONEY_TEXT_SIZE, "%" PRId64 " minor units", amount);
}

typedef struct {
    incentive_ledger_line_t *items;
    size_t count;
    size_t capacity;
    incentive_ledger_text_t *text; /* where their text goes */
} s_lines_t;

/* The true-up of plan over window (of window_kind), from the credits paid
   (count) of the plan: a line added to lines when it is not 0. */
static int
s_window (const incentive_statement_input_t *input, const char *plan, sp_period_kind_t window_kind,
          const sp_period_t *window, const sp_period_t *last,
          const incentive_statement_internal_paid_t *paid, size_t count, s_lines_t *lines,
          char *error, size_t error_size)
{
    long chosen = incentive_statement_internal_version (input, plan, window->end_ms - 1);
    if (chosen < 0)
        return 0;
    const incentive_statement_plan_t *version = &input->plans[chosen];
    incentive_plan_period_t true_up;
    if (!incentive_plan_true_up (version->plan, &true_up) ||
        incentive_statement_kind (true_up) != window_kind ||
        incentive_statement_kind (incentive_plan_period (version->plan)) != input->kind ||
        strcmp (incentive_plan_currency (version->plan), input->currency) != 0)
        return 0; /* the version closing the window settles no such window */
    const incentive_plan_rep_t *rep =
        incentive_statement_internal_assignment (version->plan, input->rep_id, input->role);
    int64_t first_day, end_day;
    if (!rep || sp_period_local_day (input->tz, window->start_ms, &first_day) != 0 ||
        sp_period_local_day (input->tz, window->end_ms, &end_day) != 0)
        return 0;
    int64_t active = incentive_plan_active_days (first_day, end_day, rep->has_from, rep->from_day,
                                                 rep->has_to, rep->to_day);
    if (active < 1)
        return 0;
    /* the window's measures: its credits not cancelled within it */
    int64_t sums[INCENTIVE_STATEMENT_INTERNAL_MEASURES] = { 0 };
    int64_t was_paid = 0;
    for (size_t index = 0; index < count; index++) {
        const incentive_statement_internal_paid_t *credit = &paid[index];
        bool cancelled = credit->cancelled && credit->cancelled_at < window->end_ms;
        was_paid += credit->paid + (cancelled ? credit->clawed : 0);
        for (int measure = 0; !cancelled && measure < INCENTIVE_STATEMENT_INTERNAL_MEASURES;
             measure++)
            sums[measure] += credit->moves[measure];
    }
    size_t components = incentive_plan_component_count (version->plan);
    int64_t totals[INCENTIVE_PLAN_COMPONENTS_MAX];
    for (size_t index = 0; index < components; index++)
        totals[index] = sums[incentive_plan_component (version->plan, index)->measure];
    incentive_plan_earning_t earning;
    if (incentive_plan_earn_window (version->plan, s_periods (input->kind, window_kind), totals,
                                    active, end_day - first_day, &earning) != 0) {
        sp_error_set (error, error_size,
                      "true-up of %s over %s: the window's measures are beyond what it can "
                      "compute",
                      plan, window->label);
        return -1;
    }
    int64_t amount = earning.total - was_paid;
    if (amount == 0)
        return 0;
    if (sp_array_reserve ((void **) &lines->items, &lines->capacity, lines->count + 1,
                          sizeof *lines->items, S_INITIAL) != 0) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    incentive_ledger_line_t *line = &lines->items[lines->count++];
    incentive_ledger_text_t *text = lines->text;
    incentive_ledger_line_init (line);
    line->id = incentive_ledger_text_format (text, INCENTIVE_LEDGER_ID_SIZE, "true-up/%s/%s", plan,
                                             window->label);
    line->kind = INCENTIVE_LEDGER_TRUE_UP;
    line->period = incentive_ledger_text_copy (text, last->label, INCENTIVE_LEDGER_PERIOD_SIZE);
    line->origin_period = line->period;
    line->occurred_at = window->end_ms - 1; /* after every line of the window */
    line->amount = amount;
    line->plan_version = incentive_ledger_text_format (text, INCENTIVE_LEDGER_NAME_SIZE,
                                                       "%s@%" PRId64, plan, version->version);
    line->type = "true_up";
    char earned_text[S_MONEY_TEXT_SIZE], paid_text[S_MONEY_TEXT_SIZE];
    s_money_text (earning.total, input->currency, earned_text);
    s_money_text (was_paid, input->currency, paid_text);
    line->reason = incentive_ledger_text_format (
        text, INCENTIVE_LEDGER_TEXT_SIZE,
        "%s over %s: earned %s on the %s's cumulative measures, %s paid in its periods",
        line->plan_version, window->label, earned_text, sp_period_kind_name (window_kind),
        paid_text);
    if (incentive_ledger_text_failed (text)) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    return 0;
}

int
incentive_statement_internal_true_ups (const incentive_statement_input_t *input,
                                       const sp_period_t *through,
                                       const incentive_statement_internal_paid_t *paid,
                                       size_t count, incentive_ledger_text_t *text,
                                       incentive_ledger_line_t **lines, size_t *line_count,
                                       char *error, size_t error_size)
{
    assert (input && through && (paid || count == 0) && text && lines && line_count);
    s_lines_t made = { .text = text };
    const sp_period_kind_t kinds[] = { SP_PERIOD_QUARTER, SP_PERIOD_YEAR };
    /* for each plan name and window kind, the runs of credits in one window */
    for (size_t start = 0; start < count; start++) {
        bool seen = false; /* this plan name was handled at an earlier start */
        for (size_t before = 0; before < start && !seen; before++)
            seen = strcmp (paid[before].plan, paid[start].plan) == 0;
        if (seen)
            continue;
        for (size_t kind = 0; kind < sizeof kinds / sizeof kinds[0]; kind++) {
            if (kinds[kind] <= input->kind)
                continue; /* a window is longer than the plan's period */
            /* the plan's credits, in time order, cut into windows */
            size_t at = start;
            while (at < count) {
                sp_period_t window, last;
                if (sp_period_cut (input->tz, kinds[kind], paid[at].occurred_at, &window) != 0 ||
                    sp_period_cut (input->tz, input->kind, window.end_ms - 1, &last) != 0) {
                    at++;
                    continue;
                }
                /* this window's credits of the plan, gathered */
                incentive_statement_internal_paid_t *in = malloc ((count - at) * sizeof *in);
                if (!in) {
                    free (made.items);
                    sp_error_set (error, error_size, "out of memory");
                    return -1;
                }
                size_t in_count = 0;
                size_t next = count;
                for (size_t index = at; index < count; index++) {
                    if (strcmp (paid[index].plan, paid[start].plan) != 0)
                        continue;
                    if (sp_period_contains (&window, paid[index].occurred_at))
                        in[in_count++] = paid[index];
                    else if (paid[index].occurred_at >= window.end_ms && next == count)
                        next = index;
                }
                int result = 0;
                if (strcmp (last.label, through->label) <= 0)
                    result = s_window (input, paid[start].plan, kinds[kind], &window, &last, in,
                                       in_count, &made, error, error_size);
                free (in);
                if (result != 0) {
                    free (made.items);
                    return -1;
                }
                at = next;
            }
        }
    }
    *lines = made.items;
    *line_count = made.count;
    return 0;
}
