/*  churn_rules - the churn alert rules and their settings (see
    churn_rules.h and docs/churn-alerts.md).

    Every quantity is a small integer: scores 0..100, days at most
    CHURN_RULES_DAYS_MAX, a factor at most 100 in basis points, so the one
    product (days × factor, below 10^12) fits an int64 without care.
*/
#include "churn_rules.h"

#include <assert.h>
#include <string.h>

#include "sp_error.h"

#define S_PERCENT_MAX 100 /* largest fall in points */

/* Rule names, indexed by churn_rules_rule_t. */
static const char *const s_rule_names[CHURN_RULES_COUNT] = {
    [CHURN_RULES_RED_ENTRY] = "red_entry",
    [CHURN_RULES_CONSECUTIVE_DROPS] = "consecutive_drops",
    [CHURN_RULES_SINGLE_DROP] = "single_drop",
    [CHURN_RULES_OVERDUE] = "overdue",
};

/* Severity names, indexed by churn_rules_severity_t. */
#define S_SEVERITY_COUNT 2
static const char *const s_severity_names[S_SEVERITY_COUNT] = {
    [CHURN_RULES_CRITICAL] = "critical",
    [CHURN_RULES_WARNING] = "warning",
};

/* Keys of the "rules" object and of its parts (NULL-terminated). */
static const char *const s_rules_keys[] = {
    "red_entry", "consecutive_drops",     "single_drop",    "overdue",
    "severity",  "resolve_after_periods", "repeat_periods", NULL,
};
static const char *const s_drops_keys[] = { "enabled", "periods", "min_total_drop", NULL };
static const char *const s_single_keys[] = { "enabled", "points", NULL };
static const char *const s_overdue_keys[] = { "enabled", "factor", NULL };
static const char *const s_severity_keys[] = {
    "red_entry", "consecutive_drops", "single_drop", "overdue", NULL,
};

void
churn_rules_settings_default (churn_rules_settings_t *self)
{
    assert (self);
    memset (self, 0, sizeof *self);
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        self->enabled[rule] = true;
    self->severity[CHURN_RULES_RED_ENTRY] = CHURN_RULES_CRITICAL;
    self->severity[CHURN_RULES_CONSECUTIVE_DROPS] = CHURN_RULES_WARNING;
    self->severity[CHURN_RULES_SINGLE_DROP] = CHURN_RULES_WARNING;
    self->severity[CHURN_RULES_OVERDUE] = CHURN_RULES_CRITICAL;
    self->drop_periods = CHURN_RULES_DEFAULT_DROP_PERIODS;
    self->min_total_drop = CHURN_RULES_DEFAULT_MIN_TOTAL_DROP;
    self->single_drop_points = CHURN_RULES_DEFAULT_SINGLE_DROP_POINTS;
    self->overdue_factor_bp = CHURN_RULES_DEFAULT_OVERDUE_FACTOR_BP;
    self->resolve_after = CHURN_RULES_DEFAULT_RESOLVE_AFTER;
    self->repeat_periods = CHURN_RULES_DEFAULT_REPEAT_PERIODS;
}

bool
churn_rules_settings_valid (const churn_rules_settings_t *self)
{
    assert (self);
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        if (self->severity[rule] != CHURN_RULES_CRITICAL &&
            self->severity[rule] != CHURN_RULES_WARNING)
            return false;
    return self->drop_periods >= 1 && self->drop_periods <= CHURN_RULES_DROPS_MAX &&
           self->min_total_drop >= 0 && self->min_total_drop <= S_PERCENT_MAX &&
           self->single_drop_points >= 1 && self->single_drop_points <= S_PERCENT_MAX &&
           self->overdue_factor_bp >= CHURN_RULES_OVERDUE_FACTOR_MIN_BP &&
           self->overdue_factor_bp <= CHURN_RULES_OVERDUE_FACTOR_MAX_BP &&
           self->resolve_after >= 1 && self->resolve_after <= CHURN_RULES_RESOLVE_AFTER_MAX &&
           self->repeat_periods >= 0 && self->repeat_periods <= CHURN_RULES_REPEAT_PERIODS_MAX;
}

/* ---------------------------------------------------------------- reading */

/* An optional integer member key of object (under parent) in min..max
   into *number; left as it is when absent. */
