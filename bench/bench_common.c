/*  bench_common - throughput of the shared library's hot paths.

    Every event that enters Salespulse goes through these steps before it
    touches a server: JSON line -> validated SalesEvent (publishers using
    salesctl), protobuf pack (the wire), partition hash (routing), and
    later period cutting (every KPI, funnel and commission aggregate). This
    measures each in one run on this machine, so later benchmarks (ingest,
    consumers) can be read against them: a service step that is much slower
    than the pure CPU work here is spending its time in I/O.

    Output: one line per step with operations per second, and a closing
    line with the ratios to the JSON-to-event step.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_support.h"
#include "sp_event.h"
#include "sp_event_json.h"
#include "sp_money.h"
#include "sp_partition.h"
#include "sp_period.h"
#include "sp_proto.h"
#include "sp_tz.h"

#define BENCH_SECONDS_MIN 0.5                 /* each step runs at least this long */
#define BENCH_BATCH 1000                      /* operations between clock reads */
#define BENCH_PACK_LIMIT (64 * 1024)          /* max packed event size */
#define BENCH_MS_2017 INT64_C (1483228800000) /* 2017-01-01T00:00:00Z */
#define BENCH_MS_PER_DAY INT64_C (86400000)

static const char *const s_event_json =
    "{\"event_id\":\"crm:won:1001\",\"source\":\"crm\",\"type\":\"deal_won\","
    "\"occurred_at\":\"2017-05-03T10:00:00Z\",\"rep_id\":\"rep-ana\",\"team_id\":\"team-north\","
    "\"region_id\":\"emea\",\"customer_id\":\"acme\",\"opportunity_id\":\"opp-1001\","
    "\"currency\":\"EUR\",\"amount\":\"25000.00\",\"margin\":\"5000.00\",\"product\":\"GTX Pro\","
    "\"splits\":[{\"rep_id\":\"rep-ana\",\"percent\":60},{\"rep_id\":\"rep-bo\",\"percent\":40}]}";

typedef int (*s_step_fn) (uint64_t iteration, void *arg);

/* Runs step in batches until BENCH_SECONDS_MIN elapsed; returns ops/s or -1. */
static double
s_measure (const char *name, s_step_fn step, void *arg)
{
    uint64_t done = 0;
    double start = bench_seconds ();
    double elapsed = 0;
    while (elapsed < BENCH_SECONDS_MIN) {
        for (int i = 0; i < BENCH_BATCH; i++, done++)
            if (step (done, arg) != 0) {
                fprintf (stderr, "bench: step \"%s\" failed at iteration %llu\n", name,
                         (unsigned long long) done);
                return -1;
            }
        elapsed = bench_seconds () - start;
    }
    double rate = (double) done / elapsed;
    printf ("%-28s %12.0f ops/s  (%llu ops in %.2f s)\n", name, rate, (unsigned long long) done,
            elapsed);
    return rate;
}

static int
s_step_json (uint64_t iteration, void *arg)
{
    (void) iteration;
    (void) arg;
    sp_event_error_t error;
    sp_event_t *event = sp_event_from_json (s_event_json, strlen (s_event_json), &error);
    if (!event)
        return -1;
    sp_event_destroy (&event);
    return 0;
}

static int
s_step_pack (uint64_t iteration, void *arg)
{
    (void) iteration;
    uint8_t *data = NULL;
    size_t size = 0;
    char error[256];
    if (sp_proto_pack ((const ProtobufCMessage *) arg, BENCH_PACK_LIMIT, &data, &size, error,
                       sizeof error) != 0)
        return -1;
    free (data);
    return 0;
}

static int
s_step_partition (uint64_t iteration, void *arg)
{
    (void) arg;
    char key[32];
    int length = snprintf (key, sizeof key, "customer-%llu", (unsigned long long) iteration);
    volatile uint32_t partition = sp_partition_of (key, (size_t) length, 16);
    (void) partition;
    return 0;
}

static int
s_step_period (uint64_t iteration, void *arg)
{
    sp_period_t period;
    int64_t instant = BENCH_MS_2017 + (int64_t) (iteration % 3650) * BENCH_MS_PER_DAY / 7;
    return sp_period_cut ((const sp_tz_t *) arg, SP_PERIOD_WEEK, instant, &period);
}

static int
s_step_money (uint64_t iteration, void *arg)
{
    (void) iteration;
    (void) arg;
    int64_t minor;
    return sp_money_parse ("1234567.89", "USD", &minor) == SP_MONEY_OK ? 0 : -1;
}

int
main (void)
{
    char error[256];
    sp_event_error_t event_error;
    sp_event_t *event = sp_event_from_json (s_event_json, strlen (s_event_json), &event_error);
    sp_tz_t *tz = sp_tz_new ("America/New_York", error, sizeof error);
    int rc = 1;
    if (!event || !tz) {
        fprintf (stderr, "bench: setup failed: %s\n", event ? error : event_error.message);
        goto out_free;
    }
    printf ("bench_common: shared-library hot paths, one thread\n");
    double json = s_measure ("json line -> valid event", s_step_json, NULL);
    double pack = s_measure ("event -> protobuf bytes", s_step_pack, event);
    double partition = s_measure ("partition of customer_id", s_step_partition, NULL);
    double period = s_measure ("ISO week cut (New York)", s_step_period, tz);
    double money = s_measure ("money text -> minor units", s_step_money, NULL);
    if (json <= 0 || pack <= 0 || partition <= 0 || period <= 0 || money <= 0)
        goto out_free;
    printf ("ratios to json->event: pack %.1fx, partition %.1fx, week cut %.1fx, money %.1fx\n",
            pack / json, partition / json, period / json, money / json);
    rc = 0;
out_free:
    sp_tz_destroy (&tz);
    sp_event_destroy (&event);
    return rc;
}
