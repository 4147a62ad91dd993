/*  churn_handler - churn-alerting's consumer handler (see churn_handler.h). */
#include "churn_handler.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churn_keys.h"
#include "sp_civil.h"
#include "sp_period.h"

struct _churn_handler_t {
    const sp_tz_t *tz;                          /* borrowed */
    char currency[CHURN_HANDLER_CURRENCY_SIZE]; /* reporting currency */
    char packed[CHURN_CUSTOMER_PACKED_MAX];     /* scratch: its binary form */
    churn_handler_day_fn *day;                  /* told of a watermark's new day; NULL: none */
    void *day_arg;                              /* its argument */
    churn_handler_customer_fn *customer_added;  /* told of a new customer; NULL: none */
    void *customer_arg;                         /* its argument */
};

churn_handler_t *
churn_handler_new (const sp_tz_t *tz, const char *currency)
{
    assert (tz && currency);
    churn_handler_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->tz = tz;
    snprintf (self->currency, sizeof self->currency, "%s", currency);
    return self;
}

void
churn_handler_destroy (churn_handler_t **self_p)
{
    assert (self_p);
    churn_handler_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

void
churn_handler_on_day (churn_handler_t *self, churn_handler_day_fn *day, void *arg)
{
    assert (self);
    self->day = day;
    self->day_arg = arg;
}

void
churn_handler_on_customer (churn_handler_t *self, churn_handler_customer_fn *customer, void *arg)
{
    assert (self);
    self->customer_added = customer;
    self->customer_arg = arg;
}

/* ---------------------------------------------------------------- mapping */

static const char *
s_text (const char *text)
{
    return text ? text : "";
}

/* True for an event type the health model uses. */
static bool
s_used (const Salespulse__SalesEvent *event)
{
    switch (event->type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_COMPLAINT:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY:
            return *s_text (event->customer_id) != '\0';
        default:
            return false;
    }
}

/* Sets the amount of money into out; false when there is none. */
static bool
s_money (const churn_handler_t *self, const Salespulse__Money *money, churn_customer_event_t *out)
{
    if (!money)
        return false;
    out->amount_minor = money->amount_minor;
    out->reporting_currency = strcmp (s_text (money->currency), self->currency) == 0;
    return true;
}

/* The body of event into out; false when it has none the state can use. */
static bool
s_body (const churn_handler_t *self, const Salespulse__SalesEvent *event,
        churn_customer_event_t *out)
{
    switch (event->type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED:
            out->type = CHURN_CUSTOMER_ORDER;
            return event->order_placed && s_money (self, event->order_placed->amount, out);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED:
            out->type = CHURN_CUSTOMER_PAYMENT;
            return event->payment_received && s_money (self, event->payment_received->amount, out);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED:
            out->type = CHURN_CUSTOMER_VISIT;
            return true;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL:
            out->type = CHURN_CUSTOMER_CALL;
            return true;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO:
            out->type = CHURN_CUSTOMER_DEMO;
            return true;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_COMPLAINT:
            out->type = CHURN_CUSTOMER_COMPLAINT;
            if (!event->complaint)
                return false;
            switch (event->complaint->severity) {
                case SALESPULSE__COMPLAINT_SEVERITY__COMPLAINT_SEVERITY_LOW:
                    out->severity = CHURN_MODEL_SEVERITY_LOW;
                    return true;
                case SALESPULSE__COMPLAINT_SEVERITY__COMPLAINT_SEVERITY_MEDIUM:
                    out->severity = CHURN_MODEL_SEVERITY_MEDIUM;
                    return true;
                case SALESPULSE__COMPLAINT_SEVERITY__COMPLAINT_SEVERITY_HIGH:
                    out->severity = CHURN_MODEL_SEVERITY_HIGH;
                    return true;
                case SALESPULSE__COMPLAINT_SEVERITY__COMPLAINT_SEVERITY_CRITICAL:
                    out->severity = CHURN_MODEL_SEVERITY_CRITICAL;
                    return true;
                default:
                    return false;
            }
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY:
            out->type = CHURN_CUSTOMER_SURVEY;
            if (!event->survey)
                return false;
            if (event->survey->score_case == SALESPULSE__SURVEY__SCORE_NPS) {
                out->survey = CHURN_CUSTOMER_SURVEY_NPS;
                out->survey_score = event->survey->nps > CHURN_MODEL_NPS_MAX
                                        ? CHURN_MODEL_NPS_MAX + 1 /* refused by the state */
                                        : (int) event->survey->nps;
                return true;
            }
            if (event->survey->score_case == SALESPULSE__SURVEY__SCORE_CSAT) {
                out->survey = CHURN_CUSTOMER_SURVEY_CSAT;
                out->survey_score = event->survey->csat > CHURN_MODEL_CSAT_MAX
                                        ? CHURN_MODEL_CSAT_MAX + 1 /* refused by the state */
                                        : (int) event->survey->csat;
                return true;
            }
            return false;
        default:
            return false;
    }
}

int
churn_handler_map (const churn_handler_t *self, const Salespulse__SalesEvent *event,
                   const char *event_id, churn_customer_event_t *out, char *error,
                   size_t error_size)
{
    assert (self && event && out);
    if (!s_used (event))
        return 0;
    churn_customer_event_t mapped;
    memset (&mapped, 0, sizeof mapped);
    if (!s_body (self, event, &mapped))
        return 0;
    if (sp_period_local_day (self->tz, event->occurred_at, &mapped.day) != 0) {
        snprintf (error, error_size, "occurred_at %lld has no local day in years 1..9999",
                  (long long) event->occurred_at);
        return -1;
    }
    mapped.occurred_at = event->occurred_at;
    mapped.event_id = event_id;
    mapped.rep_id = event->rep_id;
    mapped.team_id = event->team_id;
    mapped.region_id = event->region_id;
    *out = mapped;
    return 1;
}

/* ---------------------------------------------------------------- consumer */

static int
s_begin (void *arg, uint32_t partition, const sp_consumer_event_t *events, size_t count,
         sp_consumer_view_t *view, char *error, size_t error_size)
{
    (void) arg;
    (void) error;
    (void) error_size;
    bool any = false;
    for (size_t index = 0; index < count; index++) {
        const Salespulse__SalesEvent *event = events[index].event;
        char key[SP_PARTITION_KEY_MAX];
        if (!s_used (event))
            continue;
        any = true;
        /* a key that does not fit is not declared: apply fails that event;
           out of memory here fails the fetch, and the run is retried */
        if (churn_keys_customer (key, sizeof key, partition, event->customer_id) > 0)
            sp_consumer_view_want (view, key);
    }
    char watermark[SP_PARTITION_KEY_MAX];
    if (any && churn_keys_watermark (watermark, sizeof watermark, partition) > 0)
        sp_consumer_view_want (view, watermark);
    return 0;
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

/* Tells the day hook when the watermark moves from previous (found: there
   was one) into a later local day at. */
static void
s_day_change (const churn_handler_t *self, uint32_t partition, bool found, int64_t previous,
              int64_t at)
{
    int64_t day = 0, previous_day = 0;
    if (!self->day || sp_period_local_day (self->tz, at, &day) != 0)
        return;
    if (found && sp_period_local_day (self->tz, previous, &previous_day) == 0 &&
        previous_day >= day)
        return;
    self->day (self->day_arg, partition, day);
}

/* Moves the partition's watermark to at when it is later. */
static int
s_watermark (const churn_handler_t *self, sp_consumer_view_t *view, sp_consumer_batch_t *batch,
             uint32_t partition, int64_t at, char *error, size_t error_size)
{
    char key[SP_PARTITION_KEY_MAX];
    int key_length = churn_keys_watermark (key, sizeof key, partition);
    assert (key_length > 0); /* a fixed suffix */
    size_t length;
    bool found;
    const char *stored = sp_consumer_view_get (view, key, &length, &found);
    if (!found && sp_consumer_view_error (view)) {
        snprintf (error, error_size, "%s", sp_consumer_view_error (view));
        return -1;
    }
    int64_t watermark = 0;
    if (found && churn_keys_watermark_read (stored, length, &watermark) != 0) {
        snprintf (error, error_size, "stored watermark of %s is not a decimal time", key);
        return -1;
    }
    if (found && watermark >= at)
        return 0;
    char text[SP_CONSUMER_BATCH_NUMBER_SIZE];
    size_t text_length = sp_consumer_batch_number (text, at);
    if (s_put (view, batch, key, text, text_length, error, error_size) != 0)
        return -1;
    s_day_change (self, partition, found, watermark, at);
    return 0;
}

/* Frees a customer the view kept (sp_consumer_view_free_fn). */
static void
s_customer_free (void *customer)
{
    churn_customer_t *record = customer;
    churn_customer_destroy (&record);
}

static int
s_apply (void *arg, const sp_consumer_event_t *item, sp_consumer_view_t *view,
         sp_consumer_batch_t *batch, char *error, size_t error_size)
{
    churn_handler_t *self = arg;
    const Salespulse__SalesEvent *event = item->event;
    churn_customer_event_t mapped;
    int mapping = churn_handler_map (self, event, item->event_id, &mapped, error, error_size);
    if (mapping <= 0)
        return mapping;
    char key[SP_PARTITION_KEY_MAX];
    if (churn_keys_customer (key, sizeof key, item->partition, event->customer_id) < 0) {
        snprintf (error, error_size, "customer key of \"%.64s\" does not fit", event->customer_id);
        return -1;
    }
    size_t length;
    bool found;
    const char *stored = sp_consumer_view_get (view, key, &length, &found);
    if (!found && sp_consumer_view_error (view)) {
        snprintf (error, error_size, "%s", sp_consumer_view_error (view));
        return -1;
    }
    /* The record is unpacked once per run: the view keeps the parse with
       the value put (sp_consumer_view_put_decoded), so the customer's next
       event in the run applies to it. A refused event leaves the state
       untouched (churn_customer_apply), and a rewound put takes the parse
       with it. */
    churn_customer_t *customer = sp_consumer_view_decoded (view, key);
    if (!customer) {
        bool valid = true;
        customer = churn_customer_read (found ? stored : NULL, found ? length : 0, &valid);
        if (!customer) {
            snprintf (error, error_size,
                      valid ? "out of memory reading the record of %s"
                            : "stored record of %s is not a customer state",
                      key);
            return -1;
        }
        if (sp_consumer_view_set_decoded (view, key, customer, s_customer_free) != 0) {
            snprintf (error, error_size, "%s", sp_consumer_view_error (view));
            return -1;
        }
    }
    if (churn_customer_apply (customer, &mapped) != 0) {
        snprintf (error, error_size,
                  "the customer state refuses the event (amount beyond 10^15 minor units, a "
                  "negative payment, a survey score off its scale, or a rep, team or region id "
                  "beyond 64 bytes)");
        return -1;
    }
    size_t packed_length = churn_customer_pack (customer, self->packed, sizeof self->packed);
    assert (packed_length > 0); /* CHURN_CUSTOMER_PACKED_MAX always fits */
    if (sp_consumer_view_put_decoded (view, batch, key, self->packed, packed_length, customer,
                                      s_customer_free) != 0) {
        snprintf (error, error_size, "%s", sp_consumer_view_error (view));
        return -1;
    }
    if (!found) {
        char customers[SP_PARTITION_KEY_MAX];
        int customers_length = churn_keys_customers (customers, sizeof customers, item->partition);
        assert (customers_length > 0); /* a fixed suffix */
        if (sp_consumer_batch_command (
                batch, 3, (const char *[]){ "SADD", customers, event->customer_id }, NULL) != 0) {
            snprintf (error, error_size, "could not add the customer to the step (full)");
            return -1;
        }
        if (self->customer_added)
            self->customer_added (self->customer_arg, item->partition);
    }
    return s_watermark (self, view, batch, item->partition, event->occurred_at, error, error_size);
}

sp_consumer_handler_t
churn_handler_consumer (churn_handler_t *self)
{
    return (sp_consumer_handler_t){ .apply = s_apply, .arg = self, .begin = s_begin };
}
