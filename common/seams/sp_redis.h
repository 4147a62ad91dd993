/*  sp_redis - the one place that talks to Redis (the only file including
    hiredis.h): a connection that survives outages, opaque replies,
    pipelines (built with sp_redis_pipeline.h, included below), MULTI/EXEC
    and Lua scripts.

    URLs: "redis://[[user]:password@]host[:port][/db]" (port 6379, db 0 by
    default; user and password may be percent-encoded; IPv6 hosts in
    brackets), "unix:///path/to/socket[?db=N&user=U&password=P]" (each
    parameter optional) and "redis+cluster://..." (below); parsed by
    sp_redis_url, which lists every form and error. Passwords never
    appear in messages or logs.

    Connection life cycle. sp_redis_new only parses; sp_redis_connect makes
    the first connection with bounded retries and exponential backoff with
    jitter (for start-up). Afterwards every call uses the live connection;
    a connection that failed in any way (I/O error, timeout, protocol
    error) is dead: it is dropped, the call fails, and a later call
    reconnects. Reconnects are rate-limited by the same backoff, so while
    Redis is down calls fail fast with the last reason instead of hanging,
    and the outage is logged once when it starts and once when it ends,
    never once per call. Commands are never retried behind the caller's
    back: after a failure the caller decides (INCR is not idempotent).

    Replies. A reply is a tree: nil, integer, string, status, error or
    array of replies. Destroy only what a function returned; elements are
    borrowed from their array. sp_redis_command and sp_redis_script_run
    turn an error reply into a failure (NULL and the error text, e.g.
    `command "INCR" failed: WRONGTYPE Operation against a key holding the
    wrong kind of value`); pipelines return one reply per command and
    an error reply there is just an element of type SP_REDIS_REPLY_ERROR.
    sp_redis_connected () tells a connection failure (false) from an error
    reply (still true).

    Redis Cluster. "redis+cluster://[[user]:password@]host:port[,host:
    port...]" (seed nodes; database 0 only) gives the same API over a
    Redis Cluster (sp_redis_cluster.c; hiredis 0.14 has no cluster
    client). sp_redis_connect reads the slot map (CLUSTER SLOTS) from a
    seed; each command goes to the master of its first key's slot
    (sp_redis_slot: CRC16 of the hash tag), over one connection per node
    (each with the outage handling above); MOVED refreshes the map and
    retries there, ASK retries once on the importing node after ASKING. A
    pipeline is split per node, sent to every node before any reply is
    read, and its replies come back in the pipeline's order (a redirected
    command is sent again on its own, after the others). Every key of a
    script, and of a MULTI/EXEC, must share one slot: the seam refuses
    otherwise before sending, with e.g. `script keys "foo" (slot 12182)
    and "bar" (slot 5061) are in different slots: ...`; a keyless command
    or script runs on any one node. Commands meant for every node
    (FLUSHALL, FLUSHDB, SCRIPT FLUSH, DBSIZE, KEYS) run on every master
    through sp_redis_command, answered as one server would (DBSIZE
    summed, KEYS joined), and are refused in a pipeline; a SCAN whose
    MATCH has no hash tag is refused (its cursor would walk one node).
    Other multi-key commands (MGET, DEL) go by their first key and Redis
    answers CROSSSLOT if they span slots. Not yet: reading from replicas,
    retrying a command whose node failed (the caller decides, as above;
    the map is read again before the next call, so a promoted replica is
    found: test_cluster_failover).
    sp_redis_connected is true when the map was read and the last call
    did not fail on a connection; sp_redis_address gives the seeds.

    Not thread-safe: one sp_redis_t per thread (per actor).
*/
#ifndef SP_REDIS_H_INCLUDED
#define SP_REDIS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_redis_pipeline.h"

