/*  incentive_keys - every Redis key incentive-calculator writes or reads
    (docs/incentive-calculator.md, "State").

    All keys live under one partition of the event log, as the consumer
    kit requires ("incentive-calculator:{p<N>}:..."):

        rep:<rep>             hash    event_id of a deal_won -> the rep's
                                      credit record (incentive_record;
                                      marked when the deal was its
                                      customer's first won deal as written)
        displaced:<rep>       set     event ids of deals credited to the
                                      rep as first won deals that an
                                      earlier deal of the customer displaced
        reps                  hash    rep -> deals credited in the partition
        logo:<customer>       string  the customer's first won deal and
                                      the reps it credited (a won record)
        cancel:<won_event_id> string  the earliest cancellation of a won deal
        cancelled             hash    won_event_id -> the same record: the
                                      partition's cancellations, one key
        paid:<opportunity_id> hash    event_id of a payment_received whose
                                      order_id is the deal -> the payment
                                      record (incentive_record)

    A partition's keys hold only what its events said; a statement sums a
    rep's records over every partition at query time, and reads a rep's
    new-logo marks (displaced:) with its credits in one round trip, its
    deals' cancellations from the partitions' cancelled hashes that hold
    any: no key per credit. No I/O.
*/
#ifndef INCENTIVE_KEYS_H_INCLUDED
#define INCENTIVE_KEYS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sp_partition.h"

/* The service's name: key prefix, lease name, config record. */
#define INCENTIVE_KEYS_SERVICE "incentive-calculator"

/* The layout of the records below; a change rebuilds the state. */
#define INCENTIVE_KEYS_FORMAT "incentive-4"

/* Each writes the key of partition into key (size >= SP_PARTITION_KEY_MAX
   is enough) and returns its length, or -1 when it does not fit. */
int incentive_keys_rep (char *key, size_t size, uint32_t partition, const char *rep);
int incentive_keys_reps (char *key, size_t size, uint32_t partition);
int incentive_keys_logo (char *key, size_t size, uint32_t partition, const char *customer);
int incentive_keys_cancel (char *key, size_t size, uint32_t partition, const char *won_event_id);
int incentive_keys_displaced (char *key, size_t size, uint32_t partition, const char *rep);
int incentive_keys_cancelled (char *key, size_t size, uint32_t partition);
int incentive_keys_paid (char *key, size_t size, uint32_t partition, const char *deal);

#endif
