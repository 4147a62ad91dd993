/*  churn_reference - the health model churn-alerting and its queries use,
    read from PostgreSQL (docs/reference-data.md, docs/health-model.md).

    Of the documents of kind "health" the one loaded last (the highest
    revision among the latest versions of every name) is in force; when
    none is loaded, the built-in default model {"name": "default"}
    (version 0, revision 0) is.

    Tiers are not read here: they come from the "customers" reference data
    of kpi-evaluator, and the customer state does not depend on them (the
    score does; docs/churn-alerting.md, "Tiers").
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

/* The kinds churn-alerting watches (a new version rebuilds the state). */
extern const char *const churn_reference_kinds[];
#define CHURN_REFERENCE_KIND_COUNT 1

typedef struct _churn_reference_t churn_reference_t;

/* Reads the model in force. Returns it, or NULL with the reason (a
   stored document that does not read names its name and version). */
churn_reference_t *churn_reference_load (sp_pg_t *pg, char *error, size_t error_size);

/* Destroys it; no-op on NULL; sets *self_p to NULL. */
void churn_reference_destroy (churn_reference_t **self_p);

/* The model (borrowed, valid while self lives). */
const churn_model_t *churn_reference_model (const churn_reference_t *self);

/* The stored version and revision of the model; 0 for the built-in one. */
int64_t churn_reference_version (const churn_reference_t *self);
int64_t churn_reference_revision (const churn_reference_t *self);

/* {"health": {"<name>": version}} ({} inside for the built-in model) for
   salesctl status; NULL when out of memory. */
json_t *churn_reference_definitions (const churn_reference_t *self);

#endif
