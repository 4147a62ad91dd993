/*  incentive_ledger_periods - the periods of a ledger (part of
    incentive_ledger, declared in incentive_ledger.h): period labels and
    their shape, the sorted period array (search and add), opening and
    closing a period, routing a line of a closed period
    (incentive_ledger_route), and setting the draw, which refuses once a
    period from its first on is closed.

    Storage, posting and cancellations are in incentive_ledger.c; paid to
    date, the true-up and the statements in incentive_ledger_statement.c;
    what the files share is in incentive_ledger_internal.h.
*/
#include "incentive_ledger_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incentive_draw.h"
#include "sp_error.h"

/* Room for a quoted user value inside a message. */
#define S_QUOTE_SIZE 72
/* Shortest and longest period label ("2017", "2017-05-03"). */
#define S_LABEL_MIN 4
#define S_LABEL_MAX 10
/* Digits of the year that starts every label. */
#define S_YEAR_DIGITS 4

// ---------------------------------------------------------------- periods

/* Writes the pattern of a label (digits as '9') to shape; false when the
   label is not a period label: 4 year digits, then digits, '-', 'Q', 'W'. */
static bool
s_label_shape (const char *label, char *shape)
{
    if (!label)
        return false;
    size_t length = strnlen (label, S_LABEL_MAX + 1);
    if (length < S_LABEL_MIN || length > S_LABEL_MAX)
        return false;
    for (size_t index = 0; index < length; index++) {
        char c = label[index];
        bool digit = c >= '0' && c <= '9';
        if (index < S_YEAR_DIGITS && !digit)
            return false;
        if (!digit && c != '-' && c != 'Q' && c != 'W')
            return false;
        shape[index] = digit ? '9' : c;
    }
    shape[length] = '\0';
    return true;
}

/* 0 when label is a period label of the ledger's kind (any kind while
   the ledger knows none), -1 with the reason. */
int
incentive_ledger_internal_label_check (const incentive_ledger_t *self, const char *what,
                                       const char *label, char *error, size_t error_size)
{
    char shape[INCENTIVE_LEDGER_PERIOD_SIZE];
    char quoted[S_QUOTE_SIZE];
    if (!s_label_shape (label, shape)) {
        sp_error_quote (label ? label : "", quoted, sizeof quoted);
        sp_error_set (error, error_size, "%s: \"%s\" is not a period label", what, quoted);
        return -1;
    }
    if (self->shape[0] && strcmp (shape, self->shape) != 0) {
        sp_error_quote (label, quoted, sizeof quoted);
        sp_error_set (error, error_size, "%s: \"%s\" is not a period of the ledger's kind", what,
                      quoted);
        return -1;
    }
    return 0;
}

/* Index of label in the sorted periods, or where it would go (*found false). */
size_t
incentive_ledger_internal_period_search (const incentive_ledger_t *self, const char *label,
                                         bool *found)
{
    size_t low = 0;
    size_t high = self->period_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp (self->periods[middle].label, label);
        if (order == 0) {
            *found = true;
            return middle;
        }
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    *found = false;
    return low;
}

/* Adds a checked label (no-op when known); returns its index, or -1 when
   out of memory. */
int64_t
incentive_ledger_internal_period_add (incentive_ledger_t *self, const char *label)
{
    bool found;
    size_t index = incentive_ledger_internal_period_search (self, label, &found);
    if (found)
        return (int64_t) index;
    if (self->period_count == self->period_capacity) {
        size_t capacity = self->period_capacity ? 2 * self->period_capacity
                                                : INCENTIVE_LEDGER_INTERNAL_INITIAL_CAPACITY;
        incentive_ledger_internal_period_t *periods =
            realloc (self->periods, capacity * sizeof *periods);
        if (!periods)
            return -1;
        self->periods = periods;
        self->period_capacity = capacity;
    }
    memmove (&self->periods[index + 1], &self->periods[index],
             (self->period_count - index) * sizeof self->periods[0]);
    memset (&self->periods[index], 0, sizeof self->periods[0]);
    snprintf (self->periods[index].label, sizeof self->periods[index].label, "%s", label);
    self->period_count++;
    if (!self->shape[0])
        s_label_shape (label, self->shape);
    return (int64_t) index;
}

bool
incentive_ledger_closed (const incentive_ledger_t *self, const char *period)
{
    assert (self);
    if (!period)
        return false;
    bool found;
    size_t index = incentive_ledger_internal_period_search (self, period, &found);
    return found && self->periods[index].closed;
}

const char *
incentive_ledger_route (const char *period, const char *const *closed, size_t closed_count,
                        const char *open_period)
{
    assert (period);
    assert (closed || closed_count == 0);
    bool period_closed = false;
    bool open_closed = false;
    for (size_t index = 0; index < closed_count; index++) {
        if (strcmp (closed[index], period) == 0)
            period_closed = true;
        if (open_period && strcmp (closed[index], open_period) == 0)
            open_closed = true;
    }
    if (!period_closed)
        return period;
    return open_period && !open_closed ? open_period : NULL;
}

int
incentive_ledger_open_period (incentive_ledger_t *self, const char *period, char *error,
                              size_t error_size)
{
    assert (self);
    if (incentive_ledger_internal_label_check (self, "period", period, error, error_size) != 0)
        return -1;
    if (incentive_ledger_internal_period_add (self, period) < 0) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    return 0;
}

int
incentive_ledger_close_period (incentive_ledger_t *self, const char *period, char *error,
                               size_t error_size)
{
    assert (self);
    if (incentive_ledger_internal_label_check (self, "period", period, error, error_size) != 0)
        return -1;
    int64_t index = incentive_ledger_internal_period_add (self, period);
    if (index < 0) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    self->periods[index].closed = true;
    return 0;
}

/* True when a period at or after label is closed. */
static bool
s_closed_from (const incentive_ledger_t *self, const char *label)
{
    for (size_t index = 0; index < self->period_count; index++)
        if (self->periods[index].closed && strcmp (self->periods[index].label, label) >= 0)
            return true;
    return false;
}

int
incentive_ledger_set_draw (incentive_ledger_t *self, const incentive_draw_terms_t *terms,
                           const char *first_period, char *error, size_t error_size)
{
    assert (self);
    if (terms) {
        if (incentive_draw_check (terms, error, error_size) != 0)
            return -1;
        if (incentive_ledger_internal_label_check (self, "draw first period", first_period, error,
                                                   error_size) != 0)
            return -1;
        if (s_closed_from (self, first_period)) {
            sp_error_set (error, error_size,
                          "draw: a period from \"%s\" on is closed, its statements cannot change",
                          first_period);
            return -1;
        }
    }
    if (self->has_draw && s_closed_from (self, self->draw_first)) {
        sp_error_set (error, error_size,
                      "draw: a period from \"%s\" on is closed, its statements cannot change",
                      self->draw_first);
        return -1;
    }
    if (!terms) {
        self->has_draw = false;
        return 0;
    }
    if (incentive_ledger_internal_period_add (self, first_period) < 0) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    self->has_draw = true;
    self->draw = *terms;
    snprintf (self->draw_first, sizeof self->draw_first, "%s", first_period);
    return 0;
}
