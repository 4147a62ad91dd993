/*  kpi_warning - pace warning conditions and records (see kpi_warning.h). */
#include "kpi_warning.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sp_civil.h"
#include "sp_error.h"

/* Length of a month label "YYYY-MM" and of a quarter "YYYY-Qn". */
#define S_MONTH_LENGTH 7
#define S_QUARTER_LENGTH 7

/* Months in a year, quarters in a year. */
#define S_MONTHS 12
#define S_QUARTERS 4

static const char *const s_state_names[] = { "cleared", "firing" };
static const char *const s_reason_names[] = { "off_pace", "recovered", "not_judged",
                                              "period_ended" };
static const char *const s_band_names[] = { "at_risk", "behind" };
static const char *const s_node_kinds[] = { "region:", "team:", "rep:" };

#define S_STATE_COUNT (sizeof s_state_names / sizeof s_state_names[0])
#define S_REASON_COUNT (sizeof s_reason_names / sizeof s_reason_names[0])
#define S_BAND_COUNT (sizeof s_band_names / sizeof s_band_names[0])
#define S_STATUS_COUNT (KPI_PACE_AT_RISK + 1)

void
kpi_warning_judge (kpi_pace_status_t status, kpi_warning_band_t band,
                   kpi_warning_condition_t *condition)
{
    assert (condition && (unsigned) band < S_BAND_COUNT);
    bool in_band = status == KPI_PACE_AT_RISK ||
                   (band == KPI_WARNING_BAND_BEHIND && status == KPI_PACE_BEHIND);
    if (in_band) {
        condition->state = KPI_WARNING_FIRING;
        condition->reason = KPI_WARNING_OFF_PACE;
    }
    else if (status == KPI_PACE_EXCEEDED || status == KPI_PACE_ON_TRACK ||
             status == KPI_PACE_BEHIND) {
        condition->state = KPI_WARNING_CLEARED;
        condition->reason = KPI_WARNING_RECOVERED;
    }
    else {
        condition->state = KPI_WARNING_CLEARED;
        condition->reason = KPI_WARNING_NOT_JUDGED;
    }
}

kpi_warning_transition_t
kpi_warning_decide (kpi_warning_state_t stored, kpi_warning_state_t judged)
{
    assert ((unsigned) stored < S_STATE_COUNT && (unsigned) judged < S_STATE_COUNT);
    if (stored == judged)
        return KPI_WARNING_KEEP;
    return judged == KPI_WARNING_FIRING ? KPI_WARNING_FIRE : KPI_WARNING_CLEAR;
}

int
kpi_warning_fill (kpi_warning_t *warning, const kpi_warning_condition_t *condition,
                  const char *node, const kpi_definition_t *kpi, const char *period,
                  kpi_pace_status_t status, kpi_pace_status_t fired_status, const char *currency)
{
    assert (warning && condition && node && kpi && period);
    if (strlen (node) >= sizeof warning->node || strlen (kpi->name) >= sizeof warning->kpi ||
        strlen (period) >= sizeof warning->period ||
        (currency && strlen (currency) >= sizeof warning->currency))
        return -1;
    memset (warning, 0, sizeof *warning);
    warning->state = condition->state;
    warning->reason = condition->reason;
    snprintf (warning->node, sizeof warning->node, "%s", node);
    snprintf (warning->kpi, sizeof warning->kpi, "%s", kpi->name);
    snprintf (warning->period, sizeof warning->period, "%s", period);
    warning->status = status;
    warning->fired_status = fired_status;
    warning->unit = kpi->unit;
    if (kpi->unit == KPI_UNIT_MONEY && currency)
        snprintf (warning->currency, sizeof warning->currency, "%s", currency);
    return 0;
}

