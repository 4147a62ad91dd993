/*  sp_decimal - an unsigned integer in decimal, written without printf:
    the one digit writer of the hot paths that build Redis keys, step
    arguments and wire-form commands. No I/O.
*/
#ifndef SP_DECIMAL_H_INCLUDED
#define SP_DECIMAL_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* Digits of the largest uint64 (18446744073709551615). */
#define SP_DECIMAL_MAX 20

/* Decimal digits of value (1 for 0). */
size_t sp_decimal_digits (uint64_t value);

/* Writes value in decimal at out (room for sp_decimal_digits bytes; no
   NUL written). Returns the digits written. */
size_t sp_decimal_write (char *out, uint64_t value);

#endif
