/*  test_event_csv - the CSV reader: RFC 4180 quoting, CRLF, BOM, line
    numbers, header errors, row syntax errors, every cell conversion error
    and read failures.

    Input comes from memory through fmemopen(3) and fopencookie(3) (for a
    stream that fails mid-way), so no file is created.
*/
#define _GNU_SOURCE /* fopencookie */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "sp_event_csv.h"
#include "sp_log.h"

#define R(name) SALESPULSE__REJECT_REASON__REJECT_REASON_##name
#define T(name) SALESPULSE__EVENT_TYPE__EVENT_TYPE_##name
#define ERROR_FILL 0xAB /* pattern of an untouched error */
#define TEXT_SIZE 1024

#define EXAMPLE_PATH "tests/unit/common/data/events.csv" /* the example of docs/events.md */
#define PATH_SIZE 4096
#define CALL_HEADER "event_id,source,type,occurred_at,rep_id,customer_id,duration_seconds\n"

/* A reader over bytes in memory; the stream is closed by s_close. */
typedef struct {
    FILE *stream;           /* fmemopen'd input */
    sp_event_csv_t *csv;    /* reader, NULL when the header was refused */
    sp_event_error_t error; /* header error */
} reader_t;

static void
s_open_bytes (reader_t *reader, const char *bytes, size_t length)
{
    //  fmemopen needs a non-empty buffer; an empty input is a buffer read to its end
    static char empty[1];
    reader->stream = length ? fmemopen ((void *) bytes, length, "r") : fmemopen (empty, 1, "r");
    assert_non_null (reader->stream);
    if (!length)
        assert_int_equal (getc (reader->stream), 0);
    memset (&reader->error, ERROR_FILL, sizeof reader->error);
    reader->csv = sp_event_csv_new (reader->stream, &reader->error);
}

static void
s_open (reader_t *reader, const char *text)
{
    s_open_bytes (reader, text, strlen (text));
}

static void
s_close (reader_t *reader)
{
    sp_event_csv_destroy (&reader->csv);
    assert_null (reader->csv);
    fclose (reader->stream);
}

/* Next row must be an event of the type starting at line; returns it. */
static sp_event_t *
s_next_event (reader_t *reader, Salespulse__EventType type, size_t line)
{
    sp_event_t *event = NULL;
    sp_event_error_t error, untouched;
    memset (&error, ERROR_FILL, sizeof error);
    memset (&untouched, ERROR_FILL, sizeof untouched);
    sp_event_csv_status_t status = sp_event_csv_next (reader->csv, &event, &error);
    if (status != SP_EVENT_CSV_EVENT)
        print_error ("line %zu: %s\n", sp_event_csv_line (reader->csv), error.message);
    assert_int_equal (status, SP_EVENT_CSV_EVENT);
    assert_memory_equal (&error, &untouched, sizeof error);
    assert_non_null (event);
    assert_int_equal (event->type, type);
    assert_int_equal (sp_event_csv_line (reader->csv), line);
    return event;
}

/* Next row must be rejected at line with this error; *event_p stays. */
static void
s_next_rejected (reader_t *reader, size_t line, const char *field, sp_event_reason_t reason,
                 const char *message)
{
    sp_event_t *sentinel = (sp_event_t *) &sentinel;
    sp_event_t *event = sentinel;
    sp_event_error_t error;
    memset (&error, ERROR_FILL, sizeof error);
    assert_int_equal (sp_event_csv_next (reader->csv, &event, &error), SP_EVENT_CSV_REJECTED);
    assert_ptr_equal (event, sentinel);
    assert_int_equal (sp_event_csv_line (reader->csv), line);
    assert_string_equal (error.message, message);
    assert_string_equal (error.field, field);
    assert_int_equal (error.reason, reason);
}

