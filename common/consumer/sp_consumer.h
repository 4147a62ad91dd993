/*  sp_consumer - exactly-once consumption of the event log, shared by the
    four downstream services (DESIGN.md, "The event log is the source of
    truth", 3-6). A service writes only its handler: a function that turns
    one event into Redis commands on keys of the event's partition. This
    object does the rest:

    Live path. A SUB socket on activity-ingest's bus receives every event
    (all types: sequences count every event of a partition, so a consumer
    that filtered types would see gaps everywhere). For an owned partition
    that is live: sequence == checkpoint + 1 is applied; sequence <=
    checkpoint is ignored (already applied); a larger sequence is a gap
    (lost to the high-water mark, a slow join, a pause): the partition
    catches up. Events of partitions not owned are dropped. Messages that
    are waiting on the socket are read together (up to the batch size) and
    each partition's run is applied as one atomic step.

    Catch-up path. Reads the partition's events after its checkpoint from
    PostgreSQL in batches (sp_consumer_log), one batch per reactor turn for
    each partition catching up, applies each batch as one atomic step, and
    turns live when a read returns fewer rows than the batch size. Live
    messages of a catching-up partition are dropped meanwhile: each was
    committed before it was published, so a later read returns it. Used at
    claim, after a gap or a failed apply, and when the periodic head poll
    finds a partition whose checkpoint is still behind the head seen one
    poll earlier (the last messages of a burst were dropped and nothing
    came after to show the gap).

    Exactly-once apply. The handler's commands and the checkpoint advance
    run in one fenced Lua script (sp_consumer_store): a crash at any
    instant neither loses nor repeats an event's effect; a stale owner's
    script is refused by its token; a checkpoint moved by another owner or
    a reset is refused too, and the partition re-reads its state. Steps
    are pipelined on a connection of the consumer's own (see s_commit in
    sp_consumer.c): nothing is in flight between reactor callbacks.

    Handler reads. A handler that needs state (a read-then-write state
    machine) does no I/O either: its begin hook declares the keys a run
    of events reads, the consumer reads them in one pipelined round trip
    into a view (sp_consumer_view.h) that apply reads and writes, marked
    and rewound with the batch, and dropped after the run.

    Leases. sp_lease shares the service's partitions among its running
    instances, ticking every ttl/3 on the reactor. A claimed partition is
    validated (sp_consumer_store_read): when its state is missing or older
    than the requested rebuild epoch it is reset and replayed from
    sequence 1 (rebuild); then it catches up. A lost or released partition
    is forgotten at once.

    Rebuild. Flushed or new Redis: checkpoints are missing, so every
    partition replays the log and reaches the same state. `salesctl
    rebuild SERVICE` raises the rebuild epoch; owners see it at the next
    head poll and reset their partitions.

    Poison events. A handler error on an event is retried up to
    poison_attempts times, retry_delay_ms apart (the partition waits; the
    others go on). Then the event is quarantined in PostgreSQL with the
    error (sp_consumer_log_quarantine) and only the checkpoint moves past
    it. Infrastructure failures (Redis or PostgreSQL unreachable) are not
    the event's fault: the partition retries after retry_delay_ms without
    counting attempts.

    Visibility, on /metrics:
        salespulse_consumer_partition_owned{partition}      1 when owned here
        salespulse_consumer_partition_live{partition}       1 when owned and caught up
        salespulse_consumer_partition_checkpoint{partition} last applied sequence
        salespulse_consumer_partition_lag{partition}        head - checkpoint (owned)
        salespulse_consumer_applied_events_total            events applied
        salespulse_consumer_applied_events_per_second       over the last poll interval
        salespulse_consumer_catchup_events_total            of which read back from the log
        salespulse_consumer_gaps_total                      gaps seen on the live path
        salespulse_consumer_bus_malformed_total             bus messages that could not be read
        salespulse_consumer_apply_refused_total{reason}     fenced|moved|stale|failed
        salespulse_consumer_quarantined_events_total        events given up on
        salespulse_consumer_lease_changes_total{change}     acquired|lost
    and, for `salesctl status`, the instance's status JSON stored with its
    lease heartbeat: {"instance","service","host","pid","http_port",
    "started_at","partitions":[{"partition","checkpoint","head","lag",
    "state"}],"applied","applied_per_second","revision","definitions"}
    (definitions only when the service gave them, see sp_consumer_revise).

    Runs on the service thread (the reactor of sp_service); not
    thread-safe.
*/
#ifndef SP_CONSUMER_H_INCLUDED
#define SP_CONSUMER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "event.pb-c.h"
#include "sp_config.h"
#include "sp_consumer_store.h"
#include "sp_consumer_view.h"
#include "sp_service.h"

