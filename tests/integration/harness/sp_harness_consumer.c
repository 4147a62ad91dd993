/*  sp_harness_consumer - counting-consumer and activity-ingest for the
    consumer framework's acceptance tests, the counts check that proves
    exactly-once, /metrics readings and salesctl runs (see the header).
*/
#include "sp_harness_consumer.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_harness_pg.h"
#include "sp_harness_redis.h"
#include "sp_redis_slot.h"

#define SP_HARNESS_CONSUMER_SETTING_MAX 512   /* one "NAME=VALUE" entry */
#define SP_HARNESS_CONSUMER_ARGS_MAX 16       /* argv entries passed to a child */
#define SP_HARNESS_CONSUMER_CONSUMER_ARGS 14  /* extra service arguments accepted */
#define SP_HARNESS_CONSUMER_SETTINGS 16       /* extra service settings accepted */
#define SP_HARNESS_CONSUMER_FIXED_SETTINGS 3  /* bus, HTTP and partitions */
#define SP_HARNESS_CONSUMER_SALESCTL_ARGS 11  /* salesctl arguments accepted */
#define SP_HARNESS_CONSUMER_METRICS_MAX 65536 /* bytes of /metrics read */
#define SP_HARNESS_CONSUMER_KEY_MAX 128       /* a counting-consumer hash key */
#define SP_HARNESS_CONSUMER_LOG_LINE_MAX 4096 /* longest log line compared whole */
#define SP_HARNESS_CONSUMER_POLL_MS 100       /* between two comparisons */
#define SP_HARNESS_CONSUMER_HTTP_OK 200
#define SP_HARNESS_CONSUMER_NO_CUSTOMER "-" /* the consumer's field for no customer */
#define SP_HARNESS_CONSUMER_LOST_EVERY 3    /* every third event is a deal_lost */
#define SP_HARNESS_CONSUMER_CALL_MAX_S 600  /* call durations 1..600 s */
#define SP_HARNESS_CONSUMER_STOP_MS 30000   /* activity-ingest's clean exit */
#define SP_HARNESS_CONSUMER_REPLY_MS 10000  /* a publisher's wait per attempt */
#define SP_HARNESS_CONSUMER_ATTEMPTS 20     /* a publisher's attempts per batch */
#define SP_HARNESS_CONSUMER_ERROR_SIZE 256
#define SP_HARNESS_CONSUMER_OCCURRED_AT INT64_C (1700000000000) /* 2023-11-14T22:13:20Z */

/* One counted name (event type or customer) and its count. */
typedef struct {
    char *name;
    int64_t count;
} s_count_t;

/* Counts by name; few hundred names at most, so searched linearly. */
typedef struct {
    s_count_t *items;
    size_t size;
    size_t capacity;
} s_counts_t;

sp_event_t *
sp_harness_consumer_event (size_t index, void *arg)
{
    const sp_harness_consumer_series_t *series = (const sp_harness_consumer_series_t *) arg;
    bool lost = index % SP_HARNESS_CONSUMER_LOST_EVERY == 0;
    sp_event_t *event = sp_event_new (lost ? SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST
                                           : SALESPULSE__EVENT_TYPE__EVENT_TYPE_CALL);
    if (!event)
        return NULL;
    char event_id[SP_HARNESS_CONSUMER_KEY_MAX], customer[SP_HARNESS_CONSUMER_KEY_MAX];
    snprintf (event_id, sizeof event_id, "%s:%zu", series->prefix, index);
    snprintf (customer, sizeof customer, "customer-%zu", index % series->customers);
    if (sp_event_set_string (&event->event_id, event_id, strlen (event_id)) != 0 ||
        sp_event_set_string (&event->source, "test", strlen ("test")) != 0 ||
        sp_event_set_string (&event->rep_id, "rep-1", strlen ("rep-1")) != 0 ||
        sp_event_set_string (&event->opportunity_id, "opp-1", strlen ("opp-1")) != 0 ||
        sp_event_set_string (&event->customer_id, customer, strlen (customer)) != 0 ||
        (lost && sp_event_set_string (&event->deal_lost->reason, "price", strlen ("price")) != 0)) {
        sp_event_destroy (&event);
        return NULL;
    }
    event->occurred_at = SP_HARNESS_CONSUMER_OCCURRED_AT;
    if (!lost)
        event->call->duration_seconds = (uint32_t) (1 + index % SP_HARNESS_CONSUMER_CALL_MAX_S);
    return event;
}

