/*  sp_lease - the instances of one service share its partitions through
    leases in Redis (DESIGN.md, "The event log is the source of truth", 6).

    Every instance of a service (e.g. three funnel-trackers) runs one
    sp_lease. Each tick (every ttl/3 ms, from the consumer's reactor) it:

      1. heartbeats: adds itself to the service's member set with expiry
         now + ttl on the Redis clock, drops members whose expiry passed,
         stores its status text (JSON, for `salesctl status`) with the same
         expiry, and reads the live members;
      2. computes its share: the live member ids sorted bytewise, partition
         p belongs to members[p % count] (sp_lease_assign), so every
         instance computes the same plan and the shares differ by at most
         one partition;
      3. releases owned partitions outside its share, renews owned ones in
         it, and claims free ones in it. A partition still held by another
         instance (which will release it at its next tick, or whose lease
         expires if it died) is tried again at the next tick.

    A dead instance stops renewing: its member entry and leases expire
    after ttl, and the survivors claim its partitions at their next tick,
    so takeover takes at most ttl + ttl/3, inside the two lease periods the
    design promises. A starting instance joins the member set at its first
    tick; owners release the partitions now planned for it at their next
    tick and it claims them at its following one (at most 2 × ttl/3).

    Fencing. Claiming a free partition increments the partition's fence
    counter and stores "<instance>/<fence>" as the lease value with expiry
    ttl. That value is the fencing token: the consumer's atomic apply
    (sp_consumer_store) writes only if the lease key still holds exactly
    that value, so an owner that was paused (SIGSTOP, GC, network), lost
    its lease and came back cannot write: its token no longer matches,
    even if it later claims the same partition again (new fence, new
    token). Redis expires leases on its own clock; locally an owner also
    treats its leases as lost when no renewal has succeeded for ttl ms
    (measured from the start of the last tick that fully succeeded, so
    never later than Redis's own expiry), so while Redis is unreachable it
    stops claiming ownership in time. When Redis comes back before anyone
    else claimed, the same lease value may be claimed again: the consumer
    treats it as a new acquisition and reads the partition's state again.

    Redis keys (service = the service's name, e.g. "funnel-tracker"; the
    names come from sp_consumer_key.h, tools read them through
    sp_consumer_state.h):
        <service>:{<service>}:members        sorted set: instance id -> expiry (Redis ms)
        <service>:{<service>}:instance:<id>  string: the instance's status JSON, PX ttl
        salespulse:services            set: names of services that ever ran a lease
        <service>:{p<N>}:lease         string: "<instance>/<fence>", PX ttl
        <service>:{p<N>}:fence         string: the partition's fence counter
    The lease and fence keys of partition N share the "{pN}" hash tag with
    the partition's state and checkpoint (sp_partition_key), so the apply
    that checks the token is a single-slot operation on Redis Cluster; the
    members and status keys share the service's tag, so the heartbeat
    script is one too, and the service is added to salespulse:services by
    a command of its own each heartbeat.

    Orphans. An instance that owns no partition (more instances than
    partitions, a hand-over, or a Redis it cannot lease on) looks at every
    partition's lease key at each tick and remembers since when each has
    had no owner. sp_lease_health calls it unhealthy when it owns nothing
    while some partition has had no owner for a whole ttl (nobody applies
    that partition's events), or, when it cannot even look, while its own
    ticks have failed for a whole ttl. An instance that owns partitions
    does not look: it is doing its share.

    Changes of ownership are reported through a callback, on the calling
    thread, from inside sp_lease_tick, sp_lease_lost and sp_lease_release_all.
    Not thread-safe: one sp_lease_t per consumer.
*/
#ifndef SP_LEASE_H_INCLUDED
#define SP_LEASE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_consumer_key.h"
#include "sp_partition.h"
#include "sp_redis.h"

/* Longest instance id, service name and lease value, terminator included. */
#define SP_LEASE_INSTANCE_MAX 128
#define SP_LEASE_SERVICE_MAX SP_PARTITION_SERVICE_MAX
#define SP_LEASE_TOKEN_MAX 160

/* Smallest lease TTL accepted, ms. */
#define SP_LEASE_TTL_MIN_MS 300

/* Name of the set of services that ran leases; spelt in sp_consumer_key.h,
   this name kept for the code that used it before. */
#define SP_LEASE_SERVICES_KEY SP_CONSUMER_KEY_SERVICES

typedef struct _sp_lease_t sp_lease_t;

