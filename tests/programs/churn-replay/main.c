/*  churn-replay - replays sales events through churn-alerting's pure
    scoring and alert code, day by day in event time, and judges the
    alerts against the customers who actually stopped buying
    (tools/churn-eval/README.md): the program behind
    docs/churn-evaluation.md (tools/churn-eval/evaluate.sh runs it).

        churn-replay [--events FILE] [--model FILE] [--oracle FILE]
                     [--baseline FILE] [--out FILE] [--alerts FILE]
                     [--flag critical|any] [--currency CODE]
                     [--partitions N] [--check]

    The events are JSON lines as deploy/demo/retail/retail-events.sh
    writes them (default: standard input), each read by the contract's
    parser (sp_event_from_json: the checks ingest makes). order_placed
    and payment_received events with a customer_id feed that customer's
    state (churn_customer) on the UTC day of occurred_at; other events are
    counted and left out (the retail data has none). Then, as churn-
    alerting's scorer does with --clock event (churn_scorer.c), every
    customer is scored on every period day from the period of its first
    event up to the day before the last event's day (the last day completed
    in event time): churn_score_evaluate without a tier and, for a
    customer without its own typical interval, with the population's
    (churn_population_score: the model's quantile over the customers of
    its partition,
    sp_partition_of among --partitions, default 16 as SP_PARTITIONS, as
    of the day scored; the scorer's s_score_day), churn_history_period /
    _append, churn_rules_evaluate with the model's "rules",
    churn_lifecycle_step_customer. No acknowledgements.

    Flagged at a cutoff C: an alert of the --flag set (default critical:
    red_entry and overdue with the default severities) fires for the
    customer at the end of day C. Warning day A: the first day after the
    customer's last purchase L (L < A <= C) at whose end such an alert
    fired; lead time K - A with K = L + 91 from the oracle. The counts are
    over the oracle's customers at C; the baseline's row is read from
    baseline.tsv. --check exits 1 unless the model's F1 is above the
    baseline's at every cutoff (exact fractions). Deterministic: no clock,
    no random numbers, customers in sorted order.
*/
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churn-alerting/churn_customer.h"
#include "churn-alerting/churn_history.h"
#include "churn-alerting/churn_lifecycle.h"
#include "churn-alerting/churn_model.h"
#include "churn-alerting/churn_population.h"
#include "churn-alerting/churn_rules.h"
#include "churn-alerting/churn_score.h"
#include "sp_civil.h"
#include "sp_event.h"
#include "sp_event_json.h"
#include "sp_partition.h"

#define S_ERROR_SIZE 512
#define S_MS_PER_DAY (SP_CIVIL_SECONDS_PER_DAY * 1000)
#define S_HORIZON_DAYS 91 /* the oracle's churn window */
#define S_CUTOFFS_MAX 32
#define S_FIELDS_MAX 16
#define S_MODEL_MAX (1024 * 1024)
#define S_DEFAULT_MODEL "{\"name\": \"default\"}"
#define S_DEFAULT_ORACLE "tools/churn-eval/oracle.tsv"
#define S_DEFAULT_BASELINE "tools/churn-eval/baseline.tsv"
#define S_DEFAULT_CURRENCY "GBP"
#define S_DEFAULT_PARTITIONS 16 /* the service's default (SP_PARTITIONS) */

/* One event the state takes. */
typedef struct {
    int64_t occurred_at;          /* UTC ms */
    size_t line;                  /* input line: ties of occurred_at */
    char *customer_id;            /* owned */
    churn_customer_event_t event; /* day, type, amount */
} s_event_t;

/* One customer replayed. */
typedef struct {
    char *id;                                    /* borrowed from the events */
    uint32_t partition;                          /* sp_partition_of its id */
    churn_customer_t *state;                     /* what the service keeps */
    bool has_first_day;                          /* an event applied */
    int64_t first_day;                           /* day of its first event */
    churn_history_t history;                     /* the last periods scored */
    churn_lifecycle_t states[CHURN_RULES_COUNT]; /* one per rule */
    int64_t first_fire[CHURN_RULES_COUNT];       /* first FIRE day per rule, -1 none */
    uint8_t *firing;                             /* per day from the first: bit per rule firing */
} s_customer_t;

/* One cutoff's counts, of the model or of the baseline. */
typedef struct {
    int64_t flagged, tp, fp, fn; /* over the customers at the cutoff */
    double median_lead;          /* days, when tp > 0 */
} s_counts_t;

/* One cutoff with the oracle's and the baseline's figures. */
typedef struct {
    int64_t day;           /* C */
    int64_t customers;     /* at C */
    int64_t churned;       /* among them */
    int64_t baseline_d;    /* best D */
    int64_t baseline_d_to; /* the same F1 up to this D */
    s_counts_t baseline;   /* of the best D */
    s_counts_t model;      /* of the replay */
} s_cutoff_t;