static void
s_next_end (reader_t *reader)
{
    for (int repeat = 0; repeat < 2; repeat++) {
        sp_event_t *sentinel = (sp_event_t *) &sentinel;
        sp_event_t *event = sentinel;
        sp_event_error_t error, untouched;
        memset (&error, ERROR_FILL, sizeof error);
        memset (&untouched, ERROR_FILL, sizeof untouched);
        assert_int_equal (sp_event_csv_next (reader->csv, &event, &error), SP_EVENT_CSV_END);
        assert_ptr_equal (event, sentinel);
        assert_memory_equal (&error, &untouched, sizeof error);
    }
}

static void
s_expect_header_error (const char *text, size_t length, const char *field, sp_event_reason_t reason,
                       const char *message)
{
    reader_t reader;
    s_open_bytes (&reader, text, length);
    assert_null (reader.csv);
    assert_string_equal (reader.error.message, message);
    assert_string_equal (reader.error.field, field);
    assert_int_equal (reader.error.reason, reason);
    fclose (reader.stream);
}

// ---------------------------------------------------------------- reading

static void
test_rows_and_conversions (void **state)
{
    (void) state;
    const char *text =
        "event_id,source,type,occurred_at,rep_id,customer_id,opportunity_id,currency,amount,"
        "margin,splits,duration_seconds,reason,nps\n"
        "c1,cc,call,1493805600000,rep-a,acme,,,,,,420,,\n"
        "w1,crm,deal_won,2017-05-30T17:45:00Z,rep-a,acme,opp-1,EUR,24000.00,-10.5,"
        "rep-a:60;crm:rep:b:40,,,\n"
        "l1,crm,deal_lost,2017-06-02T09:00:00+02:00,,,opp-2,,,,,,\"price, and \"\"timing\"\"\n"
        "second line\",\n"
        "s1,surveys,survey,1000,,acme,,,,,,,,0\n";
    reader_t reader;
    s_open (&reader, text);
    assert_non_null (reader.csv);
    assert_int_equal (sp_event_csv_line (reader.csv), 1);

    sp_event_t *event = s_next_event (&reader, T (CALL), 2);
    assert_int_equal (event->occurred_at, INT64_C (1493805600000));
    assert_int_equal (event->call->duration_seconds, 420);
    assert_string_equal (event->opportunity_id, "");
    sp_event_destroy (&event);

    event = s_next_event (&reader, T (DEAL_WON), 3);
    assert_int_equal (event->deal_won->amount->amount_minor, 2400000);
    assert_int_equal (event->deal_won->margin->amount_minor, -1050);
    assert_int_equal (event->deal_won->n_splits, 2);
    assert_string_equal (event->deal_won->splits[0]->rep_id, "rep-a");
    //  A rep_id may contain ':' (the last one separates the percent)
    assert_string_equal (event->deal_won->splits[1]->rep_id, "crm:rep:b");
    assert_int_equal (event->deal_won->splits[1]->share_basis_points, 4000);
    sp_event_destroy (&event);

    event = s_next_event (&reader, T (DEAL_LOST), 4);
    assert_string_equal (event->deal_lost->reason, "price, and \"timing\"\nsecond line");
    assert_int_equal (event->occurred_at, INT64_C (1496386800000));
    sp_event_destroy (&event);

    //  The quoted line break counts: this row starts on line 6
    event = s_next_event (&reader, T (SURVEY), 6);
    assert_int_equal (event->survey->score_case, SALESPULSE__SURVEY__SCORE_NPS);
    assert_int_equal (event->survey->nps, 0);
    sp_event_destroy (&event);
    s_next_end (&reader);
    s_close (&reader);
}

