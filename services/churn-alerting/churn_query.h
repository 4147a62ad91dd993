/*  churn_query - reads churn-alerting's state back from Redis and
    explains a customer's health score, for `salesctl health`.

    A customer's record lives in the partition of its customer_id
    (sp_partition_of over the id, as activity-ingest partitions events);
    it is read with the partition's event-time watermark in one MGET (both
    keys carry the partition's hash tag), so they are one moment of the
    partition's state. The currency and time zone come from
    "churn-alerting:config", as the service wrote them; the health model
    from PostgreSQL (churn_reference.h).

    The score is churn_score_evaluate as of a local day. Without a day
    given the day of the partition's watermark is used: event time, so a
    replay of the log gives the same answer as the live service. The
    population's typical interval between orders (churn_population: a
    quantile over the partition's customers, as of the day) is computed from
    every record of the customer's partition, read with the customer, as
    the scorer does (churn_query_population, its one reader);
    churn_score_t.interval says which interval a score used.

    Rendering (JSON and text) is here too, so salesctl only parses flags.
*/
#ifndef CHURN_QUERY_H_INCLUDED
#define CHURN_QUERY_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "churn_customer.h"
#include "churn_population.h"
#include "churn_reference.h"
#include "churn_score.h"
#include "sp_pg.h"
#include "sp_redis.h"
#include "sp_tz.h"

/* Room for an error message of this module. */
#define CHURN_QUERY_ERROR_SIZE 512

/* Most days of a history (--history). */
#define CHURN_QUERY_HISTORY_DAYS_MAX 3660

typedef struct _churn_query_t churn_query_t;

/* What was read of one customer. */
typedef struct {
    uint32_t partition;         /* the customer's partition */
    bool has_watermark;         /* the partition has applied an event */
    int64_t watermark_ms;       /* its latest occurred_at, UTC ms */
    int64_t watermark_day;      /* its local day */
    churn_customer_t *customer; /* the state (owned); NULL when the customer has none */
} churn_query_customer_t;

/* Reads the settings churn-alerting built its state with from redis and
   the health model from pg (both borrowed, outliving the query), for
   partitions partitions. Returns NULL with the reason. */
churn_query_t *churn_query_new (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions, char *error,
                                size_t error_size);

void churn_query_destroy (churn_query_t **self_p);

const char *churn_query_currency (const churn_query_t *self);
const char *churn_query_time_zone (const churn_query_t *self);
const churn_reference_t *churn_query_reference (const churn_query_t *self);

/* Reads customer's record and its partition's watermark into out (clear
   it with churn_query_customer_clear), and the partition's population,
   which churn_query_score uses until the next call. Returns 0
   (out->customer NULL when the customer has no record), or -1 with the
   reason (Redis failed, a stored record or watermark does not read: the
   key is named). */
int churn_query_customer (churn_query_t *self, const char *customer, churn_query_customer_t *out,
                          char *error, size_t error_size);

/* Reads every customer record of partition (SMEMBERS of its customers,
   then MGET in batches of CHURN_QUERY_BATCH) into a new population for
   model (churn_population_new): *population (the
   caller destroys it). Returns 0, or -1 with the reason (Redis failed, a
   record does not read: its key is named). */
#define CHURN_QUERY_BATCH 100
int churn_query_population (sp_redis_t *redis, uint32_t partition, const churn_model_t *model,
                            churn_population_t **population, char *error, size_t error_size);

/* Frees what churn_query_customer read; safe to call twice. */
void churn_query_customer_clear (churn_query_customer_t *out);

/* Scores customer (tier 'A', 'B', 'C' or 0; the customer read last) as
   of a local day with the model in force, and the population's typical
   interval as of that day of the partition read last. Returns 0, or -1
   when the day is out of range. */
int churn_query_score (const churn_query_t *self, char tier, const churn_customer_t *customer,
                       int64_t as_of_day, churn_score_t *out);

/* The explanation of a score as JSON: {"as_of", "tier", "score",
   "band", "weight", "interval": {"source", "days"}, "last_order_day",
   "measures": {"<measure>": {"has_data", "value", "unit", "current",
   "previous", "score", "weight"}}, "factors": [{"measure", "value",
   "score", "weight"}]}; ratios, complaint points and weights as
   fractions, days as "YYYY-MM-DD", absent values null. NULL when out of
   memory. */
json_t *churn_query_score_json (const churn_score_t *score);

/* [{"as_of", "score", "band"}] of scores (count of them); NULL when out
   of memory. */
json_t *churn_query_history_json (const churn_score_t *scores, size_t count);

/* The same as text, for people. */
void churn_query_score_print (FILE *stream, const churn_score_t *score);
void churn_query_history_print (FILE *stream, const churn_score_t *scores, size_t count);

/* The unit of a measure's value in the JSON: "ratio", "count", "points",
   "nps" or "csat". */
const char *churn_query_unit (const churn_score_t *score, churn_model_measure_t measure);

#endif