/* The whole run. */
typedef struct {
    s_event_t *events;                  /* [event_count], sorted by time */
    size_t event_count;                 /* applied to the state */
    size_t skipped;                     /* read but of no use to the state */
    s_customer_t *customers;            /* [customer_count], sorted by id */
    size_t customer_count;              /* customers */
    int64_t first_day;                  /* day of the first event */
    int64_t last_scored;                /* the last day scored */
    size_t fires[CHURN_RULES_COUNT];    /* FIRE actions per rule */
    size_t resolves[CHURN_RULES_COUNT]; /* RESOLVE actions per rule */
    s_cutoff_t cutoffs[S_CUTOFFS_MAX];  /* from the baseline, ascending */
    size_t cutoff_count;                /* cutoffs */
    uint32_t partitions;                /* partitions the customers hash into */
    churn_population_t **populations;   /* [partitions], each partition's customers */
} s_replay_t;

/* ---------------------------------------------------------------- input */

static int
s_compare_events (const void *left, const void *right)
{
    const s_event_t *a = left, *b = right;
    if (a->occurred_at != b->occurred_at)
        return a->occurred_at < b->occurred_at ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

static int
s_compare_customers (const void *left, const void *right)
{
    return strcmp (((const s_customer_t *) left)->id, ((const s_customer_t *) right)->id);
}

static s_customer_t *
s_customer_find (s_replay_t *self, const char *id)
{
    s_customer_t key = { .id = (char *) id };
    return bsearch (&key, self->customers, self->customer_count, sizeof key, s_compare_customers);
}

/* Reads the events of stream (named path in messages). */
static int
s_read_events (s_replay_t *self, FILE *stream, const char *path, const char *currency)
{
    char *text = NULL;
    size_t capacity = 0, room = 0, line = 0;
    ssize_t length;
    int rc = -1;
    while ((length = getline (&text, &capacity, stream)) >= 0) {
        line++;
        while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == '\r'))
            text[--length] = '\0';
        if (length == 0)
            continue;
        sp_event_error_t error;
        sp_event_t *event = sp_event_from_json (text, (size_t) length, &error);
        if (!event) {
            fprintf (stderr, "churn-replay: %s:%zu: %s\n", path, line, error.message);
            goto out_free;
        }
        const Salespulse__Money *money = NULL;
        churn_customer_event_type_t type = CHURN_CUSTOMER_ORDER;
        if (event->type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED && event->order_placed)
            money = event->order_placed->amount;
        else if (event->type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED &&
                 event->payment_received) {
            money = event->payment_received->amount;
            type = CHURN_CUSTOMER_PAYMENT;
        }
        if (!money || !*event->customer_id) {
            self->skipped++;
            sp_event_destroy (&event);
            continue;
        }
        if (self->event_count == room) {
            size_t grown = room ? 2 * room : 1024;
            s_event_t *bigger = realloc (self->events, grown * sizeof *bigger);
            if (!bigger) {
                sp_event_destroy (&event);
                fprintf (stderr, "churn-replay: out of memory\n");
                goto out_free;
            }
            self->events = bigger;
            room = grown;
        }
        s_event_t *kept = &self->events[self->event_count];
        memset (kept, 0, sizeof *kept);
        kept->occurred_at = event->occurred_at;
        kept->line = line;
        kept->customer_id = strdup (event->customer_id);
        kept->event.type = type;
        kept->event.day = sp_civil_floor_divide (event->occurred_at, S_MS_PER_DAY);
        kept->event.occurred_at = event->occurred_at;
        kept->event.amount_minor = money->amount_minor;
        kept->event.reporting_currency = strcmp (money->currency, currency) == 0;
        sp_event_destroy (&event);
        if (!kept->customer_id) {
            fprintf (stderr, "churn-replay: out of memory\n");
            goto out_free;
        }
        self->event_count++;
    }
    if (ferror (stream)) {
        fprintf (stderr, "churn-replay: could not read \"%s\": %s\n", path, strerror (errno));
        goto out_free;
    }
    if (self->event_count == 0) {
        fprintf (stderr, "churn-replay: \"%s\" holds no order or payment with a customer\n", path);
        goto out_free;
    }
    rc = 0;
out_free:
    free (text);
    return rc;
}

/* Sorts the events in time and makes one customer per id. */
static int
s_make_customers (s_replay_t *self)
{
    qsort (self->events, self->event_count, sizeof *self->events, s_compare_events);
    self->customers = calloc (self->event_count, sizeof *self->customers);
    if (!self->customers)
        return -1;
    for (size_t index = 0; index < self->event_count; index++)
        self->customers[index].id = self->events[index].customer_id;
    qsort (self->customers, self->event_count, sizeof *self->customers, s_compare_customers);
    size_t unique = 0;
    for (size_t index = 0; index < self->event_count; index++)
        if (unique == 0 || strcmp (self->customers[unique - 1].id, self->customers[index].id) != 0)
            self->customers[unique++].id = self->customers[index].id;
    self->customer_count = unique;
    for (size_t index = 0; index < unique; index++) {
        s_customer_t *customer = &self->customers[index];
        customer->state = churn_customer_new ();
        if (!customer->state)
            return -1;
        churn_history_init (&customer->history);
        for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
            churn_lifecycle_init (&customer->states[rule]);
            customer->first_fire[rule] = -1;
        }
    }
    self->first_day = self->events[0].event.day;
    /* the event clock: the day before the last event's day is the last completed */
    self->last_scored = self->events[self->event_count - 1].event.day - 1;
    return 0;
}

