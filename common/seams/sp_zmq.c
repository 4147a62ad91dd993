/*  sp_zmq - ZeroMQ socket factory and message helpers (see sp_zmq.h).

    Options are set with zmq_setsockopt on the raw handle rather than CZMQ's
    zsock_set_* setters, because those assert on failure and we want a bad
    value from configuration to be an error message, not an abort. Binding
    and connecting go through zsock_bind / zsock_connect so CZMQ's wildcard
    port syntax ("tcp://127.0.0.1:*") and zsock_endpoint keep working.
*/
#include "sp_zmq.h"
#include "sp_error.h"

#include "sp_log.h"
#include "sp_proto.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SP_ZMQ_REASON_MAX 128     /* longest reason text kept from strerror */
#define SP_ZMQ_IPC_PATH_MAX 107   /* longest ipc:// path (sun_path minus NUL) */
#define SP_ZMQ_PORT_MAX 65535     /* largest TCP port */
#define SP_ZMQ_ROUTING_ID_MAX 255 /* longest routing id ZeroMQ accepts */
#define SP_ZMQ_DECIMAL_BASE 10    /* base of port numbers */
#define SP_ZMQ_PORT_DIGITS_MAX 5  /* digits in the largest port, "65535" */

#ifndef ZMQ_ROUTING_ID
#define ZMQ_ROUTING_ID ZMQ_IDENTITY
#endif

#define TCP_PREFIX "tcp://"
#define IPC_PREFIX "ipc://"
#define INPROC_PREFIX "inproc://"

/* ZeroMQ's text for an errno value, first letter lower-cased (PostgreSQL
   message style). */
static const char *
s_reason (int errnum, char *buffer, size_t size)
{
    snprintf (buffer, size, "%s", zmq_strerror (errnum));
    buffer[0] = (char) tolower ((unsigned char) buffer[0]);
    return buffer;
}

static bool
s_type_supported (int type)
{
    switch (type) {
        case ZMQ_PUB:
        case ZMQ_SUB:
        case ZMQ_ROUTER:
        case ZMQ_DEALER:
        case ZMQ_REQ:
        case ZMQ_REP:
        case ZMQ_PUSH:
        case ZMQ_PULL:
            return true;
        default:
            return false;
    }
}

void
sp_zmq_options_init (sp_zmq_options_t *options, int type)
{
    assert (options);
    assert (s_type_supported (type));
    memset (options, 0, sizeof *options);
    options->type = type;
    options->endpoints = NULL;
    options->bind_by_default =
        type == ZMQ_PUB || type == ZMQ_ROUTER || type == ZMQ_REP || type == ZMQ_PULL;
    options->send_hwm = SP_ZMQ_DEFAULT_HWM;
    options->receive_hwm = SP_ZMQ_DEFAULT_HWM;
    options->max_message_size = SP_ZMQ_NO_LIMIT;
    options->linger_ms = SP_ZMQ_DEFAULT_LINGER_MS;
    options->receive_timeout_ms = SP_ZMQ_NO_TIMEOUT;
    options->send_timeout_ms = SP_ZMQ_NO_TIMEOUT;
    options->subscriptions = NULL;
    options->subscription_count = 0;
    options->router_mandatory = type == ZMQ_ROUTER;
    options->routing_id = NULL;
    options->curve = NULL;
    options->curve_server = options->bind_by_default;
}

/* True when text is all decimal digits (and not empty). */
static bool
s_is_digits (const char *text, size_t length)
{
    if (length == 0)
        return false;
    for (size_t i = 0; i < length; i++)
        if (!isdigit ((unsigned char) text[i]))
            return false;
    return true;
}

/* Parses a port number 1..65535 from exactly length characters. */
static bool
s_parse_port (const char *text, size_t length, long *port)
{
    /* More digits than "65535" can only be out of range (or padded). */
    if (!s_is_digits (text, length) || length > SP_ZMQ_PORT_DIGITS_MAX)
        return false;
    char digits[SP_ZMQ_PORT_DIGITS_MAX + 1];
    memcpy (digits, text, length);
    digits[length] = '\0';
    char *end = NULL;
    errno = 0;
    long value = strtol (digits, &end, SP_ZMQ_DECIMAL_BASE);
    if (errno != 0 || *end != '\0' || value < 1 || value > SP_ZMQ_PORT_MAX)
        return false;
    *port = value;
    return true;
}

