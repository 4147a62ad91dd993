/*  Tests for sp_http: a real server on 127.0.0.1 with a free port, queried
    by a plain socket client written here. Covers /healthz healthy and
    unhealthy, /metrics, HEAD, 404, 405, bad listen addresses, a busy port
    and restarting on the same port.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sp_http.h"
#include "sp_log.h"
#include "sp_metrics.h"

#define RESPONSE_SIZE 65536     /* largest response the client reads */
#define CLIENT_TIMEOUT_SECONDS 5 /* a request taking longer fails the test */
#define ADDRESS_SIZE 64
#define ERROR_SENTINEL "untouched"
#define LOCALHOST_ANY_PORT "127.0.0.1:0"

/* What the health callback answers; read on the HTTP thread. */
typedef struct {
    bool healthy;     /* return value */
    const char *body; /* text written into the body buffer */
    atomic_int calls; /* number of calls */
    atomic_size_t body_size; /* body_size of the last call */
} health_t;

static bool
s_health (void *arg, char *body, size_t body_size)
{
    health_t *health = arg;
    /* No cmocka assertions here: this runs on the HTTP thread. */
    atomic_fetch_add (&health->calls, 1);
    atomic_store (&health->body_size, body_size);
    snprintf (body, body_size, "%s", health->body);
    return health->healthy;
}

/* A parsed HTTP response. */
typedef struct {
    char raw[RESPONSE_SIZE]; /* everything received, NUL terminated */
    int status;              /* status code from the status line */
    const char *body;        /* points into raw, after the blank line */
    size_t body_length;      /* bytes after the blank line */
} response_t;

static int
s_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct timeval timeout = { CLIENT_TIMEOUT_SECONDS, 0 };
    assert_int_equal (setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout), 0);
    assert_int_equal (setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout), 0);
    struct sockaddr_in address;
    memset (&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons ((uint16_t) port);
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *) &address, sizeof address), 0);
    return fd;
}

/* Sends a raw request and reads the response until the server closes. */
static void
s_request (int port, const char *request, response_t *response)
{
    int fd = s_connect (port);
    size_t length = strlen (request);
    size_t sent = 0;
    while (sent < length) {
        ssize_t rc = send (fd, request + sent, length - sent, MSG_NOSIGNAL);
        assert_true (rc > 0);
        sent += (size_t) rc;
    }
    size_t received = 0;
    for (;;) {
        assert_true (received < sizeof response->raw - 1);
        ssize_t rc = recv (fd, response->raw + received, sizeof response->raw - 1 - received, 0);
        assert_true (rc >= 0); /* a timeout (-1, EAGAIN) fails the test */
        if (rc == 0)
            break;
        received += (size_t) rc;
    }
    close (fd);
    response->raw[received] = '\0';
    assert_int_equal (sscanf (response->raw, "HTTP/1.1 %d ", &response->status), 1);
    const char *blank = strstr (response->raw, "\r\n\r\n");
    assert_non_null (blank);
    response->body = blank + 4;
    response->body_length = received - (size_t) (response->body - response->raw);
}

/* GET or HEAD with Connection: close. */
static void
s_get (int port, const char *method, const char *path, response_t *response)
{
    char request[256];
    snprintf (request, sizeof request,
              "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", method, path);
    s_request (port, request, response);
}

/* True when the response has this header line, exactly. */
static bool
s_has_header (const response_t *response, const char *name, const char *value)
{
    char line[256];
    snprintf (line, sizeof line, "\r\n%s: %s\r\n", name, value);
    const char *found = strstr (response->raw, line);
    return found && found < response->body;
}

static void
s_assert_content_length (const response_t *response, size_t expected)
{
    char value[32];
    snprintf (value, sizeof value, "%zu", expected);
    assert_true (s_has_header (response, "Content-Length", value));
}

static sp_http_t *
s_http_new (sp_metrics_t *metrics, sp_http_health_fn health, void *arg)
{
    char error[SP_HTTP_ERROR_SIZE] = ERROR_SENTINEL;
    sp_http_t *http = sp_http_new (LOCALHOST_ANY_PORT, metrics, health, arg, error, sizeof error);
    assert_non_null (http);
    assert_string_equal (error, ERROR_SENTINEL);
    assert_true (sp_http_port (http) > 0);
    return http;
}

