/*  incentive_close - incentive-calculator's part of `salesctl
    close-period` (migration 0011, docs/incentive-calculator.md "Closing
    a period").

    Before the close's transaction, incentive_close_prepare computes the
    statement of every rep credited in any partition for the period, as
    `salesctl statement --json` shows it, marked closed (reps with no line
    and no balance are left out: reading their closed period later shows
    the same empty statement). It refuses while incentive-calculator has
    events of the log still to apply, so a close never locks a partial
    statement. Inside the transaction, incentive_close_store claims one
    sequence of the outbox stream "incentive-statements" per statement
    and stores it in incentive_statements; after the commit the running
    incentive-calculator publishes them (incentive_publisher.h).
*/
#ifndef INCENTIVE_CLOSE_H_INCLUDED
#define INCENTIVE_CLOSE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "incentive_query.h"
#include "sp_pg.h"

/* The outbox stream of closed statements and its topic prefix
   ("incentive.statement.<rep>"). */
#define INCENTIVE_CLOSE_STREAM "incentive-statements"
#define INCENTIVE_CLOSE_TOPIC "incentive.statement."

/* Room for an error message of this module. */
#define INCENTIVE_CLOSE_ERROR_SIZE 640

typedef struct _incentive_close_t incentive_close_t;

/* Computes the statements of period (a month, quarter or year label).
   NULL with the reason. */
incentive_close_t *incentive_close_prepare (incentive_query_t *query, const char *period,
                                            char *error, size_t error_size);

void incentive_close_destroy (incentive_close_t **self_p);

/* Statements prepared. */
size_t incentive_close_count (const incentive_close_t *self);

/* Stores the prepared statements in the open transaction on pg, each
   with the next sequence of the stream. Returns 0, or -1 with the reason
   (the caller rolls back). */
int incentive_close_store (const incentive_close_t *self, sp_pg_t *pg, char *error,
                           size_t error_size);

#endif
