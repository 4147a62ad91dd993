/*  sp_harness_cluster - a real Redis Cluster for integration tests (see
    sp_harness_cluster.h).

    Each node gets DIR/nodeI/ holding redis.conf, nodes.conf and
    redis.log. Ports: 2 per node (client and cluster bus), all reserved
    at once by binding loopback port 0 and kept open until every
    configuration is written, so no two nodes get the same port.
*/
/* nftw() is an X/Open extension. */
#define _XOPEN_SOURCE 700

#include "sp_harness_cluster.h"
#include "sp_harness.h"

#include "sp_redis_slot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

extern char **environ;

#define CLUSTER_MASTERS_MAX 16                      /* masters a harness starts at most */
#define CLUSTER_REPLICAS_MAX 2                      /* replicas per master at most */
#define CLUSTER_NODES_MAX (CLUSTER_MASTERS_MAX * (1 + CLUSTER_REPLICAS_MAX))
#define CLUSTER_NODE_TIMEOUT_MS 5000                /* cluster-node-timeout without replicas */
#define CLUSTER_FAILOVER_NODE_TIMEOUT_MS 2000       /* with replicas: a dead master fails over sooner */
#define CLUSTER_DIR_MAX (PATH_MAX / 2)              /* the folder, so paths under it fit PATH_MAX */
#define CLUSTER_NODE_DIR_MAX (CLUSTER_DIR_MAX + 16) /* DIR/nodeI */
#define CLUSTER_NODE_ID_SIZE 41                     /* 40 hex digits and NUL */
#define CLUSTER_URL_SIZE 64                         /* "redis://127.0.0.1:PORT/0" */
#define CLUSTER_SEED_SIZE 32                        /* "127.0.0.1:PORT," */
#define CLUSTER_ERROR_SIZE 512                      /* room for an sp_redis error */
#define CLUSTER_TEXT_SIZE 32                        /* decimal numbers as arguments */
#define CLUSTER_OPEN_FILES_MAX 64                   /* nftw: file descriptors to use at most */
#define CLUSTER_START_ATTEMPTS 100                  /* connection attempts to a starting node */
#define CLUSTER_BACKOFF_MS 20                       /* first wait between them */
#define CLUSTER_BACKOFF_MAX_MS 100                  /* longest wait between them */
#define CLUSTER_FORM_TIMEOUT_MS 30000               /* the cluster must say ok within this */
#define CLUSTER_STOP_TIMEOUT_MS 10000               /* SIGKILL after this */
#define CLUSTER_POLL_MS 20                          /* between looks at CLUSTER INFO */
#define CLUSTER_MIGRATE_BATCH "100"                 /* keys per GETKEYSINSLOT and MIGRATE */
#define CLUSTER_MIGRATE_TIMEOUT "5000"              /* ms MIGRATE may take */
#define CLUSTER_MIGRATE_FIXED_ARGS 7                /* MIGRATE host port "" db timeout KEYS */
#define CLUSTER_MIGRATE_BATCH_MAX 100

typedef struct {
    int port;                       /* client port */
    int bus_port;                   /* cluster bus port */
    pid_t pid;                      /* redis-server, 0 once stopped */
    char dir[CLUSTER_NODE_DIR_MAX]; /* DIR/nodeI */
    char url[CLUSTER_URL_SIZE];     /* redis://127.0.0.1:PORT/0 */
    char id[CLUSTER_NODE_ID_SIZE];  /* CLUSTER MYID */
    sp_redis_t *redis;              /* the harness's connection to it */
    int master;                     /* index of its master while a replica, else -1 */
    bool dead;                      /* killed by sp_harness_cluster_fail_master */
    bool cut;                       /* replica cut off by sp_harness_cluster_cut_replica */
    int node_timeout_ms;            /* its cluster-node-timeout */
} s_node_t;

