/*  churn_alert_store_write - churn alerts and the scoring state in
    PostgreSQL (see churn_alert_store.h): the writing half. The batched
    write of what the scorer decided (churn_alert_store_write_batch: the
    customers' rows locked and moved or created by compare and set, their
    lifecycles, then their alerts and conditions under the stream's next
    sequences) and the acknowledgement (churn_alert_store_ack). The
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
#include "sp_outbox.h"

/* Room for a packed value as hex ("\x" and two digits a byte). */
#define S_HEX_SIZE(bytes) (2 + 2 * (bytes) + 1)
#define S_LIFECYCLE_HEX S_HEX_SIZE (CHURN_LIFECYCLE_PACKED_MAX)
#define S_HISTORY_HEX S_HEX_SIZE (CHURN_HISTORY_PACKED_MAX)

/* The previous scores as an integer[] literal. */
#define S_PREVIOUS_SIZE (2 + CHURN_ALERT_PREVIOUS_MAX * 4 + 1)

/* $1 customers (text[]): the rows that exist, locked in one order (that
   of every writer), with their revisions. */
static const char s_lock_sql[] =
    "SELECT customer_id, revision FROM churn_customers WHERE customer_id = ANY ($1::text[]) "
    "ORDER BY customer_id FOR UPDATE";

/* $1 customers, $2 partition, $3 last days, $4 histories (hex): the rows
   of customers never scored; returns those created. */
static const char s_create_sql[] =
    "INSERT INTO churn_customers (customer_id, partition, last_day, history) "
    "SELECT u.customer_id, $2::integer, date '1970-01-01' + u.day, decode(u.history, 'hex') "
    "FROM unnest($1::text[], $3::integer[], $4::text[]) AS u (customer_id, day, history) "
    "ORDER BY u.customer_id ON CONFLICT (customer_id) DO NOTHING RETURNING customer_id";

/* The same over $5, the revisions read: returns the rows moved. */
static const char s_move_sql[] =
    "UPDATE churn_customers c SET partition = $2::integer, last_day = date '1970-01-01' + u.day, "
    "history = decode(u.history, 'hex'), revision = c.revision + 1, updated_at = now() "
    "FROM unnest($1::text[], $3::integer[], $4::text[], $5::bigint[]) "
    "AS u (customer_id, day, history, revision) "
    "WHERE c.customer_id = u.customer_id AND c.revision = u.revision RETURNING c.customer_id";

/* $1 customers, $2 rules, $3 lifecycles (hex), as text[] literals. */
static const char s_lifecycles_sql[] =
    "INSERT INTO churn_alert_conditions (customer_id, rule, lifecycle) "
    "SELECT u.customer_id, u.rule, decode(u.lifecycle, 'hex') "
    "FROM unnest($1::text[], $2::text[], $3::text[]) AS u (customer_id, rule, lifecycle) "
    "ORDER BY u.customer_id, u.rule "
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

/* The alerts of a batch ($1 the first sequence claimed, then one text[]
   per column, the alerts in order): each under the next sequence;
   returns each one's sequence and created_at. */
static const char s_insert_many_sql[] =
    "INSERT INTO churn_alerts (alert_seq, customer_id, rule, severity, state, action, score, band, "
    "previous_scores, factors, days_since_order, typical_interval_days, fired_day, owner_rep, "
    "owner_team, owner_region, occurred_at) "
    "SELECT $1::bigint + u.n - 1, u.customer_id, u.rule, u.severity, u.state, u.action, "
    "u.score::integer, u.band, u.previous::integer[], u.factors::jsonb, u.since::bigint, "
    "u.typical::bigint, date '1970-01-01' + u.fired::integer, u.rep, u.team, u.region, "
    "date '1970-01-01' + u.day::integer "
    "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
    "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], "
    "$15::text[], $16::text[], $17::text[]) WITH ORDINALITY AS u (customer_id, rule, severity, "
    "state, action, score, band, previous, factors, since, typical, fired, rep, team, region, "
    "day, n) ORDER BY u.n "
    "RETURNING alert_seq, floor(extract(epoch FROM created_at) * 1000)::bigint";

/* The conditions of a batch's alerts ($1 the first sequence, $2
   customers, $3 rules, $4 states, in the alerts' order): each
   identity's latest alert of the batch. */
