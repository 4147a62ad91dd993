/*  test_redis - integration tests for sp_redis against real redis-server
    processes.

    Three groups: options, URL hand-over and pipeline building (no server;
    URL parsing itself is unit-tested in tests/unit/common/
    test_redis_url.c); commands, pipelines and transactions against the
    harness's Redis (scripts: test_redis_script.c); and outage
    behaviour (refused connections, restart, authentication, unix socket)
    against a redis-server this file starts itself, because the harness
    cannot stop and restart its server. That server runs on a free loopback
    port in its own temporary folder and is stopped and removed at the end.
    Waits poll an observable condition with a deadline; nothing sleeps to
    synchronise.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sp_harness.h"
#include "sp_harness_redis.h"
#include "sp_log.h"
#include "sp_redis.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ERROR_SIZE 512         /* error buffer used by every test */
#define PATH_SIZE 256          /* file paths and URLs */
#define DIR_SIZE 64            /* the temporary folder's path */
#define DEADLINE_MS 10000      /* longest wait for an asynchronous outcome */
#define POLL_MS 10             /* pause between two polls of a condition */
#define PIPELINE_COUNT 1000    /* INCRs in the pipeline test */
#define FAST_BACKOFF_MS 10     /* backoff used where tests wait for recovery */
#define FAST_BACKOFF_MAX_MS 50 /* cap of that backoff */
#define SLOW_BACKOFF_MS 60000  /* backoff long enough that no retry happens in a test */
#define REFUSED_ATTEMPTS 3     /* attempts in the refused-connection test */
#define REFUSED_LIMIT_MS 3000  /* the refused test must finish well within this */
#define READY_ATTEMPTS 500     /* attempts while waiting for our server to start */
#define OWN_DATABASE 2         /* database the own-server tests select */
#define OWN_PASSWORD "s3cret"  /* password of the own server */

/* ---------------------------------------------------------------- helpers */

static sp_redis_t *
s_redis (const char *url, const sp_redis_options_t *options)
{
    char error[ERROR_SIZE] = "";
    sp_redis_t *redis = sp_redis_new (url, options, error, sizeof error);
    if (!redis)
        fail_msg ("sp_redis_new: %s", error);
    return redis;
}

static void
s_assert_status (const sp_redis_reply_t *reply, const char *status)
{
    assert_int_equal (sp_redis_reply_type (reply), SP_REDIS_REPLY_STATUS);
    assert_string_equal (sp_redis_reply_string (reply, NULL), status);
}

/* A loopback TCP port that refuses connections for as long as the
   returned socket stays open: bound, never listening. */
static int
s_refusing_port (int *fd_out)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address;
    memset (&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address.sin_port = 0;
    assert_int_equal (bind (fd, (struct sockaddr *) &address, sizeof address), 0);
    socklen_t length = sizeof address;
    assert_int_equal (getsockname (fd, (struct sockaddr *) &address, &length), 0);
    *fd_out = fd;
    return ntohs (address.sin_port);
}

/* A free loopback port (released for the server to take). */
static int
s_free_port (void)
{
    int fd = -1;
    int port = s_refusing_port (&fd);
    close (fd);
    return port;
}

/* Captures sp_log records in memory. */
typedef struct {
    FILE *stream; /* memory stream given to sp_log */
    char *text;   /* its contents */
    size_t size;  /* their length */
} log_capture_t;

static void
s_log_capture_start (log_capture_t *capture)
{
    capture->text = NULL;
    capture->size = 0;
    capture->stream = open_memstream (&capture->text, &capture->size);
    assert_non_null (capture->stream);
    sp_log_set_stream (capture->stream);
    /* Every record counted: two connections to the same address write
       identical warnings, which sp_log would otherwise hold back. */
    sp_log_set_repeat_window (0);
}

/* Number of records so far whose msg is message. */
static size_t
s_log_count (log_capture_t *capture, const char *message)
{
    fflush (capture->stream);
    char needle[PATH_SIZE];
    snprintf (needle, sizeof needle, "msg=\"%s\"", message);
    size_t count = 0;
    for (const char *at = capture->text; at && (at = strstr (at, needle)); at += strlen (needle))
        count++;
    return count;
}

static void
s_log_capture_stop (log_capture_t *capture)
{
    sp_log_set_stream (NULL);
    sp_log_set_repeat_window (SP_LOG_REPEAT_WINDOW_MS);
    fclose (capture->stream);
    free (capture->text);
}

