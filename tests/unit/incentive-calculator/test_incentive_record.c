/*  test_incentive_record - the byte form of incentive-calculator's
    records (credit, first-won logo, cancellation), the (occurred_at,
    event id) ordering rule and the cut of a cancellation's reason
    (incentive_record).

    Every record is packed and read back field by field; every prefix of
    a packed record, a trailing byte, each other kind byte, another
    version byte and out-of-range fields are refused with the record left
    untouched (checked against a fill pattern). Reasons are cut to 255
    bytes at a whole UTF-8 character, worked out by hand per case.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "incentive_record.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define FILL 0x5a                           /* pattern of an output before a call that must fail */
#define JAN_10_2025 INT64_C (1736467200000) /* 2025-01-10T00:00:00Z */

/* Layout facts the tests rely on: byte 0 is the kind, byte 1 the version. */
#define KIND_BYTE 0
#define VERSION_BYTE 1

// ---------------------------------------------------------------- helpers

/* A string of length bytes of c (length < size). */
static void
s_repeat (char *text, size_t size, char c, size_t length)
{
    assert_true (length < size);
    memset (text, c, length);
    text[length] = '\0';
}

/* Appends tail to text (size bytes, asserted to fit). */
static void
s_append (char *text, size_t size, const char *tail)
{
    size_t used = strlen (text);
    size_t length = strlen (tail);
    assert_true (used + length < size);
    memcpy (text + used, tail, length + 1);
}

static incentive_record_credit_t
s_credit (void)
{
    incentive_record_credit_t credit;
    memset (&credit, 0, sizeof credit);
    snprintf (credit.event_id, sizeof credit.event_id, "evt-won-1");
    snprintf (credit.rep, sizeof credit.rep, "rep-ana");
    credit.occurred_at = JAN_10_2025;
    snprintf (credit.deal, sizeof credit.deal, "opp-7");
    snprintf (credit.customer, sizeof credit.customer, "cust-42");
    snprintf (credit.currency, sizeof credit.currency, "USD");
    credit.credit_bp = 6000;
    credit.deal_amount = 2400000;
    credit.revenue = 1440000;
    credit.has_margin = true;
    credit.margin = -30001;
    return credit;
}

static incentive_record_cancel_t
s_cancel (void)
{
    incentive_record_cancel_t cancel;
    memset (&cancel, 0, sizeof cancel);
    snprintf (cancel.event_id, sizeof cancel.event_id, "evt-cancel-1");
    snprintf (cancel.won_event_id, sizeof cancel.won_event_id, "evt-won-1");
    cancel.occurred_at = JAN_10_2025 + 1;
    snprintf (cancel.reason, sizeof cancel.reason, "budget frozen \xc3\xa9t\xc3\xa9");
    return cancel;
}

static void
s_assert_credit_equal (const incentive_record_credit_t *a, const incentive_record_credit_t *b)
{
    assert_string_equal (a->event_id, b->event_id);
    assert_string_equal (a->rep, b->rep);
    assert_int_equal (a->occurred_at, b->occurred_at);
    assert_string_equal (a->deal, b->deal);
    assert_string_equal (a->customer, b->customer);
    assert_string_equal (a->currency, b->currency);
    assert_int_equal (a->partition, b->partition);
    assert_int_equal (a->credit_bp, b->credit_bp);
    assert_int_equal (a->deal_amount, b->deal_amount);
    assert_int_equal (a->revenue, b->revenue);
    assert_int_equal (a->has_margin, b->has_margin);
    assert_int_equal (a->margin, b->margin);
}

/* The credit unpack refuses data and leaves the record as it was. */
static void
s_credit_refused (const char *data, size_t length)
{
    incentive_record_credit_t credit;
    memset (&credit, FILL, sizeof credit);
    incentive_record_credit_t before = credit;
    assert_int_equal (incentive_record_credit_unpack (data, length, &credit), -1);
    assert_memory_equal (&credit, &before, sizeof credit);
    /* read in place: refused alike (the record is then partly written) */
    assert_int_equal (incentive_record_credit_unpack_in_place (data, length, &credit), -1);
}

