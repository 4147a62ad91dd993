/*  incentive_statement - a rep's commission statement for one period,
    computed from what the event log said (the rep's credits on won deals
    and their cancellations, incentive_record.h), the plans loaded (every
    version, incentive_plan.h) and the statements stored when periods
    closed (docs/incentive-calculator.md, "Statements").

    Every line is computed at query time, so the order events arrived in
    never changes a figure:

      - credits are taken in (occurred_at, event id) order; for each plan
        assigned to the rep (by name, or by the rep's role in the org)
        whose period kind is the statement's, the
        version in force at the deal's time computes the move of the
        period's cumulative measures (revenue, margin, new logos, units =
        events = one per deal) as one line per component (or one blended
        line), and one line per SPIFF whose window holds the deal's day;
      - a roll-up plan ("rollup") pays an org node it names (the
        statement's rep_id, e.g. "team:north") on the deals of the reps
        under it: for each deal of team_credits, incentive_credit_rollup_parts
        over the org on the deal's local day gives the node's credit (the
        sum of its reps' credits, or the whole deal), once per deal
        however many of its reps share it; that credit then pays like a
        rep's own;
      - an overlay plan ("overlays") pays each overlay rep it lists (the
        statement's rep_id) on the deals of the reps it names: for each
        deal of team_credits one of them was credited on (and rep_id
        was not), one credit of the whole deal × the overlay's share,
        rounded once (incentive_credit_overlay), however many of the
        named reps split the deal; it pays like a rep's own, under that
        plan only, and pays nothing on the named reps' own statements;
      - under a plan with "trigger": "payment", each earning line is held
        (an adjustment "held" of minus its worth, in its period) and
        released by the payments of its deal (adjustments "release", in
        each payment's period, for the line's share of the deal paid to
        date, capped at 100 %, each cumulative share rounded once);
      - a cancelled deal (its earliest cancellation) gets one clawback per
        earning line of the deal, in the cancellation's period, linked to
        it, for minus what was paid on the line (released, under trigger
        payment) or, with "clawback": {"reverse": "recompute"}, its base
        at its rate (of the share released); with "attainment_drops", a
        cancellation in the deal's own period takes the deal's credit out
        of that period's measures from the cancellation on;
      - a monthly plan with "true_up" ("quarter" or "year") gets, in the
        last period of each window, a true-up line: what its tables earn
        on the window's cumulative measures (quota, target incentive and
        payout caps × the periods in the window) minus what the window's
        periods paid on the same deals;
      - the rep's draw is the one of the plan version applying to the rep
        (incentive_statement_internal_draw), settled by the ledger over
        every period from the draw's first up to the statement's;
      - a closed period's statement is the stored document, byte for byte.
        A line of a closed period worth something else now than what was
        paid for it while closed (a late deal, a deal whose attainment
        moved under it, a late cancellation, a plan correction) becomes an
        adjustment in the first period after the last closed one ("late"
        when nothing was paid for it, "correction" otherwise), for the
        difference, linked to it; what later closed periods paid on it
        counts as paid.

    Lines are assembled into a statement by incentive_ledger (draws and
    deficits carried, net payout = sum of the rounded lines). Pure: no
    I/O, no clock.
*/
#ifndef INCENTIVE_STATEMENT_H_INCLUDED
#define INCENTIVE_STATEMENT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "incentive_ledger.h"
#include "incentive_plan.h"
#include "incentive_record.h"
#include "sp_org.h"
#include "sp_period.h"

/* Room for an error message of this module. */
#define INCENTIVE_STATEMENT_ERROR_SIZE 512

/* One stored version of a plan. */
typedef struct {
    const char *name;             /* the plan's name (borrowed) */
    int64_t version;              /* 1, 2, ... */
    bool has_effective_from;      /* without one: in force since always */
    int64_t effective_from;       /* UTC ms */
    const incentive_plan_t *plan; /* parsed (borrowed) */
} incentive_statement_plan_t;