/* Checks a CZMQ wildcard port: "*" or "!", optionally "[first-last]". */
static bool
s_wildcard_port_valid (const char *port)
{
    if (port[0] != '*' && port[0] != '!')
        return false;
    const char *range = port + 1;
    if (*range == '\0')
        return true;
    size_t length = strlen (range);
    if (range[0] != '[' || range[length - 1] != ']')
        return false;
    const char *dash = memchr (range, '-', length);
    if (!dash)
        return false;
    const char *first = range + 1;
    size_t first_length = (size_t) (dash - first);
    const char *last = dash + 1;
    size_t last_length = (size_t) (range + length - 1 - last);
    long first_port = 1;
    long last_port = SP_ZMQ_PORT_MAX;
    if (first_length > 0 && !s_parse_port (first, first_length, &first_port))
        return false;
    if (last_length > 0 && !s_parse_port (last, last_length, &last_port))
        return false;
    return first_port <= last_port;
}

/* Checks "host:port" of a tcp:// endpoint; sets *reason on failure. */
static bool
s_tcp_address_valid (const char *address, bool bind, char *reason, size_t reason_size)
{
    const char *colon = strrchr (address, ':');
    const char *host_end = colon;
    if (address[0] == '[') {
        const char *bracket = strchr (address, ']');
        if (!bracket) {
            snprintf (reason, reason_size, "unterminated \"[\" in IPv6 host");
            return false;
        }
        if (bracket[1] != ':') {
            snprintf (reason, reason_size, "missing port (expected [host]:port)");
            return false;
        }
        colon = bracket + 1;
        host_end = colon;
    }
    if (!colon) {
        snprintf (reason, reason_size, "missing port (expected host:port)");
        return false;
    }
    size_t host_length = (size_t) (host_end - address);
    if (host_length == 0) {
        snprintf (reason, reason_size, "missing host (expected host:port)");
        return false;
    }
    if (!bind && host_length == 1 && address[0] == '*') {
        snprintf (reason, reason_size, "host \"*\" is only valid when binding");
        return false;
    }
    const char *port = colon + 1;
    if (*port == '\0') {
        snprintf (reason, reason_size, "missing port (expected host:port)");
        return false;
    }
    if (port[0] == '*' || port[0] == '!') {
        if (!bind) {
            snprintf (reason, reason_size, "wildcard port \"%s\" is only valid when binding", port);
            return false;
        }
        if (!s_wildcard_port_valid (port)) {
            snprintf (reason, reason_size,
                      "wildcard port \"%s\" is malformed (expected *, ! or *[first-last])", port);
            return false;
        }
        return true;
    }
    long number = 0;
    if (!s_parse_port (port, strlen (port), &number)) {
        snprintf (reason, reason_size, "port \"%s\" is not a number in 1..%d", port,
                  SP_ZMQ_PORT_MAX);
        return false;
    }
    return true;
}

int
sp_zmq_endpoint_check (const char *endpoint, bool bind, char *error, size_t error_size)
{
    assert (endpoint);
    char reason[SP_ZMQ_REASON_MAX] = "";
    bool valid = false;
    if (endpoint[0] == '\0')
        snprintf (reason, sizeof reason, "empty");
    else {
        bool clean = true;
        for (const char *c = endpoint; *c; c++)
            if (isspace ((unsigned char) *c) || iscntrl ((unsigned char) *c))
                clean = false;
        if (!clean)
            snprintf (reason, sizeof reason, "contains white space or control characters");
        else if (strncmp (endpoint, TCP_PREFIX, strlen (TCP_PREFIX)) == 0)
            valid =
                s_tcp_address_valid (endpoint + strlen (TCP_PREFIX), bind, reason, sizeof reason);
        else if (strncmp (endpoint, IPC_PREFIX, strlen (IPC_PREFIX)) == 0) {
            const char *path = endpoint + strlen (IPC_PREFIX);
            if (*path == '\0')
                snprintf (reason, sizeof reason, "missing path");
            else if (strcmp (path, "*") == 0 && !bind)
                snprintf (reason, sizeof reason, "path \"*\" is only valid when binding");
            else if (strlen (path) > SP_ZMQ_IPC_PATH_MAX)
                snprintf (reason, sizeof reason, "path is longer than %d bytes",
                          SP_ZMQ_IPC_PATH_MAX);
            else
                valid = true;
        }
        else if (strncmp (endpoint, INPROC_PREFIX, strlen (INPROC_PREFIX)) == 0) {
            if (endpoint[strlen (INPROC_PREFIX)] == '\0')
                snprintf (reason, sizeof reason, "missing name");
            else
                valid = true;
        }
        else {
            const char *separator = strstr (endpoint, "://");
            if (separator)
                snprintf (reason, sizeof reason,
                          "unsupported transport \"%.*s\" (expected tcp, ipc or inproc)",
                          (int) (separator - endpoint), endpoint);
            else
                snprintf (reason, sizeof reason,
                          "missing transport (expected tcp://, ipc:// or inproc://)");
        }
    }
    if (!valid) {
        sp_error_set (error, error_size, "invalid endpoint \"%s\": %s", endpoint, reason);
        return -1;
    }
    return 0;
}

