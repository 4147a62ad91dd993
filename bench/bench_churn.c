/*  bench_churn - churn-alerting in one run (issue 12): its live applied
    events/s against ingest's acknowledged events/s, its rebuild against
    the counting consumer's catch-up of the same log, and the time from an
    event that makes an alert fire to the alert on the PUB socket, at a
    steady offered load of half ingest's rate.

    The customers: SP_BENCH_CHURN_CUSTOMERS (default 8,000) "cust-NNNNN",
    all 16 partitions. Event g of a run is customer g mod C's, in rounds
    of C events; by (round + customer) a round's event is an order
    (USD), its payment, a visit, a call, a survey (NPS) or, one in 20, a
    complaint, so every customer orders every 5 rounds and has its own
    typical interval. Orders and payments name no rep (an ERP's); the
    others name the customer's rep (one of BENCH_REPS). One customer in BENCH_CHURNER_EVERY stops
   ordering and paying halfway through the log (its orders and payments become calls): the alerts a
   real feed raises.

      1. the log: SP_BENCH_CHURN_EVENTS events (default 400,000) spread
         over BENCH_LOG_DAYS days from BENCH_LOG_START, plus the victims'
         orders (below), COPYed into the events table (bench_log).
      2. baseline: the counting consumer catches the log up from an empty
         Redis (counts checked), stops, Redis is flushed.
      3. rebuild: churn-alerting (USD, UTC, --clock event, scoring every
         SP_BENCH_CHURN_SCORING_MS, default 100 ms) spawned on the empty
         Redis and timed until its checkpoints sum to the log. Then its
         first scoring: every customer from its first day up to the day
         before the last (the clock), timed until every customer's row in
         churn_customers reaches it.
      4. live: SP_BENCH_CHURN_LIVE_EVENTS events (default 200,000), all
         on the log's last day (no day closes: what a live service sees
         within a day), published at full speed (bench_live).
      5. alerts: for SP_BENCH_CHURN_ALERT_SECONDS (default 100) events are
         offered at half the live run's acknowledged rate in requests of
         100 (bench_paced), and every SP_BENCH_CHURN_TRIGGER_MS (default
         5,000) the last event of a request is a trigger: a call of the
         next partition's first customer, dated the partition's next day.
         With --clock event it closes the partition's day, and its victim
         (a customer of that partition with orders every 10 days, the
         last 21 days before the closed day: overdue, 21 > 2 x 10, from
         that day on, not before) must get an overdue FIRE for the day.
         Every other event of partition p is dated the day p had
         BENCH_TRIGGER_MARGIN events earlier, so no other event closes a
         day first. The trigger's time is taken when this program builds
         it (just before its request is sent); the alert's when a SUB
         socket on churn-alerting's alerts endpoint (a thread of its own,
         subscribed from the start) receives it. At most
         BENCH_TRIGGERS_MAX triggers (20 days for each partition).
         The slowest three are printed with their send times on
         CLOCK_MONOTONIC; with SP_BENCH_CHURN_LOG_LEVEL=debug churn-alerting
         logs each day close's steps on that clock ("day close scored");
         SP_BENCH_CHURN_LOG_COPY=<file> keeps churn-alerting's log there.

    In the rebuild and live phases Redis's own statistics are reset at the
    start and read at the end (bench_redis_stats). Everything (PostgreSQL,
    Redis, activity-ingest, the consumers, the publishers and this
    program) shares the machine's cores; the core count and the load
    average are printed with the figures.
*/
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <czmq.h>

#include "bench_checkpoints.h"
#include "bench_live.h"
#include "bench_log.h"
#include "bench_paced.h"
#include "bench_redis_stats.h"
#include "bench_support.h"
#include "churn.pb-c.h"
#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_publisher.h"
#include "sp_harness_redis.h"
#include "sp_partition.h"
#include "sp_pg.h"
#include "sp_redis.h"

#include "churn-alerting/churn_alert.h"
#include "churn-alerting/churn_keys.h"

#define BENCH_NAME "bench_churn"
#define BENCH_PARTITIONS 16 /* as the tests and the local stack */
#define BENCH_CUSTOMERS 8000
#define BENCH_EVENTS 400000
#define BENCH_LIVE_EVENTS 200000
#define BENCH_ALERT_SECONDS 100
#define BENCH_TRIGGER_MS 5000
#define BENCH_SCORING_MS 100 /* the smallest the service takes: a 100 ms target */
#define BENCH_CUSTOMERS_ENV "SP_BENCH_CHURN_CUSTOMERS"
#define BENCH_EVENTS_ENV "SP_BENCH_CHURN_EVENTS"
#define BENCH_LIVE_EVENTS_ENV "SP_BENCH_CHURN_LIVE_EVENTS"
#define BENCH_ALERT_SECONDS_ENV "SP_BENCH_CHURN_ALERT_SECONDS"
#define BENCH_TRIGGER_MS_ENV "SP_BENCH_CHURN_TRIGGER_MS"
#define BENCH_SCORING_MS_ENV "SP_BENCH_CHURN_SCORING_MS"
#define BENCH_LOG_LEVEL_ENV "SP_BENCH_CHURN_LOG_LEVEL" /* churn-alerting's SP_LOG_LEVEL, if set */
#define BENCH_LOG_COPY_ENV "SP_BENCH_CHURN_LOG_COPY"   /* a file to copy churn-alerting's log to */
#define BENCH_LOG_START "2025-01-01T00:00:00Z"
#define BENCH_LOG_DAYS 120
#define BENCH_DAY_MS (24LL * 3600 * 1000)
#define BENCH_HOUR_MS (3600LL * 1000)
#define BENCH_FIRST_HOUR 8          /* events from 08:00 ... */
#define BENCH_HOURS 10              /* ... over 10 hours of the day */
#define BENCH_TRIGGER_HOUR 7        /* a trigger at 07:00: before any other event of its day */
#define BENCH_PATTERN 5             /* order, payment, visit, call or complaint, survey */
#define BENCH_COMPLAINT_EVERY 20    /* of the pattern's fourth slot, one in this is a complaint */
#define BENCH_REPS 200              /* a customer's rep: customer mod 200 */
#define BENCH_CHURNER_EVERY 8       /* one customer in 8 stops ordering halfway */
#define BENCH_VICTIM_ORDERS 4       /* a victim's orders ... */
#define BENCH_VICTIM_INTERVAL 10    /* ... every 10 days (its typical interval) ... */
#define BENCH_VICTIM_SILENCE 21     /* ... the last this many days before the day closed */
#define BENCH_DAYS_PER_PARTITION 20 /* day closes per partition: victims' orders stay in the log   \
                                     */