/* ---------------------------------------------------------------- own server */

/* A redis-server started by this file: password, unix socket, free port. */
typedef struct {
    char dir[DIR_SIZE];     /* temporary folder */
    char socket[PATH_SIZE]; /* unix socket path in it */
    char log[PATH_SIZE];    /* server log in it */
    int port;               /* TCP port */
    pid_t pid;              /* server process, 0 when stopped */
} own_server_t;

static void
s_own_server_start (own_server_t *server)
{
    char port[PATH_SIZE];
    snprintf (port, sizeof port, "%d", server->port);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        const char *argv[] = {
            "redis-server", "--port",        port,         "--bind",
            "127.0.0.1",    "--dir",         server->dir,  "--unixsocket",
            server->socket, "--save",        "",           "--appendonly",
            "no",           "--requirepass", OWN_PASSWORD, "--logfile",
            server->log,    "--daemonize",   "no",         NULL,
        };
        execvp (argv[0], (char *const *) argv);
        _exit (127);
    }
    server->pid = pid;
}

static void
s_own_server_stop (own_server_t *server)
{
    if (server->pid <= 0)
        return;
    kill (server->pid, SIGTERM);
    int status = 0;
    while (waitpid (server->pid, &status, 0) < 0 && errno == EINTR)
        ;
    server->pid = 0;
}

static void
s_own_server_new (own_server_t *server)
{
    snprintf (server->dir, sizeof server->dir, "/tmp/sp-test-redis-XXXXXX");
    assert_non_null (mkdtemp (server->dir));
    snprintf (server->socket, sizeof server->socket, "%s/redis.sock", server->dir);
    snprintf (server->log, sizeof server->log, "%s/redis.log", server->dir);
    server->port = s_free_port ();
    server->pid = 0;
    s_own_server_start (server);
}

static void
s_own_server_destroy (own_server_t *server)
{
    s_own_server_stop (server);
    const char *files[] = { "redis.log", "redis.sock", "dump.rdb" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[PATH_SIZE * 2];
        snprintf (path, sizeof path, "%s/%s", server->dir, files[i]);
        unlink (path);
    }
    assert_int_equal (rmdir (server->dir), 0);
}

/* Connects, retrying until the server accepts (it may still be starting). */
static void
s_connect_when_ready (sp_redis_t *redis)
{
    char error[ERROR_SIZE] = "";
    if (sp_redis_connect (redis, error, sizeof error) != 0)
        fail_msg ("server did not become ready: %s", error);
}

static sp_redis_options_t
s_fast_options (int attempts)
{
    sp_redis_options_t options;
    sp_redis_options_init (&options);
    options.connect_attempts = attempts;
    options.backoff_initial_ms = FAST_BACKOFF_MS;
    options.backoff_max_ms = FAST_BACKOFF_MAX_MS;
    return options;
}

/* ================================================================ group 1: no server */

