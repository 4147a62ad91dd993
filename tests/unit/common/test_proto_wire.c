/*  test_proto_wire - sp_proto_wire: the field reader (every wire type,
    truncations, bad tags, groups) and the walk (a NUL byte in a string at
    the top, in a sub-message, in a repeated sub-message, a string sent
    twice; a field the message does not define, at every level; bytes it
    cannot read), on bytes packed by protobuf-c from the
    real SalesEvent and patched where a test needs what protobuf-c would
    never write.
*/
#define _GNU_SOURCE /* memmem */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.pb-c.h"
#include "sp_proto_wire.h"

#define MARK 'X' /* the byte a test turns into a NUL after packing */

/* Packs message into a new buffer and turns the first MARK of the bytes
   that follow needle (NULL: no patch) into a NUL. */
static uint8_t *
s_pack (const ProtobufCMessage *message, const char *needle, size_t *size)
{
    *size = protobuf_c_message_get_packed_size (message);
    uint8_t *data = malloc (*size + 1);
    assert_non_null (data);
    assert_int_equal (protobuf_c_message_pack (message, data), *size);
    if (needle) {
        uint8_t *at = memmem (data, *size, needle, strlen (needle));
        assert_non_null (at);
        uint8_t *mark = memchr (at, MARK, *size - (size_t) (at - data));
        assert_non_null (mark);
        *mark = '\0';
    }
    return data;
}

static void
test_next_reads_every_wire_type (void **state)
{
    (void) state;
    // clang-format off
    const uint8_t data[] = {
        0x08, 0x96, 0x01,                                     /* 1: varint 150 */
        0x11, 1, 2, 3, 4, 5, 6, 7, 8,                         /* 2: 64-bit */
        0x1A, 0x02, 'h', 'i',                                 /* 3: "hi" */
        0x25, 1, 2, 3, 4,                                     /* 4: 32-bit */
        0x80, 0x01, 0x00,                                     /* 16: varint 0 (two-byte tag) */
    };
    // clang-format on
    size_t offset = 0;
    sp_proto_wire_field_t field;
    const uint32_t numbers[] = { 1, 2, 3, 4, 16 };
    const ProtobufCWireType types[] = { PROTOBUF_C_WIRE_TYPE_VARINT, PROTOBUF_C_WIRE_TYPE_64BIT,
                                        PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
                                        PROTOBUF_C_WIRE_TYPE_32BIT, PROTOBUF_C_WIRE_TYPE_VARINT };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        assert_int_equal (sp_proto_wire_next (data, sizeof data, &offset, &field), 1);
        assert_int_equal (field.number, numbers[i]);
        assert_int_equal (field.wire_type, types[i]);
        if (numbers[i] == 3) {
            assert_int_equal (field.length, 2);
            assert_memory_equal (field.data, "hi", 2);
        }
        else
            assert_int_equal (field.length, 0);
    }
    assert_int_equal (offset, sizeof data);
    assert_int_equal (sp_proto_wire_next (data, sizeof data, &offset, &field), 0);
    assert_int_equal (sp_proto_wire_next (NULL, 0, &(size_t){ 0 }, &field), 0);
}

