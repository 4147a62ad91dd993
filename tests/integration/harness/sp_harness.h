/*  sp_harness - real PostgreSQL and Redis servers for integration tests.

    Each harness starts its own servers on free loopback ports, in a fresh
    temporary folder, using the same scripts as the local stack
    (deploy/local/), and on destroy stops exactly the processes it started
    and removes the folder. Nothing depends on a fixed port or on anything
    started by hand. When running as root, PostgreSQL runs as the `postgres`
    system user (it refuses root), as Debian's package sets it up.

    The source tree is found through $SP_SOURCE_DIR (set by
    tests/run-tests.sh), falling back to the current directory.
*/
#ifndef SP_HARNESS_H_INCLUDED
#define SP_HARNESS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SP_HARNESS_POSTGRES 1u /* start a PostgreSQL server with migrations applied */
#define SP_HARNESS_REDIS 2u    /* start a Redis server */
/* With SP_HARNESS_SECURE the servers run as the local stack does: PostgreSQL
   with scram-sha-256 and a login role per service (member of its group role
   of migration 0012), Redis with an ACL user per service and the default
   user off (`servers.sh start ... secure`). The URLs below are then the
   owner's (salespulse, its password file in the URL's passfile) and Redis's
   admin user's; sp_harness_postgres_url_as and sp_harness_redis_url_as give
   a service's. */
#define SP_HARNESS_SECURE 4u
/* With SP_HARNESS_REDIS_CLUSTER (in place of SP_HARNESS_REDIS) the
   harness's Redis is a Redis Cluster of SP_HARNESS_CLUSTER_MASTERS
   masters (sp_harness_cluster_new): sp_harness_redis_url is its
   "redis+cluster://" URL (sp_harness_use_redis), so programs started
   with sp_harness_spawn_with, salesctl and sp_harness_redis_connect get
   the cluster; sp_harness_redis_cluster gives it. Not with
   SP_HARNESS_SECURE. */
#define SP_HARNESS_REDIS_CLUSTER 8u

/* The environment variable that puts the tests written for either on a
   cluster: SP_HARNESS_REDIS=cluster (tests/run-tests.sh runs some
   integration tests a second time so; docs/testing.md). */
#define SP_HARNESS_REDIS_SETTING "SP_HARNESS_REDIS"

typedef struct _sp_harness_cluster_t sp_harness_cluster_t;

typedef struct _sp_harness_t sp_harness_t;

/* Starts the servers asked for in flags; returns NULL (and prints why to
   stderr) if any could not start, after stopping what did start. */
sp_harness_t *sp_harness_new (unsigned flags);

/* Stops the servers and removes the folder; no-op on NULL; sets *self_p to NULL. */
void sp_harness_destroy (sp_harness_t **self_p);

/* The Redis flag a test written for either asks for: SP_HARNESS_REDIS_CLUSTER
   when SP_HARNESS_REDIS=cluster is set, else SP_HARNESS_REDIS. */
unsigned sp_harness_redis_flag (void);

/* The cluster started with SP_HARNESS_REDIS_CLUSTER (owned by the
   harness), or NULL: one Redis server, or none. */
sp_harness_cluster_t *sp_harness_redis_cluster (const sp_harness_t *self);

/* libpq URL of the test database, e.g.
   "postgresql://salespulse@127.0.0.1:41234/salespulse"; NULL if not started. */
const char *sp_harness_postgres_url (const sp_harness_t *self);

/* Redis URL, e.g. "redis://127.0.0.1:41235/0"; NULL if not started.
   After sp_harness_use_redis, the URL given there. */
const char *sp_harness_redis_url (const sp_harness_t *self);

/* From now on the harness's Redis is url (e.g. a Redis Cluster's
   "redis+cluster://..." the harness did not start), NULL: its own again.
   sp_harness_redis_url answers it, so programs started with
   sp_harness_spawn_with get it as SP_REDIS_URL and salesctl runs with it
   as --redis; sp_harness_redis_port and the secure-mode URLs still name
   the harness's own server (0 and -1 when it started none). Returns 0, or
   -1 (printed) when url is too long. */
int sp_harness_use_redis (sp_harness_t *self, const char *url);

/* With SP_HARNESS_SECURE: writes into url the libpq URL of login role role
   (activity_ingest, funnel_tracker, kpi_evaluator, churn_alerting,
   incentive_calculator, salesctl_reader, salespulse), its password in the
   password file the URL's passfile names. Returns 0, or -1. */
int sp_harness_postgres_url_as (const sp_harness_t *self, const char *role, char *url, size_t size);

/* With SP_HARNESS_SECURE: writes into url the Redis URL of ACL user user
   (a service's name, salesctl or admin) with its password. Returns 0, or -1
   (no such user, not secure). */
int sp_harness_redis_url_as (const sp_harness_t *self, const char *user, char *url, size_t size);

/* Stops the PostgreSQL server (`servers.sh stop DIR postgres`): a fast
   shutdown, or with immediate `pg_ctl -m immediate` (no checkpoint, like a
   crash: the next start runs crash recovery). Returns 0, or -1. */
int sp_harness_postgres_stop (sp_harness_t *self, bool immediate);

/* Starts the stopped PostgreSQL server again on the same port and data
   folder (`servers.sh start DIR PORT 0`). Returns 0, or -1. */
int sp_harness_postgres_start (sp_harness_t *self);

/* A streaming replica (hot standby) of the harness's PostgreSQL
   (`servers.sh replica`: pg_basebackup on first start, then the server
   following the primary's WAL) in DIR/replica on a free port; trust mode
   only. Start again after a stop: same port and data. Returns 0, or -1.
   sp_harness_destroy stops and removes it. */
