/*  kpi_notifier - kpi-evaluator's pace warnings, live (see
    kpi_notifier.h). */
#include "kpi_notifier.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kpi_evaluate.h"
#include "kpi_forecast.h"
#include "kpi_keys.h"
#include "sp_org.h"
#include "kpi_query.h"
#include "kpi_warning_store.h"
#include "sp_civil.h"
#include "sp_error.h"
#include "sp_event.h"
#include "sp_log.h"
#include "sp_notifier.h"

#define S_ERROR_SIZE 512
#define S_MS_PER_SECOND INT64_C (1000)
#define S_NS_PER_MS 1000000
#define S_PERIODS 2 /* judged: the current month and quarter */

struct _kpi_notifier_t {
    sp_service_t *service;        /* borrowed: the service this runs in */
    uint32_t partitions;          /* partition count P */
    kpi_warning_band_t band;      /* which statuses fire */
    bool fixed;                   /* judge as of the fixed instant or day below */
    bool fixed_day;               /* --as-of was a day */
    int64_t fixed_ms;             /* that instant, UTC ms (an instant) */
    int64_t fixed_through;        /* that local day (a day) */
    sp_notifier_t *notifier;      /* timer, settled check, outbox kpi-warnings, metrics */
    kpi_evaluation_t *evaluation; /* one scope's evaluation, reused */
};

/* One evaluation's context. */
typedef struct {
    kpi_query_t *query;             /* the measures and reference data, read now */
    const sp_org_t *org;            /* the org in force (borrowed from query), may be NULL */
    int64_t at_ms;                  /* the instant judged */
    int64_t through;                /* its local day */
    char day[KPI_WARNING_DAY_SIZE]; /* through as "YYYY-MM-DD" */
    kpi_warning_list_t stored;      /* the firing set before this evaluation */
    bool *seen;                     /* [stored.count]: judged in a current period */
    int published;                  /* transitions this instance wrote */
    size_t firing;                  /* conditions firing now */
} s_run_t;

/* One node judged in a period: its measures (NULL: it counted nothing). */
typedef struct {
    const char *node;    /* borrowed */
    const int64_t *sums; /* [KPI_MEASURE_COUNT] or NULL */
} s_node_t;

/* ---------------------------------------------------------------- judging */

/* The region and team ids of node on day for its topic (NULL: none). */
static void
s_topic_levels (const sp_org_t *org, const char *node, int64_t day, const char **region,
                const char **team)
{
    *region = NULL;
    *team = NULL;
    if (strncmp (node, "region:", 7) == 0)
        *region = node + 7;
    else if (strncmp (node, "team:", 5) == 0) {
        *team = node + 5;
        *region = org ? sp_org_team_region (org, *team) : NULL;
    }
    else if (strncmp (node, "rep:", 4) == 0 && org)
        sp_org_resolve (org, node + 4, day, team, region);
}

/* Stores warning and, when this instance wrote it, publishes it. Returns
   1 written, 0 written by another instance already, -1 failed. */
static int
s_transition (kpi_notifier_t *self, s_run_t *run, kpi_warning_t *warning, char *error,
              size_t error_size)
{
    int written =
        kpi_warning_store_record (sp_service_pg (self->service), warning, error, error_size);
    if (written <= 0)
        return written;
    const char *region, *team;
    s_topic_levels (run->org, warning->node, run->through, &region, &team);
    char topic[KPI_WARNING_TOPIC_SIZE];
    kpi_warning_topic (topic, sizeof topic, warning->fired_status, region, team);
    Salespulse__KpiWarning message;
    kpi_warning_to_message (warning, &message);
    const char *state = kpi_warning_state_name (warning->state);
    if (!*topic) {
        char reason[S_ERROR_SIZE];
        snprintf (reason, sizeof reason, "the topic of node \"%.64s\" is too long", warning->node);
        sp_notifier_unsent (self->notifier, warning->sequence, reason);
    }
    else
        sp_notifier_publish (self->notifier, warning->sequence, state, topic, &message.base,
                             KPI_WARNING_MESSAGE_MAX);
    char node[KPI_KEYS_SCOPE_MAX + 8];
    sp_error_quote (warning->node, node, sizeof node);
    sp_log_info ("kpi pace warning",
                 "sequence=%" PRId64 " state=%s reason=%s node=\"%s\" kpi=%s period=%s "
                 "status=%s actual=%" PRId64 " target=%" PRId64 " projection=%" PRId64
                 " as_of=%s topic=\"%s\"",
                 warning->sequence, state, kpi_warning_reason_name (warning->reason), node,
                 warning->kpi, warning->period, kpi_warning_status_name (warning->status),
                 warning->actual, warning->target, warning->projection, warning->as_of_day, topic);
    return 1;
}

