/*  bench_live - a consumer's live run through activity-ingest (see
    bench_live.h).
*/
#include "bench_live.h"

#include <stdio.h>

#include "bench_support.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"

#define REPLY_TIMEOUT_MS 60000 /* ingest reply wait per attempt */
#define ACK_POLL_MS 1          /* acknowledgement poll interval */
#define ERROR_SIZE 512         /* a publisher's error */
#define START_TIMEOUT_MS 60000 /* activity-ingest's start */

/* One publisher's share of the run. */
typedef struct {
    const bench_live_options_t *options; /* the run */
    size_t first;                        /* run index of the share's event 0 */
} s_share_t;

/* sp_harness_event_fn of a publisher: event index of its share. */
static sp_event_t *
s_share_event (size_t index, void *arg)
{
    const s_share_t *share = (const s_share_t *) arg;
    return share->options->make_event (share->first + index, share->options->arg);
}

/* Batches acknowledged so far over every publisher. */
static size_t
s_batches_done (sp_harness_publisher_t *const *publishers)
{
    size_t done = 0;
    for (size_t index = 0; index < BENCH_LIVE_PUBLISHERS; index++)
        if (publishers[index])
            done += sp_harness_publisher_batches_done (publishers[index]);
    return done;
}

/* Waits for every publisher to end and checks every event was accepted.
   parts[i] events were given to publisher i. Returns 0, or -1. */
static int
s_check_accepted (const bench_live_options_t *options, sp_harness_publisher_t *const *publishers,
                  const size_t *parts)
{
    char error[ERROR_SIZE];
    for (size_t index = 0; index < BENCH_LIVE_PUBLISHERS; index++)
        if (publishers[index] && sp_harness_publisher_wait (publishers[index], REPLY_TIMEOUT_MS,
                                                            error, sizeof error) != 0) {
            fprintf (stderr, "%s: publisher %zu failed: %s\n", options->bench, index, error);
            return -1;
        }
    for (size_t index = 0; index < BENCH_LIVE_PUBLISHERS; index++) {
        const sp_harness_ack_t *acks =
            publishers[index] ? sp_harness_publisher_acks (publishers[index]) : NULL;
        for (size_t event = 0; acks && event < parts[index]; event++)
            if (acks[event].outcome != SALESPULSE__OUTCOME__OUTCOME_ACCEPTED) {
                fprintf (stderr, "%s: event \"%s\" not accepted (outcome %d)\n", options->bench,
                         acks[event].event_id, (int) acks[event].outcome);
                return -1;
            }
    }
    return 0;
}

int
bench_live_start_ingest (const sp_harness_t *harness, uint32_t partitions, bench_ingest_t *ingest)
{
    ingest->pid = -1;
    if (sp_harness_free_endpoint (ingest->endpoint, sizeof ingest->endpoint) != 0 ||
        sp_harness_free_endpoint (ingest->bus, sizeof ingest->bus) != 0)
        return -1;
    snprintf (ingest->log, sizeof ingest->log, "%s/activity-ingest.log", sp_harness_dir (harness));
    ingest->pid = sp_harness_consumer_start_ingest (
        harness, ingest->endpoint, ingest->bus, 0, (int) partitions, ingest->log, START_TIMEOUT_MS);
    return ingest->pid > 0 ? 0 : -1;
}

int
bench_live_run (const bench_live_options_t *options, bench_live_result_t *result)
{
    sp_harness_publisher_t *publishers[BENCH_LIVE_PUBLISHERS] = { NULL };
    s_share_t shares[BENCH_LIVE_PUBLISHERS];
    size_t parts[BENCH_LIVE_PUBLISHERS] = { 0 };
    size_t count = options->count;
    size_t batches = (count + BENCH_LIVE_BATCH - 1) / BENCH_LIVE_BATCH;
    size_t share = batches / BENCH_LIVE_PUBLISHERS * BENCH_LIVE_BATCH, first = 0;
    uint64_t sum = 0;
    int rc = -1;
    double start = bench_seconds (), applied = 0;
    for (size_t index = 0; index < BENCH_LIVE_PUBLISHERS; index++) {
        size_t part = index + 1 < BENCH_LIVE_PUBLISHERS ? share : count - first;
        parts[index] = part;
        shares[index] = (s_share_t){ options, first };
        sp_harness_publisher_options_t publisher = {
            .endpoint = options->endpoint,
            .count = part,
            .batch = BENCH_LIVE_BATCH,
            .timeout_ms = REPLY_TIMEOUT_MS,
            .make_event = s_share_event,
            .arg = &shares[index],
        };
        sp_ingest_client_options_init (&publisher.client);
        first += part;
        if (part > 0 && !(publishers[index] = sp_harness_publisher_new (&publisher))) {
            fprintf (stderr, "%s: could not start publisher %zu\n", options->bench, index);
            goto out_destroy;
        }
    }
    /* Watches the acknowledgements closely: the moment the last arrives
       gives ingest's time and the consumer's lag. */
    double deadline = start + bench_wait_limit (count);
    size_t batches_done = 0;
    while (batches_done < batches && bench_seconds () < deadline) {
        sp_harness_pause_ms (ACK_POLL_MS);
        batches_done = s_batches_done (publishers);
    }
    double acknowledged = bench_seconds ();
    if (batches_done < batches) {
        fprintf (stderr, "%s: %zu of %zu requests acknowledged after %.0f s\n", options->bench,
                 batches_done, batches, bench_wait_limit (count));
        goto out_destroy;
    }
    if (bench_checkpoints_sum (options->checkpoints, &sum) != 0 ||
        s_check_accepted (options, publishers, parts) != 0 ||
        bench_checkpoints_wait (options->checkpoints, options->target, options->consumer_pid,
                                bench_wait_limit (count), &applied) != 0)
        goto out_destroy;
    result->ingest_s = acknowledged - start;
    result->consumer_s = applied - start;
    result->lag = options->target - sum;
    rc = 0;

out_destroy:
    for (size_t index = 0; index < BENCH_LIVE_PUBLISHERS; index++)
        sp_harness_publisher_destroy (&publishers[index]);
    return rc;
}
