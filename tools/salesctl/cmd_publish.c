/*  salesctl publish - sends sales events from a file to activity-ingest.

        salesctl publish [--endpoint E] [--batch N] [--format jsonl|csv]
                         [--timeout MS] [--attempts N] [--max-request-bytes N]
                         [--max-line-bytes N] [--json] FILE|-

    Reads JSON lines (sp_event_from_json) or CSV (sp_event_csv), the format
    from --format or the file extension (.jsonl, .ndjson, .json, .csv; "-"
    is standard input, JSON lines unless --format says otherwise). Lines
    that break a rule are reported and counted as rejected, never sent.
    Valid events go in batches of N through sp_ingest_client, which waits
    for each reply and re-sends the same batch after a timeout, a lost
    connection or a RETRY_* answer (safe: activity-ingest de-duplicates by
    event_id).

    Input is bounded: a JSON line or CSV record longer than --max-line-bytes
    (line end included) is refused as too_long and stops the file there,
    rather than waiting for a line end that may never come (/dev/zero);
    what was read before it is still sent. At most --max-line-bytes + 1
    bytes of one line are read or held. SIGINT and SIGTERM (CZMQ's handler,
    zsys_interrupted) stop the run between lines and while waiting for a
    reply: "interrupted", nothing more is sent.

    Output (stdout): one line per refused input line, mapped back through
    the batch index, `line L: field "F": text (reason)`; one per conflict,
    `line L: conflict: event_id "X" was already stored with other content`;
    then a human summary, or with --json a last line
    {"accepted":N,"duplicate":N,"conflict":N,"rejected":N}. Exit status 0
    only when nothing was rejected or in conflict and every event was
    acknowledged. On a terminal, stderr shows a progress line with
    events/s, redrawn at most every SALESCTL_PUBLISH_PROGRESS_MS.
*/
#include "salesctl.h"

#include "sp_event_csv.h"
#include "sp_event_json.h"
#include "sp_ingest_client.h"
#include "sp_log.h"
#include "sp_proto.h"

#include <czmq.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define SALESCTL_PUBLISH_ERROR_SIZE 512      /* room for one error line */
#define SALESCTL_PUBLISH_PROGRESS_MS 250     /* least time between progress redraws */
#define SALESCTL_PUBLISH_BATCH_MAX 100000    /* largest --batch */
#define SALESCTL_PUBLISH_TIMEOUT_MAX 3600000 /* largest --timeout, ms (an hour) */
#define SALESCTL_PUBLISH_ATTEMPTS_MAX 1000   /* largest --attempts */
#define SALESCTL_PUBLISH_REQUEST_BYTES_MAX (1024 * 1024 * 1024) /* largest --max-request-bytes */
/* Largest --max-line-bytes: a line is read whole before an interrupt is
   looked at, so this bounds that wait (and the memory) too. */
#define SALESCTL_PUBLISH_LINE_BYTES_MAX (64 * 1024 * 1024)
#define SALESCTL_PUBLISH_LINE_INITIAL 4096 /* first capacity of the line buffer, bytes */
#define SALESCTL_MS_PER_SECOND 1000.0

