/*  kpi_warning - when a KPI pace warning fires or clears.

    One condition per (node, KPI, period): the KPI of a node (company,
    region:ID, team:ID, rep:ID) in a period (a current month or quarter)
    paced against its target (kpi_pace.h). The condition is "firing"
    while the pace status is in the band:

        band at_risk (the default)  status at_risk: the projection is
                                    below the floor (below the behind
                                    threshold of the target when there
                                    is no floor)
        band behind                 status behind or at_risk: below the
                                    target

    and otherwise "cleared": recovered (a better status), not judged (no
    target any more, or the status is withheld early in the period), or
    the period ended. A warning is published only on a change of state
    (kpi_warning_decide), never once per event or evaluation: one warning
    per (node, KPI, period) until it clears.

    This file holds that decision and the warning record every other part
    shares (the store, the notifier, salesctl warnings): the topic, the
    protobuf message both ways and the text spellings. No I/O:
    kpi_warning_store.c talks to PostgreSQL, kpi_notifier.c to Redis and
    ZeroMQ. docs/kpi-warnings.md describes the whole feature.
*/
#ifndef KPI_WARNING_H_INCLUDED
#define KPI_WARNING_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpi.pb-c.h"
#include "kpi_catalog.h"
#include "kpi_keys.h"
#include "kpi_pace.h"
#include "sp_period.h"

/* Frame 0 of every warning starts with this; "<status>.<region>.<team>"
   follows. */
#define KPI_WARNING_TOPIC_PREFIX "kpi."

/* The topic's level for a node that has no region or team. */
#define KPI_WARNING_TOPIC_NONE "_"

/* Room for a topic: the prefix, a status, a region and a team id. */
#define KPI_WARNING_TOPIC_SIZE (sizeof KPI_WARNING_TOPIC_PREFIX + 16 + 2 * KPI_KEYS_SCOPE_MAX)

/* Room for a local day "YYYY-MM-DD" with its NUL. */
#define KPI_WARNING_DAY_SIZE 11

/* Room for an ISO-4217 code with its NUL ("" for units other than money). */
#define KPI_WARNING_CURRENCY_SIZE 4

/* Largest packed KpiWarning: bounded strings make it far smaller. */
#define KPI_WARNING_MESSAGE_MAX 4096

/* State of a condition. A condition never seen is cleared. */
typedef enum {
    KPI_WARNING_CLEARED = 0, /* on pace, or not judged */
    KPI_WARNING_FIRING = 1,  /* the status is in the band */
} kpi_warning_state_t;

/* Why a condition is in its state. */
typedef enum {
    KPI_WARNING_OFF_PACE = 0,     /* firing: the status is in the band */
    KPI_WARNING_RECOVERED = 1,    /* cleared: a status above the band */
    KPI_WARNING_NOT_JUDGED = 2,   /* cleared: no target, or the status is withheld */
    KPI_WARNING_PERIOD_ENDED = 3, /* cleared: the period is no longer current */
} kpi_warning_reason_t;

/* Which statuses fire. */
typedef enum {
    KPI_WARNING_BAND_AT_RISK = 0, /* at_risk only (the default) */
    KPI_WARNING_BAND_BEHIND = 1,  /* behind and at_risk */
} kpi_warning_band_t;

/* What to do after comparing the stored state with the judged one. */
typedef enum {
    KPI_WARNING_KEEP = 0,  /* same state: no warning */
    KPI_WARNING_FIRE = 1,  /* cleared -> firing: a firing warning */
    KPI_WARNING_CLEAR = 2, /* firing -> cleared: a cleared warning */
} kpi_warning_transition_t;

/* The outcome of judging one condition. */
typedef struct {
    kpi_warning_state_t state;   /* firing or cleared */
    kpi_warning_reason_t reason; /* off_pace when firing; why it is cleared */
} kpi_warning_condition_t;