/* Builds each partition's population from its customers' order days.
   The population's figure as of a day counts order days on or before it
   only, so building it from every event gives, for each day scored, what
   the scorer reads from the partition's records when it scores that day
   (churn_query_population). */
static int
s_make_populations (s_replay_t *self, const churn_model_t *model)
{
    self->populations = calloc (self->partitions, sizeof *self->populations);
    churn_customer_t **states = calloc (self->customer_count, sizeof *states);
    int rc = -1;
    if (!self->populations || !states)
        goto out_memory;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        if (!(self->populations[partition] = churn_population_new (model)))
            goto out_memory;
    for (size_t index = 0; index < self->customer_count; index++)
        if (!(states[index] = churn_customer_new ()))
            goto out_memory;
    for (size_t index = 0; index < self->event_count; index++) {
        const s_event_t *event = &self->events[index];
        s_customer_t *customer = s_customer_find (self, event->customer_id);
        if (churn_customer_apply (states[customer - self->customers], &event->event) != 0) {
            fprintf (stderr, "churn-replay: the state refuses the event of line %zu\n",
                     event->line);
            goto out_free;
        }
    }
    for (size_t index = 0; index < self->customer_count; index++) {
        s_customer_t *customer = &self->customers[index];
        customer->partition =
            sp_partition_of (customer->id, strlen (customer->id), self->partitions);
        if (churn_population_add (self->populations[customer->partition], states[index]) != 0)
            goto out_memory;
    }
    rc = 0;
    goto out_free;
out_memory:
    fprintf (stderr, "churn-replay: out of memory\n");
out_free:
    for (size_t index = 0; states && index < self->customer_count; index++)
        churn_customer_destroy (&states[index]);
    free (states);
    return rc;
}

/* ---------------------------------------------------------------- replay */

/* Scores customer on day (a period day), as churn_scorer's s_score_period. */
static int
s_score_day (s_replay_t *self, s_customer_t *customer, const churn_model_t *model,
             const churn_rules_settings_t *settings, int64_t day, FILE *alerts)
{
    churn_score_t score;
    churn_rules_period_t period;
    churn_rules_condition_t conditions[CHURN_RULES_COUNT];
    churn_lifecycle_action_t actions[CHURN_RULES_COUNT];
    /* no interval of its own: the partition's, when known */
    if (churn_population_score (self->populations[customer->partition], model, 0, customer->state,
                                day, &score) != 0)
        return -1;
    churn_history_period (&score, &period);
    if (churn_history_append (&customer->history, &period) != 0 ||
        churn_rules_evaluate (settings, customer->history.periods, customer->history.count,
                              conditions) != 0 ||
        churn_lifecycle_step_customer (customer->states, settings, conditions, actions) != 0)
        return -1;
    uint8_t firing = 0;
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        if (customer->states[rule].status == CHURN_LIFECYCLE_FIRING)
            firing |= (uint8_t) (1u << rule);
        if (actions[rule] == CHURN_LIFECYCLE_FIRE) {
            self->fires[rule]++;
            if (customer->first_fire[rule] < 0)
                customer->first_fire[rule] = day;
        }
        else if (actions[rule] == CHURN_LIFECYCLE_RESOLVE)
            self->resolves[rule]++;
        else
            continue;
        char label[SP_CIVIL_DATE_LABEL_SIZE];
        sp_civil_date_label (day, label);
        if (alerts)
            fprintf (alerts, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", label, customer->id,
                     churn_rules_rule_name ((churn_rules_rule_t) rule),
                     churn_rules_severity_name (settings->severity[rule]),
                     churn_lifecycle_action_name (actions[rule]),
                     score.has_score ? score.score : -1,
                     score.has_score ? churn_score_band_name (score.band) : "-");
    }
    customer->firing[day - customer->first_day] = firing;
    return 0;
}

/* Applies the events day by day and scores every customer known on every
   period day. */
static int
s_replay (s_replay_t *self, const churn_model_t *model, const churn_rules_settings_t *settings,
          FILE *alerts)
{
    int64_t period_days = churn_model_period_days (model);
    size_t next = 0;
    if (alerts)
        fprintf (alerts, "day\tcustomer_id\trule\tseverity\taction\tscore\tband\n");
    for (int64_t day = self->first_day; day <= self->last_scored; day++) {
        for (; next < self->event_count && self->events[next].event.day <= day; next++) {
            const s_event_t *event = &self->events[next];
            s_customer_t *customer = s_customer_find (self, event->customer_id);
            if (churn_customer_apply (customer->state, &event->event) != 0) {
                fprintf (stderr, "churn-replay: the state refuses the event of line %zu\n",
                         event->line);
                return -1;
            }
            if (!customer->has_first_day) {
                customer->has_first_day = true;
                customer->first_day = event->event.day;
                customer->firing = calloc ((size_t) (self->last_scored - day + 1) + 1, 1);
                if (!customer->firing) {
                    fprintf (stderr, "churn-replay: out of memory\n");
                    return -1;
                }
            }
        }
        if (day % period_days != period_days - 1)
            continue; /* not a period day (churn_scorer_period_end) */
        for (size_t index = 0; index < self->customer_count; index++) {
            s_customer_t *customer = &self->customers[index];
            if (!customer->has_first_day)
                continue;
            if (s_score_day (self, customer, model, settings, day, alerts) != 0) {
                fprintf (stderr, "churn-replay: scoring \"%s\" on day %" PRId64 " failed\n",
                         customer->id, day);
                return -1;
            }
        }
    }
    return 0;
}

