/*  sp_redis_cluster - the Redis seam's cluster client (see sp_redis.h,
    "Redis Cluster"): the slot map, one connection per node, routing by
    slot, MOVED and ASK. hiredis 0.14 (Debian 12) has no cluster client
    and hiredis-cluster needs hiredis >= 1.0, so this small one lives in
    the seam, over the seam's own single-server connections: each node is
    an sp_redis_t of its own, with its own outage state and backoff.

    The map: CLUSTER SLOTS read from any reachable node (the seeds first
    time, then the known nodes), each slot pointing at its master's node.
    It is read again after a MOVED (the cluster changed: the whole map is
    likely stale, not just one slot) and after a node's connection failed
    (a failover may have promoted a replica elsewhere). An ASK is one
    command's detour to the importing node, preceded by ASKING, and
    changes nothing in the map. At most SP_REDIS_CLUSTER_REDIRECTS
    redirections are followed per command, so a cluster that keeps
    sending a command around fails it instead of looping.

    Routing: a command goes to the node of its first key's slot (the
    table in s_first_key knows the few commands whose first key is not
    argv[1], and the keyless ones, which go to any node). Every key of a
    script and of a MULTI/EXEC must share one slot, as Redis Cluster
    requires: the seam refuses a script or a transaction that spans slots
    before sending anything, naming two keys and their slots. Other
    multi-key commands (MGET, DEL, ...) go by their first key and Redis
    answers CROSSSLOT when their keys span slots.
*/
#include "sp_redis_internal.h"

#include "sp_error.h"
#include "sp_log.h"
#include "sp_redis_slot.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SP_REDIS_CLUSTER_NODES_MAX 1024  /* nodes a map may name */
#define SP_REDIS_CLUSTER_NAME_MAX 32     /* longest command name compared */
#define SP_REDIS_CLUSTER_HOST_MAX 256    /* longest host in a redirection */
#define SP_REDIS_CLUSTER_DECIMAL_BASE 10 /* ports and slots in redirections */
#define SP_REDIS_CLUSTER_MS_PER_SECOND 1000
#define SP_REDIS_CLUSTER_NS_PER_MS 1000000
#define SP_REDIS_CLUSTER_SCRIPT_KEYS_AT 3 /* EVALSHA sha numkeys key... */
#define SP_REDIS_CLUSTER_RANGE_FIELDS 3   /* start, end, master */
#define SP_REDIS_CLUSTER_NODE_FIELDS 2    /* host, port */
#define MOVED_PREFIX "MOVED "
#define ASK_PREFIX "ASK "

typedef struct {
    char *host;        /* as the cluster names it */
    int port;          /* client port */
    sp_redis_t *redis; /* single-server connection to it, owned */
} s_node_t;

struct _sp_redis_cluster_t {
    const sp_redis_url_t *url;        /* seeds, user and password; borrowed from sp_redis_t */
    sp_redis_options_t options;       /* for every node */
    s_node_t *nodes;                  /* every node ever named, owned */
    int node_count;                   /* used entries */
    int node_capacity;                /* allocated entries */
    short slots[SP_REDIS_SLOT_COUNT]; /* node index serving each slot, -1 unknown */
    bool mapped;                      /* the map was read at least once */
    bool stale;                       /* read the map again before the next command */
    bool failed;                      /* the last call failed on a connection */
    sp_redis_t *pending_node;         /* node with a script in flight (sp_redis_script_send) */
    int pending_slot;                 /* its slot, -1 when keyless */
};

/* ================================================================ helpers */

static void
s_sleep_ms (int64_t milliseconds)
{
    struct timespec delay;
    delay.tv_sec = (time_t) (milliseconds / SP_REDIS_CLUSTER_MS_PER_SECOND);
    delay.tv_nsec =
        (long) ((milliseconds % SP_REDIS_CLUSTER_MS_PER_SECOND) * SP_REDIS_CLUSTER_NS_PER_MS);
    while (nanosleep (&delay, &delay) != 0 && errno == EINTR)
        ;
}