#define BENCH_TRIGGERS_MAX (BENCH_PARTITIONS * BENCH_DAYS_PER_PARTITION)
#define BENCH_TRIGGER_MARGIN 2000 /* events: no later event of a partition moves its day first */
#define BENCH_AMOUNT_CENTS 10000  /* 100.00 plus ... */
#define BENCH_AMOUNT_STEPS 50     /* ... up to 49 x 1.00 */
#define BENCH_CENTS_PER_STEP 100
#define BENCH_NPS_SCALE 11 /* 0..10 */
#define BENCH_VISIT_MINUTES 30
#define BENCH_CALL_SECONDS 60
#define BENCH_CALL_SPREAD_SECONDS 600
#define BENCH_SEVERITIES 4
#define BENCH_MS_PER_S 1000.0
#define BENCH_PERCENT 100.0
#define BENCH_STOP_TIMEOUT_MS 30000
#define BENCH_START_TIMEOUT_MS 60000
#define BENCH_RECEIVE_MS 50      /* the receiver's poll of its stop flag */
#define BENCH_SCORED_POLL_MS 100 /* churn_customers poll */
#define BENCH_ALERT_WAIT_S 120.0 /* for the last alerts after the offered load */
#define BENCH_TEXT_SIZE 160
#define BENCH_ID_SIZE 48
#define BENCH_DATE_SIZE 11 /* YYYY-MM-DD */
#define BENCH_PERCENTILE_50 0.50
#define BENCH_PERCENTILE_90 0.90
#define BENCH_PERCENTILE_99 0.99
#define BENCH_SLOWEST 3          /* triggers named with their alert's latency */
#define BENCH_US_PER_S 1000000.0
#define BENCH_METRIC_CATCHUP "salespulse_consumer_catchup_events_total"
#define BENCH_METRIC_GAPS "salespulse_consumer_gaps_total"
#define BENCH_METRIC_DEFERRED "salespulse_churn_scorings_deferred_total"
#define BENCH_METRIC_SCORINGS "salespulse_churn_scorings_total"
#define BENCH_RULE "overdue"
#define BENCH_VICTIM_PREFIX "victim-"

/* Everything the events of the run are made from (read only once
   built, so the publisher threads share it). */
typedef struct {
    size_t customers;                  /* cust-00000 .. */
    uint32_t *partition;               /* [customers]: each one's partition */
    size_t first_of[BENCH_PARTITIONS]; /* a customer of each partition (the triggers') */
    size_t log_events;                 /* background events of the log */
    size_t log_rounds;                 /* their rounds of customers events */
    size_t victims;                    /* = triggers */
    char (*victim)[BENCH_ID_SIZE];     /* [victims]: victim j, of partition j mod P */
    int64_t start_ms;                  /* BENCH_LOG_START */
    size_t trigger_every;              /* alerts run: events from one trigger to the next */
    _Atomic double *sent;              /* [victims]: the trigger's time (bench_seconds), 0 before */
    _Atomic double *received;          /* [victims]: its alert's, 0 before */
} s_plan_t;

/* A run of events for bench_log, bench_live or bench_paced. */
typedef struct {
    const s_plan_t *plan;
    char kind;          /* 'l' the log, 'v' live, 'a' the alerts run (event ids) */
    size_t first_round; /* rounds continue from the log's */
} s_run_t;

/* What the benchmark started. */
typedef struct {
    sp_harness_t *harness;                 /* PostgreSQL and Redis */
    sp_pg_t *pg;                           /* the log, churn_customers */
    sp_redis_t *redis;                     /* checkpoints, statistics */
    bench_ingest_t ingest;                 /* activity-ingest; the services follow its bus */
    bench_checkpoints_t *checkpoints;      /* churn-alerting's progress */
    pid_t churn_pid;                       /* -1 when not running */
    int churn_http_port;                   /* its /metrics */
    char alerts[BENCH_LIVE_ENDPOINT_SIZE]; /* its PUB */
    char churn_log[PATH_MAX];
    pid_t counting_pid; /* counting-consumer, -1 when not running */
    char counting_log[PATH_MAX];
} s_bench_t;

/* The SUB socket's thread. */
typedef struct {
    const s_plan_t *plan;
    const char *endpoint;
    atomic_bool ready;     /* subscribed */
    atomic_bool stop;      /* asked to end */
    atomic_size_t alerts;  /* every alert received */
    atomic_size_t matched; /* victims' overdue FIRE received */
    atomic_size_t invalid; /* messages that did not read */
} s_receiver_t;

/* ---------------------------------------------------------------- events */

static uint64_t
s_mix (uint64_t value)
{
    value ^= value >> 31;
    value *= 0x9e3779b97f4a7c15ULL;
    return value ^ (value >> 29);
}

/* A money amount in USD into *slot. */
static int
s_usd (Salespulse__Money **slot, int64_t cents)
{
    static const Salespulse__Money empty = SALESPULSE__MONEY__INIT;
    *slot = (Salespulse__Money *) malloc (sizeof **slot);
    if (!*slot)
        return -1;
    **slot = empty;
    (*slot)->amount_minor = cents;
    return sp_event_set_string (&(*slot)->currency, "USD", strlen ("USD"));
}

/* An event of type for customer at occurred_at, id "bench:churn:<kind>:<number>". */
static sp_event_t *
s_event (Salespulse__EventType type, const char *customer, int64_t occurred_at, char kind,
         size_t number)
{
    char id[BENCH_TEXT_SIZE];
    snprintf (id, sizeof id, "bench:churn:%c:%zu", kind, number);
    sp_event_t *event = sp_event_new (type);
    if (event && (sp_event_set_string (&event->event_id, id, strlen (id)) != 0 ||
                  sp_event_set_string (&event->source, "bench", strlen ("bench")) != 0 ||
                  sp_event_set_string (&event->customer_id, customer, strlen (customer)) != 0))
        sp_event_destroy (&event);
    if (event)
        event->occurred_at = occurred_at;
    return event;
}

