/*  churn_alert_store - churn alerts and the scoring state in PostgreSQL
    (see churn_alert_store.h). */
#include "churn_alert_store.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_civil.h"
#include "sp_error.h"

/* Room for an int64 in decimal with its sign and NUL. */
#define S_NUMBER_SIZE 24

/* Parameters of the insert statement. */
#define S_INSERT_PARAMS 17

/* Room for a packed value as hex ("\x" and two digits a byte). */
#define S_HEX_SIZE(bytes) (2 + 2 * (bytes) + 1)
#define S_LIFECYCLE_HEX S_HEX_SIZE (CHURN_LIFECYCLE_PACKED_MAX)
#define S_HISTORY_HEX S_HEX_SIZE (CHURN_HISTORY_PACKED_MAX)

/* The rules' and lifecycles' array literals of the lifecycle upsert. */
#define S_ARRAY_SIZE (CHURN_RULES_COUNT * (S_LIFECYCLE_HEX + 4) + 2)

/* The previous scores as an integer[] literal. */
#define S_PREVIOUS_SIZE (2 + CHURN_ALERT_PREVIOUS_MAX * 4 + 1)

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

/* $1 partition: its customers and their last periods. */
static const char s_scored_sql[] =
    "SELECT customer_id, (last_day - date '1970-01-01') FROM churn_customers "
    "WHERE partition = $1::integer";

/* $1 customer: its row and its lifecycles. */
static const char s_read_sql[] =
    "SELECT c.revision, c.history, l.rule, l.lifecycle FROM churn_customers c "
    "LEFT JOIN churn_alert_conditions l ON l.customer_id = c.customer_id "
    "WHERE c.customer_id = $1";

/* $1 customer, $2 partition, $3 last day, $4 history (hex). */
static const char s_create_sql[] =
    "INSERT INTO churn_customers (customer_id, partition, last_day, history) "
    "VALUES ($1, $2::integer, date '1970-01-01' + $3::integer, decode($4, 'hex')) "
    "ON CONFLICT (customer_id) DO NOTHING RETURNING revision";

/* The same over $5, the revision read. */
static const char s_move_sql[] =
    "UPDATE churn_customers SET partition = $2::integer, last_day = date '1970-01-01' + "
    "$3::integer, history = decode($4, 'hex'), revision = revision + 1, updated_at = now() "
    "WHERE customer_id = $1 AND revision = $5::bigint RETURNING revision";

/* $1 customer, $2 rules, $3 lifecycles (hex), as text[] literals. */
static const char s_lifecycles_sql[] =
    "INSERT INTO churn_alert_conditions (customer_id, rule, lifecycle) "
    "SELECT $1, u.rule, decode(u.lifecycle, 'hex') "
    "FROM unnest($2::text[], $3::text[]) AS u (rule, lifecycle) "
    "ON CONFLICT (customer_id, rule) DO UPDATE SET lifecycle = EXCLUDED.lifecycle";

/* $1 customer, $2 rule ('' any): the firing alerts, locked. */
static const char s_ack_read_sql[] =
    "SELECT rule, lifecycle FROM churn_alert_conditions WHERE customer_id = $1 "
    "AND state = 'firing' AND ($2 = '' OR rule = $2) ORDER BY rule FOR UPDATE";

/* $1 customer, $2 rule, $3 lifecycle (hex). */
static const char s_ack_write_sql[] =
    "UPDATE churn_alert_conditions SET lifecycle = decode($3, 'hex'), updated_at = now() "
    "WHERE customer_id = $1 AND rule = $2";