/* The firing bits of customer at the end of day (0 before its first). */
static uint8_t
s_firing (const s_replay_t *self, const s_customer_t *customer, int64_t day)
{
    if (!customer->has_first_day || day < customer->first_day || day > self->last_scored)
        return 0;
    return customer->firing[day - customer->first_day];
}

/* ---------------------------------------------------------------- oracle */

/* Splits line (modified) at tabs into fields; returns their count. */
static size_t
s_split (char *line, char **fields, size_t most)
{
    size_t count = 0;
    line[strcspn (line, "\r\n")] = '\0';
    for (char *field = line; count < most; count++) {
        fields[count] = field;
        char *tab = strchr (field, '\t');
        if (!tab)
            return count + 1;
        *tab = '\0';
        field = tab + 1;
    }
    return count;
}

/* Day number of "YYYY-MM-DD", or -1. */
static int64_t
s_day_parse (const char *text)
{
    int year, month, day, used = 0;
    if (strlen (text) != 10 || sscanf (text, "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 ||
        used != 10 || month < 1 || month > 12 || day < 1 ||
        day > sp_civil_days_in_month (year, month))
        return -1;
    return sp_civil_days_from_date (year, month, day);
}

static bool
s_count_parse (const char *text, int64_t *value)
{
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll (text, &end, 10);
    if (errno || end == text || *end || parsed < 0)
        return false;
    *value = parsed;
    return true;
}

/* Reads baseline.tsv: the cutoffs and the best recency rule of each. */
static int
s_read_baseline (s_replay_t *self, const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr,
                 "churn-replay: could not open \"%s\": %s (run tools/churn-eval/oracle.sh)\n", path,
                 strerror (errno));
        return -1;
    }
    char *line = NULL;
    size_t capacity = 0, number = 0;
    int rc = -1;
    while (getline (&line, &capacity, file) >= 0) {
        char *fields[S_FIELDS_MAX];
        if (++number == 1)
            continue; /* header */
        size_t count = s_split (line, fields, S_FIELDS_MAX);
        s_cutoff_t *cutoff = &self->cutoffs[self->cutoff_count];
        if (count != 15 || self->cutoff_count == S_CUTOFFS_MAX ||
            (cutoff->day = s_day_parse (fields[0])) < 0 ||
            !s_count_parse (fields[2], &cutoff->customers) ||
            !s_count_parse (fields[3], &cutoff->churned) ||
            !s_count_parse (fields[4], &cutoff->baseline_d) ||
            !s_count_parse (fields[5], &cutoff->baseline_d_to) ||
            !s_count_parse (fields[6], &cutoff->baseline.flagged) ||
            !s_count_parse (fields[7], &cutoff->baseline.tp) ||
            !s_count_parse (fields[8], &cutoff->baseline.fp) ||
            !s_count_parse (fields[9], &cutoff->baseline.fn) ||
            (self->cutoff_count > 0 && cutoff->day <= cutoff[-1].day)) {
            fprintf (stderr, "churn-replay: %s:%zu: not a baseline row\n", path, number);
            goto out_close;
        }
        cutoff->baseline.median_lead = (double) (S_HORIZON_DAYS - 1 - cutoff->baseline_d);
        self->cutoff_count++;
    }
    if (self->cutoff_count == 0) {
        fprintf (stderr, "churn-replay: \"%s\" has no cutoff\n", path);
        goto out_close;
    }
    rc = 0;
out_close:
    free (line);
    fclose (file);
    return rc;
}

static int
s_compare_leads (const void *left, const void *right)
{
    int64_t a = *(const int64_t *) left, b = *(const int64_t *) right;
    return a < b ? -1 : a > b;
}

/* Judges the replay at every cutoff against oracle.tsv; flag: the rules
   (bits) whose firing alerts flag a customer. */
