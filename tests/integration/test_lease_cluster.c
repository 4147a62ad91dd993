/*  test_lease_cluster - the consumer's leases on a real Redis Cluster
    (issue 15): two instances of a service heartbeat, share the partitions
    and read each other's status through the cluster seam, where before
    the heartbeat script was refused with CROSSSLOT (its members, status
    and services keys shared no hash tag) and an instance owned nothing.

    The members and status keys carry the service's hash tag, so they
    share a slot; the partitions' lease keys ({pN}) spread over the three
    masters; salespulse:services is written by a command of its own.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sp_consumer_key.h"
#include "sp_consumer_state.h"
#include "sp_harness_cluster.h"
#include "sp_lease.h"
#include "sp_redis.h"
#include "sp_redis_slot.h"

#define ERROR_SIZE 512
#define SERVICE "lease-cluster"
#define PARTITIONS 12
#define TTL_MS 3000
#define ROUNDS_MAX 20 /* ticks of each instance until the shares settle */

static sp_redis_t *
s_client (sp_harness_cluster_t *cluster)
{
    char error[ERROR_SIZE] = "";
    sp_redis_t *redis = sp_redis_new (sp_harness_cluster_url (cluster), NULL, error, sizeof error);
    assert_non_null (redis);
    if (sp_redis_connect (redis, error, sizeof error) != 0)
        fail_msg ("could not connect: %s", error);
    return redis;
}

static sp_lease_t *
s_lease (const char *instance)
{
    sp_lease_settings_t settings = { SERVICE, instance, PARTITIONS, TTL_MS, NULL, NULL };
    char error[ERROR_SIZE] = "";
    sp_lease_t *lease = sp_lease_new (&settings, error, sizeof error);
    if (!lease)
        fail_msg ("sp_lease_new: %s", error);
    return lease;
}

static void
s_tick (sp_lease_t *lease, sp_redis_t *redis, int64_t now_ms, const char *status)
{
    char error[ERROR_SIZE] = "";
    if (sp_lease_tick (lease, redis, now_ms, status, error, sizeof error) != 0)
        fail_msg ("sp_lease_tick of %s: %s", sp_lease_instance (lease), error);
}

/* The service's keys the heartbeat touches share a slot; the partitions'
   leases do not (they are spread over the masters). */
static void
test_keys_share_the_service_slot (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    char members[SP_CONSUMER_KEY_MAX], status[SP_CONSUMER_KEY_MAX];
    assert_true (sp_consumer_key_members (members, sizeof members, SERVICE) > 0);
    assert_true (sp_consumer_key_instance (status, sizeof status, SERVICE, "any-instance") > 0);
    assert_int_equal (sp_redis_slot (members, strlen (members)),
                      sp_redis_slot (status, strlen (status)));
    bool owners[SP_HARNESS_CLUSTER_MASTERS] = { false };
    for (uint32_t partition = 0; partition < PARTITIONS; partition++) {
        char lease[SP_CONSUMER_KEY_MAX];
        assert_true (sp_consumer_key_lease (lease, sizeof lease, SERVICE, partition) > 0);
        int owner = sp_harness_cluster_owner (cluster, sp_redis_slot (lease, strlen (lease)));
        assert_true (owner >= 0 && owner < SP_HARNESS_CLUSTER_MASTERS);
        owners[owner] = true;
    }
    for (int node = 0; node < SP_HARNESS_CLUSTER_MASTERS; node++)
        assert_true (owners[node]);
}

/* Two instances share the partitions, each sees the other's status, the
   service is listed, and releasing gives everything back. */
static void
test_two_instances_share_the_partitions (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    sp_redis_t *redis = s_client (cluster);
    sp_lease_t *first = s_lease ("instance-a");
    sp_lease_t *second = s_lease ("instance-b");

    int64_t now_ms = 1000;
    int rounds = 0;
    for (; rounds < ROUNDS_MAX; rounds++, now_ms += 10) {
        s_tick (first, redis, now_ms, "{\"instance\":\"instance-a\"}");
        s_tick (second, redis, now_ms, "{\"instance\":\"instance-b\"}");
        if (sp_lease_owned_count (first) == PARTITIONS / 2 &&
            sp_lease_owned_count (second) == PARTITIONS / 2)
            break;
    }
    assert_true (rounds < ROUNDS_MAX);
    assert_int_equal (sp_lease_member_count (first), 2);
    for (uint32_t partition = 0; partition < PARTITIONS; partition++)
        assert_true (sp_lease_owned (first, partition) != sp_lease_owned (second, partition));

    char error[ERROR_SIZE] = "";
    sp_consumer_state_t *reader = sp_consumer_state_new (SERVICE, PARTITIONS);
    assert_non_null (reader);
    sp_consumer_state_instances_t instances = { NULL, 0 };
    if (sp_consumer_state_read_instances (reader, redis, &instances, error, sizeof error) != 0)
        fail_msg ("sp_consumer_state_read_instances: %s", error);
    assert_int_equal (instances.count, 2);
    assert_string_equal (instances.items[0].id, "instance-a");
    assert_string_equal (instances.items[0].status, "{\"instance\":\"instance-a\"}");
    assert_string_equal (instances.items[1].id, "instance-b");
    sp_consumer_state_instances_clear (&instances);

    sp_consumer_state_services_t services = { NULL, 0 };
    if (sp_consumer_state_read_services (redis, &services, error, sizeof error) != 0)
        fail_msg ("sp_consumer_state_read_services: %s", error);
    bool listed = false;
    for (size_t index = 0; index < services.count; index++)
        listed = listed || strcmp (services.names[index], SERVICE) == 0;
    assert_true (listed);
    sp_consumer_state_services_clear (&services);

    assert_int_equal (sp_lease_release_all (first, redis, error, sizeof error), 0);
    assert_int_equal (sp_lease_owned_count (first), 0);
    /* the survivor takes everything over at its next ticks */
    for (rounds = 0; rounds < ROUNDS_MAX && sp_lease_owned_count (second) < PARTITIONS;
         rounds++, now_ms += 10)
        s_tick (second, redis, now_ms, NULL);
    assert_int_equal (sp_lease_owned_count (second), PARTITIONS);
    assert_int_equal (sp_lease_member_count (second), 1);
    assert_int_equal (sp_lease_release_all (second, redis, error, sizeof error), 0);
    if (sp_consumer_state_read_instances (reader, redis, &instances, error, sizeof error) != 0)
        fail_msg ("sp_consumer_state_read_instances: %s", error);
    assert_int_equal (instances.count, 0);
    sp_consumer_state_instances_clear (&instances);

    sp_consumer_state_destroy (&reader);
    sp_lease_destroy (&first);
    sp_lease_destroy (&second);
    sp_redis_destroy (&redis);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_keys_share_the_service_slot),
        cmocka_unit_test (test_two_instances_share_the_partitions),
    };
    return cmocka_run_group_tests_name ("lease_cluster", tests, sp_harness_cluster_group_setup,
                                        sp_harness_cluster_group_teardown);
}
