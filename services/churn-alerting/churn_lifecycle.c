/*  churn_lifecycle - the life of one churn alert (see churn_lifecycle.h
    and docs/churn-alerts.md, "Lifecycle").

    Storage form, version 1, little-endian:

        byte     kind 'L'
        byte     version 1
        byte     status: 0 none, 1 firing
        byte     flags: 1 has_day, 2 has_ack (no other bit)
        int64 ×7 last_day, fired_day, last_sent_day, periods_since_sent,
                 clear_periods, ack_day, ack_until_day
        byte     length of ack_rep, then its bytes
        uint16   length of ack_note, then its bytes

    Fields that do not apply are zero, strings that do not apply empty;
    unpack refuses anything else, so one state has one form.
*/
#include "churn_lifecycle.h"

#include <assert.h>
#include <string.h>

#include "sp_error.h"
#include "sp_event.h"
#include "sp_pack.h"

#define S_KIND 'L'
#define S_VERSION 1
#define S_FLAG_HAS_DAY 1
#define S_FLAG_HAS_ACK 2
#define S_NOTE_LENGTH_SIZE 2
#define S_BYTE_BITS 8

/* Ceiling of the period counters: they saturate there, and a stored
   counter beyond it is refused. */
#define S_COUNT_MAX INT64_C (2147483647)

/* Control characters: U+0000..U+001F, U+007F, and U+0080..U+009F, which
   UTF-8 writes 0xC2 0x80..0xC2 0x9F. */
#define S_ASCII_SPACE 0x20
#define S_ASCII_DELETE 0x7f
#define S_C1_LEAD 0xc2
#define S_C1_FIRST 0x80
#define S_C1_LAST 0x9f

/* Names, indexed by their enums. */
static const char *const s_status_names[] = {
    [CHURN_LIFECYCLE_NONE] = "none",
    [CHURN_LIFECYCLE_FIRING] = "firing",
};
static const char *const s_action_names[CHURN_LIFECYCLE_ACTION_COUNT] = {
    [CHURN_LIFECYCLE_NOTHING] = "nothing",     [CHURN_LIFECYCLE_FIRE] = "fire",
    [CHURN_LIFECYCLE_REPEAT] = "repeat",       [CHURN_LIFECYCLE_RESOLVE] = "resolve",
    [CHURN_LIFECYCLE_INHIBITED] = "inhibited", [CHURN_LIFECYCLE_MUTED] = "muted",
};

void
churn_lifecycle_init (churn_lifecycle_t *self)
{
    assert (self);
    memset (self, 0, sizeof *self);
    self->status = CHURN_LIFECYCLE_NONE;
}

/* Drops the acknowledgement. */
static void
s_clear_ack (churn_lifecycle_t *self)
{
    self->has_ack = false;
    self->ack_day = 0;
    self->ack_until_day = 0;
    memset (self->ack_rep, 0, sizeof self->ack_rep);
    memset (self->ack_note, 0, sizeof self->ack_note);
}

/* Back to no alert, keeping the day stepped. */
static void
s_resolve (churn_lifecycle_t *self)
{
    self->status = CHURN_LIFECYCLE_NONE;
    self->fired_day = 0;
    self->last_sent_day = 0;
    self->periods_since_sent = 0;
    self->clear_periods = 0;
    s_clear_ack (self);
}

/* One more period, saturating. */
static void
s_count (int64_t *counter)
{
    if (*counter < S_COUNT_MAX)
        (*counter)++;
}

/* Days from day to until_day (until_day >= day), without overflow. */
static uint64_t
s_days_between (int64_t day, int64_t until_day)
{
    assert (until_day >= day);
    return (uint64_t) until_day - (uint64_t) day;
}

bool
churn_lifecycle_muted (const churn_lifecycle_t *self, int64_t day)
{
    assert (self);
    return self->has_ack && day <= self->ack_until_day;
}

/* A FIRING state's period with its condition judged. */
static churn_lifecycle_action_t
s_step_firing (churn_lifecycle_t *next, const churn_rules_settings_t *settings, bool holds,
               bool inhibit, int64_t day)
{
    s_count (&next->periods_since_sent);
    if (!holds) {
        s_count (&next->clear_periods);
        if (next->clear_periods < settings->resolve_after)
            return CHURN_LIFECYCLE_NOTHING;
        s_resolve (next);
        return CHURN_LIFECYCLE_RESOLVE;
    }
    next->clear_periods = 0;
    if (settings->repeat_periods == 0 || next->periods_since_sent < settings->repeat_periods)
        return CHURN_LIFECYCLE_NOTHING;
    if (inhibit)
        return CHURN_LIFECYCLE_INHIBITED;
    if (churn_lifecycle_muted (next, day))
        return CHURN_LIFECYCLE_MUTED;
    next->last_sent_day = day;
    next->periods_since_sent = 0;
    return CHURN_LIFECYCLE_REPEAT;
}

