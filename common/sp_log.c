/*  sp_log - structured logs to stderr (see sp_log.h).

    A record is composed in a stack buffer and written with one fwrite +
    fflush under a mutex, so records from several threads never interleave.
    Overlong records are cut and end with "..." rather than being dropped.
*/
#include "sp_log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SP_LOG_RECORD_MAX 4096 /* longest record written, bytes */
#define SP_LOG_SERVICE_MAX 64  /* longest service name kept */

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static char s_service[SP_LOG_SERVICE_MAX] = "salespulse"; /* service= of every record */
static sp_log_level_t s_level = SP_LOG_INFO;                /* lowest level written */
static sp_log_format_t s_format = SP_LOG_FORMAT_LOGFMT;     /* record layout */
static FILE *s_stream = NULL;                               /* NULL = stderr */

static const char *const s_level_names[] = { "debug", "info", "warn", "error" };

/* Appends to a fixed buffer; never overflows, remembers truncation. */
typedef struct {
    char *data;      /* the buffer */
    size_t size;     /* its capacity */
    size_t length;   /* bytes used, excluding NUL */
    int truncated;   /* set once something did not fit */
} s_buffer_t;

static void
s_append (s_buffer_t *buffer, const char *text, size_t length)
{
    size_t room = buffer->size - 1 - buffer->length;
    if (length > room) {
        length = room;
        buffer->truncated = 1;
    }
    memcpy (buffer->data + buffer->length, text, length);
    buffer->length += length;
    buffer->data[buffer->length] = '\0';
}

static void
s_append_text (s_buffer_t *buffer, const char *text)
{
    s_append (buffer, text, strlen (text));
}

/* Appends text as the inside of a double-quoted string: escapes quote,
   backslash and control characters the same way for logfmt and JSON. */
static void
s_append_escaped (s_buffer_t *buffer, const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char) text[i];
        char escaped[8];
        if (c == '"' || c == '\\') {
            escaped[0] = '\\';
            escaped[1] = (char) c;
            s_append (buffer, escaped, 2);
        }
        else if (c == '\n')
            s_append (buffer, "\\n", 2);
        else if (c == '\t')
            s_append (buffer, "\\t", 2);
        else if (c < 0x20) {
            snprintf (escaped, sizeof escaped, "\\u%04x", c);
            s_append_text (buffer, escaped);
        }
        else
            s_append (buffer, (const char *) &text[i], 1);
    }
}

