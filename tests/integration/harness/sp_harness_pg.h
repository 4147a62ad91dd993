/*  sp_harness_pg - the test database as integration tests use it: start
    the servers and connect with the partition count recorded (as `salesctl migrate` does at
    setup), read one number back from a query, empty the event log between
    tests and check that every partition is gap-free. Several tests share
    these steps; here they are written once, in one form.
*/
#ifndef SP_HARNESS_PG_H_INCLUDED
#define SP_HARNESS_PG_H_INCLUDED

#include <stdint.h>

#include "sp_harness.h"
#include "sp_pg.h"

/* Connects to the harness's database as application and records
   partitions as the partition count. Returns the connection (the caller
   owns it), or NULL (printed to stderr). */
sp_pg_t *sp_harness_pg_connect (const sp_harness_t *harness, const char *application,
                                int partitions);

/* The servers of most integration tests: starts PostgreSQL and Redis
   (sp_harness_new) and records partitions (sp_harness_pg_connect). *pg_p
   gets the connection when pg_p is not NULL; otherwise it is closed.
   Returns the harness, or NULL (printed) after stopping what started. */
sp_harness_t *sp_harness_pg_fixture (const char *application, int partitions, sp_pg_t **pg_p);

/* The same with the servers of flags (sp_harness_new's; PostgreSQL is
   always started): e.g. SP_HARNESS_POSTGRES | SP_HARNESS_REDIS_CLUSTER. */
sp_harness_t *sp_harness_pg_fixture_with (unsigned flags, const char *application, int partitions,
                                          sp_pg_t **pg_p);

/* The integer in the first column of the first row of sql's result. A
   connection lost to a PostgreSQL restart is noticed by the first attempt
   and repaired by a second. Returns -1 when the query failed or gave no
   integer (printed to stderr), so a test comparing counts fails. */
int64_t sp_harness_pg_count (sp_pg_t *pg, const char *sql);

/* Empties the event log: events, dead letters and conflicts, every
   partition's head back to 0. Returns 0, or -1. */
int sp_harness_pg_clear_events (sp_pg_t *pg);

/* Partitions that do not hold exactly the sequences 1..head_sequence:
   0 when the whole log is gap-free, -1 when the query failed. */
int64_t sp_harness_pg_partition_gaps (sp_pg_t *pg);

/* A superuser connection (as application) to the replica the harness
   started (sp_harness_replica_start), for a test's own reads and its
   pg_wal_replay_pause/resume. NULL (printed) when it could not connect. */
sp_pg_t *sp_harness_pg_replica_connect (const sp_harness_t *harness, const char *application);

/* Runs sql (no parameters, its rows ignored). 0, or -1 (printed). */
int sp_harness_pg_run (sp_pg_t *pg, const char *sql);

/* Polls sp_harness_pg_count (pg, sql) until it is expected. 0, or -1
   (printed) after timeout_ms. */
int sp_harness_pg_wait_count (sp_pg_t *pg, const char *sql, int64_t expected, int timeout_ms);

#endif