static void
s_logo_refused (const char *data, size_t length)
{
    incentive_record_logo_t logo;
    memset (&logo, FILL, sizeof logo);
    incentive_record_logo_t before = logo;
    assert_int_equal (incentive_record_logo_unpack (data, length, &logo), -1);
    assert_memory_equal (&logo, &before, sizeof logo);
}

static void
s_cancel_refused (const char *data, size_t length)
{
    incentive_record_cancel_t cancel;
    memset (&cancel, FILL, sizeof cancel);
    incentive_record_cancel_t before = cancel;
    assert_int_equal (incentive_record_cancel_unpack (data, length, &cancel), -1);
    assert_memory_equal (&cancel, &before, sizeof cancel);
}

/* Every strict prefix of a packed record, and the record with one byte
   more, are refused by refuse. */
static void
s_truncations_refused (const char *packed, size_t length, void (*refuse) (const char *, size_t))
{
    for (size_t prefix = 0; prefix < length; prefix++)
        refuse (prefix ? packed : NULL, prefix);
    char longer[INCENTIVE_RECORD_PACKED_MAX + 1];
    assert_true (length < sizeof longer);
    memcpy (longer, packed, length);
    longer[length] = 0;
    refuse (longer, length + 1);
}

// ---------------------------------------------------------------- credit

static void
test_credit_round_trip (void **state)
{
    (void) state;
    incentive_record_credit_t credit = s_credit ();
    char packed[INCENTIVE_RECORD_PACKED_MAX];
    size_t length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    assert_true (length > 2);
    assert_int_equal (packed[KIND_BYTE], 'C');
    incentive_record_credit_t read;
    memset (&read, FILL, sizeof read);
    assert_int_equal (incentive_record_credit_unpack (packed, length, &read), 0);
    s_assert_credit_equal (&read, &credit);

    /* No margin, no customer, the extremes of the share. */
    credit.has_margin = false;
    credit.margin = 0;
    credit.customer[0] = '\0';
    credit.credit_bp = 10000;
    length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    assert_int_equal (incentive_record_credit_unpack (packed, length, &read), 0);
    s_assert_credit_equal (&read, &credit);
    credit.credit_bp = 1;
    length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    assert_int_equal (incentive_record_credit_unpack (packed, length, &read), 0);
    assert_int_equal (read.credit_bp, 1);

    /* The partition is not stored: the reader sets it. */
    credit.partition = 17;
    length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    assert_int_equal (incentive_record_credit_unpack (packed, length, &read), 0);
    assert_int_equal (read.partition, 0);

    /* Every field at its longest, and extreme integers. */
    credit = s_credit ();
    s_repeat (credit.event_id, sizeof credit.event_id, 'e', INCENTIVE_RECORD_REF_SIZE - 1);
    s_repeat (credit.rep, sizeof credit.rep, 'r', INCENTIVE_RECORD_REP_SIZE - 1);
    s_repeat (credit.deal, sizeof credit.deal, 'd', INCENTIVE_RECORD_REF_SIZE - 1);
    s_repeat (credit.customer, sizeof credit.customer, 'c', INCENTIVE_RECORD_REF_SIZE - 1);
    credit.occurred_at = INT64_MIN;
    credit.deal_amount = INT64_MAX;
    credit.revenue = -1;
    credit.margin = INT64_MIN;
    length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    assert_true (length > 0 && length <= INCENTIVE_RECORD_PACKED_MAX);
    memset (&read, FILL, sizeof read);
    assert_int_equal (incentive_record_credit_unpack (packed, length, &read), 0);
    s_assert_credit_equal (&read, &credit);
}

/* Read in place, into a record full of other bytes and into one read
   before, a credit gives every field unpack gives. */