static bool
s_name_is (const char *argument, size_t length, const char *name)
{
    return length == strlen (name) && strncasecmp (argument, name, length) == 0;
}

static size_t
s_length (const char *const *argv, const size_t *lengths, int index)
{
    return lengths ? lengths[index] : strlen (argv[index]);
}

/* The node at host:port, added (not connected) when new; NULL out of
   memory or when the map names too many nodes. */
static s_node_t *
s_node_find (sp_redis_cluster_t *self, const char *host, size_t host_length, int port)
{
    for (int i = 0; i < self->node_count; i++)
        if (self->nodes[i].port == port && strlen (self->nodes[i].host) == host_length &&
            memcmp (self->nodes[i].host, host, host_length) == 0)
            return &self->nodes[i];
    if (self->node_count == SP_REDIS_CLUSTER_NODES_MAX)
        return NULL;
    if (self->node_count == self->node_capacity) {
        int capacity = self->node_capacity ? 2 * self->node_capacity : 4;
        s_node_t *nodes = realloc (self->nodes, (size_t) capacity * sizeof *nodes);
        if (!nodes)
            return NULL;
        self->nodes = nodes;
        self->node_capacity = capacity;
    }
    s_node_t *node = &self->nodes[self->node_count];
    node->host = strndup (host, host_length);
    node->port = port;
    sp_redis_url_t *url = node->host ? sp_redis_url_node (self->url, node->host, port) : NULL;
    node->redis = url ? sp_redis_seam_new_node (&url, &self->options) : NULL;
    if (!node->redis) {
        sp_redis_url_destroy (&url);
        free (node->host);
        return NULL;
    }
    self->node_count++;
    return node;
}

/* ================================================================ the map */

/* Reads CLUSTER SLOTS from node into the map. 0, or -1 with the reason. */
static int
s_map_read_from (sp_redis_cluster_t *self, s_node_t *node, char *error, size_t error_size)
{
    const char *argv[] = { "CLUSTER", "SLOTS" };
    redisReply *reply = sp_redis_seam_command (node->redis, 2, argv, NULL, error, error_size);
    if (!reply)
        return -1;
    int rc = -1;
    if (reply->type != REDIS_REPLY_ARRAY) {
        sp_error_set (error, error_size, "could not read the slot map from \"%s\": %.*s",
                      sp_redis_address (node->redis),
                      reply->type == REDIS_REPLY_ERROR ? (int) reply->len : 0,
                      reply->type == REDIS_REPLY_ERROR ? reply->str : "");
        goto out_free;
    }
    /* Node pointers move when the array grows: keep the host as text. */
    char host[SP_REDIS_CLUSTER_HOST_MAX];
    snprintf (host, sizeof host, "%s", node->host);
    for (int slot = 0; slot < SP_REDIS_SLOT_COUNT; slot++)
        self->slots[slot] = -1;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *range = reply->element[i];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < SP_REDIS_CLUSTER_RANGE_FIELDS)
            continue;
        const redisReply *master = range->element[2];
        long long first = range->element[0]->integer, last = range->element[1]->integer;
        if (master->type != REDIS_REPLY_ARRAY || master->elements < SP_REDIS_CLUSTER_NODE_FIELDS ||
            master->element[0]->type != REDIS_REPLY_STRING || first < 0 ||
            last >= SP_REDIS_SLOT_COUNT || first > last)
            continue;
        /* An empty host means "the address you asked" (Redis 7). */
        const char *master_host = master->element[0]->len ? master->element[0]->str : host;
        size_t master_length = master->element[0]->len ? master->element[0]->len : strlen (host);
        s_node_t *owner =
            s_node_find (self, master_host, master_length, (int) master->element[1]->integer);
        if (!owner) {
            sp_error_set (error, error_size, "out of memory reading the slot map");
            goto out_free;
        }
        for (long long slot = first; slot <= last; slot++)
            self->slots[slot] = (short) (owner - self->nodes);
    }
    self->mapped = true;
    self->stale = false;
    rc = 0;
