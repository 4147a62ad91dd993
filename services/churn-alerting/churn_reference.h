/*  churn_reference - the reference data churn-alerting and its queries
    use, read from PostgreSQL (docs/reference-data.md,
    docs/health-model.md):
      - health     the health model (churn_model.h); the customer state is
                   built for it, so a new version rebuilds the state;
      - customers  kpi-evaluator's kind, of which churn-alerting reads the
                   tiers (churn_tiers.h); the state does not depend on
                   them, only the scores do, so a new version is taken
                   without a rebuild (the state is restamped) and scores
                   the next periods.
    Of each kind the document loaded last (the highest revision among the
    latest versions of every name) is in force; with no health model
    loaded, the built-in default {"name": "default"} (version 0, revision
    0) is; with no customers document, no customer has a tier.
*/
#ifndef CHURN_REFERENCE_H_INCLUDED
#define CHURN_REFERENCE_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_model.h"
#include "sp_pg.h"

/* The text of the built-in model. */
#define CHURN_REFERENCE_DEFAULT_MODEL "{\"name\": \"default\"}"

/* The kinds churn-alerting watches: "health", then "customers". */
extern const char *const churn_reference_kinds[];
#define CHURN_REFERENCE_KIND_COUNT 2

typedef struct _churn_reference_t churn_reference_t;

/* Reads the model and the tiers in force. Returns them, or NULL with the
   reason (a stored document that does not read names its kind, name and
   version). */
churn_reference_t *churn_reference_load (sp_pg_t *pg, char *error, size_t error_size);

/* Destroys it; no-op on NULL; sets *self_p to NULL. */
void churn_reference_destroy (churn_reference_t **self_p);

/* The model (borrowed, valid while self lives). */
const churn_model_t *churn_reference_model (const churn_reference_t *self);

/* The customer's tier in the customers document in force ('A', 'B' or
   'C'), 0 when it has none or no document is loaded. */
char churn_reference_tier (const churn_reference_t *self, const char *customer);

/* The stored version of the model; 0 for the built-in one. */
int64_t churn_reference_version (const churn_reference_t *self);

/* The revision of what is in force: the largest of the model's and the
   customers document's (0: neither stored). The state is stamped with it
   and the watch compares it (sp_consumer_revise's revision). */
int64_t churn_reference_revision (const churn_reference_t *self);

/* The revision of the model alone: a state stamped before it is rebuilt
   (sp_consumer_revise's rebuild_revision; <= churn_reference_revision). */
int64_t churn_reference_rebuild_revision (const churn_reference_t *self);

/* {"health": {"<name>": version}, "customers": {"<name>": version}} ({}
   inside for the built-in model, or no customers document) for salesctl
   status; NULL when out of memory. */
json_t *churn_reference_definitions (const churn_reference_t *self);

#endif
