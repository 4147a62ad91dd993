/*  test_consumer_partition - one partition's consumer decisions
    (sp_consumer_partition): live sequencing, lag polls, poison counting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sp_consumer_partition.h"

#define TOKEN "host-1-abcdef01/7"

static sp_consumer_partition_t
s_live_at (uint64_t checkpoint)
{
    sp_consumer_partition_t partition;
    memset (&partition, 0, sizeof partition);
    sp_consumer_partition_own (&partition, TOKEN);
    partition.state = SP_CONSUMER_PARTITION_LIVE;
    sp_consumer_partition_applied (&partition, checkpoint);
    return partition;
}

/* Owning starts from STARTING with the token; dropping forgets all but
   the heads. */
static void
test_own_and_drop (void **state)
{
    (void) state;
    sp_consumer_partition_t partition;
    memset (&partition, 0, sizeof partition);
    partition.head = 40;
    partition.checkpoint = 12;
    sp_consumer_partition_own (&partition, TOKEN);
    assert_int_equal (partition.state, SP_CONSUMER_PARTITION_STARTING);
    assert_string_equal (partition.token, TOKEN);
    assert_int_equal (partition.checkpoint, 0);
    assert_int_equal (partition.head, 40);
    sp_consumer_partition_drop (&partition);
    assert_int_equal (partition.state, SP_CONSUMER_PARTITION_IDLE);
    assert_string_equal (partition.token, "");
    assert_int_equal (partition.head, 40);
    assert_string_equal (sp_consumer_partition_state_name (SP_CONSUMER_PARTITION_CATCHING_UP),
                         "catching_up");
    assert_string_equal (sp_consumer_partition_state_name (SP_CONSUMER_PARTITION_LIVE), "live");
}

/* A token longer than the room is cut, not overflowed. */
static void
test_long_token_is_truncated (void **state)
{
    (void) state;
    char token[SP_LEASE_TOKEN_MAX * 2];
    memset (token, 'x', sizeof token - 1);
    token[sizeof token - 1] = '\0';
    sp_consumer_partition_t partition;
    memset (&partition, 0, sizeof partition);
    sp_consumer_partition_own (&partition, token);
    assert_int_equal (strlen (partition.token), SP_LEASE_TOKEN_MAX - 1);
}

/* checkpoint + pending + 1 applies, below is ignored, above is a gap. */
static void
test_live_decisions (void **state)
{
    (void) state;
    sp_consumer_partition_t partition = s_live_at (10);
    assert_int_equal (sp_consumer_partition_live (&partition, 11, 0), SP_CONSUMER_LIVE_APPLY);
    assert_int_equal (sp_consumer_partition_live (&partition, 10, 0), SP_CONSUMER_LIVE_IGNORE);
    assert_int_equal (sp_consumer_partition_live (&partition, 1, 0), SP_CONSUMER_LIVE_IGNORE);
    assert_int_equal (sp_consumer_partition_live (&partition, 12, 0), SP_CONSUMER_LIVE_GAP);
    /* two already queued: 13 is next, 12 was queued, 14 is a gap */
    assert_int_equal (sp_consumer_partition_live (&partition, 13, 2), SP_CONSUMER_LIVE_APPLY);
    assert_int_equal (sp_consumer_partition_live (&partition, 12, 2), SP_CONSUMER_LIVE_IGNORE);
    assert_int_equal (sp_consumer_partition_live (&partition, 14, 2), SP_CONSUMER_LIVE_GAP);
}

/* Anything but LIVE drops live events, whatever their sequence. */
static void
test_not_live_drops (void **state)
{
    (void) state;
    sp_consumer_partition_t partition = s_live_at (10);
    const sp_consumer_partition_state_t states[] = { SP_CONSUMER_PARTITION_IDLE,
                                                     SP_CONSUMER_PARTITION_STARTING,
                                                     SP_CONSUMER_PARTITION_CATCHING_UP };
    for (size_t index = 0; index < sizeof states / sizeof states[0]; index++) {
        partition.state = states[index];
        assert_int_equal (sp_consumer_partition_live (&partition, 11, 0), SP_CONSUMER_LIVE_DROP);
        assert_int_equal (sp_consumer_partition_live (&partition, 99, 0), SP_CONSUMER_LIVE_DROP);
    }
}

/* A checkpoint behind the head seen one poll earlier means lost events;
   behind only the newest head is normal in-flight delivery. */
static void
test_poll_catches_up_only_after_a_full_interval (void **state)
{
    (void) state;
    sp_consumer_partition_t partition = s_live_at (10);
    assert_false (sp_consumer_partition_poll (&partition, 15)); /* in flight */
    assert_int_equal (sp_consumer_partition_lag (&partition), 5);
    sp_consumer_partition_applied (&partition, 15);
    assert_false (sp_consumer_partition_poll (&partition, 20)); /* caught 15 */
    assert_true (sp_consumer_partition_poll (&partition, 20));  /* still 15 < 20 */
    partition.state = SP_CONSUMER_PARTITION_CATCHING_UP;
    assert_false (sp_consumer_partition_poll (&partition, 20)); /* already catching up */
    assert_int_equal (sp_consumer_partition_lag (&partition), 5);
}