static void
test_new_parses_url (void **state)
{
    (void) state;
    /* Every URL form and error is in tests/unit/common/test_redis_url.c;
       here: sp_redis_new uses the parsed URL and passes its errors on. */
    const struct {
        const char *url;     /* input */
        const char *address; /* expected address */
        int database;        /* expected database */
    } cases[] = {
        { "redis://:secret@redis:6380/3", "redis:6380", 3 },
        { "redis://user:p%40ss@[::1]/2", "[::1]:6379", 2 },
        { "unix:///tmp/r.sock?password=p%26w&db=5&user=app", "/tmp/r.sock", 5 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sp_redis_t *redis = s_redis (cases[i].url, NULL);
        assert_string_equal (sp_redis_address (redis), cases[i].address);
        assert_int_equal (sp_redis_database (redis), cases[i].database);
        assert_false (sp_redis_connected (redis));
        sp_redis_destroy (&redis);
        assert_null (redis);
    }
    sp_redis_destroy (&(sp_redis_t *){ NULL });

    char error[ERROR_SIZE] = "";
    assert_null (sp_redis_new ("redis://:hunter2@h:99999", NULL, error, sizeof error));
    assert_string_equal (error, "invalid redis url \"redis://***@h:99999\": port \"99999\" is "
                                "not a number in 1..65535");
}

/* Reads command index of pipeline back and compares it with argv. */
static void
s_assert_command (const sp_redis_pipeline_t *pipeline, size_t index, int argc,
                  const char *const *argv, const size_t *argv_lengths)
{
    const char *const *stored = NULL;
    const size_t *stored_lengths = NULL;
    assert_int_equal (sp_redis_pipeline_command (pipeline, index, &stored, &stored_lengths), argc);
    for (int i = 0; i < argc; i++) {
        size_t length = argv_lengths ? argv_lengths[i] : strlen (argv[i]);
        assert_int_equal (stored_lengths[i], length);
        assert_memory_equal (stored[i], argv[i], length);
        assert_int_equal (stored[i][length], '\0');
    }
}

static void
test_pipeline_commands (void **state)
{
    (void) state;
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    assert_non_null (pipeline);
    assert_int_equal (sp_redis_pipeline_size (pipeline), 0);

    /* Copies, binary-safe: the caller's buffers may change afterwards. */
    char key[] = "k1";
    static const char value[] = { 'a', '\0', '\r', '\n' };
    const char *set[] = { "SET", key, value };
    const size_t set_lengths[] = { 3, 2, sizeof value };
    assert_int_equal (sp_redis_pipeline_append (pipeline, 3, set, set_lengths), 0);
    key[1] = '9';
    const char *expected_set[] = { "SET", "k1", value };
    const char *empty[] = { "ECHO", "" };
    assert_int_equal (sp_redis_pipeline_append (pipeline, 2, empty, NULL), 0);
    assert_int_equal (sp_redis_pipeline_size (pipeline), 2);
    s_assert_command (pipeline, 0, 3, expected_set, set_lengths);
    s_assert_command (pipeline, 1, 2, empty, NULL);

    /* Growth well past the first buffers keeps every command intact. */
    char text[PATH_SIZE];
    for (int i = 0; i < PIPELINE_COUNT; i++) {
        snprintf (text, sizeof text, "value-%d-%0*d", i, i % 100, 0);
        const char *rpush[] = { "RPUSH", "list", text };
        assert_int_equal (sp_redis_pipeline_append (pipeline, 3, rpush, NULL), 0);
    }
    assert_int_equal (sp_redis_pipeline_size (pipeline), PIPELINE_COUNT + 2);
    s_assert_command (pipeline, 0, 3, expected_set, set_lengths);
    for (int i = 0; i < PIPELINE_COUNT; i++) {
        snprintf (text, sizeof text, "value-%d-%0*d", i, i % 100, 0);
        const char *rpush[] = { "RPUSH", "list", text };
        s_assert_command (pipeline, (size_t) i + 2, 3, rpush, NULL);
    }

    /* Reset empties it for reuse. */
    sp_redis_pipeline_reset (pipeline);
    assert_int_equal (sp_redis_pipeline_size (pipeline), 0);
    const char *ping[] = { "PING" };
    assert_int_equal (sp_redis_pipeline_append (pipeline, 1, ping, NULL), 0);
    assert_int_equal (sp_redis_pipeline_size (pipeline), 1);
    s_assert_command (pipeline, 0, 1, ping, NULL);
    sp_redis_pipeline_destroy (&pipeline);
    assert_null (pipeline);
    sp_redis_pipeline_destroy (&pipeline);
}

static void
test_options_invalid (void **state)
{
    (void) state;
    enum { CONNECT_TIMEOUT, COMMAND_TIMEOUT, ATTEMPTS, BACKOFF_INITIAL, BACKOFF_MAX };
    const struct {
        int field;            /* which option to spoil */
        const char *expected; /* error text */
    } cases[] = {
        { CONNECT_TIMEOUT, "invalid redis options: connect_timeout_ms must be 1 or more" },
        { COMMAND_TIMEOUT,
          "invalid redis options: command_timeout_ms must be 0 (no timeout) or more" },
        { ATTEMPTS, "invalid redis options: connect_attempts must be 1 or more" },
        { BACKOFF_INITIAL, "invalid redis options: backoff_initial_ms must be 1 or more" },
        { BACKOFF_MAX,
          "invalid redis options: backoff_max_ms must be at least backoff_initial_ms" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sp_redis_options_t options;
        sp_redis_options_init (&options);
        switch (cases[i].field) {
            case CONNECT_TIMEOUT:
                options.connect_timeout_ms = 0;
                break;
            case COMMAND_TIMEOUT:
                options.command_timeout_ms = -1;
                break;
            case ATTEMPTS:
                options.connect_attempts = 0;
                break;
            case BACKOFF_INITIAL:
                options.backoff_initial_ms = 0;
                break;
            default:
                options.backoff_max_ms = options.backoff_initial_ms - 1;
                break;
        }
        char error[ERROR_SIZE] = "";
        assert_null (sp_redis_new ("redis://localhost", &options, error, sizeof error));
        assert_string_equal (error, cases[i].expected);
    }
}

static void
test_connection_refused_is_bounded (void **state)
{
    (void) state;
    int holder = -1;
    int port = s_refusing_port (&holder);
    char url[PATH_SIZE];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0", port);
    log_capture_t capture;
    s_log_capture_start (&capture);

    /* Start-up connect: a few attempts with short backoff, then an error. */
    sp_redis_options_t options = s_fast_options (REFUSED_ATTEMPTS);
    sp_redis_t *redis = s_redis (url, &options);
    char error[ERROR_SIZE] = "";
    int64_t started = sp_harness_now_ms ();
    assert_int_equal (sp_redis_connect (redis, error, sizeof error), -1);
    assert_true (sp_harness_now_ms () - started < REFUSED_LIMIT_MS);
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected,
              "could not connect to redis at \"127.0.0.1:%d\" after 3 attempts: connection refused",
              port);
    assert_string_equal (error, expected);
    assert_false (sp_redis_connected (redis));
    sp_redis_destroy (&redis);

    /* With a long backoff, calls during the outage fail fast, no I/O. */
    options.connect_attempts = 1;
    options.backoff_initial_ms = SLOW_BACKOFF_MS;
    options.backoff_max_ms = SLOW_BACKOFF_MS;
    redis = s_redis (url, &options);
    assert_int_equal (sp_redis_connect (redis, error, sizeof error), -1);
    snprintf (expected, sizeof expected,
              "could not connect to redis at \"127.0.0.1:%d\" after 1 attempt: connection refused",
              port);
    assert_string_equal (error, expected);
    const char *ping[] = { "PING" };
    snprintf (expected, sizeof expected,
              "redis at \"127.0.0.1:%d\" is unavailable: connection refused (next connection "
              "attempt in ",
              port);
    for (int i = 0; i < 3; i++) {
        assert_null (sp_redis_command (redis, 1, ping, NULL, error, sizeof error));
        assert_int_equal (strncmp (error, expected, strlen (expected)), 0);
    }
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    assert_int_equal (sp_redis_pipeline_append (pipeline, 1, ping, NULL), 0);
    assert_null (sp_redis_execute (redis, pipeline, error, sizeof error));
    assert_int_equal (strncmp (error, expected, strlen (expected)), 0);
    sp_redis_pipeline_destroy (&pipeline);
    sp_redis_destroy (&redis);

    /* One warning per outage (two connection objects: two outages). */
    assert_int_equal (s_log_count (&capture, "could not connect to redis"), 2);
    s_log_capture_stop (&capture);
    close (holder);
}

/* ================================================================ group 2: harness server */

static void
test_binary_set_get (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    static const char key[] = { 'k', '\0', 'e', 'y' };
    static const char value[] = { 'a', '\0', 'b', '\r', '\n', '\xff', '\0' };
    const char *set[] = { "SET", key, value };
    const size_t set_lengths[] = { 3, sizeof key, sizeof value };
    char error[ERROR_SIZE] = "";
    sp_redis_reply_t *reply = sp_redis_command (redis, 3, set, set_lengths, error, sizeof error);
    assert_non_null (reply);
    s_assert_status (reply, "OK");
    sp_redis_reply_destroy (&reply);
    assert_null (reply);

    const char *get[] = { "GET", key };
    const size_t get_lengths[] = { 3, sizeof key };
    reply = sp_redis_command (redis, 2, get, get_lengths, error, sizeof error);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_type (reply), SP_REDIS_REPLY_STRING);
    size_t length = 0;
    const char *bytes = sp_redis_reply_string (reply, &length);
    assert_int_equal (length, sizeof value);
    assert_memory_equal (bytes, value, sizeof value);
    sp_redis_reply_destroy (&reply);

    /* The key without its hidden part does not exist. */
    const char *get_short[] = { "GET", "k" };
    reply = sp_harness_redis_run (redis, 2, get_short);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_type (reply), SP_REDIS_REPLY_NIL);
    assert_null (sp_redis_reply_text (reply, &length)); /* a nil has no text */
    sp_redis_reply_destroy (&reply);
    sp_redis_reply_destroy (&reply);

    /* MGET: the text of the key that exists, none for the one that does
       not */
    const char *mget[] = { "MGET", key, "k" };
    const size_t mget_lengths[] = { 4, sizeof key, 1 };
    reply = sp_redis_command (redis, 3, mget, mget_lengths, error, sizeof error);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_size (reply), 2);
    bytes = sp_redis_reply_text (sp_redis_reply_element (reply, 0), &length);
    assert_non_null (bytes);
    assert_memory_equal (bytes, value, sizeof value);
    assert_null (sp_redis_reply_text (sp_redis_reply_element (reply, 1), NULL));
    sp_redis_reply_destroy (&reply);
    sp_redis_destroy (&redis);
}

