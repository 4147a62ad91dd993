/*  test_kpi_crm - kpi-evaluator's acceptance test on real data: the Maven
    Analytics CRM data set (deploy/demo/crm/) replayed through the real
    activity-ingest into the real kpi-evaluator, under the demo org
    (deploy/demo/crm/org.json: offices -> managers -> agents), targets
    (targets.json) and scorecard (scorecard.json), and every agent's,
    manager's, office's and the company's revenue, deals won and win rate
    of every quarter of 2017 compared with an SQL oracle computed straight
    from the CSV files (tests/integration/kpi_crm_oracle.sql).

    The oracle shares no code with kpi-evaluator: it is plain SQL over two
    tables this test fills with COPY from the CSV files as they are (CRLF
    line endings, blank cells). The events come from the demo converter
    (deploy/demo/crm/crm-events.sh) through `salesctl publish`, so the test
    also proves that every event of the data set is accepted.

    Order matters: the reference data is loaded first (group setup) so
    kpi-evaluator starts under the org rather than rebuilding when it
    arrives; the tests then publish, wait until kpi-evaluator has applied
    every event (`salesctl status`: every partition's checkpoint at its
    head, heads summing to the events published), and compare. Each wait
    polls with a deadline.

    Comparisons, as `salesctl kpi --json` gives them: revenue (minor
    units) and deals won exactly; the win rate, a number with at most
    four decimals, as basis points (llround (actual × 10,000)) against the
    oracle's, null when nothing closed. Every difference is printed as
    `scope "S" period "P": FIELD: expected X, got Y` before the test fails,
    so one run shows them all.
*/
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sp_harness.h"
#include "sp_harness_consumer.h"
#include "sp_harness_pg.h"
#include "sp_pg.h"

#define TEST_PARTITIONS 4              /* recorded in the test database */
#define TEST_START_TIMEOUT_MS 60000    /* activity-ingest, kpi-evaluator */
#define TEST_STOP_TIMEOUT_MS 30000     /* a clean exit on SIGTERM */
#define TEST_RUN_TIMEOUT_MS 120000     /* one salesctl or converter run (sanitizer builds) */
#define TEST_APPLY_TIMEOUT_MS 300000   /* kpi-evaluator applying the whole data set */
#define TEST_POLL_MS 200               /* between two looks at `salesctl status` */
#define TEST_OUTPUT_SIZE (1024 * 1024) /* room for a command's output */
#define TEST_TEXT_SIZE 512             /* room for a setting, a message */
#define TEST_BASIS_POINTS 10000.0      /* a ratio of 1 */

/* The data set's facts (deploy/demo/crm/README.md). */
#define TEST_OPPORTUNITIES 8800
#define TEST_ENGAGED 8300 /* rows with an engage_date */
#define TEST_WON 4238
#define TEST_LOST 2473
#define TEST_EVENTS (TEST_OPPORTUNITIES + TEST_ENGAGED + TEST_WON + TEST_LOST)
#define TEST_WON_AMOUNT_MINOR INT64_C (1000553400) /* 10,005,534 USD in cents */
#define TEST_AGENTS 35                             /* in sales_teams.csv */
#define TEST_SCOPES (1 + 3 + 6 + TEST_AGENTS)      /* company, offices, managers, every agent */
#define TEST_PERIODS 4                             /* the quarters of 2017 */

/* The company's revenue targets of deploy/demo/crm/targets.json, minor
   units: 10,000,000.00 USD for 2017 (floor 9,000,000.00, stretch
   11,000,000.00), spread evenly over the quarters with carry. */
#define TEST_YEAR_TARGET INT64_C (1000000000)
#define TEST_YEAR_FLOOR INT64_C (900000000)
#define TEST_YEAR_STRETCH INT64_C (1100000000)
#define TEST_QUARTER_TARGET (TEST_YEAR_TARGET / 4)

/* The KPIs compared, as `salesctl kpi --json` names them. */
#define TEST_KPI_REVENUE "revenue"
#define TEST_KPI_DEALS_WON "deals_won"
#define TEST_KPI_WIN_RATE "win_rate"

