/*  test_proto - unit tests for sp_proto (pack/unpack with limits and
    validation) using the real generated messages: IngestRequest and
    BusEnvelope. Truncated and random input must never crash or leak; the
    sanitizers (SANITIZE=1) check both.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bus.pb-c.h"
#include "ingest.pb-c.h"
#include "sp_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 256                 /* error buffer used by every test */
#define GARBAGE_SEED 0x5a1e5u          /* fixed seed: the garbage is the same every run */
#define GARBAGE_ROUNDS 5000            /* random buffers tried */
#define GARBAGE_MAX_LENGTH 300         /* longest random buffer, bytes */
#define UNLUCKY_REQUEST_ID 13          /* request id the test validator rejects */
#define DEAL_AMOUNT_MINOR 1250000      /* 12,500.00 in minor units */
#define OCCURRED_AT_MS 1700000000000LL /* an arbitrary fixed instant */
#define REQUEST_ID 4242                /* request id of the sample batch */

/* A sample batch of two events, built on the stack; the pointers inside
   refer to the fixture's own members. */
typedef struct {
    Salespulse__Money amount;              /* deal amount */
    Salespulse__DealWon deal_won;          /* body of the first event */
    Salespulse__SalesEvent events[2];      /* the two events */
    Salespulse__SalesEvent *event_list[2]; /* IngestRequest.events */
    Salespulse__IngestRequest request;     /* the batch */
    Salespulse__BusEnvelope envelope;      /* the first event on the bus */
} sample_t;

static void
s_sample_init (sample_t *sample)
{
    salespulse__money__init (&sample->amount);
    sample->amount.amount_minor = DEAL_AMOUNT_MINOR;
    sample->amount.currency = (char *) "EUR";
    salespulse__deal_won__init (&sample->deal_won);
    sample->deal_won.amount = &sample->amount;
    sample->deal_won.product = (char *) "widgets\xc3\xa9";

    salespulse__sales_event__init (&sample->events[0]);
    sample->events[0].event_id = (char *) "crm:deal:1";
    sample->events[0].source = (char *) "crm";
    sample->events[0].type = SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON;
    sample->events[0].occurred_at = OCCURRED_AT_MS;
    sample->events[0].rep_id = (char *) "rep-7";
    sample->events[0].customer_id = (char *) "cust-99";
    sample->events[0].opportunity_id = (char *) "opp-3";
    sample->events[0].body_case = SALESPULSE__SALES_EVENT__BODY_DEAL_WON;
    sample->events[0].deal_won = &sample->deal_won;

    salespulse__sales_event__init (&sample->events[1]);
    sample->events[1].event_id = (char *) "crm:call:2";
    sample->events[1].source = (char *) "crm";
    sample->events[1].type = SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL;
    sample->events[1].occurred_at = OCCURRED_AT_MS + 1;

    sample->event_list[0] = &sample->events[0];
    sample->event_list[1] = &sample->events[1];
    salespulse__ingest_request__init (&sample->request);
    sample->request.request_id = REQUEST_ID;
    sample->request.n_events = 2;
    sample->request.events = sample->event_list;

    salespulse__bus_envelope__init (&sample->envelope);
    sample->envelope.topic = (char *) "deal_won.7";
    sample->envelope.partition = 7;
    sample->envelope.sequence = UINT64_C (9007199254740993);
    sample->envelope.ingested_at = OCCURRED_AT_MS + 5;
    sample->envelope.event = &sample->events[0];
}

static void
s_assert_first_event (const Salespulse__SalesEvent *event)
{
    assert_non_null (event);
    assert_string_equal (event->event_id, "crm:deal:1");
    assert_string_equal (event->source, "crm");
    assert_int_equal (event->type, SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON);
    assert_int_equal (event->occurred_at, OCCURRED_AT_MS);
    assert_string_equal (event->customer_id, "cust-99");
    assert_int_equal (event->body_case, SALESPULSE__SALES_EVENT__BODY_DEAL_WON);
    assert_non_null (event->deal_won->amount);
    assert_int_equal (event->deal_won->amount->amount_minor, DEAL_AMOUNT_MINOR);
    assert_string_equal (event->deal_won->amount->currency, "EUR");
    assert_string_equal (event->deal_won->product, "widgets\xc3\xa9");
}

