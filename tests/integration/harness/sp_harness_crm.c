/*  sp_harness_crm - the CRM data set's acceptance tests (see
    sp_harness_crm.h).
*/
#include "sp_harness_crm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_harness_pg.h"

#define S_HTTP_BODY_SIZE (SP_HARNESS_CRM_TEXT_SIZE * 8) /* a /metrics page read */
#define S_JSON_DIGITS 17                                /* a double, as it is */

sp_harness_crm_t *
sp_harness_crm_new (const char *application, int partitions, int start_timeout_ms,
                    int run_timeout_ms)
{
    sp_harness_crm_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    snprintf (self->application, sizeof self->application, "%s", application);
    self->partitions = partitions;
    self->run_timeout_ms = run_timeout_ms;
    self->output = calloc (1, SP_HARNESS_CRM_OUTPUT_SIZE);
    self->errors = calloc (1, SP_HARNESS_CRM_OUTPUT_SIZE);
    if (!self->output || !self->errors)
        goto out_destroy;
    self->stack = sp_harness_consumer_stack_new (application, partitions, 0, start_timeout_ms);
    if (!self->stack)
        goto out_destroy;
    const char *dir = sp_harness_dir (self->stack->harness);
    snprintf (self->stderr_path, sizeof self->stderr_path, "%s/salesctl.err", dir);
    snprintf (self->events_path, sizeof self->events_path, "%s/crm-events.jsonl", dir);
    return self;
out_destroy:
    sp_harness_crm_destroy (&self);
    return NULL;
}

void
sp_harness_crm_destroy (sp_harness_crm_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_harness_crm_t *self = *self_p;
    sp_harness_consumer_stack_destroy (&self->stack);
    free (self->output);
    free (self->errors);
    free (self);
    *self_p = NULL;
}

int
sp_harness_crm_path (const char *relative, char *path, size_t size)
{
    int length = snprintf (path, size, "%s/%s", sp_harness_source_dir (), relative);
    if (length <= 0 || (size_t) length >= size) {
        fprintf (stderr, "sp_harness_crm: path of \"%s\" is too long\n", relative);
        return -1;
    }
    return 0;
}

int
sp_harness_crm_salesctl (sp_harness_crm_t *self, const char *const *arguments)
{
    int status =
        sp_harness_salesctl (self->stack->harness, arguments, self->stderr_path, self->output,
                             SP_HARNESS_CRM_OUTPUT_SIZE, self->run_timeout_ms);
    sp_harness_read_file (self->stderr_path, self->errors, SP_HARNESS_CRM_OUTPUT_SIZE);
    if (status != 0)
        printf ("salesctl %s exited %d: %s%s\n", arguments[0], status, self->output, self->errors);
    return status;
}

int
sp_harness_crm_load (sp_harness_crm_t *self, const char *kind, const char *relative)
{
    char path[PATH_MAX];
    if (sp_harness_crm_path (relative, path, sizeof path) != 0)
        return -1;
    return sp_harness_crm_salesctl (self, (const char *const[]){ "load", kind, path, NULL });
}

int
sp_harness_crm_start (sp_harness_crm_t *self, const char *name, const char *endpoint_setting,
                      int timeout_ms)
{
    const sp_harness_t *harness = self->stack->harness;
    char program[PATH_MAX], bus[SP_HARNESS_CRM_TEXT_SIZE], http[SP_HARNESS_CRM_TEXT_SIZE],
        partitions[SP_HARNESS_CRM_TEXT_SIZE], publish[SP_HARNESS_CRM_TEXT_SIZE],
        endpoint[SP_HARNESS_CONSUMER_ENDPOINT_SIZE];
    snprintf (self->service_name, sizeof self->service_name, "%s", name);
    sp_harness_program (name, program, sizeof program);
    self->http_port = sp_harness_free_port ();
    if (self->http_port <= 0 || sp_harness_free_endpoint (endpoint, sizeof endpoint) != 0)
        return -1;
    snprintf (publish, sizeof publish, "%s=%s", endpoint_setting, endpoint);
    snprintf (bus, sizeof bus, "SP_BUS_ENDPOINT=%s", self->stack->bus);
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", self->http_port);
    snprintf (partitions, sizeof partitions, "SP_PARTITIONS=%d", self->partitions);
    snprintf (self->service_log, sizeof self->service_log, "%s/%s.log", sp_harness_dir (harness),
              name);
    const char *settings[] = { bus, http, partitions, publish, "SP_TIME_ZONE=UTC", NULL };
    const char *arguments[] = { "--time-zone", "UTC", "--currency", "USD", NULL };
    sp_harness_spawn_options_t options = { .settings = settings,
                                           .arguments = arguments,
                                           .stdout_path = self->service_log };
    self->service = sp_harness_spawn_with (harness, program, &options);
    if (self->service <= 0)
        return -1;
    char body[S_HTTP_BODY_SIZE];
    if (sp_harness_wait_http (self->service, self->http_port, "/metrics",
                              "salespulse_consumer_partition_owned", body, sizeof body,
                              timeout_ms) != 0) {
        fprintf (stderr, "%s: %s did not start (log %s)\n", self->application, name,
                 self->service_log);
        self->service = 0;
        return -1;
    }
    return 0;
}