/* The stored firing warning of (node, kpi, period), or -1. */
static ssize_t
s_stored_index (const s_run_t *run, const char *node, const char *kpi, const char *period)
{
    for (size_t index = 0; index < run->stored.count; index++) {
        const kpi_warning_t *warning = &run->stored.items[index];
        if (strcmp (warning->node, node) == 0 && strcmp (warning->kpi, kpi) == 0 &&
            strcmp (warning->period, period) == 0)
            return (ssize_t) index;
    }
    return -1;
}

/* Sets the figures of warning from a row of evaluation. */
static void
s_figures (kpi_warning_t *warning, const kpi_evaluation_t *evaluation,
           const kpi_evaluate_row_t *row, const s_run_t *run)
{
    warning->actual = row->has_actual ? row->actual : 0;
    warning->target = row->effective;
    /* as the pace judged it: a carried shortfall moves the target, not the floor */
    warning->has_floor = row->has_target && row->target.has_floor && row->carried == 0;
    warning->floor = warning->has_floor ? row->target.floor : 0;
    warning->projection = row->pace.has_projection ? row->pace.projection : warning->actual;
    warning->days_elapsed = evaluation->days_elapsed;
    warning->days_total = evaluation->days_total;
    snprintf (warning->as_of_day, sizeof warning->as_of_day, "%s", run->day);
    warning->at_ms = run->at_ms;
}

/* Judges every KPI of one node in period; writes the transitions. */
static int
s_judge_node (kpi_notifier_t *self, s_run_t *run, const sp_period_t *period, const s_node_t *node,
              char *error, size_t error_size)
{
    static const int64_t zeros[KPI_MEASURE_COUNT] = { 0 };
    kpi_evaluation_t *evaluation = self->evaluation;
    if (kpi_evaluate_scope (run->query, node->node, period, run->through,
                            node->sums ? node->sums : zeros, evaluation, error, error_size) != 0)
        return -1;
    const char *currency = kpi_query_currency (run->query);
    for (size_t index = 0; index < evaluation->count; index++) {
        const kpi_evaluate_row_t *row = &evaluation->rows[index];
        /* the catalogue's defaults were set by nobody: not judged */
        kpi_pace_status_t status =
            row->has_target && !row->default_target ? row->pace.status : KPI_PACE_NONE;
        kpi_warning_condition_t condition;
        kpi_warning_judge (status, self->band, &condition);
        ssize_t stored = s_stored_index (run, node->node, row->kpi->name, period->label);
        if (stored >= 0)
            run->seen[stored] = true;
        if (condition.state == KPI_WARNING_FIRING)
            run->firing++;
        kpi_warning_transition_t transition = kpi_warning_decide (
            stored >= 0 ? KPI_WARNING_FIRING : KPI_WARNING_CLEARED, condition.state);
        if (transition == KPI_WARNING_KEEP)
            continue;
        kpi_pace_status_t fired =
            transition == KPI_WARNING_FIRE ? status : run->stored.items[stored].fired_status;
        kpi_warning_t warning;
        if (kpi_warning_fill (&warning, &condition, node->node, row->kpi, period->label, status,
                              fired, currency) != 0) {
            sp_error_set (error, error_size, "node \"%.64s\" is too long", node->node);
            return -1;
        }
        if (condition.reason == KPI_WARNING_NOT_JUDGED) {
            /* nothing to show now: the figures it fired with */
            const kpi_warning_t *last = &run->stored.items[stored];
            warning.actual = last->actual;
            warning.target = last->target;
            warning.has_floor = last->has_floor;
            warning.floor = last->floor;
            warning.projection = last->projection;
            warning.days_elapsed = evaluation->days_elapsed;
            warning.days_total = evaluation->days_total;
            snprintf (warning.as_of_day, sizeof warning.as_of_day, "%s", run->day);
            warning.at_ms = run->at_ms;
        }
        else
            s_figures (&warning, evaluation, row, run);
        int written = s_transition (self, run, &warning, error, error_size);
        if (written < 0)
            return -1;
        run->published += written;
    }
    return 0;
}

