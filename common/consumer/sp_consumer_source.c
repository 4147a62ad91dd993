/*  sp_consumer_source - catch-up reads from a replica or the primary (see
    sp_consumer_source.h). */
#include "sp_consumer_source.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#include <czmq.h>

#include "sp_log.h"

#define S_ERROR_SIZE 512
#define S_REPLICA_CONNECT_TIMEOUT_S 2 /* libpq connect_timeout for the replica */

struct _sp_consumer_source_t {
    sp_pg_t *primary;               /* borrowed */
    sp_pg_t *replica;               /* owned, NULL without one */
    sp_consumer_metrics_t *metrics; /* borrowed */
    int64_t replica_retry_at_ms;    /* monotonic: the replica is not asked before */
};

sp_consumer_source_t *
sp_consumer_source_new (sp_pg_t *primary, const char *replica_url, const char *application_name,
                        sp_consumer_metrics_t *metrics)
{
    assert (primary && application_name && metrics);
    sp_consumer_source_t *self = (sp_consumer_source_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->primary = primary;
    self->metrics = metrics;
    if (replica_url && *replica_url) {
        self->replica = sp_pg_new (replica_url, application_name);
        if (!self->replica) {
            free (self);
            return NULL;
        }
        /* One quick attempt per read: the primary is there to answer. */
        sp_pg_set_retry (self->replica, 1, 1, 1);
        sp_pg_set_connect_timeout (self->replica, S_REPLICA_CONNECT_TIMEOUT_S);
    }
    return self;
}

void
sp_consumer_source_destroy (sp_consumer_source_t **self_p)
{
    assert (self_p);
    sp_consumer_source_t *self = *self_p;
    if (!self)
        return;
    sp_pg_destroy (&self->replica);
    free (self);
    *self_p = NULL;
}

/* A read from the replica: true when it answered in full (limit events,
   or all up to head), with the events in read. */
static bool
s_read_replica (sp_consumer_source_t *self, uint32_t partition, uint64_t after, size_t limit,
                uint64_t head, sp_consumer_log_read_t *read)
{
    int64_t now = zclock_mono ();
    if (!self->replica || now < self->replica_retry_at_ms)
        return false;
    char error[S_ERROR_SIZE];
    if (sp_consumer_log_read (self->replica, partition, after, limit, read, error, sizeof error) !=
        0) {
        sp_log_warn ("could not read the event log from the replica: reading the primary",
                     "partition=%" PRIu32 " retry_ms=%d error=\"%s\"", partition,
                     SP_CONSUMER_SOURCE_RETRY_MS, error);
        self->replica_retry_at_ms = now + SP_CONSUMER_SOURCE_RETRY_MS;
        sp_consumer_metrics_replica_fallback (self->metrics, "failed");
        return false;
    }
    if (read->count < limit && after + read->count < head) {
        /* the replica has not replayed up to the head yet */
        sp_consumer_log_read_clear (read);
        sp_consumer_metrics_replica_fallback (self->metrics, "behind");
        return false;
    }
    if (read->count > 0)
        sp_consumer_metrics_log_read (self->metrics, "replica");
    return true;
}

int
sp_consumer_source_read (sp_consumer_source_t *self, uint32_t partition, uint64_t after,
                         size_t limit, uint64_t head, sp_consumer_log_read_t *read, char *error,
                         size_t error_size)
{
    assert (self && read);
    if (s_read_replica (self, partition, after, limit, head, read))
        return 0;
    if (sp_consumer_log_read (self->primary, partition, after, limit, read, error, error_size) !=
        0)
        return -1;
    if (read->count > 0)
        sp_consumer_metrics_log_read (self->metrics, "primary");
    return 0;
}
