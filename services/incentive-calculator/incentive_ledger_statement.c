/*  incentive_ledger_statement - what is paid out of a ledger.

    Part of incentive_ledger (declared in incentive_ledger.h): paid to
    date and the true-up over a window of periods, the statement of a
    period (its stored lines in statement order, then the lines derived by
    settling the draw over every period up to it) and the statement's
    JSON. Kept apart from the storage, posting and cancellations
    (incentive_ledger.c) so that each file stays small; what the two share
    is in incentive_ledger_internal.h. The store of the lines' text
    (incentive_ledger_text_t) is here too: ledgers and statements both
    hold one.
*/
#include "incentive_ledger_internal.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incentive_draw.h"
#include "sp_error.h"

/* Type of the carried-deficit lines a statement derives. */
#define S_SORT_MOVES_PER_LINE 4 /* moves of an insertion sort before qsort takes over */
#define S_QUOTES 16             /* shared texts kept quoted while a statement is written */
#define S_QUOTED_SIZE 96        /* bytes of the longest kept, quotes and NUL included */
#define S_TYPE_DEFICIT "deficit_carried"
/* Decimals of a credit share shown as a percentage (bp = 0.01 %). */
#define S_PERCENT_DECIMALS 2
/* Room for an exact decimal as text: sign, 19 + 19 digits, point, NUL. */
#define S_DECIMAL_TEXT_SIZE 48
/* Bytes of a block of text (a longer text gets a block of its own). */
#define S_TEXT_BLOCK 65536
/* Room of the largest field, for the text formatted into one. */
#define S_TEXT_FORMAT_MAX 512

// ---------------------------------------------------------------- text

/* A block of text: size bytes after the header, used of them written. */
typedef struct s_text_block_t {
    struct s_text_block_t *next; /* the block filled before it */
    size_t used;                 /* bytes written */
    size_t size;                 /* bytes allocated after the header */
    char bytes[];                /* NUL-terminated texts, one after another */
} s_text_block_t;

struct _incentive_ledger_text_t {
    s_text_block_t *blocks; /* the block being filled first */
    bool failed;            /* a copy failed for want of memory */
};

/* The text of every empty field (never written: blocks hold the others). */
static const char s_empty[] = "";

incentive_ledger_text_t *
incentive_ledger_text_new (void)
{
    return calloc (1, sizeof (incentive_ledger_text_t));
}

void
incentive_ledger_text_destroy (incentive_ledger_text_t **self_p)
{
    assert (self_p);
    incentive_ledger_text_t *self = *self_p;
    if (!self)
        return;
    while (self->blocks) {
        s_text_block_t *next = self->blocks->next;
        free (self->blocks);
        self->blocks = next;
    }
    free (self);
    *self_p = NULL;
}

/* Room for length bytes and a NUL, or NULL (remembered) when out of
   memory. A text longer than a block gets a block of its own, put
   behind the one being filled, which goes on being filled. */
static char *
s_text_room (incentive_ledger_text_t *self, size_t length)
{
    s_text_block_t *block = self->blocks;
    if (!block || block->size - block->used < length + 1) {
        size_t size = length + 1 > S_TEXT_BLOCK ? length + 1 : S_TEXT_BLOCK;
        s_text_block_t *fresh = malloc (sizeof *fresh + size);
        if (!fresh) {
            self->failed = true;
            return NULL;
        }
        fresh->used = 0;
        fresh->size = size;
        if (block && size > S_TEXT_BLOCK) {
            fresh->next = block->next;
            block->next = fresh;
        }
        else {
            fresh->next = block;
            self->blocks = fresh;
        }
        block = fresh;
    }
    char *room = block->bytes + block->used;
    block->used += length + 1;
    return room;
}

const char *
incentive_ledger_text_copy (incentive_ledger_text_t *self, const char *text, size_t size)
{
    assert (self && size > 0);
    if (!text || !*text)
        return s_empty;
    size_t length = strnlen (text, size - 1);
    char *room = s_text_room (self, length);
    if (!room)
        return s_empty;
    memcpy (room, text, length);
    room[length] = '\0';
    return room;
}

