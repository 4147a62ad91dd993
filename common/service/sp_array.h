/*  sp_array - growing an array held as a pointer and a capacity: the one
    place the kit's growable arrays (a step's commands, the coalescer's
    tables, the view, the summed increments, funnel-tracker's ledger) get
    their room, doubling from an initial size, with the size checked
    against overflow. No I/O.
*/
#ifndef SP_ARRAY_H_INCLUDED
#define SP_ARRAY_H_INCLUDED

#include <stddef.h>

/* Makes *array (of *capacity elements of size bytes) hold at least
   needed elements: the capacity doubles from initial (>= 1) until it
   fits, and the array is reallocated. Returns 0, or -1 when memory runs
   out or the size would overflow (*array and *capacity untouched). */
int sp_array_reserve (void **array, size_t *capacity, size_t needed, size_t size, size_t initial);

#endif
