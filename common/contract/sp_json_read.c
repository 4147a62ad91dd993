/*  sp_json_read - reading reference data documents with errors that name
    the JSON path (see sp_json_read.h). */
#include "sp_json_read.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sp_error.h"
#include "sp_event.h"

#define S_MESSAGE_SIZE 192 /* room for the reason part of a message */
#define S_DECIMALS 4       /* decimals of a basis-point value */
#define S_DECIMAL_BASE 10
#define S_HALF (SP_JSON_BASIS_POINTS / 2)             /* half a unit, in basis points */
#define S_FRACTION_EXAMPLE (SP_JSON_BASIS_POINTS / 4) /* 0.25 */
#define S_ASCII_CONTROL_END 0x20                      /* bytes below it are control characters */
#define S_ASCII_DELETE 0x7f
#define S_C1_LEAD 0xc2 /* U+0080..U+009F are 0xC2 0x80..0x9F */
#define S_C1_LAST 0x9f

int
sp_json_fail (sp_json_reader_t *reader, const char *path, const char *format, ...)
{
    char message[S_MESSAGE_SIZE];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    sp_error_set (reader->error, reader->error_size, "field \"%s\": %s", path, message);
    return -1;
}

json_t *
sp_json_load_object (const char *text, size_t length, const char *what, char *error,
                     size_t error_size)
{
    json_error_t json_error;
    json_t *root = json_loadb (text ? text : "", length, JSON_REJECT_DUPLICATES, &json_error);
    if (!root) {
        sp_error_set (error, error_size, "invalid JSON at line %d column %d: %s", json_error.line,
                      json_error.column, json_error.text);
        return NULL;
    }
    if (!json_is_object (root)) {
        sp_error_set (error, error_size, "%s must be a JSON object, got %s", what,
                      sp_json_kind (root));
        json_decref (root);
        return NULL;
    }
    return root;
}

const char *
sp_json_kind (const json_t *value)
{
    static const char *const kinds[] = {
        [JSON_OBJECT] = "an object",   [JSON_ARRAY] = "an array",     [JSON_STRING] = "a string",
        [JSON_INTEGER] = "an integer", [JSON_REAL] = "a real number", [JSON_TRUE] = "a boolean",
        [JSON_FALSE] = "a boolean",    [JSON_NULL] = "null",
    };
    return kinds[json_typeof (value)];
}

void
sp_json_path (char *buffer, size_t size, const char *parent, const char *key)
{
    int written = snprintf (buffer, size, "%s%s%s", parent, *parent ? "." : "", key);
    assert (written >= 0);
}

void
sp_json_path_index (char *buffer, size_t size, const char *parent, size_t index)
{
    int written = snprintf (buffer, size, "%s[%zu]", parent, index);
    assert (written >= 0);
}

const char *
sp_json_quote (const json_t *value, char *buffer, size_t size)
{
    return sp_event_quote (json_string_value (value), json_string_length (value), buffer, size);
}

int
sp_json_check_keys (sp_json_reader_t *reader, const json_t *object, const char *parent,
                    const char *const *allowed)
{
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *) object, key, value)
    {
        bool known = false;
        for (size_t index = 0; allowed[index] && !known; index++)
            known = strcmp (key, allowed[index]) == 0;
        if (!known) {
            char quoted[SP_JSON_PATH_SIZE];
            char path[SP_JSON_PATH_SIZE];
            sp_error_quote (key, quoted, sizeof quoted);
            sp_json_path (path, sizeof path, parent, quoted);
            return sp_json_fail (reader, path, "unknown field");
        }
    }
    return 0;
}

int
sp_json_read_object (sp_json_reader_t *reader, const json_t *value, const char *path)
{
    if (!value)
        return sp_json_fail (reader, path, "required");
    if (!json_is_object (value))
        return sp_json_fail (reader, path, "expected an object, got %s", sp_json_kind (value));
    return 0;
}

int
sp_json_read_array (sp_json_reader_t *reader, const json_t *value, const char *path)
{
    if (!value)
        return sp_json_fail (reader, path, "required");
    if (!json_is_array (value))
        return sp_json_fail (reader, path, "expected an array, got %s", sp_json_kind (value));
    return 0;
}