const char *
incentive_ledger_text_format (incentive_ledger_text_t *self, size_t size, const char *format, ...)
{
    assert (self && size > 0 && size <= S_TEXT_FORMAT_MAX);
    char text[S_TEXT_FORMAT_MAX];
    va_list arguments;
    va_start (arguments, format);
    vsnprintf (text, size, format, arguments);
    va_end (arguments);
    return incentive_ledger_text_copy (self, text, size);
}

bool
incentive_ledger_text_failed (const incentive_ledger_text_t *self)
{
    assert (self);
    return self->failed;
}

void
incentive_ledger_text_absorb (incentive_ledger_text_t *self, incentive_ledger_text_t **other_p)
{
    assert (self && other_p);
    incentive_ledger_text_t *other = *other_p;
    if (!other)
        return;
    if (other->blocks) {
        s_text_block_t *last = other->blocks;
        while (last->next)
            last = last->next;
        /* behind the block being filled, which goes on being filled */
        if (self->blocks) {
            last->next = self->blocks->next;
            self->blocks->next = other->blocks;
        }
        else
            self->blocks = other->blocks;
        other->blocks = NULL;
    }
    self->failed = self->failed || other->failed;
    incentive_ledger_text_destroy (other_p);
}

void
incentive_ledger_line_init (incentive_ledger_line_t *line)
{
    assert (line);
    memset (line, 0, sizeof *line);
    line->id = line->period = line->origin_period = line->event_id = s_empty;
    line->deal = line->measure = line->band = line->mode = line->rule_id = s_empty;
    line->plan_version = line->type = line->reason = line->link = s_empty;
}

void
incentive_ledger_line_text_copy (incentive_ledger_text_t *text, incentive_ledger_line_t *line)
{
    assert (text && line);
    line->id = incentive_ledger_text_copy (text, line->id, INCENTIVE_LEDGER_ID_SIZE);
    line->period = incentive_ledger_text_copy (text, line->period, INCENTIVE_LEDGER_PERIOD_SIZE);
    line->origin_period =
        incentive_ledger_text_copy (text, line->origin_period, INCENTIVE_LEDGER_PERIOD_SIZE);
    line->event_id = incentive_ledger_text_copy (text, line->event_id, INCENTIVE_LEDGER_REF_SIZE);
    line->deal = incentive_ledger_text_copy (text, line->deal, INCENTIVE_LEDGER_REF_SIZE);
    line->measure = incentive_ledger_text_copy (text, line->measure, INCENTIVE_LEDGER_NAME_SIZE);
    line->band = incentive_ledger_text_copy (text, line->band, INCENTIVE_LEDGER_NAME_SIZE);
    line->mode = incentive_ledger_text_copy (text, line->mode, INCENTIVE_LEDGER_NAME_SIZE);
    line->rule_id = incentive_ledger_text_copy (text, line->rule_id, INCENTIVE_LEDGER_NAME_SIZE);
    line->plan_version =
        incentive_ledger_text_copy (text, line->plan_version, INCENTIVE_LEDGER_NAME_SIZE);
    line->type = incentive_ledger_text_copy (text, line->type, INCENTIVE_LEDGER_NAME_SIZE);
    line->reason = incentive_ledger_text_copy (text, line->reason, INCENTIVE_LEDGER_TEXT_SIZE);
    line->link = incentive_ledger_text_copy (text, line->link, INCENTIVE_LEDGER_ID_SIZE);
}

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

/* Sorts lines (count) in statement order. They mostly come in it
   already (made in time order; a deal's lines by rule, while a line id
   may sort before its neighbour's): an insertion sort finishes them in
   about one pass, and hands over to qsort when they are far from it
   (more than S_SORT_MOVES_PER_LINE moves a line). Line ids are unique,
   so every sort gives the same order. */
static void
s_sort_lines (incentive_ledger_line_t *lines, size_t count)
{
    size_t budget = count * S_SORT_MOVES_PER_LINE;
    for (size_t index = 1; index < count; index++) {
        if (s_compare_lines (&lines[index - 1], &lines[index]) <= 0)
            continue;
        incentive_ledger_line_t line = lines[index];
        size_t at = index;
        while (at > 0 && budget > 0 && s_compare_lines (&lines[at - 1], &line) > 0) {
            lines[at] = lines[at - 1];
            at--;
            budget--;
        }
        lines[at] = line;
        if (budget == 0) {
            qsort (lines, count, sizeof lines[0], s_compare_lines);
            return;
        }
    }
}