pid_t
sp_harness_consumer_start_ingest (const sp_harness_t *harness, const char *endpoint,
                                  const char *bus, int bus_hwm, int partitions,
                                  const char *log_path, int timeout_ms)
{
    char bus_setting[SP_HARNESS_CONSUMER_SETTING_MAX], hwm_setting[SP_HARNESS_CONSUMER_SETTING_MAX],
        partitions_setting[SP_HARNESS_CONSUMER_SETTING_MAX];
    snprintf (bus_setting, sizeof bus_setting, "SP_BUS_ENDPOINT=%s", bus);
    snprintf (hwm_setting, sizeof hwm_setting, "SP_BUS_HWM=%d", bus_hwm);
    snprintf (partitions_setting, sizeof partitions_setting, "SP_PARTITIONS=%d", partitions);
    const char *settings[] = { bus_setting, partitions_setting, bus_hwm > 0 ? hwm_setting : NULL,
                               NULL };
    return sp_harness_start_ingest (harness, endpoint, settings, log_path, timeout_ms);
}

/* Appends the NULL-terminated list from (may be NULL) to into, which holds
   *count entries and has room for most more before its NULL. Returns 0,
   or -1 (printed, naming what) when from is longer. */
static int
s_append (const char **into, size_t *count, const char *const *from, size_t most, const char *what)
{
    for (size_t index = 0; from && from[index]; index++) {
        if (index == most) {
            fprintf (stderr, "sp_harness_consumer: more than %zu service %s\n", most, what);
            return -1;
        }
        into[(*count)++] = from[index];
    }
    into[*count] = NULL;
    return 0;
}

pid_t
sp_harness_consumer_service (const sp_harness_t *harness, const char *program_name, const char *bus,
                             int http_port, int partitions, const char *const *settings,
                             const char *const *arguments, const char *log_path, int timeout_ms)
{
    char program[PATH_MAX], bus_setting[SP_HARNESS_CONSUMER_SETTING_MAX],
        http_setting[SP_HARNESS_CONSUMER_SETTING_MAX],
        partitions_setting[SP_HARNESS_CONSUMER_SETTING_MAX];
    snprintf (bus_setting, sizeof bus_setting, "SP_BUS_ENDPOINT=%s", bus);
    snprintf (http_setting, sizeof http_setting, "SP_HTTP=127.0.0.1:%d", http_port);
    snprintf (partitions_setting, sizeof partitions_setting, "SP_PARTITIONS=%d", partitions);
    const char *all_settings[SP_HARNESS_CONSUMER_FIXED_SETTINGS + SP_HARNESS_CONSUMER_SETTINGS +
                             1] = { bus_setting, http_setting, partitions_setting };
    const char *argv[SP_HARNESS_CONSUMER_ARGS_MAX] = { NULL };
    size_t setting_count = SP_HARNESS_CONSUMER_FIXED_SETTINGS, argument_count = 0;
    if (s_append (all_settings, &setting_count, settings, SP_HARNESS_CONSUMER_SETTINGS,
                  "settings") != 0 ||
        s_append (argv, &argument_count, arguments, SP_HARNESS_CONSUMER_CONSUMER_ARGS,
                  "arguments") != 0)
        return -1;
    sp_harness_program (program_name, program, sizeof program);
    sp_harness_spawn_options_t options = { .settings = all_settings,
                                           .arguments = argv,
                                           .stdout_path = log_path };
    pid_t pid = sp_harness_spawn_with (harness, program, &options);
    char body[SP_HARNESS_CONSUMER_METRICS_MAX];
    if (pid > 0 &&
        sp_harness_wait_http (pid, http_port, "/metrics", "salespulse_consumer_partition_owned",
                              body, sizeof body, timeout_ms) != 0) {
        sp_harness_wait_exit (pid, 0);
        pid = -1;
    }
    return pid;
}

pid_t
sp_harness_consumer_start (const sp_harness_t *harness, const char *bus, int http_port,
                           int partitions, const char *const *arguments, const char *log_path,
                           int timeout_ms)
{
    return sp_harness_consumer_service (harness, "counting-consumer", bus, http_port, partitions,
                                        NULL, arguments, log_path, timeout_ms);
}

