/*  sp_redis - Redis seam over hiredis 0.14 (see sp_redis.h).

    The connection (backoff, outage state), commands, pipelines and
    replies (a wrapper tree over redisReply so callers never see hiredis
    types) live here; scripts (EVALSHA with NOSCRIPT reload, sent and
    received apart) in sp_redis_script.c, over the same connection
    through sp_redis_internal.h; the cluster client (slot map, routing,
    MOVED/ASK, split pipelines) in sp_redis_cluster.c, whose nodes are
    sp_redis_t connections of their own. Only these three files touch
    hiredis. What needs no hiredis lives beside them: URL parsing in
    sp_redis_url, the pipeline's argument copies in sp_redis_pipeline,
    the wire form of a command in sp_redis_resp, key slots in
    sp_redis_slot.

    Outage state machine: context != NULL means up. Any hiredis error marks
    the context dead; it is freed at once and the next call may reconnect
    immediately. Each failed connection attempt doubles the delay before
    the next one (equal jitter: a random delay between half and all of
    it), up to backoff_max_ms; calls made before that time fail fast with
    the last reason. `down` makes the warning log once per outage.
*/
#include "sp_redis.h"
#include "sp_backoff.h"
#include "sp_error.h"

#include "sp_log.h"
#include "sp_redis_resp.h"
#include "sp_redis_url.h"

#include "sp_redis_internal.h"

#include <hiredis.h>

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define SP_REDIS_WHAT_MAX 64           /* "could not select database N" */
#define SP_REDIS_NAME_SHOWN_MAX 32     /* longest command name quoted */
#define SP_REDIS_NUMBER_TEXT_MAX 24    /* decimal text of an int, with sign */
#define SP_REDIS_MS_PER_SECOND 1000    /* for timeval and timespec */
#define SP_REDIS_US_PER_MS 1000        /* for timeval */
#define SP_REDIS_NS_PER_MS 1000000     /* for timespec */
#define SP_REDIS_TRANSACTION_REPLIES 2 /* MULTI's and EXEC's replies around the commands */

#define S_COUNT(array) (sizeof (array) / sizeof (array)[0])

/* MULTI and EXEC in wire format, sent around an atomic pipeline. */
static const char s_multi[] = "*1\r\n$5\r\nMULTI\r\n";
static const char s_exec[] = "*1\r\n$4\r\nEXEC\r\n";
/* ASKING then MULTI: a transaction sent to a slot's importing node. */
static const char s_asking_multi[] = "*1\r\n$6\r\nASKING\r\n*1\r\n$5\r\nMULTI\r\n";

/* ================================================================ helpers */

/* Copies text with its first letter lower-cased (hiredis says "Connection
   refused"; our messages say "connection refused"). */
static void
s_lower_first (char *buffer, size_t size, const char *text)
{
    snprintf (buffer, size, "%s", text);
    buffer[0] = (char) tolower ((unsigned char) buffer[0]);
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * SP_REDIS_MS_PER_SECOND + now.tv_nsec / SP_REDIS_NS_PER_MS;
}

static struct timeval
s_timeval (int milliseconds)
{
    struct timeval value;
    value.tv_sec = milliseconds / SP_REDIS_MS_PER_SECOND;
    value.tv_usec = (milliseconds % SP_REDIS_MS_PER_SECOND) * SP_REDIS_US_PER_MS;
    return value;
}

static void
s_sleep_ms (int64_t milliseconds)
{
    struct timespec delay;
    delay.tv_sec = (time_t) (milliseconds / SP_REDIS_MS_PER_SECOND);
    delay.tv_nsec = (long) ((milliseconds % SP_REDIS_MS_PER_SECOND) * SP_REDIS_NS_PER_MS);
    while (nanosleep (&delay, &delay) != 0 && errno == EINTR)
        ;
}

/* Delay before the next attempt after `failures` failed ones. */
static int64_t
s_backoff_ms (sp_redis_t *self)
{
    return sp_backoff_delay_ms (&self->backoff, self->failures > 0 ? self->failures - 1 : 0);
}

/* The command's name, printable and bounded, for messages. */
static void
s_command_name (const char *const *argv, const size_t *argv_lengths, char *name, size_t size)
{
    size_t length = argv_lengths ? argv_lengths[0] : strlen (argv[0]);
    size_t out = 0;
    for (size_t i = 0; i < length && i < SP_REDIS_NAME_SHOWN_MAX && out + 1 < size; i++)
        name[out++] = isprint ((unsigned char) argv[0][i]) ? argv[0][i] : '?';
    name[out] = '\0';
}

