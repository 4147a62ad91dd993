/*  sp_harness_consumer_cluster - the counting consumer on a real Redis
    Cluster: the consumer stack (PostgreSQL, activity-ingest; see
    sp_harness_consumer.h) with a cluster (sp_harness_cluster.h) for the
    consumers' state, the test's own client of that cluster, and
    counting-consumer instances started on it. And the rebuild every
    consumer test asks for and waits on. Linked into tests only: failures
    print to stderr and return NULL or -1.
*/
#ifndef SP_HARNESS_CONSUMER_CLUSTER_H_INCLUDED
#define SP_HARNESS_CONSUMER_CLUSTER_H_INCLUDED

#include <limits.h>
#include <sys/types.h>

#include "sp_harness_cluster.h"
#include "sp_harness_consumer.h"
#include "sp_redis.h"

typedef struct {
    sp_harness_consumer_stack_t *stack; /* PostgreSQL, activity-ingest */
    sp_harness_cluster_t *cluster;      /* where the consumers keep their state */
    sp_redis_t *redis;                  /* the test's client of the cluster */
    char setting[PATH_MAX];             /* "SP_REDIS_URL=<the cluster>" */
    char application[64];               /* names logs and connections */
    int partitions;                     /* of the log and the consumers */
} sp_harness_consumer_cluster_t;

/* The stack (application names its PostgreSQL connection) with a cluster
   of SP_HARNESS_CLUSTER_MASTERS masters, each with replicas replicas.
   NULL (printed) when anything did not start, after stopping the rest. */
sp_harness_consumer_cluster_t *sp_harness_consumer_cluster_new (const char *application,
                                                                int partitions, int replicas,
                                                                int timeout_ms);

/* Stops and frees everything; no-op on NULL; sets *self_p to NULL. */
void sp_harness_consumer_cluster_destroy (sp_harness_consumer_cluster_t **self_p);

/* cmocka group teardown of a test whose *state is one. Returns 0. */
int sp_harness_consumer_cluster_teardown (void **state);

/* Starts counting-consumer instance number (its log DIR/<application>-
   <number>.log) on the cluster with a lease TTL of lease_ttl_ms and a
   100 ms poll; its /metrics port in *http_port. Its PID, or -1. */
pid_t sp_harness_consumer_cluster_start (sp_harness_consumer_cluster_t *self, int number,
                                         int lease_ttl_ms, int *http_port, int timeout_ms);

/* Asks the counting consumer for a rebuild (through redis, one server or
   a cluster) and waits until every one of its partitions has been reset
   for it. 0, or -1 (printed) after timeout_ms. */
int sp_harness_consumer_rebuild (sp_redis_t *redis, int partitions, int timeout_ms);

#endif
