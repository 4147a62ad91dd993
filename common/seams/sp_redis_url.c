/*  sp_redis_url - Redis URL parsing (see sp_redis_url.h).

    Each part has its own parser that fills the object and writes a reason
    on failure; s_parse_url adds the `invalid redis url "..."` prefix with
    the URL redacted, so no parser ever needs to think about secrets. A
    half-filled object is destroyed by sp_redis_url_new, never returned.
*/
#include "sp_redis_url.h"
#include "sp_error.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SP_REDIS_URL_DEFAULT_PORT 6379  /* port when the URL has none */
#define SP_REDIS_URL_PORT_MAX 65535     /* largest TCP port */
#define SP_REDIS_URL_UNIX_PATH_MAX 107  /* sun_path minus its NUL */
#define SP_REDIS_URL_REASON_MAX 256     /* longest failure reason */
#define SP_REDIS_URL_SHOWN_MAX 512      /* longest URL quoted in an error */
#define SP_REDIS_URL_NUMBER_TEXT_MAX 24 /* decimal text of an int, with sign */
#define SP_REDIS_URL_DECIMAL_BASE 10    /* base of ports and database numbers */
#define SP_REDIS_URL_HEX_BASE 16        /* base of %XX escapes */
#define SP_REDIS_URL_ESCAPE_DIGITS 2    /* hex digits after '%' */
#define SP_REDIS_URL_ADDRESS_EXTRA 4    /* "[", "]", ":" and NUL around host and port */

#define REDIS_SCHEME "redis://"
#define CLUSTER_SCHEME "redis+cluster://"
#define SEED_SEPARATOR ','
#define REDISS_SCHEME "rediss://"
#define UNIX_SCHEME "unix://"
#define UNIX_DB_PARAMETER "db"
#define UNIX_USER_PARAMETER "user"
#define UNIX_PASSWORD_PARAMETER "password"
#define SCHEME_SEPARATOR "://"

struct _sp_redis_url_t {
    char *host;        /* TCP host without brackets, NULL for a unix socket */
    int port;          /* TCP port, 0 for a unix socket */
    char *path;        /* unix socket path, NULL for TCP */
    char *username;    /* ACL user for AUTH, NULL for the default user */
    char *password;    /* AUTH password, NULL for none; wiped on destroy */
    int database;      /* SELECT index after connecting */
    char *address;     /* "host:port", "[v6]:port" or path, for messages */
    bool cluster;      /* redis+cluster://: the hosts are seeds of a Redis Cluster */
    int seed_count;    /* seeds (cluster) */
    char **seed_hosts; /* each seed's host without brackets, owned (cluster) */
    int *seed_ports;   /* each seed's port (cluster) */
};

/* The URL with any user:password replaced by "***", safe to show. */
static void
s_redact_url (const char *url, char *shown, size_t size)
{
    const char *scheme_end = strstr (url, SCHEME_SEPARATOR);
    const char *authority = scheme_end ? scheme_end + strlen (SCHEME_SEPARATOR) : url;
    const char *authority_end = strchr (authority, '/');
    if (!authority_end)
        authority_end = authority + strlen (authority);
    const char *at = NULL;
    for (const char *c = authority; c < authority_end; c++)
        if (*c == '@')
            at = c;
    const char *query = strchr (url, '?');
    if (at)
        snprintf (shown, size, "%.*s***%s", (int) (authority - url), url, at);
    else if (query && strstr (query, UNIX_PASSWORD_PARAMETER))
        snprintf (shown, size, "%.*s?***", (int) (query - url), url);
    else
        snprintf (shown, size, "%s", url);
}

/* Decodes %XX escapes of text[0..length) into a new string. */
static char *
s_percent_decode (const char *text, size_t length, bool *malformed)
{
    *malformed = false;
    char *decoded = malloc (length + 1);
    if (!decoded)
        return NULL;
    size_t out = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] != '%') {
            decoded[out++] = text[i];
            continue;
        }
        if (i + SP_REDIS_URL_ESCAPE_DIGITS >= length || !isxdigit ((unsigned char) text[i + 1]) ||
            !isxdigit ((unsigned char) text[i + SP_REDIS_URL_ESCAPE_DIGITS])) {
            *malformed = true;
            break;
        }
        char hex[SP_REDIS_URL_ESCAPE_DIGITS + 1] = { text[i + 1],
                                                     text[i + SP_REDIS_URL_ESCAPE_DIGITS], '\0' };
        decoded[out++] = (char) strtol (hex, NULL, SP_REDIS_URL_HEX_BASE);
        i += SP_REDIS_URL_ESCAPE_DIGITS;
    }
    decoded[out] = '\0';
    if (*malformed || memchr (decoded, '\0', out)) {
        *malformed = true;
        free (decoded);
        return NULL;
    }
    return decoded;
}

