/*  incentive_ledger - one rep's ledger (see incentive_ledger.h and
    docs/incentive-ledger.md): its storage, posting and cancellations,
    which route a line of a closed period to the open one.

    Lines live in one array in arrival order with an open-addressing index
    on their ids; periods in an array sorted by label; cancellations in
    arrival order. Nothing a statement shows depends on those orders: the
    statement sorts its lines and settles the periods in label order.

    The periods (labels, opening and closing, incentive_ledger_route) and
    the draw's terms are in incentive_ledger_periods.c; paid to date, the
    true-up and the statements (with their draw settlement and JSON) in
    incentive_ledger_statement.c; the struct and the helpers the files
    share are in incentive_ledger_internal.h.
*/
#include "incentive_ledger_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_event.h"
#include "sp_money.h"
#include "sp_round.h"

/* 128-bit intermediates (GCC and Clang). */
typedef __int128 s_wide_t;

/* Type of the clawback lines the ledger writes itself. */
#define S_TYPE_CLAWBACK "clawback"

static const char *const s_kind_names[INCENTIVE_LEDGER_KIND_COUNT] = {
    [INCENTIVE_LEDGER_EARNING] = "earning",       [INCENTIVE_LEDGER_CLAWBACK] = "clawback",
    [INCENTIVE_LEDGER_ADJUSTMENT] = "adjustment", [INCENTIVE_LEDGER_DRAW] = "draw",
    [INCENTIVE_LEDGER_RECOVERY] = "recovery",     [INCENTIVE_LEDGER_TRUE_UP] = "true_up",
};

const char *
incentive_ledger_kind_name (incentive_ledger_kind_t kind)
{
    if ((int) kind < 0 || (int) kind >= INCENTIVE_LEDGER_KIND_COUNT)
        return NULL;
    return s_kind_names[kind];
}

// ---------------------------------------------------------------- arithmetic

static bool
s_amount_valid (int64_t amount)
{
    return amount >= -SP_MONEY_MAX_MINOR && amount <= SP_MONEY_MAX_MINOR;
}

bool
incentive_ledger_internal_decimal_valid (incentive_ledger_decimal_t value)
{
    return value.decimals >= 0 && value.decimals <= INCENTIVE_LEDGER_DECIMALS_MAX;
}

int
incentive_ledger_apply_rate (int64_t amount, incentive_ledger_decimal_t rate, int64_t *result)
{
    assert (result);
    if (!incentive_ledger_internal_decimal_valid (rate) || !s_amount_valid (amount))
        return -1;
    s_wide_t scale = 1;
    for (int digit = 0; digit < rate.decimals; digit++)
        scale *= 10;
    s_wide_t value = sp_round_divide ((s_wide_t) amount * rate.units, scale);
    if (value < -SP_MONEY_MAX_MINOR || value > SP_MONEY_MAX_MINOR)
        return -1;
    *result = (int64_t) value;
    return 0;
}

// ---------------------------------------------------------------- routing

/* incentive_ledger_route over the ledger's own closed periods. */
static const char *
s_route (const incentive_ledger_t *self, const char *period, const char *open_period)
{
    if (!incentive_ledger_closed (self, period))
        return period;
    if (open_period && !incentive_ledger_closed (self, open_period))
        return open_period;
    return NULL;
}

// ---------------------------------------------------------------- line index

/* FNV-1a of a line id. */
static uint64_t
s_hash (const char *text)
{
    uint64_t hash = UINT64_C (14695981039346656037);
    for (const unsigned char *byte = (const unsigned char *) text; *byte; byte++) {
        hash ^= *byte;
        hash *= UINT64_C (1099511628211);
    }
    return hash;
}

/* The slot holding id, or the empty slot where it would go. */
static size_t *
s_slot (const incentive_ledger_t *self, const char *id)
{
    assert (self->slot_count > 0);
    size_t mask = self->slot_count - 1;
    size_t index = (size_t) s_hash (id) & mask;
    while (self->slots[index] != 0) {
        if (strcmp (self->lines[self->slots[index] - 1].id, id) == 0)
            break;
        index = (index + 1) & mask;
    }
    return &self->slots[index];
}

