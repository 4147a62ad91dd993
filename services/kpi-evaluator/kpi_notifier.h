/*  kpi_notifier - kpi-evaluator's pace warnings, live.

    Every --warning-interval-ms a timer on the service's reactor judges
    the pace of every KPI with a loaded target (kpi_evaluate.h; the
    catalogue's default targets are not judged) of every node in the
    current month and quarter: the nodes that counted anything in the
    period (kpi_query_every_scope), every node of the org in force, and
    every node with a warning firing there. "Current" is the period
    holding the wall clock, or --as-of (a fixed instant or day,
    for tests and replays). Conditions are judged only when the results
    hold every event that was in the log at the previous evaluation (each
    partition's checkpoint has reached the head read then, under the
    revision of the org and customers in force): while the service
    replays the log the sums are partial, and the evaluation is put off.

    A condition that changed state (kpi_warning.h) is written to
    PostgreSQL (kpi_warning_store.h, under the next sequence of the outbox
    stream "kpi-warnings") and, when this instance's transaction wrote
    it, published after the commit through the stream's sp_outbox, whose
    PUB socket is bound at --warnings: frame 0
    "kpi.<fired_status>.<region>.<team>", frame 1 a packed
    salespulse.KpiWarning (proto/kpi.proto), which carries the sequence.
    A firing warning of a period that is no longer current is cleared
    (period_ended). Several instances may run: each transition is stored
    and published once. The same evaluation records the week's forecasts
    (kpi_forecast.h) the first time it runs on or after the week's point.

    Each evaluation reads the reference data (org, targets, scorecard)
    from PostgreSQL and the measures from Redis on the reactor's thread:
    a few round trips, fine at the scale of a demo (docs/kpi-warnings.md,
    "Known limits").

    Metrics: salespulse_kpi_warnings_published_total{state},
    salespulse_kpi_warning_evaluations_total,
    salespulse_kpi_warning_evaluation_errors_total,
    salespulse_kpi_warning_evaluations_deferred_total and the gauge
    salespulse_kpi_warnings_firing (conditions firing at the last
    evaluation).
*/
#ifndef KPI_NOTIFIER_H_INCLUDED
#define KPI_NOTIFIER_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "kpi_warning.h"
#include "sp_config.h"
#include "sp_service.h"

/* Where warnings are published by default, and its environment variable
   (the service binds it; salesctl warnings --follow connects to it). */
#define KPI_NOTIFIER_ENDPOINT "tcp://127.0.0.1:5562"
#define KPI_NOTIFIER_ENDPOINT_ENV "SP_KPI_WARNINGS_ENDPOINT"

/* The notifier's settings, to append to the service's option table. */
/* clang-format off */
#define KPI_NOTIFIER_OPTIONS                                                                       \
    { "warnings", KPI_NOTIFIER_ENDPOINT_ENV, SP_CONFIG_STRING, KPI_NOTIFIER_ENDPOINT,              \
      "PUB endpoint(s) to bind for KPI pace warnings", 0, 0 },                                    \
    { "warning-interval-ms", "SP_KPI_WARNING_INTERVAL_MS", SP_CONFIG_INT, "5000",                  \
      "how often the pace of every KPI with a target is judged, ms", 100, 3600000 },              \
    { "warning-band", "SP_KPI_WARNING_BAND", SP_CONFIG_STRING, "at_risk",                          \
      "statuses that fire a warning: at_risk (projection below the floor) or behind (below "      \
      "the target)", 0, 0 },                                                                       \
    { "as-of", "SP_KPI_AS_OF", SP_CONFIG_STRING, "",                                               \
      "judge pace warnings and record forecasts as of this instant (RFC 3339) or day "             \
      "(YYYY-MM-DD) instead of the wall clock: for tests and replays", 0, 0 }
/* clang-format on */

/* Messages a subscriber may fall behind by before the PUB socket drops
   (they are then repaired from PostgreSQL by sequence). */
#define KPI_NOTIFIER_SEND_HWM 10000

typedef struct _kpi_notifier_t kpi_notifier_t;

/* Creates the notifier on a started service (PostgreSQL and Redis
   connected): reads its settings from the service's configuration (which
   must hold KPI_NOTIFIER_OPTIONS), binds the PUB socket, registers its
   metrics and adds its timer to the service's reactor. partitions is the
   service's partition count. Returns NULL with the reason in error (a
   setting out of range, the endpoint cannot be bound). */
kpi_notifier_t *kpi_notifier_new (sp_service_t *service, uint32_t partitions, char *error,
                                  size_t error_size);

/* Removes the timer, closes the socket, frees; no-op on NULL; sets the
   pointer to NULL. */
void kpi_notifier_destroy (kpi_notifier_t **self_p);

/* Judges every condition now and stores and publishes the transitions
   (the timer calls this). Returns the transitions this instance wrote
   (0 when nothing changed or the evaluation was put off while the
   results catch up with the log), or -1 when Redis or PostgreSQL failed
   (logged once until an evaluation succeeds again, counted in the errors
   metric); transitions written before the failure stay written and
   published. */
int kpi_notifier_evaluate (kpi_notifier_t *self);

/* The last endpoint the PUB socket bound, with the real port when
   --warnings used a wildcard ("tcp://127.0.0.1:*"). */
const char *kpi_notifier_endpoint (kpi_notifier_t *self);

/* Judges state built under revision (of the org and customers in force,
   kpi_reference_revision): evaluations wait until every partition's
   state is stamped with it and has caught up. 0 until set. */
void kpi_notifier_set_revision (kpi_notifier_t *self, int64_t revision);

#endif
