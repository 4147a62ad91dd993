/*  incentive_record - the records incentive-calculator keeps in Redis
    (incentive_keys.h) and their byte form (sp_pack): one rep's credit on
    a won deal, a deal's first-won mark per customer (new logos), the
    earliest cancellation of a won deal and each payment received for a
    deal (payment_received whose order_id is the deal's opportunity_id).

    The handler writes them as events arrive; a statement reads them back
    and computes every line at query time (incentive_statement.h), so the
    stored state is only what the events said, in any order. Pure: no I/O.
*/
#ifndef INCENTIVE_RECORD_H_INCLUDED
#define INCENTIVE_RECORD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room of each text field, with the NUL (event ids, deals and customers
   up to 128 bytes, reps up to 64, reasons kept to 255 bytes). */
#define INCENTIVE_RECORD_REF_SIZE 129
#define INCENTIVE_RECORD_REP_SIZE 65
#define INCENTIVE_RECORD_CURRENCY_SIZE 4
#define INCENTIVE_RECORD_REASON_SIZE 256

/* Most bytes of a packed record (a won record: INCENTIVE_RECORD_WON_PACKED_MAX). */
#define INCENTIVE_RECORD_PACKED_MAX 1024

/* Most reps a won deal credits (INCENTIVE_CREDIT_SPLITS_MAX). */
#define INCENTIVE_RECORD_REPS_MAX 16

/* Most bytes of a packed won record. */
#define INCENTIVE_RECORD_WON_PACKED_MAX 1280

/* One rep's credit on one won deal (deal_won). */
typedef struct {
    char event_id[INCENTIVE_RECORD_REF_SIZE]; /* the deal_won event */
    char rep[INCENTIVE_RECORD_REP_SIZE];      /* the rep credited */
    int64_t occurred_at;                      /* UTC ms */
    char deal[INCENTIVE_RECORD_REF_SIZE];     /* opportunity_id */
    char customer[INCENTIVE_RECORD_REF_SIZE]; /* "" when the deal names none */
    char currency[INCENTIVE_RECORD_CURRENCY_SIZE];
    uint32_t partition;  /* where the deal's records are (set when read) */
    int32_t credit_bp;   /* the rep's share, 1..10,000 */
    int64_t deal_amount; /* the whole deal, minor units */
    int64_t revenue;     /* the rep's credited share of the amount */
    bool has_margin;     /* the deal gave a margin */
    int64_t margin;      /* the rep's credited share of the margin */
    bool new_logo;       /* the deal was its customer's first won deal when the
                            credit was written (kind byte 'N' instead of 'C');
                            an earlier deal may displace it later (displaced:<rep>) */
} incentive_record_credit_t;

/* The first won deal of a customer: the earliest (occurred_at, event id). */
typedef struct {
    int64_t occurred_at;
    char event_id[INCENTIVE_RECORD_REF_SIZE];
} incentive_record_logo_t;

/* A won deal's time and the reps it credited: kept for the customer's
   first won deal (logo:<customer>: a deal displacing it marks those
   reps' credits no longer first). */
typedef struct {
    int64_t occurred_at;
    char event_id[INCENTIVE_RECORD_REF_SIZE];
    size_t rep_count; /* 1..INCENTIVE_RECORD_REPS_MAX */
    char reps[INCENTIVE_RECORD_REPS_MAX][INCENTIVE_RECORD_REP_SIZE];
} incentive_record_won_t;

/* The earliest cancellation of a won deal (deal_cancelled). */
typedef struct {
    char event_id[INCENTIVE_RECORD_REF_SIZE];     /* the deal_cancelled event */
    char won_event_id[INCENTIVE_RECORD_REF_SIZE]; /* the deal_won it cancels */
    int64_t occurred_at;                          /* UTC ms */
    char reason[INCENTIVE_RECORD_REASON_SIZE];    /* the first 255 bytes, whole characters */
} incentive_record_cancel_t;

/* A payment received for a deal (payment_received). */
typedef struct {
    char event_id[INCENTIVE_RECORD_REF_SIZE]; /* the payment_received event */
    char deal[INCENTIVE_RECORD_REF_SIZE];     /* its order_id: the won deal's opportunity_id */
    int64_t occurred_at;                      /* UTC ms */
    char currency[INCENTIVE_RECORD_CURRENCY_SIZE];
    int64_t amount; /* minor units, >= 0 */
} incentive_record_payment_t;

/* Each pack writes the record into buffer (size bytes) and returns its
   length, or 0 when it does not fit. Each unpack reads length bytes and
   returns 0, or -1 (record untouched) when they are not such a record. */
size_t incentive_record_credit_pack (const incentive_record_credit_t *credit, char *buffer,
                                     size_t size);
int incentive_record_credit_unpack (const char *data, size_t length,
                                    incentive_record_credit_t *credit);
/* The same as incentive_record_credit_unpack, written straight into
   *credit (no copy of the whole record; the bytes of a text field past
   its NUL are left as they were): for a reader that reads thousands into
   an array. On -1 *credit is partly written and must be discarded. */
int incentive_record_credit_unpack_in_place (const char *data, size_t length,
                                             incentive_record_credit_t *credit);
size_t incentive_record_logo_pack (const incentive_record_logo_t *logo, char *buffer, size_t size);
int incentive_record_logo_unpack (const char *data, size_t length, incentive_record_logo_t *logo);
size_t incentive_record_won_pack (const incentive_record_won_t *won, char *buffer, size_t size);
int incentive_record_won_unpack (const char *data, size_t length, incentive_record_won_t *won);
size_t incentive_record_cancel_pack (const incentive_record_cancel_t *cancel, char *buffer,
                                     size_t size);
int incentive_record_cancel_unpack (const char *data, size_t length,
                                    incentive_record_cancel_t *cancel);
size_t incentive_record_payment_pack (const incentive_record_payment_t *payment, char *buffer,
                                      size_t size);
int incentive_record_payment_unpack (const char *data, size_t length,
                                     incentive_record_payment_t *payment);

/* True when (a_at, a_id) comes before (b_at, b_id): earlier time, then
   the smaller id in byte order. */
bool incentive_record_before (int64_t a_at, const char *a_id, int64_t b_at, const char *b_id);

/* Copies text into reason (INCENTIVE_RECORD_REASON_SIZE) cut at a whole
   UTF-8 character. */
void incentive_record_reason_copy (char *reason, const char *text);

#endif