/* ================================================================ connection */

void
sp_redis_options_init (sp_redis_options_t *options)
{
    assert (options);
    memset (options, 0, sizeof *options);
    options->connect_timeout_ms = SP_REDIS_DEFAULT_CONNECT_TIMEOUT_MS;
    options->command_timeout_ms = SP_REDIS_DEFAULT_COMMAND_TIMEOUT_MS;
    options->connect_attempts = SP_REDIS_DEFAULT_CONNECT_ATTEMPTS;
    options->backoff_initial_ms = SP_REDIS_DEFAULT_BACKOFF_INITIAL_MS;
    options->backoff_max_ms = SP_REDIS_DEFAULT_BACKOFF_MAX_MS;
}

/* hiredis writes with write(2): writing to a connection Redis has closed
   raises SIGPIPE, whose default action kills the process. A dead Redis
   must be an error, not a crash, so the default action is replaced by
   "ignore" (a handler the program installed itself is left alone). */
static void
s_ignore_sigpipe (void)
{
    struct sigaction current;
    if (sigaction (SIGPIPE, NULL, &current) != 0 || current.sa_handler != SIG_DFL)
        return;
    struct sigaction ignore;
    memset (&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset (&ignore.sa_mask);
    sigaction (SIGPIPE, &ignore, NULL);
}

static int
s_options_valid (const sp_redis_options_t *options, char *error, size_t error_size)
{
    const char *problem = NULL;
    if (options->connect_timeout_ms < 1)
        problem = "connect_timeout_ms must be 1 or more";
    else if (options->command_timeout_ms < 0)
        problem = "command_timeout_ms must be 0 (no timeout) or more";
    else if (options->connect_attempts < 1)
        problem = "connect_attempts must be 1 or more";
    else if (options->backoff_initial_ms < 1)
        problem = "backoff_initial_ms must be 1 or more";
    else if (options->backoff_max_ms < options->backoff_initial_ms)
        problem = "backoff_max_ms must be at least backoff_initial_ms";
    if (problem) {
        sp_error_set (error, error_size, "invalid redis options: %s", problem);
        return -1;
    }
    return 0;
}

/* A connection handle for url (taken on success), options checked. */
static sp_redis_t *
s_new (sp_redis_url_t **url, const sp_redis_options_t *options, char *error, size_t error_size)
{
    sp_redis_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory creating redis connection");
        return NULL;
    }
    self->context = NULL;
    self->options = *options;
    sp_backoff_init (&self->backoff, options->backoff_initial_ms, options->backoff_max_ms);
    self->down = false;
    self->failures = 0;
    self->next_attempt_at = 0;
    self->down_since = 0;
    self->last_error[0] = '\0';
    self->cluster = NULL;
    self->url = *url;
    *url = NULL;
    self->address = sp_redis_url_address (self->url);
    s_ignore_sigpipe ();
    return self;
}

sp_redis_t *
sp_redis_new (const char *url, const sp_redis_options_t *options, char *error, size_t error_size)
{
    assert (url);
    sp_redis_options_t defaults;
    sp_redis_options_init (&defaults);
    if (!options)
        options = &defaults;
    if (s_options_valid (options, error, error_size) != 0)
        return NULL;
    sp_redis_url_t *parsed = sp_redis_url_new (url, error, error_size);
    if (!parsed)
        return NULL;
    sp_redis_t *self = s_new (&parsed, options, error, error_size);
    if (!self) {
        sp_redis_url_destroy (&parsed);
        return NULL;
    }
    if (sp_redis_url_cluster (self->url)) {
        self->cluster = sp_redis_cluster_new (self->url, options);
        if (!self->cluster) {
            sp_error_set (error, error_size, "out of memory creating redis cluster client");
            sp_redis_destroy (&self);
        }
    }
    return self;
}

sp_redis_t *
sp_redis_seam_new_node (sp_redis_url_t **url, const sp_redis_options_t *options)
{
    return s_new (url, options, NULL, 0);
}

void
sp_redis_destroy (sp_redis_t **self_p)
{
    assert (self_p);
    sp_redis_t *self = *self_p;
    if (!self)
        return;
    if (self->context)
        redisFree (self->context);
    sp_redis_cluster_destroy (&self->cluster);
    free (self->pending_arguments);
    free (self->pending_lengths);
    free (self->wire);
    sp_redis_url_destroy (&self->url);
    free (self);
    *self_p = NULL;
}

