/*  incentive_ledger - one rep's ledger of statement lines, and the
    statements assembled from it (docs/incentive-ledger.md).

    The ledger stores what happened: earning, adjustment and true-up lines
    the rate engine posts (each already computed exactly and rounded once),
    the cancellations of won deals, the periods it knows and which are
    closed, and the rep's draw terms. Clawback lines are made from a
    cancellation and the earnings it reverses, whichever arrives first;
    draw, deficit and recovery lines are derived when a statement is
    assembled, by settling every period up to it in order. So a statement
    is a function of the stored ledger only, and the same inputs in any
    order give the same statements, byte for byte:

      - lines are listed by (occurred_at, event id, line id), never by
        arrival; derived lines follow them in a fixed order;
      - a clawback is posted in the period of its cancellation, linked to
        the original line, for the amount actually paid on it (or, as the
        plan chooses, the line's base recomputed at its original rate);
        each split or band line of the deal is reversed by its own amount,
        so split lines reverse in proportion;
      - the earliest cancellation of a deal (occurred_at, then event id)
        is the one that reverses it;
      - a closed period never changes: a line (or clawback) whose period is
        closed goes to the open period the caller names, as an adjustment
        that remembers its origin (incentive_ledger_route).

    Periods are labels of one kind ("2017-05", "2017-Q2", "2017"; see
    docs/periods.md), which sort in time order as text. Money is integer
    minor units; rates and attainments are exact decimals. Pure: no I/O.
*/
#ifndef INCENTIVE_LEDGER_H_INCLUDED
#define INCENTIVE_LEDGER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "incentive_draw.h"
#include "sp_json_text.h"

/* Room of each field, with the NUL. LINE_ID_MAX bounds a posted line's id;
   a clawback's id is "<cancel event id>/<original line id>". */
#define INCENTIVE_LEDGER_LINE_ID_MAX 144
#define INCENTIVE_LEDGER_ID_SIZE 288
#define INCENTIVE_LEDGER_REF_SIZE 129    /* event ids, deal ids */
#define INCENTIVE_LEDGER_NAME_SIZE 65    /* rep, measure, band, mode, rule, plan version, type */
#define INCENTIVE_LEDGER_TEXT_SIZE 257   /* reasons */
#define INCENTIVE_LEDGER_PERIOD_SIZE 16  /* period labels, as SP_PERIOD_LABEL_SIZE */
#define INCENTIVE_LEDGER_CURRENCY_SIZE 4 /* ISO-4217 code */

/* Most decimals of an exact decimal (rates, attainments). */
#define INCENTIVE_LEDGER_DECIMALS_MAX 9

/* Room for any error message of this module. */
#define INCENTIVE_LEDGER_ERROR_SIZE 256

/* The kinds of line. Earnings, adjustments and true-ups are posted;
   clawbacks come from cancellations; draws and recoveries are derived. */
typedef enum {
    INCENTIVE_LEDGER_EARNING = 0, /* commission earned on a credit */
    INCENTIVE_LEDGER_CLAWBACK,    /* reversal of an earning on a cancelled deal */
    INCENTIVE_LEDGER_ADJUSTMENT,  /* a correction, a late line, a carried deficit */
    INCENTIVE_LEDGER_DRAW,        /* draw advance: pay topped up to the draw */
    INCENTIVE_LEDGER_RECOVERY,    /* the balance owed, recovered from surplus */
    INCENTIVE_LEDGER_TRUE_UP,     /* earned to date minus paid to date over a window */
} incentive_ledger_kind_t;
#define INCENTIVE_LEDGER_KIND_COUNT 6

/* What a clawback reverses. */
typedef enum {
    INCENTIVE_LEDGER_REVERSE_PAID = 0,  /* the amount actually paid on the line */
    INCENTIVE_LEDGER_REVERSE_RECOMPUTE, /* the line's base at its original rate */
} incentive_ledger_reverse_t;

/* An exact decimal: units × 10^-decimals ("0.05" = 5 units, 2 decimals). */
typedef struct {
    int64_t units;
    int decimals; /* 0..INCENTIVE_LEDGER_DECIMALS_MAX */
} incentive_ledger_decimal_t;

/* The text of lines: each string copied once into blocks that never
   move, so a line holds pointers to its text and stays small (248
   bytes instead of the 1.7 KiB of fixed-size fields it had: 19,049 lines
   of a 10,000-deal statement wrote 34 MiB of mostly empty fields). Whoever
   holds lines holds the store of their text: a ledger, a statement, a
   statement's build. */