int
sp_json_read_string (sp_json_reader_t *reader, const json_t *value, const char *path,
                     const char **text)
{
    if (!value)
        return sp_json_fail (reader, path, "required");
    if (!json_is_string (value))
        return sp_json_fail (reader, path, "expected a string, got %s", sp_json_kind (value));
    *text = json_string_value (value);
    return 0;
}

int
sp_json_read_text (sp_json_reader_t *reader, const json_t *value, const char *path, size_t max,
                   const char **text)
{
    const char *read;
    if (sp_json_read_string (reader, value, path, &read) != 0)
        return -1;
    size_t length = json_string_length (value);
    if (length == 0)
        return sp_json_fail (reader, path, "must not be empty");
    if (length > max)
        return sp_json_fail (reader, path, "longer than %zu bytes", max);
    const unsigned char *bytes = (const unsigned char *) read;
    for (size_t index = 0; index < length; index++) {
        unsigned code = bytes[index];
        if (code == S_C1_LEAD && index + 1 < length && bytes[index + 1] <= S_C1_LAST)
            code = bytes[index + 1]; /* U+0080..U+009F: the continuation byte is the code */
        else if (code >= S_ASCII_CONTROL_END && code != S_ASCII_DELETE)
            continue;
        /* Named by code point and offset: quoting it would put it in the log. */
        return sp_json_fail (reader, path, "control character U+%04X at byte %zu", code, index);
    }
    *text = read;
    return 0;
}

int
sp_json_read_name (sp_json_reader_t *reader, const json_t *value, const char *path, char *name,
                   size_t max)
{
    const char *text;
    if (sp_json_read_string (reader, value, path, &text) != 0)
        return -1;
    size_t length = json_string_length (value);
    bool valid = length >= 1 && length <= max;
    for (size_t index = 0; valid && index < length; index++) {
        char c = text[index];
        valid = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }
    if (!valid) {
        char quoted[SP_EVENT_QUOTE_SIZE];
        return sp_json_fail (reader, path,
                             "invalid name \"%s\": use 1 to %zu characters of a-z, 0-9, \"_\" "
                             "and \"-\"",
                             sp_json_quote (value, quoted, sizeof quoted), max);
    }
    memcpy (name, text, length + 1);
    return 0;
}

int
sp_json_read_choice (sp_json_reader_t *reader, const json_t *value, const char *path,
                     const char *what, const char *allowed, const char *const *names, size_t count,
                     int *choice)
{
    const char *text;
    if (sp_json_read_string (reader, value, path, &text) != 0)
        return -1;
    for (size_t index = 0; index < count; index++)
        if (*names[index] && strcmp (text, names[index]) == 0) {
            *choice = (int) index;
            return 0;
        }
    char quoted[SP_EVENT_QUOTE_SIZE];
    return sp_json_fail (reader, path, "unknown %s \"%s\": use %s", what,
                         sp_json_quote (value, quoted, sizeof quoted), allowed);
}

int
sp_json_read_integer (sp_json_reader_t *reader, const json_t *value, const char *path,
                      json_int_t min, json_int_t max, json_int_t *number)
{
    if (!value)
        return sp_json_fail (reader, path, "required");
    if (!json_is_integer (value))
        return sp_json_fail (reader, path, "expected an integer, got %s", sp_json_kind (value));
    json_int_t got = json_integer_value (value);
    if (got < min || got > max)
        return sp_json_fail (reader, path,
                             "%" JSON_INTEGER_FORMAT " is not in %" JSON_INTEGER_FORMAT
                             "..%" JSON_INTEGER_FORMAT,
                             got, min, max);
    *number = got;
    return 0;
}

const char *
sp_json_basis_points_text (int64_t bp, char *buffer, size_t size)
{
    const char *sign = bp < 0 ? "-" : "";
    uint64_t magnitude = bp < 0 ? (uint64_t) 0 - (uint64_t) bp : (uint64_t) bp;
    uint64_t fraction = magnitude % SP_JSON_BASIS_POINTS;
    int digits = S_DECIMALS;
    while (fraction != 0 && fraction % S_DECIMAL_BASE == 0) {
        fraction /= S_DECIMAL_BASE;
        digits--;
    }
    if (fraction == 0)
        snprintf (buffer, size, "%s%llu", sign,
                  (unsigned long long) (magnitude / SP_JSON_BASIS_POINTS));
    else
        snprintf (buffer, size, "%s%llu.%0*llu", sign,
                  (unsigned long long) (magnitude / SP_JSON_BASIS_POINTS), digits,
                  (unsigned long long) fraction);
    return buffer;
}

