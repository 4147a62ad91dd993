/*  test_lease - the parts of sp_lease that need no server: the partition
    plan (sp_lease_assign), settings validation, the accessors of a new
    lease and the instance id format. Redis behaviour (heartbeat, claim,
    renew, release, fencing, outages) is in tests/integration/test_lease.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_lease.h"
#include "sp_partition.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ERROR_SIZE 256      /* error buffer used by every test */
#define PARTITIONS 16       /* partitions of most plans */
#define MEMBERS_MAX 5       /* most members in a plan test */
#define ID_DRAWS 8          /* instance ids drawn by the uniqueness test */
#define RANDOM_HEX_DIGITS 8 /* hex digits ending an instance id */
#define UNTOUCHED 'x'       /* filler showing an error buffer kept its value */

/* ---------------------------------------------------------------- helpers */

/* Plans for every member of members; checks each partition has exactly
   one owner and that shares differ by at most one. owner[p] gets the
   index (in members) of p's owner. */
static void
s_assert_full_plan (const char *const *members, size_t count, uint32_t partitions, size_t *owner)
{
    bool wanted[SP_PARTITIONS_MAX];
    uint32_t owners[SP_PARTITIONS_MAX] = { 0 };
    uint32_t low = UINT32_MAX, high = 0, total = 0;
    for (size_t m = 0; m < count; m++) {
        memset (wanted, 0xff, sizeof wanted);
        uint32_t share = sp_lease_assign (members, count, members[m], partitions, wanted);
        uint32_t seen = 0;
        for (uint32_t p = 0; p < partitions; p++) {
            if (wanted[p]) {
                owners[p]++;
                owner[p] = m;
                seen++;
            }
        }
        assert_int_equal (share, seen);
        low = share < low ? share : low;
        high = share > high ? share : high;
        total += share;
    }
    assert_int_equal (total, partitions);
    assert_true (high - low <= 1);
    for (uint32_t p = 0; p < partitions; p++)
        assert_int_equal (owners[p], 1);
}

static void
s_settings (sp_lease_settings_t *settings)
{
    *settings = (sp_lease_settings_t){
        .service = "funnel-tracker",
        .instance = "host-1-0000abcd",
        .partitions = PARTITIONS,
        .ttl_ms = SP_LEASE_TTL_MIN_MS,
        .change = NULL,
        .change_arg = NULL,
    };
}

/* sp_lease_new must fail with exactly expected. */
static void
s_assert_rejected (const sp_lease_settings_t *settings, const char *expected)
{
    char error[ERROR_SIZE];
    sp_lease_t *lease = sp_lease_new (settings, error, sizeof error);
    assert_null (lease);
    assert_string_equal (error, expected);
}

/* ---------------------------------------------------------------- plan */

static void
test_assign_single_member_wants_everything (void **state)
{
    (void) state;
    const char *members[] = { "solo" };
    bool wanted[PARTITIONS];
    assert_int_equal (sp_lease_assign (members, 1, "solo", PARTITIONS, wanted), PARTITIONS);
    for (uint32_t p = 0; p < PARTITIONS; p++)
        assert_true (wanted[p]);
    assert_int_equal (sp_lease_assign (members, 1, "solo", 1, wanted), 1);
    assert_true (wanted[0]);
}

static void
test_assign_two_members_alternate_in_sorted_order (void **state)
{
    (void) state;
    /* Given out of order: "a-host" sorts first, so it gets the even ones. */
    const char *members[] = { "b-host", "a-host" };
    bool wanted[PARTITIONS];
    assert_int_equal (sp_lease_assign (members, 2, "a-host", PARTITIONS, wanted), PARTITIONS / 2);
    for (uint32_t p = 0; p < PARTITIONS; p++)
        assert_int_equal (wanted[p], p % 2 == 0);
    assert_int_equal (sp_lease_assign (members, 2, "b-host", PARTITIONS, wanted), PARTITIONS / 2);
    for (uint32_t p = 0; p < PARTITIONS; p++)
        assert_int_equal (wanted[p], p % 2 == 1);
    size_t owner[PARTITIONS];
    s_assert_full_plan (members, 2, PARTITIONS, owner);
}

