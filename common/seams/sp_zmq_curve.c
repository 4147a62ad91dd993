/*  sp_zmq_curve - CURVE security for the ZeroMQ seam (see sp_zmq_curve.h).

    Certificate files are read with zconfig rather than zcert_load, because
    zcert_load(NAME) quietly prefers NAME_secret when it exists: here a
    file is exactly what it holds. Keys go to sockets with zmq_setsockopt
    on the raw handle (CZMQ's setters assert on failure; sp_zmq reports).
*/
#include "sp_zmq_curve.h"
#include "sp_error.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_KEY_BYTES 32        /* a CURVE key, binary */
#define S_KEY_TEXT_LENGTH 40  /* a CURVE key, Z85 */
#define S_SOURCE_MAX 64       /* longest single source (SP_EVENT_NAME_MAX) */
#define S_SECRET_MODE 0600    /* who may read a secret certificate */
#define S_PROPERTY_OVERHEAD 5 /* ZAP metadata per property: name length (1) + value length (4) */
#define S_REASON_SIZE 128     /* room for a reason */
#define S_PATH_SIZE 4096      /* room for a file path */
#define S_ERROR_SIZE 384      /* room for a certificate error */
#define S_CERT_FILE_MAX 8192  /* largest certificate file read, bytes (one is < 1 KiB) */

struct _sp_zmq_curve_t {
    zcert_t *own;                    /* this process's key pair; NULL when not given */
    uint8_t server_key[S_KEY_BYTES]; /* the server's public key (client sockets) */
    bool has_server_key;             /* server_path was given */
    zactor_t *auth;                  /* the ZAP handler; NULL when no clients_path */
};

static atomic_bool s_auth_running = false; /* a ZAP handler runs in this process */
static pthread_mutex_t s_installed_lock = PTHREAD_MUTEX_INITIALIZER;
static sp_zmq_curve_t *s_installed = NULL; /* the process's security */

static bool
s_given (const char *text)
{
    return text && text[0];
}

bool
sp_zmq_curve_settings_empty (const sp_zmq_curve_settings_t *settings)
{
    assert (settings);
    return !s_given (settings->secret_path) && !s_given (settings->clients_path) &&
           !s_given (settings->server_path);
}

/* ---------------------------------------------------------- certificates */

/* Decodes a Z85 key of exactly S_KEY_TEXT_LENGTH characters. */
static bool
s_decode_key (const char *text, uint8_t *key)
{
    if (!text || strlen (text) != S_KEY_TEXT_LENGTH)
        return false;
    return zmq_z85_decode (key, text) != NULL;
}

static bool
s_all_zero (const uint8_t *bytes, size_t size)
{
    for (size_t index = 0; index < size; index++)
        if (bytes[index])
            return false;
    return true;
}

/* Reads one certificate file; when keys is not NULL, also the binary
   public (keys[0..31]) and secret (keys[32..63], zero when absent) keys. */