static const char s_conditions_many_sql[] =
    "INSERT INTO churn_alert_conditions (customer_id, rule, state, sequence) "
    "SELECT DISTINCT ON (u.customer_id, u.rule) u.customer_id, u.rule, u.state, "
    "$1::bigint + u.n - 1 "
    "FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u (customer_id, rule, "
    "state, n) ORDER BY u.customer_id, u.rule, u.n DESC "
    "ON CONFLICT (customer_id, rule) DO UPDATE "
    "SET state = EXCLUDED.state, sequence = EXCLUDED.sequence, updated_at = now()";

/* The columns of s_insert_many_sql after the sequence, as arrays. */
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

/* Inserts the alerts of the customers written (inside the open
   transaction), in the order of writes, under the stream's next
   sequences, claimed at once (sp_outbox_claim_many), and sets each
   one's sequence and created_at_ms; then each identity's condition.
   Three statements whatever the number of alerts (it was three per
   alert). Returns 0, or -1 with the reason. */
static int
s_append_all (sp_pg_t *pg, churn_alert_store_write_t *writes, size_t count, char *error,
              size_t error_size)
{
    size_t alerts = 0;
    for (size_t index = 0; index < count; index++)
        if (writes[index].written)
            alerts += writes[index].alert_count;
    if (alerts == 0)
        return 0;
    churn_array_text_t arrays[S_MANY_COUNT];
    char *literals[S_MANY_COUNT];
    memset (arrays, 0, sizeof arrays);
    memset (literals, 0, sizeof literals);
    sp_pg_result_t *result = NULL;
    int rc = -1;
    int64_t first = 0;
    if (sp_outbox_claim_many (pg, CHURN_ALERT_STORE_STREAM, (int64_t) alerts, &first, error,
                              error_size) != 0)
        return -1;
    for (size_t index = 0; index < count; index++)
        for (size_t alert = 0; writes[index].written && alert < writes[index].alert_count; alert++)
            if (s_add_alert (arrays, &writes[index].alerts[alert]) != 0) {
                sp_error_set (error, error_size, "out of memory");
                goto out_free;
            }
    for (int column = 0; column < S_MANY_COUNT; column++) {
        literals[column] = churn_array_text_finish (&arrays[column]);
        if (!literals[column]) {
            sp_error_set (error, error_size, "out of memory");
            goto out_free;
        }
    }
    char first_text[CHURN_ALERT_STORE_INTERNAL_NUMBER_SIZE];
    snprintf (first_text, sizeof first_text, "%" PRId64, first);
    const char *values[1 + S_MANY_COUNT] = { first_text };
    for (int column = 0; column < S_MANY_COUNT; column++)
        values[1 + column] = literals[column];
    result = churn_alert_store_internal_exec (pg, "insert the alerts", s_insert_many_sql,
                                              1 + S_MANY_COUNT, values, error, error_size);
    if (!result)
        goto out_free;
    int64_t created_at_ms = 0;
    if ((size_t) sp_pg_result_rows (result) != alerts ||
        sp_pg_result_int64 (result, 0, 1, &created_at_ms) != 0) {
        sp_error_set (error, error_size, "the alerts' insert returned %d rows for %zu alerts",
                      sp_pg_result_rows (result), alerts);
        goto out_free;
    }
    /* one transaction: one created_at (now()) for all */
    int64_t sequence = first;
    for (size_t index = 0; index < count; index++)
        for (size_t alert = 0; writes[index].written && alert < writes[index].alert_count;
             alert++) {
            writes[index].alerts[alert].sequence = sequence++;
            writes[index].alerts[alert].created_at_ms = created_at_ms;
        }
    sp_pg_result_destroy (&result);
    const char *conditions[] = { first_text, literals[S_MANY_CUSTOMER], literals[S_MANY_RULE],
                                 literals[S_MANY_STATE] };
    result =
        churn_alert_store_internal_exec (pg, "update the alerts' conditions", s_conditions_many_sql,
                                         4, conditions, error, error_size);
    if (!result)
        goto out_free;
    rc = 0;
out_free:
    sp_pg_result_destroy (&result);
    for (int column = 0; column < S_MANY_COUNT; column++) {
        churn_array_text_reset (&arrays[column]);
        free (literals[column]);
    }
    return rc;
}

/* The array literals of a batch's statements. */
typedef struct {
    churn_array_text_t customers;  /* ids */
    churn_array_text_t days;       /* last days scored */
    churn_array_text_t histories;  /* packed histories (hex) */
    churn_array_text_t revisions;  /* revisions read (moves only) */
    churn_array_text_t rules;      /* rule names (lifecycles only) */
    churn_array_text_t lifecycles; /* packed lifecycles (hex) */
} s_arrays_t;