int
kpi_warning_topic (char *buffer, size_t size, kpi_pace_status_t status, const char *region,
                   const char *team)
{
    assert (buffer && size > 0);
    assert (status == KPI_PACE_BEHIND || status == KPI_PACE_AT_RISK);
    int length =
        snprintf (buffer, size, KPI_WARNING_TOPIC_PREFIX "%s.%s.%s", kpi_pace_status_name (status),
                  region && *region ? region : KPI_WARNING_TOPIC_NONE,
                  team && *team ? team : KPI_WARNING_TOPIC_NONE);
    if (length < 0 || (size_t) length >= size) {
        buffer[0] = '\0';
        return -1;
    }
    return length;
}

void
kpi_warning_to_message (const kpi_warning_t *warning, Salespulse__KpiWarning *message)
{
    assert (warning && message);
    salespulse__kpi_warning__init (message);
    message->sequence = (uint64_t) warning->sequence;
    message->state = warning->state == KPI_WARNING_FIRING ? SALESPULSE__KPI_WARNING__STATE__FIRING
                                                          : SALESPULSE__KPI_WARNING__STATE__CLEARED;
    /* Reasons are the wire's less one, statuses the wire's as they are. */
    message->reason = (Salespulse__KpiWarning__Reason) (warning->reason + 1);
    message->status = (Salespulse__KpiWarning__Status) warning->status;
    message->fired_status = (Salespulse__KpiWarning__Status) warning->fired_status;
    /* protobuf-c wants char *; packing only reads them. */
    message->node = (char *) warning->node;
    message->kpi = (char *) warning->kpi;
    message->period = (char *) warning->period;
    message->unit = (char *) kpi_catalog_unit_name (warning->unit);
    message->currency = (char *) warning->currency;
    message->actual = warning->actual;
    message->target = warning->target;
    message->has_floor = warning->has_floor;
    message->floor = warning->floor;
    message->projection = warning->projection;
    message->days_elapsed = warning->days_elapsed;
    message->days_total = warning->days_total;
    message->as_of_day = (char *) warning->as_of_day;
    message->at_ms = warning->at_ms;
    message->created_at_ms = warning->created_at_ms;
}

/* True when text is "YYYY-MM-DD" of a real day. */
static bool
s_valid_day (const char *text)
{
    int64_t day;
    return sp_civil_date_parse (text, &day) == 0 && day >= SP_CIVIL_DAYS_YEAR_ONE;
}

/* True when every byte of text[from..length) is a digit. */
static bool
s_digits (const char *text, size_t from, size_t length)
{
    for (size_t index = from; index < length; index++)
        if (text[index] < '0' || text[index] > '9')
            return false;
    return true;
}

/* True when text is a month "YYYY-MM" or a quarter "YYYY-Qn". */
static bool
s_valid_period (const char *text)
{
    size_t length = strlen (text);
    if (length != S_MONTH_LENGTH || text[4] != '-' || !s_digits (text, 0, 4))
        return false;
    if (text[5] == 'Q')
        return length == S_QUARTER_LENGTH && text[6] >= '1' && text[6] <= '0' + S_QUARTERS;
    if (!s_digits (text, 5, S_MONTH_LENGTH))
        return false;
    int month = (text[5] - '0') * 10 + (text[6] - '0');
    return month >= 1 && month <= S_MONTHS;
}

bool
kpi_warning_node_valid (const char *text)
{
    if (!text)
        return false;
    size_t length = strlen (text);
    if (strcmp (text, "company") == 0)
        return true;
    if (length >= KPI_KEYS_SCOPE_MAX)
        return false;
    for (size_t kind = 0; kind < sizeof s_node_kinds / sizeof s_node_kinds[0]; kind++) {
        size_t prefix = strlen (s_node_kinds[kind]);
        if (strncmp (text, s_node_kinds[kind], prefix) != 0)
            continue;
        if (length == prefix)
            return false;
        for (size_t index = prefix; index < length; index++) {
            unsigned char c = (unsigned char) text[index];
            if (c < 0x20 || c == 0x7f)
                return false;
        }
        return true;
    }
    return false;
}

