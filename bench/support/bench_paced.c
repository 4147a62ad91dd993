/*  bench_paced - a consumer's live run at an offered rate (see
    bench_paced.h).
*/
#include "bench_paced.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "bench_support.h"
#include "sp_harness.h"

#define REPLY_TIMEOUT_MS 60000 /* ingest reply wait per attempt */
#define START_DELAY_S 0.2      /* publishers connect before the first slot */
#define SLEEP_STEP_S 0.05      /* a publisher waiting for its slot checks for an abort this often */
#define ERROR_SIZE 512         /* a publisher's error */
#define LAG_WINDOWS 10         /* lag_start / lag_end: the first and last of this many windows */
#define JOIN_TIMEOUT_MS 60000  /* publishers' end once every request was acknowledged */
#define MS_PER_S 1000.0

/* What every publisher of the run shares. */
typedef struct {
    const bench_paced_options_t *options; /* the run */
    double start;                         /* monotonic time of slot 0 */
    double interval;                      /* seconds between two slots */
    double *sent;                         /* [requests] when request g was sent; entry g written
                                             by its publisher before its acknowledgement */
    atomic_bool abort;                    /* the run failed: publishers stop */
} s_schedule_t;

/* One publisher: requests lane, lane + BENCH_PACED_PUBLISHERS, ... */
typedef struct {
    s_schedule_t *schedule; /* shared */
    size_t lane;            /* its number */
    size_t late;            /* requests sent after their slot (read after the join) */
} s_lane_t;

/* Sleeps until the monotonic time at, or until the run aborts. */
static void
s_sleep_until (const s_schedule_t *schedule, double at)
{
    for (double now = bench_seconds (); now < at && !atomic_load (&schedule->abort);
         now = bench_seconds ()) {
        double until_s = at - now < SLEEP_STEP_S ? at : now + SLEEP_STEP_S;
        struct timespec until;
        until.tv_sec = (time_t) until_s;
        until.tv_nsec = (long) ((until_s - (double) until.tv_sec) * BENCH_SUPPORT_NS_PER_S);
        while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
            ;
    }
}

/* sp_harness_event_fn of a publisher: its local event index to the run's;
   before the first event of a request, waits for the request's slot. */
static sp_event_t *
s_lane_event (size_t index, void *arg)
{
    s_lane_t *lane = (s_lane_t *) arg;
    s_schedule_t *schedule = lane->schedule;
    size_t request = index / BENCH_PACED_BATCH * BENCH_PACED_PUBLISHERS + lane->lane;
    if (atomic_load (&schedule->abort))
        return NULL;
    if (index % BENCH_PACED_BATCH == 0) {
        double due = schedule->start + (double) request * schedule->interval;
        if (bench_seconds () < due)
            s_sleep_until (schedule, due);
        else
            lane->late++;
        schedule->sent[request] = bench_seconds ();
    }
    return schedule->options->make_event (request * BENCH_PACED_BATCH + index % BENCH_PACED_BATCH,
                                          schedule->options->arg);
}

static int
s_compare_double (const void *left, const void *right)
{
    double a = *(const double *) left, b = *(const double *) right;
    return (a > b) - (a < b);
}

/* Value at quantile (0..1) of count sorted values (nearest rank). */
static double
s_quantile (const double *sorted, size_t count, double quantile)
{
    size_t rank = (size_t) (quantile * (double) count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > count)
        rank = count;
    return sorted[rank - 1];
}

/* The run's state while it is watched. */
typedef struct {
    const bench_paced_options_t *options;
    uint32_t partitions;
    size_t requests; /* in the run */
    double *acked;   /* [requests] first poll that saw it acknowledged */
    double *visible; /* [requests] first poll that saw it visible */
    uint64_t *need;  /* [requests * partitions] highest sequence of the request per partition */
    size_t *pending; /* acknowledged requests not yet visible */
    size_t pending_count;
    size_t visible_count;
} s_watch_t;

/* Records the acknowledgement at now of request (publisher acks, its
   first event). Returns 0, or -1 when an event was not accepted. */
static int
s_acknowledged (s_watch_t *watch, size_t request, const sp_harness_ack_t *acks, double now)
{
    watch->acked[request] = now;
    uint64_t *need = watch->need + request * watch->partitions;
    for (size_t index = 0; index < BENCH_PACED_BATCH; index++) {
        const sp_harness_ack_t *ack = &acks[index];
        if (ack->outcome != SALESPULSE__OUTCOME__OUTCOME_ACCEPTED ||
            ack->partition >= watch->partitions) {
            fprintf (stderr, "%s: event \"%s\" not accepted (outcome %d, partition %" PRIu32 ")\n",
                     watch->options->bench, ack->event_id ? ack->event_id : "", (int) ack->outcome,
                     ack->partition);
            return -1;
        }
        if (ack->sequence > need[ack->partition])
            need[ack->partition] = ack->sequence;
    }
    watch->pending[watch->pending_count++] = request;
    return 0;
}

