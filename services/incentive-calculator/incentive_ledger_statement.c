/*  incentive_ledger_statement - what is paid out of a ledger.

    Part of incentive_ledger (declared in incentive_ledger.h): paid to
    date and the true-up over a window of periods, the statement of a
    period (its stored lines in statement order, then the lines derived by
    settling the draw over every period up to it) and the statement's
    JSON. Kept apart from the storage, posting and cancellations
    (incentive_ledger.c) so that each file stays small; what the two share
    is in incentive_ledger_internal.h.
*/
#include "incentive_ledger_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incentive_draw.h"
#include "sp_error.h"

/* Type of the carried-deficit lines a statement derives. */
#define S_TYPE_DEFICIT "deficit_carried"
/* Decimals of a credit share shown as a percentage (bp = 0.01 %). */
#define S_PERCENT_DECIMALS 2
/* Room for an exact decimal as text: sign, 19 + 19 digits, point, NUL. */
#define S_DECIMAL_TEXT_SIZE 48

// ---------------------------------------------------------------- true-up

/* Posted commission: every stored line counts (none is derived). */
int64_t
incentive_ledger_paid_to_date (const incentive_ledger_t *self, const char *const *window,
                               size_t count)
{
    assert (self);
    assert (window || count == 0);
    int64_t paid = 0;
    for (size_t index = 0; index < self->line_count; index++)
        for (size_t period = 0; period < count; period++)
            if (strcmp (self->lines[index].period, window[period]) == 0)
                paid += self->lines[index].amount;
    return paid;
}

int64_t
incentive_ledger_true_up (const incentive_ledger_t *self, const char *const *window, size_t count,
                          int64_t earned_to_date)
{
    return earned_to_date - incentive_ledger_paid_to_date (self, window, count);
}

// ---------------------------------------------------------------- statements

/* Statement order: occurred_at, event id, line id. */
static int
s_compare_lines (const void *left, const void *right)
{
    const incentive_ledger_line_t *a = left;
    const incentive_ledger_line_t *b = right;
    if (a->occurred_at != b->occurred_at)
        return a->occurred_at < b->occurred_at ? -1 : 1;
    int order = strcmp (a->event_id, b->event_id);
    return order ? order : strcmp (a->id, b->id);
}

/* A derived line of the statement of period. */
static void
s_derived (incentive_ledger_line_t *line, incentive_ledger_kind_t kind, const char *prefix,
           const char *period, int64_t amount, int64_t draw, const incentive_draw_period_t *settled)
{
    memset (line, 0, sizeof *line);
    snprintf (line->id, sizeof line->id, "%s:%s", prefix, period);
    line->kind = kind;
    snprintf (line->period, sizeof line->period, "%s", period);
    snprintf (line->origin_period, sizeof line->origin_period, "%s", period);
    line->amount = amount;
    line->draw_amount = draw;
    line->period_commission = settled->earnings;
    line->balance_before = settled->balance_before;
    line->balance_after = settled->balance_after;
}

void
incentive_ledger_statement_destroy (incentive_ledger_statement_t **self_p)
{
    assert (self_p);
    incentive_ledger_statement_t *self = *self_p;
    if (!self)
        return;
    free (self->lines);
    free (self);
    *self_p = NULL;
}

/* The lines of period for its statement, with room for the derived ones
   (deficit, draw, recovery) after them: copied from self, or, when taken
   is self, moved out of it (its lines are compacted in place and handed
   over; self is left without lines). Adds each period's posted
   commission to earnings (target: period's index). NULL when out of
   memory. */
