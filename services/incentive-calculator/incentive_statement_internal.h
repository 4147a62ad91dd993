/*  incentive_statement_internal - what the files of incentive_statement
    share (incentive_statement.c: the lines and the statement;
    incentive_statement_text.c: an earning line's ids and text;
    incentive_statement_lines.c: the list of lines, and the lines payments
    and cancellations make from earning lines;
    incentive_statement_terms.c: the rep's draw among the plan versions
    and the exact shares of payment releases; incentive_statement_rollup.c:
    a node's roll-up credits; incentive_statement_overlay.c: an overlay
    rep's overlay credits; incentive_statement_true_up.c: the true-up
    lines of windows; incentive_statement_closed.c: what closed periods
    paid and the adjustments of what changed since; incentive_contest.c: a SPIFF's leaderboard from
   the lines). For these files only; everything else uses incentive_statement.h.
*/
#ifndef INCENTIVE_STATEMENT_INTERNAL_H_INCLUDED
#define INCENTIVE_STATEMENT_INTERNAL_H_INCLUDED

#include "incentive_statement.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "incentive_draw.h"
#include "incentive_ledger.h"
#include "sp_period.h"

/* The rep's draw for the statement of period (docs/incentives.md,
   "Draws"): among the versions of the plans of the statement's kind and
   currency that name the rep and have a draw, the one whose first period
   for the rep (the period of the later of its effective date and the
   rep's "from") is the latest at or before period; ties to the later
   start, then the smaller plan name, then the higher version. Its
   "periods" end where the version stops applying to the rep (a later
   version takes over, or the rep's "to"). Returns 1 with *terms and
   first (SP_PERIOD_LABEL_SIZE bytes) set, 0 when no plan gives the rep a
   draw yet, -1 with the reason. */
int incentive_statement_internal_draw (const incentive_statement_input_t *input,
                                       const sp_period_t *period, incentive_draw_terms_t *terms,
                                       char *first, char *error, size_t error_size);

/* amount × part ÷ whole (whole > 0, 0 <= part <= whole), rounded once
   half away from zero. */
int64_t incentive_statement_internal_share (int64_t amount, int64_t part, int64_t whole);

/* base × rate × part ÷ whole, rounded once half away from zero (the
   recomputed worth of a line of which part of whole was released).
   Returns 0, or -1 (*out untouched) beyond SP_MONEY_MAX_MINOR. */
int incentive_statement_internal_rate_share (int64_t base, incentive_ledger_decimal_t rate,
                                             int64_t part, int64_t whole, int64_t *out);

/* The roll-up credits of the statement's node (docs/incentives.md,
   "Manager roll-up credits"): for each plan version with "rollup" naming
   input->rep_id, one credit per deal of input->team_credits that the
   node's roll-up credits (incentive_credit_rollup_parts over input->org on
   the deal's local day, the version's levels and mode): rep the node,
   credit_bp its share, revenue and margin its credits, the deal's other
   fields as stored. Sets *credits, *new_logo and *plans (the plan index
   each credit is for), malloc'd (the caller frees all three, also on
   failure), and *count. Returns 0, or -1 with the reason. */
int incentive_statement_internal_rollup (const incentive_statement_input_t *input,
                                         incentive_record_credit_t **credits, bool **new_logo,
                                         size_t **plans, size_t *count, char *error,
                                         size_t error_size);

/* The overlay credits of the statement's rep (docs/incentives.md,
   "Overlay credits"): for each plan version whose "overlays" list
   input->rep_id, one credit per deal of input->team_credits that one of
   the reps the version names was credited on, on a day its assignment
   covers, and input->rep_id was not (its own deals are never overlaid):
   rep the overlay rep, credit_bp its share, revenue the whole deal's
   amount × the share rounded once (incentive_credit_overlay), no margin,
   the deal's other fields as stored; once per deal however many named
   reps split it. Sets *credits, *new_logo and *plans (the plan index
   each credit is for), malloc'd (the caller frees all three, also on
   failure), and *count. Returns 0, or -1 with the reason. */
int incentive_statement_internal_overlays (const incentive_statement_input_t *input,
                                           incentive_record_credit_t **credits, bool **new_logo,
                                           size_t **plans, size_t *count, char *error,
                                           size_t error_size);

/* The measures a credit moves: revenue, margin, new logos, units, events. */
#define INCENTIVE_STATEMENT_INTERNAL_MEASURES 5