out_free:
    freeReplyObject (reply);
    return rc;
}

/* Reads the map from the first node that answers: first (when given),
   then every known node, then the seeds. 0, or -1 with the last reason. */
static int
s_map_refresh (sp_redis_cluster_t *self, const s_node_t *first, char *error, size_t error_size)
{
    int first_index = first ? (int) (first - self->nodes) : -1;
    if (first_index >= 0 &&
        s_map_read_from (self, &self->nodes[first_index], error, error_size) == 0)
        return 0;
    for (int i = 0; i < self->node_count; i++)
        if (i != first_index && s_map_read_from (self, &self->nodes[i], error, error_size) == 0)
            return 0;
    for (int i = 0; i < sp_redis_url_seed_count (self->url); i++) {
        const char *host = sp_redis_url_seed_host (self->url, i);
        s_node_t *seed =
            s_node_find (self, host, strlen (host), sp_redis_url_seed_port (self->url, i));
        if (!seed) {
            sp_error_set (error, error_size, "out of memory reading the slot map");
            return -1;
        }
        if (s_map_read_from (self, seed, error, error_size) == 0)
            return 0;
    }
    return -1;
}

/* ================================================================ public (internal) */

sp_redis_cluster_t *
sp_redis_cluster_new (const sp_redis_url_t *url, const sp_redis_options_t *options)
{
    sp_redis_cluster_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->url = url;
    self->options = *options;
    /* Each node connects lazily with one attempt; sp_redis_cluster_connect
       does the start-up retries over all seeds. */
    self->options.connect_attempts = 1;
    self->nodes = NULL;
    self->node_count = 0;
    self->node_capacity = 0;
    for (int slot = 0; slot < SP_REDIS_SLOT_COUNT; slot++)
        self->slots[slot] = -1;
    self->mapped = false;
    self->stale = true;
    self->failed = false;
    self->pending_node = NULL;
    self->pending_slot = -1;
    return self;
}

void
sp_redis_cluster_destroy (sp_redis_cluster_t **self_p)
{
    assert (self_p);
    sp_redis_cluster_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->node_count; i++) {
        sp_redis_destroy (&self->nodes[i].redis);
        free (self->nodes[i].host);
    }
    free (self->nodes);
    free (self);
    *self_p = NULL;
}

int
sp_redis_cluster_connect (sp_redis_cluster_t *self, const char *address, int attempts,
                          sp_backoff_t *backoff, char *error, size_t error_size)
{
    if (self->mapped && !self->stale)
        return 0;
    char reason[SP_REDIS_REASON_MAX] = "";
    for (int attempt = 1; attempt <= attempts; attempt++) {
        if (s_map_refresh (self, NULL, reason, sizeof reason) == 0) {
            self->failed = false;
            return 0;
        }
        if (attempt < attempts)
            s_sleep_ms (sp_backoff_delay_ms (backoff, attempt - 1));
    }
    self->failed = true;
    sp_error_set (error, error_size,
                  "could not connect to redis cluster at \"%s\" after %d attempt%s: %s", address,
                  attempts, attempts == 1 ? "" : "s", reason);
    return -1;
}

bool
sp_redis_cluster_connected (const sp_redis_cluster_t *self)
{
    return self->mapped && !self->failed;
}

/* The slot every key matching pattern is in, or -1: the pattern has a
   hash tag (a '{', then a '}' with something between) with no glob
   character before its end, so every matching key has that tag. */