/* Parses a non-negative decimal of exactly length characters, <= max. */
static bool
s_parse_number (const char *text, size_t length, long max, long *value)
{
    if (length == 0 || length >= SP_REDIS_URL_NUMBER_TEXT_MAX)
        return false;
    for (size_t i = 0; i < length; i++)
        if (!isdigit ((unsigned char) text[i]))
            return false;
    char digits[SP_REDIS_URL_NUMBER_TEXT_MAX];
    memcpy (digits, text, length);
    digits[length] = '\0';
    char *end = NULL;
    errno = 0;
    long parsed = strtol (digits, &end, SP_REDIS_URL_DECIMAL_BASE);
    if (errno != 0 || *end != '\0' || parsed > max)
        return false;
    *value = parsed;
    return true;
}

/* Parses the user:password part (without '@'); sets reason on failure. */
static int
s_parse_userinfo (sp_redis_url_t *self, const char *text, size_t length, char *reason, size_t size)
{
    const char *colon = memchr (text, ':', length);
    if (!colon) {
        snprintf (reason, size, "missing password (expected [user]:password@host)");
        return -1;
    }
    bool malformed = false;
    size_t user_length = (size_t) (colon - text);
    if (user_length > 0) {
        self->username = s_percent_decode (text, user_length, &malformed);
        if (!self->username) {
            snprintf (reason, size,
                      malformed ? "malformed percent-encoding in user name" : "out of memory");
            return -1;
        }
    }
    size_t password_length = length - user_length - 1;
    if (password_length == 0) {
        snprintf (reason, size, "empty password");
        return -1;
    }
    self->password = s_percent_decode (colon + 1, password_length, &malformed);
    if (!self->password) {
        snprintf (reason, size,
                  malformed ? "malformed percent-encoding in password" : "out of memory");
        return -1;
    }
    return 0;
}

/* Parses "host[:port]" (host may be "[v6]"); sets reason on failure. */
static int
s_parse_host_port (sp_redis_url_t *self, const char *text, size_t length, char *reason, size_t size)
{
    const char *host = text;
    size_t host_length = 0;
    const char *rest = NULL;
    if (length > 0 && text[0] == '[') {
        const char *bracket = memchr (text, ']', length);
        if (!bracket) {
            snprintf (reason, size, "unterminated \"[\" in IPv6 host");
            return -1;
        }
        host = text + 1;
        host_length = (size_t) (bracket - host);
        rest = bracket + 1;
        if (rest < text + length && *rest != ':') {
            snprintf (reason, size, "unexpected text after \"]\" (expected :port)");
            return -1;
        }
    }
    else {
        const char *colon = memchr (text, ':', length);
        host_length = colon ? (size_t) (colon - text) : length;
        rest = colon ? colon : text + length;
        if (colon && memchr (colon + 1, ':', (size_t) (text + length - colon - 1))) {
            snprintf (reason, size, "IPv6 host must be in brackets, e.g. [::1]:6379");
            return -1;
        }
    }
    if (host_length == 0) {
        snprintf (reason, size, "missing host");
        return -1;
    }
    self->host = strndup (host, host_length);
    if (!self->host) {
        snprintf (reason, size, "out of memory");
        return -1;
    }
    self->port = SP_REDIS_URL_DEFAULT_PORT;
    if (rest < text + length) {
        const char *port = rest + 1;
        size_t port_length = (size_t) (text + length - port);
        long value = 0;
        if (port_length == 0) {
            snprintf (reason, size, "missing port after \":\"");
            return -1;
        }
        if (!s_parse_number (port, port_length, SP_REDIS_URL_PORT_MAX, &value) || value < 1) {
            snprintf (reason, size, "port \"%.*s\" is not a number in 1..%d", (int) port_length,
                      port, SP_REDIS_URL_PORT_MAX);
            return -1;
        }
        self->port = (int) value;
    }
    return 0;
}

