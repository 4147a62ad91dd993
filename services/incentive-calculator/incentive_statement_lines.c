/*  incentive_statement_lines - the growing list of a statement's lines,
    and the lines payments and cancellations make from its earning lines:
    payment holds and releases, clawbacks. Part of incentive_statement
    (see incentive_statement_internal.h). */
#include "incentive_statement_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sp_array.h"
#include "sp_error.h"

#define S_INITIAL 64
#define S_TYPE_HELD "held"
#define S_TYPE_RELEASE "release"
#define S_LINES_EXPECTED_MAX 65536        /* lines reserved at once, at most (16 MiB) */
#define S_HUGE_PAGE ((uintptr_t) 2 << 20) /* bytes of a transparent huge page */

static int
s_no_memory (char *error, size_t error_size)
{
    sp_error_set (error, error_size, "out of memory");
    return -1;
}

incentive_ledger_line_t *
incentive_statement_internal_line_add (incentive_statement_line_list_t *lines)
{
    if (!lines->text && !(lines->text = incentive_ledger_text_new ()))
        return NULL;
    if (sp_array_reserve ((void **) &lines->items, &lines->capacity, lines->count + 1,
                          sizeof *lines->items, S_INITIAL) != 0)
        return NULL;
    incentive_ledger_line_t *line = &lines->items[lines->count++];
    incentive_ledger_line_init (line);
    return line;
}

/* Asks for the whole 2 MiB pages of a large array of bytes to be huge
   pages (Linux transparent huge pages in "madvise" mode): one page fault
   per 2 MiB instead of 512. A statement of 10,000 deals writes about 5
   MiB of lines, 2 MiB of their text and 8 MiB of JSON once each. A hint:
   nothing changes where the system does not take it. */
void
incentive_statement_internal_advise_huge (void *bytes, size_t size)
{
#ifdef MADV_HUGEPAGE
    uintptr_t start = ((uintptr_t) bytes + S_HUGE_PAGE - 1) & ~(uintptr_t) (S_HUGE_PAGE - 1);
    uintptr_t end = ((uintptr_t) bytes + size) & ~(uintptr_t) (S_HUGE_PAGE - 1);
    if (end > start)
        madvise ((void *) start, end - start, MADV_HUGEPAGE);
#else
    (void) bytes;
    (void) size;
#endif
}

/* Makes room at once for the lines credits (count) are expected to
   make: each plan version's components and SPIFFs once per credit (a
   guess, not a bound: lines beyond it still grow the array), at most
   S_LINES_EXPECTED_MAX, and only when memory allows: room is reserved,
   pages not written are never touched. */
void
incentive_statement_internal_line_reserve (const incentive_statement_input_t *input,
                                           incentive_statement_line_list_t *lines, size_t credits)
{
    size_t per_credit = 0;
    for (size_t index = 0; index < input->plan_count; index++) {
        const incentive_plan_t *plan = input->plans[index].plan;
        size_t count = incentive_plan_component_count (plan) + incentive_plan_spiff_count (plan);
        per_credit = count > per_credit ? count : per_credit;
    }
    size_t expected = credits < S_LINES_EXPECTED_MAX ? credits * per_credit : S_LINES_EXPECTED_MAX;
    if (expected > S_LINES_EXPECTED_MAX)
        expected = S_LINES_EXPECTED_MAX;
    if (expected > lines->capacity &&
        sp_array_reserve ((void **) &lines->items, &lines->capacity, expected, sizeof *lines->items,
                          S_INITIAL) == 0) /* else: grown later */
        incentive_statement_internal_advise_huge (lines->items,
                                                  lines->capacity * sizeof *lines->items);
}

/* The clawbacks of cancel: one per earning line of its won deal (lines
   [first_line, end_line), releases[i - first_line] for each). */
