/*  test_ingest_logic - activity-ingest's I/O-free classes: ingest_digest
    (libsodium's SHA-256 against the FIPS 180-4 vectors), ingest_copy
    (binary COPY layout), ingest_request (frame shapes, decoding, every
    validation outcome through the request path with its exact field and
    reason) and ingest_batch (partition order, duplicates and conflicts
    against stored rows and within the batch, gap-free sequences).
*/
#define _GNU_SOURCE /* memmem */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest_batch.h"
#include "ingest_copy.h"
#include "ingest_digest.h"
#include "ingest_request.h"
#include "sp_partition.h"

#define TEST_NOW INT64_C (1700000000000)
#define TEST_PARTITIONS 16

static const ingest_request_limits_t s_limits = { 1000, 1 << 20, TEST_PARTITIONS, 60000, 3600000 };

static void
s_hex (const uint8_t *bytes, size_t size, char *text)
{
    for (size_t i = 0; i < size; i++)
        snprintf (text + 2 * i, 3, "%02x", bytes[i]);
}

static void
test_digest_vectors (void **state)
{
    (void) state;
    uint8_t digest[INGEST_DIGEST_SIZE];
    char hex[2 * INGEST_DIGEST_SIZE + 1];
    ingest_digest_sha256 (NULL, 0, digest);
    s_hex (digest, sizeof digest, hex);
    assert_string_equal (hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ingest_digest_sha256 ("abc", 3, digest);
    s_hex (digest, sizeof digest, hex);
    assert_string_equal (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ingest_digest_sha256 (two, strlen (two), digest);
    s_hex (digest, sizeof digest, hex);
    assert_string_equal (hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* 55 and 56 bytes: the padding boundary. */
    char block[64];
    memset (block, 'a', sizeof block);
    ingest_digest_sha256 (block, 56, digest);
    s_hex (digest, sizeof digest, hex);
    assert_string_equal (hex, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    /* The 896-bit message of the FIPS 180-4 examples and a million 'a':
       several blocks, and a length past 2^23 bits. */
    const char *long_two = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                           "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    ingest_digest_sha256 (long_two, strlen (long_two), digest);
    s_hex (digest, sizeof digest, hex);
    assert_string_equal (hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    size_t million = 1000000;
    char *many = malloc (million);
    assert_non_null (many);
    memset (many, 'a', million);
    ingest_digest_sha256 (many, million, digest);
    s_hex (digest, sizeof digest, hex);
    assert_string_equal (hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free (many);
}

static void
test_copy_layout (void **state)
{
    (void) state;
    ingest_copy_t *copy = ingest_copy_new ();
    assert_non_null (copy);
    ingest_copy_row (copy, 4);
    ingest_copy_int32 (copy, 7);
    ingest_copy_int64 (copy, 258);
    ingest_copy_text (copy, "ab");
    ingest_copy_null (copy);
    assert_int_equal (ingest_copy_rows (copy), 1);
    size_t size = 0;
    const uint8_t *data = ingest_copy_finish (copy, &size);
    const uint8_t expected[] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0,
                                 0, 0, 0, 0, 0, 0, 0, 0,
                                 0, 4,
                                 0, 0, 0, 4, 0, 0, 0, 7,
                                 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 1, 2,
                                 0, 0, 0, 2, 'a', 'b',
                                 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff };
    assert_int_equal (size, sizeof expected);
    assert_memory_equal (data, expected, sizeof expected);
    ingest_copy_reset (copy);
    assert_int_equal (ingest_copy_rows (copy), 0);
    ingest_copy_destroy (&copy);
    assert_null (copy);
    ingest_copy_destroy (&copy);
}

/* An events row: 13 fields in schema order, empty ids as NULL. */
static void
test_copy_event_row (void **state)
{
    (void) state;
    sp_event_t *event = sp_event_new (SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO);
    assert_non_null (event);
    assert_int_equal (sp_event_set_string (&event->event_id, "e1", 2), 0);
    assert_int_equal (sp_event_set_string (&event->rep_id, "r", 1), 0);
    event->occurred_at = 5;
    const uint8_t hash[2] = { 0xaa, 0xbb };
    const uint8_t packed[1] = { 0x0c };
    ingest_copy_t *copy = ingest_copy_new ();
    assert_non_null (copy);
    ingest_copy_event (copy, event, 3, 9, 6, hash, sizeof hash, packed, sizeof packed);
    size_t size = 0;
    const uint8_t *data = ingest_copy_finish (copy, &size);
    const uint8_t expected[] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0,
                                 0, 0, 0, 0, 0, 0, 0, 0,
                                 0, 13,
                                 0, 0, 0, 4, 0, 0, 0, 3,
                                 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9,
                                 0, 0, 0, 2, 'e', '1',
                                 0, 0, 0, 4, 'd', 'e', 'm', 'o',
                                 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 5,
                                 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 6,
                                 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff,
                                 0, 0, 0, 1, 'r',
                                 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff,
                                 0, 0, 0, 2, 0xaa, 0xbb,
                                 0, 0, 0, 1, 0x0c,
                                 0xff, 0xff };
    assert_int_equal (size, sizeof expected);
    assert_memory_equal (data, expected, sizeof expected);
    ingest_copy_destroy (&copy);
    sp_event_destroy (&event);
}

static void
test_frame_shapes (void **state)
{
    (void) state;
    size_t body = 9;
    bool delimiter = true;
    char error[128] = "";
    assert_int_equal (ingest_request_frame_shape ((size_t[]) { 10 }, 1, &body, &delimiter, error,
                                                  sizeof error),
                      0);
    assert_int_equal (body, 0);
    assert_false (delimiter);
    assert_int_equal (ingest_request_frame_shape ((size_t[]) { 0, 10 }, 2, &body, &delimiter,
                                                  error, sizeof error),
                      0);
    assert_int_equal (body, 1);
    assert_true (delimiter);
    assert_int_equal (ingest_request_frame_shape ((size_t[]) { 5, 10 }, 2, &body, &delimiter,
                                                  error, sizeof error),
                      -1);
    assert_string_equal (error, "expected one frame holding an IngestRequest, got 2");
    assert_int_equal (ingest_request_frame_shape ((size_t[]) { 0, 10, 3 }, 3, &body, &delimiter,
                                                  error, sizeof error),
                      -1);
    assert_true (delimiter);
    assert_string_equal (error, "expected one frame holding an IngestRequest, got 2");
}

/* A valid call event. */
static sp_event_t *
s_event (const char *id, const char *customer, uint32_t seconds)
{
    sp_event_t *event = sp_event_new (SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL);
    assert_int_equal (sp_event_set_string (&event->event_id, id, strlen (id)), 0);
    assert_int_equal (sp_event_set_string (&event->source, "test", 4), 0);
    assert_int_equal (sp_event_set_string (&event->rep_id, "rep-1", 5), 0);
    assert_int_equal (sp_event_set_string (&event->customer_id, customer, strlen (customer)), 0);
    event->occurred_at = TEST_NOW;
    event->call->duration_seconds = seconds;
    return event;
}

/* Packs events into a request and decodes it; destroys the events. */
static ingest_request_t *
s_request (uint64_t id, sp_event_t **events, size_t count)
{
    Salespulse__IngestRequest message = SALESPULSE__INGEST_REQUEST__INIT;
    message.request_id = id;
    message.n_events = count;
    message.events = events;
    uint8_t *data = malloc (protobuf_c_message_get_packed_size (&message.base) + 1);
    size_t size = protobuf_c_message_pack (&message.base, data);
    ingest_request_t *request = ingest_request_new (data, size, &s_limits, TEST_NOW);
    free (data);
    for (size_t i = 0; i < count; i++)
        sp_event_destroy (&events[i]);
    assert_non_null (request);
    return request;
}

/* One event through the request path: rejected with field and reason. */
static void
s_expect_rejected (sp_event_t *event, const char *field, sp_event_reason_t reason)
{
    ingest_request_t *request = s_request (1, &event, 1);
    assert_int_equal (ingest_request_status (request), INGEST_STATUS_OK);
    assert_int_equal (ingest_request_outcome (request, 0), INGEST_OUTCOME_REJECTED);
    assert_string_equal (ingest_request_rejection (request, 0)->field, field);
    assert_int_equal (ingest_request_rejection (request, 0)->reason, reason);
    ingest_request_destroy (&request);
}

static void
test_request_validation_outcomes (void **state)
{
    (void) state;
    sp_event_t *event = s_event ("", "acme", 5);
    s_expect_rejected (event, "event_id", SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD);
    event = s_event ("a/b", "acme", 5);
    s_expect_rejected (event, "event_id", SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CHARSET);
    char long_id[SP_EVENT_ID_MAX + 2];
    memset (long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    event = s_event (long_id, "acme", 5);
    s_expect_rejected (event, "event_id", SALESPULSE__REJECT_REASON__REJECT_REASON_TOO_LONG);
    event = s_event ("e:1", "acme", 5);
    sp_event_set_string (&event->source, "", 0);
    s_expect_rejected (event, "source", SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD);
    event = s_event ("e:1", "acme", 5);
    sp_event_set_string (&event->source, "\xff", 1);
    s_expect_rejected (event, "source", SALESPULSE__REJECT_REASON__REJECT_REASON_INVALID_UTF8);
    event = s_event ("e:1", "acme", 5);
    event->type = 99;
    s_expect_rejected (event, "type", SALESPULSE__REJECT_REASON__REJECT_REASON_UNKNOWN_TYPE);
    event = s_event ("e:1", "acme", 5);
    event->occurred_at = 0;
    s_expect_rejected (event, "occurred_at",
                       SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD);
    /* The service's window: max_future 60 s, max_past 1 h. */
    event = s_event ("e:1", "acme", 5);
    event->occurred_at = TEST_NOW + 60001;
    s_expect_rejected (event, "occurred_at",
                       SALESPULSE__REJECT_REASON__REJECT_REASON_TIME_OUT_OF_WINDOW);
    event = s_event ("e:1", "acme", 5);
    event->occurred_at = TEST_NOW - 3600001;
    s_expect_rejected (event, "occurred_at",
                       SALESPULSE__REJECT_REASON__REJECT_REASON_TIME_OUT_OF_WINDOW);
    event = s_event ("e:1", "acme", 0);
    s_expect_rejected (event, "duration_seconds",
                       SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD);
    event = s_event ("e:1", "acme", SP_EVENT_CALL_SECONDS_MAX + 1);
    s_expect_rejected (event, "duration_seconds",
                       SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE);
    event = s_event ("e:1", "", 5);
    s_expect_rejected (event, "customer_id",
                       SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD);
    event = s_event ("e:1", "acme", 5);
    sp_event_set_string (&event->rep_id, "", 0);
    s_expect_rejected (event, "rep_id", SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD);
    /* Window edges are inclusive. */
    sp_event_t *edges[2] = { s_event ("e:2", "acme", 5), s_event ("e:3", "acme", 5) };
    edges[0]->occurred_at = TEST_NOW + 60000;
    edges[1]->occurred_at = TEST_NOW - 3600000;
    ingest_request_t *request = s_request (2, edges, 2);
    assert_int_equal (ingest_request_outcome (request, 0), INGEST_OUTCOME_PENDING);
    assert_int_equal (ingest_request_outcome (request, 1), INGEST_OUTCOME_PENDING);
    assert_int_equal (ingest_request_partition (request, 0),
                      sp_partition_of ("acme", 4, TEST_PARTITIONS));
    ingest_request_destroy (&request);
}

/* A publisher key limited to sources: events of other sources are
   rejected naming the source, the key and its list; an event already
   rejected keeps its first reason; "" allows none. */
static void
test_request_limit_sources (void **state)
{
    (void) state;
    sp_event_t *events[4] = { s_event ("e:1", "acme", 5), s_event ("e:2", "acme", 5),
                              s_event ("e:3", "acme", 5), s_event ("", "acme", 5) };
    sp_event_set_string (&events[0]->source, "crm", 3);
    sp_event_set_string (&events[1]->source, "erp", 3);
    sp_event_set_string (&events[2]->source, "cr", 2);
    ingest_request_t *request = s_request (3, events, 4);
    ingest_request_limit_sources (request, "crm,web", "crm-feed");
    assert_int_equal (ingest_request_outcome (request, 0), INGEST_OUTCOME_PENDING);
    assert_int_equal (ingest_request_outcome (request, 1), INGEST_OUTCOME_REJECTED);
    const sp_event_error_t *rejection = ingest_request_rejection (request, 1);
    assert_string_equal (rejection->field, "source");
    assert_int_equal (rejection->reason,
                      SALESPULSE__REJECT_REASON__REJECT_REASON_SOURCE_NOT_ALLOWED);
    assert_string_equal (rejection->message,
                         "field \"source\": \"erp\" is not a source the publisher's key "
                         "\"crm-feed\" may publish (its sources: \"crm,web\")");
    /* A prefix of an allowed source is not that source. */
    assert_int_equal (ingest_request_outcome (request, 2), INGEST_OUTCOME_REJECTED);
    assert_int_equal (ingest_request_rejection (request, 3)->reason,
                      SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD);
    ingest_request_destroy (&request);

    sp_event_t *event = s_event ("e:4", "acme", 5);
    request = s_request (4, &event, 1);
    ingest_request_limit_sources (request, "", NULL);
    assert_int_equal (ingest_request_outcome (request, 0), INGEST_OUTCOME_REJECTED);
    assert_string_equal (ingest_request_rejection (request, 0)->message,
                         "field \"source\": \"test\" is not a source the publisher's key may "
                         "publish (its sources: \"\")");
    ingest_request_destroy (&request);
}

/* Packs events into a request, turns the first 'X' after each needle
   into a NUL (what protobuf-c never writes but a peer may send), and
   decodes it; destroys the events. */
static ingest_request_t *
s_request_with_nul (sp_event_t **events, size_t count, const char *const *needles)
{
    Salespulse__IngestRequest message = SALESPULSE__INGEST_REQUEST__INIT;
    message.request_id = 7;
    message.n_events = count;
    message.events = events;
    size_t size = protobuf_c_message_get_packed_size (&message.base);
    uint8_t *data = malloc (size);
    assert_non_null (data);
    assert_int_equal (protobuf_c_message_pack (&message.base, data), size);
    for (const char *const *needle = needles; *needle; needle++) {
        uint8_t *at = memmem (data, size, *needle, strlen (*needle));
        assert_non_null (at);
        uint8_t *mark = memchr (at, 'X', size - (size_t) (at - data));
        assert_non_null (mark);
        *mark = '\0';
    }
    ingest_request_t *request = ingest_request_new (data, size, &s_limits, TEST_NOW);
    free (data);
    for (size_t i = 0; i < count; i++)
        sp_event_destroy (&events[i]);
    assert_non_null (request);
    return request;
}

/* A NUL byte inside a string on the wire is refused as in JSON (issue
   14): protobuf-c reads "ab\0cd" as "ab" and "nul:2\0/evil" as "nul:2",
   which would be stored (or pass the charset rule) as something the
   publisher did not send. The other events of the request are judged as
   usual. */
static void
test_request_refuses_nul_bytes (void **state)
{
    (void) state;
    sp_event_t *events[3] = { s_event ("nul:1", "abXcd", 5), s_event ("nul:2X/evil", "acme", 5),
                              s_event ("nul:3", "acme", 5) };
    ingest_request_t *request =
        s_request_with_nul (events, 3, (const char *const[]){ "abX", "nul:2X", NULL });
    assert_int_equal (ingest_request_status (request), INGEST_STATUS_OK);
    assert_int_equal (ingest_request_event_count (request), 3);
    assert_int_equal (ingest_request_outcome (request, 0), INGEST_OUTCOME_REJECTED);
    const sp_event_error_t *rejection = ingest_request_rejection (request, 0);
    assert_string_equal (rejection->field, "customer_id");
    assert_int_equal (rejection->reason, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CHARSET);
    assert_string_equal (rejection->message, "field \"customer_id\": contains a NUL character");
    assert_int_equal (ingest_request_outcome (request, 1), INGEST_OUTCOME_REJECTED);
    rejection = ingest_request_rejection (request, 1);
    assert_string_equal (rejection->field, "event_id");
    assert_int_equal (rejection->reason, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CHARSET);
    assert_int_equal (ingest_request_outcome (request, 2), INGEST_OUTCOME_PENDING);
    ingest_request_destroy (&request);

    //  A NUL inside a body string, named by its JSON path
    sp_event_t *won = sp_event_new (SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_CANCELLED);
    assert_int_equal (sp_event_set_string (&won->event_id, "c:1", 3), 0);
    assert_int_equal (sp_event_set_string (&won->source, "test", 4), 0);
    assert_int_equal (sp_event_set_string (&won->opportunity_id, "o", 1), 0);
    assert_int_equal (sp_event_set_string (&won->deal_cancelled->won_event_id, "w:1", 3), 0);
    assert_int_equal (sp_event_set_string (&won->deal_cancelled->reason, "budgetXcut", 10), 0);
    won->occurred_at = TEST_NOW;
    request = s_request_with_nul (&won, 1, (const char *const[]){ "budget", NULL });
    assert_int_equal (ingest_request_outcome (request, 0), INGEST_OUTCOME_REJECTED);
    assert_string_equal (ingest_request_rejection (request, 0)->field, "reason");
    ingest_request_destroy (&request);
}

/* Fields a SalesEvent does not define are refused naming their number
   (issue 14): protobuf-c kept them, ingest packed them again, so they
   were stored verbatim and changed the content hash. */
static void
test_request_refuses_unknown_fields (void **state)
{
    (void) state;
    uint8_t value = 1;
    ProtobufCMessageUnknownField unknown = { 77, PROTOBUF_C_WIRE_TYPE_VARINT, 1, &value };
    ProtobufCMessageUnknownField body_unknown = { 2, PROTOBUF_C_WIRE_TYPE_VARINT, 1, &value };
    sp_event_t *events[2] = { s_event ("u:1", "acme", 5), s_event ("u:2", "acme", 5) };
    events[0]->base.n_unknown_fields = 1;
    events[0]->base.unknown_fields = &unknown;
    events[1]->call->base.n_unknown_fields = 1;
    events[1]->call->base.unknown_fields = &body_unknown;
    Salespulse__IngestRequest message = SALESPULSE__INGEST_REQUEST__INIT;
    message.request_id = 8;
    message.n_events = 2;
    message.events = events;
    size_t size = protobuf_c_message_get_packed_size (&message.base);
    uint8_t *data = malloc (size);
    assert_non_null (data);
    assert_int_equal (protobuf_c_message_pack (&message.base, data), size);
    /* The unknown fields are the test's own, not protobuf-c's to free */
    events[0]->base.n_unknown_fields = 0;
    events[0]->base.unknown_fields = NULL;
    events[1]->call->base.n_unknown_fields = 0;
    events[1]->call->base.unknown_fields = NULL;
    for (size_t i = 0; i < 2; i++)
        sp_event_destroy (&events[i]);
    ingest_request_t *request = ingest_request_new (data, size, &s_limits, TEST_NOW);
    free (data);
    assert_non_null (request);
    assert_int_equal (ingest_request_status (request), INGEST_STATUS_OK);
    assert_int_equal (ingest_request_outcome (request, 0), INGEST_OUTCOME_REJECTED);
    const sp_event_error_t *rejection = ingest_request_rejection (request, 0);
    assert_string_equal (rejection->field, "");
    assert_int_equal (rejection->reason, SALESPULSE__REJECT_REASON__REJECT_REASON_UNKNOWN_FIELD);
    assert_string_equal (rejection->message, "unknown field number 77 in salespulse.SalesEvent");
    assert_int_equal (ingest_request_outcome (request, 1), INGEST_OUTCOME_REJECTED);
    rejection = ingest_request_rejection (request, 1);
    assert_string_equal (rejection->message, "unknown field number 2 in salespulse.Call");
    ingest_request_destroy (&request);
}

static void
test_request_bad_requests (void **state)
{
    (void) state;
    const uint8_t garbage[] = { 0xff, 0xff, 0xff };
    ingest_request_t *request = ingest_request_new (garbage, sizeof garbage, &s_limits, TEST_NOW);
    assert_int_equal (ingest_request_status (request), INGEST_STATUS_BAD_REQUEST);
    assert_int_equal (ingest_request_event_count (request), 0);
    ingest_request_destroy (&request);

    request = ingest_request_new (NULL, 0, &s_limits, TEST_NOW);
    assert_int_equal (ingest_request_status (request), INGEST_STATUS_BAD_REQUEST);
    assert_string_equal (ingest_request_error (request), "request holds no events");
    ingest_request_destroy (&request);

    ingest_request_limits_t small = s_limits;
    small.max_events = 1;
    sp_event_t *events[2] = { s_event ("a:1", "x", 1), s_event ("a:2", "x", 1) };
    Salespulse__IngestRequest message = SALESPULSE__INGEST_REQUEST__INIT;
    message.request_id = 42;
    message.n_events = 2;
    message.events = events;
    uint8_t data[512];
    size_t size = protobuf_c_message_pack (&message.base, data);
    request = ingest_request_new (data, size, &small, TEST_NOW);
    assert_int_equal (ingest_request_status (request), INGEST_STATUS_BAD_REQUEST);
    assert_int_equal (ingest_request_id (request), 42);
    assert_string_equal (ingest_request_error (request), "request holds 2 events, the limit is 1");
    size_t reply_size = 0;
    uint8_t *reply_data = ingest_request_reply (request, &reply_size);
    Salespulse__IngestReply *reply = salespulse__ingest_reply__unpack (NULL, reply_size, reply_data);
    assert_int_equal (reply->request_id, 42);
    assert_int_equal (reply->status, INGEST_STATUS_BAD_REQUEST);
    assert_int_equal (reply->n_outcomes, 0);
    salespulse__ingest_reply__free_unpacked (reply, NULL);
    free (reply_data);
    ingest_request_destroy (&request);

    small.max_bytes = 10;
    request = ingest_request_new (data, size, &small, TEST_NOW);
    assert_int_equal (ingest_request_status (request), INGEST_STATUS_BAD_REQUEST);
    ingest_request_destroy (&request);

    /* A field IngestRequest does not have (number 9, varint 1) after valid
       events: the whole request is refused, naming it. */
    data[size] = (9 << 3) | 0;
    data[size + 1] = 1;
    request = ingest_request_new (data, size + 2, &s_limits, TEST_NOW);
    assert_int_equal (ingest_request_status (request), INGEST_STATUS_BAD_REQUEST);
    assert_int_equal (ingest_request_id (request), 42);
    assert_string_equal (ingest_request_error (request),
                         "unknown field number 9 in salespulse.IngestRequest");
    assert_int_equal (ingest_request_event_count (request), 0);
    ingest_request_destroy (&request);
    for (size_t i = 0; i < 2; i++)
        sp_event_destroy (&events[i]);

    request = ingest_request_new_refused (INGEST_STATUS_SHUTTING_DOWN, "bye");
    assert_int_equal (ingest_request_status (request), INGEST_STATUS_SHUTTING_DOWN);
    assert_string_equal (ingest_request_error (request), "bye");
    ingest_request_destroy (&request);
}

static void
test_batch_resolve (void **state)
{
    (void) state;
    /* Request 1: new a, new b (other customer), a again, rejected. */
    sp_event_t *first[4] = { s_event ("a", "acme", 1), s_event ("b", "globex", 1),
                             s_event ("a", "acme", 1), s_event ("bad", "acme", 0) };
    /* Request 2: a with other content, stored s (same), stored t (different), new c. */
    sp_event_t *second[4] = { s_event ("a", "acme", 2), s_event ("s", "acme", 1),
                              s_event ("t", "acme", 1), s_event ("c", "acme", 1) };
    ingest_request_t *one = s_request (1, first, 4);
    ingest_request_t *two = s_request (2, second, 4);
    ingest_batch_t *batch = ingest_batch_new ();
    assert_int_equal (ingest_batch_add (batch, &one), 0);
    assert_null (one);
    assert_int_equal (ingest_batch_add (batch, &two), 0);
    assert_int_equal (ingest_batch_event_count (batch), 8);
    assert_int_equal (ingest_batch_valid_count (batch), 7);

    uint32_t acme = sp_partition_of ("acme", 4, TEST_PARTITIONS);
    uint32_t globex = sp_partition_of ("globex", 6, TEST_PARTITIONS);
    uint32_t partitions[8];
    size_t count = ingest_batch_partitions (batch, partitions);
    assert_int_equal (count, acme == globex ? 1 : 2);
    if (count == 2)
        assert_true (partitions[0] < partitions[1]);

    ingest_batch_stored_t stored[2];
    memset (stored, 0, sizeof stored);
    ingest_request_t *request = ingest_batch_request (batch, 1);
    stored[0].event_id = "s";
    stored[0].partition = acme;
    stored[0].sequence = 4;
    memcpy (stored[0].hash, ingest_request_hash (request, 1), INGEST_DIGEST_SIZE);
    stored[1].event_id = "t";
    stored[1].partition = 3;
    stored[1].sequence = 9;
    uint64_t heads[TEST_PARTITIONS] = { 0 };
    heads[acme] = 5;
    assert_int_equal (ingest_batch_resolve (batch, stored, 2, heads), 0);

    request = ingest_batch_request (batch, 0);
    assert_int_equal (ingest_request_outcome (request, 0), INGEST_OUTCOME_ACCEPTED);
    assert_int_equal (ingest_request_sequence (request, 0), 6);
    assert_int_equal (ingest_request_outcome (request, 1), INGEST_OUTCOME_ACCEPTED);
    assert_int_equal (ingest_request_sequence (request, 1), acme == globex ? 7 : 1);
    assert_int_equal (ingest_request_outcome (request, 2), INGEST_OUTCOME_DUPLICATE);
    assert_int_equal (ingest_request_sequence (request, 2), 6);
    assert_int_equal (ingest_request_outcome (request, 3), INGEST_OUTCOME_REJECTED);
    request = ingest_batch_request (batch, 1);
    assert_int_equal (ingest_request_outcome (request, 0), INGEST_OUTCOME_CONFLICT);
    assert_int_equal (ingest_request_sequence (request, 0), 6);
    assert_int_equal (ingest_request_outcome (request, 1), INGEST_OUTCOME_DUPLICATE);
    assert_int_equal (ingest_request_sequence (request, 1), 4);
    assert_int_equal (ingest_request_outcome (request, 2), INGEST_OUTCOME_CONFLICT);
    assert_int_equal (ingest_request_stored_partition (request, 2), 3);
    assert_int_equal (ingest_request_sequence (request, 2), 9);
    assert_int_equal (ingest_request_outcome (request, 3), INGEST_OUTCOME_ACCEPTED);
    /* Gap-free: acme got 6, (7 if globex shares it), then c. */
    assert_int_equal (ingest_request_sequence (request, 3), acme == globex ? 8 : 7);
    assert_int_equal (heads[acme], acme == globex ? 8 : 7);

    ingest_batch_counts_t counts = ingest_batch_counts (batch);
    assert_int_equal (counts.accepted, 3);
    assert_int_equal (counts.duplicate, 2);
    assert_int_equal (counts.conflict, 2);
    assert_int_equal (counts.rejected, 1);

    /* A retried transaction starts from pending again. */
    ingest_batch_unresolve (batch);
    assert_int_equal (ingest_request_outcome (request, 0), INGEST_OUTCOME_PENDING);
    assert_int_equal (ingest_request_stored_partition (request, 2), acme);
    assert_int_equal (ingest_request_outcome (ingest_batch_request (batch, 0), 3),
                      INGEST_OUTCOME_REJECTED);

    ingest_batch_refuse (batch, INGEST_STATUS_UNAVAILABLE, "down");
    size_t size = 0;
    uint8_t *data = ingest_request_reply (request, &size);
    Salespulse__IngestReply *reply = salespulse__ingest_reply__unpack (NULL, size, data);
    assert_int_equal (reply->status, INGEST_STATUS_UNAVAILABLE);
    assert_string_equal (reply->error, "down");
    assert_int_equal (reply->n_outcomes, 0);
    salespulse__ingest_reply__free_unpacked (reply, NULL);
    free (data);
    ingest_request_t *taken = ingest_batch_take_request (batch, 0);
    ingest_request_destroy (&taken);
    ingest_batch_destroy (&batch);
    assert_null (batch);
}

static void
test_split_groups (void **state)
{
    (void) state;
    /* Events for customers in several partitions, one rejected. */
    const char *customers[] = { "acme", "globex", "initech", "umbrella", "hooli", "acme" };
    sp_event_t *events[7];
    for (size_t index = 0; index < 6; index++) {
        char id[16];
        snprintf (id, sizeof id, "e%zu", index < 5 ? index : 0); /* the last repeats e0 */
        events[index] = s_event (id, customers[index], 1);
    }
    events[6] = s_event ("bad", "acme", 0);
    ingest_request_t *request = s_request (1, events, 7);
    assert_int_equal (ingest_request_outcome (request, 6), INGEST_OUTCOME_REJECTED);
    const uint32_t groups = 2;
    uint64_t mask = ingest_request_split (request, groups);
    uint64_t expected = 0;
    for (size_t index = 0; index < 6; index++) {
        uint32_t group = ingest_request_partition (request, index) % groups;
        assert_int_equal (ingest_request_group (request, index), group);
        expected |= UINT64_C (1) << group;
    }
    /* The dead letter goes with the first valid event. */
    assert_int_equal (ingest_request_group (request, 6), ingest_request_group (request, 0));
    assert_int_equal (mask, expected);

    /* Each group's batch sees its own events only. */
    ingest_batch_t *batches[2] = { ingest_batch_new_group (0), ingest_batch_new_group (1) };
    size_t parts = 0;
    for (uint32_t group = 0; group < groups; group++) {
        if (!((mask >> group) & 1))
            continue;
        ingest_request_t *part = request;
        assert_int_equal (ingest_batch_add (batches[group], &part), 0);
        parts++;
    }
    ingest_request_set_parts (request, parts);
    size_t total = 0;
    uint64_t heads[TEST_PARTITIONS] = { 0 };
    for (uint32_t group = 0; group < groups; group++) {
        total += ingest_batch_event_count (batches[group]);
        uint32_t partitions[8];
        size_t count = ingest_batch_partitions (batches[group], partitions);
        for (size_t index = 0; index < count; index++)
            assert_int_equal (partitions[index] % groups, group);
        if (ingest_batch_request_count (batches[group]) > 0)
            assert_int_equal (ingest_batch_resolve (batches[group], NULL, 0, heads), 0);
    }
    assert_int_equal (total, 7);
    for (size_t index = 0; index < 6; index++)
        assert_int_equal (ingest_request_outcome (request, index),
                          index == 5 ? INGEST_OUTCOME_DUPLICATE : INGEST_OUTCOME_ACCEPTED);

    /* Unresolving one group leaves the other's outcomes alone. */
    uint32_t first = ingest_request_group (request, 0);
    ingest_request_unresolve_group (request, first);
    for (size_t index = 0; index < 6; index++)
        assert_int_equal (ingest_request_outcome (request, index) == INGEST_OUTCOME_PENDING,
                          ingest_request_group (request, index) == first);

    /* The parts' bookkeeping: a failed part is remembered. */
    if (parts == 2) {
        assert_int_equal (ingest_request_part_done (request, true), 1);
        assert_false (ingest_request_part_failed (request));
    }
    assert_int_equal (ingest_request_part_done (request, false), 0);
    assert_true (ingest_request_part_failed (request));
    assert_int_equal (ingest_request_part_committed (request), parts == 2);

    for (uint32_t group = 0; group < groups; group++)
        for (size_t index = 0; index < ingest_batch_request_count (batches[group]); index++)
            (void) ingest_batch_take_request (batches[group], index);
    ingest_batch_destroy (&batches[0]);
    ingest_batch_destroy (&batches[1]);
    ingest_request_destroy (&request);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_digest_vectors),
        cmocka_unit_test (test_copy_layout),
        cmocka_unit_test (test_copy_event_row),
        cmocka_unit_test (test_frame_shapes),
        cmocka_unit_test (test_request_validation_outcomes),
        cmocka_unit_test (test_request_limit_sources),
        cmocka_unit_test (test_request_refuses_nul_bytes),
        cmocka_unit_test (test_request_refuses_unknown_fields),
        cmocka_unit_test (test_request_bad_requests),
        cmocka_unit_test (test_batch_resolve),
        cmocka_unit_test (test_split_groups),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
