/*  incentive_statement_closed - what closed periods paid (see
    incentive_statement_internal.h): the stored statements' lines posted
    back into the ledger and counted per line id, and the adjustment of a
    line worth something else now. */
#include "incentive_statement_internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_array.h"
#include "sp_error.h"
#include "sp_money.h"

#define S_INITIAL 64
#define S_MONEY_TEXT_SIZE 40

static int
s_compare_paid (const void *left, const void *right)
{
    return strcmp (((const incentive_statement_paid_t *) left)->id,
                   ((const incentive_statement_paid_t *) right)->id);
}

incentive_statement_paid_t *
incentive_statement_internal_paid_find (incentive_statement_paid_list_t *paid, const char *id)
{
    incentive_statement_paid_t key = { .amount = 0 };
    snprintf (key.id, sizeof key.id, "%s", id);
    return paid->count ? bsearch (&key, paid->items, paid->count, sizeof key, s_compare_paid)
                       : NULL;
}

static const char *
s_string (const json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text ? text : "";
}

int
incentive_statement_internal_closed_lines (incentive_ledger_t *ledger,
                                           const incentive_statement_closed_t *closed,
                                           incentive_statement_paid_list_t *paid_list, char *error,
                                           size_t error_size)
{
    json_error_t parse_error;
    json_t *root = json_loads (closed->document, 0, &parse_error);
    json_t *lines = json_object_get (root, "lines");
    if (!json_is_array (lines)) {
        sp_error_set (error, error_size, "the statement stored for %s is not a statement",
                      closed->label);
        json_decref (root);
        return -1;
    }
    size_t index;
    json_t *item;
    json_array_foreach (lines, index, item)
    {
        incentive_ledger_kind_t kind;
        const char *kind_name = s_string (item, "kind");
        const json_t *explanation = json_object_get (item, "explanation");
        const char *type = s_string (explanation, "type");
        if (strcmp (kind_name, "earning") == 0)
            kind = INCENTIVE_LEDGER_EARNING;
        else if (strcmp (kind_name, "clawback") == 0)
            kind = INCENTIVE_LEDGER_CLAWBACK;
        else if (strcmp (kind_name, "true_up") == 0)
            kind = INCENTIVE_LEDGER_TRUE_UP;
        else if (strcmp (kind_name, "adjustment") == 0 && strcmp (type, "deficit_carried") != 0)
            kind = INCENTIVE_LEDGER_ADJUSTMENT;
        else
            continue; /* derived lines: the ledger derives them again */
        /* the text cut to the fields' room, as it was stored; the ledger copies it */
        char id[INCENTIVE_LEDGER_ID_SIZE], period[INCENTIVE_LEDGER_PERIOD_SIZE],
            origin_period[INCENTIVE_LEDGER_PERIOD_SIZE], event_id[INCENTIVE_LEDGER_REF_SIZE],
            type_text[INCENTIVE_LEDGER_NAME_SIZE], link_text[INCENTIVE_LEDGER_ID_SIZE];
        incentive_ledger_line_t line;
        incentive_ledger_line_init (&line);
        line.kind = kind;
        snprintf (id, sizeof id, "%s", s_string (item, "id"));
        line.id = id;
        snprintf (period, sizeof period, "%s", s_string (item, "period"));
        line.period = period;
        snprintf (origin_period, sizeof origin_period, "%s", s_string (item, "origin_period"));
        line.origin_period = origin_period;
        line.occurred_at = json_integer_value (json_object_get (item, "occurred_at"));
        snprintf (event_id, sizeof event_id, "%s", s_string (item, "event_id"));
        line.event_id = event_id;
        line.amount = json_integer_value (json_object_get (item, "amount"));
        snprintf (type_text, sizeof type_text, "%s", type);
        line.type = type_text;
        const char *link = kind == INCENTIVE_LEDGER_CLAWBACK ? s_string (explanation, "reverses")
                                                             : s_string (explanation, "link");
        snprintf (link_text, sizeof link_text, "%s", link);
        line.link = link_text;
        line.adjusts = kind;
        if (kind == INCENTIVE_LEDGER_ADJUSTMENT) {
            const char *adjusts = s_string (explanation, "adjusts");
            line.adjusts = strcmp (adjusts, "clawback") == 0 ? INCENTIVE_LEDGER_CLAWBACK
                                                             : INCENTIVE_LEDGER_EARNING;
        }
        char reason[INCENTIVE_LEDGER_ERROR_SIZE];
        if (incentive_ledger_post (ledger, &line, NULL, reason, sizeof reason) < 0) {
            sp_error_set (error, error_size, "statement stored for %s: %s", closed->label, reason);
            json_decref (root);
            return -1;
        }
        /* a delta adjustment pays on the line it links to */
        bool delta = kind == INCENTIVE_LEDGER_ADJUSTMENT &&
                     (strcmp (type, "late") == 0 || strcmp (type, "correction") == 0) &&
                     line.link[0];
        if (sp_array_reserve ((void **) &paid_list->items, &paid_list->capacity,
                              paid_list->count + 1, sizeof *paid_list->items, S_INITIAL) != 0) {
            json_decref (root);
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
        incentive_statement_paid_t *paid = &paid_list->items[paid_list->count++];
        snprintf (paid->id, sizeof paid->id, "%s", delta ? line.link : line.id);
        paid->amount = line.amount;
        paid->seen = false;
    }
    json_decref (root);
    return 0;
}

void
incentive_statement_internal_paid_merge (incentive_statement_paid_list_t *paid)
{
    if (paid->count == 0)
        return;
    qsort (paid->items, paid->count, sizeof *paid->items, s_compare_paid);
    size_t kept = 0;
    for (size_t index = 0; index < paid->count; index++) {
        if (kept > 0 && strcmp (paid->items[kept - 1].id, paid->items[index].id) == 0)
            paid->items[kept - 1].amount += paid->items[index].amount;
        else
            paid->items[kept++] = paid->items[index];
    }
    paid->count = kept;
}

/* amount in major units of currency ("1234.50"), into text
   (S_MONEY_TEXT_SIZE). */
static void
s_money_text (int64_t amount, const char *currency, char *text)
{
    if (sp_money_format (amount, currency, text, S_MONEY_TEXT_SIZE) != SP_MONEY_OK)
        snprintf (text, S_MONEY_TEXT_SIZE, "%" PRId64 " minor units", amount);
}

int
incentive_statement_internal_delta (incentive_ledger_t *ledger, const incentive_ledger_line_t *line,
                                    const incentive_statement_paid_t *paid, const char *id,
                                    const char *open_label, const char *currency, char *error,
                                    size_t error_size)
{
    int64_t worth = line ? line->amount : 0;
    int64_t was = paid ? paid->amount : 0;
    /* its text in buffers of the fields' room; the ledger copies it */
    incentive_ledger_line_t adjustment;
    if (line)
        adjustment = *line;
    else
        incentive_ledger_line_init (&adjustment);
    char text[INCENTIVE_LEDGER_ID_SIZE * 2];
    snprintf (text, sizeof text, "%s~%s", open_label, id);
    char adjustment_id[INCENTIVE_LEDGER_ID_SIZE], period[INCENTIVE_LEDGER_PERIOD_SIZE],
        link[INCENTIVE_LEDGER_ID_SIZE], reason_text[INCENTIVE_LEDGER_TEXT_SIZE];
    incentive_statement_internal_line_id_write (adjustment_id, text);
    adjustment.id = adjustment_id;
    adjustment.kind = INCENTIVE_LEDGER_ADJUSTMENT;
    adjustment.adjusts = line ? line->kind : INCENTIVE_LEDGER_EARNING;
    adjustment.origin_period = line ? line->period : "";
    snprintf (period, sizeof period, "%s", open_label);
    adjustment.period = period;
    adjustment.amount = worth - was;
    snprintf (link, sizeof link, "%s", id);
    adjustment.link = link;
    adjustment.type = paid ? "correction" : "late";
    char worth_text[S_MONEY_TEXT_SIZE], was_text[S_MONEY_TEXT_SIZE];
    s_money_text (worth, currency, worth_text);
    s_money_text (was, currency, was_text);
    if (!paid)
        snprintf (reason_text, sizeof reason_text, "arrived after %s closed: worth %s",
                  line->period, worth_text);
    else
        snprintf (reason_text, sizeof reason_text, "worth %s now, %s paid while %s was closed",
                  worth_text, was_text, line ? line->period : "its period");
    adjustment.reason = reason_text;
    char reason[INCENTIVE_LEDGER_ERROR_SIZE];
    if (incentive_ledger_post (ledger, &adjustment, NULL, reason, sizeof reason) < 0) {
        sp_error_set (error, error_size, "adjustment of %s: %s", id, reason);
        return -1;
    }
    return 0;
}
