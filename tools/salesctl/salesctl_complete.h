/*  salesctl_complete - what every salesctl query of a consumer service's
    state says beside its figures: whether that state held the whole event
    log when it was read (common/consumer/sp_completeness.h), and
    `--wait [--timeout SECONDS]` to wait until it does (issue 14, part 3).

    A query runs:

        salesctl_complete_t complete;
        salesctl_complete_open (config, "funnel", "funnel-tracker", pg, kinds, count, &complete);
        do {
            salesctl_complete_begin (&complete, pg, redis);   heads, state; --wait: until complete
            ... read the figures ...
        } while ((again = salesctl_complete_end (&complete, redis)) == 1);
        ... print: salesctl_complete_text (a line, only when incomplete) or
            salesctl_complete_json ("completeness" member) ...
        exit_code = salesctl_complete_exit (&complete);
        salesctl_complete_close (&complete);

    With --wait the state is read every SALESCTL_COMPLETE_POLL_MS until it
    is complete, then the figures are read, then the state once more (a
    rebuild or FLUSHALL that began in between sends the query round
    again). At --timeout the figures are read as they stand and the answer
    carries the incomplete mark: exit status SALESCTL_EXIT_INCOMPLETE.
    Without --wait the answer comes at once, marked when incomplete, with
    exit status 0 (docs/salesctl.md, "Complete answers").
*/
#ifndef SALESCTL_COMPLETE_H_INCLUDED
#define SALESCTL_COMPLETE_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sp_completeness.h"
#include "sp_config.h"
#include "sp_pg.h"
#include "sp_redis.h"

/* Exit status of a query that waited (--wait) until --timeout and still
   answered from incomplete state. */
#define SALESCTL_EXIT_INCOMPLETE 3

#define SALESCTL_COMPLETE_POLL_MS 200        /* between two reads while waiting */
#define SALESCTL_COMPLETE_TIMEOUT_MAX 604800 /* largest --timeout, s (a week) */

/* The two options of a query command's table. */
#define SALESCTL_COMPLETE_OPTIONS                                                                  \
    { "wait",                                                                                      \
      NULL,                                                                                        \
      SP_CONFIG_BOOL,                                                                              \
      "false",                                                                                     \
      "wait until the service's state holds every event logged (no rebuild, catch-up or lost "     \
      "state), then answer",                                                                       \
      0,                                                                                           \
      0 },                                                                                         \
    {                                                                                              \
        "timeout", NULL, SP_CONFIG_INT, "60",                                                      \
            "with --wait: answer anyway after this many seconds, marked incomplete, exit 3", 1,    \
            SALESCTL_COMPLETE_TIMEOUT_MAX                                                          \
    }

/* One query's check. */
typedef struct {
    sp_completeness_t *completeness; /* the check of the service's partitions */
    const char *command;             /* for messages, borrowed */
    bool wait;                       /* --wait */
    int64_t deadline_ms;             /* with --wait: when to answer anyway (monotonic ms) */
    sp_pg_t *primary;                /* owned: the primary, where the log's heads and the
                                        revision are read when the query's connection is a
                                        standby (salesctl_heads_connection); else NULL */
} salesctl_complete_t;

/* Prepares the check of service's partitions (the count from pg) for
   command, with --wait and --timeout from config; state built under a
   revision below the largest of kinds (count of them, may be 0) is stale.
   Returns 0, or -1 after printing why (self is then closed). */
int salesctl_complete_open (const sp_config_t *config, const char *command, const char *service,
                            sp_pg_t *pg, const char *const *kinds, size_t count,
                            salesctl_complete_t *self);

/* Reads the heads (from pg, the query's connection, or from the primary
   when pg is a standby) and the state; with --wait again every
   SALESCTL_COMPLETE_POLL_MS until it is complete or the deadline passed.
   Returns 0, or -1 after printing why. */
int salesctl_complete_begin (salesctl_complete_t *self, sp_pg_t *pg, sp_redis_t *redis);

/* After the figures: reads the state again. Returns 1 when the caller
   should read the figures again (--wait, not complete, time left), 0 to
   answer, -1 after printing why. */
int salesctl_complete_end (salesctl_complete_t *self, sp_redis_t *redis);

/* True when the state read was complete. */
bool salesctl_complete_ok (const salesctl_complete_t *self);

/* Prints the incomplete line (and a newline) to stream; nothing when
   complete. */
void salesctl_complete_text (const salesctl_complete_t *self, FILE *stream);

/* Adds "completeness" (sp_completeness_json) to document. Returns 0, or
   -1 when out of memory. */
int salesctl_complete_json (const salesctl_complete_t *self, json_t *document);

/* The exit status of an answered query: SALESCTL_EXIT_INCOMPLETE after
   --wait timed out, else 0. */
int salesctl_complete_exit (const salesctl_complete_t *self);

/* Frees; safe to call twice and on a zeroed struct. */
void salesctl_complete_close (salesctl_complete_t *self);

#endif