static int
s_pattern_slot (const char *pattern, size_t length)
{
    size_t tag_length = 0;
    const char *tag = sp_redis_slot_hashed (pattern, length, &tag_length);
    if (tag == pattern && tag_length == length)
        return -1; /* no tag: the whole pattern would be hashed */
    for (const char *at = pattern; at < tag + tag_length; at++)
        if (*at == '*' || *at == '?' || *at == '[' || *at == '\\')
            return -1;
    return sp_redis_slot (pattern, length);
}

int
sp_redis_cluster_slot_of (int argc, const char *const *argv, const size_t *lengths, int *slot,
                          char *error, size_t error_size)
{
    assert (argc > 0);
    size_t name_length = s_length (argv, lengths, 0);
    const char *name = argv[0];
    *slot = -1;
    /* SCAN ... MATCH with a hash tag: the tag's keys are all on one node,
       the one to ask (a partition's keys, the consumer's reset) */
    if (s_name_is (name, name_length, "SCAN")) {
        for (int i = 2; i + 1 < argc; i++)
            if (s_name_is (argv[i], s_length (argv, lengths, i), "MATCH")) {
                int tagged = s_pattern_slot (argv[i + 1], s_length (argv, lengths, i + 1));
                if (tagged >= 0)
                    *slot = tagged;
            }
        /* Without one, a cursor would walk one node's keys and look like
           the whole keyspace's: refused rather than answered in part. */
        if (*slot < 0) {
            sp_error_set (error, error_size,
                          "SCAN without a hash tag in its MATCH pattern would read one node of "
                          "the redis cluster only: give the pattern a {tag} (before any glob "
                          "character) or scan each node");
            return -1;
        }
        return 0;
    }
    static const char *const keyless[] = { "PING",   "INFO",     "SCRIPT",  "FLUSHALL", "FLUSHDB",
                                           "DBSIZE", "CLUSTER",  "TIME",    "SCAN",     "KEYS",
                                           "ECHO",   "COMMAND",  "CONFIG",  "CLIENT",   "RANDOMKEY",
                                           "WAIT",   "LASTSAVE", "PUBLISH", "FUNCTION", "MEMORY" };
    for (size_t i = 0; i < sizeof keyless / sizeof keyless[0]; i++)
        if (s_name_is (name, name_length, keyless[i]))
            return 0;
    int first_key = 1;
    int key_count = argc > 1 ? 1 : 0;
    if (s_name_is (name, name_length, "EVAL") || s_name_is (name, name_length, "EVALSHA") ||
        s_name_is (name, name_length, "EVAL_RO") || s_name_is (name, name_length, "EVALSHA_RO") ||
        s_name_is (name, name_length, "FCALL") || s_name_is (name, name_length, "FCALL_RO")) {
        first_key = SP_REDIS_CLUSTER_SCRIPT_KEYS_AT;
        key_count = argc > 2 ? (int) strtol (argv[2], NULL, SP_REDIS_CLUSTER_DECIMAL_BASE) : 0;
        if (key_count < 0 || first_key + key_count > argc)
            key_count = 0;
    }
    else if (s_name_is (name, name_length, "BITOP") || s_name_is (name, name_length, "OBJECT") ||
             s_name_is (name, name_length, "XINFO"))
        first_key = 2;
    else if (s_name_is (name, name_length, "XREAD") ||
             s_name_is (name, name_length, "XREADGROUP")) {
        key_count = 0;
        for (int i = 1; i + 1 < argc && key_count == 0; i++)
            if (s_name_is (argv[i], s_length (argv, lengths, i), "STREAMS")) {
                first_key = i + 1;
                key_count = 1;
            }
    }
    if (key_count == 0 || first_key >= argc)
        return 0;
    *slot = sp_redis_slot (argv[first_key], s_length (argv, lengths, first_key));
    /* A script's keys must share a slot: refuse before sending. */
    for (int i = first_key + 1; i < first_key + key_count; i++) {
        int other = sp_redis_slot (argv[i], s_length (argv, lengths, i));
        if (other != *slot) {
            sp_error_set (error, error_size,
                          "script keys \"%.*s\" (slot %d) and \"%.*s\" (slot %d) are in different "
                          "slots: in a redis cluster every key of a script must share a hash tag",
                          (int) s_length (argv, lengths, first_key), argv[first_key], *slot,
                          (int) s_length (argv, lengths, i), argv[i], other);
            return -1;
        }
    }
    return 0;
}