bool
sp_redis_connected (const sp_redis_t *self)
{
    assert (self);
    if (self->cluster)
        return sp_redis_cluster_connected (self->cluster);
    return self->context != NULL;
}

const char *
sp_redis_address (const sp_redis_t *self)
{
    assert (self);
    return self->address;
}

int
sp_redis_database (const sp_redis_t *self)
{
    assert (self);
    return sp_redis_url_database (self->url);
}

/* Records a failure; logs only when an outage starts. */
static void
s_mark_down (sp_redis_t *self, const char *message, const char *reason)
{
    snprintf (self->last_error, sizeof self->last_error, "%s", reason);
    if (self->down)
        return;
    self->down = true;
    self->down_since = s_now_ms ();
    /* The reason is quoted in the record: keep its own quotes out. */
    char quoted[SP_REDIS_REASON_MAX];
    snprintf (quoted, sizeof quoted, "%s", reason);
    for (char *c = quoted; *c; c++)
        if (*c == '"' || *c == '\\')
            *c = '\'';
    sp_log_warn (message, "addr=\"%s\" error=\"%s\"", self->address, quoted);
}

/* Records a successful connection; logs the end of an outage. */
static void
s_mark_up (sp_redis_t *self)
{
    if (self->down)
        sp_log_info ("reconnected to redis", "addr=\"%s\" outage_ms=%lld", self->address,
                     (long long) (s_now_ms () - self->down_since));
    self->down = false;
    self->failures = 0;
    self->next_attempt_at = 0;
}

/* Sends AUTH or SELECT on a fresh context; reason set on failure. */
static int
s_setup_command (redisContext *context, int argc, const char **argv, const char *what, char *reason,
                 size_t size)
{
    redisReply *reply = redisCommandArgv (context, argc, argv, NULL);
    if (!reply) {
        char text[sizeof context->errstr];
        s_lower_first (text, sizeof text, context->errstr);
        snprintf (reason, size, "%s: %s", what, text);
        return -1;
    }
    int rc = 0;
    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf (reason, size, "%s: %.*s", what, (int) reply->len, reply->str);
        rc = -1;
    }
    freeReplyObject (reply);
    return rc;
}

/* One connection attempt, with AUTH and SELECT. */
static int
s_connect_once (sp_redis_t *self, char *reason, size_t size)
{
    const char *host = sp_redis_url_host (self->url);
    const char *path = sp_redis_url_path (self->url);
    const char *username = sp_redis_url_username (self->url);
    const char *password = sp_redis_url_password (self->url);
    int database = sp_redis_url_database (self->url);
    struct timeval timeout = s_timeval (self->options.connect_timeout_ms);
    redisContext *context =
        path ? redisConnectUnixWithTimeout (path, timeout)
             : redisConnectWithTimeout (host, sp_redis_url_port (self->url), timeout);
    if (!context) {
        snprintf (reason, size, "out of memory");
        return -1;
    }
    if (context->err) {
        s_lower_first (reason, size, context->errstr);
        goto out_free_context;
    }
    if (self->options.command_timeout_ms > 0 &&
        redisSetTimeout (context, s_timeval (self->options.command_timeout_ms)) != REDIS_OK) {
        s_lower_first (reason, size, context->errstr);
        goto out_free_context;
    }
    if (host && redisEnableKeepAlive (context) != REDIS_OK) {
        s_lower_first (reason, size, context->errstr);
        goto out_free_context;
    }
    if (password) {
        /* AUTH password, or AUTH user password (Redis 6 ACL). */
        const char *argv[] = { "AUTH", username ? username : password, password };
        int argc = username ? (int) S_COUNT (argv) : (int) S_COUNT (argv) - 1;
        if (s_setup_command (context, argc, argv, "authentication failed", reason, size) != 0)
            goto out_free_context;
    }
    if (database != 0) {
        char number[SP_REDIS_NUMBER_TEXT_MAX];
        snprintf (number, sizeof number, "%d", database);
        const char *argv[] = { "SELECT", number };
        char what[SP_REDIS_WHAT_MAX];
        snprintf (what, sizeof what, "could not select database %d", database);
        if (s_setup_command (context, (int) S_COUNT (argv), argv, what, reason, size) != 0)
            goto out_free_context;
    }
    self->context = context;
    return 0;

out_free_context:
    redisFree (context);
    return -1;
}

