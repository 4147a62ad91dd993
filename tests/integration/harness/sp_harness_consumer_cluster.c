/*  sp_harness_consumer_cluster - the counting consumer on a real Redis
    Cluster, and a rebuild waited on (see sp_harness_consumer_cluster.h). */
#include "sp_harness_consumer_cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sp_consumer_state.h"
#include "sp_consumer_store.h"

#define S_ERROR_SIZE 512
#define S_NUMBER_SIZE 24
#define S_POLL_NS (50 * 1000 * 1000)

sp_harness_consumer_cluster_t *
sp_harness_consumer_cluster_new (const char *application, int partitions, int replicas,
                                 int timeout_ms)
{
    sp_harness_consumer_cluster_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    snprintf (self->application, sizeof self->application, "%s", application);
    self->partitions = partitions;
    /* the stack keeps its one server (tests compare it with the cluster) */
    self->stack = sp_harness_consumer_stack_new_on (application, partitions, 0, timeout_ms, false);
    self->cluster = sp_harness_cluster_new_replicated (SP_HARNESS_CLUSTER_MASTERS, replicas);
    if (!self->stack || !self->cluster)
        goto out_destroy;
    snprintf (self->setting, sizeof self->setting, "SP_REDIS_URL=%s",
              sp_harness_cluster_url (self->cluster));
    self->redis = sp_harness_cluster_connect (self->cluster);
    if (!self->redis)
        goto out_destroy;
    return self;
out_destroy:
    sp_harness_consumer_cluster_destroy (&self);
    return NULL;
}

void
sp_harness_consumer_cluster_destroy (sp_harness_consumer_cluster_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_harness_consumer_cluster_t *self = *self_p;
    sp_redis_destroy (&self->redis);
    sp_harness_cluster_destroy (&self->cluster);
    sp_harness_consumer_stack_destroy (&self->stack);
    free (self);
    *self_p = NULL;
}

int
sp_harness_consumer_cluster_teardown (void **state)
{
    sp_harness_consumer_cluster_t *self = *state;
    sp_harness_consumer_cluster_destroy (&self);
    *state = NULL;
    return 0;
}

pid_t
sp_harness_consumer_cluster_start (sp_harness_consumer_cluster_t *self, int number,
                                   int lease_ttl_ms, int *http_port, int timeout_ms)
{
    *http_port = sp_harness_free_port ();
    char log_path[PATH_MAX], ttl[S_NUMBER_SIZE];
    snprintf (log_path, sizeof log_path, "%s/%s-%d.log", sp_harness_dir (self->stack->harness),
              self->application, number);
    snprintf (ttl, sizeof ttl, "%d", lease_ttl_ms);
    const char *settings[] = { self->setting, NULL };
    const char *arguments[] = { "--lease-ttl-ms", ttl, "--poll-ms", "100", NULL };
    return sp_harness_consumer_service (self->stack->harness, SP_HARNESS_CONSUMER_SERVICE,
                                        self->stack->bus, *http_port, self->partitions, settings,
                                        arguments, log_path, timeout_ms);
}

int
sp_harness_consumer_rebuild (sp_redis_t *redis, int partitions, int timeout_ms)
{
    char error[S_ERROR_SIZE] = "";
    int64_t epoch = 0;
    if (sp_consumer_store_request_rebuild (redis, SP_HARNESS_CONSUMER_SERVICE, &epoch, error,
                                           sizeof error) != 0) {
        fprintf (stderr, "sp_harness_consumer_rebuild: %s\n", error);
        return -1;
    }
    sp_consumer_state_t *reader =
        sp_consumer_state_new (SP_HARNESS_CONSUMER_SERVICE, (uint32_t) partitions);
    sp_consumer_state_partition_t *states = calloc ((size_t) partitions, sizeof *states);
    int rc = -1;
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    size_t rebuilt = 0;
    while (reader && states) {
        if (sp_consumer_state_read_partitions (reader, redis, states, error, sizeof error) != 0) {
            fprintf (stderr, "sp_harness_consumer_rebuild: %s\n", error);
            break;
        }
        rebuilt = 0;
        for (int partition = 0; partition < partitions; partition++)
            rebuilt += states[partition].epoch_found == SP_CONSUMER_STATE_PRESENT &&
                       states[partition].epoch == epoch;
        if (rebuilt == (size_t) partitions) {
            rc = 0;
            break;
        }
        if (sp_harness_now_ms () > deadline) {
            fprintf (stderr,
                     "sp_harness_consumer_rebuild: %zu of %d partitions rebuilt for epoch "
                     "%lld within %d ms\n",
                     rebuilt, partitions, (long long) epoch, timeout_ms);
            break;
        }
        struct timespec pause = { 0, S_POLL_NS };
        nanosleep (&pause, NULL);
    }
    free (states);
    sp_consumer_state_destroy (&reader);
    return rc;
}