static void
test_assign_three_members_differ_by_at_most_one (void **state)
{
    (void) state;
    const char *members[] = { "m2", "m0", "m1" };
    bool wanted[PARTITIONS];
    /* 16 = 6 + 5 + 5: the first in bytewise order takes the extra one. */
    assert_int_equal (sp_lease_assign (members, 3, "m0", PARTITIONS, wanted), 6);
    assert_true (wanted[0] && wanted[3] && wanted[15]);
    assert_int_equal (sp_lease_assign (members, 3, "m1", PARTITIONS, wanted), 5);
    assert_true (wanted[1] && wanted[13] && !wanted[15]);
    assert_int_equal (sp_lease_assign (members, 3, "m2", PARTITIONS, wanted), 5);
    assert_true (wanted[2] && wanted[14]);
    size_t owner[PARTITIONS];
    s_assert_full_plan (members, 3, PARTITIONS, owner);
}

static void
test_assign_one_partition_goes_to_the_first (void **state)
{
    (void) state;
    const char *members[] = { "zeta", "Alpha", "alpha" };
    bool wanted[1];
    /* Bytewise: "Alpha" < "alpha" < "zeta" (uppercase sorts first). */
    assert_int_equal (sp_lease_assign (members, 3, "Alpha", 1, wanted), 1);
    assert_true (wanted[0]);
    assert_int_equal (sp_lease_assign (members, 3, "alpha", 1, wanted), 0);
    assert_false (wanted[0]);
    assert_int_equal (sp_lease_assign (members, 3, "zeta", 1, wanted), 0);
    assert_false (wanted[0]);
    size_t owner[1];
    s_assert_full_plan (members, 3, 1, owner);
    assert_int_equal (owner[0], 1);
}

static void
test_assign_absent_self_wants_nothing (void **state)
{
    (void) state;
    const char *members[] = { "a", "c" };
    bool wanted[PARTITIONS];
    memset (wanted, 1, sizeof wanted);
    assert_int_equal (sp_lease_assign (members, 2, "b", PARTITIONS, wanted), 0);
    for (uint32_t p = 0; p < PARTITIONS; p++)
        assert_false (wanted[p]);
    /* A prefix of a member is a different member. */
    assert_int_equal (sp_lease_assign (members, 2, "", PARTITIONS, wanted), 0);
    const char *longer[] = { "host-1" };
    assert_int_equal (sp_lease_assign (longer, 1, "host", PARTITIONS, wanted), 0);
}

static void
test_assign_ignores_member_order (void **state)
{
    (void) state;
    const char *orders[][MEMBERS_MAX] = {
        { "e", "d", "c", "b", "a" },
        { "a", "b", "c", "d", "e" },
        { "c", "a", "e", "b", "d" },
    };
    size_t reference[SP_PARTITIONS_MAX];
    s_assert_full_plan (orders[0], MEMBERS_MAX, SP_PARTITIONS_MAX, reference);
    for (size_t o = 1; o < sizeof orders / sizeof orders[0]; o++) {
        size_t owner[SP_PARTITIONS_MAX];
        s_assert_full_plan (orders[o], MEMBERS_MAX, SP_PARTITIONS_MAX, owner);
        for (uint32_t p = 0; p < SP_PARTITIONS_MAX; p++)
            assert_string_equal (orders[o][owner[p]], orders[0][reference[p]]);
    }
}

static void
test_assign_many_sizes_cover_every_partition (void **state)
{
    (void) state;
    const char *members[] = { "instance-9", "instance-10", "instance-1", "x", "instance-100" };
    const uint32_t sizes[] = { 1, 2, 3, 7, 16, 17, 1000, SP_PARTITIONS_MAX };
    for (size_t count = 1; count <= MEMBERS_MAX; count++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t owner[SP_PARTITIONS_MAX];
            s_assert_full_plan (members, count, sizes[s], owner);
        }
    }
}

/* ---------------------------------------------------------------- settings */

