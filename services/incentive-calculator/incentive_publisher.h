/*  incentive_publisher - incentive-calculator's live side of the
    incentive-statements outbox stream: `salesctl close-period` stores
    every rep's closed statement with its sequence in PostgreSQL
    (incentive_close.h); this timer, on the service's reactor, reads the
    statements stored since it last looked (from the stream's head when
    it started: subscribers read older ones back by sequence) and
    publishes each on the statements PUB socket, topic
    "incentive.statement.<rep>", payload salespulse.IncentiveStatement.

    Every running instance publishes what it finds (a subscriber drops a
    sequence it has seen, sp_outbox_follow.h). A send that fails is
    counted and logged, not retried: subscribers repair the gap from
    PostgreSQL. Metrics: salespulse_incentive_statements_published_total,
    salespulse_incentive_statements_errors_total.
*/
#ifndef INCENTIVE_PUBLISHER_H_INCLUDED
#define INCENTIVE_PUBLISHER_H_INCLUDED

#include "sp_service.h"

#define INCENTIVE_PUBLISHER_ENDPOINT "tcp://127.0.0.1:5564"
#define INCENTIVE_PUBLISHER_ENDPOINT_ENV "SP_INCENTIVE_STATEMENTS_ENDPOINT"

/* The publisher's settings, to append to the service's option table. */
/* clang-format off */
#define INCENTIVE_PUBLISHER_OPTIONS                                                                \
    { "statements", INCENTIVE_PUBLISHER_ENDPOINT_ENV, SP_CONFIG_STRING,                           \
      INCENTIVE_PUBLISHER_ENDPOINT, "PUB endpoint(s) to bind for closed statements", 0, 0 },      \
    { "statements-check-ms", "SP_INCENTIVE_STATEMENTS_CHECK_MS", SP_CONFIG_INT, "1000",          \
      "how often newly closed statements are looked for, ms", 10, 600000 }
/* clang-format on */

typedef struct _incentive_publisher_t incentive_publisher_t;

/* Binds the PUB socket and starts the timer on the service's reactor.
   NULL with the reason. */
incentive_publisher_t *incentive_publisher_new (sp_service_t *service, char *error,
                                                size_t error_size);

void incentive_publisher_destroy (incentive_publisher_t **self_p);

/* The last endpoint bound (the real port for a wildcard). */
const char *incentive_publisher_endpoint (incentive_publisher_t *self);

#endif