static void
test_error_reply_is_an_error (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    const char *set[] = { "SET", "text", "hello" };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 3, set), 0);
    const char *push[] = { "LPUSH", "text", "x" };
    char error[ERROR_SIZE] = "";
    assert_null (sp_redis_command (redis, 3, push, NULL, error, sizeof error));
    assert_string_equal (error, "command \"LPUSH\" failed: WRONGTYPE Operation against a key "
                                "holding the wrong kind of value");
    /* An error reply is not a connection failure: the next call works. */
    assert_true (sp_redis_connected (redis));
    const char *unknown[] = { "NOSUCHCOMMAND" };
    assert_null (sp_redis_command (redis, 1, unknown, NULL, error, sizeof error));
    assert_int_equal (strncmp (error, "command \"NOSUCHCOMMAND\" failed: ERR unknown command",
                               strlen ("command \"NOSUCHCOMMAND\" failed: ERR unknown command")),
                      0);
    const char *get[] = { "GET", "text" };
    sp_redis_reply_t *reply = sp_harness_redis_run (redis, 2, get);
    assert_non_null (reply);
    assert_string_equal (sp_redis_reply_string (reply, NULL), "hello");
    sp_redis_reply_destroy (&reply);
    sp_redis_destroy (&redis);
}

static void
test_pipeline_of_1000_incr (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    assert_non_null (pipeline);
    assert_int_equal (sp_redis_pipeline_size (pipeline), 0);

    /* An empty pipeline is an empty array. */
    char error[ERROR_SIZE] = "";
    sp_redis_reply_t *replies = sp_redis_execute (redis, pipeline, error, sizeof error);
    assert_non_null (replies);
    assert_int_equal (sp_redis_reply_size (replies), 0);
    sp_redis_reply_destroy (&replies);

    const char *incr[] = { "INCR", "counter" };
    for (int i = 0; i < PIPELINE_COUNT; i++)
        assert_int_equal (sp_redis_pipeline_append (pipeline, 2, incr, NULL), 0);
    assert_int_equal (sp_redis_pipeline_size (pipeline), PIPELINE_COUNT);
    replies = sp_redis_execute (redis, pipeline, error, sizeof error);
    assert_non_null (replies);
    assert_int_equal (sp_redis_reply_type (replies), SP_REDIS_REPLY_ARRAY);
    assert_int_equal (sp_redis_reply_size (replies), PIPELINE_COUNT);
    for (size_t i = 0; i < PIPELINE_COUNT; i++) {
        const sp_redis_reply_t *element = sp_redis_reply_element (replies, i);
        assert_int_equal (sp_redis_reply_type (element), SP_REDIS_REPLY_INTEGER);
        assert_int_equal (sp_redis_reply_integer (element), (int64_t) i + 1);
    }
    sp_redis_reply_destroy (&replies);

    /* Reset and reuse: mixed replies, errors as elements. */
    sp_redis_pipeline_reset (pipeline);
    assert_int_equal (sp_redis_pipeline_size (pipeline), 0);
    const char *set[] = { "SET", "word", "x" };
    const char *incr_word[] = { "INCR", "word" };
    const char *push_word[] = { "LPUSH", "word", "y" };
    const char *get_word[] = { "GET", "word" };
    const char *get_missing[] = { "GET", "missing" };
    assert_int_equal (sp_redis_pipeline_append (pipeline, 3, set, NULL), 0);
    assert_int_equal (sp_redis_pipeline_append (pipeline, 2, incr_word, NULL), 0);
    assert_int_equal (sp_redis_pipeline_append (pipeline, 3, push_word, NULL), 0);
    assert_int_equal (sp_redis_pipeline_append (pipeline, 2, get_word, NULL), 0);
    assert_int_equal (sp_redis_pipeline_append (pipeline, 2, get_missing, NULL), 0);
    replies = sp_redis_execute (redis, pipeline, error, sizeof error);
    assert_non_null (replies);
    assert_int_equal (sp_redis_reply_size (replies), 5);
    s_assert_status (sp_redis_reply_element (replies, 0), "OK");
    assert_int_equal (sp_redis_reply_type (sp_redis_reply_element (replies, 1)),
                      SP_REDIS_REPLY_ERROR);
    assert_string_equal (sp_redis_reply_string (sp_redis_reply_element (replies, 1), NULL),
                         "ERR value is not an integer or out of range");
    assert_int_equal (sp_redis_reply_type (sp_redis_reply_element (replies, 2)),
                      SP_REDIS_REPLY_ERROR);
    assert_int_equal (strncmp (sp_redis_reply_string (sp_redis_reply_element (replies, 2), NULL),
                               "WRONGTYPE", strlen ("WRONGTYPE")),
                      0);
    assert_string_equal (sp_redis_reply_string (sp_redis_reply_element (replies, 3), NULL), "x");
    assert_int_equal (sp_redis_reply_type (sp_redis_reply_element (replies, 4)),
                      SP_REDIS_REPLY_NIL);
    sp_redis_reply_destroy (&replies);
    sp_redis_pipeline_destroy (&pipeline);
    assert_null (pipeline);
    sp_redis_pipeline_destroy (&pipeline);
    sp_redis_destroy (&redis);
}

