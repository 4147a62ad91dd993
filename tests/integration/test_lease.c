/*  test_lease - sp_lease against the harness's real Redis.

    Covers a lone instance claiming every partition (tokens, membership,
    status, expiry), a second instance joining (the first releases half at
    its next tick, the second claims them at its following one), fencing
    after a lease expired and was taken over, sp_lease_lost, release_all
    handing partitions over at once, script reload after SCRIPT FLUSH, and
    ticks while Redis is unreachable (owned partitions kept until ttl has
    passed on the caller's clock, then dropped).

    The caller's clock (now_ms) is passed explicitly, so the local expiry
    rule is tested without waiting. Only the takeover test uses a short ttl
    (600 ms) and waits for Redis to expire a lease, polling the key with a
    deadline; the others use a long ttl so a slow machine cannot expire
    their leases between two ticks.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sp_harness.h"
#include "sp_harness_redis.h"
#include "sp_lease.h"
#include "sp_partition.h"
#include "sp_redis.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ERROR_SIZE 512      /* error buffer used by every test */
#define PARTITIONS 8        /* partitions of the test service */
#define TTL_MS 600          /* lease lifetime where a test waits for Redis to expire it */
#define STABLE_TTL_MS 10000 /* lease lifetime elsewhere: no expiry on a slow machine */
#define STEP_MS 200         /* caller's clock advance between ticks (< TTL_MS) */
#define EVENTS_MAX 64       /* callbacks one recorder keeps */
#define DEADLINE_MS 5000    /* longest wait for Redis to expire a lease */
#define POLL_MS 20          /* pause between two polls of a condition */
#define SERVICE "lease-test"
#define FIRST "a-instance" /* sorts before SECOND: gets the even partitions */
#define SECOND "b-instance"
#define STATUS "{\"state\":\"ok\"}"

/* ---------------------------------------------------------------- helpers */

/* One change callback. */
typedef struct {
    uint32_t partition;             /* partition gained or lost */
    bool owned;                     /* gained (true) or lost */
    char token[SP_LEASE_TOKEN_MAX]; /* token given with it */
} event_t;

/* Every callback of one lease, with a check that the lease's own state
   already reflects the change when it is reported. */
typedef struct {
    sp_lease_t *lease;          /* the lease reporting */
    event_t events[EVENTS_MAX]; /* callbacks in order */
    size_t count;               /* callbacks so far */
} recorder_t;

static void
s_record (void *arg, uint32_t partition, bool owned, const char *token)
{
    recorder_t *recorder = (recorder_t *) arg;
    assert_true (recorder->count < EVENTS_MAX);
    assert_non_null (token);
    assert_int_equal (sp_lease_owned (recorder->lease, partition), owned);
    event_t *event = &recorder->events[recorder->count++];
    event->partition = partition;
    event->owned = owned;
    snprintf (event->token, sizeof event->token, "%s", token);
}

static sp_lease_t *
s_lease (const char *instance, int64_t ttl_ms, recorder_t *recorder)
{
    memset (recorder, 0, sizeof *recorder);
    sp_lease_settings_t settings = {
        .service = SERVICE,
        .instance = instance,
        .partitions = PARTITIONS,
        .ttl_ms = ttl_ms,
        .change = s_record,
        .change_arg = recorder,
    };
    char error[ERROR_SIZE] = "";
    sp_lease_t *lease = sp_lease_new (&settings, error, sizeof error);
    if (!lease)
        fail_msg ("sp_lease_new: %s", error);
    recorder->lease = lease;
    return lease;
}

static void
s_tick (sp_lease_t *lease, sp_redis_t *redis, int64_t now_ms)
{
    char error[ERROR_SIZE] = "";
    if (sp_lease_tick (lease, redis, now_ms, STATUS, error, sizeof error) != 0)
        fail_msg ("sp_lease_tick: %s", error);
}