int
sp_harness_crm_stop (sp_harness_crm_t *self, int timeout_ms)
{
    if (self->service <= 0)
        return 0;
    int rc = sp_harness_stop (self->service, timeout_ms);
    if (rc != 0)
        fprintf (stderr, "%s: %s did not exit cleanly (log %s)\n", self->application,
                 self->service_name, self->service_log);
    self->service = 0;
    return rc;
}

int
sp_harness_crm_teardown (void **state)
{
    sp_harness_crm_t *self = *state;
    if (!self)
        return 0;
    int rc = sp_harness_crm_stop (self, SP_HARNESS_CRM_STOP_MS);
    sp_harness_crm_destroy (&self);
    *state = NULL;
    return rc;
}

/* member's integer value, or -1 (printed) when it is not one. */
static int64_t
s_integer (const json_t *object, const char *member)
{
    const json_t *value = json_object_get (object, member);
    if (!json_is_integer (value)) {
        printf ("member \"%s\" is not an integer\n", member);
        return -1;
    }
    return (int64_t) json_integer_value (value);
}

int
sp_harness_crm_publish (sp_harness_crm_t *self)
{
    char script[PATH_MAX], pipeline[PATH_MAX], teams[PATH_MAX], errors[PATH_MAX];
    if (sp_harness_crm_path ("deploy/demo/crm/crm-events.sh", script, sizeof script) != 0 ||
        sp_harness_crm_path ("deploy/demo/crm/sales_pipeline.csv", pipeline, sizeof pipeline) !=
            0 ||
        sp_harness_crm_path ("deploy/demo/crm/sales_teams.csv", teams, sizeof teams) != 0)
        return -1;
    snprintf (errors, sizeof errors, "%s/crm-events.err", sp_harness_dir (self->stack->harness));
    const char *arguments[] = { pipeline, teams, NULL };
    sp_harness_spawn_options_t options = { .arguments = arguments,
                                           .stdout_path = self->events_path,
                                           .stderr_path = errors,
                                           .truncate = true };
    pid_t converter = sp_harness_spawn_with (self->stack->harness, script, &options);
    if (converter <= 0 || sp_harness_wait_exit (converter, self->run_timeout_ms) != 0) {
        fprintf (stderr, "%s: the converter failed (errors in %s)\n", self->application, errors);
        return -1;
    }
    if (sp_harness_crm_salesctl (self, (const char *const[]){ "publish", "--endpoint",
                                                              self->stack->endpoint, "--json",
                                                              self->events_path, NULL }) != 0)
        return -1;
    json_t *summary = sp_harness_crm_last_json (self->output);
    if (!summary)
        return -1;
    bool all = s_integer (summary, "accepted") == SP_HARNESS_CRM_EVENTS &&
               s_integer (summary, "duplicate") == 0 && s_integer (summary, "conflict") == 0 &&
               s_integer (summary, "rejected") == 0;
    json_decref (summary);
    if (!all) {
        printf ("not every one of the %d events was accepted: %s\n", SP_HARNESS_CRM_EVENTS,
                self->output);
        return -1;
    }
    return 0;
}

/* True when `salesctl status --service <service> --json` shows every
   partition's checkpoint at its head and the heads summing to events. */
