/*  incentive_query - reads what incentive-calculator keeps (Redis: every
    partition's credits, first won deals, cancellations and, when a plan
    version pays on payment, payments of a rep's deals: the credits in
    one round trip, their marks in a second, one MGET per partition;
    PostgreSQL: the plans, the latest org, the closed periods and the
    statements stored when they closed) and computes statements with
    incentive_statement,
    for `salesctl statement`, `salesctl whatif`, `salesctl contest` and
    `salesctl close-period` (docs/incentive-calculator.md).

    The payout currency and time zone come from "incentive-calculator:
    config", as the service wrote them. Every statement says whether the
    service's state held the whole log when it was read ("complete": every
    partition's checkpoint at the log's head; otherwise "behind" counts
    the events not applied yet). Reads are not a snapshot: while the
    service applies events, partitions read in one round trip may be a
    few events apart.
*/
#ifndef INCENTIVE_QUERY_H_INCLUDED
#define INCENTIVE_QUERY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "incentive_record.h"
#include "incentive_statement.h"
#include "sp_completeness.h"
#include "sp_period.h"
#include "sp_pg.h"
#include "sp_redis.h"
#include "sp_tz.h"

/* Room for an error message of this module. */
#define INCENTIVE_QUERY_ERROR_SIZE 512

typedef struct _incentive_query_t incentive_query_t;

/* Reads the service's settings from redis and every version of every
   plan from pg (both borrowed, outliving the query) for partitions
   partitions. NULL with the reason. */
incentive_query_t *incentive_query_new (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions,
                                        char *error, size_t error_size);

void incentive_query_destroy (incentive_query_t **self_p);

const char *incentive_query_currency (const incentive_query_t *self);
const sp_tz_t *incentive_query_tz (const incentive_query_t *self);

/* The statement of rep for period (a month, quarter or year label) as
   JSON text. The rep's role is its org role (role plans). When rep is an
   org node a roll-up plan names ("team:<id>", "region:<id>", "company"),
   the credits of every rep ever under it in the org are read too (one
   round trip for all of them, then one for their marks), and the
   statement gives the node its roll-up credits of them. When rep is an
   overlay rep of a plan ("overlays"), the credits of the reps the plan
   names are read the same way, for its overlay credits. Returns the
   JSON text (malloc'd): incentive_statement_json's document with
   "complete" and "behind" added (a closed period's stored document is
   returned as stored). With extra (may be NULL), that credit is added to
   the rep's as if its deal had been won: nothing is stored. NULL with
   the reason. */
char *incentive_query_statement (incentive_query_t *self, const char *rep, const char *period,
                                 const incentive_record_credit_t *extra, char *error,
                                 size_t error_size);

/* The period kind of the plans paying rep (the latest version of the
   last plan by name that pays it, incentive_plan_pays). Returns 0, or -1 with the reason
   when no plan names the rep. */
int incentive_query_rep_kind (const incentive_query_t *self, const char *rep,
                              sp_period_kind_t *kind, char *error, size_t error_size);

/* What a statement read held (incentive_query_statement_with). */
typedef struct {
    incentive_statement_summary_t statement; /* what was written */
    uint64_t behind;                         /* events of the log not applied yet */
} incentive_query_summary_t;

/* incentive_query_statement, written as closed ("closed": true, without
   "complete" and "behind": what a close stores) when as_closed, with
   members (JSON members, e.g. the caller's completeness check: NULL for
   this read's own "complete" and "behind") appended to an open period's
   statement, and with what it holds in *summary (may be NULL). */
char *incentive_query_statement_with (incentive_query_t *self, const char *rep, const char *period,
                                      const incentive_record_credit_t *extra, bool as_closed,
                                      const char *members, incentive_query_summary_t *summary,
                                      char *error, size_t error_size);

/* A rep's facts read for the statement of one period, to compute and
   write it later (incentive_query_read_write): a caller checking that
   the read held the whole log (salesctl's completeness check) does so
   between the read and the writing, and the statement goes to its file
   as it is made, never held whole. */
typedef struct _incentive_query_read_t incentive_query_read_t;

/* Reads what the statement of rep for period needs, as
   incentive_query_statement (extra may be NULL). NULL with the reason. */
incentive_query_read_t *incentive_query_read (incentive_query_t *self, const char *rep,
                                              const char *period,
                                              const incentive_record_credit_t *extra, char *error,
                                              size_t error_size);

/* Computes the statement read and writes it to file: the document
   incentive_query_statement_with (as_closed false, members) returns,
   byte for byte, without a newline after it. Nothing is written when the
   statement cannot be computed. Returns 0 with what it holds in *summary
   (may be NULL), or -1 with the reason. */
int incentive_query_read_write (const incentive_query_read_t *read, const char *members, FILE *file,
                                incentive_query_summary_t *summary, char *error, size_t error_size);

void incentive_query_read_destroy (incentive_query_read_t **self_p);

/* Whether incentive-calculator's state holds the whole log: reads the
   log heads and every partition's state (sp_completeness_read) into
   *check, made for the query's partitions (the caller destroys it; call
   sp_completeness_confirm after reading figures). Returns 0, or -1 with
   the reason. */
int incentive_query_completeness (incentive_query_t *self, sp_completeness_t **check, char *error,
                                  size_t error_size);

/* sp_completeness_confirm of check on the query's Redis. */
int incentive_query_completeness_confirm (incentive_query_t *self, sp_completeness_t *check,
                                          char *error, size_t error_size);

/* Every rep credited in any partition, every org node a roll-up plan
   names and every overlay rep of a plan, sorted (byte order): *reps gets a
   malloc'd array of *count malloc'd strings (incentive_query_reps_free).
   Returns 0, or -1 with the reason. */
int incentive_query_reps (incentive_query_t *self, char ***reps, size_t *count, char *error,
                          size_t error_size);
void incentive_query_reps_free (char ***reps, size_t count);

/* The leaderboard of SPIFF spiff of plan (docs/incentives.md, "Contest
   leaderboard"), as JSON text (malloc'd): the SPIFF of the highest
   version of the plan that has it, its window's periods, and one
   standing (incentive_contest.h) per rep a version of the plan pays
   (the reps it names, or an overlay plan's overlay reps, and every rep
   credited one applies to by its org role), ranked, with "complete" and "behind". Each standing is
   read from the rep's statement lines through the window's last period, as they are worth now
   (closed periods' adjustments included). NULL with the reason (no such SPIFF, Redis or PostgreSQL
   down). */
char *incentive_query_contest (incentive_query_t *self, const char *plan, const char *spiff,
                               char *error, size_t error_size);

#endif