/* Test validator: rejects the unlucky request id; counts its calls. */
static int
s_validate_request (const ProtobufCMessage *message, void *arg, char *error, size_t error_size)
{
    const Salespulse__IngestRequest *request = (const Salespulse__IngestRequest *) message;
    int *calls = arg;
    (*calls)++;
    if (request->request_id == UNLUCKY_REQUEST_ID) {
        snprintf (error, error_size, "request_id %d is not allowed", UNLUCKY_REQUEST_ID);
        return -1;
    }
    return 0;
}

/* Test validator that fails without saying why. */
static int
s_validate_silently (const ProtobufCMessage *message, void *arg, char *error, size_t error_size)
{
    (void) message;
    (void) arg;
    (void) error;
    (void) error_size;
    return -1;
}

/* Deterministic xorshift32 for the garbage test. */
static uint32_t
s_next_random (uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

static void
test_ingest_request_round_trip (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_init (&sample);
    char error[ERROR_SIZE] = "";
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal (
        sp_proto_pack (&sample.request.base, SP_PROTO_NO_LIMIT, &data, &size, error, sizeof error),
        0);
    assert_non_null (data);
    assert_int_equal (size, salespulse__ingest_request__get_packed_size (&sample.request));

    int calls = 0;
    ProtobufCMessage *message =
        sp_proto_unpack (&salespulse__ingest_request__descriptor, data, size, size,
                         s_validate_request, &calls, error, sizeof error);
    assert_non_null (message);
    assert_int_equal (calls, 1);
    Salespulse__IngestRequest *request = (Salespulse__IngestRequest *) message;
    assert_int_equal (request->request_id, REQUEST_ID);
    assert_int_equal (request->n_events, 2);
    s_assert_first_event (request->events[0]);
    assert_string_equal (request->events[1]->event_id, "crm:call:2");
    assert_int_equal (request->events[1]->body_case, SALESPULSE__SALES_EVENT__BODY__NOT_SET);
    sp_proto_free (&message);
    assert_null (message);
    free (data);
}

static void
test_bus_envelope_round_trip (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_init (&sample);
    char error[ERROR_SIZE] = "";
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal (
        sp_proto_pack (&sample.envelope.base, SP_PROTO_NO_LIMIT, &data, &size, error, sizeof error),
        0);
    ProtobufCMessage *message =
        sp_proto_unpack (&salespulse__bus_envelope__descriptor, data, size, SP_PROTO_NO_LIMIT, NULL,
                         NULL, error, sizeof error);
    assert_non_null (message);
    Salespulse__BusEnvelope *envelope = (Salespulse__BusEnvelope *) message;
    assert_string_equal (envelope->topic, "deal_won.7");
    assert_int_equal (envelope->partition, 7);
    assert_true (envelope->sequence == UINT64_C (9007199254740993));
    assert_int_equal (envelope->ingested_at, OCCURRED_AT_MS + 5);
    s_assert_first_event (envelope->event);
    sp_proto_free (&message);
    free (data);
}

static void
test_pack_exactly_at_limit (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_init (&sample);
    size_t packed = salespulse__bus_envelope__get_packed_size (&sample.envelope);
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal (sp_proto_pack (&sample.envelope.base, packed, &data, &size, NULL, 0), 0);
    assert_int_equal (size, packed);
    free (data);
}

static void
test_pack_oversize (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_init (&sample);
    size_t packed = salespulse__ingest_request__get_packed_size (&sample.request);
    uint8_t sentinel = 0;
    uint8_t *data = &sentinel;
    size_t size = 77;
    char error[ERROR_SIZE] = "";
    assert_int_equal (
        sp_proto_pack (&sample.request.base, packed - 1, &data, &size, error, sizeof error), -1);
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected,
              "packed salespulse.IngestRequest message of %zu bytes exceeds the limit of %zu bytes",
              packed, packed - 1);
    assert_string_equal (error, expected);
    assert_ptr_equal (data, &sentinel);
    assert_int_equal (size, 77);
}

static void
test_pack_empty_message (void **state)
{
    (void) state;
    Salespulse__IngestRequest request = SALESPULSE__INGEST_REQUEST__INIT;
    uint8_t *data = NULL;
    size_t size = 1;
    assert_int_equal (sp_proto_pack (&request.base, 0, &data, &size, NULL, 0), 0);
    assert_non_null (data);
    assert_int_equal (size, 0);
    free (data);
}

