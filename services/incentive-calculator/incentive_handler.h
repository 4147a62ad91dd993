/*  incentive_handler - incentive-calculator's consumer handler: keeps,
    per partition, what the events say about commissions, and nothing
    computed (docs/incentive-calculator.md, "State").

      - deal_won: one credit record per credited rep in the rep's hash
        (rep:<rep>, field = event id): the deal's splits share the amount
        and the margin by the largest-remainder rule of incentive_credit,
        never creating or losing a minor unit; without splits the event's
        rep_id gets 100 %. The rep joins the partition's reps hash. The
        customer's first won deal (the earliest occurred_at, then event
        id) is kept with its reps for the new_logos measure
        (logo:<customer>): a credit is written marked when its deal is
        the first now, and when an earlier deal displaces it later, the
        displaced deal joins its reps' displaced set (displaced:<rep>).
      - deal_cancelled: the earliest cancellation of each won deal
        (cancel:<won_event_id>), also kept in the partition's cancelled
        hash (won_event_id -> the record).
    So a statement reads a rep's credits and their new-logo marks in one
    round trip, and the cancellations of its deals only from partitions
    that hold any (cancelled): never a key per credit. It computes every
    line from these records at query time (incentive_statement.h): the
    order events arrive in never changes a figure (a first won deal is
    marked whichever of the customer's deals comes first; a cancellation
    is found whether it came before its deal or after). Deterministic, no
    I/O, no clock, no state between events.
*/
#ifndef INCENTIVE_HANDLER_H_INCLUDED
#define INCENTIVE_HANDLER_H_INCLUDED

#include <stddef.h>

#include "incentive_credit.h"
#include "incentive_record.h"
#include "sp_consumer.h"

/* The credits of a deal_won event (one per split, or one for rep_id):
   fills credits (room for INCENTIVE_CREDIT_SPLITS_MAX) and returns their
   count; 0 for any other event type; -1 with the reason naming the field
   when the event cannot be credited (no amount, splits that do not add
   up, an id beyond its room). partition is left 0. */
int incentive_handler_credits (const Salespulse__SalesEvent *event, const char *event_id,
                               incentive_record_credit_t *credits, char *error, size_t error_size);

/* The consumer's view of the handler (begin and apply; no state). */
sp_consumer_handler_t incentive_handler_consumer (void);

#endif