int
kpi_warning_from_message (const Salespulse__KpiWarning *message, kpi_warning_t *warning,
                          char *error, size_t error_size)
{
    assert (message && warning);
    kpi_warning_t read;
    memset (&read, 0, sizeof read);
    if (message->sequence < 1 || message->sequence > (uint64_t) INT64_MAX) {
        sp_error_set (error, error_size, "field \"sequence\": %" PRIu64 " is not in 1..2^63-1",
                      message->sequence);
        return -1;
    }
    read.sequence = (int64_t) message->sequence;
    if (message->state == SALESPULSE__KPI_WARNING__STATE__FIRING)
        read.state = KPI_WARNING_FIRING;
    else if (message->state == SALESPULSE__KPI_WARNING__STATE__CLEARED)
        read.state = KPI_WARNING_CLEARED;
    else {
        sp_error_set (error, error_size, "field \"state\": %d is not FIRING or CLEARED",
                      (int) message->state);
        return -1;
    }
    if ((int) message->reason < 1 || (size_t) message->reason > S_REASON_COUNT) {
        sp_error_set (error, error_size, "field \"reason\": %d is not a known reason",
                      (int) message->reason);
        return -1;
    }
    read.reason = (kpi_warning_reason_t) (message->reason - 1);
    if ((read.state == KPI_WARNING_FIRING) != (read.reason == KPI_WARNING_OFF_PACE)) {
        sp_error_set (error, error_size, "field \"reason\": %s does not go with state %s",
                      kpi_warning_reason_name (read.reason), kpi_warning_state_name (read.state));
        return -1;
    }
    if ((unsigned) message->status >= S_STATUS_COUNT ||
        (message->fired_status != SALESPULSE__KPI_WARNING__STATUS__BEHIND &&
         message->fired_status != SALESPULSE__KPI_WARNING__STATUS__AT_RISK) ||
        (read.state == KPI_WARNING_FIRING && message->status != message->fired_status)) {
        sp_error_set (error, error_size,
                      "fields \"status\", \"fired_status\": %d and %d are not statuses that "
                      "go with state %s",
                      (int) message->status, (int) message->fired_status,
                      kpi_warning_state_name (read.state));
        return -1;
    }
    read.status = (kpi_pace_status_t) message->status;
    read.fired_status = (kpi_pace_status_t) message->fired_status;
    if (!kpi_warning_node_valid (message->node)) {
        char quoted[KPI_KEYS_SCOPE_MAX + 8];
        sp_error_quote (message->node ? message->node : "", quoted, sizeof quoted);
        sp_error_set (error, error_size,
                      "field \"node\": \"%s\" is not company, region:ID, team:ID or rep:ID",
                      quoted);
        return -1;
    }
    const kpi_definition_t *kpi = message->kpi ? kpi_catalog_find (message->kpi) : NULL;
    if (!kpi) {
        char quoted[KPI_NAME_SIZE + 8];
        sp_error_quote (message->kpi ? message->kpi : "", quoted, sizeof quoted);
        sp_error_set (error, error_size, "field \"kpi\": \"%s\" is not a KPI of the catalogue",
                      quoted);
        return -1;
    }
    if (!message->unit || strcmp (message->unit, kpi_catalog_unit_name (kpi->unit)) != 0) {
        sp_error_set (error, error_size, "field \"unit\": %s is measured in %s", kpi->name,
                      kpi_catalog_unit_name (kpi->unit));
        return -1;
    }
    bool money = kpi->unit == KPI_UNIT_MONEY;
    const char *currency = message->currency ? message->currency : "";
    bool currency_valid = money ? strlen (currency) == KPI_WARNING_CURRENCY_SIZE - 1 &&
                                      currency[0] >= 'A' && currency[0] <= 'Z' &&
                                      currency[1] >= 'A' && currency[1] <= 'Z' &&
                                      currency[2] >= 'A' && currency[2] <= 'Z'
                                : *currency == '\0';
    if (!currency_valid) {
        sp_error_set (error, error_size, "field \"currency\": %s",
                      money ? "not an ISO-4217 code" : "set for a KPI not in money");
        return -1;
    }
    if (!message->period || !s_valid_period (message->period)) {
        sp_error_set (error, error_size,
                      "field \"period\": not a month YYYY-MM or quarter YYYY-Qn");
        return -1;
    }
    if (message->days_total < 1 || message->days_elapsed < 0 ||
        message->days_elapsed > message->days_total || !message->as_of_day ||
        !s_valid_day (message->as_of_day)) {
        sp_error_set (error, error_size,
                      "fields \"days_elapsed\", \"days_total\", \"as_of_day\": not days in range");
        return -1;
    }
    snprintf (read.node, sizeof read.node, "%s", message->node);
    snprintf (read.kpi, sizeof read.kpi, "%s", kpi->name);
    snprintf (read.period, sizeof read.period, "%s", message->period);
    read.unit = kpi->unit;
    snprintf (read.currency, sizeof read.currency, "%s", currency);
    read.actual = message->actual;
    read.target = message->target;
    read.has_floor = message->has_floor;
    read.floor = message->has_floor ? message->floor : 0;
    read.projection = message->projection;
    read.days_elapsed = message->days_elapsed;
    read.days_total = message->days_total;
    snprintf (read.as_of_day, sizeof read.as_of_day, "%s", message->as_of_day);
    read.at_ms = message->at_ms;
    read.created_at_ms = message->created_at_ms;
    *warning = read;
    return 0;
}