struct _sp_harness_cluster_t {
    int size;                                                           /* nodes */
    int masters;                                                        /* of them masters at start */
    s_node_t nodes[CLUSTER_NODES_MAX];                                  /* each node */
    char dir[CLUSTER_DIR_MAX];                                          /* temporary folder */
    char url[CLUSTER_NODES_MAX * CLUSTER_SEED_SIZE + CLUSTER_URL_SIZE]; /* redis+cluster://... */
    signed char owners[SP_REDIS_SLOT_COUNT]; /* node index serving each slot */
    int64_t lost_bytes;                      /* of the last failover, at least */
};

/* ================================================================ helpers */

static int
s_remove_entry (const char *path, const struct stat *status, int type, struct FTW *walk)
{
    (void) status;
    (void) type;
    (void) walk;
    if (remove (path) != 0)
        fprintf (stderr, "sp_harness_cluster: could not remove \"%s\": %s\n", path,
                 strerror (errno));
    return 0;
}

/* Writes text as a redis.conf double-quoted string. */
static void
s_write_quoted (FILE *file, const char *text)
{
    fputc ('"', file);
    for (const char *c = text; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc ('\\', file);
        fputc (*c, file);
    }
    fputc ('"', file);
}

static int
s_write_config (const s_node_t *node, char *path, size_t size)
{
    snprintf (path, size, "%s/redis.conf", node->dir);
    FILE *file = fopen (path, "w");
    if (!file) {
        fprintf (stderr, "sp_harness_cluster: could not write \"%s\": %s\n", path,
                 strerror (errno));
        return -1;
    }
    fprintf (file,
             "# Written by sp_harness_cluster.\n"
             "bind 127.0.0.1\nport %d\nprotected-mode yes\ndaemonize no\n"
             "save \"\"\nappendonly no\n"
             "cluster-enabled yes\ncluster-config-file nodes.conf\ncluster-port %d\n"
             "cluster-node-timeout %d\n",
             node->port, node->bus_port, node->node_timeout_ms);
    fputs ("dir ", file);
    s_write_quoted (file, node->dir);
    fputs ("\nlogfile ", file);
    char log[PATH_MAX];
    snprintf (log, sizeof log, "%s/redis.log", node->dir);
    s_write_quoted (file, log);
    fputc ('\n', file);
    return fclose (file) == 0 ? 0 : -1;
}

