/*  test_completeness - the decision and renderings of sp_completeness.h:
    how each partition stands against the log (head, checkpoint, epoch,
    revision), the second look after the figures, the JSON and the text
    line. The reads from PostgreSQL and Redis (sp_completeness_read,
    _confirm) are covered by tests/integration/test_funnel_complete.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sp_completeness.h"

#define TEST_ERROR_SIZE 256
#define TEST_PARTITIONS 4
#define TEST_MANY 100 /* more than SP_COMPLETENESS_LISTED_MAX */

static sp_completeness_t *
s_new (uint32_t partitions)
{
    char error[TEST_ERROR_SIZE] = "";
    sp_completeness_t *completeness =
        sp_completeness_new ("funnel-tracker", partitions, error, sizeof error);
    assert_non_null (completeness);
    return completeness;
}

/* A partition read with a checkpoint, epoch 0 and revision 0. */
static sp_completeness_read_t
s_read (uint64_t head, uint64_t checkpoint)
{
    sp_completeness_read_t read = { head, true, checkpoint, 0, 0 };
    return read;
}

/* Compact JSON text of the check (the caller frees). */
static char *
s_json (const sp_completeness_t *completeness)
{
    json_t *document = sp_completeness_json (completeness);
    assert_non_null (document);
    char *text = json_dumps (document, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (document);
    assert_non_null (text);
    return text;
}

static void
test_judge (void **state)
{
    (void) state;
    sp_completeness_read_t read = s_read (10, 10);
    assert_int_equal (sp_completeness_judge (&read, 0, 0), SP_COMPLETENESS_COMPLETE);
    read.checkpoint = 11; /* past the head read first: applied since */
    assert_int_equal (sp_completeness_judge (&read, 0, 0), SP_COMPLETENESS_COMPLETE);
    read.checkpoint = 9;
    assert_int_equal (sp_completeness_judge (&read, 0, 0), SP_COMPLETENESS_BEHIND);
    /* no checkpoint: state lost (FLUSHALL) or never built */
    read.has_checkpoint = false;
    read.checkpoint = 0;
    assert_int_equal (sp_completeness_judge (&read, 0, 0), SP_COMPLETENESS_MISSING);
    /* an empty partition has nothing to miss, whatever its keys say */
    read.head = 0;
    assert_int_equal (sp_completeness_judge (&read, 3, 7), SP_COMPLETENESS_COMPLETE);
    /* a rebuild requested (epoch 1) that has not reset the partition:
       its checkpoint at the head does not matter */
    read = s_read (10, 10);
    assert_int_equal (sp_completeness_judge (&read, 1, 0), SP_COMPLETENESS_REBUILDING);
    read.epoch = 1; /* reset, replaying */
    read.checkpoint = 4;
    assert_int_equal (sp_completeness_judge (&read, 1, 0), SP_COMPLETENESS_BEHIND);
    read.checkpoint = 10;
    assert_int_equal (sp_completeness_judge (&read, 1, 0), SP_COMPLETENESS_COMPLETE);
    read.epoch = 2; /* an epoch the service was not asked for: rebuilt again */
    assert_int_equal (sp_completeness_judge (&read, 1, 0), SP_COMPLETENESS_REBUILDING);
    /* revisions: older than the one needing a rebuild is stale, the same
       or newer (a forward change restamped it) is not */
    read = s_read (10, 10);
    read.revision = 3;
    assert_int_equal (sp_completeness_judge (&read, 0, 4), SP_COMPLETENESS_STALE);
    assert_int_equal (sp_completeness_judge (&read, 0, 3), SP_COMPLETENESS_COMPLETE);
    read.revision = 5;
    assert_int_equal (sp_completeness_judge (&read, 0, 3), SP_COMPLETENESS_COMPLETE);
    /* missing wins over the rest: nothing to judge */
    read.has_checkpoint = false;
    assert_int_equal (sp_completeness_judge (&read, 1, 9), SP_COMPLETENESS_MISSING);

    assert_string_equal (sp_completeness_state_name (SP_COMPLETENESS_COMPLETE), "complete");
    assert_string_equal (sp_completeness_state_name (SP_COMPLETENESS_BEHIND), "behind");
    assert_string_equal (sp_completeness_state_name (SP_COMPLETENESS_REBUILDING), "rebuilding");
    assert_string_equal (sp_completeness_state_name (SP_COMPLETENESS_MISSING), "missing");
    assert_string_equal (sp_completeness_state_name (SP_COMPLETENESS_STALE), "stale");
}

static void
test_complete_check (void **state)
{
    (void) state;
    sp_completeness_t *completeness = s_new (TEST_PARTITIONS);
    /* nothing observed yet: nothing known to be missing */
    assert_true (sp_completeness_complete (completeness));
    assert_string_equal (sp_completeness_service (completeness), "funnel-tracker");
    sp_completeness_read_t reads[TEST_PARTITIONS] = { s_read (5, 5), s_read (0, 0),
                                                      s_read (1200, 1300), s_read (7, 7) };
    reads[1].has_checkpoint = false;
    sp_completeness_observe (completeness, reads, 0);
    assert_true (sp_completeness_complete (completeness));
    assert_int_equal (sp_completeness_events (completeness), 1212);
    assert_int_equal (sp_completeness_applied (completeness), 1212);
    char text[SP_COMPLETENESS_TEXT_SIZE] = "x";
    assert_int_equal (sp_completeness_text (completeness, text, sizeof text), 0);
    assert_string_equal (text, "");
    char *json = s_json (completeness);
    assert_string_equal (json,
                         "{\"service\":\"funnel-tracker\",\"complete\":true,\"events\":1212,"
                         "\"applied\":1212,\"rebuilding\":false,\"partition_count\":4,"
                         "\"incomplete\":0,\"partitions\":["
                         "{\"partition\":0,\"checkpoint\":5,\"head\":5,\"state\":\"complete\"},"
                         "{\"partition\":1,\"checkpoint\":null,\"head\":0,\"state\":\"complete\"},"
                         "{\"partition\":2,\"checkpoint\":1300,\"head\":1200,"
                         "\"state\":\"complete\"},"
                         "{\"partition\":3,\"checkpoint\":7,\"head\":7,\"state\":\"complete\"}]}");
    free (json);
    sp_completeness_destroy (&completeness);
    assert_null (completeness);
    sp_completeness_destroy (&completeness); /* no-op on NULL */
}

/* The case: during a rebuild the company's leads fell from
   8,800 to 6,605; the answer says so. */
static void
test_incomplete_during_rebuild (void **state)
{
    (void) state;
    sp_completeness_t *completeness = s_new (TEST_PARTITIONS);
    sp_completeness_read_t reads[TEST_PARTITIONS] = { s_read (2200, 2200), s_read (2200, 2200),
                                                      s_read (2200, 1000), s_read (2200, 5) };
    for (size_t index = 0; index < TEST_PARTITIONS; index++)
        reads[index].epoch = 1;
    reads[1].epoch = 0; /* not reset yet */
    sp_completeness_observe (completeness, reads, 1);
    assert_false (sp_completeness_complete (completeness));
    assert_int_equal (sp_completeness_events (completeness), 8800);
    assert_int_equal (sp_completeness_applied (completeness), 5405);
    sp_completeness_read_t read;
    assert_int_equal (sp_completeness_partition (completeness, 1, &read),
                      SP_COMPLETENESS_REBUILDING);
    assert_int_equal (read.checkpoint, 2200);
    assert_int_equal (sp_completeness_partition (completeness, 2, NULL), SP_COMPLETENESS_BEHIND);
    char text[SP_COMPLETENESS_TEXT_SIZE];
    size_t length = sp_completeness_text (completeness, text, sizeof text);
    assert_string_equal (text, "incomplete: funnel-tracker has applied 5,405 of 8,800 events "
                               "(partitions 2-3 behind; a rebuild is running: partition 1 not "
                               "rebuilt yet)");
    assert_int_equal (length, strlen (text));
    char *json = s_json (completeness);
    assert_string_equal (json,
                         "{\"service\":\"funnel-tracker\",\"complete\":false,\"events\":8800,"
                         "\"applied\":5405,\"rebuilding\":true,\"partition_count\":4,"
                         "\"incomplete\":3,\"partitions\":["
                         "{\"partition\":0,\"checkpoint\":2200,\"head\":2200,"
                         "\"state\":\"complete\"},"
                         "{\"partition\":1,\"checkpoint\":2200,\"head\":2200,"
                         "\"state\":\"rebuilding\"},"
                         "{\"partition\":2,\"checkpoint\":1000,\"head\":2200,"
                         "\"state\":\"behind\"},"
                         "{\"partition\":3,\"checkpoint\":5,\"head\":2200,\"state\":\"behind\"}]}");
    free (json);
    sp_completeness_destroy (&completeness);
}

/* Redis lost its data: no checkpoint anywhere; definitions that need a
   rebuild were loaded for one partition's state. */
static void
test_lost_and_stale (void **state)
{
    (void) state;
    sp_completeness_t *completeness = s_new (TEST_PARTITIONS);
    sp_completeness_set_revision (completeness, 4);
    sp_completeness_read_t reads[TEST_PARTITIONS] = { s_read (3, 0), s_read (4, 0), s_read (9, 9),
                                                      s_read (1, 1) };
    reads[0].has_checkpoint = false;
    reads[1].has_checkpoint = false;
    reads[2].revision = 4;
    reads[3].revision = 3;
    sp_completeness_observe (completeness, reads, 0);
    char text[SP_COMPLETENESS_TEXT_SIZE];
    sp_completeness_text (completeness, text, sizeof text);
    assert_string_equal (text, "incomplete: funnel-tracker has applied 10 of 17 events "
                               "(partitions 0-1 have no state (lost or not built yet); "
                               "partition 3 built under older definitions)");
    /* one partition missing alone */
    reads[1] = s_read (4, 4);
    reads[1].revision = 4;
    reads[3].revision = 4;
    sp_completeness_observe (completeness, reads, 0);
    sp_completeness_text (completeness, text, sizeof text);
    assert_string_equal (text, "incomplete: funnel-tracker has applied 14 of 17 events "
                               "(partition 0 has no state (lost or not built yet))");
    sp_completeness_destroy (&completeness);
}

/* The second look after the figures: a partition reset in between is
   not complete, even once replayed; a partition that was behind stays
   behind whatever it reached since. */
static void
test_observe_again (void **state)
{
    (void) state;
    sp_completeness_t *completeness = s_new (TEST_PARTITIONS);
    sp_completeness_read_t reads[TEST_PARTITIONS] = { s_read (10, 10), s_read (10, 10),
                                                      s_read (10, 10), s_read (10, 8) };
    sp_completeness_observe (completeness, reads, 0);
    sp_completeness_read_t again[TEST_PARTITIONS] = { s_read (99, 12), s_read (99, 10),
                                                      s_read (99, 3), s_read (99, 10) };
    sp_completeness_observe_again (completeness, again, 0);
    /* 0 applied more, 1 unchanged: complete; 2 went back: reset */
    assert_int_equal (sp_completeness_partition (completeness, 0, NULL), SP_COMPLETENESS_COMPLETE);
    assert_int_equal (sp_completeness_partition (completeness, 1, NULL), SP_COMPLETENESS_COMPLETE);
    assert_int_equal (sp_completeness_partition (completeness, 2, NULL),
                      SP_COMPLETENESS_REBUILDING);
    assert_int_equal (sp_completeness_partition (completeness, 3, NULL), SP_COMPLETENESS_BEHIND);
    /* heads of the first read stand */
    assert_int_equal (sp_completeness_events (completeness), 40);

    /* reset and fully replayed in between: the epoch tells */
    sp_completeness_observe (completeness, reads, 0);
    for (size_t index = 0; index < TEST_PARTITIONS; index++) {
        again[index] = s_read (99, 10);
        again[index].epoch = 1;
    }
    sp_completeness_observe_again (completeness, again, 1);
    assert_int_equal (sp_completeness_partition (completeness, 0, NULL),
                      SP_COMPLETENESS_REBUILDING);

    /* FLUSHALL in between: the checkpoint vanished */
    sp_completeness_observe (completeness, reads, 0);
    for (size_t index = 0; index < TEST_PARTITIONS; index++)
        again[index] = s_read (99, 10);
    again[1].has_checkpoint = false;
    again[1].checkpoint = 0;
    sp_completeness_observe_again (completeness, again, 0);
    assert_int_equal (sp_completeness_partition (completeness, 1, NULL), SP_COMPLETENESS_MISSING);
    assert_int_equal (sp_completeness_partition (completeness, 0, NULL), SP_COMPLETENESS_COMPLETE);
    sp_completeness_destroy (&completeness);
}

/* Many partitions: the JSON lists only the incomplete ones, the text
   gives ranges; a line longer than the buffer ends with "...". */
static void
test_many_partitions (void **state)
{
    (void) state;
    sp_completeness_t *completeness = s_new (TEST_MANY);
    sp_completeness_read_t reads[TEST_MANY];
    for (size_t index = 0; index < TEST_MANY; index++)
        reads[index] = s_read (1000, 1000);
    reads[3] = s_read (1000, 1);
    reads[70] = s_read (1000, 1);
    reads[71] = s_read (1000, 1);
    reads[72] = s_read (1000, 1);
    reads[99] = s_read (1000, 1);
    sp_completeness_observe (completeness, reads, 0);
    json_t *document = sp_completeness_json (completeness);
    assert_non_null (document);
    assert_int_equal (json_integer_value (json_object_get (document, "partition_count")), 100);
    assert_int_equal (json_integer_value (json_object_get (document, "incomplete")), 5);
    assert_int_equal (json_integer_value (json_object_get (document, "events")), 100000);
    json_t *listed = json_object_get (document, "partitions");
    assert_int_equal (json_array_size (listed), 5);
    assert_int_equal (
        json_integer_value (json_object_get (json_array_get (listed, 1), "partition")), 70);
    json_decref (document);
    char text[SP_COMPLETENESS_TEXT_SIZE];
    sp_completeness_text (completeness, text, sizeof text);
    assert_string_equal (text, "incomplete: funnel-tracker has applied 95,005 of 100,000 events "
                               "(partitions 3, 70-72, 99 behind)");
    /* every other partition behind: a long list, cut */
    for (size_t index = 0; index < TEST_MANY; index += 2)
        reads[index] = s_read (1000, 1);
    sp_completeness_observe (completeness, reads, 0);
    char small[64];
    size_t length = sp_completeness_text (completeness, small, sizeof small);
    assert_int_equal (length, sizeof small - 1);
    assert_memory_equal (small, "incomplete: funnel-tracker has applied", 38);
    assert_string_equal (small + length - 3, "...");
    sp_completeness_destroy (&completeness);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_judge),
        cmocka_unit_test (test_complete_check),
        cmocka_unit_test (test_incomplete_during_rebuild),
        cmocka_unit_test (test_lost_and_stale),
        cmocka_unit_test (test_observe_again),
        cmocka_unit_test (test_many_partitions),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
