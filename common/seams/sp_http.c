/*  sp_http - the health and metrics HTTP endpoint (see sp_http.h).

    We create, bind and listen on the socket ourselves and hand it to
    libmicrohttpd with MHD_OPTION_LISTEN_SOCKET: that way a bind failure
    is reported with its real errno ("Address already in use") instead of
    a guess. From the moment MHD_start_daemon is called the socket belongs
    to libmicrohttpd, which closes it when it fails to start and on
    MHD_stop_daemon.

    Responses are queued on the first call of the access handler: none of
    the routes reads a request body, so there is nothing to wait for.
    libmicrohttpd leaves the body out of HEAD responses itself.
*/
#include "sp_http.h"
#include "sp_error.h"

#include "sp_log.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SP_HTTP_CONNECTION_LIMIT 64      /* concurrent connections served */
#define SP_HTTP_TIMEOUT_SECONDS 10       /* idle connections are closed after this */
#define SP_HTTP_BACKLOG 64               /* pending connections the kernel queues */
#define SP_HTTP_PORT_MAX 65535           /* largest TCP port */
#define SP_HTTP_DECIMAL_BASE 10          /* ports are decimal */
#define SP_HTTP_LOG_SIZE 512             /* longest libmicrohttpd message logged */
#define SP_HTTP_REASON_SIZE 128          /* longest strerror text kept */
#define SP_HTTP_HEALTH_PATH "/healthz"
#define SP_HTTP_METRICS_PATH "/metrics"
#define SP_HTTP_ALLOWED_METHODS "GET, HEAD"
#define SP_HTTP_JSON_TYPE "application/json"
#define SP_HTTP_TEXT_TYPE "text/plain; charset=utf-8"
#define SP_HTTP_HEALTHY_BODY "{\"status\":\"ok\"}"
#define SP_HTTP_UNHEALTHY_BODY "{\"status\":\"unavailable\"}"
#define SP_HTTP_NOT_FOUND_BODY "not found\n"
#define SP_HTTP_NOT_ALLOWED_BODY "method not allowed\n"
#define SP_HTTP_RENDER_FAILED_BODY "could not render metrics\n"

struct _sp_http_t {
    struct MHD_Daemon *daemon; /* the server and its polling thread */
    sp_metrics_t *metrics;     /* rendered on /metrics (borrowed), or NULL */
    sp_http_health_fn health;  /* called on /healthz, or NULL */
    void *health_arg;          /* first argument of health */
    int port;                  /* bound TCP port */
};

/* Routes libmicrohttpd's error messages to sp_log, as one quoted field. */
static void
s_log (void *arg, const char *format, va_list arguments)
{
    (void) arg;
    char message[SP_HTTP_LOG_SIZE];
    vsnprintf (message, sizeof message, format, arguments);
    /* Escaped, the text may double in size. */
    char escaped[SP_HTTP_LOG_SIZE * 2];
    size_t length = 0;
    for (const char *cursor = message; *cursor && length + 2 < sizeof escaped; cursor++) {
        if (*cursor == '\n' || *cursor == '\r') {
            if (cursor[1] != '\0')
                escaped[length++] = ' ';
            continue;
        }
        if (*cursor == '"' || *cursor == '\\')
            escaped[length++] = '\\';
        escaped[length++] = *cursor;
    }
    escaped[length] = '\0';
    sp_log_warn ("http server error", "detail=\"%s\"", escaped);
}

/* Parses "a.b.c.d:port" into address; returns -1 when malformed. */
static int
s_parse_listen (const char *listen_address, struct sockaddr_in *address)
{
    const char *colon = strrchr (listen_address, ':');
    if (!colon || colon == listen_address || colon[1] == '\0')
        return -1;
    char host[INET_ADDRSTRLEN];
    size_t host_length = (size_t) (colon - listen_address);
    if (host_length >= sizeof host)
        return -1;
    memcpy (host, listen_address, host_length);
    host[host_length] = '\0';

    long port = 0;
    for (const char *digit = colon + 1; *digit; digit++) {
        if (*digit < '0' || *digit > '9')
            return -1;
        port = port * SP_HTTP_DECIMAL_BASE + (*digit - '0');
        if (port > SP_HTTP_PORT_MAX)
            return -1;
    }
    memset (address, 0, sizeof *address);
    address->sin_family = AF_INET;
    address->sin_port = htons ((uint16_t) port);
    if (inet_pton (AF_INET, host, &address->sin_addr) != 1)
        return -1;
    return 0;
}

/* Creates a listening socket; returns it, or -1 with the reason in error. */
static int
s_listen (const char *listen_address, const struct sockaddr_in *address, char *error,
          size_t error_size)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto out_fail;
    const int reuse = 1;
    if (setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse) != 0)
        goto out_close;
    if (bind (fd, (const struct sockaddr *) address, sizeof *address) != 0)
        goto out_close;
    if (listen (fd, SP_HTTP_BACKLOG) != 0)
        goto out_close;
    return fd;

out_close:;
    int saved = errno;
    close (fd);
    errno = saved;