/* Splits one list element into its action and bare endpoint. */
static const char *
s_endpoint_action (const char *element, bool bind_by_default, bool *bind)
{
    if (element[0] == '@') {
        *bind = true;
        return element + 1;
    }
    if (element[0] == '>') {
        *bind = false;
        return element + 1;
    }
    *bind = bind_by_default;
    return element;
}

/* Visits every comma-separated element of list; attach false only checks. */
static int
s_walk_endpoints (zsock_t *socket, char *list, bool bind_by_default, bool attach, char *error,
                  size_t error_size)
{
    char *element = list;
    while (true) {
        char *comma = strchr (element, ',');
        if (comma)
            *comma = '\0';
        bool bind = false;
        const char *endpoint = s_endpoint_action (element, bind_by_default, &bind);
        int rc = 0;
        if (!attach)
            rc = sp_zmq_endpoint_check (endpoint, bind, error, error_size);
        else {
            char reason[SP_ZMQ_REASON_MAX];
            if (bind && zsock_bind (socket, "%s", endpoint) == -1) {
                sp_error_set (error, error_size, "could not bind to \"%s\": %s", endpoint,
                         s_reason (zmq_errno (), reason, sizeof reason));
                rc = -1;
            }
            else if (!bind && zsock_connect (socket, "%s", endpoint) == -1) {
                sp_error_set (error, error_size, "could not connect to \"%s\": %s", endpoint,
                         s_reason (zmq_errno (), reason, sizeof reason));
                rc = -1;
            }
        }
        if (comma)
            *comma = ',';
        if (rc != 0)
            return -1;
        if (!comma)
            return 0;
        element = comma + 1;
    }
}

int
sp_zmq_attach (zsock_t *socket, const char *endpoints, bool bind_by_default, char *error,
               size_t error_size)
{
    assert (socket);
    assert (endpoints);
    int rc = -1;
    char *list = strdup (endpoints);
    if (!list) {
        sp_error_set (error, error_size, "out of memory attaching endpoints");
        goto out;
    }
    if (s_walk_endpoints (socket, list, bind_by_default, false, error, error_size) != 0)
        goto out_free_list;
    if (s_walk_endpoints (socket, list, bind_by_default, true, error, error_size) != 0)
        goto out_free_list;
    rc = 0;
out_free_list:
    free (list);
out:
    return rc;
}

/* Sets an int option; name is the options field, for the error text. */
static int
s_set_int (void *handle, int option, int value, const char *name, char *error, size_t error_size)
{
    if (zmq_setsockopt (handle, option, &value, sizeof value) != 0) {
        char reason[SP_ZMQ_REASON_MAX];
        sp_error_set (error, error_size, "could not set %s to %d: %s", name, value,
                 s_reason (zmq_errno (), reason, sizeof reason));
        return -1;
    }
    return 0;
}