static const sp_config_option_t s_options[] = {
    { "endpoint", "SP_INGEST_ENDPOINT", SP_CONFIG_STRING, SP_INGEST_CLIENT_DEFAULT_ENDPOINT,
      "activity-ingest endpoint to connect to", 0, 0 },
    { "batch", "SP_PUBLISH_BATCH", SP_CONFIG_INT, "1000", "events per request", 1,
      SALESCTL_PUBLISH_BATCH_MAX },
    { "format", NULL, SP_CONFIG_STRING, NULL,
      "input format, jsonl or csv (default: from the file extension; jsonl for -)", 0, 0 },
    { "timeout", "SP_PUBLISH_TIMEOUT_MS", SP_CONFIG_INT, "10000",
      "wait for each reply before re-sending the batch, ms", 1, SALESCTL_PUBLISH_TIMEOUT_MAX },
    { "attempts", "SP_PUBLISH_ATTEMPTS", SP_CONFIG_INT, "10",
      "sends of one batch (after timeouts or retry answers) before giving up", 1,
      SALESCTL_PUBLISH_ATTEMPTS_MAX },
    { "max-request-bytes", "SP_PUBLISH_MAX_REQUEST_BYTES", SP_CONFIG_INT, "4194304",
      "largest packed request sent; match the service's --max-message-bytes, which drops "
      "larger ones",
      1, SALESCTL_PUBLISH_REQUEST_BYTES_MAX },
    { "max-line-bytes", "SP_PUBLISH_MAX_LINE_BYTES", SP_CONFIG_INT, "1048576",
      "longest JSON line or CSV record read, bytes, line end included; a longer one is refused "
      "and stops the file",
      1, SALESCTL_PUBLISH_LINE_BYTES_MAX },
    { "json", NULL, SP_CONFIG_BOOL, "false",
      "print the summary as one JSON object on the last line", 0, 0 },
};

/* Input formats. */
typedef enum {
    S_FORMAT_JSONL = 0,
    S_FORMAT_CSV,
} s_format_t;

/* A line refused before sending, printed with the batch it falls in so
   the output keeps input order. */
typedef struct {
    size_t line;            /* input line */
    sp_event_error_t error; /* why */
} s_local_t;

/* One run of the command. */
typedef struct {
    const char *path;           /* FILE argument, "-" for stdin */
    sp_ingest_client_t *client; /* connection to activity-ingest */
    int timeout_ms;             /* --timeout */
    size_t batch_size;          /* --batch */
    size_t max_line_bytes;      /* --max-line-bytes */
    sp_event_t **events;        /* batch being filled, batch_size slots, owned */
    size_t *lines;              /* input line of each event of the batch */
    size_t count;               /* events in the batch */
    s_local_t *locals;          /* lines refused since the last flush, batch_size slots */
    size_t local_count;         /* entries in locals */
    uint64_t read;              /* events and rejected lines read */
    uint64_t sent;              /* events acknowledged by activity-ingest */
    uint64_t batches;           /* batches acknowledged */
    uint64_t accepted;          /* outcome counts */
    uint64_t duplicate;
    uint64_t conflict;
    uint64_t rejected;         /* locally and by the service */
    uint64_t rejected_locally; /* of which before sending */
    bool failed;               /* stopped: a batch could not be delivered */
    size_t too_long_line;      /* stopped: the line over --max-line-bytes, 0 when none */
    bool terminal;             /* stderr is a terminal: show progress */
    bool progress_shown;       /* a progress line needs clearing */
    int64_t started_ms;        /* monotonic start time */
    int64_t progress_ms;       /* last progress redraw */
} s_publish_t;

/* Prints one refused line. Messages from sp_event already read
   `field "F": text`; a bare message gets the field put in front. */
static void
s_print_rejection (size_t line, const char *field, sp_event_reason_t reason, const char *message)
{
    const char *name = sp_event_reason_name (reason);
    if (field[0] == '\0' || strncmp (message, "field \"", strlen ("field \"")) == 0)
        printf ("line %zu: %s (%s)\n", line, message, name ? name : "unknown");
    else
        printf ("line %zu: field \"%s\": %s (%s)\n", line, field, message, name ? name : "unknown");
}

static void
s_progress (s_publish_t *self, bool force)
{
    if (!self->terminal)
        return;
    int64_t now = zclock_mono ();
    if (!force && now - self->progress_ms < SALESCTL_PUBLISH_PROGRESS_MS)
        return;
    self->progress_ms = now;
    double seconds = (double) (now - self->started_ms) / SALESCTL_MS_PER_SECOND;
    double rate = seconds > 0 ? (double) self->sent / seconds : 0;
    fprintf (stderr, "\r%llu events read, %llu acknowledged, %.0f events/s\033[K",
             (unsigned long long) self->read, (unsigned long long) self->sent, rate);
    self->progress_shown = true;
}