static void
test_unpack_oversize (void **state)
{
    (void) state;
    uint8_t data[100];
    memset (data, 0, sizeof data);
    char error[ERROR_SIZE] = "";
    ProtobufCMessage *message = sp_proto_unpack (&salespulse__ingest_request__descriptor, data,
                                                 sizeof data, 64, NULL, NULL, error, sizeof error);
    assert_null (message);
    assert_string_equal (error, "message of 100 bytes exceeds the limit of 64 bytes");
}

static void
test_unpack_empty_input_gives_defaults (void **state)
{
    (void) state;
    char error[ERROR_SIZE] = "";
    ProtobufCMessage *message =
        sp_proto_unpack (&salespulse__ingest_request__descriptor, NULL, 0, SP_PROTO_NO_LIMIT, NULL,
                         NULL, error, sizeof error);
    assert_non_null (message);
    Salespulse__IngestRequest *request = (Salespulse__IngestRequest *) message;
    assert_int_equal (request->request_id, 0);
    assert_int_equal (request->n_events, 0);
    sp_proto_free (&message);

    message = sp_proto_unpack (&salespulse__bus_envelope__descriptor, NULL, 0, 0, NULL, NULL, error,
                               sizeof error);
    assert_non_null (message);
    Salespulse__BusEnvelope *envelope = (Salespulse__BusEnvelope *) message;
    assert_string_equal (envelope->topic, "");
    assert_null (envelope->event);
    sp_proto_free (&message);
}

static void
test_unpack_malformed (void **state)
{
    (void) state;
    /* field 1 with wire type 7 (does not exist) */
    static const uint8_t bad_wire_type[] = { 0x0f };
    /* field 2 (events), length 5, only 1 byte follows */
    static const uint8_t short_length[] = { 0x12, 0x05, 0x01 };
    /* field 1 varint that never ends */
    static const uint8_t endless_varint[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                              0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    const struct {
        const uint8_t *data; /* the bytes */
        size_t size;         /* how many */
    } cases[] = {
        { bad_wire_type, sizeof bad_wire_type },
        { short_length, sizeof short_length },
        { endless_varint, sizeof endless_varint },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char error[ERROR_SIZE] = "";
        int calls = 0;
        ProtobufCMessage *message =
            sp_proto_unpack (&salespulse__ingest_request__descriptor, cases[i].data, cases[i].size,
                             SP_PROTO_NO_LIMIT, s_validate_request, &calls, error, sizeof error);
        assert_null (message);
        assert_string_equal (error, "malformed salespulse.IngestRequest message");
        assert_int_equal (calls, 0);
    }
}

static void
test_unpack_truncated_at_every_length (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_init (&sample);
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal (
        sp_proto_pack (&sample.request.base, SP_PROTO_NO_LIMIT, &data, &size, NULL, 0), 0);
    size_t parsed = 0;
    size_t refused = 0;
    for (size_t length = 0; length < size; length++) {
        /* A copy of exactly `length` bytes, so reading past it is caught. */
        uint8_t *copy = malloc (length > 0 ? length : 1);
        assert_non_null (copy);
        memcpy (copy, data, length);
        char error[ERROR_SIZE] = "";
        ProtobufCMessage *message =
            sp_proto_unpack (&salespulse__ingest_request__descriptor, copy, length,
                             SP_PROTO_NO_LIMIT, NULL, NULL, error, sizeof error);
        if (message) {
            parsed++;
            sp_proto_free (&message);
        }
        else {
            refused++;
            assert_string_equal (error, "malformed salespulse.IngestRequest message");
        }
        free (copy);
    }
    /* Cutting inside the first event's bytes can only be malformed. */
    assert_true (refused > 0);
    assert_int_equal (parsed + refused, size);
    free (data);
}

static void
test_unpack_random_garbage (void **state)
{
    (void) state;
    uint32_t random_state = GARBAGE_SEED;
    size_t refused = 0;
    for (int round = 0; round < GARBAGE_ROUNDS; round++) {
        size_t length = 1 + s_next_random (&random_state) % GARBAGE_MAX_LENGTH;
        uint8_t *bytes = malloc (length);
        assert_non_null (bytes);
        for (size_t i = 0; i < length; i++)
            bytes[i] = (uint8_t) s_next_random (&random_state);
        const ProtobufCMessageDescriptor *descriptor =
            round % 2 ? &salespulse__bus_envelope__descriptor
                      : &salespulse__ingest_request__descriptor;
        char error[ERROR_SIZE] = "";
        ProtobufCMessage *message = sp_proto_unpack (descriptor, bytes, length, SP_PROTO_NO_LIMIT,
                                                     NULL, NULL, error, sizeof error);
        if (message)
            sp_proto_free (&message);
        else {
            refused++;
            char expected[ERROR_SIZE];
            snprintf (expected, sizeof expected, "malformed %s message", descriptor->name);
            assert_string_equal (error, expected);
        }
        free (bytes);
    }
    assert_true (refused > 0);
}

static void
test_validator_rejects (void **state)
{
    (void) state;
    Salespulse__IngestRequest request = SALESPULSE__INGEST_REQUEST__INIT;
    request.request_id = UNLUCKY_REQUEST_ID;
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal (sp_proto_pack (&request.base, SP_PROTO_NO_LIMIT, &data, &size, NULL, 0), 0);
    char error[ERROR_SIZE] = "";
    int calls = 0;
    ProtobufCMessage *message =
        sp_proto_unpack (&salespulse__ingest_request__descriptor, data, size, SP_PROTO_NO_LIMIT,
                         s_validate_request, &calls, error, sizeof error);
    assert_null (message);
    assert_int_equal (calls, 1);
    assert_string_equal (error, "request_id 13 is not allowed");

    message = sp_proto_unpack (&salespulse__ingest_request__descriptor, data, size,
                               SP_PROTO_NO_LIMIT, s_validate_silently, NULL, error, sizeof error);
    assert_null (message);
    assert_string_equal (error, "invalid salespulse.IngestRequest message");
    free (data);
}

static void
test_frame_round_trip (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_init (&sample);
    char error[ERROR_SIZE] = "";
    zframe_t *frame =
        sp_proto_frame_new (&sample.envelope.base, SP_PROTO_NO_LIMIT, error, sizeof error);
    assert_non_null (frame);
    assert_int_equal (zframe_size (frame),
                      salespulse__bus_envelope__get_packed_size (&sample.envelope));
    ProtobufCMessage *message =
        sp_proto_frame_unpack (&salespulse__bus_envelope__descriptor, frame, SP_PROTO_NO_LIMIT,
                               NULL, NULL, error, sizeof error);
    assert_non_null (message);
    s_assert_first_event (((Salespulse__BusEnvelope *) message)->event);
    sp_proto_free (&message);

    /* The same bytes read as the wrong message type under a small limit. */
    message = sp_proto_frame_unpack (&salespulse__ingest_request__descriptor, frame, 8, NULL, NULL,
                                     error, sizeof error);
    assert_null (message);
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected, "message of %zu bytes exceeds the limit of 8 bytes",
              zframe_size (frame));
    assert_string_equal (error, expected);
    zframe_destroy (&frame);
}

