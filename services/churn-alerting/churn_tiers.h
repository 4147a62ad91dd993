/*  churn_tiers - the customer tiers churn-alerting scores with: which of
    A, B, C each customer is, read from the "customers" reference data
    (docs/health-model.md, "Tiers").

    The kind belongs to kpi-evaluator (kpi_customers.h): it validates a
    document when `salesctl load customers` stores it, and stores its
    canonical form:

        { "customers": [ { "id": "Acme Corporation", "owner": "...",
                           "tier": "A" } ], "name": "accounts" }

    churn-alerting reads that stored form without linking kpi-evaluator's
    code: only "customers", and of each one "id" and "tier"; other keys
    (the name, owners, what kpi-evaluator may add) are left to their
    owner. It still refuses a document it cannot use, naming the JSON
    path: no "customers" array, a customer without a string id of
    1..CHURN_TIERS_ID_MAX bytes, a tier that is not "A", "B" or "C", an id
    given twice. Lookups by id are binary searches over the ids sorted
    bytewise, without allocating. Pure: no I/O.
*/
#ifndef CHURN_TIERS_H_INCLUDED
#define CHURN_TIERS_H_INCLUDED

#include <stddef.h>

/* Longest customer id, bytes (an event's customer_id, and kpi-evaluator's
   KPI_CUSTOMERS_ID_MAX). */
#define CHURN_TIERS_ID_MAX 128

/* Room for an error message of churn_tiers_new. */
#define CHURN_TIERS_ERROR_SIZE 256

typedef struct _churn_tiers_t churn_tiers_t;

/* Reads the tiers of a customers document (text, length bytes). Returns
   them, or NULL with the reason in error. */
churn_tiers_t *churn_tiers_new (const char *text, size_t length, char *error, size_t error_size);

/* Destroys them; no-op on NULL; sets *self_p to NULL. */
void churn_tiers_destroy (churn_tiers_t **self_p);

/* The customer's tier, 'A', 'B' or 'C'; 0 (no tier: the model's default
   weights and bands) when self is NULL or the customer is not listed. */
char churn_tiers_tier (const churn_tiers_t *self, const char *customer);

/* Customers listed. */
size_t churn_tiers_count (const churn_tiers_t *self);

#endif