/* $1 customer: the scorer reads it again. */
static const char s_touch_sql[] =
    "UPDATE churn_customers SET revision = revision + 1, updated_at = now() "
    "WHERE customer_id = $1";

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
static sp_pg_result_t *
s_exec (sp_pg_t *pg, const char *what, const char *sql, int count, const char *const *values,
        char *error, size_t error_size)
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
    char partition_text[S_NUMBER_SIZE];
    snprintf (partition_text, sizeof partition_text, "%" PRIu32, partition);
    const char *values[] = { partition_text };
    sp_pg_result_t *result =
        s_exec (pg, "read the customers scored", s_scored_sql, 1, values, error, error_size);
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
            sp_pg_result_int64 (result, (int) index, 1, &list[index].last_day) != 0) {
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
static int
s_read_lifecycle (const sp_pg_result_t *result, int row, int column, churn_lifecycle_t *state,
                  char *error, size_t error_size)
{
    size_t size = 0;
    unsigned char *bytes = sp_pg_result_bytea (result, row, column, &size);
    int rc = bytes ? churn_lifecycle_unpack (state, bytes, size, error, error_size) : -1;
    if (!bytes)
        sp_error_set (error, error_size, "not bytea");
    free (bytes);
    return rc;
}

int
churn_alert_store_read (sp_pg_t *pg, const char *customer, churn_alert_store_customer_t *out,
                        char *error, size_t error_size)
{
    assert (pg && customer && out);
    const char *values[] = { customer };
    sp_pg_result_t *result =
        s_exec (pg, "read a customer's scoring state", s_read_sql, 1, values, error, error_size);
    if (!result)
        return -1;
    churn_alert_store_customer_t read;
    memset (&read, 0, sizeof read);
    churn_history_init (&read.history);
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        churn_lifecycle_init (&read.states[rule]);
    char reason[CHURN_ALERT_STORE_REASON_SIZE] = "";
    int rc = -1;
    int rows = sp_pg_result_rows (result);
    for (int row = 0; row < rows; row++) {
        if (row == 0) {
            size_t size = 0;
            unsigned char *history = sp_pg_result_bytea (result, 0, 1, &size);
            int unpacked =
                history ? churn_history_unpack (&read.history, history, size, reason, sizeof reason)
                        : -1;
            free (history);
            if (unpacked != 0 || sp_pg_result_int64 (result, 0, 0, &read.revision) != 0) {
                sp_error_set (error, error_size, "the score history of \"%s\" does not read: %s",
                              customer, reason);
                goto out_destroy;
            }
            read.stored = true;
        }
        if (sp_pg_result_is_null (result, row, 2))
            continue;
        churn_rules_rule_t rule;
        if (churn_rules_rule_parse (sp_pg_result_value (result, row, 2), &rule) != 0 ||
            s_read_lifecycle (result, row, 3, &read.states[rule], reason, sizeof reason) != 0) {
            sp_error_set (error, error_size, "a lifecycle of \"%s\" does not read: %s", customer,
                          reason);
            goto out_destroy;
        }
    }
    *out = read;
    rc = 0;
out_destroy:
    sp_pg_result_destroy (&result);
    return rc;
}

int
churn_alert_store_firing_count (sp_pg_t *pg, int64_t *count, char *error, size_t error_size)
{
    assert (pg && count);
    sp_pg_result_t *result =
        s_exec (pg, "count the firing alerts",
                "SELECT count(*) FROM churn_alert_conditions WHERE state = 'firing'", 0, NULL,
                error, error_size);
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
    char after_text[S_NUMBER_SIZE], resolved_text[S_NUMBER_SIZE], limit_text[S_NUMBER_SIZE];
    snprintf (after_text, sizeof after_text, "%" PRId64, after);
    snprintf (resolved_text, sizeof resolved_text, "%" PRId64, resolved_ms);
    snprintf (limit_text, sizeof limit_text, "%zu", limit);
    const char *values[] = { after_text, resolved_text, limit_text };
    sp_pg_result_t *result =
        s_exec (pg, "read the alerts to forward", s_forwardable_sql, 3, values, error, error_size);
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

/* ---------------------------------------------------------------- writing */

/* Writes size bytes as hex digits (no prefix) into text. */
static void
s_hex (const unsigned char *bytes, size_t size, char *text)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t index = 0; index < size; index++) {
        text[2 * index] = digits[bytes[index] >> 4];
        text[2 * index + 1] = digits[bytes[index] & 0x0f];
    }
    text[2 * size] = '\0';
}

/* The previous scores as an integer[] literal. */
static void
s_previous_text (const churn_alert_t *alert, char *text, size_t size)
{
    size_t used = (size_t) snprintf (text, size, "{");
    for (size_t index = 0; index < alert->previous_count && used < size; index++)
        used += (size_t) snprintf (text + used, size - used, "%s%d", index ? "," : "",
                                   alert->previous[index]);
    if (used < size)
        snprintf (text + used, size - used, "}");
}

/* The factors as JSON text (malloc'd), or NULL when out of memory. */
static char *
s_factors_text (const churn_alert_t *alert)
{
    json_t *array = json_array ();
    for (size_t index = 0; array && index < alert->factor_count; index++) {
        const churn_alert_factor_t *factor = &alert->factors[index];
        if (json_array_append_new (array,
                                   json_pack ("{s:s, s:I, s:i, s:I}", "measure",
                                              churn_model_measure_name (factor->measure), "value",
                                              (json_int_t) factor->value, "score", factor->score,
                                              "weight_bp", (json_int_t) factor->weight_bp)) != 0) {
            json_decref (array);
            return NULL;
        }
    }
    char *text = array ? json_dumps (array, JSON_COMPACT) : NULL;
    json_decref (array);
    return text;
}

