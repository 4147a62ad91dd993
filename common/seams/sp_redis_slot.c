/*  sp_redis_slot - Redis Cluster hash slots (see sp_redis_slot.h).

    The CRC is computed bit by bit from the polynomial (keys are short; no
    table to transcribe or to build under threads); the unit test holds
    the published check value and slots Redis 7.0's CLUSTER KEYSLOT gave.
*/
#include "sp_redis_slot.h"

#include <assert.h>
#include <string.h>

#define SP_REDIS_SLOT_POLYNOMIAL 0x1021u /* x^16 + x^12 + x^5 + 1 */
#define SP_REDIS_SLOT_TOP_BIT 0x8000u    /* bit shifted out of a 16-bit CRC */
#define SP_REDIS_SLOT_CRC_MASK 0xffffu   /* the 16 bits of the CRC */
#define SP_REDIS_SLOT_BITS_PER_BYTE 8
#define SP_REDIS_SLOT_HIGH_SHIFT 8                   /* a byte enters the CRC's high byte */
#define SP_REDIS_SLOT_MASK (SP_REDIS_SLOT_COUNT - 1) /* 16384 is a power of two */

uint16_t
sp_redis_slot_crc16 (const void *data, size_t length)
{
    assert (data || length == 0);
    const unsigned char *bytes = data;
    unsigned crc = 0;
    for (size_t i = 0; i < length; i++) {
        crc ^= (unsigned) bytes[i] << SP_REDIS_SLOT_HIGH_SHIFT;
        for (int bit = 0; bit < SP_REDIS_SLOT_BITS_PER_BYTE; bit++)
            crc = (crc & SP_REDIS_SLOT_TOP_BIT) ? (crc << 1) ^ SP_REDIS_SLOT_POLYNOMIAL : crc << 1;
        crc &= SP_REDIS_SLOT_CRC_MASK;
    }
    return (uint16_t) crc;
}

const char *
sp_redis_slot_hashed (const char *key, size_t length, size_t *tag_length)
{
    assert (key || length == 0);
    assert (tag_length);
    const char *open = length > 0 ? memchr (key, '{', length) : NULL;
    if (open) {
        size_t after = (size_t) (open - key) + 1;
        const char *close = memchr (open + 1, '}', length - after);
        if (close && close > open + 1) {
            *tag_length = (size_t) (close - open - 1);
            return open + 1;
        }
    }
    *tag_length = length;
    return key;
}

int
sp_redis_slot (const char *key, size_t length)
{
    size_t hashed_length = 0;
    const char *hashed = sp_redis_slot_hashed (key, length, &hashed_length);
    return (int) (sp_redis_slot_crc16 (hashed, hashed_length) & SP_REDIS_SLOT_MASK);
}