int
incentive_statement_internal_clawbacks (const incentive_statement_input_t *input,
                                        incentive_statement_line_list_t *lines,
                                        const incentive_record_cancel_t *cancel, size_t first_line,
                                        size_t end_line,
                                        const incentive_statement_release_t *releases, char *error,
                                        size_t error_size)
{
    sp_period_t period;
    if (sp_period_cut (input->tz, input->kind, cancel->occurred_at, &period) != 0)
        return 0; /* outside years 1..9999: nothing to reverse into */
    for (size_t index = first_line; index < end_line; index++) {
        const incentive_statement_release_t *release = &releases[index - first_line];
        incentive_ledger_line_t *line = incentive_statement_internal_line_add (lines);
        if (!line)
            return s_no_memory (error, error_size);
        const incentive_ledger_line_t *original = &lines->items[index];
        *line = *original;
        char text[INCENTIVE_LEDGER_ID_SIZE * 2];
        snprintf (text, sizeof text, "%s/%s", cancel->event_id, original->id);
        line->id = incentive_statement_internal_line_id (lines->text, text);
        line->kind = INCENTIVE_LEDGER_CLAWBACK;
        line->period =
            incentive_ledger_text_copy (lines->text, period.label, INCENTIVE_LEDGER_PERIOD_SIZE);
        line->origin_period = line->period;
        line->occurred_at = cancel->occurred_at;
        line->event_id =
            incentive_ledger_text_copy (lines->text, cancel->event_id, INCENTIVE_LEDGER_REF_SIZE);
        /* what was paid: the line, or what payments released of it */
        int64_t reversed = release->held ? release->released : original->amount;
        int64_t recomputed;
        if (original->reverse == INCENTIVE_LEDGER_REVERSE_RECOMPUTE && original->has_rate &&
            incentive_statement_internal_rate_share (
                original->base, original->rate, release->held ? release->part : 1,
                release->held ? release->whole : 1, &recomputed) == 0)
            reversed = recomputed;
        else
            line->reverse = INCENTIVE_LEDGER_REVERSE_PAID; /* no single rate: what was paid */
        line->amount = -reversed;
        line->type = "clawback";
        line->reason = incentive_ledger_text_copy (
            lines->text, cancel->reason[0] ? cancel->reason : "deal cancelled",
            INCENTIVE_LEDGER_TEXT_SIZE);
        line->link = original->id;
    }
    return 0;
}

/* (occurred_at, event id) order of payments. */
int
incentive_statement_internal_compare_payment (const void *left, const void *right)
{
    const incentive_record_payment_t *a = *(const incentive_record_payment_t *const *) left;
    const incentive_record_payment_t *b = *(const incentive_record_payment_t *const *) right;
    int order = strcmp (a->deal, b->deal);
    if (order != 0)
        return order;
    if (a->occurred_at != b->occurred_at)
        return a->occurred_at < b->occurred_at ? -1 : 1;
    return strcmp (a->event_id, b->event_id);
}

/* An adjustment of kind type linked to the earning line at index, for
   amount, at (occurred_at, event_id) in the period of that instant. */
static int
s_linked (const incentive_statement_input_t *input, incentive_statement_line_list_t *lines,
          char *error, size_t error_size, size_t index, const char *type, const char *id_text,
          int64_t occurred_at, const char *event_id, int64_t amount, const char *reason)
{
    sp_period_t period;
    if (sp_period_cut (input->tz, input->kind, occurred_at, &period) != 0)
        return 0; /* outside years 1..9999 */
    incentive_ledger_line_t *line = incentive_statement_internal_line_add (lines);
    if (!line)
        return s_no_memory (error, error_size);
    const incentive_ledger_line_t *original = &lines->items[index];
    *line = *original;
    incentive_ledger_text_t *store = lines->text;
    line->id = incentive_statement_internal_line_id (store, id_text);
    line->kind = INCENTIVE_LEDGER_ADJUSTMENT;
    line->adjusts = INCENTIVE_LEDGER_EARNING;
    line->period = incentive_ledger_text_copy (store, period.label, INCENTIVE_LEDGER_PERIOD_SIZE);
    line->origin_period = line->period;
    line->occurred_at = occurred_at;
    line->event_id = incentive_ledger_text_copy (store, event_id, INCENTIVE_LEDGER_REF_SIZE);
    line->amount = amount;
    line->type = incentive_ledger_text_copy (store, type, INCENTIVE_LEDGER_NAME_SIZE);
    line->reason = incentive_ledger_text_copy (store, reason, INCENTIVE_LEDGER_TEXT_SIZE);
    line->link = original->id;
    return 0;
}

