/*  sp_json_text - large JSON documents written straight to text (see
    sp_json_text.h). */
#include "sp_json_text.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_array.h"

#define S_INITIAL 4096
#define S_INTEGER_SIZE 24 /* "-9223372036854775808" and the NUL */

sp_json_text_t
sp_json_text_new (void)
{
    return (sp_json_text_t){ 0 };
}

/* Makes room for more bytes and the NUL; false once memory ran out.
   The room already there is checked first, without a call. */
static bool
s_room (sp_json_text_t *self, size_t more)
{
    if (self->failed)
        return false;
    if (more < self->capacity && self->length < self->capacity - more)
        return true;
    if (more > SIZE_MAX - self->length - 1 ||
        sp_array_reserve ((void **) &self->data, &self->capacity, self->length + more + 1, 1,
                          S_INITIAL) != 0) {
        self->failed = true;
        return false;
    }
    return true;
}

static void
s_append (sp_json_text_t *self, const char *bytes, size_t length)
{
    if (!s_room (self, length))
        return;
    memcpy (self->data + self->length, bytes, length);
    self->length += length;
}

static void
s_byte (sp_json_text_t *self, char byte)
{
    if (!s_room (self, 1))
        return;
    self->data[self->length++] = byte;
}

/* A comma when a member or element came before. */
static void
s_separate (sp_json_text_t *self)
{
    if (self->comma)
        s_byte (self, ',');
}

/* Bytes a string literal keeps as they are: none below 0x20, '"', '\\'. */
static bool
s_plain (unsigned char byte)
{
    return byte >= 0x20 && byte != '"' && byte != '\\';
}

/* text as a JSON string literal, escaped as jansson escapes it. Runs of
   bytes kept as they are (nearly every byte of a statement) are copied
   at once. */
static void
s_quoted (sp_json_text_t *self, const char *text)
{
    s_byte (self, '"');
    const char *run = text;
    for (const char *cursor = text; *cursor; cursor++) {
        unsigned char byte = (unsigned char) *cursor;
        if (s_plain (byte))
            continue;
        const char *escape = NULL;
        char unicode[8];
        switch (byte) {
            case '"':
                escape = "\\\"";
                break;
            case '\\':
                escape = "\\\\";
                break;
            case '\b':
                escape = "\\b";
                break;
            case '\f':
                escape = "\\f";
                break;
            case '\n':
                escape = "\\n";
                break;
            case '\r':
                escape = "\\r";
                break;
            case '\t':
                escape = "\\t";
                break;
            default:
                snprintf (unicode, sizeof unicode, "\\u%04X", byte);
                escape = unicode;
                break;
        }
        s_append (self, run, (size_t) (cursor - run));
        s_append (self, escape, strlen (escape));
        run = cursor + 1;
    }
    s_append (self, run, strlen (run));
    s_byte (self, '"');
}

void
sp_json_text_open (sp_json_text_t *self, char bracket)
{
    assert (self && (bracket == '{' || bracket == '['));
    s_separate (self);
    s_byte (self, bracket);
    self->comma = false;
}

void
sp_json_text_close (sp_json_text_t *self, char bracket)
{
    assert (self && (bracket == '}' || bracket == ']'));
    s_byte (self, bracket);
    self->comma = true;
}

void
sp_json_text_key (sp_json_text_t *self, const char *key)
{
    assert (self && key);
    s_separate (self);
    s_quoted (self, key);
    s_byte (self, ':');
    self->comma = false;
}

void
sp_json_text_key_plain (sp_json_text_t *self, const char *key, size_t length)
{
    assert (self && key && strlen (key) == length);
    if (!s_room (self, length + 4)) /* a comma, two quotes and the colon */
        return;
    char *out = self->data + self->length;
    if (self->comma)
        *out++ = ',';
    *out++ = '"';
    memcpy (out, key, length);
    out += length;
    *out++ = '"';
    *out++ = ':';
    self->length = (size_t) (out - self->data);
    self->comma = false;
}

void
sp_json_text_string (sp_json_text_t *self, const char *value)
{
    assert (self && value);
    s_separate (self);
    s_quoted (self, value);
    self->comma = true;
}

void
sp_json_text_integer (sp_json_text_t *self, int64_t value)
{
    assert (self);
    /* digits from the right, as "%" PRId64 writes them */
    char text[S_INTEGER_SIZE];
    char *end = text + sizeof text;
    char *start = end;
    uint64_t magnitude = value < 0 ? 0 - (uint64_t) value : (uint64_t) value;
    do {
        *--start = (char) ('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (value < 0)
        *--start = '-';
    s_separate (self);
    s_append (self, start, (size_t) (end - start));
    self->comma = true;
}

void
sp_json_text_bool (sp_json_text_t *self, bool value)
{
    sp_json_text_raw (self, value ? "true" : "false");
}

void
sp_json_text_null (sp_json_text_t *self)
{
    sp_json_text_raw (self, "null");
}

void
sp_json_text_raw (sp_json_text_t *self, const char *json)
{
    assert (self && json);
    s_separate (self);
    s_append (self, json, strlen (json));
    self->comma = true;
}

void
sp_json_text_members (sp_json_text_t *self, const char *members)
{
    sp_json_text_raw (self, members); /* a comma before them when members came before */
}

void
sp_json_text_reserve (sp_json_text_t *self, size_t bytes)
{
    assert (self);
    s_room (self, bytes);
}

char *
sp_json_text_finish (sp_json_text_t *self)
{
    assert (self);
    if (!s_room (self, 0)) {
        sp_json_text_discard (self);
        return NULL;
    }
    self->data[self->length] = '\0';
    char *text = self->data;
    *self = sp_json_text_new ();
    return text;
}

void
sp_json_text_discard (sp_json_text_t *self)
{
    assert (self);
    free (self->data);
    *self = sp_json_text_new ();
}
