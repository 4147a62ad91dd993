/*  churn_lifecycle - the life of one churn alert: fire, repeat, mute,
    inhibit, resolve.

    An alert's identity is a customer and a rule (churn_rules): at most
    one firing alert per identity. Its state is stepped once per period
    with the rule's condition for that period (churn_rules_evaluate), and
    the step says what to send:

        FIRE       the condition holds and no alert fires: a new alert
        REPEAT     the alert fires unchanged, its condition holds, and
                   repeat_periods judged periods have passed since it was
                   last sent
        MUTED      a repeat was due, but a rep acknowledged the alert
                   until a day not yet past: nothing is sent
        INHIBITED  a FIRE or REPEAT of a warning while a critical alert
                   of the same customer fires: nothing is sent
        RESOLVE    the condition has been clear for resolve_after (K)
                   judged periods in a row: the alert is over
        NOTHING    none of these

    A condition that comes back before K clear periods keeps the same
    alert (anti-flap: no second FIRE). A period whose condition is not
    judged (no score, no interval) changes nothing but the day stepped.
    A resolve while acknowledged resolves and ends the acknowledgement: the
    next alert of the identity is a new one, sent in full. A warning that
    already fires when a critical starts stays firing (its resolve is
    still sent); only its repeats are inhibited.

    churn_lifecycle_step_customer steps the four identities of a customer
    in one go, criticals first, so that a warning sees whether a critical
    fires after this very period. The state packs into a versioned binary
    record for Redis. Pure: no I/O; integers only; docs/churn-alerts.md
    has the state diagram.
*/
#ifndef CHURN_LIFECYCLE_H_INCLUDED
#define CHURN_LIFECYCLE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_rules.h"

/* Longest rep id (bytes of UTF-8) and note (bytes) of an acknowledgement. */
#define CHURN_LIFECYCLE_REP_MAX 64
#define CHURN_LIFECYCLE_NOTE_MAX 256

/* Longest acknowledgement: until_day at most this many days after its day. */
#define CHURN_LIFECYCLE_ACK_DAYS_MAX 366

/* Room for any packed state. */
#define CHURN_LIFECYCLE_PACKED_MAX                                                                 \
    (2 + 2 + 7 * 8 + 1 + CHURN_LIFECYCLE_REP_MAX + 2 + CHURN_LIFECYCLE_NOTE_MAX)

/* Whether an identity has a firing alert. */
typedef enum {
    CHURN_LIFECYCLE_NONE = 0,   /* no alert: never fired, or resolved */
    CHURN_LIFECYCLE_FIRING = 1, /* one firing alert */
} churn_lifecycle_status_t;

/* What to do after a step. */
typedef enum {
    CHURN_LIFECYCLE_NOTHING = 0,   /* send nothing */
    CHURN_LIFECYCLE_FIRE = 1,      /* send a new firing alert */
    CHURN_LIFECYCLE_REPEAT = 2,    /* send the firing alert again */
    CHURN_LIFECYCLE_RESOLVE = 3,   /* send the alert resolved */
    CHURN_LIFECYCLE_INHIBITED = 4, /* a warning's fire or repeat held back by a critical */
    CHURN_LIFECYCLE_MUTED = 5,     /* a repeat held back by an acknowledgement */
} churn_lifecycle_action_t;

#define CHURN_LIFECYCLE_ACTION_COUNT 6

/* The state of one identity (customer, rule). An identity never seen is
   churn_lifecycle_init's. */
typedef struct {
    churn_lifecycle_status_t status; /* NONE or FIRING */
    bool has_day;                    /* a period has been stepped */
    int64_t last_day;                /* the last period stepped, when has_day */
    int64_t fired_day;               /* FIRING: the period it fired */
    int64_t last_sent_day;           /* FIRING: the period it was last sent (fired or repeated) */
    int64_t periods_since_sent;      /* FIRING: judged periods stepped since then */
    int64_t clear_periods;           /* FIRING: judged periods clear in a row, 0..K - 1 */
    bool has_ack;                    /* FIRING: a rep acknowledged it */
    int64_t ack_day;                 /* has_ack: the day of the acknowledgement */
    int64_t ack_until_day;           /* has_ack: repeats muted up to this day, inclusive */
    char ack_rep[CHURN_LIFECYCLE_REP_MAX + 1];   /* has_ack: the rep's id ("" otherwise) */
    char ack_note[CHURN_LIFECYCLE_NOTE_MAX + 1]; /* has_ack: the note, "" when none */
} churn_lifecycle_t;

/* An identity never seen: NONE, nothing stepped. */
void churn_lifecycle_init (churn_lifecycle_t *self);

/* Steps self through the period condition->day with the rule's condition
   (settings valid, asserted). critical_firing: a critical alert of the
   same customer fires after this period's step of the criticals (only
   read for a warning). An acknowledgement whose until_day is before the
   day ends first. Returns 0 with *action set, or -1 when the period is not
   after the last one stepped (a replay: self and *action untouched). */
int churn_lifecycle_step (churn_lifecycle_t *self, const churn_rules_settings_t *settings,
                          const churn_rules_condition_t *condition, bool critical_firing,
                          churn_lifecycle_action_t *action);

/* Steps a customer's four identities (states[rule]) with conditions[rule]
   (from one churn_rules_evaluate: rule order and one day, asserted):
   critical rules first, then warnings with critical_firing true when a
   critical state fires after its step. Returns 0 with actions[rule] set,
   or -1 when one state was already stepped at that day (nothing changed). */
int churn_lifecycle_step_customer (churn_lifecycle_t states[CHURN_RULES_COUNT],
                                   const churn_rules_settings_t *settings,
                                   const churn_rules_condition_t conditions[CHURN_RULES_COUNT],
                                   churn_lifecycle_action_t actions[CHURN_RULES_COUNT]);

/* A rep acknowledges the firing alert on day until until_day (inclusive):
   its repeats are muted until then, and come back after it. A new
   acknowledgement replaces the one before. rep: 1..CHURN_LIFECYCLE_REP_MAX
   bytes, note (NULL = none): up to CHURN_LIFECYCLE_NOTE_MAX bytes; both
   UTF-8 without control characters. Returns 0, or -1 with the reason in
   error (self untouched): no firing alert, until_day before day or more
   than CHURN_LIFECYCLE_ACK_DAYS_MAX days after it, a bad rep or note. */
int churn_lifecycle_ack (churn_lifecycle_t *self, int64_t day, int64_t until_day, const char *rep,
                         const char *note, char *error, size_t error_size);

/* True while an acknowledgement mutes the repeats on day. */
bool churn_lifecycle_muted (const churn_lifecycle_t *self, int64_t day);

/* Writes the storage form into buffer (size bytes) and returns its
   length, or 0 when it does not fit (CHURN_LIFECYCLE_PACKED_MAX always
   does). self must be consistent (asserted). */
size_t churn_lifecycle_pack (const churn_lifecycle_t *self, unsigned char *buffer, size_t size);

/* Reads a storage form (size bytes) into self. Strict: the kind and
   version, every field's range, the state's consistency and the exact
   length are checked. Returns 0, or -1 with the reason in error (self
   untouched). */
int churn_lifecycle_unpack (churn_lifecycle_t *self, const void *data, size_t size, char *error,
                            size_t error_size);

/* Spellings in logs and alerts: "none"/"firing"; "nothing", "fire",
   "repeat", "resolve", "inhibited", "muted" (in range, asserted). */
const char *churn_lifecycle_status_name (churn_lifecycle_status_t status);
const char *churn_lifecycle_action_name (churn_lifecycle_action_t action);

#endif
