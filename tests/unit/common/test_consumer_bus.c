/*  test_consumer_bus - the consumer's bus reader over an in-process
    PUB socket (no servers): envelopes come back checked and ordered by
    partition and sequence, and the filter drops a partition's messages
    unread by their topic ("<type>.<partition>"), counting them as skipped,
    not as malformed; a topic of another form is read as usual. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bus.pb-c.h"
#include "sp_consumer_bus.h"
#include "sp_proto.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ENDPOINT "inproc://test-consumer-bus"
#define PARTITIONS 8
#define HWM 1000
#define MAX_READ 100
#define DEADLINE_MS 10000
#define ERROR_SIZE 256
#define SKIPPED_PARTITION 3 /* the filter does not want it */

/* Publishes an envelope of partition and sequence under topic. */
static void
s_publish (zsock_t *publisher, const char *topic, uint32_t partition, uint64_t sequence)
{
    Salespulse__SalesEvent event = SALESPULSE__SALES_EVENT__INIT;
    event.event_id = (char *) "crm:deal:1";
    event.source = (char *) "crm";
    event.type = SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON;
    Salespulse__BusEnvelope envelope = SALESPULSE__BUS_ENVELOPE__INIT;
    envelope.topic = (char *) topic;
    envelope.partition = partition;
    envelope.sequence = sequence;
    envelope.event = &event;
    size_t size = salespulse__bus_envelope__get_packed_size (&envelope);
    uint8_t *packed = malloc (size);
    assert_non_null (packed);
    salespulse__bus_envelope__pack (&envelope, packed);
    zmsg_t *message = zmsg_new ();
    zmsg_addstr (message, topic);
    zmsg_addmem (message, packed, size);
    free (packed);
    assert_int_equal (zmsg_send (&message, publisher), 0);
}

static bool
s_wanted (void *arg, uint32_t partition)
{
    int *asked = (int *) arg;
    (*asked)++;
    return partition != SKIPPED_PARTITION;
}

/* Reads until count envelopes came, or fails at the deadline. */
static size_t
s_read (sp_consumer_bus_t *bus, Salespulse__BusEnvelope *const **envelopes, size_t count)
{
    zpoller_t *poller = zpoller_new (sp_consumer_bus_socket (bus), NULL);
    assert_non_null (poller);
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    size_t read = 0;
    while (read < count && zclock_mono () < deadline)
        if (zpoller_wait (poller, 20) == sp_consumer_bus_socket (bus))
            read = sp_consumer_bus_read (bus, envelopes);
    zpoller_destroy (&poller);
    return read;
}

static void
test_filter_drops_unwanted_partitions_unread (void **state)
{
    (void) state;
    zsock_t *publisher = zsock_new_pub ("@" ENDPOINT);
    assert_non_null (publisher);
    char error[ERROR_SIZE] = "";
    sp_consumer_bus_t *bus =
        sp_consumer_bus_new (">" ENDPOINT, HWM, PARTITIONS, MAX_READ, error, sizeof error);
    assert_non_null (bus);
    int asked = 0;
    sp_consumer_bus_set_filter (bus, s_wanted, &asked);

    /* the subscription reaches the publisher: a first envelope comes */
    Salespulse__BusEnvelope *const *envelopes = NULL;
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    size_t read = 0;
    zpoller_t *poller = zpoller_new (sp_consumer_bus_socket (bus), NULL);
    while (read == 0 && zclock_mono () < deadline) {
        s_publish (publisher, "deal_won.1", 1, 1);
        if (zpoller_wait (poller, 20) == sp_consumer_bus_socket (bus))
            read = sp_consumer_bus_read (bus, &envelopes);
    }
    zpoller_destroy (&poller);
    assert_true (read >= 1);
    /* drain the extra copies sent while waiting */
    while (zsock_events (sp_consumer_bus_socket (bus)) & ZMQ_POLLIN)
        sp_consumer_bus_read (bus, &envelopes);
    uint64_t skipped_before = sp_consumer_bus_skipped (bus);

    /* partition 3 is not wanted: dropped unread, even a body that would
       not unpack; the others come back in partition and sequence order */
    s_publish (publisher, "deal_won.5", 5, 9);
    s_publish (publisher, "deal_won.3", SKIPPED_PARTITION, 4);
    zstr_sendx (publisher, "call.3", "not a protobuf \xff", NULL);
    s_publish (publisher, "deal_won.2", 2, 7);
    s_publish (publisher, "deal_won.5", 5, 8);
    /* a topic of another form is read as usual, its envelope decides */
    s_publish (publisher, "other", SKIPPED_PARTITION, 5);
    read = s_read (bus, &envelopes, 4);
    assert_int_equal (read, 4);
    assert_int_equal (envelopes[0]->partition, 2);
    assert_int_equal (envelopes[1]->partition, SKIPPED_PARTITION); /* the "other" topic */
    assert_int_equal (envelopes[1]->sequence, 5);
    assert_int_equal (envelopes[2]->partition, 5);
    assert_int_equal (envelopes[2]->sequence, 8);
    assert_int_equal (envelopes[3]->sequence, 9);
    assert_int_equal (sp_consumer_bus_skipped (bus) - skipped_before, 2);
    assert_int_equal (sp_consumer_bus_malformed (bus), 0);
    assert_true (asked >= 5);

    /* without a filter every message is unpacked: the bad body counts */
    sp_consumer_bus_set_filter (bus, NULL, NULL);
    zstr_sendx (publisher, "call.3", "not a protobuf \xff", NULL);
    s_publish (publisher, "deal_won.3", SKIPPED_PARTITION, 6);
    read = s_read (bus, &envelopes, 1);
    assert_int_equal (read, 1);
    assert_int_equal (envelopes[0]->sequence, 6);
    assert_int_equal (sp_consumer_bus_malformed (bus), 1);

    sp_consumer_bus_destroy (&bus);
    zsock_destroy (&publisher);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_filter_drops_unwanted_partitions_unread),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