/* Makes sure a live context exists, reconnecting if the backoff allows. */
int
sp_redis_seam_connected (sp_redis_t *self, char *error, size_t error_size)
{
    if (self->context)
        return 0;
    int64_t now = s_now_ms ();
    if (now < self->next_attempt_at) {
        sp_error_set (error, error_size,
                      "redis at \"%s\" is unavailable: %s (next connection attempt in %lld ms)",
                      self->address, self->last_error, (long long) (self->next_attempt_at - now));
        return -1;
    }
    char reason[SP_REDIS_REASON_MAX] = "";
    if (s_connect_once (self, reason, sizeof reason) != 0) {
        self->failures++;
        self->next_attempt_at = s_now_ms () + s_backoff_ms (self);
        s_mark_down (self, "could not connect to redis", reason);
        sp_error_set (error, error_size, "could not connect to redis at \"%s\": %s", self->address,
                      reason);
        return -1;
    }
    s_mark_up (self);
    return 0;
}

/* The live context failed: drop it; the next call may reconnect at once. */
void
sp_redis_seam_drop (sp_redis_t *self, char *reason, size_t size)
{
    s_lower_first (reason, size,
                   self->context->errstr[0] ? self->context->errstr : "connection failed");
    redisFree (self->context);
    self->context = NULL;
    self->failures = 0;
    self->next_attempt_at = 0;
    s_mark_down (self, "lost connection to redis", reason);
}

int
sp_redis_connect (sp_redis_t *self, char *error, size_t error_size)
{
    assert (self);
    if (self->cluster)
        return sp_redis_cluster_connect (self->cluster, self->address,
                                         self->options.connect_attempts, &self->backoff, error,
                                         error_size);
    if (self->context)
        return 0;
    char reason[SP_REDIS_REASON_MAX] = "";
    for (int attempt = 1; attempt <= self->options.connect_attempts; attempt++) {
        if (s_connect_once (self, reason, sizeof reason) == 0) {
            s_mark_up (self);
            return 0;
        }
        self->failures++;
        if (attempt < self->options.connect_attempts)
            s_sleep_ms (s_backoff_ms (self));
    }
    self->next_attempt_at = s_now_ms () + s_backoff_ms (self);
    s_mark_down (self, "could not connect to redis", reason);
    sp_error_set (error, error_size, "could not connect to redis at \"%s\" after %d attempt%s: %s",
                  self->address, self->options.connect_attempts,
                  self->options.connect_attempts == 1 ? "" : "s", reason);
    return -1;
}

/* Runs one command and returns hiredis's reply (error replies included). */
redisReply *
sp_redis_seam_command (sp_redis_t *self, int argc, const char *const *argv,
                       const size_t *argv_lengths, char *error, size_t error_size)
{
    /* A reply in flight would be read as this command's (programmer error). */
    assert (!self->pending);
    if (sp_redis_seam_connected (self, error, error_size) != 0)
        return NULL;
    redisReply *reply = redisCommandArgv (self->context, argc, (const char **) argv, argv_lengths);
    if (!reply) {
        char name[SP_REDIS_NAME_SHOWN_MAX + 1];
        s_command_name (argv, argv_lengths, name, sizeof name);
        char reason[SP_REDIS_REASON_MAX];
        sp_redis_seam_drop (self, reason, sizeof reason);
        sp_error_set (error, error_size, "could not run \"%s\" on redis at \"%s\": %s", name,
                      self->address, reason);
    }
    return reply;
}

/* ================================================================ replies */

static sp_redis_reply_type_t
s_reply_type (const redisReply *reply)
{
    switch (reply->type) {
        case REDIS_REPLY_INTEGER:
            return SP_REDIS_REPLY_INTEGER;
        case REDIS_REPLY_STRING:
            return SP_REDIS_REPLY_STRING;
        case REDIS_REPLY_STATUS:
            return SP_REDIS_REPLY_STATUS;
        case REDIS_REPLY_ERROR:
            return SP_REDIS_REPLY_ERROR;
        case REDIS_REPLY_ARRAY:
            return SP_REDIS_REPLY_ARRAY;
        default:
            return SP_REDIS_REPLY_NIL; /* REDIS_REPLY_NIL; 0.14 has no other types */
    }
}

/* Frees what a wrapper owns (not the wrapper itself). */
static void
s_reply_release (sp_redis_reply_t *wrapper)
{
    for (size_t i = 0; i < wrapper->size; i++)
        s_reply_release (&wrapper->elements[i]);
    free (wrapper->elements);
    wrapper->elements = NULL;
    wrapper->size = 0;
    if (wrapper->owns_reply && wrapper->reply)
        freeReplyObject (wrapper->reply);
    wrapper->reply = NULL;
}