/* The day (from BENCH_LOG_START) of partition p at alerts-run event x:
   the last log day plus the triggers of p among events 0..x. */
static int64_t
s_alert_day (const s_plan_t *plan, uint32_t partition, int64_t x)
{
    int64_t day = BENCH_LOG_DAYS - 1;
    if (x < 0)
        return day;
    size_t triggers = ((size_t) x + 1) / plan->trigger_every;
    if (triggers > plan->victims)
        triggers = plan->victims;
    return day + (int64_t) (triggers / BENCH_PARTITIONS) +
           (partition < triggers % BENCH_PARTITIONS);
}

/* Background event index of run: customer index mod C, its round, the
   pattern's slot. */
static sp_event_t *
s_background (const s_run_t *run, size_t index)
{
    const s_plan_t *plan = run->plan;
    size_t customer = index % plan->customers;
    size_t round = run->first_round + index / plan->customers;
    size_t slot = (round + customer) % BENCH_PATTERN;
    uint64_t noise = s_mix ((uint64_t) index * 2 + (uint64_t) run->kind);
    int64_t day;
    if (run->kind == 'l')
        day = (int64_t) (round * (BENCH_LOG_DAYS - 1) / (plan->log_rounds - 1));
    else if (run->kind == 'v')
        day = BENCH_LOG_DAYS - 1;
    else
        day = s_alert_day (plan, plan->partition[customer], (int64_t) index - BENCH_TRIGGER_MARGIN);
    bool stopped =
        customer % BENCH_CHURNER_EVERY == BENCH_CHURNER_EVERY - 1 && 2 * round >= plan->log_rounds;
    Salespulse__EventType type;
    switch (slot) {
        case 0:
            type = stopped ? SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL
                           : SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED;
            break;
        case 1:
            type = stopped ? SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL
                           : SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED;
            break;
        case 2:
            type = SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED;
            break;
        case 3:
            type = round % BENCH_COMPLAINT_EVERY == customer % BENCH_COMPLAINT_EVERY
                       ? SALESPULSE__EVENT_TYPE__EVENT_TYPE_COMPLAINT
                       : SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL;
            break;
        default:
            type = SALESPULSE__EVENT_TYPE__EVENT_TYPE_SURVEY;
    }
    char id[BENCH_ID_SIZE];
    snprintf (id, sizeof id, "cust-%05zu", customer);
    int64_t at = plan->start_ms + day * BENCH_DAY_MS + BENCH_FIRST_HOUR * BENCH_HOUR_MS +
                 (int64_t) (noise % (BENCH_HOURS * BENCH_HOUR_MS));
    sp_event_t *event = s_event (type, id, at, run->kind, index);
    if (!event)
        return NULL;
    char rep[BENCH_ID_SIZE];
    snprintf (rep, sizeof rep, "rep-%03zu", customer % BENCH_REPS);
    bool erp = type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED ||
               type == SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED;
    if (!erp && sp_event_set_string (&event->rep_id, rep, strlen (rep)) != 0) {
        sp_event_destroy (&event);
        return NULL;
    }
    int64_t cents = BENCH_AMOUNT_CENTS +
                    (int64_t) (s_mix (customer) % BENCH_AMOUNT_STEPS) * BENCH_CENTS_PER_STEP;
    int rc = 0;
    switch (type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED:
            rc = s_usd (&event->order_placed->amount, cents);
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_PAYMENT_RECEIVED:
            rc = s_usd (&event->payment_received->amount, cents);
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED:
            event->visit_completed->duration_minutes =
                BENCH_VISIT_MINUTES + (uint32_t) (noise % BENCH_VISIT_MINUTES);
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL:
            event->call->duration_seconds =
                BENCH_CALL_SECONDS + (uint32_t) (noise % BENCH_CALL_SPREAD_SECONDS);
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_COMPLAINT:
            event->complaint->severity =
                (Salespulse__ComplaintSeverity) (1 + noise % BENCH_SEVERITIES);
            break;
        default:
            event->survey->score_case = SALESPULSE__SURVEY__SCORE_NPS;
            event->survey->nps = (uint32_t) (noise % BENCH_NPS_SCALE);
    }
    if (rc != 0)
        sp_event_destroy (&event);
    return event;
}

/* Victim order k (0..BENCH_VICTIM_ORDERS-1) of victim j, in the log: its
   last order BENCH_VICTIM_SILENCE days before the day trigger j closes
   (the last log day + j / P). */
static sp_event_t *
s_victim_order (const s_plan_t *plan, size_t victim, size_t order, size_t number)
{
    int64_t closed = BENCH_LOG_DAYS - 1 + (int64_t) (victim / BENCH_PARTITIONS);
    int64_t day = closed - BENCH_VICTIM_SILENCE -
                  (int64_t) ((BENCH_VICTIM_ORDERS - 1 - order) * BENCH_VICTIM_INTERVAL);
    int64_t at = plan->start_ms + day * BENCH_DAY_MS + BENCH_FIRST_HOUR * BENCH_HOUR_MS;
    sp_event_t *event = s_event (SALESPULSE__EVENT_TYPE__EVENT_TYPE_ORDER_PLACED,
                                 plan->victim[victim], at, 'l', number);
    if (event && s_usd (&event->order_placed->amount, BENCH_AMOUNT_CENTS) != 0)
        sp_event_destroy (&event);
    return event;
}

