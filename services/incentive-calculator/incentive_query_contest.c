/*  incentive_query_contest - a SPIFF's leaderboard over every rep its
    plan applies to, each standing from the rep's statement lines
    (incentive_contest.h), for `salesctl contest` (see incentive_query.h). */
#include "incentive_query_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incentive_contest.h"
#include "sp_array.h"
#include "sp_civil.h"
#include "sp_error.h"
#include "sp_json_text.h"

/* True when a version of plan pays rep (by name, by its role, or as an
   overlay rep). */
static bool
s_applies (const incentive_statement_plan_t *plans, size_t count, const char *plan, const char *rep,
           const char *role)
{
    for (size_t index = 0; index < count; index++)
        if (strcmp (plans[index].name, plan) == 0 &&
            incentive_plan_pays (plans[index].plan, rep, role))
            return true;
    return false;
}

/* The reps plan pays: those its versions name (an overlay plan's overlay
   reps) and every rep credited or paid (incentive_query_reps) one of
   them applies to, sorted,
   distinct (*reps malloc'd, incentive_query_reps_free). */
static int
s_contestants (incentive_query_t *self, const char *plan, char ***reps, size_t *count, char *error,
               size_t error_size)
{
    size_t plan_count;
    const incentive_statement_plan_t *plans = incentive_query_internal_plans (self, &plan_count);
    const sp_org_t *org = incentive_query_internal_org (self);
    char **known = NULL;
    size_t known_count = 0;
    if (incentive_query_reps (self, &known, &known_count, error, error_size) != 0)
        return -1;
    size_t capacity = known_count;
    size_t kept = 0;
    for (size_t index = 0; index < known_count; index++) {
        const char *role = org ? sp_org_rep_role (org, known[index]) : NULL;
        if (s_applies (plans, plan_count, plan, known[index], role))
            known[kept++] = known[index];
        else
            free (known[index]);
    }
    known_count = kept;
    for (size_t index = 0; index < plan_count; index++) {
        if (strcmp (plans[index].name, plan) != 0)
            continue;
        /* an overlay plan pays its overlay reps, not the reps it names */
        const incentive_plan_t *version = plans[index].plan;
        size_t overlays = incentive_plan_overlay_count (version);
        size_t paid = overlays ? overlays : incentive_plan_rep_count (version);
        for (size_t at = 0; at < paid; at++) {
            const char *id = overlays ? incentive_plan_overlay (version, at)->rep
                                      : incentive_plan_rep (version, at)->id;
            if (sp_array_reserve ((void **) &known, &capacity, known_count + 1, sizeof *known,
                                  INCENTIVE_QUERY_INTERNAL_INITIAL) != 0 ||
                !(known[known_count] = strdup (id))) {
                incentive_query_reps_free (&known, known_count);
                sp_error_set (error, error_size, "out of memory");
                return -1;
            }
            known_count++;
        }
    }
    if (known_count > 0)
        qsort (known, known_count, sizeof *known, incentive_query_internal_compare_text);
    kept = 0;
    for (size_t index = 0; index < known_count; index++) {
        if (kept > 0 && strcmp (known[kept - 1], known[index]) == 0)
            free (known[index]);
        else
            known[kept++] = known[index];
    }
    *reps = known;
    *count = kept;
    return 0;
}