/* The lease key of partition, e.g. "lease-test:{p3}:lease". */
static void
s_lease_key (uint32_t partition, char *key, size_t size)
{
    assert_true (sp_partition_key (key, size, SERVICE, partition, "lease") > 0);
}

/* Asserts the partition's lease key holds expected (NULL: missing). */
static void
s_assert_lease_value (sp_redis_t *redis, uint32_t partition, const char *expected)
{
    char key[SP_PARTITION_KEY_MAX];
    s_lease_key (partition, key, sizeof key);
    assert_true (sp_harness_redis_value_is (redis, key, expected));
}

static bool
s_is_member (sp_redis_t *redis, const char *instance)
{
    const char *score[] = { "ZSCORE", SERVICE ":{" SERVICE "}:members", instance };
    sp_redis_reply_t *reply = sp_harness_redis_run (redis, 3, score);
    assert_non_null (reply);
    bool member = sp_redis_reply_type (reply) != SP_REDIS_REPLY_NIL;
    sp_redis_reply_destroy (&reply);
    return member;
}

/* "<instance>/<fence>" into buffer. */
static const char *
s_token (char *buffer, size_t size, const char *instance, int fence)
{
    snprintf (buffer, size, "%s/%d", instance, fence);
    return buffer;
}

/* FIRST claims every partition (fence 1 each) at now_ms = 0. */
static void
s_first_owns_everything (sp_lease_t *first, recorder_t *recorder, sp_redis_t *redis)
{
    s_tick (first, redis, 0);
    assert_int_equal (sp_lease_owned_count (first), PARTITIONS);
    assert_int_equal (recorder->count, PARTITIONS);
    char expected[SP_LEASE_TOKEN_MAX];
    s_token (expected, sizeof expected, FIRST, 1);
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        assert_int_equal (recorder->events[p].partition, p);
        assert_true (recorder->events[p].owned);
        assert_string_equal (recorder->events[p].token, expected);
        assert_string_equal (sp_lease_token (first, p), expected);
    }
}

/* Starts from s_first_owns_everything and lets SECOND join: FIRST keeps
   the even partitions (fence 1), SECOND gets the odd ones (fence 2). */
static void
s_split (sp_lease_t *first, recorder_t *first_events, sp_lease_t *second, recorder_t *second_events,
         sp_redis_t *redis)
{
    s_first_owns_everything (first, first_events, redis);

    /* SECOND joins; its share is still held by FIRST. */
    s_tick (second, redis, 0);
    assert_int_equal (sp_lease_member_count (second), 2);
    assert_int_equal (sp_lease_owned_count (second), 0);
    assert_int_equal (second_events->count, 0);

    /* FIRST sees two members and releases the odd partitions, once each. */
    s_tick (first, redis, STEP_MS);
    assert_int_equal (sp_lease_member_count (first), 2);
    assert_int_equal (sp_lease_owned_count (first), PARTITIONS / 2);
    assert_int_equal (first_events->count, PARTITIONS + PARTITIONS / 2);
    char held[SP_LEASE_TOKEN_MAX];
    s_token (held, sizeof held, FIRST, 1);
    for (size_t i = 0; i < PARTITIONS / 2; i++) {
        const event_t *event = &first_events->events[PARTITIONS + i];
        assert_int_equal (event->partition, 2 * i + 1);
        assert_false (event->owned);
        assert_string_equal (event->token, held);
        s_assert_lease_value (redis, event->partition, NULL);
    }

    /* SECOND claims them at its following tick, with new fences. */
    s_tick (second, redis, STEP_MS);
    assert_int_equal (sp_lease_owned_count (second), PARTITIONS / 2);
    assert_int_equal (second_events->count, PARTITIONS / 2);
    char claimed[SP_LEASE_TOKEN_MAX];
    s_token (claimed, sizeof claimed, SECOND, 2);
    for (size_t i = 0; i < PARTITIONS / 2; i++) {
        const event_t *event = &second_events->events[i];
        assert_int_equal (event->partition, 2 * i + 1);
        assert_true (event->owned);
        assert_string_equal (event->token, claimed);
    }
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        assert_true (sp_lease_owned (first, p) != sp_lease_owned (second, p));
        assert_int_equal (sp_lease_owned (first, p), p % 2 == 0);
    }
}