/* Parses the database index text; sets reason on failure. */
static int
s_parse_database (sp_redis_url_t *self, const char *text, size_t length, char *reason, size_t size)
{
    long value = 0;
    if (length == 0)
        self->database = 0;
    else if (s_parse_number (text, length, INT_MAX, &value))
        self->database = (int) value;
    else {
        snprintf (reason, size, "database \"%.*s\" is not a number in 0..%d", (int) length, text,
                  INT_MAX);
        return -1;
    }
    return 0;
}

/* "host:port" or "[v6]:port" of host and port, malloc'd; NULL out of memory. */
static char *
s_address (const char *host, int port)
{
    size_t address_size = strlen (host) + SP_REDIS_URL_NUMBER_TEXT_MAX + SP_REDIS_URL_ADDRESS_EXTRA;
    char *address = malloc (address_size);
    if (!address)
        return NULL;
    if (strchr (host, ':'))
        snprintf (address, address_size, "[%s]:%d", host, port);
    else
        snprintf (address, address_size, "%s:%d", host, port);
    return address;
}

/* Parses "host:port[,host:port...]" into the seeds, the first one also
   as host and port; the address lists them all. */
static int
s_parse_seeds (sp_redis_url_t *self, const char *text, size_t length, char *reason, size_t size)
{
    if (length == 0) {
        snprintf (reason, size, "missing host");
        return -1;
    }
    int count = 1;
    for (size_t i = 0; i < length; i++)
        count += text[i] == SEED_SEPARATOR;
    self->seed_hosts = calloc ((size_t) count, sizeof *self->seed_hosts);
    self->seed_ports = calloc ((size_t) count, sizeof *self->seed_ports);
    self->address = calloc (1, length + 1);
    if (!self->seed_hosts || !self->seed_ports || !self->address) {
        snprintf (reason, size, "out of memory");
        return -1;
    }
    const char *seed = text;
    for (int index = 0; index < count; index++) {
        const char *end = memchr (seed, SEED_SEPARATOR, (size_t) (text + length - seed));
        size_t seed_length = end ? (size_t) (end - seed) : (size_t) (text + length - seed);
        if (seed_length == 0) {
            snprintf (reason, size, "empty host in the list of cluster nodes");
            return -1;
        }
        char seed_reason[SP_REDIS_URL_REASON_MAX] = "";
        if (s_parse_host_port (self, seed, seed_length, seed_reason, sizeof seed_reason) != 0) {
            snprintf (reason, size, "cluster node %d: %s", index + 1, seed_reason);
            return -1;
        }
        self->seed_hosts[index] = self->host;
        self->seed_ports[index] = self->port;
        self->seed_count = index + 1;
        self->host = NULL;
        seed = end ? end + 1 : seed;
    }
    self->host = strdup (self->seed_hosts[0]);
    self->port = self->seed_ports[0];
    if (!self->host) {
        snprintf (reason, size, "out of memory");
        return -1;
    }
    memcpy (self->address, text, length);
    return 0;
}

/* The seeds and the database of a redis+cluster:// URL (only database 0
   exists in a cluster). */
static int
s_parse_cluster_rest (sp_redis_url_t *self, const char *hosts, const char *hosts_end,
                      const char *slash, char *reason, size_t size)
{
    if (s_parse_seeds (self, hosts, (size_t) (hosts_end - hosts), reason, size) != 0)
        return -1;
    if (slash && s_parse_database (self, slash + 1, strlen (slash + 1), reason, size) != 0)
        return -1;
    if (self->database != 0) {
        snprintf (reason, size, "a Redis Cluster has only database 0");
        return -1;
    }
    return 0;
}

static int
s_parse_redis_url (sp_redis_url_t *self, const char *url, char *reason, size_t size)
{
    const char *authority = url + strlen (self->cluster ? CLUSTER_SCHEME : REDIS_SCHEME);
    const char *slash = strchr (authority, '/');
    const char *authority_end = slash ? slash : authority + strlen (authority);
    if (memchr (authority, '?', (size_t) (authority_end - authority)) ||
        (slash && strchr (slash, '?'))) {
        snprintf (reason, size, "query parameters are not supported");
        return -1;
    }
    const char *at = NULL;
    for (const char *c = authority; c < authority_end; c++)
        if (*c == '@')
            at = c;
    const char *host = authority;
    if (at) {
        if (s_parse_userinfo (self, authority, (size_t) (at - authority), reason, size) != 0)
            return -1;
        host = at + 1;
    }
    if (self->cluster)
        return s_parse_cluster_rest (self, host, authority_end, slash, reason, size);
    if (s_parse_host_port (self, host, (size_t) (authority_end - host), reason, size) != 0)
        return -1;
    if (slash && s_parse_database (self, slash + 1, strlen (slash + 1), reason, size) != 0)
        return -1;
    self->address = s_address (self->host, self->port);
    if (!self->address) {
        snprintf (reason, size, "out of memory");
        return -1;
    }
    return 0;
}