static void
test_credit_in_place (void **state)
{
    (void) state;
    incentive_record_credit_t credits[3] = { s_credit (), s_credit (), s_credit () };
    credits[1].has_margin = false;
    credits[1].margin = 0;
    credits[1].customer[0] = '\0';
    credits[1].credit_bp = 10000;
    credits[1].partition = 17; /* not stored: read as 0 */
    s_repeat (credits[2].event_id, sizeof credits[2].event_id, 'e', INCENTIVE_RECORD_REF_SIZE - 1);
    s_repeat (credits[2].customer, sizeof credits[2].customer, 'c', INCENTIVE_RECORD_REF_SIZE - 1);
    credits[2].occurred_at = INT64_MIN;
    credits[2].margin = INT64_MIN;
    incentive_record_credit_t in_place;
    memset (&in_place, FILL, sizeof in_place);
    for (size_t index = 0; index < COUNT (credits); index++) {
        char packed[INCENTIVE_RECORD_PACKED_MAX];
        size_t length = incentive_record_credit_pack (&credits[index], packed, sizeof packed);
        assert_true (length > 0);
        incentive_record_credit_t unpacked;
        assert_int_equal (incentive_record_credit_unpack (packed, length, &unpacked), 0);
        assert_int_equal (incentive_record_credit_unpack_in_place (packed, length, &in_place), 0);
        s_assert_credit_equal (&in_place, &unpacked);
        assert_int_equal (in_place.partition, 0);
    }
}

/* A credit of its customer's first won deal (as written) is kind 'N'
   and reads back marked; one without the mark is kind 'C'. */
static void
test_credit_new_logo (void **state)
{
    (void) state;
    incentive_record_credit_t credit = s_credit ();
    credit.new_logo = true;
    char packed[INCENTIVE_RECORD_PACKED_MAX];
    size_t length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    assert_true (length > 2);
    assert_int_equal (packed[KIND_BYTE], 'N');
    incentive_record_credit_t read;
    memset (&read, FILL, sizeof read);
    assert_int_equal (incentive_record_credit_unpack (packed, length, &read), 0);
    s_assert_credit_equal (&read, &credit);
    assert_true (read.new_logo);
    memset (&read, FILL, sizeof read);
    assert_int_equal (incentive_record_credit_unpack_in_place (packed, length, &read), 0);
    s_assert_credit_equal (&read, &credit);
    assert_true (read.new_logo);
    s_truncations_refused (packed, length, s_credit_refused);
    credit.new_logo = false;
    length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    assert_int_equal (packed[KIND_BYTE], 'C');
    assert_int_equal (incentive_record_credit_unpack (packed, length, &read), 0);
    assert_false (read.new_logo);
}

static void
test_credit_refused (void **state)
{
    (void) state;
    incentive_record_credit_t credit = s_credit ();
    char packed[INCENTIVE_RECORD_PACKED_MAX];
    size_t length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    assert_true (length > 0);
    s_truncations_refused (packed, length, s_credit_refused);

    /* Another kind byte, or a version not known. */
    char garbled[INCENTIVE_RECORD_PACKED_MAX];
    const char kinds[] = { 'L', 'X', 'c', 0, (char) 0xff };
    for (size_t index = 0; index < COUNT (kinds); index++) {
        memcpy (garbled, packed, length);
        garbled[KIND_BYTE] = kinds[index];
        s_credit_refused (garbled, length);
    }
    memcpy (garbled, packed, length);
    garbled[VERSION_BYTE] = 2;
    s_credit_refused (garbled, length);
    memcpy (garbled, packed, length);
    garbled[VERSION_BYTE] = 0;
    s_credit_refused (garbled, length);

    /* A string length byte beyond the rest of the record (the event id's,
       right after the head). */
    memcpy (garbled, packed, length);
    garbled[2] = (char) 0xff;
    s_credit_refused (garbled, length);

    /* A margin flag that is neither 0 nor 1: it is the byte before the
       last 8 (the margin). */
    memcpy (garbled, packed, length);
    garbled[length - 9] = 2;
    s_credit_refused (garbled, length);
    garbled[length - 9] = 0; /* 0 is a valid flag: read back without margin */
    incentive_record_credit_t read;
    assert_int_equal (incentive_record_credit_unpack (garbled, length, &read), 0);
    assert_false (read.has_margin);

    /* Shares outside 1..10,000, an empty event id, an empty rep. */
    const int32_t shares[] = { 0, 10001, 65535 };
    for (size_t index = 0; index < COUNT (shares); index++) {
        credit = s_credit ();
        credit.credit_bp = shares[index];
        length = incentive_record_credit_pack (&credit, packed, sizeof packed);
        assert_true (length > 0);
        s_credit_refused (packed, length);
    }
    credit = s_credit ();
    credit.event_id[0] = '\0';
    length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    s_credit_refused (packed, length);
    credit = s_credit ();
    credit.rep[0] = '\0';
    length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    s_credit_refused (packed, length);

    /* A logo or a cancellation is not a credit. */
    incentive_record_logo_t logo = { .occurred_at = 1, .event_id = "evt-1" };
    length = incentive_record_logo_pack (&logo, packed, sizeof packed);
    s_credit_refused (packed, length);
    incentive_record_cancel_t cancel = s_cancel ();
    length = incentive_record_cancel_pack (&cancel, packed, sizeof packed);
    s_credit_refused (packed, length);
}