static void
test_multi_exec (void **state)
{
    sp_redis_t *redis = sp_harness_redis_fresh (*state);
    assert_non_null (redis);
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    const char *incr_a[] = { "INCR", "a" };
    const char *incr_b[] = { "INCRBY", "b", "10" };
    const char *set_c[] = { "SET", "c", "done" };
    sp_redis_pipeline_append (pipeline, 2, incr_a, NULL);
    sp_redis_pipeline_append (pipeline, 3, incr_b, NULL);
    sp_redis_pipeline_append (pipeline, 3, set_c, NULL);
    char error[ERROR_SIZE] = "";
    sp_redis_reply_t *replies = sp_redis_execute_atomic (redis, pipeline, error, sizeof error);
    assert_non_null (replies);
    assert_int_equal (sp_redis_reply_size (replies), 3);
    assert_int_equal (sp_redis_reply_integer (sp_redis_reply_element (replies, 0)), 1);
    assert_int_equal (sp_redis_reply_integer (sp_redis_reply_element (replies, 1)), 10);
    s_assert_status (sp_redis_reply_element (replies, 2), "OK");
    sp_redis_reply_destroy (&replies);

    /* All or nothing: a command rejected while queuing aborts everything,
       including the INCR queued before it. */
    sp_redis_pipeline_reset (pipeline);
    const char *incr_x[] = { "INCR", "x" };
    const char *broken[] = { "INCR" };
    const char *set_y[] = { "SET", "y", "1" };
    sp_redis_pipeline_append (pipeline, 2, incr_x, NULL);
    sp_redis_pipeline_append (pipeline, 1, broken, NULL);
    sp_redis_pipeline_append (pipeline, 3, set_y, NULL);
    assert_null (sp_redis_execute_atomic (redis, pipeline, error, sizeof error));
    assert_string_equal (error, "transaction aborted: command 2 of 3 was rejected: ERR wrong "
                                "number of arguments for 'incr' command");
    const char *exists[] = { "EXISTS", "x", "y" };
    sp_redis_reply_t *reply = sp_harness_redis_run (redis, 3, exists);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_integer (reply), 0);
    sp_redis_reply_destroy (&reply);

    /* A runtime error does not roll back (Redis semantics): it is an
       element of EXEC's array and the connection stays usable. */
    sp_redis_pipeline_reset (pipeline);
    const char *push_c[] = { "LPUSH", "c", "v" };
    sp_redis_pipeline_append (pipeline, 2, incr_a, NULL);
    sp_redis_pipeline_append (pipeline, 3, push_c, NULL);
    replies = sp_redis_execute_atomic (redis, pipeline, error, sizeof error);
    assert_non_null (replies);
    assert_int_equal (sp_redis_reply_integer (sp_redis_reply_element (replies, 0)), 2);
    assert_int_equal (sp_redis_reply_type (sp_redis_reply_element (replies, 1)),
                      SP_REDIS_REPLY_ERROR);
    sp_redis_reply_destroy (&replies);
    assert_true (sp_redis_connected (redis));
    sp_redis_pipeline_destroy (&pipeline);
    sp_redis_destroy (&redis);
}

