/*  sp_hash - a fast hash of bytes (see sp_hash.h). */
#include "sp_hash.h"

#include <string.h>

#define S_MULTIPLIER UINT64_C (0x9e3779b97f4a7c15)
#define S_FINAL_1 UINT64_C (0xbf58476d1ce4e5b9)
#define S_FINAL_2 UINT64_C (0x94d049bb133111eb)
#define S_WORD 8 /* bytes hashed per step */

uint64_t
sp_hash_mix (uint64_t hash)
{
    hash = (hash ^ (hash >> 30)) * S_FINAL_1;
    hash = (hash ^ (hash >> 27)) * S_FINAL_2;
    return hash ^ (hash >> 31);
}

uint64_t
sp_hash_bytes (const void *bytes, size_t length, uint64_t seed)
{
    const unsigned char *next = bytes;
    uint64_t hash = seed ^ (length * S_MULTIPLIER);
    while (length >= S_WORD) {
        uint64_t word;
        memcpy (&word, next, S_WORD);
        hash = (hash ^ word) * S_MULTIPLIER;
        hash ^= hash >> 32;
        next += S_WORD;
        length -= S_WORD;
    }
    if (length > 0) {
        uint64_t word = 0;
        memcpy (&word, next, length);
        hash = (hash ^ word) * S_MULTIPLIER;
    }
    return sp_hash_mix (hash);
}