/* A derived line of the statement of period, its text in text. */
static void
s_derived (incentive_ledger_text_t *text, incentive_ledger_line_t *line,
           incentive_ledger_kind_t kind, const char *prefix, const char *period, int64_t amount,
           int64_t draw, const incentive_draw_period_t *settled)
{
    incentive_ledger_line_init (line);
    line->id =
        incentive_ledger_text_format (text, INCENTIVE_LEDGER_ID_SIZE, "%s:%s", prefix, period);
    line->kind = kind;
    line->period = incentive_ledger_text_copy (text, period, INCENTIVE_LEDGER_PERIOD_SIZE);
    line->origin_period = line->period;
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
    incentive_ledger_text_destroy (&self->text);
    free (self);
    *self_p = NULL;
}

/* The lines of period for its statement, with room for the derived ones
   (deficit, draw, recovery) after them: copied from self (their text
   into text), or, when taken is self, moved out of it (its lines are
   compacted in place and handed over; self is left without lines).
   Adds each period's posted commission to earnings (target: period's
   index). NULL when out of memory. */
static incentive_ledger_line_t *
s_period_lines (const incentive_ledger_t *self, incentive_ledger_t *taken, const char *period,
                size_t target, incentive_ledger_text_t *text, int64_t *earnings, size_t *count)
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
            if (strcmp (self->lines[index].period, period) == 0) {
                lines[line_count] = self->lines[index];
                incentive_ledger_line_text_copy (text, &lines[line_count++]);
            }
        if (incentive_ledger_text_failed (text)) {
            free (lines);
            return NULL;
        }
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
    /* the statement's text: the ledger's, when its lines are taken (the
       ledger gets a new store), or a store of copies */
    incentive_ledger_text_t *text = incentive_ledger_text_new ();
    if (statement && text) {
        statement->text = taken ? taken->text : text;
        if (taken)
            taken->text = text;
        text = NULL;
    }
    incentive_ledger_text_destroy (&text);
    if (statement && earnings && statement->text)
        lines =
            s_period_lines (self, taken, period, target, statement->text, earnings, &line_count);
    if (!statement || !earnings || !lines) {
        if (taken && taken->lines) { /* consumed, as on success */
            free (taken->lines);
            taken->lines = NULL;
            taken->line_count = taken->line_capacity = 0;
        }
        sp_error_set (error, error_size, "out of memory");
        goto out_fail;
    }
    s_sort_lines (lines, line_count);

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
        s_derived (statement->text, line, INCENTIVE_LEDGER_ADJUSTMENT, S_TYPE_DEFICIT, period,
                   settled.deficit, terms.amount, &settled);
        line->type = S_TYPE_DEFICIT;
        line->reason = "negative commission carried to the balance owed";
    }
    if (settled.advance > 0)
        s_derived (statement->text, &lines[line_count++], INCENTIVE_LEDGER_DRAW, "draw", period,
                   settled.advance, terms.amount, &settled);
    if (settled.recovery > 0)
        s_derived (statement->text, &lines[line_count++], INCENTIVE_LEDGER_RECOVERY, "recovery",
                   period, -settled.recovery, terms.amount, &settled);
    if (incentive_ledger_text_failed (statement->text)) {
        sp_error_set (error, error_size, "out of memory");
        goto out_fail;
    }

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
    if (statement)
        incentive_ledger_text_destroy (&statement->text);
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

/* A text many lines share (the same pointer: a statement's period, band,
   rule, plan version and names), as a JSON string literal, kept while
   one statement is written: quoted once, not once per line. */
typedef struct {
    const char *text; /* NULL: the entry is empty */
    char quoted[S_QUOTED_SIZE];
} s_quote_t;

typedef struct {
    s_quote_t entries[S_QUOTES]; /* searched by the text's address */
    size_t next;                 /* the entry a text not kept replaces */
} s_quotes_t;

/* The member key: value, value quoted from quotes (its text's address
   is its key: a statement's texts do not change while it is written). */