static int
s_read_integer (sp_json_reader_t *reader, const json_t *object, const char *parent, const char *key,
                int min, int max, int *number)
{
    const json_t *value = json_object_get (object, key);
    if (!value)
        return 0;
    char path[SP_JSON_PATH_SIZE];
    sp_json_path (path, sizeof path, parent, key);
    json_int_t got;
    if (sp_json_read_integer (reader, value, path, min, max, &got) != 0)
        return -1;
    *number = (int) got;
    return 0;
}

/* An optional boolean member key of object (under parent). */
static int
s_read_bool (sp_json_reader_t *reader, const json_t *object, const char *parent, const char *key,
             bool *flag)
{
    char path[SP_JSON_PATH_SIZE];
    sp_json_path (path, sizeof path, parent, key);
    return sp_json_read_bool (reader, json_object_get (object, key), path, flag);
}

/* An optional member object key of object (under parent) with its keys
   checked: *part NULL when absent. */
static int
s_read_part (sp_json_reader_t *reader, const json_t *object, const char *parent, const char *key,
             const char *const *allowed, const json_t **part, char *path, size_t path_size)
{
    *part = json_object_get (object, key);
    if (!*part)
        return 0;
    sp_json_path (path, path_size, parent, key);
    if (sp_json_read_object (reader, *part, path) != 0 ||
        sp_json_check_keys (reader, *part, path, allowed) != 0)
        return -1;
    return 0;
}

/* The "severity" object, if any. */
static int
s_read_severities (sp_json_reader_t *reader, churn_rules_settings_t *settings, const json_t *object,
                   const char *parent)
{
    const json_t *part;
    char path[SP_JSON_PATH_SIZE];
    if (s_read_part (reader, object, parent, "severity", s_severity_keys, &part, path,
                     sizeof path) != 0)
        return -1;
    if (!part)
        return 0;
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        const json_t *value = json_object_get (part, s_rule_names[rule]);
        if (!value)
            continue;
        char member[SP_JSON_PATH_SIZE];
        sp_json_path (member, sizeof member, path, s_rule_names[rule]);
        int choice;
        if (sp_json_read_choice (reader, value, member, "severity", "critical or warning",
                                 s_severity_names, S_SEVERITY_COUNT, &choice) != 0)
            return -1;
        settings->severity[rule] = (churn_rules_severity_t) choice;
    }
    return 0;
}

/* Every rule's part of the object. */
static int
s_read_rules (sp_json_reader_t *reader, churn_rules_settings_t *settings, const json_t *object,
              const char *parent)
{
    if (s_read_bool (reader, object, parent, "red_entry",
                     &settings->enabled[CHURN_RULES_RED_ENTRY]) != 0)
        return -1;

    const json_t *part;
    char path[SP_JSON_PATH_SIZE];
    if (s_read_part (reader, object, parent, "consecutive_drops", s_drops_keys, &part, path,
                     sizeof path) != 0)
        return -1;
    if (part && (s_read_bool (reader, part, path, "enabled",
                              &settings->enabled[CHURN_RULES_CONSECUTIVE_DROPS]) != 0 ||
                 s_read_integer (reader, part, path, "periods", 1, CHURN_RULES_DROPS_MAX,
                                 &settings->drop_periods) != 0 ||
                 s_read_integer (reader, part, path, "min_total_drop", 0, S_PERCENT_MAX,
                                 &settings->min_total_drop) != 0))
        return -1;

    if (s_read_part (reader, object, parent, "single_drop", s_single_keys, &part, path,
                     sizeof path) != 0)
        return -1;
    if (part && (s_read_bool (reader, part, path, "enabled",
                              &settings->enabled[CHURN_RULES_SINGLE_DROP]) != 0 ||
                 s_read_integer (reader, part, path, "points", 1, S_PERCENT_MAX,
                                 &settings->single_drop_points) != 0))
        return -1;

    if (s_read_part (reader, object, parent, "overdue", s_overdue_keys, &part, path, sizeof path) !=
        0)
        return -1;
    if (part) {
        if (s_read_bool (reader, part, path, "enabled", &settings->enabled[CHURN_RULES_OVERDUE]) !=
            0)
            return -1;
        const json_t *value = json_object_get (part, "factor");
        if (value) {
            char member[SP_JSON_PATH_SIZE];
            sp_json_path (member, sizeof member, path, "factor");
            if (sp_json_read_basis_points (reader, value, member, CHURN_RULES_OVERDUE_FACTOR_MIN_BP,
                                           CHURN_RULES_OVERDUE_FACTOR_MAX_BP,
                                           &settings->overdue_factor_bp) != 0)
                return -1;
        }
    }
    return 0;
}

