/*  funnel_notifier - funnel-tracker's bottleneck notices, live.

    Every --notice-interval-ms a timer on the service's reactor judges the
    conversion target of every funnel step that has one, in every scope
    (company and each region, team and rep with data), over a trailing
    window of --trailing-days days of cohorts old enough to have
    converted: it ends the target's maturity_days + 1 days before the day
    of the newest event applied (funnel_notice_window; the newest event is
    the largest `clock` score over the partitions, so a replay of history
    raises what it would have raised then). The counts are the day hashes
    of funnel_keys.h summed over the partitions and days, read in
    pipelined round trips, once per distinct maturity_days of a funnel. Conditions are judged only when
    the results hold every event that was in the log at the previous
    evaluation (each partition's checkpoint has reached the head read
    then): while the service replays the log the sums are partial, and
    the evaluation is put off.

    A condition that changed state (funnel_notice.h) is written to
    PostgreSQL (funnel_notice_store.h, under the next sequence of the
    outbox stream "funnel-notices") and, when this instance's transaction
    wrote it, published after the commit through the stream's sp_outbox
    (sp_outbox.h), whose PUB socket is bound at --notices: frame 0
    "funnel.bottleneck.<scope>", frame 1 a packed
    salespulse.FunnelBottleneck (proto/funnel.proto), which carries the
    sequence. Several instances may run: each transition is stored and
    published once.

    Metrics: salespulse_funnel_notices_published_total{state},
    salespulse_funnel_notice_evaluations_total,
    salespulse_funnel_notice_evaluation_errors_total,
    salespulse_funnel_notice_evaluations_deferred_total and the gauge
    salespulse_funnel_bottlenecks_firing (conditions firing at the last
    evaluation). docs/funnel-notices.md has the whole story.
*/
#ifndef FUNNEL_NOTIFIER_H_INCLUDED
#define FUNNEL_NOTIFIER_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "funnel_catalog.h"
#include "funnel_notice.h"
#include "sp_config.h"
#include "sp_service.h"

/* Where notices are published by default, and its environment variable
   (the service binds it; salesctl notices --follow connects to it). */
#define FUNNEL_NOTIFIER_ENDPOINT "tcp://127.0.0.1:5561"
#define FUNNEL_NOTIFIER_ENDPOINT_ENV "SP_FUNNEL_NOTICES_ENDPOINT"

/* The notifier's settings, to append to the service's option table. */
#define FUNNEL_NOTIFIER_OPTIONS                                                                    \
    { "notices", FUNNEL_NOTIFIER_ENDPOINT_ENV, SP_CONFIG_STRING, FUNNEL_NOTIFIER_ENDPOINT,          \
      "PUB endpoint(s) to bind for bottleneck notices", 0, 0 },                                   \
    { "notice-interval-ms", "SP_FUNNEL_NOTICE_INTERVAL_MS", SP_CONFIG_INT, "5000",                 \
      "how often conversion targets are judged, ms", 100, 3600000 },                              \
    { "trailing-days", "SP_FUNNEL_TRAILING_DAYS", SP_CONFIG_INT, "30",                             \
      "days judged, ending on the newest event's day", 1, FUNNEL_NOTICE_TRAILING_DAYS_MAX }

/* Messages a subscriber may fall behind by before the PUB socket drops
   (they are then repaired from PostgreSQL by sequence). */
#define FUNNEL_NOTIFIER_SEND_HWM 10000

/* Most Redis commands sent in one round trip. */
#define FUNNEL_NOTIFIER_PIPELINE_MAX 4096

typedef struct _funnel_notifier_t funnel_notifier_t;

/* Creates the notifier on a started service (PostgreSQL and Redis
   connected): reads its settings from the service's configuration (which
   must hold FUNNEL_NOTIFIER_OPTIONS), binds the PUB socket, registers its
   metrics and adds its timer to the service's reactor. catalog (borrowed,
   must outlive the notifier) gives the funnels and their targets;
   partitions is the service's partition count. Returns NULL with the
   reason in error (e.g. the endpoint cannot be bound). */
funnel_notifier_t *funnel_notifier_new (sp_service_t *service, const funnel_catalog_t *catalog,
                                        uint32_t partitions, char *error, size_t error_size);

/* Removes the timer, closes the socket, frees; no-op on NULL; sets the
   pointer to NULL. */
void funnel_notifier_destroy (funnel_notifier_t **self_p);

/* Judges every condition now and stores and publishes the transitions
   (the timer calls this). Returns the transitions this instance wrote
   (0 when nothing changed, no event was applied yet, or the evaluation
   was put off while the results catch up with the log), or -1 when Redis
   or PostgreSQL failed (logged once until an evaluation succeeds again,
   counted in the errors metric); transitions written before the failure
   stay written and published. */
int funnel_notifier_evaluate (funnel_notifier_t *self);

/* The last endpoint the PUB socket bound, with the real port when
   --notices used a wildcard ("tcp://127.0.0.1:*"). */
const char *funnel_notifier_endpoint (funnel_notifier_t *self);

/* Judges with catalog (borrowed, replaces the previous one, which may be
   destroyed once this returns) at definitions revision: evaluations wait
   until every partition's state is stamped with that revision and has
   caught up. Revision 0 until set. */
void funnel_notifier_set_catalog (funnel_notifier_t *self, const funnel_catalog_t *catalog,
                                  int64_t revision);

#endif