#define SP_REDIS_DEFAULT_CONNECT_TIMEOUT_MS 2000 /* one connection attempt */
#define SP_REDIS_DEFAULT_COMMAND_TIMEOUT_MS 5000 /* one command's reply */
#define SP_REDIS_DEFAULT_CONNECT_ATTEMPTS 5      /* sp_redis_connect attempts */
#define SP_REDIS_DEFAULT_BACKOFF_INITIAL_MS 100  /* delay after the first failure */
#define SP_REDIS_DEFAULT_BACKOFF_MAX_MS 5000     /* cap on the delay */

typedef struct _sp_redis_t sp_redis_t;
typedef struct _sp_redis_reply_t sp_redis_reply_t;
typedef struct _sp_redis_script_t sp_redis_script_t;

/* Connection tuning; sp_redis_options_init fills in the defaults above. */
typedef struct {
    int connect_timeout_ms; /* one TCP/unix connect, ms, >= 1 */
    int command_timeout_ms; /* waiting for one reply, ms; 0 = wait forever */
    int connect_attempts;   /* sp_redis_connect: attempts before giving up, >= 1 */
    int backoff_initial_ms; /* delay after the first failed attempt, ms, >= 1 */
    int backoff_max_ms;     /* cap on the doubling delay, ms, >= backoff_initial_ms */
} sp_redis_options_t;

typedef enum {
    SP_REDIS_REPLY_NIL = 0,     /* missing key / null bulk / null array */
    SP_REDIS_REPLY_INTEGER = 1, /* ":42" */
    SP_REDIS_REPLY_STRING = 2,  /* bulk string, binary-safe */
    SP_REDIS_REPLY_STATUS = 3,  /* "+OK", "+QUEUED" */
    SP_REDIS_REPLY_ERROR = 4,   /* "-ERR ...", "-WRONGTYPE ..." */
    SP_REDIS_REPLY_ARRAY = 5,   /* array of replies */
} sp_redis_reply_type_t;

/* ---------------------------------------------------------------- connection */

void sp_redis_options_init (sp_redis_options_t *options);

/* Parses url (no I/O). options NULL means the defaults. Returns NULL with
   e.g. `invalid redis url "redis://h:99999": port "99999" is not a number
   in 1..65535` on a bad URL or bad options. */
sp_redis_t *sp_redis_new (const char *url, const sp_redis_options_t *options, char *error,
                          size_t error_size);

/* Closes the connection; no-op on NULL; sets *self_p to NULL. */
void sp_redis_destroy (sp_redis_t **self_p);

/* Connects now if not connected: up to connect_attempts attempts with
   backoff between them (this call blocks for the backoff). Authenticates
   and selects the database. Returns 0, or -1 with e.g. `could not connect
   to redis at "127.0.0.1:6390" after 3 attempts: connection refused`. */
int sp_redis_connect (sp_redis_t *self, char *error, size_t error_size);

/* True while a live connection is held. */
bool sp_redis_connected (const sp_redis_t *self);

/* "host:port" or the socket path, for messages and logs. */
const char *sp_redis_address (const sp_redis_t *self);

/* Database index selected after connecting. */
int sp_redis_database (const sp_redis_t *self);

/* Runs one command. argv_lengths may be NULL when every argument is a C
   string; otherwise arguments are binary-safe. Returns the reply (caller
   destroys), or NULL on a connection failure or an error reply. */
sp_redis_reply_t *sp_redis_command (sp_redis_t *self, int argc, const char *const *argv,
                                    const size_t *argv_lengths, char *error, size_t error_size);

/* Sends every command of the pipeline in one write and reads all replies.
   Returns an array reply with one element per command, in order (an
   element may be an error reply), or NULL when the connection failed at
   any point: then no reply is returned and the connection is dropped. */
sp_redis_reply_t *sp_redis_execute (sp_redis_t *self, const sp_redis_pipeline_t *pipeline,
                                    char *error, size_t error_size);

/* Same, wrapped in MULTI/EXEC: all commands run or none do. Returns EXEC's
   array (one element per command; runtime errors such as WRONGTYPE appear
   as error elements, as Redis does not roll back), or NULL when the
   connection failed or Redis refused the transaction (EXECABORT after a
   command was rejected while queuing). */