/* Parses "db=N&user=U&password=P" (any order, each optional, values
   percent-encoded) after a unix socket path; sets reason on failure. */
static int
s_parse_unix_query (sp_redis_url_t *self, const char *query, char *reason, size_t size)
{
    const char *parameter = query;
    bool database_seen = false; /* a second db= is an error, not an override */
    while (true) {
        const char *end = strchr (parameter, '&');
        size_t length = end ? (size_t) (end - parameter) : strlen (parameter);
        const char *equals = memchr (parameter, '=', length);
        size_t name_length = equals ? (size_t) (equals - parameter) : length;
        const char *value = equals ? equals + 1 : parameter + length;
        size_t value_length = (size_t) (parameter + length - value);
        bool malformed = false;
        if (equals && name_length == strlen (UNIX_DB_PARAMETER) &&
            strncmp (parameter, UNIX_DB_PARAMETER, name_length) == 0 && !database_seen) {
            database_seen = true;
            if (value_length == 0) {
                snprintf (reason, size, "database \"\" is not a number in 0..%d", INT_MAX);
                return -1;
            }
            if (s_parse_database (self, value, value_length, reason, size) != 0)
                return -1;
        }
        else if (equals && name_length == strlen (UNIX_USER_PARAMETER) &&
                 strncmp (parameter, UNIX_USER_PARAMETER, name_length) == 0 && !self->username) {
            self->username = s_percent_decode (value, value_length, &malformed);
            if (!self->username || value_length == 0) {
                snprintf (reason, size,
                          malformed || value_length > 0 ? "malformed percent-encoding in user name"
                                                        : "empty user name");
                return -1;
            }
        }
        else if (equals && name_length == strlen (UNIX_PASSWORD_PARAMETER) &&
                 strncmp (parameter, UNIX_PASSWORD_PARAMETER, name_length) == 0 &&
                 !self->password) {
            self->password = s_percent_decode (value, value_length, &malformed);
            if (!self->password || value_length == 0) {
                snprintf (reason, size,
                          malformed || value_length > 0 ? "malformed percent-encoding in password"
                                                        : "empty password");
                return -1;
            }
        }
        else {
            snprintf (reason, size,
                      "unknown or repeated parameter \"%.*s\" (expected db, user or password)",
                      (int) name_length, parameter);
            return -1;
        }
        if (!end)
            break;
        parameter = end + 1;
    }
    if (self->username && !self->password) {
        snprintf (reason, size, "user name given without a password");
        return -1;
    }
    return 0;
}

static int
s_parse_unix_url (sp_redis_url_t *self, const char *url, char *reason, size_t size)
{
    const char *path = url + strlen (UNIX_SCHEME);
    if (path[0] != '/') {
        snprintf (reason, size, "socket path must be absolute (unix:///path/to/redis.sock)");
        return -1;
    }
    const char *query = strchr (path, '?');
    size_t path_length = query ? (size_t) (query - path) : strlen (path);
    if (path_length <= 1) {
        snprintf (reason, size, "missing socket path");
        return -1;
    }
    if (path_length > SP_REDIS_URL_UNIX_PATH_MAX) {
        snprintf (reason, size, "socket path is longer than %d bytes", SP_REDIS_URL_UNIX_PATH_MAX);
        return -1;
    }
    if (query && s_parse_unix_query (self, query + 1, reason, size) != 0)
        return -1;
    self->path = strndup (path, path_length);
    self->address = strndup (path, path_length);
    if (!self->path || !self->address) {
        snprintf (reason, size, "out of memory");
        return -1;
    }
    return 0;
}