static int
s_cert_read (const char *path, sp_zmq_curve_cert_info_t *info, uint8_t *keys, char *error,
             size_t error_size)
{
    char quoted[S_REASON_SIZE];
    sp_error_quote (path, quoted, sizeof quoted);
    struct stat status;
    if (stat (path, &status) != 0) {
        sp_error_set (error, error_size, "could not read certificate \"%s\": %s", quoted,
                      strerror (errno));
        return -1;
    }
    if (!S_ISREG (status.st_mode)) {
        sp_error_set (error, error_size, "could not read certificate \"%s\": not a file", quoted);
        return -1;
    }
    if (status.st_size > S_CERT_FILE_MAX) {
        sp_error_set (error, error_size,
                      "could not read certificate \"%s\": larger than %d bytes, not a "
                      "certificate",
                      quoted, S_CERT_FILE_MAX);
        return -1;
    }
    char text[S_CERT_FILE_MAX + 1];
    FILE *file = fopen (path, "r");
    size_t length = file ? fread (text, 1, S_CERT_FILE_MAX, file) : 0;
    if (!file || ferror (file)) {
        sp_error_set (error, error_size, "could not read certificate \"%s\": %s", quoted,
                      strerror (errno));
        if (file)
            fclose (file);
        return -1;
    }
    fclose (file);
    text[length] = '\0';
    /* zconfig_str_load, not zconfig_load: CZMQ 4.2's zconfig_load leaks
       its file handle when the text does not parse. */
    zconfig_t *root = memchr (text, '\0', length) ? NULL : zconfig_str_load (text);
    uint8_t public_key[S_KEY_BYTES];
    uint8_t secret_key[S_KEY_BYTES] = { 0 };
    const char *public_text = root ? zconfig_get (root, "/curve/public-key", NULL) : NULL;
    const char *secret_text = root ? zconfig_get (root, "/curve/secret-key", NULL) : NULL;
    if (!s_decode_key (public_text, public_key) ||
        (secret_text && !s_decode_key (secret_text, secret_key))) {
        sp_error_set (error, error_size,
                      "could not read certificate \"%s\": not a ZeroMQ CURVE certificate "
                      "(expected curve/public-key of 40 Z85 characters)",
                      quoted);
        zconfig_destroy (&root);
        return -1;
    }
    memset (info, 0, sizeof *info);
    info->subscribe = true;
    snprintf (info->public_key, sizeof info->public_key, "%s", public_text);
    info->secret = !s_all_zero (secret_key, sizeof secret_key);
    zconfig_t *metadata = zconfig_locate (root, "/metadata");
    for (zconfig_t *item = metadata ? zconfig_child (metadata) : NULL; item;
         item = zconfig_next (item)) {
        const char *name = zconfig_name (item);
        const char *value = zconfig_value (item);
        if (!name)
            continue;
        info->metadata_size += S_PROPERTY_OVERHEAD + strlen (name) + (value ? strlen (value) : 0);
        if (strcmp (name, SP_ZMQ_CURVE_NAME) == 0)
            snprintf (info->name, sizeof info->name, "%s", value ? value : "");
        else if (strcmp (name, SP_ZMQ_CURVE_SOURCES) == 0) {
            snprintf (info->sources, sizeof info->sources, "%s", value ? value : "");
            info->limited = true;
        }
        else if (strcmp (name, SP_ZMQ_CURVE_SUBSCRIBE) == 0)
            info->subscribe = !value || strcmp (value, SP_ZMQ_CURVE_SUBSCRIBE_NO) != 0;
    }
    if (keys) {
        memcpy (keys, public_key, S_KEY_BYTES);
        memcpy (keys + S_KEY_BYTES, secret_key, S_KEY_BYTES);
    }
    zconfig_destroy (&root);
    return 0;
}

int
sp_zmq_curve_cert_read (const char *path, sp_zmq_curve_cert_info_t *info, char *error,
                        size_t error_size)
{
    assert (path && info);
    return s_cert_read (path, info, NULL, error, error_size);
}

int
sp_zmq_curve_name_check (const char *name, char *error, size_t error_size)
{
    assert (name);
    char quoted[S_REASON_SIZE];
    sp_error_quote (name, quoted, sizeof quoted);
    size_t length = strlen (name);
    if (length == 0 || length > SP_ZMQ_CURVE_NAME_MAX) {
        sp_error_set (error, error_size, "invalid key name \"%s\": expected 1 to %d characters",
                      quoted, SP_ZMQ_CURVE_NAME_MAX);
        return -1;
    }
    for (size_t index = 0; index < length; index++) {
        char c = name[index];
        bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
        if (!allowed) {
            sp_error_set (error, error_size,
                          "invalid key name \"%s\": only letters, digits, '.', '_' and '-' are "
                          "allowed",
                          quoted);
            return -1;
        }
    }
    size_t suffix = strlen (SP_ZMQ_CURVE_SECRET_SUFFIX);
    if (name[0] == '.' ||
        (length >= suffix && strcmp (name + length - suffix, SP_ZMQ_CURVE_SECRET_SUFFIX) == 0)) {
        sp_error_set (error, error_size,
                      "invalid key name \"%s\": may not start with '.' or end in \"%s\"", quoted,
                      SP_ZMQ_CURVE_SECRET_SUFFIX);
        return -1;
    }
    return 0;
}

/* True when the item of length bytes at item appears in list[0..end). */
static bool
s_list_has (const char *list, size_t end, const char *item, size_t length)
{
    const char *at = list;
    while (at < list + end) {
        const char *comma = memchr (at, ',', (size_t) (list + end - at));
        size_t size = comma ? (size_t) (comma - at) : (size_t) (list + end - at);
        if (size == length && memcmp (at, item, length) == 0)
            return true;
        if (!comma)
            break;
        at = comma + 1;
    }
    return false;
}