/* By node, the entry with measures first. */
static int
s_compare_nodes (const void *left, const void *right)
{
    const s_node_t *a = left, *b = right;
    int order = strcmp (a->node, b->node);
    if (order != 0)
        return order;
    return (a->sums == NULL) - (b->sums == NULL);
}

/* Appends node (sums may be NULL); duplicates go at the sort. */
static int
s_add_node (s_node_t **nodes, size_t *count, size_t *capacity, const char *node,
            const int64_t *sums)
{
    if (*count == *capacity) {
        size_t grown = *capacity ? 2 * *capacity : 64;
        s_node_t *bigger = realloc (*nodes, grown * sizeof *bigger);
        if (!bigger)
            return -1;
        *nodes = bigger;
        *capacity = grown;
    }
    (*nodes)[(*count)++] = (s_node_t){ node, sums };
    return 0;
}

/* Sorts nodes and keeps one entry per node, the one with measures. */
static void
s_unique_nodes (s_node_t *nodes, size_t *count)
{
    if (*count == 0)
        return;
    qsort (nodes, *count, sizeof *nodes, s_compare_nodes);
    size_t kept = 1;
    for (size_t index = 1; index < *count; index++)
        if (strcmp (nodes[index].node, nodes[kept - 1].node) != 0)
            nodes[kept++] = nodes[index];
    *count = kept;
}

/* Adds the nodes under node in the org (regions, their teams, the reps
   with a membership on a day of [first, end)), depth first; the org's
   children lists hold their scope strings. */
static int
s_add_org_nodes (const sp_org_t *org, const char *node, int64_t first, int64_t end,
                 s_node_t **nodes, size_t *count, size_t *capacity)
{
    size_t children = sp_org_children (org, node, first, end, NULL, 0);
    if (children == 0)
        return 0;
    const char **list = calloc (children, sizeof *list);
    if (!list)
        return -1;
    sp_org_children (org, node, first, end, list, children);
    int rc = 0;
    for (size_t index = 0; rc == 0 && index < children; index++)
        if (s_add_node (nodes, count, capacity, list[index], NULL) != 0 ||
            s_add_org_nodes (org, list[index], first, end, nodes, count, capacity) != 0)
            rc = -1;
    free (list);
    return rc;
}

/* Judges every node of one period: those that counted anything, those
   of the org and those with a warning firing there. */
static int
s_judge_period (kpi_notifier_t *self, s_run_t *run, const sp_period_t *period, char *error,
                size_t error_size)
{
    kpi_query_scope_t *scopes = NULL;
    size_t scope_count = 0;
    if (kpi_query_every_scope (run->query, period, run->through, &scopes, &scope_count, error,
                               error_size) != 0)
        return -1;
    int rc = -1;
    s_node_t *nodes = NULL;
    size_t count = 0, capacity = 0;
    bool failed = false;
    for (size_t index = 0; index < scope_count; index++)
        failed |=
            s_add_node (&nodes, &count, &capacity, scopes[index].scope, scopes[index].sums) != 0;
    failed |= s_add_node (&nodes, &count, &capacity, "company", NULL) != 0;
    if (run->org) {
        int64_t first, last;
        if (kpi_query_period_days (run->query, period, &first, &last) != 0) {
            sp_error_set (error, error_size, "period %s is out of range", period->label);
            goto out_free;
        }
        failed |=
            s_add_org_nodes (run->org, "company", first, last + 1, &nodes, &count, &capacity) != 0;
    }
    for (size_t index = 0; index < run->stored.count; index++)
        if (strcmp (run->stored.items[index].period, period->label) == 0)
            failed |=
                s_add_node (&nodes, &count, &capacity, run->stored.items[index].node, NULL) != 0;
    if (failed) {
        sp_error_set (error, error_size, "out of memory listing the nodes of %s", period->label);
        goto out_free;
    }
    s_unique_nodes (nodes, &count);
    for (size_t index = 0; index < count; index++)
        if (s_judge_node (self, run, period, &nodes[index], error, error_size) != 0)
            goto out_free;
    rc = 0;
out_free:
    free (nodes);
    kpi_query_scopes_free (&scopes, scope_count);
    return rc;
}

