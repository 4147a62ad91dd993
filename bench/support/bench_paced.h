/*  bench_paced - a consumer's live run at an offered rate: requests of
    BENCH_PACED_BATCH events sent through activity-ingest on a fixed
    schedule for a fixed time, and for every request the time from its
    acknowledgement until the consumer made all its events visible.

    "Visible" means the consumer's checkpoint of an event's partition
    covers the event's sequence (ingest's reply tells both, per event):
    the consumer writes the checkpoint in the same atomic apply as the
    state, so from then on a query sees the event.

    BENCH_PACED_PUBLISHERS harness publishers (sp_harness_publisher, one
    request in flight each) share the schedule: request g (0, 1, ...) is
    due at start + g * BENCH_PACED_BATCH / rate and goes to publisher
    g % BENCH_PACED_PUBLISHERS, which sleeps until it is due (in its
    make_event of the request's first event) and counts it late if it was
    still busy with the previous one. This thread watches the
    acknowledgements (every BENCH_PACED_POLL_MS) and reads every
    partition's checkpoint in one round trip per poll while any
    acknowledged request is not yet visible; a request's latency runs
    from the first poll that saw it acknowledged to the first poll that
    saw it visible, so each end is late by at most a poll and a round trip.

    The run stops by itself: it fails (-1, printed) when an event comes
    back other than accepted, when the consumer exits, or when not every
    event is visible bench_wait_limit (events) after the schedule's end
    (an acknowledged event the consumer never applied: lost), or when the
    checkpoints go beyond the events written.
*/
#ifndef BENCH_PACED_H_INCLUDED
#define BENCH_PACED_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench_checkpoints.h"
#include "sp_harness_publisher.h"

/* Requests in flight at most: the schedule stays open loop while ingest
   answers a request within this many slots (53 ms at 15,000 events/s). */
#define BENCH_PACED_PUBLISHERS 8
#define BENCH_PACED_BATCH 100 /* events per request */
#define BENCH_PACED_POLL_MS 1 /* acknowledgement and checkpoint poll interval */

/* What a paced run publishes and watches. */
typedef struct {
    const char *bench;                /* program name in messages on stderr */
    const char *endpoint;             /* activity-ingest's ROUTER */
    double rate;                      /* offered events/s (> 0) */
    size_t count;                     /* events in the run: whole requests */
    sp_harness_event_fn make_event;   /* event index (0..count-1) of the run; called
                                         from the publisher threads at once */
    void *arg;                        /* passed to make_event (read only) */
    bench_checkpoints_t *checkpoints; /* the consumer's */
    pid_t *consumer_pid;              /* the consumer (set to -1 if it exited) */
    uint64_t base;                    /* checkpoint sum before the run */
} bench_paced_options_t;

/* What a paced run measured. Latencies are per request, ms. */
typedef struct {
    size_t requests;        /* requests sent */
    size_t late;            /* requests sent after their slot */
    double schedule_s;      /* first slot to the last slot */
    double ack_s;           /* start to the last acknowledgement */
    double ack_rate;        /* events acknowledged / ack_s */
    double applied_rate;    /* checkpoint progress over the schedule / schedule_s */
    double visible_s;       /* start to the last event visible */
    double send_ack_p50_ms; /* send -> acknowledgement */
    double send_ack_p99_ms;
    double p50_ms; /* acknowledgement -> visible */
    double p90_ms;
    double p99_ms;
    double max_ms;
    double lag_start; /* mean events acknowledged, not visible: first tenth of the schedule */
    double lag_end;   /* ... last tenth of the schedule */
    uint64_t lag_max; /* most seen at any poll */
    uint64_t polls;   /* checkpoint reads made */
} bench_paced_result_t;

/* Publishes the run on its schedule and waits until every event is
   visible. Returns 0 with result filled, or -1 (printed). */
int bench_paced_run (const bench_paced_options_t *options, bench_paced_result_t *result);

#endif
