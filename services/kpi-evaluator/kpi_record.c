/*  kpi_record - per opportunity, customer and visit plan state (see
    kpi_record.h).

    Binary form: a kind byte and a version byte, then the fields in a
    fixed order; integers as 8 bytes little-endian, strings as one length
    byte (ids are at most 128 bytes) and their bytes, a touch as a
    presence byte and, when present, at, event_id, rep, team, region.
*/
#include "kpi_record.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "sp_pack.h"

#define S_VERSION 2 /* 2: opportunities keep their stage and value */
#define S_KIND_OPPORTUNITY 'o'
#define S_KIND_CUSTOMER 'c'
#define S_KIND_PLAN 'v'

/* ---------------------------------------------------------------- touches */

bool
kpi_record_earlier (int64_t at, const char *event_id, const kpi_record_touch_t *touch)
{
    if (!touch->present)
        return true;
    if (at != touch->at)
        return at < touch->at;
    return strcmp (event_id, touch->event_id) < 0;
}

static void
s_copy (char *target, const char *source)
{
    snprintf (target, KPI_RECORD_ID_SIZE, "%s", source ? source : "");
}

void
kpi_record_touch_set (kpi_record_touch_t *touch, int64_t at, const char *event_id, const char *rep,
                      const char *team, const char *region)
{
    touch->present = true;
    touch->at = at;
    s_copy (touch->event_id, event_id);
    s_copy (touch->rep, rep);
    s_copy (touch->team, team);
    s_copy (touch->region, region);
}

/* ---------------------------------------------------------------- contributions */

static void
s_add (kpi_record_contribution_t *out, const kpi_record_touch_t *touch, kpi_measure_t measure,
       int64_t delta)
{
    assert (out->count < KPI_RECORD_ITEMS_MAX);
    if (delta == 0)
        return;
    out->items[out->count++] = (kpi_record_item_t){ touch, measure, delta };
}

static bool
s_cancelled (const kpi_opportunity_t *self, const char *won_event_id)
{
    for (size_t index = 0; index < self->cancelled_count; index++)
        if (strcmp (self->cancelled[index], won_event_id) == 0)
            return true;
    return false;
}

void
kpi_opportunity_contribution (const kpi_opportunity_t *self, kpi_record_contribution_t *out)
{
    out->count = 0;
    /* the outcome: the earlier of the win and the loss */
    bool won =
        self->won.present &&
        (!self->lost.present || kpi_record_earlier (self->won.at, self->won.event_id, &self->lost));
    bool lost = self->lost.present && !won;
    if (won && s_cancelled (self, self->won.event_id))
        won = false;
    if (self->lead.present) {
        s_add (out, &self->lead, KPI_MEASURE_LEADS, 1);
        if (won)
            s_add (out, &self->lead, KPI_MEASURE_LEADS_WON, 1);
    }
    if (won) {
        s_add (out, &self->won, KPI_MEASURE_WON, 1);
        if (self->won_currency == KPI_RECORD_MONEY_REPORTING)
            s_add (out, &self->won, KPI_MEASURE_WON_AMOUNT, self->won_amount);
        else if (self->won_currency == KPI_RECORD_MONEY_OTHER)
            s_add (out, &self->won, KPI_MEASURE_WON_OTHER_CURRENCY, 1);
        if (self->margin_currency == KPI_RECORD_MONEY_REPORTING)
            s_add (out, &self->won, KPI_MEASURE_MARGIN, self->margin);
    }
    if (lost)
        s_add (out, &self->lost, KPI_MEASURE_LOST, 1);
}

void
kpi_customer_contribution (const kpi_customer_t *self, kpi_record_contribution_t *out)
{
    out->count = 0;
    if (self->first_won.present)
        s_add (out, &self->first_won, KPI_MEASURE_NEW_CUSTOMERS, 1);
}

void
kpi_plan_contribution (const kpi_plan_t *self, kpi_record_contribution_t *out)
{
    out->count = 0;
    if (!self->plan.present)
        return;
    s_add (out, &self->plan, KPI_MEASURE_VISITS_PLANNED, self->planned);
    s_add (out, &self->plan, KPI_MEASURE_PLANNED_DONE,
           self->completed < self->planned ? self->completed : self->planned);
}