bool
sp_redis_cluster_every_node (int argc, const char *const *argv, const size_t *lengths)
{
    size_t length = s_length (argv, lengths, 0);
    if (s_name_is (argv[0], length, "FLUSHALL") || s_name_is (argv[0], length, "FLUSHDB") ||
        s_name_is (argv[0], length, "DBSIZE") || s_name_is (argv[0], length, "KEYS"))
        return true;
    return argc >= 2 && s_name_is (argv[0], length, "SCRIPT") &&
           s_name_is (argv[1], s_length (argv, lengths, 1), "FLUSH");
}

/* Moves the elements of part to the end of whole (both arrays). -1 when
   memory runs out (nothing moved). */
static int
s_join_arrays (redisReply *whole, redisReply *part)
{
    if (part->elements == 0)
        return 0;
    redisReply **joined =
        realloc (whole->element, (whole->elements + part->elements) * sizeof *joined);
    if (!joined)
        return -1;
    memcpy (joined + whole->elements, part->element, part->elements * sizeof *joined);
    whole->element = joined;
    whole->elements += part->elements;
    free (part->element);
    part->element = NULL;
    part->elements = 0;
    return 0;
}

redisReply *
sp_redis_cluster_every_master (sp_redis_cluster_t *self, int argc, const char *const *argv,
                               const size_t *lengths, char *error, size_t error_size)
{
    if (!sp_redis_cluster_node (self, 0, error, error_size))
        return NULL;
    redisReply *combined = NULL;
    for (int i = 0; i < self->node_count; i++) {
        bool serves = false;
        for (int slot = 0; slot < SP_REDIS_SLOT_COUNT && !serves; slot++)
            serves = self->slots[slot] == i;
        if (!serves)
            continue;
        sp_redis_t *node = self->nodes[i].redis;
        redisReply *reply = sp_redis_seam_command (node, argc, argv, lengths, error, error_size);
        if (!reply) {
            sp_redis_cluster_failed (self, !sp_redis_connected (node));
            freeReplyObject (combined);
            return NULL;
        }
        if (reply->type == REDIS_REPLY_ERROR || !combined) {
            freeReplyObject (combined);
            combined = reply;
            if (reply->type == REDIS_REPLY_ERROR)
                return combined;
            continue;
        }
        if (combined->type == REDIS_REPLY_INTEGER && reply->type == REDIS_REPLY_INTEGER)
            combined->integer += reply->integer;
        else if (combined->type == REDIS_REPLY_ARRAY && reply->type == REDIS_REPLY_ARRAY &&
                 s_join_arrays (combined, reply) != 0) {
            sp_error_set (error, error_size, "out of memory joining the nodes' replies");
            freeReplyObject (reply);
            freeReplyObject (combined);
            return NULL;
        }
        freeReplyObject (reply);
    }
    self->failed = false;
    return combined;
}

sp_redis_t *
sp_redis_cluster_node (sp_redis_cluster_t *self, int slot, char *error, size_t error_size)
{
    if ((!self->mapped || self->stale) && s_map_refresh (self, NULL, error, error_size) != 0) {
        self->failed = true;
        return NULL;
    }
    if (slot < 0) {
        for (int i = 0; i < SP_REDIS_SLOT_COUNT; i++)
            if (self->slots[i] >= 0)
                return self->nodes[self->slots[i]].redis;
        slot = 0;
    }
    if (self->slots[slot] < 0) {
        sp_error_set (error, error_size, "no node of the redis cluster serves slot %d", slot);
        return NULL;
    }
    return self->nodes[self->slots[slot]].redis;
}

