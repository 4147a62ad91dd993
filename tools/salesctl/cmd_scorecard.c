/*  salesctl scorecard - the members of a scope ranked by their weighted
    KPI score.

        salesctl scorecard --scope team:ID|region:ID|company --period PERIOD
                           [--as-of WHEN] [--json] [--wait] [--timeout SECONDS]
                           [--postgres URL] [--redis URL]

    Members are the org's children of the scope in force during the
    period (reps of a team, teams of a region, regions of the company:
    the `org` reference data), scored with the role's KPIs and weights of
    the `scorecard` reference data loaded last: score = Σ w · min
    (attainment, cap) ÷ Σ w over the KPIs that have a target and a value
    (docs/scorecards.md), and ranked (equal scores share a rank). With
    --json one object {"scope", "period", "as_of", "role", "scorecard",
    "members": [{"id", "rank", "score", "kpis": [{"kpi", "weight",
    "counted", "attainment", "contribution", "actual", "target"}]}],
    "completeness"}; scores and attainments as fractions (1 = 100 %),
    absent values null. Whether kpi-evaluator's state held the whole log
    is said as `salesctl kpi` says it (salesctl_complete.h); with --wait
    the members are read once the state is complete (or at --timeout):
    a rebuild that starts during that read marks the answer incomplete
    and exits 3 rather than reading again.
*/
#include "salesctl.h"
#include "salesctl_complete.h"

#include "kpi-evaluator/kpi_evaluate.h"
#include "kpi-evaluator/kpi_keys.h"
#include "sp_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_command[] = "scorecard";

#define S_BASIS_POINTS 10000
#define S_MEMBERS_MAX 100000

