/*  sp_http - the health and metrics HTTP endpoint of a service.

    Every service answers two plain HTTP routes for operators and their
    tools (load balancers, Kubernetes probes, Prometheus):

        GET|HEAD /healthz  200 or 503, application/json body from a callback
        GET|HEAD /metrics  200, Prometheus text format 0.0.4 (sp_metrics)

    Other paths get 404; other methods on these paths get 405 with an Allow
    header. The server runs on its own thread (libmicrohttpd's internal
    polling thread) with a connection limit and an idle timeout, so a stuck
    client cannot hold the service. This is the only file that includes
    microhttpd.h; its errors are logged through sp_log.

        sp_http_t *http = sp_http_new ("127.0.0.1:9101", metrics,
                                       s_health, self, error, sizeof error);
*/
#ifndef SP_HTTP_H_INCLUDED
#define SP_HTTP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "sp_metrics.h"

/* An error buffer of this size holds any message sp_http_new writes. */
#define SP_HTTP_ERROR_SIZE 256

/* Size of the body buffer a health callback fills. */
#define SP_HTTP_HEALTH_BODY_SIZE 1024

/* Health check, called on the HTTP thread for each /healthz request, so it
   must be thread-safe and quick. Writes a small JSON object (NUL
   terminated, at most body_size bytes with the NUL) into body and returns
   true when the service is healthy (200) or false (503). An empty body is
   replaced by {"status":"ok"} or {"status":"unavailable"}. */
typedef bool (*sp_http_health_fn) (void *arg, char *body, size_t body_size);

typedef struct _sp_http_t sp_http_t;

/* Starts serving on listen, "HOST:PORT" with a numeric IPv4 host (port 0
   picks a free port, see sp_http_port). metrics (borrowed, may be NULL:
   /metrics is then 404) and health (may be NULL: always healthy) must
   outlive the server. On failure returns NULL and writes error, e.g.
   `invalid listen address "x": expected HOST:PORT` or
   `could not listen on "127.0.0.1:9101": Address already in use`; the
   caller reports it (this function does not log it). */
sp_http_t *sp_http_new (const char *listen, sp_metrics_t *metrics, sp_http_health_fn health,
                        void *health_arg, char *error, size_t error_size);

/* Stops the server (waits for its thread) and frees it; no-op on NULL;
   sets *self_p to NULL. */
void sp_http_destroy (sp_http_t **self_p);

/* The TCP port the server is bound to. */
int sp_http_port (const sp_http_t *self);

#endif
