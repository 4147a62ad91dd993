/*  incentive_outbox - closed statements as an outbox stream (see
    incentive_outbox.h). */
#include "incentive_outbox.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "incentive_close.h"
#include "sp_error.h"

static const char s_after_sql[] =
    "SELECT s.statement_seq, s.rep_id, s.period, s.currency, s.net_payout, s.document, "
    "(extract (epoch FROM c.closed_at) * 1000)::bigint "
    "FROM incentive_statements s JOIN period_closes c ON c.period = s.period "
    "WHERE s.statement_seq > $1::bigint ORDER BY s.statement_seq LIMIT $2::bigint";

int
incentive_outbox_page (void *arg, sp_pg_t *pg, int64_t after, size_t limit, int64_t *last,
                       char *error, size_t error_size)
{
    const incentive_outbox_reader_t *reader = arg;
    assert (reader && pg && last);
    char after_text[24], limit_text[24];
    snprintf (after_text, sizeof after_text, "%" PRId64, after);
    snprintf (limit_text, sizeof limit_text, "%zu", limit);
    sp_pg_result_t *result =
        sp_pg_exec (pg, s_after_sql, 2, (const char *[]){ after_text, limit_text }, NULL, NULL);
    if (!result || !sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not read the statements: %s",
                      result ? sp_pg_result_error (result) : "out of memory");
        sp_pg_result_destroy (&result);
        return -1;
    }
    int rows = sp_pg_result_rows (result);
    for (int row = 0; row < rows; row++) {
        incentive_outbox_row_t read = {
            .sequence = strtoll (sp_pg_result_value (result, row, 0), NULL, 10),
            .rep_id = sp_pg_result_value (result, row, 1),
            .period = sp_pg_result_value (result, row, 2),
            .currency = sp_pg_result_value (result, row, 3),
            .net_payout = strtoll (sp_pg_result_value (result, row, 4), NULL, 10),
            .document = sp_pg_result_value (result, row, 5),
            .closed_at_ms = strtoll (sp_pg_result_value (result, row, 6), NULL, 10),
        };
        if (reader->visit (reader->arg, &read, error, error_size) != 0) {
            sp_pg_result_destroy (&result);
            return -1;
        }
        if (read.sequence > *last)
            *last = read.sequence;
    }
    sp_pg_result_destroy (&result);
    return rows;
}

void
incentive_outbox_topic (const char *rep_id, char *topic)
{
    snprintf (topic, INCENTIVE_OUTBOX_TOPIC_SIZE, "%s%s", INCENTIVE_CLOSE_TOPIC, rep_id);
}

uint8_t *
incentive_outbox_pack (const incentive_outbox_row_t *row, size_t *size)
{
    assert (row && size);
    Salespulse__IncentiveStatement message = SALESPULSE__INCENTIVE_STATEMENT__INIT;
    message.statement_seq = (uint64_t) row->sequence;
    message.rep_id = (char *) row->rep_id;
    message.period = (char *) row->period;
    message.currency = (char *) row->currency;
    message.net_payout = row->net_payout;
    message.document = (char *) row->document;
    message.closed_at_ms = row->closed_at_ms;
    *size = salespulse__incentive_statement__get_packed_size (&message);
    uint8_t *bytes = malloc (*size ? *size : 1);
    if (bytes)
        salespulse__incentive_statement__pack (&message, bytes);
    return bytes;
}
