/*  kpi_keys - where kpi-evaluator keeps its results in Redis.

    The one place that spells kpi-evaluator's Redis keys and hash fields,
    shared by the handler (writes) and the queries (reads). No I/O.

    Every result is a per-partition partial (DESIGN.md, "Built to run on
    clustered servers"): keys of partition N carry the hash tag {pN}, and
    a figure for the company, a region, a team or a rep over a period is
    the sum over the partitions, made at query time.

    Keys of partition N (K = "kpi-evaluator:{pN}:"):
        K d:<YYYY-MM-DD>    hash   measures of one local day
        K m:<YYYY-MM>       hash   measures of one local month
            field "<measure>|<scope>" (kpi_catalog_measure_name; scope
            "company", "region:<id>", "team:<id>", "rep:<id>", ids byte
            for byte as the events carry them), value an integer
            and, in day hashes only, field "t:<n>:<customer>|<scope>" for
            the rep and team scopes: events of the day that touched the
            customer (n: the byte length of the customer id)
        K p:<stage>         hash   the open pipeline now, by the latest
                                   stage of each open opportunity ("" before
                                   any stage change):
            field "count|<scope>"           open opportunities
            field "value|<scope>"           Σ their value, reporting currency
            field "other_currency|<scope>"  those valued in another currency
        K stages            set    the stage names the open pipeline has used
        K o:<opportunity>   string an opportunity's record (kpi_record.h)
        K c:<customer>      string a customer's first won deal (kpi_record.h)
        K v:<YYYY-MM-DD>:<n>:<rep><target>   string  visits planned for and
            completed on one local day by one rep at one customer (or
            opportunity): n is the byte length of rep, target the
            customer_id (or "o:" and the opportunity_id)
    Weeks are read as their days; quarters and years as their months.

    Global: "kpi-evaluator:config", a hash of the settings the state was
    built with (currency, time_zone).
*/
#ifndef KPI_KEYS_H_INCLUDED
#define KPI_KEYS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "kpi_catalog.h"
#include "sp_partition.h"

#define KPI_KEYS_SERVICE "kpi-evaluator"
#define KPI_KEYS_CONFIG "kpi-evaluator:config"

/* Room for a scope "rep:<id>", terminator included. */
#define KPI_KEYS_SCOPE_MAX 160

/* Room for a field "<measure>|<scope>", terminator included. */
#define KPI_KEYS_FIELD_MAX 320

/* Bucket kinds. */
#define KPI_KEYS_DAY 'd'
#define KPI_KEYS_MONTH 'm'

/* The settings of the state's layout, recorded in the config record: a
   new layout rebuilds the state (a change of this value in a new build). */
#define KPI_KEYS_FORMAT "2"

/* Fields of the open pipeline hashes. */
#define KPI_KEYS_OPEN_COUNT "count"
#define KPI_KEYS_OPEN_VALUE "value"
#define KPI_KEYS_OPEN_OTHER "other_currency"

/* The open pipeline hash of a stage, and the set of stages. Return the
   length or -1. */
int kpi_keys_open (char *key, size_t size, uint32_t partition, const char *stage);
int kpi_keys_stages (char *key, size_t size, uint32_t partition);

/* The field "<name>|<scope>" of an open pipeline hash. Returns the
   length or -1. */
int kpi_keys_open_field (char *field, size_t size, const char *name, const char *scope);

/* The day hash field of a customer touched in scope. Returns the length
   or -1. */
int kpi_keys_touched_field (char *field, size_t size, const char *customer, const char *scope);

/* Splits a touched field: the customer (customer_length bytes at
   *customer, borrowed from field) and the scope (from scope_offset).
   Returns 0, or -1 when the field is not a touched field. */
int kpi_keys_touched_parse (const char *field, size_t length, const char **customer,
                            size_t *customer_length, size_t *scope_offset);

/* The bucket hash of partition for a day or month label (kind
   KPI_KEYS_DAY or KPI_KEYS_MONTH). Returns the key's length, or -1 when
   it does not fit size. */
int kpi_keys_bucket (char *key, size_t size, uint32_t partition, char kind, const char *label);

/* An opportunity's and a customer's record. Returns the length or -1. */
int kpi_keys_opportunity (char *key, size_t size, uint32_t partition, const char *opportunity);
int kpi_keys_customer (char *key, size_t size, uint32_t partition, const char *customer);

/* A rep's visit plan record of a local day at target (customer id, or
   "o:<opportunity>"). Returns the length or -1. */
int kpi_keys_plan (char *key, size_t size, uint32_t partition, const char *day, const char *rep,
                   const char *target);

/* The field of measure in scope. Returns the length, or -1 when it does
   not fit size. */
int kpi_keys_field (char *field, size_t size, kpi_measure_t measure, const char *scope);

/* Splits a field read back: its measure, and its scope (borrowed from
   field, length - its offset bytes). Returns 0, or -1 when the field is
   not one kpi_keys_field writes. */
int kpi_keys_field_parse (const char *field, size_t length, kpi_measure_t *measure,
                          size_t *scope_offset);

#endif