/* The leaderboard as JSON text. */
static char *
s_json (const incentive_statement_plan_t *version, const incentive_plan_spiff_t *spiff,
        const char *currency, const char *first, const char *last,
        const incentive_contest_standing_t *standings, size_t count, uint64_t behind)
{
    char from[SP_CIVIL_DATE_LABEL_SIZE], to[SP_CIVIL_DATE_LABEL_SIZE];
    char plan_version[INCENTIVE_LEDGER_NAME_SIZE];
    sp_civil_date_label (spiff->from_day, from);
    sp_civil_date_label (spiff->to_day, to);
    snprintf (plan_version, sizeof plan_version, "%s@%lld", version->name,
              (long long) version->version);
    incentive_plan_measure_t measure = spiff->fixed ? INCENTIVE_PLAN_EVENTS : spiff->measure;
    sp_json_text_t out = sp_json_text_new ();
    sp_json_text_open (&out, '{');
    sp_json_text_key (&out, "plan");
    sp_json_text_string (&out, version->name);
    sp_json_text_key (&out, "plan_version");
    sp_json_text_string (&out, plan_version);
    sp_json_text_key (&out, "spiff");
    sp_json_text_string (&out, spiff->id);
    sp_json_text_key (&out, "pays");
    sp_json_text_string (&out, spiff->fixed ? "fixed" : "rate");
    sp_json_text_key (&out, "measure");
    sp_json_text_string (&out, incentive_plan_measure_name (measure));
    sp_json_text_key (&out, "from");
    sp_json_text_string (&out, from);
    sp_json_text_key (&out, "to");
    sp_json_text_string (&out, to);
    sp_json_text_key (&out, "first_period");
    sp_json_text_string (&out, first);
    sp_json_text_key (&out, "last_period");
    sp_json_text_string (&out, last);
    sp_json_text_key (&out, "currency");
    sp_json_text_string (&out, currency);
    sp_json_text_key (&out, "standings");
    sp_json_text_open (&out, '[');
    for (size_t index = 0; index < count; index++) {
        const incentive_contest_standing_t *standing = &standings[index];
        sp_json_text_open (&out, '{');
        sp_json_text_key (&out, "rank");
        sp_json_text_integer (&out, (int64_t) standing->rank);
        sp_json_text_key (&out, "rep_id");
        sp_json_text_string (&out, standing->rep_id);
        sp_json_text_key (&out, "value");
        sp_json_text_integer (&out, standing->value);
        sp_json_text_key (&out, "earning");
        sp_json_text_integer (&out, standing->earning);
        sp_json_text_key (&out, "deals");
        sp_json_text_integer (&out, standing->deals);
        sp_json_text_key (&out, "reached_at");
        if (standing->reached)
            sp_json_text_integer (&out, standing->reached_at);
        else
            sp_json_text_null (&out);
        sp_json_text_close (&out, '}');
    }
    sp_json_text_close (&out, ']');
    sp_json_text_key (&out, "complete");
    sp_json_text_bool (&out, behind == 0);
    sp_json_text_key (&out, "behind");
    sp_json_text_integer (&out, (int64_t) behind);
    sp_json_text_close (&out, '}');
    return sp_json_text_finish (&out);
}

char *
incentive_query_contest (incentive_query_t *self, const char *plan, const char *spiff_id,
                         char *error, size_t error_size)
{
    assert (self && plan && spiff_id);
    size_t plan_count;
    const incentive_statement_plan_t *plans = incentive_query_internal_plans (self, &plan_count);
    size_t spiff_index = 0;
    const incentive_statement_plan_t *version =
        incentive_contest_find (plans, plan_count, plan, spiff_id, &spiff_index);
    if (!version) {
        sp_error_set (error, error_size, "no version of plan \"%.64s\" has a SPIFF \"%.64s\"", plan,
                      spiff_id);
        return NULL;
    }
    const incentive_plan_spiff_t *spiff = incentive_plan_spiff (version->plan, spiff_index);
    sp_period_kind_t kind = incentive_statement_kind (incentive_plan_period (version->plan));
    char first[SP_PERIOD_LABEL_SIZE], last[SP_PERIOD_LABEL_SIZE];
    if (incentive_contest_window (incentive_query_tz (self), kind, spiff, first, last, error,
                                  error_size) != 0)
        return NULL;
    char **reps = NULL;
    size_t count = 0;
    if (s_contestants (self, plan, &reps, &count, error, error_size) != 0)
        return NULL;
    char *text = NULL;
    uint64_t behind = 0;
    incentive_contest_standing_t *standings = calloc (count ? count : 1, sizeof *standings);
    if (!standings) {
        sp_error_set (error, error_size, "out of memory");
        goto out;
    }
    for (size_t index = 0; index < count; index++) {
        incentive_query_internal_read_t read;
        if (incentive_query_internal_read (self, reps[index], kind, NULL, false, &read, error,
                                           error_size) != 0)
            goto out;
        int made = incentive_contest_standing (&read.input, plan, spiff_id, last, &standings[index],
                                               error, error_size);
        if (read.behind > behind)
            behind = read.behind;
        incentive_query_internal_read_free (&read);
        if (made != 0)
            goto out;
    }
    incentive_contest_rank (standings, count);
    text = s_json (version, spiff, incentive_query_currency (self), first, last, standings, count,
                   behind);
    if (!text)
        sp_error_set (error, error_size, "out of memory");
out:
    free (standings);
    incentive_query_reps_free (&reps, count);
    return text;
}
