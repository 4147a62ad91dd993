/*  funnel_notice - bottleneck conditions and notices (see funnel_notice.h). */
#include "funnel_notice.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sp_civil.h"
#include "sp_error.h"
#include "sp_period.h"

/* Length of a day label "YYYY-MM-DD". */
#define S_DAY_LENGTH 10

/* Basis points in one percent, and in one tenth of a percent. */
#define S_BP_PER_PERCENT 100
#define S_BP_PER_TENTH 10

static const char *const s_state_names[] = { "cleared", "firing" };
static const char *const s_reason_names[] = { "below_target", "recovered", "sample_below_minimum",
                                              "target_removed" };

#define S_STATE_COUNT (sizeof s_state_names / sizeof s_state_names[0])
#define S_REASON_COUNT (sizeof s_reason_names / sizeof s_reason_names[0])

void
funnel_notice_evaluate (const funnel_definition_target_t *target, uint64_t sample,
                        uint64_t converted, funnel_notice_condition_t *condition)
{
    assert (target && target->set && condition);
    assert (target->conversion_bp <= FUNNEL_DEFINITION_BASIS_POINTS);
    assert (sample <= FUNNEL_NOTICE_COUNT_MAX && converted <= FUNNEL_NOTICE_COUNT_MAX);
    if (converted > sample)
        converted = sample;
    /* floor (converted * 10000 / sample) < conversion_bp exactly when
       converted * 10000 < conversion_bp * sample: the target is an
       integer, so rounding the observed value down never hides a miss. */
    condition->observed_bp =
        sample == 0 ? 0 : (uint32_t) (converted * FUNNEL_DEFINITION_BASIS_POINTS / sample);
    if (sample < target->min_sample) {
        condition->state = FUNNEL_NOTICE_CLEARED;
        condition->reason = FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM;
    }
    else if (converted * FUNNEL_DEFINITION_BASIS_POINTS <
             (uint64_t) target->conversion_bp * sample) {
        condition->state = FUNNEL_NOTICE_FIRING;
        condition->reason = FUNNEL_NOTICE_BELOW_TARGET;
    }
    else {
        condition->state = FUNNEL_NOTICE_CLEARED;
        condition->reason = FUNNEL_NOTICE_RECOVERED;
    }
}

funnel_notice_transition_t
funnel_notice_decide (funnel_notice_state_t stored, funnel_notice_state_t evaluated)
{
    assert ((unsigned) stored < S_STATE_COUNT && (unsigned) evaluated < S_STATE_COUNT);
    if (stored == evaluated)
        return FUNNEL_NOTICE_KEEP;
    return evaluated == FUNNEL_NOTICE_FIRING ? FUNNEL_NOTICE_RAISE : FUNNEL_NOTICE_CLEAR;
}

/* Copies a day's label "YYYY-MM-DD" into a FUNNEL_KEYS_DAY_SIZE buffer. */
static void
s_copy_day (char *buffer, const sp_period_t *day)
{
    assert (strlen (day->label) == S_DAY_LENGTH);
    memcpy (buffer, day->label, S_DAY_LENGTH);
    buffer[S_DAY_LENGTH] = '\0';
}

int
funnel_notice_window (const sp_tz_t *tz, int64_t latest_ms, uint32_t trailing_days,
                      uint32_t maturity_days, funnel_notice_window_t *window,
                      char (*days)[FUNNEL_KEYS_DAY_SIZE])
{
    assert (tz && window);
    if (trailing_days < 1 || trailing_days > FUNNEL_NOTICE_TRAILING_DAYS_MAX ||
        maturity_days > FUNNEL_DEFINITION_WINDOW_DAYS_MAX)
        return -1;
    /* last: the newest cohort judged, maturity_days + 1 days before the
       newest event's day; first: trailing_days - 1 days before last. */
    sp_period_t last;
    if (sp_period_cut (tz, SP_PERIOD_DAY, latest_ms, &last) != 0)
        return -1;
    for (uint32_t back = 0; back <= maturity_days; back++)
        if (sp_period_previous (tz, &last, &last) != 0)
            return -1;
    sp_period_t first = last;
    for (uint32_t back = 1; back < trailing_days; back++)
        if (sp_period_previous (tz, &first, &first) != 0)
            return -1;
    /* Every day from last back to first exists: the labels cannot fail. */
    sp_period_t day = last;
    for (uint32_t back = 0; days && back < trailing_days; back++) {
        if (back > 0) {
            int rc = sp_period_previous (tz, &day, &day);
            assert (rc == 0);
            (void) rc;
        }
        s_copy_day (days[trailing_days - 1 - back], &day);
    }
    window->start_ms = first.start_ms;
    window->end_ms = last.end_ms;
    s_copy_day (window->first_day, &first);
    s_copy_day (window->last_day, &last);
    return 0;
}

