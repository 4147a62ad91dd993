/*  bench_live - a consumer's live run: events published at full speed
    through activity-ingest while the consumer, caught up, follows its bus.

    BENCH_LIVE_PUBLISHERS harness publishers (one request of
    BENCH_LIVE_BATCH events in flight each) send consecutive shares of the
    run; the acknowledgements are watched closely so the moment the last
    arrives gives ingest's time and the consumer's lag then; every event
    must come back accepted. The consumer's time runs from the first send
    until its checkpoints (bench_checkpoints) reach the new total. Both
    rates are over the same run, so their ratio says whether the consumer
    keeps up with ingest (bench_consumer, bench_funnel).
*/
#ifndef BENCH_LIVE_H_INCLUDED
#define BENCH_LIVE_H_INCLUDED

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench_checkpoints.h"
#include "sp_harness.h"
#include "sp_harness_publisher.h"

#define BENCH_LIVE_PUBLISHERS 4     /* as bench_ingest: one request in flight each */
#define BENCH_LIVE_BATCH 1000       /* events per ingest request */
#define BENCH_LIVE_ENDPOINT_SIZE 96 /* "tcp://127.0.0.1:PORT" */

/* The activity-ingest a live run publishes through. */
typedef struct {
    char endpoint[BENCH_LIVE_ENDPOINT_SIZE]; /* its ROUTER */
    char bus[BENCH_LIVE_ENDPOINT_SIZE];      /* its PUB, the consumer's bus */
    char log[PATH_MAX];                      /* its stdout and stderr; "" before start */
    pid_t pid;                               /* -1 when not running */
} bench_ingest_t;

/* Starts the built activity-ingest for the harness's servers and
   partitions partitions, with its ROUTER and bus on free ports and its
   log in the harness's folder, and waits until it accepts requests.
   Returns 0, or -1 (printed). */
int bench_live_start_ingest (const sp_harness_t *harness, uint32_t partitions,
                             bench_ingest_t *ingest);

/* What a live run publishes and watches. */
typedef struct {
    const char *bench;                /* program name in messages on stderr */
    const char *endpoint;             /* activity-ingest's ROUTER */
    size_t count;                     /* events in the run */
    sp_harness_event_fn make_event;   /* event index (0..count-1) of the run; called
                                         from the publisher threads at once */
    void *arg;                        /* passed to make_event (read only) */
    bench_checkpoints_t *checkpoints; /* the consumer's */
    pid_t *consumer_pid;              /* the consumer (set to -1 if it exited) */
    uint64_t target;                  /* checkpoint sum once the run is applied */
} bench_live_options_t;

/* What a live run measured. */
typedef struct {
    double ingest_s;   /* first send to the last acknowledgement */
    double consumer_s; /* first send to the checkpoints at target */
    uint64_t lag;      /* events not yet applied at the last acknowledgement */
} bench_live_result_t;

/* Publishes the run and waits until the consumer applied it (each wait
   bounded by bench_wait_limit (count)). Returns 0 with result filled, or
   -1 (printed). */
int bench_live_run (const bench_live_options_t *options, bench_live_result_t *result);

#endif
