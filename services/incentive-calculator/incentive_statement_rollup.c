/*  incentive_statement_rollup - the credits a roll-up plan pays an org
    node on (see incentive_statement_internal.h and docs/incentives.md,
    "Manager roll-up credits").

    The team credits are grouped by deal (won event id). For each group,
    each split rep becomes the part "rep:<id>" with its stored share and
    credited amount; incentive_credit_rollup_parts walks the org from
    there on the deal's local day and credits every manager met once. The
    node's entry, when it is one of them, is its credit on the deal: one
    credit per deal, however many of its reps share it. A rep's credit
    is the one its own statement pays on, so a node of two reps with
    60.01 and 30.00 of a deal is credited 90.01, to the cent.
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

/* incentive_credit_parent_fn over the org. */
static const char *
s_parent (void *context, const char *node, int64_t day)
{
    return sp_org_parent ((const sp_org_t *) context, node, day);
}

/* Team credits by deal, then rep. */
static int
s_compare (const void *left, const void *right)
{
    const incentive_record_credit_t *a = *(const incentive_record_credit_t *const *) left;
    const incentive_record_credit_t *b = *(const incentive_record_credit_t *const *) right;
    int order = strcmp (a->event_id, b->event_id);
    return order ? order : strcmp (a->rep, b->rep);
}

/* What the node's roll-up gives it of one deal (group[0..count)). */
typedef struct {
    bool credited;  /* the node is among the managers credited */
    int32_t share;  /* its share, bp */
    int64_t amount; /* of the revenue */
    int64_t margin; /* of the margin (the reps' shares) */
    bool has_margin;
} s_node_credit_t;

/* One roll-up of the group over one measure: the node's entry. */
static int
s_rollup_one (const incentive_statement_input_t *input, const incentive_plan_rollup_t *terms,
              const incentive_credit_share_t *parts, const int64_t *amounts, size_t count,
              int64_t deal_amount, int64_t day, incentive_credit_rollup_t *out, bool *found,
              char *error, size_t error_size)
{
    size_t credited = 0;
    char reason[INCENTIVE_CREDIT_ERROR_SIZE];
    if (incentive_credit_rollup_parts (
            deal_amount, parts, amounts, count, s_parent, (void *) input->org, day, terms->levels,
            terms->mode, out, INCENTIVE_CREDIT_ROLLUP_MAX, &credited, reason, sizeof reason) != 0) {
        sp_error_set (error, error_size, "roll-up of %s: %s", parts[0].rep_id, reason);
        return -1;
    }
    *found = false;
    for (size_t index = 0; index < credited && !*found; index++)
        if (strcmp (out[index].node, input->rep_id) == 0) {
            out[0] = out[index];
            *found = true;
        }
    return 0;
}

/* The node's credit of the deal whose team credits are group[0..count). */
static int
s_node_credit (const incentive_statement_input_t *input, const incentive_plan_rollup_t *terms,
               const incentive_record_credit_t *const *group, size_t count,
               incentive_credit_rollup_t *out, s_node_credit_t *credit, char *error,
               size_t error_size)
{
    char nodes[INCENTIVE_CREDIT_SPLITS_MAX][SP_ORG_REP_SCOPE_SIZE];
    incentive_credit_share_t parts[INCENTIVE_CREDIT_SPLITS_MAX];
    int64_t revenue[INCENTIVE_CREDIT_SPLITS_MAX];
    int64_t margin[INCENTIVE_CREDIT_SPLITS_MAX];
    bool has_margin = false;
    if (count > INCENTIVE_CREDIT_SPLITS_MAX)
        count = INCENTIVE_CREDIT_SPLITS_MAX; /* a deal has at most that many splits */
    for (size_t index = 0; index < count; index++) {
        snprintf (nodes[index], sizeof nodes[index], "%s%s", SP_ORG_REP_PREFIX, group[index]->rep);
        parts[index] = (incentive_credit_share_t){ .rep_id = nodes[index],
                                                   .share_bp = group[index]->credit_bp };
        revenue[index] = group[index]->revenue;
        margin[index] = group[index]->has_margin ? group[index]->margin : 0;
        has_margin = has_margin || group[index]->has_margin;
    }
    int64_t day;
    memset (credit, 0, sizeof *credit);
    if (sp_period_local_day (input->tz, group[0]->occurred_at, &day) != 0)
        return 0; /* outside years 1..9999: no org day */
    bool found;
    if (s_rollup_one (input, terms, parts, revenue, count, group[0]->deal_amount, day, out, &found,
                      error, error_size) != 0)
        return -1;
    if (!found)
        return 0;
    credit->credited = true;
    credit->share = out[0].share_bp;
    credit->amount = out[0].amount;
    if (!has_margin)
        return 0;
    /* "full" is refused with a margin measure: the margin is the reps' shares */
    incentive_plan_rollup_t shares = { .levels = terms->levels,
                                       .mode = INCENTIVE_CREDIT_ROLLUP_SHARES };
    if (s_rollup_one (input, &shares, parts, margin, count, group[0]->deal_amount, day, out, &found,
                      error, error_size) != 0)
        return -1;
    credit->has_margin = true;
    credit->margin = found ? out[0].amount : 0;
    return 0;
}

int
incentive_statement_internal_rollup (const incentive_statement_input_t *input,
                                     incentive_record_credit_t **credits, bool **new_logo,
                                     size_t **plans, size_t *count, char *error, size_t error_size)
{
    assert (input && credits && new_logo && plans && count);
    *credits = NULL;
    *new_logo = NULL;
    *plans = NULL;
    *count = 0;
    if (!input->org || input->team_credit_count == 0)
        return 0;
    size_t capacity = 0, logo_capacity = 0, plan_capacity = 0;
    const incentive_record_credit_t **order = malloc (input->team_credit_count * sizeof *order);
    incentive_credit_rollup_t *out = malloc (INCENTIVE_CREDIT_ROLLUP_MAX * sizeof *out);
    int result = -1;
    if (!order || !out)
        goto out_of_memory;
    for (size_t index = 0; index < input->team_credit_count; index++)
        order[index] = &input->team_credits[index];
    qsort (order, input->team_credit_count, sizeof *order, s_compare);
    for (size_t plan = 0; plan < input->plan_count; plan++) {
        incentive_plan_rollup_t terms;
        const incentive_plan_t *version = input->plans[plan].plan;
        if (!incentive_plan_rollup (version, &terms) ||
            !incentive_plan_assigned (version, input->rep_id, NULL))
            continue;
        for (size_t first = 0, end; first < input->team_credit_count; first = end) {
            for (end = first + 1; end < input->team_credit_count &&
                                  strcmp (order[end]->event_id, order[first]->event_id) == 0;
                 end++)
                ;
            s_node_credit_t node;
            if (s_node_credit (input, &terms, &order[first], end - first, out, &node, error,
                               error_size) != 0)
                goto out;
            if (!node.credited)
                continue;
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
            credit->credit_bp = node.share;
            credit->revenue = node.amount;
            credit->has_margin = node.has_margin;
            credit->margin = node.margin;
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
    free (out);
    return result;
}