/* A closed period of the statement's kind. */
typedef struct {
    const char *label;    /* e.g. "2017-Q2" */
    const char *document; /* the rep's statement stored at close, NULL when none was */
} incentive_statement_closed_t;

/* What a statement is computed from. Everything borrowed. */
typedef struct {
    const char *rep_id;
    const char *currency;  /* payout currency: plans and deals in another are not credited */
    const sp_tz_t *tz;     /* periods and days are cut in it */
    sp_period_kind_t kind; /* SP_PERIOD_MONTH, _QUARTER or _YEAR */
    const incentive_statement_plan_t *plans;
    size_t plan_count;
    const incentive_record_credit_t *credits; /* the rep's, any order, distinct event ids */
    const bool *new_logo;                     /* per credit: its customer's first won deal */
    size_t credit_count;
    const incentive_record_cancel_t *cancels; /* earliest cancellation per won deal */
    size_t cancel_count;
    const incentive_record_payment_t *payments; /* payments of the rep's deals, distinct ids */
    size_t payment_count;
    const incentive_statement_closed_t *closed;
    size_t closed_count;
    const char *role;    /* the rep's role (sp_org_rep_role), NULL when none: role plans */
    const sp_org_t *org; /* the org, NULL when none is loaded: roll-up plans */
    const incentive_record_credit_t *team_credits; /* of the reps under rep_id, an org node,
                                                      or named by overlay plans paying rep_id */
    const bool *team_new_logo;                     /* per team credit: a first won deal */
    size_t team_credit_count; /* their cancellations and payments are in cancels, payments */
} incentive_statement_input_t;

/* The period kind of a plan period. */
sp_period_kind_t incentive_statement_kind (incentive_plan_period_t period);

/* The statement of period (a label of input->kind) as a ledger
   statement (the caller destroys it); *stored is set to the stored
   document when the period is closed and one was stored (borrowed from
   input), NULL otherwise. NULL with the reason when the label is not a
   period of the kind, a stored document is not a statement, or memory
   runs out. */
incentive_ledger_statement_t *incentive_statement_build (const incentive_statement_input_t *input,
                                                         const char *period, const char **stored,
                                                         char *error, size_t error_size);

/* The statement of period as JSON text (malloc'd, the caller frees):
   the stored document of a closed period, or the ledger statement's JSON
   with "plans" (the plan versions that computed a line) and
   "not_credited" (deals of the period that no plan paid, with why) added.
   NULL with the reason. */
char *incentive_statement_json (const incentive_statement_input_t *input, const char *period,
                                char *error, size_t error_size);

/* What a caller adds to a statement it writes. */
typedef struct {
    bool as_closed;      /* written "closed": true (a close storing it) */
    const char *members; /* JSON members appended last ("\"complete\":true"), NULL: none */
} incentive_statement_options_t;

/* What was written, for a caller that must not parse it again. */
typedef struct {
    bool stored;             /* the closed period's stored document was returned */
    bool closed;             /* the period is closed (or written as closed) */
    size_t line_count;       /* lines of the statement */
    int64_t opening_balance; /* owed, carried in */
    int64_t net_payout;      /* minor units */
} incentive_statement_summary_t;

/* incentive_statement_json with options (NULL: none; not applied to a
   stored document, returned as stored) and, when summary is not NULL,
   what it holds. The document is written once, straight to text. */
char *incentive_statement_json_with (const incentive_statement_input_t *input, const char *period,
                                     const incentive_statement_options_t *options,
                                     incentive_statement_summary_t *summary, char *error,
                                     size_t error_size);

/* incentive_statement_json_with written to file as it is made (in
   pieces of 256 KiB: a statement of 10,000 deals is 8 MiB of text never
   held whole), the same bytes. Nothing is written when the statement
   cannot be computed; when writing fails part of it may have been.
   Returns 0, or -1 with the reason. */
int incentive_statement_write (const incentive_statement_input_t *input, const char *period,
                               const incentive_statement_options_t *options,
                               incentive_statement_summary_t *summary, FILE *file, char *error,
                               size_t error_size);

#endif