/* The line with id, or NULL. */
static incentive_ledger_line_t *
s_line_find (const incentive_ledger_t *self, const char *id)
{
    if (self->slot_count == 0)
        return NULL;
    size_t position = *s_slot (self, id);
    return position ? &self->lines[position - 1] : NULL;
}

/* Refills the index from the lines, in place (no allocation). */
static void
s_index_refill (incentive_ledger_t *self)
{
    memset (self->slots, 0, self->slot_count * sizeof self->slots[0]);
    for (size_t position = 0; position < self->line_count; position++)
        *s_slot (self, self->lines[position].id) = position + 1;
}

/* Rebuilds the index with room for at least count lines at half load. */
static int
s_index_rebuild (incentive_ledger_t *self, size_t count)
{
    size_t slot_count = INCENTIVE_LEDGER_INTERNAL_INITIAL_CAPACITY;
    while (slot_count < 2 * count)
        slot_count *= 2;
    size_t *slots = calloc (slot_count, sizeof *slots);
    if (!slots)
        return -1;
    free (self->slots);
    self->slots = slots;
    self->slot_count = slot_count;
    s_index_refill (self);
    return 0;
}

/* Makes room for extra more lines (array and index). */
static int
s_lines_reserve (incentive_ledger_t *self, size_t extra)
{
    size_t needed = self->line_count + extra;
    if (needed > self->line_capacity) {
        size_t capacity =
            self->line_capacity ? self->line_capacity : INCENTIVE_LEDGER_INTERNAL_INITIAL_CAPACITY;
        while (capacity < needed)
            capacity *= 2;
        incentive_ledger_line_t *lines = realloc (self->lines, capacity * sizeof *lines);
        if (!lines)
            return -1;
        self->lines = lines;
        self->line_capacity = capacity;
    }
    if (2 * needed > self->slot_count)
        return s_index_rebuild (self, needed);
    return 0;
}

/* Appends a checked line whose id is new, after s_lines_reserve. */
static void
s_line_append (incentive_ledger_t *self, const incentive_ledger_line_t *line)
{
    assert (self->line_count < self->line_capacity);
    assert (2 * (self->line_count + 1) <= self->slot_count);
    size_t *slot = s_slot (self, line->id);
    assert (*slot == 0);
    self->lines[self->line_count] = *line;
    *slot = ++self->line_count;
}

// ---------------------------------------------------------------- lines

/* True when text is a NUL-terminated, valid UTF-8 string within size.
   ASCII (nearly every text of a line) is valid as it is: the UTF-8 check
   runs only on a text holding other bytes. */
static bool
s_text_valid (const char *text, size_t size)
{
    unsigned char high = 0;
    size_t length = 0;
    while (length < size && text[length]) {
        high |= (unsigned char) text[length];
        length++;
    }
    return length < size && ((high & 0x80) == 0 || sp_event_utf8_valid (text, length));
}

/* A line posted late of kind: an adjustment that remembers the kind. */
static bool
s_late (const incentive_ledger_line_t *line, incentive_ledger_kind_t kind)
{
    return line->kind == INCENTIVE_LEDGER_ADJUSTMENT && line->adjusts == kind &&
           strcmp (line->type, INCENTIVE_LEDGER_INTERNAL_TYPE_LATE) == 0;
}

/* An earning, on time or late: what a cancellation reverses. */
bool
incentive_ledger_internal_is_earning (const incentive_ledger_line_t *line)
{
    return line->kind == INCENTIVE_LEDGER_EARNING || s_late (line, INCENTIVE_LEDGER_EARNING);
}

bool
incentive_ledger_internal_is_clawback (const incentive_ledger_line_t *line)
{
    return line->kind == INCENTIVE_LEDGER_CLAWBACK || s_late (line, INCENTIVE_LEDGER_CLAWBACK);
}

/* A line's text fields left NULL read as "". */
static void
s_line_defaults (incentive_ledger_line_t *line)
{
    const char **texts[] = { &line->id,           &line->period, &line->origin_period,
                             &line->event_id,     &line->deal,   &line->measure,
                             &line->band,         &line->mode,   &line->rule_id,
                             &line->plan_version, &line->type,   &line->reason,
                             &line->link };
    for (size_t index = 0; index < sizeof texts / sizeof texts[0]; index++)
        if (!*texts[index])
            *texts[index] = "";
}