/* sp_harness_event_fn of every run (arg, an s_run_t). */
static sp_event_t *
s_run_event (size_t index, void *arg)
{
    const s_run_t *run = (const s_run_t *) arg;
    const s_plan_t *plan = run->plan;
    if (run->kind == 'l' && index >= plan->log_events) {
        size_t victim = (index - plan->log_events) / BENCH_VICTIM_ORDERS;
        return s_victim_order (plan, victim, (index - plan->log_events) % BENCH_VICTIM_ORDERS,
                               index);
    }
    if (run->kind == 'a' && (index + 1) % plan->trigger_every == 0 &&
        (index + 1) / plan->trigger_every <= plan->victims) {
        size_t trigger = (index + 1) / plan->trigger_every - 1;
        uint32_t partition = (uint32_t) (trigger % BENCH_PARTITIONS);
        char id[BENCH_ID_SIZE];
        snprintf (id, sizeof id, "cust-%05zu", plan->first_of[partition]);
        int64_t day = s_alert_day (plan, partition, (int64_t) index);
        sp_event_t *event = s_event (
            SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL, id,
            plan->start_ms + day * BENCH_DAY_MS + BENCH_TRIGGER_HOUR * BENCH_HOUR_MS, 'a', index);
        if (event && sp_event_set_string (&event->rep_id, "rep-000", strlen ("rep-000")) != 0)
            sp_event_destroy (&event);
        if (event) {
            event->call->duration_seconds = BENCH_CALL_SECONDS;
            atomic_store (&plan->sent[trigger], bench_seconds ());
        }
        return event;
    }
    return s_background (run, index);
}

/* Builds the plan: partitions of the customers, the victims' ids. */
static int
s_plan_new (s_plan_t *plan)
{
    plan->partition = (uint32_t *) calloc (plan->customers, sizeof *plan->partition);
    plan->victim = calloc (plan->victims ? plan->victims : 1, sizeof *plan->victim);
    plan->sent = calloc (plan->victims ? plan->victims : 1, sizeof *plan->sent);
    plan->received = calloc (plan->victims ? plan->victims : 1, sizeof *plan->received);
    if (!plan->partition || !plan->victim || !plan->sent || !plan->received ||
        sp_event_time_parse (BENCH_LOG_START, &plan->start_ms) != 0)
        return -1;
    bool found[BENCH_PARTITIONS] = { false };
    for (size_t customer = 0; customer < plan->customers; customer++) {
        char id[BENCH_ID_SIZE];
        int length = snprintf (id, sizeof id, "cust-%05zu", customer);
        uint32_t partition = sp_partition_of (id, (size_t) length, BENCH_PARTITIONS);
        plan->partition[customer] = partition;
        if (!found[partition])
            plan->first_of[partition] = customer;
        found[partition] = true;
    }
    for (uint32_t partition = 0; partition < BENCH_PARTITIONS; partition++)
        if (!found[partition]) {
            fprintf (stderr, BENCH_NAME ": no customer in partition %" PRIu32 "\n", partition);
            return -1;
        }
    for (size_t victim = 0; victim < plan->victims; victim++)
        for (size_t attempt = 0;; attempt++) {
            int length = snprintf (plan->victim[victim], sizeof plan->victim[victim],
                                   BENCH_VICTIM_PREFIX "%zu-%zu", victim, attempt);
            if (sp_partition_of (plan->victim[victim], (size_t) length, BENCH_PARTITIONS) ==
                victim % BENCH_PARTITIONS)
                break;
        }
    return 0;
}

static void
s_plan_free (s_plan_t *plan)
{
    free (plan->partition);
    free (plan->victim);
    free ((void *) plan->sent);
    free ((void *) plan->received);
}

/* ---------------------------------------------------------------- alerts */

/* Victim number of an alert's customer id, or -1. */
static long
s_victim_number (const char *customer)
{
    if (strncmp (customer, BENCH_VICTIM_PREFIX, strlen (BENCH_VICTIM_PREFIX)) != 0)
        return -1;
    char *end = NULL;
    long number = strtol (customer + strlen (BENCH_VICTIM_PREFIX), &end, 10);
    return end && *end == '-' ? number : -1;
}

/* The SUB socket's thread: notes when each victim's overdue FIRE came. */
static void *
s_receive (void *arg)
{
    s_receiver_t *receiver = (s_receiver_t *) arg;
    zsock_t *socket = zsock_new_sub (receiver->endpoint, CHURN_ALERT_TOPIC_PREFIX);
    if (socket)
        zsock_set_rcvtimeo (socket, BENCH_RECEIVE_MS);
    atomic_store (&receiver->ready, true);
    while (socket && !atomic_load (&receiver->stop)) {
        zmsg_t *message = zmsg_recv (socket);
        if (!message)
            continue;
        double at = bench_seconds ();
        zframe_t *payload = zmsg_size (message) == 2 ? zmsg_last (message) : NULL;
        Salespulse__ChurnAlert *alert =
            payload ? salespulse__churn_alert__unpack (NULL, zframe_size (payload),
                                                       zframe_data (payload))
                    : NULL;
        atomic_fetch_add (&receiver->alerts, 1);
        if (!alert)
            atomic_fetch_add (&receiver->invalid, 1);
        else {
            long victim = s_victim_number (alert->customer_id);
            if (victim >= 0 && (size_t) victim < receiver->plan->victims &&
                strcmp (alert->rule, BENCH_RULE) == 0 &&
                alert->action == SALESPULSE__CHURN_ALERT__ACTION__FIRE &&
                atomic_load (&receiver->plan->received[victim]) == 0) {
                atomic_store (&receiver->plan->received[victim], at);
                atomic_fetch_add (&receiver->matched, 1);
            }
            salespulse__churn_alert__free_unpacked (alert, NULL);
        }
        zmsg_destroy (&message);
    }
    zsock_destroy (&socket);
    return NULL;
}

/* Prints the BENCH_SLOWEST slowest alerts of the first triggers: trigger,
   partition, when it was sent (CLOCK_MONOTONIC us, as churn-alerting's
   debug log "day close scored" has told_us) and its latency. */
static void
s_print_slowest (const s_plan_t *plan, size_t triggers)
{
    bool shown[BENCH_TRIGGERS_MAX] = { false };
    printf ("slowest alerts (trigger/partition: sent at CLOCK_MONOTONIC us, ms):");
    for (int rank = 0; rank < BENCH_SLOWEST; rank++) {
        size_t slowest = triggers;
        double slowest_ms = -1;
        for (size_t trigger = 0; trigger < triggers; trigger++) {
            double ms = (atomic_load (&plan->received[trigger]) - atomic_load (&plan->sent[trigger])) *
                        BENCH_MS_PER_S;
            if (!shown[trigger] && ms > slowest_ms) {
                slowest = trigger;
                slowest_ms = ms;
            }
        }
        if (slowest == triggers)
            break;
        shown[slowest] = true;
        printf (" %zu/%zu: %.0f, %.1f;", slowest, slowest % BENCH_PARTITIONS,
                atomic_load (&plan->sent[slowest]) * BENCH_US_PER_S, slowest_ms);
    }
    printf ("\n");
}