static void
s_append_timestamp (s_buffer_t *buffer)
{
    struct timespec now;
    struct tm utc;
    char text[40];
    clock_gettime (CLOCK_REALTIME, &now);
    gmtime_r (&now.tv_sec, &utc);
    size_t length = strftime (text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    snprintf (text + length, sizeof text - length, ".%03ldZ", now.tv_nsec / 1000000L);
    s_append_text (buffer, text);
}

static int
s_is_integer (const char *text, size_t length)
{
    size_t i = (length > 0 && text[0] == '-') ? 1 : 0;
    if (i == length || length > 19)
        return 0;
    for (; i < length; i++)
        if (!isdigit ((unsigned char) text[i]))
            return 0;
    return 1;
}

/* Converts logfmt pairs (key=value, key="quoted value") to JSON members. A
   value that is a plain integer stays a JSON number; others are strings. */
static void
s_append_fields_as_json (s_buffer_t *buffer, const char *fields)
{
    const char *cursor = fields;
    while (*cursor) {
        while (*cursor == ' ')
            cursor++;
        if (!*cursor)
            break;
        const char *key = cursor;
        while (*cursor && *cursor != '=' && *cursor != ' ')
            cursor++;
        size_t key_length = (size_t) (cursor - key);
        const char *value = cursor;
        size_t value_length = 0;
        int quoted = 0;
        char unescaped[SP_LOG_RECORD_MAX];
        if (*cursor == '=') {
            cursor++;
            if (*cursor == '"') {
                quoted = 1;
                cursor++;
                while (*cursor && *cursor != '"' && value_length < sizeof unescaped - 1) {
                    if (*cursor == '\\' && cursor[1])
                        cursor++;
                    unescaped[value_length++] = *cursor++;
                }
                if (*cursor == '"')
                    cursor++;
                value = unescaped;
            }
            else {
                value = cursor;
                while (*cursor && *cursor != ' ')
                    cursor++;
                value_length = (size_t) (cursor - value);
            }
        }
        s_append (buffer, ",\"", 2);
        s_append_escaped (buffer, key, key_length);
        s_append (buffer, "\":", 2);
        if (!quoted && s_is_integer (value, value_length))
            s_append (buffer, value, value_length);
        else {
            s_append (buffer, "\"", 1);
            s_append_escaped (buffer, value, value_length);
            s_append (buffer, "\"", 1);
        }
    }
}

void
sp_log_init (const char *service, sp_log_level_t level, sp_log_format_t format)
{
    pthread_mutex_lock (&s_lock);
    snprintf (s_service, sizeof s_service, "%s", service ? service : "salespulse");
    s_level = level;
    s_format = format;
    pthread_mutex_unlock (&s_lock);
}

int
sp_log_level_parse (const char *text, sp_log_level_t *level)
{
    for (int i = SP_LOG_DEBUG; i <= SP_LOG_ERROR; i++)
        if (text && strcmp (text, s_level_names[i]) == 0) {
            *level = (sp_log_level_t) i;
            return 0;
        }
    return -1;
}

int
sp_log_format_parse (const char *text, sp_log_format_t *format)
{
    if (text && strcmp (text, "logfmt") == 0)
        *format = SP_LOG_FORMAT_LOGFMT;
    else if (text && strcmp (text, "json") == 0)
        *format = SP_LOG_FORMAT_JSON;
    else
        return -1;
    return 0;
}

void
sp_log_set_stream (FILE *stream)
{
    pthread_mutex_lock (&s_lock);
    s_stream = stream;
    pthread_mutex_unlock (&s_lock);
}

bool
sp_log_enabled (sp_log_level_t level)
{
    return level >= s_level;
}

void
sp_log_write (sp_log_level_t level, const char *message, const char *fields, ...)
{
    if (!sp_log_enabled (level))
        return;
    if (level < SP_LOG_DEBUG || level > SP_LOG_ERROR)
        level = SP_LOG_ERROR;

    char field_text[SP_LOG_RECORD_MAX] = "";
    if (fields) {
        va_list arguments;
        va_start (arguments, fields);
        vsnprintf (field_text, sizeof field_text, fields, arguments);
        va_end (arguments);
    }

    char record[SP_LOG_RECORD_MAX];
    s_buffer_t buffer = { record, sizeof record, 0, 0 };
    record[0] = '\0';

    pthread_mutex_lock (&s_lock);
    if (s_format == SP_LOG_FORMAT_JSON) {
        s_append_text (&buffer, "{\"ts\":\"");
        s_append_timestamp (&buffer);
        s_append_text (&buffer, "\",\"level\":\"");
        s_append_text (&buffer, s_level_names[level]);
        s_append_text (&buffer, "\",\"service\":\"");
        s_append_escaped (&buffer, s_service, strlen (s_service));
        s_append_text (&buffer, "\",\"msg\":\"");
        s_append_escaped (&buffer, message, strlen (message));
        s_append_text (&buffer, "\"");
        s_append_fields_as_json (&buffer, field_text);
        s_append_text (&buffer, "}");
    }
    else {
        s_append_text (&buffer, "ts=");
        s_append_timestamp (&buffer);
        s_append_text (&buffer, " level=");
        s_append_text (&buffer, s_level_names[level]);
        s_append_text (&buffer, " service=");
        s_append_text (&buffer, s_service);
        s_append_text (&buffer, " msg=\"");
        s_append_escaped (&buffer, message, strlen (message));
        s_append_text (&buffer, "\"");
        if (field_text[0]) {
            s_append_text (&buffer, " ");
            s_append_text (&buffer, field_text);
        }
    }
    if (buffer.truncated) {
        /* Keep room for the marker and the newline. */
        buffer.length = buffer.size > 6 ? buffer.size - 6 : 0;
        buffer.truncated = 0;
        s_append_text (&buffer, "...");
    }
    s_append_text (&buffer, "\n");
    FILE *stream = s_stream ? s_stream : stderr;
    fwrite (buffer.data, 1, buffer.length, stream);
    fflush (stream);
    pthread_mutex_unlock (&s_lock);
}
