/*  churn_alert_store_write - churn alerts and the scoring state in
    PostgreSQL (see churn_alert_store.h): the writing half. The batched
    write of what the scorer decided (churn_alert_store_write_batch, one
    statement: the customers' rows locked and moved or created by compare
    and set, their alerts under the stream's next sequences, their
    lifecycles and conditions) and the acknowledgement
    (churn_alert_store_ack). The
    reading half is in churn_alert_store.c; what the two files share is in
    churn_alert_store_internal.h.
*/
#include "churn_alert_store_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churn_array_text.h"
#include "sp_error.h"

/* Room for a packed value as hex ("\x" and two digits a byte). */
#define S_HEX_SIZE(bytes) (2 + 2 * (bytes) + 1)
#define S_LIFECYCLE_HEX S_HEX_SIZE (CHURN_LIFECYCLE_PACKED_MAX)
#define S_HISTORY_HEX S_HEX_SIZE (CHURN_HISTORY_PACKED_MAX)

/* The previous scores as an integer[] literal. */
#define S_PREVIOUS_SIZE (2 + CHURN_ALERT_PREVIOUS_MAX * 4 + 1)

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

/* The whole write of a batch in one statement, so one round trip and,
   outside a transaction, its own commit (was BEGIN, six statements and
   COMMIT: eight round trips). The parameters: $1 customers, $2
   partition, $3 last days, $4 histories (hex), $5 revisions read (NULL:
   not stored); $6 customers, $7 rules and $8 lifecycles (hex) of their
   lifecycle states; $9 the stream; $10-$25 the alerts' columns
   (S_MANY_*), in the order of writes. In the order the
   statement takes them: the rows of the customers that exist, locked in
   customer id order (that of every writer); those still at the revision
   read moved and those still absent created (compare and set: the
   others moved since the read and write nothing); the alerts of the
   customers written claim the stream's next sequences at once (the
   stream's head locked after the customers, as before) and are inserted
   under them; then every lifecycle state of the customers written is
   stored, each identity's latest alert of the batch setting its state
   and sequence (one upsert per condition row: a row may not be changed
   twice by one statement). Returns one row per customer written ('w',
   customer) and one per alert inserted ('a', customer, alert_seq,
   created_at in ms). Nothing is written when no row is (no claim, no
   alert). */