/* Lag is 0 when not owned or not started, and never negative. */
static void
test_lag_bounds (void **state)
{
    (void) state;
    sp_consumer_partition_t partition = s_live_at (30);
    partition.head = 20; /* stale head from an older poll */
    assert_int_equal (sp_consumer_partition_lag (&partition), 0);
    partition.head = 50;
    partition.state = SP_CONSUMER_PARTITION_STARTING;
    assert_int_equal (sp_consumer_partition_lag (&partition), 0);
    partition.state = SP_CONSUMER_PARTITION_IDLE;
    assert_int_equal (sp_consumer_partition_lag (&partition), 0);
}

/* Failures on one sequence count up to the limit, then quarantine and
   start again; another sequence restarts the count. */
static void
test_poison_counting (void **state)
{
    (void) state;
    sp_consumer_partition_t partition = s_live_at (10);
    assert_int_equal (sp_consumer_partition_failure (&partition, 11, 3),
                      SP_CONSUMER_FAILURE_RETRY);
    assert_int_equal (sp_consumer_partition_failure (&partition, 11, 3),
                      SP_CONSUMER_FAILURE_RETRY);
    assert_int_equal (sp_consumer_partition_failure (&partition, 11, 3),
                      SP_CONSUMER_FAILURE_QUARANTINE);
    assert_int_equal (partition.failures, 0);
    assert_int_equal (sp_consumer_partition_failure (&partition, 12, 3),
                      SP_CONSUMER_FAILURE_RETRY);
    assert_int_equal (sp_consumer_partition_failure (&partition, 13, 3),
                      SP_CONSUMER_FAILURE_RETRY);
    assert_int_equal (partition.failures, 1);
    assert_int_equal (sp_consumer_partition_failure (&partition, 5, 1),
                      SP_CONSUMER_FAILURE_QUARANTINE);
}

/* A transient failure that then succeeds clears the count. */
static void
test_applied_clears_failures (void **state)
{
    (void) state;
    sp_consumer_partition_t partition = s_live_at (10);
    sp_consumer_partition_failure (&partition, 11, 3);
    sp_consumer_partition_applied (&partition, 10);
    assert_int_equal (partition.failures, 1);
    sp_consumer_partition_applied (&partition, 11);
    assert_int_equal (partition.failures, 0);
    assert_int_equal (partition.failing_sequence, 0);
    assert_int_equal (partition.checkpoint, 11);
}

/* A refused step of several events narrows; a one-event step counts
   refusals apart from handler failures, quarantines at the limit, and a
   confirmed apply past it clears the count. */
static void
test_refusals (void **state)
{
    (void) state;
    sp_consumer_partition_t partition = s_live_at (10);
    assert_int_equal (sp_consumer_partition_refused (&partition, 11, 60, 2, "why"),
                      SP_CONSUMER_REFUSAL_NARROW);
    assert_int_equal (partition.single_until, 60);
    assert_int_equal (sp_consumer_partition_refused (&partition, 11, 20, 2, "why"),
                      SP_CONSUMER_REFUSAL_NARROW);
    assert_int_equal (partition.single_until, 60); /* never shrinks */
    assert_int_equal (partition.refusals, 0);
    assert_int_equal (sp_consumer_partition_refused (&partition, 14, 14, 2, "first"),
                      SP_CONSUMER_REFUSAL_RETRY);
    sp_consumer_partition_applied (&partition, 14); /* parked: not a confirmation */
    assert_int_equal (partition.refusals, 1);
    assert_int_equal (sp_consumer_partition_refused (&partition, 14, 14, 2, "second"),
                      SP_CONSUMER_REFUSAL_QUARANTINE);
    assert_int_equal (partition.quarantine_sequence, 14);
    assert_string_equal (partition.refused_reason, "second");
    assert_int_equal (partition.refusals, 0);
    assert_int_equal (sp_consumer_partition_refused (&partition, 15, 15, 3, "x"),
                      SP_CONSUMER_REFUSAL_RETRY);
    sp_consumer_partition_confirmed (&partition, 14);
    assert_int_equal (partition.refusals, 1);
    sp_consumer_partition_confirmed (&partition, 15);
    assert_int_equal (partition.refusals, 0);
    assert_int_equal (partition.refused_sequence, 0);
    assert_int_equal (partition.failures, 0);
    sp_consumer_partition_own (&partition, "t");
    assert_int_equal (partition.single_until, 0);
    assert_int_equal (partition.quarantine_sequence, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_own_and_drop),
        cmocka_unit_test (test_long_token_is_truncated),
        cmocka_unit_test (test_live_decisions),
        cmocka_unit_test (test_not_live_drops),
        cmocka_unit_test (test_poll_catches_up_only_after_a_full_interval),
        cmocka_unit_test (test_lag_bounds),
        cmocka_unit_test (test_poison_counting),
        cmocka_unit_test (test_applied_clears_failures),
        cmocka_unit_test (test_refusals),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
