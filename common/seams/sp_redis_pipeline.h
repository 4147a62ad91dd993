/*  sp_redis_pipeline - an ordered batch of Redis commands, built up front
    and sent in one round trip by sp_redis_execute or, wrapped in
    MULTI/EXEC, by sp_redis_execute_atomic (both in sp_redis.h, which
    includes this header).

    The pipeline owns copies of every argument (binary-safe), so callers
    may reuse their buffers as soon as append returns. It knows nothing of
    hiredis or of any connection: sp_redis, the Redis seam, reads the
    commands back with sp_redis_pipeline_command when it sends them.
    Reusable: sp_redis_pipeline_reset keeps the memory for the next batch.

    Not thread-safe: one pipeline per thread.
*/
#ifndef SP_REDIS_PIPELINE_H_INCLUDED
#define SP_REDIS_PIPELINE_H_INCLUDED

#include <stddef.h>

typedef struct _sp_redis_pipeline_t sp_redis_pipeline_t;

/* An empty pipeline, or NULL when memory runs out. */
sp_redis_pipeline_t *sp_redis_pipeline_new (void);

/* Frees the pipeline and its copies; no-op on NULL; sets *self_p to NULL. */
void sp_redis_pipeline_destroy (sp_redis_pipeline_t **self_p);

/* Adds a command (same arguments as sp_redis_command: argv_lengths may be
   NULL when every argument is a C string). Returns -1 only when memory
   runs out; the pipeline is then unchanged. */
int sp_redis_pipeline_append (sp_redis_pipeline_t *self, int argc, const char *const *argv,
                              const size_t *argv_lengths);

/* Number of commands appended. */
size_t sp_redis_pipeline_size (const sp_redis_pipeline_t *self);

/* Removes every command (keeps the memory for reuse). */
void sp_redis_pipeline_reset (sp_redis_pipeline_t *self);

/* Command index (< size, asserted): returns its argument count and points
   *argv and *argv_lengths at its arguments and their exact lengths (each
   argument is also NUL-terminated). Borrowed: valid until the next
   append, reset or destroy. */
int sp_redis_pipeline_command (const sp_redis_pipeline_t *self, size_t index,
                               const char *const **argv, const size_t **argv_lengths);

#endif