/* Marks visible at now every pending request the checkpoints cover. */
static void
s_covered (s_watch_t *watch, const uint64_t *checkpoints, double now)
{
    size_t kept = 0;
    for (size_t index = 0; index < watch->pending_count; index++) {
        size_t request = watch->pending[index];
        const uint64_t *need = watch->need + request * watch->partitions;
        bool covered = true;
        for (uint32_t partition = 0; covered && partition < watch->partitions; partition++)
            covered = checkpoints[partition] >= need[partition];
        if (covered) {
            watch->visible[request] = now;
            watch->visible_count++;
        }
        else
            watch->pending[kept++] = request;
    }
    watch->pending_count = kept;
}

/* Fills the latencies of result from watch and schedule. */
static int
s_summarise (const s_watch_t *watch, const s_schedule_t *schedule, bench_paced_result_t *result)
{
    size_t requests = watch->requests;
    double *ack_visible = (double *) malloc (requests * sizeof (double));
    double *send_ack = (double *) malloc (requests * sizeof (double));
    if (!ack_visible || !send_ack) {
        free (ack_visible);
        free (send_ack);
        fprintf (stderr, "%s: out of memory\n", watch->options->bench);
        return -1;
    }
    double last_ack = watch->acked[0], last_visible = watch->visible[0];
    for (size_t request = 0; request < requests; request++) {
        ack_visible[request] = (watch->visible[request] - watch->acked[request]) * MS_PER_S;
        send_ack[request] = (watch->acked[request] - schedule->sent[request]) * MS_PER_S;
        if (watch->acked[request] > last_ack)
            last_ack = watch->acked[request];
        if (watch->visible[request] > last_visible)
            last_visible = watch->visible[request];
    }
    qsort (ack_visible, requests, sizeof (double), s_compare_double);
    qsort (send_ack, requests, sizeof (double), s_compare_double);
    result->p50_ms = s_quantile (ack_visible, requests, 0.50);
    result->p90_ms = s_quantile (ack_visible, requests, 0.90);
    result->p99_ms = s_quantile (ack_visible, requests, 0.99);
    result->max_ms = ack_visible[requests - 1];
    result->send_ack_p50_ms = s_quantile (send_ack, requests, 0.50);
    result->send_ack_p99_ms = s_quantile (send_ack, requests, 0.99);
    result->ack_s = last_ack - schedule->start;
    result->ack_rate = (double) watch->options->count / result->ack_s;
    result->visible_s = last_visible - schedule->start;
    free (ack_visible);
    free (send_ack);
    return 0;
}