/* The index among input->plans of the version of plan name in force at
   at (UTC ms), or -1. */
long incentive_statement_internal_version (const incentive_statement_input_t *input,
                                           const char *name, int64_t at);

/* The rep's assignment in plan (named, or by its role: whole periods), or
   NULL when the plan does not apply to the rep. */
const incentive_plan_rep_t *incentive_statement_internal_assignment (const incentive_plan_t *plan,
                                                                     const char *rep_id,
                                                                     const char *role);

/* A credit a plan paid, as its true-up window sees it. */
typedef struct {
    const char *plan;                                     /* the plan's name (borrowed) */
    int64_t occurred_at;                                  /* the deal's time, UTC ms */
    int64_t moves[INCENTIVE_STATEMENT_INTERNAL_MEASURES]; /* what it moved, by measure */
    int64_t paid;         /* Σ of its component lines (SPIFFs excluded), minor units */
    bool cancelled;       /* cancelled by the statement's period end */
    int64_t cancelled_at; /* the cancellation's time (when cancelled) */
    int64_t clawed;       /* Σ of the clawbacks of those lines (when cancelled) */
} incentive_statement_internal_paid_t;

/* The true-up lines (docs/incentives.md, "True-up") of every window of
   a plan with "true_up" whose last period is at or before through: for
   each plan name and window (a quarter or year) holding credits of paid
   (count, in (occurred_at, event id) order), where the version in force
   at the window's last instant has "true_up" of that window, pays per
   input->kind and names the rep: what that version's tables earn on the
   window's cumulative measures (its credits not cancelled within it)
   minus what the window paid on them (their component lines, and the
   clawbacks of those cancelled within it). Lines of 0 are left out.
   *lines malloc'd (the caller frees; NULL when none), their text in
   text, *line_count set. Returns 0, or -1 with the reason. */
int incentive_statement_internal_true_ups (const incentive_statement_input_t *input,
                                           const sp_period_t *through,
                                           const incentive_statement_internal_paid_t *paid,
                                           size_t count, incentive_ledger_text_t *text,
                                           incentive_ledger_line_t **lines, size_t *line_count,
                                           char *error, size_t error_size);

/* Every line of the rep as it is worth now (earnings, clawbacks, payment
   holds and releases), of every period up to period (a label of
   input->kind), before closed periods and the ledger: what a statement
   compares with what closed periods paid. *lines is malloc'd (the caller
   frees it; NULL when *count is 0), their text in *text (the caller
   destroys it; NULL when *count is 0). Returns 0, or -1 with the reason. */
int incentive_statement_internal_lines (const incentive_statement_input_t *input,
                                        const char *period, incentive_ledger_line_t **lines,
                                        incentive_ledger_text_t **text, size_t *count, char *error,
                                        size_t error_size);

/* What closed periods paid on one line id (the line itself, and later
   closed periods' adjustments linked to it). */
typedef struct {
    char id[INCENTIVE_LEDGER_ID_SIZE];
    int64_t amount;
    bool seen; /* a current line has this id */
} incentive_statement_paid_t;

typedef struct {
    incentive_statement_paid_t *items;
    size_t count;
    size_t capacity;
} incentive_statement_paid_list_t;

/* A line id from text: itself when it fits a posted line, otherwise its
   first bytes and a hash of the whole, so ids stay unique and short;
   kept in store, or written into id (INCENTIVE_LEDGER_ID_SIZE bytes). */
const char *incentive_statement_internal_line_id (incentive_ledger_text_t *store, const char *text);
void incentive_statement_internal_line_id_write (char *id, const char *text);

/* Posts the stored lines of closed's statement into ledger (derived lines
   are left to the ledger) and appends to paid what each paid per line id.
   Returns 0, or -1 with the reason. */
int incentive_statement_internal_closed_lines (incentive_ledger_t *ledger,
                                               const incentive_statement_closed_t *closed,
                                               incentive_statement_paid_list_t *paid, char *error,
                                               size_t error_size);

/* Sorts paid by id and sums the entries of one id; then find by id
   (NULL when absent). */
void incentive_statement_internal_paid_merge (incentive_statement_paid_list_t *paid);
incentive_statement_paid_t *
incentive_statement_internal_paid_find (incentive_statement_paid_list_t *paid, const char *id);