/* Fills a wrapper for reply and, recursively, its elements. On failure the
   wrapper is still safe to release. */
static int
s_reply_wrap (sp_redis_reply_t *wrapper, redisReply *reply, bool owns_reply)
{
    wrapper->reply = reply;
    wrapper->owns_reply = owns_reply;
    wrapper->type = s_reply_type (reply);
    wrapper->size = 0;
    wrapper->elements = NULL;
    if (wrapper->type != SP_REDIS_REPLY_ARRAY || reply->elements == 0)
        return 0;
    wrapper->elements = calloc (reply->elements, sizeof *wrapper->elements);
    if (!wrapper->elements)
        return -1;
    wrapper->size = reply->elements;
    for (size_t i = 0; i < reply->elements; i++)
        if (s_reply_wrap (&wrapper->elements[i], reply->element[i], false) != 0)
            return -1;
    return 0;
}

/* Takes a top-level hiredis reply; NULL (reply freed) when memory runs out. */
sp_redis_reply_t *
sp_redis_seam_reply (redisReply *reply, char *error, size_t error_size)
{
    sp_redis_reply_t *self = calloc (1, sizeof *self);
    if (!self) {
        freeReplyObject (reply);
        sp_error_set (error, error_size, "out of memory wrapping a redis reply");
        return NULL;
    }
    if (s_reply_wrap (self, reply, true) != 0) {
        s_reply_release (self);
        free (self);
        sp_error_set (error, error_size, "out of memory wrapping a redis reply");
        return NULL;
    }
    return self;
}

/* Takes count top-level replies into one array reply; NULL (replies freed)
   when memory runs out. */
static sp_redis_reply_t *
s_reply_new_array (redisReply **replies, size_t count, char *error, size_t error_size)
{
    sp_redis_reply_t *self = calloc (1, sizeof *self);
    sp_redis_reply_t *elements = count > 0 ? calloc (count, sizeof *elements) : NULL;
    if (!self || (count > 0 && !elements)) {
        for (size_t i = 0; i < count; i++)
            freeReplyObject (replies[i]);
        free (elements);
        free (self);
        sp_error_set (error, error_size, "out of memory wrapping redis replies");
        return NULL;
    }
    self->type = SP_REDIS_REPLY_ARRAY;
    self->reply = NULL;
    self->owns_reply = false;
    self->size = count;
    self->elements = elements;
    /* Ownership first, so a failure below still frees every reply. */
    for (size_t i = 0; i < count; i++) {
        elements[i].reply = replies[i];
        elements[i].owns_reply = true;
    }
    for (size_t i = 0; i < count; i++)
        if (s_reply_wrap (&elements[i], replies[i], true) != 0) {
            s_reply_release (self);
            free (self);
            sp_error_set (error, error_size, "out of memory wrapping redis replies");
            return NULL;
        }
    return self;
}

sp_redis_reply_type_t
sp_redis_reply_type (const sp_redis_reply_t *self)
{
    assert (self);
    return self->type;
}

int64_t
sp_redis_reply_integer (const sp_redis_reply_t *self)
{
    assert (self);
    assert (self->type == SP_REDIS_REPLY_INTEGER);
    return (int64_t) self->reply->integer;
}

const char *
sp_redis_reply_string (const sp_redis_reply_t *self, size_t *length)
{
    assert (self);
    assert (self->type == SP_REDIS_REPLY_STRING || self->type == SP_REDIS_REPLY_STATUS ||
            self->type == SP_REDIS_REPLY_ERROR);
    if (length)
        *length = self->reply->len;
    return self->reply->str;
}

const char *
sp_redis_reply_text (const sp_redis_reply_t *self, size_t *length)
{
    if (!self || self->type != SP_REDIS_REPLY_STRING)
        return NULL;
    return sp_redis_reply_string (self, length);
}

size_t
sp_redis_reply_size (const sp_redis_reply_t *self)
{
    assert (self);
    assert (self->type == SP_REDIS_REPLY_ARRAY);
    return self->size;
}

const sp_redis_reply_t *
sp_redis_reply_element (const sp_redis_reply_t *self, size_t index)
{
    assert (self);
    assert (self->type == SP_REDIS_REPLY_ARRAY);
    assert (index < self->size);
    return &self->elements[index];
}

void
sp_redis_reply_destroy (sp_redis_reply_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    s_reply_release (*self_p);
    free (*self_p);
    *self_p = NULL;
}

