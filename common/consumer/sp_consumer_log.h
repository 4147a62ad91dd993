/*  sp_consumer_log - what a consumer reads from and writes to the event
    log in PostgreSQL: catch-up reads, partition heads, and the quarantine
    of events a handler could not apply (migration 0002_consumer.sql).

    Catch-up reads "the events of partition p after sequence s, in order,
    at most n" (primary key range scan). Sequences are gap-free and in
    commit order (DESIGN.md 2), so a read that returns fewer than n rows
    has reached the partition's head at that moment.

    Quarantine rows are keyed by (service, partition, sequence): inserting
    the same event again (the event failed again during a rebuild, or after
    a crash between the insert and the checkpoint) updates the error and
    adds the attempts, so the insert is idempotent.

    Uses the caller's sp_pg_t on the caller's thread; every statement is
    prepared on first use.
*/
#ifndef SP_CONSUMER_LOG_H_INCLUDED
#define SP_CONSUMER_LOG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.pb-c.h"
#include "sp_pg.h"

/* Largest packed event accepted from the log (as activity-ingest's limit). */
#define SP_CONSUMER_LOG_EVENT_MAX_BYTES (1024 * 1024)

/* One event read back from the log. */
typedef struct {
    uint32_t partition;
    uint64_t sequence;
    int64_t ingested_at;           /* UTC ms */
    char event_id[160];            /* for logs and quarantine rows */
    Salespulse__SalesEvent *event; /* unpacked payload, owned by the read */
} sp_consumer_log_event_t;

/* The rows of one catch-up read. */
typedef struct {
    sp_consumer_log_event_t *events;
    size_t count;
} sp_consumer_log_read_t;

/* One quarantined event, for listings. */
typedef struct {
    char service[64];
    uint32_t partition;
    uint64_t sequence;
    char event_id[160];
    char type[48];
    int attempts;
    char error[512];
    int64_t quarantined_at; /* UTC ms, last time */
} sp_consumer_log_quarantined_t;

/* Reads up to limit (>= 1) events of partition after sequence after, in
   sequence order, into read (replacing what it held). A payload that does
   not unpack is an error naming partition and sequence (the log only holds
   events activity-ingest validated, so this means corruption). Returns 0,
   or -1 with the reason (read is then empty). */
int sp_consumer_log_read (sp_pg_t *pg, uint32_t partition, uint64_t after, size_t limit,
                          sp_consumer_log_read_t *read, char *error, size_t error_size);

/* Frees what read holds and empties it; the struct itself is the
   caller's. */
void sp_consumer_log_read_clear (sp_consumer_log_read_t *read);

/* Head sequence of every partition: heads[p] for p < partitions (0 for
   an empty partition). Returns 0, or -1 with the reason. */
int sp_consumer_log_heads (sp_pg_t *pg, uint32_t partitions, uint64_t *heads, char *error,
                           size_t error_size);

/* Records that service gave up on event (partition, sequence) after
   attempts failures with the handler's last error. Returns 0, or -1 with
   the reason. */
int sp_consumer_log_quarantine (sp_pg_t *pg, const char *service,
                                const sp_consumer_log_event_t *event, int attempts,
                                const char *handler_error, char *error, size_t error_size);

/* Lists quarantined events, newest first, at most limit, of one service
   (NULL: every service). *rows is malloc'd (caller frees), *count its
   length. Returns 0, or -1 with the reason. */
int sp_consumer_log_quarantined (sp_pg_t *pg, const char *service, size_t limit,
                                 sp_consumer_log_quarantined_t **rows, size_t *count,
                                 char *error, size_t error_size);

#endif