/* Checks option values that come from configuration. */
static int
s_options_valid (const sp_zmq_options_t *options, char *error, size_t error_size)
{
    if (options->send_hwm < 0) {
        sp_error_set (error, error_size, "invalid send_hwm %d: expected 0 (unlimited) or more",
                 options->send_hwm);
        return -1;
    }
    if (options->receive_hwm < 0) {
        sp_error_set (error, error_size, "invalid receive_hwm %d: expected 0 (unlimited) or more",
                 options->receive_hwm);
        return -1;
    }
    if (options->max_message_size < SP_ZMQ_NO_LIMIT || options->max_message_size == 0) {
        sp_error_set (error, error_size,
                 "invalid max_message_size %lld: expected -1 (no limit) or 1 or more",
                 (long long) options->max_message_size);
        return -1;
    }
    const struct {
        const char *name; /* options field */
        int value;        /* its value */
    } durations[] = {
        { "linger_ms", options->linger_ms },
        { "receive_timeout_ms", options->receive_timeout_ms },
        { "send_timeout_ms", options->send_timeout_ms },
    };
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++)
        if (durations[i].value < SP_ZMQ_NO_TIMEOUT) {
            sp_error_set (error, error_size, "invalid %s %d: expected -1 (forever) or 0 or more",
                     durations[i].name, durations[i].value);
            return -1;
        }
    if (options->routing_id) {
        size_t length = strlen (options->routing_id);
        if (length == 0 || length > SP_ZMQ_ROUTING_ID_MAX) {
            sp_error_set (error, error_size, "invalid routing id of %zu bytes: expected 1..%d bytes",
                     length, SP_ZMQ_ROUTING_ID_MAX);
            return -1;
        }
    }
    return 0;
}

/* Applies every option to a fresh socket, before any bind or connect. */
static int
s_apply_options (zsock_t *socket, const sp_zmq_options_t *options, char *error, size_t error_size)
{
    void *handle = zsock_resolve (socket);
    char reason[SP_ZMQ_REASON_MAX];
    if (s_set_int (handle, ZMQ_SNDHWM, options->send_hwm, "send_hwm", error, error_size) != 0 ||
        s_set_int (handle, ZMQ_RCVHWM, options->receive_hwm, "receive_hwm", error, error_size) !=
            0 ||
        s_set_int (handle, ZMQ_LINGER, options->linger_ms, "linger_ms", error, error_size) != 0 ||
        s_set_int (handle, ZMQ_RCVTIMEO, options->receive_timeout_ms, "receive_timeout_ms", error,
                   error_size) != 0 ||
        s_set_int (handle, ZMQ_SNDTIMEO, options->send_timeout_ms, "send_timeout_ms", error,
                   error_size) != 0)
        return -1;

    int64_t max_message_size = options->max_message_size;
    if (zmq_setsockopt (handle, ZMQ_MAXMSGSIZE, &max_message_size, sizeof max_message_size) != 0) {
        sp_error_set (error, error_size, "could not set max_message_size to %lld: %s",
                 (long long) max_message_size, s_reason (zmq_errno (), reason, sizeof reason));
        return -1;
    }
    if (options->router_mandatory &&
        s_set_int (handle, ZMQ_ROUTER_MANDATORY, 1, "router_mandatory", error, error_size) != 0)
        return -1;
    if (options->routing_id && zmq_setsockopt (handle, ZMQ_ROUTING_ID, options->routing_id,
                                               strlen (options->routing_id)) != 0) {
        sp_error_set (error, error_size, "could not set routing id \"%s\": %s", options->routing_id,
                 s_reason (zmq_errno (), reason, sizeof reason));
        return -1;
    }
    for (size_t i = 0; i < options->subscription_count; i++) {
        const char *prefix = options->subscriptions[i];
        assert (prefix);
        if (zmq_setsockopt (handle, ZMQ_SUBSCRIBE, prefix, strlen (prefix)) != 0) {
            sp_error_set (error, error_size, "could not subscribe to \"%s\": %s", prefix,
                     s_reason (zmq_errno (), reason, sizeof reason));
            return -1;
        }
    }
    return 0;
}