bool
kpi_opportunity_open (const kpi_opportunity_t *self, kpi_record_open_t *out)
{
    if (self->won.present || self->lost.present)
        return false; /* an outcome, even a cancelled win, closes it */
    const kpi_record_touch_t *owner = self->stage.present  ? &self->stage
                                      : self->lead.present ? &self->lead
                                                           : NULL;
    if (!owner)
        return false;
    out->owner = owner;
    out->stage = self->stage.present ? self->stage_name : "";
    out->currency = self->value.present ? self->value_currency : KPI_RECORD_MONEY_NONE;
    out->value = out->currency == KPI_RECORD_MONEY_REPORTING ? self->value_amount : 0;
    return true;
}

bool
kpi_opportunity_cancel (kpi_opportunity_t *self, const char *won_event_id)
{
    if (s_cancelled (self, won_event_id))
        return true;
    if (self->cancelled_count == KPI_RECORD_CANCELLED_MAX)
        return false;
    s_copy (self->cancelled[self->cancelled_count++], won_event_id);
    return true;
}

/* ---------------------------------------------------------------- binary form */

static void
s_put_touch (sp_pack_writer_t *writer, const kpi_record_touch_t *touch)
{
    sp_pack_put_u8 (writer, touch->present ? 1 : 0);
    if (!touch->present)
        return;
    sp_pack_put_i64 (writer, touch->at);
    sp_pack_put_string (writer, touch->event_id, KPI_RECORD_ID_SIZE);
    sp_pack_put_string (writer, touch->rep, KPI_RECORD_ID_SIZE);
    sp_pack_put_string (writer, touch->team, KPI_RECORD_ID_SIZE);
    sp_pack_put_string (writer, touch->region, KPI_RECORD_ID_SIZE);
}

static void
s_get_touch (sp_pack_reader_t *reader, kpi_record_touch_t *touch)
{
    memset (touch, 0, sizeof *touch);
    uint8_t present = sp_pack_get_u8 (reader);
    if (present > 1)
        reader->bad = true;
    if (present != 1)
        return;
    touch->present = true;
    touch->at = sp_pack_get_i64 (reader);
    sp_pack_get_string (reader, touch->event_id, KPI_RECORD_ID_SIZE);
    sp_pack_get_string (reader, touch->rep, KPI_RECORD_ID_SIZE);
    sp_pack_get_string (reader, touch->team, KPI_RECORD_ID_SIZE);
    sp_pack_get_string (reader, touch->region, KPI_RECORD_ID_SIZE);
}

static kpi_record_money_t
s_get_money_kind (sp_pack_reader_t *reader)
{
    uint8_t kind = sp_pack_get_u8 (reader);
    if (kind > KPI_RECORD_MONEY_OTHER)
        reader->bad = true;
    return (kpi_record_money_t) kind;
}

/* Starts a record: kind and version. */
static void
s_put_header (sp_pack_writer_t *writer, char kind)
{
    sp_pack_put_u8 (writer, (uint8_t) kind);
    sp_pack_put_u8 (writer, S_VERSION);
}

/* Reads the header: false when it is not of kind. */
static bool
s_get_header (sp_pack_reader_t *reader, char kind)
{
    return sp_pack_get_u8 (reader) == (uint8_t) kind && sp_pack_get_u8 (reader) == S_VERSION &&
           !reader->bad;
}