typedef struct {
    sp_harness_consumer_stack_t *stack; /* servers, connections, activity-ingest */
    pid_t evaluator;                    /* the running kpi-evaluator */
    int http_port;                      /* its /healthz and /metrics */
    char evaluator_log[PATH_MAX];       /* its log */
    char events_path[PATH_MAX];         /* the converter's output */
    char stderr_path[PATH_MAX];         /* last salesctl stderr */
    char *output;                       /* last salesctl stdout, TEST_OUTPUT_SIZE */
    char *errors;                       /* last salesctl stderr, read back */
} s_fixture_t;

/* One oracle row being compared: where differences are reported. */
typedef struct {
    const char *scope;  /* e.g. "region:Central" */
    const char *period; /* e.g. "2017-Q2" */
    int differences;    /* found so far */
} s_compare_t;

/* ---------------------------------------------------------------- helpers */

/* "<source dir>/<relative>" into path. */
static void
s_source_path (const char *relative, char *path, size_t size)
{
    int length = snprintf (path, size, "%s/%s", sp_harness_source_dir (), relative);
    assert_true (length > 0 && (size_t) length < size);
}

/* Runs salesctl with arguments (NULL terminated) plus the harness's
   --postgres and --redis; stdout and stderr land in the fixture. Returns
   its exit status. */
static int
s_salesctl (s_fixture_t *fixture, const char *const *arguments)
{
    int status = sp_harness_salesctl (fixture->stack->harness, arguments, fixture->stderr_path,
                                      fixture->output, TEST_OUTPUT_SIZE, TEST_RUN_TIMEOUT_MS);
    sp_harness_read_file (fixture->stderr_path, fixture->errors, TEST_OUTPUT_SIZE);
    if (status != 0)
        print_message ("salesctl %s exited %d: %s%s\n", arguments[0], status, fixture->output,
                       fixture->errors);
    return status;
}

/* `salesctl load KIND deploy/demo/crm/<file>`; returns its exit status. */
static int
s_load (s_fixture_t *fixture, const char *kind, const char *file)
{
    char relative[TEST_TEXT_SIZE], path[PATH_MAX];
    snprintf (relative, sizeof relative, "deploy/demo/crm/%s", file);
    s_source_path (relative, path, sizeof path);
    return s_salesctl (fixture, (const char *const[]){ "load", kind, path, NULL });
}

/* The whole file at path, NUL terminated (the caller frees); *size gets
   its length. NULL when it cannot be read. */
static char *
s_read_whole (const char *path, size_t *size)
{
    FILE *stream = fopen (path, "rb");
    if (!stream)
        return NULL;
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
    if (text) {
        text[length] = '\0';
        *size = (size_t) length;
    }
    return text;
}

/* Runs sql, which must succeed. */
static void
s_exec (sp_pg_t *pg, const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec (pg, sql, 0, NULL, NULL, NULL);
    if (!sp_pg_result_ok (result))
        print_message ("could not run \"%s\": %s\n", sql,
                       result ? sp_pg_result_error (result) : "out of memory");
    assert_true (sp_pg_result_ok (result));
    sp_pg_result_destroy (&result);
}

/* COPY table FROM the CSV file deploy/demo/crm/<file>, as it is; returns
   the rows copied. */
static int64_t
s_copy_csv (sp_pg_t *pg, const char *table, const char *file)
{
    char relative[TEST_TEXT_SIZE], path[PATH_MAX], sql[TEST_TEXT_SIZE];
    snprintf (relative, sizeof relative, "deploy/demo/crm/%s", file);
    s_source_path (relative, path, sizeof path);
    size_t size = 0;
    char *data = s_read_whole (path, &size);
    assert_non_null (data);
    snprintf (sql, sizeof sql, "COPY %s FROM STDIN WITH (FORMAT csv, HEADER true)", table);
    sp_pg_result_t *result = sp_pg_copy_in (pg, sql, data, size);
    free (data);
    if (!sp_pg_result_ok (result))
        print_message ("could not copy \"%s\": %s\n", path,
                       result ? sp_pg_result_error (result) : "out of memory");
    assert_true (sp_pg_result_ok (result));
    int64_t rows = sp_pg_result_affected (result);
    sp_pg_result_destroy (&result);
    return rows;
}