zsock_t *
sp_zmq_socket_new (const sp_zmq_options_t *options, char *error, size_t error_size)
{
    assert (options);
    assert (s_type_supported (options->type));
    assert (options->subscription_count == 0 || options->type == ZMQ_SUB);
    assert (options->subscription_count == 0 || options->subscriptions);
    assert (!options->router_mandatory || options->type == ZMQ_ROUTER);
    assert (!options->routing_id || options->type == ZMQ_DEALER || options->type == ZMQ_REQ ||
            options->type == ZMQ_ROUTER);

    zsock_t *socket = NULL;
    if (s_options_valid (options, error, error_size) != 0)
        goto out;
    const sp_zmq_curve_t *curve = options->curve ? options->curve : sp_zmq_curve_installed ();
    /* A CURVE publisher decides whose subscriptions count: an XPUB that
       applies them by hand (s_admit_subscriptions). */
    bool guarded = curve && options->curve_server && options->type == ZMQ_PUB;
    socket = zsock_new (guarded ? ZMQ_XPUB : options->type);
    if (!socket) {
        char reason[SP_ZMQ_REASON_MAX];
        sp_error_set (error, error_size, "could not create %s socket: %s", zsys_sockname (options->type),
                 s_reason (zmq_errno (), reason, sizeof reason));
        goto out;
    }
    if (s_apply_options (socket, options, error, error_size) != 0)
        goto out_destroy_socket;
    if (guarded)
        zsock_set_xpub_manual (socket, 1);
    if (curve && sp_zmq_curve_apply (curve, socket, options->curve_server, error, error_size) != 0)
        goto out_destroy_socket;
    if (options->endpoints && sp_zmq_attach (socket, options->endpoints, options->bind_by_default,
                                             error, error_size) != 0)
        goto out_destroy_socket;
    return socket;

out_destroy_socket:
    zsock_destroy (&socket);
out:
    return NULL;
}

void
sp_zmq_socket_destroy (zsock_t **socket_p)
{
    assert (socket_p);
    if (*socket_p)
        zsock_destroy (socket_p);
    *socket_p = NULL;
}

const char *
sp_zmq_endpoint (zsock_t *socket)
{
    assert (socket);
    return zsock_endpoint (socket);
}

/* Applies the subscriptions a guarded publisher (a CURVE XPUB, see
   sp_zmq_socket_new) has received since its last send, before it sends
   again: a subscription counts only when the subscriber's certificate
   does not say "subscribe": "no" (SP_ZMQ_CURVE_SUBSCRIBE; the ZAP handler
   hands the metadata of the server's copy over with every message);
   cancels always apply (to the subscriber's own pipe, or to none when it
   has gone). Never blocks. */
static void
s_admit_subscriptions (zsock_t *socket, void *handle)
{
    if (zsock_type (socket) != ZMQ_XPUB)
        return;
    zmq_msg_t message;
    zmq_msg_init (&message);
    while (zmq_msg_recv (&message, handle, ZMQ_DONTWAIT) >= 0) {
        const uint8_t *data = zmq_msg_data (&message);
        size_t size = zmq_msg_size (&message);
        if (size == 0 || (data[0] != 0 && data[0] != 1))
            continue; /* not a (un)subscription: nothing a publisher reads */
        if (data[0] == 0) {
            zmq_setsockopt (handle, ZMQ_UNSUBSCRIBE, data + 1, size - 1);
            continue;
        }
        const char *may = zmq_msg_gets (&message, SP_ZMQ_CURVE_SUBSCRIBE);
        if (may && strcmp (may, SP_ZMQ_CURVE_SUBSCRIBE_NO) == 0) {
            const char *name = zmq_msg_gets (&message, SP_ZMQ_CURVE_NAME);
            sp_log_warn ("refused a subscription", "key=\"%s\" reason=\"its certificate says "
                         "subscribe: no\"",
                         name ? name : "");
            continue;
        }
        zmq_setsockopt (handle, ZMQ_SUBSCRIBE, data + 1, size - 1);
    }
    zmq_msg_close (&message);
}

/* Explains a failed send in words an operator can act on. */
static void
s_send_error (int errnum, char *error, size_t error_size)
{
    char reason[SP_ZMQ_REASON_MAX];
    if (errnum == EHOSTUNREACH)
        sp_error_set (error, error_size,
                 "could not send message: no connected peer has that routing id");
    else if (errnum == EAGAIN)
        sp_error_set (error, error_size,
                 "could not send message: peer not ready (high-water mark or send timeout)");
    else
        sp_error_set (error, error_size, "could not send message: %s",
                 s_reason (errnum, reason, sizeof reason));
}

/* Sends one frame; once a multipart message has started (in_progress) an
   interrupted send is retried so the message is never left half sent. */
static int
s_send_bytes (void *handle, const void *data, size_t size, int flags, bool in_progress)
{
    while (zmq_send (handle, data, size, flags) == -1) {
        if (zmq_errno () == EINTR && in_progress)
            continue;
        return -1;
    }
    return 0;
}

