/*  sp_array - growing an array (see sp_array.h). */
#include "sp_array.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>

int
sp_array_reserve (void **array, size_t *capacity, size_t needed, size_t size, size_t initial)
{
    assert (array && capacity && size > 0 && initial > 0);
    if (needed <= *capacity)
        return 0;
    size_t grown = *capacity ? *capacity : initial;
    while (grown < needed) {
        if (grown > SIZE_MAX / 2 / size)
            return -1;
        grown *= 2;
    }
    if (grown > SIZE_MAX / size)
        return -1;
    void *bigger = realloc (*array, grown * size);
    if (!bigger)
        return -1;
    *array = bigger;
    *capacity = grown;
    return 0;
}