static int
s_judge (s_replay_t *self, const char *path, uint8_t flag)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr,
                 "churn-replay: could not open \"%s\": %s (run tools/churn-eval/oracle.sh)\n", path,
                 strerror (errno));
        return -1;
    }
    int64_t *leads[S_CUTOFFS_MAX] = { NULL };
    int64_t seen[S_CUTOFFS_MAX] = { 0 }, churned[S_CUTOFFS_MAX] = { 0 };
    char *line = NULL;
    size_t capacity = 0, number = 0;
    int rc = -1;
    for (size_t k = 0; k < self->cutoff_count; k++) {
        leads[k] = calloc (self->customer_count + 1, sizeof *leads[k]);
        if (!leads[k]) {
            fprintf (stderr, "churn-replay: out of memory\n");
            goto out_free;
        }
    }
    while (getline (&line, &capacity, file) >= 0) {
        char *fields[S_FIELDS_MAX];
        if (++number == 1)
            continue;
        size_t count = s_split (line, fields, S_FIELDS_MAX);
        int64_t cutoff_day, last, is_churned, churn_day = -1;
        if (count != 7 || (cutoff_day = s_day_parse (fields[0])) < 0 ||
            (last = s_day_parse (fields[2])) < 0 || !s_count_parse (fields[4], &is_churned) ||
            is_churned > 1 || (is_churned && (churn_day = s_day_parse (fields[5])) < 0)) {
            fprintf (stderr, "churn-replay: %s:%zu: not an oracle row\n", path, number);
            goto out_free;
        }
        size_t k = 0;
        while (k < self->cutoff_count && self->cutoffs[k].day != cutoff_day)
            k++;
        if (k == self->cutoff_count)
            continue; /* a cutoff the baseline does not have */
        s_cutoff_t *cutoff = &self->cutoffs[k];
        const s_customer_t *customer = s_customer_find (self, fields[1]);
        if (!customer || !customer->has_first_day || customer->first_day > last ||
            cutoff_day > self->last_scored) {
            fprintf (stderr, "churn-replay: %s:%zu: customer \"%s\" was not replayed up to %s\n",
                     path, number, fields[1], fields[0]);
            goto out_free;
        }
        seen[k]++;
        churned[k] += is_churned;
        bool flagged = (s_firing (self, customer, cutoff_day) & flag) != 0;
        s_counts_t *counts = &cutoff->model;
        counts->flagged += flagged;
        if (flagged && is_churned) {
            int64_t warned = last; /* flagged at cutoff_day: some day up to it fires */
            while (!(s_firing (self, customer, warned) & flag))
                warned++;
            assert (warned <= cutoff_day);
            leads[k][counts->tp++] = churn_day - warned;
        }
        else if (flagged)
            counts->fp++;
        else if (is_churned)
            counts->fn++;
    }
    for (size_t k = 0; k < self->cutoff_count; k++) {
        s_cutoff_t *cutoff = &self->cutoffs[k];
        if (seen[k] != cutoff->customers || churned[k] != cutoff->churned) {
            char label[SP_CIVIL_DATE_LABEL_SIZE];
            sp_civil_date_label (cutoff->day, label);
            fprintf (stderr,
                     "churn-replay: cutoff %s: the oracle has %" PRId64 " customers (%" PRId64
                     " churned), the baseline %" PRId64 " (%" PRId64 "): run oracle.sh again\n",
                     label, seen[k], churned[k], cutoff->customers, cutoff->churned);
            goto out_free;
        }
        int64_t tp = cutoff->model.tp;
        qsort (leads[k], (size_t) tp, sizeof *leads[k], s_compare_leads);
        if (tp > 0)
            cutoff->model.median_lead =
                tp % 2 ? (double) leads[k][tp / 2]
                       : (double) (leads[k][tp / 2 - 1] + leads[k][tp / 2]) / 2.0;
    }
    rc = 0;
out_free:
    for (size_t k = 0; k < self->cutoff_count; k++)
        free (leads[k]);
    free (line);
    fclose (file);
    return rc;
}

/* ---------------------------------------------------------------- report */

static double
s_ratio (int64_t numerator, int64_t denominator)
{
    return denominator == 0 ? 0.0 : (double) numerator / (double) denominator;
}

static double
s_f1 (const s_counts_t *counts)
{
    return s_ratio (2 * counts->tp, 2 * counts->tp + counts->fp + counts->fn);
}

/* True when a's F1 is above b's, compared as exact fractions. */
static bool
s_f1_above (const s_counts_t *a, const s_counts_t *b)
{
    __int128 left = (__int128) (2 * a->tp) * (2 * b->tp + b->fp + b->fn);
    __int128 right = (__int128) (2 * b->tp) * (2 * a->tp + a->fp + a->fn);
    return left > right;
}

static void
s_lead_text (const s_counts_t *counts, char *text, size_t size)
{
    if (counts->tp == 0)
        snprintf (text, size, "-");
    else if (counts->median_lead == (double) (int64_t) counts->median_lead)
        snprintf (text, size, "%" PRId64 " d", (int64_t) counts->median_lead);
    else
        snprintf (text, size, "%.1f d", counts->median_lead);
}

static void
s_counts_row (FILE *out, const char *who, const s_counts_t *counts)
{
    char lead[32];
    s_lead_text (counts, lead, sizeof lead);
    fprintf (out,
             "| %s | %" PRId64 " | %" PRId64 " | %" PRId64 " | %" PRId64
             " | %.4f | %.4f | %.4f | %s |\n",
             who, counts->flagged, counts->tp, counts->fp, counts->fn,
             s_ratio (counts->tp, counts->flagged), s_ratio (counts->tp, counts->tp + counts->fn),
             s_f1 (counts), lead);
}

