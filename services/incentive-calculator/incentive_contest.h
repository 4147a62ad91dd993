/*  incentive_contest - the leaderboard of a SPIFF or contest
    (docs/incentives.md, "Contest leaderboard"): each rep's eligible value
    in the SPIFF's window and what the SPIFF pays the rep, ranked.

    A standing is read from the rep's statement lines as they are worth
    now (incentive_statement_internal_lines) through the last period of
    the window, so the leaderboard applies exactly the SPIFF rule the
    statements pay (window, per-event amount or rate, tiers, cap, the
    version in force at each deal), never a second implementation of it:

      - value: Σ of the bases of the SPIFF's earning lines (one per
        eligible deal: 1 for a fixed amount per event, the deal's
        credited measure for a rate) less those of their clawbacks;
      - earning: Σ of the amounts of those lines and clawbacks;
      - ranked by value, then earning (both descending), then the rep who
        reached its value first (the earlier last deal still counted),
        then rep id in byte order: every rank is distinct.

    Pure: no I/O.
*/
#ifndef INCENTIVE_CONTEST_H_INCLUDED
#define INCENTIVE_CONTEST_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "incentive_plan.h"
#include "incentive_record.h"
#include "incentive_statement.h"
#include "sp_period.h"
#include "sp_tz.h"

/* Room for an error message of this module. */
#define INCENTIVE_CONTEST_ERROR_SIZE INCENTIVE_STATEMENT_ERROR_SIZE

/* One rep on the leaderboard. */
typedef struct {
    char rep_id[INCENTIVE_RECORD_REP_SIZE]; /* the rep (or org node) */
    int64_t value;      /* eligible value: events, minor units or a count of the measure */
    int64_t earning;    /* what the SPIFF pays the rep, clawbacks included, minor units */
    int64_t deals;      /* eligible deals counted, less those clawed back */
    bool reached;       /* some deal still counts */
    int64_t reached_at; /* UTC ms of the last deal still counted (when reached) */
    size_t rank;        /* 1.. (incentive_contest_rank) */
} incentive_contest_standing_t;

/* The version of plan that defines SPIFF spiff_id: the highest version
   of the plan having a SPIFF of that id, with *spiff set to its index.
   NULL when none has. */
const incentive_statement_plan_t *incentive_contest_find (const incentive_statement_plan_t *plans,
                                                          size_t count, const char *plan,
                                                          const char *spiff_id, size_t *spiff);

/* The periods of kind holding spiff's window [from, to): the labels of
   its first and last (SP_PERIOD_LABEL_SIZE bytes each). Returns 0, or -1
   with the reason (a day outside years 1..9999). */
int incentive_contest_window (const sp_tz_t *tz, sp_period_kind_t kind,
                              const incentive_plan_spiff_t *spiff, char *first, char *last,
                              char *error, size_t error_size);

/* The standing of input's rep on SPIFF spiff_id of plan, from the rep's
   lines through period last (the window's last period). Returns 0 with
   *standing set (rank 0), or -1 with the reason (*standing untouched). */
int incentive_contest_standing (const incentive_statement_input_t *input, const char *plan,
                                const char *spiff_id, const char *last,
                                incentive_contest_standing_t *standing, char *error,
                                size_t error_size);

/* Sorts standings into leaderboard order and numbers their ranks 1.. */
void incentive_contest_rank (incentive_contest_standing_t *standings, size_t count);

#endif