/* The node of the redirection text "SLOT HOST:PORT" (after MOVED/ASK). */
static s_node_t *
s_redirect_target (sp_redis_cluster_t *self, const char *text, size_t length)
{
    const char *space = memchr (text, ' ', length);
    if (!space)
        return NULL;
    const char *address = space + 1;
    size_t address_length = (size_t) (text + length - address);
    const char *colon = NULL;
    for (const char *c = address; c < address + address_length; c++)
        if (*c == ':')
            colon = c; /* the last one: an IPv6 host holds colons too */
    if (!colon)
        return NULL;
    char port_text[SP_REDIS_CLUSTER_NAME_MAX];
    snprintf (port_text, sizeof port_text, "%.*s", (int) (address + address_length - colon - 1),
              colon + 1);
    char *end = NULL;
    long port = strtol (port_text, &end, SP_REDIS_CLUSTER_DECIMAL_BASE);
    if (*end != '\0' || port < 1 || port > UINT16_MAX)
        return NULL;
    return s_node_find (self, address, (size_t) (colon - address), (int) port);
}

sp_redis_redirect_t
sp_redis_cluster_redirect (sp_redis_cluster_t *self, const redisReply *reply, sp_redis_t **target)
{
    *target = NULL;
    if (!reply || reply->type != REDIS_REPLY_ERROR)
        return SP_REDIS_REDIRECT_NONE;
    size_t moved = strlen (MOVED_PREFIX), ask = strlen (ASK_PREFIX);
    if (reply->len > moved && strncmp (reply->str, MOVED_PREFIX, moved) == 0) {
        s_node_t *node = s_redirect_target (self, reply->str + moved, reply->len - moved);
        long slot = strtol (reply->str + moved, NULL, SP_REDIS_CLUSTER_DECIMAL_BASE);
        if (!node || slot < 0 || slot >= SP_REDIS_SLOT_COUNT)
            return SP_REDIS_REDIRECT_NONE;
        /* This slot now, the whole map from the node that owns it. */
        short index = (short) (node - self->nodes);
        char ignored[SP_REDIS_REASON_MAX];
        if (s_map_refresh (self, node, ignored, sizeof ignored) != 0 || self->slots[slot] < 0)
            self->slots[slot] = index;
        sp_log_info ("redis cluster slot moved", "slot=%ld addr=\"%s\"", slot,
                     sp_redis_address (self->nodes[self->slots[slot]].redis));
        *target = self->nodes[self->slots[slot]].redis;
        return SP_REDIS_REDIRECT_MOVED;
    }
    if (reply->len > ask && strncmp (reply->str, ASK_PREFIX, ask) == 0) {
        s_node_t *node = s_redirect_target (self, reply->str + ask, reply->len - ask);
        if (!node)
            return SP_REDIS_REDIRECT_NONE;
        *target = node->redis;
        return SP_REDIS_REDIRECT_ASK;
    }
    return SP_REDIS_REDIRECT_NONE;
}

void
sp_redis_cluster_failed (sp_redis_cluster_t *self, bool failed)
{
    self->failed = failed;
    if (failed)
        self->stale = true; /* a failover may have moved its slots */
}

/* Sends ASKING on node. 0, or -1 with the reason. */
static int
s_asking (sp_redis_t *node, char *error, size_t error_size)
{
    const char *argv[] = { "ASKING" };
    redisReply *reply = sp_redis_seam_command (node, 1, argv, NULL, error, error_size);
    if (!reply)
        return -1;
    int rc = reply->type == REDIS_REPLY_ERROR ? -1 : 0;
    if (rc != 0)
        sp_error_set (error, error_size, "ASKING failed on \"%s\": %.*s", sp_redis_address (node),
                      (int) reply->len, reply->str);
    freeReplyObject (reply);
    return rc;
}