int
sp_zmq_curve_sources_check (const char *sources, char *error, size_t error_size)
{
    assert (sources);
    char quoted[S_REASON_SIZE];
    sp_error_quote (sources, quoted, sizeof quoted);
    size_t length = strlen (sources);
    if (length > SP_ZMQ_CURVE_SOURCES_MAX) {
        sp_error_set (error, error_size, "invalid sources \"%s\": longer than %d bytes", quoted,
                      SP_ZMQ_CURVE_SOURCES_MAX);
        return -1;
    }
    if (length == 0)
        return 0;
    const char *at = sources;
    while (true) {
        const char *comma = strchr (at, ',');
        size_t size = comma ? (size_t) (comma - at) : strlen (at);
        if (size == 0 || size > S_SOURCE_MAX) {
            sp_error_set (error, error_size,
                          "invalid sources \"%s\": each source is 1 to %d characters", quoted,
                          S_SOURCE_MAX);
            return -1;
        }
        for (size_t index = 0; index < size; index++) {
            unsigned char c = (unsigned char) at[index];
            if (c <= ' ' || c >= 0x7f || c == '"') {
                sp_error_set (error, error_size,
                              "invalid sources \"%s\": a source is printable ASCII without "
                              "spaces, commas or quotes",
                              quoted);
                return -1;
            }
        }
        if (s_list_has (sources, (size_t) (at - sources), at, size)) {
            sp_error_set (error, error_size, "invalid sources \"%s\": \"%.*s\" is listed twice",
                          quoted, (int) size, at);
            return -1;
        }
        if (!comma)
            return 0;
        at = comma + 1;
    }
}

bool
sp_zmq_curve_sources_allow (const char *sources, const char *source)
{
    assert (sources && source);
    size_t length = strlen (source);
    return length > 0 && s_list_has (sources, strlen (sources), source, length);
}

/* Joins dir and name into path; -1 when it does not fit. */
static int
s_join (const char *dir, const char *name, const char *suffix, char *path, size_t size)
{
    int written = snprintf (path, size, "%s/%s%s", dir, name, suffix);
    return written > 0 && (size_t) written < size ? 0 : -1;
}

int
sp_zmq_curve_cert_create (const char *dir, const char *name, const char *sources,
                          bool subscribe, sp_zmq_curve_cert_info_t *info, char *error,
                          size_t error_size)
{
    assert (dir && name);
    if (sp_zmq_curve_name_check (name, error, error_size) != 0)
        return -1;
    if (sources && sp_zmq_curve_sources_check (sources, error, error_size) != 0)
        return -1;
    char public_path[S_PATH_SIZE];
    char secret_path[S_PATH_SIZE];
    char quoted[S_REASON_SIZE];
    sp_error_quote (dir, quoted, sizeof quoted);
    if (s_join (dir, name, "", public_path, sizeof public_path) != 0 ||
        s_join (dir, name, SP_ZMQ_CURVE_SECRET_SUFFIX, secret_path, sizeof secret_path) != 0) {
        sp_error_set (error, error_size, "directory \"%s\" is too long", quoted);
        return -1;
    }
    struct stat status;
    if (stat (dir, &status) != 0 || !S_ISDIR (status.st_mode)) {
        sp_error_set (error, error_size, "could not write keys into \"%s\": not a directory",
                      quoted);
        return -1;
    }
    if (access (public_path, F_OK) == 0 || access (secret_path, F_OK) == 0) {
        sp_error_set (error, error_size,
                      "key \"%s\" already exists in \"%s\": choose another name (a key is never "
                      "overwritten)",
                      name, quoted);
        return -1;
    }
    zcert_t *cert = zcert_new ();
    if (!cert) {
        sp_error_set (error, error_size, "could not make a key pair");
        return -1;
    }
    zcert_set_meta (cert, SP_ZMQ_CURVE_NAME, "%s", name);
    if (sources)
        zcert_set_meta (cert, SP_ZMQ_CURVE_SOURCES, "%s", sources);
    if (!subscribe)
        zcert_set_meta (cert, SP_ZMQ_CURVE_SUBSCRIBE, "%s", SP_ZMQ_CURVE_SUBSCRIBE_NO);
    int rc = -1;
    /* The secret file is created 0600 before anything is written in it. */
    mode_t previous = umask (0077);
    int saved = zcert_save_secret (cert, secret_path);
    umask (previous);
    if (saved != 0 || chmod (secret_path, S_SECRET_MODE) != 0) {
        sp_error_set (error, error_size, "could not write \"%s/%s%s\": %s", quoted, name,
                      SP_ZMQ_CURVE_SECRET_SUFFIX, strerror (errno));
        unlink (secret_path);
        goto out_destroy_cert;
    }
    if (zcert_save_public (cert, public_path) != 0) {
        sp_error_set (error, error_size, "could not write \"%s/%s\": %s", quoted, name,
                      strerror (errno));
        unlink (secret_path);
        unlink (public_path);
        goto out_destroy_cert;
    }
    rc = info ? s_cert_read (public_path, info, NULL, error, error_size) : 0;

out_destroy_cert:
    zcert_destroy (&cert);
    return rc;
}