static void
test_crlf_bom_blank_lines (void **state)
{
    (void) state;
    const char *text = "\xef\xbb\xbf"
                       "event_id,source,type,occurred_at,rep_id,customer_id,duration_seconds\r\n"
                       "\r\n"
                       "c1,cc,call,5,r,c,1\r\n"
                       "\n"
                       "\"c2\",\"cc\",\"call\",\"6\",\"r\",\"c\",\"2\"\r\n"
                       "c3,cc,call,7,r,c,3";
    reader_t reader;
    s_open (&reader, text);
    assert_non_null (reader.csv);
    sp_event_t *event = s_next_event (&reader, T (CALL), 3);
    assert_string_equal (event->event_id, "c1");
    sp_event_destroy (&event);
    event = s_next_event (&reader, T (CALL), 5);
    assert_string_equal (event->event_id, "c2");
    assert_int_equal (event->call->duration_seconds, 2);
    sp_event_destroy (&event);
    //  The last row needs no line break
    event = s_next_event (&reader, T (CALL), 6);
    assert_int_equal (event->occurred_at, 7);
    sp_event_destroy (&event);
    s_next_end (&reader);
    s_close (&reader);
}

static void
test_partial_bom (void **state)
{
    (void) state;
    //  Bytes that only start like a BOM belong to the header (and are refused there)
    const char text[] = "\xef\xbb"
                        "event_id,source,type,occurred_at\n";
    s_expect_header_error (text, sizeof text - 1, "\\xEF\\xBBevent_id", R (UNKNOWN_FIELD),
                           "field \"\\xEF\\xBBevent_id\": unknown column, see docs/events.md "
                           "for the keys");
    //  A BOM alone is an empty input
    s_expect_header_error ("\xef\xbb\xbf", 3, "", R (MALFORMED),
                           "no header row: the input is empty");
    //  A header shorter than a BOM
    s_expect_header_error ("ab", 2, "ab", R (UNKNOWN_FIELD),
                           "field \"ab\": unknown column, see docs/events.md for the keys");
}

// ---------------------------------------------------------------- header

static void
test_header_errors (void **state)
{
    (void) state;
    s_expect_header_error ("", 0, "", R (MALFORMED), "no header row: the input is empty");
    const char *unknown = "event_id,source,type,occurred_at,colour\n";
    s_expect_header_error (unknown, strlen (unknown), "colour", R (UNKNOWN_FIELD),
                           "field \"colour\": unknown column, see docs/events.md for the keys");
    const char *split_key = "event_id,source,type,occurred_at,percent\n";
    s_expect_header_error (split_key, strlen (split_key), "percent", R (UNKNOWN_FIELD),
                           "field \"percent\": unknown column, see docs/events.md for the keys");
    const char *twice = "event_id,source,type,occurred_at,rep_id,rep_id\n";
    s_expect_header_error (twice, strlen (twice), "rep_id", R (MALFORMED),
                           "field \"rep_id\": column appears twice in the header");
    const char *unnamed = "event_id,source,,type,occurred_at\n";
    s_expect_header_error (unnamed, strlen (unnamed), "", R (MALFORMED),
                           "header column 3 has no name");
    const char *no_type = "event_id,source,occurred_at,rep_id\n";
    s_expect_header_error (no_type, strlen (no_type), "type", R (MISSING_FIELD),
                           "field \"type\": required column missing from the header");
    const char *no_time = "event_id,source,type\n";
    s_expect_header_error (no_time, strlen (no_time), "occurred_at", R (MISSING_FIELD),
                           "field \"occurred_at\": required column missing from the header");
    const char *open_quote = "event_id,\"source,type,occurred_at\n";
    s_expect_header_error (open_quote, strlen (open_quote), "", R (MALFORMED),
                           "header row: quoted cell not closed before the end of the input");
    const char nul[] = "event_id,source,type,occurred_at,rep\0id\n";
    s_expect_header_error (nul, sizeof nul - 1, "rep\\x00id", R (UNKNOWN_FIELD),
                           "field \"rep\\x00id\": unknown column, see docs/events.md for the keys");
    //  Case and spaces matter
    const char *spaced = "event_id, source,type,occurred_at\n";
    s_expect_header_error (spaced, strlen (spaced), " source", R (UNKNOWN_FIELD),
                           "field \" source\": unknown column, see docs/events.md for the keys");
    //  Header only: no rows
    reader_t reader;
    s_open (&reader, "type,occurred_at,source,event_id\r\n");
    assert_non_null (reader.csv);
    s_next_end (&reader);
    s_close (&reader);
}

