/*  sp_hash - a fast hash of bytes (see sp_hash.h).

    Two lanes take eight bytes each per round, so their multiplies run
    side by side instead of waiting on each other: keys of 40 to 60 bytes
    (a consumer's Redis keys) cost three rounds and the finaliser.
*/
#include "sp_hash.h"

#include <string.h>

#define S_MULTIPLIER UINT64_C (0x9e3779b97f4a7c15)
#define S_MULTIPLIER_2 UINT64_C (0xc2b2ae3d27d4eb4f)
#define S_FINAL_1 UINT64_C (0xbf58476d1ce4e5b9)
#define S_FINAL_2 UINT64_C (0x94d049bb133111eb)
#define S_WORD 8 /* bytes per lane and round */

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
    uint64_t first = seed ^ (length * S_MULTIPLIER);
    uint64_t second = seed + S_MULTIPLIER_2;
    while (length >= 2 * S_WORD) {
        uint64_t word_1, word_2;
        memcpy (&word_1, next, S_WORD);
        memcpy (&word_2, next + S_WORD, S_WORD);
        first = (first ^ word_1) * S_MULTIPLIER;
        second = (second ^ word_2) * S_MULTIPLIER_2;
        first ^= first >> 32;
        second ^= second >> 29;
        next += 2 * S_WORD;
        length -= 2 * S_WORD;
    }
    if (length >= S_WORD) {
        uint64_t word;
        memcpy (&word, next, S_WORD);
        first = (first ^ word) * S_MULTIPLIER;
        first ^= first >> 32;
        next += S_WORD;
        length -= S_WORD;
    }
    if (length > 0) {
        uint64_t word = 0;
        memcpy (&word, next, length);
        second = (second ^ word) * S_MULTIPLIER_2;
    }
    return sp_hash_mix (first ^ (second * S_MULTIPLIER));
}
