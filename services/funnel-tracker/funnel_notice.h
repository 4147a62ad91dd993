/*  funnel_notice - when a funnel bottleneck notice is raised or cleared.

    A funnel step with a conversion target (funnel_definition.h) defines,
    in every scope, one bottleneck condition: over the trailing window of
    days, of the entities that reached the target's "from" step (sample),
    fewer than the target share went on to reach the step (converted).
    The condition holds ("firing") when

        sample >= min_sample  and  converted * 10000 < conversion_bp * sample

    and is otherwise "cleared", either because the conversion recovered or
    because the sample fell below the minimum. A notice is published only
    when the state changes (funnel_notice_decide), never once per event.

    Only cohorts old enough to have converted are judged: the window of
    days ends the target's maturity_days (funnel_definition.h; by default
    the funnel's window_days) whole days before the day of the newest
    event (funnel_notice_window). Judging the newest days would compare
    leads that had days, not the sales cycle, to convert with a target
    met by complete cohorts, and raise notices on every young cohort.

    This file holds that logic and the notice record every other part
    shares (the store, the notifier, salesctl notices): the window of days,
    the topic, the protobuf message both ways and the text spellings. No
    I/O: funnel_notice_store.c talks to PostgreSQL, funnel_notifier.c to
    Redis and ZeroMQ. docs/funnel-notices.md describes the whole feature.
*/
#ifndef FUNNEL_NOTICE_H_INCLUDED
#define FUNNEL_NOTICE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "funnel.pb-c.h"
#include "funnel_definition.h"
#include "funnel_keys.h"
#include "sp_tz.h"

/* Frame 0 of every notice starts with this; the scope follows. */
#define FUNNEL_NOTICE_TOPIC_PREFIX "funnel.bottleneck."

/* Room for a topic: the prefix and a scope. */
#define FUNNEL_NOTICE_TOPIC_SIZE (sizeof FUNNEL_NOTICE_TOPIC_PREFIX + FUNNEL_KEYS_SCOPE_SIZE)

/* Largest sample or converted count judged: 10^15 entities keeps
   count * 10000 inside uint64_t, far above any real funnel. */
#define FUNNEL_NOTICE_COUNT_MAX UINT64_C (1000000000000000)

/* Longest trailing window, days (as a funnel's window_days). */
#define FUNNEL_NOTICE_TRAILING_DAYS_MAX 3650

/* Room for a percentage written by funnel_notice_percent ("100.0%"). */
#define FUNNEL_NOTICE_PERCENT_SIZE 16

/* Largest packed FunnelBottleneck: bounded strings make it far smaller. */
#define FUNNEL_NOTICE_MESSAGE_MAX 4096

/* State of a condition. A condition never seen is cleared. */
typedef enum {
    FUNNEL_NOTICE_CLEARED = 0, /* the target is met, or not judged yet */
    FUNNEL_NOTICE_FIRING = 1,  /* the conversion is below the target */
} funnel_notice_state_t;

/* Why a condition is in its state. */
typedef enum {
    FUNNEL_NOTICE_BELOW_TARGET = 0,         /* firing */
    FUNNEL_NOTICE_RECOVERED = 1,            /* cleared: the conversion reached the target */
    FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM = 2, /* cleared: sample < min_sample */
    FUNNEL_NOTICE_TARGET_REMOVED = 3,       /* cleared: the funnel has no such target now */
} funnel_notice_reason_t;

/* What to do after comparing the stored state with the evaluated one. */
typedef enum {
    FUNNEL_NOTICE_KEEP = 0,  /* same state: no notice */
    FUNNEL_NOTICE_RAISE = 1, /* cleared -> firing: a firing notice */
    FUNNEL_NOTICE_CLEAR = 2, /* firing -> cleared: a cleared notice */
} funnel_notice_transition_t;

/* The outcome of judging one condition. */
typedef struct {
    funnel_notice_state_t state;   /* firing or cleared */
    funnel_notice_reason_t reason; /* below_target when firing; why it is cleared */
    uint32_t observed_bp; /* floor (converted * 10000 / sample), 0..10000; 0 for no sample */
} funnel_notice_condition_t;

/* The trailing window of days judged: it ends maturity_days + 1 days
   before the day of the newest event. */
typedef struct {
    int64_t start_ms;                     /* first instant of first_day, UTC ms */
    int64_t end_ms;                       /* first instant after last_day, UTC ms */
    char first_day[FUNNEL_KEYS_DAY_SIZE]; /* "YYYY-MM-DD", oldest day */
    char last_day[FUNNEL_KEYS_DAY_SIZE];  /* "YYYY-MM-DD", the newest cohort judged */
} funnel_notice_window_t;