int64_t
sp_harness_consumer_metric (int http_port, const char *name)
{
    char *body = malloc (SP_HARNESS_CONSUMER_METRICS_MAX);
    if (!body)
        return -1;
    int status = 0;
    int64_t sum = -1;
    if (sp_harness_http_get (http_port, "/metrics", &status, body,
                             SP_HARNESS_CONSUMER_METRICS_MAX) != 0 ||
        status != SP_HARNESS_CONSUMER_HTTP_OK)
        goto out_free;
    size_t length = strlen (name);
    char *save = NULL;
    for (char *line = strtok_r (body, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        if (strncmp (line, name, length) != 0 || (line[length] != '{' && line[length] != ' '))
            continue;
        const char *value = strrchr (line, ' ');
        if (!value)
            continue;
        sum = (sum < 0 ? 0 : sum) + strtoll (value + 1, NULL, 10);
    }
out_free:
    free (body);
    return sum;
}

/* ---------------------------------------------------------------- stack */

sp_harness_consumer_stack_t *
sp_harness_consumer_stack_new (const char *application, int partitions, int bus_hwm, int timeout_ms)
{
    return sp_harness_consumer_stack_new_on (application, partitions, bus_hwm, timeout_ms,
                                             sp_harness_redis_flag () == SP_HARNESS_REDIS_CLUSTER);
}

sp_harness_consumer_stack_t *
sp_harness_consumer_stack_new_on (const char *application, int partitions, int bus_hwm,
                                  int timeout_ms, bool cluster)
{
    sp_harness_consumer_stack_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->harness = sp_harness_pg_fixture_with (
        cluster ? SP_HARNESS_REDIS_CLUSTER : SP_HARNESS_REDIS, application, partitions, &self->pg);
    self->cluster = sp_harness_redis_cluster (self->harness);
    if (!self->harness || sp_harness_free_endpoint (self->endpoint, sizeof self->endpoint) != 0 ||
        sp_harness_free_endpoint (self->bus, sizeof self->bus) != 0)
        goto out_destroy;
    self->redis = sp_harness_redis_connect (self->harness);
    if (!self->redis)
        goto out_destroy;
    char log_path[PATH_MAX];
    snprintf (log_path, sizeof log_path, "%s/ingest.log", sp_harness_dir (self->harness));
    self->ingest = sp_harness_consumer_start_ingest (self->harness, self->endpoint, self->bus,
                                                     bus_hwm, partitions, log_path, timeout_ms);
    if (self->ingest <= 0)
        goto out_destroy;
    return self;
out_destroy:
    fprintf (stderr, "sp_harness_consumer: could not start the stack for \"%s\"\n", application);
    sp_harness_consumer_stack_destroy (&self);
    return NULL;
}

void
sp_harness_consumer_stack_destroy (sp_harness_consumer_stack_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_harness_consumer_stack_t *self = *self_p;
    if (self->ingest > 0)
        sp_harness_stop (self->ingest, SP_HARNESS_CONSUMER_STOP_MS);
    sp_redis_destroy (&self->redis);
    sp_pg_destroy (&self->pg);
    sp_harness_destroy (&self->harness); /* and its cluster */
    free (self);
    *self_p = NULL;
}

int
sp_harness_consumer_stack_each_server (sp_harness_consumer_stack_t *self, int argc,
                                       const char *const *argv, int64_t *sum)
{
    if (self->cluster)
        return sp_harness_cluster_run_masters (self->cluster, argc, argv, sum);
    sp_redis_reply_t *reply = sp_harness_redis_run (self->redis, argc, argv);
    if (!reply)
        return -1;
    if (sum)
        *sum = sp_redis_reply_type (reply) == SP_REDIS_REPLY_INTEGER
                   ? sp_redis_reply_integer (reply)
                   : 0;
    sp_redis_reply_destroy (&reply);
    return 0;
}

sp_redis_t *
sp_harness_consumer_stack_server_of (sp_harness_consumer_stack_t *self, const char *key)
{
    if (!self->cluster)
        return self->redis;
    int owner = sp_harness_cluster_owner (self->cluster, sp_redis_slot (key, strlen (key)));
    return sp_harness_cluster_node (self->cluster, owner);
}

int
sp_harness_consumer_stack_clear (sp_harness_consumer_stack_t *self)
{
    if (sp_harness_pg_clear_events (self->pg) != 0 ||
        sp_harness_pg_count (self->pg, "WITH gone AS (DELETE FROM quarantined_events "
                                       "RETURNING 1) SELECT count(*) FROM gone") < 0)
        return -1;
    return sp_harness_redis_run_and_drop (self->redis, 1, (const char *const[]){ "FLUSHALL" });
}

sp_harness_publisher_t *
sp_harness_consumer_publish (const sp_harness_consumer_stack_t *self,
                             sp_harness_consumer_series_t *series, size_t count)
{
    return sp_harness_consumer_publish_events (self, sp_harness_consumer_event, series, count,
                                               SP_HARNESS_CONSUMER_BATCH);
}

sp_harness_publisher_t *
sp_harness_consumer_publish_events (const sp_harness_consumer_stack_t *self,
                                    sp_harness_event_fn make_event, void *arg, size_t count,
                                    size_t batch)
{
    sp_harness_publisher_options_t options = {
        .endpoint = self->endpoint,
        .count = count,
        .batch = batch,
        .timeout_ms = SP_HARNESS_CONSUMER_REPLY_MS,
        .make_event = make_event,
        .arg = arg,
    };
    sp_ingest_client_options_init (&options.client);
    options.client.attempts = SP_HARNESS_CONSUMER_ATTEMPTS;
    return sp_harness_publisher_new (&options);
}

int
sp_harness_consumer_publish_finish (sp_harness_publisher_t **publisher_p, int timeout_ms)
{
    char error[SP_HARNESS_CONSUMER_ERROR_SIZE] = "";
    int rc = sp_harness_publisher_wait (*publisher_p, timeout_ms, error, sizeof error);
    if (rc != 0)
        fprintf (stderr, "sp_harness_consumer: publisher: %s\n", error);
    sp_harness_publisher_destroy (publisher_p);
    return rc;
}

/* ---------------------------------------------------------------- counts */

static void
s_counts_clear (s_counts_t *counts)
{
    for (size_t index = 0; index < counts->size; index++)
        free (counts->items[index].name);
    free (counts->items);
    *counts = (s_counts_t){ NULL, 0, 0 };
}

/* Adds count to name's entry (made when missing). Returns 0, or -1 when
   out of memory. */
static int
s_counts_add (s_counts_t *counts, const char *name, int64_t count)
{
    for (size_t index = 0; index < counts->size; index++)
        if (strcmp (counts->items[index].name, name) == 0) {
            counts->items[index].count += count;
            return 0;
        }
    if (counts->size == counts->capacity) {
        size_t capacity = counts->capacity ? counts->capacity * 2 : 64;
        s_count_t *items = realloc (counts->items, capacity * sizeof *items);
        if (!items)
            return -1;
        counts->items = items;
        counts->capacity = capacity;
    }
    char *copy = strdup (name);
    if (!copy)
        return -1;
    counts->items[counts->size++] = (s_count_t){ copy, count };
    return 0;
}

static int64_t
s_counts_get (const s_counts_t *counts, const char *name)
{
    for (size_t index = 0; index < counts->size; index++)
        if (strcmp (counts->items[index].name, name) == 0)
            return counts->items[index].count;
    return 0;
}

/* Sums the hash "counting-consumer:{pN}:<suffix>" over the partitions. */
static int
s_redis_counts (sp_redis_t *redis, uint32_t partitions, const char *suffix, s_counts_t *counts,
                char *error, size_t error_size)
{
    for (uint32_t partition = 0; partition < partitions; partition++) {
        char key[SP_HARNESS_CONSUMER_KEY_MAX];
        snprintf (key, sizeof key, "%s:{p%u}:%s", SP_HARNESS_CONSUMER_SERVICE, partition, suffix);
        const char *argv[] = { "HGETALL", key };
        sp_redis_reply_t *reply = sp_redis_command (redis, 2, argv, NULL, error, error_size);
        if (!reply)
            return -1;
        int rc = 0;
        size_t size =
            sp_redis_reply_type (reply) == SP_REDIS_REPLY_ARRAY ? sp_redis_reply_size (reply) : 0;
        for (size_t index = 0; rc == 0 && index + 1 < size; index += 2) {
            const char *field = sp_redis_reply_string (sp_redis_reply_element (reply, index), NULL);
            const char *value =
                sp_redis_reply_string (sp_redis_reply_element (reply, index + 1), NULL);
            rc = s_counts_add (counts, field, strtoll (value, NULL, 10));
        }
        sp_redis_reply_destroy (&reply);
        if (rc != 0) {
            snprintf (error, error_size, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* Runs sql (one text parameter: the excluded event_id, may be NULL) that
   yields (name, count) rows into counts. */
static int
s_log_counts (sp_pg_t *pg, const char *sql, const char *excluded_event_id, s_counts_t *counts,
              char *error, size_t error_size)
{
    const char *values[] = { excluded_event_id };
    sp_pg_result_t *result = sp_pg_exec (pg, sql, 1, values, NULL, NULL);
    if (!result || !sp_pg_result_ok (result)) {
        snprintf (error, error_size, "could not count the log: %s",
                  result ? sp_pg_result_error (result) : "out of memory");
        sp_pg_result_destroy (&result);
        return -1;
    }
    int rc = 0;
    for (int row = 0; rc == 0 && row < sp_pg_result_rows (result); row++) {
        int64_t count = 0;
        rc = sp_pg_result_int64 (result, row, 1, &count) == 0
                 ? s_counts_add (counts, sp_pg_result_value (result, row, 0), count)
                 : -1;
    }
    sp_pg_result_destroy (&result);
    if (rc != 0)
        snprintf (error, error_size, "could not read the log's counts");
    return rc;
}

/* 0 when every name has the same count on both sides (a name missing on
   one side counts 0), else 1 with the first difference. */
static int
s_counts_differ (const char *what, const s_counts_t *redis, const s_counts_t *log, char *difference,
                 size_t difference_size)
{
    const s_counts_t *sides[] = { log, redis };
    for (size_t side = 0; side < 2; side++)
        for (size_t index = 0; index < sides[side]->size; index++) {
            const char *name = sides[side]->items[index].name;
            int64_t in_redis = s_counts_get (redis, name), in_log = s_counts_get (log, name);
            if (in_redis != in_log) {
                snprintf (difference, difference_size, "%s \"%s\": redis %lld, log %lld", what,
                          name, (long long) in_redis, (long long) in_log);
                return 1;
            }
        }
    return 0;
}

/* Compares one hash suffix with one GROUP BY query. */
static int
s_compare_one (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions, const char *what,
               const char *suffix, const char *sql, const char *excluded_event_id, char *difference,
               size_t difference_size)
{
    s_counts_t in_redis = { NULL, 0, 0 }, in_log = { NULL, 0, 0 };
    int rc = -1;
    if (s_log_counts (pg, sql, excluded_event_id, &in_log, difference, difference_size) != 0 ||
        s_redis_counts (redis, partitions, suffix, &in_redis, difference, difference_size) != 0)
        goto out_clear;
    rc = s_counts_differ (what, &in_redis, &in_log, difference, difference_size);
out_clear:
    s_counts_clear (&in_redis);
    s_counts_clear (&in_log);
    return rc;
}

int
sp_harness_consumer_compare (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions,
                             const char *excluded_event_id, char *difference,
                             size_t difference_size)
{
    int rc = s_compare_one (redis, pg, partitions, "type", "count:type",
                            "SELECT type, count(*) FROM events"
                            " WHERE event_id IS DISTINCT FROM $1::text GROUP BY type",
                            excluded_event_id, difference, difference_size);
    if (rc != 0)
        return rc;
    return s_compare_one (
        redis, pg, partitions, "customer", "count:customer",
        "SELECT coalesce(nullif(customer_id, ''), '" SP_HARNESS_CONSUMER_NO_CUSTOMER
        "'), count(*) FROM events"
        " WHERE event_id IS DISTINCT FROM $1::text GROUP BY 1",
        excluded_event_id, difference, difference_size);
}

int
sp_harness_consumer_wait_counts (sp_redis_t *redis, sp_pg_t *pg, uint32_t partitions,
                                 const char *excluded_event_id, int timeout_ms, char *difference,
                                 size_t difference_size)
{
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    while (true) {
        if (sp_harness_consumer_compare (redis, pg, partitions, excluded_event_id, difference,
                                         difference_size) == 0)
            return 0;
        if (sp_harness_now_ms () >= deadline) {
            fprintf (stderr, "sp_harness_consumer: counts not equal after %d ms: %s\n", timeout_ms,
                     difference);
            return -1;
        }
        sp_harness_pause_ms (SP_HARNESS_CONSUMER_POLL_MS);
    }
}

size_t
sp_harness_consumer_log_count (const char *log_path, const char *text)
{
    FILE *file = fopen (log_path, "r");
    if (!file)
        return 0;
    char line[SP_HARNESS_CONSUMER_LOG_LINE_MAX];
    size_t count = 0;
    while (fgets (line, sizeof line, file))
        if (strstr (line, text))
            count++;
    fclose (file);
    return count;
}

/* ---------------------------------------------------------------- salesctl */

/* Room for salesctl's JSON answer read by sp_harness_salesctl_json. */
#define S_SALESCTL_JSON_SIZE (1024 * 1024)

int
sp_harness_salesctl_on (const sp_harness_t *harness, const char *const *arguments,
                        const char *redis_url, char *output, size_t output_size, int timeout_ms)
{
    const char *argv[SP_HARNESS_CONSUMER_SALESCTL_ARGS + 1] = { NULL };
    size_t count = 0;
    while (arguments[count]) {
        if (count + 2 >= SP_HARNESS_CONSUMER_SALESCTL_ARGS) {
            fprintf (stderr, "sp_harness_consumer: more than %d salesctl arguments\n",
                     SP_HARNESS_CONSUMER_SALESCTL_ARGS);
            return -1;
        }
        argv[count] = arguments[count];
        count++;
    }
    if (redis_url) {
        argv[count++] = "--redis";
        argv[count++] = redis_url;
    }
    char errors[PATH_MAX];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (harness));
    return sp_harness_salesctl (harness, argv, errors, output, output_size, timeout_ms);
}

json_t *
sp_harness_salesctl_json (const sp_harness_t *harness, const char *const *arguments,
                          const char *redis_url, int timeout_ms)
{
    char *output = malloc (S_SALESCTL_JSON_SIZE);
    if (!output)
        return NULL;
    json_t *answer = NULL;
    if (sp_harness_salesctl_on (harness, arguments, redis_url, output, S_SALESCTL_JSON_SIZE,
                                timeout_ms) == 0)
        answer = json_loads (output, JSON_DISABLE_EOF_CHECK, NULL);
    free (output);
    return answer;
}

/* The answer says it read every partition up to the log's head. */
static bool
s_answer_complete (json_t *answer)
{
    json_t *complete = json_object_get (answer, "complete");
    if (!complete)
        complete = json_object_get (json_object_get (answer, "completeness"), "complete");
    return json_is_true (complete);
}

/* salesctl's answer against url, the ignored keys removed, and its text
   (keys sorted) in *text (freed first). */
static json_t *
s_answer (const sp_harness_t *harness, const char *const *arguments, const char *url,
          const char *const *ignored, char **text, int timeout_ms)
{
    json_t *answer = sp_harness_salesctl_json (harness, arguments, url, timeout_ms);
    for (size_t index = 0; answer && ignored && ignored[index]; index++)
        json_object_del (answer, ignored[index]);
    free (*text);
    *text = answer ? json_dumps (answer, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    return answer;
}

json_t *
sp_harness_salesctl_same (const sp_harness_t *harness, const char *const *arguments,
                          const char *first_url, const char *second_url, const char *const *ignored,
                          int timeout_ms)
{
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    char *first_text = NULL, *second_text = NULL;
    for (;;) {
        json_t *first = s_answer (harness, arguments, first_url, ignored, &first_text, timeout_ms);
        json_t *second =
            s_answer (harness, arguments, second_url, ignored, &second_text, timeout_ms);
        bool same = first && second && s_answer_complete (first) && s_answer_complete (second) &&
                    first_text && second_text && strcmp (first_text, second_text) == 0;
        json_decref (second);
        if (same) {
            free (first_text);
            free (second_text);
            return first;
        }
        json_decref (first);
        if (sp_harness_now_ms () > deadline) {
            fprintf (stderr, "salesctl %s: %s gave\n%s\n%s gave\n%s\n", arguments[0], first_url,
                     first_text ? first_text : "(failed)", second_url,
                     second_text ? second_text : "(failed)");
            free (first_text);
            free (second_text);
            return NULL;
        }
        sp_harness_pause_ms (200);
    }
}

int
sp_harness_salesctl (const sp_harness_t *harness, const char *const *arguments,
                     const char *stderr_path, char *output, size_t output_size, int timeout_ms)
{
    char program[PATH_MAX], stdout_path[PATH_MAX];
    sp_harness_program ("salesctl", program, sizeof program);
    snprintf (stdout_path, sizeof stdout_path, "%s/salesctl.out", sp_harness_dir (harness));
    const char *argv[SP_HARNESS_CONSUMER_ARGS_MAX] = { NULL };
    size_t count = 0;
    bool own_redis = false, own_postgres = false;
    while (arguments[count]) {
        if (count == SP_HARNESS_CONSUMER_SALESCTL_ARGS) {
            fprintf (stderr, "sp_harness_consumer: more than %d salesctl arguments\n",
                     SP_HARNESS_CONSUMER_SALESCTL_ARGS);
            return -1;
        }
        own_redis = own_redis || strcmp (arguments[count], "--redis") == 0;
        own_postgres = own_postgres || strcmp (arguments[count], "--postgres") == 0;
        argv[count] = arguments[count];
        count++;
    }
    if (!own_postgres) {
        argv[count++] = "--postgres";
        argv[count++] = sp_harness_postgres_url (harness);
    }
    if (!own_redis) {
        argv[count++] = "--redis";
        argv[count++] = sp_harness_redis_url (harness);
    }
    sp_harness_spawn_options_t options = {
        .arguments = argv, .stdout_path = stdout_path, .stderr_path = stderr_path, .truncate = true
    };
    pid_t pid = sp_harness_spawn_with (harness, program, &options);
    if (pid <= 0)
        return -1;
    int status = sp_harness_wait_exit (pid, timeout_ms);
    sp_harness_read_file (stdout_path, output, output_size); /* empty when unreadable */
    return status;
}

int
sp_harness_consumer_file (const sp_harness_t *harness, const char *name, const char *text,
                          char *path, size_t size)
{
    snprintf (path, size, "%s/%s", sp_harness_dir (harness), name);
    FILE *file = fopen (path, "w");
    if (!file)
        return -1;
    int rc = fputs (text, file) < 0 ? -1 : 0;
    if (fclose (file) != 0)
        rc = -1;
    return rc;
}

int
sp_harness_consumer_salesctl (const sp_harness_t *harness, const char *const *arguments,
                              char *output, size_t size, int timeout_ms)
{
    char errors[PATH_MAX];
    snprintf (errors, sizeof errors, "%s/salesctl.err", sp_harness_dir (harness));
    return sp_harness_salesctl (harness, arguments, errors, output, size, timeout_ms);
}

int
sp_harness_consumer_publish_text (const sp_harness_t *harness, const char *endpoint,
                                  const char *name, const char *text, char *output, size_t size,
                                  int timeout_ms)
{
    char path[PATH_MAX];
    if (sp_harness_consumer_file (harness, name, text, path, sizeof path) != 0) {
        snprintf (output, size, "could not write %s", path);
        return -1;
    }
    return sp_harness_consumer_salesctl (
        harness, (const char *[]){ "publish", path, "--endpoint", endpoint, NULL }, output, size,
        timeout_ms);
}

json_t *
sp_harness_consumer_json_lines (char *text)
{
    json_t *lines = json_array ();
    char *save = NULL;
    for (char *line = strtok_r (text, "\n", &save); lines && line;
         line = strtok_r (NULL, "\n", &save)) {
        json_t *object = json_loads (line, 0, NULL);
        if (!json_is_object (object)) {
            fprintf (stderr, "not a JSON line: %s\n", line);
            json_decref (object);
            json_decref (lines);
            return NULL;
        }
        json_array_append_new (lines, object);
    }
    return lines;
}

zmsg_t *
sp_harness_consumer_receive (zsock_t *socket, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (socket, NULL);
    void *ready = poller ? zpoller_wait (poller, timeout_ms) : NULL;
    zpoller_destroy (&poller);
    return ready ? zmsg_recv (socket) : NULL;
}
