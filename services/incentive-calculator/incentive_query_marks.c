/*  incentive_query_marks - the marks of a rep's credits for
    incentive_query.c (see incentive_query_internal.h): whether each
    credit's deal is its customer's first won deal (read with the credit)
    and, when a plan pays on payment, each deal's payments (one round
    trip). */
#include "incentive_query_internal.h"

#include <stdlib.h>
#include <string.h>

#include "incentive_keys.h"
#include "incentive_plan.h"
#include "sp_array.h"
#include "sp_error.h"
#include "sp_partition.h"

/* Adds the payments of a HGETALL reply of paid:<deal> (a deal credited
   twice is read twice: each payment is kept once). */
static int
s_add_payments (incentive_query_internal_rep_t *rep, const sp_redis_reply_t *fields,
                const char *deal, char *error, size_t error_size)
{
    for (size_t index = 1; index < sp_redis_reply_size (fields); index += 2) {
        size_t length;
        const char *packed = sp_redis_reply_text (sp_redis_reply_element (fields, index), &length);
        incentive_record_payment_t payment;
        if (!packed || incentive_record_payment_unpack (packed, length, &payment) != 0) {
            sp_error_set (error, error_size, "a payment of deal \"%.64s\" is not a record", deal);
            return -1;
        }
        bool known = false;
        for (size_t seen = 0; seen < rep->payment_count && !known; seen++)
            known = strcmp (rep->payments[seen].event_id, payment.event_id) == 0;
        if (known)
            continue;
        if (sp_array_reserve ((void **) &rep->payments, &rep->payment_capacity,
                              rep->payment_count + 1, sizeof *rep->payments,
                              INCENTIVE_QUERY_INTERNAL_INITIAL) != 0) {
            sp_error_set (error, error_size, "out of memory");
            return -1;
        }
        rep->payments[rep->payment_count++] = payment;
    }
    return 0;
}

/* True when a version of a plan pays on payment ("trigger": "payment"):
   only then do statements read the deals' payments. */
static bool
s_reads_payments (const incentive_query_t *self)
{
    for (size_t index = 0; index < self->plan_count; index++)
        if (incentive_plan_trigger (self->plans[index].plan) == INCENTIVE_PLAN_ON_PAYMENT)
            return true;
    return false;
}

/* Gives each of rep's credits its new_logo (read with the credit:
   rep->new_logo) and reads, when a plan pays on payment, its deal's
   payments in one round trip. The cancellations were read with the
   credits (incentive_query_internal_read_credits). */
int
incentive_query_internal_read_marks (incentive_query_t *self, incentive_query_internal_rep_t *rep,
                                     char *error, size_t error_size)
{
    rep->new_logo = calloc (rep->credit_count ? rep->credit_count : 1, sizeof *rep->new_logo);
    if (!rep->new_logo) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    for (size_t index = 0; index < rep->credit_count; index++)
        rep->new_logo[index] = rep->credits[index].new_logo;
    if (rep->credit_count == 0 || !s_reads_payments (self))
        return 0;
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    sp_redis_reply_t *reply = NULL;
    int result = -1;
    if (!pipeline)
        goto out_of_memory;
    for (size_t index = 0; index < rep->credit_count; index++) {
        const incentive_record_credit_t *credit = &rep->credits[index];
        char paid[SP_PARTITION_KEY_MAX];
        if (incentive_keys_paid (paid, sizeof paid, credit->partition, credit->deal) < 0)
            paid[0] = '\0'; /* a deal id too long for a key: no payment was kept for it */
        if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HGETALL", paid }, NULL) != 0)
            goto out_of_memory;
    }
    reply = incentive_query_internal_execute (self, pipeline, error, error_size);
    if (!reply)
        goto out;
    for (size_t index = 0; index < rep->credit_count; index++) {
        const incentive_record_credit_t *credit = &rep->credits[index];
        const sp_redis_reply_t *paid = sp_redis_reply_element (reply, index);
        if (sp_redis_reply_type (paid) != SP_REDIS_REPLY_ARRAY) {
            sp_error_set (error, error_size, "Redis: HGETALL of the payments of %s failed",
                          credit->deal);
            goto out;
        }
        if (s_add_payments (rep, paid, credit->deal, error, error_size) != 0)
            goto out;
    }
    result = 0;
    goto out;
out_of_memory:
    sp_error_set (error, error_size, "out of memory");
out:
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    return result;
}
