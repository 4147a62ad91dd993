/*  kpi_handler - kpi-evaluator's consumer handler (see kpi_handler.h). */
#include "kpi_handler.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_keys.h"
#include "kpi_record.h"
#include "sp_civil.h"
#include "sp_period.h"

/* An ISO-4217 code and its NUL. */
#define S_CURRENCY_SIZE 4
/* NPS answers that promote (9..10) and detract (0..6). */
#define S_NPS_PROMOTER_MIN 9
#define S_NPS_DETRACTOR_MAX 6
/* Room for a plan's target: "o:" and an opportunity id. */
#define S_TARGET_SIZE (KPI_RECORD_ID_SIZE + 2)
#define S_SCOPES_MAX 4 /* company, region, team, rep */

struct _kpi_handler_t {
    const sp_org_t *org;              /* borrowed, may be NULL */
    const kpi_customers_t *customers; /* borrowed, may be NULL */
    const sp_tz_t *tz;                /* borrowed */
    char currency[S_CURRENCY_SIZE];   /* reporting currency */
};

kpi_handler_t *
kpi_handler_new (const sp_org_t *org, const kpi_customers_t *customers, const sp_tz_t *tz,
                 const char *currency)
{
    assert (tz && currency);
    kpi_handler_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->org = org;
    self->customers = customers;
    self->tz = tz;
    snprintf (self->currency, sizeof self->currency, "%s", currency);
    return self;
}

