/*  incentive_contest - a SPIFF's leaderboard from the statements' lines
    (see incentive_contest.h). */
#include "incentive_contest.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incentive_statement_internal.h"
#include "sp_civil.h"
#include "sp_error.h"

const incentive_statement_plan_t *
incentive_contest_find (const incentive_statement_plan_t *plans, size_t count, const char *plan,
                        const char *spiff_id, size_t *spiff)
{
    assert ((plans || count == 0) && plan && spiff_id && spiff);
    const incentive_statement_plan_t *found = NULL;
    for (size_t index = 0; index < count; index++) {
        const incentive_statement_plan_t *version = &plans[index];
        if (strcmp (version->name, plan) != 0 || (found && found->version > version->version))
            continue;
        for (size_t at = 0; at < incentive_plan_spiff_count (version->plan); at++)
            if (strcmp (incentive_plan_spiff (version->plan, at)->id, spiff_id) == 0) {
                found = version;
                *spiff = at;
            }
    }
    return found;
}

/* The label of the period of kind holding day (a local day number). */
static int
s_period_of_day (const sp_tz_t *tz, sp_period_kind_t kind, int64_t day, char *label, char *error,
                 size_t error_size)
{
    char date[SP_CIVIL_DATE_LABEL_SIZE];
    if (sp_civil_date_label (day, date) != 0) {
        sp_error_set (error, error_size, "day %" PRId64 " is outside years 1..9999", day);
        return -1;
    }
    sp_civil_date_t civil = sp_civil_date_from_days (day);
    char text[SP_PERIOD_LABEL_SIZE * 2]; /* a year of 4 digits (sp_civil_date_label checked) */
    if (kind == SP_PERIOD_MONTH)
        snprintf (text, sizeof text, "%04" PRId64 "-%02d", civil.year, civil.month);
    else if (kind == SP_PERIOD_QUARTER)
        snprintf (text, sizeof text, "%04" PRId64 "-Q%d", civil.year, (civil.month - 1) / 3 + 1);
    else
        snprintf (text, sizeof text, "%04" PRId64, civil.year);
    sp_period_t period;
    char reason[INCENTIVE_CONTEST_ERROR_SIZE];
    if (sp_period_parse (tz, text, &period, reason, sizeof reason) != 0) {
        sp_error_set (error, error_size, "%s: %s", date, reason);
        return -1;
    }
    snprintf (label, SP_PERIOD_LABEL_SIZE, "%s", period.label);
    return 0;
}

int
incentive_contest_window (const sp_tz_t *tz, sp_period_kind_t kind,
                          const incentive_plan_spiff_t *spiff, char *first, char *last, char *error,
                          size_t error_size)
{
    assert (tz && spiff && first && last);
    assert (spiff->to_day > spiff->from_day);
    return s_period_of_day (tz, kind, spiff->from_day, first, error, error_size) == 0 &&
                   s_period_of_day (tz, kind, spiff->to_day - 1, last, error, error_size) == 0
               ? 0
               : -1;
}

/* True when line is the rule spiff_id of a version of plan. */
static bool
s_of_spiff (const incentive_ledger_line_t *line, const char *plan, const char *spiff_id)
{
    size_t length = strlen (plan);
    return (line->kind == INCENTIVE_LEDGER_EARNING || line->kind == INCENTIVE_LEDGER_CLAWBACK) &&
           strcmp (line->rule_id, spiff_id) == 0 &&
           strncmp (line->plan_version, plan, length) == 0 && line->plan_version[length] == '@';
}

int
incentive_contest_standing (const incentive_statement_input_t *input, const char *plan,
                            const char *spiff_id, const char *last,
                            incentive_contest_standing_t *standing, char *error, size_t error_size)
{
    assert (input && plan && spiff_id && last && standing);
    incentive_ledger_line_t *lines = NULL;
    incentive_ledger_text_t *text = NULL;
    size_t count = 0;
    if (incentive_statement_internal_lines (input, last, &lines, &text, &count, error,
                                            error_size) != 0)
        return -1;
    incentive_contest_standing_t result = { .rank = 0 };
    snprintf (result.rep_id, sizeof result.rep_id, "%s", input->rep_id);
    for (size_t index = 0; index < count; index++) {
        const incentive_ledger_line_t *line = &lines[index];
        if (!s_of_spiff (line, plan, spiff_id) || strcmp (line->period, last) > 0)
            continue;
        bool earning = line->kind == INCENTIVE_LEDGER_EARNING;
        result.value += earning ? line->base : -line->base;
        result.deals += earning ? 1 : -1;
        result.earning += line->amount;
        if (!earning)
            continue;
        /* a deal clawed back through the window's last period no longer counts */
        bool reversed = false;
        for (size_t other = 0; other < count && !reversed; other++)
            reversed = lines[other].kind == INCENTIVE_LEDGER_CLAWBACK &&
                       strcmp (lines[other].link, line->id) == 0 &&
                       strcmp (lines[other].period, last) <= 0;
        if (!reversed && (!result.reached || line->occurred_at > result.reached_at)) {
            result.reached = true;
            result.reached_at = line->occurred_at;
        }
    }
    free (lines);
    incentive_ledger_text_destroy (&text);
    *standing = result;
    return 0;
}

/* Leaderboard order: value, then earning, descending; then the earlier
   to reach it (a rep with no deal last); then rep id. */
static int
s_compare_standing (const void *left, const void *right)
{
    const incentive_contest_standing_t *a = left;
    const incentive_contest_standing_t *b = right;
    if (a->value != b->value)
        return a->value > b->value ? -1 : 1;
    if (a->earning != b->earning)
        return a->earning > b->earning ? -1 : 1;
    if (a->reached != b->reached)
        return a->reached ? -1 : 1;
    if (a->reached && a->reached_at != b->reached_at)
        return a->reached_at < b->reached_at ? -1 : 1;
    return strcmp (a->rep_id, b->rep_id);
}

void
incentive_contest_rank (incentive_contest_standing_t *standings, size_t count)
{
    assert (standings || count == 0);
    if (count == 0)
        return;
    qsort (standings, count, sizeof *standings, s_compare_standing);
    for (size_t index = 0; index < count; index++)
        standings[index].rank = index + 1;
}
