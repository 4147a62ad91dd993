/*  bench_support - what every benchmark program needs around its
    measurement: clocks, finding the programs it starts, showing their logs
    when a run fails, trusted SQL, and event fields made from numbers.
    Linked into every benchmark program (Makefile, BENCH_SUPPORT_OBJ).
*/
#ifndef BENCH_SUPPORT_H_INCLUDED
#define BENCH_SUPPORT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sp_pg.h"

#define BENCH_SUPPORT_MS_PER_S 1000
#define BENCH_SUPPORT_NS_PER_S 1000000000L

/* Monotonic clock, seconds. */
double bench_seconds (void);

/* Wall clock, UTC ms since the epoch. */
int64_t bench_wall_ms (void);

/* Sets an event string field to format applied to value (format takes
   one %zu). Returns 0, or -1 when memory runs out. */
int bench_set_text (char **slot, const char *format, size_t value);

/* Runs a trusted SQL script; on failure prints `<bench>: "<sql>" failed:
   <reason>` to stderr and returns -1. */
int bench_exec (const char *bench, sp_pg_t *pg, const char *sql);

/* Prints the last 4 KiB of the log at path of program name to stderr,
   after a failed run. */
void bench_show_log (const char *bench, const char *name, const char *path);

/* Path of program name: next to this benchmark's build folder
   (<build>/bench/<bench> -> <build>/bin/<name>), else where the tests
   find it. Also points SP_SOURCE_DIR at the source tree when unset, so
   the harness finds deploy/ and migrations/ from any folder. */
void bench_locate (const char *name, char *program, size_t size);

#endif