static void
test_healthz (void **state)
{
    (void) state;
    health_t health = { true, "{\"status\":\"ok\",\"redis\":\"up\"}", 0, 0 };
    sp_http_t *http = s_http_new (NULL, s_health, &health);
    int port = sp_http_port (http);
    response_t *response = calloc (1, sizeof *response);
    assert_non_null (response);

    s_get (port, "GET", "/healthz", response);
    assert_int_equal (response->status, 200);
    assert_true (strncmp (response->raw, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_true (s_has_header (response, "Content-Type", "application/json"));
    assert_string_equal (response->body, health.body);
    s_assert_content_length (response, strlen (health.body));
    assert_int_equal (atomic_load (&health.calls), 1);
    assert_int_equal (atomic_load (&health.body_size), SP_HTTP_HEALTH_BODY_SIZE);

    /* The query string is not part of the path. */
    s_get (port, "GET", "/healthz?verbose=1", response);
    assert_int_equal (response->status, 200);

    health.healthy = false;
    health.body = "{\"status\":\"unavailable\",\"redis\":\"down\"}";
    s_get (port, "GET", "/healthz", response);
    assert_true (strncmp (response->raw, "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0);
    assert_true (s_has_header (response, "Content-Type", "application/json"));
    assert_string_equal (response->body, health.body);

    /* HEAD: same status and length, no body. */
    s_get (port, "HEAD", "/healthz", response);
    assert_int_equal (response->status, 503);
    s_assert_content_length (response, strlen (health.body));
    assert_int_equal (response->body_length, 0);
    assert_int_equal (atomic_load (&health.calls), 4);

    /* An empty body gets a default one. */
    health.body = "";
    s_get (port, "GET", "/healthz", response);
    assert_int_equal (response->status, 503);
    assert_string_equal (response->body, "{\"status\":\"unavailable\"}");
    health.healthy = true;
    s_get (port, "GET", "/healthz", response);
    assert_int_equal (response->status, 200);
    assert_string_equal (response->body, "{\"status\":\"ok\"}");

    free (response);
    sp_http_destroy (&http);
    assert_null (http);
}

static void
test_healthz_without_callback (void **state)
{
    (void) state;
    sp_http_t *http = s_http_new (NULL, NULL, NULL);
    response_t *response = calloc (1, sizeof *response);
    assert_non_null (response);
    s_get (sp_http_port (http), "GET", "/healthz", response);
    assert_int_equal (response->status, 200);
    assert_string_equal (response->body, "{\"status\":\"ok\"}");
    /* Without a registry there is no /metrics. */
    s_get (sp_http_port (http), "GET", "/metrics", response);
    assert_int_equal (response->status, 404);
    free (response);
    sp_http_destroy (&http);
}

static void
test_metrics (void **state)
{
    (void) state;
    sp_metrics_t *metrics = sp_metrics_new ();
    assert_non_null (metrics);
    const char *names[] = { "outcome" };
    sp_metric_t *events = sp_metrics_counter (metrics, "sp_events_total", "events", names, 1);
    assert_non_null (events);
    sp_metric_add (events, (const char *[]) { "accepted" }, 3);
    sp_http_t *http = s_http_new (metrics, NULL, NULL);
    response_t *response = calloc (1, sizeof *response);
    assert_non_null (response);

    s_get (sp_http_port (http), "GET", "/metrics", response);
    assert_true (strncmp (response->raw, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_true (
        s_has_header (response, "Content-Type", "text/plain; version=0.0.4; charset=utf-8"));
    const char *expected = "# HELP sp_events_total events\n"
                           "# TYPE sp_events_total counter\n"
                           "sp_events_total{outcome=\"accepted\"} 3\n";
    assert_string_equal (response->body, expected);
    s_assert_content_length (response, strlen (expected));

    /* Later updates show on the next scrape. */
    sp_metric_add (events, (const char *[]) { "rejected" }, 1);
    s_get (sp_http_port (http), "GET", "/metrics", response);
    char *rendered = sp_metrics_render (metrics);
    assert_non_null (rendered);
    assert_string_equal (response->body, rendered);
    assert_non_null (strstr (response->body, "sp_events_total{outcome=\"rejected\"} 1\n"));

    s_get (sp_http_port (http), "HEAD", "/metrics", response);
    assert_int_equal (response->status, 200);
    s_assert_content_length (response, strlen (rendered));
    assert_int_equal (response->body_length, 0);
    free (rendered);

    free (response);
    sp_http_destroy (&http);
    sp_metrics_destroy (&metrics);
}

static void
test_not_found_and_not_allowed (void **state)
{
    (void) state;
    sp_metrics_t *metrics = sp_metrics_new ();
    assert_non_null (metrics);
    health_t health = { true, "{}", 0, 0 };
    sp_http_t *http = s_http_new (metrics, s_health, &health);
    int port = sp_http_port (http);
    response_t *response = calloc (1, sizeof *response);
    assert_non_null (response);

    const char *missing[] = { "/", "/nope", "/healthz/", "/metricsx", "/HEALTHZ" };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        s_get (port, "GET", missing[i], response);
        assert_true (strncmp (response->raw, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
        assert_true (s_has_header (response, "Content-Type", "text/plain; charset=utf-8"));
        assert_string_equal (response->body, "not found\n");
    }
    s_get (port, "DELETE", "/nope", response);
    assert_int_equal (response->status, 404);

    const char *methods[] = { "DELETE", "PUT", "OPTIONS" };
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        s_get (port, methods[i], "/metrics", response);
        assert_true (strncmp (response->raw, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0);
        assert_true (s_has_header (response, "Allow", "GET, HEAD"));
        assert_string_equal (response->body, "method not allowed\n");
    }
    /* A POST with a body is refused without reading it. */
    s_request (port,
               "POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
               "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
               response);
    assert_int_equal (response->status, 405);
    assert_true (s_has_header (response, "Allow", "GET, HEAD"));
    /* Refused requests never reach the health callback. */
    assert_int_equal (atomic_load (&health.calls), 0);

    free (response);
    sp_http_destroy (&http);
    sp_metrics_destroy (&metrics);
}

static void
test_server_errors_are_logged (void **state)
{
    (void) state;
    sp_http_t *http = s_http_new (NULL, NULL, NULL);
    response_t *response = calloc (1, sizeof *response);
    assert_non_null (response);
    char *logged = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&logged, &size);
    assert_non_null (stream);
    sp_log_set_stream (stream);
    /* libmicrohttpd logs a malformed request before it answers 400. */
    s_request (sp_http_port (http), "GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n", response);
    sp_log_set_stream (NULL);
    assert_int_equal (fclose (stream), 0);
    assert_int_equal (response->status, 400);
    assert_non_null (strstr (logged, "level=warn"));
    assert_non_null (strstr (logged, "msg=\"http server error\" detail=\"Error processing request "
                                     "(HTTP response code is 400"));
    /* One record, one line. */
    assert_true (strchr (logged, '\n') == logged + strlen (logged) - 1);
    free (logged);
    free (response);
    sp_http_destroy (&http);
}

static void
test_bad_listen_addresses (void **state)
{
    (void) state;
    const char *bad[] = { "x",
                          "",
                          "127.0.0.1",
                          "127.0.0.1:",
                          ":9101",
                          "127.0.0.1:65536",
                          "127.0.0.1:99999999999999999999",
                          "127.0.0.1:91x",
                          "127.0.0.1:-1",
                          "127.0.0.1:+80",
                          "127.0.0.1: 80",
                          "localhost:9101",
                          "256.0.0.1:9101",
                          "127.0.0:9101",
                          "[::1]:9101",
                          "tcp://127.0.0.1:9101",
                          "127.0.0.1:9101:1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char error[SP_HTTP_ERROR_SIZE] = ERROR_SENTINEL;
        sp_http_t *http = sp_http_new (bad[i], NULL, NULL, NULL, error, sizeof error);
        assert_null (http);
        char expected[SP_HTTP_ERROR_SIZE];
        snprintf (expected, sizeof expected, "invalid listen address \"%s\": expected HOST:PORT",
                  bad[i]);
        assert_string_equal (error, expected);
    }
    /* No error buffer is fine too. */
    assert_null (sp_http_new ("x", NULL, NULL, NULL, NULL, 0));
}

/* Binds and listens on a free loopback port; returns the socket. */
static int
s_occupy_port (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address;
    memset (&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (fd, (struct sockaddr *) &address, sizeof address), 0);
    assert_int_equal (listen (fd, 1), 0);
    socklen_t length = sizeof address;
    assert_int_equal (getsockname (fd, (struct sockaddr *) &address, &length), 0);
    *port = ntohs (address.sin_port);
    return fd;
}

static void
test_busy_port (void **state)
{
    (void) state;
    int port = 0;
    int fd = s_occupy_port (&port);
    char listen_address[ADDRESS_SIZE];
    snprintf (listen_address, sizeof listen_address, "127.0.0.1:%d", port);
    char error[SP_HTTP_ERROR_SIZE] = ERROR_SENTINEL;
    assert_null (sp_http_new (listen_address, NULL, NULL, NULL, error, sizeof error));
    char expected[SP_HTTP_ERROR_SIZE];
    snprintf (expected, sizeof expected, "could not listen on \"%s\": %s", listen_address,
              strerror (EADDRINUSE));
    assert_string_equal (error, expected);
    close (fd);
}

static void
test_restart_on_same_port (void **state)
{
    (void) state;
    sp_http_t *http = s_http_new (NULL, NULL, NULL);
    int port = sp_http_port (http);
    response_t *response = calloc (1, sizeof *response);
    assert_non_null (response);
    s_get (port, "GET", "/healthz", response);
    assert_int_equal (response->status, 200);
    sp_http_destroy (&http);
    assert_null (http);
    sp_http_destroy (&http);

    /* The port is released: a new server binds it again at once. */
    char listen_address[ADDRESS_SIZE];
    snprintf (listen_address, sizeof listen_address, "127.0.0.1:%d", port);
    char error[SP_HTTP_ERROR_SIZE] = ERROR_SENTINEL;
    http = sp_http_new (listen_address, NULL, NULL, NULL, error, sizeof error);
    assert_non_null (http);
    assert_string_equal (error, ERROR_SENTINEL);
    assert_int_equal (sp_http_port (http), port);
    s_get (port, "GET", "/healthz", response);
    assert_int_equal (response->status, 200);
    free (response);
    sp_http_destroy (&http);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_healthz),
        cmocka_unit_test (test_healthz_without_callback),
        cmocka_unit_test (test_metrics),
        cmocka_unit_test (test_not_found_and_not_allowed),
        cmocka_unit_test (test_server_errors_are_logged),
        cmocka_unit_test (test_bad_listen_addresses),
        cmocka_unit_test (test_busy_port),
        cmocka_unit_test (test_restart_on_same_port),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
