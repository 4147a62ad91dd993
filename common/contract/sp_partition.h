/*  sp_partition - the stable partition of a customer.

    Events are partitioned by customer_id so that one customer's events are
    always applied in order by one owner. The mapping is part of the data
    format: it decides which partition's log and Redis keys hold a customer,
    so it must never change, and other programs (tools, other languages,
    SQL) must be able to compute it. It is:

        hash = 0xcbf29ce484222325                   (FNV-1a 64 offset basis)
        for each byte b of the key (UTF-8, no terminator, no normalisation):
            hash = hash XOR b
            hash = (hash * 0x100000001b3) mod 2^64  (FNV 64-bit prime)
        partition = hash mod partitions             (unsigned 64-bit modulo)

    The key is hashed byte for byte exactly as received: no case folding,
    no trimming, no Unicode normalisation. Examples: "" hashes to
    0xcbf29ce484222325, "a" to 0xaf63dc4c8601ec8c; "Acme Corporation" is
    partition 1 of 16 and 3 of 7.

    Python: h = 0xcbf29ce484222325
            for b in key.encode ("utf-8"):
                h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
            partition = h % partitions
*/
#ifndef SP_PARTITION_H_INCLUDED
#define SP_PARTITION_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most partitions a deployment may have. */
#define SP_PARTITIONS_MAX 1024

/* FNV-1a 64 offset basis and prime (http://www.isthe.com/chongo/tech/comp/fnv/). */
#define SP_PARTITION_FNV_OFFSET_BASIS UINT64_C (0xcbf29ce484222325)
#define SP_PARTITION_FNV_PRIME UINT64_C (0x100000001b3)

/* FNV-1a 64-bit hash of length bytes at key (key may be NULL when length
   is 0). */
uint64_t sp_partition_hash (const char *key, size_t length);

/* Partition of a key among partitions (1..SP_PARTITIONS_MAX, asserted):
   sp_partition_hash (key, length) % partitions. */
uint32_t sp_partition_of (const char *key, size_t length, uint32_t partitions);

/* Longest service name, terminator included. */
#define SP_PARTITION_SERVICE_MAX 64

/* True when service is a valid service name, the prefix of every Redis key
   of the service: 1..SP_PARTITION_SERVICE_MAX-1 characters of a-z, 0-9 and
   "-" (so keys need no quoting and SCAN patterns no escaping). */
bool sp_partition_service_valid (const char *service);

/* Longest Redis key sp_partition_key writes, terminator included. */
#define SP_PARTITION_KEY_MAX 256

/* Writes the Redis key "<service>:{p<partition>}:<suffix>" into buffer,
   e.g. "funnel-tracker:{p7}:checkpoint". The "{p7}" hash tag puts every
   key of one partition of every service in one Redis Cluster slot, so a
   partition's atomic apply is a single-slot operation. Returns the
   length, or -1 when the key does not fit in size bytes (buffer then
   holds ""). */
int sp_partition_key (char *buffer, size_t size, const char *service, uint32_t partition,
                      const char *suffix);

#endif
