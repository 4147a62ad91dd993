/*  kpi_targets - the "targets" reference data kind: per (org node, KPI,
    period) a floor, a target and a stretch (docs/targets.md).

    An operator loads one JSON document per plan ("fy2017"). This object
    reads and validates it, expands every spread (a period's target over
    its quarters, months or ISO weeks: even by periods, calendar days or
    business days, or by explicit seasonal weights) and every
    decomposition (a parent node's target over its children by weights),
    and answers "what is the target of this node, KPI and period". Every
    split is exact in integers: the parts always add up to the whole, the
    remainder going by the largest-remainder rule.

    It also computes the carried shortfall (a bad April raises May), the
    business days of a span per the document's calendar, and the add-up
    check (children whose targets do not add up to their parent's) for
    the caller to log as warnings.

    Every refusal names the JSON path and the reason, such as
        field "targets[3].spread.weights": 4 weights for 12 months of 2017
    and refuses the whole document: nothing partial is kept.

    Pure: no I/O, no global state. Periods are local calendar dates (the
    labels of sp_period); no time zone is needed here.
*/
#ifndef KPI_TARGETS_H_INCLUDED
#define KPI_TARGETS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_refdata.h"

/* Longest document name, bytes of [a-z0-9_-]. */
#define KPI_TARGETS_NAME_MAX 63

/* Most entries after every spread and decomposition is expanded. */
#define KPI_TARGETS_MAX 100000

/* Longest id of a region, team or rep, bytes. */
#define KPI_TARGETS_ID_MAX 128

/* Bytes of a node ("region:" + id) with its terminator. */
#define KPI_TARGETS_NODE_SIZE 136

/* Bytes of a period label with its terminator, longest "2017-W05". */
#define KPI_TARGETS_LABEL_SIZE 16

/* Most children of one decomposition; most weeks, months or quarters one
   period spreads to (the ISO weeks of a long year). */
#define KPI_TARGETS_CHILDREN_MAX 1000
#define KPI_TARGETS_SUBPERIODS_MAX 53

/* Range of one weight, in a spread or a decomposition. */
#define KPI_TARGETS_WEIGHT_MIN 1
#define KPI_TARGETS_WEIGHT_MAX 1000000

/* Most holidays in the business-day calendar. */
#define KPI_TARGETS_HOLIDAYS_MAX 4096

/* Room for an error message of kpi_targets_new / _check, and for an
   add-up warning. */
#define KPI_TARGETS_ERROR_SIZE 256
#define KPI_TARGETS_MESSAGE_SIZE 512

typedef struct _kpi_targets_t kpi_targets_t;

/* The reference data kind: .kind "targets", .service "kpi-evaluator",
   .change SP_REFDATA_FORWARD, not effective-dated, .check
   kpi_targets_check. */
extern const sp_refdata_kind_t kpi_targets_kind;

/* One target; values in the KPI's unit (kpi_catalog.h). */
typedef struct {
    int64_t floor, target, stretch;      /* least acceptable, the target, the stretch goal */
    bool has_floor, has_stretch;         /* floor / stretch is set */
    bool carry;                          /* carried shortfall applies */
    bool has_carry_cap;                  /* carry_cap is set */
    int64_t carry_cap;                   /* most a period carries from earlier ones */
    bool derived;                        /* came from a spread, a decomposition, or (for a
                                            non-additive KPI) the enclosing period */
    char parent[KPI_TARGETS_LABEL_SIZE]; /* label of the period it was spread from ("" when
                                            not spread); carry runs over the earlier
                                            siblings under this parent */
} kpi_target_t;

/* One entry, explicit or derived, for listings. */
typedef struct {
    const char *node;                    /* "company", "region:<id>", ...; owned by the targets */
    const char *kpi;                     /* catalogue name */
    char period[KPI_TARGETS_LABEL_SIZE]; /* "2017", "2017-Q2", "2017-05", "2017-W05" */
    kpi_target_t target;                 /* its values */
} kpi_targets_entry_t;