static void
s_arrays_reset (s_arrays_t *arrays)
{
    churn_array_text_reset (&arrays->customers);
    churn_array_text_reset (&arrays->days);
    churn_array_text_reset (&arrays->histories);
    churn_array_text_reset (&arrays->revisions);
    churn_array_text_reset (&arrays->rules);
    churn_array_text_reset (&arrays->lifecycles);
}

/* Adds write's row of churn_customers (its revision read when move). */
static void
s_add_customer_row (s_arrays_t *arrays, const churn_alert_store_write_t *write, bool move)
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
    if (move)
        churn_array_text_add_int64 (&arrays->revisions, write->before->revision);
}

/* Adds write's four lifecycle states. */
static void
s_add_lifecycles (s_arrays_t *arrays, const churn_alert_store_write_t *write)
{
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++) {
        unsigned char packed[CHURN_LIFECYCLE_PACKED_MAX];
        size_t size = churn_lifecycle_pack (&write->states[rule], packed, sizeof packed);
        assert (size > 0);
        char hex[S_LIFECYCLE_HEX];
        s_hex (packed, size, hex);
        churn_array_text_add_quoted (&arrays->customers, write->customer);
        churn_array_text_add_bare (&arrays->rules,
                                   churn_rules_rule_name ((churn_rules_rule_t) rule));
        churn_array_text_add_bare (&arrays->lifecycles, hex);
    }
}

/* Runs sql over the arrays (count literals, in order: customers, then
   partition when given, then the rest) and marks the writes whose
   customer it returns (column 0) as written. */
static int
s_exec_arrays (sp_pg_t *pg, const char *what, const char *sql, const char *partition,
               churn_array_text_t *const *arrays, int count, churn_alert_store_write_t *writes,
               size_t write_count, char *error, size_t error_size)
{
    enum { S_ARRAYS_MAX = 5 };
    assert (count >= 1 && count <= S_ARRAYS_MAX - (partition ? 1 : 0));
    char *literals[S_ARRAYS_MAX] = { NULL };
    const char *values[S_ARRAYS_MAX + 1];
    int value_count = 0, rc = -1;
    for (int index = 0; index < count; index++) {
        literals[index] = churn_array_text_finish (arrays[index]);
        if (!literals[index]) {
            sp_error_set (error, error_size, "out of memory");
            goto out_free;
        }
        values[value_count++] = literals[index];
        if (index == 0 && partition)
            values[value_count++] = partition;
    }
    sp_pg_result_t *result =
        churn_alert_store_internal_exec (pg, what, sql, value_count, values, error, error_size);
    if (!result)
        goto out_free;
    int rows = sp_pg_result_columns (result) > 0 ? sp_pg_result_rows (result) : 0;
    for (int row = 0; row < rows; row++) {
        const char *customer = sp_pg_result_value (result, row, 0);
        for (size_t index = 0; index < write_count; index++)
            if (strcmp (writes[index].customer, customer) == 0)
                writes[index].written = true;
    }
    sp_pg_result_destroy (&result);
    rc = 0;
out_free:
    for (int index = 0; index < count; index++)
        free (literals[index]);
    return rc;
}

/* Locks the rows of the batch's customers that exist (in the order every
   writer takes them) and marks in *move each write whose row is still at
   the revision read (to move) and in *create each whose row still does
   not exist (to create); the others moved since the read. */
static int
s_lock_customers (sp_pg_t *pg, const churn_alert_store_write_t *writes, size_t count, bool *move,
                  bool *create, char *error, size_t error_size)
{
    churn_array_text_t ids = { 0 };
    for (size_t index = 0; index < count; index++)
        churn_array_text_add_quoted (&ids, writes[index].customer);
    char *literal = churn_array_text_finish (&ids);
    if (!literal) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    const char *values[] = { literal };
    sp_pg_result_t *result = churn_alert_store_internal_exec (
        pg, "lock the customers' scoring state", s_lock_sql, 1, values, error, error_size);
    free (literal);
    if (!result)
        return -1;
    for (size_t index = 0; index < count; index++) {
        move[index] = false;
        create[index] = !writes[index].before->stored;
    }
    int rc = 0;
    int rows = sp_pg_result_rows (result);
    for (int row = 0; row < rows; row++) {
        const char *customer = sp_pg_result_value (result, row, 0);
        int64_t revision = 0;
        if (sp_pg_result_int64 (result, row, 1, &revision) != 0) {
            sp_error_set (error, error_size, "the revision of \"%s\" does not read", customer);
            rc = -1;
            break;
        }
        for (size_t index = 0; index < count; index++)
            if (strcmp (writes[index].customer, customer) == 0) {
                const churn_alert_store_customer_t *before = writes[index].before;
                create[index] = false;
                move[index] = before->stored && before->revision == revision;
            }
    }
    sp_pg_result_destroy (&result);
    return rc;
}