/* Clears the firing warnings of periods no longer current. */
static int
s_clear_ended (kpi_notifier_t *self, s_run_t *run, char *error, size_t error_size)
{
    for (size_t index = 0; index < run->stored.count; index++) {
        if (run->seen[index])
            continue;
        kpi_warning_t warning = run->stored.items[index];
        warning.sequence = 0;
        warning.created_at_ms = 0;
        warning.state = KPI_WARNING_CLEARED;
        warning.reason = KPI_WARNING_PERIOD_ENDED;
        warning.status = KPI_PACE_NONE;
        snprintf (warning.as_of_day, sizeof warning.as_of_day, "%s", run->day);
        warning.at_ms = run->at_ms;
        int written = s_transition (self, run, &warning, error, error_size);
        if (written < 0)
            return -1;
        run->published += written;
    }
    return 0;
}

/* The instant and local day judged: --as-of or the wall clock. */
static int
s_as_of (kpi_notifier_t *self, s_run_t *run, char *error, size_t error_size)
{
    if (self->fixed && self->fixed_day) {
        run->through = self->fixed_through;
        char label[SP_PERIOD_LABEL_SIZE];
        sp_civil_date_label (run->through, label);
        sp_period_t day;
        if (sp_period_parse (kpi_query_tz (run->query), label, &day, error, error_size) != 0)
            return -1;
        run->at_ms = day.start_ms;
    }
    else {
        if (self->fixed)
            run->at_ms = self->fixed_ms;
        else {
            struct timespec now;
            clock_gettime (CLOCK_REALTIME, &now);
            run->at_ms = (int64_t) now.tv_sec * S_MS_PER_SECOND + now.tv_nsec / S_NS_PER_MS;
        }
        if (kpi_query_day (run->query, run->at_ms, &run->through) != 0) {
            sp_error_set (error, error_size, "the instant judged is out of range");
            return -1;
        }
    }
    sp_civil_date_label (run->through, run->day);
    return 0;
}

/* The current month and quarter: those holding the instant judged. */
static int
s_periods (const s_run_t *run, sp_period_t *periods, char *error, size_t error_size)
{
    const sp_tz_t *tz = kpi_query_tz (run->query);
    if (sp_period_cut (tz, SP_PERIOD_MONTH, run->at_ms, &periods[0]) != 0 ||
        sp_period_cut (tz, SP_PERIOD_QUARTER, run->at_ms, &periods[1]) != 0) {
        sp_error_set (error, error_size, "the instant judged has no month in years 1..9999");
        return -1;
    }
    return 0;
}

/* sp_notifier_evaluate_fn: judges every node of the current month and
   quarter, once the results are settled (sp_notifier checked). */
static int
s_evaluate (void *arg, size_t *firing, char *error, size_t error_size)
{
    kpi_notifier_t *self = (kpi_notifier_t *) arg;
    s_run_t run;
    memset (&run, 0, sizeof run);
    kpi_warning_list_init (&run.stored);
    int rc = -1;
    sp_pg_t *pg = sp_service_pg (self->service);
    /* Read afresh: targets and the scorecard apply as soon as loaded. */
    run.query =
        kpi_query_new (sp_service_redis (self->service), pg, self->partitions, error, error_size);
    if (!run.query)
        goto out_free;
    run.org = kpi_reference_org (kpi_query_reference (run.query));
    sp_period_t periods[S_PERIODS];
    int64_t last_sequence = 0;
    if (s_as_of (self, &run, error, error_size) != 0 ||
        s_periods (&run, periods, error, error_size) != 0 ||
        kpi_warning_store_firing (pg, &run.stored, &last_sequence, error, error_size) < 0)
        goto out_free;
    run.seen = calloc (run.stored.count ? run.stored.count : 1, sizeof *run.seen);
    if (!run.seen) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    for (size_t index = 0; index < S_PERIODS; index++)
        if (s_judge_period (self, &run, &periods[index], error, error_size) != 0)
            goto out_free;
    if (s_clear_ended (self, &run, error, error_size) != 0)
        goto out_free;
    /* the forecasts of this week's point, once (kpi_forecast.h) */
    size_t recorded = 0;
    if (kpi_forecast_record (run.query, pg, run.at_ms, &recorded, error, error_size) != 0)
        goto out_free;
    if (recorded > 0)
        sp_log_info ("recorded forecasts", "rows=%zu day=%s", recorded, run.day);
    *firing = run.firing;
    rc = run.published;

out_free:
    free (run.seen);
    kpi_warning_list_clear (&run.stored);
    kpi_query_destroy (&run.query);
    return rc;
}

