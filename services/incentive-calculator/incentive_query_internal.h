/*  incentive_query_internal - what the files of incentive_query share
    (incentive_query.c: reading a rep's facts and its statement;
    incentive_query_marks.c: the marks of a rep's credits;
    incentive_query_team.c: the other reps a roll-up or overlay statement
    reads; incentive_query_contest.c: a SPIFF's leaderboard over many
    reps). For these files only; everything else uses incentive_query.h.
*/
#ifndef INCENTIVE_QUERY_INTERNAL_H_INCLUDED
#define INCENTIVE_QUERY_INTERNAL_H_INCLUDED

#include "incentive_query.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "incentive_plan.h"
#include "incentive_record.h"
#include "incentive_statement.h"
#include "sp_consumer_config.h"
#include "sp_org.h"
#include "sp_period.h"
#include "sp_pg.h"
#include "sp_redis.h"
#include "sp_refdata.h"
#include "sp_tz.h"

/* First room of an array grown with sp_array_reserve. */
#define INCENTIVE_QUERY_INTERNAL_INITIAL 64

struct _incentive_query_t {
    sp_redis_t *redis; /* borrowed */
    sp_pg_t *pg;       /* borrowed */
    uint32_t partitions;
    char currency[SP_CONSUMER_CONFIG_CURRENCY_SIZE];
    char time_zone[SP_TZ_NAME_MAX + 1];
    sp_tz_t *tz;
    sp_refdata_set_t *set;             /* every version of every plan */
    incentive_plan_t **parsed;         /* one per entry of set */
    incentive_statement_plan_t *plans; /* the same, for the statement */
    size_t plan_count;
    sp_org_t *org; /* the latest org loaded, NULL when none */
};

/* What is read of one rep (or the reps under a node). */
typedef struct {
    incentive_record_credit_t *credits;
    size_t credit_count;
    size_t credit_capacity;
    bool *new_logo; /* per credit: its customer's first won deal */
    incentive_record_cancel_t *cancels;
    size_t cancel_count;
    incentive_record_payment_t *payments; /* of the rep's deals, distinct event ids */
    size_t payment_count;
    size_t payment_capacity;
    uint64_t behind;           /* events in the log the service has not applied */
    size_t *partition_cancels; /* per partition: its cancellations (cancelled's length) */
} incentive_query_internal_rep_t;

/* Everything a statement of one rep is computed from. */
typedef struct {
    incentive_query_internal_rep_t rep;   /* the rep's own credits and marks */
    incentive_query_internal_rep_t team;  /* the reps' under it (roll-up) or overlaid by it */
    sp_pg_result_t *closed_rows;          /* the closed periods read */
    incentive_statement_closed_t *closed; /* those of the kind, into closed_rows */
    incentive_statement_input_t input;    /* over all of the above and the query's plans */
    uint64_t behind;                      /* events of the log not applied yet */
} incentive_query_internal_read_t;

/* Reads rep_id's facts for statements of kind (with extra added to its
   credits, may be NULL; the closed periods and their stored statements
   when with_closed) into *read (incentive_query_internal_read_free).
   Returns 0, or -1 with the reason (*read freed). */
int incentive_query_internal_read (incentive_query_t *self, const char *rep_id,
                                   sp_period_kind_t kind, const incentive_record_credit_t *extra,
                                   bool with_closed, incentive_query_internal_read_t *read,
                                   char *error, size_t error_size);
void incentive_query_internal_read_free (incentive_query_internal_read_t *read);

/* Runs pipeline on the query's Redis; the reply, or NULL with the
   reason ("Redis: ..."). */
sp_redis_reply_t *incentive_query_internal_execute (incentive_query_t *self,
                                                    sp_redis_pipeline_t *pipeline, char *error,
                                                    size_t error_size);

/* Reads every partition's credits of reps (count of them) into rep, with
   each credit's new_logo (its deal is its customer's first won deal),
   each partition's count of cancellations (rep->partition_cancels) and
   the checkpoints (rep->behind), in one round trip. 0, or -1 with the
   reason. */
int incentive_query_internal_read_credits (incentive_query_t *self, const char *const *reps,
                                           size_t count, incentive_query_internal_rep_t *rep,
                                           char *error, size_t error_size);

/* Sets rep->new_logo from each of rep's credits (extra credits added
   after the read included) and reads the cancellations of their deals
   (rep->cancels, one per credit cancelled) from the partitions that hold
   any and, when a plan pays on payment, each credit's deal's payments
   (rep->payments), in one round trip (none when there is nothing to
   read). 0, or -1 with the reason. */
int incentive_query_internal_read_marks (incentive_query_t *self,
                                         incentive_query_internal_rep_t *rep, char *error,
                                         size_t error_size);

/* True when the statement of rep_id reads other reps' credits: a node a
   roll-up plan pays (with an org), or an overlay rep of a plan. */
bool incentive_query_internal_reads_team (const incentive_query_t *self, const char *rep_id);

/* Reads the credits of the reps under rep_id (roll-up) or named by the
   overlay plans paying rep_id, and their marks, into team, and adds their
   cancellations and payments to rep's. 0, or -1 with the reason. */
int incentive_query_internal_read_team (incentive_query_t *self, const char *rep_id,
                                        incentive_query_internal_rep_t *rep,
                                        incentive_query_internal_rep_t *team, char *error,
                                        size_t error_size);

/* qsort order of texts (char * elements) by strcmp. */
int incentive_query_internal_compare_text (const void *left, const void *right);

/* Every version of every plan loaded, by name then version (borrowed). */
const incentive_statement_plan_t *incentive_query_internal_plans (const incentive_query_t *self,
                                                                  size_t *count);

/* The latest org, NULL when none is loaded (borrowed). */
const sp_org_t *incentive_query_internal_org (const incentive_query_t *self);

#endif