/* A buffer one byte short gives 0; the exact size fits. */
static void
test_pack_does_not_fit (void **state)
{
    (void) state;
    char packed[INCENTIVE_RECORD_PACKED_MAX];
    char small[INCENTIVE_RECORD_PACKED_MAX];
    incentive_record_credit_t credit = s_credit ();
    size_t length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    assert_int_equal (incentive_record_credit_pack (&credit, small, length - 1), 0);
    assert_int_equal (incentive_record_credit_pack (&credit, small, length), length);
    assert_memory_equal (small, packed, length);
    assert_int_equal (incentive_record_credit_pack (&credit, small, 0), 0);

    incentive_record_logo_t logo = { .occurred_at = 5, .event_id = "evt-5" };
    length = incentive_record_logo_pack (&logo, packed, sizeof packed);
    assert_int_equal (incentive_record_logo_pack (&logo, small, length - 1), 0);
    assert_int_equal (incentive_record_logo_pack (&logo, small, length), length);

    incentive_record_cancel_t cancel = s_cancel ();
    length = incentive_record_cancel_pack (&cancel, packed, sizeof packed);
    assert_int_equal (incentive_record_cancel_pack (&cancel, small, length - 1), 0);
    assert_int_equal (incentive_record_cancel_pack (&cancel, small, length), length);
}

// ---------------------------------------------------------------- won

static void
s_won_refused (const char *data, size_t length)
{
    incentive_record_won_t won;
    memset (&won, FILL, sizeof won);
    incentive_record_won_t before = won;
    assert_int_equal (incentive_record_won_unpack (data, length, &won), -1);
    assert_memory_equal (&won, &before, sizeof won);
}

/* A won deal's time, id and reps: one rep, and the most reps at their
   longest (more than INCENTIVE_RECORD_PACKED_MAX bytes). */
