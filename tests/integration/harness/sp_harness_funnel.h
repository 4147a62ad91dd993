/*  sp_harness_funnel - funnel-tracker in the tests that compare its state
    on two Redis deployments (one server and a Redis Cluster:
    test_funnel_cluster, test_services_failover): starting a tracker on one of
    them, and asking salesctl the same funnel questions of both. Linked
    into tests only: failures print to stderr and return -1.
*/
#ifndef SP_HARNESS_FUNNEL_H_INCLUDED
#define SP_HARNESS_FUNNEL_H_INCLUDED

#include <sys/types.h>

#include "sp_harness.h"
#include "sp_harness_consumer.h"

/* Starts funnel-tracker on stack's bus for partitions, keeping its state
   at redis_url, in UTC and USD, polling every 100 ms, its notices on a
   free port, /metrics on http_port, plus extra ("NAME=VALUE", or NULL);
   its log DIR/<name>.log. Its PID, or -1 (printed). */
pid_t sp_harness_funnel_tracker (const sp_harness_consumer_stack_t *stack, int partitions,
                                 const char *redis_url, const char *name, int http_port,
                                 const char *extra, int timeout_ms);

/* Asks `salesctl funnel --json` for the company, region emea, team south
   and rep rep-ana (the events of those tests) over all, 2026-03 and
   2026-Q2, and `salesctl pipeline --json` for the company, against
   first_url and second_url, each until both answers are complete and the
   same (sp_harness_salesctl_same) and not empty. 0, or -1 after printing
   the question that never agreed. */
int sp_harness_funnel_same (const sp_harness_t *harness, const char *first_url,
                            const char *second_url, int timeout_ms);

#endif
