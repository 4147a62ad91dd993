/*  incentive_record - incentive-calculator's records (see incentive_record.h). */
#include "incentive_record.h"

#include <assert.h>
#include <string.h>

#include "sp_pack.h"

/* Kind bytes and layout version of each record. */
#define S_CREDIT 'C'
#define S_CREDIT_NEW_LOGO 'N' /* a credit of its customer's first won deal when written */
#define S_WON 'W'
#define S_LOGO 'L'
#define S_CANCEL 'X'
#define S_PAYMENT 'P'
#define S_VERSION 1
#define S_SHARE_WIDTH 2
#define S_UTF8_CONTINUATION_MASK 0xC0
#define S_UTF8_CONTINUATION 0x80

static void
s_head (sp_pack_writer_t *writer, uint8_t kind)
{
    sp_pack_put_u8 (writer, kind);
    sp_pack_put_u8 (writer, S_VERSION);
}

static bool
s_head_ok (sp_pack_reader_t *reader, uint8_t kind)
{
    uint8_t got = sp_pack_get_u8 (reader);
    uint8_t version = sp_pack_get_u8 (reader);
    return !reader->bad && got == kind && version == S_VERSION;
}

/* A credit's head: its kind byte says whether it was a new logo. */
static bool
s_credit_head_ok (sp_pack_reader_t *reader, bool *new_logo)
{
    uint8_t got = sp_pack_get_u8 (reader);
    uint8_t version = sp_pack_get_u8 (reader);
    *new_logo = got == S_CREDIT_NEW_LOGO;
    return !reader->bad && (got == S_CREDIT || got == S_CREDIT_NEW_LOGO) && version == S_VERSION;
}

size_t
incentive_record_credit_pack (const incentive_record_credit_t *credit, char *buffer, size_t size)
{
    assert (credit && buffer);
    sp_pack_writer_t writer = sp_pack_writer (buffer, size);
    s_head (&writer, credit->new_logo ? S_CREDIT_NEW_LOGO : S_CREDIT);
    sp_pack_put_string (&writer, credit->event_id, sizeof credit->event_id);
    sp_pack_put_string (&writer, credit->rep, sizeof credit->rep);
    sp_pack_put_i64 (&writer, credit->occurred_at);
    sp_pack_put_string (&writer, credit->deal, sizeof credit->deal);
    sp_pack_put_string (&writer, credit->customer, sizeof credit->customer);
    sp_pack_put_string (&writer, credit->currency, sizeof credit->currency);
    sp_pack_put_uint (&writer, (uint64_t) credit->credit_bp, S_SHARE_WIDTH);
    sp_pack_put_i64 (&writer, credit->deal_amount);
    sp_pack_put_i64 (&writer, credit->revenue);
    sp_pack_put_u8 (&writer, credit->has_margin ? 1 : 0);
    sp_pack_put_i64 (&writer, credit->margin);
    return sp_pack_written (&writer);
}

/* Reads a credit record's fields into *out as they come: -1 (out partly
   written) when they are not a credit record. */
static int
s_credit_read (const char *data, size_t length, incentive_record_credit_t *out)
{
    sp_pack_reader_t reader = sp_pack_reader (data, length);
    bool new_logo;
    if (!s_credit_head_ok (&reader, &new_logo))
        return -1;
    sp_pack_get_string (&reader, out->event_id, sizeof out->event_id);
    sp_pack_get_string (&reader, out->rep, sizeof out->rep);
    out->occurred_at = sp_pack_get_i64 (&reader);
    sp_pack_get_string (&reader, out->deal, sizeof out->deal);
    sp_pack_get_string (&reader, out->customer, sizeof out->customer);
    sp_pack_get_string (&reader, out->currency, sizeof out->currency);
    out->credit_bp = (int32_t) sp_pack_get_uint (&reader, S_SHARE_WIDTH);
    out->deal_amount = sp_pack_get_i64 (&reader);
    out->revenue = sp_pack_get_i64 (&reader);
    uint8_t has_margin = sp_pack_get_u8 (&reader);
    out->margin = sp_pack_get_i64 (&reader);
    if (!sp_pack_done (&reader) || has_margin > 1 || !*out->event_id || !*out->rep ||
        out->credit_bp < 1 || out->credit_bp > 10000)
        return -1;
    out->has_margin = has_margin == 1;
    out->new_logo = new_logo;
    out->partition = 0;
    return 0;
}

