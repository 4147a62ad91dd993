/*  salesctl rebuild - rebuilds a consumer service's Redis state from the
    event log.

        salesctl rebuild SERVICE [--wait] [--timeout SECONDS] [--json]

    Raises the service's rebuild epoch ("<service>:rebuild", through
    sp_consumer_store_request_rebuild). Each partition's owner compares its
    partition's epoch with the requested one at its next head poll
    (--poll-ms of the service, 1 s by default), resets the partition's
    state and replays the log from sequence 1 (common/consumer/sp_consumer.h). The
    service keeps running; its state is incomplete until the replay ends.

    With --wait, the command first reads every partition's head in
    PostgreSQL, then requests the rebuild and polls Redis every
    SALESCTL_REBUILD_POLL_MS (every partition's epoch and checkpoint in one
    round trip, sp_consumer_state_read_partitions) until every partition's
    epoch has reached the requested one and its checkpoint has reached the
    head read at the request: then every event logged before the request
    has been applied again. An epoch above the requested one also counts (someone asked for
    another rebuild meanwhile, which replays at least as much). It fails
    after --timeout seconds, saying how far the partitions got. Progress
    lines go to stdout only when it is a terminal, so scripts see the
    result lines alone.
*/
#include "salesctl.h"

#include "sp_consumer_log.h"
#include "sp_consumer_state.h"
#include "sp_consumer_store.h"
#include "sp_partition.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SALESCTL_REBUILD_POLL_MS 200        /* between two reads of the partitions */
#define SALESCTL_REBUILD_TIMEOUT_MAX 604800 /* largest --timeout, s (a week) */
#define SALESCTL_REBUILD_MS_PER_SECOND 1000
#define SALESCTL_REBUILD_NS_PER_MS 1000000
#define SALESCTL_REBUILD_ERROR_SIZE 512

static const char s_command[] = "rebuild";

static const sp_config_option_t s_options[] = {
    { "wait", NULL, SP_CONFIG_BOOL, "false",
      "wait until every partition is rebuilt and has caught up with the heads of the request "
      "(owners notice the request at their next head poll, --poll-ms of the service)",
      0, 0 },
    { "timeout", NULL, SP_CONFIG_INT, "600", "with --wait: give up after this many seconds", 1,
      SALESCTL_REBUILD_TIMEOUT_MAX },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print the result as one JSON object", 0, 0 },
};

/* The wait for one rebuild request. */
typedef struct {
    sp_redis_t *redis;                         /* borrowed connection */
    const char *service;                       /* the service being rebuilt */
    int64_t epoch;                             /* the epoch requested */
    uint32_t partitions;                       /* the log's partition count */
    uint64_t *heads;                           /* head of each partition at the request */
    sp_consumer_state_t *state;                /* reads the partitions' epoch and checkpoint */
    sp_consumer_state_partition_t *partition;  /* [partitions], the last read */
    uint32_t done;                             /* partitions rebuilt at the last poll */
    char pending[SALESCTL_REBUILD_ERROR_SIZE]; /* how the first pending partition stands */
} s_wait_t;

/* Creates the reader of the poll. 0, or -1 when out of memory. */
static int
s_wait_prepare (s_wait_t *self)
{
    self->state = sp_consumer_state_new (self->service, self->partitions);
    self->partition = calloc (self->partitions, sizeof *self->partition);
    return self->state && self->partition ? 0 : -1;
}

/* Reads every partition once: counts those rebuilt into self->done and
   describes the first one that is not in self->pending. Returns 0, or -1
   with the reason (Redis failed, or a key holds something that is not a
   number). */