static incentive_ledger_line_t *
s_period_lines (const incentive_ledger_t *self, incentive_ledger_t *taken, const char *period,
                size_t target, int64_t *earnings, size_t *count)
{
    size_t line_count = 0;
    for (size_t index = 0; index < self->line_count; index++) {
        const incentive_ledger_line_t *line = &self->lines[index];
        int order = strcmp (line->period, period);
        if (order > 0)
            continue;
        if (order == 0) {
            earnings[target] += line->amount;
            line_count++;
            continue;
        }
        bool found;
        size_t at = incentive_ledger_internal_period_search (self, line->period, &found);
        assert (found && at < target);
        earnings[at] += line->amount;
    }
    *count = line_count;
    if (!taken) {
        incentive_ledger_line_t *lines = calloc (line_count + 3, sizeof *lines);
        if (!lines)
            return NULL;
        line_count = 0;
        for (size_t index = 0; index < self->line_count; index++)
            if (strcmp (self->lines[index].period, period) == 0)
                lines[line_count++] = self->lines[index];
        return lines;
    }
    assert (taken == self);
    incentive_ledger_line_t *lines = taken->lines;
    size_t kept = 0;
    for (size_t index = 0; index < taken->line_count; index++) {
        if (strcmp (lines[index].period, period) != 0)
            continue;
        if (kept != index)
            lines[kept] = lines[index];
        kept++;
    }
    size_t capacity = taken->line_capacity;
    taken->lines = NULL;
    taken->line_count = 0;
    taken->line_capacity = 0;
    if (taken->slots)
        memset (taken->slots, 0, taken->slot_count * sizeof taken->slots[0]);
    if (kept + 3 > capacity) {
        incentive_ledger_line_t *grown = realloc (lines, (kept + 3) * sizeof *grown);
        if (!grown) {
            free (lines);
            return NULL;
        }
        lines = grown;
    }
    memset (&lines[kept], 0, 3 * sizeof *lines);
    return lines;
}

/* The statement of period, its lines copied from self or, when taken is
   self, moved out of it. */
static incentive_ledger_statement_t *
s_statement (const incentive_ledger_t *self, incentive_ledger_t *taken, const char *period,
             char *error, size_t error_size)
{
    assert (self);
    if (incentive_ledger_internal_label_check (self, "period", period, error, error_size) != 0)
        return NULL;

    /* The periods to settle: every known one up to period, and period. */
    bool known;
    size_t target = incentive_ledger_internal_period_search (self, period, &known);
    size_t count = target + 1;
    incentive_ledger_statement_t *statement = calloc (1, sizeof *statement);
    int64_t *earnings = calloc (count, sizeof *earnings);
    incentive_ledger_line_t *lines = NULL;
    size_t line_count = 0;
    if (statement && earnings)
        lines = s_period_lines (self, taken, period, target, earnings, &line_count);
    if (!statement || !earnings || !lines) {
        if (taken && taken->lines) { /* consumed, as on success */
            free (taken->lines);
            taken->lines = NULL;
            taken->line_count = taken->line_capacity = 0;
        }
        sp_error_set (error, error_size, "out of memory");
        goto out_fail;
    }
    qsort (lines, line_count, sizeof lines[0], s_compare_lines);

    /* Settle the periods in order; a period's index counts from the draw's
       first period (negative before it). */
    incentive_draw_terms_t terms;
    incentive_draw_terms_none (&terms);
    int64_t first = 0;
    if (self->has_draw) {
        terms = self->draw;
        bool found;
        first = (int64_t) incentive_ledger_internal_period_search (self, self->draw_first, &found);
        assert (found);
    }
    incentive_draw_period_t settled = { 0 };
    int64_t balance = 0;
    for (size_t index = 0; index < count; index++) {
        if (incentive_draw_settle (&terms, (int64_t) index - first, balance, earnings[index],
                                   &settled) != 0) {
            sp_error_set (error, error_size, "period \"%s\": balance out of range", period);
            goto out_fail;
        }
        balance = settled.balance_after;
    }

    if (settled.deficit > 0) {
        incentive_ledger_line_t *line = &lines[line_count++];
        s_derived (line, INCENTIVE_LEDGER_ADJUSTMENT, S_TYPE_DEFICIT, period, settled.deficit,
                   terms.amount, &settled);
        snprintf (line->type, sizeof line->type, "%s", S_TYPE_DEFICIT);
        snprintf (line->reason, sizeof line->reason,
                  "negative commission carried to the balance owed");
    }
    if (settled.advance > 0)
        s_derived (&lines[line_count++], INCENTIVE_LEDGER_DRAW, "draw", period, settled.advance,
                   terms.amount, &settled);
    if (settled.recovery > 0)
        s_derived (&lines[line_count++], INCENTIVE_LEDGER_RECOVERY, "recovery", period,
                   -settled.recovery, terms.amount, &settled);

    snprintf (statement->rep_id, sizeof statement->rep_id, "%s", self->rep_id);
    snprintf (statement->currency, sizeof statement->currency, "%s", self->currency);
    snprintf (statement->period, sizeof statement->period, "%s", period);
    statement->closed = incentive_ledger_closed (self, period);
    statement->opening_balance = settled.balance_before;
    statement->lines = lines;
    statement->line_count = line_count;
    statement->commission = settled.earnings;
    statement->advances = settled.advance + settled.deficit;
    statement->recoveries = -settled.recovery;
    statement->closing_balance = settled.balance_after;
    for (size_t index = 0; index < line_count; index++)
        statement->net_payout += lines[index].amount;
    assert (statement->net_payout == settled.pay);
    free (earnings);
    return statement;

out_fail:
    free (lines);
    free (earnings);
    free (statement);
    return NULL;
}