typedef struct _sp_consumer_t sp_consumer_t;

/* One event handed to the handler. */
typedef struct {
    uint32_t partition;
    uint64_t sequence;
    int64_t ingested_at; /* UTC ms */
    const char *event_id;
    const Salespulse__SalesEvent *event; /* borrowed for the call */
} sp_consumer_event_t;

/* Adds the Redis commands that apply event to batch (keys from
   sp_consumer_batch_key: the event's partition). Returns 0, or -1 with the
   reason in error (the event is retried, then quarantined; commands added
   by the failed call are dropped). May add nothing for events it ignores.
   Must be deterministic given the Redis state: a rebuild replays it.
   State is read from view (sp_consumer_view_get: keys declared by begin,
   as this run's earlier events left them) and written with
   sp_consumer_view_put, which also appends the SET to batch; the handler
   does no I/O. When the event fails, its writes leave the view and the
   batch together; a read the view refused (sp_consumer_view_error) fails
   the event too, even when apply returned 0. */
typedef int (*sp_consumer_apply_fn) (void *arg, const sp_consumer_event_t *event,
                                     sp_consumer_view_t *view, sp_consumer_batch_t *batch,
                                     char *error, size_t error_size);

/* Optional: called once before the events of one run of a partition
   (consecutive, at most the batch size) are handed to apply, one by one,
   with all of them: a handler that reads state declares here every key it
   will read (sp_consumer_view_want, keys of partition), and the consumer
   reads them all in one pipelined round trip before the first apply.
   Declares only: no I/O. Returns 0, or -1 with the reason in error: the
   partition retries after retry_delay_ms without counting handler
   attempts (as when the read fails). */
typedef int (*sp_consumer_begin_fn) (void *arg, uint32_t partition,
                                     const sp_consumer_event_t *events, size_t count,
                                     sp_consumer_view_t *view, char *error, size_t error_size);

typedef struct {
    sp_consumer_apply_fn apply;
    void *arg;
    sp_consumer_begin_fn begin; /* may be NULL */
} sp_consumer_handler_t;

typedef struct {
    const char *service;  /* key prefix and lease name: the service's name */
    const char *bus;      /* activity-ingest's PUB endpoint(s), connected */
    uint32_t partitions;  /* the log's partition count */
    int bus_hwm;          /* SUB receive high-water mark, messages */
    int64_t lease_ttl_ms; /* lease lifetime; ticks every ttl/3 */
    int poll_ms;          /* head and rebuild-epoch poll interval */
    size_t batch;         /* events per atomic step and per catch-up read */
    size_t step_bytes;    /* a step is applied once its commands hold this many bytes */
    int poison_attempts;  /* handler attempts before quarantine, >= 1 */
    int retry_delay_ms;   /* wait before retrying a failed partition */
    const char *postgres_read; /* a replica's URL for catch-up reads, NULL or "": none */
} sp_consumer_settings_t;

/* Commands after which an atomic step is applied even short of its
   event and byte budgets: half the batch's hard limit, so one more event
   always fits. */
#define SP_CONSUMER_STEP_COMMANDS (SP_CONSUMER_BATCH_MAX_COMMANDS / 2)

/* The consumer's settings, for a service's option table: append
   SP_CONSUMER_OPTIONS to the service's own sp_config_option_t entries
   (names bus, bus-hwm, lease-ttl-ms, poll-ms, batch, step-bytes,
   poison-attempts, retry-delay-ms, postgres-read; environment
   SP_BUS_ENDPOINT, SP_CONSUMER_*, SP_POSTGRES_READ_URL). */