static int
s_wait_poll (s_wait_t *self, char *error, size_t error_size)
{
    if (sp_consumer_state_read_partitions (self->state, self->redis, self->partition, error,
                                           error_size) != 0)
        return -1;
    uint32_t done = 0;
    self->pending[0] = '\0';
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        const sp_consumer_state_partition_t *state = &self->partition[partition];
        if (state->epoch_found == SP_CONSUMER_STATE_INVALID) {
            snprintf (error, error_size, "the epoch of partition %u is not a number", partition);
            return -1;
        }
        if (state->checkpoint_found == SP_CONSUMER_STATE_INVALID) {
            snprintf (error, error_size, "the checkpoint of partition %u is not a number",
                      partition);
            return -1;
        }
        /* A missing epoch reads 0, a missing checkpoint is not rebuilt. */
        bool has_checkpoint = state->checkpoint_found == SP_CONSUMER_STATE_PRESENT;
        if (state->epoch >= self->epoch && has_checkpoint &&
            state->checkpoint >= self->heads[partition])
            done++;
        else if (self->pending[0] == '\0') {
            if (has_checkpoint)
                snprintf (self->pending, sizeof self->pending,
                          "partition %u is at epoch %lld, checkpoint %llu of head %llu", partition,
                          (long long) state->epoch, (unsigned long long) state->checkpoint,
                          (unsigned long long) self->heads[partition]);
            else
                snprintf (self->pending, sizeof self->pending,
                          "partition %u is at epoch %lld, no checkpoint, head %llu", partition,
                          (long long) state->epoch, (unsigned long long) self->heads[partition]);
        }
    }
    self->done = done;
    return 0;
}

static void
s_sleep_ms (int64_t ms)
{
    struct timespec delay = { .tv_sec = (time_t) (ms / SALESCTL_REBUILD_MS_PER_SECOND),
                              .tv_nsec = (long) (ms % SALESCTL_REBUILD_MS_PER_SECOND) *
                                         SALESCTL_REBUILD_NS_PER_MS };
    nanosleep (&delay, NULL);
}

/* Polls until every partition is rebuilt or timeout_ms passes. A Redis
   failure while waiting is not the end: the connection is rebuilt on the
   next poll, and the last error is reported at the timeout. Returns 0
   when done, -1 after printing why not. */
static int
s_wait_run (s_wait_t *self, int64_t timeout_ms, int64_t *elapsed_ms)
{
    bool progress = isatty (STDOUT_FILENO) != 0;
    int64_t start = salesctl_now_ms ();
    int64_t deadline = start + timeout_ms;
    uint32_t shown = UINT32_MAX;
    char error[SALESCTL_REBUILD_ERROR_SIZE] = "";
    while (true) {
        char poll_error[SALESCTL_REBUILD_ERROR_SIZE];
        if (s_wait_poll (self, poll_error, sizeof poll_error) == 0) {
            error[0] = '\0';
            if (progress && self->done != shown && self->done < self->partitions) {
                printf ("rebuilding \"%s\": %u of %u partitions done (%.1f s)\n", self->service,
                        self->done, self->partitions,
                        (double) (salesctl_now_ms () - start) / SALESCTL_REBUILD_MS_PER_SECOND);
                fflush (stdout);
                shown = self->done;
            }
            if (self->done == self->partitions) {
                *elapsed_ms = salesctl_now_ms () - start;
                return 0;
            }
        }
        else
            snprintf (error, sizeof error, "%s", poll_error);
        int64_t now = salesctl_now_ms ();
        if (now >= deadline)
            break;
        s_sleep_ms (deadline - now < SALESCTL_REBUILD_POLL_MS ? deadline - now
                                                              : SALESCTL_REBUILD_POLL_MS);
    }
    *elapsed_ms = salesctl_now_ms () - start;
    if (error[0])
        fprintf (stderr,
                 "salesctl %s: rebuild of \"%s\" not finished after %lld s: could not read the "
                 "partitions: %s\n",
                 s_command, self->service,
                 (long long) (timeout_ms / SALESCTL_REBUILD_MS_PER_SECOND), error);
    else
        fprintf (stderr,
                 "salesctl %s: rebuild of \"%s\" not finished after %lld s: %u of %u partitions "
                 "done; %s (owners notice the request at their next head poll: is the service "
                 "running?)\n",
                 s_command, self->service,
                 (long long) (timeout_ms / SALESCTL_REBUILD_MS_PER_SECOND), self->done,
                 self->partitions, self->pending);
    return -1;
}

