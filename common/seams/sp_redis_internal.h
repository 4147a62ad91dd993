/*  sp_redis_internal - what sp_redis.c and sp_redis_script.c share: the
    connection, reply and script objects and the few connection calls
    scripts need. For these two files only; callers use sp_redis.h.
*/
#ifndef SP_REDIS_INTERNAL_H_INCLUDED
#define SP_REDIS_INTERNAL_H_INCLUDED

#include "sp_backoff.h"
#include "sp_redis.h"
#include "sp_redis_url.h"

#include <hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_REDIS_REASON_MAX 256 /* longest failure reason kept */
#define SP_REDIS_SHA_LENGTH 40  /* hex digits of a SHA1 */
#define SP_REDIS_FIXED_ARGS 3   /* EVALSHA sha numkeys */
#define NOSCRIPT_PREFIX "NOSCRIPT"

struct _sp_redis_t {
    sp_redis_url_t *url;                  /* where to connect, AUTH and SELECT, owned */
    const char *address;                  /* "host:port" or path, borrowed from url */
    sp_redis_options_t options;           /* timeouts, attempts, backoff */
    redisContext *context;                /* live connection, NULL when down */
    bool down;                            /* an outage is in progress (and was logged) */
    int failures;                         /* consecutive failed connection attempts */
    int64_t next_attempt_at;              /* monotonic ms before which no reconnect is tried */
    int64_t down_since;                   /* monotonic ms when the outage began */
    char last_error[SP_REDIS_REASON_MAX]; /* why the last attempt or command failed */
    sp_backoff_t backoff;                 /* delays between connection attempts */
    sp_redis_script_t *pending;           /* a script sent whose reply is not read yet */
    const char **pending_arguments;       /* its EVALSHA arguments (owned), for a NOSCRIPT retry */
    size_t *pending_lengths;              /* their lengths (owned) */
    int pending_count;                    /* arguments */
    char *wire;                           /* commands in wire form before hiredis takes them */
    size_t wire_capacity;                 /* bytes allocated */
};

struct _sp_redis_reply_t {
    sp_redis_reply_type_t type; /* kind of reply */
    redisReply *reply;          /* the hiredis reply, NULL for a pipeline's array */
    bool owns_reply;            /* reply is the top of a hiredis tree: free it with us */
    size_t size;                /* ARRAY: number of elements */
    sp_redis_reply_t *elements; /* ARRAY: element wrappers, owned */
};

struct _sp_redis_script_t {
    char *source;                      /* Lua source */
    char sha[SP_REDIS_SHA_LENGTH + 1]; /* SHA1 from SCRIPT LOAD, "" until loaded */
};

/* Connects when down (or fails fast during backoff). 0, or -1 with the
   reason. */
int sp_redis_seam_connected (sp_redis_t *self, char *error, size_t error_size);

/* Frees a context hiredis reported dead, with its reason in reason. */
void sp_redis_seam_drop (sp_redis_t *self, char *reason, size_t size);

/* Runs one command and returns hiredis's reply (caller frees), or NULL
   with the reason (the connection dropped). */
redisReply *sp_redis_seam_command (sp_redis_t *self, int argc, const char *const *argv,
                                   const size_t *argv_lengths, char *error, size_t error_size);

/* Queues one command in wire form, not sent yet. 0, or -1 (out of
   memory; the context's error says so). */
int sp_redis_seam_queue (sp_redis_t *self, int argc, const char *const *argv,
                         const size_t *lengths);

/* Wraps a hiredis reply (taking it), or NULL out of memory with the
   reason (the reply freed). */
sp_redis_reply_t *sp_redis_seam_reply (redisReply *reply, char *error, size_t error_size);

#endif