typedef struct _incentive_ledger_text_t incentive_ledger_text_t;

/* A new empty store; NULL when out of memory. */
incentive_ledger_text_t *incentive_ledger_text_new (void);

/* Destroys the store and every text in it; no-op on NULL; sets *self_p
   to NULL. */
void incentive_ledger_text_destroy (incentive_ledger_text_t **self_p);

/* A copy of text, kept as long as self, cut as snprintf cuts "%s" into
   size bytes (at most size - 1 of them); "" for NULL or "". When memory
   runs out: "" and self remembers it (incentive_ledger_text_failed). */
const char *incentive_ledger_text_copy (incentive_ledger_text_t *self, const char *text,
                                        size_t size);

/* What snprintf writes into size bytes with format, kept as long as
   self; "" and remembered when memory runs out. */
const char *incentive_ledger_text_format (incentive_ledger_text_t *self, size_t size,
                                          const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

/* True when a copy failed for want of memory (its text was left ""). */
bool incentive_ledger_text_failed (const incentive_ledger_text_t *self);

/* Moves the text of *other_p into self (it stays where it is: pointers
   to it stay valid as long as self) and destroys *other_p; no-op on
   NULL. */
void incentive_ledger_text_absorb (incentive_ledger_text_t *self,
                                   incentive_ledger_text_t **other_p);

/* One statement line: the amount and everything that explains it. Fields
   a kind does not use stay zero / "". Its text points into a store
   (incentive_ledger_text_t) of whoever holds the line; a field's text is
   at most its _SIZE - 1 bytes (the room of the fixed fields it had). A
   line given to the ledger may leave text fields NULL: read as "". */
typedef struct {
    const char *id;               /* unique in the ledger, < INCENTIVE_LEDGER_ID_SIZE */
    incentive_ledger_kind_t kind; /* what the line is */
    const char *period;           /* the period it is paid in, < INCENTIVE_LEDGER_PERIOD_SIZE */
    const char *origin_period;    /* the period of its event ("" = period) */
    int64_t occurred_at;          /* UTC ms of its event; orders lines */
    const char *event_id;         /* the event that produced it, < INCENTIVE_LEDGER_REF_SIZE */
    int64_t amount;               /* minor units, rounded once */
    /* An earning (copied onto its clawback). */
    const char *deal;                             /* opportunity id, < INCENTIVE_LEDGER_REF_SIZE */
    int32_t credit_bp;                            /* rep's credit in bp of the deal */
    const char *measure;                          /* "revenue", "margin", ... (NAME_SIZE) */
    int64_t base;                                 /* credited value the rate applies to */
    incentive_ledger_decimal_t attainment_before; /* of quota, before this credit */
    incentive_ledger_decimal_t attainment_after;  /* of quota, after it */
    const char *band;                             /* rate band, e.g. "[5000,10000)" (NAME_SIZE) */
    bool has_rate;                                /* amount = round(base × rate) */
    incentive_ledger_decimal_t rate;              /* exact rate */
    const char *mode;                             /* "marginal" or "retroactive" (NAME_SIZE) */
    const char *rule_id;                          /* the plan rule that produced it (NAME_SIZE) */
    const char *plan_version;                     /* the plan version (NAME_SIZE) */
    /* An adjustment or clawback. */
    const char *type;                   /* "late", "correction", "clawback", ... (NAME_SIZE) */
    const char *reason;                 /* why, in words, < INCENTIVE_LEDGER_TEXT_SIZE */
    const char *link;                   /* id of the original line, < INCENTIVE_LEDGER_ID_SIZE */
    incentive_ledger_kind_t adjusts;    /* a late line: the kind it would be */
    incentive_ledger_reverse_t reverse; /* a clawback: paid or recomputed */
    bool attainment_drops;              /* a clawback: attainment drops too */
    /* A draw, recovery or carried deficit (derived). */
    int64_t draw_amount;       /* the draw D, 0 without */
    int64_t period_commission; /* E, the period's commission */
    int64_t balance_before;    /* owed by the rep before the period */
    int64_t balance_after;     /* owed by the rep after it */
} incentive_ledger_line_t;

/* A line with every number zero and every text "". */
void incentive_ledger_line_init (incentive_ledger_line_t *line);

/* Copies every text of line into text, its fields then pointing to the
   copies (cut to their fields' room; NULL becomes ""): for a line to
   outlive the text it was given. */
void incentive_ledger_line_text_copy (incentive_ledger_text_t *text, incentive_ledger_line_t *line);

/* A cancelled deal (deal_cancelled). */
typedef struct {
    char event_id[INCENTIVE_LEDGER_REF_SIZE];     /* the deal_cancelled event */
    char won_event_id[INCENTIVE_LEDGER_REF_SIZE]; /* the deal_won event it cancels */
    int64_t occurred_at;                          /* UTC ms */
    char period[INCENTIVE_LEDGER_PERIOD_SIZE];    /* the period it falls in */
    incentive_ledger_reverse_t reverse;           /* plan option: paid or recomputed */
    bool attainment_drops;                        /* plan flag, shown on the lines */
    char reason[INCENTIVE_LEDGER_TEXT_SIZE];      /* the event's reason, may be "" */
} incentive_ledger_cancel_t;

/* A statement of one rep for one period. Owned by the caller
   (incentive_ledger_statement_destroy). */
typedef struct {
    char rep_id[INCENTIVE_LEDGER_NAME_SIZE];
    char currency[INCENTIVE_LEDGER_CURRENCY_SIZE];
    char period[INCENTIVE_LEDGER_PERIOD_SIZE];
    bool closed;                    /* the period is closed */
    int64_t opening_balance;        /* owed by the rep, carried in, >= 0 */
    incentive_ledger_line_t *lines; /* in statement order */
    size_t line_count;
    incentive_ledger_text_t *text; /* the text of its lines */
    int64_t commission;            /* earnings, clawbacks, adjustments, true-ups posted */
    int64_t advances;              /* draw advances and carried deficits, >= 0 */
    int64_t recoveries;            /* recoveries, <= 0 */
    int64_t closing_balance;       /* owed by the rep, carried out, >= 0 */
    int64_t net_payout;            /* the sum of every line, >= 0 */
} incentive_ledger_statement_t;

typedef struct _incentive_ledger_t incentive_ledger_t;

/* A new empty ledger for a rep (1..64 bytes) paid in currency (an active
   ISO-4217 code). NULL when an argument is invalid or memory runs out. */
incentive_ledger_t *incentive_ledger_new (const char *rep_id, const char *currency);

/* Destroys the ledger; no-op on NULL; sets *self_p to NULL. */
void incentive_ledger_destroy (incentive_ledger_t **self_p);

/* The name of a kind ("earning", "clawback", "adjustment", "draw",
   "recovery", "true_up"); NULL for an unknown kind. */
const char *incentive_ledger_kind_name (incentive_ledger_kind_t kind);

/* amount × rate rounded once half away from zero. Returns 0, or -1
   (result untouched) when the decimals are out of range or the result
   beyond SP_MONEY_MAX_MINOR. */
int incentive_ledger_apply_rate (int64_t amount, incentive_ledger_decimal_t rate, int64_t *result);

/* The period a line of period belongs in, given the closed periods: period
   itself when it is open, otherwise open_period (the current open period).
   NULL when both are closed or open_period is needed and NULL. */
const char *incentive_ledger_route (const char *period, const char *const *closed,
                                    size_t closed_count, const char *open_period);

/* Makes a period known (a period with no line still settles the draw).
   Returns 0, or -1 with the reason when the label is not a period label
   of the ledger's kind. */
int incentive_ledger_open_period (incentive_ledger_t *self, const char *period, char *error,
                                  size_t error_size);

/* Closes a period: its lines never change again. Returns 0 (also when it
   was closed already), or -1 with the reason. */
int incentive_ledger_close_period (incentive_ledger_t *self, const char *period, char *error,
                                   size_t error_size);

/* True when the period is closed. */
bool incentive_ledger_closed (const incentive_ledger_t *self, const char *period);

/* Sets the rep's draw from first_period on (NULL terms: no draw). Refused
   when a period from first_period on, or from the previous draw's first
   period on, is already closed. Returns 0, or -1 with the reason. */
int incentive_ledger_set_draw (incentive_ledger_t *self, const incentive_draw_terms_t *terms,
                               const char *first_period, char *error, size_t error_size);

/* Posts an earning, adjustment or true-up line, or a clawback computed
   by the caller and linked to its original line (copied). A line whose
   period is closed goes to open_period as an adjustment (type "late",
   adjusts = its kind, origin_period = its period); when its deal's won
   event is cancelled, its clawback is posted too. Returns 0 when posted,
   1 when a line with that id and the same event and amount is already
   there (a redelivery), -1 with the reason otherwise (ledger unchanged). */
int incentive_ledger_post (incentive_ledger_t *self, const incentive_ledger_line_t *line,
                           const char *open_period, char *error, size_t error_size);

/* incentive_ledger_post of each of count lines, in order, taking the
   array (*lines, capacity lines allocated with malloc; *lines is set to
   NULL and the array freed or kept by the ledger) and the store of their
   text (*text, NULL when their text is elsewhere: it is copied then;
   *text is set to NULL and the store kept by the ledger): when no line needs
   more than appending (no cancellation recorded, no line of a closed
   period), the lines are moved into the ledger, not copied one by one,
   for a caller that made many at once (a statement of 10,000 deals).
   Lines already there with the same event and amount are left out, as
   incentive_ledger_post answers 1 for them. Returns 0, or -1 with the
   reason: nothing is posted then when the lines could be moved, the
   lines before the refused one otherwise. */
int incentive_ledger_post_all (incentive_ledger_t *self, incentive_ledger_line_t **lines,
                               size_t count, size_t capacity, incentive_ledger_text_t **text,
                               const char *open_period, char *error, size_t error_size);

/* Records a cancellation and posts a clawback line for every earning of
   its won event in the ledger (and, later, for any that arrives), in the
   cancellation's period or, when it is closed, open_period. Returns 0,
   1 when that cancellation is already recorded, -1 with the reason. */
int incentive_ledger_cancel (incentive_ledger_t *self, const incentive_ledger_cancel_t *cancel,
                             const char *open_period, char *error, size_t error_size);

/* Paid to date over a window of periods (its labels, count of them): the
   sum of the earning, clawback, adjustment and true-up lines in them. */
int64_t incentive_ledger_paid_to_date (const incentive_ledger_t *self, const char *const *window,
                                       size_t count);

/* The true-up of a window: earned_to_date (from the rate engine over the
   window's cumulative attainment) minus paid to date. The caller posts it
   as a TRUE_UP line. */
int64_t incentive_ledger_true_up (const incentive_ledger_t *self, const char *const *window,
                                  size_t count, int64_t earned_to_date);

/* The lines stored (posted and clawbacks), in arrival order, to persist
   them; index < count (asserted). */
size_t incentive_ledger_line_count (const incentive_ledger_t *self);
const incentive_ledger_line_t *incentive_ledger_line (const incentive_ledger_t *self, size_t index);

/* Assembles the statement of a period. NULL with the reason when the
   label is not valid or memory runs out. */
incentive_ledger_statement_t *incentive_ledger_statement (const incentive_ledger_t *self,
                                                          const char *period, char *error,
                                                          size_t error_size);

/* incentive_ledger_statement for a caller done with the ledger: the
   period's lines are moved out of the ledger into the statement, not
   copied, and the ledger is left without lines (also on failure); its
   periods, cancellations and draw stay. */
incentive_ledger_statement_t *incentive_ledger_statement_take (incentive_ledger_t *self,
                                                               const char *period, char *error,
                                                               size_t error_size);

/* Destroys a statement; no-op on NULL; sets *self_p to NULL. */
void incentive_ledger_statement_destroy (incentive_ledger_statement_t **self_p);

/* Writes the statement's members into out, an object opened and left
   open so the caller can add members of its own before closing it with
   sp_json_text_close (out, '}'); the same bytes incentive_ledger_
   statement_json gives, without its closing brace. */
void incentive_ledger_statement_write (const incentive_ledger_statement_t *statement,
                                       sp_json_text_t *out);

/* Called after each line written (arg as given): a writer streaming the
   statement hands on what out holds and clears it (sp_json_text_clear). */
typedef void (incentive_ledger_flush_fn) (sp_json_text_t *out, void *arg);

/* incentive_ledger_statement_write calling flush (may be NULL) after
   each line. */
void incentive_ledger_statement_write_flushing (const incentive_ledger_statement_t *statement,
                                                sp_json_text_t *out,
                                                incentive_ledger_flush_fn *flush, void *arg);

/* The statement as compact JSON (money as integers in minor units, exact
   decimals as strings): malloc'd, the caller frees; NULL when out of
   memory. The same statement always gives the same bytes. */
char *incentive_ledger_statement_json (const incentive_ledger_statement_t *statement);

#endif