int
churn_lifecycle_step (churn_lifecycle_t *self, const churn_rules_settings_t *settings,
                      const churn_rules_condition_t *condition, bool critical_firing,
                      churn_lifecycle_action_t *action)
{
    assert (self);
    assert (settings && churn_rules_settings_valid (settings));
    assert (condition);
    assert (condition->rule >= 0 && condition->rule < CHURN_RULES_COUNT);
    assert (condition->judged || !condition->holds);
    assert (action);
    int64_t day = condition->day;
    if (self->has_day && day <= self->last_day)
        return -1;

    churn_lifecycle_t next = *self;
    next.has_day = true;
    next.last_day = day;
    if (next.has_ack && day > next.ack_until_day)
        s_clear_ack (&next);
    bool inhibit = settings->severity[condition->rule] == CHURN_RULES_WARNING && critical_firing;

    churn_lifecycle_action_t result = CHURN_LIFECYCLE_NOTHING;
    if (!condition->judged)
        result = CHURN_LIFECYCLE_NOTHING;
    else if (next.status == CHURN_LIFECYCLE_FIRING)
        result = s_step_firing (&next, settings, condition->holds, inhibit, day);
    else if (condition->holds && inhibit)
        result = CHURN_LIFECYCLE_INHIBITED;
    else if (condition->holds) {
        next.status = CHURN_LIFECYCLE_FIRING;
        next.fired_day = day;
        next.last_sent_day = day;
        next.periods_since_sent = 0;
        next.clear_periods = 0;
        result = CHURN_LIFECYCLE_FIRE;
    }
    *self = next;
    *action = result;
    return 0;
}

int
churn_lifecycle_step_customer (churn_lifecycle_t states[CHURN_RULES_COUNT],
                               const churn_rules_settings_t *settings,
                               const churn_rules_condition_t conditions[CHURN_RULES_COUNT],
                               churn_lifecycle_action_t actions[CHURN_RULES_COUNT])
{
    assert (states);
    assert (settings);
    assert (conditions);
    assert (actions);
    int64_t day = conditions[0].day;
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        assert (conditions[rule].rule == (churn_rules_rule_t) rule);
        assert (conditions[rule].day == day);
        if (states[rule].has_day && day <= states[rule].last_day)
            return -1;
    }
    /* Criticals first; then warnings, knowing whether a critical fires. */
    bool critical_firing = false;
    const churn_rules_severity_t passes[] = { CHURN_RULES_CRITICAL, CHURN_RULES_WARNING };
    for (size_t pass = 0; pass < sizeof passes / sizeof passes[0]; pass++) {
        for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
            if (settings->severity[rule] != passes[pass])
                continue;
            int rc = churn_lifecycle_step (&states[rule], settings, &conditions[rule],
                                           critical_firing, &actions[rule]);
            assert (rc == 0);
            (void) rc;
        }
        for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
            if (settings->severity[rule] == CHURN_RULES_CRITICAL &&
                states[rule].status == CHURN_LIFECYCLE_FIRING)
                critical_firing = true;
    }
    return 0;
}

/* ---------------------------------------------------------------- acknowledgement */

/* Why text (length bytes) is not an acceptable rep or note, or NULL. */
static const char *
s_text_problem (const char *text, size_t length)
{
    if (!sp_event_utf8_valid (text, length))
        return "is not valid UTF-8";
    const unsigned char *bytes = (const unsigned char *) text;
    for (size_t index = 0; index < length; index++) {
        if (bytes[index] < S_ASCII_SPACE || bytes[index] == S_ASCII_DELETE)
            return "has a control character";
        if (bytes[index] == S_C1_LEAD && index + 1 < length && bytes[index + 1] >= S_C1_FIRST &&
            bytes[index + 1] <= S_C1_LAST)
            return "has a control character";
    }
    return NULL;
}