static void
test_reconnect_after_restart (void **state)
{
    (void) state;
    own_server_t server = { .pid = 0 };
    s_own_server_new (&server);
    char url[PATH_SIZE];
    snprintf (url, sizeof url, "redis://:%s@127.0.0.1:%d/%d", OWN_PASSWORD, server.port,
              OWN_DATABASE);
    sp_redis_options_t options = s_fast_options (READY_ATTEMPTS);
    sp_redis_t *redis = s_redis (url, &options);
    s_connect_when_ready (redis);

    /* AUTH and SELECT took effect: the key lands in database 2 only. */
    const char *set[] = { "SET", "where", "db2" };
    assert_int_equal (sp_harness_redis_run_and_drop (redis, 3, set), 0);
    char url_db0[PATH_SIZE];
    snprintf (url_db0, sizeof url_db0, "redis://:%s@127.0.0.1:%d", OWN_PASSWORD, server.port);
    sp_redis_t *other = s_redis (url_db0, &options);
    s_connect_when_ready (other);
    const char *get[] = { "GET", "where" };
    sp_redis_reply_t *reply = sp_harness_redis_run (other, 2, get);
    assert_non_null (reply);
    assert_int_equal (sp_redis_reply_type (reply), SP_REDIS_REPLY_NIL);
    sp_redis_reply_destroy (&reply);
    sp_redis_destroy (&other);

    /* The same database through the unix socket. */
    char unix_url[PATH_SIZE * 2];
    snprintf (unix_url, sizeof unix_url, "unix://%s?db=%d&password=%s", server.socket, OWN_DATABASE,
              OWN_PASSWORD);
    other = s_redis (unix_url, &options);
    s_connect_when_ready (other);
    assert_string_equal (sp_redis_address (other), server.socket);
    reply = sp_harness_redis_run (other, 2, get);
    assert_non_null (reply);
    assert_string_equal (sp_redis_reply_string (reply, NULL), "db2");
    sp_redis_reply_destroy (&reply);
    sp_redis_destroy (&other);
    char error[ERROR_SIZE] = "";

    log_capture_t capture;
    s_log_capture_start (&capture);
    s_own_server_stop (&server);

    /* The server is gone: the call fails and the connection is dropped. */
    assert_null (sp_redis_command (redis, 2, get, NULL, error, sizeof error));
    assert_false (sp_redis_connected (redis));
    char prefix[PATH_SIZE];
    snprintf (prefix, sizeof prefix,
              "could not run \"GET\" on redis at \"127.0.0.1:%d\": ", server.port);
    assert_int_equal (strncmp (error, prefix, strlen (prefix)), 0);

    /* While it is down, calls fail without crashing or hanging. */
    for (int i = 0; i < 5; i++)
        assert_null (sp_redis_command (redis, 2, get, NULL, error, sizeof error));

    s_own_server_start (&server);
    int64_t deadline = sp_harness_now_ms () + DEADLINE_MS;
    reply = NULL;
    while (!reply && sp_harness_now_ms () < deadline) {
        reply = sp_redis_command (redis, 3, set, NULL, error, sizeof error);
        if (!reply)
            sp_harness_pause_ms (POLL_MS);
    }
    if (!reply)
        fail_msg ("no reconnect: %s", error);
    s_assert_status (reply, "OK");
    sp_redis_reply_destroy (&reply);
    assert_true (sp_redis_connected (redis));

    /* Reconnected with AUTH and SELECT again. */
    reply = sp_harness_redis_run (redis, 2, get);
    assert_non_null (reply);
    assert_string_equal (sp_redis_reply_string (reply, NULL), "db2");
    sp_redis_reply_destroy (&reply);

    /* One outage: one warning when it began, one notice when it ended. */
    assert_int_equal (s_log_count (&capture, "lost connection to redis"), 1);
    assert_int_equal (s_log_count (&capture, "could not connect to redis"), 0);
    assert_int_equal (s_log_count (&capture, "reconnected to redis"), 1);
    s_log_capture_stop (&capture);

    /* A pipeline cut by the server going away fails as a whole. */
    sp_redis_pipeline_t *pipeline = sp_redis_pipeline_new ();
    const char *ping[] = { "PING" };
    const char *shutdown[] = { "SHUTDOWN", "NOSAVE" };
    sp_redis_pipeline_append (pipeline, 1, ping, NULL);
    sp_redis_pipeline_append (pipeline, 2, shutdown, NULL);
    sp_redis_pipeline_append (pipeline, 1, ping, NULL);
    assert_null (sp_redis_execute (redis, pipeline, error, sizeof error));
    /* Redis exits before flushing the first PING's reply, so the read
       fails at reply 1 or 2 depending on timing; either way: no replies. */
    assert_int_equal (strncmp (error, "could not read reply ", strlen ("could not read reply ")),
                      0);
    snprintf (prefix, sizeof prefix, " of 3 from redis at \"127.0.0.1:%d\": ", server.port);
    assert_non_null (strstr (error, prefix));
    assert_false (sp_redis_connected (redis));
    sp_redis_pipeline_destroy (&pipeline);
    sp_redis_destroy (&redis);
    s_own_server_destroy (&server);
}

