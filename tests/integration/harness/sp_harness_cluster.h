/*  sp_harness_cluster - a real Redis Cluster for integration tests: N
    masters, optionally each with replicas, of Debian's redis-server on free loopback
    ports, in a fresh temporary folder, each with cluster-enabled yes, its
    nodes.conf in its own folder and its cluster bus on a second free
    port (cluster-port, Redis 7.0), so nothing depends on port + 10000
    being free.

    The cluster is formed by hand, as `redis-cli --cluster create` does
    without its fixed sleeps: CLUSTER ADDSLOTSRANGE gives each master an
    equal run of the 16384 slots (master i gets [i*16384/N,
    (i+1)*16384/N - 1]) and CLUSTER SET-CONFIG-EPOCH a distinct epoch
    (i + 1), CLUSTER MEET introduces every node to the first,
    and sp_harness_cluster_new returns only when every node reports
    cluster_state:ok, knows all N nodes and sees every slot served.
    Destroy stops exactly the processes it started (SIGTERM, SIGKILL
    after a timeout) and removes the folder.

    Like the rest of the harness it is linked into the benchmarks, so
    nothing here fails a test itself: failures print to stderr and return
    NULL or -1.
*/
#ifndef SP_HARNESS_CLUSTER_H_INCLUDED
#define SP_HARNESS_CLUSTER_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "sp_redis.h"

#define SP_HARNESS_CLUSTER_MASTERS 3 /* the usual test cluster */

typedef struct _sp_harness_cluster_t sp_harness_cluster_t;

/* Starts masters (1..16) redis-servers and forms the cluster; NULL
   (printed) when any step failed, after stopping what did start. */
sp_harness_cluster_t *sp_harness_cluster_new (int masters);

/* The same with replicas (0..2) following each master (CLUSTER
   REPLICATE), returned once every replica's link to its master is up.
   Nodes 0..masters-1 are the masters, then master m's replicas at
   masters + m * replicas + r. With replicas, cluster-node-timeout is
   2000 ms (5000 without), so a dead master fails over in seconds. */
sp_harness_cluster_t *sp_harness_cluster_new_replicated (int masters, int replicas);

/* Bytes of replication stream the last sp_harness_cluster_fail_master
   lost with the master (its offset read just before the kill, less the
   promoted replica's at promotion): a lower bound, 0 when nothing was
   seen lost. */
int64_t sp_harness_cluster_lost_bytes (const sp_harness_cluster_t *self);

/* Cuts replica index off its master: its link is closed and its
   reconnections refused (it logs in as an unknown user), so it keeps
   only what it had received while the master goes on taking writes;
   promoted by sp_harness_cluster_fail_master, it loses those writes, as
   a replica lagging behind its master's acknowledgements does. Returns
   0, or -1 (printed). */
int sp_harness_cluster_cut_replica (sp_harness_cluster_t *self, int index);

/* Number of masters the cluster was formed with. */
int sp_harness_cluster_masters (const sp_harness_cluster_t *self);

/* Kills master index (SIGKILL: nothing flushed, no goodbye) and waits
   until one of its replicas serves its slots and every live node agrees
   again. Returns the promoted node's
   index, or -1 (printed) after timeout_ms. The dead node stays dead; its
   connection is gone. */
int sp_harness_cluster_fail_master (sp_harness_cluster_t *self, int index, int timeout_ms);

/* Stops the servers and removes the folder; no-op on NULL; sets *self_p
   to NULL. */
void sp_harness_cluster_destroy (sp_harness_cluster_t **self_p);

/* Number of nodes. */
int sp_harness_cluster_size (const sp_harness_cluster_t *self);

/* Client port of node index (0 <= index < size). */
int sp_harness_cluster_port (const sp_harness_cluster_t *self, int index);

/* Node index's own URL, "redis://127.0.0.1:PORT/0" (a single-server
   connection to that node alone). */
const char *sp_harness_cluster_node_url (const sp_harness_cluster_t *self, int index);

/* The cluster's URL for sp_redis: "redis+cluster://127.0.0.1:P1,
   127.0.0.1:P2,..." (every node as a seed). */
const char *sp_harness_cluster_url (const sp_harness_cluster_t *self);

/* The temporary folder holding each node's folder and log. */
const char *sp_harness_cluster_dir (const sp_harness_cluster_t *self);

/* A single-server connection to node index, owned by the harness (for
   inspecting and rearranging the cluster from a test). */
sp_redis_t *sp_harness_cluster_node (sp_harness_cluster_t *self, int index);

/* Index of the node serving slot according to the harness's own map
   (as formed; sp_harness_cluster_move_slot keeps it up to date). */
int sp_harness_cluster_owner (const sp_harness_cluster_t *self, int slot);

/* Moves slot, with its keys, to node target: SETSLOT IMPORTING on the
   target, MIGRATING on the owner, MIGRATE of every key (in batches),
   then SETSLOT NODE on every node. With complete false it stops after
   IMPORTING/MIGRATING (a migration in progress, keys still on the
   owner: the owner answers ASK for a key it does not hold). Returns 0,
   or -1 (printed). */
int sp_harness_cluster_move_slot (sp_harness_cluster_t *self, int slot, int target, bool complete);

/* Waits until every node reports cluster_state:ok, knows every node and
   agrees on the owner of every slot the harness moved. Returns 0, or -1
   (printed) after timeout_ms. */
int sp_harness_cluster_wait_ok (sp_harness_cluster_t *self, int timeout_ms);

/* A new client of the whole cluster (its URL, as services connect:
   slots followed, commands meant for every node fanned out), connected;
   the caller owns it. NULL (printed) when it could not connect. */
sp_redis_t *sp_harness_cluster_connect (const sp_harness_cluster_t *self);

/* Runs a command of C strings on every live master serving slots (by
   the harness's map), each on the harness's own connection to it: for
   what Redis keeps per server (CONFIG SET, CLIENT KILL ... SKIPME yes,
   which then spares the harness's connections only). Integer replies
   are summed into *sum (may be NULL; others dropped). Returns 0, or -1
   (printed) at the first master that failed or answered an error. */
int sp_harness_cluster_run_masters (sp_harness_cluster_t *self, int argc, const char *const *argv,
                                    int64_t *sum);

/* cmocka group setup and teardown for tests that need only a cluster:
   *state becomes a cluster of SP_HARNESS_CLUSTER_MASTERS masters
   (sp_harness_cluster_t *), destroyed by the teardown. Return 0, or -1
   when it could not start. */
int sp_harness_cluster_group_setup (void **state);
int sp_harness_cluster_group_teardown (void **state);

#endif
