/*  incentive_ledger_internal - what the three files of incentive_ledger
    share (incentive_ledger.c: storage, posting and cancellations;
    incentive_ledger_periods.c: period labels, opening and closing,
    routing, and the draw's terms; incentive_ledger_statement.c: paid to
    date and true-up, the statements with their draw settlement, and their
    JSON): the object's struct, its periods, and the helpers they call.
    For these files only; everything else uses incentive_ledger.h.
*/
#ifndef INCENTIVE_LEDGER_INTERNAL_H_INCLUDED
#define INCENTIVE_LEDGER_INTERNAL_H_INCLUDED

#include "incentive_ledger.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "incentive_draw.h"

/* Type of a line posted after its period closed (and of its JSON). */
#define INCENTIVE_LEDGER_INTERNAL_TYPE_LATE "late"
/* Initial room of the arrays. */
#define INCENTIVE_LEDGER_INTERNAL_INITIAL_CAPACITY 16

/* One known period. */
typedef struct {
    char label[INCENTIVE_LEDGER_PERIOD_SIZE]; /* its label */
    bool closed;                              /* locked: its lines never change */
} incentive_ledger_internal_period_t;

struct _incentive_ledger_t {
    char rep_id[INCENTIVE_LEDGER_NAME_SIZE];       /* whose ledger */
    char currency[INCENTIVE_LEDGER_CURRENCY_SIZE]; /* ISO-4217 code of every amount */
    char shape[INCENTIVE_LEDGER_PERIOD_SIZE];      /* label pattern of the periods, "" until one */
    incentive_ledger_line_t *lines;                /* stored lines, in arrival order */
    incentive_ledger_text_t *text;                 /* the text of the lines */
    size_t line_count;                             /* lines used */
    size_t line_capacity;                          /* lines allocated */
    size_t *slots;                                 /* id index: line position + 1, 0 = empty */
    size_t slot_count;                             /* slots allocated, a power of two */
    incentive_ledger_cancel_t *cancels;            /* cancellations, in arrival order */
    size_t cancel_count;                           /* cancellations used */
    size_t cancel_capacity;                        /* cancellations allocated */
    incentive_ledger_internal_period_t *periods;   /* known periods, sorted by label */
    size_t period_count;                           /* periods used */
    size_t period_capacity;                        /* periods allocated */
    bool has_draw;                                 /* draw is set */
    incentive_draw_terms_t draw;                   /* the draw's terms */
    char draw_first[INCENTIVE_LEDGER_PERIOD_SIZE]; /* its first period */
};

/* --------------------------------------------------- incentive_ledger.c */

/* True when the decimals of value are in 0..INCENTIVE_LEDGER_DECIMALS_MAX. */
bool incentive_ledger_internal_decimal_valid (incentive_ledger_decimal_t value);

/* An earning, on time or late: what a cancellation reverses. */
bool incentive_ledger_internal_is_earning (const incentive_ledger_line_t *line);

/* A clawback, on time or late. */
bool incentive_ledger_internal_is_clawback (const incentive_ledger_line_t *line);

/* ------------------------------------------- incentive_ledger_periods.c */

/* 0 when label is a period label of the ledger's kind (any kind while
   the ledger knows none), -1 with the reason ("<what>: ..."). */
int incentive_ledger_internal_label_check (const incentive_ledger_t *self, const char *what,
                                           const char *label, char *error, size_t error_size);

/* Index of label in the sorted periods, or where it would go (*found false). */
size_t incentive_ledger_internal_period_search (const incentive_ledger_t *self, const char *label,
                                                bool *found);

/* Adds a checked label (no-op when known); returns its index, or -1 when
   out of memory. */
int64_t incentive_ledger_internal_period_add (incentive_ledger_t *self, const char *label);

#endif