int
funnel_notice_fill (funnel_notice_t *notice, const funnel_definition_t *definition, int64_t version,
                    size_t index, const char *scope, const funnel_notice_condition_t *condition,
                    uint64_t sample, uint64_t converted, const funnel_notice_window_t *window)
{
    assert (notice && definition && scope && condition && window);
    const funnel_definition_step_t *step = funnel_definition_step (definition, index);
    assert (step->target.set);
    if (strlen (scope) >= sizeof notice->scope)
        return -1;
    memset (notice, 0, sizeof *notice);
    notice->state = condition->state;
    notice->reason = condition->reason;
    snprintf (notice->funnel, sizeof notice->funnel, "%s", funnel_definition_name (definition));
    notice->funnel_version = version;
    snprintf (notice->step, sizeof notice->step, "%s", step->name);
    notice->step_index = (uint32_t) index + 1;
    snprintf (notice->from_step, sizeof notice->from_step, "%s",
              funnel_definition_step (definition, step->target.from)->name);
    snprintf (notice->scope, sizeof notice->scope, "%s", scope);
    notice->observed_bp = condition->observed_bp;
    notice->target_bp = step->target.conversion_bp;
    notice->min_sample = step->target.min_sample;
    notice->sample = sample;
    notice->converted = converted;
    notice->window = *window;
    return 0;
}

int
funnel_notice_topic (char *buffer, size_t size, const char *scope)
{
    assert (buffer && size > 0 && scope);
    int length = snprintf (buffer, size, FUNNEL_NOTICE_TOPIC_PREFIX "%s", scope);
    if (length < 0 || (size_t) length >= size) {
        buffer[0] = '\0';
        return -1;
    }
    return length;
}

void
funnel_notice_to_message (const funnel_notice_t *notice, Salespulse__FunnelBottleneck *message)
{
    assert (notice && message);
    salespulse__funnel_bottleneck__init (message);
    message->sequence = (uint64_t) notice->sequence;
    message->state = notice->state == FUNNEL_NOTICE_FIRING
                         ? SALESPULSE__FUNNEL_BOTTLENECK__STATE__FIRING
                         : SALESPULSE__FUNNEL_BOTTLENECK__STATE__CLEARED;
    switch (notice->reason) {
        case FUNNEL_NOTICE_BELOW_TARGET:
            message->reason = SALESPULSE__FUNNEL_BOTTLENECK__REASON__BELOW_TARGET;
            break;
        case FUNNEL_NOTICE_RECOVERED:
            message->reason = SALESPULSE__FUNNEL_BOTTLENECK__REASON__RECOVERED;
            break;
        case FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM:
            message->reason = SALESPULSE__FUNNEL_BOTTLENECK__REASON__SAMPLE_BELOW_MINIMUM;
            break;
        case FUNNEL_NOTICE_TARGET_REMOVED:
            message->reason = SALESPULSE__FUNNEL_BOTTLENECK__REASON__TARGET_REMOVED;
            break;
    }
    /* protobuf-c wants char *; packing only reads them. */
    message->funnel = (char *) notice->funnel;
    message->funnel_version = notice->funnel_version;
    message->step = (char *) notice->step;
    message->step_index = notice->step_index;
    message->from_step = (char *) notice->from_step;
    message->scope = (char *) notice->scope;
    message->observed_bp = notice->observed_bp;
    message->target_bp = notice->target_bp;
    message->min_sample = notice->min_sample;
    message->sample = notice->sample;
    message->converted = notice->converted;
    message->window_start_ms = notice->window.start_ms;
    message->window_end_ms = notice->window.end_ms;
    message->first_day = (char *) notice->window.first_day;
    message->last_day = (char *) notice->window.last_day;
    message->created_at_ms = notice->created_at_ms;
}