static void
test_authentication_and_database_errors (void **state)
{
    (void) state;
    own_server_t server = { .pid = 0 };
    s_own_server_new (&server);
    char url[PATH_SIZE * 2];

    /* Wait until the server is up, with the right password. */
    snprintf (url, sizeof url, "redis://:%s@127.0.0.1:%d", OWN_PASSWORD, server.port);
    sp_redis_options_t options = s_fast_options (READY_ATTEMPTS);
    sp_redis_t *redis = s_redis (url, &options);
    s_connect_when_ready (redis);
    sp_redis_destroy (&redis);

    options = s_fast_options (1);
    char error[ERROR_SIZE] = "";
    snprintf (url, sizeof url, "redis://:wrong@127.0.0.1:%d", server.port);
    redis = s_redis (url, &options);
    assert_int_equal (sp_redis_connect (redis, error, sizeof error), -1);
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected,
              "could not connect to redis at \"127.0.0.1:%d\" after 1 attempt: authentication "
              "failed: WRONGPASS",
              server.port);
    assert_int_equal (strncmp (error, expected, strlen (expected)), 0);
    assert_null (strstr (error, "wrong"));
    sp_redis_destroy (&redis);

    snprintf (url, sizeof url, "redis://default:%s@127.0.0.1:%d/99", OWN_PASSWORD, server.port);
    redis = s_redis (url, &options);
    assert_int_equal (sp_redis_connect (redis, error, sizeof error), -1);
    snprintf (expected, sizeof expected,
              "could not connect to redis at \"127.0.0.1:%d\" after 1 attempt: could not select "
              "database 99: ERR DB index is out of range",
              server.port);
    assert_string_equal (error, expected);
    sp_redis_destroy (&redis);

    /* No password: Redis refuses the SELECT. */
    snprintf (url, sizeof url, "unix://%s?db=%d", server.socket, OWN_DATABASE);
    redis = s_redis (url, &options);
    assert_int_equal (sp_redis_connect (redis, error, sizeof error), -1);
    snprintf (expected, sizeof expected,
              "could not connect to redis at \"%s\" after 1 attempt: could not select database "
              "2: NOAUTH Authentication required.",
              server.socket);
    assert_string_equal (error, expected);
    sp_redis_destroy (&redis);

    /* ACL user and password over the unix socket. */
    snprintf (url, sizeof url, "unix://%s?user=default&password=%s&db=%d", server.socket,
              OWN_PASSWORD, OWN_DATABASE);
    redis = s_redis (url, &options);
    assert_int_equal (sp_redis_connect (redis, error, sizeof error), 0);
    sp_redis_destroy (&redis);
    s_own_server_destroy (&server);
}

int
main (void)
{
    const struct CMUnitTest parsing[] = {
        cmocka_unit_test (test_new_parses_url),
        cmocka_unit_test (test_options_invalid),
        cmocka_unit_test (test_pipeline_commands),
        cmocka_unit_test (test_connection_refused_is_bounded),
    };
    const struct CMUnitTest harness[] = {
        cmocka_unit_test (test_binary_set_get),
        cmocka_unit_test (test_error_reply_is_an_error),
        cmocka_unit_test (test_pipeline_of_1000_incr),
        cmocka_unit_test (test_multi_exec),
    };
    const struct CMUnitTest own_server[] = {
        cmocka_unit_test (test_reconnect_after_restart),
        cmocka_unit_test (test_authentication_and_database_errors),
    };
    int failed = cmocka_run_group_tests_name ("parsing", parsing, NULL, NULL);
    failed += cmocka_run_group_tests_name ("harness", harness, sp_harness_redis_group_setup,
                                           sp_harness_redis_group_teardown);
    failed += cmocka_run_group_tests_name ("own_server", own_server, NULL, NULL);
    return failed;
}