/* Percentile fraction of sorted (count > 0): nearest rank. */
static double
s_percentile (const double *sorted, size_t count, double fraction)
{
    size_t rank = (size_t) ceil (fraction * (double) count);
    return sorted[(rank ? rank : 1) - 1];
}

/* ---------------------------------------------------------------- phases */

/* Spawns churn-alerting on the bus: USD, UTC, --clock event, scoring
   every scoring_ms, its alerts PUB on bench->alerts. */
static int
s_start_churn (s_bench_t *bench, size_t scoring_ms)
{
    char alerts[BENCH_TEXT_SIZE], interval[BENCH_TEXT_SIZE], level[BENCH_TEXT_SIZE];
    bench->churn_http_port = sp_harness_free_port ();
    if (bench->churn_http_port < 0)
        return -1;
    snprintf (alerts, sizeof alerts, "SP_CHURN_ALERTS_ENDPOINT=%s", bench->alerts);
    snprintf (interval, sizeof interval, "SP_CHURN_SCORING_INTERVAL_MS=%zu", scoring_ms);
    /* debug: its "day close scored" lines (the harness passes no SP_ variable on) */
    const char *log_level = getenv (BENCH_LOG_LEVEL_ENV);
    snprintf (level, sizeof level, "SP_LOG_LEVEL=%s", log_level && *log_level ? log_level : "info");
    snprintf (bench->churn_log, sizeof bench->churn_log, "%s/churn-alerting.log",
              sp_harness_dir (bench->harness));
    bench->churn_pid = sp_harness_consumer_service (
        bench->harness, "churn-alerting", bench->ingest.bus, bench->churn_http_port,
        BENCH_PARTITIONS,
        (const char *[]){ "SP_TIME_ZONE=UTC", "SP_CHURN_CURRENCY=USD", "SP_CHURN_CLOCK=event",
                          alerts, interval, level, NULL },
        NULL, bench->churn_log, BENCH_START_TIMEOUT_MS);
    return bench->churn_pid > 0 ? 0 : -1;
}

/* The counting consumer's catch-up of the log from an empty Redis
   (checked), then it stops and Redis is flushed; *seconds its time. */
static int
s_counting_catch_up (s_bench_t *bench, size_t events, double *seconds)
{
    char difference[BENCH_TEXT_SIZE * 2];
    bench_checkpoints_t *counted =
        bench_checkpoints_new (BENCH_NAME, bench->redis, "counting-consumer", BENCH_PARTITIONS);
    int port = sp_harness_free_port (), rc = -1;
    snprintf (bench->counting_log, sizeof bench->counting_log, "%s/counting-consumer.log",
              sp_harness_dir (bench->harness));
    double start = bench_seconds (), done = 0;
    if (counted && port > 0)
        bench->counting_pid =
            sp_harness_consumer_start (bench->harness, bench->ingest.bus, port, BENCH_PARTITIONS,
                                       NULL, bench->counting_log, BENCH_START_TIMEOUT_MS);
    if (bench->counting_pid > 0 && bench_checkpoints_wait (counted, events, &bench->counting_pid,
                                                           bench_wait_limit (events), &done) == 0) {
        *seconds = done - start;
        if (sp_harness_consumer_compare (bench->redis, bench->pg, BENCH_PARTITIONS, NULL,
                                         difference, sizeof difference) != 0)
            fprintf (stderr, BENCH_NAME ": counting-consumer's counts differ: %s\n", difference);
        else if (bench_stop (&bench->counting_pid, BENCH_STOP_TIMEOUT_MS) == 0 &&
                 sp_harness_redis_run_and_drop (bench->redis, 1,
                                                (const char *const[]){ "FLUSHALL" }) == 0)
            rc = 0;
    }
    bench_checkpoints_destroy (&counted);
    return rc;
}

/* Whether the service *pid still runs (reaped and set to -1 when not). */
static bool
s_running (pid_t *pid)
{
    int status = 0;
    if (*pid > 0 && waitpid (*pid, &status, WNOHANG) == 0)
        return true;
    *pid = -1;
    return false;
}

/* Waits until churn_customers holds expected customers scored up to
   the day `day` (days from BENCH_LOG_START); *at the time seen. */
static int
s_wait_scored (s_bench_t *bench, const s_plan_t *plan, int64_t day, size_t expected, double *at)
{
    char date[SP_EVENT_TIME_TEXT_SIZE];
    if (sp_event_time_format (plan->start_ms + day * BENCH_DAY_MS, date, sizeof date) != 0)
        return -1;
    date[BENCH_DATE_SIZE - 1] = '\0';
    const char *values[] = { date };
    double limit = bench_seconds () + bench_wait_limit (expected * BENCH_LOG_DAYS);
    while (bench_seconds () < limit) {
        sp_pg_result_t *result =
            sp_pg_exec (bench->pg, "SELECT count(*) FROM churn_customers WHERE last_day >= $1", 1,
                        values, NULL, NULL);
        long long scored = result && sp_pg_result_ok (result)
                               ? strtoll (sp_pg_result_value (result, 0, 0), NULL, 10)
                               : -1;
        sp_pg_result_destroy (&result);
        if (scored < 0) {
            fprintf (stderr, BENCH_NAME ": could not count churn_customers\n");
            return -1;
        }
        if ((size_t) scored >= expected) {
            *at = bench_seconds ();
            return 0;
        }
        if (!s_running (&bench->churn_pid)) {
            fprintf (stderr, BENCH_NAME ": churn-alerting exited while scoring\n");
            return -1;
        }
        sp_harness_pause_ms (BENCH_SCORED_POLL_MS);
    }
    fprintf (stderr, BENCH_NAME ": customers not scored up to %s in time\n", date);
    return -1;
}

/* ---------------------------------------------------------------- printing */

static void
s_print_rate (const char *name, size_t events, double seconds)
{
    printf ("%-64s %9zu %8.2f %10.0f\n", name, events, seconds, (double) events / seconds);
}

/* ---------------------------------------------------------------- main */