/* ---------------------------------------------------------------- tests */

static void
test_single_instance_claims_everything (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    recorder_t events;
    sp_lease_t *lease = s_lease (FIRST, STABLE_TTL_MS, &events);
    s_first_owns_everything (lease, &events, redis);
    assert_int_equal (sp_lease_member_count (lease), 1);

    /* Redis holds the leases with the ttl, the membership and the status. */
    char key[SP_PARTITION_KEY_MAX];
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        s_assert_lease_value (redis, p, FIRST "/1");
        s_lease_key (p, key, sizeof key);
        const char *pttl[] = { "PTTL", key };
        int64_t ttl = 0;
        assert_int_equal (sp_harness_redis_integer (redis, 2, pttl, &ttl), 0);
        assert_in_range (ttl, 1, STABLE_TTL_MS);
    }
    assert_true (s_is_member (redis, FIRST));
    const char *status[] = { "GET", SERVICE ":{" SERVICE "}:instance:" FIRST };
    sp_redis_reply_t *reply = sp_harness_redis_run (redis, 2, status);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_type (reply), SP_REDIS_REPLY_STRING);
    assert_string_equal (sp_redis_reply_string (reply, NULL), STATUS);
    sp_redis_reply_destroy (&reply);
    const char *status_ttl[] = { "PTTL", SERVICE ":{" SERVICE "}:instance:" FIRST };
    int64_t status_ttl_ms = 0;
    assert_int_equal (sp_harness_redis_integer (redis, 2, status_ttl, &status_ttl_ms), 0);
    assert_in_range (status_ttl_ms, 1, STABLE_TTL_MS);
    const char *services[] = { "SISMEMBER", SP_LEASE_SERVICES_KEY, SERVICE };
    int64_t listed = 0;
    assert_int_equal (sp_harness_redis_integer (redis, 3, services, &listed), 0);
    assert_int_equal (listed, 1);

    /* Later ticks renew: same tokens, no callbacks. */
    s_tick (lease, redis, STEP_MS);
    s_tick (lease, redis, 2 * STEP_MS);
    assert_int_equal (events.count, PARTITIONS);
    assert_int_equal (sp_lease_owned_count (lease), PARTITIONS);
    for (uint32_t p = 0; p < PARTITIONS; p++)
        s_assert_lease_value (redis, p, FIRST "/1");

    /* A NULL status is stored as "{}". */
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_lease_tick (lease, redis, 3 * STEP_MS, NULL, error, sizeof error), 0);
    reply = sp_harness_redis_run (redis, 2, status);
    assert_non_null (reply);
    assert_string_equal (sp_redis_reply_string (reply, NULL), "{}");
    sp_redis_reply_destroy (&reply);

    sp_lease_destroy (&lease);
    sp_redis_destroy (&redis);
}

static void
test_second_instance_takes_half (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    recorder_t first_events, second_events;
    sp_lease_t *first = s_lease (FIRST, STABLE_TTL_MS, &first_events);
    sp_lease_t *second = s_lease (SECOND, STABLE_TTL_MS, &second_events);
    s_split (first, &first_events, second, &second_events, redis);

    /* Stable afterwards: no more changes on either side. */
    s_tick (first, redis, 2 * STEP_MS);
    s_tick (second, redis, 2 * STEP_MS);
    assert_int_equal (first_events.count, PARTITIONS + PARTITIONS / 2);
    assert_int_equal (second_events.count, PARTITIONS / 2);
    for (uint32_t p = 0; p < PARTITIONS; p++)
        s_assert_lease_value (redis, p, p % 2 == 0 ? FIRST "/1" : SECOND "/2");

    sp_lease_destroy (&first);
    sp_lease_destroy (&second);
    sp_redis_destroy (&redis);
}

