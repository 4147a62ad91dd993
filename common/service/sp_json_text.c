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

/* Bytes of a word with each byte set to byte. */
#define S_BYTES(byte) (UINT64_C (0x0101010101010101) * (uint64_t) (byte))

/* The length of the run of plain bytes text starts with (length bytes
   known): eight bytes at a time while none of them is below 0x20, '"'
   or '\\' (a word test that may flag a plain byte, never miss one: the
   bytes of a flagged word are looked at one by one). */
static size_t
s_plain_run (const char *text, size_t length)
{
    const uint64_t high = S_BYTES (0x80);
    size_t at = 0;
    for (; length - at >= sizeof (uint64_t); at += sizeof (uint64_t)) {
        uint64_t word;
        memcpy (&word, text + at, sizeof word);
        uint64_t quote = word ^ S_BYTES ('"');
        uint64_t backslash = word ^ S_BYTES ('\\');
        uint64_t flagged = ((word - S_BYTES (0x20)) & ~word) | ((quote - S_BYTES (0x01)) & ~quote) |
                           ((backslash - S_BYTES (0x01)) & ~backslash);
        if (flagged & high)
            break;
    }
    while (at < length && s_plain ((unsigned char) text[at]))
        at++;
    return at;
}

/* text as a JSON string literal, escaped as jansson escapes it. Runs of
   bytes kept as they are (nearly every byte of a statement) are found a
   word at a time and copied at once. */
static void
s_quoted (sp_json_text_t *self, const char *text)
{
    s_byte (self, '"');
    size_t length = strlen (text);
    size_t at = 0;
    while (at < length) {
        size_t run = s_plain_run (text + at, length - at);
        s_append (self, text + at, run);
        at += run;
        if (at == length)
            break;
        unsigned char byte = (unsigned char) text[at++];
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
        s_append (self, escape, strlen (escape));
    }
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

void
sp_json_text_clear (sp_json_text_t *self)
{
    assert (self);
    self->length = 0;
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
