/*  sp_notifier - the live side of an outbox stream of condition
    transitions: a timer on the service's reactor that, every interval,
    judges the service's settled results and publishes what changed
    (funnel-tracker's bottleneck notices, kpi-evaluator's pace warnings;
    docs/consumer.md, "The outbox").

        sp_notifier_spec_t spec = { .stream = "funnel-notices", ..., .evaluate = s_evaluate,
                                    .arg = self };
        self->notifier = sp_notifier_new (service, &spec, partitions, interval_ms, endpoints,
                                          send_hwm, error, size);

    Each evaluation: the results must be settled (sp_settled.h: they hold
    what the log held at the previous evaluation, under the revision in
    force), else it is put off and counted (an owner with evaluate_each
    is told which partitions are settled and judges those, the others
    put off); then the owner's evaluate
    judges every condition, stores each transition (sp_outbox_store.h)
    and, when its transaction wrote it, publishes it after the commit
    with sp_notifier_publish. A send that fails is logged, not retried:
    subscribers repair the gap from PostgreSQL. A failed evaluation is
    logged once until one succeeds again, and retried every interval.

    Metrics (names the owner's): published{state}, evaluations, errors,
    deferred, and the gauge of conditions firing at the last evaluation.
    The PUB socket is the stream's sp_outbox.
*/
#ifndef SP_NOTIFIER_H_INCLUDED
#define SP_NOTIFIER_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_service.h"

/* Judges every condition, storing and publishing the transitions. Sets
   *firing to the conditions firing now. Returns the transitions this
   instance wrote, or -1 with the reason in error (those written before
   stay written and published). */
typedef int (sp_notifier_evaluate_fn) (void *arg, size_t *firing, char *error, size_t error_size);

/* The same, for an owner that judges each partition's results on its own
   (churn-alerting's scorer): settled[p] says whether partition p's
   results are settled (sp_settled_observe_each); the owner judges those
   only. Called when every partition is settled, or when at least one is
   and every one was at a check since the notifier started or took a new
   revision (a start or a rebuild replays every partition: none is
   judged until all are done, as with evaluate). */
typedef int (sp_notifier_evaluate_each_fn) (void *arg, const bool *settled, size_t *firing,
                                            char *error, size_t error_size);

/* What the owner's stream is called and does. Strings are borrowed for
   the notifier's life (literals). */
typedef struct {
    const char *stream;                /* the outbox stream: "funnel-notices" */
    const char *consumer;              /* the consumer service judged: "funnel-tracker" */
    const char *option;                /* the flag of the PUB endpoints, in errors: "notices" */
    const char *noun;                  /* one message: "notice" ("the notice timer") */
    const char *nouns;                 /* messages: "notices" ("the notices socket", notices=3) */
    const char *kind;                  /* one message in logs: "funnel notice" */
    const char *kinds;                 /* messages in logs: "funnel notices" */
    const char *published_metric;      /* counter of messages published, by state */
    const char *published_help;        /* its help */
    const char *evaluations_metric;    /* counter of evaluations run */
    const char *evaluations_help;      /* its help */
    const char *errors_metric;         /* counter of evaluations that failed */
    const char *deferred_metric;       /* counter of evaluations put off while catching up */
    const char *firing_metric;         /* gauge of conditions firing at the last evaluation */
    sp_notifier_evaluate_fn *evaluate; /* the owner's judging (or evaluate_each) */
    void *arg;                         /* handed to evaluate or evaluate_each */
    sp_notifier_evaluate_each_fn *evaluate_each; /* NULL: evaluate, all partitions settled */
} sp_notifier_spec_t;

typedef struct _sp_notifier_t sp_notifier_t;

/* Creates the notifier on a started service (PostgreSQL and Redis
   connected; borrowed): binds the stream's PUB socket at endpoints with
   send_hwm, registers the metrics and adds a timer of interval_ms to the
   service's reactor. partitions is the consumer's partition count; spec
   is copied. Returns NULL with the reason in error. */
sp_notifier_t *sp_notifier_new (sp_service_t *service, const sp_notifier_spec_t *spec,
                                uint32_t partitions, int64_t interval_ms, const char *endpoints,
                                int send_hwm, char *error, size_t error_size);

/* The same on a PostgreSQL connection, a Redis connection and a reactor
   of the caller's own (an owner that judges on a thread of its own,
   churn-alerting's scorer actor): pg, redis and loop are borrowed for the
   notifier's life, and the notifier is made, used and destroyed on the
   thread that runs loop; the service gives the metrics only (its registry
   is shared between threads). */
sp_notifier_t *sp_notifier_new_on (sp_service_t *service, sp_pg_t *pg, sp_redis_t *redis,
                                   zloop_t *loop, const sp_notifier_spec_t *spec,
                                   uint32_t partitions, int64_t interval_ms, const char *endpoints,
                                   int send_hwm, char *error, size_t error_size);

/* Removes the timer, closes the socket, frees; no-op on NULL; sets the
   pointer to NULL. */
void sp_notifier_destroy (sp_notifier_t **self_p);

/* One evaluation now (the timer calls this). Returns the transitions
   this instance wrote (0 as well when put off), or -1 when the settled
   check or the owner's evaluate failed (logged once until an evaluation
   succeeds again, counted in the errors metric). */
int sp_notifier_evaluate (sp_notifier_t *self);

/* With evaluate_each: one evaluation now without a settled check, of
   the partitions settled at the last one (none before the first, nor
   after sp_notifier_set_revision): for an owner told that a settled
   partition has new results to judge (churn-alerting's day close), so
   it need not wait for the timer. Returns as sp_notifier_evaluate (0
   when no partition was settled). */
int sp_notifier_evaluate_last (sp_notifier_t *self);

/* With evaluate_each: as sp_notifier_evaluate_last, with the partitions
   ready[partition] (partitions of them) judged as well: those whose
   results the owner knows hold all it is about to judge, though the last
   check did not find them settled (churn-alerting's day close: the event
   that closed the day, and every event before it in its partition, is
   applied, while later ones may still be behind). Nothing before every
   partition was settled at one check since the start or the last
   sp_notifier_set_revision (0 returned); the next check forgets ready.
   Returns as sp_notifier_evaluate, -1 as well when out of memory. */
int sp_notifier_evaluate_ready (sp_notifier_t *self, const bool *ready);

/* Publishes a committed message: packs message (at most max_size bytes)
   and sends [topic, payload] through the stream's outbox; counts it in
   the published metric under state. Returns 0, or -1 when it could not
   be sent (logged with sequence; subscribers repair the gap). */
int sp_notifier_publish (sp_notifier_t *self, int64_t sequence, const char *state,
                         const char *topic, const ProtobufCMessage *message, size_t max_size);

/* Logs that the committed message sequence was not sent, and why. */
void sp_notifier_unsent (sp_notifier_t *self, int64_t sequence, const char *reason);

/* The last endpoint the PUB socket bound, with the real port for a
   wildcard. */
const char *sp_notifier_endpoint (sp_notifier_t *self);

/* With evaluate_each: whether partition's results were settled at the
   last settled check and may be judged on their own (false before the
   first check, and until every partition was settled at one). */
bool sp_notifier_partition_settled (const sp_notifier_t *self, uint32_t partition);

/* The reference data revision the results must carry to be settled (0
   until set). */
void sp_notifier_set_revision (sp_notifier_t *self, int64_t revision);

#endif