/* Starts redis-server CONFIG for node (stdout and stderr to its log). */
static int
s_spawn (s_node_t *node, const char *config)
{
    char log[PATH_MAX];
    snprintf (log, sizeof log, "%s/redis.log", node->dir);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_addopen (&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_APPEND,
                                      0600);
    posix_spawn_file_actions_adddup2 (&actions, STDOUT_FILENO, STDERR_FILENO);
    char *argv[] = { (char *) "redis-server", (char *) config, NULL };
    int rc = posix_spawnp (&node->pid, "redis-server", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy (&actions);
    if (rc != 0) {
        fprintf (stderr, "sp_harness_cluster: could not start redis-server: %s\n", strerror (rc));
        node->pid = 0;
        return -1;
    }
    return 0;
}

/* Runs a command of C strings on a node; the reply, or NULL (printed). */
static sp_redis_reply_t *
s_run (s_node_t *node, int argc, const char *const *argv)
{
    char error[CLUSTER_ERROR_SIZE] = "";
    sp_redis_reply_t *reply = sp_redis_command (node->redis, argc, argv, NULL, error, sizeof error);
    if (!reply)
        fprintf (stderr, "sp_harness_cluster: node %s: %s\n", node->url, error);
    return reply;
}

static int
s_run_and_drop (s_node_t *node, int argc, const char *const *argv)
{
    sp_redis_reply_t *reply = s_run (node, argc, argv);
    int rc = reply ? 0 : -1;
    sp_redis_reply_destroy (&reply);
    return rc;
}

/* Connects to a node that is starting, and reads its id. */
static int
s_node_connect (s_node_t *node)
{
    sp_redis_options_t options;
    sp_redis_options_init (&options);
    options.connect_attempts = CLUSTER_START_ATTEMPTS;
    options.backoff_initial_ms = CLUSTER_BACKOFF_MS;
    options.backoff_max_ms = CLUSTER_BACKOFF_MAX_MS;
    char error[CLUSTER_ERROR_SIZE] = "";
    node->redis = sp_redis_new (node->url, &options, error, sizeof error);
    if (!node->redis || sp_redis_connect (node->redis, error, sizeof error) != 0) {
        fprintf (stderr, "sp_harness_cluster: node did not start (log: %s/redis.log): %s\n",
                 node->dir, error);
        return -1;
    }
    sp_redis_reply_t *reply = s_run (node, 2, (const char *const[]){ "CLUSTER", "MYID" });
    const char *id = sp_redis_reply_text (reply, NULL);
    if (id)
        snprintf (node->id, sizeof node->id, "%s", id);
    sp_redis_reply_destroy (&reply);
    return id ? 0 : -1;
}

/* "name:value" of CLUSTER INFO's text, as an integer, or -1. */
static long
s_info_number (const char *info, const char *name)
{
    const char *found = strstr (info, name);
    if (!found)
        return -1;
    return strtol (found + strlen (name), NULL, 10);
}

/* True when node's view matches: state ok, every node known, every slot
   range served by the node the harness expects. */
/* A node that still sees another owner for a moved slot: gossip of a
   stale claim can win over what it was told when its view of the owner's
   config epoch is old (a slot moved away and back within moments). As
   redis-cli --cluster fix would, the owner takes the greatest epoch
   (BUMPEPOCH) and the node is told the owner again. Best effort: the
   caller keeps polling. */
static void
s_settle_slot (sp_harness_cluster_t *self, s_node_t *node, int slot)
{
    s_node_t *owner = &self->nodes[(int) self->owners[slot]];
    char slot_text[CLUSTER_TEXT_SIZE];
    snprintf (slot_text, sizeof slot_text, "%d", slot);
    const char *bump[] = { "CLUSTER", "BUMPEPOCH" };
    sp_redis_reply_t *reply = s_run (owner, 2, bump);
    sp_redis_reply_destroy (&reply);
    const char *setslot[] = { "CLUSTER", "SETSLOT", slot_text, "NODE", owner->id };
    reply = s_run (node, 5, setslot);
    sp_redis_reply_destroy (&reply);
}

static bool
s_node_agrees (sp_harness_cluster_t *self, s_node_t *node)
{
    if (node->dead)
        return true;
    if (node->master >= 0 && !node->cut) {
        /* a replica agrees once it follows its master with the link up */
        sp_redis_reply_t *reply = s_run (node, 2, (const char *const[]){ "INFO", "replication" });
        const char *info = sp_redis_reply_text (reply, NULL);
        bool following = info && strstr (info, "role:slave") &&
                         strstr (info, "master_link_status:up") &&
                         s_info_number (info, "master_port:") == self->nodes[node->master].port;
        sp_redis_reply_destroy (&reply);
        if (!following)
            return false;
    }
    sp_redis_reply_t *reply = s_run (node, 2, (const char *const[]){ "CLUSTER", "INFO" });
    const char *info = sp_redis_reply_text (reply, NULL);
    bool agrees = info && strstr (info, "cluster_state:ok") &&
                  s_info_number (info, "cluster_known_nodes:") == self->size &&
                  s_info_number (info, "cluster_slots_ok:") == SP_REDIS_SLOT_COUNT;
    sp_redis_reply_destroy (&reply);
    if (!agrees)
        return false;
    reply = s_run (node, 2, (const char *const[]){ "CLUSTER", "SLOTS" });
    if (!reply || sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY) {
        sp_redis_reply_destroy (&reply);
        return false;
    }
    int covered = 0;
    for (size_t i = 0; agrees && i < sp_redis_reply_size (reply); i++) {
        const sp_redis_reply_t *range = sp_redis_reply_element (reply, i);
        int64_t first = sp_redis_reply_integer (sp_redis_reply_element (range, 0));
        int64_t last = sp_redis_reply_integer (sp_redis_reply_element (range, 1));
        const sp_redis_reply_t *master = sp_redis_reply_element (range, 2);
        int64_t port = sp_redis_reply_integer (sp_redis_reply_element (master, 1));
        for (int64_t slot = first; agrees && slot <= last; slot++, covered++) {
            agrees = self->nodes[(int) self->owners[slot]].port == port;
            if (!agrees)
                s_settle_slot (self, node, (int) slot);
        }
    }
    sp_redis_reply_destroy (&reply);
    return agrees && covered == SP_REDIS_SLOT_COUNT;
}

/* ================================================================ public */

int
sp_harness_cluster_wait_ok (sp_harness_cluster_t *self, int timeout_ms)
{
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    while (true) {
        int agreeing = 0;
        while (agreeing < self->size && s_node_agrees (self, &self->nodes[agreeing]))
            agreeing++;
        if (agreeing == self->size)
            return 0;
        if (sp_harness_now_ms () >= deadline) {
            fprintf (stderr,
                     "sp_harness_cluster: node %s did not agree on the cluster within %d ms\n",
                     self->nodes[agreeing].url, timeout_ms);
            return -1;
        }
        sp_harness_pause_ms (CLUSTER_POLL_MS);
    }
}

/* True when node knows the node of id (CLUSTER NODES names it). */
static bool
s_knows (s_node_t *node, const char *id)
{
    sp_redis_reply_t *reply = s_run (node, 2, (const char *const[]){ "CLUSTER", "NODES" });
    const char *nodes = sp_redis_reply_text (reply, NULL);
    bool known = nodes && strstr (nodes, id);
    sp_redis_reply_destroy (&reply);
    return known;
}

/* Makes each replica follow its master (CLUSTER REPLICATE), once it has
   heard of the master through gossip after the MEETs. */
static int
s_replicate (sp_harness_cluster_t *self)
{
    int64_t deadline = sp_harness_now_ms () + CLUSTER_FORM_TIMEOUT_MS;
    for (int i = self->masters; i < self->size; i++) {
        s_node_t *node = &self->nodes[i];
        const char *master_id = self->nodes[node->master].id;
        while (!s_knows (node, master_id)) {
            if (sp_harness_now_ms () >= deadline) {
                fprintf (stderr, "sp_harness_cluster: replica %s never heard of its master %s\n",
                         node->url, self->nodes[node->master].url);
                return -1;
            }
            sp_harness_pause_ms (CLUSTER_POLL_MS);
        }
        if (s_run_and_drop (node, 3, (const char *const[]){ "CLUSTER", "REPLICATE", master_id }) !=
            0)
            return -1;
    }
    return 0;
}

/* Gives every master its slots, introduces every node to the others and
   makes the replicas follow their masters. */
static int
s_form (sp_harness_cluster_t *self)
{
    for (int i = 0; i < self->masters; i++) {
        int first = i * SP_REDIS_SLOT_COUNT / self->masters;
        int last = (i + 1) * SP_REDIS_SLOT_COUNT / self->masters - 1;
        char first_text[CLUSTER_TEXT_SIZE], last_text[CLUSTER_TEXT_SIZE];
        snprintf (first_text, sizeof first_text, "%d", first);
        snprintf (last_text, sizeof last_text, "%d", last);
        const char *argv[] = { "CLUSTER", "ADDSLOTSRANGE", first_text, last_text };
        if (s_run_and_drop (&self->nodes[i], 4, argv) != 0)
            return -1;
        memset (self->owners + first, i, (size_t) (last - first + 1));
        /* A distinct config epoch per master, as redis-cli --cluster
           create gives, so no two masters start with the same one. */
        char epoch[CLUSTER_TEXT_SIZE];
        snprintf (epoch, sizeof epoch, "%d", i + 1);
        const char *set_epoch[] = { "CLUSTER", "SET-CONFIG-EPOCH", epoch };
        if (s_run_and_drop (&self->nodes[i], 3, set_epoch) != 0)
            return -1;
    }
    for (int i = 1; i < self->size; i++) {
        char port[CLUSTER_TEXT_SIZE], bus_port[CLUSTER_TEXT_SIZE];
        snprintf (port, sizeof port, "%d", self->nodes[i].port);
        snprintf (bus_port, sizeof bus_port, "%d", self->nodes[i].bus_port);
        const char *argv[] = { "CLUSTER", "MEET", "127.0.0.1", port, bus_port };
        if (s_run_and_drop (&self->nodes[0], 5, argv) != 0)
            return -1;
    }
    if (s_replicate (self) != 0)
        return -1;
    return sp_harness_cluster_wait_ok (self, CLUSTER_FORM_TIMEOUT_MS);
}

sp_harness_cluster_t *
sp_harness_cluster_new (int masters)
{
    return sp_harness_cluster_new_replicated (masters, 0);
}

sp_harness_cluster_t *
sp_harness_cluster_new_replicated (int masters, int replicas)
{
    if (masters < 1 || masters > CLUSTER_MASTERS_MAX || replicas < 0 ||
        replicas > CLUSTER_REPLICAS_MAX) {
        fprintf (stderr,
                 "sp_harness_cluster: %d masters with %d replicas each asked, 1..%d masters and "
                 "0..%d replicas allowed\n",
                 masters, replicas, CLUSTER_MASTERS_MAX, CLUSTER_REPLICAS_MAX);
        return NULL;
    }
    sp_harness_cluster_t *self = calloc (1, sizeof *self);
    if (!self) {
        fprintf (stderr, "sp_harness_cluster: out of memory\n");
        return NULL;
    }
    self->masters = masters;
    self->size = masters * (1 + replicas);
    for (int i = 0; i < self->size; i++) {
        /* replicas after the masters: master m's r-th is masters + m * replicas + r */
        self->nodes[i].master = replicas > 0 && i >= masters ? (i - masters) / replicas : -1;
        self->nodes[i].node_timeout_ms =
            replicas > 0 ? CLUSTER_FAILOVER_NODE_TIMEOUT_MS : CLUSTER_NODE_TIMEOUT_MS;
    }
    const char *tmp = getenv ("TMPDIR");
    snprintf (self->dir, sizeof self->dir, "%s/sp-cluster.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (self->dir)) {
        fprintf (stderr, "sp_harness_cluster: could not create a folder \"%s\": %s\n", self->dir,
                 strerror (errno));
        free (self);
        return NULL;
    }
    int sockets[2 * CLUSTER_NODES_MAX];
    int reserved = 0;
    bool ok = true;
    size_t used = (size_t) snprintf (self->url, sizeof self->url, "redis+cluster://");
    for (int i = 0; i < self->size && ok; i++) {
        s_node_t *node = &self->nodes[i];
        sockets[reserved] = sp_harness_reserve_port (&node->port);
        ok = sockets[reserved++] >= 0;
        sockets[reserved] = ok ? sp_harness_reserve_port (&node->bus_port) : -1;
        ok = ok && sockets[reserved++] >= 0;
        int written = snprintf (node->dir, sizeof node->dir, "%s/node%d", self->dir, i);
        ok = ok && written > 0 && (size_t) written < sizeof node->dir;
        snprintf (node->url, sizeof node->url, "redis://127.0.0.1:%d/0", node->port);
        used += (size_t) snprintf (self->url + used, sizeof self->url - used, "%s127.0.0.1:%d",
                                   i > 0 ? "," : "", node->port);
        ok = ok && mkdir (node->dir, 0700) == 0;
    }
    char configs[CLUSTER_NODES_MAX][PATH_MAX];
    for (int i = 0; i < self->size && ok; i++)
        ok = s_write_config (&self->nodes[i], configs[i], sizeof configs[i]) == 0;
    for (int i = 0; i < reserved; i++)
        if (sockets[i] >= 0)
            close (sockets[i]);
    if (!ok) {
        fprintf (stderr, "sp_harness_cluster: could not prepare the nodes in \"%s\": %s\n",
                 self->dir, strerror (errno));
        goto out_destroy;
    }
    for (int i = 0; i < self->size; i++)
        if (s_spawn (&self->nodes[i], configs[i]) != 0)
            goto out_destroy;
    for (int i = 0; i < self->size; i++)
        if (s_node_connect (&self->nodes[i]) != 0)
            goto out_destroy;
    if (s_form (self) != 0)
        goto out_destroy;
    return self;

out_destroy:
    sp_harness_cluster_destroy (&self);
    return NULL;
}

void
sp_harness_cluster_destroy (sp_harness_cluster_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_harness_cluster_t *self = *self_p;
    for (int i = 0; i < self->size; i++) {
        s_node_t *node = &self->nodes[i];
        sp_redis_destroy (&node->redis);
        if (!node->dead && node->pid > 0 && sp_harness_stop (node->pid, CLUSTER_STOP_TIMEOUT_MS) != 0)
            fprintf (stderr, "sp_harness_cluster: node %s did not stop cleanly\n", node->url);
        node->pid = 0;
    }
    nftw (self->dir, s_remove_entry, CLUSTER_OPEN_FILES_MAX, FTW_DEPTH | FTW_PHYS);
    free (self);
    *self_p = NULL;
}

int
sp_harness_cluster_size (const sp_harness_cluster_t *self)
{
    return self->size;
}

int
sp_harness_cluster_port (const sp_harness_cluster_t *self, int index)
{
    return index >= 0 && index < self->size ? self->nodes[index].port : 0;
}

const char *
sp_harness_cluster_node_url (const sp_harness_cluster_t *self, int index)
{
    return index >= 0 && index < self->size ? self->nodes[index].url : NULL;
}

const char *
sp_harness_cluster_url (const sp_harness_cluster_t *self)
{
    return self->url;
}

const char *
sp_harness_cluster_dir (const sp_harness_cluster_t *self)
{
    return self->dir;
}

sp_redis_t *
sp_harness_cluster_node (sp_harness_cluster_t *self, int index)
{
    return index >= 0 && index < self->size ? self->nodes[index].redis : NULL;
}

int
sp_harness_cluster_owner (const sp_harness_cluster_t *self, int slot)
{
    return slot >= 0 && slot < SP_REDIS_SLOT_COUNT ? self->owners[slot] : -1;
}

int
sp_harness_cluster_cut_replica (sp_harness_cluster_t *self, int index)
{
    if (index < 0 || index >= self->size || self->nodes[index].dead ||
        self->nodes[index].master < 0) {
        fprintf (stderr, "sp_harness_cluster: node %d is not a live replica\n", index);
        return -1;
    }
    /* The master lets anyone in as its default user, but not an unknown
       user: the replica's reconnections fail from now on. */
    s_node_t *node = &self->nodes[index];
    if (s_run_and_drop (node, 4,
                        (const char *const[]){ "CONFIG", "SET", "masteruser", "sp-harness-cut" }) !=
            0 ||
        s_run_and_drop (node, 4, (const char *const[]){ "CONFIG", "SET", "masterauth", "cut" }) !=
            0 ||
        s_run_and_drop (node, 4, (const char *const[]){ "CLIENT", "KILL", "TYPE", "master" }) !=
            0)
        return -1;
    node->cut = true;
    return 0;
}

int
sp_harness_cluster_masters (const sp_harness_cluster_t *self)
{
    return self->masters;
}

/* A number of node's INFO replication, or -1. */
static int64_t
s_replication_number (s_node_t *node, const char *name)
{
    sp_redis_reply_t *reply = s_run (node, 2, (const char *const[]){ "INFO", "replication" });
    const char *info = sp_redis_reply_text (reply, NULL);
    const char *found = info ? strstr (info, name) : NULL;
    int64_t value = found ? strtoll (found + strlen (name), NULL, 10) : -1;
    sp_redis_reply_destroy (&reply);
    return value;
}

/* Index of the node whose client port is port, or -1. */
static int
s_node_of_port (const sp_harness_cluster_t *self, int64_t port)
{
    for (int i = 0; i < self->size; i++)
        if (self->nodes[i].port == port)
            return i;
    return -1;
}

/* The node a live node's CLUSTER SLOTS names for slot, or -1. */
static int
s_serving (sp_harness_cluster_t *self, int slot)
{
    for (int i = 0; i < self->size; i++) {
        s_node_t *node = &self->nodes[i];
        if (node->dead)
            continue;
        sp_redis_reply_t *reply = s_run (node, 2, (const char *const[]){ "CLUSTER", "SLOTS" });
        int serving = -1;
        for (size_t r = 0; reply && r < sp_redis_reply_size (reply); r++) {
            const sp_redis_reply_t *range = sp_redis_reply_element (reply, r);
            int64_t first = sp_redis_reply_integer (sp_redis_reply_element (range, 0));
            int64_t last = sp_redis_reply_integer (sp_redis_reply_element (range, 1));
            const sp_redis_reply_t *master = sp_redis_reply_element (range, 2);
            if (slot >= first && slot <= last)
                serving = s_node_of_port (self, sp_redis_reply_integer (
                                                    sp_redis_reply_element (master, 1)));
        }
        sp_redis_reply_destroy (&reply);
        return serving;
    }
    return -1;
}

int
sp_harness_cluster_fail_master (sp_harness_cluster_t *self, int index, int timeout_ms)
{
    if (index < 0 || index >= self->size || self->nodes[index].dead ||
        self->nodes[index].master >= 0) {
        fprintf (stderr, "sp_harness_cluster: node %d is not a live master\n", index);
        return -1;
    }
    int slot = -1;
    for (int i = 0; i < SP_REDIS_SLOT_COUNT && slot < 0; i++)
        if (self->owners[i] == index)
            slot = i;
    s_node_t *node = &self->nodes[index];
    /* Its replication offset a moment before it dies: the promoted
       replica's offset below it is replication stream lost with it. */
    int64_t offset = s_replication_number (node, "master_repl_offset:");
    kill (node->pid, SIGKILL);
    sp_harness_wait_exit (node->pid, CLUSTER_STOP_TIMEOUT_MS);
    node->pid = 0;
    node->dead = true;
    sp_redis_destroy (&node->redis);
    /* A replica of it takes over once the others mark it failed
       (cluster-node-timeout) and elect it; until then its slots are
       served by nobody. */
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    int promoted = -1;
    while (promoted < 0 || promoted == index) {
        if (sp_harness_now_ms () >= deadline) {
            fprintf (stderr, "sp_harness_cluster: no replica took over from %s within %d ms\n",
                     node->url, timeout_ms);
            return -1;
        }
        sp_harness_pause_ms (CLUSTER_POLL_MS);
        promoted = slot >= 0 ? s_serving (self, slot) : -1;
    }
    for (int i = 0; i < SP_REDIS_SLOT_COUNT; i++)
        if (self->owners[i] == index)
            self->owners[i] = (signed char) promoted;
    for (int i = 0; i < self->size; i++)
        if (self->nodes[i].master == index)
            self->nodes[i].master = i == promoted ? -1 : promoted;
    self->nodes[promoted].cut = false;
    if (sp_harness_cluster_wait_ok (self, timeout_ms) != 0)
        return -1;
    /* second_repl_offset: where the promoted replica's own history began
       (its offset at promotion, plus one). */
    int64_t taken = s_replication_number (&self->nodes[promoted], "second_repl_offset:");
    self->lost_bytes = offset >= 0 && taken > 0 && offset > taken - 1 ? offset - (taken - 1) : 0;
    return promoted;
}

int64_t
sp_harness_cluster_lost_bytes (const sp_harness_cluster_t *self)
{
    return self->lost_bytes;
}

/* MIGRATEs every key of slot from source to target, a batch at a time. */
static int
s_migrate_keys (s_node_t *source, const s_node_t *target, const char *slot)
{
    char port[CLUSTER_TEXT_SIZE];
    snprintf (port, sizeof port, "%d", target->port);
    while (true) {
        const char *get[] = { "CLUSTER", "GETKEYSINSLOT", slot, CLUSTER_MIGRATE_BATCH };
        sp_redis_reply_t *keys = s_run (source, 4, get);
        if (!keys || sp_redis_reply_type (keys) != SP_REDIS_REPLY_ARRAY) {
            sp_redis_reply_destroy (&keys);
            return -1;
        }
        size_t count = sp_redis_reply_size (keys);
        if (count == 0) {
            sp_redis_reply_destroy (&keys);
            return 0;
        }
        if (count > CLUSTER_MIGRATE_BATCH_MAX)
            count = CLUSTER_MIGRATE_BATCH_MAX;
        const char *argv[CLUSTER_MIGRATE_FIXED_ARGS + CLUSTER_MIGRATE_BATCH_MAX] = {
            "MIGRATE", "127.0.0.1", port, "", "0", CLUSTER_MIGRATE_TIMEOUT, "KEYS"
        };
        for (size_t i = 0; i < count; i++)
            argv[CLUSTER_MIGRATE_FIXED_ARGS + i] =
                sp_redis_reply_text (sp_redis_reply_element (keys, i), NULL);
        int rc = s_run_and_drop (source, (int) (CLUSTER_MIGRATE_FIXED_ARGS + count), argv);
        sp_redis_reply_destroy (&keys);
        if (rc != 0)
            return -1;
    }
}

int
sp_harness_cluster_move_slot (sp_harness_cluster_t *self, int slot, int target, bool complete)
{
    if (slot < 0 || slot >= SP_REDIS_SLOT_COUNT || target < 0 || target >= self->size)
        return -1;
    int source = self->owners[slot];
    if (source == target)
        return 0;
    s_node_t *from = &self->nodes[source], *to = &self->nodes[target];
    char slot_text[CLUSTER_TEXT_SIZE];
    snprintf (slot_text, sizeof slot_text, "%d", slot);
    const char *importing[] = { "CLUSTER", "SETSLOT", slot_text, "IMPORTING", from->id };
    const char *migrating[] = { "CLUSTER", "SETSLOT", slot_text, "MIGRATING", to->id };
    if (s_run_and_drop (to, 5, importing) != 0 || s_run_and_drop (from, 5, migrating) != 0)
        return -1;
    if (!complete)
        return 0;
    if (s_migrate_keys (from, to, slot_text) != 0)
        return -1;
    /* The target first, then the source, then the others (as the
       specification orders it), so no node sends clients back. */
    const char *owner[] = { "CLUSTER", "SETSLOT", slot_text, "NODE", to->id };
    if (s_run_and_drop (to, 5, owner) != 0 || s_run_and_drop (from, 5, owner) != 0)
        return -1;
    for (int i = 0; i < self->size; i++)
        if (i != source && i != target && s_run_and_drop (&self->nodes[i], 5, owner) != 0)
            return -1;
    self->owners[slot] = (signed char) target;
    return 0;
}

int
sp_harness_cluster_group_setup (void **state)
{
    sp_harness_cluster_t *cluster = sp_harness_cluster_new (SP_HARNESS_CLUSTER_MASTERS);
    *state = cluster;
    return cluster ? 0 : -1;
}

int
sp_harness_cluster_group_teardown (void **state)
{
    sp_harness_cluster_t *cluster = *state;
    sp_harness_cluster_destroy (&cluster);
    *state = NULL;
    return 0;
}

sp_redis_t *
sp_harness_cluster_connect (const sp_harness_cluster_t *self)
{
    char error[CLUSTER_ERROR_SIZE] = "";
    sp_redis_t *redis = sp_redis_new (self->url, NULL, error, sizeof error);
    if (!redis || sp_redis_connect (redis, error, sizeof error) != 0) {
        fprintf (stderr, "sp_harness_cluster: could not connect to the cluster: %s\n", error);
        sp_redis_destroy (&redis);
    }
    return redis;
}

int
sp_harness_cluster_run_masters (sp_harness_cluster_t *self, int argc, const char *const *argv,
                                int64_t *sum)
{
    bool serves[CLUSTER_NODES_MAX] = { false };
    for (int slot = 0; slot < SP_REDIS_SLOT_COUNT; slot++)
        if (self->owners[slot] >= 0)
            serves[self->owners[slot]] = true;
    if (sum)
        *sum = 0;
    for (int i = 0; i < self->size; i++) {
        if (!serves[i] || self->nodes[i].dead)
            continue;
        sp_redis_reply_t *reply = s_run (&self->nodes[i], argc, argv);
        if (!reply)
            return -1;
        if (sum && sp_redis_reply_type (reply) == SP_REDIS_REPLY_INTEGER)
            *sum += sp_redis_reply_integer (reply);
        sp_redis_reply_destroy (&reply);
    }
    return 0;
}