static const char s_write_sql[] =
    "WITH w AS (SELECT * FROM unnest ($1::text[], $3::integer[], $4::text[], $5::bigint[]) "
    "AS u (customer_id, day, history, revision)), "
    "locked AS MATERIALIZED (SELECT customer_id, revision FROM churn_customers "
    "WHERE customer_id = ANY ($1::text[]) ORDER BY customer_id FOR UPDATE), "
    "moved AS (UPDATE churn_customers c SET partition = $2::integer, "
    "last_day = date '1970-01-01' + w.day, history = decode (w.history, 'hex'), "
    "revision = c.revision + 1, updated_at = now () FROM locked l JOIN w "
    "ON w.customer_id = l.customer_id WHERE c.customer_id = l.customer_id "
    "AND w.revision = l.revision AND c.revision = l.revision RETURNING c.customer_id), "
    "created AS (INSERT INTO churn_customers (customer_id, partition, last_day, history) "
    "SELECT w.customer_id, $2::integer, date '1970-01-01' + w.day, decode (w.history, 'hex') "
    "FROM w WHERE w.revision IS NULL AND NOT EXISTS "
    "(SELECT 1 FROM locked l WHERE l.customer_id = w.customer_id) ORDER BY w.customer_id "
    "ON CONFLICT (customer_id) DO NOTHING RETURNING customer_id), "
    "written AS MATERIALIZED (SELECT customer_id FROM moved UNION ALL "
    "SELECT customer_id FROM created), "
    "alerts AS MATERIALIZED (SELECT u.*, row_number () OVER (ORDER BY u.n) AS k "
    "FROM unnest ($10::text[], $11::text[], $12::text[], $13::text[], $14::text[], "
    "$15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], "
    "$21::text[], $22::text[], $23::text[], $24::text[], $25::text[]) WITH ORDINALITY "
    "AS u (customer_id, rule, severity, state, action, score, band, previous, factors, since, "
    "typical, fired, rep, team, region, day, n) "
    "WHERE u.customer_id IN (SELECT customer_id FROM written)), "
    "total AS MATERIALIZED (SELECT count (*) AS alerts FROM alerts), "
    "claimed AS (INSERT INTO outbox_streams AS s (stream, head) "
    "SELECT $9::text, t.alerts FROM total t WHERE t.alerts > 0 "
    "ON CONFLICT (stream) DO UPDATE SET head = s.head + EXCLUDED.head, updated_at = now () "
    "RETURNING s.head), "
    "inserted AS (INSERT INTO churn_alerts (alert_seq, customer_id, rule, severity, state, "
    "action, score, band, previous_scores, factors, days_since_order, typical_interval_days, "
    "fired_day, owner_rep, owner_team, owner_region, occurred_at) "
    "SELECT c.head - t.alerts + a.k, a.customer_id, a.rule, a.severity, a.state, a.action, "
    "a.score::integer, a.band, a.previous::integer[], a.factors::jsonb, a.since::bigint, "
    "a.typical::bigint, date '1970-01-01' + a.fired::integer, a.rep, a.team, a.region, "
    "date '1970-01-01' + a.day::integer FROM alerts a CROSS JOIN claimed c CROSS JOIN total t "
    "ORDER BY a.k RETURNING alert_seq, customer_id, rule, state, created_at), "
    "latest AS (SELECT DISTINCT ON (customer_id, rule) customer_id, rule, state, alert_seq "
    "FROM inserted ORDER BY customer_id, rule, alert_seq DESC), "
    "conditions AS (INSERT INTO churn_alert_conditions AS o (customer_id, rule, lifecycle, "
    "state, sequence) SELECT l.customer_id, l.rule, decode (l.lifecycle, 'hex'), "
    "coalesce (x.state, 'none'), x.alert_seq "
    "FROM unnest ($6::text[], $7::text[], $8::text[]) AS l (customer_id, rule, lifecycle) "
    "LEFT JOIN latest x ON x.customer_id = l.customer_id AND x.rule = l.rule "
    "WHERE l.customer_id IN (SELECT customer_id FROM written) ORDER BY l.customer_id, l.rule "
    "ON CONFLICT (customer_id, rule) DO UPDATE SET lifecycle = EXCLUDED.lifecycle, "
    "state = CASE WHEN EXCLUDED.sequence IS NULL THEN o.state ELSE EXCLUDED.state END, "
    "sequence = coalesce (EXCLUDED.sequence, o.sequence), "
    "updated_at = CASE WHEN EXCLUDED.sequence IS NULL THEN o.updated_at ELSE now () END) "
    "SELECT 'w', customer_id, NULL::bigint, NULL::bigint FROM written UNION ALL "
    "SELECT 'a', customer_id, alert_seq, floor (extract (epoch FROM created_at) * 1000)::bigint "
    "FROM inserted";

/* The columns of an alert in s_write_sql ($10-$25), as arrays. */
enum {
    S_MANY_CUSTOMER = 0,
    S_MANY_RULE,
    S_MANY_SEVERITY,
    S_MANY_STATE,
    S_MANY_ACTION,
    S_MANY_SCORE,
    S_MANY_BAND,
    S_MANY_PREVIOUS,
    S_MANY_FACTORS,
    S_MANY_SINCE,
    S_MANY_TYPICAL,
    S_MANY_FIRED,
    S_MANY_REP,
    S_MANY_TEAM,
    S_MANY_REGION,
    S_MANY_DAY,
    S_MANY_COUNT
};

/* Adds alert's columns to the arrays (S_MANY_COUNT of them). Returns 0,
   or -1 when out of memory. */