/* Checks an acknowledgement; -1 with the reason in error (NULL allowed). */
static int
s_ack_check (int64_t day, int64_t until_day, const char *rep, size_t rep_length, const char *note,
             size_t note_length, char *error, size_t error_size)
{
    const char *problem;
    if (until_day < day)
        sp_error_set (error, error_size, "the expiry is before the day of the acknowledgement");
    else if (s_days_between (day, until_day) > CHURN_LIFECYCLE_ACK_DAYS_MAX)
        sp_error_set (error, error_size, "the expiry is more than %d days after the day",
                      CHURN_LIFECYCLE_ACK_DAYS_MAX);
    else if (rep_length == 0)
        sp_error_set (error, error_size, "the rep must not be empty");
    else if (rep_length > CHURN_LIFECYCLE_REP_MAX)
        sp_error_set (error, error_size, "the rep is longer than %d bytes",
                      CHURN_LIFECYCLE_REP_MAX);
    else if ((problem = s_text_problem (rep, rep_length)) != NULL)
        sp_error_set (error, error_size, "the rep %s", problem);
    else if (note_length > CHURN_LIFECYCLE_NOTE_MAX)
        sp_error_set (error, error_size, "the note is longer than %d bytes",
                      CHURN_LIFECYCLE_NOTE_MAX);
    else if ((problem = s_text_problem (note, note_length)) != NULL)
        sp_error_set (error, error_size, "the note %s", problem);
    else
        return 0;
    return -1;
}

int
churn_lifecycle_ack (churn_lifecycle_t *self, int64_t day, int64_t until_day, const char *rep,
                     const char *note, char *error, size_t error_size)
{
    assert (self);
    if (self->status != CHURN_LIFECYCLE_FIRING) {
        sp_error_set (error, error_size, "no firing alert to acknowledge");
        return -1;
    }
    rep = rep ? rep : "";
    note = note ? note : "";
    size_t rep_length = strlen (rep);
    size_t note_length = strlen (note);
    if (s_ack_check (day, until_day, rep, rep_length, note, note_length, error, error_size) != 0)
        return -1;
    s_clear_ack (self);
    self->has_ack = true;
    self->ack_day = day;
    self->ack_until_day = until_day;
    memcpy (self->ack_rep, rep, rep_length);
    memcpy (self->ack_note, note, note_length);
    return 0;
}

/* ---------------------------------------------------------------- storage form */

/* Why a state is inconsistent, or NULL: the rules unpack enforces and
   pack asserts. */
static const char *
s_state_problem (const churn_lifecycle_t *self)
{
    if (!self->has_day && (self->last_day != 0 || self->status != CHURN_LIFECYCLE_NONE))
        return "a day or an alert without a period stepped";
    size_t rep_length = strnlen (self->ack_rep, sizeof self->ack_rep);
    size_t note_length = strnlen (self->ack_note, sizeof self->ack_note);
    if (rep_length == sizeof self->ack_rep || note_length == sizeof self->ack_note)
        return "unterminated acknowledgement text";
    if (self->status == CHURN_LIFECYCLE_NONE) {
        if (self->fired_day != 0 || self->last_sent_day != 0 || self->periods_since_sent != 0 ||
            self->clear_periods != 0 || self->has_ack)
            return "alert fields without a firing alert";
    }
    else {
        if (self->fired_day > self->last_sent_day || self->last_sent_day > self->last_day)
            return "days out of order";
        if (self->periods_since_sent < 0 || self->periods_since_sent > S_COUNT_MAX)
            return "periods since sent out of range";
        if (self->clear_periods < 0 || self->clear_periods >= CHURN_RULES_RESOLVE_AFTER_MAX)
            return "clear periods out of range";
    }
    if (!self->has_ack) {
        if (self->ack_day != 0 || self->ack_until_day != 0 || rep_length != 0 || note_length != 0)
            return "acknowledgement fields without an acknowledgement";
        return NULL;
    }
    if (s_ack_check (self->ack_day, self->ack_until_day, self->ack_rep, rep_length, self->ack_note,
                     note_length, NULL, 0) != 0)
        return "invalid acknowledgement";
    return NULL;
}

size_t
churn_lifecycle_pack (const churn_lifecycle_t *self, unsigned char *buffer, size_t size)
{
    assert (self);
    assert (buffer || size == 0);
    assert (s_state_problem (self) == NULL);
    sp_pack_writer_t writer = sp_pack_writer (buffer, size);
    sp_pack_put_u8 (&writer, S_KIND);
    sp_pack_put_u8 (&writer, S_VERSION);
    sp_pack_put_u8 (&writer, (uint8_t) self->status);
    sp_pack_put_u8 (&writer, (uint8_t) ((self->has_day ? S_FLAG_HAS_DAY : 0) |
                                        (self->has_ack ? S_FLAG_HAS_ACK : 0)));
    const int64_t integers[] = { self->last_day,           self->fired_day,     self->last_sent_day,
                                 self->periods_since_sent, self->clear_periods, self->ack_day,
                                 self->ack_until_day };
    for (size_t index = 0; index < sizeof integers / sizeof integers[0]; index++)
        sp_pack_put_i64 (&writer, integers[index]);
    size_t note_length = strlen (self->ack_note);
    sp_pack_put_string (&writer, self->ack_rep, sizeof self->ack_rep);
    sp_pack_put_uint (&writer, note_length, S_NOTE_LENGTH_SIZE);
    sp_pack_put (&writer, self->ack_note, note_length);
    return sp_pack_written (&writer);
}

