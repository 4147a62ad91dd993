/*  test_event_wire - sp_event_wire_validate: a NUL byte inside any string
    of a packed SalesEvent is refused as JSON refuses it (BAD_CHARSET,
    `field "<json path>": contains a NUL character`), body fields named
    as in JSON; a field the event or a sub-message does not define is
    refused (UNKNOWN_FIELD) naming its number and message; unreadable bytes
    are MALFORMED; a pass leaves *error untouched.
*/
#define _GNU_SOURCE /* memmem */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_event_wire.h"

#define R(name) SALESPULSE__REJECT_REASON__REJECT_REASON_##name
#define ERROR_FILL 0xAB /* pattern of an untouched error */
#define MARK 'X'        /* the byte turned into a NUL after packing */

/* A deal_won with a split, a margin and every string set. */
typedef struct {
    Salespulse__Money amount;
    Salespulse__Money margin;
    Salespulse__CreditSplit split;
    Salespulse__CreditSplit *split_list[1];
    Salespulse__DealWon deal_won;
    Salespulse__SalesEvent event;
} deal_t;

static void
s_deal (deal_t *deal)
{
    salespulse__money__init (&deal->amount);
    deal->amount.amount_minor = 100;
    deal->amount.currency = (char *) "USD";
    salespulse__money__init (&deal->margin);
    deal->margin.amount_minor = 10;
    deal->margin.currency = (char *) "UXD";
    salespulse__credit_split__init (&deal->split);
    deal->split.rep_id = (char *) "rep-aXa";
    deal->split.share_basis_points = 10000;
    deal->split_list[0] = &deal->split;
    salespulse__deal_won__init (&deal->deal_won);
    deal->deal_won.amount = &deal->amount;
    deal->deal_won.margin = &deal->margin;
    deal->deal_won.product = (char *) "pulseXpro";
    deal->deal_won.n_splits = 1;
    deal->deal_won.splits = deal->split_list;
    salespulse__sales_event__init (&deal->event);
    deal->event.event_id = (char *) "nul:2X/evil";
    deal->event.source = (char *) "crm";
    deal->event.type = SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON;
    deal->event.occurred_at = 1;
    deal->event.rep_id = (char *) "rep-a";
    deal->event.customer_id = (char *) "abXcd";
    deal->event.opportunity_id = (char *) "opp-1";
    deal->event.body_case = SALESPULSE__SALES_EVENT__BODY_DEAL_WON;
    deal->event.deal_won = &deal->deal_won;
}

/* The deal packed, the first MARK after needle (NULL: none) made a NUL,
   then judged: the refusal must be field/reason/message. */
static void
s_expect (const char *needle, const char *field, sp_event_reason_t reason, const char *message)
{
    deal_t deal;
    s_deal (&deal);
    size_t size = protobuf_c_message_get_packed_size (&deal.event.base);
    uint8_t *data = malloc (size);
    assert_non_null (data);
    assert_int_equal (protobuf_c_message_pack (&deal.event.base, data), size);
    sp_event_error_t error, untouched;
    memset (&error, ERROR_FILL, sizeof error);
    memset (&untouched, ERROR_FILL, sizeof untouched);
    if (!needle) {
        assert_int_equal (sp_event_wire_validate (data, size, &error), 0);
        assert_memory_equal (&error, &untouched, sizeof error);
        free (data);
        return;
    }
    uint8_t *at = memmem (data, size, needle, strlen (needle));
    assert_non_null (at);
    uint8_t *mark = memchr (at, MARK, size - (size_t) (at - data));
    assert_non_null (mark);
    *mark = '\0';
    assert_int_equal (sp_event_wire_validate (data, size, &error), -1);
    assert_string_equal (error.field, field);
    assert_int_equal (error.reason, reason);
    assert_string_equal (error.message, message);
    assert_int_equal (sp_event_wire_validate (data, size, NULL), -1);
    free (data);
}

static void
test_nul_bytes_refused (void **state)
{
    (void) state;
    s_expect (NULL, NULL, 0, NULL);
    s_expect ("nul:2", "event_id", R (BAD_CHARSET), "field \"event_id\": contains a NUL character");
    s_expect ("ab", "customer_id", R (BAD_CHARSET),
              "field \"customer_id\": contains a NUL character");
    s_expect ("pulse", "product", R (BAD_CHARSET), "field \"product\": contains a NUL character");
    s_expect ("rep-aX", "splits[0].rep_id", R (BAD_CHARSET),
              "field \"splits[0].rep_id\": contains a NUL character");
    s_expect ("UX", "margin.currency", R (BAD_CHARSET),
              "field \"margin.currency\": contains a NUL character");
}

/* The deal with one unknown field (number, a varint) in message. */
static void
s_expect_unknown (deal_t *deal, ProtobufCMessage *message, uint32_t number, const char *field,
                  const char *text)
{
    uint8_t value = 1;
    ProtobufCMessageUnknownField unknown = { number, PROTOBUF_C_WIRE_TYPE_VARINT, 1, &value };
    message->n_unknown_fields = 1;
    message->unknown_fields = &unknown;
    size_t size = protobuf_c_message_get_packed_size (&deal->event.base);
    uint8_t *data = malloc (size);
    assert_non_null (data);
    assert_int_equal (protobuf_c_message_pack (&deal->event.base, data), size);
    sp_event_error_t error;
    assert_int_equal (sp_event_wire_validate (data, size, &error), -1);
    assert_int_equal (error.reason, R (UNKNOWN_FIELD));
    assert_string_equal (error.field, field);
    assert_string_equal (error.message, text);
    free (data);
    message->n_unknown_fields = 0;
    message->unknown_fields = NULL;
}

static void
test_unknown_fields_refused (void **state)
{
    (void) state;
    deal_t deal;
    s_deal (&deal);
    deal.event.event_id = (char *) "ok:1";
    deal.event.customer_id = (char *) "acme";
    deal.deal_won.product = (char *) "pulse";
    deal.split.rep_id = (char *) "rep-a";
    deal.margin.currency = (char *) "USD";
    s_expect_unknown (&deal, &deal.event.base, 77, "",
                      "unknown field number 77 in salespulse.SalesEvent");
    s_expect_unknown (&deal, &deal.deal_won.base, 9, "",
                      "unknown field number 9 in salespulse.DealWon");
    s_expect_unknown (&deal, &deal.margin.base, 3, "margin",
                      "field \"margin\": unknown field number 3 in salespulse.Money");
    s_expect_unknown (&deal, &deal.split.base, 4, "splits[0]",
                      "field \"splits[0]\": unknown field number 4 in salespulse.CreditSplit");
}

static void
test_unreadable_bytes_refused (void **state)
{
    (void) state;
    const uint8_t cut[] = { 0x0A, 0x05, 'a' };
    sp_event_error_t error;
    assert_int_equal (sp_event_wire_validate (cut, sizeof cut, &error), -1);
    assert_int_equal (error.reason, R (MALFORMED));
    assert_string_equal (error.field, "");
    assert_string_equal (error.message, "not a valid salespulse.SalesEvent encoding");
    assert_int_equal (sp_event_wire_validate (NULL, 0, &error), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_nul_bytes_refused),
        cmocka_unit_test (test_unknown_fields_refused),
        cmocka_unit_test (test_unreadable_bytes_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