void
kpi_handler_destroy (kpi_handler_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

/* ---------------------------------------------------------------- measures */

/* A local day: its label, its month's label and its number. */
typedef struct {
    char day[SP_PERIOD_LABEL_SIZE];
    char month[SP_PERIOD_LABEL_SIZE];
    int64_t number; /* days since 1970-01-01 */
} s_day_t;

static int
s_day (const kpi_handler_t *self, int64_t at, s_day_t *out, char *error, size_t error_size)
{
    sp_period_t period;
    if (sp_period_cut (self->tz, SP_PERIOD_DAY, at, &period) != 0) {
        snprintf (error, error_size, "instant %lld has no local day in 1..9999", (long long) at);
        return -1;
    }
    memcpy (out->day, period.label, sizeof out->day);
    memcpy (out->month, period.label, 7); /* "YYYY-MM" of "YYYY-MM-DD" */
    out->month[7] = '\0';
    int parsed = sp_civil_date_parse (period.label, &out->number);
    assert (parsed == 0); /* a day's label is its date */
    (void) parsed;
    return 0;
}

/* The scopes of (rep, team, region) on the local day of at: fills day
   and scopes, and list with the names it counts in, widest first
   (company, region, team, rep; with from_team only team and rep).
   Returns how many, or -1 (error set) when at has no local day. */
static int
s_scopes (const kpi_handler_t *self, int64_t at, const char *rep, const char *team,
          const char *region, bool from_team, s_day_t *day, sp_org_scopes_t *scopes,
          const char *list[S_SCOPES_MAX], char *error, size_t error_size)
{
    if (s_day (self, at, day, error, error_size) != 0)
        return -1;
    sp_org_scopes (self->org, rep, team, region, day->number, scopes);
    int count = 0;
    if (!from_team) {
        list[count++] = scopes->company;
        if (scopes->has_region)
            list[count++] = scopes->region;
    }
    if (scopes->has_team)
        list[count++] = scopes->team;
    if (scopes->has_rep)
        list[count++] = scopes->rep;
    return count;
}

/* Adds delta to measure in every scope of (rep, team, region) on the
   local day and month of at. */
static int
s_count (const kpi_handler_t *self, sp_consumer_batch_t *batch, uint32_t partition, int64_t at,
         const char *rep, const char *team, const char *region, kpi_measure_t measure,
         int64_t delta, char *error, size_t error_size)
{
    if (delta == 0)
        return 0;
    s_day_t day;
    sp_org_scopes_t scopes;
    const char *list[S_SCOPES_MAX];
    int count =
        s_scopes (self, at, rep, team, region, false, &day, &scopes, list, error, error_size);
    if (count < 0)
        return -1;
    const char kinds[] = { KPI_KEYS_DAY, KPI_KEYS_MONTH };
    const char *labels[] = { day.day, day.month };
    for (size_t bucket = 0; bucket < 2; bucket++) {
        char key[SP_PARTITION_KEY_MAX];
        int key_length =
            kpi_keys_bucket (key, sizeof key, partition, kinds[bucket], labels[bucket]);
        assert (key_length > 0); /* labels are short */
        for (int index = 0; index < count; index++) {
            char field[KPI_KEYS_FIELD_MAX];
            int field_length = kpi_keys_field (field, sizeof field, measure, list[index]);
            assert (field_length > 0); /* scopes are at most 133 bytes */
            if (sp_consumer_batch_increment (batch, key, (size_t) key_length, field,
                                             (size_t) field_length, delta) != 0) {
                snprintf (error, error_size,
                          "could not add %s of %s to the step (full, or "
                          "the sum leaves int64)",
                          kpi_catalog_measure_name (measure), list[index]);
                return -1;
            }
        }
    }
    return 0;
}

/* Applies a record's contribution with sign (+1 or -1). */
static int
s_contribute (const kpi_handler_t *self, sp_consumer_batch_t *batch, uint32_t partition,
              const kpi_record_contribution_t *contribution, int sign, char *error,
              size_t error_size)
{
    for (size_t index = 0; index < contribution->count; index++) {
        const kpi_record_item_t *item = &contribution->items[index];
        if (s_count (self, batch, partition, item->touch->at, item->touch->rep, item->touch->team,
                     item->touch->region, item->measure, sign * item->delta, error,
                     error_size) != 0)
            return -1;
    }
    return 0;
}

/* A record changed from contribution before to after: takes the one
   and adds the other. */
static int
s_recount (const kpi_handler_t *self, sp_consumer_batch_t *batch, uint32_t partition,
           const kpi_record_contribution_t *before, const kpi_record_contribution_t *after,
           char *error, size_t error_size)
{
    if (s_contribute (self, batch, partition, before, -1, error, error_size) != 0 ||
        s_contribute (self, batch, partition, after, 1, error, error_size) != 0)
        return -1;
    return 0;
}

/* Adds sign × an open opportunity to the open pipeline of its stage in
   every scope of its owner touch (count, and value or other currency). */
static int
s_open (const kpi_handler_t *self, sp_consumer_batch_t *batch, uint32_t partition,
        const kpi_record_open_t *open, int sign, char *error, size_t error_size)
{
    s_day_t day;
    sp_org_scopes_t scopes;
    const char *list[S_SCOPES_MAX];
    int count = s_scopes (self, open->owner->at, open->owner->rep, open->owner->team,
                          open->owner->region, false, &day, &scopes, list, error, error_size);
    if (count < 0)
        return -1;
    char key[SP_PARTITION_KEY_MAX];
    char stages[SP_PARTITION_KEY_MAX];
    int key_length = kpi_keys_open (key, sizeof key, partition, open->stage);
    if (key_length < 0 || kpi_keys_stages (stages, sizeof stages, partition) < 0) {
        snprintf (error, error_size, "open pipeline key of stage \"%.64s\" does not fit",
                  open->stage);
        return -1;
    }
    if (sign > 0 && sp_consumer_batch_command (
                        batch, 3, (const char *[]){ "SADD", stages, open->stage }, NULL) != 0)
        goto out_full;
    for (int index = 0; index < count; index++) {
        const char *names[2] = { KPI_KEYS_OPEN_COUNT, NULL };
        int64_t deltas[2] = { sign, 0 };
        if (open->currency == KPI_RECORD_MONEY_REPORTING) {
            names[1] = KPI_KEYS_OPEN_VALUE;
            deltas[1] = sign * open->value;
        }
        else if (open->currency == KPI_RECORD_MONEY_OTHER) {
            names[1] = KPI_KEYS_OPEN_OTHER;
            deltas[1] = sign;
        }
        for (size_t name = 0; name < 2 && names[name]; name++) {
            char field[KPI_KEYS_FIELD_MAX];
            int field_length = kpi_keys_open_field (field, sizeof field, names[name], list[index]);
            assert (field_length > 0); /* scopes are at most 133 bytes */
            if (sp_consumer_batch_increment (batch, key, (size_t) key_length, field,
                                             (size_t) field_length, deltas[name]) != 0)
                goto out_full;
        }
    }
    return 0;
out_full:
    snprintf (error, error_size,
              "could not add the open pipeline to the step (full, or the sum leaves int64)");
    return -1;
}

/* ---------------------------------------------------------------- keys */

static const char *
s_text (const char *text)
{
    return text ? text : "";
}

/* A plan record's target: the customer, else "o:" and the opportunity. */
static bool
s_plan_target (const Salespulse__SalesEvent *event, char *target)
{
    if (*s_text (event->customer_id))
        snprintf (target, S_TARGET_SIZE, "%s", event->customer_id);
    else if (*s_text (event->opportunity_id))
        snprintf (target, S_TARGET_SIZE, "o:%s", event->opportunity_id);
    else
        return false;
    return true;
}

/* The plan record key of a visit_planned (its planned day) or
   visit_completed (its day); 0 when the event has none, -1 on error. */
static int
s_plan_key (const kpi_handler_t *self, uint32_t partition, const Salespulse__SalesEvent *event,
            char *key, size_t size, char *error, size_t error_size)
{
    int64_t at;
    if (event->type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_PLANNED && event->visit_planned)
        at = event->visit_planned->planned_for;
    else if (event->type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED)
        at = event->occurred_at;
    else
        return 0;
    char target[S_TARGET_SIZE];
    if (!*s_text (event->rep_id) || !s_plan_target (event, target))
        return 0;
    s_day_t day;
    if (s_day (self, at, &day, error, error_size) != 0)
        return -1;
    if (kpi_keys_plan (key, size, partition, day.day, event->rep_id, target) < 0) {
        snprintf (error, error_size, "visit plan key of rep_id and customer does not fit");
        return -1;
    }
    return 1;
}

static bool
s_opportunity_event (const Salespulse__SalesEvent *event)
{
    switch (event->type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_CANCELLED:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT:
            return *s_text (event->opportunity_id) != '\0';
        default:
            return false;
    }
}

static int
s_begin (void *arg, uint32_t partition, const sp_consumer_event_t *events, size_t count,
         sp_consumer_view_t *view, char *error, size_t error_size)
{
    const kpi_handler_t *self = arg;
    for (size_t index = 0; index < count; index++) {
        const Salespulse__SalesEvent *event = events[index].event;
        char key[SP_PARTITION_KEY_MAX];
        if (s_opportunity_event (event) &&
            kpi_keys_opportunity (key, sizeof key, partition, event->opportunity_id) > 0 &&
            sp_consumer_view_want (view, key) != 0)
            goto out_failed;
        if (event->type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON &&
            *s_text (event->customer_id) &&
            kpi_keys_customer (key, sizeof key, partition, event->customer_id) > 0 &&
            sp_consumer_view_want (view, key) != 0)
            goto out_failed;
        char plan_error[128];
        if (s_plan_key (self, partition, event, key, sizeof key, plan_error, sizeof plan_error) >
                0 &&
            sp_consumer_view_want (view, key) != 0)
            goto out_failed;
    }
    return 0;
out_failed:
    snprintf (error, error_size, "%s", sp_consumer_view_error (view));
    return -1;
}

/* ---------------------------------------------------------------- records */

/* Reads key's record into buffer (the view's bytes). */
static const char *
s_read (sp_consumer_view_t *view, const char *key, size_t *length, char *error, size_t error_size)
{
    bool found;
    const char *data = sp_consumer_view_get (view, key, length, &found);
    if (!found && sp_consumer_view_error (view)) {
        snprintf (error, error_size, "%s", sp_consumer_view_error (view));
        return NULL;
    }
    return data ? data : "";
}

static int
s_write (sp_consumer_view_t *view, sp_consumer_batch_t *batch, const char *key, const char *packed,
         size_t length, char *error, size_t error_size)
{
    if (length == 0) {
        snprintf (error, error_size, "record of %s does not fit", key);
        return -1;
    }
    if (sp_consumer_view_put (view, batch, key, packed, length) != 0) {
        snprintf (error, error_size, "%s", sp_consumer_view_error (view));
        return -1;
    }
    return 0;
}

/* The money kind and amount of m for the reporting currency. */
static kpi_record_money_t
s_money (const kpi_handler_t *self, const Salespulse__Money *money, int64_t *amount)
{
    if (!money)
        return KPI_RECORD_MONEY_NONE;
    if (strcmp (s_text (money->currency), self->currency) != 0)
        return KPI_RECORD_MONEY_OTHER;
    *amount = money->amount_minor;
    return KPI_RECORD_MONEY_REPORTING;
}

/* Sets touch from the event when it comes before it (the earliest of a
   kind counts); true when it did. */
static bool
s_take_earliest (kpi_record_touch_t *touch, const Salespulse__SalesEvent *event,
                 const char *event_id)
{
    if (!kpi_record_earlier (event->occurred_at, event_id, touch))
        return false;
    kpi_record_touch_set (touch, event->occurred_at, event_id, event->rep_id, event->team_id,
                          event->region_id);
    return true;
}

/* True when the event comes after the record's value (the latest
   lead_created or quote_sent amount counts). */
static bool
s_later_value (const kpi_opportunity_t *record, const Salespulse__SalesEvent *event,
               const char *event_id)
{
    return !record->value.present ||
           !kpi_record_earlier (event->occurred_at, event_id, &record->value);
}

static void
s_set_value (const kpi_handler_t *self, kpi_opportunity_t *record,
             const Salespulse__SalesEvent *event, const char *event_id,
             const Salespulse__Money *money)
{
    kpi_record_touch_set (&record->value, event->occurred_at, event_id, event->rep_id,
                          event->team_id, event->region_id);
    record->value_amount = 0;
    record->value_currency = s_money (self, money, &record->value_amount);
}

static int
s_apply_opportunity (const kpi_handler_t *self, const sp_consumer_event_t *item,
                     sp_consumer_view_t *view, sp_consumer_batch_t *batch, char *error,
                     size_t error_size)
{
    const Salespulse__SalesEvent *event = item->event;
    char key[SP_PARTITION_KEY_MAX];
    if (kpi_keys_opportunity (key, sizeof key, item->partition, event->opportunity_id) < 0) {
        snprintf (error, error_size, "opportunity key does not fit");
        return -1;
    }
    size_t length;
    const char *data = s_read (view, key, &length, error, error_size);
    if (!data)
        return -1;
    kpi_opportunity_t record;
    if (kpi_opportunity_unpack (&record, data, length) != 0) {
        snprintf (error, error_size, "stored record of %s is not an opportunity record", key);
        return -1;
    }
    /* the contribution borrows from its record: keep the old one apart */
    kpi_opportunity_t previous = record;
    kpi_record_contribution_t before;
    kpi_opportunity_contribution (&previous, &before);
    bool changed = false;
    switch (event->type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED:
            changed = s_take_earliest (&record.lead, event, item->event_id);
            if (event->lead_created && event->lead_created->estimated_value &&
                s_later_value (&record, event, item->event_id)) {
                s_set_value (self, &record, event, item->event_id,
                             event->lead_created->estimated_value);
                changed = true;
            }
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON:
            if (s_take_earliest (&record.won, event, item->event_id) && event->deal_won) {
                record.won_currency = s_money (self, event->deal_won->amount, &record.won_amount);
                record.margin_currency = s_money (self, event->deal_won->margin, &record.margin);
                changed = true;
            }
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST:
            changed = s_take_earliest (&record.lost, event, item->event_id);
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED:
            /* the latest stage change counts */
            if (event->stage_changed && *s_text (event->stage_changed->to_stage) &&
                (!record.stage.present ||
                 !kpi_record_earlier (event->occurred_at, item->event_id, &record.stage))) {
                kpi_record_touch_set (&record.stage, event->occurred_at, item->event_id,
                                      event->rep_id, event->team_id, event->region_id);
                snprintf (record.stage_name, sizeof record.stage_name, "%s",
                          event->stage_changed->to_stage);
                changed = true;
            }
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT:
            if (event->quote_sent && s_later_value (&record, event, item->event_id)) {
                s_set_value (self, &record, event, item->event_id, event->quote_sent->amount);
                changed = true;
            }
            break;
        default: /* deal_cancelled */
            if (!event->deal_cancelled || !*s_text (event->deal_cancelled->won_event_id))
                return 0;
            if (!kpi_opportunity_cancel (&record, event->deal_cancelled->won_event_id)) {
                snprintf (error, error_size, "opportunity already has %d cancellations",
                          KPI_RECORD_CANCELLED_MAX);
                return -1;
            }
            changed = true;
            break;
    }
    if (!changed)
        return 0; /* an earlier one counts: nothing changes */
    kpi_record_contribution_t after;
    kpi_opportunity_contribution (&record, &after);
    char packed[KPI_RECORD_PACKED_MAX];
    size_t packed_length = kpi_opportunity_pack (&record, packed, sizeof packed);
    kpi_record_open_t open_before, open_after;
    if (s_recount (self, batch, item->partition, &before, &after, error, error_size) != 0 ||
        (kpi_opportunity_open (&previous, &open_before) &&
         s_open (self, batch, item->partition, &open_before, -1, error, error_size) != 0) ||
        (kpi_opportunity_open (&record, &open_after) &&
         s_open (self, batch, item->partition, &open_after, 1, error, error_size) != 0))
        return -1;
    return s_write (view, batch, key, packed, packed_length, error, error_size);
}

static int
s_apply_customer (const kpi_handler_t *self, const sp_consumer_event_t *item,
                  sp_consumer_view_t *view, sp_consumer_batch_t *batch, char *error,
                  size_t error_size)
{
    const Salespulse__SalesEvent *event = item->event;
    char key[SP_PARTITION_KEY_MAX];
    if (kpi_keys_customer (key, sizeof key, item->partition, event->customer_id) < 0) {
        snprintf (error, error_size, "customer key does not fit");
        return -1;
    }
    size_t length;
    const char *data = s_read (view, key, &length, error, error_size);
    if (!data)
        return -1;
    kpi_customer_t record;
    if (kpi_customer_unpack (&record, data, length) != 0) {
        snprintf (error, error_size, "stored record of %s is not a customer record", key);
        return -1;
    }
    if (!kpi_record_earlier (event->occurred_at, item->event_id, &record.first_won))
        return 0;
    kpi_customer_t previous = record; /* the contribution borrows from it */
    kpi_record_contribution_t before;
    kpi_customer_contribution (&previous, &before);
    kpi_record_touch_set (&record.first_won, event->occurred_at, item->event_id, event->rep_id,
                          event->team_id, event->region_id);
    kpi_record_contribution_t after;
    kpi_customer_contribution (&record, &after);
    char packed[KPI_RECORD_PACKED_MAX];
    size_t packed_length = kpi_customer_pack (&record, packed, sizeof packed);
    if (s_recount (self, batch, item->partition, &before, &after, error, error_size) != 0)
        return -1;
    return s_write (view, batch, key, packed, packed_length, error, error_size);
}

static int
s_apply_plan (const kpi_handler_t *self, const sp_consumer_event_t *item, sp_consumer_view_t *view,
              sp_consumer_batch_t *batch, char *error, size_t error_size)
{
    const Salespulse__SalesEvent *event = item->event;
    char key[SP_PARTITION_KEY_MAX];
    int has = s_plan_key (self, item->partition, event, key, sizeof key, error, error_size);
    if (has <= 0)
        return has;
    size_t length;
    const char *data = s_read (view, key, &length, error, error_size);
    if (!data)
        return -1;
    kpi_plan_t record;
    if (kpi_plan_unpack (&record, data, length) != 0) {
        snprintf (error, error_size, "stored record of %s is not a visit plan record", key);
        return -1;
    }
    kpi_plan_t previous = record; /* the contribution borrows from it */
    kpi_record_contribution_t before;
    kpi_plan_contribution (&previous, &before);
    if (event->type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_PLANNED) {
        record.planned++;
        int64_t planned_for = event->visit_planned->planned_for;
        /* the plan's scopes: those of the visit_planned with the least
           event_id (any arrival order picks the same one); every plan of
           the record is for the same local day */
        if (!record.plan.present || strcmp (item->event_id, record.plan.event_id) < 0)
            kpi_record_touch_set (&record.plan, planned_for, item->event_id, event->rep_id,
                                  event->team_id, event->region_id);
    }
    else
        record.completed++;
    kpi_record_contribution_t after;
    kpi_plan_contribution (&record, &after);
    char packed[KPI_RECORD_PACKED_MAX];
    size_t packed_length = kpi_plan_pack (&record, packed, sizeof packed);
    if (s_recount (self, batch, item->partition, &before, &after, error, error_size) != 0)
        return -1;
    return s_write (view, batch, key, packed, packed_length, error, error_size);
}

/* ---------------------------------------------------------------- apply */

/* The rep an event is credited to: its own, else the customer's owner. */
static const char *
s_rep (const kpi_handler_t *self, const Salespulse__SalesEvent *event)
{
    if (*s_text (event->rep_id))
        return event->rep_id;
    const char *owner = *s_text (event->customer_id)
                            ? kpi_customers_owner (self->customers, event->customer_id)
                            : NULL;
    return owner ? owner : "";
}

/* Counts measure with delta for the event's own time and scopes. */
static int
s_event_count (const kpi_handler_t *self, const sp_consumer_event_t *item,
               sp_consumer_batch_t *batch, kpi_measure_t measure, int64_t delta, char *error,
               size_t error_size)
{
    const Salespulse__SalesEvent *event = item->event;
    return s_count (self, batch, item->partition, event->occurred_at, s_rep (self, event),
                    event->team_id, event->region_id, measure, delta, error, error_size);
}

/* An amount summed in the reporting currency, or counted apart. */
static int
s_event_money (const kpi_handler_t *self, const sp_consumer_event_t *item,
               sp_consumer_batch_t *batch, const Salespulse__Money *money, kpi_measure_t sum,
               kpi_measure_t other, char *error, size_t error_size)
{
    int64_t amount = 0;
    switch (s_money (self, money, &amount)) {
        case KPI_RECORD_MONEY_REPORTING:
            return s_event_count (self, item, batch, sum, amount, error, error_size);
        case KPI_RECORD_MONEY_OTHER:
            return s_event_count (self, item, batch, other, 1, error, error_size);
        default:
            return 0;
    }
}

static int
s_apply_visit (const kpi_handler_t *self, const sp_consumer_event_t *item, sp_consumer_view_t *view,
               sp_consumer_batch_t *batch, char *error, size_t error_size)
{
    const Salespulse__SalesEvent *event = item->event;
    int64_t minutes = event->visit_completed ? event->visit_completed->duration_minutes : 0;
    bool tier_a = *s_text (event->customer_id) &&
                  kpi_customers_tier (self->customers, event->customer_id) == 'A';
    if (s_event_count (self, item, batch, KPI_MEASURE_VISITS, 1, error, error_size) != 0 ||
        s_event_count (self, item, batch, KPI_MEASURE_VISIT_MINUTES, minutes, error, error_size) !=
            0 ||
        (tier_a &&
         s_event_count (self, item, batch, KPI_MEASURE_VISITS_TIER_A, 1, error, error_size) != 0))
        return -1;
    return s_apply_plan (self, item, view, batch, error, error_size);
}

static int
s_apply_survey (const kpi_handler_t *self, const sp_consumer_event_t *item,
                sp_consumer_batch_t *batch, char *error, size_t error_size)
{
    const Salespulse__Survey *survey = item->event->survey;
    if (!survey)
        return 0;
    if (survey->score_case == SALESPULSE__SURVEY__SCORE_NPS) {
        uint32_t nps = survey->nps;
        return s_event_count (self, item, batch, KPI_MEASURE_NPS_ANSWERS, 1, error, error_size) !=
                           0 ||
                       (nps >= S_NPS_PROMOTER_MIN &&
                        s_event_count (self, item, batch, KPI_MEASURE_NPS_PROMOTERS, 1, error,
                                       error_size) != 0) ||
                       (nps <= S_NPS_DETRACTOR_MAX &&
                        s_event_count (self, item, batch, KPI_MEASURE_NPS_DETRACTORS, 1, error,
                                       error_size) != 0)
                   ? -1
                   : 0;
    }
    if (survey->score_case == SALESPULSE__SURVEY__SCORE_CSAT)
        return s_event_count (self, item, batch, KPI_MEASURE_CSAT_ANSWERS, 1, error, error_size) !=
                           0 ||
                       s_event_count (self, item, batch, KPI_MEASURE_CSAT_SUM, survey->csat, error,
                                      error_size) != 0
                   ? -1
                   : 0;
    return 0;
}

/* The events that touch a customer for the reports: visits, calls,
   demos, quotes and outcomes naming a customer. */
static bool
s_touches (const Salespulse__SalesEvent *event)
{
    switch (event->type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST:
            return *s_text (event->customer_id) != '\0';
        default:
            return false;
    }
}

/* Counts the customer touched on the event's day for its rep and team. */
static int
s_touched (const kpi_handler_t *self, const sp_consumer_event_t *item, sp_consumer_batch_t *batch,
           char *error, size_t error_size)
{
    const Salespulse__SalesEvent *event = item->event;
    s_day_t day;
    sp_org_scopes_t scopes;
    const char *list[S_SCOPES_MAX];
    int count = s_scopes (self, event->occurred_at, event->rep_id, event->team_id, event->region_id,
                          true, &day, &scopes, list, error, error_size);
    if (count < 0)
        return -1;
    char key[SP_PARTITION_KEY_MAX];
    int key_length = kpi_keys_bucket (key, sizeof key, item->partition, KPI_KEYS_DAY, day.day);
    assert (key_length > 0);
    for (int index = 0; index < count; index++) {
        char field[KPI_KEYS_FIELD_MAX];
        int field_length =
            kpi_keys_touched_field (field, sizeof field, event->customer_id, list[index]);
        assert (field_length > 0); /* ids of 128 bytes and a scope fit */
        if (sp_consumer_batch_increment (batch, key, (size_t) key_length, field,
                                         (size_t) field_length, 1) != 0) {
            snprintf (error, error_size, "could not add the customer touched to the step");
            return -1;
        }
    }
    return 0;
}

/* Applies the event's measures and records (without the touch count). */
static int
s_apply_measures (const kpi_handler_t *self, const sp_consumer_event_t *item,
                  sp_consumer_view_t *view, sp_consumer_batch_t *batch, char *error,
                  size_t error_size)
{
    const Salespulse__SalesEvent *event = item->event;
    switch (event->type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_CANCELLED:
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED:
            return s_opportunity_event (event)
                       ? s_apply_opportunity (self, item, view, batch, error, error_size)
                       : 0;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON:
            if (s_opportunity_event (event) &&
                s_apply_opportunity (self, item, view, batch, error, error_size) != 0)
                return -1;
            return *s_text (event->customer_id)
                       ? s_apply_customer (self, item, view, batch, error, error_size)
                       : 0;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT:
            if (s_event_count (self, item, batch, KPI_MEASURE_QUOTES, 1, error, error_size) != 0)
                return -1;
            return s_opportunity_event (event)
                       ? s_apply_opportunity (self, item, view, batch, error, error_size)
                       : 0;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_PLANNED:
            return s_apply_plan (self, item, view, batch, error, error_size);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED:
            return s_apply_visit (self, item, view, batch, error, error_size);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL:
            return s_event_count (self, item, batch, KPI_MEASURE_CALLS, 1, error, error_size);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO:
            return s_event_count (self, item, batch, KPI_MEASURE_DEMOS, 1, error, error_size);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY:
            return s_apply_survey (self, item, batch, error, error_size);
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED:
            return event->order_placed
                       ? s_event_money (self, item, batch, event->order_placed->amount,
                                        KPI_MEASURE_ORDER_AMOUNT, KPI_MEASURE_ORDER_OTHER_CURRENCY,
                                        error, error_size)
                       : 0;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED:
            return event->payment_received
                       ? s_event_money (self, item, batch, event->payment_received->amount,
                                        KPI_MEASURE_PAYMENT_AMOUNT,
                                        KPI_MEASURE_PAYMENT_OTHER_CURRENCY, error, error_size)
                       : 0;
        default: /* complaints are churn-alerting's */
            return 0;
    }
}

static int
s_apply (void *arg, const sp_consumer_event_t *item, sp_consumer_view_t *view,
         sp_consumer_batch_t *batch, char *error, size_t error_size)
{
    const kpi_handler_t *self = arg;
    if (s_apply_measures (self, item, view, batch, error, error_size) != 0)
        return -1;
    return s_touches (item->event) ? s_touched (self, item, batch, error, error_size) : 0;
}

sp_consumer_handler_t
kpi_handler_consumer (kpi_handler_t *self)
{
    return (sp_consumer_handler_t){ .apply = s_apply, .arg = self, .begin = s_begin };
}