static void
test_won (void **state)
{
    (void) state;
    incentive_record_won_t won;
    memset (&won, 0, sizeof won);
    won.occurred_at = JAN_10_2025;
    snprintf (won.event_id, sizeof won.event_id, "evt-won-1");
    won.rep_count = 1;
    snprintf (won.reps[0], sizeof won.reps[0], "rep-ana");
    char packed[INCENTIVE_RECORD_WON_PACKED_MAX];
    size_t length = incentive_record_won_pack (&won, packed, sizeof packed);
    assert_true (length > 2);
    assert_int_equal (packed[KIND_BYTE], 'W');
    incentive_record_won_t read;
    memset (&read, FILL, sizeof read);
    assert_int_equal (incentive_record_won_unpack (packed, length, &read), 0);
    assert_int_equal (read.occurred_at, JAN_10_2025);
    assert_string_equal (read.event_id, "evt-won-1");
    assert_int_equal (read.rep_count, 1);
    assert_string_equal (read.reps[0], "rep-ana");
    s_truncations_refused (packed, length, s_won_refused);

    s_repeat (won.event_id, sizeof won.event_id, 'w', INCENTIVE_RECORD_REF_SIZE - 1);
    won.rep_count = INCENTIVE_RECORD_REPS_MAX;
    for (size_t index = 0; index < won.rep_count; index++) {
        s_repeat (won.reps[index], sizeof won.reps[index], 'r', INCENTIVE_RECORD_REP_SIZE - 1);
        won.reps[index][0] = (char) ('a' + index);
    }
    length = incentive_record_won_pack (&won, packed, sizeof packed);
    assert_true (length > INCENTIVE_RECORD_PACKED_MAX);
    assert_int_equal (incentive_record_won_pack (&won, packed, length - 1), 0);
    memset (&read, FILL, sizeof read);
    assert_int_equal (incentive_record_won_unpack (packed, length, &read), 0);
    assert_int_equal (read.rep_count, INCENTIVE_RECORD_REPS_MAX);
    for (size_t index = 0; index < won.rep_count; index++)
        assert_string_equal (read.reps[index], won.reps[index]);
    assert_string_equal (read.event_id, won.event_id);

    /* no rep, more than the most, an empty rep, an empty id, another kind */
    won.rep_count = 1;
    length = incentive_record_won_pack (&won, packed, sizeof packed);
    char garbled[INCENTIVE_RECORD_WON_PACKED_MAX];
    size_t count_at = 2 + 8 + 1 + (INCENTIVE_RECORD_REF_SIZE - 1);
    const unsigned char counts[] = { 0, INCENTIVE_RECORD_REPS_MAX + 1 };
    for (size_t index = 0; index < COUNT (counts); index++) {
        memcpy (garbled, packed, length);
        garbled[count_at] = (char) counts[index];
        s_won_refused (garbled, length);
    }
    won.reps[0][0] = '\0';
    length = incentive_record_won_pack (&won, packed, sizeof packed);
    s_won_refused (packed, length);
    snprintf (won.reps[0], sizeof won.reps[0], "rep-ana");
    won.event_id[0] = '\0';
    length = incentive_record_won_pack (&won, packed, sizeof packed);
    s_won_refused (packed, length);
    incentive_record_credit_t credit = s_credit ();
    length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    s_won_refused (packed, length);
}

// ---------------------------------------------------------------- logo

static void
test_logo (void **state)
{
    (void) state;
    incentive_record_logo_t logo;
    memset (&logo, 0, sizeof logo);
    logo.occurred_at = JAN_10_2025;
    s_repeat (logo.event_id, sizeof logo.event_id, 'w', INCENTIVE_RECORD_REF_SIZE - 1);
    char packed[INCENTIVE_RECORD_PACKED_MAX];
    size_t length = incentive_record_logo_pack (&logo, packed, sizeof packed);
    /* kind, version, 8 bytes of time, 1 length byte and 128 bytes of id */
    assert_int_equal (length, 2 + 8 + 1 + 128);
    assert_int_equal (packed[KIND_BYTE], 'L');
    incentive_record_logo_t read;
    memset (&read, FILL, sizeof read);
    assert_int_equal (incentive_record_logo_unpack (packed, length, &read), 0);
    assert_int_equal (read.occurred_at, JAN_10_2025);
    assert_string_equal (read.event_id, logo.event_id);

    s_truncations_refused (packed, length, s_logo_refused);
    char garbled[INCENTIVE_RECORD_PACKED_MAX];
    memcpy (garbled, packed, length);
    garbled[KIND_BYTE] = 'C';
    s_logo_refused (garbled, length);
    memcpy (garbled, packed, length);
    garbled[VERSION_BYTE] = 9;
    s_logo_refused (garbled, length);

    /* An empty event id is not a first won deal. */
    logo.event_id[0] = '\0';
    length = incentive_record_logo_pack (&logo, packed, sizeof packed);
    s_logo_refused (packed, length);

    /* A credit or a cancellation is not a logo. */
    incentive_record_credit_t credit = s_credit ();
    length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    s_logo_refused (packed, length);
    incentive_record_cancel_t cancel = s_cancel ();
    length = incentive_record_cancel_pack (&cancel, packed, sizeof packed);
    s_logo_refused (packed, length);
}