static int
s_add_alert (churn_array_text_t *arrays, const churn_alert_t *alert)
{
    char previous[S_PREVIOUS_SIZE];
    s_previous_text (alert, previous, sizeof previous);
    char *factors = s_factors_text (alert);
    if (!factors)
        return -1;
    churn_array_text_add_quoted (&arrays[S_MANY_CUSTOMER], alert->customer_id);
    churn_array_text_add_quoted (&arrays[S_MANY_RULE], churn_rules_rule_name (alert->rule));
    churn_array_text_add_quoted (&arrays[S_MANY_SEVERITY],
                                 churn_rules_severity_name (alert->severity));
    churn_array_text_add_quoted (&arrays[S_MANY_STATE],
                                 churn_alert_state_name (churn_alert_state (alert->action)));
    churn_array_text_add_quoted (&arrays[S_MANY_ACTION],
                                 churn_lifecycle_action_name (alert->action));
    if (alert->has_score) {
        churn_array_text_add_int64 (&arrays[S_MANY_SCORE], alert->score);
        churn_array_text_add_quoted (&arrays[S_MANY_BAND], churn_score_band_name (alert->band));
    }
    else {
        churn_array_text_add_bare (&arrays[S_MANY_SCORE], "NULL");
        churn_array_text_add_bare (&arrays[S_MANY_BAND], "NULL");
    }
    churn_array_text_add_quoted (&arrays[S_MANY_PREVIOUS], previous);
    churn_array_text_add_quoted (&arrays[S_MANY_FACTORS], factors);
    if (alert->has_interval) {
        churn_array_text_add_int64 (&arrays[S_MANY_SINCE], alert->days_since_order);
        churn_array_text_add_int64 (&arrays[S_MANY_TYPICAL], alert->typical_interval_days);
    }
    else {
        churn_array_text_add_bare (&arrays[S_MANY_SINCE], "NULL");
        churn_array_text_add_bare (&arrays[S_MANY_TYPICAL], "NULL");
    }
    churn_array_text_add_int64 (&arrays[S_MANY_FIRED], alert->fired_day);
    churn_array_text_add_quoted (&arrays[S_MANY_REP], alert->owner_rep);
    churn_array_text_add_quoted (&arrays[S_MANY_TEAM], alert->owner_team);
    churn_array_text_add_quoted (&arrays[S_MANY_REGION], alert->owner_region);
    churn_array_text_add_int64 (&arrays[S_MANY_DAY], alert->day);
    free (factors);
    return 0;
}

/* The literals of a batch's write (s_write_sql's parameters but the
   partition and the stream). */
typedef struct {
    churn_array_text_t customers;            /* $1 ids, in the order of writes */
    churn_array_text_t days;                 /* $3 last days scored */
    churn_array_text_t histories;            /* $4 packed histories (hex) */
    churn_array_text_t revisions;            /* $5 revisions read (NULL: not stored) */
    churn_array_text_t lifecycle_customers;  /* $6 ids, CHURN_RULES_COUNT each */
    churn_array_text_t rules;                /* $7 rule names */
    churn_array_text_t lifecycles;           /* $8 packed lifecycles (hex) */
    churn_array_text_t alerts[S_MANY_COUNT]; /* $10-$25 the alerts' columns */
} s_arrays_t;

/* s_arrays_t's literals in the order of s_write_sql's parameters, with
   the partition ($2) and the stream ($9) between them. */
#define S_WRITE_PARAMS (9 + S_MANY_COUNT)

/* s_write_sql's name on a connection (sp_pg_prepare). */
#define S_WRITE_STATEMENT "churn_write_batch"

static void
s_arrays_reset (s_arrays_t *arrays)
{
    churn_array_text_reset (&arrays->customers);
    churn_array_text_reset (&arrays->days);
    churn_array_text_reset (&arrays->histories);
    churn_array_text_reset (&arrays->revisions);
    churn_array_text_reset (&arrays->lifecycle_customers);
    churn_array_text_reset (&arrays->rules);
    churn_array_text_reset (&arrays->lifecycles);
    for (int column = 0; column < S_MANY_COUNT; column++)
        churn_array_text_reset (&arrays->alerts[column]);
}

/* Adds write's row of churn_customers, its four lifecycle states and
   its alerts. Returns 0, or -1 when out of memory. */
