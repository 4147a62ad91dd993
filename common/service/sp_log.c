/*  sp_log - structured logs to stderr (see sp_log.h).

    A record is composed in a stack buffer and written with one fwrite +
    fflush under a mutex, so records from several threads never interleave.
    Overlong records are cut and end with "..." rather than being dropped.

    The caller's fields are formatted with vsnprintf, then parsed into
    key=value pairs and written again, so a value that itself contains
    double quotes (a peer's error text put into error="%s") cannot break
    the record. An unquoted value runs to the next space. A quoted value
    ends at the first '"' followed by the end of the text, or by one or more
    spaces and a key token ([A-Za-z0-9_.-]+ then '='); any other '"' inside
    is content and is written escaped. Escapes already present (\" and \\)
    are kept; any other backslash is content and written as \\. Control
    characters are escaped as in msg. This is a heuristic: a value that
    itself contains '" key=' is still cut there, and the rest becomes
    further pairs. Pairs come out separated by one space (logfmt) or as
    JSON members; an unquoted value that contains '"', '=' or a control
    character is written quoted, so strict logfmt parsers read it whole.

    Repeats: the last SP_LOG_REPEAT_SLOTS distinct warn/error records are
    remembered by a 64-bit FNV-1a fingerprint of level, msg and formatted
    fields, with when each was last written and how many copies were held
    back since. A new record takes the least recently written slot, so a
    burst of many different records is never held back.
*/
#include "sp_log.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SP_LOG_RECORD_MAX 4096 /* longest record written, bytes */
#define SP_LOG_SERVICE_MAX 64  /* longest service name kept */
#define SP_LOG_REPEAT_SLOTS 64 /* distinct warn/error records remembered */
#define SP_LOG_FNV_OFFSET UINT64_C (14695981039346656037)
#define SP_LOG_FNV_PRIME UINT64_C (1099511628211)

/* One warn/error record written lately. */
typedef struct {
    uint64_t fingerprint; /* FNV-1a of level, msg and fields; 0 = free slot */
    int64_t written_ms;   /* monotonic time it was last written */
    uint64_t held_back;   /* identical records not written since */
} s_repeat_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static char s_service[SP_LOG_SERVICE_MAX] = "salespulse"; /* service= of every record */
static sp_log_level_t s_level = SP_LOG_INFO;              /* lowest level written */
static sp_log_format_t s_format = SP_LOG_FORMAT_LOGFMT;   /* record layout */
static FILE *s_stream = NULL;                             /* NULL = stderr */
static int s_repeat_window_ms = SP_LOG_REPEAT_WINDOW_MS;  /* identical records held back */
static s_repeat_t s_repeats[SP_LOG_REPEAT_SLOTS];         /* warn/error records seen */

static const char *const s_level_names[] = { "debug", "info", "warn", "error" };

/* Appends to a fixed buffer; never overflows, remembers truncation. */
typedef struct {
    char *data;    /* the buffer */
    size_t size;   /* its capacity */
    size_t length; /* bytes used, excluding NUL */
    int truncated; /* set once something did not fit */
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

/* One pair of the caller's fields, pointing into the formatted text. */
typedef struct {
    const char *key;     /* start of the key */
    size_t key_length;   /* its length */
    int has_value;       /* set when the key is followed by '=' */
    int quoted;          /* set when the value was written in double quotes */
    const char *value;   /* start of the value, inside the quotes when quoted */
    size_t value_length; /* its length, excluding the quotes */
} s_field_t;

static int
s_is_key_character (char c)
{
    return isalnum ((unsigned char) c) || c == '_' || c == '.' || c == '-';
}

/* True when the '"' at quote closes a quoted value: it is followed by the
   end of the text, or by spaces and then a key token and '='. */
static int
s_closes_value (const char *quote)
{
    const char *cursor = quote + 1;
    while (*cursor == ' ')
        cursor++;
    if (*cursor == '\0')
        return 1;
    if (cursor == quote + 1)
        return 0;
    const char *key = cursor;
    while (s_is_key_character (*cursor))
        cursor++;
    return cursor > key && *cursor == '=';
}

/* Parses the next pair at *cursor_p and moves past it; returns 0 at the
   end of the text. A word with no '=' is a key without a value. */
static int
s_field_next (const char **cursor_p, s_field_t *field)
{
    const char *cursor = *cursor_p;
    while (*cursor == ' ')
        cursor++;
    if (*cursor == '\0')
        return 0;
    memset (field, 0, sizeof *field);
    field->key = cursor;
    while (*cursor && *cursor != '=' && *cursor != ' ')
        cursor++;
    field->key_length = (size_t) (cursor - field->key);
    field->value = cursor;
    if (*cursor == '=') {
        field->has_value = 1;
        cursor++;
        if (*cursor == '"') {
            field->quoted = 1;
            cursor++;
            field->value = cursor;
            while (*cursor) {
                if (*cursor == '\\' && (cursor[1] == '"' || cursor[1] == '\\'))
                    cursor += 2;
                else if (*cursor == '"' && s_closes_value (cursor))
                    break;
                else
                    cursor++;
            }
            field->value_length = (size_t) (cursor - field->value);
            if (*cursor == '"')
                cursor++;
        }
        else {
            field->value = cursor;
            while (*cursor && *cursor != ' ')
                cursor++;
            field->value_length = (size_t) (cursor - field->value);
        }
    }
    *cursor_p = cursor;
    return 1;
}

/* Appends a quoted value's content, still in the caller's escaping: the
   escapes \" and \\ pass through, everything else is escaped. */
static void
s_append_quoted_content (s_buffer_t *buffer, const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        if (text[i] == '\\' && i + 1 < length && (text[i + 1] == '"' || text[i + 1] == '\\')) {
            s_append (buffer, &text[i], 2);
            i++;
        }
        else
            s_append_escaped (buffer, &text[i], 1);
    }
}

