/*  kpi_customers - the customers kpi-evaluator knows about: each one's
    tier (for the high-value visit share: visits to tier-A customers over
    all visits) and owning rep (so that a survey that names no rep is
    credited to the customer's owner). docs/org.md, "Customers".

    A reference data document of kind "customers":

        { "name": "accounts",
          "customers": [ { "id": "Acme Corporation", "tier": "A",
                           "owner": "Anna Snelling" } ] }

    This object reads and validates it, writes its canonical form, and
    looks customers up by id in O(log n) without allocating (kept sorted
    by id, byte order). Every refusal names the JSON path of the offending
    value, and both paths for a duplicate id. Pure: no I/O, no global
    state.
*/
#ifndef KPI_CUSTOMERS_H_INCLUDED
#define KPI_CUSTOMERS_H_INCLUDED

#include <stddef.h>

#include "sp_refdata.h"

/* Longest customer id and owner (rep) id, in bytes of UTF-8 without
   control characters: an event's customer_id is at most as long. */
#define KPI_CUSTOMERS_ID_MAX 128

/* Most customers in a document. */
#define KPI_CUSTOMERS_MAX 1000000

/* Room for any error message of this module. */
#define KPI_CUSTOMERS_ERROR_SIZE 256

typedef struct _kpi_customers_t kpi_customers_t;

/* The reference data kind: "customers" of kpi-evaluator; a new version
   rebuilds the actuals; not effective-dated. */
extern const sp_refdata_kind_t kpi_customers_kind;

/* sp_refdata_check_fn of the kind: validates text (length bytes) and
   gives its name and malloc'd canonical JSON (keys sorted, compact,
   customers sorted by id, an absent owner left out). Returns 0, or -1
   with the reason. */
int kpi_customers_check (const char *text, size_t length, char *name, size_t name_size,
                         char **canonical, char *error, size_t error_size);

/* Reads and validates customers from length bytes of JSON text. Returns
   NULL with the reason in error when the text is not valid or memory
   runs out. */
kpi_customers_t *kpi_customers_new (const char *text, size_t length, char *error,
                                    size_t error_size);

/* Destroys the object; no-op on NULL; sets *self_p to NULL. */
void kpi_customers_destroy (kpi_customers_t **self_p);

/* The canonical JSON form (see kpi_customers_check): malloc'd, the
   caller frees; NULL when out of memory. */
char *kpi_customers_to_json (const kpi_customers_t *self);

/* The document's name. */
const char *kpi_customers_name (const kpi_customers_t *self);

/* A customer's tier, 'A', 'B' or 'C'; 0 when self is NULL, id is NULL or
   the customer is unknown. */
char kpi_customers_tier (const kpi_customers_t *self, const char *id);

/* A customer's owning rep id (borrowed, valid while self lives); NULL
   when self is NULL, id is NULL, the customer is unknown or has no
   owner. */
const char *kpi_customers_owner (const kpi_customers_t *self, const char *id);

/* Listing, in id order: the count, and the id of the customer at index
   (< count, asserted). */
size_t kpi_customers_count (const kpi_customers_t *self);
const char *kpi_customers_id (const kpi_customers_t *self, size_t index);

#endif
