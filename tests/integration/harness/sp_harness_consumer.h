/*  sp_harness_consumer - the consumer framework's acceptance tests run the
    real counting-consumer (tests/programs/counting-consumer) against the
    real activity-ingest, the way operators run services: these start both
    with a known bus endpoint, read the consumer's /metrics, run salesctl,
    and compare what the consumer counted in Redis with the event log.

    The comparison is the exactly-once check: summed over every partition,
    counting-consumer:{pN}:count:type must equal `SELECT type, count(*)
    FROM events GROUP BY type`, and counting-consumer:{pN}:count:customer
    the same by customer_id ("-" when none). An event lost leaves a count
    short, an event applied twice leaves one long; the first difference is
    reported so a failing test says which.
*/
#ifndef SP_HARNESS_CONSUMER_H_INCLUDED
#define SP_HARNESS_CONSUMER_H_INCLUDED

#include <czmq.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_cluster.h"
#include "sp_harness_publisher.h"
#include "sp_pg.h"
#include "sp_redis.h"

/* The reference consumer's service name (key prefix and lease name). */
#define SP_HARNESS_CONSUMER_SERVICE "counting-consumer"

/* Events per ingest request of sp_harness_consumer_publish. */
#define SP_HARNESS_CONSUMER_BATCH 500

/* Room for a difference text from sp_harness_consumer_compare. */
#define SP_HARNESS_CONSUMER_DIFFERENCE_SIZE 512

/* Room for a ZeroMQ endpoint such as "tcp://127.0.0.1:41234". */
#define SP_HARNESS_CONSUMER_ENDPOINT_SIZE 64

/* What the consumer acceptance tests run on, started once per test file:
   PostgreSQL and Redis with the partitions recorded, a connection to
   each, and activity-ingest with its ROUTER and its bus on free ports.
   The tests read the fields directly (a cmocka group's state).

   On a cluster (SP_HARNESS_REDIS=cluster) the harness's Redis is a
   Redis Cluster of SP_HARNESS_CLUSTER_MASTERS masters in place of its
   one server (SP_HARNESS_REDIS_CLUSTER): every program the test starts
   and every salesctl run gets its "redis+cluster://" URL, and redis is a
   client of the whole cluster through the seam (commands by slot,
   FLUSHALL and KEYS on every master). What Redis keeps per server goes
   through sp_harness_consumer_stack_each_server and _server_of. */
typedef struct {
    sp_harness_t *harness;                            /* the servers */
    sp_pg_t *pg;                                      /* the test's connection */
    sp_redis_t *redis;                                /* the test's connection */
    char endpoint[SP_HARNESS_CONSUMER_ENDPOINT_SIZE]; /* activity-ingest's ROUTER */
    char bus[SP_HARNESS_CONSUMER_ENDPOINT_SIZE];      /* activity-ingest's PUB */
    pid_t ingest;                                     /* the running activity-ingest */
    sp_harness_cluster_t *cluster;                    /* the harness's cluster, or NULL */
} sp_harness_consumer_stack_t;

/* A series of events for sp_harness_publisher: event index is
   "<prefix>:<index>" for customer "customer-<index % customers>" (so
   every partition gets events when customers is a few times the partition
   count); every third one a deal_lost, the others calls, so the counts
   have more than one type. */
typedef struct {
    const char *prefix; /* event_id prefix, unique per test */
    size_t customers;   /* distinct customers, >= 1 */
} sp_harness_consumer_series_t;

/* Event index of the series arg (an sp_harness_consumer_series_t *), as an
   sp_harness_event_fn; NULL when out of memory. */
sp_event_t *sp_harness_consumer_event (size_t index, void *arg);

/* Starts the stack for partitions partitions, application naming the
   PostgreSQL connection, with bus_hwm as sp_harness_consumer_start_ingest
   takes it, waiting up to timeout_ms for activity-ingest; on one Redis
   server, or on a cluster when SP_HARNESS_REDIS=cluster is set. Returns
   it, or NULL (printed) after stopping what had started. */
sp_harness_consumer_stack_t *sp_harness_consumer_stack_new (const char *application, int partitions,
                                                            int bus_hwm, int timeout_ms);

/* The same on one Redis server (cluster false) or on a cluster (true),
   whatever the environment says. */