/* The text fields of a line s_line_check checks, with their sizes. */
#define S_CHECKED_TEXTS 10

typedef struct {
    const char *text;
    size_t size;
} s_checked_text_t;

static void
s_checked_texts (const incentive_ledger_line_t *line, s_checked_text_t *texts)
{
    const s_checked_text_t all[S_CHECKED_TEXTS] = {
        { line->event_id, INCENTIVE_LEDGER_REF_SIZE },
        { line->deal, INCENTIVE_LEDGER_REF_SIZE },
        { line->measure, INCENTIVE_LEDGER_NAME_SIZE },
        { line->band, INCENTIVE_LEDGER_NAME_SIZE },
        { line->mode, INCENTIVE_LEDGER_NAME_SIZE },
        { line->rule_id, INCENTIVE_LEDGER_NAME_SIZE },
        { line->plan_version, INCENTIVE_LEDGER_NAME_SIZE },
        { line->type, INCENTIVE_LEDGER_NAME_SIZE },
        { line->reason, INCENTIVE_LEDGER_TEXT_SIZE },
        { line->link, INCENTIVE_LEDGER_ID_SIZE },
    };
    memcpy (texts, all, sizeof all);
}

/* Checks a line given to incentive_ledger_post (its defaults set). With
   checked, a line of the same batch that passed: a text the line shares
   with it (the same pointer: a statement's lines share their period,
   rule, plan version, band and names) passed already. */
static int
s_line_check (const incentive_ledger_t *self, const incentive_ledger_line_t *line,
              const incentive_ledger_line_t *checked, char *error, size_t error_size)
{
    size_t id_length = strnlen (line->id, INCENTIVE_LEDGER_ID_SIZE);
    if (id_length == 0 || id_length > INCENTIVE_LEDGER_LINE_ID_MAX ||
        !sp_event_utf8_valid (line->id, id_length)) {
        sp_error_set (error, error_size, "line id: must be 1 to %d bytes of UTF-8",
                      INCENTIVE_LEDGER_LINE_ID_MAX);
        return -1;
    }
    bool linked_clawback = line->kind == INCENTIVE_LEDGER_CLAWBACK && line->link[0];
    if (line->kind != INCENTIVE_LEDGER_EARNING && line->kind != INCENTIVE_LEDGER_ADJUSTMENT &&
        line->kind != INCENTIVE_LEDGER_TRUE_UP && !linked_clawback) {
        sp_error_set (error, error_size,
                      "line \"%s\": kind %d cannot be posted (earning, adjustment, true_up, or "
                      "a clawback linked to its line)",
                      line->id, (int) line->kind);
        return -1;
    }
    if (line->kind == INCENTIVE_LEDGER_ADJUSTMENT &&
        ((int) line->adjusts < 0 || (int) line->adjusts >= INCENTIVE_LEDGER_KIND_COUNT)) {
        sp_error_set (error, error_size, "line \"%s\": adjusts an unknown kind", line->id);
        return -1;
    }
    if ((!checked || line->period != checked->period) &&
        incentive_ledger_internal_label_check (self, "line period", line->period, error,
                                               error_size) != 0)
        return -1;
    if (line->origin_period[0] && line->origin_period != line->period &&
        (!checked || line->origin_period != checked->origin_period) &&
        incentive_ledger_internal_label_check (self, "line origin period", line->origin_period,
                                               error, error_size) != 0)
        return -1;
    if (!s_amount_valid (line->amount) || !s_amount_valid (line->base)) {
        sp_error_set (error, error_size, "line \"%s\": amount or base out of range", line->id);
        return -1;
    }
    if (line->credit_bp < 0 || !incentive_ledger_internal_decimal_valid (line->rate) ||
        !incentive_ledger_internal_decimal_valid (line->attainment_before) ||
        !incentive_ledger_internal_decimal_valid (line->attainment_after)) {
        sp_error_set (error, error_size, "line \"%s\": credit, rate or attainment out of range",
                      line->id);
        return -1;
    }
    s_checked_text_t texts[S_CHECKED_TEXTS];
    s_checked_text_t passed[S_CHECKED_TEXTS];
    s_checked_texts (line, texts);
    if (checked)
        s_checked_texts (checked, passed);
    for (size_t index = 0; index < S_CHECKED_TEXTS; index++) {
        if (checked && texts[index].text == passed[index].text)
            continue;
        if (!s_text_valid (texts[index].text, texts[index].size)) {
            sp_error_set (error, error_size, "line \"%s\": a text field is too long or not UTF-8",
                          line->id);
            return -1;
        }
    }
    return 0;
}

