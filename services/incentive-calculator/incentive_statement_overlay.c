/*  incentive_statement_overlay - the credits an overlay plan pays an
    overlay rep on (see incentive_statement_internal.h and
    docs/incentives.md, "Overlay credits").

    The team credits (the stored credits of the reps the overlay plans
    name) are grouped by deal (won event id). For each plan version whose
    "overlays" list the statement's rep, a deal is overlaid when one of
    its credited reps is named by the version on the deal's local day
    (its "from"/"to"), and the overlay rep has no credit of its own on
    it. The overlay rep then gets one credit of the deal: the whole
    deal's amount × its share, rounded once (incentive_credit_overlay),
    however many of the named reps split the deal. Overlays are on top of
    the splits, so together they may exceed 100 % of a deal.
*/
#include "incentive_statement_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incentive_credit.h"
#include "sp_array.h"
#include "sp_error.h"

#define S_INITIAL 64

/* Credits by deal, then rep. */
static int
s_compare (const void *left, const void *right)
{
    const incentive_record_credit_t *a = *(const incentive_record_credit_t *const *) left;
    const incentive_record_credit_t *b = *(const incentive_record_credit_t *const *) right;
    int order = strcmp (a->event_id, b->event_id);
    return order ? order : strcmp (a->rep, b->rep);
}

/* A credit whose event id is key's (for bsearch over the rep's own). */
static int
s_compare_event (const void *key, const void *element)
{
    const incentive_record_credit_t *credit = *(const incentive_record_credit_t *const *) element;
    return strcmp ((const char *) key, credit->event_id);
}

/* True when plan names rep on day (its assignment covers the day). */
static bool
s_named_on (const incentive_plan_t *plan, const char *rep, int64_t day)
{
    for (size_t index = 0; index < incentive_plan_rep_count (plan); index++) {
        const incentive_plan_rep_t *named = incentive_plan_rep (plan, index);
        if (strcmp (named->id, rep) == 0)
            return (!named->has_from || day >= named->from_day) &&
                   (!named->has_to || day < named->to_day);
    }
    return false;
}

/* True when the deal of group[0..count) is overlaid by plan for rep_id:
   one of its reps is named that day, and rep_id is none of them. */
static bool
s_overlaid (const incentive_statement_input_t *input, const incentive_plan_t *plan,
            const incentive_record_credit_t *const *group, size_t count)
{
    int64_t day;
    if (sp_period_local_day (input->tz, group[0]->occurred_at, &day) != 0)
        return false; /* outside years 1..9999 */
    bool named = false;
    for (size_t index = 0; index < count; index++) {
        if (strcmp (group[index]->rep, input->rep_id) == 0)
            return false; /* the overlay rep's own deal */
        named = named || s_named_on (plan, group[index]->rep, day);
    }
    return named;
}

int
incentive_statement_internal_overlays (const incentive_statement_input_t *input,
                                       incentive_record_credit_t **credits, bool **new_logo,
                                       size_t **plans, size_t *count, char *error,
                                       size_t error_size)
{
    assert (input && credits && new_logo && plans && count);
    *credits = NULL;
    *new_logo = NULL;
    *plans = NULL;
    *count = 0;
    bool overlaid = false;
    for (size_t plan = 0; plan < input->plan_count && !overlaid; plan++)
        overlaid = incentive_plan_overlay_share (input->plans[plan].plan, input->rep_id, NULL);
    if (!overlaid || input->team_credit_count == 0)
        return 0;
    size_t capacity = 0, logo_capacity = 0, plan_capacity = 0;
    const incentive_record_credit_t **order = malloc (input->team_credit_count * sizeof *order);
    const incentive_record_credit_t **own =
        malloc ((input->credit_count ? input->credit_count : 1) * sizeof *own);
    int result = -1;
    if (!order || !own)
        goto out_of_memory;
    for (size_t index = 0; index < input->team_credit_count; index++)
        order[index] = &input->team_credits[index];
    qsort (order, input->team_credit_count, sizeof *order, s_compare);
    for (size_t index = 0; index < input->credit_count; index++)
        own[index] = &input->credits[index];
    qsort (own, input->credit_count, sizeof *own, s_compare);
    for (size_t plan = 0; plan < input->plan_count; plan++) {
        const incentive_plan_t *version = input->plans[plan].plan;
        int32_t share_bp;
        if (!incentive_plan_overlay_share (version, input->rep_id, &share_bp))
            continue;
        for (size_t first = 0, end; first < input->team_credit_count; first = end) {
            for (end = first + 1; end < input->team_credit_count &&
                                  strcmp (order[end]->event_id, order[first]->event_id) == 0;
                 end++)
                ;
            if (!s_overlaid (input, version, &order[first], end - first) ||
                bsearch (order[first]->event_id, own, input->credit_count, sizeof *own,
                         s_compare_event))
                continue;
            int64_t amount;
            if (incentive_credit_overlay (order[first]->deal_amount, share_bp, &amount) != 0) {
                sp_error_set (error, error_size, "overlay of %s: the deal's amount is out of range",
                              order[first]->event_id);
                goto out;
            }
            if (sp_array_reserve ((void **) credits, &capacity, *count + 1, sizeof **credits,
                                  S_INITIAL) != 0 ||
                sp_array_reserve ((void **) new_logo, &logo_capacity, *count + 1, sizeof **new_logo,
                                  S_INITIAL) != 0 ||
                sp_array_reserve ((void **) plans, &plan_capacity, *count + 1, sizeof **plans,
                                  S_INITIAL) != 0)
                goto out_of_memory;
            incentive_record_credit_t *credit = &(*credits)[*count];
            *credit = *order[first];
            snprintf (credit->rep, sizeof credit->rep, "%s", input->rep_id);
            credit->credit_bp = share_bp;
            credit->revenue = amount;
            credit->has_margin = false; /* refused with a margin measure (incentive_plan) */
            credit->margin = 0;
            (*new_logo)[*count] = input->team_new_logo[order[first] - input->team_credits];
            (*plans)[*count] = plan;
            (*count)++;
        }
    }
    result = 0;
    goto out;
out_of_memory:
    sp_error_set (error, error_size, "out of memory");
out:
    free (order);
    free (own);
    return result;
}
