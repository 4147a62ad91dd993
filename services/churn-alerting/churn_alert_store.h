/*  churn_alert_store - churn alerts and the scoring state behind them, in
    PostgreSQL (migrations/0010_churn_alerts.sql).

    The typed rows of the outbox stream "churn-alerts" (sp_outbox_store.h):
    churn_alerts, every alert under its alert_seq, and
    churn_alert_conditions, one row per customer and rule with the state
    of its latest alert and its packed lifecycle (churn_lifecycle_pack);
    and churn_customers, one row per customer scored with its last period
    and its packed score history (churn_history_pack).

    Writing a customer's periods (churn_alert_store_write) is one
    transaction: the customer's row moves only from the revision the
    scorer read (compare and set: another instance that scored the same
    periods first, or an acknowledgement in between, makes it write
    nothing, and the scorer reads again next time); then every alert the
    periods decided gets the stream's next sequence, its row and its
    condition (sp_outbox_store_append), and every lifecycle state is
    stored. The customer's row is locked before the stream's head, always
    in that order. Readers (salesctl alerts, a subscriber repairing a gap)
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

/* A customer of a partition and the last period scored. */
typedef struct {
    char *customer;   /* owned */
    int64_t last_day; /* local day number */
} churn_alert_store_scored_t;

/* The stream's tables as sp_outbox_store reads them: listings visit
   churn_alert_t records. */
const sp_outbox_store_t *churn_alert_store_tables (void);

/* Reads every customer of partition with its last period scored, sorted
   by customer id (strcmp). Returns 0 with *rows (free with
   churn_alert_store_scored_free) and *count, or -1 with the reason. */
int churn_alert_store_scored (sp_pg_t *pg, uint32_t partition, churn_alert_store_scored_t **rows,
                              size_t *count, char *error, size_t error_size);
void churn_alert_store_scored_free (churn_alert_store_scored_t **rows, size_t count);

/* Reads customer's scoring state into out. Returns 0 (out->stored false
   for a customer never scored), or -1 with the reason (a stored history
   or lifecycle that does not read). */
int churn_alert_store_read (sp_pg_t *pg, const char *customer, churn_alert_store_customer_t *out,
                            char *error, size_t error_size);

/* Stores the periods scored since before was read: history (its latest
   period the last scored), the lifecycle states and alerts (count, in
   order; each gets its sequence and created_at_ms), in one transaction,
   only when the customer's row is still at before's revision (or still
   absent). Returns 1 when written, 0 when the row moved (nothing
   written), -1 on error (rolled back). No transaction may be open. */
int churn_alert_store_write (sp_pg_t *pg, const char *customer, uint32_t partition,
                             const churn_alert_store_customer_t *before,
                             const churn_history_t *history,
                             const churn_lifecycle_t states[CHURN_RULES_COUNT],
                             churn_alert_t *alerts, size_t count, char *error, size_t error_size);

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
