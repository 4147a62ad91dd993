/*  incentive_query_marks - the marks of a rep's credits for
    incentive_query.c (see incentive_query_internal.h): whether each
    credit's deal is its customer's first won deal (read with the credit),
    each deal's cancellation (from the partitions' cancelled hashes that
    hold any) and, when a plan pays on payment, each deal's payments (one
    round trip, none when nothing is to be read). */
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

/* A cancellation read, with the partition it was read in. */
typedef struct {
    uint32_t partition;
    incentive_record_cancel_t cancel;
} s_found_t;

/* (partition, won event id) order. */
static int
s_compare_found (const void *left, const void *right)
{
    const s_found_t *a = left;
    const s_found_t *b = right;
    if (a->partition != b->partition)
        return a->partition < b->partition ? -1 : 1;
    return strcmp (a->cancel.won_event_id, b->cancel.won_event_id);
}

/* How a partition's cancellations are read: none, the whole hash
   (HVALS: no more of them than the rep's credits there) or the fields of
   the rep's deals (HMGET). */
typedef enum { S_READ_NONE = 0, S_READ_ALL, S_READ_FIELDS } s_read_t;

/* Appends the read of each partition's cancellations that holds any and
   credits of rep (into reads[partition], the command at commands[partition]). */
static int
s_append_cancels (const incentive_query_t *self, const incentive_query_internal_rep_t *rep,
                  const size_t *credits_in, s_read_t *reads, size_t *commands,
                  sp_redis_pipeline_t *pipeline)
{
    const char **argv = NULL;
    int result = -1;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        size_t cancels = rep->partition_cancels ? rep->partition_cancels[partition] : 0;
        if (cancels == 0 || credits_in[partition] == 0)
            continue;
        char key[SP_PARTITION_KEY_MAX];
        incentive_keys_cancelled (key, sizeof key, partition);
        commands[partition] = sp_redis_pipeline_size (pipeline);
        if (cancels <= credits_in[partition]) {
            reads[partition] = S_READ_ALL;
            if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HVALS", key }, NULL) != 0)
                goto out;
            continue;
        }
        reads[partition] = S_READ_FIELDS;
        free (argv);
        argv = malloc ((2 + credits_in[partition]) * sizeof *argv);
        if (!argv)
            goto out;
        argv[0] = "HMGET";
        argv[1] = key;
        int argc = 2;
        for (size_t index = 0; index < rep->credit_count; index++)
            if (rep->credits[index].partition == partition)
                argv[argc++] = rep->credits[index].event_id;
        if (sp_redis_pipeline_append (pipeline, argc, argv, NULL) != 0)
            goto out;
    }
    result = 0;
out:
    free (argv);
    return result;
}

/* Adds the cancellations of a partition's reply (HVALS or HMGET) to
   found (room for every value of the reply). */
static int
s_take_cancels (const sp_redis_reply_t *values, uint32_t partition, s_found_t *found,
                size_t *found_count, char *error, size_t error_size)
{
    for (size_t index = 0; index < sp_redis_reply_size (values); index++) {
        size_t length;
        const char *packed = sp_redis_reply_text (sp_redis_reply_element (values, index), &length);
        if (!packed)
            continue; /* HMGET: the deal was not cancelled */
        s_found_t *entry = &found[*found_count];
        if (incentive_record_cancel_unpack (packed, length, &entry->cancel) != 0) {
            sp_error_set (error, error_size, "a cancellation in partition %u is not a record",
                          partition);
            return -1;
        }
        entry->partition = partition;
        (*found_count)++;
    }
    return 0;
}

/* Gives each of rep's credits its new_logo (read with the credit:
   rep->new_logo), reads the cancellations of their deals from the
   partitions that hold any, and, when a plan pays on payment, each
   deal's payments, in one round trip (none when nothing is to be read). */