/* The cancellation that reverses won_event_id: the earliest by
   (occurred_at, event id); NULL when none. */
static const incentive_ledger_cancel_t *
s_effective_cancel (const incentive_ledger_t *self, const char *won_event_id)
{
    const incentive_ledger_cancel_t *best = NULL;
    for (size_t index = 0; index < self->cancel_count; index++) {
        const incentive_ledger_cancel_t *cancel = &self->cancels[index];
        if (strcmp (cancel->won_event_id, won_event_id) != 0)
            continue;
        if (!best || cancel->occurred_at < best->occurred_at ||
            (cancel->occurred_at == best->occurred_at &&
             strcmp (cancel->event_id, best->event_id) < 0))
            best = cancel;
    }
    return best;
}

/* The clawback of original by cancel, routed to its period, its text
   in the ledger's store (original's shared with it). */
static int
s_clawback_make (const incentive_ledger_t *self, const incentive_ledger_line_t *original,
                 const incentive_ledger_cancel_t *cancel, const char *open_period,
                 incentive_ledger_line_t *out, char *error, size_t error_size)
{
    incentive_ledger_text_t *text = self->text;
    const char *period = s_route (self, cancel->period, open_period);
    if (!period) {
        sp_error_set (error, error_size,
                      "cancellation \"%s\": period \"%s\" is closed and no open period is given",
                      cancel->event_id, cancel->period);
        return -1;
    }
    int64_t reversed = original->amount;
    if (cancel->reverse == INCENTIVE_LEDGER_REVERSE_RECOMPUTE && original->has_rate &&
        incentive_ledger_apply_rate (original->base, original->rate, &reversed) != 0) {
        sp_error_set (error, error_size, "clawback of \"%s\": recomputed amount out of range",
                      original->id);
        return -1;
    }
    incentive_ledger_line_init (out);
    out->id =
        incentive_ledger_text_format (text, INCENTIVE_LEDGER_ID_SIZE, "%s/%.*s", cancel->event_id,
                                      INCENTIVE_LEDGER_LINE_ID_MAX, original->id);
    out->kind = INCENTIVE_LEDGER_CLAWBACK;
    out->period = incentive_ledger_text_copy (text, period, INCENTIVE_LEDGER_PERIOD_SIZE);
    out->origin_period =
        incentive_ledger_text_copy (text, cancel->period, INCENTIVE_LEDGER_PERIOD_SIZE);
    out->occurred_at = cancel->occurred_at;
    out->event_id = incentive_ledger_text_copy (text, cancel->event_id, INCENTIVE_LEDGER_REF_SIZE);
    out->amount = -reversed;
    out->deal = original->deal;
    out->credit_bp = original->credit_bp;
    out->measure = original->measure;
    out->base = original->base;
    out->attainment_before = original->attainment_before;
    out->attainment_after = original->attainment_after;
    out->band = original->band;
    out->has_rate = original->has_rate;
    out->rate = original->rate;
    out->mode = original->mode;
    out->rule_id = original->rule_id;
    out->plan_version = original->plan_version;
    out->type = S_TYPE_CLAWBACK;
    out->reason = incentive_ledger_text_copy (text, cancel->reason, INCENTIVE_LEDGER_TEXT_SIZE);
    out->link = original->id;
    out->reverse = cancel->reverse;
    out->attainment_drops = cancel->attainment_drops;
    if (strcmp (period, cancel->period) != 0) {
        out->kind = INCENTIVE_LEDGER_ADJUSTMENT;
        out->adjusts = INCENTIVE_LEDGER_CLAWBACK;
        out->type = INCENTIVE_LEDGER_INTERNAL_TYPE_LATE;
    }
    if (incentive_ledger_text_failed (text)) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    return 0;
}

