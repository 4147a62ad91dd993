/*  sp_harness_net - loopback networking helpers for integration tests:
    a free port (or tcp:// endpoint) for a service under test, and a
    minimal HTTP GET to read its /healthz and /metrics the way an
    operator's probe would.
*/
#include "sp_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define SP_HARNESS_HTTP_TIMEOUT_S 5        /* per read/write on the socket */
#define SP_HARNESS_HTTP_RESPONSE_MAX 65536 /* bytes of response kept */

static int
s_loopback_socket (int port, struct sockaddr_in *address)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset (address, 0, sizeof *address);
    address->sin_family = AF_INET;
    address->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address->sin_port = htons ((uint16_t) port);
    return fd;
}

int
sp_harness_reserve_port (int *port)
{
    struct sockaddr_in address;
    int fd = s_loopback_socket (0, &address);
    if (fd < 0)
        return -1;
    socklen_t length = sizeof address;
    if (bind (fd, (struct sockaddr *) &address, sizeof address) != 0 ||
        getsockname (fd, (struct sockaddr *) &address, &length) != 0) {
        close (fd);
        return -1;
    }
    *port = ntohs (address.sin_port);
    return fd;
}

int
sp_harness_free_port (void)
{
    int port = -1;
    int fd = sp_harness_reserve_port (&port);
    if (fd < 0)
        return -1;
    close (fd);
    return port;
}

int
sp_harness_free_endpoint (char *endpoint, size_t size)
{
    int port = sp_harness_free_port ();
    if (port <= 0)
        return -1;
    snprintf (endpoint, size, "tcp://127.0.0.1:%d", port);
    return 0;
}

int
sp_harness_http_get (int port, const char *path, int *status, char *body, size_t size)
{
    struct sockaddr_in address;
    int fd = s_loopback_socket (port, &address);
    if (fd < 0)
        return -1;
    int rc = -1;
    char *response = malloc (SP_HARNESS_HTTP_RESPONSE_MAX);
    if (!response)
        goto out_close;
    struct timeval timeout = { SP_HARNESS_HTTP_TIMEOUT_S, 0 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
        goto out_free;
    char request[512];
    int length = snprintf (request, sizeof request,
                           "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    if (length < 0 || (size_t) length >= sizeof request ||
        write (fd, request, (size_t) length) != length)
        goto out_free;
    size_t used = 0;
    ssize_t got;
    while (used < SP_HARNESS_HTTP_RESPONSE_MAX - 1 &&
           (got = read (fd, response + used, SP_HARNESS_HTTP_RESPONSE_MAX - 1 - used)) > 0)
        used += (size_t) got;
    response[used] = '\0';
    int code = 0;
    if (sscanf (response, "HTTP/1.%*d %d", &code) != 1)
        goto out_free;
    const char *start = strstr (response, "\r\n\r\n");
    start = start ? start + 4 : response + used;
    snprintf (body, size, "%s", start);
    *status = code;
    rc = 0;
out_free:
    free (response);
out_close:
    close (fd);
    return rc;
}