size_t
kpi_opportunity_pack (const kpi_opportunity_t *self, char *buffer, size_t size)
{
    sp_pack_writer_t writer = sp_pack_writer (buffer, size);
    s_put_header (&writer, S_KIND_OPPORTUNITY);
    s_put_touch (&writer, &self->lead);
    s_put_touch (&writer, &self->won);
    s_put_touch (&writer, &self->lost);
    sp_pack_put_u8 (&writer, (uint8_t) self->won_currency);
    sp_pack_put_i64 (&writer, self->won_amount);
    sp_pack_put_u8 (&writer, (uint8_t) self->margin_currency);
    sp_pack_put_i64 (&writer, self->margin);
    sp_pack_put_u8 (&writer, (uint8_t) self->cancelled_count);
    for (size_t index = 0; index < self->cancelled_count; index++)
        sp_pack_put_string (&writer, self->cancelled[index], KPI_RECORD_ID_SIZE);
    s_put_touch (&writer, &self->stage);
    sp_pack_put_string (&writer, self->stage_name, KPI_RECORD_ID_SIZE);
    s_put_touch (&writer, &self->value);
    sp_pack_put_u8 (&writer, (uint8_t) self->value_currency);
    sp_pack_put_i64 (&writer, self->value_amount);
    return sp_pack_written (&writer);
}

int
kpi_opportunity_unpack (kpi_opportunity_t *self, const char *data, size_t length)
{
    memset (self, 0, sizeof *self);
    if (length == 0)
        return 0;
    sp_pack_reader_t reader = sp_pack_reader (data, length);
    if (!s_get_header (&reader, S_KIND_OPPORTUNITY))
        return -1;
    s_get_touch (&reader, &self->lead);
    s_get_touch (&reader, &self->won);
    s_get_touch (&reader, &self->lost);
    self->won_currency = s_get_money_kind (&reader);
    self->won_amount = sp_pack_get_i64 (&reader);
    self->margin_currency = s_get_money_kind (&reader);
    self->margin = sp_pack_get_i64 (&reader);
    self->cancelled_count = sp_pack_get_u8 (&reader);
    if (self->cancelled_count > KPI_RECORD_CANCELLED_MAX)
        return -1;
    for (size_t index = 0; index < self->cancelled_count; index++)
        sp_pack_get_string (&reader, self->cancelled[index], KPI_RECORD_ID_SIZE);
    s_get_touch (&reader, &self->stage);
    sp_pack_get_string (&reader, self->stage_name, sizeof self->stage_name);
    s_get_touch (&reader, &self->value);
    self->value_currency = s_get_money_kind (&reader);
    self->value_amount = sp_pack_get_i64 (&reader);
    return sp_pack_done (&reader) ? 0 : -1;
}

size_t
kpi_customer_pack (const kpi_customer_t *self, char *buffer, size_t size)
{
    sp_pack_writer_t writer = sp_pack_writer (buffer, size);
    s_put_header (&writer, S_KIND_CUSTOMER);
    s_put_touch (&writer, &self->first_won);
    return sp_pack_written (&writer);
}

int
kpi_customer_unpack (kpi_customer_t *self, const char *data, size_t length)
{
    memset (self, 0, sizeof *self);
    if (length == 0)
        return 0;
    sp_pack_reader_t reader = sp_pack_reader (data, length);
    if (!s_get_header (&reader, S_KIND_CUSTOMER))
        return -1;
    s_get_touch (&reader, &self->first_won);
    return sp_pack_done (&reader) ? 0 : -1;
}

size_t
kpi_plan_pack (const kpi_plan_t *self, char *buffer, size_t size)
{
    sp_pack_writer_t writer = sp_pack_writer (buffer, size);
    s_put_header (&writer, S_KIND_PLAN);
    sp_pack_put_i64 (&writer, self->planned);
    sp_pack_put_i64 (&writer, self->completed);
    s_put_touch (&writer, &self->plan);
    return sp_pack_written (&writer);
}

int
kpi_plan_unpack (kpi_plan_t *self, const char *data, size_t length)
{
    memset (self, 0, sizeof *self);
    if (length == 0)
        return 0;
    sp_pack_reader_t reader = sp_pack_reader (data, length);
    if (!s_get_header (&reader, S_KIND_PLAN))
        return -1;
    self->planned = sp_pack_get_i64 (&reader);
    self->completed = sp_pack_get_i64 (&reader);
    s_get_touch (&reader, &self->plan);
    if (self->planned < 0 || self->completed < 0)
        return -1;
    return sp_pack_done (&reader) ? 0 : -1;
}
