/*  sp_redis_slot - the Redis Cluster hash slot of a key, as the Redis
    Cluster specification defines it: CRC16 (the XMODEM variant:
    polynomial 0x1021, initial value 0, no reflection, no final xor;
    "123456789" gives 0x31C3) of the key's hash tag, or of the whole key
    when it has none, modulo 16384.

    Hash tag: the bytes between the first "{" of the key and the first "}"
    after it, when there is at least one byte between them. So
    "{user1000}.following" hashes "user1000", "foo{{bar}}zap" hashes
    "{bar", "foo{bar}{zap}" hashes "bar", and "foo{}{bar}" (nothing
    between the first "{" and the first "}") hashes the whole key.

    Pure functions, no I/O: the cluster client in sp_redis routes every
    command with them, and tests check them against CLUSTER KEYSLOT.
*/
#ifndef SP_REDIS_SLOT_H_INCLUDED
#define SP_REDIS_SLOT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define SP_REDIS_SLOT_COUNT 16384 /* hash slots of a Redis Cluster, fixed by the protocol */

/* CRC16/XMODEM of data[0..length). */
uint16_t sp_redis_slot_crc16 (const void *data, size_t length);

/* The part of key[0..length) that decides its slot: *tag_length bytes at
   the returned address (the hash tag, or the whole key). */
const char *sp_redis_slot_hashed (const char *key, size_t length, size_t *tag_length);

/* The slot of key[0..length) (binary-safe), 0..SP_REDIS_SLOT_COUNT-1. */
int sp_redis_slot (const char *key, size_t length);

#endif