/* Prints the result as one JSON object; elapsed_ms < 0 when not waiting. */
static int
s_print_json (const char *service, int64_t epoch, bool waited, bool rebuilt, int64_t elapsed_ms)
{
    json_t *object = json_pack ("{s:s, s:I}", "service", service, "epoch", (json_int_t) epoch);
    if (!object)
        return -1;
    if (waited &&
        (json_object_set_new (object, "rebuilt", json_boolean (rebuilt)) != 0 ||
         json_object_set_new (object, "elapsed_ms", json_integer ((json_int_t) elapsed_ms)) != 0)) {
        json_decref (object);
        return -1;
    }
    return salesctl_print_json (object);
}

int
salesctl_rebuild (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Rebuild a consumer service's Redis state from the event log: raises its rebuild epoch; "
        "each partition's owner notices it at its next head poll, resets the partition and "
        "replays the log. Usage: salesctl rebuild SERVICE [--wait].",
        s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    sp_redis_t *redis = NULL;
    sp_pg_t *pg = NULL;
    s_wait_t wait = { 0 };
    if (sp_config_arg_count (config) != 1) {
        if (sp_config_arg_count (config) == 0)
            fprintf (stderr, "salesctl %s: missing SERVICE\ntry \"salesctl %s --help\"\n",
                     s_command, s_command);
        else
            fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", s_command,
                     sp_config_arg (config, 1));
        goto out_destroy_config;
    }
    const char *service = sp_config_arg (config, 0);
    if (!sp_partition_service_valid (service)) {
        salesctl_service_invalid (s_command, service);
        goto out_destroy_config;
    }
    bool waiting = sp_config_bool (config, "wait");
    bool json = sp_config_bool (config, "json");
    char error[SALESCTL_REBUILD_ERROR_SIZE];

    redis = salesctl_redis_connect (config, s_command);
    if (!redis)
        goto out_destroy_config;
    wait.redis = redis;
    wait.service = service;
    if (waiting) {
        /* The heads before the request: every event logged by then must be
           applied again before the rebuild counts as done. */
        pg = salesctl_postgres_connect (config, s_command);
        if (!pg || salesctl_partitions (pg, s_command, &wait.partitions) != 0)
            goto out_destroy_connections;
        wait.heads = calloc (wait.partitions, sizeof *wait.heads);
        if (!wait.heads || s_wait_prepare (&wait) != 0) {
            fprintf (stderr, "salesctl %s: out of memory\n", s_command);
            goto out_destroy_wait;
        }
        if (sp_consumer_log_heads (pg, wait.partitions, wait.heads, error, sizeof error) != 0) {
            fprintf (stderr, "salesctl %s: could not read the partition heads: %s\n", s_command,
                     error);
            goto out_destroy_wait;
        }
    }
    if (sp_consumer_store_request_rebuild (redis, service, &wait.epoch, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: could not request the rebuild of \"%s\": %s\n", s_command,
                 service, error);
        goto out_destroy_wait;
    }
    if (!json) {
        printf ("rebuild of \"%s\" requested: epoch %lld\n", service, (long long) wait.epoch);
        fflush (stdout);
    }
    bool rebuilt = false;
    int64_t elapsed_ms = -1;
    if (waiting) {
        int64_t timeout_ms = sp_config_int (config, "timeout") * SALESCTL_REBUILD_MS_PER_SECOND;
        rebuilt = s_wait_run (&wait, timeout_ms, &elapsed_ms) == 0;
        if (rebuilt && !json)
            printf ("rebuild of \"%s\" done: %u partitions at epoch %lld caught up with the "
                    "heads of the request (%.1f s)\n",
                    service, wait.partitions, (long long) wait.epoch,
                    (double) elapsed_ms / SALESCTL_REBUILD_MS_PER_SECOND);
    }
    if (json && s_print_json (service, wait.epoch, waiting, rebuilt, elapsed_ms) != 0) {
        fprintf (stderr, "salesctl %s: could not write the result as JSON (out of memory)\n",
                 s_command);
        goto out_destroy_wait;
    }
    exit_code = !waiting || rebuilt ? SALESCTL_EXIT_OK : SALESCTL_EXIT_FAILURE;

out_destroy_wait:
    sp_consumer_state_destroy (&wait.state);
    free (wait.partition);
    free (wait.heads);
out_destroy_connections:
    sp_pg_destroy (&pg);
    sp_redis_destroy (&redis);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