/* A required number min_bp..max_bp into basis points, example_bp shown
   in the message for a value that is not a number. The decimals check
   is exact: a decimal with at most four places parses to the same
   double as its basis points divided by 10000, both being the nearest
   double to the same real number. The bounds are written only into a
   message, so that reading a valid value formats nothing. */
static int
s_read_basis_points (sp_json_reader_t *reader, const json_t *value, const char *path,
                     uint32_t min_bp, uint32_t max_bp, uint32_t example_bp, uint32_t *bp)
{
    char low[SP_JSON_NUMBER_SIZE];
    char high[SP_JSON_NUMBER_SIZE];
    if (!value)
        return sp_json_fail (reader, path, "required");
    if (json_is_integer (value)) {
        json_int_t got = json_integer_value (value);
        /* got <= max_bp / 10000 first, so that got * 10000 cannot overflow. */
        if (got < 0 || got > (json_int_t) (max_bp / SP_JSON_BASIS_POINTS) ||
            got * SP_JSON_BASIS_POINTS < (json_int_t) min_bp)
            return sp_json_fail (reader, path, "%" JSON_INTEGER_FORMAT " is not in %s..%s", got,
                                 sp_json_basis_points_text (min_bp, low, sizeof low),
                                 sp_json_basis_points_text (max_bp, high, sizeof high));
        *bp = (uint32_t) got * SP_JSON_BASIS_POINTS;
        return 0;
    }
    if (!json_is_real (value)) {
        char example[SP_JSON_NUMBER_SIZE];
        return sp_json_fail (reader, path, "expected a number from %s to %s such as %s, got %s",
                             sp_json_basis_points_text (min_bp, low, sizeof low),
                             sp_json_basis_points_text (max_bp, high, sizeof high),
                             sp_json_basis_points_text (example_bp, example, sizeof example),
                             sp_json_kind (value));
    }
    double got = json_real_value (value);
    if (!(got >= (double) min_bp / SP_JSON_BASIS_POINTS &&
          got <= (double) max_bp / SP_JSON_BASIS_POINTS))
        return sp_json_fail (reader, path, "%g is not in %s..%s", got,
                             sp_json_basis_points_text (min_bp, low, sizeof low),
                             sp_json_basis_points_text (max_bp, high, sizeof high));
    long long scaled = llround (got * SP_JSON_BASIS_POINTS);
    double back = (double) scaled / SP_JSON_BASIS_POINTS;
    if (back < got || back > got)
        return sp_json_fail (reader, path, "%.10g has more than %d decimals", got, S_DECIMALS);
    *bp = (uint32_t) scaled;
    return 0;
}

int
sp_json_read_basis_points (sp_json_reader_t *reader, const json_t *value, const char *path,
                           uint32_t min_bp, uint32_t max_bp, uint32_t *bp)
{
    assert (min_bp <= max_bp);
    uint32_t span = max_bp - min_bp;
    uint32_t example_bp = min_bp + (span >= S_HALF ? S_HALF : span / 2);
    return s_read_basis_points (reader, value, path, min_bp, max_bp, example_bp, bp);
}

int
sp_json_read_fraction (sp_json_reader_t *reader, const json_t *value, const char *path,
                       uint32_t *bp)
{
    return s_read_basis_points (reader, value, path, 0, SP_JSON_BASIS_POINTS, S_FRACTION_EXAMPLE,
                                bp);
}

int
sp_json_read_bool (sp_json_reader_t *reader, const json_t *value, const char *path, bool *flag)
{
    if (!value)
        return 0;
    if (!json_is_boolean (value))
        return sp_json_fail (reader, path, "expected a boolean, got %s", sp_json_kind (value));
    *flag = json_is_true (value);
    return 0;
}
