/*  sp_partition - the stable partition of a customer (see sp_partition.h).

    Pure computation, no state: FNV-1a 64 over the key's bytes, then modulo
    the partition count. Kept in its own file because the algorithm is a
    documented part of the data format that must never change.
*/
#include "sp_partition.h"

#include <assert.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

uint64_t
sp_partition_hash (const char *key, size_t length)
{
    assert (key != NULL || length == 0);
    const unsigned char *bytes = (const unsigned char *) key;
    uint64_t hash = SP_PARTITION_FNV_OFFSET_BASIS;
    for (size_t i = 0; i < length; i++) {
        hash ^= bytes[i];
        hash *= SP_PARTITION_FNV_PRIME;
    }
    return hash;
}

uint32_t
sp_partition_of (const char *key, size_t length, uint32_t partitions)
{
    assert (partitions >= 1 && partitions <= SP_PARTITIONS_MAX);
    return (uint32_t) (sp_partition_hash (key, length) % partitions);
}

/* Appends length bytes of text at *used when they fit below size. */
static bool
s_put (char *buffer, size_t size, size_t *used, const char *text, size_t length)
{
    if (length >= size - *used)
        return false;
    memcpy (buffer + *used, text, length);
    *used += length;
    return true;
}

/* Written with memcpy, not snprintf: every consumer builds several keys
   an event (a profile of kpi-evaluator's rebuild had a third of its time
   in printf). */
int
sp_partition_key (char *buffer, size_t size, const char *service, uint32_t partition,
                  const char *suffix)
{
    assert (buffer && size > 0 && service && suffix);
    char digits[10];
    size_t count = 0;
    do {
        digits[sizeof digits - ++count] = (char) ('0' + partition % 10);
        partition /= 10;
    } while (partition > 0);
    size_t used = 0;
    if (!s_put (buffer, size, &used, service, strlen (service)) ||
        !s_put (buffer, size, &used, ":{p", 3) ||
        !s_put (buffer, size, &used, digits + sizeof digits - count, count) ||
        !s_put (buffer, size, &used, "}:", 2) ||
        !s_put (buffer, size, &used, suffix, strlen (suffix))) {
        buffer[0] = '\0';
        return -1;
    }
    buffer[used] = '\0';
    return (int) used;
}

bool
sp_partition_service_valid (const char *service)
{
    assert (service);
    size_t length = strnlen (service, SP_PARTITION_SERVICE_MAX);
    if (length == 0 || length >= SP_PARTITION_SERVICE_MAX)
        return false;
    for (size_t index = 0; index < length; index++) {
        char c = service[index];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}