static int
s_add_write (s_arrays_t *arrays, const churn_alert_store_write_t *write)
{
    unsigned char packed[CHURN_HISTORY_PACKED_MAX];
    size_t size = churn_history_pack (write->history, packed, sizeof packed);
    assert (size > 0);
    char hex[S_HISTORY_HEX];
    s_hex (packed, size, hex);
    churn_array_text_add_quoted (&arrays->customers, write->customer);
    churn_array_text_add_int64 (&arrays->days,
                                write->history->periods[write->history->count - 1].day);
    churn_array_text_add_bare (&arrays->histories, hex);
    if (write->before->stored)
        churn_array_text_add_int64 (&arrays->revisions, write->before->revision);
    else
        churn_array_text_add_bare (&arrays->revisions, "NULL");
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        unsigned char state[CHURN_LIFECYCLE_PACKED_MAX];
        size_t state_size = churn_lifecycle_pack (&write->states[rule], state, sizeof state);
        assert (state_size > 0);
        char state_hex[S_LIFECYCLE_HEX];
        s_hex (state, state_size, state_hex);
        churn_array_text_add_quoted (&arrays->lifecycle_customers, write->customer);
        churn_array_text_add_bare (&arrays->rules,
                                   churn_rules_rule_name ((churn_rules_rule_t) rule));
        churn_array_text_add_bare (&arrays->lifecycles, state_hex);
    }
    for (size_t alert = 0; alert < write->alert_count; alert++)
        if (s_add_alert (arrays->alerts, &write->alerts[alert]) != 0)
            return -1;
    return 0;
}

/* Marks the writes the statement's answer names written ('w' rows) and
   gives the alerts of those written, in the order of writes, the
   sequences inserted ('a' rows: consecutive, from the first, each the
   alert of the customer expected at its place). Returns the customers
   written, or -1 with the reason when the answer does not match. */
static int
s_take_answer (const sp_pg_result_t *result, churn_alert_store_write_t *writes, size_t count,
               char *error, size_t error_size)
{
    int rows = sp_pg_result_rows (result);
    int written = 0;
    size_t inserted = 0;
    int64_t first = 0, created_at_ms = 0;
    for (int row = 0; row < rows; row++) {
        const char *kind = sp_pg_result_value (result, row, 0);
        const char *customer = sp_pg_result_value (result, row, 1);
        if (strcmp (kind, "w") == 0) {
            for (size_t index = 0; index < count; index++)
                if (!writes[index].written && strcmp (writes[index].customer, customer) == 0) {
                    writes[index].written = true;
                    written++;
                    break;
                }
            continue;
        }
        int64_t sequence = 0;
        if (sp_pg_result_int64 (result, row, 2, &sequence) != 0 ||
            sp_pg_result_int64 (result, row, 3, &created_at_ms) != 0) {
            sp_error_set (error, error_size, "an alert's sequence does not read");
            return -1;
        }
        first = inserted == 0 || sequence < first ? sequence : first;
        inserted++;
    }
    /* the alerts expected: those of the customers written, in order */
    size_t expected = 0;
    for (size_t index = 0; index < count; index++)
        if (writes[index].written)
            expected += writes[index].alert_count;
    if (inserted != expected) {
        sp_error_set (error, error_size, "the write inserted %zu alerts for %zu", inserted,
                      expected);
        return -1;
    }
    /* one statement: one created_at (now ()) for all */
    int64_t sequence = first;
    for (size_t index = 0; index < count; index++)
        for (size_t alert = 0; writes[index].written && alert < writes[index].alert_count;
             alert++) {
            writes[index].alerts[alert].sequence = sequence++;
            writes[index].alerts[alert].created_at_ms = created_at_ms;
        }
    /* each alert inserted is the one expected at its sequence */
    for (int row = 0; row < rows; row++) {
        if (strcmp (sp_pg_result_value (result, row, 0), "a") != 0)
            continue;
        int64_t at = 0;
        sp_pg_result_int64 (result, row, 2, &at);
        const char *customer = sp_pg_result_value (result, row, 1);
        int64_t position = at - first;
        for (size_t index = 0; index < count && position >= 0; index++) {
            if (!writes[index].written)
                continue;
            if ((size_t) position < writes[index].alert_count) {
                if (strcmp (writes[index].customer, customer) != 0) {
                    sp_error_set (error, error_size,
                                  "alert %" PRId64 " was inserted for another customer", at);
                    return -1;
                }
                break;
            }
            position -= (int64_t) writes[index].alert_count;
        }
    }
    return written;
}