// ---------------------------------------------------------------- cancel

static void
test_cancel (void **state)
{
    (void) state;
    incentive_record_cancel_t cancel = s_cancel ();
    char packed[INCENTIVE_RECORD_PACKED_MAX];
    size_t length = incentive_record_cancel_pack (&cancel, packed, sizeof packed);
    assert_true (length > 0);
    assert_int_equal (packed[KIND_BYTE], 'X');
    incentive_record_cancel_t read;
    memset (&read, FILL, sizeof read);
    assert_int_equal (incentive_record_cancel_unpack (packed, length, &read), 0);
    assert_string_equal (read.event_id, "evt-cancel-1");
    assert_string_equal (read.won_event_id, "evt-won-1");
    assert_int_equal (read.occurred_at, JAN_10_2025 + 1);
    assert_string_equal (read.reason, cancel.reason);

    /* No reason, and the longest reason (255 bytes). */
    cancel.reason[0] = '\0';
    length = incentive_record_cancel_pack (&cancel, packed, sizeof packed);
    assert_int_equal (incentive_record_cancel_unpack (packed, length, &read), 0);
    assert_string_equal (read.reason, "");
    s_repeat (cancel.reason, sizeof cancel.reason, 'r', INCENTIVE_RECORD_REASON_SIZE - 1);
    s_repeat (cancel.event_id, sizeof cancel.event_id, 'x', INCENTIVE_RECORD_REF_SIZE - 1);
    s_repeat (cancel.won_event_id, sizeof cancel.won_event_id, 'w', INCENTIVE_RECORD_REF_SIZE - 1);
    length = incentive_record_cancel_pack (&cancel, packed, sizeof packed);
    /* head 2, two ids 1 + 128 each, time 8, reason 1 + 255 */
    assert_int_equal (length, 2 + 2 * 129 + 8 + 256);
    assert_true (length <= INCENTIVE_RECORD_PACKED_MAX);
    memset (&read, FILL, sizeof read);
    assert_int_equal (incentive_record_cancel_unpack (packed, length, &read), 0);
    assert_string_equal (read.reason, cancel.reason);
    assert_string_equal (read.event_id, cancel.event_id);
    assert_string_equal (read.won_event_id, cancel.won_event_id);

    cancel = s_cancel ();
    length = incentive_record_cancel_pack (&cancel, packed, sizeof packed);
    s_truncations_refused (packed, length, s_cancel_refused);
    char garbled[INCENTIVE_RECORD_PACKED_MAX];
    memcpy (garbled, packed, length);
    garbled[KIND_BYTE] = 'L';
    s_cancel_refused (garbled, length);
    memcpy (garbled, packed, length);
    garbled[VERSION_BYTE] = 2;
    s_cancel_refused (garbled, length);

    /* Without either id it cancels nothing. */
    cancel = s_cancel ();
    cancel.event_id[0] = '\0';
    length = incentive_record_cancel_pack (&cancel, packed, sizeof packed);
    s_cancel_refused (packed, length);
    cancel = s_cancel ();
    cancel.won_event_id[0] = '\0';
    length = incentive_record_cancel_pack (&cancel, packed, sizeof packed);
    s_cancel_refused (packed, length);

    /* A credit or a logo is not a cancellation. */
    incentive_record_credit_t credit = s_credit ();
    length = incentive_record_credit_pack (&credit, packed, sizeof packed);
    s_cancel_refused (packed, length);
    incentive_record_logo_t logo = { .occurred_at = 1, .event_id = "evt-1" };
    length = incentive_record_logo_pack (&logo, packed, sizeof packed);
    s_cancel_refused (packed, length);
}

/* A payment: round trip at the longest ids; refused when truncated,
   garbled, without ids, negative, or another kind of record. */
static void
s_payment_refused (const char *data, size_t length)
{
    incentive_record_payment_t payment;
    memset (&payment, FILL, sizeof payment);
    incentive_record_payment_t before = payment;
    assert_int_equal (incentive_record_payment_unpack (data, length, &payment), -1);
    assert_memory_equal (&payment, &before, sizeof payment);
}

