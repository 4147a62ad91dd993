/*  incentive_query_marks - the marks of a rep's credits (each customer's
    first won deal, each deal's cancellation and, when a plan pays on
    payment, each deal's payments), read in one round trip for
    incentive_query.c (see incentive_query_internal.h). */
#include "incentive_query_internal.h"

#include <stdlib.h>
#include <string.h>

#include "incentive_keys.h"
#include "incentive_plan.h"
#include "sp_array.h"
#include "sp_error.h"
#include "sp_partition.h"

#define S_MARKS_PER_MGET 512 /* credits whose marks one MGET reads */

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

/* Where a credit's marks are in the reply of incentive_query_internal_read_marks. */
typedef struct {
    size_t credit;  /* its index among the rep's credits */
    size_t command; /* the MGET holding its keys */
    size_t at;      /* its cancellation key's place in it; its logo key follows */
} s_mark_t;

static int
s_compare_mark (const void *left, const void *right)
{
    const s_mark_t *a = left;
    const s_mark_t *b = right;
    if (a->command != b->command) /* the partition, when sorting */
        return a->command < b->command ? -1 : 1;
    return (a->credit > b->credit) - (a->credit < b->credit);
}

/* The keys of a partition's marks, written from their prefixes (one
   copy each, no printf: a statement of 10,000 credits builds 20,000). */
typedef struct {
    char cancel[SP_PARTITION_KEY_MAX]; /* incentive_keys_cancel's prefix */
    size_t cancel_length;
    char logo[SP_PARTITION_KEY_MAX]; /* incentive_keys_logo's prefix */
    size_t logo_length;
} s_mark_keys_t;

static void
s_mark_keys (s_mark_keys_t *keys, uint32_t partition)
{
    int cancel = incentive_keys_cancel (keys->cancel, sizeof keys->cancel, partition, "");
    int logo = incentive_keys_logo (keys->logo, sizeof keys->logo, partition, "");
    keys->cancel_length = cancel > 0 ? (size_t) cancel : 0;
    keys->logo_length = logo > 0 ? (size_t) logo : 0;
}

/* The key prefix + name into key (SP_PARTITION_KEY_MAX bytes), its
   length in *length: the key the incentive_keys function of the prefix
   gives for name. Names that would not fit go through that function
   (logo when is_logo, else cancel), as before. */
static void
s_mark_key (char *key, size_t *length, const char *prefix, size_t prefix_length, bool is_logo,
            uint32_t partition, const char *name)
{
    size_t name_length = strlen (name);
    if (prefix_length > 0 && prefix_length + name_length < SP_PARTITION_KEY_MAX) {
        memcpy (key, prefix, prefix_length);
        memcpy (key + prefix_length, name, name_length + 1);
        *length = prefix_length + name_length;
        return;
    }
    /* ids fit their keys (the handler wrote them): -1 is not expected here;
       it would read the empty key, which holds nothing */
    int written = is_logo ? incentive_keys_logo (key, SP_PARTITION_KEY_MAX, partition, name)
                          : incentive_keys_cancel (key, SP_PARTITION_KEY_MAX, partition, name);
    if (written < 0)
        key[0] = '\0';
    *length = strlen (key);
}

/* Appends the MGETs of the marks (cancellation, then first won deal of
   the customer, when the deal names one) of every credit: one per
   S_MARKS_PER_MGET credits of a partition (its keys share its slot),
   setting each mark's command and place. */
