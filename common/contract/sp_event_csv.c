/*  sp_event_csv - the CSV form of sales events (see sp_event_csv.h).

    A byte-at-a-time RFC 4180 state machine reads one row into a buffer of
    NUL-terminated cells; the header row's cells become the column keys.
    A row is turned into a JSON object (cell conversions by column key)
    and handed to sp_event_from_json_object, so the rules live in one place.

    A row that breaks the CSV syntax is skipped up to the end of its
    physical line and reported; reading goes on with the next row. A row
    longer than the limit stops the reader at once, without looking for
    its end: a line end may never come (/dev/zero), and skipping to it
    would spin or block forever. Line numbers count physical lines, so a
    row whose quoted cell spans lines is reported at the line it starts on.
*/
#include "sp_event_csv.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sp_event_json.h"
#include "sp_log.h"

#define S_BOM_LENGTH 3          /* EF BB BF */
#define S_INITIAL_DATA_SIZE 256 /* first capacity of the row buffer, bytes */
#define S_INITIAL_CELL_COUNT 16 /* first capacity of the cell array */
#define S_DECIMAL_BASE 10

static const unsigned char s_bom[S_BOM_LENGTH] = { 0xEF, 0xBB, 0xBF };

/* Columns every event needs, checked at the header. */
static const char *const s_required_columns[] = { "event_id", "source", "type", "occurred_at" };

/* Columns whose cells are JSON integers. */
static const char *const s_integer_columns[] = { "duration_minutes", "duration_seconds", "nps",
                                                 "csat" };

/* Columns whose cells are times: all digits = UTC ms, else RFC 3339. */
static const char *const s_time_columns[] = { "occurred_at", "planned_for" };

#define S_COUNT(array) (sizeof (array) / sizeof (array)[0])

/* One cell of the current row. */
typedef struct {
    size_t offset; /* start in the row buffer; the cell ends with a NUL */
    size_t length; /* bytes, excluding that NUL */
    bool quoted;   /* written in double quotes */
} s_cell_t;

/* Where the row state machine is. */
typedef enum {
    S_STATE_CELL_START, /* before the first byte of a cell */
    S_STATE_UNQUOTED,   /* inside a cell without quotes */
    S_STATE_QUOTED,     /* inside a quoted cell */
    S_STATE_QUOTE,      /* a quote inside a quoted cell: "" or its end */
    S_STATE_CR,         /* a CR outside quotes: LF must follow */
    S_STATE_SKIP,       /* after a syntax error: skip to the end of the line */
} s_state_t;

/* How reading a row ended. */
typedef enum {
    S_ROW_READ,       /* a row (its cells, or a problem) is in the reader */
    S_ROW_END,        /* no more input */
    S_ROW_READ_ERROR, /* the stream failed */
    S_ROW_TOO_LONG,   /* more than max_row_bytes read without the row ending */
} s_row_t;

struct _sp_event_csv_t {
    FILE *stream;                        /* borrowed input */
    unsigned char pending[S_BOM_LENGTH]; /* bytes read ahead at the start (not a BOM) */
    size_t pending_start;                /* next pending byte to return */
    size_t pending_end;                  /* end of pending bytes */
    size_t line;                         /* physical line of the next byte */
    size_t row_line;                     /* line the last row started on */
    char *data;                          /* cells of the current row */
    size_t data_length;                  /* bytes used in data */
    size_t data_size;                    /* capacity of data */
    size_t row_bytes;                    /* input bytes of the current row */
    size_t max_row_bytes;                /* longest row read, bytes, line end included */
    s_cell_t *cells;                     /* cells of the current row */
    size_t cell_count;                   /* cells used */
    size_t cell_size;                    /* capacity of cells */
    size_t cell_start;                   /* offset where the open cell started */
    bool cell_quoted;                    /* the open cell is quoted */
    bool has_problem;                    /* the current row broke the syntax */
    sp_event_error_t problem;            /* the first such break */
    bool out_of_memory;                  /* a buffer could not grow */
    char **columns;                      /* header keys */
    size_t column_count;                 /* number of columns */
    bool finished;                       /* END or FAILED was returned */
    sp_event_csv_status_t final_status;  /* which one */
    sp_event_error_t final_error;        /* why it FAILED */
};

// ---------------------------------------------------------------- bytes

static int
s_getc (sp_event_csv_t *self)
{
    if (self->pending_start < self->pending_end)
        return self->pending[self->pending_start++];
    return getc (self->stream);
}

