/*  churn_rules - the four churn alert rules, judged on one customer's
    score history at its latest period.

        red_entry          the latest score is in the red band
        consecutive_drops  the score fell in each of the last N periods
                           (default 3), by at least min_total_drop in all
                           (default 0: any fall)
        single_drop        the score fell by at least X points (default
                           15) from the previous period
        overdue            the days since the last order exceed k × the
                           customer's own typical interval between orders
                           (default k = 2)

    A rule's condition is judged or not: the score rules are judged when
    the latest period has a score, overdue when it has an interval. A
    condition not judged neither holds nor is clear (churn_lifecycle then
    leaves the alert as it is). A judged condition holds or is clear, and
    carries the values that justify it. Whether a rule is critical or a
    warning is a setting (defaults: red_entry and overdue critical, the two
    drops warnings).

    The history is one entry per period, oldest first, the latest last,
    at most CHURN_RULES_HISTORY_MAX of them; the caller appends a period
    every period, events or not (a silent customer's days since its last
    order keep growing). The settings are read from the health document's
    "rules" object. Integers only; pure: no I/O, no state.
    docs/churn-alerts.md describes the rules, the settings and the alert
    lifecycle (churn_lifecycle).
*/
#ifndef CHURN_RULES_H_INCLUDED
#define CHURN_RULES_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_band.h"
#include "sp_json_read.h"

/* Periods of history kept and judged: a run of up to
   CHURN_RULES_DROPS_MAX drops needs one more period. */
#define CHURN_RULES_HISTORY_MAX 16
#define CHURN_RULES_DROPS_MAX (CHURN_RULES_HISTORY_MAX - 1)

/* Largest number of days in a period's interval fields (about 2,700
   years: products with a factor stay far inside int64). */
#define CHURN_RULES_DAYS_MAX INT64_C (1000000)

/* Basis points in 1 (the overdue factor 2 is 20000). */
#define CHURN_RULES_BASIS_POINTS 10000

/* Defaults (churn_rules_settings_default). */
#define CHURN_RULES_DEFAULT_DROP_PERIODS 3          /* consecutive_drops.periods */
#define CHURN_RULES_DEFAULT_MIN_TOTAL_DROP 0        /* consecutive_drops.min_total_drop */
#define CHURN_RULES_DEFAULT_SINGLE_DROP_POINTS 15   /* single_drop.points */
#define CHURN_RULES_DEFAULT_OVERDUE_FACTOR_BP 20000 /* overdue.factor 2 */
#define CHURN_RULES_DEFAULT_RESOLVE_AFTER 2         /* resolve_after_periods */
#define CHURN_RULES_DEFAULT_REPEAT_PERIODS 7        /* repeat_periods */

/* Bounds of the settings. */
#define CHURN_RULES_OVERDUE_FACTOR_MIN_BP 10000   /* 1 × the typical interval */
#define CHURN_RULES_OVERDUE_FACTOR_MAX_BP 1000000 /* 100 × */
#define CHURN_RULES_RESOLVE_AFTER_MAX 100         /* periods */
#define CHURN_RULES_REPEAT_PERIODS_MAX 1000       /* periods; 0 = never repeat */

/* The rules, in the order churn_rules_evaluate fills its output. */
typedef enum {
    CHURN_RULES_RED_ENTRY = 0,
    CHURN_RULES_CONSECUTIVE_DROPS = 1,
    CHURN_RULES_SINGLE_DROP = 2,
    CHURN_RULES_OVERDUE = 3,
} churn_rules_rule_t;

#define CHURN_RULES_COUNT 4

/* How loud a rule's alert is. A critical alert of a customer inhibits its
   warnings (churn_lifecycle). */
typedef enum {
    CHURN_RULES_CRITICAL = 0,
    CHURN_RULES_WARNING = 1,
} churn_rules_severity_t;

/* One period of a customer's history. */
typedef struct {
    int64_t day;                   /* the period's local day, days since 1970-01-01 (sp_civil.h) */
    bool has_score;                /* the period was scored */
    int score;                     /* CHURN_SCORE_MIN..CHURN_SCORE_MAX, when has_score */
    churn_band_t band;             /* the score's band, when has_score */
    bool has_interval;             /* the customer has a typical interval between orders */
    int64_t days_since_order;      /* days from the last order to day, 0.., when has_interval */
    int64_t typical_interval_days; /* the customer's own typical interval, 1.., when has_interval */
} churn_rules_period_t;