static const sp_config_option_t s_options[] = {
    { "scope", NULL, SP_CONFIG_STRING, "company", "team:ID, region:ID or company", 0, 0 },
    { "period", NULL, SP_CONFIG_STRING, NULL, "YYYY, YYYY-Qn, YYYY-MM or YYYY-Www (required)", 0,
      0 },
    { "as-of", NULL, SP_CONFIG_STRING, "",
      "judge the period as of this date or RFC 3339 time (default now)", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print one JSON object", 0, 0 },
    SALESCTL_COMPLETE_OPTIONS,
};

/* One member scored. */
typedef struct {
    const char *id; /* scope string, borrowed from the org */
    kpi_scorecard_result_t result;
    kpi_evaluation_t *evaluation;
} s_member_t;

/* The role of the members of scope: team -> rep, region -> team,
   company -> region. */
static const char *
s_member_role (const char *scope)
{
    if (strncmp (scope, "team:", 5) == 0)
        return "rep";
    if (strncmp (scope, "region:", 7) == 0)
        return "team";
    if (strcmp (scope, "company") == 0)
        return "region";
    return NULL;
}

/* Scores member with the role's KPIs. */
static int
s_score (const kpi_scorecard_t *scorecard, const char *role, s_member_t *member)
{
    kpi_scorecard_input_t inputs[KPI_SCORECARD_KPIS_MAX];
    size_t count = kpi_scorecard_kpi_count (scorecard, role);
    for (size_t index = 0; index < count; index++) {
        const char *name = kpi_scorecard_kpi (scorecard, role, index)->definition->name;
        const kpi_evaluate_row_t *row = kpi_evaluate_row (member->evaluation, name);
        inputs[index] = (kpi_scorecard_input_t){ name, row && row->has_attainment,
                                                 row ? row->attainment_bp : 0 };
    }
    return kpi_scorecard_score (scorecard, role, inputs, count, &member->result);
}

static json_t *
s_member_json (const s_member_t *member, size_t rank)
{
    json_t *kpis = json_array ();
    for (size_t index = 0; kpis && index < member->result.part_count; index++) {
        const kpi_scorecard_part_t *part = &member->result.parts[index];
        const kpi_evaluate_row_t *row = kpi_evaluate_row (member->evaluation, part->kpi);
        kpi_unit_t unit = row->kpi->unit;
        json_array_append_new (
            kpis,
            json_pack (
                "{s:s, s:f, s:b, s:o, s:o, s:o, s:o}", "kpi", part->kpi, "weight",
                (double) part->weight_bp / S_BASIS_POINTS, "counted", part->counted, "attainment",
                part->counted ? json_real ((double) part->attainment_bp / S_BASIS_POINTS)
                              : json_null (),
                "contribution",
                part->counted ? json_real ((double) part->contribution_bp / S_BASIS_POINTS)
                              : json_null (),
                "actual",
                row->has_actual ? kpi_evaluate_value_json (unit, row->actual) : json_null (),
                "target",
                row->has_target ? kpi_evaluate_value_json (unit, row->effective) : json_null ()));
    }
    return json_pack ("{s:s, s:o, s:o, s:o}", "id", member->id, "rank",
                      rank ? json_integer ((json_int_t) rank) : json_null (), "score",
                      member->result.has_score
                          ? json_real ((double) member->result.score_bp / S_BASIS_POINTS)
                          : json_null (),
                      "kpis", kpis ? kpis : json_array ());
}

/* Prints the ranking. */
static int
s_print (const salesctl_kpi_t *session, const salesctl_complete_t *complete, const char *scope,
         const char *role, const kpi_scorecard_t *scorecard, const s_member_t *members,
         const kpi_scorecard_member_t *ranked, size_t count, bool json)
{
    if (json) {
        char as_of[SP_EVENT_TIME_TEXT_SIZE];
        sp_event_time_format (session->as_of_ms, as_of, sizeof as_of);
        json_t *list = json_array ();
        for (size_t index = 0; list && index < count; index++) {
            const s_member_t *member = NULL;
            for (size_t find = 0; find < count && !member; find++)
                if (members[find].id == ranked[index].id)
                    member = &members[find];
            json_array_append_new (list, s_member_json (member, ranked[index].rank));
        }
        json_t *document =
            json_pack ("{s:s, s:s, s:s, s:s, s:s, s:o}", "scope", scope, "period",
                       session->period.label, "as_of", as_of, "role", role, "scorecard",
                       kpi_scorecard_name (scorecard), "members", list ? list : json_array ());
        char *text = document && salesctl_complete_json (complete, document) == 0
                         ? json_dumps (document, JSON_COMPACT | JSON_REAL_PRECISION (10))
                         : NULL;
        json_decref (document);
        if (!text)
            return -1;
        printf ("%s\n", text);
        free (text);
        return 0;
    }
    salesctl_complete_text (complete, stdout);
    printf ("%s  %s  scorecard \"%s\" (%s)\n", scope, session->period.label,
            kpi_scorecard_name (scorecard), role);
    printf ("%4s  %-40s %7s\n", "rank", "member", "score");
    for (size_t index = 0; index < count; index++) {
        if (ranked[index].has_score)
            printf ("%4zu  %-40s %6.1f%%\n", ranked[index].rank, ranked[index].id,
                    (double) ranked[index].score_bp / 100);
        else
            printf ("%4s  %-40s %7s\n", "-", ranked[index].id, "-");
    }
    return 0;
}

int
salesctl_scorecard (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config =
        salesctl_config (argc, argv,
                         "Rank the members of a team, region or the company by their weighted "
                         "KPI score for a period.",
                         s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    const char *scope = sp_config_string (config, "scope");
    const char *role = s_member_role (scope);
    salesctl_kpi_t session;
    salesctl_complete_t complete = { 0 };
    s_member_t *members = NULL;
    kpi_scorecard_member_t *ranked = NULL;
    size_t count = 0;
    if (!sp_config_string (config, "period") || !role) {
        fprintf (stderr, "salesctl %s: %s\n", s_command,
                 role ? "--period is required (e.g. --period 2017-Q2)"
                      : "--scope must be team:ID, region:ID or company");
        goto out_destroy_config;
    }
    if (salesctl_kpi_open (config, s_command, 0,
                           KPI_REFERENCE_ORG | KPI_REFERENCE_TARGETS | KPI_REFERENCE_SCORECARD,
                           sp_config_string (config, "scope"), sp_config_string (config, "period"),
                           sp_config_string (config, "as-of"), &session) != 0)
        goto out_destroy_config;
    const kpi_reference_t *reference = kpi_query_reference (session.query);
    const sp_org_t *org = kpi_reference_org (reference);
    const kpi_scorecard_t *scorecard = kpi_reference_scorecard (reference);
    if (!org || !scorecard || kpi_scorecard_kpi_count (scorecard, role) == 0) {
        fprintf (stderr,
                 "salesctl %s: a scorecard needs an org (salesctl load org FILE) and a "
                 "scorecard defining role \"%s\" (salesctl load scorecard FILE)\n",
                 s_command, role);
        goto out_close;
    }
    char error[KPI_QUERY_ERROR_SIZE];
    int64_t first, last;
    if (kpi_query_period_days (session.query, &session.period, &first, &last) != 0) {
        fprintf (stderr, "salesctl %s: period %s is out of range\n", s_command,
                 session.period.label);
        goto out_close;
    }
    if (salesctl_complete_open (config, s_command, KPI_KEYS_SERVICE, session.pg,
                                kpi_reference_rebuild_kinds, KPI_REFERENCE_REBUILD_KIND_COUNT,
                                &complete) != 0 ||
        salesctl_complete_begin (&complete, session.pg, session.redis) != 0)
        goto out_close;
    size_t total = sp_org_children (org, scope, first, last + 1, NULL, 0);
    if (total > S_MEMBERS_MAX) {
        fprintf (stderr, "salesctl %s: %zu members is more than %d\n", s_command, total,
                 S_MEMBERS_MAX);
        goto out_close;
    }
    const char **ids = calloc (total ? total : 1, sizeof *ids);
    members = calloc (total ? total : 1, sizeof *members);
    ranked = calloc (total ? total : 1, sizeof *ranked);
    if (!ids || !members || !ranked) {
        free (ids);
        fprintf (stderr, "salesctl %s: out of memory\n", s_command);
        goto out_close;
    }
    count = sp_org_children (org, scope, first, last + 1, ids, total);
    /* every member's measures of a period are read together, for this
       period and the earlier ones a carried shortfall needs */
    if (kpi_query_cache_scopes (session.query, ids, count) != 0) {
        free (ids);
        fprintf (stderr, "salesctl %s: out of memory\n", s_command);
        goto out_close;
    }
    for (size_t index = 0; index < count; index++) {
        int64_t sums[KPI_MEASURE_COUNT];
        members[index].id = ids[index];
        members[index].evaluation = malloc (sizeof (kpi_evaluation_t));
        if (!members[index].evaluation ||
            kpi_query_scope_sums (session.query, &session.period, session.through, ids[index], sums,
                                  error, sizeof error) != 0 ||
            kpi_evaluate_scope (session.query, ids[index], &session.period, session.through, sums,
                                members[index].evaluation, error, sizeof error) != 0 ||
            s_score (scorecard, role, &members[index]) != 0) {
            fprintf (stderr, "salesctl %s: %s: %s\n", s_command, ids[index],
                     members[index].evaluation ? error : "out of memory");
            free (ids);
            goto out_close;
        }
        ranked[index] = (kpi_scorecard_member_t){ ids[index], members[index].result.has_score,
                                                  members[index].result.score_bp, 0 };
    }
    free (ids);
    /* read once: the members' cached sums are not read again */
    if (salesctl_complete_end (&complete, session.redis) < 0)
        goto out_close;
    kpi_scorecard_rank (ranked, count);
    if (s_print (&session, &complete, scope, role, scorecard, members, ranked, count,
                 sp_config_bool (config, "json")) != 0) {
        fprintf (stderr, "salesctl %s: out of memory writing the scorecard\n", s_command);
        goto out_close;
    }
    exit_code = fflush (stdout) == 0 ? salesctl_complete_exit (&complete) : SALESCTL_EXIT_FAILURE;
out_close:
    salesctl_complete_close (&complete);
    for (size_t index = 0; members && index < count; index++)
        free (members[index].evaluation);
    free (members);
    free (ranked);
    salesctl_kpi_close (&session);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
