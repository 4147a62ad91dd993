/*  churn_scorer_actor - churn-alerting's scorer on a thread of its own.

    A CZMQ actor owning the scorer (churn_scorer) and all it uses: its
    own reactor (the scoring timer, the day closes' evaluations), its own
    PostgreSQL and Redis connections and the alerts' PUB socket. So a
    scoring pass (a day close of 500 customers: tens of ms; a first
    scoring: seconds) never holds up the consumer's apply, and one pass
    runs at a time (one thread, one reactor). The consumer's thread
    (churn_alerting: the handler's hooks, the reference data watch)
    talks to it without waiting for it:

        a day close    churn_scorer_actor_day_closed: the latest day per
                       partition in an atomic slot, and "WAKE" on the
                       pipe unless one is queued already (at most one is:
                       the consumer never blocks on the pipe)
        a customer     churn_scorer_actor_customer_added: an atomic flag
                       of the scorer's (churn_scorer_customer_added)
        a new model    churn_scorer_actor_set_reference: "MODEL" and the
                       model (borrowed); the model it replaces is kept
                       until the actor answers "RETIRED" (it took the new
                       one, between two passes), then destroyed
        stop           churn_scorer_actor_destroy: sets the stopping flag
                       (a pass under way ends after its transaction, its
                       alerts published), "$TERM", and waits for the
                       thread to end (it closes its socket and
                       connections first)

    The pipe's messages (zsock_send pictures):

        service -> actor   "s"   "WAKE"
        service -> actor   "sp"  "MODEL", const churn_reference_t *
        actor -> service   "s"   "RETIRED"
*/
#ifndef CHURN_SCORER_ACTOR_H_INCLUDED
#define CHURN_SCORER_ACTOR_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "churn_reference.h"
#include "sp_service.h"

typedef struct _churn_scorer_actor_t churn_scorer_actor_t;

/* Starts the scorer's thread on a started service: connects its own
   PostgreSQL and Redis, creates the scorer (churn_scorer_new: its
   settings, the PUB socket, the metrics, the timer) and returns once
   it runs. reference is the model in force (borrowed until
   churn_scorer_actor_set_reference replaces it). Returns NULL with the
   reason in error (the thread ended). */
churn_scorer_actor_t *churn_scorer_actor_new (sp_service_t *service, uint32_t partitions,
                                              const churn_reference_t *reference, char *error,
                                              size_t error_size);

/* Ends a pass under way after its transaction, stops the thread and
   waits for it to end, frees the models retired; no-op on NULL. */
void churn_scorer_actor_destroy (churn_scorer_actor_t **self_p);

/* The scorer scores under reference (borrowed) from its next pass on
   (churn_scorer_set_reference). The actor takes *retired_p, the model
   reference replaces, and destroys it once the scorer no longer uses
   it. Does not wait. */
void churn_scorer_actor_set_reference (churn_scorer_actor_t *self,
                                       const churn_reference_t *reference,
                                       churn_reference_t **retired_p);

/* churn_scorer_day_closed on the scorer's thread, soon. Does not wait. */
void churn_scorer_actor_day_closed (churn_scorer_actor_t *self, uint32_t partition, int64_t day);

/* churn_scorer_customer_added (an atomic flag). Does not wait. */
void churn_scorer_actor_customer_added (churn_scorer_actor_t *self, uint32_t partition);

#endif