// ---------------------------------------------------------------- row syntax

static void
test_row_syntax_errors (void **state)
{
    (void) state;
    const char *text = CALL_HEADER "c1,cc,call,5,r,c\n"         //  2: too few cells
                                   "c2,cc,call,5,r,c,1,extra\n" //  3: too many
                                   "c3,c\"c,call,5,r,c,1\n"     //  4: quote in an unquoted cell
                                   "c4,\"cc\"x,call,5,r,c,1\n"  //  5: text after a closing quote
                                   "c5,cc,call,5,r,c,1\rc6\n"   //  6: bare CR
                                   "c7,cc,call,5,r,c,1\n"       //  7: fine, reading went on
                                   "c8,\"cc,call,5,r,c,1\n";    //  8: quote never closed
    reader_t reader;
    s_open (&reader, text);
    s_next_rejected (&reader, 2, "", R (MALFORMED), "row has 6 cells, the header has 7 columns");
    s_next_rejected (&reader, 3, "", R (MALFORMED), "row has 8 cells, the header has 7 columns");
    s_next_rejected (&reader, 4, "", R (MALFORMED),
                     "quote inside an unquoted cell (quote the whole cell and double the quote)");
    s_next_rejected (&reader, 5, "", R (MALFORMED), "text after the closing quote of a cell");
    s_next_rejected (&reader, 6, "", R (MALFORMED), "carriage return not followed by a line feed");
    sp_event_t *event = s_next_event (&reader, T (CALL), 7);
    sp_event_destroy (&event);
    s_next_rejected (&reader, 8, "", R (MALFORMED),
                     "quoted cell not closed before the end of the input");
    s_next_end (&reader);
    s_close (&reader);

    //  A CR at the very end
    s_open (&reader, CALL_HEADER "c1,cc,call,5,r,c,1\r");
    s_next_rejected (&reader, 2, "", R (MALFORMED), "carriage return not followed by a line feed");
    s_next_end (&reader);
    s_close (&reader);
}

/* A row longer than the limit stops the reader at that row: FAILED with
   TOO_LONG, again on every later call, and nothing past the limit is read
   (the rule of issue 14: the end of such a row may never come). */
static void
test_row_too_long (void **state)
{
    (void) state;
    size_t header = strlen (CALL_HEADER);
    const char *valid = "c1,cc,call,5,r,c,1\n";
    const char *start = "c2,cc,call,5,r,\"";
    const char *end = "\",1\nc3,cc,call,5,r,c,1\n";
    size_t filler = SP_EVENT_CSV_ROW_MAX;
    size_t size = header + strlen (valid) + strlen (start) + filler + strlen (end);
    char *text = malloc (size);
    assert_non_null (text);
    size_t used = 0;
    memcpy (text + used, CALL_HEADER, header);
    used += header;
    memcpy (text + used, valid, strlen (valid));
    used += strlen (valid);
    size_t long_row = used;
    memcpy (text + used, start, strlen (start));
    used += strlen (start);
    //  A long quoted cell with line breaks: the row still starts at line 3
    for (size_t i = 0; i < filler; i++)
        text[used + i] = i % 100 == 99 ? '\n' : 'x';
    used += filler;
    memcpy (text + used, end, strlen (end));
    used += strlen (end);
    assert_int_equal (used, size);
    reader_t reader;
    s_open_bytes (&reader, text, used);
    sp_event_t *event = s_next_event (&reader, T (CALL), 2);
    assert_string_equal (event->event_id, "c1");
    sp_event_destroy (&event);
    char message[TEXT_SIZE];
    snprintf (message, sizeof message, "row longer than %d bytes", SP_EVENT_CSV_ROW_MAX);
    for (int repeat = 0; repeat < 2; repeat++) {
        sp_event_t *sentinel = (sp_event_t *) &sentinel;
        event = sentinel;
        sp_event_error_t error;
        memset (&error, ERROR_FILL, sizeof error);
        assert_int_equal (sp_event_csv_next (reader.csv, &event, &error), SP_EVENT_CSV_FAILED);
        assert_ptr_equal (event, sentinel);
        assert_int_equal (sp_event_csv_line (reader.csv), 3);
        assert_int_equal (error.reason, R (TOO_LONG));
        assert_string_equal (error.field, "");
        assert_string_equal (error.message, message);
    }
    //  Read up to one byte past the limit, not on to the row's end
    assert_int_equal ((size_t) ftell (reader.stream), long_row + SP_EVENT_CSV_ROW_MAX + 1);
    s_close (&reader);
    free (text);
}