const char *
kpi_warning_state_name (kpi_warning_state_t state)
{
    assert ((unsigned) state < S_STATE_COUNT);
    return s_state_names[state];
}

const char *
kpi_warning_reason_name (kpi_warning_reason_t reason)
{
    assert ((unsigned) reason < S_REASON_COUNT);
    return s_reason_names[reason];
}

const char *
kpi_warning_band_name (kpi_warning_band_t band)
{
    assert ((unsigned) band < S_BAND_COUNT);
    return s_band_names[band];
}

/* The index of text among count names, or -1. */
static int
s_find (const char *const *names, size_t count, const char *text)
{
    for (size_t index = 0; text && index < count; index++)
        if (strcmp (text, names[index]) == 0)
            return (int) index;
    return -1;
}

int
kpi_warning_state_parse (const char *text, kpi_warning_state_t *state)
{
    assert (state);
    int found = s_find (s_state_names, S_STATE_COUNT, text);
    if (found < 0)
        return -1;
    *state = (kpi_warning_state_t) found;
    return 0;
}

int
kpi_warning_reason_parse (const char *text, kpi_warning_reason_t *reason)
{
    assert (reason);
    int found = s_find (s_reason_names, S_REASON_COUNT, text);
    if (found < 0)
        return -1;
    *reason = (kpi_warning_reason_t) found;
    return 0;
}

int
kpi_warning_band_parse (const char *text, kpi_warning_band_t *band)
{
    assert (band);
    int found = s_find (s_band_names, S_BAND_COUNT, text);
    if (found < 0)
        return -1;
    *band = (kpi_warning_band_t) found;
    return 0;
}

const char *
kpi_warning_status_name (kpi_pace_status_t status)
{
    const char *name = kpi_pace_status_name (status);
    return name ? name : "none";
}

int
kpi_warning_status_parse (const char *text, kpi_pace_status_t *status)
{
    assert (status);
    for (unsigned index = 0; text && index < S_STATUS_COUNT; index++)
        if (strcmp (text, kpi_warning_status_name ((kpi_pace_status_t) index)) == 0) {
            *status = (kpi_pace_status_t) index;
            return 0;
        }
    return -1;
}

int
kpi_warning_unit_parse (const char *text, kpi_unit_t *unit)
{
    assert (unit);
    for (int index = KPI_UNIT_MONEY; text && index <= KPI_UNIT_SCORE; index++)
        if (strcmp (text, kpi_catalog_unit_name ((kpi_unit_t) index)) == 0) {
            *unit = (kpi_unit_t) index;
            return 0;
        }
    return -1;
}