/* ================================================================ commands */

sp_redis_reply_t *
sp_redis_command (sp_redis_t *self, int argc, const char *const *argv, const size_t *argv_lengths,
                  char *error, size_t error_size)
{
    assert (self);
    assert (argc > 0);
    assert (argv);
    redisReply *reply = NULL;
    if (self->cluster) {
        int slot = -1;
        if (sp_redis_cluster_slot_of (argc, argv, argv_lengths, &slot, error, error_size) != 0)
            return NULL;
        reply = sp_redis_cluster_every_node (argc, argv, argv_lengths)
                    ? sp_redis_cluster_every_master (self->cluster, argc, argv, argv_lengths,
                                                     error, error_size)
                    : sp_redis_cluster_exchange (self->cluster, slot, argc, argv, argv_lengths,
                                                 NULL, error, error_size);
    }
    else
        reply = sp_redis_seam_command (self, argc, argv, argv_lengths, error, error_size);
    if (!reply)
        return NULL;
    if (reply->type == REDIS_REPLY_ERROR) {
        char name[SP_REDIS_NAME_SHOWN_MAX + 1];
        s_command_name (argv, argv_lengths, name, sizeof name);
        sp_error_set (error, error_size, "command \"%s\" failed: %.*s", name, (int) reply->len,
                      reply->str);
        freeReplyObject (reply);
        return NULL;
    }
    return sp_redis_seam_reply (reply, error, error_size);
}

/* Makes the wire buffer hold at least size bytes (0: too large). 0, or
   -1 with the context's error set, as hiredis does when memory runs out. */
static int
s_wire_reserve (sp_redis_t *self, size_t size)
{
    if (size != 0 && size <= self->wire_capacity)
        return 0;
    char *wire = size ? realloc (self->wire, size) : NULL;
    if (!wire) {
        self->context->err = REDIS_ERR_OOM;
        snprintf (self->context->errstr, sizeof self->context->errstr, "Out of memory");
        return -1;
    }
    self->wire = wire;
    self->wire_capacity = size;
    return 0;
}

/* Queues prefix (wire format), every command of the pipeline and suffix
   on the context, written in wire form here (sp_redis_resp.h) and handed
   to hiredis at once; hiredis sends them in one write at the first read. */
static int
s_pipeline_queue (sp_redis_t *self, const char *prefix, size_t prefix_length,
                  const sp_redis_pipeline_t *pipeline, const char *suffix, size_t suffix_length)
{
    size_t count = sp_redis_pipeline_size (pipeline);
    size_t total = prefix_length + suffix_length;
    for (size_t i = 0; i < count; i++) {
        const char *const *argv = NULL;
        const size_t *argv_lengths = NULL;
        int argc = sp_redis_pipeline_command (pipeline, i, &argv, &argv_lengths);
        size_t size = sp_redis_resp_size (argc, argv_lengths);
        total = size == 0 || size > SIZE_MAX - total ? 0 : total + size;
        if (total == 0)
            return s_wire_reserve (self, 0); /* too large: out of memory */
    }
    if (total == 0)
        return 0;
    if (s_wire_reserve (self, total) != 0)
        return -1;
    size_t used = 0;
    if (prefix_length > 0)
        memcpy (self->wire, prefix, prefix_length);
    used += prefix_length;
    for (size_t i = 0; i < count; i++) {
        const char *const *argv = NULL;
        const size_t *argv_lengths = NULL;
        int argc = sp_redis_pipeline_command (pipeline, i, &argv, &argv_lengths);
        used += sp_redis_resp_write (self->wire + used, argc, argv, argv_lengths);
    }
    if (suffix_length > 0)
        memcpy (self->wire + used, suffix, suffix_length);
    used += suffix_length;
    return redisAppendFormattedCommand (self->context, self->wire, used) == REDIS_OK ? 0 : -1;
}

/* Queues one command, written in wire form here (see s_pipeline_queue). */
int
sp_redis_seam_queue (sp_redis_t *self, int argc, const char *const *argv, const size_t *lengths)
{
    if (s_wire_reserve (self, sp_redis_resp_size (argc, lengths)) != 0)
        return -1;
    size_t used = sp_redis_resp_write (self->wire, argc, argv, lengths);
    return redisAppendFormattedCommand (self->context, self->wire, used) == REDIS_OK ? 0 : -1;
}

/* Writes prefix + the pipeline + suffix, reads count replies into replies.
   On a connection failure frees what was read and drops the context. */