/* A stream that gives its prefix, then zero bytes that never end (as
   /dev/zero), counting the bytes given; it gives up after ZERO_GIVE_UP
   bytes so that a reader without a bound fails the test rather than
   hanging it. */
#define ZERO_GIVE_UP (64 * 1024 * 1024)

typedef struct {
    const char *prefix; /* text before the zeros */
    size_t given;       /* bytes given, prefix included */
} zero_t;

static ssize_t
s_zero_read (void *cookie, char *buffer, size_t size)
{
    zero_t *zero = cookie;
    if (zero->given >= ZERO_GIVE_UP)
        return 0;
    size_t prefix = strlen (zero->prefix);
    if (zero->given < prefix) {
        size_t count = prefix - zero->given < size ? prefix - zero->given : size;
        memcpy (buffer, zero->prefix + zero->given, count);
        zero->given += count;
        return (ssize_t) count;
    }
    memset (buffer, 0, size);
    zero->given += size;
    return (ssize_t) size;
}

/* An unbuffered zero_t stream, so every byte given was read. */
static FILE *
s_zero_open (zero_t *zero, const char *prefix)
{
    zero->prefix = prefix;
    zero->given = 0;
    cookie_io_functions_t functions = { .read = s_zero_read };
    FILE *stream = fopencookie (zero, "r", functions);
    assert_non_null (stream);
    assert_int_equal (setvbuf (stream, NULL, _IONBF, 0), 0);
    return stream;
}

/* The limit counts the row's bytes with its line end: a row of exactly
   the limit is read, one more byte stops the reader. A header over the
   limit refuses the input; on endless input (no line end ever), the
   reader stops after the limit and one byte. */
