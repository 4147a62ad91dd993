/*  sp_consumer_state - what tools and benchmarks read of a consumer
    service's own Redis keys (sp_consumer_key.h): the checkpoints, each
    partition's lease holder, checkpoint and epoch, the live instances
    with their status, the requested rebuild epoch, and the services that
    ever ran.

    The consumer writes these keys (sp_lease, sp_consumer_store); this
    class only reads them, so `salesctl status`, `salesctl rebuild --wait`
    and the benchmarks never spell a key or parse a value themselves.
    Each read is one round trip: a pipeline built once in sp_consumer_state_new
    (the checkpoints; the partitions), one command (the rebuild epoch, the
    services), or one read-only Lua script (the instances, below).

    Values are read strictly, in the forms sp_consumer_key.h defines. What
    the consumer never writes (another type, a string that is not a number
    in canonical form, a lease value longer than SP_LEASE_TOKEN_MAX - 1)
    fails the checkpoints and rebuild reads, whose callers need a number,
    and is reported per value by the partitions read, so a tool can still
    show the rest.

    Live instances: members of "<service>:{<service>}:members" whose
    expiry is after Redis's clock now, with the value of
    "<service>:{<service>}:instance:<id>". The script reads the clock, the
    members and their status keys in one step; the status keys are known
    only once the members are, so they are named inside the script rather
    than passed in KEYS. Redis Cluster allows that because they share the
    members key's hash tag, so its slot (test_lease_cluster).

    Not thread-safe: one reader per thread.
*/
#ifndef SP_CONSUMER_STATE_H_INCLUDED
#define SP_CONSUMER_STATE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_lease.h"
#include "sp_redis.h"

typedef struct _sp_consumer_state_t sp_consumer_state_t;

/* How one value was found. */
typedef enum {
    SP_CONSUMER_STATE_MISSING = 0, /* the key does not exist */
    SP_CONSUMER_STATE_PRESENT = 1, /* read; the value field holds it */
    SP_CONSUMER_STATE_INVALID = 2, /* the key holds what the consumer never writes */
} sp_consumer_state_found_t;

/* One partition as Redis holds it. A field whose *_found is not PRESENT
   is "" or 0. */
typedef struct {
    sp_consumer_state_found_t lease_found;      /* the lease key */
    char lease[SP_LEASE_TOKEN_MAX];             /* its value "<instance>/<fence>" */
    sp_consumer_state_found_t checkpoint_found; /* the checkpoint key */
    uint64_t checkpoint;                        /* sequence of the last applied event */
    sp_consumer_state_found_t epoch_found;      /* the epoch key */
    int64_t epoch;                              /* epoch the state was built for */
} sp_consumer_state_partition_t;

/* One live instance. */
typedef struct {
    char *id;             /* instance id (member of "<service>:{<service>}:members") */
    char *status;         /* its status JSON as stored; NULL when missing or not a string */
    size_t status_length; /* bytes of status (it may hold NULs; also NUL-terminated) */
} sp_consumer_state_instance_t;

/* Live instances of a service, sorted bytewise by id. Owns everything. */
typedef struct {
    sp_consumer_state_instance_t *items; /* [count] */
    size_t count;
} sp_consumer_state_instances_t;

/* Names in the services set, sorted bytewise. Owns everything. */
typedef struct {
    char **names; /* [count], as stored: check each with sp_partition_service_valid */
    size_t count;
} sp_consumer_state_services_t;

/* ---------------------------------------------------------------- reader */

/* A reader of service's keys (a valid service name, asserted) for
   partitions partitions (1..SP_PARTITIONS_MAX, asserted). Builds the
   pipelines and the script (no I/O). NULL on out of memory. */
sp_consumer_state_t *sp_consumer_state_new (const char *service, uint32_t partitions);

/* Frees; no-op on NULL; sets *self_p to NULL. */
void sp_consumer_state_destroy (sp_consumer_state_t **self_p);

/* Reads every partition's checkpoint: checkpoints[p] (0 when missing)
   and present[p] (may be NULL), both of the reader's partition count.
   Returns 0, or -1 with the reason, the outputs untouched: Redis failed,
   or a key holds another type or not a sequence (`key
   "x:{p3}:checkpoint" holds "abc", not a sequence`). */
int sp_consumer_state_read_checkpoints (sp_consumer_state_t *self, sp_redis_t *redis,
                                        uint64_t *checkpoints, bool *present, char *error,
                                        size_t error_size);

/* Reads every partition's lease, checkpoint and epoch into partitions[]
   (of the reader's partition count). A value that is not in its form
   is marked INVALID; it does not fail the read. Returns 0, or -1 with
   the reason when Redis failed (partitions untouched). */
int sp_consumer_state_read_partitions (sp_consumer_state_t *self, sp_redis_t *redis,
                                       sp_consumer_state_partition_t *partitions, char *error,
                                       size_t error_size);

/* Reads the live instances into *instances, replacing (and freeing) what
   it held. Returns 0, or -1 with the reason (Redis failed, `key
   "x:{x}:members" is not a sorted set`, out of memory), *instances untouched. */
int sp_consumer_state_read_instances (sp_consumer_state_t *self, sp_redis_t *redis,
                                      sp_consumer_state_instances_t *instances, char *error,
                                      size_t error_size);

/* Reads the rebuild epoch requested for the service into *epoch (0 when
   missing). Returns 0, or -1 with the reason (Redis failed, another
   type, not an epoch), *epoch untouched. */
int sp_consumer_state_read_rebuild (sp_consumer_state_t *self, sp_redis_t *redis, int64_t *epoch,
                                    char *error, size_t error_size);

/* Frees the instances; the list is then empty. */
void sp_consumer_state_instances_clear (sp_consumer_state_instances_t *instances);

/* ---------------------------------------------------------------- services */

/* Reads the names in the services set into *services, replacing (and
   freeing) what it held. Returns 0, or -1 with the reason (Redis failed,
   `key "salespulse:services" is not a set`, out of memory), *services
   untouched. */
int sp_consumer_state_read_services (sp_redis_t *redis, sp_consumer_state_services_t *services,
                                     char *error, size_t error_size);

/* Frees the names; the list is then empty. */
void sp_consumer_state_services_clear (sp_consumer_state_services_t *services);

#endif