int
bench_paced_run (const bench_paced_options_t *options, bench_paced_result_t *result)
{
    const char *bench = options->bench;
    sp_harness_publisher_t *publishers[BENCH_PACED_PUBLISHERS] = { NULL };
    s_lane_t lanes[BENCH_PACED_PUBLISHERS];
    size_t seen[BENCH_PACED_PUBLISHERS] = { 0 };
    s_watch_t watch = { .options = options };
    s_schedule_t schedule = { .options = options };
    int rc = -1;
    atomic_init (&schedule.abort, false);
    memset (result, 0, sizeof *result);
    assert (options->rate > 0 && options->count > 0 && options->count % BENCH_PACED_BATCH == 0);
    watch.requests = options->count / BENCH_PACED_BATCH;
    watch.partitions = bench_checkpoints_partitions (options->checkpoints);
    watch.acked = (double *) calloc (watch.requests, sizeof (double));
    watch.visible = (double *) calloc (watch.requests, sizeof (double));
    watch.need = (uint64_t *) calloc (watch.requests * watch.partitions, sizeof (uint64_t));
    watch.pending = (size_t *) calloc (watch.requests, sizeof (size_t));
    schedule.sent = (double *) calloc (watch.requests, sizeof (double));
    if (!watch.acked || !watch.visible || !watch.need || !watch.pending || !schedule.sent) {
        fprintf (stderr, "%s: out of memory\n", bench);
        goto out_free;
    }
    schedule.interval = (double) BENCH_PACED_BATCH / options->rate;
    schedule.start = bench_seconds () + START_DELAY_S;
    for (size_t lane = 0; lane < BENCH_PACED_PUBLISHERS; lane++) {
        lanes[lane] = (s_lane_t){ &schedule, lane, 0 };
        size_t requests =
            lane < watch.requests
                ? (watch.requests - lane + BENCH_PACED_PUBLISHERS - 1) / BENCH_PACED_PUBLISHERS
                : 0;
        sp_harness_publisher_options_t publisher = {
            .endpoint = options->endpoint,
            .count = requests * BENCH_PACED_BATCH,
            .batch = BENCH_PACED_BATCH,
            .timeout_ms = REPLY_TIMEOUT_MS,
            .make_event = s_lane_event,
            .arg = &lanes[lane],
        };
        sp_ingest_client_options_init (&publisher.client);
        if (requests > 0 && !(publishers[lane] = sp_harness_publisher_new (&publisher))) {
            fprintf (stderr, "%s: could not start publisher %zu\n", bench, lane);
            goto out_abort;
        }
    }

    /* Watch: acknowledgements every poll, checkpoints while any request
       waits to become visible (and once at the schedule's end). */
    result->schedule_s = (double) (watch.requests - 1) * schedule.interval;
    double end = schedule.start + result->schedule_s;
    double window = result->schedule_s / LAG_WINDOWS;
    double deadline = end + bench_wait_limit (options->count);
    double lag_sum[2] = { 0, 0 };
    size_t lag_samples[2] = { 0, 0 };
    uint64_t reads_before = bench_checkpoints_reads (options->checkpoints);
    bool end_sampled = false;
    while (watch.visible_count < watch.requests) {
        double now = bench_seconds ();
        for (size_t lane = 0; lane < BENCH_PACED_PUBLISHERS; lane++) {
            size_t done =
                publishers[lane] ? sp_harness_publisher_batches_done (publishers[lane]) : 0;
            const sp_harness_ack_t *acks =
                publishers[lane] ? sp_harness_publisher_acks (publishers[lane]) : NULL;
            for (; seen[lane] < done; seen[lane]++)
                if (s_acknowledged (&watch, seen[lane] * BENCH_PACED_PUBLISHERS + lane,
                                    acks + seen[lane] * BENCH_PACED_BATCH, now) != 0)
                    goto out_abort;
        }
        if (watch.pending_count > 0 || (!end_sampled && now >= end)) {
            const uint64_t *checkpoints = NULL;
            uint64_t sum = 0;
            if (bench_checkpoints_read (options->checkpoints, &checkpoints) != 0)
                goto out_abort;
            double read = bench_seconds ();
            for (uint32_t partition = 0; partition < watch.partitions; partition++)
                sum += checkpoints[partition];
            if (sum > options->base + options->count) {
                fprintf (stderr,
                         "%s: checkpoints sum to %" PRIu64 ", beyond the %" PRIu64
                         " events written\n",
                         bench, sum, options->base + options->count);
                goto out_abort;
            }
            s_covered (&watch, checkpoints, read);
            if (!end_sampled && read >= end) {
                result->applied_rate = (double) (sum - options->base) / (read - schedule.start);
                end_sampled = true;
            }
        }
        uint64_t lag = (uint64_t) watch.pending_count * BENCH_PACED_BATCH;
        if (lag > result->lag_max)
            result->lag_max = lag;
        if (now >= schedule.start && now < schedule.start + window) {
            lag_sum[0] += (double) lag;
            lag_samples[0]++;
        }
        else if (now >= end - window && now <= end) {
            lag_sum[1] += (double) lag;
            lag_samples[1]++;
        }
        if (waitpid (*options->consumer_pid, NULL, WNOHANG) != 0) {
            fprintf (stderr, "%s: the consumer exited during the paced run\n", bench);
            *options->consumer_pid = -1;
            goto out_abort;
        }
        if (now > deadline) {
            fprintf (stderr,
                     "%s: %zu of %zu requests visible %.0f s after the schedule's end; "
                     "%zu acknowledged requests not applied (events lost?)\n",
                     bench, watch.visible_count, watch.requests, bench_wait_limit (options->count),
                     watch.pending_count);
            goto out_abort;
        }
        if (watch.visible_count < watch.requests)
            sp_harness_pause_ms (BENCH_PACED_POLL_MS);
    }
    result->polls = bench_checkpoints_reads (options->checkpoints) - reads_before;

    /* Every request visible: the publishers have ended; nothing beyond. */
    char error[ERROR_SIZE];
    for (size_t lane = 0; lane < BENCH_PACED_PUBLISHERS; lane++)
        if (publishers[lane] && sp_harness_publisher_wait (publishers[lane], JOIN_TIMEOUT_MS, error,
                                                           sizeof error) != 0) {
            fprintf (stderr, "%s: publisher %zu failed: %s\n", bench, lane, error);
            goto out_abort;
        }
    uint64_t sum = 0;
    if (bench_checkpoints_sum (options->checkpoints, &sum) != 0)
        goto out_abort;
    if (sum != options->base + options->count) {
        fprintf (stderr,
                 "%s: checkpoints sum to %" PRIu64 " after the paced run, expected %" PRIu64 "\n",
                 bench, sum, options->base + options->count);
        goto out_abort;
    }
    for (size_t lane = 0; lane < BENCH_PACED_PUBLISHERS; lane++)
        result->late += lanes[lane].late;
    result->requests = watch.requests;
    result->lag_start = lag_samples[0] ? lag_sum[0] / (double) lag_samples[0] : 0;
    result->lag_end = lag_samples[1] ? lag_sum[1] / (double) lag_samples[1] : 0;
    if (s_summarise (&watch, &schedule, result) != 0)
        goto out_abort;
    rc = 0;

out_abort:
    if (rc != 0)
        atomic_store (&schedule.abort, true);
    for (size_t lane = 0; lane < BENCH_PACED_PUBLISHERS; lane++)
        sp_harness_publisher_destroy (&publishers[lane]);

out_free:
    free (watch.acked);
    free (watch.visible);
    free (watch.need);
    free (watch.pending);
    free (schedule.sent);
    return rc;
}
