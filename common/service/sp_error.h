/*  sp_error - filling a caller's error buffer.

    Functions that can fail on external input take `char *error, size_t
    error_size` and write one line there (PostgreSQL style: lower case, no
    trailing period, quoted user values) for the caller to report. This is
    the one place that writes it, so every class treats a NULL or empty
    buffer the same way.
*/
#ifndef SP_ERROR_H_INCLUDED
#define SP_ERROR_H_INCLUDED

#include <stddef.h>

/* Formats into error (cut to error_size, always NUL terminated). No-op when
   error is NULL or error_size is 0. */
void sp_error_set (char *error, size_t error_size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Copies text into buffer for quoting inside a message: bytes other than
   printable ASCII, and the double quote and backslash, become '?', so a
   hostile value cannot break the message or the log line; text longer
   than the buffer ends with "...". size must exceed 4 (asserted). */
void sp_error_quote (const char *text, char *buffer, size_t size);

#endif