static void
s_progress_clear (s_publish_t *self)
{
    if (self->progress_shown)
        fprintf (stderr, "\r\033[K");
    self->progress_shown = false;
}

/* Counts and reports the outcome of event i of the batch. */
static void
s_report_outcome (s_publish_t *self, size_t i, const Salespulse__EventOutcome *outcome)
{
    switch (outcome->outcome) {
        case SALESPULSE__OUTCOME__OUTCOME_ACCEPTED:
            self->accepted++;
            break;
        case SALESPULSE__OUTCOME__OUTCOME_DUPLICATE:
            self->duplicate++;
            break;
        case SALESPULSE__OUTCOME__OUTCOME_CONFLICT: {
            self->conflict++;
            char quoted[SP_EVENT_QUOTE_SIZE];
            const char *event_id = self->events[i]->event_id;
            s_progress_clear (self);
            printf ("line %zu: conflict: event_id \"%s\" was already stored with other content\n",
                    self->lines[i],
                    sp_event_quote (event_id, strlen (event_id), quoted, sizeof quoted));
            break;
        }
        default: /* REJECTED: the client checked every value */
            self->rejected++;
            s_progress_clear (self);
            s_print_rejection (self->lines[i], outcome->field, outcome->reason, outcome->message);
            break;
    }
}

static void
s_print_local (s_publish_t *self, const s_local_t *local)
{
    s_progress_clear (self);
    s_print_rejection (local->line, local->error.field, local->error.reason, local->error.message);
}

/* Sends the batch, then reports its outcomes and the lines refused
   locally since the last flush, in input order; empties both. */
static int
s_flush (s_publish_t *self)
{
    int rc = 0;
    Salespulse__IngestReply *reply = NULL;
    if (self->count > 0) {
        char error[SALESCTL_PUBLISH_ERROR_SIZE] = "";
        sp_ingest_client_result_t result = sp_ingest_client_send (
            self->client, self->events, self->count, self->timeout_ms, &reply, error, sizeof error);
        if (result != SP_INGEST_CLIENT_OK) {
            s_progress_clear (self);
            fprintf (stderr, "salesctl publish: lines %zu..%zu were not acknowledged: %s\n",
                     self->lines[0], self->lines[self->count - 1], error);
            if (result == SP_INGEST_CLIENT_REFUSED)
                fprintf (stderr, "salesctl publish: a smaller --batch may be accepted\n");
            self->failed = true;
            rc = -1;
        }
    }
    size_t next_local = 0;
    for (size_t i = 0; i < self->count; i++) {
        while (next_local < self->local_count && self->locals[next_local].line < self->lines[i])
            s_print_local (self, &self->locals[next_local++]);
        if (reply)
            s_report_outcome (self, i, reply->outcomes[i]);
    }
    while (next_local < self->local_count)
        s_print_local (self, &self->locals[next_local++]);
    if (reply) {
        self->sent += self->count;
        self->batches++;
        sp_proto_free ((ProtobufCMessage **) &reply);
    }
    for (size_t i = 0; i < self->count; i++)
        sp_event_destroy (&self->events[i]);
    self->count = 0;
    self->local_count = 0;
    s_progress (self, false);
    return rc;
}

/* Adds a valid event (taken) to the batch, sending it when full. */
static int
s_add (s_publish_t *self, sp_event_t **event_p, size_t line)
{
    self->read++;
    self->events[self->count] = *event_p;
    self->lines[self->count] = line;
    self->count++;
    *event_p = NULL;
    return self->count == self->batch_size ? s_flush (self) : 0;
}

/* Counts a line refused before sending; it is reported with its batch
   (at once when batch_size of them are waiting). */
static int
s_reject_locally (s_publish_t *self, size_t line, const sp_event_error_t *error)
{
    self->read++;
    self->rejected++;
    self->rejected_locally++;
    self->locals[self->local_count].line = line;
    self->locals[self->local_count].error = *error;
    self->local_count++;
    return self->local_count == self->batch_size ? s_flush (self) : 0;
}

/* True when a line holds only white space. */
static bool
s_blank (const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
            return false;
    return true;
}

