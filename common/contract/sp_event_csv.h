/*  sp_event_csv - the CSV form of sales events: a streaming reader.

    Spreadsheets and ERP exports speak CSV, so `salesctl publish` accepts
    it next to JSON lines. The header row names the columns with the keys
    of the JSON form (docs/events.md); each following row is one event.
    RFC 4180: comma separated, cells optionally in double quotes with ""
    for a quote inside, commas and line breaks allowed inside quotes, rows
    ending in CRLF or LF, an optional UTF-8 byte order mark at the start.
    Blank lines are skipped. An empty cell means the field is absent.

    Each cell becomes a JSON value by its column: duration_minutes,
    duration_seconds, nps and csat become integers; occurred_at and
    planned_for become integers (UTC ms) when all digits, else stay RFC 3339
    strings; splits is written "rep_a:60;rep_b:40" (percent with at most 2
    decimals, split at the last ':' of each entry, so a rep_id in CSV cannot
    contain ';'); every other cell stays a string. The row is then mapped by
    sp_event_from_json_object, so CSV and JSON obey exactly the same rules.

        FILE *file = fopen (path, "r");
        sp_event_error_t error;
        sp_event_csv_t *csv = sp_event_csv_new (file, &error);
        sp_event_t *event;
        sp_event_csv_status_t status;
        while ((status = sp_event_csv_next (csv, &event, &error)) != SP_EVENT_CSV_END
               && status != SP_EVENT_CSV_FAILED) {
            if (status == SP_EVENT_CSV_EVENT) ... use, then sp_event_destroy (&event);
            else printf ("line %zu: %s\n", sp_event_csv_line (csv), error.message);
        }

    A buffer in memory is read through fmemopen(3).
*/
#ifndef SP_EVENT_CSV_H_INCLUDED
#define SP_EVENT_CSV_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

#include "sp_event.h"

/* Longest row sp_event_csv_new accepts, bytes, line end included (a
   longer one stops the reader: FAILED with TOO_LONG). */
#define SP_EVENT_CSV_ROW_MAX (1024 * 1024)

typedef struct _sp_event_csv_t sp_event_csv_t;

/* What sp_event_csv_next found. */
typedef enum {
    SP_EVENT_CSV_EVENT = 0, /* a valid event in *event_p */
    SP_EVENT_CSV_REJECTED,  /* the row breaks a rule, *error says which; reading may go on */
    SP_EVENT_CSV_END,       /* no more rows */
    SP_EVENT_CSV_FAILED,    /* the input cannot be read on, *error says why; stop: the
                               stream failed, or a row is longer than the limit (TOO_LONG,
                               the row at sp_event_csv_line) */
} sp_event_csv_status_t;

/* Reads and checks the header row from stream (borrowed: the caller
   closes it after sp_event_csv_destroy). Returns NULL with *error filled
   when the header is missing or malformed, names an unknown key
   (UNKNOWN_FIELD), names a key twice, lacks one of the columns every event
   needs (event_id, source, type, occurred_at: MISSING_FIELD), or on a read
   error, or is longer than SP_EVENT_CSV_ROW_MAX (TOO_LONG). Header errors
   are at line 1. */
sp_event_csv_t *sp_event_csv_new (FILE *stream, sp_event_error_t *error);

/* sp_event_csv_new with another limit: no row, header included, may be
   longer than max_row_bytes (> 0) bytes, its line end included. Reading
   stops after max_row_bytes + 1 bytes of a row without its end: the reader
   never holds or reads more, whatever the input (a file without line
   ends, /dev/zero). */
sp_event_csv_t *sp_event_csv_new_bounded (FILE *stream, size_t max_row_bytes,
                                          sp_event_error_t *error);

/* Closes the reader (not the stream). No-op on NULL; sets *self_p = NULL. */
void sp_event_csv_destroy (sp_event_csv_t **self_p);

/* Reads the next row. On SP_EVENT_CSV_EVENT *event_p is a new valid event
   the caller destroys, and *error is untouched; on REJECTED or FAILED
   *error says why and *event_p is untouched; on END both are untouched.
   After END or FAILED every further call returns the same. */
sp_event_csv_status_t sp_event_csv_next (sp_event_csv_t *self, sp_event_t **event_p,
                                         sp_event_error_t *error);

/* Line (1-based, counting physical lines of the input) on which the row
   last returned by sp_event_csv_next starts; 1 before the first call. */
size_t sp_event_csv_line (const sp_event_csv_t *self);

#endif