int
kpi_notifier_evaluate (kpi_notifier_t *self)
{
    assert (self);
    return sp_notifier_evaluate (self->notifier);
}

/* ---------------------------------------------------------------- life */

/* Reads --as-of: "" (the wall clock), a day or an instant. */
static int
s_read_as_of (kpi_notifier_t *self, const char *text, char *error, size_t error_size)
{
    if (!text || !*text)
        return 0;
    self->fixed = true;
    if (sp_civil_date_parse (text, &self->fixed_through) == 0 &&
        self->fixed_through >= SP_CIVIL_DAYS_YEAR_ONE) {
        self->fixed_day = true;
        return 0;
    }
    if (sp_event_time_parse (text, &self->fixed_ms) != 0) {
        char quoted[64];
        sp_error_quote (text, quoted, sizeof quoted);
        sp_error_set (error, error_size,
                      "invalid --as-of \"%s\": use a date YYYY-MM-DD or an RFC 3339 "
                      "timestamp",
                      quoted);
        return -1;
    }
    return 0;
}

kpi_notifier_t *
kpi_notifier_new (sp_service_t *service, uint32_t partitions, char *error, size_t error_size)
{
    assert (service && partitions >= 1);
    assert (sp_service_pg (service) && sp_service_redis (service));
    const sp_config_t *config = sp_service_config (service);
    kpi_notifier_t *self = (kpi_notifier_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->service = service;
    self->partitions = partitions;
    const char *band = sp_config_string (config, "warning-band");
    if (kpi_warning_band_parse (band, &self->band) != 0) {
        char quoted[64];
        sp_error_quote (band ? band : "", quoted, sizeof quoted);
        sp_error_set (error, error_size, "invalid --warning-band \"%s\": use at_risk or behind",
                      quoted);
        goto out_destroy;
    }
    if (s_read_as_of (self, sp_config_string (config, "as-of"), error, error_size) != 0)
        goto out_destroy;
    int64_t interval_ms = sp_config_int (config, "warning-interval-ms");
    const char *endpoints = sp_config_string (config, "warnings");
    self->evaluation = calloc (1, sizeof *self->evaluation);
    if (!self->evaluation) {
        sp_error_set (error, error_size, "out of memory");
        goto out_destroy;
    }
    sp_notifier_spec_t spec = {
        .stream = KPI_WARNING_STORE_STREAM,
        .consumer = KPI_KEYS_SERVICE,
        .option = "warnings",
        .noun = "warning",
        .nouns = "warnings",
        .kind = "kpi warning",
        .kinds = "kpi warnings",
        .published_metric = "salespulse_kpi_warnings_published_total",
        .published_help = "kpi pace warnings published, by state",
        .evaluations_metric = "salespulse_kpi_warning_evaluations_total",
        .evaluations_help = "evaluations of the pace of every kpi with a target",
        .errors_metric = "salespulse_kpi_warning_evaluation_errors_total",
        .deferred_metric = "salespulse_kpi_warning_evaluations_deferred_total",
        .firing_metric = "salespulse_kpi_warnings_firing",
        .evaluate = s_evaluate,
        .arg = self,
    };
    self->notifier = sp_notifier_new (service, &spec, partitions, interval_ms, endpoints,
                                      KPI_NOTIFIER_SEND_HWM, error, error_size);
    if (!self->notifier)
        goto out_destroy;
    sp_log_info (
        "publishing kpi warnings", "endpoint=\"%s\" interval_ms=%" PRId64 " band=%s as_of=\"%s\"",
        sp_notifier_endpoint (self->notifier), interval_ms, kpi_warning_band_name (self->band),
        self->fixed ? sp_config_string (config, "as-of") : "now");
    return self;

out_destroy:
    kpi_notifier_destroy (&self);
    return NULL;
}

void
kpi_notifier_destroy (kpi_notifier_t **self_p)
{
    assert (self_p);
    kpi_notifier_t *self = *self_p;
    if (!self)
        return;
    sp_notifier_destroy (&self->notifier);
    free (self->evaluation);
    free (self);
    *self_p = NULL;
}

const char *
kpi_notifier_endpoint (kpi_notifier_t *self)
{
    assert (self);
    return sp_notifier_endpoint (self->notifier);
}

void
kpi_notifier_set_revision (kpi_notifier_t *self, int64_t revision)
{
    assert (self && revision >= 0);
    sp_notifier_set_revision (self->notifier, revision);
}
