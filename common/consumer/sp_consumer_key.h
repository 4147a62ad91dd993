/*  sp_consumer_key - the names of a consumer service's own Redis keys and
    the form of the numbers they hold: the one place that spells them.

    Keys of partition N of a service (sp_partition_key, so all share the
    "{pN}" hash tag with the handler's state):
        <service>:{pN}:checkpoint   sequence of the last event applied
        <service>:{pN}:epoch        rebuild epoch the partition's state was built for
        <service>:{pN}:revision     reference data revision the state was built under
        <service>:{pN}:lease        "<instance>/<fence>", PX ttl
        <service>:{pN}:fence        the partition's fence counter
        <service>:{pN}:<anything>   the handler's own state (sp_consumer_batch_key)
    Keys of a service:
        <service>:rebuild           rebuild epoch requested (INCR; missing = 0)
        <service>:{<service>}:members        sorted set: instance id -> expiry (Redis ms)
        <service>:{<service>}:instance:<id>  string: the instance's status JSON, PX ttl
    and one key of the deployment:
        salespulse:services         set: names of the services that ever ran a lease
    The members and instance keys carry the service's hash tag: the lease
    heartbeat and the instances' read are scripts over both, which Redis
    Cluster runs only when their keys share a slot. The tag follows the
    "<service>:" prefix, which Redis ACL key patterns match
    (docs/security.md). rebuild is read and written alone, and
    salespulse:services by a command of its own.

    Who touches them: sp_lease writes lease, fence, members, instance and
    services; sp_consumer_store writes checkpoint, epoch and revision (the atomic
    apply, the reset) and INCRs rebuild (sp_consumer_store_request_rebuild);
    tools and benchmarks read them through sp_consumer_state. Nothing else
    builds these names: a service or tool that needs one of these keys
    asks these functions or those classes.

    Numbers. A sequence (checkpoint) is written in canonical decimal form:
    digits only, no leading zero, within uint64. An epoch is written by
    INCR: the same with an optional '-', within int64 ("-0" is not one).
    The apply compares checkpoints as strings (Lua numbers are doubles),
    so "007" is not the checkpoint 7: read them with the parsers below.

    Every function is pure (no I/O, no allocation).
*/
#ifndef SP_CONSUMER_KEY_H_INCLUDED
#define SP_CONSUMER_KEY_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sp_partition.h"

/* Room for any key these functions write for a valid service and an
   instance id shorter than SP_LEASE_INSTANCE_MAX (128), terminator
   included: the longest, "<service>:{<service>}:instance:<id>", has the
   service name twice (267 bytes at the limits). */
#define SP_CONSUMER_KEY_MAX (SP_PARTITION_KEY_MAX + SP_PARTITION_SERVICE_MAX)

/* The set of services that ran a lease (no service prefix: it lists them). */
#define SP_CONSUMER_KEY_SERVICES "salespulse:services"

/* Each writes the key into buffer and returns its length, or -1 (buffer
   then holds "" when size > 0) when service is not a valid service name
   (sp_partition_service_valid) or the key does not fit in size bytes. */

/* "<service>:{p<partition>}:checkpoint" */
int sp_consumer_key_checkpoint (char *buffer, size_t size, const char *service, uint32_t partition);

/* "<service>:{p<partition>}:epoch" */
int sp_consumer_key_epoch (char *buffer, size_t size, const char *service, uint32_t partition);

/* "<service>:{p<partition>}:revision" */
int sp_consumer_key_revision (char *buffer, size_t size, const char *service, uint32_t partition);

/* "<service>:{p<partition>}:lease" */
int sp_consumer_key_lease (char *buffer, size_t size, const char *service, uint32_t partition);

/* "<service>:{p<partition>}:fence" */
int sp_consumer_key_fence (char *buffer, size_t size, const char *service, uint32_t partition);

/* "<service>:{p<partition>}:*", the SCAN MATCH pattern of every key of
   the partition (the valid service alphabet holds no glob character, so
   nothing needs escaping). */
int sp_consumer_key_partition_pattern (char *buffer, size_t size, const char *service,
                                       uint32_t partition);

/* "<service>:rebuild" */
int sp_consumer_key_rebuild (char *buffer, size_t size, const char *service);

/* "<service>:{<service>}:members" */
int sp_consumer_key_members (char *buffer, size_t size, const char *service);

/* "<service>:{<service>}:instance:<instance>"; instance is copied as it is (any
   bytes up to its terminator). With instance "" it writes the prefix
   every status key of the service starts with. */
int sp_consumer_key_instance (char *buffer, size_t size, const char *service, const char *instance);

/* Parses length bytes of text (no terminator needed) as a sequence in
   canonical form. Returns 0 with *value set, or -1 (*value untouched). */
int sp_consumer_key_parse_sequence (const char *text, size_t length, uint64_t *value);

/* Same for an epoch (optional '-', within int64). */
int sp_consumer_key_parse_epoch (const char *text, size_t length, int64_t *value);

#endif
