/*  sp_consumer_source - where a consumer's catch-up reads of the event log
    come from: a PostgreSQL streaming replica when one is configured
    (--postgres-read), the primary otherwise and whenever the replica
    cannot answer.

    The log is append-only and a replica applies the primary's WAL in
    order, so a replica's view of a partition is a prefix of the
    primary's: a read there can be short (the replica lags), never wrong.
    A read the replica answers with fewer events than asked while the
    partition's head, read from the primary, says there are more is read
    again from the primary, so a lagging replica never slows a catch-up
    nor makes a partition look caught up early. A replica that fails
    (unreachable, not yet accepting connections) is left alone for
    SP_CONSUMER_SOURCE_RETRY_MS while the primary answers, with one warning
    per failure. Heads, quarantine rows and everything written stay on the
    primary: a consumer never applies past what the primary committed.

    Metrics: salespulse_consumer_log_reads_total{source="primary"|"replica"}
    (reads that returned events), salespulse_consumer_replica_fallbacks_total
    {reason="behind"|"failed"}.
*/
#ifndef SP_CONSUMER_SOURCE_H_INCLUDED
#define SP_CONSUMER_SOURCE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sp_consumer_log.h"
#include "sp_consumer_metrics.h"
#include "sp_pg.h"

#define SP_CONSUMER_SOURCE_RETRY_MS 5000 /* a failed replica is not asked for this long */

typedef struct _sp_consumer_source_t sp_consumer_source_t;

/* The source over primary (borrowed) and, when replica_url is neither NULL
   nor empty, a replica connection of its own (made at the first read).
   metrics is borrowed. NULL when memory runs out or the URL does not
   parse. */
sp_consumer_source_t *sp_consumer_source_new (sp_pg_t *primary, const char *replica_url,
                                              const char *application_name,
                                              sp_consumer_metrics_t *metrics);

/* Closes the replica connection; no-op on NULL; sets *self_p to NULL. */
void sp_consumer_source_destroy (sp_consumer_source_t **self_p);

/* Reads as sp_consumer_log_read (up to limit events of partition after
   sequence after), from the replica when it answers and is not behind
   head (the partition's head as last read from the primary; 0 when not
   known), from the primary otherwise. 0, or -1 with the primary's error. */
int sp_consumer_source_read (sp_consumer_source_t *self, uint32_t partition, uint64_t after,
                             size_t limit, uint64_t head, sp_consumer_log_read_t *read,
                             char *error, size_t error_size);

#endif
