/*  bench_scale - funnel-tracker scaled out (issue 15): the same replay of
    the event log applied by 1, 2 and 4 instances of funnel-tracker, on
    one Redis and on a 3-master Redis Cluster, each run's events/s and its
    ratio to one instance on one Redis, all in one run.

    The log: SP_BENCH_SCALE_OPPORTUNITIES opportunities (default 100,000;
    about 2.45 events each) of bench_funnel's mix (bench_funnel_data),
    binary-COPYed into the events table over 16 partitions, and both
    shipped funnels loaded. Each configuration starts from an empty Redis
    (FLUSHALL; on the cluster, on every master): the instances are spawned
    together (release builds, default settings, lease TTL 10 s), share the
    16 partitions through their leases, and are timed from the spawn until
    their checkpoints sum to the log; the company funnel of both funnels is
    then checked against the plan, so a run that skipped or repeated events
    fails instead of reporting a figure. Then the instances stop.

    On this 2-core machine the instances, Redis (or the cluster's three
    servers) and PostgreSQL share two cores: the point is that the
    partitions spread and the answers stay exact, and what more instances
    or a cluster cost, not a speed-up. A run's time includes the
    instances' start and the spreading of the leases (an instance claims
    partitions at its first lease tick; partitions no one claimed yet are
    taken at the next).
*/
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "bench_checkpoints.h"
#include "bench_funnel_data.h"
#include "bench_log.h"
#include "bench_support.h"
#include "sp_harness.h"
#include "sp_harness_cluster.h"
#include "sp_pg.h"
#include "sp_redis.h"

#define BENCH_NAME "bench_scale"
#define BENCH_SERVICE "funnel-tracker"
#define BENCH_PARTITIONS 16
#define BENCH_OPPORTUNITIES 100000
#define BENCH_OPPORTUNITIES_ENV "SP_BENCH_SCALE_OPPORTUNITIES"
#define BENCH_INSTANCES_MAX 4
#define BENCH_STOP_TIMEOUT_MS 30000
#define BENCH_TEXT_SIZE 256
#define BENCH_ERROR_SIZE 512

/* Where the state goes: one Redis or the cluster. */
typedef struct {
    const char *name; /* in the table */
    const char *url;  /* SP_REDIS_URL of the instances */
    sp_redis_t *redis; /* the benchmark's client of it */
} s_target_t;

/* One configuration's result. */
typedef struct {
    const char *target;
    int instances;
    double seconds;
} s_run_t;

/* Spawns instance number of funnel-tracker on target: its own /metrics
   and notices ports, the bus at a free endpoint nothing publishes on
   (the log is read back from PostgreSQL). Its PID, or -1. */
static pid_t
s_start (sp_harness_t *harness, const char *program, const s_target_t *target, int number)
{
    char redis[BENCH_TEXT_SIZE], http[BENCH_TEXT_SIZE], bus[2 * BENCH_TEXT_SIZE],
        notices[2 * BENCH_TEXT_SIZE], endpoint[BENCH_TEXT_SIZE], log[PATH_MAX];
    snprintf (redis, sizeof redis, "SP_REDIS_URL=%s", target->url);
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", sp_harness_free_port ());
    if (sp_harness_free_endpoint (endpoint, sizeof endpoint) != 0)
        return -1;
    snprintf (bus, sizeof bus, "SP_BUS_ENDPOINT=%s", endpoint);
    if (sp_harness_free_endpoint (endpoint, sizeof endpoint) != 0)
        return -1;
    snprintf (notices, sizeof notices, "SP_FUNNEL_NOTICES_ENDPOINT=%s", endpoint);
    snprintf (log, sizeof log, "%s/funnel-tracker-%d.log", sp_harness_dir (harness), number);
    const char *const settings[] = {
        redis, http, bus, notices, "SP_TIME_ZONE=UTC", "SP_FUNNEL_CURRENCY=USD", NULL
    };
    const char *const arguments[] = { "--partitions=16", NULL };
    sp_harness_spawn_options_t options = {
        .settings = settings,
        .arguments = arguments,
        .stdout_path = log,
    };
    return sp_harness_spawn_with (harness, program, &options);
}

/* One configuration: instances instances on target, from an empty state
   to the whole plan applied and checked. 0 with *seconds, or -1. */