/* Skips a UTF-8 byte order mark at the start; other bytes stay to be read. */
static void
s_skip_bom (sp_event_csv_t *self)
{
    while (self->pending_end < S_BOM_LENGTH) {
        int c = getc (self->stream);
        if (c == EOF)
            break;
        self->pending[self->pending_end++] = (unsigned char) c;
        if (c != s_bom[self->pending_end - 1])
            return;
    }
    if (self->pending_end == S_BOM_LENGTH)
        self->pending_start = S_BOM_LENGTH;
}

static void
s_problem (sp_event_csv_t *self, sp_event_reason_t reason, const char *message)
{
    if (self->has_problem)
        return;
    self->has_problem = true;
    sp_event_error_set (&self->problem, "", reason, "%s", message);
}

static void
s_append (sp_event_csv_t *self, char c)
{
    if (self->has_problem || self->out_of_memory)
        return;
    if (self->data_length + 1 >= self->data_size) {
        size_t size = self->data_size * 2;
        char *data = (char *) realloc (self->data, size);
        if (!data) {
            self->out_of_memory = true;
            return;
        }
        self->data = data;
        self->data_size = size;
    }
    self->data[self->data_length++] = c;
}

static void
s_end_cell (sp_event_csv_t *self)
{
    s_append (self, '\0');
    if (self->has_problem || self->out_of_memory)
        return;
    if (self->cell_count == self->cell_size) {
        size_t size = self->cell_size * 2;
        s_cell_t *cells = (s_cell_t *) realloc (self->cells, size * sizeof *cells);
        if (!cells) {
            self->out_of_memory = true;
            return;
        }
        self->cells = cells;
        self->cell_size = size;
    }
    s_cell_t *cell = &self->cells[self->cell_count++];
    cell->offset = self->cell_start;
    cell->length = self->data_length - 1 - self->cell_start;
    cell->quoted = self->cell_quoted;
    self->cell_start = self->data_length;
    self->cell_quoted = false;
}

/* Reads one row: its cells, or the first syntax problem in it. */
static s_row_t
s_read_row (sp_event_csv_t *self)
{
    self->data_length = 0;
    self->row_bytes = 0;
    self->cell_count = 0;
    self->cell_start = 0;
    self->cell_quoted = false;
    self->has_problem = false;
    self->row_line = self->line;
    s_state_t state = S_STATE_CELL_START;
    for (;;) {
        int c = s_getc (self);
        if (c == EOF) {
            if (ferror (self->stream))
                return S_ROW_READ_ERROR;
            if (self->row_bytes == 0)
                return S_ROW_END;
            if (state == S_STATE_QUOTED)
                s_problem (self, SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                           "quoted cell not closed before the end of the input");
            else if (state == S_STATE_CR)
                s_problem (self, SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                           "carriage return not followed by a line feed");
            s_end_cell (self);
            return S_ROW_READ;
        }
        if (++self->row_bytes > self->max_row_bytes)
            return S_ROW_TOO_LONG;
        if (c == '\n')
            self->line++;
        switch (state) {
            case S_STATE_SKIP:
                if (c == '\n')
                    return S_ROW_READ;
                break;
            case S_STATE_CR:
                if (c == '\n') {
                    s_end_cell (self);
                    return S_ROW_READ;
                }
                s_problem (self, SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                           "carriage return not followed by a line feed");
                state = S_STATE_SKIP;
                break;
            case S_STATE_CELL_START:
            case S_STATE_UNQUOTED:
                if (c == ',') {
                    s_end_cell (self);
                    state = S_STATE_CELL_START;
                }
                else if (c == '\n') {
                    s_end_cell (self);
                    return S_ROW_READ;
                }
                else if (c == '\r')
                    state = S_STATE_CR;
                else if (c == '"' && state == S_STATE_CELL_START) {
                    self->cell_quoted = true;
                    state = S_STATE_QUOTED;
                }
                else if (c == '"') {
                    s_problem (self, SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                               "quote inside an unquoted cell (quote the whole cell and "
                               "double the quote)");
                    state = S_STATE_SKIP;
                }
                else {
                    s_append (self, (char) c);
                    state = S_STATE_UNQUOTED;
                }
                break;
            case S_STATE_QUOTED:
                if (c == '"')
                    state = S_STATE_QUOTE;
                else
                    s_append (self, (char) c);
                break;
            case S_STATE_QUOTE:
                if (c == '"') {
                    s_append (self, '"');
                    state = S_STATE_QUOTED;
                }
                else if (c == ',') {
                    s_end_cell (self);
                    state = S_STATE_CELL_START;
                }
                else if (c == '\n') {
                    s_end_cell (self);
                    return S_ROW_READ;
                }
                else if (c == '\r')
                    state = S_STATE_CR;
                else {
                    s_problem (self, SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                               "text after the closing quote of a cell");
                    state = S_STATE_SKIP;
                }
                break;
        }
    }
}