static int
s_sizes (s_plan_t *plan, size_t *live_events, size_t *alert_seconds, size_t *trigger_ms,
         size_t *scoring_ms)
{
    size_t events = 0;
    if (bench_env_count (BENCH_NAME, BENCH_CUSTOMERS_ENV, BENCH_CUSTOMERS, &plan->customers) != 0 ||
        bench_env_count (BENCH_NAME, BENCH_EVENTS_ENV, BENCH_EVENTS, &events) != 0 ||
        bench_env_count (BENCH_NAME, BENCH_LIVE_EVENTS_ENV, BENCH_LIVE_EVENTS, live_events) != 0 ||
        bench_env_count (BENCH_NAME, BENCH_ALERT_SECONDS_ENV, BENCH_ALERT_SECONDS, alert_seconds) !=
            0 ||
        bench_env_count (BENCH_NAME, BENCH_TRIGGER_MS_ENV, BENCH_TRIGGER_MS, trigger_ms) != 0 ||
        bench_env_count (BENCH_NAME, BENCH_SCORING_MS_ENV, BENCH_SCORING_MS, scoring_ms) != 0)
        return -1;
    plan->log_rounds = events / plan->customers;
    if (plan->log_rounds < 2) {
        fprintf (stderr, BENCH_NAME ": at least two events per customer in the log\n");
        return -1;
    }
    plan->log_events = plan->log_rounds * plan->customers;
    plan->victims = *alert_seconds * BENCH_MS_PER_S / (double) *trigger_ms;
    if (plan->victims > BENCH_TRIGGERS_MAX)
        plan->victims = BENCH_TRIGGERS_MAX;
    return 0;
}

/* Copies churn-alerting's log (path) to copy, when copy is set: the
   harness's directory goes with the run (its "day close scored" lines,
   with SP_BENCH_CHURN_LOG_LEVEL=debug, say where each day close's time
   went). */
static void
s_copy_log (const char *path, const char *copy)
{
    if (!copy || !*copy)
        return;
    FILE *from = fopen (path, "rb");
    FILE *to = from ? fopen (copy, "wb") : NULL;
    char buffer[BUFSIZ];
    size_t length;
    while (to && (length = fread (buffer, 1, sizeof buffer, from)) > 0)
        if (fwrite (buffer, 1, length, to) != length)
            break;
    if (!to)
        fprintf (stderr, BENCH_NAME ": could not copy %s to %s\n", path, copy);
    if (to)
        fclose (to);
    if (from)
        fclose (from);
}