/* ------------------------------------------------------------- security */

/* Refuses a clients directory holding a certificate whose metadata would
   overflow zauth's reply buffer (see the header). */
static int
s_check_clients (const char *path, char *error, size_t error_size)
{
    char quoted[S_REASON_SIZE];
    sp_error_quote (path, quoted, sizeof quoted);
    struct stat status;
    if (stat (path, &status) != 0 || !S_ISDIR (status.st_mode)) {
        sp_error_set (error, error_size, "invalid --curve-clients \"%s\": not a directory", quoted);
        return -1;
    }
    zdir_t *dir = zdir_new (path, NULL);
    if (!dir) {
        sp_error_set (error, error_size, "could not read --curve-clients \"%s\"", quoted);
        return -1;
    }
    int rc = 0;
    zfile_t **files = zdir_flatten (dir);
    for (size_t index = 0; files && files[index]; index++) {
        const char *file = zfile_filename (files[index], NULL);
        sp_zmq_curve_cert_info_t info;
        char reason[S_ERROR_SIZE];
        sp_error_quote (file, quoted, sizeof quoted);
        if (s_cert_read (file, &info, NULL, reason, sizeof reason) != 0) {
            /* zauth would read it on every connection (and CZMQ 4.2
               leaks a little each time a file does not parse). */
            sp_error_set (error, error_size,
                          "invalid --curve-clients: only public certificates belong there: %s",
                          reason);
            rc = -1;
        }
        else if (info.secret) {
            sp_error_set (error, error_size,
                          "invalid --curve-clients: \"%s\" holds a secret key, only public "
                          "certificates belong there",
                          quoted);
            rc = -1;
        }
        else if (info.metadata_size > SP_ZMQ_CURVE_METADATA_MAX) {
            sp_error_set (error, error_size,
                          "certificate \"%s\" holds %zu bytes of metadata, the limit is %d", quoted,
                          info.metadata_size, SP_ZMQ_CURVE_METADATA_MAX);
            rc = -1;
        }
        if (rc != 0)
            break;
    }
    zdir_flatten_free (&files);
    zdir_destroy (&dir);
    return rc;
}

/* Starts zauth over the clients directory. */
static int
s_start_auth (sp_zmq_curve_t *self, const char *clients_path, char *error, size_t error_size)
{
    bool expected = false;
    if (!atomic_compare_exchange_strong (&s_auth_running, &expected, true)) {
        sp_error_set (error, error_size,
                      "a ZAP handler already runs in this process (one per process)");
        return -1;
    }
    self->auth = zactor_new (zauth, NULL);
    if (!self->auth) {
        atomic_store (&s_auth_running, false);
        sp_error_set (error, error_size, "could not start the ZAP handler");
        return -1;
    }
    if (zstr_sendx (self->auth, "CURVE", clients_path, NULL) != 0 || zsock_wait (self->auth) != 0) {
        sp_error_set (error, error_size, "the ZAP handler did not take --curve-clients");
        return -1;
    }
    return 0;
}