int
incentive_record_credit_unpack (const char *data, size_t length, incentive_record_credit_t *credit)
{
    assert (credit);
    incentive_record_credit_t out = { 0 };
    if (s_credit_read (data, length, &out) != 0)
        return -1;
    *credit = out;
    return 0;
}

int
incentive_record_credit_unpack_in_place (const char *data, size_t length,
                                         incentive_record_credit_t *credit)
{
    assert (credit);
    return s_credit_read (data, length, credit);
}

size_t
incentive_record_logo_pack (const incentive_record_logo_t *logo, char *buffer, size_t size)
{
    assert (logo && buffer);
    sp_pack_writer_t writer = sp_pack_writer (buffer, size);
    s_head (&writer, S_LOGO);
    sp_pack_put_i64 (&writer, logo->occurred_at);
    sp_pack_put_string (&writer, logo->event_id, sizeof logo->event_id);
    return sp_pack_written (&writer);
}

int
incentive_record_logo_unpack (const char *data, size_t length, incentive_record_logo_t *logo)
{
    assert (logo);
    sp_pack_reader_t reader = sp_pack_reader (data, length);
    if (!s_head_ok (&reader, S_LOGO))
        return -1;
    incentive_record_logo_t out = { 0 };
    out.occurred_at = sp_pack_get_i64 (&reader);
    sp_pack_get_string (&reader, out.event_id, sizeof out.event_id);
    if (!sp_pack_done (&reader) || !*out.event_id)
        return -1;
    *logo = out;
    return 0;
}

size_t
incentive_record_won_pack (const incentive_record_won_t *won, char *buffer, size_t size)
{
    assert (won && buffer);
    assert (won->rep_count >= 1 && won->rep_count <= INCENTIVE_RECORD_REPS_MAX);
    sp_pack_writer_t writer = sp_pack_writer (buffer, size);
    s_head (&writer, S_WON);
    sp_pack_put_i64 (&writer, won->occurred_at);
    sp_pack_put_string (&writer, won->event_id, sizeof won->event_id);
    sp_pack_put_u8 (&writer, (uint8_t) won->rep_count);
    for (size_t index = 0; index < won->rep_count; index++)
        sp_pack_put_string (&writer, won->reps[index], sizeof won->reps[index]);
    return sp_pack_written (&writer);
}

int
incentive_record_won_unpack (const char *data, size_t length, incentive_record_won_t *won)
{
    assert (won);
    sp_pack_reader_t reader = sp_pack_reader (data, length);
    if (!s_head_ok (&reader, S_WON))
        return -1;
    incentive_record_won_t out;
    out.occurred_at = sp_pack_get_i64 (&reader);
    sp_pack_get_string (&reader, out.event_id, sizeof out.event_id);
    out.rep_count = sp_pack_get_u8 (&reader);
    if (reader.bad || out.rep_count < 1 || out.rep_count > INCENTIVE_RECORD_REPS_MAX)
        return -1;
    for (size_t index = 0; index < out.rep_count; index++) {
        sp_pack_get_string (&reader, out.reps[index], sizeof out.reps[index]);
        if (!out.reps[index][0])
            return -1;
    }
    if (!sp_pack_done (&reader) || !*out.event_id)
        return -1;
    won->occurred_at = out.occurred_at;
    memcpy (won->event_id, out.event_id, sizeof out.event_id);
    won->rep_count = out.rep_count;
    for (size_t index = 0; index < out.rep_count; index++)
        memcpy (won->reps[index], out.reps[index], sizeof out.reps[index]);
    return 0;
}

