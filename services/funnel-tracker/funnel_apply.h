/*  funnel_apply - turns a change of one entity's contribution into Redis
    commands on the funnel's per-partition results (funnel_keys.h).

    The handler computes the entity's contribution before and after an
    event (funnel_entity.h); this object takes the old one away and adds
    the new one, as the net change only: counters that end where they
    were are not touched, a sorted-set member whose score is unchanged is
    not rewritten, and months and scopes are added to their index sets
    the first time the entity counts in them. Counter changes are summed
    into the consumer's atomic step (sp_consumer_batch_increment: one
    HINCRBY per field and step), the other writes added to it as commands,
    so they are applied together with the checkpoint. No I/O.

    Every command is one that cannot fail on keys of the right type
    (HINCRBY, ZADD, ZREM, SADD): a failing command would stop the atomic
    step half-way (sp_consumer_store.h). Sums are int64: amounts are at
    most 10^15 minor units (docs/events.md), so a sum holds at least 9,000
    such maximal amounts; real amounts are many orders of magnitude
    smaller; a sum that would leave int64 within a step fails the event
    rather than wrap. Nothing is written that a query can derive: the weighted
    pipeline is value × probability; the count behind a time, a sales
    cycle or a won amount is the size of its sorted set.
*/
#ifndef FUNNEL_APPLY_H_INCLUDED
#define FUNNEL_APPLY_H_INCLUDED

#include <stddef.h>

#include "funnel_definition.h"
#include "funnel_entity.h"
#include "sp_consumer_batch.h"

typedef struct _funnel_apply_t funnel_apply_t;

/* A reusable builder; NULL on out of memory. */
funnel_apply_t *funnel_apply_new (void);
void funnel_apply_destroy (funnel_apply_t **self_p);

/* Adds to batch (its partition's keys) the commands that replace old by
   updated as entity's contribution to definition's results. Returns the
   number of commands added, or -1 when a key does not fit or the batch
   is full (commands added by this call are then dropped). */
int funnel_apply_change (funnel_apply_t *self, sp_consumer_batch_t *batch,
                         const funnel_definition_t *definition, const char *entity,
                         const funnel_contribution_t *old, const funnel_contribution_t *updated);

#endif