/* One warning: a condition's change of state, as stored and published. */
typedef struct {
    int64_t sequence;                         /* gap-free, 1.. (0 before it is stored) */
    kpi_warning_state_t state;                /* new state */
    kpi_warning_reason_t reason;              /* why */
    char node[KPI_KEYS_SCOPE_MAX];            /* company, region:R, team:T, rep:P */
    char kpi[KPI_NAME_SIZE];                  /* catalogue name */
    char period[SP_PERIOD_LABEL_SIZE];        /* "2026-03", "2026-Q1" */
    kpi_pace_status_t status;                 /* status at the transition */
    kpi_pace_status_t fired_status;           /* status it fired with: names the topic */
    kpi_unit_t unit;                          /* the KPI's unit */
    char currency[KPI_WARNING_CURRENCY_SIZE]; /* money's currency, "" otherwise */
    int64_t actual;                           /* value so far */
    int64_t target;                           /* target in force (carried shortfall included) */
    bool has_floor;                           /* floor is set */
    int64_t floor;                            /* the floor, when has_floor */
    int64_t projection;                       /* value projected at the period's end */
    int64_t days_elapsed;                     /* days elapsed, as-of day included */
    int64_t days_total;                       /* days of the period */
    char as_of_day[KPI_WARNING_DAY_SIZE];     /* the as-of local day judged */
    int64_t at_ms;                            /* the instant judged, UTC ms */
    int64_t created_at_ms;                    /* when stored, UTC ms (0 before) */
} kpi_warning_t;

/* Judges a condition from its pace status: firing when status is in band
   (KPI_PACE_NONE, a status out of range: not judged). */
void kpi_warning_judge (kpi_pace_status_t status, kpi_warning_band_t band,
                        kpi_warning_condition_t *condition);

/* The transition from the stored state to the judged one. */
kpi_warning_transition_t kpi_warning_decide (kpi_warning_state_t stored,
                                             kpi_warning_state_t judged);

/* Fills a warning (sequence and created_at 0) from the judged condition
   and the figures. fired_status is status when firing; for a cleared
   condition the caller passes the status its firing warning had. Returns
   0, or -1 when node, kpi or period does not fit (warning untouched). */
int kpi_warning_fill (kpi_warning_t *warning, const kpi_warning_condition_t *condition,
                      const char *node, const kpi_definition_t *kpi, const char *period,
                      kpi_pace_status_t status, kpi_pace_status_t fired_status,
                      const char *currency);

/* Writes "kpi.<status>.<region>.<team>" into buffer: status one of
   behind/at_risk (asserted), region and team ids, NULL or "" for
   KPI_WARNING_TOPIC_NONE. Returns its length, or -1 when it does not fit
   (buffer then ""). */
int kpi_warning_topic (char *buffer, size_t size, kpi_pace_status_t status, const char *region,
                       const char *team);

/* Points message's fields at warning's (borrowed: warning must outlive
   the message); message is initialised here. */
void kpi_warning_to_message (const kpi_warning_t *warning, Salespulse__KpiWarning *message);

/* Reads and validates a received message into warning: sequence >= 1,
   known state with a reason that fits it, node a scope, kpi in the
   catalogue with its unit, period a month or quarter label, statuses in
   range (fired_status behind or at_risk, equal to status when firing),
   currency three capitals for money and "" otherwise, days in range,
   as_of_day "YYYY-MM-DD". Returns 0, or -1 with the reason in error
   (warning untouched). */
int kpi_warning_from_message (const Salespulse__KpiWarning *message, kpi_warning_t *warning,
                              char *error, size_t error_size);

/* Spellings in PostgreSQL, JSON and logs: "firing"/"cleared";
   "off_pace", "recovered", "not_judged", "period_ended"; bands
   "at_risk"/"behind". */
const char *kpi_warning_state_name (kpi_warning_state_t state);
const char *kpi_warning_reason_name (kpi_warning_reason_t reason);
const char *kpi_warning_band_name (kpi_warning_band_t band);

/* Reads those spellings back. Return 0, or -1 (output untouched). */
int kpi_warning_state_parse (const char *text, kpi_warning_state_t *state);
int kpi_warning_reason_parse (const char *text, kpi_warning_reason_t *reason);
int kpi_warning_band_parse (const char *text, kpi_warning_band_t *band);

/* A status spelt as kpi_pace_status_name, "none" for KPI_PACE_NONE, and
   read back (0, or -1 with *status untouched). */
const char *kpi_warning_status_name (kpi_pace_status_t status);
int kpi_warning_status_parse (const char *text, kpi_pace_status_t *status);

/* The unit named by kpi_catalog_unit_name. Returns 0, or -1. */
int kpi_warning_unit_parse (const char *text, kpi_unit_t *unit);

/* True when text is a node: "company", or "region:", "team:", "rep:"
   and an id of 1+ bytes without control characters, shorter than
   KPI_KEYS_SCOPE_MAX in all. */
bool kpi_warning_node_valid (const char *text);

#endif