int sp_harness_replica_start (sp_harness_t *self);

/* Stops the replica (fast shutdown). Returns 0, or -1. */
int sp_harness_replica_stop (sp_harness_t *self);

/* libpq URL of the test database on the replica; NULL before its start. */
const char *sp_harness_replica_url (const sp_harness_t *self);

/* Ports the servers listen on (0 if not started). */
int sp_harness_postgres_port (const sp_harness_t *self);
int sp_harness_redis_port (const sp_harness_t *self);

/* The temporary folder holding data, sockets and logs. */
const char *sp_harness_dir (const sp_harness_t *self);

/* Root of the source tree (for migrations/, deploy/). */
const char *sp_harness_source_dir (void);

/* A loopback TCP port that was free a moment ago (bind to port 0, read it,
   close), for a service under test to listen on; -1 on failure. */
int sp_harness_free_port (void);

/* Binds a loopback socket on port 0 and returns it still open (so two
   calls give two different ports, and nobody takes the port until the
   caller closes it, just before its server binds it), with the port in
   *port; -1 on failure. */
int sp_harness_reserve_port (int *port);

/* Monotonic clock, ms (for deadlines in tests). */
int64_t sp_harness_now_ms (void);

/* Sleeps ms milliseconds (resumed after signals). */
void sp_harness_pause_ms (int ms);

/* Writes "tcp://127.0.0.1:PORT" with a free port (sp_harness_free_port)
   into endpoint, for a service's ZeroMQ socket. Returns 0, or -1. */
int sp_harness_free_endpoint (char *endpoint, size_t size);

/* GET http://127.0.0.1:PORT/PATH with a plain socket; *status gets the HTTP
   status code and body the response body (NUL terminated, cut to size).
   Returns 0, or -1 when nothing could be read (not listening yet). */
int sp_harness_http_get (int port, const char *path, int *status, char *body, size_t size);

/* How sp_harness_spawn_with starts a program. */
typedef struct {
    const char *const *settings;  /* "NAME=VALUE" entries, NULL terminated, may be NULL */
    const char *const *arguments; /* argv[1..], NULL terminated, may be NULL */
    const char *stdout_path;      /* file receiving stdout */
    const char *stderr_path;      /* file receiving stderr; NULL: stdout_path */
    bool truncate;                /* empty the files first rather than append */
} sp_harness_spawn_options_t;

/* Starts program (a path) with the environment of this process minus every
   SP_* variable, plus SP_POSTGRES_URL and SP_REDIS_URL of the harness (when
   started), SP_HTTP=127.0.0.1:0 and the settings; a setting naming one of
   those three replaces it. stdin is /dev/null. Returns the child's PID, or
   -1 (printed to stderr). */
pid_t sp_harness_spawn_with (const sp_harness_t *self, const char *program,
                             const sp_harness_spawn_options_t *options);

/* sp_harness_spawn_with without arguments, stdout and stderr appended to
   log_path. */
pid_t sp_harness_spawn (const sp_harness_t *self, const char *program, const char *const *settings,
                        const char *log_path);

/* Path of a program built with the tests: $SP_SOURCE_DIR/$SP_BUILD_DIR/bin/
   NAME (SP_BUILD_DIR defaults to build/release), written into path. */
void sp_harness_program (const char *name, char *path, size_t size);

/* Waits until the file at log_path holds a line containing text. Returns
   0, or -1 when pid exited first (it is then reaped) or timeout_ms passed. */
int sp_harness_wait_log (pid_t pid, const char *log_path, const char *text, int timeout_ms);

/* Reads the whole (small) file at path into buffer, NUL terminated and
   cut to size. Returns 0, or -1 when it cannot be opened (buffer is then
   empty). */
int sp_harness_read_file (const char *path, char *buffer, size_t size);

/* True when the file at log_path holds a line containing text. */
bool sp_harness_log_contains (const char *log_path, const char *text);

/* The /metrics port a service wrote in its `msg="started" http_port=N`
   log line (SP_HTTP with port 0), or -1 when the file at log_path holds
   none. */
int sp_harness_log_http_port (const char *log_path);

/* Waits until GET http://127.0.0.1:PORT/PATH answers status 200 with a
   body containing text (any body when text is NULL); the body is left in
   body. Returns 0, or -1 when pid exited first (it is then reaped) or
   timeout_ms passed. */
int sp_harness_wait_http (pid_t pid, int port, const char *path, const char *text, char *body,
                          size_t size, int timeout_ms);

/* Starts the built activity-ingest (sp_harness_program) with its ROUTER on
   endpoint, its bus on a free loopback port unless settings name
   SP_BUS_ENDPOINT (a test that subscribes picks its own), and settings
   (may be NULL), as
   sp_harness_spawn does, and waits until it logs that it accepts requests.
   Returns its PID, or -1 when it could not start, exited or was not ready
   within timeout_ms (then it is killed and reaped). */
pid_t sp_harness_start_ingest (const sp_harness_t *self, const char *endpoint,
                               const char *const *settings, const char *log_path, int timeout_ms);

/* Waits until pid exits; returns its exit status, 128 + signal when it was
   killed, or -1 when it still ran after timeout_ms (it is then killed with
   SIGKILL and reaped, so nothing is left behind). */
int sp_harness_wait_exit (pid_t pid, int timeout_ms);

/* Sends pid SIGTERM and waits for its exit as sp_harness_wait_exit does
   (so it is killed after timeout_ms); returns the same. */
int sp_harness_stop (pid_t pid, int timeout_ms);

#endif