int
churn_lifecycle_unpack (churn_lifecycle_t *self, const void *data, size_t size, char *error,
                        size_t error_size)
{
    assert (self);
    assert (data || size == 0);
    sp_pack_reader_t reader = sp_pack_reader (data, size);
    churn_lifecycle_t state;
    churn_lifecycle_init (&state);

    uint8_t kind = sp_pack_get_u8 (&reader);
    uint8_t version = sp_pack_get_u8 (&reader);
    if (reader.bad || kind != S_KIND) {
        sp_error_set (error, error_size, "not a churn alert state");
        return -1;
    }
    if (version != S_VERSION) {
        sp_error_set (error, error_size, "unknown churn alert state version %u", version);
        return -1;
    }
    uint8_t status = sp_pack_get_u8 (&reader);
    uint8_t flags = sp_pack_get_u8 (&reader);
    if (!reader.bad && status > CHURN_LIFECYCLE_FIRING) {
        sp_error_set (error, error_size, "churn alert state: unknown status %u", status);
        return -1;
    }
    if (!reader.bad && (flags & ~(S_FLAG_HAS_DAY | S_FLAG_HAS_ACK)) != 0) {
        sp_error_set (error, error_size, "churn alert state: unknown flags 0x%02x", flags);
        return -1;
    }
    state.status = (churn_lifecycle_status_t) status;
    state.has_day = (flags & S_FLAG_HAS_DAY) != 0;
    state.has_ack = (flags & S_FLAG_HAS_ACK) != 0;
    state.last_day = sp_pack_get_i64 (&reader);
    state.fired_day = sp_pack_get_i64 (&reader);
    state.last_sent_day = sp_pack_get_i64 (&reader);
    state.periods_since_sent = sp_pack_get_i64 (&reader);
    state.clear_periods = sp_pack_get_i64 (&reader);
    state.ack_day = sp_pack_get_i64 (&reader);
    state.ack_until_day = sp_pack_get_i64 (&reader);
    size_t rep_length = sp_pack_get_u8 (&reader);
    if (rep_length > CHURN_LIFECYCLE_REP_MAX) {
        sp_error_set (error, error_size, "churn alert state: rep of %zu bytes", rep_length);
        return -1;
    }
    sp_pack_get_bytes (&reader, state.ack_rep, rep_length);
    size_t note_length = sp_pack_get_u8 (&reader);
    note_length |= (size_t) sp_pack_get_u8 (&reader) << S_BYTE_BITS;
    if (note_length > CHURN_LIFECYCLE_NOTE_MAX) {
        sp_error_set (error, error_size, "churn alert state: note of %zu bytes", note_length);
        return -1;
    }
    sp_pack_get_bytes (&reader, state.ack_note, note_length);
    if (reader.bad) {
        sp_error_set (error, error_size, "churn alert state: truncated at byte %zu of %zu",
                      reader.used, size);
        return -1;
    }
    if (reader.used != size) {
        sp_error_set (error, error_size, "churn alert state: %zu bytes after the end",
                      size - reader.used);
        return -1;
    }
    /* A NUL inside a text would shorten it: refuse it as the ack checks do. */
    if (strlen (state.ack_rep) != rep_length || strlen (state.ack_note) != note_length) {
        sp_error_set (error, error_size, "churn alert state: NUL in acknowledgement text");
        return -1;
    }
    const char *problem = s_state_problem (&state);
    if (problem) {
        sp_error_set (error, error_size, "churn alert state: %s", problem);
        return -1;
    }
    *self = state;
    return 0;
}

/* ---------------------------------------------------------------- names */

const char *
churn_lifecycle_status_name (churn_lifecycle_status_t status)
{
    assert (status == CHURN_LIFECYCLE_NONE || status == CHURN_LIFECYCLE_FIRING);
    return s_status_names[status];
}

const char *
churn_lifecycle_action_name (churn_lifecycle_action_t action)
{
    assert (action >= 0 && action < CHURN_LIFECYCLE_ACTION_COUNT);
    return s_action_names[action];
}