/* The rules' settings: the health document's "rules" object. */
typedef struct {
    bool enabled[CHURN_RULES_COUNT];                    /* a disabled rule never holds */
    churn_rules_severity_t severity[CHURN_RULES_COUNT]; /* critical or warning, per rule */
    int drop_periods;           /* consecutive_drops: N, 1..CHURN_RULES_DROPS_MAX */
    int min_total_drop;         /* consecutive_drops: least fall over the run, 0..100 */
    int single_drop_points;     /* single_drop: least fall, 1..100 */
    uint32_t overdue_factor_bp; /* overdue: k in basis points, 10000..1000000 */
    int resolve_after;  /* K: clear periods before a resolve, 1..CHURN_RULES_RESOLVE_AFTER_MAX */
    int repeat_periods; /* periods between repeats, 0 (never)..CHURN_RULES_REPEAT_PERIODS_MAX */
} churn_rules_settings_t;

/* One rule's condition at the latest period, with its justification. */
typedef struct {
    churn_rules_rule_t rule;         /* the rule */
    churn_rules_severity_t severity; /* its severity in the settings */
    int64_t day;                     /* the latest period's day */
    bool judged;                     /* false: no score (score rules) or no interval (overdue) */
    bool holds;                      /* the condition holds (judged only) */
    int score;                       /* score rules: the latest score, when judged */
    churn_band_t band;               /* score rules: its band, when judged */
    int run_periods; /* consecutive_drops: drops in a row ending at the latest period */
    int run_total;   /* consecutive_drops: their total fall, points */
    int drops[CHURN_RULES_DROPS_MAX]; /* consecutive_drops: each fall, oldest first */
    bool has_previous;                /* single_drop: the period before was scored */
    int previous_score;               /* single_drop: its score, when has_previous */
    int drop;                         /* single_drop: previous_score − score (negative: a rise) */
    int64_t days_since_order;         /* overdue: days since the last order, when judged */
    int64_t typical_interval_days;    /* overdue: the customer's typical interval */
    int64_t
        limit_days; /* overdue: k × typical rounded down; holds when days_since_order exceeds it */
} churn_rules_condition_t;

/* The defaults: every rule enabled; red_entry and overdue critical,
   consecutive_drops and single_drop warnings; N 3, min_total_drop 0,
   X 15, k 2, K 2, repeat every 7 periods. */
void churn_rules_settings_default (churn_rules_settings_t *self);

/* True when every setting is within its bounds. */
bool churn_rules_settings_valid (const churn_rules_settings_t *self);

/* Reads the "rules" object at path (present or NULL: all defaults) over
   the defaults into self. Keys (all optional): red_entry (bool),
   consecutive_drops {enabled, periods, min_total_drop}, single_drop
   {enabled, points}, overdue {enabled, factor (a number 1..100 with at
   most 4 decimals)}, resolve_after_periods, repeat_periods, severity
   {<rule>: "critical" | "warning"}. Unknown keys are refused. Returns 0,
   or -1 with `field "<path>.<key>": <reason>` in the reader (self
   untouched). */
int churn_rules_settings_read_object (churn_rules_settings_t *self, sp_json_reader_t *reader,
                                      const json_t *value, const char *path);

/* The same from the text of the object (length bytes), paths under
   "rules". Returns 0, or -1 with the reason in error (self untouched). */
int churn_rules_settings_read (churn_rules_settings_t *self, const char *text, size_t length,
                               char *error, size_t error_size);

/* Checks a history: count 1..CHURN_RULES_HISTORY_MAX, days strictly
   increasing, scores and bands in range, interval fields 0..
   CHURN_RULES_DAYS_MAX with a typical interval of at least 1. Returns 0,
   or -1 with the reason ("period 3: score 101 is not in 0..100") in error
   (NULL allowed). */
int churn_rules_history_check (const churn_rules_period_t *history, size_t count, char *error,
                               size_t error_size);

/* Judges every rule on history (count periods, oldest first) into
   out[rule], settings valid (asserted). Returns 0, or -1 when the history
   fails churn_rules_history_check (out untouched). */
int churn_rules_evaluate (const churn_rules_settings_t *settings,
                          const churn_rules_period_t *history, size_t count,
                          churn_rules_condition_t out[CHURN_RULES_COUNT]);

/* Spellings in JSON, Redis keys and logs: "red_entry",
   "consecutive_drops", "single_drop", "overdue"; "critical", "warning"
   (rule and severity in range, asserted). */
const char *churn_rules_rule_name (churn_rules_rule_t rule);
const char *churn_rules_severity_name (churn_rules_severity_t severity);

/* Reads those spellings back. Return 0, or -1 (output untouched). */
int churn_rules_rule_parse (const char *text, churn_rules_rule_t *rule);
int churn_rules_severity_parse (const char *text, churn_rules_severity_t *severity);

#endif