/* The object parsed from the last line of text (the caller decrefs). */
static json_t *
s_last_line_json (const char *text)
{
    size_t length = strlen (text);
    while (length > 0 && text[length - 1] == '\n')
        length--;
    size_t start = length;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    json_error_t error;
    json_t *document = json_loadb (text + start, length - start, 0, &error);
    if (!json_is_object (document))
        print_message ("not a JSON object: \"%.*s\": %s\n", (int) (length - start), text + start,
                       error.text);
    assert_true (json_is_object (document));
    return document;
}

/* member's integer value, which must be there. */
static int64_t
s_integer (const json_t *object, const char *member)
{
    const json_t *value = json_object_get (object, member);
    if (!json_is_integer (value))
        print_message ("member \"%s\" is not an integer\n", member);
    assert_true (json_is_integer (value));
    return (int64_t) json_integer_value (value);
}

/* The entry of the "kpis" array of a `salesctl kpi --json` report whose
   "kpi" is name, NULL when there is none (borrowed). */
static const json_t *
s_kpi_entry (const json_t *report, const char *name)
{
    size_t index;
    const json_t *entry;
    json_array_foreach (json_object_get (report, "kpis"), index, entry)
    {
        const json_t *kpi = json_object_get (entry, "kpi");
        if (json_is_string (kpi) && strcmp (json_string_value (kpi), name) == 0)
            return entry;
    }
    return NULL;
}

/* `salesctl kpi --scope SCOPE --period PERIOD --json`, parsed (the caller
   decrefs); NULL when salesctl failed (printed). */
static json_t *
s_kpi_report (s_fixture_t *fixture, const char *scope, const char *period)
{
    if (s_salesctl (fixture, (const char *const[]){ "kpi", "--scope", scope, "--period", period,
                                                    "--json", NULL }) != 0)
        return NULL;
    return s_last_line_json (fixture->output);
}

/* ---------------------------------------------------------------- waiting */

/* True when `salesctl status --service kpi-evaluator --json` shows every
   partition's checkpoint at its head and the heads summing to events. */
