/*  test_zmq_curve - unit tests for sp_zmq_curve, CURVE security in the
    ZeroMQ seam.

    Certificates are written into a mkdtemp folder that each test removes.
    Connections go over tcp://127.0.0.1:* (CURVE needs a stream transport).
    An unknown key is proven refused by the monitor event ZeroMQ raises on
    the client (HANDSHAKE_FAILED_AUTH, status 400 from the ZAP handler),
    never by waiting: after it, what the server publishes or receives is
    checked while a listed client shows the traffic flows.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sp_zmq.h"
#include "sp_zmq_curve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERROR_SIZE 512         /* error buffer used by every test */
#define PATH_SIZE 512          /* room for a path in the temporary folder */
#define DIR_SIZE 64            /* room for the temporary folder's path */
#define SUBDIR_SIZE 128        /* room for a folder inside it */
#define DEADLINE_MS 10000      /* longest wait for an asynchronous outcome */
#define POLL_MS 20             /* one poll while waiting */
#define AUTH_FAILED_STATUS 400 /* ZAP status of a refused key */
#define EVENT_HEADER_SIZE 6    /* monitor event frame: 16-bit event, 32-bit value */

typedef struct {
    char dir[DIR_SIZE];        /* the temporary folder */
    char clients[SUBDIR_SIZE]; /* dir/clients: admitted public certificates */
    char keys[SUBDIR_SIZE];    /* dir/keys: every certificate made */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    snprintf (fixture->dir, sizeof fixture->dir, "/tmp/test_zmq_curve.XXXXXX");
    if (!mkdtemp (fixture->dir)) {
        free (fixture);
        return -1;
    }
    snprintf (fixture->clients, sizeof fixture->clients, "%s/clients", fixture->dir);
    snprintf (fixture->keys, sizeof fixture->keys, "%s/keys", fixture->dir);
    *state = fixture;
    if (mkdir (fixture->clients, 0700) != 0 || mkdir (fixture->keys, 0700) != 0)
        return -1;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    zdir_t *dir = zdir_new (fixture->dir, NULL);
    if (dir) {
        zdir_remove (dir, true);
        zdir_destroy (&dir);
    }
    rmdir (fixture->clients);
    rmdir (fixture->keys);
    rmdir (fixture->dir);
    free (fixture);
    return 0;
}

/* Makes keys/NAME(+_secret), one that may subscribe or not; with listed,
   also copies the public file into clients. */
static void
s_key_of (const s_fixture_t *fixture, const char *name, const char *sources, bool subscribe,
          bool listed)
{
    char error[ERROR_SIZE] = "";
    if (sp_zmq_curve_cert_create (fixture->keys, name, sources, subscribe, NULL, error,
                                  sizeof error) != 0)
        fail_msg ("sp_zmq_curve_cert_create: %s", error);
    if (!listed)
        return;
    char from[PATH_SIZE];
    char to[PATH_SIZE];
    snprintf (from, sizeof from, "%s/%s", fixture->keys, name);
    snprintf (to, sizeof to, "%s/%s", fixture->clients, name);
    zfile_t *file = zfile_new (NULL, from);
    assert_non_null (file);
    assert_int_equal (zfile_input (file), 0);
    zchunk_t *chunk = zfile_read (file, (size_t) zfile_cursize (file), 0);
    zfile_destroy (&file);
    FILE *copy = fopen (to, "w");
    assert_non_null (copy);
    assert_int_equal (fwrite (zchunk_data (chunk), 1, zchunk_size (chunk), copy),
                      zchunk_size (chunk));
    fclose (copy);
    zchunk_destroy (&chunk);
}

/* s_key_of for a key that may subscribe. */
static void
s_key (const s_fixture_t *fixture, const char *name, const char *sources, bool listed)
{
    s_key_of (fixture, name, sources, true, listed);
}