/* The clawback already posted for original, or NULL. */
static incentive_ledger_line_t *
s_clawback_of (const incentive_ledger_t *self, const char *original_id)
{
    for (size_t index = 0; index < self->line_count; index++)
        if (incentive_ledger_internal_is_clawback (&self->lines[index]) &&
            strcmp (self->lines[index].link, original_id) == 0)
            return &self->lines[index];
    return NULL;
}

int
incentive_ledger_post (incentive_ledger_t *self, const incentive_ledger_line_t *given,
                       const char *open_period, char *error, size_t error_size)
{
    assert (self);
    assert (given);
    incentive_ledger_line_t defaulted = *given;
    s_line_defaults (&defaulted);
    const incentive_ledger_line_t *line = &defaulted;
    if (s_line_check (self, line, NULL, error, error_size) != 0)
        return -1;
    const incentive_ledger_line_t *existing = s_line_find (self, line->id);
    if (existing) {
        if (strcmp (existing->event_id, line->event_id) == 0 && existing->amount == line->amount)
            return 1;
        sp_error_set (error, error_size, "line \"%s\": already posted with another event or amount",
                      line->id);
        return -1;
    }
    if (open_period && incentive_ledger_internal_label_check (self, "open period", open_period,
                                                              error, error_size) != 0)
        return -1;
    const char *period = s_route (self, line->period, open_period);
    if (!period) {
        sp_error_set (error, error_size,
                      "line \"%s\": period \"%s\" is closed and no open period is given", line->id,
                      line->period);
        return -1;
    }

    incentive_ledger_line_t posted = *line;
    incentive_ledger_line_text_copy (self->text, &posted);
    if (!posted.origin_period[0])
        posted.origin_period = posted.period;
    if (period != line->period) {
        posted.adjusts = line->kind;
        posted.kind = INCENTIVE_LEDGER_ADJUSTMENT;
        posted.period =
            incentive_ledger_text_copy (self->text, period, INCENTIVE_LEDGER_PERIOD_SIZE);
        posted.type = INCENTIVE_LEDGER_INTERNAL_TYPE_LATE;
        if (!posted.reason[0])
            posted.reason =
                incentive_ledger_text_format (self->text, INCENTIVE_LEDGER_TEXT_SIZE,
                                              "posted after period %s closed", line->period);
    }
    if (incentive_ledger_text_failed (self->text)) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    /* Its clawback, when its deal is already cancelled. */
    incentive_ledger_line_t clawback;
    bool has_clawback = false;
    const incentive_ledger_cancel_t *cancel =
        incentive_ledger_internal_is_earning (&posted) && posted.event_id[0]
            ? s_effective_cancel (self, posted.event_id)
            : NULL;
    if (cancel) {
        if (s_clawback_make (self, &posted, cancel, open_period, &clawback, error, error_size) != 0)
            return -1;
        if (s_line_find (self, clawback.id)) {
            sp_error_set (error, error_size, "line \"%s\": already posted", clawback.id);
            return -1;
        }
        has_clawback = true;
    }
    if (s_lines_reserve (self, 2) != 0 ||
        incentive_ledger_internal_period_add (self, posted.period) < 0 ||
        (has_clawback && incentive_ledger_internal_period_add (self, clawback.period) < 0)) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    s_line_append (self, &posted);
    if (has_clawback)
        s_line_append (self, &clawback);
    return 0;
}

/* The line of the batch posting at position: the ledger's own before
   the batch, then the batch's. */
static const incentive_ledger_line_t *
s_batch_line (const incentive_ledger_t *self, const incentive_ledger_line_t *batch, size_t position)
{
    return position < self->line_count ? &self->lines[position]
                                       : &batch[position - self->line_count];
}

/* Marks in skip the lines of batch that are already there (in the
   ledger or earlier in the batch) with the same event and amount, as
   incentive_ledger_post answers 1 for them. Returns 0, or -1 with the
   reason when one is there with another event or amount. */