static int
s_run (sp_harness_t *harness, const char *program, const s_target_t *target, int instances,
       const bench_funnel_plan_t *plan, double *seconds)
{
    char error[BENCH_ERROR_SIZE] = "";
    sp_redis_reply_t *flushed =
        sp_redis_command (target->redis, 1, (const char *const[]){ "FLUSHALL" }, NULL, error,
                          sizeof error);
    if (!flushed) {
        fprintf (stderr, BENCH_NAME ": FLUSHALL on %s: %s\n", target->name, error);
        return -1;
    }
    sp_redis_reply_destroy (&flushed);
    bench_checkpoints_t *checkpoints =
        bench_checkpoints_new (BENCH_NAME, target->redis, BENCH_SERVICE, BENCH_PARTITIONS);
    if (!checkpoints)
        return -1;
    pid_t pids[BENCH_INSTANCES_MAX];
    for (int i = 0; i < BENCH_INSTANCES_MAX; i++)
        pids[i] = -1;
    int rc = -1;
    double start = bench_seconds (), done = 0;
    for (int i = 0; i < instances; i++)
        if ((pids[i] = s_start (harness, program, target, i + 1)) <= 0)
            goto out_stop;
    /* the first instance is watched: an exit of any other shows as a
       wait that never ends, bounded by the limit */
    if (bench_checkpoints_wait (checkpoints, plan->count, &pids[0],
                                bench_wait_limit (plan->count), &done) != 0 ||
        bench_funnel_verify (BENCH_NAME, target->redis, BENCH_PARTITIONS, plan->leads, plan->won,
                             plan->lost) != 0)
        goto out_stop;
    *seconds = done - start;
    rc = 0;
out_stop:
    for (int i = 0; i < instances; i++)
        if (bench_stop (&pids[i], BENCH_STOP_TIMEOUT_MS) != 0 && rc == 0) {
            fprintf (stderr, BENCH_NAME ": funnel-tracker %d did not stop cleanly\n", i + 1);
            rc = -1;
        }
    if (rc != 0)
        for (int i = 0; i < instances; i++) {
            char log[PATH_MAX], name[BENCH_TEXT_SIZE];
            snprintf (log, sizeof log, "%s/funnel-tracker-%d.log", sp_harness_dir (harness),
                      i + 1);
            snprintf (name, sizeof name, "funnel-tracker %d on %s", i + 1, target->name);
            bench_show_log (BENCH_NAME, name, log);
        }
    bench_checkpoints_destroy (&checkpoints);
    return rc;
}

int
main (void)
{
    size_t opportunities = 0;
    if (bench_env_count (BENCH_NAME, BENCH_OPPORTUNITIES_ENV, BENCH_OPPORTUNITIES,
                         &opportunities) != 0)
        return 1;
    char program[PATH_MAX];
    bench_locate (BENCH_SERVICE, program, sizeof program);
    sp_pg_t *pg = NULL;
    sp_redis_t *redis = NULL;
    sp_harness_cluster_t *cluster = NULL;
    sp_redis_t *cluster_redis = NULL;
    bench_funnel_plan_t plan = { 0 };
    int rc = 1;
    sp_harness_t *harness = bench_start_servers (BENCH_NAME, BENCH_PARTITIONS, &pg, &redis);
    if (!harness)
        goto out;
    cluster = sp_harness_cluster_new (SP_HARNESS_CLUSTER_MASTERS);
    char error[BENCH_ERROR_SIZE] = "";
    cluster_redis =
        cluster ? sp_redis_new (sp_harness_cluster_url (cluster), NULL, error, sizeof error) : NULL;
    if (!cluster_redis || sp_redis_connect (cluster_redis, error, sizeof error) != 0) {
        fprintf (stderr, BENCH_NAME ": could not start or reach the cluster: %s\n", error);
        goto out;
    }
    if (bench_funnel_plan_build (&plan, opportunities, 0, opportunities, SIZE_MAX) != 0 ||
        bench_log_load (BENCH_NAME, pg, BENCH_PARTITIONS, plan.count, bench_funnel_plan_event,
                        &plan) != 0 ||
        bench_funnel_load (BENCH_NAME, harness) != 0)
        goto out;

    const s_target_t targets[] = {
        { "one Redis", sp_harness_redis_url (harness), redis },
        { "cluster (3 masters)", sp_harness_cluster_url (cluster), cluster_redis },
    };
    const int counts[] = { 1, 2, 4 };
    s_run_t runs[sizeof targets / sizeof targets[0] * sizeof counts / sizeof counts[0]];
    size_t run_count = 0;
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++)
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            s_run_t *run = &runs[run_count++];
            *run = (s_run_t){ targets[t].name, counts[c], 0 };
            if (s_run (harness, program, &targets[t], counts[c], &plan, &run->seconds) != 0) {
                fprintf (stderr, BENCH_NAME ": %d instance(s) on %s failed\n", counts[c],
                         targets[t].name);
                goto out;
            }
        }

    printf (BENCH_NAME ": funnel-tracker rebuilding %zu events (%zu opportunities, both shipped "
                       "funnels), %d partitions, %ld cores shared by every process\n",
            plan.count, opportunities, BENCH_PARTITIONS, sysconf (_SC_NPROCESSORS_ONLN));
    printf ("%-22s %9s %9s %11s %12s\n", "state", "instances", "seconds", "events/s",
            "vs 1 on one");
    for (size_t i = 0; i < run_count; i++) {
        double rate = (double) plan.count / runs[i].seconds;
        double base = (double) plan.count / runs[0].seconds;
        printf ("%-22s %9d %9.2f %11.0f %11.2fx\n", runs[i].target, runs[i].instances,
                runs[i].seconds, rate, rate / base);
    }
    printf ("company funnels verified after every run: %" PRIu64 " leads, %" PRIu64 " won, %" PRIu64
            " lost\n",
            plan.leads, plan.won, plan.lost);
    fflush (stdout);
    rc = 0;
out:
    bench_funnel_plan_clear (&plan);
    sp_redis_destroy (&cluster_redis);
    sp_harness_cluster_destroy (&cluster);
    sp_redis_destroy (&redis);
    sp_pg_destroy (&pg);
    sp_harness_destroy (&harness);
    return rc;
}
