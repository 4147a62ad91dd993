/*  kpi_handler - kpi-evaluator's consumer handler: turns each event into
    changes of the measures (kpi_catalog.h) of every scope it counts in
    (sp_org_scopes), per local day and month (kpi_keys.h), and keeps the
    records of opportunities, customers and visit plans (kpi_record.h).

    Events are credited to the rep_id they carry; an event counted on its
    own (a quote, visit, call, demo, survey, order or payment) without one
    goes to the customer's owner in the `customers` reference data, if
    any. Deal splits are incentive-calculator's business, not a KPI's. Amounts in the reporting
   currency are summed; others are counted apart. Days and months are cut in the service's time
   zone.

    Deterministic, no I/O: the records are read through the consumer's
    view (declared in begin) and written back with the step.
*/
#ifndef KPI_HANDLER_H_INCLUDED
#define KPI_HANDLER_H_INCLUDED

#include "kpi_customers.h"
#include "sp_org.h"
#include "sp_consumer.h"
#include "sp_tz.h"

typedef struct _kpi_handler_t kpi_handler_t;

/* A handler for the org and customers (borrowed, may be NULL: none
   loaded; they must outlive the handler), in time zone tz (borrowed),
   summing money in currency. Returns NULL when out of memory. */
kpi_handler_t *kpi_handler_new (const sp_org_t *org, const kpi_customers_t *customers,
                                const sp_tz_t *tz, const char *currency);

void kpi_handler_destroy (kpi_handler_t **self_p);

/* The consumer's view of the handler (begin and apply, arg self). */
sp_consumer_handler_t kpi_handler_consumer (kpi_handler_t *self);

#endif