int
churn_rules_settings_read_object (churn_rules_settings_t *self, sp_json_reader_t *reader,
                                  const json_t *value, const char *path)
{
    assert (self);
    assert (reader);
    assert (path);
    churn_rules_settings_t settings;
    churn_rules_settings_default (&settings);
    if (value) {
        if (sp_json_read_object (reader, value, path) != 0 ||
            sp_json_check_keys (reader, value, path, s_rules_keys) != 0 ||
            s_read_rules (reader, &settings, value, path) != 0 ||
            s_read_severities (reader, &settings, value, path) != 0 ||
            s_read_integer (reader, value, path, "resolve_after_periods", 1,
                            CHURN_RULES_RESOLVE_AFTER_MAX, &settings.resolve_after) != 0 ||
            s_read_integer (reader, value, path, "repeat_periods", 0,
                            CHURN_RULES_REPEAT_PERIODS_MAX, &settings.repeat_periods) != 0)
            return -1;
    }
    assert (churn_rules_settings_valid (&settings));
    *self = settings;
    return 0;
}

int
churn_rules_settings_read (churn_rules_settings_t *self, const char *text, size_t length,
                           char *error, size_t error_size)
{
    assert (self);
    json_t *root = sp_json_load_object (text, length, "a rules object", error, error_size);
    if (!root)
        return -1;
    sp_json_reader_t reader = { error, error_size };
    int rc = churn_rules_settings_read_object (self, &reader, root, "rules");
    json_decref (root);
    return rc;
}

/* ---------------------------------------------------------------- history */