static int
s_pipeline_round_trip (sp_redis_t *self, const char *prefix, size_t prefix_length,
                       const sp_redis_pipeline_t *pipeline, const char *suffix,
                       size_t suffix_length, redisReply **replies, size_t count, char *error,
                       size_t error_size)
{
    if (sp_redis_seam_connected (self, error, error_size) != 0)
        return -1;
    char reason[SP_REDIS_REASON_MAX];
    int queued = s_pipeline_queue (self, prefix, prefix_length, pipeline, suffix, suffix_length);
    if (queued != 0) {
        sp_redis_seam_drop (self, reason, sizeof reason);
        sp_error_set (error, error_size, "could not send pipeline to redis at \"%s\": %s",
                      self->address, reason);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        void *reply = NULL;
        if (redisGetReply (self->context, &reply) != REDIS_OK || !reply) {
            for (size_t j = 0; j < i; j++) {
                freeReplyObject (replies[j]);
                replies[j] = NULL;
            }
            sp_redis_seam_drop (self, reason, sizeof reason);
            sp_error_set (error, error_size,
                          "could not read reply %zu of %zu from redis at \"%s\": %s", i + 1, count,
                          self->address, reason);
            return -1;
        }
        replies[i] = reply;
    }
    return 0;
}

sp_redis_reply_t *
sp_redis_execute (sp_redis_t *self, const sp_redis_pipeline_t *pipeline, char *error,
                  size_t error_size)
{
    assert (self);
    assert (pipeline);
    size_t count = sp_redis_pipeline_size (pipeline);
    if (count == 0)
        return s_reply_new_array (NULL, 0, error, error_size);
    redisReply **replies = calloc (count, sizeof *replies);
    if (!replies) {
        sp_error_set (error, error_size, "out of memory for %zu redis replies", count);
        return NULL;
    }
    sp_redis_reply_t *result = NULL;
    int rc = self->cluster
                 ? sp_redis_cluster_pipeline (self->cluster, pipeline, replies, error, error_size)
                 : s_pipeline_round_trip (self, NULL, 0, pipeline, NULL, 0, replies, count, error,
                                          error_size);
    if (rc == 0)
        result = s_reply_new_array (replies, count, error, error_size);
    free (replies);
    return result;
}

/* The transaction's result from its replies (MULTI's, each command's
   QUEUED or error, EXEC's); replies are freed, except EXEC's array which
   becomes the result. */
static sp_redis_reply_t *
s_atomic_result (redisReply **replies, size_t count, char *error, size_t error_size)
{
    sp_redis_reply_t *result = NULL;
    size_t commands = count - SP_REDIS_TRANSACTION_REPLIES;
    redisReply *exec = replies[count - 1];
    if (replies[0]->type == REDIS_REPLY_ERROR)
        sp_error_set (error, error_size, "could not start transaction: %.*s", (int) replies[0]->len,
                      replies[0]->str);
    else if (exec->type == REDIS_REPLY_ARRAY) {
        replies[count - 1] = NULL;
        result = sp_redis_seam_reply (exec, error, error_size);
    }
    else if (exec->type == REDIS_REPLY_NIL)
        sp_error_set (error, error_size, "transaction aborted: a watched key changed");
    else {
        size_t rejected = 0;
        for (size_t i = 1; i + 1 < count && rejected == 0; i++)
            if (replies[i]->type == REDIS_REPLY_ERROR)
                rejected = i;
        if (rejected > 0)
            sp_error_set (error, error_size,
                          "transaction aborted: command %zu of %zu was rejected: %.*s", rejected,
                          commands, (int) replies[rejected]->len, replies[rejected]->str);
        else
            sp_error_set (error, error_size, "transaction aborted: %.*s",
                          exec->str ? (int) exec->len : 0, exec->str ? exec->str : "");
    }
    for (size_t i = 0; i < count; i++)
        if (replies[i]) {
            freeReplyObject (replies[i]);
            replies[i] = NULL;
        }
    return result;
}

/* The one slot of every key of a transaction into *slot (-1: no key).
   -1 with the reason when the keys span slots (Redis Cluster refuses a
   transaction over several slots). */
