/*  incentive_draw - a draw against commission, settled period by period
    (docs/incentive-ledger.md, "Draws and balances").

    A draw guarantees a rep at least D per period while it is active: when
    the period's commission E falls short, the company advances D − E.
    Recoverable: the advances are a balance the rep owes, carried from
    period to period and recovered from later surplus E − D, never taking
    pay below D while the draw is active; recovery may start only from a
    given period of the draw (a delayed start). Non-recoverable: the
    advance is a top-up, never owed back.

    Negative commission (a clawback larger than the period's earnings) is
    never paid as a negative amount: it is carried into the same balance
    as a deficit, whether or not the draw is recoverable, and recovered
    the same way. Without a draw (D = 0) that is the whole mechanism.
    After the draw's last period, the balance is recovered from any
    positive commission, pay never below zero.

    Settling one period:
        deficit  = max(0, −E)                         carried, always owed
        advance  = max(0, D − max(E, 0))              while active
        balance += deficit (+ advance when recoverable)
        recovery = min(balance_before, surplus)       when recovery is allowed
                   surplus = E − D while active, E after the end
        pay      = E + advance + deficit − recovery

    So pay = max(E, D) while active before any balance is recovered. The
    acceptance sequence: D = 2,000 over E = 2,750, 3,000, 1,500, 2,375,
    3,000, 2,750 pays 2,750, 3,000, 2,000, 2,000, 2,875, 2,750.

    Pure: no I/O, no allocation, no state; the caller carries the balance.
*/
#ifndef INCENTIVE_DRAW_H_INCLUDED
#define INCENTIVE_DRAW_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* terms.periods of a draw without an end. */
#define INCENTIVE_DRAW_OPEN_END 0

/* Room for any error message of this module. */
#define INCENTIVE_DRAW_ERROR_SIZE 128

/* The terms of a draw, from the plan. */
typedef struct {
    int64_t amount;         /* D, guaranteed pay per period in minor units; 0 = no draw */
    bool recoverable;       /* advances are owed back from later surplus */
    int64_t periods;        /* periods the draw is active from its first; INCENTIVE_DRAW_OPEN_END */
    int64_t recovery_start; /* first period index (0 = the draw's first) recovery may be taken */
} incentive_draw_terms_t;

/* One settled period. */
typedef struct {
    int64_t index;          /* period index from the draw's first (negative: before it) */
    bool active;            /* the draw guaranteed pay this period */
    int64_t earnings;       /* E, the period's commission (may be negative) */
    int64_t balance_before; /* owed by the rep, carried in, >= 0 */
    int64_t advance;        /* draw advance paid on top of E, >= 0 */
    int64_t deficit;        /* negative commission carried into the balance, >= 0 */
    int64_t recovery;       /* taken from the surplus toward the balance, >= 0 */
    int64_t pay;            /* earnings + advance + deficit − recovery, >= 0 */
    int64_t balance_after;  /* owed by the rep, carried out, >= 0 */
} incentive_draw_period_t;

/* Checks terms: amount 0..SP_MONEY_MAX_MINOR, periods and recovery_start
   >= 0. Returns 0, or -1 with the reason. */
int incentive_draw_check (const incentive_draw_terms_t *terms, char *error, size_t error_size);

/* Terms of no draw at all: amount 0, recoverable (deficits are owed). */
void incentive_draw_terms_none (incentive_draw_terms_t *terms);

/* True when the draw guarantees pay in period index (from its first). */
bool incentive_draw_active (const incentive_draw_terms_t *terms, int64_t index);

/* Settles period index (negative: a period before the draw started,
   settled as without a draw) with the balance carried in (>= 0) and the
   period's commission. Returns 0, or -1 (out untouched) when the terms
   are invalid, the balance negative or an amount out of range. */
int incentive_draw_settle (const incentive_draw_terms_t *terms, int64_t index, int64_t balance,
                           int64_t earnings, incentive_draw_period_t *out);

/* Settles count periods from index 0 with no balance carried in, writing
   out[0..count). Returns 0, or -1 as incentive_draw_settle (out untouched). */
int incentive_draw_run (const incentive_draw_terms_t *terms, const int64_t *earnings, size_t count,
                        incentive_draw_period_t *out);

#endif