static void
test_payment (void **state)
{
    (void) state;
    incentive_record_payment_t payment = { .event_id = "erp:pay:PM-5512",
                                           .deal = "opp-1001",
                                           .occurred_at = JAN_10_2025,
                                           .currency = "USD",
                                           .amount = 1234567 };
    char packed[INCENTIVE_RECORD_PACKED_MAX];
    size_t length = incentive_record_payment_pack (&payment, packed, sizeof packed);
    assert_true (length > 0);
    assert_int_equal (packed[KIND_BYTE], 'P');
    incentive_record_payment_t read;
    memset (&read, FILL, sizeof read);
    assert_int_equal (incentive_record_payment_unpack (packed, length, &read), 0);
    assert_string_equal (read.event_id, "erp:pay:PM-5512");
    assert_string_equal (read.deal, "opp-1001");
    assert_int_equal (read.occurred_at, JAN_10_2025);
    assert_string_equal (read.currency, "USD");
    assert_int_equal (read.amount, 1234567);
    s_truncations_refused (packed, length, s_payment_refused);
    char garbled[INCENTIVE_RECORD_PACKED_MAX];
    memcpy (garbled, packed, length);
    garbled[KIND_BYTE] = 'X';
    s_payment_refused (garbled, length);

    incentive_record_payment_t longest = payment;
    s_repeat (longest.event_id, sizeof longest.event_id, 'e', INCENTIVE_RECORD_REF_SIZE - 1);
    s_repeat (longest.deal, sizeof longest.deal, 'd', INCENTIVE_RECORD_REF_SIZE - 1);
    length = incentive_record_payment_pack (&longest, packed, sizeof packed);
    /* head 2, two ids 1 + 128 each, time 8, currency 1 + 3, amount 8 */
    assert_int_equal (length, 2 + 2 * 129 + 8 + 4 + 8);
    assert_int_equal (incentive_record_payment_unpack (packed, length, &read), 0);
    assert_string_equal (read.deal, longest.deal);

    incentive_record_payment_t bad = payment;
    bad.amount = -1;
    length = incentive_record_payment_pack (&bad, packed, sizeof packed);
    s_payment_refused (packed, length);
    bad = payment;
    bad.deal[0] = '\0';
    length = incentive_record_payment_pack (&bad, packed, sizeof packed);
    s_payment_refused (packed, length);
    bad = payment;
    bad.event_id[0] = '\0';
    length = incentive_record_payment_pack (&bad, packed, sizeof packed);
    s_payment_refused (packed, length);
    incentive_record_cancel_t cancel = s_cancel ();
    length = incentive_record_cancel_pack (&cancel, packed, sizeof packed);
    s_payment_refused (packed, length);
}

// ---------------------------------------------------------------- ordering

static void
test_before (void **state)
{
    (void) state;
    /* Earlier time first, whatever the ids. */
    assert_true (incentive_record_before (1, "z", 2, "a"));
    assert_false (incentive_record_before (2, "a", 1, "z"));
    assert_true (incentive_record_before (-5, "b", 0, "a"));
    assert_true (incentive_record_before (INT64_MIN, "b", INT64_MAX, "a"));
    /* Same time: the smaller id in byte order. */
    assert_true (incentive_record_before (7, "evt-1", 7, "evt-2"));
    assert_false (incentive_record_before (7, "evt-2", 7, "evt-1"));
    assert_true (incentive_record_before (7, "B", 7, "a"));          /* 'B' 0x42 < 'a' 0x61 */
    assert_true (incentive_record_before (7, "evt", 7, "evt-"));     /* a prefix first */
    assert_true (incentive_record_before (7, "evt-10", 7, "evt-9")); /* bytes, not numbers */
    /* Bytes are unsigned: a UTF-8 lead byte 0xC3 sorts after ASCII. */
    assert_true (incentive_record_before (7, "z", 7, "\xc3\xa9"));
    assert_false (incentive_record_before (7, "\xc3\xa9", 7, "z"));
    /* Equal: neither comes before the other (strict). */
    assert_false (incentive_record_before (7, "evt-1", 7, "evt-1"));
}