/* True when an unquoted value would not read back as one logfmt value. */
static int
s_needs_quotes (const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (text[i] == '"' || text[i] == '=' || (unsigned char) text[i] < 0x20)
            return 1;
    return 0;
}

/* Appends the value of a field as a double-quoted string. */
static void
s_append_value_as_string (s_buffer_t *buffer, const s_field_t *field)
{
    s_append (buffer, "\"", 1);
    if (field->quoted)
        s_append_quoted_content (buffer, field->value, field->value_length);
    else
        s_append_escaped (buffer, field->value, field->value_length);
    s_append (buffer, "\"", 1);
}

/* Writes the caller's fields again as canonical logfmt, each pair after
   one space. */
static void
s_append_fields_as_logfmt (s_buffer_t *buffer, const char *fields)
{
    const char *cursor = fields;
    s_field_t field;
    while (s_field_next (&cursor, &field)) {
        s_append (buffer, " ", 1);
        s_append (buffer, field.key, field.key_length);
        if (!field.has_value)
            continue;
        s_append (buffer, "=", 1);
        if (field.quoted || s_needs_quotes (field.value, field.value_length))
            s_append_value_as_string (buffer, &field);
        else
            s_append (buffer, field.value, field.value_length);
    }
}

/* Converts the caller's fields to JSON members. An unquoted value that is
   a plain integer stays a JSON number; others are strings. */
static void
s_append_fields_as_json (s_buffer_t *buffer, const char *fields)
{
    const char *cursor = fields;
    s_field_t field;
    while (s_field_next (&cursor, &field)) {
        s_append (buffer, ",\"", 2);
        s_append_escaped (buffer, field.key, field.key_length);
        s_append (buffer, "\":", 2);
        if (!field.quoted && s_is_integer (field.value, field.value_length))
            s_append (buffer, field.value, field.value_length);
        else
            s_append_value_as_string (buffer, &field);
    }
}

static uint64_t
s_fingerprint_add (uint64_t hash, const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        hash ^= (unsigned char) text[i];
        hash *= SP_LOG_FNV_PRIME;
    }
    /* a separator, so "ab"+"c" and "a"+"bc" differ */
    hash ^= 0xff;
    return hash * SP_LOG_FNV_PRIME;
}

static int64_t
s_monotonic_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Under s_lock: decides whether a warn/error record is written. Returns
   false when an identical one was written within the window (counted);
   else true, with *held_back the copies left out since the last one. */
static bool
s_repeat_admit (sp_log_level_t level, const char *message, const char *fields, uint64_t *held_back)
{
    *held_back = 0;
    if (level < SP_LOG_WARN || s_repeat_window_ms <= 0)
        return true;
    char level_text = (char) ('0' + level);
    uint64_t fingerprint = s_fingerprint_add (SP_LOG_FNV_OFFSET, &level_text, 1);
    fingerprint = s_fingerprint_add (fingerprint, message, strlen (message));
    fingerprint = s_fingerprint_add (fingerprint, fields, strlen (fields));
    if (fingerprint == 0)
        fingerprint = 1; /* 0 marks a free slot */
    int64_t now = s_monotonic_ms ();
    s_repeat_t *oldest = &s_repeats[0];
    for (size_t i = 0; i < SP_LOG_REPEAT_SLOTS; i++) {
        s_repeat_t *slot = &s_repeats[i];
        if (slot->fingerprint == fingerprint) {
            if (now - slot->written_ms < s_repeat_window_ms) {
                slot->held_back++;
                return false;
            }
            *held_back = slot->held_back;
            slot->held_back = 0;
            slot->written_ms = now;
            return true;
        }
        if (slot->fingerprint == 0 ||
            (oldest->fingerprint != 0 && slot->written_ms < oldest->written_ms))
            oldest = slot;
    }
    oldest->fingerprint = fingerprint;
    oldest->written_ms = now;
    oldest->held_back = 0;
    return true;
}

void
sp_log_init (const char *service, sp_log_level_t level, sp_log_format_t format)
{
    pthread_mutex_lock (&s_lock);
    snprintf (s_service, sizeof s_service, "%s", service ? service : "salespulse");
    s_level = level;
    s_format = format;
    memset (s_repeats, 0, sizeof s_repeats);
    pthread_mutex_unlock (&s_lock);
}

void
sp_log_set_repeat_window (int window_ms)
{
    pthread_mutex_lock (&s_lock);
    s_repeat_window_ms = window_ms;
    memset (s_repeats, 0, sizeof s_repeats);
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
    uint64_t held_back = 0;
    if (!s_repeat_admit (level, message, field_text, &held_back)) {
        pthread_mutex_unlock (&s_lock);
        return;
    }
    if (held_back > 0) {
        /* said after the caller's fields, as one more pair */
        size_t length = strlen (field_text);
        snprintf (field_text + length, sizeof field_text - length, "%srepeated=%" PRIu64,
                  length > 0 ? " " : "", held_back);
    }
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
        s_append_fields_as_logfmt (&buffer, field_text);
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
