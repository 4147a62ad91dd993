/*  sp_error - filling a caller's error buffer (see sp_error.h). */
#include "sp_error.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void
sp_error_set (char *error, size_t error_size, const char *format, ...)
{
    if (!error || error_size == 0)
        return;
    va_list arguments;
    va_start (arguments, format);
    vsnprintf (error, error_size, format, arguments);
    va_end (arguments);
}

void
sp_error_quote (const char *text, char *buffer, size_t size)
{
    static const char ellipsis[] = "...";
    assert (text && buffer && size > sizeof ellipsis);
    size_t room = size - sizeof ellipsis;
    size_t length = 0;
    for (; length < room && text[length] != '\0'; length++) {
        unsigned char c = (unsigned char) text[length];
        bool plain = c >= ' ' && c <= '~' && c != '"' && c != '\\';
        buffer[length] = plain ? (char) c : '?';
    }
    if (text[length] != '\0') {
        memcpy (buffer + length, ellipsis, sizeof ellipsis);
        return;
    }
    buffer[length] = '\0';
}