static int
s_transaction_slot (const sp_redis_pipeline_t *pipeline, int *slot, char *error, size_t error_size)
{
    *slot = -1;
    size_t first = 0;
    for (size_t i = 0; i < sp_redis_pipeline_size (pipeline); i++) {
        const char *const *argv = NULL;
        const size_t *lengths = NULL;
        int argc = sp_redis_pipeline_command (pipeline, i, &argv, &lengths);
        int command_slot = -1;
        if (sp_redis_cluster_slot_of (argc, argv, lengths, &command_slot, error, error_size) != 0)
            return -1;
        if (command_slot < 0)
            continue;
        if (*slot >= 0 && command_slot != *slot) {
            sp_error_set (error, error_size,
                          "transaction commands %zu (slot %d) and %zu (slot %d) are in different "
                          "slots: in a redis cluster every key of a transaction must share a hash "
                          "tag",
                          first + 1, *slot, i + 1, command_slot);
            return -1;
        }
        if (*slot < 0)
            first = i;
        *slot = command_slot;
    }
    return 0;
}

/* MULTI/EXEC on the node of the transaction's slot, following MOVED and
   ASK (ASKING before MULTI: the flag holds for the whole transaction). */
static sp_redis_reply_t *
s_cluster_atomic (sp_redis_t *self, const sp_redis_pipeline_t *pipeline, redisReply **replies,
                  size_t count, char *error, size_t error_size)
{
    int slot = -1;
    if (s_transaction_slot (pipeline, &slot, error, error_size) != 0)
        return NULL;
    sp_redis_t *node = sp_redis_cluster_node (self->cluster, slot, error, error_size);
    bool asking = false;
    for (int redirects = 0; node; redirects++) {
        /* With ASKING, its reply comes first: read into the slot before. */
        redisReply *asking_reply = NULL;
        redisReply **all = asking ? calloc (count + 1, sizeof *all) : replies;
        if (!all) {
            sp_error_set (error, error_size, "out of memory for redis replies");
            return NULL;
        }
        int rc = asking
                     ? s_pipeline_round_trip (node, s_asking_multi, sizeof s_asking_multi - 1,
                                              pipeline, s_exec, sizeof s_exec - 1, all, count + 1,
                                              error, error_size)
                     : s_pipeline_round_trip (node, s_multi, sizeof s_multi - 1, pipeline, s_exec,
                                              sizeof s_exec - 1, all, count, error, error_size);
        if (asking) {
            asking_reply = rc == 0 ? all[0] : NULL;
            if (rc == 0)
                memcpy (replies, all + 1, count * sizeof *replies);
            free (all);
            if (asking_reply)
                freeReplyObject (asking_reply);
        }
        if (rc != 0) {
            sp_redis_cluster_failed (self->cluster, true);
            return NULL;
        }
        /* A redirection shows on the first queued command (a slot is
           moved as a whole; ASK on a key missing from the source). */
        sp_redis_t *target = NULL;
        sp_redis_redirect_t redirect = SP_REDIS_REDIRECT_NONE;
        for (size_t i = 1; i + 1 < count && redirect == SP_REDIS_REDIRECT_NONE; i++)
            redirect = sp_redis_cluster_redirect (self->cluster, replies[i], &target);
        if (redirect == SP_REDIS_REDIRECT_NONE || redirects == SP_REDIS_CLUSTER_REDIRECTS) {
            sp_redis_cluster_failed (self->cluster, false);
            return s_atomic_result (replies, count, error, error_size);
        }
        for (size_t i = 0; i < count; i++) {
            freeReplyObject (replies[i]);
            replies[i] = NULL;
        }
        asking = redirect == SP_REDIS_REDIRECT_ASK;
        node = target;
    }
    return NULL;
}

sp_redis_reply_t *
sp_redis_execute_atomic (sp_redis_t *self, const sp_redis_pipeline_t *pipeline, char *error,
                         size_t error_size)
{
    assert (self);
    assert (pipeline);
    /* Replies: MULTI's, one QUEUED (or error) per command, then EXEC's. */
    size_t commands = sp_redis_pipeline_size (pipeline);
    size_t count = commands + SP_REDIS_TRANSACTION_REPLIES;
    redisReply **replies = calloc (count, sizeof *replies);
    if (!replies) {
        sp_error_set (error, error_size, "out of memory for %zu redis replies", count);
        return NULL;
    }
    sp_redis_reply_t *result = NULL;
    if (self->cluster)
        result = s_cluster_atomic (self, pipeline, replies, count, error, error_size);
    else if (s_pipeline_round_trip (self, s_multi, sizeof s_multi - 1, pipeline, s_exec,
                                    sizeof s_exec - 1, replies, count, error, error_size) == 0)
        result = s_atomic_result (replies, count, error, error_size);
    free (replies);
    return result;
}
