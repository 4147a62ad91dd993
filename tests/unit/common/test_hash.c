/*  test_hash - sp_hash_bytes: the same bytes give the same hash, every
    byte and the length count, a chained hash tells "ab"+"c" from
    "a"+"bc", and keys shaped like a consumer's Redis keys do not collide
    (the tables that use it stay short-probed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_hash.h"

#define KEYS 100000

static int
s_compare (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

static void
test_same_bytes_same_hash (void **state)
{
    (void) state;
    const char key[] = "funnel-tracker:{p3}:m:default:rep:rep-17:2025-04";
    char copy[sizeof key];
    memcpy (copy, key, sizeof key);
    assert_int_equal (sp_hash_bytes (key, sizeof key - 1, 0), sp_hash_bytes (copy, sizeof key - 1, 0));
    assert_int_not_equal (sp_hash_bytes (key, sizeof key - 1, 0),
                          sp_hash_bytes (key, sizeof key - 1, 1)); /* the seed counts */
}

/* Flipping any one bit of inputs of 0 to 70 bytes changes the hash, and
   so does the length (trailing NULs included). */
static void
test_every_byte_and_the_length_count (void **state)
{
    (void) state;
    unsigned char bytes[72];
    for (size_t index = 0; index < sizeof bytes; index++)
        bytes[index] = (unsigned char) (index * 37 + 11);
    for (size_t length = 0; length <= 70; length++) {
        uint64_t base = sp_hash_bytes (bytes, length, 0);
        for (size_t at = 0; at < length; at++)
            for (int bit = 0; bit < 8; bit++) {
                bytes[at] ^= (unsigned char) (1u << bit);
                assert_int_not_equal (sp_hash_bytes (bytes, length, 0), base);
                bytes[at] ^= (unsigned char) (1u << bit);
            }
        unsigned char zeros[72] = { 0 };
        assert_int_not_equal (sp_hash_bytes (zeros, length, 0), sp_hash_bytes (zeros, length + 1, 0));
    }
}

static void
test_chained_hashes_keep_the_boundary (void **state)
{
    (void) state;
    uint64_t ab_c = sp_hash_bytes ("c", 1, sp_hash_bytes ("ab", 2, 0));
    uint64_t a_bc = sp_hash_bytes ("bc", 2, sp_hash_bytes ("a", 1, 0));
    assert_int_not_equal (ab_c, a_bc);
}

/* 100,000 keys of the funnel kind (partition, scope, month, day): no two
   hashes alike, and the low 17 bits (a table's bucket) spread evenly. */
static void
test_no_collisions_on_consumer_keys (void **state)
{
    (void) state;
    uint64_t *hashes = malloc (KEYS * sizeof *hashes);
    assert_non_null (hashes);
    unsigned *buckets = calloc (1u << 17, sizeof *buckets);
    assert_non_null (buckets);
    for (size_t index = 0; index < KEYS; index++) {
        char key[96];
        int length = snprintf (key, sizeof key, "funnel-tracker:{p%zu}:d:default:rep:rep-%zu:2025-%02zu-%02zu",
                               index % 16, (index / 16) % 60, (index / 960) % 12 + 1,
                               (index / 11520) % 28 + 1);
        hashes[index] = sp_hash_bytes (key, (size_t) length, 0);
        buckets[hashes[index] & ((1u << 17) - 1)]++;
    }
    qsort (hashes, KEYS, sizeof *hashes, s_compare);
    for (size_t index = 1; index < KEYS; index++)
        assert_int_not_equal (hashes[index], hashes[index - 1]);
    unsigned most = 0;
    for (size_t bucket = 0; bucket < (1u << 17); bucket++)
        most = buckets[bucket] > most ? buckets[bucket] : most;
    assert_true (most <= 10); /* ~0.76 keys per bucket: a long chain means clustering */
    free (buckets);
    free (hashes);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_same_bytes_same_hash),
        cmocka_unit_test (test_every_byte_and_the_length_count),
        cmocka_unit_test (test_chained_hashes_keep_the_boundary),
        cmocka_unit_test (test_no_collisions_on_consumer_keys),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
