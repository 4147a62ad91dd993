/*  sp_service - the life of one service process.

    Every Salespulse service starts and stops the same way: parse its
    settings (the shared table plus its own), set up logs, connect to
    PostgreSQL and Redis with bounded retries, check that the database was
    set up with the same partition count, open the HTTP endpoint for
    /healthz and /metrics, run a reactor until SIGTERM or SIGINT, and tear
    everything down in reverse order. This object does that once, so a
    service's main.c only describes its own settings and attaches its actor
    to the reactor.

        int main (int argc, char **argv)
        {
            return sp_service_main (&spec, argc, argv, s_attach, NULL);
        }

    where s_attach (may be NULL) adds the service's own sockets and timers
    to the reactor once the connections are up. The steps are also public
    (new, start, run, destroy) for tests and tools that need them apart.

    A service that keeps nothing in Redis (activity-ingest) starts through
    sp_service_main_without_redis: Redis is then neither connected nor
    pinged nor part of /healthz, so the service starts and stays healthy
    while Redis is down.

    Health: a reactor timer pings PostgreSQL and Redis every
    SP_SERVICE_HEALTH_INTERVAL_MS on the service thread; /healthz (served on
    the HTTP thread) reports the last results, so it never blocks on I/O.
    It is 200 when every dependency the service uses answered its last
    ping and its own work is healthy (sp_service_set_health: a consumer
    that owns no partition while partitions go without an owner), else
    503.

    ZeroMQ security: the shared settings curve-secret, curve-clients and
    curve-server make every socket the service makes CURVE, its bound
    sockets admitting only the listed client keys (sp_zmq_curve.h); the
    security is installed in sp_service_new and removed by
    sp_service_destroy, after the service's sockets are closed.

    Metrics every service exports: salespulse_build_info{service,version},
    salespulse_dependency_up{dependency}, salespulse_health_checks_total
    {dependency,result}, process_start_time_seconds.
*/
#ifndef SP_SERVICE_H_INCLUDED
#define SP_SERVICE_H_INCLUDED

#include <czmq.h>
#include <stddef.h>

#include "sp_config.h"
#include "sp_metrics.h"
#include "sp_pg.h"
#include "sp_redis.h"
#include "sp_tz.h"

/* Makes the ZeroMQ CURVE settings of config (curve-secret, curve-clients,
   curve-server) the process's security (sp_zmq_curve_install), starting
   its ZAP handler when clients are listed; nothing when none is set.
   sp_service_new calls it for a service; salesctl calls it for its
   commands. Returns 0, or -1 with error (a missing or wrong
   certificate). Undone by sp_zmq_curve_uninstall. */
int sp_service_install_curve (const sp_config_t *config, char *error, size_t error_size);

/* Version every service reports in logs, --help and build_info. */
#define SP_SERVICE_VERSION "0.1.0"

/* How often dependencies are pinged for /healthz. */
#define SP_SERVICE_HEALTH_INTERVAL_MS 2000

/* Exit codes of a service process. */
#define SP_SERVICE_EXIT_OK 0       /* clean shutdown or --help */
#define SP_SERVICE_EXIT_FAILURE 1  /* could not start: dependency down, port busy */
#define SP_SERVICE_EXIT_USAGE 2    /* bad settings */

/* What a service is: its name and its own settings. */
typedef struct {
    const char *name;                  /* program name, e.g. "activity-ingest" */
    const char *summary;               /* one line for --help */
    const sp_config_option_t *options; /* the service's own settings; must include "http" */
    size_t option_count;               /* entries in options */
} sp_service_spec_t;

typedef struct _sp_service_t sp_service_t;

/* Attaches a service's own work (actor pipe, sockets, timers) to the
   started service; returns 0, or -1 after logging why (start fails). */
typedef int (*sp_service_attach_fn) (sp_service_t *service, void *arg);

/* Finishes a service's own work once the reactor has ended (after SIGTERM):
   e.g. commit and answer what was already read. Runs on the service thread
   with the connections still open. */
typedef void (*sp_service_stop_fn) (sp_service_t *service, void *arg);

/* Registers the stop hook (one per service; a later call replaces it). It
   is called exactly once: when sp_service_run returns, or at
   sp_service_destroy if the reactor never ran. */
void sp_service_on_stop (sp_service_t *self, sp_service_stop_fn stop, void *arg);

/* The whole life of a service process: new, start, attach, run until a
   signal, destroy. Returns the process exit code. */
int sp_service_main (const sp_service_spec_t *spec, int argc, char **argv,
                     sp_service_attach_fn attach, void *arg);

/* sp_service_main for a service that never uses Redis (see
   sp_service_set_without_redis). */
int sp_service_main_without_redis (const sp_service_spec_t *spec, int argc, char **argv,
                                   sp_service_attach_fn attach, void *arg);

/* Parses settings from the environment and argv, sets up logging. Returns
   NULL when the process should exit now, with *exit_code set:
   SP_SERVICE_EXIT_OK after --help, SP_SERVICE_EXIT_USAGE after a bad
   setting (the error is printed to stderr). spec must outlive the object. */
sp_service_t *sp_service_new (const sp_service_spec_t *spec, int argc, char **argv,
                              int *exit_code);

/* Stops the HTTP endpoint, closes connections, frees; no-op on NULL; sets
   *self_p to NULL. */
void sp_service_destroy (sp_service_t **self_p);

/* Before sp_service_start: the service never uses Redis. It is then not
   connected (sp_service_redis stays NULL), not pinged, and /healthz
   neither shows it nor depends on it. */
void sp_service_set_without_redis (sp_service_t *self);

/* Connects to PostgreSQL and Redis (unless set without Redis) with
   bounded retries and backoff, checks the partition count recorded by
   `salesctl migrate`, starts the HTTP endpoint. Returns 0, or -1 after logging why (exit code then
   SP_SERVICE_EXIT_FAILURE). */
int sp_service_start (sp_service_t *self);

/* Reports the health of the service's own work beside its dependencies,
   under the name check (e.g. "partitions"; one check per service, a later
   call replaces it): problem NULL means healthy and /healthz shows
   "<check>":"ok"; otherwise /healthz answers 503, "status":"unavailable"
   and "<check>":"<problem>". Call on the service thread; /healthz reads
   it under a lock. */
void sp_service_set_health (sp_service_t *self, const char *check, const char *problem);

/* Runs the reactor until SIGTERM or SIGINT (or a handler returning -1).
   Returns 0. */
int sp_service_run (sp_service_t *self);

/* Exit code for main. */
int sp_service_exit_code (const sp_service_t *self);

/* The parts a service's actor uses (borrowed). pg and redis are NULL
   before sp_service_start succeeded; redis is always NULL for a service
   set without Redis. */
const sp_config_t *sp_service_config (const sp_service_t *self);
sp_metrics_t *sp_service_metrics (sp_service_t *self);
sp_pg_t *sp_service_pg (sp_service_t *self);
sp_redis_t *sp_service_redis (sp_service_t *self);
zloop_t *sp_service_loop (sp_service_t *self);

/* The service's name (spec->name), e.g. "funnel-tracker". */
const char *sp_service_name (const sp_service_t *self);

/* The configured time zone (--time-zone), loaded and checked at new. */
const sp_tz_t *sp_service_time_zone (const sp_service_t *self);

/* The HTTP port actually bound (useful with port 0), 0 before start. */
int sp_service_http_port (const sp_service_t *self);

#endif
