/*  churn_alert_store - churn alerts and the scoring state in PostgreSQL
    (see churn_alert_store.h): the reading half. The outbox kit's tables
    and row reader (churn_alert_store_tables), the customers scored, the
    batched read of the scoring state, the firing count and the alerts to
    forward. The batched write and the acknowledgement are in
    churn_alert_store_write.c; what the two files share (the statement
    runner, the lifecycle column reader) is in churn_alert_store_internal.h.
*/
#include "churn_alert_store_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churn_array_text.h"
#include "sp_civil.h"
#include "sp_error.h"
#include "sp_outbox.h"

/* Parameters of the insert statement. */
#define S_INSERT_PARAMS 17

/* Columns every listing selects, in the order of the S_COLUMN_ enum. */
#define S_COLUMNS                                                                                  \
    "a.alert_seq, a.customer_id, a.rule, a.severity, a.action, a.score, a.band, "                  \
    "a.previous_scores::text, a.factors::text, a.days_since_order, a.typical_interval_days, "      \
    "(a.fired_day - date '1970-01-01'), a.owner_rep, a.owner_team, a.owner_region, "               \
    "(a.occurred_at - date '1970-01-01'), "                                                        \
    "floor(extract(epoch FROM a.created_at) * 1000)::bigint"

enum {
    S_COLUMN_SEQUENCE = 0,
    S_COLUMN_CUSTOMER,
    S_COLUMN_RULE,
    S_COLUMN_SEVERITY,
    S_COLUMN_ACTION,
    S_COLUMN_SCORE,
    S_COLUMN_BAND,
    S_COLUMN_PREVIOUS,
    S_COLUMN_FACTORS,
    S_COLUMN_DAYS_SINCE_ORDER,
    S_COLUMN_TYPICAL_INTERVAL,
    S_COLUMN_FIRED_DAY,
    S_COLUMN_OWNER_REP,
    S_COLUMN_OWNER_TEAM,
    S_COLUMN_OWNER_REGION,
    S_COLUMN_DAY,
    S_COLUMN_CREATED_AT,
    S_COLUMN_COUNT,
};

/* $1 customer, $2 rule: the stored state, if any. */
static const char s_state_sql[] =
    "SELECT state FROM churn_alert_conditions WHERE customer_id = $1 AND rule = $2";

/* The alert under its claimed sequence ($1); returns its created_at. */
static const char s_insert_sql[] =
    "INSERT INTO churn_alerts (alert_seq, customer_id, rule, severity, state, action, score, band, "
    "previous_scores, factors, days_since_order, typical_interval_days, fired_day, owner_rep, "
    "owner_team, owner_region, occurred_at) "
    "VALUES ($1::bigint, $2, $3, $4, $5, $6, $7::integer, $8, $9::integer[], $10::jsonb, "
    "$11::bigint, $12::bigint, date '1970-01-01' + $13::integer, $14, $15, $16, "
    "date '1970-01-01' + $17::integer) "
    "RETURNING floor(extract(epoch FROM created_at) * 1000)::bigint";

/* $1 customer, $2 rule, $3 state, $4 sequence. */
static const char s_condition_sql[] =
    "INSERT INTO churn_alert_conditions (customer_id, rule, state, sequence) "
    "VALUES ($1, $2, $3, $4::bigint) "
    "ON CONFLICT (customer_id, rule) DO UPDATE "
    "SET state = EXCLUDED.state, sequence = EXCLUDED.sequence, updated_at = now()";

/* The newest sequence, then the firing set (no alert columns when none). */
static const char s_firing_sql[] =
    "WITH last AS (SELECT coalesce(max(alert_seq), 0) AS sequence FROM churn_alerts) "
    "SELECT " S_COLUMNS ", last.sequence FROM last LEFT JOIN "
    "(churn_alert_conditions c JOIN churn_alerts a ON a.alert_seq = c.sequence "
    "AND c.state = 'firing') ON true ORDER BY a.alert_seq";

/* $1 after, $2 resolved within (ms), $3 limit: the latest alert of every
   identity firing, or resolved recently, with its FIRE's created_at
   (column S_COLUMN_COUNT). */
