/*  incentive_statement_write - a statement's JSON document, whole in
    memory or written to a file as it is made (see incentive_statement.h);
    the statement itself is built by incentive_statement.c. */
#include "incentive_statement_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_json_text.h"

#define S_LINE_TEXT 512 /* bytes of JSON a line takes, about (the benchmark's: 442) */
#define S_HUGE_PAGE ((uintptr_t) 2 << 20)   /* bytes of a transparent huge page */
#define S_STREAM_CHUNK ((size_t) 256 << 10) /* bytes of a streamed statement handed on at once */

static int
s_no_memory (incentive_statement_internal_build_t *build)
{
    sp_error_set (build->error, build->error_size, "out of memory");
    return -1;
}

char *
incentive_statement_json (const incentive_statement_input_t *input, const char *period, char *error,
                          size_t error_size)
{
    return incentive_statement_json_with (input, period, NULL, NULL, error, error_size);
}

/* Where a statement's document goes: the whole text in memory, or a
   file it is written to as it is made. */
typedef struct {
    FILE *file;  /* NULL: in memory */
    bool failed; /* writing to file failed */
} s_sink_t;

/* Called after each line: hands what out holds on to the sink's file
   once it holds S_STREAM_CHUNK bytes (the rest goes when the document is
   done, incentive_statement_write). */
static void
s_flush (sp_json_text_t *out, void *arg)
{
    s_sink_t *sink = arg;
    if (out->length < S_STREAM_CHUNK)
        return;
    if (!sink->failed && !out->failed &&
        fwrite (out->data, 1, out->length, sink->file) != out->length)
        sink->failed = true;
    sp_json_text_clear (out);
}

/* Writes the document of statement (built) into out: the ledger's
   statement, "plans", "not_credited" and options' members, closing it;
   with a file in sink, handed on to it as it is written. */
static void
s_document (const incentive_statement_internal_build_t *build,
            const incentive_ledger_statement_t *statement,
            const incentive_statement_options_t *options, sp_json_text_t *out, s_sink_t *sink)
{
    incentive_ledger_statement_write_flushing (statement, out, sink->file ? s_flush : NULL, sink);
    sp_json_text_key (out, "plans");
    sp_json_text_open (out, '[');
    for (size_t index = 0; index < build->used_count; index++)
        sp_json_text_string (out, build->used[index]);
    sp_json_text_close (out, ']');
    sp_json_text_key (out, "not_credited");
    sp_json_text_open (out, '[');
    for (size_t index = 0; index < build->unpaid_count; index++) {
        sp_json_text_open (out, '{');
        sp_json_text_key (out, "event_id");
        sp_json_text_string (out, build->unpaid[index].event_id);
        sp_json_text_key (out, "reason");
        sp_json_text_string (out, build->unpaid[index].reason);
        sp_json_text_close (out, '}');
    }
    sp_json_text_close (out, ']');
    if (options && options->members && *options->members)
        sp_json_text_members (out, options->members);
    sp_json_text_close (out, '}');
}

/* Builds the statement of period: NULL with the reason in build; *stored
   the closed period's stored document, if it is one. Sets *summary. */
static incentive_ledger_statement_t *
s_statement (incentive_statement_internal_build_t *build, const char *period,
             const incentive_statement_options_t *options, incentive_statement_summary_t *summary,
             const char **stored)
{
    *stored = NULL;
    incentive_ledger_statement_t *statement =
        incentive_statement_internal_build (build, period, stored);
    if (!statement)
        return NULL;
    if (options && options->as_closed && !*stored)
        statement->closed = true;
    if (summary)
        *summary = (incentive_statement_summary_t){
            .stored = *stored != NULL,
            .closed = statement->closed || *stored,
            .line_count = statement->line_count,
            .opening_balance = statement->opening_balance,
            .net_payout = statement->net_payout,
        };
    return statement;
}

char *
incentive_statement_json_with (const incentive_statement_input_t *input, const char *period,
                               const incentive_statement_options_t *options,
                               incentive_statement_summary_t *summary, char *error,
                               size_t error_size)
{
    assert (input && period);
    incentive_statement_internal_build_t build = { .input = input,
                                                   .error = error,
                                                   .error_size = error_size };
    const char *stored = NULL;
    incentive_ledger_statement_t *statement =
        s_statement (&build, period, options, summary, &stored);
    char *text = NULL;
    if (!statement)
        goto out;
    if (stored) {
        text = strdup (stored);
        if (!text)
            s_no_memory (&build);
        goto out;
    }
    sp_json_text_t out = sp_json_text_new ();
    sp_json_text_reserve (&out, (statement->line_count + build.unpaid_count + 1) * S_LINE_TEXT);
    if (out.capacity >= S_HUGE_PAGE)
        incentive_statement_internal_advise_huge (out.data, out.capacity);
    s_sink_t memory = { NULL, false };
    s_document (&build, statement, options, &out, &memory);
    text = sp_json_text_finish (&out);
    if (!text)
        s_no_memory (&build);
out:
    incentive_ledger_statement_destroy (&statement);
    incentive_statement_internal_build_free (&build);
    return text;
}

int
incentive_statement_write (const incentive_statement_input_t *input, const char *period,
                           const incentive_statement_options_t *options,
                           incentive_statement_summary_t *summary, FILE *file, char *error,
                           size_t error_size)
{
    assert (input && period && file);
    incentive_statement_internal_build_t build = { .input = input,
                                                   .error = error,
                                                   .error_size = error_size };
    const char *stored = NULL;
    incentive_ledger_statement_t *statement =
        s_statement (&build, period, options, summary, &stored);
    int result = -1;
    if (!statement)
        goto out;
    s_sink_t sink = { file, false };
    if (stored)
        sink.failed = fputs (stored, file) == EOF;
    else {
        sp_json_text_t out = sp_json_text_new ();
        sp_json_text_reserve (&out, S_STREAM_CHUNK + S_LINE_TEXT);
        s_document (&build, statement, options, &out, &sink);
        bool no_memory = out.failed;
        if (!no_memory && !sink.failed && out.length > 0 &&
            fwrite (out.data, 1, out.length, file) != out.length)
            sink.failed = true;
        sp_json_text_discard (&out);
        if (no_memory) {
            s_no_memory (&build);
            goto out;
        }
    }
    if (sink.failed) {
        sp_error_set (error, error_size, "could not write the statement");
        goto out;
    }
    result = 0;
out:
    incentive_ledger_statement_destroy (&statement);
    incentive_statement_internal_build_free (&build);
    return result;
}
