/*  incentive_statement_text - the text of a statement's lines: ids,
    decimals, plan versions and the explanation of an earning line (its
    bands, mode, rate and attainments), written without printf where a
    line is made per credit. Part of incentive_statement (see
    incentive_statement_internal.h). */
#include "incentive_statement_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sp_hash.h"
#include "sp_money.h"

#define S_PPM_DECIMALS 6
#define S_HASH_SEED UINT64_C (0x9e3779b97f4a7c15)
#define S_NUMBER_SIZE 24 /* "-9223372036854775808" and the NUL */

/* Joins parts (NULL-terminated) into field (size bytes), cut as
   snprintf cuts what it writes. */
static void
s_join (char *field, size_t size, const char *const *parts)
{
    size_t used = 0;
    for (; *parts && used < size - 1; parts++) {
        size_t length = strnlen (*parts, size - 1 - used);
        memcpy (field + used, *parts, length);
        used += length;
    }
    field[used] = '\0';
}

/* value in decimal (as "%" PRId64) in number (S_NUMBER_SIZE bytes). */
static const char *
s_number (int64_t value, char *number)
{
    char digits[S_NUMBER_SIZE];
    size_t at = sizeof digits;
    digits[--at] = '\0';
    uint64_t magnitude = value < 0 ? 0 - (uint64_t) value : (uint64_t) value;
    do {
        digits[--at] = (char) ('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (value < 0)
        digits[--at] = '-';
    memcpy (number, digits + at, sizeof digits - at);
    return number;
}

/* A line id from text: itself when it fits a posted line, otherwise its
   first bytes and a hash of the whole, so ids stay unique and short. */
void
incentive_statement_internal_line_id_write (char *id, const char *text)
{
    size_t length = strlen (text);
    if (length <= INCENTIVE_LEDGER_LINE_ID_MAX) {
        memcpy (id, text, length + 1);
        return;
    }
    enum { HEAD = INCENTIVE_LEDGER_LINE_ID_MAX - 17 };
    uint64_t hash = sp_hash_bytes (text, length, S_HASH_SEED);
    size_t head = HEAD;
    /* cut at a whole UTF-8 character */
    while (head > 0 && ((unsigned char) text[head] & 0xC0) == 0x80)
        head--;
    snprintf (id, INCENTIVE_LEDGER_ID_SIZE, "%.*s#%016" PRIx64, (int) head, text, hash);
}

const char *
incentive_statement_internal_line_id (incentive_ledger_text_t *store, const char *text)
{
    if (strlen (text) <= INCENTIVE_LEDGER_LINE_ID_MAX)
        return incentive_ledger_text_copy (store, text, INCENTIVE_LEDGER_ID_SIZE);
    char id[INCENTIVE_LEDGER_ID_SIZE];
    incentive_statement_internal_line_id_write (id, text);
    return incentive_ledger_text_copy (store, id, sizeof id);
}
static incentive_ledger_decimal_t
s_ppm (int64_t ppm)
{
    return (incentive_ledger_decimal_t){ .units = ppm, .decimals = S_PPM_DECIMALS };
}
/* The band text of result: "[lo,hi)" per band, joined by '+' (as many
   as fit), "below gate" or "none" without one. */
static void
s_band_text (const incentive_rates_table_t *table, int decimals, int64_t scale,
             const incentive_rates_result_t *result, char *band, size_t size)
{
    band[0] = '\0';
    size_t used = 0;
    for (size_t index = 0; index < result->part_count; index++) {
        const incentive_rates_part_t *part = &result->parts[index];
        char lo[INCENTIVE_RATES_TEXT_SIZE];
        char hi[INCENTIVE_RATES_TEXT_SIZE];
        incentive_rates_bound_text (table, part->lo, decimals, scale, lo, sizeof lo);
        if (!part->open)
            incentive_rates_bound_text (table, part->hi, decimals, scale, hi, sizeof hi);
        int written = snprintf (band + used, size - used, "%s[%s,%s)", index ? "+" : "", lo,
                                part->open ? "" : hi);
        if (written < 0 || (size_t) written >= size - used) {
            band[used] = '\0'; /* as many bands as fit */
            break;
        }
        used += (size_t) written;
    }
    if (result->part_count == 0)
        snprintf (band, size, "%s", result->below_gate ? "below gate" : "none");
}

/* True when result's parts are the bands first, first + 1, ... of the
   table: what the cache's key stands for. */
static bool
s_bands_contiguous (const incentive_rates_result_t *result)
{
    for (size_t index = 0; index < result->part_count; index++)
        if (result->parts[index].band != result->parts[0].band + index)
            return false;
    return true;
}

/* result's band text, kept in store: from the cache when the same bands
   of the same table were explained before. */
static const char *
s_band (incentive_ledger_text_t *store, incentive_statement_bands_t *bands,
        const incentive_rates_table_t *table, int decimals, int64_t scale,
        const incentive_rates_result_t *result)
{
    if (!s_bands_contiguous (result)) {
        char band[INCENTIVE_LEDGER_NAME_SIZE];
        s_band_text (table, decimals, scale, result, band, sizeof band);
        return incentive_ledger_text_copy (store, band, sizeof band);
    }
    size_t first = result->part_count ? result->parts[0].band : 0;
    bool below_gate = result->part_count == 0 && result->below_gate;
    for (size_t index = 0; index < INCENTIVE_STATEMENT_BAND_TEXTS; index++) {
        const incentive_statement_band_text_t *entry = &bands->texts[index];
        if (entry->table == table && entry->decimals == decimals && entry->scale == scale &&
            entry->part_count == result->part_count && entry->first == first &&
            entry->below_gate == below_gate)
            return entry->kept;
    }
    incentive_statement_band_text_t *entry = &bands->texts[bands->next];
    bands->next = (bands->next + 1) % INCENTIVE_STATEMENT_BAND_TEXTS;
    *entry = (incentive_statement_band_text_t){ .table = table,
                                                .decimals = decimals,
                                                .scale = scale,
                                                .part_count = result->part_count,
                                                .first = first,
                                                .below_gate = below_gate };
    s_band_text (table, decimals, scale, result, entry->text, sizeof entry->text);
    entry->kept = incentive_ledger_text_copy (store, entry->text, sizeof entry->text);
    return entry->kept;
}

/* Fills the explanation of an earning line from a rates result. */
static void
s_explain (incentive_ledger_text_t *store, incentive_statement_bands_t *bands,
           incentive_ledger_line_t *line, const incentive_plan_t *plan,
           const incentive_rates_table_t *table, incentive_plan_measure_t measure,
           const incentive_rates_result_t *result)
{
    int decimals = sp_money_currency_decimals (incentive_plan_currency (plan));
    int64_t scale = incentive_plan_unit_scale (plan, measure);
    line->attainment_before = s_ppm (result->attainment_before_ppm);
    line->attainment_after = s_ppm (result->attainment_after_ppm);
    line->band = s_band (store, bands, table, decimals, scale, result);
    if (result->part_count > 0) {
        const incentive_rates_part_t *last = &result->parts[result->part_count - 1];
        line->mode = incentive_rates_mode_name (last->mode); /* a name of static storage */
        /* amount = base × rate only for one marginal band paying a rate on money */
        if (result->part_count == 1 && last->mode == INCENTIVE_RATES_MARGINAL &&
            table->pays == INCENTIVE_RATES_PAYS_RATE && scale == 1 && !result->payout_capped &&
            !result->attainment_capped && !result->gate_crossed) {
            line->has_rate = true;
            line->rate = s_ppm (last->applied_rate_ppm);
        }
    }
}

/* The shared texts, emptied when they were kept in another store. */
static incentive_statement_shared_t *
s_shared (incentive_statement_shared_t *shared, const incentive_ledger_text_t *store)
{
    if (shared->store != store) {
        memset (shared, 0, sizeof *shared);
        shared->store = store;
    }
    return shared;
}

/* rule (a rule id of a plan, or INCENTIVE_PLAN_BLENDED_RULE) kept in
   store: from the cache when it was kept before. */
static const char *
s_rule_id (incentive_statement_shared_t *shared, incentive_ledger_text_t *store, const char *rule)
{
    for (size_t index = 0; index < INCENTIVE_STATEMENT_RULE_TEXTS; index++)
        if (shared->rules[index] == rule && shared->rule_ids[index])
            return shared->rule_ids[index];
    size_t at = shared->next_rule;
    shared->next_rule = (at + 1) % INCENTIVE_STATEMENT_RULE_TEXTS;
    shared->rules[at] = rule;
    shared->rule_ids[at] = incentive_ledger_text_copy (store, rule, INCENTIVE_LEDGER_NAME_SIZE);
    return shared->rule_ids[at];
}

void
incentive_statement_internal_earning (incentive_ledger_line_t *line, incentive_ledger_text_t *store,
                                      incentive_statement_bands_t *bands,
                                      const incentive_record_credit_t *credit,
                                      const sp_period_t *period,
                                      const incentive_statement_plan_t *version, const char *rule,
                                      const incentive_rates_table_t *table,
                                      incentive_plan_measure_t measure, int64_t base,
                                      const incentive_rates_result_t *result)
{
    char text[INCENTIVE_LEDGER_ID_SIZE * 2];
    s_join (text, sizeof text,
            (const char *const[]){ credit->event_id, "/", version->name, "/", rule, NULL });
    line->id = incentive_statement_internal_line_id (store, text);
    line->kind = INCENTIVE_LEDGER_EARNING;
    incentive_statement_shared_t *shared = s_shared (&bands->shared, store);
    if (!shared->period || strcmp (shared->label, period->label) != 0) {
        snprintf (shared->label, sizeof shared->label, "%s", period->label);
        shared->period =
            incentive_ledger_text_copy (store, period->label, INCENTIVE_LEDGER_PERIOD_SIZE);
    }
    line->period = shared->period;
    line->origin_period = line->period;
    line->occurred_at = credit->occurred_at;
    if (shared->credit != credit || !shared->event_id) {
        shared->credit = credit;
        shared->event_id =
            incentive_ledger_text_copy (store, credit->event_id, INCENTIVE_LEDGER_REF_SIZE);
        shared->deal = incentive_ledger_text_copy (store, credit->deal, INCENTIVE_LEDGER_REF_SIZE);
    }
    line->event_id = shared->event_id;
    line->amount = result->amount;
    line->deal = shared->deal;
    line->credit_bp = credit->credit_bp;
    line->measure = incentive_plan_measure_name (measure); /* a name of static storage */
    line->base = base;
    line->rule_id = s_rule_id (shared, store, rule);
    if (shared->version != version || !shared->plan_version) {
        char number[S_NUMBER_SIZE];
        char plan_version[INCENTIVE_LEDGER_NAME_SIZE];
        s_join (
            plan_version, sizeof plan_version,
            (const char *const[]){ version->name, "@", s_number (version->version, number), NULL });
        shared->version = version;
        shared->plan_version =
            incentive_ledger_text_copy (store, plan_version, sizeof plan_version);
    }
    line->plan_version = shared->plan_version;
    s_explain (store, bands, line, version->plan, table, measure, result);
}