static const char s_forwardable_sql[] =
    "SELECT " S_COLUMNS ", floor(extract(epoch FROM coalesce(f.created_at, a.created_at)) * "
    "1000)::bigint FROM churn_alert_conditions c "
    "JOIN churn_alerts a ON a.alert_seq = c.sequence "
    "LEFT JOIN LATERAL (SELECT x.created_at FROM churn_alerts x WHERE x.customer_id = "
    "c.customer_id AND x.rule = c.rule AND x.action = 'fire' AND x.alert_seq <= c.sequence "
    "ORDER BY x.alert_seq DESC LIMIT 1) f ON true "
    "WHERE a.alert_seq > $1::bigint AND (c.state = 'firing' OR (c.state = 'resolved' AND "
    "a.created_at >= now() - $2::bigint * interval '1 millisecond')) "
    "ORDER BY a.alert_seq LIMIT $3::integer";

/* $1 after, $2 limit. */
static const char s_after_sql[] = "SELECT " S_COLUMNS " FROM churn_alerts a "
                                  "WHERE a.alert_seq > $1::bigint ORDER BY a.alert_seq LIMIT $2";

/* $1 partition: its customers, their last periods and revisions. */
static const char s_scored_sql[] =
    "SELECT customer_id, (last_day - date '1970-01-01'), revision FROM churn_customers "
    "WHERE partition = $1::integer";

/* $1 customers (text[]): their rows and their lifecycles, a customer's
   rows together. The lifecycles' side is restricted to the customers
   too: without it PostgreSQL 15 hashes the batch and scans every row of
   churn_alert_conditions (EXPLAIN ANALYZE, 8,080 customers: 6.4 ms a
   batch of 100; with it, an index scan: 1.1 ms). */
static const char s_read_sql[] =
    "SELECT c.customer_id, c.revision, c.history, l.rule, l.lifecycle FROM churn_customers c "
    "LEFT JOIN churn_alert_conditions l ON l.customer_id = c.customer_id "
    "AND l.customer_id = ANY ($1::text[]) "
    "WHERE c.customer_id = ANY ($1::text[]) ORDER BY c.customer_id";

/* ---------------------------------------------------------------- reading */

static bool
s_state_known (const char *text)
{
    return strcmp (text, "none") == 0 || strcmp (text, "firing") == 0 ||
           strcmp (text, "resolved") == 0;
}

/* Reads "{1,2,-1}" into the alert's previous scores. */
static int
s_read_previous (const char *text, churn_alert_t *alert)
{
    size_t length = strlen (text);
    if (length < 2 || text[0] != '{' || text[length - 1] != '}')
        return -1;
    alert->previous_count = 0;
    const char *cursor = text + 1;
    while (*cursor != '}') {
        char *end = NULL;
        long value = strtol (cursor, &end, 10);
        if (end == cursor || alert->previous_count == CHURN_ALERT_PREVIOUS_MAX ||
            value < CHURN_ALERT_NO_SCORE || value > CHURN_SCORE_MAX)
            return -1;
        alert->previous[alert->previous_count++] = (int) value;
        cursor = *end == ',' ? end + 1 : end;
    }
    return 0;
}

/* Reads the factors' JSON array into the alert. */
static int
s_read_factors (const char *text, churn_alert_t *alert)
{
    json_t *array = json_loads (text, 0, NULL);
    int rc = -1;
    if (!json_is_array (array) || json_array_size (array) > CHURN_MODEL_MEASURE_COUNT)
        goto out_decref;
    alert->factor_count = json_array_size (array);
    for (size_t index = 0; index < alert->factor_count; index++) {
        json_t *factor = json_array_get (array, index);
        churn_alert_factor_t *into = &alert->factors[index];
        const char *measure = json_string_value (json_object_get (factor, "measure"));
        json_int_t weight = json_integer_value (json_object_get (factor, "weight_bp"));
        if (!measure || churn_model_measure_parse (measure, &into->measure) != 0 || weight < 0 ||
            weight > CHURN_RULES_BASIS_POINTS)
            goto out_decref;
        into->value = json_integer_value (json_object_get (factor, "value"));
        into->score = (int) json_integer_value (json_object_get (factor, "score"));
        into->weight_bp = (uint32_t) weight;
    }
    rc = 0;
out_decref:
    json_decref (array);
    return rc;
}