int
churn_rules_history_check (const churn_rules_period_t *history, size_t count, char *error,
                           size_t error_size)
{
    if (count == 0 || count > CHURN_RULES_HISTORY_MAX) {
        sp_error_set (error, error_size, "%zu periods of history, expected 1..%d", count,
                      CHURN_RULES_HISTORY_MAX);
        return -1;
    }
    assert (history);
    for (size_t index = 0; index < count; index++) {
        const churn_rules_period_t *period = &history[index];
        if (index > 0 && period->day <= history[index - 1].day) {
            sp_error_set (error, error_size,
                          "period %zu: day %lld is not after the previous period's %lld", index,
                          (long long) period->day, (long long) history[index - 1].day);
            return -1;
        }
        if (period->has_score) {
            if (period->score < CHURN_SCORE_MIN || period->score > CHURN_SCORE_MAX) {
                sp_error_set (error, error_size, "period %zu: score %d is not in %d..%d", index,
                              period->score, CHURN_SCORE_MIN, CHURN_SCORE_MAX);
                return -1;
            }
            if (period->band != CHURN_BAND_RED && period->band != CHURN_BAND_YELLOW &&
                period->band != CHURN_BAND_GREEN) {
                sp_error_set (error, error_size, "period %zu: unknown band %d", index,
                              (int) period->band);
                return -1;
            }
        }
        if (period->has_interval) {
            if (period->days_since_order < 0 || period->days_since_order > CHURN_RULES_DAYS_MAX) {
                sp_error_set (
                    error, error_size, "period %zu: days since order %lld is not in 0..%lld", index,
                    (long long) period->days_since_order, (long long) CHURN_RULES_DAYS_MAX);
                return -1;
            }
            if (period->typical_interval_days < 1 ||
                period->typical_interval_days > CHURN_RULES_DAYS_MAX) {
                sp_error_set (
                    error, error_size, "period %zu: typical interval %lld is not in 1..%lld", index,
                    (long long) period->typical_interval_days, (long long) CHURN_RULES_DAYS_MAX);
                return -1;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- rules */

static void
s_red_entry (const churn_rules_settings_t *settings, const churn_rules_period_t *latest,
             churn_rules_condition_t *condition)
{
    condition->holds = settings->enabled[CHURN_RULES_RED_ENTRY] && latest->band == CHURN_BAND_RED;
}

/* The run of falls ending at the latest period (history[last]): a
   period without a score, a rise or an equal score ends it. */
static void
s_consecutive_drops (const churn_rules_settings_t *settings, const churn_rules_period_t *history,
                     size_t last, churn_rules_condition_t *condition)
{
    size_t start = last; /* first period of the run */
    while (start > 0 && history[start - 1].has_score &&
           history[start - 1].score > history[start].score)
        start--;
    int run = (int) (last - start);
    assert (run <= CHURN_RULES_DROPS_MAX);
    for (int index = 0; index < run; index++)
        condition->drops[index] =
            history[start + (size_t) index].score - history[start + (size_t) index + 1].score;
    condition->run_periods = run;
    condition->run_total = history[start].score - history[last].score;
    condition->holds = settings->enabled[CHURN_RULES_CONSECUTIVE_DROPS] &&
                       run >= settings->drop_periods &&
                       condition->run_total >= settings->min_total_drop;
}

static void
s_single_drop (const churn_rules_settings_t *settings, const churn_rules_period_t *history,
               size_t last, churn_rules_condition_t *condition)
{
    if (last == 0 || !history[last - 1].has_score)
        return;
    condition->has_previous = true;
    condition->previous_score = history[last - 1].score;
    condition->drop = condition->previous_score - history[last].score;
    condition->holds = settings->enabled[CHURN_RULES_SINGLE_DROP] &&
                       condition->drop >= settings->single_drop_points;
}

/* days > k × typical, exactly: days are whole, so it is days > the
   product rounded down. */
static void
s_overdue (const churn_rules_settings_t *settings, const churn_rules_period_t *latest,
           churn_rules_condition_t *condition)
{
    condition->days_since_order = latest->days_since_order;
    condition->typical_interval_days = latest->typical_interval_days;
    condition->limit_days = latest->typical_interval_days * (int64_t) settings->overdue_factor_bp /
                            CHURN_RULES_BASIS_POINTS;
    condition->holds =
        settings->enabled[CHURN_RULES_OVERDUE] && latest->days_since_order > condition->limit_days;
}

int
churn_rules_evaluate (const churn_rules_settings_t *settings, const churn_rules_period_t *history,
                      size_t count, churn_rules_condition_t out[CHURN_RULES_COUNT])
{
    assert (settings);
    assert (churn_rules_settings_valid (settings));
    assert (out);
    if (churn_rules_history_check (history, count, NULL, 0) != 0)
        return -1;

    size_t last = count - 1;
    const churn_rules_period_t *latest = &history[last];
    churn_rules_condition_t conditions[CHURN_RULES_COUNT];
    memset (conditions, 0, sizeof conditions);
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        churn_rules_condition_t *condition = &conditions[rule];
        condition->rule = (churn_rules_rule_t) rule;
        condition->severity = settings->severity[rule];
        condition->day = latest->day;
        if (rule == CHURN_RULES_OVERDUE) {
            condition->judged = latest->has_interval;
            if (condition->judged)
                s_overdue (settings, latest, condition);
            continue;
        }
        condition->judged = latest->has_score;
        if (!condition->judged)
            continue;
        condition->score = latest->score;
        condition->band = latest->band;
        if (rule == CHURN_RULES_RED_ENTRY)
            s_red_entry (settings, latest, condition);
        else if (rule == CHURN_RULES_CONSECUTIVE_DROPS)
            s_consecutive_drops (settings, history, last, condition);
        else
            s_single_drop (settings, history, last, condition);
    }
    memcpy (out, conditions, sizeof conditions);
    return 0;
}

/* ---------------------------------------------------------------- names */

const char *
churn_rules_rule_name (churn_rules_rule_t rule)
{
    assert (rule >= 0 && rule < CHURN_RULES_COUNT);
    return s_rule_names[rule];
}

const char *
churn_rules_severity_name (churn_rules_severity_t severity)
{
    assert (severity >= 0 && severity < S_SEVERITY_COUNT);
    return s_severity_names[severity];
}

int
churn_rules_rule_parse (const char *text, churn_rules_rule_t *rule)
{
    assert (rule);
    for (int index = 0; text && index < CHURN_RULES_COUNT; index++)
        if (strcmp (text, s_rule_names[index]) == 0) {
            *rule = (churn_rules_rule_t) index;
            return 0;
        }
    return -1;
}

int
churn_rules_severity_parse (const char *text, churn_rules_severity_t *severity)
{
    assert (severity);
    for (int index = 0; text && index < S_SEVERITY_COUNT; index++)
        if (strcmp (text, s_severity_names[index]) == 0) {
            *severity = (churn_rules_severity_t) index;
            return 0;
        }
    return -1;
}