static bool
s_evaluator_caught_up (s_fixture_t *fixture, int64_t events)
{
    if (s_salesctl (fixture, (const char *const[]){ "status", "--service", "kpi-evaluator",
                                                    "--json", NULL }) != 0)
        return false;
    json_t *document = json_loads (fixture->output, 0, NULL);
    const json_t *services = json_object_get (document, "services");
    const json_t *service = json_array_get (services, 0);
    const json_t *partitions = json_object_get (service, "partitions");
    bool caught_up = json_array_size (partitions) == TEST_PARTITIONS;
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

/* ---------------------------------------------------------------- comparing */

/* Reports one difference. */
static void
s_differ (s_compare_t *compare, const char *field, const char *expected, const char *got)
{
    print_message ("scope \"%s\" period \"%s\": %s: expected %s, got %s\n", compare->scope,
                   compare->period, field, expected, got);
    compare->differences++;
}

/* value as text for a message (the caller frees). */
static char *
s_json_text (const json_t *value)
{
    if (!value)
        return strdup ("(missing)");
    return json_dumps (value, JSON_ENCODE_ANY | JSON_REAL_PRECISION (17));
}

/* Compares the integer at value with expected. */
static void
s_check_integer (s_compare_t *compare, const char *field, const json_t *value, int64_t expected)
{
    if (json_is_integer (value) && (int64_t) json_integer_value (value) == expected)
        return;
    char expected_text[TEST_TEXT_SIZE];
    snprintf (expected_text, sizeof expected_text, "%lld", (long long) expected);
    char *got = s_json_text (value);
    s_differ (compare, field, expected_text, got ? got : "?");
    free (got);
}

/* Compares the number at value, a whole number of minor units however
   written (1000000000 or 1e9), with expected. */
static void
s_check_amount (s_compare_t *compare, const char *field, const json_t *value, int64_t expected)
{
    if (json_is_number (value) && json_number_value (value) == (double) expected)
        return;
    char expected_text[TEST_TEXT_SIZE];
    snprintf (expected_text, sizeof expected_text, "%lld", (long long) expected);
    char *got = s_json_text (value);
    s_differ (compare, field, expected_text, got ? got : "?");
    free (got);
}

/* Compares the ratio at value with expected basis points (as
   llround (value × 10,000)), or null when !expected_set. */
static void
s_check_basis_points (s_compare_t *compare, const char *field, const json_t *value,
                      bool expected_set, int64_t expected)
{
    if (!expected_set && json_is_null (value))
        return;
    if (expected_set && json_is_number (value) &&
        (long long) llround (json_number_value (value) * TEST_BASIS_POINTS) == expected)
        return;
    char expected_text[TEST_TEXT_SIZE];
    if (expected_set)
        snprintf (expected_text, sizeof expected_text, "%.4f",
                  (double) expected / TEST_BASIS_POINTS);
    else
        snprintf (expected_text, sizeof expected_text, "null");
    char *got = s_json_text (value);
    s_differ (compare, field, expected_text, got ? got : "?");
    free (got);
}

/* Compares the string member of object with expected. */
static void
s_check_string (s_compare_t *compare, const json_t *object, const char *member,
                const char *expected)
{
    const json_t *value = json_object_get (object, member);
    if (json_is_string (value) && strcmp (json_string_value (value), expected) == 0)
        return;
    char *got = s_json_text (value);
    s_differ (compare, member, expected, got ? got : "?");
    free (got);
}

/* The entry of KPI name in report, with its unit checked; NULL (a
   difference) when it is missing. */
static const json_t *
s_checked_entry (s_compare_t *compare, const json_t *report, const char *name, const char *unit)
{
    const json_t *entry = s_kpi_entry (report, name);
    char field[TEST_TEXT_SIZE];
    snprintf (field, sizeof field, "kpis[\"%s\"]", name);
    if (!entry) {
        s_differ (compare, field, "an entry", "none");
        return NULL;
    }
    snprintf (field, sizeof field, "%s.unit", name);
    const json_t *value = json_object_get (entry, "unit");
    if (!json_is_string (value) || strcmp (json_string_value (value), unit) != 0) {
        char *got = s_json_text (value);
        s_differ (compare, field, unit, got ? got : "?");
        free (got);
    }
    return entry;
}

/* An oracle column by name: an integer. */
static int64_t
s_oracle_integer (const sp_pg_result_t *result, int row, const char *name)
{
    int column = sp_pg_result_column (result, name);
    assert_true (column >= 0);
    int64_t value = 0;
    assert_int_equal (sp_pg_result_int64 (result, row, column, &value), 0);
    return value;
}

/* An oracle column by name: an integer, or unset when NULL. */
static bool
s_oracle_optional (const sp_pg_result_t *result, int row, const char *name, int64_t *value)
{
    int column = sp_pg_result_column (result, name);
    assert_true (column >= 0);
    if (sp_pg_result_is_null (result, row, column))
        return false;
    assert_int_equal (sp_pg_result_int64 (result, row, column, value), 0);
    return true;
}

/* Compares `salesctl kpi` for the oracle's row with it; returns the
   differences found (each printed). */
static int
s_compare_row (s_fixture_t *fixture, const sp_pg_result_t *oracle, int row)
{
    s_compare_t compare = {
        .scope = sp_pg_result_value (oracle, row, sp_pg_result_column (oracle, "scope")),
        .period = sp_pg_result_value (oracle, row, sp_pg_result_column (oracle, "period")),
    };
    json_t *report = s_kpi_report (fixture, compare.scope, compare.period);
    if (!report) {
        s_differ (&compare, "exit status", "0", "non-zero (see above)");
        return compare.differences;
    }
    s_check_string (&compare, report, "scope", compare.scope);
    s_check_string (&compare, report, "period", compare.period);
    s_check_string (&compare, report, "currency", "USD");
    s_check_string (&compare, report, "time_zone", "UTC");

    const json_t *entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
    if (entry)
        s_check_integer (&compare, "revenue.actual", json_object_get (entry, "actual"),
                         s_oracle_integer (oracle, row, "revenue_minor"));
    entry = s_checked_entry (&compare, report, TEST_KPI_DEALS_WON, "count");
    if (entry)
        s_check_integer (&compare, "deals_won.actual", json_object_get (entry, "actual"),
                         s_oracle_integer (oracle, row, "won"));
    entry = s_checked_entry (&compare, report, TEST_KPI_WIN_RATE, "ratio");
    if (entry) {
        int64_t expected = 0;
        bool set = s_oracle_optional (oracle, row, "win_rate_bp", &expected);
        s_check_basis_points (&compare, "win_rate.actual", json_object_get (entry, "actual"), set,
                              expected);
    }
    json_decref (report);
    return compare.differences;
}

/* Fills crm_pipeline and crm_teams from the CSV files (again, so each
   test stands alone). */
static void
s_load_tables (sp_pg_t *pg)
{
    s_exec (pg, "DROP TABLE IF EXISTS crm_pipeline, crm_teams");
    s_exec (pg, "CREATE TABLE crm_pipeline (opportunity_id text, sales_agent text, product text, "
                "account text, deal_stage text, engage_date date, close_date date, "
                "close_value bigint)");
    s_exec (pg, "CREATE TABLE crm_teams (sales_agent text, manager text, regional_office text)");
    assert_int_equal (s_copy_csv (pg, "crm_pipeline", "sales_pipeline.csv"), TEST_OPPORTUNITIES);
    assert_int_equal (s_copy_csv (pg, "crm_teams", "sales_teams.csv"), TEST_AGENTS);
}

/* ---------------------------------------------------------------- fixture */

/* Starts the built kpi-evaluator on the stack's bus, in UTC and USD. */
static int
s_start_evaluator (s_fixture_t *fixture)
{
    const sp_harness_t *harness = fixture->stack->harness;
    char program[PATH_MAX], bus[TEST_TEXT_SIZE], http[TEST_TEXT_SIZE], partitions[TEST_TEXT_SIZE],
        warnings[TEST_TEXT_SIZE], endpoint[SP_HARNESS_CONSUMER_ENDPOINT_SIZE];
    sp_harness_program ("kpi-evaluator", program, sizeof program);
    fixture->http_port = sp_harness_free_port ();
    if (fixture->http_port <= 0 || sp_harness_free_endpoint (endpoint, sizeof endpoint) != 0)
        return -1;
    /* Its pace warnings' PUB socket on a free port too, never the default one. */
    snprintf (warnings, sizeof warnings, "SP_KPI_WARNINGS_ENDPOINT=%s", endpoint);
    snprintf (bus, sizeof bus, "SP_BUS_ENDPOINT=%s", fixture->stack->bus);
    snprintf (http, sizeof http, "SP_HTTP=127.0.0.1:%d", fixture->http_port);
    snprintf (partitions, sizeof partitions, "SP_PARTITIONS=%d", TEST_PARTITIONS);
    snprintf (fixture->evaluator_log, sizeof fixture->evaluator_log, "%s/kpi-evaluator.log",
              sp_harness_dir (harness));
    const char *settings[] = { bus, http, partitions, warnings, "SP_TIME_ZONE=UTC", NULL };
    const char *arguments[] = { "--time-zone", "UTC", "--currency", "USD", NULL };
    sp_harness_spawn_options_t options = { .settings = settings,
                                           .arguments = arguments,
                                           .stdout_path = fixture->evaluator_log };
    fixture->evaluator = sp_harness_spawn_with (harness, program, &options);
    if (fixture->evaluator <= 0)
        return -1;
    char body[TEST_TEXT_SIZE * 8];
    if (sp_harness_wait_http (fixture->evaluator, fixture->http_port, "/metrics",
                              "salespulse_consumer_partition_owned", body, sizeof body,
                              TEST_START_TIMEOUT_MS) != 0) {
        fprintf (stderr, "test_kpi_crm: kpi-evaluator did not start (log %s)\n",
                 fixture->evaluator_log);
        fixture->evaluator = 0;
        return -1;
    }
    return 0;
}

/* The stack; the org, targets and scorecard of deploy/demo/crm/ loaded,
   then kpi-evaluator started (under the org from its first event). */
static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    *state = fixture;
    fixture->output = calloc (1, TEST_OUTPUT_SIZE);
    fixture->errors = calloc (1, TEST_OUTPUT_SIZE);
    if (!fixture->output || !fixture->errors)
        return -1;
    fixture->stack =
        sp_harness_consumer_stack_new ("test_kpi_crm", TEST_PARTITIONS, 0, TEST_START_TIMEOUT_MS);
    if (!fixture->stack)
        return -1;
    const char *dir = sp_harness_dir (fixture->stack->harness);
    snprintf (fixture->stderr_path, sizeof fixture->stderr_path, "%s/salesctl.err", dir);
    snprintf (fixture->events_path, sizeof fixture->events_path, "%s/crm-events.jsonl", dir);

    if (s_load (fixture, "org", "org.json") != 0 ||
        s_load (fixture, "targets", "targets.json") != 0 ||
        s_load (fixture, "scorecard", "scorecard.json") != 0)
        return -1;
    return s_start_evaluator (fixture);
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    int rc = 0;
    if (fixture->evaluator > 0 && sp_harness_stop (fixture->evaluator, TEST_STOP_TIMEOUT_MS) != 0) {
        fprintf (stderr, "test_kpi_crm: kpi-evaluator did not exit cleanly (log %s)\n",
                 fixture->evaluator_log);
        rc = -1;
    }
    sp_harness_consumer_stack_destroy (&fixture->stack);
    free (fixture->output);
    free (fixture->errors);
    free (fixture);
    return rc;
}

