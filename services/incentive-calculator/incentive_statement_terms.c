/*  incentive_statement_terms - the plan terms a statement applies beyond
    the rates (see incentive_statement_internal.h): which draw the rep has
    for a period, the exact shares that payment releases and recomputed
    clawbacks pay, and which version of a plan is in force and whether it
    applies to the rep. Pure: no I/O.
*/
#include "incentive_statement_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_money.h"
#include "sp_tz.h"
#include "sp_round.h"

#define S_DAY_SECONDS INT64_C (86400)
#define S_MS 1000
#define S_LOCAL_VERSIONS 16 /* plan versions a lookup holds without malloc */

typedef __int128 s_wide_t;

/* Bound of base × rate units that keeps base × rate × part in 127 bits. */
#define S_PRODUCT_MAX (((s_wide_t) 1) << 76)

int64_t
incentive_statement_internal_share (int64_t amount, int64_t part, int64_t whole)
{
    assert (whole > 0 && part >= 0 && part <= whole);
    return (int64_t) sp_round_divide ((s_wide_t) amount * part, whole);
}

int
incentive_statement_internal_rate_share (int64_t base, incentive_ledger_decimal_t rate,
                                         int64_t part, int64_t whole, int64_t *out)
{
    assert (whole > 0 && part >= 0 && part <= whole && out);
    if (rate.decimals < 0 || rate.decimals > INCENTIVE_LEDGER_DECIMALS_MAX)
        return -1;
    s_wide_t scale = 1;
    for (int digit = 0; digit < rate.decimals; digit++)
        scale *= 10;
    /* exact: |base × rate units| stays below 2^76 for money rates (at most
       10, 6 decimals) and part below 2^50, so the product fits 127 bits */
    s_wide_t product = (s_wide_t) base * rate.units;
    if (product > S_PRODUCT_MAX || product < -S_PRODUCT_MAX)
        return -1;
    s_wide_t value = sp_round_divide (product * part, scale * whole);
    if (value < -SP_MONEY_MAX_MINOR || value > SP_MONEY_MAX_MINOR)
        return -1;
    *out = (int64_t) value;
    return 0;
}

/* ---------------------------------------------------------------- draws */

/* The rep's assignment in plan, or NULL when the plan does not name the rep. */
static const incentive_plan_rep_t *
s_assignment (const incentive_plan_t *plan, const char *rep_id)
{
    for (size_t index = 0; index < incentive_plan_rep_count (plan); index++) {
        const incentive_plan_rep_t *rep = incentive_plan_rep (plan, index);
        if (strcmp (rep->id, rep_id) == 0)
            return rep;
    }
    return NULL;
}

/* The first instant of local day in tz, UTC ms. */
static int64_t
s_day_start (const sp_tz_t *tz, int64_t day)
{
    return sp_tz_local_to_utc (tz, day * S_DAY_SECONDS) * S_MS;
}

/* When version stops being the one in force of its plan: *end set and
   true, false when no later version takes over; *never when a version of
   the same date and a higher number replaces it from its first instant. */
static bool
s_superseded (const incentive_statement_input_t *input, const incentive_statement_plan_t *version,
              int64_t *end, bool *never)
{
    int64_t from = version->has_effective_from ? version->effective_from : INT64_MIN;
    bool found = false;
    *never = false;
    for (size_t index = 0; index < input->plan_count; index++) {
        const incentive_statement_plan_t *other = &input->plans[index];
        if (other == version || strcmp (other->name, version->name) != 0)
            continue;
        int64_t at = other->has_effective_from ? other->effective_from : INT64_MIN;
        if (at == from && other->version > version->version)
            *never = true;
        if (at > from && (!found || at < *end)) {
            *end = at;
            found = true;
        }
    }
    return found;
}

/* A candidate draw. */
typedef struct {
    const incentive_statement_plan_t *version;
    int64_t start_ms;                 /* first instant the version applies to the rep */
    bool has_end;                     /* it stops applying */
    int64_t end_ms;                   /* at this instant */
    char first[SP_PERIOD_LABEL_SIZE]; /* the period of start_ms */
} s_candidate_t;

/* True when a is preferred to b (b may be unset: version NULL). */
static bool
s_better (const s_candidate_t *a, const s_candidate_t *b)
{
    if (!b->version)
        return true;
    int order = strcmp (a->first, b->first);
    if (order != 0)
        return order > 0;
    if (a->start_ms != b->start_ms)
        return a->start_ms > b->start_ms;
    order = strcmp (a->version->name, b->version->name);
    if (order != 0)
        return order < 0;
    return a->version->version > b->version->version;
}

