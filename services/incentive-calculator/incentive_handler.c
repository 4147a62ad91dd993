/*  incentive_handler - incentive-calculator's consumer handler (see
    incentive_handler.h). */
#include "incentive_handler.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "incentive_keys.h"

static const char *
s_text (const char *text)
{
    return text ? text : "";
}

/* Copies text into a field of size bytes; -1 when it does not fit. */
static int
s_copy (char *field, size_t size, const char *text, const char *name, char *error,
        size_t error_size)
{
    size_t length = strlen (s_text (text));
    if (length >= size) {
        snprintf (error, error_size, "field \"%s\": %zu bytes, at most %zu", name, length,
                  size - 1);
        return -1;
    }
    memcpy (field, s_text (text), length + 1);
    return 0;
}

int
incentive_handler_credits (const Salespulse__SalesEvent *event, const char *event_id,
                           incentive_record_credit_t *credits, char *error, size_t error_size)
{
    assert (event && event_id && credits);
    if (event->type != SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON)
        return 0;
    const Salespulse__DealWon *won =
        event->body_case == SALESPULSE__SALES_EVENT__BODY_DEAL_WON ? event->deal_won : NULL;
    if (!won || !won->amount) {
        snprintf (error, error_size, "field \"amount\": required for deal_won");
        return -1;
    }
    incentive_credit_share_t shares[INCENTIVE_CREDIT_SPLITS_MAX];
    size_t count = won->n_splits;
    if (count > INCENTIVE_CREDIT_SPLITS_MAX) {
        snprintf (error, error_size, "field \"splits\": %zu splits, at most %d", count,
                  INCENTIVE_CREDIT_SPLITS_MAX);
        return -1;
    }
    for (size_t index = 0; index < count; index++) {
        shares[index].rep_id = s_text (won->splits[index]->rep_id);
        shares[index].share_bp = (int32_t) won->splits[index]->share_basis_points;
    }
    if (count == 0) {
        /* checked here: incentive_credit would name a split the event lacks */
        size_t rep_length = strlen (s_text (event->rep_id));
        if (rep_length == 0 || rep_length > INCENTIVE_CREDIT_REP_MAX) {
            snprintf (error, error_size,
                      "field \"rep_id\": %zu bytes, must be 1 to %d for deal_won without splits",
                      rep_length, INCENTIVE_CREDIT_REP_MAX);
            return -1;
        }
        shares[0].rep_id = s_text (event->rep_id);
        shares[0].share_bp = INCENTIVE_CREDIT_SHARE_TOTAL;
        count = 1;
    }
    int64_t revenue[INCENTIVE_CREDIT_SPLITS_MAX];
    int64_t margin[INCENTIVE_CREDIT_SPLITS_MAX] = { 0 };
    if (incentive_credit_split (won->amount->amount_minor, shares, count, revenue, error,
                                error_size) != 0)
        return -1;
    if (won->margin && incentive_credit_split (won->margin->amount_minor, shares, count, margin,
                                               error, error_size) != 0)
        return -1;
    incentive_record_credit_t common = { 0 };
    if (s_copy (common.event_id, sizeof common.event_id, event_id, "event_id", error, error_size) !=
            0 ||
        s_copy (common.deal, sizeof common.deal, event->opportunity_id, "opportunity_id", error,
                error_size) != 0 ||
        s_copy (common.customer, sizeof common.customer, event->customer_id, "customer_id", error,
                error_size) != 0 ||
        s_copy (common.currency, sizeof common.currency, won->amount->currency, "amount.currency",
                error, error_size) != 0)
        return -1;
    common.occurred_at = event->occurred_at;
    common.deal_amount = won->amount->amount_minor;
    common.has_margin = won->margin != NULL;
    for (size_t index = 0; index < count; index++) {
        credits[index] = common;
        if (s_copy (credits[index].rep, sizeof credits[index].rep, shares[index].rep_id, "rep_id",
                    error, error_size) != 0)
            return -1;
        credits[index].credit_bp = shares[index].share_bp;
        credits[index].revenue = revenue[index];
        credits[index].margin = margin[index];
    }
    return (int) count;
}

/* ---------------------------------------------------------------- consumer */

/* The key of the record a deal_won (customer's first won deal) or a
   deal_cancelled (the won deal's cancellation) reads; 0 for other events
   or a deal without a customer; -1 when it does not fit. */