size_t
incentive_record_cancel_pack (const incentive_record_cancel_t *cancel, char *buffer, size_t size)
{
    assert (cancel && buffer);
    sp_pack_writer_t writer = sp_pack_writer (buffer, size);
    s_head (&writer, S_CANCEL);
    sp_pack_put_string (&writer, cancel->event_id, sizeof cancel->event_id);
    sp_pack_put_string (&writer, cancel->won_event_id, sizeof cancel->won_event_id);
    sp_pack_put_i64 (&writer, cancel->occurred_at);
    sp_pack_put_string (&writer, cancel->reason, sizeof cancel->reason);
    return sp_pack_written (&writer);
}

int
incentive_record_cancel_unpack (const char *data, size_t length, incentive_record_cancel_t *cancel)
{
    assert (cancel);
    sp_pack_reader_t reader = sp_pack_reader (data, length);
    if (!s_head_ok (&reader, S_CANCEL))
        return -1;
    incentive_record_cancel_t out = { 0 };
    sp_pack_get_string (&reader, out.event_id, sizeof out.event_id);
    sp_pack_get_string (&reader, out.won_event_id, sizeof out.won_event_id);
    out.occurred_at = sp_pack_get_i64 (&reader);
    sp_pack_get_string (&reader, out.reason, sizeof out.reason);
    if (!sp_pack_done (&reader) || !*out.event_id || !*out.won_event_id)
        return -1;
    *cancel = out;
    return 0;
}

size_t
incentive_record_payment_pack (const incentive_record_payment_t *payment, char *buffer, size_t size)
{
    assert (payment && buffer);
    sp_pack_writer_t writer = sp_pack_writer (buffer, size);
    s_head (&writer, S_PAYMENT);
    sp_pack_put_string (&writer, payment->event_id, sizeof payment->event_id);
    sp_pack_put_string (&writer, payment->deal, sizeof payment->deal);
    sp_pack_put_i64 (&writer, payment->occurred_at);
    sp_pack_put_string (&writer, payment->currency, sizeof payment->currency);
    sp_pack_put_i64 (&writer, payment->amount);
    return sp_pack_written (&writer);
}

int
incentive_record_payment_unpack (const char *data, size_t length,
                                 incentive_record_payment_t *payment)
{
    assert (payment);
    sp_pack_reader_t reader = sp_pack_reader (data, length);
    if (!s_head_ok (&reader, S_PAYMENT))
        return -1;
    incentive_record_payment_t out = { 0 };
    sp_pack_get_string (&reader, out.event_id, sizeof out.event_id);
    sp_pack_get_string (&reader, out.deal, sizeof out.deal);
    out.occurred_at = sp_pack_get_i64 (&reader);
    sp_pack_get_string (&reader, out.currency, sizeof out.currency);
    out.amount = sp_pack_get_i64 (&reader);
    if (!sp_pack_done (&reader) || !*out.event_id || !*out.deal || out.amount < 0)
        return -1;
    *payment = out;
    return 0;
}

bool
incentive_record_before (int64_t a_at, const char *a_id, int64_t b_at, const char *b_id)
{
    if (a_at != b_at)
        return a_at < b_at;
    return strcmp (a_id, b_id) < 0;
}

void
incentive_record_reason_copy (char *reason, const char *text)
{
    size_t length = strlen (text);
    if (length >= INCENTIVE_RECORD_REASON_SIZE) {
        length = INCENTIVE_RECORD_REASON_SIZE - 1;
        /* back off to the start of the character the cut falls in */
        while (length > 0 &&
               ((unsigned char) text[length] & S_UTF8_CONTINUATION_MASK) == S_UTF8_CONTINUATION)
            length--;
    }
    memcpy (reason, text, length);
    reason[length] = '\0';
}