/* keys/NAME[suffix] into path. */
static const char *
s_path (const s_fixture_t *fixture, const char *name, const char *suffix, char *path)
{
    snprintf (path, PATH_SIZE, "%s/%s%s", fixture->keys, name, suffix);
    return path;
}

/* Security of a process holding keys/name, serving (clients) or
   connecting to server's key. */
static sp_zmq_curve_t *
s_curve (const s_fixture_t *fixture, const char *name, bool serve, const char *server)
{
    char secret[PATH_SIZE];
    char server_path[PATH_SIZE];
    sp_zmq_curve_settings_t settings = {
        .secret_path = s_path (fixture, name, SP_ZMQ_CURVE_SECRET_SUFFIX, secret),
        .clients_path = serve ? fixture->clients : NULL,
        .server_path = server ? s_path (fixture, server, "", server_path) : NULL,
    };
    char error[ERROR_SIZE] = "";
    sp_zmq_curve_t *curve = sp_zmq_curve_new (&settings, error, sizeof error);
    if (!curve)
        fail_msg ("sp_zmq_curve_new: %s", error);
    return curve;
}

static zsock_t *
s_socket (int type, const char *endpoints, const sp_zmq_curve_t *curve)
{
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, type);
    options.endpoints = endpoints;
    options.curve = curve;
    options.linger_ms = 0;
    if (type == ZMQ_SUB) {
        static const char *const everything[] = { "" };
        options.subscriptions = everything;
        options.subscription_count = 1;
    }
    char error[ERROR_SIZE] = "";
    zsock_t *socket = sp_zmq_socket_new (&options, error, sizeof error);
    if (!socket)
        fail_msg ("sp_zmq_socket_new: %s", error);
    return socket;
}

/* Waits for a monitor event of kind on monitor; returns its value. */
static uint32_t
s_wait_event (zsock_t *monitor, uint16_t kind)
{
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (zclock_mono () < deadline) {
        zpoller_t *poller = zpoller_new (monitor, NULL);
        void *ready = zpoller_wait (poller, POLL_MS);
        zpoller_destroy (&poller);
        if (!ready)
            continue;
        zmsg_t *event = zmsg_recv (monitor);
        zframe_t *frame = zmsg_first (event);
        uint16_t got = 0;
        uint32_t value = 0;
        if (frame && zframe_size (frame) >= EVENT_HEADER_SIZE) {
            memcpy (&got, zframe_data (frame), sizeof got);
            memcpy (&value, zframe_data (frame) + sizeof got, sizeof value);
        }
        zmsg_destroy (&event);
        if (got == kind)
            return value;
    }
    fail_msg ("no monitor event 0x%x within %d ms", kind, DEADLINE_MS);
    return 0;
}

/* A PAIR receiving socket's monitor events. */
static zsock_t *
s_monitor (zsock_t *socket, const char *name)
{
    char endpoint[PATH_SIZE];
    snprintf (endpoint, sizeof endpoint, "inproc://monitor-%s", name);
    assert_int_equal (zmq_socket_monitor (zsock_resolve (socket), endpoint, ZMQ_EVENT_ALL), 0);
    zsock_t *monitor = zsock_new_pair (endpoint);
    assert_non_null (monitor);
    return monitor;
}