/* Inserts alert under the stream's next sequence (inside the open
   transaction) and sets its sequence and created_at_ms. */
static int
s_append (sp_pg_t *pg, churn_alert_t *alert, char *error, size_t error_size)
{
    char score[S_NUMBER_SIZE], since[S_NUMBER_SIZE], typical[S_NUMBER_SIZE], fired[S_NUMBER_SIZE],
        day[S_NUMBER_SIZE], previous[S_PREVIOUS_SIZE];
    snprintf (score, sizeof score, "%d", alert->score);
    snprintf (since, sizeof since, "%" PRId64, alert->days_since_order);
    snprintf (typical, sizeof typical, "%" PRId64, alert->typical_interval_days);
    snprintf (fired, sizeof fired, "%" PRId64, alert->fired_day);
    snprintf (day, sizeof day, "%" PRId64, alert->day);
    s_previous_text (alert, previous, sizeof previous);
    char *factors = s_factors_text (alert);
    if (!factors) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    const char *state = churn_alert_state_name (churn_alert_state (alert->action));
    const char *rule = churn_rules_rule_name (alert->rule);
    /* $2.. of the insert; $1 is the sequence claimed */
    const char *values[S_INSERT_PARAMS - 1] = {
        alert->customer_id,
        rule,
        churn_rules_severity_name (alert->severity),
        state,
        churn_lifecycle_action_name (alert->action),
        alert->has_score ? score : NULL,
        alert->has_score ? churn_score_band_name (alert->band) : NULL,
        previous,
        factors,
        alert->has_interval ? since : NULL,
        alert->has_interval ? typical : NULL,
        fired,
        alert->owner_rep,
        alert->owner_team,
        alert->owner_region,
        day,
    };
    const char *key[] = { alert->customer_id, rule };
    sp_outbox_store_transition_t transition = { .key = key, .state = state, .values = values };
    int rc = sp_outbox_store_append (pg, &s_store, &transition, &alert->sequence,
                                     &alert->created_at_ms, error, error_size);
    free (factors);
    return rc;
}

/* Stores the four lifecycle states (inside the open transaction). */
static int
s_store_lifecycles (sp_pg_t *pg, const char *customer,
                    const churn_lifecycle_t states[CHURN_RULES_COUNT], char *error,
                    size_t error_size)
{
    char rules[S_ARRAY_SIZE], lifecycles[S_ARRAY_SIZE];
    size_t rules_used = 0, lifecycles_used = 0;
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        unsigned char packed[CHURN_LIFECYCLE_PACKED_MAX];
        size_t size = churn_lifecycle_pack (&states[rule], packed, sizeof packed);
        assert (size > 0);
        char hex[S_LIFECYCLE_HEX];
        s_hex (packed, size, hex);
        rules_used +=
            (size_t) snprintf (rules + rules_used, sizeof rules - rules_used, "%s%s",
                               rule ? "," : "{", churn_rules_rule_name ((churn_rules_rule_t) rule));
        lifecycles_used +=
            (size_t) snprintf (lifecycles + lifecycles_used, sizeof lifecycles - lifecycles_used,
                               "%s%s", rule ? "," : "{", hex);
    }
    snprintf (rules + rules_used, sizeof rules - rules_used, "}");
    snprintf (lifecycles + lifecycles_used, sizeof lifecycles - lifecycles_used, "}");
    const char *values[] = { customer, rules, lifecycles };
    sp_pg_result_t *result =
        s_exec (pg, "store the alerts' lifecycles", s_lifecycles_sql, 3, values, error, error_size);
    if (!result)
        return -1;
    sp_pg_result_destroy (&result);
    return 0;
}