/* ---------------------------------------------------------------- tests */

/* The converter turns the data set into 23,811 events and
   activity-ingest accepts every one. */
static void
test_crm_events_are_all_accepted (void **state)
{
    s_fixture_t *fixture = *state;
    char script[PATH_MAX], pipeline[PATH_MAX], teams[PATH_MAX], errors[PATH_MAX];
    s_source_path ("deploy/demo/crm/crm-events.sh", script, sizeof script);
    s_source_path ("deploy/demo/crm/sales_pipeline.csv", pipeline, sizeof pipeline);
    s_source_path ("deploy/demo/crm/sales_teams.csv", teams, sizeof teams);
    snprintf (errors, sizeof errors, "%s/crm-events.err", sp_harness_dir (fixture->stack->harness));
    const char *arguments[] = { pipeline, teams, NULL };
    sp_harness_spawn_options_t options = { .arguments = arguments,
                                           .stdout_path = fixture->events_path,
                                           .stderr_path = errors,
                                           .truncate = true };
    pid_t converter = sp_harness_spawn_with (fixture->stack->harness, script, &options);
    assert_true (converter > 0);
    assert_int_equal (sp_harness_wait_exit (converter, TEST_RUN_TIMEOUT_MS), 0);

    assert_int_equal (
        s_salesctl (fixture,
                    (const char *const[]){ "publish", "--endpoint", fixture->stack->endpoint,
                                           "--json", fixture->events_path, NULL }),
        0);
    json_t *summary = s_last_line_json (fixture->output);
    assert_int_equal (s_integer (summary, "accepted"), TEST_EVENTS);
    assert_int_equal (s_integer (summary, "duplicate"), 0);
    assert_int_equal (s_integer (summary, "conflict"), 0);
    assert_int_equal (s_integer (summary, "rejected"), 0);
    json_decref (summary);
    assert_int_equal (sp_harness_pg_count (fixture->stack->pg, "SELECT count(*) FROM events"),
                      TEST_EVENTS);
}

