/*  incentive_query_internal - what the files of incentive_query share
    (incentive_query.c: reading a rep's facts and its statement;
    incentive_query_contest.c: a SPIFF's leaderboard over many reps). For
    these files only; everything else uses incentive_query.h.
*/
#ifndef INCENTIVE_QUERY_INTERNAL_H_INCLUDED
#define INCENTIVE_QUERY_INTERNAL_H_INCLUDED

#include "incentive_query.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "incentive_record.h"
#include "incentive_statement.h"
#include "sp_org.h"
#include "sp_period.h"
#include "sp_pg.h"

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
    uint64_t behind; /* events in the log the service has not applied */
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

/* Every version of every plan loaded, by name then version (borrowed). */
const incentive_statement_plan_t *incentive_query_internal_plans (const incentive_query_t *self,
                                                                  size_t *count);

/* The latest org, NULL when none is loaded (borrowed). */
const sp_org_t *incentive_query_internal_org (const incentive_query_t *self);

#endif