int
main (void)
{
    s_bench_t bench = { .ingest.pid = -1, .churn_pid = -1, .counting_pid = -1 };
    s_plan_t plan = { 0 };
    s_receiver_t receiver = { 0 };
    pthread_t receiver_thread;
    bool receiving = false;
    bench_redis_stats_t *rebuild_stats = NULL, *live_stats = NULL;
    double *latencies = NULL;
    size_t live_events = 0, alert_seconds = 0, trigger_ms = 0, scoring_ms = 0;
    int rc = 1;
    if (s_sizes (&plan, &live_events, &alert_seconds, &trigger_ms, &scoring_ms) != 0)
        return 1;
    /* first: it sets where the harness finds the sources and programs */
    char program[PATH_MAX];
    bench_locate ("churn-alerting", program, sizeof program);
    double loads[3] = { 0, 0, 0 };
    if (getloadavg (loads, 3) < 0)
        loads[0] = -1;
    if (s_plan_new (&plan) != 0) {
        fprintf (stderr, BENCH_NAME ": out of memory\n");
        goto out_free;
    }
    size_t log_total = plan.log_events + plan.victims * BENCH_VICTIM_ORDERS;

    bench.harness = bench_start_servers (BENCH_NAME, BENCH_PARTITIONS, &bench.pg, &bench.redis);
    if (bench.redis) {
        bench.checkpoints =
            bench_checkpoints_new (BENCH_NAME, bench.redis, CHURN_KEYS_SERVICE, BENCH_PARTITIONS);
        rebuild_stats = bench_redis_stats_new (BENCH_NAME, bench.redis);
        live_stats = bench_redis_stats_new (BENCH_NAME, bench.redis);
    }
    if (!bench.checkpoints || !rebuild_stats || !live_stats ||
        sp_harness_free_endpoint (bench.alerts, sizeof bench.alerts) != 0)
        goto out_stop;
    s_run_t log = { &plan, 'l', 0 };
    double load_start = bench_seconds ();
    if (bench_log_load (BENCH_NAME, bench.pg, BENCH_PARTITIONS, log_total, s_run_event, &log) != 0)
        goto out_stop;
    double load_s = bench_seconds () - load_start;
    if (bench_live_start_ingest (bench.harness, BENCH_PARTITIONS, &bench.ingest) != 0) {
        fprintf (stderr, BENCH_NAME ": could not start activity-ingest\n");
        goto out_stop;
    }
    receiver.plan = &plan;
    receiver.endpoint = bench.alerts;
    if (pthread_create (&receiver_thread, NULL, s_receive, &receiver) != 0)
        goto out_stop;
    receiving = true;

    /* 1. Baseline: the counting consumer's catch-up of the same log. */
    double baseline_s = 0;
    if (s_counting_catch_up (&bench, log_total, &baseline_s) != 0) {
        fprintf (stderr, BENCH_NAME ": counting-consumer's catch-up failed\n");
        goto out_stop;
    }

    /* 2. Rebuild: churn-alerting from spawn to the whole log applied,
       then its first scoring up to the clock. */
    uint64_t reads = bench_checkpoints_reads (bench.checkpoints);
    if (bench_redis_stats_start (rebuild_stats) != 0)
        goto out_stop;
    double rebuild_start = bench_seconds (), rebuilt = 0, scored = 0;
    if (s_start_churn (&bench, scoring_ms) != 0 ||
        bench_checkpoints_wait (bench.checkpoints, log_total, &bench.churn_pid,
                                bench_wait_limit (log_total), &rebuilt) != 0 ||
        bench_redis_stats_stop (rebuild_stats, bench_checkpoints_reads (bench.checkpoints) - reads,
                                BENCH_PARTITIONS) != 0)
        goto out_stop;
    double rebuild_s = rebuilt - rebuild_start;
    if (s_wait_scored (&bench, &plan, BENCH_LOG_DAYS - 2, plan.customers + plan.victims, &scored) !=
        0)
        goto out_stop;
    double scoring_s = scored - rebuilt;
    size_t catch_up_alerts = atomic_load (&receiver.alerts);
    int64_t keys = 0;
    double memory_mib = 0;
    if (bench_redis_size (bench.redis, &keys, &memory_mib) != 0)
        goto out_stop;

    /* 3. Live, within the log's last day. */
    s_run_t live = { &plan, 'v', plan.log_rounds };
    int64_t read_back = sp_harness_consumer_metric (bench.churn_http_port, BENCH_METRIC_CATCHUP);
    int64_t gaps = sp_harness_consumer_metric (bench.churn_http_port, BENCH_METRIC_GAPS);
    bench_live_options_t live_options = {
        .bench = BENCH_NAME,
        .endpoint = bench.ingest.endpoint,
        .count = live_events,
        .make_event = s_run_event,
        .arg = &live,
        .checkpoints = bench.checkpoints,
        .consumer_pid = &bench.churn_pid,
        .target = (uint64_t) log_total + live_events,
    };
    bench_live_result_t live_result = { 0, 0, 0 };
    reads = bench_checkpoints_reads (bench.checkpoints);
    if (bench_redis_stats_start (live_stats) != 0 ||
        bench_live_run (&live_options, &live_result) != 0 ||
        bench_redis_stats_stop (live_stats, bench_checkpoints_reads (bench.checkpoints) - reads,
                                BENCH_PARTITIONS) != 0)
        goto out_stop;
    int64_t read_back_after =
        sp_harness_consumer_metric (bench.churn_http_port, BENCH_METRIC_CATCHUP);
    int64_t gaps_after = sp_harness_consumer_metric (bench.churn_http_port, BENCH_METRIC_GAPS);
    double ingest_rate = (double) live_events / live_result.ingest_s;

    /* 4. Alerts at half ingest's rate. */
    double rate = ingest_rate / 2;
    size_t requests = (size_t) (rate * (double) alert_seconds / BENCH_PACED_BATCH);
    size_t alert_events = (requests ? requests : 1) * BENCH_PACED_BATCH;
    plan.trigger_every =
        (size_t) (rate * (double) trigger_ms / BENCH_MS_PER_S / BENCH_PACED_BATCH) *
        BENCH_PACED_BATCH;
    if (plan.trigger_every < 2 * BENCH_TRIGGER_MARGIN) {
        fprintf (stderr, BENCH_NAME ": triggers %zu events apart: at least %d (a longer %s)\n",
                 plan.trigger_every, 2 * BENCH_TRIGGER_MARGIN, BENCH_TRIGGER_MS_ENV);
        goto out_stop;
    }
    size_t triggers = alert_events / plan.trigger_every;
    if (triggers > plan.victims)
        triggers = plan.victims;
    s_run_t alerting = { &plan, 'a', plan.log_rounds + live_events / plan.customers + 1 };
    int64_t deferred = sp_harness_consumer_metric (bench.churn_http_port, BENCH_METRIC_DEFERRED);
    int64_t scorings = sp_harness_consumer_metric (bench.churn_http_port, BENCH_METRIC_SCORINGS);
    bench_paced_options_t paced_options = {
        .bench = BENCH_NAME,
        .endpoint = bench.ingest.endpoint,
        .rate = rate,
        .count = alert_events,
        .make_event = s_run_event,
        .arg = &alerting,
        .checkpoints = bench.checkpoints,
        .consumer_pid = &bench.churn_pid,
        .base = (uint64_t) log_total + live_events,
    };
    bench_paced_result_t paced = { 0 };
    if (bench_paced_run (&paced_options, &paced) != 0)
        goto out_stop;
    double alert_limit = bench_seconds () + BENCH_ALERT_WAIT_S;
    while (atomic_load (&receiver.matched) < triggers && bench_seconds () < alert_limit &&
           s_running (&bench.churn_pid))
        sp_harness_pause_ms (BENCH_SCORED_POLL_MS);
    int64_t deferred_after =
        sp_harness_consumer_metric (bench.churn_http_port, BENCH_METRIC_DEFERRED);
    int64_t scorings_after =
        sp_harness_consumer_metric (bench.churn_http_port, BENCH_METRIC_SCORINGS);
    latencies = (double *) calloc (triggers ? triggers : 1, sizeof *latencies);
    size_t measured = 0, missing = 0, early = 0;
    for (size_t trigger = 0; latencies && trigger < triggers; trigger++) {
        double sent = atomic_load (&plan.sent[trigger]);
        double received = atomic_load (&plan.received[trigger]);
        if (received == 0 || sent == 0)
            missing++;
        else if (received < sent)
            early++;
        else
            latencies[measured++] = (received - sent) * BENCH_MS_PER_S;
    }
    if (!latencies || missing > 0 || early > 0 || measured == 0) {
        fprintf (stderr,
                 BENCH_NAME ": of %zu triggers, %zu alerts missing, %zu received before their "
                            "trigger was sent\n",
                 triggers, missing, early);
        goto out_stop;
    }
    qsort (latencies, measured, sizeof *latencies, bench_compare_double);
    if (read_back < 0 || gaps < 0 || read_back_after < 0 || gaps_after < 0 || deferred < 0 ||
        deferred_after < 0 || scorings < 0 || scorings_after < 0) {
        fprintf (stderr, BENCH_NAME ": could not read churn-alerting's /metrics\n");
        goto out_stop;
    }
    int churn_status = bench_stop (&bench.churn_pid, BENCH_STOP_TIMEOUT_MS);
    int ingest_status = bench_stop (&bench.ingest.pid, BENCH_STOP_TIMEOUT_MS);
    if (churn_status != 0 || ingest_status != 0) {
        fprintf (stderr, BENCH_NAME ": exit status churn-alerting %d, activity-ingest %d\n",
                 churn_status, ingest_status);
        goto out_stop;
    }
    double loads_end[3] = { 0, 0, 0 };
    if (getloadavg (loads_end, 3) < 0)
        loads_end[0] = -1;

    double rebuild_rate = (double) log_total / rebuild_s;
    double baseline_rate = (double) log_total / baseline_s;
    printf (BENCH_NAME ": churn-alerting (default health model; USD, UTC, --clock event, scoring "
                       "every %zu ms), %d partitions, %ld cores shared by every process, load "
                       "average %.2f at the start, %.2f at the end\n",
            scoring_ms, BENCH_PARTITIONS, sysconf (_SC_NPROCESSORS_ONLN), loads[0], loads_end[0]);
    printf ("log: %zu events (%zu customers x %zu rounds over %d days from " BENCH_LOG_START
            ", plus %zu victims' orders); live: %zu events on the last day\n",
            log_total, plan.customers, plan.log_rounds, BENCH_LOG_DAYS,
            plan.victims * BENCH_VICTIM_ORDERS, live_events);
    printf ("%-64s %9s %8s %10s\n", "measurement", "events", "seconds", "events/s");
    s_print_rate ("log load (binary COPY, not a churn-alerting figure)", log_total, load_s);
    s_print_rate ("baseline: counting-consumer catch-up, empty Redis -> log", log_total,
                  baseline_s);
    s_print_rate ("rebuild: churn-alerting, empty Redis -> whole log applied", log_total,
                  rebuild_s);
    printf ("ratio rebuild churn-alerting / counting-consumer: %.1f%% (target >= 40%%)\n",
            rebuild_rate / baseline_rate * BENCH_PERCENT);
    printf ("first scoring after the rebuild: %zu customers, each from its first day up to day "
            "%d, in %.2f s (%.0f customers/s); %zu alerts received meanwhile\n",
            plan.customers + plan.victims, BENCH_LOG_DAYS - 2, scoring_s,
            (double) (plan.customers + plan.victims) / scoring_s, catch_up_alerts);
    char name[BENCH_TEXT_SIZE];
    snprintf (name, sizeof name, "live: ingest acknowledged (%d publishers, x%d)",
              BENCH_LIVE_PUBLISHERS, BENCH_LIVE_BATCH);
    s_print_rate (name, live_events, live_result.ingest_s);
    s_print_rate ("live: churn-alerting applied (same run, from first send)", live_events,
                  live_result.consumer_s);
    printf ("ratio live churn-alerting / ingest: %.1f%% (target >= 60%%); behind at the last "
            "acknowledgement: %" PRIu64 " events, applied %.2f s later\n",
            live_result.ingest_s / live_result.consumer_s * BENCH_PERCENT, live_result.lag,
            live_result.consumer_s - live_result.ingest_s);
    printf ("live run: %" PRId64 " events read back from the log, %" PRId64
            " gaps seen on the bus\n",
            read_back_after - read_back, gaps_after - gaps);
    printf ("redis after the rebuild: %" PRId64 " keys, %.0f MiB used\n", keys, memory_mib);
    printf ("alerts run: %zu events offered at %.0f events/s (half of ingest's %.0f) for %.1f s "
            "in requests of %d, %zu sent late; ingest acknowledged %.0f events/s, churn-alerting "
            "applied %.0f events/s; ack -> applied p50 %.1f ms, p99 %.1f ms; lag %.0f -> %.0f "
            "events (first -> last tenth)\n",
            alert_events, rate, ingest_rate, paced.schedule_s, BENCH_PACED_BATCH, paced.late,
            paced.ack_rate, paced.applied_rate, paced.p50_ms, paced.p99_ms, paced.lag_start,
            paced.lag_end);
    /* the event's way in, its first half: ingest's acknowledgement */
    printf ("alerts run: send -> ingest's acknowledgement p50 %.1f ms, p99 %.1f ms (every "
            "request)\n",
            paced.send_ack_p50_ms, paced.send_ack_p99_ms);
    printf ("triggers: %zu, one every %zu events (%.0f ms), each closing a day of the next "
            "partition (%zu customers each on average); scorings %" PRId64 ", deferred %" PRId64
            "; alerts received %zu (%zu did not read)\n",
            triggers, plan.trigger_every, (double) plan.trigger_every / rate * BENCH_MS_PER_S,
            (plan.customers + plan.victims) / BENCH_PARTITIONS, scorings_after - scorings,
            deferred_after - deferred, atomic_load (&receiver.alerts),
            atomic_load (&receiver.invalid));
    printf ("event -> alert published (trigger built -> overdue FIRE on a SUB socket), ms: "
            "p50 %.1f, p90 %.1f, p99 %.1f, max %.1f, min %.1f (target p99 <= 100 ms)\n",
            s_percentile (latencies, measured, BENCH_PERCENTILE_50),
            s_percentile (latencies, measured, BENCH_PERCENTILE_90),
            s_percentile (latencies, measured, BENCH_PERCENTILE_99), latencies[measured - 1],
            latencies[0]);
    s_print_slowest (&plan, triggers);
    bench_redis_stats_print (rebuild_stats, "rebuild", log_total);
    bench_redis_stats_print (live_stats, "live", live_events);
    fflush (stdout);
    rc = 0;

out_stop:
    if (bench.churn_log[0])
        s_copy_log (bench.churn_log, getenv (BENCH_LOG_COPY_ENV));
    if (rc != 0 && bench.churn_log[0])
        bench_show_log (BENCH_NAME, "churn-alerting", bench.churn_log);
    if (rc != 0 && bench.counting_log[0])
        bench_show_log (BENCH_NAME, "counting-consumer", bench.counting_log);
    if (rc != 0 && bench.ingest.log[0])
        bench_show_log (BENCH_NAME, "activity-ingest", bench.ingest.log);
    if (receiving) {
        atomic_store (&receiver.stop, true);
        pthread_join (receiver_thread, NULL);
    }
    bench_stop (&bench.churn_pid, BENCH_STOP_TIMEOUT_MS);
    bench_stop (&bench.counting_pid, BENCH_STOP_TIMEOUT_MS);
    bench_stop (&bench.ingest.pid, BENCH_STOP_TIMEOUT_MS);
    bench_redis_stats_destroy (&rebuild_stats);
    bench_redis_stats_destroy (&live_stats);
    bench_checkpoints_destroy (&bench.checkpoints);
    sp_redis_destroy (&bench.redis);
    sp_pg_destroy (&bench.pg);
    sp_harness_destroy (&bench.harness);
out_free:
    free (latencies);
    s_plan_free (&plan);
    return rc;
}