static bool
s_caught_up (sp_harness_crm_t *self, int64_t events)
{
    if (sp_harness_crm_salesctl (self,
                                 (const char *const[]){ "status", "--service", self->service_name,
                                                        "--json", NULL }) != 0)
        return false;
    json_t *document = json_loads (self->output, 0, NULL);
    const json_t *services = json_object_get (document, "services");
    const json_t *service = json_array_get (services, 0);
    const json_t *partitions = json_object_get (service, "partitions");
    bool caught_up = json_array_size (partitions) == (size_t) self->partitions;
    int64_t heads = 0;
    size_t index;
    const json_t *partition;
    json_array_foreach (partitions, index, partition)
    {
        const json_t *checkpoint = json_object_get (partition, "checkpoint");
        const json_t *head = json_object_get (partition, "head");
        const json_t *lag = json_object_get (partition, "lag");
        if (!json_is_integer (checkpoint) || !json_is_integer (head) || !json_is_integer (lag) ||
            json_integer_value (lag) != 0 ||
            json_integer_value (checkpoint) != json_integer_value (head))
            caught_up = false;
        heads += json_is_integer (head) ? (int64_t) json_integer_value (head) : 0;
    }
    json_decref (document);
    return caught_up && heads == events;
}

int
sp_harness_crm_wait_applied (sp_harness_crm_t *self, int64_t events, int timeout_ms, int poll_ms)
{
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    bool caught_up = false;
    while (!(caught_up = s_caught_up (self, events)) && sp_harness_now_ms () < deadline)
        sp_harness_pause_ms (poll_ms);
    if (!caught_up) {
        printf ("%s did not catch up in %d ms: %s (log %s)\n", self->service_name, timeout_ms,
                self->output, self->service_log);
        return -1;
    }
    return 0;
}

/* The whole file at path, NUL terminated (the caller frees); *size gets
   its length. NULL (printed) when it cannot be read. */
static char *
s_read_whole (const char *path, size_t *size)
{
    FILE *stream = fopen (path, "rb");
    if (!stream) {
        fprintf (stderr, "sp_harness_crm: could not open \"%s\"\n", path);
        return NULL;
    }
    char *text = NULL;
    long length = -1;
    if (fseek (stream, 0, SEEK_END) == 0)
        length = ftell (stream);
    if (length >= 0 && fseek (stream, 0, SEEK_SET) == 0)
        text = malloc ((size_t) length + 1);
    if (text && fread (text, 1, (size_t) length, stream) != (size_t) length) {
        free (text);
        text = NULL;
    }
    fclose (stream);
    if (!text) {
        fprintf (stderr, "sp_harness_crm: could not read \"%s\"\n", path);
        return NULL;
    }
    text[length] = '\0';
    *size = (size_t) length;
    return text;
}

/* Runs sql; -1 (printed) when it failed. */
static int
s_exec (sp_pg_t *pg, const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (pg, sql, 0, NULL, NULL, NULL);
    int rc = sp_pg_result_ok (result) ? 0 : -1;
    if (rc != 0)
        printf ("could not run \"%s\": %s\n", sql,
                result ? sp_pg_result_error (result) : "out of memory");
    sp_pg_result_destroy (&result);
    return rc;
}

/* COPY table FROM the CSV file deploy/demo/crm/<file>, as it is; returns
   the rows copied, or -1 (printed). */
static int64_t
s_copy_csv (sp_pg_t *pg, const char *table, const char *file)
{
    char relative[SP_HARNESS_CRM_TEXT_SIZE], path[PATH_MAX], sql[SP_HARNESS_CRM_TEXT_SIZE];
    snprintf (relative, sizeof relative, "deploy/demo/crm/%s", file);
    size_t size = 0;
    char *data =
        sp_harness_crm_path (relative, path, sizeof path) == 0 ? s_read_whole (path, &size) : NULL;
    if (!data)
        return -1;
    snprintf (sql, sizeof sql, "COPY %s FROM STDIN WITH (FORMAT csv, HEADER true)", table);
    sp_pg_result_t *result = sp_pg_copy_in (pg, sql, data, size);
    free (data);
    int64_t rows = -1;
    if (sp_pg_result_ok (result))
        rows = sp_pg_result_affected (result);
    else
        printf ("could not copy \"%s\": %s\n", path,
                result ? sp_pg_result_error (result) : "out of memory");
    sp_pg_result_destroy (&result);
    return rows;
}

