/*  sp_error - filling a caller's error buffer (see sp_error.h). */
#include "sp_error.h"

#include <stdarg.h>
#include <stdio.h>

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