/* One notice: a condition's change of state, as stored and published. */
typedef struct {
    int64_t sequence;                               /* gap-free, 1.. (0 before it is stored) */
    funnel_notice_state_t state;                    /* new state */
    funnel_notice_reason_t reason;                  /* why */
    char funnel[FUNNEL_DEFINITION_NAME_MAX + 1];    /* funnel name */
    int64_t funnel_version;                         /* definition version, 0 = built-in */
    char step[FUNNEL_DEFINITION_NAME_MAX + 1];      /* step whose target is judged */
    uint32_t step_index;                            /* its position, 1-based */
    char from_step[FUNNEL_DEFINITION_NAME_MAX + 1]; /* the target's "from" step */
    char scope[FUNNEL_KEYS_SCOPE_SIZE];             /* company, region:R, team:T, rep:P */
    uint32_t observed_bp;                           /* observed conversion, basis points */
    uint32_t target_bp;                             /* target conversion, basis points */
    uint32_t min_sample;                            /* sample needed to judge */
    uint64_t sample;                                /* entities that reached from_step */
    uint64_t converted;                             /* of those, entities that reached step */
    funnel_notice_window_t window;                  /* the days judged */
    int64_t created_at_ms;                          /* when stored, UTC ms (0 before) */
} funnel_notice_t;

/* Judges one condition: target must be set and both counts at most
   FUNNEL_NOTICE_COUNT_MAX (asserted; callers check data they read).
   converted above sample (partial sums read while they change) counts
   as a full conversion. */
void funnel_notice_evaluate (const funnel_definition_target_t *target, uint64_t sample,
                             uint64_t converted, funnel_notice_condition_t *condition);

/* The transition from the stored state to the evaluated one. */
funnel_notice_transition_t funnel_notice_decide (funnel_notice_state_t stored,
                                                 funnel_notice_state_t evaluated);

/* The window of trailing_days (1..FUNNEL_NOTICE_TRAILING_DAYS_MAX) days
   in zone tz judged for a target of maturity_days (0..
   FUNNEL_DEFINITION_WINDOW_DAYS_MAX) when the newest event is at
   latest_ms: with T the day holding latest_ms, the window's last day is
   the day maturity_days + 1 days before T, the newest day D with
   maturity_days whole days between D's end and T's start, so every entity
   judged reached the target's "from" step at least maturity_days days
   before the newest event. days (may be NULL) gets trailing_days labels,
   oldest first. Returns 0, or -1 (window and days untouched) when a day
   falls outside years 1..9999 or an argument is out of range. */
int funnel_notice_window (const sp_tz_t *tz, int64_t latest_ms, uint32_t trailing_days,
                          uint32_t maturity_days, funnel_notice_window_t *window,
                          char (*days)[FUNNEL_KEYS_DAY_SIZE]);

/* Fills a notice (sequence and created_at 0) for funnel definition's step
   at index (0-based; it must have a target, asserted) in scope, from the
   condition judged and the counts. Returns 0, or -1 when scope does not
   fit. */
int funnel_notice_fill (funnel_notice_t *notice, const funnel_definition_t *definition,
                        int64_t version, size_t index, const char *scope,
                        const funnel_notice_condition_t *condition, uint64_t sample,
                        uint64_t converted, const funnel_notice_window_t *window);

/* Writes "funnel.bottleneck.<scope>" into buffer. Returns its length, or
   -1 when it does not fit. */
int funnel_notice_topic (char *buffer, size_t size, const char *scope);

/* Points message's fields at notice's (borrowed: notice must outlive the
   message); message is initialised here. */
void funnel_notice_to_message (const funnel_notice_t *notice,
                               Salespulse__FunnelBottleneck *message);

/* Reads and validates a received message into notice: sequence >= 1,
   known state with a reason that fits it, names and scope well formed,
   basis points <= 10000, counts <= FUNNEL_NOTICE_COUNT_MAX, days
   "YYYY-MM-DD" in order, window end after start. Returns 0, or -1 with
   the reason in error (notice untouched). */
int funnel_notice_from_message (const Salespulse__FunnelBottleneck *message,
                                funnel_notice_t *notice, char *error, size_t error_size);

/* Spellings in PostgreSQL, JSON and logs: "firing"/"cleared";
   "below_target", "recovered", "sample_below_minimum", "target_removed". */
const char *funnel_notice_state_name (funnel_notice_state_t state);
const char *funnel_notice_reason_name (funnel_notice_reason_t reason);

/* Reads those spellings back. Return 0, or -1 (output untouched). */
int funnel_notice_state_parse (const char *text, funnel_notice_state_t *state);
int funnel_notice_reason_parse (const char *text, funnel_notice_reason_t *reason);

/* Writes basis points as a percentage into buffer of
   FUNNEL_NOTICE_PERCENT_SIZE bytes: one decimal when that is exact
   ("41.2%", "50.0%"), else two ("25.25%"). */
void funnel_notice_percent (uint32_t basis_points, char *buffer, size_t size);

#endif