/* Called when this instance gains (owned true, token = the new lease
   value) or loses (owned false, token = the value it held) a partition.
   token is borrowed for the call. */
typedef void (*sp_lease_change_fn) (void *arg, uint32_t partition, bool owned, const char *token);

typedef struct {
    const char *service;       /* [a-z0-9-]+, 1..SP_LEASE_SERVICE_MAX-1 bytes */
    const char *instance;      /* unique id, printable ASCII without '/', < SP_LEASE_INSTANCE_MAX */
    uint32_t partitions;       /* 1..SP_PARTITIONS_MAX */
    int64_t ttl_ms;            /* lease and membership lifetime, >= SP_LEASE_TTL_MIN_MS */
    sp_lease_change_fn change; /* may be NULL */
    void *change_arg;
} sp_lease_settings_t;

/* Checks the settings (copied; no I/O). Returns NULL with e.g.
   `lease setting "service": "Funnel" must be 1..63 characters of a-z, 0-9
   and "-"` on a bad one. */
sp_lease_t *sp_lease_new (const sp_lease_settings_t *settings, char *error, size_t error_size);

/* Frees; does not release leases (call sp_lease_release_all first); no-op
   on NULL; sets *self_p to NULL. */
void sp_lease_destroy (sp_lease_t **self_p);

/* One heartbeat, steps 1-3 above. status_json (may be NULL: "{}") is
   stored as the instance's status. now_ms is the caller's monotonic clock
   (for the local expiry rule). Returns 0, or -1 with the reason when
   Redis failed; then, if ttl ms have passed since the last successful
   renewal was sent, every owned partition is dropped (change callbacks). */
int sp_lease_tick (sp_lease_t *self, sp_redis_t *redis, int64_t now_ms, const char *status_json,
                   char *error, size_t error_size);

/* Tells the lease that an apply found partition's lease no longer holds
   this instance's token (fenced): the partition is dropped locally (change
   callback) and may be claimed again, with a new token, at the next tick.
   No-op when the partition is not owned. */
void sp_lease_lost (sp_lease_t *self, uint32_t partition);

/* On shutdown: deletes this instance's leases (only those still holding
   its token) and its member entry and status, so the other instances take
   the partitions over at their next tick instead of after ttl. Drops every
   partition locally (change callbacks) even when Redis fails. Returns 0,
   or -1 with the reason. */
int sp_lease_release_all (sp_lease_t *self, sp_redis_t *redis, char *error, size_t error_size);

/* True when partition (< partitions) is owned now. */
bool sp_lease_owned (const sp_lease_t *self, uint32_t partition);

/* Lease value (fencing token) of an owned partition, NULL when not owned. */
const char *sp_lease_token (const sp_lease_t *self, uint32_t partition);

/* Partitions owned now. */
uint32_t sp_lease_owned_count (const sp_lease_t *self);

/* Partitions this instance saw without any owner for at least ttl ms
   up to now_ms (monotonic, as given to sp_lease_tick); always 0 while it
   owns partitions (it does not look then). */
uint32_t sp_lease_orphans (const sp_lease_t *self, int64_t now_ms);

/* True when partition is one of sp_lease_orphans'. */
bool sp_lease_orphaned (const sp_lease_t *self, uint32_t partition, int64_t now_ms);

/* Whether this instance does its part (see "Orphans" above) at now_ms:
   returns 0, or -1 with the problem in problem, e.g. `owns no partition
   while 16 of 16 partitions have had no owner for 3000 ms or more`, or
   `owns no partition and could not lease for 3000 ms or more: ...`. */
int sp_lease_health (const sp_lease_t *self, int64_t now_ms, char *problem, size_t problem_size);

/* Live members seen at the last successful tick (0 before). */
size_t sp_lease_member_count (const sp_lease_t *self);

/* The instance id and tick interval (ttl / 3, at least 1 ms). */
const char *sp_lease_instance (const sp_lease_t *self);
int64_t sp_lease_tick_interval_ms (const sp_lease_t *self);

/* The plan, pure: members (count >= 1, any order, distinct) sorted
   bytewise; partition p is wanted when the member at p % count is self.
   Writes wanted[0..partitions-1]; returns how many are wanted (0 when
   self is not among members). */
uint32_t sp_lease_assign (const char *const *members, size_t count, const char *self,
                          uint32_t partitions, bool *wanted);

/* Makes an instance id "<host>-<pid>-<8 hex random>" into buffer (size >=
   SP_LEASE_INSTANCE_MAX); host is truncated to fit. */
void sp_lease_instance_id (char *buffer, size_t size);

#endif