static void
test_expired_lease_is_fenced (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    recorder_t first_events, second_events;
    sp_lease_t *first = s_lease (FIRST, TTL_MS, &first_events);
    sp_lease_t *second = s_lease (SECOND, TTL_MS, &second_events);
    s_first_owns_everything (first, &first_events, redis);

    /* FIRST stalls: Redis expires its leases (and, set just before them,
       its membership). */
    int64_t deadline = sp_harness_now_ms () + DEADLINE_MS;
    char key[SP_PARTITION_KEY_MAX];
    s_lease_key (PARTITIONS - 1, key, sizeof key);
    const char *exists[] = { "EXISTS", key };
    int64_t left = 1;
    assert_int_equal (sp_harness_redis_integer (redis, 2, exists, &left), 0);
    while (left != 0) {
        assert_true (sp_harness_now_ms () < deadline);
        poll (NULL, 0, POLL_MS);
        assert_int_equal (sp_harness_redis_integer (redis, 2, exists, &left), 0);
    }

    /* SECOND is alone and takes everything with new fences. */
    s_tick (second, redis, 0);
    assert_int_equal (sp_lease_member_count (second), 1);
    assert_int_equal (sp_lease_owned_count (second), PARTITIONS);
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        assert_string_equal (sp_lease_token (second, p), SECOND "/2");
        assert_string_not_equal (sp_lease_token (second, p), sp_lease_token (first, p));
    }

    /* FIRST comes back before its own clock says ttl passed: Redis tells
       it every lease is gone, each reported once, and it takes nothing
       from SECOND. */
    s_tick (first, redis, STEP_MS);
    assert_int_equal (sp_lease_member_count (first), 2);
    assert_int_equal (sp_lease_owned_count (first), 0);
    assert_int_equal (first_events.count, 2 * PARTITIONS);
    bool reported[PARTITIONS] = { false };
    for (size_t i = PARTITIONS; i < 2 * PARTITIONS; i++) {
        const event_t *event = &first_events.events[i];
        assert_false (event->owned);
        assert_string_equal (event->token, FIRST "/1");
        assert_false (reported[event->partition]);
        reported[event->partition] = true;
    }
    for (uint32_t p = 0; p < PARTITIONS; p++)
        s_assert_lease_value (redis, p, SECOND "/2");
    assert_int_equal (second_events.count, PARTITIONS);

    sp_lease_destroy (&first);
    sp_lease_destroy (&second);
    sp_redis_destroy (&redis);
}

static void
test_lost_partition_is_claimed_again_with_a_new_token (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    recorder_t events;
    sp_lease_t *lease = s_lease (FIRST, STABLE_TTL_MS, &events);
    s_first_owns_everything (lease, &events, redis);

    /* An apply found partition 0 held by someone else. */
    char key[SP_PARTITION_KEY_MAX];
    s_lease_key (0, key, sizeof key);
    const char *intrude[] = { "SET", key, "intruder/9" };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 3, intrude), 0);
    sp_lease_lost (lease, 0);
    sp_lease_lost (lease, 0);
    assert_int_equal (events.count, PARTITIONS + 1);
    assert_int_equal (events.events[PARTITIONS].partition, 0);
    assert_false (events.events[PARTITIONS].owned);
    assert_string_equal (events.events[PARTITIONS].token, FIRST "/1");
    assert_false (sp_lease_owned (lease, 0));
    assert_null (sp_lease_token (lease, 0));

    /* Still held: not claimed, nothing reported. */
    s_tick (lease, redis, STEP_MS);
    assert_false (sp_lease_owned (lease, 0));
    assert_int_equal (events.count, PARTITIONS + 1);

    /* Free again: claimed with the next fence. */
    const char *del[] = { "DEL", key };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 2, del), 0);
    s_tick (lease, redis, 2 * STEP_MS);
    assert_int_equal (events.count, PARTITIONS + 2);
    assert_true (events.events[PARTITIONS + 1].owned);
    assert_string_equal (events.events[PARTITIONS + 1].token, FIRST "/2");
    assert_string_equal (sp_lease_token (lease, 0), FIRST "/2");
    s_assert_lease_value (redis, 0, FIRST "/2");

    sp_lease_destroy (&lease);
    sp_redis_destroy (&redis);
}