/* Writes docs/churn-evaluation.md. */
static void
s_report (const s_replay_t *self, FILE *out, const char *model_json, const char *flag_name,
          const churn_rules_settings_t *settings)
{
    char first[SP_CIVIL_DATE_LABEL_SIZE], last[SP_CIVIL_DATE_LABEL_SIZE];
    sp_civil_date_label (self->first_day, first);
    sp_civil_date_label (self->last_scored, last);
    fprintf (out, "<!-- generated by tools/churn-eval/evaluate.sh (tests/programs/churn-replay); "
                  "do not edit, run it again -->\n");
    fprintf (out, "# Churn evaluation: the health model against the customers who stopped "
                  "buying\n\n");
    fprintf (out,
             "The retail data set (deploy/demo/retail/README.md: %zu order events of %zu "
             "customers, credit notes included) replayed through churn-alerting's scoring and "
             "alert code, every customer scored every day from %s to %s in event time, the way "
             "the service's scorer does with `--clock event`. At each cutoff the customers "
             "flagged by the model (an alert of the %s rules firing at the end of the cutoff "
             "day) are compared with those who actually stopped buying, and with the best "
             "recency-only rule, \"no purchase for more than D days\" "
             "([tools/churn-eval/README.md](../tools/churn-eval/README.md)).\n\n",
             self->event_count, self->customer_count, first, last, flag_name);
    fprintf (out, "The data has orders and credit notes only: no payments, visits, complaints "
                  "or surveys, so the payment measure scores 0 wherever an order is due and "
                  "complaints score 100 (docs/health-model.md, \"Why these defaults\").\n\n");
    fprintf (out, "## Summary\n\n");
    fprintf (out, "| cutoff | customers | churned | model F1 | baseline F1 (best D) | F1 margin | "
                  "model median lead | baseline median lead |\n");
    fprintf (out, "|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < self->cutoff_count; k++) {
        const s_cutoff_t *cutoff = &self->cutoffs[k];
        char label[SP_CIVIL_DATE_LABEL_SIZE], model_lead[32], baseline_lead[32];
        sp_civil_date_label (cutoff->day, label);
        s_lead_text (&cutoff->model, model_lead, sizeof model_lead);
        s_lead_text (&cutoff->baseline, baseline_lead, sizeof baseline_lead);
        fprintf (out,
                 "| %s | %" PRId64 " | %" PRId64 " | %.4f | %.4f (D = %" PRId64 ") | %+.4f | %s | "
                 "%s |\n",
                 label, cutoff->customers, cutoff->churned, s_f1 (&cutoff->model),
                 s_f1 (&cutoff->baseline), cutoff->baseline_d,
                 s_f1 (&cutoff->model) - s_f1 (&cutoff->baseline), model_lead, baseline_lead);
    }
    size_t above = 0;
    for (size_t k = 0; k < self->cutoff_count; k++)
        above += s_f1_above (&self->cutoffs[k].model, &self->cutoffs[k].baseline);
    if (above == self->cutoff_count)
        fprintf (out, "\nThe model's F1 is above the baseline's at every cutoff (compared as exact "
                      "fractions; `churn-replay --check` fails otherwise).\n\n");
    else
        fprintf (out,
                 "\nThe model's F1 is **not** above the baseline's at every cutoff: above at "
                 "%zu of %zu (compared as exact fractions; `churn-replay --check` fails).\n\n",
                 above, self->cutoff_count);
    for (size_t k = 0; k < self->cutoff_count; k++) {
        const s_cutoff_t *cutoff = &self->cutoffs[k];
        char label[SP_CIVIL_DATE_LABEL_SIZE], end[SP_CIVIL_DATE_LABEL_SIZE], who[64];
        sp_civil_date_label (cutoff->day, label);
        sp_civil_date_label (cutoff->day + S_HORIZON_DAYS, end);
        fprintf (out, "## Cutoff %s\n\n", label);
        fprintf (out,
                 "%" PRId64 " customers had bought by %s; %" PRId64
                 " of them bought nothing up to %s.\n\n",
                 cutoff->customers, label, cutoff->churned, end);
        fprintf (out, "| | flagged | TP | FP | FN | precision | recall | F1 | median lead |\n");
        fprintf (out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        s_counts_row (out, "model", &cutoff->model);
        if (cutoff->baseline_d_to > cutoff->baseline_d)
            snprintf (who, sizeof who, "baseline, D = %" PRId64 " (to %" PRId64 ")",
                      cutoff->baseline_d, cutoff->baseline_d_to);
        else
            snprintf (who, sizeof who, "baseline, D = %" PRId64, cutoff->baseline_d);
        s_counts_row (out, who, &cutoff->baseline);
        fprintf (out, "\nF1 margin (model − baseline): %+.4f.\n\n",
                 s_f1 (&cutoff->model) - s_f1 (&cutoff->baseline));
    }
    fprintf (out, "## Alerts of the whole replay\n\n");
    fprintf (out, "| rule | severity | fired | resolved |\n|---|---|---:|---:|\n");
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        fprintf (out, "| %s | %s | %zu | %zu |\n",
                 churn_rules_rule_name ((churn_rules_rule_t) rule),
                 churn_rules_severity_name (settings->severity[rule]), self->fires[rule],
                 self->resolves[rule]);
    fprintf (out, "\n## Definitions\n\n");
    fprintf (out,
             "- **Customers at C, churned, churn day K = L + 91**: as the oracle "
             "(tools/churn-eval/oracle.tsv) defines them: L is the customer's last purchase on or "
             "before C (an invoice not starting with `C`), churned means no purchase on "
             "C+1 .. C+91.\n"
             "- **Replay**: the events of deploy/demo/retail/retail-events.sh, read by the "
             "contract's JSON parser; each customer's orders and credit notes (negative "
             "`order_placed`) applied to its churn_customer state on the UTC day of "
             "`occurred_at`; every customer scored on every period day from its first event's "
             "(churn_population_score, no tier: a customer without its own typical interval "
             "measured against its partition's population interval as of the day, the model's "
             "`population` quantile over the customers of its partition, sp_partition_of among "
             "%" PRIu32 " partitions as the service's default `SP_PARTITIONS`, and the model's "
             "`default_interval_days` while that is unknown), the period appended to its score "
             "history, the rules "
             "judged (churn_rules_evaluate, the model's `rules`) and the four alert lifecycles "
             "stepped (churn_lifecycle_step_customer): what churn_scorer.c does with "
             "`--clock event`, without acknowledgements.\n"
             "- **Flagged at C (model)**: an alert of the %s rules (%s) is firing for the "
             "customer after the step of day C. Like the baseline's \"more than D days since the "
             "last purchase at C\", it is the model's opinion at the end of the cutoff day; an "
             "alert that fired and resolved before C does not count.\n"
             "- **Warning day A (model)**: the first day after L (L < A <= C) at whose end an "
             "alert of those rules fired; for a customer flagged at C it exists. Lead time of a "
             "true positive: K − A days (positive: warned before the customer had gone 91 days "
             "without buying); the median over the true positives, the mean of the two middle "
             "ones for an even count. The baseline's is 90 − D for every true positive.\n"
             "- **Precision** TP / flagged, **recall** TP / churned, **F1** 2TP / (2TP + FP + "
             "FN), over the customers at C. The margin is the model's F1 minus the "
             "baseline's.\n\n",
             self->partitions, flag_name,
             strcmp (flag_name, "critical") == 0 ? "the rules of severity critical"
                                                 : "all four rules");
    fprintf (
        out,
        "## The model\n\nCanonical JSON of the health document replayed:\n\n```json\n%s\n```\n\n",
        model_json);
    fprintf (out, "## Running it\n\n```\nmake                          # builds "
                  "build/release/bin/churn-replay\n"
                  "tools/churn-eval/evaluate.sh  # writes this file\n```\n");
}

/* ---------------------------------------------------------------- main */

static char *
s_read_file (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr, "churn-replay: could not open \"%s\": %s\n", path, strerror (errno));
        return NULL;
    }
    char *text = calloc (S_MODEL_MAX + 1, 1);
    size_t length = text ? fread (text, 1, S_MODEL_MAX + 1, file) : 0;
    if (text && (ferror (file) || length > S_MODEL_MAX)) {
        fprintf (stderr, "churn-replay: could not read \"%s\" (at most %d bytes)\n", path,
                 S_MODEL_MAX);
        free (text);
        text = NULL;
    }
    fclose (file);
    return text;
}

