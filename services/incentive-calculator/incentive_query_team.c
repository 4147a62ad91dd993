/*  incentive_query_team - the other reps a statement reads: the reps
    under a node a roll-up plan pays, and those an overlay rep's plans
    name, for incentive_query.c (see incentive_query_internal.h). */
#include "incentive_query_internal.h"

#include <stdlib.h>
#include <string.h>

#include "incentive_plan.h"
#include "sp_array.h"
#include "sp_error.h"
#include "sp_org.h"

/* True when a version of a roll-up plan names node. */
static bool
s_pays_node (const incentive_query_t *self, const char *node)
{
    for (size_t index = 0; index < self->plan_count; index++)
        if (incentive_plan_rollup (self->plans[index].plan, NULL) &&
            incentive_plan_assigned (self->plans[index].plan, node, NULL))
            return true;
    return false;
}

/* True when the statement of rep_id reads other reps' credits: a node a
   roll-up plan pays (with an org), or an overlay rep of a plan. */
bool
incentive_query_internal_reads_team (const incentive_query_t *self, const char *rep_id)
{
    if (self->org && s_pays_node (self, rep_id))
        return true;
    for (size_t index = 0; index < self->plan_count; index++)
        if (incentive_plan_overlay_share (self->plans[index].plan, rep_id, NULL))
            return true;
    return false;
}

/* Appends the rep ids among the children of node (scopes "rep:<id>";
   ids borrowed from the org) to *reps. */
static int
s_add_children (const sp_org_t *org, const char *node, const char ***reps, size_t *count,
                size_t *capacity)
{
    size_t children = sp_org_children (org, node, INT64_MIN / 2, INT64_MAX / 2, NULL, 0);
    const char **scopes = calloc (children ? children : 1, sizeof *scopes);
    if (!scopes)
        return -1;
    sp_org_children (org, node, INT64_MIN / 2, INT64_MAX / 2, scopes, children);
    int result = 0;
    size_t prefix = strlen (SP_ORG_REP_PREFIX);
    for (size_t index = 0; index < children && result == 0; index++) {
        if (strncmp (scopes[index], SP_ORG_REP_PREFIX, prefix) == 0) {
            if (sp_array_reserve ((void **) reps, capacity, *count + 1, sizeof **reps,
                                  INCENTIVE_QUERY_INTERNAL_INITIAL) != 0)
                result = -1;
            else
                (*reps)[(*count)++] = scopes[index] + prefix;
        }
        else
            result = s_add_children (org, scopes[index], reps, count, capacity);
    }
    free (scopes);
    return result;
}

int
incentive_query_internal_compare_text (const void *left, const void *right)
{
    return strcmp (*(char *const *) left, *(char *const *) right);
}

/* The reps ever under node in the org, sorted and distinct (*reps
   malloc'd, the ids borrowed from the org). */
static int
s_reps_under (const sp_org_t *org, const char *node, const char ***reps, size_t *count)
{
    size_t capacity = 0;
    *reps = NULL;
    *count = 0;
    int result = 0;
    if (strcmp (node, SP_ORG_COMPANY) == 0) {
        for (size_t index = 0; index < sp_org_rep_count (org) && result == 0; index++) {
            if (sp_array_reserve ((void **) reps, &capacity, *count + 1, sizeof **reps,
                                  INCENTIVE_QUERY_INTERNAL_INITIAL) != 0)
                result = -1;
            else
                (*reps)[(*count)++] = sp_org_rep_id (org, index);
        }
    }
    else
        result = s_add_children (org, node, reps, count, &capacity);
    if (result != 0 || *count == 0)
        return result;
    qsort (*reps, *count, sizeof **reps, incentive_query_internal_compare_text);
    size_t kept = 1;
    for (size_t index = 1; index < *count; index++)
        if (strcmp ((*reps)[kept - 1], (*reps)[index]) != 0)
            (*reps)[kept++] = (*reps)[index];
    *count = kept;
    return 0;
}

/* Adds to *reps (count, capacity) the reps named by the plan versions
   whose "overlays" list rep_id (ids borrowed from the plans). */
static int
s_add_overlaid (const incentive_query_t *self, const char *rep_id, const char ***reps,
                size_t *count, size_t *capacity)
{
    for (size_t plan = 0; plan < self->plan_count; plan++) {
        const incentive_plan_t *version = self->plans[plan].plan;
        if (!incentive_plan_overlay_share (version, rep_id, NULL))
            continue;
        for (size_t index = 0; index < incentive_plan_rep_count (version); index++) {
            if (sp_array_reserve ((void **) reps, capacity, *count + 1, sizeof **reps,
                                  INCENTIVE_QUERY_INTERNAL_INITIAL) != 0)
                return -1;
            (*reps)[(*count)++] = incentive_plan_rep (version, index)->id;
        }
    }
    return 0;
}

/* The reps whose credits the statement of rep_id reads besides its own
   (sorted, distinct, never rep_id; *reps malloc'd, ids borrowed): every
   rep ever under it in the org when a roll-up plan pays it, and the reps
   named by the overlay plans paying it. */
static int
s_team_reps (const incentive_query_t *self, const char *rep_id, const char ***reps, size_t *count)
{
    *reps = NULL;
    *count = 0;
    if (self->org && s_pays_node (self, rep_id) &&
        s_reps_under (self->org, rep_id, reps, count) != 0)
        return -1;
    size_t capacity = *count;
    if (s_add_overlaid (self, rep_id, reps, count, &capacity) != 0)
        return -1;
    if (*count == 0)
        return 0;
    qsort (*reps, *count, sizeof **reps, incentive_query_internal_compare_text);
    size_t kept = 0;
    for (size_t index = 0; index < *count; index++)
        if (strcmp ((*reps)[index], rep_id) != 0 &&
            (kept == 0 || strcmp ((*reps)[kept - 1], (*reps)[index]) != 0))
            (*reps)[kept++] = (*reps)[index];
    *count = kept;
    return 0;
}

/* Reads the credits of the reps under node, or named by the overlay
   plans paying rep_id, and their marks into team, and adds their
   cancellations and payments to rep's. */
int
incentive_query_internal_read_team (incentive_query_t *self, const char *rep_id,
                                    incentive_query_internal_rep_t *rep,
                                    incentive_query_internal_rep_t *team, char *error,
                                    size_t error_size)
{
    const char **reps = NULL;
    size_t count = 0;
    if (s_team_reps (self, rep_id, &reps, &count) != 0) {
        free (reps);
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    int result = -1;
    if (count > 0 &&
        incentive_query_internal_read_credits (self, reps, count, team, error, error_size) != 0)
        goto out;
    if (incentive_query_internal_read_marks (self, team, error, error_size) != 0)
        goto out;
    size_t cancels = rep->cancel_count + team->cancel_count;
    incentive_record_cancel_t *all = realloc (rep->cancels, (cancels ? cancels : 1) * sizeof *all);
    if (!all) {
        sp_error_set (error, error_size, "out of memory");
        goto out;
    }
    rep->cancels = all;
    for (size_t index = 0; index < team->cancel_count; index++)
        rep->cancels[rep->cancel_count++] = team->cancels[index];
    for (size_t index = 0; index < team->payment_count; index++) {
        if (sp_array_reserve ((void **) &rep->payments, &rep->payment_capacity,
                              rep->payment_count + 1, sizeof *rep->payments,
                              INCENTIVE_QUERY_INTERNAL_INITIAL) != 0) {
            sp_error_set (error, error_size, "out of memory");
            goto out;
        }
        rep->payments[rep->payment_count++] = team->payments[index];
    }
    result = 0;
out:
    free (reps);
    return result;
}