static void
test_next_refuses_bad_bytes (void **state)
{
    (void) state;
    const struct {
        uint8_t bytes[12];
        size_t size;
    } cases[] = {
        // clang-format off
        { { 0x08 }, 1 },                         /* varint value missing */
        { { 0x08, 0x80 }, 2 },                   /* varint value cut */
        { { 0x11, 1, 2, 3 }, 4 },                /* 64-bit cut */
        { { 0x25, 1, 2 }, 3 },                   /* 32-bit cut */
        { { 0x1A, 0x05, 'a' }, 3 },              /* length past the end */
        { { 0x1A }, 1 },                         /* length missing */
        { { 0x00, 0x00 }, 2 },                   /* field number 0 */
        { { 0x0B, 0x0C }, 2 },                   /* a group (3, 4) */
        { { 0x0E, 0x00 }, 2 },                   /* wire type 6 */
        { { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, 11 }, /* tag varint too long */
        // clang-format on
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t offset = 0;
        sp_proto_wire_field_t field;
        assert_int_equal (sp_proto_wire_next (cases[i].bytes, cases[i].size, &offset, &field), -1);
    }
}

/* A deal_won with two splits, every string set. */
typedef struct {
    Salespulse__Money amount;
    Salespulse__CreditSplit splits[2];
    Salespulse__CreditSplit *split_list[2];
    Salespulse__DealWon deal_won;
    Salespulse__SalesEvent event;
} deal_t;

static void
s_deal (deal_t *deal)
{
    salespulse__money__init (&deal->amount);
    deal->amount.amount_minor = 100;
    deal->amount.currency = (char *) "USD";
    for (size_t i = 0; i < 2; i++) {
        salespulse__credit_split__init (&deal->splits[i]);
        deal->splits[i].rep_id = (char *) (i == 0 ? "rep-a" : "rep-bXb");
        deal->splits[i].share_basis_points = 5000;
        deal->split_list[i] = &deal->splits[i];
    }
    salespulse__deal_won__init (&deal->deal_won);
    deal->deal_won.amount = &deal->amount;
    deal->deal_won.product = (char *) "pulseXpro";
    deal->deal_won.n_splits = 2;
    deal->deal_won.splits = deal->split_list;
    salespulse__sales_event__init (&deal->event);
    deal->event.event_id = (char *) "nul:2X/evil";
    deal->event.source = (char *) "crm";
    deal->event.type = SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON;
    deal->event.occurred_at = 1;
    deal->event.customer_id = (char *) "abXcd";
    deal->event.body_case = SALESPULSE__SALES_EVENT__BODY_DEAL_WON;
    deal->event.deal_won = &deal->deal_won;
}

/* Checks the deal's bytes with the MARK after needle turned into a NUL. */
static void
s_expect (const char *needle, sp_proto_wire_problem_t problem, const char *path, uint32_t number)
{
    deal_t deal;
    s_deal (&deal);
    size_t size;
    uint8_t *data = s_pack (&deal.event.base, needle, &size);
    sp_proto_wire_finding_t finding;
    assert_int_equal (
        sp_proto_wire_check (&salespulse__sales_event__descriptor, data, size, &finding),
        problem == SP_PROTO_WIRE_OK ? 0 : -1);
    assert_int_equal (finding.problem, problem);
    assert_string_equal (finding.path, path);
    assert_int_equal (finding.number, number);
    free (data);
}

static void
test_check_finds_nul_bytes (void **state)
{
    (void) state;
    //  'X' stays a letter: nothing to find
    s_expect (NULL, SP_PROTO_WIRE_OK, "", 0);
    s_expect ("nul:2", SP_PROTO_WIRE_NUL, "event_id", 1);
    s_expect ("ab", SP_PROTO_WIRE_NUL, "customer_id", 8);
    s_expect ("pulse", SP_PROTO_WIRE_NUL, "deal_won.product", 3);
    s_expect ("rep-b", SP_PROTO_WIRE_NUL, "deal_won.splits[1].rep_id", 1);
    //  "USD" has no X: a NUL put into the currency by hand
    deal_t deal;
    s_deal (&deal);
    deal.amount.currency = (char *) "UXD";
    size_t size;
    uint8_t *data = s_pack (&deal.event.base, "UX", &size);
    sp_proto_wire_finding_t finding;
    assert_int_equal (
        sp_proto_wire_check (&salespulse__sales_event__descriptor, data, size, &finding), -1);
    assert_int_equal (finding.problem, SP_PROTO_WIRE_NUL);
    assert_string_equal (finding.path, "deal_won.amount.currency");
    free (data);
}

/* A string sent twice: protobuf-c keeps the last one, the walk looks at
   both. Bytes of other types are left alone. */
static void
test_check_every_occurrence (void **state)
{
    (void) state;
    const uint8_t twice[] = { 0x42, 0x02, 'a', 0x00, 0x42, 0x02, 'o', 'k' }; /* customer_id x2 */
    sp_proto_wire_finding_t finding;
    assert_int_equal (
        sp_proto_wire_check (&salespulse__sales_event__descriptor, twice, sizeof twice, &finding),
        -1);
    assert_string_equal (finding.path, "customer_id");
    Salespulse__SalesEvent *event = salespulse__sales_event__unpack (NULL, sizeof twice, twice);
    assert_non_null (event);
    assert_string_equal (event->customer_id, "ok"); /* what protobuf-c alone would keep */
    salespulse__sales_event__free_unpacked (event, NULL);

    const uint8_t other[] = { 0x20, 0x00, 0x18, 0x08 }; /* occurred_at 0, type 8 */
    assert_int_equal (
        sp_proto_wire_check (&salespulse__sales_event__descriptor, other, sizeof other, &finding),
        0);
    assert_int_equal (finding.problem, SP_PROTO_WIRE_OK);
    assert_int_equal (sp_proto_wire_check (&salespulse__sales_event__descriptor, NULL, 0, &finding),
                      0);
}

/* The walk of deal with one unknown field (number, a varint 5) added to
   message by protobuf-c's own unknown_fields, which it packs verbatim. */
static void
s_expect_unknown (ProtobufCMessage *message, deal_t *deal, uint32_t number, const char *path,
                  const ProtobufCMessageDescriptor *holder)
{
    uint8_t value = 5;
    ProtobufCMessageUnknownField unknown = { number, PROTOBUF_C_WIRE_TYPE_VARINT, 1, &value };
    message->n_unknown_fields = 1;
    message->unknown_fields = &unknown;
    size_t size;
    uint8_t *data = s_pack (&deal->event.base, NULL, &size);
    sp_proto_wire_finding_t finding;
    assert_int_equal (
        sp_proto_wire_check (&salespulse__sales_event__descriptor, data, size, &finding), -1);
    assert_int_equal (finding.problem, SP_PROTO_WIRE_UNKNOWN_FIELD);
    assert_int_equal (finding.number, number);
    assert_string_equal (finding.path, path);
    assert_ptr_equal (finding.descriptor, holder);
    //  protobuf-c alone reads it and keeps it
    Salespulse__SalesEvent *event = salespulse__sales_event__unpack (NULL, size, data);
    assert_non_null (event);
    salespulse__sales_event__free_unpacked (event, NULL);
    free (data);
    message->n_unknown_fields = 0;
    message->unknown_fields = NULL;
}

/* A field number the message does not define, at every level, is found
   with the path of the message holding it (protobuf-c would keep it and
   pack it again). */
static void
test_check_finds_unknown_fields (void **state)
{
    (void) state;
    deal_t deal;
    s_deal (&deal);
    deal.event.event_id = (char *) "ok:1";
    deal.event.customer_id = (char *) "acme";
    deal.deal_won.product = (char *) "pulse";
    deal.splits[1].rep_id = (char *) "rep-b";
    s_expect_unknown (&deal.event.base, &deal, 77, "", &salespulse__sales_event__descriptor);
    s_expect_unknown (&deal.deal_won.base, &deal, 9, "deal_won", &salespulse__deal_won__descriptor);
    s_expect_unknown (&deal.amount.base, &deal, 3, "deal_won.amount",
                      &salespulse__money__descriptor);
    s_expect_unknown (&deal.splits[1].base, &deal, 3, "deal_won.splits[1]",
                      &salespulse__credit_split__descriptor);
    //  Before the unknown field in wire order, a NUL byte wins
    const uint8_t both[] = { 0x42, 0x01, 0x00, 0xE8, 0x04, 0x01 }; /* customer_id "\0", 77: 1 */
    sp_proto_wire_finding_t finding;
    assert_int_equal (
        sp_proto_wire_check (&salespulse__sales_event__descriptor, both, sizeof both, &finding),
        -1);
    assert_int_equal (finding.problem, SP_PROTO_WIRE_NUL);
    assert_int_equal (
        sp_proto_wire_check (&salespulse__sales_event__descriptor, both + 3, 3, &finding), -1);
    assert_int_equal (finding.problem, SP_PROTO_WIRE_UNKNOWN_FIELD);
    assert_int_equal (finding.number, 77);
}

static void
test_check_refuses_unreadable_bytes (void **state)
{
    (void) state;
    sp_proto_wire_finding_t finding;
    const uint8_t cut[] = { 0x0A, 0x05, 'a' };
    assert_int_equal (
        sp_proto_wire_check (&salespulse__sales_event__descriptor, cut, sizeof cut, &finding), -1);
    assert_int_equal (finding.problem, SP_PROTO_WIRE_MALFORMED);
    //  A string sent as a varint
    const uint8_t varint[] = { 0x40, 0x01 };
    assert_int_equal (
        sp_proto_wire_check (&salespulse__sales_event__descriptor, varint, sizeof varint, &finding),
        -1);
    assert_int_equal (finding.problem, SP_PROTO_WIRE_MALFORMED);
    assert_string_equal (finding.path, "customer_id");
    //  Inside a sub-message: deal_won (27) holding a cut field
    const uint8_t inner[] = { 0xDA, 0x01, 0x02, 0x1A, 0x05 };
    assert_int_equal (
        sp_proto_wire_check (&salespulse__sales_event__descriptor, inner, sizeof inner, &finding),
        -1);
    assert_int_equal (finding.problem, SP_PROTO_WIRE_MALFORMED);
    assert_string_equal (finding.path, "deal_won");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_next_reads_every_wire_type),
        cmocka_unit_test (test_next_refuses_bad_bytes),
        cmocka_unit_test (test_check_finds_nul_bytes),
        cmocka_unit_test (test_check_every_occurrence),
        cmocka_unit_test (test_check_finds_unknown_fields),
        cmocka_unit_test (test_check_refuses_unreadable_bytes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
