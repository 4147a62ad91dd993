/*  bench_support - what every benchmark program needs around its
    measurement: clocks, finding the programs it starts, showing their logs
    when a run fails, trusted SQL, event fields made from numbers, sizes
    from the environment and how long a wait may last.
    Linked into every benchmark program (Makefile, BENCH_SUPPORT_OBJ).
*/
#ifndef BENCH_SUPPORT_H_INCLUDED
#define BENCH_SUPPORT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sp_harness.h"
#include "sp_pg.h"
#include "sp_redis.h"

#define BENCH_SUPPORT_MS_PER_S 1000
#define BENCH_SUPPORT_NS_PER_S 1000000000L
#define BENCH_SUPPORT_WAIT_BASE_S 60.0      /* every wait: this, plus ... */
#define BENCH_SUPPORT_WAIT_RATE_FLOOR 500.0 /* ... one second per this many events */

/* Monotonic clock, seconds. */
double bench_seconds (void);

/* Wall clock, UTC ms since the epoch. */
int64_t bench_wall_ms (void);

/* Longest a wait for events events may take before a run is declared
   stuck: BENCH_SUPPORT_WAIT_BASE_S plus one second per
   BENCH_SUPPORT_WAIT_RATE_FLOOR events. */
double bench_wait_limit (size_t events);

/* Reads a positive count from the environment variable name into *count,
   fallback when it is unset or empty. Returns 0, or -1 (printed to
   stderr as `<bench>: invalid NAME "<value>": ...`) when it is not a
   positive integer. */
int bench_env_count (const char *bench, const char *name, size_t fallback, size_t *count);

/* Sets an event string field to format applied to value (format takes
   one %zu). Returns 0, or -1 when memory runs out. */
int bench_set_text (char **slot, const char *format, size_t value);

/* Runs a trusted SQL script; on failure prints `<bench>: "<sql>" failed:
   <reason>` to stderr and returns -1. */
int bench_exec (const char *bench, sp_pg_t *pg, const char *sql);

/* Starts PostgreSQL (migrated, partitions partitions recorded) and Redis
   for the program bench, with a connection to each into *pg and *redis
   (the caller destroys them with the harness). Returns the harness, or
   NULL (printed) with what did start left for the caller to destroy. */
sp_harness_t *bench_start_servers (const char *bench, uint32_t partitions, sp_pg_t **pg,
                                   sp_redis_t **redis);

/* Stops the service *pid (SIGTERM, then SIGKILL after timeout_ms) and
   sets *pid to -1. Returns its exit status, 0 when it was not running
   (*pid <= 0). */
int bench_stop (pid_t *pid, int timeout_ms);

/* Prints the last 4 KiB of the log at path of program name to stderr,
   after a failed run. */
void bench_show_log (const char *bench, const char *name, const char *path);

/* Path of program name: next to this benchmark's build folder
   (<build>/bench/<bench> -> <build>/bin/<name>), else where the tests
   find it. Also points SP_SOURCE_DIR at the source tree when unset, so
   the harness finds deploy/ and migrations/ from any folder, and then
   SP_BUILD_DIR (when unset) at this build folder, so the programs the
   harness starts (activity-ingest, salesctl) are of the same build. */
void bench_locate (const char *name, char *program, size_t size);

/* Redis's key count and used memory in MiB (INFO memory). Returns 0, or
   -1 when either read failed. */
int bench_redis_size (sp_redis_t *redis, int64_t *keys, double *mib);

/* qsort comparison of two doubles, ascending (latencies, rates). */
int bench_compare_double (const void *left, const void *right);

#endif
