/*  funnel_handler - funnel-tracker's consumer handler: applies one sales
    event to every funnel it matches.

    For each funnel of the catalog whose steps the event matches and whose
    entity (opportunity or customer) the event names, the handler takes
    the entity's kept state, adds the event as a hit (funnel_entity),
    re-evaluates the entity's whole history and writes the difference
    between its old and new contribution to the funnel's results
    (funnel_apply), together with the entity's new state (SET), in the
    consumer's atomic step. A late event therefore re-evaluates the
    entity exactly as if it had come in order. A strict_order sequence
    funnel also keeps the entity's events of its event types that match no
    step (funnel_definition_unmatched_row): windowFunnel's strict_order
    stops a chain at such a row, so the evaluator must see it. Other
    funnels ignore events that match no step, as before.

    Reads. Before a run of events (sp_consumer_begin_fn) the handler
    declares the key of every entity the run touches; the consumer reads
    them in one round trip into its view (sp_consumer_view), and the
    handler reads and writes entity states there, so the second event of
    an entity in the same step sees the first one's effect before Redis
    does. The handler does no I/O. It keeps each entity's decoded record
    and contribution with the key (the view's decoded slot), so a record
    is parsed and evaluated once per run. The view is dropped after the
    run: a run that was not applied (lease lost, checkpoint moved) leaves
    nothing behind, and the consumer drops the writes of an event whose
    handling fails from the view and the step together.

    Metrics: salespulse_funnel_hits_total{funnel} (events counted in a
    funnel: rows matching no step are not),
    salespulse_funnel_hits_refused_total{funnel} (hits and rows beyond
    FUNNEL_ENTITY_MAX_HITS of one sequence-funnel entity),
    salespulse_funnel_events_without_entity_total{funnel} (matched events
    that do not name the funnel's entity).
*/
#ifndef FUNNEL_HANDLER_H_INCLUDED
#define FUNNEL_HANDLER_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "funnel_catalog.h"
#include "sp_consumer.h"
#include "sp_metrics.h"
#include "sp_tz.h"

typedef struct _funnel_handler_t funnel_handler_t;

/* A handler for the catalog's funnels (borrowed, must outlive it),
   cutting periods in tz (borrowed), summing money in currency (ISO-4217,
   copied). metrics may be NULL. Returns NULL with the reason on
   failure. */
funnel_handler_t *funnel_handler_new (const funnel_catalog_t *catalog, const sp_tz_t *tz,
                                      const char *currency, sp_metrics_t *metrics, char *error,
                                      size_t error_size);
void funnel_handler_destroy (funnel_handler_t **self_p);

/* The sp_consumer handler (arg is the funnel_handler_t). */
sp_consumer_handler_t funnel_handler_consumer (funnel_handler_t *self);

/* The two functions behind it, public for tests. */
int funnel_handler_begin (void *self, uint32_t partition, const sp_consumer_event_t *events,
                          size_t count, sp_consumer_view_t *view, char *error,
                          size_t error_size);
int funnel_handler_apply (void *self, const sp_consumer_event_t *event, sp_consumer_view_t *view,
                          sp_consumer_batch_t *batch, char *error, size_t error_size);

#endif