static void
test_names_and_sources (void **state)
{
    (void) state;
    char error[ERROR_SIZE] = "";
    assert_int_equal (sp_zmq_curve_name_check ("crm-publisher.v2_1", error, sizeof error), 0);
    assert_int_equal (sp_zmq_curve_name_check ("", error, sizeof error), -1);
    assert_string_equal (error, "invalid key name \"\": expected 1 to 64 characters");
    assert_int_equal (sp_zmq_curve_name_check ("a/b", error, sizeof error), -1);
    assert_string_equal (error, "invalid key name \"a/b\": only letters, digits, '.', '_' and "
                                "'-' are allowed");
    assert_int_equal (sp_zmq_curve_name_check (".hidden", error, sizeof error), -1);
    assert_int_equal (sp_zmq_curve_name_check ("x_secret", error, sizeof error), -1);
    assert_string_equal (error, "invalid key name \"x_secret\": may not start with '.' or end "
                                "in \"_secret\"");

    assert_int_equal (sp_zmq_curve_sources_check ("crm,erp", error, sizeof error), 0);
    assert_int_equal (sp_zmq_curve_sources_check ("", error, sizeof error), 0);
    assert_int_equal (sp_zmq_curve_sources_check ("crm,", error, sizeof error), -1);
    assert_string_equal (error, "invalid sources \"crm,\": each source is 1 to 64 characters");
    assert_int_equal (sp_zmq_curve_sources_check ("crm,my erp", error, sizeof error), -1);
    assert_int_equal (sp_zmq_curve_sources_check ("crm,erp,crm", error, sizeof error), -1);
    assert_string_equal (error, "invalid sources \"crm,erp,crm\": \"crm\" is listed twice");

    assert_true (sp_zmq_curve_sources_allow ("crm,erp", "erp"));
    assert_true (sp_zmq_curve_sources_allow ("crm", "crm"));
    assert_false (sp_zmq_curve_sources_allow ("crm,erp", "er"));
    assert_false (sp_zmq_curve_sources_allow ("crm,erp", "crm,erp"));
    assert_false (sp_zmq_curve_sources_allow ("", "crm"));
    assert_false (sp_zmq_curve_sources_allow ("crm", ""));
}

static void
test_cert_files (void **state)
{
    s_fixture_t *fixture = *state;
    char error[ERROR_SIZE] = "";
    sp_zmq_curve_cert_info_t info;
    assert_int_equal (
        sp_zmq_curve_cert_create (fixture->keys, "crm", "crm,erp", true, &info, error, sizeof error), 0);
    assert_string_equal (info.name, "crm");
    assert_string_equal (info.sources, "crm,erp");
    assert_true (info.limited);
    assert_true (info.subscribe);
    assert_false (info.secret);
    assert_int_equal (strlen (info.public_key), 40);

    char path[PATH_SIZE];
    sp_zmq_curve_cert_info_t secret;
    assert_int_equal (sp_zmq_curve_cert_read (s_path (fixture, "crm", "_secret", path), &secret,
                                              error, sizeof error),
                      0);
    assert_true (secret.secret);
    assert_string_equal (secret.public_key, info.public_key);
    struct stat status;
    assert_int_equal (stat (path, &status), 0);
    assert_int_equal (status.st_mode & 0777, 0600);

    /* Never overwritten: the files stay as they were. */
    assert_int_equal (
        sp_zmq_curve_cert_create (fixture->keys, "crm", NULL, true, NULL, error, sizeof error), -1);
    assert_non_null (strstr (error, "key \"crm\" already exists"));
    assert_int_equal (
        sp_zmq_curve_cert_read (s_path (fixture, "crm", "", path), &secret, error, sizeof error),
        0);
    assert_string_equal (secret.public_key, info.public_key);

    /* Without --sources: any source; --no-subscribe: read back. */
    assert_int_equal (
        sp_zmq_curve_cert_create (fixture->keys, "any", NULL, false, &info, error, sizeof error), 0);
    assert_false (info.limited);
    assert_false (info.subscribe);
    assert_int_equal (
        sp_zmq_curve_cert_read (s_path (fixture, "any", "", path), &info, error, sizeof error), 0);
    assert_false (info.subscribe);

    assert_int_equal (
        sp_zmq_curve_cert_read (s_path (fixture, "absent", "", path), &info, error, sizeof error),
        -1);
    assert_non_null (strstr (error, "No such file or directory"));
    FILE *file = fopen (s_path (fixture, "junk", "", path), "w");
    fputs ("not a certificate\n", file);
    fclose (file);
    assert_int_equal (sp_zmq_curve_cert_read (path, &info, error, sizeof error), -1);
    assert_non_null (strstr (error, "not a ZeroMQ CURVE certificate"));
    assert_int_equal (
        sp_zmq_curve_cert_create ("/nonexistent-dir", "x", NULL, true, NULL, error, sizeof error), -1);
    assert_string_equal (error, "could not write keys into \"/nonexistent-dir\": not a directory");
}