sp_harness_consumer_stack_t *sp_harness_consumer_stack_new_on (const char *application,
                                                               int partitions, int bus_hwm,
                                                               int timeout_ms, bool cluster);

/* Runs a command of C strings on every Redis server of the stack, for
   what Redis keeps per server (CONFIG SET, CLIENT KILL ... SKIPME yes):
   the one server through the stack's connection, or each master of the
   cluster through the harness's own connection to it. Integer replies
   are summed into *sum (may be NULL). Returns 0, or -1 (printed). */
int sp_harness_consumer_stack_each_server (sp_harness_consumer_stack_t *self, int argc,
                                           const char *const *argv, int64_t *sum);

/* A single-server connection to the server holding key (borrowed): the
   stack's connection on one server, the harness's connection to the
   master serving key's slot on a cluster; for what Redis answers per
   server about work on a key (SCRIPT KILL of a script running there). */
sp_redis_t *sp_harness_consumer_stack_server_of (sp_harness_consumer_stack_t *self,
                                                 const char *key);

/* Stops activity-ingest (SIGTERM) and the servers, frees; no-op on NULL;
   sets *self_p to NULL. */
void sp_harness_consumer_stack_destroy (sp_harness_consumer_stack_t **self_p);

/* Before each test: an empty event log, no quarantined events and an
   empty Redis. Returns 0, or -1. */
int sp_harness_consumer_stack_clear (sp_harness_consumer_stack_t *self);

/* Starts publishing count events of series (borrowed until the publisher
   is destroyed) through the stack's activity-ingest, in batches of
   SP_HARNESS_CONSUMER_BATCH with patient resends. Returns the publisher,
   or NULL when it could not start. */
sp_harness_publisher_t *sp_harness_consumer_publish (const sp_harness_consumer_stack_t *self,
                                                     sp_harness_consumer_series_t *series,
                                                     size_t count);

/* sp_harness_consumer_publish for any series: event index of count made
   by make_event (given arg), batch events per request. */
sp_harness_publisher_t *sp_harness_consumer_publish_events (const sp_harness_consumer_stack_t *self,
                                                            sp_harness_event_fn make_event,
                                                            void *arg, size_t count, size_t batch);

/* Waits up to timeout_ms for every batch of *publisher_p to be
   acknowledged, then destroys it. Returns 0, or -1 (printed) when some
   were not. */
int sp_harness_consumer_publish_finish (sp_harness_publisher_t **publisher_p, int timeout_ms);

/* Starts the built activity-ingest with its ROUTER on endpoint and its PUB
   on bus with send high-water mark bus_hwm (0: its default), for the
   database's partitions, stdout and stderr appended to log_path, and
   waits until it accepts requests.
   Returns its PID, or -1 when it could not start or was not ready within
   timeout_ms (then it is killed and reaped). */
pid_t sp_harness_consumer_start_ingest (const sp_harness_t *harness, const char *endpoint,
                                        const char *bus, int bus_hwm, int partitions,
                                        const char *log_path, int timeout_ms);

/* Starts the built consumer service program_name (e.g. "kpi-evaluator")
   with the harness's servers, subscribed to bus (SP_BUS_ENDPOINT), serving
   /metrics on 127.0.0.1:http_port (SP_HTTP), for partitions partitions
   (SP_PARTITIONS), plus settings ("NAME=VALUE", NULL terminated, at most
   16, may be NULL: e.g. "SP_TIME_ZONE=UTC") and arguments (NULL
   terminated, at most 14, may be NULL: e.g. "--currency", "GBP"); stdout
   and stderr appended to log_path. Waits until /metrics shows
   salespulse_consumer_partition_owned. Returns its PID, or -1 (printed)
   when there were more settings or arguments than that, or it could not
   start or was not ready within timeout_ms (then it is killed and
   reaped). */
pid_t sp_harness_consumer_service (const sp_harness_t *harness, const char *program_name,
                                   const char *bus, int http_port, int partitions,
                                   const char *const *settings, const char *const *arguments,
                                   const char *log_path, int timeout_ms);

/* sp_harness_consumer_service for the built counting-consumer, with
   arguments only (e.g. "--lease-ttl-ms", "1500"). */
pid_t sp_harness_consumer_start (const sp_harness_t *harness, const char *bus, int http_port,
                                 int partitions, const char *const *arguments, const char *log_path,
                                 int timeout_ms);

