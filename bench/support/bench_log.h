/*  bench_log - an event log of any size, written straight into the events
    table as activity-ingest would have stored it, for the benchmarks that
    time a consumer's rebuild (bench_consumer, bench_funnel).

    Publishing a million events through the service would take minutes and
    measure ingest, not the consumer; so the rows are built with the
    service's own code (ingest_copy: the same columns, SHA-256 content
    hash, partition of sp_event_partition_key, gap-free sequences from 1)
    and written with binary COPY in chunks, then the partitions' heads are
    set and the table VACUUM ANALYZEd, as an old log would be.
*/
#ifndef BENCH_LOG_H_INCLUDED
#define BENCH_LOG_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sp_harness_publisher.h"
#include "sp_pg.h"

/* Rows per COPY while loading. */
#define BENCH_LOG_COPY_CHUNK 10000

/* Writes events 0..count-1 of make_event (called in order, with arg; each
   event must be valid, it is destroyed here) into the empty log of pg's
   database over partitions partitions (1..SP_PARTITIONS_MAX), sets every
   partition's head_sequence and refreshes the table's statistics. bench
   names the program in messages on stderr. Returns 0, or -1. */
int bench_log_load (const char *bench, sp_pg_t *pg, uint32_t partitions, size_t count,
                    sp_harness_event_fn make_event, void *arg);

#endif