/* True when text is 1..63 bytes of [a-z0-9_-], as funnel and step names. */
static bool
s_valid_name (const char *text)
{
    size_t length = strlen (text);
    if (length == 0 || length > FUNNEL_DEFINITION_NAME_MAX)
        return false;
    for (size_t index = 0; index < length; index++) {
        char c = text[index];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* True when text is "YYYY-MM-DD" (digits and dashes in place). */
static bool
s_valid_day (const char *text)
{
    if (strlen (text) != S_DAY_LENGTH)
        return false;
    for (size_t index = 0; index < S_DAY_LENGTH; index++) {
        bool dash = index == 4 || index == 7;
        if (dash ? text[index] != '-' : (text[index] < '0' || text[index] > '9'))
            return false;
    }
    int year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    int month = (text[5] - '0') * 10 + (text[6] - '0');
    int day = (text[8] - '0') * 10 + (text[9] - '0');
    return year >= 1 && month >= 1 && month <= 12 && day >= 1 &&
           day <= sp_civil_days_in_month (year, month);
}

/* Checks a name field of a message; sets error naming it. */
static int
s_check_name (const char *field, const char *value, char *error, size_t error_size)
{
    if (!value || !s_valid_name (value)) {
        char quoted[FUNNEL_DEFINITION_NAME_MAX + 8];
        sp_error_quote (value ? value : "", quoted, sizeof quoted);
        sp_error_set (error, error_size,
                      "field \"%s\": \"%s\" is not a name of 1..63 bytes of [a-z0-9_-]", field,
                      quoted);
        return -1;
    }
    return 0;
}

int
funnel_notice_from_message (const Salespulse__FunnelBottleneck *message, funnel_notice_t *notice,
                            char *error, size_t error_size)
{
    assert (message && notice);
    funnel_notice_t read;
    memset (&read, 0, sizeof read);
    if (message->sequence < 1 || message->sequence > (uint64_t) INT64_MAX) {
        sp_error_set (error, error_size, "field \"sequence\": %" PRIu64 " is not in 1..2^63-1",
                      message->sequence);
        return -1;
    }
    read.sequence = (int64_t) message->sequence;
    if (message->state == SALESPULSE__FUNNEL_BOTTLENECK__STATE__FIRING)
        read.state = FUNNEL_NOTICE_FIRING;
    else if (message->state == SALESPULSE__FUNNEL_BOTTLENECK__STATE__CLEARED)
        read.state = FUNNEL_NOTICE_CLEARED;
    else {
        sp_error_set (error, error_size, "field \"state\": %d is not FIRING or CLEARED",
                      (int) message->state);
        return -1;
    }
    switch (message->reason) {
        case SALESPULSE__FUNNEL_BOTTLENECK__REASON__BELOW_TARGET:
            read.reason = FUNNEL_NOTICE_BELOW_TARGET;
            break;
        case SALESPULSE__FUNNEL_BOTTLENECK__REASON__RECOVERED:
            read.reason = FUNNEL_NOTICE_RECOVERED;
            break;
        case SALESPULSE__FUNNEL_BOTTLENECK__REASON__SAMPLE_BELOW_MINIMUM:
            read.reason = FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM;
            break;
        case SALESPULSE__FUNNEL_BOTTLENECK__REASON__TARGET_REMOVED:
            read.reason = FUNNEL_NOTICE_TARGET_REMOVED;
            break;
        default:
            sp_error_set (error, error_size, "field \"reason\": %d is not a known reason",
                          (int) message->reason);
            return -1;
    }
    if ((read.state == FUNNEL_NOTICE_FIRING) != (read.reason == FUNNEL_NOTICE_BELOW_TARGET)) {
        sp_error_set (error, error_size, "field \"reason\": %s does not go with state %s",
                      funnel_notice_reason_name (read.reason),
                      funnel_notice_state_name (read.state));
        return -1;
    }
    if (s_check_name ("funnel", message->funnel, error, error_size) != 0 ||
        s_check_name ("step", message->step, error, error_size) != 0 ||
        s_check_name ("from_step", message->from_step, error, error_size) != 0)
        return -1;
    if (message->funnel_version < 0 || message->step_index < 1 ||
        message->step_index > FUNNEL_STEPS_MAX) {
        sp_error_set (
            error, error_size, "field \"%s\": out of range (funnel_version >= 0, step_index 1..%d)",
            message->funnel_version < 0 ? "funnel_version" : "step_index", FUNNEL_STEPS_MAX);
        return -1;
    }
    funnel_scope_kind_t kind;
    const char *id;
    if (!message->scope) {
        sp_error_set (error, error_size, "field \"scope\": missing");
        return -1;
    }
    if (funnel_keys_scope_parse (message->scope, &kind, &id, error, error_size) != 0)
        return -1;
    if (message->observed_bp > FUNNEL_DEFINITION_BASIS_POINTS ||
        message->target_bp > FUNNEL_DEFINITION_BASIS_POINTS) {
        sp_error_set (error, error_size, "field \"%s\": %" PRIu32 " is not in 0..10000",
                      message->observed_bp > FUNNEL_DEFINITION_BASIS_POINTS ? "observed_bp"
                                                                            : "target_bp",
                      message->observed_bp > FUNNEL_DEFINITION_BASIS_POINTS ? message->observed_bp
                                                                            : message->target_bp);
        return -1;
    }
    if (message->min_sample < FUNNEL_DEFINITION_MIN_SAMPLE_MIN ||
        message->sample > FUNNEL_NOTICE_COUNT_MAX || message->converted > FUNNEL_NOTICE_COUNT_MAX) {
        sp_error_set (error, error_size,
                      "field \"%s\": out of range (min_sample >= 1, counts <= 10^15)",
                      message->min_sample < 1                     ? "min_sample"
                      : message->sample > FUNNEL_NOTICE_COUNT_MAX ? "sample"
                                                                  : "converted");
        return -1;
    }
    if (!message->first_day || !message->last_day || !s_valid_day (message->first_day) ||
        !s_valid_day (message->last_day) || strcmp (message->first_day, message->last_day) > 0 ||
        message->window_end_ms <= message->window_start_ms) {
        sp_error_set (error, error_size,
                      "fields \"first_day\", \"last_day\", \"window_start_ms\", "
                      "\"window_end_ms\": not a window of days in order");
        return -1;
    }
    snprintf (read.funnel, sizeof read.funnel, "%s", message->funnel);
    read.funnel_version = message->funnel_version;
    snprintf (read.step, sizeof read.step, "%s", message->step);
    read.step_index = message->step_index;
    snprintf (read.from_step, sizeof read.from_step, "%s", message->from_step);
    snprintf (read.scope, sizeof read.scope, "%s", message->scope);
    read.observed_bp = message->observed_bp;
    read.target_bp = message->target_bp;
    read.min_sample = message->min_sample;
    read.sample = message->sample;
    read.converted = message->converted;
    read.window.start_ms = message->window_start_ms;
    read.window.end_ms = message->window_end_ms;
    snprintf (read.window.first_day, sizeof read.window.first_day, "%s", message->first_day);
    snprintf (read.window.last_day, sizeof read.window.last_day, "%s", message->last_day);
    read.created_at_ms = message->created_at_ms;
    *notice = read;
    return 0;
}

const char *
funnel_notice_state_name (funnel_notice_state_t state)
{
    assert ((unsigned) state < S_STATE_COUNT);
    return s_state_names[state];
}

const char *
funnel_notice_reason_name (funnel_notice_reason_t reason)
{
    assert ((unsigned) reason < S_REASON_COUNT);
    return s_reason_names[reason];
}

int
funnel_notice_state_parse (const char *text, funnel_notice_state_t *state)
{
    assert (state);
    for (size_t index = 0; text && index < S_STATE_COUNT; index++)
        if (strcmp (text, s_state_names[index]) == 0) {
            *state = (funnel_notice_state_t) index;
            return 0;
        }
    return -1;
}

int
funnel_notice_reason_parse (const char *text, funnel_notice_reason_t *reason)
{
    assert (reason);
    for (size_t index = 0; text && index < S_REASON_COUNT; index++)
        if (strcmp (text, s_reason_names[index]) == 0) {
            *reason = (funnel_notice_reason_t) index;
            return 0;
        }
    return -1;
}

void
funnel_notice_percent (uint32_t basis_points, char *buffer, size_t size)
{
    assert (buffer && size > 0);
    uint32_t whole = basis_points / S_BP_PER_PERCENT;
    uint32_t hundredths = basis_points % S_BP_PER_PERCENT;
    if (hundredths % S_BP_PER_TENTH == 0)
        snprintf (buffer, size, "%" PRIu32 ".%" PRIu32 "%%", whole, hundredths / S_BP_PER_TENTH);
    else
        snprintf (buffer, size, "%" PRIu32 ".%02" PRIu32 "%%", whole, hundredths);
}