/* Sum of every series of the metric name (all label values) on the
   /metrics page of 127.0.0.1:http_port; the values are whole numbers.
   Returns -1 when the page could not be read or holds no such metric. */
int64_t sp_harness_consumer_metric (int http_port, const char *name);

/* Compares the consumer's counts in Redis, summed over partitions, with
   the event log's, leaving out the event excluded_event_id (NULL: none)
   as a consumer that quarantined it must. Returns 0 when they are equal,
   1 when they differ (the first difference, e.g. `type "call": redis 41,
   log 42`, in difference), -1 when Redis or PostgreSQL could not be read
   (the reason in difference). */
int sp_harness_consumer_compare (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions,
                                 const char *excluded_event_id, char *difference,
                                 size_t difference_size);

/* Polls sp_harness_consumer_compare until it returns 0; returns 0, or -1
   after timeout_ms with the last difference in difference (and printed to
   stderr). */
int sp_harness_consumer_wait_counts (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions,
                                     const char *excluded_event_id, int timeout_ms,
                                     char *difference, size_t difference_size);

/* Lines of the file at log_path containing text (0 when it cannot be read). */
size_t sp_harness_consumer_log_count (const char *log_path, const char *text);

/* Runs the built salesctl with arguments (NULL terminated, at most 11)
   plus --postgres and --redis of the harness (not the one the arguments
   name: a test of another Redis, e.g. a cluster, or another PostgreSQL,
   e.g. a replica); its stdout is written into
   output (NUL terminated, cut to output_size), its stderr into the file
   stderr_path (emptied first). Returns its exit status, or -1 when it could not start or
   ran longer than timeout_ms (then it is killed). */
int sp_harness_salesctl (const sp_harness_t *harness, const char *const *arguments,
                         const char *stderr_path, char *output, size_t output_size, int timeout_ms);

/* sp_harness_salesctl with --redis redis_url added (NULL: the harness's
   Redis, e.g. a cluster's URL otherwise) and its stderr in the folder's
   salesctl.err. Returns its exit status. */
int sp_harness_salesctl_on (const sp_harness_t *harness, const char *const *arguments,
                            const char *redis_url, char *output, size_t output_size,
                            int timeout_ms);

/* The first JSON value salesctl printed for arguments against redis_url
   (as sp_harness_salesctl_on), or NULL when it failed or printed none. */
json_t *sp_harness_salesctl_json (const sp_harness_t *harness, const char *const *arguments,
                                  const char *redis_url, int timeout_ms);

/* Asks salesctl the same question (arguments) against two Redis URLs
   (e.g. one server and a cluster holding the same service's state)
   until both answers are complete (a top-level "complete", or
   "completeness"."complete", is true) and the same byte for byte with
   keys sorted, once the top-level keys in ignored (NULL terminated, may
   be NULL: e.g. "as_of", the moment asked) are removed. Returns the
   first answer (the caller decrefs it), or NULL after timeout_ms with
   both answers printed. */
json_t *sp_harness_salesctl_same (const sp_harness_t *harness, const char *const *arguments,
                                  const char *first_url, const char *second_url,
                                  const char *const *ignored, int timeout_ms);

/* Writes text into the file name of harness's folder; path gets its
   path. Returns 0, or -1 when it could not be written. */
int sp_harness_consumer_file (const sp_harness_t *harness, const char *name, const char *text,
                              char *path, size_t size);

/* sp_harness_salesctl with its stderr in the folder's salesctl.err. */
int sp_harness_consumer_salesctl (const sp_harness_t *harness, const char *const *arguments,
                                  char *output, size_t size, int timeout_ms);

/* Writes text (JSON lines of events) to the file name and publishes it
   with `salesctl publish FILE --endpoint endpoint`. Returns 0, or
   salesctl's status with its output in output. */
int sp_harness_consumer_publish_text (const sp_harness_t *harness, const char *endpoint,
                                      const char *name, const char *text, char *output, size_t size,
                                      int timeout_ms);

/* The objects of text's JSON lines (text is cut up in place) as an
   array; NULL when a line is not a JSON object. */
json_t *sp_harness_consumer_json_lines (char *text);

/* The next message on socket within timeout_ms (0: only one waiting),
   or NULL. */
zmsg_t *sp_harness_consumer_receive (zsock_t *socket, int timeout_ms);

#endif