/* Posts, in open_label's period, an adjustment of what line is worth now
   (NULL: nothing) against what was paid for id (NULL: nothing): "late"
   when nothing was paid, "correction" otherwise, linked to id, the
   reason in currency's major units. Returns 0, or -1 with the reason. */
int incentive_statement_internal_delta (incentive_ledger_t *ledger,
                                        const incentive_ledger_line_t *line,
                                        const incentive_statement_paid_t *paid, const char *id,
                                        const char *open_label, const char *currency, char *error,
                                        size_t error_size);

/* ---------------------------------------------------------------- lines and their text */

/* A growing list of lines. */
typedef struct {
    incentive_ledger_line_t *items;
    size_t count;
    size_t capacity;
    incentive_ledger_text_t *text; /* the text of the lines, NULL until the first */
} incentive_statement_line_list_t;

/* A line appended to lines (incentive_ledger_line_init), or NULL when
   out of memory. Its text goes in lines->text, which remembers when
   memory ran out for it (incentive_ledger_text_failed). */
incentive_ledger_line_t *
incentive_statement_internal_line_add (incentive_statement_line_list_t *lines);

/* Makes room at once in lines for the lines credits (count) of input are
   expected to make (a guess, not a bound), when memory allows. */
void incentive_statement_internal_line_reserve (const incentive_statement_input_t *input,
                                                incentive_statement_line_list_t *lines,
                                                size_t credits);

/* Asks for the whole 2 MiB pages of bytes (size) to be huge pages: a
   hint, nothing changes where the system does not take it. */
void incentive_statement_internal_advise_huge (void *bytes, size_t size);

/* The band text of a line ("[0.00,5000.00)+[5000.00,10000.00)"), kept
   for the next lines of the same bands: one text per tier, not per line. */
typedef struct {
    const incentive_rates_table_t *table; /* NULL: the entry is empty */
    int decimals;                         /* of the plan's currency */
    int64_t scale;                        /* of the measure's unit */
    size_t part_count;                    /* bands of the line, 0: none */
    size_t first;                         /* the first band's index */
    bool below_gate;                      /* without bands: below the gate */
    char text[INCENTIVE_LEDGER_NAME_SIZE];
    const char *kept; /* text kept in the store of the build's lines */
} incentive_statement_band_text_t;

/* Entries of the band text cache. */
#define INCENTIVE_STATEMENT_BAND_TEXTS 8

/* Entries of the rule id cache (a credit's component and SPIFF lines
   alternate). */
#define INCENTIVE_STATEMENT_RULE_TEXTS 4

/* The texts an earning line shares with the earning lines before it,
   kept in store (NULL: none yet): its credit's event id and deal, its
   period, its plan version and rule id. Keys are the credit, version
   and rule pointers the build holds (stable while it computes) and the
   period's label. */
typedef struct {
    const incentive_ledger_text_t *store; /* where the texts below are kept */
    const incentive_record_credit_t *credit;
    const char *event_id;
    const char *deal;
    char label[SP_PERIOD_LABEL_SIZE];
    const char *period;
    const incentive_statement_plan_t *version;
    const char *plan_version;
    const char *rules[INCENTIVE_STATEMENT_RULE_TEXTS]; /* the rule ids as given */
    const char *rule_ids[INCENTIVE_STATEMENT_RULE_TEXTS];
    size_t next_rule; /* the entry the next new rule replaces */
} incentive_statement_shared_t;

/* The band texts of a statement's build and the texts its lines share
   (zeroed: empty). */
typedef struct {
    incentive_statement_band_text_t texts[INCENTIVE_STATEMENT_BAND_TEXTS];
    size_t next; /* the entry the next new text replaces */
    incentive_statement_shared_t shared;
} incentive_statement_bands_t;

/* Fills line (incentive_ledger_line_init) as the earning line of credit
   for version's rule in period, its text in store: id, period, event,
   deal, measure, base, amount and the explanation of result (bands from
   the bands cache, whose texts are kept in store). */
void incentive_statement_internal_earning (
    incentive_ledger_line_t *line, incentive_ledger_text_t *store,
    incentive_statement_bands_t *bands, const incentive_record_credit_t *credit,
    const sp_period_t *period, const incentive_statement_plan_t *version, const char *rule,
    const incentive_rates_table_t *table, incentive_plan_measure_t measure, int64_t base,
    const incentive_rates_result_t *result);