static int
s_append_marks (const incentive_query_internal_rep_t *rep, s_mark_t *marks,
                sp_redis_pipeline_t *pipeline)
{
    for (size_t index = 0; index < rep->credit_count; index++)
        marks[index] = (s_mark_t){ .credit = index, .command = rep->credits[index].partition };
    qsort (marks, rep->credit_count, sizeof *marks, s_compare_mark);
    char (*keys)[SP_PARTITION_KEY_MAX] = malloc (2 * S_MARKS_PER_MGET * sizeof *keys);
    const char **argv = malloc ((1 + 2 * S_MARKS_PER_MGET) * sizeof *argv);
    size_t *lengths = malloc ((1 + 2 * S_MARKS_PER_MGET) * sizeof *lengths);
    int result = -1;
    if (!keys || !argv || !lengths)
        goto out;
    argv[0] = "MGET";
    lengths[0] = strlen (argv[0]);
    s_mark_keys_t prefixes = { .cancel_length = 0 };
    uint32_t prefixes_of = UINT32_MAX;
    for (size_t first = 0; first < rep->credit_count;) {
        uint32_t partition = rep->credits[marks[first].credit].partition;
        if (partition != prefixes_of) {
            s_mark_keys (&prefixes, partition);
            prefixes_of = partition;
        }
        size_t command = sp_redis_pipeline_size (pipeline);
        int argc = 1;
        size_t index = first;
        for (; index < rep->credit_count && index - first < S_MARKS_PER_MGET &&
               rep->credits[marks[index].credit].partition == partition;
             index++) {
            const incentive_record_credit_t *credit = &rep->credits[marks[index].credit];
            marks[index].command = command;
            marks[index].at = (size_t) argc - 1;
            s_mark_key (keys[argc - 1], &lengths[argc], prefixes.cancel, prefixes.cancel_length,
                        false, partition, credit->event_id);
            argv[argc] = keys[argc - 1];
            argc++;
            /* a deal without a customer is never a new logo: only its cancellation is read */
            if (credit->customer[0]) {
                s_mark_key (keys[argc - 1], &lengths[argc], prefixes.logo, prefixes.logo_length,
                            true, partition, credit->customer);
                argv[argc] = keys[argc - 1];
                argc++;
            }
        }
        if (sp_redis_pipeline_append (pipeline, argc, argv, lengths) != 0)
            goto out;
        first = index;
    }
    result = 0;
out:
    free (keys);
    free (argv);
    free (lengths);
    return result;
}

/* Reads, for each credit, its customer's first won deal, its deal's
   cancellation and (when a plan pays on payment) its deal's payments, in
   one round trip. */
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
    if (rep->credit_count == 0)
        return 0;
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    sp_redis_reply_t *reply = NULL;
    s_mark_t *marks = malloc (rep->credit_count * sizeof *marks);
    size_t *where = malloc (rep->credit_count * sizeof *where);
    int result = -1;
    if (!pipeline || !marks || !where || s_append_marks (rep, marks, pipeline) != 0)
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
    for (size_t index = 0; index < rep->credit_count; index++)
        where[marks[index].credit] = index;
    reply = incentive_query_internal_execute (self, pipeline, error, error_size);
    if (!reply)
        goto out;
    for (size_t index = 0; index < rep->credit_count; index++) {
        const incentive_record_credit_t *credit = &rep->credits[index];
        const s_mark_t *mark = &marks[where[index]];
        const sp_redis_reply_t *values = sp_redis_reply_element (reply, mark->command);
        if (payments) {
            const sp_redis_reply_t *paid = sp_redis_reply_element (reply, payments_at + index);
            if (sp_redis_reply_type (paid) != SP_REDIS_REPLY_ARRAY) {
                sp_error_set (error, error_size, "Redis: HGETALL of the payments of %s failed",
                              credit->deal);
                goto out;
            }
            if (s_add_payments (rep, paid, credit->deal, error, error_size) != 0)
                goto out;
        }
        if (sp_redis_reply_type (values) != SP_REDIS_REPLY_ARRAY ||
            sp_redis_reply_size (values) < mark->at + (credit->customer[0] ? 2 : 1)) {
            sp_error_set (error, error_size, "Redis: MGET of the marks of %s failed",
                          credit->event_id);
            goto out;
        }
        size_t length;
        const char *cancel =
            sp_redis_reply_text (sp_redis_reply_element (values, mark->at), &length);
        if (cancel) {
            if (incentive_record_cancel_unpack (cancel, length, &rep->cancels[rep->cancel_count]) !=
                0) {
                sp_error_set (error, error_size, "the cancellation of %s is not a record",
                              credit->event_id);
                goto out;
            }
            rep->cancel_count++;
        }
        if (!credit->customer[0])
            continue;
        const char *logo =
            sp_redis_reply_text (sp_redis_reply_element (values, mark->at + 1), &length);
        incentive_record_logo_t first;
        if (logo && incentive_record_logo_unpack (logo, length, &first) == 0)
            rep->new_logo[index] = strcmp (first.event_id, credit->event_id) == 0;
    }
    result = 0;
    goto out;
out_of_memory:
    sp_error_set (error, error_size, "out of memory");
out:
    free (marks);
    free (where);
    sp_redis_reply_destroy (&reply);
    sp_redis_pipeline_destroy (&pipeline);
    return result;
}