static void
test_new_accepts_valid_settings (void **state)
{
    (void) state;
    sp_lease_settings_t settings;
    s_settings (&settings);
    char error[ERROR_SIZE] = "";
    sp_lease_t *lease = sp_lease_new (&settings, error, sizeof error);
    assert_non_null (lease);
    assert_string_equal (error, "");
    assert_string_equal (sp_lease_instance (lease), "host-1-0000abcd");
    assert_int_equal (sp_lease_tick_interval_ms (lease), SP_LEASE_TTL_MIN_MS / 3);
    assert_int_equal (sp_lease_owned_count (lease), 0);
    assert_int_equal (sp_lease_member_count (lease), 0);
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        assert_false (sp_lease_owned (lease, p));
        assert_null (sp_lease_token (lease, p));
    }
    /* Losing a partition that is not owned changes nothing. */
    sp_lease_lost (lease, 0);
    assert_int_equal (sp_lease_owned_count (lease), 0);
    sp_lease_destroy (&lease);
    assert_null (lease);
    sp_lease_destroy (&lease);

    /* The limits themselves are accepted. */
    char longest_service[SP_LEASE_SERVICE_MAX];
    memset (longest_service, 'a', sizeof longest_service - 1);
    longest_service[sizeof longest_service - 1] = '\0';
    char longest_instance[SP_LEASE_INSTANCE_MAX];
    memset (longest_instance, '~', sizeof longest_instance - 1);
    longest_instance[sizeof longest_instance - 1] = '\0';
    settings.service = longest_service;
    settings.instance = longest_instance;
    settings.partitions = SP_PARTITIONS_MAX;
    settings.ttl_ms = 30000;
    lease = sp_lease_new (&settings, error, sizeof error);
    assert_non_null (lease);
    assert_int_equal (sp_lease_tick_interval_ms (lease), 10000);
    sp_lease_destroy (&lease);
}