static int
s_batch_duplicates (const incentive_ledger_t *self, const incentive_ledger_line_t *batch,
                    size_t count, bool *skip, size_t *slots, size_t slot_count, char *error,
                    size_t error_size)
{
    size_t total = self->line_count + count;
    int result = 0;
    for (size_t position = 0; position < total && result == 0; position++) {
        const incentive_ledger_line_t *line = s_batch_line (self, batch, position);
        size_t index = (size_t) s_hash (line->id) & (slot_count - 1);
        while (slots[index] != 0 &&
               strcmp (s_batch_line (self, batch, slots[index] - 1)->id, line->id) != 0)
            index = (index + 1) & (slot_count - 1);
        if (slots[index] == 0) {
            slots[index] = position + 1;
            continue;
        }
        const incentive_ledger_line_t *existing = s_batch_line (self, batch, slots[index] - 1);
        if (strcmp (existing->event_id, line->event_id) == 0 && existing->amount == line->amount)
            skip[position - self->line_count] = true;
        else {
            sp_error_set (error, error_size,
                          "line \"%s\": already posted with another event or amount", line->id);
            result = -1;
        }
    }
    return result;
}

/* True when posting line one by one could do more than append it: its
   period is closed (it goes late to the open period) or its deal may be
   cancelled. */
static bool
s_batch_needs_posting (const incentive_ledger_t *self, const incentive_ledger_line_t *line)
{
    return self->cancel_count > 0 || incentive_ledger_closed (self, line->period);
}

int
incentive_ledger_post_all (incentive_ledger_t *self, incentive_ledger_line_t **lines, size_t count,
                           size_t capacity, incentive_ledger_text_t **text, const char *open_period,
                           char *error, size_t error_size)
{
    assert (self && lines && (*lines || count == 0) && capacity >= count);
    incentive_ledger_line_t *batch = *lines;
    *lines = NULL;
    incentive_ledger_text_t *batch_text = text ? *text : NULL;
    if (text)
        *text = NULL;
    for (size_t index = 0; index < count; index++)
        s_line_defaults (&batch[index]);
    bool one_by_one = !self->shape[0]; /* the first period sets the ledger's kind */
    for (size_t index = 0; index < count && !one_by_one; index++)
        one_by_one = s_batch_needs_posting (self, &batch[index]);
    int result = -1;
    bool *skip = NULL;
    size_t *slots = NULL;
    if (one_by_one) {
        result = 0;
        for (size_t index = 0; index < count && result == 0; index++)
            if (incentive_ledger_post (self, &batch[index], open_period, error, error_size) < 0)
                result = -1;
        goto out;
    }
    for (size_t index = 0; index < count; index++)
        if (s_line_check (self, &batch[index], index > 0 ? &batch[index - 1] : NULL, error,
                          error_size) != 0)
            goto out;
    if (open_period && incentive_ledger_internal_label_check (self, "open period", open_period,
                                                              error, error_size) != 0)
        goto out;
    /* the index of the lines with the batch's, when none is left out */
    size_t total = self->line_count + count;
    size_t slot_count = INCENTIVE_LEDGER_INTERNAL_INITIAL_CAPACITY;
    while (slot_count < 2 * total)
        slot_count *= 2;
    skip = calloc (count ? count : 1, sizeof *skip);
    slots = calloc (slot_count, sizeof *slots);
    if (!skip || !slots) {
        sp_error_set (error, error_size, "out of memory");
        goto out;
    }
    if (s_batch_duplicates (self, batch, count, skip, slots, slot_count, error, error_size) != 0)
        goto out;
    /* keep the new lines in place, then put the ledger's own before them */
    size_t kept = 0;
    for (size_t index = 0; index < count; index++) {
        if (skip[index])
            continue;
        if (kept != index)
            batch[kept] = batch[index];
        if (!batch[kept].origin_period[0])
            batch[kept].origin_period = batch[kept].period;
        kept++;
    }
    /* their text: the batch's store kept, or theirs copied */
    if (batch_text)
        incentive_ledger_text_absorb (self->text, &batch_text);
    else
        for (size_t index = 0; index < kept; index++)
            incentive_ledger_line_text_copy (self->text, &batch[index]);
    if (incentive_ledger_text_failed (self->text)) {
        sp_error_set (error, error_size, "out of memory");
        goto out;
    }
    bool index_kept = kept == count; /* positions unchanged: the index holds */
    total = self->line_count + kept;
    if (total > capacity) {
        incentive_ledger_line_t *grown = realloc (batch, total * sizeof *grown);
        if (!grown) {
            sp_error_set (error, error_size, "out of memory");
            goto out;
        }
        batch = grown;
        capacity = total;
    }
    for (size_t index = 0; index < kept; index++)
        if (incentive_ledger_internal_period_add (self, batch[index].period) < 0) {
            sp_error_set (error, error_size, "out of memory");
            goto out;
        }
    if (self->line_count > 0) {
        memmove (&batch[self->line_count], batch, kept * sizeof *batch);
        memcpy (batch, self->lines, self->line_count * sizeof *batch);
    }
    free (self->lines);
    free (self->slots);
    self->lines = batch;
    self->line_count = total;
    self->line_capacity = capacity;
    self->slots = slots;
    self->slot_count = slot_count;
    slots = NULL;
    if (!index_kept)
        s_index_refill (self);
    batch = NULL;
    result = 0;
out:
    free (skip);
    free (slots);
    free (batch);
    incentive_ledger_text_destroy (&batch_text);
    return result;
}