static bool
s_row_is_blank (const sp_event_csv_t *self)
{
    return self->cell_count == 1 && self->cells[0].length == 0 && !self->cells[0].quoted;
}

static const char *
s_cell_text (const sp_event_csv_t *self, size_t index)
{
    return self->data + self->cells[index].offset;
}

static bool
s_in_list (const char *key, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp (list[i], key) == 0)
            return true;
    return false;
}

// ---------------------------------------------------------------- header

/* The refusal of a row longer than the limit. */
static void
s_too_long (const sp_event_csv_t *self, const char *what, sp_event_error_t *error)
{
    sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_TOO_LONG,
                        "%s longer than %zu bytes", what, self->max_row_bytes);
}

static int
s_read_header (sp_event_csv_t *self, sp_event_error_t *error)
{
    s_row_t row = s_read_row (self);
    if (row == S_ROW_TOO_LONG) {
        s_too_long (self, "header row", error);
        return -1;
    }
    if (row == S_ROW_READ_ERROR) {
        int code = errno;
        if (code != EINTR) /* an interrupted read is the caller's doing, not a failure */
            sp_log_warn ("could not read CSV events", "line=1 error=\"%s\"", strerror (code));
        sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                            "could not read the CSV header: %s", strerror (code));
        return -1;
    }
    if (row == S_ROW_END) {
        sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                            "no header row: the input is empty");
        return -1;
    }
    if (self->out_of_memory) {
        sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_UNSPECIFIED,
                            "out of memory");
        return -1;
    }
    if (self->has_problem) {
        sp_event_error_set (error, "", self->problem.reason, "header row: %s",
                            self->problem.message);
        return -1;
    }
    self->columns = (char **) calloc (self->cell_count, sizeof *self->columns);
    if (!self->columns) {
        sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_UNSPECIFIED,
                            "out of memory");
        return -1;
    }
    for (size_t i = 0; i < self->cell_count; i++) {
        const char *key = s_cell_text (self, i);
        size_t length = self->cells[i].length;
        char quoted[SP_EVENT_QUOTE_SIZE];
        sp_event_quote (key, length, quoted, sizeof quoted);
        if (length == 0) {
            sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                                "header column %zu has no name", i + 1);
            return -1;
        }
        if (strlen (key) != length || !sp_event_json_key_known (key)) {
            sp_event_error_set (error, quoted,
                                SALESPULSE__REJECT_REASON__REJECT_REASON_UNKNOWN_FIELD,
                                "unknown column, see docs/events.md for the keys");
            return -1;
        }
        for (size_t j = 0; j < self->column_count; j++) {
            if (strcmp (self->columns[j], key) == 0) {
                sp_event_error_set (error, key, SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                                    "column appears twice in the header");
                return -1;
            }
        }
        self->columns[i] = strdup (key);
        if (!self->columns[i]) {
            sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_UNSPECIFIED,
                                "out of memory");
            return -1;
        }
        self->column_count++;
    }
    for (size_t r = 0; r < S_COUNT (s_required_columns); r++) {
        if (!s_in_list (s_required_columns[r], (const char *const *) self->columns,
                        self->column_count)) {
            sp_event_error_set (error, s_required_columns[r],
                                SALESPULSE__REJECT_REASON__REJECT_REASON_MISSING_FIELD,
                                "required column missing from the header");
            return -1;
        }
    }
    return 0;
}

sp_event_csv_t *
sp_event_csv_new (FILE *stream, sp_event_error_t *error)
{
    return sp_event_csv_new_bounded (stream, SP_EVENT_CSV_ROW_MAX, error);
}