/* What a payment trigger did to an earning line of a credit. */
typedef struct {
    bool held;        /* paid only as payments are received */
    int64_t released; /* Σ of its release lines */
    int64_t part;     /* the deal paid to date, capped at whole */
    int64_t whole;    /* the deal's amount (1 for a deal of 0) */
} incentive_statement_release_t;

/* Appends to lines the clawbacks of cancel: one per earning line of its
   won deal (lines [first_line, end_line), releases[i - first_line] for
   each). Returns 0, or -1 with the reason. */
int incentive_statement_internal_clawbacks (const incentive_statement_input_t *input,
                                            incentive_statement_line_list_t *lines,
                                            const incentive_record_cancel_t *cancel,
                                            size_t first_line, size_t end_line,
                                            const incentive_statement_release_t *releases,
                                            char *error, size_t error_size);

/* Appends to lines the holds of the held earning lines of credit
   ([first_line, end_line)) and their releases by the payments of its
   deal (payments: count, in incentive_statement_internal_compare_payment
   order) before its cancellation (NULL: none). Returns 0, or -1 with the
   reason. */
int incentive_statement_internal_releases (const incentive_statement_input_t *input,
                                           incentive_statement_line_list_t *lines,
                                           const incentive_record_credit_t *credit,
                                           const incentive_record_cancel_t *cancel,
                                           size_t first_line, size_t end_line,
                                           incentive_statement_release_t *releases,
                                           const incentive_record_payment_t *const *payments,
                                           size_t payment_count, char *error, size_t error_size);

/* qsort orders: payments (pointers) by deal, then (occurred_at, event
   id); cancellations (pointers) by won event id. */
int incentive_statement_internal_compare_payment (const void *left, const void *right);
int incentive_statement_internal_compare_cancel (const void *left, const void *right);

/* The cancellation of won_event_id among cancels (count, sorted by won
   event id), or NULL. */
const incentive_record_cancel_t *
incentive_statement_internal_cancel_of (const incentive_record_cancel_t *const *cancels,
                                        size_t count, const char *won_event_id);

/* ---------------------------------------------------------------- a build
   (incentive_statement.c computes it, incentive_statement_write.c writes
   its document) */

/* Room for why a deal was not credited. */
#define INCENTIVE_STATEMENT_INTERNAL_REASON_SIZE 192

/* A deal of the statement's period that no plan paid. */
typedef struct {
    char event_id[INCENTIVE_RECORD_REF_SIZE];
    char reason[INCENTIVE_STATEMENT_INTERNAL_REASON_SIZE];
} incentive_statement_internal_unpaid_t;

/* A period of the statement's kind and its local days, kept while the
   credits walked in time order fall in it. */
typedef struct {
    bool known;         /* period is set */
    sp_period_t period; /* of the statement's kind */
    int64_t first_day;  /* the local day of its start */
    int64_t end_day;    /* the local day of its end (the next period's first) */
} incentive_statement_internal_cut_t;

/* Everything a build makes. */
typedef struct {
    const incentive_statement_input_t *input;
    sp_period_t period;                      /* the statement's */
    bool has_open;                           /* some period is closed: adjustments go to open */
    sp_period_t open;                        /* the first period after the last closed one */
    incentive_statement_line_list_t current; /* every line as it is worth now */
    incentive_statement_paid_list_t paid;    /* what closed periods paid, by line id */
    incentive_statement_internal_unpaid_t *unpaid; /* deals of the period no plan paid */
    size_t unpaid_count;
    size_t unpaid_capacity;
    char (*used)[INCENTIVE_LEDGER_NAME_SIZE]; /* plan versions that computed a line */
    size_t used_count;
    size_t used_capacity;
    incentive_statement_bands_t bands;      /* band text of the bands last explained */
    incentive_statement_internal_cut_t cut; /* the period of the credit last cut */
    char *error;
    size_t error_size;
} incentive_statement_internal_build_t;

/* Builds the statement of period label into a ledger statement: NULL with
   the reason in build; *stored the closed period's stored document, if it
   is one. build holds input, error and error_size, the rest zeroed. */
incentive_ledger_statement_t *
incentive_statement_internal_build (incentive_statement_internal_build_t *build, const char *label,
                                    const char **stored);

/* Frees what a build made (not the build itself). */
void incentive_statement_internal_build_free (incentive_statement_internal_build_t *build);

#endif
