/*  churn_keys - where churn-alerting keeps its state in Redis.

    The one place that spells churn-alerting's Redis keys, shared by the
    handler (writes) and the queries (reads). No I/O.

    Every key of partition N carries the hash tag {pN} (DESIGN.md, "Built
    to run on clustered servers"): a customer's events all go to the
    partition of its customer_id (sp_partition_of, as activity-ingest
    partitions them), so its record lives there.

    Keys of partition N (K = "churn-alerting:{pN}:"):
        K c:<customer>   string  the customer's state, churn_customer_pack's
                                 binary form (docs/health-model.md,
                                 "Customer state"); customer_id byte for
                                 byte as the events carry it
        K customers      set     the customer ids of the partition with a
                                 record
        K watermark      string  the partition's event-time watermark: the
                                 latest occurred_at (UTC ms, decimal) of the
                                 events applied to a customer

    Global: "churn-alerting:config", a hash of the settings the state was
    built with (currency, time_zone, format).
*/
#ifndef CHURN_KEYS_H_INCLUDED
#define CHURN_KEYS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_partition.h"

#define CHURN_KEYS_SERVICE "churn-alerting"
#define CHURN_KEYS_CONFIG "churn-alerting:config"

/* The layout of the state, recorded in the config record: a new layout
   rebuilds the state (a change of this value in a new build). "3": the
   customer state's version 3, in varints ("2": version 2, which added
   the owner). */
#define CHURN_KEYS_FORMAT "3"

/* A customer's record. Returns the key's length, or -1 when it does not
   fit size. */
int churn_keys_customer (char *key, size_t size, uint32_t partition, const char *customer);

/* The set of the partition's customers, and its watermark. Return the
   length or -1. */
int churn_keys_customers (char *key, size_t size, uint32_t partition);
int churn_keys_watermark (char *key, size_t size, uint32_t partition);

/* Reads a watermark's stored value (length bytes of decimal digits, no
   sign, at most INT64_MAX) into *value. Returns 0, or -1 when it is not
   one. */
int churn_keys_watermark_read (const char *text, size_t length, int64_t *value);


#endif