static void
test_new_rejects_bad_service (void **state)
{
    (void) state;
    sp_lease_settings_t settings;
    s_settings (&settings);
    const char *expected =
        "lease setting \"service\": \"%s\" must be 1..63 characters of a-z, 0-9 and \"-\"";
    const char *bad[] = { "Funnel", "", "funnel_tracker", "funnel tracker", "a:b" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        settings.service = bad[i];
        char message[ERROR_SIZE];
        snprintf (message, sizeof message, expected, bad[i]);
        s_assert_rejected (&settings, message);
    }
    char too_long[SP_LEASE_SERVICE_MAX + 1];
    memset (too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    settings.service = too_long;
    char error[ERROR_SIZE];
    assert_null (sp_lease_new (&settings, error, sizeof error));
    assert_non_null (strstr (error, "lease setting \"service\""));
    settings.service = NULL;
    s_assert_rejected (&settings, "lease setting \"service\" is missing");
}

static void
test_new_rejects_bad_instance (void **state)
{
    (void) state;
    sp_lease_settings_t settings;
    s_settings (&settings);
    settings.instance = "host/1";
    s_assert_rejected (&settings, "lease setting \"instance\": \"host/1\" must be 1..127 "
                                  "printable ASCII characters without \"/\"");
    settings.instance = "";
    s_assert_rejected (&settings, "lease setting \"instance\": \"\" must be 1..127 "
                                  "printable ASCII characters without \"/\"");
    settings.instance = "tab\there";
    s_assert_rejected (&settings, "lease setting \"instance\": \"tab?here\" must be 1..127 "
                                  "printable ASCII characters without \"/\"");
    char too_long[SP_LEASE_INSTANCE_MAX + 1];
    memset (too_long, 'h', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    settings.instance = too_long;
    char error[ERROR_SIZE];
    assert_null (sp_lease_new (&settings, error, sizeof error));
    assert_non_null (strstr (error, "lease setting \"instance\""));
    settings.instance = NULL;
    s_assert_rejected (&settings, "lease setting \"instance\" is missing");
}

static void
test_new_rejects_bad_partitions_and_ttl (void **state)
{
    (void) state;
    sp_lease_settings_t settings;
    s_settings (&settings);
    settings.partitions = 0;
    s_assert_rejected (&settings, "lease setting \"partitions\": 0 is outside 1..1024");
    settings.partitions = SP_PARTITIONS_MAX + 1;
    s_assert_rejected (&settings, "lease setting \"partitions\": 1025 is outside 1..1024");
    s_settings (&settings);
    settings.ttl_ms = 100;
    s_assert_rejected (&settings, "lease setting \"ttl_ms\": 100 is below the minimum 300");
    settings.ttl_ms = -1;
    s_assert_rejected (&settings, "lease setting \"ttl_ms\": -1 is below the minimum 300");
}

static void
test_new_without_error_buffer (void **state)
{
    (void) state;
    sp_lease_settings_t settings;
    s_settings (&settings);
    settings.ttl_ms = 0;
    assert_null (sp_lease_new (&settings, NULL, 0));
    char error[ERROR_SIZE];
    memset (error, UNTOUCHED, sizeof error);
    assert_null (sp_lease_new (&settings, error, 0));
    assert_int_equal (error[0], UNTOUCHED);
}

/* ---------------------------------------------------------------- instance id */

/* Checks "<host>-<pid>-<8 hex>" with a host of printable ASCII without '/'. */
static void
s_assert_instance_id (const char *id)
{
    size_t length = strlen (id);
    assert_true (length > 0 && length < SP_LEASE_INSTANCE_MAX);
    for (size_t i = 0; i < length; i++)
        assert_true (id[i] >= ' ' && id[i] <= '~' && id[i] != '/');
    assert_true (length > RANDOM_HEX_DIGITS + 1);
    const char *random = id + length - RANDOM_HEX_DIGITS;
    assert_int_equal (random[-1], '-');
    for (size_t i = 0; i < RANDOM_HEX_DIGITS; i++)
        assert_non_null (strchr ("0123456789abcdef", random[i]));
    char pid[32];
    snprintf (pid, sizeof pid, "-%ld-", (long) getpid ());
    size_t pid_length = strlen (pid);
    assert_true (length > pid_length + RANDOM_HEX_DIGITS);
    const char *pid_at = random - pid_length;
    assert_memory_equal (pid_at, pid, pid_length);
    assert_true (pid_at > id); /* a non-empty host comes first */
}

static void
test_instance_id_format (void **state)
{
    (void) state;
    char id[SP_LEASE_INSTANCE_MAX];
    sp_lease_instance_id (id, sizeof id);
    s_assert_instance_id (id);

    char host[256] = "";
    if (gethostname (host, sizeof host - 1) == 0 && host[0] != '\0' && !strchr (host, '/') &&
        strlen (host) < SP_LEASE_INSTANCE_MAX / 2)
        assert_memory_equal (id, host, strlen (host));

    /* The id is a valid instance setting. */
    sp_lease_settings_t settings;
    s_settings (&settings);
    settings.instance = id;
    char error[ERROR_SIZE];
    sp_lease_t *lease = sp_lease_new (&settings, error, sizeof error);
    assert_non_null (lease);
    sp_lease_destroy (&lease);
}

static void
test_instance_ids_differ (void **state)
{
    (void) state;
    char ids[ID_DRAWS][SP_LEASE_INSTANCE_MAX];
    for (size_t i = 0; i < ID_DRAWS; i++) {
        sp_lease_instance_id (ids[i], sizeof ids[i]);
        s_assert_instance_id (ids[i]);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal (ids[i], ids[j]);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_assign_single_member_wants_everything),
        cmocka_unit_test (test_assign_two_members_alternate_in_sorted_order),
        cmocka_unit_test (test_assign_three_members_differ_by_at_most_one),
        cmocka_unit_test (test_assign_one_partition_goes_to_the_first),
        cmocka_unit_test (test_assign_absent_self_wants_nothing),
        cmocka_unit_test (test_assign_ignores_member_order),
        cmocka_unit_test (test_assign_many_sizes_cover_every_partition),
        cmocka_unit_test (test_new_accepts_valid_settings),
        cmocka_unit_test (test_new_rejects_bad_service),
        cmocka_unit_test (test_new_rejects_bad_instance),
        cmocka_unit_test (test_new_rejects_bad_partitions_and_ttl),
        cmocka_unit_test (test_new_without_error_buffer),
        cmocka_unit_test (test_instance_id_format),
        cmocka_unit_test (test_instance_ids_differ),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
