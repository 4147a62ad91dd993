/*  incentive_draw - a draw against commission settled period by period (see
    incentive_draw.h and docs/incentive-ledger.md, "Draws and balances").

    Amounts are bounded by SP_MONEY_MAX_MINOR and a balance by the sum of a
    period's amounts over at most a few thousand periods, so int64 sums
    cannot overflow; the bounds are checked on entry.
*/
#include "incentive_draw.h"

#include <assert.h>
#include <string.h>

#include "sp_error.h"
#include "sp_money.h"

/* Bound of a balance and of a period's commission: a thousand times the
   largest amount, far above any real ledger, far below INT64_MAX / 4. */
#define S_BALANCE_MAX (SP_MONEY_MAX_MINOR * 1000)

static int64_t
s_max (int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t
s_min (int64_t a, int64_t b)
{
    return a < b ? a : b;
}

void
incentive_draw_terms_none (incentive_draw_terms_t *terms)
{
    assert (terms);
    memset (terms, 0, sizeof *terms);
    terms->recoverable = true;
    terms->periods = INCENTIVE_DRAW_OPEN_END;
}

int
incentive_draw_check (const incentive_draw_terms_t *terms, char *error, size_t error_size)
{
    assert (terms);
    if (terms->amount < 0 || terms->amount > SP_MONEY_MAX_MINOR) {
        sp_error_set (error, error_size, "draw amount: %lld minor units is out of range",
                      (long long) terms->amount);
        return -1;
    }
    if (terms->periods < 0) {
        sp_error_set (error, error_size, "draw periods: %lld is negative",
                      (long long) terms->periods);
        return -1;
    }
    if (terms->recovery_start < 0) {
        sp_error_set (error, error_size, "draw recovery start: %lld is negative",
                      (long long) terms->recovery_start);
        return -1;
    }
    return 0;
}

bool
incentive_draw_active (const incentive_draw_terms_t *terms, int64_t index)
{
    assert (terms);
    if (terms->amount == 0 || index < 0)
        return false;
    return terms->periods == INCENTIVE_DRAW_OPEN_END || index < terms->periods;
}

int
incentive_draw_settle (const incentive_draw_terms_t *terms, int64_t index, int64_t balance,
                       int64_t earnings, incentive_draw_period_t *out)
{
    assert (out);
    if (incentive_draw_check (terms, NULL, 0) != 0)
        return -1;
    if (balance < 0 || balance > S_BALANCE_MAX)
        return -1;
    if (earnings < -S_BALANCE_MAX || earnings > S_BALANCE_MAX)
        return -1;

    incentive_draw_period_t period = { 0 };
    period.index = index;
    period.active = incentive_draw_active (terms, index);
    period.earnings = earnings;
    period.balance_before = balance;
    period.deficit = s_max (0, -earnings);
    int64_t floor = period.active ? terms->amount : 0;
    period.advance = s_max (0, floor - s_max (earnings, 0));

    /* Recovery: from what the period earns above the floor, only from the
       draw's recovery start (before the draw: deficits only, any time). */
    bool may_recover = index < 0 || index >= terms->recovery_start;
    if (may_recover)
        period.recovery = s_min (balance, s_max (0, earnings - floor));

    period.pay = earnings + period.advance + period.deficit - period.recovery;
    period.balance_after = balance - period.recovery + period.deficit;
    if (terms->recoverable)
        period.balance_after += period.advance;
    if (period.balance_after > S_BALANCE_MAX)
        return -1;
    assert (period.pay >= floor);
    *out = period;
    return 0;
}

int
incentive_draw_run (const incentive_draw_terms_t *terms, const int64_t *earnings, size_t count,
                    incentive_draw_period_t *out)
{
    assert (earnings || count == 0);
    assert (out || count == 0);
    if (incentive_draw_check (terms, NULL, 0) != 0)
        return -1;
    /* Settle into a scratch copy first, so a failure leaves out as it was. */
    int64_t balance = 0;
    for (size_t index = 0; index < count; index++) {
        incentive_draw_period_t period;
        if (incentive_draw_settle (terms, (int64_t) index, balance, earnings[index], &period) != 0)
            return -1;
        balance = period.balance_after;
    }
    balance = 0;
    for (size_t index = 0; index < count; index++) {
        int rc =
            incentive_draw_settle (terms, (int64_t) index, balance, earnings[index], &out[index]);
        assert (rc == 0);
        (void) rc;
        balance = out[index].balance_after;
    }
    return 0;
}
