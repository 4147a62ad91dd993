/*  funnel_catalog - the funnels one funnel-tracker counts with.

    The service reads the latest version of every funnel loaded with
    `salesctl load funnel` (reference data of kind "funnel", migration
    0005, sp_refdata.h). When none is loaded it counts with the default
    funnel that ships with the project (deploy/funnels/default.json,
    compiled in as version 0, revision 0). A catalog is fixed once loaded:
    when a new version is loaded, the running service loads a new catalog
    and rebuilds its state under it (funnel_tracker.c), without a
    restart.

    funnel_catalog_kind describes the kind for the reference data kit
    and salesctl: a new version rebuilds, and funnel_catalog_check
    validates a document with funnel_definition's own rules.
*/
#ifndef FUNNEL_CATALOG_H_INCLUDED
#define FUNNEL_CATALOG_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "funnel_definition.h"
#include "sp_pg.h"
#include "sp_refdata.h"

/* Most funnels counted at once. */
#define FUNNEL_CATALOG_MAX 32

typedef struct _funnel_catalog_t funnel_catalog_t;

/* An empty catalog; NULL on out of memory. */
funnel_catalog_t *funnel_catalog_new (void);

/* Destroys the catalog and its definitions; no-op on NULL. */
void funnel_catalog_destroy (funnel_catalog_t **self_p);

/* Adds a definition (taken: *definition_p is set to NULL) as version.
   Returns 0, or -1 with the reason when the name is already in the
   catalog or it is full (the definition is then destroyed). */
int funnel_catalog_add (funnel_catalog_t *self, funnel_definition_t **definition_p,
                        int64_t version, char *error, size_t error_size);

/* Adds the latest version of every funnel in PostgreSQL, or the
   built-in default when none is loaded, and takes their revision.
   Returns 0, or -1 with the reason (query failed, a stored text no
   longer valid). */
int funnel_catalog_load (funnel_catalog_t *self, sp_pg_t *pg, char *error, size_t error_size);

/* The reference data revision the catalog was loaded at (0: built in,
   or made by hand). */
int64_t funnel_catalog_revision (const funnel_catalog_t *self);

/* The "funnel" kind of reference data. */
extern const sp_refdata_kind_t funnel_catalog_kind;

/* sp_refdata_check_fn of the kind: validates a funnel definition
   (funnel_definition_new), gives its name and canonical JSON text. */
int funnel_catalog_check (const char *text, size_t length, char *name, size_t name_size,
                          char **canonical, char *error, size_t error_size);

/* Adds the built-in default funnel as version 0. 0 or -1 as above. */
int funnel_catalog_add_default (funnel_catalog_t *self, char *error, size_t error_size);

/* The built-in default funnel's JSON text (deploy/funnels/default.json). */
const char *funnel_catalog_default_json (void);

/* Funnels in the catalog, and the one at index (< size, asserted). */
size_t funnel_catalog_size (const funnel_catalog_t *self);
const funnel_definition_t *funnel_catalog_definition (const funnel_catalog_t *self, size_t index);
int64_t funnel_catalog_version (const funnel_catalog_t *self, size_t index);

/* The funnel named name, or NULL. */
const funnel_definition_t *funnel_catalog_find (const funnel_catalog_t *self, const char *name,
                                                size_t *index);

#endif