int
incentive_query_internal_read_marks (incentive_query_t *self, incentive_query_internal_rep_t *rep,
                                     char *error, size_t error_size)
{
    rep->new_logo = calloc (rep->credit_count ? rep->credit_count : 1, sizeof *rep->new_logo);
    rep->cancels = calloc (rep->credit_count ? rep->credit_count : 1, sizeof *rep->cancels);
    if (!rep->new_logo || !rep->cancels) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    for (size_t index = 0; index < rep->credit_count; index++)
        rep->new_logo[index] = rep->credits[index].new_logo;
    if (rep->credit_count == 0)
        return 0;
    size_t *credits_in = calloc (self->partitions, sizeof *credits_in);
    size_t *commands = calloc (self->partitions, sizeof *commands);
    s_read_t *reads = calloc (self->partitions, sizeof *reads);
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    sp_redis_reply_t *reply = NULL;
    s_found_t *found = NULL;
    int result = -1;
    if (!credits_in || !commands || !reads || !pipeline)
        goto out_of_memory;
    for (size_t index = 0; index < rep->credit_count; index++)
        if (rep->credits[index].partition < self->partitions)
            credits_in[rep->credits[index].partition]++;
    if (s_append_cancels (self, rep, credits_in, reads, commands, pipeline) != 0)
        goto out_of_memory;
    size_t payments_at = sp_redis_pipeline_size (pipeline);
    bool payments = s_reads_payments (self);
    for (size_t index = 0; payments && index < rep->credit_count; index++) {
        const incentive_record_credit_t *credit = &rep->credits[index];
        char paid[SP_PARTITION_KEY_MAX];
        if (incentive_keys_paid (paid, sizeof paid, credit->partition, credit->deal) < 0)
            paid[0] = '\0'; /* a deal id too long for a key: no payment was kept for it */
        if (sp_redis_pipeline_append (pipeline, 2, (const char *[]){ "HGETALL", paid }, NULL) != 0)
            goto out_of_memory;
    }
    if (sp_redis_pipeline_size (pipeline) == 0) {
        result = 0; /* no cancellation in the rep's partitions, no payment to read */
        goto out;
    }
    reply = incentive_query_internal_execute (self, pipeline, error, error_size);
    if (!reply)
        goto out;
    size_t room = 0;
    for (size_t at = 0; at < payments_at; at++) {
        const sp_redis_reply_t *values = sp_redis_reply_element (reply, at);
        if (sp_redis_reply_type (values) != SP_REDIS_REPLY_ARRAY) {
            sp_error_set (error, error_size, "Redis: reading the cancellations failed");
            goto out;
        }
        room += sp_redis_reply_size (values);
    }
    found = malloc ((room ? room : 1) * sizeof *found);
    if (!found)
        goto out_of_memory;
    size_t found_count = 0;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        if (reads[partition] != S_READ_NONE &&
            s_take_cancels (sp_redis_reply_element (reply, commands[partition]), partition, found,
                            &found_count, error, error_size) != 0)
            goto out;
    qsort (found, found_count, sizeof *found, s_compare_found);
    /* one per credit cancelled, in the credits' order */
    for (size_t index = 0; found_count > 0 && index < rep->credit_count; index++) {
        const incentive_record_credit_t *credit = &rep->credits[index];
        s_found_t key = { .partition = credit->partition };
        snprintf (key.cancel.won_event_id, sizeof key.cancel.won_event_id, "%s", credit->event_id);
        const s_found_t *match = bsearch (&key, found, found_count, sizeof *found, s_compare_found);
        if (match)
            rep->cancels[rep->cancel_count++] = match->cancel;
    }
    for (size_t index = 0; payments && index < rep->credit_count; index++) {
        const incentive_record_credit_t *credit = &rep->credits[index];
        const sp_redis_reply_t *paid = sp_redis_reply_element (reply, payments_at + index);
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
    free (found);
    free (credits_in);
    free (commands);
    free (reads);
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    return result;
}
