/*  test_services_failover - funnel-tracker, kpi-evaluator and
    incentive-calculator through a Redis Cluster failover (issue 15): the
    same events, published once through the real activity-ingest, are
    applied by two of each, one of each keeping its state on one Redis
    server and one on a 3-master cluster whose masters each have a
    replica. While the cluster's services apply, one master's replica is
    cut off (sp_harness_cluster_cut_replica) and, 300 ms later, the master
    is killed (SIGKILL) and the replica promoted: the state the master
    acknowledged meanwhile (funnel counts and distributions, kpi counters
    and opportunity records, credited deals, checkpoints of its partitions
    together) is lost with it. Afterwards `salesctl funnel`, `salesctl
    pipeline`, `salesctl kpi` and `salesctl statement` must give the same
    answers from the cluster's services
    as from the single server's, for every scope and period asked: the
    partitions whose checkpoints went back were applied again from there,
    and nothing twice (test_cluster_failover does the same with the
    counting consumer and the log's counts).

    The events: 4,000 opportunities over 16 partitions, each with a lead,
    a visit (even ones), a demo (every third), a quote (every fifth) and a
    win (every seventh) or a loss (some others), spread over three months,
    in two reps, teams and regions, sent 20 to a request. kpi-evaluator
    runs without an org chart: it counts the company and each rep;
    incentive-calculator pays both reps under one quarterly tiered plan.
*/
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "sp_event_json.h"
#include "sp_harness.h"
#include "sp_harness_cluster.h"
#include "sp_harness_consumer.h"
#include "sp_harness_consumer_cluster.h"
#include "sp_harness_funnel.h"

#define PARTITIONS 16
#define OPPORTUNITIES 4000
#define EVENTS_MAX (OPPORTUNITIES * 5)
#define EVENT_SIZE 512
#define REQUEST_EVENTS 20 /* a small request: publishing outlasts the failover */
#define REPLICAS 1
#define FAILED_MASTER 0
#define LAG_MS 300 /* the replica is cut off this long before its master dies */
#define LEASE_TTL "SP_CONSUMER_LEASE_TTL_MS=1500"
#define START_TIMEOUT_MS 30000
#define FAILOVER_TIMEOUT_MS 60000
#define PUBLISH_TIMEOUT_MS 120000
#define ANSWER_TIMEOUT_MS 120000
#define STOP_TIMEOUT_MS 15000
#define POLL_NS (20 * 1000 * 1000)
/* 2026-03-02T00:00:00Z */
#define T0 INT64_C (1772409600000)
#define MINUTE_MS INT64_C (60000)
#define DAY_MS (24 * 60 * MINUTE_MS)
#define OWN_SETTINGS_MAX 3
#define OUTPUT_SIZE 65536

/* incentive-calculator's plan for both reps: quarterly tiers on revenue. */
static const char s_plan[] =
    "{\"name\": \"ae-2026\", \"currency\": \"USD\", \"period\": \"quarter\","
    " \"assign\": {\"reps\": [{\"id\": \"rep-ana\"}, {\"id\": \"rep-ben\"}]},"
    " \"components\": [{\"id\": \"revenue\", \"measure\": \"revenue\", \"quota\": \"100000.00\","
    " \"table\": {\"basis\": \"amount\", \"bands\": ["
    " {\"lo\": \"0\", \"hi\": \"50000\", \"rate\": \"0.05\"},"
    " {\"lo\": \"50000\", \"hi\": \"100000\", \"rate\": \"0.10\"},"
    " {\"lo\": \"100000\", \"rate\": \"0.15\"}]}}]}";

typedef struct {
    sp_harness_consumer_cluster_t *fixture; /* stack and replicated cluster */
    pid_t single;                           /* funnel-tracker on the stack's Redis */
    pid_t clustered;                        /* funnel-tracker on the cluster */
    int clustered_port;                     /* its /metrics */
    pid_t kpi_single;                       /* kpi-evaluator on the stack's Redis */
    pid_t kpi_clustered;                    /* kpi-evaluator on the cluster */
    pid_t incentive_single;                 /* incentive-calculator on the stack's Redis */
    pid_t incentive_clustered;              /* incentive-calculator on the cluster */
    char **events;                          /* JSON text of each event */
    size_t count;
} s_state_t;

