/*  incentive_close - closing a period for incentive-calculator (see
    incentive_close.h). */
#include "incentive_close.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_outbox.h"

static const char s_insert_sql[] =
    "INSERT INTO incentive_statements (period, rep_id, statement_seq, currency, net_payout, "
    "document) VALUES ($1, $2, $3::bigint, $4, $5::bigint, $6)";

typedef struct {
    char *rep;
    char *document;
    char currency[4];
    int64_t net_payout;
} s_statement_t;

struct _incentive_close_t {
    char period[SP_PERIOD_LABEL_SIZE];
    s_statement_t *statements;
    size_t count;
};

void
incentive_close_destroy (incentive_close_t **self_p)
{
    assert (self_p);
    incentive_close_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++) {
        free (self->statements[index].rep);
        free (self->statements[index].document);
    }
    free (self->statements);
    free (self);
    *self_p = NULL;
}

incentive_close_t *
incentive_close_prepare (incentive_query_t *query, const char *period, char *error,
                         size_t error_size)
{
    assert (query && period);
    incentive_close_t *self = calloc (1, sizeof *self);
    char **reps = NULL;
    size_t rep_count = 0;
    sp_completeness_t *check = NULL;
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    snprintf (self->period, sizeof self->period, "%s", period);
    /* a close locks statements: refused unless the state held the whole
       log before the statements were read and still does after */
    if (incentive_query_completeness (query, &check, error, error_size) != 0)
        goto out_failed;
    if (!sp_completeness_complete (check))
        goto out_incomplete;
    if (incentive_query_reps (query, &reps, &rep_count, error, error_size) != 0)
        goto out_failed;
    self->statements = calloc (rep_count ? rep_count : 1, sizeof *self->statements);
    if (!self->statements) {
        sp_error_set (error, error_size, "out of memory");
        goto out_failed;
    }
    for (size_t index = 0; index < rep_count; index++) {
        char reason[INCENTIVE_QUERY_ERROR_SIZE];
        incentive_query_summary_t summary;
        char *text = incentive_query_statement_with (query, reps[index], period, NULL, true, NULL,
                                                     &summary, reason, sizeof reason);
        if (!text) {
            sp_error_set (error, error_size, "statement of %s: %s", reps[index], reason);
            goto out_failed;
        }
        /* a rep with no line and nothing owed has nothing to lock: reading
           the closed period later shows the same empty statement */
        if (summary.statement.line_count == 0 && summary.statement.opening_balance == 0) {
            free (text);
            continue;
        }
        s_statement_t *statement = &self->statements[self->count];
        statement->document = text;
        statement->net_payout = summary.statement.net_payout;
        snprintf (statement->currency, sizeof statement->currency, "%s",
                  incentive_query_currency (query));
        statement->rep = reps[index];
        reps[index] = NULL;
        self->count++;
    }
    if (incentive_query_completeness_confirm (query, check, error, error_size) != 0)
        goto out_failed;
    if (!sp_completeness_complete (check))
        goto out_incomplete;
    sp_completeness_destroy (&check);
    incentive_query_reps_free (&reps, rep_count);
    return self;
out_incomplete:;
    char line[INCENTIVE_CLOSE_ERROR_SIZE / 2];
    sp_completeness_text (check, line, sizeof line);
    sp_error_set (error, error_size,
                  "%s: statements would be partial; close again when it has caught up "
                  "(salesctl status)",
                  line);
out_failed:
    sp_completeness_destroy (&check);
    incentive_query_reps_free (&reps, rep_count);
    incentive_close_destroy (&self);
    return NULL;
}

size_t
incentive_close_count (const incentive_close_t *self)
{
    assert (self);
    return self->count;
}

int
incentive_close_store (const incentive_close_t *self, sp_pg_t *pg, char *error, size_t error_size)
{
    assert (self && pg);
    for (size_t index = 0; index < self->count; index++) {
        const s_statement_t *statement = &self->statements[index];
        int64_t sequence;
        if (sp_outbox_claim (pg, INCENTIVE_CLOSE_STREAM, &sequence, error, error_size) != 0)
            return -1;
        char sequence_text[24], net_text[24];
        snprintf (sequence_text, sizeof sequence_text, "%" PRId64, sequence);
        snprintf (net_text, sizeof net_text, "%" PRId64, statement->net_payout);
        sp_pg_result_t *result =
            sp_pg_exec (pg, s_insert_sql, 6,
                        (const char *[]){ self->period, statement->rep, sequence_text,
                                          statement->currency, net_text, statement->document },
                        NULL, NULL);
        bool ok = result && sp_pg_result_ok (result);
        if (!ok)
            sp_error_set (error, error_size, "could not store the statement of %s: %s",
                          statement->rep, result ? sp_pg_result_error (result) : "out of memory");
        sp_pg_result_destroy (&result);
        if (!ok)
            return -1;
    }
    return 0;
}