/* Inside the open transaction: moves or creates the rows still as read,
   stores the lifecycles of those written and appends their alerts in
   order. */
static int
s_write_rows (sp_pg_t *pg, uint32_t partition, churn_alert_store_write_t *writes, size_t count,
              const bool *move, const bool *create, char *error, size_t error_size)
{
    char partition_text[CHURN_ALERT_STORE_INTERNAL_NUMBER_SIZE];
    snprintf (partition_text, sizeof partition_text, "%" PRIu32, partition);
    s_arrays_t arrays;
    memset (&arrays, 0, sizeof arrays);
    int rc = -1;
    size_t moves = 0, creates = 0;
    for (size_t index = 0; index < count; index++)
        if (move[index]) {
            s_add_customer_row (&arrays, &writes[index], true);
            moves++;
        }
    churn_array_text_t *move_arrays[] = { &arrays.customers, &arrays.days, &arrays.histories,
                                          &arrays.revisions };
    if (moves > 0 &&
        s_exec_arrays (pg, "move the customers' scoring state", s_move_sql, partition_text,
                       move_arrays, 4, writes, count, error, error_size) != 0)
        goto out_reset;
    s_arrays_reset (&arrays);
    for (size_t index = 0; index < count; index++)
        if (create[index]) {
            s_add_customer_row (&arrays, &writes[index], false);
            creates++;
        }
    churn_array_text_t *create_arrays[] = { &arrays.customers, &arrays.days, &arrays.histories };
    if (creates > 0 &&
        s_exec_arrays (pg, "create the customers' scoring state", s_create_sql, partition_text,
                       create_arrays, 3, writes, count, error, error_size) != 0)
        goto out_reset;
    s_arrays_reset (&arrays);
    size_t written = 0;
    for (size_t index = 0; index < count; index++)
        if (writes[index].written) {
            s_add_lifecycles (&arrays, &writes[index]);
            written++;
        }
    churn_array_text_t *lifecycle_arrays[] = { &arrays.customers, &arrays.rules,
                                               &arrays.lifecycles };
    /* returns no customer: marks nothing */
    if (written > 0 && s_exec_arrays (pg, "store the alerts' lifecycles", s_lifecycles_sql, NULL,
                                      lifecycle_arrays, 3, NULL, 0, error, error_size) != 0)
        goto out_reset;
    /* the alerts claim their sequences in the batch's order */
    if (s_append_all (pg, writes, count, error, error_size) != 0)
        goto out_reset;
    rc = (int) written;
out_reset:
    s_arrays_reset (&arrays);
    return rc;
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
    bool *move = calloc (count, sizeof *move);
    bool *create = calloc (count, sizeof *create);
    int written = -1;
    if (!move || !create) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    if (sp_pg_begin (pg) != 0) {
        sp_error_set (error, error_size, "could not begin a transaction: %s",
                      *sp_pg_error (pg) ? sp_pg_error (pg) : "postgresql refused");
        goto out_free;
    }
    /* The customers' rows first: the compare and set that decides, and
       the locks every other writer of these customers waits on; the
       stream's head (the alerts' sequences) after them. */
    if (s_lock_customers (pg, writes, count, move, create, error, error_size) != 0)
        goto out_rollback;
    written = s_write_rows (pg, partition, writes, count, move, create, error, error_size);
    if (written < 0)
        goto out_rollback;
    if (written == 0) {
        sp_pg_rollback (pg); /* every row moved: nothing to keep */
        goto out_free;
    }
    if (sp_pg_commit (pg) != 0) {
        sp_error_set (error, error_size, "could not commit the alerts: %s",
                      *sp_pg_error (pg) ? sp_pg_error (pg) : "transaction failed");
        written = -1;
        goto out_unmark;
    }
    goto out_free;

out_rollback:
    sp_pg_rollback (pg);
    written = -1;
out_unmark:
    for (size_t index = 0; index < count; index++)
        writes[index].written = false;
out_free:
    free (create);
    free (move);
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