static void
test_release_all_hands_over_at_once (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    recorder_t first_events, second_events;
    sp_lease_t *first = s_lease (FIRST, STABLE_TTL_MS, &first_events);
    sp_lease_t *second = s_lease (SECOND, STABLE_TTL_MS, &second_events);
    s_split (first, &first_events, second, &second_events, redis);
    size_t before = first_events.count;

    /* FIRST shuts down: its leases, membership and status go; SECOND's stay. */
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_lease_release_all (first, redis, error, sizeof error), 0);
    assert_int_equal (sp_lease_owned_count (first), 0);
    assert_int_equal (sp_lease_member_count (first), 0);
    assert_int_equal (first_events.count, before + PARTITIONS / 2);
    for (size_t i = before; i < first_events.count; i++) {
        assert_false (first_events.events[i].owned);
        assert_int_equal (first_events.events[i].partition % 2, 0);
    }
    for (uint32_t p = 0; p < PARTITIONS; p++)
        s_assert_lease_value (redis, p, p % 2 == 0 ? NULL : SECOND "/2");
    assert_false (s_is_member (redis, FIRST));
    assert_true (s_is_member (redis, SECOND));
    const char *status[] = { "EXISTS", SERVICE ":{" SERVICE "}:instance:" FIRST };
    int64_t status_left = -1;
    assert_int_equal (sp_harness_redis_integer (redis, 2, status, &status_left), 0);
    assert_int_equal (status_left, 0);

    /* SECOND takes the rest at its next tick, without waiting for ttl. */
    s_tick (second, redis, 2 * STEP_MS);
    assert_int_equal (sp_lease_member_count (second), 1);
    assert_int_equal (sp_lease_owned_count (second), PARTITIONS);
    assert_int_equal (second_events.count, PARTITIONS);
    /* Each partition's fence moved once more: FIRST had 1, SECOND gets 2. */
    for (uint32_t p = 0; p < PARTITIONS; p++)
        assert_string_equal (sp_lease_token (second, p), SECOND "/2");

    /* Releasing with nothing owned only leaves the member set. */
    assert_int_equal (sp_lease_release_all (first, redis, error, sizeof error), 0);
    assert_int_equal (first_events.count, before + PARTITIONS / 2);

    sp_lease_destroy (&first);
    sp_lease_destroy (&second);
    sp_redis_destroy (&redis);
}

static void
test_scripts_reload_after_flush (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    recorder_t events;
    sp_lease_t *lease = s_lease (FIRST, STABLE_TTL_MS, &events);
    s_first_owns_everything (lease, &events, redis);
    const char *flush[] = { "SCRIPT", "FLUSH" };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 2, flush), 0);
    s_tick (lease, redis, STEP_MS);
    assert_int_equal (sp_lease_owned_count (lease), PARTITIONS);
    assert_int_equal (events.count, PARTITIONS);
    sp_lease_destroy (&lease);
    sp_redis_destroy (&redis);
}

