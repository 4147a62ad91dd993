/*  sp_consumer_key - names and number forms of a consumer's own Redis keys
    (see sp_consumer_key.h).
*/
#include "sp_consumer_key.h"

#include "sp_partition.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>

#define S_CHECKPOINT_SUFFIX "checkpoint"
#define S_EPOCH_SUFFIX "epoch"
#define S_REVISION_SUFFIX "revision"
#define S_LEASE_SUFFIX "lease"
#define S_FENCE_SUFFIX "fence"
#define S_PATTERN_SUFFIX "*"
#define S_REBUILD_SUFFIX ":rebuild"
#define S_MEMBERS_SUFFIX "members"
#define S_INSTANCE_INFIX "instance:"
#define S_DECIMAL_BASE 10

/* ---------------------------------------------------------------- names */

/* A key of one partition, or -1 for an invalid service or a short buffer. */
static int
s_partition_key (char *buffer, size_t size, const char *service, uint32_t partition,
                 const char *suffix)
{
    assert (buffer && size > 0 && service);
    if (!sp_partition_service_valid (service)) {
        buffer[0] = '\0';
        return -1;
    }
    return sp_partition_key (buffer, size, service, partition, suffix);
}

/* "<service><suffix><name>", or -1 as s_partition_key. */
static int
s_service_key (char *buffer, size_t size, const char *service, const char *suffix, const char *name)
{
    assert (buffer && size > 0 && service && name);
    int length = -1;
    if (sp_partition_service_valid (service))
        length = snprintf (buffer, size, "%s%s%s", service, suffix, name);
    if (length < 0 || (size_t) length >= size) {
        buffer[0] = '\0';
        return -1;
    }
    return length;
}

/* "<service>:{<service>}:<suffix><name>": the service's hash tag, so the
   keys the lease heartbeat touches together share one Redis Cluster
   slot; or -1 as s_partition_key. */
static int
s_tagged_key (char *buffer, size_t size, const char *service, const char *suffix, const char *name)
{
    assert (buffer && size > 0 && service && name);
    int length = -1;
    if (sp_partition_service_valid (service))
        length = snprintf (buffer, size, "%s:{%s}:%s%s", service, service, suffix, name);
    if (length < 0 || (size_t) length >= size) {
        buffer[0] = '\0';
        return -1;
    }
    return length;
}

int
sp_consumer_key_checkpoint (char *buffer, size_t size, const char *service, uint32_t partition)
{
    return s_partition_key (buffer, size, service, partition, S_CHECKPOINT_SUFFIX);
}

int
sp_consumer_key_epoch (char *buffer, size_t size, const char *service, uint32_t partition)
{
    return s_partition_key (buffer, size, service, partition, S_EPOCH_SUFFIX);
}

int
sp_consumer_key_revision (char *buffer, size_t size, const char *service, uint32_t partition)
{
    return s_partition_key (buffer, size, service, partition, S_REVISION_SUFFIX);
}

int
sp_consumer_key_lease (char *buffer, size_t size, const char *service, uint32_t partition)
{
    return s_partition_key (buffer, size, service, partition, S_LEASE_SUFFIX);
}

int
sp_consumer_key_fence (char *buffer, size_t size, const char *service, uint32_t partition)
{
    return s_partition_key (buffer, size, service, partition, S_FENCE_SUFFIX);
}

int
sp_consumer_key_partition_pattern (char *buffer, size_t size, const char *service,
                                   uint32_t partition)
{
    return s_partition_key (buffer, size, service, partition, S_PATTERN_SUFFIX);
}

int
sp_consumer_key_rebuild (char *buffer, size_t size, const char *service)
{
    return s_service_key (buffer, size, service, S_REBUILD_SUFFIX, "");
}

int
sp_consumer_key_members (char *buffer, size_t size, const char *service)
{
    return s_tagged_key (buffer, size, service, S_MEMBERS_SUFFIX, "");
}

int
sp_consumer_key_instance (char *buffer, size_t size, const char *service, const char *instance)
{
    return s_tagged_key (buffer, size, service, S_INSTANCE_INFIX, instance);
}

/* ---------------------------------------------------------------- numbers */

int
sp_consumer_key_parse_sequence (const char *text, size_t length, uint64_t *value)
{
    assert ((text || length == 0) && value);
    if (length == 0 || (length > 1 && text[0] == '0'))
        return -1;
    uint64_t result = 0;
    for (size_t index = 0; index < length; index++) {
        if (text[index] < '0' || text[index] > '9')
            return -1;
        uint64_t digit = (uint64_t) (text[index] - '0');
        if (result > (UINT64_MAX - digit) / S_DECIMAL_BASE)
            return -1;
        result = result * S_DECIMAL_BASE + digit;
    }
    *value = result;
    return 0;
}

int
sp_consumer_key_parse_epoch (const char *text, size_t length, int64_t *value)
{
    assert ((text || length == 0) && value);
    if (length == 0)
        return -1;
    bool negative = text[0] == '-';
    uint64_t magnitude = 0;
    if (sp_consumer_key_parse_sequence (text + negative, length - negative, &magnitude) != 0)
        return -1;
    if (negative && (magnitude == 0 || magnitude > (uint64_t) INT64_MAX + 1))
        return -1;
    if (!negative && magnitude > (uint64_t) INT64_MAX)
        return -1;
    *value = negative ? (int64_t) (0 - magnitude) : (int64_t) magnitude;
    return 0;
}