/* Dispatches on the scheme; on failure writes the redacted error. */
static int
s_parse_url (sp_redis_url_t *self, const char *url, char *error, size_t error_size)
{
    char reason[SP_REDIS_URL_REASON_MAX] = "";
    int rc = -1;
    if (strncmp (url, REDIS_SCHEME, strlen (REDIS_SCHEME)) == 0)
        rc = s_parse_redis_url (self, url, reason, sizeof reason);
    else if (strncmp (url, CLUSTER_SCHEME, strlen (CLUSTER_SCHEME)) == 0) {
        self->cluster = true;
        rc = s_parse_redis_url (self, url, reason, sizeof reason);
    }
    else if (strncmp (url, UNIX_SCHEME, strlen (UNIX_SCHEME)) == 0)
        rc = s_parse_unix_url (self, url, reason, sizeof reason);
    else if (strncmp (url, REDISS_SCHEME, strlen (REDISS_SCHEME)) == 0)
        snprintf (reason, sizeof reason, "TLS (rediss://) is not supported");
    else
        snprintf (reason, sizeof reason,
                  "expected \"redis://\", \"redis+cluster://\" or \"unix://\"");
    if (rc != 0) {
        char shown[SP_REDIS_URL_SHOWN_MAX];
        s_redact_url (url, shown, sizeof shown);
        sp_error_set (error, error_size, "invalid redis url \"%s\": %s", shown, reason);
    }
    return rc;
}

/* ================================================================ public */

sp_redis_url_t *
sp_redis_url_new (const char *url, char *error, size_t error_size)
{
    assert (url);
    sp_redis_url_t *self = calloc (1, sizeof *self);
    if (!self) {
        char shown[SP_REDIS_URL_SHOWN_MAX];
        s_redact_url (url, shown, sizeof shown);
        sp_error_set (error, error_size, "invalid redis url \"%s\": out of memory", shown);
        return NULL;
    }
    self->host = NULL;
    self->port = 0;
    self->path = NULL;
    self->username = NULL;
    self->password = NULL;
    self->database = 0;
    self->address = NULL;
    self->cluster = false;
    self->seed_count = 0;
    self->seed_hosts = NULL;
    self->seed_ports = NULL;
    if (s_parse_url (self, url, error, error_size) != 0)
        sp_redis_url_destroy (&self);
    return self;
}

void
sp_redis_url_destroy (sp_redis_url_t **self_p)
{
    assert (self_p);
    sp_redis_url_t *self = *self_p;
    if (!self)
        return;
    free (self->host);
    free (self->path);
    free (self->username);
    if (self->password) {
        memset (self->password, 0, strlen (self->password));
        free (self->password);
    }
    free (self->address);
    for (int i = 0; self->seed_hosts && i < self->seed_count; i++)
        free (self->seed_hosts[i]);
    free (self->seed_hosts);
    free (self->seed_ports);
    free (self);
    *self_p = NULL;
}

const char *
sp_redis_url_host (const sp_redis_url_t *self)
{
    assert (self);
    return self->host;
}

int
sp_redis_url_port (const sp_redis_url_t *self)
{
    assert (self);
    return self->port;
}

const char *
sp_redis_url_path (const sp_redis_url_t *self)
{
    assert (self);
    return self->path;
}

const char *
sp_redis_url_username (const sp_redis_url_t *self)
{
    assert (self);
    return self->username;
}

const char *
sp_redis_url_password (const sp_redis_url_t *self)
{
    assert (self);
    return self->password;
}

int
sp_redis_url_database (const sp_redis_url_t *self)
{
    assert (self);
    return self->database;
}

const char *
sp_redis_url_address (const sp_redis_url_t *self)
{
    assert (self);
    return self->address;
}

bool
sp_redis_url_cluster (const sp_redis_url_t *self)
{
    assert (self);
    return self->cluster;
}

int
sp_redis_url_seed_count (const sp_redis_url_t *self)
{
    assert (self);
    return self->seed_count;
}

const char *
sp_redis_url_seed_host (const sp_redis_url_t *self, int index)
{
    assert (self);
    assert (index >= 0 && index < self->seed_count);
    return self->seed_hosts[index];
}

int
sp_redis_url_seed_port (const sp_redis_url_t *self, int index)
{
    assert (self);
    assert (index >= 0 && index < self->seed_count);
    return self->seed_ports[index];
}

sp_redis_url_t *
sp_redis_url_node (const sp_redis_url_t *self, const char *host, int port)
{
    assert (self);
    assert (host);
    sp_redis_url_t *node = calloc (1, sizeof *node);
    if (!node)
        return NULL;
    node->port = port;
    node->host = strdup (host);
    node->address = s_address (host, port);
    node->username = self->username ? strdup (self->username) : NULL;
    node->password = self->password ? strdup (self->password) : NULL;
    if (!node->host || !node->address || (self->username && !node->username) ||
        (self->password && !node->password))
        sp_redis_url_destroy (&node);
    return node;
}
