/*  sp_harness_redis - the harness's Redis as integration tests use it:
    connect to it (with an empty database when a test wants one), run a
    command of C strings and read an integer or a string back. Several
    tests share these steps; here they are written once, in one form.

    The harness is linked into the benchmarks too, which do not link
    cmocka, so nothing here fails a test itself: each function prints what
    went wrong to stderr and returns NULL or -1, and the test asserts on
    that.
*/
#ifndef SP_HARNESS_REDIS_H_INCLUDED
#define SP_HARNESS_REDIS_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "sp_harness.h"
#include "sp_redis.h"

/* cmocka group setup and teardown for tests that need only Redis: *state
   becomes a harness with a Redis server (sp_harness_t *), destroyed by
   the teardown. Return 0, or -1 when the server could not start. */
int sp_harness_redis_group_setup (void **state);
int sp_harness_redis_group_teardown (void **state);

/* The same group setup for tests written for one server and a cluster
   alike: with SP_HARNESS_REDIS=cluster the harness's Redis is a cluster
   of SP_HARNESS_CLUSTER_MASTERS masters (SP_HARNESS_REDIS_CLUSTER), so
   sp_harness_redis_connect and _fresh give a client of the whole
   cluster. Torn down by sp_harness_redis_group_teardown. */
int sp_harness_redis_group_setup_either (void **state);

/* A live connection to the harness's Redis, the caller owns it; NULL
   (printed) when it could not connect. */
sp_redis_t *sp_harness_redis_connect (const sp_harness_t *harness);

/* A connection handle (not connected) to a closed loopback port with one
   200 ms connect attempt and 1 ms backoff: every call fails quickly with
   "connection refused", for tests of what happens while Redis is down.
   NULL (printed) when no free port could be found. */
sp_redis_t *sp_harness_redis_unreachable (void);

/* sp_harness_redis_connect, then FLUSHALL: an empty database. */
sp_redis_t *sp_harness_redis_fresh (const sp_harness_t *harness);

/* Runs a command of C strings. Returns the reply (the caller destroys
   it), or NULL (printed) when the command failed. */
sp_redis_reply_t *sp_harness_redis_run (sp_redis_t *redis, int argc, const char *const *argv);

/* Runs a command of C strings and drops its reply. Returns 0, or -1
   (printed) when the command failed. */
int sp_harness_redis_run_and_drop (sp_redis_t *redis, int argc, const char *const *argv);

/* Runs a command of C strings whose reply is an integer, into *value.
   Returns 0, or -1 (printed; *value untouched) when the command failed or
   answered something else. */
int sp_harness_redis_integer (sp_redis_t *redis, int argc, const char *const *argv, int64_t *value);

/* True when key holds the string expected, or, with expected NULL, when
   key is missing; otherwise false, with what it holds printed. */
bool sp_harness_redis_value_is (sp_redis_t *redis, const char *key, const char *expected);

#endif