out_fail:;
    char reason[SP_HTTP_REASON_SIZE];
    if (strerror_r (errno, reason, sizeof reason) != 0)
        snprintf (reason, sizeof reason, "error %d", errno);
    sp_error_set (error, error_size, "could not listen on \"%s\": %s", listen_address, reason);
    return -1;
}

/* Queues a response whose body is copied (or, with owned, taken over and
   freed by libmicrohttpd). */
static enum MHD_Result
s_respond (struct MHD_Connection *connection, unsigned int status, const char *content_type,
           const char *body, bool owned)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        strlen (body), (void *) body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (!response) {
        if (owned)
            free ((void *) body);
        return MHD_NO;
    }
    enum MHD_Result result = MHD_NO;
    if (MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES)
        goto out_destroy;
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED
        && MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, SP_HTTP_ALLOWED_METHODS)
               != MHD_YES)
        goto out_destroy;
    result = MHD_queue_response (connection, status, response);

out_destroy:
    MHD_destroy_response (response);
    return result;
}

static enum MHD_Result
s_respond_health (sp_http_t *self, struct MHD_Connection *connection)
{
    char body[SP_HTTP_HEALTH_BODY_SIZE] = "";
    bool healthy = true;
    if (self->health) {
        healthy = self->health (self->health_arg, body, sizeof body);
        body[sizeof body - 1] = '\0';
    }
    if (body[0] == '\0')
        snprintf (body, sizeof body, "%s", healthy ? SP_HTTP_HEALTHY_BODY : SP_HTTP_UNHEALTHY_BODY);
    return s_respond (connection, healthy ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                      SP_HTTP_JSON_TYPE, body, false);
}

static enum MHD_Result
s_respond_metrics (sp_http_t *self, struct MHD_Connection *connection)
{
    char *text = sp_metrics_render (self->metrics);
    if (!text)
        return s_respond (connection, MHD_HTTP_INTERNAL_SERVER_ERROR, SP_HTTP_TEXT_TYPE,
                          SP_HTTP_RENDER_FAILED_BODY, false);
    return s_respond (connection, MHD_HTTP_OK, SP_METRICS_CONTENT_TYPE, text, true);
}

static enum MHD_Result
s_handle (void *arg, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size,
          void **request_state)
{
    (void) version;
    (void) upload_data;
    (void) upload_data_size;
    (void) request_state;
    sp_http_t *self = arg;

    bool health = strcmp (url, SP_HTTP_HEALTH_PATH) == 0;
    bool metrics = self->metrics && strcmp (url, SP_HTTP_METRICS_PATH) == 0;
    if (!health && !metrics)
        return s_respond (connection, MHD_HTTP_NOT_FOUND, SP_HTTP_TEXT_TYPE,
                          SP_HTTP_NOT_FOUND_BODY, false);
    if (strcmp (method, MHD_HTTP_METHOD_GET) != 0 && strcmp (method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_respond (connection, MHD_HTTP_METHOD_NOT_ALLOWED, SP_HTTP_TEXT_TYPE,
                          SP_HTTP_NOT_ALLOWED_BODY, false);
    return health ? s_respond_health (self, connection) : s_respond_metrics (self, connection);
}

sp_http_t *
sp_http_new (const char *listen_address, sp_metrics_t *metrics, sp_http_health_fn health,
             void *health_arg, char *error, size_t error_size)
{
    assert (listen_address);
    struct sockaddr_in address;
    if (s_parse_listen (listen_address, &address) != 0) {
        sp_error_set (error, error_size, "invalid listen address \"%s\": expected HOST:PORT",
                listen_address);
        return NULL;
    }
    sp_http_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "could not start http server on \"%s\": out of memory",
                listen_address);
        return NULL;
    }
    self->metrics = metrics;
    self->health = health;
    self->health_arg = health_arg;

    int fd = s_listen (listen_address, &address, error, error_size);
    if (fd < 0)
        goto out_free;
    /* From here on libmicrohttpd owns fd, also when it fails to start. The
       logger must be the first option to catch messages about the others. */
    self->daemon = MHD_start_daemon (
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        s_handle, self, MHD_OPTION_EXTERNAL_LOGGER, s_log, (void *) self,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket) fd, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int) SP_HTTP_CONNECTION_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int) SP_HTTP_TIMEOUT_SECONDS, MHD_OPTION_END);
    if (!self->daemon) {
        sp_error_set (error, error_size, "could not start http server on \"%s\": see the log",
                listen_address);
        goto out_free;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon,
                                                            MHD_DAEMON_INFO_BIND_PORT);
    if (!info || info->port == 0) {
        sp_error_set (error, error_size, "could not start http server on \"%s\": unknown port",
                listen_address);
        goto out_stop;
    }
    self->port = info->port;
    return self;

out_stop:
    MHD_stop_daemon (self->daemon);
out_free:
    free (self);
    return NULL;
}

void
sp_http_destroy (sp_http_t **self_p)
{
    assert (self_p);
    sp_http_t *self = *self_p;
    if (!self)
        return;
    MHD_stop_daemon (self->daemon);
    free (self);
    *self_p = NULL;
}

int
sp_http_port (const sp_http_t *self)
{
    assert (self);
    return self->port;
}