static void
s_shared (sp_json_text_t *out, const char *key, size_t length, const char *value,
          s_quotes_t *quotes)
{
    if (!value) {
        s_string (out, key, length, value);
        return;
    }
    /* searched, not hashed by address: two texts a statement uses on
       every line must never take turns in one entry */
    s_quote_t *entry = NULL;
    for (size_t index = 0; index < S_QUOTES && !entry; index++)
        if (quotes->entries[index].text == value)
            entry = &quotes->entries[index];
    if (!entry) {
        entry = &quotes->entries[quotes->next];
        quotes->next = (quotes->next + 1) % S_QUOTES;
        entry->text = NULL;
        sp_json_text_t quoted = sp_json_text_new ();
        sp_json_text_string (&quoted, value);
        if (quoted.failed || quoted.length >= sizeof entry->quoted) {
            sp_json_text_discard (&quoted);
            s_string (out, key, length, value); /* too long to keep: written as it is */
            return;
        }
        memcpy (entry->quoted, quoted.data, quoted.length);
        entry->quoted[quoted.length] = '\0';
        entry->text = value;
        sp_json_text_discard (&quoted);
    }
    sp_json_text_key_plain (out, key, length);
    sp_json_text_raw (out, entry->quoted);
}

#define S_MEMBER_SHARED(out, key, value, quotes)                                                   \
    s_shared ((out), "" key, sizeof (key) - 1, (value), (quotes))

/* The explanation of an earning, also carried by its clawback. */
static void
s_explain_earning (sp_json_text_t *out, const incentive_ledger_line_t *line, s_quotes_t *quotes)
{
    incentive_ledger_decimal_t percent = { line->credit_bp, S_PERCENT_DECIMALS };
    S_MEMBER_STRING (out, "deal", line->deal);
    S_MEMBER_DECIMAL (out, "credit_percent", percent);
    S_MEMBER_SHARED (out, "measure", line->measure, quotes);
    S_MEMBER_INTEGER (out, "base", line->base);
    S_MEMBER_DECIMAL (out, "attainment_before", line->attainment_before);
    S_MEMBER_DECIMAL (out, "attainment_after", line->attainment_after);
    S_MEMBER_SHARED (out, "band", line->band, quotes);
    if (line->has_rate)
        S_MEMBER_DECIMAL (out, "rate", line->rate);
    else {
        S_KEY (out, "rate");
        sp_json_text_null (out);
    }
    S_MEMBER_SHARED (out, "mode", line->mode, quotes);
    S_MEMBER_SHARED (out, "rule_id", line->rule_id, quotes);
    S_MEMBER_SHARED (out, "plan_version", line->plan_version, quotes);
}

static void
s_line_json (sp_json_text_t *out, const incentive_ledger_line_t *line, s_quotes_t *quotes)
{
    const char *reverse =
        line->reverse == INCENTIVE_LEDGER_REVERSE_RECOMPUTE ? "recompute" : "paid";
    sp_json_text_open (out, '{');
    S_MEMBER_STRING (out, "id", line->id);
    S_MEMBER_SHARED (out, "kind", incentive_ledger_kind_name (line->kind), quotes);
    S_MEMBER_SHARED (out, "period", line->period, quotes);
    S_MEMBER_SHARED (out, "origin_period", line->origin_period, quotes);
    S_MEMBER_INTEGER (out, "occurred_at", line->occurred_at);
    S_MEMBER_STRING (out, "event_id", line->event_id);
    S_MEMBER_INTEGER (out, "amount", line->amount);
    S_KEY (out, "explanation");
    sp_json_text_open (out, '{');
    if (incentive_ledger_internal_is_earning (line) || incentive_ledger_internal_is_clawback (line))
        s_explain_earning (out, line, quotes);
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
    incentive_ledger_statement_write_flushing (statement, out, NULL, NULL);
}

void
incentive_ledger_statement_write_flushing (const incentive_ledger_statement_t *statement,
                                           sp_json_text_t *out, incentive_ledger_flush_fn *flush,
                                           void *arg)
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
    s_quotes_t quotes = { .entries = { { .text = NULL } }, .next = 0 };
    for (size_t index = 0; index < statement->line_count; index++) {
        s_line_json (out, &statement->lines[index], &quotes);
        if (flush)
            flush (out, arg);
    }
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