redisReply *
sp_redis_cluster_exchange (sp_redis_cluster_t *self, int slot, int argc, const char *const *argv,
                           const size_t *lengths, sp_redis_script_t *script, char *error,
                           size_t error_size)
{
    sp_redis_t *node = sp_redis_cluster_node (self, slot, error, error_size);
    bool asking = false;
    for (int redirects = 0; node; redirects++) {
        if (asking && s_asking (node, error, error_size) != 0)
            break;
        redisReply *reply = sp_redis_seam_command (node, argc, argv, lengths, error, error_size);
        if (reply && script)
            reply = sp_redis_seam_script_retry (script, node, reply, argc, argv, lengths, error,
                                                error_size);
        if (!reply) {
            sp_redis_cluster_failed (self, !sp_redis_connected (node));
            return NULL;
        }
        sp_redis_t *target = NULL;
        sp_redis_redirect_t redirect = sp_redis_cluster_redirect (self, reply, &target);
        if (redirect == SP_REDIS_REDIRECT_NONE || redirects == SP_REDIS_CLUSTER_REDIRECTS) {
            self->failed = false;
            return reply;
        }
        freeReplyObject (reply);
        asking = redirect == SP_REDIS_REDIRECT_ASK;
        node = target;
    }
    return NULL;
}

/* One node's share of a pipeline: which commands, then their replies. */
typedef struct {
    sp_redis_t *node; /* where they go */
    size_t count;     /* commands routed to it */
    bool failed;      /* its connection failed */
} s_share_t;

