/*  bench_redis_stats - what Redis did during one phase of a benchmark,
    counted by Redis itself: the statistics are reset (CONFIG RESETSTAT)
    at the start of the phase and read at its end (INFO stats cpu
    commandstats, one call), so a consumer's cost in Redis is measured per
    applied event instead of estimated from its code.

    What Redis 7.0 counts (docs/performance.md, "Method: Redis commands per
    event"): every command it executes, whether a client sent it or a Lua
    script ran it with redis.call, has its calls and microseconds on its
    own commandstats line and in total_commands_processed; the script's
    own line (EVALSHA, EVAL) counts the call once, and its microseconds
    include those of the commands it ran. Redis 7.0 has no counter of the
    commands clients sent, so the phase reports, apart:
      - executed: every commandstats call (top level and inside scripts);
      - script calls: EVALSHA / EVAL / FCALL (and their _RO forms), which
        only clients send, each one request;
      - requests answered (round trips): total_writes_processed, one per
        time a client's replies were written (a request, or a pipeline
        read in one go); a pipeline longer than one 16 KiB read may be
        answered in more than one write, so this is an upper bound;
      - the main thread's CPU time (used_cpu_user_main_thread +
        used_cpu_sys_main_thread): everything Redis spent, reading and
        parsing requests and writing replies included, counted once.
    The benchmark's own commands during the phase (the RESETSTAT, its
    checkpoint reads: one round trip of one GET per partition each) are
    taken out; the closing INFO is not yet counted in its own answer.

    All through the Redis seam (sp_redis_command).
*/
#ifndef BENCH_REDIS_STATS_H_INCLUDED
#define BENCH_REDIS_STATS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sp_redis.h"

typedef struct _bench_redis_stats_t bench_redis_stats_t;

/* Statistics of one phase, read through redis (borrowed, must outlive
   this); bench names the program in messages on stderr. NULL when out of
   memory. */
bench_redis_stats_t *bench_redis_stats_new (const char *bench, sp_redis_t *redis);

/* Frees; no-op on NULL; sets *self_p to NULL. */
void bench_redis_stats_destroy (bench_redis_stats_t **self_p);

/* Starts the phase: notes the main thread's CPU time, then resets Redis's
   statistics. Returns 0, or -1 (printed). */
int bench_redis_stats_start (bench_redis_stats_t *self);

/* Ends the phase: reads the statistics and takes out this benchmark's own
   commands: the reset, and own_reads round trips of own_gets GETs each
   (checkpoint reads made since the start). Returns 0, or -1 (printed)
   when Redis did not answer or the answer lacks a counter. */
int bench_redis_stats_stop (bench_redis_stats_t *self, uint64_t own_reads, uint32_t own_gets);

/* Prints the phase per applied event (events > 0): one line per command
   with calls, then the totals (see the file comment). */
void bench_redis_stats_print (const bench_redis_stats_t *self, const char *phase, uint64_t events);

#endif