/* sp_outbox_store_row_fn: reads row of a listing into a churn_alert_t. */
static int
s_read_row (const sp_pg_result_t *result, int row, void *record, int64_t *sequence, char *error,
            size_t error_size)
{
    churn_alert_t *alert = (churn_alert_t *) record;
    memset (alert, 0, sizeof *alert);
    const char *action = sp_pg_result_value (result, row, S_COLUMN_ACTION);
    int64_t score = 0, fired = 0, day = 0;
    alert->has_score = !sp_pg_result_is_null (result, row, S_COLUMN_SCORE);
    alert->has_interval = !sp_pg_result_is_null (result, row, S_COLUMN_DAYS_SINCE_ORDER);
    bool read = sp_pg_result_int64 (result, row, S_COLUMN_SEQUENCE, &alert->sequence) == 0 &&
                sp_pg_result_int64 (result, row, S_COLUMN_FIRED_DAY, &fired) == 0 &&
                sp_pg_result_int64 (result, row, S_COLUMN_DAY, &day) == 0 &&
                sp_pg_result_int64 (result, row, S_COLUMN_CREATED_AT, &alert->created_at_ms) == 0;
    read = read && churn_rules_rule_parse (sp_pg_result_value (result, row, S_COLUMN_RULE),
                                           &alert->rule) == 0;
    read = read && churn_rules_severity_parse (sp_pg_result_value (result, row, S_COLUMN_SEVERITY),
                                               &alert->severity) == 0;
    if (strcmp (action, "fire") == 0)
        alert->action = CHURN_LIFECYCLE_FIRE;
    else if (strcmp (action, "repeat") == 0)
        alert->action = CHURN_LIFECYCLE_REPEAT;
    else if (strcmp (action, "resolve") == 0)
        alert->action = CHURN_LIFECYCLE_RESOLVE;
    else
        read = false;
    if (read && alert->has_score)
        read = sp_pg_result_int64 (result, row, S_COLUMN_SCORE, &score) == 0 &&
               churn_alert_band_parse (sp_pg_result_value (result, row, S_COLUMN_BAND),
                                       &alert->band) == 0;
    if (read && alert->has_interval)
        read = sp_pg_result_int64 (result, row, S_COLUMN_DAYS_SINCE_ORDER,
                                   &alert->days_since_order) == 0 &&
               sp_pg_result_int64 (result, row, S_COLUMN_TYPICAL_INTERVAL,
                                   &alert->typical_interval_days) == 0;
    read =
        read && s_read_previous (sp_pg_result_value (result, row, S_COLUMN_PREVIOUS), alert) == 0;
    read = read && s_read_factors (sp_pg_result_value (result, row, S_COLUMN_FACTORS), alert) == 0;
    read = read &&
           sp_outbox_store_text (result, row, S_COLUMN_CUSTOMER, alert->customer_id,
                                 sizeof alert->customer_id) == 0 &&
           sp_outbox_store_text (result, row, S_COLUMN_OWNER_REP, alert->owner_rep,
                                 sizeof alert->owner_rep) == 0 &&
           sp_outbox_store_text (result, row, S_COLUMN_OWNER_TEAM, alert->owner_team,
                                 sizeof alert->owner_team) == 0 &&
           sp_outbox_store_text (result, row, S_COLUMN_OWNER_REGION, alert->owner_region,
                                 sizeof alert->owner_region) == 0;
    if (!read || score < CHURN_SCORE_MIN || score > CHURN_SCORE_MAX) {
        sp_error_set (error, error_size, "alert row %d (alert_seq %s) does not read back", row,
                      sp_pg_result_value (result, row, S_COLUMN_SEQUENCE));
        return -1;
    }
    alert->score = (int) score;
    alert->fired_day = fired;
    alert->day = day;
    *sequence = alert->sequence;
    return 0;
}

static const sp_outbox_store_t s_store = {
    .stream = CHURN_ALERT_STORE_STREAM,
    .noun = "alert",
    .nouns = "alerts",
    .initial = "none",
    .state_known = s_state_known,
    .key_count = 2,
    .state_sql = s_state_sql,
    .insert_sql = s_insert_sql,
    .insert_count = S_INSERT_PARAMS,
    .condition_sql = s_condition_sql,
    .firing_sql = s_firing_sql,
    .after_sql = s_after_sql,
    .columns = S_COLUMN_COUNT,
    .record_size = sizeof (churn_alert_t),
    .read_row = s_read_row,
};

const sp_outbox_store_t *
churn_alert_store_tables (void)
{
    return &s_store;
}

/* Runs sql; its result, or NULL with "could not <what>: <reason>". */
sp_pg_result_t *
churn_alert_store_internal_exec (sp_pg_t *pg, const char *what, const char *sql, int count,
                                 const char *const *values, char *error, size_t error_size)
{
    sp_pg_result_t *result = sp_pg_exec (pg, sql, count, values, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not %s: %s", what, sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
    }
    return result;
}