int
churn_alert_store_write_batch (sp_pg_t *pg, uint32_t partition, churn_alert_store_write_t *writes,
                               size_t count, char *error, size_t error_size)
{
    assert (pg && (writes || count == 0));
    assert (!sp_pg_in_transaction (pg));
    for (size_t index = 0; index < count; index++) {
        const churn_alert_store_write_t *write = &writes[index];
        assert (write->customer && write->before && write->history && write->states);
        assert (write->history->count >= 1 && (write->alerts || write->alert_count == 0));
        writes[index].written = false;
    }
    if (count == 0)
        return 0;
    s_arrays_t arrays;
    memset (&arrays, 0, sizeof arrays);
    char *literals[S_WRITE_PARAMS] = { NULL };
    sp_pg_result_t *result = NULL;
    int written = -1;
    for (size_t index = 0; index < count; index++)
        if (s_add_write (&arrays, &writes[index]) != 0) {
            sp_error_set (error, error_size, "out of memory");
            goto out_free;
        }
    char partition_text[CHURN_ALERT_STORE_INTERNAL_NUMBER_SIZE];
    snprintf (partition_text, sizeof partition_text, "%" PRIu32, partition);
    churn_array_text_t *ordered[S_WRITE_PARAMS] = {
        &arrays.customers,
        NULL,
        &arrays.days,
        &arrays.histories,
        &arrays.revisions,
        &arrays.lifecycle_customers,
        &arrays.rules,
        &arrays.lifecycles,
        NULL,
    };
    for (int column = 0; column < S_MANY_COUNT; column++)
        ordered[9 + column] = &arrays.alerts[column];
    const char *values[S_WRITE_PARAMS];
    for (int param = 0; param < S_WRITE_PARAMS; param++) {
        if (!ordered[param])
            continue;
        literals[param] = churn_array_text_finish (ordered[param]);
        if (!literals[param]) {
            sp_error_set (error, error_size, "out of memory");
            goto out_free;
        }
        values[param] = literals[param];
    }
    values[1] = partition_text;
    values[8] = CHURN_ALERT_STORE_STREAM;
    /* one statement, its own transaction: committed when it answers;
       prepared once per connection (sp_pg prepares it again after a
       reconnect), so it is not parsed and planned every time */
    if (sp_pg_prepare (pg, S_WRITE_STATEMENT, s_write_sql, S_WRITE_PARAMS) != 0) {
        sp_error_set (error, error_size, "could not prepare the write: %s",
                      *sp_pg_error (pg) ? sp_pg_error (pg) : "postgresql refused");
        goto out_free;
    }
    result = sp_pg_exec_prepared (pg, S_WRITE_STATEMENT, S_WRITE_PARAMS, values, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not store the scoring and its alerts: %s",
                      sp_pg_result_error (result));
        goto out_free;
    }
    written = s_take_answer (result, writes, count, error, error_size);
    if (written < 0)
        for (size_t index = 0; index < count; index++)
            writes[index].written = false;
out_free:
    sp_pg_result_destroy (&result);
    s_arrays_reset (&arrays);
    for (int param = 0; param < S_WRITE_PARAMS; param++)
        free (literals[param]);
    return written;
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
    sp_pg_result_t *result = churn_alert_store_internal_exec (
        pg, "lock the customer's scoring state", s_touch_sql, 1, touch, error, error_size);
    if (!result)
        goto out_rollback;
    sp_pg_result_destroy (&result);
    const char *read[] = { customer, rule ? churn_rules_rule_name (*rule) : "" };
    result = churn_alert_store_internal_exec (pg, "read the firing alerts", s_ack_read_sql, 2, read,
                                              error, error_size);
    if (!result)
        goto out_rollback;
    int rows = sp_pg_result_rows (result);
    for (int row = 0; row < rows; row++) {
        churn_rules_rule_t firing;
        churn_lifecycle_t state;
        char reason[CHURN_ALERT_STORE_REASON_SIZE] = "";
        const char *name = sp_pg_result_value (result, row, 0);
        if (churn_rules_rule_parse (name, &firing) != 0 ||
            churn_alert_store_internal_read_lifecycle (result, row, 1, &state, reason,
                                                       sizeof reason) != 0) {
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
        sp_pg_result_t *written = churn_alert_store_internal_exec (
            pg, "store the acknowledgement", s_ack_write_sql, 3, write, error, error_size);
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