sp_event_csv_t *
sp_event_csv_new_bounded (FILE *stream, size_t max_row_bytes, sp_event_error_t *error)
{
    assert (stream);
    assert (max_row_bytes > 0);
    sp_event_csv_t *self = (sp_event_csv_t *) calloc (1, sizeof *self);
    if (!self)
        goto out_fail;
    self->stream = stream;
    self->max_row_bytes = max_row_bytes;
    self->line = 1;
    self->row_line = 1;
    self->data_size = S_INITIAL_DATA_SIZE;
    self->data = (char *) malloc (self->data_size);
    if (!self->data)
        goto out_destroy;
    self->cell_size = S_INITIAL_CELL_COUNT;
    self->cells = (s_cell_t *) malloc (self->cell_size * sizeof *self->cells);
    if (!self->cells)
        goto out_destroy;
    s_skip_bom (self);
    sp_event_error_t local;
    if (s_read_header (self, &local)) {
        if (error)
            *error = local;
        sp_event_csv_destroy (&self);
        return NULL;
    }
    return self;

out_destroy:
    sp_event_csv_destroy (&self);
out_fail:
    sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_UNSPECIFIED,
                        "out of memory");
    return NULL;
}

void
sp_event_csv_destroy (sp_event_csv_t **self_p)
{
    assert (self_p);
    sp_event_csv_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->column_count; i++)
        free (self->columns[i]);
    free (self->columns);
    free (self->cells);
    free (self->data);
    free (self);
    *self_p = NULL;
}

size_t
sp_event_csv_line (const sp_event_csv_t *self)
{
    assert (self);
    return self->row_line;
}

// ---------------------------------------------------------------- cells

/* Whole cell as a decimal integer: -?[0-9]+. */
static int
s_cell_integer (const char *key, const char *text, json_t **value, sp_event_error_t *error)
{
    const char *digits = *text == '-' ? text + 1 : text;
    bool well_formed = *digits != '\0';
    for (const char *c = digits; *c && well_formed; c++)
        well_formed = *c >= '0' && *c <= '9';
    char quoted[SP_EVENT_QUOTE_SIZE];
    if (!well_formed) {
        sp_event_error_set (error, key, SALESPULSE__REJECT_REASON__REJECT_REASON_WRONG_TYPE,
                            "expected an integer, got \"%s\"",
                            sp_event_quote (text, strlen (text), quoted, sizeof quoted));
        return -1;
    }
    errno = 0;
    char *end = NULL;
    long long number = strtoll (text, &end, S_DECIMAL_BASE);
    if (errno == ERANGE || !end || *end != '\0') {
        sp_event_error_set (error, key, SALESPULSE__REJECT_REASON__REJECT_REASON_OUT_OF_RANGE,
                            "\"%s\" is out of range",
                            sp_event_quote (text, strlen (text), quoted, sizeof quoted));
        return -1;
    }
    *value = json_integer ((json_int_t) number);
    return 0;
}

static bool
s_all_digits (const char *text)
{
    if (*text == '\0')
        return false;
    for (; *text; text++)
        if (*text < '0' || *text > '9')
            return false;
    return true;
}

/* "rep_a:60;rep_b:40" -> [{"rep_id": "rep_a", "percent": "60"}, ...]. */
static int
s_cell_splits (const char *text, size_t length, json_t **value, sp_event_error_t *error)
{
    json_t *array = json_array ();
    if (!array)
        goto out_of_memory;
    const char *cursor = text;
    const char *end = text + length;
    for (;;) {
        const char *stop = (const char *) memchr (cursor, ';', (size_t) (end - cursor));
        if (!stop)
            stop = end;
        const char *colon = NULL;
        for (const char *c = cursor; c < stop; c++)
            if (*c == ':')
                colon = c;
        if (!colon) {
            char quoted[SP_EVENT_QUOTE_SIZE];
            sp_event_error_set (
                error, "splits", SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_SPLITS,
                "entry \"%s\" is not rep_id:percent, write e.g. "
                "\"rep_a:60;rep_b:40\"",
                sp_event_quote (cursor, (size_t) (stop - cursor), quoted, sizeof quoted));
            json_decref (array);
            return -1;
        }
        json_t *split = json_pack ("{s:s%,s:s%}", "rep_id", cursor, (size_t) (colon - cursor),
                                   "percent", colon + 1, (size_t) (stop - colon - 1));
        if (!split || json_array_append_new (array, split))
            goto out_free_array;
        if (stop == end)
            break;
        cursor = stop + 1;
    }
    *value = array;
    return 0;

out_free_array:
    json_decref (array);
out_of_memory:
    sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_UNSPECIFIED,
                        "out of memory");
    return -1;
}