/* Holds the held earning lines of credit and releases them by the
   payments of its deal before its cancellation (NULL: none). */
int
incentive_statement_internal_releases (const incentive_statement_input_t *input,
                                       incentive_statement_line_list_t *lines,
                                       const incentive_record_credit_t *credit,
                                       const incentive_record_cancel_t *cancel, size_t first_line,
                                       size_t end_line, incentive_statement_release_t *releases,
                                       const incentive_record_payment_t *const *payments,
                                       size_t payment_count, char *error, size_t error_size)
{
    /* the deal's payments: a range of the sorted list */
    size_t low = 0, high = payment_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (strcmp (payments[middle]->deal, credit->deal) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    int64_t whole = credit->deal_amount > 0 ? credit->deal_amount : 1;
    for (size_t index = first_line; index < end_line; index++) {
        incentive_statement_release_t *release = &releases[index - first_line];
        if (!release->held)
            continue;
        release->whole = whole;
        int64_t worth = lines->items[index].amount;
        char text[INCENTIVE_LEDGER_ID_SIZE * 2];
        char reason[INCENTIVE_LEDGER_TEXT_SIZE];
        snprintf (text, sizeof text, "%s/%s", lines->items[index].id, S_TYPE_HELD);
        if (worth != 0 &&
            s_linked (input, lines, error, error_size, index, S_TYPE_HELD, text,
                      credit->occurred_at, credit->event_id, -worth,
                      "trigger payment: paid as the deal's payments are received") != 0)
            return -1;
        for (size_t at = low; at < payment_count && strcmp (payments[at]->deal, credit->deal) == 0;
             at++) {
            const incentive_record_payment_t *payment = payments[at];
            if (strcmp (payment->currency, credit->currency) != 0)
                continue; /* a payment in another currency is not this deal's share */
            if (cancel && !incentive_record_before (payment->occurred_at, payment->event_id,
                                                    cancel->occurred_at, cancel->event_id))
                break; /* a cancelled deal releases nothing more */
            int64_t part = credit->deal_amount > 0 ? release->part + payment->amount : whole;
            if (part > whole)
                part = whole;
            int64_t share = incentive_statement_internal_share (worth, part, whole);
            int64_t amount = share - release->released;
            release->part = part;
            if (amount == 0)
                continue;
            release->released = share;
            snprintf (text, sizeof text, "%s/%s", payment->event_id, lines->items[index].id);
            snprintf (reason, sizeof reason,
                      "payment received: %" PRId64 " of %" PRId64 " minor units of the deal paid",
                      part, credit->deal_amount);
            int64_t at_ms = payment->occurred_at > credit->occurred_at ? payment->occurred_at
                                                                       : credit->occurred_at;
            if (s_linked (input, lines, error, error_size, index, S_TYPE_RELEASE, text, at_ms,
                          payment->event_id, amount, reason) != 0)
                return -1;
        }
    }
    return 0;
}

int
incentive_statement_internal_compare_cancel (const void *left, const void *right)
{
    const incentive_record_cancel_t *a = *(const incentive_record_cancel_t *const *) left;
    const incentive_record_cancel_t *b = *(const incentive_record_cancel_t *const *) right;
    return strcmp (a->won_event_id, b->won_event_id);
}

/* The cancellation of won_event_id among cancels (count, sorted by won
   event id), or NULL. */
const incentive_record_cancel_t *
incentive_statement_internal_cancel_of (const incentive_record_cancel_t *const *cancels,
                                        size_t count, const char *won_event_id)
{
    size_t low = 0, high = count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp (cancels[middle]->won_event_id, won_event_id);
        if (order == 0)
            return cancels[middle];
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return NULL;
}