static void
test_settings_refused (void **state)
{
    s_fixture_t *fixture = *state;
    s_key (fixture, "server", NULL, false);
    char error[ERROR_SIZE] = "";
    char secret[PATH_SIZE];
    char public[PATH_SIZE];
    sp_zmq_curve_settings_t settings = { NULL, fixture->clients, NULL };
    assert_false (sp_zmq_curve_settings_empty (&settings));
    assert_null (sp_zmq_curve_new (&settings, error, sizeof error));
    assert_non_null (strstr (error, "need --curve-secret"));

    settings.secret_path = s_path (fixture, "server", "", public);
    assert_null (sp_zmq_curve_new (&settings, error, sizeof error));
    assert_non_null (strstr (error, "holds no secret key"));

    settings.secret_path = s_path (fixture, "server", "_secret", secret);
    settings.clients_path = public;
    assert_null (sp_zmq_curve_new (&settings, error, sizeof error));
    assert_non_null (strstr (error, "invalid --curve-clients"));

    settings.clients_path = NULL;
    settings.server_path = fixture->dir;
    assert_null (sp_zmq_curve_new (&settings, error, sizeof error));
    assert_non_null (strstr (error, "invalid --curve-server"));

    /* A certificate whose metadata would overflow zauth's reply buffer. */
    zcert_t *cert = zcert_new ();
    char big[SP_ZMQ_CURVE_METADATA_MAX];
    memset (big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    zcert_set_meta (cert, "note", "%s", big);
    char path[PATH_SIZE];
    snprintf (path, sizeof path, "%s/big", fixture->clients);
    assert_int_equal (zcert_save_public (cert, path), 0);
    zcert_destroy (&cert);
    settings.server_path = NULL;
    settings.clients_path = fixture->clients;
    assert_null (sp_zmq_curve_new (&settings, error, sizeof error));
    assert_non_null (strstr (error, "bytes of metadata, the limit is 480"));
    unlink (path);
    /* Only public certificates belong in the clients directory. */
    assert_int_equal (
        sp_zmq_curve_cert_create (fixture->clients, "leaked", NULL, true, NULL, error, sizeof error), 0);
    assert_null (sp_zmq_curve_new (&settings, error, sizeof error));
    assert_non_null (strstr (error, "leaked_secret\" holds a secret key"));
    snprintf (path, sizeof path, "%s/leaked_secret", fixture->clients);
    unlink (path);
    snprintf (path, sizeof path, "%s/notes.txt", fixture->clients);
    FILE *notes = fopen (path, "w");
    fputs ("keys of the crm team\n", notes);
    fclose (notes);
    assert_null (sp_zmq_curve_new (&settings, error, sizeof error));
    assert_non_null (strstr (error, "only public certificates belong there: could not read "
                                    "certificate"));
    unlink (path);

    /* One ZAP handler per process. */
    sp_zmq_curve_t *first = sp_zmq_curve_new (&settings, error, sizeof error);
    assert_non_null (first);
    assert_true (sp_zmq_curve_serves (first));
    assert_false (sp_zmq_curve_connects (first));
    assert_null (sp_zmq_curve_new (&settings, error, sizeof error));
    assert_string_equal (error, "a ZAP handler already runs in this process (one per process)");
    sp_zmq_curve_destroy (&first);
    assert_null (first);
    sp_zmq_curve_destroy (&first);

    /* Roles the settings do not cover are errors, not plain sockets. */
    settings.clients_path = NULL;
    sp_zmq_curve_t *plain_server = sp_zmq_curve_new (&settings, error, sizeof error);
    assert_non_null (plain_server);
    sp_zmq_options_t options;
    sp_zmq_options_init (&options, ZMQ_PUB);
    options.endpoints = "tcp://127.0.0.1:*";
    options.curve = plain_server;
    assert_null (sp_zmq_socket_new (&options, error, sizeof error));
    assert_non_null (strstr (error, "a CURVE server socket needs --curve-clients"));
    sp_zmq_options_init (&options, ZMQ_SUB);
    options.endpoints = "tcp://127.0.0.1:5";
    options.curve = plain_server;
    assert_null (sp_zmq_socket_new (&options, error, sizeof error));
    assert_non_null (strstr (error, "a CURVE client socket needs --curve-server"));
    sp_zmq_curve_destroy (&plain_server);
}

/* A listed publisher key reaches the ROUTER with its metadata and its
   public key as User-Id; an unknown key is refused by ZAP and nothing of
   it arrives. */
static void
test_router_admits_listed_keys (void **state)
{
    s_fixture_t *fixture = *state;
    s_key (fixture, "server", NULL, false);
    s_key (fixture, "crm", "crm", true);
    s_key (fixture, "stranger", NULL, false);
    sp_zmq_curve_t *server = s_curve (fixture, "server", true, NULL);
    sp_zmq_curve_t *listed = s_curve (fixture, "crm", false, "server");
    sp_zmq_curve_t *unknown = s_curve (fixture, "stranger", false, "server");
    zsock_t *router = s_socket (ZMQ_ROUTER, "@tcp://127.0.0.1:*", server);
    assert_true (sp_zmq_curve_is_server (router));
    const char *endpoint = sp_zmq_endpoint (router);

    zsock_t *intruder = s_socket (ZMQ_DEALER, NULL, unknown);
    assert_false (sp_zmq_curve_is_server (intruder));
    zsock_t *monitor = s_monitor (intruder, "intruder");
    assert_int_equal (zsock_connect (intruder, "%s", endpoint), 0);
    zstr_send (intruder, "forged");
    assert_int_equal (s_wait_event (monitor, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), AUTH_FAILED_STATUS);

    zsock_t *dealer = s_socket (ZMQ_DEALER, endpoint, listed);
    zstr_send (dealer, "hello");
    zsock_set_rcvtimeo (router, DEADLINE_MS);
    zmsg_t *message = zmsg_recv (router);
    assert_non_null (message);
    assert_int_equal (zmsg_size (message), 2);
    zframe_t *body = zmsg_last (message);
    assert_memory_equal (zframe_data (body), "hello", 5);
    assert_string_equal (zframe_meta (body, SP_ZMQ_CURVE_USER_ID),
                         sp_zmq_curve_public_key (listed));
    assert_string_equal (zframe_meta (body, SP_ZMQ_CURVE_SOURCES), "crm");
    assert_string_equal (zframe_meta (body, SP_ZMQ_CURVE_NAME), "crm");
    zmsg_destroy (&message);
    /* The intruder's message never arrived: the next one is the listed one's. */
    zstr_send (dealer, "again");
    message = zmsg_recv (router);
    assert_non_null (message);
    assert_memory_equal (zframe_data (zmsg_last (message)), "again", 5);
    zmsg_destroy (&message);
    assert_false (zsock_events (router) & ZMQ_POLLIN);

    zsock_destroy (&monitor);
    sp_zmq_socket_destroy (&intruder);
    sp_zmq_socket_destroy (&dealer);
    sp_zmq_socket_destroy (&router);
    sp_zmq_curve_destroy (&unknown);
    sp_zmq_curve_destroy (&listed);
    sp_zmq_curve_destroy (&server);
}

/* The installed security applies to every socket without its own: a
   listed SUB receives what the PUB sends, an unknown one nothing. */
static void
test_installed_pub_sub (void **state)
{
    s_fixture_t *fixture = *state;
    s_key (fixture, "bus", NULL, false);
    s_key (fixture, "reader", "", true);
    s_key (fixture, "eavesdropper", NULL, false);
    s_key_of (fixture, "publisher-only", "crm", false, true);
    sp_zmq_curve_t *server = s_curve (fixture, "bus", true, NULL);
    sp_zmq_curve_install (&server);
    assert_null (server);
    assert_non_null (sp_zmq_curve_installed ());
    sp_zmq_curve_t *listed = s_curve (fixture, "reader", false, "bus");
    sp_zmq_curve_t *unknown = s_curve (fixture, "eavesdropper", false, "bus");
    sp_zmq_curve_t *publishing = s_curve (fixture, "publisher-only", false, "bus");

    zsock_t *publisher = s_socket (ZMQ_PUB, "tcp://127.0.0.1:*", NULL);
    assert_true (sp_zmq_curve_is_server (publisher));
    const char *endpoint = sp_zmq_endpoint (publisher);
    zsock_t *eavesdropper = s_socket (ZMQ_SUB, NULL, unknown);
    zsock_t *monitor = s_monitor (eavesdropper, "eavesdropper");
    assert_int_equal (zsock_connect (eavesdropper, "%s", endpoint), 0);
    assert_int_equal (s_wait_event (monitor, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), AUTH_FAILED_STATUS);
    /* A listed key whose certificate says "subscribe": "no" connects
       (it may publish elsewhere) but its subscription is refused. */
    zsock_t *refused = s_socket (ZMQ_SUB, NULL, publishing);
    zsock_t *refused_monitor = s_monitor (refused, "publisher-only");
    assert_int_equal (zsock_connect (refused, "%s", endpoint), 0);
    assert_int_equal (s_wait_event (refused_monitor, ZMQ_EVENT_HANDSHAKE_SUCCEEDED), 0);
    zsock_t *reader = s_socket (ZMQ_SUB, endpoint, listed);

    /* Publish (through the seam, which applies the subscriptions it may)
       until the listed reader has joined, then once more. */
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    bool joined = false;
    char error[ERROR_SIZE] = "";
    while (!joined && zclock_mono () < deadline) {
        zmsg_t *event = zmsg_new ();
        zmsg_addstr (event, "event");
        assert_int_equal (sp_zmq_send (publisher, &event, error, sizeof error), 0);
        zpoller_t *poller = zpoller_new (reader, NULL);
        joined = zpoller_wait (poller, POLL_MS) == reader;
        zpoller_destroy (&poller);
    }
    assert_true (joined);
    while (zsock_events (reader) & ZMQ_POLLIN) {
        char *text = zstr_recv (reader);
        zstr_free (&text);
    }
    zmsg_t *last = zmsg_new ();
    zmsg_addstr (last, "last");
    assert_int_equal (sp_zmq_send (publisher, &last, error, sizeof error), 0);
    zsock_set_rcvtimeo (reader, DEADLINE_MS);
    char *text = zstr_recv (reader);
    assert_string_equal (text, "last");
    zstr_free (&text);
    assert_false (zsock_events (eavesdropper) & ZMQ_POLLIN);
    /* The refused subscriber was connected all along and got nothing. */
    zsock_set_rcvtimeo (refused, POLL_MS);
    text = zstr_recv (refused);
    assert_null (text);

    zsock_destroy (&refused_monitor);
    sp_zmq_socket_destroy (&refused);
    zsock_destroy (&monitor);
    sp_zmq_socket_destroy (&eavesdropper);
    sp_zmq_socket_destroy (&reader);
    sp_zmq_socket_destroy (&publisher);
    sp_zmq_curve_uninstall ();
    assert_null (sp_zmq_curve_installed ());
    sp_zmq_curve_uninstall ();
    sp_zmq_curve_destroy (&publishing);
    sp_zmq_curve_destroy (&unknown);
    sp_zmq_curve_destroy (&listed);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_names_and_sources),
        cmocka_unit_test_setup_teardown (test_cert_files, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_settings_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_router_admits_listed_keys, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_installed_pub_sub, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