int
churn_alert_store_write (sp_pg_t *pg, const char *customer, uint32_t partition,
                         const churn_alert_store_customer_t *before, const churn_history_t *history,
                         const churn_lifecycle_t states[CHURN_RULES_COUNT], churn_alert_t *alerts,
                         size_t count, char *error, size_t error_size)
{
    assert (pg && customer && before && history && states && (alerts || count == 0));
    assert (history->count >= 1);
    assert (!sp_pg_in_transaction (pg));
    unsigned char packed[CHURN_HISTORY_PACKED_MAX];
    size_t size = churn_history_pack (history, packed, sizeof packed);
    assert (size > 0);
    char hex[S_HISTORY_HEX], partition_text[S_NUMBER_SIZE], day[S_NUMBER_SIZE],
        revision[S_NUMBER_SIZE];
    s_hex (packed, size, hex);
    snprintf (partition_text, sizeof partition_text, "%" PRIu32, partition);
    snprintf (day, sizeof day, "%" PRId64, history->periods[history->count - 1].day);
    snprintf (revision, sizeof revision, "%" PRId64, before->revision);
    if (sp_pg_begin (pg) != 0) {
        sp_error_set (error, error_size, "could not begin a transaction: %s",
                      *sp_pg_error (pg) ? sp_pg_error (pg) : "postgresql refused");
        return -1;
    }
    int rc = -1;
    /* The customer's row first: the compare and set that decides, and
       the lock every other writer of this customer waits on. */
    const char *values[] = { customer, partition_text, day, hex, revision };
    sp_pg_result_t *result = before->stored ? s_exec (pg, "move the customer's scoring state",
                                                      s_move_sql, 5, values, error, error_size)
                                            : s_exec (pg, "create the customer's scoring state",
                                                      s_create_sql, 4, values, error, error_size);
    if (!result)
        goto out_rollback;
    bool moved = sp_pg_result_rows (result) == 1;
    sp_pg_result_destroy (&result);
    if (!moved) {
        rc = 0;
        goto out_rollback;
    }
    if (s_store_lifecycles (pg, customer, states, error, error_size) != 0)
        goto out_rollback;
    for (size_t index = 0; index < count; index++)
        if (s_append (pg, &alerts[index], error, error_size) != 0)
            goto out_rollback;
    if (sp_pg_commit (pg) != 0) {
        sp_error_set (error, error_size, "could not commit the alerts: %s",
                      *sp_pg_error (pg) ? sp_pg_error (pg) : "transaction failed");
        return -1;
    }
    return 1;

out_rollback:
    sp_pg_rollback (pg);
    return rc;
}

int
churn_alert_store_ack (sp_pg_t *pg, const char *customer, const churn_rules_rule_t *rule,
                       int64_t until_day, const char *rep, const char *note, unsigned *rules,
                       char *error, size_t error_size)
{
    assert (pg && customer && rep && rules);
    assert (!sp_pg_in_transaction (pg));
    if (sp_pg_begin (pg) != 0) {
        sp_error_set (error, error_size, "could not begin a transaction: %s",
                      *sp_pg_error (pg) ? sp_pg_error (pg) : "postgresql refused");
        return -1;
    }
    int acked = -1;
    unsigned done = 0;
    const char *touch[] = { customer };
    /* The customer's row first (the scorer's order), then the alerts. */
    sp_pg_result_t *result =
        s_exec (pg, "lock the customer's scoring state", s_touch_sql, 1, touch, error, error_size);
    if (!result)
        goto out_rollback;
    sp_pg_result_destroy (&result);
    const char *read[] = { customer, rule ? churn_rules_rule_name (*rule) : "" };
    result = s_exec (pg, "read the firing alerts", s_ack_read_sql, 2, read, error, error_size);
    if (!result)
        goto out_rollback;
    int rows = sp_pg_result_rows (result);
    for (int row = 0; row < rows; row++) {
        churn_rules_rule_t firing;
        churn_lifecycle_t state;
        char reason[CHURN_ALERT_STORE_REASON_SIZE] = "";
        const char *name = sp_pg_result_value (result, row, 0);
        if (churn_rules_rule_parse (name, &firing) != 0 ||
            s_read_lifecycle (result, row, 1, &state, reason, sizeof reason) != 0) {
            sp_error_set (error, error_size, "the %s alert of \"%s\" does not read: %s", name,
                          customer, reason);
            goto out_rollback;
        }
        /* acknowledged as of the last period scored */
        if (churn_lifecycle_ack (&state, state.last_day, until_day, rep, note, reason,
                                 sizeof reason) != 0) {
            sp_error_set (error, error_size, "could not acknowledge the %s alert: %s", name,
                          reason);
            goto out_rollback;
        }
        unsigned char packed[CHURN_LIFECYCLE_PACKED_MAX];
        char hex[S_LIFECYCLE_HEX];
        s_hex (packed, churn_lifecycle_pack (&state, packed, sizeof packed), hex);
        const char *write[] = { customer, name, hex };
        sp_pg_result_t *written =
            s_exec (pg, "store the acknowledgement", s_ack_write_sql, 3, write, error, error_size);
        if (!written)
            goto out_rollback;
        sp_pg_result_destroy (&written);
        done |= 1u << firing;
    }
    sp_pg_result_destroy (&result);
    if (sp_pg_commit (pg) != 0) {
        sp_error_set (error, error_size, "could not commit the acknowledgement: %s",
                      *sp_pg_error (pg) ? sp_pg_error (pg) : "transaction failed");
        return -1;
    }
    *rules = done;
    return rows;

out_rollback:
    sp_pg_result_destroy (&result);
    sp_pg_rollback (pg);
    return acked;
}