static int
s_read_key (uint32_t partition, const Salespulse__SalesEvent *event, char *key, size_t size)
{
    if (event->type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON) {
        if (!*s_text (event->customer_id))
            return 0;
        return incentive_keys_logo (key, size, partition, event->customer_id);
    }
    if (event->type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_CANCELLED &&
        event->body_case == SALESPULSE__SALES_EVENT__BODY_DEAL_CANCELLED &&
        *s_text (event->deal_cancelled->won_event_id))
        return incentive_keys_cancel (key, size, partition, event->deal_cancelled->won_event_id);
    return 0;
}

static int
s_begin (void *arg, uint32_t partition, const sp_consumer_event_t *events, size_t count,
         sp_consumer_view_t *view, char *error, size_t error_size)
{
    (void) arg;
    (void) error;
    (void) error_size;
    for (size_t index = 0; index < count; index++) {
        char key[SP_PARTITION_KEY_MAX];
        /* a key that does not fit is not declared: apply fails that event */
        if (s_read_key (partition, events[index].event, key, sizeof key) > 0)
            sp_consumer_view_want (view, key);
    }
    return 0;
}

/* The stored value of key (declared in begin): *found, or -1 with the
   view's reason. */
static const char *
s_get (sp_consumer_view_t *view, const char *key, size_t *length, bool *found, char *error,
       size_t error_size, int *failed)
{
    const char *stored = sp_consumer_view_get (view, key, length, found);
    *failed = !*found && sp_consumer_view_error (view) ? -1 : 0;
    if (*failed)
        snprintf (error, error_size, "%s", sp_consumer_view_error (view));
    return stored;
}

static int
s_put (sp_consumer_view_t *view, sp_consumer_batch_t *batch, const char *key, const char *value,
       size_t length, char *error, size_t error_size)
{
    if (sp_consumer_view_put (view, batch, key, value, length) != 0) {
        snprintf (error, error_size, "%s", sp_consumer_view_error (view));
        return -1;
    }
    return 0;
}

/* The record of a won deal: its time and the reps of its credits. */
static void
s_won_record (const sp_consumer_event_t *item, const incentive_record_credit_t *credits, int count,
              incentive_record_won_t *won)
{
    memset (won, 0, sizeof *won);
    won->occurred_at = item->event->occurred_at;
    snprintf (won->event_id, sizeof won->event_id, "%s", item->event_id);
    won->rep_count = (size_t) count;
    for (int index = 0; index < count; index++)
        memcpy (won->reps[index], credits[index].rep, sizeof won->reps[index]);
}

/* Adds "command key member" for each rep of won to the step: key is the
   rep's key of keys_fn. */
static int
s_per_rep (const sp_consumer_event_t *item, sp_consumer_batch_t *batch,
           int (*keys_fn) (char *, size_t, uint32_t, const char *),
           const incentive_record_won_t *won, const char *command, const char *member,
           const char *value, size_t value_length, char *error, size_t error_size)
{
    for (size_t index = 0; index < won->rep_count; index++) {
        char key[SP_PARTITION_KEY_MAX];
        if (keys_fn (key, sizeof key, item->partition, won->reps[index]) < 0) {
            snprintf (error, error_size, "field \"rep_id\": key of \"%.64s\" does not fit",
                      won->reps[index]);
            return -1;
        }
        const char *argv[] = { command, key, member, value };
        const size_t lengths[] = { strlen (command), strlen (key), strlen (member), value_length };
        if (sp_consumer_batch_command (batch, value ? 4 : 3, argv, lengths) != 0) {
            snprintf (error, error_size, "could not add a mark to the step (full)");
            return -1;
        }
    }
    return 0;
}

/* Keeps the customer's first won deal: this one when it is earlier (its
   record names its reps; the reps of the deal it displaces get it in
   their displaced set). Sets *first when this deal is the customer's
   first won deal now. */