/* sp_refdata_check_fn: validates a document (text, length bytes), writes
   its name and a malloc'd canonical JSON text (the caller frees). Returns
   0, or -1 with the reason in error. */
int kpi_targets_check (const char *text, size_t length, char *name, size_t name_size,
                       char **canonical, char *error, size_t error_size);

/* Reads, validates and expands a document. Returns NULL with the reason
   in error (see the header comment). */
kpi_targets_t *kpi_targets_new (const char *text, size_t length, char *error, size_t error_size);

/* Destroys; no-op on NULL, sets *self_p to NULL. */
void kpi_targets_destroy (kpi_targets_t **self_p);

/* The document's name and currency. */
const char *kpi_targets_name (const kpi_targets_t *self);
const char *kpi_targets_currency (const kpi_targets_t *self);

/* The canonical JSON form (the caller frees), NULL when out of memory:
   keys sorted, compact, defaults left out, amounts with the currency's
   decimals, targets sorted by node, KPI and period. */
char *kpi_targets_to_json (const kpi_targets_t *self);

/* The target of (node, kpi, period label); 0 found, 1 none. For a
   non-additive KPI without an entry of its own, the nearest enclosing
   period's target of the same node holds (a week's is the month holding
   its Thursday): then derived is true and parent names that period. */
int kpi_targets_get (const kpi_targets_t *self, const char *node, const char *kpi,
                     const char *period, kpi_target_t *out);

/* Labels of the sub-periods spread from the same parent that come before
   period, in order (for carry); returns how many were written (<=
   capacity). 0 when the entry is not a spread one. */
size_t kpi_targets_earlier (const kpi_targets_t *self, const char *node, const char *kpi,
                            const char *period, char (*labels)[KPI_TARGETS_LABEL_SIZE],
                            size_t capacity);

/* Carried shortfall: the effective target of a period given its earlier
   siblings' targets and actuals (in order). What a period carries is
   what the one before missed of its own effective target, never below 0
   and at most carry_cap when set:
       carried_0 = 0
       carried_i+1 = min (cap, max (0, carried_i + target_i - actual_i))
       effective = target + carried_count
   so a shortfall made up later is not carried twice, and a surplus is
   not banked. Without carry, the target. Saturates instead of
   overflowing. */
int64_t kpi_targets_carry (const kpi_target_t *target, const int64_t *earlier_targets,
                           const int64_t *earlier_actuals, size_t count);

/* Business days (per the document's calendar) among the local dates
   [first_day, end_day), days since 1970-01-01 (sp_civil_days_from_date). */
int64_t kpi_targets_business_days (const kpi_targets_t *self, int64_t first_day, int64_t end_day);

/* Children of node (its direct children in the org chart): writes at most
   capacity of them (borrowed until the next call) and returns how many
   it has. */
typedef size_t (kpi_targets_children_fn) (void *arg, const char *node, const char **children,
                                          size_t capacity);
typedef void (kpi_targets_warn_fn) (void *arg, const char *message);

/* Add-up check after a load: for every entry of an additive KPI whose
   node has children with entries of the same KPI and period, calls warn
   when their targets do not add up to it, e.g.
       targets: region:Central revenue 2017-Q2: children add up to
       240000.00, 10000.00 below the target 250000.00
   Returns the number of warnings. */
size_t kpi_targets_addup (const kpi_targets_t *self, kpi_targets_children_fn *children,
                          void *children_arg, kpi_targets_warn_fn *warn, void *warn_arg);

/* Entries, explicit and derived, sorted by node, KPI and period label;
   and the one at index (< size, asserted). */
size_t kpi_targets_size (const kpi_targets_t *self);
const kpi_targets_entry_t *kpi_targets_at (const kpi_targets_t *self, size_t index);

#endif