/* kpi-evaluator applies every event, quarantining none. */
static void
test_kpi_evaluator_applies_every_event (void **state)
{
    s_fixture_t *fixture = *state;
    int64_t deadline = sp_harness_now_ms () + TEST_APPLY_TIMEOUT_MS;
    bool caught_up = false;
    while (!(caught_up = s_evaluator_caught_up (fixture, TEST_EVENTS)) &&
           sp_harness_now_ms () < deadline)
        sp_harness_pause_ms (TEST_POLL_MS);
    if (!caught_up)
        print_message ("kpi-evaluator did not catch up in %d ms: %s (log %s)\n",
                       TEST_APPLY_TIMEOUT_MS, fixture->output, fixture->evaluator_log);
    assert_true (caught_up);
    assert_int_equal (
        sp_harness_pg_count (fixture->stack->pg, "SELECT count(*) FROM quarantined_events"), 0);
}

/* The data set's own totals for the year: every deal won and lost, every
   won dollar (Lost rows' zero values add nothing). */
static void
test_company_year_matches_the_data_set (void **state)
{
    s_fixture_t *fixture = *state;
    json_t *report = s_kpi_report (fixture, "company", "2017");
    assert_non_null (report);
    s_compare_t compare = { .scope = "company", .period = "2017" };
    const json_t *entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
    if (entry)
        s_check_integer (&compare, "revenue.actual", json_object_get (entry, "actual"),
                         TEST_WON_AMOUNT_MINOR);
    entry = s_checked_entry (&compare, report, TEST_KPI_DEALS_WON, "count");
    if (entry)
        s_check_integer (&compare, "deals_won.actual", json_object_get (entry, "actual"), TEST_WON);
    entry = s_checked_entry (&compare, report, TEST_KPI_WIN_RATE, "ratio");
    /* 4,238 ÷ 6,711 = 0.631500..., 6,315 basis points. */
    int64_t win_rate_bp =
        (int64_t) llround ((double) TEST_WON * TEST_BASIS_POINTS / (double) (TEST_WON + TEST_LOST));
    if (entry)
        s_check_basis_points (&compare, "win_rate.actual", json_object_get (entry, "actual"), true,
                              win_rate_bp);
    json_decref (report);
    assert_int_equal (compare.differences, 0);
}