int
sp_zmq_send (zsock_t *socket, zmsg_t **message_p, char *error, size_t error_size)
{
    assert (socket);
    assert (message_p);
    assert (*message_p);
    zmsg_t *message = *message_p;
    size_t count = zmsg_size (message);
    assert (count > 0);

    void *handle = zsock_resolve (socket);
    s_admit_subscriptions (socket, handle);
    int rc = 0;
    size_t index = 0;
    for (zframe_t *frame = zmsg_first (message); frame; frame = zmsg_next (message), index++) {
        int flags = index + 1 < count ? ZMQ_SNDMORE : 0;
        if (s_send_bytes (handle, zframe_data (frame), zframe_size (frame), flags, index > 0) !=
            0) {
            s_send_error (zmq_errno (), error, error_size);
            rc = -1;
            break;
        }
    }
    zmsg_destroy (message_p);
    return rc;
}

int
sp_zmq_send_proto (zsock_t *socket, const char *topic, const ProtobufCMessage *message,
                   size_t max_size, char *error, size_t error_size)
{
    assert (socket);
    assert (message);
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = -1;
    if (sp_proto_pack (message, max_size, &data, &size, error, error_size) != 0)
        goto out;

    void *handle = zsock_resolve (socket);
    s_admit_subscriptions (socket, handle);
    if (topic && s_send_bytes (handle, topic, strlen (topic), ZMQ_SNDMORE, false) != 0) {
        s_send_error (zmq_errno (), error, error_size);
        goto out_free_data;
    }
    if (s_send_bytes (handle, data, size, 0, topic != NULL) != 0) {
        s_send_error (zmq_errno (), error, error_size);
        goto out_free_data;
    }
    rc = 0;
out_free_data:
    free (data);
out:
    return rc;
}

/* Says how a frame count differs from the expected range. */
static void
s_shape_error (size_t min_frames, size_t max_frames, size_t count, char *error, size_t error_size)
{
    if (min_frames == max_frames)
        sp_error_set (error, error_size, "expected %zu frame%s, got %zu", min_frames,
                 min_frames == 1 ? "" : "s", count);
    else
        sp_error_set (error, error_size, "expected %zu to %zu frames, got %zu", min_frames, max_frames,
                 count);
}

int
sp_zmq_check_frames (zmsg_t *message, size_t min_frames, size_t max_frames, char *error,
                     size_t error_size)
{
    assert (message);
    assert (min_frames <= max_frames);
    size_t count = zmsg_size (message);
    if (count >= min_frames && count <= max_frames)
        return 0;
    s_shape_error (min_frames, max_frames, count, error, error_size);
    return -1;
}

sp_zmq_receive_result_t
sp_zmq_receive (zsock_t *socket, size_t min_frames, size_t max_frames, zmsg_t **message_p,
                char *error, size_t error_size)
{
    assert (socket);
    assert (message_p);
    assert (min_frames >= 1);
    assert (min_frames <= max_frames);

    char reason[SP_ZMQ_REASON_MAX];
    zmsg_t *message = zmsg_new ();
    if (!message) {
        sp_error_set (error, error_size, "no message: out of memory");
        return SP_ZMQ_NO_MESSAGE;
    }
    size_t count = 0;
    bool complete = true; /* false once a frame could not be kept */
    bool more = true;
    while (more) {
        zframe_t *frame = zframe_recv (socket);
        if (!frame) {
            int errnum = zmq_errno ();
            if (count > 0 && errnum == EINTR)
                continue;
            if (errnum == EAGAIN)
                sp_error_set (error, error_size, "no message: timed out");
            else
                sp_error_set (error, error_size, "no message: %s",
                         s_reason (errnum, reason, sizeof reason));
            zmsg_destroy (&message);
            return SP_ZMQ_NO_MESSAGE;
        }
        more = zframe_more (frame);
        count++;
        if (count <= max_frames && zmsg_append (message, &frame) != 0)
            complete = false;
        zframe_destroy (&frame);
    }
    if (!complete) {
        sp_error_set (error, error_size, "no message: out of memory");
        zmsg_destroy (&message);
        return SP_ZMQ_NO_MESSAGE;
    }
    if (count > max_frames || count < min_frames) {
        s_shape_error (min_frames, max_frames, count, error, error_size);
        zmsg_destroy (&message);
        return SP_ZMQ_BAD_SHAPE;
    }
    *message_p = message;
    return SP_ZMQ_RECEIVED;
}