static int
s_logo (const sp_consumer_event_t *item, const incentive_record_won_t *won,
        sp_consumer_view_t *view, sp_consumer_batch_t *batch, bool *first, char *error,
        size_t error_size)
{
    *first = false;
    char key[SP_PARTITION_KEY_MAX];
    int key_length = s_read_key (item->partition, item->event, key, sizeof key);
    if (key_length == 0)
        return 0; /* a deal without a customer is never a new logo */
    if (key_length < 0) {
        snprintf (error, error_size, "field \"customer_id\": key of \"%.64s\" does not fit",
                  item->event->customer_id);
        return -1;
    }
    size_t length;
    bool found;
    int failed;
    const char *stored = s_get (view, key, &length, &found, error, error_size, &failed);
    if (failed)
        return -1;
    if (found) {
        incentive_record_won_t logo;
        if (incentive_record_won_unpack (stored, length, &logo) != 0) {
            snprintf (error, error_size, "stored record of %s is not a first won deal", key);
            return -1;
        }
        if (strcmp (logo.event_id, item->event_id) == 0) {
            *first = true; /* this deal again: still the first */
            return 0;
        }
        if (!incentive_record_before (item->event->occurred_at, item->event_id, logo.occurred_at,
                                      logo.event_id))
            return 0;
        /* the deal first until now is no longer: its credits say so */
        if (s_per_rep (item, batch, incentive_keys_displaced, &logo, "SADD", logo.event_id, NULL, 0,
                       error, error_size) != 0)
            return -1;
    }
    *first = true;
    char packed[INCENTIVE_RECORD_WON_PACKED_MAX];
    size_t packed_length = incentive_record_won_pack (won, packed, sizeof packed);
    assert (packed_length > 0); /* INCENTIVE_RECORD_WON_PACKED_MAX always fits */
    return s_put (view, batch, key, packed, packed_length, error, error_size);
}

static int
s_won (const sp_consumer_event_t *item, sp_consumer_view_t *view, sp_consumer_batch_t *batch,
       char *error, size_t error_size)
{
    incentive_record_credit_t credits[INCENTIVE_CREDIT_SPLITS_MAX];
    int count = incentive_handler_credits (item->event, item->event_id, credits, error, error_size);
    if (count < 0)
        return -1;
    incentive_record_won_t won;
    s_won_record (item, credits, count, &won);
    bool first;
    if (s_logo (item, &won, view, batch, &first, error, error_size) != 0)
        return -1;
    char key[SP_PARTITION_KEY_MAX];
    char reps[SP_PARTITION_KEY_MAX];
    int reps_length = incentive_keys_reps (reps, sizeof reps, item->partition);
    assert (reps_length > 0); /* a fixed suffix */
    for (int index = 0; index < count; index++) {
        incentive_record_credit_t *credit = &credits[index];
        credit->new_logo = first;
        if (incentive_keys_rep (key, sizeof key, item->partition, credit->rep) < 0) {
            snprintf (error, error_size, "field \"rep_id\": key of \"%.64s\" does not fit",
                      credit->rep);
            return -1;
        }
        char packed[INCENTIVE_RECORD_PACKED_MAX];
        size_t packed_length = incentive_record_credit_pack (credit, packed, sizeof packed);
        assert (packed_length > 0); /* INCENTIVE_RECORD_PACKED_MAX always fits */
        const char *argv[] = { "HSET", key, credit->event_id, packed };
        const size_t lengths[] = { 4, strlen (key), strlen (credit->event_id), packed_length };
        if (sp_consumer_batch_command (batch, 4, argv, lengths) != 0 ||
            sp_consumer_batch_increment (batch, reps, (size_t) reps_length, credit->rep,
                                         strlen (credit->rep), 1) != 0) {
            snprintf (error, error_size, "could not add the credit to the step (full)");
            return -1;
        }
    }
    return 0;
}

