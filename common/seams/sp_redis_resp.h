/*  sp_redis_resp - a command in Redis's wire form (RESP: "*<argc>\r\n",
    then "$<length>\r\n<bytes>\r\n" per argument), written in one pass
    with no printf. hiredis formats every argument with a printf-like
    call, which was a tenth of a consumer's own CPU when it sends steps
    of tens of thousands of arguments; sp_redis formats with this and
    hands hiredis the finished bytes. No I/O.
*/
#ifndef SP_REDIS_RESP_H_INCLUDED
#define SP_REDIS_RESP_H_INCLUDED

#include <stddef.h>

/* Bytes of the wire form of a command of argc (>= 1) arguments of the
   given lengths; 0 when it would not fit in a size_t. */
size_t sp_redis_resp_size (int argc, const size_t *lengths);

/* Writes the wire form into buffer, which holds at least
   sp_redis_resp_size bytes. Returns the bytes written. */
size_t sp_redis_resp_write (char *buffer, int argc, const char *const *argv,
                            const size_t *lengths);

#endif