/* Refuses the line over --max-line-bytes and stops the file there: the
   lines before it are still sent, nothing after it is read. */
static int
s_stop_too_long (s_publish_t *self, size_t line)
{
    sp_event_error_t error;
    sp_event_error_set (&error, "", SALESPULSE__REJECT_REASON__REJECT_REASON_TOO_LONG,
                        "longer than %zu bytes, the limit set by --max-line-bytes; the rest of "
                        "the file is not read",
                        self->max_line_bytes);
    self->too_long_line = line;
    return s_reject_locally (self, line, &error);
}

/* How reading one JSON line ended. */
typedef enum {
    S_LINE_READ,       /* a line (its LF included, if any) is in the buffer */
    S_LINE_END,        /* no more input */
    S_LINE_TOO_LONG,   /* max_bytes read without the line ending */
    S_LINE_READ_ERROR, /* the stream failed (or a read was interrupted) */
    S_LINE_NO_MEMORY,  /* the buffer could not grow */
} s_line_t;

/* Reads one line, LF included, into *text (grown as needed, never past
   max_bytes + 1 with its NUL), its length in *length. Reads at most
   max_bytes + 1 bytes: a longer line is TOO_LONG, its rest left unread. */
static s_line_t
s_read_line (FILE *stream, size_t max_bytes, char **text, size_t *capacity, size_t *length)
{
    size_t used = 0;
    for (;;) {
        int c = getc (stream);
        if (c == EOF) {
            if (ferror (stream))
                return S_LINE_READ_ERROR;
            if (used == 0)
                return S_LINE_END;
            break;
        }
        if (used == max_bytes)
            return S_LINE_TOO_LONG;
        if (used + 1 >= *capacity) {
            size_t size = *capacity < SALESCTL_PUBLISH_LINE_INITIAL ? SALESCTL_PUBLISH_LINE_INITIAL
                                                                    : *capacity * 2;
            if (size > max_bytes + 1)
                size = max_bytes + 1;
            char *grown = (char *) realloc (*text, size);
            if (!grown)
                return S_LINE_NO_MEMORY;
            *text = grown;
            *capacity = size;
        }
        (*text)[used++] = (char) c;
        if (c == '\n')
            break;
    }
    (*text)[used] = '\0';
    *length = used;
    return S_LINE_READ;
}

static int
s_read_jsonl (s_publish_t *self, FILE *stream)
{
    char *text = NULL;
    size_t capacity = 0;
    size_t length = 0;
    size_t line = 0;
    int rc = 0;
    while (!self->failed && !zsys_interrupted) {
        s_line_t got = s_read_line (stream, self->max_line_bytes, &text, &capacity, &length);
        if (got == S_LINE_END)
            break;
        if (got == S_LINE_READ_ERROR) {
            if (!zsys_interrupted) /* else an interrupted read: reported as such */
                fprintf (stderr, "salesctl publish: could not read \"%s\" after line %zu: %s\n",
                         self->path, line, strerror (errno));
            rc = -1;
            break;
        }
        if (got == S_LINE_NO_MEMORY) {
            fprintf (stderr, "salesctl publish: out of memory reading line %zu of \"%s\"\n",
                     line + 1, self->path);
            rc = -1;
            break;
        }
        line++;
        if (got == S_LINE_TOO_LONG) {
            if (s_stop_too_long (self, line) != 0)
                rc = -1;
            break;
        }
        if (s_blank (text, length))
            continue;
        sp_event_error_t error;
        sp_event_t *event = sp_event_from_json (text, length, &error);
        if (!event ? s_reject_locally (self, line, &error) != 0 : s_add (self, &event, line) != 0)
            rc = -1;
    }
    free (text);
    return rc;
}