static int
s_compare_scored (const void *left, const void *right)
{
    return strcmp (((const churn_alert_store_scored_t *) left)->customer,
                   ((const churn_alert_store_scored_t *) right)->customer);
}

int
churn_alert_store_scored (sp_pg_t *pg, uint32_t partition, churn_alert_store_scored_t **rows,
                          size_t *count, char *error, size_t error_size)
{
    assert (pg && rows && count);
    char partition_text[CHURN_ALERT_STORE_INTERNAL_NUMBER_SIZE];
    snprintf (partition_text, sizeof partition_text, "%" PRIu32, partition);
    const char *values[] = { partition_text };
    sp_pg_result_t *result = churn_alert_store_internal_exec (
        pg, "read the customers scored", s_scored_sql, 1, values, error, error_size);
    if (!result)
        return -1;
    size_t total = (size_t) sp_pg_result_rows (result);
    churn_alert_store_scored_t *list = calloc (total ? total : 1, sizeof *list);
    if (!list) {
        sp_error_set (error, error_size, "out of memory");
        sp_pg_result_destroy (&result);
        return -1;
    }
    for (size_t index = 0; index < total; index++) {
        list[index].customer = strdup (sp_pg_result_value (result, (int) index, 0));
        if (!list[index].customer ||
            sp_pg_result_int64 (result, (int) index, 1, &list[index].last_day) != 0 ||
            sp_pg_result_int64 (result, (int) index, 2, &list[index].revision) != 0) {
            sp_error_set (error, error_size, "could not read the customers scored");
            sp_pg_result_destroy (&result);
            churn_alert_store_scored_free (&list, total);
            return -1;
        }
    }
    sp_pg_result_destroy (&result);
    qsort (list, total, sizeof *list, s_compare_scored);
    *rows = list;
    *count = total;
    return 0;
}

void
churn_alert_store_scored_free (churn_alert_store_scored_t **rows, size_t count)
{
    assert (rows);
    if (!*rows)
        return;
    for (size_t index = 0; index < count; index++)
        free ((*rows)[index].customer);
    free (*rows);
    *rows = NULL;
}

/* Unpacks a lifecycle column into state. */
int
churn_alert_store_internal_read_lifecycle (const sp_pg_result_t *result, int row, int column,
                                           churn_lifecycle_t *state, char *error, size_t error_size)
{
    size_t size = 0;
    unsigned char *bytes = sp_pg_result_bytea (result, row, column, &size);
    int rc = bytes ? churn_lifecycle_unpack (state, bytes, size, error, error_size) : -1;
    if (!bytes)
        sp_error_set (error, error_size, "not bytea");
    free (bytes);
    return rc;
}

/* The state of a customer never scored. */
static void
s_customer_init (churn_alert_store_customer_t *customer)
{
    memset (customer, 0, sizeof *customer);
    churn_history_init (&customer->history);
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        churn_lifecycle_init (&customer->states[rule]);
}

/* The index of customer in customers (count of them), or count. */
static size_t
s_find (const char *const *customers, size_t count, const char *customer)
{
    for (size_t index = 0; index < count; index++)
        if (strcmp (customers[index], customer) == 0)
            return index;
    return count;
}

/* Reads row of the batched read into into (the customer's first row
   when first). Returns 0, or -1 with the reason. */
static int
s_read_customer_row (const sp_pg_result_t *result, int row, bool first,
                     churn_alert_store_customer_t *into, char *error, size_t error_size)
{
    const char *customer = sp_pg_result_value (result, row, 0);
    char reason[CHURN_ALERT_STORE_REASON_SIZE] = "";
    if (first) {
        size_t size = 0;
        unsigned char *history = sp_pg_result_bytea (result, row, 2, &size);
        int unpacked =
            history ? churn_history_unpack (&into->history, history, size, reason, sizeof reason)
                    : -1;
        free (history);
        if (unpacked != 0 || sp_pg_result_int64 (result, row, 1, &into->revision) != 0) {
            sp_error_set (error, error_size, "the score history of \"%s\" does not read: %s",
                          customer, reason);
            return -1;
        }
        into->stored = true;
    }
    if (sp_pg_result_is_null (result, row, 3))
        return 0;
    churn_rules_rule_t rule;
    if (churn_rules_rule_parse (sp_pg_result_value (result, row, 3), &rule) != 0 ||
        churn_alert_store_internal_read_lifecycle (result, row, 4, &into->states[rule], reason,
                                                   sizeof reason) != 0) {
        sp_error_set (error, error_size, "a lifecycle of \"%s\" does not read: %s", customer,
                      reason);
        return -1;
    }
    return 0;
}