/* Every agent, manager, office and the company, every quarter of 2017:
   revenue, deals won and win rate equal the oracle's. */
static void
test_every_scope_and_quarter_matches_the_oracle (void **state)
{
    s_fixture_t *fixture = *state;
    sp_pg_t *pg = fixture->stack->pg;
    s_load_tables (pg);

    char path[PATH_MAX];
    s_source_path ("tests/integration/kpi_crm_oracle.sql", path, sizeof path);
    size_t size = 0;
    char *sql = s_read_whole (path, &size);
    assert_non_null (sql);
    sp_pg_result_t *oracle = sp_pg_exec (pg, sql, 0, NULL, NULL, NULL);
    free (sql);
    if (!sp_pg_result_ok (oracle))
        print_message ("the oracle failed: %s\n",
                       oracle ? sp_pg_result_error (oracle) : "out of memory");
    assert_true (sp_pg_result_ok (oracle));
    assert_int_equal (sp_pg_result_rows (oracle), TEST_SCOPES * TEST_PERIODS);

    /* The oracle itself adds up to the data set: the company's quarters
       hold every close. */
    int64_t won = 0, lost = 0, revenue = 0;
    for (int row = 0; row < sp_pg_result_rows (oracle); row++)
        if (strcmp (sp_pg_result_value (oracle, row, sp_pg_result_column (oracle, "scope")),
                    "company") == 0) {
            won += s_oracle_integer (oracle, row, "won");
            lost += s_oracle_integer (oracle, row, "lost");
            revenue += s_oracle_integer (oracle, row, "revenue_minor");
        }
    assert_int_equal (won, TEST_WON);
    assert_int_equal (lost, TEST_LOST);
    assert_int_equal (revenue, TEST_WON_AMOUNT_MINOR);

    int differences = 0;
    for (int row = 0; row < sp_pg_result_rows (oracle); row++)
        differences += s_compare_row (fixture, oracle, row);
    print_message ("%d rows compared, %d differences\n", sp_pg_result_rows (oracle), differences);
    sp_pg_result_destroy (&oracle);
    assert_int_equal (differences, 0);
}

/* The company's revenue targets of targets.json: the year's, with floor
   and stretch; each quarter a quarter of it, Q2 raised by what Q1 fell
   short (carry); the offices' year targets its decomposition by their
   agents (11, 12, 12 of 35), adding up to it. */
