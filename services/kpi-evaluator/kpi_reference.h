/*  kpi_reference - the reference data kpi-evaluator and its queries use,
    read from PostgreSQL (docs/reference-data.md):
      - org        the org chart (sp_org.h); actuals follow it, so a new
                   version rebuilds the state;
      - customers  tiers and owners (kpi_customers.h); rebuilds too;
      - targets    floors, targets and stretches (kpi_targets.h); read by
                   the queries only, a new version applies at once;
      - scorecard  weights and pace thresholds (kpi_scorecard.h); same.
    Of org, customers and scorecard the document loaded last (the highest
    revision among the latest versions of every name) is in force. Every
    targets document is in force: a (node, KPI, period) is looked up in
    them from the one loaded last to the first, and the first that has it
    answers.
*/
#ifndef KPI_REFERENCE_H_INCLUDED
#define KPI_REFERENCE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpi_customers.h"
#include "sp_org.h"
#include "kpi_scorecard.h"
#include "kpi_targets.h"
#include "sp_pg.h"

typedef struct _kpi_reference_t kpi_reference_t;

/* Which kinds to read. */
#define KPI_REFERENCE_ORG 1u
#define KPI_REFERENCE_CUSTOMERS 2u
#define KPI_REFERENCE_TARGETS 4u
#define KPI_REFERENCE_SCORECARD 8u
#define KPI_REFERENCE_ALL 15u
/* With TARGETS: every version of the targets documents too, for the
   target as first loaded (kpi_reference_first_target). */
#define KPI_REFERENCE_HISTORY 16u

/* The kinds whose change rebuilds the state (org, customers). */
extern const char *const kpi_reference_rebuild_kinds[];
#define KPI_REFERENCE_REBUILD_KIND_COUNT 2

/* Reads the latest documents of the kinds in mask. Returns NULL with the
   reason (a document that does not parse names its kind, name and
   version). */
kpi_reference_t *kpi_reference_load (sp_pg_t *pg, unsigned mask, char *error, size_t error_size);

void kpi_reference_destroy (kpi_reference_t **self_p);

/* The documents in force, NULL when none is loaded (borrowed). */
const sp_org_t *kpi_reference_org (const kpi_reference_t *self);
const kpi_customers_t *kpi_reference_customers (const kpi_reference_t *self);
const kpi_scorecard_t *kpi_reference_scorecard (const kpi_reference_t *self);

/* The largest revision among the org and customers documents read (0:
   none), what the state is stamped with. */
int64_t kpi_reference_revision (const kpi_reference_t *self);

/* {"org": {"<name>": version}, "customers": {...}} for salesctl status. */
json_t *kpi_reference_definitions (const kpi_reference_t *self);

/* The target of (node, kpi, period label) in the targets documents (see
   above): 0 found, with *document (may be NULL) the document that has
   it; 1 none. */
int kpi_reference_target (const kpi_reference_t *self, const char *node, const char *kpi,
                          const char *period, kpi_target_t *target, const kpi_targets_t **document);

/* The target of (node, kpi, period) as it was first loaded: from the
   earliest version of any targets document that had it (the target
   before later versions adjusted it). 0 found, 1 none (or the history
   was not read). */
int kpi_reference_first_target (const kpi_reference_t *self, const char *node, const char *kpi,
                                const char *period, kpi_target_t *target);

/* The add-up check of a targets document against the org loaded last
   (kpi_targets_addup: children whose targets do not add up to their
   parent's): calls warn for each difference and sets *warnings to their
   number; no org loaded, no children, no warning. Returns 0, or -1 with
   the reason (the org could not be read). */
int kpi_reference_targets_addup (sp_pg_t *pg, const kpi_targets_t *targets,
                                 kpi_targets_warn_fn *warn, void *arg, size_t *warnings,
                                 char *error, size_t error_size);

/* The targets document loaded last (its business-day calendar counts
   working days), NULL when none is loaded. */
const kpi_targets_t *kpi_reference_calendar (const kpi_reference_t *self);

#endif