incentive_ledger_statement_t *
incentive_ledger_statement (const incentive_ledger_t *self, const char *period, char *error,
                            size_t error_size)
{
    return s_statement (self, NULL, period, error, error_size);
}

incentive_ledger_statement_t *
incentive_ledger_statement_take (incentive_ledger_t *self, const char *period, char *error,
                                 size_t error_size)
{
    return s_statement (self, self, period, error, error_size);
}

// ---------------------------------------------------------------- JSON

/* Writes magnitude's decimal digits ending at end; returns the first. */
static char *
s_digits (uint64_t magnitude, char *end)
{
    do {
        *--end = (char) ('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    return end;
}

/* value as exact decimal text ("-0.05"), as "%s%llu.%0*llu" writes it. */
static void
s_decimal_text (incentive_ledger_decimal_t value, char *buffer, size_t size)
{
    assert (incentive_ledger_internal_decimal_valid (value));
    assert (size >= S_DECIMAL_TEXT_SIZE);
    uint64_t magnitude = value.units < 0 ? 0 - (uint64_t) value.units : (uint64_t) value.units;
    uint64_t scale = 1;
    for (int digit = 0; digit < value.decimals; digit++)
        scale *= 10;
    char digits[S_DECIMAL_TEXT_SIZE];
    char *end = digits + sizeof digits;
    char *start = end;
    if (value.decimals > 0) {
        char *fraction = s_digits (magnitude % scale, end);
        while (end - fraction < value.decimals)
            *--fraction = '0';
        *--fraction = '.';
        start = fraction;
    }
    start = s_digits (value.decimals > 0 ? magnitude / scale : magnitude, start);
    if (value.units < 0)
        *--start = '-';
    size_t length = (size_t) (end - start);
    memcpy (buffer, start, length);
    buffer[length] = '\0';
}

/* The keys of the statement's members are literals needing no escape:
   written as they are, their length known when compiled. */
#define S_KEY(out, key) sp_json_text_key_plain ((out), "" key, sizeof (key) - 1)
#define S_MEMBER_STRING(out, key, value) s_string ((out), "" key, sizeof (key) - 1, (value))
#define S_MEMBER_INTEGER(out, key, value) s_integer ((out), "" key, sizeof (key) - 1, (value))
#define S_MEMBER_DECIMAL(out, key, value) s_decimal ((out), "" key, sizeof (key) - 1, (value))

static void
s_string (sp_json_text_t *out, const char *key, size_t length, const char *value)
{
    sp_json_text_key_plain (out, key, length);
    sp_json_text_string (out, value);
}

static void
s_integer (sp_json_text_t *out, const char *key, size_t length, int64_t value)
{
    sp_json_text_key_plain (out, key, length);
    sp_json_text_integer (out, value);
}

static void
s_decimal (sp_json_text_t *out, const char *key, size_t length, incentive_ledger_decimal_t value)
{
    char text[S_DECIMAL_TEXT_SIZE];
    s_decimal_text (value, text, sizeof text);
    s_string (out, key, length, text);
}

/* The explanation of an earning, also carried by its clawback. */
static void
s_explain_earning (sp_json_text_t *out, const incentive_ledger_line_t *line)
{
    incentive_ledger_decimal_t percent = { line->credit_bp, S_PERCENT_DECIMALS };
    S_MEMBER_STRING (out, "deal", line->deal);
    S_MEMBER_DECIMAL (out, "credit_percent", percent);
    S_MEMBER_STRING (out, "measure", line->measure);
    S_MEMBER_INTEGER (out, "base", line->base);
    S_MEMBER_DECIMAL (out, "attainment_before", line->attainment_before);
    S_MEMBER_DECIMAL (out, "attainment_after", line->attainment_after);
    S_MEMBER_STRING (out, "band", line->band);
    if (line->has_rate)
        S_MEMBER_DECIMAL (out, "rate", line->rate);
    else {
        S_KEY (out, "rate");
        sp_json_text_null (out);
    }
    S_MEMBER_STRING (out, "mode", line->mode);
    S_MEMBER_STRING (out, "rule_id", line->rule_id);
    S_MEMBER_STRING (out, "plan_version", line->plan_version);
}

static void
s_line_json (sp_json_text_t *out, const incentive_ledger_line_t *line)
{
    const char *reverse =
        line->reverse == INCENTIVE_LEDGER_REVERSE_RECOMPUTE ? "recompute" : "paid";
    sp_json_text_open (out, '{');
    S_MEMBER_STRING (out, "id", line->id);
    S_MEMBER_STRING (out, "kind", incentive_ledger_kind_name (line->kind));
    S_MEMBER_STRING (out, "period", line->period);
    S_MEMBER_STRING (out, "origin_period", line->origin_period);
    S_MEMBER_INTEGER (out, "occurred_at", line->occurred_at);
    S_MEMBER_STRING (out, "event_id", line->event_id);
    S_MEMBER_INTEGER (out, "amount", line->amount);
    S_KEY (out, "explanation");
    sp_json_text_open (out, '{');
    if (incentive_ledger_internal_is_earning (line) || incentive_ledger_internal_is_clawback (line))
        s_explain_earning (out, line);
    if (incentive_ledger_internal_is_clawback (line)) {
        S_MEMBER_STRING (out, "reverses", line->link);
        S_MEMBER_STRING (out, "reversal", reverse);
        S_KEY (out, "attainment_drops");
        sp_json_text_bool (out, line->attainment_drops);
    }
    if (line->kind == INCENTIVE_LEDGER_ADJUSTMENT || line->kind == INCENTIVE_LEDGER_CLAWBACK ||
        line->kind == INCENTIVE_LEDGER_TRUE_UP) {
        S_MEMBER_STRING (out, "type", line->type);
        S_MEMBER_STRING (out, "reason", line->reason);
        S_MEMBER_STRING (out, "link", line->link);
    }
    if (line->kind == INCENTIVE_LEDGER_ADJUSTMENT &&
        strcmp (line->type, INCENTIVE_LEDGER_INTERNAL_TYPE_LATE) == 0)
        S_MEMBER_STRING (out, "adjusts", incentive_ledger_kind_name (line->adjusts));
    if (line->kind == INCENTIVE_LEDGER_DRAW || line->kind == INCENTIVE_LEDGER_RECOVERY ||
        strcmp (line->type, S_TYPE_DEFICIT) == 0) {
        S_MEMBER_INTEGER (out, "draw", line->draw_amount);
        S_MEMBER_INTEGER (out, "commission", line->period_commission);
        S_MEMBER_INTEGER (out, "balance_before", line->balance_before);
        S_MEMBER_INTEGER (out, "balance_after", line->balance_after);
    }
    sp_json_text_close (out, '}');
    sp_json_text_close (out, '}');
}

void
incentive_ledger_statement_write (const incentive_ledger_statement_t *statement,
                                  sp_json_text_t *out)
{
    assert (statement && out);
    sp_json_text_open (out, '{');
    S_MEMBER_STRING (out, "rep_id", statement->rep_id);
    S_MEMBER_STRING (out, "period", statement->period);
    S_MEMBER_STRING (out, "currency", statement->currency);
    S_KEY (out, "closed");
    sp_json_text_bool (out, statement->closed);
    S_MEMBER_INTEGER (out, "opening_balance", statement->opening_balance);
    S_KEY (out, "lines");
    sp_json_text_open (out, '[');
    for (size_t index = 0; index < statement->line_count; index++)
        s_line_json (out, &statement->lines[index]);
    sp_json_text_close (out, ']');
    S_MEMBER_INTEGER (out, "commission", statement->commission);
    S_MEMBER_INTEGER (out, "advances", statement->advances);
    S_MEMBER_INTEGER (out, "recoveries", statement->recoveries);
    S_MEMBER_INTEGER (out, "closing_balance", statement->closing_balance);
    S_MEMBER_INTEGER (out, "net_payout", statement->net_payout);
}

char *
incentive_ledger_statement_json (const incentive_ledger_statement_t *statement)
{
    assert (statement);
    sp_json_text_t out = sp_json_text_new ();
    incentive_ledger_statement_write (statement, &out);
    sp_json_text_close (&out, '}');
    return sp_json_text_finish (&out);
}