static s_state_t s_state;

static void
s_add (const char *type, int opportunity, int64_t at, const char *extra)
{
    char when[32];
    time_t seconds = (time_t) (at / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char *text = malloc (EVENT_SIZE);
    assert_non_null (text);
    snprintf (text, EVENT_SIZE,
              "{\"event_id\": \"failover:%s:%d\", \"source\": \"crm\", \"type\": \"%s\", "
              "\"occurred_at\": \"%s\", \"rep_id\": \"%s\", \"team_id\": \"%s\", \"region_id\": "
              "\"%s\", \"customer_id\": \"customer-%d\", \"opportunity_id\": \"opp-%d\"%s}",
              type, opportunity, type, when, opportunity % 2 ? "rep-ana" : "rep-ben",
              opportunity % 2 ? "north" : "south", opportunity % 2 ? "emea" : "apac",
              opportunity % 500, opportunity, extra);
    assert_true (s_state.count < EVENTS_MAX);
    s_state.events[s_state.count++] = text;
}

/* Each opportunity's events, its lead first. */
static void
s_make_events (void)
{
    s_state.events = calloc (EVENTS_MAX, sizeof *s_state.events);
    assert_non_null (s_state.events);
    for (int i = 0; i < OPPORTUNITIES; i++) {
        int64_t lead = T0 + i * 30 * MINUTE_MS;
        s_add ("lead_created", i, lead, ", \"currency\": \"USD\", \"estimated_value\": \"500.00\"");
        if (i % 2 == 0)
            s_add ("visit_completed", i, lead + DAY_MS, ", \"duration_minutes\": 30");
        if (i % 3 == 0)
            s_add ("demo", i, lead + 2 * DAY_MS, "");
        if (i % 5 == 0)
            s_add ("quote_sent", i, lead + 3 * DAY_MS,
                   ", \"currency\": \"USD\", \"amount\": \"1000.00\"");
        if (i % 7 == 0)
            s_add ("deal_won", i, lead + 5 * DAY_MS,
                   ", \"currency\": \"USD\", \"amount\": \"1200.00\"");
        else if (i % 11 == 1)
            s_add ("deal_lost", i, lead + 6 * DAY_MS, ", \"reason\": \"price\"");
    }
}

/* sp_harness_event_fn: event index of s_state.events. */
static sp_event_t *
s_event (size_t index, void *arg)
{
    (void) arg;
    sp_event_error_t error;
    return sp_event_from_json (s_state.events[index], strlen (s_state.events[index]), &error);
}

/* program on the stack's bus with its state at redis_url, in UTC, with
   the test's lease and poll, plus its own settings (NULL terminated, at
   most OWN_SETTINGS_MAX). */
static pid_t
s_service (const char *program, const char *redis_url, const char *name, const char *const *own)
{
    char log[PATH_MAX];
    snprintf (log, sizeof log, "%s/%s.log", sp_harness_dir (s_state.fixture->stack->harness), name);
    char redis[PATH_MAX];
    snprintf (redis, sizeof redis, "SP_REDIS_URL=%s", redis_url);
    const char *settings[4 + OWN_SETTINGS_MAX + 1] = { "SP_TIME_ZONE=UTC",
                                                       "SP_CONSUMER_POLL_MS=100", LEASE_TTL,
                                                       redis };
    for (size_t i = 0; own[i]; i++) {
        assert_true (i < OWN_SETTINGS_MAX);
        settings[4 + i] = own[i];
    }
    return sp_harness_consumer_service (s_state.fixture->stack->harness, program,
                                        s_state.fixture->stack->bus, sp_harness_free_port (),
                                        PARTITIONS, settings, NULL, log, START_TIMEOUT_MS);
}

static pid_t
s_evaluator (const char *redis_url, const char *name)
{
    return s_service ("kpi-evaluator", redis_url, name,
                      (const char *[]){ "SP_KPI_CURRENCY=USD",
                                        "SP_KPI_WARNINGS_ENDPOINT=tcp://127.0.0.1:*", NULL });
}

static pid_t
s_calculator (const char *redis_url, const char *name)
{
    return s_service ("incentive-calculator", redis_url, name,
                      (const char *[]){ "SP_INCENTIVE_CURRENCY=USD",
                                        "SP_INCENTIVE_STATEMENTS_ENDPOINT=tcp://127.0.0.1:*",
                                        NULL });
}

/* Loads the plan (through salesctl, into the shared PostgreSQL). */
static int
s_load_plan (void)
{
    sp_harness_t *harness = s_state.fixture->stack->harness;
    char path[PATH_MAX];
    char output[OUTPUT_SIZE];
    if (sp_harness_consumer_file (harness, "plan.json", s_plan, path, sizeof path) != 0)
        return -1;
    return sp_harness_consumer_salesctl (harness,
                                         (const char *[]){ "load", "plans", path, "--json", NULL },
                                         output, sizeof output, START_TIMEOUT_MS);
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_state.fixture = sp_harness_consumer_cluster_new ("services-failover", PARTITIONS, REPLICAS,
                                                       START_TIMEOUT_MS);
    if (!s_state.fixture)
        return -1;
    const char *single = sp_harness_redis_url (s_state.fixture->stack->harness);
    const char *cluster = sp_harness_cluster_url (s_state.fixture->cluster);
    s_state.single =
        sp_harness_funnel_tracker (s_state.fixture->stack, PARTITIONS, single, "funnel-single",
                                   sp_harness_free_port (), LEASE_TTL, START_TIMEOUT_MS);
    s_state.clustered_port = sp_harness_free_port ();
    s_state.clustered =
        sp_harness_funnel_tracker (s_state.fixture->stack, PARTITIONS, cluster, "funnel-cluster",
                                   s_state.clustered_port, LEASE_TTL, START_TIMEOUT_MS);
    s_state.kpi_single = s_evaluator (single, "kpi-single");
    s_state.kpi_clustered = s_evaluator (cluster, "kpi-cluster");
    if (s_load_plan () != 0)
        return -1;
    s_state.incentive_single = s_calculator (single, "incentive-single");
    s_state.incentive_clustered = s_calculator (cluster, "incentive-cluster");
    return s_state.single > 0 && s_state.clustered > 0 && s_state.kpi_single > 0 &&
                   s_state.kpi_clustered > 0 && s_state.incentive_single > 0 &&
                   s_state.incentive_clustered > 0
               ? 0
               : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    const pid_t services[] = { s_state.single,           s_state.clustered,
                               s_state.kpi_single,       s_state.kpi_clustered,
                               s_state.incentive_single, s_state.incentive_clustered };
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (services[i] > 0)
            sp_harness_stop (services[i], STOP_TIMEOUT_MS);
    sp_harness_consumer_cluster_destroy (&s_state.fixture);
    for (size_t i = 0; i < s_state.count; i++)
        free (s_state.events[i]);
    free (s_state.events);
    return 0;
}

/* command (kpi or statement) with option (--scope or --rep) value and
   period answers the same from the single server's service and the
   cluster's, complete, leaving out "as_of" (the moment asked); the
   answer, to be freed. */
static json_t *
s_assert_same (const char *command, const char *option, const char *value, const char *period)
{
    sp_harness_consumer_stack_t *stack = s_state.fixture->stack;
    json_t *same = sp_harness_salesctl_same (
        stack->harness,
        (const char *[]){ command, option, value, "--period", period, "--json", NULL },
        sp_harness_redis_url (stack->harness), sp_harness_cluster_url (s_state.fixture->cluster),
        (const char *[]){ "as_of", NULL }, ANSWER_TIMEOUT_MS);
    if (!same)
        fail_msg ("%s %s %s: the answers differ or are incomplete after the failover", command,
                  value, period);
    return same;
}

/* The same kpi answer from both evaluators, something counted in it. */
static void
s_assert_same_kpi (const char *scope, const char *period)
{
    json_t *same = s_assert_same ("kpi", "--scope", scope, period);
    size_t counted = 0, index;
    json_t *row;
    json_array_foreach (json_object_get (same, "kpis"), index, row)
    {
        if (json_integer_value (json_object_get (row, "actual")) > 0)
            counted++;
    }
    json_decref (same);
    if (counted == 0)
        fail_msg ("kpi %s %s: nothing counted", scope, period);
}

/* The same statement from both calculators, with lines. */
static void
s_assert_same_statement (const char *rep, const char *quarter)
{
    json_t *same = s_assert_same ("statement", "--rep", rep, quarter);
    size_t lines = json_array_size (json_object_get (same, "lines"));
    json_decref (same);
    if (lines == 0)
        fail_msg ("statement %s %s: no lines", rep, quarter);
}

static int64_t
s_applied (void)
{
    return sp_harness_consumer_metric (s_state.clustered_port,
                                       "salespulse_consumer_applied_events_total");
}

static void
test_services_survive_a_failover (void **state)
{
    (void) state;
    s_make_events ();
    sp_harness_publisher_t *publisher = sp_harness_consumer_publish_events (
        s_state.fixture->stack, s_event, NULL, s_state.count, REQUEST_EVENTS);
    assert_non_null (publisher);
    int64_t deadline = sp_harness_now_ms () + PUBLISH_TIMEOUT_MS;
    while (s_applied () < (int64_t) s_state.count / 4) {
        if (sp_harness_now_ms () > deadline)
            fail_msg ("the cluster tracker applied nothing");
        struct timespec pause = { 0, POLL_NS };
        nanosleep (&pause, NULL);
    }
    sp_harness_cluster_t *cluster = s_state.fixture->cluster;
    int replica = sp_harness_cluster_masters (cluster) + FAILED_MASTER * REPLICAS;
    assert_int_equal (sp_harness_cluster_cut_replica (cluster, replica), 0);
    int64_t before = s_applied ();
    struct timespec lag = { 0, LAG_MS * 1000 * 1000 };
    nanosleep (&lag, NULL);
    int64_t lost = s_applied () - before;
    int promoted = sp_harness_cluster_fail_master (cluster, FAILED_MASTER, FAILOVER_TIMEOUT_MS);
    if (promoted < 0)
        fail_msg ("no replica took over from master %d", FAILED_MASTER);
    assert_int_equal (promoted, replica);
    assert_int_equal (sp_harness_consumer_publish_finish (&publisher, PUBLISH_TIMEOUT_MS), 0);
    printf ("events: %zu; applied on the cluster while the replica was cut off: %lld; "
            "replication stream lost with the master: at least %lld bytes\n",
            s_state.count, (long long) lost, (long long) sp_harness_cluster_lost_bytes (cluster));

    /* The same figures as on one server, every scope and period. */
    sp_harness_consumer_stack_t *stack = s_state.fixture->stack;
    assert_int_equal (sp_harness_funnel_same (stack->harness, sp_harness_redis_url (stack->harness),
                                              sp_harness_cluster_url (cluster), ANSWER_TIMEOUT_MS),
                      0);
    const char *const reps[] = { "company", "rep:rep-ana", "rep:rep-ben" };
    const char *const periods[] = { "2026-03", "2026-04", "2026-Q2" };
    for (size_t scope = 0; scope < sizeof reps / sizeof reps[0]; scope++)
        for (size_t period = 0; period < sizeof periods / sizeof periods[0]; period++)
            s_assert_same_kpi (reps[scope], periods[period]);
    const char *const quarters[] = { "2026-Q1", "2026-Q2" };
    for (size_t rep = 1; rep < sizeof reps / sizeof reps[0]; rep++)
        for (size_t quarter = 0; quarter < sizeof quarters / sizeof quarters[0]; quarter++)
            s_assert_same_statement (reps[rep] + strlen ("rep:"), quarters[quarter]);
    /* the interesting case happened: acknowledged state was lost */
    assert_true (lost > 0);
    assert_true (sp_harness_cluster_lost_bytes (cluster) > 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_services_survive_a_failover),
    };
    return cmocka_run_group_tests_name ("services_failover", tests, s_group_setup,
                                        s_group_teardown);
}