int
incentive_statement_internal_draw (const incentive_statement_input_t *input,
                                   const sp_period_t *period, incentive_draw_terms_t *terms,
                                   char *first, char *error, size_t error_size)
{
    assert (input && period && terms && first);
    s_candidate_t best = { .version = NULL };
    incentive_draw_terms_t best_terms;
    incentive_draw_terms_none (&best_terms);
    for (size_t index = 0; index < input->plan_count; index++) {
        const incentive_statement_plan_t *version = &input->plans[index];
        const incentive_plan_t *plan = version->plan;
        incentive_draw_terms_t draw;
        if (!incentive_plan_draw (plan, &draw) ||
            incentive_statement_kind (incentive_plan_period (plan)) != input->kind ||
            strcmp (incentive_plan_currency (plan), input->currency) != 0)
            continue;
        const incentive_plan_rep_t *rep = s_assignment (plan, input->rep_id);
        if (!rep || !rep->has_from)
            continue; /* a plan with a draw names each rep's "from" (incentive_plan) */
        s_candidate_t candidate = { .version = version };
        candidate.start_ms = s_day_start (input->tz, rep->from_day);
        if (version->has_effective_from && version->effective_from > candidate.start_ms)
            candidate.start_ms = version->effective_from;
        bool never;
        candidate.has_end = s_superseded (input, version, &candidate.end_ms, &never);
        if (never)
            continue;
        if (rep->has_to) {
            int64_t to = s_day_start (input->tz, rep->to_day);
            if (!candidate.has_end || to < candidate.end_ms)
                candidate.end_ms = to;
            candidate.has_end = true;
        }
        if (candidate.has_end && candidate.end_ms <= candidate.start_ms)
            continue; /* never applies to the rep */
        sp_period_t start;
        if (sp_period_cut (input->tz, input->kind, candidate.start_ms, &start) != 0)
            continue; /* outside years 1..9999 */
        snprintf (candidate.first, sizeof candidate.first, "%s", start.label);
        if (strcmp (candidate.first, period->label) > 0 || !s_better (&candidate, &best))
            continue;
        /* the periods the version applies to the rep, when it ends */
        if (candidate.has_end) {
            int64_t count = 1;
            sp_period_t walk = start;
            while (walk.end_ms < candidate.end_ms &&
                   (draw.periods == INCENTIVE_DRAW_OPEN_END || count < draw.periods)) {
                sp_period_t next;
                if (sp_period_next (input->tz, &walk, &next) != 0)
                    break;
                walk = next;
                count++;
            }
            if (draw.periods == INCENTIVE_DRAW_OPEN_END || count < draw.periods)
                draw.periods = count;
        }
        best = candidate;
        best_terms = draw;
    }
    if (!best.version)
        return 0;
    char reason[INCENTIVE_DRAW_ERROR_SIZE];
    if (incentive_draw_check (&best_terms, reason, sizeof reason) != 0) {
        sp_error_set (error, error_size, "plan %s@%" PRId64 ": %s", best.version->name,
                      best.version->version, reason);
        return -1;
    }
    *terms = best_terms;
    memcpy (first, best.first, SP_PERIOD_LABEL_SIZE);
    return 1;
}

/* ---------------------------------------------------------------- plan versions and assignments */

long
incentive_statement_internal_version (const incentive_statement_input_t *input, const char *name,
                                      int64_t at)
{
    /* asked once per credit and plan: the usual few versions on the stack */
    incentive_plan_version_t local_versions[S_LOCAL_VERSIONS] = { 0 };
    size_t local_map[S_LOCAL_VERSIONS] = { 0 };
    bool local = input->plan_count <= S_LOCAL_VERSIONS;
    incentive_plan_version_t *versions =
        local ? local_versions : malloc (input->plan_count * sizeof *versions);
    size_t *map = local ? local_map : malloc (input->plan_count * sizeof *map);
    long result = -1;
    size_t count = 0;
    if (!versions || !map)
        goto out;
    for (size_t index = 0; index < input->plan_count; index++) {
        const incentive_statement_plan_t *plan = &input->plans[index];
        if (strcmp (plan->name, name) != 0)
            continue;
        versions[count] =
            (incentive_plan_version_t){ .version = plan->version,
                                        .has_effective_from = plan->has_effective_from,
                                        .effective_from = plan->effective_from };
        map[count++] = index;
    }
    size_t chosen;
    if (incentive_plan_version_choose (versions, count, at, &chosen) == 0)
        result = (long) map[chosen];
out:
    if (!local) {
        free (versions);
        free (map);
    }
    return result;
}

/* The assignment of a rep by its role, or as an overlay rep: every day
   of every period. */
static const incentive_plan_rep_t s_whole_periods = { .has_from = false, .has_to = false };

/* The rep's assignment in plan (named, by its role, or as an overlay
   rep), or NULL when the plan does not apply to the rep. */
const incentive_plan_rep_t *
incentive_statement_internal_assignment (const incentive_plan_t *plan, const char *rep_id,
                                         const char *role)
{
    if (incentive_plan_overlay_count (plan) > 0)
        return incentive_plan_overlay_share (plan, rep_id, NULL) ? &s_whole_periods : NULL;
    if (incentive_plan_role (plan))
        return incentive_plan_assigned (plan, rep_id, role) ? &s_whole_periods : NULL;
    for (size_t index = 0; index < incentive_plan_rep_count (plan); index++) {
        const incentive_plan_rep_t *rep = incentive_plan_rep (plan, index);
        if (strcmp (rep->id, rep_id) == 0)
            return rep;
    }
    return NULL;
}