static void
test_frame_new_oversize (void **state)
{
    (void) state;
    sample_t sample;
    s_sample_init (&sample);
    char error[ERROR_SIZE] = "";
    zframe_t *frame = sp_proto_frame_new (&sample.envelope.base, 10, error, sizeof error);
    assert_null (frame);
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected,
              "packed salespulse.BusEnvelope message of %zu bytes exceeds the limit of 10 bytes",
              salespulse__bus_envelope__get_packed_size (&sample.envelope));
    assert_string_equal (error, expected);
}

static void
test_free_null_is_noop (void **state)
{
    (void) state;
    ProtobufCMessage *message = NULL;
    sp_proto_free (&message);
    assert_null (message);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ingest_request_round_trip),
        cmocka_unit_test (test_bus_envelope_round_trip),
        cmocka_unit_test (test_pack_exactly_at_limit),
        cmocka_unit_test (test_pack_oversize),
        cmocka_unit_test (test_pack_empty_message),
        cmocka_unit_test (test_unpack_oversize),
        cmocka_unit_test (test_unpack_empty_input_gives_defaults),
        cmocka_unit_test (test_unpack_malformed),
        cmocka_unit_test (test_unpack_truncated_at_every_length),
        cmocka_unit_test (test_unpack_random_garbage),
        cmocka_unit_test (test_validator_rejects),
        cmocka_unit_test (test_frame_round_trip),
        cmocka_unit_test (test_frame_new_oversize),
        cmocka_unit_test (test_free_null_is_noop),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