/* Removes the line at position (keeps the others' order). */
static void
s_line_remove (incentive_ledger_t *self, size_t position)
{
    assert (position < self->line_count);
    memmove (&self->lines[position], &self->lines[position + 1],
             (self->line_count - position - 1) * sizeof self->lines[0]);
    self->line_count--;
    s_index_refill (self);
}

int
incentive_ledger_cancel (incentive_ledger_t *self, const incentive_ledger_cancel_t *cancel,
                         const char *open_period, char *error, size_t error_size)
{
    assert (self);
    assert (cancel);
    size_t event_length = strnlen (cancel->event_id, sizeof cancel->event_id);
    size_t won_length = strnlen (cancel->won_event_id, sizeof cancel->won_event_id);
    if (event_length == 0 || event_length == sizeof cancel->event_id ||
        !sp_event_utf8_valid (cancel->event_id, event_length) || won_length == 0 ||
        won_length == sizeof cancel->won_event_id ||
        !sp_event_utf8_valid (cancel->won_event_id, won_length) ||
        !s_text_valid (cancel->reason, sizeof cancel->reason)) {
        sp_error_set (error, error_size,
                      "cancellation: event ids must be 1 to %d bytes of UTF-8, reason at most %d",
                      INCENTIVE_LEDGER_REF_SIZE - 1, INCENTIVE_LEDGER_TEXT_SIZE - 1);
        return -1;
    }
    if (cancel->reverse != INCENTIVE_LEDGER_REVERSE_PAID &&
        cancel->reverse != INCENTIVE_LEDGER_REVERSE_RECOMPUTE) {
        sp_error_set (error, error_size, "cancellation \"%s\": unknown reversal", cancel->event_id);
        return -1;
    }
    if (incentive_ledger_internal_label_check (self, "cancellation period", cancel->period, error,
                                               error_size) != 0)
        return -1;
    if (open_period && incentive_ledger_internal_label_check (self, "open period", open_period,
                                                              error, error_size) != 0)
        return -1;
    for (size_t index = 0; index < self->cancel_count; index++) {
        if (strcmp (self->cancels[index].event_id, cancel->event_id) != 0)
            continue;
        if (strcmp (self->cancels[index].won_event_id, cancel->won_event_id) == 0)
            return 1;
        sp_error_set (error, error_size, "cancellation \"%s\": already recorded for another deal",
                      cancel->event_id);
        return -1;
    }

    /* The clawbacks it makes: one per earning of its deal whose clawback
       is not already in a closed period. */
    const incentive_ledger_cancel_t *before = s_effective_cancel (self, cancel->won_event_id);
    bool rules = !before || cancel->occurred_at < before->occurred_at ||
                 (cancel->occurred_at == before->occurred_at &&
                  strcmp (cancel->event_id, before->event_id) < 0);
    size_t originals = 0;
    for (size_t index = 0; rules && index < self->line_count; index++)
        if (incentive_ledger_internal_is_earning (&self->lines[index]) &&
            strcmp (self->lines[index].event_id, cancel->won_event_id) == 0)
            originals++;
    incentive_ledger_line_t *made = originals ? calloc (originals, sizeof *made) : NULL;
    size_t *replaced = originals ? calloc (originals, sizeof *replaced) : NULL;
    if (originals && (!made || !replaced)) {
        sp_error_set (error, error_size, "out of memory");
        goto out_fail;
    }
    size_t made_count = 0;
    for (size_t index = 0; rules && index < self->line_count; index++) {
        const incentive_ledger_line_t *original = &self->lines[index];
        if (!incentive_ledger_internal_is_earning (original) ||
            strcmp (original->event_id, cancel->won_event_id) != 0)
            continue;
        const incentive_ledger_line_t *old = s_clawback_of (self, original->id);
        if (old && incentive_ledger_closed (self, old->period))
            continue;
        if (s_clawback_make (self, original, cancel, open_period, &made[made_count], error,
                             error_size) != 0)
            goto out_fail;
        replaced[made_count] = old ? (size_t) (old - self->lines) + 1 : 0;
        made_count++;
    }

    /* Record it, then swap the clawbacks in. */
    if (self->cancel_count == self->cancel_capacity) {
        size_t capacity = self->cancel_capacity ? 2 * self->cancel_capacity
                                                : INCENTIVE_LEDGER_INTERNAL_INITIAL_CAPACITY;
        incentive_ledger_cancel_t *cancels = realloc (self->cancels, capacity * sizeof *cancels);
        if (!cancels) {
            sp_error_set (error, error_size, "out of memory");
            goto out_fail;
        }
        self->cancels = cancels;
        self->cancel_capacity = capacity;
    }
    if (s_lines_reserve (self, made_count) != 0 ||
        (made_count && incentive_ledger_internal_period_add (self, made[0].period) < 0)) {
        sp_error_set (error, error_size, "out of memory");
        goto out_fail;
    }
    self->cancels[self->cancel_count++] = *cancel;
    /* Remove replaced clawbacks from the last position down. */
    for (size_t round = 0; round < made_count; round++) {
        size_t highest = 0;
        for (size_t index = 0; index < made_count; index++)
            if (replaced[index] > replaced[highest])
                highest = index;
        if (replaced[highest] == 0)
            break;
        s_line_remove (self, replaced[highest] - 1);
        replaced[highest] = 0;
    }
    for (size_t index = 0; index < made_count; index++) {
        if (s_line_find (self, made[index].id))
            continue; /* the same cancellation's own line: cannot happen twice */
        s_line_append (self, &made[index]);
    }
    free (made);
    free (replaced);
    return 0;

out_fail:
    free (made);
    free (replaced);
    return -1;
}