// ---------------------------------------------------------------- reason

static void
test_reason_copy (void **state)
{
    (void) state;
    char reason[INCENTIVE_RECORD_REASON_SIZE];
    char text[600];

    /* Short text is copied whole; so is an empty one. */
    memset (reason, FILL, sizeof reason);
    incentive_record_reason_copy (reason, "customer went with a competitor");
    assert_string_equal (reason, "customer went with a competitor");
    incentive_record_reason_copy (reason, "");
    assert_string_equal (reason, "");

    /* 255 bytes: whole. 256 and 500 ASCII bytes: the first 255. */
    s_repeat (text, sizeof text, 'a', 255);
    incentive_record_reason_copy (reason, text);
    assert_int_equal (strlen (reason), 255);
    s_repeat (text, sizeof text, 'a', 256);
    incentive_record_reason_copy (reason, text);
    assert_int_equal (strlen (reason), 255);
    assert_memory_equal (reason, text, 255);
    s_repeat (text, sizeof text, 'a', 500);
    incentive_record_reason_copy (reason, text);
    assert_int_equal (strlen (reason), 255);

    /* 254 'a' then "é" (C3 A9) at bytes 254..255: 256 bytes, the cut at
       255 falls inside "é", so it goes: 254 bytes. */
    s_repeat (text, sizeof text, 'a', 254);
    s_append (text, sizeof text, "\xc3\xa9");
    incentive_record_reason_copy (reason, text);
    assert_int_equal (strlen (reason), 254);
    assert_memory_equal (reason, text, 254);

    /* 253 'a' then "é": 255 bytes, kept whole. */
    s_repeat (text, sizeof text, 'a', 253);
    s_append (text, sizeof text, "\xc3\xa9");
    incentive_record_reason_copy (reason, text);
    assert_int_equal (strlen (reason), 255);
    assert_string_equal (reason, text);

    /* 253 'a', then "€" (E2 82 AC) at 253..255: cut to 253. */
    s_repeat (text, sizeof text, 'a', 253);
    s_append (text, sizeof text,
              "\xe2\x82\xac"
              "bbb");
    incentive_record_reason_copy (reason, text);
    assert_int_equal (strlen (reason), 253);

    /* 252 'a', "€" at 252..254, then "x": 255 bytes of 256 kept, the "€"
       whole. */
    s_repeat (text, sizeof text, 'a', 252);
    s_append (text, sizeof text,
              "\xe2\x82\xac"
              "xy");
    incentive_record_reason_copy (reason, text);
    assert_int_equal (strlen (reason), 255);
    assert_memory_equal (reason + 252, "\xe2\x82\xac", 3);

    /* 252 'a' then an emoji (F0 9F 98 80) at 252..255: cut to 252. */
    s_repeat (text, sizeof text, 'a', 252);
    s_append (text, sizeof text,
              "\xf0\x9f\x98\x80"
              "tail");
    incentive_record_reason_copy (reason, text);
    assert_int_equal (strlen (reason), 252);

    /* Only 2-byte characters ("é" × 200 = 400 bytes): characters start at
       even bytes, byte 255 is a continuation, so 254 bytes = 127 "é". */
    text[0] = '\0';
    for (int index = 0; index < 200; index++)
        s_append (text, sizeof text, "\xc3\xa9");
    incentive_record_reason_copy (reason, text);
    assert_int_equal (strlen (reason), 254);
    assert_memory_equal (reason, text, 254);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_credit_round_trip),
        cmocka_unit_test (test_credit_in_place),
        cmocka_unit_test (test_credit_new_logo),
        cmocka_unit_test (test_credit_refused),
        cmocka_unit_test (test_won),
        cmocka_unit_test (test_pack_does_not_fit),
        cmocka_unit_test (test_logo),
        cmocka_unit_test (test_cancel),
        cmocka_unit_test (test_payment),
        cmocka_unit_test (test_before),
        cmocka_unit_test (test_reason_copy),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