int
sp_harness_crm_load_tables (sp_harness_crm_t *self)
{
    sp_pg_t *pg = self->stack->pg;
    if (s_exec (pg, "DROP TABLE IF EXISTS crm_pipeline, crm_teams") != 0 ||
        s_exec (pg, "CREATE TABLE crm_pipeline (opportunity_id text, sales_agent text, product "
                    "text, account text, deal_stage text, engage_date date, close_date date, "
                    "close_value bigint)") != 0 ||
        s_exec (pg, "CREATE TABLE crm_teams (sales_agent text, manager text, regional_office "
                    "text)") != 0)
        return -1;
    int64_t pipeline = s_copy_csv (pg, "crm_pipeline", "sales_pipeline.csv");
    int64_t teams = s_copy_csv (pg, "crm_teams", "sales_teams.csv");
    if (pipeline != SP_HARNESS_CRM_OPPORTUNITIES || teams != SP_HARNESS_CRM_AGENTS) {
        printf ("copied %lld opportunities and %lld agents, not %d and %d\n", (long long) pipeline,
                (long long) teams, SP_HARNESS_CRM_OPPORTUNITIES, SP_HARNESS_CRM_AGENTS);
        return -1;
    }
    return 0;
}

sp_pg_result_t *
sp_harness_crm_oracle (sp_harness_crm_t *self, const char *relative)
{
    char path[PATH_MAX];
    size_t size = 0;
    char *sql =
        sp_harness_crm_path (relative, path, sizeof path) == 0 ? s_read_whole (path, &size) : NULL;
    if (!sql)
        return NULL;
    sp_pg_result_t *oracle = sp_pg_exec (self->stack->pg, sql, 0, NULL, NULL, NULL);
    free (sql);
    if (!sp_pg_result_ok (oracle)) {
        printf ("the oracle failed: %s\n", oracle ? sp_pg_result_error (oracle) : "out of memory");
        sp_pg_result_destroy (&oracle);
    }
    return oracle;
}

int
sp_harness_crm_compare_rows (sp_harness_crm_t *self, const sp_pg_result_t *oracle,
                             int (*compare_row) (sp_harness_crm_t *self,
                                                 const sp_pg_result_t *oracle, int row))
{
    int differences = 0;
    for (int row = 0; row < sp_pg_result_rows (oracle); row++)
        differences += compare_row (self, oracle, row);
    printf ("%d rows compared, %d differences\n", sp_pg_result_rows (oracle), differences);
    return differences;
}

json_t *
sp_harness_crm_last_json (const char *text)
{
    size_t length = strlen (text);
    while (length > 0 && text[length - 1] == '\n')
        length--;
    size_t start = length;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    json_error_t error;
    json_t *document = json_loadb (text + start, length - start, 0, &error);
    if (!json_is_object (document)) {
        printf ("not a JSON object: \"%.*s\": %s\n", (int) (length - start), text + start,
                error.text);
        json_decref (document);
        return NULL;
    }
    return document;
}

char *
sp_harness_crm_json_text (const json_t *value)
{
    if (!value)
        return strdup ("(missing)");
    return json_dumps (value, JSON_ENCODE_ANY | JSON_REAL_PRECISION (S_JSON_DIGITS));
}

void
sp_harness_crm_differ (sp_harness_crm_compare_t *compare, const char *field, const char *expected,
                       const char *got)
{
    printf ("scope \"%s\" period \"%s\": %s: expected %s, got %s\n", compare->scope,
            compare->period, field, expected, got);
    compare->differences++;
}

void
sp_harness_crm_differ_json (sp_harness_crm_compare_t *compare, const char *field,
                            const char *expected, const json_t *value)
{
    char *got = sp_harness_crm_json_text (value);
    sp_harness_crm_differ (compare, field, expected, got ? got : "?");
    free (got);
}

void
sp_harness_crm_check_integer (sp_harness_crm_compare_t *compare, const char *field,
                              const json_t *value, int64_t expected)
{
    if (json_is_integer (value) && (int64_t) json_integer_value (value) == expected)
        return;
    char expected_text[SP_HARNESS_CRM_TEXT_SIZE];
    snprintf (expected_text, sizeof expected_text, "%lld", (long long) expected);
    sp_harness_crm_differ_json (compare, field, expected_text, value);
}

void
sp_harness_crm_check_string (sp_harness_crm_compare_t *compare, const json_t *object,
                             const char *member, const char *expected)
{
    const json_t *value = json_object_get (object, member);
    if (json_is_string (value) && strcmp (json_string_value (value), expected) == 0)
        return;
    sp_harness_crm_differ_json (compare, member, expected, value);
}