static int
s_read_csv (s_publish_t *self, FILE *stream)
{
    sp_event_error_t error;
    sp_event_csv_t *csv = sp_event_csv_new_bounded (stream, self->max_line_bytes, &error);
    if (!csv) {
        if (zsys_interrupted)
            return -1;
        fprintf (stderr, "salesctl publish: \"%s\": line 1: %s (%s)%s\n", self->path, error.message,
                 sp_event_reason_name (error.reason),
                 error.reason == SALESPULSE__REJECT_REASON__REJECT_REASON_TOO_LONG
                     ? ", the limit set by --max-line-bytes"
                     : "");
        return -1;
    }
    int rc = 0;
    sp_event_csv_status_t status = SP_EVENT_CSV_END;
    while (!self->failed && !zsys_interrupted) {
        sp_event_t *event = NULL;
        status = sp_event_csv_next (csv, &event, &error);
        if (status == SP_EVENT_CSV_END || status == SP_EVENT_CSV_FAILED)
            break;
        size_t line = sp_event_csv_line (csv);
        if (status == SP_EVENT_CSV_REJECTED ? s_reject_locally (self, line, &error) != 0
                                            : s_add (self, &event, line) != 0)
            rc = -1;
    }
    if (status == SP_EVENT_CSV_FAILED &&
        error.reason == SALESPULSE__REJECT_REASON__REJECT_REASON_TOO_LONG) {
        if (s_stop_too_long (self, sp_event_csv_line (csv)) != 0)
            rc = -1;
    }
    else if (status == SP_EVENT_CSV_FAILED) {
        if (!zsys_interrupted) /* else an interrupted read: reported as such */
            fprintf (stderr, "salesctl publish: could not read \"%s\" at line %zu: %s\n",
                     self->path, sp_event_csv_line (csv), error.message);
        rc = -1;
    }
    sp_event_csv_destroy (&csv);
    return rc;
}

/* The format from --format, or else from the file name. */
static int
s_format (const char *given, const char *path, s_format_t *format)
{
    if (given) {
        if (strcmp (given, "jsonl") == 0)
            *format = S_FORMAT_JSONL;
        else if (strcmp (given, "csv") == 0)
            *format = S_FORMAT_CSV;
        else {
            fprintf (stderr,
                     "salesctl publish: invalid value \"%s\" for --format: expected jsonl or csv\n",
                     given);
            return -1;
        }
        return 0;
    }
    if (strcmp (path, "-") == 0) {
        *format = S_FORMAT_JSONL;
        return 0;
    }
    const char *dot = strrchr (path, '.');
    const char *slash = strrchr (path, '/');
    if (dot && (!slash || dot > slash)) {
        if (strcasecmp (dot, ".csv") == 0) {
            *format = S_FORMAT_CSV;
            return 0;
        }
        if (strcasecmp (dot, ".jsonl") == 0 || strcasecmp (dot, ".ndjson") == 0 ||
            strcasecmp (dot, ".json") == 0) {
            *format = S_FORMAT_JSONL;
            return 0;
        }
    }
    fprintf (stderr,
             "salesctl publish: cannot tell the format of \"%s\" from its name: use --format jsonl "
             "or csv\n",
             path);
    return -1;
}

static void
s_summary (const s_publish_t *self, bool json)
{
    if (json) {
        printf ("{\"accepted\":%llu,\"duplicate\":%llu,\"conflict\":%llu,\"rejected\":%llu}\n",
                (unsigned long long) self->accepted, (unsigned long long) self->duplicate,
                (unsigned long long) self->conflict, (unsigned long long) self->rejected);
        return;
    }
    double seconds = (double) (zclock_mono () - self->started_ms) / SALESCTL_MS_PER_SECOND;
    printf ("%llu events read from \"%s\", %llu acknowledged by %s in %llu batch%s (%.2f s)\n",
            (unsigned long long) self->read, self->path, (unsigned long long) self->sent,
            sp_ingest_client_endpoint (self->client), (unsigned long long) self->batches,
            self->batches == 1 ? "" : "es", seconds);
    printf ("accepted %llu, duplicate %llu, conflict %llu, rejected %llu (%llu before sending)\n",
            (unsigned long long) self->accepted, (unsigned long long) self->duplicate,
            (unsigned long long) self->conflict, (unsigned long long) self->rejected,
            (unsigned long long) self->rejected_locally);
}