sp_redis_reply_t *sp_redis_execute_atomic (sp_redis_t *self, const sp_redis_pipeline_t *pipeline,
                                           char *error, size_t error_size);

/* ---------------------------------------------------------------- replies */

sp_redis_reply_type_t sp_redis_reply_type (const sp_redis_reply_t *self);

/* Integer value; the reply must be SP_REDIS_REPLY_INTEGER (asserted). */
int64_t sp_redis_reply_integer (const sp_redis_reply_t *self);

/* Bytes of a STRING, STATUS or ERROR reply (asserted), NUL-terminated for
   convenience; *length (may be NULL) gets the exact length. */
const char *sp_redis_reply_string (const sp_redis_reply_t *self, size_t *length);

/* The text of a string reply (length in *length when not NULL), or NULL
   for any other reply, a nil (a missing key of MGET or HMGET) above all. */
const char *sp_redis_reply_text (const sp_redis_reply_t *self, size_t *length);

/* Number of elements of an ARRAY reply (asserted). */
size_t sp_redis_reply_size (const sp_redis_reply_t *self);

/* Element index of an ARRAY reply (index < size, asserted); borrowed. */
const sp_redis_reply_t *sp_redis_reply_element (const sp_redis_reply_t *self, size_t index);

/* Frees a reply returned by this module (with all its elements); no-op on
   NULL; sets *self_p to NULL. */
void sp_redis_reply_destroy (sp_redis_reply_t **self_p);

/* ---------------------------------------------------------------- scripts */

/* A Lua script run by SHA1 (EVALSHA). It is loaded (SCRIPT LOAD) on first
   use or by sp_redis_script_load, and reloaded transparently when Redis
   answers NOSCRIPT (after SCRIPT FLUSH, FLUSHALL or a restart). Returns
   NULL only when memory runs out. */
sp_redis_script_t *sp_redis_script_new (const char *source);

/* The same for a script that only reads: it runs as EVALSHA_RO, so a
   Redis user with read-only key permissions (`%R~pattern`) may run it
   (Redis checks EVALSHA's keys as written to), and a write command inside
   it fails instead of writing. */
sp_redis_script_t *sp_redis_script_new_read_only (const char *source);
void sp_redis_script_destroy (sp_redis_script_t **self_p);

/* Loads the script now (at start-up, so a syntax error shows early).
   Returns -1 with e.g. `could not load script: ERR Error compiling ...`. */
int sp_redis_script_load (sp_redis_script_t *self, sp_redis_t *redis, char *error,
                          size_t error_size);

/* Runs the script: the first key_count of argv are KEYS, the rest ARGV.
   Returns the reply (caller destroys), or NULL as sp_redis_command. */
sp_redis_reply_t *sp_redis_script_run (sp_redis_script_t *self, sp_redis_t *redis, int key_count,
                                       int argc, const char *const *argv,
                                       const size_t *argv_lengths, char *error, size_t error_size);

/* Pipelined run: sends the script (one write) without waiting for its
   reply, so the caller works while Redis runs it; sp_redis_script_receive
   reads the reply, with the same result as sp_redis_script_run (a
   NOSCRIPT answer loads the script and runs it again, synchronously, so
   argv must stay valid until the receive). At most one script is in
   flight on a connection,
   and no other call may use the connection until it is received
   (asserted): give pipelined scripts a connection of their own. Returns
   0, or -1 with the reason (nothing in flight). */
int sp_redis_script_send (sp_redis_script_t *self, sp_redis_t *redis, int key_count, int argc,
                          const char *const *argv, const size_t *argv_lengths, char *error,
                          size_t error_size);

/* True while a script sent on redis waits to be received. */
bool sp_redis_script_sent (const sp_redis_t *redis);

/* Reads the reply of the script in flight on redis (see above). */
sp_redis_reply_t *sp_redis_script_receive (sp_redis_t *redis, char *error, size_t error_size);

/* SHA1 of the script as Redis reported it, "" before the first load. */
const char *sp_redis_script_sha (const sp_redis_script_t *self);

#endif
