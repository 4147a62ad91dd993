/*  sp_redis_internal - what sp_redis.c, sp_redis_script.c and
    sp_redis_cluster.c share: the connection, reply and script objects,
    the few connection calls scripts need and the cluster client's calls.
    For these three files only (the seam); callers use sp_redis.h.
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
#define SP_REDIS_CLUSTER_REDIRECTS 16 /* MOVED/ASK followed per command at most */

typedef struct _sp_redis_cluster_t sp_redis_cluster_t;

/* What an error reply asks of a cluster client. */
typedef enum {
    SP_REDIS_REDIRECT_NONE = 0,  /* not a redirection */
    SP_REDIS_REDIRECT_MOVED = 1, /* the slot lives elsewhere now: map refreshed */
    SP_REDIS_REDIRECT_ASK = 2,   /* this once, ask the importing node (ASKING first) */
} sp_redis_redirect_t;

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
    sp_redis_cluster_t *cluster;          /* redis+cluster://: the cluster client, else NULL */
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
    bool read_only;                    /* run as EVALSHA_RO */
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

/* A single-server connection for one node of a cluster, taking url. NULL
   out of memory (url then untouched). */
sp_redis_t *sp_redis_seam_new_node (sp_redis_url_t **url, const sp_redis_options_t *options);

/* A script's raw reply after NOSCRIPT handling: reply (taken) is the
   answer to EVALSHA argv on redis; on NOSCRIPT the script is loaded on
   redis and run again. Error replies are returned as they are; NULL with
   the reason when the connection failed. */
redisReply *sp_redis_seam_script_retry (sp_redis_script_t *self, sp_redis_t *redis,
                                        redisReply *reply, int argc, const char *const *argv,
                                        const size_t *lengths, char *error, size_t error_size);

/* ---------------------------------------------------------------- cluster
   sp_redis_cluster.c: the cluster client behind a redis+cluster:// URL. */

/* A client for the cluster url names (borrowed; options copied), with
   no connection yet. NULL out of memory. */
sp_redis_cluster_t *sp_redis_cluster_new (const sp_redis_url_t *url,
                                          const sp_redis_options_t *options);
void sp_redis_cluster_destroy (sp_redis_cluster_t **self_p);

/* Reads the slot map (from the seeds), up to attempts times with backoff
   between them. 0, or -1 with the reason. */
int sp_redis_cluster_connect (sp_redis_cluster_t *self, const char *address, int attempts,
                              sp_backoff_t *backoff, char *error, size_t error_size);

/* The map was read and the last call did not fail on a connection. */
bool sp_redis_cluster_connected (const sp_redis_cluster_t *self);

/* Records whether the last call failed on a connection (then the map is
   read again before the next one). */
void sp_redis_cluster_failed (sp_redis_cluster_t *self, bool failed);

/* The slot of a command's first key into *slot (-1 for a keyless
   command). -1 with the reason when a script's keys span slots. */
int sp_redis_cluster_slot_of (int argc, const char *const *argv, const size_t *lengths, int *slot,
                              char *error, size_t error_size);

/* True when a command means every node of a cluster (FLUSHALL, FLUSHDB,
   SCRIPT FLUSH, DBSIZE, KEYS): sp_redis_cluster_every_master runs it. */
bool sp_redis_cluster_every_node (int argc, const char *const *argv, const size_t *lengths);

/* Runs such a command on every master and combines the replies as one
   server's would be: integers summed (DBSIZE), arrays joined (KEYS), the
   last status otherwise (OK); the first error reply or failure wins. The
   raw reply, or NULL with the reason. */
redisReply *sp_redis_cluster_every_master (sp_redis_cluster_t *self, int argc,
                                           const char *const *argv, const size_t *lengths,
                                           char *error, size_t error_size);

/* The connection of the node serving slot (any node for -1), reading the
   map first when needed. NULL with the reason. */
sp_redis_t *sp_redis_cluster_node (sp_redis_cluster_t *self, int slot, char *error,
                                   size_t error_size);

/* Whether reply redirects (MOVED: the map is refreshed; ASK), and where
   to, in *target. */
sp_redis_redirect_t sp_redis_cluster_redirect (sp_redis_cluster_t *self, const redisReply *reply,
                                               sp_redis_t **target);

/* Runs one command on the node of slot, following MOVED and ASK; with a
   script, NOSCRIPT loads it on the node that answered. The raw reply
   (error replies included), or NULL with the reason. */
redisReply *sp_redis_cluster_exchange (sp_redis_cluster_t *self, int slot, int argc,
                                       const char *const *argv, const size_t *lengths,
                                       sp_redis_script_t *script, char *error, size_t error_size);

/* A pipeline split per node, sent to all, replies[i] for command i
   (redirected commands sent again one by one). 0, or -1 with the reason
   (no reply kept). */
int sp_redis_cluster_pipeline (sp_redis_cluster_t *self, const sp_redis_pipeline_t *pipeline,
                               redisReply **replies, char *error, size_t error_size);

/* SCRIPT LOAD on every node serving slots. 0, or -1 with the reason. */
int sp_redis_cluster_script_load (sp_redis_cluster_t *self, sp_redis_script_t *script, char *error,
                                  size_t error_size);

/* The node (and slot) of a script sent and not received yet. */
void sp_redis_cluster_pending_set (sp_redis_cluster_t *self, sp_redis_t *node, int slot);
sp_redis_t *sp_redis_cluster_pending (const sp_redis_cluster_t *self, int *slot);

#endif
