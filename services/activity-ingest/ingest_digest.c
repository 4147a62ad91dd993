/*  ingest_digest - SHA-256 of a packed event (see ingest_digest.h).

    A straight transcription of FIPS 180-4 section 6.2 for one message in
    memory: pad, then compress 64-byte blocks. Test vectors from FIPS 180-4
    appendix B are in tests/unit/ingest/test_digest.c.
*/
#include "ingest_digest.h"

#include <assert.h>
#include <string.h>

#define INGEST_DIGEST_BLOCK 64         /* bytes per compressed block */
#define INGEST_DIGEST_ROUNDS 64        /* rounds per block */
#define INGEST_DIGEST_LENGTH_BYTES 8   /* message length field at the end of the padding */
#define INGEST_DIGEST_PAD_MARK 0x80    /* first padding byte: a single 1 bit */

static const uint32_t s_round_constants[INGEST_DIGEST_ROUNDS] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t s_initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static uint32_t
s_rotate_right (uint32_t value, unsigned bits)
{
    return (value >> bits) | (value << (32 - bits));
}

/* Compresses one 64-byte block into state. */
static void
s_compress (uint32_t state[8], const uint8_t *block)
{
    uint32_t schedule[INGEST_DIGEST_ROUNDS];
    for (int t = 0; t < 16; t++)
        schedule[t] = (uint32_t) block[t * 4] << 24 | (uint32_t) block[t * 4 + 1] << 16 |
                      (uint32_t) block[t * 4 + 2] << 8 | (uint32_t) block[t * 4 + 3];
    for (int t = 16; t < INGEST_DIGEST_ROUNDS; t++) {
        uint32_t s0 = s_rotate_right (schedule[t - 15], 7) ^ s_rotate_right (schedule[t - 15], 18) ^
                      (schedule[t - 15] >> 3);
        uint32_t s1 = s_rotate_right (schedule[t - 2], 17) ^ s_rotate_right (schedule[t - 2], 19) ^
                      (schedule[t - 2] >> 10);
        schedule[t] = schedule[t - 16] + s0 + schedule[t - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < INGEST_DIGEST_ROUNDS; t++) {
        uint32_t sum1 = s_rotate_right (e, 6) ^ s_rotate_right (e, 11) ^ s_rotate_right (e, 25);
        uint32_t choice = (e & f) ^ (~e & g);
        uint32_t temp1 = h + sum1 + choice + s_round_constants[t] + schedule[t];
        uint32_t sum0 = s_rotate_right (a, 2) ^ s_rotate_right (a, 13) ^ s_rotate_right (a, 22);
        uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
        uint32_t temp2 = sum0 + majority;
        h = g;
        g = f;
        f = e;
        e = d + temp1;
        d = c;
        c = b;
        b = a;
        a = temp1 + temp2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void
ingest_digest_sha256 (const void *data, size_t size, uint8_t digest[INGEST_DIGEST_SIZE])
{
    assert (data || size == 0);
    assert (digest);
    const uint8_t *bytes = (const uint8_t *) data;
    uint32_t state[8];
    memcpy (state, s_initial_state, sizeof state);

    size_t offset = 0;
    for (; size - offset >= INGEST_DIGEST_BLOCK; offset += INGEST_DIGEST_BLOCK)
        s_compress (state, bytes + offset);

    /* Last one or two blocks: the tail, the 1 bit, zeros, the bit length. */
    uint8_t tail[2 * INGEST_DIGEST_BLOCK] = { 0 };
    size_t rest = size - offset;
    if (rest)
        memcpy (tail, bytes + offset, rest);
    tail[rest] = INGEST_DIGEST_PAD_MARK;
    size_t tail_size = rest + 1 + INGEST_DIGEST_LENGTH_BYTES <= INGEST_DIGEST_BLOCK
                           ? INGEST_DIGEST_BLOCK
                           : 2 * INGEST_DIGEST_BLOCK;
    uint64_t bits = (uint64_t) size * 8;
    for (int i = 0; i < INGEST_DIGEST_LENGTH_BYTES; i++)
        tail[tail_size - 1 - (size_t) i] = (uint8_t) (bits >> (8 * i));
    for (size_t block = 0; block < tail_size; block += INGEST_DIGEST_BLOCK)
        s_compress (state, tail + block);

    for (int i = 0; i < 8; i++) {
        digest[i * 4] = (uint8_t) (state[i] >> 24);
        digest[i * 4 + 1] = (uint8_t) (state[i] >> 16);
        digest[i * 4 + 2] = (uint8_t) (state[i] >> 8);
        digest[i * 4 + 3] = (uint8_t) state[i];
    }
}
