/*  churn_alert_store - churn alerts and the scoring state behind them, in
    PostgreSQL (migrations/0010_churn_alerts.sql).

    The typed rows of the outbox stream "churn-alerts" (sp_outbox_store.h):
    churn_alerts, every alert under its alert_seq, and
    churn_alert_conditions, one row per customer and rule with the state
    of its latest alert and its packed lifecycle (churn_lifecycle_pack);
    and churn_customers, one row per customer scored with its last period
    and its packed score history (churn_history_pack).

    The scorer reads a batch of customers' state in one query
    (churn_alert_store_read_batch) and writes what it decided for them in
    one transaction (churn_alert_store_write_batch): each customer's row
    moves only from the revision the scorer read (compare and set, per
    customer: another instance that scored the same periods first, or an
    acknowledgement in between, makes that customer write nothing, and
    the scorer reads it again next time); every alert of the customers
    written gets the stream's next sequence and its row, in the batch's
    order, and their lifecycle states and conditions are stored. It is
    all one statement, so one round trip and its own transaction. The
    customers' rows are locked first, in customer id order (so two
    writers of overlapping batches wait rather than deadlock), and the
    stream's head after them, always in that order. Readers (salesctl alerts, a subscriber repairing a gap)
    go through the kit with churn_alert_store_tables. An acknowledgement
    (churn_alert_store_ack) changes the lifecycle of the customer's
    firing alerts and the row's revision in one transaction.

    Every function runs on a borrowed connection through sp_pg; none
    keeps state.
*/
#ifndef CHURN_ALERT_STORE_H_INCLUDED
#define CHURN_ALERT_STORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_alert.h"
#include "churn_history.h"
#include "churn_lifecycle.h"
#include "sp_outbox_store.h"
#include "sp_pg.h"

/* Room for the reason a stored value does not read. */
#define CHURN_ALERT_STORE_REASON_SIZE 256

/* The outbox stream whose sequence numbers the alerts. */
#define CHURN_ALERT_STORE_STREAM "churn-alerts"

/* A customer's scoring state as stored. */
typedef struct {
    bool stored;                                 /* the customer has a row */
    int64_t revision;                            /* its revision, when stored */
    churn_history_t history;                     /* its score history (empty when not stored) */
    churn_lifecycle_t states[CHURN_RULES_COUNT]; /* per rule (initial when never stepped) */
} churn_alert_store_customer_t;

/* A customer of a partition, the last period scored and the row's revision. */
typedef struct {
    char *customer;   /* owned */
    int64_t last_day; /* local day number */
    int64_t revision; /* the row's revision (churn_alert_store_customer_t) */
} churn_alert_store_scored_t;

/* The stream's tables as sp_outbox_store reads them: listings visit
   churn_alert_t records. */
const sp_outbox_store_t *churn_alert_store_tables (void);

/* Reads every customer of partition with its last period scored and
   its revision, sorted
   by customer id (strcmp). Returns 0 with *rows (free with
   churn_alert_store_scored_free) and *count, or -1 with the reason. */
int churn_alert_store_scored (sp_pg_t *pg, uint32_t partition, churn_alert_store_scored_t **rows,
                              size_t *count, char *error, size_t error_size);
void churn_alert_store_scored_free (churn_alert_store_scored_t **rows, size_t count);

/* Reads the scoring state of count distinct customers, out[i] that of
   customers[i] (stored false for one never scored), in one query.
   Returns 0 with *readable the customers, from the first, whose state
   read: count, or the index of the first whose stored history or
   lifecycle does not read (the reason in error; it and those after it
   are left as never scored); -1 with the reason when the query fails. */
int churn_alert_store_read_batch (sp_pg_t *pg, const char *const *customers, size_t count,
                                  churn_alert_store_customer_t *out, size_t *readable, char *error,
                                  size_t error_size);

/* One customer's periods scored since its state was read, to store. */
typedef struct {
    const char *customer;                       /* borrowed: the customer */
    const churn_alert_store_customer_t *before; /* borrowed: its state as read */
    const churn_history_t *history;             /* borrowed: its history now (count >= 1) */
    const churn_lifecycle_t *states;            /* borrowed: [CHURN_RULES_COUNT] now */
    churn_alert_t *alerts;                      /* borrowed: [alert_count], in order; each
                                                   gets its sequence and created_at_ms */
    size_t alert_count;                         /* alerts decided */
    bool written;                               /* set: stored (false: its row moved) */
} churn_alert_store_write_t;

/* Stores count customers' periods (distinct customers of partition) in
   one statement, its own transaction (one round trip): each customer's
   row (its history, its latest period the last scored) and its
   lifecycle states only when the row is still at before's revision (or
   still absent), the others left as they are (another instance or an
   acknowledgement moved them); then the alerts of those written, in the
   order of writes, each claiming the stream's next sequence. Returns the
   customers written, each marked written (0: none, nothing kept), or -1
   on error (none marked: rolled back, or, when the answer does not match
   what was sent, committed but not to be published from here).
   No transaction may be open. */
int churn_alert_store_write_batch (sp_pg_t *pg, uint32_t partition,
                                   churn_alert_store_write_t *writes, size_t count, char *error,
                                   size_t error_size);

/* An alert identity's latest alert as churn_alert_store_forwardable
   reads it, with when the alert that fired it was stored. */
typedef struct {
    churn_alert_t alert; /* the identity's latest alert (fire, repeat or resolve) */
    int64_t fired_at_ms; /* created_at of the FIRE it belongs to, UTC ms */
} churn_alert_store_latest_t;

/* Reads, in alert_seq order after after (at most limit, >= 1, into rows
   of that many), the latest alert of every identity firing now and of
   every identity resolved by an alert stored at most resolved_ms ago
   (PostgreSQL's now()): what churn_forwarder sends to Alertmanager.
   Returns 0 with *count (< limit: the last page), or -1 with the
   reason (rows then undefined). */
int churn_alert_store_forwardable (sp_pg_t *pg, int64_t after, int64_t resolved_ms, size_t limit,
                                   churn_alert_store_latest_t *rows, size_t *count, char *error,
                                   size_t error_size);

/* Sets *count to the alerts firing now. Returns 0, or -1 with the reason. */
int churn_alert_store_firing_count (sp_pg_t *pg, int64_t *count, char *error, size_t error_size);

/* Acknowledges customer's firing alerts (of rule only, when rule is not
   NULL) until until_day, by rep with note (churn_lifecycle_ack; the day
   of the acknowledgement is the alert's last period scored), in one
   transaction. Returns the alerts acknowledged (0: none fires), with
   the bit 1 << rule of each set in *rules, or -1 with the reason
   (nothing changed). */
int churn_alert_store_ack (sp_pg_t *pg, const char *customer, const churn_rules_rule_t *rule,
                           int64_t until_day, const char *rep, const char *note, unsigned *rules,
                           char *error, size_t error_size);

#endif