static void
test_company_revenue_targets_come_from_targets_json (void **state)
{
    s_fixture_t *fixture = *state;
    sp_pg_t *pg = fixture->stack->pg;
    s_load_tables (pg);
    int64_t q1_actual =
        sp_harness_pg_count (pg, "SELECT coalesce(sum(close_value), 0) * 100 FROM crm_pipeline "
                                 "WHERE deal_stage = 'Won' AND close_date >= date '2017-01-01' "
                                 "AND close_date < date '2017-04-01'");
    assert_true (q1_actual >= 0);
    int64_t q1_shortfall = TEST_QUARTER_TARGET > q1_actual ? TEST_QUARTER_TARGET - q1_actual : 0;
    print_message ("company revenue 2017-Q1: %lld minor units, %lld short of its target\n",
                   (long long) q1_actual, (long long) q1_shortfall);

    s_compare_t compare = { .scope = "company", .period = "2017" };
    json_t *report = s_kpi_report (fixture, "company", "2017");
    assert_non_null (report);
    const json_t *entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
    if (entry) {
        s_check_amount (&compare, "revenue.target", json_object_get (entry, "target"),
                        TEST_YEAR_TARGET);
        s_check_amount (&compare, "revenue.floor", json_object_get (entry, "floor"),
                        TEST_YEAR_FLOOR);
        s_check_amount (&compare, "revenue.stretch", json_object_get (entry, "stretch"),
                        TEST_YEAR_STRETCH);
    }
    json_decref (report);

    compare.period = "2017-Q1";
    report = s_kpi_report (fixture, "company", "2017-Q1");
    assert_non_null (report);
    entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
    if (entry)
        s_check_amount (&compare, "revenue.target", json_object_get (entry, "target"),
                        TEST_QUARTER_TARGET);
    json_decref (report);

    compare.period = "2017-Q2";
    report = s_kpi_report (fixture, "company", "2017-Q2");
    assert_non_null (report);
    entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
    if (entry)
        s_check_amount (&compare, "revenue.target", json_object_get (entry, "target"),
                        TEST_QUARTER_TARGET + q1_shortfall);
    json_decref (report);

    /* The offices' shares: whole minor units, each within one of its
       exact share, together the company's. */
    static const struct {
        const char *scope;
        int64_t agents;
    } offices[] = { { "region:Central", 11 }, { "region:East", 12 }, { "region:West", 12 } };
    int64_t sum = 0;
    compare.period = "2017";
    for (size_t index = 0; index < sizeof offices / sizeof offices[0]; index++) {
        compare.scope = offices[index].scope;
        report = s_kpi_report (fixture, offices[index].scope, "2017");
        assert_non_null (report);
        entry = s_checked_entry (&compare, report, TEST_KPI_REVENUE, "money");
        const json_t *target = entry ? json_object_get (entry, "target") : NULL;
        double share = (double) TEST_YEAR_TARGET * (double) offices[index].agents / TEST_AGENTS;
        if (!json_is_number (target) || fabs (json_number_value (target) - share) >= 1.0) {
            char expected[TEST_TEXT_SIZE];
            snprintf (expected, sizeof expected, "%.2f within 1", share);
            char *got = s_json_text (target);
            s_differ (&compare, "revenue.target", expected, got ? got : "?");
            free (got);
        }
        else
            sum += (int64_t) llround (json_number_value (target));
        json_decref (report);
    }
    compare.scope = "region:*";
    if (sum != TEST_YEAR_TARGET) {
        char got[TEST_TEXT_SIZE];
        snprintf (got, sizeof got, "%lld", (long long) sum);
        s_differ (&compare, "Σ revenue.target", "1000000000", got);
    }
    assert_int_equal (compare.differences, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_crm_events_are_all_accepted),
        cmocka_unit_test (test_kpi_evaluator_applies_every_event),
        cmocka_unit_test (test_company_year_matches_the_data_set),
        cmocka_unit_test (test_every_scope_and_quarter_matches_the_oracle),
        cmocka_unit_test (test_company_revenue_targets_come_from_targets_json),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