static void
s_usage (void)
{
    fprintf (stderr, "usage: churn-replay [--events FILE] [--model FILE] [--oracle FILE] "
                     "[--baseline FILE] [--out FILE] [--alerts FILE] [--flag critical|any] "
                     "[--currency CODE] [--partitions N] [--check]\n");
}

static void
s_replay_free (s_replay_t *self)
{
    for (size_t index = 0; index < self->customer_count; index++) {
        churn_customer_destroy (&self->customers[index].state);
        free (self->customers[index].firing);
    }
    free (self->customers);
    for (size_t index = 0; index < self->event_count; index++)
        free (self->events[index].customer_id);
    free (self->events);
    for (uint32_t partition = 0; self->populations && partition < self->partitions; partition++)
        churn_population_destroy (&self->populations[partition]);
    free (self->populations);
}

int
main (int argc, char **argv)
{
    const char *events_path = "-", *model_path = NULL, *oracle_path = S_DEFAULT_ORACLE;
    const char *baseline_path = S_DEFAULT_BASELINE, *out_path = NULL, *alerts_path = NULL;
    const char *flag_name = "critical", *currency = S_DEFAULT_CURRENCY, *partitions_text = NULL;
    bool check = false;
    for (int index = 1; index < argc; index++) {
        const char *option = argv[index];
        const char **slot = NULL;
        if (strcmp (option, "--check") == 0) {
            check = true;
            continue;
        }
        if (strcmp (option, "--events") == 0)
            slot = &events_path;
        else if (strcmp (option, "--model") == 0)
            slot = &model_path;
        else if (strcmp (option, "--oracle") == 0)
            slot = &oracle_path;
        else if (strcmp (option, "--baseline") == 0)
            slot = &baseline_path;
        else if (strcmp (option, "--out") == 0)
            slot = &out_path;
        else if (strcmp (option, "--alerts") == 0)
            slot = &alerts_path;
        else if (strcmp (option, "--flag") == 0)
            slot = &flag_name;
        else if (strcmp (option, "--currency") == 0)
            slot = &currency;
        else if (strcmp (option, "--partitions") == 0)
            slot = &partitions_text;
        if (!slot || index + 1 >= argc) {
            s_usage ();
            return 2;
        }
        *slot = argv[++index];
    }
    if (strcmp (flag_name, "critical") != 0 && strcmp (flag_name, "any") != 0) {
        fprintf (stderr, "churn-replay: invalid --flag \"%s\": use critical or any\n", flag_name);
        return 2;
    }
    int64_t partitions = S_DEFAULT_PARTITIONS;
    if (partitions_text && (!s_count_parse (partitions_text, &partitions) || partitions < 1 ||
                            partitions > SP_PARTITIONS_MAX)) {
        fprintf (stderr, "churn-replay: invalid --partitions \"%s\": use 1..%d\n", partitions_text,
                 SP_PARTITIONS_MAX);
        return 2;
    }

    int rc = 1;
    s_replay_t replay;
    memset (&replay, 0, sizeof replay);
    replay.partitions = (uint32_t) partitions;
    char error[S_ERROR_SIZE] = "";
    char *model_text = model_path ? s_read_file (model_path) : strdup (S_DEFAULT_MODEL);
    churn_model_t *model = NULL;
    char *model_json = NULL;
    FILE *events = NULL, *alerts = NULL, *out = NULL;
    char *out_temporary = NULL;
    if (!model_text)
        goto out_free;
    model = churn_model_new (model_text, strlen (model_text), error, sizeof error);
    if (!model) {
        fprintf (stderr, "churn-replay: the model \"%s\" is not valid: %s\n",
                 model_path ? model_path : "default", error);
        goto out_free;
    }
    churn_rules_settings_t settings;
    churn_rules_settings_default (&settings);
    const char *rules = churn_model_rules_json (model);
    if (rules &&
        churn_rules_settings_read (&settings, rules, strlen (rules), error, sizeof error) != 0) {
        fprintf (stderr, "churn-replay: the model's rules do not read: %s\n", error);
        goto out_free;
    }
    model_json = churn_model_to_json (model);
    uint8_t flag = 0;
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        if (strcmp (flag_name, "any") == 0 || settings.severity[rule] == CHURN_RULES_CRITICAL)
            flag |= (uint8_t) (1u << rule);
    if (!model_json || s_read_baseline (&replay, baseline_path) != 0)
        goto out_free;

    events = strcmp (events_path, "-") == 0 ? stdin : fopen (events_path, "r");
    if (!events) {
        fprintf (stderr, "churn-replay: could not open \"%s\": %s\n", events_path,
                 strerror (errno));
        goto out_free;
    }
    if (s_read_events (&replay, events, events_path, currency) != 0)
        goto out_free;
    if (s_make_customers (&replay) != 0) {
        fprintf (stderr, "churn-replay: out of memory\n");
        goto out_free;
    }
    if (s_make_populations (&replay, model) != 0)
        goto out_free;
    if (alerts_path && !(alerts = fopen (alerts_path, "w"))) {
        fprintf (stderr, "churn-replay: could not create \"%s\": %s\n", alerts_path,
                 strerror (errno));
        goto out_free;
    }
    if (s_replay (&replay, model, &settings, alerts) != 0 ||
        s_judge (&replay, oracle_path, flag) != 0)
        goto out_free;

    if (out_path) {
        size_t size = strlen (out_path) + sizeof ".tmp";
        out_temporary = malloc (size);
        if (!out_temporary)
            goto out_free;
        snprintf (out_temporary, size, "%s.tmp", out_path);
        if (!(out = fopen (out_temporary, "w"))) {
            fprintf (stderr, "churn-replay: could not create \"%s\": %s\n", out_temporary,
                     strerror (errno));
            goto out_free;
        }
    }
    s_report (&replay, out ? out : stdout, model_json, flag_name, &settings);
    if (out) {
        int failed = ferror (out);
        failed |= fclose (out);
        out = NULL;
        if (failed || rename (out_temporary, out_path) != 0) {
            fprintf (stderr, "churn-replay: could not write \"%s\"\n", out_path);
            remove (out_temporary);
            goto out_free;
        }
    }
    rc = 0;
    for (size_t k = 0; k < replay.cutoff_count; k++) {
        const s_cutoff_t *cutoff = &replay.cutoffs[k];
        char label[SP_CIVIL_DATE_LABEL_SIZE];
        sp_civil_date_label (cutoff->day, label);
        bool above = s_f1_above (&cutoff->model, &cutoff->baseline);
        fprintf (stderr,
                 "churn-replay: cutoff=%s model_f1=%.4f baseline_f1=%.4f margin=%+.4f "
                 "flagged=%" PRId64 " tp=%" PRId64 " median_lead=%.1f%s\n",
                 label, s_f1 (&cutoff->model), s_f1 (&cutoff->baseline),
                 s_f1 (&cutoff->model) - s_f1 (&cutoff->baseline), cutoff->model.flagged,
                 cutoff->model.tp, cutoff->model.median_lead, above ? "" : " NOT ABOVE");
        if (check && !above)
            rc = 1;
    }

out_free:
    if (out) {
        fclose (out);
        remove (out_temporary);
    }
    free (out_temporary);
    if (alerts)
        fclose (alerts);
    if (events && events != stdin)
        fclose (events);
    s_replay_free (&replay);
    free (model_json);
    churn_model_destroy (&model);
    free (model_text);
    return rc;
}