int
churn_alert_store_read_batch (sp_pg_t *pg, const char *const *customers, size_t count,
                              churn_alert_store_customer_t *out, size_t *readable, char *error,
                              size_t error_size)
{
    assert (pg && (customers || count == 0) && (out || count == 0) && readable);
    for (size_t index = 0; index < count; index++)
        s_customer_init (&out[index]);
    *readable = count;
    if (count == 0)
        return 0;
    churn_array_text_t ids = { 0 };
    for (size_t index = 0; index < count; index++)
        churn_array_text_add_quoted (&ids, customers[index]);
    char *literal = churn_array_text_finish (&ids);
    if (!literal) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    const char *values[] = { literal };
    sp_pg_result_t *result = churn_alert_store_internal_exec (
        pg, "read the customers' scoring state", s_read_sql, 1, values, error, error_size);
    free (literal);
    if (!result)
        return -1;
    /* rows come a customer at a time: look each customer up once */
    size_t current = count;
    int rows = sp_pg_result_rows (result);
    for (int row = 0; row < rows; row++) {
        const char *customer = sp_pg_result_value (result, row, 0);
        bool first = current == count || strcmp (customers[current], customer) != 0;
        if (first)
            current = s_find (customers, count, customer);
        if (current == count || current >= *readable)
            continue; /* not asked for, or after one that does not read */
        if (s_read_customer_row (result, row, first, &out[current], error, error_size) != 0)
            *readable = current;
    }
    /* those after the first that does not read are not handed over */
    for (size_t index = *readable; index < count; index++)
        s_customer_init (&out[index]);
    sp_pg_result_destroy (&result);
    return 0;
}

int
churn_alert_store_firing_count (sp_pg_t *pg, int64_t *count, char *error, size_t error_size)
{
    assert (pg && count);
    sp_pg_result_t *result = churn_alert_store_internal_exec (
        pg, "count the firing alerts",
        "SELECT count(*) FROM churn_alert_conditions WHERE state = 'firing'", 0, NULL, error,
        error_size);
    if (!result)
        return -1;
    int rc = sp_pg_result_int64 (result, 0, 0, count);
    if (rc != 0)
        sp_error_set (error, error_size, "could not count the firing alerts");
    sp_pg_result_destroy (&result);
    return rc;
}

int
churn_alert_store_forwardable (sp_pg_t *pg, int64_t after, int64_t resolved_ms, size_t limit,
                               churn_alert_store_latest_t *rows, size_t *count, char *error,
                               size_t error_size)
{
    assert (pg && rows && count && limit >= 1 && limit <= INT32_MAX && resolved_ms >= 0);
    char after_text[CHURN_ALERT_STORE_INTERNAL_NUMBER_SIZE],
        resolved_text[CHURN_ALERT_STORE_INTERNAL_NUMBER_SIZE],
        limit_text[CHURN_ALERT_STORE_INTERNAL_NUMBER_SIZE];
    snprintf (after_text, sizeof after_text, "%" PRId64, after);
    snprintf (resolved_text, sizeof resolved_text, "%" PRId64, resolved_ms);
    snprintf (limit_text, sizeof limit_text, "%zu", limit);
    const char *values[] = { after_text, resolved_text, limit_text };
    sp_pg_result_t *result = churn_alert_store_internal_exec (
        pg, "read the alerts to forward", s_forwardable_sql, 3, values, error, error_size);
    if (!result)
        return -1;
    int rc = -1;
    int total = sp_pg_result_rows (result);
    if (total < 0 || (size_t) total > limit) {
        sp_error_set (error, error_size, "could not read the alerts to forward: %d rows", total);
        goto out_destroy;
    }
    for (int row = 0; row < total; row++) {
        int64_t sequence = 0;
        if (s_read_row (result, row, &rows[row].alert, &sequence, error, error_size) != 0)
            goto out_destroy;
        if (sp_pg_result_int64 (result, row, S_COLUMN_COUNT, &rows[row].fired_at_ms) != 0) {
            sp_error_set (error, error_size,
                          "alert row %d (alert_seq %" PRId64 ") has no fired time", row, sequence);
            goto out_destroy;
        }
    }
    *count = (size_t) total;
    rc = 0;
out_destroy:
    sp_pg_result_destroy (&result);
    return rc;
}
