/*  Tests for sp_partition: the published FNV-1a 64 vectors, fixed partition
    vectors that must never change (they are part of the data format), and
    a distribution sanity check.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sp_partition.h"

#define DISTRIBUTION_KEYS 10000 /* keys hashed by the distribution test */
#define DISTRIBUTION_PARTITIONS 16
#define DISTRIBUTION_LOW 500  /* fewest keys any partition may get */
#define DISTRIBUTION_HIGH 750 /* most keys any partition may get */
#define KEY_SIZE 32

typedef struct {
    const char *key;  /* customer id */
    uint64_t hash;    /* FNV-1a 64 of its bytes */
    uint32_t of_16;   /* partition among 16 */
    uint32_t of_7;    /* partition among 7 */
    uint32_t of_1024; /* partition among 1024 */
} vector_t;

/* Computed once with an independent implementation (Python) and frozen. */
static const vector_t s_vectors[] = {
    { "", UINT64_C (0xcbf29ce484222325), 5, 2, 805 },
    { "a", UINT64_C (0xaf63dc4c8601ec8c), 12, 5, 140 },
    { "foobar", UINT64_C (0x85944171f73967e8), 8, 6, 1000 },
    { "Acme Corporation", UINT64_C (0xdf5d2713a7249ba1), 1, 3, 929 },
    { "Betasoloin", UINT64_C (0xe260027eac6e82ef), 15, 6, 751 },
    { "customer-42", UINT64_C (0x1e1b8c70eb18f59e), 14, 0, 414 },
    { "M\xc3\xbcller GmbH", UINT64_C (0x14a04e401ac28506), 6, 1, 262 },
    { "c-0", UINT64_C (0xf6e54b190dc00c87), 7, 6, 135 },
    { "c-9999", UINT64_C (0xd9a6f4920f2721f1), 1, 3, 497 },
};

static void
test_hash_published_vectors (void **state)
{
    (void) state;
    assert_true (sp_partition_hash ("", 0) == UINT64_C (0xcbf29ce484222325));
    assert_true (sp_partition_hash (NULL, 0) == UINT64_C (0xcbf29ce484222325));
    assert_true (sp_partition_hash ("a", 1) == UINT64_C (0xaf63dc4c8601ec8c));
    assert_true (sp_partition_hash ("foobar", 6) == UINT64_C (0x85944171f73967e8));
}

static void
test_hash_uses_length_not_terminator (void **state)
{
    (void) state;
    /* Only the given bytes count; an embedded NUL is hashed like any byte. */
    assert_true (sp_partition_hash ("foobarXYZ", 6) == UINT64_C (0x85944171f73967e8));
    assert_true (sp_partition_hash ("a\0b", 3) != sp_partition_hash ("a", 1));
}

static void
test_fixed_vectors (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_vectors / sizeof s_vectors[0]; i++) {
        const vector_t *vector = &s_vectors[i];
        size_t length = strlen (vector->key);
        assert_true (sp_partition_hash (vector->key, length) == vector->hash);
        assert_int_equal (sp_partition_of (vector->key, length, 16), vector->of_16);
        assert_int_equal (sp_partition_of (vector->key, length, 7), vector->of_7);
        assert_int_equal (sp_partition_of (vector->key, length, SP_PARTITIONS_MAX),
                          vector->of_1024);
    }
}

static void
test_single_partition (void **state)
{
    (void) state;
    assert_int_equal (sp_partition_of ("Acme Corporation", 16, 1), 0);
    assert_int_equal (sp_partition_of ("", 0, 1), 0);
}

/* Keys: "<service>:{p<partition>}:<suffix>", the whole range of
   partition numbers, and a buffer one byte short refused with "". */
static void
test_keys (void **state)
{
    (void) state;
    char key[SP_PARTITION_KEY_MAX];
    assert_int_equal (sp_partition_key (key, sizeof key, "funnel-tracker", 0, "m:x"), 23);
    assert_string_equal (key, "funnel-tracker:{p0}:m:x");
    assert_int_equal (sp_partition_key (key, sizeof key, "s", 4294967295u, ""), 16);
    assert_string_equal (key, "s:{p4294967295}:");
    assert_int_equal (sp_partition_key (key, sizeof key, "kpi", 15, "d:2025-03-01"), 22);
    assert_string_equal (key, "kpi:{p15}:d:2025-03-01");

    char exact[sizeof "a:{p7}:bc"];
    assert_int_equal (sp_partition_key (exact, sizeof exact, "a", 7, "bc"), 9);
    assert_string_equal (exact, "a:{p7}:bc");
    char short_by_one[sizeof "a:{p7}:bc" - 1];
    assert_int_equal (sp_partition_key (short_by_one, sizeof short_by_one, "a", 7, "bc"), -1);
    assert_string_equal (short_by_one, "");
    char tiny[1];
    assert_int_equal (sp_partition_key (tiny, sizeof tiny, "a", 7, ""), -1);
    assert_string_equal (tiny, "");
}

static void
test_distribution (void **state)
{
    (void) state;
    size_t counts[DISTRIBUTION_PARTITIONS] = { 0 };
    for (int i = 0; i < DISTRIBUTION_KEYS; i++) {
        char key[KEY_SIZE];
        int length = snprintf (key, sizeof key, "c-%d", i);
        assert_true (length > 0 && (size_t) length < sizeof key);
        uint32_t partition = sp_partition_of (key, (size_t) length, DISTRIBUTION_PARTITIONS);
        assert_true (partition < DISTRIBUTION_PARTITIONS);
        counts[partition]++;
    }
    for (size_t p = 0; p < DISTRIBUTION_PARTITIONS; p++) {
        assert_in_range (counts[p], DISTRIBUTION_LOW, DISTRIBUTION_HIGH);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hash_published_vectors),
        cmocka_unit_test (test_hash_uses_length_not_terminator),
        cmocka_unit_test (test_fixed_vectors),
        cmocka_unit_test (test_single_partition),
        cmocka_unit_test (test_keys),
        cmocka_unit_test (test_distribution),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