static void
test_row_limit (void **state)
{
    (void) state;
    size_t limit = strlen (CALL_HEADER); /* the header is exactly the limit */
    char text[TEXT_SIZE];
    const char *tail = ",c,1\n";
    size_t rep_length = limit - strlen ("c1,cc,call,5,") - strlen (tail);
    snprintf (text, sizeof text,
              CALL_HEADER "c1,cc,call,5,%.*s%s"
                          "c2,cc,call,5,%.*s%s",
              (int) rep_length, "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr",
              tail, (int) rep_length + 1,
              "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr", tail);
    FILE *stream = fmemopen (text, strlen (text), "r");
    assert_non_null (stream);
    sp_event_error_t error;
    sp_event_csv_t *csv = sp_event_csv_new_bounded (stream, limit, &error);
    assert_non_null (csv);
    reader_t reader = { stream, csv, error };
    sp_event_t *event = s_next_event (&reader, T (CALL), 2);
    assert_int_equal (strlen (event->rep_id), rep_length);
    sp_event_destroy (&event);
    assert_int_equal (sp_event_csv_next (csv, &event, &error), SP_EVENT_CSV_FAILED);
    assert_int_equal (sp_event_csv_line (csv), 3);
    assert_int_equal (error.reason, R (TOO_LONG));
    char message[TEXT_SIZE];
    snprintf (message, sizeof message, "row longer than %zu bytes", limit);
    assert_string_equal (error.message, message);
    s_close (&reader);

    //  A header one byte over the limit
    stream = fmemopen (text, strlen (text), "r");
    assert_non_null (stream);
    memset (&error, ERROR_FILL, sizeof error);
    assert_null (sp_event_csv_new_bounded (stream, limit - 1, &error));
    assert_int_equal (error.reason, R (TOO_LONG));
    snprintf (message, sizeof message, "header row longer than %zu bytes", limit - 1);
    assert_string_equal (error.message, message);
    fclose (stream);

    //  Endless zero bytes, with the default limit: the header is refused
    //  after SP_EVENT_CSV_ROW_MAX + 1 bytes
    zero_t zero;
    stream = s_zero_open (&zero, "");
    memset (&error, ERROR_FILL, sizeof error);
    assert_null (sp_event_csv_new (stream, &error));
    assert_int_equal (error.reason, R (TOO_LONG));
    snprintf (message, sizeof message, "header row longer than %d bytes", SP_EVENT_CSV_ROW_MAX);
    assert_string_equal (error.message, message);
    assert_int_equal (zero.given, (size_t) SP_EVENT_CSV_ROW_MAX + 1);
    fclose (stream);

    //  A good header, then endless zero bytes: the row is refused once it
    //  passes the limit
    stream = s_zero_open (&zero, CALL_HEADER);
    csv = sp_event_csv_new_bounded (stream, limit, &error);
    assert_non_null (csv);
    for (int repeat = 0; repeat < 2; repeat++) {
        memset (&error, ERROR_FILL, sizeof error);
        assert_int_equal (sp_event_csv_next (csv, &event, &error), SP_EVENT_CSV_FAILED);
        assert_int_equal (sp_event_csv_line (csv), 2);
        assert_int_equal (error.reason, R (TOO_LONG));
    }
    assert_int_equal (zero.given, limit + limit + 1);
    sp_event_csv_destroy (&csv);
    fclose (stream);
}

// ---------------------------------------------------------------- cells