#define SP_CONSUMER_OPTIONS                                                                        \
    { "bus", "SP_BUS_ENDPOINT", SP_CONFIG_STRING, "tcp://127.0.0.1:5551",                         \
      "activity-ingest's PUB endpoint to subscribe to", 0, 0 },                                   \
    { "bus-hwm", "SP_CONSUMER_BUS_HWM", SP_CONFIG_INT, "100000",                                  \
      "SUB receive high-water mark, messages (beyond it events are dropped and caught up "        \
      "from the log)", 1, 10000000 },                                                             \
    { "lease-ttl-ms", "SP_CONSUMER_LEASE_TTL_MS", SP_CONFIG_INT, "10000",                         \
      "partition lease lifetime, ms; leases are renewed every third of it", 300, 3600000 },       \
    { "poll-ms", "SP_CONSUMER_POLL_MS", SP_CONFIG_INT, "1000",                                    \
      "how often partition heads and rebuild requests are checked, ms", 10, 600000 },            \
    { "batch", "SP_CONSUMER_BATCH", SP_CONFIG_INT, "1000",                                        \
      "most events in one atomic apply and in one catch-up read", 1, 100000 },                   \
    { "step-bytes", "SP_CONSUMER_STEP_BYTES", SP_CONFIG_INT, "4194304",                          \
      "an atomic step is applied once its commands hold this many bytes (or 50,000 "              \
      "commands), even short of --batch events", 65536, 268435456 },                              \
    { "poison-attempts", "SP_CONSUMER_POISON_ATTEMPTS", SP_CONFIG_INT, "3",                       \
      "handler attempts on one event before it is quarantined", 1, 100 },                         \
    { "retry-delay-ms", "SP_CONSUMER_RETRY_DELAY_MS", SP_CONFIG_INT, "200",                       \
      "wait before a failed partition tries again, ms", 1, 600000 },                              \
    { "postgres-read", "SP_POSTGRES_READ_URL", SP_CONFIG_STRING, NULL,                            \
      "a streaming replica of --postgres to read the event log from when catching up (unset: "    \
      "the primary); a read it cannot answer, or answers short of the head, goes to the primary", \
      0, 0 }

/* Fills settings from a parsed configuration holding SP_CONSUMER_OPTIONS
   and the shared "partitions"; service is borrowed. */
void sp_consumer_settings_from_config (const sp_config_t *config, const char *service,
                                       sp_consumer_settings_t *settings);

/* Checks settings (sp_consumer_new does): 0, or -1 with the setting named
   and why. */
int sp_consumer_settings_check (const sp_consumer_settings_t *settings, char *error,
                                size_t error_size);

/* Creates the consumer on a started service: connects the SUB socket,
   loads the scripts, registers metrics and adds its reader and timers to
   the service's reactor. The first lease tick runs at once. Returns NULL
   with the reason on failure. handler is copied. */
sp_consumer_t *sp_consumer_new (sp_service_t *service, const sp_consumer_settings_t *settings,
                                const sp_consumer_handler_t *handler, char *error,
                                size_t error_size);

/* Removes its reader and timers, releases its leases (so other instances
   take over at once), closes the socket, frees; no-op on NULL; sets
   *self_p to NULL. Call from the service's stop hook. */
void sp_consumer_destroy (sp_consumer_t **self_p);

/* The usual wiring for a service whose only work is its handler: reads
   the settings from the service's configuration, creates the consumer
   and registers a stop hook that destroys it. For sp_service_main's
   attach function. Returns 0, or -1 after logging why. */
int sp_consumer_attach (sp_service_t *service, const sp_consumer_handler_t *handler);

/* Definitions (docs/reference-data.md). A consumer applies under one
   revision of its service's reference data (0 until told otherwise) and
   stamps every partition's state with it (sp_consumer_store.h). When the
   service takes new definitions it calls sp_consumer_revise with the new
   revision, the last revision whose change needs a rebuild
   (rebuild_revision <= revision; equal for a kind that rebuilds), the
   handler for them (NULL keeps the current one) and a JSON object saying
   what it uses for `salesctl status` (taken; NULL keeps the current).
   Every owned partition then reads its state again before its next
   event: stamped before rebuild_revision it is rebuilt from the log,
   otherwise restamped. Call it between reactor callbacks only (it is:
   the watcher runs on the same reactor), never from a handler. */
void sp_consumer_revise (sp_consumer_t *self, int64_t revision, int64_t rebuild_revision,
                         const sp_consumer_handler_t *handler, json_t *definitions);

/* Told when a partition's state is stamped with a revision newer than
   this instance's (another instance took newer definitions first): the
   service should look for them now (sp_refdata_watch_check_soon). The
   partition waits meanwhile. */
typedef void (sp_consumer_behind_fn) (void *arg, int64_t stored_revision);
void sp_consumer_on_behind (sp_consumer_t *self, sp_consumer_behind_fn *behind, void *arg);

/* The revision applied under. */
int64_t sp_consumer_revision (const sp_consumer_t *self);

/* Partitions owned now, and events applied since start (tests, tools). */
uint32_t sp_consumer_owned_count (const sp_consumer_t *self);
uint64_t sp_consumer_applied (const sp_consumer_t *self);

#endif