/* The JSON value of one non-empty cell. */
static int
s_cell_to_json (const char *key, const char *text, size_t length, json_t **value,
                sp_event_error_t *error)
{
    if (memchr (text, '\0', length)) {
        sp_event_error_set (error, key, SALESPULSE__REJECT_REASON__REJECT_REASON_BAD_CHARSET,
                            "contains a NUL character");
        return -1;
    }
    if (!sp_event_utf8_valid (text, length)) {
        sp_event_error_set (error, key, SALESPULSE__REJECT_REASON__REJECT_REASON_INVALID_UTF8,
                            "not valid UTF-8");
        return -1;
    }
    if (s_in_list (key, s_integer_columns, S_COUNT (s_integer_columns)) ||
        (s_in_list (key, s_time_columns, S_COUNT (s_time_columns)) && s_all_digits (text))) {
        if (s_cell_integer (key, text, value, error))
            return -1;
    }
    else if (strcmp (key, "splits") == 0) {
        if (s_cell_splits (text, length, value, error))
            return -1;
    }
    else
        *value = json_stringn (text, length);
    if (!*value) {
        sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_UNSPECIFIED,
                            "out of memory");
        return -1;
    }
    return 0;
}

/* The current row as an event. */
static sp_event_t *
s_row_to_event (sp_event_csv_t *self, sp_event_error_t *error)
{
    json_t *object = json_object ();
    if (!object) {
        sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_UNSPECIFIED,
                            "out of memory");
        return NULL;
    }
    sp_event_t *event = NULL;
    for (size_t i = 0; i < self->cell_count; i++) {
        if (self->cells[i].length == 0)
            continue;
        json_t *value = NULL;
        if (s_cell_to_json (self->columns[i], s_cell_text (self, i), self->cells[i].length, &value,
                            error))
            goto out_free_object;
        if (json_object_set_new (object, self->columns[i], value)) {
            sp_event_error_set (error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_UNSPECIFIED,
                                "out of memory");
            goto out_free_object;
        }
    }
    event = sp_event_from_json_object (object, error);

out_free_object:
    json_decref (object);
    return event;
}

static sp_event_csv_status_t
s_finish (sp_event_csv_t *self, sp_event_csv_status_t status, sp_event_error_t *error)
{
    self->finished = true;
    self->final_status = status;
    if (status == SP_EVENT_CSV_FAILED && error)
        *error = self->final_error;
    return status;
}

sp_event_csv_status_t
sp_event_csv_next (sp_event_csv_t *self, sp_event_t **event_p, sp_event_error_t *error)
{
    assert (self);
    assert (event_p);
    if (self->finished) {
        if (self->final_status == SP_EVENT_CSV_FAILED && error)
            *error = self->final_error;
        return self->final_status;
    }
    for (;;) {
        s_row_t row = s_read_row (self);
        if (row == S_ROW_END)
            return s_finish (self, SP_EVENT_CSV_END, error);
        if (row == S_ROW_TOO_LONG) {
            s_too_long (self, "row", &self->final_error);
            return s_finish (self, SP_EVENT_CSV_FAILED, error);
        }
        if (row == S_ROW_READ_ERROR) {
            int code = errno;
            if (code != EINTR) /* an interrupted read is the caller's doing, not a failure */
                sp_log_warn ("could not read CSV events", "line=%zu error=\"%s\"", self->line,
                             strerror (code));
            sp_event_error_set (
                &self->final_error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                "could not read the CSV input at line %zu: %s", self->line, strerror (code));
            return s_finish (self, SP_EVENT_CSV_FAILED, error);
        }
        if (self->out_of_memory) {
            sp_log_error ("could not read CSV events", "error=\"out of memory\"");
            sp_event_error_set (&self->final_error, "",
                                SALESPULSE__REJECT_REASON__REJECT_REASON_UNSPECIFIED,
                                "out of memory");
            return s_finish (self, SP_EVENT_CSV_FAILED, error);
        }
        if (self->has_problem) {
            if (error)
                *error = self->problem;
            return SP_EVENT_CSV_REJECTED;
        }
        if (!s_row_is_blank (self))
            break;
    }
    sp_event_error_t local;
    if (self->cell_count != self->column_count) {
        sp_event_error_set (&local, "", SALESPULSE__REJECT_REASON__REJECT_REASON_MALFORMED,
                            "row has %zu cells, the header has %zu columns", self->cell_count,
                            self->column_count);
        goto out_rejected;
    }
    sp_event_t *event = s_row_to_event (self, &local);
    if (!event)
        goto out_rejected;
    *event_p = event;
    return SP_EVENT_CSV_EVENT;

out_rejected:
    if (error)
        *error = local;
    return SP_EVENT_CSV_REJECTED;
}