static void
test_cell_errors (void **state)
{
    (void) state;
    const char text[] =
        "event_id,source,type,occurred_at,rep_id,customer_id,duration_seconds,nps,splits,"
        "currency,amount,opportunity_id\n"
        "a,cc,call,5,r,c,ten,,,,,\n"                        //  2
        "b,cc,call,5,r,c,7.5,,,,,\n"                        //  3
        "c,cc,call,5,r,c,99999999999999999999,,,,,\n"       //  4
        "d,s,survey,5,,c,,+7,,,,\n"                         //  5
        "e,cc,call,-5,r,c,1,,,,,\n"                         //  6
        "f,cc,call,99999999999999999999,r,c,1,,,,,\n"       //  7
        "g,crm,deal_won,5,r,,,,rep_a,USD,1,o\n"             //  8
        "h,crm,deal_won,5,r,,,,a:60;,USD,1,o\n"             //  9
        "i,crm,deal_won,5,r,,,,a:33.333;b:66.667,USD,1,o\n" // 10
        "j,cc,call,5,r\xff,c,1,,,,,\n"                      // 11
        "k,cc,call,5,r\0x,c,1,,,,,\n"                       // 12
        "l,cc,call,5,r,c,1,,,USD,1.00,\n"                   // 13
        "m,cc,call,5,r,c,-1,,,,,\n"                         // 14
        "n,crm,deal_won,5,r,,,,:100,USD,1,o\n"              // 15
        "o,crm,deal_won,5,r,,,,a:50;b:50,USD,1,o\n";        // 16
    reader_t reader;
    s_open_bytes (&reader, text, sizeof text - 1);
    s_next_rejected (&reader, 2, "duration_seconds", R (WRONG_TYPE),
                     "field \"duration_seconds\": expected an integer, got \"ten\"");
    s_next_rejected (&reader, 3, "duration_seconds", R (WRONG_TYPE),
                     "field \"duration_seconds\": expected an integer, got \"7.5\"");
    s_next_rejected (&reader, 4, "duration_seconds", R (OUT_OF_RANGE),
                     "field \"duration_seconds\": \"99999999999999999999\" is out of range");
    s_next_rejected (&reader, 5, "nps", R (WRONG_TYPE),
                     "field \"nps\": expected an integer, got \"+7\"");
    s_next_rejected (&reader, 6, "occurred_at", R (BAD_TIME),
                     "field \"occurred_at\": \"-5\" is not an RFC 3339 time such as "
                     "\"2017-05-03T10:00:00Z\"");
    s_next_rejected (&reader, 7, "occurred_at", R (OUT_OF_RANGE),
                     "field \"occurred_at\": \"99999999999999999999\" is out of range");
    s_next_rejected (&reader, 8, "splits", R (BAD_SPLITS),
                     "field \"splits\": entry \"rep_a\" is not rep_id:percent, write e.g. "
                     "\"rep_a:60;rep_b:40\"");
    s_next_rejected (&reader, 9, "splits", R (BAD_SPLITS),
                     "field \"splits\": entry \"\" is not rep_id:percent, write e.g. "
                     "\"rep_a:60;rep_b:40\"");
    s_next_rejected (&reader, 10, "splits[0].percent", R (BAD_AMOUNT),
                     "field \"splits[0].percent\": \"33.333\" is not a percentage with at most 2 "
                     "decimals such as \"33.34\"");
    s_next_rejected (&reader, 11, "rep_id", R (INVALID_UTF8), "field \"rep_id\": not valid UTF-8");
    s_next_rejected (&reader, 12, "rep_id", R (BAD_CHARSET),
                     "field \"rep_id\": contains a NUL character");
    s_next_rejected (&reader, 13, "amount", R (UNKNOWN_FIELD),
                     "field \"amount\": not a field of call events");
    s_next_rejected (&reader, 14, "duration_seconds", R (OUT_OF_RANGE),
                     "field \"duration_seconds\": -1 is out of range 1..86400");
    s_next_rejected (&reader, 15, "splits[0].rep_id", R (MISSING_FIELD),
                     "field \"splits[0].rep_id\": required for every split");
    sp_event_t *event = s_next_event (&reader, T (DEAL_WON), 16);
    assert_int_equal (event->deal_won->splits[1]->share_basis_points, 5000);
    sp_event_destroy (&event);
    s_next_end (&reader);
    s_close (&reader);
}

static void
test_rules_apply (void **state)
{
    (void) state;
    //  Empty cells are absent, so the rules of the type speak
    reader_t reader;
    s_open (&reader, CALL_HEADER ",cc,call,5,r,c,1\nx,cc,call,5,,c,1\ny,cc,visit,5,r,c,1\n");
    s_next_rejected (&reader, 2, "event_id", R (MISSING_FIELD),
                     "field \"event_id\": required for every event");
    s_next_rejected (&reader, 3, "rep_id", R (MISSING_FIELD),
                     "field \"rep_id\": required for call");
    s_next_rejected (&reader, 4, "type", R (UNKNOWN_TYPE),
                     "field \"type\": unknown event type \"visit\"");
    s_next_end (&reader);
    s_close (&reader);
}

// ---------------------------------------------------------------- failures

/* A stream that gives its text, then fails with EIO. */
typedef struct {
    const char *text; /* bytes to give */
    size_t offset;    /* bytes given */
} failing_t;

static ssize_t
s_failing_read (void *cookie, char *buffer, size_t size)
{
    failing_t *failing = cookie;
    size_t left = strlen (failing->text) - failing->offset;
    if (left == 0) {
        errno = EIO;
        return -1;
    }
    size_t count = left < size ? left : size;
    memcpy (buffer, failing->text + failing->offset, count);
    failing->offset += count;
    return (ssize_t) count;
}