size_t
incentive_ledger_line_count (const incentive_ledger_t *self)
{
    assert (self);
    return self->line_count;
}

const incentive_ledger_line_t *
incentive_ledger_line (const incentive_ledger_t *self, size_t index)
{
    assert (self);
    assert (index < self->line_count);
    return &self->lines[index];
}

// ---------------------------------------------------------------- life

incentive_ledger_t *
incentive_ledger_new (const char *rep_id, const char *currency)
{
    if (!rep_id || !currency)
        return NULL;
    size_t length = strlen (rep_id);
    if (length == 0 || length >= INCENTIVE_LEDGER_NAME_SIZE ||
        !sp_event_utf8_valid (rep_id, length))
        return NULL;
    if (!sp_money_currency_valid (currency))
        return NULL;
    incentive_ledger_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->text = incentive_ledger_text_new ();
    if (!self->text) {
        free (self);
        return NULL;
    }
    memcpy (self->rep_id, rep_id, length + 1);
    snprintf (self->currency, sizeof self->currency, "%s", currency);
    incentive_draw_terms_none (&self->draw);
    return self;
}

void
incentive_ledger_destroy (incentive_ledger_t **self_p)
{
    assert (self_p);
    incentive_ledger_t *self = *self_p;
    if (!self)
        return;
    free (self->lines);
    free (self->slots);
    free (self->cancels);
    free (self->periods);
    incentive_ledger_text_destroy (&self->text);
    free (self);
    *self_p = NULL;
}
