/*  sp_log - structured logs to stderr.

    Every line is one record in logfmt (key=value, space separated) or, with
    format "json", one JSON object; both carry ts (UTC, RFC 3339 with ms),
    level, service and msg, then the caller's fields. Messages follow
    PostgreSQL's style: lower case, no trailing period, say what failed and
    why, quote user-supplied values.

        sp_log_warn ("could not connect to redis",
                     "addr=\"%s\" error=\"%s\"", addr, reason);

    The fields argument is a printf format producing logfmt pairs; in JSON
    mode they are converted to JSON members (values stay strings unless they
    are plain unquoted integers). Values put into quotes need no escaping:
    a quoted value ends at the '"' followed by the end of the fields or by
    spaces and the next key=, so inner quotes are escaped for the caller
    (see sp_log.c for the rule and its limit). Thread-safe: one write(2)
    per record.

    Repeats are rate limited: a warn or error record identical to one
    written less than SP_LOG_REPEAT_WINDOW_MS ago (same level, msg and
    fields) is not written but counted; the first identical record after
    the window is written with repeated=N, the number left out meanwhile.
    So an outage that fails the same call 50 times a second writes one
    line per failing call every 10 s, not 50 a second, and nothing is
    hidden: a different record is always written at once. Debug and info
    records are never held back.
*/
#ifndef SP_LOG_H_INCLUDED
#define SP_LOG_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>

typedef enum {
    SP_LOG_DEBUG = 0,
    SP_LOG_INFO = 1,
    SP_LOG_WARN = 2,
    SP_LOG_ERROR = 3,
} sp_log_level_t;

typedef enum {
    SP_LOG_FORMAT_LOGFMT = 0,
    SP_LOG_FORMAT_JSON = 1,
} sp_log_format_t;

/* How long an identical warn or error record is held back, ms. */
#define SP_LOG_REPEAT_WINDOW_MS 10000

/* Sets the service name, the minimum level and the format for the process;
   forgets the records seen (repeats start anew).
   Before it is called: service "salespulse", level info, logfmt, stderr. */
void sp_log_init (const char *service, sp_log_level_t level, sp_log_format_t format);

/* Parses "debug|info|warn|error"; returns -1 on anything else. */
int sp_log_level_parse (const char *text, sp_log_level_t *level);

/* Parses "logfmt|json"; returns -1 on anything else. */
int sp_log_format_parse (const char *text, sp_log_format_t *format);

/* Redirects records to a stream (tests). NULL restores stderr. */
void sp_log_set_stream (FILE *stream);

/* Sets how long identical warn and error records are held back, ms
   (tests; 0 writes every record). Before: SP_LOG_REPEAT_WINDOW_MS. */
void sp_log_set_repeat_window (int window_ms);

/* True when records of this level are written. */
bool sp_log_enabled (sp_log_level_t level);

/* Writes one record. fields may be NULL. */
void sp_log_write (sp_log_level_t level, const char *message, const char *fields, ...)
    __attribute__ ((format (printf, 3, 4)));

#define sp_log_debug(...) sp_log_write (SP_LOG_DEBUG, __VA_ARGS__)
#define sp_log_info(...) sp_log_write (SP_LOG_INFO, __VA_ARGS__)
#define sp_log_warn(...) sp_log_write (SP_LOG_WARN, __VA_ARGS__)
#define sp_log_error(...) sp_log_write (SP_LOG_ERROR, __VA_ARGS__)

#endif