int
salesctl_publish (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv, "Publish sales events from a JSON lines or CSV file (- for stdin).", s_options,
        sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    s_publish_t self;
    memset (&self, 0, sizeof self);
    FILE *stream = NULL;
    if (sp_config_arg_count (config) != 1) {
        fprintf (stderr, "salesctl publish: expected one FILE (or - for standard input)\ntry "
                         "\"salesctl publish --help\"\n");
        goto out_destroy_config;
    }
    self.path = sp_config_arg (config, 0);
    s_format_t format;
    if (s_format (sp_config_string (config, "format"), self.path, &format) != 0)
        goto out_destroy_config;
    self.batch_size = (size_t) sp_config_int (config, "batch");
    self.timeout_ms = (int) sp_config_int (config, "timeout");
    self.max_line_bytes = (size_t) sp_config_int (config, "max-line-bytes");
    self.events = calloc (self.batch_size, sizeof *self.events);
    self.lines = calloc (self.batch_size, sizeof *self.lines);
    self.locals = calloc (self.batch_size, sizeof *self.locals);
    if (!self.events || !self.lines || !self.locals) {
        fprintf (stderr, "salesctl publish: out of memory for a batch of %zu events\n",
                 self.batch_size);
        goto out_free_batch;
    }

    sp_ingest_client_options_t options;
    sp_ingest_client_options_init (&options);
    options.attempts = (int) sp_config_int (config, "attempts");
    options.max_request_size = (size_t) sp_config_int (config, "max-request-bytes");
    char error[SALESCTL_PUBLISH_ERROR_SIZE] = "";
    self.client =
        sp_ingest_client_new (sp_config_string (config, "endpoint"), &options, error, sizeof error);
    if (!self.client) {
        fprintf (stderr, "salesctl publish: %s\n", error);
        goto out_free_batch;
    }
    if (strcmp (self.path, "-") == 0)
        stream = stdin;
    else if (!(stream = fopen (self.path, "r"))) {
        fprintf (stderr, "salesctl publish: could not open \"%s\": %s\n", self.path,
                 strerror (errno));
        goto out_destroy_client;
    }

    self.terminal = isatty (STDERR_FILENO) == 1;
    self.started_ms = zclock_mono ();
    self.progress_ms = self.started_ms;
    int rc = format == S_FORMAT_CSV ? s_read_csv (&self, stream) : s_read_jsonl (&self, stream);
    if (rc == 0 && !self.failed && !zsys_interrupted)
        rc = s_flush (&self);
    else if (self.local_count > 0) { /* stopped: report what was refused, send nothing more */
        for (size_t i = 0; i < self.local_count; i++)
            s_print_local (&self, &self.locals[i]);
        self.local_count = 0;
    }
    s_progress_clear (&self);
    if (self.too_long_line > 0 && !zsys_interrupted)
        fprintf (stderr,
                 "salesctl publish: stopped reading \"%s\" at line %zu: longer than %zu bytes "
                 "(--max-line-bytes)\n",
                 self.path, self.too_long_line, self.max_line_bytes);
    if (zsys_interrupted && !self.failed) {
        fprintf (stderr, "salesctl publish: interrupted\n");
        rc = -1;
    }
    uint64_t unacknowledged = self.read - self.rejected_locally - self.sent;
    if (unacknowledged > 0)
        fprintf (stderr,
                 "salesctl publish: %llu events were not acknowledged; publishing the "
                 "file again is safe\n",
                 (unsigned long long) unacknowledged);
    s_summary (&self, sp_config_bool (config, "json"));
    if (rc == 0 && !self.failed && unacknowledged == 0 && self.rejected == 0 && self.conflict == 0)
        exit_code = SALESCTL_EXIT_OK;

    if (stream != stdin)
        fclose (stream);
out_destroy_client:
    for (size_t i = 0; i < self.count; i++)
        sp_event_destroy (&self.events[i]);
    sp_ingest_client_destroy (&self.client);
out_free_batch:
    free (self.events);
    free (self.lines);
    free (self.locals);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