int
sp_redis_cluster_pipeline (sp_redis_cluster_t *self, const sp_redis_pipeline_t *pipeline,
                           redisReply **replies, char *error, size_t error_size)
{
    size_t count = sp_redis_pipeline_size (pipeline);
    sp_redis_t **targets = calloc (count, sizeof *targets);
    s_share_t *shares = calloc (count, sizeof *shares);
    size_t share_count = 0;
    int rc = -1;
    if (!targets || !shares) {
        sp_error_set (error, error_size, "out of memory splitting a pipeline");
        goto out_free;
    }
    /* Route every command first: a refusal sends nothing. */
    for (size_t i = 0; i < count; i++) {
        const char *const *argv = NULL;
        const size_t *lengths = NULL;
        int argc = sp_redis_pipeline_command (pipeline, i, &argv, &lengths);
        int slot = -1;
        if (sp_redis_cluster_slot_of (argc, argv, lengths, &slot, error, error_size) != 0)
            goto out_free;
        if (sp_redis_cluster_every_node (argc, argv, lengths)) {
            sp_error_set (error, error_size,
                          "\"%.*s\" means every node of the redis cluster: send it alone "
                          "(sp_redis_command), not in a pipeline",
                          (int) s_length (argv, lengths, 0), argv[0]);
            goto out_free;
        }
        targets[i] = sp_redis_cluster_node (self, slot, error, error_size);
        if (!targets[i])
            goto out_free;
        size_t share = 0;
        while (share < share_count && shares[share].node != targets[i])
            share++;
        if (share == share_count)
            shares[share_count++].node = targets[i];
        shares[share].count++;
    }
    for (size_t s = 0; s < share_count; s++)
        if (sp_redis_seam_connected (shares[s].node, error, error_size) != 0) {
            sp_redis_cluster_failed (self, true);
            goto out_free;
        }
    /* Queue each command on its node's connection. */
    for (size_t i = 0; i < count; i++) {
        const char *const *argv = NULL;
        const size_t *lengths = NULL;
        int argc = sp_redis_pipeline_command (pipeline, i, &argv, &lengths);
        if (sp_redis_seam_queue (targets[i], argc, argv, lengths) != 0) {
            sp_error_set (error, error_size, "out of memory queuing a pipeline");
            goto out_drop;
        }
    }
    /* Write to every node first, so they work at the same time. */
    for (size_t s = 0; s < share_count; s++) {
        int done = 0;
        while (!done && !shares[s].failed)
            shares[s].failed = redisBufferWrite (shares[s].node->context, &done) != REDIS_OK;
        if (shares[s].failed) {
            char reason[SP_REDIS_REASON_MAX];
            sp_redis_seam_drop (shares[s].node, reason, sizeof reason);
            sp_error_set (error, error_size, "could not send pipeline to redis at \"%s\": %s",
                          sp_redis_address (shares[s].node), reason);
        }
    }
    /* Read each command's reply from its node, in the pipeline's order
       (a node answers its own commands in order). */
    rc = 0;
    for (size_t i = 0; i < count; i++) {
        size_t share = 0;
        while (shares[share].node != targets[i])
            share++;
        void *reply = NULL;
        if (!shares[share].failed &&
            (redisGetReply (targets[i]->context, &reply) != REDIS_OK || !reply)) {
            char reason[SP_REDIS_REASON_MAX];
            sp_redis_seam_drop (targets[i], reason, sizeof reason);
            sp_error_set (error, error_size,
                          "could not read reply %zu of %zu from redis at \"%s\": %s", i + 1, count,
                          sp_redis_address (targets[i]), reason);
            shares[share].failed = true;
        }
        if (shares[share].failed) {
            rc = -1;
            sp_redis_cluster_failed (self, true);
        }
        replies[i] = reply;
    }
    /* Commands sent to the wrong node again, one by one, in order. */
    for (size_t i = 0; rc == 0 && i < count; i++) {
        sp_redis_t *target = NULL;
        if (sp_redis_cluster_redirect (self, replies[i], &target) == SP_REDIS_REDIRECT_NONE)
            continue;
        freeReplyObject (replies[i]);
        const char *const *argv = NULL;
        const size_t *lengths = NULL;
        int argc = sp_redis_pipeline_command (pipeline, i, &argv, &lengths);
        int slot = -1;
        sp_redis_cluster_slot_of (argc, argv, lengths, &slot, NULL, 0);
        replies[i] =
            sp_redis_cluster_exchange (self, slot, argc, argv, lengths, NULL, error, error_size);
        if (!replies[i])
            rc = -1;
    }
    if (rc != 0)
        for (size_t i = 0; i < count; i++)
            if (replies[i]) {
                freeReplyObject (replies[i]);
                replies[i] = NULL;
            }
    goto out_free;

out_drop:
    /* Out of memory half way: what was queued cannot be taken back. */
    for (size_t s = 0; s < share_count; s++) {
        char reason[SP_REDIS_REASON_MAX];
        if (shares[s].node->context)
            sp_redis_seam_drop (shares[s].node, reason, sizeof reason);
    }
out_free:
    free (targets);
    free (shares);
    return rc;
}

int
sp_redis_cluster_script_load (sp_redis_cluster_t *self, sp_redis_script_t *script, char *error,
                              size_t error_size)
{
    if (!sp_redis_cluster_node (self, 0, error, error_size))
        return -1;
    /* Every node that serves a slot, so a syntax error shows at once and
       the first EVALSHA on any node finds the script. */
    for (int i = 0; i < self->node_count; i++) {
        bool serves = false;
        for (int slot = 0; slot < SP_REDIS_SLOT_COUNT && !serves; slot++)
            serves = self->slots[slot] == i;
        if (serves && sp_redis_script_load (script, self->nodes[i].redis, error, error_size) != 0)
            return -1;
    }
    return 0;
}

void
sp_redis_cluster_pending_set (sp_redis_cluster_t *self, sp_redis_t *node, int slot)
{
    self->pending_node = node;
    self->pending_slot = slot;
}

sp_redis_t *
sp_redis_cluster_pending (const sp_redis_cluster_t *self, int *slot)
{
    if (slot)
        *slot = self->pending_slot;
    return self->pending_node;
}