static void
test_read_failure (void **state)
{
    (void) state;
    char *log_text = NULL;
    size_t log_size = 0;
    FILE *log = open_memstream (&log_text, &log_size);
    assert_non_null (log);
    sp_log_set_stream (log);

    cookie_io_functions_t functions = { .read = s_failing_read };
    failing_t failing = { CALL_HEADER "c1,cc,call,5,r,c,1\n", 0 };
    FILE *stream = fopencookie (&failing, "r", functions);
    assert_non_null (stream);
    sp_event_error_t error;
    sp_event_csv_t *csv = sp_event_csv_new (stream, &error);
    assert_non_null (csv);
    sp_event_t *event = NULL;
    assert_int_equal (sp_event_csv_next (csv, &event, &error), SP_EVENT_CSV_EVENT);
    sp_event_destroy (&event);
    for (int repeat = 0; repeat < 2; repeat++) {
        memset (&error, ERROR_FILL, sizeof error);
        assert_int_equal (sp_event_csv_next (csv, &event, &error), SP_EVENT_CSV_FAILED);
        assert_null (event);
        assert_string_equal (error.message,
                             "could not read the CSV input at line 3: Input/output error");
    }
    sp_event_csv_destroy (&csv);
    fclose (stream);

    //  Failing before the header is read
    failing_t nothing = { "", 0 };
    stream = fopencookie (&nothing, "r", functions);
    assert_non_null (stream);
    assert_null (sp_event_csv_new (stream, &error));
    assert_int_equal (error.reason, R (MALFORMED));
    assert_string_equal (error.message, "could not read the CSV header: Input/output error");
    fclose (stream);

    sp_log_set_stream (NULL);
    fclose (log);
    assert_non_null (strstr (log_text, "could not read CSV events"));
    free (log_text);
}

/* The CSV example of docs/events.md reads without an error. */
static void
test_documented_example (void **state)
{
    (void) state;
    const char *root = getenv ("SP_SOURCE_DIR");
    char path[PATH_SIZE];
    snprintf (path, sizeof path, "%s/%s", root && *root ? root : ".", EXAMPLE_PATH);
    FILE *file = fopen (path, "r");
    if (!file)
        print_error ("cannot open %s\n", path);
    assert_non_null (file);
    sp_event_error_t error;
    sp_event_csv_t *csv = sp_event_csv_new (file, &error);
    assert_non_null (csv);
    reader_t reader = { file, csv, error };
    const Salespulse__EventType types[] = { T (CALL), T (DEAL_WON), T (DEAL_LOST), T (SURVEY) };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        sp_event_t *event = s_next_event (&reader, types[i], i + 2);
        if (types[i] == T (DEAL_WON)) {
            assert_int_equal (event->occurred_at, INT64_C (1496166300000));
            assert_int_equal (event->deal_won->margin->amount_minor, 720050);
            assert_int_equal (event->deal_won->splits[0]->share_basis_points, 6000);
        }
        if (types[i] == T (DEAL_LOST))
            assert_string_equal (event->deal_lost->reason, "price, then \"timing\"");
        sp_event_destroy (&event);
    }
    s_next_end (&reader);
    s_close (&reader);
}

static void
test_destroy_null (void **state)
{
    (void) state;
    sp_event_csv_t *csv = NULL;
    sp_event_csv_destroy (&csv);
    assert_null (csv);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_rows_and_conversions),
        cmocka_unit_test (test_crlf_bom_blank_lines),
        cmocka_unit_test (test_partial_bom),
        cmocka_unit_test (test_header_errors),
        cmocka_unit_test (test_row_syntax_errors),
        cmocka_unit_test (test_row_too_long),
        cmocka_unit_test (test_row_limit),
        cmocka_unit_test (test_cell_errors),
        cmocka_unit_test (test_rules_apply),
        cmocka_unit_test (test_read_failure),
        cmocka_unit_test (test_documented_example),
        cmocka_unit_test (test_destroy_null),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