sp_zmq_curve_t *
sp_zmq_curve_new (const sp_zmq_curve_settings_t *settings, char *error, size_t error_size)
{
    assert (settings);
    if (!s_given (settings->secret_path)) {
        sp_error_set (error, error_size,
                      "--curve-clients and --curve-server need --curve-secret (this process's "
                      "certificate)");
        return NULL;
    }
    sp_zmq_curve_t *self = (sp_zmq_curve_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    char reason[S_ERROR_SIZE];
    sp_zmq_curve_cert_info_t info;
    uint8_t keys[2 * S_KEY_BYTES];
    if (s_cert_read (settings->secret_path, &info, keys, reason, sizeof reason) != 0) {
        sp_error_set (error, error_size, "invalid --curve-secret: %s", reason);
        goto out_destroy;
    }
    if (!info.secret) {
        char quoted[S_REASON_SIZE];
        sp_error_quote (settings->secret_path, quoted, sizeof quoted);
        sp_error_set (error, error_size,
                      "invalid --curve-secret: \"%s\" holds no secret key (give the NAME%s file)",
                      quoted, SP_ZMQ_CURVE_SECRET_SUFFIX);
        goto out_destroy;
    }
    self->own = zcert_new_from (keys, keys + S_KEY_BYTES);
    memset (keys, 0, sizeof keys);
    if (!self->own) {
        sp_error_set (error, error_size, "out of memory");
        goto out_destroy;
    }
    if (s_given (settings->server_path)) {
        if (s_cert_read (settings->server_path, &info, keys, reason, sizeof reason) != 0) {
            sp_error_set (error, error_size, "invalid --curve-server: %s", reason);
            goto out_destroy;
        }
        memcpy (self->server_key, keys, S_KEY_BYTES);
        memset (keys, 0, sizeof keys);
        self->has_server_key = true;
    }
    if (s_given (settings->clients_path)) {
        if (s_check_clients (settings->clients_path, error, error_size) != 0 ||
            s_start_auth (self, settings->clients_path, error, error_size) != 0)
            goto out_destroy;
    }
    return self;

out_destroy:
    sp_zmq_curve_destroy (&self);
    return NULL;
}

void
sp_zmq_curve_destroy (sp_zmq_curve_t **self_p)
{
    assert (self_p);
    sp_zmq_curve_t *self = *self_p;
    if (!self)
        return;
    if (self->auth) {
        zactor_destroy (&self->auth);
        atomic_store (&s_auth_running, false);
    }
    zcert_destroy (&self->own);
    memset (self->server_key, 0, sizeof self->server_key);
    free (self);
    *self_p = NULL;
}

const char *
sp_zmq_curve_public_key (const sp_zmq_curve_t *self)
{
    assert (self && self->own);
    return zcert_public_txt (self->own);
}

bool
sp_zmq_curve_serves (const sp_zmq_curve_t *self)
{
    assert (self);
    return self->own && self->auth;
}

bool
sp_zmq_curve_connects (const sp_zmq_curve_t *self)
{
    assert (self);
    return self->own && self->has_server_key;
}

/* Sets one binary option; -1 with error naming it. */
static int
s_set (void *handle, int option, const char *name, const void *value, size_t size, char *error,
       size_t error_size)
{
    if (zmq_setsockopt (handle, option, value, size) == 0)
        return 0;
    sp_error_set (error, error_size, "could not set %s: %s", name, zmq_strerror (zmq_errno ()));
    return -1;
}

int
sp_zmq_curve_apply (const sp_zmq_curve_t *self, zsock_t *socket, bool server, char *error,
                    size_t error_size)
{
    assert (self && socket);
    if (server && !sp_zmq_curve_serves (self)) {
        sp_error_set (error, error_size,
                      "a CURVE server socket needs --curve-clients (without a ZAP handler any "
                      "client key would be admitted)");
        return -1;
    }
    if (!server && !sp_zmq_curve_connects (self)) {
        sp_error_set (error, error_size,
                      "a CURVE client socket needs --curve-server (the server's public "
                      "certificate)");
        return -1;
    }
    void *handle = zsock_resolve (socket);
    zcert_t *own = self->own;
    if (s_set (handle, ZMQ_CURVE_PUBLICKEY, "curve public key", zcert_public_key (own), S_KEY_BYTES,
               error, error_size) != 0 ||
        s_set (handle, ZMQ_CURVE_SECRETKEY, "curve secret key", zcert_secret_key (own), S_KEY_BYTES,
               error, error_size) != 0)
        return -1;
    if (server) {
        int on = 1;
        return s_set (handle, ZMQ_CURVE_SERVER, "curve server", &on, sizeof on, error, error_size);
    }
    return s_set (handle, ZMQ_CURVE_SERVERKEY, "curve server key", self->server_key, S_KEY_BYTES,
                  error, error_size);
}

void
sp_zmq_curve_install (sp_zmq_curve_t **curve_p)
{
    assert (curve_p);
    pthread_mutex_lock (&s_installed_lock);
    sp_zmq_curve_t *previous = s_installed;
    s_installed = *curve_p;
    *curve_p = NULL;
    pthread_mutex_unlock (&s_installed_lock);
    sp_zmq_curve_destroy (&previous);
}

const sp_zmq_curve_t *
sp_zmq_curve_installed (void)
{
    pthread_mutex_lock (&s_installed_lock);
    const sp_zmq_curve_t *curve = s_installed;
    pthread_mutex_unlock (&s_installed_lock);
    return curve;
}

void
sp_zmq_curve_uninstall (void)
{
    sp_zmq_curve_t *none = NULL;
    sp_zmq_curve_install (&none);
}

bool
sp_zmq_curve_is_server (zsock_t *socket)
{
    assert (socket);
    void *handle = zsock_resolve (socket);
    int mechanism = 0;
    int server = 0;
    size_t size = sizeof mechanism;
    if (zmq_getsockopt (handle, ZMQ_MECHANISM, &mechanism, &size) != 0 || mechanism != ZMQ_CURVE)
        return false;
    size = sizeof server;
    return zmq_getsockopt (handle, ZMQ_CURVE_SERVER, &server, &size) == 0 && server == 1;
}
