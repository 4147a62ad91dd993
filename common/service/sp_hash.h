/*  sp_hash - the one fast, non-cryptographic hash of bytes the kit's
    in-memory tables use (the coalescer, the summed increments,
    funnel-tracker's ledger): eight bytes per step, then a 64-bit
    finaliser. Not for anything an attacker chooses to collide with
    across processes; for passwords and tokens use libsodium. No I/O.
*/
#ifndef SP_HASH_H_INCLUDED
#define SP_HASH_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* Mixes the bits of hash so that every input bit affects every output
   bit (the splitmix64 finaliser). */
uint64_t sp_hash_mix (uint64_t hash);

/* The hash of length bytes, started from seed: chain two texts (a key,
   then a field) by passing the first's hash as the second's seed. */
uint64_t sp_hash_bytes (const void *bytes, size_t length, uint64_t seed);

#endif