/* Keeps the won deal's earliest cancellation. */
static int
s_cancelled (const sp_consumer_event_t *item, sp_consumer_view_t *view, sp_consumer_batch_t *batch,
             char *error, size_t error_size)
{
    const Salespulse__SalesEvent *event = item->event;
    char key[SP_PARTITION_KEY_MAX];
    int key_length = s_read_key (item->partition, event, key, sizeof key);
    if (key_length == 0) {
        snprintf (error, error_size, "field \"won_event_id\": required for deal_cancelled");
        return -1;
    }
    if (key_length < 0) {
        snprintf (error, error_size, "field \"won_event_id\": key does not fit");
        return -1;
    }
    size_t length;
    bool found;
    int failed;
    const char *stored = s_get (view, key, &length, &found, error, error_size, &failed);
    if (failed)
        return -1;
    incentive_record_cancel_t cancel;
    if (found) {
        if (incentive_record_cancel_unpack (stored, length, &cancel) != 0) {
            snprintf (error, error_size, "stored record of %s is not a cancellation", key);
            return -1;
        }
        if (!incentive_record_before (event->occurred_at, item->event_id, cancel.occurred_at,
                                      cancel.event_id))
            return 0;
    }
    memset (&cancel, 0, sizeof cancel);
    if (s_copy (cancel.event_id, sizeof cancel.event_id, item->event_id, "event_id", error,
                error_size) != 0 ||
        s_copy (cancel.won_event_id, sizeof cancel.won_event_id,
                event->deal_cancelled->won_event_id, "won_event_id", error, error_size) != 0)
        return -1;
    cancel.occurred_at = event->occurred_at;
    incentive_record_reason_copy (cancel.reason, s_text (event->deal_cancelled->reason));
    char packed[INCENTIVE_RECORD_PACKED_MAX];
    size_t packed_length = incentive_record_cancel_pack (&cancel, packed, sizeof packed);
    assert (packed_length > 0); /* INCENTIVE_RECORD_PACKED_MAX always fits */
    if (s_put (view, batch, key, packed, packed_length, error, error_size) != 0)
        return -1;
    /* and in the partition's cancelled hash, which statements read */
    char cancelled[SP_PARTITION_KEY_MAX];
    int cancelled_length = incentive_keys_cancelled (cancelled, sizeof cancelled, item->partition);
    assert (cancelled_length > 0); /* a fixed suffix */
    const char *argv[] = { "HSET", cancelled, cancel.won_event_id, packed };
    const size_t lengths[] = { 4, (size_t) cancelled_length, strlen (cancel.won_event_id),
                               packed_length };
    if (sp_consumer_batch_command (batch, 4, argv, lengths) != 0) {
        snprintf (error, error_size, "could not add the cancellation to the step (full)");
        return -1;
    }
    return 0;
}

/* Keeps a payment of a deal (order_id = the deal's opportunity_id): a
   payment without an order_id is no deal's and is not kept. */
static int
s_payment (const sp_consumer_event_t *item, sp_consumer_batch_t *batch, char *error,
           size_t error_size)
{
    const Salespulse__SalesEvent *event = item->event;
    const Salespulse__PaymentReceived *received =
        event->body_case == SALESPULSE__SALES_EVENT__BODY_PAYMENT_RECEIVED ? event->payment_received
                                                                           : NULL;
    if (!received || !received->amount) {
        snprintf (error, error_size, "field \"amount\": required for payment_received");
        return -1;
    }
    if (!*s_text (received->order_id))
        return 0;
    incentive_record_payment_t payment = { 0 };
    if (s_copy (payment.event_id, sizeof payment.event_id, item->event_id, "event_id", error,
                error_size) != 0 ||
        s_copy (payment.deal, sizeof payment.deal, received->order_id, "order_id", error,
                error_size) != 0 ||
        s_copy (payment.currency, sizeof payment.currency, received->amount->currency,
                "amount.currency", error, error_size) != 0)
        return -1;
    if (received->amount->amount_minor < 0) {
        snprintf (error, error_size, "field \"amount\": must not be negative");
        return -1;
    }
    payment.occurred_at = event->occurred_at;
    payment.amount = received->amount->amount_minor;
    char key[SP_PARTITION_KEY_MAX];
    if (incentive_keys_paid (key, sizeof key, item->partition, payment.deal) < 0) {
        snprintf (error, error_size, "field \"order_id\": key of \"%.64s\" does not fit",
                  payment.deal);
        return -1;
    }
    char packed[INCENTIVE_RECORD_PACKED_MAX];
    size_t packed_length = incentive_record_payment_pack (&payment, packed, sizeof packed);
    assert (packed_length > 0); /* INCENTIVE_RECORD_PACKED_MAX always fits */
    const char *argv[] = { "HSET", key, payment.event_id, packed };
    const size_t lengths[] = { 4, strlen (key), strlen (payment.event_id), packed_length };
    if (sp_consumer_batch_command (batch, 4, argv, lengths) != 0) {
        snprintf (error, error_size, "could not add the payment to the step (full)");
        return -1;
    }
    return 0;
}

static int
s_apply (void *arg, const sp_consumer_event_t *item, sp_consumer_view_t *view,
         sp_consumer_batch_t *batch, char *error, size_t error_size)
{
    (void) arg;
    switch (item->event->type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON:
            return s_won (item, view, batch, error, error_size);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_CANCELLED:
            return s_cancelled (item, view, batch, error, error_size);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED:
            return s_payment (item, batch, error, error_size);
        default:
            return 0;
    }
}

sp_consumer_handler_t
incentive_handler_consumer (void)
{
    return (sp_consumer_handler_t){ .apply = s_apply, .arg = NULL, .begin = s_begin };
}