static void
test_unreachable_redis_drops_after_ttl (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    recorder_t events;
    sp_lease_t *lease = s_lease (FIRST, STABLE_TTL_MS, &events);
    s_first_owns_everything (lease, &events, redis);

    char error[ERROR_SIZE] = "";
    sp_redis_t *down = sp_harness_redis_unreachable ();
    assert_non_null (down);

    /* Before ttl has passed since the last good tick (at 0): kept. */
    const int64_t before_ttl[] = { STEP_MS, STABLE_TTL_MS - 1 };
    for (size_t i = 0; i < sizeof before_ttl / sizeof before_ttl[0]; i++) {
        error[0] = '\0';
        assert_int_equal (sp_lease_tick (lease, down, before_ttl[i], STATUS, error, sizeof error),
                          -1);
        assert_non_null (strstr (error, "could not heartbeat the leases of \"" SERVICE "\""));
        assert_int_equal (sp_lease_owned_count (lease), PARTITIONS);
        assert_int_equal (events.count, PARTITIONS);
    }

    /* At ttl: every partition dropped, each reported once. */
    assert_int_equal (sp_lease_tick (lease, down, STABLE_TTL_MS, STATUS, error, sizeof error), -1);
    assert_int_equal (sp_lease_owned_count (lease), 0);
    assert_int_equal (events.count, 2 * PARTITIONS);
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        const event_t *event = &events.events[PARTITIONS + p];
        assert_int_equal (event->partition, p);
        assert_false (event->owned);
        assert_string_equal (event->token, FIRST "/1");
        assert_null (sp_lease_token (lease, p));
    }
    assert_int_equal (
        sp_lease_tick (lease, down, STABLE_TTL_MS + STEP_MS, STATUS, error, sizeof error), -1);
    assert_int_equal (events.count, 2 * PARTITIONS);

    /* Back on the real server: everything is claimed again. The old
       leases still hold this instance's value on Redis's clock, so the
       claim takes them back as they are (fence 1). */
    s_tick (lease, redis, STABLE_TTL_MS + 2 * STEP_MS);
    assert_int_equal (sp_lease_owned_count (lease), PARTITIONS);
    assert_int_equal (events.count, 3 * PARTITIONS);
    for (uint32_t p = 0; p < PARTITIONS; p++) {
        assert_true (events.events[2 * PARTITIONS + p].owned);
        assert_string_equal (sp_lease_token (lease, p), FIRST "/1");
    }

    /* A lease whose very first tick fails owns nothing and reports nothing. */
    recorder_t fresh_events;
    sp_lease_t *fresh = s_lease (SECOND, STABLE_TTL_MS, &fresh_events);
    assert_int_equal (sp_lease_tick (fresh, down, 0, STATUS, error, sizeof error), -1);
    assert_int_equal (sp_lease_tick (fresh, down, STABLE_TTL_MS, STATUS, error, sizeof error), -1);
    assert_int_equal (fresh_events.count, 0);
    assert_int_equal (sp_lease_member_count (fresh), 0);

    /* release_all while unreachable still drops everything locally. */
    size_t before = events.count;
    assert_int_equal (sp_lease_release_all (lease, down, error, sizeof error), -1);
    assert_non_null (strstr (error, "could not release the lease of partition 0"));
    assert_int_equal (sp_lease_owned_count (lease), 0);
    assert_int_equal (events.count, before + PARTITIONS);

    sp_lease_destroy (&fresh);
    sp_lease_destroy (&lease);
    sp_redis_destroy (&down);
    sp_redis_destroy (&redis);
}

/* ---------------------------------------------------------------- main */

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_single_instance_claims_everything),
        cmocka_unit_test (test_second_instance_takes_half),
        cmocka_unit_test (test_expired_lease_is_fenced),
        cmocka_unit_test (test_lost_partition_is_claimed_again_with_a_new_token),
        cmocka_unit_test (test_release_all_hands_over_at_once),
        cmocka_unit_test (test_scripts_reload_after_flush),
        cmocka_unit_test (test_unreachable_redis_drops_after_ttl),
    };
    return cmocka_run_group_tests_name ("lease", tests, sp_harness_redis_group_setup,
                                        sp_harness_redis_group_teardown);
}
